/*
 * tiers_store.h - a writer's stores into Redis, and what it owes Redis
 *
 * The writer's side of the tiers: after PostgreSQL committed a batch,
 * the committer's announcer (or a worker committing its own writes,
 * with --workers 0 or no committer) tells Redis and the workers through
 * its own struct tiers, which remembers what Redis did not take. The
 * writer decides only what to do meanwhile and when to try again
 * (write/commit_reload.h).
 */
#ifndef QUIRE_TIERS_STORE_H
#define QUIRE_TIERS_STORE_H

#include <stddef.h>

#include "content/record.h"
#include "lib/quire.h"

struct tiers;

/* Slugs a writer remembers owing Redis; past it they are lost: the
 * generation key stays behind until a deploy rewrites Redis whole, and
 * the next publish is "*" (every worker behind reloads whole). */
#define TIERS_OWED_MAX 4096
/* Owed slugs one store writes besides its own changes. */
#define TIERS_OWED_BATCH 256

/*
 * After PostgreSQL committed generation: stores its records and
 * deletions into Redis with what t owes (TIERS_OWED_BATCH at most, read
 * anew from PostgreSQL), moves the generation key (tier_redis_store),
 * then publishes every slug stored under generation. The key names what
 * Redis holds: it moves only when nothing is owed any more. A store
 * Redis refuses (out of memory, a key of the wrong type), a Redis that
 * cannot be asked or a publish that fails leaves the batch's slugs
 * owed: t remembers them (TIERS_OWED_MAX), and the next store, or
 * tiers_repair, writes and publishes their current state. Returns
 * QUIRE_OK (stored and published; some owed slugs may remain), QUIRE_EIO
 * (owed now; or no Redis is configured, nothing owed then) or
 * QUIRE_ENOMEM.
 */
enum quire_err tiers_announce(struct tiers *t, struct record *const *recs,
			      size_t n, char *const *deletes, size_t n_deletes,
			      long long generation);
/* True while t owes Redis and the workers something: slugs, or a "*". */
int tiers_owing(const struct tiers *t);
/*
 * Writes what t owes, read anew from PostgreSQL, and publishes those
 * slugs under the generation of t's last store, so that every worker
 * reads them again. Asks Redis now, whatever the read path's back-off:
 * the writer calls it at its own pace. QUIRE_OK once nothing is owed,
 * else QUIRE_EIO (Redis still refuses or is down, or PostgreSQL is: try
 * again later).
 */
enum quire_err tiers_repair(struct tiers *t);

/*
 * A writer that starts (a committer restarted after a kill, or started
 * by an upgrade) cannot know what its predecessor owed Redis: that was
 * in the predecessor's memory. Marks t as owing a comparison: the next
 * tiers_repair (tiers_owing is true until then) reads Redis's index and
 * PostgreSQL's, and when Redis's generation key is behind PostgreSQL's,
 * owes every slug whose copy differs (another revision or hash, missing,
 * or deleted since) and writes them, moving the key to PostgreSQL's
 * generation. A Redis with no key is left as it is: it names nothing.
 */
void tiers_owe_check(struct tiers *t);

/* How often tiers_watch_behind looks, and how long the generation key
 * must stay at one value behind PostgreSQL's before it acts. */
#define TIERS_WATCH_MS 500
#define TIERS_BEHIND_MS 2000

/*
 * Another writer whose store Redis did not take (a deploy while Redis
 * was paused exits 4, having asked the master for a reload that may
 * find PostgreSQL down) owes nothing anyone remembers: the key stays
 * behind PostgreSQL's generation, each later store of ours leaves it
 * there (its run does not start right behind it), and the workers serve
 * the older version until the next change of it (issue 15, seed 904).
 * A writer calls this often, busy or idle; at most every TIERS_WATCH_MS
 * it reads the key and PostgreSQL's generation, and once the key stayed
 * at one value behind it for TIERS_BEHIND_MS (a store in progress moves
 * it sooner; a longer one, a whole rewrite of a big site, costs the
 * comparison and the repair of what it had not stored yet: work done
 * twice) it owes the comparison of tiers_owe_check,
 * which the next tiers_repair makes: the differing slugs written and
 * published, the key moved to PostgreSQL's generation.
 */
void tiers_watch_behind(struct tiers *t);

#endif
