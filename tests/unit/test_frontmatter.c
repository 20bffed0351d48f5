/*
 * test_frontmatter.c - frontmatter_parse and frontmatter_date_parse fed
 * bytes
 *
 * YAML ("---") and TOML ("+++") share the block finder and the field
 * rules, so most checks are rows of tables holding both syntaxes, a YAML
 * row next to the TOML row that checks the same rule; the checks built
 * from a pattern (too big, too deep, too many tags) run once per syntax.
 * What only one syntax has (YAML's aliases, TOML's strings and tables)
 * is checked on its own.
 */
#include <stddef.h>
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
static enum quire_err parse(const char *text, struct post **out,
			    struct parse_error *err)
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

/* What the checks built from a pattern need to know of a syntax. */
struct syntax {
	const char *fence;   /* the line opening and closing the block */
	const char *assign;  /* between a key and its value */
	const char *quote;   /* around a string (YAML needs none) */
};

static const struct syntax syntaxes[] = {
	{ "---", ": ", "" },    /* YAML */
	{ "+++", " = ", "\"" }, /* TOML */
};

#define N_SYNTAXES (sizeof(syntaxes) / sizeof(syntaxes[0]))
#define N_ROWS(table) (sizeof(table) / sizeof((table)[0]))

/* ---- the fields ---- */

