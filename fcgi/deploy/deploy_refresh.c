/*
 * deploy_refresh.c - Redis rewritten whole from PostgreSQL (deploy_refresh.h)
 */
#include <stdlib.h>
#include <string.h>

#include "deploy/deploy_refresh.h"
#include "lib/log.h"
#include "lib/quire.h"

#define FULL_REFRESH_BATCH 256

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

enum quire_err deploy_refresh_redis(struct tier_pg *pg, struct tier_redis *r,
				    long long generation,
				    struct record *const *upserts,
				    size_t n_upserts)
{
	struct record **old = NULL, *batch[FULL_REFRESH_BATCH];
	char **in_pg = NULL, **gone = NULL;
	const char **done = NULL;
	char *config = NULL;
	size_t config_len = 0;
	size_t n = 0, n_old = 0, nb = 0, n_gone = 0, i, j;
	long long g;
	enum quire_err rc;
	double t0 = quire_now_ms(), t_pg, t_old;

	rc = tier_pg_slugs(pg, &in_pg, &n);
	if (rc != QUIRE_OK)
		return rc;
	t_pg = quire_now_ms();
	if (tier_redis_index(r, &old, &n_old, &g) == QUIRE_OK && n_old) {
		gone = calloc(n_old, sizeof(*gone));
		if (!gone) {
			rc = QUIRE_ENOMEM;
			goto out;
		}
		if (n)
			qsort(in_pg, n, sizeof(*in_pg), cmp_str);
		for (i = 0; i < n_old; i++)
			if (!bsearch(&old[i]->slug, in_pg, n, sizeof(*in_pg), cmp_str))
				gone[n_gone++] = old[i]->slug;
	}
	/* What this deploy committed is in memory already; sorted slugs tell
	 * which posts need no fetch. */
	done = calloc(n_upserts ? n_upserts : 1, sizeof(*done));
	if (!done) {
		rc = QUIRE_ENOMEM;
		goto out;
	}
	for (i = 0; i < n_upserts; i++)
		done[i] = upserts[i]->slug;
	qsort(done, n_upserts, sizeof(*done), cmp_str);
	t_old = quire_now_ms();
	for (i = 0; i < n_upserts; i += FULL_REFRESH_BATCH) {
		nb = n_upserts - i < FULL_REFRESH_BATCH ? n_upserts - i : FULL_REFRESH_BATCH;
		rc = tier_redis_store(r, upserts + i, nb, NULL, 0, 0, 0, NULL);
		if (rc != QUIRE_OK)
			goto out;
	}
	nb = 0;
	for (i = 0; i <= n; i++) {
		if (i < n) {
			if (bsearch(&in_pg[i], done, n_upserts, sizeof(*done), cmp_str))
				continue; /* stored above */
			rc = tier_pg_fetch(pg, in_pg[i], &batch[nb]);
			if (rc == QUIRE_ENOTFOUND)
				continue;
			if (rc != QUIRE_OK)
				goto out_batch;
			nb++;
		}
		if (nb == FULL_REFRESH_BATCH || (i == n && (nb || n_gone))) {
			rc = tier_redis_store(r, batch, nb, i == n ? gone : NULL,
					      i == n ? n_gone : 0, 0, 0, NULL);
			for (j = 0; j < nb; j++)
				record_free(batch[j]);
			nb = 0;
			if (rc != QUIRE_OK)
				goto out;
		}
	}
	/* site.yaml as PostgreSQL holds it, which workers loading from
	 * Redis alone serve by (DESIGN §5) */
	rc = tier_pg_config_read(pg, &config, &config_len);
	if (rc == QUIRE_OK)
		rc = tier_redis_config_set(r, config, config_len);
	free(config);
	if (rc != QUIRE_OK)
		goto out;
	/* The key last, once Redis holds everything it names: a rewrite
	 * that fails half-way leaves it behind, and the next deploy
	 * rewrites again. */
	rc = tier_redis_store(r, NULL, 0, NULL, 0, generation, 0, NULL);
	log_msg(LOG_LEVEL_DEBUG, "deploy", "full_refresh pg_slugs_ms=%.1f "
		"redis_index_ms=%.1f store_ms=%.1f", t_pg - t0, t_old - t_pg,
		quire_now_ms() - t_old);
	goto out;
out_batch:
	for (j = 0; j < nb; j++)
		record_free(batch[j]);
out:
	free(done);
	free(gone);
	record_array_free(old, n_old);
	quire_strings_free(in_pg, n);
	return rc;
}

enum quire_err deploy_refresh_restore(struct tier_pg *pg, struct tier_redis *r,
				      long long *generation, size_t *n_bumped)
{
	enum quire_err rc = tiers_restore(pg, r, generation, n_bumped);

	if (rc != QUIRE_OK)
		return rc;
	return deploy_refresh_redis(pg, r, *generation, NULL, 0);
}
