/*
 * tier_pg_restore.c - PostgreSQL moved past what the other tiers saw,
 * after a restore from an older backup (tier_pg.h, tier_pg_restore)
 */
#include <stdio.h>
#include <stdlib.h>

#include "lib/buf.h"
#include "lib/quire.h"
#include "tiers/tier_pg.h"
#include "tiers/tier_pg_private.h"

/*
 * A post whose restored row is behind what was seen of it (a lower
 * revision, or the same revision with another hash: a version the
 * restore took back) gets the revision after the one seen, so that no
 * ETag handed out before the restore names the restored version, nor a
 * later one of its new history. As stored: the hash's signed pattern.
 */
static const char bump_posts_sql[] =
	"UPDATE posts AS p SET revision = v.rev::bigint + 1"
	" FROM unnest($1::text[], $2::text[], $3::text[]) AS v(slug, rev, hash)"
	" WHERE p.slug = v.slug AND (p.revision < v.rev::bigint"
	" OR (p.revision = v.rev::bigint AND p.hash <> v.hash::bigint))";

/* The generation past floor and past its own, a new stamp: every tier
 * and cache that names an older generation or stamp is behind. */
static const char bump_site_sql[] =
	"UPDATE site SET generation = greatest(generation, $1::bigint) + 1,"
	" stamp = md5(random()::text || clock_timestamp()::text)"
	" RETURNING generation";

/* The three text[] parameters of bump_posts_sql from v[0..n). */
static enum quire_err seen_params(const struct tier_pg_seen *v, size_t n,
				  struct buf arrays[3])
{
	char **lists[3], (*nums)[2][24];
	enum quire_err rc = QUIRE_ENOMEM;
	size_t j;
	int i;

	for (i = 0; i < 3; i++)
		lists[i] = calloc(n ? n : 1, sizeof(*lists[i]));
	nums = calloc(n ? n : 1, sizeof(*nums));
	if (!lists[0] || !lists[1] || !lists[2] || !nums)
		goto out;
	for (j = 0; j < n; j++) {
		lists[0][j] = (char *)v[j].slug;
		snprintf(nums[j][0], sizeof(nums[j][0]), "%lld", v[j].revision);
		snprintf(nums[j][1], sizeof(nums[j][1]), "%lld",
			 (long long)v[j].hash);
		lists[1][j] = nums[j][0];
		lists[2][j] = nums[j][1];
	}
	rc = QUIRE_OK;
	for (i = 0; i < 3 && rc == QUIRE_OK; i++)
		rc = pg_text_array_encode(&arrays[i], lists[i], n);
out:
	for (i = 0; i < 3; i++)
		free(lists[i]);
	free(nums);
	return rc;
}

enum quire_err tier_pg_restore(struct tier_pg *pg, const struct tier_pg_seen *v,
			       size_t n, long long floor,
			       long long *generation, size_t *n_bumped)
{
	struct buf arrays[3] = { BUF_INIT, BUF_INIT, BUF_INIT };
	const char *values[3];
	int lengths[3], formats[3] = { 1, 1, 1 }, i;
	char fl[24];
	const char *fv[1] = { fl };
	PGresult *res = NULL;
	enum quire_err rc;

	*generation = 0;
	*n_bumped = 0;
	if (floor < 0 || n > QUIRE_MAX_POSTS)
		return QUIRE_EINVAL;
	rc = seen_params(v, n, arrays);
	if (rc != QUIRE_OK) {
		pg_set_error(pg, "restore", "cannot encode", NULL);
		goto out;
	}
	for (i = 0; i < 3; i++) {
		values[i] = arrays[i].data;
		lengths[i] = (int)arrays[i].len;
	}
	snprintf(fl, sizeof(fl), "%lld", floor);
	if ((rc = pg_ready(pg, 0)) != QUIRE_OK ||
	    (rc = pg_exec_simple(pg, "restore", "BEGIN; " PG_SYNC_COMMIT_SQL,
				 NULL)) != QUIRE_OK)
		goto out;
	rc = pg_exec_params(pg, "restore posts", bump_posts_sql, 3, values,
			    lengths, formats, &res);
	if (rc == QUIRE_OK) {
		*n_bumped = (size_t)strtoull(PQcmdTuples(res), NULL, 10);
		PQclear(res);
		res = NULL;
		rc = pg_exec_params(pg, "restore site", bump_site_sql, 1, fv,
				    NULL, NULL, &res);
	}
	if (rc == QUIRE_OK && (PQntuples(res) != 1 ||
			       pg_col_ll(res, 0, 0, generation) != QUIRE_OK)) {
		pg_set_error(pg, "restore", "no site row", NULL);
		rc = QUIRE_EIO;
	}
	if (rc == QUIRE_OK)
		rc = pg_exec_simple(pg, "restore", "COMMIT", NULL);
	if (rc != QUIRE_OK) {
		pg_rollback(pg);
		*generation = 0;
		*n_bumped = 0;
	}
out:
	PQclear(res);
	for (i = 0; i < 3; i++)
		buf_release(&arrays[i]);
	return rc;
}
