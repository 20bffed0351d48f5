/*
 * quirectl.c - the admin command: check, deploy, serve, status, migrate,
 * export, restore, import
 *
 * A deploy is deployer.h's. `quirectl serve DIR` keeps a deployer alive
 * and answers deploys asked on QUIRE_DEPLOY_SOCKET (deploy_server.h);
 * `quirectl deploy DIR` asks it when it answers for DIR, else deploys
 * in this process. `quirectl import wordpress` is import_wxr.h's.
 *
 * Every report, the library's included, goes through log_report(): this
 * program names it ("quirectl: ") and sends it to stderr.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "build_config.h"
#include "content/content.h"
#include "content/html.h"
#include "content/import_wxr.h"
#include "content/markdown.h"
#include "content/public_tree.h"
#include "content/site.h"
#include "deploy/deploy_client.h"
#include "deploy/deploy_refresh.h"
#include "deploy/deploy_server.h"
#include "deploy/deploy_tiers.h"
#include "deploy/deployer.h"
#include "deploy/export.h"
#include "import/import.h"
#include "import/import_hugo.h"
#include "import/import_jekyll.h"
#include "lib/config.h"
#include "lib/limits.h"
#include "lib/log.h"
#include "lib/prefault.h"
#include "lib/quire.h"
#include "tiers/tier_pg.h"
#include "tiers/tier_redis.h"
#include "tiers/tiers.h"
#include "write/preview.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: quirectl check DIR\n"
		"       quirectl deploy DIR [--timeout-ms N] [--strict]\n"
		"       quirectl serve DIR\n"
		"       quirectl status\n"
		"       quirectl migrate\n"
		"       quirectl import jekyll|hugo SOURCE --out DIR\n"
		"       quirectl restore [--timeout-ms N]\n"
		"       quirectl import wordpress EXPORT.xml --out DIR [--media DIR]\n"
		"       quirectl export --out DIR\n"
		"       quirectl preview SLUG [--hours N | --expires UNIX]\n"
		"       quirectl preview --new-key FILE\n"
		"Settings come from the environment, as for quire.fcgi:\n"
		"QUIRE_DATABASE_URL, QUIRE_REDIS_URL, QUIRE_REDIS_PREFIX,\n"
		"QUIRE_UNSAFE_HTML; QUIRE_PID_FILE names the master to signal\n"
		"(SIGHUP) when Redis is down; QUIRE_DEPLOY_SOCKET is where\n"
		"`serve` answers and `deploy` asks; QUIRE_PUBLIC_DIR is where\n"
		"`deploy` publishes static/ and the bundles' files;\n"
		"QUIRE_PREVIEW_KEY_FILE signs `preview` links, under\n"
		"QUIRE_SITE_URL.\n");
}

/*
 * With PostgreSQL configured, the files a deploy would leave out: those
 * whose slug is a post of the write API (a slug has one owner, DESIGN
 * §6), each reported as the deploy reports it. How many; 0 when
 * PostgreSQL could not be asked (said so: the files are still checked).
 */
static size_t check_api_owned(const struct config *cfg, const struct content *c)
{
	struct tier_pg *pg;
	char **slugs, **owned = NULL, msg[QUIRE_MAX_SLUG + 64];
	size_t i, j, n_owned = 0, skipped = 0;
	enum quire_err rc = QUIRE_ENOMEM;

	if (!cfg->database_url || !*cfg->database_url || c->n == 0)
		return 0;
	pg = deploy_tiers_pg_open(cfg);
	slugs = calloc(c->n, sizeof(*slugs));
	if (pg && slugs) {
		for (i = 0; i < c->n; i++)
			slugs[i] = c->posts[i]->slug;
		rc = tier_pg_api_owned(pg, slugs, c->n, &owned, &n_owned);
		if (rc != QUIRE_OK)
			log_report("postgresql: %s", tier_pg_error(pg));
	}
	free(slugs);
	tier_pg_close(pg);
	if (rc != QUIRE_OK) {
		log_report("the slugs were not checked against the posts of the "
			   "write API");
		return 0;
	}
	for (i = 0; i < c->n; i++)
		for (j = 0; j < n_owned; j++)
			if (strcmp(c->posts[i]->slug, owned[j]) == 0) {
				snprintf(msg, sizeof(msg), "slug \"%s\" is owned by "
					 "the write API: a deploy skips this file",
					 owned[j]);
				content_report(c->posts[i]->path, 1, 1, msg);
				skipped++;
				break;
			}
	quire_strings_free(owned, n_owned);
	return skipped;
}

