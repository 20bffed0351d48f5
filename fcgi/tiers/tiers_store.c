/*
 * tiers_store.c - a writer's stores into Redis, and the slugs it owes
 *
 * After PostgreSQL committed a batch, the writer (the committer's
 * announcer) stores the changed records into Redis and moves the
 * generation key. Redis may refuse the store (out of memory under
 * noeviction, a key of the wrong type) or be unreachable: the database
 * has the new versions and Redis the old ones. Left so, the old copies
 * stayed for good, since the next store moved the key past them. So the
 * slugs of a store that did not go in are owed: kept here, and written,
 * read anew from PostgreSQL, with the next store or by tiers_repair().
 *
 * The generation key names what Redis holds. A writer's consecutive
 * generations form a run; a store moves the key only when it holds
 * everything owed, and then from the generation before the run or later
 * (tier_redis_store's from): every generation of the run is in Redis,
 * stored then or repaired now. A generation of another writer between
 * two of ours starts a new run, whose first store moves the key only
 * from right behind it: that writer holds the same rule, and a key that
 * got past one of our failures got there by a whole rewrite.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "content/record.h"
#include "lib/config.h"
#include "lib/limits.h"
#include "lib/log.h"
#include "lib/quire.h"
#include "tiers/tier_pg.h"
#include "tiers/tier_redis.h"
#include "tiers/tiers.h"
#include "tiers/tiers_private.h"
#include "tiers/tiers_store.h"

#define OWED_MAX 1024           /* slugs remembered; past it, lost */
#define OWED_BATCH 256          /* owed slugs one store writes */

/* One allocation, in the handle (tiers_private.h): tiers_free frees it.
 * Touched only as far as it is used (calloc of pages the kernel zeroes). */
struct tiers_owed {
	char slug[OWED_MAX][QUIRE_MAX_SLUG + 1];
	unsigned char in[OWED_MAX]; /* written by the store under way */
	size_t n;
	/* A slug could not be remembered: its copy may stay older, so no
	 * run of ours moves the key any more; a new run's first store
	 * still may, from right behind it (see above). */
	int lost;
	long long last;             /* generation of the last store; 0: none */
	long long run_from;         /* first generation of the run ending at last */
};

/* The owed slugs a store writes besides its own, read anew. */
struct owed_read {
	struct record *recs[OWED_BATCH];
	size_t n_recs;
	char *dels[OWED_BATCH];     /* borrowed from the owed set */
	size_t n_dels;
	int all;                    /* every owed slug is written */
};

/* A store's own changes. */
struct batch {
	struct record *const *recs;
	size_t n;
	char *const *dels;
	size_t n_dels;
};

size_t tiers_owed(const struct tiers *t)
{
	const struct tiers_owed *o = tiers_owed_of(t);

	return o ? o->n : 0;
}

static int in_batch(const struct batch *b, const char *slug)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (strcmp(b->recs[i]->slug, slug) == 0)
			return 1;
	for (i = 0; i < b->n_dels; i++)
		if (strcmp(b->dels[i], slug) == 0)
			return 1;
	return 0;
}

/* Remembers slug as owed (once). */
static void owe(struct tiers_owed *o, const char *slug)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		if (strcmp(o->slug[i], slug) == 0)
			return;
	if (o->n == OWED_MAX || strlen(slug) > QUIRE_MAX_SLUG) {
		if (!o->lost)
			log_msg(LOG_LEVEL_WARN, "redis", "slug=\"%s\" and later "
				"ones not tracked (%d owed): the generation key "
				"stays behind until a deploy rewrites Redis",
				slug, OWED_MAX);
		o->lost = 1;
		return;
	}
	strcpy(o->slug[o->n], slug);
	o->in[o->n++] = 0;
}

/*
 * Reads anew, from PostgreSQL, the owed slugs b does not write itself,
 * up to OWED_BATCH of them, into rd; marks in o->in every owed slug the
 * store will write (b's own too). rd->all says whether that is all.
 */
static void owed_gather(struct tiers *t, struct tiers_owed *o,
			const struct batch *b, struct owed_read *rd)
{
	struct tier_pg *p;
	struct record *rec;
	size_t i;
	enum quire_err rc;

	memset(rd, 0, sizeof(*rd));
	rd->all = 1;
	for (i = 0; i < o->n; i++) {
		o->in[i] = 0;
		if (in_batch(b, o->slug[i])) {
			o->in[i] = 1;
			continue;
		}
		if (!rd->all)
			continue;
		if (rd->n_recs + rd->n_dels == OWED_BATCH || !(p = tiers_pg(t))) {
			rd->all = 0;
			continue;
		}
		rc = tier_pg_fetch(p, o->slug[i], &rec);
		if (rc == QUIRE_OK) {
			rd->recs[rd->n_recs++] = rec;
		} else if (rc == QUIRE_ENOTFOUND) {
			rd->dels[rd->n_dels++] = o->slug[i];
		} else {
			if (rc == QUIRE_EIO)
				tiers_pg_failed(t);
			rd->all = 0;
			continue;
		}
		o->in[i] = 1;
	}
}

/* Forgets the owed slugs just written (marked in o->in). */
static void owed_drop_written(struct tiers_owed *o)
{
	size_t i = 0;

	while (i < o->n) {
		if (!o->in[i]) {
			i++;
			continue;
		}
		if (i != --o->n)
			memcpy(o->slug[i], o->slug[o->n], sizeof(o->slug[i]));
		o->in[i] = o->in[o->n];
	}
}

/* Publishes every slug stored, b's and rd's, under generation, so that
 * every worker reads them (one that holds generation reads them again). */
