/*
 * worker.c - one worker's request loop
 *
 * Single-threaded: the loop alone owns the L1, so the hot path takes no
 * lock. A request for a page already in L1 is one hash lookup and one
 * write. Everything else walks uri -> route -> handler -> response and
 * is cached when the handler says so.
 *
 * Accepting: the worker accepts connections itself and hands each to
 * libfcgi (a connected ipcFd with keepConnection set makes FCGX_Accept_r
 * read from it instead of accepting). SIGTERM is blocked everywhere but
 * in the ppoll() that waits for a connection, so a stop can never cut
 * into a request: libfcgi's own accept path checks a fresh connection
 * with a select() that a signal interrupts, and then drops it (a 502 for
 * the client). The listening socket is non-blocking; a worker that loses
 * the race for a connection goes back to ppoll().
 *
 * Writes of the API are not waited for: once validated and rendered, a
 * write goes to the host's committer (committer.c) and its request is
 * parked, up to WORKER_MAX_PARKED of them, while the worker serves
 * others; the committer's reply finishes it. So a few workers keep many
 * writes in flight, and many writes share one commit. A stopping worker
 * accepts nothing more but waits for the replies it is owed.
 */
#include <errno.h>
#include <stddef.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "lib/limits.h"
#include "lib/log.h"
#include "lib/metrics.h"
#include "lib/prefault.h"
#include "lib/quire.h"
#include "serve/app.h"
#include "serve/cache.h"
#include "serve/page_api.h"
#include "serve/response.h"
#include "serve/route.h"
#include "serve/sub.h"
#include "serve/touch.h"
#include "serve/view.h"
#include "serve/worker.h"
#include "tiers/tiers.h"
#include "write/commit.h"
#include "write/commit_client.h"

/* Writes in flight per worker: enough to fill the committer's batch
 * from two workers; each holds a connection to the web server. */
#define WORKER_MAX_PARKED 128
/* A write the committer has not answered in this long gets a 503. */
#define WORKER_WRITE_TIMEOUT_MS 30000
/* Heap faulted in at start beyond what the worker holds: what a few
 * hundred L1 fills take, so they fault nothing. */
#define WORKER_WARM_HEAP (8 * 1024 * 1024)

static volatile sig_atomic_t stopping;

/* A write handed to the committer, and the request that waits for it. */
struct parked {
	FCGX_Request *fr;
	struct commit_request *w;
	int is_head;
	double since;            /* monotonic ms */
};

struct writes {
	struct commit_client cc;
	struct parked v[WORKER_MAX_PARKED];
	size_t n;
	unsigned since_api;      /* connections of the pages' socket since
	                          * the last of the API's (accept_next) */
};

static void on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

/* Installs the handlers, blocks SIGTERM and SIGINT, and puts in *waiting
 * the mask to use while waiting for a connection (they unblocked). */
static int install_signals(sigset_t *waiting)
{
	struct sigaction sa;
	sigset_t stop;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0)
		return -1;
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) < 0 || sigaction(SIGHUP, &sa, NULL) < 0)
		return -1;
	sa.sa_handler = SIG_DFL;
	if (sigaction(SIGCHLD, &sa, NULL) < 0)
		return -1;
	sigemptyset(waiting);
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	return sigprocmask(SIG_SETMASK, &stop, NULL);
}

static void writes_on_reply(void *ctx, const struct commit_reply *r);
static void writes_fail_all(struct writes *wr, const char *why);
static void writes_expire(struct writes *wr);

/* With both sockets waiting, one connection of the API's in this many:
 * reads go first, but a stream of them does not stop writes. */
#define WORKER_API_EVERY 8

/* accept4 on a non-blocking listening socket: the connection, -1 when
 * there is none now (or one that broke on the way: try again), -2 when
 * the socket failed. Out of descriptors or memory, it waits a moment
 * instead of spinning. */
