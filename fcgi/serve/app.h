/*
 * app.h - loading what the workers serve: templates, content, the site
 */
#ifndef QUIRE_APP_H
#define QUIRE_APP_H

#include <time.h>

#include "serve/page.h"

/*
 * Loads templates, content and the site index into app as configured.
 * prev (may be NULL) is the last good load: a file that fails to parse
 * keeps its old version from it, and a template set that fails to
 * compile is an error (the caller keeps serving prev). Returns QUIRE_OK,
 * or an error with nothing changed in prev. Free with app_release().
 */
int app_load(struct app *app, const struct config *cfg, const struct app *prev);
void app_release(struct app *app);

/*
 * Rebuilds the site index when a scheduled post has come due at now.
 * Returns 1 if the site changed (the caller drops its L1), 0 if not.
 */
int app_refresh_schedule(struct app *app, time_t now);

/*
 * The rendered body of p: p->html when the post was loaded with it (from
 * files), else fetched through the tiers into *hold (caller frees with
 * record_free; NULL when nothing was fetched). *toc may be NULL.
 * Returns QUIRE_OK, QUIRE_ENOTFOUND or QUIRE_EIO.
 */
int app_body(const struct app *app, const struct post *p, const char **html,
	     const char **toc, struct record **hold);

struct sub_update;
/*
 * Applies an update from the subscriber to app's content and site:
 * a whole new site, or new versions of some posts and removals. Takes
 * the content out of u. The site index of a partial update is rebuilt
 * later, by app_site_ready(). Returns QUIRE_OK or QUIRE_ENOMEM (the
 * worker cannot go on: it exits and a fresh one loads).
 */
int app_apply(struct app *app, struct sub_update *u, time_t now);

/* Makes app->site current (rebuilt if updates were applied since):
 * call before anything reads it. QUIRE_OK or QUIRE_ENOMEM. */
int app_site_ready(struct app *app, time_t now);

#endif
