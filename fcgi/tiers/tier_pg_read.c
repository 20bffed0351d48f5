/*
 * tier_pg_read.c - the PostgreSQL tier's reads: posts, the index, the
 * site, slugs, listings and content hashes
 *
 * Reads rebuild a record from the stored source. Being safe to repeat,
 * a prepared read that meets a connection that died under it is run
 * once more on a fresh one (pg_exec_read).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "content/record.h"
#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/quire.h"
#include "tiers/tier_pg.h"
#include "tiers/tier_pg_private.h"

enum quire_err tier_pg_generation(struct tier_pg *pg, long long *generation)
{
	PGresult *res;
	enum quire_err rc;

	*generation = 0;
	rc = pg_exec_read(pg, PG_STMT_GENERATION, 0, NULL, NULL, NULL, &res);
	if (rc != QUIRE_OK)
		return rc;
	if (PQntuples(res) != 1 || pg_col_ll(res, 0, 0, generation) != QUIRE_OK) {
		pg_set_error(pg, "generation", "the site row is missing", NULL);
		rc = QUIRE_EIO;
	}
	PQclear(res);
	return rc;
}

enum quire_err tier_pg_site(struct tier_pg *pg, struct tier_pg_site *out)
{
	PGresult *res = NULL;
	enum quire_err rc;

	memset(out, 0, sizeof(*out));
	rc = pg_ready(pg, 0);
	if (rc != QUIRE_OK)
		return rc;
	rc = pg_exec_simple(pg, "site", "SELECT generation, uid, stamp FROM site",
			    &res);
	if (rc != QUIRE_OK)
		return rc;
	if (PQntuples(res) != 1 ||
	    pg_col_ll(res, 0, 0, &out->generation) != QUIRE_OK ||
	    PQgetisnull(res, 0, 1) || PQgetisnull(res, 0, 2) ||
	    (size_t)PQgetlength(res, 0, 1) >= sizeof(out->uid) ||
	    (size_t)PQgetlength(res, 0, 2) >= sizeof(out->stamp)) {
		pg_set_error(pg, "site", "the site row is missing", NULL);
		rc = QUIRE_EIO;
	} else {
		memcpy(out->uid, PQgetvalue(res, 0, 1),
		       (size_t)PQgetlength(res, 0, 1) + 1);
		memcpy(out->stamp, PQgetvalue(res, 0, 2),
		       (size_t)PQgetlength(res, 0, 2) + 1);
	}
	PQclear(res);
	return rc;
}

/* Row row of res (the PG_COL_* layout) as a new record in *out. */
static enum quire_err row_to_record(struct tier_pg *pg, const PGresult *res,
				    int row, struct record **out)
{
	struct record *r;
	long long v;
	int len;
	enum quire_err rc = QUIRE_ENOMEM;

	*out = NULL;
	r = record_new();
	if (!r)
		return QUIRE_ENOMEM;
	if (pg_col_dup(res, row, PG_COL_SLUG, &r->slug) != QUIRE_OK ||
	    pg_col_dup(res, row, PG_COL_PATH, &r->path) != QUIRE_OK ||
	    pg_col_dup(res, row, PG_COL_HTML, &r->html) != QUIRE_OK ||
	    pg_col_dup(res, row, PG_COL_TOC, &r->toc_html) != QUIRE_OK)
		goto out;
	/* Counted, not strlen: the length libpq reports is the stored one. */
	len = PQgetlength(res, row, PG_COL_SOURCE);
	r->source = malloc((size_t)len + 1);
	if (!r->source)
		goto out;
	memcpy(r->source, PQgetvalue(res, row, PG_COL_SOURCE), (size_t)len);
	r->source[len] = '\0';
	r->source_len = (size_t)len;
	rc = QUIRE_EPARSE;
	if (!r->slug ||
	    record_kind_parse(PQgetvalue(res, row, PG_COL_KIND), &r->kind) != QUIRE_OK ||
	    record_origin_parse(PQgetvalue(res, row, PG_COL_ORIGIN), &r->origin) != QUIRE_OK)
		goto out;
	if (pg_col_ll(res, row, PG_COL_BODY_OFFSET, &v) != QUIRE_OK || v < 0 ||
	    (unsigned long long)v > r->source_len)
		goto out;
	r->body_offset = (size_t)v;
	if (pg_col_ll(res, row, PG_COL_WORDS, &v) != QUIRE_OK || v < 0)
		goto out;
	r->words = (size_t)v;
	if (!PQgetisnull(res, row, PG_COL_DATE)) {
		if (pg_col_ll(res, row, PG_COL_DATE, &r->date) != QUIRE_OK)
			goto out;
		r->has_date = 1;
	}
	if (pg_col_ll(res, row, PG_COL_HASH, &v) != QUIRE_OK)
		goto out;
	r->hash = (unsigned long long)v;
	if (pg_col_ll(res, row, PG_COL_REVISION, &r->revision) != QUIRE_OK)
		goto out;
	if (pg_col_ll(res, row, PG_COL_GENERATION, &r->generation) != QUIRE_OK)
		goto out;
	/* bounded as the Redis index bounds it: one too long (written by
	 * another build, or by hand) is none, the description shown */
	rc = QUIRE_ENOMEM;
	if (PQgetlength(res, row, PG_COL_SUMMARY) <= QUIRE_MAX_SUMMARY &&
	    pg_col_dup(res, row, PG_COL_SUMMARY, &r->summary_html) != QUIRE_OK)
		goto out;
	rc = QUIRE_OK;
out:
	if (rc == QUIRE_EPARSE)
		pg_set_error(pg, "read", "a stored post has a malformed column",
			     NULL);
	if (rc != QUIRE_OK) {
		record_free(r);
		return rc;
	}
	*out = r;
	return QUIRE_OK;
}

