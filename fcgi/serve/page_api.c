/*
 * page_api.c - "/api/posts/SLUG": the write API (DESIGN §7)
 *
 * PUT takes the same Markdown-with-frontmatter text as a file; it is
 * validated and rendered here, in the worker, and handed to the
 * committer (committer.c), which commits it to PostgreSQL with a new
 * generation, writes it to Redis and publishes it; only then is it
 * answered (page_api_answer). Nothing is acknowledged that PostgreSQL
 * did not commit. If-Match and If-None-Match (RFC 9110 §13.1, with the
 * ETag "REVISION") make a write conditional: lib/precond.c parses them,
 * and the condition rides with the write into the statement that
 * applies it (412 when it fails: no lost update, no check-then-write
 * race); on GET they give 412 or 304. A slug a content file gives is
 * that file's: a write or delete of it is refused, 409 naming the file
 * whatever its preconditions ask, decided in the committer's
 * transaction. A slug equal to a held one but for letter case is a
 * duplicate of it: a PUT of it is refused, 409 naming the held slug.
 * "/api/posts" lists what PostgreSQL holds, a page at a time.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "content/html.h"
#include "content/permalink.h"
#include "content/record.h"
#include "content/site.h"
#include "lib/config.h"
#include "lib/log.h"
#include "lib/metrics.h"
#include "lib/precond.h"
#include "lib/quire.h"
#include "serve/app.h"
#include "serve/page.h"
#include "serve/page_api.h"
#include "serve/uri.h"
#include "serve/view.h"
#include "tiers/tier_pg.h"
#include "tiers/tiers.h"
#include "write/auth.h"
#include "write/auth_throttle.h"

#define API_PREFIX "/api/posts/"
#define API_LIST_DEFAULT 100

/* A JSON error: {"error": msg} and, for a parse error, where. */
static int api_error(struct response *resp, int status, const char *msg,
		     unsigned line, unsigned column)
{
	buf_reset(&resp->body);
	buf_puts(&resp->body, "{\"error\":\"");
	html_json_escape(&resp->body, msg, strlen(msg));
	buf_putc(&resp->body, '"');
	if (line)
		buf_printf(&resp->body, ",\"line\":%u,\"column\":%u", line, column);
	buf_puts(&resp->body, "}\n");
	resp->status = status;
	resp->content_type = "application/json";
	resp->cacheable = 0;
	return status;
}

/* 503 from a worker whose site no tier has confirmed (app->unsure): a
 * PUT is checked against the site's URLs, and the listing gives each
 * post's URL, both from site.yaml's permalinks as the site holds them. */
static int api_unsure(struct response *resp)
{
	api_error(resp, 503, "this worker has not loaded the site yet; retry",
		  0, 0);
	resp->retry_after = 1;
	return 503;
}

/* The If-Match or If-None-Match that did not parse: 400. */
static int api_bad_precond(struct response *resp, enum quire_err rc,
			   const char *bad)
{
	char msg[160];

	if (rc == QUIRE_ETOOBIG)
		snprintf(msg, sizeof(msg), "malformed %s: more than %d "
			 "entity-tags", bad, QUIRE_MAX_ETAGS);
	else
		snprintf(msg, sizeof(msg), "malformed %s: expected * or a list "
			 "of entity-tags such as \"3\", W/\"3\"", bad);
	return api_error(resp, 400, msg, 0, 0);
}

/* The version of slug this worker's index names, if it has one in its
 * site (a published post or page) and the site is current (not stale,
 * not a copy no tier has confirmed). */
static int index_want(const struct app *app, const char *slug,
		      struct tiers_want *want)
{
	const struct post *p;

	if (!app->site || app->site_stale || app->unsure)
		return 0;
	p = site_post(app->site, slug);
	if (!p)
		p = site_page(app->site, slug);
	if (!p || !p->revision)
		return 0;
	want->revision = p->revision;
	want->hash = p->hash;
	return 1;
}

