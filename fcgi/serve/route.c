/*
 * route.c - which handler answers a path
 *
 * Posts and pages first, by one exact lookup of their canonical URL in
 * the site's table (site_path: the URLs site.yaml's permalinks make,
 * none of them one of the routes below, content/permalink.h); then a
 * static table of quire's own routes, in the manner of cgit's cmd.c:
 * '*' stands for exactly one non-empty path segment, which is captured
 * for the handler; then the old forms of posts' URLs, one exact lookup
 * more. Only GET and HEAD reach here; the worker answers other methods
 * before routing.
 */
#include <stdio.h>
#include <string.h>

#include "content/permalink.h"
#include "content/site.h"
#include "serve/app.h"
#include "serve/route.h"

static const struct route {
	const char *pattern;
	int (*handler)(const struct request *req, struct response *resp);
} routes[] = {
	{ "/", page_home },
	{ "/posts/", page_list },
	{ "/tags/", page_taxonomy_tags_index },
	{ "/tags/*", page_taxonomy_tag },
	{ "/tags/*/feed.xml", page_feed_tag },
	{ "/tags/*/feed.json", page_feed_json_tag },
	{ "/categories/", page_taxonomy_categories_index },
	{ "/categories/*", page_taxonomy_category },
	{ "/archives/", page_archives_index },
	{ "/archives/*/", page_archive_year },
	{ "/archives/*/*/", page_archive_month },
	{ "/authors/", page_authors_index },
	{ "/authors/*/", page_author },
	{ "/authors/*/feed.xml", page_feed_author },
	{ "/authors/*/feed.json", page_feed_json_author },
	{ "/feed.xml", page_feed },
	{ "/feed.json", page_feed_json },
	{ "/sitemap.xml", page_feed_sitemap },
	{ "/preview/*", page_preview },
	{ "/healthz", page_health },
	{ "/search", page_search },
	{ "/metrics", page_metrics },
};

/* Matches one pattern; captures '*' segments into req->params. */
static int match(const char *pat, const char *path, struct request *req)
{
	const char *end;
	size_t len;
	int n = 0;

	while (*pat && *path) {
		if (*pat == '*') {
			end = strchr(path, '/');
			len = end ? (size_t)(end - path) : strlen(path);
			if (len == 0 || n >= PAGE_MAX_PARAMS || len > QUIRE_MAX_URI)
				return 0;
			memcpy(req->params[n], path, len);
			req->params[n][len] = '\0';
			n++;
			path += len;
			pat++;
			continue;
		}
		if (*pat != *path)
			return 0;
		pat++;
		path++;
	}
	if (*pat || *path)
		return 0;
	req->n_params = n;
	return 1;
}

static const struct route *find(const char *path, struct request *req)
{
	size_t i;

	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (match(routes[i].pattern, path, req))
			return &routes[i];
	return NULL;
}

const char *route_pattern(const char *path, struct request *req)
{
	const struct route *r = find(path, req);

	return r ? r->pattern : NULL;
}

int route_needs_site(const char *path)
{
	return strcmp(path, "/healthz") != 0 && strcmp(path, "/metrics") != 0;
}

/* Writes path in its other trailing-slash form into out; 0 if none. */
static int other_form(const char *path, size_t len, char *out, size_t outsz)
{
	if (len <= 1 || len + 2 > outsz)
		return 0;
	if (path[len - 1] == '/') {
		memcpy(out, path, len - 1);
		out[len - 1] = '\0';
	} else {
		memcpy(out, path, len);
		out[len] = '/';
		out[len + 1] = '\0';
	}
	return 1;
}

/* One hop to p's canonical URL, which the next request finds in
 * site_path: never a chain, never a loop. */
static int redirect_to_post(const struct request *req, const struct post *p,
			    struct response *resp)
{
	char buf[PERMALINK_MAX_URL + 1];

	response_redirect(resp, site_post_url(req->app->site, p, buf,
					      sizeof(buf)), 1);
	return resp->status;
}

/*
 * WordPress's ?p=ID links: an imported post's alias "PATH?p=ID" (one
 * exact lookup, the path as requested) answers 301, any other ?p=ID is
 * 404, as WordPress answers an unknown ID. Not cached either way, and
 * the L1 key holds the ID (uri.c), so no copy of PATH answers for it.
 */
static int route_wp_id(struct request *req, struct response *resp)
{
	char key[QUIRE_MAX_URI + 32];
	struct post *p;
	int n;

	n = snprintf(key, sizeof(key), "%s?p=%lld", req->uri.path,
		     req->uri.wp_id);
	p = n > 0 && (size_t)n < sizeof(key) ?
		site_alias(req->app->site, key) : NULL;
	if (p)
		return redirect_to_post(req, p, resp);
	return page_not_found(req, resp);
}

int route_dispatch(struct request *req, struct response *resp)
{
	char alt[QUIRE_MAX_URI + 2];
	const struct route *r;
	const struct post *p;
	struct request probe;

	if (req->uri.wp_id > 0)
		return route_wp_id(req, resp);
	req->post = NULL;
	p = site_path(req->app->site, req->uri.path);
	if (p) {
		req->post = p;
		return p->kind == POST_KIND_PAGE ? page_static(req, resp) :
		       page_post(req, resp);
	}
	r = find(req->uri.path, req);
	if (r)
		return r->handler(req, resp);

	/* Old URLs: other forms of a post's URL, /posts/SLUG under another
	 * pattern, aliases (each with and without a slash). */
	p = site_alias(req->app->site, req->uri.path);
	if (p)	/* a post has no page 2: nor has its old URL */
		return req->uri.page > 1 ? page_not_found(req, resp) :
		       redirect_to_post(req, p, resp);

	/* alt is decoded: response_redirect percent-encodes it again. */
	if (other_form(req->uri.path, req->uri.path_len, alt, sizeof(alt)) &&
	    (r = find(alt, &probe))) {
		response_redirect(resp, alt, req->uri.page);
		return resp->status;
	}
	return page_not_found(req, resp);
}
