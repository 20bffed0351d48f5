/*
 * tier_pg_private.h - what tier_pg.c shares with tier_pg_write.c
 *
 * Internal to the PostgreSQL tier: nothing else includes it (nor
 * libpq, which it needs).
 */
#ifndef QUIRE_TIER_PG_PRIVATE_H
#define QUIRE_TIER_PG_PRIVATE_H

#include <stdint.h>

#include <libpq-fe.h>

#include "content/post.h"
#include "content/record.h"
#include "lib/buf.h"

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
	PG_STMT_API_OWNED,  /* the first of some slugs that is an API post */
	PG_STMT__MAX
};
#define PG_STMT_BIT(s) (1u << (s))
#define PG_STMTS_ALL ((1u << PG_STMT__MAX) - 1)

/*
 * Records per upsert statement. One executor start-up per statement is
 * most of a single-row upsert's cost on the server: 64 rows a statement
 * is a few times faster than one, and 1216 parameters stay far below
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

#define PG_UPSERT_NPARAMS 19
#define PG_PUT_IF_NPARAMS (PG_UPSERT_NPARAMS + 1)

/* The parameters of one record in an upsert, and what they point into
 * besides the record: its parsed post and scratch for binary values. */
struct upsert_row {
	struct post *post;
	char date[8], updated[8], pin[4], body_offset[4], words[4], hash[8];
	char draft;
	struct buf arrays[3];  /* tags, categories, authors */
};

/* pg->err gets "what: msg (sqlstate S)" on one line. */
void pg_set_error(struct tier_pg *pg, const char *what, const char *msg,
		  const char *sqlstate);
/* The error of res, or of the connection when res is NULL. */
void pg_fail(struct tier_pg *pg, const char *what, const PGresult *res);
/* Resets a failed connection; prepares the statements of want (a mask
 * of PG_STMT_BIT) not prepared yet, in one round trip. */
int pg_ready(struct tier_pg *pg, unsigned want);
/* Ends a failed transaction (or marks the connection for a reset). */
void pg_rollback(struct tier_pg *pg);
/* Column col of row as a number; QUIRE_EPARSE on NULL or garbage. */
int pg_col_ll(const PGresult *res, int row, int col, long long *out);
/* Parameter i: the string s as text (NULL for SQL NULL). */
int pg_param_str(const char **v, int *len, int i, const char *s);
/* The PG_UPSERT_NPARAMS parameters of r (w->post parsed from it). */
int pg_upsert_fill(const char **v, int *len, struct upsert_row *w,
		   const struct record *r);
/* QUIRE_OK when the server would take r (slug, kind, origin, offsets). */
int pg_record_check(const struct record *r);
/* A big-endian int8 at dst. */
void pg_put_be64(char *dst, uint64_t v);

#endif
