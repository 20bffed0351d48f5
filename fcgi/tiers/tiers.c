/*
 * tiers.c - the read path below L1: Redis (L2), then PostgreSQL (L3)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "content/siteconf.h"
#include "lib/log.h"
#include "lib/metrics.h"
#include "lib/quire.h"
#include "tiers/tier_pg.h"
#include "tiers/tier_redis.h"
#include "tiers/tiers_floor.h"
#include "tiers/tiers.h"
#include "tiers/tiers_private.h"

#define TIERS_TIMEOUT_MS 1000
#define TIERS_BACKOFF_MIN_MS 100
#define TIERS_BACKOFF_MAX_MS 5000
#define TIERS_ACK_SLICE_MS 20     /* longest wait on acks between two reads */
#define TIERS_ACKS_RETRY_MS 1000  /* a refused acks subscription, again after */

/* One tier's connection state. */
struct link {
	double retry_at;     /* monotonic ms before which we do not try */
	long backoff_ms;
};

struct tiers {
	const struct config *cfg;
	struct tier_redis *redis;
	struct tiers_acks acks;  /* subscribed to the acks channel */
	int fetched_from;        /* 2 or 3: the tier the last fetch read */
	struct tier_pg *pg;
	/* The worker's floor (tiers_floor.h), or NULL: none kept. */
	struct tiers_floor *floor;
	struct link redis_link;
	struct link pg_link;
	/* What a writer owes Redis (tiers_store.c); NULL until its first
	 * store. Freed with owed_release, which tiers_store.c hands over. */
	struct tiers_owed *owed;
	void (*owed_release)(struct tiers_owed *);
};

static void link_failed(struct link *l)
{
	l->backoff_ms = l->backoff_ms ? l->backoff_ms * 2 : TIERS_BACKOFF_MIN_MS;
	if (l->backoff_ms > TIERS_BACKOFF_MAX_MS)
		l->backoff_ms = TIERS_BACKOFF_MAX_MS;
	l->retry_at = quire_now_ms() + (double)l->backoff_ms;
}

static void link_ok(struct link *l)
{
	l->backoff_ms = 0;
	l->retry_at = 0;
}

int tiers_configured(const struct config *cfg)
{
	return (cfg->redis_url && *cfg->redis_url) ||
	       (cfg->database_url && *cfg->database_url);
}

/* PostgreSQL is configured (whether it answers or not). */
static int pg_configured(const struct tiers *t)
{
	return t->cfg->database_url && *t->cfg->database_url;
}

struct tiers *tiers_new(const struct config *cfg)
{
	struct tiers *t = calloc(1, sizeof(*t));

	if (t)
		t->cfg = cfg;
	return t;
}

void tiers_free(struct tiers *t)
{
	if (!t)
		return;
	tier_redis_close(t->redis);
	tiers_acks_close(&t->acks);
	tier_pg_close(t->pg);
	if (t->owed)
		t->owed_release(t->owed);
	free(t);
}

/* Returns a usable Redis connection, or NULL (none, or backing off). */
static struct tier_redis *redis(struct tiers *t)
{
	char err[256];

	if (!t->cfg->redis_url || !*t->cfg->redis_url)
		return NULL;
	if (t->redis && tier_redis_broken(t->redis)) {
		log_msg(LOG_LEVEL_WARN, "redis", "%s; reconnecting",
			tier_redis_error(t->redis));
		tier_redis_close(t->redis);
		t->redis = NULL;
		link_failed(&t->redis_link);
	}
	if (t->redis)
		return t->redis;
	if (quire_now_ms() < t->redis_link.retry_at)
		return NULL;
	if (tier_redis_connect(t->cfg->redis_url, t->cfg->redis_prefix,
			       TIERS_TIMEOUT_MS, &t->redis, err,
			       sizeof(err)) != QUIRE_OK) {
		log_msg(LOG_LEVEL_WARN, "redis", "%s", err);
		t->redis = NULL;
		link_failed(&t->redis_link);
		return NULL;
	}
	link_ok(&t->redis_link);
	return t->redis;
}