static void test_all_fields(void)
{
	struct parse_error err;
	struct post *p;
	enum quire_err rc;

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

/* ---- the fields in TOML (Hugo's "+++"): strings and tables ---- */

static void test_toml_all_fields(void)
{
	struct parse_error err;
	struct post *p;
	enum quire_err rc;

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

/* ---- lists ---- */

/* A list field, expected to hold items in that order (NULL-ended). */
struct list_case {
	const char *text;
	size_t list;           /* offsetof the struct strlist in struct post */
	const char *items[4];
	const char *title;     /* NULL: not checked */
};

#define TAGS offsetof(struct post, tags)

static const struct list_case list_cases[] = {
	/* one string is split on commas */
	{ "---\ntags: a, b ,c\n---\n", TAGS, { "a", "b", "c" }, NULL },
	{ "+++\ntags = \"a, b ,c\"\n+++\n", TAGS, { "a", "b", "c" }, NULL },
	{ "---\ntags: single\n---\n", TAGS, { "single" }, NULL },
	{ "---\ntags:\n  - one\n  - two words\n---\n", TAGS,
	  { "one", "two words" }, NULL },
	/* a list item is not split on commas; empty lists, trailing commas */
	{ "---\ntags: [\"a, b\"]\n---\n", TAGS, { "a, b" }, NULL },
	{ "+++\ntags = [\"a, b\",]\ncategories = []\n+++\n", TAGS, { "a, b" },
	  NULL },
	{ "+++\ntags = [\"a, b\",]\ncategories = []\n+++\n",
	  offsetof(struct post, categories), { NULL }, NULL },
	{ "---\ntags:\n---\n", TAGS, { NULL }, NULL },
	/* one author name is not split either */
	{ "---\nauthor: Lovelace, Ada\n---\n", offsetof(struct post, authors),
	  { "Lovelace, Ada" }, NULL },
	/* other scalars in a TOML list are kept as written */
	{ "+++\ntags = [2024, true, 1.5]\n+++\n", TAGS,
	  { "2024", "true", "1.5" }, NULL },
	/* a key given twice keeps its last value */
	{ "---\ntitle: a\ntitle: b\ntags: [x]\ntags: [y, z]\n---\n", TAGS,
	  { "y", "z" }, "b" },
	{ "+++\ntags = [\"a\"]\ntags = [\"b\", \"c\"]\n+++\n", TAGS,
	  { "b", "c" }, NULL },
};

static void test_lists(void)
{
	const struct list_case *c;
	const struct strlist *l;
	struct parse_error err;
	struct post *p;
	size_t i, n;

	for (c = list_cases; c < list_cases + N_ROWS(list_cases); c++) {
		CHECK(parse(c->text, &p, &err) == QUIRE_OK);
		l = (const struct strlist *)(const void *)((char *)p + c->list);
		for (n = 0; c->items[n]; n++)
			;
		if (l->n != n)
			fprintf(stderr, "for %s: %zu items, want %zu\n",
				c->text, l->n, n);
		CHECK(l->n == n);
		for (i = 0; i < n; i++)
			CHECK_STR(i < l->n ? l->v[i] : NULL, c->items[i]);
		if (c->title)
			CHECK_STR(p->title, c->title);
		post_free(p);
	}
}

/* At most QUIRE_MAX_TAGS values in a list, in both syntaxes. */
static void test_too_many_tags(void)
{
	const struct syntax *s;
	struct parse_error err;
	struct post *p;
	char text[2048];
	int i, n;

	for (s = syntaxes; s < syntaxes + N_SYNTAXES; s++) {
		n = snprintf(text, sizeof(text), "%s\ntitle%s%st%s\ntags%s[",
			     s->fence, s->assign, s->quote, s->quote,
			     s->assign);
		for (i = 0; i <= QUIRE_MAX_TAGS; i++)
			n += snprintf(text + n, sizeof(text) - (size_t)n,
				      "%s%st%d%s", i ? "," : "", s->quote, i,
				      s->quote);
		snprintf(text + n, sizeof(text) - (size_t)n, "]\n%s\n",
			 s->fence);
		CHECK(parse(text, &p, &err) == QUIRE_ETOOBIG);
		CHECK(err.line == 3);
		CHECK(err.column == strlen("tags") + strlen(s->assign) + 1);
		CHECK_CONTAINS(err.message, "tags");
		post_free(p);
	}
}

/* Exactly QUIRE_MAX_TAGS values: one YAML string split on commas, and a
 * TOML list over several lines. */
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

	n = snprintf(text, sizeof(text), "+++\naliases = [\n");
	for (i = 0; i < QUIRE_MAX_TAGS; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "  \"/a%d/\",\n",
			      i);
	snprintf(text + n, sizeof(text) - (size_t)n, "]\n+++\n");
	CHECK(parse(text, &p, &err) == QUIRE_OK);
	CHECK(p->aliases.n == QUIRE_MAX_TAGS);
	post_free(p);
}

/* ---- dates ---- */

static const struct {
	const char *s;
	enum quire_err rc;
	time_t t;          /* when rc is QUIRE_OK */
} date_parse_cases[] = {
	{ "2024-01-31", QUIRE_OK, 1706659200 },
	{ "2024-01-31 10:20", QUIRE_OK, 1706659200 + 10 * 3600 + 20 * 60 },
	{ "2024-01-31T10:20:30", QUIRE_OK,
	  1706659200 + 10 * 3600 + 20 * 60 + 30 },
	{ "2024-01-31T10:20:30Z", QUIRE_OK,
	  1706659200 + 10 * 3600 + 20 * 60 + 30 },
	{ "2024-01-31T10:20:30+01:00", QUIRE_OK,
	  1706659200 + 9 * 3600 + 20 * 60 + 30 },
	{ "2024-01-31 10:20:30 -05:30", QUIRE_OK,
	  1706659200 + 15 * 3600 + 50 * 60 + 30 },
	{ "2024-01-31T10:20:30.123Z", QUIRE_OK,
	  1706659200 + 10 * 3600 + 20 * 60 + 30 },
	{ "2024-02-30", QUIRE_EPARSE, 0 },
	{ "2024-13-01", QUIRE_EPARSE, 0 },
	{ "2024-01-31T25:00", QUIRE_EPARSE, 0 },
	{ "31/01/2024", QUIRE_EPARSE, 0 },
	{ "2024-01-31x", QUIRE_EPARSE, 0 },
	{ "", QUIRE_EPARSE, 0 },
};

static void test_date_parse(void)
{
	size_t i;
	time_t t;

	for (i = 0; i < N_ROWS(date_parse_cases); i++) {
		CHECK(frontmatter_date_parse(date_parse_cases[i].s, &t) ==
		      date_parse_cases[i].rc);
		if (date_parse_cases[i].rc == QUIRE_OK)
			CHECK(t == date_parse_cases[i].t);
	}
}

/* Dates in frontmatter: date always, updated when not 0. */
static const struct {
	const char *text;
	time_t date;
	time_t updated;
} date_cases[] = {
	{ "---\ndate: 2024-01-31T00:30:00+01:00\n---\n", 1706659200 - 30 * 60,
	  0 },
	{ "+++\ndate = 2024-01-31\n+++\n", 1706659200, 0 },
	{ "+++\ndate = 2024-01-31T10:00:00.123Z\n+++\n",
	  1706659200 + 10 * 3600, 0 },
	/* a local date-time is taken as UTC; a quoted date works too */
	{ "---\ndate: \"2024-01-31 12:00\"\n---\n", 1706659200 + 12 * 3600, 0 },
	{ "+++\ndate = 2024-01-31T10:00:00\nupdated = \"2024-01-31 12:00\"\n"
	  "+++\n", 1706659200 + 10 * 3600, 1706659200 + 12 * 3600 },
};

static void test_dates(void)
{
	struct parse_error err;
	struct post *p;
	size_t i;

	for (i = 0; i < N_ROWS(date_cases); i++) {
		CHECK(parse(date_cases[i].text, &p, &err) == QUIRE_OK);
		CHECK(p->has_date && p->date == date_cases[i].date);
		if (date_cases[i].updated)
			CHECK(p->has_updated &&
			      p->updated == date_cases[i].updated);
		post_free(p);
	}
}

/* ---- the block ---- */

/* A block found: its title (NULL: none), no unknown key, and the body
 * after it. */
static const struct {
	const char *text;
	const char *title;
	const char *body;
} block_cases[] = {
	{ "---\ntitle: t\n...\n# Body\n", "t", "# Body\n" },
	{ "---\ntitle: t\n---", "t", "" },
	{ "+++\ntitle = \"t\"\n+++", "t", "" },
	{ "---\n---\ntext", NULL, "text" },
	{ "+++\n# only a comment\n\n+++\ntext", NULL, "text" },
	{ "+++\n+++\n", NULL, "" },
	/* a UTF-8 byte order mark before the first line, blanks after the
	 * closing one */
	{ "\xef\xbb\xbf---\ntitle: bom\n---\n", "bom", "" },
	{ "\xef\xbb\xbf+++\ntitle = \"bom\"\n+++  \n# Body\n", "bom",
	  "# Body\n" },
	/* a body that looks like TOML is not read */
	{ "+++\ntitle = \"t\"\n+++\nx = [\n", "t", "x = [\n" },
};

static void test_blocks(void)
{
	struct parse_error err;
	struct post *p;
	size_t i;

	for (i = 0; i < N_ROWS(block_cases); i++) {
		CHECK(parse(block_cases[i].text, &p, &err) == QUIRE_OK);
		if (block_cases[i].title)
			CHECK_STR(p->title, block_cases[i].title);
		else
			CHECK(p->title == NULL);
		CHECK(p->n_extra == 0);
		CHECK_STR(p->source + p->body_offset, block_cases[i].body);
		post_free(p);
	}
}

/* A block past QUIRE_MAX_FRONTMATTER, in both syntaxes. */
static void test_too_big(void)
{
	const struct syntax *s;
	struct parse_error err;
	struct post *p;
	char *text;
	size_t n = QUIRE_MAX_FRONTMATTER + 100, i;

	text = malloc(n + 32);
	if (!text)
		exit(2);
	for (s = syntaxes; s < syntaxes + N_SYNTAXES; s++) {
		snprintf(text, n + 32, "%s\n", s->fence);
		for (i = 4; i < n; i += 12)
			memcpy(text + i, "#comment...\n", 12);
		snprintf(text + i, n + 32 - i, "%s\n", s->fence);
		CHECK(parse(text, &p, &err) == QUIRE_ETOOBIG);
		CHECK(err.line == 1 && err.column == 1);
		CHECK_CONTAINS(err.message, "larger");
		post_free(p);
	}
	free(text);
}

/* Lists nested past QUIRE_MAX_YAML_DEPTH, in both syntaxes; a little
 * nesting in an unknown key is fine. */
static void test_depth(void)
{
	const struct syntax *s;
	struct parse_error err;
	struct post *p;
	char text[256];
	int i, n;

	for (s = syntaxes; s < syntaxes + N_SYNTAXES; s++) {
		n = snprintf(text, sizeof(text), "%s\nx%s", s->fence,
			     s->assign);
		for (i = 0; i < QUIRE_MAX_YAML_DEPTH + 2; i++)
			text[n++] = '[';
		for (i = 0; i < QUIRE_MAX_YAML_DEPTH + 2; i++)
			text[n++] = ']';
		snprintf(text + n, sizeof(text) - (size_t)n, "\n%s\n",
			 s->fence);
		CHECK(parse(text, &p, &err) == QUIRE_ETOOBIG);
		CHECK(err.line == 2);
		CHECK_CONTAINS(err.message, "nested");
		post_free(p);
	}

	CHECK(parse("---\nx: {a: [1, 2], b: {c: d}}\n---\n", &p, &err) ==
	      QUIRE_OK);
	post_free(p);
	CHECK(parse("+++\nx = {a = [1, 2], b = {c = \"d\"}}\n"
		    "y = [[1, 2], [\"a\"], {z = 1}]\n+++\n", &p, &err) == QUIRE_OK);
	post_free(p);
}

/* TOML's own nesting: inline tables, dotted keys and table headers. */
static void test_toml_depth(void)
{
	struct parse_error err;
	struct post *p;
	char text[256];
	int i, n;

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

	CHECK(parse("+++\n[a.b.c]\nd.e = 1\n+++\n", &p, &err) == QUIRE_OK);
	CHECK_STR(extra(p, "a.b.c.d.e"), "1");
	post_free(p);
}

/* Windows line ends, in both syntaxes (their errors are in error_cases). */
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
}


