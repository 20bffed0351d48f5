/*
 * buf.h - the one growable byte buffer
 *
 * Invariants:
 *  - b->data is NULL only while b->cap is 0; otherwise it is always
 *    NUL-terminated at b->data[b->len], so it can be used as a C string.
 *  - Growth is overflow-checked. A failed allocation sets b->failed and
 *    every later append is a no-op; check buf_failed() once before using
 *    the contents, instead of after every append.
 *  - The memory belongs to the buf until buf_detach() hands it over.
 */
#ifndef QUIRE_BUF_H
#define QUIRE_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "lib/quire.h"

struct buf {
	char *data;
	size_t len;
	size_t cap;
	int failed;
};

#define BUF_INIT { NULL, 0, 0, 0 }

void buf_init(struct buf *b);
/* Frees the contents and makes b empty again. */
void buf_release(struct buf *b);
/* Keeps the allocation, sets the length to 0 and clears failed. */
void buf_reset(struct buf *b);
/* Makes room for n more bytes; returns QUIRE_OK or QUIRE_ENOMEM. */
enum quire_err buf_grow(struct buf *b, size_t n);
void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Truncates to len bytes (len <= b->len). */
void buf_truncate(struct buf *b, size_t len);
static inline int buf_failed(const struct buf *b) { return b->failed; }
/*
 * Appends what socket fd has to give now, without waiting, at most max
 * bytes in all. Returns 0 when it would block (or max is reached), 1
 * when the peer is gone (end of stream or an error), -1 when out of
 * memory.
 */
int buf_recv_ready(struct buf *b, int fd, size_t max);

/* Writes all of b to fd (a file or a pipe; retried on EINTR). QUIRE_OK
 * or QUIRE_EIO (errno says why). */
enum quire_err buf_write_all(const struct buf *b, int fd);
/* Returns the contents as a NUL-terminated string that the caller frees
 * with free(), and leaves b empty. Never NULL unless b failed. */
char *buf_detach(struct buf *b, size_t *len);

#endif
