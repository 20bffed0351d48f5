/*
 * deployer_known.h - what a deployer knows PostgreSQL holds of the
 * content posts (path, kind, hash and file signature of each) at one
 * site generation and stamp, indexed by path for the plan
 *
 * A deploy cannot tell what changed before it has them; fetching them
 * is most of a small deploy's time, so they come from the cache file
 * (deploy_cache.h) when it was made at the site as it is, and a
 * long-lived deployer carries its own copy from one deploy to the next.
 */
#ifndef QUIRE_DEPLOYER_KNOWN_H
#define QUIRE_DEPLOYER_KNOWN_H

#include <stddef.h>

#include "content/content_scan.h"
#include "deploy/deploy.h"
#include "deploy/deploy_cache.h"
#include "lib/quire.h"
#include "tiers/tier_pg.h"

/* Zeroed: nothing known (ready is 0). */
struct deployer_known {
	struct tier_pg_site site;
	const struct tier_pg_hash *v; /* into cache, fetched or owned */
	size_t n;
	struct deploy_cache *cache;
	struct tier_pg_hash *fetched;
	size_t n_fetched;
	struct tier_pg_hash *owned; /* a long-lived deployer's own copy */
	char *owned_text;         /* every string of owned, in one block */
	struct deploy_known *index;
	const char *from;        /* "cache", "postgresql" or "memory" */
	int ready;               /* all of the above made */
};

/* Frees what k holds and zeroes it. */
void deployer_known_release(struct deployer_known *k);

/* Whether k is ready and was made at site (generation, id and stamp):
 * what PostgreSQL answers now. */
int deployer_known_current(const struct deployer_known *k,
			   const struct tier_pg_site *site);

/*
 * Makes k what pg holds at site: the cache file in cache_dir (NULL:
 * none) when it was made at site, else fetched from pg. QUIRE_OK, else
 * reported (log_report()) and k released: QUIRE_EIO or QUIRE_ENOMEM.
 */
enum quire_err deployer_known_load(struct deployer_known *k, struct tier_pg *pg,
				   const char *cache_dir,
				   const struct tier_pg_site *site);

/*
 * Makes k v[0..n) at site, copied (v's strings may point into what k
 * held: they are copied before it is released), with parsed, when not
 * NULL, the signature of each v[i] parsed (deploy_known_index()): how a
 * long-lived deployer carries what PostgreSQL holds from one deploy to
 * the next, with no file written and read back. QUIRE_OK, or
 * QUIRE_ENOMEM: k is then to be loaded again (deployer_known_load()).
 */
enum quire_err deployer_known_adopt(struct deployer_known *k,
				    const struct tier_pg_site *site,
				    const struct tier_pg_hash *v,
				    const struct content_sig *parsed, size_t n);

#endif
