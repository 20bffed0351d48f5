/*
 * tier_pg_deploy.c - the PostgreSQL tier's deploys: one pipelined
 * transaction, and the file signatures kept after it
 *
 * A deploy is one transaction sent in pipeline mode (libpq 14+), so the
 * client never waits a round trip per post. Upserts go PG_UPSERT_ROWS
 * records to a statement (one executor start-up per 64 rows instead of
 * per row halves the server's CPU), a Sync after every PG_PIPELINE_CHUNK
 * records so that what the server writes back between two Syncs stays
 * far below the socket buffers (a blocking pipeline deadlocks when both
 * directions fill up). Syncs inside the explicit BEGIN do not commit;
 * the COMMIT does, and any error before it rolls everything back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "content/post.h"
#include "content/record.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/quire.h"
#include "tiers/tier_pg.h"
#include "tiers/tier_pg_private.h"

/* Upserts between two Syncs: bounds what the server writes back before
 * the client reads (about 60 bytes a row) far below a socket buffer. */
#define PG_PIPELINE_CHUNK 256

/* One upsert statement being filled: up to PG_UPSERT_ROWS records. */
struct upsert_batch {
	const char *values[PG_UPSERT_ROWS * PG_UPSERT_NPARAMS];
	int lengths[PG_UPSERT_ROWS * PG_UPSERT_NPARAMS];
	int formats[PG_UPSERT_ROWS * PG_UPSERT_NPARAMS];
	struct upsert_row rows[PG_UPSERT_ROWS];
	size_t n;              /* rows filled */
};

/*
 * The state of one deploy's pipeline. Results come back in the order the
 * queries went out: BEGIN, the delete (if any), the upserts (n_many
 * statements of PG_UPSERT_ROWS records, then one statement per remaining
 * record), site.yaml (if any), synchronous_commit on
 * (PG_SYNC_COMMIT_SQL), the generation bump, COMMIT. The delete comes
 * first: a slug given another letter case (Foo's file renamed foo) is
 * removed before its twin is written, which the unique index on
 * lower(slug) (schema step 8) would otherwise refuse.
 */
struct deploy {
	struct tier_pg *pg;
	struct record *const *upserts;
	size_t n_upserts;
	size_t n_many;         /* statements of PG_UPSERT_ROWS records */
	size_t n_upsert_stmts; /* all upsert statements */
	int has_delete;
	const struct tier_pg_config *config; /* site.yaml to store, or NULL */
	long long *revisions;  /* one per upsert, kept until COMMIT succeeds */
	size_t n_revisions;    /* how many were returned */
	size_t sent;           /* queries sent */
	size_t done;           /* results read */
	size_t unsynced;       /* records or queries sent since the last Sync */
	long long generation;
	int committed;
	enum quire_err rc;     /* the first failure */
};

static void deploy_failed(struct deploy *d, enum quire_err rc)
{
	if (d->rc == QUIRE_OK)
		d->rc = rc;
}

static int slug_cmp(const void *a, const void *b)
{
	const struct record *const *x = a, *const *y = b;

	return strcmp((*x)->slug, (*y)->slug);
}

/* Every record complete, and each slug once: one statement cannot
 * upsert a slug twice, and a deploy that lists one twice is a bug. */
static enum quire_err deploy_check(struct tier_pg *pg, struct record *const *v,
				   size_t n)
{
	struct record **sorted;
	char msg[300];
	size_t i;
	enum quire_err rc = QUIRE_OK;

	for (i = 0; i < n; i++)
		if (pg_record_check(v[i]) != QUIRE_OK) {
			/* The slug is not quoted: it may be what is wrong. */
			snprintf(msg, sizeof(msg),
				 "record %zu is incomplete or its slug invalid", i);
			pg_set_error(pg, "deploy", msg, NULL);
			return QUIRE_EINVAL;
		}
	if (n < 2)
		return QUIRE_OK;
	sorted = malloc(n * sizeof(*sorted));
	if (!sorted) {
		pg_set_error(pg, "deploy", "out of memory", NULL);
		return QUIRE_ENOMEM;
	}
	memcpy(sorted, v, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), slug_cmp);
	for (i = 1; i < n; i++)
		if (strcmp(sorted[i - 1]->slug, sorted[i]->slug) == 0) {
			snprintf(msg, sizeof(msg), "slug '%s' is listed twice",
				 sorted[i]->slug);
			pg_set_error(pg, "deploy", msg, NULL);
			rc = QUIRE_EINVAL;
			break;
		}
	free(sorted);
	return rc;
}

