/*
 * tier_pg_private.h - what the files of the PostgreSQL tier share
 *
 * The tier (tier_pg.h) is one module in several files, one job each:
 * tier_pg_conn.c (the connection, its errors, the statements and how
 * they are prepared and run), tier_pg_values.c (parameters out, columns
 * in), tier_pg_schema.c (migrations; tier_pg_summary.c the summaries
 * step 13 makes again), tier_pg_read.c (reads),
 * tier_pg_deploy.c (deploys) and tier_pg_write.c (the API's writes).
 * Internal to the tier: nothing else includes it (nor libpq, which it
 * needs).
 */
#ifndef QUIRE_TIER_PG_PRIVATE_H
#define QUIRE_TIER_PG_PRIVATE_H

#include <stdint.h>

#include <libpq-fe.h>

#include "content/post.h"
#include "content/record.h"
#include "lib/buf.h"
#include "lib/quire.h"

/*
 * Sent in every transaction whose COMMIT quire reports as done (the
 * API's writes, a deploy), before it: the commit then waits for its WAL
 * on disk whatever the role's or the database's default is (a role
 * tuned to "off" would otherwise make an acknowledged write one a crash
 * can take back). Only a transaction of its own would do: a setting of
 * the session is lost to a pooler's next client. What is kept for speed
 * alone (a deploy's file signatures) says "off" itself.
 */
#define PG_SYNC_COMMIT_SQL "SET LOCAL synchronous_commit = on"

/* Type OIDs of the parameters (catalog/pg_type_d.h is a server header,
 * and these are fixed by the system catalogue). */
#define PG_OID_BOOL       16
#define PG_OID_INT8       20
#define PG_OID_INT4       23
#define PG_OID_TEXT       25
#define PG_OID_TEXT_ARRAY 1009
#define PG_OID_INT8_ARRAY 1016

struct tier_pg {
	PGconn *conn;
	unsigned prepared; /* PG_STMT_BIT of each statement prepared on
			      this connection */
	int broken;       /* reset before the next use, whatever PQstatus says */
	char err[512];    /* the last error, libpq's words */
};

enum pg_stmt {
	PG_STMT_UPSERT = 0, /* one record; returns slug and revision */
	PG_STMT_UPSERT_MANY, /* PG_UPSERT_ROWS records; the same */
	PG_STMT_DELETE,     /* slugs of origin content */
	PG_STMT_BUMP,       /* generation + 1; returns it */
	PG_STMT_GENERATION, /* the generation */
	PG_STMT_FETCH,      /* one record by slug */
	PG_STMT_INDEX,      /* every record, metadata only, and the generation */
	PG_STMT_HASHES,     /* slug, kind, hash of origin content */
	PG_STMT_PUT_IF,     /* one record under a precondition; slug, revision */
	PG_STMT_DELETE_IF,  /* one slug under a precondition; deleted, existed */
	PG_STMT_UPSERT_16,  /* 16 records; slug and revision each */
	PG_STMT_UPSERT_4,   /* 4 records; the same */
	PG_STMT_SLUGS,      /* every slug, nothing else */
	PG_STMT_LIST,       /* a page of posts by slug, for the API's listing */
	PG_STMT_API_OWNED,  /* which of some slugs are API posts */
	PG_STMT_CONTENT_OWNED, /* which of some slugs are content posts; paths */
	PG_STMT_OTHER_CASE, /* a slug equal to $1 but for ASCII case */
	PG_STMT_SEARCH,     /* a page of search results (tier_pg_search.c) */
	PG_STMT__MAX
};
#define PG_STMT_BIT(s) (1u << (s))
#define PG_STMTS_ALL ((1u << PG_STMT__MAX) - 1)

/* Columns of a record, in this order, in FETCH and INDEX (the SQL of
 * pg_stmts says them; tier_pg_read.c reads them). */
enum pg_col {
	PG_COL_SLUG = 0,
	PG_COL_KIND,
	PG_COL_ORIGIN,
	PG_COL_PATH,
	PG_COL_SOURCE,
	PG_COL_BODY_OFFSET,
	PG_COL_HTML,
	PG_COL_TOC,
	PG_COL_WORDS,
	PG_COL_DATE,
	PG_COL_HASH,
	PG_COL_REVISION,
	PG_COL_SUMMARY,    /* step 9; NULL: none (the description) */
	PG_COL_GENERATION, /* the site's, of the statement's snapshot */
	PG_COL_CONFIG,     /* INDEX only: site.yaml, in the first row */
	PG_COL__MAX
};

/*
 * Records per upsert statement. One executor start-up per statement is
 * most of a single-row upsert's cost on the server: 64 rows a statement
 * is a few times faster than one, and 1344 parameters stay far below
 * the protocol's 65535.
 */
#define PG_UPSERT_ROWS 64

/* How many records upsert statement s takes (1 for any other). */
int pg_upsert_rows(enum pg_stmt s);

struct pg_stmt_def {
	const char *name;
	const char *sql;         /* NULL: built when prepared */
	int nparams;
	const Oid *types;
};
extern const struct pg_stmt_def pg_stmts[PG_STMT__MAX];

#define PG_UPSERT_NPARAMS 21
#define PG_PUT_IF_NPARAMS (PG_UPSERT_NPARAMS + 3) /* and the precondition */
#define PG_DELETE_IF_NPARAMS 4                   /* slug, precondition */

