/*
 * tier_pg.c - the PostgreSQL tier (L3): schema, deploys, API writes, reads
 *
 * Every statement that carries data is prepared once per connection, when
 * first needed, and run with binary parameters: text goes as counted
 * bytes (an embedded NUL or invalid UTF-8 is refused by the server
 * instead of being cut short), integers in network order, lists as
 * binary text[] arrays. Nothing from a record is ever spliced into SQL.
 * Results come back as text.
 *
 * A deploy is one transaction sent in pipeline mode (libpq 14+), so the
 * client never waits a round trip per post. Upserts go PG_UPSERT_ROWS
 * records to a statement (one executor start-up per 64 rows instead of
 * per row halves the server's CPU), a Sync after every PG_PIPELINE_CHUNK
 * records so that what the server writes back between two Syncs stays
 * far below the socket buffers (a blocking pipeline deadlocks when both
 * directions fill up). Syncs inside the explicit BEGIN do not commit;
 * the COMMIT does, and any error before it rolls everything back.
 *
 * The frontmatter columns (title, tags, ...) exist for SQL listings; they
 * are filled by parsing the record's source with record_to_post(), never
 * by a parser of their own. Reads rebuild a record from the stored source.
 *
 * A connection that failed is not reused as it is: when libpq reports it
 * bad, or a pipeline could not be wound down cleanly, the next call
 * resets it (PQreset) and prepares again the statements it then needs.
 * Reads, which are safe to repeat, are retried once on the fresh
 * connection.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "content/post.h"
#include "content/record.h"
#include "lib/buf.h"
#include "lib/quire.h"
#include "tiers/tier_pg.h"
#include "tiers/tier_pg_private.h"

/* Type OIDs of the parameters (catalog/pg_type_d.h is a server header,
 * and these are fixed by the system catalogue). */
#define PG_OID_BOOL       16
#define PG_OID_INT8       20
#define PG_OID_INT4       23
#define PG_OID_TEXT       25
#define PG_OID_TEXT_ARRAY 1009

/* Upserts between two Syncs: bounds what the server writes back before
 * the client reads (about 60 bytes a row) far below a socket buffer. */
#define PG_PIPELINE_CHUNK 256

/* Key of the advisory lock that serialises migrations ("quire" in ASCII). */
#define PG_MIGRATE_LOCK "478660162149"

/* ---------------------------------------------------------------- schema */

/*
 * Each step runs in its own transaction and is never edited once
 * released: a change is a new step. Index i holds version i + 1.
 */
static const char *const migrations[] = {
	/* 1: posts and the site generation */
	"CREATE TABLE posts ("
	" slug text PRIMARY KEY,"
	" kind text NOT NULL CHECK (kind IN ('post', 'page')),"
	" origin text NOT NULL CHECK (origin IN ('content', 'api')),"
	" path text,"
	" title text,"
	" date timestamptz,"
	" updated timestamptz,"
	" description text,"
	" tags text[] NOT NULL DEFAULT '{}',"
	" categories text[] NOT NULL DEFAULT '{}',"
	" authors text[] NOT NULL DEFAULT '{}',"
	" draft boolean NOT NULL DEFAULT false,"
	" pin integer NOT NULL DEFAULT 0,"
	" source text NOT NULL,"
	" body_offset integer NOT NULL CHECK (body_offset >= 0),"
	" html text,"
	" toc_html text,"
	" words integer NOT NULL DEFAULT 0,"
	/* xxh3 is unsigned 64-bit: stored as its signed bit pattern */
	" hash bigint NOT NULL,"
	" revision bigint NOT NULL DEFAULT 1,"
	" created_at timestamptz NOT NULL DEFAULT now(),"
	" updated_at timestamptz NOT NULL DEFAULT now());"
	"CREATE TABLE site ("
	" id boolean PRIMARY KEY DEFAULT true CHECK (id),"
	" generation bigint NOT NULL DEFAULT 0);"
	"INSERT INTO site (id, generation) VALUES (true, 0)",
	/* 2: what listings and deploys look up */
	"CREATE INDEX posts_kind_date ON posts (kind, date DESC);"
	"CREATE INDEX posts_origin ON posts (origin);"
	"CREATE INDEX posts_tags ON posts USING gin (tags);"
	"CREATE INDEX posts_categories ON posts USING gin (categories)",
	/* 3: the signature of the file a content post was read from, kept
	 * while its hash is (content_scan.h); a random id of the site and a
	 * random stamp of its last change, which name and check a deploying
	 * host's cache of it (deploy_cache.h) */
	"ALTER TABLE posts ADD COLUMN file_sig text;"
	"ALTER TABLE site ADD COLUMN uid text NOT NULL"
	" DEFAULT md5(random()::text || clock_timestamp()::text);"
	"ALTER TABLE site ADD COLUMN stamp text NOT NULL DEFAULT '';"
	/* lz4 instead of pglz for the big text columns: a full deploy of
	 * 10,000 posts commits in 1.4 s instead of 2.1 s here. A server
	 * built without lz4 (or older than 14) keeps pglz. */
	"DO $$ BEGIN EXECUTE 'ALTER TABLE posts"
	" ALTER COLUMN source SET COMPRESSION lz4,"
	" ALTER COLUMN html SET COMPRESSION lz4,"
	" ALTER COLUMN toc_html SET COMPRESSION lz4';"
	" EXCEPTION WHEN feature_not_supported OR syntax_error THEN NULL;"
	" END $$",
	/* 4: every content post rendered again by the next deploy. Before
	 * markdown.c's parse lock, a deploy rendering on several threads
	 * could commit html without its <del> and autolinks, and a deploy
	 * re-renders a file only when its text changes: a hash that no file
	 * has, no signature, and a new stamp so that no deploy cache or
	 * deployer keeps the old hashes. The generation stays: nothing
	 * published changes until that deploy. */
	"UPDATE posts SET hash = 0, file_sig = NULL WHERE origin = 'content';"
	"UPDATE site SET stamp = md5(random()::text || clock_timestamp()::text)",
};
#define PG_SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

/* Made in every migration transaction, after the lock, so the first
 * migrator creates it and the others find it. */
static const char migrate_bootstrap[] =
	"SET LOCAL client_min_messages = warning;"
	"CREATE TABLE IF NOT EXISTS quire_schema ("
	" id boolean PRIMARY KEY DEFAULT true CHECK (id),"
	" version integer NOT NULL,"
	" migrated_at timestamptz NOT NULL DEFAULT now());"
	"INSERT INTO quire_schema (id, version) VALUES (true, 0)"
	" ON CONFLICT (id) DO NOTHING";

