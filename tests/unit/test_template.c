/*
 * test_template.c - the template engine (templates.c), the variable tree
 * it renders (tvars.c), and the shipped default theme
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* asprintf, mkdtemp */
#endif
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "check.h"
#include "content/html.h"
#include "content/templates.h"
#include "content/tvars.h"

/* Compiles text as template "t" in a fresh set and renders it with vars;
 * returns the output (caller frees) or NULL on any error. */
static char *render_text(const char *text, const struct tvars *vars)
{
	struct templates *t = templates_new();
	struct parse_error err;
	struct buf out = BUF_INIT;
	char *s = NULL;

	if (!t)
		return NULL;
	if (templates_add(t, "t", text, &err) != QUIRE_OK) {
		fprintf(stderr, "unexpected error: %s\n", err.message);
		goto out;
	}
	if (templates_render(t, "t", vars, &out) != QUIRE_OK)
		goto out;
	s = buf_detach(&out, NULL);
out:
	buf_release(&out);
	templates_free(t);
	return s;
}

#define CHECK_RENDER(text, vars, want) do { \
	char *check_s = render_text((text), (vars)); \
	CHECK_STR(check_s, (want)); \
	free(check_s); \
} while (0)

static void test_escaping(void)
{
	struct tvars *v = tvars_new();

	CHECK(v != NULL);
	CHECK(tvars_set(v, "x", "<a href=\"u\">Tom & 'Jerry'</a>") == QUIRE_OK);
	CHECK_RENDER("[{{x}}]", v,
		     "[&lt;a href=&quot;u&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;]");
	CHECK_RENDER("[{{{x}}}]", v, "[<a href=\"u\">Tom & 'Jerry'</a>]");
	CHECK_RENDER("[{{& x}}]", v, "[<a href=\"u\">Tom & 'Jerry'</a>]");
	CHECK_RENDER("[{{ x }}]", v,
		     "[&lt;a href=&quot;u&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;]");
	CHECK_RENDER("[{{missing}}]", v, "[]");
	CHECK_RENDER("no tags at all", v, "no tags at all");
	CHECK_RENDER("", v, "");
	tvars_free(v);
}

static void test_sections(void)
{
	struct tvars *v = tvars_new(), *item, *obj;

	item = tvars_list_add(v, "items");
	tvars_set(item, "n", "a");
	item = tvars_list_add(v, "items");
	tvars_set(item, "n", "b");
	item = tvars_list_add(v, "items");
	tvars_set(item, "n", "c");
	obj = tvars_object(v, "obj");
	CHECK(obj != NULL);
	tvars_set(obj, "name", "o");
	CHECK(tvars_object(v, "obj") == obj);
	tvars_set_bool(v, "yes", 1);
	tvars_set_bool(v, "no", 0);
	tvars_set(v, "str", "s");
	tvars_set(v, "empty", "");
	tvars_list_empty(v, "none");

	CHECK_RENDER("{{#items}}<{{n}}>{{/items}}", v, "<a><b><c>");
	CHECK_RENDER("{{#obj}}({{name}}){{/obj}}", v, "(o)");
	CHECK_RENDER("{{#yes}}Y{{/yes}}{{#no}}N{{/no}}", v, "Y");
	CHECK_RENDER("{{#str}}S{{str}}{{/str}}{{#empty}}E{{/empty}}", v, "Ss");
	CHECK_RENDER("{{#none}}X{{/none}}{{#missing}}M{{/missing}}", v, "");
	/* Inverted: missing, false, empty string, empty list. */
	CHECK_RENDER("{{^missing}}1{{/missing}}{{^no}}2{{/no}}"
		     "{{^empty}}3{{/empty}}{{^none}}4{{/none}}", v, "1234");
	CHECK_RENDER("{{^items}}1{{/items}}{{^yes}}2{{/yes}}"
		     "{{^str}}3{{/str}}{{^obj}}4{{/obj}}", v, "");
	/* List position helpers. */
	CHECK_RENDER("{{#items}}{{#-first}}[{{/-first}}{{-index}}{{n}}"
		     "{{^-last}},{{/-last}}{{#-last}}]{{/-last}}{{/items}}", v,
		     "[1a,2b,3c]");
	CHECK_RENDER("{{-first}}{{#-first}}x{{/-first}}", v, "");
	/* Nested sections over the same list. */
	CHECK_RENDER("{{#items}}{{#items}}{{n}}{{/items}};{{/items}}", v,
		     "abc;abc;abc;");
	/* Booleans print as words. */
	CHECK_RENDER("{{yes}} {{no}}", v, "true false");
	tvars_free(v);
}

