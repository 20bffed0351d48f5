/*
 * tier_redis_cache.c - the posts, the index and the generation in Redis
 *
 * The tier's reads (one post, many, the whole index or some entries of
 * it, the generation) and its writes (a deploy's store, a read's fill),
 * over the connection of tier_redis.c. The post hash and index entry
 * formats are tier_redis_codec.c's.
 *
 * Deleting a slug leaves a tombstone in its post key for a while
 * (revision "deleted", TOMBSTONE_TTL seconds) rather than removing it,
 * so that a fill that read the post from PostgreSQL before the deploy
 * deleted it cannot bring it back: the fill script never writes over a
 * revision that is not a lower number.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "content/record.h"
#include "lib/limits.h"
#include "lib/quire.h"
#include "tiers/tier_redis.h"
#include "tiers/tier_redis_codec.h"
#include "tiers/tier_redis_private.h"

#define TOMBSTONE_TTL      3600    /* seconds a deleted slug refuses fills */

/*
 * KEYS[1] the post key, KEYS[2] the index; ARGV[1] the slug, ARGV[2] the
 * revision, ARGV[3] the generation (0: unknown), ARGV[4] the index
 * entry, ARGV[5...] field/value pairs of the post hash. Where both the
 * stored copy and the fill have a generation, it decides: a copy of the
 * same or a later one keeps what is there (a slug deleted and made again
 * starts its revisions anew, so only the generation orders them), and a
 * tombstone gives way only to a fill read after it. Else a stored
 * revision that is not a number (a tombstone) or is not lower keeps what
 * is there. Atomic because a script is.
 *
 * The write scripts start "#!lua": a script so flagged is refused whole
 * when Redis is out of memory (Redis 7). Unflagged, only a script's
 * first write is checked, and a DEL (which never needs memory) first
 * let every write after it through past maxmemory.
 */
static const char fill_script[] =
	"#!lua\n"
	"local v = redis.call('HMGET', KEYS[1], 'revision', 'generation')\n"
	"local cur, gen = tonumber(v[2] or ''), tonumber(ARGV[3])\n"
	"if cur and gen > 0 then\n"
	"  if cur >= gen then return 0 end\n"
	"elseif v[1] then\n"
	"  local n = tonumber(v[1])\n"
	"  if n == nil or n >= tonumber(ARGV[2]) then return 0 end\n"
	"end\n"
	"redis.call('DEL', KEYS[1])\n"
	"redis.call('HSET', KEYS[1], unpack(ARGV, 5))\n"
	"redis.call('HSET', KEYS[2], ARGV[1], ARGV[4])\n"
	"return 1\n";

/* Appends the post hash's field/value pairs of f. */
static void cmd_add_fields(struct redis_cmd *c,
			   const struct tier_redis_fields *f)
{
	int i;

	for (i = 0; i < TIER_REDIS_F__MAX; i++)
		if (f->val[i]) {
			redis_cmd_adds(c, tier_redis_codec_field_names[i]);
			redis_cmd_add(c, f->val[i], f->len[i]);
		}
}

/* The arguments put_script and refresh_script share, after their two
 * keys: the slug, arg (a generation, or a stamp), the index entry (""
 * for a deletion), the tombstone, its TTL, then f's fields (f NULL for a
 * deletion). */
static void cmd_add_post_args(struct redis_cmd *c, const char *slug,
			      const char *arg, const char *entry,
			      size_t entry_len, const char *ttl,
			      const struct tier_redis_fields *f)
{
	redis_cmd_adds(c, slug);
	redis_cmd_adds(c, arg);
	redis_cmd_add(c, entry ? entry : "", entry_len);
	redis_cmd_adds(c, TIER_REDIS_TOMBSTONE);
	redis_cmd_adds(c, ttl);
	if (f)
		cmd_add_fields(c, f);
}

/* ------------------------------------------------------------- keys */

/* PREFIX post:SLUG into key (REDIS_KEY_MAX + 1 bytes); 0 for a bad slug. */
static size_t key_post(const struct tier_redis *r, const char *slug,
		       char *key)
{
	size_t n;

	if (!slug)
		return 0;
	n = strnlen(slug, QUIRE_MAX_SLUG + 1);
	if (n == 0 || n > QUIRE_MAX_SLUG)
		return 0;
	memcpy(key, r->prefix, r->prefix_len);
	memcpy(key + r->prefix_len, "post:", 5);
	memcpy(key + r->prefix_len + 5, slug, n + 1);
	return r->prefix_len + 5 + n;
}

/* Reads the replies of MULTI, queued commands and EXEC (n_queued of
 * them in between). Every reply is read even after a bad one, so the
 * connection stays in step; *exec gets EXEC's array when all went well. */
static enum quire_err multi_replies(struct tier_redis *r, size_t n_queued,
				    redisReply **exec, const char *what)
{
	redisReply *rep;
	size_t i;
	enum quire_err bad = QUIRE_OK, rc;

	*exec = NULL;
	if ((rc = redis_pipe_reply(r, &rep)) != QUIRE_OK)
		return rc;
	if (!redis_is_status(rep, "OK"))
		bad = redis_fail_reply(r, rep, what);
	freeReplyObject(rep);
	for (i = 0; i < n_queued; i++) {
		if ((rc = redis_pipe_reply(r, &rep)) != QUIRE_OK)
			return rc;
		if (!bad && !redis_is_status(rep, "QUEUED"))
			bad = redis_fail_reply(r, rep, what);
		freeReplyObject(rep);
	}
	if ((rc = redis_pipe_reply(r, &rep)) != QUIRE_OK)
		return rc;
	if (bad) {
		freeReplyObject(rep);
		return QUIRE_EIO;
	}
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != n_queued) {
		rc = redis_fail_reply(r, rep, what);
		freeReplyObject(rep);
		return rc;
	}
	for (i = 0; i < rep->elements; i++)
		if (rep->element[i]->type == REDIS_REPLY_ERROR) {
			rc = redis_fail_reply(r, rep->element[i], what);
			freeReplyObject(rep);
			return rc;
		}
	*exec = rep;
	return QUIRE_OK;
}

/* ---------------------------------------------------------- reads */

