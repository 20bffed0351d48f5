/*
 * committer.c - commits the API's writes of a host in shared batches
 *
 * Single-threaded and event-driven: poll() on the listening socket and
 * every worker's connection; whatever whole requests have arrived (up
 * to COMMITTER_BATCH_MAX) become one batch: one transaction, one Redis
 * write, one invalidation, one wait for the workers' acknowledgements,
 * then one reply each. Requests that arrive while a batch is being
 * committed wait in the sockets for the next one, so the busier the
 * writers, the more writes share a commit; a lone write pays one
 * commit, as before.
 *
 * Stopping (SIGTERM): no new connection is accepted; what is already
 * queued is committed and answered; connections are closed once their
 * workers sent nothing for COMMITTER_LINGER_MS (a worker whose
 * connection closes reconnects for its next write).
 */
#include <errno.h>
#include <stdio.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "commit_wire.h"
#include "committer.h"
#include "log.h"
#include "metrics.h"
#include "quire.h"
#include "tier_pg.h"
#include "tier_redis.h"
#include "tiers.h"

#define COMMITTER_MAX_CONNS 1100       /* > MASTER_MAX_PROCS */
#define COMMITTER_READ_CHUNK 65536
#define COMMITTER_ACK_TIMEOUT_MS 2000
#define COMMITTER_WORKER_MAX_AGE_S 10
#define COMMITTER_LINGER_MS 2000

struct conn {
	int fd;
	struct buf in;          /* bytes received, from in_off on unparsed */
	size_t in_off;
	struct buf out;         /* replies not yet written */
	size_t out_off;
	int dead;               /* to be closed at the next sweep */
};

/* A request of the batch and the connection it came from. */
struct item {
	struct conn *c;
	struct commit_request req;
};

struct committer {
	const struct config *cfg;
	struct tiers *tiers;
	int listen_fd;
	struct conn *conns[COMMITTER_MAX_CONNS];
	size_t n_conns;
	struct item batch[COMMITTER_BATCH_MAX];
	struct commit_reply replies[COMMITTER_BATCH_MAX];
	size_t n;
};

static volatile sig_atomic_t stopping;

static void on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
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

/* Reads what c has; marks it dead on EOF, an error or too much. */
static void conn_read(struct conn *c)
{
	ssize_t got;

	for (;;) {
		if (c->in.len - c->in_off > COMMIT_WIRE_MAX_FRAME + 4) {
			c->dead = 1; /* a frame parse refuses long before */
			return;
		}
		if (buf_grow(&c->in, COMMITTER_READ_CHUNK) != 0) {
			c->dead = 1;
			return;
		}
		got = read(c->fd, c->in.data + c->in.len, COMMITTER_READ_CHUNK);
		if (got > 0) {
			c->in.len += (size_t)got;
			continue;
		}
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		c->dead = 1;
		return;
	}
}

/* Moves whole requests of c into the batch while there is room. */
static void conn_parse(struct committer *m, struct conn *c)
{
	long long flen;
	int rc;

	while (!c->dead && m->n < COMMITTER_BATCH_MAX) {
		flen = commit_wire_frame_len(c->in.data + c->in_off,
					     c->in.len - c->in_off);
		if (flen == 0)
			break;
		if (flen < 0) {
			c->dead = 1;
			break;
		}
		rc = commit_wire_get_request(c->in.data + c->in_off, (size_t)flen,
					     &m->batch[m->n].req);
		c->in_off += (size_t)flen;
		if (rc != QUIRE_OK) {
			log_msg(LOG_LEVEL_ERROR, "committer", "a malformed request: %s",
				quire_strerror(rc));
			c->dead = 1;
			break;
		}
		m->batch[m->n].c = c;
		m->n++;
	}
	if (c->in_off > 0) { /* keep only the unparsed rest, at the front */
		memmove(c->in.data, c->in.data + c->in_off, c->in.len - c->in_off);
		c->in.len -= c->in_off;
		c->in_off = 0;
	}
}

