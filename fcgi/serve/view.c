/*
 * view.c - turning posts and pages into template variables
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "content/html.h"
#include "content/permalink.h"
#include "content/site.h"
#include "content/siteconf.h"
#include "content/templates.h"
#include "lib/config.h"
#include "lib/limits.h"
#include "lib/quire.h"
#include "serve/app.h"
#include "serve/view.h"

#define RELATED_MAX 3

static const char *const months[12] = {
	"January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December",
};

void view_date_iso(time_t t, char *out, size_t outsz)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(out, outsz, "%Y-%m-%d", &tm))
		snprintf(out, outsz, "1970-01-01");
}

void view_date_human(time_t t, char *out, size_t outsz)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm))
		memset(&tm, 0, sizeof(tm));
	snprintf(out, outsz, "%d %s %d", tm.tm_mday, months[tm.tm_mon % 12],
		 tm.tm_year + 1900);
}

void view_date_rfc3339(time_t t, char *out, size_t outsz)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, outsz, "1970-01-01T00:00:00Z");
}

unsigned view_reading_minutes(size_t words)
{
	size_t m = (words + 199) / 200;

	return m ? (unsigned)m : 1;
}

void view_abs_url(const struct app *app, const char *path, struct buf *out)
{
	buf_puts(out, app->cfg->site_url);
	buf_puts(out, path);
}

/* Adds {name, url} for each term to list field of o. */
static enum quire_err add_terms(struct tvars *o, const char *field,
				const char *base, const struct strlist *l)
{
	char key[256];
	struct buf url = BUF_INIT;
	struct tvars *t;
	size_t i;
	enum quire_err rc = QUIRE_OK;

	for (i = 0; i < l->n && rc == QUIRE_OK; i++) {
		site_term_key(l->v[i], key, sizeof(key));
		buf_reset(&url);
		buf_puts(&url, base);
		html_url_encode(&url, key, strlen(key));
		t = tvars_list_add(o, field);
		if (!t || buf_failed(&url))
			rc = QUIRE_ENOMEM;
		else if ((rc = tvars_set(t, "name", l->v[i])) == QUIRE_OK)
			rc = tvars_set(t, "url", url.data);
	}
	buf_release(&url);
	return rc;
}

const char *view_title_text(const struct post *p)
{
	return p->title_text ? p->title_text : p->title;
}

/* "title" (plain text, escaped by {{title}}) and "title_html" (for
 * {{{title_html}}}: html, else the text escaped). */
static enum quire_err set_title_pair(struct tvars *o, const char *text,
				     const char *html)
{
	struct buf b = BUF_INIT;
	enum quire_err rc;

	if ((rc = tvars_set(o, "title", text)) != QUIRE_OK)
		return rc;
	if (html || !text)
		return tvars_set(o, "title_html", html);
	html_escape(&b, text, strlen(text));
	rc = buf_failed(&b) ? QUIRE_ENOMEM : tvars_set(o, "title_html", b.data);
	buf_release(&b);
	return rc;
}

/* A post's: its title's Markdown rendered at load, and its text. */
static enum quire_err set_titles(struct tvars *o, const struct post *p)
{
	return set_title_pair(o, view_title_text(p),
			      p->title_html);
}

