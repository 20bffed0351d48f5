/*
 * test_content.c - content_load and content_parse_file on content trees
 * made in a temporary folder (removed at the end)
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "content/content.h"
#include "content/markdown.h"
#include "content/post.h"
#include "content/record.h"
#include "content/site.h"
#include "content/slug_settle.h"
#include "content/strlist.h"
#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/parallel.h"
#include "lib/quire.h"
#include "lib/sandbox_pool.h"

static char root[1024];
static char logpath[4096];
static int saved_stderr = -1;

static void die(const char *what)
{
	perror(what);
	exit(2);
}

/* Makes ROOT/rel, with its folders; contents from fmt. */
static void put(const char *rel, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put(const char *rel, const char *fmt, ...)
{
	char path[4096], *slash;
	va_list ap;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (slash = strchr(path + strlen(root) + 1, '/'); slash;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(path, 0755) == -1 && access(path, F_OK) == -1)
			die(path);
		*slash = '/';
	}
	f = fopen(path, "w");
	if (!f)
		die(path);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	if (fclose(f) != 0)
		die(path);
}

static void link_at(const char *target, const char *rel)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	if (symlink(target, path) == -1)
		die(path);
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Empties ROOT (keeps ROOT itself). */
static void clear(void)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s", root);
	if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) == -1)
		die("nftw");
	if (mkdir(root, 0700) == -1)
		die(root);
}

/* Sends stderr (the log) to a file until log_end(). */
static void log_begin(void)
{
	int fd;

	fflush(stderr);
	fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd == -1)
		die(logpath);
	saved_stderr = dup(2);
	if (saved_stderr == -1 || dup2(fd, 2) == -1)
		die("dup2");
	close(fd);
}

/* Restores stderr; returns what was logged (static, overwritten). */
static const char *log_end(void)
{
	static char text[16384];
	size_t n;
	FILE *f;

	fflush(stderr);
	if (dup2(saved_stderr, 2) == -1)
		die("dup2");
	close(saved_stderr);
	f = fopen(logpath, "r");
	if (!f)
		die(logpath);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	return text;
}

static struct content *load(const struct content *prev, const char **logged)
{
	struct content *c = NULL;
	const char *l;
	enum quire_err rc;

	log_begin();
	rc = content_load(root, prev, NULL, &c);
	l = log_end();
	if (logged)
		*logged = l;
	CHECK(rc == QUIRE_OK);
	if (!c) {
		fprintf(stderr, "content_load failed\n");
		exit(2);
	}
	return c;
}

static const struct post *find(const struct content *c, const char *slug)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->posts[i]->slug, slug) == 0)
			return c->posts[i];
	return NULL;
}

static const char *rel(const struct post *p)
{
	return p ? p->path + strlen(root) + 1 : NULL;
}

static void test_missing_dir(void)
{
	struct content *c = NULL;

	CHECK(content_load("/nonexistent/quire-test", NULL, NULL, &c) == QUIRE_OK);
	CHECK(c && c->n == 0 && c->n_errors == 0);
	content_free(c);

	/* the folder exists but has no posts/ or pages/ */
	clear();
	c = load(NULL, NULL);
	CHECK(c->n == 0 && c->n_errors == 0);
	content_free(c);
}

static void test_jekyll_name(void)
{
	const struct post *p;
	struct content *c;

	clear();
	put("posts/2024-03-05-my-first.md", "---\ntitle: First\n---\nHi\n");
	c = load(NULL, NULL);
	CHECK(c->n == 1);
	p = find(c, "my-first");
	CHECK(p != NULL);
	CHECK(p && p->has_date && p->date == 1709596800);
	CHECK(p && p->kind == POST_KIND_POST);
	CHECK_STR(p ? p->html : NULL, "<p>Hi</p>\n");
	content_free(c);
}

static void test_jekyll_frontmatter_wins(void)
{
	const struct post *p;
	struct content *c;

	clear();
	put("posts/2024-03-05-name.md",
	    "---\ntitle: T\ndate: 2020-01-01\nslug: chosen\n---\n");
	c = load(NULL, NULL);
	p = find(c, "chosen");
	CHECK(p != NULL);
	CHECK(find(c, "name") == NULL);
	CHECK(p && p->date == 1577836800);
	content_free(c);
}

static void test_jekyll_bad_date_is_a_name(void)
{
	struct content *c;

	clear();
	put("posts/2024-13-45-odd.md", "---\ntitle: T\n---\n");
	c = load(NULL, NULL);
	CHECK(find(c, "2024-13-45-odd") != NULL);
	CHECK(c->n == 1 && !c->posts[0]->has_date);
	content_free(c);
}

static void test_file_name_slug(void)
{
	struct content *c;

	clear();
	put("posts/Hello World.md", "---\ntitle: T\n---\n");
	put("posts/plain.markdown", "---\ntitle: T\n---\n");
	c = load(NULL, NULL);
	CHECK(find(c, "Hello-World") != NULL);
	CHECK(find(c, "plain") != NULL);
	CHECK(c->n == 2 && c->n_errors == 0);
	content_free(c);
}

