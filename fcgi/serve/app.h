/*
 * app.h - loading what the workers serve: templates, content, the site
 */
#ifndef QUIRE_APP_H
#define QUIRE_APP_H

#include <stddef.h>
#include <time.h>

#include "lib/quire.h"

struct app_change;
struct auth;
struct config;
struct content;
struct post;
struct preview_key;
struct record;
struct search;
struct site;
struct templates;
struct tiers;

/* What a worker serves from; built by the master, read-only in workers
 * except for the site, which a worker rebuilds when a post comes due. */
struct app {
	/* The settings served by: the operator's (op), beneath which the
	 * content's site.yaml fills what they did not give (own: owned,
	 * made again whenever the content is replaced; app_settings). */
	const struct config *cfg;
	const struct config *op;
	struct config *own;
	struct content *content;
	struct site *site;
	struct templates *tpl;
	time_t started;
	long long generation;   /* of the shared tiers; 0 file-only */
	/* Loaded from the files because the tiers are configured but none
	 * answered (app_load's fall_back): a reload may load the files
	 * again, a site from the tiers is never replaced by them. */
	int fallback;
	/* The site is not known to be current: a worker forked from the
	 * master's copy (loaded at the master's start or last reload, maybe
	 * long behind the tiers) that no tier has answered since, to confirm
	 * it or give the current one (app_confirm). Nothing is answered from
	 * it meanwhile, 503 rather than a 404 for a post written since
	 * (worker.c); cleared by the next whole site applied (app_apply). */
	int unsure;
	/* The read path below L1, per worker; NULL when file-only, or in
	 * the master (connections are never shared across fork). */
	struct tiers *tiers;
	/* Full-text search (tiers/search.h), per worker like tiers; NULL
	 * when neither backend can be had (Redis alone). */
	struct search *search;
	/* API tokens; NULL: the write API is off (no token file set); an
	 * empty set: on, but the file gave none, so every token is refused */
	struct auth *auth;
	/* The worker's subscriber thread, for /healthz's lease and the
	 * site's clock (DESIGN §13); NULL when none runs (no Redis, or the
	 * master). */
	const struct sub *sub;
	/* The preview links' key; NULL: previews are off (no key file set,
	 * /preview/ is 404). preview_ok 0: the file gave no key, so every
	 * link is refused until it does and quire reloads. */
	struct preview_key *preview;
	int preview_ok;
	/* Changes applied (app_apply) but not yet folded into content and
	 * site: that happens before the site's next use (app_site_ready). */
	int site_stale;
	struct app_change *changes;
	size_t n_changes, cap_changes;
	/* nginx's cache and the CDN's hook (serve/edge.h); NULL: neither
	 * (and in the master) */
	struct edge *edge;
};

/*
 * Loads templates, content and the site index into app as configured.
 * prev (may be NULL) is the last good load: a file that fails to parse
 * keeps its old version from it, and a template set that fails to
 * compile is an error (the caller keeps serving prev). With the tiers
 * configured and none of them giving the site, the content folder is
 * loaded instead only if fall_back (app->fallback is then set: a start
 * with nothing else to serve); else QUIRE_ENOTFOUND, and the caller
 * keeps serving what it has: an empty or file-only site would answer
 * 404 for every post the tiers hold. Returns QUIRE_OK, or an error with
 * nothing changed in prev. Free with app_release().
 */
enum quire_err app_load(struct app *app, const struct config *cfg,
			const struct app *prev, int fall_back);
void app_release(struct app *app);

/*
 * A worker's start: app is the master's copy of the site, which may be
 * long behind the tiers (DESIGN §2). Compares its generation with
 * PostgreSQL's (the truth), else Redis's key, through app->tiers, and
 * loads the whole site again when they differ (or when app was loaded
 * from the files, app->fallback). Returns QUIRE_OK when the site is
 * current; QUIRE_EIO when no tier answered: app->unsure is then set
 * (unless app->fallback: the files are served, as at a start), to be
 * cleared by a whole site applied later; QUIRE_ENOMEM. Without tiers,
 * QUIRE_OK at once.
 */
enum quire_err app_confirm(struct app *app, time_t now);

/*
 * The site's time, which scheduled posts come due by: Redis's clock in
 * full mode (sub_site_time), this host's without a subscriber.
 */
time_t app_now(const struct app *app);

/*
 * Rebuilds the site index when a scheduled post has come due at now,
 * or when now is before the time the index was built at (the site's
 * clock is behind the one that built it, e.g. the master's own before
 * the worker measured Redis's: a post it showed may not be due yet).
 * Returns 1 if the site changed (the caller drops its L1), 0 if not.
 */
int app_refresh_schedule(struct app *app, time_t now);

/*
 * The rendered body of p: p->html when the post was loaded with it (from
 * files), else fetched through the tiers into *hold (caller frees with
 * record_free; NULL when nothing was fetched). *toc may be NULL.
 * Returns QUIRE_OK, QUIRE_ENOTFOUND or QUIRE_EIO.
 */
enum quire_err app_body(const struct app *app, const struct post *p,
			const char **html, const char **toc,
			struct record **hold);
/*
 * The post a fetched body belongs to, when that is another version than
 * p: the index the worker holds is behind (or ahead of) the tier that
 * answered, as while a change is being announced. *out is then that
 * version, parsed from hold (caller frees with post_free), else NULL and
 * p is the one. A page built from *out shows one version whole, never
 * p's title over another version's body. QUIRE_OK or QUIRE_ENOMEM.
 */
enum quire_err app_body_version(const struct post *p,
				const struct record *hold, struct post **out);

struct sub;
struct sub_update;
/*
 * Applies an update from the subscriber to app's content and site:
 * a whole new site, or new versions of some posts and removals. Takes
 * the content out of u. The site index of a partial update is rebuilt
 * later, by app_site_ready(). Returns QUIRE_OK or QUIRE_ENOMEM (the
 * worker cannot go on: it exits and a fresh one loads).
 */
enum quire_err app_apply(struct app *app, struct sub_update *u, time_t now);

/* Makes app->site current (rebuilt if updates were applied since):
 * call before anything reads it. QUIRE_OK or QUIRE_ENOMEM. */
enum quire_err app_site_ready(struct app *app, time_t now);

#endif