static void test_context(void)
{
	struct tvars *v = tvars_new(), *post, *tag, *site;

	tvars_set(v, "site", "Quire");
	tvars_set(v, "title", "outer");
	post = tvars_object(v, "post");
	tvars_set(post, "title", "Hello");
	tag = tvars_list_add(post, "tags");
	tvars_set(tag, "name", "c");
	tag = tvars_list_add(post, "tags");
	tvars_set(tag, "name", "web");
	tvars_set(tag, "title", "inner");
	site = tvars_object(v, "meta");
	tvars_set(tvars_object(site, "author"), "name", "Ada");

	/* Names not in the item are found in outer contexts. */
	CHECK_RENDER("{{#post}}{{#tags}}{{name}}/{{title}}/{{site}} {{/tags}}{{/post}}",
		     v, "c/Hello/Quire web/inner/Quire ");
	/* Dotted names. */
	CHECK_RENDER("{{post.title}} {{meta.author.name}} {{post.nope}}", v,
		     "Hello Ada ");
	CHECK_RENDER("{{#meta.author}}{{name}}{{/meta.author}}", v, "Ada");
	CHECK_RENDER("{{#post.tags}}{{name}}{{/post.tags}}", v, "cweb");
	/* a.b looks for b only inside a, not in outer contexts. */
	CHECK_RENDER("{{#post}}{{post.site}}|{{meta.author.name}}{{/post}}", v, "|Ada");
	CHECK_RENDER("{{title.x}}", v, "");
	tvars_free(v);
}

static void test_set(void)
{
	struct tvars *v = tvars_new();

	tvars_set(v, "x", "one");
	CHECK_RENDER("{{x}}", v, "one");
	CHECK(tvars_set(v, "x", "two") == QUIRE_OK);
	CHECK_RENDER("{{x}}", v, "two");
	CHECK(tvars_setf(v, "x", "%d-%s", 3, "three") == QUIRE_OK);
	CHECK_RENDER("{{x}}", v, "3-three");
	CHECK(tvars_set_bool(v, "x", 1) == QUIRE_OK);
	CHECK_RENDER("{{#x}}T{{/x}}", v, "T");
	CHECK(tvars_list_add(v, "x") != NULL);
	CHECK_RENDER("{{#x}}L{{/x}}", v, "L");
	CHECK(tvars_object(v, "x") != NULL);
	CHECK_RENDER("{{#x}}O{{/x}}", v, "O");
	CHECK(tvars_set(v, "x", NULL) == QUIRE_OK);
	CHECK_RENDER("{{^x}}gone{{/x}}", v, "gone");
	CHECK(tvars_set(v, "never", NULL) == QUIRE_OK);
	tvars_free(v);
	tvars_free(NULL);
}

/* A tree lives in its root's arena (tvars.c): values larger than a
 * chunk, formatted values past the stack buffer, field arrays that grow
 * while other blocks were taken after them, and values replaced again
 * and again all read back as set. */
