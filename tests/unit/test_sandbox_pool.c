/*
 * test_sandbox_pool.c - the render helpers' pool: answers, the CPU
 * budget a job, a helper killed mid-job replaced, helpers ended and
 * reaped on stop and when their owner exits, none seen by a child.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "lib/buf.h"
#include "lib/sandbox_pool.h"

/* The helpers' function: "spin" burns CPU for ever, "sleep" waits a
 * second of wall-clock time, "crash" dies of SIGKILL (as the OOM killer
 * would end it; a SIGSEGV is a sanitizer's report), "pid" answers its
 * PID; anything else comes back upper-cased. */
static void job(const char *in, size_t n, struct buf *out)
{
	volatile unsigned long x = 0;
	size_t i;

	if (n == 4 && memcmp(in, "spin", 4) == 0)
		for (;;)
			x++;
	if (n == 5 && memcmp(in, "sleep", 5) == 0) {
		struct timespec t = { 1, 0 };

		while (nanosleep(&t, &t) == -1 && errno == EINTR)
			;
	}
	if (n == 5 && memcmp(in, "crash", 5) == 0)
		raise(SIGKILL);
	if (n == 3 && memcmp(in, "pid", 3) == 0) {
		buf_printf(out, "%ld", (long)getpid());
		return;
	}
	for (i = 0; i < n; i++)
		buf_putc(out, (char)(in[i] >= 'a' && in[i] <= 'z' ? in[i] - 32 : in[i]));
}

static double children_cpu(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_CHILDREN, &ru) != 0)
		return 0;
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Whether process pid has ended (gone, or a zombie nobody reaped yet:
 * a helper whose owner is gone belongs to init then). */
static int ended(pid_t pid)
{
	char path[64], state = '?';
	FILE *f;

	if (kill(pid, 0) == -1 && errno == ESRCH)
		return 1;
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	f = fopen(path, "r");
	if (!f)
		return 1;
	if (fscanf(f, "%*d (%*[^)]) %c", &state) != 1)
		state = '?';
	fclose(f);
	return state == 'Z' || state == 'X';
}

static int wait_ended(pid_t pid, int tenths)
{
	struct timespec t = { 0, 100000000L };

	while (tenths-- > 0) {
		if (ended(pid))
			return 1;
		nanosleep(&t, NULL);
	}
	return ended(pid);
}

static long run_pid(void)
{
	struct buf r = BUF_INIT;
	long pid = -1;

	if (sandbox_pool_run(job, "pid", 3, 1, &r) == QUIRE_OK)
		pid = strtol(r.data, NULL, 10);
	buf_release(&r);
	return pid;
}

static void test_answers_and_reuse(void)
{
	struct buf r = BUF_INIT;
	unsigned long s0 = sandbox_pool_started();
	long p1, p2;
	int i;

	CHECK(sandbox_pool_run(job, "hello", 5, 1, &r) == QUIRE_OK);
	CHECK_STR(r.data, "HELLO");
	/* appended to what result holds */
	CHECK(sandbox_pool_run(job, " world", 6, 1, &r) == QUIRE_OK);
	CHECK_STR(r.data, "HELLO WORLD");
	/* an empty job and an empty answer */
	buf_reset(&r);
	CHECK(sandbox_pool_run(job, "", 0, 1, &r) == QUIRE_OK);
	CHECK(r.len == 0);
	/* one thread, one helper, however many jobs: no fork a job */
	p1 = run_pid();
	for (i = 0; i < 50; i++)
		CHECK(sandbox_pool_run(job, "x", 1, 1, &r) == QUIRE_OK);
	p2 = run_pid();
	CHECK(p1 > 0 && p1 == p2 && p1 != (long)getpid());
	CHECK(sandbox_pool_started() - s0 <= 1);
	CHECK(sandbox_pool_run(job, "x", SANDBOX_POOL_MAX_MSG + 1, 1, &r) ==
	      QUIRE_ETOOBIG);
	buf_release(&r);
}

/* A job past its CPU budget is stopped within it (the helper's CPU
 * time, not the wall clock: a busy machine stretches that), the caller
 * gets QUIRE_ETIMEOUT, and the next job gets a new helper. */
static void test_budget(void)
{
	struct buf r = BUF_INIT;
	long before = run_pid(), after;
	unsigned long s0 = sandbox_pool_started();
	double cpu0 = children_cpu();

	CHECK(sandbox_pool_run(job, "spin", 4, 1, &r) == QUIRE_ETIMEOUT);
	CHECK(r.len == 0);
	CHECK(children_cpu() - cpu0 < 2.0);
	CHECK(ended((pid_t)before));
	after = run_pid();
	CHECK(after > 0 && after != before);
	CHECK(sandbox_pool_started() == s0 + 1);
	buf_release(&r);
}

