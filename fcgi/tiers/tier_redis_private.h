/*
 * tier_redis_private.h - what tier_redis.c shares with the other tier_redis*.c
 *
 * The connection (struct tier_redis), argv building, key names and the
 * command and pipeline calls, defined in tier_redis.c and used by the
 * cache (tier_redis_cache.c), the worker registry (tier_redis_workers.c)
 * and the channels (tier_redis_pubsub.c). Internal to the Redis tier:
 * nothing else includes it. It names hiredis's types without including
 * hiredis, so that only tier_redis*.c include hiredis headers; each of
 * them includes <hiredis/hiredis.h> itself.
 */
#ifndef QUIRE_TIER_REDIS_PRIVATE_H
#define QUIRE_TIER_REDIS_PRIVATE_H

#include <stddef.h>

#include "lib/limits.h"
#include "lib/quire.h"
#include "tiers/tier_redis_codec.h"

/* hiredis's redisContext and redisReply. */
struct redisContext;
struct redisReply;

/* The longest key: PREFIX, a fixed name or "post:", a slug. */
#define REDIS_KEY_MAX (TIER_REDIS_MAX_PREFIX + 16 + QUIRE_MAX_SLUG)

struct tier_redis {
	struct redisContext *ctx;
	char prefix[TIER_REDIS_MAX_PREFIX + 1];
	size_t prefix_len;
	int timeout_ms;
	int subscribed;
	int broken;              /* set by us when ctx->err is not enough */
	char *fill_sha;          /* SCRIPT LOAD's answer, or NULL */
	char *generation_sha;    /* the same, for the generation's script */
	char *index_sha;         /* the same, for the index's */
	char *refresh_sha;       /* the same, for a rewrite's */
	char err[256];
	/* Redis's clock less this host's monotonic one, in ms, as last
	 * measured on this connection (tier_redis_clock_offset);
	 * clock_known 0: never. */
	long long clock_offset_ms;
	int clock_known;
	/* Messages that came while tier_redis_sub_ping waited for its pong,
	 * oldest first; tier_redis_wait returns them before reading. */
	char **queue;
	size_t q_head;
	size_t q_len;
	size_t q_cap;
};

/* An argv under construction; the strings are borrowed. */
struct redis_cmd {
	const char **argv;
	size_t *argvlen;
	int argc;
	int cap;
};

/* r->err gets the message (cut to its size). */
void redis_set_err(struct tier_redis *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A connection-level failure of what: r is broken from now on.
 * Returns QUIRE_EIO. */
enum quire_err redis_fail_io(struct tier_redis *r, const char *what);
/* An error (or unexpected) reply rep to what: the connection is fine.
 * Returns QUIRE_EIO. */
enum quire_err redis_fail_reply(struct tier_redis *r,
				const struct redisReply *rep, const char *what);

/* c with room for cap arguments, on the heap; QUIRE_OK or QUIRE_ENOMEM.
 * Free with redis_cmd_release(). */
enum quire_err redis_cmd_init(struct redis_cmd *c, int cap);
void redis_cmd_release(struct redis_cmd *c);
/* Appends s[0, len) (borrowed); more than c->cap arguments aborts. */
void redis_cmd_add(struct redis_cmd *c, const char *s, size_t len);
void redis_cmd_adds(struct redis_cmd *c, const char *s);

/* PREFIX NAME into key (REDIS_KEY_MAX + 1 bytes); its length. */
size_t redis_key_fixed(const struct tier_redis *r, const char *name,
		       char *key);

/* Runs c and returns its reply (free with freeReplyObject); NULL when
 * the connection failed (r is then broken) or is subscribed. */
struct redisReply *redis_command(struct tier_redis *r,
				 const struct redis_cmd *c);
/* Pipelines: redis_pipe_append queues c (adding its bytes to *pending,
 * and writing out when enough are), redis_pipe_flush writes out what is
 * queued, redis_pipe_reply reads the next reply into *rep. QUIRE_OK or
 * QUIRE_EIO (r is then broken). */
enum quire_err redis_pipe_flush(struct tier_redis *r);
enum quire_err redis_pipe_append(struct tier_redis *r,
				 const struct redis_cmd *c, size_t *pending);
enum quire_err redis_pipe_reply(struct tier_redis *r, struct redisReply **rep);
/* True when rep is the status reply s ("OK", "QUEUED"). */
int redis_is_status(const struct redisReply *rep, const char *s);

#endif