static void test_arena_tree(void)
{
	struct tvars *v = tvars_new(), *o, *item;
	char name[32], want[64], *big, *out;
	size_t n = 200 * 1024;
	int i;

	big = malloc(n + 1);
	CHECK(v && big);
	if (!v || !big) {
		free(big);
		tvars_free(v);
		return;
	}
	memset(big, 'b', n);
	big[n] = '\0';
	CHECK(tvars_set(v, "big", big) == QUIRE_OK);
	CHECK(tvars_setf(v, "long", "%s|%0600d|", "x", 7) == QUIRE_OK);
	o = tvars_object(v, "o");
	for (i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		CHECK(tvars_setf(o, name, "v%d", i) == QUIRE_OK);
		item = tvars_list_add(v, "items");
		CHECK(item && tvars_setf(item, "n", "%d", i) == QUIRE_OK);
	}
	for (i = 0; i < 1000; i++)
		CHECK(tvars_setf(o, "again", "%d", i) == QUIRE_OK);
	out = render_text("{{big}}", v);
	CHECK(out && strlen(out) == n && strcmp(out, big) == 0);
	free(out);
	out = render_text("{{long}}", v);
	CHECK(out && strlen(out) == 603 && out[0] == 'x' && out[601] == '7');
	free(out);
	CHECK_RENDER("{{o.f0}} {{o.f57}} {{o.f99}} {{o.again}}", v, "v0 v57 v99 999");
	out = render_text("{{#items}}{{n}},{{/items}}", v);
	CHECK(out && strncmp(out, "0,1,2,", 6) == 0);
	snprintf(want, sizeof(want), ",98,99,");
	CHECK(out && strstr(out, want) && strlen(out) == 290);
	free(out);
	free(big);
	tvars_free(v);
}

static void test_standalone_and_comments(void)
{
	struct tvars *v = tvars_new(), *item;

	item = tvars_list_add(v, "items");
	tvars_set(item, "n", "a");
	item = tvars_list_add(v, "items");
	tvars_set(item, "n", "b");

	CHECK_RENDER("<ul>\n  {{#items}}\n  <li>{{n}}</li>\n  {{/items}}\n</ul>\n",
		     v, "<ul>\n  <li>a</li>\n  <li>b</li>\n</ul>\n");
	CHECK_RENDER("{{! leading comment }}\n<?xml version=\"1.0\"?>\n", v,
		     "<?xml version=\"1.0\"?>\n");
	CHECK_RENDER("a{{! inline }}b", v, "ab");
	CHECK_RENDER("a{{!\nmulti\nline\n}}b", v, "ab");
	/* Not standalone: other text or a variable shares the line. */
	CHECK_RENDER("x {{#items}}{{n}}{{/items}} y\n", v, "x ab y\n");
	CHECK_RENDER("  {{n}}\n", v, "  \n");
	/* CRLF line ends, and a last line without one. */
	CHECK_RENDER("{{#items}}\r\n{{n}}\r\n{{/items}}", v, "a\r\nb\r\n");
	tvars_free(v);
}

static void test_partials(void)
{
	struct templates *t = templates_new();
	struct tvars *v = tvars_new(), *item;
	struct parse_error err;
	struct buf out = BUF_INIT;

	item = tvars_list_add(v, "posts");
	tvars_set(item, "title", "A&B");
	item = tvars_list_add(v, "posts");
	tvars_set(item, "title", "C");
	CHECK(templates_add(t, "item", "<li>{{title}}</li>\n", &err) == QUIRE_OK);
	CHECK(templates_add(t, "list", "<ul>\n{{#posts}}\n  {{>item}}\n{{/posts}}\n</ul>\n"
			    "{{>missing}}", &err) == QUIRE_OK);
	CHECK(templates_has(t, "item"));
	CHECK(!templates_has(t, "nope"));
	CHECK(templates_render(t, "list", v, &out) == QUIRE_OK);
	CHECK_STR(out.data, "<ul>\n<li>A&amp;B</li>\n<li>C</li>\n</ul>\n");

	/* A partial that includes itself stops at the depth limit. */
	CHECK(templates_add(t, "loop", "x{{>loop}}", &err) == QUIRE_OK);
	buf_reset(&out);
	CHECK(templates_render(t, "loop", v, &out) == QUIRE_OK);
	CHECK_STR(out.data, "xxxxxxxxxxxxxxxxx");

	/* Adding a name again replaces the template. */
	CHECK(templates_add(t, "item", "[{{title}}]", &err) == QUIRE_OK);
	buf_reset(&out);
	CHECK(templates_render(t, "list", v, &out) == QUIRE_OK);
	CHECK_STR(out.data, "<ul>\n[A&amp;B][C]</ul>\n");

	/* Rendering appends; an unknown template is ENOTFOUND. */
	CHECK(templates_render(t, "nope", v, &out) == QUIRE_ENOTFOUND);
	CHECK_STR(out.data, "<ul>\n[A&amp;B][C]</ul>\n");
	CHECK(templates_render(t, "item", NULL, &out) == QUIRE_OK);
	CHECK_STR(out.data, "<ul>\n[A&amp;B][C]</ul>\n[]");

	buf_release(&out);
	tvars_free(v);
	templates_free(t);
	templates_free(NULL);
}

