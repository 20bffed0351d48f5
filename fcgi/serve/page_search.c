/*
 * page_search.c - "/search?q=...&page=N": the posts a query finds
 *
 * Never in the L1 (its key is the path and page, not the query) nor in
 * nginx or Redis: pages of results are kept in a small LRU cache of
 * their own, per worker, so random queries cannot push pages out of the
 * L1; it is dropped by every change of the content, as the L1 is
 * (page_search_forget, called by the worker). A query that is empty,
 * too long or has too many words is a 200 page with a hint; a backend
 * that cannot answer, a 503 page, while every other page is served.
 * Searches run at once are bounded across the pool (lib/gate.h): one
 * over the bound is a 503 at once, so page reads keep a free worker.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "content/html.h"
#include "content/site.h"
#include "lib/buf.h"
#include "lib/config.h"
#include "lib/gate.h"
#include "lib/quire.h"
#include "serve/app.h"
#include "serve/cache.h"
#include "serve/page.h"
#include "serve/page_search.h"
#include "serve/view.h"
#include "tiers/search.h"

/* A few hundred pages of results: small beside the L1's 64 MB. */
#define SEARCH_CACHE_BYTES (1024 * 1024)
#define SEARCH_PER_PAGE 10

struct cached_page {
	size_t len;
	char body[];
};

static struct cache results;
static int results_ready;

static void cached_free(void *v)
{
	free(v);
}

void page_search_forget(void)
{
	if (results_ready)
		cache_clear(&results);
}

/* The q parameter of a query string, decoded into out. */
struct q_find {
	char *out;
	size_t outsz;
	long len;     /* -1: none, or undecodable */
	int found;
};

static int find_q(const char *name, size_t nlen, const char *value,
		  size_t vlen, void *ctx)
{
	struct q_find *f = ctx;

	if (nlen == 1 && name[0] == 'q' && !f->found) {
		f->found = 1;
		f->len = search_form_decode(value, vlen, f->out, f->outsz);
	}
	return 1;
}

/* s (a snippet with search.h's marks) escaped, the marks as <mark>. */
static void snippet_html(struct buf *out, const char *s)
{
	const char *p = s, *m;
	int open = 0;

	while (*p) {
		m = p;
		while (*m && *m != SEARCH_MARK_START && *m != SEARCH_MARK_STOP)
			m++;
		html_escape(out, p, (size_t)(m - p));
		if (!*m)
			break;
		if (*m == SEARCH_MARK_START && !open) {
			buf_puts(out, "<mark>");
			open = 1;
		} else if (*m == SEARCH_MARK_STOP && open) {
			buf_puts(out, "</mark>");
			open = 0;
		}
		p = m + 1;
	}
	if (open)
		buf_puts(out, "</mark>");
}

/* The hits the worker's index knows, as summaries with their snippets:
 * a post the index does not show (yet) is left out, and its link is
 * made where every other link to a post is (view_summary). */
static enum quire_err add_hits(struct tvars *v, const struct site *s,
			       const struct search_results *r)
{
	struct buf snip = BUF_INIT;
	struct tvars *o;
	struct post *p;
	enum quire_err rc = QUIRE_OK;
	size_t i;

	if ((rc = tvars_list_empty(v, "results")) != QUIRE_OK)
		return rc;
	for (i = 0; i < r->n && rc == QUIRE_OK; i++) {
		p = site_post(s, r->hits[i].slug);
		if (!p)
			continue;
		if (!(o = tvars_list_add(v, "results")))
			return QUIRE_ENOMEM;
		buf_reset(&snip);
		snippet_html(&snip, r->hits[i].snippet);
		buf_putc(&snip, '\0');
		if (buf_failed(&snip))
			rc = QUIRE_ENOMEM;
		else if ((rc = view_summary(o, s, p)) == QUIRE_OK)
			rc = tvars_set(o, "snippet_html", snip.data);
	}
	buf_release(&snip);
	return rc;
}

/* "/search?q=Q&page=N", q encoded again, for the pager. */
static enum quire_err page_url(struct tvars *v, const char *name,
			       const char *q, size_t page)
{
	struct buf b = BUF_INIT;
	enum quire_err rc;

	buf_puts(&b, "/search?q=");
	html_url_encode(&b, q, strlen(q));
	if (page > 1)
		buf_printf(&b, "&page=%zu", page);
	buf_putc(&b, '\0');
	rc = buf_failed(&b) ? QUIRE_ENOMEM : tvars_set(v, name, b.data);
	buf_release(&b);
	return rc;
}

static const char *hint_of(enum search_verdict verdict)
{
	switch (verdict) {
	case SEARCH_TOO_LONG:
		return "That query is too long: keep it under 256 characters.";
	case SEARCH_TOO_MANY:
		return "That query has too many words: use 16 at most.";
	default:
		return "Type a few words to look for.";
	}
}

/* The page with what v holds; never in the L1. */
static int render(const struct request *req, struct tvars *v, int status,
		  struct response *resp)
{
	int rendered = view_html(req, "search", v, "Search", NULL, "/search",
				 "website", NULL, resp);

	resp->cacheable = 0;
	if (rendered != 200)
		return rendered;
	resp->status = status;
	resp->own_error_body = status >= 500;
	return status;
}

