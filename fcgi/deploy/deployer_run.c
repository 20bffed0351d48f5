/*
 * deployer_run.c - one deploy, phase by phase (deployer.h)
 *
 * Nothing changes until the commit: every phase before it may refuse
 * the deploy and end it, with what went wrong reported, or leave a file
 * out of it (one whose slug is a post of the write API). From the
 * commit on the deploy is made, and what follows only tells the
 * workers; it ends with the report of what was done.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "content/post.h"
#include "content/public_tree.h"
#include "content/siteconf.h"
#include "content/site.h"
#include "deploy/deploy_refresh.h"
#include "deploy/deploy_tiers.h"
#include "deploy/deployer.h"
#include "deploy/deployer_private.h"
#include "lib/limits.h"
#include "lib/log.h"
#include "lib/quire.h"

/* One deploy under way: what its phases hand on to each other. */
struct run {
	struct deployer *d;
	double timeout_ms;
	int rc;                  /* a deploy_exit */
	int strict;              /* any error: nothing deployed */
	size_t n_reserved;       /* URLs quire's own routes would shadow */
	size_t n_list_errors;    /* the listing's: files may be missing */
	size_t n_errors;         /* the reading's */
	size_t n_file_errors;    /* static files and bundles' files refused */
	size_t n_skipped;        /* files left unread: signature unchanged */
	int whole;               /* the folder was listed whole */
	int changed;             /* the plan upserts or deletes */
	int plan_made;           /* d->plan is this deploy's */
	int full;                /* Redis is rewritten whole */
	struct siteconf *conf;   /* the folder's site.yaml, parsed */
	int conf_changed;        /* not the one PostgreSQL holds */
	int patterns_changed;    /* and its permalinks differ from that one's */
	int restored;            /* PostgreSQL found restored (restored_pg) */
	struct tier_redis *r;    /* NULL: none configured, or unreachable */
	struct tier_redis *acks; /* the deployer's subscription, or NULL */
	size_t live, acked;
	enum quire_err waited;   /* what tiers_wait_acks() returned */
	double t0, t_list, t_joined, t_read, t_plan, t_commit, t_publish;
};

/* What a phase leads to. */
enum step {
	STEP_NEXT,               /* the next phase */
	STEP_REPORT,             /* the report (run.rc says how it went) */
	STEP_END,                /* the end, with no report */
};

/* Whether path/sub is a directory. */
static int has_dir(const char *path, const char *sub)
{
	struct stat st;
	char p[4096];
	int n = snprintf(p, sizeof(p), "%s/%s", path, sub);

	return n > 0 && (size_t)n < sizeof(p) && stat(p, &st) == 0 &&
	       S_ISDIR(st.st_mode);
}

/*
 * A folder that does not exist, or holds neither posts/ nor pages/,
 * lists as empty, and a deploy of nothing unpublishes every content
 * post: a mistyped path ("/srv/blgo", one level too deep) would empty
 * the site. It is refused instead; an empty posts/ unpublishes all.
 */
static enum step refuse_no_content_folder(struct run *run)
{
	const char *dir = run->d->dir;

	if (!has_dir(dir, ".")) {
		log_report("\"%s\" is not a folder: nothing deployed", dir);
		run->rc = DEPLOY_EXIT_CONTENT;
		return STEP_END;
	}
	if (!has_dir(dir, "posts") && !has_dir(dir, "pages")) {
		log_report("\"%s\" has neither posts/ nor pages/: not a content "
			   "folder, nothing deployed", dir);
		run->rc = DEPLOY_EXIT_CONTENT;
		return STEP_END;
	}
	return STEP_NEXT;
}

/* Lists the folder and reaches PostgreSQL: a fresh process lists (tens
 * of ms) while PostgreSQL is reached; a long-lived one lists in well
 * under a millisecond. */
static enum step list_and_reach_pg(struct run *run)
{
	struct deployer *d = run->d;
	pthread_t th;
	int threaded;
	enum quire_err listed;