/* GET (and HEAD): the source, under its conditions (RFC 9110 §13.2.2:
 * If-Match first, 412; then If-None-Match, 304). A post that does not
 * exist is 404 whatever they ask (§13.2.1). The source and its ETag are
 * PostgreSQL's, the truth: an older copy Redis kept (a store it refused)
 * would hand out an ETag that every conditional write then fails on.
 * With PostgreSQL down, Redis's copy only when it is the version this
 * worker's index names; else 503. */
static int api_get(const struct request *req, struct response *resp,
		   const char *slug, const struct precond *cond)
{
	struct record *rec = NULL;
	struct tiers_want want;
	enum precond_result held;
	enum quire_err rc = tiers_fetch_source(req->app->tiers, slug,
					       index_want(req->app, slug, &want) ?
					       &want : NULL, &rec);

	if (rc == QUIRE_ENOTFOUND)
		return api_error(resp, 404, "no such post", 0, 0);
	if (rc != QUIRE_OK)
		return api_error(resp, 503, "storage unavailable", 0, 0);
	held = precond_check(cond, rec->revision);
	if (held == PRECOND_FAILS_MATCH) {
		record_free(rec);
		return api_error(resp, 412, "the post is not at a revision "
				 "If-Match names", 0, 0);
	}
	buf_reset(&resp->body);
	snprintf(resp->etag, sizeof(resp->etag), "\"%lld\"", rec->revision);
	resp->content_type = "text/markdown; charset=utf-8";
	resp->status = held == PRECOND_FAILS_NONE_MATCH ? 304 : 200;
	if (resp->status == 200)
		buf_append(&resp->body, rec->source, rec->source_len);
	record_free(rec);
	return resp->status;
}

static int list_param(const char *name, size_t nlen, const char *value,
		      size_t vlen, void *ctx)
{
	struct api_list_query *q = ctx;
	size_t i, n = 0;

	if (nlen == 5 && memcmp(name, "limit", 5) == 0) {
		for (i = 0; i < vlen && n <= TIER_PG_LIST_MAX; i++) {
			if (value[i] < '0' || value[i] > '9')
				break;
			n = n * 10 + (size_t)(value[i] - '0');
		}
		if (vlen == 0 || i < vlen || n < 1 || n > TIER_PG_LIST_MAX) {
			snprintf(q->bad, sizeof(q->bad), "limit: a number from "
				 "1 to %d", TIER_PG_LIST_MAX);
			return 0;
		}
		q->limit = n;
	} else if (nlen == 5 && memcmp(name, "after", 5) == 0) {
		/* A slug needs no escape: one with '%' is not a slug. */
		if (vlen > QUIRE_MAX_SLUG) {
			snprintf(q->bad, sizeof(q->bad), "after: a slug");
			return 0;
		}
		memcpy(q->after, value, vlen);
		q->after[vlen] = '\0';
		if (!post_slug_valid(q->after)) {
			snprintf(q->bad, sizeof(q->bad), "after: a slug");
			return 0;
		}
	} else if (nlen == 6 && memcmp(name, "origin", 6) == 0) {
		if (vlen == 3 && memcmp(value, "api", 3) == 0)
			q->origin = "api";
		else if (vlen == 7 && memcmp(value, "content", 7) == 0)
			q->origin = "content";
		else {
			snprintf(q->bad, sizeof(q->bad), "origin: api or content");
			return 0;
		}
	}
	return 1; /* others are ignored, as on every page */
}

int page_api_list_query_parse(const char *query, struct api_list_query *q)
{
	memset(q, 0, sizeof(*q));
	q->limit = API_LIST_DEFAULT;
	if (!query || uri_query_each(query, list_param, q) == 200)
		return 200;
	if (!q->bad[0])
		snprintf(q->bad, sizeof(q->bad), "the query is too long");
	return 400;
}

/* The URL of a post the API names, by site_post_url() (the one place
 * a URL is made): the site's when it serves that post, else made for it
 * under the site's pattern, from what the caller knows of it (a listing
 * has no categories: a pattern with :category gives the URL without). */
