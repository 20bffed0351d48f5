/*
 * worker_private.h - what the files of one worker share
 *
 * A worker is four files, one job each: worker.c the request loop,
 * worker_accept.c the connections (the sockets, their order, the stop
 * signals), worker_io.c the FastCGI I/O of a request, worker_writes.c
 * the API's writes parked until the committer answers. They call each
 * other downwards only: the loop calls the other three, accepting
 * answers parked writes, parked writes are answered through worker_io.
 * Private to them: the rest of quire sees worker.h alone.
 */
#ifndef QUIRE_WORKER_PRIVATE_H
#define QUIRE_WORKER_PRIVATE_H

#include <signal.h>
#include <stddef.h>

#include <fcgiapp.h>

#include "write/commit_client.h"
#include "write/commit_reload.h"

struct app;
struct buf;
struct commit_request;
struct finished;
struct listeners;
struct response;
struct sub_update;
struct tiers;

/* Writes in flight per worker: enough to fill the committer's batch
 * from two workers; each holds a connection to the web server. */
#define WORKER_MAX_PARKED 128

/* A write handed to the committer, and the request that waits for it. */
struct parked {
	FCGX_Request *fr;
	struct commit_request *w;
	int is_head;
	double since;            /* monotonic ms */
};

struct writes {
	struct commit_client cc;
	struct parked v[WORKER_MAX_PARKED];
	size_t n;
	/* Committing its own writes (no committer): the reloads its failed
	 * announces ask, and the repair of what tiers (the app's, which
	 * remembers it) owes Redis, retried while something is owed. */
	struct commit_reload reload;
	struct tiers *tiers;
	/* the app it serves: a write's answer names the post's URL, the
	 * site's (page_api_answer) */
	const struct app *app;
	/* Without a master either: its own writes that no announce will
	 * bring, to apply before the next request (worker_writes_take_own) */
	struct sub_update *own;
	unsigned since_api;      /* connections of the pages' socket since
	                          * the last of the API's (accept_next) */
};

/* The FastCGI parameters a request is answered from. */
struct params {
	const char *method;
	const char *uri;
	const char *accept_encoding;
	const char *if_none_match;
	const char *content_length;
	const char *transfer_encoding;
	const char *authorization;
	const char *content_type;
	const char *if_match;
	/* The client as the web server saw it: the key of the API's
	 * throttle of wrong tokens, never a credential. */
	const char *remote_addr;
	/* Set by the web server alone, never from a client's header
	 * (those arrive as HTTP_*): "1" where it serves /metrics. */
	const char *quire_metrics;
	/* Set by nginx alone where it may keep the answer: its cache key
	 * (DESIGN §6, "The edge cache") */
	const char *edge_key;
};

/* worker_accept.c: the connections */

/* Set by SIGTERM or SIGINT, or by the loop when it cannot go on:
 * worker_accept_connection() accepts nothing more, and returns -1 once
 * no parked write is owed an answer. */
extern volatile sig_atomic_t worker_accept_stopping;

/* Installs the handlers, blocks SIGTERM and SIGINT, and puts in *waiting
 * the mask to use while waiting for a connection (they unblocked).
 * Returns 0, or -1 with errno set. */
int worker_accept_init(sigset_t *waiting);

/*
 * Returns the next connection on the non-blocking listeners, or -1 when
 * the worker is stopping (and owes no write an answer) or a socket
 * failed. Meanwhile it answers parked writes as their replies come.
 * Returns -3 when wake_fd (an eventfd; -1: none) was written to: the
 * subscriber asks the loop to apply and purge (DESIGN §6, "The edge
 * cache").
 */
int worker_accept_connection(const struct listeners *l, const sigset_t *waiting,
			     struct writes *wr, int wake_fd);

/* worker_io.c: the FastCGI I/O of a request */

/* A request for libfcgi to fill (never accepting by itself), or NULL.
 * Free with FCGX_Free and free(). */
