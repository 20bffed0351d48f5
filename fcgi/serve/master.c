/*
 * master.c - the supervisor: preforks workers, restarts them, reloads
 *
 * Forks the workers (and the committer, when the write API is on) from
 * the loaded site, restarts any that dies, with back-off, and takes its
 * signals synchronously with sigtimedwait(): SIGHUP a rolling reload,
 * SIGUSR2 the binary executed again in place (upgrade.c), SIGTERM and
 * SIGINT a stop. Why each is done the way it is (in place rather than
 * fork+exec, privileges dropped before any load): see doc/DESIGN.md §2.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/privs.h"
#include "lib/quire.h"
#include "serve/app.h"
#include "serve/master.h"
#include "serve/upgrade.h"
#include "serve/worker.h"
#include "write/committer.h"

#define MASTER_MAX_PROCS 1024
#define STOP_GRACE_SECONDS 10
#define RESTART_BACKOFF_MAX_MS 5000
#define LOAD_RETRY_MAX_MS 1000

struct proc {
	pid_t pid;
	int slot;               /* index in the current set, or -1: retiring */
	struct timespec started;
};

struct master {
	const struct config *cfg;
	const struct master_opts *opts;
	struct app *app;
	struct listeners listen;
	int committer_fd;       /* the committer's listening socket; -1: none */
	int n_slots;            /* workers, and the committer's slot after them */
	struct proc procs[MASTER_MAX_PROCS];
	size_t n_procs;
	/* Per slot of the current set: when to start it again, and how long
	 * to back off if it dies young again. */
	struct timespec *due;
	long *backoff_ms;
	int *running;
	/* No site loaded yet (master_opts.pending): the previous image's
	 * processes serve on; the load is tried again at load_at. */
	int pending;
	struct timespec load_at;
	long load_backoff_ms;
};

static double elapsed_ms(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e3 +
	       (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

static void now(struct timespec *ts)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
}

/* The committer's slot comes after the workers' (when there is one). */
static int is_committer(const struct master *m, int slot)
{
	return m->committer_fd >= 0 && slot == m->cfg->workers;
}

static int spawn(struct master *m, int slot)
{
	pid_t pid;
	int status;

	if (m->n_procs >= MASTER_MAX_PROCS)
		return -1;
	pid = fork();
	if (pid < 0) {
		log_msg(LOG_LEVEL_ERROR, "fork", "fork failed: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		char err[256];

		/* SIGUSR2 is the master's; a stray one must not kill a worker
		 * (its default action), and worker_accept.c leaves it alone. */
		signal(SIGUSR2, SIG_IGN);
		if (m->opts->privs && m->opts->privs->wanted &&
		    privs_verify(m->opts->privs, err, sizeof(err)) != QUIRE_OK) {
			log_msg(LOG_LEVEL_ERROR, "privs", "%s; worker not started", err);
			_exit(1);
		}
		if (is_committer(m, slot))
			status = committer_run(m->cfg, m->committer_fd);
		else
			status = worker_run(m->app, &m->listen, m->committer_fd);
		_exit(status);
	}
	m->procs[m->n_procs].pid = pid;
	m->procs[m->n_procs].slot = slot;
	now(&m->procs[m->n_procs].started);
	m->n_procs++;
	m->running[slot] = 1;
	return 0;
}

static void signal_all(struct master *m, int sig, int retiring_only)
{
	size_t i;

	for (i = 0; i < m->n_procs; i++)
		if (!retiring_only || m->procs[i].slot < 0)
			kill(m->procs[i].pid, sig);
}

/* Collects exited workers; schedules a restart for current ones. */
static void reap(struct master *m, int stopping)
{
	struct timespec t;
	struct proc *p;
	pid_t pid;
	size_t i;
	int st, slot;
	double lived;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (i = 0; i < m->n_procs && m->procs[i].pid != pid; i++)
			;
		if (i == m->n_procs)
			continue;
		p = &m->procs[i];
		slot = p->slot;
		now(&t);
		lived = elapsed_ms(&p->started, &t);
		if (slot >= 0 && !stopping) {
			/* A worker that dies young backs off, so a crash at
			 * start-up does not become a fork loop. */
			if (lived < 1000)
				m->backoff_ms[slot] = m->backoff_ms[slot] ?
					m->backoff_ms[slot] * 2 : 100;
			else
				m->backoff_ms[slot] = 0;
			if (m->backoff_ms[slot] > RESTART_BACKOFF_MAX_MS)
				m->backoff_ms[slot] = RESTART_BACKOFF_MAX_MS;
			m->due[slot] = t;
			m->due[slot].tv_nsec += m->backoff_ms[slot] * 1000000L;
			m->due[slot].tv_sec += m->due[slot].tv_nsec / 1000000000L;
			m->due[slot].tv_nsec %= 1000000000L;
			m->running[slot] = 0;
			log_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0 ?
				LOG_LEVEL_INFO : LOG_LEVEL_WARN, "worker_exit",
				"worker=%ld status=%d signal=%d restart_in_ms=%ld",
				(long)pid, WIFEXITED(st) ? WEXITSTATUS(st) : -1,
				WIFSIGNALED(st) ? WTERMSIG(st) : 0,
				m->backoff_ms[slot]);
		}
		m->procs[i] = m->procs[--m->n_procs];
	}
}