/* A slug keeps the letter case it was written in, in both syntaxes. */
static void test_slug_case(void)
{
	struct parse_error err;
	struct post *p;

	CHECK(parse("---\ntitle: T\nslug: Rust-1.12.1\n---\n", &p, &err) ==
	      QUIRE_OK);
	CHECK_STR(p->slug, "Rust-1.12.1");
	post_free(p);
	CHECK(parse("+++\ntitle = 'T'\nslug = 'ABOUT_Me'\n+++\n", &p, &err) ==
	      QUIRE_OK);
	CHECK_STR(p->slug, "ABOUT_Me");
	post_free(p);
}

/* What real generators accept before the block: a byte order mark, blank
 * or whitespace-only lines; with CRLF throughout. Lines in errors count
 * from the file's first line, the mark not being a column. */
static void test_lenient_start(void)
{
	struct parse_error err;
	struct post *p;

	CHECK(parse("\xef\xbb\xbf\r\n \t\r\n\r\n---\r\ntitle: Lenient\r\n"
		    "---\r\nBody\r\n", &p, &err) == QUIRE_OK);
	CHECK_STR(p->title, "Lenient");
	CHECK_STR(p->source + p->body_offset, "Body\r\n");
	post_free(p);
	CHECK(parse("\n\n+++\ntitle = \"Toml\"\n+++\nBody\n", &p, &err) ==
	      QUIRE_OK);
	CHECK_STR(p->title, "Toml");
	CHECK_STR(p->source + p->body_offset, "Body\n");
	post_free(p);

	/* errors in the block: its lines, counted from the file's first */
	CHECK(parse("\xef\xbb\xbf\n\n---\ntitle: t\ndraft: maybe\n---\n", &p,
		    &err) == QUIRE_EPARSE);
	CHECK(err.line == 5 && err.column == 8);
	post_free(p);
	CHECK(parse("\r\n  \r\n---\r\ntitle: t\r\ndraft: maybe\r\n---\r\n", &p,
		    &err) == QUIRE_EPARSE);
	CHECK(err.line == 5 && err.column == 8);
	post_free(p);
	CHECK(parse("\n\n+++\ntitle = \"t\"\npin = -2\n+++\n", &p, &err) ==
	      QUIRE_EPARSE);
	CHECK(err.line == 5 && err.column == 7);
	post_free(p);
	/* an unterminated block is reported where it opens */
	CHECK(parse("\n\n---\ntitle: t\n", &p, &err) == QUIRE_EPARSE);
	CHECK(err.line == 3 && err.column == 1);
	post_free(p);
	/* blank lines and then no block: still no frontmatter */
	CHECK(parse("\n\n# Title\n", &p, &err) == QUIRE_EPARSE);
	CHECK_CONTAINS(err.message, "missing frontmatter");
	post_free(p);
}