enum quire_err view_summary(struct tvars *o, const struct site *s,
			    const struct post *p)
{
	char d[64], url[PERMALINK_MAX_URL + 1];
	enum quire_err rc;

	if ((rc = set_titles(o, p)) != QUIRE_OK ||
	    (rc = tvars_set(o, "url", site_post_url(s, p, url, sizeof(url)))) !=
	    QUIRE_OK ||
	    (rc = tvars_set(o, "description", p->description)) != QUIRE_OK ||
	    (rc = tvars_set(o, "summary_html", p->summary_html)) != QUIRE_OK ||
	    /* more to read than the summary: not when it is all of it (a
	     * description is not the post: there is always more) */
	    (rc = tvars_set_bool(o, "read_more", !p->summary_html ||
				 !p->summary_whole)) != QUIRE_OK ||
	    (rc = tvars_setf(o, "reading_minutes", "%u",
			     view_reading_minutes(p->words))) != QUIRE_OK ||
	    (rc = tvars_set_bool(o, "pinned", p->pin > 0)) != QUIRE_OK ||
	    (rc = tvars_set_bool(o, "draft", p->draft)) != QUIRE_OK ||
	    (rc = add_terms(o, "tags", "/tags/", &p->tags)) != QUIRE_OK)
		return rc;
	if (p->has_date) {
		view_date_iso(p->date, d, sizeof(d));
		if ((rc = tvars_set(o, "date_iso", d)) != QUIRE_OK)
			return rc;
		view_date_human(p->date, d, sizeof(d));
		if ((rc = tvars_set(o, "date_human", d)) != QUIRE_OK)
			return rc;
	}
	return QUIRE_OK;
}

enum quire_err view_summaries(struct tvars *v, const struct site *s,
			      const char *name, struct post *const *posts,
			      size_t n)
{
	struct tvars *o;
	size_t i;
	enum quire_err rc;

	if ((rc = tvars_list_empty(v, name)) != QUIRE_OK)
		return rc;
	for (i = 0; i < n; i++) {
		o = tvars_list_add(v, name);
		if (!o)
			return QUIRE_ENOMEM;
		if ((rc = view_summary(o, s, posts[i])) != QUIRE_OK)
			return rc;
	}
	return QUIRE_OK;
}

/*
 * pick_related's count per post, kept from one page to the next: it is
 * all zero again when pick_related returns (its second pass zeroes each
 * count it read), so a page costs no allocation and no 4-bytes-a-post
 * memset: at 10,000 posts those were ≈ 6 % of a worker's CPU serving L1
 * misses (perf).
 */
static _Thread_local unsigned *related_counts;
static _Thread_local size_t related_counts_cap;

void view_scratch_end(void)
{
	free(related_counts);
	related_counts = NULL;
	related_counts_cap = 0;
}

static unsigned *counts_for(size_t n_posts)
{
	unsigned *c;

	if (n_posts <= related_counts_cap)
		return related_counts;
	c = calloc(n_posts, sizeof(*c));
	if (!c)
		return NULL;
	free(related_counts);
	related_counts = c;
	related_counts_cap = n_posts;
	return c;
}

/*
 * Picks up to RELATED_MAX posts: those named in related_posts first,
 * then those sharing the most tags with p, the newest first on a tie.
 * Only the posts of p's own tags are looked at, through the tag index,
 * counted in an array indexed by rank: on a 10,000-post site the first
 * version, which compared every post's tags with p's, cost milliseconds
 * a page (tests/bench/RESULTS.md, "Tiers").
 */
static size_t pick_related(const struct site *s, const struct post *p,
			   struct post **out)
{
	const struct site_term *t, *terms[QUIRE_MAX_TAGS];
	unsigned *shared, c, top_n[RELATED_MAX];
	uint32_t r, top_r[RELATED_MAX];
	char key[256];
	size_t i, j, k, m, cap, n_terms = 0, n = 0;
	struct post *q;

