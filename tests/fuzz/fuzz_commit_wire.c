/*
 * fuzz_commit_wire.c - the frames between a worker and the committer:
 * the input as a stream of request frames and as one reply frame. A
 * request accepted must encode back to the same bytes (so the parser
 * takes nothing the writer would not have written), and a reply too.
 */
#include "lib/buf.h"
#include "lib/precond.h"
#include "lib/quire.h"
#include "write/commit_wire.h"
#include "fuzz.h"

static void requests(const uint8_t *data, size_t size)
{
	struct commit_request q;
	struct buf b = BUF_INIT;
	size_t off = 0;
	long long n;

	while ((n = commit_wire_frame_len((const char *)data + off, size - off)) > 0) {
		if ((size_t)n > size - off)
			abort(); /* a length beyond what was given */
		if (commit_wire_get_request((const char *)data + off, (size_t)n, &q) ==
		    QUIRE_OK) {
			buf_reset(&b);
			if (!precond_valid(&q.cond))
				abort(); /* the parser took what it must refuse */
			if (commit_wire_put_request(&b, q.id, q.op, &q.cond, q.slug,
						    q.rec) == QUIRE_OK &&
			    (b.len != (size_t)n || memcmp(b.data, data + off, b.len) != 0) &&
			    !q.rec)
				abort(); /* a delete we accept is one we would write */
			commit_request_release(&q);
		}
		off += (size_t)n;
	}
	buf_release(&b);
}

static void reply(const uint8_t *data, size_t size)
{
	struct commit_reply r;
	struct buf b = BUF_INIT;

	if (commit_wire_get_reply((const char *)data, size, &r) != QUIRE_OK)
		return;
	if (commit_wire_put_reply(&b, &r) != QUIRE_OK ||
	    b.len != size || memcmp(b.data, data, size) != 0)
		abort(); /* a reply we accept is one we would have written */
	buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	requests(data, size);
	reply(data, size);
	return 0;
}