/* ---- errors ---- */

/* A file refused: rc, at line:column (0: not checked) with a message
 * containing what (NULL: not checked). */
struct error_case {
	const char *text;
	enum quire_err rc;
	unsigned line;
	unsigned column;
	const char *what;
};

#define EP QUIRE_EPARSE

static const struct error_case error_cases[] = {
	/* the block */
	{ "# Just markdown\n", EP, 1, 1, "missing frontmatter" },
	{ "", EP, 0, 0, "missing frontmatter" },
	/* "---" and "+++" must be lines of their own */
	{ "----\ntitle: x\n----\n", EP, 0, 0, NULL },
	{ "++++\ntitle = \"x\"\n++++\n", EP, 0, 0, "missing frontmatter" },
	{ "---\ntitle: x\nbody\n", EP, 1, 1, "unterminated" },
	{ "+++\ntitle = \"x\"\nbody\n", EP, 1, 1,
	  "unterminated frontmatter (no closing \"+++\"" },
	/* "---" does not close a TOML block, nor "+++" a YAML one */
	{ "+++\ntitle = \"x\"\n---\n", EP, 0, 0, "unterminated" },
	{ "---\ntitle: x\n+++\n", EP, 0, 0, "unterminated" },

	/* the field rules, the same whatever the syntax */
	{ "---\ndraft: maybe\n---\n", EP, 2, 8, NULL },
	{ "+++\ndraft = \"maybe\"\n+++\n", EP, 2, 9, "expected true or false" },
	{ "---\ntitle: [a, b]\n---\n", EP, 2, 8, "title" },
	{ "+++\ntitle = [\"a\"]\n+++\n", EP, 2, 9,
	  "expected a single value for \"title\"" },
	{ "+++\ntitle = { a = 1 }\n+++\n", EP, 2, 9, "title" },
	{ "---\ntags: [[a]]\n---\n", EP, 0, 0, NULL },
	{ "+++\ntags = [[\"a\"]]\n+++\n", EP, 2, 9, "plain value" },
	{ "---\npin: -2\n---\n", EP, 0, 0, NULL },
	{ "+++\npin = -2\n+++\n", EP, 2, 7, "pin" },
	{ "---\nslug: Not Valid\n---\n", EP, 2, 7, "slug" },
	{ "+++\nslug = \"Not Valid\"\n+++\n", EP, 2, 8, "invalid slug" },
	{ "---\nslug: .hidden\n---\n", EP, 0, 0, NULL },
	{ "---\nslug: caf\xc3\xa9\n---\n", EP, 2, 7, "invalid slug" },
	{ "---\ntitle: t\ndate: yesterday\n---\n", EP, 3, 7, "date" },
	/* well-formed TOML, but no such day: the date rule refuses it */
	{ "+++\ndate = 2024-02-30\n+++\n", EP, 2, 8, "bad date" },
	/* a table named like a field wants a value */
	{ "+++\n[tags]\nx = 1\n+++\n", EP, 2, 1, "tags" },
	{ "+++\ntitle.x = 1\n+++\n", EP, 2, 1, "title" },

	/* YAML: libyaml's errors, placed in the whole file */
	{ "---\ntitle: ok\nbad: a: b\n---\n", EP, 3, 7,
	  "mapping values are not allowed" },
	{ "---\r\ntitle: ok\r\nbad: a: b\r\n---\r\n", EP, 3, 7, NULL },
	/* a tab for indentation, on the file's line 4 */
	{ "---\ntitle: ok\ntags:\n\t- a\n---\n", EP, 4, 1, NULL },
	{ "---\ntitle: ok\nx: \xff\n---\n", EP, 3, 0, NULL },
	{ "---\na: &x [1, 2]\nb: *x\n---\n", EP, 3, 4, "aliases" },
	{ "---\n- a\n- b\n---\n", EP, 0, 0, "mapping" },
	{ "---\njust text\n---\n", EP, 0, 0, NULL },

	/* TOML: strings */
	{ "+++\ntitle = \"Hello\n+++\n", EP, 2, 9, "unterminated string" },
	{ "+++\ntitle = 'Hello\n+++\n", EP, 2, 9, "unterminated string" },
	{ "+++\ntitle = \"t\"\ndescription = \"\"\"Hello\nmore\n+++\n", EP,
	  3, 15, "unterminated multi-line string" },
	{ "+++\ntitle = \"a\\qb\"\n+++\n", EP, 2, 11, "escape" },
	{ "+++\ntitle = \"a\\u00\"\n+++\n", EP, 2, 11, "hex digits" },
	{ "+++\ntitle = \"a\\u0000\"\n+++\n", EP, 2, 11, "\\u0000" },
	{ "+++\ntitle = \"\\uD800\"\n+++\n", EP, 2, 10, "Unicode" },
	{ "+++\ntitle = \"\"\"a\"\"\"\"\"\"\n+++\n", EP, 2, 13, "too many" },
	/* TOML: values */
	{ "+++\ntitle = \"t\"\ndraft = maybe\n+++\n", EP, 3, 9,
	  "bad value \"maybe\"" },
	{ "+++\r\ntitle = \"ok\"\r\ndraft = maybe\r\n+++\r\n", EP, 3, 9, NULL },
	{ "+++\nx = 01\n+++\n", EP, 2, 5, "bad value" },
	{ "+++\nx = 1__0\n+++\n", EP, 2, 5, "bad value" },
	{ "+++\nx = 2024-13-01\n+++\n", EP, 2, 5, "bad value" },
	{ "+++\ntitle =\n+++\n", EP, 2, 8, "expected a value" },
	/* TOML: keys and lines */
	{ "+++\ntitle \"x\"\n+++\n", EP, 2, 7,
	  "expected '=' after the key \"title\"" },
	{ "+++\ntitle = \"t\"\ntags\n+++\n", EP, 3, 5, "expected '='" },
	{ "+++\n= 1\n+++\n", EP, 2, 1, "expected a key" },
	{ "+++\nti tle = 1\n+++\n", EP, 2, 4, "expected '='" },
	{ "+++\ntitle = \"a\" \"b\"\n+++\n", EP, 2, 13, "end of the line" },
	/* TOML: arrays, tables */
	{ "+++\ntags = [\"a\",\n\"b\"\n+++\n", EP, 2, 8, "unterminated array" },
	{ "+++\ntags = [\"a\" \"b\"]\n+++\n", EP, 2, 13, "expected ','" },
	{ "+++\nx = { a = 1\n+++\n", EP, 2, 5, "unterminated inline table" },
	{ "+++\nx = { a = 1 b = 2 }\n+++\n", EP, 2, 13, "expected ','" },
	{ "+++\nx = { a 1 }\n+++\n", EP, 2, 9, "expected '='" },
	{ "+++\n[params\nx = 1\n+++\n", EP, 2, 8, "expected ']'" },
	{ "+++\n[[res]\nx = 1\n+++\n", EP, 2, 6, "expected ']]'" },
	{ "+++\n[]\n+++\n", EP, 2, 2, "expected a key" },
	{ "+++\n[params] x = 1\n+++\n", EP, 2, 10, "end of the line" },
	/* TOML: bytes; a carriage return must be followed by a line feed */
	{ "+++\ntitle = \"ok\"\nx = \"\xff\"\n+++\n", EP, 3, 6, "UTF-8" },
	{ "+++\nx = \"\xc3\xa9\xc0\xaf\"\n+++\n", EP, 2, 7, "UTF-8" },
	{ "+++\nx = \"a\x01\"\n+++\n", EP, 2, 7, "control character" },
	{ "+++\ntitle = \"a\"\rx = 1\n+++\n", EP, 2, 12, NULL },
};

