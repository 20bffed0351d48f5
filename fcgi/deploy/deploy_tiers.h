/*
 * deploy_tiers.h - the tiers as quirectl reaches them: PostgreSQL and
 * Redis from the settings, the reason told when they cannot be had
 */
#ifndef QUIRE_DEPLOY_TIERS_H
#define QUIRE_DEPLOY_TIERS_H

#include "lib/config.h"
#include "tiers/tier_pg.h"
#include "tiers/tier_redis.h"

/* cfg's PostgreSQL, connected: NULL, with the reason reported
 * (log_report()), when unset or unreachable. Close with tier_pg_close(). */
struct tier_pg *deploy_tiers_pg_open(const struct config *cfg);

/* cfg's Redis, connected: NULL when unset, or unreachable (the reason
 * reported unless quiet). Close with tier_redis_close(). */
struct tier_redis *deploy_tiers_redis_open(const struct config *cfg,
					   int quiet);

#endif
