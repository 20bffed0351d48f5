/*
 * worker_writes.c - the API's writes a worker parks until the
 * committer answers
 *
 * Writes of the API are not waited for: once validated and rendered, a
 * write goes to the host's committer (committer.c) and its request is
 * parked, up to WORKER_MAX_PARKED of them, while the worker serves
 * others; the committer's reply finishes it. So a few workers keep many
 * writes in flight, and many writes share one commit. A stopping worker
 * accepts nothing more but waits for the replies it is owed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>

#include "lib/limits.h"
#include "lib/quire.h"
#include "serve/app.h"
#include "serve/page_api.h"
#include "serve/response.h"
#include "serve/sub.h"
#include "serve/worker_private.h"
#include "write/commit.h"
#include "write/commit_client.h"


/* Answers parked write i from r and forgets it. */
static void writes_finish(struct writes *wr, size_t i,
			  const struct commit_reply *r)
{
	struct parked *pk = &wr->v[i];
	struct response resp;

	response_init(&resp);
	page_api_answer(pk->w, r, wr->app ? wr->app->site : NULL, &resp);
	worker_io_send_response(pk->fr, &resp, pk->is_head);
	response_release(&resp);
	worker_io_close(pk->fr);
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
		if (now - wr->v[i].since > QUIRE_API_REPLY_MS) {
			writes_unknown(wr, i, "the committer did not answer in time");
			continue;
		}
		i++;
	}
}

/*
 * With --workers 0 nobody else serves: a write committed here but not
 * announced (Redis down) is applied to this process's own site at once,
 * from the record it committed, rather than only at the reload asked
 * for it (at most once an interval, commit_reload.h).
 */
static void writes_keep_own(struct writes *wr, const struct commit_request *w,
			    const struct commit_reply *r)
{
	struct sub_update *u = calloc(1, sizeof(*u)), **tail;

	if (!u)
		return;
	u->generation = r->generation;
	if (w->rec) {
		u->posts = calloc(1, sizeof(*u->posts));
		if (u->posts && record_to_post(w->rec, &u->posts[0]) == QUIRE_OK)
			u->n_posts = 1;
	} else {
		u->gone = calloc(1, sizeof(*u->gone));
		if (u->gone && (u->gone[0] = strdup(w->slug)))
			u->n_gone = 1;
	}
	if (!u->n_posts && !u->n_gone) {
		sub_update_free(u); /* the reload asked brings it */
		return;
	}
	for (tail = &wr->own; *tail; tail = &(*tail)->next)
		;
	*tail = u;
}

struct sub_update *worker_writes_take_own(struct writes *wr)
{
	struct sub_update *u = wr->own;

	wr->own = NULL;
	return u;
}

int worker_writes_wait_ms(const struct writes *wr)
{
	/* Parked writes expire, checked once a second. */
	if (wr->n)
		return 1000;
	if (commit_reload_pending(&wr->reload, wr->tiers))
		return COMMIT_RETRY_MS;
	return -1;
}

void worker_writes_answer(struct writes *wr)
{
	if (wr->tiers)
		commit_retry(wr->tiers, &wr->reload);
	if (wr->n && wr->cc.fd >= 0 &&
	    commit_client_read(&wr->cc, writes_on_reply, wr) != QUIRE_OK)
		writes_fail_all(wr, "the committer went away");
	if (wr->n && wr->cc.fd < 0)
		writes_fail_all(wr, "the committer went away");
	if (wr->n)
		writes_expire(wr);
}

int worker_writes_commit(FCGX_Request *fr, struct app *app, struct writes *wr,
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
		if (commit_one(app->tiers, &wr->reload, w, &r) != QUIRE_OK &&
		    r.rc == QUIRE_OK && !wr->reload.master)
			writes_keep_own(wr, w, &r);
	}
	page_api_answer(w, &r, app->site, resp);
	commit_request_release(w);
	free(w);
	return 0;
}
