/*
 * sandbox_pool.c - long-lived helper processes that run a function on
 * untrusted input under a CPU budget per job
 *
 * A job is a frame on the helper's socket: {cpu_s, len} then len bytes;
 * the answer {len} then len bytes. Before each job the helper arms
 * ITIMER_PROF with the budget: the process's CPU time (user + system),
 * counted from the job's start, and SIGPROF's default action ends the
 * helper when the job overruns. As a second net its RLIMIT_CPU soft
 * limit is moved to what it used so far plus the budget and two seconds
 * (SIGXCPU ends it too); the hard limit is left alone, since a process
 * cannot raise it again. The caller bounds the wall-clock time too (a
 * helper that sleeps or is stopped uses no CPU) and kills the helper
 * past it.
 *
 * Slots are taken and given back under one mutex, never held across a
 * job or a fork's wait; pthread_atfork takes it around every fork so a
 * child (a helper, a worker) sees the table whole, and the child then
 * forgets it: it closes its copies of the helpers' sockets without
 * signalling anyone (the helpers are its parent's).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/sandbox_pool.h"

/* The fd a helper keeps its socket on; every other one above stderr is
 * closed (the owner's listening socket, its Redis and PostgreSQL
 * connections: a helper must not hold them open past their owner). */
#define HELPER_FD 3

struct helper {
	pid_t pid;          /* 0: free slot; -1: being started */
	int fd;             /* the owner's end of the socket pair; only
	                       meaningful while pid > 0 */
	int busy;
	sandbox_pool_fn fn;
};

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct helper h[SANDBOX_POOL_MAX];
	unsigned long started;
	int hooks; /* atfork and atexit registered */
} pool = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
	   { { 0, -1, 0, NULL } }, 0, 0 };

struct frame {
	uint32_t cpu_s;
	uint32_t len;
};

/* ------------------------------------------------------------------ */
/* fork: the table whole in the child, then forgotten there */

static void fork_prepare(void)
{
	pthread_mutex_lock(&pool.mu);
}

static void fork_parent(void)
{
	pthread_mutex_unlock(&pool.mu);
}

static void fork_child(void)
{
	pthread_mutexattr_t a;
	size_t i;

	for (i = 0; i < SANDBOX_POOL_MAX; i++) {
		/* a running helper's socket, never a free slot's fd (0 in
		 * the slots never used: a worker's FastCGI socket) */
		if (pool.h[i].pid > 0 && pool.h[i].fd >= 0)
			close(pool.h[i].fd);
		pool.h[i].pid = 0;
		pool.h[i].fd = -1;
		pool.h[i].busy = 0;
	}
	pool.started = 0;
	/* the lock was taken in fork_prepare by a thread that is not here */
	pthread_mutexattr_init(&a);
	pthread_mutex_init(&pool.mu, &a);
	pthread_mutexattr_destroy(&a);
	pthread_cond_init(&pool.cv, NULL);
}

/* ------------------------------------------------------------------ */
/* The helper's side */

/* All n bytes read (writing 0) or written (1), through EINTR and short
 * transfers: 0, else -1 (an error or the other end closed). */