enum quire_err tier_redis_generation(struct tier_redis *r,
				     long long *generation)
{
	char key[REDIS_KEY_MAX + 1];
	const char *argv[2];
	size_t argvlen[2];
	struct redis_cmd c = { argv, argvlen, 0, 2 };
	redisReply *rep;
	enum quire_err rc;

	redis_cmd_adds(&c, "GET");
	redis_cmd_add(&c, key, redis_key_fixed(r, "generation", key));
	rep = redis_command(r, &c);
	if (!rep)
		return QUIRE_EIO;
	if (rep->type == REDIS_REPLY_NIL)
		rc = QUIRE_ENOTFOUND;
	else if (rep->type != REDIS_REPLY_STRING)
		rc = redis_fail_reply(r, rep, "get generation");
	else if (tier_redis_codec_ll_parse(rep->str, rep->len,
					   generation) != QUIRE_OK) {
		redis_set_err(r, "malformed generation");
		rc = QUIRE_EPARSE;
	} else
		rc = QUIRE_OK;
	freeReplyObject(rep);
	return rc;
}

enum quire_err tier_redis_time(struct tier_redis *r, long long *ms)
{
	const char *argv[1];
	size_t argvlen[1];
	struct redis_cmd c = { argv, argvlen, 0, 1 };
	redisReply *rep;
	long long sec, usec;
	enum quire_err rc = QUIRE_OK;

	redis_cmd_adds(&c, "TIME");
	rep = redis_command(r, &c);
	if (!rep)
		return QUIRE_EIO;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 ||
	    rep->element[0]->type != REDIS_REPLY_STRING ||
	    rep->element[1]->type != REDIS_REPLY_STRING)
		rc = redis_fail_reply(r, rep, "time");
	else if (tier_redis_codec_ll_parse(rep->element[0]->str,
					   rep->element[0]->len, &sec) != QUIRE_OK ||
		 tier_redis_codec_ll_parse(rep->element[1]->str,
					   rep->element[1]->len, &usec) != QUIRE_OK ||
		 sec < 0 || usec < 0 || usec >= 1000000) {
		redis_set_err(r, "malformed time");
		rc = QUIRE_EPARSE;
	} else
		*ms = sec * 1000 + usec / 1000;
	freeReplyObject(rep);
	return rc;
}

enum quire_err tier_redis_clock_offset(struct tier_redis *r,
				       long long *offset_ms)
{
	double before, after;
	long long theirs;
	enum quire_err rc;

	before = quire_now_ms();
	if ((rc = tier_redis_time(r, &theirs)) != QUIRE_OK)
		return rc;
	after = quire_now_ms();
	/* Redis read its clock somewhere in the round trip: its middle is
	 * off by half of it at most; one slower than the bound measures
	 * nothing worth keeping. Against the monotonic clock, not this
	 * host's wall clock: a step of that (NTP, an operator) then moves
	 * nothing until the next measure, and nothing after it either. */
	if (after - before > TIER_REDIS_CLOCK_RTT_MAX_MS)
		return QUIRE_ETIMEOUT;
	*offset_ms = theirs - (long long)(before + (after - before) / 2);
	r->clock_offset_ms = *offset_ms;
	r->clock_known = 1;
	return QUIRE_OK;
}

long long tier_redis_site_seconds(struct tier_redis *r)
{
	long long offset, ms;

	if (!r->clock_known && tier_redis_clock_offset(r, &offset) != QUIRE_OK)
		return (long long)time(NULL);
	ms = (long long)quire_now_ms() + r->clock_offset_ms;
	return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
}

/* HMGET KEY fields... in the order of enum tier_redis_field. */
static void cmd_hmget_post(struct redis_cmd *c, const char *key, size_t keylen)
{
	int i;

	c->argc = 0;
	redis_cmd_adds(c, "HMGET");
	redis_cmd_add(c, key, keylen);
	for (i = 0; i < TIER_REDIS_F__MAX; i++)
		redis_cmd_adds(c, tier_redis_codec_field_names[i]);
}

/* A record from HMGET's reply. QUIRE_ENOTFOUND when absent. */
static enum quire_err post_from_reply(struct tier_redis *r, const char *slug,
				      const redisReply *rep,
				      struct record **out)
{
	const char *val[TIER_REDIS_F__MAX];
	size_t len[TIER_REDIS_F__MAX];
	size_t i;
	enum quire_err rc;

	*out = NULL;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != TIER_REDIS_F__MAX)
		return redis_fail_reply(r, rep, "hmget post");
	for (i = 0; i < TIER_REDIS_F__MAX; i++) {
		const redisReply *e = rep->element[i];

		val[i] = e->type == REDIS_REPLY_STRING ? e->str : NULL;
		len[i] = e->type == REDIS_REPLY_STRING ? e->len : 0;
	}
	rc = tier_redis_codec_fields_decode(slug, val, len, out);
	if (rc == QUIRE_EPARSE)
		redis_set_err(r, "malformed post hash of '%.200s'", slug);
	else if (rc == QUIRE_EVERSION)
		redis_set_err(r, "post hash of '%.200s' in a later format",
			      slug);
	return rc;
}

enum quire_err tier_redis_fetch(struct tier_redis *r, const char *slug,
				struct record **out)
{
	char key[REDIS_KEY_MAX + 1];
	const char *argv[2 + TIER_REDIS_F__MAX];
	size_t argvlen[2 + TIER_REDIS_F__MAX];
	struct redis_cmd c = { argv, argvlen, 0, 2 + TIER_REDIS_F__MAX };
	redisReply *rep;
	size_t klen;
	enum quire_err rc;

	*out = NULL;
	klen = key_post(r, slug, key);
	if (!klen)
		return QUIRE_EINVAL;
	cmd_hmget_post(&c, key, klen);
	rep = redis_command(r, &c);
	if (!rep)
		return QUIRE_EIO;
	rc = post_from_reply(r, slug, rep, out);
	freeReplyObject(rep);
	return rc;
}

/*
 * One round trip for n posts. A post whose hash does not decode is left
 * NULL like a missing one (the caller reads it from PostgreSQL instead);
 * only the connection or memory failing fails the call.
 */
