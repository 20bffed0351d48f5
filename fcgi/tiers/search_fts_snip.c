/*
 * search_fts_snip.c - FTS5's snippet(), its column tokenized once
 * (search_fts_snip.h)
 *
 * FTS5's own snippet() tokenizes the column twice: once to find where
 * its sentences start (to choose the window), once to copy the window
 * out with the matches marked. With Porter stemming each pass stems
 * every word of the body: 300,000 instructions a hit on the bench's
 * posts, most of what a search then cost (tests/bench/RESULTS.md).
 * snip() keeps each token's offsets from one pass and makes the window
 * and the marks from them; for ASCII text that pass is its own, a scan
 * for the runs of letters and digits unicode61 makes tokens of (no
 * stemming: only where the tokens are matters). The algorithm is
 * snippet()'s, step for step (window scores, sentence starts, coalesced
 * phrase instances, the ellipses), so the text is the same byte for
 * byte (tests/unit/test_search_fts_rank compares the two).
 */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "lib/buf.h"
#include "lib/quire.h"
#include "tiers/search_fts_rank.h"
#include "tiers/search_fts_snip.h"

/* A column's tokens: their byte offsets, and which start a sentence. */
struct snip_doc {
	const char *text;
	int col;                /* the column they are of, -1: none yet */
	int (*tok)[2];          /* start and end offset of each token */
	int n_tok, cap_tok;
	int *first;             /* tokens that start a sentence */
	int n_first, cap_first;
};

static int grow(void **v, int *cap, size_t size)
{
	int n = *cap ? *cap * 2 : 256;
	void *p = realloc(*v, (size_t)n * size);

	if (!p)
		return -1;
	*v = p;
	*cap = n;
	return 0;
}

/* snippet()'s rule: a token starts a sentence when it is the first, or
 * when what precedes it, past at least one space, is '.' or ':'. */
static int starts_sentence(const char *text, int start)
{
	int i;
	char c = 0;

	for (i = start - 1; i >= 0; i--) {
		c = text[i];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
	}
	return i != start - 1 && (c == '.' || c == ':');
}

static int doc_token(void *ctx, int flags, const char *tok, int len,
		     int start, int end)
{
	struct snip_doc *d = ctx;
	int first;

	(void)tok;
	(void)len;
	if (flags & FTS5_TOKEN_COLOCATED)
		return SQLITE_OK;
	first = d->n_tok == 0 || starts_sentence(d->text, start);
	if ((d->n_tok == d->cap_tok &&
	     grow((void **)&d->tok, &d->cap_tok, sizeof(*d->tok)) != 0) ||
	    (first && d->n_first == d->cap_first &&
	     grow((void **)&d->first, &d->cap_first, sizeof(*d->first)) != 0))
		return SQLITE_NOMEM;
	if (first)
		d->first[d->n_first++] = d->n_tok;
	d->tok[d->n_tok][0] = start;
	d->tok[d->n_tok][1] = end;
	d->n_tok++;
	return SQLITE_OK;
}

static int is_ascii_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/*
 * The tokens of ASCII text, without the tokenizer: unicode61 (the
 * index's, under Porter's stemmer or not, search_fts.c) makes a token
 * of each run of ASCII letters and digits and of nothing else there
 * (its categories L*, N*, Co), and the stemmer changes a token's text,
 * never where it is. Only offsets are needed here, so this pass does
 * what the tokenizer's would at a fraction of the cost (it stems every
 * word). 1 when text is not all ASCII (the tokenizer must read it), 0
 * done, or SQLITE_NOMEM as -1.
 */
static int ascii_tokens(const char *text, int len, struct snip_doc *d)
{
	int i = 0, start;

	while (i < len) {
		if ((unsigned char)text[i] >= 0x80)
			return 1;
		if (!is_ascii_alnum((unsigned char)text[i])) {
			i++;
			continue;
		}
		start = i;
		while (i < len && is_ascii_alnum((unsigned char)text[i]))
			i++;
		if (i < len && (unsigned char)text[i] >= 0x80)
			return 1;   /* a word that goes on past ASCII */
		if (doc_token(d, 0, text + start, i - start, start, i) != SQLITE_OK)
			return -1;
	}
	return 0;
}

/* Tokenizes column col into d (once: kept while it is that column). */
static int doc_read(const Fts5ExtensionApi *api, Fts5Context *fts, int col,
		    struct snip_doc *d)
{
	int len = 0, rc, fast = 1;

	if (d->col == col)
		return SQLITE_OK;
	d->n_tok = d->n_first = 0;
	d->col = -1;
	rc = api->xColumnText(fts, col, &d->text, &len);
	if (rc == SQLITE_OK && d->text) {
		fast = ascii_tokens(d->text, len, d);
		if (fast < 0)
			rc = SQLITE_NOMEM;
	}
	if (rc == SQLITE_OK && d->text && fast == 1) {
		d->n_tok = d->n_first = 0;
		rc = api->xTokenize(fts, d->text, len, d, doc_token);
	}
	if (rc == SQLITE_OK)
		d->col = col;
	return rc;
}

