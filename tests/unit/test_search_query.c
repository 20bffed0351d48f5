/*
 * test_search_query.c - a reader's search query (tiers/search_query.c):
 * parsed and bounded, written again as an FTS5 query that quotes every
 * word, form values decoded, rendered HTML turned into text
 *
 * The FTS5 queries are also run by SQLite itself (the embedded backend,
 * search_fts.c) over a small content folder: a hostile query must be
 * text there, never syntax, and never an error.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "content/content.h"
#include "lib/buf.h"
#include "lib/quire.h"
#include "tiers/search.h"
#include "check.h"
#include "tmpsite.h"

static enum search_verdict parse(const char *s, struct search_query *q)
{
	return search_query_parse(s, strlen(s), q);
}

/* The FTS5 query of s, or "" when it does not parse. */
static const char *fts(const char *s)
{
	static char out[2048];
	struct search_query q;
	struct buf b = BUF_INIT;

	out[0] = '\0';
	if (parse(s, &q) != SEARCH_OK || search_query_fts5(&q, &b) != QUIRE_OK) {
		buf_release(&b);
		return out;
	}
	snprintf(out, sizeof(out), "%.*s", (int)b.len, b.data);
	buf_release(&b);
	return out;
}

static void test_translation(void)
{
	CHECK_STR(fts("rust"), "(\"rust\")");
	CHECK_STR(fts("  rust   cargo "), "(\"rust\" AND \"cargo\")");
	CHECK_STR(fts("\"memory safety\" rust"),
		  "(\"memory safety\" AND \"rust\")");
	CHECK_STR(fts("rust -java"), "(\"rust\") NOT \"java\"");
	CHECK_STR(fts("rust -\"garbage collector\""),
		  "(\"rust\") NOT \"garbage collector\"");
	CHECK_STR(fts("rust or go"), "(\"rust\" OR \"go\")");
	CHECK_STR(fts("rust OR go cargo"), "(\"rust\" OR \"go\" AND \"cargo\")");
	/* "or" dangling, doubled, or before a negation is dropped. */
	CHECK_STR(fts("or rust"), "(\"rust\")");
	CHECK_STR(fts("rust or"), "(\"rust\")");
	CHECK_STR(fts("rust or or go"), "(\"rust\" OR \"go\")");
	/* FTS5's syntax is text: operators, column filters, prefixes,
	 * NEAR, parentheses, a lone quote. */
	CHECK_STR(fts("NOT AND"), "(\"NOT\" AND \"AND\")");
	CHECK_STR(fts("title:x"), "(\"title:x\")");
	CHECK_STR(fts("foo* ^bar"), "(\"foo*\" AND \"^bar\")");
	CHECK_STR(fts("NEAR(a b)"), "(\"NEAR(a\" AND \"b)\")");
	CHECK_STR(fts("\"unclosed phrase"), "(\"unclosed phrase\")");
	CHECK_STR(fts("a\"b"), "(\"a\" AND \"b\")");
	/* Controls are spaces. */
	CHECK_STR(fts("a\tb\x01" "c"), "(\"a\" AND \"b\" AND \"c\")");
	/* A hyphen inside a word is the word's. */
	CHECK_STR(fts("e-mail"), "(\"e-mail\")");
}

static void test_bounds(void)
{
	struct search_query q;
	char big[SEARCH_MAX_QUERY + 2];
	char many[256] = "";
	int i;

	CHECK(parse("", &q) == SEARCH_EMPTY);
	CHECK(parse("   ", &q) == SEARCH_EMPTY);
	CHECK(parse("\"\"", &q) == SEARCH_EMPTY);
	CHECK(parse("-", &q) == SEARCH_EMPTY);
	CHECK(parse("or", &q) == SEARCH_EMPTY);
	CHECK(parse("-rust", &q) == SEARCH_EMPTY); /* nothing to find */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK(parse(big, &q) == SEARCH_TOO_LONG);
	big[SEARCH_MAX_QUERY] = '\0';
	CHECK(parse(big, &q) == SEARCH_OK);
	for (i = 0; i < SEARCH_MAX_TERMS; i++)
		strcat(many, "w ");
	CHECK(parse(many, &q) == SEARCH_OK && q.n == SEARCH_MAX_TERMS);
	strcat(many, "w");
	CHECK(parse(many, &q) == SEARCH_TOO_MANY);
	/* A phrase's words count. */
	CHECK(parse("\"a b c d e f g h i j k l m n o p q\"", &q) ==
	      SEARCH_TOO_MANY);
	CHECK(parse("rust  cargo", &q) == SEARCH_OK);
	CHECK_STR(q.text, "rust cargo");
}

