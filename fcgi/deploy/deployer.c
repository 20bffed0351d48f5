/*
 * deployer.c - a deployer of one folder: what it keeps between deploys
 * (deployer.h; one deploy's run is deployer_run.c's)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "deploy/deploy_cache.h"
#include "deploy/deploy_tiers.h"
#include "deploy/deployer.h"
#include "deploy/deployer_private.h"
#include "lib/log.h"
#include "lib/quire.h"

void *deployer_prepare_pg(void *arg)
{
	struct deployer *d = arg;
	struct tier_pg_site site;
	double t0 = quire_now_ms();

	d->pg_ok = 0;
	if (d->pg && tier_pg_site(d->pg, &site) != QUIRE_OK) {
		log_msg(LOG_LEVEL_WARN, "deploy", "postgresql connection lost (%s); "
			"connecting again", tier_pg_error(d->pg));
		tier_pg_close(d->pg);
		d->pg = NULL;
	}
	if (!d->pg) {
		d->pg = deploy_tiers_pg_open(d->cfg);
		if (!d->pg)
			return NULL;
		/* The search configuration follows the site's language
		 * (tier_pg.h): set where the schema is, once a connection. */
		if (tier_pg_migrate(d->pg, NULL, NULL) != QUIRE_OK ||
		    tier_pg_search_language(d->pg, d->cfg->site_language) != QUIRE_OK ||
		    tier_pg_site(d->pg, &site) != QUIRE_OK) {
			log_report("postgresql: %s", tier_pg_error(d->pg));
			return NULL;
		}
	}
	if (!deployer_known_current(&d->known, &site) &&
	    deployer_known_load(&d->known, d->pg, d->cache_dir, &site) != QUIRE_OK)
		return NULL;
	d->pg_ok = 1;
	d->pg_ms = quire_now_ms() - t0;
	return NULL;
}

enum quire_err deployer_open(const struct config *cfg, const char *dir,
			     int long_lived, struct deployer **out)
{
	struct deployer *d = calloc(1, sizeof(*d));
	enum quire_err rc;

	*out = NULL;
	if (!d)
		return QUIRE_ENOMEM;
	d->cfg = cfg;
	d->long_lived = long_lived;
	/* One spelling of the folder, whoever asks and from where: the paths
	 * PostgreSQL keeps are the listing's, and the deployer's answers go
	 * to a client that names the folder by its realpath too. */
	d->dir = realpath(dir, NULL);
	if (!d->dir && !(d->dir = strdup(dir))) {
		free(d);
		return QUIRE_ENOMEM;
	}
	d->cache_dir = deploy_cache_dir();
	if (long_lived) {
		rc = content_watch_open(d->dir, &d->watch);
		if (rc == QUIRE_ENOMEM) {
			deployer_close(d);
			return rc;
		}
		if (rc != QUIRE_OK)
			log_msg(LOG_LEVEL_WARN, "deploy", "no inotify (%s): every "
				"deploy lists the folder whole", strerror(errno));
	}
	*out = d;
	return QUIRE_OK;
}

const char *deployer_dir(const struct deployer *d)
{
	return d->dir;
}

void deployer_release_last(struct deployer *d)
{
	deploy_plan_release(&d->plan);
	content_scan_files_free(d->files, d->n_files);
	d->files = NULL;
	d->n_files = 0;
	d->ran = 0;
}

void deployer_close(struct deployer *d)
{
	if (!d)
		return;
	deployer_release_last(d);
	deployer_known_release(&d->known);
	content_watch_close(d->watch);
	tier_pg_close(d->pg);
	tiers_acks_close(&d->acks);
	free(d->cache_dir);
	free(d->dir);
	free(d);
}

enum quire_err deployer_list(struct deployer *d, size_t *n_errors, int *whole)
{
	struct content_watch_stats st;
	enum quire_err rc;

	*whole = 1;
	if (!d->watch)
		return content_scan_list(d->dir, &d->files, &d->n_files,
					 n_errors);
	rc = content_watch_list(d->watch, &d->files, &d->n_files, n_errors, &st);
	*whole = st.whole;
	return rc;
}

enum quire_err deployer_warm(struct deployer *d)
{
	size_t n_errors = 0;
	int whole;

	deployer_release_last(d);
	if (deployer_list(d, &n_errors, &whole) != QUIRE_OK)
		return QUIRE_ENOMEM;
	deployer_release_last(d);
	deployer_prepare_pg(d);
	return d->pg_ok ? QUIRE_OK : QUIRE_EIO;
}

/* Keeps the signatures of the files read, so the next deploy need not
 * read them; a failure only costs that. */
static void keep_sigs(struct deployer *d)
{
	if (tier_pg_keep_sigs(d->pg, d->plan.sigs, d->plan.n_sigs) != QUIRE_OK)
		log_msg(LOG_LEVEL_WARN, "deploy", "file signatures not kept: %s",
			tier_pg_error(d->pg));
}

/*
 * Keeps what PostgreSQL now holds of the content posts for the next
 * deploy, when this deploy's commit is the only one since they were read
 * and none came after (else the next deploy fetches them): a fresh
 * process in the cache file, for the next process on this host; a
 * long-lived deployer in its memory, and otherwise fetches them now,
 * off the next deploy's path.
 */
static void save_known(struct deployer *d)
{
	struct tier_pg_site now;
	struct tier_pg_hash *v = NULL;
	struct content_sig *parsed = NULL;
	size_t n = 0;
	int changed = d->plan.n_upserts || d->plan.n_deletes, kept = 0;

	if (tier_pg_site(d->pg, &now) != QUIRE_OK) {
		deployer_known_release(&d->known);
		return;
	}
	if (d->gen == d->before + (changed ? 1 : 0) && now.generation == d->gen &&
	    (d->long_lived || d->cache_dir) &&
	    deploy_known_after(d->known.index, &d->plan, &v,
				      d->long_lived ? &parsed : NULL, &n) == QUIRE_OK) {
		if (d->long_lived)
			kept = deployer_known_adopt(&d->known, &now, v, parsed,
						    n) == QUIRE_OK;
		else if (deploy_cache_save(d->cache_dir, &now, v, n) != QUIRE_OK)
			log_msg(LOG_LEVEL_DEBUG, "deploy", "cache not saved in %s: %s",
				d->cache_dir, strerror(errno));
		free(v);
		free(parsed);
	}
	if (d->long_lived && !kept &&
	    deployer_known_load(&d->known, d->pg, d->cache_dir, &now) != QUIRE_OK)
		deployer_known_release(&d->known);
}

void deployer_after(struct deployer *d)
{
	double t0 = quire_now_ms();

	if (!d->ran) {
		deployer_release_last(d);
		return;
	}
	keep_sigs(d);
	if (d->plan.n_upserts + d->plan.n_deletes >= TIER_PG_TIDY_ROWS &&
	    tier_pg_tidy(d->pg) != QUIRE_OK)
		log_msg(LOG_LEVEL_WARN, "deploy", "posts not tidied (VACUUM): %s",
			tier_pg_error(d->pg));
	if (tier_pg_search_terms(d->pg) != QUIRE_OK)
		log_msg(LOG_LEVEL_WARN, "deploy", "search terms not copied: %s",
			tier_pg_error(d->pg));
	save_known(d);
	deployer_release_last(d);
	log_msg(LOG_LEVEL_DEBUG, "deploy", "after_ms=%.1f", quire_now_ms() - t0);
}