/* HTML posts: NAME.html, or format: html; sanitized when parsed. */
static void test_html_posts(void)
{
	const struct post *p;
	struct content *c;

	clear();
	put("posts/2024-03-05-from-wp.html", "---\ntitle: W\n---\n"
	    "<p onclick=\"x()\">Hi <b>there</b></p>\n<script>alert(1)</script>\n"
	    "<a href=\"javascript:alert(1)\">j</a>\n");
	put("posts/api-like.md", "---\ntitle: A\nformat: html\n---\n"
	    "# not a heading\n<em>e</em><img src=x onerror=alert(1)>");
	put("posts/plain.md", "---\ntitle: P\nformat: markdown\n---\n*m*\n");
	put("posts/bad.md", "---\ntitle: B\nformat: rst\n---\nx\n");
	c = load(NULL, NULL);
	CHECK(c->n == 3 && c->n_errors == 1);
	p = find(c, "from-wp");
	CHECK(p != NULL);
	CHECK_STR(p ? p->html : NULL, "<p>Hi <b>there</b></p>\n\n<a>j</a>\n");
	CHECK(p && p->has_date && p->date == 1709596800);
	CHECK(p && p->words == 3);
	p = find(c, "api-like");
	CHECK_STR(p ? p->html : NULL,
		  "<p># not a heading\n<em>e</em><img src=\"x\"></p>");
	p = find(c, "plain");
	CHECK_STR(p ? p->html : NULL, "<p><em>m</em></p>\n");
	content_free(c);
}

static void test_invalid_file_name_slug(void)
{
	const char *logged;
	struct content *c;

	clear();
	put("posts/caf\xc3\xa9.md", "---\ntitle: T\n---\n");
	put("posts/ok.md", "---\ntitle: T\n---\n");
	c = load(NULL, &logged);
	CHECK(c->n == 1 && c->n_errors == 1);
	CHECK_CONTAINS(logged, "slug");
	content_free(c);
}

static void test_invalid_frontmatter_slug(void)
{
	const char *logged;
	struct content *c;

	clear();
	put("posts/x.md", "---\ntitle: T\nslug: ../etc\n---\n");
	c = load(NULL, &logged);
	CHECK(c->n == 0 && c->n_errors == 1);
	CHECK_CONTAINS(logged, "posts/x.md:3:7: invalid slug");
	content_free(c);
}

static void test_index_folder(void)
{
	const struct post *p;
	struct content *c;

	clear();
	put("posts/my-bundle/index.md", "---\ntitle: Bundle\n---\n");
	put("posts/2023-07-01-dated-bundle/index.md", "---\ntitle: Dated\n---\n");
	put("pages/index.md", "---\ntitle: Home page\n---\n");
	c = load(NULL, NULL);
	CHECK(c->n == 3);
	CHECK_STR(rel(find(c, "my-bundle")), "posts/my-bundle/index.md");
	p = find(c, "dated-bundle");
	CHECK(p && p->has_date && p->date == 1688169600);
	p = find(c, "index");
	CHECK(p && p->kind == POST_KIND_PAGE);
	content_free(c);
}

/* Slugs as authors wrote them: case kept from the file name and from
 * slug:; the site index finds another case only through its folded
 * table, which serve/ answers with a 301 (DESIGN §4). */
static void test_slug_case(void)
{
	const struct post *p;
	struct content *c;
	struct site *s = NULL;
	char longer[QUIRE_MAX_SLUG + 8];

	clear();
	put("posts/2016-10-20-Rust-1.12.1.md", "---\ntitle: Rust\n---\nHi\n");
	put("posts/x.md", "---\ntitle: X\nslug: MixedCase\n---\n");
	put("posts/lower.md", "---\ntitle: L\n---\n");
	put("pages/About.md", "---\ntitle: About\n---\n");
	c = load(NULL, NULL);
	CHECK(c->n == 4 && c->n_errors == 0);
	p = find(c, "Rust-1.12.1");
	CHECK(p && p->has_date && p->date == 1476921600);
	CHECK(find(c, "rust-1.12.1") == NULL);
	CHECK(find(c, "MixedCase") != NULL);
	CHECK(find(c, "About") != NULL);
	CHECK(site_build(c, time(NULL), 0, &s) == QUIRE_OK && s);
	if (s) {
		CHECK(site_post(s, "Rust-1.12.1") == p);
		CHECK(site_post(s, "rust-1.12.1") == NULL);
		CHECK(site_post_folded(s, "rust-1.12.1") == p);
		CHECK(site_post_folded(s, "RUST-1.12.1") == p);
		CHECK(site_post_folded(s, "Rust-1.12.1") == p);
		CHECK(site_post_folded(s, "LOWER") == find(c, "lower"));
		CHECK(site_post_folded(s, "mixedcase") == find(c, "MixedCase"));
		CHECK(site_post_folded(s, "rust-1.12") == NULL);
		CHECK(site_post_folded(s, "about") == NULL); /* a page */
		CHECK(site_page(s, "about") == NULL);
		CHECK(site_page_folded(s, "ABOUT") == find(c, "About"));
		CHECK(site_page_folded(s, "rust-1.12.1") == NULL);
		memset(longer, 'a', sizeof(longer) - 1);
		longer[sizeof(longer) - 1] = '\0';
		CHECK(site_post_folded(s, longer) == NULL);
	}
	site_free(s);
	content_free(c);
}

static void test_duplicate_slugs(void)
{
	const char *logged;
	const struct post *p;
	struct content *c;

	clear();
	put("posts/b.md", "---\ntitle: B\nslug: same\n---\n");
	put("posts/a.md", "---\ntitle: A\nslug: same\n---\n");
	put("posts/c.md", "---\ntitle: C\nslug: same\n---\n");
	/* a page may share a post's slug: different URL space */
	put("pages/same.md", "---\ntitle: Page\n---\n");
	c = load(NULL, &logged);
	CHECK(c->n == 2);
	CHECK(c->n_errors == 2);
	p = c->n == 2 ? c->posts[1] : NULL; /* pages/ sorts before posts/ */
	CHECK(p && p->kind == POST_KIND_POST);
	CHECK_STR(p ? p->title : NULL, "A");
	CHECK_CONTAINS(logged, "duplicate slug \"same\"");
	CHECK_CONTAINS(logged, "posts/a.md");
	CHECK_CONTAINS(logged, "posts/b.md");
	CHECK_CONTAINS(logged, "posts/c.md");
	CHECK(c->posts[0]->kind == POST_KIND_PAGE);
	content_free(c);
}