/* ------------------------------------------------------------ statements */

/* Columns of a record, in this order, in FETCH and INDEX. */
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
	PG_COL_GENERATION, /* INDEX only */
	PG_COL__MAX
};

static const Oid upsert_types[PG_PUT_IF_NPARAMS] = {
	PG_OID_TEXT,       /* $1 slug */
	PG_OID_TEXT,       /* $2 kind */
	PG_OID_TEXT,       /* $3 origin */
	PG_OID_TEXT,       /* $4 path */
	PG_OID_TEXT,       /* $5 title */
	PG_OID_INT8,       /* $6 date, unix seconds */
	PG_OID_INT8,       /* $7 updated, unix seconds */
	PG_OID_TEXT,       /* $8 description */
	PG_OID_TEXT_ARRAY, /* $9 tags */
	PG_OID_TEXT_ARRAY, /* $10 categories */
	PG_OID_TEXT_ARRAY, /* $11 authors */
	PG_OID_BOOL,       /* $12 draft */
	PG_OID_INT4,       /* $13 pin */
	PG_OID_TEXT,       /* $14 source */
	PG_OID_INT4,       /* $15 body_offset */
	PG_OID_TEXT,       /* $16 html */
	PG_OID_TEXT,       /* $17 toc_html */
	PG_OID_INT4,       /* $18 words */
	PG_OID_INT8,       /* $19 hash */
	PG_OID_INT8,       /* $20 the precondition (PUT_IF only) */
};
static const char upsert_head[] =
	"INSERT INTO posts AS p (slug, kind, origin, path, title, date,"
	" updated, description, tags, categories, authors, draft, pin,"
	" source, body_offset, html, toc_html, words, hash) VALUES ";
/* A second row for a slug in one statement is an error ("cannot affect
 * row a second time"): tier_pg_deploy refuses duplicates before. */
#define UPSERT_SET \
	" ON CONFLICT (slug) DO UPDATE SET kind = excluded.kind," \
	" origin = excluded.origin, path = excluded.path," \
	" title = excluded.title, date = excluded.date," \
	" updated = excluded.updated, description = excluded.description," \
	" tags = excluded.tags, categories = excluded.categories," \
	" authors = excluded.authors, draft = excluded.draft," \
	" pin = excluded.pin, source = excluded.source," \
	" body_offset = excluded.body_offset, html = excluded.html," \
	" toc_html = excluded.toc_html, words = excluded.words," \
	" hash = excluded.hash, revision = p.revision + 1," \
	" file_sig = NULL, updated_at = now()"
/* A content write never replaces an API post (a deploy checks first;
 * this holds against an API write of the same new slug in between). */
static const char upsert_tail[] = UPSERT_SET
	" WHERE excluded.origin = 'api' OR p.origin = 'content'"
	" RETURNING slug, revision";
/*
 * An API write under its precondition $20 in one statement, so a batch
 * of them needs no round trip between two (tier_pg_write.c): -1 upserts;
 * 0 inserts, and a row that exists (even one a concurrent transaction
 * has just inserted: the insert waits for it to end) is left alone; N
 * inserts nothing when the slug is absent and updates only a row at
 * revision N. ON CONFLICT locks the row and checks the WHERE against its
 * newest version, so of two writers with the same If-Match one wins.
 * No row back: the precondition failed.
 */
static const char put_if_head[] =
	"INSERT INTO posts AS p (slug, kind, origin, path, title, date,"
	" updated, description, tags, categories, authors, draft, pin,"
	" source, body_offset, html, toc_html, words, hash) SELECT ";
static const char put_if_tail[] =
	" WHERE $20 <= 0 OR EXISTS (SELECT 1 FROM posts WHERE slug = $1)"
	UPSERT_SET " WHERE $20 < 0 OR p.revision = $20"
	" RETURNING slug, revision";
static const Oid delete_if_types[2] = { PG_OID_TEXT, PG_OID_INT8 };

static const Oid text_type[1] = { PG_OID_TEXT };
static const Oid text_array_type[1] = { PG_OID_TEXT_ARRAY };
static const Oid list_types[3] = { PG_OID_TEXT, PG_OID_TEXT, PG_OID_INT8 };

