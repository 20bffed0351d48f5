/*
 * committer.c - the process that commits a host's API writes in batches
 *
 * The main thread is event-driven: poll() on the listening socket and
 * every worker's connection; whatever whole requests have arrived (up to
 * COMMIT_BATCH_MAX) become one batch and one transaction (commit.c).
 * Requests that arrive meanwhile wait in the sockets for the next batch,
 * so the busier the writers, the more writes share a commit; a lone
 * write pays one commit, as before.
 *
 * Telling the workers (Redis, the invalidation, waiting for every
 * worker's acknowledgement) takes a third of a batch's time, and the
 * database nothing then: a second thread, the announcer, does it for
 * one batch while the main thread commits the next. Batches are
 * announced in the order they committed (one at a time, generation
 * after generation), and a write is answered only once its batch is
 * announced. Two batch slots: one announcing, one filling/committing.
 * While Redis is owed what it missed (tiers/tiers_store.h) or a reload is
 * due (commit_reload.h), the announcer wakes every COMMIT_RETRY_MS even
 * with no batch, to repair Redis once it takes writes again and to ask
 * the reloads that are due.
 *
 * Stopping (SIGTERM): no new connection is accepted; what is already
 * queued is committed, announced and answered; connections are closed
 * once their workers sent nothing for COMMITTER_LINGER_MS (a worker
 * whose connection closes reconnects for its next write).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/metrics.h"
#include "lib/quire.h"
#include "tiers/tiers.h"
#include "tiers/tiers_store.h"
#include "write/commit.h"
#include "write/commit_reload.h"
#include "write/commit_wire.h"
#include "write/committer.h"

#define COMMITTER_MAX_CONNS 1100       /* > MASTER_MAX_PROCS */
#define COMMITTER_LINGER_MS 2000

struct conn {
	int fd;
	struct buf in;          /* bytes received, from in_off on unparsed */
	size_t in_off;
	struct buf out;         /* replies not yet written */
	size_t out_off;
	int dead;               /* to be closed at the next sweep */
	int ended;              /* the peer closed: what came whole commits */
	size_t owed;            /* its requests in a batch: not freed before */
};

/* A batch and the connections its requests came from. */
struct slot {
	struct commit_batch b;
	struct commit_request reqs[COMMIT_BATCH_MAX];
	struct conn *from[COMMIT_BATCH_MAX];
	int busy;               /* committed, being announced or waiting to be */
};

/* The announcer thread's mailbox: one batch at a time. */
struct announcer {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;    /* on CLOCK_MONOTONIC */
	struct tiers *tiers;    /* its own: Redis, and PostgreSQL for what
	                         * it owes */
	struct commit_reload reload; /* reloads owed (its thread's) */
	struct slot *todo;      /* handed over, not yet taken */
	struct slot *done;      /* announced, replies not yet sent */
	int quit;
	int efd;                /* eventfd: the main thread's doorbell */
};

struct committer {
	const struct config *cfg;
	struct tiers *tiers;    /* the main thread's: PostgreSQL */
	int listen_fd;
	struct conn *conns[COMMITTER_MAX_CONNS];
	size_t n_conns;
	struct slot slots[2];
	struct slot *announcing; /* handed to the announcer; NULL: it idles */
	struct slot *waiting;    /* committed, to hand over next */
	struct announcer an;
};

static volatile sig_atomic_t stopping;

static void on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

int committer_listen(void)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	/* Only the family: the kernel binds an abstract name of its own
	 * choosing (unix(7), "autobind"). */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa_family_t)) < 0 ||
	    listen(fd, SOMAXCONN) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* ------------------------------------------------------------ announcer */

/* Waits (a->lock held) for a batch or the quit; while something is
 * owed, for COMMIT_RETRY_MS at most, else for the next look of the
 * watch (tiers_watch_behind). */
static void announcer_wait(struct announcer *a)
{
	struct timespec until;
	long ms = commit_reload_pending(&a->reload, a->tiers) ?
		  COMMIT_RETRY_MS : TIERS_WATCH_MS;

	if (a->todo || a->quit)
		return;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += ms * 1000000L;
	until.tv_sec += until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	pthread_cond_timedwait(&a->wake, &a->lock, &until);
}

