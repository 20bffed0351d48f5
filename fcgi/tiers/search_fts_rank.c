/*
 * search_fts_rank.c - FTS5's bm25, its figures read once per index
 * (search_fts_rank.h)
 *
 * FTS5's own bm25() computes, for every query, each phrase's document
 * count by walking the phrase's whole doclist (xQueryPhrase: every post
 * that holds the word, not only the candidates ranked), and for every
 * row ranked its size in tokens by a query of the %_docsize table. The
 * embedded index never changes once built, so both are read once here
 * when it is: each term's document count (fts5vocab), each row's size.
 * The score is bm25's formula, term for term in its order, so the
 * ranking is the one bm25() gave (tests/unit/test_search_fts). A
 * phrase of several tokens, or one whose words cannot be matched to
 * its phrase, is counted as bm25() counts it.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "lib/quire.h"
#include "tiers/search_fts_rank.h"

/* bm25's constants, and the weights of the columns slug, date, title,
 * tags, body (what fts_query_sql gave bm25() as its arguments). */
#define RANK_K1 1.2
#define RANK_B 0.75
static const double rank_weight[] = { 0.0, 0.0, 10.0, 4.0, 1.0 };
#define RANK_NCOL (sizeof(rank_weight) / sizeof(rank_weight[0]))
#define RANK_MAX_TOKEN 256

struct fts_rank {
	struct rank_term *terms;   /* the index's terms, in byte order */
	size_t n_terms;
	int *row_tokens;        /* tokens of row id, at [id - 1] */
	size_t n_rows;
	const struct search_query *q;   /* the query being ranked */
};

/* A term of the index and the rows that hold it. */
struct rank_term {
	char *text;
	long long docs;
};

/* What a query's ranking keeps between rows (FTS5's auxdata). */
struct rank_query {
	int n_phrase;
	double avgdl;
	double *idf;
	double *freq;
};

/* An SQLite varint at *p (at most end); advances *p. */
static unsigned long long get_varint(const unsigned char **p,
				     const unsigned char *end)
{
	unsigned long long v = 0;
	int i;

	for (i = 0; i < 9 && *p < end; i++) {
		unsigned char c = *(*p)++;

		if (i == 8)
			return (v << 8) | c;
		v = (v << 7) | (c & 0x7f);
		if (!(c & 0x80))
			break;
	}
	return v;
}

/* Each row's size in tokens, all columns, from %_docsize. */
static int read_sizes(sqlite3 *db, struct fts_rank *r)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *p, *end;
	long long id, total;
	int s;

	if (sqlite3_prepare_v2(db, "SELECT id, sz FROM idx_docsize", -1, &st,
			       NULL) != SQLITE_OK)
		return -1;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		p = sqlite3_column_blob(st, 1);
		end = p ? p + sqlite3_column_bytes(st, 1) : NULL;
		for (total = 0; p && p < end;)
			total += (long long)get_varint(&p, end);
		if (id > 0 && (size_t)id <= r->n_rows)
			r->row_tokens[id - 1] = total > INT32_MAX ? INT32_MAX :
						(int)total;
	}
	sqlite3_finalize(st);
	return s == SQLITE_DONE ? 0 : -1;
}

static int by_text(const void *a, const void *b)
{
	return strcmp(((const struct rank_term *)a)->text,
		      ((const struct rank_term *)b)->text);
}

/* Each term's document count, from an fts5vocab table of the index. */
static int read_terms(sqlite3 *db, struct fts_rank *r)
{
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	int s = SQLITE_ERROR;
	struct rank_term *t;

	if (sqlite3_exec(db, "CREATE VIRTUAL TABLE temp.vocab USING"
			 " fts5vocab(main, idx, 'row')", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT term, doc FROM temp.vocab", -1, &st,
			       NULL) != SQLITE_OK)
		return -1;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *term = sqlite3_column_text(st, 0);

		if (r->n_terms == cap) {
			cap = cap ? cap * 2 : 1024;
			t = realloc(r->terms, cap * sizeof(*r->terms));
			if (!t)
				break;
			r->terms = t;
		}
		t = &r->terms[r->n_terms];
		t->text = strdup(term ? (const char *)term : "");
		if (!t->text)
			break;
		t->docs = sqlite3_column_int64(st, 1);
		r->n_terms++;
	}
	sqlite3_finalize(st);
	if (sqlite3_exec(db, "DROP TABLE temp.vocab", NULL, NULL, NULL) != SQLITE_OK ||
	    s != SQLITE_DONE)
		return -1;
	/* FTS5 gives them in memcmp order already; term_docs must not
	 * depend on it. */
	if (r->n_terms)
		qsort(r->terms, r->n_terms, sizeof(*r->terms), by_text);
	return 0;
}