enum quire_err tier_redis_fetch_many(struct tier_redis *r,
				     const char *const *slugs, size_t n,
				     struct record ***out)
{
	char key[REDIS_KEY_MAX + 1];
	const char *argv[2 + TIER_REDIS_F__MAX];
	size_t argvlen[2 + TIER_REDIS_F__MAX];
	struct redis_cmd c = { argv, argvlen, 0, 2 + TIER_REDIS_F__MAX };
	struct record **v = NULL;
	redisReply *rep;
	size_t i, pending = 0, sent = 0;
	enum quire_err rc = QUIRE_EINVAL;

	*out = NULL;
	if (n > QUIRE_MAX_POSTS)
		return QUIRE_EINVAL;
	for (i = 0; i < n; i++)
		if (!key_post(r, slugs[i], key))
			return QUIRE_EINVAL;
	if (tier_redis_broken(r) || r->subscribed)
		return QUIRE_EIO;
	rc = QUIRE_ENOMEM;
	v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		goto out;
	for (i = 0; i < n; i++) {
		cmd_hmget_post(&c, key, key_post(r, slugs[i], key));
		if ((rc = redis_pipe_append(r, &c, &pending)) != QUIRE_OK)
			goto out;
		sent++;
	}
	rc = QUIRE_OK;
	for (i = 0; i < sent; i++) {
		enum quire_err one;

		if ((rc = redis_pipe_reply(r, &rep)) != QUIRE_OK)
			goto out;
		one = post_from_reply(r, slugs[i], rep, &v[i]);
		freeReplyObject(rep);
		if (one == QUIRE_ENOMEM) {
			/* Keep reading: the replies must all be consumed. */
			rc = QUIRE_ENOMEM;
		} else if (one == QUIRE_EIO && rc == QUIRE_OK) {
			rc = QUIRE_EIO;
		}
	}
out:
	if (rc != QUIRE_OK) {
		record_array_free(v, n);
		return rc;
	}
	*out = v;
	return QUIRE_OK;
}

/* A NUL-terminated slug from a hash field name; NULL if it cannot be one. */
static char *slug_from_reply(const redisReply *e)
{
	if (e->type != REDIS_REPLY_STRING || e->len == 0 ||
	    e->len > QUIRE_MAX_SLUG || memchr(e->str, '\0', e->len))
		return NULL;
	return strndup(e->str, e->len);
}

enum quire_err tier_redis_config_set(struct tier_redis *r, const char *text,
				     size_t len)
{
	char key[REDIS_KEY_MAX + 1];
	const char *argv[3];
	size_t argvlen[3];
	struct redis_cmd c = { argv, argvlen, 0, 3 };
	redisReply *rep;
	enum quire_err rc = QUIRE_OK;

	redis_cmd_adds(&c, text ? "SET" : "DEL");
	redis_cmd_add(&c, key, redis_key_fixed(r, "site", key));
	if (text)
		redis_cmd_add(&c, text, len);
	rep = redis_command(r, &c);
	if (!rep)
		return QUIRE_EIO;
	if (rep->type == REDIS_REPLY_ERROR)
		rc = redis_fail_reply(r, rep, "set site");
	freeReplyObject(rep);
	return rc;
}

/*
 * KEYS[1] the index, KEYS[2] the generation, KEYS[3] site.yaml: one
 * snapshot, as a script. Not MULTI: a Redis out of memory refuses every command queued
 * in a transaction, reads too, and a Redis that refuses writes but
 * answers reads must still give the site to a worker that loads while
 * PostgreSQL is down (DESIGN §8). A script that only reads is not
 * refused. Its nil generation comes back as false, which Redis answers
 * as nil. ARGV[1] is the post keys' prefix: the fourth element is each
 * entry's post key's generation ("" when none), which the index entry
 * does not carry (its format stays QIX2) and a worker's floor orders
 * versions by (tiers_floor.h). The two are written together, by every
 * script that writes a post.
 */
static const char index_script[] =
	"local idx = redis.call('HGETALL', KEYS[1])\n"
	"local gens = {}\n"
	"for i = 1, #idx, 2 do\n"
	"  gens[#gens + 1] = redis.call('HGET', ARGV[1] .. idx[i],\n"
	"                               'generation') or ''\n"
	"end\n"
	"return {idx, redis.call('GET', KEYS[2]), redis.call('GET', KEYS[3]),\n"
	" gens}\n";

static redisReply *script_run(struct tier_redis *r, struct redis_cmd *c,
			      const char *src, char **sha);

enum quire_err tier_redis_index(struct tier_redis *r, struct record ***out,
				size_t *n, long long *generation)
{
	return tier_redis_index_site(r, out, n, generation, NULL, NULL);
}

/* An index entry's generation as index_script gives it: "" none (0). */
static enum quire_err entry_generation(const redisReply *e, long long *out)
{
	*out = 0;
	if (e->type != REDIS_REPLY_STRING)
		return QUIRE_EPARSE;
	if (e->len == 0)
		return QUIRE_OK;
	if (tier_redis_codec_ll_parse(e->str, e->len, out) != QUIRE_OK ||
	    *out < 0)
		return QUIRE_EPARSE;
	return QUIRE_OK;
}