static void restart_due(struct master *m)
{
	struct timespec t;
	int slot;

	if (m->pending)
		return; /* nothing to start them from */
	now(&t);
	for (slot = 0; slot < m->n_slots; slot++)
		if (!m->running[slot] && elapsed_ms(&m->due[slot], &t) >= 0)
			spawn(m, slot);
}

static void reload(struct master *m)
{
	struct app fresh;
	size_t i;
	int slot;

	if (m->pending) {
		m->load_at.tv_sec = 0; /* the load is tried again now */
		return;
	}
	log_msg(LOG_LEVEL_INFO, "reload", "reloading templates and content");
	/* A site from the tiers is kept rather than replaced by the files
	 * when no tier answers (app_load): its workers serve it on, and
	 * their generation comparisons catch up once a tier is back. */
	if (app_load(&fresh, m->cfg, m->app, m->app->fallback) != QUIRE_OK) {
		log_msg(LOG_LEVEL_ERROR, "reload",
			"reload failed; still serving the previous load");
		return;
	}
	for (i = 0; i < m->n_procs; i++)
		if (!is_committer(m, m->procs[i].slot)) /* the committer stays */
			m->procs[i].slot = -1;
	app_release(m->app);
	*m->app = fresh;
	for (slot = 0; slot < m->cfg->workers; slot++) {
		m->running[slot] = 0;
		m->backoff_ms[slot] = 0;
		spawn(m, slot);
	}
	signal_all(m, SIGTERM, 1);
}

/* Executes the binary again in place (DESIGN §2). Returns only when
 * that was not possible; the workers then serve on as before. */
static void upgrade(struct master *m)
{
	pid_t pids[UPGRADE_MAX_PIDS];
	char err[256];
	size_t i, n = 0;

	if (!m->opts->exe) {
		log_msg(LOG_LEVEL_ERROR, "upgrade", "no path to execute again; ignored");
		return;
	}
	log_msg(LOG_LEVEL_INFO, "upgrade", "executing \"%s\" workers=%zu",
		m->opts->exe, m->n_procs);
	if (upgrade_preflight(m->opts->exe, err, sizeof(err)) != QUIRE_OK) {
		log_msg(LOG_LEVEL_ERROR, "upgrade", "%s; still running the old binary",
			err);
		return;
	}
	reap(m, 0);
	for (i = 0; i < m->n_procs && n < UPGRADE_MAX_PIDS; i++)
		pids[n++] = m->procs[i].pid;
	upgrade_exec(m->opts->exe, m->opts->argv, m->listen.pages, m->listen.api,
		     pids, n, err, sizeof(err));
	log_msg(LOG_LEVEL_ERROR, "upgrade", "%s; still running the old binary", err);
}

/* Whether a process of a previous set (retiring) still runs. */
static int retiring_left(const struct master *m)
{
	size_t i;

	for (i = 0; i < m->n_procs; i++)
		if (m->procs[i].slot < 0)
			return 1;
	return 0;
}

/*
 * While pending: loads the site, with back-off. Once it is loaded, the
 * workers and the committer of this image start and the previous ones
 * retire, as after any upgrade. While a process of the previous image
 * serves, a load with no tier answering fails rather than serve the
 * files; with none left, the files are better than nothing (as at a
 * start).
 */
static void load_pending(struct master *m)
{
	struct timespec t;
	int slot;

	now(&t);
	if (!m->pending || elapsed_ms(&m->load_at, &t) < 0)
		return;
	app_release(m->app);
	if (app_load(m->app, m->cfg, NULL, !retiring_left(m)) != QUIRE_OK) {
		m->load_backoff_ms = m->load_backoff_ms ? m->load_backoff_ms * 2 : 100;
		if (m->load_backoff_ms > LOAD_RETRY_MAX_MS)
			m->load_backoff_ms = LOAD_RETRY_MAX_MS;
		m->load_at = t;
		m->load_at.tv_nsec += m->load_backoff_ms * 1000000L;
		m->load_at.tv_sec += m->load_at.tv_nsec / 1000000000L;
		m->load_at.tv_nsec %= 1000000000L;
		return;
	}
	m->pending = 0;
	log_msg(LOG_LEVEL_INFO, "upgrade", "site loaded; starting workers=%d",
		m->cfg->workers);
	for (slot = 0; slot < m->n_slots; slot++)
		spawn(m, slot);
	signal_all(m, SIGTERM, 1);
}