	for (i = 0; i < p->related.n && n < RELATED_MAX; i++) {
		q = site_post(s, p->related.v[i]);
		if (!q) /* related_posts: a slug in another case */
			q = site_post_folded(s, p->related.v[i]);
		for (k = 0; q && k < n; k++)
			if (out[k] == q)
				q = NULL; /* named twice */
		if (q && q != p)
			out[n++] = q;
	}
	if (n == RELATED_MAX || p->tags.n == 0 || s->n_posts == 0)
		return n;
	shared = counts_for(s->n_posts);
	if (!shared)
		return n; /* related posts are a nicety, not worth failing for */
	/* p's tags as the site indexes them, looked up once for both
	 * passes (a post has at most QUIRE_MAX_TAGS) */
	for (i = 0; i < p->tags.n && n_terms < QUIRE_MAX_TAGS; i++) {
		site_term_key(p->tags.v[i], key, sizeof(key));
		if ((t = site_term_find(&s->tags, key)))
			terms[n_terms++] = t;
	}
	for (i = 0; i < n_terms; i++)
		for (j = 0; j < terms[i]->n; j++)
			if ((r = terms[i]->ranks[j]) < s->n_posts)
				shared[r]++;
	/* p and the posts it names are not picked: their counts are set
	 * to 0, which the pass below leaves as it finds it. */
	if (p->kind == POST_KIND_POST && p->rank < s->n_posts && s->posts[p->rank] == p)
		shared[p->rank] = 0;
	for (k = 0; k < n; k++)
		if (out[k]->rank < s->n_posts)
			shared[out[k]->rank] = 0;
	/* One pass over the same lists: each counted post is taken once
	 * (its count then zeroed) into the best RELATED_MAX - n, ordered by
	 * count, then rank (newest first). Not a pass per pick over every
	 * post of the site; a post is looked at only when it makes the
	 * top. */
	m = 0;
	cap = RELATED_MAX - n;
	for (i = 0; i < n_terms; i++) {
		for (j = 0; j < terms[i]->n; j++) {
			r = terms[i]->ranks[j];
			if (r >= s->n_posts || !(c = shared[r]))
				continue;
			shared[r] = 0;
			/* insertion into top[0..m), the last falling off at cap */
			for (k = m; k > 0 && (c > top_n[k - 1] ||
			     (c == top_n[k - 1] && r < top_r[k - 1])); k--) {
				if (k < cap) {
					top_r[k] = top_r[k - 1];
					top_n[k] = top_n[k - 1];
				}
			}
			if (k < cap) {
				top_r[k] = r;
				top_n[k] = c;
				if (m < cap)
					m++;
			}
		}
	}
	for (k = 0; k < m; k++)
		out[n++] = s->posts[top_r[k]];
	return n;
}

const char *view_author_name(const struct site *s, const struct site_term *a)
{
	const struct siteconf_author *pr = siteconf_author(s->conf, a->key);

	return pr && pr->name ? pr->name : a->name;
}

enum quire_err view_author_profile(struct tvars *v,
				   const struct siteconf_author *a)
{
	struct tvars *o = tvars_object(v, "profile");
	enum quire_err rc;

	if (!o)
		return QUIRE_ENOMEM;
	if ((rc = tvars_set(o, "name", a->name)) != QUIRE_OK ||
	    (rc = tvars_set(o, "bio", a->bio)) != QUIRE_OK ||
	    (rc = tvars_set(o, "url", a->url)) != QUIRE_OK)
		return rc;
	return tvars_set(o, "avatar", a->avatar);
}

/* A post's authors: {name, url} each (url only when the author has a
 * page: a version of the post newer than the index may name one the
 * index does not know yet), and for those with a profile in site.yaml
 * its name, bio, avatar and profile_url. */
static enum quire_err add_authors(struct tvars *o, const struct site *s,
				  const struct post *p)
{
	const struct siteconf_author *pr;
	struct buf url = BUF_INIT;
	struct tvars *a;
	char key[256];
	size_t i, bios = 0;
	enum quire_err rc = tvars_list_empty(o, "authors");

	for (i = 0; i < p->authors.n && rc == QUIRE_OK; i++) {
		site_term_key(p->authors.v[i], key, sizeof(key));
		pr = siteconf_author(s->conf, key);
		buf_reset(&url);
		buf_puts(&url, "/authors/");
		html_url_encode(&url, key, strlen(key));
		buf_putc(&url, '/');
		a = tvars_list_add(o, "authors");
		if (!a || buf_failed(&url)) {
			rc = QUIRE_ENOMEM;
			break;
		}
		if ((rc = tvars_set(a, "url", site_term_find(&s->authors, key) ?
				    url.data : NULL)) != QUIRE_OK ||
		    (rc = tvars_set(a, "name", pr && pr->name ? pr->name :
				    p->authors.v[i])) != QUIRE_OK || !pr)
			continue;
		bios += pr->bio != NULL;
		if ((rc = tvars_set(a, "bio", pr->bio)) == QUIRE_OK &&
		    (rc = tvars_set(a, "avatar", pr->avatar)) == QUIRE_OK)
			rc = tvars_set(a, "profile_url", pr->url);
	}
	buf_release(&url);
	if (rc != QUIRE_OK)
		return rc;
	return tvars_set_bool(o, "has_bios", bios > 0);
}

