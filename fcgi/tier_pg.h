/*
 * tier_pg.h - the PostgreSQL tier (L3): the durable truth
 *
 * The only module that includes libpq. Statements are prepared once per
 * connection; parameters are never spliced into SQL. A connection whose
 * last call failed at the connection level is reset before its next use
 * (a handle in error is never reused as it is).
 */
#ifndef QUIRE_TIER_PG_H
#define QUIRE_TIER_PG_H

#include <stddef.h>

#include "record.h"

struct tier_pg;

/* A slug, its file and its content hash, for deciding what a deploy
 * changes: a file whose path and hash are both unchanged need not even
 * be parsed again. */
struct tier_pg_hash {
	char *slug;
	char *path;              /* NULL when the record has none */
	enum post_kind kind;
	unsigned long long hash;
};

/*
 * Connects with a libpq connection string (QUIRE_DATABASE_URL). On
 * failure err (errsz bytes) has libpq's message. Returns QUIRE_OK or
 * QUIRE_EIO. Free with tier_pg_close().
 */
int tier_pg_connect(const char *conninfo, struct tier_pg **out, char *err,
		    size_t errsz);
void tier_pg_close(struct tier_pg *pg);
/* The last error message of pg (libpq's), for logs. */
const char *tier_pg_error(const struct tier_pg *pg);

/*
 * Creates or upgrades the schema to the newest version, in one
 * transaction per step, under an advisory lock so two migrations never
 * run at once. Idempotent. *from and *to (may be NULL) get the versions
 * before and after. Returns QUIRE_OK or QUIRE_EIO.
 */
int tier_pg_migrate(struct tier_pg *pg, int *from, int *to);
/* The schema version in the database (0 for none). */
int tier_pg_schema_version(struct tier_pg *pg, int *version);

/* The site generation. QUIRE_OK or QUIRE_EIO. */
int tier_pg_generation(struct tier_pg *pg, long long *generation);

/* Every live post and page of origin content: slug, kind and hash.
 * Caller frees with tier_pg_hashes_free(). */
int tier_pg_content_hashes(struct tier_pg *pg, struct tier_pg_hash **out,
			   size_t *n);
void tier_pg_hashes_free(struct tier_pg_hash *v, size_t n);

/*
 * In ONE transaction: upserts each record of upserts (its revision is
 * set to the stored one + 1, and written back into the record), deletes
 * the slugs in deletes that have origin content (an API post is never
 * removed by a deploy), and bumps the generation; *generation gets the
 * new one. Either all of it is committed or none. Returns QUIRE_OK or
 * QUIRE_EIO.
 */
int tier_pg_deploy(struct tier_pg *pg, struct record *const *upserts,
		   size_t n_upserts, char *const *deletes, size_t n_deletes,
		   long long *generation);

/*
 * Writes one post of the HTTP API (rec->origin is api) in ONE transaction
 * that also bumps the generation. expect_revision is a precondition on
 * the stored post: -1 none, 0 "must not exist" (If-None-Match: *), N
 * "must be at revision N" (If-Match). On success rec->revision gets the
 * new revision, *created whether the slug was new, *generation the new
 * generation. Returns QUIRE_OK, QUIRE_ECONFLICT (the precondition failed;
 * nothing written), QUIRE_EPARSE/QUIRE_EINVAL (a bad record), or
 * QUIRE_EIO (nothing acknowledged: the transaction did not commit).
 */
int tier_pg_put(struct tier_pg *pg, struct record *rec, long long expect_revision,
		int *created, long long *generation);

/*
 * Deletes one post (any origin) in ONE transaction with a generation
 * bump, under the same precondition (-1 none, N must be at revision N).
 * Returns QUIRE_OK, QUIRE_ENOTFOUND, QUIRE_ECONFLICT or QUIRE_EIO.
 */
int tier_pg_delete(struct tier_pg *pg, const char *slug,
		   long long expect_revision, long long *generation);

/* One post by slug, html included. QUIRE_ENOTFOUND when absent. */
int tier_pg_fetch(struct tier_pg *pg, const char *slug, struct record **out);

/*
 * Every live post and page without html (an index): source cut to its
 * frontmatter (source_len = body_offset), toc_html NULL. *generation gets
 * the generation read in the same snapshot. Caller frees the array with
 * records_free().
 */
int tier_pg_index(struct tier_pg *pg, struct record ***out, size_t *n,
		  long long *generation);

#endif
