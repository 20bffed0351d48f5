/*
 * commit.c - committing a batch of API writes, and telling the workers
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/metrics.h"
#include "lib/quire.h"
#include "tiers/tier_redis.h"
#include "tiers/tiers.h"
#include "tiers/tiers_store.h"
#include "write/commit.h"
#include "write/commit_reload.h"

#define COMMIT_ACK_TIMEOUT_MS 2000
#define COMMIT_WORKER_MAX_AGE_S 10
#define COMMIT_UNCERTAIN_MAX 4096

/* Slugs of writes whose commit may have happened unanswered (this
 * process's: the committer's main thread, or a master-less worker). */
static char *uncertain[COMMIT_UNCERTAIN_MAX];
static size_t n_uncertain;

/* The slug of op i, whichever kind. */
static const char *op_slug(const struct tier_pg_op *ops, size_t i)
{
	return ops[i].rec ? ops[i].rec->slug : ops[i].slug;
}

/* Whether an op of ops[from..n) applied a write to slug. */
static int applied_from(const struct tier_pg_op *ops, size_t n, size_t from,
			const char *slug)
{
	size_t j;

	for (j = from; j < n; j++)
		if (ops[j].rc == QUIRE_OK && strcmp(op_slug(ops, j), slug) == 0)
			return 1;
	return 0;
}

static void remember_uncertain(const struct commit_batch *b)
{
	size_t i, j;

	for (i = 0; i < b->n; i++) {
		if (b->ops[i].rc != QUIRE_EIO)
			continue;
		for (j = 0; j < n_uncertain; j++)
			if (strcmp(uncertain[j], op_slug(b->ops, i)) == 0)
				break;
		if (j < n_uncertain)
			continue;
		if (n_uncertain == COMMIT_UNCERTAIN_MAX ||
		    !(uncertain[n_uncertain] = strdup(op_slug(b->ops, i)))) {
			log_msg(LOG_LEVEL_WARN, "commit", "slug=\"%s\" may have "
				"committed unanswered and is not tracked: Redis may "
				"keep an older copy", op_slug(b->ops, i));
			continue;
		}
		n_uncertain++;
	}
}

/* Reads back what the database holds for the uncertain slugs into b's
 * extras (those b itself wrote are current already). */
static void refetch_uncertain(struct tier_pg *pg, struct commit_batch *b)
{
	struct record *rec;
	size_t i = 0;
	enum quire_err rc;

	while (i < n_uncertain && b->n_extra < COMMIT_EXTRA_MAX &&
	       b->n_extra_gone < COMMIT_EXTRA_MAX) {
		if (!applied_from(b->ops, b->n, 0, uncertain[i])) {
			rc = tier_pg_fetch(pg, uncertain[i], &rec);
			if (rc == QUIRE_OK) {
				b->extra[b->n_extra++] = rec;
			} else if (rc == QUIRE_ENOTFOUND) {
				b->extra_gone[b->n_extra_gone++] = uncertain[i];
				uncertain[i] = NULL;
			} else {
				return; /* the next batch tries again */
			}
		}
		log_msg(LOG_LEVEL_INFO, "commit", "slug=\"%s\" re-read after an "
			"unanswered commit", uncertain[i] ? uncertain[i] :
			b->extra_gone[b->n_extra_gone - 1]);
		free(uncertain[i]);
		uncertain[i] = uncertain[--n_uncertain];
	}
}

void commit_batch_release(struct commit_batch *b)
{
	size_t i;

	for (i = 0; i < b->n_extra; i++)
		record_free(b->extra[i]);
	for (i = 0; i < b->n_extra_gone; i++)
		free(b->extra_gone[i]);
	b->n_extra = 0;
	b->n_extra_gone = 0;
}

/* Every applied write's reply says how many live workers acknowledged
 * it (live -1: not known, none could be told or counted). */
