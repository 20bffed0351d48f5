/*
 * quirectl.c - the admin command: check, deploy, status, migrate
 *
 * A deploy (DESIGN §6): every file is stat'ed, while PostgreSQL is asked
 * for what the last deploy kept (path, hash, file signature); only files
 * whose signature changed are read and hashed (content_scan.h), and only
 * those whose path or hash changed are parsed and rendered; any error is
 * printed and nothing changes. Then, in one PostgreSQL
 * transaction, the changes and a new generation are committed; Redis is
 * refreshed and the invalidation published; and quirectl waits, bounded,
 * until every live worker acknowledged the new generation.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "build_config.h"
#include "config.h"
#include "deploy.h"
#include "deploy_cache.h"
#include "heap.h"
#include "log.h"
#include "markdown.h"
#include "quire.h"
#include "tier_files.h"
#include "tier_pg.h"
#include "tier_redis.h"
#include "tiers.h"

#define REDIS_TIMEOUT_MS 2000
#define WORKER_MAX_AGE_S 10       /* a worker silent longer is not live */
#define FULL_REFRESH_BATCH 256

enum exit_code {
	EXIT_OK = 0,
	EXIT_CONTENT = 1,    /* the content has errors; nothing changed */
	EXIT_USAGE = 2,
	EXIT_TIER = 3,       /* a tier needed is unreachable */
	EXIT_ACK = 4,        /* deployed, but not every worker acknowledged */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: quirectl check DIR\n"
		"       quirectl deploy DIR [--timeout-ms N]\n"
		"       quirectl status\n"
		"       quirectl migrate\n"
		"Settings come from the environment, as for quire.fcgi:\n"
		"QUIRE_DATABASE_URL, QUIRE_REDIS_URL, QUIRE_REDIS_PREFIX,\n"
		"QUIRE_UNSAFE_HTML; QUIRE_PID_FILE names the master to signal\n"
		"(SIGHUP) when Redis is down.\n");
}

static int cmd_check(const struct config *cfg, const char *dir)
{
	struct content_options opt = { cfg->unsafe_html };
	struct content *c;
	size_t errors;

	if (content_load(dir, NULL, &opt, &c) != QUIRE_OK) {
		fprintf(stderr, "quirectl: out of memory\n");
		return EXIT_CONTENT;
	}
	errors = c->n_errors;
	printf("%zu files parsed, %zu errors\n", c->n, errors);
	content_free(c);
	return errors ? EXIT_CONTENT : EXIT_OK;
}

static struct tier_pg *pg_open(const struct config *cfg)
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

static struct tier_redis *redis_open(const struct config *cfg, int quiet)
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

