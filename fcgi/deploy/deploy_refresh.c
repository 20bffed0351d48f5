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

/*
 * One post of pg written into r, unless an API writer stored the slug
 * since its stamp was read: the writer (the committer) commits to
 * PostgreSQL first, so a store Redis took before the stamp was read is
 * in what pg gives now, or older; one after it is newer than that. Not
 * compared, the rewrite put an older version over a newer one the
 * committer had stored, and a worker told of the newer one read the
 * older from Redis, acknowledged it and served it (issue 15, §13).
 */
static enum quire_err refresh_one(struct tier_pg *pg, struct tier_redis *r,
				  const char *slug, size_t *skipped)
{
	struct record *rec = NULL;
	char *stamp = NULL;
	int written = 0;
	enum quire_err rc;

	rc = tier_redis_stamp(r, slug, &stamp);
	if (rc != QUIRE_OK)
		return rc;
	rc = tier_pg_fetch(pg, slug, &rec);
	if (rc == QUIRE_ENOTFOUND) {
		rc = QUIRE_OK; /* deleted since the list: the writer told Redis */
	} else if (rc == QUIRE_OK) {
		rc = tier_redis_refresh(r, slug, rec, stamp, &written);
		*skipped += rc == QUIRE_OK && !written;
	}
	record_free(rec);
	free(stamp);
	return rc;
}

enum quire_err deploy_refresh_redis(struct tier_pg *pg, struct tier_redis *r,
				    long long generation,
				    struct record *const *upserts,
				    size_t n_upserts)
{
	struct record **old = NULL;
	char **in_pg = NULL, **old_stamps = NULL;
	const char **done = NULL;
	char *config = NULL;
	size_t config_len = 0;
	size_t n = 0, n_old = 0, nb, skipped = 0, i;
	long long g;
	int written;
	enum quire_err rc = QUIRE_OK;
	double t0 = quire_now_ms(), t_pg, t_old;

	/* Redis's posts and their stamps before PostgreSQL's list: a post
	 * Redis has and that list lacks was deleted, unless a writer made
	 * it since (its stamp then moved, and it stays). */
	if (tier_redis_index(r, &old, &n_old, &g) == QUIRE_OK && n_old) {
		old_stamps = calloc(n_old, sizeof(*old_stamps));
		if (!old_stamps) {
			rc = QUIRE_ENOMEM;
			goto out;
		}
		for (i = 0; i < n_old; i++)
			if ((rc = tier_redis_stamp(r, old[i]->slug,
						   &old_stamps[i])) != QUIRE_OK)
				goto out;
	}
	t_old = quire_now_ms();
	rc = tier_pg_slugs(pg, &in_pg, &n);
	if (rc != QUIRE_OK)
		goto out;
	t_pg = quire_now_ms();
	if (n)
		qsort(in_pg, n, sizeof(*in_pg), cmp_str);
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
	for (i = 0; i < n_upserts; i += FULL_REFRESH_BATCH) {
		nb = n_upserts - i < FULL_REFRESH_BATCH ? n_upserts - i : FULL_REFRESH_BATCH;
		rc = tier_redis_store(r, upserts + i, nb, NULL, 0, 0, 0, NULL);
		if (rc != QUIRE_OK)
			goto out;
	}
	for (i = 0; i < n; i++) {
		if (bsearch(&in_pg[i], done, n_upserts, sizeof(*done), cmp_str))
			continue; /* stored above */
		if ((rc = refresh_one(pg, r, in_pg[i], &skipped)) != QUIRE_OK)
			goto out;
	}
	for (i = 0; i < n_old; i++) {
		if (bsearch(&old[i]->slug, in_pg, n, sizeof(*in_pg), cmp_str))
			continue;
		rc = tier_redis_refresh(r, old[i]->slug, NULL, old_stamps[i],
					&written);
		if (rc != QUIRE_OK)
			goto out;
		skipped += !written;
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
	log_msg(LOG_LEVEL_DEBUG, "deploy", "full_refresh redis_index_ms=%.1f "
		"pg_slugs_ms=%.1f store_ms=%.1f left_to_writers=%zu",
		t_old - t0, t_pg - t_old, quire_now_ms() - t_pg, skipped);
out:
	free(done);
	if (old_stamps)
		for (i = 0; i < n_old; i++)
			free(old_stamps[i]);
	free(old_stamps);
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
