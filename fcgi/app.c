/*
 * app.c - loading what the workers serve: templates, content, the site
 */
#include <string.h>

#include "app.h"
#include "log.h"
#include "quire.h"

int app_load(struct app *app, const struct config *cfg, const struct app *prev)
{
	struct content_options opt = { cfg->unsafe_html };
	struct parse_error err;
	int rc;

	memset(app, 0, sizeof(*app));
	app->cfg = cfg;
	app->started = time(NULL);
	memset(&err, 0, sizeof(err));
	rc = templates_load(cfg->templates_dir, &app->tpl, &err);
	if (rc != QUIRE_OK) {
		log_msg(LOG_LEVEL_ERROR, "templates", "%s: %s \"%s\"",
			err.message[0] ? err.message : quire_strerror(rc),
			quire_strerror(rc), cfg->templates_dir);
		goto fail;
	}
	rc = content_load(cfg->content_dir, prev ? prev->content : NULL, &opt,
			  &app->content);
	if (rc != QUIRE_OK) {
		log_msg(LOG_LEVEL_ERROR, "content", "%s loading \"%s\"",
			quire_strerror(rc), cfg->content_dir);
		goto fail;
	}
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
