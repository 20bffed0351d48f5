/*
 * commit.h - committing a batch of API writes, and telling the workers
 *
 * The two halves of what the committer (committer.c) does with each
 * batch, apart so that it can run the second half of one batch while
 * the first half of the next one commits: commit_to_pg() (one
 * transaction, every write's reply), then commit_announce() (Redis, one
 * invalidation, the workers' acknowledgements). The replies may be sent
 * only after both.
 */
#ifndef QUIRE_COMMIT_H
#define QUIRE_COMMIT_H

#include <stddef.h>

#include "tiers/tier_pg.h"
#include "write/commit_reload.h"
#include "write/commit_wire.h"

struct tiers;

/* Writes one committer takes into a transaction. */
#define COMMIT_BATCH_MAX 256
/* Posts whose write's commit went unanswered, refreshed a batch. */
#define COMMIT_EXTRA_MAX 64

struct commit_batch {
	struct commit_request *reqs[COMMIT_BATCH_MAX]; /* borrowed */
	struct tier_pg_op ops[COMMIT_BATCH_MAX];
	struct commit_reply replies[COMMIT_BATCH_MAX];
	size_t n;
	long long gen;       /* committed generation; 0: nothing to announce */
	double pg_ms;        /* what the commit took, for the log */
	/* Posts re-read from PostgreSQL after a write of theirs may have
	 * committed unanswered, announced with the batch (owned). */
	struct record *extra[COMMIT_EXTRA_MAX];
	size_t n_extra;
	char *extra_gone[COMMIT_EXTRA_MAX];
	size_t n_extra_gone;
};

/*
 * Commits b->reqs[0..n) as one transaction through t; fills b->ops,
 * b->replies and b->gen. A batch whose COMMIT went unanswered may have
 * committed: its slugs are remembered, and after the next commit that
 * succeeds they are read back from PostgreSQL into b's extras, so that
 * Redis and the workers never keep a version older than the database.
 */
void commit_to_pg(struct tiers *t, struct commit_batch *b);

/*
 * Tells every worker what b committed (nothing when b->gen is 0): each
 * slug's last state into Redis with the generation and one invalidation
 * (tiers_announce, which adds what t owes Redis from earlier announces),
 * then the wait for every live worker's acknowledgement, whose counts go
 * into the applied writes' replies. When Redis does not take it (down,
 * refusing, or not configured) t owes Redis b's slugs and o asks for a
 * reload, at most once an interval (commit_reload.h). QUIRE_OK when
 * announced, else QUIRE_EIO.
 */
enum quire_err commit_announce(struct tiers *t, struct commit_batch *b,
			       struct commit_reload *o);

/*
 * While no batch comes and something is owed, every COMMIT_RETRY_MS (it
 * returns at once before): what t owes Redis, written and published
 * (tiers_repair: tried now, whatever t's back-off), then the reload
 * owed at the end of its interval, unless Redis took everything.
 */
void commit_retry(struct tiers *t, struct commit_reload *o);

/* Frees what b owns (its extras); b can take a new batch then. */
void commit_batch_release(struct commit_batch *b);

/* Both, for one write: a worker with no committer (no master, or no
 * socket for one), its reloads asked through o. Returns
 * commit_announce's answer: QUIRE_EIO when w committed but was not
 * announced. */
enum quire_err commit_one(struct tiers *t, struct commit_reload *o,
			  struct commit_request *w, struct commit_reply *r);

#endif