void tiers_use_floor(struct tiers *t, struct tiers_floor *f)
{
	t->floor = f;
}

void tiers_warm(struct tiers *t)
{
	(void)redis(t);
}

void tiers_redis_drop(struct tiers *t)
{
	tier_redis_close(t->redis);
	t->redis = NULL;
	t->redis_link.retry_at = 0;
}

void tiers_try_now(struct tiers *t)
{
	t->pg_link.retry_at = 0;
	t->redis_link.retry_at = 0;
}

static struct tier_pg *pg(struct tiers *t)
{
	char err[256];

	if (!pg_configured(t))
		return NULL;
	if (t->pg)
		return t->pg;
	if (quire_now_ms() < t->pg_link.retry_at)
		return NULL;
	if (tier_pg_connect(t->cfg->database_url, &t->pg, err,
			    sizeof(err)) != QUIRE_OK) {
		log_msg(LOG_LEVEL_WARN, "postgresql", "%s", err);
		t->pg = NULL;
		link_failed(&t->pg_link);
		return NULL;
	}
	link_ok(&t->pg_link);
	return t->pg;
}

/* After a PostgreSQL error: back off (tier_pg resets its own handle). */
static void pg_failed(struct tiers *t)
{
	log_msg(LOG_LEVEL_WARN, "postgresql", "%s", tier_pg_error(t->pg));
	link_failed(&t->pg_link);
}

const struct config *tiers_cfg(const struct tiers *t)
{
	return t->cfg;
}

struct tiers_owed *tiers_owed_of(const struct tiers *t)
{
	return t->owed;
}

void tiers_owed_set(struct tiers *t, struct tiers_owed *o,
		    void (*release)(struct tiers_owed *))
{
	t->owed = o;
	t->owed_release = release;
}

struct tier_pg *tiers_pg(struct tiers *t)
{
	return pg(t);
}

struct tier_redis *tiers_redis(struct tiers *t)
{
	return redis(t);
}

int tiers_redis_broke(const struct tiers *t)
{
	return t->redis && tier_redis_broken(t->redis);
}

struct tier_redis *tiers_redis_now(struct tiers *t)
{
	/* The first call drops a broken connection (and backs off). */
	struct tier_redis *r = redis(t);

	if (r)
		return r;
	t->redis_link.retry_at = 0;
	return redis(t);
}

void tiers_pg_failed(struct tiers *t)
{
	if (t->pg)
		pg_failed(t);
}

struct tier_redis *tiers_acks_keep(struct tiers_acks *a,
				   const struct config *cfg)
{
	char err[256];

	if (a->sub && tier_redis_broken(a->sub)) {
		tier_redis_close(a->sub);
		a->sub = NULL;
	}
	/* A Redis that refuses the subscription (an ACL, say) is asked
	 * again a second later, not at every batch or deploy: the wait
	 * polls meanwhile. */
	if (a->sub || !cfg->redis_url || !*cfg->redis_url ||
	    quire_now_ms() < a->retry_at)
		return a->sub;
	if (tier_redis_connect(cfg->redis_url, cfg->redis_prefix,
			       TIERS_TIMEOUT_MS, &a->sub, err,
			       sizeof(err)) != QUIRE_OK ||
	    tier_redis_subscribe(a->sub, "acks") != QUIRE_OK) {
		tier_redis_close(a->sub);
		a->sub = NULL;
		a->retry_at = quire_now_ms() + TIERS_ACKS_RETRY_MS;
	}
	return a->sub;
}

void tiers_acks_close(struct tiers_acks *a)
{
	tier_redis_close(a->sub);
	memset(a, 0, sizeof(*a));
}

struct tier_redis *tiers_acks(struct tiers *t)
{
	/* Only while the main connection is up: a Redis that is down gets
	 * one connection attempt per back-off, not two. */
	return redis(t) ? tiers_acks_keep(&t->acks, t->cfg) : NULL;
}

/* Takes whatever acknowledgements wait on acks, without blocking: each
 * only says "read the registry again", once is enough. */
