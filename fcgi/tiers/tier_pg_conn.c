/*
 * tier_pg_conn.c - the PostgreSQL tier's connection and its prepared
 * statements
 *
 * Every statement that carries data is prepared once per connection, when
 * first needed, and run with binary parameters (tier_pg_values.c).
 * Nothing from a record is ever spliced into SQL.
 *
 * A connection that failed is not reused as it is: when libpq reports it
 * bad, or a pipeline could not be wound down cleanly, the next call
 * resets it (PQreset) and prepares again the statements it then needs.
 * Reads, which are safe to repeat, are retried once on the fresh
 * connection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "lib/buf.h"
#include "lib/quire.h"
#include "tiers/search_query.h"
#include "tiers/tier_pg.h"
#include "tiers/tier_pg_private.h"

/* ------------------------------------------------------------ statements */

/* A row's summary, if it was made from the row's source: a build before
 * summaries (schema step 9) updates a row without touching its summary
 * columns, and the summary it leaves is of an older source. summary_of
 * is the hash of the source the summary was made from. */
#define PG_SUMMARY_SQL \
	"CASE WHEN p.summary_of = p.hash THEN p.summary_html END"

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
	PG_OID_TEXT,       /* $20 summary_html (step 9) */
	PG_OID_TEXT,       /* $21 body_text (step 14) */
	/* PUT_IF only: the precondition (lib/precond.h) */
	PG_OID_INT4,       /* $22 its flags, PRECOND_* */
	PG_OID_INT8_ARRAY, /* $23 If-Match's revisions */
	PG_OID_INT8_ARRAY, /* $24 If-None-Match's revisions */
};
static const char upsert_head[] =
	"INSERT INTO posts AS p (slug, kind, origin, path, title, date,"
	" updated, description, tags, categories, authors, draft, pin,"
	" source, body_offset, html, toc_html, words, hash, summary_html,"
	" body_text, summary_of) VALUES ";
/* A second row for a slug in one statement is an error ("cannot affect
 * row a second time"): tier_pg_deploy refuses duplicates before.
 * search = excluded.search: the search vector the BEFORE INSERT trigger
 * made for the proposed row, so that the BEFORE UPDATE trigger keeps it
 * (schema step 10) rather than making it again: to_tsvector was two
 * thirds of the committing backend's CPU a write, twice over on an
 * update (tests/bench/mixed, DESIGN §7). */
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
	" hash = excluded.hash, summary_html = excluded.summary_html," \
	" summary_of = excluded.summary_of, body_text = excluded.body_text," \
	" search = excluded.search," \
	" revision = p.revision + 1," \
	" file_sig = NULL, updated_at = now()"
/*
 * A slug has one owner (DESIGN §6, §7): a write replaces only a row of
 * its own origin, so a deploy never replaces an API post nor the API a
 * content file's post. The check is the row's newest version, locked by
 * ON CONFLICT, in the writing statement itself: a concurrent writer of
 * the other origin cannot slip in between. A row refused is left alone
 * (and stays locked until the transaction ends) and returns nothing: the
 * caller tells the slugs that came back from those that did not.
 */
static const char upsert_tail[] = UPSERT_SET
	" WHERE p.origin = excluded.origin"
	" RETURNING slug, revision";
/*
 * An API write under its precondition in one statement, so a batch of
 * them needs no round trip between two (tier_pg_write.c). The
 * precondition is lib/precond.h's: $22 its flags (1 the post must
 * exist, 2 it must not, 4 its revision must be in $23), $24 revisions
 * it must not be at. Absent, the row is inserted unless it must exist;
 * present (even one a concurrent transaction has just inserted: the
 * insert waits for it to end), it is updated only when it may exist and
 * its revision is one $23 names (under flag 4) and none $24 names. ON
 * CONFLICT locks the row and checks the WHERE against its newest
 * version, so of two writers with the same If-Match one wins.
 * Whatever the precondition, a row of origin content is left alone (its
 * file owns the slug: the owner's rule comes first). No row back: the
 * precondition failed, or the slug is a content file's
 * (PG_STMT_CONTENT_OWNED tells which). precond_check() is the same rule
 * as the precondition's part.
 */
