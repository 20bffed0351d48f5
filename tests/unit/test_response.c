/*
 * test_response.c - a response's finished variants (response.c): the
 * identity bytes, the 304, and the gzip copy, which must inflate to the
 * body whatever page the worker's one deflate state compressed before
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "check.h"
#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/quire.h"
#include "serve/response.h"

/* Inflates the body of a gzip variant into out; 0 on success. */
static int gunzip(const struct finished_bytes *fb, struct buf *out)
{
	z_stream z;
	char chunk[4096];
	int rc;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 15 + 16) != Z_OK)
		return -1;
	z.next_in = (Bytef *)fb->data + fb->head_len;
	z.avail_in = (uInt)(fb->len - fb->head_len);
	do {
		z.next_out = (Bytef *)chunk;
		z.avail_out = sizeof(chunk);
		rc = inflate(&z, Z_NO_FLUSH);
		buf_append(out, chunk, sizeof(chunk) - z.avail_out);
	} while (rc == Z_OK);
	inflateEnd(&z);
	return rc == Z_STREAM_END && z.avail_in == 0 ? 0 : -1;
}

/* A body of len bytes: text that compresses, or noise that does not. */
static void fill(struct buf *b, size_t len, int noise, unsigned seed)
{
	unsigned x = seed;
	size_t i;

	for (i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u; /* a plain LCG */
		buf_putc(b, noise ? (char)(x >> 16) :
			 "<p>quire page </p>\n"[(i + seed) % 19]);
	}
}

static void check_page(size_t len, int noise, unsigned seed)
{
	struct response r;
	struct finished *f = NULL;
	struct buf got = BUF_INIT;

	response_init(&r);
	r.status = 200;
	r.content_type = "text/html; charset=utf-8";
	fill(&r.body, len, noise, seed);
	CHECK(!buf_failed(&r.body));
	CHECK(response_finish(&r, 42, 0, &f) == QUIRE_OK && f);
	if (!f)
		goto out;
	CHECK(f->ident.len == f->ident.head_len + len);
	CHECK(memcmp(f->ident.data + f->ident.head_len, r.body.data, len) == 0);
	CHECK(f->gzip.data == NULL);
	CHECK(response_add_gzip(&r, f, 42) == QUIRE_OK);
	CHECK(f->gzip.data && f->not_modified_gz.data);
	if (!f->gzip.data)
		goto out;
	CHECK_CONTAINS(f->gzip.data, "Content-Encoding: gzip\r\n");
	CHECK(gunzip(&f->gzip, &got) == 0);
	CHECK(got.len == len && memcmp(got.data, r.body.data, len) == 0);
	CHECK(strcmp(f->etag, f->etag_gz) != 0);
	if (!noise)
		CHECK(f->gzip.len - f->gzip.head_len < len / 4);
out:
	buf_release(&got);
	response_finished_free(f);
	response_release(&r);
}

/* A page's If-None-Match (lib/etag.c's grammar, weak comparison): a
 * match gives the 304, anything else (another tag, bad syntax) the
 * page. */
static void test_etag_matches(void)
{
	const char *e = "\"0123abcd\"";

	CHECK(response_etag_matches("\"0123abcd\"", e));
	CHECK(response_etag_matches("W/\"0123abcd\"", e));
	CHECK(response_etag_matches("*", e));
	CHECK(response_etag_matches("\"x\", \"0123abcd\"", e));
	CHECK(response_etag_matches(" \"x\" ,\t W/\"0123abcd\" ,", e));
	CHECK(!response_etag_matches("\"x\"", e));
	CHECK(!response_etag_matches("", e));
	CHECK(!response_etag_matches(NULL, e));
	CHECK(!response_etag_matches("*", ""));
	/* A comma inside quotes is the tag's. */
	CHECK(!response_etag_matches("\"a,\"0123abcd\"\"", e));
	/* Bad syntax matches nothing: not "*" beside a tag, not half a
	 * list, not a bare token. */
	CHECK(!response_etag_matches("\"nope\", *", e));
	CHECK(!response_etag_matches("\"x, \"0123abcd\"", e));
	CHECK(!response_etag_matches("0123abcd", e));
	CHECK(!response_etag_matches("*x", e));
}