/* Takes over the workers a previous image left running, to retire them
 * once the new ones are forked. */
static void adopt(struct master *m)
{
	size_t i, n = 0;
	pid_t pid;
	int st;

	for (i = 0; i < m->opts->n_inherited && m->n_procs < MASTER_MAX_PROCS; i++) {
		pid = m->opts->inherited[i];
		/* Only our own children, still running: a PID from the
		 * environment is never signalled on trust. */
		if (waitpid(pid, &st, WNOHANG) != 0)
			continue;
		m->procs[m->n_procs].pid = pid;
		m->procs[m->n_procs].slot = -1;
		now(&m->procs[m->n_procs].started);
		m->n_procs++;
		n++;
	}
	if (m->opts->n_inherited)
		log_msg(LOG_LEVEL_INFO, "upgrade", "retiring workers=%zu of the "
			"previous binary", n);
}

static void stop(struct master *m)
{
	struct timespec start, t;
	sigset_t set;
	struct timespec tick = { 0, 100 * 1000000L };

	signal_all(m, SIGTERM, 0);
	now(&start);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	while (m->n_procs > 0) {
		reap(m, 1);
		if (m->n_procs == 0)
			break;
		now(&t);
		if (elapsed_ms(&start, &t) > STOP_GRACE_SECONDS * 1000.0) {
			log_msg(LOG_LEVEL_WARN, "stop", "workers=%zu still running; killing",
				m->n_procs);
			signal_all(m, SIGKILL, 0);
		}
		sigtimedwait(&set, NULL, &tick);
	}
}

int master_run(const struct config *cfg, struct app *app,
	       const struct listeners *l, const struct master_opts *opts)
{
	struct master *m;
	sigset_t set;
	struct timespec tick = { 0, 200 * 1000000L };
	int sig, slot, rc = 0;

	m = calloc(1, sizeof(*m));
	if (!m)
		return 1;
	m->cfg = cfg;
	m->opts = opts;
	m->app = app;
	m->listen = *l;
	m->committer_fd = -1;
	m->n_slots = cfg->workers;
	/* The write API needs a database; with neither there is nothing
	 * to commit and no committer. A token file that gives no token
	 * yet still gets one: a reload may bring tokens. */
	if (cfg->api_token_file && *cfg->api_token_file &&
	    cfg->database_url && *cfg->database_url) {
		m->committer_fd = committer_listen();
		if (m->committer_fd < 0)
			log_msg(LOG_LEVEL_ERROR, "committer", "no socket (%s); workers "
				"commit their own writes", strerror(errno));
		else
			m->n_slots++;
	}
	m->due = calloc((size_t)m->n_slots, sizeof(*m->due));
	m->backoff_ms = calloc((size_t)m->n_slots, sizeof(*m->backoff_ms));
	m->running = calloc((size_t)m->n_slots, sizeof(*m->running));
	if (!m->due || !m->backoff_ms || !m->running) {
		rc = 1;
		goto out;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR2);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0) {
		rc = 1;
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	log_msg(LOG_LEVEL_INFO, "master_start", "workers=%d uid=%lu gid=%lu",
		cfg->workers, (unsigned long)getuid(), (unsigned long)getgid());
	adopt(m);
	m->pending = opts->pending;
	if (m->pending) {
		log_msg(LOG_LEVEL_WARN, "upgrade", "no tier gives the site: waiting "
			"for one; the previous image's processes serve meanwhile");
		now(&m->load_at);
	} else {
		for (slot = 0; slot < m->n_slots; slot++)
			spawn(m, slot);
		signal_all(m, SIGTERM, 1);
	}

	for (;;) {
		sig = sigtimedwait(&set, NULL, &tick);
		if (sig == SIGTERM || sig == SIGINT) {
			log_msg(LOG_LEVEL_INFO, "stop", "signal=%d; stopping workers", sig);
			stop(m);
			break;
		}
		if (sig == SIGHUP)
			reload(m);
		if (sig == SIGUSR2)
			upgrade(m);
		reap(m, 0);
		load_pending(m);
		restart_due(m);
	}
	log_msg(LOG_LEVEL_INFO, "master_stop", "stopped");
out:
	if (m->committer_fd >= 0)
		close(m->committer_fd);
	free(m->due);
	free(m->backoff_ms);
	free(m->running);
	free(m);
	return rc;
}
