/*
 * test_tier_redis_codec.c - the Redis tier's bytes (tier_redis_codec.c),
 * fed with no server
 *
 * URLs, index entries, post hash fields, invalidation messages and
 * worker values: good input round-trips, and truncated, oversized or
 * garbage input is refused with an error (under ASan: never read past
 * the buffer, never leak).
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "content/record.h"
#include "lib/limits.h"
#include "lib/quire.h"
#include "tiers/tier_redis_codec.h"
#include "check.h"

static void test_integers(void)
{
	long long v;
	unsigned long long u;

	CHECK(tier_redis_codec_ll_parse("0", 1, &v) == QUIRE_OK && v == 0);
	CHECK(tier_redis_codec_ll_parse("-42", 3, &v) == QUIRE_OK && v == -42);
	CHECK(tier_redis_codec_ll_parse("9223372036854775807", 19, &v) == QUIRE_OK &&
	      v == LLONG_MAX);
	CHECK(tier_redis_codec_ll_parse("-9223372036854775808", 20, &v) == QUIRE_OK &&
	      v == LLONG_MIN);
	CHECK(tier_redis_codec_ll_parse("9223372036854775808", 19, &v) == QUIRE_EPARSE);
	CHECK(tier_redis_codec_ll_parse("-9223372036854775809", 20, &v) == QUIRE_EPARSE);
	CHECK(tier_redis_codec_ll_parse("", 0, &v) == QUIRE_EPARSE);
	CHECK(tier_redis_codec_ll_parse("-", 1, &v) == QUIRE_EPARSE);
	CHECK(tier_redis_codec_ll_parse("+1", 2, &v) == QUIRE_EPARSE);
	CHECK(tier_redis_codec_ll_parse(" 1", 2, &v) == QUIRE_EPARSE);
	CHECK(tier_redis_codec_ll_parse("1x", 2, &v) == QUIRE_EPARSE);
	/* The length counts, not a NUL. */
	CHECK(tier_redis_codec_ll_parse("123", 2, &v) == QUIRE_OK && v == 12);
	CHECK(tier_redis_codec_ull_parse("18446744073709551615", 20, &u) == QUIRE_OK &&
	      u == ULLONG_MAX);
	CHECK(tier_redis_codec_ull_parse("18446744073709551616", 20, &u) == QUIRE_EPARSE);
	CHECK(tier_redis_codec_ull_parse("000000000000000000001", 21, &u) == QUIRE_EPARSE);
	CHECK(tier_redis_codec_ull_parse("-1", 2, &u) == QUIRE_EPARSE);
}

