/*
 * tiers.h - the read path below L1: Redis (L2), then PostgreSQL (L3)
 *
 * One struct tiers per process (never shared across fork or threads):
 * it owns its connections, opens them lazily and, after a failure, drops
 * the connection and waits a back-off before trying that tier again, so
 * a dead tier costs a request nothing but the skip.
 */
#ifndef QUIRE_TIERS_H
#define QUIRE_TIERS_H

#include <stddef.h>

#include "content/content.h"
#include "content/record.h"
#include "lib/config.h"
#include "lib/quire.h"

struct tiers;
struct tiers_floor;

/* Returns a new handle for cfg's tiers (none connected yet), or NULL. */
struct tiers *tiers_new(const struct config *cfg);
void tiers_free(struct tiers *t);
/* t consults and keeps f from now on (tiers_floor.h; NULL: none), the
 * worker's memory of what it holds: a copy from Redis older than it is
 * never taken (tiers_fetch, tiers_fetch_source, tiers_load,
 * tiers_index_many), and what they take raises it. f is borrowed: it
 * outlives t. */
void tiers_use_floor(struct tiers *t, struct tiers_floor *f);
/* Connects to Redis now rather than at the first miss (best effort: a
 * failure is retried, with back-off, when a read needs it). */
void tiers_warm(struct tiers *t);
/* Forgets the reconnection back-off of both tiers: the next use of
 * each tries it now. For a caller that paces its own tries (a reload
 * owed, about once a second), so that a tier back is seen at once, not
 * up to the back-off's 5 s later. */
void tiers_try_now(struct tiers *t);
/* Closes t's Redis connection, if any: the next use makes a new one at
 * once. For a caller that learnt the server went away (its other
 * connection was lost): this one, idle meanwhile, broke unseen, and its
 * next command would fail for that alone. */
void tiers_redis_drop(struct tiers *t);
/* True when cfg names a Redis or a PostgreSQL: quire is not file-only. */
int tiers_configured(const struct config *cfg);

/* The version of a post a worker's index names: a body fetched for it
 * that is another version is not served with it. */
struct tiers_want {
	long long revision;
	unsigned long long hash;
};

/*
 * One post with its html: from Redis when Redis's copy is the version
 * want names (NULL: any), else from PostgreSQL (and then written back to
 * Redis over a missing or older copy only). So a copy that a store Redis
 * refused left older is never served. Returns QUIRE_OK, QUIRE_ENOTFOUND
 * (PostgreSQL has it not, or, none configured, Redis), or QUIRE_EIO (no
 * tier could answer, or only Redis, without it or with another
 * version). Caller frees *out with record_free().
 */
enum quire_err tiers_fetch(struct tiers *t, const char *slug,
			   const struct tiers_want *want, struct record **out);
/*
 * The same for the API's GET: PostgreSQL's version, the truth; only when
 * PostgreSQL cannot answer, Redis's copy if it is the version want names
 * (NULL: none is). QUIRE_OK, QUIRE_ENOTFOUND (PostgreSQL has none) or
 * QUIRE_EIO.
 */
enum quire_err tiers_fetch_source(struct tiers *t, const char *slug,
				  const struct tiers_want *want,
				  struct record **out);
/* The tier the last successful tiers_fetch read since the last call: 2
 * (Redis), 3 (PostgreSQL), or 0 (none); resets it. For the worker's
 * L1-miss histogram (metrics.h). */
int tiers_take_fetched_from(struct tiers *t);

/*
 * The whole site as posts without html (html is fetched per page): from
 * PostgreSQL, the truth, else from Redis. *generation gets the
 * generation of that snapshot. Returns QUIRE_OK or QUIRE_EIO. Caller
 * frees *out with content_free().
 */
enum quire_err tiers_load(struct tiers *t, struct content **out,
			  long long *generation);