static const char *post_url(const struct site *s, const char *slug,
			    enum post_kind kind, long long date, int has_date,
			    const struct post *parsed, char *url, size_t urlsz)
{
	struct post tmp, *p = NULL;

	if (parsed) /* the version written: not the one the site serves */
		return site_post_url(s, parsed, url, urlsz);
	if (s)
		p = kind == POST_KIND_PAGE ? site_page(s, slug) : site_post(s, slug);
	if (p)
		return site_post_url(s, p, url, urlsz);
	memset(&tmp, 0, sizeof(tmp));
	tmp.slug = (char *)slug;
	tmp.kind = kind;
	tmp.date = (time_t)date;
	tmp.has_date = has_date;
	return site_post_url(s, &tmp, url, urlsz);
}

/* The URL of a write's post, from its record. */
static void api_url(const struct site *s, const struct record *rec,
		    char *url, size_t urlsz)
{
	char made[PERMALINK_MAX_URL + 1];
	struct post *p = NULL;

	if (!rec) {
		snprintf(url, urlsz, "/");
		return;
	}
	if (record_to_post(rec, &p) != QUIRE_OK)
		p = NULL;
	snprintf(url, urlsz, "%s", post_url(s, rec->slug, rec->kind, rec->date,
					    rec->has_date, p, made,
					    sizeof(made)));
	post_free(p);
}

/* One post of the listing as a JSON object. */
static void list_entry(struct buf *b, const struct site *s,
		       const struct tier_pg_listed *e)
{
	char date[32], url[PERMALINK_MAX_URL + 1];
	const char *u;

	buf_puts(b, "{\"slug\":\"");
	html_json_escape(b, e->slug, strlen(e->slug));
	buf_printf(b, "\",\"revision\":%lld,\"etag\":\"\\\"%lld\\\"\","
		   "\"origin\":\"%s\",\"kind\":\"%s\",\"title\":",
		   e->revision, e->revision, record_origin_name(e->origin),
		   record_kind_name(e->kind));
	if (e->title) {
		buf_putc(b, '"');
		html_json_escape(b, e->title, strlen(e->title));
		buf_putc(b, '"');
	} else {
		buf_puts(b, "null");
	}
	buf_puts(b, ",\"date\":");
	if (e->has_date) {
		view_date_rfc3339((time_t)e->date, date, sizeof(date));
		buf_printf(b, "\"%s\"", date);
	} else {
		buf_puts(b, "null");
	}
	view_date_rfc3339((time_t)e->updated_at, date, sizeof(date));
	buf_printf(b, ",\"draft\":%s,\"updated_at\":\"%s\",\"url\":\"",
		   e->draft ? "true" : "false", date);
	u = post_url(s, e->slug, e->kind, e->date, e->has_date, NULL, url,
		     sizeof(url));
	html_json_escape(b, u, strlen(u));
	buf_puts(b, "\"}");
}

/*
 * GET /api/posts: the posts PostgreSQL holds (every origin, drafts and
 * scheduled posts too: what an author's tool syncs against), by slug, a
 * page at a time: {"posts": [...], "next": SLUG or null}; ask again
 * with after=NEXT for the next page.
 */
static int api_list(const struct request *req, struct response *resp)
{
	struct api_list_query q;
	struct tier_pg_listed *v = NULL;
	struct tier_pg *pg;
	size_t n = 0, i, shown;
	char msg[128];
	enum quire_err rc;

	if (page_api_list_query_parse(req->query, &q) != 200) {
		snprintf(msg, sizeof(msg), "bad query parameter: %s", q.bad);
		return api_error(resp, 400, msg, 0, 0);
	}
	pg = tiers_pg(req->app->tiers);
	if (!pg)
		return api_error(resp, 503, "database unavailable", 0, 0);
	/* one more than shown: whether a next page exists */
	rc = tier_pg_list(pg, q.after, q.origin, q.limit + 1, &v, &n);
	if (rc == QUIRE_EIO)
		tiers_pg_failed(req->app->tiers);
	if (rc != QUIRE_OK)
		return api_error(resp, rc == QUIRE_ENOMEM ? 500 : 503,
				 rc == QUIRE_ENOMEM ? "out of memory" :
				 "database unavailable", 0, 0);
	shown = n > q.limit ? q.limit : n;
	buf_reset(&resp->body);
	buf_puts(&resp->body, "{\"posts\":[");
	for (i = 0; i < shown; i++) {
		if (i)
			buf_putc(&resp->body, ',');
		list_entry(&resp->body, req->app->site, &v[i]);
	}
	buf_puts(&resp->body, "],\"next\":");
	if (n > shown) {
		buf_putc(&resp->body, '"');
		html_json_escape(&resp->body, v[shown - 1].slug,
				 strlen(v[shown - 1].slug));
		buf_putc(&resp->body, '"');
	} else {
		buf_puts(&resp->body, "null");
	}
	buf_puts(&resp->body, "}\n");
	tier_pg_listed_free(v, n);
	resp->status = 200;
	resp->content_type = "application/json";
	return 200;
}