static int io_full(int fd, void *p, size_t n, int writing)
{
	char *c = p;
	ssize_t r;

	while (n) {
		r = writing ? write(fd, c, n) : read(fd, c, n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

static int read_full(int fd, void *p, size_t n)
{
	return io_full(fd, p, n, 0);
}

static int write_full(int fd, const void *p, size_t n)
{
	return io_full(fd, (void *)p, n, 1);
}

/* The CPU time this process used so far, whole seconds rounded up. */
static rlim_t cpu_used_s(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) == -1)
		return RLIM_INFINITY;
	return (rlim_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + 1;
}

/* The next job may use cpu_s seconds of CPU time: SIGPROF then; the
 * rlimit's SIGXCPU (whole seconds) at most two seconds later. */
static int set_budget(unsigned cpu_s)
{
	struct itimerval it = { { 0, 0 }, { (time_t)cpu_s, 0 } };
	struct rlimit r;
	rlim_t used = cpu_used_s();

	if (used == RLIM_INFINITY || getrlimit(RLIMIT_CPU, &r) == -1)
		return -1;
	r.rlim_cur = used + cpu_s + 1;
	if (r.rlim_max != RLIM_INFINITY && r.rlim_cur > r.rlim_max)
		return -1;
	if (setrlimit(RLIMIT_CPU, &r) == -1)
		return -1;
	return setitimer(ITIMER_PROF, &it, NULL);
}

/* The job is done: its budget is not the next one's. */
static int end_budget(void)
{
	struct itimerval off = { { 0, 0 }, { 0, 0 } };

	return setitimer(ITIMER_PROF, &off, NULL);
}

static void helper_setup(int fd)
{
	struct rlimit core = { 0, 0 };
	sigset_t none;
	int null;

	if (fd != HELPER_FD && dup2(fd, HELPER_FD) == -1)
		_exit(2);
	null = open("/dev/null", O_RDONLY);
	if (null == -1 || dup2(null, 0) == -1)
		_exit(2);
	if (close_range(HELPER_FD + 1, ~0U, 0) == -1)
		_exit(2);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGXCPU, SIG_DFL);
	signal(SIGPROF, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_IGN);  /* a terminal's ^C is the owner's to act on */
	signal(SIGHUP, SIG_IGN);
	if (setrlimit(RLIMIT_CORE, &core) == -1)
		_exit(2);
}

static void helper_main(int fd, sandbox_pool_fn fn)
{
	struct buf in = BUF_INIT, out = BUF_INIT;
	struct frame f;

	helper_setup(fd);
	for (;;) {
		if (read_full(HELPER_FD, &f, sizeof(f)) == -1)
			_exit(0); /* the owner closed its end, or is gone */
		if (f.len > SANDBOX_POOL_MAX_MSG)
			_exit(3);
		buf_reset(&in);
		if (buf_grow(&in, f.len + 1) != QUIRE_OK)
			_exit(3);
		if (read_full(HELPER_FD, in.data, f.len) == -1)
			_exit(0);
		in.len = f.len;
		in.data[f.len] = '\0';
		if (set_budget(f.cpu_s) == -1)
			_exit(4);
		buf_reset(&out);
		fn(in.data, in.len, &out);
		if (end_budget() == -1)
			_exit(4);
		if (buf_failed(&out) || out.len > SANDBOX_POOL_MAX_MSG)
			_exit(3);
		f.cpu_s = 0;
		f.len = (uint32_t)out.len;
		if (write_full(HELPER_FD, &f, sizeof(f)) == -1 ||
		    write_full(HELPER_FD, out.data ? out.data : "", out.len) == -1)
			_exit(0);
	}
}

/* ------------------------------------------------------------------ */
/* The owner's side */

static void register_hooks(void)
{
	/* under pool.mu */
	if (pool.hooks)
		return;
	if (pthread_atfork(fork_prepare, fork_parent, fork_child) != 0 ||
	    atexit(sandbox_pool_stop) != 0)
		return;
	pool.hooks = 1;
}

/* Starts a helper into slot h (reserved: pid -1); 0 or -1. */
static int spawn(struct helper *h, sandbox_pool_fn fn)
{
	int sv[2], fl;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		return -1;
	pid = fork();
	if (pid == -1) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		close(sv[0]);
		helper_main(sv[1], fn);
		_exit(0);
	}
	close(sv[1]);
	fl = fcntl(sv[0], F_GETFL);
	if (fl == -1 || fcntl(sv[0], F_SETFL, fl | O_NONBLOCK) == -1) {
		close(sv[0]);
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
			;
		return -1;
	}
	pthread_mutex_lock(&pool.mu);
	h->pid = pid;
	h->fd = sv[0];
	h->fn = fn;
	pool.started++;
	pthread_mutex_unlock(&pool.mu);
	return 0;
}

/* A free slot reserved for a helper of fn (pool.mu held), or NULL. */
static struct helper *reserve(sandbox_pool_fn fn)
{
	size_t i;

	for (i = 0; i < SANDBOX_POOL_MAX; i++)
		if (pool.h[i].pid == 0) {
			pool.h[i].pid = -1;
			pool.h[i].busy = 1;
			pool.h[i].fn = fn; /* counted as fn's while it starts */
			return &pool.h[i];
		}
	return NULL;
}

