/*
 * worker_io.c - a worker's FastCGI I/O: a request's parameters and body
 * in, its answer out, its connection closed
 *
 * Every request's body is read to its end, used or not (short of a
 * body too large to bother): a body left unread makes the close a
 * reset, and nginx then loses the answer. So a connection can be
 * closed at once when the answer is out.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/metrics.h"
#include "lib/quire.h"
#include "serve/response.h"
#include "serve/worker_private.h"

FCGX_Request *worker_io_request_new(void)
{
	FCGX_Request *fr = calloc(1, sizeof(*fr));

	/* No listening socket for libfcgi: it must never accept by itself. */
	if (fr && FCGX_InitRequest(fr, -1, 0) != 0) {
		free(fr);
		return NULL;
	}
	return fr;
}

int worker_io_accepts_gzip(const char *ae)
{
	const char *p;

	if (!ae || !(p = strstr(ae, "gzip")))
		return 0;
	p += 4;
	while (*p == ' ')
		p++;
	/* "gzip;q=0" (or q=0.0, q=0.000) refuses it. */
	if (strncmp(p, ";q=0", 4) != 0)
		return 1;
	p += 4;
	if (*p == '.')
		for (p++; *p == '0'; p++)
			;
	return *p >= '1' && *p <= '9';
}

void worker_io_send_finished(FCGX_Request *fr, const struct finished *f,
			     int is_head, int gzip_ok, const char *inm)
{
	const struct finished_bytes *b = &f->ident, *nm = &f->not_modified;
	const char *etag = f->etag;

	if (gzip_ok && f->gzip.data) {
		b = &f->gzip;
		nm = &f->not_modified_gz;
		etag = f->etag_gz;
	}
	if (inm && nm->data && response_etag_matches(inm, etag)) {
		FCGX_PutStr(nm->data, (int)nm->len, fr->out);
		metrics_add(METRIC_RESP_3XX, 1);
		return;
	}
	FCGX_PutStr(b->data, (int)(is_head ? b->head_len : b->len), fr->out);
	metrics_add(f->status >= 500 ? METRIC_RESP_5XX : f->status >= 400 ?
		    METRIC_RESP_4XX : f->status >= 300 ? METRIC_RESP_3XX :
		    METRIC_RESP_2XX, 1);
}

/* Past this a body is not even read to its end: the connection is
 * closed under it. nginx's client_max_body_size stops it long before. */
#define DRAIN_CEILING (64 * (size_t)QUIRE_MAX_BODY)

int worker_io_drain_body(FCGX_Request *fr)
{
	char chunk[8192];
	size_t total = 0;
	int n;

	while (total <= DRAIN_CEILING &&
	       (n = FCGX_GetStr(chunk, sizeof(chunk), fr->in)) > 0)
		total += (size_t)n;
	return total > QUIRE_MAX_BODY ? 413 : 0;
}

#define PARAM(name, field) { name "=", sizeof(name), offsetof(struct params, field) }
static const struct {
	const char *prefix;    /* "NAME=" */
	size_t len;            /* of the prefix */
	size_t off;
} param_names[] = {
	PARAM("REQUEST_METHOD", method),
	PARAM("REQUEST_URI", uri),
	PARAM("HTTP_ACCEPT_ENCODING", accept_encoding),
	PARAM("HTTP_IF_NONE_MATCH", if_none_match),
	PARAM("CONTENT_LENGTH", content_length),
	PARAM("HTTP_TRANSFER_ENCODING", transfer_encoding),
	PARAM("HTTP_AUTHORIZATION", authorization),
	PARAM("CONTENT_TYPE", content_type),
	PARAM("HTTP_IF_MATCH", if_match),
	PARAM("REMOTE_ADDR", remote_addr),
	PARAM("QUIRE_METRICS", quire_metrics),
	PARAM("QUIRE_EDGE_KEY", edge_key),
};
#undef PARAM