const struct pg_stmt_def pg_stmts[PG_STMT__MAX] = {
	/* Built by pg_upsert_sql() when prepared. */
	{ "quire_upsert", NULL, PG_UPSERT_NPARAMS, upsert_types },
	{ "quire_upsert_many", NULL, PG_UPSERT_ROWS * PG_UPSERT_NPARAMS, NULL },
	{ "quire_delete",
	  "DELETE FROM posts WHERE origin = 'content' AND slug = ANY ($1)",
	  1, text_array_type },
	/* The stamp tells a generation reached again (after a restore of an
	 * older backup) from the one a cache was made at. */
	{ "quire_bump",
	  "UPDATE site SET generation = generation + 1,"
	  " stamp = md5(random()::text || clock_timestamp()::text)"
	  " RETURNING generation",
	  0, NULL },
	{ "quire_generation",
	  "SELECT generation FROM site",
	  0, NULL },
	{ "quire_fetch",
	  "SELECT p.slug, p.kind, p.origin, p.path, p.source, p.body_offset,"
	  " p.html, p.toc_html, p.words, extract(epoch FROM p.date)::bigint,"
	  " p.hash, p.revision"
	  " FROM posts p WHERE p.slug = $1",
	  1, text_type },
	/* One statement, so one snapshot: the generation matches the rows.
	 * The left join gives one row (slug NULL) on an empty site. The
	 * source is cut in bytes of UTF-8, as body_offset counts them. */
	{ "quire_index",
	  "WITH g AS (SELECT generation FROM site)"
	  " SELECT p.slug, p.kind, p.origin, p.path,"
	  " convert_from(substring(convert_to(p.source, 'UTF8')"
	  " FROM 1 FOR p.body_offset), 'UTF8'), p.body_offset,"
	  " NULL::text, NULL::text, p.words,"
	  " extract(epoch FROM p.date)::bigint, p.hash, p.revision,"
	  " g.generation"
	  " FROM g LEFT JOIN posts p ON true"
	  " ORDER BY p.kind, p.date DESC NULLS LAST, p.slug",
	  0, NULL },
	{ "quire_hashes",
	  "SELECT slug, kind, hash, path, file_sig FROM posts"
	  " WHERE origin = 'content'",
	  0, NULL },
	/* Built by pg_upsert_sql() when prepared. */
	{ "quire_put_if", NULL, PG_PUT_IF_NPARAMS, upsert_types },
	/* Deletes under a precondition ($2: -1 none, N at revision N) and
	 * tells why not: (deleted rows, whether the slug existed in the
	 * statement's snapshot). A delete that waited for a concurrent
	 * writer checks the revision that writer committed. */
	{ "quire_delete_if",
	  "WITH d AS (DELETE FROM posts WHERE slug = $1"
	  " AND ($2 < 0 OR revision = $2) RETURNING 1)"
	  " SELECT (SELECT count(*) FROM d),"
	  " EXISTS (SELECT 1 FROM posts WHERE slug = $1)",
	  2, delete_if_types },
	/* Built by pg_upsert_sql() when prepared: API batches. */
	{ "quire_upsert_16", NULL, 16 * PG_UPSERT_NPARAMS, NULL },
	{ "quire_upsert_4", NULL, 4 * PG_UPSERT_NPARAMS, NULL },
	/* What a whole rewrite of Redis needs to know of the posts it did
	 * not just write: their names. The index reads every row's source
	 * too (a scan of the whole table, ≈ 140 ms on 10,000 posts). */
	{ "quire_slugs", "SELECT slug FROM posts", 0, NULL },
	/* A page of the API's listing: keyset by slug (the primary key's
	 * order), so a page costs its rows whatever page it is. $2 '' is
	 * any origin. */
	{ "quire_list",
	  "SELECT slug, revision, origin, kind, title,"
	  " extract(epoch FROM date)::bigint, draft,"
	  " extract(epoch FROM updated_at)::bigint"
	  " FROM posts WHERE slug > $1 AND ($2 = '' OR origin = $2)"
	  " ORDER BY slug LIMIT $3",
	  3, list_types },
	/* A content file may not replace a post of the API (README). */
	{ "quire_api_owned",
	  "SELECT slug FROM posts WHERE origin = 'api' AND slug = ANY ($1)"
	  " ORDER BY slug LIMIT 1",
	  1, text_array_type },
};

int pg_upsert_rows(enum pg_stmt s)
{
	switch (s) {
	case PG_STMT_UPSERT_MANY:
		return PG_UPSERT_ROWS;
	case PG_STMT_UPSERT_16:
		return 16;
	case PG_STMT_UPSERT_4:
		return 4;
	default:
		return 1;
	}
}

/* ---------------------------------------------------------------- errors */

/* Copies msg into pg->err as one line: libpq's messages end in a newline
 * and may span lines, which a log line must not. */
void pg_set_error(struct tier_pg *pg, const char *what, const char *msg,
			 const char *sqlstate)
{
	size_t i, len;

	if (sqlstate && *sqlstate)
		snprintf(pg->err, sizeof(pg->err), "%s: %s (sqlstate %s)", what,
			 msg && *msg ? msg : "unknown error", sqlstate);
	else
		snprintf(pg->err, sizeof(pg->err), "%s: %s", what,
			 msg && *msg ? msg : "unknown error");
	len = strlen(pg->err);
	for (i = 0; i < len; i++)
		if (pg->err[i] == '\n' || pg->err[i] == '\r' || pg->err[i] == '\t')
			pg->err[i] = ' ';
	while (len > 0 && pg->err[len - 1] == ' ')
		pg->err[--len] = '\0';
}

/* The error of res, or of the connection when there is no result. */
void pg_fail(struct tier_pg *pg, const char *what, const PGresult *res)
{
	const char *msg = NULL;

	if (res)
		msg = PQresultErrorMessage(res);
	if (!msg || !*msg)
		msg = PQerrorMessage(pg->conn);
	pg_set_error(pg, what, msg,
		     res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL);
}

const char *tier_pg_error(const struct tier_pg *pg)
{
	if (!pg)
		return "no connection";
	return pg->err;
}

/* ------------------------------------------------------------ connection */

int tier_pg_connect(const char *conninfo, struct tier_pg **out, char *err,
		    size_t errsz)
{
	/*
	 * conninfo is expanded in place of dbname; what follows it wins, so
	 * the encoding is always UTF-8 (body_offset counts UTF-8 bytes) and
	 * what precedes it is only a default the URL may override.
	 */
	static const char *const keys[] = {
		"connect_timeout", "dbname", "client_encoding",
		"fallback_application_name", NULL
	};
	const char *vals[5];
	struct tier_pg *pg;

	*out = NULL;
	if (err && errsz)
		err[0] = '\0';
	if (!conninfo) {
		if (err && errsz)
			snprintf(err, errsz, "no database url");
		return QUIRE_EINVAL;
	}
	pg = calloc(1, sizeof(*pg));
	if (!pg)
		return QUIRE_ENOMEM;
	vals[0] = "5";
	vals[1] = conninfo;
	vals[2] = "UTF8";
	vals[3] = "quire";
	vals[4] = NULL;
	pg->conn = PQconnectdbParams(keys, vals, 1);
	if (!pg->conn) {
		free(pg);
		return QUIRE_ENOMEM;
	}
	if (PQstatus(pg->conn) != CONNECTION_OK) {
		pg_fail(pg, "connect", NULL);
		if (err && errsz)
			snprintf(err, errsz, "%s", pg->err);
		tier_pg_close(pg);
		return QUIRE_EIO;
	}
	*out = pg;
	return QUIRE_OK;
}

void tier_pg_close(struct tier_pg *pg)
{
	if (!pg)
		return;
	PQfinish(pg->conn);
	free(pg);
}

/* Writes the upsert of rows records into b: upsert_head, one VALUES
 * tuple of PG_UPSERT_NPARAMS parameters per record, tail. */
static void pg_upsert_sql(struct buf *b, int rows, const char *head,
			  const char *tail)
{
	int row, i, n = 1;
	int tuple = head == upsert_head;

	buf_puts(b, head);
	for (row = 0; row < rows; row++) {
		if (tuple)
			buf_puts(b, row ? ", (" : "(");
		for (i = 0; i < PG_UPSERT_NPARAMS; i++, n++) {
			/* $6 and $7 are dates in unix seconds. */
			if (i == 5 || i == 6)
				buf_printf(b, "%sto_timestamp($%d)", i ? ", " : "", n);
			else
				buf_printf(b, "%s$%d", i ? ", " : "", n);
		}
		if (tuple)
			buf_putc(b, ')');
	}
	buf_puts(b, tail);
}

