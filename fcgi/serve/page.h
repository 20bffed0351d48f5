/*
 * page.h - what a page handler gets and the handlers themselves
 *
 * A handler reads the request and the site, fills the response and
 * returns an HTTP status. It never writes an error page itself: for a
 * status other than 200 the worker decides what the client sees.
 */
#ifndef QUIRE_PAGE_H
#define QUIRE_PAGE_H

#include "content/site.h"
#include "serve/response.h"
#include "serve/uri.h"

#define PAGE_MAX_PARAMS 2

/* What a worker serves from (app.h): a handler reads req->app. */
struct app;

struct request {
	const struct app *app;
	int is_head;
	/* For the API (valid until the request is finished): */
	const char *method;
	const char *authorization;
	const char *content_type;
	const char *if_match;
	const char *if_none_match;
	const char *query;            /* raw, after the '?'; NULL when none */
	/* The web server marked this request QUIRE_METRICS=1, a FastCGI
	 * parameter no client can send (DESIGN §4). */
	int metrics_allowed;
	const char *remote_addr;      /* the client, as the web server saw it */
	const char *token_id;         /* the API token's id (auth.h), once
				       * page_api_auth() let it in */
	const char *body;             /* NUL-terminated; body_len bytes */
	size_t body_len;
	struct uri uri;
	/* The post or page whose canonical URL the path is (route.c):
	 * what page_post and page_static show. */
	const struct post *post;
	/* Path segments captured by '*' in the route's pattern. */
	char params[PAGE_MAX_PARAMS][QUIRE_MAX_URI + 1];
	int n_params;
};

int page_home(const struct request *req, struct response *resp);
int page_list(const struct request *req, struct response *resp);
int page_post(const struct request *req, struct response *resp);
int page_static(const struct request *req, struct response *resp);
int page_taxonomy_tags_index(const struct request *req, struct response *resp);
int page_taxonomy_tag(const struct request *req, struct response *resp);
int page_taxonomy_categories_index(const struct request *req,
				   struct response *resp);
int page_taxonomy_category(const struct request *req, struct response *resp);
/* page_archive.c: "/archives/", a year's and a month's posts (404 for
 * a year or month with none, or not a date), "/authors/" and an
 * author's posts. */
int page_archives_index(const struct request *req, struct response *resp);
int page_archive_year(const struct request *req, struct response *resp);
int page_archive_month(const struct request *req, struct response *resp);
int page_authors_index(const struct request *req, struct response *resp);
int page_author(const struct request *req, struct response *resp);
int page_feed(const struct request *req, struct response *resp);
int page_feed_author(const struct request *req, struct response *resp);
int page_feed_tag(const struct request *req, struct response *resp);
int page_feed_json(const struct request *req, struct response *resp);
int page_feed_json_tag(const struct request *req, struct response *resp);
int page_feed_json_author(const struct request *req, struct response *resp);
int page_feed_sitemap(const struct request *req, struct response *resp);
/* "/preview/SLUG": an author's signed, expiring preview (preview.h) */
int page_preview(const struct request *req, struct response *resp);
int page_health(const struct request *req, struct response *resp);
/* "/search?q=...": full-text search (page_search.c); never in the L1. */
int page_search(const struct request *req, struct response *resp);
/* "/metrics": Prometheus text, where the web server allows it
 * (req->metrics_allowed); else the 404 page. */
int page_metrics(const struct request *req, struct response *resp);
/* Fills the 404 page (status 404). */
int page_not_found(const struct request *req, struct response *resp);

#endif
