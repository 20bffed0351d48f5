/*
 * test_limits.c - every limit of limits.h that a parser enforces, at its
 * edge: an input exactly at the limit is accepted, one byte (or one item)
 * more is refused with the error the header promises. Also templates.c's
 * own bounds on the work of one render.
 *
 * Limits of limits.h with no test here, and why:
 *   QUIRE_MAX_PATH_SEGS - not enforced by any parser;
 *   QUIRE_MAX_BODY - the worker's, tested by tests/integration;
 *   QUIRE_MAX_DIR_DEPTH - content_load's, in test_content;
 *   QUIRE_MAX_PUBLIC_FILE, QUIRE_MAX_PUBLIC_PATH - public_tree's, in
 *   test_public_tree; QUIRE_MAX_PUBLIC_FILES and QUIRE_MAX_PUBLIC_TOTAL -
 *   100,000 files and 4 GiB, too many to make here: the same comparison
 *   as QUIRE_MAX_PUBLIC_FILE's, in public_tree.c's put_file();
 *   QUIRE_RENDER_CPU_MS - a time, in test_markdown;
 *   QUIRE_API_MAX_FAILURES, QUIRE_API_FAILURE_WINDOW - the throttle's
 *   defaults, in test_auth and tests/integration/test_api_auth.sh;
 *   QUIRE_LEASE_SECONDS - a time, --lease-seconds' default, in
 *   test_config and tests/integration/test_hosts.sh;
 *   QUIRE_IMPORT_MAX_KEYS, QUIRE_IMPORT_MAX_CONFIG - the importers'
 *   readers', in test_import; QUIRE_IMPORT_MAX_STATIC - in
 *   tests/integration/test_import_hugo.sh (a sparse file one byte over);
 *   QUIRE_IMPORT_MAX_FILES - 200,000 files are too many to make in a
 *   test: import_walk() counts them as the QUIRE_MAX_POSTS bound;
 *   QUIRE_MAX_SUMMARY, QUIRE_MAX_SUMMARY_MARKDOWN,
 *   QUIRE_SUMMARY_MAX_BLOCKS - a summary is cut, not refused: in
 *   test_markdown (the cut) and test_tier_redis_codec (an index entry
 *   or post hash one byte over refused).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* mkdtemp */
#endif
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "tmpsite.h"
#include "content/content.h"
#include "content/frontmatter.h"
#include "content/markdown.h"
#include "content/post.h"
#include "content/templates.h"
#include "content/tvars.h"
#include "lib/buf.h"
#include "lib/etag.h"
#include "lib/limits.h"
#include "lib/quire.h"
#include "serve/uri.h"