static void test_missing_title(void)
{
	const char *logged;
	struct content *c;

	clear();
	put("posts/untitled.md", "---\ndate: 2024-01-01\n---\nBody\n");
	put("posts/titled.md", "---\ntitle: Yes\n---\n");
	c = load(NULL, &logged);
	CHECK(c->n == 1 && c->n_errors == 1);
	CHECK(find(c, "titled") != NULL);
	CHECK_CONTAINS(logged, "posts/untitled.md:1:1: missing title");
	CHECK_CONTAINS(logged, "event=content");
	content_free(c);
}

static void test_bad_yaml_logged(void)
{
	const char *logged;
	struct content *c;

	clear();
	put("posts/bad.md", "---\ntitle: ok\nbad: a: b\n---\n");
	c = load(NULL, &logged);
	CHECK(c->n == 0 && c->n_errors == 1);
	CHECK_CONTAINS(logged, "posts/bad.md:3:7: mapping values");
	content_free(c);
}

static void test_broken_keeps_prev(void)
{
	struct content *first, *second, *third;
	const struct post *p;

	clear();
	put("posts/keep.md", "---\ntitle: Good\ntags: [a]\nmood: ok\n---\nOld body\n");
	put("posts/other.md", "---\ntitle: Other\n---\n");
	first = load(NULL, NULL);
	CHECK(first->n == 2);

	put("posts/keep.md", "---\ntitle: [broken\n---\nNew body\n");
	second = load(first, NULL);
	CHECK(second->n == 2);
	CHECK(second->n_errors == 1);
	p = find(second, "keep");
	CHECK_STR(p ? p->title : NULL, "Good");
	CHECK_STR(p ? p->html : NULL, "<p>Old body</p>\n");
	CHECK(p && p->tags.n == 1 && p->n_extra == 1);
	CHECK(p && p != find(first, "keep")); /* a copy, not shared */

	/* the copy survives the load it came from */
	content_free(first);
	third = load(second, NULL);
	p = find(third, "keep");
	CHECK_STR(p ? p->title : NULL, "Good");
	content_free(second);
	content_free(third);

	/* without a previous load the broken file is just gone */
	third = load(NULL, NULL);
	CHECK(third->n == 1 && find(third, "keep") == NULL);
	content_free(third);
}

/* Posts sharing a slug on different dates are all served: the earliest
 * keeps it, the later ones get a suffix of their date and keep the slug
 * they asked for (slug_settle.h); the same date is a duplicate. */
static void test_shared_slugs_dates(void)
{
	const char *logged;
	const struct post *p;
	struct content *c, *again;

	clear();
	/* footnoted summaries, which a list may show side by side */
	put("posts/2016-10-20-dup.md",
	    "---\ntitle: Middle\n---\nM[^1]\n\n[^1]: n\n\n<!--more-->\n");
	put("posts/more/2017-05-05-dup.md", "---\ntitle: Late\n---\n");
	put("posts/2015-06-06-dup.md",
	    "---\ntitle: Early\n---\nE[^1]\n\n[^1]: n\n\n<!--more-->\n");
	put("posts/2018-01-01-same.markdown", "---\ntitle: First\n---\n");
	put("posts/2018-01-01-same.md", "---\ntitle: Second\n---\n");
	/* a post that asks for the suffix a later post would get */
	put("posts/2019-01-01-x.md", "---\ntitle: X1\n---\n");
	put("posts/2020-02-02-x.md", "---\ntitle: X2\n---\n");
	put("posts/taken.md", "---\ntitle: Taken\nslug: x-2020-02-02\n"
	    "date: 2010-01-01\n---\n");
	c = load(NULL, &logged);
	CHECK(c->n == 7);
	CHECK(c->n_errors == 1);
	p = find(c, "dup");
	CHECK_STR(p ? p->title : NULL, "Early");
	CHECK(p && p->wanted_slug == NULL);
	CHECK(p && p->summary_html &&
	      strstr(p->summary_html, "id=\"summary-dup-fn-1\""));
	p = find(c, "dup-2016-10-20");
	CHECK_STR(p ? p->title : NULL, "Middle");
	CHECK_STR(p ? p->wanted_slug : NULL, "dup");
	/* its summary's ids under the slug it is served as, not Early's */
	CHECK(p && p->summary_html &&
	      strstr(p->summary_html, "id=\"summary-dup-2016-10-20-fn-1\""));
	p = find(c, "dup-2017-05-05");
	CHECK_STR(p ? p->title : NULL, "Late");
	CHECK_STR(rel(p), "posts/more/2017-05-05-dup.md");
	CHECK_CONTAINS(logged, "2017-05-05-dup.md:1:1: slug \"dup\" is also given by");
	CHECK_CONTAINS(logged, "served as \"dup-2017-05-05\"");
	p = find(c, "same");
	CHECK_STR(p ? p->title : NULL, "First");
	CHECK_CONTAINS(logged, "2018-01-01-same.md:1:1: duplicate slug \"same\"");
	CHECK_CONTAINS(logged, "2018-01-01-same.markdown\" on the same date");
	p = find(c, "x-2020-02-02");
	CHECK_STR(p ? p->title : NULL, "Taken");
	p = find(c, "x-2020-02-02-2");
	CHECK_STR(p ? p->title : NULL, "X2");
	CHECK_STR(p ? p->wanted_slug : NULL, "x");

	/* broken on a reload: the last good version keeps its slug */
	put("posts/more/2017-05-05-dup.md", "---\ntitle: [broken\n---\n");
	again = load(c, &logged);
	p = find(again, "dup-2017-05-05");
	CHECK_STR(p ? p->title : NULL, "Late");
	CHECK_STR(p ? p->wanted_slug : NULL, "dup");
	CHECK(again->n == 7);
	content_free(again);
	content_free(c);
}