/* Starts a helper into h, reserved; 0, or -1 with the slot freed. */
static int start_reserved(struct helper *h, sandbox_pool_fn fn)
{
	if (spawn(h, fn) == 0)
		return 0;
	pthread_mutex_lock(&pool.mu);
	h->pid = 0;
	h->busy = 0;
	h->fn = NULL;
	pthread_cond_broadcast(&pool.cv);
	pthread_mutex_unlock(&pool.mu);
	return -1;
}

/* Helpers of fn running or starting (pool.mu held). */
static size_t live(sandbox_pool_fn fn)
{
	size_t i, n = 0;

	for (i = 0; i < SANDBOX_POOL_MAX; i++)
		n += pool.h[i].pid != 0 && pool.h[i].fn == fn;
	return n;
}

/* A helper for fn, marked busy: an idle one, else, when none of fn's
 * runs, a new one, else the first to come back (see
 * sandbox_pool_prestart: a job forks only when it must). NULL when
 * none can be started. */
static struct helper *take(sandbox_pool_fn fn)
{
	struct helper *h;
	size_t i;

	pthread_mutex_lock(&pool.mu);
	register_hooks();
	for (;;) {
		for (i = 0; i < SANDBOX_POOL_MAX; i++) {
			h = &pool.h[i];
			if (h->pid > 0 && !h->busy && h->fn == fn) {
				h->busy = 1;
				pthread_mutex_unlock(&pool.mu);
				return h;
			}
		}
		if (!live(fn) && (h = reserve(fn))) {
			pthread_mutex_unlock(&pool.mu);
			return start_reserved(h, fn) == 0 ? h : NULL;
		}
		pthread_cond_wait(&pool.cv, &pool.mu);
	}
}

size_t sandbox_pool_prestart(sandbox_pool_fn fn, size_t n)
{
	struct helper *h;
	size_t have;

	if (n > SANDBOX_POOL_MAX)
		n = SANDBOX_POOL_MAX;
	for (;;) {
		pthread_mutex_lock(&pool.mu);
		register_hooks();
		have = live(fn);
		h = have < n ? reserve(fn) : NULL;
		pthread_mutex_unlock(&pool.mu);
		if (!h || start_reserved(h, fn) != 0)
			return have;
		pthread_mutex_lock(&pool.mu);
		h->busy = 0;
		pthread_cond_broadcast(&pool.cv);
		pthread_mutex_unlock(&pool.mu);
	}
}

/* Reaps a helper that ended or was killed; its wait status, or -1 when
 * it is not this process's to reap (a master's waitpid(-1) took it). */
static int reap(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			return -1;
	return st;
}

/* Gives h back; dead: its process is gone (reaped), the slot freed. */
static void give(struct helper *h, int dead)
{
	pthread_mutex_lock(&pool.mu);
	if (dead) {
		close(h->fd);
		h->fd = -1;
		h->pid = 0;
		h->fn = NULL;
	}
	h->busy = 0;
	pthread_cond_broadcast(&pool.cv);
	pthread_mutex_unlock(&pool.mu);
}

static long ms_left(const struct timespec *end)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (end->tv_sec - t.tv_sec) * 1000 +
	       (end->tv_nsec - t.tv_nsec) / 1000000;
}

/* Waits for fd to be ready for events until end; 1 ready, 0 out of
 * time, -1 error. */
static int wait_fd(int fd, short events, const struct timespec *end)
{
	struct pollfd p = { fd, events, 0 };
	long left;
	int r;

	for (;;) {
		left = ms_left(end);
		if (left <= 0)
			return 0;
		r = poll(&p, 1, (int)left);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		if (r == 1)
			return 1;
	}
}

/* Sends (writing 1) or receives (0) n bytes before end: 0 done, 1 out
 * of time, -1 the helper is gone (an error, or EOF while receiving). */
static int xfer_all(int fd, void *p, size_t n, const struct timespec *end,
		    int writing)
{
	char *c = p;
	ssize_t r;
	int w;

	while (n) {
		r = writing ? send(fd, c, n, MSG_NOSIGNAL) : read(fd, c, n);
		if (r > 0) {
			c += r;
			n -= (size_t)r;
			continue;
		}
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			w = wait_fd(fd, writing ? POLLOUT : POLLIN, end);
			if (w <= 0)
				return w == 0 ? 1 : -1;
			continue;
		}
		return -1;
	}
	return 0;
}

static int send_all(int fd, const void *p, size_t n,
		    const struct timespec *end)
{
	return xfer_all(fd, (void *)p, n, end, 1);
}

