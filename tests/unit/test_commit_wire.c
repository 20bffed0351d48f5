/*
 * test_commit_wire.c - the frames between a worker and the committer
 *
 * Requests and replies round-trip, a request's precondition too; a
 * frame is measured only once whole; truncated, oversized, trailing or
 * garbage bytes, a precondition no header makes and a frame of the old
 * format are refused (under ASan: never read past the buffer, never
 * leak).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "content/record.h"
#include "lib/buf.h"
#include "lib/precond.h"
#include "lib/quire.h"
#include "write/commit_wire.h"
#include "check.h"

static struct record *sample(void)
{
	static const char src[] = "---\ntitle: T\n---\nbody \xc3\xa9\n";
	struct record *r = record_new();

	r->slug = strdup("a-post");
	r->kind = POST_KIND_POST;
	r->origin = RECORD_ORIGIN_API;
	r->source = strdup(src);
	r->source_len = sizeof(src) - 1;
	r->body_offset = 17;
	r->html = strdup("<p>body \xc3\xa9</p>\n");
	r->toc_html = NULL;
	r->words = 1;
	r->date = 1700000000;
	r->has_date = 1;
	r->hash = 0xfedcba9876543210ull;
	return r;
}

static void test_put_roundtrip(void)
{
	struct buf b = BUF_INIT;
	struct commit_request q;
	struct record *r = sample();
	struct precond c;
	long long n;

	CHECK(precond_from_expect(3, &c) == QUIRE_OK);
	CHECK(commit_wire_put_request(&b, 7, COMMIT_OP_PUT, &c, r->slug, r) == QUIRE_OK);
	/* Not whole until the last byte. */
	CHECK(commit_wire_frame_len(b.data, 3) == 0);
	CHECK(commit_wire_frame_len(b.data, b.len - 1) == 0);
	n = commit_wire_frame_len(b.data, b.len);
	CHECK(n == (long long)b.len);
	CHECK(commit_wire_get_request(b.data, b.len, &q) == QUIRE_OK);
	CHECK(q.id == 7 && q.op == COMMIT_OP_PUT);
	CHECK(q.cond.flags == (PRECOND_EXISTS | PRECOND_MATCH) &&
	      q.cond.n_match == 1 && q.cond.match[0] == 3 && q.cond.n_none == 0);
	CHECK_STR(q.slug, "a-post");
	CHECK(q.rec != NULL);
	if (q.rec) {
		CHECK_STR(q.rec->slug, "a-post");
		CHECK(q.rec->source_len == r->source_len &&
		      memcmp(q.rec->source, r->source, r->source_len) == 0);
		CHECK(q.rec->body_offset == 17);
		CHECK_STR(q.rec->html, r->html);
		CHECK(q.rec->toc_html == NULL);
		CHECK(q.rec->hash == r->hash && q.rec->words == 1);
		CHECK(q.rec->has_date && q.rec->date == 1700000000);
		CHECK(q.rec->origin == RECORD_ORIGIN_API);
	}
	commit_request_release(&q);
	/* Any cut of the frame is refused by the parser. */
	for (n = 0; n < (long long)b.len; n++) {
		CHECK(commit_wire_get_request(b.data, (size_t)n, &q) == QUIRE_EPARSE);
		commit_request_release(&q);
	}
	/* Trailing bytes (the length no longer matches). */
	buf_putc(&b, 'x');
	CHECK(commit_wire_get_request(b.data, b.len, &q) == QUIRE_EPARSE);
	commit_request_release(&q);
	buf_release(&b);
	record_free(r);
}