static void *announcer_main(void *arg)
{
	struct announcer *a = arg;
	struct slot *s;
	uint64_t one = 1;
	int quit;

	for (;;) {
		pthread_mutex_lock(&a->lock);
		announcer_wait(a);
		s = a->todo;
		a->todo = NULL;
		quit = a->quit;
		pthread_mutex_unlock(&a->lock);
		/* Busy or idle: another writer's store Redis missed is
		 * nobody's to repair but a watcher's. */
		tiers_watch_behind(a->tiers);
		if (!s) {
			/* Woken with no batch: what is owed, tried again (a
			 * last time before quitting). */
			commit_retry(a->tiers, &a->reload);
			if (quit)
				break;
			continue;
		}
		commit_announce(a->tiers, &s->b, &a->reload);
		pthread_mutex_lock(&a->lock);
		a->done = s;
		pthread_mutex_unlock(&a->lock);
		if (write(a->efd, &one, sizeof(one)) < 0)
			log_msg(LOG_LEVEL_ERROR, "committer", "eventfd: %s",
				strerror(errno));
		/* Batch after batch too (at COMMIT_RETRY_MS at most): only
		 * a repair makes a comparison owed, and writes that never
		 * pause would put it off for good. */
		commit_retry(a->tiers, &a->reload);
	}
	return NULL;
}

static enum quire_err announcer_start(struct announcer *a,
				      const struct config *cfg)
{
	pthread_condattr_t attr;

	/* The committer is the master's child (it dies with it): the
	 * master is whom a reload is asked of. */
	commit_reload_init(&a->reload, getppid(), cfg->redis_url && *cfg->redis_url);
	a->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	a->tiers = tiers_new(cfg);
	if (a->efd < 0 || !a->tiers)
		return QUIRE_EIO;
	/* What a committer before this one (killed, or retired by an
	 * upgrade) owed Redis died with it: compared anew (tiers_store.h). */
	tiers_owe_check(a->tiers);
	pthread_mutex_init(&a->lock, NULL);
	if (pthread_condattr_init(&attr) != 0 ||
	    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&a->wake, &attr) != 0)
		return QUIRE_EIO;
	pthread_condattr_destroy(&attr);
	if (pthread_create(&a->thread, NULL, announcer_main, a) != 0)
		return QUIRE_EIO;
	return QUIRE_OK;
}

static void announcer_stop(struct announcer *a)
{
	pthread_mutex_lock(&a->lock);
	a->quit = 1;
	pthread_cond_signal(&a->wake);
	pthread_mutex_unlock(&a->lock);
	pthread_join(a->thread, NULL);
}

static void hand_over(struct committer *m, struct slot *s)
{
	pthread_mutex_lock(&m->an.lock);
	m->an.todo = s;
	pthread_cond_signal(&m->an.wake);
	pthread_mutex_unlock(&m->an.lock);
	m->announcing = s;
}

/* ---------------------------------------------------------- connections */

static void conn_free(struct conn *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	buf_release(&c->in);
	buf_release(&c->out);
	free(c);
}

