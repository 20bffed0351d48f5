/*
 * tier_pg_schema.c - the PostgreSQL tier's schema and its migrations
 *
 * A migration runs one step a transaction, each under an advisory lock
 * taken before the version is read: two migrators never run a step at
 * once, and the later one sees what the earlier one committed. A schema
 * already up to date, the usual case, costs no transaction and no lock.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>

#include "lib/quire.h"
#include "tiers/tier_pg.h"
#include "tiers/tier_pg_private.h"

/* ---------------------------------------------------------------- schema */

/*
 * What html.c writes as U+FFFD (html_clean): the C0 controls but tab, LF
 * and CR; DEL and the C1 controls; the noncharacters. A bracket
 * expression of PostgreSQL's regular expressions, in a standard string
 * (the step sets standard_conforming_strings), so the backslashes reach
 * the regex engine, which reads them as code points.
 */
#define PG_FORBIDDEN_CHARS "'[" \
	"\\u0001-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f" \
	"\\ufdd0-\\ufdef\\ufffe-\\uffff" \
	"\\U0001fffe-\\U0001ffff" \
	"\\U0002fffe-\\U0002ffff" \
	"\\U0003fffe-\\U0003ffff" \
	"\\U0004fffe-\\U0004ffff" \
	"\\U0005fffe-\\U0005ffff" \
	"\\U0006fffe-\\U0006ffff" \
	"\\U0007fffe-\\U0007ffff" \
	"\\U0008fffe-\\U0008ffff" \
	"\\U0009fffe-\\U0009ffff" \
	"\\U000afffe-\\U000affff" \
	"\\U000bfffe-\\U000bffff" \
	"\\U000cfffe-\\U000cffff" \
	"\\U000dfffe-\\U000dffff" \
	"\\U000efffe-\\U000effff" \
	"\\U000ffffe-\\U000fffff" \
	"\\U0010fffe-\\U0010ffff" \
	"]'"

/*
 * posts_slug_lower: a unique index on lower(slug), built only where no
 * two slugs equal but for letter case are held (else a WARNING names
 * the first 50 groups). A step (7), and again at each migration that
 * finds it missing (case_index).
 */