/* The write for the committer in *write (it takes rec); 0, or 500. */
static int api_write(struct response *resp, enum commit_op op,
		     const char *slug, const struct precond *cond,
		     struct record *rec, struct commit_request **write)
{
	struct commit_request *w = calloc(1, sizeof(*w));

	if (!w || !(w->slug = strdup(slug))) {
		free(w);
		record_free(rec);
		return api_error(resp, 500, "out of memory", 0, 0);
	}
	w->op = op;
	w->cond = *cond;
	w->rec = rec;
	*write = w;
	return 0;
}

int page_api_markdown_type(const char *ct)
{
	return ct && strncasecmp(ct, "text/markdown", 13) == 0 &&
	       (!ct[13] || ct[13] == ';' || ct[13] == ' ' || ct[13] == '\t');
}

/* A 409 with the message msg and one more field, name: value (a JSON
 * null when value is empty). */
static int api_conflict(struct response *resp, const char *msg,
			const char *name, const char *value)
{
	buf_reset(&resp->body);
	buf_puts(&resp->body, "{\"error\":\"");
	html_json_escape(&resp->body, msg, strlen(msg));
	buf_printf(&resp->body, "\",\"%s\":", name);
	if (*value) {
		buf_putc(&resp->body, '"');
		html_json_escape(&resp->body, value, strlen(value));
		buf_putc(&resp->body, '"');
	} else {
		buf_puts(&resp->body, "null");
	}
	buf_puts(&resp->body, "}\n");
	resp->status = 409;
	resp->content_type = "application/json";
	resp->cacheable = 0;
	return 409;
}

/*
 * 409: slug equals other but for ASCII case (a duplicate, DESIGN §3):
 * {"error": ..., "slug": the held one, null when not known}.
 */
static int api_case_error(struct response *resp, const char *slug,
			  const char *other)
{
	char msg[2 * QUIRE_MAX_SLUG + 160];

	snprintf(msg, sizeof(msg), "slug \"%s\" differs only in letter case "
		 "from the existing post%s%s%s: write to that slug, or choose "
		 "another", slug, *other ? " \"" : "", other, *other ? "\"" : "");
	return api_conflict(resp, msg, "slug", other);
}

/*
 * 409 when PostgreSQL holds a slug equal to slug but for ASCII case
 * (api_case_error). 0 when there is none; 503 when PostgreSQL cannot
 * say. Checked before the write is queued, so most twins are told
 * without a commit; two PUTs of such slugs at one instant both pass
 * here, and the unique index refuses the second in the commit
 * (QUIRE_ECASE, the same 409: page_api_answer).
 */
static int api_other_case(const struct request *req, struct response *resp,
			  const char *slug)
{
	struct tier_pg *pg = tiers_pg(req->app->tiers);
	char *other = NULL;
	enum quire_err rc;
	int status;

	if (!pg)
		return api_error(resp, 503, "database unavailable", 0, 0);
	rc = tier_pg_other_case(pg, slug, &other);
	if (rc == QUIRE_EIO)
		tiers_pg_failed(req->app->tiers);
	if (rc != QUIRE_OK)
		return api_error(resp, rc == QUIRE_ENOMEM ? 500 : 503,
				 rc == QUIRE_ENOMEM ? "out of memory" :
				 "database unavailable", 0, 0);
	if (!other)
		return 0;
	status = api_case_error(resp, slug, other);
	free(other);
	return status;
}