static const char put_if_head[] =
	"INSERT INTO posts AS p (slug, kind, origin, path, title, date,"
	" updated, description, tags, categories, authors, draft, pin,"
	" source, body_offset, html, toc_html, words, hash, summary_html,"
	" body_text, summary_of) SELECT ";
static const char put_if_tail[] =
	" WHERE ($22 & 1) = 0 OR EXISTS (SELECT 1 FROM posts WHERE slug = $1)"
	UPSERT_SET " WHERE p.origin = excluded.origin"
	" AND ($22 & 2) = 0"
	" AND (($22 & 4) = 0 OR p.revision = ANY ($23))"
	" AND p.revision <> ALL ($24)"
	" RETURNING slug, revision";
static const Oid delete_if_types[4] = {
	PG_OID_TEXT, PG_OID_INT4, PG_OID_INT8_ARRAY, PG_OID_INT8_ARRAY,
};

/* The newest SEARCH_MAX_CANDIDATES matches (search_query.h), ranked
 * by ts_rank with its default weights, A (title) 1.0, B (tags) 0.4,
 * C (body) 0.2; the total counted before the page is cut; the headline
 * made for the page's rows alone, over the first PG_HEADLINE_TEXT
 * characters of the body's text (schema step 14: kept with the post,
 * so no regular expression runs over HTML here): ts_headline parses
 * and stems all the text it is given, so a whole body cost each row
 * what its length cost: 1,800 characters cost 1.3 ms more a search
 * than 900 (of 5.5 ms, the bench's 200 queries one at a time), 900
 * 0.5 ms more than 600 (of 4.5; a third of PostgreSQL's time in a
 * search was still ts_headline's parser and stemmer), for snippets
 * that find a word only in the body's first paragraphs (further on,
 * the snippet is the body's start; 600 characters are about 100
 * words, the snippet's two fragments at most 60).
 *
 * Every row read costs about the same (a heap page each: the vector
 * fills most of one since step 15), so the candidates are looked for
 * the way that reads fewest for the query, by the share of posts it is
 * estimated to match (e: quire_search_share, schema step 17, from the
 * planner's statistics of the vector's words; NULL before any):
 *   a  from PG_SEARCH_SCAN_SHARE up: the newest posts one by one in
 *      the date index's order (which breaks ties by slug, as here),
 *      each tested, until SEARCH_MAX_CANDIDATES match, among the
 *      newest PG_SEARCH_WINDOW at most: ~200/share rows, and no GIN
 *      posting list, which for a word in every post was 1.2 ms alone;
 *   w  from PG_SEARCH_WINDOW_SHARE (or with no statistics): the GIN
 *      index's matches ANDed with the date index's range of the newest
 *      posts, as many as hold PG_SEARCH_WINDOW_MATCHES matches by the
 *      estimate and PG_SEARCH_WINDOW at least, so only the window's
 *      matches are read (a window of 2,000 for a word in one post of
 *      twelve held fewer than 200, and every match was read after it:
 *      3.5 ms against 2.9 for the bench's words in 650-1,100 posts);
 *   the third arm, when neither found SEARCH_MAX_CANDIDATES (a rare
 *      query, a phrase, or an estimate that was wrong): every match,
 *      the newest kept (a phrase of common words reads every post
 *      holding them all; an index of word pairs, tried, cost writes
 *      too much: DESIGN §5).
 * At most one of a and w runs (f: what it found). When it finds
 * SEARCH_MAX_CANDIDATES they are the newest matches of all, since
 * every post outside the window is older (a date equal to the
 * window's edge is inside; a post without a date sorts last):
 * the estimate chooses the way, never the answer. The bench's 200
 * queries one at a time, each statement in a pass of its own: 4.3-5.0
 * -> 3.1-3.5 ms on average, the same answers (RESULTS.md).
 * The candidates carry their rank, computed on the row the arm reads
 * anyway (rank and title: a second read of 200 rows by ctid cost
 * 0.3 ms), and the row's ctid for the headline (a TID scan, in the
 * statement's one snapshot). The third arm's date test is not one an
 * index can answer (coalesce): as "date IS NULL OR date <= now" the
 * generic plan ORed two scans of the date index, every post's entry,
 * into the GIN index's matches. A gated arm does not run at all: its
 * condition on e is a one-time filter of the plan. */
