/*
 * tier_pg_summary.c - API posts' summaries rendered again from their
 * stored source, the ones schema step 13 queued
 *
 * A content post's summary is made again by the next deploy (the step
 * marks its row as step 4 did); an API post has no file, but its
 * Markdown is in its row, so the migration renders it here, as the
 * API's write would (content_summary, no options: page_api.c's), and
 * stores it in the record's form (record_set_summary: the whole mark).
 * A batch a transaction, under the migrations' lock; the queue row goes
 * with its batch's commit, so a migration cut short leaves the rest
 * for the next one, and two migrators never render one post twice.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "content/content.h"
#include "content/post.h"
#include "content/record.h"
#include "lib/quire.h"
#include "tiers/tier_pg.h"
#include "tiers/tier_pg_private.h"

/* Posts a transaction: each row brings its source (at most
 * QUIRE_MAX_FILE), so a batch's result stays small. */
#define REDO_BATCH 32
#define REDO_STR_(x) #x
#define REDO_STR(x) REDO_STR_(x)

/* Queue rows left (a post rewritten or deleted since: its write made
 * its summary, or it has none) go first, in a statement of their own;
 * then the batch's posts, as the API stored them. */
#define REDO_STALE_SQL \
	"DELETE FROM quire_summary_redo q WHERE NOT EXISTS" \
	" (SELECT 1 FROM posts p WHERE p.slug = q.slug AND p.hash = q.hash" \
	"  AND p.origin = 'api' AND p.summary_of = p.hash)"
#define REDO_BATCH_SQL \
	"SELECT p.slug, p.source, p.body_offset, p.hash, p.kind" \
	" FROM quire_summary_redo q JOIN posts p ON p.slug = q.slug" \
	" AND p.hash = q.hash AND p.origin = 'api' AND p.summary_of = p.hash" \
	" ORDER BY q.slug LIMIT " REDO_STR(REDO_BATCH)

/*
 * The summary row i of res (slug, source, body_offset, hash, kind)
 * gets now, in the record's form: *out NULL when it has none, or when
 * its source no longer parses (then *keep: its row is left as it is).
 * QUIRE_OK or QUIRE_ENOMEM.
 */
static enum quire_err render_row(const PGresult *res, int i, char **out,
				 int *keep)
{
	struct record r;
	struct post *p = NULL;
	long long off;
	enum quire_err rc;

	*out = NULL;
	*keep = 1;
	memset(&r, 0, sizeof(r));
	r.origin = RECORD_ORIGIN_API;
	if (pg_col_ll(res, i, 2, &off) != QUIRE_OK || off < 0 ||
	    record_kind_parse(PQgetvalue(res, i, 4), &r.kind) != QUIRE_OK)
		return QUIRE_OK;
	r.slug = PQgetvalue(res, i, 0);
	r.source = PQgetvalue(res, i, 1);
	r.source_len = (size_t)PQgetlength(res, i, 1);
	r.body_offset = (size_t)off;
	if (r.body_offset > r.source_len)
		return QUIRE_OK;
	rc = record_to_post(&r, &p);
	if (rc != QUIRE_OK)
		return rc == QUIRE_ENOMEM ? rc : QUIRE_OK;
	rc = content_summary(p, NULL);
	if (rc == QUIRE_OK) {
		/* r's strings are res's: only its summary is its own */
		r.summary_html = NULL;
		rc = record_set_summary(&r, p->summary_html, p->summary_whole);
		*out = r.summary_html;
		*keep = 0;
	}
	post_free(p);
	return rc;
}

/* Row i's new summary stored, if its row is still the one queued, and
 * its queue row deleted. *stored counts the rows changed. */
static enum quire_err redo_row(struct tier_pg *pg, const PGresult *res,
			       int i, int *stored)
{
	const char *v[3];
	PGresult *up = NULL;
	char *html = NULL;
	int keep;
	enum quire_err rc;

	rc = render_row(res, i, &html, &keep);
	if (rc != QUIRE_OK)
		return rc;
	v[0] = PQgetvalue(res, i, 0);
	v[1] = html;
	v[2] = PQgetvalue(res, i, 3);
	if (!keep) {
		rc = pg_exec_params(pg, "summary redo",
				    "UPDATE posts SET summary_html = $2"
				    " WHERE slug = $1 AND hash = $3::bigint"
				    " AND summary_of = hash",
				    3, v, NULL, NULL, &up);
		if (rc == QUIRE_OK && strcmp(PQcmdTuples(up), "1") == 0)
			(*stored)++;
		PQclear(up);
	}
	free(html);
	if (rc == QUIRE_OK)
		rc = pg_exec_params(pg, "summary redo",
				    "DELETE FROM quire_summary_redo"
				    " WHERE slug = $1",
				    1, v, NULL, NULL, NULL);
	return rc;
}

/*
 * One transaction: up to REDO_BATCH queued posts rendered and stored,
 * their queue rows gone; a new generation and stamp when one changed,
 * as step 5 did (a worker that reads PostgreSQL reloads; the next
 * deploy finds Redis's generation behind and rewrites it whole).
 * *n gets how many were taken from the queue (0: it is empty).
 */
static enum quire_err redo_batch(struct tier_pg *pg, int *n)
{
	PGresult *res = NULL;
	int i, stored = 0;
	enum quire_err rc;

	*n = 0;
	rc = pg_begin_migrating(pg, "summary redo");
	if (rc == QUIRE_OK)
		rc = pg_exec_simple(pg, "summary redo", REDO_BATCH_SQL, &res);
	for (i = 0; rc == QUIRE_OK && i < PQntuples(res); i++)
		rc = redo_row(pg, res, i, &stored);
	if (rc == QUIRE_OK && stored > 0)
		rc = pg_exec_simple(pg, "summary redo",
				    "UPDATE site SET generation = generation + 1,"
				    " stamp = md5(random()::text ||"
				    " clock_timestamp()::text)", NULL);
	if (rc == QUIRE_OK)
		rc = pg_exec_simple(pg, "summary redo", "COMMIT", NULL);
	if (rc == QUIRE_OK)
		*n = PQntuples(res);
	PQclear(res);
	if (rc != QUIRE_OK)
		pg_rollback(pg);
	return rc;
}

enum quire_err tier_pg_summary_redo(struct tier_pg *pg)
{
	PGresult *res = NULL;
	long long left = 0, batches;
	int n = 0;
	enum quire_err rc;

	/* the usual case: nothing queued, one statement */
	rc = pg_exec_simple(pg, "summary redo",
			    "SELECT count(*) FROM quire_summary_redo", &res);
	if (rc != QUIRE_OK)
		return rc;
	if (PQntuples(res) != 1 || pg_col_ll(res, 0, 0, &left) != QUIRE_OK)
		left = 0;
	PQclear(res);
	if (left == 0)
		return QUIRE_OK;
	rc = pg_exec_simple(pg, "summary redo", REDO_STALE_SQL, NULL);
	/* bounded: each batch takes at least one row off the queue */
	for (batches = left / REDO_BATCH + 2; rc == QUIRE_OK && batches > 0;
	     batches--) {
		rc = redo_batch(pg, &n);
		if (n == 0)
			break;
	}
	return rc;
}
