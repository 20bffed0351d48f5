/*
 * test_commit_wire.c - the frames between a worker and the committer
 *
 * Requests and replies round-trip; a frame is measured only once whole;
 * truncated, oversized, trailing or garbage bytes are refused (under
 * ASan: never read past the buffer, never leak).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "content/record.h"
#include "lib/buf.h"
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
	long long n;

	CHECK(commit_wire_put_request(&b, 7, COMMIT_OP_PUT, 3, r->slug, r) == QUIRE_OK);
	/* Not whole until the last byte. */
	CHECK(commit_wire_frame_len(b.data, 3) == 0);
	CHECK(commit_wire_frame_len(b.data, b.len - 1) == 0);
	n = commit_wire_frame_len(b.data, b.len);
	CHECK(n == (long long)b.len);
	CHECK(commit_wire_get_request(b.data, b.len, &q) == QUIRE_OK);
	CHECK(q.id == 7 && q.op == COMMIT_OP_PUT && q.expect == 3);
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

	CHECK(commit_wire_put_request(&b, 1, COMMIT_OP_DELETE, -1, "gone", NULL) ==
	      QUIRE_OK);
	CHECK(commit_wire_get_request(b.data, b.len, &q) == QUIRE_OK);
	CHECK(q.op == COMMIT_OP_DELETE && q.expect == -1 && q.rec == NULL);
	CHECK_STR(q.slug, "gone");
	commit_request_release(&q);
	/* A wrong op byte (offset 8: after length and id). */
	b.data[8] = 9;
	CHECK(commit_wire_get_request(b.data, b.len, &q) == QUIRE_EPARSE);
	/* A put needs a record, a delete has none. */
	buf_reset(&b);
	CHECK(commit_wire_put_request(&b, 1, COMMIT_OP_PUT, -1, "x", NULL) ==
	      QUIRE_EINVAL);
	CHECK(commit_wire_put_request(&b, 1, COMMIT_OP_DELETE, -1, "x", r) ==
	      QUIRE_EINVAL);
	CHECK(b.len == 0);
	/* A length beyond the bound is refused before anything waits for it. */
	CHECK(commit_wire_frame_len("\x7f\xff\xff\xff", 4) == -1);
	/* Just within it: a frame still coming. */
	CHECK(commit_wire_frame_len("\x03\xff\xff\xfc", 4) == 0);
	buf_release(&b);
	record_free(r);
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
	strcpy(r.message, "why");
	CHECK(commit_wire_put_reply(&b, &r) == QUIRE_OK);
	CHECK(commit_wire_frame_len(b.data, b.len) == (long long)b.len);
	CHECK(commit_wire_get_reply(b.data, b.len, &got) == QUIRE_OK);
	CHECK(got.id == r.id && got.rc == QUIRE_ECONFLICT && got.revision == 42 &&
	      got.created == 1 && got.generation == r.generation);
	CHECK_STR(got.message, "why");
	for (n = 0; n < b.len; n++)
		CHECK(commit_wire_get_reply(b.data, n, &got) == QUIRE_EPARSE);
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
	test_reply_roundtrip();
	return check_done("test_commit_wire");
}
