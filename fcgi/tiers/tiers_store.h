/*
 * tiers_store.h - a writer's stores into Redis, and the slugs it owes
 *
 * The writer's side of the tiers: the committer's announcer, after
 * PostgreSQL committed a batch, tells Redis and the workers through the
 * same struct tiers it waits for acknowledgements with.
 */
#ifndef QUIRE_TIERS_STORE_H
#define QUIRE_TIERS_STORE_H

#include <stddef.h>

#include "content/record.h"
#include "lib/quire.h"

struct tiers;

/*
 * After PostgreSQL committed generation: stores its records and
 * deletions into Redis, moves the generation key (tier_redis_store),
 * then publishes every slug stored under generation. The key names what Redis holds: it moves only
 * when every change up to generation is there. A store Redis refuses
 * (out of memory, a key of the wrong type) or cannot be asked leaves its
 * slugs owed: t remembers them, and the next store, or tiers_repair,
 * writes their current state, read anew from PostgreSQL, with its own
 * (and publishes them); the key stays behind until they are all in.
 * Returns QUIRE_OK (stored and published; some owed slugs may remain),
 * QUIRE_EIO (not stored: its slugs are owed; or stored, not published;
 * or no Redis is configured, nothing owed then) or QUIRE_ENOMEM.
 */
enum quire_err tiers_announce(struct tiers *t, struct record *const *recs,
			      size_t n, char *const *deletes, size_t n_deletes,
			      long long generation);
/* How many slugs t owes Redis (0: every store of t's is in Redis). */
size_t tiers_owed(const struct tiers *t);
/*
 * Writes what t owes, read anew from PostgreSQL, and publishes those
 * slugs under the generation of t's last store, so that every worker
 * reads them again. QUIRE_OK once nothing is owed, else QUIRE_EIO
 * (Redis still refuses or is down, or PostgreSQL is: try again later).
 */
enum quire_err tiers_repair(struct tiers *t);

#endif