/* Frees the posts of b and empties it (the scratch buffers stay). */
static void batch_clear(struct upsert_batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		post_free(b->rows[i].post);
		b->rows[i].post = NULL;
	}
	b->n = 0;
}

/* Parses r into the next row of b. */
static enum quire_err batch_add(struct deploy *d, struct upsert_batch *b,
				const struct record *r)
{
	struct upsert_row *w = &b->rows[b->n];
	size_t base = b->n * PG_UPSERT_NPARAMS;
	char msg[300];
	enum quire_err rc;

	rc = record_to_post(r, &w->post);
	if (rc != QUIRE_OK) {
		snprintf(msg, sizeof(msg), "%s '%s'", rc == QUIRE_ENOMEM ?
			 "out of memory parsing" : "frontmatter does not parse in",
			 r->slug);
		pg_set_error(d->pg, "deploy", msg, NULL);
		return rc;
	}
	b->n++;
	rc = pg_upsert_fill(b->values + base, b->lengths + base, w, r);
	if (rc != QUIRE_OK) {
		snprintf(msg, sizeof(msg), "%s in '%s'", rc == QUIRE_ENOMEM ?
			 "out of memory" : "a field is out of range", r->slug);
		pg_set_error(d->pg, "deploy", msg, NULL);
	}
	return rc;
}

/* Sends the upsert of b's rows into the pipeline. */
static enum quire_err batch_send(struct deploy *d, struct upsert_batch *b)
{
	enum pg_stmt s = b->n == 1 ? PG_STMT_UPSERT : PG_STMT_UPSERT_MANY;

	if (b->n != 1 && b->n != PG_UPSERT_ROWS) {
		pg_set_error(d->pg, "deploy", "a batch of the wrong size", NULL);
		return QUIRE_EINVAL;
	}
	if (!PQsendQueryPrepared(d->pg->conn, pg_stmts[s].name,
				 (int)b->n * PG_UPSERT_NPARAMS, b->values,
				 b->lengths, b->formats, 0)) {
		pg_fail(d->pg, "deploy upsert", NULL);
		return QUIRE_EIO;
	}
	d->sent++;
	d->unsynced += b->n;
	return QUIRE_OK;
}

/* The records upsert statement number k (0-based) covers. */
static void deploy_stmt_records(const struct deploy *d, size_t k,
				size_t *first, size_t *count)
{
	if (k < d->n_many) {
		*first = k * PG_UPSERT_ROWS;
		*count = PG_UPSERT_ROWS;
	} else {
		*first = d->n_many * PG_UPSERT_ROWS + (k - d->n_many);
		*count = 1;
	}
}

/* Stores the revisions that upsert statement k returned. Rows come back
 * as (slug, revision) in no promised order: each is matched by slug,
 * trying its own position first. A record whose slug a post of the
 * other origin holds comes back not at all (tier_pg_conn.c): its
 * revision stays 0. */
