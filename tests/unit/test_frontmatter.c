/*
 * test_frontmatter.c - frontmatter_parse and frontmatter_date_parse fed
 * bytes
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "content/frontmatter.h"
#include "content/frontmatter_date.h"
#include "content/post.h"
#include "content/strlist.h"
#include "lib/limits.h"
#include "lib/quire.h"

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

	CHECK(frontmatter_date_parse("2024-01-31", &t) == QUIRE_OK);
	CHECK(t == 1706659200);
	CHECK(frontmatter_date_parse("2024-01-31 10:20", &t) == QUIRE_OK);
	CHECK(t == 1706659200 + 10 * 3600 + 20 * 60);
	CHECK(frontmatter_date_parse("2024-01-31T10:20:30", &t) == QUIRE_OK);
	CHECK(t == 1706659200 + 10 * 3600 + 20 * 60 + 30);
	CHECK(frontmatter_date_parse("2024-01-31T10:20:30Z", &t) == QUIRE_OK);
	CHECK(t == 1706659200 + 10 * 3600 + 20 * 60 + 30);
	CHECK(frontmatter_date_parse("2024-01-31T10:20:30+01:00", &t) ==
	      QUIRE_OK);
	CHECK(t == 1706659200 + 9 * 3600 + 20 * 60 + 30);
	CHECK(frontmatter_date_parse("2024-01-31 10:20:30 -05:30", &t) ==
	      QUIRE_OK);
	CHECK(t == 1706659200 + 15 * 3600 + 50 * 60 + 30);
	CHECK(frontmatter_date_parse("2024-01-31T10:20:30.123Z", &t) ==
	      QUIRE_OK);
	CHECK(t == 1706659200 + 10 * 3600 + 20 * 60 + 30);
	CHECK(frontmatter_date_parse("2024-02-30", &t) == QUIRE_EPARSE);
	CHECK(frontmatter_date_parse("2024-13-01", &t) == QUIRE_EPARSE);
	CHECK(frontmatter_date_parse("2024-01-31T25:00", &t) == QUIRE_EPARSE);
	CHECK(frontmatter_date_parse("31/01/2024", &t) == QUIRE_EPARSE);
	CHECK(frontmatter_date_parse("2024-01-31x", &t) == QUIRE_EPARSE);
	CHECK(frontmatter_date_parse("", &t) == QUIRE_EPARSE);
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

	/* "+++" must be a line of its own too */
	CHECK(parse("++++\ntitle = \"x\"\n++++\n", &p, &err) == QUIRE_EPARSE);
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

/* ---- TOML frontmatter (Hugo's "+++") ---- */

static void test_toml_all_fields(void)
{
	struct parse_error err;
	struct post *p;
	int rc;

	rc = parse("+++\n"
		   "# Hugo's default frontmatter\n"
		   "title = \"Hello, world\"\n"
		   "slug = 'hello-world'\n"
		   "date = 2024-01-31T00:30:00+01:00\n"
		   "lastmod = 2024-02-01 10:20:30Z\n"
		   "author = \"Ada\"\n"
		   "description = \"A first post\"   # trailing comment\n"
		   "tags = [\"c\", \"fastcgi\"]\n"
		   "categories = [\n"
		   "  \"notes\",  # a comment inside\n"
		   "\n"
		   "  'misc',\n"
		   "]\n"
		   "draft = true\n"
		   "toc = false\n"
		   "template = \"wide\"\n"
		   "featured_image = \"/img/a.png\"\n"
		   "related_posts = [ \"other-post\" ]\n"
		   "aliases = [\"/old/hello/\", \"/older/\"]\n"
		   "pin = 3\n"
		   "+++\n"
		   "Body\n", &p, &err);
	CHECK(rc == QUIRE_OK);
	CHECK_STR(p->title, "Hello, world");
	CHECK_STR(p->slug, "hello-world");
	CHECK(p->has_date && p->date == 1706659200 - 30 * 60);
	CHECK(p->has_updated && p->updated == 1706782830);
	CHECK(p->authors.n == 1 && strlist_has(&p->authors, "Ada"));
	CHECK_STR(p->description, "A first post");
	CHECK(p->tags.n == 2);
	CHECK(strlist_has(&p->tags, "c") && strlist_has(&p->tags, "fastcgi"));
	CHECK(p->categories.n == 2);
	CHECK_STR(p->categories.n == 2 ? p->categories.v[1] : NULL, "misc");
	CHECK(p->draft == 1);
	CHECK(p->toc == 0);
	CHECK_STR(p->template_name, "wide");
	CHECK_STR(p->featured_image, "/img/a.png");
	CHECK(p->related.n == 1 && strlist_has(&p->related, "other-post"));
	CHECK(p->aliases.n == 2 && strlist_has(&p->aliases, "/older/"));
	CHECK(p->pin == 3);
	CHECK(p->n_extra == 0);
	CHECK_STR(p->source + p->body_offset, "Body\n");
	post_free(p);
}

