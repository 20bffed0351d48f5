/*
 * response.c - a handler's answer, and its finished bytes on the wire
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xxhash.h>
#include <libdeflate.h>

#include "content/html.h"
#include "lib/etag.h"
#include "lib/limits.h"
#include "lib/quire.h"
#include "serve/response.h"

/* Bodies smaller than this are not worth compressing. */
#define GZIP_MIN_BODY 256

static const struct {
	int status;
	const char *reason;
} reasons[] = {
	{ 200, "OK" },
	{ 201, "Created" },
	{ 204, "No Content" },
	{ 301, "Moved Permanently" },
	{ 304, "Not Modified" },
	{ 400, "Bad Request" },
	{ 401, "Unauthorized" },
	{ 403, "Forbidden" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 409, "Conflict" },
	{ 411, "Length Required" },
	{ 412, "Precondition Failed" },
	{ 413, "Content Too Large" },
	{ 414, "URI Too Long" },
	{ 415, "Unsupported Media Type" },
	{ 429, "Too Many Requests" },
	{ 500, "Internal Server Error" },
	{ 503, "Service Unavailable" },
};

const char *response_reason(int status)
{
	size_t i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].status == status)
			return reasons[i].reason;
	return "Unknown";
}

void response_init(struct response *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->body);
	r->status = 200;
	r->content_type = "text/html; charset=utf-8";
}

void response_release(struct response *r)
{
	buf_release(&r->body);
}

enum quire_err response_plain(struct response *r, int status)
{
	char lower[64];
	size_t i;

	r->status = status;
	r->content_type = "text/plain; charset=utf-8";
	r->cacheable = 0;
	snprintf(lower, sizeof(lower), "%s", response_reason(status));
	for (i = 0; lower[i]; i++)
		if (lower[i] >= 'A' && lower[i] <= 'Z')
			lower[i] = (char)(lower[i] - 'A' + 'a');
	buf_reset(&r->body);
	buf_printf(&r->body, "%d %s\n", status, lower);
	return buf_failed(&r->body) ? QUIRE_ENOMEM : QUIRE_OK;
}

enum quire_err response_redirect(struct response *r, const char *path,
				 long page)
{
	struct buf loc = BUF_INIT;
	enum quire_err rc = QUIRE_OK;

	/* Percent-encoded: the path was decoded, and raw it could end the
	 * header (CR, LF), start a query ('?') or be read as an escape. */
	html_path_encode(&loc, path, strlen(path));
	if (page > 1)
		buf_printf(&loc, "?page=%ld", page);
	if (buf_failed(&loc))
		rc = QUIRE_ENOMEM;
	else if (loc.len >= sizeof(r->location))
		rc = QUIRE_ETOOBIG;
	if (rc != QUIRE_OK) {
		buf_release(&loc);
		response_plain(r, rc == QUIRE_ENOMEM ? 500 : 414);
		return rc;
	}
	memcpy(r->location, loc.data, loc.len + 1);
	buf_release(&loc);
	response_plain(r, 301);
	return QUIRE_OK;
}

/*
 * gzip by libdeflate, one compressor per thread kept from one page to
 * the next. A miss's compression was most of its instructions: a 5.4 KB
 * page took 698k with zlib at level 6 against 247k with libdeflate at
 * level 1, whose output was within 1 % of zlib's (2,432 vs 2,406 bytes;
 * callgrind, 100 pages). Level 1 is libdeflate's fastest and, on these
 * pages, as small as zlib's default; the copy is made once a page and
 * kept.
 */
#define GZIP_LEVEL 1

static _Thread_local struct libdeflate_compressor *deflater;

void response_gzip_end(void)
{
	libdeflate_free_compressor(deflater);
	deflater = NULL;
}

enum quire_err response_gzip_begin(void)
{
	if (!deflater && !(deflater = libdeflate_alloc_compressor(GZIP_LEVEL)))
		return QUIRE_ENOMEM;
	return QUIRE_OK;
}

static enum quire_err gzip_body(const char *in, size_t len, struct buf *out)
{
	size_t bound, n;

	if (response_gzip_begin() != QUIRE_OK)
		return QUIRE_ENOMEM;
	bound = libdeflate_gzip_compress_bound(deflater, len);
	if (buf_grow(out, bound) != QUIRE_OK)
		return QUIRE_ENOMEM;
	n = libdeflate_gzip_compress(deflater, in, len, out->data + out->len,
				     out->cap - out->len - 1);
	if (n == 0)
		return QUIRE_ENOMEM; /* cannot happen with the bound's room */
	out->len += n;
	out->data[out->len] = '\0';
	return QUIRE_OK;
}

/* A CDN may keep the page for cdn_max_age, and serve it stale while
 * quire fails; browsers revalidate (max-age=0). Its purge hook drops it
 * by Surrogate-Key when a change touches it (DESIGN §6). */
static void put_cdn_headers(struct buf *b, const struct response *r)
{
	struct tm tm;
	char date[64];

	buf_printf(b, "Cache-Control: public, max-age=0, s-maxage=%d, "
		   "stale-if-error=86400\r\n", r->cdn_max_age);
	buf_printf(b, "Surrogate-Key: %s\r\n", r->surrogate);
	if (r->built > 0 && gmtime_r(&r->built, &tm) &&
	    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm))
		buf_printf(b, "Last-Modified: %s\r\n", date);
}