static enum quire_err deploy_revisions(struct deploy *d, size_t k,
				       const PGresult *res)
{
	size_t first, count, j, m;
	const char *slug;
	long long v;
	int row;

	deploy_stmt_records(d, k, &first, &count);
	if ((size_t)PQntuples(res) > count)
		return QUIRE_EIO;
	for (row = 0; row < PQntuples(res); row++) {
		slug = PQgetvalue(res, row, 0);
		if (pg_col_ll(res, row, 1, &v) != QUIRE_OK)
			return QUIRE_EIO;
		for (j = 0; j < count; j++) {
			m = first + ((size_t)row + j) % count;
			if (d->revisions[m] == 0 &&
			    strcmp(d->upserts[m]->slug, slug) == 0)
				break;
		}
		if (j == count)
			return QUIRE_EIO;
		d->revisions[first + ((size_t)row + j) % count] = v;
		d->n_revisions++;
	}
	return QUIRE_OK;
}

/* Handles result number d->done, of the query sent in that place. */
static void deploy_result(struct deploy *d, PGresult *res)
{
	struct tier_pg *pg = d->pg;
	size_t idx = d->done++;
	ExecStatusType st = PQresultStatus(res);
	size_t first = 1 + (d->has_delete ? 1 : 0); /* the first upsert */
	size_t sync = first + d->n_upsert_stmts + (d->config ? 1 : 0);
	size_t bump = sync + 1;
	long long v;

	if (st == PGRES_PIPELINE_ABORTED) {
		/* Skipped after an earlier error, which was recorded. */
		deploy_failed(d, QUIRE_EIO);
		return;
	}
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		if (d->rc == QUIRE_OK)
			pg_fail(pg, idx == 0 ? "deploy begin" :
				idx < first ? "deploy delete" :
				idx < first + d->n_upsert_stmts ? "deploy upsert" :
				idx < sync ? "deploy site.yaml" :
				idx == sync ? "deploy synchronous_commit" :
				idx == bump ? "deploy generation" :
				"deploy commit", res);
		deploy_failed(d, QUIRE_EIO);
		return;
	}
	if (idx >= first && idx < first + d->n_upsert_stmts) {
		if (deploy_revisions(d, idx - first, res) != QUIRE_OK) {
			if (d->rc == QUIRE_OK)
				pg_set_error(pg, "deploy upsert",
					     "the revisions returned do not match",
					     NULL);
			deploy_failed(d, QUIRE_EIO);
		}
	} else if (idx == bump) {
		if (PQntuples(res) != 1 || pg_col_ll(res, 0, 0, &v) != QUIRE_OK) {
			if (d->rc == QUIRE_OK)
				pg_set_error(pg, "deploy generation",
					     "the site row is missing", NULL);
			deploy_failed(d, QUIRE_EIO);
			return;
		}
		d->generation = v;
	} else if (idx == bump + 1) {
		d->committed = 1;
	}
}

/*
 * Sends a Sync and reads every result up to it. A healthy pipeline gives
 * each query's result then NULL, and the Sync's own result; two NULLs in
 * a row mean the connection went away and nothing more will come.
 */
static void deploy_sync(struct deploy *d)
{
	PGconn *conn = d->pg->conn;
	PGresult *res;
	int nulls = 0;

	if (!PQpipelineSync(conn)) {
		if (d->rc == QUIRE_OK)
			pg_fail(d->pg, "deploy sync", NULL);
		deploy_failed(d, QUIRE_EIO);
		d->pg->broken = 1;
		return;
	}
	d->unsynced = 0;
	for (;;) {
		res = PQgetResult(conn);
		if (!res) {
			if (++nulls > 1 || PQstatus(conn) == CONNECTION_BAD) {
				if (d->rc == QUIRE_OK)
					pg_fail(d->pg, "deploy", NULL);
				deploy_failed(d, QUIRE_EIO);
				d->pg->broken = 1;
				return;
			}
			continue;
		}
		nulls = 0;
		if (PQresultStatus(res) == PGRES_PIPELINE_SYNC) {
			PQclear(res);
			return;
		}
		if (d->done >= d->sent) {
			/* More results than queries: a lost connection's own
			 * error, or a stream that is not ours. Either way the
			 * first error said why. */
			if (d->rc == QUIRE_OK)
				pg_fail(d->pg, "deploy", res);
			PQclear(res);
			deploy_failed(d, QUIRE_EIO);
			d->pg->broken = 1;
			return;
		}
		deploy_result(d, res);
		PQclear(res);
	}
}