static void test_toml_dates(void)
{
	struct parse_error err;
	struct post *p;

	CHECK(parse("+++\ndate = 2024-01-31\n+++\n", &p, &err) == QUIRE_OK);
	CHECK(p->has_date && p->date == 1706659200);
	post_free(p);

	CHECK(parse("+++\ndate = 2024-01-31T10:00:00.123Z\n+++\n", &p, &err) ==
	      QUIRE_OK);
	CHECK(p->date == 1706659200 + 10 * 3600);
	post_free(p);

	/* a local date-time is taken as UTC; a quoted date works too */
	CHECK(parse("+++\ndate = 2024-01-31T10:00:00\n"
		    "updated = \"2024-01-31 12:00\"\n+++\n", &p, &err) == QUIRE_OK);
	CHECK(p->date == 1706659200 + 10 * 3600);
	CHECK(p->updated == 1706659200 + 12 * 3600);
	post_free(p);

	/* well-formed TOML, but no such day: the date rule refuses it */
	CHECK(parse("+++\ndate = 2024-02-30\n+++\n", &p, &err) == QUIRE_EPARSE);
	CHECK(err.line == 2 && err.column == 8);
	CHECK_CONTAINS(err.message, "bad date");
	post_free(p);
}

static void test_toml_strings(void)
{
	struct parse_error err;
	struct post *p;

	/* basic strings: escapes, \u and \U to UTF-8, raw UTF-8 kept */
	CHECK(parse("+++\n"
		    "title = \"say \\\"hi\\\"\\tto caf\\u00e9 \\U0001F600 \\\\o/\"\n"
		    "description = \"Gr\xc3\xbc\xc3\x9f" "e\"\n"
		    "template = \"\"\n"
		    "+++\n", &p, &err) == QUIRE_OK);
	CHECK_STR(p->title, "say \"hi\"\tto caf\xc3\xa9 \xf0\x9f\x98\x80 \\o/");
	CHECK_STR(p->description, "Gr\xc3\xbc\xc3\x9f" "e");
	CHECK_STR(p->template_name, "");
	post_free(p);

	/* literal strings: no escapes */
	CHECK(parse("+++\ntitle = 'C:\\path\\to \"x\"'\n+++\n", &p, &err) ==
	      QUIRE_OK);
	CHECK_STR(p->title, "C:\\path\\to \"x\"");
	post_free(p);

	/* multi-line basic: the first line break dropped, a line-ending
	 * backslash joins lines, quotes next to the closing ones */
	CHECK(parse("+++\n"
		    "title = \"\"\"\nThe quick \\\n     brown fox\"\"\"\n"
		    "description = \"\"\"\nline one\n  line \"two\"\\n\"\"\"\"\n"
		    "template = \"\"\"caf\\u00e9\"\"\"\n"
		    "+++\n", &p, &err) == QUIRE_OK);
	CHECK_STR(p->title, "The quick brown fox");
	CHECK_STR(p->description, "line one\n  line \"two\"\n\"");
	CHECK_STR(p->template_name, "caf\xc3\xa9");
	post_free(p);

	/* multi-line literal: backslashes kept, line breaks kept */
	CHECK(parse("+++\ndescription = '''\nfirst \\n\nsecond ''line'''\n+++\n",
		    &p, &err) == QUIRE_OK);
	CHECK_STR(p->description, "first \\n\nsecond ''line");
	post_free(p);

	/* quoted keys */
	CHECK(parse("+++\n\"title\" = \"q\"\n'tags' = [\"a\"]\n+++\n", &p, &err) ==
	      QUIRE_OK);
	CHECK_STR(p->title, "q");
	CHECK(p->tags.n == 1);
	post_free(p);

	/* an empty quoted key is a key too (the fuzzer's first find) */
	CHECK(parse("+++\n\"\" = \"e\"\nx = [{\"\" = 1}]\ny = {\"\" = 2}\n"
		    "[\"\"]\n+++\n", &p, &err) == QUIRE_OK);
	CHECK_STR(extra(p, ""), "");
	CHECK_STR(extra(p, "y."), "2");
	post_free(p);
}

