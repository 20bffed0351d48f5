/*
 * test_upgrade.c - what one image of the master hands the next
 */
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/quire.h"
#include "serve/upgrade.h"
#include "check.h"

static void test_parse_fd(void)
{
	int fd = -1;

	CHECK(upgrade_parse_fd("0", &fd) == QUIRE_OK && fd == 0);
	CHECK(upgrade_parse_fd("17", &fd) == QUIRE_OK && fd == 17);
	CHECK(upgrade_parse_fd("", &fd) == QUIRE_EINVAL);
	CHECK(upgrade_parse_fd("-1", &fd) == QUIRE_EINVAL);
	CHECK(upgrade_parse_fd(" 3", &fd) == QUIRE_EINVAL);
	CHECK(upgrade_parse_fd("3x", &fd) == QUIRE_EINVAL);
	CHECK(upgrade_parse_fd("99999999999", &fd) == QUIRE_EINVAL);
	CHECK(upgrade_parse_fd(NULL, &fd) == QUIRE_EINVAL);
}

static void test_pids(void)
{
	pid_t p[4], many[3] = { 1, 22, 333 };
	char out[32];
	size_t n = 99;

	CHECK(upgrade_parse_pids("", p, 4, &n) == QUIRE_OK && n == 0);
	CHECK(upgrade_parse_pids("12", p, 4, &n) == QUIRE_OK && n == 1 && p[0] == 12);
	CHECK(upgrade_parse_pids("12,34", p, 4, &n) == QUIRE_OK && n == 2 &&
	      p[0] == 12 && p[1] == 34);
	CHECK(upgrade_parse_pids("12,,34", p, 4, &n) == QUIRE_EINVAL);
	CHECK(upgrade_parse_pids("12,", p, 4, &n) == QUIRE_EINVAL);
	CHECK(upgrade_parse_pids(",12", p, 4, &n) == QUIRE_EINVAL);
	CHECK(upgrade_parse_pids("0", p, 4, &n) == QUIRE_EINVAL);
	CHECK(upgrade_parse_pids("-5", p, 4, &n) == QUIRE_EINVAL);
	CHECK(upgrade_parse_pids("1 2", p, 4, &n) == QUIRE_EINVAL);
	CHECK(upgrade_parse_pids("99999999999", p, 4, &n) == QUIRE_EINVAL);
	CHECK(upgrade_parse_pids("1,2,3,4,5", p, 4, &n) == QUIRE_ETOOBIG && n == 4);

	CHECK(upgrade_format_pids(many, 3, out, sizeof(out)) == QUIRE_OK);
	CHECK_STR(out, "1,22,333");
	CHECK(upgrade_parse_pids(out, p, 4, &n) == QUIRE_OK && n == 3 && p[2] == 333);
	CHECK(upgrade_format_pids(many, 0, out, sizeof(out)) == QUIRE_OK);
	CHECK_STR(out, "");
	CHECK(upgrade_format_pids(many, 3, out, 8) == QUIRE_ETOOBIG);
}

static void test_exe_path(void)
{
	char out[PATH_MAX], cwd[PATH_MAX], want[PATH_MAX + 16];
	char *old = getenv("PATH") ? strdup(getenv("PATH")) : NULL;

	CHECK(upgrade_exe_path("/usr/sbin/quire.fcgi", out, sizeof(out)) == QUIRE_OK);
	CHECK_STR(out, "/usr/sbin/quire.fcgi");
	/* Relative: against the directory it was started in, links kept. */
	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	snprintf(want, sizeof(want), "%s/fcgi/quire.fcgi", cwd);
	CHECK(upgrade_exe_path("fcgi/quire.fcgi", out, sizeof(out)) == QUIRE_OK);
	CHECK_STR(out, want);
	/* A bare name: the first match in PATH, like execvp. */
	setenv("PATH", "/nonexistent-q9:/bin:/usr/bin", 1);
	CHECK(upgrade_exe_path("sh", out, sizeof(out)) == QUIRE_OK);
	CHECK_STR(out, "/bin/sh");
	CHECK(upgrade_exe_path("no-such-binary-q9", out, sizeof(out)) ==
	      QUIRE_ENOTFOUND);
	if (old)
		setenv("PATH", old, 1);
	free(old);
	CHECK(upgrade_exe_path("", out, sizeof(out)) == QUIRE_ENOTFOUND);
	CHECK(upgrade_exe_path("/usr/sbin/quire.fcgi", out, 8) == QUIRE_ETOOBIG);
}

static int listening_socket(void)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 1) < 0)
		return -1;
	return fd;
}

