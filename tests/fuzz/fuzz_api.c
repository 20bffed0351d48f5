/*
 * fuzz_api.c - the write API's request checks that are pure functions:
 * If-Match and If-None-Match (lib/etag.c, lib/precond.c), the condition
 * on the committer's wire, the Content-Type check, the slug of
 * "/api/posts/SLUG" and the listing's query
 *
 * The whole input is first one header value, NUL bytes and all
 * (etag_list_parse counts, it does not stop at a NUL). Then it is read
 * as lines: If-Match, If-None-Match, Content-Type, slug, query (a line
 * "-" or a missing one: no such header).
 */
#include <stdio.h>
#include <strings.h>

#include "content/post.h"
#include "lib/buf.h"
#include "lib/etag.h"
#include "lib/limits.h"
#include "lib/precond.h"
#include "serve/page_api.h"
#include "serve/uri.h"
#include "tiers/tier_pg.h"
#include "write/commit_wire.h"
#include "fuzz.h"

static int etagc(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c <= 0x7e) || c >= 0x80;
}

/* What an accepted list must be: within bounds, each tag in the input
 * between its quotes and made of etagc bytes, W/ where it says weak;
 * written again canonically it parses to the same list; each tag is
 * in it, weakly always, strongly only when some copy of it is strong. */
static void check_list(const char *v, size_t len, const struct etag_list *l)
{
	struct etag_list again;
	struct buf b = BUF_INIT;
	size_t i, j, off;
	int strong;

	if (l->n > QUIRE_MAX_ETAGS || (l->any && l->n) || len > QUIRE_MAX_HEADER)
		abort();
	for (i = 0; i < l->n; i++) {
		const struct etag *t = &l->tag[i];

		if (t->opaque < v + 1 || t->opaque + t->len >= v + len)
			abort();
		off = (size_t)(t->opaque - v);
		if (v[off - 1] != '"' || v[off + t->len] != '"')
			abort();
		if (t->weak && (off < 3 || v[off - 3] != 'W' || v[off - 2] != '/'))
			abort();
		for (j = 0; j < t->len; j++)
			if (!etagc((unsigned char)t->opaque[j]))
				abort();
		if (!etag_list_has(l, t->opaque, t->len, 1))
			abort();
		strong = 0;
		for (j = 0; j < l->n; j++)
			strong |= !l->tag[j].weak && l->tag[j].len == t->len &&
				  memcmp(l->tag[j].opaque, t->opaque, t->len) == 0;
		if (etag_list_has(l, t->opaque, t->len, 0) != strong)
			abort();
		buf_printf(&b, "%s%s\"", i ? "," : "", t->weak ? "W/" : "");
		buf_append(&b, t->opaque, t->len);
		buf_putc(&b, '"');
	}
	if (l->any)
		buf_putc(&b, '*');
	if (buf_failed(&b) || b.len > len ||
	    etag_list_parse(b.data ? b.data : "", b.len, &again) != QUIRE_OK ||
	    again.any != l->any || again.n != l->n)
		abort();
	for (i = 0; i < l->n; i++)
		if (again.tag[i].weak != l->tag[i].weak ||
		    again.tag[i].len != l->tag[i].len ||
		    memcmp(again.tag[i].opaque, l->tag[i].opaque, l->tag[i].len))
			abort();
	buf_release(&b);
}

static void whole_value(const uint8_t *data, size_t size)
{
	struct etag_list l;
	enum quire_err rc = etag_list_parse((const char *)data, size, &l);

	if (rc == QUIRE_OK)
		check_list((const char *)data, size, &l);
	else if (rc != QUIRE_EPARSE && rc != QUIRE_ETOOBIG)
		abort();
	else if (l.any || l.n)
		abort(); /* an error leaves an empty list */
	if (size > QUIRE_MAX_HEADER && rc != QUIRE_ETOOBIG)
		abort();
}

/* What RFC 9110 §13.1.1-2 say of a post at revision r (0: none), from
 * the header's list alone: the spec precond_check() must agree with. */
static int header_holds(const char *v, int if_match, long long r)
{
	struct etag_list l;
	char n[24];
	int len;

	if (!v)
		return 1;
	if (etag_list_parse(v, strlen(v), &l) != QUIRE_OK)
		abort();
	if (l.any)
		return if_match ? r > 0 : r == 0;
	if (r <= 0)
		return !if_match;
	len = snprintf(n, sizeof(n), "%lld", r);
	return etag_list_has(&l, n, (size_t)len, !if_match) == if_match;
}