static void test_toml_tags_forms(void)
{
	struct parse_error err;
	struct post *p;

	/* one string is split as in YAML */
	CHECK(parse("+++\ntags = \"a, b ,c\"\n+++\n", &p, &err) == QUIRE_OK);
	CHECK(p->tags.n == 3);
	post_free(p);

	/* array items are not split; empty arrays and trailing commas */
	CHECK(parse("+++\ntags = [\"a, b\",]\ncategories = []\n+++\n", &p, &err) ==
	      QUIRE_OK);
	CHECK(p->tags.n == 1 && strlist_has(&p->tags, "a, b"));
	CHECK(p->categories.n == 0);
	post_free(p);

	/* other scalars in a list are kept as written */
	CHECK(parse("+++\ntags = [2024, true, 1.5]\n+++\n", &p, &err) == QUIRE_OK);
	CHECK(p->tags.n == 3 && strlist_has(&p->tags, "2024") &&
	      strlist_has(&p->tags, "1.5"));
	post_free(p);

	CHECK(parse("+++\ntags = [\"a\"]\ntags = [\"b\", \"c\"]\n+++\n", &p, &err) ==
	      QUIRE_OK);
	CHECK(p->tags.n == 2 && !strlist_has(&p->tags, "a"));
	post_free(p);
}

static void test_toml_tables_and_unknown_keys(void)
{
	struct parse_error err;
	struct post *p;

	CHECK(parse("+++\n"
		    "title = \"T\"\n"
		    "mood = \"happy\"\n"
		    "count = 1_000\n"
		    "ratio = -3.14e2\n"
		    "mask = 0xdead_beef\n"
		    "at = 07:32:00\n"
		    "list = [1, 2.5, true, [\"nested\"]]\n"
		    "inline = { a = 1, b = \"x\", c = { d = [1, 2] } }\n"
		    "\"quoted key\" = 'q'\n"
		    "site . name = \"dotted\"\n"
		    "\n"
		    "[params]\n"
		    "author = \"Ada\"   # not the author field\n"
		    "toc = true\n"
		    "title = \"inner\"\n"
		    "\n"
		    "[ params.deep ]\n"
		    "x = 1\n"
		    "\n"
		    "[[resources]]\n"
		    "src = \"a.png\"\n"
		    "[[resources]]\n"
		    "src = \"b.png\"\n"
		    "+++\n"
		    "Body\n", &p, &err) == QUIRE_OK);
	CHECK_STR(p->title, "T");
	CHECK(p->authors.n == 0);
	CHECK(p->toc == 0);
	CHECK_STR(extra(p, "mood"), "happy");
	CHECK_STR(extra(p, "count"), "1_000");
	CHECK_STR(extra(p, "ratio"), "-3.14e2");
	CHECK_STR(extra(p, "mask"), "0xdead_beef");
	CHECK_STR(extra(p, "at"), "07:32:00");
	CHECK_STR(extra(p, "list"), "1, 2.5, true");
	CHECK_STR(extra(p, "inline"), "");
	CHECK_STR(extra(p, "inline.a"), "1");
	CHECK_STR(extra(p, "inline.b"), "x");
	CHECK_STR(extra(p, "inline.c.d"), "1, 2");
	CHECK_STR(extra(p, "quoted key"), "q");
	CHECK_STR(extra(p, "site"), "");
	CHECK_STR(extra(p, "site.name"), "dotted");
	CHECK_STR(extra(p, "params"), "");
	CHECK_STR(extra(p, "params.author"), "Ada");
	CHECK_STR(extra(p, "params.toc"), "true");
	CHECK_STR(extra(p, "params.title"), "inner");
	CHECK_STR(extra(p, "params.deep.x"), "1");
	CHECK_STR(extra(p, "resources.src"), "b.png");
	CHECK_STR(p->source + p->body_offset, "Body\n");
	post_free(p);
}

