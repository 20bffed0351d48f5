/*
 * test_tier_pg.c - tier_pg against a real PostgreSQL (QUIRE_DATABASE_URL)
 *
 * Run by tests/integration/test_tier_pg.sh, which makes a throw-away
 * cluster. The test owns the database: it drops quire's tables first.
 * A second connection (libpq here directly: the test plays the DBA)
 * resets the schema and terminates tier_pg's backend to test reconnects.
 * Exits 77 (skip) without QUIRE_DATABASE_URL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "tests/unit/check.h"
#include "content/markdown.h"
#include "content/post.h"
#include "content/record.h"
#include "lib/precond.h"
#include "lib/quire.h"
#include "tiers/search_query.h"
#include "tiers/tier_pg.h"
#include "tiers/tier_pg_private.h"

#define BULK 10000
/* Writers racing for one slug, each on its own connection. */
#define RACE 8

static const char *url;
static PGconn *admin;

static void die(const char *what, const char *msg)
{
	fprintf(stderr, "test_tier_pg: %s: %s\n", what, msg ? msg : "");
	exit(2);
}

static void admin_exec(const char *sql)
{
	PGresult *res = PQexec(admin, sql);

	if (!res || (PQresultStatus(res) != PGRES_COMMAND_OK &&
		     PQresultStatus(res) != PGRES_TUPLES_OK))
		die(sql, PQerrorMessage(admin));
	PQclear(res);
}

static void drop_schema(void)
{
	admin_exec("SET client_min_messages = warning;"
		   "DROP TABLE IF EXISTS posts, site, quire_schema,"
		   " quire_summary_redo, content_sigs, search_terms");
}

/* Ends tier_pg's session from outside, as a DBA or a failover would.
 * tier_pg_connect names its sessions "quire". Returns how many ended. */
static int terminate_quire_backends(void)
{
	PGresult *res;
	int n;

	res = PQexec(admin, "SELECT count(pg_terminate_backend(pid))"
		     " FROM pg_stat_activity WHERE application_name = 'quire'"
		     " AND pid <> pg_backend_pid()");
	if (!res || PQresultStatus(res) != PGRES_TUPLES_OK)
		die("terminate", PQerrorMessage(admin));
	n = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	/* pg_terminate_backend only signals; let the backend go. */
	usleep(200 * 1000);
	return n;
}

/* A record of source text (the frontmatter parsed for body_offset). */
static struct record *make_record(const char *slug, enum post_kind kind,
				  enum record_origin origin, const char *path,
				  const char *source, const char *html,
				  const char *toc, unsigned long long hash,
				  long long date, int has_date)
{
	struct record *r = record_new();
	struct post *p = NULL;

	if (!r)
		die("record_new", "out of memory");
	r->slug = strdup(slug);
	r->kind = kind;
	r->origin = origin;
	r->path = path ? strdup(path) : NULL;
	r->source = strdup(source);
	r->source_len = strlen(source);
	r->html = html ? strdup(html) : NULL;
	r->toc_html = toc ? strdup(toc) : NULL;
	r->hash = hash;
	r->date = date;
	r->has_date = has_date;
	r->words = 3;
	if (!r->slug || (path && !r->path) || !r->source ||
	    (html && !r->html) || (toc && !r->toc_html))
		die("make_record", "out of memory");
	if (record_to_post(r, &p) == QUIRE_OK) {
		r->body_offset = p->body_offset;
		post_free(p);
	}
	return r;
}

static void check_same(const struct record *got, const struct record *want)
{
	CHECK(got != NULL);
	if (!got)
		return;
	CHECK_STR(got->slug, want->slug);
	CHECK(got->kind == want->kind);
	CHECK(got->origin == want->origin);
	if (want->path)
		CHECK_STR(got->path, want->path);
	else
		CHECK(got->path == NULL);
	CHECK(got->source_len == want->source_len);
	CHECK(got->source_len == want->source_len &&
	      memcmp(got->source, want->source, want->source_len) == 0);
	CHECK(got->body_offset == want->body_offset);
	if (want->html)
		CHECK_STR(got->html, want->html);
	else
		CHECK(got->html == NULL);
	if (want->toc_html)
		CHECK_STR(got->toc_html, want->toc_html);
	else
		CHECK(got->toc_html == NULL);
	if (want->summary_html)
		CHECK_STR(got->summary_html ? got->summary_html : "(none)",
			  want->summary_html);
	else
		CHECK(got->summary_html == NULL);
	CHECK(got->words == want->words);
	CHECK(got->has_date == want->has_date);
	CHECK(got->date == want->date);
	CHECK(got->hash == want->hash);
	CHECK(got->revision == want->revision);
}

static long long generation_of(struct tier_pg *pg)
{
	long long g = -1;

	CHECK(tier_pg_generation(pg, &g) == QUIRE_OK);
	return g;
}

static long long revision_of(struct tier_pg *pg, const char *slug)
{
	struct record *r = NULL;
	long long rev = -1;

	if (tier_pg_fetch(pg, slug, &r) == QUIRE_OK)
		rev = r->revision;
	record_free(r);
	return rev;
}