/* Compiles text and expects a syntax error at line:col whose message
 * contains want. */
static void check_error(int line, const char *text, unsigned eline,
			unsigned ecol, const char *want)
{
	struct templates *t = templates_new();
	struct parse_error err;
	char prefix[64];

	memset(&err, 0, sizeof(err));
	if (templates_add(t, "bad", text, &err) != QUIRE_EPARSE) {
		fprintf(stderr, "%s:%d: no error for \"%s\"\n", __FILE__, line, text);
		check_failures++;
	}
	if (err.line != eline || err.column != ecol) {
		fprintf(stderr, "%s:%d: error at %u:%u, want %u:%u (%s)\n",
			__FILE__, line, err.line, err.column, eline, ecol,
			err.message);
		check_failures++;
	}
	check_count += 2;
	snprintf(prefix, sizeof(prefix), "bad:%u:%u: ", eline, ecol);
	CHECK(strncmp(err.message, prefix, strlen(prefix)) == 0);
	CHECK_CONTAINS(err.message, want);
	/* A failed add leaves nothing behind. */
	CHECK(!templates_has(t, "bad"));
	templates_free(t);
}

static void test_errors(void)
{
	check_error(__LINE__, "a\nb {{#s}}\nc\n", 2, 3, "unclosed section {{#s}}");
	check_error(__LINE__, "{{#a}}\n  {{^b}}x\n{{/a}}", 3, 1,
		    "mismatched {{/a}}, expected {{/b}}");
	check_error(__LINE__, "ok\n  {{/a}}", 2, 3, "unexpected {{/a}}");
	check_error(__LINE__, "line\n\tx {{name", 2, 4, "unclosed tag");
	check_error(__LINE__, "{{{raw}}", 1, 1, "unclosed tag");
	check_error(__LINE__, "\n\n{{}}", 3, 1, "bad tag name");
	check_error(__LINE__, "{{a b}}", 1, 1, "bad tag name");
	check_error(__LINE__, "{{a..b}}", 1, 1, "bad tag name");
	check_error(__LINE__, "{{=<% %>=}}", 1, 1, "set-delimiter");
	check_error(__LINE__, "{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}"
		    "{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}"
		    "{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}"
		    "{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}"
		    "{{#a}}", 1, 193, "nested more than");
}

static void test_too_big(void)
{
	struct templates *t = templates_new();
	struct parse_error err;
	size_t n = 1024 * 1024 + 1;
	char *big = malloc(n + 1);

	CHECK(big != NULL);
	if (big) {
		memset(big, 'x', n);
		big[n] = '\0';
		CHECK(templates_add(t, "big", big, &err) == QUIRE_ETOOBIG);
		big[n - 1] = '\0';
		CHECK(templates_add(t, "big", big, &err) == QUIRE_OK);
	}
	free(big);
	templates_free(t);
}

/* Writes text to DIR/NAME. */
static int write_file(const char *dir, const char *name, const char *text)
{
	char *path;
	FILE *f;
	int ok;

	if (asprintf(&path, "%s/%s", dir, name) == -1)
		return 0;
	f = fopen(path, "w");
	free(path);
	if (!f)
		return 0;
	ok = fputs(text, f) >= 0;
	return fclose(f) == 0 && ok;
}

static void remove_file(const char *dir, const char *name)
{
	char *path;

	if (asprintf(&path, "%s/%s", dir, name) == -1)
		return;
	unlink(path);
	free(path);
}

