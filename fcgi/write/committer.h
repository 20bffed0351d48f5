/*
 * committer.h - one process per host that commits the API's writes
 *
 * Workers validate and render a write, then hand it to the committer
 * over a unix stream socket (commit_wire.h) and serve other requests
 * while it is committed. The committer takes everything that arrived
 * while it committed the last batch and commits it as one transaction
 * (tier_pg_write): one fsync for many writes. Then it writes the batch
 * to Redis, publishes one invalidation, waits for every live worker to
 * acknowledge it, and only then replies to each write.
 */
#ifndef QUIRE_COMMITTER_H
#define QUIRE_COMMITTER_H

#include "lib/config.h"

/*
 * A listening socket for the committer, in the abstract namespace with
 * a name the kernel picks (so nothing is left on disk and two masters
 * never collide); workers find it with getsockname() on the fd they
 * inherit. Only peers of our own uid are served. Returns the fd or -1.
 */
int committer_listen(void);

/* Serves listen_fd until SIGTERM, then finishes what it holds. Returns
 * the process exit status. */
int committer_run(const struct config *cfg, int listen_fd);

#endif