/* The SQL and parameter types of upsert statement s, built for its
 * number of rows (caller frees both). */
static int upsert_text(enum pg_stmt s, char **sql, Oid **types, int *nparams)
{
	int rows = pg_upsert_rows(s);
	int extra = s == PG_STMT_PUT_IF ? 1 : 0; /* the precondition */
	struct buf b = BUF_INIT;
	int i;

	*sql = NULL;
	*nparams = rows * PG_UPSERT_NPARAMS + extra;
	*types = calloc((size_t)*nparams, sizeof(**types));
	if (!*types)
		return QUIRE_ENOMEM;
	for (i = 0; i < rows * PG_UPSERT_NPARAMS; i++)
		(*types)[i] = upsert_types[i % PG_UPSERT_NPARAMS];
	if (extra) {
		(*types)[PG_UPSERT_NPARAMS] = upsert_types[PG_UPSERT_NPARAMS];
		pg_upsert_sql(&b, 1, put_if_head, put_if_tail);
	} else {
		pg_upsert_sql(&b, rows, upsert_head, upsert_tail);
	}
	*sql = buf_detach(&b, NULL);
	return *sql ? QUIRE_OK : QUIRE_ENOMEM;
}

/* Sends the Parse of statement s into the pipeline. */
static int send_prepare(struct tier_pg *pg, enum pg_stmt s)
{
	char *sql = NULL;
	Oid *types = NULL;
	int nparams, rc = QUIRE_OK, sent;

	if (pg_stmts[s].sql) {
		sent = PQsendPrepare(pg->conn, pg_stmts[s].name, pg_stmts[s].sql,
				     pg_stmts[s].nparams, pg_stmts[s].types);
	} else if ((rc = upsert_text(s, &sql, &types, &nparams)) == QUIRE_OK) {
		sent = PQsendPrepare(pg->conn, pg_stmts[s].name, sql, nparams,
				     types);
	} else {
		pg_set_error(pg, pg_stmts[s].name, "out of memory", NULL);
		sent = 1;
	}
	if (!sent) {
		pg_fail(pg, pg_stmts[s].name, NULL);
		rc = QUIRE_EIO;
	}
	free(sql);
	free(types);
	return rc;
}

_Static_assert(PG_STMT__MAX <= 32, "pg->prepared is a 32-bit mask");

/* Reads the result of each prepare sent, then the Sync's. */
static int prepare_results(struct tier_pg *pg, const enum pg_stmt *sent,
			   int n)
{
	PGresult *res;
	int i, rc = QUIRE_OK;

	for (i = 0; i < n; i++) {
		res = PQgetResult(pg->conn);
		if (!res) {
			pg_fail(pg, pg_stmts[sent[i]].name, NULL);
			pg->broken = 1;
			return QUIRE_EIO;
		}
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			if (rc == QUIRE_OK)
				pg_fail(pg, pg_stmts[sent[i]].name, res);
			rc = QUIRE_EIO;
		} else {
			pg->prepared |= PG_STMT_BIT(sent[i]);
		}
		PQclear(res);
		/* the NULL that ends each statement's results */
		res = PQgetResult(pg->conn);
		if (res) {
			PQclear(res);
			pg->broken = 1;
			return QUIRE_EIO;
		}
	}
	res = PQgetResult(pg->conn);
	if (!res || PQresultStatus(res) != PGRES_PIPELINE_SYNC) {
		pg->broken = 1;
		rc = QUIRE_EIO;
	}
	PQclear(res);
	return rc;
}

/*
 * Prepares the statements of want not yet prepared on this connection,
 * all in one round trip (a pipeline): a fresh backend parses each cold,
 * and quirectl, which lives for one deploy, needs only a few of them.
 */
static int pg_prepare(struct tier_pg *pg, unsigned want)
{
	enum pg_stmt sent[PG_STMT__MAX];
	int i, n = 0, rc = QUIRE_OK;

	want &= ~pg->prepared;
	if (!want)
		return QUIRE_OK;
	if (!PQenterPipelineMode(pg->conn)) {
		pg_fail(pg, "prepare", NULL);
		return QUIRE_EIO;
	}
	for (i = 0; i < PG_STMT__MAX && rc == QUIRE_OK; i++) {
		if (!(want & PG_STMT_BIT(i)))
			continue;
		rc = send_prepare(pg, (enum pg_stmt)i);
		if (rc == QUIRE_OK)
			sent[n++] = (enum pg_stmt)i;
	}
	if (!PQpipelineSync(pg->conn)) {
		pg_fail(pg, "prepare", NULL);
		pg->broken = 1;
		return QUIRE_EIO;
	}
	if (prepare_results(pg, sent, n) != QUIRE_OK && rc == QUIRE_OK)
		rc = QUIRE_EIO;
	if (!PQexitPipelineMode(pg->conn)) {
		pg->broken = 1;
		rc = QUIRE_EIO;
	}
	return rc;
}

/*
 * Makes the connection usable: reset when it failed, and the statements
 * of want (a mask of 1 << enum pg_stmt; 0 for migrations, which run
 * before the tables the statements name exist) prepared.
 */
int pg_ready(struct tier_pg *pg, unsigned want)
{
	if (pg->broken || PQstatus(pg->conn) != CONNECTION_OK) {
		/* Server-side prepared statements died with the session. */
		pg->prepared = 0;
		pg->broken = 0;
		PQreset(pg->conn);
		if (PQstatus(pg->conn) != CONNECTION_OK) {
			pg_fail(pg, "reconnect", NULL);
			return QUIRE_EIO;
		}
	}
	return pg_prepare(pg, want);
}

/* True when the last failure was the connection's, not the statement's:
 * then a read is worth one more try on a fresh connection. */
static int pg_conn_lost(const struct tier_pg *pg)
{
	return PQstatus(pg->conn) == CONNECTION_BAD;
}

/*
 * Runs prepared statement s and returns its result in *out (caller
 * PQclear()s it) when its status is want. A read: on a connection that
 * died under it, it is run once more after a reset.
 */
