/*
 * app.c - loading what the workers serve: templates, content, the site
 */
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "content/content.h"
#include "content/public_tree.h"
#include "content/site.h"
#include "content/templates.h"
#include "lib/config.h"
#include "lib/gate.h"
#include "lib/log.h"
#include "lib/metrics.h"
#include "lib/quire.h"
#include "lib/sandbox_pool.h"
#include "lib/site_clock.h"
#include "serve/app.h"
#include "serve/sub.h"
#include "tiers/tiers.h"
#include "write/auth.h"
#include "write/auth_throttle.h"
#include "write/preview.h"

/* One waiting change: a new version of a post, or a slug gone. */
struct app_change {
	struct post *post;
	char *gone;
};

/*
 * The content: from the shared tiers when configured (a short-lived
 * connection: the master must not hand one to its children), else from
 * the files. When the tiers are configured and none answers, the files
 * are not the truth (PostgreSQL holds the API's posts, and what was
 * deployed from wherever): they are loaded only when fall_back says so,
 * a start with nothing else to serve; else QUIRE_ENOTFOUND, and the
 * caller keeps serving what it has (DESIGN §2, §8).
 */
static enum quire_err load_content(struct app *app, const struct config *cfg,
				   const struct app *prev,
				   const struct content_options *opt,
				   int fall_back)
{
	struct tiers *t;
	enum quire_err rc;

	if (tiers_configured(cfg)) {
		t = tiers_new(cfg);
		if (!t)
			return QUIRE_ENOMEM;
		rc = tiers_load(t, &app->content, &app->generation);
		tiers_free(t);
		if (rc == QUIRE_OK) {
			log_msg(LOG_LEVEL_INFO, "load", "generation=%lld from the tiers",
				app->generation);
			return QUIRE_OK;
		}
		if (rc == QUIRE_ENOMEM)
			return rc;
		if (!fall_back) {
			log_msg(LOG_LEVEL_ERROR, "load", "neither redis nor postgresql "
				"gives the site; not loaded");
			return QUIRE_ENOTFOUND;
		}
		log_msg(LOG_LEVEL_ERROR, "load", "redis and postgresql unreachable; "
			"serving \"%s\" until they answer", cfg->content_dir);
		app->generation = 0;
		app->fallback = 1;
	}
	rc = content_load(cfg->content_dir, prev ? prev->content : NULL, opt,
			  &app->content);
	if (rc != QUIRE_OK)
		log_msg(LOG_LEVEL_ERROR, "content", "%s loading \"%s\"",
			quire_strerror(rc), cfg->content_dir);
	return rc;
}

/*
 * The API's tokens, as the file holds them now: a file that gives none
 * (emptied, commented out, deleted, readable by others) closes the API
 * (every token refused) and the load goes on, so a revoked token never
 * outlives a reload and the site never waits on the API's file (DESIGN
 * §7). Only running out of memory fails the load.
 */
static enum quire_err load_tokens(struct app *app, const struct config *cfg)
{
	char err[1024];
	enum quire_err rc;

	if (!cfg->api_token_file || !*cfg->api_token_file)
		return QUIRE_OK; /* the API is off */
	/* Before the first fork, like the metrics: one count of failed
	 * attempts for the whole pool. */
	if (cfg->api_max_failures > 0 && auth_throttle_init() != QUIRE_OK)
		log_msg(LOG_LEVEL_WARN, "api", "no shared memory: failed attempts "
			"are not throttled");
	rc = auth_load(cfg->api_token_file, &app->auth, err, sizeof(err));
	if (rc == QUIRE_ENOMEM)
		return rc;
	if (rc != QUIRE_OK)
		log_msg(LOG_LEVEL_ERROR, "api", "%s; the write API accepts no token "
			"(401/403 to every request) until that is fixed and quire "
			"reloads (SIGHUP)", err);
	else if (err[0])
		log_msg(LOG_LEVEL_WARN, "api", "%s", err);
	else
		log_msg(LOG_LEVEL_INFO, "api", "tokens=%zu from \"%s\"",
			auth_count(app->auth), cfg->api_token_file);
	return QUIRE_OK;
}

/* The preview links' key, read at every load: a replaced file (and a
 * reload) is a new key, and every link of the old one is refused. A
 * file set but unusable refuses every link rather than stop the load,
 * as the token file does. */