/*
 * The static files and bundles' files a deploy or a load would publish
 * (public_tree.h), each refused one reported: how many refused, or
 * SIZE_MAX when they could not be looked at (reported).
 */
static size_t check_files(const char *dir, const struct content *c)
{
	struct public_bundles bs = { 0 };
	struct public_stats st;
	size_t i;
	enum quire_err rc = QUIRE_OK;

	for (i = 0; i < c->n && rc != QUIRE_ENOMEM; i++)
		rc = public_bundles_add(&bs, c->posts[i], c->conf);
	if (rc != QUIRE_ENOMEM)
		rc = public_tree_check(dir, &bs, &st);
	public_bundles_release(&bs);
	if (rc != QUIRE_OK) {
		log_report("the static files were not checked");
		return SIZE_MAX;
	}
	printf("%zu files to publish, %zu refused\n", st.files, st.refused);
	return st.refused;
}

static int cmd_check(const struct config *cfg, const char *dir)
{
	struct content_options opt = { .unsafe_html = cfg->unsafe_html };
	struct content *c;
	struct site *s = NULL;
	size_t errors, skipped, refused;

	if (content_load(dir, NULL, &opt, &c) != QUIRE_OK) {
		log_report("out of memory");
		return DEPLOY_EXIT_CONTENT;
	}
	errors = c->n_errors;
	/* URLs reserved or taken twice, as the workers would refuse them
	 * (drafts and scheduled posts too: they will be published) */
	if (site_build(c, (time_t)1 << 40, 1, &s) != QUIRE_OK) {
		log_report("out of memory");
		content_free(c);
		return DEPLOY_EXIT_CONTENT;
	}
	errors += s->n_refused;
	site_free(s);
	skipped = check_api_owned(cfg, c);
	printf("%zu files parsed, %zu errors", c->n, errors);
	if (skipped)
		printf(", %zu whose slug is a post of the write API", skipped);
	printf("\n");
	refused = check_files(dir, c);
	errors += refused ? 1 : 0;
	content_free(c);
	return errors ? DEPLOY_EXIT_CONTENT :
	       skipped ? DEPLOY_EXIT_SKIPPED : DEPLOY_EXIT_OK;
}

static int cmd_migrate(const struct config *cfg)
{
	struct tier_pg *pg = deploy_tiers_pg_open(cfg);
	int from = 0, to = 0;
	enum quire_err rc;

	if (!pg)
		return DEPLOY_EXIT_TIER;
	rc = tier_pg_migrate(pg, &from, &to);
	if (rc == QUIRE_OK)
		rc = tier_pg_search_language(pg, cfg->site_language);
	if (rc != QUIRE_OK)
		log_report("migration failed: %s", tier_pg_error(pg));
	else if (from == to)
		printf("schema is at version %d; nothing to do\n", to);
	else
		printf("schema migrated from version %d to %d\n", from, to);
	tier_pg_close(pg);
	return rc == QUIRE_OK ? DEPLOY_EXIT_OK : DEPLOY_EXIT_TIER;
}

/*
 * A restore that no worker acknowledged because Redis names none: with
 * quire running, its workers are not registered yet (Redis restarted
 * or flushed), so neither their acknowledgements nor the generations
 * they hold were seen, and the new generation may be below theirs
 * (the coherence checker, seed 1201: 0/0, exit 0, while both workers
 * served the history the restore took back). Not a success: exit 4,
 * and the operator told the sure way, the README's for a site without
 * Redis.
 */
static int restore_unseen(void)
{
	log_report("no worker is registered in redis (restarted or flushed?): "
		   "none acknowledged, and a generation a worker holds may be "
		   "past the one restored; if quire runs, send SIGHUP to every "
		   "host's master");
	return DEPLOY_EXIT_ACK;
}

/*
 * After the operator restored PostgreSQL from a backup: every tier and
 * worker moved past what they held of the history the restore took
 * back (deploy_refresh_restore), "*" published, and the workers'
 * acknowledgements awaited as a deploy's are.
 */