static void test_delete_and_bad(void)
{
	struct buf b = BUF_INIT;
	struct commit_request q;
	struct record *r = sample();

	CHECK(commit_wire_put_request(&b, 1, COMMIT_OP_DELETE, NULL, "gone", NULL) ==
	      QUIRE_OK);
	CHECK(commit_wire_get_request(b.data, b.len, &q) == QUIRE_OK);
	CHECK(q.op == COMMIT_OP_DELETE && precond_is_none(&q.cond) && q.rec == NULL);
	CHECK_STR(q.slug, "gone");
	commit_request_release(&q);
	/* A wrong op byte (offset 8: after length and id). */
	b.data[8] = (char)(COMMIT_WIRE_FORMAT << 4 | 9);
	CHECK(commit_wire_get_request(b.data, b.len, &q) == QUIRE_EPARSE);
	/* Another format in its high nibble, earlier or later: told apart
	 * from garbage, never misread. */
	b.data[8] = (char)((COMMIT_WIRE_FORMAT + 1) << 4 | COMMIT_OP_DELETE);
	CHECK(commit_wire_get_request(b.data, b.len, &q) == QUIRE_EVERSION);
	b.data[8] = (char)((COMMIT_WIRE_FORMAT - 1) << 4 | COMMIT_OP_DELETE);
	CHECK(commit_wire_get_request(b.data, b.len, &q) == QUIRE_EVERSION);
	/* A put needs a record, a delete has none. */
	buf_reset(&b);
	CHECK(commit_wire_put_request(&b, 1, COMMIT_OP_PUT, NULL, "x", NULL) ==
	      QUIRE_EINVAL);
	CHECK(commit_wire_put_request(&b, 1, COMMIT_OP_DELETE, NULL, "x", r) ==
	      QUIRE_EINVAL);
	CHECK(b.len == 0);
	/* A length beyond the bound is refused before anything waits for it. */
	CHECK(commit_wire_frame_len("\x7f\xff\xff\xff", 4) == -1);
	/* Just within it: a frame still coming. */
	CHECK(commit_wire_frame_len("\x03\xff\xff\xfc", 4) == 0);
	buf_release(&b);
	record_free(r);
}

/* A frame of delete "gone" under c, into b (reset). */
static void delete_frame(struct buf *b, const struct precond *c)
{
	buf_reset(b);
	CHECK(commit_wire_put_request(b, 1, COMMIT_OP_DELETE, c, "gone", NULL) ==
	      QUIRE_OK);
}

/* The precondition travels whole, and only one a header could make. */
static void test_precond(void)
{
	struct buf b = BUF_INIT;
	struct commit_request q;
	struct precond c, bad;
	const char *which;
	unsigned i;

	/* The largest: QUIRE_MAX_ETAGS revisions each side. */
	memset(&c, 0, sizeof(c));
	c.flags = PRECOND_EXISTS | PRECOND_MATCH;
	for (i = 0; i < QUIRE_MAX_ETAGS; i++) {
		c.match[c.n_match++] = (long long)i + 1;
		c.none[c.n_none++] = 0x7fffffffffffffffLL - i;
	}
	delete_frame(&b, &c);
	CHECK(b.len == 4 + 4 + 1 + 3 + 2 * 8 * QUIRE_MAX_ETAGS + 4 + 4);
	CHECK(commit_wire_get_request(b.data, b.len, &q) == QUIRE_OK);
	CHECK(memcmp(&q.cond, &c, sizeof(c)) == 0);
	commit_request_release(&q);
	/* Parsed from headers, as the API makes it. */
	CHECK(precond_parse("\"4\", W/\"5\", \"x\"", "*", &c, &which) == QUIRE_OK);
	delete_frame(&b, &c);
	CHECK(commit_wire_get_request(b.data, b.len, &q) == QUIRE_OK);
	CHECK(q.cond.flags == (PRECOND_EXISTS | PRECOND_MATCH | PRECOND_ABSENT) &&
	      q.cond.n_match == 1 && q.cond.match[0] == 4 && q.cond.n_none == 0);
	commit_request_release(&q);
	/* The writer refuses what precond_valid refuses. */
	bad = c;
	bad.flags = 8;
	CHECK(commit_wire_put_request(&b, 1, COMMIT_OP_DELETE, &bad, "x", NULL) ==
	      QUIRE_EINVAL);
	bad = c;
	bad.flags = PRECOND_MATCH;
	CHECK(commit_wire_put_request(&b, 1, COMMIT_OP_DELETE, &bad, "x", NULL) ==
	      QUIRE_EINVAL);
	bad = c;
	bad.n_none = QUIRE_MAX_ETAGS + 1;
	CHECK(commit_wire_put_request(&b, 1, COMMIT_OP_DELETE, &bad, "x", NULL) ==
	      QUIRE_EINVAL);
	/* And so does the parser, byte by byte (offset 9: the flags). */
	memset(&c, 0, sizeof(c));
	c.flags = PRECOND_EXISTS | PRECOND_MATCH;
	c.match[c.n_match++] = 2;
	delete_frame(&b, &c);
	b.data[9] = 0x08;                               /* an unknown flag */
	CHECK(commit_wire_get_request(b.data, b.len, &q) == QUIRE_EPARSE);
	b.data[9] = PRECOND_MATCH;                      /* MATCH alone */
	CHECK(commit_wire_get_request(b.data, b.len, &q) == QUIRE_EPARSE);
	b.data[9] = PRECOND_EXISTS | PRECOND_MATCH;
	b.data[10 + 8] = 0;                             /* revision 0 */
	CHECK(commit_wire_get_request(b.data, b.len, &q) == QUIRE_EPARSE);
	b.data[10 + 8] = 2;
	CHECK(commit_wire_get_request(b.data, b.len, &q) == QUIRE_OK);
	commit_request_release(&q);
	b.data[10] = QUIRE_MAX_ETAGS + 1;              /* a count past the bound */
	CHECK(commit_wire_get_request(b.data, b.len, &q) == QUIRE_EPARSE);
	/* A frame of format 1 (op 2 then an i64 expect -1): refused as
	 * another version, not read as this one. */
	buf_reset(&b);
	buf_append(&b, "\x00\x00\x00\x15\x00\x00\x00\x07\x02"
		   "\xff\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x04gone", 25);
	CHECK(commit_wire_frame_len(b.data, b.len) == 25);
	CHECK(commit_wire_get_request(b.data, b.len, &q) == QUIRE_EVERSION);
	buf_release(&b);
}

