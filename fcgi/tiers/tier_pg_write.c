/*
 * tier_pg_write.c - the HTTP API's writes, many to a transaction
 *
 * A durable commit costs an fsync; one transaction per write caps the
 * rate at what the disk flushes one by one (pgbench: 1.6k a second with
 * one client here). The committer (committer.c) hands over everything
 * its workers sent meanwhile, and it goes in one pipeline: BEGIN, the
 * statements, a Sync; then the generation bump and COMMIT, or ROLLBACK
 * when nothing applied. Every write of the batch is acknowledged by
 * that one COMMIT.
 *
 * A write with a precondition (If-Match, If-None-Match: lib/precond.h),
 * or on a slug written twice in the batch, is one statement with its
 * precondition inside it (PG_STMT_PUT_IF, PG_STMT_DELETE_IF: no round
 * trip between two, nor between the check and the write), in the order
 * they came. The plain puts of the other slugs (most of them) share
 * statements of 64, 16 and 4 rows: the server starts an executor per
 * statement, and that start-up is much of a small upsert's cost. Their
 * order does not matter: no other write of the batch touches them.
 *
 * A slug a content file gives is that file's (DESIGN §7): the writing
 * statements leave a row of origin content alone (tier_pg_conn.c), so
 * the decision is the row's newest version, in this transaction. A
 * query after the writes, in the same pipeline and transaction, names
 * the content posts among the batch's slugs: a write that did not apply
 * to one of them is QUIRE_EOWNED, with the file's path, and is that
 * write's own outcome; the rest of the batch commits.
 *
 * Two slugs equal but for letter case are one post (DESIGN §3): the
 * unique index posts_slug_lower (schema step 8) refuses the second, even
 * when both come in one batch or at one instant. That error aborts the
 * transaction, so the batch is run again one write at a time
 * (one_by_one), and the write refused alone is QUIRE_ECASE, its own
 * outcome; the others commit.
 *
 * Like a deploy it is never retried on a fresh connection: a statement
 * run again after a reset would run outside the transaction that began
 * on the old one, and a COMMIT whose answer never came may or may not
 * have committed, so it is reported as a failure (nothing acknowledged
 * that is not known durable).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "lib/limits.h"
#include "lib/precond.h"
#include "lib/quire.h"
#include "tiers/tier_pg.h"
#include "tiers/tier_pg_private.h"

/* Writes a batch may hold: the committer's batches are smaller, and what
 * the server writes back before the Sync stays far below a socket
 * buffer (a blocking pipeline deadlocks when both directions fill). */
#define PG_WRITE_MAX 1024

/* One op's parameters, and whether it went into the pipeline. */
struct wparams {
	struct upsert_row w;
	int grouped;             /* in a statement of several rows */
	const char *values[PG_PUT_IF_NPARAMS];
	int lengths[PG_PUT_IF_NPARAMS];
	int formats[PG_PUT_IF_NPARAMS];
	char flags[4];           /* the precondition, in binary */
	char match[PG_INT8_ARRAY_SIZE(QUIRE_MAX_ETAGS)];
	char none[PG_INT8_ARRAY_SIZE(QUIRE_MAX_ETAGS)];
	long long revision;
	int sent;
	int twin;                /* refused by posts_slug_lower: a case twin */
};

/* Whether res is PostgreSQL refusing a row for posts_slug_lower (schema
 * step 8): a slug equal but for case to one held. */
static int case_twin_error(const PGresult *res)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *name = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);

	return state && name && strcmp(state, "23505") == 0 &&
	       strcmp(name, "posts_slug_lower") == 0;
}

/* The last three of the np parameters in p: op's precondition. */
static void cond_params(const struct precond *c, struct wparams *p, int np)
{
	static const struct precond none;

	if (!c)
		c = &none;
	pg_put_be32(p->flags, c->flags);
	p->values[np - 3] = p->flags;
	p->lengths[np - 3] = 4;
	p->values[np - 2] = p->match;
	p->lengths[np - 2] = (int)pg_int8_array_put(p->match, c->match, c->n_match);
	p->values[np - 1] = p->none;
	p->lengths[np - 1] = (int)pg_int8_array_put(p->none, c->none, c->n_none);
}

/* Fills p from op, or sets op->rc and leaves it unsent. */
static void op_params(struct tier_pg *pg, struct tier_pg_op *op,
		      struct wparams *p)
{
	const char *api = record_origin_name(RECORD_ORIGIN_API);
	int i, np;
	enum quire_err rc;

