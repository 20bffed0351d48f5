/*
 * uri.c - REQUEST_URI decoded once, validated and normalised
 *
 * nginx passes REQUEST_URI raw (RFC 3875 leaves PATH_INFO to the server,
 * and Debian's fastcgi_params sets none), so this is the one place that
 * decodes it. Anything that could name a path outside the site is refused
 * rather than cleaned up: no URL of quire needs it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/quire.h"
#include "serve/uri.h"

static int valid_page(const char *v, size_t len, struct uri *u)
{
	long n = 0;
	size_t i;

	if (len == 0 || len > 6)
		return 0;
	for (i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return 0;
		n = n * 10 + (v[i] - '0');
	}
	if (n < 1 || n > QUIRE_MAX_PAGE_NUMBER)
		return 0;
	u->page = n;
	return 1;
}

/* WordPress's ?p=ID, which an imported post's alias "PATH?p=ID" answers
 * (route.c): 1 to 10 digits. Anything else named p is no WordPress link
 * and is ignored, as an unknown parameter would be, never a 400. */
static int valid_wp_id(const char *v, size_t len, struct uri *u)
{
	long long n = 0;
	size_t i;

	if (len == 0 || len > 10)
		return 1;
	for (i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return 1;
		n = n * 10 + (v[i] - '0');
	}
	u->wp_id = n;
	return 1;
}

/* The query parameters quire reads; every other name is ignored, so it
 * cannot make a new cache entry. */
static const struct {
	const char *name;
	int (*valid)(const char *v, size_t len, struct uri *u);
} query_params[] = {
	{ "page", valid_page },
	{ "p", valid_wp_id },
};

int uri_query_each(const char *q,
		   int (*fn)(const char *name, size_t nlen, const char *value,
			     size_t vlen, void *ctx),
		   void *ctx)
{
	const char *p = q, *amp, *eq;
	size_t nlen, vlen;

	if (strlen(q) > QUIRE_MAX_QUERY)
		return 400;
	while (*p) {
		amp = strchr(p, '&');
		if (!amp)
			amp = p + strlen(p);
		eq = memchr(p, '=', (size_t)(amp - p));
		nlen = (size_t)((eq ? eq : amp) - p);
		vlen = eq ? (size_t)(amp - eq - 1) : 0;
		if (!fn(p, nlen, eq ? eq + 1 : "", vlen, ctx))
			return 400;
		p = *amp ? amp + 1 : amp;
	}
	return 200;
}

/* One parameter for the table above: 0 when it is known and invalid. */
static int known_param(const char *name, size_t nlen, const char *value,
		       size_t vlen, void *ctx)
{
	size_t i;

	for (i = 0; i < sizeof(query_params) / sizeof(query_params[0]); i++)
		if (strlen(query_params[i].name) == nlen &&
		    memcmp(query_params[i].name, name, nlen) == 0)
			return query_params[i].valid(value, vlen, ctx);
	return 1;
}

/* Refuses "." and ".." as the segment just written at out[start..o). */
static int dot_segment(const char *out, size_t start, size_t o)
{
	size_t n = o - start;

	return (n == 1 && out[start] == '.') ||
	       (n == 2 && out[start] == '.' && out[start + 1] == '.');
}

int uri_parse(const char *raw, struct uri *u)
{
	size_t o = 0, seg = 1, segs = 0;
	const char *p;
	int hi, lo;
	unsigned char c;

	u->page = 1;
	u->wp_id = 0;
	u->path_len = 0;
	u->path[0] = '\0';
	if (!raw || strlen(raw) > QUIRE_MAX_URI)
		return raw ? 414 : 400;
	if (raw[0] != '/')
		return 400;
	for (p = raw; *p && *p != '?' && *p != '#'; p++) {
		c = (unsigned char)*p;
		if (c == '%') {
			if ((hi = quire_hex_digit(p[1])) < 0 || (lo = quire_hex_digit(p[2])) < 0)
				return 400;
			c = (unsigned char)(hi * 16 + lo);
			p += 2;
			if (c == '/' || c == '\0')
				return 400;
		} else if (c == '/') {
			if (o > 0 && dot_segment(u->path, seg, o))
				return 400;
			if (o > 0 && u->path[o - 1] == '/')
				continue;
			if (++segs > QUIRE_MAX_PATH_SEGS)
				return 400;
			u->path[o++] = '/';
			seg = o;
			continue;
		}
		if (c < 0x20 || c == 0x7f || c == '\\')
			return 400;
		u->path[o++] = (char)c;
	}
	if (dot_segment(u->path, seg, o))
		return 400;
	u->path[o] = '\0';
	u->path_len = o;
	if (*p == '?')
		return uri_query_each(p + 1, known_param, u);
	return 200;
}

size_t uri_cache_key(const struct uri *u, char *out, size_t outsz)
{
	int n;

	if (u->wp_id > 0)
		n = snprintf(out, outsz, "%s?p=%lld", u->path, u->wp_id);
	else if (u->page > 1)
		n = snprintf(out, outsz, "%s?page=%ld", u->path, u->page);
	else
		n = snprintf(out, outsz, "%s", u->path);
	if (n < 0 || (size_t)n >= outsz)
		return 0;
	return (size_t)n;
}
