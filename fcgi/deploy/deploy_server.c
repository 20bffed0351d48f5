/*
 * deploy_server.c - deploys asked on a unix socket
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deploy/deploy_client.h"
#include "deploy/deploy_server.h"
#include "lib/log.h"
#include "lib/quire.h"

/* How long a client may take to send its request once connected. */
#define REQUEST_TIMEOUT_S 5

static volatile sig_atomic_t stopping;

static void on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

/* Listens on path: QUIRE_OK, else reported. */
static enum quire_err listen_on(const char *path, int *out)
{
	struct sockaddr_un sa;
	mode_t old;
	int fd, rc;

	*out = -1;
	if (deploy_client_socket_addr(path, &sa) != 0) {
		log_report("socket path too long: %s", path);
		return QUIRE_EINVAL;
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_report("socket: %s", strerror(errno));
		return QUIRE_EIO;
	}
	/* A socket left by a server that died is taken over; one that
	 * answers is another server's. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		log_report("a deploy server already answers on %s", path);
		close(fd);
		return QUIRE_EINVAL;
	}
	close(fd);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return QUIRE_EIO;
	if (unlink(path) == -1 && errno != ENOENT) {
		log_report("cannot replace %s: %s", path, strerror(errno));
		close(fd);
		return QUIRE_EIO;
	}
	old = umask(077); /* the socket is this user's alone */
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc == -1 || listen(fd, 16) == -1) {
		log_report("cannot listen on %s: %s", path, strerror(errno));
		close(fd);
		return QUIRE_EIO;
	}
	*out = fd;
	return QUIRE_OK;
}

/* Reads the request and the two descriptors passed with it; fds are -1
 * when none came. The request's length, or -1. */
static ssize_t read_request(int conn, char *buf, size_t len, int fds[2])
{
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(2 * sizeof(int))];
	} ctl;
	struct iovec iov = { buf, len - 1 };
	struct msghdr m;
	struct cmsghdr *c;
	size_t n, i;
	ssize_t got;

	fds[0] = fds[1] = -1;
	memset(&m, 0, sizeof(m));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = ctl.space;
	m.msg_controllen = sizeof(ctl.space);
	do
		got = recvmsg(conn, &m, MSG_CMSG_CLOEXEC);
	while (got == -1 && errno == EINTR && !stopping);
	for (c = got >= 0 ? CMSG_FIRSTHDR(&m) : NULL; c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (i < 2 && fds[i] == -1)
				fds[i] = fd;
			else
				close(fd);
		}
	}
	if (got <= 0 || (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
		return -1;
	buf[got] = '\0';
	return got;
}

static void reply(int conn, int code)
{
	char text[16];
	int n = snprintf(text, sizeof(text), "%d", code);

	if (send(conn, text, (size_t)n, MSG_NOSIGNAL) == -1)
		log_msg(LOG_LEVEL_WARN, "deploy", "client gone before the answer "
			"(%d): %s", code, strerror(errno));
}

/* Whether the peer is this server's user (or root). */
static int peer_allowed(int conn)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1)
		return 0;
	return cred.uid == geteuid() || cred.uid == 0;
}

/* Runs one deploy with stdout and stderr on the client's. */
static int deploy_on(struct deployer *d, double timeout_ms, int strict,
		     const int fds[2])
{
	enum log_level was = log_level();
	int saved_out, saved_err, rc;

	/* The client sees what quirectl deploy would print (warnings and
	 * up, unless debug was asked); the server's info lines are its own. */
	if (was == LOG_LEVEL_INFO)
		log_set_level(LOG_LEVEL_WARN);
	fflush(stdout);
	fflush(stderr);
	saved_out = dup(STDOUT_FILENO);
	saved_err = dup(STDERR_FILENO);
	if (saved_out == -1 || saved_err == -1 ||
	    dup2(fds[0], STDOUT_FILENO) == -1 || dup2(fds[1], STDERR_FILENO) == -1) {
		log_msg(LOG_LEVEL_ERROR, "deploy", "cannot take the client's "
			"output: %s", strerror(errno));
		rc = DEPLOY_EXIT_TIER;
	} else {
		rc = deployer_run(d, timeout_ms, strict);
	}
	fflush(stdout);
	fflush(stderr);
	if (saved_out != -1) {
		dup2(saved_out, STDOUT_FILENO);
		close(saved_out);
	}
	if (saved_err != -1) {
		dup2(saved_err, STDERR_FILENO);
		close(saved_err);
	}
	log_set_level(was);
	return rc;
}