/* The month archive of p's date (archive_url), and the posts just
 * newer and older (newer, older: title, url) by its rank in the index:
 * two array reads, never a scan. */
static enum quire_err view_neighbours(struct tvars *o, const struct site *s,
				      const struct post *p)
{
	const struct post *q[2] = { site_post_newer(s, p), site_post_older(s, p) };
	static const char *const field[2] = { "newer", "older" };
	char url[PERMALINK_MAX_URL + 1];
	struct tvars *n;
	struct tm tm;
	enum quire_err rc;
	int i;

	/* the years an archive's URL can name (page_archive.c) */
	if (p->has_date && gmtime_r(&p->date, &tm) &&
	    tm.tm_year + 1900 >= 1000 && tm.tm_year + 1900 <= 9999 &&
	    (rc = tvars_setf(o, "archive_url", "/archives/%04d/%02d/",
			     tm.tm_year + 1900, tm.tm_mon + 1)) != QUIRE_OK)
		return rc;
	for (i = 0; i < 2; i++) {
		if (!q[i])
			continue;
		n = tvars_object(o, field[i]);
		if (!n || (rc = set_titles(n, q[i])) != QUIRE_OK ||
		    (rc = tvars_set(n, "url", site_post_url(s, q[i], url,
							    sizeof(url)))) != QUIRE_OK)
			return n ? rc : QUIRE_ENOMEM;
	}
	return tvars_set_bool(o, "has_neighbours", q[0] || q[1]);
}

enum quire_err view_post(struct tvars *o, const struct site *s,
			 const struct post *p)
{
	struct post *related[RELATED_MAX];
	char d[64], img[PERMALINK_MAX_URL + 256];
	size_t n;
	enum quire_err rc;

	if ((rc = view_summary(o, s, p)) != QUIRE_OK ||
	    (rc = tvars_set(o, "html", p->html ? p->html : "")) != QUIRE_OK ||
	    (rc = tvars_set(o, "toc", p->toc_html)) != QUIRE_OK ||
	    (rc = tvars_set(o, "featured_image",
			    site_post_image(s, p, img, sizeof(img)))) != QUIRE_OK ||
	    (rc = tvars_set_bool(o, "has_updated", p->has_updated)) != QUIRE_OK ||
	    (rc = add_terms(o, "categories", "/categories/", &p->categories)) != QUIRE_OK)
		return rc;
	if (p->has_updated) {
		view_date_iso(p->updated, d, sizeof(d));
		if ((rc = tvars_set(o, "updated_iso", d)) != QUIRE_OK)
			return rc;
		view_date_human(p->updated, d, sizeof(d));
		if ((rc = tvars_set(o, "updated_human", d)) != QUIRE_OK)
			return rc;
	}
	if ((rc = add_authors(o, s, p)) != QUIRE_OK)
		return rc;
	if (p->kind != POST_KIND_POST)
		return QUIRE_OK;
	if ((rc = view_neighbours(o, s, p)) != QUIRE_OK)
		return rc;
	n = pick_related(s, p, related);
	return view_summaries(o, s, "related", related, n);
}

/* The menu: site.yaml's when it has one, else every page; and which
 * taxonomies the header links to. */
static enum quire_err view_nav(struct tvars *base, const struct site *s)
{
	const struct siteconf *c = s->conf;
	char url[PERMALINK_MAX_URL + 1];
	struct tvars *nav;
	size_t i;
	enum quire_err rc;