	threaded = !d->watch &&
		   pthread_create(&th, NULL, deployer_prepare_pg, d) == 0;
	listed = deployer_list(d, &run->n_list_errors, &run->whole);
	run->t_list = quire_now_ms();
	if (threaded)
		pthread_join(th, NULL);
	else
		deployer_prepare_pg(d);
	run->t_joined = quire_now_ms();
	if (listed != QUIRE_OK) {
		log_report("out of memory reading \"%s\"", d->dir);
		run->rc = DEPLOY_EXIT_CONTENT;
		return STEP_END;
	}
	if (!d->pg_ok) {
		log_report("nothing deployed");
		run->rc = DEPLOY_EXIT_TIER;
		return STEP_END;
	}
	d->before = d->gen = d->known.site.generation;
	return STEP_NEXT;
}

/* Whether c's permalink patterns are not those of the site.yaml text
 * stored (NULL: none, the defaults); one that does not parse any more
 * counts as different. */
static int patterns_differ(const struct siteconf *c, const char *stored,
			   size_t len)
{
	struct siteconf *old = NULL;
	struct parse_error err;
	int differ = 1;

	if (siteconf_parse(stored, len, &old, &err) == QUIRE_OK)
		differ = strcmp(c->posts, old->posts) != 0 ||
			 strcmp(c->pages, old->pages) != 0;
	siteconf_free(old);
	return differ;
}

/*
 * Reads and parses site.yaml, and tells whether it is the one deployed.
 * A bad one changes every page: the deploy is refused, and PostgreSQL
 * keeps the last one (exit 1).
 */
static enum step read_site_yaml(struct run *run)
{
	struct deployer *d = run->d;
	struct parse_error err;
	char path[4096], *stored = NULL;
	size_t len = 0;
	enum quire_err rc;

	rc = siteconf_load(d->dir, &run->conf, path, sizeof(path), &err);
	if (rc != QUIRE_OK) {
		if (rc == QUIRE_ENOMEM)
			log_report("out of memory reading \"%s\"", path);
		else
			content_report(path, err.line, err.column, err.message);
		log_report("%s has an error (above); nothing deployed",
			   SITECONF_FILE);
		run->rc = DEPLOY_EXIT_CONTENT;
		return STEP_END;
	}
	if (tier_pg_config_read(d->pg, &stored, &len) != QUIRE_OK) {
		log_report("postgresql: %s; nothing deployed", tier_pg_error(d->pg));
		run->rc = DEPLOY_EXIT_TIER;
		return STEP_END;
	}
	run->conf_changed = !siteconf_same(run->conf, stored, len);
	if (run->conf_changed)
		run->patterns_changed = patterns_differ(run->conf, stored, len);
	free(stored);
	return STEP_NEXT;
}

/* New permalinks move the bundles: their links, rendered absolute under
 * their URL's folder (DESIGN §3), are rendered again, even where the
 * file did not change. */
static void mark_bundles_stale(struct content_file *files, size_t n,
			       size_t *n_skipped)
{
	struct post probe;
	size_t i;

	memset(&probe, 0, sizeof(probe));
	for (i = 0; i < n; i++) {
		probe.path = files[i].path;
		probe.kind = files[i].kind;
		if (!content_is_bundle(&probe))
			continue;
		files[i].stale = 1;
		if (files[i].skip) {
			files[i].skip = 0;
			(*n_skipped)--;
		}
	}
}

/* Reads the files whose signature is not the one PostgreSQL keeps. */
static enum step read_changed(struct run *run)
{
	struct deployer *d = run->d;

	deploy_skip_known(d->files, d->n_files, d->known.index, &run->n_skipped);
	if (run->patterns_changed)
		mark_bundles_stale(d->files, d->n_files, &run->n_skipped);
	if (content_scan_read(d->files, &d->n_files, &run->n_errors) != QUIRE_OK) {
		log_report("out of memory reading \"%s\"", d->dir);
		run->rc = DEPLOY_EXIT_CONTENT;
		return STEP_END;
	}
	run->t_read = quire_now_ms();
	return STEP_NEXT;
}

/* Whether a pattern names a category token: only then is a record's
 * frontmatter parsed to make its URL. */
static int pattern_needs_categories(const struct siteconf *c)
{
	return strstr(c->posts, ":categor") || strstr(c->pages, ":categor");
}