/* The matches of one column, overlapping ones as one (snippet()'s
 * "coalesced phrase instances"). */
struct cinst {
	const Fts5ExtensionApi *api;
	Fts5Context *fts;
	int col, i, n;
	int start, end;         /* the current one's first and last token */
};

static int cinst_next(struct cinst *c)
{
	int rc = SQLITE_OK, ip, ic, io, end;

	c->start = c->end = -1;
	while (rc == SQLITE_OK && c->i < c->n) {
		rc = c->api->xInst(c->fts, c->i, &ip, &ic, &io);
		if (rc != SQLITE_OK)
			break;
		if (ic == c->col) {
			end = io - 1 + c->api->xPhraseSize(c->fts, ip);
			if (c->start < 0) {
				c->start = io;
				c->end = end;
			} else if (io <= c->end) {
				if (end > c->end)
					c->end = end;
			} else {
				break;
			}
		}
		c->i++;
	}
	return rc;
}

static int cinst_init(const Fts5ExtensionApi *api, Fts5Context *fts, int col,
		      struct cinst *c)
{
	int rc;

	memset(c, 0, sizeof(*c));
	c->api = api;
	c->fts = fts;
	c->col = col;
	rc = api->xInstCount(fts, &c->n);
	return rc == SQLITE_OK ? cinst_next(c) : rc;
}

/* The score of the window of n_token tokens from pos in column col, and
 * (adj) where a window around its matches would start. */
static int window_score(const Fts5ExtensionApi *api, Fts5Context *fts,
			int n_docsize, unsigned char *seen, int col, int pos,
			int n_token, int *score, int *adj)
{
	int rc, i, ip = 0, ic = 0, off = 0, first = -1, n_inst, last = 0;
	sqlite3_int64 end = (sqlite3_int64)pos + n_token, a;

	*score = 0;
	rc = api->xInstCount(fts, &n_inst);
	for (i = 0; i < n_inst && rc == SQLITE_OK; i++) {
		rc = api->xInst(fts, i, &ip, &ic, &off);
		if (rc == SQLITE_OK && ic == col && off >= pos && off < end) {
			*score += seen[ip] ? 1 : 1000;
			seen[ip] = 1;
			if (first < 0)
				first = off;
			last = off + api->xPhraseSize(fts, ip);
		}
	}
	if (adj) {
		a = first - (n_token - (last - first)) / 2;
		if (a + n_token > n_docsize)
			a = n_docsize - n_token;
		if (a < 0)
			a = 0;
		*adj = (int)a;
	}
	return rc;
}

/* The best window: *col, *start, *col_size (0: not read). */
struct best {
	int col, start, score, col_size;
};

/* Scores the windows of column col, as snippet() does. */
static int score_column(const Fts5ExtensionApi *api, Fts5Context *fts, int col,
			int n_inst, int n_token, unsigned char *seen,
			int n_phrase, struct snip_doc *d, struct best *b)
{
	int rc, n_docsize = 0, ii, ip, ic, io, adj, score, jj;

	rc = doc_read(api, fts, col, d);
	if (rc == SQLITE_OK)
		rc = api->xColumnSize(fts, col, &n_docsize);
	for (ii = 0; rc == SQLITE_OK && ii < n_inst; ii++) {
		rc = api->xInst(fts, ii, &ip, &ic, &io);
		if (ic != col)
			continue;
		if (io > n_docsize)
			rc = SQLITE_CORRUPT_VTAB;
		if (rc != SQLITE_OK)
			continue;
		memset(seen, 0, (size_t)n_phrase);
		rc = window_score(api, fts, n_docsize, seen, col, io, n_token,
				  &score, &adj);
		if (rc == SQLITE_OK && score > b->score) {
			*b = (struct best){ col, adj, score, n_docsize };
		}
		if (rc != SQLITE_OK || !d->n_first || n_docsize <= n_token)
			continue;
		for (jj = 0; jj < d->n_first - 1; jj++)
			if (d->first[jj + 1] > io)
				break;
		if (d->first[jj] >= io)
			continue;
		memset(seen, 0, (size_t)n_phrase);
		rc = window_score(api, fts, n_docsize, seen, col, d->first[jj],
				  n_token, &score, NULL);
		score += d->first[jj] == 0 ? 120 : 100;
		if (rc == SQLITE_OK && score > b->score)
			*b = (struct best){ col, d->first[jj], score, n_docsize };
	}
	return rc;
}

/* What snippet()'s highlighting does at token pos of d. */
struct marker {
	struct cinst it;
	int range_start, range_end, off;
	const char *open, *close, *text;
	struct buf *out;
};

static void put(struct marker *m, const char *s, int n)
{
	if (s && n > 0)
		buf_append(m->out, s, (size_t)n);
}

