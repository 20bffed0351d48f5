/*
 * page_post.c - "/posts/SLUG": one post, and the showing of a post or
 * a static page (page_static.c) that both share
 */
#include <stdio.h>

#include "content/post.h"
#include "content/record.h"
#include "lib/quire.h"
#include "serve/app.h"
#include "serve/page.h"
#include "serve/page_post.h"
#include "serve/view.h"

/* The canonical path of p: one place writes it, for the page's own
 * canonical link and for every 301 to it. */
static void post_path(const struct post *p, char *out, size_t outsz)
{
	snprintf(out, outsz, "/%s/%s",
		 p->kind == POST_KIND_PAGE ? "pages" : "posts", p->slug);
}

int page_post_redirect(const struct post *p, struct response *resp)
{
	char loc[QUIRE_MAX_URI + 16];

	post_path(p, loc, sizeof(loc));
	response_redirect(resp, loc, 1);
	return resp->status;
}

int page_post_show(const struct request *req, struct response *resp,
		   const struct post *p, const char *tpl, const char *field,
		   const char *og_type)
{
	char path[QUIRE_MAX_SLUG + 16];
	struct tvars *v = NULL, *o;
	struct record *hold = NULL;
	struct post *fresh = NULL;
	const char *html, *toc;
	int status = 500;

	switch (app_body(req->app, p, &html, &toc, &hold)) {
	case QUIRE_OK:
		break;
	case QUIRE_ENOTFOUND:
		return page_not_found(req, resp);
	default:
		return 503; /* no tier could give the body */
	}
	/* The body is of another version than the index's entry: the page
	 * is that version's whole, title and all. */
	if (app_body_version(p, hold, &fresh) != QUIRE_OK)
		goto out;
	if (fresh)
		p = fresh;
	v = tvars_new();
	if (!v)
		goto out;
	o = tvars_object(v, field);
	if (!o || view_post(o, req->app->site, p) != QUIRE_OK ||
	    tvars_set(o, "html", html) != QUIRE_OK ||
	    tvars_set(o, "toc", toc) != QUIRE_OK)
		goto out;
	post_path(p, path, sizeof(path));
	status = view_html(req, tpl, v, view_title_text(p), p->description, path,
			   og_type, p->featured_image, resp);
out:
	tvars_free(v);
	post_free(fresh);
	record_free(hold);
	return status;
}

int page_post(const struct request *req, struct response *resp)
{
	const struct post *p = site_post(req->app->site, req->params[0]);

	/* The slug in another letter case: 301 to the slug as written, from
	 * the index alone (an unknown slug touches no tier). */
	if (!p && req->uri.page <= 1 &&
	    (p = site_post_folded(req->app->site, req->params[0])))
		return page_post_redirect(p, resp);
	if (!p || req->uri.page > 1)
		return page_not_found(req, resp);
	return page_post_show(req, resp, p, "post", "post", "article");
}