/* Whether r's URL under conf would be refused by the workers
 * (site_url_refused): reported with its path, 1; else 0. */
static size_t record_refused(const struct siteconf *conf, int parse,
			     const struct record *r)
{
	char url[PERMALINK_MAX_URL + 1], msg[PERMALINK_MAX_URL + 160];
	struct post tmp, *p = NULL;
	const char *why;

	if (parse && record_to_post(r, &p) != QUIRE_OK)
		p = NULL;
	if (!p) {
		memset(&tmp, 0, sizeof(tmp));
		tmp.slug = r->slug;
		tmp.kind = r->kind;
		tmp.date = (time_t)r->date;
		tmp.has_date = r->has_date;
	}
	why = site_url_refused(conf, p ? p : &tmp, url, sizeof(url));
	if (why) {
		snprintf(msg, sizeof(msg), "its URL \"%s\" %s; set another "
			 "slug or permalink", url, why);
		content_report(r->path ? r->path : r->slug, 1, 1, msg);
	}
	post_free(p);
	return why != NULL;
}

static int cmp_slug_ptr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * New patterns make new URLs for the posts already deployed too: each
 * one PostgreSQL holds (the write API's included) is checked as a
 * worker's load reads it, but for those the plan replaces or removes.
 * Only when site.yaml's permalinks change. Returns the refusals (one
 * more when PostgreSQL cannot be read: nothing is deployed then).
 */
static size_t refuse_reserved_deployed(struct run *run, int parse)
{
	const struct deploy_plan *plan = &run->d->plan;
	struct record **recs = NULL;
	char **planned, *key;
	size_t i, n_recs = 0, n_planned = 0, n = 0;
	long long g;

	planned = calloc(plan->n_upserts + plan->n_deletes + 1, sizeof(*planned));
	if (!planned || tier_pg_index(run->d->pg, &recs, &n_recs, &g) != QUIRE_OK) {
		log_report("postgresql: %s; nothing deployed",
			   planned ? tier_pg_error(run->d->pg) : "out of memory");
		free(planned);
		return 1;
	}
	for (i = 0; i < plan->n_upserts; i++)
		planned[n_planned++] = plan->upserts[i]->slug;
	for (i = 0; i < plan->n_deletes; i++)
		planned[n_planned++] = plan->deletes[i];
	qsort(planned, n_planned, sizeof(*planned), cmp_slug_ptr);
	for (i = 0; i < n_recs; i++) {
		key = recs[i]->slug;
		if (!bsearch(&key, planned, n_planned, sizeof(*planned),
			     cmp_slug_ptr))
			n += record_refused(run->conf, parse, recs[i]);
	}
	record_array_free(recs, n_recs);
	free(planned);
	return n;
}

/*
 * The upserts whose URL under site.yaml's permalinks would be refused
 * by the workers (content/site.h: a route of quire's own shadowed, or
 * too long), reported with their path; the deploy then changes nothing.
 * When the patterns changed, every post already deployed as well.
 * Returns how many.
 */
static size_t refuse_reserved(struct run *run)
{
	const struct deploy_plan *plan = &run->d->plan;
	int parse = pattern_needs_categories(run->conf);
	size_t i, n = 0;

	for (i = 0; i < plan->n_upserts; i++)
		n += record_refused(run->conf, parse, plan->upserts[i]);
	if (run->patterns_changed)
		n += refuse_reserved_deployed(run, parse);
	return n;
}

/* Parses and renders what changed: the plan (deploy.h). */
static enum step make_plan(struct run *run)
{
	struct deployer *d = run->d;
	struct content_options opt = { .unsafe_html = d->cfg->unsafe_html,
				       .posts_pattern = run->conf->posts };

	if (deploy_plan_make(d->files, d->n_files, d->known.index, &opt,
			     &d->plan) != QUIRE_OK) {
		log_report("out of memory planning the deploy");
		run->rc = DEPLOY_EXIT_TIER;
		return STEP_END;
	}
	run->t_plan = quire_now_ms();
	run->plan_made = 1;
	run->n_reserved = refuse_reserved(run);
	run->changed = d->plan.n_upserts || d->plan.n_deletes ||
		       run->conf_changed;
	return STEP_NEXT;
}

