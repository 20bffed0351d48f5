/*
 * commit.c - committing a batch of API writes, and telling the workers
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/metrics.h"
#include "lib/quire.h"
#include "tiers/tier_redis.h"
#include "tiers/tiers.h"
#include "write/commit.h"
#include "write/commit_owed.h"

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

/* What one announce tells Redis and the workers: posts to store (the
 * batch's, borrowed; the owed ones, owned), slugs to delete, and every
 * slug for the invalidation. */
struct news {
	struct record **recs;
	char **dels;
	const char **slugs;
	size_t n_recs, n_dels, n_slugs;
	size_t n_borrowed;       /* recs[0..n_borrowed) are the batch's */
};

static enum quire_err news_init(struct news *nw, size_t room)
{
	memset(nw, 0, sizeof(*nw));
	nw->recs = calloc(room ? room : 1, sizeof(*nw->recs));
	nw->dels = calloc(room ? room : 1, sizeof(*nw->dels));
	nw->slugs = calloc(room ? room : 1, sizeof(*nw->slugs));
	return nw->recs && nw->dels && nw->slugs ? QUIRE_OK : QUIRE_ENOMEM;
}

static void news_release(struct news *nw)
{
	size_t i;

	for (i = nw->n_borrowed; nw->recs && i < nw->n_recs; i++)
		record_free(nw->recs[i]);
	free(nw->recs);
	free(nw->dels);
	free(nw->slugs);
}

/* Each slug b changed, in its last state, once. */
static void news_of_batch(struct news *nw, const struct commit_batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		if (b->ops[i].rc != QUIRE_OK ||
		    applied_from(b->ops, b->n, i + 1, op_slug(b->ops, i)))
			continue;
		nw->slugs[nw->n_slugs++] = op_slug(b->ops, i);
		if (b->ops[i].rec)
			nw->recs[nw->n_recs++] = b->ops[i].rec;
		else
			nw->dels[nw->n_dels++] = (char *)b->ops[i].slug;
	}
	for (i = 0; i < b->n_extra; i++) {
		nw->slugs[nw->n_slugs++] = b->extra[i]->slug;
		nw->recs[nw->n_recs++] = b->extra[i];
	}
	for (i = 0; i < b->n_extra_gone; i++) {
		nw->slugs[nw->n_slugs++] = b->extra_gone[i];
		nw->dels[nw->n_dels++] = b->extra_gone[i];
	}
	nw->n_borrowed = nw->n_recs;
}

/* Adds what o owes: the posts read anew from PostgreSQL, but those of
 * the batch (current already). */
static enum quire_err news_of_owed(struct news *nw, struct tiers *t,
				   const struct commit_owed *o)
{
	size_t i, n_batch = nw->n_slugs;
	enum quire_err rc;

	i = n_batch;
	rc = commit_owed_fetch(o, tiers_pg(t), nw->recs, &nw->n_recs, nw->dels,
			       &nw->n_dels, nw->slugs, &nw->n_slugs);
	if (rc != QUIRE_OK) {
		tiers_pg_failed(t);
		return rc;
	}
	/* A slug of the batch read again is named once in the invalidation;
	 * its record goes in twice, the later read last, harmlessly. */
	while (i < nw->n_slugs) {
		size_t j;

		for (j = 0; j < n_batch; j++)
			if (strcmp(nw->slugs[j], nw->slugs[i]) == 0)
				break;
		if (j < n_batch)
			nw->slugs[i] = nw->slugs[--nw->n_slugs];
		else
			i++;
	}
	return QUIRE_OK;
}

/* Into Redis in one MULTI with gen, then one invalidation ("*" when all:
 * what is owed was more than remembered). */
static enum quire_err news_tell(struct tier_redis *r, const struct news *nw,
				long long gen, int all, long long *receivers)
{
	enum quire_err rc;

	rc = tier_redis_store(r, nw->recs, nw->n_recs, nw->dels, nw->n_dels, gen);
	if (rc == QUIRE_OK)
		rc = tier_redis_publish(r, gen, all ? NULL : nw->slugs,
					all ? 0 : nw->n_slugs, all, receivers);
	return rc;
}