static int pg_exec_read(struct tier_pg *pg, enum pg_stmt s, int nparams,
			const char *const *values, const int *lengths,
			const int *formats, PGresult **out)
{
	PGresult *res;
	int attempt, rc;

	*out = NULL;
	for (attempt = 0; attempt < 2; attempt++) {
		rc = pg_ready(pg, PG_STMT_BIT(s));
		if (rc != QUIRE_OK)
			return rc;
		res = PQexecPrepared(pg->conn, pg_stmts[s].name, nparams, values,
				     lengths, formats, 0);
		if (res && PQresultStatus(res) == PGRES_TUPLES_OK) {
			*out = res;
			return QUIRE_OK;
		}
		pg_fail(pg, pg_stmts[s].name, res);
		PQclear(res);
		if (!pg_conn_lost(pg))
			break;
	}
	return QUIRE_EIO;
}

/* Runs sql (no parameters) for a migration; COMMAND_OK or TUPLES_OK. */
static int pg_exec_simple(struct tier_pg *pg, const char *what,
			  const char *sql, PGresult **out)
{
	PGresult *res;
	ExecStatusType st;

	if (out)
		*out = NULL;
	res = PQexec(pg->conn, sql);
	st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		pg_fail(pg, what, res);
		PQclear(res);
		return QUIRE_EIO;
	}
	if (out)
		*out = res;
	else
		PQclear(res);
	return QUIRE_OK;
}

/* Ends a transaction that failed. A connection that cannot even roll
 * back is reset before its next use. */
void pg_rollback(struct tier_pg *pg)
{
	PGresult *res;
	PGTransactionStatusType ts = PQtransactionStatus(pg->conn);

	if (ts == PQTRANS_IDLE || ts == PQTRANS_UNKNOWN) {
		if (ts == PQTRANS_UNKNOWN)
			pg->broken = 1;
		return;
	}
	res = PQexec(pg->conn, "ROLLBACK");
	if (!res || PQresultStatus(res) != PGRES_COMMAND_OK)
		pg->broken = 1;
	PQclear(res);
}

/* ---------------------------------------------------------------- values */

static int parse_ll(const char *s, long long *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		return QUIRE_EPARSE;
	*out = v;
	return QUIRE_OK;
}

/* Column col of row as a number; QUIRE_EPARSE on NULL or garbage. */
int pg_col_ll(const PGresult *res, int row, int col, long long *out)
{
	if (PQgetisnull(res, row, col))
		return QUIRE_EPARSE;
	return parse_ll(PQgetvalue(res, row, col), out);
}

/* Column col as an owned string, or NULL for SQL NULL. */
static int col_dup(const PGresult *res, int row, int col, char **out)
{
	*out = NULL;
	if (PQgetisnull(res, row, col))
		return QUIRE_OK;
	*out = strdup(PQgetvalue(res, row, col));
	return *out ? QUIRE_OK : QUIRE_ENOMEM;
}

static void put_be32(char *dst, uint32_t v)
{
	dst[0] = (char)(v >> 24);
	dst[1] = (char)(v >> 16);
	dst[2] = (char)(v >> 8);
	dst[3] = (char)v;
}

void pg_put_be64(char *dst, uint64_t v)
{
	put_be32(dst, (uint32_t)(v >> 32));
	put_be32(dst + 4, (uint32_t)v);
}

static void buf_put_be32(struct buf *b, uint32_t v)
{
	char c[4];

	put_be32(c, v);
	buf_append(b, c, sizeof(c));
}

/*
 * Writes v (n strings) into b as a binary one-dimensional text[] (the
 * format of array_send: dimensions, has-nulls flag, element type, then
 * per dimension its size and lower bound, then each element as a length
 * and its bytes). An empty list is an array of no dimensions.
 */
static int text_array_encode(struct buf *b, char *const *v, size_t n)
{
	size_t i, len;

	buf_reset(b);
	if (n > INT32_MAX)
		return QUIRE_EINVAL;
	buf_put_be32(b, n ? 1 : 0);
	buf_put_be32(b, 0);
	buf_put_be32(b, PG_OID_TEXT);
	if (n) {
		buf_put_be32(b, (uint32_t)n);
		buf_put_be32(b, 1);
	}
	for (i = 0; i < n; i++) {
		if (!v[i])
			return QUIRE_EINVAL;
		len = strlen(v[i]);
		if (len > INT32_MAX)
			return QUIRE_EINVAL;
		buf_put_be32(b, (uint32_t)len);
		buf_append(b, v[i], len);
	}
	if (buf_failed(b))
		return QUIRE_ENOMEM;
	if (b->len > INT_MAX)
		return QUIRE_EINVAL;
	return QUIRE_OK;
}

/* ------------------------------------------------------------- migrations */

int tier_pg_schema_version(struct tier_pg *pg, int *version)
{
	PGresult *res = NULL;
	long long v = 0;
	int rc;

	*version = 0;
	rc = pg_ready(pg, 0);
	if (rc != QUIRE_OK)
		return rc;
	rc = pg_exec_simple(pg, "schema version",
			    "SELECT to_regclass('quire_schema') IS NOT NULL", &res);
	if (rc != QUIRE_OK)
		goto out;
	if (PQntuples(res) != 1 || strcmp(PQgetvalue(res, 0, 0), "t") != 0)
		goto out;
	PQclear(res);
	rc = pg_exec_simple(pg, "schema version",
			    "SELECT version FROM quire_schema", &res);
	if (rc != QUIRE_OK)
		goto out;
	if (PQntuples(res) == 1 && pg_col_ll(res, 0, 0, &v) != QUIRE_OK) {
		pg_set_error(pg, "schema version", "not a number", NULL);
		rc = QUIRE_EIO;
		goto out;
	}
	*version = (int)v;
out:
	PQclear(res);
	return rc;
}

/*
 * One transaction: lock, read the version, apply the next step if there
 * is one. *version gets the version found; *done is set when there was
 * nothing left to do. Two migrators serialise on the lock, and the later
 * one sees the version the earlier one committed.
 */