/*
 * Index entries of some posts (no html), from Redis else PostgreSQL:
 * (*out)[i] is NULL for a slug that no longer exists. Returns QUIRE_OK
 * or QUIRE_EIO (also when an entry Redis lacks, or cannot read, cannot
 * be asked of PostgreSQL: absent from Redis is not gone). Caller frees with record_array_free(*out, n).
 */
enum quire_err tiers_index_many(struct tiers *t, const char *const *slugs,
				size_t n, struct record ***out);

/*
 * The site's clock, Redis's (TIME), less this host's monotonic clock
 * (quire_now_ms), in ms, measured over one round trip: off by half of
 * it at most, and one too long is refused (QUIRE_ETIMEOUT:
 * tier_redis_clock_offset). QUIRE_OK, or QUIRE_EIO (no Redis, or it
 * failed). The offset is kept on the connection too, which stamps the
 * registry's beats by it. DESIGN §13, "Clock skew".
 */
enum quire_err tiers_clock_offset(struct tiers *t, long long *offset_ms);

/* The generation: Redis's, else PostgreSQL's. QUIRE_OK or QUIRE_EIO.
 * *keyed (may be NULL) is 1 when it is Redis's key, which a writer sets
 * before it publishes: a key ahead of a worker may be a message on its
 * way, PostgreSQL's generation never is. */
enum quire_err tiers_generation(struct tiers *t, long long *generation);
enum quire_err tiers_generation_keyed(struct tiers *t, long long *generation,
				      int *keyed);
/* PostgreSQL's generation alone, the truth (Redis's key may be behind
 * it: DESIGN §6). QUIRE_OK, or QUIRE_EIO (none configured, or down). */
enum quire_err tiers_generation_truth(struct tiers *t, long long *generation);

/*
 * The connections themselves, for the write path (page_api.c): a usable
 * one, or NULL when that tier is not configured or is backing off after
 * a failure. Borrowed; after a failed call, report it with
 * tiers_pg_failed() so the next caller backs off.
 */
struct tier_pg *tiers_pg(struct tiers *t);
struct tier_redis *tiers_redis(struct tiers *t);
void tiers_pg_failed(struct tiers *t);

/*
 * A Redis connection subscribed to the acks channel (tier_redis_ack
 * publishes there), kept by whoever waits for acknowledgements.
 * tiers_acks_keep returns a->sub, made again when it broke or was never
 * made (after a refusal, not before a second has passed); NULL when
 * there is none now (the wait then polls). tiers_acks does it for t's
 * own while t's Redis connection is up.
 */
struct tiers_acks {
	struct tier_redis *sub;
	double retry_at;         /* after a failed subscription: not before */
};
struct tier_redis *tiers_acks_keep(struct tiers_acks *a,
				   const struct config *cfg);
void tiers_acks_close(struct tiers_acks *a);
struct tier_redis *tiers_acks(struct tiers *t);

/*
 * Waits, at most timeout_ms, until every live worker (one that beat in
 * the last max_age_s seconds) acknowledged generation. *live and *acked
 * get the counts (workers behind are reported, log_report(), when
 * verbose).
 * With acks (subscribed to the acks channel) it reads the
 * registry again when an acknowledgement comes; without, every 0.25 ms.
 * Returns QUIRE_OK when all acknowledged, QUIRE_ETIMEOUT, or QUIRE_EIO.
 */
enum quire_err tiers_wait_acks(struct tier_redis *r, struct tier_redis *acks,
			       long long generation, double timeout_ms,
			       long long max_age_s, int verbose, size_t *live,
			       size_t *acked);

/* Records an acknowledgement and publishes it for the waiters (Redis
 * only; QUIRE_EIO when it is down). tiers_beat records that the worker is
 * alive at generation, with nothing to wake a waiter for. */
enum quire_err tiers_ack(struct tiers *t, const char *worker_id,
			 long long generation);
enum quire_err tiers_beat(struct tiers *t, const char *worker_id,
			  long long generation);
enum quire_err tiers_forget(struct tiers *t, const char *worker_id);

#endif