#define PG_CASE_INDEX_SQL \
	"DO $$ DECLARE twins text; BEGIN" \
	" SELECT string_agg(s, '; ' ORDER BY s) INTO twins FROM" \
	"  (SELECT string_agg(slug, ', ' ORDER BY slug) AS s FROM posts" \
	"   GROUP BY lower(slug) HAVING count(*) > 1 ORDER BY 1 LIMIT 50) t;" \
	" IF twins IS NULL THEN" \
	"  CREATE UNIQUE INDEX IF NOT EXISTS posts_slug_lower" \
	"   ON posts (lower(slug));" \
	" ELSE" \
	"  RAISE WARNING 'quire: posts whose slugs differ only in letter case:" \
	" %; the unique index posts_slug_lower is not built until one of each" \
	" is deleted', twins;" \
	" END IF;" \
	" END $$"

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
	/* 5: html and toc_html rendered before html.c replaced the characters
	 * XML and HTML forbid (a control character in a body broke every
	 * feed that carried it) cleaned in place, of both origins: the
	 * replacement is html_clean's, so the result is what a render gives
	 * now and the hash (of the source) stays. When a row changed, a new
	 * generation and stamp: a worker that reads PostgreSQL reloads, and
	 * the next deploy finds Redis's generation behind and rewrites it
	 * whole. Only under a UTF8 server encoding, where the expression
	 * matches characters, not bytes (elsewhere a post keeps its old HTML
	 * until it is rendered again). */
	"SET LOCAL standard_conforming_strings = on;"
	"DO $$ DECLARE n bigint; BEGIN"
	" IF current_setting('server_encoding') = 'UTF8' THEN"
	"  UPDATE posts SET"
	"   html = regexp_replace(html, " PG_FORBIDDEN_CHARS ", chr(65533), 'g'),"
	"   toc_html = regexp_replace(toc_html, " PG_FORBIDDEN_CHARS ", chr(65533), 'g')"
	"   WHERE html ~ " PG_FORBIDDEN_CHARS
	"   OR toc_html ~ " PG_FORBIDDEN_CHARS ";"
	"  GET DIAGNOSTICS n = ROW_COUNT;"
	"  IF n > 0 THEN"
	"   UPDATE site SET generation = generation + 1,"
	"    stamp = md5(random()::text || clock_timestamp()::text);"
	"  END IF;"
	" END IF;"
	" END $$",
	/* 6: site.yaml, as the last deploy carried it (NULL: none), so that
	 * workers that never read the content folder serve by it (DESIGN
	 * §5). Read by the index's one statement, in its snapshot. */
	"ALTER TABLE site ADD COLUMN IF NOT EXISTS config text",
	/* 7: full-text search (tier_pg_search.c, DESIGN §5): a tsvector of
	 * each post, title weighted A, tags B, the body's text C (its HTML's
	 * tags dropped: html.c escapes every '<' and '>' of text and
	 * attributes, so a tag is exactly '<' to the next '>'), kept by a
	 * trigger in the transaction of every write that changes one of
	 * them, deploy or API alike; the text search configuration is the
	 * site's (site.search_config, set from the site's language by
	 * tier_pg_search_language), the same for the index and the query.
	 * Every statement may run again over what it made (OR REPLACE, IF
	 * NOT EXISTS): functions outlive a DROP TABLE of the schema's
	 * tables, and the tier's tests run steps again over a newer schema. */
	"ALTER TABLE site ADD COLUMN IF NOT EXISTS search_config regconfig NOT NULL"
	" DEFAULT 'simple';"
	"CREATE OR REPLACE FUNCTION quire_html_text(h text) RETURNS text"
	" LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$"
	" SELECT replace(replace(replace(replace(replace("
	"  regexp_replace(coalesce(h, ''), '<[^>]*>', ' ', 'g'),"
	"  '&lt;', '<'), '&gt;', '>'), '&quot;', '\"'), '&#39;', ''''),"
	"  '&amp;', '&') $f$;"
	"CREATE OR REPLACE FUNCTION quire_search_vector(cfg regconfig, title text,"
	" tags text[], html text) RETURNS tsvector"
	" LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$"
	" SELECT setweight(to_tsvector(cfg, coalesce(title, '')), 'A')"
	"  || setweight(to_tsvector(cfg, array_to_string(tags, ' ')), 'B')"
	"  || setweight(to_tsvector(cfg, quire_html_text(html)), 'C') $f$;"
	"CREATE OR REPLACE FUNCTION quire_search_update() RETURNS trigger"
	" LANGUAGE plpgsql AS $f$ BEGIN"
	" NEW.search := quire_search_vector("
	"  (SELECT search_config FROM site), NEW.title, NEW.tags, NEW.html);"
	" RETURN NEW; END $f$;"
	"ALTER TABLE posts ADD COLUMN IF NOT EXISTS search tsvector;"
	"UPDATE posts SET search = quire_search_vector("
	" (SELECT search_config FROM site), title, tags, html);"
	"DROP TRIGGER IF EXISTS posts_search ON posts;"
	"CREATE TRIGGER posts_search BEFORE INSERT OR UPDATE OF title, tags, html"
	" ON posts FOR EACH ROW EXECUTE FUNCTION quire_search_update();"
	"CREATE INDEX IF NOT EXISTS posts_search ON posts USING gin (search)",
	/* 8: slugs equal but for letter case are one post (DESIGN §3): a
	 * unique index on lower(slug) (slugs are ASCII: lower() folds them
	 * alike under any collation) makes two writes of such slugs at one
	 * instant conflict in PostgreSQL, where the API's check before the
	 * write (quire_other_case) cannot see the other. A database that
	 * already holds such twins (possible before) is not refused: the
	 * step names them in a WARNING and leaves the index out, and the
	 * next migration that finds none builds it (case_index). */
	PG_CASE_INDEX_SQL,
	/* 9: each post's summary, what lists show (DESIGN §3, §5), so that
	 * workers that never read a file show it: read with the index. The
	 * rows already here have none, and SQL cannot make one (cmark cuts
	 * the Markdown): every content post is rendered again by the next
	 * deploy, as step 4 made it (a hash no file has, no signature, a
	 * new stamp); an API post gets one at its next write. Until then
	 * lists show their description, in both modes alike. summary_of:
	 * the hash of the source it was made from, so that a build before
	 * this step, which updates a row without touching these columns,
	 * leaves no summary of an older source read (PG_SUMMARY_SQL). */
	"ALTER TABLE posts ADD COLUMN IF NOT EXISTS summary_html text;"
	"ALTER TABLE posts ADD COLUMN IF NOT EXISTS summary_of bigint;"
	"UPDATE posts SET hash = 0, file_sig = NULL WHERE origin = 'content';"
	"UPDATE site SET stamp = md5(random()::text || clock_timestamp()::text)",
	/* 10: the search vector made once a write. An upsert that finds its
	 * row fired the BEFORE INSERT trigger on the proposed row and then
	 * the BEFORE UPDATE one on the row it updates: to_tsvector twice,
	 * two thirds of the committing backend's CPU a write. The upsert
	 * now sets search = excluded.search (tier_pg_conn.c), the vector
	 * the first trigger made of the same title, tags and html, and the
	 * update trigger keeps a vector the statement set; one it did not
	 * set (NEW.search is OLD's: an older build's upsert, or an UPDATE
	 * of the columns alone) is made again, as before. */
	"CREATE OR REPLACE FUNCTION quire_search_update() RETURNS trigger"
	" LANGUAGE plpgsql AS $f$ BEGIN"
	" IF TG_OP = 'UPDATE' AND NEW.search IS DISTINCT FROM OLD.search THEN"
	"  RETURN NEW;"
	" END IF;"
	" NEW.search := quire_search_vector("
	"  (SELECT search_config FROM site), NEW.title, NEW.tags, NEW.html);"
	" RETURN NEW; END $f$",
	/* 11: the search vector's upkeep made cheaper (DESIGN §5, "Search";
	 * a full deploy of 10,000 posts went from 1.4 s to 28 s with step
	 * 7). The body's vector is made from its HTML as it is: the
	 * default parser reads a tag and an entity as tokens of their own
	 * types, which no configuration maps to a word, so the vector
	 * equals that of quire_html_text's text (checked on 10,000 posts)
	 * without the regular expression over every body, a third of the
	 * cost; the vectors already made stay right. And on an UPDATE the
	 * trigger fires only when the title, the tags or the HTML changed,
	 * not each time a statement names them (every upsert does). Each
	 * statement may run again over what it made. */
	"CREATE OR REPLACE FUNCTION quire_search_vector(cfg regconfig, title text,"
	" tags text[], html text) RETURNS tsvector"
	" LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$"
	" SELECT setweight(to_tsvector(cfg, coalesce(title, '')), 'A')"
	"  || setweight(to_tsvector(cfg, array_to_string(tags, ' ')), 'B')"
	"  || setweight(to_tsvector(cfg, coalesce(html, '')), 'C') $f$;"
	"DROP TRIGGER IF EXISTS posts_search ON posts;"
	"DROP TRIGGER IF EXISTS posts_search_changed ON posts;"
	"CREATE TRIGGER posts_search BEFORE INSERT ON posts"
	" FOR EACH ROW EXECUTE FUNCTION quire_search_update();"
	"CREATE TRIGGER posts_search_changed BEFORE UPDATE OF title, tags, html"
	" ON posts FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title"
	" OR OLD.tags IS DISTINCT FROM NEW.tags"
	" OR OLD.html IS DISTINCT FROM NEW.html)"
	" EXECUTE FUNCTION quire_search_update()",
	/* 12: the headline's text parts words where the embedded index's
	 * does (search_html_text, search_query.c): at a block's tag or a
	 * <br>, not at an inline element's, whose text on either side is
	 * one word: "<strong>pinned</strong>:" is "pinned:", not
	 * "pinned :", a highlighted "<span>f</span>()" is "f()". The
	 * inline names are search_query.c's inline_tag() list, matched
	 * whole and in any case; a tag is exactly '<' to the next '>' in
	 * quire's HTML (html.c escapes them in text and attribute values).
	 * Only ts_headline reads it (since step 11 the vectors are made
	 * from the HTML), so nothing stored changes. */
	"CREATE OR REPLACE FUNCTION quire_html_text(h text) RETURNS text"
	" LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$"
	" SELECT replace(replace(replace(replace(replace(regexp_replace("
	"  regexp_replace(coalesce(h, ''),"
	"   '</?(?:a|abbr|b|cite|code|del|dfn|em|i|ins|kbd|mark|q|s|samp"
	"|small|span|strong|sub|sup|time|u|var)(?:[^a-z0-9>][^>]*)?>',"
	"   '', 'gi'),"
	"  '<[^>]*>', ' ', 'g'),"
	"  '&lt;', '<'), '&gt;', '>'), '&quot;', '\"'), '&#39;', ''''),"
	"  '&amp;', '&') $f$",
	/* 13: two changes of issue 18 (DESIGN §5, "Search" and step 13).
	 * (a) The body's vector is made from quire_html_text's text, the
	 * one snippets read, not from the HTML: the default parser parts a
	 * word at any tag, so "pre<em>fix</em>ed" was "pre", "fix", "ed"
	 * and a search for "prefixed" found nothing, where the embedded
	 * index (search_html_text, the same rule) finds it. The stored
	 * vectors are made again, the rows whose vector changes alone
	 * written (an UPDATE of search only: the triggers, which fire on
	 * title, tags and html, stay as step 11 made them).
	 * (b) Summaries stored before their ids carried the post's slug
	 * (summary-SLUG-fn-1) and before the whole mark (record.h) are
	 * made again. A content post's, by the next deploy, as step 4
	 * marked them (a hash no file has, no signature, a new stamp);
	 * summary_of follows the hash, so the old summary is shown until
	 * then rather than none, and a build before step 9, which writes
	 * the hash alone, still leaves no summary of another source. An
	 * API post's source is here: its slug is queued, and
	 * tier_pg_summary_redo (tier_pg_summary.c) renders it again right
	 * after the migration, batch by batch, each in a transaction of
	 * its own, so a migration cut short leaves the rest queued for
	 * the next. Each statement may run again over what it made. */
	"CREATE OR REPLACE FUNCTION quire_search_vector(cfg regconfig, title text,"
	" tags text[], html text) RETURNS tsvector"
	" LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$"
	" SELECT setweight(to_tsvector(cfg, coalesce(title, '')), 'A')"
	"  || setweight(to_tsvector(cfg, array_to_string(tags, ' ')), 'B')"
	"  || setweight(to_tsvector(cfg, quire_html_text(html)), 'C') $f$;"
	"UPDATE posts p SET search = v.search FROM"
	" (SELECT slug, quire_search_vector((SELECT search_config FROM site),"
	"  title, tags, html) AS search FROM posts) v"
	" WHERE p.slug = v.slug AND p.search IS DISTINCT FROM v.search;"
	"UPDATE posts SET hash = 0, file_sig = NULL,"
	" summary_of = CASE WHEN summary_of = hash THEN 0 END"
	" WHERE origin = 'content' AND summary_html IS NOT NULL;"
	"CREATE TABLE IF NOT EXISTS quire_summary_redo ("
	" slug text PRIMARY KEY,"
	" hash bigint NOT NULL);"
	"INSERT INTO quire_summary_redo (slug, hash)"
	" SELECT slug, hash FROM posts WHERE origin = 'api'"
	" AND summary_html IS NOT NULL AND summary_of = hash"
	" ON CONFLICT (slug) DO UPDATE SET hash = excluded.hash;"
	"UPDATE site SET stamp = md5(random()::text || clock_timestamp()::text)",
	/* 14: the body's text kept with the post (DESIGN §5, "Search").
	 * quire sends it (search_html_text, the rule quire_html_text
	 * follows): the trigger made it with regular expressions over the
	 * whole HTML in every write's transaction, half of what the
	 * search vector cost the committing backend, and a search made it
	 * again, over the start of each result's HTML, for its headline.
	 * A row written without it (an older build's insert), or whose
	 * HTML an older build's upsert changed without it (the text left
	 * is of the older HTML), gets it from quire_html_text, as before;
	 * the rows already stored get it here, once (an UPDATE of
	 * body_text alone: the triggers, which fire on title, tags and
	 * html, stay out). Each statement may run again over what it
	 * made. */
	"ALTER TABLE posts ADD COLUMN IF NOT EXISTS body_text text;"
	"CREATE OR REPLACE FUNCTION quire_search_vector_text(cfg regconfig,"
	" title text, tags text[], body text) RETURNS tsvector"
	" LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$"
	" SELECT setweight(to_tsvector(cfg, coalesce(title, '')), 'A')"
	"  || setweight(to_tsvector(cfg, array_to_string(tags, ' ')), 'B')"
	"  || setweight(to_tsvector(cfg, coalesce(body, '')), 'C') $f$;"
	"CREATE OR REPLACE FUNCTION quire_search_update() RETURNS trigger"
	" LANGUAGE plpgsql AS $f$ BEGIN"
	" IF NEW.body_text IS NULL OR (TG_OP = 'UPDATE'"
	"  AND NEW.html IS DISTINCT FROM OLD.html"
	"  AND NEW.body_text IS NOT DISTINCT FROM OLD.body_text) THEN"
	"  NEW.body_text := quire_html_text(NEW.html);"
	" END IF;"
	" IF TG_OP = 'UPDATE' AND NEW.search IS DISTINCT FROM OLD.search THEN"
	"  RETURN NEW;"
	" END IF;"
	" NEW.search := quire_search_vector_text("
	"  (SELECT search_config FROM site), NEW.title, NEW.tags, NEW.body_text);"
	" RETURN NEW; END $f$;"
	"UPDATE posts SET body_text = quire_html_text(html)"
	" WHERE body_text IS NULL",
	/* 15: the search vector kept in the row (DESIGN §5, "Search").
	 * Stored out of line (tsvector is EXTENDED, and pglz saves too
	 * little on one to keep it compressed), every vector a search
	 * reads — each GIN match a phrase or a weight rechecks, each
	 * candidate ranked — was two TOAST chunks found through the TOAST
	 * index: a phrase of two common words (6,480 posts of 10,000 hold
	 * both) took 39-57 ms. MAIN keeps it in the heap unless the row
	 * cannot fit a page: 13 ms (the heap 15 -> 27 MB, the TOAST table
	 * 96 -> 80 MB). The vectors stored before are written again
	 * (a new value: an unchanged one keeps its TOAST pointer), an
	 * UPDATE of search alone, which fires no trigger. May run again. */
	"ALTER TABLE posts ALTER COLUMN search SET STORAGE MAIN;"
	"UPDATE posts SET search = search || ''::tsvector"
	" WHERE search IS NOT NULL",
	/* 16: the files' signatures in a table of their own
	 * (tier_pg_keep_sigs, tier_pg_deploy.c), with the hash each was
	 * taken with: kept in posts.file_sig, they were an UPDATE of every
	 * post's row after each full deploy. The signatures held are
	 * copied; posts.file_sig stays, for a build before this step, whose
	 * deploys then read every file (none of its rows has one after a
	 * deploy of this build: the upsert sets it NULL). May run again. */
	"CREATE TABLE IF NOT EXISTS content_sigs ("
	" slug text PRIMARY KEY,"
	" sig text NOT NULL,"
	" hash bigint NOT NULL);"
	"INSERT INTO content_sigs (slug, sig, hash)"
	" SELECT slug, file_sig, hash FROM posts"
	" WHERE origin = 'content' AND file_sig IS NOT NULL"
	" ON CONFLICT (slug) DO NOTHING",
	/* 17: what a search needs to choose how to look for its
	 * candidates (PG_STMT_SEARCH, tier_pg_conn.c; DESIGN §5,
	 * "Search"). The date index breaks ties by slug as the search
	 * and the lists do, so the newest posts come in the search's
	 * order without a sort. search_terms holds the share of posts
	 * each common word is in, copied from the planner's statistics
	 * (most_common_elems) by quire_search_terms() when an ANALYZE
	 * (a big deploy's, or autovacuum's) made them since the last copy
	 * (tier_pg_search_terms: each deploy's after-work asks);
	 * quire_search_share() estimates from it the share of posts a
	 * query matches: a word it does not hold is rare, an empty table
	 * says nothing (NULL), a phrase counts as rare (its words' shares
	 * say nothing of their order). Only the way is chosen by it,
	 * never the answer. May run again. */
	"CREATE INDEX IF NOT EXISTS posts_kind_date_slug"
	" ON posts (kind, date DESC, slug);"
	"DROP INDEX IF EXISTS posts_kind_date;"
	"CREATE TABLE IF NOT EXISTS search_terms ("
	" lexeme text PRIMARY KEY,"
	" share real NOT NULL,"
	" analyzed timestamptz NOT NULL);"
	"CREATE OR REPLACE FUNCTION quire_search_terms() RETURNS bigint"
	" LANGUAGE plpgsql AS $f$"
	" DECLARE at timestamptz; n bigint;"
	" BEGIN"
	"  SELECT greatest(last_analyze, last_autoanalyze) INTO at"
	"   FROM pg_stat_user_tables WHERE relid = 'posts'::regclass;"
	"  IF at IS NULL OR at <= coalesce((SELECT max(analyzed)"
	"   FROM search_terms), '-infinity') THEN RETURN 0; END IF;"
	"  DELETE FROM search_terms;"
	"  INSERT INTO search_terms (lexeme, share, analyzed)"
	"   SELECT u.e, u.f, at FROM pg_stats s,"
	"   unnest(s.most_common_elems::text::text[],"
	"    s.most_common_elem_freqs) AS u(e, f)"
	"   WHERE s.schemaname = current_schema() AND s.tablename = 'posts'"
	"   AND s.attname = 'search' AND u.e IS NOT NULL AND u.f IS NOT NULL"
	"   ON CONFLICT (lexeme) DO NOTHING;"
	"  GET DIAGNOSTICS n = ROW_COUNT;"
	"  RETURN n;"
	" END $f$;"
	"CREATE OR REPLACE FUNCTION quire_search_share(tq tsquery)"
	" RETURNS real LANGUAGE plpgsql STABLE AS $f$"
	" DECLARE t text := tq::text; m text[]; s real;"
	"  all_of real := 1; any_of real := 0;"
	" BEGIN"
	"  IF NOT EXISTS (SELECT 1 FROM search_terms) THEN RETURN NULL; END IF;"
	"  IF numnode(tq) = 0 OR t ~ '<[0-9-]+>' THEN RETURN 0; END IF;"
	"  FOR m IN SELECT regexp_matches(t, '(!?)''((?:[^'']|'''')*)''', 'g')"
	"  LOOP"
	"   s := coalesce((SELECT share FROM search_terms"
	"    WHERE lexeme = replace(m[2], '''''', '''')), 0);"
	"   IF m[1] = '!' THEN all_of := all_of * (1 - s);"
	"   ELSE all_of := all_of * s; any_of := any_of + s; END IF;"
	"  END LOOP;"
	"  IF position('|' IN t) > 0 THEN RETURN least(any_of, 1); END IF;"
	"  RETURN all_of;"
	" END $f$;"
	"SELECT quire_search_terms()",
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