static void test_urls(void)
{
	struct tier_redis_url u;
	char long_url[TIER_REDIS_MAX_URL + 16];
	char long_pw[TIER_REDIS_MAX_PASSWORD + 32];
	char long_sock[TIER_REDIS_MAX_SOCKET + 32];
	static const char *const bad[] = {
		"", "http://localhost", "redis://", "redis:///0", "redis://:pw@",
		"redis://host:", "redis://host:0", "redis://host:65536",
		"redis://host:abc", "redis://host:-1", "redis://host/x",
		"redis://host/-1", "redis://host/65536", "redis://host/1/2",
		"redis://host?db=1", "redis://ho st", "redis://user@host",
		"redis://:p%zz@host", "redis://:p%0@host", "redis://:p%00@host",
		"redis://[::1", "redis://[]:6379", "redis://[zz]", "redis://[::1]x",
		"unix:", "unix:relative/path", "unix:/tmp/s?", "unix:/tmp/s?db",
		"unix:/tmp/s?db=", "unix:/tmp/s?db=x", "unix:/tmp/s?db=1&db=2",
		"unix:/tmp/s?color=red", "unix:/tmp/s?db=1&", "unix:/tmp/s?&db=1",
		"unix:/tmp/s?password=%2", "redis", "REDIS://host",
	};
	size_t i;

	CHECK(tier_redis_codec_url_parse("redis://127.0.0.1:6380/2", &u) == QUIRE_OK);
	CHECK(!u.is_unix && u.port == 6380 && u.db == 2 && !u.password[0]);
	CHECK_STR(u.host, "127.0.0.1");
	CHECK(tier_redis_codec_url_parse("redis://localhost", &u) == QUIRE_OK);
	CHECK(u.port == 6379 && u.db == 0);
	CHECK_STR(u.host, "localhost");
	CHECK(tier_redis_codec_url_parse("redis://localhost/", &u) == QUIRE_OK);
	CHECK(u.db == 0);
	CHECK(tier_redis_codec_url_parse("redis://:s3cr%40t@h:1/0", &u) == QUIRE_OK);
	CHECK_STR(u.password, "s3cr@t");
	CHECK_STR(u.user, "");
	CHECK(tier_redis_codec_url_parse("redis://bob:pw@h", &u) == QUIRE_OK);
	CHECK_STR(u.user, "bob");
	CHECK_STR(u.password, "pw");
	/* An '@' in the password may come unescaped: the last one counts. */
	CHECK(tier_redis_codec_url_parse("redis://:a@b@h", &u) == QUIRE_OK);
	CHECK_STR(u.password, "a@b");
	CHECK_STR(u.host, "h");
	CHECK(tier_redis_codec_url_parse("redis://[::1]:7000/3", &u) == QUIRE_OK);
	CHECK_STR(u.host, "::1");
	CHECK(u.port == 7000 && u.db == 3);
	CHECK(tier_redis_codec_url_parse("unix:/run/redis.sock", &u) == QUIRE_OK);
	CHECK(u.is_unix && u.db == 0);
	CHECK_STR(u.socket, "/run/redis.sock");
	CHECK(tier_redis_codec_url_parse("unix:///run/r.sock?db=5&password=a%26b",
					 &u) == QUIRE_OK);
	CHECK_STR(u.socket, "/run/r.sock");
	CHECK(u.db == 5);
	CHECK_STR(u.password, "a&b");
	CHECK(tier_redis_codec_url_parse("unix:/s?password=x&db=1&user=me", &u) ==
	      QUIRE_OK);
	CHECK(u.db == 1);
	CHECK_STR(u.user, "me");

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		enum quire_err rc = tier_redis_codec_url_parse(bad[i], &u);

		if (rc != QUIRE_EINVAL)
			fprintf(stderr, "accepted bad url '%s'\n", bad[i]);
		CHECK(rc == QUIRE_EINVAL);
		/* A refused URL leaves nothing behind (a password half-copied). */
		CHECK(u.host[0] == '\0' && u.password[0] == '\0');
	}
	CHECK(tier_redis_codec_url_parse(NULL, &u) == QUIRE_EINVAL);

	/* Bounds: the whole URL, the password, the socket path, the host. */
	memcpy(long_url, "redis://", 8);
	memset(long_url + 8, 'a', sizeof(long_url) - 9);
	long_url[sizeof(long_url) - 1] = '\0';
	CHECK(tier_redis_codec_url_parse(long_url, &u) == QUIRE_EINVAL);
	long_url[8 + TIER_REDIS_MAX_HOST] = '\0';
	CHECK(tier_redis_codec_url_parse(long_url, &u) == QUIRE_OK);
	long_url[8 + TIER_REDIS_MAX_HOST] = 'a';
	long_url[8 + TIER_REDIS_MAX_HOST + 1] = '\0';
	CHECK(tier_redis_codec_url_parse(long_url, &u) == QUIRE_EINVAL);

	memcpy(long_pw, "redis://:", 9);
	memset(long_pw + 9, 'p', TIER_REDIS_MAX_PASSWORD + 1);
	memcpy(long_pw + 9 + TIER_REDIS_MAX_PASSWORD + 1, "@h", 3);
	CHECK(tier_redis_codec_url_parse(long_pw, &u) == QUIRE_EINVAL);
	memcpy(long_pw + 9 + TIER_REDIS_MAX_PASSWORD, "@h", 3);
	CHECK(tier_redis_codec_url_parse(long_pw, &u) == QUIRE_OK);
	CHECK(strlen(u.password) == TIER_REDIS_MAX_PASSWORD);

	memcpy(long_sock, "unix:/", 6);
	memset(long_sock + 6, 's', TIER_REDIS_MAX_SOCKET);
	long_sock[6 + TIER_REDIS_MAX_SOCKET] = '\0';
	CHECK(tier_redis_codec_url_parse(long_sock, &u) == QUIRE_EINVAL);
	long_sock[5 + TIER_REDIS_MAX_SOCKET] = '\0';
	CHECK(tier_redis_codec_url_parse(long_sock, &u) == QUIRE_OK);
}

static const char fm_src[] = "---\ntitle: Hi\0there\n---\nbody *text*\n";

#define SAMPLE_SUMMARY "<p>body <em>text</em></p>\n"

static struct record *sample(int with_path, int with_date)
{
	struct record *r = record_new();

	if (!r)
		return NULL;
	r->slug = strdup("hello-world");
	r->path = with_path ? strdup("content/posts/2024-01-02-hello.md") : NULL;
	r->source_len = sizeof(fm_src) - 1;
	r->source = malloc(r->source_len + 1);
	if (!r->slug || (with_path && !r->path) || !r->source) {
		record_free(r);
		return NULL;
	}
	memcpy(r->source, fm_src, r->source_len + 1);
	r->body_offset = 25;     /* after the closing "---\n" */
	r->html = strdup("<p>body <em>text</em></p>\n");
	/* dated samples carry a summary, the others none */
	r->summary_html = with_date ? strdup(SAMPLE_SUMMARY) : NULL;
	r->kind = POST_KIND_PAGE;
	r->origin = RECORD_ORIGIN_API;
	r->words = 2;
	r->date = with_date ? -86400 : 0;
	r->has_date = with_date;
	r->hash = 0xfedcba9876543210ULL;
	r->revision = 123456789012LL;
	return r;
}

