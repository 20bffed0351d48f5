/*
 * test_search_fts_rank.c - rank_bm25(idx) (tiers/search_fts_rank.c)
 * gives, row for row, the value FTS5's own bm25() gives; snip(idx, ...)
 * (tiers/search_fts_snip.c) the text snippet() gives
 *
 * The embedded search ranks by rank_bm25 because it reads its document
 * counts and row sizes once per index; what a reader sees must not move:
 * the two are compared exactly, on an index made as search_fts.c makes
 * it, for every kind of query a reader can type (words, stems,
 * "phrases", -word, or, words of two tokens, words no post holds), and
 * with the query unknown (bm25's own counting, the fallback); the
 * snippets for every matching row, of the body and of any column, in
 * windows of several sizes, over text with sentences.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "lib/buf.h"
#include "lib/quire.h"
#include "tiers/search_fts_rank.h"
#include "tiers/search_fts_snip.h"
#include "tiers/search_query.h"
#include "check.h"

static const char *const words[] = {
	"alpha", "beta", "gamma", "delta", "running", "runs", "run", "e-mail",
	"café", "cafe", "license", "licensed", "zeta", "omega", "the", "of",
	"don't", "snake_case", "x86_64", "C++", "a-b/c", "(alpha)", "$beta",
	"tab\tgamma", "~delta~", "@zeta#",
};
#define N_WORDS (sizeof(words) / sizeof(words[0]))

static unsigned int seed = 18;

/* One of words now and then, else one of 200 plain ones: each word in
 * well under half the rows, so that its IDF is not bm25's floor. */
static const char *word(void)
{
	static char plain[16];

	seed = seed * 1103515245u + 12345u;
	if ((seed >> 16) % 8 == 0)
		return words[(seed >> 8) % N_WORDS];
	snprintf(plain, sizeof(plain), "word%u", (seed >> 12) % 200);
	return plain;
}

/* n random words into b. */
static void text(struct buf *b, int n)
{
	int i;

	buf_reset(b);
	for (i = 0; i < n; i++) {
		buf_puts(b, word());
		/* sentences, which snippet() starts its windows at */
		buf_puts(b, i % 9 == 8 ? ". " : i % 13 == 12 ? ":\n " :
			 i % 5 == 4 ? ", " : " ");
	}
}