/* Accepts what waits on the listening socket, our own uid only. */
static void accept_all(struct committer *m)
{
	struct ucred cred;
	socklen_t len;
	struct conn *c;
	int fd;

	while ((fd = accept4(m->listen_fd, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		len = sizeof(cred);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
		    cred.uid != geteuid()) {
			log_msg(LOG_LEVEL_WARN, "committer", "refused a peer of "
				"another uid");
			close(fd);
			continue;
		}
		if (m->n_conns >= COMMITTER_MAX_CONNS ||
		    !(c = calloc(1, sizeof(*c)))) {
			log_msg(LOG_LEVEL_WARN, "committer", "too many connections");
			close(fd);
			continue;
		}
		c->fd = fd;
		buf_init(&c->in);
		buf_init(&c->out);
		m->conns[m->n_conns++] = c;
	}
}

/* Reads what c has. A peer that closed (a worker that gave up waiting,
 * or exited) sent its requests whole before: they commit all the same,
 * as the 503 "unknown" it answered allows, so c only ends there. An
 * error or too much (more than a whole frame unparsed: a frame parse
 * refuses long before) marks it dead. */
static void conn_read(struct conn *c)
{
	int got;

	if (c->dead || c->ended)
		return;
	got = buf_recv_ready(&c->in, c->fd, c->in_off + COMMIT_WIRE_MAX_FRAME + 5);
	if (got < 0)
		c->dead = 1;
	else if (got > 0)
		c->ended = 1;
	if (c->in.len - c->in_off > COMMIT_WIRE_MAX_FRAME + 4)
		c->dead = 1;
}

/* Moves whole requests of c into s while there is room. */
static void conn_parse(struct slot *s, struct conn *c)
{
	struct commit_batch *b = &s->b;
	long long flen;
	enum quire_err rc;

	while (!c->dead && b->n < COMMIT_BATCH_MAX) {
		flen = commit_wire_frame_len(c->in.data + c->in_off,
					     c->in.len - c->in_off);
		if (flen == 0)
			break;
		if (flen < 0) {
			c->dead = 1;
			break;
		}
		rc = commit_wire_get_request(c->in.data + c->in_off, (size_t)flen,
					     &s->reqs[b->n]);
		c->in_off += (size_t)flen;
		if (rc != QUIRE_OK) {
			log_msg(LOG_LEVEL_ERROR, "committer", "a malformed request: %s",
				quire_strerror(rc));
			c->dead = 1;
			break;
		}
		b->reqs[b->n] = &s->reqs[b->n];
		s->from[b->n] = c;
		c->owed++;
		b->n++;
	}
	if (c->in_off > 0) { /* keep only the unparsed rest, at the front */
		memmove(c->in.data, c->in.data + c->in_off, c->in.len - c->in_off);
		c->in.len -= c->in_off;
		c->in_off = 0;
	}
	/* Ended with no whole request left (a torn one never was sent). */
	if (c->ended && commit_wire_frame_len(c->in.data, c->in.len) == 0)
		c->dead = 1;
}

/* Writes what c has to send; what does not fit waits for POLLOUT. */
static void conn_flush(struct conn *c)
{
	ssize_t put;

	if (c->ended) /* nobody to answer: the replies go */
		c->out_off = c->out.len;
	while (!c->dead && c->out_off < c->out.len) {
		put = write(c->fd, c->out.data + c->out_off, c->out.len - c->out_off);
		if (put > 0) {
			c->out_off += (size_t)put;
			continue;
		}
		if (put < 0 && errno == EINTR)
			continue;
		if (put < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		c->dead = 1;
	}
	if (c->out_off == c->out.len) {
		c->out.len = 0;
		c->out_off = 0;
	}
}

/* Closes dead connections no batch still answers to. */
static void sweep(struct committer *m)
{
	size_t i = 0;

	while (i < m->n_conns) {
		if (m->conns[i]->dead && m->conns[i]->owed == 0) {
			conn_free(m->conns[i]);
			m->conns[i] = m->conns[--m->n_conns];
			continue;
		}
		i++;
	}
}

/* --------------------------------------------------------------- batches */

/* Queues s's replies on their connections and frees the slot. */
static void reply_all(struct slot *s)
{
	size_t i;

	for (i = 0; i < s->b.n; i++) {
		if (!s->from[i]->dead &&
		    commit_wire_put_reply(&s->from[i]->out, &s->b.replies[i]) !=
		    QUIRE_OK)
			s->from[i]->dead = 1;
		s->from[i]->owed--;
		commit_request_release(&s->reqs[i]);
	}
	commit_batch_release(&s->b);
	s->b.n = 0;
	s->busy = 0;
}

/* Collects a batch the announcer finished, and hands it the next. */
static void collect(struct committer *m)
{
	struct slot *s;
	uint64_t count;

	if (read(m->an.efd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		log_msg(LOG_LEVEL_ERROR, "committer", "eventfd: %s", strerror(errno));
	pthread_mutex_lock(&m->an.lock);
	s = m->an.done;
	m->an.done = NULL;
	pthread_mutex_unlock(&m->an.lock);
	if (!s)
		return;
	reply_all(s);
	m->announcing = NULL;
	if (m->waiting) {
		hand_over(m, m->waiting);
		m->waiting = NULL;
	}
}

/* Fills a free slot from the connections and commits it. */
static void commit_next(struct committer *m)
{
	struct slot *s = !m->slots[0].busy ? &m->slots[0] :
			 !m->slots[1].busy ? &m->slots[1] : NULL;
	size_t i;

	if (!s)
		return; /* one announcing, one waiting: the sockets hold the rest */
	/* Round-robin would be fairer; a batch is big enough that in
	 * practice every connection's waiting writes fit. */
	for (i = 0; i < m->n_conns; i++)
		conn_parse(s, m->conns[i]);
	if (!s->b.n)
		return;
	commit_to_pg(m->tiers, &s->b);
	s->busy = 1;
	if (!s->b.gen) {
		reply_all(s); /* nothing committed: nothing to announce */
		return;
	}
	if (!m->announcing)
		hand_over(m, s);
	else
		m->waiting = s;
}

/* Waits for something to do; SIGTERM is let in only here. */
static void wait_events(struct committer *m, const sigset_t *waiting)
{
	struct pollfd pfd[COMMITTER_MAX_CONNS + 2];
	struct timespec tick = { 0, 200 * 1000000L };
	struct conn *c;
	size_t i, n = 0;

	pfd[n].fd = m->an.efd;
	pfd[n].events = POLLIN;
	pfd[n++].revents = 0;
	if (!stopping) {
		pfd[n].fd = m->listen_fd;
		pfd[n].events = POLLIN;
		pfd[n++].revents = 0;
	}
	for (i = 0; i < m->n_conns; i++) {
		pfd[n].fd = m->conns[i]->fd;
		c = m->conns[i];
		pfd[n].events = (c->dead || c->ended ? 0 : POLLIN) |
			(c->out.len > c->out_off ? POLLOUT : 0);
		pfd[n++].revents = 0;
	}
	if (ppoll(pfd, (nfds_t)n, &tick, waiting) < 0 && errno != EINTR)
		log_msg(LOG_LEVEL_ERROR, "committer", "poll failed: %s",
			strerror(errno));
}

/* True once stopping and nothing is left to do for COMMITTER_LINGER_MS. */
static int done_stopping(struct committer *m, double *quiet_since)
{
	size_t i;
	int busy = m->announcing || m->waiting;

	for (i = 0; !busy && i < m->n_conns; i++)
		busy = m->conns[i]->in.len > m->conns[i]->in_off ||
		       m->conns[i]->out.len > m->conns[i]->out_off;
	if (busy || *quiet_since == 0)
		*quiet_since = quire_now_ms();
	return !busy && (m->n_conns == 0 ||
			 quire_now_ms() - *quiet_since > COMMITTER_LINGER_MS);
}

int committer_run(const struct config *cfg, int listen_fd)
{
	struct committer *m = calloc(1, sizeof(*m));
	struct sigaction sa;
	sigset_t block, waiting;
	double quiet_since = 0;
	size_t i;

	if (!m)
		return 1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	sigemptyset(&waiting);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	/* Blocked before the announcer starts, so it inherits the mask and
	 * the signal always reaches the main thread's ppoll(). */
	sigprocmask(SIG_SETMASK, &block, NULL);
	/* Named, so that ps and the tests tell it from the workers. */
	prctl(PR_SET_NAME, "quire-commit", 0, 0, 0);
	/* It outlives no master, like a worker. */
	prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
	m->cfg = cfg;
	m->listen_fd = listen_fd;
	m->an.efd = -1;
	m->tiers = tiers_new(cfg);
	if (!m->tiers || announcer_start(&m->an, cfg) != QUIRE_OK) {
		log_msg(LOG_LEVEL_ERROR, "committer", "cannot start");
		tiers_free(m->tiers);
		free(m);
		return 1;
	}
	metrics_claim();
	log_msg(LOG_LEVEL_INFO, "committer_start", "batch_max=%d", COMMIT_BATCH_MAX);
	for (;;) {
		wait_events(m, &waiting);
		collect(m);
		if (!stopping)
			accept_all(m);
		for (i = 0; i < m->n_conns; i++)
			conn_read(m->conns[i]);
		commit_next(m);
		for (i = 0; i < m->n_conns; i++)
			conn_flush(m->conns[i]);
		sweep(m);
		if (stopping && done_stopping(m, &quiet_since))
			break;
	}
	announcer_stop(&m->an);
	log_msg(LOG_LEVEL_INFO, "committer_stop", "connections=%zu", m->n_conns);
	for (i = 0; i < m->n_conns; i++)
		conn_free(m->conns[i]);
	close(m->an.efd);
	tiers_free(m->an.tiers);
	tiers_free(m->tiers);
	free(m);
	return 0;
}
