/*
 * sandbox.c - running a function in a child process under a CPU limit
 *
 * RLIMIT_CPU counts the child's own CPU time from zero (a child starts
 * with none); at the soft limit the kernel sends SIGXCPU, whose default
 * action ends the process, and at the hard limit SIGKILL. The parent
 * reads the result through a pipe, bounded by a wall-clock limit too (a
 * child that sleeps uses no CPU), and always reaps the child itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/quire.h"
#include "lib/sandbox.h"

static void child(int fd, void (*fn)(void *arg, struct buf *out), void *arg,
		  unsigned cpu_s)
{
	struct rlimit cpu = { cpu_s, cpu_s + 1 }, core = { 0, 0 };
	struct buf out = BUF_INIT;

	signal(SIGXCPU, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	if (setrlimit(RLIMIT_CORE, &core) == -1 || setrlimit(RLIMIT_CPU, &cpu) == -1)
		_exit(2);
	fn(arg, &out);
	if (buf_failed(&out))
		_exit(3);
	if (buf_write_all(&out, fd) != QUIRE_OK)
		_exit(4);
	/* _exit: no atexit handlers or stdio flushing of the parent's. */
	_exit(0);
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

enum quire_err sandbox_run(void (*fn)(void *arg, struct buf *out), void *arg,
			   unsigned cpu_s, struct buf *result)
{
	struct timespec t0;
	struct pollfd pfd;
	char chunk[65536];
	long limit_ms = 4000L * cpu_s + 1000, left;
	int fds[2], status, timed_out = 0;
	enum quire_err rc = QUIRE_OK;
	pid_t pid;
	ssize_t n;

	if (pipe2(fds, O_CLOEXEC) == -1)
		return QUIRE_EIO;
	pid = fork();
	if (pid == -1) {
		close(fds[0]);
		close(fds[1]);
		return QUIRE_EIO;
	}
	if (pid == 0) {
		close(fds[0]);
		child(fds[1], fn, arg, cpu_s);
	}
	close(fds[1]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		left = limit_ms - ms_since(&t0);
		if (left <= 0) {
			timed_out = 1;
			kill(pid, SIGKILL);
			break;
		}
		pfd.fd = fds[0];
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)left) == -1) {
			if (errno == EINTR)
				continue;
			kill(pid, SIGKILL);
			rc = QUIRE_EIO;
			break;
		}
		if (!pfd.revents)
			continue;
		n = read(fds[0], chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		buf_append(result, chunk, (size_t)n);
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (timed_out ||
	    (WIFSIGNALED(status) && (WTERMSIG(status) == SIGXCPU ||
				     WTERMSIG(status) == SIGKILL)))
		return QUIRE_ETIMEOUT;
	if (rc != QUIRE_OK || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return QUIRE_EIO;
	return buf_failed(result) ? QUIRE_ENOMEM : QUIRE_OK;
}
