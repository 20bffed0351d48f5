/*
 * quire.c - descriptions of the shared error codes
 */
#include <malloc.h>
#include <time.h>

#include "quire.h"

static const char *const errs[QUIRE_ERR__MAX] = {
	"success",                 /* QUIRE_OK */
	"out of memory",           /* QUIRE_ENOMEM */
	"input/output error",      /* QUIRE_EIO */
	"parse error",             /* QUIRE_EPARSE */
	"input too large",         /* QUIRE_ETOOBIG */
	"not found",               /* QUIRE_ENOTFOUND */
	"invalid argument",        /* QUIRE_EINVAL */
	"timed out",               /* QUIRE_ETIMEOUT */
	"conflict",                /* QUIRE_ECONFLICT */
};

const char *quire_strerror(int err)
{
	if (err < 0 || err >= QUIRE_ERR__MAX)
		return "unknown error";
	return errs[err];
}

int quire_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

double quire_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* glibc's defaults give memory back as soon as 128 KiB sit free at the
 * top of the heap, and serve blocks of 128 KiB and more with mmap: a
 * request that allocates and frees a few hundred KiB (a page, a Redis
 * reply, a render) then faults the same pages in again every time.
 * A fault costs ≈ 12 µs on the VMs quire was measured on; perf of a
 * worker serving L1 misses had page faults under memset and brk as half
 * its CPU. Kept memory is bounded by the peak of one request. */
#define MALLOC_KEEP_BYTES (64 * 1024 * 1024)
#define MALLOC_MMAP_BYTES (4 * 1024 * 1024)
#define MALLOC_TOP_PAD (1024 * 1024)

void quire_tune_malloc(void)
{
	/* Only speed depends on these: a sanitizer's allocator refuses
	 * them (returns 0), and then the defaults stay. */
	(void)mallopt(M_TRIM_THRESHOLD, MALLOC_KEEP_BYTES);
	(void)mallopt(M_MMAP_THRESHOLD, MALLOC_MMAP_BYTES);
	(void)mallopt(M_TOP_PAD, MALLOC_TOP_PAD);
}
