/*
 * page_taxonomy.c - "/tags/", "/tags/TAG", "/categories/", "/categories/C"
 */
#include <stdio.h>
#include <string.h>

#include "content/html.h"
#include "lib/quire.h"
#include "serve/app.h"
#include "serve/page.h"
#include "serve/view.h"

static int terms_index(const struct request *req, struct response *resp,
		       const struct site_terms *t, const char *base,
		       const char *heading)
{
	struct buf url = BUF_INIT;
	struct tvars *v, *o;
	size_t i;
	int status = 500;

	if (req->uri.page > 1)
		return page_not_found(req, resp);
	v = tvars_new();
	if (!v || tvars_set(v, "heading", heading) != QUIRE_OK ||
	    tvars_list_empty(v, "terms") != QUIRE_OK)
		goto out;
	for (i = 0; i < t->n; i++) {
		buf_reset(&url);
		buf_puts(&url, base);
		html_url_encode(&url, t->v[i].key, strlen(t->v[i].key));
		o = tvars_list_add(v, "terms");
		if (!o || buf_failed(&url) ||
		    tvars_set(o, "name", t->v[i].name) != QUIRE_OK ||
		    tvars_set(o, "url", url.data) != QUIRE_OK ||
		    tvars_setf(o, "count", "%zu", t->v[i].n) != QUIRE_OK)
			goto out;
	}
	status = view_html(req, "tags", v, heading, NULL, base, "website",
			   NULL, resp);
out:
	buf_release(&url);
	tvars_free(v);
	return status;
}

static int term_page(const struct request *req, struct response *resp,
		     const struct site_terms *t, const char *base,
		     const char *what, int with_feed)
{
	const struct site_term *term = site_term_find(t, req->params[0]);
	struct buf path = BUF_INIT, heading = BUF_INIT;
	struct tvars *v;
	int status = 500;

	if (!term || req->uri.page > 1)
		return page_not_found(req, resp);
	buf_puts(&path, base);
	html_url_encode(&path, term->key, strlen(term->key));
	buf_printf(&heading, "%s “%s”", what, term->name);
	v = tvars_new();
	if (!v || buf_failed(&path) || buf_failed(&heading) ||
	    tvars_set(v, "heading", heading.data) != QUIRE_OK ||
	    view_summaries(v, req->app->site, "posts", term->posts, term->n) != QUIRE_OK)
		goto out;
	if (with_feed && (tvars_setf(v, "feed_url", "%s/feed.xml", path.data) != QUIRE_OK ||
			  tvars_setf(v, "list_json_feed_url", "%s/feed.json",
				     path.data) != QUIRE_OK))
		goto out;
	status = view_html(req, "taxonomy", v, heading.data, NULL, path.data,
			   "website", NULL, resp);
out:
	buf_release(&path);
	buf_release(&heading);
	tvars_free(v);
	return status;
}

int page_taxonomy_tags_index(const struct request *req, struct response *resp)
{
	return terms_index(req, resp, &req->app->site->tags, "/tags/", "Tags");
}

int page_taxonomy_tag(const struct request *req, struct response *resp)
{
	return term_page(req, resp, &req->app->site->tags, "/tags/",
			 "Posts tagged", 1);
}

int page_taxonomy_categories_index(const struct request *req,
				   struct response *resp)
{
	return terms_index(req, resp, &req->app->site->categories,
			   "/categories/", "Categories");
}

int page_taxonomy_category(const struct request *req, struct response *resp)
{
	return term_page(req, resp, &req->app->site->categories,
			 "/categories/", "Posts in", 0);
}
