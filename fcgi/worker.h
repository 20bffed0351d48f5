/*
 * worker.h - one worker's request loop
 */
#ifndef QUIRE_WORKER_H
#define QUIRE_WORKER_H

#include "page.h"

/*
 * Serves FastCGI requests on listen_fd from app until SIGTERM or SIGINT,
 * then returns after the request in flight is answered. The worker owns
 * its L1 and app's site (it rebuilds it when scheduled posts come due).
 * API writes go to the committer listening on committer_fd (inherited
 * from the master; -1: none, the worker commits them itself) and are
 * answered when it replies. Returns the process exit status.
 */
int worker_run(struct app *app, int listen_fd, int committer_fd);

#endif
