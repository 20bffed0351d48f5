/*
 * test_prefault.c - prefault_heap (prefault.c): after it, allocating and writing
 * the memory it warmed takes (almost) no page fault, where memory the
 * heap never had takes one a page
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "check.h"
#include "lib/prefault.h"

#define MIB (1024 * 1024)
#define PAGE 4096

static long minor_faults(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_minflt : -1;
}

/* Page faults taken by allocating n blocks of 1 MiB (from the heap:
 * below the mmap threshold prefault_keep_freed sets) and writing every page of
 * them; freed after. */
static long faults_for(size_t n)
{
	volatile char *p[16];
	long before = minor_faults(), after;
	size_t i, j;

	for (i = 0; i < n && i < 16; i++) {
		p[i] = malloc(MIB);
		if (!p[i])
			return -1;
		/* volatile: writes the compiler cannot drop before the free */
		for (j = 0; j < MIB; j += PAGE)
			p[i][j] = 'q';
	}
	after = minor_faults();
	while (i-- > 0)
		free((void *)p[i]);
	return after - before;
}

int main(void)
{
	long cold, warm;

#if defined(__SANITIZE_ADDRESS__)
	/* ASan's allocator is not glibc's: nothing to check. */
	return check_done("test_heap");
#endif
	prefault_keep_freed();
	/* 2 MiB the heap never had: a fault a page */
	cold = faults_for(2);
	/* 8 MiB more, warmed; then 8 MiB written: 2 of them were the cold
	 * ones, 6 come from the warmed part */
	prefault_heap(8 * MIB);
	warm = faults_for(8);
	CHECK(cold >= 2 * MIB / PAGE / 2);
	CHECK(warm >= 0 && warm < 32);
	if (cold < 2 * MIB / PAGE / 2 || warm < 0 || warm >= 32)
		fprintf(stderr, "faults: cold %ld, warm %ld\n", cold, warm);
	return check_done("test_heap");
}