/* A file that becomes a duplicate keeps its last good version, as a
 * broken one does, while its old slug is free. */
static void test_duplicate_keeps_prev(void)
{
	const char *logged;
	const struct post *p;
	struct content *first, *second;

	clear();
	put("posts/2018-01-01-same.md", "---\ntitle: Same\n---\n");
	put("posts/2018-01-01-solo.md", "---\ntitle: Solo\n---\nSOLO\n");
	first = load(NULL, NULL);
	CHECK(first->n == 2);
	put("posts/2018-01-01-solo.md", "---\ntitle: Solo\nslug: same\n---\n");
	second = load(first, &logged);
	CHECK(second->n == 2);
	CHECK(second->n_errors == 1);
	CHECK_CONTAINS(logged, "2018-01-01-solo.md:1:1: duplicate slug \"same\"");
	p = find(second, "solo");
	CHECK_STR(p ? p->html : NULL, "<p>SOLO</p>\n");
	p = find(second, "same");
	CHECK_STR(p ? p->title : NULL, "Same");
	content_free(second);
	content_free(first);
}

/* The rule itself: a slug held keeps its file; case is ignored. */
static void test_slug_settle_held(void)
{
	struct slug_claim v[5];
	size_t n_errors = 0, n_renamed = 0;

	memset(v, 0, sizeof(v));
	/* held by an earlier deploy; a newcomer dated earlier comes later */
	v[0].path = "a.md";
	v[0].wanted = "foo";
	v[0].held = "foo";
	v[0].day = 200;
	v[1].path = "b.md";
	v[1].wanted = "Foo";              /* the same slug but for case */
	v[1].day = 100;
	v[2].path = "c.md";               /* not parsed: keeps what it holds */
	v[2].held = "foo-1970-04-11";
	v[2].day = SLUG_DAY_UNKNOWN;
	v[3].path = "d.md";               /* a slug changed: the new one */
	v[3].wanted = "baz";
	v[3].held = "bar";
	v[3].day = 5;
	v[4].path = "e.md";               /* same day as a.md: duplicate */
	v[4].wanted = "FOO";
	v[4].day = 200;
	log_begin();
	CHECK(slug_settle(v, 5, 0, &n_errors, &n_renamed) == QUIRE_OK);
	(void)log_end();
	CHECK_STR(v[0].slug, "foo");
	CHECK_STR(v[1].slug, "Foo-1970-04-11-2");
	CHECK(v[1].renamed);
	CHECK_STR(v[2].slug, "foo-1970-04-11");
	CHECK_STR(v[3].slug, "baz");
	CHECK(v[4].slug == NULL);
	CHECK(n_errors == 1 && n_renamed == 1);
	slug_settle_release(v, 5);
}

/* A worker reads the slug a deploy did not give from the record's
 * source: its post's wanted_slug, for the permalinks. */
static void test_record_wanted_slug(void)
{
	struct parse_error err;
	struct post *p = NULL, *q = NULL;
	struct record *r;
	char *text;

	text = strdup("---\ntitle: Late\n---\nbody\n");
	CHECK(content_parse_file("posts/more/2017-05-05-dup.md", POST_KIND_POST,
				 text, strlen(text), NULL, &p, &err) == QUIRE_OK);
	r = p ? record_from_post(p, RECORD_ORIGIN_CONTENT) : NULL;
	CHECK(r != NULL);
	if (!r) {
		post_free(p);
		return;
	}
	CHECK(record_to_post(r, &q) == QUIRE_OK);
	CHECK(q && q->wanted_slug == NULL);
	CHECK_STR(q ? q->slug : NULL, "dup");
	post_free(q);
	free(r->slug);
	r->slug = strdup("dup-2017-05-05");
	CHECK(record_to_post(r, &q) == QUIRE_OK);
	CHECK_STR(q ? q->slug : NULL, "dup-2017-05-05");
	CHECK_STR(q ? q->wanted_slug : NULL, "dup");
	CHECK_STR(q ? q->path : NULL, "posts/more/2017-05-05-dup.md");
	CHECK(q && q->has_date && q->date == p->date);
	post_free(q);
	record_free(r);
	post_free(p);
}

/* Whether a summary is the whole post travels in the record's summary
 * as stored (the mark after it) and comes back as the flag, the mark
 * taken off; a summary stored without it (an older build's) has more. */