static void test_index_roundtrip(int with_path, int with_date)
{
	struct record *r = sample(with_path, with_date), *p = NULL;
	char *e = NULL;
	size_t len = 0, i;

	CHECK(r != NULL);
	if (!r)
		return;
	CHECK(tier_redis_codec_index_encode(r, &e, &len) == QUIRE_OK);
	CHECK(len == TIER_REDIS_INDEX_HEAD + (with_path ? strlen(r->path) : 0) +
	      4 + r->body_offset + 4 +
	      (with_date ? strlen(SAMPLE_SUMMARY) : 0));
	CHECK(len >= 4 && memcmp(e, "QIX2", 4) == 0);
	CHECK(tier_redis_codec_index_parse("hello-world", e, len, &p) == QUIRE_OK);
	if (p) {
		CHECK_STR(p->slug, "hello-world");
		CHECK(p->revision == r->revision && p->kind == r->kind &&
		      p->origin == r->origin && p->words == r->words &&
		      p->hash == r->hash && p->has_date == r->has_date &&
		      p->date == r->date);
		CHECK(p->body_offset == r->body_offset &&
		      p->source_len == r->body_offset);
		CHECK(memcmp(p->source, fm_src, r->body_offset) == 0);
		CHECK(p->source[p->source_len] == '\0');
		CHECK(p->html == NULL && p->toc_html == NULL);
		if (with_date)
			CHECK_STR(p->summary_html ? p->summary_html : "(none)",
				  SAMPLE_SUMMARY);
		else
			CHECK(p->summary_html == NULL);
		if (with_path)
			CHECK_STR(p->path, r->path);
		else
			CHECK(p->path == NULL);
	}
	record_free(p);

	/* Every truncation, and one byte too many, is refused. */
	for (i = 0; i < len; i++) {
		p = NULL;
		CHECK(tier_redis_codec_index_parse("s", e, i, &p) == QUIRE_EPARSE);
		CHECK(p == NULL);
	}
	{
		char *longer = malloc(len + 1);

		CHECK(longer != NULL);
		if (longer) {
			memcpy(longer, e, len);
			longer[len] = 'x';
			CHECK(tier_redis_codec_index_parse("s", longer, len + 1, &p) ==
			      QUIRE_EPARSE);
			free(longer);
		}
	}
	free(e);
	record_free(r);
}

/* Sets the big-endian u32 at off. */
static void poke32(char *b, size_t off, uint32_t v)
{
	b[off] = (char)(v >> 24);
	b[off + 1] = (char)(v >> 16);
	b[off + 2] = (char)(v >> 8);
	b[off + 3] = (char)v;
}

