/*
 * worker.c - one worker's request loop
 *
 * Single-threaded: the loop alone owns the L1, so the hot path takes no
 * lock. A request for a page already in L1 is one hash lookup and one
 * write. Everything else walks uri -> route -> handler -> response and
 * is cached when the handler says so.
 *
 * The rest of a worker is in worker_accept.c (the connections),
 * worker_io.c (a request's FastCGI I/O) and worker_writes.c (the API's
 * writes parked for the committer); worker_private.h is what they share.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
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
#include "serve/page_search.h"
#include "serve/response.h"
#include "serve/route.h"
#include "serve/sub.h"
#include "serve/touch.h"
#include "serve/view.h"
#include "serve/worker.h"
#include "serve/worker_private.h"
#include "tiers/search.h"
#include "tiers/tiers.h"
#include "tiers/tiers_store.h"
#include "write/auth.h"
#include "write/commit_client.h"
#include "write/commit_reload.h"

/* Heap faulted in at start beyond what the worker holds: what a few
 * hundred L1 fills take, so they fault nothing. */
#define WORKER_WARM_HEAP (8 * 1024 * 1024)

/* "/api/...": any method, a body, never cached. Whether it may go on
 * is decided from its parameters, before its body is read: a refused
 * request's body is drained, never held (DESIGN §7). Returns 1 when fr
 * is parked until the committer answers. */