static void test_toml_crlf(void)
{
	struct parse_error err;
	struct post *p;

	CHECK(parse("+++\r\ntitle = \"Windows\"\r\ntags = [\r\n  \"a\",\r\n  \"b\"\r\n]\r\n"
		    "description = \"\"\"\r\none\r\ntwo\"\"\"\r\n"
		    "date = 2024-01-31\r\n# comment\r\n"
		    "+++\r\nBody\r\n", &p, &err) == QUIRE_OK);
	CHECK_STR(p->title, "Windows");
	CHECK(p->tags.n == 2);
	CHECK_STR(p->description, "one\ntwo");
	CHECK(p->has_date);
	CHECK_STR(p->source + p->body_offset, "Body\r\n");
	post_free(p);

	CHECK(parse("+++\r\ntitle = \"ok\"\r\ndraft = maybe\r\n+++\r\n", &p, &err) ==
	      QUIRE_EPARSE);
	CHECK(err.line == 3 && err.column == 9);
	post_free(p);

	/* a carriage return must be followed by a line feed */
	CHECK(parse("+++\ntitle = \"a\"\rx = 1\n+++\n", &p, &err) == QUIRE_EPARSE);
	CHECK(err.line == 2 && err.column == 12);
	post_free(p);
}

/* Parses text, expecting rc at line:column with a message containing
 * what. */
static void check_toml_error(const char *text, int rc, unsigned line,
			     unsigned column, const char *what)
{
	struct parse_error err;
	struct post *p;

	CHECK(parse(text, &p, &err) == rc);
	if (err.line != line || err.column != column)
		fprintf(stderr, "for %s: at %u:%u, want %u:%u (%s)\n", text,
			err.line, err.column, line, column, err.message);
	CHECK(err.line == line && err.column == column);
	CHECK_CONTAINS(err.message, what);
	post_free(p);
}