static void remember(const char *key, size_t keylen, const struct response *resp)
{
	struct cached_page *c;

	if (!results_ready) {
		cache_init(&results, SEARCH_CACHE_BYTES, cached_free);
		results_ready = 1;
	}
	c = malloc(sizeof(*c) + resp->body.len);
	if (!c)
		return;
	c->len = resp->body.len;
	memcpy(c->body, resp->body.data, c->len);
	(void)cache_put(&results, key, keylen, c, sizeof(*c) + c->len + keylen);
}

/* The results of q, page page, into v; an HTTP status (*busy set when
 * it is 503 because too many searches run). */
static int run(const struct request *req, const struct search_query *q,
	       size_t page, struct tvars *v, int *busy)
{
	struct search_results r;
	size_t pages;
	enum quire_err rc;

	/* Bounded across the pool (lib/gate.h, --search-concurrency): a
	 * worker is single-threaded, so a page read that comes to a worker
	 * while it searches waits the search out; with the searches held
	 * to fewer workers than there are, a free worker takes the reads,
	 * and a search over the bound is a quick 503 instead of a queue
	 * that grows with the searches' rate. */
	if (!gate_enter()) {
		*busy = 1;
		return tvars_set(v, "unavailable", "Search is busy: try again "
				 "in a moment.") == QUIRE_OK ? 503 : 500;
	}
	rc = search_run(req->app->search, q, (page - 1) * SEARCH_PER_PAGE,
			SEARCH_PER_PAGE, app_now(req->app), &r);
	gate_leave();
	if (rc == QUIRE_ETIMEOUT)
		return tvars_set(v, "unavailable", "Search is warming up: "
				 "try again in a moment.") == QUIRE_OK ? 503 : 500;
	if (rc == QUIRE_EINVAL)
		return tvars_set(v, "hint", hint_of(SEARCH_EMPTY)) == QUIRE_OK ?
		       200 : 500;
	if (rc != QUIRE_OK)
		return tvars_set(v, "unavailable", "Search is unavailable "
				 "right now: every page is still here, try "
				 "again later.") == QUIRE_OK ? 503 : 500;
	pages = r.total ? (r.total + SEARCH_PER_PAGE - 1) / SEARCH_PER_PAGE : 1;
	rc = add_hits(v, req->app->site, &r);
	/* Set only when something was found: the template's {{#total}}. */
	if (rc == QUIRE_OK && r.total > 0)
		rc = tvars_setf(v, "total", "%zu", r.total);
	if (rc == QUIRE_OK)
		rc = tvars_set_bool(v, "more", r.more);
	/* Past the last page, where PostgreSQL's count (a window over the
	 * page's rows) has no row to ride on. */
	if (rc == QUIRE_OK && r.n == 0 && page > 1)
		rc = tvars_set(v, "past_end", "1");
	if (rc == QUIRE_OK && page > 1)
		rc = page_url(v, "prev_url", q->text, page - 1);
	if (rc == QUIRE_OK && page < pages)
		rc = page_url(v, "next_url", q->text, page + 1);
	if (rc == QUIRE_OK)
		rc = tvars_setf(v, "page", "%zu", page);
	if (rc == QUIRE_OK)
		rc = tvars_setf(v, "pages", "%zu", pages);
	/* one page needs no pager ("Page 1 of 1"); past the end, its
	 * link back */
	if (rc == QUIRE_OK)
		rc = tvars_set_bool(v, "paged", pages > 1 || page > 1);
	search_results_free(&r);
	return rc == QUIRE_OK ? 200 : 500;
}

int page_search(const struct request *req, struct response *resp)
{
	char raw[QUIRE_MAX_QUERY + 1], key[SEARCH_MAX_QUERY + 32];
	struct q_find f = { raw, sizeof(raw), 0, 0 };
	struct search_query q;
	enum search_verdict verdict = SEARCH_EMPTY;
	struct cached_page *c;
	size_t page = (size_t)req->uri.page;
	struct tvars *v;
	int status, keylen, busy = 0;

	raw[0] = '\0';
	if (req->query)
		(void)uri_query_each(req->query, find_q, &f);
	if (f.found && f.len >= 0)
		verdict = search_query_parse(raw, (size_t)f.len, &q);
	if (verdict == SEARCH_OK && page > SEARCH_MAX_PAGE)
		verdict = SEARCH_EMPTY;
	keylen = verdict == SEARCH_OK ?
		 snprintf(key, sizeof(key), "%zu\n%s", page, q.text) : 0;
	if (keylen > 0 && (size_t)keylen < sizeof(key) && results_ready &&
	    (c = cache_get(&results, key, (size_t)keylen))) {
		resp->status = 200;
		resp->content_type = "text/html; charset=utf-8";
		buf_append(&resp->body, c->body, c->len);
		resp->cacheable = 0;
		return buf_failed(&resp->body) ? 500 : 200;
	}
	if (!(v = tvars_new()))
		return 500;
	if (tvars_set(v, "query", verdict == SEARCH_OK ? q.text :
		      f.len > 0 && verdict != SEARCH_TOO_LONG ? raw : "") != QUIRE_OK) {
		tvars_free(v);
		return 500;
	}
	if (verdict != SEARCH_OK)
		status = tvars_set(v, "hint", hint_of(verdict)) == QUIRE_OK ?
			 200 : 500;
	else
		status = run(req, &q, page, v, &busy);
	if (status != 500)
		status = render(req, v, status, resp);
	tvars_free(v);
	if (status == 503)
		resp->retry_after = busy ? 1 : 5;
	if (status == 200 && verdict == SEARCH_OK && keylen > 0 &&
	    (size_t)keylen < sizeof(key))
		remember(key, (size_t)keylen, resp);
	return status;
}
