/*
 * tier_redis.h - the Redis tier (L2) and the invalidation channel
 *
 * Implemented by tier_redis.c (the connection), tier_redis_cache.c,
 * tier_redis_workers.c and tier_redis_pubsub.c, the only files that
 * include hiredis. Every command is built from argv (redisCommandArgv),
 * never by formatting text into a command. Keys share a prefix
 * (QUIRE_REDIS_PREFIX, default "quire:") so that several sites can
 * share one Redis:
 *   PREFIX post:SLUG     hash: revision kind origin path source
 *                        body_offset html toc words hash
 *   PREFIX index         hash: SLUG -> an index entry (the record
 *                        without html and toc, source cut to its
 *                        frontmatter), one compact string
 *   PREFIX generation    the site generation
 *   PREFIX workers       hash: WORKER-ID -> "GENERATION UNIX-SECONDS"
 *   PREFIX invalidate    the pub/sub channel: "GENERATION SLUG..." or
 *                        "GENERATION *"
 * A context in error is dropped and reconnected by the caller, never
 * reused (the hiredis README's rule).
 */
#ifndef QUIRE_TIER_REDIS_H
#define QUIRE_TIER_REDIS_H

#include <stddef.h>

#include "content/record.h"
#include "lib/quire.h"

struct tier_redis;

/*
 * Connects to url: "redis://[:PASSWORD@]HOST[:PORT][/DB]" or
 * "unix:/PATH[?db=N]" (a password: "unix:/PATH?password=X"), with
 * timeout_ms to connect and for each command (0: none — never for a
 * subscriber, see below). Returns QUIRE_OK, QUIRE_EINVAL (a bad URL) or
 * QUIRE_EIO with err filled. Free with tier_redis_close().
 */
enum quire_err tier_redis_connect(const char *url, const char *prefix,
				  int timeout_ms, struct tier_redis **out,
				  char *err, size_t errsz);
void tier_redis_close(struct tier_redis *r);
const char *tier_redis_error(const struct tier_redis *r);
/* True once a command failed at the connection level: close it. */
int tier_redis_broken(const struct tier_redis *r);

/* The generation; QUIRE_ENOTFOUND when the key is unset. */
enum quire_err tier_redis_generation(struct tier_redis *r,
				     long long *generation);

/* Redis's clock (TIME), in milliseconds since the epoch: the site's
 * clock in full mode (DESIGN §13, "Clock skew"). QUIRE_OK, QUIRE_EIO
 * or QUIRE_EPARSE. */
enum quire_err tier_redis_time(struct tier_redis *r, long long *ms);
/*
 * Redis's clock less this host's monotonic clock (quire_now_ms), in ms:
 * Redis's time is then quire_now_ms() + the offset, whatever this
 * host's wall clock says or is stepped to. Measured over one round trip
 * (off by half of it at most) and kept on r for tier_redis_site_seconds. A round trip longer than
 * TIER_REDIS_CLOCK_RTT_MAX_MS measures nothing: QUIRE_ETIMEOUT. Else
 * QUIRE_OK, QUIRE_EIO or QUIRE_EPARSE.
 */
#define TIER_REDIS_CLOCK_RTT_MAX_MS 200
enum quire_err tier_redis_clock_offset(struct tier_redis *r,
				       long long *offset_ms);
/* Seconds since the epoch by Redis's clock: the monotonic clock moved
 * by the offset last measured on r (measured first if never; this
 * host's wall clock if that fails). */
long long tier_redis_site_seconds(struct tier_redis *r);

/*
 * Writes the records (post keys and index entries) and deletes the
 * slugs in deletes (post keys and index entries) in one MULTI/EXEC,
 * after PostgreSQL committed them. Each post key keeps the generation
 * of its copy (a record's own, record.h, else generation; a deletion's
 * is generation) and is not written over by a copy of an earlier one:
 * two writers store in their own order what PostgreSQL ordered. Then, only once every one of those
 * writes succeeded, moves the generation key to generation (0: leaves
 * it, for a part of a larger store). The key names what Redis holds, so
 * it moves only forward and, with from > 0, only from from - 1 or later:
 * the caller holds every change of generations from..generation. With
 * from 0 (a whole rewrite) it moves from any lower value or none.
 * *moved (may be NULL) says whether it moved. Returns QUIRE_OK, or
 * QUIRE_EIO: a write refused (out of memory, a key of the wrong type;
 * the key is then left as it was) or the connection failed.
 */
enum quire_err tier_redis_store(struct tier_redis *r,
				struct record *const *recs, size_t n,
				char *const *deletes, size_t n_deletes,
				long long generation, long long from,
				int *moved);

/*
 * Deletes the generation key and the index at once: what Redis holds
 * names no generation any more, and the next deploy rewrites it whole
 * (after PostgreSQL was restored from an older backup, DESIGN §6).
 * The post keys stay: a reader serves one only when it is the revision
 * and hash of its index entry, made from PostgreSQL. QUIRE_OK or
 * QUIRE_EIO.
 */
enum quire_err tier_redis_drop(struct tier_redis *r);

/*
 * Raises the restore's floor to floor (it never goes down): from now on
 * a store of a change of that generation or below is refused, as one of
 * the history a restore took back (DESIGN §6, "Restores"). QUIRE_OK or
 * QUIRE_EIO.
 */
enum quire_err tier_redis_restore_floor(struct tier_redis *r, long long floor);

