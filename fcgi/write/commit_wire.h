/*
 * commit_wire.h - the bytes between a worker and the committer
 *
 * A worker hands each API write, validated and rendered, to the
 * committer of its host (committer.c) over a unix stream socket and
 * gets one reply per write. Frames are length-prefixed, all integers
 * big-endian, no transport here (so it is unit-tested by bytes):
 *
 *   request: u32 length of the rest, u32 id, u8 format and op,
 *            precondition, text slug, then for a put one text per
 *            record field (tier_redis_fields order; length 0xffffffff
 *            = absent)
 *   reply:   u32 length of the rest, u32 id, i32 rc (QUIRE_*),
 *            i64 revision, u8 created, i64 generation, i32 acked,
 *            i32 live, text message
 *
 * where text is a u32 length and that many bytes, and the precondition
 * (lib/precond.h) is u8 flags, u8 n, n × i64 revisions If-Match names,
 * u8 m, m × i64 revisions If-None-Match names. A parse checks every
 * length against what is left before it reads or allocates.
 *
 * The op byte's high nibble is the format, COMMIT_WIRE_FORMAT: format 1
 * carried one i64 "expect" where the precondition is now; format 2's
 * reply had no acked and live; format 3's put had no "format" field
 * (tier_redis_codec.h's record version); format 4's had no "summary"
 * field. A worker and
 * its committer are forked from one binary (an upgrade retires both),
 * but a frame of another format is refused rather than misread.
 */
#ifndef QUIRE_COMMIT_WIRE_H
#define QUIRE_COMMIT_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "content/record.h"
#include "lib/buf.h"
#include "lib/precond.h"
#include "lib/quire.h"
#include "write/auth.h"

/* A whole request frame: a record is at most a source and what was
 * rendered from it, each bounded by QUIRE_MAX_BODY and the renderer. */
#define COMMIT_WIRE_MAX_FRAME (64u * 1024 * 1024)
#define COMMIT_WIRE_MAX_MESSAGE 512
#define COMMIT_WIRE_FORMAT 5

enum commit_op {
	COMMIT_OP_PUT = 1,
	COMMIT_OP_DELETE = 2,
};

/* One write as the committer receives it. */
struct commit_request {
	uint32_t id;
	enum commit_op op;
	struct precond cond;     /* If-Match, If-None-Match */
	char *slug;
	struct record *rec;      /* a put's record; NULL for a delete */
	/* Who asked, for the worker's log of the answer; never sent. */
	char token_id[AUTH_ID_LEN + 1];
	char addr[64];           /* REMOTE_ADDR, escaped, cut */
};

/* What became of it. */
struct commit_reply {
	uint32_t id;
	enum quire_err rc;       /* QUIRE_OK, ECONFLICT, ENOTFOUND, EOWNED,
	                          * EIO, ... */
	long long revision;      /* a put's new revision */
	int created;
	long long generation;
	/* Of an applied write: the live workers (DESIGN §6, the registry)
	 * and how many of them acknowledged its generation before the
	 * answer; live -1 when not known (Redis refused the store or is
	 * down, or the registry could not be read). */
	int32_t acked;
	int32_t live;
	/* Why it failed; for QUIRE_EOWNED the path of the content file that
	 * owns the slug ("" when not known) */
	char message[COMMIT_WIRE_MAX_MESSAGE];
};

/* Appends the frame of a put of rec (or, rec NULL, a delete of slug)
 * under cond (NULL: none). QUIRE_OK; QUIRE_EINVAL for an op that does
 * not go with rec, or a cond precond_valid() refuses; QUIRE_ENOMEM;
 * QUIRE_ETOOBIG. */
enum quire_err commit_wire_put_request(struct buf *b, uint32_t id,
				       enum commit_op op,
				       const struct precond *cond,
				       const char *slug,
				       const struct record *rec);
enum quire_err commit_wire_put_reply(struct buf *b,
				     const struct commit_reply *r);

/*
 * The length of the first whole frame in data[0, len) (its 4 bytes of
 * length included): 0 when it has not all arrived, -1 when it announces
 * more than COMMIT_WIRE_MAX_FRAME (the stream is not to be trusted).
 */
long long commit_wire_frame_len(const char *data, size_t len);

/* Parse one whole frame (as commit_wire_frame_len measured). QUIRE_OK,
 * QUIRE_EPARSE, QUIRE_EVERSION (a request of another format: the
 * committer drops the connection, and the worker answers 503) or
 * QUIRE_ENOMEM. Free a request with
 * commit_request_release(). */
enum quire_err commit_wire_get_request(const char *frame, size_t len,
				       struct commit_request *out);
enum quire_err commit_wire_get_reply(const char *frame, size_t len,
				     struct commit_reply *out);
void commit_request_release(struct commit_request *r);

#endif