static void *xmalloc(size_t n)
{
	void *p = malloc(n);

	if (!p) {
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	return p;
}

/* A malloc'd string: head, then fill repeated up to exactly len bytes in
 * all, then tail (len counts head and filler, not tail). */
static char *make(const char *head, char fill, size_t len, const char *tail)
{
	size_t h = strlen(head), t = strlen(tail);
	char *s = xmalloc(len + t + 1);

	memcpy(s, head, h);
	memset(s + h, fill, len - h);
	memcpy(s + len, tail, t + 1);
	return s;
}

/* ---------------------------------------------------------------- uri */

static void test_uri_length(void)
{
	struct uri *u = xmalloc(sizeof(*u));
	char *s;

	s = make("/", 'a', QUIRE_MAX_URI, "");
	CHECK(uri_parse(s, u) == 200);
	CHECK(u->path_len == QUIRE_MAX_URI);
	free(s);
	s = make("/", 'a', QUIRE_MAX_URI + 1, "");
	CHECK(uri_parse(s, u) == 414);
	free(s);
	/* the query counts against the URI too */
	s = make("/?", 'a', QUIRE_MAX_URI + 1, "");
	CHECK(uri_parse(s, u) == 414);
	free(s);
	free(u);
}

static void test_query_length(void)
{
	struct uri *u = xmalloc(sizeof(*u));
	char *s;

	/* "/?" then exactly QUIRE_MAX_QUERY bytes of an unknown parameter */
	s = make("/posts/?x=", 'a', strlen("/posts/?") + QUIRE_MAX_QUERY, "");
	CHECK(uri_parse(s, u) == 200);
	CHECK_STR(u->path, "/posts/");
	free(s);
	s = make("/posts/?x=", 'a', strlen("/posts/?") + QUIRE_MAX_QUERY + 1, "");
	CHECK(strlen(s) <= QUIRE_MAX_URI); /* refused for the query alone */
	CHECK(uri_parse(s, u) == 400);
	free(s);
	free(u);
}

static void test_page_number(void)
{
	struct uri *u = xmalloc(sizeof(*u));
	char s[64];

	snprintf(s, sizeof(s), "/posts/?page=%d", QUIRE_MAX_PAGE_NUMBER);
	CHECK(uri_parse(s, u) == 200);
	CHECK(u->page == QUIRE_MAX_PAGE_NUMBER);
	snprintf(s, sizeof(s), "/posts/?page=%d", QUIRE_MAX_PAGE_NUMBER + 1);
	CHECK(uri_parse(s, u) == 400);
	CHECK(uri_parse("/posts/?page=0", u) == 400);
	CHECK(uri_parse("/posts/?page=1", u) == 200);
	CHECK(u->page == 1);
	free(u);
}

/* -------------------------------------------------------- frontmatter */

/* Parses text (taken over) as a post's source. */
static enum quire_err parse_fm(char *text, struct parse_error *err)
{
	struct post *p = post_new();
	enum quire_err rc;

	if (!p)
		exit(2);
	p->source = text;
	p->source_len = strlen(text);
	rc = frontmatter_parse(p, err);
	post_free(p);
	return rc;
}

/* A frontmatter block of exactly size bytes between the fences: a title
 * line, then comment lines. */
static char *fm_block(const char *fence, const char *title_line, size_t size)
{
	size_t n = strlen(fence) + 1, line = 80;
	char *s = xmalloc(n + size + 2 * strlen(fence) + 16);
	size_t o, end;

	o = (size_t)sprintf(s, "%s\n%s", fence, title_line);
	end = n + size;
	while (o < end) {
		size_t k = end - o < line ? end - o : line;

		/* a comment line of k bytes, its '\n' included */
		s[o] = '#';
		if (k > 1)
			memset(s + o + 1, 'c', k - 1);
		s[o + k - 1] = '\n';
		o += k;
	}
	sprintf(s + o, "%s\nbody\n", fence);
	return s;
}

static void test_frontmatter_size(void)
{
	struct parse_error err;

	CHECK(parse_fm(fm_block("---", "title: t\n", QUIRE_MAX_FRONTMATTER),
		       &err) == QUIRE_OK);
	CHECK(parse_fm(fm_block("---", "title: t\n", QUIRE_MAX_FRONTMATTER + 1),
		       &err) == QUIRE_ETOOBIG);
	CHECK_CONTAINS(err.message, "frontmatter is larger");
	CHECK(parse_fm(fm_block("+++", "title = 't'\n", QUIRE_MAX_FRONTMATTER),
		       &err) == QUIRE_OK);
	CHECK(parse_fm(fm_block("+++", "title = 't'\n",
				QUIRE_MAX_FRONTMATTER + 1), &err) ==
	      QUIRE_ETOOBIG);
	CHECK_CONTAINS(err.message, "frontmatter is larger");
}

/* "---\nKEY: [t0, t1, ...]\n---\n" (YAML) or the TOML form, n items. */
static char *fm_list(int toml, const char *key, int n)
{
	char *s = xmalloc(64 + (size_t)n * 16);
	size_t o;
	int i;

	o = (size_t)sprintf(s, toml ? "+++\n%s = [" : "---\n%s: [", key);
	for (i = 0; i < n; i++)
		o += (size_t)sprintf(s + o, toml ? "%s\"t%d\"" : "%st%d",
				     i ? ", " : "", i);
	sprintf(s + o, toml ? "]\n+++\n" : "]\n---\n");
	return s;
}

static void test_tags(void)
{
	static const char *const keys[] = { "tags", "categories", "authors",
					    "aliases" };
	struct parse_error err;
	size_t k;
	int toml;

	for (toml = 0; toml < 2; toml++) {
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			CHECK(parse_fm(fm_list(toml, keys[k], QUIRE_MAX_TAGS),
				       &err) == QUIRE_OK);
			CHECK(parse_fm(fm_list(toml, keys[k],
					       QUIRE_MAX_TAGS + 1), &err) ==
			      QUIRE_ETOOBIG);
			CHECK_CONTAINS(err.message, keys[k]);
		}
	}
}