static int accept_one(int listen_fd, const sigset_t *waiting)
{
	int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd >= 0)
		return fd;
	switch (errno) {
	case EAGAIN:
#if EAGAIN != EWOULDBLOCK
	case EWOULDBLOCK:
#endif
	case EINTR:
	case ECONNABORTED:
	case EPROTO:
		return -1;
	case EMFILE:
	case ENFILE:
	case ENOBUFS:
	case ENOMEM:
		log_msg(LOG_LEVEL_WARN, "accept", "accept failed: %s", strerror(errno));
		ppoll(NULL, 0, &(struct timespec){ 0, 100000000L }, waiting);
		return -1;
	default:
		log_msg(LOG_LEVEL_ERROR, "accept", "accept failed: %s", strerror(errno));
		return -2;
	}
}

/*
 * The next connection of the listeners: the pages' socket first, the
 * API's when the first has none waiting, or after WORKER_API_EVERY
 * connections of the first while both wait. *since_api counts those.
 */
static int accept_next(const struct listeners *l, const sigset_t *waiting,
		       unsigned *since_api)
{
	int first = l->pages, second = l->api, from, fd;

	if (second >= 0 && *since_api >= WORKER_API_EVERY) {
		first = l->api;
		second = l->pages;
	}
	from = first;
	fd = accept_one(first, waiting);
	if (fd == -1 && second >= 0) {
		from = second;
		fd = accept_one(second, waiting);
	}
	if (fd < 0)
		return fd;
	if (from == l->api) {
		*since_api = 0;
		log_msg(LOG_LEVEL_DEBUG, "accept", "socket=api");
	} else if (l->api >= 0) {
		++*since_api;
		log_msg(LOG_LEVEL_DEBUG, "accept", "socket=pages");
	}
	return fd;
}

/*
 * Returns the next connection on the non-blocking listeners, or -1 when
 * the worker is stopping (and owes no write an answer) or a socket
 * failed. Meanwhile it answers parked writes as their replies come.
 */
static int next_connection(const struct listeners *l, const sigset_t *waiting,
			   struct writes *wr)
{
	struct pollfd pfd[3];
	struct timespec second = { 1, 0 };
	nfds_t n;
	int fd, accepting;

	for (;;) {
		/* Replies first: while connections keep coming, accept4()
		 * never fails and the poll below is never reached, and a
		 * parked write would wait for a lull (its connection held). */
		if (wr->n && wr->cc.fd >= 0 &&
		    commit_client_read(&wr->cc, writes_on_reply, wr) != QUIRE_OK)
			writes_fail_all(wr, "the committer went away");
		if (wr->n && wr->cc.fd < 0)
			writes_fail_all(wr, "the committer went away");
		if (wr->n)
			writes_expire(wr);
		accepting = !stopping && wr->n < WORKER_MAX_PARKED;
		if (stopping && wr->n == 0)
			return -1;
		if (accepting) {
			fd = accept_next(l, waiting, &wr->since_api);
			if (fd >= 0)
				return fd;
			if (fd == -2)
				return -1;
		}
		n = 0;
		if (accepting) {
			pfd[n].fd = l->pages;
			pfd[n].events = POLLIN;
			pfd[n++].revents = 0;
			if (l->api >= 0) {
				pfd[n].fd = l->api;
				pfd[n].events = POLLIN;
				pfd[n++].revents = 0;
			}
		}
		if (wr->n && wr->cc.fd >= 0) {
			pfd[n].fd = wr->cc.fd;
			pfd[n].events = POLLIN;
			pfd[n++].revents = 0;
		}
		if (ppoll(pfd, n, wr->n ? &second : NULL, waiting) < 0 &&
		    errno != EINTR) {
			log_msg(LOG_LEVEL_ERROR, "accept", "poll failed: %s",
				strerror(errno));
			return -1;
		}
		/* The replies, if that is what woke us, are read at the top. */
	}
}

static int accepts_gzip(const char *ae)
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

