/*
 * upgrade.c - SIGUSR2: the master executes its binary again, in place
 *
 * The path executed is argv[0] resolved once at start, not
 * /proc/self/exe: after "cp new tmp && mv tmp quire.fcgi" the link
 * /proc/self/exe names the old, unlinked inode, and executing it would
 * start the old code again.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/quire.h"
#include "lib/site_clock.h"
#include "serve/upgrade.h"

#define PREFLIGHT_SECONDS 5

static enum quire_err join_path(const char *dir, size_t dirlen,
				const char *name, char *out, size_t outsz)
{
	int n = snprintf(out, outsz, "%.*s%s%s", (int)dirlen, dir,
			 dirlen && dir[dirlen - 1] != '/' ? "/" : "", name);

	return n < 0 || (size_t)n >= outsz ? QUIRE_ETOOBIG : QUIRE_OK;
}

enum quire_err upgrade_exe_path(const char *argv0, char *out, size_t outsz)
{
	char cwd[PATH_MAX];
	const char *path, *p, *colon;
	size_t len;

	if (!argv0 || !*argv0)
		return QUIRE_ENOTFOUND;
	if (argv0[0] == '/')
		return join_path("", 0, argv0, out, outsz);
	if (strchr(argv0, '/')) {
		if (!getcwd(cwd, sizeof(cwd)))
			return QUIRE_ENOTFOUND;
		return join_path(cwd, strlen(cwd), argv0, out, outsz);
	}
	path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; ; p = colon + 1) {
		colon = strchr(p, ':');
		len = colon ? (size_t)(colon - p) : strlen(p);
		/* An empty entry is the current directory (execvp(3)). */
		if (len == 0) {
			if (getcwd(cwd, sizeof(cwd)) &&
			    join_path(cwd, strlen(cwd), argv0, out, outsz) == QUIRE_OK &&
			    access(out, X_OK) == 0)
				return QUIRE_OK;
		} else if (p[0] == '/' &&
			   join_path(p, len, argv0, out, outsz) == QUIRE_OK &&
			   access(out, X_OK) == 0) {
			return QUIRE_OK;
		}
		if (!colon)
			break;
	}
	return QUIRE_ENOTFOUND;
}

enum quire_err upgrade_parse_fd(const char *s, int *fd)
{
	char *end;
	long n;

	if (!s || *s < '0' || *s > '9')
		return QUIRE_EINVAL;
	errno = 0;
	n = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || n < 0 || n > 65535)
		return QUIRE_EINVAL;
	*fd = (int)n;
	return QUIRE_OK;
}

enum quire_err upgrade_parse_pids(const char *s, pid_t *pids, size_t max,
				  size_t *n)
{
	char *end;
	long v;

	*n = 0;
	if (!s || !*s)
		return QUIRE_OK;
	for (;;) {
		if (*s < '0' || *s > '9')
			return QUIRE_EINVAL;
		errno = 0;
		v = strtol(s, &end, 10);
		if (errno != 0 || v <= 0 || v > INT_MAX)
			return QUIRE_EINVAL;
		if (*n >= max)
			return QUIRE_ETOOBIG;
		pids[(*n)++] = (pid_t)v;
		if (*end == '\0')
			return QUIRE_OK;
		if (*end != ',')
			return QUIRE_EINVAL;
		s = end + 1;
	}
}

enum quire_err upgrade_format_pids(const pid_t *pids, size_t n, char *out,
				   size_t outsz)
{
	size_t i, len = 0;
	int w;

	if (outsz == 0)
		return QUIRE_ETOOBIG;
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		w = snprintf(out + len, outsz - len, "%s%ld", i ? "," : "",
			     (long)pids[i]);
		if (w < 0 || (size_t)w >= outsz - len)
			return QUIRE_ETOOBIG;
		len += (size_t)w;
	}
	return QUIRE_OK;
}

/* The listening socket whose number the variable name holds: *fd, or
 * -1 when unset. QUIRE_EINVAL when set to anything else. */
static enum quire_err take_fd(const char *name, int *fd)
{
	const char *v = getenv(name);
	int listening = 0;
	socklen_t len = sizeof(listening);