	op->rc = QUIRE_EINVAL;
	if (op->cond && !precond_valid(op->cond)) {
		pg_set_error(pg, "write", "an invalid precondition", NULL);
		return;
	}
	if (!op->rec) {
		if (!op->slug || !post_slug_valid(op->slug) ||
		    pg_param_str(p->values, p->lengths, 0, op->slug) != QUIRE_OK) {
			pg_set_error(pg, "delete", "an invalid slug", NULL);
			return;
		}
		np = PG_DELETE_IF_NPARAMS;
	} else {
		if (pg_record_check(op->rec) != QUIRE_OK) {
			/* The slug is not quoted: it may be what is wrong. */
			pg_set_error(pg, "put", "the record is incomplete or its"
				     " slug invalid", NULL);
			return;
		}
		rc = record_to_post(op->rec, &p->w.post);
		if (rc == QUIRE_OK)
			rc = pg_upsert_fill(p->values, p->lengths, &p->w, op->rec);
		if (rc != QUIRE_OK) {
			op->rc = rc == QUIRE_ENOMEM ? rc : QUIRE_EPARSE;
			pg_set_error(pg, "put", rc == QUIRE_ENOMEM ? "out of memory" :
				     "the frontmatter does not parse or a field is"
				     " out of range", NULL);
			return;
		}
		p->values[2] = api;
		p->lengths[2] = (int)strlen(api);
		np = PG_PUT_IF_NPARAMS;
	}
	cond_params(op->cond, p, np);
	for (i = 0; i < np; i++)
		p->formats[i] = 1;
	p->sent = 1;
	op->rc = QUIRE_EIO; /* until the commit says otherwise */
}

static enum quire_err send_sql(struct tier_pg *pg, const char *sql)
{
	if (PQsendQueryParams(pg->conn, sql, 0, NULL, NULL, NULL, NULL, 0))
		return QUIRE_OK;
	pg_fail(pg, "write", NULL);
	return QUIRE_EIO;
}

static enum quire_err send_op(struct tier_pg *pg, const struct tier_pg_op *op,
			      const struct wparams *p)
{
	enum pg_stmt s = op->rec ? PG_STMT_PUT_IF : PG_STMT_DELETE_IF;

	if (PQsendQueryPrepared(pg->conn, pg_stmts[s].name, pg_stmts[s].nparams,
				p->values, p->lengths, p->formats, 0))
		return QUIRE_OK;
	pg_fail(pg, "write", NULL);
	return QUIRE_EIO;
}

/* A statement of the batch: one op, or count grouped puts from g[first]. */
struct wstmt {
	enum pg_stmt s;
	size_t op;               /* a single op's index */
	size_t first, count;     /* a group's place in the group list */
};

static const enum pg_stmt group_sizes[] = {
	PG_STMT_UPSERT_MANY, PG_STMT_UPSERT_16, PG_STMT_UPSERT_4, PG_STMT_UPSERT,
};

static const struct tier_pg_op *sort_ops;

static int by_slug(const void *a, const void *b)
{
	const struct tier_pg_op *x = &sort_ops[*(const size_t *)a];
	const struct tier_pg_op *y = &sort_ops[*(const size_t *)b];

	return strcmp(x->rec ? x->rec->slug : x->slug,
		      y->rec ? y->rec->slug : y->slug);
}

/*
 * Marks the plain puts on slugs no other write of the batch touches,
 * lists them in g (*ng of them), and plans the statements into st
 * (*nst): the groups first, then the other writes in their order.
 */
static void plan(struct tier_pg_op *ops, size_t n, struct wparams *p,
		 size_t *order, size_t *g, size_t *ng, struct wstmt *st,
		 size_t *nst)
{
	size_t i, j, k, rows, left;

	*ng = *nst = 0;
	for (i = 0, k = 0; i < n; i++)
		if (p[i].sent)
			order[k++] = i;
	sort_ops = ops;
	qsort(order, k, sizeof(*order), by_slug);
	for (i = 0; i < k; i = j) {
		for (j = i + 1; j < k && by_slug(&order[i], &order[j]) == 0; j++)
			;
		if (j == i + 1 && ops[order[i]].rec &&
		    (!ops[order[i]].cond || precond_is_none(ops[order[i]].cond)))
			p[order[i]].grouped = 1;
	}
	for (i = 0; i < n; i++)
		if (p[i].grouped)
			g[(*ng)++] = i;
	for (i = 0, left = *ng; left > 0;) {
		for (j = 0; (size_t)pg_upsert_rows(group_sizes[j]) > left; j++)
			;
		rows = (size_t)pg_upsert_rows(group_sizes[j]);
		st[*nst].s = group_sizes[j];
		st[*nst].first = i;
		st[(*nst)++].count = rows;
		i += rows;
		left -= rows;
	}
	for (i = 0; i < n; i++) {
		if (!p[i].sent || p[i].grouped)
			continue;
		st[*nst].s = ops[i].rec ? PG_STMT_PUT_IF : PG_STMT_DELETE_IF;
		st[*nst].op = i;
		st[(*nst)++].count = 0;
	}
}

