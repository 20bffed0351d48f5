/*
 * deploy_client.c - asking a deploy server for a deploy (libc only)
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "deploy/deploy_client.h"

int deploy_client_socket_addr(const char *path, struct sockaddr_un *sa)
{
	size_t len = strlen(path);

	if (len >= sizeof(sa->sun_path))
		return -1;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, path, len + 1);
	return 0;
}

/* Connects to the server at path; -1 when none listens there. */
static int connect_to(const char *path)
{
	struct sockaddr_un sa;
	int fd;

	if (deploy_client_socket_addr(path, &sa) != 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Sends the request with stdout and stderr; 0, or -1. */
static int send_request(int fd, const char *text)
{
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(2 * sizeof(int))];
	} ctl;
	int fds[2] = { STDOUT_FILENO, STDERR_FILENO };
	struct iovec iov = { (void *)text, strlen(text) };
	struct msghdr m;
	struct cmsghdr *c;
	ssize_t sent;

	memset(&m, 0, sizeof(m));
	memset(&ctl, 0, sizeof(ctl));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = ctl.space;
	m.msg_controllen = sizeof(ctl.space);
	c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(c), fds, sizeof(fds));
	do
		sent = sendmsg(fd, &m, MSG_NOSIGNAL);
	while (sent == -1 && errno == EINTR);
	return sent == (ssize_t)iov.iov_len ? 0 : -1;
}

int deploy_client_ask(const char *socket_path, const char *dir,
		      double timeout_ms, int strict)
{
	char req[DEPLOY_PROTO_MAX], reply[16], *real, *end;
	ssize_t got;
	long code;
	int fd, n;

	if (!socket_path || !*socket_path)
		return DEPLOY_CLIENT_NONE;
	real = realpath(dir, NULL);
	if (!real)
		return DEPLOY_CLIENT_NONE;
	n = snprintf(req, sizeof(req), "%s %.0f %s",
		     strict ? "deploy-strict" : "deploy", timeout_ms, real);
	free(real);
	if (n < 0 || (size_t)n >= sizeof(req))
		return DEPLOY_CLIENT_NONE;
	fd = connect_to(socket_path);
	if (fd == -1)
		return DEPLOY_CLIENT_NONE;
	/* What this process printed comes before what the server prints. */
	fflush(stdout);
	fflush(stderr);
	if (send_request(fd, req) != 0) {
		close(fd);
		return DEPLOY_CLIENT_NONE;
	}
	do
		got = recv(fd, reply, sizeof(reply) - 1, 0);
	while (got == -1 && errno == EINTR);
	close(fd);
	if (got <= 0) {
		fprintf(stderr, "quire: the deploy server at %s went away during "
			"the deploy; it may or may not have been made\n", socket_path);
		return DEPLOY_EXIT_TIER;
	}
	reply[got] = '\0';
	code = strtol(reply, &end, 10);
	if (end == reply || code < 0 || code > 255)
		return DEPLOY_EXIT_TIER;
	return code == DEPLOY_PROTO_NOT_MINE ? DEPLOY_CLIENT_NONE : (int)code;
}
