/*
 * commit_owed.h - what a writer owes the workers after announces Redis
 * did not take
 *
 * A batch committed to PostgreSQL is announced (commit.c): its posts
 * into Redis with the new generation, then one invalidation. When Redis
 * is down (or refuses the store) the batch stays committed and
 * answered, and its writer owes two things (DESIGN §7):
 *
 * - Redis must come to hold those posts before its generation key moves
 *   past them: the slugs are remembered here, read anew from PostgreSQL
 *   and carried by the next announce Redis takes, in the MULTI that sets
 *   the generation (the next batch's, or commit_retry()'s while no batch
 *   comes), and named in its one invalidation, so that workers that
 *   lost nothing re-read those posts alone and stay warm;
 * - the workers must serve the batch meanwhile: a reload is asked (the
 *   master's SIGHUP: workers loaded anew from PostgreSQL) at the first
 *   failure, then at most once every COMMIT_RELOAD_EVERY_MS, at the end
 *   of an interval in which another one failed, while Redis stays
 *   down: never one a batch, which kept the whole pool reloading, every
 *   cache cold. Without a master (--workers 0) nobody is signalled: the
 *   process reloads itself (commit_owed_take_reload()).
 *
 * One per writer, used by one thread: the committer's announcer, or a
 * worker that commits its own writes.
 */
#ifndef QUIRE_COMMIT_OWED_H
#define QUIRE_COMMIT_OWED_H

#include <stddef.h>
#include <sys/types.h>

#include "content/record.h"
#include "lib/quire.h"
#include "tiers/tier_pg.h"

/* At most one reload asked this often while announces fail. */
#define COMMIT_RELOAD_EVERY_MS 10000
/* A writer that owes an announce tries Redis again this often when no
 * batch comes (commit_retry()). */
#define COMMIT_RETRY_MS 500
/* Posts remembered, at most; past that every worker is told to reload
 * its index whole ("*") once Redis is back. */
#define COMMIT_OWED_MAX 4096

struct commit_owed {
	char **slugs;            /* posts whose last change Redis missed */
	size_t n, cap;
	int overflow;            /* more than COMMIT_OWED_MAX of them */
	long long gen;           /* the newest generation not announced (0:
	                          * nothing owed) */
	int redis;               /* Redis is configured: posts are owed */
	pid_t master;            /* asked for reloads; 0: no master */
	double asked_ms;         /* when a reload was last asked (0: never) */
	int ask_again;           /* an announce failed since then */
	int reload_self;         /* no master: this process reloads */
	double retry_ms;         /* commit_retry() not before */
};

/* An empty debt. master: the master's PID, asked for reloads, or 0 when
 * there is none (the process then reloads itself); redis: whether Redis
 * is configured (without it the posts are owed to nobody: the reloads
 * alone tell the workers). */
void commit_owed_init(struct commit_owed *o, pid_t master, int redis);
void commit_owed_release(struct commit_owed *o);

/* True while something is owed: posts to announce again, or a reload to
 * ask at the end of the interval. The writer then calls commit_retry()
 * every COMMIT_RETRY_MS, batch or no batch. */
int commit_owed_pending(const struct commit_owed *o);

/* True when commit_retry() should try now (COMMIT_RETRY_MS passed). */
int commit_owed_retry_due(struct commit_owed *o);

/*
 * An announce of generation gen failed: slugs[0..n) (borrowed) are
 * remembered, and a reload is asked unless one was asked less than
 * COMMIT_RELOAD_EVERY_MS ago (then it is owed for the end of that
 * interval, commit_owed_tick()).
 */
void commit_owed_failed(struct commit_owed *o, const char *const *slugs,
			size_t n, long long gen);

/* Asks the reload owed once its interval is over. */
void commit_owed_tick(struct commit_owed *o);

/*
 * The owed posts as PostgreSQL holds them now, appended to the announce
 * being built: existing ones to recs (owned: the caller frees them with
 * record_free), gone ones to dels (borrowed from o, valid until
 * commit_owed_paid), each slug to slugs (borrowed likewise). The arrays
 * have room for commit_owed_count(o) more. QUIRE_OK, or the error of
 * PostgreSQL (nothing appended then).
 */
enum quire_err commit_owed_fetch(const struct commit_owed *o, struct tier_pg *pg,
				 struct record **recs, size_t *n_recs,
				 char **dels, size_t *n_dels,
				 const char **slugs, size_t *n_slugs);
size_t commit_owed_count(const struct commit_owed *o);

/* An announce that carried what was owed succeeded: it is forgotten,
 * and no reload is owed any more. */
void commit_owed_paid(struct commit_owed *o);

/* No master: true once after a reload was asked, for the process to
 * reload itself from the tiers. */
int commit_owed_take_reload(struct commit_owed *o);

#endif