enum quire_err tier_redis_index_site(struct tier_redis *r,
				     struct record ***out, size_t *n,
				     long long *generation, char **config,
				     size_t *config_len)
{
	char kindex[REDIS_KEY_MAX + 1], kgen[REDIS_KEY_MAX + 1];
	char ksite[REDIS_KEY_MAX + 1];
	char kpost[REDIS_KEY_MAX + 1];
	const char *argv[7];
	size_t argvlen[7];
	struct redis_cmd c = { argv, argvlen, 0, 7 };
	struct record **v = NULL;
	redisReply *rep, *h, *g, *sc, *gens;
	size_t i, count = 0;
	enum quire_err rc;

	*out = NULL;
	*n = 0;
	if (config) {
		*config = NULL;
		*config_len = 0;
	}
	if (tier_redis_broken(r) || r->subscribed)
		return QUIRE_EIO;
	redis_cmd_add(&c, NULL, 0); /* EVALSHA or EVAL */
	redis_cmd_add(&c, NULL, 0); /* the sha or the script */
	redis_cmd_adds(&c, "3");
	redis_cmd_add(&c, kindex, redis_key_fixed(r, "index", kindex));
	redis_cmd_add(&c, kgen, redis_key_fixed(r, "generation", kgen));
	redis_cmd_add(&c, ksite, redis_key_fixed(r, "site", ksite));
	redis_cmd_add(&c, kpost, redis_key_fixed(r, "post:", kpost));
	rep = script_run(r, &c, index_script, &r->index_sha);
	if (!rep)
		return QUIRE_EIO;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 4) {
		rc = redis_fail_reply(r, rep, "read index");
		freeReplyObject(rep);
		return rc;
	}
	h = rep->element[0];
	g = rep->element[1];
	sc = rep->element[2];
	gens = rep->element[3];
	if (g->type == REDIS_REPLY_NIL) {
		rc = QUIRE_ENOTFOUND;
		goto out;
	}
	if (g->type != REDIS_REPLY_STRING || h->type != REDIS_REPLY_ARRAY ||
	    h->elements % 2 || gens->type != REDIS_REPLY_ARRAY ||
	    gens->elements != h->elements / 2) {
		rc = redis_fail_reply(r, g, "read index");
		goto out;
	}
	if (tier_redis_codec_ll_parse(g->str, g->len, generation) != QUIRE_OK) {
		redis_set_err(r, "malformed generation");
		rc = QUIRE_EPARSE;
		goto out;
	}
	rc = QUIRE_ENOMEM;
	v = calloc(h->elements / 2 + 1, sizeof(*v));
	if (!v)
		goto out;
	for (i = 0; i + 1 < h->elements; i += 2) {
		const redisReply *val = h->element[i + 1];
		char *slug = slug_from_reply(h->element[i]);

		/* A bad entry fails the whole index: a post missing from it
		 * would be answered 404, PostgreSQL is the better source. */
		if (!slug || val->type != REDIS_REPLY_STRING) {
			free(slug);
			redis_set_err(r, "malformed index entry");
			rc = QUIRE_EPARSE;
			goto out;
		}
		rc = tier_redis_codec_index_parse(slug, val->str, val->len,
						  &v[count]);
		if (rc != QUIRE_OK) {
			redis_set_err(r, "malformed index entry of '%.200s'",
				      slug);
			free(slug);
			goto out;
		}
		free(slug);
		if (entry_generation(gens->element[i / 2], &v[count]->generation)
		    != QUIRE_OK) {
			redis_set_err(r, "malformed generation of an index entry");
			rc = QUIRE_EPARSE;
			count++;
			goto out;
		}
		count++;
	}
	if (config && sc->type == REDIS_REPLY_STRING) {
		*config = malloc(sc->len + 1);
		if (!*config) {
			rc = QUIRE_ENOMEM;
			goto out;
		}
		memcpy(*config, sc->str, sc->len);
		(*config)[sc->len] = '\0';
		*config_len = sc->len;
	}
	*out = v;
	*n = count;
	v = NULL;
	rc = QUIRE_OK;
out:
	record_array_free(v, count);
	freeReplyObject(rep);
	return rc;
}

/* Index entries of n slugs in one HMGET; a malformed one is NULL like a
 * missing one (the caller reads it from PostgreSQL instead). */
enum quire_err tier_redis_index_many(struct tier_redis *r,
				     const char *const *slugs, size_t n,
				     struct record ***out)
{
	char key[REDIS_KEY_MAX + 1];
	struct redis_cmd c;
	struct record **v = NULL;
	redisReply *rep = NULL;
	size_t i;
	enum quire_err rc;

	*out = NULL;
	if (n > QUIRE_MAX_POSTS)
		return QUIRE_EINVAL;
	for (i = 0; i < n; i++)
		if (!slugs[i] || strnlen(slugs[i], QUIRE_MAX_SLUG + 1) > QUIRE_MAX_SLUG ||
		    !slugs[i][0])
			return QUIRE_EINVAL;
	v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		return QUIRE_ENOMEM;
	if (n == 0) {
		*out = v;
		return QUIRE_OK;
	}
	if ((rc = redis_cmd_init(&c, (int)n + 2)) != QUIRE_OK)
		goto out;
	redis_cmd_adds(&c, "HMGET");
	redis_cmd_add(&c, key, redis_key_fixed(r, "index", key));
	for (i = 0; i < n; i++)
		redis_cmd_adds(&c, slugs[i]);
	rep = redis_command(r, &c);
	redis_cmd_release(&c);
	rc = QUIRE_EIO;
	if (!rep)
		goto out;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != n) {
		rc = redis_fail_reply(r, rep, "hmget index");
		goto out;
	}
	for (i = 0; i < n; i++) {
		const redisReply *e = rep->element[i];

		if (e->type != REDIS_REPLY_STRING)
			continue;
		rc = tier_redis_codec_index_parse(slugs[i], e->str, e->len,
						  &v[i]);
		if (rc == QUIRE_ENOMEM)
			goto out;
		if (rc != QUIRE_OK)
			redis_set_err(r, "malformed index entry of '%.200s'",
				      slugs[i]);
	}
	*out = v;
	v = NULL;
	rc = QUIRE_OK;
out:
	record_array_free(v, n);
	freeReplyObject(rep);
	return rc;
}

/* ---------------------------------------------------------- writes */

/* The write put_script and refresh_script end with, once their guard
 * let it through: the post hash replaced whole (fields the new record
 * lacks, a path, a toc, a date, must not survive from the old one) and
 * its index entry, or a tombstone (of generation gen, a Lua local the
 * guard sets, when > 0) and the entry removed. ARGV as put_script's. */
#define WRITE_POST_LUA \
	"redis.call('DEL', KEYS[1])\n" \
	"if ARGV[3] == '' then\n" \
	"  redis.call('HSET', KEYS[1], 'revision', ARGV[4])\n" \
	"  if gen > 0 then redis.call('HSET', KEYS[1], 'generation', gen) end\n" \
	"  redis.call('EXPIRE', KEYS[1], ARGV[5])\n" \
	"  redis.call('HDEL', KEYS[2], ARGV[1])\n" \
	"  return 1\n" \
	"end\n" \
	"redis.call('HSET', KEYS[1], unpack(ARGV, 6))\n" \
	"redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])\n" \
	"return 1\n"