/*
 * A content file whose slug is a post of the write API would replace it
 * (and take it away when the file goes): a slug has one owner (DESIGN
 * §6). Such files are reported and left out of the plan, and the rest
 * is deployed; the deploy then exits DEPLOY_EXIT_SKIPPED. Asked before
 * the commit so that a deploy of nothing else commits nothing; the
 * commit decides again, row by row (commit_pg). A deploy_exit.
 */
static int skip_api_owned(struct deployer *d)
{
	struct deploy_plan *plan = &d->plan;
	char **slugs, **owned = NULL;
	size_t i, n_owned = 0;
	enum quire_err rc;

	if (plan->n_upserts == 0)
		return DEPLOY_EXIT_OK;
	slugs = calloc(plan->n_upserts, sizeof(*slugs));
	if (!slugs) {
		log_report("out of memory; nothing deployed");
		return DEPLOY_EXIT_TIER;
	}
	for (i = 0; i < plan->n_upserts; i++)
		slugs[i] = plan->upserts[i]->slug;
	rc = tier_pg_api_owned(d->pg, slugs, plan->n_upserts, &owned, &n_owned);
	free(slugs);
	if (rc != QUIRE_OK) {
		log_report("postgresql: %s; nothing deployed", tier_pg_error(d->pg));
		return DEPLOY_EXIT_TIER;
	}
	rc = deploy_plan_skip_owned(plan, owned, n_owned);
	quire_strings_free(owned, n_owned);
	if (rc != QUIRE_OK) {
		log_report("out of memory; nothing deployed");
		return DEPLOY_EXIT_TIER;
	}
	return DEPLOY_EXIT_OK;
}

/* Every error of the content: the listing's, the reading's, the
 * plan's (each reported as it was found). */
static size_t errors_of(const struct run *run)
{
	return run->n_list_errors + run->n_errors + run->d->plan.n_errors +
	       run->n_file_errors;
}

/*
 * Content with errors: with --strict, refused whole. Else the rest goes
 * on (one bad file never blocks a blog): the plan already keeps each
 * broken file's last good version; a listing with errors may have
 * missed files that are there, so nothing is removed. Then leaves out
 * the files whose slug is a post of the write API.
 */
static enum step refuse_bad_content(struct run *run)
{
	struct deployer *d = run->d;
	size_t i, n_errors = errors_of(run);

	/* A URL on a route of quire's own is the permalinks' error more
	 * than one file's (a pattern change moves every post): nothing is
	 * deployed until the patterns or the slugs are changed. */
	if (run->n_reserved) {
		log_report("%zu URL%s in \"%s\" would shadow a route of quire's "
			   "own (listed above): nothing deployed", run->n_reserved,
			   run->n_reserved == 1 ? "" : "s", d->dir);
		run->rc = DEPLOY_EXIT_CONTENT;
		return STEP_END;
	}
	if (n_errors && run->strict) {
		log_report("%zu error%s in \"%s\" (listed above); --strict: "
			   "nothing deployed", n_errors, n_errors == 1 ? "" : "s",
			   d->dir);
		run->rc = DEPLOY_EXIT_CONTENT;
		return STEP_END;
	}
	if (run->n_list_errors && d->plan.n_deletes) {
		log_report("the folder could not be listed whole: no post "
			   "removed by this deploy");
		for (i = 0; i < d->plan.n_deletes; i++)
			free(d->plan.deletes[i]);
		d->plan.n_deletes = 0;
	}
	if (run->changed && (run->rc = skip_api_owned(d)) != DEPLOY_EXIT_OK)
		return STEP_END;
	run->changed = d->plan.n_upserts || d->plan.n_deletes ||
		       run->conf_changed;
	return STEP_NEXT;
}

/*
 * The upserts the commit left alone (revision 0): an API write made
 * their slug between skip_api_owned() and the commit. They were not
 * deployed; out of the plan they go, reported, so that Redis, the
 * workers and what the deployer keeps never take them for deployed.
 */