#define PG_HEADLINE_TEXT 600
#define PG_SEARCH_WINDOW 2000
#define PG_SEARCH_WINDOW_MATCHES 300
#define PG_SEARCH_SCAN_SHARE "0.25"
#define PG_SEARCH_WINDOW_SHARE "0.07"
#define PG_NUM_STR(n) #n
#define PG_NUM(n) PG_NUM_STR(n)
#define PG_NOW " to_timestamp($4::bigint)"
#define PG_LISTED " p.kind = 'post' AND NOT p.draft"
#define PG_CANDIDATE \
	" p.ctid AS tid, p.slug, p.title, p.date," \
	" ts_rank(p.search, q.tq) AS rank"
#define PG_FOUND \
	" (SELECT count(*) FROM f) >= " PG_NUM(SEARCH_MAX_CANDIDATES)
static const char search_sql[] =
	"WITH q AS (SELECT search_config AS cfg,"
	"  websearch_to_tsquery(search_config, $1) AS tq FROM site),"
	" e AS (SELECT coalesce(quire_search_share(tq), "
	PG_SEARCH_WINDOW_SHARE ") AS share FROM q),"
	" a AS MATERIALIZED (SELECT" PG_CANDIDATE
	"  FROM (SELECT p.ctid, p.slug, p.title, p.date, p.search"
	"   FROM posts p"
	"   WHERE (SELECT share FROM e) >= " PG_SEARCH_SCAN_SHARE
	"   AND" PG_LISTED " AND p.date <=" PG_NOW
	"   ORDER BY p.date DESC, p.slug"
	"   LIMIT " PG_NUM(PG_SEARCH_WINDOW) ") p, q"
	"  WHERE ts_match_vq(p.search, q.tq)"
	"  LIMIT " PG_NUM(SEARCH_MAX_CANDIDATES) "),"
	" cut AS (SELECT coalesce((SELECT c.date FROM posts c"
	"  WHERE c.kind = 'post' AND c.date <=" PG_NOW
	"  ORDER BY c.date DESC OFFSET (SELECT greatest(" PG_NUM(PG_SEARCH_WINDOW)
	"   , " PG_NUM(PG_SEARCH_WINDOW_MATCHES) " / greatest(share, "
	PG_SEARCH_WINDOW_SHARE "))::int FROM e) - 1 LIMIT 1),"
	"  '-infinity') AS at),"
	" w AS MATERIALIZED (SELECT" PG_CANDIDATE
	"  FROM posts p, q, cut"
	"  WHERE (SELECT share FROM e) >= " PG_SEARCH_WINDOW_SHARE
	"  AND (SELECT share FROM e) < " PG_SEARCH_SCAN_SHARE
	"  AND p.search @@ q.tq AND" PG_LISTED
	"  AND p.date <=" PG_NOW " AND p.date >= cut.at"
	"  ORDER BY p.date DESC, p.slug"
	"  LIMIT " PG_NUM(SEARCH_MAX_CANDIDATES) "),"
	" f AS (SELECT * FROM a UNION ALL SELECT * FROM w),"
	" m AS (SELECT * FROM f WHERE" PG_FOUND
	"  UNION ALL (SELECT" PG_CANDIDATE " FROM posts p, q"
	"  WHERE NOT" PG_FOUND
	"  AND p.search @@ q.tq AND" PG_LISTED
	"  AND coalesce(p.date, '-infinity') <=" PG_NOW
	"  ORDER BY p.date DESC NULLS LAST, p.slug"
	"  LIMIT " PG_NUM(SEARCH_MAX_CANDIDATES) ")),"
	" h AS (SELECT m.*, count(*) OVER () AS total FROM m"
	"  ORDER BY m.rank DESC, m.date DESC NULLS LAST, m.slug"
	"  LIMIT $2::bigint OFFSET $3::bigint)"
	" SELECT h.slug, coalesce(h.title, ''),"
	"  coalesce(extract(epoch FROM h.date)::bigint, 0),"
	"  ts_headline(q.cfg,"
	"   left(coalesce(p.body_text, ''), " PG_NUM(PG_HEADLINE_TEXT) "), q.tq,"
	"   'StartSel=' || chr(1) || ', StopSel=' || chr(2) ||"
	"   ', MaxWords=30, MinWords=12, MaxFragments=2,"
	" FragmentDelimiter=\"\xe2\x80\xa6 \"'),"
	"  h.total"
	" FROM h JOIN posts p ON p.ctid = h.tid, q"
	" ORDER BY h.rank DESC, h.date DESC NULLS LAST, h.slug";