static int cmd_restore(const struct config *cfg, double timeout_ms)
{
	struct tier_pg *pg;
	struct tier_redis *r = NULL;
	struct tiers_acks acks = { NULL, 0 };
	long long gen = 0, receivers = 0;
	size_t bumped = 0, live = 0, acked = 0;
	enum quire_err rc;
	int exit_rc = DEPLOY_EXIT_TIER;

	if (!cfg->redis_url || !*cfg->redis_url) {
		log_report("restore needs QUIRE_REDIS_URL (and the database); "
			   "without Redis, SIGHUP every master instead: its "
			   "workers reload from PostgreSQL");
		return DEPLOY_EXIT_USAGE;
	}
	if (!(pg = deploy_tiers_pg_open(cfg)))
		return DEPLOY_EXIT_TIER;
	if (!(r = deploy_tiers_redis_open(cfg, 0)))
		goto out;
	if (deploy_refresh_restore(pg, r, &gen, &bumped) != QUIRE_OK) {
		log_report("restore failed (postgresql: %s; redis: %s); run it "
			   "again", tier_pg_error(pg), tier_redis_error(r));
		goto out;
	}
	(void)tiers_acks_keep(&acks, cfg);
	if (tier_redis_publish(r, gen, NULL, 0, 1, &receivers) != QUIRE_OK) {
		/* Redis holds the new generation: each worker's comparison
		 * reloads it within seconds. */
		log_report("publish failed: %s", tier_redis_error(r));
		exit_rc = DEPLOY_EXIT_ACK;
		goto out;
	}
	rc = tiers_wait_acks(r, acks.sub, gen, timeout_ms,
			     DEPLOY_WORKER_MAX_AGE_S, 1, &live, &acked);
	exit_rc = rc != QUIRE_EIO && acked == live ? DEPLOY_EXIT_OK :
		  DEPLOY_EXIT_ACK;
	printf("restored: generation %lld, %zu posts past the revisions redis "
	       "held; %zu/%zu workers acknowledged\n", gen, bumped, acked, live);
	if (rc != QUIRE_EIO && live == 0)
		exit_rc = restore_unseen();
out:
	tiers_acks_close(&acks);
	tier_redis_close(r);
	tier_pg_close(pg);
	return exit_rc;
}

/* deploy's options after DIR, in any order: --timeout-ms N, --strict.
 * 0, or -1 when they are not those. */
static int deploy_args(int argc, char **argv, double *timeout_ms, int *strict)
{
	int i;

	for (i = 3; i < argc; i++) {
		if (strcmp(argv[i], "--strict") == 0)
			*strict = 1;
		else if (strcmp(argv[i], "--timeout-ms") == 0 && i + 1 < argc)
			*timeout_ms = atof(argv[++i]) > 0 ? atof(argv[i]) : *timeout_ms;
		else
			return -1;
	}
	return 0;
}

static int cmd_deploy(const struct config *cfg, const char *dir,
		      double timeout_ms, int strict)
{
	struct deployer *d;
	int rc;

	rc = deploy_client_ask(getenv("QUIRE_DEPLOY_SOCKET"), dir, timeout_ms,
			       strict);
	if (rc != DEPLOY_CLIENT_NONE)
		return rc;
	if (deployer_open(cfg, dir, 0, &d) != QUIRE_OK) {
		log_report("out of memory");
		return DEPLOY_EXIT_TIER;
	}
	rc = deployer_run(d, timeout_ms, strict);
	fflush(stdout);
	deployer_after(d);
	deployer_close(d);
	return rc;
}

static int cmd_serve(const struct config *cfg, const char *dir)
{
	const char *sock = getenv("QUIRE_DEPLOY_SOCKET");
	struct deployer *d;
	enum quire_err rc;

	if (!sock || !*sock) {
		log_report("serve needs QUIRE_DEPLOY_SOCKET");
		return DEPLOY_EXIT_USAGE;
	}
	if (deployer_open(cfg, dir, 1, &d) != QUIRE_OK) {
		log_report("out of memory");
		return DEPLOY_EXIT_TIER;
	}
	/* PostgreSQL down now is no reason not to serve: deploys try again */
	(void)deployer_warm(d);
	rc = deploy_server_run(d, sock);
	deployer_close(d);
	return rc == QUIRE_OK ? DEPLOY_EXIT_OK : DEPLOY_EXIT_USAGE;
}

/* Every post and page PostgreSQL holds, as a content folder (export.h).
 * Exit 0; DEPLOY_EXIT_TIER when PostgreSQL cannot be reached at all;
 * DEPLOY_EXIT_CONTENT for any failure of the export itself, reported
 * (nothing is left at dir). */
