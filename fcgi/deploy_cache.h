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
 * has is what PostgreSQL would answer. The signatures in it are this
 * host's own observations of its files (content_scan.h).
 *
 * The file is QUIRE_CACHE_DIR (default $XDG_CACHE_HOME/quire or
 * ~/.cache/quire)/known-SITE, SITE being the site's random id, so a
 * recreated database never matches an old cache. It is written to a
 * temporary name and renamed; a file that does not check out (version,
 * site, generation, count, checksum of the body) is ignored.
 */
#ifndef QUIRE_DEPLOY_CACHE_H
#define QUIRE_DEPLOY_CACHE_H

#include <stddef.h>

#include "tier_pg.h"

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
 * Loads the cache of site at generation into *out (free with
 * deploy_cache_free()). QUIRE_OK, QUIRE_ENOTFOUND (none, or not that
 * generation, or not valid) or QUIRE_ENOMEM.
 */
int deploy_cache_load(const char *dir, const char *site, long long generation,
		      struct deploy_cache **out);
void deploy_cache_free(struct deploy_cache *c);

/* Replaces the cache of site with v[0..n) at generation. QUIRE_OK, or
 * QUIRE_EIO / QUIRE_ENOMEM / QUIRE_EINVAL (a site id unfit for a file
 * name); a failure leaves no partial file behind. */
int deploy_cache_save(const char *dir, const char *site, long long generation,
		      const struct tier_pg_hash *v, size_t n);

#endif