static void acks_drain(struct tier_redis *acks)
{
	char *msg;

	while (tier_redis_wait(acks, 0, &msg) == QUIRE_OK)
		free(msg);
}

enum quire_err tiers_wait_acks(struct tier_redis *r, struct tier_redis *acks,
			       long long generation, double timeout_ms,
			       long long max_age_s, int verbose, size_t *live,
			       size_t *acked)
{
	struct tier_redis_worker *w = NULL;
	/* Without an acks subscription, the registry is read every quarter
	 * of a millisecond: every write's answer and every deploy waits for
	 * this to see the last acknowledgement. */
	struct timespec tick = { 0, 250000L };
	double start = quire_now_ms(), left;
	size_t n = 0, i, ok = 0;
	char *msg;
	enum quire_err rc;

	*live = *acked = 0;
	if (acks)
		acks_drain(acks); /* older ones: the registry is read now */
	for (;;) {
		tier_redis_workers_free(w, n);
		w = NULL;
		n = 0;
		if (tier_redis_workers(r, max_age_s, &w, &n) != QUIRE_OK) {
			rc = QUIRE_EIO;
			break;
		}
		for (ok = 0, i = 0; i < n; i++)
			if (w[i].generation >= generation)
				ok++;
		*live = n;
		*acked = ok;
		if (ok == n) {
			rc = QUIRE_OK;
			break;
		}
		left = timeout_ms - (quire_now_ms() - start);
		if (left <= 0) {
			for (i = 0; verbose && i < n; i++)
				if (w[i].generation < generation)
					log_report("worker %s is at generation "
						   "%lld", w[i].id, w[i].generation);
			rc = QUIRE_ETIMEOUT;
			break;
		}
		if (acks && !tier_redis_broken(acks)) {
			/* Woken by the next acknowledgement; the slice bounds
			 * what a lost message could cost. */
			rc = tier_redis_wait(acks, left < TIERS_ACK_SLICE_MS ?
					     (int)left + 1 : TIERS_ACK_SLICE_MS, &msg);
			if (rc == QUIRE_OK) {
				free(msg);
				acks_drain(acks);
			}
			continue;
		}
		nanosleep(&tick, NULL);
	}
	tier_redis_workers_free(w, n);
	return rc;
}

/* True when rec is the version want names (want NULL: any). */
static int as_wanted(const struct record *rec, const struct tiers_want *want)
{
	return !want || (rec->revision == want->revision &&
			 rec->hash == want->hash);
}

/* Redis's copy of slug, if it is the one want names and no older than
 * what the worker holds (its floor). Returns QUIRE_OK; QUIRE_ENOTFOUND
 * (none, and the worker holds none either), QUIRE_ECONFLICT (another
 * version: a store Redis refused, or an update on its way to this
 * worker; or none while the worker holds one) or QUIRE_EIO. */
static enum quire_err fetch_l2(struct tiers *t, const char *slug,
			       const struct tiers_want *want,
			       struct record **out)
{
	struct tier_redis *r = redis(t);
	enum quire_err rc;

	if (!r)
		return QUIRE_EIO;
	rc = tier_redis_fetch(r, slug, out);
	/* Once more on a new connection when this one broke: idle, it may
	 * point at a Redis that restarted since (its first command fails),
	 * and the worker would serve a stale copy or 503 for nothing. */
	if (rc == QUIRE_EIO && tier_redis_broken(r) && (r = tiers_redis_now(t)))
		rc = tier_redis_fetch(r, slug, out);
	if (rc == QUIRE_OK && (!as_wanted(*out, want) ||
			       tiers_floor_refuses(t->floor, slug, *out))) {
		record_free(*out);
		*out = NULL;
		metrics_add(METRIC_L2_STALE, 1);
		return QUIRE_ECONFLICT;
	}
	if (rc == QUIRE_OK) {
		metrics_add(METRIC_L2_HITS, 1);
		tiers_floor_raise(t->floor, slug, (*out)->revision, (*out)->hash,
				  (*out)->generation);
		return QUIRE_OK;
	}
	metrics_add(rc == QUIRE_ENOTFOUND ? METRIC_L2_MISSES :
		    METRIC_L2_ERRORS, 1);
	if (rc != QUIRE_ENOTFOUND)
		return QUIRE_EIO;
	/* None in Redis, while the worker holds a version: not "gone"
	 * (flushed, evicted, a creation Redis refused). */
	return tiers_floor_refuses(t->floor, slug, NULL) ? QUIRE_ECONFLICT :
		QUIRE_ENOTFOUND;
}