/* Sends group statement t: its rows' upsert parameters side by side. */
static enum quire_err send_group(struct tier_pg *pg, const struct wstmt *t,
				 const size_t *g, const struct wparams *p,
				 const char **values, int *lengths,
				 int *formats)
{
	size_t r, i, at;

	for (r = 0; r < t->count; r++) {
		at = r * PG_UPSERT_NPARAMS;
		for (i = 0; i < PG_UPSERT_NPARAMS; i++) {
			values[at + i] = p[g[t->first + r]].values[i];
			lengths[at + i] = p[g[t->first + r]].lengths[i];
			formats[at + i] = 1;
		}
	}
	if (PQsendQueryPrepared(pg->conn, pg_stmts[t->s].name,
				(int)(t->count * PG_UPSERT_NPARAMS), values, lengths,
				formats, 0))
		return QUIRE_OK;
	pg_fail(pg, "write", NULL);
	return QUIRE_EIO;
}

/* The rows (slug, revision) a group statement returned, matched to its
 * puts by slug (the server promises no order). A put of a slug a content
 * file holds returns no row: it keeps rc QUIRE_EIO until the owners'
 * query (owners_result) says whose the slug is. */
static enum quire_err group_result(struct tier_pg *pg, const struct wstmt *t,
				   const size_t *g, struct tier_pg_op *ops,
				   struct wparams *p, const PGresult *res)
{
	size_t r, k, rows;
	long long rev;
	const char *slug;
	struct tier_pg_op *op;

	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		if (PQresultStatus(res) != PGRES_PIPELINE_ABORTED)
			pg_fail(pg, "put", res);
		/* a statement of one row: that row's own outcome, told by
		 * tier_pg_write once the transaction is ended */
		if (t->count == 1 && case_twin_error(res))
			p[g[t->first]].twin = 1;
		return QUIRE_EIO;
	}
	rows = (size_t)PQntuples(res);
	if (rows > t->count) {
		pg_set_error(pg, "put", "an upsert returned the wrong rows", NULL);
		return QUIRE_EIO;
	}
	for (r = 0; r < rows; r++) {
		slug = PQgetvalue(res, (int)r, 0);
		if (pg_col_ll(res, (int)r, 1, &rev) != QUIRE_OK)
			return QUIRE_EIO;
		for (k = 0; k < t->count; k++) {
			op = &ops[g[t->first + (r + k) % t->count]];
			if (op->rc != QUIRE_OK && strcmp(op->rec->slug, slug) == 0)
				break;
		}
		if (k == t->count) {
			pg_set_error(pg, "put", "an upsert returned a slug it was not"
				     " sent", NULL);
			return QUIRE_EIO;
		}
		op->rc = QUIRE_OK;
		op->created = rev == 1;
		p[g[t->first + (r + k) % t->count]].revision = rev;
	}
	return QUIRE_OK;
}

/*
 * Sends a Sync and reads the results of the n queries before it into
 * res[0..n). A healthy pipeline gives each query's result then NULL, and
 * the Sync's own; two NULLs in a row mean the connection went away.
 * QUIRE_OK or QUIRE_EIO (the connection is then marked broken).
 */
static enum quire_err sync_read(struct tier_pg *pg, PGresult **res, size_t n)
{
	PGresult *r;
	size_t got = 0;
	int nulls = 0;

