/*
 * test_touch.c - which cached pages an update makes stale (touch.h):
 * the changed posts' own pages and every list, and also the pages that
 * show a changed post as a related one (a shared tag, before or after
 * the change, or named in related_posts), the pages whose newer/older
 * links change (a changed post's neighbours before, and the posts it
 * comes between after), and every page when a static page (the menu)
 * changes
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "tmpsite.h"
#include "content/content.h"
#include "content/markdown.h"
#include "content/post.h"
#include "content/site.h"
#include "content/strlist.h"
#include "lib/quire.h"
#include "serve/sub.h"
#include "serve/touch.h"

static char root[256];

static void post(const char *slug, const char *tags, const char *extra)
{
	char rel[256], text[512];

	snprintf(rel, sizeof(rel), "posts/2024-01-01-%s.md", slug);
	snprintf(text, sizeof(text), "---\ntitle: %s\ntags: %s\n%s---\nbody\n",
		 slug, tags, extra);
	tmpsite_write(root, rel, text);
}

/* 2024-01-01, every post's date in the site below */
#define DAY 1704067200

/* A new version of slug with tags, dated date, as the subscriber hands
 * it over. */
static struct post *version_on(const char *slug, const char *tags,
			       enum post_kind kind, time_t date)
{
	struct post *p = post_new();
	char *t, *tok, *save = NULL;

	if (!p || !(p->slug = strdup(slug)) || !(t = strdup(tags)))
		abort();
	p->kind = kind;
	p->date = date;
	p->has_date = 1;
	for (tok = strtok_r(t, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (strlist_add(&p->tags, tok) != QUIRE_OK)
			abort();
	free(t);
	return p;
}

static struct post *version(const char *slug, const char *tags,
			    enum post_kind kind)
{
	return version_on(slug, tags, kind, DAY);
}

/* The keys of pages the update u makes stale, of a fixed list. */
static void touched(const struct site *s, const struct sub_update *u,
		    char *out, size_t outsz)
{
	static const char *const keys[] = {
		"/", "/posts/", "/posts/?page=2", "/tags/a", "/feed.xml",
		"/archives/2024/", "/authors/ann/", "/posts/me", "/posts/shares-a", "/posts/shares-z",
		"/posts/names-me", "/posts/alone", "/pages/about",
	};
	struct touch t;
	size_t i;

	out[0] = '\0';
	touch_begin(&t, s, u);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (touch_page(&t, keys[i])) {
			strncat(out, keys[i], outsz - strlen(out) - 1);
			strncat(out, " ", outsz - strlen(out) - 1);
		}
	touch_end(&t);
}

int main(void)
{
	static const char lists[] = "/ /posts/ /posts/?page=2 /tags/a /feed.xml "
				    "/archives/2024/ /authors/ann/ ";
	struct content *c = NULL;
	struct site *s = NULL;
	struct sub_update u;
	struct post *v[2];
	char gone_a[] = "shares-a", gone_about[] = "about";
	char *gone[1], got[512], want[512];

	markdown_init();
	tmpsite_make(root, sizeof(root), "touch");
	post("me", "[a, b]", "");
	post("shares-a", "[A, q]", "");   /* a tag of me's, another case */
	post("shares-z", "[z]", "");
	/* related_posts may name a post in another case: view.c finds it */
	post("names-me", "[y]", "related_posts: [ME]\n");
	post("alone", "[w]", "");
	snprintf(got, sizeof(got), "%s/pages", root);
	CHECK(mkdir(got, 0755) == 0);
	tmpsite_write(root, "pages/about.md", "---\ntitle: About\n---\nx\n");
	CHECK(content_load(root, NULL, NULL, &c) == QUIRE_OK);
	CHECK(c && site_build(c, 1800000000, 0, &s) == QUIRE_OK);
	if (!s)
		return check_done("test_touch");

	/* One date: newest first is alone, me, names-me, shares-a,
	 * shares-z (by slug). me changes, its tags as before: its page,
	 * the lists, the posts that share a tag with it, the one that
	 * names it, and its neighbours alone and names-me (their links to
	 * it show its title) */
	memset(&u, 0, sizeof(u));
	v[0] = version("me", "a,b", POST_KIND_POST);
	u.posts = v;
	u.n_posts = 1;
	touched(s, &u, got, sizeof(got));
	snprintf(want, sizeof(want), "%s/posts/me /posts/shares-a /posts/names-me "
		 "/posts/alone ", lists);
	CHECK_STR(got, want);
	post_free(v[0]);

	/* shares-z takes tag b: it may now be one of me's related posts
	 * (its new tags), and its old one touches nobody else but its
	 * neighbour shares-a */
	v[0] = version("shares-z", "b", POST_KIND_POST);
	touched(s, &u, got, sizeof(got));
	snprintf(want, sizeof(want), "%s/posts/me /posts/shares-a /posts/shares-z ",
		 lists);
	CHECK_STR(got, want);
	post_free(v[0]);

	/* alone changes within its own tag: only its neighbour shows it */
	v[0] = version("alone", "w", POST_KIND_POST);
	touched(s, &u, got, sizeof(got));
	snprintf(want, sizeof(want), "%s/posts/me /posts/alone ", lists);
	CHECK_STR(got, want);
	post_free(v[0]);

	/* a new post, newest of all: alone's newer link is now to it */
	v[0] = version_on("new", "n", POST_KIND_POST, DAY + 86400);
	touched(s, &u, got, sizeof(got));
	snprintf(want, sizeof(want), "%s/posts/alone ", lists);
	CHECK_STR(got, want);
	post_free(v[0]);

	/* me moves back a day, to the end: its old neighbours, and
	 * shares-z, after which it now comes */
	v[0] = version_on("me", "a,b", POST_KIND_POST, DAY - 86400);
	touched(s, &u, got, sizeof(got));
	snprintf(want, sizeof(want), "%s/posts/me /posts/shares-a /posts/shares-z "
		 "/posts/names-me /posts/alone ", lists);
	CHECK_STR(got, want);
	post_free(v[0]);

	/* shares-a goes: me showed it (its old tag a), its neighbours
	 * linked to it */
	u.n_posts = 0;
	gone[0] = gone_a;
	u.gone = gone;
	u.n_gone = 1;
	touched(s, &u, got, sizeof(got));
	snprintf(want, sizeof(want), "%s/posts/me /posts/shares-a /posts/shares-z "
		 "/posts/names-me ", lists);
	CHECK_STR(got, want);

	/* a static page changes, or goes: the menu of every page */
	u.n_gone = 0;
	v[0] = version("about", "", POST_KIND_PAGE);
	u.posts = v;
	u.n_posts = 1;
	touched(s, &u, got, sizeof(got));
	snprintf(want, sizeof(want), "%s/posts/me /posts/shares-a /posts/shares-z "
		 "/posts/names-me /posts/alone /pages/about ", lists);
	CHECK_STR(got, want);
	post_free(v[0]);
	u.n_posts = 0;
	gone[0] = gone_about;
	u.n_gone = 1;
	touched(s, &u, got, sizeof(got));
	CHECK_STR(got, want);

	/* a whole new site: everything */
	u.n_gone = 0;
	u.all = c;
	touched(s, &u, got, sizeof(got));
	CHECK_STR(got, want);

	site_free(s);
	content_free(c);
	tmpsite_remove(root);
	return check_done("test_touch");
}
