/*
 * search_fts.c - the embedded search backend: an SQLite FTS5 index in
 * memory (search_fts.h)
 *
 * Each worker builds its own, on a thread started when it starts to
 * serve, so no page waits for it: until the thread is done a search is
 * answered "warming up" (QUIRE_ETIMEOUT). The thread reads the loaded
 * content, which nothing changes in embedded mode while a worker lives
 * (a reload is a new worker, with a new index). Once the thread has
 * published the index (an atomic flag, release/acquire) the request
 * loop alone uses the connection. Not one index made before fork and
 * shared: SQLite forbids using a connection across fork().
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "content/post.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/quire.h"
#include "tiers/search_fts.h"
#include "tiers/search_fts_rank.h"
#include "tiers/search_fts_snip.h"

enum { FTS_BUILDING = 0, FTS_READY, FTS_FAILED };

struct search_fts {
	const struct content *content;
	int english;
	sqlite3 *db;
	sqlite3_stmt *hits;
	sqlite3_stmt *newest;
	struct fts_rank *rank;  /* rank_bm25's figures */
	/* The rowids of the page's hits, read by wanted(rowid) while
	 * fts_hits_sql walks their range. */
	const sqlite3_int64 *want;
	size_t n_want;
	/* Each indexed post's date by rowid (posts go in oldest first, so
	 * the newest have the highest rowids), read by the SQL function
	 * due(rowid) against now: FTS5 seeks rowids in its own lists, where
	 * a date column would make it read every matching row. */
	long long *dates;
	size_t n_dates;
	long long now;
	pthread_t thread;
	atomic_int state;
	atomic_int stop;        /* search_fts_free: the thread gives up */
};

/*
 * Columns: slug and date are kept, not indexed; title, tags and body
 * are searched, weighted 10, 4 and 1 by bm25 as PostgreSQL weighs A, B
 * and C (tier_pg_search.c): rank_bm25 (search_fts_rank.c), FTS5's bm25
 * with its document counts and row sizes read once when the index is
 * built, where bm25() walked every query word's whole doclist and
 * queried each candidate's size. Only the newest SEARCH_MAX_CANDIDATES
 * matches are ranked, as PostgreSQL ranks the newest: fts_newest_sql
 * walks them newest first (FTS5 reads its doclists in rowid order and
 * stops at the LIMIT), scoring each, and they are sorted here, best
 * first, the newest first among equals; their number is the total. One
 * walk: a walk to find where the newest start and a statement ranking
 * from there read the same rows twice (tests/bench/RESULTS.md). The
 * ranking gives rowids and scores alone: SQLite computes a row's result
 * columns for every row, so a snippet there would tokenize the body of
 * every candidate for the ten a page shows. Those ten are read by
 * fts_hits_sql in one walk of the doclists over their range of rowids,
 * wanted(rowid) keeping them alone, with the body's snippet and the
 * marks of search.h around each match: one statement a hit, each
 * seeking its rowid, cost 2.5 times as much
 * (tests/bench/search_callgrind). The snippet is snip()
 * (search_fts_snip.c): snippet()'s text, the body tokenized once
 * where snippet() tokenizes it twice.
 */
static const char fts_hits_sql[] =
	"SELECT rowid, slug, title, date,"
	" snip(idx, 4, char(1), char(2), '\xe2\x80\xa6', 24)"
	" FROM idx WHERE idx MATCH ?1 AND rowid >= ?2 AND rowid <= ?3"
	" AND wanted(rowid)";
static const char fts_newest_sql[] =
	"SELECT rowid, rank_bm25(idx) FROM idx WHERE idx MATCH ?1 AND due(rowid)"
	" ORDER BY rowid DESC LIMIT ?2";

/* due(rowid): the post was dated no later than the query's now. */
static void fts_due(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct search_fts *f = sqlite3_user_data(ctx);
	sqlite3_int64 id = argc == 1 ? sqlite3_value_int64(argv[0]) : 0;

	sqlite3_result_int(ctx, id > 0 && (size_t)id <= f->n_dates &&
			   f->dates[id - 1] <= f->now);
}

/* wanted(rowid): the row is one of the page's hits (f->want). */
static void fts_wanted(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct search_fts *f = sqlite3_user_data(ctx);
	sqlite3_int64 id = argc == 1 ? sqlite3_value_int64(argv[0]) : 0;
	size_t i;

	for (i = 0; i < f->n_want; i++)
		if (f->want[i] == id)
			break;
	sqlite3_result_int(ctx, i < f->n_want);
}