static void test_toml_errors(void)
{
	/* strings */
	check_toml_error("+++\ntitle = \"Hello\n+++\n", QUIRE_EPARSE, 2, 9,
			 "unterminated string");
	check_toml_error("+++\ntitle = 'Hello\n+++\n", QUIRE_EPARSE, 2, 9,
			 "unterminated string");
	check_toml_error("+++\ntitle = \"t\"\ndescription = \"\"\"Hello\nmore\n+++\n",
			 QUIRE_EPARSE, 3, 15, "unterminated multi-line string");
	check_toml_error("+++\ntitle = \"a\\qb\"\n+++\n", QUIRE_EPARSE, 2, 11,
			 "escape");
	check_toml_error("+++\ntitle = \"a\\u00\"\n+++\n", QUIRE_EPARSE, 2, 11,
			 "hex digits");
	check_toml_error("+++\ntitle = \"a\\u0000\"\n+++\n", QUIRE_EPARSE, 2, 11,
			 "\\u0000");
	check_toml_error("+++\ntitle = \"\\uD800\"\n+++\n", QUIRE_EPARSE, 2, 10,
			 "Unicode");
	check_toml_error("+++\ntitle = \"\"\"a\"\"\"\"\"\"\n+++\n", QUIRE_EPARSE, 2,
			 13, "too many");
	/* values */
	check_toml_error("+++\ntitle = \"t\"\ndraft = maybe\n+++\n", QUIRE_EPARSE, 3,
			 9, "bad value \"maybe\"");
	check_toml_error("+++\ndraft = \"maybe\"\n+++\n", QUIRE_EPARSE, 2, 9,
			 "expected true or false");
	check_toml_error("+++\nx = 01\n+++\n", QUIRE_EPARSE, 2, 5, "bad value");
	check_toml_error("+++\nx = 1__0\n+++\n", QUIRE_EPARSE, 2, 5, "bad value");
	check_toml_error("+++\nx = 2024-13-01\n+++\n", QUIRE_EPARSE, 2, 5,
			 "bad value");
	check_toml_error("+++\ntitle =\n+++\n", QUIRE_EPARSE, 2, 8,
			 "expected a value");
	check_toml_error("+++\ntitle = [\"a\"]\n+++\n", QUIRE_EPARSE, 2, 9,
			 "expected a single value for \"title\"");
	check_toml_error("+++\ntitle = { a = 1 }\n+++\n", QUIRE_EPARSE, 2, 9,
			 "title");
	check_toml_error("+++\ntags = [[\"a\"]]\n+++\n", QUIRE_EPARSE, 2, 9,
			 "plain value");
	check_toml_error("+++\npin = -2\n+++\n", QUIRE_EPARSE, 2, 7, "pin");
	check_toml_error("+++\nslug = \"Not Valid\"\n+++\n", QUIRE_EPARSE, 2, 8,
			 "invalid slug");
	/* keys and lines */
	check_toml_error("+++\ntitle \"x\"\n+++\n", QUIRE_EPARSE, 2, 7,
			 "expected '=' after the key \"title\"");
	check_toml_error("+++\ntitle = \"t\"\ntags\n+++\n", QUIRE_EPARSE, 3, 5,
			 "expected '='");
	check_toml_error("+++\n= 1\n+++\n", QUIRE_EPARSE, 2, 1, "expected a key");
	check_toml_error("+++\nti tle = 1\n+++\n", QUIRE_EPARSE, 2, 4,
			 "expected '='");
	check_toml_error("+++\ntitle = \"a\" \"b\"\n+++\n", QUIRE_EPARSE, 2, 13,
			 "end of the line");
	/* arrays, tables */
	check_toml_error("+++\ntags = [\"a\",\n\"b\"\n+++\n", QUIRE_EPARSE, 2, 8,
			 "unterminated array");
	check_toml_error("+++\ntags = [\"a\" \"b\"]\n+++\n", QUIRE_EPARSE, 2, 13,
			 "expected ','");
	check_toml_error("+++\nx = { a = 1\n+++\n", QUIRE_EPARSE, 2, 5,
			 "unterminated inline table");
	check_toml_error("+++\nx = { a = 1 b = 2 }\n+++\n", QUIRE_EPARSE, 2, 13,
			 "expected ','");
	check_toml_error("+++\nx = { a 1 }\n+++\n", QUIRE_EPARSE, 2, 9,
			 "expected '='");
	check_toml_error("+++\n[params\nx = 1\n+++\n", QUIRE_EPARSE, 2, 8,
			 "expected ']'");
	check_toml_error("+++\n[[res]\nx = 1\n+++\n", QUIRE_EPARSE, 2, 6,
			 "expected ']]'");
	check_toml_error("+++\n[]\n+++\n", QUIRE_EPARSE, 2, 2, "expected a key");
	check_toml_error("+++\n[params] x = 1\n+++\n", QUIRE_EPARSE, 2, 10,
			 "end of the line");
	/* a table named like a field wants a value */
	check_toml_error("+++\n[tags]\nx = 1\n+++\n", QUIRE_EPARSE, 2, 1, "tags");
	check_toml_error("+++\ntitle.x = 1\n+++\n", QUIRE_EPARSE, 2, 1, "title");
	/* bytes */
	check_toml_error("+++\ntitle = \"ok\"\nx = \"\xff\"\n+++\n", QUIRE_EPARSE, 3,
			 6, "UTF-8");
	check_toml_error("+++\nx = \"\xc3\xa9\xc0\xaf\"\n+++\n", QUIRE_EPARSE, 2, 7,
			 "UTF-8");
	check_toml_error("+++\nx = \"a\x01\"\n+++\n", QUIRE_EPARSE, 2, 7,
			 "control character");
}