static enum quire_err drop_refused(struct deploy_plan *plan)
{
	char **owned;
	size_t i, n = 0;
	enum quire_err rc;

	for (i = 0; i < plan->n_upserts; i++)
		n += plan->upserts[i]->revision == 0;
	if (n == 0)
		return QUIRE_OK;
	owned = calloc(n, sizeof(*owned));
	if (!owned)
		return QUIRE_ENOMEM;
	for (i = 0, n = 0; i < plan->n_upserts; i++)
		if (plan->upserts[i]->revision == 0)
			owned[n++] = plan->upserts[i]->slug;
	rc = deploy_plan_skip_owned(plan, owned, n);
	free(owned); /* its strings were the records', freed by the skip */
	return rc;
}

/* Signals the local master to reload, the fallback when Redis is down.
 * A deploy_exit. */
static int signal_master(void)
{
	const char *path = getenv("QUIRE_PID_FILE");
	FILE *f;
	long pid = 0;

	if (!path || !*path || !(f = fopen(path, "r"))) {
		log_report("redis unreachable and no QUIRE_PID_FILE to signal: "
			   "workers were not told");
		return DEPLOY_EXIT_TIER;
	}
	if (fscanf(f, "%ld", &pid) != 1 || pid <= 1) {
		fclose(f);
		log_report("no pid in \"%s\"", path);
		return DEPLOY_EXIT_TIER;
	}
	fclose(f);
	if (kill((pid_t)pid, SIGHUP) == -1) {
		log_report("cannot signal master %ld: %s", pid, strerror(errno));
		return DEPLOY_EXIT_TIER;
	}
	/* Asked, not acknowledged: the reload may find PostgreSQL down and
	 * load Redis's older copy, and nobody answers for it. Exit 0 here
	 * once let a deploy claim every worker while both served the
	 * version before it (issue 15, seed 904); the committer's watch
	 * (tiers_watch_behind) brings Redis and the workers to it. */
	printf("redis unreachable: signalled the local master (pid %ld) to reload "
	       "instead; no worker's acknowledgement to be had\n", pid);
	return DEPLOY_EXIT_ACK;
}

/* Commits the plan and a new generation in one PostgreSQL transaction:
 * from here on, the deploy is made. */
static enum step commit_pg(struct run *run)
{
	struct deployer *d = run->d;
	struct deploy_plan *plan = &d->plan;

	struct tier_pg_config conf = { run->conf->text, run->conf->len };

	if (run->changed &&
	    tier_pg_deploy_site(d->pg, plan->upserts, plan->n_upserts,
				plan->deletes, plan->n_deletes,
				run->conf_changed ? &conf : NULL,
				&d->gen) != QUIRE_OK) {
		log_report("postgresql: %s; nothing deployed", tier_pg_error(d->pg));
		run->rc = DEPLOY_EXIT_TIER;
		return STEP_END;
	}
	d->ran = 1;
	run->t_commit = quire_now_ms();
	if (drop_refused(plan) != QUIRE_OK) {
		/* Committed: only Redis and the workers are left to tell, and
		 * a reload from PostgreSQL tells them right. */
		log_report("out of memory after the commit");
		run->rc = signal_master();
		return STEP_REPORT;
	}
	/* list and pg ran side by side in a fresh process; wait is how long
	 * the list then waited for pg */
	log_msg(LOG_LEVEL_DEBUG, "deploy", "files=%zu read=%zu listed=%s "
		"known_from=%s list_ms=%.1f pg_ms=%.1f wait_ms=%.1f read_ms=%.1f "
		"plan_commit_ms=%.1f plan_ms=%.1f commit_ms=%.1f", d->n_files,
		d->n_files - run->n_skipped, run->whole ? "whole" : "changes",
		d->known.from, run->t_list - run->t0,
		d->pg_ms, run->t_joined - run->t_list, run->t_read - run->t_joined,
		run->t_commit - run->t_read, run->t_plan - run->t_read,
		run->t_commit - run->t_plan);
	return STEP_NEXT;
}

/* Adds r to bs (public_bundles_add): its URL, under conf's patterns, and
 * when a bundle, its files at that URL's folder. */
