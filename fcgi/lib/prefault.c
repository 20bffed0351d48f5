/*
 * prefault.c - keeping the process's memory faulted in (see prefault.h)
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "lib/prefault.h"

/* glibc's defaults give memory back as soon as 128 KiB sit free at the
 * top of the heap, and serve blocks of 128 KiB and more with mmap: a
 * request that allocates and frees a few hundred KiB (a page, a Redis
 * reply, a render) then faults the same pages in again every time.
 * perf of a worker serving L1 misses had page faults under memset and
 * brk as half its CPU. Kept memory is bounded by the peak of one
 * request. */
#define MALLOC_KEEP_BYTES (64 * 1024 * 1024)
#define MALLOC_MMAP_BYTES (4 * 1024 * 1024)
#define MALLOC_TOP_PAD (1024 * 1024)
/* prefault_heap grows the heap in blocks below the mmap threshold */
#define WARM_BLOCK (1024 * 1024)
#define WARM_BLOCKS_MAX 64

void prefault_keep_freed(void)
{
	/* Only speed depends on these: a sanitizer's allocator refuses
	 * them (returns 0), and then the defaults stay. */
	(void)mallopt(M_TRIM_THRESHOLD, MALLOC_KEEP_BYTES);
	(void)mallopt(M_MMAP_THRESHOLD, MALLOC_MMAP_BYTES);
	(void)mallopt(M_TOP_PAD, MALLOC_TOP_PAD);
}

/* The [heap] mapping of /proc/self/maps; 0 when there is none. */
static int heap_range(unsigned long *start, unsigned long *end)
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "re");
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, "[heap]") &&
			sscanf(line, "%lx-%lx", start, end) == 2;
	fclose(f);
	return found;
}

void prefault_heap(size_t bytes)
{
	/* volatile: a malloc freed unused is code a compiler may drop */
	void *volatile blocks[WARM_BLOCKS_MAX];
	unsigned long start, end;
	size_t i, n = bytes / WARM_BLOCK;

	if (n > WARM_BLOCKS_MAX)
		n = WARM_BLOCKS_MAX;
	/* Freed together, the blocks join the top of the heap, which the
	 * trim threshold above keeps. */
	for (i = 0; i < n && (blocks[i] = malloc(WARM_BLOCK)); i++)
		;
	n = i;
	for (i = 0; i < n; i++)
		free((void *)blocks[i]);
	if (heap_range(&start, &end))
		(void)madvise((void *)start, end - start, MADV_POPULATE_WRITE);
}