static void set_acked(struct commit_batch *b, long acked, long live)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (b->replies[i].rc == QUIRE_OK) {
			b->replies[i].acked = acked > INT32_MAX ? INT32_MAX : (int32_t)acked;
			b->replies[i].live = live > INT32_MAX ? INT32_MAX : (int32_t)live;
		}
}

enum quire_err commit_announce(struct tiers *t, struct commit_batch *b,
			       struct commit_reload *o)
{
	struct record *recs[COMMIT_BATCH_MAX + COMMIT_EXTRA_MAX];
	char *dels[COMMIT_BATCH_MAX + COMMIT_EXTRA_MAX];
	struct tier_redis *r, *acks;
	size_t i, n_recs = 0, n_dels = 0, live = 0, acked = 0;
	double t0 = quire_now_ms(), t1;
	enum quire_err rc;

	if (!b->gen)
		return QUIRE_OK;
	r = tiers_redis(t);
	/* Subscribed before the publish: the acknowledgements wake the wait. */
	acks = r ? tiers_acks(t) : NULL;
	/* Each slug b changed, in its last state, once. */
	for (i = 0; i < b->n; i++) {
		if (b->ops[i].rc != QUIRE_OK ||
		    applied_from(b->ops, b->n, i + 1, op_slug(b->ops, i)))
			continue;
		if (b->ops[i].rec)
			recs[n_recs++] = b->ops[i].rec;
		else
			dels[n_dels++] = (char *)b->ops[i].slug;
	}
	for (i = 0; i < b->n_extra; i++)
		recs[n_recs++] = b->extra[i];
	for (i = 0; i < b->n_extra_gone; i++)
		dels[n_dels++] = b->extra_gone[i];
	/* Stored and published with what earlier announces left owed to
	 * Redis; one that fails is owed in turn (tiers_store.c). */
	rc = tiers_announce(t, recs, n_recs, dels, n_dels, b->gen);
	if (rc != QUIRE_OK) {
		log_msg(LOG_LEVEL_DEBUG, "commit", "generation=%lld not announced: %s",
			b->gen, quire_strerror(rc));
		set_acked(b, 0, -1);
		commit_reload_failed(o, b->gen);
		return QUIRE_EIO;
	}
	commit_reload_paid(o);
	if (!(r = tiers_redis(t))) {
		set_acked(b, 0, -1); /* published, but nobody can be counted */
		return QUIRE_OK;
	}
	t1 = quire_now_ms();
	rc = tiers_wait_acks(r, acks, b->gen, COMMIT_ACK_TIMEOUT_MS,
			     COMMIT_WORKER_MAX_AGE_S, 0, &live, &acked);
	if (rc != QUIRE_OK)
		log_msg(LOG_LEVEL_WARN, "commit", "generation=%lld "
			"acknowledged by %zu of %zu workers", b->gen, acked, live);
	/* A registry that could not be read counts nobody; nor does an
	 * empty one: a worker serves this very write, so none registered
	 * means the registry is behind (Redis restarted or flushed, the
	 * next beats not in yet), and "0/0" would read as served by all. */
	set_acked(b, (long)acked, rc == QUIRE_EIO || live == 0 ? -1 : (long)live);
	/* What a batch cost, and where: the figures tests/bench/write's
	 * RESULTS.md explains the rate with. */
	log_msg(LOG_LEVEL_DEBUG, "commit", "writes=%zu applied=%zu "
		"generation=%lld pg_ms=%.2f redis_ms=%.2f ack_ms=%.2f", b->n,
		n_recs + n_dels, b->gen, b->pg_ms, t1 - t0, quire_now_ms() - t1);
	return QUIRE_OK;
}

void commit_retry(struct tiers *t, struct commit_reload *o)
{
	if (!commit_reload_retry_due(o, t))
		return;
	/* Redis first: once it takes what is owed, no reload is due. */
	if (tiers_owing(t) && tiers_repair(t) == QUIRE_OK)
		commit_reload_paid(o);
	commit_reload_tick(o);
}

