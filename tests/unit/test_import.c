/*
 * test_import.c - the importers' helpers: configs read into flat keys,
 * permalink patterns expanded, slugs and dates made ones quire takes
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "import/import.h"
#include "import/import_config.h"
#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/log.h"

static void test_yaml(void)
{
	const char *y = "title: Old\nauthor:\n  name: Jane\n  email: j@e.org\n"
			"exclude: [Gemfile, vendor]\nurl:\n"
			"defaults:\n  - scope: {path: ''}\n    values: {layout: post}\n"
			"permalink: pretty\n";
	struct import_map m = { NULL, 0 };
	struct parse_error err;

	CHECK(import_map_yaml(y, strlen(y), 1, &m, &err) == QUIRE_OK);
	CHECK_STR(import_map_get(&m, "title"), "Old");
	CHECK_STR(import_map_get(&m, "author.name"), "Jane");
	CHECK_STR(import_map_get(&m, "Author.Email"), "j@e.org");
	CHECK(import_map_find(&m, "exclude") && import_map_find(&m, "exclude")->n == 2);
	CHECK(import_map_find(&m, "url") && import_map_get(&m, "url") == NULL);
	/* maps inside lists are skipped, and what follows is read */
	CHECK_STR(import_map_get(&m, "permalink"), "pretty");
	import_map_release(&m);

	/* the billion laughs: refused, with the place */
	y = "a: &x [1, 2]\nb: *x\n";
	memset(&err, 0, sizeof(err));
	CHECK(import_map_yaml(y, strlen(y), 5, &m, &err) == QUIRE_EPARSE);
	CHECK(err.line == 6);
	import_map_release(&m);

	y = "a:\n  b:\n    c:\n      d:\n        e:\n          f:\n            g:\n"
	    "              h:\n                i:\n                  j:\n"
	    "                    k:\n                      l:\n"
	    "                        m:\n                          n:\n"
	    "                            o:\n                              p:\n"
	    "                                q:\n                                  r: 1\n";
	CHECK(import_map_yaml(y, strlen(y), 1, &m, &err) == QUIRE_ETOOBIG);
	import_map_release(&m);

	y = "- a\n- b\n";
	CHECK(import_map_yaml(y, strlen(y), 1, &m, &err) == QUIRE_EPARSE);
	import_map_release(&m);
	y = "a: [b\n";
	CHECK(import_map_yaml(y, strlen(y), 1, &m, &err) == QUIRE_EPARSE);
	import_map_release(&m);
	CHECK(import_map_yaml("", 0, 1, &m, &err) == QUIRE_OK && m.n == 0);
}

static void test_toml(void)
{
	const char *t = "baseURL = \"https://e.org/\"\ntitle = \"Hugo\"\n"
			"[params]\n  description = \"D\"\n"
			"[author]\n  name = \"Ann\"\n"
			"[permalinks]\n  posts = \"/:year/:title/\"\n"
			"[[menu.main]]\n  name = \"About\"\n";
	struct import_map m = { NULL, 0 };
	struct parse_error err;

	CHECK(import_map_toml(t, strlen(t), 1, &m, &err) == QUIRE_OK);
	CHECK_STR(import_map_get(&m, "baseurl"), "https://e.org/");
	CHECK_STR(import_map_get(&m, "title"), "Hugo");
	CHECK_STR(import_map_get(&m, "params.description"), "D");
	/* a table named like a field is a table in a config */
	CHECK_STR(import_map_get(&m, "author.name"), "Ann");
	CHECK_STR(import_map_get(&m, "permalinks.posts"), "/:year/:title/");
	import_map_release(&m);

	t = "title = \"T\"\ndate = 2020-01-15T10:00:00+02:00\ntags = [\"a\", \"b\"]\n";
	CHECK(import_map_toml(t, strlen(t), 1, &m, &err) == QUIRE_OK);
	CHECK_STR(import_map_get(&m, "date"), "2020-01-15T08:00:00Z");
	CHECK(import_map_find(&m, "tags") && import_map_find(&m, "tags")->n == 2);
	import_map_release(&m);

	t = "title = \n";
	memset(&err, 0, sizeof(err));
	CHECK(import_map_toml(t, strlen(t), 3, &m, &err) == QUIRE_EPARSE);
	CHECK(err.line == 3);
	import_map_release(&m);
}