	*fd = -1;
	if (!v)
		return QUIRE_OK;
	/* Only a listening socket: anything else is not ours to accept on. */
	if (upgrade_parse_fd(v, fd) != QUIRE_OK ||
	    getsockopt(*fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 ||
	    !listening) {
		*fd = -1;
		return QUIRE_EINVAL;
	}
	return QUIRE_OK;
}

enum quire_err upgrade_take(int *fd, int *api_fd, pid_t *pids, size_t max,
			    size_t *n)
{
	const char *vw = getenv(UPGRADE_ENV_WORKERS);
	enum quire_err rc;

	*n = 0;
	*api_fd = -1;
	rc = take_fd(UPGRADE_ENV_FD, fd);
	if (rc == QUIRE_OK && *fd >= 0)
		rc = take_fd(UPGRADE_ENV_API_FD, api_fd);
	/* Workers without the socket they served: not an upgrade. */
	if (rc == QUIRE_OK && vw && *fd >= 0)
		rc = upgrade_parse_pids(vw, pids, max, n);
	if (rc == QUIRE_ETOOBIG)
		rc = QUIRE_OK; /* the rest are reaped, not retired */
	/* Not for the workers, nor for a later image to take again. */
	unsetenv(UPGRADE_ENV_FD);
	unsetenv(UPGRADE_ENV_API_FD);
	unsetenv(UPGRADE_ENV_WORKERS);
	if (rc != QUIRE_OK) {
		*fd = -1;
		*api_fd = -1;
		*n = 0;
	}
	return rc;
}

enum quire_err upgrade_preflight(const char *exe, char *err, size_t errsz)
{
	struct timespec tick = { 0, 20 * 1000000L };
	char *const argv[] = { (char *)exe, (char *)"--version", NULL };
	pid_t pid, got;
	int st, i, null;

	pid = fork();
	if (pid < 0) {
		snprintf(err, errsz, "fork failed: %s", strerror(errno));
		return QUIRE_EIO;
	}
	if (pid == 0) {
		/* fd 0 may be the listening socket (spawn-fcgi): not for it. */
		null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
		}
		execv(exe, argv);
		_exit(127);
	}
	for (i = 0; i < PREFLIGHT_SECONDS * 50; i++) {
		got = waitpid(pid, &st, WNOHANG);
		if (got == pid)
			break;
		if (got < 0 && errno != EINTR) {
			snprintf(err, errsz, "waitpid failed: %s", strerror(errno));
			return QUIRE_EIO;
		}
		nanosleep(&tick, NULL);
	}
	if (i == PREFLIGHT_SECONDS * 50) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		snprintf(err, errsz, "\"%s --version\" still running after %d s",
			 exe, PREFLIGHT_SECONDS);
		return QUIRE_EIO;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		snprintf(err, errsz, "\"%s --version\" failed: status=%d signal=%d",
			 exe, WIFEXITED(st) ? WEXITSTATUS(st) : -1,
			 WIFSIGNALED(st) ? WTERMSIG(st) : 0);
		return QUIRE_EIO;
	}
	return QUIRE_OK;
}

/* Clears close-on-exec of fd and names it in the variable; the flags
 * before in *flags (-1: nothing changed). */
static int hand_over(int fd, const char *name, int *flags)
{
	char num[16];

	*flags = -1;
	snprintf(num, sizeof(num), "%d", fd);
	if ((*flags = fcntl(fd, F_GETFD)) < 0)
		return -1;
	if (fcntl(fd, F_SETFD, *flags & ~FD_CLOEXEC) < 0) {
		*flags = -1;
		return -1;
	}
	return setenv(name, num, 1);
}

enum quire_err upgrade_exec(const char *exe, char *const argv[], int listen_fd,
			    int api_fd, const pid_t *workers, size_t n,
			    char *err, size_t errsz)
{
	char list[UPGRADE_MAX_PIDS * 12];
	int flags, api_flags = -1;
	enum quire_err rc;

	rc = upgrade_format_pids(workers, n, list, sizeof(list));
	if (rc != QUIRE_OK) {
		snprintf(err, errsz, "too many workers to hand over");
		return rc;
	}
	if (hand_over(listen_fd, UPGRADE_ENV_FD, &flags) < 0 ||
	    (api_fd >= 0 && hand_over(api_fd, UPGRADE_ENV_API_FD, &api_flags) < 0) ||
	    setenv(UPGRADE_ENV_WORKERS, list, 1) < 0) {
		snprintf(err, errsz, "cannot hand over the socket: %s",
			 strerror(errno));
		goto undo;
	}
	/* The site's clock too: the new master's first workers may start
	 * while Redis cannot be asked (lib/site_clock.h). */
	(void)site_clock_hand_over();
	execv(exe, argv);
	snprintf(err, errsz, "execv \"%s\" failed: %s", exe, strerror(errno));
undo:
	unsetenv(SITE_CLOCK_ENV);
	unsetenv(UPGRADE_ENV_FD);
	unsetenv(UPGRADE_ENV_API_FD);
	unsetenv(UPGRADE_ENV_WORKERS);
	if (flags >= 0)
		fcntl(listen_fd, F_SETFD, flags);
	if (api_flags >= 0)
		fcntl(api_fd, F_SETFD, api_flags);
	return QUIRE_EIO;
}