static void test_index_garbage(void)
{
	struct record *r = sample(1, 1), *p = NULL;
	char *e = NULL, *m;
	size_t len = 0, path_len, i, round, sum_at;
	unsigned seed = 12345;

	if (!r || tier_redis_codec_index_encode(r, &e, &len) != QUIRE_OK) {
		CHECK(0);
		record_free(r);
		return;
	}
	path_len = strlen(r->path);
	m = malloc(len);
	CHECK(m != NULL);
	if (!m)
		goto out;
#define MUTATE(stmt) do { memcpy(m, e, len); stmt; p = NULL; \
	CHECK(tier_redis_codec_index_parse("s", m, len, &p) == QUIRE_EPARSE); \
	CHECK(p == NULL); } while (0)
	MUTATE(m[0] = 'X');                        /* magic */
	/* Another version: a later format, told apart from garbage (a
	 * reader takes it as a miss), whatever follows the magic. */
	memcpy(m, e, len);
	m[3] = '3';
	CHECK(tier_redis_codec_index_parse("s", m, len, &p) == QUIRE_EVERSION);
	CHECK(tier_redis_codec_index_parse("s", m, 4, &p) == QUIRE_EVERSION);
	CHECK(p == NULL);
	/* Version 1 (before the summary) with a summary after it: trailing
	 * bytes. */
	MUTATE(m[3] = '1');
	MUTATE(m[12] = POST_KIND__MAX);            /* kind */
	MUTATE(m[13] = (char)0xff);                /* origin */
	MUTATE(m[14] = 0x07);                      /* unknown flag */
	MUTATE(m[14] = 0x01);                      /* path without its flag */
	MUTATE(poke32(m, 39, 0xffffffffu));        /* path longer than all */
	MUTATE(poke32(m, 39, (uint32_t)len));      /* path past the end */
	MUTATE(poke32(m, 39, (uint32_t)path_len + 1)); /* lengths disagree */
	MUTATE(poke32(m, 39, (uint32_t)path_len - 1));
	MUTATE(poke32(m, 39, 0));                  /* flag says a path */
	MUTATE(poke32(m, TIER_REDIS_INDEX_HEAD + path_len, 0xffffffffu));
	MUTATE(poke32(m, TIER_REDIS_INDEX_HEAD + path_len,
		      (uint32_t)r->body_offset + 1));
	MUTATE(poke32(m, TIER_REDIS_INDEX_HEAD + path_len,
		      (uint32_t)r->body_offset - 1));
	MUTATE(m[TIER_REDIS_INDEX_HEAD + 3] = '\0'); /* NUL in the path */
	/* the summary's length: past the end, short, over the bound */
	sum_at = TIER_REDIS_INDEX_HEAD + path_len + 4 + r->body_offset;
	MUTATE(poke32(m, sum_at, (uint32_t)strlen(SAMPLE_SUMMARY) + 1));
	MUTATE(poke32(m, sum_at, (uint32_t)strlen(SAMPLE_SUMMARY) - 1));
	MUTATE(poke32(m, sum_at, 0xffffffffu));
	MUTATE(m[len - 2] = '\0');                 /* NUL in the summary */
	{
		/* One over QUIRE_MAX_SUMMARY, with its bytes there. */
		size_t big = sum_at + 4 + QUIRE_MAX_SUMMARY + 1;
		char *b = malloc(big);

		CHECK(b != NULL);
		if (b) {
			memcpy(b, e, sum_at);
			poke32(b, sum_at, QUIRE_MAX_SUMMARY + 1);
			memset(b + sum_at + 4, 'a', QUIRE_MAX_SUMMARY + 1);
			p = NULL;
			CHECK(tier_redis_codec_index_parse("s", b, big, &p) ==
			      QUIRE_EPARSE && p == NULL);
			free(b);
		}
	}
	{
		/* A date without has_date. */
		memcpy(m, e, len);
		m[14] = 0x02;
		p = NULL;
		CHECK(tier_redis_codec_index_parse("s", m, len, &p) == QUIRE_EPARSE);
	}
#undef MUTATE

	/* Random mutations: any result but a crash or a leak; what parses
	 * must be self-consistent. */
	for (round = 0; round < 20000; round++) {
		size_t flips = 1 + (size_t)(rand_r(&seed) % 4), cut;

		memcpy(m, e, len);
		for (i = 0; i < flips; i++)
			m[(size_t)rand_r(&seed) % len] = (char)rand_r(&seed);
		cut = round % 3 == 0 ? (size_t)rand_r(&seed) % (len + 1) : len;
		p = NULL;
		if (tier_redis_codec_index_parse("s", m, cut, &p) == QUIRE_OK) {
			CHECK(p && p->source_len == p->body_offset &&
			      p->source_len + TIER_REDIS_INDEX_HEAD + 4 <= cut &&
			      (!p->summary_html ||
			       strlen(p->summary_html) <= QUIRE_MAX_SUMMARY));
			record_free(p);
		} else {
			CHECK(p == NULL);
		}
	}
	/* Pure garbage of every small length. */
	for (i = 0; i < 200; i++) {
		char g[200];
		size_t j;

		for (j = 0; j < i; j++)
			g[j] = (char)rand_r(&seed);
		if (i >= 4)
			memcpy(g, i % 2 ? "QIX1" : "QIX2", 4);
		p = NULL;
		if (tier_redis_codec_index_parse("s", g, i, &p) == QUIRE_OK)
			record_free(p);
	}
	CHECK(tier_redis_codec_index_parse("s", NULL, 0, &p) == QUIRE_EPARSE);
out:
	free(m);
	free(e);
	record_free(r);
}

/* An entry of version 1, as builds before the summary wrote it: the
 * frontmatter ends it. Read, with no summary (lists show the
 * description until the post is rendered again). */
static void test_index_version1(void)
{
	struct record *r = sample(1, 0), *p = NULL;
	char *e = NULL;
	size_t len = 0;

	if (!r || tier_redis_codec_index_encode(r, &e, &len) != QUIRE_OK ||
	    len < 8) {
		CHECK(0);
		record_free(r);
		free(e);
		return;
	}
	/* QIX2 with no summary is QIX1 and a 0 length */
	CHECK(memcmp(e + len - 4, "\0\0\0\0", 4) == 0);
	e[3] = '1';
	CHECK(tier_redis_codec_index_parse("old", e, len - 4, &p) == QUIRE_OK);
	if (p) {
		CHECK(p->summary_html == NULL);
		CHECK(p->body_offset == r->body_offset && p->hash == r->hash);
		CHECK_STR(p->path, r->path);
	}
	record_free(p);
	p = NULL;
	/* and never with the summary's length after it */
	CHECK(tier_redis_codec_index_parse("old", e, len, &p) == QUIRE_EPARSE);
	CHECK(p == NULL);
	free(e);
	record_free(r);
}

