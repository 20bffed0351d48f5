/*
 * page_feed.c - "/feed.xml", "/tags/TAG/feed.xml", "/authors/NAME/feed.xml"
 * (Atom), "/feed.json", "/tags/TAG/feed.json", "/authors/NAME/feed.json"
 * (JSON Feed 1.1) and "/sitemap.xml"
 */
#include <stdio.h>
#include <string.h>

#include "content/html.h"
#include "content/jsonfeed.h"
#include "content/post.h"
#include "content/permalink.h"
#include "content/record.h"
#include "content/site.h"
#include "content/siteconf.h"
#include "content/templates.h"
#include "lib/config.h"
#include "lib/quire.h"
#include "serve/app.h"
#include "serve/page.h"
#include "serve/view.h"
#include "tiers/search_query.h"

/* The feed's settings: site.yaml's feed key, else 20 entries, full. */
static size_t feed_entries(const struct site *s)
{
	return s->conf ? (size_t)s->conf->feed_entries : SITECONF_FEED_ENTRIES;
}

static int feed_full(const struct site *s)
{
	return !s->conf || !s->conf->feed_summary;
}

static int render_xml(const struct request *req, const char *tpl,
		      struct tvars *v, const char *type, struct response *resp)
{
	buf_reset(&resp->body);
	if (templates_render(req->app->tpl, tpl, v, &resp->body) != QUIRE_OK ||
	    buf_failed(&resp->body))
		return 500;
	resp->status = 200;
	resp->content_type = type;
	resp->cacheable = 1;
	return 200;
}

/*
 * What a feed carries of p in summary mode: the summary the home page
 * shows (summary.html), as HTML: the part before <!--more--> or the
 * first paragraph (summary_html, made at load), else the description,
 * escaped; appended to out, empty when p has neither.
 */
static void summary_html(const struct post *p, struct buf *out)
{
	if (p->summary_html && *p->summary_html)
		buf_puts(out, p->summary_html);
	else if (p->description)
		html_escape(out, p->description, strlen(p->description));
}

/*
 * A plain-text line or two about p, for Atom's text summary and JSON
 * Feed's "summary" (plain text by its spec): the description the
 * author wrote, else the text of the summary, its white space runs
 * made one space. Appended to out, empty when p has neither.
 */
static void summary_text(const struct post *p, struct buf *out)
{
	struct buf t = BUF_INIT;
	size_t i, start = out->len;
	int space = 1; /* drops leading white space */

	if (p->description && *p->description) {
		buf_puts(out, p->description);
		return;
	}
	if (!p->summary_html)
		return;
	search_html_text(&t, p->summary_html);
	for (i = 0; i < t.len; i++) {
		if (t.data[i] == ' ' || t.data[i] == '\n' ||
		    t.data[i] == '\t' || t.data[i] == '\r') {
			space = 1;
			continue;
		}
		if (space && out->len > start)
			buf_putc(out, ' ');
		space = 0;
		buf_putc(out, t.data[i]);
	}
	if (buf_failed(&t))
		out->failed = 1;
	buf_release(&t);
}

/* An entry's body (none in summary mode) and the post it is of: *fresh
 * when the body's version is newer than the index's (both to free). */
static enum quire_err entry_body(const struct app *app, const struct post *p,
				 const char **html, struct record **hold,
				 struct post **fresh)
{
	const char *toc;
	enum quire_err rc = QUIRE_OK;

	*html = "";
	*hold = NULL;
	*fresh = NULL;
	if (feed_full(app->site))
		rc = app_body(app, p, html, &toc, hold);
	if (rc == QUIRE_ENOTFOUND)
		*html = ""; /* removed since the index was read: no body */
	else if (rc != QUIRE_OK)
		return rc;
	/* An entry is one version whole, as a page is (page_post.c). */
	return app_body_version(p, *hold, fresh);
}

