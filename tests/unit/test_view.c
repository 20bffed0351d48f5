/*
 * test_view.c - the related posts under a post (view.c): those named
 * in related_posts first, then the posts sharing the most tags with it,
 * the newest first on a tie; never the post itself, never twice; its
 * newer and older posts, its month's archive, its authors' pages
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "tmpsite.h"
#include "content/content.h"
#include "content/html.h"
#include "content/markdown.h"
#include "content/site.h"
#include "content/templates.h"
#include "content/tvars.h"
#include "lib/buf.h"
#include "lib/quire.h"
#include "serve/uri.h"
#include "serve/view.h"

static char root[256];

/* posts/DATE-SLUG.md with tags (a YAML flow list) and extra frontmatter. */
static void post(const char *date, const char *slug, const char *tags,
		 const char *extra)
{
	char rel[256], text[512];

	snprintf(rel, sizeof(rel), "posts/%s-%s.md", date, slug);
	snprintf(text, sizeof(text), "---\ntitle: %s\ntags: %s\n%s---\nbody\n",
		 slug, tags, extra);
	tmpsite_write(root, rel, text);
}

/* The urls of the related posts of slug, as "/posts/a /posts/b ". */
static void related_of(const struct site *s, const char *slug, struct buf *out)
{
	struct templates *t = templates_new();
	struct tvars *v = tvars_new(), *o;
	struct parse_error err;
	struct post *p = site_post(s, slug);

	buf_reset(out);
	o = v ? tvars_object(v, "post") : NULL;
	CHECK(t && v && o && p);
	if (!t || !o || !p)
		goto out;
	CHECK(templates_add(t, "r", "{{#post.related}}{{url}} {{/post.related}}",
			    &err) == QUIRE_OK);
	CHECK(view_post(o, s, p) == QUIRE_OK);
	CHECK(templates_render(t, "r", v, out) == QUIRE_OK);
out:
	tvars_free(v);
	templates_free(t);
}

/* Every tag has a page: its key, URL-encoded as view.c does, is a path
 * that uri.c accepts (it refuses control characters, "." and ".."). */
static void test_term_urls(void)
{
	static const struct {
		const char *name, *key;
	} cases[] = {
		{ "Ctrl\x01Tag", "ctrl-tag" },
		{ "esc\x1b[0m\x7f", "esc-[0m-" },
		{ "tab\tand\nnewline", "tab-and-newline" },
		{ ".", "-" },
		{ "..", "--" },
		{ "a.b", "a.b" },
		{ "C++ & Go", "c++-&-go" },
		{ "caf\xc3\xa9", "caf\xc3\xa9" },
	};
	struct buf url = BUF_INIT;
	struct uri u;
	char key[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		site_term_key(cases[i].name, key, sizeof(key));
		CHECK_STR(key, cases[i].key);
		buf_reset(&url);
		buf_puts(&url, "/tags/");
		html_url_encode(&url, key, strlen(key));
		CHECK(uri_parse(url.data, &u) == 200);
		CHECK_STR(u.path + strlen("/tags/"), key);
	}
	buf_release(&url);
}

/* What post.html shows around the post p: template text tpl. */
static void around(const struct site *s, const struct post *p,
		   const char *tpl, const char *want)
{
	struct templates *t = templates_new();
	struct tvars *v = tvars_new(), *o;
	struct parse_error err;
	struct buf out = BUF_INIT;

	o = v ? tvars_object(v, "post") : NULL;
	CHECK(t && o && p);
	if (t && o && p) {
		CHECK(templates_add(t, "n", tpl, &err) == QUIRE_OK);
		CHECK(view_post(o, s, p) == QUIRE_OK);
		CHECK(templates_render(t, "n", v, &out) == QUIRE_OK);
		CHECK_STR(out.data ? out.data : "", want);
	}
	buf_release(&out);
	tvars_free(v);
	templates_free(t);
}

static void test_around(const struct site *s)
{
	static const char nav[] = "{{#post}}{{archive_url}} {{newer.url}} "
				  "{{older.url}} {{has_neighbours}}{{/post}}";
	static const char authors[] = "{{#post.authors}}{{name}}={{url}};"
				      "{{/post.authors}}";
	struct post *d;

	around(s, site_post(s, "three"), nav,
	       "/archives/2024/01/ /posts/pinned /posts/two-new true");
	around(s, site_post(s, "none"), nav, "/archives/2024/01/  /posts/alone true");
	around(s, site_post(s, "me"), nav, "/archives/2024/01/ /posts/two-old  true");
	/* a version of me newer than the index, with an author the index
	 * does not know yet: no link to a page that is not there */
	d = post_dup(site_post(s, "me"));
	CHECK(d && strlist_add(&d->authors, "Newcomer") == QUIRE_OK);
	if (d)
		around(s, d, authors, "Ann=/authors/ann/;Newcomer=;");
	post_free(d);
}

int main(void)
{
	/* Each post's related posts, as their urls. */
	static const struct {
		const char *slug, *want;
	} cases[] = {
		/* most shared first; on a tie the newer; three at most */
		{ "me", "/posts/three /posts/two-new /posts/two-old " },
		/* named ones first, then by tags (none shared but x) */
		{ "named", "/posts/none " },
		{ "two-new", "/posts/three /posts/me /posts/none " },
		/* never itself, never twice (a name given twice was listed
		 * twice: the test that found it) */
		{ "pinned", "/posts/me " },
		/* all tie on one tag: the newest three */
		{ "one-old", "/posts/three /posts/two-old /posts/me " },
		{ "one-new", "/posts/three /posts/two-new /posts/me " },
		/* nothing shared, nothing named: none */
		{ "alone", "" },
	};
	struct content_options opt = { 0 };
	struct content *c = NULL;
	struct site *s = NULL;
	struct buf out = BUF_INIT;
	size_t i;

	markdown_init();
	test_term_urls();
	tmpsite_make(root, sizeof(root), "related");
	post("2024-01-01", "me", "[a, b, c]", "authors: [Ann]\n");
	post("2024-01-02", "two-old", "[a, b]", "");   /* 2 shared, older */
	post("2024-01-05", "two-new", "[b, c, x]", ""); /* 2 shared, newer */
	post("2024-01-03", "one-new", "[c]", "");      /* 1 shared */
	post("2024-01-02", "one-old", "[a]", "");
	post("2024-01-09", "none", "[x, y]", "");      /* nothing shared */
	/* a slug named in another case is found (and no slug is hidden
	 * by its case: DESIGN §3) */
	post("2024-01-04", "named", "[z]", "related_posts: [NONE]\n");
	post("2024-01-06", "three", "[a, b, c]", "");  /* 3 shared */
	post("2024-01-07", "pinned", "[q]", "related_posts: [me, pinned, ME]\n");
	post("2024-01-08", "alone", "[solo]", "");

	CHECK(content_load(root, NULL, &opt, &c) == QUIRE_OK && c && c->n == 10);
	CHECK(site_build(c, time(NULL), 0, &s) == QUIRE_OK && s);
	if (!s)
		return check_done("test_view");

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		related_of(s, cases[i].slug, &out);
		CHECK_STR(out.data, cases[i].want);
	}
	/* Again in the other order: the counts view.c keeps from one page
	 * to the next must start each page at zero. */
	for (i = sizeof(cases) / sizeof(cases[0]); i-- > 0;) {
		related_of(s, cases[i].slug, &out);
		CHECK_STR(out.data, cases[i].want);
	}
	test_around(s);
	view_scratch_end();

	buf_release(&out);
	site_free(s);
	content_free(c);
	tmpsite_remove(root);
	return check_done("test_view");
}
