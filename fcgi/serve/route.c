/*
 * route.c - which handler answers a path
 *
 * A static table of patterns, in the manner of cgit's cmd.c: '*' stands
 * for exactly one non-empty path segment, which is captured for the
 * handler. Only GET and HEAD reach here; the worker answers other
 * methods before routing.
 */
#include <stdio.h>
#include <string.h>

#include "serve/app.h"
#include "serve/page_post.h"
#include "serve/route.h"

static const struct route {
	const char *pattern;
	int (*handler)(const struct request *req, struct response *resp);
} routes[] = {
	{ "/", page_home },
	{ "/posts/", page_list },
	{ "/posts/*", page_post },
	{ "/pages/*", page_static },
	{ "/tags/", page_taxonomy_tags_index },
	{ "/tags/*", page_taxonomy_tag },
	{ "/tags/*/feed.xml", page_feed_tag },
	{ "/categories/", page_taxonomy_categories_index },
	{ "/categories/*", page_taxonomy_category },
	{ "/feed.xml", page_feed },
	{ "/sitemap.xml", page_feed_sitemap },
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

/* The post or page a route with a slug names, in any letter case: what
 * the other trailing-slash form of a post's URL redirects to, at once
 * (one 301, not one for the slash and one for the case). */
static const struct post *slug_target(const struct route *r,
				      const struct request *probe,
				      const struct site *s)
{
	const struct post *p = NULL;

	if (r->handler == page_post && !(p = site_post(s, probe->params[0])))
		p = site_post_folded(s, probe->params[0]);
	else if (r->handler == page_static &&
		 !(p = site_page(s, probe->params[0])))
		p = site_page_folded(s, probe->params[0]);
	return p;
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
		return page_post_redirect(p, resp);
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
	r = find(req->uri.path, req);
	if (r)
		return r->handler(req, resp);

	/* Old URLs first: an alias may be written with or without a slash. */
	p = site_alias(req->app->site, req->uri.path);
	if (!p && other_form(req->uri.path, req->uri.path_len, alt, sizeof(alt)))
		p = site_alias(req->app->site, alt);
	if (p)
		return page_post_redirect(p, resp);

	/* alt is decoded: response_redirect percent-encodes it again. */
	if (other_form(req->uri.path, req->uri.path_len, alt, sizeof(alt)) &&
	    (r = find(alt, &probe))) {
		if (req->uri.page <= 1 &&
		    (p = slug_target(r, &probe, req->app->site)))
			return page_post_redirect(p, resp);
		response_redirect(resp, alt, req->uri.page);
		return resp->status;
	}
	return page_not_found(req, resp);
}