enum quire_err fts_rank_new(sqlite3 *db, size_t n_rows, struct fts_rank **out)
{
	struct fts_rank *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (!r)
		return QUIRE_ENOMEM;
	r->n_rows = n_rows;
	r->row_tokens = calloc(n_rows ? n_rows : 1, sizeof(*r->row_tokens));
	if (!r->row_tokens || read_sizes(db, r) != 0 || read_terms(db, r) != 0) {
		fts_rank_free(r);
		return QUIRE_EIO;
	}
	*out = r;
	return QUIRE_OK;
}

void fts_rank_free(struct fts_rank *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->n_terms; i++)
		free(r->terms[i].text);
	free(r->terms);
	free(r->row_tokens);
	free(r);
}

void fts_rank_query(struct fts_rank *r, const struct search_query *q)
{
	r->q = q;
}

/* Rows holding term (len bytes): 0 when the index has no such term. */
static long long term_docs(const struct fts_rank *r, const char *term, int len)
{
	size_t lo = 0, hi = r->n_terms, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strncmp(r->terms[mid].text, term, (size_t)len);
		if (c == 0 && r->terms[mid].text[len] != '\0')
			c = 1;
		if (c == 0)
			return r->terms[mid].docs;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* The one token of a phrase's text, as the index's tokenizer makes it. */
struct one_token {
	char text[RANK_MAX_TOKEN];
	int len;
	int n;
};

static int token_cb(void *ctx, int flags, const char *tok, int len,
		    int start, int end)
{
	struct one_token *t = ctx;

	(void)start;
	(void)end;
	if (flags & FTS5_TOKEN_COLOCATED)
		return SQLITE_OK;
	if (++t->n == 1 && len < RANK_MAX_TOKEN) {
		memcpy(t->text, tok, (size_t)len);
		t->len = len;
	} else {
		t->len = -1;
	}
	return SQLITE_OK;
}

static int count_cb(const Fts5ExtensionApi *api, Fts5Context *fts, void *ctx)
{
	(void)api;
	(void)fts;
	(*(sqlite3_int64 *)ctx)++;
	return SQLITE_OK;
}

/*
 * Phrase i's item in the query: search_query_fts5 writes the positive
 * items in order, then the negated ones, one FTS5 phrase each. NULL
 * when the phrases FTS5 parsed are not those (then bm25's own count).
 */
static const struct search_item *phrase_item(const struct search_query *q,
					     int n_phrase, int i)
{
	size_t k, seen = 0;
	int pass;

	if (!q || (size_t)n_phrase != q->n)
		return NULL;
	for (pass = 0; pass < 2; pass++)
		for (k = 0; k < q->n; k++)
			if (q->items[k].negated == pass && seen++ == (size_t)i)
				return &q->items[k];
	return NULL;
}

/* Rows holding phrase i: from the terms read once for a one-token
 * phrase, else as bm25() counts them (its whole doclist). */
static int phrase_rows(const Fts5ExtensionApi *api, Fts5Context *fts,
		       const struct fts_rank *r, int n_phrase, int i,
		       sqlite3_int64 *n)
{
	const struct search_item *it = phrase_item(r->q, n_phrase, i);
	struct one_token t = { .len = -1 };

	*n = 0;
	if (it && api->xPhraseSize(fts, i) == 1 &&
	    api->xTokenize(fts, r->q->text + it->off, (int)it->len, &t,
			   token_cb) == SQLITE_OK &&
	    t.n == 1 && t.len >= 0) {
		*n = term_docs(r, t.text, t.len);
		return SQLITE_OK;
	}
	return api->xQueryPhrase(fts, i, n, count_cb);
}

static void rank_query_free(void *p)
{
	struct rank_query *d = p;

	if (d) {
		free(d->idf);
		free(d->freq);
		free(d);
	}
}

/* bm25's figures of the query: IDF of each phrase, rows' mean size. */
static struct rank_query *rank_query_new(const Fts5ExtensionApi *api,
					 Fts5Context *fts,
					 const struct fts_rank *r, int *rc)
{
	struct rank_query *d = calloc(1, sizeof(*d));
	sqlite3_int64 n_row = 0, n_token = 0, hit;
	int i;

	*rc = SQLITE_NOMEM;
	if (!d)
		return NULL;
	d->n_phrase = api->xPhraseCount(fts);
	d->idf = calloc((size_t)d->n_phrase + 1, sizeof(*d->idf));
	d->freq = calloc((size_t)d->n_phrase + 1, sizeof(*d->freq));
	if (!d->idf || !d->freq) {
		rank_query_free(d);
		return NULL;
	}
	*rc = api->xRowCount(fts, &n_row);
	if (*rc == SQLITE_OK)
		*rc = api->xColumnTotalSize(fts, -1, &n_token);
	if (*rc == SQLITE_OK)
		d->avgdl = (double)n_token / (double)n_row;
	for (i = 0; *rc == SQLITE_OK && i < d->n_phrase; i++) {
		*rc = phrase_rows(api, fts, r, d->n_phrase, i, &hit);
		if (*rc == SQLITE_OK) {
			double idf = log((n_row - hit + 0.5) / (hit + 0.5));

			d->idf[i] = idf <= 0.0 ? 1e-6 : idf;
		}
	}
	if (*rc != SQLITE_OK) {
		rank_query_free(d);
		return NULL;
	}
	return d;
}

/* rank(idx): bm25(idx, 0, 0, 10, 4, 1), the same value. */
static void rank_fn(const Fts5ExtensionApi *api, Fts5Context *fts,
		    sqlite3_context *ctx, int n_val, sqlite3_value **val)
{
	const struct fts_rank *r = api->xUserData(fts);
	struct rank_query *d = api->xGetAuxdata(fts, 0);
	sqlite3_int64 id;
	double score = 0.0, dl = 0.0;
	int rc = SQLITE_OK, n_inst = 0, i, ip, ic, io, n_tok;

	(void)n_val;
	(void)val;
	if (!d) {
		d = rank_query_new(api, fts, r, &rc);
		if (d && (rc = api->xSetAuxdata(fts, d, rank_query_free)) != SQLITE_OK)
			d = NULL;   /* xSetAuxdata freed it */
	}
	if (d) {
		memset(d->freq, 0, sizeof(*d->freq) * (size_t)d->n_phrase);
		rc = api->xInstCount(fts, &n_inst);
	}
	for (i = 0; rc == SQLITE_OK && i < n_inst; i++) {
		rc = api->xInst(fts, i, &ip, &ic, &io);
		if (rc == SQLITE_OK && ip >= 0 && ip < d->n_phrase)
			d->freq[ip] += ic >= 0 && (size_t)ic < RANK_NCOL ?
				       rank_weight[ic] : 1.0;
	}
	if (rc == SQLITE_OK) {
		id = api->xRowid(fts);
		if (id > 0 && (size_t)id <= r->n_rows) {
			dl = (double)r->row_tokens[id - 1];
		} else {
			rc = api->xColumnSize(fts, -1, &n_tok);
			dl = (double)n_tok;
		}
	}
	for (i = 0; rc == SQLITE_OK && i < d->n_phrase; i++)
		score += d->idf[i] * ((d->freq[i] * (RANK_K1 + 1.0)) /
				      (d->freq[i] + RANK_K1 *
				       (1 - RANK_B + RANK_B * dl / d->avgdl)));
	if (rc == SQLITE_OK)
		sqlite3_result_double(ctx, -1.0 * score);
	else
		sqlite3_result_error_code(ctx, rc);
}

fts5_api *fts_api_of(sqlite3 *db)
{
	fts5_api *api = NULL;
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) != SQLITE_OK)
		return NULL;
	if (sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr",
				 NULL) == SQLITE_OK)
		sqlite3_step(st);
	sqlite3_finalize(st);
	return api;
}

enum quire_err fts_rank_register(sqlite3 *db, struct fts_rank *r)
{
	fts5_api *api = fts_api_of(db);

	if (!api || api->xCreateFunction(api, "rank_bm25", r, rank_fn,
					 NULL) != SQLITE_OK)
		return QUIRE_EIO;
	return QUIRE_OK;
}