enum quire_err commit_announce(struct tiers *t, const struct commit_batch *b,
			       struct commit_owed *o)
{
	struct news nw;
	struct tier_redis *r, *acks;
	size_t live, acked, n_batch;
	long long receivers;
	double t0 = quire_now_ms(), t1;
	enum quire_err rc;

	if (!b->gen)
		return QUIRE_OK;
	r = tiers_redis(t);
	/* Subscribed before the publish: the acknowledgements wake the wait. */
	acks = r ? tiers_acks(t) : NULL;
	rc = news_init(&nw, b->n + b->n_extra + b->n_extra_gone +
		       commit_owed_count(o));
	if (rc == QUIRE_OK)
		news_of_batch(&nw, b);
	n_batch = nw.n_slugs;
	/* What Redis missed goes in with the generation that passes it. */
	if (rc == QUIRE_OK && r && commit_owed_pending(o) && o->redis)
		rc = news_of_owed(&nw, t, o);
	if (rc == QUIRE_OK && r &&
	    news_tell(r, &nw, b->gen, o->overflow, &receivers) == QUIRE_OK) {
		commit_owed_paid(o);
		t1 = quire_now_ms();
		if (tiers_wait_acks(r, acks, b->gen, COMMIT_ACK_TIMEOUT_MS,
				    COMMIT_WORKER_MAX_AGE_S, 0, &live,
				    &acked) != QUIRE_OK)
			log_msg(LOG_LEVEL_WARN, "commit", "generation=%lld "
				"acknowledged by %zu of %zu workers", b->gen, acked, live);
		/* What a batch cost, and where: the figures tests/bench/write's
		 * RESULTS.md explains the rate with. */
		log_msg(LOG_LEVEL_DEBUG, "commit", "writes=%zu applied=%zu "
			"generation=%lld pg_ms=%.2f redis_ms=%.2f ack_ms=%.2f", b->n,
			n_batch, b->gen, b->pg_ms, t1 - t0, quire_now_ms() - t1);
		news_release(&nw);
		return QUIRE_OK;
	}
	log_msg(LOG_LEVEL_DEBUG, "commit", "generation=%lld not announced: %s",
		b->gen, rc != QUIRE_OK ? quire_strerror(rc) :
		r ? tier_redis_error(r) : "redis unreachable");
	commit_owed_failed(o, nw.slugs, n_batch, b->gen);
	news_release(&nw);
	return QUIRE_EIO;
}

void commit_retry(struct tiers *t, struct commit_owed *o)
{
	struct news nw;
	struct tier_redis *r;
	long long receivers, gen, held;
	enum quire_err rc;

	if (!commit_owed_retry_due(o))
		return;
	commit_owed_tick(o);
	if (!o->redis || !o->gen)
		return;
	/* Polled at our own pace, not at the read path's back-off. */
	r = tiers_redis_now(t);
	if (!r)
		return;
	/* Never back: another writer (a deploy that rewrote Redis whole)
	 * may have set a later generation meanwhile. */
	gen = o->gen;
	rc = tier_redis_generation(r, &held);
	if (rc == QUIRE_OK && held > gen)
		gen = held;
	else if (rc != QUIRE_OK && rc != QUIRE_ENOTFOUND)
		return;
	if (news_init(&nw, commit_owed_count(o)) != QUIRE_OK) {
		news_release(&nw);
		return;
	}
	if (news_of_owed(&nw, t, o) == QUIRE_OK &&
	    news_tell(r, &nw, gen, o->overflow, &receivers) == QUIRE_OK)
		commit_owed_paid(o);
	news_release(&nw);
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

enum quire_err commit_one(struct tiers *t, struct commit_owed *o,
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
