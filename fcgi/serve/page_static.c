/*
 * page_static.c - "/pages/SLUG": one static page
 */
#include "serve/app.h"
#include "serve/page.h"
#include "serve/page_post.h"

int page_static(const struct request *req, struct response *resp)
{
	const struct post *p = site_page(req->app->site, req->params[0]);

	/* another letter case: 301 to the page's slug as written */
	if (!p && req->uri.page <= 1 &&
	    (p = site_page_folded(req->app->site, req->params[0])))
		return page_post_redirect(p, resp);
	if (!p || req->uri.page > 1)
		return page_not_found(req, resp);
	return page_post_show(req, resp, p, "page", "page", "website");
}