static void check_revision(const char *im, const char *inm,
			   const struct precond *c, long long r)
{
	int holds = header_holds(im, 1, r) && header_holds(inm, 0, r);

	if ((precond_check(c, r) == PRECOND_HOLDS) != holds)
		abort();
	/* If-Match fails first (RFC 9110 §13.2.2). */
	if (!header_holds(im, 1, r) && precond_check(c, r) != PRECOND_FAILS_MATCH)
		abort();
}

static void conditions(const char *im, const char *inm)
{
	struct precond c;
	struct commit_request q;
	struct buf b = BUF_INIT;
	const char *bad = "x";
	unsigned i;

	if (precond_parse(im, inm, &c, &bad) != QUIRE_OK) {
		if (!bad || !precond_is_none(&c))
			abort();
		return;
	}
	if (bad || !precond_valid(&c))
		abort();
	check_revision(im, inm, &c, 0);
	check_revision(im, inm, &c, 1);
	check_revision(im, inm, &c, 0x7fffffffffffffffLL);
	for (i = 0; i < c.n_match; i++)
		check_revision(im, inm, &c, c.match[i]);
	for (i = 0; i < c.n_none; i++)
		check_revision(im, inm, &c, c.none[i]);
	/* To the committer and back, whole. */
	if (commit_wire_put_request(&b, 1, COMMIT_OP_DELETE, &c, "s", NULL) !=
	    QUIRE_OK ||
	    commit_wire_frame_len(b.data, b.len) != (long long)b.len ||
	    commit_wire_get_request(b.data, b.len, &q) != QUIRE_OK ||
	    memcmp(&q.cond, &c, sizeof(c)) != 0)
		abort();
	commit_request_release(&q);
	buf_release(&b);
}

static void content_type(const char *ct)
{
	if (page_api_markdown_type(ct) &&
	    (strncasecmp(ct, "text/markdown", 13) != 0 ||
	     (ct[13] && ct[13] != ';' && ct[13] != ' ' && ct[13] != '\t')))
		abort();
}

/* The slug as the API takes it: "/api/posts/" + slug through uri_parse,
 * then post_slug_valid on what follows the prefix. */
static void slug(const char *s)
{
	static struct uri u;
	char path[QUIRE_MAX_URI + 1];
	const char *got;
	size_t i;

	if (snprintf(path, sizeof(path), "/api/posts/%s", s) >= (int)sizeof(path))
		return;
	memset(&u, 0, sizeof(u));
	if (uri_parse(path, &u) != 200 || strncmp(u.path, "/api/posts/", 11) != 0)
		return;
	got = u.path + 11;
	if (!post_slug_valid(got))
		return;
	/* No '/' can follow, so ".." is harmful only as the whole name,
	 * which the leading '.' rule refuses ("a..b" is a name). */
	if (strlen(got) > QUIRE_MAX_SLUG || got[0] == '.')
		abort();
	for (i = 0; got[i]; i++)
		if (!((got[i] >= 'a' && got[i] <= 'z') ||
		      (got[i] >= 'A' && got[i] <= 'Z') ||
		      (got[i] >= '0' && got[i] <= '9') ||
		      got[i] == '-' || got[i] == '_' || got[i] == '.'))
			abort();
}

static void list_query(const char *query)
{
	struct api_list_query q;

	if (page_api_list_query_parse(query, &q) != 200) {
		if (!q.bad[0])
			abort();
		return;
	}
	if (q.limit < 1 || q.limit > TIER_PG_LIST_MAX ||
	    (q.after[0] && !post_slug_valid(q.after)) ||
	    (q.origin && strcmp(q.origin, "api") != 0 &&
	     strcmp(q.origin, "content") != 0))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, *line[5] = { NULL, NULL, NULL, NULL, NULL }, *p, *nl;
	size_t i;

	whole_value(data, size);
	s = fuzz_strndup(data, size);
	if (!s)
		return 0;
	for (i = 0, p = s; i < 5 && p; i++) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		line[i] = strcmp(p, "-") == 0 ? NULL : p;
		p = nl ? nl + 1 : NULL;
	}
	conditions(line[0], line[1]);
	if (line[2])
		content_type(line[2]);
	if (line[3])
		slug(line[3]);
	list_query(line[4]);
	free(s);
	return 0;
}