static enum quire_err load_preview_key(struct app *app,
				       const struct config *cfg)
{
	char err[1024];
	enum quire_err rc;

	if (!cfg->preview_key_file || !*cfg->preview_key_file)
		return QUIRE_OK; /* previews are off */
	app->preview = calloc(1, sizeof(*app->preview));
	if (!app->preview)
		return QUIRE_ENOMEM;
	rc = preview_key_load(cfg->preview_key_file, app->preview, err,
			      sizeof(err));
	app->preview_ok = rc == QUIRE_OK;
	if (rc != QUIRE_OK)
		log_msg(LOG_LEVEL_ERROR, "preview", "%s; every preview link is "
			"refused (403) until that is fixed and quire reloads "
			"(SIGHUP)", err);
	else
		log_msg(LOG_LEVEL_INFO, "preview", "key from \"%s\"",
			cfg->preview_key_file);
	return QUIRE_OK;
}

/* Frees app's own settings; app->cfg is the operator's again. */
static void settings_release(struct app *app)
{
	if (app->own) {
		config_release(app->own);
		free(app->own);
	}
	app->own = NULL;
	app->cfg = app->op;
}

/*
 * The settings as served: the operator's options and variables, then
 * what the content's site.yaml sets of what they left to it
 * (config_site_set). Made again with each new content, so a site.yaml
 * deployed or reloaded reaches every page. QUIRE_OK or QUIRE_ENOMEM.
 */
static enum quire_err app_settings(struct app *app)
{
	const struct siteconf *sc = app->content ? app->content->conf : NULL;
	struct config *c;
	size_t i;
	enum quire_err rc;

	c = calloc(1, sizeof(*c));
	if (!c)
		return QUIRE_ENOMEM;
	rc = config_copy(c, app->op);
	for (i = 0; rc == QUIRE_OK && sc && i < sc->n_values; i++) {
		rc = config_site_set(c, sc->values[i].key, sc->values[i].value);
		if (rc == QUIRE_EINVAL) { /* checked when parsed: cannot be */
			log_msg(LOG_LEVEL_WARN, "load", "site.yaml: bad %s",
				sc->values[i].key);
			rc = QUIRE_OK;
		}
	}
	if (rc != QUIRE_OK) {
		config_release(c);
		free(c);
		return rc;
	}
	settings_release(app);
	app->own = c;
	app->cfg = c;
	return QUIRE_OK;
}

/*
 * Embedded mode: the content's static/ tree and its bundles' files
 * published into --public-dir for the web server, at every load (start,
 * SIGHUP), as a deploy does with the tiers (DESIGN §3). A publish that
 * fails leaves the files of the last one served, and fails no load:
 * only running out of memory does.
 */
static enum quire_err publish_files(const struct app *app,
				    const struct config *cfg)
{
	struct public_bundles bs = { 0 };
	struct public_stats st;
	const struct post *p;
	size_t i;
	enum quire_err rc = QUIRE_OK;

	if (!cfg->public_dir || tiers_configured(cfg))
		return QUIRE_OK;
	for (i = 0; i < app->content->n && rc != QUIRE_ENOMEM; i++) {
		p = app->content->posts[i];
		rc = public_bundles_add(&bs, p, app->content->conf);
	}
	if (rc != QUIRE_ENOMEM)
		rc = public_tree_publish(cfg->content_dir, cfg->public_dir, &bs,
					 &st);
	public_bundles_release(&bs);
	if (rc == QUIRE_OK)
		log_msg(LOG_LEVEL_INFO, "publish", "files=%zu linked=%zu "
			"refused=%zu bytes=%llu dir=\"%s\"", st.files, st.linked,
			st.refused, st.bytes, cfg->public_dir);
	return rc == QUIRE_ENOMEM ? rc : QUIRE_OK;
}