static enum quire_err publish_stored(struct tier_redis *r, long long generation,
				     const struct batch *b,
				     const struct owed_read *rd)
{
	const char **slugs;
	long long receivers;
	size_t i, n = 0;
	enum quire_err rc;

	slugs = calloc(b->n + b->n_dels + rd->n_recs + rd->n_dels + 1,
		       sizeof(*slugs));
	if (!slugs)
		return QUIRE_ENOMEM;
	for (i = 0; i < b->n; i++)
		slugs[n++] = b->recs[i]->slug;
	for (i = 0; i < b->n_dels; i++)
		slugs[n++] = b->dels[i];
	for (i = 0; i < rd->n_recs; i++)
		slugs[n++] = rd->recs[i]->slug;
	for (i = 0; i < rd->n_dels; i++)
		slugs[n++] = rd->dels[i];
	rc = tier_redis_publish(r, generation, slugs, n, 0, &receivers);
	free(slugs);
	return rc;
}

/* The arrays tier_redis_store takes: b's changes, then rd's. */
static enum quire_err store_all(struct tier_redis *r, const struct batch *b,
				const struct owed_read *rd, long long generation,
				long long from, int *moved)
{
	struct record **recs = calloc(b->n + rd->n_recs + 1, sizeof(*recs));
	char **dels = calloc(b->n_dels + rd->n_dels + 1, sizeof(*dels));
	enum quire_err rc = QUIRE_ENOMEM;

	if (recs && dels) {
		if (b->n)
			memcpy(recs, b->recs, b->n * sizeof(*recs));
		memcpy(recs + b->n, rd->recs, rd->n_recs * sizeof(*recs));
		if (b->n_dels)
			memcpy(dels, b->dels, b->n_dels * sizeof(*dels));
		memcpy(dels + b->n_dels, rd->dels, rd->n_dels * sizeof(*dels));
		rc = tier_redis_store(r, recs, b->n + rd->n_recs, dels,
				      b->n_dels + rd->n_dels, generation, from,
				      moved);
	}
	free(recs);
	free(dels);
	return rc;
}

/*
 * Stores b and what o owes (as much as one store takes), moving the key
 * to generation when that is everything, then publishes every slug
 * stored under generation. QUIRE_OK; QUIRE_EIO: Redis refused the store
 * or is down (*stored 0), or the publish failed (*stored 1), or, while
 * repairing, nothing owed could be read; QUIRE_ENOMEM.
 */
static enum quire_err store_owing(struct tiers *t, struct tiers_owed *o,
				  const struct batch *b, long long generation,
				  int repairing, int *stored, char *err,
				  size_t errsz)
{
	struct tier_redis *r = tiers_redis(t);
	struct owed_read rd;
	long long gen = 0;
	size_t i, n_owed;
	int moved = 0;
	enum quire_err rc = QUIRE_EIO;

	*stored = 0;
	snprintf(err, errsz, "no connection");
	if (!r)
		return QUIRE_EIO;
	owed_gather(t, o, b, &rd);
	if (repairing && rd.n_recs + rd.n_dels == 0)
		goto out; /* PostgreSQL cannot say what they are now */
	if (rd.all && (!o->lost || o->run_from == generation))
		gen = generation;
	rc = store_all(r, b, &rd, gen, o->run_from, &moved);
	if (rc != QUIRE_OK) {
		snprintf(err, errsz, "%s", tier_redis_error(r));
		goto out;
	}
	*stored = 1;
	if (moved)
		o->lost = 0;
	/* Before the owed set changes: rd.dels point into it. */
	rc = publish_stored(r, generation, b, &rd);
	n_owed = o->n;
	owed_drop_written(o);
	if (n_owed != o->n)
		log_msg(LOG_LEVEL_INFO, "redis", "generation=%lld repaired=%zu "
			"owed=%zu%s", generation, n_owed - o->n, o->n,
			gen && moved ? "" : " (generation key left behind)");
out:
	for (i = 0; i < rd.n_recs; i++)
		record_free(rd.recs[i]);
	return rc;
}

enum quire_err tiers_announce(struct tiers *t, struct record *const *recs,
			      size_t n, char *const *deletes, size_t n_deletes,
			      long long generation)
{
	const struct config *cfg = tiers_cfg(t);
	struct batch b = { recs, n, deletes, n_deletes };
	struct tiers_owed *o = tiers_owed_of(t);
	char err[256];
	size_t i;
	int stored;
	enum quire_err rc;

	if (!cfg->redis_url || !*cfg->redis_url)
		return QUIRE_EIO; /* no Redis: nothing to owe it */
	if (!o) {
		if (!(o = calloc(1, sizeof(*o))))
			return QUIRE_ENOMEM;
		tiers_owed_set(t, o);
	}
	if (!o->last || generation != o->last + 1)
		o->run_from = generation;
	o->last = generation;
	rc = store_owing(t, o, &b, generation, 0, &stored, err, sizeof(err));
	if (rc == QUIRE_OK || stored)
		return rc;
	for (i = 0; i < n; i++)
		owe(o, recs[i]->slug);
	for (i = 0; i < n_deletes; i++)
		owe(o, deletes[i]);
	log_msg(LOG_LEVEL_WARN, "redis", "generation=%lld not stored: %s; "
		"owed=%zu", generation, err, o->n);
	return rc;
}

enum quire_err tiers_repair(struct tiers *t)
{
	struct batch none = { NULL, 0, NULL, 0 };
	struct tiers_owed *o = tiers_owed_of(t);
	char err[256];
	int stored;
	enum quire_err rc;

	while (o && o->n) {
		rc = store_owing(t, o, &none, o->last, 1, &stored, err,
				 sizeof(err));
		if (rc != QUIRE_OK)
			return rc;
	}
	return QUIRE_OK;
}