static enum quire_err bundle_add(struct public_bundles *bs,
				 const struct siteconf *conf,
				 const struct record *r)
{
	struct post tmp, *p = NULL;
	enum quire_err rc;

	memset(&tmp, 0, sizeof(tmp));
	tmp.slug = r->slug;
	tmp.kind = r->kind;
	tmp.path = r->path;
	tmp.date = (time_t)r->date;
	tmp.has_date = r->has_date;
	if (pattern_needs_categories(conf)) {
		rc = record_to_post(r, &p);
		if (rc == QUIRE_ENOMEM)
			return rc;
	}
	rc = public_bundles_add(bs, p ? p : &tmp, conf);
	post_free(p);
	return rc;
}

/*
 * The content's static/ tree and the bundles' files, published into
 * QUIRE_PUBLIC_DIR for this host's web server (DESIGN §3): after the
 * commit, from what PostgreSQL now holds of the content posts (their
 * paths and slugs), before the workers hear of the new posts, so a
 * bundle's page never comes before its files. A file refused counts as
 * an error of the deploy (exit 6); a publish that fails leaves the files
 * of the last one served and is reported, the deploy goes on.
 */
static enum step publish_files(struct run *run)
{
	struct deployer *d = run->d;
	struct public_bundles bs = { 0 };
	struct public_stats st;
	struct record **recs = NULL;
	size_t i, n = 0;
	long long g;
	enum quire_err rc;

	if (!d->cfg->public_dir)
		return STEP_NEXT;
	/* what PostgreSQL now holds: each bundle's URL under the pattern
	 * needs its date (and categories), not only its slug */
	rc = tier_pg_index(d->pg, &recs, &n, &g);
	if (rc != QUIRE_OK && rc != QUIRE_ENOMEM) {
		log_report("postgresql: %s; the files were not published",
			   tier_pg_error(d->pg));
		run->rc = DEPLOY_EXIT_TIER;
		return STEP_NEXT;
	}
	for (i = 0; i < n && rc != QUIRE_ENOMEM; i++)
		rc = bundle_add(&bs, run->conf, recs[i]);
	record_array_free(recs, n);
	if (rc != QUIRE_ENOMEM)
		rc = public_tree_publish(d->dir, d->cfg->public_dir, &bs, &st);
	public_bundles_release(&bs);
	if (rc == QUIRE_OK) {
		printf("published %zu files (%zu unchanged, linked), %zu refused, "
		       "in \"%s\"\n", st.files, st.linked, st.refused,
		       d->cfg->public_dir);
		run->n_file_errors = st.refused;
	} else {
		log_report("the files were not published: the ones published "
			   "before stay");
		run->n_file_errors++;
	}
	return STEP_NEXT;
}

/*
 * A generation key or a worker ahead of PostgreSQL's (the one this
 * deploy just committed): PostgreSQL was restored from an older backup
 * (tiers_restore.h). The tiers are moved past it before Redis is
 * written, and Redis is then rewritten whole at the new generation.
 * QUIRE_OK, else the deploy ends (committed: reported, the master
 * signalled).
 */
static enum quire_err restored_pg(struct run *run)
{
	struct deployer *d = run->d;
	size_t bumped = 0;
	int restored = 0;

	if (tiers_restore_check(d->pg, run->r, &restored) != QUIRE_OK ||
	    !restored)
		return QUIRE_OK;
	if (tiers_restore(d->pg, run->r, &d->gen, &bumped) != QUIRE_OK) {
		log_report("postgresql restored from an older backup, and "
			   "the tiers could not be moved past it (%s; %s): run "
			   "quirectl restore", tier_pg_error(d->pg),
			   tier_redis_error(run->r));
		run->rc = signal_master();
		return QUIRE_EIO;
	}
	printf("postgresql was restored from an older backup: generation "
	       "moved to %lld, %zu posts past the revisions redis held\n",
	       d->gen, bumped);
	run->full = run->restored = 1;
	return QUIRE_OK;
}

/* Writes what was committed to Redis: the changes, or everything when
 * Redis missed a deploy. Without Redis, the master is signalled. */
