/*
 * page_archive.c - the date archives ("/archives/", "/archives/YYYY/",
 * "/archives/YYYY/MM/") and the authors ("/authors/", "/authors/NAME/"),
 * paginated as "/posts/" is
 */
#include <stdio.h>
#include <string.h>

#include "content/html.h"
#include "content/siteconf.h"
#include "lib/config.h"
#include "lib/quire.h"
#include "serve/app.h"
#include "serve/page.h"
#include "serve/view.h"

static const char *const month_names[12] = {
	"January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December",
};

/* The JSON Feed beside the Atom feed at atom ("...feed.xml"), for the
 * list's link to it: list_json_feed_url. */
static enum quire_err set_json_feed(struct tvars *v, const char *atom)
{
	size_t n = strlen(atom);

	if (n < 8 || strcmp(atom + n - 8, "feed.xml") != 0)
		return QUIRE_OK;
	return tvars_setf(v, "list_json_feed_url", "%.*sfeed.json",
			  (int)(n - 8), atom);
}

/*
 * One page (?page=N) of posts[0..n) under path, with list.html's pager;
 * feed_url, when not NULL, is offered beside them. A page past the last
 * is 404, as for "/posts/".
 */
static int paged(const struct request *req, struct response *resp,
		 struct post *const *posts, size_t n, const char *path,
		 const char *heading, const char *feed_url,
		 const struct siteconf_author *profile)
{
	size_t per = (size_t)req->app->cfg->posts_per_page;
	size_t pages = n ? (n + per - 1) / per : 1;
	size_t page = (size_t)req->uri.page, first, count;
	struct buf title = BUF_INIT, canon = BUF_INIT;
	struct tvars *v = NULL;
	int status = 500;

	if (page > pages)
		return page_not_found(req, resp);
	first = (page - 1) * per;
	count = n - first < per ? n - first : per;
	if (page > 1) {
		buf_printf(&title, "%s, page %zu", heading, page);
		buf_printf(&canon, "%s?page=%zu", path, page);
	} else {
		buf_puts(&title, heading);
		buf_puts(&canon, path);
	}
	v = tvars_new();
	if (!v || buf_failed(&title) || buf_failed(&canon) ||
	    view_summaries(v, req->app->site, "posts", posts + first, count) != QUIRE_OK ||
	    tvars_set(v, "heading", title.data) != QUIRE_OK ||
	    tvars_set(v, "feed_url", feed_url) != QUIRE_OK ||
	    (feed_url && set_json_feed(v, feed_url) != QUIRE_OK) ||
	    tvars_setf(v, "page", "%zu", page) != QUIRE_OK ||
	    tvars_setf(v, "pages", "%zu", pages) != QUIRE_OK ||
	    /* one page needs no pager ("Page 1 of 1") */
	    tvars_set_bool(v, "paged", pages > 1) != QUIRE_OK ||
	    (profile && view_author_profile(v, profile) != QUIRE_OK))
		goto out;
	if (page > 2 && tvars_setf(v, "prev_url", "%s?page=%zu", path, page - 1) != QUIRE_OK)
		goto out;
	if (page == 2 && tvars_set(v, "prev_url", path) != QUIRE_OK)
		goto out;
	if (page < pages && tvars_setf(v, "next_url", "%s?page=%zu", path, page + 1) != QUIRE_OK)
		goto out;
	status = view_html(req, "list", v, title.data, NULL, canon.data,
			   "website", NULL, resp);
out:
	buf_release(&title);
	buf_release(&canon);
	tvars_free(v);
	return status;
}

/* A year as the URL writes it: four digits, 1000-9999 (gmtime's range
 * for a time_t is wider, a URL's need not be). -1 when not one. */
static int parse_year(const char *s)
{
	int i, y = 0;

	for (i = 0; i < 4; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		y = y * 10 + (s[i] - '0');
	}
	return s[4] || y < 1000 ? -1 : y;
}

/* A month: two digits, 01-12. -1 when not one. */
static int parse_month(const char *s)
{
	int m;

	if (s[0] < '0' || s[0] > '1' || s[1] < '0' || s[1] > '9' || s[2])
		return -1;
	m = (s[0] - '0') * 10 + (s[1] - '0');
	return m >= 1 && m <= 12 ? m : -1;
}