static void test_slug_frontmatter(void)
{
	struct parse_error err;
	char *s;

	s = make("---\nslug: ", 'a', strlen("---\nslug: ") + QUIRE_MAX_SLUG,
		 "\n---\n");
	CHECK(parse_fm(s, &err) == QUIRE_OK);
	s = make("---\nslug: ", 'a', strlen("---\nslug: ") + QUIRE_MAX_SLUG + 1,
		 "\n---\n");
	CHECK(parse_fm(s, &err) == QUIRE_EPARSE);
	CHECK_CONTAINS(err.message, "invalid slug");
	s = make("+++\nslug = '", 'a', strlen("+++\nslug = '") + QUIRE_MAX_SLUG,
		 "'\n+++\n");
	CHECK(parse_fm(s, &err) == QUIRE_OK);
	s = make("+++\nslug = '", 'a',
		 strlen("+++\nslug = '") + QUIRE_MAX_SLUG + 1, "'\n+++\n");
	CHECK(parse_fm(s, &err) == QUIRE_EPARSE);
	CHECK_CONTAINS(err.message, "invalid slug");
}

/* A title is read as Markdown up to QUIRE_MAX_TITLE_MARKDOWN bytes, and
 * taken as written past it. */
static void test_title_markdown(void)
{
	char *t = xmalloc(QUIRE_MAX_TITLE_MARKDOWN + 2), *html, *text;

	memset(t, 'a', QUIRE_MAX_TITLE_MARKDOWN + 1);
	memcpy(t, "`x`", 3);
	t[QUIRE_MAX_TITLE_MARKDOWN] = '\0';
	CHECK(markdown_title(t, &html, &text) == QUIRE_OK);
	CHECK(html && strncmp(html, "<code>x</code>", 14) == 0);
	free(html);
	free(text);
	t[QUIRE_MAX_TITLE_MARKDOWN] = 'a';
	t[QUIRE_MAX_TITLE_MARKDOWN + 1] = '\0';
	CHECK(markdown_title(t, &html, &text) == QUIRE_OK);
	CHECK(html && strncmp(html, "`x`aaa", 6) == 0);
	CHECK_STR(text, t);
	free(html);
	free(text);
	free(t);
}

/* The document's own map is level 1, so a value may hold
 * QUIRE_MAX_YAML_DEPTH - 1 levels of lists or maps. */
static char *fm_nested(int toml, int map, int levels)
{
	char *s = xmalloc(64 + (size_t)levels * 8);
	size_t o;
	int i;

	o = (size_t)sprintf(s, toml ? "+++\nx = " : "---\nx: ");
	for (i = 0; i < levels; i++)
		o += (size_t)sprintf(s + o, map ? (toml ? "{a = " : "{a: ") : "[");
	s[o++] = '1';
	for (i = 0; i < levels; i++)
		s[o++] = map ? '}' : ']';
	sprintf(s + o, toml ? "\n+++\n" : "\n---\n");
	return s;
}

static void test_depth(void)
{
	struct parse_error err;
	char *s;
	size_t o;
	int toml, map, i;

	for (toml = 0; toml < 2; toml++) {
		for (map = 0; map < 2; map++) {
			CHECK(parse_fm(fm_nested(toml, map,
						 QUIRE_MAX_YAML_DEPTH - 1),
				       &err) == QUIRE_OK);
			CHECK(parse_fm(fm_nested(toml, map,
						 QUIRE_MAX_YAML_DEPTH),
				       &err) == QUIRE_ETOOBIG);
			CHECK_CONTAINS(err.message, "nested deeper");
		}
	}
	/* TOML dotted keys: x.x...x with QUIRE_MAX_YAML_DEPTH parts is a
	 * value QUIRE_MAX_YAML_DEPTH levels down, as above */
	for (i = 0; i < 2; i++) {
		s = xmalloc(64 + QUIRE_MAX_YAML_DEPTH * 4);
		o = (size_t)sprintf(s, "+++\nx");
		for (map = 1; map < QUIRE_MAX_YAML_DEPTH + i; map++)
			o += (size_t)sprintf(s + o, ".x");
		sprintf(s + o, " = 1\n+++\n");
		CHECK(parse_fm(s, &err) == (i ? QUIRE_ETOOBIG : QUIRE_OK));
	}
}

/* ----------------------------------------------------------- markdown */