enum quire_err app_load(struct app *app, const struct config *cfg,
			const struct app *prev, int fall_back)
{
	struct content_options opt = { .unsafe_html = cfg->unsafe_html };
	struct parse_error err;
	double t0 = quire_now_ms();
	enum quire_err rc;

	memset(app, 0, sizeof(*app));
	app->cfg = cfg;
	app->op = cfg;
	/* Before the first fork: every process's counters in one mapping
	 * (a reload overlaps old and new workers, hence twice as many). */
	if (metrics_init((unsigned)(2 * cfg->workers + 4)) != QUIRE_OK)
		log_msg(LOG_LEVEL_WARN, "metrics", "no shared memory: /metrics stays at 0");
	/* Before the first fork too: the searches running at once, for
	 * the whole pool (page_search.c). */
	if (gate_init(cfg->search_concurrency > 0 ? cfg->search_concurrency :
		      cfg->workers / 2) != QUIRE_OK)
		log_msg(LOG_LEVEL_WARN, "search", "no shared memory: searches "
			"are not bounded");
	/* And the site's clock, measured by any worker, for a worker that
	 * starts while Redis cannot be asked (lib/site_clock.h). */
	if (site_clock_init() != QUIRE_OK)
		log_msg(LOG_LEVEL_WARN, "clock", "no shared memory: a worker "
			"starting without Redis goes by its host's clock");
	if (prev)
		metrics_add(METRIC_RELOADS, 1);
	app->started = time(NULL);
	memset(&err, 0, sizeof(err));
	rc = templates_load(cfg->templates_dir, &app->tpl, &err);
	if (rc != QUIRE_OK) {
		log_msg(LOG_LEVEL_ERROR, "templates", "%s: %s \"%s\"",
			err.message[0] ? err.message : quire_strerror(rc),
			quire_strerror(rc), cfg->templates_dir);
		goto fail;
	}
	rc = load_tokens(app, cfg);
	if (rc == QUIRE_OK)
		rc = load_preview_key(app, cfg);
	if (rc != QUIRE_OK)
		goto fail;
	rc = load_content(app, cfg, prev, &opt, fall_back);
	/* The render helpers the load started (sandbox_pool.h) have done
	 * their work: a master or an embedded process serves for days and
	 * renders again only at its next load, which starts new ones. */
	sandbox_pool_stop();
	if (rc == QUIRE_OK)
		rc = app_settings(app);
	if (rc != QUIRE_OK)
		goto fail;
	rc = site_build(app->content, app->started, cfg->enable_drafts,
			&app->site);
	if (rc != QUIRE_OK)
		goto fail;
	/* load_ms: templates, content (files or tiers) and the site built,
	 * what tests/bench/ingest reads */
	log_msg(LOG_LEVEL_INFO, "load", "posts=%zu pages=%zu errors=%zu "
		"load_ms=%.1f dir=\"%s\"", app->site->n_posts, app->site->n_pages,
		app->content->n_errors, quire_now_ms() - t0, cfg->content_dir);
	rc = publish_files(app, cfg);
	if (rc != QUIRE_OK)
		goto fail;
	return QUIRE_OK;
fail:
	app_release(app);
	return rc;
}

enum quire_err app_confirm(struct app *app, time_t now)
{
	struct sub_update u;
	long long gen, held;
	enum quire_err rc;

	if (!app->tiers) {
		app->unsure = 0;
		return QUIRE_OK;
	}
	/* PostgreSQL's first: Redis's key may be behind it (a store Redis
	 * refused, DESIGN §6), naming a copy older than the master's. */
	if (!app->fallback &&
	    (tiers_generation_truth(app->tiers, &gen) == QUIRE_OK ||
	     tiers_generation(app->tiers, &gen) == QUIRE_OK) &&
	    gen == app->generation) {
		app->unsure = 0;
		return QUIRE_OK;
	}
	held = app->generation;
	memset(&u, 0, sizeof(u));
	rc = tiers_load(app->tiers, &u.all, &u.generation);
	if (rc == QUIRE_OK) {
		rc = app_apply(app, &u, now); /* takes u.all; clears unsure */
		content_free(u.all);
		if (rc != QUIRE_OK)
			return rc;
		log_msg(LOG_LEVEL_INFO, "load", "generation=%lld from the tiers "
			"(the master's copy: %s %lld)", app->generation,
			app->fallback ? "the files," : "generation", held);
		app->fallback = 0; /* the tiers' site, no more the files' */
		return QUIRE_OK;
	}
	if (rc == QUIRE_ENOMEM)
		return rc;
	if (!app->fallback) {
		app->unsure = 1;
		log_msg(LOG_LEVEL_WARN, "load", "no tier answers: the site is not "
			"loaded; answering 503 until one does");
	}
	return QUIRE_EIO;
}