static int api_put(const struct request *req, struct response *resp,
		   const char *slug, const struct precond *cond,
		   struct commit_request **write)
{
	struct content_options opt = { 0 }; /* raw HTML never from the API */
	struct parse_error err;
	struct record *rec = NULL;
	struct post *p = NULL;
	char path[QUIRE_MAX_SLUG + 8], *text;
	char url[PERMALINK_MAX_URL + 1], msg[PERMALINK_MAX_URL + 128];
	const char *why;
	enum quire_err rc;
	int status;

	if (!page_api_markdown_type(req->content_type))
		return api_error(resp, 415, "expected Content-Type: text/markdown",
				 0, 0);
	text = malloc(req->body_len + 1);
	if (!text)
		return api_error(resp, 500, "out of memory", 0, 0);
	memcpy(text, req->body ? req->body : "", req->body_len);
	text[req->body_len] = '\0';
	/* The file-name rule then gives the URL's slug when the
	 * frontmatter has none. */
	snprintf(path, sizeof(path), "%s.md", slug);
	memset(&err, 0, sizeof(err));
	rc = content_parse_file(path, POST_KIND_POST, text, req->body_len, &opt,
				&p, &err);
	if (rc == QUIRE_ENOMEM)
		return api_error(resp, 500, "out of memory", 0, 0);
	/* 413 is for the size alone; other limits (nesting, tags, table
	 * columns) are a bad request like any other. */
	if (rc != QUIRE_OK)
		return api_error(resp, rc == QUIRE_ETOOBIG &&
				 req->body_len > QUIRE_MAX_FILE ? 413 : 400,
				 err.message[0] ? err.message : quire_strerror(rc),
				 err.line, err.column);
	if (strcmp(p->slug, slug) != 0) {
		post_free(p);
		return api_error(resp, 400, "the frontmatter's slug differs from "
				 "the URL's", 0, 0);
	}
	status = api_other_case(req, resp, slug);
	if (status) {
		post_free(p);
		return status;
	}
	/* A URL the workers would refuse (site_build) would commit a post
	 * nobody can read. */
	why = site_url_refused(req->app->site ? req->app->site->conf : NULL, p,
			       url, sizeof(url));
	if (why) {
		snprintf(msg, sizeof(msg), "its URL \"%s\" %s; give it another "
			 "slug", url, why);
		post_free(p);
		return api_error(resp, 400, msg, 0, 0);
	}
	rec = record_from_post(p, RECORD_ORIGIN_API);
	post_free(p);
	if (!rec)
		return api_error(resp, 500, "out of memory", 0, 0);
	free(rec->path);
	rec->path = NULL;

	return api_write(resp, COMMIT_OP_PUT, slug, cond, rec, write);
}

/* Why a write's precondition failed, as far as it tells. */
static const char *conflict_message(const struct precond *c)
{
	if ((c->flags & PRECOND_ABSENT) && !(c->flags & PRECOND_EXISTS))
		return "the post exists (If-None-Match: *)";
	if (!(c->flags & PRECOND_EXISTS))
		return "the post is at a revision If-None-Match names";
	return "the post changed or does not exist (If-Match): fetch it and "
	       "retry";
}

/*
 * 409: the slug is a content file's, and the API may neither replace
 * nor delete it (DESIGN §7): {"error": ..., "path": the file} (path
 * null when the committer could not say). The post stays as deployed;
 * the file is where it changes.
 */
static int api_owned_error(struct response *resp, const char *slug,
			   const char *path)
{
	char msg[COMMIT_WIRE_MAX_MESSAGE + QUIRE_MAX_SLUG + 128];

	snprintf(msg, sizeof(msg), "slug \"%s\" belongs to the content file "
		 "%s%s%s: edit that file and deploy it, or write another slug",
		 slug, *path ? "\"" : "", *path ? path : "that gives it",
		 *path ? "\"" : "");
	return api_conflict(resp, msg, "path", path);
}

