/*
 * tiers_store.c - a writer's stores into Redis, and what it owes Redis
 *
 * After PostgreSQL committed a batch, the writer (the committer's
 * announcer, or a worker committing its own writes) stores the changed
 * records into Redis, moves the generation key and publishes the slugs.
 * Redis may refuse the store (out of memory under noeviction, a key of
 * the wrong type) or be unreachable: the database has the new versions
 * and Redis the old ones. Left so, the old copies stayed for good, since
 * the next store moved the key past them. So the slugs of a store (or
 * its publish) that did not go through are owed: kept here, in the
 * writer's handle, and written, read anew from PostgreSQL, with the next
 * store or by tiers_repair(), and published then, so that every worker
 * reads them again. This file is the one place that knows what Redis is
 * owed; the writer only decides what to do meanwhile and when to repair
 * (write/commit_reload.h).
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
#include "lib/log.h"
#include "lib/quire.h"
#include "tiers/tier_pg.h"
#include "tiers/tier_redis.h"
#include "tiers/tiers.h"
#include "tiers/tiers_private.h"
#include "tiers/tiers_restore.h"
#include "tiers/tiers_store.h"

/* The watch's commands wait this long at most (it looks again soon). */
#define TIERS_WATCH_TIMEOUT_MS 1000

/* One owed slug. */
struct owed_slug {
	char *slug;
	int in;                     /* written by the store under way */
};

/* Kept in the handle (tiers_private.h); tiers_free calls owed_release. */
struct tiers_owed {
	struct owed_slug *v;
	size_t n, cap;
	/* A slug could not be remembered: its copy may stay older, so no
	 * run of ours moves the key any more; a new run's first store
	 * still may, from right behind it (see above). */
	int lost;
	/* ... and the workers are told "*" by the next publish: a worker
	 * right behind it would otherwise apply only the slugs named. */
	int tell_all;
	long long last;             /* generation of the last store; 0: none */
	long long run_from;         /* first generation of the run ending at last */
	/* What a previous writer owed is unknown (tiers_owe_check): Redis's
	 * index is to be compared with PostgreSQL's before anything else. */
	int check;
	/* tiers_watch_behind's: its own Redis connection (a failure of
	 * its, found while the writer is idle, must not put the writer's
	 * own connection into the read path's back-off), the key it last
	 * saw behind PostgreSQL's generation (0: none), since when, and
	 * when it looks again. */
	struct tier_redis *watch_r;
	long long behind_key;
	double behind_since, watch_at;
};

/* The owed slugs a store writes besides its own, read anew, each with
 * the stamp of its post key in Redis read before PostgreSQL was. */
struct owed_read {
	struct record *recs[TIERS_OWED_BATCH];
	char *rec_stamps[TIERS_OWED_BATCH];
	size_t n_recs;
	char *dels[TIERS_OWED_BATCH]; /* borrowed from the owed set */
	char *del_stamps[TIERS_OWED_BATCH];
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

static void owed_release(struct tiers_owed *o)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		free(o->v[i].slug);
	free(o->v);
	tier_redis_close(o->watch_r);
	free(o);
}

int tiers_owing(const struct tiers *t)
{
	const struct tiers_owed *o = tiers_owed_of(t);

	return o && (o->n || o->tell_all || o->check);
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

/* Remembers slug as owed (once); past TIERS_OWED_MAX, or out of memory,
 * it is lost. */
static void owe(struct tiers_owed *o, const char *slug)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		if (strcmp(o->v[i].slug, slug) == 0)
			return;
	if (o->n == TIERS_OWED_MAX ||
	    quire_grow(&o->v, &o->cap, o->n, sizeof(*o->v), 64) != QUIRE_OK ||
	    !(o->v[o->n].slug = strdup(slug))) {
		if (!o->lost)
			log_msg(LOG_LEVEL_WARN, "redis", "slug=\"%s\" and later "
				"ones not tracked (%d owed): every worker behind "
				"is told to reload whole, and the generation key "
				"stays behind until a deploy rewrites Redis",
				slug, TIERS_OWED_MAX);
		o->lost = 1;
		o->tell_all = 1;
		return;
	}
	o->v[o->n++].in = 0;
}

