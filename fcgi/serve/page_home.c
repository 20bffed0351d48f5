/*
 * page_home.c - "/": pinned posts first, then the newest
 */
#include "lib/config.h"
#include "lib/quire.h"
#include "serve/app.h"
#include "serve/page.h"
#include "serve/view.h"

int page_home(const struct request *req, struct response *resp)
{
	const struct site *s = req->app->site;
	size_t n = s->n_posts;
	size_t per = (size_t)req->app->cfg->posts_per_page;
	struct tvars *v;
	int status = 500;

	if (req->uri.page > 1)
		return page_not_found(req, resp);
	v = tvars_new();
	if (!v)
		return 500;
	if (n > per)
		n = per;
	if (view_summaries(v, s, "posts", s->home, n) != QUIRE_OK ||
	    tvars_set_bool(v, "has_more", s->n_posts > per) != QUIRE_OK ||
	    tvars_set(v, "more_url", "/posts/?page=2") != QUIRE_OK)
		goto out;
	status = view_html(req, "home", v, NULL, NULL, "/", "website", NULL, resp);
out:
	tvars_free(v);
	return status;
}
