/*
 * test_permalink.c - permalink patterns: checked, expanded, reserved
 * routes, and the other forms of a URL that answer 301
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "content/permalink.h"
#include "content/post.h"
#include "content/strlist.h"

/* Whether pattern is refused, with the fault at column col. */
static int refused_at(const char *pattern, size_t want_col)
{
	char msg[200];
	size_t col = 999;

	return permalink_check(pattern, &col, msg, sizeof(msg)) == QUIRE_EPARSE &&
	       col == want_col && msg[0];
}

static int accepted(const char *pattern)
{
	char msg[200];
	size_t col = 0;

	return permalink_check(pattern, &col, msg, sizeof(msg)) == QUIRE_OK;
}

static const char *expand(const char *pattern, const struct post *p)
{
	static char out[PERMALINK_MAX_URL + 1];

	if (permalink_expand(pattern, p, out, sizeof(out)) != QUIRE_OK)
		return "(too big)";
	return out;
}

int main(void)
{
	struct post p;
	char slug[] = "Rust-1.12.1";
	char small[8];

	/* The patterns of the issue, and the defaults. */
	CHECK(accepted(PERMALINK_POSTS_DEFAULT));
	CHECK(accepted(PERMALINK_PAGES_DEFAULT));
	CHECK(accepted("/:year/:month/:day/:slug.html"));
	CHECK(accepted("/:year/:month/:title.html"));
	CHECK(accepted("/:year/:month/:slug/"));
	CHECK(accepted("/:categories/:year/:month/:day/:title.html"));
	CHECK(accepted("/:category/:slug"));
	CHECK(accepted("/:slug/"));
	CHECK(accepted("/blog/:slug"));

	/* Refused, at the place of the fault. */
	CHECK(refused_at("posts/:slug", 0));           /* not absolute */
	CHECK(refused_at("/:year/:nope/:slug", 7));    /* unknown token */
	CHECK(refused_at("/:year/:month", 0));         /* no :slug */
	CHECK(refused_at("/:slug/:title", 0));         /* the slug twice */
	CHECK(refused_at("/a//:slug", 3));             /* empty segment */
	CHECK(refused_at("/../:slug", 3));             /* ".." */
	CHECK(refused_at("/:year:slug", 6));           /* two tokens touching */
	CHECK(refused_at("/a b/:slug", 2));            /* a space */
	CHECK(refused_at("/a?/:slug", 2));
	/* Under quire's own routes: every URL would be shadowed. */
	CHECK(refused_at("/tags/:slug", 0));
	CHECK(refused_at("/categories/:year/:slug", 0));
	CHECK(refused_at("/api/:slug", 0));
	CHECK(refused_at("/static/:slug", 0));
	CHECK(refused_at("/archives/:slug", 0));
	CHECK(refused_at("/authors/:slug", 0));

	memset(&p, 0, sizeof(p));
	p.kind = POST_KIND_POST;
	p.slug = slug;
	p.date = 1476921600; /* 2016-10-20 00:00 UTC */
	p.has_date = 1;
	CHECK_STR(expand("/:year/:month/:day/:slug.html", &p),
		  "/2016/10/20/Rust-1.12.1.html");
	CHECK_STR(expand("/:year/:month/:title/", &p), "/2016/10/Rust-1.12.1/");
	CHECK_STR(expand(PERMALINK_POSTS_DEFAULT, &p), "/posts/Rust-1.12.1");
	/* No category: the token and its '/' are left out, as Jekyll does. */
	CHECK_STR(expand("/:categories/:year/:slug", &p), "/2016/Rust-1.12.1");
	CHECK_STR(expand("/:category/:slug", &p), "/Rust-1.12.1");
	CHECK(strlist_add(&p.categories, "Release Notes") == QUIRE_OK);
	CHECK(strlist_add(&p.categories, "rust") == QUIRE_OK);
	/* Each category by its URL key: that of its own page. */
	CHECK_STR(expand("/:categories/:year/:slug", &p),
		  "/release-notes/rust/2016/Rust-1.12.1");
	CHECK_STR(expand("/:category/:slug", &p), "/release-notes/Rust-1.12.1");
	strlist_release(&p.categories);
	/* An undated post (a page): 1970. */
	p.has_date = 0;
	CHECK_STR(expand("/:year/:slug", &p), "/1970/Rust-1.12.1");
	CHECK(permalink_expand("/:year/:slug", &p, small, sizeof(small)) ==
	      QUIRE_ETOOBIG);

	/* Reserved: quire's own routes, with or without the slash. */
	CHECK(permalink_reserved("/"));
	CHECK(permalink_reserved("/posts/"));
	CHECK(permalink_reserved("/posts"));
	CHECK(permalink_reserved("/tags/"));
	CHECK(permalink_reserved("/tags/x/feed.xml"));
	CHECK(permalink_reserved("/categories/x"));
	CHECK(permalink_reserved("/feed.xml"));
	CHECK(permalink_reserved("/feed.xml/"));
	CHECK(permalink_reserved("/sitemap.xml"));
	CHECK(permalink_reserved("/healthz"));
	CHECK(permalink_reserved("/metrics"));
	CHECK(permalink_reserved("/search"));
	CHECK(permalink_reserved("/api/posts/x"));
	CHECK(permalink_reserved("/static/quire.css"));
	CHECK(permalink_reserved("/archives/2016/"));
	CHECK(permalink_reserved("/authors"));
	CHECK(permalink_reserved("/authors/ann/feed.xml"));
	CHECK(!permalink_reserved("/authorsoup"));
	CHECK(!permalink_reserved("/posts/hello"));
	CHECK(!permalink_reserved("/pages/about"));
	CHECK(!permalink_reserved("/about/"));
	CHECK(!permalink_reserved("/tagsoup"));
	CHECK(!permalink_reserved("/2016/10/20/x.html"));
	CHECK(!permalink_reserved("/feed.xml.html"));

	/* A URL's other forms share its base. */
#define BASE(u) permalink_base_len(u, strlen(u))
	CHECK(BASE("/2016/10/20/x.html") == strlen("/2016/10/20/x"));
	CHECK(BASE("/2016/10/20/x.html/") == strlen("/2016/10/20/x"));
	CHECK(BASE("/2016/10/20/x/") == strlen("/2016/10/20/x"));
	CHECK(BASE("/2016/10/20/x") == strlen("/2016/10/20/x"));
	CHECK(BASE("/about/") == strlen("/about"));
	CHECK(BASE("/") == 1);
	CHECK(BASE("/.html") == strlen("/.html"));
	CHECK(BASE("/a.htm") == strlen("/a.htm"));
	return check_done("test_permalink");
}
