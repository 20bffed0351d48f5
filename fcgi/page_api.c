/*
 * page_api.c - "/api/posts/SLUG": the write API (DESIGN §7)
 *
 * PUT takes the same Markdown-with-frontmatter text as a file; it is
 * validated and rendered here, committed to PostgreSQL with a new
 * generation, written to Redis and published, and only then answered.
 * Nothing is acknowledged that PostgreSQL did not commit. If-Match with
 * the ETag ("REVISION") makes a write conditional (412 when the post
 * changed meanwhile: no lost update); If-None-Match: * creates only.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "auth.h"
#include "html.h"
#include "log.h"
#include "metrics.h"
#include "page.h"
#include "quire.h"
#include "tier_pg.h"
#include "tier_redis.h"
#include "tiers.h"

#define API_PREFIX "/api/posts/"
#define API_ACK_TIMEOUT_MS 2000
#define API_WORKER_MAX_AGE_S 10

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

/* Parses an If-Match value "N" (a quoted revision); -2 when malformed. */
static long long parse_etag(const char *v)
{
	char *end;
	long long n;

	while (*v == ' ')
		v++;
	if (strncmp(v, "W/", 2) == 0)
		v += 2;
	if (*v++ != '"')
		return -2;
	n = strtoll(v, &end, 10);
	if (end == v || *end != '"' || n < 1)
		return -2;
	return n;
}

/* Tells every worker: Redis, then the acknowledgements; without Redis,
 * the master (a reload). The write is already durable either way. */
static void announce(struct tiers *t, struct record *rec, const char *gone,
		     long long gen)
{
	struct tier_redis *r = tiers_redis(t);
	const char *slug = rec ? rec->slug : gone;
	char *dels[1] = { (char *)gone };
	long long receivers;
	size_t live, acked;

	if (r && tier_redis_store(r, rec ? &rec : NULL, rec ? 1 : 0,
				  gone ? dels : NULL, gone ? 1 : 0, gen) == QUIRE_OK &&
	    tier_redis_publish(r, gen, &slug, 1, 0, &receivers) == QUIRE_OK) {
		if (tiers_wait_acks(r, gen, API_ACK_TIMEOUT_MS, API_WORKER_MAX_AGE_S,
				    0, &live, &acked) != QUIRE_OK)
			log_msg(LOG_LEVEL_WARN, "api", "generation=%lld acknowledged "
				"by %zu of %zu workers", gen, acked, live);
		return;
	}
	log_msg(LOG_LEVEL_WARN, "api", "redis unreachable; asking the master to "
		"reload for generation %lld", gen);
	kill(getppid(), SIGHUP);
}

static int api_get(const struct request *req, struct response *resp,
		   const char *slug)
{
	struct record *rec = NULL;
	int rc = tiers_fetch(req->app->tiers, slug, &rec);

	if (rc == QUIRE_ENOTFOUND)
		return api_error(resp, 404, "no such post", 0, 0);
	if (rc != QUIRE_OK)
		return api_error(resp, 503, "storage unavailable", 0, 0);
	buf_reset(&resp->body);
	buf_append(&resp->body, rec->source, rec->source_len);
	snprintf(resp->etag, sizeof(resp->etag), "\"%lld\"", rec->revision);
	resp->status = 200;
	resp->content_type = "text/markdown; charset=utf-8";
	record_free(rec);
	return 200;
}