/* Writes what c has to send; what does not fit waits for POLLOUT. */
static void conn_flush(struct conn *c)
{
	ssize_t put;

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

/* Closes dead connections; a batch never holds one across this. */
static void sweep(struct committer *m)
{
	size_t i = 0;

	while (i < m->n_conns) {
		if (m->conns[i]->dead) {
			conn_free(m->conns[i]);
			m->conns[i] = m->conns[--m->n_conns];
			continue;
		}
		i++;
	}
}

/* The slug of op i, whichever kind. */
static const char *op_slug(const struct tier_pg_op *ops, size_t i)
{
	return ops[i].rec ? ops[i].rec->slug : ops[i].slug;
}

static int seen_later(const struct tier_pg_op *ops, size_t n, size_t i)
{
	size_t j;

	for (j = i + 1; j < n; j++)
		if (ops[j].rc == QUIRE_OK &&
		    strcmp(op_slug(ops, j), op_slug(ops, i)) == 0)
			return 1;
	return 0;
}

/*
 * Tells every worker what the batch changed: each slug's last state
 * into Redis, one invalidation, then the wait for every live worker to
 * acknowledge it (so a write is answered only once every worker serves
 * it). Without Redis the master reloads them instead. The writes are
 * durable either way.
 */
static void announce(struct tiers *t, const struct tier_pg_op *ops, size_t n,
		     long long gen, double *redis_ms)
{
	double t0 = now_ms();
	struct record *recs[COMMITTER_BATCH_MAX];
	char *dels[COMMITTER_BATCH_MAX];
	const char *slugs[COMMITTER_BATCH_MAX];
	struct tier_redis *r = tiers_redis(t);
	size_t i, n_recs = 0, n_dels = 0, n_slugs = 0, live, acked;
	long long receivers;

	for (i = 0; i < n; i++) {
		if (ops[i].rc != QUIRE_OK || seen_later(ops, n, i))
			continue;
		slugs[n_slugs++] = op_slug(ops, i);
		if (ops[i].rec)
			recs[n_recs++] = ops[i].rec;
		else
			dels[n_dels++] = (char *)ops[i].slug;
	}
	if (r && tier_redis_store(r, recs, n_recs, dels, n_dels, gen) == QUIRE_OK &&
	    tier_redis_publish(r, gen, slugs, n_slugs, 0, &receivers) == QUIRE_OK) {
		*redis_ms = now_ms() - t0;
		if (tiers_wait_acks(r, gen, COMMITTER_ACK_TIMEOUT_MS,
				    COMMITTER_WORKER_MAX_AGE_S, 0, &live,
				    &acked) != QUIRE_OK)
			log_msg(LOG_LEVEL_WARN, "commit", "generation=%lld "
				"acknowledged by %zu of %zu workers", gen, acked, live);
		return;
	}
	log_msg(LOG_LEVEL_WARN, "commit", "redis unreachable; asking the "
		"master to reload for generation %lld", gen);
	kill(getppid(), SIGHUP);
}

void committer_commit(struct tiers *t, struct commit_request *const *reqs,
		      size_t n, struct commit_reply *replies)
{
	struct tier_pg_op ops[COMMITTER_BATCH_MAX];
	struct tier_pg *pg = tiers_pg(t);
	long long gen = 0;
	size_t i, applied = 0;
	int rc = QUIRE_EIO;
	double start = now_ms(), pg_ms, redis_ms = 0;

	if (n > COMMITTER_BATCH_MAX)
		n = COMMITTER_BATCH_MAX; /* never: callers batch at most that */
	for (i = 0; i < n; i++) {
		memset(&ops[i], 0, sizeof(ops[i]));
		ops[i].slug = reqs[i]->slug;
		ops[i].rec = reqs[i]->rec;
		ops[i].expect = reqs[i]->expect;
		ops[i].rc = QUIRE_EIO;
	}
	if (pg)
		rc = tier_pg_write(pg, ops, n, &gen);
	if (rc != QUIRE_OK && pg)
		tiers_pg_failed(t);
	pg_ms = now_ms() - start;
	for (i = 0; i < n; i++)
		applied += ops[i].rc == QUIRE_OK;
	if (rc == QUIRE_OK && gen) {
		metrics_add(METRIC_API_WRITES, applied);
		announce(t, ops, n, gen, &redis_ms);
	}
	for (i = 0; i < n; i++) {
		memset(&replies[i], 0, sizeof(replies[i]));
		replies[i].id = reqs[i]->id;
		replies[i].rc = ops[i].rc;
		if (ops[i].rc == QUIRE_OK) {
			replies[i].revision = ops[i].rec ? ops[i].rec->revision : 0;
			replies[i].created = ops[i].created;
			replies[i].generation = gen;
		} else if (ops[i].rc != QUIRE_ECONFLICT &&
			   ops[i].rc != QUIRE_ENOTFOUND) {
			snprintf(replies[i].message, sizeof(replies[i].message),
				 "%s", pg ? tier_pg_error(pg) : "no database connection");
		}
	}
	/* What a batch cost, and where: the figures tests/bench/write's
	 * RESULTS.md explains the rate with. */
	log_msg(LOG_LEVEL_DEBUG, "commit", "writes=%zu applied=%zu generation=%lld "
		"pg_ms=%.2f redis_ms=%.2f ms=%.2f", n, applied, gen, pg_ms,
		redis_ms, now_ms() - start);
}

/* Commits the batch and queues one reply per request. */
static void run_batch(struct committer *m)
{
	struct commit_request *reqs[COMMITTER_BATCH_MAX];
	size_t i;

	for (i = 0; i < m->n; i++)
		reqs[i] = &m->batch[i].req;
	committer_commit(m->tiers, reqs, m->n, m->replies);
	for (i = 0; i < m->n; i++) {
		if (commit_wire_put_reply(&m->batch[i].c->out,
					  &m->replies[i]) != QUIRE_OK)
			m->batch[i].c->dead = 1;
		commit_request_release(&m->batch[i].req);
	}
	m->n = 0;
}

/* Waits for something to do; SIGTERM is let in only here. */
static void wait_events(struct committer *m, const sigset_t *waiting)
{
	struct pollfd pfd[COMMITTER_MAX_CONNS + 1];
	struct timespec tick = { 0, 200 * 1000000L };
	size_t i, n = 0;

	if (!stopping) {
		pfd[n].fd = m->listen_fd;
		pfd[n].events = POLLIN;
		pfd[n++].revents = 0;
	}
	for (i = 0; i < m->n_conns; i++) {
		pfd[n].fd = m->conns[i]->fd;
		pfd[n].events = POLLIN |
			(m->conns[i]->out.len > m->conns[i]->out_off ? POLLOUT : 0);
		pfd[n++].revents = 0;
	}
	if (ppoll(pfd, (nfds_t)n, &tick, waiting) < 0 && errno != EINTR)
		log_msg(LOG_LEVEL_ERROR, "committer", "poll failed: %s",
			strerror(errno));
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
	sigprocmask(SIG_SETMASK, &block, NULL);
	/* Named, so that ps and the tests tell it from the workers. */
	prctl(PR_SET_NAME, "quire-commit", 0, 0, 0);
	/* It outlives no master, like a worker. */
	prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
	m->cfg = cfg;
	m->listen_fd = listen_fd;
	m->tiers = tiers_new(cfg);
	if (!m->tiers) {
		free(m);
		return 1;
	}
	metrics_claim();
	log_msg(LOG_LEVEL_INFO, "committer_start", "batch_max=%d",
		COMMITTER_BATCH_MAX);
	for (;;) {
		wait_events(m, &waiting);
		if (!stopping)
			accept_all(m);
		for (i = 0; i < m->n_conns; i++)
			conn_read(m->conns[i]);
		/* Round-robin would be fairer; the batch is big enough that
		 * in practice every connection's waiting writes fit. */
		for (i = 0; i < m->n_conns; i++)
			conn_parse(m, m->conns[i]);
		if (m->n)
			run_batch(m);
		for (i = 0; i < m->n_conns; i++)
			conn_flush(m->conns[i]);
		sweep(m);
		if (!stopping)
			continue;
		/* Stopping: linger while workers still send, then go. */
		for (i = 0; i < m->n_conns; i++)
			if (m->conns[i]->in.len > m->conns[i]->in_off ||
			    m->conns[i]->out.len > m->conns[i]->out_off)
				break;
		if (i < m->n_conns || quiet_since == 0)
			quiet_since = now_ms();
		if (m->n_conns == 0 || now_ms() - quiet_since > COMMITTER_LINGER_MS)
			break;
	}
	log_msg(LOG_LEVEL_INFO, "committer_stop", "connections=%zu", m->n_conns);
	for (i = 0; i < m->n_conns; i++)
		conn_free(m->conns[i]);
	tiers_free(m->tiers);
	free(m);
	return 0;
}