enum quire_err tier_pg_fetch(struct tier_pg *pg, const char *slug,
			     struct record **out)
{
	const char *values[1];
	int lengths[1], formats[1];
	PGresult *res;
	size_t len;
	enum quire_err rc;

	*out = NULL;
	if (!slug)
		return QUIRE_EINVAL;
	len = strlen(slug);
	if (len > INT_MAX)
		return QUIRE_EINVAL;
	values[0] = slug;
	lengths[0] = (int)len;
	formats[0] = 1;
	rc = pg_exec_read(pg, PG_STMT_FETCH, 1, values, lengths, formats, &res);
	if (rc != QUIRE_OK)
		return rc;
	if (PQntuples(res) == 0)
		rc = QUIRE_ENOTFOUND;
	else
		rc = row_to_record(pg, res, 0, out);
	PQclear(res);
	return rc;
}

/* A row's reader for pg_read_each: fills elem from row i and returns
 * QUIRE_OK or an error, or PG_ROW_SKIP to leave the row out. */
#define PG_ROW_SKIP (-1)
_Static_assert(PG_ROW_SKIP < QUIRE_OK, "PG_ROW_SKIP is no QUIRE_* code");
typedef int (*pg_row_fn)(struct tier_pg *pg, const PGresult *res, int i,
			 void *elem, void *ctx);
/* Frees an array of n elements and what each holds. */
typedef void (*pg_rows_free_fn)(void *v, size_t n);

/*
 * Runs statement s with its nparams text parameters (values) and reads
 * each row with row() into an array of size-byte elements (zeroed; at
 * least one, so that an empty result is not a NULL): QUIRE_OK with the
 * array in *array_ptr (a pointer to the array's pointer) and its length
 * in *n, for the caller to free with release(). On a failure the rows
 * read so far, the one that failed included (partly filled is fine),
 * go to release() and nothing is left.
 */
static enum quire_err pg_read_each(struct tier_pg *pg, enum pg_stmt s,
				   int nparams, const char *const *values,
				   size_t size, pg_row_fn row, void *ctx,
				   pg_rows_free_fn release, void *array_ptr,
				   size_t *n)
{
	PGresult *res;
	char *v;
	size_t count = 0;
	int rows, i, got;
	enum quire_err rc = pg_exec_read(pg, s, nparams, values, NULL, NULL,
					 &res);

	*n = 0;
	memset(array_ptr, 0, sizeof(void *));
	if (rc != QUIRE_OK)
		return rc;
	rows = PQntuples(res);
	v = calloc(rows > 0 ? (size_t)rows : 1, size);
	if (!v) {
		PQclear(res);
		return QUIRE_ENOMEM;
	}
	for (i = 0; i < rows; i++) {
		/* a QUIRE_* code or PG_ROW_SKIP: an int, not the enum */
		got = row(pg, res, i, v + count * size, ctx);
		if (got == PG_ROW_SKIP)
			continue;
		if (got != QUIRE_OK) {
			release(v, count + 1);
			PQclear(res);
			return (enum quire_err)got;
		}
		count++;
	}
	PQclear(res);
	memcpy(array_ptr, &v, sizeof(v));
	*n = count;
	return QUIRE_OK;
}