static int api_put(const struct request *req, struct response *resp,
		   const char *slug, long long expect)
{
	struct content_options opt = { 0 }; /* raw HTML never from the API */
	struct parse_error err;
	struct record *rec = NULL;
	struct post *p = NULL;
	struct tier_pg *pg;
	char path[QUIRE_MAX_SLUG + 8], *text;
	long long gen;
	int created = 0, rc, status;

	if (!req->content_type ||
	    strncasecmp(req->content_type, "text/markdown", 13) != 0 ||
	    (req->content_type[13] && req->content_type[13] != ';' &&
	     req->content_type[13] != ' '))
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
	if (rc != QUIRE_OK)
		return api_error(resp, rc == QUIRE_ETOOBIG ? 413 : 400,
				 err.message[0] ? err.message : quire_strerror(rc),
				 err.line, err.column);
	if (strcmp(p->slug, slug) != 0) {
		post_free(p);
		return api_error(resp, 400, "the frontmatter's slug differs from "
				 "the URL's", 0, 0);
	}
	rec = record_from_post(p, RECORD_ORIGIN_API);
	post_free(p);
	if (!rec)
		return api_error(resp, 500, "out of memory", 0, 0);
	free(rec->path);
	rec->path = NULL;

	pg = tiers_pg(req->app->tiers);
	if (!pg) {
		status = api_error(resp, 503, "database unavailable; nothing written",
				   0, 0);
		goto out;
	}
	rc = tier_pg_put(pg, rec, expect, &created, &gen);
	if (rc == QUIRE_ECONFLICT) {
		status = api_error(resp, 412, expect == 0 ? "the post exists" :
				   "the post changed: fetch it and retry", 0, 0);
		goto out;
	}
	if (rc == QUIRE_EIO) {
		tiers_pg_failed(req->app->tiers);
		status = api_error(resp, 503, "database unavailable; nothing written",
				   0, 0);
		goto out;
	}
	if (rc != QUIRE_OK) {
		status = api_error(resp, 400, tier_pg_error(pg), 0, 0);
		goto out;
	}
	metrics_add(METRIC_API_WRITES, 1);
	announce(req->app->tiers, rec, NULL, gen);
	buf_reset(&resp->body);
	buf_puts(&resp->body, "{\"slug\":\"");
	html_json_escape(&resp->body, rec->slug, strlen(rec->slug));
	buf_printf(&resp->body, "\",\"revision\":%lld,\"etag\":\"\\\"%lld\\\"\","
		   "\"url\":\"/posts/", rec->revision, rec->revision);
	html_json_escape(&resp->body, rec->slug, strlen(rec->slug));
	buf_printf(&resp->body, "\",\"generation\":%lld}\n", gen);
	snprintf(resp->etag, sizeof(resp->etag), "\"%lld\"", rec->revision);
	resp->content_type = "application/json";
	status = resp->status = created ? 201 : 200;
	log_msg(LOG_LEVEL_INFO, "api", "put slug=\"%s\" revision=%lld generation=%lld",
		rec->slug, rec->revision, gen);
out:
	record_free(rec);
	return status;
}

static int api_delete(const struct request *req, struct response *resp,
		      const char *slug, long long expect)
{
	struct tier_pg *pg = tiers_pg(req->app->tiers);
	long long gen;
	int rc;

	if (!pg)
		return api_error(resp, 503, "database unavailable; nothing deleted",
				 0, 0);
	rc = tier_pg_delete(pg, slug, expect, &gen);
	if (rc == QUIRE_ENOTFOUND)
		return api_error(resp, 404, "no such post", 0, 0);
	if (rc == QUIRE_ECONFLICT)
		return api_error(resp, 412, "the post changed: fetch it and retry",
				 0, 0);
	if (rc != QUIRE_OK) {
		tiers_pg_failed(req->app->tiers);
		return api_error(resp, 503, "database unavailable; nothing deleted",
				 0, 0);
	}
	metrics_add(METRIC_API_WRITES, 1);
	announce(req->app->tiers, NULL, slug, gen);
	log_msg(LOG_LEVEL_INFO, "api", "delete slug=\"%s\" generation=%lld", slug, gen);
	buf_reset(&resp->body);
	resp->status = 204;
	resp->content_type = "application/json";
	return 204;
}

int page_api(const struct request *req, struct response *resp)
{
	const char *slug, *m = req->method ? req->method : "";
	long long expect = -1;
	int status;

	resp->cacheable = 0;
	if (!req->app->auth)
		return api_error(resp, 404, "the write API is off", 0, 0);
	status = auth_check(req->app->auth, req->authorization);
	if (status == 401) {
		api_error(resp, 401, "a bearer token is required", 0, 0);
		resp->www_authenticate = "Bearer";
		return 401;
	}
	if (status != 200)
		return api_error(resp, 403, "wrong token", 0, 0);
	if (strncmp(req->uri.path, API_PREFIX, strlen(API_PREFIX)) != 0)
		return api_error(resp, 404, "no such resource", 0, 0);
	slug = req->uri.path + strlen(API_PREFIX);
	if (!post_slug_valid(slug))
		return api_error(resp, 400, "invalid slug (lower-case letters, digits, "
				 "'-', '_' and '.')", 0, 0);
	if (!req->app->tiers)
		return api_error(resp, 503, "no database configured", 0, 0);
	if (req->if_match && *req->if_match) {
		expect = parse_etag(req->if_match);
		if (expect == -2)
			return api_error(resp, 400, "malformed If-Match", 0, 0);
	} else if (req->if_none_match && strcmp(req->if_none_match, "*") == 0) {
		expect = 0;
	}
	if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0)
		return api_get(req, resp, slug);
	if (strcmp(m, "PUT") == 0)
		return api_put(req, resp, slug, expect);
	if (strcmp(m, "DELETE") == 0)
		return api_delete(req, resp, slug, expect);
	api_error(resp, 405, "use GET, PUT or DELETE", 0, 0);
	resp->allow = "GET, HEAD, PUT, DELETE";
	return 405;
}
