/*
 * commit_reload.c - what a writer does while Redis misses its announces:
 * the reloads it asks, and when it tries Redis again
 */
#include <signal.h>
#include <string.h>

#include "lib/log.h"
#include "lib/quire.h"
#include "tiers/tiers_store.h"
#include "write/commit_reload.h"

void commit_reload_init(struct commit_reload *o, pid_t master, int redis)
{
	memset(o, 0, sizeof(*o));
	o->master = master;
	o->redis = redis;
}

int commit_reload_pending(const struct commit_reload *o, const struct tiers *t)
{
	return o->ask_again || (t && tiers_owing(t));
}

int commit_reload_retry_due(struct commit_reload *o, const struct tiers *t)
{
	double now = quire_now_ms();

	if (!commit_reload_pending(o, t) || now < o->retry_ms)
		return 0;
	o->retry_ms = now + COMMIT_RETRY_MS;
	return 1;
}

/* Asks for the reload: the master's SIGHUP, or this process's own. */
static void ask_reload(struct commit_reload *o)
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

void commit_reload_failed(struct commit_reload *o, long long gen)
{
	if (gen > o->gen)
		o->gen = gen;
	if (!o->asked_ms || quire_now_ms() - o->asked_ms >= COMMIT_RELOAD_EVERY_MS)
		ask_reload(o);
	else
		o->ask_again = 1;
}

void commit_reload_tick(struct commit_reload *o)
{
	if (o->ask_again &&
	    quire_now_ms() - o->asked_ms >= COMMIT_RELOAD_EVERY_MS)
		ask_reload(o);
}

void commit_reload_paid(struct commit_reload *o)
{
	if (o->gen)
		log_msg(LOG_LEVEL_INFO, "commit", "redis answers again after "
			"generation %lld; what it missed goes in as it is "
			"repaired (event=redis repaired=)", o->gen);
	o->gen = 0;
	o->ask_again = 0;
}

int commit_reload_take_self(struct commit_reload *o)
{
	int due = o->reload_self;

	o->reload_self = 0;
	return due;
}