static void test_load(void)
{
	char dir[] = "/tmp/quire-test-template-XXXXXX";
	struct templates *t = NULL;
	struct parse_error err;
	struct buf out = BUF_INIT;
	struct tvars *v = tvars_new();
	char want[128];

	CHECK(mkdtemp(dir) != NULL);
	CHECK(write_file(dir, "page.html", "<p>{{>part}}</p>\n"));
	CHECK(write_file(dir, "part.html", "{{x}}"));
	CHECK(write_file(dir, "feed.xml", "{{#x}}\n<?xml?>{{x}}\n{{/x}}\n"));
	CHECK(write_file(dir, "notes.txt", "{{#ignored"));
	CHECK(write_file(dir, ".hidden.html", "{{#ignored"));
	tvars_set(v, "x", "<1>");

	CHECK(templates_load(dir, &t, &err) == QUIRE_OK);
	CHECK(t && templates_has(t, "page") && templates_has(t, "part") &&
	      templates_has(t, "feed") && !templates_has(t, "notes") &&
	      !templates_has(t, ".hidden"));
	if (t) {
		CHECK(templates_render(t, "page", v, &out) == QUIRE_OK);
		CHECK_STR(out.data, "<p>&lt;1&gt;</p>\n");
		buf_reset(&out);
		CHECK(templates_render(t, "feed", v, &out) == QUIRE_OK);
		CHECK_STR(out.data, "<?xml?>&lt;1&gt;\n");
	}
	templates_free(t);

	/* A partial that names no template fails the load, with where. */
	CHECK(write_file(dir, "post.html", "a\n\n  b {{> nothere }}\n"));
	CHECK(templates_load(dir, &t, &err) == QUIRE_EPARSE);
	CHECK(t == NULL);
	CHECK(err.line == 3 && err.column == 5);
	snprintf(want, sizeof(want), "%s/post.html:3:5: unknown partial \"nothere\"", dir);
	CHECK_STR(err.message, want);
	remove_file(dir, "post.html");

	/* A syntax error names the file. */
	CHECK(write_file(dir, "broken.html", "x\n{{#a}}\n"));
	CHECK(templates_load(dir, &t, &err) == QUIRE_EPARSE);
	snprintf(want, sizeof(want), "%s/broken.html:2:1: unclosed section {{#a}}", dir);
	CHECK_STR(err.message, want);
	remove_file(dir, "broken.html");

	/* Two files for one name. */
	CHECK(write_file(dir, "page.xml", "x"));
	CHECK(templates_load(dir, &t, &err) == QUIRE_EPARSE);
	CHECK_CONTAINS(err.message, "defined twice");
	remove_file(dir, "page.xml");

	remove_file(dir, "page.html");
	remove_file(dir, "part.html");
	remove_file(dir, "feed.xml");
	remove_file(dir, "notes.txt");
	remove_file(dir, ".hidden.html");
	rmdir(dir);

	CHECK(templates_load("/nonexistent/quire", &t, &err) == QUIRE_EIO);
	CHECK(t == NULL);
	CHECK_CONTAINS(err.message, "/nonexistent/quire");

	buf_release(&out);
	tvars_free(v);
}

static void test_large_tree(void)
{
	struct tvars *v = tvars_new(), *item, *tag;
	struct buf out = BUF_INIT;
	struct templates *t = templates_new();
	struct parse_error err;
	int i, j;

	for (i = 0; i < 20000; i++) {
		item = tvars_list_add(v, "urls");
		if (!item)
			break;
		tvars_setf(item, "loc", "https://example.org/posts/%d", i);
		tvars_set(item, "lastmod", "2024-01-31");
		for (j = 0; j < 3; j++) {
			tag = tvars_list_add(item, "tags");
			tvars_setf(tag, "name", "t%d", j);
		}
	}
	CHECK(i == 20000);
	CHECK(templates_add(t, "map", "{{#urls}}<loc>{{loc}}</loc>{{/urls}}", &err) == QUIRE_OK);
	CHECK(templates_render(t, "map", v, &out) == QUIRE_OK);
	CHECK(out.len > 20000 * 30);
	CHECK_CONTAINS(out.data, "<loc>https://example.org/posts/19999</loc>");
	buf_release(&out);
	templates_free(t);
	tvars_free(v);
}