static void test_toml_too_many_tags(void)
{
	struct parse_error err;
	struct post *p;
	char text[2048];
	int i, n;

	n = snprintf(text, sizeof(text), "+++\ntitle = \"t\"\ntags = [");
	for (i = 0; i <= QUIRE_MAX_TAGS; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "%s\"t%d\"",
			      i ? "," : "", i);
	snprintf(text + n, sizeof(text) - (size_t)n, "]\n+++\n");
	CHECK(parse(text, &p, &err) == QUIRE_ETOOBIG);
	CHECK(err.line == 3 && err.column == 8);
	CHECK_CONTAINS(err.message, "tags");
	post_free(p);

	/* exactly the limit, over several lines */
	n = snprintf(text, sizeof(text), "+++\naliases = [\n");
	for (i = 0; i < QUIRE_MAX_TAGS; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "  \"/a%d/\",\n",
			      i);
	snprintf(text + n, sizeof(text) - (size_t)n, "]\n+++\n");
	CHECK(parse(text, &p, &err) == QUIRE_OK);
	CHECK(p->aliases.n == QUIRE_MAX_TAGS);
	post_free(p);
}

static void test_toml_too_big(void)
{
	struct parse_error err;
	struct post *p;
	char *text;
	size_t n = QUIRE_MAX_FRONTMATTER + 100, i;

	text = malloc(n + 32);
	if (!text)
		exit(2);
	strcpy(text, "+++\n");
	for (i = 4; i < n; i += 12)
		memcpy(text + i, "#comment...\n", 12);
	strcpy(text + i, "+++\n");
	CHECK(parse(text, &p, &err) == QUIRE_ETOOBIG);
	CHECK(err.line == 1 && err.column == 1);
	CHECK_CONTAINS(err.message, "larger");
	post_free(p);
	free(text);
}