	if ((rc = tvars_list_empty(base, "nav")) != QUIRE_OK ||
	    (rc = tvars_set_bool(base, "hide_tags", c && !c->show_tags)) != QUIRE_OK ||
	    (rc = tvars_set_bool(base, "show_categories",
				 !c || c->show_categories)) != QUIRE_OK)
		return rc;
	for (i = 0; c && c->has_menu && i < c->n_menu; i++) {
		nav = tvars_list_add(base, "nav");
		if (!nav || set_title_pair(nav, c->menu[i].title, NULL) != QUIRE_OK ||
		    tvars_set(nav, "url", c->menu[i].url) != QUIRE_OK)
			return QUIRE_ENOMEM;
	}
	for (i = 0; !(c && c->has_menu) && i < s->n_pages; i++) {
		nav = tvars_list_add(base, "nav");
		if (!nav || set_titles(nav, s->pages[i]) != QUIRE_OK ||
		    tvars_set(nav, "url", site_post_url(s, s->pages[i], url,
							sizeof(url))) != QUIRE_OK)
			return QUIRE_ENOMEM;
	}
	return QUIRE_OK;
}

int view_html(const struct request *req, const char *tpl, struct tvars *vars,
	      const char *title, const char *description, const char *path,
	      const char *og_type, const char *og_image, struct response *resp)
{
	const struct app *app = req->app;
	const struct site *s = app->site;
	struct tvars *base;
	struct buf body = BUF_INIT, url = BUF_INIT;
	char year[32];
	enum quire_err rc = QUIRE_ENOMEM;
	int status = 500;

	base = tvars_new();
	if (!base)
		goto out;
	if (templates_render(app->tpl, tpl, vars, &body) != QUIRE_OK ||
	    buf_failed(&body))
		goto out;
	if (title)
		rc = tvars_setf(base, "page_title", "%s — %s", title,
				app->cfg->site_title);
	else
		rc = tvars_set(base, "page_title", app->cfg->site_title);
	if (rc != QUIRE_OK)
		goto out;
	view_abs_url(app, path, &url);
	view_date_iso(s->built_at, year, sizeof(year));
	year[4] = '\0';
	if (buf_failed(&url) ||
	    tvars_set(base, "site_title", app->cfg->site_title) != QUIRE_OK ||
	    tvars_set(base, "site_url", app->cfg->site_url) != QUIRE_OK ||
	    tvars_set(base, "site_language", app->cfg->site_language) != QUIRE_OK ||
	    tvars_set(base, "description", description ? description :
		      app->cfg->site_description ? app->cfg->site_description :
		      app->cfg->site_title) != QUIRE_OK ||
	    tvars_set(base, "canonical", url.data) != QUIRE_OK ||
	    tvars_set(base, "og_type", og_type ? og_type : "website") != QUIRE_OK ||
	    tvars_setf(base, "feed_url", "%s/feed.xml", app->cfg->site_url) != QUIRE_OK ||
	    tvars_setf(base, "json_feed_url", "%s/feed.json", app->cfg->site_url) != QUIRE_OK ||
	    tvars_set(base, "year", year) != QUIRE_OK ||
	    tvars_set_bool(base, "noindex", resp->private_page) != QUIRE_OK ||
	    tvars_set(base, "content", body.data ? body.data : "") != QUIRE_OK)
		goto out;
	if (og_image) {
		buf_reset(&url);
		if (strstr(og_image, "://") == NULL)
			buf_puts(&url, app->cfg->site_url);
		buf_puts(&url, og_image);
		if (buf_failed(&url) || tvars_set(base, "og_image", url.data) != QUIRE_OK)
			goto out;
	}
	if (view_nav(base, s) != QUIRE_OK)
		goto out;
	buf_reset(&resp->body);
	if (templates_render(app->tpl, "base", base, &resp->body) != QUIRE_OK ||
	    buf_failed(&resp->body))
		goto out;
	resp->status = 200;
	resp->content_type = "text/html; charset=utf-8";
	resp->cacheable = !resp->private_page;
	status = 200;
out:
	tvars_free(base);
	buf_release(&body);
	buf_release(&url);
	return status;
}