/*
 * Reads anew, from PostgreSQL, the owed slugs b does not write itself,
 * up to TIERS_OWED_BATCH of them, into rd; marks every owed slug the
 * store will write (b's own too). rd->all says whether that is all.
 * Each slug's stamp in Redis is read first: another writer (a deploy,
 * another host's committer, the previous image's) that stores the slug
 * after that read committed after it too, so its version is newer than
 * the one read here, and the store leaves it (store_all).
 */
static void owed_gather(struct tiers *t, struct tier_redis *r,
			struct tiers_owed *o, const struct batch *b,
			struct owed_read *rd)
{
	struct tier_pg *p;
	struct record *rec;
	char *stamp;
	size_t i;
	enum quire_err rc;

	memset(rd, 0, sizeof(*rd));
	rd->all = 1;
	for (i = 0; i < o->n; i++) {
		o->v[i].in = 0;
		if (in_batch(b, o->v[i].slug)) {
			o->v[i].in = 1;
			continue;
		}
		if (!rd->all)
			continue;
		if (rd->n_recs + rd->n_dels == TIERS_OWED_BATCH || !(p = tiers_pg(t)) ||
		    tier_redis_stamp(r, o->v[i].slug, &stamp) != QUIRE_OK) {
			rd->all = 0;
			continue;
		}
		rc = tier_pg_fetch(p, o->v[i].slug, &rec);
		if (rc == QUIRE_OK) {
			rd->rec_stamps[rd->n_recs] = stamp;
			rd->recs[rd->n_recs++] = rec;
		} else if (rc == QUIRE_ENOTFOUND) {
			rd->del_stamps[rd->n_dels] = stamp;
			rd->dels[rd->n_dels++] = o->v[i].slug;
		} else {
			free(stamp);
			if (rc == QUIRE_EIO)
				tiers_pg_failed(t);
			rd->all = 0;
			continue;
		}
		o->v[i].in = 1;
	}
}

static void owed_read_release(struct owed_read *rd)
{
	size_t i;

	for (i = 0; i < rd->n_recs; i++) {
		record_free(rd->recs[i]);
		free(rd->rec_stamps[i]);
	}
	for (i = 0; i < rd->n_dels; i++)
		free(rd->del_stamps[i]);
}

/* Forgets the owed slugs just written and published. */
static void owed_drop_written(struct tiers_owed *o)
{
	size_t i = 0;

	while (i < o->n) {
		if (!o->v[i].in) {
			i++;
			continue;
		}
		free(o->v[i].slug);
		o->v[i] = o->v[--o->n];
	}
}

/* Publishes every slug stored, b's and rd's, under generation ("*" with
 * all), so that every worker reads them (one that holds generation
 * reads them again). */
