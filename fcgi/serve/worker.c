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
#include <sys/eventfd.h>
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
#include "lib/site_clock.h"
#include "serve/app.h"
#include "serve/cache.h"
#include "serve/edge.h"
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
#include "tiers/tiers_floor.h"
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

/* The request being answered was marked: close it only once nginx
 * stored it (worker_io_close_stored). The loop's alone. */
static int edge_marked;

/*
 * Sends a page, marked for nginx to keep (X-Accel-Expires, which nginx
 * strips) when it may (DESIGN §6, "The edge cache"): nginx gave its key
 * (a GET it may keep), the page is a 200 the L1 keeps (f not a stale
 * copy), not HEAD, not a 304, the variant the key names is at hand (a
 * gzip key waits for the gzip bytes, which a miss makes after), and the
 * key is in the host's log, so a change purges it.
 */

static void send_page(FCGX_Request *fr, struct app *app, const struct finished *f,
		      int is_head, int gzip_ok, const char *inm,
		      const char *edge_key, const char *l1key)
{
	static const char mark[] = "X-Accel-Expires: 31536000\r\n";

	if (edge_key && edge_caching(app->edge) && f->status == 200 &&
	    !f->stale && !is_head && !(inm && *inm) &&
	    (!gzip_ok || f->gzip.data) && edge_note(app->edge, edge_key, l1key)) {
		FCGX_PutStr(mark, (int)sizeof(mark) - 1, fr->out);
		edge_marked = 1;
	}
	worker_io_send_finished(fr, f, is_head, gzip_ok, inm);
}

/* A cacheable page's headers for a CDN, when the site asks for them:
 * its Surrogate-Key names the post whose own page it is, else "list". */
