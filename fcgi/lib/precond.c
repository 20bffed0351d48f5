/*
 * precond.c - If-Match and If-None-Match as a condition on a revision
 *
 * Pure functions: the headers in, a struct precond out, and the rule it
 * stands for (the SQL of tier_pg_conn.c says the same thing).
 */
#include <limits.h>
#include <string.h>

#include "lib/etag.h"
#include "lib/precond.h"

long long precond_revision(const char *opaque, size_t len)
{
	long long n = 0;
	size_t i;

	if (len == 0 || len > 19 || opaque[0] == '0')
		return 0;
	for (i = 0; i < len; i++) {
		if (opaque[i] < '0' || opaque[i] > '9')
			return 0;
		if (n > (LLONG_MAX - (opaque[i] - '0')) / 10)
			return 0;
		n = n * 10 + (opaque[i] - '0');
	}
	return n;
}

/* If-Match: "*" asks that the post exist; tags, that it be at one of
 * the revisions they name, compared strongly (weak tags match nothing). */
static void from_if_match(const struct etag_list *l, struct precond *c)
{
	size_t i;
	long long n;

	c->flags |= PRECOND_EXISTS;
	if (l->any)
		return;
	c->flags |= PRECOND_MATCH;
	for (i = 0; i < l->n; i++)
		if (!l->tag[i].weak &&
		    (n = precond_revision(l->tag[i].opaque, l->tag[i].len)) > 0)
			c->match[c->n_match++] = n;
}

/* If-None-Match: "*" asks that it not exist; tags, that it not be at
 * the revisions they name, compared weakly. */
static void from_if_none_match(const struct etag_list *l, struct precond *c)
{
	size_t i;
	long long n;

	if (l->any) {
		c->flags |= PRECOND_ABSENT;
		return;
	}
	for (i = 0; i < l->n; i++)
		if ((n = precond_revision(l->tag[i].opaque, l->tag[i].len)) > 0)
			c->none[c->n_none++] = n;
}

/* The length of a header value, or QUIRE_MAX_HEADER + 1 past it. */
static size_t header_len(const char *v)
{
	return strnlen(v, QUIRE_MAX_HEADER + 1);
}

enum quire_err precond_parse(const char *if_match, const char *if_none_match,
			     struct precond *out, const char **bad)
{
	struct etag_list l;
	enum quire_err rc;

	memset(out, 0, sizeof(*out));
	*bad = NULL;
	if (if_match) {
		rc = etag_list_parse(if_match, header_len(if_match), &l);
		if (rc != QUIRE_OK) {
			*bad = "If-Match";
			return rc;
		}
		from_if_match(&l, out);
	}
	if (if_none_match) {
		rc = etag_list_parse(if_none_match, header_len(if_none_match), &l);
		if (rc != QUIRE_OK) {
			memset(out, 0, sizeof(*out));
			*bad = "If-None-Match";
			return rc;
		}
		from_if_none_match(&l, out);
	}
	return QUIRE_OK;
}

int precond_is_none(const struct precond *c)
{
	return c->flags == 0 && c->n_none == 0;
}

static int in(const long long *v, unsigned n, long long x)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (v[i] == x)
			return 1;
	return 0;
}

enum precond_result precond_check(const struct precond *c, long long revision)
{
	if ((c->flags & PRECOND_EXISTS) && revision <= 0)
		return PRECOND_FAILS_MATCH;
	if ((c->flags & PRECOND_MATCH) && !in(c->match, c->n_match, revision))
		return PRECOND_FAILS_MATCH;
	if ((c->flags & PRECOND_ABSENT) && revision > 0)
		return PRECOND_FAILS_NONE_MATCH;
	if (revision > 0 && in(c->none, c->n_none, revision))
		return PRECOND_FAILS_NONE_MATCH;
	return PRECOND_HOLDS;
}

int precond_valid(const struct precond *c)
{
	unsigned i;

	if ((c->flags & ~PRECOND_FLAGS) || c->n_match > QUIRE_MAX_ETAGS ||
	    c->n_none > QUIRE_MAX_ETAGS)
		return 0;
	if ((c->flags & PRECOND_MATCH) && !(c->flags & PRECOND_EXISTS))
		return 0;
	if (c->n_match && !(c->flags & PRECOND_MATCH))
		return 0;
	for (i = 0; i < c->n_match; i++)
		if (c->match[i] < 1)
			return 0;
	for (i = 0; i < c->n_none; i++)
		if (c->none[i] < 1)
			return 0;
	return 1;
}

enum quire_err precond_from_expect(long long expect, struct precond *out)
{
	memset(out, 0, sizeof(*out));
	if (expect < -1)
		return QUIRE_EINVAL;
	if (expect == 0) {
		out->flags = PRECOND_ABSENT;
	} else if (expect > 0) {
		out->flags = PRECOND_EXISTS | PRECOND_MATCH;
		out->match[0] = expect;
		out->n_match = 1;
	}
	return QUIRE_OK;
}