/*
 * One post of a store, inside its MULTI. KEYS[1] the post key, KEYS[2]
 * the index; ARGV[1] the slug, ARGV[2] the generation the change is of
 * (0: unknown), ARGV[3] its index entry, or "" for a deletion, ARGV[4]
 * the tombstone, ARGV[5] its TTL, ARGV[6...] field/value pairs of the
 * post hash. A copy of a later generation stays: two writers (two
 * hosts' committers) commit one slug in one order and may store it in
 * the other, and the older, stored last, stayed until the next write of
 * the slug while every worker was told of the newer (issue 15). KEYS[3]
 * the restore's floor (tier_redis_restore_floor): a change of a
 * generation at or below it is of the history a restore took back — a
 * committer that stored it after the restore put a post the database
 * no longer holds in front of every worker (the coherence checker, seed
 * 1605). Sent as EVAL, not EVALSHA: a script the server forgot would
 * fail inside EXEC, after the others.
 */
static const char put_script[] = /* "#!lua": see fill_script */
	"#!lua\n"
	"local cur = tonumber(redis.call('HGET', KEYS[1], 'generation') or '')\n"
	"local gen = tonumber(ARGV[2])\n"
	"local floor = tonumber(redis.call('GET', KEYS[3]) or '')\n"
	"if floor and gen > 0 and gen <= floor then return 0 end\n"
	"if cur and gen > 0 and cur > gen then return 0 end\n"
	WRITE_POST_LUA;

/* Queues, inside the MULTI, put_script for slug: rec's copy, or a
 * tombstone when rec is NULL, of generation gen. */
static enum quire_err queue_put(struct tier_redis *r, const char *slug,
				const struct record *rec, long long gen,
				size_t *pending)
{
	char key[REDIS_KEY_MAX + 1], kindex[REDIS_KEY_MAX + 1],
	     kfloor[REDIS_KEY_MAX + 1], ttl[24], g[24];
	const char *argv[11 + 2 * TIER_REDIS_F__MAX];
	size_t argvlen[11 + 2 * TIER_REDIS_F__MAX];
	struct redis_cmd c = { argv, argvlen, 0, 11 + 2 * TIER_REDIS_F__MAX };
	struct tier_redis_fields f;
	char *entry = NULL;
	size_t entry_len = 0;
	enum quire_err rc;

	snprintf(ttl, sizeof(ttl), "%d", TOMBSTONE_TTL);
	snprintf(g, sizeof(g), "%lld", gen > 0 ? gen : 0);
	if (rec) {
		if ((rc = tier_redis_codec_fields_encode(rec, &f)) != QUIRE_OK)
			return rc;
		/* the copy keeps the generation it was guarded by */
		f.val[TIER_REDIS_F_GENERATION] = gen > 0 ? g : NULL;
		f.len[TIER_REDIS_F_GENERATION] = gen > 0 ? strlen(g) : 0;
		rc = tier_redis_codec_index_encode(rec, &entry, &entry_len);
		if (rc != QUIRE_OK)
			return rc;
	}
	redis_cmd_adds(&c, "EVAL");
	redis_cmd_adds(&c, put_script);
	redis_cmd_adds(&c, "3");
	redis_cmd_add(&c, key, key_post(r, slug, key));
	redis_cmd_add(&c, kindex, redis_key_fixed(r, "index", kindex));
	redis_cmd_add(&c, kfloor, redis_key_fixed(r, "restored", kfloor));
	cmd_add_post_args(&c, slug, g, entry, entry_len, ttl, rec ? &f : NULL);
	rc = redis_pipe_append(r, &c, pending);
	free(entry);
	return rc;
}

/* Queues the records, each of its own generation, and the deletions,
 * of generation gen; *queued counts them. */
static enum quire_err queue_changes(struct tier_redis *r,
				    struct record *const *recs, size_t n,
				    char *const *deletes, size_t n_deletes,
				    long long gen, size_t *queued,
				    size_t *pending)
{
	size_t i;
	enum quire_err rc;

	for (i = 0; i < n; i++) {
		/* unstamped: of the store's generation */
		rc = queue_put(r, recs[i]->slug, recs[i],
			       recs[i]->generation ? recs[i]->generation : gen,
			       pending);
		if (rc != QUIRE_OK)
			return rc;
		(*queued)++;
	}
	for (i = 0; i < n_deletes; i++) {
		rc = queue_put(r, deletes[i], NULL, gen, pending);
		if (rc != QUIRE_OK)
			return rc;
		(*queued)++;
	}
	return QUIRE_OK;
}

/*
 * The records and deletions in one MULTI/EXEC, and every reply of the
 * EXEC checked (multi_replies): a command refused while queueing (out
 * of memory) aborts the whole transaction, but one that fails inside
 * EXEC (a key of the wrong type) does not stop the others.
 */
static enum quire_err store_changes(struct tier_redis *r,
				    struct record *const *recs, size_t n,
				    char *const *deletes, size_t n_deletes,
				    long long generation)
{
	const char *argv[1] = { "MULTI" };
	size_t argvlen[1] = { 5 };
	struct redis_cmd c = { argv, argvlen, 1, 1 };
	redisReply *exec = NULL;
	size_t queued = 0, pending = 0;
	enum quire_err rc;

	if ((rc = redis_pipe_append(r, &c, &pending)) != QUIRE_OK)
		return rc;
	rc = queue_changes(r, recs, n, deletes, n_deletes, generation, &queued,
			   &pending);
	if (rc != QUIRE_OK && !tier_redis_broken(r)) {
		/* Commands are queued already and the records were checked
		 * by the caller: only memory can fail here, and the
		 * transaction is half-sent. */
		r->broken = 1;
		redis_set_err(r, "%s: store", quire_strerror(rc));
		return QUIRE_EIO;
	}
	if (rc != QUIRE_OK)
		return rc;
	argv[0] = "EXEC";
	argvlen[0] = 4;
	if ((rc = redis_pipe_append(r, &c, &pending)) != QUIRE_OK)
		return rc;
	rc = multi_replies(r, queued, &exec, "store");
	freeReplyObject(exec);
	return rc;
}