static void test_reply_roundtrip(void)
{
	struct commit_reply r, got;
	struct buf b = BUF_INIT;
	size_t n;

	memset(&r, 0, sizeof(r));
	r.id = 0xffffffffu;
	r.rc = QUIRE_ECONFLICT;
	r.revision = 42;
	r.created = 1;
	r.generation = 1LL << 40;
	r.acked = 2;
	r.live = 3;
	strcpy(r.message, "why");
	CHECK(commit_wire_put_reply(&b, &r) == QUIRE_OK);
	CHECK(commit_wire_frame_len(b.data, b.len) == (long long)b.len);
	CHECK(commit_wire_get_reply(b.data, b.len, &got) == QUIRE_OK);
	CHECK(got.id == r.id && got.rc == QUIRE_ECONFLICT && got.revision == 42 &&
	      got.created == 1 && got.generation == r.generation &&
	      got.acked == 2 && got.live == 3);
	CHECK_STR(got.message, "why");
	for (n = 0; n < b.len; n++)
		CHECK(commit_wire_get_reply(b.data, n, &got) == QUIRE_EPARSE);
	/* No worker told: live -1; below that, or acked below 0, is no
	 * reply put_reply writes (offsets 29 and 33: acked, live). */
	buf_reset(&b);
	r.acked = 0;
	r.live = -1;
	CHECK(commit_wire_put_reply(&b, &r) == QUIRE_OK);
	CHECK(commit_wire_get_reply(b.data, b.len, &got) == QUIRE_OK &&
	      got.acked == 0 && got.live == -1);
	b.data[36] = 0xfe;                              /* live -2 */
	CHECK(commit_wire_get_reply(b.data, b.len, &got) == QUIRE_EPARSE);
	b.data[36] = 0xff;
	b.data[29] = 0x80;                              /* acked < 0 */
	CHECK(commit_wire_get_reply(b.data, b.len, &got) == QUIRE_EPARSE);
	/* A write refused for its slug's owner carries the file's path. */
	buf_reset(&b);
	memset(&r, 0, sizeof(r));
	r.id = 7;
	r.rc = QUIRE_EOWNED;
	strcpy(r.message, "/srv/blog/posts/2024-01-01-a \"b\".md");
	CHECK(commit_wire_put_reply(&b, &r) == QUIRE_OK);
	CHECK(commit_wire_get_reply(b.data, b.len, &got) == QUIRE_OK);
	CHECK(got.id == 7 && got.rc == QUIRE_EOWNED && got.revision == 0);
	CHECK_STR(got.message, "/srv/blog/posts/2024-01-01-a \"b\".md");
	buf_release(&b);
}

int main(void)
{
	test_put_roundtrip();
	test_delete_and_bad();
	test_precond();
	test_reply_roundtrip();
	return check_done("test_commit_wire");
}
