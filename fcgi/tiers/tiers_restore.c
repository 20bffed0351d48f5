/*
 * tiers_restore.c - the tiers moved past a restore of PostgreSQL
 * (tiers_restore.h)
 */
#include <limits.h>
#include <stdlib.h>

#include "content/record.h"
#include "lib/log.h"
#include "lib/quire.h"
#include "tiers/tier_pg.h"
#include "tiers/tier_redis.h"
#include "tiers/tiers_restore.h"

/* Registry entries this old still count as seen: a worker of the lost
 * history that stopped beating may come back holding its generation. */
#define RESTORE_REGISTRY_AGE_S (7 * 24 * 3600)

/* How far past everything seen a restore moves the generation. What was
 * seen is not all the lost history made: a committer may have committed
 * batches Redis's key and the registry never named (Redis down, or its
 * store still to come), and announce and store them after the restore.
 * Their generations stay at or below seen + this gap, the restore's
 * floor in Redis, which refuses their stores (tier_redis_restore_floor);
 * every worker, moved past the floor, reads their announces as held.
 * 2^30: a billion batches behind, and 2^33 restores before 2^63. */
#define RESTORE_GEN_GAP (1LL << 30)

enum quire_err tiers_restore_seen(struct tier_redis *r, long long *seen)
{
	struct tier_redis_worker *w = NULL;
	long long g = 0;
	size_t n = 0, i;
	enum quire_err rc;

	*seen = 0;
	rc = tier_redis_generation(r, &g);
	if (rc == QUIRE_OK)
		*seen = g;
	else if (rc != QUIRE_ENOTFOUND)
		return QUIRE_EIO;
	if (tier_redis_workers(r, RESTORE_REGISTRY_AGE_S, &w, &n) != QUIRE_OK)
		return QUIRE_EIO;
	for (i = 0; i < n; i++)
		if (w[i].generation > *seen)
			*seen = w[i].generation;
	tier_redis_workers_free(w, n);
	return QUIRE_OK;
}

enum quire_err tiers_restore_check(struct tier_pg *pg, struct tier_redis *r,
				   int *restored)
{
	long long seen, truth;

	*restored = 0;
	/* Redis first: PostgreSQL read after it cannot be behind a
	 * generation committed in between. */
	if (tiers_restore_seen(r, &seen) != QUIRE_OK ||
	    tier_pg_generation(pg, &truth) != QUIRE_OK)
		return QUIRE_EIO;
	*restored = seen > truth;
	if (*restored)
		log_msg(LOG_LEVEL_WARN, "restore", "postgresql at generation "
			"%lld, behind %lld seen in redis: restored from a backup",
			truth, seen);
	return QUIRE_OK;
}

enum quire_err tiers_restore(struct tier_pg *pg, struct tier_redis *r,
			     long long *generation, size_t *n_bumped)
{
	struct record **idx = NULL;
	struct tier_pg_seen *v = NULL;
	long long seen, g = 0;
	size_t n = 0, i;
	enum quire_err rc = QUIRE_EIO;

	*generation = 0;
	*n_bumped = 0;
	if (tiers_restore_seen(r, &seen) != QUIRE_OK ||
	    tier_redis_copies_generation(r, &g) != QUIRE_OK)
		return QUIRE_EIO;
	if (g > seen)
		seen = g;
	if (seen > LLONG_MAX - RESTORE_GEN_GAP - 1)
		return QUIRE_EIO;
	seen += RESTORE_GEN_GAP;
	/* Before anything moves: a late store of the lost history that
	 * lands after the drop must already meet it. Refused (Redis out of
	 * memory, which refuses those stores too), the restore goes on: it
	 * must still move PostgreSQL past what the workers hold. */
	if (tier_redis_restore_floor(r, seen) != QUIRE_OK) {
		if (tier_redis_broken(r))
			return QUIRE_EIO;
		log_msg(LOG_LEVEL_WARN, "restore", "redis refused the restore's "
			"floor (%s): a late store of the lost history is not "
			"refused", tier_redis_error(r));
	}
	g = 0;
	/* An index Redis cannot give (unreadable entries) bumps no
	 * revision: the generation still moves, and every reader goes by
	 * PostgreSQL's index. */
	rc = tier_redis_index(r, &idx, &n, &g);
	if (rc != QUIRE_OK) {
		/* None (no key: dropped by a restore before, or flushed)
		 * tells nothing to compare; say so only of one unread. */
		if (rc != QUIRE_ENOTFOUND)
			log_msg(LOG_LEVEL_WARN, "restore", "redis index unreadable "
				"(%s): revisions not compared", tier_redis_error(r));
		idx = NULL;
		n = 0;
		if (tier_redis_broken(r))
			return QUIRE_EIO;
	}
	rc = QUIRE_EIO;
	v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		goto out;
	for (i = 0; i < n; i++) {
		v[i].slug = idx[i]->slug;
		v[i].revision = idx[i]->revision;
		v[i].hash = idx[i]->hash;
	}
	/* Dropped before PostgreSQL moves: a key left at an older
	 * generation than PostgreSQL's new one would tell the workers they
	 * are current. */
	if (tier_redis_drop(r) != QUIRE_OK)
		goto out;
	if (tier_pg_restore(pg, v, n, seen, generation, n_bumped) != QUIRE_OK)
		goto out;
	log_msg(LOG_LEVEL_INFO, "restore", "generation %lld (floor %lld), "
		"%zu posts moved past the revisions redis held", *generation,
		seen, *n_bumped);
	rc = QUIRE_OK;
out:
	free(v);
	record_array_free(idx, n);
	return rc;
}