static int migrate_step(struct tier_pg *pg, int *version, int *done)
{
	const char *params[1];
	char next[16];
	PGresult *res = NULL;
	long long v;
	int rc;

	*done = 0;
	rc = pg_exec_simple(pg, "migrate", "BEGIN", NULL);
	if (rc != QUIRE_OK)
		return rc;
	rc = pg_exec_simple(pg, "migrate lock",
			    "SELECT pg_advisory_xact_lock(" PG_MIGRATE_LOCK ")",
			    NULL);
	if (rc != QUIRE_OK)
		goto out;
	rc = pg_exec_simple(pg, "migrate", migrate_bootstrap, NULL);
	if (rc != QUIRE_OK)
		goto out;
	rc = pg_exec_simple(pg, "migrate",
			    "SELECT version FROM quire_schema", &res);
	if (rc != QUIRE_OK)
		goto out;
	if (PQntuples(res) != 1 || pg_col_ll(res, 0, 0, &v) != QUIRE_OK ||
	    v < 0 || v > INT_MAX) {
		pg_set_error(pg, "migrate", "quire_schema has no version", NULL);
		rc = QUIRE_EIO;
		goto out;
	}
	*version = (int)v;
	if (v > PG_SCHEMA_VERSION) {
		char msg[128];

		snprintf(msg, sizeof(msg),
			 "schema version %lld is newer than this quire's %d", v,
			 PG_SCHEMA_VERSION);
		pg_set_error(pg, "migrate", msg, NULL);
		rc = QUIRE_EIO;
		goto out;
	}
	if (v < PG_SCHEMA_VERSION) {
		rc = pg_exec_simple(pg, "migrate step", migrations[v], NULL);
		if (rc != QUIRE_OK)
			goto out;
		snprintf(next, sizeof(next), "%lld", v + 1);
		params[0] = next;
		PQclear(res);
		res = PQexecParams(pg->conn,
				   "UPDATE quire_schema SET version = $1::integer,"
				   " migrated_at = now()",
				   1, NULL, params, NULL, NULL, 0);
		if (!res || PQresultStatus(res) != PGRES_COMMAND_OK) {
			pg_fail(pg, "migrate version", res);
			rc = QUIRE_EIO;
			goto out;
		}
	} else {
		*done = 1;
	}
	rc = pg_exec_simple(pg, "migrate commit", "COMMIT", NULL);
out:
	PQclear(res);
	if (rc != QUIRE_OK)
		pg_rollback(pg);
	return rc;
}

int tier_pg_migrate(struct tier_pg *pg, int *from, int *to)
{
	int rc, version = 0, first = -1, done = 0, steps;

	if (from)
		*from = 0;
	if (to)
		*to = 0;
	rc = pg_ready(pg, 0);
	if (rc != QUIRE_OK)
		return rc;
	/* Up to date, the usual case: no transaction, no lock. */
	if (tier_pg_schema_version(pg, &version) == QUIRE_OK &&
	    version == PG_SCHEMA_VERSION) {
		if (from)
			*from = version;
		if (to)
			*to = version;
		return QUIRE_OK;
	}
	/* Bounded: one pass per step, and one more to find nothing to do. */
	for (steps = 0; steps <= PG_SCHEMA_VERSION && !done; steps++) {
		rc = migrate_step(pg, &version, &done);
		if (rc != QUIRE_OK)
			return rc;
		if (first < 0)
			first = version;
		if (!done)
			version++;
	}
	if (!done) {
		pg_set_error(pg, "migrate", "did not reach the newest version",
			     NULL);
		return QUIRE_EIO;
	}
	if (from)
		*from = first;
	if (to)
		*to = version;
	return QUIRE_OK;
}

/* ----------------------------------------------------------------- reads */

