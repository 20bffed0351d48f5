/*
 * test_site.c - the site's URLs: each post at its permalink, found by
 * one lookup; every old form of it one redirect away and never its own;
 * reserved and doubled URLs left out; the archives' years and months,
 * the authors, and each post's newer and older neighbours
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "content/content.h"
#include "content/site.h"
#include "content/siteconf.h"

static struct post *mk(enum post_kind kind, const char *path, const char *slug,
		       time_t date, const char *alias)
{
	struct post *p = post_new();

	if (!p)
		exit(2);
	p->kind = kind;
	p->path = strdup(path);
	p->slug = strdup(slug);
	p->title = strdup(slug);
	p->date = date;
	p->has_date = date != 0;
	if (!p->path || !p->slug || !p->title ||
	    (alias && strlist_add(&p->aliases, alias) != QUIRE_OK))
		exit(2);
	return p;
}

static struct content *site_content(const char *yaml)
{
	struct content *c = calloc(1, sizeof(*c));
	struct parse_error err;

	if (!c || !(c->posts = calloc(8, sizeof(*c->posts))))
		exit(2);
	c->posts[c->n++] = mk(POST_KIND_POST, "posts/2016-10-20-rust.md",
			      "rust", 1476921600, "/old/rust/");
	c->posts[c->n++] = mk(POST_KIND_POST, "posts/2017-01-02-second.md",
			      "second", 1483315200, NULL);
	c->posts[c->n++] = mk(POST_KIND_POST, "posts/tags.md", "tags",
			      1483315200, NULL);
	c->posts[c->n++] = mk(POST_KIND_PAGE, "pages/about.md", "about", 0,
			      "/me");
	c->posts[c->n++] = mk(POST_KIND_PAGE, "pages/feed.xml.md", "feed.xml",
			      0, NULL);
	if (siteconf_parse(yaml, yaml ? strlen(yaml) : 0, &c->conf, &err) !=
	    QUIRE_OK)
		exit(3);
	return c;
}

static const char *url_of(const struct site *s, const struct post *p)
{
	return p ? site_post_url(s, p, NULL, 0) : "(none)";
}

/* The canonical URL a path redirects to, "(none)" when it does not. */
static const char *redirect(const struct site *s, const char *path)
{
	return url_of(s, site_alias(s, path));
}

/* Years, months and authors from the index built at load: runs of
 * site->posts, newest first; undated posts in none. */
static void archives(void)
{
	struct content *c = site_content(NULL);
	const struct site_period *y, *m;
	const struct site_term *a;
	struct post *d;
	struct site *s;

	/* 2017-03-05, by "Ann Lee" and Bob; rust by "ann lee" */
	c->posts[c->n++] = mk(POST_KIND_POST, "posts/march.md", "march",
			      1488672000, NULL);
	c->posts[c->n++] = mk(POST_KIND_POST, "posts/undated.md", "undated", 0,
			      NULL);
	CHECK(strlist_add(&c->posts[5]->authors, "Ann Lee") == QUIRE_OK &&
	      strlist_add(&c->posts[5]->authors, "Bob") == QUIRE_OK &&
	      strlist_add(&c->posts[0]->authors, "ann lee") == QUIRE_OK);
	CHECK(site_build(c, 1800000000, 0, &s) == QUIRE_OK);
	if (!s)
		return;
	/* march, second, tags (one date: by slug), rust, undated */
	CHECK(s->n_posts == 5);
	CHECK(s->years.n == 2 && s->months.n == 3);
	y = site_period_find(s, 2017, 0);
	CHECK(y && y->first == 0 && y->n == 3);
	CHECK(y && y == &s->years.v[0]);
	m = site_period_find(s, 2017, 1);
	CHECK(m && m->n == 2 && s->posts[m->first] == site_post(s, "second"));
	m = site_period_find(s, 2016, 10);
	CHECK(m && m->n == 1 && s->posts[m->first] == site_post(s, "rust"));
	CHECK(site_period_find(s, 2017, 2) == NULL);
	CHECK(site_period_find(s, 1999, 0) == NULL);
	CHECK(site_period_find(s, 1970, 0) == NULL); /* undated: none */
	CHECK(s->months.v[0].year == 2017 && s->months.v[0].month == 3);

	/* authors keyed as tags: one "ann-lee" for both spellings */
	CHECK(s->authors.n == 2);
	a = site_term_find(&s->authors, "ann-lee");
	CHECK(a && a->n == 2 && a->posts[0] == site_post(s, "march") &&
	      a->posts[1] == site_post(s, "rust"));
	CHECK(a && strcmp(a->name, "Ann Lee") == 0);
	a = site_term_find(&s->authors, "bob");
	CHECK(a && a->n == 1);

	/* newer and older: the ranks beside */
	CHECK(site_post_newer(s, site_post(s, "march")) == NULL);
	CHECK(site_post_older(s, site_post(s, "march")) == site_post(s, "second"));
	CHECK(site_post_newer(s, site_post(s, "tags")) == site_post(s, "second"));
	CHECK(site_post_older(s, site_post(s, "tags")) == site_post(s, "rust"));
	CHECK(site_post_older(s, site_post(s, "undated")) == NULL);
	/* another version of a post (a body newer than the index): found
	 * by its slug, whatever rank it says */
	d = post_dup(site_post(s, "tags"));
	CHECK(d != NULL);
	if (d) {
		d->rank = 0;
		CHECK(site_post_older(s, d) == site_post(s, "rust"));
		post_free(d);
	}
	CHECK(site_post_newer(s, site_page(s, "about")) == NULL);
	site_free(s);
	content_free(c);
}