/* Sends a prepared statement (name) or a statement of text (sql). */
static enum quire_err deploy_send(struct deploy *d, const char *name,
				  const char *sql, int nparams,
				  const char *const *values, const int *lengths,
				  const int *formats)
{
	int ok;

	if (name)
		ok = PQsendQueryPrepared(d->pg->conn, name, nparams, values,
					 lengths, formats, 0);
	else
		ok = PQsendQueryParams(d->pg->conn, sql, 0, NULL, NULL, NULL,
				       NULL, 0);
	if (!ok) {
		pg_fail(d->pg, "deploy", NULL);
		return QUIRE_EIO;
	}
	d->sent++;
	d->unsynced++;
	return QUIRE_OK;
}

/* Sends every upsert, a Sync after each PG_PIPELINE_CHUNK records. */
static enum quire_err deploy_send_upserts(struct deploy *d,
					  struct upsert_batch *b)
{
	size_t i;
	enum quire_err rc;

	for (i = 0; i < d->n_upserts; i++) {
		rc = batch_add(d, b, d->upserts[i]);
		if (rc != QUIRE_OK)
			return rc;
		/* Full statements first, then one statement per record. */
		if (i < d->n_many * PG_UPSERT_ROWS && b->n < PG_UPSERT_ROWS)
			continue;
		rc = batch_send(d, b);
		batch_clear(b);
		if (rc != QUIRE_OK)
			return rc;
		if (d->unsynced >= PG_PIPELINE_CHUNK) {
			deploy_sync(d);
			if (d->rc != QUIRE_OK)
				return d->rc;
		}
	}
	return QUIRE_OK;
}

/* site.yaml's text into site.config (NULL: none), a text parameter. */
static enum quire_err deploy_send_config(struct deploy *d)
{
	const char *values[1] = { d->config->text };
	int lengths[1] = { (int)d->config->len }, formats[1] = { 0 };

	if (!PQsendQueryParams(d->pg->conn, "UPDATE site SET config = $1", 1,
			       NULL, values, lengths, formats, 0)) {
		pg_fail(d->pg, "deploy", NULL);
		return QUIRE_EIO;
	}
	d->sent++;
	d->unsynced++;
	return QUIRE_OK;
}

/* The delete of the slugs no file gives any more (none: nothing). */
static enum quire_err deploy_send_delete(struct deploy *d,
					 char *const *deletes, size_t n_deletes,
					 struct buf *scratch)
{
	const char *values[1];
	int lengths[1], formats[1] = { 1 };
	enum quire_err rc;

	if (!n_deletes)
		return QUIRE_OK;
	rc = pg_text_array_encode(scratch, deletes, n_deletes);
	if (rc != QUIRE_OK) {
		pg_set_error(d->pg, "deploy", "bad list of deletions", NULL);
		return rc;
	}
	values[0] = scratch->data;
	lengths[0] = (int)scratch->len;
	return deploy_send(d, pg_stmts[PG_STMT_DELETE].name, NULL, 1, values,
			   lengths, formats);
}

static enum quire_err deploy_send_tail(struct deploy *d)
{
	enum quire_err rc;

	if (d->config && (rc = deploy_send_config(d)) != QUIRE_OK)
		return rc;
	rc = deploy_send(d, NULL, PG_SYNC_COMMIT_SQL, 0, NULL, NULL, NULL);
	if (rc != QUIRE_OK)
		return rc;
	rc = deploy_send(d, pg_stmts[PG_STMT_BUMP].name, NULL, 0, NULL, NULL,
			 NULL);
	if (rc != QUIRE_OK)
		return rc;
	return deploy_send(d, NULL, "COMMIT", 0, NULL, NULL, NULL);
}