static void test_toml_depth(void)
{
	struct parse_error err;
	struct post *p;
	char text[256];
	int i, n;

	n = snprintf(text, sizeof(text), "+++\nx = ");
	for (i = 0; i < QUIRE_MAX_YAML_DEPTH + 2; i++)
		text[n++] = '[';
	for (i = 0; i < QUIRE_MAX_YAML_DEPTH + 2; i++)
		text[n++] = ']';
	snprintf(text + n, sizeof(text) - (size_t)n, "\n+++\n");
	CHECK(parse(text, &p, &err) == QUIRE_ETOOBIG);
	CHECK(err.line == 2);
	CHECK_CONTAINS(err.message, "nested");
	post_free(p);

	n = snprintf(text, sizeof(text), "+++\nx = ");
	for (i = 0; i < QUIRE_MAX_YAML_DEPTH + 2; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "{a=");
	text[n++] = '1';
	for (i = 0; i < QUIRE_MAX_YAML_DEPTH + 2; i++)
		text[n++] = '}';
	snprintf(text + n, sizeof(text) - (size_t)n, "\n+++\n");
	CHECK(parse(text, &p, &err) == QUIRE_ETOOBIG);
	CHECK(err.line == 2);
	post_free(p);

	/* dotted keys and table headers nest too: a long dotted key would
	 * otherwise define a table per prefix */
	n = snprintf(text, sizeof(text), "+++\nx");
	for (i = 0; i < QUIRE_MAX_YAML_DEPTH + 2; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n, ".x");
	snprintf(text + n, sizeof(text) - (size_t)n, " = 1\n+++\n");
	CHECK(parse(text, &p, &err) == QUIRE_ETOOBIG);
	CHECK(err.line == 2);
	post_free(p);

	n = snprintf(text, sizeof(text), "+++\n[x");
	for (i = 0; i < QUIRE_MAX_YAML_DEPTH + 2; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n, ".x");
	snprintf(text + n, sizeof(text) - (size_t)n, "]\n+++\n");
	CHECK(parse(text, &p, &err) == QUIRE_ETOOBIG);
	CHECK(err.line == 2);
	post_free(p);

	/* a little nesting in an unknown key is fine */
	CHECK(parse("+++\n[a.b.c]\nd.e = 1\n+++\n", &p, &err) == QUIRE_OK);
	CHECK_STR(extra(p, "a.b.c.d.e"), "1");
	post_free(p);
	CHECK(parse("+++\nx = {a = [1, 2], b = {c = \"d\"}}\n"
		    "y = [[1, 2], [\"a\"], {z = 1}]\n+++\n", &p, &err) == QUIRE_OK);
	post_free(p);
}

static void test_toml_block(void)
{
	struct parse_error err;
	struct post *p;

	CHECK(parse("+++\ntitle = \"x\"\nbody\n", &p, &err) == QUIRE_EPARSE);
	CHECK(err.line == 1 && err.column == 1);
	CHECK_CONTAINS(err.message, "unterminated frontmatter");
	CHECK_CONTAINS(err.message, "+++");
	post_free(p);

	/* "---" does not close a TOML block, nor "+++" a YAML one */
	CHECK(parse("+++\ntitle = \"x\"\n---\n", &p, &err) == QUIRE_EPARSE);
	CHECK_CONTAINS(err.message, "unterminated");
	post_free(p);
	CHECK(parse("---\ntitle: x\n+++\n", &p, &err) == QUIRE_EPARSE);
	CHECK_CONTAINS(err.message, "unterminated");
	post_free(p);

	CHECK(parse("+++\ntitle = \"t\"\n+++", &p, &err) == QUIRE_OK);
	CHECK(p->body_offset == p->source_len);
	post_free(p);

	CHECK(parse("+++\n# only a comment\n\n+++\ntext", &p, &err) == QUIRE_OK);
	CHECK(p->title == NULL && p->n_extra == 0);
	CHECK_STR(p->source + p->body_offset, "text");
	post_free(p);

	CHECK(parse("+++\n+++\n", &p, &err) == QUIRE_OK);
	post_free(p);

	/* a byte order mark, and blanks after the closing line */
	CHECK(parse("\xef\xbb\xbf+++\ntitle = \"bom\"\n+++  \n# Body\n", &p, &err) ==
	      QUIRE_OK);
	CHECK_STR(p->title, "bom");
	CHECK_STR(p->source + p->body_offset, "# Body\n");
	post_free(p);

	/* a body that looks like TOML is not read */
	CHECK(parse("+++\ntitle = \"t\"\n+++\nx = [\n", &p, &err) == QUIRE_OK);
	CHECK(p->n_extra == 0);
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
	test_toml_all_fields();
	test_toml_dates();
	test_toml_strings();
	test_toml_tags_forms();
	test_toml_tables_and_unknown_keys();
	test_toml_crlf();
	test_toml_errors();
	test_toml_too_many_tags();
	test_toml_too_big();
	test_toml_depth();
	test_toml_block();
	return check_done("test_frontmatter");
}
