/*
 * search_query.h - a reader's search query, parsed and bounded, and the
 * results both search backends give (search.h is the interface)
 */
#ifndef QUIRE_SEARCH_QUERY_H
#define QUIRE_SEARCH_QUERY_H

#include <stddef.h>

#include "lib/buf.h"
#include "lib/quire.h"

#define SEARCH_MAX_QUERY 256   /* bytes of a query, decoded */
#define SEARCH_MAX_TERMS 16    /* words of a query, phrases' included */
#define SEARCH_MAX_PAGE 100    /* results pages a query may be paged to */
/* Posts a query ranks at most: the newest that match. Ranking is work
 * for every candidate (ts_rank_cd, bm25 read each one's positions), so
 * a word most posts hold would cost a worker 50-200 ms on 10,000 posts
 * (tests/bench/RESULTS.md); bounded, a search costs about what a few
 * pages do, and a reader sees the best of the newest thousand. */
#define SEARCH_MAX_CANDIDATES 200

/* The marks around a match in a snippet, which the page turns into
 * <mark> and </mark> after escaping the text between (html.c never
 * writes these controls: a body holds none). */
#define SEARCH_MARK_START '\x01'
#define SEARCH_MARK_STOP '\x02'

/* One word or phrase of a query. */
struct search_item {
	size_t off, len;        /* its text in search_query.text */
	int phrase;             /* "quoted words" */
	int negated;            /* -word, -"phrase": must not match */
	int or_before;          /* "or" between it and the item before */
};

struct search_query {
	/* What was typed, decoded, controls made spaces, runs of spaces
	 * one: the cache key, and what PostgreSQL's websearch_to_tsquery
	 * reads. */
	char text[SEARCH_MAX_QUERY + 1];
	size_t len;
	struct search_item items[SEARCH_MAX_TERMS];
	size_t n;
	size_t n_positive;      /* items not negated */
};

/* What search_query_parse found. */
enum search_verdict {
	SEARCH_OK = 0,
	SEARCH_EMPTY,           /* nothing to look for (or only "-word") */
	SEARCH_TOO_LONG,        /* over SEARCH_MAX_QUERY bytes */
	SEARCH_TOO_MANY,        /* over SEARCH_MAX_TERMS words */
};

/*
 * Parses the query q (len bytes, already decoded from the URL): words
 * split on spaces, "quoted phrases", a leading '-' negating a word or a
 * phrase, "or" (any case) between two items. A dangling "or" is dropped,
 * as websearch_to_tsquery drops it. Returns the verdict; out is filled
 * only as far as it is SEARCH_OK.
 */
enum search_verdict search_query_parse(const char *q, size_t len,
				       struct search_query *out);

/*
 * Writes q (SEARCH_OK, n_positive > 0) into out as an FTS5 query: each
 * word and phrase a double-quoted string (a '"' inside doubled), items
 * joined by implicit AND or by OR where the reader wrote "or", the
 * negated ones after "NOT". Nothing the reader typed is read as FTS5
 * syntax. QUIRE_OK, QUIRE_EINVAL (nothing positive) or QUIRE_ENOMEM.
 */
enum quire_err search_query_fts5(const struct search_query *q, struct buf *out);

/*
 * Decodes a form value (application/x-www-form-urlencoded: '+' a space,
 * %XX a byte) of vlen bytes into out (outsz bytes, NUL-terminated).
 * Returns its length, or -1 when it does not fit or an escape is
 * malformed.
 */
long search_form_decode(const char *v, size_t vlen, char *out, size_t outsz);

/*
 * The text of HTML quire rendered (html.c escaped it: no '>' inside a
 * tag, no '<' in text), for the index: a block's tags become spaces
 * (an inline element's, <em>, <code>, <span>..., nothing), the entities
 * html.c and cmark-gfm write are decoded, controls become spaces (so no
 * SEARCH_MARK_* survives). Appends to out.
 */
void search_html_text(struct buf *out, const char *html);

/* One post found. */
struct search_hit {
	char *slug;
	char *title;            /* plain text, as the backend holds it */
	char *snippet;          /* plain text with SEARCH_MARK_* around the
				 * matches: escape it, then mark it */
	long long date;         /* unix seconds */
};

struct search_results {
	struct search_hit *hits;
	size_t n;
	size_t total;           /* posts matching, all pages; at most
				 * SEARCH_MAX_CANDIDATES */
	int more;               /* total is the bound: more posts match, and
				 * only the newest SEARCH_MAX_CANDIDATES of
				 * them were ranked */
};
void search_results_free(struct search_results *r);

#endif
