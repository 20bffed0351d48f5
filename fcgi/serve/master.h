/*
 * master.h - the supervisor: preforks workers, restarts them, reloads
 */
#ifndef QUIRE_MASTER_H
#define QUIRE_MASTER_H

#include <stddef.h>
#include <sys/types.h>

#include "lib/config.h"

struct app;
struct listeners;
struct privs;

/* How the master was started, for SIGUSR2 and for its workers. */
struct master_opts {
	const char *exe;         /* absolute path executed again on SIGUSR2;
	                          * NULL: upgrades are refused */
	char **argv;             /* the arguments to execute it with */
	const pid_t *inherited;  /* workers a previous image left running */
	size_t n_inherited;
	const struct privs *privs; /* each worker verifies it; NULL: none */
	/* app is not loaded: an upgrade whose image found no tier to load
	 * the site from. The inherited processes serve on, and the load is
	 * tried again (with back-off, at most a second apart) until it
	 * works; only then are workers started and the inherited retired. */
	int pending;
};

/*
 * Runs the master until SIGTERM or SIGINT. app is loaded (unless
 * opts->pending; then app_load fills it); it is
 * replaced on SIGHUP (templates and content reloaded, a new set of
 * workers started, the old ones stopped after their request in flight).
 * On SIGUSR2 the master executes opts->exe again in place (master.c),
 * and does not return. Everything opts points to is borrowed for the
 * run. Returns the process exit status.
 */
int master_run(const struct config *cfg, struct app *app,
	       const struct listeners *l, const struct master_opts *opts);

#endif