FCGX_Request *worker_io_request_new(void);

/* Reads the parameters of struct params from envp into p; the pointers
 * live until the request is finished. */
void worker_io_read_params(char **envp, struct params *p);

/* True when a header quire reads is longer than QUIRE_MAX_HEADER. */
int worker_io_header_too_long(const struct params *p);

/* True when the request may carry a body (RFC 9112 §6.3). */
int worker_io_has_body(const struct params *p);

/* True when Accept-Encoding ae (may be NULL) takes gzip. */
int worker_io_accepts_gzip(const char *ae);

/*
 * Reads a request body to EOF and drops it: no page takes one, but a
 * body left unread makes the close a reset, and nginx then loses the
 * answer. Returns 0, or 413 when it was larger than QUIRE_MAX_BODY.
 */
int worker_io_drain_body(FCGX_Request *fr);

/*
 * Reads an API request's body into b, at most max bytes. Returns 0, or
 * 413 when it is larger (what CONTENT_LENGTH announced, or what came):
 * the rest is then drained, not kept; 500 when b ran out of memory.
 */
int worker_io_read_body(FCGX_Request *fr, const struct params *p, size_t max,
			struct buf *b);

/* Writes f to fr: its 304 when inm matches its ETag, its headers alone
 * for a HEAD, the gzip copy when gzip_ok and there is one. inm may be
 * NULL. Counts the answer's class in the metrics. */
void worker_io_send_finished(FCGX_Request *fr, const struct finished *f,
			     int is_head, int gzip_ok, const char *inm);

/* Answers status with a short body, uncached; allow (may be NULL) is
 * the Allow header of a 405. */
void worker_io_send_plain(FCGX_Request *fr, int status, int is_head,
			  const char *allow);

/* Sends resp (finished once, uncached; a 500 if that fails). */
void worker_io_send_response(FCGX_Request *fr, struct response *resp,
			     int is_head);

/*
 * Answers resp to a request refused from its parameters alone: its body
 * (if any) is read to the end and dropped a chunk at a time, never held
 * (one left unread makes the close a reset, and nginx then answers 502
 * instead), then resp is sent.
 */
void worker_io_refuse(FCGX_Request *fr, const struct params *p,
		      struct response *resp, int is_head);

/* Finishes fr's request, closing its connection at once. fr can then
 * take the next connection. */
void worker_io_close(FCGX_Request *fr);

/*
 * Finishes fr's request as stock libfcgi does: the sending side shut,
 * then the connection read until nginx closes it (at most libfcgi's 2 s a
 * wait). For a page marked for nginx's cache: nginx stores it before it
 * closes the connection, so once this returns a purge cannot come before
 * the store (DESIGN §6, "The edge cache").
 */
void worker_io_close_stored(FCGX_Request *fr);

/* worker_writes.c: the API's writes parked until the committer answers */

/* Answers the parked writes whose replies have come, and those that
 * will get none: the committer gone, or silent for too long. Without a
 * committer, tries again what its own announces owe (commit_retry). */
void worker_writes_answer(struct writes *wr);

/* How long the worker may wait for a connection, in ms: -1 forever, or
 * less while parked writes or what its announces owe need it back. */
int worker_writes_wait_ms(const struct writes *wr);

/* Without a master: the writes committed here that could not be
 * announced, as updates of this worker's own site, oldest first (the
 * caller applies and frees them; NULL: none). */
struct sub_update *worker_writes_take_own(struct writes *wr);

/*
 * Hands write w to the committer and parks fr (returns 1); without a
 * committer (no master) commits it here; when the committer cannot be
 * reached, answers 503 (returns 0 either way, with the answer in resp
 * for the caller to send). Takes w either way.
 */
int worker_writes_commit(FCGX_Request *fr, struct app *app, struct writes *wr,
			 struct commit_request *w, int is_head,
			 struct response *resp);

#endif