int tier_pg_generation(struct tier_pg *pg, long long *generation)
{
	PGresult *res;
	int rc;

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

int tier_pg_site(struct tier_pg *pg, struct tier_pg_site *out)
{
	PGresult *res = NULL;
	int rc;

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
static int row_to_record(struct tier_pg *pg, const PGresult *res, int row,
			 struct record **out)
{
	struct record *r;
	long long v;
	int len, rc = QUIRE_ENOMEM;

	*out = NULL;
	r = record_new();
	if (!r)
		return QUIRE_ENOMEM;
	if (col_dup(res, row, PG_COL_SLUG, &r->slug) != QUIRE_OK ||
	    col_dup(res, row, PG_COL_PATH, &r->path) != QUIRE_OK ||
	    col_dup(res, row, PG_COL_HTML, &r->html) != QUIRE_OK ||
	    col_dup(res, row, PG_COL_TOC, &r->toc_html) != QUIRE_OK)
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

int tier_pg_fetch(struct tier_pg *pg, const char *slug, struct record **out)
{
	const char *values[1];
	int lengths[1], formats[1];
	PGresult *res;
	size_t len;
	int rc;

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
static int pg_read_each(struct tier_pg *pg, enum pg_stmt s, int nparams,
			const char *const *values, size_t size, pg_row_fn row,
			void *ctx, pg_rows_free_fn release, void *array_ptr,
			size_t *n)
{
	PGresult *res;
	char *v;
	size_t count = 0;
	int rows, i, rc = pg_exec_read(pg, s, nparams, values, NULL, NULL, &res);

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
		rc = row(pg, res, i, v + count * size, ctx);
		if (rc == PG_ROW_SKIP)
			continue;
		if (rc != QUIRE_OK) {
			release(v, count + 1);
			PQclear(res);
			return rc;
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
	}
	if (PQgetisnull(res, i, PG_COL_SLUG))
		return PG_ROW_SKIP;
	return row_to_record(pg, res, i, elem);
}

int tier_pg_index(struct tier_pg *pg, struct record ***out, size_t *n,
		  long long *generation)
{
	struct index_read ir = { generation, 0 };
	int rc;

	*generation = 0;
	rc = pg_read_each(pg, PG_STMT_INDEX, 0, NULL, sizeof(**out), index_row,
			  &ir, records_release, out, n);
	if (rc == QUIRE_OK && !ir.seen) {
		record_array_free(*out, *n);
		*out = NULL;
		*n = 0;
		pg_set_error(pg, "index", "the site row is missing", NULL);
		rc = QUIRE_EIO;
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

int tier_pg_slugs(struct tier_pg *pg, char ***out, size_t *n)
{
	return pg_read_each(pg, PG_STMT_SLUGS, 0, NULL, sizeof(**out), slug_row,
			    NULL, strings_release, out, n);
}

int tier_pg_api_owned(struct tier_pg *pg, char *const *slugs, size_t n,
		      char **first)
{
	struct buf arr = BUF_INIT;
	const char *values[1];
	int lengths[1], formats[1] = { 1 }, rc;
	PGresult *res;

	*first = NULL;
	if (n == 0)
		return QUIRE_OK;
	rc = text_array_encode(&arr, slugs, n);
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
	if (PQntuples(res) > 0 && !(*first = strdup(PQgetvalue(res, 0, 0))))
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

int tier_pg_list(struct tier_pg *pg, const char *after, const char *origin,
		 size_t limit, struct tier_pg_listed **out, size_t *n)
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

int tier_pg_content_hashes(struct tier_pg *pg, struct tier_pg_hash **out,
			   size_t *n)
{
	return pg_read_each(pg, PG_STMT_HASHES, 0, NULL, sizeof(**out), hash_row,
			    NULL, hashes_release, out, n);
}

/*
 * Keeps each signature for its slug while the row is of origin content
 * with the hash it was taken with: a row changed since (by a deploy or
 * the API) keeps none. Off the durable path: a signature lost in a crash
 * only makes the next deploy read that file, so the commit does not wait
 * for its flush.
 */
static const char keep_sigs_sql[] =
	"UPDATE posts AS p SET file_sig = v.sig"
	" FROM unnest($1::text[], $2::text[], $3::text[]) AS v(slug, sig, hash)"
	" WHERE p.slug = v.slug AND p.origin = 'content'"
	" AND p.hash = v.hash::bigint";

int tier_pg_keep_sigs(struct tier_pg *pg, const struct tier_pg_hash *v,
		      size_t n)
{
	struct buf arrays[3] = { BUF_INIT, BUF_INIT, BUF_INIT };
	char **lists[3] = { NULL, NULL, NULL }, (*hashes)[24] = NULL;
	const char *values[3];
	int lengths[3], formats[3] = { 1, 1, 1 }, i, rc = QUIRE_ENOMEM;
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
		rc = text_array_encode(&arrays[i], lists[i], n);
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

/* ---------------------------------------------------------------- deploy */


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
 * queries went out: BEGIN, the upserts (n_many statements of
 * PG_UPSERT_ROWS records, then one statement per remaining record), the
 * delete (if any), the generation bump, COMMIT.
 */
struct deploy {
	struct tier_pg *pg;
	struct record *const *upserts;
	size_t n_upserts;
	size_t n_many;         /* statements of PG_UPSERT_ROWS records */
	size_t n_upsert_stmts; /* all upsert statements */
	int has_delete;
	long long *revisions;  /* one per upsert, kept until COMMIT succeeds */
	size_t n_revisions;    /* how many were returned */
	size_t sent;           /* queries sent */
	size_t done;           /* results read */
	size_t unsynced;       /* records or queries sent since the last Sync */
	long long generation;
	int committed;
	int rc;                /* the first failure */
};

static void deploy_failed(struct deploy *d, int rc)
{
	if (d->rc == QUIRE_OK)
		d->rc = rc;
}

/* Sets parameter i of v/len to the counted text s (NULL for SQL NULL). */
static int param_text(const char **v, int *len, int i, const char *s,
		      size_t n)
{
	if (n > INT_MAX)
		return QUIRE_EINVAL;
	v[i] = s;
	len[i] = s ? (int)n : 0;
	return QUIRE_OK;
}

int pg_param_str(const char **v, int *len, int i, const char *s)
{
	return param_text(v, len, i, s, s ? strlen(s) : 0);
}

/* A value that fits an int4 column, or QUIRE_EINVAL. */
static int param_int4(const char **v, int *len, int i, char *dst,
		      long long x)
{
	if (x < INT32_MIN || x > INT32_MAX)
		return QUIRE_EINVAL;
	put_be32(dst, (uint32_t)(int32_t)x);
	v[i] = dst;
	len[i] = 4;
	return QUIRE_OK;
}

/* A big-endian int8 in dst, or SQL NULL when !present. */
static void param_int8(const char **v, int *len, int i, char *dst,
		       uint64_t x, int present)
{
	pg_put_be64(dst, x);
	v[i] = present ? dst : NULL;
	len[i] = present ? 8 : 0;
}

/* Fills the PG_UPSERT_NPARAMS parameters at v/len from r and w->post.
 * They point into r and w, which must outlive the send. */
int pg_upsert_fill(const char **v, int *len, struct upsert_row *w,
		       const struct record *r)
{
	const struct post *p = w->post;
	int i, rc;

	if ((rc = pg_param_str(v, len, 0, r->slug)) != QUIRE_OK ||
	    (rc = pg_param_str(v, len, 1, record_kind_name(r->kind))) != QUIRE_OK ||
	    (rc = pg_param_str(v, len, 2, record_origin_name(r->origin))) != QUIRE_OK ||
	    (rc = pg_param_str(v, len, 3, r->path)) != QUIRE_OK ||
	    (rc = pg_param_str(v, len, 4, p->title)) != QUIRE_OK ||
	    (rc = pg_param_str(v, len, 7, p->description)) != QUIRE_OK ||
	    (rc = param_text(v, len, 13, r->source, r->source_len)) != QUIRE_OK ||
	    (rc = pg_param_str(v, len, 15, r->html)) != QUIRE_OK ||
	    (rc = pg_param_str(v, len, 16, r->toc_html)) != QUIRE_OK)
		return rc;
	/* The record's date, not the frontmatter's: it may come from a
	 * Jekyll file name. */
	param_int8(v, len, 5, w->date, (uint64_t)r->date, r->has_date);
	param_int8(v, len, 6, w->updated, (uint64_t)(long long)p->updated,
		   p->has_updated);
	if ((rc = text_array_encode(&w->arrays[0], p->tags.v, p->tags.n)) != QUIRE_OK ||
	    (rc = text_array_encode(&w->arrays[1], p->categories.v, p->categories.n)) != QUIRE_OK ||
	    (rc = text_array_encode(&w->arrays[2], p->authors.v, p->authors.n)) != QUIRE_OK)
		return rc;
	for (i = 0; i < 3; i++) {
		v[8 + i] = w->arrays[i].data;
		len[8 + i] = (int)w->arrays[i].len;
	}
	w->draft = p->draft ? 1 : 0;
	v[11] = &w->draft;
	len[11] = 1;
	if ((rc = param_int4(v, len, 12, w->pin, p->pin)) != QUIRE_OK ||
	    (rc = param_int4(v, len, 14, w->body_offset,
			     (long long)r->body_offset)) != QUIRE_OK ||
	    (rc = param_int4(v, len, 17, w->words, r->words > INT32_MAX ?
			     (long long)INT32_MAX + 1 : (long long)r->words)) != QUIRE_OK)
		return rc;
	/* The bit pattern, which bigint reads as signed: 2^63 and up come
	 * back negative and are cast back on the way out. */
	param_int8(v, len, 18, w->hash, (uint64_t)r->hash, 1);
	return QUIRE_OK;
}

/* Checks what the database would otherwise reject halfway through. */
int pg_record_check(const struct record *r)
{
	if (!r || !r->slug || !post_slug_valid(r->slug) || !r->source ||
	    (unsigned)r->kind >= POST_KIND__MAX ||
	    (unsigned)r->origin >= RECORD_ORIGIN__MAX ||
	    r->body_offset > r->source_len)
		return QUIRE_EINVAL;
	return QUIRE_OK;
}

static int slug_cmp(const void *a, const void *b)
{
	const struct record *const *x = a, *const *y = b;

	return strcmp((*x)->slug, (*y)->slug);
}

/* Every record complete, and each slug once: one statement cannot
 * upsert a slug twice, and a deploy that lists one twice is a bug. */
static int deploy_check(struct tier_pg *pg, struct record *const *v, size_t n)
{
	struct record **sorted;
	char msg[300];
	size_t i;
	int rc = QUIRE_OK;

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
static int batch_add(struct deploy *d, struct upsert_batch *b,
		     const struct record *r)
{
	struct upsert_row *w = &b->rows[b->n];
	size_t base = b->n * PG_UPSERT_NPARAMS;
	char msg[300];
	int rc;

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
static int batch_send(struct deploy *d, struct upsert_batch *b)
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
 * trying its own position first. */
static int deploy_revisions(struct deploy *d, size_t k, const PGresult *res)
{
	size_t first, count, j, m;
	const char *slug;
	long long v;
	int row;

	deploy_stmt_records(d, k, &first, &count);
	if ((size_t)PQntuples(res) != count)
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
	size_t bump = 1 + d->n_upsert_stmts + (d->has_delete ? 1 : 0);
	long long v;

	if (st == PGRES_PIPELINE_ABORTED) {
		/* Skipped after an earlier error, which was recorded. */
		deploy_failed(d, QUIRE_EIO);
		return;
	}
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		if (d->rc == QUIRE_OK)
			pg_fail(pg, idx == 0 ? "deploy begin" :
				idx <= d->n_upsert_stmts ? "deploy upsert" :
				idx < bump ? "deploy delete" :
				idx == bump ? "deploy generation" :
				"deploy commit", res);
		deploy_failed(d, QUIRE_EIO);
		return;
	}
	if (idx >= 1 && idx <= d->n_upsert_stmts) {
		if (deploy_revisions(d, idx - 1, res) != QUIRE_OK) {
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

/* Sends a prepared statement (name) or BEGIN/COMMIT (sql). */
static int deploy_send(struct deploy *d, const char *name, const char *sql,
		       int nparams, const char *const *values,
		       const int *lengths, const int *formats)
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
static int deploy_send_upserts(struct deploy *d, struct upsert_batch *b)
{
	size_t i;
	int rc;

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

static int deploy_send_tail(struct deploy *d, char *const *deletes,
			    size_t n_deletes, struct buf *scratch)
{
	const char *values[1];
	int lengths[1], formats[1] = { 1 };
	int rc;

	if (n_deletes) {
		rc = text_array_encode(scratch, deletes, n_deletes);
		if (rc != QUIRE_OK) {
			pg_set_error(d->pg, "deploy", "bad list of deletions",
				     NULL);
			return rc;
		}
		values[0] = scratch->data;
		lengths[0] = (int)scratch->len;
		rc = deploy_send(d, pg_stmts[PG_STMT_DELETE].name, NULL, 1,
				 values, lengths, formats);
		if (rc != QUIRE_OK)
			return rc;
	}
	rc = deploy_send(d, pg_stmts[PG_STMT_BUMP].name, NULL, 0, NULL, NULL,
			 NULL);
	if (rc != QUIRE_OK)
		return rc;
	return deploy_send(d, NULL, "COMMIT", 0, NULL, NULL, NULL);
}

int tier_pg_deploy(struct tier_pg *pg, struct record *const *upserts,
		   size_t n_upserts, char *const *deletes, size_t n_deletes,
		   long long *generation)
{
	struct upsert_batch *b = NULL;
	struct deploy d;
	size_t i;
	int rc;

	memset(&d, 0, sizeof(d));
	d.pg = pg;
	d.upserts = upserts;
	d.n_upserts = n_upserts;
	d.n_many = n_upserts / PG_UPSERT_ROWS;
	d.n_upsert_stmts = d.n_many + n_upserts % PG_UPSERT_ROWS;
	d.has_delete = n_deletes > 0;
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
	for (i = 0; i < PG_UPSERT_ROWS; i++) {
		buf_init(&b->rows[i].arrays[0]);
		buf_init(&b->rows[i].arrays[1]);
		buf_init(&b->rows[i].arrays[2]);
	}
	for (i = 0; i < PG_UPSERT_ROWS * PG_UPSERT_NPARAMS; i++)
		b->formats[i] = 1;
	if (!PQenterPipelineMode(pg->conn)) {
		pg_fail(pg, "deploy pipeline", NULL);
		rc = QUIRE_EIO;
		goto out;
	}
	d.rc = deploy_send(&d, NULL, "BEGIN", 0, NULL, NULL, NULL);
	if (d.rc == QUIRE_OK)
		deploy_failed(&d, deploy_send_upserts(&d, b));
	if (d.rc == QUIRE_OK)
		d.rc = deploy_send_tail(&d, deletes, n_deletes,
					&b->rows[0].arrays[0]);
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
	if (rc == QUIRE_OK && (!d.committed || d.n_revisions != n_upserts)) {
		pg_set_error(pg, "deploy", "the commit was not confirmed", NULL);
		rc = QUIRE_EIO;
	}
	if (rc != QUIRE_OK) {
		if (!pg->broken)
			pg_rollback(pg);
		goto out;
	}
	for (i = 0; i < n_upserts; i++)
		upserts[i]->revision = d.revisions[i];
	if (generation)
		*generation = d.generation;
out:
	if (b) {
		batch_clear(b);
		for (i = 0; i < PG_UPSERT_ROWS; i++) {
			buf_release(&b->rows[i].arrays[0]);
			buf_release(&b->rows[i].arrays[1]);
			buf_release(&b->rows[i].arrays[2]);
		}
	}
	free(b);
	free(d.revisions);
	return rc;
}