static void test_form_decode(void)
{
	char out[16];

	CHECK(search_form_decode("a+b%20c", 7, out, sizeof(out)) == 5);
	CHECK_STR(out, "a b c");
	CHECK(search_form_decode("%3Cscript%3E", 12, out, sizeof(out)) == 8);
	CHECK_STR(out, "<script>");
	CHECK(search_form_decode("%2", 2, out, sizeof(out)) == -1);
	CHECK(search_form_decode("%zz", 3, out, sizeof(out)) == -1);
	CHECK(search_form_decode("0123456789abcdefg", 17, out, sizeof(out)) == -1);
}

static void test_html_text(void)
{
	struct buf b = BUF_INIT;

	search_html_text(&b, "<p>Fish &amp; chips &lt;script&gt; "
			 "<a href=\"/x?a=1&amp;b=2\">link</a>&#233;t&#xE9;"
			 "&bogus; \x01</p>");
	buf_putc(&b, '\0');
	CHECK_STR(b.data, " Fish & chips <script> link\xc3\xa9t\xc3\xa9"
		  "&bogus;   ");
	/* an inline element is no word break (highlighted code's spans,
	 * emphasis before a colon); a block is */
	buf_reset(&b);
	search_html_text(&b, "<p><strong>pinned</strong>: it <CODE><span class=\"hl-function\">f</span>()</CODE>"
			 "-&gt;x</p><p>next<br>line</p><li>item</li>");
	buf_putc(&b, '\0');
	CHECK_STR(b.data, " pinned: it f()->x  next line  item ");
	buf_release(&b);
}

/* The translated queries, run by the embedded backend over a folder:
 * hostile text is found as text or not at all, never an error. */