static void test_index_encode_errors(void)
{
	struct record *r = sample(1, 0);
	char *e = NULL;
	size_t len;

	if (!r) {
		CHECK(0);
		return;
	}
	r->body_offset = r->source_len + 1;
	CHECK(tier_redis_codec_index_encode(r, &e, &len) == QUIRE_EINVAL && !e);
	r->body_offset = 3;
	r->kind = POST_KIND__MAX;
	CHECK(tier_redis_codec_index_encode(r, &e, &len) == QUIRE_EINVAL && !e);
	r->kind = POST_KIND_POST;
	r->origin = RECORD_ORIGIN__MAX;
	CHECK(tier_redis_codec_index_encode(r, &e, &len) == QUIRE_EINVAL && !e);
	r->origin = RECORD_ORIGIN_CONTENT;
	/* A summary over its bound is never written. */
	r->summary_html = malloc(QUIRE_MAX_SUMMARY + 2);
	if (r->summary_html) {
		memset(r->summary_html, 'a', QUIRE_MAX_SUMMARY + 1);
		r->summary_html[QUIRE_MAX_SUMMARY + 1] = '\0';
		CHECK(tier_redis_codec_index_encode(r, &e, &len) == QUIRE_ETOOBIG &&
		      !e);
		r->summary_html[QUIRE_MAX_SUMMARY] = '\0';
		CHECK(tier_redis_codec_index_encode(r, &e, &len) == QUIRE_OK);
		free(e);
		e = NULL;
		free(r->summary_html);
		r->summary_html = NULL;
	}
	/* Negative revisions and dates survive two's complement. */
	r->revision = LLONG_MIN;
	r->has_date = 1;
	r->date = LLONG_MIN + 1;
	CHECK(tier_redis_codec_index_encode(r, &e, &len) == QUIRE_OK);
	if (e) {
		struct record *p = NULL;

		CHECK(tier_redis_codec_index_parse("x", e, len, &p) == QUIRE_OK);
		CHECK(p && p->revision == LLONG_MIN && p->date == LLONG_MIN + 1 &&
		      p->body_offset == 3 && memcmp(p->source, "---", 3) == 0);
		record_free(p);
		free(e);
	}
	record_free(r);
}

/* The fields of f with one replaced by v (NULL: absent) must not decode. */
static void bad_field(const struct tier_redis_fields *f, int field,
		      const char *v)
{
	const char *val[TIER_REDIS_F__MAX];
	size_t len[TIER_REDIS_F__MAX];
	struct record *p = NULL;
	int i;

	for (i = 0; i < TIER_REDIS_F__MAX; i++) {
		val[i] = f->val[i];
		len[i] = f->len[i];
	}
	val[field] = v;
	len[field] = v ? strlen(v) : 0;
	CHECK(tier_redis_codec_fields_decode("s", val, len, &p) == QUIRE_EPARSE);
	CHECK(p == NULL);
	record_free(p);
}

