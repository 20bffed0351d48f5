/*
 * deploy_cache.h - what PostgreSQL held of the content posts at one
 * generation, kept in a file on the deploying host
 *
 * A deploy must know the path, kind, hash and file signature of every
 * content post before it can tell what changed. Fetching them is a scan
 * of 10,000 rows by a fresh backend (35-40 ms here, most of a one-post
 * deploy); this file saves that fetch whenever nothing was committed
 * since the last deploy from this host: every change of a post bumps the
 * site generation, so a cache made at the generation PostgreSQL still
 * has is what PostgreSQL would answer; the random stamp each commit
 * writes beside the generation tells a generation reached again after a
 * restore of an older backup. The signatures in it are this host's own
 * observations of its files (content_scan.h).
 *
 * The file is QUIRE_CACHE_DIR (default $XDG_CACHE_HOME/quire or
 * ~/.cache/quire)/known-SITE, SITE being the site's random id, so a
 * recreated database never matches an old cache. It is written to a
 * temporary name and renamed; a file that does not check out (version,
 * site, generation, stamp, count, checksum of the body) is ignored.
 */
#ifndef QUIRE_DEPLOY_CACHE_H
#define QUIRE_DEPLOY_CACHE_H

#include <stddef.h>

#include "lib/quire.h"
#include "tiers/tier_pg.h"

/* The cache folder: QUIRE_CACHE_DIR, else XDG's; NULL when none (no
 * HOME). Caller frees. */
char *deploy_cache_dir(void);

/* A loaded cache: its entries point into the file, mapped read-only
 * (no copy of 10,000 paths into fresh memory). */
struct deploy_cache {
	struct tier_pg_hash *v;  /* strings not to be written or freed */
	size_t n;
	void *map;
	size_t map_len;
};

/*
 * Loads the cache of site as it is now (id, generation and stamp) into
 * *out (free with deploy_cache_free()). QUIRE_OK, QUIRE_ENOTFOUND (none,
 * or made at another generation or stamp, or not valid) or QUIRE_ENOMEM.
 */
enum quire_err deploy_cache_load(const char *dir,
				 const struct tier_pg_site *site,
				 struct deploy_cache **out);
void deploy_cache_free(struct deploy_cache *c);

/* Replaces the cache of site with v[0..n), made at site's generation
 * and stamp. QUIRE_OK, or QUIRE_EIO / QUIRE_ENOMEM / QUIRE_EINVAL (an id
 * or stamp unfit for the file); a failure leaves no partial file. */
enum quire_err deploy_cache_save(const char *dir,
				 const struct tier_pg_site *site,
				 const struct tier_pg_hash *v, size_t n);

#endif