static void records_release(void *v, size_t n)
{
	record_array_free(v, n);
}

/* The index's rows; ctx the generation, read from the first (the empty
 * site's one row has a NULL slug). */
struct index_read {
	long long *generation;
	int seen;
	char **config;
	size_t *config_len;
};

static int index_row(struct tier_pg *pg, const PGresult *res, int i,
		     void *elem, void *ctx)
{
	struct index_read *ir = ctx;

	if (i == 0) {
		if (pg_col_ll(res, 0, PG_COL_GENERATION, ir->generation) != QUIRE_OK) {
			pg_set_error(pg, "index", "the site row is malformed", NULL);
			return QUIRE_EIO;
		}
		ir->seen = 1;
		if (ir->config && !PQgetisnull(res, 0, PG_COL_CONFIG)) {
			if (pg_col_dup(res, 0, PG_COL_CONFIG, ir->config) != QUIRE_OK)
				return QUIRE_ENOMEM;
			*ir->config_len = (size_t)PQgetlength(res, 0, PG_COL_CONFIG);
		}
	}
	if (PQgetisnull(res, i, PG_COL_SLUG))
		return PG_ROW_SKIP;
	return row_to_record(pg, res, i, elem);
}

enum quire_err tier_pg_index(struct tier_pg *pg, struct record ***out,
			     size_t *n, long long *generation)
{
	return tier_pg_index_site(pg, out, n, generation, NULL, NULL);
}

enum quire_err tier_pg_index_site(struct tier_pg *pg, struct record ***out,
				  size_t *n, long long *generation,
				  char **config, size_t *config_len)
{
	struct index_read ir = { generation, 0, config, config_len };
	enum quire_err rc;

	*generation = 0;
	if (config) {
		*config = NULL;
		*config_len = 0;
	}
	rc = pg_read_each(pg, PG_STMT_INDEX, 0, NULL, sizeof(**out), index_row,
			  &ir, records_release, out, n);
	if (rc == QUIRE_OK && !ir.seen) {
		record_array_free(*out, *n);
		*out = NULL;
		*n = 0;
		pg_set_error(pg, "index", "the site row is missing", NULL);
		rc = QUIRE_EIO;
	}
	if (rc != QUIRE_OK && config) {
		free(*config);
		*config = NULL;
		*config_len = 0;
	}
	return rc;
}

static int slug_row(struct tier_pg *pg, const PGresult *res, int i,
		    void *elem, void *ctx)
{
	char **slug = elem;

	(void)pg;
	(void)ctx;
	*slug = strdup(PQgetvalue(res, i, 0));
	return *slug ? QUIRE_OK : QUIRE_ENOMEM;
}

static void strings_release(void *v, size_t n)
{
	quire_strings_free(v, n);
}

enum quire_err tier_pg_slugs(struct tier_pg *pg, char ***out, size_t *n)
{
	return pg_read_each(pg, PG_STMT_SLUGS, 0, NULL, sizeof(**out), slug_row,
			    NULL, strings_release, out, n);
}

enum quire_err tier_pg_api_owned(struct tier_pg *pg, char *const *slugs,
				 size_t n, char ***owned, size_t *n_owned)
{
	struct buf arr = BUF_INIT;
	const char *values[1];
	int lengths[1], formats[1] = { 1 }, i, rows;
	enum quire_err rc;
	PGresult *res;
	char **v;

	*owned = NULL;
	*n_owned = 0;
	if (n == 0)
		return QUIRE_OK;
	rc = pg_text_array_encode(&arr, slugs, n);
	if (rc != QUIRE_OK) {
		buf_release(&arr);
		return rc;
	}
	values[0] = arr.data;
	lengths[0] = (int)arr.len;
	rc = pg_exec_read(pg, PG_STMT_API_OWNED, 1, values, lengths, formats, &res);
	buf_release(&arr);
	if (rc != QUIRE_OK)
		return rc;
	rows = PQntuples(res);
	v = calloc(rows > 0 ? (size_t)rows : 1, sizeof(*v));
	for (i = 0; v && i < rows; i++)
		if (!(v[i] = strdup(PQgetvalue(res, i, 0)))) {
			quire_strings_free(v, (size_t)i);
			v = NULL;
		}
	PQclear(res);
	if (!v)
		return QUIRE_ENOMEM;
	*owned = v;
	*n_owned = (size_t)rows;
	return QUIRE_OK;
}