/*
 * KEYS[1] the generation; ARGV[1] the new generation, ARGV[2] from. The
 * key moves only forward, and, with from > 0, only from from - 1 or
 * later: the store that calls it holds every change since from.
 */
static const char generation_script[] =
	"local cur = tonumber(redis.call('GET', KEYS[1]) or '')\n"
	"local gen, from = tonumber(ARGV[1]), tonumber(ARGV[2])\n"
	"if cur and cur >= gen then return 0 end\n"
	"if from > 0 and (not cur or cur < from - 1) then return 0 end\n"
	"redis.call('SET', KEYS[1], ARGV[1])\n"
	"return 1\n";

/* Moves the generation key by generation_script; *moved says whether. */
static enum quire_err store_generation(struct tier_redis *r,
				       long long generation, long long from,
				       int *moved)
{
	char kgen[REDIS_KEY_MAX + 1], gen[24], fr[24];
	const char *argv[6];
	size_t argvlen[6];
	struct redis_cmd c = { argv, argvlen, 0, 6 };
	redisReply *rep;
	enum quire_err rc = QUIRE_OK;

	snprintf(gen, sizeof(gen), "%lld", generation);
	snprintf(fr, sizeof(fr), "%lld", from);
	redis_cmd_add(&c, NULL, 0); /* EVALSHA or EVAL */
	redis_cmd_add(&c, NULL, 0); /* the sha or the script */
	redis_cmd_adds(&c, "1");
	redis_cmd_add(&c, kgen, redis_key_fixed(r, "generation", kgen));
	redis_cmd_adds(&c, gen);
	redis_cmd_adds(&c, fr);
	rep = script_run(r, &c, generation_script, &r->generation_sha);
	if (!rep)
		return QUIRE_EIO;
	if (rep->type != REDIS_REPLY_INTEGER)
		rc = redis_fail_reply(r, rep, "set generation");
	else
		*moved = rep->integer == 1;
	freeReplyObject(rep);
	return rc;
}

enum quire_err tier_redis_store(struct tier_redis *r,
				struct record *const *recs, size_t n,
				char *const *deletes, size_t n_deletes,
				long long generation, long long from,
				int *moved)
{
	char key[REDIS_KEY_MAX + 1];
	struct tier_redis_fields f;
	int set = 0;
	size_t i;
	enum quire_err rc = QUIRE_OK;

	if (moved)
		*moved = 0;
	if (n > QUIRE_MAX_POSTS || n_deletes > QUIRE_MAX_POSTS ||
	    generation < 0 || from < 0)
		return QUIRE_EINVAL;
	/* Check everything before the first byte goes out: a half-sent
	 * MULTI would leave the connection in a transaction. */
	for (i = 0; i < n; i++)
		if (!key_post(r, recs[i]->slug, key) ||
		    tier_redis_codec_fields_encode(recs[i], &f) != QUIRE_OK) {
			redis_set_err(r, "cannot store record %zu", i);
			return QUIRE_EIO;
		}
	for (i = 0; i < n_deletes; i++)
		if (!key_post(r, deletes[i], key)) {
			redis_set_err(r, "cannot delete slug %zu", i);
			return QUIRE_EIO;
		}
	if (tier_redis_broken(r) || r->subscribed)
		return QUIRE_EIO;
	if (n || n_deletes)
		rc = store_changes(r, recs, n, deletes, n_deletes,
				   generation);
	/* Only once every record is written: the key names them. */
	if (rc == QUIRE_OK && generation > 0)
		rc = store_generation(r, generation, from, &set);
	if (moved)
		*moved = set;
	return rc == QUIRE_OK ? QUIRE_OK : QUIRE_EIO;
}

enum quire_err tier_redis_drop(struct tier_redis *r)
{
	char kindex[REDIS_KEY_MAX + 1], kgen[REDIS_KEY_MAX + 1];
	const char *argv[3] = { "DEL" };
	size_t argvlen[3] = { 3 };
	struct redis_cmd c = { argv, argvlen, 1, 3 };
	redisReply *rep;
	enum quire_err rc = QUIRE_OK;

	if (tier_redis_broken(r) || r->subscribed)
		return QUIRE_EIO;
	/* One command: the key never outlives the index it named. */
	redis_cmd_add(&c, kgen, redis_key_fixed(r, "generation", kgen));
	redis_cmd_add(&c, kindex, redis_key_fixed(r, "index", kindex));
	rep = redis_command(r, &c);
	if (!rep)
		return QUIRE_EIO;
	if (rep->type != REDIS_REPLY_INTEGER)
		rc = redis_fail_reply(r, rep, "drop");
	freeReplyObject(rep);
	return rc;
}

/* KEYS[1] the restore's floor; ARGV[1] a floor: it only rises. Out of
 * memory Redis refuses it (its one write is checked, flag or not): the
 * caller goes on, those stores being refused alike (tiers_restore.c). */
static const char floor_script[] =
	"local cur = tonumber(redis.call('GET', KEYS[1]) or '')\n"
	"if cur and cur >= tonumber(ARGV[1]) then return 0 end\n"
	"redis.call('SET', KEYS[1], ARGV[1])\n"
	"return 1\n";

enum quire_err tier_redis_restore_floor(struct tier_redis *r, long long floor)
{
	char kfloor[REDIS_KEY_MAX + 1], fl[24];
	const char *argv[5];
	size_t argvlen[5];
	struct redis_cmd c = { argv, argvlen, 0, 5 };
	redisReply *rep;
	enum quire_err rc = QUIRE_OK;

	if (floor < 0)
		return QUIRE_EINVAL;
	if (tier_redis_broken(r) || r->subscribed)
		return QUIRE_EIO;
	snprintf(fl, sizeof(fl), "%lld", floor);
	redis_cmd_adds(&c, "EVAL");
	redis_cmd_adds(&c, floor_script);
	redis_cmd_adds(&c, "1");
	redis_cmd_add(&c, kfloor, redis_key_fixed(r, "restored", kfloor));
	redis_cmd_adds(&c, fl);
	rep = redis_command(r, &c);
	if (!rep)
		return QUIRE_EIO;
	if (rep->type != REDIS_REPLY_INTEGER)
		rc = redis_fail_reply(r, rep, "restore floor");
	freeReplyObject(rep);
	return rc;
}