/* PostgreSQL's version of slug: QUIRE_OK, QUIRE_ENOTFOUND or QUIRE_EIO
 * (none configured, backing off, or failed). */
static enum quire_err fetch_l3(struct tiers *t, const char *slug,
			       struct record **out)
{
	struct tier_pg *p = pg(t);
	enum quire_err rc;

	if (!p)
		return QUIRE_EIO;
	rc = tier_pg_fetch(p, slug, out);
	if (rc == QUIRE_OK || rc == QUIRE_ENOTFOUND) {
		metrics_add(rc == QUIRE_OK ? METRIC_L3_HITS : METRIC_L3_MISSES, 1);
		tiers_floor_truth(t->floor, slug, rc == QUIRE_OK ? *out : NULL);
		return rc;
	}
	metrics_add(METRIC_L3_ERRORS, 1);
	pg_failed(t);
	return QUIRE_EIO;
}

enum quire_err tiers_fetch(struct tiers *t, const char *slug,
			   const struct tiers_want *want, struct record **out)
{
	struct tier_redis *r;
	enum quire_err rc, l2;

	*out = NULL;
	l2 = fetch_l2(t, slug, want, out);
	if (l2 == QUIRE_OK) {
		t->fetched_from = 2;
		return QUIRE_OK;
	}
	/* Redis is a cache: a post it lacks is gone only when there is no
	 * PostgreSQL to ask, not when PostgreSQL cannot answer now. */
	if (!pg(t))
		return l2 == QUIRE_ENOTFOUND && !pg_configured(t) ?
			QUIRE_ENOTFOUND : QUIRE_EIO;
	rc = fetch_l3(t, slug, out);
	if (rc != QUIRE_OK)
		return rc;
	t->fetched_from = 3;
	/* Written back over a missing or older copy only (the fill script
	 * compares revisions); best effort: L2 is only a cache. */
	if ((l2 == QUIRE_ENOTFOUND || l2 == QUIRE_ECONFLICT) && (r = redis(t)))
		tier_redis_fill(r, *out);
	return QUIRE_OK;
}

enum quire_err tiers_fetch_source(struct tiers *t, const char *slug,
				  const struct tiers_want *want,
				  struct record **out)
{
	enum quire_err rc;

	*out = NULL;
	rc = fetch_l3(t, slug, out);
	if (rc != QUIRE_EIO)
		return rc;
	/* PostgreSQL cannot answer: Redis's copy only if it is the version
	 * the index names, never one a refused store left older, nor one
	 * older than this worker answered (its floor). */
	if (!want || fetch_l2(t, slug, want, out) != QUIRE_OK)
		return QUIRE_EIO;
	return QUIRE_OK;
}

static enum quire_err content_from(struct record **recs, size_t n,
				   struct content **out)
{
	struct content *c;
	size_t i;
	enum quire_err rc;

	c = calloc(1, sizeof(*c));
	if (!c)
		return QUIRE_ENOMEM;
	c->posts = calloc(n ? n : 1, sizeof(*c->posts));
	if (!c->posts) {
		free(c);
		return QUIRE_ENOMEM;
	}
	for (i = 0; i < n; i++) {
		rc = record_to_post(recs[i], &c->posts[c->n]);
		if (rc == QUIRE_ENOMEM) {
			content_free(c);
			return rc;
		}
		if (rc != QUIRE_OK) {
			log_msg(LOG_LEVEL_WARN, "content",
				"record \"%s\" does not parse; skipped", recs[i]->slug);
			c->n_errors++;
			continue;
		}
		c->n++;
	}
	*out = c;
	return QUIRE_OK;
}