static void send_finished(FCGX_Request *fr, const struct finished *f,
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

/*
 * Reads a request body to EOF and drops it: no page takes one, but a
 * body left unread makes the close a reset, and nginx then loses the
 * answer. Returns 0, or 413 when it was larger than QUIRE_MAX_BODY.
 */
static int drain_body(FCGX_Request *fr)
{
	char chunk[8192];
	size_t total = 0;
	int n;

	while (total <= DRAIN_CEILING &&
	       (n = FCGX_GetStr(chunk, sizeof(chunk), fr->in)) > 0)
		total += (size_t)n;
	return total > QUIRE_MAX_BODY ? 413 : 0;
}

/* The FastCGI parameters a request is answered from. */
struct params {
	const char *method;
	const char *uri;
	const char *accept_encoding;
	const char *if_none_match;
	const char *content_length;
	const char *transfer_encoding;
	const char *authorization;
	const char *content_type;
	const char *if_match;
	const char *remote_addr;
};

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
};
#undef PARAM

/*
 * Reads the parameters above in one pass over envp: five FCGX_GetParam
 * calls scan the ~30 parameters five times, most of what a hit cost
 * beyond the no-op responder (tests/bench/RESULTS.md, callgrind).
 * The pointers live until the request is finished.
 */
static void read_params(char **envp, struct params *p)
{
	size_t i;
	char *e;

	memset(p, 0, sizeof(*p));
	for (; envp && (e = *envp); envp++) {
		if (e[0] != 'R' && e[0] != 'H' && e[0] != 'C')
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

/* True when a header quire reads is longer than QUIRE_MAX_HEADER (nginx
 * bounds them too; this keeps quire's own promise without it). */
static int header_too_long(const struct params *p)
{
	const char *const v[] = { p->accept_encoding, p->if_none_match,
				  p->if_match, p->authorization, p->content_type };
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (v[i] && strnlen(v[i], QUIRE_MAX_HEADER + 1) > QUIRE_MAX_HEADER)
			return 1;
	return 0;
}

/* True when the request may carry a body (RFC 9112 §6.3). */
static int has_body(const struct params *p)
{
	const char *clen = p->content_length, *te = p->transfer_encoding;

	return (clen && clen[0] && strcmp(clen, "0") != 0) || (te && te[0]);
}

/* Answers status with a short body, uncached. */
static void send_plain(FCGX_Request *fr, int status, int is_head,
		       const char *allow)
{
	struct response r;
	struct finished *f;

	response_init(&r);
	response_plain(&r, status);
	r.allow = allow;
	if (response_finish(&r, getpid(), 0, &f) == QUIRE_OK) {
		send_finished(fr, f, is_head, 0, NULL);
		finished_free(f);
	}
	response_release(&r);
}

/*
 * Reads an API request's body into b, at most max bytes. Returns 0, or
 * 413 when it is larger (what CONTENT_LENGTH announced, or what came):
 * the rest is then drained, not kept.
 */
static int read_body(FCGX_Request *fr, const struct params *p, size_t max,
		     struct buf *b)
{
	char chunk[8192];
	int n;

	if (p->content_length && strtoull(p->content_length, NULL, 10) > max) {
		drain_body(fr);
		return 413;
	}
	while ((n = FCGX_GetStr(chunk, sizeof(chunk), fr->in)) > 0) {
		if (b->len + (size_t)n > max) {
			drain_body(fr);
			return 413;
		}
		buf_append(b, chunk, (size_t)n);
	}
	return buf_failed(b) ? 500 : 0;
}

/* Sends resp (finished once, uncached). */
static void send_response(FCGX_Request *fr, struct response *resp, int is_head)
{
	struct finished *f;

	if (response_finish(resp, getpid(), 0, &f) != QUIRE_OK) {
		send_plain(fr, 500, is_head, NULL);
		return;
	}
	send_finished(fr, f, is_head, 0, NULL);
	finished_free(f);
}

/* Answers parked write i from r and forgets it. */
static void writes_finish(struct writes *wr, size_t i,
			  const struct commit_reply *r)
{
	struct parked *pk = &wr->v[i];
	struct response resp;

	response_init(&resp);
	page_api_answer(pk->w, r, &resp);
	send_response(pk->fr, &resp, pk->is_head);
	response_release(&resp);
	FCGX_Detach(pk->fr);
	FCGX_Finish_r(pk->fr);
	free(pk->fr);
	commit_request_release(pk->w);
	free(pk->w);
	wr->v[i] = wr->v[--wr->n];
}

static void writes_on_reply(void *ctx, const struct commit_reply *r)
{
	struct writes *wr = ctx;
	size_t i;

	for (i = 0; i < wr->n; i++)
		if (wr->v[i].w->id == r->id) {
			writes_finish(wr, i, r);
			return;
		}
	/* Not parked (any more): timed out and answered already. */
}

/* Answers write i as unknown: it may or may not have committed. */
static void writes_unknown(struct writes *wr, size_t i, const char *why)
{
	struct commit_reply r;

	memset(&r, 0, sizeof(r));
	r.id = wr->v[i].w->id;
	r.rc = QUIRE_EIO;
	snprintf(r.message, sizeof(r.message), "%s", why);
	writes_finish(wr, i, &r);
}

static void writes_fail_all(struct writes *wr, const char *why)
{
	while (wr->n)
		writes_unknown(wr, wr->n - 1, why);
}

static void writes_expire(struct writes *wr)
{
	double now = quire_now_ms();
	size_t i = 0;

	while (i < wr->n) {
		if (now - wr->v[i].since > WORKER_WRITE_TIMEOUT_MS) {
			writes_unknown(wr, i, "the committer did not answer in time");
			continue;
		}
		i++;
	}
}

/*
 * Hands write w to the committer and parks fr (returns 1); without a
 * committer (no master) commits it here; when the committer cannot be
 * reached, answers 503 (returns 0 either way).
 */
static int commit_write(FCGX_Request *fr, struct app *app, struct writes *wr,
			struct commit_request *w, int is_head,
			struct response *resp)
{
	struct commit_reply r;
	unsigned epoch = wr->cc.epoch;

	if (commit_client_enabled(&wr->cc)) {
		if (commit_client_send(&wr->cc, w) == QUIRE_OK) {
			/* Sent on a new connection (the last one broke under
			 * the send): what was parked on the old one will never
			 * be answered there, and would wait out its timeout. */
			if (wr->cc.epoch != epoch)
				writes_fail_all(wr, "the committer went away");
			wr->v[wr->n].fr = fr;
			wr->v[wr->n].w = w;
			wr->v[wr->n].is_head = is_head;
			wr->v[wr->n].since = quire_now_ms();
			wr->n++;
			return 1;
		}
		memset(&r, 0, sizeof(r));
		r.rc = QUIRE_EIO;
		snprintf(r.message, sizeof(r.message), "the committer is unreachable");
	} else {
		commit_one(app->tiers, w, &r);
	}
	page_api_answer(w, &r, resp);
	commit_request_release(w);
	free(w);
	return 0;
}

/* "/api/...": any method, a body, never cached. Returns 1 when fr is
 * parked until the committer answers. */
static int handle_api(FCGX_Request *fr, struct app *app, struct request *req,
		      const struct params *p, struct writes *wr)
{
	struct commit_request *w = NULL;
	struct buf body = BUF_INIT;
	struct response resp;
	int status, parked = 0;

	response_init(&resp);
	status = uri_parse(p->uri, &req->uri);
	if (status == 200 && has_body(p))
		status = read_body(fr, p, app->cfg->max_body, &body);
	else if (has_body(p))
		drain_body(fr); /* the answer must not be lost to a reset */
	if (status != 200 && status != 0) {
		response_plain(&resp, status);
		send_response(fr, &resp, 0);
		goto out;
	}
	req->app = app;
	req->is_head = p->method && strcmp(p->method, "HEAD") == 0;
	req->method = p->method;
	req->authorization = p->authorization;
	req->content_type = p->content_type;
	req->if_match = p->if_match;
	req->if_none_match = p->if_none_match;
	req->query = strchr(p->uri, '?');
	if (req->query)
		req->query++;
	req->body = body.data ? body.data : "";
	req->body_len = body.len;
	page_api(req, &resp, &w);
	if (w)
		parked = commit_write(fr, app, wr, w, req->is_head, &resp);
	if (!parked)
		send_response(fr, &resp, req->is_head);
out:
	response_release(&resp);
	buf_release(&body);
	return parked;
}


/* A page rendered on a miss, to compress and cache after the answer. */
struct later {
	struct response resp;
	struct finished *f;     /* NULL: nothing to do */
	char key[QUIRE_MAX_URI + 32];
	size_t keylen;
};

static void finish_later(struct later *later, struct cache *l1)
{
	if (!later->f)
		return;
	response_add_gzip(&later->resp, later->f, getpid()); /* identity only on failure */
	cache_put(l1, later->key, later->keylen, later->f, later->f->size);
	response_release(&later->resp);
	later->f = NULL;
}

/* Counts an L1 miss answered in the histogram of the tier its post body
 * came from (metrics.h): the answer is written, the gzip copy and the
 * cache fill come after and are not in it. */
static void observe_miss(struct app *app, double accepted)
{
	int from = app->tiers ? tiers_take_fetched_from(app->tiers) : 0;

	metrics_observe(from == 2 ? HIST_MISS_L2 : from == 3 ? HIST_MISS_L3 :
			HIST_MISS_NONE, (quire_now_ms() - accepted) * 1000.0);
}

/* Answers fr; returns 1 when it was parked instead (a write). */
static int handle(FCGX_Request *fr, struct app *app, struct cache *l1,
		  struct request *req, struct later *later, struct writes *wr,
		  int *l1_miss)
{
	const char *method, *raw, *ae, *inm;
	struct params p;
	char key[QUIRE_MAX_URI + 32], esc[256];
	struct finished *f, *stale;
	struct response resp;
	size_t keylen;
	int is_head, gzip_ok, status;

	read_params(fr->envp, &p);
	if (header_too_long(&p)) {
		if (has_body(&p))
			drain_body(fr);
		send_plain(fr, 400, 0, NULL);
		return 0;
	}
	if (p.uri && strncmp(p.uri, "/api/", 5) == 0)
		return handle_api(fr, app, req, &p, wr);
	method = p.method;
	raw = p.uri;
	ae = p.accept_encoding;
	inm = p.if_none_match;
	is_head = method && strcmp(method, "HEAD") == 0;
	if (has_body(&p) && drain_body(fr) == 413) {
		send_plain(fr, 413, is_head, NULL);
		return 0;
	}
	if (!method || (!is_head && strcmp(method, "GET") != 0)) {
		send_plain(fr, 405, 0, "GET, HEAD");
		return 0;
	}
	/* Raw URIs are keys as they are when they are already canonical, so
	 * most hits skip decoding. */
	gzip_ok = accepts_gzip(ae);
	if (raw && (f = cache_get(l1, raw, strlen(raw))) && !f->stale) {
		send_finished(fr, f, is_head, gzip_ok, inm);
		metrics_add(METRIC_L1_HITS, 1);
		return 0;
	}
	status = uri_parse(raw, &req->uri);
	if (status != 200) {
		log_msg(LOG_LEVEL_INFO, "bad_request", "status=%d uri=\"%s\"",
			status, log_escape(raw, esc, sizeof(esc)));
		send_plain(fr, status, is_head, NULL);
		return 0;
	}
	keylen = uri_cache_key(&req->uri, key, sizeof(key));
	stale = NULL;
	if (keylen && (f = cache_get(l1, key, keylen))) {
		if (!f->stale) {
			send_finished(fr, f, is_head, gzip_ok, inm);
			metrics_add(METRIC_L1_HITS, 1);
			return 0;
		}
		stale = f;
	}
	metrics_add(METRIC_L1_MISSES, 1);
	*l1_miss = 1;
	if (app->tiers)
		(void)tiers_take_fetched_from(app->tiers); /* this miss's alone */

	if (app_site_ready(app, time(NULL)) != QUIRE_OK) {
		send_plain(fr, 503, is_head, NULL);
		FCGX_Detach(fr);
		FCGX_Finish_r(fr);
		_exit(1); /* the master starts a fresh worker from the tiers */
	}
	req->app = app;
	req->is_head = is_head;
	req->n_params = 0;
	req->remote_addr = p.remote_addr;
	response_init(&resp);
	status = route_dispatch(req, &resp);
	if (status >= 500 && stale) {
		log_msg(LOG_LEVEL_WARN, "stale", "status=%d; serving the stale copy of "
			"\"%s\"", status, log_escape(key, esc, sizeof(esc)));
		send_finished(fr, stale, is_head, gzip_ok, inm);
		metrics_add(METRIC_STALE_SERVED, 1);
		response_release(&resp);
		return 0;
	}
	if (status >= 500)
		response_plain(&resp, status);
	if (response_finish(&resp, getpid(), 0, &f) != QUIRE_OK) {
		response_release(&resp);
		send_plain(fr, 500, is_head, NULL);
		return 0;
	}
	/* Identity now, even to a client that takes gzip: compressing can
	 * wait until the answer is out (RFC 9110 §12.5.3 lets us choose). */
	send_finished(fr, f, is_head, gzip_ok, inm);
	if (resp.cacheable && f->status == 200 && keylen) {
		/* Compressed and cached once the request is finished. */
		later->resp = resp;
		later->f = f;
		memcpy(later->key, key, keylen);
		later->keylen = keylen;
		return 0;
	}
	finished_free(f);
	if (stale) /* gone, say (a 404 now): the old copy must go too */
		cache_remove(l1, key, keylen);
	response_release(&resp);
	return 0;
}

/* Marks touched pages stale rather than dropping them: the next request
 * rebuilds them, and if the tiers fail then, the stale copy is served
 * instead of an error. */
struct mark_ctx {
	const struct touch *t;
	size_t marked;
};

static void mark_stale(const char *key, void *value, void *ctx)
{
	struct mark_ctx *m = ctx;
	struct finished *f = value;

	if (!f->stale && touch_page(m->t, key)) {
		f->stale = 1;
		m->marked++;
	}
}

/* Applies what the subscriber queued. A worker that cannot apply an
 * update exits: the master starts a fresh one from the tiers. */
static void apply_updates(struct app *app, struct cache *l1, struct sub *sub)
{
	struct sub_update *u, *next;
	struct mark_ctx m;
	struct touch t;

	for (u = sub_take(sub); u; u = next) {
		next = u->next;
		/* Match on the update and the index the cached pages were
		 * made from, before app_apply takes its posts. */
		touch_begin(&t, app->site, u);
		m.t = &t;
		m.marked = 0;
		metrics_add(u->all ? METRIC_FULL_RELOADS : METRIC_INVALIDATIONS, 1);
		cache_foreach(l1, mark_stale, &m);
		touch_end(&t);
		if (app_apply(app, u, time(NULL)) != QUIRE_OK) {
			log_msg(LOG_LEVEL_ERROR, "invalidate",
				"cannot apply generation %lld; restarting", u->generation);
			_exit(1);
		}
		log_msg(LOG_LEVEL_DEBUG, "invalidate", "generation=%lld stale=%zu",
			u->generation, m.marked);
		sub_update_free(u);
	}
}

/* Logs what this worker did, with the CPU time (user and system) it spent
 * a request: the worker's own measure of the cost of the hot path. */
static void log_stop(const struct cache *l1, unsigned long requests)
{
	struct rusage ru;
	double cpu_us = 0;

	if (getrusage(RUSAGE_SELF, &ru) == 0)
		cpu_us = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
			 (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
	log_msg(LOG_LEVEL_INFO, "worker_stop",
		"requests=%lu hits=%lu misses=%lu evictions=%lu cpu_us=%.0f "
		"cpu_us_per_request=%.2f", requests, l1->hits, l1->misses,
		l1->evictions, cpu_us, requests ? cpu_us / (double)requests : 0.0);
}

/* A request for libfcgi to fill, or NULL. */
static FCGX_Request *request_new(void)
{
	FCGX_Request *fr = calloc(1, sizeof(*fr));

	/* No listening socket for libfcgi: it must never accept by itself. */
	if (fr && FCGX_InitRequest(fr, -1, 0) != 0) {
		free(fr);
		return NULL;
	}
	return fr;
}

int worker_run(struct app *app, const struct listeners *l, int committer_fd)
{
	FCGX_Request *fr = NULL;
	struct writes *wr;
	struct cache l1;
	struct request *req;
	struct later later;
	struct sub sub;
	sigset_t waiting;
	unsigned long requests = 0, seen_epoch = 0;
	int rc = 0, fd, parked, l1_miss;
	double accepted, born = quire_now_ms();

	/* A worker outlives no master: the master's death stops it. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0)
		log_msg(LOG_LEVEL_WARN, "worker", "prctl failed: %s", strerror(errno));
	if (install_signals(&waiting) < 0) {
		log_msg(LOG_LEVEL_ERROR, "worker", "signals: %s", strerror(errno));
		return 1;
	}
	memset(&sub, 0, sizeof(sub));
	memset(&later, 0, sizeof(later));
	req = calloc(1, sizeof(*req));
	wr = calloc(1, sizeof(*wr));
	if (!req || !wr || FCGX_Init() != 0 || !(fr = request_new())) {
		free(req);
		free(wr);
		log_msg(LOG_LEVEL_ERROR, "worker", "libfcgi initialisation failed");
		return 1;
	}
	commit_client_init(&wr->cc, committer_fd);
	cache_init(&l1, app->cfg->cache_bytes, finished_free);
	metrics_claim();
	metrics_add(METRIC_WORKER_STARTS, 1);
	if (tiers_configured(app->cfg)) {
		app->tiers = tiers_new(app->cfg);
		if (!app->tiers) {
			free(req);
			free(wr);
			free(fr);
			return 1;
		}
	}
	/* Warm before the first request, not on it: the Redis connection,
	 * the compressor, the heap (the pages shared with the master are
	 * copied, WORKER_WARM_HEAP more faulted in). The first requests of
	 * a fresh worker took 2-17 ms on an L1 miss, against < 1 ms after. */
	if (app->tiers)
		tiers_warm(app->tiers);
	if (response_gzip_begin() != QUIRE_OK)
		log_msg(LOG_LEVEL_WARN, "worker", "out of memory for the compressor");
	prefault_heap(WORKER_WARM_HEAP);
	if (app->cfg->redis_url && *app->cfg->redis_url &&
	    sub_start(&sub, app->cfg, app->generation) != QUIRE_OK)
		log_msg(LOG_LEVEL_ERROR, "worker", "cannot start the subscriber thread");
	log_msg(LOG_LEVEL_INFO, "worker_start", "cache_mb=%zu generation=%lld "
		"ready_ms=%.1f", app->cfg->cache_bytes / (1024 * 1024),
		app->generation, quire_now_ms() - born);

	while ((fd = next_connection(l, &waiting, wr)) >= 0) {
		accepted = quire_now_ms();
		l1_miss = 0;
		fr->ipcFd = fd;
		fr->keepConnection = 1; /* so the Finish inside Accept keeps fd */
		if (FCGX_Accept_r(fr) < 0)
			continue; /* libfcgi closed a connection that broke */
		if (sub.running && atomic_load(&sub.epoch) != seen_epoch) {
			seen_epoch = atomic_load(&sub.epoch);
			apply_updates(app, &l1, &sub);
		}
		if (app_refresh_schedule(app, time(NULL)))
			cache_clear(&l1);
		parked = handle(fr, app, &l1, req, &later, wr, &l1_miss);
		requests++;
		metrics_add(METRIC_REQUESTS, 1);
		if (parked) {
			/* fr waits for the committer; the next one is new. */
			if (!(fr = request_new())) {
				log_msg(LOG_LEVEL_ERROR, "worker", "out of memory");
				stopping = 1;
			}
			continue;
		}
		/* Closing at once instead of shutting down and waiting for the
		 * web server to close (stock FCGX_Finish_r): the body, if any,
		 * was read to EOF in handle(), so nothing is left unread. */
		FCGX_Detach(fr);
		FCGX_Finish_r(fr);
		if (l1_miss)
			observe_miss(app, accepted);
		finish_later(&later, &l1);
	}
	if (!stopping)
		rc = 1;
	log_stop(&l1, requests);
	sub_stop(&sub);
	tiers_free(app->tiers);
	app->tiers = NULL;
	cache_clear(&l1);
	response_gzip_end();
	view_scratch_end();
	if (fr) {
		FCGX_Free(fr, 1);
		free(fr);
	}
	commit_client_close(&wr->cc);
	buf_release(&wr->cc.in);
	buf_release(&wr->cc.out);
	free(wr);
	free(req);
	return rc;
}
