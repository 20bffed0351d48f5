/*
 * test_view.c - the related posts under a post (view.c): those named
 * in related_posts first, then the posts sharing the most tags with it,
 * the newest first on a tie; never the post itself, never twice
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
	post("2024-01-01", "me", "[a, b, c]", "");
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
	view_scratch_end();

	buf_release(&out);
	site_free(s);
	content_free(c);
	tmpsite_remove(root);
	return check_done("test_view");
}
