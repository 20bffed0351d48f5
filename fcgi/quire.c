/*
 * quire.c - the shared error codes, clock and array growth
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
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

int quire_grow_with(void *array_ptr, size_t *cap, size_t n, size_t size,
		    size_t first, void *(*resize)(void *ctx, void *old,
						  size_t bytes), void *ctx)
{
	void *v, *nv;
	size_t ncap;

	if (n < *cap)
		return QUIRE_OK;
	ncap = *cap ? *cap * 2 : first;
	if (ncap <= n || ncap > SIZE_MAX / size)
		return QUIRE_ENOMEM;
	/* through memcpy: the array may be of any pointer-free type */
	memcpy(&v, array_ptr, sizeof(v));
	nv = resize(ctx, v, ncap * size);
	if (!nv)
		return QUIRE_ENOMEM;
	memcpy(array_ptr, &nv, sizeof(nv));
	*cap = ncap;
	return QUIRE_OK;
}

static void *resize_heap(void *ctx, void *old, size_t bytes)
{
	(void)ctx;
	return realloc(old, bytes);
}

int quire_grow(void *array_ptr, size_t *cap, size_t n, size_t size,
	       size_t first)
{
	return quire_grow_with(array_ptr, cap, n, size, first, resize_heap, NULL);
}

void quire_strings_free(char **v, size_t n)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}