	if (!PQpipelineSync(pg->conn))
		goto lost;
	for (;;) {
		r = PQgetResult(pg->conn);
		if (!r) {
			if (++nulls > 1 || PQstatus(pg->conn) == CONNECTION_BAD)
				goto lost;
			continue;
		}
		nulls = 0;
		if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
			PQclear(r);
			if (got == n)
				return QUIRE_OK;
			goto lost;
		}
		if (got == n) {
			/* More results than queries: the stream is not ours. */
			pg_fail(pg, "write", r);
			PQclear(r);
			pg->broken = 1;
			return QUIRE_EIO;
		}
		res[got++] = r;
	}
lost:
	pg_fail(pg, "write", NULL);
	pg->broken = 1;
	return QUIRE_EIO;
}

static void clear_all(PGresult **res, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		PQclear(res[i]);
		res[i] = NULL;
	}
}

/* What the statement of op answered: rc and, for a put, p->revision. */
static enum quire_err op_result(struct tier_pg *pg, struct tier_pg_op *op,
				struct wparams *p, const PGresult *res)
{
	long long deleted;

	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		if (PQresultStatus(res) != PGRES_PIPELINE_ABORTED)
			pg_fail(pg, op->rec ? "put" : "delete", res);
		if (op->rec && case_twin_error(res))
			p->twin = 1;
		return QUIRE_EIO;
	}
	if (op->rec) {
		if (PQntuples(res) == 0) {
			op->rc = QUIRE_ECONFLICT;
			return QUIRE_OK;
		}
		if (PQntuples(res) != 1 ||
		    pg_col_ll(res, 0, 1, &p->revision) != QUIRE_OK) {
			pg_set_error(pg, "put", "no revision returned", NULL);
			return QUIRE_EIO;
		}
		op->rc = QUIRE_OK;
		op->created = p->revision == 1;
		return QUIRE_OK;
	}
	if (PQntuples(res) != 1 || pg_col_ll(res, 0, 0, &deleted) != QUIRE_OK ||
	    PQgetisnull(res, 0, 1)) {
		pg_set_error(pg, "delete", "a malformed answer", NULL);
		return QUIRE_EIO;
	}
	op->rc = deleted == 1 ? QUIRE_OK :
		 strcmp(PQgetvalue(res, 0, 1), "t") == 0 ? QUIRE_ECONFLICT :
		 QUIRE_ENOTFOUND;
	return QUIRE_OK;
}

/* Sends the owners' query: which of the sent ops' slugs are content
 * posts, once the writes before it in the pipeline have run. */
static enum quire_err send_owners(struct tier_pg *pg,
				  const struct tier_pg_op *ops, size_t n,
				  const struct wparams *p, struct buf *arr)
{
	const char *values[1];
	int lengths[1], formats[1] = { 1 };
	char **slugs = calloc(n ? n : 1, sizeof(*slugs));
	size_t i, k = 0;
	enum quire_err rc;

	if (!slugs) {
		pg_set_error(pg, "write", "out of memory", NULL);
		return QUIRE_ENOMEM;
	}
	for (i = 0; i < n; i++)
		if (p[i].sent)
			slugs[k++] = (char *)(ops[i].rec ? ops[i].rec->slug :
					      ops[i].slug);
	rc = pg_text_array_encode(arr, slugs, k);
	free(slugs);
	if (rc != QUIRE_OK) {
		pg_set_error(pg, "write", "cannot encode the slugs", NULL);
		return rc;
	}
	values[0] = arr->data;
	lengths[0] = (int)arr->len;
	if (PQsendQueryPrepared(pg->conn, pg_stmts[PG_STMT_CONTENT_OWNED].name,
				1, values, lengths, formats, 0))
		return QUIRE_OK;
	pg_fail(pg, "write", NULL);
	return QUIRE_EIO;
}

/*
 * What the owners' query answered: each sent op that did not apply (a
 * failed precondition, nothing to delete, or a grouped put with no row
 * back) on a slug a content file holds is QUIRE_EOWNED, with the path.
 * The rows it reads are those this transaction's writes left alone and
 * locked, so the answer is what the writes were decided on. A grouped
 * put left without a row and without an owner is a server that does not
 * say why: it stays QUIRE_EIO (not acknowledged).
 */
