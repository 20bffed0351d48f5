/*
 * test_tier_redis.c - tier_redis against a real redis-server
 *
 * Run by tests/integration/test_tier_redis.sh, which starts a throw-away
 * server and exports QUIRE_REDIS_URL, QUIRE_REDIS_SOCKET_URL and
 * QUIRE_REDIS_AUTH_URL (a second server with --requirepass). The test
 * plays the operator through redis-cli (inject stale entries, pause
 * clients, kill the subscriber's connection), so that nothing here but
 * tier_redis*.c speaks the protocol. Keys carry a per-run prefix. Exits
 * 77 (skip) without QUIRE_REDIS_URL. The last test takes a writer's
 * stores (tiers_store.c) over the same server, without PostgreSQL.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/unit/check.h"
#include "content/record.h"
#include "lib/config.h"
#include "lib/quire.h"
#include "tiers/tier_redis.h"
#include "tiers/tier_redis_codec.h"
#include "tiers/tiers.h"
#include "tiers/tiers_store.h"

static const char *url;
static char prefix[64], prefix2[64], prefix3[64], prefix4[64];

static long long ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs redis-cli -u URL ARGS (ours, no quoting needed); its exit status. */
static int cli(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int cli(const char *fmt, ...)
{
	char cmd[1024], args[768];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "redis-cli -u '%s' %s >/dev/null", url, args);
	rc = system(cmd);
	return rc == -1 ? -1 : WEXITSTATUS(rc);
}

static struct tier_redis *connect_or_die(const char *u, const char *p,
					 int timeout_ms)
{
	struct tier_redis *r = NULL;
	char err[256];
	enum quire_err rc = tier_redis_connect(u, p, timeout_ms, &r, err,
					       sizeof(err));

	if (rc != QUIRE_OK) {
		fprintf(stderr, "test_tier_redis: connect %s: %s: %s\n", u,
			quire_strerror(rc), err);
		exit(2);
	}
	return r;
}

static struct record *make(const char *slug, const char *src, size_t len,
			   size_t body_offset, long long revision)
{
	struct record *r = record_new();

	if (!r)
		exit(2);
	r->slug = strdup(slug);
	r->source = malloc(len + 1);
	if (!r->slug || !r->source)
		exit(2);
	memcpy(r->source, src, len);
	r->source[len] = '\0';
	r->source_len = len;
	r->body_offset = body_offset;
	r->revision = revision;
	r->kind = POST_KIND_POST;
	r->origin = RECORD_ORIGIN_CONTENT;
	return r;
}