static const Oid text_type[1] = { PG_OID_TEXT };
static const Oid text_array_type[1] = { PG_OID_TEXT_ARRAY };
static const Oid list_types[3] = { PG_OID_TEXT, PG_OID_TEXT, PG_OID_INT8 };
static const Oid search_types[4] = {
	PG_OID_TEXT, PG_OID_INT8, PG_OID_INT8, PG_OID_INT8,
};

const struct pg_stmt_def pg_stmts[PG_STMT__MAX] = {
	/* Built by pg_upsert_sql() when prepared. */
	{ "quire_upsert", NULL, PG_UPSERT_NPARAMS, upsert_types },
	{ "quire_upsert_many", NULL, PG_UPSERT_ROWS * PG_UPSERT_NPARAMS, NULL },
	/* A post's file signature (content_sigs, step 16) goes with it. */
	{ "quire_delete",
	  "WITH gone AS (DELETE FROM posts WHERE origin = 'content'"
	  " AND slug = ANY ($1) RETURNING slug)"
	  " DELETE FROM content_sigs WHERE slug IN (SELECT slug FROM gone)",
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
	/* The generation in the same statement, so of the same snapshot:
	 * the record is as of it (record.h). */
	{ "quire_fetch",
	  "SELECT p.slug, p.kind, p.origin, p.path, p.source, p.body_offset,"
	  " p.html, p.toc_html, p.words, extract(epoch FROM p.date)::bigint,"
	  " p.hash, p.revision, " PG_SUMMARY_SQL ","
	  " (SELECT generation FROM site)"
	  " FROM posts p WHERE p.slug = $1",
	  1, text_type },
	/* One statement, so one snapshot: the generation and site.yaml
	 * match the rows. The left join gives one row (slug NULL) on an
	 * empty site; site.yaml comes in the first row only. Read through
	 * to_jsonb so that workers of this version read a database whose
	 * schema is older (no config column until step 6: no site.yaml),
	 * as they did before. The source is cut in bytes of UTF-8, as
	 * body_offset counts them. */
	{ "quire_index",
	  "WITH g AS (SELECT generation, to_jsonb(s) ->> 'config' AS config"
	  " FROM site s)"
	  " SELECT p.slug, p.kind, p.origin, p.path,"
	  " convert_from(substring(convert_to(p.source, 'UTF8')"
	  " FROM 1 FOR p.body_offset), 'UTF8'), p.body_offset,"
	  " NULL::text, NULL::text, p.words,"
	  " extract(epoch FROM p.date)::bigint, p.hash, p.revision,"
	  " " PG_SUMMARY_SQL ", g.generation,"
	  " CASE WHEN row_number() OVER (ORDER BY p.kind, p.date DESC NULLS"
	  " LAST, p.slug) = 1 THEN g.config END"
	  " FROM g LEFT JOIN posts p ON true"
	  " ORDER BY p.kind, p.date DESC NULLS LAST, p.slug",
	  0, NULL },
	/* A signature counts while the row still has the hash it was
	 * kept with (tier_pg_keep_sigs). */
	{ "quire_hashes",
	  "SELECT p.slug, p.kind, p.hash, p.path,"
	  " CASE WHEN s.hash = p.hash THEN s.sig END"
	  " FROM posts p LEFT JOIN content_sigs s ON s.slug = p.slug"
	  " WHERE p.origin = 'content'",
	  0, NULL },
	/* Built by pg_upsert_sql() when prepared. */
	{ "quire_put_if", NULL, PG_PUT_IF_NPARAMS, upsert_types },
	/* Deletes an API post under a precondition ($2 to $4 as the last
	 * three of quire_put_if) and tells why not: (deleted rows, whether the
	 * slug existed in the statement's snapshot). A delete that waited
	 * for a concurrent writer checks the revision that writer
	 * committed. A content file's post is not the API's to delete,
	 * whatever the precondition. */
	{ "quire_delete_if",
	  "WITH d AS (DELETE FROM posts WHERE slug = $1 AND origin = 'api'"
	  " AND ($2 & 2) = 0 AND (($2 & 4) = 0 OR revision = ANY ($3))"
	  " AND revision <> ALL ($4) RETURNING 1)"
	  " SELECT (SELECT count(*) FROM d),"
	  " EXISTS (SELECT 1 FROM posts WHERE slug = $1)",
	  4, delete_if_types },
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
	/* A content file may not replace a post of the API (README), nor
	 * take its slug in another letter case (DESIGN §3): the slugs
	 * asked for that an API post holds in any case. A hash join, not
	 * a lookup a slug: 10,000 slugs cost one scan, index or none. */
	{ "quire_api_owned",
	  "SELECT DISTINCT s.slug FROM unnest($1::text[]) AS s (slug)"
	  " JOIN posts p ON lower(p.slug) = lower(s.slug)"
	  " WHERE p.origin = 'api' ORDER BY s.slug",
	  1, text_array_type },
	/* Which of an API batch's slugs are content files' posts, and their
	 * files: run after the batch's writes, in its transaction, so it
	 * sees the rows they locked and left alone (tier_pg_write.c). */
	{ "quire_content_owned",
	  "SELECT slug, path FROM posts WHERE origin = 'content'"
	  " AND slug = ANY ($1)",
	  1, text_array_type },
	/* Two slugs equal but for case are duplicates (DESIGN §3): the API
	 * refuses a PUT of one when the other is held. Slugs are ASCII, so
	 * lower() folds them alike under any collation; the unique index
	 * posts_slug_lower (schema step 8) serves it, and refuses in the
	 * commit a twin this check, before the write, could not see. */
	{ "quire_other_case",
	  "SELECT slug FROM posts WHERE lower(slug) = lower($1)"
	  " AND slug <> $1 ORDER BY slug LIMIT 1",
	  1, text_type },
	/* The query, how many, from where, the site's time: prepared,
	 * and planned once (pg_prepare sets the session's plan_cache_mode:
	 * PostgreSQL kept planning it anew, a third of a search). */
	{ "quire_search", search_sql, 4, search_types },
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

enum quire_err tier_pg_connect(const char *conninfo, struct tier_pg **out,
			       char *err, size_t errsz)
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
		/* summary_of: the hash ($19 of the row) the summary was
		 * made with */
		buf_printf(b, ", $%d", row * PG_UPSERT_NPARAMS + 19);
		if (tuple)
			buf_putc(b, ')');
	}
	buf_puts(b, tail);
}

