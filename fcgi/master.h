/*
 * master.h - the supervisor: preforks workers, restarts them, reloads
 */
#ifndef QUIRE_MASTER_H
#define QUIRE_MASTER_H

#include "config.h"
#include "page.h"

/*
 * Runs the master until SIGTERM or SIGINT. app is loaded; it is
 * replaced on SIGHUP (templates and content reloaded, a new set of
 * workers started, the old ones stopped after their request in flight).
 * Returns the process exit status.
 */
int master_run(const struct config *cfg, struct app *app, int listen_fd);

#endif