static int cmd_migrate(const struct config *cfg)
{
	struct tier_pg *pg = pg_open(cfg);
	int from = 0, to = 0, rc;

	if (!pg)
		return EXIT_TIER;
	rc = tier_pg_migrate(pg, &from, &to);
	if (rc != QUIRE_OK)
		fprintf(stderr, "quirectl: migration failed: %s\n", tier_pg_error(pg));
	else if (from == to)
		printf("schema is at version %d; nothing to do\n", to);
	else
		printf("schema migrated from version %d to %d\n", from, to);
	tier_pg_close(pg);
	return rc == QUIRE_OK ? EXIT_OK : EXIT_TIER;
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
		return EXIT_TIER;
	}
	if (fscanf(f, "%ld", &pid) != 1 || pid <= 1) {
		fclose(f);
		fprintf(stderr, "quirectl: no pid in \"%s\"\n", path);
		return EXIT_TIER;
	}
	fclose(f);
	if (kill((pid_t)pid, SIGHUP) == -1) {
		fprintf(stderr, "quirectl: cannot signal master %ld: %s\n", pid,
			strerror(errno));
		return EXIT_TIER;
	}
	printf("redis unreachable: signalled the local master (pid %ld) to reload "
	       "instead\n", pid);
	return EXIT_OK;
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
	struct record **idx = NULL, **old = NULL, *batch[FULL_REFRESH_BATCH];
	char **gone = NULL;
	const char **done = NULL, **live = NULL;
	size_t n = 0, n_old = 0, nb = 0, n_gone = 0, i, j;
	long long g;
	int rc;

	rc = tier_pg_index(pg, &idx, &n, &g);
	if (rc != QUIRE_OK)
		return rc;
	if (tier_redis_index(r, &old, &n_old, &g) == QUIRE_OK && n_old) {
		gone = calloc(n_old, sizeof(*gone));
		live = calloc(n ? n : 1, sizeof(*live));
		if (!gone || !live) {
			rc = QUIRE_ENOMEM;
			goto out;
		}
		for (i = 0; i < n; i++)
			live[i] = idx[i]->slug;
		qsort(live, n, sizeof(*live), cmp_str);
		for (i = 0; i < n_old; i++)
			if (!bsearch(&old[i]->slug, live, n, sizeof(*live), cmp_str))
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
	for (i = 0; i < n_upserts; i += FULL_REFRESH_BATCH) {
		nb = n_upserts - i < FULL_REFRESH_BATCH ? n_upserts - i : FULL_REFRESH_BATCH;
		rc = tier_redis_store(r, upserts + i, nb, NULL, 0, generation);
		if (rc != QUIRE_OK)
			goto out;
	}
	nb = 0;
	for (i = 0; i <= n; i++) {
		if (i < n) {
			if (bsearch(&idx[i]->slug, done, n_upserts, sizeof(*done), cmp_str))
				continue; /* stored above */
			rc = tier_pg_fetch(pg, idx[i]->slug, &batch[nb]);
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
	goto out;
out_batch:
	for (j = 0; j < nb; j++)
		record_free(batch[j]);
out:
	free(live);
	free(done);
	free(gone);
	records_free(old, n_old);
	records_free(idx, n);
	return rc;
}

/* What a deploy needs from PostgreSQL before it can plan, fetched on a
 * thread while the content folder is listed and stat'ed. */
struct pg_prep {
	const struct config *cfg;
	char *cache_dir;         /* NULL: no cache */
	struct tier_pg *pg;
	long long before;
	struct tier_pg_site site;
	struct tier_pg_hash *known; /* from cache, or else from PostgreSQL: */
	size_t n_known;
	struct deploy_cache *cache;
	struct tier_pg_hash *fetched;
	struct deploy_known *index; /* known by path */
	int from_cache;
	int ok;
	double ms;
};

static void *pg_prep_run(void *arg)
{
	struct pg_prep *p = arg;
	double t0 = quire_now_ms();
	int rc = QUIRE_ENOTFOUND;

	p->pg = pg_open(p->cfg);
	if (!p->pg)
		return NULL;
	if (tier_pg_migrate(p->pg, NULL, NULL) != QUIRE_OK ||
	    tier_pg_site(p->pg, &p->site) != QUIRE_OK) {
		fprintf(stderr, "quirectl: postgresql: %s\n", tier_pg_error(p->pg));
		return NULL;
	}
	p->before = p->site.generation;
	if (p->cache_dir)
		rc = deploy_cache_load(p->cache_dir, &p->site, &p->cache);
	p->from_cache = rc == QUIRE_OK;
	if (p->cache) {
		p->known = p->cache->v;
		p->n_known = p->cache->n;
	}
	if (rc == QUIRE_ENOMEM ||
	    (rc != QUIRE_OK && tier_pg_content_hashes(p->pg, &p->fetched,
						      &p->n_known) != QUIRE_OK)) {
		fprintf(stderr, "quirectl: postgresql: %s\n", tier_pg_error(p->pg));
		return NULL;
	}
	if (p->fetched)
		p->known = p->fetched;
	if (deploy_known_index(p->known, p->n_known, &p->index) != QUIRE_OK) {
		fprintf(stderr, "quirectl: out of memory\n");
		return NULL;
	}
	p->ok = 1;
	p->ms = quire_now_ms() - t0;
	return NULL;
}

/* Keeps what PostgreSQL now holds of the content posts for the next
 * deploy from this host, when this deploy's commit is the only one since
 * they were read and none came after (else the next deploy fetches
 * them). */
static void save_known(struct pg_prep *prep, const struct deploy_plan *plan,
		       long long gen)
{
	struct tier_pg_site now;
	struct tier_pg_hash *v;
	size_t n;
	int changed = plan->n_upserts || plan->n_deletes;

	if (!prep->cache_dir || gen != prep->before + (changed ? 1 : 0) ||
	    tier_pg_site(prep->pg, &now) != QUIRE_OK || now.generation != gen)
		return;
	if (deploy_known_after(prep->index, plan, &v, &n) != QUIRE_OK)
		return;
	if (deploy_cache_save(prep->cache_dir, &now, v, n) != QUIRE_OK)
		log_msg(LOG_LEVEL_DEBUG, "deploy", "cache not saved in %s: %s",
			prep->cache_dir, strerror(errno));
	free(v);
}

/* Keeps the signatures of the files read, so the next deploy need not
 * read them; a failure only costs that. */
static void keep_sigs(struct tier_pg *pg, const struct deploy_plan *plan)
{
	if (tier_pg_keep_sigs(pg, plan->sigs, plan->n_sigs) != QUIRE_OK)
		log_msg(LOG_LEVEL_WARN, "deploy", "file signatures not kept: %s",
			tier_pg_error(pg));
}

static int cmd_deploy(const struct config *cfg, const char *dir,
		      double timeout_ms)
{
	struct content_options opt = { cfg->unsafe_html };
	struct content_file *files = NULL;
	struct pg_prep prep;
	struct deploy_plan plan;
	struct tier_pg *pg = NULL;
	struct tier_redis *r = NULL;
	const char **slugs = NULL;
	pthread_t th;
	size_t n_files = 0, n_errors = 0, n_skipped = 0, live = 0, acked = 0, i;
	long long before = 0, gen = 0, redis_gen = -1, receivers = 0;
	double t0 = quire_now_ms(), t_list, t_joined, t_read, t_commit, t_publish;
	int rc = EXIT_TIER, changed, full, threaded, listed;

	memset(&plan, 0, sizeof(plan));
	memset(&prep, 0, sizeof(prep));
	prep.cfg = cfg;
	prep.cache_dir = deploy_cache_dir();
	threaded = pthread_create(&th, NULL, pg_prep_run, &prep) == 0;
	listed = content_list(dir, &files, &n_files, &n_errors);
	t_list = quire_now_ms();
	if (threaded)
		pthread_join(th, NULL);
	else
		pg_prep_run(&prep);
	t_joined = quire_now_ms();
	pg = prep.pg;
	before = prep.before;
	if (listed != QUIRE_OK) {
		fprintf(stderr, "quirectl: out of memory reading \"%s\"\n", dir);
		rc = EXIT_CONTENT;
		goto out;
	}
	if (!prep.ok) {
		fprintf(stderr, "quirectl: nothing deployed\n");
		goto out;
	}
	deploy_skip_known(files, n_files, prep.index, &n_skipped);
	if (content_read(files, &n_files, &n_errors) != QUIRE_OK) {
		fprintf(stderr, "quirectl: out of memory reading \"%s\"\n", dir);
		rc = EXIT_CONTENT;
		goto out;
	}
	t_read = quire_now_ms();
	if (deploy_plan_make(files, n_files, prep.index, &opt, &plan) != QUIRE_OK) {
		fprintf(stderr, "quirectl: out of memory planning the deploy\n");
		goto out;
	}
	if (plan.n_errors || n_errors) {
		fprintf(stderr, "quirectl: %zu errors in \"%s\" (listed above); "
			"nothing deployed\n", plan.n_errors + n_errors, dir);
		rc = EXIT_CONTENT;
		goto out;
	}
	changed = plan.n_upserts || plan.n_deletes;
	gen = before;
	if (changed && tier_pg_deploy(pg, plan.upserts, plan.n_upserts,
				      plan.deletes, plan.n_deletes, &gen) != QUIRE_OK) {
		fprintf(stderr, "quirectl: postgresql: %s; nothing deployed\n",
			tier_pg_error(pg));
		goto out;
	}
	t_commit = quire_now_ms();
	/* list and pg ran side by side; wait is how long the list then
	 * waited for pg */
	log_msg(LOG_LEVEL_DEBUG, "deploy", "files=%zu read=%zu known_from=%s "
		"list_ms=%.1f pg_ms=%.1f wait_ms=%.1f read_ms=%.1f "
		"plan_commit_ms=%.1f", n_files, n_files - n_skipped,
		prep.from_cache ? "cache" : "postgresql", t_list - t0, prep.ms,
		t_joined - t_list, t_read - t_joined, t_commit - t_read);

	r = redis_open(cfg, 0);
	if (!r) {
		if (!cfg->redis_url || !*cfg->redis_url)
			printf("no redis configured\n");
		rc = changed ? signal_master() : EXIT_OK;
		goto report;
	}
	if (tier_redis_generation(r, &redis_gen) != QUIRE_OK)
		redis_gen = -1;
	/* Redis missed a deploy (it was down, or is new): rewrite it whole. */
	full = redis_gen != before;
	if (!changed && !full) {
		printf("nothing changed: %zu files, generation %lld\n", n_files, gen);
		rc = EXIT_OK;
		goto sigs;
	}
	if (full)
		rc = full_refresh(pg, r, gen, plan.upserts, plan.n_upserts);
	else
		rc = tier_redis_store(r, plan.upserts, plan.n_upserts, plan.deletes,
				      plan.n_deletes, gen);
	if (rc != QUIRE_OK) {
		fprintf(stderr, "quirectl: redis: %s\n", tier_redis_error(r));
		rc = signal_master();
		goto report;
	}
	slugs = calloc(plan.n_upserts + plan.n_deletes + 1, sizeof(*slugs));
	if (!slugs) {
		rc = EXIT_TIER;
		goto out;
	}
	for (i = 0; i < plan.n_upserts; i++)
		slugs[i] = plan.upserts[i]->slug;
	for (i = 0; i < plan.n_deletes; i++)
		slugs[plan.n_upserts + i] = plan.deletes[i];
	/* After a whole rewrite, the slugs are not the whole story: "*". */
	if (tier_redis_publish(r, gen, slugs,
			       full ? 0 : plan.n_upserts + plan.n_deletes,
			       full, &receivers) != QUIRE_OK) {
		fprintf(stderr, "quirectl: publish failed: %s\n", tier_redis_error(r));
		rc = signal_master();
		goto report;
	}
	t_publish = quire_now_ms();
	tiers_wait_acks(r, gen, timeout_ms, WORKER_MAX_AGE_S, 1, &live, &acked);
	rc = acked == live ? EXIT_OK : EXIT_ACK;
	log_msg(LOG_LEVEL_DEBUG, "deploy", "redis=%s redis_ms=%.1f acks_ms=%.1f",
		full ? "whole" : "changes", t_publish - t_commit,
		quire_now_ms() - t_publish);
report:
	printf("deployed generation %lld: %zu changed, %zu removed, %zu unchanged; "
	       "committed in %.1f ms", gen, plan.n_upserts, plan.n_deletes,
	       plan.n_unchanged, t_commit - t0);
	if (r)
		printf("; %zu/%zu workers acknowledged in %.1f ms", acked, live,
		       quire_now_ms() - t0);
	printf("\n");
	if (rc == EXIT_ACK)
		fprintf(stderr, "quirectl: %zu of %zu workers did not acknowledge "
			"within %.0f ms\n", live - acked, live, timeout_ms);
sigs:
	/* After the workers were told: not on the deploy's path. */
	keep_sigs(pg, &plan);
	if (pg)
		save_known(&prep, &plan, gen);
	log_msg(LOG_LEVEL_DEBUG, "deploy", "kept_ms=%.1f", quire_now_ms() - t0);
out:
	free(slugs);
	deploy_plan_release(&plan);
	deploy_known_free(prep.index);
	tier_pg_hashes_free(prep.fetched, prep.fetched ? prep.n_known : 0);
	deploy_cache_free(prep.cache);
	free(prep.cache_dir);
	content_files_free(files, n_files);
	tier_redis_close(r);
	tier_pg_close(pg);
	return rc;
}

static int cmd_status(const struct config *cfg)
{
	struct tier_pg *pg = NULL;
	struct tier_redis *r;
	struct tier_redis_worker *w = NULL;
	long long g;
	size_t n = 0, i;
	int version = 0, rc = EXIT_OK;

	if (cfg->database_url && *cfg->database_url) {
		pg = pg_open(cfg);
		if (pg && tier_pg_schema_version(pg, &version) == QUIRE_OK &&
		    tier_pg_generation(pg, &g) == QUIRE_OK)
			printf("postgresql: ok, schema %d, generation %lld\n", version, g);
		else {
			printf("postgresql: unreachable\n");
			rc = EXIT_TIER;
		}
		tier_pg_close(pg);
	} else {
		printf("postgresql: not configured\n");
	}
	if (!cfg->redis_url || !*cfg->redis_url) {
		printf("redis: not configured\n");
		return rc;
	}
	r = redis_open(cfg, 1);
	if (!r) {
		printf("redis: unreachable\n");
		return EXIT_TIER;
	}
	if (tier_redis_generation(r, &g) == QUIRE_OK)
		printf("redis: ok, generation %lld\n", g);
	else
		printf("redis: ok, nothing deployed\n");
	if (tier_redis_workers(r, WORKER_MAX_AGE_S, &w, &n) == QUIRE_OK) {
		printf("workers: %zu live\n", n);
		for (i = 0; i < n; i++)
			printf("  %s generation %lld\n", w[i].id, w[i].generation);
		tier_redis_workers_free(w, n);
	}
	tier_redis_close(r);
	return rc;
}

int main(int argc, char **argv)
{
	char *env_only[] = { argv[0], NULL };
	struct config cfg;
	char err[256] = "";
	double timeout_ms = 5000;
	const char *t;
	int rc;

	heap_tune();
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("quirectl %s\n", PACKAGE_VERSION);
		return EXIT_OK;
	}
	if (config_load(&cfg, 1, env_only, err, sizeof(err)) != QUIRE_OK) {
		fprintf(stderr, "quirectl: %s\n", err);
		return EXIT_USAGE;
	}
	log_set_level_from_env(LOG_LEVEL_WARN);
	if ((t = getenv("QUIRE_DEPLOY_TIMEOUT_MS")) && atof(t) > 0)
		timeout_ms = atof(t);
	if (argc == 5 && strcmp(argv[3], "--timeout-ms") == 0 && atof(argv[4]) > 0)
		timeout_ms = atof(argv[4]);
	markdown_init();
	if (strcmp(argv[1], "check") == 0 && argc == 3)
		rc = cmd_check(&cfg, argv[2]);
	else if (strcmp(argv[1], "deploy") == 0 && (argc == 3 || argc == 5))
		rc = cmd_deploy(&cfg, argv[2], timeout_ms);
	else if (strcmp(argv[1], "status") == 0 && argc == 2)
		rc = cmd_status(&cfg);
	else if (strcmp(argv[1], "migrate") == 0 && argc == 2)
		rc = cmd_migrate(&cfg);
	else {
		usage(stderr);
		rc = EXIT_USAGE;
	}
	config_release(&cfg);
	return rc;
}