/* The parameters of one record in an upsert, and what they point into
 * besides the record: its parsed post and scratch for binary values. */
struct upsert_row {
	struct post *post;
	char date[8], updated[8], pin[4], body_offset[4], words[4], hash[8];
	char draft;
	struct buf arrays[3];  /* tags, categories, authors */
	struct buf text;       /* the body's text, for the search vector */
};
/* w's buffers made empty, or released (post_free(w->post) is the
 * caller's). */
void pg_upsert_row_init(struct upsert_row *w);
void pg_upsert_row_release(struct upsert_row *w);

/* ---- tier_pg_schema.c, tier_pg_summary.c: migrations */

/* Key of the advisory lock that serialises migrations ("quire" in ASCII). */
#define PG_MIGRATE_LOCK "478660162149"

/* BEGIN, then the migrations' advisory lock, held to the transaction's
 * end (tier_pg_conn.c); what names the step in errors. QUIRE_OK or
 * QUIRE_EIO (the transaction may be open: the caller rolls back). */
enum quire_err pg_begin_migrating(struct tier_pg *pg, const char *what);

/*
 * Renders again the summaries of the API posts schema step 13 queued
 * (quire_summary_redo), from their stored source, a batch a
 * transaction under PG_MIGRATE_LOCK; run by every migration (nothing
 * queued: one statement). Needs schema step 13. QUIRE_OK, QUIRE_EIO
 * (pg->err says why; what is left stays queued) or QUIRE_ENOMEM.
 */
enum quire_err tier_pg_summary_redo(struct tier_pg *pg);

/* ---- tier_pg_conn.c: errors, and running statements */

/* pg->err gets "what: msg (sqlstate S)" on one line. */
void pg_set_error(struct tier_pg *pg, const char *what, const char *msg,
		  const char *sqlstate);
/* The error of res, or of the connection when res is NULL. */
void pg_fail(struct tier_pg *pg, const char *what, const PGresult *res);
/* Resets a failed connection; prepares the statements of want (a mask
 * of PG_STMT_BIT) not prepared yet, in one round trip. */
enum quire_err pg_ready(struct tier_pg *pg, unsigned want);
/* Ends a failed transaction (or marks the connection for a reset). */
void pg_rollback(struct tier_pg *pg);
/*
 * Runs prepared statement s (pg_ready first) and gives its result in
 * *out (caller PQclear()s it) when it has rows to read; on a connection
 * that died under it, once more after a reset. QUIRE_OK or QUIRE_EIO
 * (pg->err says why).
 */
enum quire_err pg_exec_read(struct tier_pg *pg, enum pg_stmt s, int nparams,
			    const char *const *values, const int *lengths,
			    const int *formats, PGresult **out);
/* Runs sql (no parameters) once, on the connection as it is (no
 * pg_ready, no retry); *out gets the result to PQclear() (out NULL: it
 * is cleared). QUIRE_OK on COMMAND_OK or TUPLES_OK, else QUIRE_EIO with
 * pg->err saying what failed. */
/* Runs sql with its n parameters (values, lengths, formats as
 * PQexecParams takes them; n 0: none) in the open session; COMMAND_OK
 * or TUPLES_OK, else QUIRE_EIO with the error kept. *out, when out is
 * not NULL, the result (caller clears). */
enum quire_err pg_exec_params(struct tier_pg *pg, const char *what,
			      const char *sql, int n,
			      const char *const *values, const int *lengths,
			      const int *formats, PGresult **out);
enum quire_err pg_exec_simple(struct tier_pg *pg, const char *what,
			      const char *sql, PGresult **out);

/* ---- tier_pg_values.c: parameters out, columns in */

/* Column col of row as a number; QUIRE_EPARSE on NULL or garbage. */
enum quire_err pg_col_ll(const PGresult *res, int row, int col, long long *out);
/* Column col of row as an owned string in *out (NULL for SQL NULL).
 * QUIRE_OK or QUIRE_ENOMEM. */
enum quire_err pg_col_dup(const PGresult *res, int row, int col, char **out);
/* b (reset first) gets v[0..n) as a binary text[] parameter. QUIRE_OK,
 * QUIRE_EINVAL (a NULL string, or too long) or QUIRE_ENOMEM. */
enum quire_err pg_text_array_encode(struct buf *b, char *const *v, size_t n);
/* Parameter i: the string s as text (NULL for SQL NULL). */
enum quire_err pg_param_str(const char **v, int *len, int i, const char *s);
/* The PG_UPSERT_NPARAMS parameters of r (w->post parsed from it). */
enum quire_err pg_upsert_fill(const char **v, int *len, struct upsert_row *w,
			      const struct record *r);
/* QUIRE_OK when the server would take r (slug, kind, origin, offsets). */
enum quire_err pg_record_check(const struct record *r);
/* A big-endian int4 or int8 at dst. */
void pg_put_be32(char *dst, uint32_t v);
void pg_put_be64(char *dst, uint64_t v);
/* The bytes of a binary int8[] of n elements. */
#define PG_INT8_ARRAY_SIZE(n) (20 + 12 * (size_t)(n))
/* Writes v[0..n) at dst (PG_INT8_ARRAY_SIZE(n) bytes) as a binary
 * one-dimensional int8[]; returns its length. */
size_t pg_int8_array_put(char *dst, const long long *v, size_t n);

#endif
