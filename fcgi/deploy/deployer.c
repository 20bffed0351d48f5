/*
 * deployer.c - a content deploy, once or again and again (deployer.h)
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "content/content.h"
#include "content/content_watch.h"
#include "deploy/deploy.h"
#include "deploy/deploy_cache.h"
#include "deploy/deployer.h"
#include "lib/limits.h"
#include "lib/log.h"
#include "lib/quire.h"
#include "tiers/tiers.h"

#define REDIS_TIMEOUT_MS 2000
#define FULL_REFRESH_BATCH 256

struct tier_pg *deploy_pg_open(const struct config *cfg)
{
	struct tier_pg *pg;
	char err[512];

	if (!cfg->database_url || !*cfg->database_url) {
		fprintf(stderr, "quirectl: QUIRE_DATABASE_URL is not set\n");
		return NULL;
	}
	if (tier_pg_connect(cfg->database_url, &pg, err, sizeof(err)) != QUIRE_OK) {
		fprintf(stderr, "quirectl: postgresql unreachable: %s\n", err);
		return NULL;
	}
	return pg;
}

struct tier_redis *deploy_redis_open(const struct config *cfg, int quiet)
{
	struct tier_redis *r;
	char err[512];

	if (!cfg->redis_url || !*cfg->redis_url)
		return NULL;
	if (tier_redis_connect(cfg->redis_url, cfg->redis_prefix,
			       REDIS_TIMEOUT_MS, &r, err, sizeof(err)) != QUIRE_OK) {
		if (!quiet)
			fprintf(stderr, "quirectl: redis unreachable: %s\n", err);
		return NULL;
	}
	return r;
}

/* Signals the local master to reload, the fallback when Redis is down. */
static int signal_master(void)
{
	const char *path = getenv("QUIRE_PID_FILE");
	FILE *f;
	long pid = 0;

	if (!path || !*path || !(f = fopen(path, "r"))) {
		fprintf(stderr, "quirectl: redis unreachable and no QUIRE_PID_FILE "
			"to signal: workers were not told\n");
		return DEPLOY_EXIT_TIER;
	}
	if (fscanf(f, "%ld", &pid) != 1 || pid <= 1) {
		fclose(f);
		fprintf(stderr, "quirectl: no pid in \"%s\"\n", path);
		return DEPLOY_EXIT_TIER;
	}
	fclose(f);
	if (kill((pid_t)pid, SIGHUP) == -1) {
		fprintf(stderr, "quirectl: cannot signal master %ld: %s\n", pid,
			strerror(errno));
		return DEPLOY_EXIT_TIER;
	}
	printf("redis unreachable: signalled the local master (pid %ld) to reload "
	       "instead\n", pid);
	return DEPLOY_EXIT_OK;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * Rewrites Redis whole, for a Redis that missed a deploy (it was down) or
 * is new: the records this deploy just committed straight from memory,
 * every other post fetched from PostgreSQL, the generation, and the
 * removal of what PostgreSQL no longer has.
 */
static int full_refresh(struct tier_pg *pg, struct tier_redis *r,
			long long generation, struct record *const *upserts,
			size_t n_upserts)
{
	struct record **old = NULL, *batch[FULL_REFRESH_BATCH];
	char **in_pg = NULL, **gone = NULL;
	const char **done = NULL;
	size_t n = 0, n_old = 0, nb = 0, n_gone = 0, i, j;
	long long g;
	int rc;
	double t0 = quire_now_ms(), t_pg, t_old;

	rc = tier_pg_slugs(pg, &in_pg, &n);
	if (rc != QUIRE_OK)
		return rc;
	t_pg = quire_now_ms();
	if (tier_redis_index(r, &old, &n_old, &g) == QUIRE_OK && n_old) {
		gone = calloc(n_old, sizeof(*gone));
		if (!gone) {
			rc = QUIRE_ENOMEM;
			goto out;
		}
		if (n)
			qsort(in_pg, n, sizeof(*in_pg), cmp_str);
		for (i = 0; i < n_old; i++)
			if (!bsearch(&old[i]->slug, in_pg, n, sizeof(*in_pg), cmp_str))
				gone[n_gone++] = old[i]->slug;
	}
	/* What this deploy committed is in memory already; sorted slugs tell
	 * which posts need no fetch. */
	done = calloc(n_upserts ? n_upserts : 1, sizeof(*done));
	if (!done) {
		rc = QUIRE_ENOMEM;
		goto out;
	}
	for (i = 0; i < n_upserts; i++)
		done[i] = upserts[i]->slug;
	qsort(done, n_upserts, sizeof(*done), cmp_str);
	t_old = quire_now_ms();
	for (i = 0; i < n_upserts; i += FULL_REFRESH_BATCH) {
		nb = n_upserts - i < FULL_REFRESH_BATCH ? n_upserts - i : FULL_REFRESH_BATCH;
		rc = tier_redis_store(r, upserts + i, nb, NULL, 0, generation);
		if (rc != QUIRE_OK)
			goto out;
	}
	nb = 0;
	for (i = 0; i <= n; i++) {
		if (i < n) {
			if (bsearch(&in_pg[i], done, n_upserts, sizeof(*done), cmp_str))
				continue; /* stored above */
			rc = tier_pg_fetch(pg, in_pg[i], &batch[nb]);
			if (rc == QUIRE_ENOTFOUND)
				continue;
			if (rc != QUIRE_OK)
				goto out_batch;
			nb++;
		}
		if (nb == FULL_REFRESH_BATCH || (i == n && (nb || n_gone))) {
			rc = tier_redis_store(r, batch, nb, i == n ? gone : NULL,
					      i == n ? n_gone : 0, generation);
			for (j = 0; j < nb; j++)
				record_free(batch[j]);
			nb = 0;
			if (rc != QUIRE_OK)
				goto out;
		}
	}
	rc = tier_redis_store(r, NULL, 0, NULL, 0, generation);
	log_msg(LOG_LEVEL_DEBUG, "deploy", "full_refresh pg_slugs_ms=%.1f "
		"redis_index_ms=%.1f store_ms=%.1f", t_pg - t0, t_old - t_pg,
		quire_now_ms() - t_old);
	goto out;
out_batch:
	for (j = 0; j < nb; j++)
		record_free(batch[j]);
out:
	free(done);
	free(gone);
	record_array_free(old, n_old);
	quire_strings_free(in_pg, n);
	return rc;
}


/* What PostgreSQL held of the content posts at site, indexed by path. */
struct known {
	struct tier_pg_site site;
	const struct tier_pg_hash *v; /* into cache or fetched */
	size_t n;
	struct deploy_cache *cache;
	struct tier_pg_hash *fetched;
	size_t n_fetched;
	struct tier_pg_hash *owned; /* a long-lived deployer's own copy */
	char *owned_text;         /* every string of owned, in one block */
	struct deploy_known *index;
	const char *from;        /* "cache", "postgresql" or "memory" */
	int ready;               /* all of the above made */
};

struct deployer {
	const struct config *cfg;
	char *dir;
	char *cache_dir;         /* NULL: no cache file */
	int long_lived;
	struct content_watch *watch; /* long-lived only; NULL: list whole */
	struct tier_pg *pg;
	struct tiers_acks acks;  /* the workers' acknowledgements, subscribed */
	struct known known;
	/* the last deploy, for deployer_after() */
	struct content_file *files;
	size_t n_files;
	struct deploy_plan plan;
	long long before, gen;
	int ran;                 /* reached PostgreSQL: there is after-work */
	double pg_ms;            /* what the last pg_prepare() took */
	int pg_ok;
};

static void known_release(struct known *k)
{
	deploy_known_free(k->index);
	tier_pg_hashes_free(k->fetched, k->n_fetched);
	deploy_cache_free(k->cache);
	free(k->owned);
	free(k->owned_text);
	memset(k, 0, sizeof(*k));
}

/* k indexed by path, as the plan looks it up (parsed: its signatures
 * parsed, or NULL); set ready. */
static int known_index(struct known *k, const struct content_sig *parsed)
{
	if (deploy_known_index(k->v, k->n, parsed, &k->index) != QUIRE_OK) {
		fprintf(stderr, "quirectl: out of memory\n");
		return QUIRE_ENOMEM;
	}
	k->ready = 1;
	return QUIRE_OK;
}

static size_t text_len(const char *s)
{
	return s ? strlen(s) + 1 : 0;
}

static char *text_copy(char **at, const char *s)
{
	char *out = *at;
	size_t len = text_len(s);

	if (!s)
		return NULL;
	memcpy(out, s, len);
	*at += len;
	return out;
}

/*
 * Makes d->known v[0..n) at site, copied (its strings point into what
 * d->known held and into the plan, both about to go): how a long-lived
 * deployer carries what PostgreSQL holds from one deploy to the next,
 * with no file written and read back. QUIRE_OK or QUIRE_ENOMEM.
 */
static int known_adopt(struct deployer *d, const struct tier_pg_site *site,
		       const struct tier_pg_hash *v, const struct content_sig *parsed,
		       size_t n)
{
	struct tier_pg_hash *own;
	size_t bytes = 1, i;
	char *text, *at;

	for (i = 0; i < n; i++)
		bytes += text_len(v[i].slug) + text_len(v[i].path) + text_len(v[i].sig);
	own = calloc(n ? n : 1, sizeof(*own));
	text = malloc(bytes);
	if (!own || !text) {
		free(own);
		free(text);
		return QUIRE_ENOMEM;
	}
	for (i = 0, at = text; i < n; i++) {
		own[i] = v[i];
		own[i].slug = text_copy(&at, v[i].slug);
		own[i].path = text_copy(&at, v[i].path);
		own[i].sig = text_copy(&at, v[i].sig);
	}
	known_release(&d->known);
	d->known.site = *site;
	d->known.owned = own;
	d->known.owned_text = text;
	d->known.v = own;
	d->known.n = n;
	d->known.from = "memory";
	return known_index(&d->known, parsed);
}

/* Makes d->known what PostgreSQL holds at site: the cache file when it
 * was made at site, else fetched. QUIRE_OK, else printed. */
static int known_load(struct deployer *d, const struct tier_pg_site *site)
{
	struct known *k = &d->known;
	int rc = QUIRE_ENOTFOUND;

	known_release(k);
	k->site = *site;
	if (d->cache_dir)
		rc = deploy_cache_load(d->cache_dir, site, &k->cache);
	k->from = rc == QUIRE_OK ? "cache" : "postgresql";
	if (k->cache) {
		k->v = k->cache->v;
		k->n = k->cache->n;
	}
	if (rc == QUIRE_ENOMEM ||
	    (rc != QUIRE_OK && tier_pg_content_hashes(d->pg, &k->fetched,
						      &k->n_fetched) != QUIRE_OK)) {
		fprintf(stderr, "quirectl: postgresql: %s\n", tier_pg_error(d->pg));
		known_release(k);
		return QUIRE_EIO;
	}
	if (k->fetched) {
		k->v = k->fetched;
		k->n = k->n_fetched;
	}
	if (known_index(k, NULL) != QUIRE_OK) {
		known_release(k);
		return QUIRE_ENOMEM;
	}
	return QUIRE_OK;
}

static int same_site(const struct tier_pg_site *a, const struct tier_pg_site *b)
{
	return a->generation == b->generation && strcmp(a->uid, b->uid) == 0 &&
	       strcmp(a->stamp, b->stamp) == 0;
}

/*
 * What a deploy needs from PostgreSQL before it can plan: a connection
 * (kept by a long-lived deployer, and made again once if it broke), the
 * site, and d->known made to match it. Sets d->pg_ok.
 */
static void *pg_prepare(void *arg)
{
	struct deployer *d = arg;
	struct tier_pg_site site;
	double t0 = quire_now_ms();

	d->pg_ok = 0;
	if (d->pg && tier_pg_site(d->pg, &site) != QUIRE_OK) {
		log_msg(LOG_LEVEL_WARN, "deploy", "postgresql connection lost (%s); "
			"connecting again", tier_pg_error(d->pg));
		tier_pg_close(d->pg);
		d->pg = NULL;
	}
	if (!d->pg) {
		d->pg = deploy_pg_open(d->cfg);
		if (!d->pg)
			return NULL;
		if (tier_pg_migrate(d->pg, NULL, NULL) != QUIRE_OK ||
		    tier_pg_site(d->pg, &site) != QUIRE_OK) {
			fprintf(stderr, "quirectl: postgresql: %s\n", tier_pg_error(d->pg));
			return NULL;
		}
	}
	if (!d->known.ready || !same_site(&d->known.site, &site))
		if (known_load(d, &site) != QUIRE_OK)
			return NULL;
	d->pg_ok = 1;
	d->pg_ms = quire_now_ms() - t0;
	return NULL;
}

int deployer_open(const struct config *cfg, const char *dir, int long_lived,
		  struct deployer **out)
{
	struct deployer *d = calloc(1, sizeof(*d));
	int rc;

	*out = NULL;
	if (!d)
		return QUIRE_ENOMEM;
	d->cfg = cfg;
	d->long_lived = long_lived;
	/* One spelling of the folder, whoever asks and from where: the paths
	 * PostgreSQL keeps are the listing's, and the deployer's answers go
	 * to a client that names the folder by its realpath too. */
	d->dir = realpath(dir, NULL);
	if (!d->dir && !(d->dir = strdup(dir))) {
		free(d);
		return QUIRE_ENOMEM;
	}
	d->cache_dir = deploy_cache_dir();
	if (long_lived) {
		rc = content_watch_open(d->dir, &d->watch);
		if (rc == QUIRE_ENOMEM) {
			deployer_close(d);
			return rc;
		}
		if (rc != QUIRE_OK)
			log_msg(LOG_LEVEL_WARN, "deploy", "no inotify (%s): every "
				"deploy lists the folder whole", strerror(errno));
	}
	*out = d;
	return QUIRE_OK;
}

const char *deployer_dir(const struct deployer *d)
{
	return d->dir;
}

/* Drops what the last deploy left for deployer_after(). */
static void last_release(struct deployer *d)
{
	deploy_plan_release(&d->plan);
	content_scan_files_free(d->files, d->n_files);
	d->files = NULL;
	d->n_files = 0;
	d->ran = 0;
}

void deployer_close(struct deployer *d)
{
	if (!d)
		return;
	last_release(d);
	known_release(&d->known);
	content_watch_close(d->watch);
	tier_pg_close(d->pg);
	tiers_acks_close(&d->acks);
	free(d->cache_dir);
	free(d->dir);
	free(d);
}

/* The folder's files: from the watched listing, else listed whole. */
static int list_files(struct deployer *d, size_t *n_errors, int *whole)
{
	struct content_watch_stats st;
	int rc;

	*whole = 1;
	if (!d->watch)
		return content_scan_list(d->dir, &d->files, &d->n_files,
					 n_errors);
	rc = content_watch_list(d->watch, &d->files, &d->n_files, n_errors, &st);
	*whole = st.whole;
	return rc;
}

int deployer_warm(struct deployer *d)
{
	size_t n_errors = 0;
	int whole;

	last_release(d);
	if (list_files(d, &n_errors, &whole) != QUIRE_OK)
		return QUIRE_ENOMEM;
	last_release(d);
	pg_prepare(d);
	return d->pg_ok ? QUIRE_OK : QUIRE_EIO;
}

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
static int content_folder_ok(const char *dir)
{
	if (!has_dir(dir, ".")) {
		fprintf(stderr, "quirectl: \"%s\" is not a folder: nothing "
			"deployed\n", dir);
		return 0;
	}
	if (!has_dir(dir, "posts") && !has_dir(dir, "pages")) {
		fprintf(stderr, "quirectl: \"%s\" has neither posts/ nor pages/: "
			"not a content folder, nothing deployed\n", dir);
		return 0;
	}
	return 1;
}

/*
 * A content file whose slug is a post of the write API would replace it
 * (and take it away when the file goes): refused, naming the file, and
 * nothing deployed. DEPLOY_EXIT_OK when no upsert is one.
 */
static int api_owned(struct deployer *d)
{
	const struct deploy_plan *plan = &d->plan;
	char **slugs, *first = NULL, msg[QUIRE_MAX_SLUG + 128];
	size_t i;
	int rc;

	if (plan->n_upserts == 0)
		return DEPLOY_EXIT_OK;
	slugs = calloc(plan->n_upserts, sizeof(*slugs));
	if (!slugs)
		return DEPLOY_EXIT_TIER;
	for (i = 0; i < plan->n_upserts; i++)
		slugs[i] = plan->upserts[i]->slug;
	rc = tier_pg_api_owned(d->pg, slugs, plan->n_upserts, &first);
	free(slugs);
	if (rc != QUIRE_OK) {
		fprintf(stderr, "quirectl: postgresql: %s; nothing deployed\n",
			tier_pg_error(d->pg));
		return DEPLOY_EXIT_TIER;
	}
	if (!first)
		return DEPLOY_EXIT_OK;
	for (i = 0; i < plan->n_upserts; i++)
		if (strcmp(plan->upserts[i]->slug, first) == 0)
			break;
	snprintf(msg, sizeof(msg), "slug \"%s\" is a post of the write API: a "
		 "content file cannot replace it", first);
	content_report(i < plan->n_upserts && plan->upserts[i]->path ?
		       plan->upserts[i]->path : first, 1, 1, msg);
	fprintf(stderr, "quirectl: 1 error; nothing deployed\n");
	free(first);
	return DEPLOY_EXIT_CONTENT;
}

int deployer_run(struct deployer *d, double timeout_ms)
{
	struct content_options opt = { d->cfg->unsafe_html };
	struct deploy_plan *plan = &d->plan;
	struct tier_redis *r = NULL, *acks;
	const char **slugs = NULL;
	pthread_t th;
	size_t n_errors = 0, n_skipped = 0, live = 0, acked = 0, i;
	long long redis_gen = -1, receivers = 0;
	double t0 = quire_now_ms(), t_list, t_joined, t_read, t_plan, t_commit;
	double t_publish;
	int rc = DEPLOY_EXIT_TIER, changed, full, threaded, listed, whole;
	int waited = QUIRE_OK;

	last_release(d);
	if (!content_folder_ok(d->dir))
		return DEPLOY_EXIT_CONTENT;
	/* A fresh process lists the folder (tens of ms) while PostgreSQL is
	 * reached; a long-lived one lists in well under a millisecond. */
	threaded = !d->watch && pthread_create(&th, NULL, pg_prepare, d) == 0;
	listed = list_files(d, &n_errors, &whole);
	t_list = quire_now_ms();
	if (threaded)
		pthread_join(th, NULL);
	else
		pg_prepare(d);
	t_joined = quire_now_ms();
	if (listed != QUIRE_OK) {
		fprintf(stderr, "quirectl: out of memory reading \"%s\"\n", d->dir);
		return DEPLOY_EXIT_CONTENT;
	}
	if (!d->pg_ok) {
		fprintf(stderr, "quirectl: nothing deployed\n");
		return DEPLOY_EXIT_TIER;
	}
	d->before = d->gen = d->known.site.generation;
	deploy_skip_known(d->files, d->n_files, d->known.index, &n_skipped);
	if (content_scan_read(d->files, &d->n_files, &n_errors) != QUIRE_OK) {
		fprintf(stderr, "quirectl: out of memory reading \"%s\"\n", d->dir);
		return DEPLOY_EXIT_CONTENT;
	}
	t_read = quire_now_ms();
	if (deploy_plan_make(d->files, d->n_files, d->known.index, &opt,
			     plan) != QUIRE_OK) {
		fprintf(stderr, "quirectl: out of memory planning the deploy\n");
		return DEPLOY_EXIT_TIER;
	}
	t_plan = quire_now_ms();
	if (plan->n_errors || n_errors) {
		fprintf(stderr, "quirectl: %zu errors in \"%s\" (listed above); "
			"nothing deployed\n", plan->n_errors + n_errors, d->dir);
		return DEPLOY_EXIT_CONTENT;
	}
	changed = plan->n_upserts || plan->n_deletes;
	if (changed && (rc = api_owned(d)) != DEPLOY_EXIT_OK)
		return rc;
	if (changed && tier_pg_deploy(d->pg, plan->upserts, plan->n_upserts,
				      plan->deletes, plan->n_deletes,
				      &d->gen) != QUIRE_OK) {
		fprintf(stderr, "quirectl: postgresql: %s; nothing deployed\n",
			tier_pg_error(d->pg));
		return DEPLOY_EXIT_TIER;
	}
	d->ran = 1;
	t_commit = quire_now_ms();
	/* list and pg ran side by side in a fresh process; wait is how long
	 * the list then waited for pg */
	log_msg(LOG_LEVEL_DEBUG, "deploy", "files=%zu read=%zu listed=%s "
		"known_from=%s list_ms=%.1f pg_ms=%.1f wait_ms=%.1f read_ms=%.1f "
		"plan_commit_ms=%.1f plan_ms=%.1f commit_ms=%.1f", d->n_files,
		d->n_files - n_skipped, whole ? "whole" : "changes",
		d->known.from, t_list - t0,
		d->pg_ms, t_joined - t_list, t_read - t_joined, t_commit - t_read,
		t_plan - t_read, t_commit - t_plan);

	r = deploy_redis_open(d->cfg, 0);
	if (!r) {
		if (!d->cfg->redis_url || !*d->cfg->redis_url)
			printf("no redis configured\n");
		rc = changed ? signal_master() : DEPLOY_EXIT_OK;
		goto report;
	}
	if (tier_redis_generation(r, &redis_gen) != QUIRE_OK)
		redis_gen = -1;
	/* Redis missed a deploy (it was down, or is new): rewrite it whole. */
	full = redis_gen != d->before;
	if (!changed && !full) {
		printf("nothing changed: %zu files, generation %lld\n", d->n_files,
		       d->gen);
		rc = DEPLOY_EXIT_OK;
		goto out;
	}
	if (full)
		rc = full_refresh(d->pg, r, d->gen, plan->upserts, plan->n_upserts);
	else
		rc = tier_redis_store(r, plan->upserts, plan->n_upserts,
				      plan->deletes, plan->n_deletes, d->gen);
	if (rc != QUIRE_OK) {
		fprintf(stderr, "quirectl: redis: %s\n", tier_redis_error(r));
		rc = signal_master();
		goto report;
	}
	/* Before the publish: the acknowledgements then wake the wait. */
	acks = tiers_acks_keep(&d->acks, d->cfg);
	slugs = calloc(plan->n_upserts + plan->n_deletes + 1, sizeof(*slugs));
	if (!slugs) {
		rc = DEPLOY_EXIT_TIER;
		goto out;
	}
	for (i = 0; i < plan->n_upserts; i++)
		slugs[i] = plan->upserts[i]->slug;
	for (i = 0; i < plan->n_deletes; i++)
		slugs[plan->n_upserts + i] = plan->deletes[i];
	/* After a whole rewrite, the slugs are not the whole story: "*". */
	if (tier_redis_publish(r, d->gen, slugs,
			       full ? 0 : plan->n_upserts + plan->n_deletes,
			       full, &receivers) != QUIRE_OK) {
		fprintf(stderr, "quirectl: publish failed: %s\n", tier_redis_error(r));
		rc = signal_master();
		goto report;
	}
	t_publish = quire_now_ms();
	waited = tiers_wait_acks(r, acks, d->gen, timeout_ms,
				 DEPLOY_WORKER_MAX_AGE_S, 1, &live, &acked);
	/* Unread, the registry says nothing: "0/0 acknowledged" is no
	 * acknowledgement. */
	rc = waited != QUIRE_EIO && acked == live ? DEPLOY_EXIT_OK : DEPLOY_EXIT_ACK;
	if (waited == QUIRE_EIO)
		fprintf(stderr, "quirectl: cannot read the workers' "
			"acknowledgements from redis: %s\n", tier_redis_error(r));
	log_msg(LOG_LEVEL_DEBUG, "deploy", "redis=%s redis_ms=%.1f acks_ms=%.1f",
		full ? "whole" : "changes", t_publish - t_commit,
		quire_now_ms() - t_publish);
report:
	printf("deployed generation %lld: %zu changed, %zu removed, %zu unchanged; "
	       "committed in %.1f ms", d->gen, plan->n_upserts, plan->n_deletes,
	       plan->n_unchanged, t_commit - t0);
	if (r)
		printf("; %zu/%zu workers acknowledged in %.1f ms", acked, live,
		       quire_now_ms() - t0);
	printf("\n");
	if (rc == DEPLOY_EXIT_ACK && waited != QUIRE_EIO)
		fprintf(stderr, "quirectl: %zu of %zu workers did not acknowledge "
			"within %.0f ms\n", live - acked, live, timeout_ms);
out:
	free(slugs);
	tier_redis_close(r);
	return rc;
}

/* Keeps the signatures of the files read, so the next deploy need not
 * read them; a failure only costs that. */
static void keep_sigs(struct deployer *d)
{
	if (tier_pg_keep_sigs(d->pg, d->plan.sigs, d->plan.n_sigs) != QUIRE_OK)
		log_msg(LOG_LEVEL_WARN, "deploy", "file signatures not kept: %s",
			tier_pg_error(d->pg));
}

/*
 * Keeps what PostgreSQL now holds of the content posts for the next
 * deploy, when this deploy's commit is the only one since they were read
 * and none came after (else the next deploy fetches them): a fresh
 * process in the cache file, for the next process on this host; a
 * long-lived deployer in its memory, and otherwise fetches them now,
 * off the next deploy's path.
 */
static void save_known(struct deployer *d)
{
	struct tier_pg_site now;
	struct tier_pg_hash *v = NULL;
	struct content_sig *parsed = NULL;
	size_t n = 0;
	int changed = d->plan.n_upserts || d->plan.n_deletes, kept = 0;

	if (tier_pg_site(d->pg, &now) != QUIRE_OK) {
		known_release(&d->known);
		return;
	}
	if (d->gen == d->before + (changed ? 1 : 0) && now.generation == d->gen &&
	    (d->long_lived || d->cache_dir) &&
	    deploy_known_after(d->known.index, &d->plan, &v,
				      d->long_lived ? &parsed : NULL, &n) == QUIRE_OK) {
		if (d->long_lived)
			kept = known_adopt(d, &now, v, parsed, n) == QUIRE_OK;
		else if (deploy_cache_save(d->cache_dir, &now, v, n) != QUIRE_OK)
			log_msg(LOG_LEVEL_DEBUG, "deploy", "cache not saved in %s: %s",
				d->cache_dir, strerror(errno));
		free(v);
		free(parsed);
	}
	if (d->long_lived && !kept && known_load(d, &now) != QUIRE_OK)
		known_release(&d->known);
}

void deployer_after(struct deployer *d)
{
	double t0 = quire_now_ms();

	if (!d->ran) {
		last_release(d);
		return;
	}
	keep_sigs(d);
	save_known(d);
	last_release(d);
	log_msg(LOG_LEVEL_DEBUG, "deploy", "after_ms=%.1f", quire_now_ms() - t0);
}