static enum quire_err owners_result(struct tier_pg *pg, struct tier_pg_op *ops,
				    size_t n, const struct wparams *p,
				    const PGresult *res)
{
	const char *slug;
	size_t i;
	int r, rows;

	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		if (PQresultStatus(res) != PGRES_PIPELINE_ABORTED)
			pg_fail(pg, "write owners", res);
		return QUIRE_EIO;
	}
	rows = PQntuples(res);
	for (i = 0; i < n; i++) {
		if (!p[i].sent || ops[i].rc == QUIRE_OK)
			continue;
		slug = ops[i].rec ? ops[i].rec->slug : ops[i].slug;
		for (r = 0; r < rows; r++)
			if (strcmp(PQgetvalue(res, r, 0), slug) == 0)
				break;
		if (r < rows) {
			ops[i].rc = QUIRE_EOWNED;
			ops[i].owner = PQgetisnull(res, r, 1) ? NULL :
				       strdup(PQgetvalue(res, r, 1));
		} else if (ops[i].rc == QUIRE_EIO) {
			pg_set_error(pg, "put", "an upsert returned no row for"
				     " a slug no content file holds", NULL);
		}
	}
	return QUIRE_OK;
}

static void owners_free(struct tier_pg_op *ops, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(ops[i].owner);
		ops[i].owner = NULL;
	}
}

/* The end of the transaction: bump and COMMIT when something applied,
 * else ROLLBACK. *gen gets the new generation (0 when none). The commit
 * waits for its WAL to reach the disk whatever the role's or the
 * database's default says (PG_SYNC_COMMIT_SQL): a write is answered
 * 2xx only once the COMMIT answered, and that answer must mean durable. */
static enum quire_err finish(struct tier_pg *pg, int applied, long long *gen)
{
	PGresult *res[3] = { NULL, NULL, NULL };
	enum quire_err rc;

	*gen = 0;
	if (!applied) {
		rc = send_sql(pg, "ROLLBACK");
		if (rc == QUIRE_OK)
			rc = sync_read(pg, res, 1);
		clear_all(res, 1);
		return QUIRE_OK; /* nothing was to be committed */
	}
	rc = send_sql(pg, PG_SYNC_COMMIT_SQL);
	if (rc != QUIRE_OK)
		return rc;
	if (!PQsendQueryPrepared(pg->conn, pg_stmts[PG_STMT_BUMP].name, 0, NULL,
				 NULL, NULL, 0)) {
		pg_fail(pg, "write generation", NULL);
		return QUIRE_EIO;
	}
	rc = send_sql(pg, "COMMIT");
	if (rc == QUIRE_OK)
		rc = sync_read(pg, res, 3);
	if (rc != QUIRE_OK)
		goto out;
	rc = QUIRE_EIO;
	if (PQresultStatus(res[0]) != PGRES_COMMAND_OK) {
		pg_fail(pg, "write synchronous_commit", res[0]);
		goto out;
	}
	if (PQresultStatus(res[1]) != PGRES_TUPLES_OK) {
		pg_fail(pg, "write generation", res[1]);
		goto out;
	}
	if (PQntuples(res[1]) != 1 || pg_col_ll(res[1], 0, 0, gen) != QUIRE_OK) {
		pg_set_error(pg, "write generation", "the site row is missing", NULL);
		goto out;
	}
	/* A COMMIT in a failed transaction "succeeds" as ROLLBACK. */
	if (PQresultStatus(res[2]) != PGRES_COMMAND_OK) {
		pg_fail(pg, "write commit", res[2]);
		goto out;
	}
	if (strcmp(PQcmdStatus(res[2]), "COMMIT") != 0) {
		pg_set_error(pg, "write commit", "the transaction was rolled back",
			     NULL);
		goto out;
	}
	rc = QUIRE_OK;
out:
	if (rc != QUIRE_OK)
		*gen = 0;
	clear_all(res, 3);
	return rc;
}

/* Leaves pipeline mode, or marks the connection for a reset. */
static void pipeline_exit(struct tier_pg *pg)
{
	if (!pg->broken && !PQexitPipelineMode(pg->conn))
		pg->broken = 1;
	if (!pg->broken)
		pg_rollback(pg);
}

/* Runs each sent op of a batch the server refused on its own. */
static enum quire_err one_by_one(struct tier_pg *pg, struct tier_pg_op *ops,
				  size_t n, struct wparams *p,
				  long long *generation)
{
	long long g;
	size_t i;
	enum quire_err rc = QUIRE_OK;

	for (i = 0; i < n; i++) {
		if (!p[i].sent)
			continue;
		g = 0;
		if (tier_pg_write(pg, &ops[i], 1, &g) != QUIRE_OK) {
			ops[i].rc = QUIRE_EIO;
			if (pg->broken || PQstatus(pg->conn) != CONNECTION_OK)
				rc = QUIRE_EIO; /* the rest would fail too */
		}
		if (g > *generation)
			*generation = g;
		if (rc != QUIRE_OK)
			break;
	}
	for (; i < n; i++)
		if (p[i].sent && rc != QUIRE_OK)
			ops[i].rc = QUIRE_EIO;
	return *generation || rc == QUIRE_OK ? QUIRE_OK : rc;
}