static enum step write_redis(struct run *run)
{
	struct deployer *d = run->d;
	const struct deploy_plan *plan = &d->plan;
	long long redis_gen = -1;
	int moved = 0;
	enum quire_err rc;

	run->r = deploy_tiers_redis_open(d->cfg, 0);
	if (!run->r) {
		if (!d->cfg->redis_url || !*d->cfg->redis_url)
			printf("no redis configured\n");
		run->rc = run->changed ? signal_master() : DEPLOY_EXIT_OK;
		return STEP_REPORT;
	}
	if (restored_pg(run) != QUIRE_OK)
		return STEP_REPORT;
	if (tier_redis_generation(run->r, &redis_gen) != QUIRE_OK)
		redis_gen = -1;
	/* Redis missed a deploy (it was down, or is new): rewrite it whole.
	 * So too when site.yaml changed: it changes every page, and the
	 * whole rewrite stores it (deploy_refresh.c); the "*" published
	 * then makes every worker load the whole site again. */
	run->full = run->full || redis_gen != d->before ||
		    run->conf_changed;
	if (!run->changed && !run->full) {
		printf("nothing changed: %zu files, generation %lld\n", d->n_files,
		       d->gen);
		run->rc = DEPLOY_EXIT_OK;
		return STEP_END;
	}
	/* After a restore every record is PostgreSQL's: the revisions of
	 * this deploy's upserts may have moved past Redis's. */
	if (run->full)
		rc = deploy_refresh_redis(d->pg, run->r, d->gen,
					  run->restored ? NULL : plan->upserts,
					  run->restored ? 0 : plan->n_upserts);
	else
		rc = tier_redis_store(run->r, plan->upserts, plan->n_upserts,
				      plan->deletes, plan->n_deletes, d->gen,
				      d->before + 1, &moved);
	/* Stored, but the key moved meanwhile (another writer): it stays
	 * where it is, and the next deploy finds it behind and rewrites
	 * Redis whole. */
	if (rc == QUIRE_OK && !run->full && !moved)
		log_report("redis: generation key not at %lld any more; left "
			   "as it is", d->before);
	if (rc != QUIRE_OK) {
		log_report("redis: %s", tier_redis_error(run->r));
		run->rc = signal_master();
		return STEP_REPORT;
	}
	return STEP_NEXT;
}

/* Publishes the invalidation: the slugs changed, or "*" after a whole
 * rewrite, when the slugs are not the whole story. */
static enum step publish(struct run *run)
{
	struct deployer *d = run->d;
	const struct deploy_plan *plan = &d->plan;
	const char **slugs;
	long long receivers = 0;
	size_t i;
	enum quire_err rc;

	/* Before the publish: the acknowledgements then wake the wait. */
	run->acks = tiers_acks_keep(&d->acks, d->cfg);
	slugs = calloc(plan->n_upserts + plan->n_deletes + 1, sizeof(*slugs));
	if (!slugs) {
		run->rc = DEPLOY_EXIT_TIER;
		return STEP_END;
	}
	for (i = 0; i < plan->n_upserts; i++)
		slugs[i] = plan->upserts[i]->slug;
	for (i = 0; i < plan->n_deletes; i++)
		slugs[plan->n_upserts + i] = plan->deletes[i];
	rc = tier_redis_publish(run->r, d->gen, slugs,
				run->full ? 0 : plan->n_upserts + plan->n_deletes,
				run->full, &receivers);
	free(slugs);
	if (rc != QUIRE_OK) {
		log_report("publish failed: %s", tier_redis_error(run->r));
		run->rc = signal_master();
		return STEP_REPORT;
	}
	run->t_publish = quire_now_ms();
	return STEP_NEXT;
}

/* Waits, bounded, until every live worker acknowledged the generation. */
static enum step wait_acks(struct run *run)
{
	struct deployer *d = run->d;