/* ---- the shipped theme ---- */

/* The title as view.c sets it: plain, and as HTML (here escaped: a
 * title without Markdown). */
static void titles(struct tvars *item, const char *title)
{
	struct buf b = BUF_INIT;

	html_escape(&b, title, strlen(title));
	tvars_set(item, "title", title);
	tvars_set(item, "title_html", b.data);
	buf_release(&b);
}

static void summary(struct tvars *item, const char *title, const char *slug,
		    int pinned)
{
	struct tvars *tag;

	titles(item, title);
	tvars_setf(item, "url", "/posts/%s", slug);
	tvars_set(item, "date_iso", "2024-03-14");
	tvars_set(item, "date_human", "14 March 2024");
	tvars_set(item, "description", "A short <description>.");
	tvars_set(item, "reading_minutes", "3");
	tvars_set_bool(item, "pinned", pinned);
	tvars_set_bool(item, "draft", 0);
	tag = tvars_list_add(item, "tags");
	tvars_set(tag, "name", "c");
	tvars_set(tag, "url", "/tags/c");
	tag = tvars_list_add(item, "tags");
	tvars_set(tag, "name", "fastcgi");
	tvars_set(tag, "url", "/tags/fastcgi");
}

/* Renders name with v, checks it worked and the output holds each of the
 * NULL-terminated strings; returns the output (caller frees). */
static char *render_theme(const struct templates *t, const char *name,
			  const struct tvars *v, ...)
{
	struct buf out = BUF_INIT;
	const char *want;
	va_list ap;
	enum quire_err rc;

	rc = templates_render(t, name, v, &out);
	if (rc != QUIRE_OK)
		fprintf(stderr, "render %s: %s\n", name, quire_strerror(rc));
	CHECK(rc == QUIRE_OK);
	CHECK(out.data != NULL);
	va_start(ap, v);
	while ((want = va_arg(ap, const char *)) != NULL)
		CHECK_CONTAINS(out.data, want);
	va_end(ap);
	/* Every tag was resolved or dropped, none printed. */
	CHECK(out.data && !strstr(out.data, "{{"));
	return buf_detach(&out, NULL);
}

