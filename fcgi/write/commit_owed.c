/*
 * commit_owed.c - what a writer owes the workers after announces Redis
 * did not take
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/quire.h"
#include "write/commit_owed.h"

void commit_owed_init(struct commit_owed *o, pid_t master, int redis)
{
	memset(o, 0, sizeof(*o));
	o->master = master;
	o->redis = redis;
}

static void forget_slugs(struct commit_owed *o)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		free(o->slugs[i]);
	o->n = 0;
	o->overflow = 0;
}

void commit_owed_release(struct commit_owed *o)
{
	forget_slugs(o);
	free(o->slugs);
	o->slugs = NULL;
	o->cap = 0;
}

int commit_owed_pending(const struct commit_owed *o)
{
	return o->gen != 0 || o->ask_again;
}

int commit_owed_retry_due(struct commit_owed *o)
{
	double now = quire_now_ms();

	if (!commit_owed_pending(o) || now < o->retry_ms)
		return 0;
	o->retry_ms = now + COMMIT_RETRY_MS;
	return 1;
}

size_t commit_owed_count(const struct commit_owed *o)
{
	return o->n;
}

/* Remembers slug once. */
static void remember(struct commit_owed *o, const char *slug)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		if (strcmp(o->slugs[i], slug) == 0)
			return;
	if (o->n == COMMIT_OWED_MAX ||
	    quire_grow(&o->slugs, &o->cap, o->n, sizeof(*o->slugs), 64) != QUIRE_OK ||
	    !(o->slugs[o->n] = strdup(slug))) {
		if (!o->overflow)
			log_msg(LOG_LEVEL_WARN, "commit", "more posts written while "
				"Redis is down than are remembered (%d): every worker "
				"will reload its index once it is back",
				COMMIT_OWED_MAX);
		o->overflow = 1;
		return;
	}
	o->n++;
}

/* Asks for the reload: the master's SIGHUP, or this process's own. */
static void ask_reload(struct commit_owed *o)
{
	const char *why = o->redis ? "redis unreachable" : "no redis";

	o->asked_ms = quire_now_ms();
	o->ask_again = 0;
	if (o->master > 0) {
		log_msg(o->redis ? LOG_LEVEL_WARN : LOG_LEVEL_INFO, "commit",
			"generation %lld not announced (%s); asking the master to "
			"reload (again in %d ms at the soonest)", o->gen, why,
			COMMIT_RELOAD_EVERY_MS);
		if (kill(o->master, SIGHUP) == -1)
			log_msg(LOG_LEVEL_ERROR, "commit", "cannot signal the master "
				"(pid %ld)", (long)o->master);
		return;
	}
	log_msg(o->redis ? LOG_LEVEL_WARN : LOG_LEVEL_INFO, "commit",
		"generation %lld not announced (%s); no master: reloading this "
		"process", o->gen, why);
	o->reload_self = 1;
}

void commit_owed_failed(struct commit_owed *o, const char *const *slugs,
			size_t n, long long gen)
{
	size_t i;

	if (o->redis)
		for (i = 0; i < n; i++)
			remember(o, slugs[i]);
	if (gen > o->gen)
		o->gen = gen;
	if (!o->asked_ms || quire_now_ms() - o->asked_ms >= COMMIT_RELOAD_EVERY_MS)
		ask_reload(o);
	else
		o->ask_again = 1;
	/* Without Redis the reloads are all that is owed. */
	if (!o->redis && !o->ask_again)
		o->gen = 0;
}

void commit_owed_tick(struct commit_owed *o)
{
	if (o->ask_again &&
	    quire_now_ms() - o->asked_ms >= COMMIT_RELOAD_EVERY_MS) {
		ask_reload(o);
		if (!o->redis)
			o->gen = 0;
	}
}

enum quire_err commit_owed_fetch(const struct commit_owed *o, struct tier_pg *pg,
				 struct record **recs, size_t *n_recs,
				 char **dels, size_t *n_dels,
				 const char **slugs, size_t *n_slugs)
{
	size_t i, r0 = *n_recs, d0 = *n_dels, s0 = *n_slugs;
	enum quire_err rc = QUIRE_EIO;

	if (!pg && o->n)
		return QUIRE_EIO;
	for (i = 0; i < o->n; i++) {
		rc = tier_pg_fetch(pg, o->slugs[i], &recs[*n_recs]);
		if (rc == QUIRE_OK)
			++*n_recs;
		else if (rc == QUIRE_ENOTFOUND)
			dels[(*n_dels)++] = o->slugs[i];
		else
			goto undo;
		slugs[(*n_slugs)++] = o->slugs[i];
	}
	return QUIRE_OK;
undo:
	while (*n_recs > r0)
		record_free(recs[--*n_recs]);
	*n_dels = d0;
	*n_slugs = s0;
	return rc;
}

void commit_owed_paid(struct commit_owed *o)
{
	if (o->gen)
		log_msg(LOG_LEVEL_INFO, "commit", "redis answers again: posts=%zu%s "
			"announced again, up to generation %lld", o->n,
			o->overflow ? " and every index" : "", o->gen);
	forget_slugs(o);
	o->gen = 0;
	o->ask_again = 0;
}

int commit_owed_take_reload(struct commit_owed *o)
{
	int due = o->reload_self;

	o->reload_self = 0;
	return due;
}