static void summary_round_trip(const char *md, int whole)
{
	struct parse_error err;
	struct post *p = NULL, *q = NULL;
	struct record *r;
	char *text = strdup(md);

	CHECK(text && content_parse_file("posts/w.md", POST_KIND_POST, text,
					 strlen(text), NULL, &p, &err) ==
	      QUIRE_OK);
	CHECK(p && p->summary_html && p->summary_whole == whole);
	r = p ? record_from_post(p, RECORD_ORIGIN_CONTENT) : NULL;
	CHECK(r && r->summary_html &&
	      (strstr(r->summary_html, MARKDOWN_SUMMARY_WHOLE) != NULL) == whole);
	CHECK(r && strlen(r->summary_html) <= QUIRE_MAX_SUMMARY);
	if (!r) {
		post_free(p);
		return;
	}
	CHECK(record_to_post(r, &q) == QUIRE_OK);
	CHECK(q && q->summary_whole == whole);
	CHECK_STR(q ? q->summary_html : NULL, p->summary_html);
	post_free(q);
	/* as an older build stored it: no mark, so there is more */
	CHECK(record_set_summary(r, p->summary_html, 0) == QUIRE_OK);
	CHECK(record_to_post(r, &q) == QUIRE_OK);
	CHECK(q && q->summary_whole == 0);
	CHECK_STR(q ? q->summary_html : NULL, p->summary_html);
	post_free(q);
	record_free(r);
	post_free(p);
}

static void test_record_summary_whole(void)
{
	summary_round_trip("---\ntitle: W\n---\nAll of it.\n", 1);
	summary_round_trip("---\ntitle: W\n---\nSome.\n\nMore.\n", 0);
}

static void test_nested_folders(void)
{
	struct content *c;
	char rel_path[512];
	size_t n;
	int i;

	clear();
	put("posts/2024/03/deep.md", "---\ntitle: Deep\n---\n");
	put("posts/top.md", "---\ntitle: Top\n---\n");
	/* pages/ is flat: a subfolder is not read */
	put("pages/sub/skipped.md", "---\ntitle: S\n---\n");
	/* one level deeper than the limit */
	n = (size_t)snprintf(rel_path, sizeof(rel_path), "posts");
	for (i = 0; i <= QUIRE_MAX_DIR_DEPTH; i++)
		n += (size_t)snprintf(rel_path + n, sizeof(rel_path) - n, "/d");
	snprintf(rel_path + n, sizeof(rel_path) - n, "/toodeep.md");
	put(rel_path, "---\ntitle: X\n---\n");
	c = load(NULL, NULL);
	CHECK(find(c, "deep") != NULL);
	CHECK(find(c, "top") != NULL);
	CHECK(find(c, "skipped") == NULL);
	CHECK(find(c, "toodeep") == NULL);
	CHECK(c->n == 2);
	CHECK(c->n_errors == 1);
	content_free(c);
}

static void test_skipped_files(void)
{
	struct content *c;

	clear();
	put("posts/.hidden.md", "---\ntitle: H\n---\n");
	put("posts/.git/x.md", "---\ntitle: G\n---\n");
	put("posts/notes.txt", "---\ntitle: N\n---\n");
	put("posts/real.md", "---\ntitle: R\n---\n");
	c = load(NULL, NULL);
	CHECK(c->n == 1 && find(c, "real") != NULL);
	CHECK(c->n_errors == 0);
	content_free(c);
}

static void test_symlinks(void)
{
	const char *logged;
	struct content *c;

	clear();
	put("posts/a/one.md", "---\ntitle: One\n---\n");
	/* a loop back to posts/ and a link out of the tree */
	link_at("..", "posts/a/loop");
	link_at("/etc", "posts/out");
	put("posts/real.md", "---\ntitle: R\n---\n");
	link_at("real.md", "posts/alias.md");
	c = load(NULL, &logged);
	CHECK(find(c, "one") != NULL);
	CHECK(find(c, "real") != NULL);
	CHECK(find(c, "alias") != NULL);
	CHECK(c->n == 3);
	CHECK_CONTAINS(logged, "posts/out");
	content_free(c);
}

static void test_sorted_by_path(void)
{
	struct content *c;
	size_t i;
	int sorted = 1;

	clear();
	put("posts/m.md", "---\ntitle: M\n---\n");
	put("posts/z/b.md", "---\ntitle: ZB\n---\n");
	put("posts/a.md", "---\ntitle: A\n---\n");
	put("pages/about.md", "---\ntitle: About\n---\n");
	c = load(NULL, NULL);
	CHECK(c->n == 4);
	for (i = 1; i < c->n; i++)
		if (strcmp(c->posts[i - 1]->path, c->posts[i]->path) >= 0)
			sorted = 0;
	CHECK(sorted);
	CHECK_STR(rel(c->posts[0]), "pages/about.md");
	content_free(c);
}

static void test_hash(void)
{
	struct content *c;
	const struct post *a, *b, *x;

	clear();
	put("posts/a.md", "---\ntitle: Same\n---\n");
	put("posts/b.md", "---\ntitle: Same\n---\n");
	put("posts/x.md", "---\ntitle: Different\n---\n");
	c = load(NULL, NULL);
	a = find(c, "a");
	b = find(c, "b");
	x = find(c, "x");
	CHECK(a && b && x);
	CHECK(a && a->hash != 0);
	CHECK(a && b && a->hash == b->hash);
	CHECK(a && x && a->hash != x->hash);
	content_free(c);
}

static void test_too_large(void)
{
	const char *logged;
	struct content *c;
	char path[4096];
	int fd;

	clear();
	put("posts/big.md", "---\ntitle: Big\n---\n");
	snprintf(path, sizeof(path), "%s/posts/big.md", root);
	fd = open(path, O_WRONLY);
	if (fd == -1 || ftruncate(fd, QUIRE_MAX_FILE + 1) == -1)
		die(path);
	close(fd);
	c = load(NULL, &logged);
	CHECK(c->n == 0 && c->n_errors == 1);
	CHECK_CONTAINS(logged, "larger than");
	content_free(c);
}