static int exists(struct tier_pg *pg, const char *slug)
{
	struct record *r = NULL;
	enum quire_err rc = tier_pg_fetch(pg, slug, &r);

	record_free(r);
	return rc == QUIRE_OK;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_migrate(struct tier_pg *pg)
{
	int from = -1, to = -1, v = -1;
	pid_t kids[4];
	int i, status;

	drop_schema();
	CHECK(tier_pg_schema_version(pg, &v) == QUIRE_OK);
	CHECK(v == 0);
	CHECK(tier_pg_migrate(pg, &from, &to) == QUIRE_OK);
	printf("migrate: %d -> %d\n", from, to);
	CHECK(from == 0);
	CHECK(to > 0);
	CHECK(tier_pg_schema_version(pg, &v) == QUIRE_OK);
	CHECK(v == to);
	/* The second is a no-op. */
	CHECK(tier_pg_migrate(pg, &from, &to) == QUIRE_OK);
	printf("migrate again: %d -> %d\n", from, to);
	CHECK(from == v && to == v);

	/* Concurrent migrators on an empty database serialise on the lock:
	 * each succeeds, and the schema is made once. */
	drop_schema();
	fflush(NULL);
	for (i = 0; i < 4; i++) {
		kids[i] = fork();
		if (kids[i] < 0)
			die("fork", "failed");
		if (kids[i] == 0) {
			struct tier_pg *c = NULL;
			char err[256];
			int f, t;
			enum quire_err rc;

			if (tier_pg_connect(url, &c, err, sizeof(err)) != QUIRE_OK)
				_exit(3);
			rc = tier_pg_migrate(c, &f, &t);
			if (rc != QUIRE_OK)
				fprintf(stderr, "child migrate: %s\n", tier_pg_error(c));
			tier_pg_close(c);
			_exit(rc == QUIRE_OK && t == v ? 0 : 1);
		}
	}
	for (i = 0; i < 4; i++) {
		CHECK(waitpid(kids[i], &status, 0) == kids[i]);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	CHECK(tier_pg_schema_version(pg, &from) == QUIRE_OK);
	CHECK(from == v);
	CHECK(generation_of(pg) == 0);
}

/* html of "slug" as PostgreSQL holds it now (NULL when none). */
static char *stored(const char *slug, const char *column)
{
	const char *params[1] = { slug };
	char sql[512];
	PGresult *res;
	char *v = NULL;

	snprintf(sql, sizeof(sql), "SELECT %s FROM posts WHERE slug = $1", column);
	res = PQexecParams(admin, sql, 1, NULL, params, NULL, NULL, 0);
	if (!res || PQresultStatus(res) != PGRES_TUPLES_OK)
		die(sql, PQerrorMessage(admin));
	if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
		v = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return v;
}

/* The one value sql gives (NULL when none). */
static char *stored_sql(const char *sql)
{
	PGresult *res = PQexec(admin, sql);
	char *v = NULL;

	if (!res || PQresultStatus(res) != PGRES_TUPLES_OK)
		die(sql, PQerrorMessage(admin));
	if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
		v = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return v;
}

static char *site_stamp(void)
{
	PGresult *res = PQexec(admin, "SELECT stamp FROM site");
	char *v;

	if (!res || PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
		die("stamp", PQerrorMessage(admin));
	v = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return v;
}

#define FFFD "\xef\xbf\xbd"

/* Under another server encoding step 5 cleans nothing and fails
 * nothing: there its expression would match bytes, not characters. */
static void test_migrate_sql_ascii(void)
{
	struct tier_pg *c = NULL;
	char other[512], err[256];
	int to = -1;

	if (strchr(url, '?') || snprintf(other, sizeof(other), "%s_ascii", url) >=
	    (int)sizeof(other))
		return; /* not a URL this test can name another database by */
	admin_exec("DROP DATABASE IF EXISTS quire_ascii");
	admin_exec("CREATE DATABASE quire_ascii ENCODING 'SQL_ASCII'"
		   " LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
	if (tier_pg_connect(other, &c, err, sizeof(err)) != QUIRE_OK)
		die("connect quire_ascii", err);
	CHECK(tier_pg_migrate(c, NULL, &to) == QUIRE_OK);
	CHECK(to >= 5);
	if (to < 5)
		fprintf(stderr, "sql_ascii migrate: %s\n", tier_pg_error(c));
	tier_pg_close(c);
	admin_exec("DROP DATABASE quire_ascii");
}

/*
 * Step 5: html and toc rendered before html.c replaced the characters XML
 * and HTML forbid are cleaned in place, as html_clean does, for both
 * origins; the hash and revision stay (the source did not change), the
 * generation and stamp move only when a row changed.
 */
static void test_migrate_clean(struct tier_pg *pg)
{
	long long g0;
	char *stamp0, *stamp1, *v;
	int from = -1, to = -1;

	drop_schema();
	CHECK(tier_pg_migrate(pg, NULL, &to) == QUIRE_OK);
	CHECK(to >= 5);
	admin_exec("UPDATE quire_schema SET version = 4;"
		   "INSERT INTO posts (slug, kind, origin, source, body_offset,"
		   " html, toc_html, hash, revision) VALUES"
		   " ('dirty', 'post', 'content', 'x', 0,"
		   "  E'<p>a\\x01b\\x1b[0m\\x7f \\u0085 \\uFFFE \\uFDD0 \\U0010FFFF"
		   " \\t\\n\\r caf\\u00e9 \\U0001F642 \\uFFFD</p>',"
		   "  E'<nav>\\x02</nav>', 42, 3),"
		   " ('api-dirty', 'post', 'api', 'y', 0, E'<p>\\x0c</p>', NULL, 43, 1),"
		   " ('clean', 'post', 'content', 'z', 0, E'<p>\\u00a0ok\\t</p>',"
		   "  '<nav>ok</nav>', 44, 1)");
	g0 = generation_of(pg);
	stamp0 = site_stamp();
	CHECK(tier_pg_migrate(pg, &from, &to) == QUIRE_OK);
	CHECK(from == 4 && to >= 5);
	v = stored("dirty", "html");
	CHECK_STR(v, "<p>a" FFFD "b" FFFD "[0m" FFFD " " FFFD " " FFFD " " FFFD " "
		  FFFD " \t\n\r caf\xc3\xa9 \xf0\x9f\x99\x82 " FFFD "</p>");
	free(v);
	v = stored("dirty", "toc_html");
	CHECK_STR(v, "<nav>" FFFD "</nav>");
	free(v);
	v = stored("api-dirty", "html");
	CHECK_STR(v, "<p>" FFFD "</p>");
	free(v);
	CHECK((v = stored("api-dirty", "toc_html")) == NULL);
	free(v);
	v = stored("clean", "html");
	CHECK_STR(v, "<p>\xc2\xa0ok\t</p>");
	free(v);
	/* the hash of the source stays (step 9, after it, zeroes the
	 * content rows' own: the API row's shows it) */
	v = stored("api-dirty", "hash || ' ' || revision");
	CHECK_STR(v, "43 1");
	free(v);
	v = stored("dirty", "revision");
	CHECK_STR(v, "3");
	free(v);
	/* Changed: a new generation and stamp, so the next deploy finds
	 * Redis behind and rewrites it whole. */
	CHECK(generation_of(pg) == g0 + 1);
	stamp1 = site_stamp();
	CHECK(strcmp(stamp0, stamp1) != 0);
	free(stamp0);
	free(stamp1);

	/* Nothing to clean: the generation stays (the stamp is step 9's,
	 * test_migrate_summary). */
	admin_exec("UPDATE quire_schema SET version = 4");
	g0 = generation_of(pg);
	CHECK(tier_pg_migrate(pg, &from, &to) == QUIRE_OK);
	CHECK(from == 4);
	CHECK(generation_of(pg) == g0);
	drop_schema();
	CHECK(tier_pg_migrate(pg, NULL, NULL) == QUIRE_OK);
	test_migrate_sql_ascii();
}

/* Step 9: a summary column; the content rows marked so that the next
 * deploy renders them again (no hash a file has, no signature, a new
 * stamp), the API's left as they are; the generation stays. */
static void test_migrate_summary(struct tier_pg *pg)
{
	struct record *r = NULL;
	long long g0;
	char *stamp0, *stamp1, *v;
	int from = -1, to = -1;

	drop_schema();
	CHECK(tier_pg_migrate(pg, NULL, NULL) == QUIRE_OK);
	admin_exec("ALTER TABLE posts DROP COLUMN summary_html;"
		   "ALTER TABLE posts DROP COLUMN summary_of;"
		   "UPDATE quire_schema SET version = 8;"
		   "INSERT INTO posts (slug, kind, origin, path, source,"
		   " body_offset, html, hash, file_sig, revision) VALUES"
		   " ('c', 'post', 'content', 'posts/c.md', 'c', 0, '<p>c</p>',"
		   "  42, 'sig', 2),"
		   " ('a', 'post', 'api', NULL, 'a', 0, '<p>a</p>', 43, NULL, 1)");
	g0 = generation_of(pg);
	stamp0 = site_stamp();
	CHECK(tier_pg_migrate(pg, &from, &to) == QUIRE_OK);
	CHECK(from == 8 && to >= 9);
	v = stored("c", "hash || ' ' || coalesce(file_sig, '-') || ' ' ||"
		   " revision || ' ' || coalesce(summary_html, '-')");
	CHECK_STR(v ? v : "(null)", "0 - 2 -");
	free(v);
	v = stored("a", "hash || ' ' || coalesce(summary_html, '-')");
	CHECK_STR(v ? v : "(null)", "43 -");
	free(v);
	CHECK(generation_of(pg) == g0);
	stamp1 = site_stamp();
	CHECK(stamp0 && stamp1 && strcmp(stamp0, stamp1) != 0);
	free(stamp0);
	free(stamp1);

	/* A build before step 9 updates a row without its summary columns:
	 * the summary, of the older source, is not read. */
	admin_exec("UPDATE posts SET summary_html = '<p>S</p>', summary_of = hash"
		   " WHERE slug = 'a'");
	CHECK(tier_pg_fetch(pg, "a", &r) == QUIRE_OK);
	CHECK(r && r->summary_html && strcmp(r->summary_html, "<p>S</p>") == 0);
	record_free(r);
	r = NULL;
	admin_exec("UPDATE posts SET source = 'a2', hash = 44 WHERE slug = 'a'");
	CHECK(tier_pg_fetch(pg, "a", &r) == QUIRE_OK);
	CHECK(r && r->summary_html == NULL);
	record_free(r);
	drop_schema();
	CHECK(tier_pg_migrate(pg, NULL, NULL) == QUIRE_OK);
}

/* Step 13: the stored summaries made again. A content row's by the
 * next deploy (marked, its old summary still read until then); an API
 * row's by the migration, from its source, unless it was written
 * since it was queued, or its source does not parse (left as it is);
 * the queue emptied; a new generation. */
static void test_migrate_summary_redo(struct tier_pg *pg)
{
	long long g0;
	char *v;
	int from = -1, to = -1;

	drop_schema();
	CHECK(tier_pg_migrate(pg, NULL, NULL) == QUIRE_OK);
	admin_exec("UPDATE quire_schema SET version = 12;"
		   "INSERT INTO posts (slug, kind, origin, path, source,"
		   " body_offset, html, hash, file_sig, revision, summary_html,"
		   " summary_of) VALUES"
		   " ('c', 'post', 'content', 'posts/c.md', E'---\ntitle: C\n---\nc\n',"
		   "  17, '<p>c</p>', 42, 'sig', 2, '<p>OLD-c</p>', 42),"
		   " ('c-none', 'post', 'content', 'posts/n.html', 'n', 0, '<p>n</p>',"
		   "  45, 'sig', 1, NULL, 45),"
		   " ('a', 'post', 'api', NULL,"
		   "  E'---\ntitle: A\n---\nA-ONE[^1]\n\n[^1]: note\n\n<!--more-->\nrest\n', 17,"
		   "  '<p>a</p>', 43, NULL, 1, '<p>OLD-a</p>', 43),"
		   " ('a-whole', 'post', 'api', NULL,"
		   "  E'---\ntitle: W\n---\nAll.\n', 17, '<p>w</p>', 44, NULL,"
		   "  1, '<p>OLD-w</p>', 44),"
		   " ('a-bad', 'post', 'api', NULL, E'---\ntitle: [\n---\nx\n',"
		   "  17, '<p>x</p>', 46, NULL, 1, '<p>OLD-x</p>', 46)");
	g0 = generation_of(pg);
	CHECK(tier_pg_migrate(pg, &from, &to) == QUIRE_OK);
	CHECK(from == 12 && to >= 13);
	/* content: marked, the old summary read until the deploy */
	v = stored("c", "hash || ' ' || coalesce(file_sig, '-') || ' ' ||"
		   " summary_of || ' ' || summary_html");
	CHECK_STR(v ? v : "(null)", "0 - 0 <p>OLD-c</p>");
	free(v);
	v = stored("c-none", "hash || ' ' || coalesce(file_sig, '-')");
	CHECK_STR(v ? v : "(null)", "45 sig");
	free(v);
	/* API: made again from the source, ids under the slug */
	v = stored("a", "summary_of || ' ' || summary_html");
	CHECK(v && strstr(v, "43 <p>A-ONE") == v &&
	      strstr(v, "id=\"summary-a-fnref-1\"") &&
	      !strstr(v, MARKDOWN_SUMMARY_WHOLE));
	free(v);
	v = stored("a-whole", "summary_html");
	CHECK_STR(v ? v : "(null)", "<p>All.</p>\n" MARKDOWN_SUMMARY_WHOLE);
	free(v);
	v = stored("a-bad", "summary_html");
	CHECK_STR(v ? v : "(null)", "<p>OLD-x</p>");
	free(v);
	v = stored_sql("SELECT count(*) FROM quire_summary_redo");
	CHECK_STR(v ? v : "(null)", "0");
	free(v);
	CHECK(generation_of(pg) > g0);

	/* queued, then written since: its write's summary stays */
	admin_exec("INSERT INTO quire_summary_redo VALUES ('a', 43)"
		   " ON CONFLICT (slug) DO NOTHING;"
		   "UPDATE posts SET hash = 47, summary_of = 47,"
		   " summary_html = '<p>NEW-a</p>' WHERE slug = 'a'");
	g0 = generation_of(pg);
	CHECK(tier_pg_migrate(pg, &from, &to) == QUIRE_OK);
	CHECK(from >= 13 && to == from);
	v = stored("a", "summary_html");
	CHECK_STR(v ? v : "(null)", "<p>NEW-a</p>");
	free(v);
	v = stored_sql("SELECT count(*) FROM quire_summary_redo");
	CHECK_STR(v ? v : "(null)", "0");
	free(v);
	CHECK(generation_of(pg) == g0);
	drop_schema();
	CHECK(tier_pg_migrate(pg, NULL, NULL) == QUIRE_OK);
}

static const char src_a[] =
	"---\ntitle: \"Alpha \\\"quoted\\\" é\"\ndate: 2024-03-01\n"
	"updated: 2024-03-05\ntags: [c, \"x,y\", 'back\\slash', \"q\\\"uote\"]\n"
	"categories: notes\nauthors: [ann, bob]\ndescription: first post\n"
	"pin: 2\n---\nHello *world* ünïcode.\n";
static const char src_a2[] =
	"---\ntitle: Alpha two\ndate: 2024-03-01\ntags: [c]\n---\nChanged.\n";
static const char src_b[] =
	"---\ntitle: About\n---\nA page.\n";
static const char src_c[] =
	"---\ntitle: From the API\ndate: 2023-12-31T23:59:59Z\ndraft: true\n"
	"---\nBody of c.\n";

static void test_roundtrip(struct tier_pg *pg)
{
	struct record *v[3], *got = NULL, **idx = NULL;
	struct tier_pg_hash *hashes = NULL;
	char del_about[] = "about", del_api[] = "from-api";
	char *dels[2];
	long long g = -1, g0;
	size_t n = 0, i;
	int found_c = 0;
	enum quire_err rc;

	g0 = generation_of(pg);
	v[0] = make_record("alpha", POST_KIND_POST, RECORD_ORIGIN_CONTENT,
			   "posts/alpha.md", src_a,
			   "<p>Hello <em>world</em> ünïcode.</p>\n",
			   "<nav class=\"toc\"></nav>", 0x0123456789abcdefULL,
			   1709251200LL, 1);
	v[1] = make_record("about", POST_KIND_PAGE, RECORD_ORIGIN_CONTENT,
			   "pages/about.md", src_b, "<p>A page.</p>\n", NULL,
			   0xffffffffffffffffULL, 0, 0);
	v[2] = make_record("from-api", POST_KIND_POST, RECORD_ORIGIN_API,
			   NULL, src_c, "", NULL, 0x8000000000000000ULL,
			   1704067199LL, 1);
	CHECK(v[0]->body_offset > 0 && v[1]->body_offset > 0 &&
	      v[2]->body_offset > 0);
	/* a summary, carried by the fetch and the index (schema step 9) */
	v[0]->summary_html = strdup("<p>Hello <em>world</em>.</p>\n");
	CHECK(v[0]->summary_html != NULL);

	rc = tier_pg_deploy(pg, v, 3, NULL, 0, &g);
	if (rc != QUIRE_OK)
		fprintf(stderr, "deploy: %s\n", tier_pg_error(pg));
	CHECK(rc == QUIRE_OK);
	CHECK(g == g0 + 1);
	CHECK(generation_of(pg) == g0 + 1);
	for (i = 0; i < 3; i++) {
		CHECK(v[i]->revision == 1);
		got = NULL;
		CHECK(tier_pg_fetch(pg, v[i]->slug, &got) == QUIRE_OK);
		check_same(got, v[i]);
		record_free(got);
	}

	/* The frontmatter columns, for SQL listings, come from the source. */
	{
		PGresult *res = PQexec(admin,
			"SELECT title, array_to_string(tags, '|'),"
			" array_to_string(categories, '|'),"
			" array_to_string(authors, '|'), description, pin, draft,"
			" extract(epoch FROM updated)::bigint, hash::text"
			" FROM posts WHERE slug = 'alpha'");
		CHECK(res && PQresultStatus(res) == PGRES_TUPLES_OK &&
		      PQntuples(res) == 1);
		if (res && PQntuples(res) == 1) {
			CHECK_STR(PQgetvalue(res, 0, 0), "Alpha \"quoted\" é");
			CHECK_STR(PQgetvalue(res, 0, 1), "c|x,y|back\\slash|q\"uote");
			CHECK_STR(PQgetvalue(res, 0, 2), "notes");
			CHECK_STR(PQgetvalue(res, 0, 3), "ann|bob");
			CHECK_STR(PQgetvalue(res, 0, 4), "first post");
			CHECK_STR(PQgetvalue(res, 0, 5), "2");
			CHECK_STR(PQgetvalue(res, 0, 6), "f");
			CHECK_STR(PQgetvalue(res, 0, 7), "1709596800");
			CHECK_STR(PQgetvalue(res, 0, 8), "81985529216486895");
		}
		PQclear(res);
		res = PQexec(admin, "SELECT draft, hash FROM posts WHERE slug = 'from-api'");
		CHECK(res && PQntuples(res) == 1);
		if (res && PQntuples(res) == 1) {
			CHECK_STR(PQgetvalue(res, 0, 0), "t");
			CHECK_STR(PQgetvalue(res, 0, 1), "-9223372036854775808");
		}
		PQclear(res);
	}

	/* A changed record: its revision moves, the others' do not. */
	free(v[0]->source);
	v[0]->source = strdup(src_a2);
	v[0]->source_len = strlen(src_a2);
	{
		struct post *p = NULL;

		CHECK(record_to_post(v[0], &p) == QUIRE_OK);
		if (p)
			v[0]->body_offset = p->body_offset;
		post_free(p);
	}
	v[0]->hash = 42;
	rc = tier_pg_deploy(pg, v, 1, NULL, 0, &g);
	CHECK(rc == QUIRE_OK);
	CHECK(g == g0 + 2);
	CHECK(v[0]->revision == 2);
	CHECK(revision_of(pg, "alpha") == 2);
	CHECK(revision_of(pg, "about") == 1);
	CHECK(revision_of(pg, "from-api") == 1);
	got = NULL;
	CHECK(tier_pg_fetch(pg, "alpha", &got) == QUIRE_OK);
	check_same(got, v[0]);
	record_free(got);

	/* A deploy deletes content, never what came through the API. */
	dels[0] = del_about;
	dels[1] = del_api;
	rc = tier_pg_deploy(pg, NULL, 0, dels, 2, &g);
	CHECK(rc == QUIRE_OK);
	CHECK(g == g0 + 3);
	CHECK(!exists(pg, "about"));
	CHECK(exists(pg, "from-api"));
	CHECK(exists(pg, "alpha"));

	/* content_hashes: origin content only. */
	CHECK(tier_pg_content_hashes(pg, &hashes, &n) == QUIRE_OK);
	CHECK(n == 1);
	if (n == 1) {
		CHECK_STR(hashes[0].slug, "alpha");
		CHECK(hashes[0].kind == POST_KIND_POST);
		CHECK(hashes[0].hash == 42);
	}
	tier_pg_hashes_free(hashes, n);

	/* The index: no html, source cut to the frontmatter. */
	g = -1;
	CHECK(tier_pg_index(pg, &idx, &n, &g) == QUIRE_OK);
	CHECK(g == g0 + 3);
	CHECK(n == 2);
	for (i = 0; i < n; i++) {
		CHECK(idx[i]->html == NULL);
		CHECK(idx[i]->toc_html == NULL);
		CHECK(idx[i]->source_len == idx[i]->body_offset);
		if (strcmp(idx[i]->slug, "from-api") == 0)
			CHECK(idx[i]->summary_html == NULL);
		if (strcmp(idx[i]->slug, "alpha") == 0)
			CHECK_STR(idx[i]->summary_html ? idx[i]->summary_html :
				  "(none)", "<p>Hello <em>world</em>.</p>\n");
		if (strcmp(idx[i]->slug, "from-api") == 0) {
			found_c = 1;
			CHECK(idx[i]->origin == RECORD_ORIGIN_API);
			CHECK(idx[i]->hash == 0x8000000000000000ULL);
			CHECK(idx[i]->body_offset == v[2]->body_offset);
			CHECK(memcmp(idx[i]->source, src_c, v[2]->body_offset) == 0);
			CHECK(idx[i]->has_date && idx[i]->date == 1704067199LL);
		}
		if (strcmp(idx[i]->slug, "alpha") == 0)
			CHECK(idx[i]->revision == 2);
	}
	CHECK(found_c);
	record_array_free(idx, n);

	/* Missing. */
	got = NULL;
	CHECK(tier_pg_fetch(pg, "no-such-post", &got) == QUIRE_ENOTFOUND);
	CHECK(got == NULL);

	for (i = 0; i < 3; i++)
		record_free(v[i]);
}

/* Deploys that fail change nothing: not the posts, not the generation. */
static void test_rollback(struct tier_pg *pg)
{
	struct record *v[3];
	long long g0, g = -1;
	char del_alpha[] = "alpha";
	char *dels[1] = { del_alpha };
	enum quire_err rc;

	g0 = generation_of(pg);
	v[0] = make_record("new-one", POST_KIND_POST, RECORD_ORIGIN_CONTENT,
			   "posts/new-one.md", "---\ntitle: New\n---\nnew\n",
			   "<p>new</p>", NULL, 1, 0, 0);
	/* Frontmatter that does not parse: refused before the server. */
	v[1] = make_record("broken", POST_KIND_POST, RECORD_ORIGIN_CONTENT,
			   "posts/broken.md", "---\ntitle: [unclosed\n---\nx\n",
			   "", NULL, 2, 0, 0);
	rc = tier_pg_deploy(pg, v, 2, dels, 1, &g);
	printf("bad frontmatter: %s (%s)\n", quire_strerror(rc), tier_pg_error(pg));
	CHECK(rc != QUIRE_OK);
	CHECK(generation_of(pg) == g0);
	CHECK(!exists(pg, "new-one"));
	CHECK(exists(pg, "alpha"));
	CHECK(revision_of(pg, "alpha") == 2);
	CHECK(v[0]->revision == 0);
	record_free(v[1]);

	/* Refused by the server, after the others went through: invalid
	 * UTF-8 in the body. */
	v[1] = make_record("bad-bytes", POST_KIND_POST, RECORD_ORIGIN_CONTENT,
			   "posts/bad-bytes.md", "---\ntitle: Bytes\n---\n\xff\xfe\n",
			   "", NULL, 3, 0, 0);
	/* An embedded NUL: refused, never silently cut. */
	v[2] = make_record("nul", POST_KIND_POST, RECORD_ORIGIN_CONTENT,
			   "posts/nul.md", "---\ntitle: Nul\n---\nab\n", "", NULL,
			   4, 0, 0);
	v[2]->source[v[2]->source_len - 2] = '\0';
	rc = tier_pg_deploy(pg, v, 2, dels, 1, &g);
	printf("invalid utf-8: %s (%s)\n", quire_strerror(rc), tier_pg_error(pg));
	CHECK(rc == QUIRE_EIO);
	CHECK(strlen(tier_pg_error(pg)) > 0);
	CHECK(generation_of(pg) == g0);
	CHECK(!exists(pg, "new-one"));
	CHECK(exists(pg, "alpha"));
	rc = tier_pg_deploy(pg, &v[2], 1, NULL, 0, &g);
	printf("embedded nul: %s (%s)\n", quire_strerror(rc), tier_pg_error(pg));
	CHECK(rc == QUIRE_EIO);
	CHECK(!exists(pg, "nul"));
	CHECK(generation_of(pg) == g0);

	/* The connection is fine afterwards. */
	rc = tier_pg_deploy(pg, v, 1, NULL, 0, &g);
	CHECK(rc == QUIRE_OK);
	CHECK(g == g0 + 1);
	CHECK(v[0]->revision == 1);
	CHECK(exists(pg, "new-one"));
	record_free(v[0]);
	record_free(v[1]);
	record_free(v[2]);
}

static void test_bulk(struct tier_pg *pg)
{
	struct record **v, **idx = NULL;
	char slug[64], path[96], src[1024], html[1024];
	long long g0, g = -1;
	double t0, t1;
	size_t i, n = 0;
	int pass;
	enum quire_err rc;

	v = calloc(BULK, sizeof(*v));
	if (!v)
		die("calloc", "out of memory");
	for (i = 0; i < BULK; i++) {
		snprintf(slug, sizeof(slug), "bulk-%05zu", i);
		snprintf(path, sizeof(path), "posts/%s.md", slug);
		snprintf(src, sizeof(src),
			 "---\ntitle: Bulk post %zu\ndate: 2020-01-%02zu\n"
			 "tags: [bulk, t%zu]\ncategories: [c%zu]\n---\n"
			 "Post number %zu. Lorem ipsum dolor sit amet, consectetur"
			 " adipiscing elit, sed do eiusmod tempor incididunt ut"
			 " labore et dolore magna aliqua.\n", i, i % 28 + 1, i % 50,
			 i % 7, i);
		snprintf(html, sizeof(html),
			 "<p>Post number %zu. Lorem ipsum dolor sit amet,"
			 " consectetur adipiscing elit, sed do eiusmod tempor"
			 " incididunt ut labore et dolore magna aliqua.</p>\n", i);
		v[i] = make_record(slug, POST_KIND_POST, RECORD_ORIGIN_CONTENT,
				   path, src, html, NULL,
				   0x9e3779b97f4a7c15ULL * (i + 1),
				   1577836800LL + (long long)(i % 28) * 86400, 1);
	}
	g0 = generation_of(pg);
	/* Once inserting, once updating every row. */
	for (pass = 0; pass < 2; pass++) {
		t0 = now_s();
		rc = tier_pg_deploy(pg, v, BULK, NULL, 0, &g);
		t1 = now_s();
		if (rc != QUIRE_OK)
			fprintf(stderr, "bulk deploy: %s\n", tier_pg_error(pg));
		CHECK(rc == QUIRE_OK);
		CHECK(g == g0 + 1 + pass);
		for (i = 0, n = 0; i < BULK; i++)
			n += v[i]->revision == 1 + pass;
		CHECK(n == BULK);
		printf("bulk deploy (%s) of %d records: %.3f s, %.0f posts/s\n",
		       pass ? "update" : "insert", BULK, t1 - t0,
		       BULK / (t1 - t0));
	}
	/* Rows of one 64-row statement come back matched by slug. */
	{
		struct record *got = NULL;

		v[4242]->revision = 2;
		CHECK(tier_pg_fetch(pg, "bulk-04242", &got) == QUIRE_OK);
		check_same(got, v[4242]);
		record_free(got);
	}

	/* A failure inside a many-row statement undoes the whole deploy. */
	free(v[100]->source);
	v[100]->source = strdup("---\ntitle: x\n---\n\xc3(\n");
	v[100]->source_len = strlen(v[100]->source);
	v[100]->body_offset = 17;
	rc = tier_pg_deploy(pg, v, 200, NULL, 0, &g);
	CHECK(rc == QUIRE_EIO);
	CHECK(generation_of(pg) == g0 + 2);
	CHECK(revision_of(pg, "bulk-00000") == 2);
	CHECK(revision_of(pg, "bulk-00199") == 2);

	/* A slug listed twice is refused before the database sees it. */
	{
		struct record *dup[2] = { v[0], v[0] };

		CHECK(tier_pg_deploy(pg, dup, 2, NULL, 0, &g) == QUIRE_EINVAL);
		CHECK(generation_of(pg) == g0 + 2);
		CHECK(revision_of(pg, "bulk-00000") == 2);
	}

	t0 = now_s();
	CHECK(tier_pg_index(pg, &idx, &n, &g) == QUIRE_OK);
	t1 = now_s();
	printf("index of %zu records: %.3f s\n", n, t1 - t0);
	CHECK(n == BULK + 3);
	CHECK(g == g0 + 2);
	record_array_free(idx, n);
	record_array_free(v, BULK);
}

static const char src_w1[] =
	"---\ntitle: Written\ntags: [api, one]\n---\nFirst.\n";
static const char src_w2[] =
	"---\ntitle: Rewritten\ntags: [api, two, \"th,ree\"]\n"
	"categories: [x]\nauthors: [cy]\npin: 3\n---\nSecond.\n";
static const char src_w3[] =
	"---\ntitle: Third\n---\nThird.\n";

static struct record *api_record(const char *slug, const char *source)
{
	return make_record(slug, POST_KIND_POST, RECORD_ORIGIN_API, NULL,
			   source, "<p>api</p>\n", NULL, 7, 0, 0);
}

/* One column of slug's row as the admin sees it ("" when absent). */
static char *column_of(const char *slug, const char *expr)
{
	const char *values[1] = { slug };
	char sql[256], *v;
	PGresult *res;

	snprintf(sql, sizeof(sql), "SELECT %s FROM posts WHERE slug = $1", expr);
	res = PQexecParams(admin, sql, 1, NULL, values, NULL, NULL, 0);
	if (!res || PQresultStatus(res) != PGRES_TUPLES_OK)
		die(sql, PQerrorMessage(admin));
	v = strdup(PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : "");
	PQclear(res);
	if (!v)
		die("strdup", "out of memory");
	return v;
}

static void check_column(const char *slug, const char *expr, const char *want)
{
	char *got = column_of(slug, expr);

	CHECK_STR(got, want);
	free(got);
}

static enum quire_err put(struct tier_pg *pg, struct record *r,
			  long long expect, int *created, long long *g)
{
	enum quire_err rc = tier_pg_put(pg, r, expect, created, g);

	if (rc != QUIRE_OK)
		printf("put '%s' expecting %lld: %s (%s)\n", r->slug, expect,
		       quire_strerror(rc), tier_pg_error(pg));
	return rc;
}

/* The writes of the HTTP API: preconditions, revisions, the generation,
 * the frontmatter columns, origin api. */
static void test_put_delete(struct tier_pg *pg)
{
	struct record *r1, *r2, *r3, *bad, *got = NULL;
	char slug_written[] = "written";
	char *dels[1] = { slug_written };
	long long g0, g = -1;
	int created = -1;
	enum quire_err rc;

	g0 = generation_of(pg);
	CHECK(!exists(pg, "written"));

	/* Create-only (If-None-Match: *). */
	r1 = api_record("written", src_w1);
	CHECK(put(pg, r1, 0, &created, &g) == QUIRE_OK);
	CHECK(created == 1);
	CHECK(r1->revision == 1);
	CHECK(g == g0 + 1);
	CHECK(generation_of(pg) == g0 + 1);
	CHECK(tier_pg_fetch(pg, "written", &got) == QUIRE_OK);
	check_same(got, r1);
	record_free(got);
	got = NULL;
	check_column("written", "origin", "api");
	check_column("written", "title", "Written");
	check_column("written", "array_to_string(tags, '|')", "api|one");

	/* Again: it exists now. Nothing changes, not the generation. */
	r2 = api_record("written", src_w2);
	created = -1;
	g = -1;
	CHECK(put(pg, r2, 0, &created, &g) == QUIRE_ECONFLICT);
	CHECK(created == 0 && g == 0);
	CHECK(r2->revision == 0);
	CHECK(generation_of(pg) == g0 + 1);
	CHECK(revision_of(pg, "written") == 1);
	check_column("written", "title", "Written");

	/* No precondition: replaces. */
	CHECK(put(pg, r2, -1, &created, &g) == QUIRE_OK);
	CHECK(created == 0);
	CHECK(r2->revision == 2);
	CHECK(g == g0 + 2);
	CHECK(tier_pg_fetch(pg, "written", &got) == QUIRE_OK);
	check_same(got, r2);
	record_free(got);
	got = NULL;
	/* The frontmatter columns follow the new source. */
	check_column("written", "title", "Rewritten");
	check_column("written", "array_to_string(tags, '|')", "api|two|th,ree");
	check_column("written", "array_to_string(categories, '|')", "x");
	check_column("written", "array_to_string(authors, '|')", "cy");
	check_column("written", "pin", "3");
	check_column("written", "revision", "2");

	/* If-Match: the current revision wins once, then it is stale. */
	r3 = api_record("written", src_w3);
	CHECK(put(pg, r3, 2, &created, &g) == QUIRE_OK);
	CHECK(created == 0);
	CHECK(r3->revision == 3);
	CHECK(g == g0 + 3);
	check_column("written", "title", "Third");
	r3->revision = 0;
	CHECK(put(pg, r3, 2, &created, &g) == QUIRE_ECONFLICT);
	CHECK(r3->revision == 0);
	CHECK(revision_of(pg, "written") == 3);
	CHECK(generation_of(pg) == g0 + 3);
	/* If-Match on a slug that does not exist. */
	r1->revision = 0;
	free(r1->slug);
	r1->slug = strdup("never-written");
	CHECK(put(pg, r1, 1, &created, &g) == QUIRE_ECONFLICT);
	CHECK(!exists(pg, "never-written"));
	CHECK(generation_of(pg) == g0 + 3);
	/* A negative revision other than -1 is a bad argument. */
	CHECK(tier_pg_put(pg, r1, -2, &created, &g) == QUIRE_EINVAL);
	CHECK(!exists(pg, "never-written"));

	/* A source that does not parse: an error, nothing written, neither
	 * a new slug nor over an existing one. */
	bad = api_record("bad-api", "---\ntitle: [unclosed\n---\nx\n");
	rc = put(pg, bad, -1, &created, &g);
	CHECK(rc == QUIRE_EPARSE);
	CHECK(strlen(tier_pg_error(pg)) > 0);
	CHECK(!exists(pg, "bad-api"));
	free(bad->slug);
	bad->slug = strdup("written");
	CHECK(put(pg, bad, 3, &created, &g) == QUIRE_EPARSE);
	CHECK(revision_of(pg, "written") == 3);
	check_column("written", "title", "Third");
	CHECK(generation_of(pg) == g0 + 3);
	/* An invalid slug. */
	free(bad->slug);
	bad->slug = strdup("../etc");
	CHECK(put(pg, bad, -1, &created, &g) == QUIRE_EINVAL);
	record_free(bad);
	/* Refused by the server (invalid UTF-8): EIO, rolled back, and the
	 * connection is fine afterwards. */
	bad = api_record("bad-bytes-api", "---\ntitle: B\n---\n\xff\xfe\n");
	CHECK(put(pg, bad, 0, &created, &g) == QUIRE_EIO);
	CHECK(!exists(pg, "bad-bytes-api"));
	CHECK(generation_of(pg) == g0 + 3);
	record_free(bad);

	/* A deploy never deletes an API post. */
	CHECK(tier_pg_deploy(pg, NULL, 0, dels, 1, &g) == QUIRE_OK);
	CHECK(g == g0 + 4);
	CHECK(exists(pg, "written"));
	CHECK(revision_of(pg, "written") == 3);

	/* Delete: a stale revision conflicts, the current one deletes. */
	g = -1;
	CHECK(tier_pg_delete(pg, "written", 2, &g) == QUIRE_ECONFLICT);
	CHECK(g == 0);
	CHECK(exists(pg, "written"));
	CHECK(generation_of(pg) == g0 + 4);
	CHECK(tier_pg_delete(pg, "written", 0, &g) == QUIRE_ECONFLICT);
	CHECK(exists(pg, "written"));
	rc = tier_pg_delete(pg, "written", 3, &g);
	CHECK(rc == QUIRE_OK);
	CHECK(g == g0 + 5);
	CHECK(generation_of(pg) == g0 + 5);
	CHECK(tier_pg_fetch(pg, "written", &got) == QUIRE_ENOTFOUND);
	CHECK(got == NULL);
	CHECK(tier_pg_delete(pg, "written", -1, &g) == QUIRE_ENOTFOUND);
	CHECK(tier_pg_delete(pg, "written", 3, &g) == QUIRE_ENOTFOUND);
	CHECK(generation_of(pg) == g0 + 5);
	CHECK(tier_pg_delete(pg, "../etc", -1, &g) == QUIRE_EINVAL);

	/* Created again after the delete: revision 1, created. */
	r1->revision = 0;
	free(r1->slug);
	r1->slug = strdup("written");
	CHECK(put(pg, r1, 0, &created, &g) == QUIRE_OK);
	CHECK(created == 1 && r1->revision == 1);
	CHECK(g == g0 + 6);

	/* A slug a content file gives is that file's: the API neither
	 * replaces nor deletes it, whatever its precondition (DESIGN §7). */
	CHECK(revision_of(pg, "new-one") == 1);
	check_column("new-one", "origin", "content");
	free(r2->slug);
	r2->slug = strdup("new-one");
	r2->revision = 0;
	CHECK(put(pg, r2, 1, &created, &g) == QUIRE_EOWNED);
	CHECK(put(pg, r2, -1, &created, &g) == QUIRE_EOWNED);
	CHECK(put(pg, r2, 0, &created, &g) == QUIRE_EOWNED);
	CHECK(created == 0 && g == 0 && r2->revision == 0);
	CHECK(tier_pg_delete(pg, "new-one", -1, &g) == QUIRE_EOWNED);
	CHECK(tier_pg_delete(pg, "new-one", 1, &g) == QUIRE_EOWNED);
	CHECK(g == 0);
	check_column("new-one", "origin || ' ' || revision || ' ' || path",
		     "content 1 posts/new-one.md");
	CHECK(generation_of(pg) == g0 + 6);
	/* It is the API's once no file gives it. */
	dels[0] = (char *)"new-one";
	CHECK(tier_pg_deploy(pg, NULL, 0, dels, 1, &g) == QUIRE_OK);
	CHECK(put(pg, r2, 0, &created, &g) == QUIRE_OK);
	CHECK(created == 1 && r2->revision == 1 && g == g0 + 8);
	check_column("new-one", "origin", "api");
	check_column("new-one", "path", "");

	/* A content deploy leaves an API post alone, and deploys the rest
	 * of its records: the one refused gets revision 0. */
	{
		struct record *v[2];

		v[0] = make_record("deployed-beside", POST_KIND_POST,
				   RECORD_ORIGIN_CONTENT, "posts/beside.md",
				   "---\ntitle: Beside\n---\nb\n", "<p>b</p>",
				   NULL, 11, 0, 0);
		v[1] = make_record("new-one", POST_KIND_POST,
				   RECORD_ORIGIN_CONTENT, "posts/new-one.md",
				   "---\ntitle: File\n---\nf\n", "<p>f</p>",
				   NULL, 12, 0, 0);
		CHECK(tier_pg_deploy(pg, v, 2, NULL, 0, &g) == QUIRE_OK);
		CHECK(g == g0 + 9);
		CHECK(v[0]->revision == 1 && v[1]->revision == 0);
		check_column("new-one", "origin || ' ' || revision", "api 1");
		check_column("deployed-beside", "origin", "content");
		/* ... also when it is alone */
		CHECK(tier_pg_deploy(pg, &v[1], 1, NULL, 0, &g) == QUIRE_OK);
		CHECK(g == g0 + 10 && v[1]->revision == 0);
		check_column("new-one", "origin || ' ' || revision", "api 1");
		dels[0] = (char *)"deployed-beside";
		CHECK(tier_pg_deploy(pg, NULL, 0, dels, 1, &g) == QUIRE_OK);
		CHECK(!exists(pg, "deployed-beside"));
		record_free(v[0]);
		record_free(v[1]);
	}
	/* ... and deletes only its own. */
	dels[0] = (char *)"alpha";
	CHECK(tier_pg_deploy(pg, NULL, 0, dels, 1, &g) == QUIRE_OK);
	CHECK(!exists(pg, "alpha"));
	CHECK(g == g0 + 12);
	CHECK(exists(pg, "new-one"));

	record_free(r1);
	record_free(r2);
	record_free(r3);
}

/*
 * RACE processes, each on its own connection, put slug at once under
 * precondition cond (NULL: none). Each child says it is connected on
 * ready, then waits for the gate to close. Counts the outcomes: ok,
 * conflict (seen by the row lock or by the insert), other.
 */
static void race_put(const char *slug, const char *source,
		     const struct precond *cond, int *ok, int *conflict,
		     int *other)
{
	pid_t kids[RACE];
	int gate[2], ready[2], i, status;
	char c;

	*ok = *conflict = *other = 0;
	if (pipe(gate) < 0 || pipe(ready) < 0)
		die("pipe", "failed");
	fflush(NULL);
	for (i = 0; i < RACE; i++) {
		kids[i] = fork();
		if (kids[i] < 0)
			die("fork", "failed");
		if (kids[i] == 0) {
			struct tier_pg *c_pg = NULL;
			struct record *r;
			struct tier_pg_op op = { NULL, NULL, cond, QUIRE_OK, 0, NULL };
			char err[256];
			enum quire_err rc;
			long long g;

			close(gate[1]);
			close(ready[0]);
			if (tier_pg_connect(url, &c_pg, err, sizeof(err)) != QUIRE_OK) {
				fprintf(stderr, "race connect: %s\n", err);
				_exit(3);
			}
			r = api_record(slug, source);
			if (write(ready[1], "r", 1) != 1)
				_exit(3);
			/* EOF when the parent closes its end: all go at once. */
			if (read(gate[0], &c, 1) < 0)
				_exit(3);
			op.rec = r;
			rc = tier_pg_write(c_pg, &op, 1, &g);
			if (rc == QUIRE_OK)
				rc = op.rc;
			if (rc != QUIRE_OK && rc != QUIRE_ECONFLICT)
				fprintf(stderr, "race put: %s: %s\n",
					quire_strerror(rc), tier_pg_error(c_pg));
			if (rc == QUIRE_OK && cond && (cond->flags & PRECOND_ABSENT) &&
			    !op.created)
				rc = QUIRE_EINVAL;
			record_free(r);
			tier_pg_close(c_pg);
			_exit(rc == QUIRE_OK ? 0 : rc == QUIRE_ECONFLICT ? 1 : 2);
		}
	}
	close(gate[0]);
	close(ready[1]);
	for (i = 0; i < RACE; i++)
		if (read(ready[0], &c, 1) != 1)
			break;
	close(gate[1]);
	close(ready[0]);
	for (i = 0; i < RACE; i++) {
		CHECK(waitpid(kids[i], &status, 0) == kids[i]);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			(*ok)++;
		else if (WIFEXITED(status) && WEXITSTATUS(status) == 1)
			(*conflict)++;
		else
			(*other)++;
	}
}

/* At one instant two creates of one slug can both pass ON CONFLICT's
 * check; the lower(slug) index then refused the second as a case twin,
 * an error where a conflict is the answer. Raced again and again. */
static void test_create_races(void)
{
	struct precond absent;
	char slug[32];
	int k, ok, conflict, other;

	CHECK(precond_from_expect(0, &absent) == QUIRE_OK);
	for (k = 0; k < 12; k++) {
		snprintf(slug, sizeof(slug), "raced-again-%d", k);
		race_put(slug, src_w1, &absent, &ok, &conflict, &other);
		CHECK(ok == 1);
		CHECK(conflict == RACE - 1);
		CHECK(other == 0);
	}
}

/* Concurrent writers of one slug: no lost update, no double create. */
static void test_put_race(struct tier_pg *pg)
{
	struct precond absent, at1, c;
	const char *bad;
	char h[64];
	long long g0;
	int ok, conflict, other;

	CHECK(precond_from_expect(0, &absent) == QUIRE_OK);
	CHECK(precond_from_expect(1, &at1) == QUIRE_OK);
	g0 = generation_of(pg);
	CHECK(!exists(pg, "raced"));
	race_put("raced", src_w1, &absent, &ok, &conflict, &other);
	printf("%d concurrent creates: %d ok, %d conflict, %d other\n", RACE,
	       ok, conflict, other);
	CHECK(ok == 1);
	CHECK(conflict == RACE - 1);
	CHECK(other == 0);
	CHECK(revision_of(pg, "raced") == 1);
	CHECK(generation_of(pg) == g0 + 1);

	race_put("raced", src_w2, &at1, &ok, &conflict, &other);
	printf("%d concurrent replaces at revision 1: %d ok, %d conflict,"
	       " %d other\n", RACE, ok, conflict, other);
	CHECK(ok == 1);
	CHECK(conflict == RACE - 1);
	CHECK(other == 0);
	CHECK(revision_of(pg, "raced") == 2);
	CHECK(generation_of(pg) == g0 + 2);
	check_column("raced", "title", "Rewritten");

	/* Without a precondition every one of them lands, one after the
	 * other: RACE revisions more. */
	race_put("raced", src_w3, NULL, &ok, &conflict, &other);
	printf("%d concurrent unconditional writes: %d ok\n", RACE, ok);
	CHECK(ok == RACE);
	CHECK(revision_of(pg, "raced") == 2 + RACE);
	CHECK(generation_of(pg) == g0 + 2 + RACE);

	/* If-Match with a list holding the current revision: one wins, and
	 * the others see the revision it made, which the list lacks. */
	snprintf(h, sizeof(h), "\"1\", \"%d\", \"2\"", 2 + RACE);
	CHECK(precond_parse(h, NULL, &c, &bad) == QUIRE_OK);
	race_put("raced", src_w2, &c, &ok, &conflict, &other);
	printf("%d concurrent writes with If-Match: %s: %d ok, %d conflict,"
	       " %d other\n", RACE, h, ok, conflict, other);
	CHECK(ok == 1 && conflict == RACE - 1 && other == 0);
	CHECK(revision_of(pg, "raced") == 3 + RACE);
	/* If-None-Match of the revision the first writer makes: the same. */
	snprintf(h, sizeof(h), "W/\"%d\"", 4 + RACE);
	CHECK(precond_parse(NULL, h, &c, &bad) == QUIRE_OK);
	race_put("raced", src_w1, &c, &ok, &conflict, &other);
	printf("%d concurrent writes with If-None-Match: %s: %d ok,"
	       " %d conflict, %d other\n", RACE, h, ok, conflict, other);
	CHECK(ok == 1 && conflict == RACE - 1 && other == 0);
	CHECK(revision_of(pg, "raced") == 4 + RACE);
	CHECK(tier_pg_delete(pg, "raced", 4 + RACE, NULL) == QUIRE_OK);
}

/*
 * One write of slug (a put of rec, or rec NULL a delete) under the
 * conditions of the two header values: its outcome must be want, and
 * what precond_check() says of the revision before it (the SQL and the
 * C rule agree).
 */
static void cond_write(struct tier_pg *pg, const char *slug, struct record *rec,
		       const char *if_match, const char *if_none_match,
		       enum quire_err want)
{
	struct precond c;
	struct tier_pg_op op = { rec ? NULL : slug, rec, &c, QUIRE_OK, 0, NULL };
	long long before = exists(pg, slug) ? revision_of(pg, slug) : 0;
	long long g0 = generation_of(pg), g = -1;
	enum quire_err rc, rule;
	const char *bad;

	CHECK(precond_parse(if_match, if_none_match, &c, &bad) == QUIRE_OK);
	rule = precond_check(&c, before) != PRECOND_HOLDS ?
	       (before || rec ? QUIRE_ECONFLICT : QUIRE_ENOTFOUND) :
	       before || rec ? QUIRE_OK : QUIRE_ENOTFOUND;
	rc = tier_pg_write(pg, &op, 1, &g);
	if (rc == QUIRE_OK)
		rc = op.rc;
	if (rc != want || rc != rule)
		printf("%s %s If-Match: %s If-None-Match: %s at %lld: %s, "
		       "wanted %s (the rule: %s)\n", rec ? "put" : "delete", slug,
		       if_match ? if_match : "-", if_none_match ? if_none_match : "-",
		       before, quire_strerror(rc), quire_strerror(want),
		       quire_strerror(rule));
	CHECK(rc == want);
	CHECK(rc == rule);
	/* A failed precondition changes nothing, not the generation. */
	if (rc != QUIRE_OK)
		CHECK(generation_of(pg) == g0 &&
		      (exists(pg, slug) ? revision_of(pg, slug) : 0) == before);
}

/*
 * One write of slug, a content file's post, under the conditions of the
 * two header values: QUIRE_EOWNED naming path whatever they ask (the
 * owner is decided first, even where the condition holds), nothing
 * changed, not the generation.
 */
static void owned_write(struct tier_pg *pg, const char *slug,
			struct record *rec, const char *if_match,
			const char *if_none_match, const char *path)
{
	struct precond c;
	struct tier_pg_op op = { rec ? NULL : slug, rec, &c, QUIRE_OK, 0, NULL };
	long long before = revision_of(pg, slug), g0 = generation_of(pg), g = -1;
	enum quire_err rc;
	const char *bad;

	CHECK(precond_parse(if_match, if_none_match, &c, &bad) == QUIRE_OK);
	rc = tier_pg_write(pg, &op, 1, &g);
	if (rc == QUIRE_OK)
		rc = op.rc;
	if (rc != QUIRE_EOWNED)
		printf("%s %s (a content file's) If-Match: %s If-None-Match: %s:"
		       " %s, wanted %s\n", rec ? "put" : "delete", slug,
		       if_match ? if_match : "-", if_none_match ? if_none_match : "-",
		       quire_strerror(rc), quire_strerror(QUIRE_EOWNED));
	CHECK(rc == QUIRE_EOWNED);
	CHECK(op.owner && strcmp(op.owner, path) == 0);
	CHECK(g == 0 && generation_of(pg) == g0);
	CHECK(exists(pg, slug) && revision_of(pg, slug) == before);
	free(op.owner);
}

/* Every precondition of lib/precond.h, checked by PostgreSQL inside the
 * statement that writes. */
static void test_preconds(struct tier_pg *pg)
{
	struct record *r = api_record("cond", src_w1), *owned;
	char owned_slug[] = "cond-owned";
	char *owned_dels[1] = { owned_slug };
	struct precond c;
	struct tier_pg_op op = { NULL, r, &c, QUIRE_OK, 0, NULL };
	long long g;

	CHECK(!exists(pg, "cond"));
	/* If-Match needs the post: "*", a revision, another tag, no tag. */
	cond_write(pg, "cond", r, "*", NULL, QUIRE_ECONFLICT);
	cond_write(pg, "cond", r, "\"1\"", NULL, QUIRE_ECONFLICT);
	cond_write(pg, "cond", r, "\"any-other-tag\"", NULL, QUIRE_ECONFLICT);
	cond_write(pg, "cond", r, "", NULL, QUIRE_ECONFLICT);
	cond_write(pg, "cond", r, "*", "*", QUIRE_ECONFLICT);
	CHECK(!exists(pg, "cond"));
	/* If-None-Match with a revision holds for no post: created. */
	cond_write(pg, "cond", r, NULL, "\"1\"", QUIRE_OK);
	CHECK(revision_of(pg, "cond") == 1);
	cond_write(pg, "cond", r, "*", NULL, QUIRE_OK);                /* 2 */
	cond_write(pg, "cond", r, "\"1\", \"x\", \"2\"", NULL, QUIRE_OK); /* 3 */
	cond_write(pg, "cond", r, "\"1\", \"2\"", NULL, QUIRE_ECONFLICT);
	cond_write(pg, "cond", r, "W/\"3\"", NULL, QUIRE_ECONFLICT);
	cond_write(pg, "cond", r, "\"03\"", NULL, QUIRE_ECONFLICT);
	cond_write(pg, "cond", r, "\"any-other-tag\"", NULL, QUIRE_ECONFLICT);
	cond_write(pg, "cond", r, "", NULL, QUIRE_ECONFLICT);
	cond_write(pg, "cond", r, NULL, "*", QUIRE_ECONFLICT);
	cond_write(pg, "cond", r, NULL, "\"3\"", QUIRE_ECONFLICT);
	cond_write(pg, "cond", r, NULL, "W/\"3\"", QUIRE_ECONFLICT);
	cond_write(pg, "cond", r, NULL, "\"1\", \"3\"", QUIRE_ECONFLICT);
	cond_write(pg, "cond", r, "\"3\"", "\"3\"", QUIRE_ECONFLICT);
	cond_write(pg, "cond", r, "*", "*", QUIRE_ECONFLICT);
	cond_write(pg, "cond", r, "\"3\"", "\"1\", \"2\"", QUIRE_OK);  /* 4 */
	cond_write(pg, "cond", r, NULL, "\"1\", W/\"2\"", QUIRE_OK);     /* 5 */
	cond_write(pg, "cond", r, NULL, "", QUIRE_OK);                     /* 6 */
	CHECK(revision_of(pg, "cond") == 6);
	/* Deletes under the same rule. */
	cond_write(pg, "cond", NULL, NULL, "*", QUIRE_ECONFLICT);
	cond_write(pg, "cond", NULL, NULL, "W/\"6\"", QUIRE_ECONFLICT);
	cond_write(pg, "cond", NULL, "\"5\", \"7\"", NULL, QUIRE_ECONFLICT);
	cond_write(pg, "cond", NULL, "W/\"6\"", NULL, QUIRE_ECONFLICT);
	cond_write(pg, "cond", NULL, "\"other\"", NULL, QUIRE_ECONFLICT);
	cond_write(pg, "cond", NULL, "*", NULL, QUIRE_OK);
	CHECK(!exists(pg, "cond"));
	/* No post to delete: 404 first, whatever the conditions ask. */
	cond_write(pg, "cond", NULL, "*", NULL, QUIRE_ENOTFOUND);
	cond_write(pg, "cond", NULL, "\"6\"", NULL, QUIRE_ENOTFOUND);
	cond_write(pg, "cond", NULL, NULL, "*", QUIRE_ENOTFOUND);
	/* Created again, then deleted under a list holding its revision. */
	cond_write(pg, "cond", r, NULL, "*", QUIRE_OK);
	cond_write(pg, "cond", NULL, "\"9\", \"1\"", NULL, QUIRE_OK);
	/* A content file's slug: 409 (QUIRE_EOWNED) whatever the conditions,
	 * those that would hold (If-Match: * on a post that exists, its
	 * revision in a list, If-None-Match of another) as those that
	 * would not. */
	owned = make_record("cond-owned", POST_KIND_POST, RECORD_ORIGIN_CONTENT,
			    "posts/cond-owned.md", src_w1, "<p>x</p>", NULL, 7,
			    0, 0);
	CHECK(tier_pg_deploy(pg, &owned, 1, NULL, 0, &g) == QUIRE_OK);
	CHECK(revision_of(pg, "cond-owned") == 1);
	free(r->slug);
	r->slug = strdup("cond-owned");
	CHECK(r->slug != NULL);
	owned_write(pg, "cond-owned", r, "*", NULL, "posts/cond-owned.md");
	owned_write(pg, "cond-owned", r, "\"1\"", NULL, "posts/cond-owned.md");
	owned_write(pg, "cond-owned", r, "\"9\", \"1\"", NULL, "posts/cond-owned.md");
	owned_write(pg, "cond-owned", r, "\"2\"", NULL, "posts/cond-owned.md");
	owned_write(pg, "cond-owned", r, NULL, "*", "posts/cond-owned.md");
	owned_write(pg, "cond-owned", r, NULL, "\"2\", W/\"3\"", "posts/cond-owned.md");
	owned_write(pg, "cond-owned", r, NULL, "W/\"1\"", "posts/cond-owned.md");
	owned_write(pg, "cond-owned", r, "\"1\"", "\"2\"", "posts/cond-owned.md");
	owned_write(pg, "cond-owned", NULL, "*", NULL, "posts/cond-owned.md");
	owned_write(pg, "cond-owned", NULL, "\"1\"", NULL, "posts/cond-owned.md");
	owned_write(pg, "cond-owned", NULL, "\"7\", \"1\"", NULL, "posts/cond-owned.md");
	owned_write(pg, "cond-owned", NULL, NULL, "\"2\"", "posts/cond-owned.md");
	owned_write(pg, "cond-owned", NULL, NULL, "*", "posts/cond-owned.md");
	check_column("cond-owned", "origin || ' ' || revision || ' ' || path",
		     "content 1 posts/cond-owned.md");
	CHECK(tier_pg_deploy(pg, NULL, 0, owned_dels, 1, &g) == QUIRE_OK);
	CHECK(!exists(pg, "cond-owned"));
	record_free(owned);
	free(r->slug);
	r->slug = strdup("cond");
	CHECK(r->slug != NULL);
	/* A precondition no header could make is refused, nothing sent. */
	memset(&c, 0, sizeof(c));
	c.flags = PRECOND_MATCH; /* without PRECOND_EXISTS */
	CHECK(tier_pg_write(pg, &op, 1, &g) == QUIRE_OK);
	CHECK(op.rc == QUIRE_EINVAL && !exists(pg, "cond"));
	c.flags = 8;
	CHECK(tier_pg_write(pg, &op, 1, &g) == QUIRE_OK);
	CHECK(op.rc == QUIRE_EINVAL && !exists(pg, "cond"));
	record_free(r);
}

/* After the server ends the session, the next call may fail; the one
 * after it works on a new connection. */
static void test_reconnect(struct tier_pg *pg)
{
	struct record *r;
	long long g = -1, g0;
	enum quire_err rc;

	g0 = generation_of(pg);
	CHECK(terminate_quire_backends() >= 1);
	rc = tier_pg_generation(pg, &g);
	printf("generation after terminate: %s%s%s\n", quire_strerror(rc),
	       rc ? ": " : "", rc ? tier_pg_error(pg) : "");
	g = -1;
	CHECK(tier_pg_generation(pg, &g) == QUIRE_OK);
	CHECK(g == g0);

	/* A deploy is not retried (it may have committed): it fails once,
	 * then works. */
	r = make_record("after-reconnect", POST_KIND_POST, RECORD_ORIGIN_CONTENT,
			"posts/after.md", "---\ntitle: After\n---\nx\n", "<p>x</p>",
			NULL, 5, 0, 0);
	CHECK(terminate_quire_backends() >= 1);
	rc = tier_pg_deploy(pg, &r, 1, NULL, 0, &g);
	printf("deploy after terminate: %s%s%s\n", quire_strerror(rc),
	       rc ? ": " : "", rc ? tier_pg_error(pg) : "");
	if (rc != QUIRE_OK) {
		CHECK(generation_of(pg) == g0);
		rc = tier_pg_deploy(pg, &r, 1, NULL, 0, &g);
	}
	CHECK(rc == QUIRE_OK);
	CHECK(g == g0 + 1);
	CHECK(exists(pg, "after-reconnect"));
	record_free(r);

	/* So does an API write: it fails once (not retried: the
	 * transaction died with the session), then works. */
	r = api_record("put-after-reconnect", src_w1);
	{
		int created = -1;

		g0 = generation_of(pg);
		CHECK(terminate_quire_backends() >= 1);
		rc = tier_pg_put(pg, r, 0, &created, &g);
		printf("put after terminate: %s%s%s\n", quire_strerror(rc),
		       rc ? ": " : "", rc ? tier_pg_error(pg) : "");
		CHECK(rc == QUIRE_EIO);
		CHECK(r->revision == 0);
		CHECK(tier_pg_put(pg, r, 0, &created, &g) == QUIRE_OK);
		CHECK(created == 1 && r->revision == 1 && g == g0 + 1);
		CHECK(terminate_quire_backends() >= 1);
		CHECK(tier_pg_delete(pg, "put-after-reconnect", 1, &g) == QUIRE_EIO);
		CHECK(tier_pg_delete(pg, "put-after-reconnect", 1, &g) == QUIRE_OK);
		CHECK(g == g0 + 2);
	}
	record_free(r);

	/* fetch, index and content_hashes each come back too. */
	CHECK(terminate_quire_backends() >= 1);
	r = NULL;
	rc = tier_pg_fetch(pg, "after-reconnect", &r);
	record_free(r);
	r = NULL;
	CHECK(tier_pg_fetch(pg, "after-reconnect", &r) == QUIRE_OK);
	record_free(r);
}


/* A batch of API writes (the committer's): one transaction, one
 * generation; plain puts of distinct slugs share statements (64/16/4/1
 * rows), a slug written twice goes one statement a write, in order; a
 * failed precondition fails that write alone. */
/* Whether the unique index on lower(slug) (schema step 8) is there. */
static int case_index_built(void)
{
	PGresult *res = PQexec(admin, "SELECT to_regclass('posts_slug_lower')"
			       " IS NOT NULL");
	int v;

	if (!res || PQresultStatus(res) != PGRES_TUPLES_OK)
		die("case index", PQerrorMessage(admin));
	v = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return v;
}

/*
 * Step 8 on a database that already holds slugs equal but for case
 * (possible before it): the migration succeeds, keeps both, leaves the
 * index out; once one is deleted, the next migration builds it. Then
 * twins are refused in the commit: a batch with Foo and foo commits
 * one, refuses the other alone (QUIRE_ECASE), commits the rest; a
 * deploy that gives a slug another case (delete Foo, upsert foo) works.
 */
static void test_migrate_case(struct tier_pg *pg)
{
	static const char src[] = "---\ntitle: Twin\n---\nbody\n";
	struct tier_pg_op ops[3];
	struct record *recs[3], *up[1];
	char *del[1] = { (char *)"Case-B" };
	long long g = -1;
	int from = -1, to = -1, v = -1;
	size_t i;

	drop_schema();
	CHECK(tier_pg_migrate(pg, NULL, &v) == QUIRE_OK);
	CHECK(case_index_built());
	admin_exec("DROP INDEX posts_slug_lower;"
		   "UPDATE quire_schema SET version = 7;"
		   "INSERT INTO posts (slug, kind, origin, source, body_offset,"
		   " hash) VALUES ('Twin', 'post', 'api', 'x', 0, 1),"
		   " ('twin', 'post', 'content', 'y', 0, 2),"
		   " ('alone', 'post', 'api', 'z', 0, 3)");
	CHECK(tier_pg_migrate(pg, &from, &to) == QUIRE_OK);
	CHECK(from == 7 && to == v);
	if (to != v)
		fprintf(stderr, "case migrate: %s\n", tier_pg_error(pg));
	CHECK(!case_index_built());
	CHECK(exists(pg, "Twin") && exists(pg, "twin"));
	/* still there: the index is not built by a migration up to date */
	CHECK(tier_pg_migrate(pg, &from, &to) == QUIRE_OK);
	CHECK(!case_index_built());
	admin_exec("DELETE FROM posts WHERE slug = 'twin'");
	CHECK(tier_pg_migrate(pg, &from, &to) == QUIRE_OK);
	CHECK(from == v && to == v);
	CHECK(case_index_built());

	/* one batch: TWIN (held Twin's), case-a and CASE-A, and one apart */
	recs[0] = api_record("TWIN", src);
	recs[1] = api_record("case-a", src);
	recs[2] = api_record("CASE-A", src);
	for (i = 0; i < 3; i++)
		ops[i] = (struct tier_pg_op){ NULL, recs[i], NULL, QUIRE_OK, 0,
					      NULL };
	CHECK(tier_pg_write(pg, ops, 3, &g) == QUIRE_OK);
	CHECK(ops[0].rc == QUIRE_ECASE);
	CHECK(ops[1].rc == QUIRE_OK);
	CHECK(ops[2].rc == QUIRE_ECASE);
	CHECK(g > 0);
	CHECK(exists(pg, "case-a") && !exists(pg, "CASE-A") &&
	      !exists(pg, "TWIN") && exists(pg, "Twin"));
	for (i = 0; i < 3; i++) {
		free(ops[i].owner);
		record_free(recs[i]);
	}
	/* alone, as the API's put */
	recs[0] = api_record("ALONE", src);
	CHECK(tier_pg_put(pg, recs[0], -1, NULL, NULL) == QUIRE_ECASE);
	record_free(recs[0]);

	/* a deploy: Case-B, then its file renamed case-b */
	up[0] = make_record("Case-B", POST_KIND_POST, RECORD_ORIGIN_CONTENT,
			    "posts/Case-B.md", src, "<p>b</p>\n", NULL, 11, 0, 0);
	CHECK(tier_pg_deploy(pg, up, 1, NULL, 0, &g) == QUIRE_OK);
	record_free(up[0]);
	up[0] = make_record("case-b", POST_KIND_POST, RECORD_ORIGIN_CONTENT,
			    "posts/case-b.md", src, "<p>b</p>\n", NULL, 12, 0, 0);
	CHECK(tier_pg_deploy(pg, up, 1, del, 1, &g) == QUIRE_OK);
	if (!exists(pg, "case-b"))
		fprintf(stderr, "case deploy: %s\n", tier_pg_error(pg));
	CHECK(exists(pg, "case-b") && !exists(pg, "Case-B"));
	record_free(up[0]);
	drop_schema();
	CHECK(tier_pg_migrate(pg, NULL, NULL) == QUIRE_OK);
}

static void test_write_batch(struct tier_pg *pg)
{
	static const char src[] = "---\ntitle: Batched\ntags: [b]\n---\nbody\n";
	struct tier_pg_op ops[32];
	struct record *recs[32];
	struct precond absent, at1;
	char slug[32];
	long long g0, g = -1;
	size_t i, n = 0;

	CHECK(precond_from_expect(0, &absent) == QUIRE_OK);
	CHECK(precond_from_expect(1, &at1) == QUIRE_OK);
	g0 = generation_of(pg);
	for (i = 0; i < 21; i++) { /* 16 + 4 + 1 rows */
		snprintf(slug, sizeof(slug), "batch-%02zu", i);
		recs[n] = api_record(slug, src);
		ops[n] = (struct tier_pg_op){ NULL, recs[n], NULL, QUIRE_OK, 0, NULL };
		n++;
	}
	/* "twice" created, then replaced under If-Match 1, then a stale
	 * If-Match 1 fails; a delete of a slug that is not there. */
	recs[n] = api_record("twice", src);
	ops[n] = (struct tier_pg_op){ NULL, recs[n], &absent, QUIRE_OK, 0, NULL };
	n++;
	recs[n] = api_record("twice", "---\ntitle: Second\n---\nx\n");
	ops[n] = (struct tier_pg_op){ NULL, recs[n], &at1, QUIRE_OK, 0, NULL };
	n++;
	recs[n] = api_record("twice", "---\ntitle: Third\n---\nx\n");
	ops[n] = (struct tier_pg_op){ NULL, recs[n], &at1, QUIRE_OK, 0, NULL };
	n++;
	recs[n] = NULL;
	ops[n] = (struct tier_pg_op){ "never-there", NULL, NULL, QUIRE_OK, 0, NULL };
	n++;
	/* Slugs content files give (test_bulk's): a plain put, which would
	 * share a statement with the others, a put under If-Match and a
	 * delete. Each is refused alone (QUIRE_EOWNED, naming the file),
	 * the rest of the batch committed. */
	recs[n] = api_record("bulk-00001", src);
	ops[n] = (struct tier_pg_op){ NULL, recs[n], NULL, QUIRE_OK, 0, NULL };
	n++;
	recs[n] = api_record("bulk-00002", src);
	ops[n] = (struct tier_pg_op){ NULL, recs[n], &at1, QUIRE_OK, 0, NULL };
	n++;
	recs[n] = NULL;
	ops[n] = (struct tier_pg_op){ "bulk-00003", NULL, NULL, QUIRE_OK, 0, NULL };
	n++;
	CHECK(tier_pg_write(pg, ops, n, &g) == QUIRE_OK);
	CHECK(g == g0 + 1);
	CHECK(generation_of(pg) == g0 + 1);
	for (i = 0; i < 21; i++) {
		CHECK(ops[i].rc == QUIRE_OK && ops[i].created == 1);
		CHECK(recs[i]->revision == 1);
		CHECK(exists(pg, recs[i]->slug));
	}
	CHECK(ops[21].rc == QUIRE_OK && ops[21].created && recs[21]->revision == 1);
	CHECK(ops[22].rc == QUIRE_OK && !ops[22].created && recs[22]->revision == 2);
	CHECK(ops[23].rc == QUIRE_ECONFLICT);
	CHECK(ops[24].rc == QUIRE_ENOTFOUND);
	for (i = 25; i < 28; i++) {
		char want[64];

		snprintf(want, sizeof(want), "posts/bulk-0000%zu.md", i - 24);
		CHECK(ops[i].rc == QUIRE_EOWNED);
		CHECK_STR(ops[i].owner, want);
		snprintf(want, sizeof(want), "bulk-0000%zu", i - 24);
		check_column(want, "origin || ' ' || revision", "content 2");
	}
	for (i = 0; i < n; i++) {
		CHECK(i >= 25 || ops[i].owner == NULL);
		free(ops[i].owner);
		ops[i].owner = NULL;
	}
	CHECK(revision_of(pg, "twice") == 2);
	check_column("twice", "title", "Second");
	check_column("batch-20", "origin", "api");
	/* Again: the plain puts replace (revision 2), still one generation. */
	for (i = 0; i < 21; i++)
		recs[i]->revision = 0;
	CHECK(tier_pg_write(pg, ops, 21, &g) == QUIRE_OK);
	CHECK(g == g0 + 2);
	for (i = 0; i < 21; i++)
		CHECK(ops[i].rc == QUIRE_OK && !ops[i].created &&
		      recs[i]->revision == 2);
	/* Nothing applied: no generation. */
	CHECK(tier_pg_write(pg, &ops[23], 2, &g) == QUIRE_OK);
	CHECK(g == 0 && generation_of(pg) == g0 + 2);
	for (i = 0; i < n; i++)
		record_free(recs[i]);
}

/* One number the admin reads ("-1" when the query gives no row). */
static long long admin_ll(const char *sql)
{
	PGresult *res = PQexec(admin, sql);
	long long v = -1;

	if (!res || PQresultStatus(res) != PGRES_TUPLES_OK)
		die(sql, PQerrorMessage(admin));
	if (PQntuples(res) == 1)
		v = atoll(PQgetvalue(res, 0, 0));
	PQclear(res);
	return v;
}

/*
 * "Acknowledged means durable" whatever the role's or the database's
 * default: a role tuned to synchronous_commit = off must not turn the
 * API's writes and the deploys into commits that a crash can take back.
 * Every such transaction bumps the site's generation just before its
 * COMMIT; a trigger on the site row records the setting in force there,
 * in the transaction itself, as PostgreSQL sees it.
 */
static void test_sync_commit(void)
{
	static const char src[] = "---\ntitle: Durable\n---\nkept\n";
	struct tier_pg *pg = NULL;
	struct record *rec, *dep;
	PGconn *fresh;
	PGresult *res;
	char err[512];
	long long g = -1;
	int created = 0;

	admin_exec("ALTER ROLE CURRENT_USER SET synchronous_commit = off");
	admin_exec("CREATE TABLE sync_seen (setting text NOT NULL)");
	admin_exec("CREATE FUNCTION sync_seen_note() RETURNS trigger"
		   " LANGUAGE plpgsql AS $$ BEGIN"
		   " INSERT INTO sync_seen"
		   " VALUES (current_setting('synchronous_commit'));"
		   " RETURN NULL; END $$");
	admin_exec("CREATE TRIGGER sync_seen_bump AFTER UPDATE ON site"
		   " FOR EACH ROW EXECUTE FUNCTION sync_seen_note()");
	/* The role's default reaches a new session: the test means something. */
	fresh = PQconnectdb(url);
	if (!fresh || PQstatus(fresh) != CONNECTION_OK)
		die("connect", fresh ? PQerrorMessage(fresh) : "no memory");
	res = PQexec(fresh, "SHOW synchronous_commit");
	CHECK(res && PQresultStatus(res) == PGRES_TUPLES_OK &&
	      strcmp(PQgetvalue(res, 0, 0), "off") == 0);
	PQclear(res);
	PQfinish(fresh);

	if (tier_pg_connect(url, &pg, err, sizeof(err)) != QUIRE_OK)
		die("connect", err);
	rec = api_record("durable", src);
	CHECK(put(pg, rec, -1, &created, &g) == QUIRE_OK);
	CHECK(tier_pg_delete(pg, "durable", -1, &g) == QUIRE_OK);
	dep = make_record("durable-content", POST_KIND_POST,
			  RECORD_ORIGIN_CONTENT, "posts/durable-content.md",
			  "---\ntitle: D\n---\nd\n", "<p>d</p>", NULL, 9, 0, 0);
	CHECK(tier_pg_deploy(pg, &dep, 1, NULL, 0, &g) == QUIRE_OK);
	printf("synchronous_commit in the write and deploy transactions: "
	       "%lld of %lld on\n",
	       admin_ll("SELECT count(*) FROM sync_seen WHERE setting = 'on'"),
	       admin_ll("SELECT count(*) FROM sync_seen"));
	CHECK(admin_ll("SELECT count(*) FROM sync_seen") == 3);
	CHECK(admin_ll("SELECT count(*) FROM sync_seen WHERE setting <> 'on'") == 0);
	tier_pg_close(pg);
	record_free(rec);
	record_free(dep);
	admin_exec("DROP TRIGGER sync_seen_bump ON site");
	admin_exec("DROP FUNCTION sync_seen_note()");
	admin_exec("DROP TABLE sync_seen");
	admin_exec("ALTER ROLE CURRENT_USER RESET synchronous_commit");
}

/* The API's listing: by slug, a page at a time, by origin. */
static void test_list(struct tier_pg *pg)
{
	static const char *const slugs[] = { "ls-b", "ls-a", "ls-c", "ls-d" };
	struct tier_pg_listed *v = NULL;
	struct record *r;
	size_t n = 0, i;
	long long g;
	int created;

	for (i = 0; i < 3; i++) {
		r = api_record(slugs[i], src_w1);
		CHECK(put(pg, r, -1, &created, &g) == QUIRE_OK);
		record_free(r);
	}
	r = api_record("ls-b", src_w2); /* revision 2, another title */
	CHECK(put(pg, r, -1, &created, &g) == QUIRE_OK);
	record_free(r);
	r = make_record("ls-d", POST_KIND_PAGE, RECORD_ORIGIN_API, NULL, src_w3,
			"<p>d</p>\n", NULL, 9, 1714608000, 1);
	CHECK(put(pg, r, -1, &created, &g) == QUIRE_OK);
	record_free(r);

	CHECK(tier_pg_list(pg, "ls-", NULL, 2, &v, &n) == QUIRE_OK);
	CHECK(n == 2);
	if (n == 2) {
		CHECK_STR(v[0].slug, "ls-a");
		CHECK(v[0].revision == 1);
		CHECK_STR(v[0].title, "Written");
		CHECK(v[0].origin == RECORD_ORIGIN_API);
		CHECK(v[0].kind == POST_KIND_POST);
		CHECK(!v[0].has_date);
		CHECK(!v[0].draft);
		CHECK(v[0].updated_at > 1700000000LL);
		CHECK_STR(v[1].slug, "ls-b");
		CHECK(v[1].revision == 2);
		CHECK_STR(v[1].title, "Rewritten");
	}
	tier_pg_listed_free(v, n);
	/* The next page starts after the last slug shown. */
	CHECK(tier_pg_list(pg, "ls-b", "api", 2, &v, &n) == QUIRE_OK);
	CHECK(n == 2);
	if (n == 2) {
		CHECK_STR(v[0].slug, "ls-c");
		CHECK_STR(v[1].slug, "ls-d");
		CHECK(v[1].kind == POST_KIND_PAGE);
		CHECK(v[1].has_date && v[1].date == 1714608000LL);
		CHECK_STR(v[1].title, "Third");
	}
	tier_pg_listed_free(v, n);
	/* None of them is of origin content; every row is one of it. */
	CHECK(tier_pg_list(pg, NULL, "content", TIER_PG_LIST_MAX + 1, &v, &n) ==
	      QUIRE_OK);
	CHECK(n > 0);
	for (i = 0; i < n; i++) {
		CHECK(strncmp(v[i].slug, "ls-", 3) != 0);
		CHECK(v[i].origin == RECORD_ORIGIN_CONTENT);
		CHECK(i == 0 || strcmp(v[i - 1].slug, v[i].slug) < 0);
	}
	tier_pg_listed_free(v, n);
	/* Past the last slug: an empty page. */
	CHECK(tier_pg_list(pg, "zzzz", NULL, 10, &v, &n) == QUIRE_OK);
	CHECK(n == 0);
	tier_pg_listed_free(v, n);

	for (i = 0; i < 4; i++)
		CHECK(tier_pg_delete(pg, slugs[i], -1, &g) == QUIRE_OK);
}

/*
 * site.yaml (DESIGN §5): stored by a deploy in its transaction, read by
 * the index in the same snapshot, in the first row only; an empty site
 * has it too; a deploy that does not carry it keeps it; NULL clears.
 */
static void test_config(struct tier_pg *pg)
{
	static const char yaml[] = "title: Stored\npermalinks:\n"
				   "  posts: /:year/:slug.html\n";
	struct tier_pg_config conf = { yaml, sizeof(yaml) - 1 };
	struct tier_pg_config none = { NULL, 0 };
	struct record **idx = NULL, *v[1];
	char *text = NULL;
	size_t n = 0, len = 0;
	long long g = 0, g0;

	drop_schema();
	CHECK(tier_pg_migrate(pg, NULL, NULL) == QUIRE_OK);
	CHECK(tier_pg_config_read(pg, &text, &len) == QUIRE_OK && !text);
	g0 = generation_of(pg);
	/* site.yaml alone: an empty site, a new generation */
	CHECK(tier_pg_deploy_site(pg, NULL, 0, NULL, 0, &conf, &g) == QUIRE_OK);
	CHECK(g == g0 + 1);
	CHECK(tier_pg_index_site(pg, &idx, &n, &g, &text, &len) == QUIRE_OK);
	CHECK(n == 0 && text && len == conf.len);
	CHECK(text && memcmp(text, yaml, len) == 0);
	free(text);
	record_array_free(idx, n);
	v[0] = make_record("one", POST_KIND_POST, RECORD_ORIGIN_CONTENT,
			   "posts/one.md", "---\ntitle: One\n---\nx\n", "<p>x</p>",
			   NULL, 7, 0, 0);
	CHECK(tier_pg_deploy(pg, v, 1, NULL, 0, &g) == QUIRE_OK);
	CHECK(tier_pg_index_site(pg, &idx, &n, &g, &text, &len) == QUIRE_OK);
	CHECK(n == 1 && text && len == conf.len);
	free(text);
	record_array_free(idx, n);
	CHECK(tier_pg_config_read(pg, &text, &len) == QUIRE_OK && text &&
	      len == conf.len);
	free(text);
	CHECK(tier_pg_deploy_site(pg, NULL, 0, NULL, 0, &none, &g) == QUIRE_OK);
	CHECK(tier_pg_index_site(pg, &idx, &n, &g, &text, &len) == QUIRE_OK);
	CHECK(n == 1 && !text && len == 0);
	record_array_free(idx, n);
	record_free(v[0]);
	/* A schema from before step 6 (workers of this version on an old
	 * database): the index reads, with no site.yaml. */
	admin_exec("ALTER TABLE site DROP COLUMN config");
	CHECK(tier_pg_index_site(pg, &idx, &n, &g, &text, &len) == QUIRE_OK);
	CHECK(n == 1 && !text);
	record_array_free(idx, n);
	drop_schema();
	CHECK(tier_pg_migrate(pg, NULL, NULL) == QUIRE_OK);
}

/* The signature content_hashes gives slug, "-" for none, NULL when
 * the slug is not listed. */
static char *sig_of(struct tier_pg *pg, const char *slug)
{
	struct tier_pg_hash *h = NULL;
	size_t n = 0, i;
	char *v = NULL;

	CHECK(tier_pg_content_hashes(pg, &h, &n) == QUIRE_OK);
	for (i = 0; i < n; i++)
		if (strcmp(h[i].slug, slug) == 0)
			v = strdup(h[i].sig ? h[i].sig : "-");
	tier_pg_hashes_free(h, n);
	return v;
}

/*
 * Step 16 and tier_pg_keep_sigs: the signatures kept in content_sigs
 * without writing the posts' rows (their xmin stays the deploy's), each
 * counting while its row keeps the hash it was taken with; a post the
 * deploy deletes takes its signature with it; step 16 copies those
 * posts.file_sig held.
 */
static void test_keep_sigs(struct tier_pg *pg)
{
	struct record *r[2];
	struct tier_pg_hash kept[3] = {
		{ .slug = (char *)"s-one", .sig = (char *)"sig-1", .hash = 71 },
		{ .slug = (char *)"s-two", .sig = (char *)"sig-2", .hash = 99 },
		{ .slug = (char *)"s-none", .sig = (char *)"sig-3", .hash = 73 },
	};
	char *del[1] = { (char *)"s-one" };
	char *xmin0, *xmin1, *v;
	long long g;
	int from = -1, to = -1;

	drop_schema();
	CHECK(tier_pg_migrate(pg, NULL, NULL) == QUIRE_OK);
	r[0] = make_record("s-one", POST_KIND_POST, RECORD_ORIGIN_CONTENT,
			   "posts/one.md", "---\ntitle: One\n---\none\n",
			   "<p>one</p>", NULL, 71, 0, 0);
	r[1] = make_record("s-two", POST_KIND_POST, RECORD_ORIGIN_CONTENT,
			   "posts/two.md", "---\ntitle: Two\n---\ntwo\n",
			   "<p>two</p>", NULL, 72, 0, 0);
	CHECK(tier_pg_deploy(pg, r, 2, NULL, 0, &g) == QUIRE_OK);
	xmin0 = stored_sql("SELECT string_agg(xmin::text, ',' ORDER BY slug)"
			   " FROM posts");
	/* s-two's hash is not the one its signature was taken with, and
	 * s-none has no row: neither is kept. */
	CHECK(tier_pg_keep_sigs(pg, kept, 3) == QUIRE_OK);
	xmin1 = stored_sql("SELECT string_agg(xmin::text, ',' ORDER BY slug)"
			   " FROM posts");
	CHECK(xmin0 && xmin1 && strcmp(xmin0, xmin1) == 0);
	free(xmin0);
	free(xmin1);
	v = stored_sql("SELECT string_agg(slug || '=' || sig, ',' ORDER BY slug)"
		       " FROM content_sigs");
	CHECK_STR(v ? v : "(null)", "s-one=sig-1");
	free(v);
	v = sig_of(pg, "s-one");
	CHECK_STR(v ? v : "(null)", "sig-1");
	free(v);
	v = sig_of(pg, "s-two");
	CHECK_STR(v ? v : "(null)", "-");
	free(v);

	/* The row rewritten with another hash: its signature no longer
	 * counts, until kept again. */
	record_free(r[0]);
	r[0] = make_record("s-one", POST_KIND_POST, RECORD_ORIGIN_CONTENT,
			   "posts/one.md", "---\ntitle: One\n---\none, edited\n",
			   "<p>one, edited</p>", NULL, 81, 0, 0);
	CHECK(tier_pg_deploy(pg, r, 1, NULL, 0, &g) == QUIRE_OK);
	v = sig_of(pg, "s-one");
	CHECK_STR(v ? v : "(null)", "-");
	free(v);
	kept[0].sig = (char *)"sig-1b";
	kept[0].hash = 81;
	CHECK(tier_pg_keep_sigs(pg, kept, 1) == QUIRE_OK);
	v = sig_of(pg, "s-one");
	CHECK_STR(v ? v : "(null)", "sig-1b");
	free(v);

	/* Deleted: its signature goes with it, and keeping the others
	 * does not bring it back. */
	CHECK(tier_pg_deploy(pg, NULL, 0, del, 1, &g) == QUIRE_OK);
	kept[1].hash = 72;
	CHECK(tier_pg_keep_sigs(pg, kept, 2) == QUIRE_OK);
	v = stored_sql("SELECT string_agg(slug || '=' || sig, ',' ORDER BY slug)"
		       " FROM content_sigs");
	CHECK_STR(v ? v : "(null)", "s-two=sig-2");
	free(v);

	/* Step 16 copies the signatures posts.file_sig held. */
	admin_exec("DROP TABLE content_sigs;"
		   "UPDATE posts SET file_sig = 'old-sig' WHERE slug = 's-two';"
		   "UPDATE quire_schema SET version = 15");
	CHECK(tier_pg_migrate(pg, &from, &to) == QUIRE_OK);
	CHECK(from == 15 && to >= 16);
	v = sig_of(pg, "s-two");
	CHECK_STR(v ? v : "(null)", "old-sig");
	free(v);
	record_free(r[0]);
	record_free(r[1]);
	drop_schema();
	CHECK(tier_pg_migrate(pg, NULL, NULL) == QUIRE_OK);
}

/* plan_cache_mode of tier_pg's own session (its connection, asked
 * directly: no other session can see it). */
static int plans_generic(struct tier_pg *pg)
{
	PGresult *res = PQexec(pg->conn, "SHOW plan_cache_mode");
	int v;

	if (!res || PQresultStatus(res) != PGRES_TUPLES_OK)
		die("show plan_cache_mode", PQerrorMessage(pg->conn));
	v = strcmp(PQgetvalue(res, 0, 0), "force_generic_plan") == 0;
	PQclear(res);
	return v;
}

/* The connection that searches plans the search once (a generic plan:
 * PostgreSQL kept planning it anew for every search, DESIGN §5); a
 * fresh session after the old one ended gets the setting again with
 * the search's statement. */
static void test_search_plan(struct tier_pg *pg)
{
	struct search_results r;
	long long g;
	int i;

	/* A fresh session that has not searched yet plans as it likes. */
	CHECK(terminate_quire_backends() >= 1);
	if (tier_pg_generation(pg, &g) != QUIRE_OK)
		CHECK(tier_pg_generation(pg, &g) == QUIRE_OK);
	CHECK(!plans_generic(pg));
	for (i = 0; i < 7; i++) {
		CHECK(tier_pg_search(pg, "title", 0, 10, (long long)time(NULL),
				     &r) == QUIRE_OK);
		search_results_free(&r);
	}
	CHECK(plans_generic(pg));
	CHECK(terminate_quire_backends() >= 1);
	CHECK(tier_pg_search(pg, "title", 0, 10, (long long)time(NULL), &r) ==
	      QUIRE_OK);
	search_results_free(&r);
	CHECK(plans_generic(pg));
}

int main(void)
{
	struct tier_pg *pg = NULL;
	char err[512];
	enum quire_err rc;

	url = getenv("QUIRE_DATABASE_URL");
	if (!url || !*url) {
		printf("test_tier_pg: SKIP: QUIRE_DATABASE_URL is not set\n");
		return 77;
	}
	admin = PQconnectdb(url);
	if (!admin || PQstatus(admin) != CONNECTION_OK)
		die("admin connect", admin ? PQerrorMessage(admin) : "no memory");

	/* A bad URL fails with libpq's message. */
	rc = tier_pg_connect("postgresql://127.0.0.1:1/none?connect_timeout=2",
			     &pg, err, sizeof(err));
	CHECK(rc == QUIRE_EIO);
	CHECK(pg == NULL);
	CHECK(strlen(err) > 0);
	printf("bad url: %s\n", err);

	rc = tier_pg_connect(url, &pg, err, sizeof(err));
	if (rc != QUIRE_OK)
		die("connect", err);
	test_migrate(pg);
	test_migrate_clean(pg);
	test_migrate_summary(pg);
	test_migrate_summary_redo(pg);
	test_migrate_case(pg);
	test_keep_sigs(pg);
	test_config(pg);
	test_roundtrip(pg);
	test_rollback(pg);
	test_put_delete(pg);
	test_put_race(pg);
	test_preconds(pg);
	test_bulk(pg);
	test_write_batch(pg); /* after test_bulk, which counts posts */
	test_list(pg);
	test_search_plan(pg);
	test_sync_commit();
	test_reconnect(pg);
	test_create_races(); /* last: it adds posts */
	tier_pg_close(pg);
	PQfinish(admin);
	return check_done("test_tier_pg");
}