static sqlite3 *make_index(int rows)
{
	struct buf title = BUF_INIT, tags = BUF_INIT, body = BUF_INIT;
	sqlite3_stmt *ins = NULL;
	sqlite3 *db = NULL;
	int i, ok = 1;

	if (sqlite3_open(":memory:", &db) != SQLITE_OK ||
	    sqlite3_exec(db, "CREATE VIRTUAL TABLE idx USING fts5(slug UNINDEXED,"
			 " date UNINDEXED, title, tags, body,"
			 " tokenize = 'porter unicode61 remove_diacritics 2')",
			 NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO idx (rowid, slug, date, title,"
			       " tags, body) VALUES (?1, 's', 0, ?2, ?3, ?4)",
			       -1, &ins, NULL) != SQLITE_OK)
		return NULL;
	for (i = 1; ok && i <= rows; i++) {
		text(&title, 2 + i % 5);
		text(&tags, i % 3);
		text(&body, 5 + (i * 7) % 60);
		if (i % 5 == 0)   /* the phrases asked for */
			buf_puts(&body, "alpha beta e-mail license, run the ");
		sqlite3_reset(ins);
		ok = sqlite3_bind_int(ins, 1, i) == SQLITE_OK &&
		     sqlite3_bind_text(ins, 2, title.data, (int)title.len, SQLITE_STATIC) == SQLITE_OK &&
		     sqlite3_bind_text(ins, 3, tags.data ? tags.data : "", (int)tags.len, SQLITE_STATIC) == SQLITE_OK &&
		     sqlite3_bind_text(ins, 4, body.data, (int)body.len, SQLITE_STATIC) == SQLITE_OK &&
		     sqlite3_step(ins) == SQLITE_DONE;
	}
	sqlite3_finalize(ins);
	buf_release(&title);
	buf_release(&tags);
	buf_release(&body);
	if (!ok || sqlite3_exec(db, "INSERT INTO idx (idx) VALUES ('optimize')",
				NULL, NULL, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

/* Rows where rank_bm25 and bm25 differ for the reader's query s (-1 on
 * failure); *rows gets the rows matched. */
static int differ(sqlite3 *db, struct fts_rank *r, const char *s,
		  int known, int *rows)
{
	struct search_query q;
	struct buf m = BUF_INIT;
	sqlite3_stmt *st = NULL;
	int n = 0, bad = 0, rc;

	*rows = 0;
	if (search_query_parse(s, strlen(s), &q) != SEARCH_OK ||
	    search_query_fts5(&q, &m) != QUIRE_OK ||
	    sqlite3_prepare_v2(db, "SELECT bm25(idx, 0.0, 0.0, 10.0, 4.0, 1.0),"
			       " rank_bm25(idx) FROM idx WHERE idx MATCH ?1",
			       -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(st, 1, m.data, (int)m.len, SQLITE_STATIC) != SQLITE_OK) {
		buf_release(&m);
		sqlite3_finalize(st);
		return -1;
	}
	fts_rank_query(r, known ? &q : NULL);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		n++;
		if (sqlite3_column_double(st, 0) != sqlite3_column_double(st, 1)) {
			fprintf(stderr, "%s: row %d: bm25 %.17g rank_bm25 %.17g\n",
				s, n, sqlite3_column_double(st, 0),
				sqlite3_column_double(st, 1));
			bad++;
		}
	}
	fts_rank_query(r, NULL);
	sqlite3_finalize(st);
	buf_release(&m);
	*rows = n;
	return rc == SQLITE_DONE ? bad : -1;
}

/* Rows where snip() and snippet() differ for the reader's query s, the
 * column col and windows of n tokens (-1 on failure). */
static int snips_differ(sqlite3 *db, const char *s, int col, int n)
{
	struct search_query q;
	struct buf m = BUF_INIT;
	sqlite3_stmt *st = NULL;
	const char *a, *b;
	char sql[256];
	int bad = 0, rc;

	snprintf(sql, sizeof(sql), "SELECT snippet(idx, %d, '[', ']', '...', %d),"
		 " snip(idx, %d, '[', ']', '...', %d) FROM idx WHERE idx MATCH ?1",
		 col, n, col, n);
	if (search_query_parse(s, strlen(s), &q) != SEARCH_OK ||
	    search_query_fts5(&q, &m) != QUIRE_OK ||
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(st, 1, m.data, (int)m.len, SQLITE_STATIC) != SQLITE_OK) {
		buf_release(&m);
		sqlite3_finalize(st);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		a = (const char *)sqlite3_column_text(st, 0);
		b = (const char *)sqlite3_column_text(st, 1);
		if (strcmp(a ? a : "", b ? b : "") != 0) {
			if (bad++ < 3)
				fprintf(stderr, "%s (col %d, %d tokens):\n"
					"  snippet %s\n  snip    %s\n", s, col, n,
					a ? a : "(null)", b ? b : "(null)");
		}
	}
	sqlite3_finalize(st);
	buf_release(&m);
	return rc == SQLITE_DONE ? bad : -1;
}

int main(void)
{
	static const char *const queries[] = {
		"alpha", "Alpha", "runs", "running", "licensed", "café", "cafe",
		"e-mail", "alpha beta", "\"alpha beta\"", "\"run the\"",
		"alpha -beta", "alpha -\"beta gamma\"", "alpha or zeta",
		"alpha or nosuchword", "nosuchword or omega", "of the",
		"alpha beta or gamma -delta", "\"e-mail\" license",
		"-beta alpha", "-\"alpha beta\" gamma or delta", "word7 word8",
		"\"alpha beta\" or word3", "snake_case", "x86_64", "don't",
	};
	struct fts_rank *r = NULL;
	sqlite3 *db = make_index(300);
	size_t i;
	int rows, known;

	CHECK(db != NULL);
	if (!db)
		return check_done("test_search_fts_rank");
	CHECK(fts_rank_new(db, 300, &r) == QUIRE_OK);
	CHECK(r && fts_rank_register(db, r) == QUIRE_OK);
	CHECK(fts_snip_register(db) == QUIRE_OK);
	for (i = 0; r && i < sizeof(queries) / sizeof(queries[0]); i++)
		for (known = 1; known >= 0; known--) {
			CHECK(differ(db, r, queries[i], known, &rows) == 0);
			CHECK(rows > 0);
			if (rows == 0)
				fprintf(stderr, "no row matches %s\n", queries[i]);
		}
	for (i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
		CHECK(snips_differ(db, queries[i], 4, 24) == 0);
		CHECK(snips_differ(db, queries[i], -1, 24) == 0);
		CHECK(snips_differ(db, queries[i], 2, 3) == 0);
		CHECK(snips_differ(db, queries[i], 4, 1) == 0);
		CHECK(snips_differ(db, queries[i], 4, 200) == 0);
	}
	sqlite3_close(db);
	fts_rank_free(r);
	return check_done("test_search_fts_rank");
}