static void test_toc_and_footnotes(void)
{
	const struct post *p;
	struct content *c;

	clear();
	put("posts/t.md", "---\ntitle: T\ntoc: true\n---\n# One\n\ntext[^a]\n\n"
	    "[^a]: note\n");
	put("posts/n.md", "---\ntitle: N\n---\n# One\n");
	c = load(NULL, NULL);
	p = find(c, "t");
	CHECK_STR(p ? p->toc_html : NULL,
		  "<nav class=\"toc\"><ol><li><a href=\"#one\">One</a></li>"
		  "</ol></nav>");
	CHECK_CONTAINS(p ? p->html : NULL, "id=\"t-fn-a\"");
	CHECK(p && p->words == 3);
	p = find(c, "n");
	CHECK(p && p->toc_html == NULL);
	content_free(c);
}

static void test_unsafe_option(void)
{
	struct content_options opt = { .unsafe_html = 1 };
	struct content *c = NULL;

	clear();
	put("posts/h.md", "---\ntitle: H\n---\n<div>raw</div>\n");
	CHECK(content_load(root, NULL, &opt, &c) == QUIRE_OK);
	CHECK(c && c->n == 1);
	CHECK_CONTAINS(c && c->n ? c->posts[0]->html : NULL, "<div>raw</div>");
	content_free(c);
	c = load(NULL, NULL);
	CHECK(c->n == 1 && strstr(c->posts[0]->html, "<div>") == NULL);
	content_free(c);
}

/* A bundle's cover: and relative images under its URL folder; a plain
 * post's relative image from the site's root; an absolute one kept. */
static void test_bundle_images(void)
{
	const struct content_options jekyll = {
		.posts_pattern = "/:year/:month/:day/:slug.html",
	};
	struct parse_error err;
	struct post *p = NULL;
	char *text;

	text = strdup("---\ntitle: B\ncover: ./cover.jpg\n---\n![d](d.svg)\n");
	CHECK(content_parse_file("site/posts/my-post/index.md", POST_KIND_POST,
				 text, strlen(text), NULL, &p, &err) == QUIRE_OK);
	CHECK(p && content_is_bundle(p));
	/* a bundle's cover: resolved under the post's URL by the site
	 * (site_post_image), which alone knows it for sure */
	CHECK_STR(p ? p->featured_image : NULL, "./cover.jpg");
	CHECK_CONTAINS(p ? p->html : NULL, "src=\"/posts/my-post/d.svg\"");
	post_free(p);

	/* under a Jekyll pattern: the folder of the post's .html URL */
	p = NULL;
	text = strdup("---\ntitle: T\n---\n![v](view.png) [n](sub/n.txt)\n");
	CHECK(content_parse_file("site/posts/2016-10-20-trip/index.md",
				 POST_KIND_POST, text, strlen(text), &jekyll, &p,
				 &err) == QUIRE_OK);
	CHECK_STR(p ? p->slug : NULL, "trip");
	CHECK_CONTAINS(p ? p->html : NULL, "src=\"/2016/10/20/view.png\"");
	CHECK_CONTAINS(p ? p->html : NULL, "href=\"/2016/10/20/sub/n.txt\"");
	post_free(p);

	p = NULL;
	text = strdup("---\ntitle: B\nslug: Other\nimage: c.png\n---\nx\n");
	CHECK(content_parse_file("site/posts/b/index.markdown", POST_KIND_POST,
				 text, strlen(text), NULL, &p, &err) == QUIRE_OK);
	CHECK_STR(p ? p->featured_image : NULL, "c.png");
	post_free(p);

	p = NULL;
	text = strdup("---\ntitle: P\nimage: images/p.png\n---\n![d](d.svg)\n");
	CHECK(content_parse_file("site/posts/plain.md", POST_KIND_POST, text,
				 strlen(text), NULL, &p, &err) == QUIRE_OK);
	CHECK(p && !content_is_bundle(p));
	CHECK_STR(p ? p->featured_image : NULL, "/images/p.png");
	CHECK_CONTAINS(p ? p->html : NULL, "src=\"d.svg\"");
	post_free(p);

	p = NULL;
	text = strdup("---\ntitle: A\nimage: https://cdn.example/a.png\n---\nx\n");
	CHECK(content_parse_file("site/posts/a/index.md", POST_KIND_POST, text,
				 strlen(text), NULL, &p, &err) == QUIRE_OK);
	CHECK_STR(p ? p->featured_image : NULL, "https://cdn.example/a.png");
	post_free(p);
}