/* What a batch of n writes needs besides its ops, in one allocation. */
struct wscratch {
	struct wparams *p;       /* one per op */
	PGresult **res;          /* BEGIN's, one per statement, the owners' */
	struct buf slugs;        /* the owners' query's parameter */
	struct wstmt *st;        /* the statements */
	size_t *g, *order;       /* grouped ops; ops by slug */
	const char *gvalues[PG_UPSERT_ROWS * PG_UPSERT_NPARAMS];
	int glengths[PG_UPSERT_ROWS * PG_UPSERT_NPARAMS];
	int gformats[PG_UPSERT_ROWS * PG_UPSERT_NPARAMS];
};

static void scratch_free(struct wscratch *w, size_t n)
{
	size_t i;

	if (!w)
		return;
	for (i = 0; w->p && i < n; i++) {
		post_free(w->p[i].w.post);
		pg_upsert_row_release(&w->p[i].w);
	}
	free(w->p);
	free(w->res);
	buf_release(&w->slugs);
	free(w->st);
	free(w->g);
	free(w->order);
	free(w);
}

static struct wscratch *scratch_new(size_t n)
{
	struct wscratch *w = calloc(1, sizeof(*w));
	size_t i, m = n ? n : 1;

	if (!w)
		return NULL;
	w->p = calloc(m, sizeof(*w->p));
	w->res = calloc(m + 2, sizeof(*w->res));
	buf_init(&w->slugs);
	w->st = calloc(m, sizeof(*w->st));
	w->g = calloc(m, sizeof(*w->g));
	w->order = calloc(m, sizeof(*w->order));
	if (!w->p || !w->res || !w->st || !w->g || !w->order) {
		scratch_free(w, 0);
		return NULL;
	}
	for (i = 0; i < n; i++)
		pg_upsert_row_init(&w->p[i].w);
	return w;
}

/* The batch of n ops in one transaction (tier_pg_write). */
static enum quire_err write_batch(struct tier_pg *pg, struct tier_pg_op *ops,
				  size_t n, long long *generation)
{
	struct wscratch *w;
	struct wparams *p;
	PGresult **res;
	struct wstmt *st;
	size_t i, sent = 0, applied = 0, ng, nst, r;
	int refused = 0;
	enum quire_err rc;
	long long gen = 0;

	*generation = 0;
	if (n > PG_WRITE_MAX || (n && !ops))
		return QUIRE_EINVAL;
	w = scratch_new(n);
	if (!w) {
		pg_set_error(pg, "write", "out of memory", NULL);
		return QUIRE_ENOMEM;
	}
	p = w->p;
	res = w->res;
	st = w->st;
	for (i = 0; i < n; i++) {
		ops[i].created = 0;
		ops[i].owner = NULL;
		op_params(pg, &ops[i], &p[i]);
		sent += (size_t)p[i].sent;
	}
	rc = QUIRE_OK;
	if (!sent)
		goto out;
	/* A writer (the committer) lives long: all of them at once. */
	rc = pg_ready(pg, PG_STMTS_ALL);
	if (rc != QUIRE_OK)
		goto out;
	if (!PQenterPipelineMode(pg->conn)) {
		pg_fail(pg, "write pipeline", NULL);
		rc = QUIRE_EIO;
		goto out;
	}
	plan(ops, n, p, w->order, w->g, &ng, st, &nst);
	rc = send_sql(pg, "BEGIN");
	for (r = 0; r < nst && rc == QUIRE_OK; r++)
		rc = st[r].count ? send_group(pg, &st[r], w->g, p, w->gvalues,
					      w->glengths, w->gformats) :
			send_op(pg, &ops[st[r].op], &p[st[r].op]);
	if (rc == QUIRE_OK)
		rc = send_owners(pg, ops, n, p, &w->slugs);
	if (rc == QUIRE_OK)
		rc = sync_read(pg, res, nst + 2);
	if (rc == QUIRE_OK && PQresultStatus(res[0]) != PGRES_COMMAND_OK) {
		pg_fail(pg, "write begin", res[0]);
		rc = QUIRE_EIO;
	}
	for (r = 0; r < nst && rc == QUIRE_OK; r++) {
		if (st[r].count) {
			if (group_result(pg, &st[r], w->g, ops, p, res[r + 1]) !=
			    QUIRE_OK)
				refused = 1;
			continue;
		}
		if (op_result(pg, &ops[st[r].op], &p[st[r].op], res[r + 1]) !=
		    QUIRE_OK)
			refused = 1;
	}
	if (rc == QUIRE_OK && !refused &&
	    owners_result(pg, ops, n, p, res[nst + 1]) != QUIRE_OK)
		refused = 1;
	for (i = 0; i < n && rc == QUIRE_OK && !refused; i++)
		applied += ops[i].rc == QUIRE_OK;
	clear_all(res, n + 2);
	if (rc == QUIRE_OK && refused) {
		/* The transaction is aborted: end it, then one at a time. */
		owners_free(ops, n);
		finish(pg, 0, &gen);
		pipeline_exit(pg);
		if (n > 1)
			rc = one_by_one(pg, ops, n, p, generation);
		/* alone, a case twin is that write's outcome (the batch
		 * of several came here, one write at a time) */
		for (i = 0; n == 1 && i < n; i++)
			ops[i].rc = p[i].twin ? QUIRE_ECASE : QUIRE_EIO;
		goto out;
	}
	if (rc == QUIRE_OK)
		rc = finish(pg, applied > 0, &gen);
	pipeline_exit(pg);
	if (rc != QUIRE_OK)
		goto out;
	*generation = gen;
	for (i = 0; i < n; i++) {
		if (ops[i].rc != QUIRE_OK || !ops[i].rec)
			continue;
		ops[i].rec->revision = p[i].revision;
		ops[i].rec->generation = gen;
		ops[i].rec->origin = RECORD_ORIGIN_API;
	}
out:
	if (rc != QUIRE_OK) {
		owners_free(ops, n);
		for (i = 0; i < n; i++)
			if (p[i].sent)
				ops[i].rc = QUIRE_EIO;
	}
	scratch_free(w, n);
	return rc;
}

