/*
 * page_list.c - "/posts/?page=N": every post, newest first, paginated
 */
#include <stdio.h>

#include "lib/config.h"
#include "lib/quire.h"
#include "serve/app.h"
#include "serve/page.h"
#include "serve/view.h"

int page_list(const struct request *req, struct response *resp)
{
	const struct site *s = req->app->site;
	size_t per = (size_t)req->app->cfg->posts_per_page;
	size_t pages = s->n_posts ? (s->n_posts + per - 1) / per : 1;
	size_t page = (size_t)req->uri.page, first, n;
	char title[64], path[64];
	struct tvars *v;
	int status = 500;

	if (page > pages)
		return page_not_found(req, resp);
	first = (page - 1) * per;
	n = s->n_posts - first < per ? s->n_posts - first : per;
	v = tvars_new();
	if (!v)
		return 500;
	if (page > 1)
		snprintf(title, sizeof(title), "All posts, page %zu", page);
	else
		snprintf(title, sizeof(title), "All posts");
	if (view_summaries(v, s, "posts", s->posts + first, n) != QUIRE_OK ||
	    tvars_set(v, "heading", title) != QUIRE_OK ||
	    tvars_setf(v, "page", "%zu", page) != QUIRE_OK ||
	    tvars_setf(v, "pages", "%zu", pages) != QUIRE_OK ||
	    /* one page needs no pager ("Page 1 of 1") */
	    tvars_set_bool(v, "paged", pages > 1) != QUIRE_OK)
		goto out;
	if (page > 2 && tvars_setf(v, "prev_url", "/posts/?page=%zu", page - 1) != QUIRE_OK)
		goto out;
	if (page == 2 && tvars_set(v, "prev_url", "/posts/") != QUIRE_OK)
		goto out;
	if (page < pages && tvars_setf(v, "next_url", "/posts/?page=%zu", page + 1) != QUIRE_OK)
		goto out;
	if (page > 1)
		snprintf(path, sizeof(path), "/posts/?page=%zu", page);
	else
		snprintf(path, sizeof(path), "/posts/");
	status = view_html(req, "list", v, title, NULL, path, "website", NULL, resp);
out:
	tvars_free(v);
	return status;
}
