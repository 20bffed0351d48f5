/*
 * quire.c - the shared error codes, clock and array growth
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/quire.h"

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
	"owned by another",        /* QUIRE_EOWNED */
	"unknown format version",  /* QUIRE_EVERSION */
	"differs only in case from one held", /* QUIRE_ECASE */
};

const char *quire_strerror(enum quire_err err)
{
	/* as unsigned, a negative value is out of range too */
	if ((unsigned)err >= QUIRE_ERR__MAX)
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

size_t quire_utf8_len(const unsigned char *s, const unsigned char *end)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if ((size_t)(end - s) < n || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

size_t quire_text_invalid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	size_t n;

	while (p < end) {
		if (*p == 0 || !(n = quire_utf8_len(p, end)))
			break;
		p += n;
	}
	return (size_t)(p - (const unsigned char *)s);
}

double quire_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

enum quire_err quire_grow_with(void *array_ptr, size_t *cap, size_t n,
			       size_t size, size_t first,
			       void *(*resize)(void *ctx, void *old, size_t bytes),
			       void *ctx)
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

enum quire_err quire_grow(void *array_ptr, size_t *cap, size_t n, size_t size,
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