static const char *vars(void *arg, const char *name, size_t n)
{
	(void)arg;
	if (n == 4 && memcmp(name, "year", 4) == 0)
		return "2016";
	if (n == 5 && memcmp(name, "title", 5) == 0)
		return "Rust-1.12.1";
	if (n == 10 && memcmp(name, "categories", 10) == 0)
		return "";
	return NULL;
}

static void test_expand(void)
{
	struct buf b = BUF_INIT;
	const char *unknown = NULL;

	CHECK(import_expand("/:categories/:year/:title.html", vars, NULL, &b, &unknown) == QUIRE_OK);
	CHECK_STR(b.data, "/2016/Rust-1.12.1.html");
	buf_reset(&b);
	CHECK(import_expand("/:year/:y_day/:title", vars, NULL, &b, &unknown) == QUIRE_ENOTFOUND);
	CHECK(unknown && strncmp(unknown, ":y_day", 6) == 0);
	buf_reset(&b);
	/* a colon not before a name is text */
	CHECK(import_expand("/a:/:1/", vars, NULL, &b, &unknown) == QUIRE_OK);
	CHECK_STR(b.data, "/a:/:1/");
	buf_release(&b);
}

static void test_slug(void)
{
	char s[QUIRE_MAX_SLUG + 64];

	strcpy(s, "Rust-1.12.1");
	CHECK(import_slug_fix(s) == 0);
	CHECK_STR(s, "Rust-1.12.1");
	strcpy(s, "C++ tips & tricks!");
	CHECK(import_slug_fix(s) == 1);
	CHECK_STR(s, "C-tips-tricks");
	strcpy(s, ".hidden");
	CHECK(import_slug_fix(s) == 1);
	CHECK_STR(s, "hidden");
	memset(s, 'a', QUIRE_MAX_SLUG + 10);
	s[QUIRE_MAX_SLUG + 10] = '\0';
	CHECK(import_slug_fix(s) == 1);
	CHECK(strlen(s) == QUIRE_MAX_SLUG);
}

static void test_date(void)
{
	char d[64];

	CHECK(import_date_fix("2016-10-20 10:00:00 +0200", d, sizeof(d)));
	CHECK_STR(d, "2016-10-20 10:00:00+02:00");
	CHECK(import_date_fix("2016-10-20", d, sizeof(d)));
	CHECK_STR(d, "2016-10-20");
	CHECK(import_date_fix("2016-10-20T10:00:00Z", d, sizeof(d)));
	CHECK(!import_date_fix("last tuesday", d, sizeof(d)));
	CHECK(!import_date_fix("2016-02-30", d, sizeof(d)));
}

/* QUIRE_IMPORT_MAX_KEYS keys are read, one more is refused; a TOML of
 * QUIRE_MAX_FRONTMATTER bytes is read, one byte more is refused. */
static void test_bounds(void)
{
	struct import_map m = { NULL, 0 };
	struct parse_error err;
	struct buf b = BUF_INIT;
	int i;

	for (i = 0; i < QUIRE_IMPORT_MAX_KEYS; i++)
		buf_printf(&b, "k%d: v\n", i);
	CHECK(import_map_yaml(b.data, b.len, 1, &m, &err) == QUIRE_OK);
	CHECK(m.n == QUIRE_IMPORT_MAX_KEYS);
	import_map_release(&m);
	buf_puts(&b, "one: more\n");
	CHECK(import_map_yaml(b.data, b.len, 1, &m, &err) == QUIRE_ETOOBIG);
	CHECK(err.line == QUIRE_IMPORT_MAX_KEYS + 1);
	import_map_release(&m);

	buf_reset(&b);
	buf_puts(&b, "title = \"");
	while (b.len < QUIRE_MAX_FRONTMATTER - 2)
		buf_putc(&b, 'x');
	buf_puts(&b, "\"\n");
	CHECK(b.len == QUIRE_MAX_FRONTMATTER);
	CHECK(import_map_toml(b.data, b.len, 1, &m, &err) == QUIRE_OK);
	import_map_release(&m);
	buf_puts(&b, "\n");
	CHECK(import_map_toml(b.data, b.len, 1, &m, &err) == QUIRE_ETOOBIG);
	import_map_release(&m);
	buf_release(&b);
}

int main(void)
{
	log_set_report("test: ", fopen("/dev/null", "w"));
	test_yaml();
	test_toml();
	test_expand();
	test_slug();
	test_date();
	test_bounds();
	return check_done("test_import");
}
