/*
 * deploy_tiers.c - the tiers as quirectl reaches them (deploy_tiers.h)
 */
#include "deploy/deploy_tiers.h"
#include "lib/log.h"
#include "lib/quire.h"

#define REDIS_TIMEOUT_MS 2000

struct tier_pg *deploy_tiers_pg_open(const struct config *cfg)
{
	struct tier_pg *pg;
	char err[512];

	if (!cfg->database_url || !*cfg->database_url) {
		log_report("QUIRE_DATABASE_URL is not set");
		return NULL;
	}
	if (tier_pg_connect(cfg->database_url, &pg, err, sizeof(err)) != QUIRE_OK) {
		log_report("postgresql unreachable: %s", err);
		return NULL;
	}
	return pg;
}

struct tier_redis *deploy_tiers_redis_open(const struct config *cfg,
					   int quiet)
{
	struct tier_redis *r;
	char err[512];

	if (!cfg->redis_url || !*cfg->redis_url)
		return NULL;
	if (tier_redis_connect(cfg->redis_url, cfg->redis_prefix,
			       REDIS_TIMEOUT_MS, &r, err, sizeof(err)) != QUIRE_OK) {
		if (!quiet)
			log_report("redis unreachable: %s", err);
		return NULL;
	}
	return r;
}
