/*
 * commit_client.c - a worker's connection to its host's committer
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/quire.h"
#include "write/commit_client.h"

#define COMMIT_SEND_TIMEOUT_S 10

void commit_client_init(struct commit_client *c, int listen_fd)
{
	memset(c, 0, sizeof(*c));
	c->listen_fd = listen_fd;
	c->fd = -1;
	buf_init(&c->in);
	buf_init(&c->out);
}

void commit_client_close(struct commit_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	buf_reset(&c->in);
}

int commit_client_enabled(const struct commit_client *c)
{
	return c->listen_fd >= 0;
}

static enum quire_err client_connect(struct commit_client *c)
{
	struct sockaddr_un sa;
	struct timeval tv = { COMMIT_SEND_TIMEOUT_S, 0 };
	socklen_t len = sizeof(sa);
	int fd;

	memset(&sa, 0, sizeof(sa));
	if (getsockname(c->listen_fd, (struct sockaddr *)&sa, &len) < 0)
		return QUIRE_EIO;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return QUIRE_EIO;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, len) < 0) {
		log_msg(LOG_LEVEL_WARN, "commit", "cannot reach the committer: %s",
			strerror(errno));
		close(fd);
		return QUIRE_EIO;
	}
	c->fd = fd;
	c->epoch++;
	return QUIRE_OK;
}

/* Writes c->out whole. QUIRE_OK, or QUIRE_EIO with c closed. */
static enum quire_err send_all(struct commit_client *c)
{
	size_t off = 0;
	ssize_t put;

	while (off < c->out.len) {
		put = send(c->fd, c->out.data + off, c->out.len - off, MSG_NOSIGNAL);
		if (put > 0) {
			off += (size_t)put;
			continue;
		}
		if (put < 0 && errno == EINTR)
			continue;
		log_msg(LOG_LEVEL_WARN, "commit", "sending to the committer failed: %s",
			put < 0 ? strerror(errno) : "closed");
		commit_client_close(c);
		return QUIRE_EIO;
	}
	return QUIRE_OK;
}

enum quire_err commit_client_send(struct commit_client *c,
				  struct commit_request *w)
{
	int fresh = c->fd < 0;

	if (c->listen_fd < 0 || (fresh && client_connect(c) != QUIRE_OK))
		return QUIRE_EIO;
	w->id = ++c->next_id;
	buf_reset(&c->out);
	if (commit_wire_put_request(&c->out, w->id, w->op, &w->cond, w->slug,
				    w->rec) != QUIRE_OK)
		return QUIRE_EIO;
	if (send_all(c) == QUIRE_OK)
		return QUIRE_OK;
	/* A connection left from a committer that has since exited (the
	 * master started another): nothing of this request reached one
	 * that could commit it, so it goes once more on a new one. */
	if (fresh || client_connect(c) != QUIRE_OK)
		return QUIRE_EIO;
	return send_all(c);
}

enum quire_err commit_client_read(struct commit_client *c,
				  void (*fn)(void *ctx, const struct commit_reply *r),
				  void *ctx)
{
	struct commit_reply rep;
	size_t off = 0;
	long long flen;
	int ended;

	if (c->fd < 0)
		return QUIRE_EIO;
	/* EOF or an error: deliver what came whole first. */
	ended = buf_recv_ready(&c->in, c->fd, c->in.len + COMMIT_WIRE_MAX_FRAME);
	if (ended < 0)
		goto lost;
	while ((flen = commit_wire_frame_len(c->in.data + off, c->in.len - off)) > 0) {
		if (commit_wire_get_reply(c->in.data + off, (size_t)flen, &rep) !=
		    QUIRE_OK)
			goto lost;
		off += (size_t)flen;
		fn(ctx, &rep);
	}
	if (flen < 0 || ended)
		goto lost;
	memmove(c->in.data, c->in.data + off, c->in.len - off);
	c->in.len -= off;
	return QUIRE_OK;
lost:
	commit_client_close(c);
	return QUIRE_EIO;
}