/* A helper that crashes is replaced, and its job tried once more (here
 * it crashes again: QUIRE_EIO); the pool goes on. */
static void test_crash(void)
{
	struct buf r = BUF_INIT;
	unsigned long s0 = sandbox_pool_started();

	CHECK(sandbox_pool_run(job, "crash", 5, 1, &r) == QUIRE_EIO);
	CHECK(sandbox_pool_run(job, "ok", 2, 1, &r) == QUIRE_OK);
	CHECK_STR(r.data, "OK");
	CHECK(sandbox_pool_started() == s0 + 2);
	buf_release(&r);
}

struct killer {
	pid_t victim;
};

static void *kill_soon(void *arg)
{
	struct killer *k = arg;
	struct timespec t = { 0, 300000000L };

	nanosleep(&t, NULL);
	kill(k->victim, SIGKILL);
	return NULL;
}

/* A helper killed from outside in the middle of a job: the job runs
 * again on a new helper and answers. */
static void test_killed_mid_job(void)
{
	struct buf r = BUF_INIT;
	struct killer k;
	pthread_t th;
	long victim = run_pid();

	CHECK(victim > 0);
	k.victim = (pid_t)victim;
	CHECK(pthread_create(&th, NULL, kill_soon, &k) == 0);
	CHECK(sandbox_pool_run(job, "sleep", 5, 2, &r) == QUIRE_OK);
	CHECK_STR(r.data, "SLEEP");
	pthread_join(th, NULL);
	CHECK(ended(k.victim));
	CHECK(run_pid() != victim);
	buf_release(&r);
}

struct many {
	int id;
	int bad;
};

static void *many_jobs(void *arg)
{
	struct many *m = arg;
	struct buf r = BUF_INIT;
	char in[32], want[32];
	int i, n;

	for (i = 0; i < 200; i++) {
		buf_reset(&r);
		n = snprintf(in, sizeof(in), "job %d of %d", i, m->id);
		snprintf(want, sizeof(want), "JOB %d OF %d", i, m->id);
		if (sandbox_pool_run(job, in, (size_t)n, 1, &r) != QUIRE_OK ||
		    strcmp(r.data, want) != 0)
			m->bad++;
	}
	buf_release(&r);
	return NULL;
}

/* Threads beyond the pool's size wait for a helper; every answer is
 * its own job's. */
static void test_threads(void)
{
	enum { T = SANDBOX_POOL_MAX + 2 };
	struct many m[T];
	pthread_t th[T];
	int i;

	for (i = 0; i < T; i++) {
		m[i].id = i;
		m[i].bad = 0;
		CHECK(pthread_create(&th[i], NULL, many_jobs, &m[i]) == 0);
	}
	for (i = 0; i < T; i++) {
		pthread_join(th[i], NULL);
		CHECK(m[i].bad == 0);
	}
	CHECK(sandbox_pool_pids(NULL, 0) <= SANDBOX_POOL_MAX);
}

/* Helpers started before the threads serve them all: no job forks
 * while one of the function's helpers runs (a fork amid threads is not
 * safe under the sanitizers' allocator), even one whose helper died;
 * with every helper gone the next job starts one. */
static void test_prestart(void)
{
	enum { T = SANDBOX_POOL_MAX + 2 };
	struct many m[T];
	pthread_t th[T];
	pid_t pids[SANDBOX_POOL_MAX];
	struct buf r = BUF_INIT;
	unsigned long s0;
	size_t n, i;

	sandbox_pool_stop();
	CHECK(sandbox_pool_pids(NULL, 0) == 0);
	CHECK(sandbox_pool_prestart(job, 2) == 2);
	CHECK(sandbox_pool_pids(NULL, 0) == 2);
	CHECK(sandbox_pool_prestart(job, 2) == 2); /* none more */
	CHECK(sandbox_pool_pids(NULL, 0) == 2);
	s0 = sandbox_pool_started();
	for (i = 0; i < T; i++) {
		m[i].id = (int)i;
		m[i].bad = 0;
		CHECK(pthread_create(&th[i], NULL, many_jobs, &m[i]) == 0);
	}
	for (i = 0; i < T; i++) {
		pthread_join(th[i], NULL);
		CHECK(m[i].bad == 0);
	}
	CHECK(sandbox_pool_started() == s0);
	/* one overruns and dies: the other takes the next jobs */
	CHECK(sandbox_pool_run(job, "spin", 4, 1, &r) == QUIRE_ETIMEOUT);
	CHECK(sandbox_pool_run(job, "ok", 2, 1, &r) == QUIRE_OK);
	CHECK(sandbox_pool_started() == s0);
	CHECK(sandbox_pool_pids(NULL, 0) == 1);
	/* the last one gone too: a job starts one again */
	n = sandbox_pool_pids(pids, SANDBOX_POOL_MAX);
	for (i = 0; i < n; i++)
		kill(pids[i], SIGKILL);
	buf_reset(&r);
	CHECK(sandbox_pool_run(job, "ok", 2, 1, &r) == QUIRE_OK);
	CHECK_STR(r.data, "OK");
	CHECK(sandbox_pool_started() == s0 + 1);
	buf_release(&r);
}