static void test_fields(void)
{
	struct record *r = sample(1, 1), *p = NULL;
	struct tier_redis_fields f;
	const char *val[TIER_REDIS_F__MAX];
	size_t len[TIER_REDIS_F__MAX];
	int i;

	if (!r) {
		CHECK(0);
		return;
	}
	r->toc_html = strdup("<nav class=\"toc\"></nav>");
	CHECK(tier_redis_codec_fields_encode(r, &f) == QUIRE_OK);
	CHECK_STR(f.val[TIER_REDIS_F_HASH], "18364758544493064720");
	CHECK_STR(f.val[TIER_REDIS_F_KIND], "page");
	CHECK_STR(f.val[TIER_REDIS_F_ORIGIN], "api");
	CHECK(f.len[TIER_REDIS_F_SOURCE] == r->source_len);
	CHECK(tier_redis_codec_fields_decode("hello-world", f.val, f.len, &p) ==
	      QUIRE_OK);
	if (p) {
		CHECK(p->source_len == r->source_len &&
		      memcmp(p->source, r->source, r->source_len) == 0);
		CHECK(p->hash == r->hash && p->revision == r->revision &&
		      p->date == r->date && p->has_date && p->words == 2 &&
		      p->body_offset == 25 && p->kind == POST_KIND_PAGE &&
		      p->origin == RECORD_ORIGIN_API);
		CHECK_STR(p->html, r->html);
		CHECK_STR(p->toc_html, r->toc_html);
		CHECK_STR(p->path, r->path);
		CHECK_STR(p->summary_html ? p->summary_html : "(none)",
			  SAMPLE_SUMMARY);
	}
	record_free(p);
	p = NULL;
	CHECK_STR(tier_redis_codec_field_names[TIER_REDIS_F_SUMMARY], "summary");

	/* No revision: no such post; a tombstone: a deleted one. */
	for (i = 0; i < TIER_REDIS_F__MAX; i++) {
		val[i] = f.val[i];
		len[i] = f.len[i];
	}
	val[TIER_REDIS_F_REVISION] = NULL;
	CHECK(tier_redis_codec_fields_decode("s", val, len, &p) == QUIRE_ENOTFOUND);
	val[TIER_REDIS_F_REVISION] = TIER_REDIS_TOMBSTONE;
	len[TIER_REDIS_F_REVISION] = strlen(TIER_REDIS_TOMBSTONE);
	CHECK(tier_redis_codec_fields_decode("s", val, len, &p) == QUIRE_ENOTFOUND);

	/* The format: this build's, or absent (written before the field),
	 * reads; any other is a later format, whatever the other fields
	 * say; a tombstone of a later format too. */
	CHECK_STR(f.val[TIER_REDIS_F_FORMAT], "1");
	for (i = 0; i < TIER_REDIS_F__MAX; i++) {
		val[i] = f.val[i];
		len[i] = f.len[i];
	}
	val[TIER_REDIS_F_FORMAT] = NULL;
	CHECK(tier_redis_codec_fields_decode("s", val, len, &p) == QUIRE_OK);
	record_free(p);
	p = NULL;
	val[TIER_REDIS_F_FORMAT] = "2";
	len[TIER_REDIS_F_FORMAT] = 1;
	CHECK(tier_redis_codec_fields_decode("s", val, len, &p) == QUIRE_EVERSION);
	CHECK(p == NULL);
	val[TIER_REDIS_F_HASH] = "not a number in format 2";
	len[TIER_REDIS_F_HASH] = strlen(val[TIER_REDIS_F_HASH]);
	CHECK(tier_redis_codec_fields_decode("s", val, len, &p) == QUIRE_EVERSION);
	val[TIER_REDIS_F_FORMAT] = "x";
	CHECK(tier_redis_codec_fields_decode("s", val, len, &p) == QUIRE_EVERSION);
	val[TIER_REDIS_F_REVISION] = TIER_REDIS_TOMBSTONE;
	len[TIER_REDIS_F_REVISION] = strlen(TIER_REDIS_TOMBSTONE);
	val[TIER_REDIS_F_FORMAT] = "2";
	CHECK(tier_redis_codec_fields_decode("s", val, len, &p) == QUIRE_EVERSION);
	CHECK(p == NULL);

	bad_field(&f, TIER_REDIS_F_REVISION, "12a");
	bad_field(&f, TIER_REDIS_F_KIND, "poster");
	bad_field(&f, TIER_REDIS_F_KIND, NULL);
	bad_field(&f, TIER_REDIS_F_ORIGIN, "");
	bad_field(&f, TIER_REDIS_F_SOURCE, NULL);
	bad_field(&f, TIER_REDIS_F_BODY_OFFSET, "9999");   /* beyond the source */
	bad_field(&f, TIER_REDIS_F_BODY_OFFSET, "-1");
	bad_field(&f, TIER_REDIS_F_WORDS, "99999999999999999999999");
	bad_field(&f, TIER_REDIS_F_HASH, "18446744073709551616");
	bad_field(&f, TIER_REDIS_F_DATE, "yesterday");
	/* A NUL inside html, path or a name is refused; in the source not. */
	for (i = 0; i < TIER_REDIS_F__MAX; i++) {
		val[i] = f.val[i];
		len[i] = f.len[i];
	}
	val[TIER_REDIS_F_HTML] = "a\0b";
	len[TIER_REDIS_F_HTML] = 3;
	CHECK(tier_redis_codec_fields_decode("s", val, len, &p) == QUIRE_EPARSE);
	val[TIER_REDIS_F_HTML] = NULL;
	/* no summary (a hash written before the field): read, none */
	val[TIER_REDIS_F_SUMMARY] = NULL;
	CHECK(tier_redis_codec_fields_decode("s", val, len, &p) == QUIRE_OK);
	CHECK(p && p->summary_html == NULL);
	record_free(p);
	p = NULL;
	val[TIER_REDIS_F_SUMMARY] = "a\0b";
	len[TIER_REDIS_F_SUMMARY] = 3;
	CHECK(tier_redis_codec_fields_decode("s", val, len, &p) == QUIRE_EPARSE);
	{
		static char big[QUIRE_MAX_SUMMARY + 1];

		memset(big, 'a', sizeof(big));
		val[TIER_REDIS_F_SUMMARY] = big;
		len[TIER_REDIS_F_SUMMARY] = sizeof(big);
		CHECK(tier_redis_codec_fields_decode("s", val, len, &p) ==
		      QUIRE_EPARSE && p == NULL);
	}
	val[TIER_REDIS_F_SUMMARY] = NULL;
	val[TIER_REDIS_F_KIND] = "post\0";
	len[TIER_REDIS_F_KIND] = 5;
	CHECK(tier_redis_codec_fields_decode("s", val, len, &p) == QUIRE_EPARSE);

	r->body_offset = r->source_len + 1;
	CHECK(tier_redis_codec_fields_encode(r, &f) == QUIRE_EINVAL);
	record_free(r);
}