/*
 * site.yaml as the tiers hold it (text NULL: none deployed) into c. The
 * deploy parsed it before storing it; one that no longer parses (stored
 * by a newer quire with keys this one does not know) is logged and the
 * defaults served, rather than no site at all.
 */
static enum quire_err conf_from(struct content *c, const char *text,
				size_t len)
{
	struct parse_error err;
	enum quire_err rc = siteconf_parse(text, len, &c->conf, &err);

	if (rc == QUIRE_ENOMEM || rc == QUIRE_OK)
		return rc;
	log_msg(LOG_LEVEL_ERROR, "load", "site.yaml in the tiers:%u:%u: %s; "
		"serving the defaults", err.line, err.column, err.message);
	return siteconf_parse(NULL, 0, &c->conf, &err);
}

enum quire_err tiers_load(struct tiers *t, struct content **out,
			  long long *generation)
{
	struct record **recs = NULL;
	struct tier_pg *p = pg(t);
	struct tier_redis *r;
	char *config = NULL;
	size_t n = 0, config_len = 0;
	enum quire_err rc = QUIRE_EIO;

	*out = NULL;
	if (p) {
		rc = tier_pg_index_site(p, &recs, &n, generation, &config,
					&config_len);
		if (rc != QUIRE_OK)
			pg_failed(t);
		else
			tiers_floor_site(t->floor, recs, n);
	}
	if (rc != QUIRE_OK && (r = redis(t))) {
		rc = tier_redis_index_site(r, &recs, &n, generation, &config,
					   &config_len);
		/* An empty Redis and no PostgreSQL configured: nothing
		 * deployed. With one configured that failed, an empty Redis
		 * (flushed, restarted) says nothing of what is deployed: an
		 * empty site loaded from it would answer 404 for every post
		 * (tests/coherence). */
		if (rc == QUIRE_ENOTFOUND && !pg_configured(t)) {
			*generation = 0;
			rc = QUIRE_OK;
		}
		/* An index behind what this worker holds (a store Redis
		 * refused, a deletion it did not take) is not loaded: the
		 * worker keeps its site until PostgreSQL answers. */
		if (rc == QUIRE_OK && tiers_floor_refuses_site(t->floor, recs, n)) {
			log_msg(LOG_LEVEL_WARN, "load", "redis's index is older "
				"than what this worker holds; not loaded");
			metrics_add(METRIC_L2_STALE, 1);
			record_array_free(recs, n);
			free(config);
			return QUIRE_EIO;
		}
	}
	if (rc != QUIRE_OK)
		return QUIRE_EIO;
	rc = content_from(recs, n, out);
	record_array_free(recs, n);
	if (rc == QUIRE_OK)
		rc = conf_from(*out, config, config_len);
	free(config);
	if (rc != QUIRE_OK) {
		content_free(*out);
		*out = NULL;
	}
	return rc;
}

int tiers_take_fetched_from(struct tiers *t)
{
	int from = t ? t->fetched_from : 0;

	if (t)
		t->fetched_from = 0;
	return from;
}