static int cmd_export(const struct config *cfg, const char *dir)
{
	struct export_stats st;
	struct tier_pg *pg = deploy_tiers_pg_open(cfg);
	enum quire_err rc;

	if (!pg)
		return DEPLOY_EXIT_TIER;
	rc = export_run(pg, dir, &st);
	tier_pg_close(pg);
	if (rc != QUIRE_OK) {
		log_report("nothing exported to %s", dir);
		return DEPLOY_EXIT_CONTENT;
	}
	printf("exported %zu posts and %zu pages (%zu of the write API) "
	       "to %s\n", st.posts, st.pages, st.api, dir);
	if (st.slug_added)
		printf("files given a slug: line to keep their URL: %zu\n",
		       st.slug_added);
	if (st.generation_after != st.generation || st.vanished)
		printf("the site changed while it was exported (generation "
		       "%lld to %lld): each file is one whole version of its "
		       "post; export again for the site of one moment\n",
		       st.generation, st.generation_after);
	return DEPLOY_EXIT_OK;
}

static int cmd_status(const struct config *cfg)
{
	struct tier_pg *pg = NULL;
	struct tier_redis *r;
	struct tier_redis_worker *w = NULL;
	long long g;
	size_t n = 0, i;
	int version = 0, rc = DEPLOY_EXIT_OK;

	if (cfg->database_url && *cfg->database_url) {
		pg = deploy_tiers_pg_open(cfg);
		if (pg && tier_pg_schema_version(pg, &version) == QUIRE_OK &&
		    tier_pg_generation(pg, &g) == QUIRE_OK)
			printf("postgresql: ok, schema %d, generation %lld\n", version, g);
		else {
			printf("postgresql: unreachable\n");
			rc = DEPLOY_EXIT_TIER;
		}
		tier_pg_close(pg);
	} else {
		printf("postgresql: not configured\n");
	}
	if (!cfg->redis_url || !*cfg->redis_url) {
		printf("redis: not configured\n");
		return rc;
	}
	r = deploy_tiers_redis_open(cfg, 1);
	if (!r) {
		printf("redis: unreachable\n");
		return DEPLOY_EXIT_TIER;
	}
	if (tier_redis_generation(r, &g) == QUIRE_OK)
		printf("redis: ok, generation %lld\n", g);
	else
		printf("redis: ok, nothing deployed\n");
	if (tier_redis_workers(r, DEPLOY_WORKER_MAX_AGE_S, &w, &n) == QUIRE_OK) {
		printf("workers: %zu live\n", n);
		for (i = 0; i < n; i++)
			printf("  %s generation %lld\n", w[i].id, w[i].generation);
		tier_redis_workers_free(w, n);
	}
	tier_redis_close(r);
	return rc;
}

/* jekyll and hugo: SOURCE is the site's folder, no other option. */
static int run_site(enum quire_err (*run)(struct import *), const char *src,
		    const char *out, int argc, char **argv)
{
	struct import im;
	size_t i, posts = 0, pages = 0;
	enum quire_err rc;
	int status;

	(void)argv;
	if (argc) {
		usage(stderr);
		return IMPORT_EXIT_USAGE;
	}
	import_init(&im, src, out);
	rc = run(&im);
	for (i = 0; i < im.n; i++) {
		if (im.posts[i].kind == POST_KIND_PAGE)
			pages++;
		else
			posts++;
	}
	status = import_status(&im, rc);
	printf("%zu posts, %zu pages, %zu static files imported into %s",
	       posts, pages, im.copied, out);
	if (im.reported)
		printf("; %zu problems reported", im.reported);
	printf("%s\n", rc == QUIRE_OK ? "" : "; the import stopped: DIR is incomplete");
	import_release(&im);
	return status;
}

static int import_jekyll_cmd(const char *src, const char *out, int argc, char **argv)
{
	return run_site(import_jekyll, src, out, argc, argv);
}

static int import_hugo_cmd(const char *src, const char *out, int argc, char **argv)
{
	return run_site(import_hugo, src, out, argc, argv);
}

/* wordpress: SOURCE is the export file; --media DIR the uploads. It
 * writes DIR itself, under a temporary name renamed at the end. */