static void test_parse_file_direct(void)
{
	struct parse_error err;
	struct post *p = NULL;
	char *text;
	enum quire_err rc;

	text = strdup("---\r\ntitle: Direct\r\n---\r\nsome *text*\r\n");
	rc = content_parse_file("posts/direct.md", POST_KIND_POST, text,
				strlen(text), NULL, &p, &err);
	CHECK(rc == QUIRE_OK);
	CHECK_STR(p ? p->slug : NULL, "direct");
	CHECK_STR(p ? p->html : NULL, "<p>some <em>text</em></p>\n");
	post_free(p);

	/* markdown errors are placed in the whole file */
	text = strdup("---\ntitle: Wide\n---\n\ntext\n\n"
		      "|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|"
		      "a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|\n"
		      "|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|"
		      "-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|\n");
	p = NULL;
	rc = content_parse_file("posts/wide.md", POST_KIND_POST, text,
				strlen(text), NULL, &p, &err);
	CHECK(rc == QUIRE_ETOOBIG);
	CHECK(p == NULL);
	CHECK(err.line == 8);
	CHECK_CONTAINS(err.message, "columns");

	/* after a byte order mark, blank lines and with CRLF: served, and
	 * errors still name the file's own lines */
	text = strdup("\xef\xbb\xbf\r\n  \r\n---\r\ntitle: \"`Lenient` *one*\"\r\n"
		      "---\r\nsome *text*\r\n\r\nmore\r\n");
	p = NULL;
	rc = content_parse_file("posts/Lenient.md", POST_KIND_POST, text,
				strlen(text), NULL, &p, &err);
	CHECK(rc == QUIRE_OK);
	CHECK_STR(p ? p->slug : NULL, "Lenient");
	CHECK_STR(p ? p->title_html : NULL, "<code>Lenient</code> <em>one</em>");
	CHECK_STR(p ? p->title_text : NULL, "Lenient one");
	CHECK_STR(p ? p->html : NULL, "<p>some <em>text</em></p>\n<p>more</p>\n");
	post_free(p);
	text = strdup("\xef\xbb\xbf\r\n\r\n---\r\ntitle: T\r\n---\r\nok\r\n"
		      "ab\xff\r\n");
	p = NULL;
	rc = content_parse_file("posts/bad.md", POST_KIND_POST, text,
				strlen(text), NULL, &p, &err);
	CHECK(rc == QUIRE_EPARSE);
	CHECK(err.line == 7 && err.column == 3);
	CHECK_CONTAINS(err.message, "UTF-8");
	text = strdup("\n\n---\ntitle: Wide\n---\n"
		      "|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|"
		      "a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|a|\n"
		      "|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|"
		      "-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|\n");
	p = NULL;
	rc = content_parse_file("posts/wide2.md", POST_KIND_POST, text,
				strlen(text), NULL, &p, &err);
	CHECK(rc == QUIRE_ETOOBIG);
	CHECK(err.line == 7); /* the delimiter row, as above */

	text = strdup("no frontmatter\n");
	rc = content_parse_file("posts/nofm.md", POST_KIND_POST, text,
				strlen(text), NULL, &p, &err);
	CHECK(rc == QUIRE_EPARSE);
	CHECK_CONTAINS(err.message, "missing frontmatter");

	/* What PostgreSQL's text refuses is refused here, with its place:
	 * a NUL byte, bytes that are not UTF-8 (the API answered 503 when
	 * the database refused them at commit). */
	text = malloc(40);
	memcpy(text, "---\ntitle: N\n---\nab\0cd\n", 23);
	rc = content_parse_file("posts/nul.md", POST_KIND_POST, text, 23, NULL,
				&p, &err);
	CHECK(rc == QUIRE_EPARSE);
	CHECK(p == NULL);
	CHECK(err.line == 4 && err.column == 3);
	CHECK_CONTAINS(err.message, "NUL");
	text = strdup("---\ntitle: U\n---\n\xc3\xa9t\xc3\n");
	rc = content_parse_file("posts/utf.md", POST_KIND_POST, text,
				strlen(text), NULL, &p, &err);
	CHECK(rc == QUIRE_EPARSE);
	CHECK(err.line == 4 && err.column == 4);
	CHECK_CONTAINS(err.message, "UTF-8");
	text = strdup("---\ntitle: \xe9t\xe9\n---\nx\n"); /* Latin-1 */
	rc = content_parse_file("posts/latin1.md", POST_KIND_POST, text,
				strlen(text), NULL, &p, &err);
	CHECK(rc == QUIRE_EPARSE);
	CHECK(err.line == 2 && err.column == 8);
	text = strdup("---\ntitle: \xc3\xa9t\xc3\xa9 \xf0\x9f\x99\x82\n---\nx\n");
	rc = content_parse_file("posts/ok-utf8.md", POST_KIND_POST, text,
				strlen(text), NULL, &p, &err);
	CHECK(rc == QUIRE_OK);
	post_free(p);
	p = NULL;
}

/* An existing Jekyll or Hugo site's folder is served as it is. */
static void test_jekyll_and_hugo_folders(void)
{
	const struct post *p;
	struct content *c;

	clear();
	put("_posts/2019-11-19-welcome.md",
	    "---\nlayout: post\ntitle: \"Welcome\"\n"
	    "date: 2019-11-19 10:20:30 +0100\ncategories: jekyll update\n"
	    "last_modified_at: 2019-12-01\nexcerpt: Short\n---\nHi\n");
	put("_posts/2019-11-20-hidden.md",
	    "---\ntitle: Hidden\npublished: false\n---\nHi\n");
	put("post/hugo-one.md",
	    "---\ntitle: Hugo\ndate: 2020-01-03T10:00:00+01:00\n"
	    "lastmod: 2020-02-03\nsummary: Sum\nimage: /img/a.png\n---\nHi\n");
	put("content/posts/deep/hugo-two.md", "---\ntitle: Two\n---\nHi\n");
	c = load(NULL, NULL);
	CHECK(c->n == 4);
	p = find(c, "welcome");
	CHECK(p && p->kind == POST_KIND_POST);
	CHECK(p && p->date == 1574155230);
	CHECK(p && p->has_updated && p->updated == 1575158400);
	CHECK(p && p->categories.n == 2);
	CHECK_STR(p && p->categories.n == 2 ? p->categories.v[1] : NULL, "update");
	CHECK_STR(p ? p->description : NULL, "Short");
	p = find(c, "hidden");
	CHECK(p && p->draft);
	p = find(c, "hugo-one");
	CHECK(p && p->has_updated && p->updated == 1580688000);
	CHECK_STR(p ? p->description : NULL, "Sum");
	CHECK_STR(p ? p->featured_image : NULL, "/img/a.png");
	CHECK(find(c, "hugo-two") != NULL);
	content_free(c);
}