static void test_markdown_size(void)
{
	struct markdown_out out;
	struct parse_error err;
	char *s = xmalloc(QUIRE_MAX_MARKDOWN + 2);
	size_t i;

	/* paragraphs of words */
	for (i = 0; i < QUIRE_MAX_MARKDOWN + 1; i++)
		s[i] = i % 64 == 63 ? '\n' : i % 8 == 7 ? ' ' : 'x';
	s[QUIRE_MAX_MARKDOWN + 1] = '\0';
	CHECK(markdown_render(s, QUIRE_MAX_MARKDOWN, 0, NULL, &out, &err) ==
	      QUIRE_OK);
	CHECK(out.html != NULL);
	markdown_out_release(&out);
	CHECK(markdown_render(s, QUIRE_MAX_MARKDOWN + 1, 0, NULL, &out, &err) ==
	      QUIRE_ETOOBIG);
	CHECK(out.html == NULL);
	CHECK_CONTAINS(err.message, "markdown is larger");
	free(s);
}

/* A table of cols columns: header, delimiter row, one body row. */
static char *table(int cols)
{
	char *s = xmalloc((size_t)cols * 16 + 16);
	size_t o = 0;
	int row, i;

	for (row = 0; row < 3; row++) {
		for (i = 0; i < cols; i++)
			o += (size_t)sprintf(s + o, row == 1 ? "|---" : "| c%d ", i);
		o += (size_t)sprintf(s + o, "|\n");
	}
	return s;
}

static void test_table_columns(void)
{
	struct markdown_out out;
	struct parse_error err;
	char *s;

	s = table(QUIRE_MAX_TABLE_COLS);
	CHECK(markdown_render(s, strlen(s), 0, NULL, &out, &err) == QUIRE_OK);
	CHECK_CONTAINS(out.html, "<table>");
	markdown_out_release(&out);
	free(s);
	s = table(QUIRE_MAX_TABLE_COLS + 1);
	CHECK(markdown_render(s, strlen(s), 0, NULL, &out, &err) ==
	      QUIRE_ETOOBIG);
	CHECK_CONTAINS(err.message, "columns");
	CHECK(err.line == 2); /* the delimiter row */
	free(s);
}

/* ----------------------------------------------------------- template */

static void test_template_size(void)
{
	struct templates *t = templates_new();
	struct parse_error err;
	char *s = make("{{title}}", 'x', QUIRE_MAX_TEMPLATE + 1, "");
	char dir[] = "/tmp/quire-limits-XXXXXX", path[128];
	struct templates *loaded = NULL;
	FILE *f;

	CHECK(t != NULL);
	s[QUIRE_MAX_TEMPLATE] = '\0';
	CHECK(templates_add(t, "ok", s, &err) == QUIRE_OK);
	s[QUIRE_MAX_TEMPLATE] = 'x';
	CHECK(templates_add(t, "big", s, &err) == QUIRE_ETOOBIG);
	CHECK_CONTAINS(err.message, "larger than");
	CHECK(!templates_has(t, "big"));
	templates_free(t);

	/* and read from a file by templates_load */
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		exit(2);
	}
	snprintf(path, sizeof(path), "%s/home.html", dir);
	f = fopen(path, "w");
	if (!f || fwrite(s, 1, QUIRE_MAX_TEMPLATE, f) != QUIRE_MAX_TEMPLATE ||
	    fclose(f) != 0)
		exit(2);
	CHECK(templates_load(dir, &loaded, &err) == QUIRE_OK);
	CHECK(loaded && templates_has(loaded, "home"));
	templates_free(loaded);
	loaded = NULL;
	f = fopen(path, "w");
	if (!f || fwrite(s, 1, QUIRE_MAX_TEMPLATE + 1, f) !=
	    QUIRE_MAX_TEMPLATE + 1 || fclose(f) != 0)
		exit(2);
	CHECK(templates_load(dir, &loaded, &err) == QUIRE_ETOOBIG);
	CHECK(loaded == NULL);
	CHECK_CONTAINS(err.message, "larger than");
	unlink(path);
	rmdir(dir);
	free(s);
}

/* A render's work is bounded too: sections nested over a two-item list
 * would visit 2^depth nodes, and a partial calling itself multiplies
 * that (found by fuzz_template). */