/* SCAN's pattern of every post key of r: the prefix with glob's
 * special characters escaped, then post:*. */
static void pattern_posts(const struct tier_redis *r, char *pat, size_t size)
{
	size_t i, n = 0;

	for (i = 0; i < r->prefix_len && n + 2 < size; i++) {
		if (strchr("*?[]\\", r->prefix[i]))
			pat[n++] = '\\';
		pat[n++] = r->prefix[i];
	}
	snprintf(pat + n, size - n, "post:*");
}

/* The generation fields of keys (a SCAN's page) into *max. */
static enum quire_err keys_generation_max(struct tier_redis *r,
					  const redisReply *keys,
					  long long *max)
{
	const char *argv[3] = { "HGET", NULL, "generation" };
	size_t argvlen[3] = { 4, 0, 10 };
	struct redis_cmd c = { argv, argvlen, 3, 3 };
	redisReply *rep;
	size_t i, pending = 0;
	long long g;
	enum quire_err rc;

	for (i = 0; i < keys->elements; i++) {
		if (keys->element[i]->type != REDIS_REPLY_STRING)
			return redis_fail_reply(r, keys->element[i], "scan");
		argv[1] = keys->element[i]->str;
		argvlen[1] = keys->element[i]->len;
		if ((rc = redis_pipe_append(r, &c, &pending)) != QUIRE_OK)
			return rc;
	}
	for (i = 0; i < keys->elements; i++) {
		if ((rc = redis_pipe_reply(r, &rep)) != QUIRE_OK)
			return rc;
		/* A key of another type, or none, has no generation. */
		if (rep->type == REDIS_REPLY_STRING &&
		    tier_redis_codec_ll_parse(rep->str, rep->len, &g) == QUIRE_OK &&
		    g > *max)
			*max = g;
		freeReplyObject(rep);
	}
	return QUIRE_OK;
}

enum quire_err tier_redis_copies_generation(struct tier_redis *r,
					    long long *max)
{
	char pat[2 * TIER_REDIS_MAX_PREFIX + 8], cursor[32] = "0";
	const char *argv[6] = { "SCAN", cursor, "MATCH", pat, "COUNT", "1000" };
	size_t argvlen[6];
	struct redis_cmd c = { argv, argvlen, 6, 6 };
	redisReply *rep;
	enum quire_err rc = QUIRE_OK;
	int i;

	*max = 0;
	if (tier_redis_broken(r) || r->subscribed)
		return QUIRE_EIO;
	pattern_posts(r, pat, sizeof(pat));
	do {
		for (i = 0; i < 6; i++)
			argvlen[i] = strlen(argv[i]);
		if (!(rep = redis_command(r, &c)))
			return QUIRE_EIO;
		if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 ||
		    rep->element[0]->type != REDIS_REPLY_STRING ||
		    rep->element[0]->len >= sizeof(cursor) ||
		    rep->element[1]->type != REDIS_REPLY_ARRAY) {
			rc = redis_fail_reply(r, rep, "scan");
			freeReplyObject(rep);
			return rc;
		}
		memcpy(cursor, rep->element[0]->str, rep->element[0]->len);
		cursor[rep->element[0]->len] = '\0';
		rc = keys_generation_max(r, rep->element[1], max);
		freeReplyObject(rep);
	} while (rc == QUIRE_OK && strcmp(cursor, "0") != 0);
	return rc;
}

/* Runs a script by EVALSHA, loading it first, falling back to EVAL when
 * the server forgot it (NOSCRIPT: SCRIPT FLUSH, a restart) or refused
 * to load it. c->argv[0] and [1] are filled here. */
static redisReply *script_run(struct tier_redis *r, struct redis_cmd *c,
			      const char *src, char **sha)
{
	redisReply *rep;

	if (!*sha) {
		const char *argv[3] = { "SCRIPT", "LOAD", src };
		size_t argvlen[3] = { 6, 4, strlen(src) };
		struct redis_cmd load = { argv, argvlen, 3, 3 };

		rep = redis_command(r, &load);
		if (!rep)
			return NULL;
		if (rep->type == REDIS_REPLY_STRING && rep->len == 40)
			*sha = strndup(rep->str, rep->len);
		freeReplyObject(rep);
	}
	if (*sha) {
		c->argv[0] = "EVALSHA";
		c->argvlen[0] = 7;
		c->argv[1] = *sha;
		c->argvlen[1] = 40;
		rep = redis_command(r, c);
		if (!rep || rep->type != REDIS_REPLY_ERROR ||
		    strncmp(rep->str, "NOSCRIPT", 8) != 0)
			return rep;
		freeReplyObject(rep);
		free(*sha);
		*sha = NULL;
	}
	c->argv[0] = "EVAL";
	c->argvlen[0] = 4;
	c->argv[1] = src;
	c->argvlen[1] = strlen(src);
	return redis_command(r, c);
}

/* A post's script whose answer is an integer: *n gets it (n may be
 * NULL). QUIRE_OK, else QUIRE_EIO with the error kept. */
static enum quire_err script_integer(struct tier_redis *r,
				     struct redis_cmd *c, const char *src,
				     char **sha, const char *what,
				     long long *n)
{
	redisReply *rep = script_run(r, c, src, sha);
	enum quire_err rc = QUIRE_OK;

	if (!rep)
		return QUIRE_EIO;
	if (rep->type != REDIS_REPLY_INTEGER)
		rc = redis_fail_reply(r, rep, what);
	else if (n)
		*n = rep->integer;
	freeReplyObject(rep);
	return rc;
}

enum quire_err tier_redis_fill(struct tier_redis *r, const struct record *rec)
{
	char key[REDIS_KEY_MAX + 1], kindex[REDIS_KEY_MAX + 1], rev[24],
	     gen[24];
	const char *argv[10 + 2 * TIER_REDIS_F__MAX];
	size_t argvlen[10 + 2 * TIER_REDIS_F__MAX];
	struct redis_cmd c = { argv, argvlen, 0, 10 + 2 * TIER_REDIS_F__MAX };
	struct tier_redis_fields f;
	char *entry = NULL;
	size_t klen, entry_len;
	enum quire_err rc = QUIRE_EIO;