static int handle_api(FCGX_Request *fr, struct app *app, struct request *req,
		      const struct params *p, struct writes *wr)
{
	struct commit_request *w = NULL;
	struct buf body = BUF_INIT;
	struct response resp;
	char token[AUTH_ID_LEN + 1];
	int status, parked = 0;

	response_init(&resp);
	req->app = app;
	req->is_head = p->method && strcmp(p->method, "HEAD") == 0;
	req->method = p->method;
	req->authorization = p->authorization;
	req->content_type = p->content_type;
	req->if_match = p->if_match;
	req->if_none_match = p->if_none_match;
	req->remote_addr = p->remote_addr;
	req->token_id = NULL;
	status = uri_parse(p->uri, &req->uri);
	if (status != 200)
		response_plain(&resp, status);
	else
		status = page_api_auth(req, &resp, token);
	if (status != 200) {
		worker_io_refuse(fr, p, &resp, req->is_head);
		goto out;
	}
	req->token_id = token;
	if (worker_io_has_body(p))
		status = worker_io_read_body(fr, p, app->cfg->max_body, &body);
	if (status != 200 && status != 0) {
		response_plain(&resp, status);
		worker_io_send_response(fr, &resp, 0);
		goto out;
	}
	req->query = strchr(p->uri, '?');
	if (req->query)
		req->query++;
	req->body = body.data ? body.data : "";
	req->body_len = body.len;
	page_api(req, &resp, &w);
	if (w) {
		snprintf(w->token_id, sizeof(w->token_id), "%s", token);
		log_escape(p->remote_addr ? p->remote_addr : "", w->addr,
			   sizeof(w->addr));
		parked = worker_writes_commit(fr, app, wr, w, req->is_head, &resp);
	}
	if (!parked)
		worker_io_send_response(fr, &resp, req->is_head);
out:
	req->token_id = NULL; /* token is this frame's */
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

	worker_io_read_params(fr->envp, &p);
	if (worker_io_header_too_long(&p)) {
		if (worker_io_has_body(&p))
			worker_io_drain_body(fr);
		worker_io_send_plain(fr, 400, 0, NULL);
		return 0;
	}
	if (p.uri && strncmp(p.uri, "/api/", 5) == 0)
		return handle_api(fr, app, req, &p, wr);
	method = p.method;
	raw = p.uri;
	ae = p.accept_encoding;
	inm = p.if_none_match;
	is_head = method && strcmp(method, "HEAD") == 0;
	if (worker_io_has_body(&p) && worker_io_drain_body(fr) == 413) {
		worker_io_send_plain(fr, 413, is_head, NULL);
		return 0;
	}
	if (!method || (!is_head && strcmp(method, "GET") != 0)) {
		worker_io_send_plain(fr, 405, 0, "GET, HEAD");
		return 0;
	}
	/* Raw URIs are keys as they are when they are already canonical, so
	 * most hits skip decoding. */
	gzip_ok = worker_io_accepts_gzip(ae);
	if (raw && (f = cache_get(l1, raw, strlen(raw))) && !f->stale) {
		worker_io_send_finished(fr, f, is_head, gzip_ok, inm);
		metrics_add(METRIC_L1_HITS, 1);
		return 0;
	}
	status = uri_parse(raw, &req->uri);
	if (status != 200) {
		log_msg(LOG_LEVEL_INFO, "bad_request", "status=%d uri=\"%s\"",
			status, log_escape(raw, esc, sizeof(esc)));
		worker_io_send_plain(fr, status, is_head, NULL);
		return 0;
	}
	keylen = uri_cache_key(&req->uri, key, sizeof(key));
	stale = NULL;
	if (keylen && (f = cache_get(l1, key, keylen))) {
		if (!f->stale) {
			worker_io_send_finished(fr, f, is_head, gzip_ok, inm);
			metrics_add(METRIC_L1_HITS, 1);
			return 0;
		}
		stale = f;
	}
	metrics_add(METRIC_L1_MISSES, 1);
	*l1_miss = 1;
	if (app->tiers)
		(void)tiers_take_fetched_from(app->tiers); /* this miss's alone */

	if (app_site_ready(app, app_now(app)) != QUIRE_OK) {
		worker_io_send_plain(fr, 503, is_head, NULL);
		worker_io_close(fr);
		_exit(1); /* the master starts a fresh worker from the tiers */
	}
	req->app = app;
	req->is_head = is_head;
	req->n_params = 0;
	/* The raw query, for handlers that read more than uri.c keeps (a
	 * preview link's exp and sig): valid until the request ends. */
	req->query = raw ? strchr(raw, '?') : NULL;
	if (req->query)
		req->query++;
	req->metrics_allowed = p.quire_metrics && strcmp(p.quire_metrics, "1") == 0;
	req->query = raw ? strchr(raw, '?') : NULL;
	if (req->query)
		req->query++;
	response_init(&resp);
	status = route_dispatch(req, &resp);
	if (status >= 500 && stale) {
		log_msg(LOG_LEVEL_WARN, "stale", "status=%d; serving the stale copy of "
			"\"%s\"", status, log_escape(key, esc, sizeof(esc)));
		worker_io_send_finished(fr, stale, is_head, gzip_ok, inm);
		metrics_add(METRIC_STALE_SERVED, 1);
		response_release(&resp);
		return 0;
	}
	if (status >= 500 && !resp.own_error_body)
		response_plain(&resp, status);
	if (response_finish(&resp, getpid(), 0, &f) != QUIRE_OK) {
		response_release(&resp);
		worker_io_send_plain(fr, 500, is_head, NULL);
		return 0;
	}
	/* Identity now, even to a client that takes gzip: compressing can
	 * wait until the answer is out (RFC 9110 §12.5.3 lets us choose). */
	worker_io_send_finished(fr, f, is_head, gzip_ok, inm);
	if (resp.cacheable && f->status == 200 && keylen) {
		/* Compressed and cached once the request is finished. */
		later->resp = resp;
		later->f = f;
		memcpy(later->key, key, keylen);
		later->keylen = keylen;
		return 0;
	}
	response_finished_free(f);
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

/* Applies one update, and frees it. A worker that cannot apply an
 * update exits: the master starts a fresh one from the tiers. */
static void apply_update(struct app *app, struct cache *l1, struct sub_update *u)
{
	struct mark_ctx m;
	struct touch t;

	/* Match on the update and the index the cached pages were made
	 * from, before app_apply takes its posts. */
	touch_begin(&t, app->site, u);
	m.t = &t;
	m.marked = 0;
	metrics_add(u->all ? METRIC_FULL_RELOADS : METRIC_INVALIDATIONS, 1);
	cache_foreach(l1, mark_stale, &m);
	touch_end(&t);
	page_search_forget();
	if (app_apply(app, u, app_now(app)) != QUIRE_OK) {
		log_msg(LOG_LEVEL_ERROR, "invalidate",
			"cannot apply generation %lld; restarting", u->generation);
		_exit(1);
	}
	log_msg(LOG_LEVEL_DEBUG, "invalidate", "generation=%lld stale=%zu",
		u->generation, m.marked);
	sub_update_free(u);
}

/* Applies what the subscriber queued. */
static void apply_updates(struct app *app, struct cache *l1, struct sub *sub)
{
	struct sub_update *u, *next;

	for (u = sub_take(sub); u; u = next) {
		next = u->next;
		apply_update(app, l1, u);
	}
}

/* Without a master: this process's own writes that no announce brought
 * (worker_writes.c), under the generation it holds if that is later. */
static void apply_own(struct app *app, struct cache *l1, struct writes *wr)
{
	struct sub_update *u, *next;

	for (u = worker_writes_take_own(wr); u; u = next) {
		next = u->next;
		u->next = NULL;
		if (u->generation < app->generation)
			u->generation = app->generation;
		apply_update(app, l1, u);
	}
}

/*
 * Without a master (--workers 0) a write this process committed but
 * could not announce has nobody to reload the site for it: the process
 * reloads it itself from the tiers (PostgreSQL first, the truth), as a
 * master's reload would, every cached page marked stale. Asked at most
 * once every COMMIT_RELOAD_EVERY_MS while Redis is down (commit_reload.h).
 */
static void reload_self(struct app *app, struct cache *l1)
{
	struct sub_update *u = calloc(1, sizeof(*u));
	double t0 = quire_now_ms();

	if (!u || !app->tiers ||
	    tiers_load(app->tiers, &u->all, &u->generation) != QUIRE_OK) {
		log_msg(LOG_LEVEL_WARN, "reload", "cannot reload from the tiers; "
			"serving what is loaded");
		free(u);
		return;
	}
	log_msg(LOG_LEVEL_INFO, "reload", "generation=%lld posts=%zu load_ms=%.1f "
		"(no master: this process)", u->generation, u->all->n,
		quire_now_ms() - t0);
	apply_update(app, l1, u);
}

/* Search through PostgreSQL when it is configured (the worker's own
 * connection, tiers.h); else, with no tier at all, an FTS5 index of the
 * loaded content, built on a thread while the worker serves. With Redis
 * alone there is neither: the search page says it is unavailable. */
static void start_search(struct app *app)
{
	enum quire_err rc = QUIRE_OK;

	app->search = NULL;
	if (app->cfg->database_url && *app->cfg->database_url && app->tiers)
		rc = search_new_pg(app->tiers, &app->search);
	else if (!tiers_configured(app->cfg))
		rc = search_new_embedded(app->content, app->cfg->site_language,
					 &app->search);
	if (rc != QUIRE_OK)
		log_msg(LOG_LEVEL_WARN, "worker", "no search: out of memory");
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

int worker_run(struct app *app, const struct listeners *l, int committer_fd)
{
	FCGX_Request *fr = NULL;
	struct writes *wr;
	struct cache l1;
	struct request *req;
	struct later later;
	struct sub sub;
	struct sub_update *u, *own_next;
	sigset_t waiting;
	unsigned long requests = 0, seen_epoch = 0;
	int rc = 0, fd, parked, l1_miss;
	double accepted, born = quire_now_ms();

	/* A worker outlives no master: the master's death stops it. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0)
		log_msg(LOG_LEVEL_WARN, "worker", "prctl failed: %s", strerror(errno));
	if (worker_accept_init(&waiting) < 0) {
		log_msg(LOG_LEVEL_ERROR, "worker", "signals: %s", strerror(errno));
		return 1;
	}
	memset(&sub, 0, sizeof(sub));
	memset(&later, 0, sizeof(later));
	req = calloc(1, sizeof(*req));
	wr = calloc(1, sizeof(*wr));
	if (!req || !wr || FCGX_Init() != 0 || !(fr = worker_io_request_new())) {
		free(req);
		free(wr);
		log_msg(LOG_LEVEL_ERROR, "worker", "libfcgi initialisation failed");
		return 1;
	}
	commit_client_init(&wr->cc, committer_fd);
	cache_init(&l1, app->cfg->cache_bytes, response_finished_free);
	metrics_claim();
	metrics_add(METRIC_WORKER_STARTS, 1);
	if (tiers_configured(app->op)) {
		app->tiers = tiers_new(app->op);
		if (!app->tiers) {
			free(req);
			free(wr);
			free(fr);
			return 1;
		}
	}
	/* A write committed here (no committer) whose announce fails asks
	 * the master for a reload: the parent, when there is a master
	 * (--workers > 0); never with --workers 0, whose parent is whatever
	 * started it (a shell, spawn-fcgi, systemd). */
	commit_reload_init(&wr->reload, app->cfg->workers > 0 ? getppid() : 0,
			   app->cfg->redis_url && *app->cfg->redis_url);
	wr->tiers = app->tiers;
	wr->app = app;
	/* Its own writer (no committer): what a writer before it owed
	 * Redis is not known here, so it is compared anew. */
	if (committer_fd < 0 && app->auth && app->tiers)
		tiers_owe_check(app->tiers);
	/* Warm before the first request, not on it: the Redis connection,
	 * the compressor, the heap (the pages shared with the master are
	 * copied, WORKER_WARM_HEAP more faulted in). The first requests of
	 * a fresh worker took 2-17 ms on an L1 miss, against < 1 ms after. */
	if (app->tiers)
		tiers_warm(app->tiers);
	start_search(app);
	if (response_gzip_begin() != QUIRE_OK)
		log_msg(LOG_LEVEL_WARN, "worker", "out of memory for the compressor");
	prefault_heap(WORKER_WARM_HEAP);
	if (app->cfg->redis_url && *app->cfg->redis_url) {
		if (sub_start(&sub, app->op, app->generation,
			      app->fallback) == QUIRE_OK)
			app->sub = &sub;
		else
			log_msg(LOG_LEVEL_ERROR, "worker", "cannot start the subscriber thread");
	}
	/* Scheduled posts come due by Redis's clock, not this host's
	 * (DESIGN §13, "Clock skew"): read it before the first request. */
	if (app->sub && app->tiers &&
	    sub_measure_clock(&sub, app->tiers) != QUIRE_OK)
		log_msg(LOG_LEVEL_WARN, "clock", "cannot read Redis's clock yet: "
			"scheduled posts are due by this host's until it can");
	log_msg(LOG_LEVEL_INFO, "worker_start", "cache_mb=%zu generation=%lld "
		"ready_ms=%.1f", app->cfg->cache_bytes / (1024 * 1024),
		app->generation, quire_now_ms() - born);

	while ((fd = worker_accept_connection(l, &waiting, wr)) >= 0) {
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
		if (commit_reload_take_self(&wr->reload))
			reload_self(app, &l1);
		apply_own(app, &l1, wr);
		if (app_refresh_schedule(app, app_now(app))) {
			cache_clear(&l1);
			page_search_forget();
		}
		parked = handle(fr, app, &l1, req, &later, wr, &l1_miss);
		requests++;
		metrics_add(METRIC_REQUESTS, 1);
		if (parked) {
			/* fr waits for the committer; the next one is new. */
			if (!(fr = worker_io_request_new())) {
				log_msg(LOG_LEVEL_ERROR, "worker", "out of memory");
				worker_accept_stopping = 1;
			}
			continue;
		}
		/* The body, if any, was read to EOF in handle(). */
		worker_io_close(fr);
		if (l1_miss)
			observe_miss(app, accepted);
		finish_later(&later, &l1);
	}
	if (!worker_accept_stopping)
		rc = 1;
	log_stop(&l1, requests);
	app->sub = NULL;
	sub_stop(&sub);
	search_free(app->search);
	app->search = NULL;
	page_search_forget();
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
	for (u = worker_writes_take_own(wr); u; u = own_next) {
		own_next = u->next;
		sub_update_free(u);
	}
	buf_release(&wr->cc.in);
	buf_release(&wr->cc.out);
	free(wr);
	free(req);
	return rc;
}