/* Writes the common headers of every variant. */
static void put_headers(struct buf *b, const struct response *r, int status,
			const char *etag, pid_t worker)
{
	buf_printf(b, "Status: %d %s\r\n", status, response_reason(status));
	if (status != 304)
		buf_printf(b, "Content-Type: %s\r\n", r->content_type);
	if (r->private_page) {
		/* No copy anywhere, no index: a draft is not published. */
		buf_puts(b, "Cache-Control: private, no-store\r\n");
		buf_puts(b, "X-Robots-Tag: noindex\r\n");
	} else if (etag[0]) {
		buf_printf(b, "ETag: %s\r\n", etag);
		if (r->cdn_max_age > 0 && r->cacheable && r->surrogate[0])
			put_cdn_headers(b, r);
		else /* Revalidate every time: a deploy can change any page. */
			buf_puts(b, "Cache-Control: no-cache\r\n");
		buf_puts(b, "Vary: Accept-Encoding\r\n");
	}
	if (r->status == 301)
		buf_printf(b, "Location: %s\r\n", r->location);
	if (r->allow)
		buf_printf(b, "Allow: %s\r\n", r->allow);
	if (r->www_authenticate)
		buf_printf(b, "WWW-Authenticate: %s\r\n", r->www_authenticate);
	if (r->retry_after > 0)
		buf_printf(b, "Retry-After: %u\r\n", r->retry_after);
	if (r->acknowledged[0])
		buf_printf(b, "Quire-Acknowledged: %s\r\n", r->acknowledged);
	buf_printf(b, "X-Quire-Worker: %ld\r\n", (long)worker);
}

static enum quire_err variant(struct finished_bytes *fb,
			      const struct response *r, int status,
			      const char *etag, pid_t worker,
			      const char *encoding, const char *body,
			      size_t body_len)
{
	struct buf b = BUF_INIT;

	put_headers(&b, r, status, etag, worker);
	if (encoding)
		buf_printf(&b, "Content-Encoding: %s\r\n", encoding);
	if (status != 304)
		buf_printf(&b, "Content-Length: %zu\r\n", body_len);
	buf_puts(&b, "\r\n");
	fb->head_len = b.len;
	buf_append(&b, body, body_len);
	if (buf_failed(&b)) {
		buf_release(&b);
		return QUIRE_ENOMEM;
	}
	fb->data = buf_detach(&b, &fb->len);
	return fb->data ? QUIRE_OK : QUIRE_ENOMEM;
}

enum quire_err response_finish(const struct response *r, pid_t worker,
			       int with_gzip, struct finished **out)
{
	struct finished *f;
	enum quire_err rc = QUIRE_ENOMEM;

	*out = NULL;
	if (buf_failed(&r->body))
		return QUIRE_ENOMEM;
	f = calloc(1, sizeof(*f));
	if (!f)
		return QUIRE_ENOMEM;
	f->status = r->status;
	if (r->etag[0]) {
		snprintf(f->etag, sizeof(f->etag), "%s", r->etag);
	} else if (r->status == 200 && !r->private_page) {
		unsigned long long h = XXH3_64bits(r->body.data ? r->body.data : "",
						   r->body.len);
		snprintf(f->etag, sizeof(f->etag), "\"%016llx\"", h);
		snprintf(f->etag_gz, sizeof(f->etag_gz), "\"%016llx-gz\"", h);
	}
	rc = variant(&f->ident, r, r->status, f->etag, worker, NULL,
		     r->body.data ? r->body.data : "", r->body.len);
	if (rc != QUIRE_OK)
		goto out;
	if (f->etag[0]) {
		rc = variant(&f->not_modified, r, 304, f->etag, worker, NULL, "", 0);
		if (rc != QUIRE_OK)
			goto out;
	}
	if (with_gzip && (rc = response_add_gzip(r, f, worker)) != QUIRE_OK)
		goto out;
	f->size = sizeof(*f) + f->ident.len + f->gzip.len + f->not_modified.len +
		  f->not_modified_gz.len;
	*out = f;
	rc = QUIRE_OK;
out:
	if (rc != QUIRE_OK)
		response_finished_free(f);
	return rc;
}

enum quire_err response_add_gzip(const struct response *r, struct finished *f,
				 pid_t worker)
{
	struct buf gz = BUF_INIT;
	enum quire_err rc = QUIRE_OK;

	if (f->gzip.data || r->body.len < GZIP_MIN_BODY)
		return QUIRE_OK;
	rc = gzip_body(r->body.data, r->body.len, &gz);
	if (rc != QUIRE_OK)
		goto out;
	rc = variant(&f->gzip, r, r->status, f->etag_gz, worker, "gzip",
		     gz.data, gz.len);
	if (rc != QUIRE_OK)
		goto out;
	if (f->etag[0])
		rc = variant(&f->not_modified_gz, r, 304, f->etag_gz, worker,
			     NULL, "", 0);
out:
	buf_release(&gz);
	if (rc != QUIRE_OK) {
		free(f->gzip.data);
		free(f->not_modified_gz.data);
		memset(&f->gzip, 0, sizeof(f->gzip));
		memset(&f->not_modified_gz, 0, sizeof(f->not_modified_gz));
	}
	f->size = sizeof(*f) + f->ident.len + f->gzip.len + f->not_modified.len +
		  f->not_modified_gz.len;
	return rc;
}

void response_finished_free(void *p)
{
	struct finished *f = p;

	if (!f)
		return;
	free(f->ident.data);
	free(f->gzip.data);
	free(f->not_modified.data);
	free(f->not_modified_gz.data);
	free(f);
}

/* The grammar of lib/etag.c, the one the write API uses: a value that
 * is not an entity-tag list matches nothing, and the page is served. */
int response_etag_matches(const char *inm, const char *etag)
{
	struct etag_list l;
	size_t elen = strlen(etag);

	if (!inm || elen < 2 || etag[0] != '"' ||
	    etag_list_parse(inm, strnlen(inm, QUIRE_MAX_HEADER + 1), &l) != QUIRE_OK)
		return 0;
	return etag_list_has(&l, etag + 1, elen - 2, 1);
}