enum quire_err tiers_index_many(struct tiers *t, const char *const *slugs,
				size_t n, struct record ***out)
{
	struct tier_redis *r = redis(t);
	struct tier_pg *p;
	struct record *rec;
	size_t i;
	enum quire_err rc;

	*out = NULL;
	if (r && tier_redis_index_many(r, slugs, n, out) == QUIRE_OK) {
		/* Missing (evicted, lost) or malformed there is not gone:
		 * PostgreSQL says which (a post deleted is absent from both).
		 * Older than what this worker holds (a store Redis refused)
		 * is not taken either: PostgreSQL says what it is now. */
		for (i = 0; i < n; i++) {
			if ((*out)[i] &&
			    tiers_floor_refuses(t->floor, slugs[i], (*out)[i])) {
				metrics_add(METRIC_L2_STALE, 1);
				record_free((*out)[i]);
				(*out)[i] = NULL;
			} else if ((*out)[i]) {
				tiers_floor_raise(t->floor, slugs[i],
						  (*out)[i]->revision,
						  (*out)[i]->hash,
						  (*out)[i]->generation);
				continue;
			}
			/* only now: most updates find every entry in Redis.
			 * Without PostgreSQL nothing says the post is gone: the
			 * entry unread (a later format, malformed) must not
			 * delete it from the worker's site. */
			if (!(p = pg(t))) {
				record_array_free(*out, n);
				*out = NULL;
				return QUIRE_EIO;
			}
			rc = tier_pg_fetch(p, slugs[i], &rec);
			if (rc == QUIRE_OK || rc == QUIRE_ENOTFOUND)
				tiers_floor_truth(t->floor, slugs[i],
						  rc == QUIRE_OK ? rec : NULL);
			if (rc == QUIRE_OK) {
				(*out)[i] = rec;
			} else if (rc != QUIRE_ENOTFOUND) {
				pg_failed(t);
				record_array_free(*out, n);
				*out = NULL;
				return QUIRE_EIO;
			}
		}
		return QUIRE_OK;
	}
	p = pg(t);
	if (!p)
		return QUIRE_EIO;
	*out = calloc(n ? n : 1, sizeof(**out));
	if (!*out)
		return QUIRE_ENOMEM;
	for (i = 0; i < n; i++) {
		rc = tier_pg_fetch(p, slugs[i], &rec);
		if (rc == QUIRE_OK || rc == QUIRE_ENOTFOUND)
			tiers_floor_truth(t->floor, slugs[i],
					  rc == QUIRE_OK ? rec : NULL);
		if (rc == QUIRE_ENOTFOUND)
			continue;
		if (rc != QUIRE_OK) {
			pg_failed(t);
			record_array_free(*out, n);
			*out = NULL;
			return QUIRE_EIO;
		}
		(*out)[i] = rec;
	}
	return QUIRE_OK;
}

enum quire_err tiers_generation(struct tiers *t, long long *generation)
{
	return tiers_generation_keyed(t, generation, NULL);
}

enum quire_err tiers_generation_keyed(struct tiers *t, long long *generation,
				      int *keyed)
{
	struct tier_redis *r = redis(t);
	struct tier_pg *p;
	enum quire_err rc;

	if (keyed)
		*keyed = 0;
	if (r) {
		rc = tier_redis_generation(r, generation);
		if (rc == QUIRE_OK) {
			if (keyed)
				*keyed = 1;
			return QUIRE_OK;
		}
		if (rc == QUIRE_ENOTFOUND && !pg_configured(t)) {
			*generation = 0;
			return QUIRE_OK;
		}
	}
	p = pg(t);
	if (!p)
		return QUIRE_EIO;
	if (tier_pg_generation(p, generation) != QUIRE_OK) {
		pg_failed(t);
		return QUIRE_EIO;
	}
	return QUIRE_OK;
}

enum quire_err tiers_clock_offset(struct tiers *t, long long *offset_ms)
{
	struct tier_redis *r = redis(t);

	return r ? tier_redis_clock_offset(r, offset_ms) : QUIRE_EIO;
}

enum quire_err tiers_generation_truth(struct tiers *t, long long *generation)
{
	struct tier_pg *p = pg(t);

	if (!p)
		return QUIRE_EIO;
	if (tier_pg_generation(p, generation) != QUIRE_OK) {
		pg_failed(t);
		return QUIRE_EIO;
	}
	return QUIRE_OK;
}

enum quire_err tiers_ack(struct tiers *t, const char *worker_id,
			 long long generation)
{
	struct tier_redis *r = redis(t);

	return r ? tier_redis_ack(r, worker_id, generation, 1) : QUIRE_EIO;
}

enum quire_err tiers_beat(struct tiers *t, const char *worker_id,
			  long long generation)
{
	struct tier_redis *r = redis(t);

	return r ? tier_redis_ack(r, worker_id, generation, 0) : QUIRE_EIO;
}

enum quire_err tiers_forget(struct tiers *t, const char *worker_id)
{
	struct tier_redis *r = redis(t);

	return r ? tier_redis_forget(r, worker_id) : QUIRE_EIO;
}
