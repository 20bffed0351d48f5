/*
 * worker_accept.c - a worker's connections: the two sockets, the order
 * it takes them in, and the signals that stop it
 *
 * The worker accepts connections itself and hands each to libfcgi (a
 * connected ipcFd with keepConnection set makes FCGX_Accept_r read from
 * it instead of accepting). SIGTERM is blocked everywhere but in the
 * ppoll() that waits for a connection, so a stop can never cut into a
 * request: libfcgi's own accept path checks a fresh connection with a
 * select() that a signal interrupts, and then drops it (a 502 for the
 * client). The listening socket is non-blocking; a worker that loses
 * the race for a connection goes back to ppoll().
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "serve/worker.h"
#include "serve/worker_private.h"

volatile sig_atomic_t worker_accept_stopping;

static void on_stop(int sig)
{
	(void)sig;
	worker_accept_stopping = 1;
}

int worker_accept_init(sigset_t *waiting)
{
	struct sigaction sa;
	sigset_t stop;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0)
		return -1;
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) < 0 || sigaction(SIGHUP, &sa, NULL) < 0)
		return -1;
	sa.sa_handler = SIG_DFL;
	if (sigaction(SIGCHLD, &sa, NULL) < 0)
		return -1;
	sigemptyset(waiting);
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	return sigprocmask(SIG_SETMASK, &stop, NULL);
}

/* With both sockets waiting, one connection of the API's in this many:
 * reads go first, but a stream of them does not stop writes. */
#define WORKER_API_EVERY 8

/* accept4 on a non-blocking listening socket: the connection, -1 when
 * there is none now (or one that broke on the way: try again), -2 when
 * the socket failed. Out of descriptors or memory, it waits a moment
 * instead of spinning. */
static int accept_one(int listen_fd, const sigset_t *waiting)
{
	int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd >= 0)
		return fd;
	switch (errno) {
	case EAGAIN:
#if EAGAIN != EWOULDBLOCK
	case EWOULDBLOCK:
#endif
	case EINTR:
	case ECONNABORTED:
	case EPROTO:
		return -1;
	case EMFILE:
	case ENFILE:
	case ENOBUFS:
	case ENOMEM:
		log_msg(LOG_LEVEL_WARN, "accept", "accept failed: %s", strerror(errno));
		ppoll(NULL, 0, &(struct timespec){ 0, 100000000L }, waiting);
		return -1;
	default:
		log_msg(LOG_LEVEL_ERROR, "accept", "accept failed: %s", strerror(errno));
		return -2;
	}
}

/*
 * The next connection of the listeners: the pages' socket first, the
 * API's when the first has none waiting, or after WORKER_API_EVERY
 * connections of the first while both wait. *since_api counts those.
 */
static int accept_next(const struct listeners *l, const sigset_t *waiting,
		       unsigned *since_api)
{
	int first = l->pages, second = l->api, from, fd;

	if (second >= 0 && *since_api >= WORKER_API_EVERY) {
		first = l->api;
		second = l->pages;
	}
	from = first;
	fd = accept_one(first, waiting);
	if (fd == -1 && second >= 0) {
		from = second;
		fd = accept_one(second, waiting);
	}
	if (fd < 0)
		return fd;
	if (from == l->api) {
		*since_api = 0;
		log_msg(LOG_LEVEL_DEBUG, "accept", "socket=api");
	} else if (l->api >= 0) {
		++*since_api;
		log_msg(LOG_LEVEL_DEBUG, "accept", "socket=pages");
	}
	return fd;
}

int worker_accept_connection(const struct listeners *l, const sigset_t *waiting,
			     struct writes *wr, int wake_fd)
{
	struct pollfd pfd[4];
	uint64_t woken;
	struct timespec wait;
	nfds_t n;
	int fd, accepting, wait_ms;

	for (;;) {
		/* Replies first: while connections keep coming, accept4()
		 * never fails and the poll below is never reached, and a
		 * parked write would wait for a lull (its connection held). */
		worker_writes_answer(wr);
		accepting = !worker_accept_stopping && wr->n < WORKER_MAX_PARKED;
		if (worker_accept_stopping && wr->n == 0)
			return -1;
		if (accepting) {
			fd = accept_next(l, waiting, &wr->since_api);
			if (fd >= 0)
				return fd;
			if (fd == -2)
				return -1;
		}
		n = 0;
		if (accepting) {
			pfd[n].fd = l->pages;
			pfd[n].events = POLLIN;
			pfd[n++].revents = 0;
			if (l->api >= 0) {
				pfd[n].fd = l->api;
				pfd[n].events = POLLIN;
				pfd[n++].revents = 0;
			}
		}
		if (wr->n && wr->cc.fd >= 0) {
			pfd[n].fd = wr->cc.fd;
			pfd[n].events = POLLIN;
			pfd[n++].revents = 0;
		}
		if (wake_fd >= 0) {
			pfd[n].fd = wake_fd;
			pfd[n].events = POLLIN;
			pfd[n++].revents = 0;
		}
		wait_ms = worker_writes_wait_ms(wr);
		if (wait_ms >= 0) {
			wait.tv_sec = wait_ms / 1000;
			wait.tv_nsec = (wait_ms % 1000) * 1000000L;
		}
		if (ppoll(pfd, n, wait_ms >= 0 ? &wait : NULL, waiting) < 0 &&
		    errno != EINTR) {
			log_msg(LOG_LEVEL_ERROR, "accept", "poll failed: %s",
				strerror(errno));
			return -1;
		}
		if (wake_fd >= 0 && read(wake_fd, &woken, sizeof(woken)) > 0)
			return -3;
		/* The replies, if that is what woke us, are read at the top. */
	}
}