static void changes_free(struct app *app)
{
	size_t i;

	for (i = 0; i < app->n_changes; i++) {
		post_free(app->changes[i].post);
		free(app->changes[i].gone);
	}
	free(app->changes);
	app->changes = NULL;
	app->n_changes = 0;
	app->cap_changes = 0;
}

void app_release(struct app *app)
{
	site_free(app->site);
	changes_free(app);
	app->site_stale = 0;
	content_free(app->content);
	templates_free(app->tpl);
	auth_free(app->auth);
	app->auth = NULL;
	if (app->preview)
		preview_key_wipe(app->preview);
	free(app->preview);
	app->preview = NULL;
	app->preview_ok = 0;
	app->site = NULL;
	app->content = NULL;
	app->tpl = NULL;
	settings_release(app);
}

static enum quire_err rebuild_site(struct app *app, time_t now);

time_t app_now(const struct app *app)
{
	return app->sub ? sub_site_time(app->sub) : time(NULL);
}

int app_refresh_schedule(struct app *app, time_t now)
{
	if (now >= app->site->built_at &&
	    (!app->site->next_change || now < app->site->next_change))
		return 0;
	if (rebuild_site(app, now) != QUIRE_OK) {
		log_msg(LOG_LEVEL_WARN, "schedule", "out of memory rebuilding the index");
		return 0;
	}
	log_msg(LOG_LEVEL_INFO, "schedule", "scheduled posts published posts=%zu",
		app->site->n_posts);
	return 1;
}

enum quire_err app_body(const struct app *app, const struct post *p,
			const char **html, const char **toc,
			struct record **hold)
{
	struct tiers_want want;
	enum quire_err rc;

	*hold = NULL;
	if (p->html || !app->tiers) {
		*html = p->html ? p->html : "";
		*toc = p->toc_html;
		return QUIRE_OK;
	}
	/* The body of the version the index names, never another one:
	 * an older copy in Redis would pair this title with an old body. */
	want.revision = p->revision;
	want.hash = p->hash;
	rc = tiers_fetch(app->tiers, p->slug, &want, hold);
	if (rc != QUIRE_OK)
		return rc;
	*html = (*hold)->html ? (*hold)->html : "";
	*toc = (*hold)->toc_html;
	return QUIRE_OK;
}

enum quire_err app_body_version(const struct post *p,
				const struct record *hold, struct post **out)
{
	enum quire_err rc;

	*out = NULL;
	if (!hold || (hold->revision == p->revision && hold->hash == p->hash))
		return QUIRE_OK;
	rc = record_to_post(hold, out);
	/* A source that no longer parses cannot be: it was parsed when it
	 * was written. Shown under p, as before, rather than not at all. */
	return rc == QUIRE_ENOMEM ? rc : QUIRE_OK;
}

/* Past this many changes waiting, they are merged at once rather than
 * before the next request that needs the site. */
#define APP_CHANGES_MAX 4096

/* A change's slug, to match content against in one pass. */
struct slug_ent {
	struct app_change *ch;
	UT_hash_handle hh;
};

static const char *change_slug(const struct app_change *ch)
{
	return ch->post ? ch->post->slug : ch->gone;
}

/*
 * Folds the waiting changes into the content in one pass against a hash
 * of their slugs (the last change of a slug wins; a slug is one post in
 * the tiers, whatever its kind): new versions take their old ones'
 * places, removed posts leave, new posts are appended. The posts that
 * left go into *old, for the caller to free once the index that points
 * to them is gone.
 */