/*
 * The highest generation any post key of r keeps (tier_redis_store), 0
 * when none does, read by SCAN: a restore moves PostgreSQL past it, or
 * a copy of the lost history would refuse the stores after it.
 * QUIRE_OK or QUIRE_EIO.
 */
enum quire_err tier_redis_copies_generation(struct tier_redis *r,
					    long long *max);

/*
 * A whole rewrite's writes (deploy_refresh.c), made from PostgreSQL
 * while API writers go on. tier_redis_stamp reads into *out (malloc'd)
 * what slug's post key holds now, its revision and hash ("" when it has
 * none). tier_redis_refresh then writes rec (or, rec NULL, deletes
 * slug: a tombstone, its index entry removed) only if the post key
 * still holds that stamp: a Lua script compares them atomically. Read
 * the stamp before PostgreSQL is: a writer that stored the slug since
 * committed after that read, and its version, newer than the one the
 * rewrite holds, stays (*written 0). QUIRE_OK or QUIRE_EIO.
 */
enum quire_err tier_redis_stamp(struct tier_redis *r, const char *slug,
				char **out);
enum quire_err tier_redis_refresh(struct tier_redis *r, const char *slug,
				  const struct record *rec, const char *stamp,
				  int *written);

/*
 * Writes one record read from PostgreSQL back into Redis (a read fill),
 * only if Redis has no newer revision of it: a Lua script compares
 * revisions atomically, so a worker that read before a deploy never puts
 * old data over what the deploy wrote. Returns QUIRE_OK (written or
 * rightly skipped) or QUIRE_EIO.
 */
enum quire_err tier_redis_fill(struct tier_redis *r, const struct record *rec);

/* One post, html included. QUIRE_ENOTFOUND when absent. */
enum quire_err tier_redis_fetch(struct tier_redis *r, const char *slug,
				struct record **out);
/* Several posts in one round trip; (*out)[i] is NULL for a missing one.
 * Caller frees with record_array_free(*out, n). */
enum quire_err tier_redis_fetch_many(struct tier_redis *r,
				     const char *const *slugs, size_t n,
				     struct record ***out);

/*
 * The whole index and the generation, read in one MULTI/EXEC so they
 * agree. QUIRE_ENOTFOUND when there is no generation (an empty Redis).
 * Caller frees with record_array_free().
 */
enum quire_err tier_redis_index(struct tier_redis *r, struct record ***out,
				size_t *n, long long *generation);
/* The same, and PREFIX site (site.yaml as deployed) in the same
 * MULTI/EXEC into *config (*config_len bytes; caller frees; NULL when
 * there is none). */
enum quire_err tier_redis_index_site(struct tier_redis *r,
				     struct record ***out, size_t *n,
				     long long *generation, char **config,
				     size_t *config_len);
/* Sets PREFIX site to site.yaml's text (text NULL: deletes it): what a
 * deploy's whole rewrite stores before the generation key. */
enum quire_err tier_redis_config_set(struct tier_redis *r, const char *text,
				     size_t len);
/* Some index entries; (*out)[i] NULL when absent. */
enum quire_err tier_redis_index_many(struct tier_redis *r,
				     const char *const *slugs, size_t n,
				     struct record ***out);

/* Publishes "GENERATION SLUG..." (or "GENERATION *" when n is 0 and
 * all is set). *receivers gets how many subscribers got it. */
enum quire_err tier_redis_publish(struct tier_redis *r, long long generation,
				  const char *const *slugs, size_t n, int all,
				  long long *receivers);

/* Records that worker_id has applied generation (HSET on workers with
 * the time now) and, with publish, publishes the generation on the acks
 * channel for whoever waits (tiers_wait_acks); a heartbeat does not. */
enum quire_err tier_redis_ack(struct tier_redis *r, const char *worker_id,
			      long long generation, int publish);

struct tier_redis_worker {
	char *id;
	long long generation;
	long long seen;          /* unix seconds of its last ack/heartbeat */
};
/* Every worker that acked or beat in the last max_age seconds (older
 * entries are deleted). Caller frees with tier_redis_workers_free(). */
enum quire_err tier_redis_workers(struct tier_redis *r, long long max_age,
				  struct tier_redis_worker **out, size_t *n);
void tier_redis_workers_free(struct tier_redis_worker *v, size_t n);
/* Removes worker_id (a worker that stops). */
enum quire_err tier_redis_forget(struct tier_redis *r, const char *worker_id);

/*
 * Subscriber side: channel "invalidate" (the workers) or "acks" (a
 * deploy or a write batch waiting for the workers' acknowledgements).
 * A subscribed context takes no other command but PING. Its socket has
 * no timeout (a timeout poisons a subscribed context in hiredis 0.14);
 * tier_redis_wait polls the fd itself instead.
 */
enum quire_err tier_redis_subscribe(struct tier_redis *r, const char *channel);
/*
 * Waits up to timeout_ms for a message on the channel. Returns QUIRE_OK
 * with *msg (caller frees) set to the payload, QUIRE_ETIMEOUT when none
 * came, or QUIRE_EIO when the connection is dead (close and reconnect).
 */
enum quire_err tier_redis_wait(struct tier_redis *r, int timeout_ms,
			       char **msg);
/* Sends a PING on a subscribed context and waits up to timeout_ms for
 * its answer (messages that arrive first are queued for the next
 * tier_redis_wait). QUIRE_OK, or QUIRE_EIO when the connection is dead. */
enum quire_err tier_redis_sub_ping(struct tier_redis *r, int timeout_ms);

#endif