/* Answers one client. */
static void serve_one(struct deployer *d, int conn)
{
	struct timeval tv = { REQUEST_TIMEOUT_S, 0 };
	char req[DEPLOY_PROTO_MAX], *end, *dir, *arg;
	double timeout_ms, t0;
	int fds[2], rc, strict;

	(void)setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (read_request(conn, req, sizeof(req), fds) < 0 || fds[0] == -1 ||
	    fds[1] == -1 || (strncmp(req, "deploy ", 7) != 0 &&
			     strncmp(req, "deploy-strict ", 14) != 0)) {
		log_msg(LOG_LEVEL_WARN, "deploy", "malformed request ignored");
		reply(conn, DEPLOY_EXIT_USAGE);
		goto out;
	}
	if (!peer_allowed(conn)) {
		log_msg(LOG_LEVEL_WARN, "deploy", "request of another user refused");
		reply(conn, DEPLOY_EXIT_USAGE);
		goto out;
	}
	strict = req[6] == '-';
	arg = req + (strict ? 14 : 7);
	timeout_ms = strtod(arg, &end);
	if (end == arg || *end != ' ' || !(timeout_ms > 0) ||
	    timeout_ms > 3600 * 1000.0) {
		reply(conn, DEPLOY_EXIT_USAGE);
		goto out;
	}
	dir = end + 1;
	if (strcmp(dir, deployer_dir(d)) != 0) {
		reply(conn, DEPLOY_PROTO_NOT_MINE);
		goto out;
	}
	t0 = quire_now_ms();
	rc = deploy_on(d, timeout_ms, strict, fds);
	close(fds[0]);
	close(fds[1]);
	fds[0] = fds[1] = -1;
	reply(conn, rc);
	log_msg(LOG_LEVEL_INFO, "deploy", "answered: exit %d in %.1f ms", rc,
		quire_now_ms() - t0);
	/* the client has its answer: the after-work is off its path */
	deployer_after(d);
out:
	if (fds[0] != -1)
		close(fds[0]);
	if (fds[1] != -1)
		close(fds[1]);
}

enum quire_err deploy_server_run(struct deployer *d, const char *socket_path)
{
	struct sigaction sa;
	sigset_t stops;
	int fd, conn;
	enum quire_err rc;

	rc = listen_on(socket_path, &fd);
	if (rc != QUIRE_OK)
		return rc;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop; /* no SA_RESTART: accept() returns */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&stops);
	sigaddset(&stops, SIGTERM);
	sigaddset(&stops, SIGINT);
	log_msg(LOG_LEVEL_INFO, "deploy", "deploying \"%s\" when asked on %s",
		deployer_dir(d), socket_path);
	while (!stopping) {
		conn = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
		if (conn == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			log_msg(LOG_LEVEL_ERROR, "deploy", "accept: %s", strerror(errno));
			sleep(1); /* out of descriptors, say: not a busy loop */
			continue;
		}
		/* A stop asked during a deploy waits for its end: no system
		 * call of the tiers' libraries is cut short. */
		sigprocmask(SIG_BLOCK, &stops, NULL);
		serve_one(d, conn);
		close(conn);
		sigprocmask(SIG_UNBLOCK, &stops, NULL);
	}
	close(fd);
	unlink(socket_path);
	log_msg(LOG_LEVEL_INFO, "deploy", "stopped");
	return QUIRE_OK;
}
