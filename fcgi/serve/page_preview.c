/*
 * page_preview.c - "/preview/SLUG?exp=UNIX&sig=SIG": an author's
 * preview of a post in any state, by a signed, expiring link
 *
 * The post is looked up among everything the worker loaded (drafts and
 * scheduled posts too: the site index holds only the visible ones) and
 * its body fetched as any page's is (app_body: from the files, or
 * through Redis and PostgreSQL). Every answer, the post or a refusal, is
 * private_page: noindex, "private, no-store", never in the L1 (the
 * worker keeps only cacheable answers) nor in any shared cache.
 */
#include <string.h>
#include <time.h>

#include "content/content.h"
#include "content/post.h"
#include "lib/log.h"
#include "lib/quire.h"
#include "serve/app.h"
#include "serve/page.h"
#include "serve/page_post.h"
#include "serve/uri.h"
#include "serve/view.h"
#include "write/preview.h"

/* The link's exp and sig, raw from the query string. */
struct link {
	const char *exp, *sig;
	size_t exp_len, sig_len;
};

static int link_param(const char *name, size_t nlen, const char *value,
		      size_t vlen, void *ctx)
{
	struct link *l = ctx;

	if (nlen == 3 && memcmp(name, "exp", 3) == 0) {
		l->exp = value;
		l->exp_len = vlen;
	} else if (nlen == 3 && memcmp(name, "sig", 3) == 0) {
		l->sig = value;
		l->sig_len = vlen;
	}
	return 1;
}

/* The post or page of slug, whatever its state; NULL if none. */
static const struct post *find(const struct content *c, const char *slug)
{
	size_t i;

	for (i = 0; c && i < c->n; i++)
		if (strcmp(c->posts[i]->slug, slug) == 0)
			return c->posts[i];
	return NULL;
}

/* A friendly page for a refused link: 403 or 410. */
static int refused(const struct request *req, struct response *resp,
		   int status)
{
	struct tvars *v = tvars_new();
	int rc;

	rc = v && tvars_set_bool(v, "expired", status == 410) == QUIRE_OK ?
	     view_html(req, "preview", v, status == 410 ? "Preview expired" :
		       "Preview link not valid", NULL, req->uri.path, "website",
		       NULL, resp) : 500;
	tvars_free(v);
	if (rc != 200)
		response_plain(resp, status);
	resp->status = status;
	resp->cacheable = 0;
	return status;
}

int page_preview(const struct request *req, struct response *resp)
{
	const struct app *app = req->app;
	const char *slug = req->params[0];
	struct link l = { "", "", 0, 0 };
	const struct post *p;
	char esc[256];
	int status = 403;

	if (!app->preview)
		return page_not_found(req, resp); /* previews are off */
	resp->private_page = 1;
	if (req->query)
		(void)uri_query_each(req->query, link_param, &l);
	if (app->preview_ok)
		status = preview_check(app->preview, slug, l.exp, l.exp_len,
				       l.sig, l.sig_len, time(NULL));
	log_msg(LOG_LEVEL_INFO, "preview", "slug=\"%s\" status=%d",
		log_escape(slug, esc, sizeof(esc)), status);
	if (status != 200)
		return refused(req, resp, status);
	p = find(app->content, slug);
	if (!p)
		return page_not_found(req, resp);
	status = p->kind == POST_KIND_PAGE ?
		 page_post_show(req, resp, p, "page", "page", "website") :
		 page_post_show(req, resp, p, "post", "post", "article");
	resp->cacheable = 0;
	return status;
}