static int mark_token(struct marker *m, int pos, int start, int end)
{
	int rc = SQLITE_OK;

	if (m->range_end > 0) {
		if (pos < m->range_start || pos > m->range_end)
			return SQLITE_OK;
		if (m->range_start && pos == m->range_start)
			m->off = start;
	}
	if (pos == m->it.start) {
		put(m, m->text + m->off, start - m->off);
		put(m, m->open, (int)strlen(m->open));
		m->off = start;
	}
	if (pos == m->it.end) {
		if (m->range_end && m->it.start < m->range_start)
			put(m, m->open, (int)strlen(m->open));
		put(m, m->text + m->off, end - m->off);
		put(m, m->close, (int)strlen(m->close));
		m->off = end;
		rc = cinst_next(&m->it);
	}
	if (m->range_end > 0 && pos == m->range_end) {
		put(m, m->text + m->off, end - m->off);
		m->off = end;
		if (pos >= m->it.start && pos < m->it.end)
			put(m, m->close, (int)strlen(m->close));
	}
	return rc;
}

static const char *arg_text(sqlite3_value *v)
{
	const char *t = (const char *)sqlite3_value_text(v);

	return t ? t : "";
}

/* Writes the window b of d into out, matches marked. */
static int write_window(const Fts5ExtensionApi *api, Fts5Context *fts,
			sqlite3_value **val, int n_token, const struct best *b,
			struct snip_doc *d, struct buf *out)
{
	struct marker m = { .open = arg_text(val[1]), .close = arg_text(val[2]),
			    .out = out };
	const char *ellipsis = arg_text(val[3]);
	int rc, len = 0, col_size = b->col_size, p, last;

	rc = doc_read(api, fts, b->col, d);
	if (rc == SQLITE_OK)
		rc = api->xColumnText(fts, b->col, &m.text, &len);
	if (rc == SQLITE_OK && col_size == 0)
		rc = api->xColumnSize(fts, b->col, &col_size);
	if (!m.text)
		return rc;
	if (rc == SQLITE_OK)
		rc = cinst_init(api, fts, b->col, &m.it);
	m.range_start = b->start;
	m.range_end = b->start + n_token - 1;
	if (b->start > 0)
		put(&m, ellipsis, (int)strlen(ellipsis));
	while (rc == SQLITE_OK && m.it.start >= 0 && m.it.start < b->start)
		rc = cinst_next(&m.it);
	p = m.range_end > 0 && m.range_start > 0 ? m.range_start : 0;
	last = m.range_end > 0 && m.range_end < d->n_tok - 1 ? m.range_end :
	       d->n_tok - 1;
	for (; rc == SQLITE_OK && p <= last; p++)
		rc = mark_token(&m, p, d->tok[p][0], d->tok[p][1]);
	if (m.range_end >= col_size - 1)
		put(&m, m.text + m.off, len - m.off);
	else
		put(&m, ellipsis, (int)strlen(ellipsis));
	return rc;
}

/* snip(idx, col, open, close, ellipsis, tokens): snippet()'s text. */
static void snip_fn(const Fts5ExtensionApi *api, Fts5Context *fts,
		    sqlite3_context *ctx, int n_val, sqlite3_value **val)
{
	struct snip_doc d = { .col = -1 };
	struct buf out = BUF_INIT;
	struct best b = { 0 };
	unsigned char *seen;
	int rc = SQLITE_OK, col, n_token, n_phrase, n_inst = 0, n_col, i;

	if (n_val != 5) {
		sqlite3_result_error(ctx, "snip() takes 5 arguments", -1);
		return;
	}
	col = sqlite3_value_int(val[0]);
	n_token = sqlite3_value_int(val[4]);
	n_col = api->xColumnCount(fts);
	n_phrase = api->xPhraseCount(fts);
	b.col = col >= 0 ? col : 0;
	seen = malloc(n_phrase > 0 ? (size_t)n_phrase : 1);
	if (!seen)
		rc = SQLITE_NOMEM;
	if (rc == SQLITE_OK)
		rc = api->xInstCount(fts, &n_inst);
	for (i = 0; rc == SQLITE_OK && i < n_col; i++)
		if (col < 0 || col == i)
			rc = score_column(api, fts, i, n_inst, n_token, seen,
					  n_phrase, &d, &b);
	if (rc == SQLITE_OK)
		rc = write_window(api, fts, val, n_token, &b, &d, &out);
	if (rc == SQLITE_OK && buf_failed(&out))
		rc = SQLITE_NOMEM;
	if (rc == SQLITE_OK)
		sqlite3_result_text(ctx, out.data ? out.data : "", (int)out.len,
				    SQLITE_TRANSIENT);
	else
		sqlite3_result_error_code(ctx, rc);
	buf_release(&out);
	free(seen);
	free(d.tok);
	free(d.first);
}

enum quire_err fts_snip_register(sqlite3 *db)
{
	fts5_api *api = fts_api_of(db);

	if (!api || api->xCreateFunction(api, "snip", NULL, snip_fn,
					 NULL) != SQLITE_OK)
		return QUIRE_EIO;
	return QUIRE_OK;
}