int main(void)
{
	struct content *c;
	struct site *s;
	struct post tmp;
	char buf[PERMALINK_MAX_URL + 1], slug[] = "later";
	static const char long_cat[] =
		"a-category-name-of-some-length-and-then-some-more-letters";
	int i;

	c = site_content("permalinks:\n"
			 "  posts: /:year/:month/:day/:slug.html\n"
			 "  pages: /:slug/\n");
	CHECK(site_build(c, 1800000000, 0, &s) == QUIRE_OK);
	/* /2017/01/02/tags.html is fine; the page /feed.xml/ is not */
	CHECK(s->n_posts == 3 && s->n_pages == 1 && s->n_refused == 1);
	CHECK_STR(url_of(s, site_path(s, "/2016/10/20/rust.html")),
		  "/2016/10/20/rust.html");
	CHECK_STR(url_of(s, site_path(s, "/about/")), "/about/");
	CHECK(site_path(s, "/feed.xml/") == NULL);
	CHECK(site_path(s, "/2016/10/20/rust") == NULL);
	CHECK(site_path(s, "/posts/rust") == NULL);

	/* Old forms: one lookup, to the canonical URL. */
	CHECK_STR(redirect(s, "/2016/10/20/rust"), "/2016/10/20/rust.html");
	CHECK_STR(redirect(s, "/2016/10/20/rust/"), "/2016/10/20/rust.html");
	CHECK_STR(redirect(s, "/2016/10/20/rust.html/"), "/2016/10/20/rust.html");
	CHECK_STR(redirect(s, "/posts/rust"), "/2016/10/20/rust.html");
	CHECK_STR(redirect(s, "/posts/rust/"), "/2016/10/20/rust.html");
	CHECK_STR(redirect(s, "/posts/rust.html"), "/2016/10/20/rust.html");
	CHECK_STR(redirect(s, "/old/rust/"), "/2016/10/20/rust.html");
	CHECK_STR(redirect(s, "/old/rust"), "/2016/10/20/rust.html");
	CHECK_STR(redirect(s, "/about"), "/about/");
	CHECK_STR(redirect(s, "/about.html"), "/about/");
	CHECK_STR(redirect(s, "/pages/about"), "/about/");
	CHECK_STR(redirect(s, "/me/"), "/about/");
	/* never a redirect to itself: no loop */
	CHECK_STR(redirect(s, "/2016/10/20/rust.html"), "(none)");
	CHECK_STR(redirect(s, "/about/"), "(none)");
	/* unknown: nothing, and nothing fuzzy */
	CHECK_STR(redirect(s, "/2016/10/21/rust.html"), "(none)");
	CHECK_STR(redirect(s, "/posts/rus"), "(none)");
	CHECK_STR(redirect(s, "/posts/rust/x"), "(none)");
	CHECK_STR(redirect(s, "/posts/"), "(none)");
	CHECK_STR(redirect(s, "/pages/feed.xml"), "(none)");

	/* A post the site does not hold: the pattern, expanded. */
	memset(&tmp, 0, sizeof(tmp));
	tmp.slug = slug;
	tmp.date = 1900000000;
	tmp.has_date = 1;
	CHECK_STR(site_post_url(s, &tmp, buf, sizeof(buf)),
		  "/2030/03/17/later.html");
	site_free(s);
	content_free(c);

	/* The defaults: today's URLs, and /posts/SLUG's own forms. */
	c = site_content(NULL);
	CHECK(site_build(c, 1800000000, 0, &s) == QUIRE_OK);
	CHECK(s->n_posts == 3 && s->n_pages == 2 && s->n_refused == 0);
	CHECK_STR(url_of(s, site_path(s, "/posts/rust")), "/posts/rust");
	CHECK_STR(url_of(s, site_path(s, "/pages/feed.xml")), "/pages/feed.xml");
	CHECK_STR(redirect(s, "/posts/rust/"), "/posts/rust");
	CHECK_STR(redirect(s, "/posts/rust.html"), "/posts/rust");
	CHECK_STR(redirect(s, "/pages/about/"), "/pages/about");
	CHECK_STR(redirect(s, "/posts/rust"), "(none)");
	site_free(s);
	content_free(c);

	/* A URL whose other form is a route's: "/tags.html" would answer
	 * "/tags", which is "/tags/"'s. Left out. */
	c = site_content("permalinks:\n  posts: /:slug.html\n  pages: /:slug/\n");
	/* and a page whose URL, /second/, is the post /second.html's but
	 * for the ending: each would answer the other's 301 */
	c->posts[c->n++] = mk(POST_KIND_PAGE, "pages/second.md", "second", 0,
			      NULL);
	CHECK(site_build(c, 1800000000, 0, &s) == QUIRE_OK);
	CHECK(s->n_posts == 2 && s->n_pages == 1 && s->n_refused == 3);
	CHECK_STR(redirect(s, "/tags"), "(none)");
	CHECK_STR(url_of(s, site_path(s, "/second.html")), "/second.html");
	CHECK(site_path(s, "/second/") == NULL);
	CHECK_STR(redirect(s, "/second/"), "/second.html");
	site_free(s);
	content_free(c);

	/* A URL too long for the site's tables: left out, not cut. */
	c = site_content("permalinks:\n  posts: /:categories/:slug\n");
	for (i = 0; i < 40; i++)
		CHECK(strlist_add(&c->posts[0]->categories, long_cat + i) == QUIRE_OK);
	CHECK(site_build(c, 1800000000, 0, &s) == QUIRE_OK);
	CHECK(site_post(s, "rust") == NULL); /* and /tags, reserved */
	CHECK(s->n_posts == 1 && s->n_refused == 2);
	site_free(s);
	content_free(c);
	archives();
	return check_done("test_site");
}