/*
 * Reads the parameters above in one pass over envp: five FCGX_GetParam
 * calls scan the ~30 parameters five times, most of what a hit cost
 * beyond the no-op responder (tests/bench/RESULTS.md, callgrind).
 */
void worker_io_read_params(char **envp, struct params *p)
{
	size_t i;
	char *e;

	memset(p, 0, sizeof(*p));
	for (; envp && (e = *envp); envp++) {
		if (e[0] != 'R' && e[0] != 'H' && e[0] != 'C' && e[0] != 'Q')
			continue;
		for (i = 0; i < sizeof(param_names) / sizeof(param_names[0]); i++) {
			if (strncmp(e, param_names[i].prefix, param_names[i].len) == 0) {
				*(const char **)(void *)((char *)p + param_names[i].off) =
					e + param_names[i].len;
				break;
			}
		}
	}
}

/* nginx bounds the headers too; this keeps quire's own promise without
 * it. */
int worker_io_header_too_long(const struct params *p)
{
	const char *const v[] = { p->accept_encoding, p->if_none_match,
				  p->if_match, p->authorization, p->content_type };
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (v[i] && strnlen(v[i], QUIRE_MAX_HEADER + 1) > QUIRE_MAX_HEADER)
			return 1;
	return 0;
}

int worker_io_has_body(const struct params *p)
{
	const char *clen = p->content_length, *te = p->transfer_encoding;

	return (clen && clen[0] && strcmp(clen, "0") != 0) || (te && te[0]);
}

void worker_io_send_plain(FCGX_Request *fr, int status, int is_head,
			  const char *allow)
{
	struct response r;
	struct finished *f;

	response_init(&r);
	response_plain(&r, status);
	r.allow = allow;
	if (response_finish(&r, getpid(), 0, &f) == QUIRE_OK) {
		worker_io_send_finished(fr, f, is_head, 0, NULL);
		response_finished_free(f);
	}
	response_release(&r);
}

int worker_io_read_body(FCGX_Request *fr, const struct params *p, size_t max,
			struct buf *b)
{
	char chunk[8192];
	int n;

	if (p->content_length && strtoull(p->content_length, NULL, 10) > max) {
		worker_io_drain_body(fr);
		return 413;
	}
	while ((n = FCGX_GetStr(chunk, sizeof(chunk), fr->in)) > 0) {
		if (b->len + (size_t)n > max) {
			worker_io_drain_body(fr);
			return 413;
		}
		buf_append(b, chunk, (size_t)n);
	}
	return buf_failed(b) ? 500 : 0;
}

void worker_io_send_response(FCGX_Request *fr, struct response *resp,
			     int is_head)
{
	struct finished *f;

	if (response_finish(resp, getpid(), 0, &f) != QUIRE_OK) {
		worker_io_send_plain(fr, 500, is_head, NULL);
		return;
	}
	worker_io_send_finished(fr, f, is_head, 0, NULL);
	response_finished_free(f);
}

void worker_io_refuse(FCGX_Request *fr, const struct params *p,
		      struct response *resp, int is_head)
{
	/* Drained before the answer, not after: nginx stops sending the
	 * body once it has an answer's headers, and would then wait on a
	 * worker waiting on it (both until fastcgi_read_timeout). */
	if (worker_io_has_body(p))
		worker_io_drain_body(fr);
	worker_io_send_response(fr, resp, is_head);
}

/* Closing at once instead of shutting down and waiting for the web
 * server to close (stock FCGX_Finish_r): the body, if any, was read to
 * EOF, so nothing is left unread. */
void worker_io_close(FCGX_Request *fr)
{
	FCGX_Detach(fr);
	FCGX_Finish_r(fr);
}

void worker_io_close_stored(FCGX_Request *fr)
{
	/* Not detached: libfcgi's close shuts the sending side and waits
	 * for the peer's EOF (OS_IpcClose). */
	FCGX_Finish_r(fr);
}
