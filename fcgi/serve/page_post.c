/*
 * page_post.c - a post at its URL ("/posts/SLUG" unless site.yaml says
 * otherwise), and the showing of a post or a static page
 * (page_static.c) that both share
 */
#include <stdio.h>

#include "content/permalink.h"
#include "content/post.h"
#include "content/record.h"
#include "content/site.h"
#include "lib/quire.h"
#include "serve/app.h"
#include "serve/page.h"
#include "serve/page_post.h"
#include "serve/view.h"

int page_post_show(const struct request *req, struct response *resp,
		   const struct post *p, const char *tpl, const char *field,
		   const char *og_type)
{
	char path[PERMALINK_MAX_URL + 1], img[PERMALINK_MAX_URL + 256];
	const char *url;
	struct tvars *v = NULL, *o;
	struct record *hold = NULL;
	struct post *fresh = NULL;
	const char *html, *toc;
	int status = 500;

	/* The index's URL, before p may become the version the body is of */
	url = site_post_url(req->app->site, p, path, sizeof(path));
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
	status = view_html(req, tpl, v, view_title_text(p), p->description, url,
			   og_type, site_post_image(req->app->site, p, img,
						    sizeof(img)), resp);
out:
	tvars_free(v);
	post_free(fresh);
	record_free(hold);
	return status;
}

int page_post(const struct request *req, struct response *resp)
{
	const struct post *p = req->post;

	if (!p || req->uri.page > 1)
		return page_not_found(req, resp);
	return page_post_show(req, resp, p, "post", "post", "article");
}