int page_api_answer(const struct commit_request *w,
		    const struct commit_reply *r, const struct site *s,
		    struct response *resp)
{
	const char *slug = w->slug;
	char url[PERMALINK_MAX_URL + 1];

	resp->cacheable = 0;
	if (r->rc == QUIRE_EOWNED)
		return api_owned_error(resp, slug, r->message);
	if (r->rc == QUIRE_ECASE)
		return api_case_error(resp, slug, r->message);
	if (r->rc == QUIRE_ECONFLICT)
		return api_error(resp, 412, conflict_message(&w->cond), 0, 0);
	if (r->rc == QUIRE_ENOTFOUND)
		return api_error(resp, 404, "no such post", 0, 0);
	if (r->rc == QUIRE_EPARSE || r->rc == QUIRE_EINVAL)
		return api_error(resp, 400, r->message[0] ? r->message :
				 quire_strerror(r->rc), 0, 0);
	if (r->rc != QUIRE_OK) {
		log_msg(LOG_LEVEL_WARN, "api", "%s slug=\"%s\" token=%s addr=\"%s\": %s",
			w->op == COMMIT_OP_PUT ? "put" : "delete", slug,
			w->token_id, w->addr,
			r->message[0] ? r->message : quire_strerror(r->rc));
		return api_error(resp, 503, "database unavailable; the write was "
				 "not acknowledged", 0, 0);
	}
	/* Committed, so 2xx whatever the workers did; how many of them
	 * acknowledged it is said (DESIGN §7, "acknowledged"). */
	if (r->live < 0)
		snprintf(resp->acknowledged, sizeof(resp->acknowledged), "unknown");
	else
		snprintf(resp->acknowledged, sizeof(resp->acknowledged), "%d/%d",
			 (int)r->acked, (int)r->live);
	/* Which token wrote it, by its id: never the token (DESIGN §7). */
	log_msg(LOG_LEVEL_INFO, "api", "%s slug=\"%s\" revision=%lld "
		"generation=%lld acknowledged=%s token=%s addr=\"%s\"",
		w->op == COMMIT_OP_PUT ? "put" : "delete", slug, r->revision,
		r->generation, resp->acknowledged, w->token_id, w->addr);
	buf_reset(&resp->body);
	if (w->op == COMMIT_OP_DELETE) {
		resp->status = 204;
		resp->content_type = "application/json";
		return 204;
	}
	buf_puts(&resp->body, "{\"slug\":\"");
	html_json_escape(&resp->body, slug, strlen(slug));
	buf_printf(&resp->body, "\",\"revision\":%lld,\"etag\":\"\\\"%lld\\\"\","
		   "\"url\":\"", r->revision, r->revision);
	api_url(s, w->rec, url, sizeof(url));
	html_json_escape(&resp->body, url, strlen(url));
	buf_printf(&resp->body, "\",\"generation\":%lld}\n", r->generation);
	snprintf(resp->etag, sizeof(resp->etag), "\"%lld\"", r->revision);
	resp->content_type = "application/json";
	resp->status = r->created ? 201 : 200;
	return resp->status;
}

/* A wrong token from addr: counted against it, logged (at most the
 * allowed failures a window, so the log is bounded as the guesses are). */
static void auth_failed(const struct request *req, uint64_t key, uint32_t now)
{
	const struct config *cfg = req->app->cfg;
	uint32_t n = 0, max = (uint32_t)cfg->api_max_failures;
	char esc[80];

	metrics_add(METRIC_API_AUTH_FAILURES, 1);
	if (max)
		n = auth_throttle_fail(key, (uint32_t)cfg->api_failure_window, now);
	log_escape(req->remote_addr ? req->remote_addr : "", esc, sizeof(esc));
	if (!max)
		log_msg(LOG_LEVEL_WARN, "api", "wrong token addr=\"%s\"", esc);
	else if (n == max)
		log_msg(LOG_LEVEL_WARN, "api", "wrong token addr=\"%s\" failures=%u; "
			"throttled: 429 for the rest of its %d s window", esc, n,
			cfg->api_failure_window);
	else if (n < max)
		log_msg(LOG_LEVEL_WARN, "api", "wrong token addr=\"%s\" failures=%u",
			esc, n);
}

