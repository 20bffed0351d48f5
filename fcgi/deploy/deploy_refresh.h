/*
 * deploy_refresh.h - Redis rewritten whole from PostgreSQL, for a Redis
 * that missed a deploy (it was down) or is new
 */
#ifndef QUIRE_DEPLOY_REFRESH_H
#define QUIRE_DEPLOY_REFRESH_H

#include <stddef.h>

#include "content/record.h"
#include "lib/quire.h"
#include "tiers/tier_pg.h"
#include "tiers/tier_redis.h"
#include "tiers/tiers_restore.h"

/*
 * Rewrites r whole at generation: upserts[0..n_upserts) (what the deploy
 * just committed, borrowed) straight from memory, every other post of
 * pg fetched, then the generation, and the posts r has that pg no
 * longer has removed. QUIRE_OK, or the error of the tier that failed
 * (QUIRE_ENOMEM, QUIRE_EIO...): r may then be half rewritten, at its
 * old generation.
 */
enum quire_err deploy_refresh_redis(struct tier_pg *pg, struct tier_redis *r,
				    long long generation,
				    struct record *const *upserts,
				    size_t n_upserts);

/*
 * After PostgreSQL was restored from an older backup: the tiers moved
 * past it (tiers_restore: Redis's key and index dropped, PostgreSQL's
 * generation past everything seen, revisions past Redis's), then r
 * rewritten whole from PostgreSQL at the new *generation. The caller
 * publishes "*" under it. *n_bumped as tiers_restore's. QUIRE_OK, or
 * the error of the tier that failed: r is then left without a key
 * (when PostgreSQL moved), which the next deploy rewrites whole.
 */
enum quire_err deploy_refresh_restore(struct tier_pg *pg, struct tier_redis *r,
				      long long *generation, size_t *n_bumped);

#endif