enum quire_err tier_pg_deploy(struct tier_pg *pg, struct record *const *upserts,
			      size_t n_upserts, char *const *deletes,
			      size_t n_deletes, long long *generation)
{
	return tier_pg_deploy_site(pg, upserts, n_upserts, deletes, n_deletes,
				   NULL, generation);
}

enum quire_err tier_pg_config_read(struct tier_pg *pg, char **text,
				   size_t *len)
{
	PGresult *res = NULL;
	enum quire_err rc;

	*text = NULL;
	*len = 0;
	rc = pg_exec_simple(pg, "site.yaml", "SELECT config FROM site", &res);
	if (rc != QUIRE_OK)
		return rc;
	if (PQntuples(res) != 1) {
		pg_set_error(pg, "site.yaml", "the site row is missing", NULL);
		PQclear(res);
		return QUIRE_EIO;
	}
	if (!PQgetisnull(res, 0, 0)) {
		rc = pg_col_dup(res, 0, 0, text);
		*len = (size_t)PQgetlength(res, 0, 0);
	}
	PQclear(res);
	return rc;
}

/*
 * After a deploy that changed TIER_PG_TIDY_ROWS posts or more, the
 * planner's statistics of posts are made again at once, not when
 * autovacuum comes by (up to a minute later): without them a search
 * guesses its words rare and filters every post by its tsvector, each
 * read whole from TOAST (10,000 of them, 100 ms and more a search after
 * a first deploy of 10,000 posts), where the GIN index finds the
 * matches (tests/bench/RESULTS.md, "Search"). After the commit, which
 * it does not delay nor can undo: a failure is only logged.
 */
static void deploy_analyze(struct tier_pg *pg)
{
	if (pg_exec_simple(pg, "analyze", "ANALYZE posts", NULL) != QUIRE_OK)
		log_msg(LOG_LEVEL_WARN, "deploy", "ANALYZE posts failed: %s",
			tier_pg_error(pg));
}

/*
 * A big deploy leaves posts untidy for its searches until autovacuum
 * comes by: the GIN index's pending list full of the new rows' entries
 * (which every search reads whole, in order), a dead version of each row
 * the deploy's file signatures rewrote, and a visibility map that sends
 * index-only scans to the heap. Measured on 10,000 posts, the bench's 200
 * queries one at a time on an idle machine: 15 ms a search before,
 * 5.7 ms after a VACUUM that took 0.4 s. VACUUM runs in no transaction,
 * so after the deploy's, off its answer. No ANALYZE with it: the deploy
 * made the statistics already (deploy_analyze), and the signatures'
 * update changed no column they describe.
 */
enum quire_err tier_pg_tidy(struct tier_pg *pg)
{
	if (pg_ready(pg, 0) != QUIRE_OK)
		return QUIRE_EIO;
	return pg_exec_simple(pg, "tidy", "VACUUM posts", NULL);
}

/*
 * The shares of posts the common words are in, by which a search
 * chooses how to look for its candidates (schema step 17), copied from
 * the planner's statistics when an ANALYZE made them since the last
 * copy: a big deploy's (deploy_analyze), or autovacuum's, the only one
 * a site grown by small deploys and the API gets. When nothing is
 * newer it is one read of pg_stat_user_tables.
 */
enum quire_err tier_pg_search_terms(struct tier_pg *pg)
{
	if (pg_ready(pg, 0) != QUIRE_OK)
		return QUIRE_EIO;
	return pg_exec_simple(pg, "search terms",
			      "SELECT quire_search_terms()", NULL);
}