static int import_wordpress_cmd(const char *src, const char *out, int argc,
				char **argv)
{
	struct import_wxr_options o = { NULL, NULL, NULL };
	int i;

	o.export_path = src;
	o.out_dir = out;
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--media") == 0 && i + 1 < argc &&
		    !o.media_dir)
			o.media_dir = argv[++i];
		else
			break;
	}
	if (i < argc) {
		usage(stderr);
		return IMPORT_EXIT_USAGE;
	}
	return import_wxr(&o) == QUIRE_OK ? IMPORT_EXIT_OK : IMPORT_EXIT_FAILED;
}

/* `quirectl import KIND SOURCE --out DIR [OPTIONS]`: one line an
 * importer; SOURCE is a folder (folder 1) or a file; argc/argv are the
 * options after the three. */
static const struct importer {
	const char *kind;
	int folder;
	int writes_out;  /* makes DIR itself, atomically */
	int (*run)(const char *src, const char *out, int argc, char **argv);
} importers[] = {
	{ "jekyll", 1, 0, import_jekyll_cmd },
	{ "hugo", 1, 0, import_hugo_cmd },
	{ "wordpress", 0, 1, import_wordpress_cmd },
};

/* SOURCE is what the importer reads: said before DIR is made. */
static int source_ready(const char *src, int folder)
{
	struct stat st;

	if (stat(src, &st) != 0) {
		log_report("%s: %s", src, strerror(errno));
		return 0;
	}
	if (folder ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode))
		return 1;
	log_report("%s: not a %s", src, folder ? "folder" : "file");
	return 0;
}

/* DIR made, or refused when it holds anything already: an import never
 * writes over what an author has. */
static int out_ready(const char *out)
{
	struct dirent *e;
	DIR *d;
	int empty = 1;

	if (mkdir(out, 0755) == 0)
		return 1;
	if (errno != EEXIST || !(d = opendir(out))) {
		log_report("%s: cannot make the folder: %s", out, strerror(errno));
		return 0;
	}
	while (empty && (e = readdir(d)))
		empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
	closedir(d);
	if (!empty)
		log_report("%s is not empty: import into a new folder", out);
	return empty;
}

static int cmd_import(int argc, char **argv)
{
	char *rest[8];
	const char *out = NULL;
	int i, n = 0;
	size_t k;

	for (i = 4; i < argc; i++) {
		if (strcmp(argv[i], "--out") == 0 && i + 1 < argc && !out)
			out = argv[++i];
		else if (n < (int)(sizeof(rest) / sizeof(rest[0])))
			rest[n++] = argv[i];
		else
			out = NULL, i = argc;
	}
	for (k = 0; k < sizeof(importers) / sizeof(importers[0]); k++) {
		if (argc < 4 || strcmp(argv[2], importers[k].kind) != 0 || !out)
			continue;
		if (!source_ready(argv[3], importers[k].folder))
			return IMPORT_EXIT_FAILED;
		if (importers[k].writes_out)
			return importers[k].run(argv[3], out, n, rest);
		return out_ready(out) ? importers[k].run(argv[3], out, n, rest) :
		       IMPORT_EXIT_USAGE;
	}
	usage(stderr);
	return IMPORT_EXIT_USAGE;
}

/* The longest a preview link lives: a year. */
#define PREVIEW_MAX_HOURS 8760

/* A slug a preview link may name: one path segment, no control. */
static int preview_slug_ok(const char *slug)
{
	const unsigned char *s = (const unsigned char *)slug;

	if (!*s || strlen(slug) > PREVIEW_MAX_SLUG)
		return 0;
	for (; *s; s++)
		if (*s < 0x20 || *s == 0x7f || *s == '/' || *s == '\\')
			return 0;
	return 1;
}