/* The Location of a 301 to path (decoded) and page, as on the wire. */
static void check_redirect(const char *path, long page, const char *want)
{
	struct response r;
	struct finished *f = NULL;
	struct buf head = BUF_INIT, line = BUF_INIT;

	response_init(&r);
	CHECK(response_redirect(&r, path, page) == QUIRE_OK);
	CHECK(r.status == 301);
	CHECK(response_finish(&r, 42, 0, &f) == QUIRE_OK && f);
	if (f) {
		buf_append(&head, f->ident.data, f->ident.head_len);
		buf_printf(&line, "\r\nLocation: %s\r\n", want);
		CHECK_CONTAINS(head.data, line.data);
		/* one header a line: nothing from the path made another */
		CHECK(strstr(head.data, "\r\nX-Injected") == NULL);
		CHECK(strstr(head.data, "\nX-Injected") == NULL);
	}
	response_finished_free(f);
	response_release(&r);
	buf_release(&head);
	buf_release(&line);
}

static void test_redirects(void)
{
	struct buf long_path = BUF_INIT, want = BUF_INIT;
	size_t i;

	check_redirect("/posts/hello", 1, "/posts/hello");
	check_redirect("/posts/", 3, "/posts/?page=3");
	/* a decoded path: what would end the header, start a query or a
	 * fragment, or not be ASCII is percent-encoded again */
	check_redirect("/tags/a\"b<c>d?page=9 e#f%g\xc3\xa9", 2,
		       "/tags/a%22b%3Cc%3Ed%3Fpage=9%20e%23f%25g%C3%A9?page=2");
	check_redirect("/tags/x\r\nX-Injected: 1", 1,
		       "/tags/x%0D%0AX-Injected:%201");
	check_redirect("/tags/x\nX-Injected: 1", 1, "/tags/x%0AX-Injected:%201");
	/* the longest path uri.c lets through, every byte tripled */
	buf_putc(&long_path, '/');
	buf_putc(&want, '/');
	for (i = 1; i < QUIRE_MAX_URI; i++) {
		buf_putc(&long_path, '"');
		buf_puts(&want, "%22");
	}
	buf_puts(&want, "?page=100000");
	check_redirect(long_path.data, 100000, want.data);
	buf_release(&long_path);
	buf_release(&want);
}

/* Every status quire answers has its reason on the Status line: a 409
 * went out as "409 Unknown" once. */
static void test_reasons(void)
{
	static const int sent[] = { 200, 201, 204, 301, 304, 400, 401, 403,
				    404, 405, 409, 411, 412, 413, 414, 415, 429,
				    500, 503 };
	size_t i;

	for (i = 0; i < sizeof(sent) / sizeof(sent[0]); i++)
		CHECK(strcmp(response_reason(sent[i]), "Unknown") != 0);
	CHECK(strcmp(response_reason(409), "Conflict") == 0);
	CHECK(strcmp(response_reason(299), "Unknown") == 0);
}

int main(void)
{
	struct response r;
	struct finished *f = NULL;

	/* Pages one after another through the same deflate state, big and
	 * small, compressible or not: each must come out whole. */
	check_page(5462, 0, 1);
	check_page(300, 0, 2);
	check_page(1 << 20, 1, 3);
	check_page(70000, 0, 4);
	check_page(5462, 1, 5);
	check_page(5462, 0, 6);
	/* a state freed between pages is made again */
	response_gzip_end();
	check_page(9000, 0, 7);

	/* Too small to be worth it: identity only. */
	response_init(&r);
	r.status = 200;
	buf_puts(&r.body, "tiny");
	CHECK(response_finish(&r, 42, 1, &f) == QUIRE_OK && f);
	CHECK(f && f->gzip.data == NULL && f->not_modified.data);
	response_finished_free(f);
	response_release(&r);

	test_etag_matches();
	test_redirects();
	test_reasons();
	response_gzip_end();
	return check_done("test_response");
}