static enum quire_err add_entry(const struct app *app, struct tvars *e,
				const struct post *p)
{
	char d[64], path[PERMALINK_MAX_URL + 1];
	struct buf url = BUF_INIT, sum = BUF_INIT, text = BUF_INIT;
	struct record *hold = NULL;
	struct post *fresh = NULL;
	const char *html;
	struct tvars *o;
	size_t i;
	int full = feed_full(app->site);
	enum quire_err rc;

	/* The index's URL: the entry's version may be another (below). */
	buf_puts(&url, app->cfg->site_url);
	buf_puts(&url, site_post_url(app->site, p, path, sizeof(path)));
	rc = entry_body(app, p, &html, &hold, &fresh);
	if (rc != QUIRE_OK)
		goto out;
	if (fresh)
		p = fresh;
	if (!full)
		summary_html(p, &sum);
	summary_text(p, &text);
	rc = QUIRE_ENOMEM;
	if (buf_failed(&url) || buf_failed(&sum) || buf_failed(&text) ||
	    tvars_set_bool(e, "summary_only", !full) != QUIRE_OK ||
	    tvars_set(e, "title", view_title_text(p)) != QUIRE_OK ||
	    tvars_set(e, "url", url.data) != QUIRE_OK ||
	    tvars_set(e, "id", url.data) != QUIRE_OK ||
	    tvars_set(e, "summary", text.data) != QUIRE_OK ||
	    tvars_set(e, "summary_html", sum.data) != QUIRE_OK ||
	    tvars_set(e, "content", html) != QUIRE_OK ||
	    tvars_list_empty(e, "authors") != QUIRE_OK ||
	    tvars_list_empty(e, "categories") != QUIRE_OK)
		goto out;
	view_date_rfc3339(p->date, d, sizeof(d));
	if (tvars_set(e, "published", d) != QUIRE_OK)
		goto out;
	view_date_rfc3339(site_post_mtime(p), d, sizeof(d));
	if (tvars_set(e, "updated", d) != QUIRE_OK)
		goto out;
	for (i = 0; i < p->authors.n; i++) {
		o = tvars_list_add(e, "authors");
		if (!o || tvars_set(o, "name", p->authors.v[i]) != QUIRE_OK)
			goto out;
	}
	for (i = 0; i < p->tags.n; i++) {
		o = tvars_list_add(e, "categories");
		if (!o || tvars_set(o, "term", p->tags.v[i]) != QUIRE_OK)
			goto out;
	}
	rc = QUIRE_OK;
out:
	buf_release(&url);
	buf_release(&sum);
	buf_release(&text);
	post_free(fresh);
	record_free(hold);
	return rc;
}

/* An Atom feed of posts[0..n), newest first, at self_path. */
static int feed(const struct request *req, struct response *resp,
		struct post *const *posts, size_t n, const char *title,
		const char *self_path)
{
	const struct app *app = req->app;
	struct buf self = BUF_INIT;
	struct tvars *v, *e;
	time_t updated = 0;
	char d[64];
	size_t i;
	int status = 500;
	enum quire_err rc;

	if (req->uri.page > 1)
		return page_not_found(req, resp);
	if (n > feed_entries(app->site))
		n = feed_entries(app->site);
	for (i = 0; i < n; i++)
		if (site_post_mtime(posts[i]) > updated)
			updated = site_post_mtime(posts[i]);
	view_date_rfc3339(updated, d, sizeof(d));
	view_abs_url(app, self_path, &self);
	v = tvars_new();
	if (!v || buf_failed(&self) ||
	    tvars_set(v, "feed_title", title) != QUIRE_OK ||
	    tvars_set(v, "site_url", app->cfg->site_url) != QUIRE_OK ||
	    tvars_set(v, "site_language", app->cfg->site_language) != QUIRE_OK ||
	    tvars_set(v, "feed_url", self.data) != QUIRE_OK ||
	    tvars_set(v, "feed_id", self.data) != QUIRE_OK ||
	    tvars_set(v, "updated", d) != QUIRE_OK ||
	    tvars_set(v, "author_name", app->cfg->site_author) != QUIRE_OK ||
	    tvars_list_empty(v, "entries") != QUIRE_OK)
		goto out;
	for (i = 0; i < n; i++) {
		e = tvars_list_add(v, "entries");
		if (!e)
			goto out;
		rc = add_entry(app, e, posts[i]);
		if (rc == QUIRE_EIO)
			status = 503;
		if (rc != QUIRE_OK)
			goto out;
	}
	status = render_xml(req, "feed", v, "application/atom+xml; charset=utf-8",
			    resp);
out:
	buf_release(&self);
	tvars_free(v);
	return status;
}

int page_feed(const struct request *req, struct response *resp)
{
	const struct site *s = req->app->site;

	return feed(req, resp, s->posts, s->n_posts, req->app->cfg->site_title,
		    "/feed.xml");
}

