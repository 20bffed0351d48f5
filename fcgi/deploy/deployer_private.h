/*
 * deployer_private.h - what deployer.c (the deployer, kept between
 * deploys) shares with deployer_run.c (one deploy)
 *
 * Internal to the deployer: nothing else includes it.
 */
#ifndef QUIRE_DEPLOYER_PRIVATE_H
#define QUIRE_DEPLOYER_PRIVATE_H

#include <stddef.h>

#include "content/content.h"
#include "content/content_watch.h"
#include "deploy/deploy.h"
#include "deploy/deployer_known.h"
#include "lib/config.h"
#include "lib/quire.h"
#include "tiers/tier_pg.h"
#include "tiers/tiers.h"

struct deployer {
	const struct config *cfg;
	char *dir;
	char *cache_dir;         /* NULL: no cache file */
	int long_lived;
	struct content_watch *watch; /* long-lived only; NULL: list whole */
	struct tier_pg *pg;
	struct tiers_acks acks;  /* the workers' acknowledgements, subscribed */
	struct deployer_known known;
	/* the last deploy, for deployer_after() */
	struct content_file *files;
	size_t n_files;
	struct deploy_plan plan;
	long long before, gen;
	int ran;                 /* reached PostgreSQL: there is after-work */
	double pg_ms;            /* what the last deployer_prepare_pg() took */
	int pg_ok;
};

/*
 * What a deploy needs from PostgreSQL before it can plan: a connection
 * (kept by a long-lived deployer, and made again once if it broke), the
 * site, and d->known made to match it; what failed is reported. Sets
 * d->pg_ok and d->pg_ms. Takes and returns a pointer to run in a thread
 * (pthread_create()) beside deployer_list(): returns NULL.
 */
void *deployer_prepare_pg(void *d);

/* Lists the folder's files into d->files: from the watched listing,
 * else listed whole (*whole says which). *n_errors is bumped by the
 * listing's errors, as content_scan_list() does. QUIRE_OK or QUIRE_ENOMEM. */
enum quire_err deployer_list(struct deployer *d, size_t *n_errors, int *whole);

/* Drops what the last deploy left for deployer_after(). */
void deployer_release_last(struct deployer *d);

#endif