static void test_invalidation(void)
{
	static const char *const bad[] = {
		"", " ", "x", "1x", "-1 a", " 5 a", "5 ", "5  a", "5 a ",
		"5 * a", "5 a *", "5 * *", "5 A!", "5 .hidden", "5 a/b", "5 \xc3\x89",
		"5 a\tb", "99999999999999999999 a", "5 *a",
	};
	const char *slugs[3] = { "a", "b-c", "d.e_f" };
	long long gen;
	char **v = NULL, *m = NULL, *big;
	size_t n, i, len;
	int all;

	CHECK(tier_redis_codec_invalidation_parse("42 a b-c", &gen, &v, &n, &all) ==
	      QUIRE_OK);
	CHECK(gen == 42 && n == 2 && !all);
	if (v && n == 2) {
		CHECK_STR(v[0], "a");
		CHECK_STR(v[1], "b-c");
	}
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
	/* a slug keeps its case (DESIGN §3) */
	CHECK(tier_redis_codec_invalidation_parse("43 Rust-1.12.1", &gen, &v, &n,
						  &all) == QUIRE_OK);
	CHECK(gen == 43 && n == 1 && !all);
	if (v && n == 1)
		CHECK_STR(v[0], "Rust-1.12.1");
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
	CHECK(tier_redis_codec_invalidation_parse("7 *", &gen, &v, &n, &all) ==
	      QUIRE_OK);
	CHECK(gen == 7 && all && n == 0 && v == NULL);
	CHECK(tier_redis_codec_invalidation_parse("8", &gen, &v, &n, &all) == QUIRE_OK);
	CHECK(gen == 8 && !all && n == 0);
	free(v);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		enum quire_err rc = tier_redis_codec_invalidation_parse(bad[i],
								&gen, &v, &n, &all);

		if (rc != QUIRE_EPARSE)
			fprintf(stderr, "accepted bad message '%s'\n", bad[i]);
		CHECK(rc == QUIRE_EPARSE && v == NULL && n == 0 && !all);
	}
	CHECK(tier_redis_codec_invalidation_parse(NULL, &gen, &v, &n, &all) ==
	      QUIRE_EPARSE);

	/* A slug of QUIRE_MAX_SLUG bytes passes, one more does not. */
	big = malloc(QUIRE_MAX_SLUG + 8);
	if (big) {
		memcpy(big, "1 ", 2);
		memset(big + 2, 's', QUIRE_MAX_SLUG);
		big[2 + QUIRE_MAX_SLUG] = '\0';
		CHECK(tier_redis_codec_invalidation_parse(big, &gen, &v, &n, &all) ==
		      QUIRE_OK && n == 1);
		for (i = 0; i < n; i++)
			free(v[i]);
		free(v);
		big[2 + QUIRE_MAX_SLUG] = 's';
		big[3 + QUIRE_MAX_SLUG] = '\0';
		CHECK(tier_redis_codec_invalidation_parse(big, &gen, &v, &n, &all) ==
		      QUIRE_EPARSE);
		free(big);
	}
	/* QUIRE_MAX_POSTS slugs pass, one more does not. */
	len = 2 + 2 * ((size_t)QUIRE_MAX_POSTS + 1);
	big = malloc(len + 1);
	if (big) {
		big[0] = '1';
		for (i = 1; i + 1 < len; i += 2) {
			big[i] = ' ';
			big[i + 1] = 'a';
		}
		big[1 + 2 * (size_t)QUIRE_MAX_POSTS] = '\0';
		CHECK(tier_redis_codec_invalidation_parse(big, &gen, &v, &n, &all) ==
		      QUIRE_OK && n == QUIRE_MAX_POSTS);
		for (i = 0; i < n; i++)
			free(v[i]);
		free(v);
		big[1 + 2 * (size_t)QUIRE_MAX_POSTS] = ' ';
		big[1 + 2 * ((size_t)QUIRE_MAX_POSTS + 1)] = '\0';
		CHECK(tier_redis_codec_invalidation_parse(big, &gen, &v, &n, &all) ==
		      QUIRE_EPARSE && v == NULL);
		free(big);
	}

	/* format -> parse round trip, and format's refusals. */
	CHECK(tier_redis_codec_invalidation_format(9, slugs, 3, 0, &m, &len) ==
	      QUIRE_OK);
	CHECK_STR(m, "9 a b-c d.e_f");
	CHECK(m && len == strlen(m));
	CHECK(tier_redis_codec_invalidation_parse(m, &gen, &v, &n, &all) == QUIRE_OK &&
	      n == 3 && gen == 9);
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
	free(m);
	CHECK(tier_redis_codec_invalidation_format(10, NULL, 0, 1, &m, &len) ==
	      QUIRE_OK);
	CHECK_STR(m, "10 *");
	free(m);
	CHECK(tier_redis_codec_invalidation_format(10, slugs, 1, 1, &m, &len) ==
	      QUIRE_EINVAL && !m);
	CHECK(tier_redis_codec_invalidation_format(-1, slugs, 1, 0, &m, &len) ==
	      QUIRE_EINVAL);
	slugs[1] = "Bad Slug";
	CHECK(tier_redis_codec_invalidation_format(1, slugs, 2, 0, &m, &len) ==
	      QUIRE_EINVAL && !m);
}