static void test_fts5_runs(void)
{
	static const char *const hostile[] = {
		"NOT", "AND OR", "title:fish", "fish*", "NEAR(fish chips)",
		"\"", "-\"\"", "^fish", "fish + chips", "\"fish\"\"chips\"",
		"(", ")", "{title}: fish", "fish -", "--fish chips",
	};
	struct content *c = NULL;
	struct search *s = NULL;
	struct search_query q;
	struct search_results r;
	enum quire_err rc;
	char dir[256];
	size_t i;
	int tries;

	tmpsite_make(dir, sizeof(dir), "search");
	tmpsite_write(dir, "posts/fish.md", "---\ntitle: Fish\n"
		      "date: 2020-01-01\ntags: [food]\n---\nFish and chips.\n");
	tmpsite_write(dir, "posts/chips.md", "---\ntitle: Chips alone\n"
		      "date: 2020-01-02\n---\nOnly chips, NOT fish.\n");
	tmpsite_write(dir, "posts/draft.md", "---\ntitle: Fish draft\n"
		      "date: 2020-01-02\ndraft: true\n---\nfish\n");
	CHECK(content_load(dir, NULL, NULL, &c) == QUIRE_OK);
	CHECK(c && search_new_embedded(c, "en", &s) == QUIRE_OK);
	if (!s) {
		content_free(c);
		return;
	}
	memset(&r, 0, sizeof(r));
	for (tries = 0; tries < 500; tries++) {
		CHECK(parse("fish", &q) == SEARCH_OK);
		rc = search_run(s, &q, 0, 10, time(NULL), &r);
		if (rc != QUIRE_ETIMEOUT)
			break;
		usleep(10000);
	}
	CHECK(rc == QUIRE_OK && r.n == 2 && r.total == 2);
	/* Title above body. */
	CHECK(r.n == 2 && strcmp(r.hits[0].slug, "fish") == 0);
	search_results_free(&r);
	CHECK(parse("fish -chips", &q) == SEARCH_OK);
	CHECK(search_run(s, &q, 0, 10, time(NULL), &r) == QUIRE_OK &&
	      r.n == 0);
	search_results_free(&r);
	CHECK(parse("\"only chips\"", &q) == SEARCH_OK);
	CHECK(search_run(s, &q, 0, 10, time(NULL), &r) == QUIRE_OK &&
	      r.n == 1 && strcmp(r.hits[0].slug, "chips") == 0);
	CHECK(r.n == 1 && strstr(r.hits[0].snippet, "\x01" "Only chips\x02"));
	search_results_free(&r);
	CHECK(parse("food", &q) == SEARCH_OK);
	CHECK(search_run(s, &q, 0, 10, time(NULL), &r) == QUIRE_OK &&
	      r.n == 1);
	search_results_free(&r);
	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		if (parse(hostile[i], &q) != SEARCH_OK)
			continue;
		rc = search_run(s, &q, 0, 10, time(NULL), &r);
		if (rc != QUIRE_OK)
			fprintf(stderr, "query %s failed\n", hostile[i]);
		CHECK(rc == QUIRE_OK);
		search_results_free(&r);
	}
	search_free(s);
	content_free(c);
	tmpsite_remove(dir);
}

/* A word every post holds: the newest SEARCH_MAX_CANDIDATES are ranked
 * and counted, the total says there are more, the oldest is left out. */
static void test_candidates(void)
{
	struct content *c = NULL;
	struct search *s = NULL;
	struct search_query q;
	struct search_results r;
	char dir[256], name[64], text[128];
	enum quire_err rc = QUIRE_ETIMEOUT;
	int i, tries, oldest = 0, newest = 0;
	size_t k;

	tmpsite_make(dir, sizeof(dir), "search-cap");
	for (i = 0; i < SEARCH_MAX_CANDIDATES + 5; i++) {
		snprintf(name, sizeof(name), "posts/p%04d.md", i);
		snprintf(text, sizeof(text), "---\ntitle: P%d\ndate: 2000-01-01 %02d:%02d\n"
			 "---\ncommon word\n", i, i / 60, i % 60);
		tmpsite_write(dir, name, text);
	}
	CHECK(content_load(dir, NULL, NULL, &c) == QUIRE_OK);
	CHECK(c && search_new_embedded(c, "en", &s) == QUIRE_OK);
	CHECK(parse("common", &q) == SEARCH_OK);
	memset(&r, 0, sizeof(r));
	for (tries = 0; s && tries < 1000 && rc == QUIRE_ETIMEOUT; tries++) {
		rc = search_run(s, &q, 0, SEARCH_MAX_CANDIDATES, time(NULL), &r);
		if (rc == QUIRE_ETIMEOUT)
			usleep(10000);
	}
	CHECK(rc == QUIRE_OK);
	CHECK(r.total == SEARCH_MAX_CANDIDATES && r.more);
	CHECK(r.n == SEARCH_MAX_CANDIDATES);
	for (k = 0; k < r.n; k++) {
		oldest |= strcmp(r.hits[k].slug, "p0000") == 0;
		snprintf(name, sizeof(name), "p%04d", SEARCH_MAX_CANDIDATES + 4);
		newest |= strcmp(r.hits[k].slug, name) == 0;
	}
	CHECK(newest && !oldest);
	search_results_free(&r);
	search_free(s);
	content_free(c);
	tmpsite_remove(dir);
}

int main(void)
{
	test_translation();
	test_bounds();
	test_form_decode();
	test_html_text();
	test_fts5_runs();
	test_candidates();
	return check_done("test_search_query");
}
