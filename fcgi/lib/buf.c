/*
 * buf.c - the one growable byte buffer
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/socket.h>

#include "lib/buf.h"
#include "lib/quire.h"

#define BUF_RECV_CHUNK 65536

void buf_init(struct buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->failed = 0;
}

void buf_release(struct buf *b)
{
	free(b->data);
	buf_init(b);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	b->failed = 0;
	if (b->data)
		b->data[0] = '\0';
}

enum quire_err buf_grow(struct buf *b, size_t n)
{
	size_t need, cap;
	char *p;

	if (b->failed)
		return QUIRE_ENOMEM;
	if (n > SIZE_MAX - b->len - 1)
		goto fail;
	need = b->len + n + 1;
	if (need <= b->cap)
		return QUIRE_OK;
	cap = b->cap ? b->cap : 64;
	while (cap < need) {
		if (cap > SIZE_MAX / 2) {
			cap = need;
			break;
		}
		cap *= 2;
	}
	p = realloc(b->data, cap);
	if (!p)
		goto fail;
	b->data = p;
	b->cap = cap;
	b->data[b->len] = '\0';
	return QUIRE_OK;
fail:
	b->failed = 1;
	return QUIRE_ENOMEM;
}

void buf_append(struct buf *b, const void *p, size_t n)
{
	if (buf_grow(b, n) != QUIRE_OK)
		return;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void buf_puts(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

void buf_putc(struct buf *b, char c)
{
	buf_append(b, &c, 1);
}

void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	size_t want = 64;
	int n, tries;

	/* A second try has the room the first one measured. */
	for (tries = 0; tries < 2; tries++) {
		if (buf_grow(b, want) != QUIRE_OK)
			return;
		va_copy(cp, ap);
		n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, cp);
		va_end(cp);
		if (n < 0)
			break;
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		want = (size_t)n;
	}
	b->failed = 1;
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void buf_truncate(struct buf *b, size_t len)
{
	if (len >= b->len)
		return;
	b->len = len;
	b->data[len] = '\0';
}

char *buf_detach(struct buf *b, size_t *len)
{
	char *p;

	if (b->failed) {
		buf_release(b);
		return NULL;
	}
	if (!b->data && buf_grow(b, 0) != QUIRE_OK)
		return NULL;
	p = b->data;
	if (len)
		*len = b->len;
	buf_init(b);
	return p;
}

int buf_recv_ready(struct buf *b, int fd, size_t max)
{
	ssize_t got;
	size_t room;

	while (b->len < max) {
		room = max - b->len < BUF_RECV_CHUNK ? max - b->len : BUF_RECV_CHUNK;
		if (buf_grow(b, room) != QUIRE_OK)
			return -1;
		got = recv(fd, b->data + b->len, room, MSG_DONTWAIT);
		if (got > 0) {
			b->len += (size_t)got;
			b->data[b->len] = '\0';
			continue;
		}
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		return 1;
	}
	return 0;
}

enum quire_err buf_write_all(const struct buf *b, int fd)
{
	size_t off = 0;
	ssize_t n;

	while (off < b->len) {
		n = write(fd, b->data + off, b->len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return QUIRE_EIO;
		off += (size_t)n;
	}
	return QUIRE_OK;
}
