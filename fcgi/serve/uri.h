/*
 * uri.h - REQUEST_URI decoded once, validated and normalised
 */
#ifndef QUIRE_URI_H
#define QUIRE_URI_H

#include <stddef.h>

#include "lib/limits.h"

struct uri {
	char path[QUIRE_MAX_URI + 1]; /* decoded; starts with '/'; no "//" */
	size_t path_len;
	long page;                    /* ?page=N; 1 when absent */
	long long wp_id;              /* ?p=ID, WordPress's post link; 0 when
	                                 absent or not a number */
};

/*
 * Parses raw (REQUEST_URI, with its query string). Percent-escapes in the
 * path are decoded once; an encoded '/', NUL, backslash, control
 * character, "." or ".." segment is refused; repeated slashes collapse.
 * Query parameters go through a table of known names and validators;
 * unknown ones are ignored.
 *
 * Returns an HTTP status: 200 when u is filled, 400 for a malformed URI,
 * 414 for one longer than QUIRE_MAX_URI.
 */
int uri_parse(const char *raw, struct uri *u);

/*
 * Calls fn with each name=value pair of the query string q (after the
 * '?', raw: values are not percent-decoded; a pair without '=' has an
 * empty value) until fn returns 0. Returns 200, or 400 when fn refused
 * a pair or q is longer than QUIRE_MAX_QUERY.
 */
int uri_query_each(const char *q,
		   int (*fn)(const char *name, size_t nlen, const char *value,
			     size_t vlen, void *ctx),
		   void *ctx);

/* Writes the L1 cache key of u (the path, plus "?p=ID" when wp_id is
 * set, else "?page=N" when N > 1) into out. Returns the key's length, or 0 if it does not fit. */
size_t uri_cache_key(const struct uri *u, char *out, size_t outsz);

#endif