/* Hugo's default TOML frontmatter, read through the same field rules. */
static void test_hugo_toml(void)
{
	const char *logged;
	const struct post *p;
	struct content *c;
	size_t i;
	int author = 0;

	clear();
	put("post/first.md",
	    "+++\n"
	    "title = \"First\"\n"
	    "date = 2020-01-02T10:00:00+01:00\n"
	    "lastmod = 2020-02-03\n"
	    "tags = [\"hugo\", \"toml\"]\n"
	    "draft = false\n"
	    "summary = '''Caf\xc3\xa9 notes'''\n"
	    "\n"
	    "[params]\n"
	    "author = \"Ada\"\n"
	    "+++\n"
	    "Hello *TOML*\n");
	put("post/bad.md", "+++\ntitle = \"Bad\"\ndraft = maybe\n+++\n");
	c = load(NULL, &logged);
	CHECK(c->n == 1 && c->n_errors == 1);
	p = find(c, "first");
	CHECK(p && p->kind == POST_KIND_POST);
	CHECK_STR(p ? p->title : NULL, "First");
	CHECK(p && p->has_date && p->date == 1577955600);
	CHECK(p && p->has_updated && p->updated == 1580688000);
	CHECK(p && p->tags.n == 2 && strlist_has(&p->tags, "toml"));
	CHECK(p && !p->draft);
	CHECK_STR(p ? p->description : NULL, "Caf\xc3\xa9 notes");
	CHECK_STR(p ? p->html : NULL, "<p>Hello <em>TOML</em></p>\n");
	for (i = 0; p && i < p->n_extra; i++)
		if (strcmp(p->extra[i].key, "params.author") == 0 &&
		    strcmp(p->extra[i].value, "Ada") == 0)
			author = 1;
	CHECK(author);
	CHECK_CONTAINS(logged, "post/bad.md:3:9: bad value");
	content_free(c);
}

/*
 * A load of many posts over QUIRE_RENDER_INLINE_MAX with a pathological
 * one among them (CVE-2023-22483's "z_www.", ~40 s of CPU unbounded):
 * that one is refused within the render's CPU bound and reported, every
 * other post loads, in file order, and the big ones render in the pool's
 * long-lived helpers, not in a process each (a fork a post was most of
 * a big site's load, tests/bench/RESULTS.md "Ingest").
 */
static void test_big_posts_pathological(void)
{
	struct content *c;
	struct buf b = BUF_INIT, big = BUF_INIT;
	const char *logged;
	unsigned long s0;
	char rel[64];
	int i;

	clear();
	for (i = 0; big.len <= QUIRE_RENDER_INLINE_MAX + 100; i++)
		buf_printf(&big, "Paragraph %d with *emphasis* and `code`.\n\n", i);
	buf_puts(&big, "```c\nint main(void) { return 0; }\n```\n");
	for (i = 0; i < 40; i++) {
		snprintf(rel, sizeof(rel), "posts/big-%02d.md", i);
		put(rel, "---\ntitle: Big %d\n---\n%s", i, big.data);
	}
	for (i = 0; i < 40000; i++)
		buf_puts(&b, "z_www.");
	put("posts/big-20x.md", "---\ntitle: Slow\n---\n%s", b.data);
	s0 = sandbox_pool_started();
	c = load(NULL, &logged);
	CHECK(c->n == 40);
	CHECK(c->n_errors == 1);
	CHECK_CONTAINS(logged, "big-20x.md");
	CHECK_CONTAINS(logged, "cpu");
	CHECK(find(c, "big-20x") == NULL);
	CHECK_STR(c->n ? c->posts[0]->slug : NULL, "big-00");
	CHECK_STR(c->n > 21 ? c->posts[21]->slug : NULL, "big-21");
	CHECK_CONTAINS(find(c, "big-39") ? find(c, "big-39")->html : NULL,
		       "Paragraph 1 with <em>emphasis</em>");
	/* a helper per thread, and one to replace the overrun's */
	CHECK(sandbox_pool_started() - s0 <= PARALLEL_THREADS_MAX + 1);
	CHECK(sandbox_pool_pids(NULL, 0) <= SANDBOX_POOL_MAX);
	content_free(c);
	buf_release(&b);
	buf_release(&big);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");

	markdown_init();
	test_bundle_images();
	snprintf(root, sizeof(root), "%s/quire-content-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(root))
		die("mkdtemp");
	snprintf(logpath, sizeof(logpath), "%s.log", root);

	test_missing_dir();
	test_jekyll_name();
	test_jekyll_frontmatter_wins();
	test_jekyll_bad_date_is_a_name();
	test_file_name_slug();
	test_invalid_file_name_slug();
	test_html_posts();
	test_invalid_frontmatter_slug();
	test_index_folder();
	test_duplicate_slugs();
	test_slug_case();
	test_missing_title();
	test_bad_yaml_logged();
	test_broken_keeps_prev();
	test_shared_slugs_dates();
	test_duplicate_keeps_prev();
	test_slug_settle_held();
	test_record_wanted_slug();
	test_record_summary_whole();
	test_record_summary_whole();
	test_nested_folders();
	test_skipped_files();
	test_symlinks();
	test_sorted_by_path();
	test_hash();
	test_too_large();
	test_toc_and_footnotes();
	test_unsafe_option();
	test_parse_file_direct();
	test_jekyll_and_hugo_folders();
	test_hugo_toml();
	test_big_posts_pathological();

	if (nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS) == -1)
		perror("nftw");
	unlink(logpath);
	return check_done("test_content");
}