	run->waited = tiers_wait_acks(run->r, run->acks, d->gen, run->timeout_ms,
				      DEPLOY_WORKER_MAX_AGE_S, 1, &run->live,
				      &run->acked);
	/* Unread, the registry says nothing: "0/0 acknowledged" is no
	 * acknowledgement. */
	run->rc = run->waited != QUIRE_EIO && run->acked == run->live ?
		  DEPLOY_EXIT_OK : DEPLOY_EXIT_ACK;
	if (run->waited == QUIRE_EIO)
		log_report("cannot read the workers' acknowledgements from "
			   "redis: %s", tier_redis_error(run->r));
	log_msg(LOG_LEVEL_DEBUG, "deploy", "redis=%s redis_ms=%.1f acks_ms=%.1f",
		run->full ? "whole" : "changes", run->t_publish - run->t_commit,
		quire_now_ms() - run->t_publish);
	return STEP_NEXT;
}

/* What the deploy did, on stdout; the workers that did not
 * acknowledge in time, reported. */
static void report(const struct run *run)
{
	const struct deployer *d = run->d;

	printf("deployed generation %lld: %zu changed, %zu removed, %zu unchanged",
	       d->gen, d->plan.n_upserts, d->plan.n_deletes, d->plan.n_unchanged);
	if (run->conf_changed)
		printf(", %s changed", SITECONF_FILE);
	if (d->plan.n_skipped)
		printf(", %zu skipped", d->plan.n_skipped);
	printf("; committed in %.1f ms", run->t_commit - run->t0);
	/* Only once published: before, no acknowledgement was asked for,
	 * and "0/0 acknowledged" would read as everyone's. */
	if (run->r && run->t_publish > 0)
		printf("; %zu/%zu workers acknowledged in %.1f ms", run->acked,
		       run->live, quire_now_ms() - run->t0);
	printf("\n");
	if (run->rc == DEPLOY_EXIT_ACK && run->t_publish > 0 &&
	    run->waited != QUIRE_EIO)
		log_report("%zu of %zu workers did not acknowledge within %.0f ms",
			   run->live - run->acked, run->live, run->timeout_ms);
}

int deployer_run(struct deployer *d, double timeout_ms, int strict)
{
	/* In order; each goes on to the next, to the report, or ends. */
	static enum step (*const phases[])(struct run *) = {
		refuse_no_content_folder,
		list_and_reach_pg,
		read_site_yaml,
		read_changed,
		make_plan,
		refuse_bad_content,
		commit_pg,
		publish_files,
		write_redis,
		publish,
		wait_acks,
	};
	struct run run;
	enum step step = STEP_NEXT;
	size_t i;

	memset(&run, 0, sizeof(run));
	run.t0 = quire_now_ms();
	run.d = d;
	run.timeout_ms = timeout_ms;
	run.strict = strict;
	run.rc = DEPLOY_EXIT_TIER;
	run.waited = QUIRE_OK;
	deployer_release_last(d);
	for (i = 0; i < sizeof(phases) / sizeof(phases[0]) && step == STEP_NEXT; i++)
		step = phases[i](&run);
	if (step != STEP_END)
		report(&run);
	/* Skipped files do not stop a deploy (one file must not block every
	 * deploy), but they are not deployed: said, and in the exit code
	 * when nothing worse is to be said. */
	if (d->ran && d->plan.n_skipped) {
		log_report("%zu file%s skipped: %s slug is a post of the write API "
			   "(listed above); the rest is deployed", d->plan.n_skipped,
			   d->plan.n_skipped == 1 ? "" : "s",
			   d->plan.n_skipped == 1 ? "its" : "each one's");
		if (run.rc == DEPLOY_EXIT_OK)
			run.rc = DEPLOY_EXIT_SKIPPED;
	}
	/* Files with errors do not stop a deploy either (without --strict):
	 * the rest is deployed, each one's last good version kept. */
	if (run.rc != DEPLOY_EXIT_CONTENT && run.plan_made && errors_of(&run)) {
		log_report("%zu error%s in \"%s\" (listed above); the rest is "
			   "deployed, the last good version of each file with an "
			   "error kept", errors_of(&run), errors_of(&run) == 1 ? "" : "s",
			   d->dir);
		if (run.rc == DEPLOY_EXIT_OK || run.rc == DEPLOY_EXIT_SKIPPED)
			run.rc = DEPLOY_EXIT_ERRORS;
	}
	tier_redis_close(run.r);
	siteconf_free(run.conf);
	return run.rc;
}