/* One write as a batch of one: expect_revision (-1 none, 0 must not
 * exist, N at N) as a precondition; the outcome is the write's own. */
static enum quire_err write_one(struct tier_pg *pg, const char *slug,
				struct record *rec, long long expect_revision,
				int *created, long long *generation)
{
	struct precond c;
	struct tier_pg_op op = { slug, rec, &c, QUIRE_OK, 0, NULL };
	long long g = 0;
	enum quire_err rc;

	if (created)
		*created = 0;
	if (generation)
		*generation = 0;
	if (precond_from_expect(expect_revision, &c) != QUIRE_OK)
		return QUIRE_EINVAL;
	rc = tier_pg_write(pg, &op, 1, &g);
	free(op.owner);
	if (rc != QUIRE_OK)
		return rc;
	if (op.rc == QUIRE_OK) {
		if (created)
			*created = op.created;
		if (generation)
			*generation = g;
	}
	return op.rc;
}

enum quire_err tier_pg_put(struct tier_pg *pg, struct record *rec,
			   long long expect_revision, int *created,
			   long long *generation)
{
	return write_one(pg, NULL, rec, expect_revision, created, generation);
}

enum quire_err tier_pg_delete(struct tier_pg *pg, const char *slug,
			      long long expect_revision, long long *generation)
{
	return write_one(pg, slug, NULL, expect_revision, NULL, generation);
}

enum quire_err tier_pg_write(struct tier_pg *pg, struct tier_pg_op *ops,
			     size_t n, long long *generation)
{
	long long g = 0;
	enum quire_err rc = write_batch(pg, ops, n, generation);

	/*
	 * A write alone refused as a case twin may instead have raced a
	 * write of the very same slug: PostgreSQL checks ON CONFLICT's
	 * arbiter (the slug) before it inserts, and the other unique index,
	 * on lower(slug), then waits for the racing insert and refuses once
	 * it commits. Run again, the statement finds that row by its slug
	 * and decides by it (a conflict, or an update); refused again, the
	 * twin is real.
	 */
	if (rc == QUIRE_OK && n == 1 && ops[0].rc == QUIRE_ECASE) {
		rc = write_batch(pg, ops, 1, &g);
		if (g > *generation)
			*generation = g;
	}
	return rc;
}