/* Versions of the invalidation: version 1 has no marker, "v1 " is read
 * as none, another number is a later format (the worker reloads), a
 * marker that is not one is malformed. */
static void test_invalidation_versions(void)
{
	static const char *const bad[] = {
		"v", "v ", "v1", "v1 ", "v0 5", "vx 5 a", "v-1 5", "v1  5",
	};
	char **slugs = NULL;
	long long gen = 0;
	size_t n = 0, i;
	int all = 0;

	CHECK(tier_redis_codec_invalidation_parse("v1 7 a b", &gen, &slugs, &n,
						  &all) == QUIRE_OK);
	CHECK(gen == 7 && n == 2 && !all);
	if (n == 2) {
		CHECK_STR(slugs[0], "a");
		CHECK_STR(slugs[1], "b");
	}
	quire_strings_free(slugs, n);
	CHECK(tier_redis_codec_invalidation_parse("v2 7 a", &gen, &slugs, &n,
						  &all) == QUIRE_EVERSION);
	CHECK(slugs == NULL && n == 0);
	CHECK(tier_redis_codec_invalidation_parse("v12 whatever it says", &gen,
						  &slugs, &n, &all) ==
	      QUIRE_EVERSION);
	CHECK(tier_redis_codec_invalidation_parse("v3", &gen, &slugs, &n,
						  &all) == QUIRE_EVERSION);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(tier_redis_codec_invalidation_parse(bad[i], &gen, &slugs,
							  &n, &all) ==
		      QUIRE_EPARSE);
		CHECK(slugs == NULL);
	}
}

static void test_worker_values(void)
{
	long long g, s;

	CHECK(tier_redis_codec_worker_parse("12 1700000000", 13, &g, &s) == QUIRE_OK);
	CHECK(g == 12 && s == 1700000000);
	CHECK(tier_redis_codec_worker_parse("12", 2, &g, &s) == QUIRE_EPARSE);
	CHECK(tier_redis_codec_worker_parse("12 ", 3, &g, &s) == QUIRE_EPARSE);
	CHECK(tier_redis_codec_worker_parse(" 1", 2, &g, &s) == QUIRE_EPARSE);
	/* A later build's fields after the two: read, the rest ignored. */
	CHECK(tier_redis_codec_worker_parse("1 2 3", 5, &g, &s) == QUIRE_OK);
	CHECK(g == 1 && s == 2);
	CHECK(tier_redis_codec_worker_parse("7 8 v2 x y", 10, &g, &s) == QUIRE_OK);
	CHECK(g == 7 && s == 8);
	CHECK(tier_redis_codec_worker_parse("1 2 ", 4, &g, &s) == QUIRE_EPARSE);
	CHECK(tier_redis_codec_worker_parse("1  2", 4, &g, &s) == QUIRE_EPARSE);
	CHECK(tier_redis_codec_worker_parse("1 x 3", 5, &g, &s) == QUIRE_EPARSE);
	CHECK(tier_redis_codec_worker_parse("", 0, &g, &s) == QUIRE_EPARSE);
}

int main(void)
{
	test_integers();
	test_urls();
	test_index_roundtrip(1, 1);
	test_index_roundtrip(0, 0);
	test_index_roundtrip(1, 0);
	test_index_garbage();
	test_index_version1();
	test_index_encode_errors();
	test_fields();
	test_invalidation();
	test_invalidation_versions();
	test_worker_values();
	return check_done("test_tier_redis_codec");
}
