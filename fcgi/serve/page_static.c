/*
 * page_static.c - a static page at its URL ("/pages/SLUG" unless
 * site.yaml says otherwise)
 */
#include "serve/app.h"
#include "serve/page.h"
#include "serve/page_post.h"

int page_static(const struct request *req, struct response *resp)
{
	const struct post *p = req->post;

	if (!p || req->uri.page > 1)
		return page_not_found(req, resp);
	return page_post_show(req, resp, p, "page", "page", "website");
}