/* One JSON Feed item for p. */
static enum quire_err add_item(const struct app *app, struct buf *out,
			       const struct post *p, int first)
{
	char published[64], modified[64], path[PERMALINK_MAX_URL + 1];
	char img_buf[PERMALINK_MAX_URL + 256];
	struct buf url = BUF_INIT, image = BUF_INIT, sum = BUF_INIT;
	struct buf text = BUF_INIT;
	struct jsonfeed_item it = { 0 };
	struct record *hold = NULL;
	struct post *fresh = NULL;
	const char *html, *img;
	enum quire_err rc;

	buf_puts(&url, app->cfg->site_url);
	buf_puts(&url, site_post_url(app->site, p, path, sizeof(path)));
	rc = entry_body(app, p, &html, &hold, &fresh);
	if (rc != QUIRE_OK)
		goto out;
	if (fresh)
		p = fresh;
	/* The post's OpenGraph image, absolute as view_html makes it (a
	 * bundle's relative one under the post's URL: site_post_image). */
	img = site_post_image(app->site, p, img_buf, sizeof(img_buf));
	if (img && *img) {
		if (!strstr(img, "://"))
			buf_puts(&image, app->cfg->site_url);
		buf_puts(&image, img);
	}
	if (!feed_full(app->site))
		summary_html(p, &sum);
	summary_text(p, &text);
	rc = QUIRE_ENOMEM;
	if (buf_failed(&url) || buf_failed(&image) || buf_failed(&sum) ||
	    buf_failed(&text))
		goto out;
	view_date_rfc3339(p->date, published, sizeof(published));
	view_date_rfc3339(site_post_mtime(p), modified, sizeof(modified));
	it.id = url.data;
	it.url = url.data;
	it.title = view_title_text(p);
	/* the body, or in summary mode the summary: HTML either way */
	it.content_html = feed_full(app->site) ? html : sum.data ? sum.data : "";
	it.summary = text.data;
	it.date_published = published;
	it.date_modified = modified;
	it.image = image.len ? image.data : NULL;
	it.tags = &p->tags;
	it.authors = &p->authors;
	jsonfeed_item(out, &it, first);
	rc = buf_failed(out) ? QUIRE_ENOMEM : QUIRE_OK;
out:
	buf_release(&url);
	buf_release(&image);
	buf_release(&sum);
	buf_release(&text);
	post_free(fresh);
	record_free(hold);
	return rc;
}

/* A JSON Feed of posts[0..n), newest first, at self_path: the Atom
 * feed's posts and settings (site.yaml's feed key), in JSON. */
static int feed_json(const struct request *req, struct response *resp,
		     struct post *const *posts, size_t n, const char *title,
		     const char *self_path)
{
	const struct app *app = req->app;
	struct buf self = BUF_INIT, home = BUF_INIT;
	struct jsonfeed_head h = { 0 };
	size_t i;
	int status = 500;
	enum quire_err rc;

	if (req->uri.page > 1)
		return page_not_found(req, resp);
	if (n > feed_entries(app->site))
		n = feed_entries(app->site);
	view_abs_url(app, self_path, &self);
	view_abs_url(app, "/", &home);
	if (buf_failed(&self) || buf_failed(&home))
		goto out;
	h.title = title;
	h.home_page_url = home.data;
	h.feed_url = self.data;
	h.description = app->cfg->site_description ?
			app->cfg->site_description : app->cfg->site_title;
	h.language = app->cfg->site_language;
	h.author = app->cfg->site_author;
	buf_reset(&resp->body);
	jsonfeed_begin(&resp->body, &h);
	for (i = 0; i < n; i++) {
		rc = add_item(app, &resp->body, posts[i], i == 0);
		if (rc == QUIRE_EIO)
			status = 503;
		if (rc != QUIRE_OK)
			goto out;
	}
	jsonfeed_end(&resp->body);
	if (buf_failed(&resp->body))
		goto out;
	resp->status = status = 200;
	resp->content_type = "application/feed+json; charset=utf-8";
	resp->cacheable = 1;
out:
	buf_release(&self);
	buf_release(&home);
	return status;
}

int page_feed_json(const struct request *req, struct response *resp)
{
	const struct site *s = req->app->site;

	return feed_json(req, resp, s->posts, s->n_posts,
			 req->app->cfg->site_title, "/feed.json");
}