/* The SQL and parameter types of upsert statement s, built for its
 * number of rows (caller frees both). */
static enum quire_err upsert_text(enum pg_stmt s, char **sql, Oid **types,
				  int *nparams)
{
	int rows = pg_upsert_rows(s);
	/* the precondition's parameters */
	int extra = s == PG_STMT_PUT_IF ? PG_PUT_IF_NPARAMS - PG_UPSERT_NPARAMS : 0;
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
		for (i = PG_UPSERT_NPARAMS; i < PG_PUT_IF_NPARAMS; i++)
			(*types)[i] = upsert_types[i];
		pg_upsert_sql(&b, 1, put_if_head, put_if_tail);
	} else {
		pg_upsert_sql(&b, rows, upsert_head, upsert_tail);
	}
	*sql = buf_detach(&b, NULL);
	return *sql ? QUIRE_OK : QUIRE_ENOMEM;
}

/* Sends the Parse of statement s into the pipeline. */
static enum quire_err send_prepare(struct tier_pg *pg, enum pg_stmt s)
{
	char *sql = NULL;
	Oid *types = NULL;
	int nparams, sent;
	enum quire_err rc = QUIRE_OK;

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
static enum quire_err prepare_results(struct tier_pg *pg,
				      const enum pg_stmt *sent, int n)
{
	PGresult *res;
	int i;
	enum quire_err rc = QUIRE_OK;

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
static enum quire_err pg_prepare(struct tier_pg *pg, unsigned want)
{
	enum pg_stmt sent[PG_STMT__MAX];
	int i, n = 0;
	enum quire_err rc = QUIRE_OK;

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
	/* The search's plan hardly depends on its parameters (the query's
	 * words are read at run time), yet PostgreSQL never settled on a
	 * generic plan for it and planned every search anew: the bench's
	 * 200 queries one at a time took 7.2 ms on average so, 5.0 with
	 * the generic plan, the same answers (DESIGN §5, "Search"). A
	 * setting of the session, so the connection that searches plans
	 * its other statements (lookups by key) once too; set again after
	 * a reset, which prepares the search again. */
	if (rc == QUIRE_OK && (want & PG_STMT_BIT(PG_STMT_SEARCH)))
		rc = pg_exec_simple(pg, "plan_cache_mode",
				    "SET plan_cache_mode = force_generic_plan",
				    NULL);
	return rc;
}

/*
 * Makes the connection usable: reset when it failed, and the statements
 * of want (a mask of 1 << enum pg_stmt; 0 for migrations, which run
 * before the tables the statements name exist) prepared.
 */
enum quire_err pg_ready(struct tier_pg *pg, unsigned want)
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

/* True when the last failure (res, may be NULL) was the connection's,
 * not the statement's: then a read is worth one more try on a fresh
 * connection. A server that ended the session (a restart: 57P01, class
 * 57P; class 08) left its FATAL in the socket, read before libpq sees
 * the close, so the status may still say CONNECTION_OK. */
static int pg_conn_lost(struct tier_pg *pg, const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) :
			    NULL;

	if (state && (!strncmp(state, "57P", 3) || !strncmp(state, "08", 2)))
		pg->broken = 1;
	return pg->broken || PQstatus(pg->conn) == CONNECTION_BAD;
}

/*
 * Runs prepared statement s and returns its result in *out (caller
 * PQclear()s it) when its status is want. A read: on a connection that
 * died under it, it is run once more after a reset.
 */
enum quire_err pg_exec_read(struct tier_pg *pg, enum pg_stmt s, int nparams,
			    const char *const *values, const int *lengths,
			    const int *formats, PGresult **out)
{
	PGresult *res;
	int attempt, lost;
	enum quire_err rc;

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
		lost = pg_conn_lost(pg, res);
		PQclear(res);
		if (!lost)
			break;
	}
	return QUIRE_EIO;
}

enum quire_err pg_exec_params(struct tier_pg *pg, const char *what,
			      const char *sql, int n,
			      const char *const *values, const int *lengths,
			      const int *formats, PGresult **out)
{
	PGresult *res;
	ExecStatusType st;

	if (out)
		*out = NULL;
	res = n ? PQexecParams(pg->conn, sql, n, NULL, values, lengths,
			       formats, 0) :
		  PQexec(pg->conn, sql);
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

/* Runs sql (no parameters) for a migration; COMMAND_OK or TUPLES_OK. */
enum quire_err pg_exec_simple(struct tier_pg *pg, const char *what,
			      const char *sql, PGresult **out)
{
	return pg_exec_params(pg, what, sql, 0, NULL, NULL, NULL, out);
}

/* Ends a transaction that failed. A connection that cannot even roll
 * back is reset before its next use. */
enum quire_err pg_begin_migrating(struct tier_pg *pg, const char *what)
{
	enum quire_err rc = pg_exec_simple(pg, what, "BEGIN", NULL);

	if (rc == QUIRE_OK)
		rc = pg_exec_simple(pg, what, "SELECT pg_advisory_xact_lock("
				    PG_MIGRATE_LOCK ")", NULL);
	return rc;
}

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