static int recv_all(int fd, void *p, size_t n, const struct timespec *end)
{
	return xfer_all(fd, p, n, end, 0);
}

/* What one attempt came to. */
enum outcome { DONE, OVERRUN, DIED, BROKEN };

/* One job on helper h; *dead set when h is gone (reaped) after it. */
static enum outcome exchange(struct helper *h, const char *in, size_t n,
			     unsigned cpu_s, struct buf *result, int *dead)
{
	struct timespec end;
	struct frame f = { cpu_s, (uint32_t)n };
	int r, st;

	*dead = 0;
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += 4 * (time_t)cpu_s + 1;
	r = send_all(h->fd, &f, sizeof(f), &end);
	if (r == 0)
		r = send_all(h->fd, in, n, &end);
	if (r == 0)
		r = recv_all(h->fd, &f, sizeof(f), &end);
	if (r == 0 && f.len > SANDBOX_POOL_MAX_MSG)
		r = 2;
	if (r == 0 && buf_grow(result, f.len + 1) != QUIRE_OK)
		r = 3;
	if (r == 0) {
		r = recv_all(h->fd, result->data + result->len, f.len, &end);
		if (r == 0) {
			result->len += f.len;
			result->data[result->len] = '\0';
			return DONE;
		}
	}
	/* Out of time, or an answer it cannot be: stopped. Gone (end of
	 * file): a zombie, which the signal leaves as it was. An error of
	 * poll or send: stopped too, so the wait below cannot hang. */
	kill(h->pid, SIGKILL);
	st = reap(h->pid);
	*dead = 1;
	if (r == 1)
		return OVERRUN;
	if (r >= 2)
		return BROKEN;
	if (st != -1 && WIFSIGNALED(st) &&
	    (WTERMSIG(st) == SIGPROF || WTERMSIG(st) == SIGXCPU))
		return OVERRUN;
	return DIED;
}

enum quire_err sandbox_pool_run(sandbox_pool_fn fn, const char *in, size_t n,
				unsigned cpu_s, struct buf *result)
{
	struct helper *h;
	size_t len0 = result->len;
	enum outcome o = DIED;
	int attempt, dead;

	if (n > SANDBOX_POOL_MAX_MSG)
		return QUIRE_ETOOBIG;
	if (buf_failed(result))
		return QUIRE_ENOMEM;
	for (attempt = 0; attempt < 2 && o == DIED; attempt++) {
		h = take(fn);
		if (!h)
			return QUIRE_EIO;
		o = exchange(h, in, n, cpu_s, result, &dead);
		give(h, dead);
		if (o != DONE)
			buf_truncate(result, len0);
	}
	switch (o) {
	case DONE:
		return QUIRE_OK;
	case OVERRUN:
		return QUIRE_ETIMEOUT;
	default:
		return buf_failed(result) ? QUIRE_ENOMEM : QUIRE_EIO;
	}
}

void sandbox_pool_stop(void)
{
	pid_t pids[SANDBOX_POOL_MAX];
	size_t i, n = 0;

	pthread_mutex_lock(&pool.mu);
	for (i = 0; i < SANDBOX_POOL_MAX; i++) {
		struct helper *h = &pool.h[i];

		if (h->pid <= 0 || h->busy)
			continue; /* a busy one ends when its job's owner does */
		close(h->fd); /* the helper reads end of file and exits */
		pids[n++] = h->pid;
		h->fd = -1;
		h->pid = 0;
		h->fn = NULL;
	}
	pthread_mutex_unlock(&pool.mu);
	for (i = 0; i < n; i++)
		reap(pids[i]);
}

size_t sandbox_pool_pids(pid_t *pids, size_t max)
{
	size_t i, n = 0;

	pthread_mutex_lock(&pool.mu);
	for (i = 0; i < SANDBOX_POOL_MAX; i++) {
		if (pool.h[i].pid <= 0)
			continue;
		if (n < max)
			pids[n] = pool.h[i].pid;
		n++;
	}
	pthread_mutex_unlock(&pool.mu);
	return n;
}

unsigned long sandbox_pool_started(void)
{
	unsigned long n;

	pthread_mutex_lock(&pool.mu);
	n = pool.started;
	pthread_mutex_unlock(&pool.mu);
	return n;
}
