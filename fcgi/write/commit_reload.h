/*
 * commit_reload.h - what a writer does while Redis misses its announces:
 * the reloads it asks, and when it tries Redis again
 *
 * A batch committed to PostgreSQL is announced (commit.c): its posts
 * into Redis with the new generation, then one invalidation
 * (tiers_announce). When Redis is down or refuses the store, the batch
 * stays committed and answered. What Redis is owed then, the writer's
 * tiers handle remembers and writes later (tiers/tiers_store.h: the one
 * place that knows it). What is left to the writer is policy (DESIGN §7):
 *
 * - the workers must serve the batch meanwhile: a reload is asked (the
 *   master's SIGHUP: workers loaded anew from PostgreSQL) at the first
 *   failure, then at most once every COMMIT_RELOAD_EVERY_MS, at the end
 *   of an interval in which another one failed, while Redis stays
 *   down: never one a batch, which kept the whole pool reloading, every
 *   cache cold. Without a master (--workers 0) nobody is signalled: the
 *   process reloads itself (commit_reload_take_self()).
 * - when to try again: while its tiers owe Redis something, or a reload
 *   is due at the end of its interval, the writer calls commit_retry()
 *   (commit.h) every COMMIT_RETRY_MS, batch or no batch.
 *
 * Once Redis takes an announce or a repair, the reload owed is dropped:
 * the invalidation tells the workers. One per writer, used by one
 * thread: the committer's announcer, or a worker that commits its own
 * writes.
 */
#ifndef QUIRE_COMMIT_RELOAD_H
#define QUIRE_COMMIT_RELOAD_H

#include <sys/types.h>

struct tiers;

/* At most one reload asked this often while announces fail. */
#define COMMIT_RELOAD_EVERY_MS 10000
/* A writer that owes something tries again this often when no batch
 * comes (commit_retry()): the one retry timer. */
#define COMMIT_RETRY_MS 500

struct commit_reload {
	pid_t master;            /* asked for reloads; 0: no master */
	int redis;               /* Redis is configured */
	long long gen;           /* the newest generation not announced since
	                          * Redis last took one (0: none), for the log */
	double asked_ms;         /* when a reload was last asked (0: never) */
	int ask_again;           /* an announce failed since then */
	int reload_self;         /* no master: this process reloads */
	double retry_ms;         /* commit_retry() not before */
};

/* Nothing asked yet. master: the master's PID, asked for reloads, or 0
 * when there is none (the process then reloads itself); redis: whether
 * Redis is configured (without it the reloads alone tell the workers). */
void commit_reload_init(struct commit_reload *o, pid_t master, int redis);

/* True while something is owed: by t to Redis (tiers_owing), or a
 * reload at the end of the interval. The writer then calls
 * commit_retry() every COMMIT_RETRY_MS. */
int commit_reload_pending(const struct commit_reload *o, const struct tiers *t);

/* True when commit_retry() should try now (pending, and COMMIT_RETRY_MS
 * passed since it last did). */
int commit_reload_retry_due(struct commit_reload *o, const struct tiers *t);

/* An announce of generation gen failed: a reload is asked unless one
 * was asked less than COMMIT_RELOAD_EVERY_MS ago (then it is owed for
 * the end of that interval, commit_reload_tick()). */
void commit_reload_failed(struct commit_reload *o, long long gen);

/* Asks the reload owed once its interval is over. */
void commit_reload_tick(struct commit_reload *o);

/* Redis took an announce or a repair: no reload is owed any more. */
void commit_reload_paid(struct commit_reload *o);

/* No master: true once after a reload was asked, for the process to
 * reload itself from the tiers. */
int commit_reload_take_self(struct commit_reload *o);

#endif