/* The feed of the tag in req->params[0], Atom or JSON by json. */
static int tag_feed(const struct request *req, struct response *resp, int json)
{
	const struct site_term *t = site_term_find(&req->app->site->tags,
						   req->params[0]);
	struct buf title = BUF_INIT, path = BUF_INIT;
	int status = 500;

	if (!t)
		return page_not_found(req, resp);
	buf_printf(&title, "%s: %s", req->app->cfg->site_title, t->name);
	buf_puts(&path, "/tags/");
	html_url_encode(&path, t->key, strlen(t->key));
	buf_puts(&path, json ? "/feed.json" : "/feed.xml");
	if (!buf_failed(&title) && !buf_failed(&path))
		status = json ? feed_json(req, resp, t->posts, t->n, title.data,
					  path.data) :
			 feed(req, resp, t->posts, t->n, title.data, path.data);
	buf_release(&title);
	buf_release(&path);
	return status;
}

/* The feed of the author in req->params[0], Atom or JSON by json. */
static int author_feed(const struct request *req, struct response *resp,
		       int json)
{
	const struct site_term *a = site_term_find(&req->app->site->authors,
						   req->params[0]);
	struct buf title = BUF_INIT, path = BUF_INIT;
	int status = 500;

	if (!a)
		return page_not_found(req, resp);
	buf_printf(&title, "%s: %s", req->app->cfg->site_title,
		   view_author_name(req->app->site, a));
	buf_puts(&path, "/authors/");
	html_url_encode(&path, a->key, strlen(a->key));
	buf_puts(&path, json ? "/feed.json" : "/feed.xml");
	if (!buf_failed(&title) && !buf_failed(&path))
		status = json ? feed_json(req, resp, a->posts, a->n, title.data,
					  path.data) :
			 feed(req, resp, a->posts, a->n, title.data, path.data);
	buf_release(&title);
	buf_release(&path);
	return status;
}

int page_feed_author(const struct request *req, struct response *resp)
{
	return author_feed(req, resp, 0);
}

int page_feed_json_author(const struct request *req, struct response *resp)
{
	return author_feed(req, resp, 1);
}

int page_feed_tag(const struct request *req, struct response *resp)
{
	return tag_feed(req, resp, 0);
}

int page_feed_json_tag(const struct request *req, struct response *resp)
{
	return tag_feed(req, resp, 1);
}

static enum quire_err add_url(const struct app *app, struct tvars *v,
			      const char *path, time_t lastmod)
{
	struct buf url = BUF_INIT;
	struct tvars *o;
	char d[32];
	enum quire_err rc = QUIRE_ENOMEM;

	view_abs_url(app, path, &url);
	o = tvars_list_add(v, "urls");
	if (!o || buf_failed(&url) || tvars_set(o, "loc", url.data) != QUIRE_OK)
		goto out;
	if (lastmod) {
		view_date_iso(lastmod, d, sizeof(d));
		if (tvars_set(o, "lastmod", d) != QUIRE_OK)
			goto out;
	}
	rc = QUIRE_OK;
out:
	buf_release(&url);
	return rc;
}

int page_feed_sitemap(const struct request *req, struct response *resp)
{
	const struct app *app = req->app;
	const struct site *s = app->site;
	char path[PERMALINK_MAX_URL + 1];
	struct tvars *v;
	size_t i;
	int status = 500;

	if (req->uri.page > 1)
		return page_not_found(req, resp);
	v = tvars_new();
	if (!v || tvars_list_empty(v, "urls") != QUIRE_OK ||
	    add_url(app, v, "/", s->last_updated) != QUIRE_OK ||
	    add_url(app, v, "/posts/", s->last_updated) != QUIRE_OK ||
	    add_url(app, v, "/tags/", 0) != QUIRE_OK)
		goto out;
	for (i = 0; i < s->n_posts; i++) {
		if (add_url(app, v, site_post_url(s, s->posts[i], path, sizeof(path)),
			    site_post_mtime(s->posts[i])) != QUIRE_OK)
			goto out;
	}
	for (i = 0; i < s->n_pages; i++) {
		if (add_url(app, v, site_post_url(s, s->pages[i], path, sizeof(path)),
			    site_post_mtime(s->pages[i])) != QUIRE_OK)
			goto out;
	}
	status = render_xml(req, "sitemap", v, "application/xml; charset=utf-8",
			    resp);
out:
	tvars_free(v);
	return status;
}