/* preview SLUG [--hours N | --expires UNIX]: prints the link. */
static int cmd_preview(const struct config *cfg, int argc, char **argv)
{
	struct preview_key key;
	struct buf url = BUF_INIT;
	char err[1024], sig[PREVIEW_SIG_LEN + 1], *end;
	long long exp = (long long)time(NULL) + 24 * 3600, n;
	int rc = 1;

	if (argc == 4 && strcmp(argv[2], "--new-key") == 0) {
		if (preview_key_new(argv[3], err, sizeof(err)) != QUIRE_OK) {
			log_report("%s", err);
			return 1;
		}
		printf("%s: a new preview key; set QUIRE_PREVIEW_KEY_FILE=%s and "
		       "reload quire (SIGHUP)\n", argv[3], argv[3]);
		return DEPLOY_EXIT_OK;
	}
	if (argc == 5) {
		errno = 0;
		n = strtoll(argv[4], &end, 10);
		if (errno || *end || end == argv[4])
			return -1;
		if (strcmp(argv[3], "--hours") == 0 && n >= 1 &&
		    n <= PREVIEW_MAX_HOURS)
			exp = (long long)time(NULL) + n * 3600;
		else if (strcmp(argv[3], "--expires") == 0 && n >= 0 &&
			 n < 1000000000000000000LL) /* 18 digits, as checked */
			exp = n;
		else
			return -1;
	} else if (argc != 3) {
		return -1;
	}
	if (!preview_slug_ok(argv[2]))
		return -1;
	if (!cfg->preview_key_file) {
		log_report("no preview key: set QUIRE_PREVIEW_KEY_FILE (see "
			   "quirectl preview --new-key)");
		return 1;
	}
	if (preview_key_load(cfg->preview_key_file, &key, err, sizeof(err)) !=
	    QUIRE_OK) {
		log_report("%s", err);
		return 1;
	}
	if (preview_sign(&key, argv[2], exp, sig) == QUIRE_OK) {
		buf_puts(&url, cfg->site_url);
		buf_puts(&url, "/preview/");
		html_url_encode(&url, argv[2], strlen(argv[2]));
		buf_printf(&url, "?exp=%lld&sig=%s", exp, sig);
		if (!buf_failed(&url)) {
			printf("%s\n", url.data);
			rc = fflush(stdout) == 0 ? DEPLOY_EXIT_OK : 1;
		}
	}
	preview_key_wipe(&key);
	buf_release(&url);
	return rc;
}

int main(int argc, char **argv)
{
	char *env_only[] = { argv[0], NULL };
	struct config cfg;
	char err[256] = "";
	double timeout_ms = 5000;
	const char *t;
	int rc, strict = 0;

	prefault_keep_freed();
	/* What went wrong, the library's and this program's alike: on
	 * stderr, which a deploy server hands to its client for a deploy */
	log_set_report("quirectl: ", stderr);
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? DEPLOY_EXIT_USAGE : DEPLOY_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("quirectl %s\n", PACKAGE_VERSION);
		return DEPLOY_EXIT_OK;
	}
	if (config_load(&cfg, 1, env_only, err, sizeof(err)) != QUIRE_OK) {
		log_report("%s", err);
		return DEPLOY_EXIT_USAGE;
	}
	/* A server says what it does (info); a command only what went wrong */
	log_set_level_from_env(strcmp(argv[1], "serve") == 0 ? LOG_LEVEL_INFO :
			       LOG_LEVEL_WARN);
	if ((t = getenv("QUIRE_DEPLOY_TIMEOUT_MS")) && atof(t) > 0)
		timeout_ms = atof(t);
	markdown_init();
	if (strcmp(argv[1], "import") == 0)
		rc = cmd_import(argc, argv);
	else if (strcmp(argv[1], "check") == 0 && argc == 3)
		rc = cmd_check(&cfg, argv[2]);
	else if (strcmp(argv[1], "deploy") == 0 && argc >= 3 &&
		 deploy_args(argc, argv, &timeout_ms, &strict) == 0)
		rc = cmd_deploy(&cfg, argv[2], timeout_ms, strict);
	else if (strcmp(argv[1], "serve") == 0 && argc == 3)
		rc = cmd_serve(&cfg, argv[2]);
	else if (strcmp(argv[1], "status") == 0 && argc == 2)
		rc = cmd_status(&cfg);
	else if (strcmp(argv[1], "migrate") == 0 && argc == 2)
		rc = cmd_migrate(&cfg);
	else if (strcmp(argv[1], "export") == 0 && argc == 4 &&
		 strcmp(argv[2], "--out") == 0)
		rc = cmd_export(&cfg, argv[3]);
	else if (strcmp(argv[1], "restore") == 0 &&
		 (argc == 2 || (argc == 4 && strcmp(argv[2], "--timeout-ms") == 0)))
		rc = cmd_restore(&cfg, argc == 4 && atof(argv[3]) > 0 ?
				 atof(argv[3]) : timeout_ms);
	else if (strcmp(argv[1], "preview") == 0 &&
		 (rc = cmd_preview(&cfg, argc, argv)) >= 0)
		; /* done; a negative rc is a usage error, below */
	else {
		usage(stderr);
		rc = DEPLOY_EXIT_USAGE;
	}
	config_release(&cfg);
	return rc;
}
