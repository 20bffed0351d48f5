/*
 * app.c - loading what the workers serve: templates, content, the site
 */
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "auth.h"
#include "metrics.h"
#include "log.h"
#include "quire.h"
#include "sub.h"
#include "tiers.h"

/* The content: from the shared tiers when configured (a short-lived
 * connection: the master must not hand one to its children), else, or
 * when both tiers are down, from the files. */
static int load_content(struct app *app, const struct config *cfg,
			const struct app *prev, const struct content_options *opt)
{
	struct tiers *t;
	int rc;

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
		log_msg(LOG_LEVEL_ERROR, "load", "redis and postgresql unreachable; "
			"serving \"%s\" until they answer", cfg->content_dir);
		app->generation = 0;
	}
	rc = content_load(cfg->content_dir, prev ? prev->content : NULL, opt,
			  &app->content);
	if (rc != QUIRE_OK)
		log_msg(LOG_LEVEL_ERROR, "content", "%s loading \"%s\"",
			quire_strerror(rc), cfg->content_dir);
	return rc;
}

int app_load(struct app *app, const struct config *cfg, const struct app *prev)
{
	struct content_options opt = { cfg->unsafe_html };
	struct parse_error err;
	int rc;

	memset(app, 0, sizeof(*app));
	app->cfg = cfg;
	/* Before the first fork: every process's counters in one mapping
	 * (a reload overlaps old and new workers, hence twice as many). */
	if (metrics_init((unsigned)(2 * cfg->workers + 4)) != QUIRE_OK)
		log_msg(LOG_LEVEL_WARN, "metrics", "no shared memory: /metrics stays at 0");
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
	if (cfg->api_token_file && *cfg->api_token_file) {
		char aerr[256];

		rc = auth_load(cfg->api_token_file, &app->auth, aerr, sizeof(aerr));
		if (rc != QUIRE_OK) {
			log_msg(LOG_LEVEL_ERROR, "api", "%s", aerr);
			goto fail;
		}
	}
	rc = load_content(app, cfg, prev, &opt);
	if (rc != QUIRE_OK)
		goto fail;
	rc = site_build(app->content, app->started, cfg->enable_drafts,
			&app->site);
	if (rc != QUIRE_OK)
		goto fail;
	log_msg(LOG_LEVEL_INFO, "load", "posts=%zu pages=%zu errors=%zu dir=\"%s\"",
		app->site->n_posts, app->site->n_pages, app->content->n_errors,
		cfg->content_dir);
	return QUIRE_OK;
fail:
	app_release(app);
	return rc;
}

void app_release(struct app *app)
{
	site_free(app->site);
	content_free(app->content);
	templates_free(app->tpl);
	auth_free(app->auth);
	app->auth = NULL;
	app->site = NULL;
	app->content = NULL;
	app->tpl = NULL;
}

int app_refresh_schedule(struct app *app, time_t now)
{
	struct site *s;

	if (!app->site->next_change || now < app->site->next_change)
		return 0;
	if (site_build(app->content, now, app->cfg->enable_drafts, &s) != QUIRE_OK) {
		log_msg(LOG_LEVEL_WARN, "schedule", "out of memory rebuilding the index");
		return 0;
	}
	site_free(app->site);
	app->site = s;
	log_msg(LOG_LEVEL_INFO, "schedule", "scheduled posts published posts=%zu",
		s->n_posts);
	return 1;
}

int app_body(const struct app *app, const struct post *p, const char **html,
	     const char **toc, struct record **hold)
{
	int rc;

	*hold = NULL;
	if (p->html || !app->tiers) {
		*html = p->html ? p->html : "";
		*toc = p->toc_html;
		return QUIRE_OK;
	}
	rc = tiers_fetch(app->tiers, p->slug, hold);
	if (rc != QUIRE_OK)
		return rc;
	*html = (*hold)->html ? (*hold)->html : "";
	*toc = (*hold)->toc_html;
	return QUIRE_OK;
}

static ssize_t find_slug(const struct content *c, const char *slug,
			 enum post_kind kind)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->posts[i]->kind == kind && strcmp(c->posts[i]->slug, slug) == 0)
			return (ssize_t)i;
	return -1;
}

static ssize_t find_any(const struct content *c, const char *slug)
{
	ssize_t i = find_slug(c, slug, POST_KIND_POST);

	return i >= 0 ? i : find_slug(c, slug, POST_KIND_PAGE);
}

int app_apply(struct app *app, struct sub_update *u, time_t now)
{
	struct content *c = app->content;
	struct post **v;
	struct site *s;
	ssize_t at;
	size_t i;

	if (u->all) {
		if (site_build(u->all, now, app->cfg->enable_drafts, &s) != QUIRE_OK)
			return QUIRE_ENOMEM;
		site_free(app->site);
		content_free(app->content);
		app->content = u->all;
		app->site = s;
		u->all = NULL;
		app->generation = u->generation;
		return QUIRE_OK;
	}
	v = realloc(c->posts, (c->n + u->n_posts + 1) * sizeof(*v));
	if (!v)
		return QUIRE_ENOMEM;
	c->posts = v;
	for (i = 0; i < u->n_gone; i++) {
		at = find_any(c, u->gone[i]);
		if (at < 0)
			continue;
		post_free(c->posts[at]);
		memmove(&c->posts[at], &c->posts[at + 1],
			(c->n - (size_t)at - 1) * sizeof(*c->posts));
		c->n--;
	}
	for (i = 0; i < u->n_posts; i++) {
		at = find_any(c, u->posts[i]->slug);
		if (at >= 0) {
			post_free(c->posts[at]);
			c->posts[at] = u->posts[i];
		} else {
			c->posts[c->n++] = u->posts[i];
		}
		u->posts[i] = NULL;
	}
	u->n_posts = 0;
	app->generation = u->generation;
	/* The index points into content: rebuild it before the next request. */
	if (site_build(c, now, app->cfg->enable_drafts, &s) != QUIRE_OK) {
		log_msg(LOG_LEVEL_ERROR, "invalidate", "out of memory rebuilding the index");
		return QUIRE_ENOMEM;
	}
	site_free(app->site);
	app->site = s;
	return QUIRE_OK;
}
