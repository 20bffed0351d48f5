/*
 * tiers_restore.h - the tiers moved past a restore of PostgreSQL from
 * an older backup
 *
 * PostgreSQL is the truth, and every generation Redis's key or a worker
 * names was committed there first: a key or a worker ahead of
 * PostgreSQL's generation means PostgreSQL went back (a restore, or
 * another database behind the same Redis). Left alone, the generation
 * would go back with it, and Redis and the workers, holding newer
 * generations, would keep newer records than the database for good
 * (DESIGN §6, "Restores").
 */
#ifndef QUIRE_TIERS_RESTORE_H
#define QUIRE_TIERS_RESTORE_H

#include "lib/quire.h"
#include "tiers/tier_pg.h"
#include "tiers/tier_redis.h"

/* The highest generation r names: its key, or any worker of its
 * registry (0 for none). QUIRE_OK or QUIRE_EIO. */
enum quire_err tiers_restore_seen(struct tier_redis *r, long long *seen);

/*
 * Whether PostgreSQL is behind what r names (*restored), comparing
 * tiers_restore_seen with PostgreSQL's generation read now. QUIRE_OK,
 * or QUIRE_EIO when a tier cannot be asked (*restored 0).
 */
enum quire_err tiers_restore_check(struct tier_pg *pg, struct tier_redis *r,
				   int *restored);

/*
 * Moves the tiers past a restore: reads what r holds (the key, the
 * registry, the revision and hash of every post in its index), drops
 * r's key and index (tier_redis_drop), then has PostgreSQL move every
 * post behind what r held past it and the generation past everything
 * seen, the generations post keys keep too (tier_pg_restore,
 * tier_redis_copies_generation). *generation gets the new generation, for the
 * caller to rewrite Redis at (or leave to the next deploy) and to
 * publish "*" under, so that every worker reloads from PostgreSQL;
 * *n_bumped the posts whose revision moved. Run again after a failure:
 * what it does is the same the second time. QUIRE_OK or QUIRE_EIO.
 */
enum quire_err tiers_restore(struct tier_pg *pg, struct tier_redis *r,
			     long long *generation, size_t *n_bumped);

#endif
