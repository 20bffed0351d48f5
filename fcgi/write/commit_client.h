/*
 * commit_client.h - a worker's connection to its host's committer
 *
 * Connected on first use, to the address of the listening socket the
 * worker inherited from the master; a request is written whole (the
 * committer reads everything it is sent, so this blocks only while it
 * catches up, SO_SNDTIMEO at most); replies are read when poll() says
 * so. A connection that fails is closed; whatever it still owed is the
 * caller's to answer (as unknown: it may or may not have committed).
 */
#ifndef QUIRE_COMMIT_CLIENT_H
#define QUIRE_COMMIT_CLIENT_H

#include <stdint.h>

#include "lib/buf.h"
#include "lib/quire.h"
#include "write/commit_wire.h"

struct commit_client {
	int listen_fd;           /* the committer's (inherited); -1: none */
	int fd;                  /* -1 until connected */
	struct buf in;           /* bytes of replies not yet whole */
	struct buf out;          /* scratch for a request */
	uint32_t next_id;
	unsigned epoch;          /* connections made: a new one means the
				    replies owed on the last are lost */
};

void commit_client_init(struct commit_client *c, int listen_fd);
void commit_client_close(struct commit_client *c);
/* True when there is a committer to send to. */
int commit_client_enabled(const struct commit_client *c);

/* Sends w (w->id set here). QUIRE_OK, or QUIRE_EIO (nothing sent, or
 * not all of it: the connection is then closed, and the committer drops
 * a request cut short). */
enum quire_err commit_client_send(struct commit_client *c,
				  struct commit_request *w);

/*
 * Reads what the committer sent and calls fn for each whole reply.
 * Returns QUIRE_OK, or QUIRE_EIO when the connection ended or failed
 * (closed now: every write still waiting has no answer coming).
 */
enum quire_err commit_client_read(struct commit_client *c,
				  void (*fn)(void *ctx, const struct commit_reply *r),
				  void *ctx);

#endif