enum quire_err tier_pg_other_case(struct tier_pg *pg, const char *slug,
				  char **other)
{
	const char *values[1];
	int lengths[1], formats[1] = { 1 };
	PGresult *res;
	size_t len;
	enum quire_err rc;

	*other = NULL;
	if (!slug || (len = strlen(slug)) > INT_MAX)
		return QUIRE_EINVAL;
	values[0] = slug;
	lengths[0] = (int)len;
	rc = pg_exec_read(pg, PG_STMT_OTHER_CASE, 1, values, lengths, formats,
			  &res);
	if (rc != QUIRE_OK)
		return rc;
	if (PQntuples(res) > 0 && !(*other = strdup(PQgetvalue(res, 0, 0))))
		rc = QUIRE_ENOMEM;
	PQclear(res);
	return rc;
}

void tier_pg_listed_free(struct tier_pg_listed *v, size_t n)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < n; i++) {
		free(v[i].slug);
		free(v[i].title);
	}
	free(v);
}

static void listed_release(void *v, size_t n)
{
	tier_pg_listed_free(v, n);
}

static int listed_row(struct tier_pg *pg, const PGresult *res, int i,
		      void *elem, void *ctx)
{
	struct tier_pg_listed *e = elem;

	(void)ctx;
	if (pg_col_ll(res, i, 1, &e->revision) != QUIRE_OK ||
	    record_origin_parse(PQgetvalue(res, i, 2), &e->origin) != QUIRE_OK ||
	    record_kind_parse(PQgetvalue(res, i, 3), &e->kind) != QUIRE_OK ||
	    pg_col_ll(res, i, 7, &e->updated_at) != QUIRE_OK ||
	    (!PQgetisnull(res, i, 5) && pg_col_ll(res, i, 5, &e->date) != QUIRE_OK)) {
		pg_set_error(pg, "list", "a stored post has a malformed column", NULL);
		return QUIRE_EIO;
	}
	e->has_date = !PQgetisnull(res, i, 5);
	e->draft = strcmp(PQgetvalue(res, i, 6), "t") == 0;
	e->slug = strdup(PQgetvalue(res, i, 0));
	if (!e->slug)
		return QUIRE_ENOMEM;
	if (!PQgetisnull(res, i, 4) && !(e->title = strdup(PQgetvalue(res, i, 4))))
		return QUIRE_ENOMEM;
	return QUIRE_OK;
}

enum quire_err tier_pg_list(struct tier_pg *pg, const char *after,
			    const char *origin, size_t limit,
			    struct tier_pg_listed **out, size_t *n)
{
	const char *values[3];
	char lim[24];

	if (limit > TIER_PG_LIST_MAX + 1)
		limit = TIER_PG_LIST_MAX + 1;
	snprintf(lim, sizeof(lim), "%zu", limit);
	values[0] = after ? after : "";
	values[1] = origin ? origin : "";
	values[2] = lim;
	return pg_read_each(pg, PG_STMT_LIST, 3, values, sizeof(**out),
			    listed_row, NULL, listed_release, out, n);
}

static void hashes_release(void *v, size_t n)
{
	tier_pg_hashes_free(v, n);
}

static int hash_row(struct tier_pg *pg, const PGresult *res, int i,
		    void *elem, void *ctx)
{
	struct tier_pg_hash *e = elem;
	long long h;

	(void)ctx;
	if (pg_col_ll(res, i, 2, &h) != QUIRE_OK ||
	    record_kind_parse(PQgetvalue(res, i, 1), &e->kind) != QUIRE_OK) {
		pg_set_error(pg, "content hashes",
			     "a stored post has a malformed column", NULL);
		return QUIRE_EIO;
	}
	e->hash = (unsigned long long)h;
	if (!(e->slug = strdup(PQgetvalue(res, i, 0))) ||
	    (!PQgetisnull(res, i, 3) && !(e->path = strdup(PQgetvalue(res, i, 3)))) ||
	    (!PQgetisnull(res, i, 4) && !(e->sig = strdup(PQgetvalue(res, i, 4)))))
		return QUIRE_ENOMEM;
	return QUIRE_OK;
}

enum quire_err tier_pg_content_hashes(struct tier_pg *pg,
				      struct tier_pg_hash **out, size_t *n)
{
	return pg_read_each(pg, PG_STMT_HASHES, 0, NULL, sizeof(**out), hash_row,
			    NULL, hashes_release, out, n);
}

void tier_pg_hashes_free(struct tier_pg_hash *v, size_t n)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < n; i++) {
		free(v[i].slug);
		free(v[i].path);
		free(v[i].sig);
	}
	free(v);
}