/* A process forked from the owner sees no helper (it would share their
 * sockets), starts its own, and its exit leaves the owner's alone. */
static void test_fork_forgets(void)
{
	pid_t pids[SANDBOX_POOL_MAX], child;
	size_t n = sandbox_pool_pids(pids, SANDBOX_POOL_MAX), i;
	int st = -1;

	CHECK(n > 0);
	child = fork();
	if (child == 0) {
		struct buf r = BUF_INIT;

		if (sandbox_pool_pids(NULL, 0) != 0)
			_exit(1);
		/* only the helpers' sockets are closed: never another fd
		 * (fd 0 is a FastCGI worker's listening socket) */
		if (fcntl(0, F_GETFD) == -1 || fcntl(1, F_GETFD) == -1 ||
		    fcntl(2, F_GETFD) == -1)
			_exit(4);
		if (sandbox_pool_run(job, "a", 1, 1, &r) != QUIRE_OK ||
		    strcmp(r.data, "A") != 0)
			_exit(2);
		sandbox_pool_stop();
		_exit(sandbox_pool_pids(NULL, 0) == 0 ? 0 : 3);
	}
	CHECK(child > 0);
	waitpid(child, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	for (i = 0; i < n; i++)
		CHECK(!ended(pids[i]));
	CHECK(sandbox_pool_pids(NULL, 0) == n);
}

/* A fork closes the helpers' sockets in the child and nothing else,
 * whichever slots were ever used (here one of SANDBOX_POOL_MAX): a
 * worker forked by quire's master lost its FastCGI socket, fd 0, when
 * unused slots were taken for fd 0. */
static void test_fork_keeps_fds(void)
{
	pid_t child;
	int st = -1;

	CHECK(run_pid() > 0);
	child = fork();
	if (child == 0)
		_exit(fcntl(0, F_GETFD) == -1 || fcntl(1, F_GETFD) == -1 ||
		      fcntl(2, F_GETFD) == -1 ? 1 : 0);
	CHECK(child > 0);
	waitpid(child, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* sandbox_pool_stop ends and reaps every idle helper. */
static void test_stop(void)
{
	pid_t pids[SANDBOX_POOL_MAX];
	size_t n, i;

	CHECK(run_pid() > 0);
	n = sandbox_pool_pids(pids, SANDBOX_POOL_MAX);
	CHECK(n > 0);
	sandbox_pool_stop();
	CHECK(sandbox_pool_pids(NULL, 0) == 0);
	for (i = 0; i < n; i++) {
		CHECK(ended(pids[i]));
		/* reaped by the pool: not a child of this process any more */
		CHECK(waitpid(pids[i], NULL, WNOHANG) == -1 && errno == ECHILD);
	}
	/* and the next job starts a new one */
	CHECK(run_pid() > 0);
}

/* An owner that ends without stopping them (_exit, a crash, SIGKILL):
 * its helpers read end of file and end too; no process is left. */
static void test_owner_exit(void)
{
	int fds[2], st;
	long helper = -1;
	pid_t owner;

	CHECK(pipe(fds) == 0);
	owner = fork();
	if (owner == 0) {
		long p;

		close(fds[0]);
		p = run_pid();
		if (write(fds[1], &p, sizeof(p)) != (ssize_t)sizeof(p))
			_exit(1);
		/* as a worker killed with SIGKILL would: no atexit */
		raise(SIGKILL);
		_exit(2);
	}
	close(fds[1]);
	CHECK(read(fds[0], &helper, sizeof(helper)) == (ssize_t)sizeof(helper));
	close(fds[0]);
	waitpid(owner, &st, 0);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	CHECK(helper > 0);
	if (helper > 0)
		CHECK(wait_ended((pid_t)helper, 50));
}

int main(void)
{
	/* fd 0 open whatever make check gives: test_fork_forgets checks
	 * that a fork leaves it alone */
	if (fcntl(0, F_GETFD) == -1 && open("/dev/null", O_RDONLY) != 0)
		return 99;
	test_fork_keeps_fds();
	test_answers_and_reuse();
	test_budget();
	test_crash();
	test_killed_mid_job();
	test_threads();
	test_prestart();
	test_fork_forgets();
	test_stop();
	test_owner_exit();
	return check_done("test_sandbox_pool");
}