static int same_opt(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Every field of a record as fetch returns it. */
static int same_record(const struct record *a, const struct record *b)
{
	return a && b && strcmp(a->slug, b->slug) == 0 && a->kind == b->kind &&
	       a->origin == b->origin && same_opt(a->path, b->path) &&
	       a->source_len == b->source_len &&
	       memcmp(a->source, b->source, a->source_len) == 0 &&
	       a->body_offset == b->body_offset && same_opt(a->html, b->html) &&
	       same_opt(a->toc_html, b->toc_html) && a->words == b->words &&
	       a->date == b->date && a->has_date == b->has_date &&
	       a->hash == b->hash && a->revision == b->revision;
}

/* An index entry: the record without html and toc, source cut. */
static int same_entry(const struct record *e, const struct record *full)
{
	return e && full && strcmp(e->slug, full->slug) == 0 &&
	       e->kind == full->kind && e->origin == full->origin &&
	       same_opt(e->path, full->path) &&
	       e->source_len == full->body_offset &&
	       memcmp(e->source, full->source, full->body_offset) == 0 &&
	       e->body_offset == full->body_offset && !e->html && !e->toc_html &&
	       e->words == full->words && e->date == full->date &&
	       e->has_date == full->has_date && e->hash == full->hash &&
	       e->revision == full->revision;
}

static const char src_a[] = "---\ntitle: A\n---\nbody of a, a NUL:\0 and \xff\r\n";
static const char src_b[] = "---\ntitle: B\n---\n# B\n";
static const char src_c[] = "---\ntitle: C\ndate: 2020-01-01\n---\ncee\n";

static void test_connect(void)
{
	struct tier_redis *r = NULL;
	char err[256];
	const char *sock = getenv("QUIRE_REDIS_SOCKET_URL");
	const char *auth = getenv("QUIRE_REDIS_AUTH_URL");
	long long g;

	err[0] = '\0';
	CHECK(tier_redis_connect("redis:/nope", prefix, 500, &r, err,
				 sizeof(err)) == QUIRE_EINVAL && !r);
	CHECK_CONTAINS(err, "bad redis url");
	CHECK(tier_redis_connect("redis://127.0.0.1:1/0", prefix, 500, &r, err,
				 sizeof(err)) == QUIRE_EIO && !r);
	CHECK(err[0] != '\0');
	CHECK(tier_redis_connect(url, prefix, -1, &r, err, sizeof(err)) ==
	      QUIRE_EINVAL);

	r = connect_or_die(url, prefix, 1000);
	CHECK(tier_redis_generation(r, &g) == QUIRE_ENOTFOUND);
	CHECK(!tier_redis_broken(r));
	tier_redis_close(r);

	if (sock) {
		r = connect_or_die(sock, prefix, 1000);
		CHECK(tier_redis_generation(r, &g) == QUIRE_ENOTFOUND);
		tier_redis_close(r);
	} else {
		printf("no QUIRE_REDIS_SOCKET_URL: unix socket not tested\n");
	}

	if (auth) {
		char wrong[512];
		const char *at = strchr(auth, '@');

		r = connect_or_die(auth, prefix, 1000);
		CHECK(tier_redis_generation(r, &g) == QUIRE_ENOTFOUND);
		tier_redis_close(r);
		/* A wrong password is refused at connect. */
		if (at) {
			snprintf(wrong, sizeof(wrong), "redis://:wrong%s", at);
			r = NULL;
			CHECK(tier_redis_connect(wrong, prefix, 1000, &r, err,
						 sizeof(err)) == QUIRE_EIO && !r);
			CHECK(err[0] != '\0');
			/* None at all: connect works, commands do not, and the
			 * connection is still in order (an error reply). */
			snprintf(wrong, sizeof(wrong), "redis://%s", at + 1);
			r = connect_or_die(wrong, prefix, 1000);
			CHECK(tier_redis_generation(r, &g) == QUIRE_EIO);
			CHECK_CONTAINS(tier_redis_error(r), "NOAUTH");
			CHECK(!tier_redis_broken(r));
			tier_redis_close(r);
		}
	} else {
		printf("no QUIRE_REDIS_AUTH_URL: AUTH not tested\n");
	}
}

static void test_store_fetch(void)
{
	struct tier_redis *r = connect_or_die(url, prefix, 2000);
	struct tier_redis *r2 = connect_or_die(url, prefix2, 2000);
	struct record *recs[3], *got = NULL, **many = NULL, **idx = NULL;
	const char *slugs[4] = { "a", "missing", "c", "b" };
	char del_b[] = "b";
	char *del[1] = { del_b };
	size_t n = 0, i;
	long long g = 0;

	recs[0] = make("a", src_a, sizeof(src_a) - 1, 17, 3);
	recs[0]->origin = RECORD_ORIGIN_API;
	recs[0]->html = strdup("<p>body of a</p>\n");
	recs[0]->toc_html = strdup("<nav class=\"toc\"></nav>");
	recs[0]->hash = 0x8000000000000001ULL;  /* >= 2^63 */
	recs[0]->words = 5;
	recs[1] = make("b", src_b, sizeof(src_b) - 1, 17, 1);
	recs[1]->path = strdup("content/pages/b.md");
	recs[1]->kind = POST_KIND_PAGE;
	recs[1]->html = strdup("<h1>B</h1>\n");
	recs[1]->hash = 42;
	recs[2] = make("c", src_c, sizeof(src_c) - 1, 34, 7);
	recs[2]->path = strdup("content/posts/2020-01-01-c.md");
	recs[2]->has_date = 1;
	recs[2]->date = 1577836800;
	recs[2]->hash = ~0ULL;
	recs[2]->html = NULL;  /* absent html stays absent */

	CHECK(tier_redis_store(r, recs, 3, NULL, 0, 5, 0, NULL) == QUIRE_OK);
	CHECK(tier_redis_generation(r, &g) == QUIRE_OK && g == 5);
	for (i = 0; i < 3; i++) {
		got = NULL;
		CHECK(tier_redis_fetch(r, recs[i]->slug, &got) == QUIRE_OK);
		CHECK(same_record(got, recs[i]));
		record_free(got);
	}
	CHECK(tier_redis_fetch(r, "missing", &got) == QUIRE_ENOTFOUND && !got);
	CHECK(tier_redis_fetch(r, "", &got) == QUIRE_EINVAL);

	CHECK(tier_redis_fetch_many(r, slugs, 4, &many) == QUIRE_OK);
	if (many) {
		CHECK(same_record(many[0], recs[0]));
		CHECK(many[1] == NULL);
		CHECK(same_record(many[2], recs[2]));
		CHECK(same_record(many[3], recs[1]));
		record_array_free(many, 4);
	}

	CHECK(tier_redis_index(r, &idx, &n, &g) == QUIRE_OK);
	CHECK(n == 3 && g == 5);
	for (i = 0; idx && i < n; i++) {
		size_t j;

		for (j = 0; j < 3; j++)
			if (strcmp(idx[i]->slug, recs[j]->slug) == 0)
				CHECK(same_entry(idx[i], recs[j]));
	}
	record_array_free(idx, n);
	idx = NULL;
	/* Redis refusing writes (out of memory) still gives the index: a
	 * MULTI was refused whole there, reads too (issue 15, seed 7). */
	CHECK(cli("CONFIG SET maxmemory-policy noeviction") == 0);
	CHECK(cli("CONFIG SET maxmemory 1") == 0);
	n = 0;
	g = 0;
	CHECK(tier_redis_index(r, &idx, &n, &g) == QUIRE_OK);
	CHECK(n == 3 && g == 5);
	CHECK(cli("CONFIG SET maxmemory 0") == 0);
	record_array_free(idx, n);
	idx = NULL;
	CHECK(tier_redis_index_many(r, slugs, 4, &idx) == QUIRE_OK);
	if (idx) {
		CHECK(same_entry(idx[0], recs[0]));
		CHECK(idx[1] == NULL);
		CHECK(same_entry(idx[2], recs[2]));
		CHECK(same_entry(idx[3], recs[1]));
		record_array_free(idx, 4);
	}

	/* Another prefix sees nothing of this one, and the reverse. */
	CHECK(tier_redis_generation(r2, &g) == QUIRE_ENOTFOUND);
	CHECK(tier_redis_fetch(r2, "a", &got) == QUIRE_ENOTFOUND);
	CHECK(tier_redis_index(r2, &idx, &n, &g) == QUIRE_ENOTFOUND);
	CHECK(tier_redis_store(r2, &recs[1], 1, NULL, 0, 99, 0, NULL) == QUIRE_OK);
	CHECK(tier_redis_generation(r, &g) == QUIRE_OK && g == 5);
	CHECK(tier_redis_generation(r2, &g) == QUIRE_OK && g == 99);

	/* A store replaces the whole hash: no toc left from before. */
	free(recs[0]->toc_html);
	recs[0]->toc_html = NULL;
	recs[0]->revision = 4;
	CHECK(tier_redis_store(r, recs, 1, NULL, 0, 6, 0, NULL) == QUIRE_OK);
	CHECK(tier_redis_fetch(r, "a", &got) == QUIRE_OK);
	CHECK(same_record(got, recs[0]) && got && got->toc_html == NULL);
	record_free(got);

	/* A deletion removes the post and its index entry... */
	CHECK(tier_redis_store(r, NULL, 0, del, 1, 7, 0, NULL) == QUIRE_OK);
	CHECK(tier_redis_fetch(r, "b", &got) == QUIRE_ENOTFOUND);
	CHECK(tier_redis_index(r, &idx, &n, &g) == QUIRE_OK && n == 2 && g == 7);
	record_array_free(idx, n);
	/* ...and a fill that read it before the deletion cannot restore it. */
	CHECK(tier_redis_fill(r, recs[1]) == QUIRE_OK);
	CHECK(tier_redis_fetch(r, "b", &got) == QUIRE_ENOTFOUND);
	CHECK(tier_redis_index_many(r, &slugs[3], 1, &idx) == QUIRE_OK &&
	      idx && idx[0] == NULL);
	record_array_free(idx, 1);
	/* A deploy that brings it back is not stopped by the tombstone. */
	CHECK(tier_redis_store(r, &recs[1], 1, NULL, 0, 8, 0, NULL) == QUIRE_OK);
	CHECK(tier_redis_fetch(r, "b", &got) == QUIRE_OK &&
	      same_record(got, recs[1]));
	record_free(got);

	/* Fill: an older revision does not overwrite, a newer one does, a
	 * missing post is written. */
	{
		struct record *old = make("c", "---\ntitle: old\n---\n", 19, 19, 6);
		struct record *newer = make("c", "---\ntitle: new\n---\nnew\n", 23,
					    19, 8);
		struct record *fresh = make("d", "---\ntitle: D\n---\n", 17, 17, 1);

		old->html = strdup("old");
		newer->html = strdup("new");
		CHECK(tier_redis_fill(r, old) == QUIRE_OK);
		CHECK(tier_redis_fetch(r, "c", &got) == QUIRE_OK &&
		      same_record(got, recs[2]));
		record_free(got);
		old->revision = 7;  /* equal: nothing to gain either */
		CHECK(tier_redis_fill(r, old) == QUIRE_OK);
		CHECK(tier_redis_fetch(r, "c", &got) == QUIRE_OK &&
		      same_record(got, recs[2]));
		record_free(got);
		CHECK(tier_redis_fill(r, newer) == QUIRE_OK);
		CHECK(tier_redis_fetch(r, "c", &got) == QUIRE_OK &&
		      same_record(got, newer));
		record_free(got);
		CHECK(tier_redis_index_many(r, &slugs[2], 1, &idx) == QUIRE_OK &&
		      idx && same_entry(idx[0], newer));
		record_array_free(idx, 1);
		CHECK(tier_redis_fill(r, fresh) == QUIRE_OK);
		CHECK(tier_redis_fetch(r, "d", &got) == QUIRE_OK &&
		      same_record(got, fresh));
		record_free(got);
		/* The script survives SCRIPT FLUSH (EVALSHA -> NOSCRIPT -> EVAL). */
		CHECK(cli("SCRIPT FLUSH") == 0);
		newer->revision = 9;
		CHECK(tier_redis_fill(r, newer) == QUIRE_OK);
		CHECK(tier_redis_fetch(r, "c", &got) == QUIRE_OK && got &&
		      got->revision == 9);
		record_free(got);
		record_free(old);
		record_free(newer);
		record_free(fresh);
	}
	CHECK(!tier_redis_broken(r));
	for (i = 0; i < 3; i++)
		record_free(recs[i]);
	tier_redis_close(r);
	tier_redis_close(r2);
}

static void test_pubsub(void)
{
	struct tier_redis *r = connect_or_die(url, prefix, 2000);
	struct tier_redis *other = connect_or_die(url, prefix2, 2000);
	/* A timeout at connect must not survive subscribe: see
	 * tier_redis_pubsub.c. */
	struct tier_redis *sub = connect_or_die(url, prefix, 200);
	const char *slugs[2] = { "a", "b-c" };
	char *msg = NULL, **v = NULL;
	long long recv = -1, g, t0;
	size_t n, i;
	int all;

	CHECK(tier_redis_subscribe(sub, "invalidate") == QUIRE_OK);
	t0 = ms_now();
	CHECK(tier_redis_wait(sub, 600, &msg) == QUIRE_ETIMEOUT && !msg);
	CHECK(ms_now() - t0 >= 550 && ms_now() - t0 < 2000);
	CHECK(!tier_redis_broken(sub));

	CHECK(tier_redis_publish(r, 11, slugs, 2, 0, &recv) == QUIRE_OK);
	CHECK(recv == 1);
	CHECK(tier_redis_wait(sub, 2000, &msg) == QUIRE_OK);
	CHECK_STR(msg, "11 a b-c");
	CHECK(tier_redis_codec_invalidation_parse(msg, &g, &v, &n, &all) == QUIRE_OK);
	CHECK(g == 11 && n == 2 && !all);
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
	free(msg);
	msg = NULL;

	/* Another prefix is another channel. */
	CHECK(tier_redis_publish(other, 1, NULL, 0, 1, &recv) == QUIRE_OK &&
	      recv == 0);
	CHECK(tier_redis_publish(r, 12, NULL, 0, 1, &recv) == QUIRE_OK &&
	      recv == 1);
	/* The message arrives before the pong: queued, then returned. */
	CHECK(tier_redis_sub_ping(sub, 1000) == QUIRE_OK);
	CHECK(tier_redis_wait(sub, 0, &msg) == QUIRE_OK);
	CHECK_STR(msg, "12 *");
	free(msg);
	msg = NULL;
	CHECK(tier_redis_wait(sub, 100, &msg) == QUIRE_ETIMEOUT);
	CHECK(tier_redis_sub_ping(sub, 1000) == QUIRE_OK);
	CHECK(tier_redis_publish(r, -1, NULL, 0, 1, &recv) == QUIRE_EINVAL);

	/* A subscriber is only a subscriber. */
	CHECK(tier_redis_generation(sub, &g) == QUIRE_EIO);

	/* A Redis that stops answering: the pong does not come. */
	CHECK(cli("CLIENT PAUSE 3000 ALL") == 0);
	t0 = ms_now();
	CHECK(tier_redis_sub_ping(sub, 300) == QUIRE_EIO);
	CHECK(ms_now() - t0 < 1500);
	CHECK(tier_redis_broken(sub));
	/* A command context with a 300 ms timeout gives up too. */
	{
		struct tier_redis *slow = connect_or_die(url, prefix, 300);

		t0 = ms_now();
		CHECK(tier_redis_generation(slow, &g) == QUIRE_EIO);
		CHECK(ms_now() - t0 < 1500);
		CHECK(tier_redis_broken(slow));
		/* ...and refuses any further command. */
		CHECK(tier_redis_generation(slow, &g) == QUIRE_EIO);
		tier_redis_close(slow);
	}
	CHECK(cli("CLIENT UNPAUSE") == 0);
	tier_redis_close(sub);

	/* The connection killed from outside: wait and ping see it. */
	sub = connect_or_die(url, prefix, 0);
	CHECK(tier_redis_subscribe(sub, "invalidate") == QUIRE_OK);
	CHECK(cli("CLIENT KILL TYPE pubsub") == 0);
	t0 = ms_now();
	CHECK(tier_redis_wait(sub, 2000, &msg) == QUIRE_EIO && !msg);
	CHECK(ms_now() - t0 < 2000);
	CHECK(tier_redis_broken(sub));
	CHECK(tier_redis_error(sub)[0] != '\0');
	printf("after CLIENT KILL: %s\n", tier_redis_error(sub));
	tier_redis_close(sub);

	sub = connect_or_die(url, prefix, 0);
	CHECK(tier_redis_subscribe(sub, "invalidate") == QUIRE_OK);
	CHECK(cli("CLIENT KILL TYPE pubsub") == 0);
	/* Let the FIN arrive, so the PING's write or read sees it. */
	usleep(100000);
	t0 = ms_now();
	CHECK(tier_redis_sub_ping(sub, 2000) == QUIRE_EIO);
	CHECK(ms_now() - t0 < 2000);
	CHECK(tier_redis_broken(sub));
	tier_redis_close(sub);

	tier_redis_close(r);
	tier_redis_close(other);
}

static void test_workers(void)
{
	struct tier_redis *r = connect_or_die(url, prefix, 2000);
	struct tier_redis_worker *w = NULL;
	size_t n = 0, i;
	int seen1 = 0, seen2 = 0;

	CHECK(tier_redis_ack(r, "host:1", 7, 1) == QUIRE_OK);
	CHECK(tier_redis_ack(r, "host:2", 8, 0) == QUIRE_OK);
	CHECK(tier_redis_ack(r, "", 8, 1) == QUIRE_EINVAL);
	/* An old entry and a malformed one, as a crashed worker or another
	 * program could have left them. */
	CHECK(cli("HSET '%sworkers' old '7 1000' bad 'not a value'", prefix) == 0);
	CHECK(tier_redis_workers(r, 60, &w, &n) == QUIRE_OK);
	CHECK(n == 2);
	for (i = 0; i < n; i++) {
		if (strcmp(w[i].id, "host:1") == 0)
			seen1 = w[i].generation == 7 &&
				w[i].seen >= (long long)time(NULL) - 5;
		if (strcmp(w[i].id, "host:2") == 0)
			seen2 = w[i].generation == 8;
	}
	CHECK(seen1 && seen2);
	tier_redis_workers_free(w, n);
	/* The stale ones are gone, not just hidden. */
	CHECK(tier_redis_workers(r, 1LL << 40, &w, &n) == QUIRE_OK && n == 2);
	tier_redis_workers_free(w, n);

	CHECK(tier_redis_forget(r, "host:2") == QUIRE_OK);
	CHECK(tier_redis_workers(r, 60, &w, &n) == QUIRE_OK && n == 1 && w &&
	      strcmp(w[0].id, "host:1") == 0);
	tier_redis_workers_free(w, n);
	CHECK(!tier_redis_broken(r));
	tier_redis_close(r);
}

/* Redis's clock, the site's (DESIGN §13 "Clock skew"): on this host,
 * the same as this host's within a second; the offset (to the
 * monotonic clock) kept on the connection stamps the registry. */
static void test_clock(void)
{
	struct tier_redis *r = connect_or_die(url, prefix, 2000);
	long long ms = 0, offset = 1LL << 40, now = (long long)time(NULL);

	CHECK(tier_redis_time(r, &ms) == QUIRE_OK);
	CHECK(ms / 1000 >= now - 1 && ms / 1000 <= now + 1);
	CHECK(tier_redis_clock_offset(r, &offset) == QUIRE_OK);
	CHECK(llabs((long long)quire_now_ms() + offset - ms) < 1000);
	now = tier_redis_site_seconds(r);
	CHECK(now >= (long long)time(NULL) - 1 && now <= (long long)time(NULL) + 1);
	CHECK(!tier_redis_broken(r));
	tier_redis_close(r);
}

/* An acknowledgement is published too, for whoever waits on the acks
 * channel (tiers_wait_acks), and only on the channels quire names. */
static void test_ack_published(void)
{
	struct tier_redis *r = connect_or_die(url, prefix, 2000);
	struct tier_redis *acks = connect_or_die(url, prefix, 2000);
	struct tier_redis *odd = connect_or_die(url, prefix, 2000);
	char *msg = NULL;

	CHECK(tier_redis_subscribe(odd, "workers") == QUIRE_EINVAL);
	CHECK(tier_redis_subscribe(acks, "acks") == QUIRE_OK);
	CHECK(tier_redis_wait(acks, 50, &msg) == QUIRE_ETIMEOUT && !msg);
	/* A heartbeat records, and wakes nobody. */
	CHECK(tier_redis_ack(r, "host:3", 40, 0) == QUIRE_OK);
	CHECK(tier_redis_wait(acks, 100, &msg) == QUIRE_ETIMEOUT && !msg);
	CHECK(cli("HGET '%sworkers' host:3 | grep -q '^40 '", prefix) == 0);
	CHECK(tier_redis_ack(r, "host:3", 41, 1) == QUIRE_OK);
	CHECK(tier_redis_wait(acks, 2000, &msg) == QUIRE_OK);
	CHECK(msg && strcmp(msg, "41") == 0);
	free(msg);
	/* The registry has it as well, in the same round trip. */
	CHECK(cli("HGET '%sworkers' host:3 | grep -q '^41 '", prefix) == 0);
	CHECK(!tier_redis_broken(r) && !tier_redis_broken(acks));
	tier_redis_close(odd);
	tier_redis_close(acks);
	tier_redis_close(r);
}

/*
 * The generation key names what Redis holds: a store whose records are
 * refused must leave it where it was. A runtime error inside MULTI/EXEC
 * (a key of the wrong type) does not stop the commands after it, and
 * Redis out of memory (noeviction) refuses every write. And it moves
 * only forward, from where from says.
 */
static void test_store_refused(void)
{
	struct tier_redis *r = connect_or_die(url, prefix2, 2000);
	struct record *rec = make("z", src_b, sizeof(src_b) - 1, 17, 1);
	struct record *got = NULL;
	long long g = 0;
	int moved = -1;

	CHECK(tier_redis_store(r, &rec, 1, NULL, 0, 100, 0, &moved) == QUIRE_OK &&
	      moved == 1);
	rec->revision = 2;
	/* The index is made a string: the record's index entry fails. */
	CHECK(cli("SET %sindex not-a-hash", prefix2) == 0);
	CHECK(tier_redis_store(r, &rec, 1, NULL, 0, 101, 101, &moved) == QUIRE_EIO &&
	      moved == 0);
	CHECK(tier_redis_generation(r, &g) == QUIRE_OK && g == 100);
	CHECK(cli("DEL %sindex", prefix2) == 0);
	/* Out of memory: nothing is written, the key stays. */
	CHECK(cli("CONFIG SET maxmemory-policy noeviction") == 0);
	CHECK(cli("CONFIG SET maxmemory 1") == 0);
	rec->revision = 3;
	CHECK(tier_redis_store(r, &rec, 1, NULL, 0, 102, 101, &moved) == QUIRE_EIO);
	CHECK(cli("CONFIG SET maxmemory 0") == 0);
	CHECK(tier_redis_generation(r, &g) == QUIRE_OK && g == 100);
	CHECK(tier_redis_fetch(r, "z", &got) == QUIRE_OK && got &&
	      got->revision == 2);
	record_free(got);
	/* From: a store of 102 alone does not move a key at 100 (101 is not
	 * in Redis); one that holds 101 and 102 does. */
	CHECK(tier_redis_store(r, &rec, 1, NULL, 0, 102, 102, &moved) == QUIRE_OK &&
	      moved == 0);
	CHECK(tier_redis_generation(r, &g) == QUIRE_OK && g == 100);
	CHECK(tier_redis_store(r, &rec, 1, NULL, 0, 102, 101, &moved) == QUIRE_OK &&
	      moved == 1);
	CHECK(tier_redis_generation(r, &g) == QUIRE_OK && g == 102);
	/* Never backward, whole rewrite or not; generation 0 leaves it. */
	CHECK(tier_redis_store(r, &rec, 1, NULL, 0, 90, 0, &moved) == QUIRE_OK &&
	      moved == 0);
	CHECK(tier_redis_store(r, &rec, 1, NULL, 0, 0, 0, &moved) == QUIRE_OK &&
	      moved == 0);
	CHECK(tier_redis_generation(r, &g) == QUIRE_OK && g == 102);
	/* No key (a flushed Redis): a store of changes does not set one, a
	 * whole rewrite does. */
	CHECK(cli("DEL %sgeneration", prefix2) == 0);
	CHECK(tier_redis_store(r, &rec, 1, NULL, 0, 103, 103, &moved) == QUIRE_OK &&
	      moved == 0);
	CHECK(tier_redis_generation(r, &g) == QUIRE_ENOTFOUND);
	CHECK(tier_redis_store(r, NULL, 0, NULL, 0, 103, 0, &moved) == QUIRE_OK &&
	      moved == 1);
	CHECK(tier_redis_generation(r, &g) == QUIRE_OK && g == 103);
	CHECK(!tier_redis_broken(r));
	record_free(rec);
	tier_redis_close(r);
}

/* The revision Redis holds of slug under r (0: none, -1: an error). */
static long long held(struct tier_redis *r, const char *slug)
{
	struct record *got = NULL;
	long long rev;
	enum quire_err rc = tier_redis_fetch(r, slug, &got);

	if (rc == QUIRE_ENOTFOUND)
		return 0;
	rev = rc == QUIRE_OK && got ? got->revision : -1;
	record_free(got);
	return rev;
}

/*
 * Two writers (two hosts' committers) commit one slug in one order and
 * store it into Redis in the other: the older copy, stored last, must
 * not replace the newer one (issue 15). Revisions cannot tell: a slug
 * deleted and made again starts at revision 1.
 */
static void test_store_order(void)
{
	struct tier_redis *r = connect_or_die(url, prefix3, 2000);
	struct record *v5 = make("o", src_b, sizeof(src_b) - 1, 17, 5);
	struct record *v6 = make("o", src_c, sizeof(src_c) - 1, 17, 6);
	struct record *again = make("o", src_a, sizeof(src_a) - 1, 17, 1);
	char del_o[] = "o";
	char *del[1] = { del_o };

	/* committed at 10 (v5) and 11 (v6), stored 11 first */
	CHECK(tier_redis_store(r, &v6, 1, NULL, 0, 11, 0, NULL) == QUIRE_OK);
	CHECK(tier_redis_store(r, &v5, 1, NULL, 0, 10, 0, NULL) == QUIRE_OK);
	CHECK(held(r, "o") == 6);
	/* deleted at 12; the store of 11 arriving late brings nothing back */
	CHECK(tier_redis_store(r, NULL, 0, del, 1, 12, 0, NULL) == QUIRE_OK);
	CHECK(tier_redis_store(r, &v6, 1, NULL, 0, 11, 0, NULL) == QUIRE_OK);
	CHECK(held(r, "o") == 0);
	/* made again at 14 (revision 1); the deletion of 12 arriving late
	 * and the old revision 6 of 11 leave it */
	CHECK(tier_redis_store(r, &again, 1, NULL, 0, 14, 0, NULL) == QUIRE_OK);
	CHECK(tier_redis_store(r, NULL, 0, del, 1, 12, 0, NULL) == QUIRE_OK);
	CHECK(tier_redis_store(r, &v6, 1, NULL, 0, 11, 0, NULL) == QUIRE_OK);
	CHECK(held(r, "o") == 1);
	CHECK(!tier_redis_broken(r));
	record_free(v5);
	record_free(v6);
	record_free(again);
	tier_redis_close(r);
}

/*
 * The restore's floor (DESIGN §6, "Restores"): a committer of the history
 * a restore took back stored its last batch after the restore, and every
 * worker took a post the database no longer held from Redis (the
 * coherence checker, seed 1605). A change at or below the floor is
 * refused, a post Redis holds or not, a deletion too; later ones go in;
 * the floor never goes down.
 */
static void test_restore_floor(void)
{
	struct tier_redis *r = connect_or_die(url, prefix4, 2000);
	struct record *kept = make("q", src_a, sizeof(src_a) - 1, 17, 3);
	struct record *lost = make("q", src_b, sizeof(src_b) - 1, 17, 4);
	struct record *lost_new = make("n", src_b, sizeof(src_b) - 1, 17, 1);
	struct record *later = make("q", src_c, sizeof(src_c) - 1, 17, 5);
	char del_q[] = "q";
	char *del[1] = { del_q };

	CHECK(tier_redis_store(r, &kept, 1, NULL, 0, 50, 0, NULL) == QUIRE_OK);
	CHECK(tier_redis_restore_floor(r, 60) == QUIRE_OK);
	CHECK(tier_redis_store(r, &lost, 1, NULL, 0, 55, 0, NULL) == QUIRE_OK);
	CHECK(held(r, "q") == 3);
	CHECK(tier_redis_store(r, &lost_new, 1, NULL, 0, 60, 0, NULL) == QUIRE_OK);
	CHECK(held(r, "n") == 0);
	CHECK(tier_redis_store(r, NULL, 0, del, 1, 58, 0, NULL) == QUIRE_OK);
	CHECK(held(r, "q") == 3);
	CHECK(tier_redis_store(r, &later, 1, NULL, 0, 61, 0, NULL) == QUIRE_OK);
	CHECK(held(r, "q") == 5);
	CHECK(tier_redis_restore_floor(r, 40) == QUIRE_OK);
	CHECK(tier_redis_store(r, &lost_new, 1, NULL, 0, 45, 0, NULL) == QUIRE_OK);
	CHECK(held(r, "n") == 0);
	CHECK(tier_redis_restore_floor(r, -1) == QUIRE_EINVAL);
	CHECK(!tier_redis_broken(r));
	record_free(kept);
	record_free(lost);
	record_free(lost_new);
	record_free(later);
	tier_redis_close(r);
}

/* Copies that carry their own generation (record.h): a fill read from
 * PostgreSQL, a store's records stamped one by one. */
static void test_store_order_stamped(void)
{
	struct tier_redis *r = connect_or_die(url, prefix3, 2000);
	struct record *cur = make("p", src_a, sizeof(src_a) - 1, 17, 1);
	struct record *old = make("p", src_b, sizeof(src_b) - 1, 17, 7);
	struct record *got = NULL;
	char del_p[] = "p";
	char *del[1] = { del_p };
	long long g = 0;

	/* made again at 20 (revision 1) after revision 7; a worker's fill of
	 * revision 7, read from PostgreSQL at 18, is older: it stays out */
	cur->generation = 20;
	old->generation = 18;
	CHECK(tier_redis_store(r, &cur, 1, NULL, 0, 0, 0, NULL) == QUIRE_OK);
	CHECK(tier_redis_fill(r, old) == QUIRE_OK);
	CHECK(held(r, "p") == 1);
	CHECK(tier_redis_fetch(r, "p", &got) == QUIRE_OK && got &&
	      got->generation == 20);
	record_free(got);
	got = NULL;
	/* a fill of the same generation adds nothing; one read later does */
	cur->revision = 2;
	CHECK(tier_redis_fill(r, cur) == QUIRE_OK);
	CHECK(held(r, "p") == 1);
	cur->generation = 21;
	CHECK(tier_redis_fill(r, cur) == QUIRE_OK);
	CHECK(held(r, "p") == 2);
	/* a record's own generation decides over the store's */
	old->generation = 19;
	CHECK(tier_redis_store(r, &old, 1, NULL, 0, 30, 0, NULL) == QUIRE_OK);
	CHECK(held(r, "p") == 2);
	/* a tombstone of 25 refuses a fill read before it, not one after */
	CHECK(tier_redis_store(r, NULL, 0, del, 1, 25, 0, NULL) == QUIRE_OK);
	old->generation = 24;
	CHECK(tier_redis_fill(r, old) == QUIRE_OK);
	CHECK(held(r, "p") == 0);
	old->generation = 26;
	CHECK(tier_redis_fill(r, old) == QUIRE_OK);
	CHECK(held(r, "p") == 7);
	/* an unstamped copy (a build before the field) is written as before */
	cur->generation = 0;
	cur->revision = 3;
	CHECK(tier_redis_store(r, &cur, 1, NULL, 0, 0, 0, NULL) == QUIRE_OK);
	CHECK(held(r, "p") == 3);
	/* what a restore moves PostgreSQL past: the highest any key keeps
	 * (prefix3's: "o" deleted at 12, made again at 14) */
	CHECK(tier_redis_copies_generation(r, &g) == QUIRE_OK && g == 14);
	CHECK(cli("HSET %spost:weird generation 99", prefix3) == 0);
	CHECK(cli("SET %spost:string x", prefix3) == 0);
	CHECK(tier_redis_copies_generation(r, &g) == QUIRE_OK && g == 99);
	CHECK(cli("DEL %spost:weird %spost:string", prefix3, prefix3) == 0);
	/* every field at once (the commands' bound counts them all) */
	{
		struct record *full = make("q", src_c, sizeof(src_c) - 1, 34, 2);

		full->path = strdup("content/posts/q.md");
		full->html = strdup("<p>cee</p>");
		full->toc_html = strdup("<nav></nav>");
		full->summary_html = strdup("<p>c</p>");
		full->has_date = 1;
		full->date = 1577836800;
		full->generation = 40;
		CHECK(tier_redis_fill(r, full) == QUIRE_OK);
		CHECK(tier_redis_store(r, &full, 1, NULL, 0, 41, 0, NULL) ==
		      QUIRE_OK);
		CHECK(tier_redis_fetch(r, "q", &got) == QUIRE_OK && got &&
		      got->generation == 40 && got->summary_html &&
		      same_record(got, full));
		record_free(got);
		got = NULL;
		/* the index gives each entry its post key's generation (a
		 * worker's floor orders versions by it) */
		{
			struct record **idx = NULL;
			size_t n = 0, i, seen = 0;

			CHECK(tier_redis_index(r, &idx, &n, &g) == QUIRE_OK);
			for (i = 0; i < n; i++) {
				if (strcmp(idx[i]->slug, "q") == 0)
					seen += idx[i]->generation == 40;
				if (strcmp(idx[i]->slug, "o") == 0)
					seen += idx[i]->generation == 14;
			}
			CHECK(seen == 2);
			record_array_free(idx, n);
		}
		record_free(full);
	}
	CHECK(!tier_redis_broken(r));
	record_free(cur);
	record_free(old);
	tier_redis_close(r);
}

/*
 * A writer's debt past TIERS_OWED_MAX (tiers_store.c): a store Redis
 * refused owes its slugs, the one past the bound is lost, and the next
 * announce Redis takes publishes "*", not the slugs it names, so that a
 * worker right behind it reloads whole rather than miss the lost one;
 * once only. The key does not move while anything is owed (here no
 * PostgreSQL can say what the owed slugs are now), and a repair without
 * PostgreSQL fails, the debt kept.
 */
static void test_owed_lost(void)
{
	struct config cfg;
	struct tiers *t;
	struct tier_redis *sub = connect_or_die(url, prefix3, 2000);
	struct tier_redis *r = connect_or_die(url, prefix3, 2000);
	struct record *rec = make("owed-new", src_b, sizeof(src_b) - 1, 17, 1);
	char **gone = calloc(TIERS_OWED_MAX + 1, sizeof(*gone));
	char *msg = NULL;
	long long g = 0;
	size_t i;

	memset(&cfg, 0, sizeof(cfg));
	cfg.redis_url = (char *)url;
	cfg.redis_prefix = prefix3;
	t = tiers_new(&cfg);
	if (!t || !gone)
		exit(2);
	for (i = 0; i <= TIERS_OWED_MAX; i++) {
		char slug[32];

		snprintf(slug, sizeof(slug), "owed-%zu", i);
		if (!(gone[i] = strdup(slug)))
			exit(2);
	}
	CHECK(cli("SET %sgeneration 299", prefix3) == 0);
	CHECK(tier_redis_subscribe(sub, "invalidate") == QUIRE_OK);
	CHECK(!tiers_owing(t));
	/* Refused: every slug owed, the last one past the bound lost. */
	CHECK(cli("CONFIG SET maxmemory-policy noeviction") == 0);
	CHECK(cli("CONFIG SET maxmemory 1") == 0);
	CHECK(tiers_announce(t, NULL, 0, gone, TIERS_OWED_MAX + 1, 300) ==
	      QUIRE_EIO);
	CHECK(cli("CONFIG SET maxmemory 0") == 0);
	CHECK(tiers_owing(t));
	CHECK(tier_redis_wait(sub, 300, &msg) == QUIRE_ETIMEOUT && !msg);
	/* Taken: the batch stored, "*" published, the key left behind. */
	CHECK(tiers_announce(t, &rec, 1, NULL, 0, 301) == QUIRE_OK);
	CHECK(tier_redis_wait(sub, 2000, &msg) == QUIRE_OK);
	CHECK_STR(msg, "301 *");
	free(msg);
	msg = NULL;
	CHECK(tier_redis_generation(r, &g) == QUIRE_OK && g == 299);
	/* Once: the next announce names its slug. */
	rec->revision = 2;
	CHECK(tiers_announce(t, &rec, 1, NULL, 0, 302) == QUIRE_OK);
	CHECK(tier_redis_wait(sub, 2000, &msg) == QUIRE_OK);
	CHECK_STR(msg, "302 owed-new");
	free(msg);
	CHECK(tier_redis_generation(r, &g) == QUIRE_OK && g == 299);
	/* Without PostgreSQL the owed slugs cannot be read: still owed. */
	CHECK(tiers_repair(t) == QUIRE_EIO && tiers_owing(t));
	for (i = 0; i <= TIERS_OWED_MAX; i++)
		free(gone[i]);
	free(gone);
	record_free(rec);
	tiers_free(t);
	tier_redis_close(sub);
	tier_redis_close(r);
}

/* PREFIX site: site.yaml beside the index, read in its MULTI. */
static void test_config(void)
{
	static const char yaml[] = "title: In Redis\n";
	char own[64];
	struct tier_redis *r;
	struct record **idx = NULL;
	char *text = NULL;
	size_t n = 0, len = 0;
	long long g = 0;

	snprintf(own, sizeof(own), "qtest-site:%ld:", (long)getpid());
	r = connect_or_die(url, own, 1000);
	CHECK(tier_redis_store(r, NULL, 0, NULL, 0, 3, 0, NULL) == QUIRE_OK);
	CHECK(tier_redis_index_site(r, &idx, &n, &g, &text, &len) == QUIRE_OK);
	CHECK(g == 3 && !text && len == 0);
	record_array_free(idx, n);
	CHECK(tier_redis_config_set(r, yaml, sizeof(yaml) - 1) == QUIRE_OK);
	CHECK(tier_redis_index_site(r, &idx, &n, &g, &text, &len) == QUIRE_OK);
	CHECK(text && len == sizeof(yaml) - 1 && memcmp(text, yaml, len) == 0);
	free(text);
	record_array_free(idx, n);
	CHECK(tier_redis_config_set(r, NULL, 0) == QUIRE_OK);
	CHECK(tier_redis_index_site(r, &idx, &n, &g, &text, &len) == QUIRE_OK);
	CHECK(!text);
	record_array_free(idx, n);
	tier_redis_close(r);
}

int main(void)
{
	url = getenv("QUIRE_REDIS_URL");
	if (!url || !*url) {
		printf("test_tier_redis: SKIP: no QUIRE_REDIS_URL\n");
		return 77;
	}
	/* Writing to a connection the server closed must be an error
	 * return, not a death: quire's processes ignore SIGPIPE too. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
		perror("test_tier_redis: signal");
		return 2;
	}
	snprintf(prefix, sizeof(prefix), "qtest:%ld:", (long)getpid());
	snprintf(prefix2, sizeof(prefix2), "qtest2:%ld:", (long)getpid());
	snprintf(prefix3, sizeof(prefix3), "qtest3:%ld:", (long)getpid());
	snprintf(prefix4, sizeof(prefix4), "qtest4:%ld:", (long)getpid());

	test_connect();
	test_store_fetch();
	test_pubsub();
	test_clock();
	test_workers();
	test_ack_published();
	test_store_refused();
	test_store_order();
	test_store_order_stamped();
	test_restore_floor();
	test_owed_lost();
	test_config();
	return check_done("test_tier_redis");
}