static void test_take(void)
{
	pid_t p[4];
	size_t n = 9;
	char num[16];
	int fd = 99, afd = 99, lfd, alfd, pfd[2];

	unsetenv(UPGRADE_ENV_FD);
	unsetenv(UPGRADE_ENV_WORKERS);
	CHECK(upgrade_take(&fd, &afd, p, 4, &n) == QUIRE_OK && fd == -1 && n == 0);
	/* Workers without a socket: no upgrade, nothing to retire. */
	setenv(UPGRADE_ENV_WORKERS, "101,102", 1);
	CHECK(upgrade_take(&fd, &afd, p, 4, &n) == QUIRE_OK && fd == -1 && n == 0);
	CHECK(getenv(UPGRADE_ENV_WORKERS) == NULL);

	lfd = listening_socket();
	CHECK(lfd >= 0);
	snprintf(num, sizeof(num), "%d", lfd);
	setenv(UPGRADE_ENV_FD, num, 1);
	setenv(UPGRADE_ENV_WORKERS, "101,102", 1);
	CHECK(upgrade_take(&fd, &afd, p, 4, &n) == QUIRE_OK && fd == lfd && n == 2 &&
	      p[1] == 102 && afd == -1);
	/* Taken: gone from the environment the workers inherit. */
	CHECK(getenv(UPGRADE_ENV_FD) == NULL);
	CHECK(getenv(UPGRADE_ENV_WORKERS) == NULL);

	/* The API's socket with it; alone, it is no upgrade. */
	alfd = listening_socket();
	CHECK(alfd >= 0);
	snprintf(num, sizeof(num), "%d", alfd);
	setenv(UPGRADE_ENV_API_FD, num, 1);
	CHECK(upgrade_take(&fd, &afd, p, 4, &n) == QUIRE_OK && fd == -1 && afd == -1);
	CHECK(getenv(UPGRADE_ENV_API_FD) == NULL);
	setenv(UPGRADE_ENV_API_FD, num, 1);
	snprintf(num, sizeof(num), "%d", lfd);
	setenv(UPGRADE_ENV_FD, num, 1);
	CHECK(upgrade_take(&fd, &afd, p, 4, &n) == QUIRE_OK && fd == lfd && afd == alfd);
	CHECK(getenv(UPGRADE_ENV_API_FD) == NULL);

	/* Not a listening socket: refused. */
	CHECK(pipe(pfd) == 0);
	snprintf(num, sizeof(num), "%d", lfd);
	setenv(UPGRADE_ENV_FD, num, 1);
	snprintf(num, sizeof(num), "%d", pfd[0]);
	setenv(UPGRADE_ENV_API_FD, num, 1);
	CHECK(upgrade_take(&fd, &afd, p, 4, &n) == QUIRE_EINVAL && fd == -1 && afd == -1);
	CHECK(getenv(UPGRADE_ENV_API_FD) == NULL);
	snprintf(num, sizeof(num), "%d", pfd[0]);
	setenv(UPGRADE_ENV_FD, num, 1);
	CHECK(upgrade_take(&fd, &afd, p, 4, &n) == QUIRE_EINVAL && fd == -1);
	CHECK(getenv(UPGRADE_ENV_FD) == NULL);
	setenv(UPGRADE_ENV_FD, "junk", 1);
	CHECK(upgrade_take(&fd, &afd, p, 4, &n) == QUIRE_EINVAL);
	snprintf(num, sizeof(num), "%d", lfd);
	setenv(UPGRADE_ENV_FD, num, 1);
	setenv(UPGRADE_ENV_WORKERS, "1,x", 1);
	CHECK(upgrade_take(&fd, &afd, p, 4, &n) == QUIRE_EINVAL && n == 0);
	close(pfd[0]);
	close(pfd[1]);
	close(lfd);
	close(alfd);
}

static void test_preflight_and_exec(void)
{
	char err[256];
	char *argv[] = { (char *)"/nonexistent-q9/quire.fcgi", NULL };
	pid_t w[1] = { 42 };
	int lfd = listening_socket(), alfd = listening_socket();

	CHECK(upgrade_preflight("/bin/true", err, sizeof(err)) == QUIRE_OK);
	CHECK(upgrade_preflight("/bin/false", err, sizeof(err)) == QUIRE_EIO);
	CHECK_CONTAINS(err, "status=1");
	CHECK(upgrade_preflight("/nonexistent-q9/quire.fcgi", err, sizeof(err)) ==
	      QUIRE_EIO);

	/* A failed execv leaves things as they were, close-on-exec too. */
	CHECK(lfd >= 0);
	CHECK(fcntl(lfd, F_SETFD, FD_CLOEXEC) == 0);
	CHECK(upgrade_exec(argv[0], argv, lfd, -1, w, 1, err, sizeof(err)) == QUIRE_EIO);
	CHECK_CONTAINS(err, "execv");
	CHECK(getenv(UPGRADE_ENV_FD) == NULL);
	CHECK(getenv(UPGRADE_ENV_WORKERS) == NULL);
	CHECK(fcntl(lfd, F_GETFD) == FD_CLOEXEC);
	/* with the API's socket */
	CHECK(alfd >= 0 && fcntl(alfd, F_SETFD, FD_CLOEXEC) == 0);
	CHECK(upgrade_exec(argv[0], argv, lfd, alfd, w, 1, err, sizeof(err)) == QUIRE_EIO);
	CHECK(getenv(UPGRADE_ENV_API_FD) == NULL);
	CHECK(fcntl(lfd, F_GETFD) == FD_CLOEXEC && fcntl(alfd, F_GETFD) == FD_CLOEXEC);
	close(lfd);
	close(alfd);
}

int main(void)
{
	test_parse_fd();
	test_pids();
	test_exe_path();
	test_take();
	test_preflight_and_exec();
	return check_done("test_upgrade");
}