int page_api_auth(const struct request *req, struct response *resp,
		  char id[AUTH_ID_LEN + 1])
{
	const struct config *cfg = req->app->cfg;
	uint32_t now = 0, wait = 0;
	uint64_t key = 0;
	int status;

	id[0] = '\0';
	resp->cacheable = 0;
	if (!req->app->auth)
		return api_error(resp, 404, "the write API is off", 0, 0);
	/* A throttled address learns nothing of its token, good or not:
	 * else the throttle would still answer every guess. */
	if (cfg->api_max_failures > 0) {
		key = auth_throttle_key(req->remote_addr);
		now = auth_throttle_now();
		wait = auth_throttle_wait(key, (uint32_t)cfg->api_max_failures,
					  (uint32_t)cfg->api_failure_window, now);
	}
	if (wait) {
		char msg[96];

		metrics_add(METRIC_API_THROTTLED, 1);
		snprintf(msg, sizeof(msg), "too many failed attempts from this "
			 "address: retry in %u s", wait);
		api_error(resp, 429, msg, 0, 0);
		resp->retry_after = wait;
		return 429;
	}
	status = auth_check(req->app->auth, req->authorization, id);
	if (status == 401) {
		api_error(resp, 401, "a bearer token is required", 0, 0);
		resp->www_authenticate = "Bearer";
		return 401;
	}
	if (status != 200) {
		auth_failed(req, key, now);
		return api_error(resp, 403, "wrong token", 0, 0);
	}
	return 200;
}

int page_api(const struct request *req, struct response *resp,
	     struct commit_request **write)
{
	const char *slug, *bad, *m = req->method ? req->method : "";
	struct precond cond;
	enum quire_err rc;

	*write = NULL;
	resp->cacheable = 0;
	/* page_api_auth() came first, before the body was read. */
	if (!req->token_id || !req->token_id[0])
		return api_error(resp, 401, "a bearer token is required", 0, 0);
	if (strcmp(req->uri.path, "/api/posts") == 0 ||
	    strcmp(req->uri.path, API_PREFIX) == 0) {
		if (!req->app->tiers)
			return api_error(resp, 503, "no database configured", 0, 0);
		if ((strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0) &&
		    req->app->unsure)
			return api_unsure(resp);
		if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0)
			return api_list(req, resp);
		api_error(resp, 405, "use GET to list the posts", 0, 0);
		resp->allow = "GET, HEAD";
		return 405;
	}
	if (strncmp(req->uri.path, API_PREFIX, strlen(API_PREFIX)) != 0)
		return api_error(resp, 404, "no such resource", 0, 0);
	slug = req->uri.path + strlen(API_PREFIX);
	if (!post_slug_valid(slug))
		return api_error(resp, 400, "invalid slug (ASCII letters, digits, "
				 "'-', '_' and '.')", 0, 0);
	if (!req->app->tiers)
		return api_error(resp, 503, "no database configured", 0, 0);
	if (strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0 &&
	    strcmp(m, "PUT") != 0 && strcmp(m, "DELETE") != 0) {
		api_error(resp, 405, "use GET, PUT or DELETE", 0, 0);
		resp->allow = "GET, HEAD, PUT, DELETE";
		return 405;
	}
	rc = precond_parse(req->if_match, req->if_none_match, &cond, &bad);
	if (rc != QUIRE_OK)
		return api_bad_precond(resp, rc, bad);
	if (strcmp(m, "PUT") == 0 && req->app->unsure)
		return api_unsure(resp);
	if (strcmp(m, "PUT") == 0)
		return api_put(req, resp, slug, &cond, write);
	if (strcmp(m, "DELETE") == 0)
		return api_write(resp, COMMIT_OP_DELETE, slug, &cond, NULL, write);
	return api_get(req, resp, slug, &cond);
}