	klen = key_post(r, rec->slug, key);
	if (!klen || tier_redis_codec_fields_encode(rec, &f) != QUIRE_OK ||
	    tier_redis_codec_index_encode(rec, &entry,
					  &entry_len) != QUIRE_OK) {
		redis_set_err(r, "cannot fill '%.200s': bad record",
			      rec->slug ? rec->slug : "");
		goto out;
	}
	snprintf(rev, sizeof(rev), "%lld", rec->revision);
	snprintf(gen, sizeof(gen), "%lld",
		 rec->generation > 0 ? rec->generation : 0);
	redis_cmd_add(&c, NULL, 0); /* EVALSHA or EVAL */
	redis_cmd_add(&c, NULL, 0); /* the sha or the script */
	redis_cmd_adds(&c, "2");
	redis_cmd_add(&c, key, klen);
	redis_cmd_add(&c, kindex, redis_key_fixed(r, "index", kindex));
	redis_cmd_adds(&c, rec->slug);
	redis_cmd_adds(&c, rev);
	redis_cmd_adds(&c, gen);
	redis_cmd_add(&c, entry, entry_len);
	cmd_add_fields(&c, &f);
	rc = script_integer(r, &c, fill_script, &r->fill_sha, "fill", NULL);
out:
	free(entry);
	return rc;
}

/* ---------------------------------------------------- whole rewrites */

/*
 * KEYS[1] the post key, KEYS[2] the index; ARGV[1] the slug, ARGV[2]
 * the stamp the caller read (tier_redis_stamp's "REVISION HASH", "" for
 * none), ARGV[3] the index entry ("" to delete), ARGV[4] the tombstone,
 * ARGV[5] its TTL, ARGV[6...] field/value pairs of the post hash. A post
 * key whose stamp moved since is left: a writer stored a newer version.
 */
static const char refresh_script[] = /* "#!lua": see fill_script */
	"#!lua\n"
	"local v = redis.call('HMGET', KEYS[1], 'revision', 'hash')\n"
	"local now = ''\n"
	"if v[1] then now = v[1] .. ' ' .. (v[2] or '') end\n"
	"if now ~= ARGV[2] then return 0 end\n"
	"local gen = 0\n"
	WRITE_POST_LUA;

static int reply_str(const redisReply *e, const char **s, size_t *len)
{
	if (e->type != REDIS_REPLY_STRING)
		return 0;
	*s = e->str;
	*len = e->len;
	return 1;
}

enum quire_err tier_redis_stamp(struct tier_redis *r, const char *slug,
				char **out)
{
	char key[REDIS_KEY_MAX + 1];
	const char *argv[4], *rev, *hash = "";
	size_t argvlen[4], klen, rev_len, hash_len = 0;
	struct redis_cmd c = { argv, argvlen, 0, 4 };
	redisReply *rep;

	*out = NULL;
	klen = key_post(r, slug, key);
	if (!klen) {
		redis_set_err(r, "stamp: bad slug");
		return QUIRE_EIO;
	}
	redis_cmd_adds(&c, "HMGET");
	redis_cmd_add(&c, key, klen);
	redis_cmd_adds(&c, tier_redis_codec_field_names[TIER_REDIS_F_REVISION]);
	redis_cmd_adds(&c, tier_redis_codec_field_names[TIER_REDIS_F_HASH]);
	rep = redis_command(r, &c);
	if (!rep)
		return QUIRE_EIO;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2) {
		enum quire_err rc = redis_fail_reply(r, rep, "stamp");

		freeReplyObject(rep);
		return rc;
	}
	if (!reply_str(rep->element[0], &rev, &rev_len)) {
		*out = strdup("");
	} else {
		(void)reply_str(rep->element[1], &hash, &hash_len);
		*out = malloc(rev_len + 1 + hash_len + 1);
		if (*out) {
			memcpy(*out, rev, rev_len);
			(*out)[rev_len] = ' ';
			memcpy(*out + rev_len + 1, hash, hash_len);
			(*out)[rev_len + 1 + hash_len] = '\0';
		}
	}
	freeReplyObject(rep);
	if (!*out) {
		redis_set_err(r, "stamp: out of memory");
		return QUIRE_EIO;
	}
	return QUIRE_OK;
}

enum quire_err tier_redis_refresh(struct tier_redis *r, const char *slug,
				  const struct record *rec, const char *stamp,
				  int *written)
{
	char key[REDIS_KEY_MAX + 1], kindex[REDIS_KEY_MAX + 1], ttl[24];
	const char *argv[10 + 2 * TIER_REDIS_F__MAX];
	size_t argvlen[10 + 2 * TIER_REDIS_F__MAX];
	struct redis_cmd c = { argv, argvlen, 0, 10 + 2 * TIER_REDIS_F__MAX };
	struct tier_redis_fields f;
	long long n = 0;
	char *entry = NULL;
	size_t klen, entry_len = 0;
	enum quire_err rc = QUIRE_EIO;

	*written = 0;
	klen = key_post(r, slug, key);
	if (!klen || (rec && (tier_redis_codec_fields_encode(rec, &f) != QUIRE_OK ||
			      tier_redis_codec_index_encode(rec, &entry,
							    &entry_len) != QUIRE_OK))) {
		redis_set_err(r, "cannot rewrite '%.200s': bad record", slug);
		goto out;
	}
	snprintf(ttl, sizeof(ttl), "%d", TOMBSTONE_TTL);
	redis_cmd_add(&c, NULL, 0); /* EVALSHA or EVAL */
	redis_cmd_add(&c, NULL, 0); /* the sha or the script */
	redis_cmd_adds(&c, "2");
	redis_cmd_add(&c, key, klen);
	redis_cmd_add(&c, kindex, redis_key_fixed(r, "index", kindex));
	cmd_add_post_args(&c, slug, stamp, entry, entry_len, ttl,
			  rec ? &f : NULL);
	rc = script_integer(r, &c, refresh_script, &r->refresh_sha, "rewrite",
			    &n);
	if (rc == QUIRE_OK)
		*written = n == 1;
out:
	free(entry);
	return rc;
}