static void test_template_render_work(void)
{
	struct templates *t = templates_new();
	struct tvars *v = tvars_new();
	struct parse_error err;
	struct buf out = BUF_INIT;
	char text[1024];
	size_t o = 0;
	int i;

	CHECK(t && v);
	for (i = 0; i < 2; i++)
		CHECK(tvars_list_add(v, "l") != NULL);
	/* 2^10 items: fine */
	for (i = 0; i < 10; i++)
		o += (size_t)sprintf(text + o, "{{#l}}");
	o += (size_t)sprintf(text + o, "x");
	for (i = 0; i < 10; i++)
		o += (size_t)sprintf(text + o, "{{/l}}");
	CHECK(templates_add(t, "small", text, &err) == QUIRE_OK);
	CHECK(templates_render(t, "small", v, &out) == QUIRE_OK);
	CHECK(out.len == 1024);
	buf_release(&out);
	/* 2^30 (and the output of a partial that calls itself): refused */
	o = 0;
	for (i = 0; i < 30; i++)
		o += (size_t)sprintf(text + o, "{{#l}}");
	o += (size_t)sprintf(text + o, "x");
	for (i = 0; i < 30; i++)
		o += (size_t)sprintf(text + o, "{{/l}}");
	CHECK(templates_add(t, "big", text, &err) == QUIRE_OK);
	CHECK(templates_render(t, "big", v, &out) == QUIRE_ETOOBIG);
	buf_release(&out);
	o = (size_t)sprintf(text, "{{#l}}{{#l}}{{#l}}{{>self}}{{/l}}{{/l}}{{/l}}");
	memset(text + o, 'y', 512);
	text[o + 512] = '\0';
	CHECK(templates_add(t, "self", text, &err) == QUIRE_OK);
	CHECK(templates_render(t, "self", v, &out) == QUIRE_ETOOBIG);
	buf_release(&out);
	tvars_free(v);
	templates_free(t);
}

/* -------------------------------------------------------------- files */

/* A valid post of exactly len bytes: frontmatter, then filler text.
 * Not 'w': a megabyte of it costs GFM's autolinker (which looks for
 * "www." at every w) 0.6 s of CPU, close enough to the render bound to
 * fail now and then; this tests the size bound, test_markdown the CPU
 * one. */
static char *post_text(size_t len)
{
	return make("---\ntitle: big\n---\n", 'x', len, "");
}

static void test_file_size(void)
{
	struct content_options opt = { 0 };
	struct parse_error err;
	struct content *c = NULL;
	struct post *p = NULL;
	char dir[256], path[320], *s;
	FILE *f;
	int i;

	CHECK(content_parse_file("posts/big.md", POST_KIND_POST,
				 post_text(QUIRE_MAX_FILE), QUIRE_MAX_FILE,
				 &opt, &p, &err) == QUIRE_OK);
	CHECK(p != NULL);
	post_free(p);
	p = NULL;
	CHECK(content_parse_file("posts/big.md", POST_KIND_POST,
				 post_text(QUIRE_MAX_FILE + 1),
				 QUIRE_MAX_FILE + 1, &opt, &p, &err) ==
	      QUIRE_ETOOBIG);
	CHECK(p == NULL);
	CHECK_CONTAINS(err.message, "file is larger");

	/* content_load reads no more than that from a file */
	tmpsite_make(dir, sizeof(dir), "limits");
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/posts/big.md", dir);
		s = post_text(QUIRE_MAX_FILE + (size_t)i);
		f = fopen(path, "w");
		if (!f || fwrite(s, 1, QUIRE_MAX_FILE + (size_t)i, f) !=
		    QUIRE_MAX_FILE + (size_t)i || fclose(f) != 0)
			exit(2);
		free(s);
		CHECK(content_load(dir, NULL, &opt, &c) == QUIRE_OK);
		CHECK(c && c->n == (i ? 0u : 1u));
		CHECK(c && c->n_errors == (i ? 1u : 0u));
		content_free(c);
		c = NULL;
	}
	unlink(path);
	snprintf(path, sizeof(path), "%s/posts", dir);
	rmdir(path);
	rmdir(dir);
}