/* ------------------------------------------------------------- migrations */

enum quire_err tier_pg_schema_version(struct tier_pg *pg, int *version)
{
	PGresult *res = NULL;
	long long v = 0;
	enum quire_err rc;

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
static enum quire_err migrate_step(struct tier_pg *pg, int *version, int *done)
{
	const char *params[1];
	char next[24];   /* any long long: gcc cannot tell v is small here */
	PGresult *res = NULL;
	long long v;
	enum quire_err rc;

	*done = 0;
	rc = pg_begin_migrating(pg, "migrate");
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

/*
 * posts_slug_lower, left out by step 8 where case twins were held: tried
 * again (the step's own text, under the migration lock) at each
 * migration that finds it missing, so it is built once the twins are
 * gone, and the WARNING naming them repeats until then. QUIRE_OK or
 * QUIRE_EIO.
 */
static enum quire_err case_index(struct tier_pg *pg)
{
	PGresult *res = NULL;
	enum quire_err rc;
	int missing;

	rc = pg_exec_simple(pg, "case index",
			    "SELECT to_regclass('posts_slug_lower') IS NULL", &res);
	if (rc != QUIRE_OK)
		return rc;
	missing = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (!missing)
		return QUIRE_OK;
	rc = pg_begin_migrating(pg, "case index");
	if (rc == QUIRE_OK)
		rc = pg_exec_simple(pg, "case index",
				    PG_CASE_INDEX_SQL, NULL);
	if (rc == QUIRE_OK)
		rc = pg_exec_simple(pg, "case index", "COMMIT", NULL);
	if (rc != QUIRE_OK)
		pg_rollback(pg);
	return rc;
}

enum quire_err tier_pg_migrate(struct tier_pg *pg, int *from, int *to)
{
	int version = 0, first = -1, done = 0, steps;
	enum quire_err rc;

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
		rc = case_index(pg);
		return rc == QUIRE_OK ? tier_pg_summary_redo(pg) : rc;
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
	rc = case_index(pg);
	return rc == QUIRE_OK ? tier_pg_summary_redo(pg) : rc;
}