enum quire_err tier_pg_deploy_site(struct tier_pg *pg,
				   struct record *const *upserts,
				   size_t n_upserts, char *const *deletes,
				   size_t n_deletes,
				   const struct tier_pg_config *config,
				   long long *generation)
{
	struct upsert_batch *b = NULL;
	struct deploy d;
	size_t i;
	enum quire_err rc;

	memset(&d, 0, sizeof(d));
	d.pg = pg;
	d.upserts = upserts;
	d.n_upserts = n_upserts;
	d.n_many = n_upserts / PG_UPSERT_ROWS;
	d.n_upsert_stmts = d.n_many + n_upserts % PG_UPSERT_ROWS;
	d.has_delete = n_deletes > 0;
	d.config = config;
	if (generation)
		*generation = 0;
	if ((n_upserts && !upserts) || (n_deletes && !deletes))
		return QUIRE_EINVAL;
	rc = deploy_check(pg, upserts, n_upserts);
	if (rc != QUIRE_OK)
		return rc;
	rc = pg_ready(pg, (d.n_upserts % PG_UPSERT_ROWS ? PG_STMT_BIT(PG_STMT_UPSERT) : 0) |
		      (d.n_many ? PG_STMT_BIT(PG_STMT_UPSERT_MANY) : 0) |
		      (d.has_delete ? PG_STMT_BIT(PG_STMT_DELETE) : 0) |
		      PG_STMT_BIT(PG_STMT_BUMP));
	if (rc != QUIRE_OK)
		return rc;
	b = calloc(1, sizeof(*b));
	d.revisions = calloc(n_upserts ? n_upserts : 1, sizeof(*d.revisions));
	if (!b || !d.revisions) {
		pg_set_error(pg, "deploy", "out of memory", NULL);
		rc = QUIRE_ENOMEM;
		goto out;
	}
	for (i = 0; i < PG_UPSERT_ROWS; i++)
		pg_upsert_row_init(&b->rows[i]);
	for (i = 0; i < PG_UPSERT_ROWS * PG_UPSERT_NPARAMS; i++)
		b->formats[i] = 1;
	if (!PQenterPipelineMode(pg->conn)) {
		pg_fail(pg, "deploy pipeline", NULL);
		rc = QUIRE_EIO;
		goto out;
	}
	d.rc = deploy_send(&d, NULL, "BEGIN", 0, NULL, NULL, NULL);
	/* libpq copies the parameters as it sends: the scratch is free
	 * again for the upserts */
	if (d.rc == QUIRE_OK)
		d.rc = deploy_send_delete(&d, deletes, n_deletes,
					  &b->rows[0].arrays[0]);
	if (d.rc == QUIRE_OK)
		deploy_failed(&d, deploy_send_upserts(&d, b));
	if (d.rc == QUIRE_OK)
		d.rc = deploy_send_tail(&d);
	/* Read what was sent, even after a failure: a pipeline with results
	 * pending cannot be left. */
	if (d.unsynced > 0 && !pg->broken)
		deploy_sync(&d);
	if (!pg->broken && !PQexitPipelineMode(pg->conn)) {
		if (d.rc == QUIRE_OK)
			pg_fail(pg, "deploy pipeline", NULL);
		deploy_failed(&d, QUIRE_EIO);
		pg->broken = 1;
	}
	rc = d.rc;
	if (rc == QUIRE_OK && (!d.committed || d.n_revisions > n_upserts)) {
		pg_set_error(pg, "deploy", "the commit was not confirmed", NULL);
		rc = QUIRE_EIO;
	}
	if (rc != QUIRE_OK) {
		if (!pg->broken)
			pg_rollback(pg);
		goto out;
	}
	for (i = 0; i < n_upserts; i++) {
		upserts[i]->revision = d.revisions[i];
		upserts[i]->generation = d.generation;
	}
	if (generation)
		*generation = d.generation;
	if (n_upserts + n_deletes >= TIER_PG_TIDY_ROWS)
		deploy_analyze(pg);
out:
	if (b) {
		batch_clear(b);
		for (i = 0; i < PG_UPSERT_ROWS; i++)
			pg_upsert_row_release(&b->rows[i]);
	}
	free(b);
	free(d.revisions);
	return rc;
}