static void test_slug_file_name(void)
{
	struct content_options opt = { 0 };
	struct parse_error err;
	struct post *p = NULL;
	char path[QUIRE_MAX_SLUG + 64];
	char *text;

	snprintf(path, sizeof(path), "posts/%0*d.md", QUIRE_MAX_SLUG, 7);
	text = strdup("---\ntitle: t\n---\nbody\n");
	CHECK(content_parse_file(path, POST_KIND_POST, text, strlen(text),
				 &opt, &p, &err) == QUIRE_OK);
	CHECK(p && strlen(p->slug) == QUIRE_MAX_SLUG);
	post_free(p);
	p = NULL;
	snprintf(path, sizeof(path), "posts/%0*d.md", QUIRE_MAX_SLUG + 1, 7);
	text = strdup("---\ntitle: t\n---\nbody\n");
	CHECK(content_parse_file(path, POST_KIND_POST, text, strlen(text),
				 &opt, &p, &err) == QUIRE_EPARSE);
	CHECK(p == NULL);
	CHECK_CONTAINS(err.message, "cannot make a slug");
}

/* Files per inode: ext4 allows 65,000 links to one. */
#define LINKS_PER_FILE 50000

/* Makes dir/posts/pNNNNNN.md for n in [from, to), hard links of a few
 * empty files: a walk lists names and never reads them. */
static void link_posts(const char *dir, int from, int to)
{
	char first[320], path[320];
	int i;

	for (i = from; i < to; i++) {
		snprintf(first, sizeof(first), "%s/posts/p%06d.md", dir,
			 i - i % LINKS_PER_FILE);
		snprintf(path, sizeof(path), "%s/posts/p%06d.md", dir, i);
		if (i % LINKS_PER_FILE == 0
			   ? close(open(path, O_WRONLY | O_CREAT, 0644)) != 0
			   : link(first, path) != 0) {
			perror(path);
			exit(2);
		}
	}
}

/* QUIRE_MAX_POSTS content files are listed; one more is refused, once,
 * as an error (on which a deploy refuses), and the walk stops
 * taking files. Listing is where every load and deploy starts. */
static void test_post_count(void)
{
	struct content_path *v = NULL;
	char dir[256], path[320];
	size_t n = 0, errors = 0;
	int i;

	tmpsite_make(dir, sizeof(dir), "limits");
	link_posts(dir, 0, QUIRE_MAX_POSTS);
	CHECK(content_list_paths(dir, &v, &n, &errors) == QUIRE_OK);
	CHECK(n == QUIRE_MAX_POSTS && errors == 0);
	content_paths_free(v, n);
	link_posts(dir, QUIRE_MAX_POSTS, QUIRE_MAX_POSTS + 1);
	v = NULL;
	CHECK(content_list_paths(dir, &v, &n, &errors) == QUIRE_OK);
	CHECK(n == QUIRE_MAX_POSTS && errors == 1);
	content_paths_free(v, n);
	for (i = 0; i <= QUIRE_MAX_POSTS; i++) {
		snprintf(path, sizeof(path), "%s/posts/p%06d.md", dir, i);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/posts", dir);
	rmdir(path);
	rmdir(dir);
}

/* QUIRE_MAX_ETAGS tags in an If-Match or If-None-Match, and
 * QUIRE_MAX_HEADER bytes of one (etag_list_parse). */
static void test_etags(void)
{
	struct etag_list l;
	char *s = xmalloc(QUIRE_MAX_HEADER + 2);
	size_t i, n = 0;

	for (i = 0; i < QUIRE_MAX_ETAGS; i++)
		n += (size_t)sprintf(s + n, "\"%zu\",", i);
	CHECK(etag_list_parse(s, n, &l) == QUIRE_OK && l.n == QUIRE_MAX_ETAGS);
	n += (size_t)sprintf(s + n, "\"x\"");
	CHECK(etag_list_parse(s, n, &l) == QUIRE_ETOOBIG);
	/* One tag as long as a header, then a blank more. */
	memset(s, 'a', QUIRE_MAX_HEADER + 1);
	s[0] = s[QUIRE_MAX_HEADER - 1] = '"';
	s[QUIRE_MAX_HEADER] = ' ';
	CHECK(etag_list_parse(s, QUIRE_MAX_HEADER, &l) == QUIRE_OK && l.n == 1);
	CHECK(etag_list_parse(s, QUIRE_MAX_HEADER + 1, &l) == QUIRE_ETOOBIG);
	free(s);
}

int main(void)
{
	markdown_init();
	test_etags();
	test_uri_length();
	test_query_length();
	test_page_number();
	test_frontmatter_size();
	test_tags();
	test_slug_frontmatter();
	test_title_markdown();
	test_depth();
	test_markdown_size();
	test_table_columns();
	test_template_size();
	test_template_render_work();
	test_file_size();
	test_slug_file_name();
	test_post_count();
	return check_done("test_limits");
}