#undef EP

static void check_error(const struct error_case *c)
{
	struct parse_error err;
	struct post *p;

	CHECK(parse(c->text, &p, &err) == c->rc);
	if ((c->line && err.line != c->line) ||
	    (c->column && err.column != c->column))
		fprintf(stderr, "for %s: at %u:%u, want %u:%u (%s)\n", c->text,
			err.line, err.column, c->line, c->column, err.message);
	if (c->line)
		CHECK(err.line == c->line);
	if (c->column)
		CHECK(err.column == c->column);
	if (c->what)
		CHECK_CONTAINS(err.message, c->what);
	post_free(p);
}

static void test_errors(void)
{
	size_t i;

	for (i = 0; i < N_ROWS(error_cases); i++)
		check_error(&error_cases[i]);
}

/* libyaml stops where a mapping value may not be: somewhere from line 3,
 * with a message. */
static void test_bad_yaml_position(void)
{
	struct parse_error err;
	struct post *p;

	CHECK(parse("---\ntitle: t\ntags: [a, b\ndraft: true\n---\n", &p, &err) ==
	      QUIRE_EPARSE);
	CHECK(err.line >= 3);
	CHECK(err.message[0] != '\0');
	post_free(p);
}

int main(void)
{
	test_all_fields();
	test_slug_case();
	test_lenient_start();
	test_toml_all_fields();
	test_alternative_keys();
	test_defaults();
	test_booleans();
	test_unknown_keys();
	test_quoted_and_null();
	test_toml_strings();
	test_toml_tables_and_unknown_keys();
	test_lists();
	test_too_many_tags();
	test_max_tags_ok();
	test_date_parse();
	test_dates();
	test_blocks();
	test_too_big();
	test_depth();
	test_toml_depth();
	test_crlf();
	test_errors();
	test_bad_yaml_position();
	return check_done("test_frontmatter");
}