static enum quire_err publish_stored(struct tier_redis *r, long long generation,
				     const struct batch *b,
				     const struct owed_read *rd, int all)
{
	const char **slugs;
	long long receivers;
	size_t i, n = 0;
	enum quire_err rc;

	if (all)
		return tier_redis_publish(r, generation, NULL, 0, 1, &receivers);
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

/*
 * rd's slugs, each only over the copy its stamp names (tier_redis_refresh:
 * one read before PostgreSQL was, so a version another writer stored
 * since, newer, stays: issue 15), then b's changes and the key
 * (tier_redis_store), which moves only once all of them are written.
 * Unconditional, the repair put the version it had read over a deploy's
 * newer one, and the workers told of the slug served the older.
 */
static enum quire_err store_all(struct tier_redis *r, const struct batch *b,
				const struct owed_read *rd, long long generation,
				long long from, int *moved)
{
	size_t i, kept = 0;
	int written;
	enum quire_err rc = QUIRE_OK;

	for (i = 0; rc == QUIRE_OK && i < rd->n_recs; i++) {
		rc = tier_redis_refresh(r, rd->recs[i]->slug, rd->recs[i],
					rd->rec_stamps[i], &written);
		kept += rc == QUIRE_OK && !written;
	}
	for (i = 0; rc == QUIRE_OK && i < rd->n_dels; i++) {
		rc = tier_redis_refresh(r, rd->dels[i], NULL, rd->del_stamps[i],
					&written);
		kept += rc == QUIRE_OK && !written;
	}
	if (kept)
		log_msg(LOG_LEVEL_INFO, "redis", "repair: %zu slug(s) stored by "
			"another writer since they were read: theirs kept", kept);
	if (rc != QUIRE_OK)
		return QUIRE_EIO;
	return tier_redis_store(r, b->recs, b->n, b->dels, b->n_dels, generation,
				from, moved);
}

/*
 * A key that would not move to generation may be ahead of PostgreSQL,
 * restored from an older backup (tiers_restore.h): then the tiers are
 * moved past it, and the generation to publish "*" under, so that every
 * worker reloads from PostgreSQL, is returned; else generation.
 */
static long long past_restore(struct tiers *t, struct tiers_owed *o,
			      struct tier_redis *r, long long generation)
{
	struct tier_pg *pg = tiers_pg(t);
	long long g = 0;
	size_t bumped = 0;
	int restored = 0;

	if (!pg || tiers_restore_check(pg, r, &restored) != QUIRE_OK ||
	    !restored)
		return generation;
	if (tiers_restore(pg, r, &g, &bumped) != QUIRE_OK) {
		/* The next batch whose key would not move tries again. */
		log_msg(LOG_LEVEL_WARN, "restore", "the tiers were not moved past "
			"the restore (%s; %s): run quirectl restore",
			tier_pg_error(pg), tier_redis_error(r));
		return generation;
	}
	o->tell_all = 1;
	return g;
}

/*
 * Stores b and what o owes (as much as one store takes), moving the key
 * to generation when that is everything, then publishes every slug
 * stored under generation. QUIRE_OK, the owed slugs written forgotten;
 * QUIRE_EIO: Redis refused the store or is down, or the publish failed
 * (then nothing is forgotten: err says why), or, while repairing,
 * nothing owed could be read; QUIRE_ENOMEM.
 */
static enum quire_err store_owing(struct tiers *t, struct tiers_owed *o,
				  const struct batch *b, long long generation,
				  int repairing, char *err, size_t errsz)
{
	struct tier_redis *r = tiers_redis(t);
	struct owed_read rd;
	long long gen = 0;
	size_t n_owed;
	int moved = 0;
	enum quire_err rc = QUIRE_EIO;

	snprintf(err, errsz, "no connection");
	if (!r)
		return QUIRE_EIO;
	owed_gather(t, r, o, b, &rd);
	if (repairing && o->n && rd.n_recs + rd.n_dels == 0) {
		snprintf(err, errsz, "postgresql cannot say what they are now");
		goto out;
	}
	if (rd.all && (!o->lost || o->run_from == generation))
		gen = generation;
	rc = store_all(r, b, &rd, gen, o->run_from, &moved);
	if (rc == QUIRE_OK && gen && !moved)
		generation = past_restore(t, o, r, generation);
	if (rc == QUIRE_OK) {
		if (moved)
			o->lost = 0;
		/* Before the owed set changes: rd.dels point into it. */
		rc = publish_stored(r, generation, b, &rd, o->tell_all);
	}
	if (rc != QUIRE_OK) {
		snprintf(err, errsz, "%s", tier_redis_error(r));
		goto out;
	}
	o->tell_all = 0;
	n_owed = o->n;
	owed_drop_written(o);
	if (n_owed != o->n)
		log_msg(LOG_LEVEL_INFO, "redis", "generation=%lld repaired=%zu "
			"owed=%zu%s", generation, n_owed - o->n, o->n,
			gen && moved ? "" : " (generation key left behind)");
out:
	owed_read_release(&rd);
	return rc;
}

/* t's owed set, made empty on first use; NULL on ENOMEM. */
static struct tiers_owed *owed_get(struct tiers *t)
{
	struct tiers_owed *o = tiers_owed_of(t);

	if (!o) {
		if (!(o = calloc(1, sizeof(*o))))
			return NULL;
		tiers_owed_set(t, o, owed_release);
	}
	return o;
}

static int by_slug(const void *a, const void *b)
{
	return strcmp((*(struct record *const *)a)->slug,
		      (*(struct record *const *)b)->slug);
}

/*
 * Owes every slug whose entry in Redis's index (rv, rn) is not
 * PostgreSQL's (pv, pn): another revision or hash, missing, or a post
 * PostgreSQL no longer has. Sorts both arrays.
 */
static void owe_differences(struct tiers_owed *o, struct record **pv, size_t pn,
			    struct record **rv, size_t rn)
{
	size_t i = 0, j = 0;
	int c;

	qsort(pv, pn, sizeof(*pv), by_slug);
	qsort(rv, rn, sizeof(*rv), by_slug);
	while (i < pn || j < rn) {
		c = i == pn ? 1 : j == rn ? -1 : strcmp(pv[i]->slug, rv[j]->slug);
		if (c < 0) {
			owe(o, pv[i++]->slug);
		} else if (c > 0) {
			owe(o, rv[j++]->slug);
		} else {
			if (pv[i]->revision != rv[j]->revision ||
			    pv[i]->hash != rv[j]->hash)
				owe(o, pv[i]->slug);
			i++;
			j++;
		}
	}
}

/*
 * The comparison tiers_owe_check asked for. A generation key at
 * PostgreSQL's or past it names what Redis holds (the key moves only
 * then); no key names nothing (a flushed Redis: readers compare with
 * PostgreSQL, misses are filled). A key behind: the slugs that differ
 * are owed, and this writer's run is taken to start right after the
 * key, so that the repair, holding them all, moves it to PostgreSQL's
 * generation. QUIRE_OK once compared; QUIRE_EIO while a tier fails.
 */
static enum quire_err owed_check(struct tiers *t, struct tiers_owed *o)
{
	struct tier_redis *r = tiers_redis(t);
	struct tier_pg *p = tiers_pg(t);
	struct record **rv = NULL, **pv = NULL;
	size_t rn = 0, pn = 0, before = o->n;
	long long rg = 0, pg = 0;
	int moved = 0;
	enum quire_err rc;

	if (!r || !p)
		return QUIRE_EIO;
	rc = tier_redis_index(r, &rv, &rn, &rg);
	if (rc == QUIRE_ENOTFOUND) {
		o->check = 0;
		return QUIRE_OK;
	}
	if (rc != QUIRE_OK)
		return QUIRE_EIO;
	if (tier_pg_index(p, &pv, &pn, &pg) != QUIRE_OK) {
		tiers_pg_failed(t);
		record_array_free(rv, rn);
		return QUIRE_EIO;
	}
	rc = QUIRE_OK;
	if (rg < pg) {
		owe_differences(o, pv, pn, rv, rn);
		/* This writer's own stores so far came before the snapshot
		 * (one thread): the differences cover them too. */
		o->last = pg;
		o->run_from = rg + 1;
		log_msg(LOG_LEVEL_WARN, "redis", "generation key %lld behind "
			"postgresql's %lld: %zu slug(s) differ, owed=%zu", rg, pg,
			o->n - before, o->n);
		/* Nothing differs: only the key is behind. */
		if (o->n == 0 && !o->lost)
			rc = tier_redis_store(r, NULL, 0, NULL, 0, pg, rg + 1, &moved);
	}
	record_array_free(rv, rn);
	record_array_free(pv, pn);
	if (rc == QUIRE_OK)
		o->check = 0;
	return rc == QUIRE_OK ? QUIRE_OK : QUIRE_EIO;
}

void tiers_owe_check(struct tiers *t)
{
	const struct config *cfg = tiers_cfg(t);
	struct tiers_owed *o;

	/* Both tiers, or nothing to compare. */
	if (!cfg->redis_url || !*cfg->redis_url || !cfg->database_url ||
	    !*cfg->database_url)
		return;
	if ((o = owed_get(t)))
		o->check = 1;
}

void tiers_watch_behind(struct tiers *t)
{
	const struct config *cfg = tiers_cfg(t);
	char err[256];
	struct tier_redis *r;
	struct tier_pg *p;
	struct tiers_owed *o;
	long long rg = 0, pg = 0;
	double now = quire_now_ms();

	if (!cfg->redis_url || !*cfg->redis_url || !cfg->database_url ||
	    !*cfg->database_url || !(o = owed_get(t)) || o->check ||
	    now < o->watch_at)
		return;
	o->watch_at = now + TIERS_WATCH_MS;
	if (o->watch_r && tier_redis_broken(o->watch_r)) {
		tier_redis_close(o->watch_r);
		o->watch_r = NULL;
	}
	if (!o->watch_r &&
	    tier_redis_connect(cfg->redis_url, cfg->redis_prefix,
			       TIERS_WATCH_TIMEOUT_MS, &o->watch_r, err,
			       sizeof(err)) != QUIRE_OK)
		o->watch_r = NULL;
	r = o->watch_r;
	p = tiers_pg(t);
	/* A tier down says nothing yet: the watch starts again once both
	 * answer, looking less often meanwhile (each failed look is a
	 * reconnection and its warning). No key names nothing: readers go
	 * by PostgreSQL. */
	if (!r || !p || tier_redis_generation(r, &rg) == QUIRE_EIO ||
	    tier_pg_generation(p, &pg) != QUIRE_OK) {
		o->behind_key = 0;
		o->watch_at = now + 4 * TIERS_WATCH_MS;
		return;
	}
	if (rg == 0 || rg >= pg) {
		o->behind_key = 0;
		return;
	}
	if (o->behind_key != rg) {
		o->behind_key = rg;
		o->behind_since = now;
		return;
	}
	if (now - o->behind_since < TIERS_BEHIND_MS)
		return;
	log_msg(LOG_LEVEL_WARN, "redis", "generation key %lld behind "
		"postgresql's %lld for %.0f ms, no store moving it: comparing",
		rg, pg, now - o->behind_since);
	o->behind_key = 0;
	o->check = 1;
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
	int was_owing;
	enum quire_err rc;

	if (!cfg->redis_url || !*cfg->redis_url)
		return QUIRE_EIO; /* no Redis: nothing to owe it */
	if (!o && !(o = owed_get(t)))
		return QUIRE_ENOMEM;
	if (!o->last || generation != o->last + 1)
		o->run_from = generation;
	o->last = generation;
	was_owing = tiers_owing(t);
	rc = store_owing(t, o, &b, generation, 0, err, sizeof(err));
	/* A connection that broke while the writer was idle (Redis
	 * restarted since its last batch) says nothing of Redis now: made
	 * again at once and the store tried once more, rather than the
	 * batch owed, answered "unknown" and a reload asked of the whole
	 * pool. Only a connection that was there: a Redis down stays down
	 * at the read path's back-off. */
	if (rc == QUIRE_EIO && tiers_redis_broke(t) && tiers_redis_now(t))
		rc = store_owing(t, o, &b, generation, 0, err, sizeof(err));
	if (rc == QUIRE_OK)
		return rc;
	for (i = 0; i < n; i++)
		owe(o, recs[i]->slug);
	for (i = 0; i < n_deletes; i++)
		owe(o, deletes[i]);
	/* Once an outage, not once a batch: a burst goes on failing. */
	log_msg(was_owing ? LOG_LEVEL_DEBUG : LOG_LEVEL_WARN, "redis",
		"generation=%lld not stored: %s; owed=%zu", generation, err, o->n);
	return rc;
}

enum quire_err tiers_repair(struct tiers *t)
{
	struct batch none = { NULL, 0, NULL, 0 };
	struct tiers_owed *o = tiers_owed_of(t);
	char err[256];
	enum quire_err rc;

	if (!tiers_owing(t))
		return QUIRE_OK;
	if (!tiers_redis_now(t))
		return QUIRE_EIO;
	if (o->check && owed_check(t, o) != QUIRE_OK)
		return QUIRE_EIO;
	/* Each round forgets what it wrote, or fails: it ends. */
	while (o->n || o->tell_all) {
		rc = store_owing(t, o, &none, o->last, 1, err, sizeof(err));
		if (rc != QUIRE_OK) {
			log_msg(LOG_LEVEL_DEBUG, "redis", "repair: %s; owed=%zu",
				err, o->n);
			return rc;
		}
	}
	return QUIRE_OK;
}