static enum quire_err merge_changes(struct app *app, struct post ***old,
				    size_t *n_old)
{
	struct content *c = app->content;
	struct slug_ent *set = NULL, *ents, *e, *tmp;
	struct post **v, *p;
	size_t i, j, n_new = 0;
	const char *slug;

	*old = NULL;
	*n_old = 0;
	ents = calloc(app->n_changes ? app->n_changes : 1, sizeof(*ents));
	*old = calloc(app->n_changes ? app->n_changes : 1, sizeof(**old));
	for (i = 0; i < app->n_changes; i++)
		n_new += app->changes[i].post != NULL;
	v = ents && *old ? realloc(c->posts, (c->n + n_new + 1) * sizeof(*v)) : NULL;
	if (!v) {
		free(ents);
		free(*old);
		*old = NULL;
		return QUIRE_ENOMEM;
	}
	c->posts = v;
	for (i = 0; i < app->n_changes; i++) {
		ents[i].ch = &app->changes[i];
		slug = change_slug(ents[i].ch);
		HASH_FIND_STR(set, slug, e);
		if (e)
			HASH_DEL(set, e); /* superseded: freed with the changes */
		HASH_ADD_KEYPTR(hh, set, slug, strlen(slug), &ents[i]);
	}
	for (i = 0, j = 0; i < c->n; i++) {
		p = c->posts[i];
		HASH_FIND_STR(set, p->slug, e);
		if (!e) {
			c->posts[j++] = p;
			continue;
		}
		/* A slug twice in the content (not from the tiers) leaves
		 * twice; *old has room for one per change only. */
		if (*n_old < app->n_changes)
			(*old)[(*n_old)++] = p;
		else
			post_free(p);
		if (e->ch->post) {
			c->posts[j++] = e->ch->post;
			e->ch->post = NULL;
		}
	}
	c->n = j;
	HASH_ITER(hh, set, e, tmp) {
		if (e->ch->post) {
			c->posts[c->n++] = e->ch->post;
			e->ch->post = NULL;
		}
	}
	HASH_CLEAR(hh, set);
	free(ents);
	changes_free(app);
	return QUIRE_OK;
}

/* Folds the waiting changes in and builds the site index as of now. */
static enum quire_err rebuild_site(struct app *app, time_t now)
{
	struct post **old;
	struct site *s;
	size_t n_old, i;

	if (merge_changes(app, &old, &n_old) != QUIRE_OK ||
	    site_build(app->content, now, app->cfg->enable_drafts, &s) != QUIRE_OK) {
		/* The content may be half merged: the worker must not go on. */
		log_msg(LOG_LEVEL_ERROR, "invalidate", "out of memory rebuilding the index");
		return QUIRE_ENOMEM;
	}
	site_free(app->site);
	app->site = s;
	for (i = 0; i < n_old; i++)
		post_free(old[i]);
	free(old);
	app->site_stale = 0;
	return QUIRE_OK;
}

enum quire_err app_site_ready(struct app *app, time_t now)
{
	return app->site_stale ? rebuild_site(app, now) : QUIRE_OK;
}

/*
 * A partial update is not folded in here but before the next request
 * that needs the site (app_site_ready): a burst of API writes brings an
 * update per commit to every worker, and most of them are followed by
 * requests (more writes, cached pages) that need no index; folding and
 * rebuilding per update cost a pass over every post each time. Past
 * APP_CHANGES_MAX waiting changes they are folded at once, which
 * bounds that memory.
 */
enum quire_err app_apply(struct app *app, struct sub_update *u, time_t now)
{
	struct app_change *v;
	size_t need = app->n_changes + u->n_gone + u->n_posts, cap, i;

	if (u->all) {
		struct site *s;

		if (site_build(u->all, now, app->cfg->enable_drafts, &s) != QUIRE_OK)
			return QUIRE_ENOMEM;
		site_free(app->site);
		content_free(app->content);
		changes_free(app); /* older than the whole site that came */
		app->site_stale = 0;
		app->content = u->all;
		app->site = s;
		u->all = NULL;
		app->generation = u->generation;
		app->unsure = 0; /* the tiers' whole site: current */
		/* site.yaml comes with the whole site (DESIGN §6) */
		return app_settings(app);
	}
	if (need > app->cap_changes) {
		cap = app->cap_changes ? app->cap_changes : 64;
		while (cap < need)
			cap *= 2;
		v = realloc(app->changes, cap * sizeof(*v));
		if (!v)
			return QUIRE_ENOMEM;
		app->changes = v;
		app->cap_changes = cap;
	}
	/* Removals first, then new versions: a slug in both stays. */
	for (i = 0; i < u->n_gone; i++) {
		app->changes[app->n_changes].post = NULL;
		app->changes[app->n_changes++].gone = u->gone[i];
		u->gone[i] = NULL;
	}
	for (i = 0; i < u->n_posts; i++) {
		if (!u->posts[i])
			continue;
		app->changes[app->n_changes].gone = NULL;
		app->changes[app->n_changes++].post = u->posts[i];
		u->posts[i] = NULL;
	}
	app->generation = u->generation;
	app->site_stale = 1;
	return app->n_changes > APP_CHANGES_MAX ? app_site_ready(app, now) :
		QUIRE_OK;
}