static void test_theme(void)
{
	const char *srcdir = getenv("QUIRE_SRCDIR");
	struct templates *t = NULL;
	struct parse_error err;
	struct tvars *v, *post, *item;
	char *dir = NULL, *s;
	static const char *const names[] = {
		"base", "home", "post", "list", "page", "tags", "taxonomy",
		"404", "feed", "sitemap",
	};
	size_t i;
	enum quire_err rc;

	if (asprintf(&dir, "%s/templates", srcdir ? srcdir : ".") == -1)
		return;
	rc = templates_load(dir, &t, &err);
	if (rc != QUIRE_OK)
		fprintf(stderr, "templates_load %s: %s\n", dir, err.message);
	CHECK(rc == QUIRE_OK);
	free(dir);
	if (!t)
		return;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!templates_has(t, names[i]))
			fprintf(stderr, "missing template %s\n", names[i]);
		CHECK(templates_has(t, names[i]));
	}

	/* base */
	v = tvars_new();
	tvars_set(v, "site_title", "Quire & Co");
	tvars_set(v, "site_url", "https://example.org");
	tvars_set(v, "page_title", "Hello — Quire & Co");
	tvars_set(v, "description", "A \"blog\"");
	tvars_set(v, "canonical", "https://example.org/posts/hello");
	tvars_set(v, "og_type", "article");
	tvars_set(v, "feed_url", "https://example.org/feed.xml");
	tvars_set(v, "year", "2024");
	tvars_set(v, "content", "<p>BODY</p>");
	item = tvars_list_add(v, "nav");
	titles(item, "About");
	tvars_set(item, "url", "/pages/about");
	s = render_theme(t, "base", v, "<!DOCTYPE html>", "<meta charset=\"utf-8\">",
			 "<title>Hello — Quire &amp; Co</title>",
			 "<p>BODY</p>", "href=\"/static/quire.css\"",
			 "<link rel=\"canonical\" href=\"https://example.org/posts/hello\">",
			 "content=\"A &quot;blog&quot;\"",
			 "property=\"og:type\" content=\"article\"",
			 "application/atom+xml", "href=\"/pages/about\"",
			 "href=\"/posts/\"", "href=\"/tags/\"", NULL);
	CHECK(s && strncmp(s, "<!DOCTYPE html>", 15) == 0);
	CHECK(s && !strstr(s, "og:image"));
	free(s);
	tvars_set(v, "og_image", "https://example.org/i.png");
	s = render_theme(t, "base", v, "property=\"og:image\" content=\"https://example.org/i.png\"", NULL);
	free(s);
	tvars_free(v);

	/* home: pinned first, more link; then empty */
	v = tvars_new();
	summary(tvars_list_add(v, "posts"), "Pinned <one>", "pinned", 1);
	summary(tvars_list_add(v, "posts"), "Second", "second", 0);
	tvars_set_bool(v, "has_more", 1);
	tvars_set(v, "more_url", "/posts/?page=2");
	s = render_theme(t, "home", v, "Pinned &lt;one&gt;", "href=\"/posts/second\"",
			 "datetime=\"2024-03-14\"", "14 March 2024", "3 min read",
			 "href=\"/tags/fastcgi\"", "href=\"/posts/?page=2\"", NULL);
	CHECK(s && strstr(s, ">Pinned<") != NULL);
	free(s);
	tvars_free(v);
	v = tvars_new();
	tvars_list_empty(v, "posts");
	s = render_theme(t, "home", v, "No posts yet.", NULL);
	free(s);
	tvars_free(v);

	/* post */
	v = tvars_new();
	post = tvars_object(v, "post");
	summary(post, "Hello", "hello", 0);
	tvars_set_bool(post, "has_updated", 1);
	tvars_set(post, "updated_iso", "2024-04-01");
	tvars_set(post, "updated_human", "1 April 2024");
	tvars_set(tvars_list_add(post, "authors"), "name", "Ada");
	tvars_set(tvars_list_add(post, "authors"), "name", "Grace");
	item = tvars_list_add(post, "categories");
	tvars_set(item, "name", "Guides");
	tvars_set(item, "url", "/categories/guides");
	tvars_set(post, "toc", "<nav class=\"toc\">TOC</nav>");
	tvars_set(post, "html", "<p>The body.</p>");
	summary(tvars_list_add(post, "related"), "Other", "other", 0);
	s = render_theme(t, "post", v, "<h1", "Hello", "<p>The body.</p>",
			 "<nav class=\"toc\">TOC</nav>", "1 April 2024", "Ada",
			 "Grace", "href=\"/categories/guides\"",
			 "href=\"/posts/other\"", "href=\"/tags/c\"", NULL);
	CHECK(s && !strstr(s, "Draft"));
	free(s);
	tvars_set_bool(post, "draft", 1);
	tvars_set(post, "featured_image", "/static/x.png");
	s = render_theme(t, "post", v, "Draft", "src=\"/static/x.png\"", NULL);
	free(s);
	tvars_free(v);

	/* list */
	v = tvars_new();
	tvars_set(v, "heading", "All posts");
	summary(tvars_list_add(v, "posts"), "One", "one", 0);
	tvars_set(v, "page", "2");
	tvars_set(v, "pages", "3");
	tvars_set_bool(v, "paged", 1);
	tvars_set(v, "prev_url", "/posts/");
	tvars_set(v, "next_url", "/posts/?page=3");
	s = render_theme(t, "list", v, "All posts", "href=\"/posts/one\"",
			 "Page 2 of 3", "href=\"/posts/\"", "href=\"/posts/?page=3\"",
			 NULL);
	free(s);
	tvars_free(v);

	/* page */
	v = tvars_new();
	post = tvars_object(v, "page");
	titles(post, "About");
	tvars_set(post, "html", "<p>About quire.</p>");
	tvars_set_bool(post, "has_updated", 1);
	tvars_set(post, "updated_human", "2 May 2024");
	s = render_theme(t, "page", v, "About", "<p>About quire.</p>", "2 May 2024", NULL);
	free(s);
	tvars_free(v);

	/* tags, taxonomy */
	v = tvars_new();
	tvars_set(v, "heading", "Tags");
	item = tvars_list_add(v, "terms");
	tvars_set(item, "name", "c");
	tvars_set(item, "url", "/tags/c");
	tvars_set(item, "count", "4");
	s = render_theme(t, "tags", v, "Tags", "href=\"/tags/c\"", "4", NULL);
	free(s);
	tvars_free(v);
	v = tvars_new();
	tvars_set(v, "heading", "Posts tagged “c”");
	summary(tvars_list_add(v, "posts"), "One", "one", 0);
	tvars_set(v, "feed_url", "/tags/c/feed.xml");
	s = render_theme(t, "taxonomy", v, "Posts tagged “c”", "href=\"/posts/one\"",
			 "href=\"/tags/c/feed.xml\"", NULL);
	free(s);
	tvars_free(v);

	/* 404 */
	v = tvars_new();
	tvars_set(v, "path", "/x<script>");
	s = render_theme(t, "404", v, "/x&lt;script&gt;", NULL);
	free(s);
	tvars_free(v);

	/* feed */
	v = tvars_new();
	tvars_set(v, "feed_title", "Quire & Co");
	tvars_set(v, "site_url", "https://example.org");
	tvars_set(v, "feed_url", "https://example.org/feed.xml");
	tvars_set(v, "feed_id", "https://example.org/");
	tvars_set(v, "updated", "2024-03-14T10:00:00Z");
	tvars_set(v, "author_name", "Ada");
	item = tvars_list_add(v, "entries");
	tvars_set(item, "title", "Hello <world>");
	tvars_set(item, "url", "https://example.org/posts/hello");
	tvars_set(item, "id", "https://example.org/posts/hello");
	tvars_set(item, "published", "2024-03-14T10:00:00Z");
	tvars_set(item, "updated", "2024-03-15T10:00:00Z");
	tvars_set(item, "summary", "Sum");
	tvars_set(item, "content", "<p>Hi &amp; bye</p>");
	tvars_set(tvars_list_add(item, "authors"), "name", "Grace");
	tvars_set(tvars_list_add(item, "categories"), "term", "c");
	s = render_theme(t, "feed", v, "<feed xmlns=\"http://www.w3.org/2005/Atom\">",
			 "<title>Quire &amp; Co</title>",
			 "<title>Hello &lt;world&gt;</title>",
			 "<content type=\"html\">&lt;p&gt;Hi &amp;amp; bye&lt;/p&gt;</content>",
			 "<category term=\"c\"/>", "<name>Grace</name>",
			 "rel=\"self\"", NULL);
	CHECK(s && strncmp(s, "<?xml", 5) == 0);
	free(s);
	tvars_free(v);

	/* sitemap */
	v = tvars_new();
	item = tvars_list_add(v, "urls");
	tvars_set(item, "loc", "https://example.org/");
	item = tvars_list_add(v, "urls");
	tvars_set(item, "loc", "https://example.org/posts/a?b&c");
	tvars_set(item, "lastmod", "2024-03-14");
	s = render_theme(t, "sitemap", v, "<loc>https://example.org/</loc>",
			 "<loc>https://example.org/posts/a?b&amp;c</loc>",
			 "<lastmod>2024-03-14</lastmod>", NULL);
	CHECK(s && strncmp(s, "<?xml", 5) == 0);
	free(s);
	tvars_free(v);

	templates_free(t);
}

int main(void)
{
	test_escaping();
	test_sections();
	test_context();
	test_set();
	test_arena_tree();
	test_standalone_and_comments();
	test_partials();
	test_errors();
	test_too_big();
	test_load();
	test_large_tree();
	test_theme();
	return check_done("test_template");
}
