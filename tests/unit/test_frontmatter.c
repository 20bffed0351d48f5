/*
 * test_frontmatter.c - frontmatter_parse and frontmatter_parse_date fed
 * bytes
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "fcgi/frontmatter.h"
#include "fcgi/limits.h"
#include "fcgi/post.h"
#include "fcgi/quire.h"

/* Parses text into a new post; returns the code and fills *out (always a
 * post, caller frees) and err. */
static int parse(const char *text, struct post **out, struct parse_error *err)
{
	struct post *p = post_new();

	if (!p) {
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	p->source = strdup(text);
	p->source_len = strlen(text);
	*out = p;
	return frontmatter_parse(p, err);
}

static const char *extra(const struct post *p, const char *key)
{
	size_t i;

	for (i = 0; i < p->n_extra; i++)
		if (strcmp(p->extra[i].key, key) == 0)
			return p->extra[i].value;
	return NULL;
}

static void test_all_fields(void)
{
	struct parse_error err;
	struct post *p;
	int rc;

	rc = parse("---\n"
		   "title: Hello, world\n"
		   "slug: hello-world\n"
		   "date: 2024-01-31\n"
		   "updated: 2024-02-01T10:20:30Z\n"
		   "author: Ada\n"
		   "description: A first post\n"
		   "tags: [c, fastcgi]\n"
		   "category: notes\n"
		   "draft: true\n"
		   "toc: yes\n"
		   "template: wide\n"
		   "featured_image: /img/a.png\n"
		   "related_posts: [other-post]\n"
		   "aliases:\n"
		   "  - /old/hello/\n"
		   "pin: 3\n"
		   "---\n"
		   "Body\n", &p, &err);
	CHECK(rc == QUIRE_OK);
	CHECK_STR(p->title, "Hello, world");
	CHECK_STR(p->slug, "hello-world");
	CHECK(p->has_date && p->date == 1706659200);
	CHECK(p->has_updated && p->updated == 1706782830);
	CHECK(p->authors.n == 1);
	CHECK_STR(p->authors.n ? p->authors.v[0] : NULL, "Ada");
	CHECK_STR(p->description, "A first post");
	CHECK(p->tags.n == 2);
	CHECK(strlist_has(&p->tags, "c") && strlist_has(&p->tags, "fastcgi"));
	CHECK(p->categories.n == 1 && strlist_has(&p->categories, "notes"));
	CHECK(p->draft == 1);
	CHECK(p->toc == 1);
	CHECK_STR(p->template_name, "wide");
	CHECK_STR(p->featured_image, "/img/a.png");
	CHECK(p->related.n == 1 && strlist_has(&p->related, "other-post"));
	CHECK(p->aliases.n == 1 && strlist_has(&p->aliases, "/old/hello/"));
	CHECK(p->pin == 3);
	CHECK(p->n_extra == 0);
	CHECK_STR(p->source + p->body_offset, "Body\n");
	post_free(p);
}

static void test_alternative_keys(void)
{
	struct parse_error err;
	struct post *p;

	CHECK(parse("---\ntitle: t\nauthors: [Ada, Grace]\nsummary: s\n"
		    "categories: [a, b]\npin: true\n---\n", &p, &err) == QUIRE_OK);
	CHECK(p->authors.n == 2);
	CHECK_STR(p->description, "s");
	CHECK(p->categories.n == 2);
	CHECK(p->pin == 1);
	post_free(p);
}

static void test_defaults(void)
{
	struct parse_error err;
	struct post *p;

	CHECK(parse("---\ntitle: only\n---\n", &p, &err) == QUIRE_OK);
	CHECK(!p->has_date && p->date == 0);
	CHECK(!p->draft && !p->toc && !p->pin);
	CHECK(p->slug == NULL);
	CHECK(p->tags.n == 0);
	post_free(p);
}

static void test_tags_forms(void)
{
	struct parse_error err;
	struct post *p;

	CHECK(parse("---\ntags: a, b ,c\n---\n", &p, &err) == QUIRE_OK);
	CHECK(p->tags.n == 3);
	CHECK_STR(p->tags.n == 3 ? p->tags.v[1] : NULL, "b");
	post_free(p);

	CHECK(parse("---\ntags: single\n---\n", &p, &err) == QUIRE_OK);
	CHECK(p->tags.n == 1 && strlist_has(&p->tags, "single"));
	post_free(p);

	CHECK(parse("---\ntags:\n  - one\n  - two words\n---\n", &p, &err) ==
	      QUIRE_OK);
	CHECK(p->tags.n == 2 && strlist_has(&p->tags, "two words"));
	post_free(p);

	/* a list item is not split on commas */
	CHECK(parse("---\ntags: [\"a, b\"]\n---\n", &p, &err) == QUIRE_OK);
	CHECK(p->tags.n == 1 && strlist_has(&p->tags, "a, b"));
	post_free(p);

	/* one author name is not split either */
	CHECK(parse("---\nauthor: Lovelace, Ada\n---\n", &p, &err) == QUIRE_OK);
	CHECK(p->authors.n == 1);
	post_free(p);

	CHECK(parse("---\ntags:\n---\n", &p, &err) == QUIRE_OK);
	CHECK(p->tags.n == 0);
	post_free(p);
}

static void test_too_many_tags(void)
{
	struct parse_error err;
	struct post *p;
	char text[2048];
	int i, n;

	n = snprintf(text, sizeof(text), "---\ntitle: t\ntags: [");
	for (i = 0; i <= QUIRE_MAX_TAGS; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "%st%d",
			      i ? "," : "", i);
	snprintf(text + n, sizeof(text) - (size_t)n, "]\n---\n");
	CHECK(parse(text, &p, &err) == QUIRE_ETOOBIG);
	CHECK(err.line == 3);
	CHECK(err.column == 7);
	CHECK_CONTAINS(err.message, "tags");
	post_free(p);
}

static void test_max_tags_ok(void)
{
	struct parse_error err;
	struct post *p;
	char text[2048];
	int i, n;

	n = snprintf(text, sizeof(text), "---\ntags: ");
	for (i = 0; i < QUIRE_MAX_TAGS; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "%st%d",
			      i ? "," : "", i);
	snprintf(text + n, sizeof(text) - (size_t)n, "\n---\n");
	CHECK(parse(text, &p, &err) == QUIRE_OK);
	CHECK(p->tags.n == QUIRE_MAX_TAGS);
	post_free(p);
}

static void test_dates(void)
{
	time_t t;

	CHECK(frontmatter_parse_date("2024-01-31", &t) == QUIRE_OK);
	CHECK(t == 1706659200);
	CHECK(frontmatter_parse_date("2024-01-31 10:20", &t) == QUIRE_OK);
	CHECK(t == 1706659200 + 10 * 3600 + 20 * 60);
	CHECK(frontmatter_parse_date("2024-01-31T10:20:30", &t) == QUIRE_OK);
	CHECK(t == 1706659200 + 10 * 3600 + 20 * 60 + 30);
	CHECK(frontmatter_parse_date("2024-01-31T10:20:30Z", &t) == QUIRE_OK);
	CHECK(t == 1706659200 + 10 * 3600 + 20 * 60 + 30);
	CHECK(frontmatter_parse_date("2024-01-31T10:20:30+01:00", &t) ==
	      QUIRE_OK);
	CHECK(t == 1706659200 + 9 * 3600 + 20 * 60 + 30);
	CHECK(frontmatter_parse_date("2024-01-31 10:20:30 -05:30", &t) ==
	      QUIRE_OK);
	CHECK(t == 1706659200 + 15 * 3600 + 50 * 60 + 30);
	CHECK(frontmatter_parse_date("2024-01-31T10:20:30.123Z", &t) ==
	      QUIRE_OK);
	CHECK(t == 1706659200 + 10 * 3600 + 20 * 60 + 30);
	CHECK(frontmatter_parse_date("2024-02-30", &t) == QUIRE_EPARSE);
	CHECK(frontmatter_parse_date("2024-13-01", &t) == QUIRE_EPARSE);
	CHECK(frontmatter_parse_date("2024-01-31T25:00", &t) == QUIRE_EPARSE);
	CHECK(frontmatter_parse_date("31/01/2024", &t) == QUIRE_EPARSE);
	CHECK(frontmatter_parse_date("2024-01-31x", &t) == QUIRE_EPARSE);
	CHECK(frontmatter_parse_date("", &t) == QUIRE_EPARSE);
}

static void test_date_with_zone_in_yaml(void)
{
	struct parse_error err;
	struct post *p;

	CHECK(parse("---\ndate: 2024-01-31T00:30:00+01:00\n---\n", &p, &err) ==
	      QUIRE_OK);
	CHECK(p->has_date && p->date == 1706659200 - 30 * 60);
	post_free(p);

	CHECK(parse("---\ndate: \"2024-01-31 12:00\"\n---\n", &p, &err) ==
	      QUIRE_OK);
	CHECK(p->date == 1706659200 + 12 * 3600);
	post_free(p);
}

static void test_bad_date_position(void)
{
	struct parse_error err;
	struct post *p;

	CHECK(parse("---\ntitle: t\ndate: yesterday\n---\n", &p, &err) ==
	      QUIRE_EPARSE);
	CHECK(err.line == 3);
	CHECK(err.column == 7);
	CHECK_CONTAINS(err.message, "date");
	post_free(p);
}

static void test_bad_yaml_position(void)
{
	struct parse_error err;
	struct post *p;

	/* a mapping value where none may be: libyaml stops at line 4 */
	CHECK(parse("---\ntitle: t\ntags: [a, b\ndraft: true\n---\n", &p, &err) ==
	      QUIRE_EPARSE);
	CHECK(err.line >= 3);
	CHECK(err.message[0] != '\0');
	post_free(p);

	CHECK(parse("---\ntitle: ok\nbad: a: b\n---\n", &p, &err) == QUIRE_EPARSE);
	CHECK(err.line == 3);
	CHECK(err.column == 7);
	CHECK_CONTAINS(err.message, "mapping values are not allowed");
	post_free(p);

	/* a tab for indentation, on the file's line 4 */
	CHECK(parse("---\ntitle: ok\ntags:\n\t- a\n---\n", &p, &err) == QUIRE_EPARSE);
	CHECK(err.line == 4);
	CHECK(err.column == 1);
	post_free(p);
}

static void test_bad_values(void)
{
	struct parse_error err;
	struct post *p;

	CHECK(parse("---\ndraft: maybe\n---\n", &p, &err) == QUIRE_EPARSE);
	CHECK(err.line == 2 && err.column == 8);
	post_free(p);

	CHECK(parse("---\ntitle: [a, b]\n---\n", &p, &err) == QUIRE_EPARSE);
	CHECK(err.line == 2 && err.column == 8);
	CHECK_CONTAINS(err.message, "title");
	post_free(p);

	CHECK(parse("---\npin: -2\n---\n", &p, &err) == QUIRE_EPARSE);
	post_free(p);

	CHECK(parse("---\nslug: Not Valid\n---\n", &p, &err) == QUIRE_EPARSE);
	CHECK(err.line == 2 && err.column == 7);
	CHECK_CONTAINS(err.message, "slug");
	post_free(p);

	CHECK(parse("---\nslug: .hidden\n---\n", &p, &err) == QUIRE_EPARSE);
	post_free(p);

	CHECK(parse("---\ntags: [[a]]\n---\n", &p, &err) == QUIRE_EPARSE);
	post_free(p);

	CHECK(parse("---\n- a\n- b\n---\n", &p, &err) == QUIRE_EPARSE);
	CHECK_CONTAINS(err.message, "mapping");
	post_free(p);

	CHECK(parse("---\njust text\n---\n", &p, &err) == QUIRE_EPARSE);
	post_free(p);
}

static void test_booleans(void)
{
	struct parse_error err;
	struct post *p;

	CHECK(parse("---\ndraft: off\ntoc: On\n---\n", &p, &err) == QUIRE_OK);
	CHECK(p->draft == 0 && p->toc == 1);
	post_free(p);

	CHECK(parse("---\ndraft: no\ntoc: TRUE\npin: false\n---\n", &p, &err) ==
	      QUIRE_OK);
	CHECK(p->draft == 0 && p->toc == 1 && p->pin == 0);
	post_free(p);
}

static void test_no_frontmatter(void)
{
	struct parse_error err;
	struct post *p;

	CHECK(parse("# Just markdown\n", &p, &err) == QUIRE_EPARSE);
	CHECK(err.line == 1 && err.column == 1);
	CHECK_CONTAINS(err.message, "missing frontmatter");
	post_free(p);

	CHECK(parse("", &p, &err) == QUIRE_EPARSE);
	CHECK_CONTAINS(err.message, "missing frontmatter");
	post_free(p);

	/* Hugo's TOML frontmatter is not supported */
	CHECK(parse("+++\ntitle = \"x\"\n+++\n", &p, &err) == QUIRE_EPARSE);
	CHECK_CONTAINS(err.message, "missing frontmatter");
	post_free(p);

	/* "---" must be a line of its own */
	CHECK(parse("----\ntitle: x\n----\n", &p, &err) == QUIRE_EPARSE);
	post_free(p);
}

static void test_unterminated(void)
{
	struct parse_error err;
	struct post *p;

	CHECK(parse("---\ntitle: x\nbody\n", &p, &err) == QUIRE_EPARSE);
	CHECK(err.line == 1 && err.column == 1);
	CHECK_CONTAINS(err.message, "unterminated");
	post_free(p);
}

static void test_too_big(void)
{
	struct parse_error err;
	struct post *p;
	char *text;
	size_t n = QUIRE_MAX_FRONTMATTER + 100, i;

	text = malloc(n + 32);
	if (!text)
		exit(2);
	strcpy(text, "---\n");
	for (i = 4; i < n; i += 12)
		memcpy(text + i, "#comment...\n", 12);
	strcpy(text + i, "---\n");
	CHECK(parse(text, &p, &err) == QUIRE_ETOOBIG);
	CHECK_CONTAINS(err.message, "larger");
	post_free(p);
	free(text);
}

static void test_depth(void)
{
	struct parse_error err;
	struct post *p;
	char text[256];
	int i, n;

	n = snprintf(text, sizeof(text), "---\nx: ");
	for (i = 0; i < QUIRE_MAX_YAML_DEPTH + 2; i++)
		text[n++] = '[';
	for (i = 0; i < QUIRE_MAX_YAML_DEPTH + 2; i++)
		text[n++] = ']';
	snprintf(text + n, sizeof(text) - (size_t)n, "\n---\n");
	CHECK(parse(text, &p, &err) == QUIRE_ETOOBIG);
	CHECK(err.line == 2);
	post_free(p);

	/* a little nesting in an unknown key is fine */
	CHECK(parse("---\nx: {a: [1, 2], b: {c: d}}\n---\n", &p, &err) ==
	      QUIRE_OK);
	post_free(p);
}

static void test_aliases_refused(void)
{
	struct parse_error err;
	struct post *p;

	CHECK(parse("---\na: &x [1, 2]\nb: *x\n---\n", &p, &err) == QUIRE_EPARSE);
	CHECK(err.line == 3 && err.column == 4);
	CHECK_CONTAINS(err.message, "aliases");
	post_free(p);
}

static void test_crlf(void)
{
	struct parse_error err;
	struct post *p;

	CHECK(parse("---\r\ntitle: Windows\r\ntags: [a, b]\r\ndate: 2024-01-31\r\n"
		    "---\r\nBody\r\n", &p, &err) == QUIRE_OK);
	CHECK_STR(p->title, "Windows");
	CHECK(p->tags.n == 2);
	CHECK(p->has_date);
	CHECK_STR(p->source + p->body_offset, "Body\r\n");
	post_free(p);

	CHECK(parse("---\r\ntitle: ok\r\nbad: a: b\r\n---\r\n", &p, &err) ==
	      QUIRE_EPARSE);
	CHECK(err.line == 3 && err.column == 7);
	post_free(p);
}

static void test_unknown_keys(void)
{
	struct parse_error err;
	struct post *p;

	CHECK(parse("---\ntitle: t\nmood: happy\nlist: [x, y]\nmap: {a: b}\n"
		    "empty:\n---\n", &p, &err) == QUIRE_OK);
	CHECK(p->n_extra == 4);
	CHECK_STR(extra(p, "mood"), "happy");
	CHECK_STR(extra(p, "list"), "x, y");
	CHECK_STR(extra(p, "map"), "");
	CHECK_STR(extra(p, "empty"), "");
	post_free(p);
}

static void test_body_offset(void)
{
	struct parse_error err;
	struct post *p;

	CHECK(parse("---\ntitle: t\n...\n# Body\n", &p, &err) == QUIRE_OK);
	CHECK_STR(p->source + p->body_offset, "# Body\n");
	post_free(p);

	CHECK(parse("---\ntitle: t\n---", &p, &err) == QUIRE_OK);
	CHECK(p->body_offset == p->source_len);
	post_free(p);

	CHECK(parse("---\n---\ntext", &p, &err) == QUIRE_OK);
	CHECK(p->title == NULL);
	CHECK_STR(p->source + p->body_offset, "text");
	post_free(p);

	/* a UTF-8 byte order mark before the first line */
	CHECK(parse("\xef\xbb\xbf---\ntitle: bom\n---\n", &p, &err) == QUIRE_OK);
	CHECK_STR(p->title, "bom");
	post_free(p);
}

static void test_quoted_and_null(void)
{
	struct parse_error err;
	struct post *p;

	CHECK(parse("---\ntitle: \"null\"\ndescription: ~\n---\n", &p, &err) ==
	      QUIRE_OK);
	CHECK_STR(p->title, "null");
	CHECK(p->description == NULL);
	post_free(p);

	CHECK(parse("---\ntitle: 'It''s: fine # not a comment'\n---\n", &p, &err) ==
	      QUIRE_OK);
	CHECK_STR(p->title, "It's: fine # not a comment");
	post_free(p);
}

static void test_last_key_wins(void)
{
	struct parse_error err;
	struct post *p;

	CHECK(parse("---\ntitle: a\ntitle: b\ntags: [x]\ntags: [y, z]\n---\n",
		    &p, &err) == QUIRE_OK);
	CHECK_STR(p->title, "b");
	CHECK(p->tags.n == 2 && !strlist_has(&p->tags, "x"));
	post_free(p);
}

static void test_bad_utf8(void)
{
	struct parse_error err;
	struct post *p;

	CHECK(parse("---\ntitle: ok\nx: \xff\n---\n", &p, &err) == QUIRE_EPARSE);
	CHECK(err.line == 3);
	post_free(p);
}

int main(void)
{
	test_all_fields();
	test_alternative_keys();
	test_defaults();
	test_tags_forms();
	test_too_many_tags();
	test_max_tags_ok();
	test_dates();
	test_date_with_zone_in_yaml();
	test_bad_date_position();
	test_bad_yaml_position();
	test_bad_values();
	test_booleans();
	test_no_frontmatter();
	test_unterminated();
	test_too_big();
	test_depth();
	test_aliases_refused();
	test_crlf();
	test_unknown_keys();
	test_body_offset();
	test_quoted_and_null();
	test_last_key_wins();
	test_bad_utf8();
	return check_done("test_frontmatter");
}