/*
 * Keeps each signature for its slug, with the hash it was taken with,
 * while the row is of origin content with that hash; it counts only
 * while the row's hash is still that one (quire_hashes): a row changed
 * since (by a deploy, or a schema step that zeroes the hash to have
 * every file read again) keeps none. In a table of their own (schema
 * step 16): kept in posts.file_sig, they rewrote every post's row after
 * each full deploy — a second version of each row, its vector and its
 * index entries, GIN's too. A post's signature goes with the post
 * (quire_delete, in the deploy's transaction).
 * Off the durable path: a signature lost in a crash only makes the next
 * deploy read that file, so the commit does not wait for its flush.
 */
static const char keep_sigs_sql[] =
	"INSERT INTO content_sigs AS s (slug, sig, hash)"
	" SELECT v.slug, v.sig, v.hash::bigint"
	" FROM unnest($1::text[], $2::text[], $3::text[]) AS v(slug, sig, hash)"
	" JOIN posts p ON p.slug = v.slug AND p.origin = 'content'"
	" AND p.hash = v.hash::bigint"
	" ON CONFLICT (slug) DO UPDATE SET sig = excluded.sig, hash = excluded.hash"
	" WHERE (s.sig, s.hash) IS DISTINCT FROM (excluded.sig, excluded.hash)";

enum quire_err tier_pg_keep_sigs(struct tier_pg *pg,
				 const struct tier_pg_hash *v, size_t n)
{
	struct buf arrays[3] = { BUF_INIT, BUF_INIT, BUF_INIT };
	char **lists[3] = { NULL, NULL, NULL }, (*hashes)[24] = NULL;
	const char *values[3];
	int lengths[3], formats[3] = { 1, 1, 1 }, i;
	enum quire_err rc = QUIRE_ENOMEM;
	PGresult *res = NULL;
	size_t j;

	if (n == 0)
		return QUIRE_OK;
	for (i = 0; i < 3; i++)
		lists[i] = calloc(n, sizeof(*lists[i]));
	hashes = calloc(n, sizeof(*hashes));
	if (!lists[0] || !lists[1] || !lists[2] || !hashes) {
		pg_set_error(pg, "keep signatures", "out of memory", NULL);
		goto out;
	}
	/* As stored: the hash's bit pattern as a signed bigint. */
	for (j = 0; j < n; j++) {
		lists[0][j] = v[j].slug;
		lists[1][j] = v[j].sig;
		snprintf(hashes[j], sizeof(hashes[j]), "%lld", (long long)v[j].hash);
		lists[2][j] = hashes[j];
	}
	for (i = 0; i < 3; i++) {
		rc = pg_text_array_encode(&arrays[i], lists[i], n);
		if (rc != QUIRE_OK) {
			pg_set_error(pg, "keep signatures", "cannot encode", NULL);
			goto out;
		}
		values[i] = arrays[i].data;
		lengths[i] = (int)arrays[i].len;
	}
	rc = pg_ready(pg, 0);
	if (rc != QUIRE_OK)
		goto out;
	rc = pg_exec_simple(pg, "keep signatures",
			    "BEGIN; SET LOCAL synchronous_commit = off", NULL);
	if (rc != QUIRE_OK)
		goto out;
	res = PQexecParams(pg->conn, keep_sigs_sql, 3, NULL, values, lengths,
			   formats, 0);
	if (!res || PQresultStatus(res) != PGRES_COMMAND_OK) {
		pg_fail(pg, "keep signatures", res);
		pg_rollback(pg);
		rc = QUIRE_EIO;
		goto out;
	}
	rc = pg_exec_simple(pg, "keep signatures", "COMMIT", NULL);
	if (rc != QUIRE_OK)
		pg_rollback(pg);
out:
	PQclear(res);
	for (i = 0; i < 3; i++) {
		buf_release(&arrays[i]);
		free(lists[i]);
	}
	free(hashes);
	return rc;
}
