/*
 * worker.h - one worker's request loop
 */
#ifndef QUIRE_WORKER_H
#define QUIRE_WORKER_H

struct app;

/* The listening sockets a worker accepts on: the web server's for
 * everything, and optionally a second one its /api/ location goes to
 * (--api-listen), taken after the first so that a flood of writes does
 * not queue ahead of the reads. */
struct listeners {
	int pages;
	int api;                 /* -1: none */
};

/*
 * Serves FastCGI requests on the listeners from app until SIGTERM or SIGINT,
 * then returns after the request in flight is answered. The worker owns
 * its L1 and app's site (it rebuilds it when scheduled posts come due).
 * API writes go to the committer listening on committer_fd (inherited
 * from the master; -1: none, the worker commits them itself) and are
 * answered when it replies. Returns the process exit status.
 */
int worker_run(struct app *app, const struct listeners *l, int committer_fd);

#endif
