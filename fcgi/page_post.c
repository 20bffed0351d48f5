/*
 * page_post.c - "/posts/SLUG" and "/pages/SLUG": one post or static page
 */
#include <stdio.h>

#include "page.h"
#include "quire.h"
#include "view.h"

static int show(const struct request *req, struct response *resp,
		const struct post *p, const char *tpl, const char *field,
		const char *og_type)
{
	char path[QUIRE_MAX_SLUG + 16];
	struct tvars *v, *o;
	int status = 500;

	v = tvars_new();
	if (!v)
		return 500;
	o = tvars_object(v, field);
	if (!o || view_post(o, req->app->site, p) != QUIRE_OK)
		goto out;
	snprintf(path, sizeof(path), "/%s/%s",
		 p->kind == POST_KIND_PAGE ? "pages" : "posts", p->slug);
	status = view_html(req, tpl, v, p->title, p->description, path,
			   og_type, p->featured_image, resp);
out:
	tvars_free(v);
	return status;
}

int page_post(const struct request *req, struct response *resp)
{
	const struct post *p = site_post(req->app->site, req->params[0]);

	if (!p || req->uri.page > 1)
		return page_not_found(req, resp);
	return show(req, resp, p, "post", "post", "article");
}

int page_static(const struct request *req, struct response *resp)
{
	const struct post *p = site_page(req->app->site, req->params[0]);

	if (!p || req->uri.page > 1)
		return page_not_found(req, resp);
	return show(req, resp, p, "page", "page", "website");
}