/* A refused write's reply names the file that owns its slug: the path,
 * its end kept when it is longer than a message (the file name tells
 * most); "" when the path is not known. */
static void owner_message(struct commit_reply *r, const char *path)
{
	size_t len = path ? strlen(path) : 0, room = sizeof(r->message) - 1;

	if (len <= room)
		snprintf(r->message, sizeof(r->message), "%s", path ? path : "");
	else
		snprintf(r->message, sizeof(r->message), "...%s",
			 path + len - (room - 3));
}

/* A write refused as a case twin (QUIRE_ECASE): the reply names the
 * slug held, as the check before the write does (page_api.c); "" when
 * it cannot be read now. */
static void twin_message(struct tier_pg *pg, struct commit_reply *r,
			 const char *slug)
{
	char *other = NULL;

	if (tier_pg_other_case(pg, slug, &other) == QUIRE_OK && other)
		snprintf(r->message, sizeof(r->message), "%s", other);
	free(other);
}

void commit_to_pg(struct tiers *t, struct commit_batch *b)
{
	struct tier_pg *pg = tiers_pg(t);
	size_t i, applied = 0;
	enum quire_err rc = QUIRE_EIO;
	double start = quire_now_ms();

	b->gen = 0;
	for (i = 0; i < b->n; i++) {
		memset(&b->ops[i], 0, sizeof(b->ops[i]));
		b->ops[i].slug = b->reqs[i]->slug;
		b->ops[i].rec = b->reqs[i]->rec;
		b->ops[i].cond = &b->reqs[i]->cond;
		b->ops[i].rc = QUIRE_EIO;
	}
	if (pg)
		rc = tier_pg_write(pg, b->ops, b->n, &b->gen);
	if (rc != QUIRE_OK) {
		b->gen = 0;
		if (pg) {
			tiers_pg_failed(t);
			remember_uncertain(b);
		}
	} else {
		/* A batch retried one write at a time commits some and may
		 * lose the answer to another: that one is uncertain too. */
		remember_uncertain(b);
		if (b->gen && n_uncertain)
			refetch_uncertain(pg, b);
	}
	for (i = 0; i < b->n; i++) {
		struct commit_reply *r = &b->replies[i];

		memset(r, 0, sizeof(*r));
		r->id = b->reqs[i]->id;
		r->rc = b->ops[i].rc;
		if (r->rc == QUIRE_OK) {
			applied++;
			r->revision = b->ops[i].rec ? b->ops[i].rec->revision : 0;
			r->created = b->ops[i].created;
			r->generation = b->gen;
		} else if (r->rc == QUIRE_EOWNED) {
			owner_message(r, b->ops[i].owner);
		} else if (r->rc == QUIRE_ECASE) {
			twin_message(pg, r, op_slug(b->ops, i));
		} else if (r->rc != QUIRE_ECONFLICT && r->rc != QUIRE_ENOTFOUND) {
			snprintf(r->message, sizeof(r->message), "%s",
				 pg ? tier_pg_error(pg) : "no database connection");
		}
		free(b->ops[i].owner);
		b->ops[i].owner = NULL;
	}
	if (applied)
		metrics_add(METRIC_API_WRITES, applied);
	b->pg_ms = quire_now_ms() - start;
}

enum quire_err commit_one(struct tiers *t, struct commit_reload *o,
			  struct commit_request *w, struct commit_reply *r)
{
	struct commit_batch *b = calloc(1, sizeof(*b));
	enum quire_err rc;

	memset(r, 0, sizeof(*r));
	if (!b) {
		r->id = w->id;
		r->rc = QUIRE_ENOMEM;
		snprintf(r->message, sizeof(r->message), "out of memory");
		return QUIRE_OK;
	}
	b->reqs[0] = w;
	b->n = 1;
	commit_to_pg(t, b);
	rc = commit_announce(t, b, o);
	*r = b->replies[0];
	commit_batch_release(b);
	free(b);
	return rc;
}