/* Oldest first; undated posts (0) first of all. */
static int by_date(const void *a, const void *b)
{
	const struct post *pa = *(const struct post *const *)a;
	const struct post *pb = *(const struct post *const *)b;
	long long da = pa->has_date ? (long long)pa->date : 0;
	long long db = pb->has_date ? (long long)pb->date : 0;

	return da < db ? -1 : da > db;
}

static int fts_exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		log_msg(LOG_LEVEL_ERROR, "search", "sqlite: %s",
			err ? err : sqlite3_errmsg(db));
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

/* Adds one post; 0, or -1 on failure. */
static int fts_add(sqlite3_stmt *ins, const struct post *p, long long rowid,
		   struct buf *tags, struct buf *body)
{
	size_t i;

	buf_reset(tags);
	buf_reset(body);
	for (i = 0; i < p->tags.n; i++) {
		buf_puts(tags, p->tags.v[i]);
		buf_putc(tags, ' ');
	}
	search_html_text(body, p->html ? p->html : "");
	if (buf_failed(tags) || buf_failed(body))
		return -1;
	sqlite3_reset(ins);
	if (sqlite3_bind_int64(ins, 6, rowid) != SQLITE_OK ||
	    sqlite3_bind_text(ins, 1, p->slug, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(ins, 2, p->has_date ? (sqlite3_int64)p->date : 0) != SQLITE_OK ||
	    sqlite3_bind_text(ins, 3, p->title_text ? p->title_text : p->title,
			      -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(ins, 4, tags->data ? tags->data : "",
			      (int)tags->len, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(ins, 5, body->data ? body->data : "",
			      (int)body->len, SQLITE_STATIC) != SQLITE_OK)
		return -1;
	return sqlite3_step(ins) == SQLITE_DONE ? 0 : -1;
}

/* Fills f->db; 0, or -1 on failure. */
static int fts_build(struct search_fts *f)
{
	const struct content *c = f->content;
	struct buf tags = BUF_INIT, body = BUF_INIT;
	sqlite3_stmt *ins = NULL;
	struct post **order = NULL;
	size_t i, n = 0;
	int rc = -1;

	if (sqlite3_open_v2(":memory:", &f->db, SQLITE_OPEN_READWRITE |
			    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		return -1;
	if (fts_exec(f->db, f->english ?
		     "CREATE VIRTUAL TABLE idx USING fts5(slug UNINDEXED,"
		     " date UNINDEXED, title, tags, body,"
		     " tokenize = 'porter unicode61 remove_diacritics 2')" :
		     "CREATE VIRTUAL TABLE idx USING fts5(slug UNINDEXED,"
		     " date UNINDEXED, title, tags, body,"
		     " tokenize = 'unicode61 remove_diacritics 2')") != 0 ||
	    fts_exec(f->db, "BEGIN") != 0)
		return -1;
	if (sqlite3_prepare_v2(f->db, "INSERT INTO idx (slug, date, title,"
			       " tags, body, rowid) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
			       -1, &ins, NULL) != SQLITE_OK)
		goto out;
	order = calloc(c && c->n ? c->n : 1, sizeof(*order));
	f->dates = calloc(c && c->n ? c->n : 1, sizeof(*f->dates));
	if (!order || !f->dates)
		goto out;
	for (i = 0; c && i < c->n; i++)
		order[i] = c->posts[i];
	if (c && c->n)
		qsort(order, c->n, sizeof(*order), by_date);
	for (i = 0; c && i < c->n; i++) {
		const struct post *p = order[i];

		/* Drafts are never found; scheduled posts are, once due
		 * (the query's date filter). */
		if (p->kind != POST_KIND_POST || p->draft)
			continue;
		/* A worker told to stop does not wait out a whole build. */
		if (atomic_load_explicit(&f->stop, memory_order_relaxed))
			goto out;
		f->dates[n] = p->has_date ? (long long)p->date : 0;
		if (fts_add(ins, p, (long long)n + 1, &tags, &body) != 0) {
			log_msg(LOG_LEVEL_ERROR, "search", "indexing %s: %s",
				p->slug, sqlite3_errmsg(f->db));
			goto out;
		}
		n++;
		f->n_dates = n;
	}
	/* One b-tree segment: the fewest pages a query reads. */
	if (fts_exec(f->db, "INSERT INTO idx (idx) VALUES ('optimize')") != 0 ||
	    fts_exec(f->db, "COMMIT") != 0)
		goto out;
	if (fts_rank_new(f->db, n, &f->rank) != QUIRE_OK ||
	    fts_rank_register(f->db, f->rank) != QUIRE_OK ||
	    fts_snip_register(f->db) != QUIRE_OK ||
	    sqlite3_create_function(f->db, "due", 1, SQLITE_UTF8, f, fts_due,
				    NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function(f->db, "wanted", 1, SQLITE_UTF8, f,
				    fts_wanted, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(f->db, fts_hits_sql, -1, SQLITE_PREPARE_PERSISTENT,
			       &f->hits, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(f->db, fts_newest_sql, -1, SQLITE_PREPARE_PERSISTENT,
			       &f->newest, NULL) != SQLITE_OK) {
		log_msg(LOG_LEVEL_ERROR, "search", "sqlite: %s",
			sqlite3_errmsg(f->db));
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(ins);
	free(order);
	buf_release(&tags);
	buf_release(&body);
	return rc;
}

static void *fts_thread(void *arg)
{
	struct search_fts *f = arg;
	double t0 = quire_now_ms();

	if (fts_build(f) != 0) {
		atomic_store_explicit(&f->state, FTS_FAILED, memory_order_release);
		return NULL;
	}
	log_msg(LOG_LEVEL_INFO, "search", "index built posts=%zu build_ms=%.1f",
		f->content ? f->content->n : 0, quire_now_ms() - t0);
	atomic_store_explicit(&f->state, FTS_READY, memory_order_release);
	return NULL;
}

enum quire_err search_fts_start(const struct content *c, const char *language,
				struct search_fts **out)
{
	struct search_fts *f = calloc(1, sizeof(*f));

	*out = NULL;
	if (!f)
		return QUIRE_ENOMEM;
	f->content = c;
	f->english = !language || strncmp(language, "en", 2) == 0;
	atomic_init(&f->state, FTS_BUILDING);
	atomic_init(&f->stop, 0);
	if (pthread_create(&f->thread, NULL, fts_thread, f) != 0) {
		free(f);
		return QUIRE_ENOMEM;
	}
	*out = f;
	return QUIRE_OK;
}

void search_fts_free(struct search_fts *f)
{
	if (!f)
		return;
	atomic_store(&f->stop, 1);
	pthread_join(f->thread, NULL);
	sqlite3_finalize(f->hits);
	sqlite3_finalize(f->newest);
	free(f->dates);
	sqlite3_close(f->db);
	fts_rank_free(f->rank);
	free(f);
}

/* Copies column col of the current row, or "". */
static char *col_dup(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	return strdup(t ? (const char *)t : "");
}

/* h gets the current row of f->hits: its slug, title, date and snippet.
 * 0, or -1 out of memory (h may hold some copies: the caller frees
 * them). */
static int copy_hit(struct search_fts *f, struct search_hit *h)
{
	h->slug = col_dup(f->hits, 1);
	h->title = col_dup(f->hits, 2);
	h->date = (long long)sqlite3_column_int64(f->hits, 3);
	h->snippet = col_dup(f->hits, 4);
	return h->slug && h->title && h->snippet ? 0 : -1;
}

/* got[i] gets hit ids[i] of m, for the n ids (got has room for n; a
 * slot stays empty when the index has no such row: never, the ids came
 * from the ranking of the same m). 0; -1 when SQLite fails, -2 out of
 * memory (got may hold some copies: the caller frees them). */
static int read_hits(struct search_fts *f, const struct buf *m,
		     const sqlite3_int64 *ids, size_t n, struct search_hit *got)
{
	sqlite3_int64 lo = ids[0], hi = ids[0], id;
	size_t i;
	int st = SQLITE_ERROR, rc = 0;

	for (i = 1; i < n; i++) {
		lo = ids[i] < lo ? ids[i] : lo;
		hi = ids[i] > hi ? ids[i] : hi;
	}
	f->want = ids;
	f->n_want = n;
	sqlite3_reset(f->hits);
	if (sqlite3_bind_text(f->hits, 1, m->data, (int)m->len,
			      SQLITE_STATIC) == SQLITE_OK &&
	    sqlite3_bind_int64(f->hits, 2, lo) == SQLITE_OK &&
	    sqlite3_bind_int64(f->hits, 3, hi) == SQLITE_OK) {
		while (rc == 0 && (st = sqlite3_step(f->hits)) == SQLITE_ROW) {
			id = sqlite3_column_int64(f->hits, 0);
			for (i = 0; i < n && ids[i] != id; i++)
				;
			if (i < n && !got[i].slug && copy_hit(f, &got[i]) != 0)
				rc = -2;
		}
	}
	if (rc == 0 && st != SQLITE_DONE)
		rc = -1;
	sqlite3_reset(f->hits);
	sqlite3_clear_bindings(f->hits);
	f->want = NULL;
	f->n_want = 0;
	return rc;
}

/* A candidate and its score (rank_bm25: lower is better). */
struct cand {
	sqlite3_int64 id;
	double score;
};

/* Best first; among equals the newest (the higher rowid). */
static int by_rank(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->score != y->score)
		return x->score < y->score ? -1 : 1;
	return x->id > y->id ? -1 : x->id < y->id;
}

/* Walks the newest SEARCH_MAX_CANDIDATES matches of m, newest first,
 * scoring each: c gets them (room for SEARCH_MAX_CANDIDATES), best
 * first, *n their number, *more whether there are that many (older
 * ones may match too); 0, or -1 on failure. */
static int rank_newest(struct search_fts *f, const struct buf *m,
		       struct cand *c, size_t *n, int *more)
{
	int st = SQLITE_ERROR;

	*n = 0;
	sqlite3_reset(f->newest);
	if (sqlite3_bind_text(f->newest, 1, m->data, (int)m->len,
			      SQLITE_STATIC) == SQLITE_OK &&
	    sqlite3_bind_int64(f->newest, 2, SEARCH_MAX_CANDIDATES) == SQLITE_OK)
		while (*n < SEARCH_MAX_CANDIDATES &&
		       (st = sqlite3_step(f->newest)) == SQLITE_ROW) {
			c[*n].id = sqlite3_column_int64(f->newest, 0);
			c[*n].score = sqlite3_column_double(f->newest, 1);
			(*n)++;
		}
	if (*n == SEARCH_MAX_CANDIDATES)
		st = SQLITE_DONE;
	sqlite3_reset(f->newest);
	sqlite3_clear_bindings(f->newest);
	*more = *n == SEARCH_MAX_CANDIDATES;
	if (*n > 1)
		qsort(c, *n, sizeof(*c), by_rank);
	return st == SQLITE_DONE ? 0 : -1;
}

enum quire_err search_fts_run(struct search_fts *f, const struct search_query *q,
			      size_t offset, size_t limit, time_t now,
			      struct search_results *out)
{
	struct buf m = BUF_INIT;
	sqlite3_int64 *ids;
	struct cand *cands;
	enum quire_err rc = QUIRE_OK;
	size_t i, n_ids = 0, n_cands = 0;
	int st = SQLITE_DONE, got;
	int state = atomic_load_explicit(&f->state, memory_order_acquire);

	if (state == FTS_BUILDING)
		return QUIRE_ETIMEOUT;
	if (state != FTS_READY)
		return QUIRE_EIO;
	if (search_query_fts5(q, &m) != QUIRE_OK) {
		buf_release(&m);
		return QUIRE_EINVAL;
	}
	out->hits = calloc(limit ? limit : 1, sizeof(*out->hits));
	ids = calloc(limit ? limit : 1, sizeof(*ids));
	cands = calloc(SEARCH_MAX_CANDIDATES, sizeof(*cands));
	if (!out->hits || !ids || !cands) {
		free(out->hits);
		out->hits = NULL;
		free(cands);
		free(ids);
		buf_release(&m);
		return QUIRE_ENOMEM;
	}
	f->now = (long long)now;
	fts_rank_query(f->rank, q);
	if (rank_newest(f, &m, cands, &n_cands, &out->more) != 0) {
		st = SQLITE_ERROR;
		goto failed;
	}
	out->total = n_cands;
	for (i = offset; i < n_cands && n_ids < limit; i++)
		ids[n_ids++] = cands[i].id;
	if (n_ids == 0)
		goto failed;
	got = read_hits(f, &m, ids, n_ids, out->hits);
	if (got == -2) {
		out->n = n_ids;   /* the copies made are freed with the rest */
		rc = QUIRE_ENOMEM;
		goto out;
	}
	/* In rank order, every slot filled (an empty one left out). */
	for (i = 0; i < n_ids; i++)
		if (out->hits[i].slug)
			out->hits[out->n++] = out->hits[i];
	for (i = out->n; i < n_ids; i++)
		memset(&out->hits[i], 0, sizeof(out->hits[i]));
	if (got != 0)
		st = SQLITE_ERROR;
failed:
	if (st != SQLITE_ROW && st != SQLITE_DONE) {
		/* Never for a query search_query_fts5 wrote: logged, and
		 * the reader gets the hint rather than an error. */
		log_msg(LOG_LEVEL_WARN, "search", "sqlite: %s",
			sqlite3_errmsg(f->db));
		rc = QUIRE_EINVAL;
	}
out:
	fts_rank_query(f->rank, NULL);
	free(cands);
	free(ids);
	buf_release(&m);
	if (rc != QUIRE_OK)
		search_results_free(out);
	return rc;
}