int page_archives_index(const struct request *req, struct response *resp)
{
	const struct site *s = req->app->site;
	const struct site_period *y, *m;
	struct tvars *v, *yo, *mo;
	size_t i, j = 0;
	int status = 500;

	if (req->uri.page > 1)
		return page_not_found(req, resp);
	v = tvars_new();
	if (!v || tvars_list_empty(v, "years") != QUIRE_OK)
		goto out;
	for (i = 0; i < s->years.n; i++) {
		y = &s->years.v[i];
		yo = tvars_list_add(v, "years");
		if (!yo || tvars_setf(yo, "year", "%d", y->year) != QUIRE_OK ||
		    tvars_setf(yo, "url", "/archives/%d/", y->year) != QUIRE_OK ||
		    tvars_setf(yo, "count", "%zu", y->n) != QUIRE_OK ||
		    tvars_list_empty(yo, "months") != QUIRE_OK)
			goto out;
		/* months are newest first too: this year's are next */
		for (; j < s->months.n && s->months.v[j].year == y->year; j++) {
			m = &s->months.v[j];
			mo = tvars_list_add(yo, "months");
			if (!mo || tvars_set(mo, "name", month_names[m->month - 1]) != QUIRE_OK ||
			    tvars_setf(mo, "url", "/archives/%d/%02d/", m->year,
				       m->month) != QUIRE_OK ||
			    tvars_setf(mo, "count", "%zu", m->n) != QUIRE_OK)
				goto out;
		}
	}
	status = view_html(req, "archives", v, "Archives", NULL, "/archives/",
			   "website", NULL, resp);
out:
	tvars_free(v);
	return status;
}

int page_archive_year(const struct request *req, struct response *resp)
{
	const struct site_period *y;
	char path[32], heading[32];
	int year = parse_year(req->params[0]);

	y = year > 0 ? site_period_find(req->app->site, year, 0) : NULL;
	if (!y)
		return page_not_found(req, resp);
	snprintf(path, sizeof(path), "/archives/%d/", year);
	snprintf(heading, sizeof(heading), "Posts of %d", year);
	return paged(req, resp, req->app->site->posts + y->first, y->n, path,
		     heading, NULL, NULL);
}

int page_archive_month(const struct request *req, struct response *resp)
{
	const struct site_period *m = NULL;
	char path[32], heading[48];
	int year = parse_year(req->params[0]);
	int month = parse_month(req->params[1]);

	if (year > 0 && month > 0)
		m = site_period_find(req->app->site, year, month);
	if (!m)
		return page_not_found(req, resp);
	snprintf(path, sizeof(path), "/archives/%d/%02d/", year, month);
	snprintf(heading, sizeof(heading), "Posts of %s %d",
		 month_names[month - 1], year);
	return paged(req, resp, req->app->site->posts + m->first, m->n, path,
		     heading, NULL, NULL);
}

int page_authors_index(const struct request *req, struct response *resp)
{
	const struct site_terms *t = &req->app->site->authors;
	struct buf url = BUF_INIT;
	struct tvars *v, *o;
	size_t i;
	int status = 500;

	if (req->uri.page > 1)
		return page_not_found(req, resp);
	v = tvars_new();
	if (!v || tvars_set(v, "heading", "Authors") != QUIRE_OK ||
	    tvars_list_empty(v, "terms") != QUIRE_OK)
		goto out;
	for (i = 0; i < t->n; i++) {
		buf_reset(&url);
		buf_puts(&url, "/authors/");
		html_url_encode(&url, t->v[i].key, strlen(t->v[i].key));
		buf_putc(&url, '/');
		o = tvars_list_add(v, "terms");
		if (!o || buf_failed(&url) ||
		    tvars_set(o, "name", view_author_name(req->app->site,
							  &t->v[i])) != QUIRE_OK ||
		    tvars_set(o, "url", url.data) != QUIRE_OK ||
		    tvars_setf(o, "count", "%zu", t->v[i].n) != QUIRE_OK)
			goto out;
	}
	status = view_html(req, "tags", v, "Authors", NULL, "/authors/",
			   "website", NULL, resp);
out:
	buf_release(&url);
	tvars_free(v);
	return status;
}

int page_author(const struct request *req, struct response *resp)
{
	const struct site *s = req->app->site;
	const struct site_term *a = site_term_find(&s->authors, req->params[0]);
	struct buf path = BUF_INIT, heading = BUF_INIT, feed = BUF_INIT;
	int status = 500;

	if (!a)
		return page_not_found(req, resp);
	buf_puts(&path, "/authors/");
	html_url_encode(&path, a->key, strlen(a->key));
	buf_putc(&path, '/');
	buf_printf(&feed, "%sfeed.xml", path.data ? path.data : "");
	buf_printf(&heading, "Posts by %s", view_author_name(s, a));
	if (!buf_failed(&path) && !buf_failed(&heading) && !buf_failed(&feed))
		status = paged(req, resp, a->posts, a->n, path.data,
			       heading.data, feed.data,
			       siteconf_author(s->conf, a->key));
	buf_release(&path);
	buf_release(&heading);
	buf_release(&feed);
	return status;
}