static void cdn_headers(struct app *app, struct response *resp, const char *key,
			size_t keylen)
{
	const struct post *p;

	if (app->cfg->cdn_max_age <= 0 || !resp->cacheable || !keylen ||
	    resp->status != 200)
		return;
	p = app->site ? site_path(app->site, key) : NULL;
	resp->cdn_max_age = app->cfg->cdn_max_age;
	resp->built = time(NULL);
	if (p)
		snprintf(resp->surrogate, sizeof(resp->surrogate), "quire post/%s",
			 p->slug);
	else
		snprintf(resp->surrogate, sizeof(resp->surrogate), "quire list");
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
		send_page(fr, app, f, is_head, gzip_ok, inm, p.edge_key, raw);
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
			send_page(fr, app, f, is_head, gzip_ok, inm, p.edge_key,
				  key);
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
	response_init(&resp);
	/* A site not known to be current answers nothing: a post written
	 * since the master's copy would be a 404, a lie (DESIGN §8). */
	if (app->unsure && route_needs_site(req->uri.path)) {
		status = 503;
		response_plain(&resp, status);
		resp.retry_after = 1;
	} else {
		status = route_dispatch(req, &resp);
	}
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
	cdn_headers(app, &resp, key, keylen);
	if (response_finish(&resp, getpid(), 0, &f) != QUIRE_OK) {
		response_release(&resp);
		worker_io_send_plain(fr, 500, is_head, NULL);
		return 0;
	}
	/* Identity now, even to a client that takes gzip: compressing can
	 * wait until the answer is out (RFC 9110 §12.5.3 lets us choose). */
	if (resp.cacheable && keylen)
		send_page(fr, app, f, is_head, gzip_ok, inm, p.edge_key, key);
	else
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
	edge_touch(app->edge, &t);
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

/* Applies what the subscriber queued, then purges what it touched from
 * nginx's cache (and the CDN's): only once that is done may the
 * subscriber acknowledge the generation (DESIGN §6, "The edge cache").
 * Every answer made from the older version was finished before this,
 * a marked one only once nginx had stored it, so none is stored after
 * the purge. */
static void apply_updates(struct app *app, struct cache *l1, struct sub *sub)
{
	struct sub_update *u, *next;

	for (u = sub_take(sub); u; u = next) {
		next = u->next;
		apply_update(app, l1, u);
	}
	if (app->edge && edge_flush(app->edge) == QUIRE_OK)
		atomic_store(&sub->purged, app->generation);
}

/* A scheduled post came due: every page nginx kept may list it. */
static void edge_owe_everything(struct edge *e)
{
	struct touch t;

	if (!e)
		return;
	memset(&t, 0, sizeof(t));
	t.everything = 1;
	edge_touch(e, &t);
}

/* Purges what is owed outside an update (this process's own writes, a
 * scheduled post, a failed purge): at most once a second, as a purge
 * that fails may wait for its timeout. */
static void edge_retry(struct app *app, double *tried)
{
	if (!edge_owes(app->edge) || quire_now_ms() - *tried < 1000)
		return;
	*tried = quire_now_ms();
	(void)edge_flush(app->edge);
}

/* Applies the updates queued since seen_epoch, if the epoch moved. */
static void take_updates(struct app *app, struct cache *l1, struct sub *sub,
			 unsigned long *seen_epoch)
{
	if (sub->running && atomic_load(&sub->epoch) != *seen_epoch) {
		*seen_epoch = atomic_load(&sub->epoch);
		apply_updates(app, l1, sub);
	}
}

/*
 * The edge cache and the CDN's hook at a worker's start: what nginx kept
 * may be older than what this worker loaded (no worker of the host may
 * have heard of a change meanwhile), so every key in the log is purged,
 * and the hook asked for everything. Returns the eventfd the subscriber
 * wakes the loop with (-1: no edge), and in *purged the generation
 * purged for (0: the purge failed; the subscriber asks again).
 */
static int edge_start(struct app *app, long long *purged)
{
	int fd;

	*purged = 0;
	if (edge_open(app->op, &app->edge) != QUIRE_OK) {
		log_msg(LOG_LEVEL_ERROR, "edge", "cannot open the key log: no "
			"page is marked for nginx, nothing acknowledged");
		return -2;
	}
	if (!app->edge)
		return -1;
	fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (fd < 0) {
		log_msg(LOG_LEVEL_ERROR, "edge", "eventfd: %s", strerror(errno));
		return -2;
	}
	edge_touch_all(app->edge);
	if (edge_flush(app->edge) == QUIRE_OK)
		*purged = app->generation;
	return fd;
}

/* Without a master: this process's own writes that no announce brought
 * (worker_writes.c), under the generation it holds if that is later.
 * Committed, so PostgreSQL's versions: the floor (tiers_floor.h) takes
 * them, and Redis's older copies, the stores it refused, stay refused. */
static void apply_own(struct app *app, struct cache *l1, struct writes *wr,
		      struct tiers_floor *floor)
{
	struct sub_update *u, *next;
	size_t i;

	for (u = worker_writes_take_own(wr); u; u = next) {
		next = u->next;
		u->next = NULL;
		if (u->generation < app->generation)
			u->generation = app->generation;
		for (i = 0; i < u->n_gone; i++)
			tiers_floor_truth(floor, u->gone[i], NULL);
		for (i = 0; i < u->n_posts; i++)
			if (u->posts[i])
				tiers_floor_raise(floor, u->posts[i]->slug,
						  u->posts[i]->revision,
						  u->posts[i]->hash,
						  u->posts[i]->generation);
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

/* The worker's floor (tiers/tiers_floor.h), from the site it starts
 * with: it holds every version of it already, and a message's entry
 * from Redis older than one must not replace it. NULL: out of memory. */
static struct tiers_floor *floor_of(const struct app *app)
{
	struct tiers_floor *f = tiers_floor_new();
	const struct post *p;
	size_t i;

	for (i = 0; f && app->content && i < app->content->n; i++) {
		p = app->content->posts[i];
		tiers_floor_raise(f, p->slug, p->revision, p->hash,
				  p->generation);
	}
	return f;
}

/* A site not known to be current (app->unsure) with no subscriber to
 * load it (PostgreSQL alone): compared again at a request, at most once
 * a second (the subscriber does it otherwise, sub.c). */
static void confirm_again(struct app *app, double *at)
{
	if (quire_now_ms() < *at)
		return;
	*at = quire_now_ms() + 1000;
	tiers_try_now(app->tiers);
	if (app_confirm(app, app_now(app)) == QUIRE_ENOMEM) {
		log_msg(LOG_LEVEL_ERROR, "worker", "out of memory loading the site");
		_exit(1); /* the master starts a fresh worker */
	}
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
	struct tiers_floor *floor = NULL;
	sigset_t waiting;
	unsigned long requests = 0, seen_epoch = 0;
	double confirm_at = 0;
	int rc = 0, fd, parked, l1_miss, wake_fd;
	long long purged;
	double accepted, born = quire_now_ms(), edge_tried = 0;
	long long clock_offset;

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
		floor = app->tiers ? floor_of(app) : NULL;
		if (!floor) {
			tiers_free(app->tiers);
			app->tiers = NULL;
			free(req);
			free(wr);
			free(fr);
			return 1;
		}
		tiers_use_floor(app->tiers, floor);
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
	/* In the registry before the generation is compared, so before the
	 * first request: a change committed after the comparison then
	 * counts this worker among those that must acknowledge it, and its
	 * subscriber does once it holds the change. Registered only by the
	 * subscriber's first comparison, a worker served for a moment
	 * without being counted: a host started beside a live site served
	 * a deploy's post 404 after the deploy's "2/2" (the coherence
	 * checker, --hosts 2, seed 24). Without Redis, nothing to do. */
	if (app->tiers && app->cfg->redis_url && *app->cfg->redis_url) {
		char id[128];

		sub_worker_id(id, sizeof(id));
		(void)tiers_beat(app->tiers, id, app->generation);
	}
	/* The master's copy of the site may be long behind the tiers (its
	 * last load): compared, and loaded again, before the first request.
	 * With no tier answering, app->unsure until one does. */
	if (app_confirm(app, app_now(app)) == QUIRE_ENOMEM) {
		log_msg(LOG_LEVEL_ERROR, "worker", "out of memory loading the site");
		free(req);
		free(wr);
		free(fr);
		return 1;
	}
	start_search(app);
	if (response_gzip_begin() != QUIRE_OK)
		log_msg(LOG_LEVEL_WARN, "worker", "out of memory for the compressor");
	prefault_heap(WORKER_WARM_HEAP);
	wake_fd = edge_start(app, &purged);
	if (wake_fd == -2) {
		free(req);
		free(wr);
		free(fr);
		return 1; /* the master starts another: fail closed */
	}
	if (app->cfg->redis_url && *app->cfg->redis_url) {
		if (sub_start(&sub, app->op, floor, app->generation,
			      app->fallback || app->unsure, wake_fd,
			      purged) == QUIRE_OK)
			app->sub = &sub;
		else
			log_msg(LOG_LEVEL_ERROR, "worker", "cannot start the subscriber thread");
	}
	/* Scheduled posts come due by Redis's clock, not this host's
	 * (DESIGN §13, "Clock skew"): read it before the first request. */
	if (app->sub && app->tiers &&
	    sub_measure_clock(app->tiers) != QUIRE_OK)
		log_msg(LOG_LEVEL_WARN, "clock", "cannot read Redis's clock yet: "
			"scheduled posts are due by %s until it can",
			site_clock_load(&clock_offset) ? "the offset another "
			"worker of this pool measured" : "this host's clock");
	log_msg(LOG_LEVEL_INFO, "worker_start", "cache_mb=%zu generation=%lld "
		"ready_ms=%.1f", app->cfg->cache_bytes / (1024 * 1024),
		app->generation, quire_now_ms() - born);

	for (;;) {
		fd = worker_accept_connection(l, &waiting, wr,
					      sub.running ? wake_fd : -1);
		if (fd == -3) { /* the subscriber: apply and purge now */
			take_updates(app, &l1, &sub, &seen_epoch);
			continue;
		}
		if (fd < 0)
			break;
		accepted = quire_now_ms();
		l1_miss = 0;
		fr->ipcFd = fd;
		fr->keepConnection = 1; /* so the Finish inside Accept keeps fd */
		if (FCGX_Accept_r(fr) < 0)
			continue; /* libfcgi closed a connection that broke */
		take_updates(app, &l1, &sub, &seen_epoch);
		if (commit_reload_take_self(&wr->reload))
			reload_self(app, &l1);
		if (app->unsure && !sub.running)
			confirm_again(app, &confirm_at);
		apply_own(app, &l1, wr, floor);
		if (app_refresh_schedule(app, app_now(app))) {
			cache_clear(&l1);
			page_search_forget();
			edge_owe_everything(app->edge);
		}
		edge_retry(app, &edge_tried);
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
		/* The body, if any, was read to EOF in handle(). A page
		 * marked for nginx's cache waits for nginx to store it
		 * (and close): the next update's purge, made before the
		 * next request, then cannot come before the store and
		 * leave the older copy kept after an acknowledgement
		 * (found by tests/coherence/run --edge, seed 7). */
		if (edge_marked) {
			worker_io_close_stored(fr);
			edge_stored(app->edge);
		} else {
			worker_io_close(fr);
		}
		edge_marked = 0;
		if (l1_miss)
			observe_miss(app, accepted);
		finish_later(&later, &l1);
	}
	if (!worker_accept_stopping)
		rc = 1;
	log_stop(&l1, requests);
	app->sub = NULL;
	sub_stop(&sub);
	if (wake_fd >= 0)
		close(wake_fd);
	edge_free(app->edge);
	app->edge = NULL;
	search_free(app->search);
	app->search = NULL;
	page_search_forget();
	tiers_free(app->tiers);
	app->tiers = NULL;
	tiers_floor_free(floor);
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
