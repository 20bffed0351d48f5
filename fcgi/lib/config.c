/*
 * config.c - quire.fcgi settings from options and QUIRE_* variables
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/config.h"
#include "lib/limits.h"
#include "lib/quire.h"

enum config_opt {
	OPT_LISTEN = 'l',
	OPT_WORKERS = 'w',
	OPT_CONTENT = 'c',
	OPT_TEMPLATES = 't',
	OPT_HELP = 'h',
	OPT_VERSION = 'V',
	OPT_DRAFTS = 256,
	OPT_UNSAFE,
	OPT_SITE_URL,
	OPT_SITE_TITLE,
	OPT_SITE_AUTHOR,
	OPT_PER_PAGE,
	OPT_CACHE_MB,
	OPT_DATABASE_URL,
	OPT_REDIS_URL,
	OPT_REDIS_PREFIX,
	OPT_API_TOKENS,
	OPT_MAX_BODY,
	OPT_USER,
	OPT_GROUP,
	OPT_API_LISTEN,
};

/* One row per setting: its option and its environment twin. */
static const struct {
	const char *env;
	int opt;
} env_twins[] = {
	{ "QUIRE_LISTEN", OPT_LISTEN },
	{ "QUIRE_API_LISTEN", OPT_API_LISTEN },
	{ "QUIRE_WORKERS", OPT_WORKERS },
	{ "QUIRE_CONTENT_DIR", OPT_CONTENT },
	{ "QUIRE_TEMPLATES_DIR", OPT_TEMPLATES },
	{ "QUIRE_ENABLE_DRAFTS", OPT_DRAFTS },
	{ "QUIRE_UNSAFE_HTML", OPT_UNSAFE },
	{ "QUIRE_SITE_URL", OPT_SITE_URL },
	{ "QUIRE_SITE_TITLE", OPT_SITE_TITLE },
	{ "QUIRE_SITE_AUTHOR", OPT_SITE_AUTHOR },
	{ "QUIRE_POSTS_PER_PAGE", OPT_PER_PAGE },
	{ "QUIRE_CACHE_MB", OPT_CACHE_MB },
	{ "QUIRE_DATABASE_URL", OPT_DATABASE_URL },
	{ "QUIRE_REDIS_URL", OPT_REDIS_URL },
	{ "QUIRE_REDIS_PREFIX", OPT_REDIS_PREFIX },
	{ "QUIRE_API_TOKEN_FILE", OPT_API_TOKENS },
	{ "QUIRE_MAX_BODY", OPT_MAX_BODY },
	{ "QUIRE_USER", OPT_USER },
	{ "QUIRE_GROUP", OPT_GROUP },
};

static const struct option long_opts[] = {
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "api-listen", required_argument, NULL, OPT_API_LISTEN },
	{ "workers", required_argument, NULL, OPT_WORKERS },
	{ "content-dir", required_argument, NULL, OPT_CONTENT },
	{ "templates-dir", required_argument, NULL, OPT_TEMPLATES },
	{ "enable-drafts", no_argument, NULL, OPT_DRAFTS },
	{ "unsafe-html", no_argument, NULL, OPT_UNSAFE },
	{ "site-url", required_argument, NULL, OPT_SITE_URL },
	{ "site-title", required_argument, NULL, OPT_SITE_TITLE },
	{ "site-author", required_argument, NULL, OPT_SITE_AUTHOR },
	{ "posts-per-page", required_argument, NULL, OPT_PER_PAGE },
	{ "cache-mb", required_argument, NULL, OPT_CACHE_MB },
	{ "database-url", required_argument, NULL, OPT_DATABASE_URL },
	{ "redis-url", required_argument, NULL, OPT_REDIS_URL },
	{ "redis-prefix", required_argument, NULL, OPT_REDIS_PREFIX },
	{ "api-token-file", required_argument, NULL, OPT_API_TOKENS },
	{ "max-body", required_argument, NULL, OPT_MAX_BODY },
	{ "user", required_argument, NULL, OPT_USER },
	{ "group", required_argument, NULL, OPT_GROUP },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

void config_usage(const char *argv0)
{
	printf("usage: %s [options]\n"
	       "Serve a Markdown blog over FastCGI. Without --listen, the socket\n"
	       "on fd 0 (as spawn-fcgi passes it) is used.\n\n"
	       "  -l, --listen PATH|HOST:PORT  listen here           QUIRE_LISTEN\n"
	       "      --api-listen PATH|HOST:PORT  a second socket, for the web\n"
	       "                               server's /api/: workers take its\n"
	       "                               connections after the pages' (one\n"
	       "                               after every 8 of theirs while both\n"
	       "                               wait); a path gets the owner and\n"
	       "                               mode of the first\n"
	       "                                                     QUIRE_API_LISTEN\n"
	       "  -w, --workers N              worker processes (0: one process,\n"
	       "                               no master; default: one a core)\n"
	       "                                                     QUIRE_WORKERS\n"
	       "  -c, --content-dir DIR        posts/ and pages/     QUIRE_CONTENT_DIR\n"
	       "  -t, --templates-dir DIR      templates             QUIRE_TEMPLATES_DIR\n"
	       "      --enable-drafts          serve drafts          QUIRE_ENABLE_DRAFTS=1\n"
	       "      --unsafe-html            keep raw HTML in content files\n"
	       "                                                     QUIRE_UNSAFE_HTML=1\n"
	       "      --site-url URL           absolute site URL     QUIRE_SITE_URL\n"
	       "      --site-title TEXT        site title            QUIRE_SITE_TITLE\n"
	       "      --site-author NAME       feed author           QUIRE_SITE_AUTHOR\n"
	       "      --posts-per-page N       list page size (10)   QUIRE_POSTS_PER_PAGE\n"
	       "      --cache-mb N             L1 size per worker (64)\n"
	       "                                                     QUIRE_CACHE_MB\n"
	       "      --database-url URL       PostgreSQL (L3), a libpq string\n"
	       "                                                     QUIRE_DATABASE_URL\n"
	       "      --redis-url URL          Redis (L2): redis://HOST:PORT/DB or\n"
	       "                               unix:/PATH            QUIRE_REDIS_URL\n"
	       "      --redis-prefix P         key prefix (quire:)   QUIRE_REDIS_PREFIX\n"
	       "      --api-token-file FILE    bearer tokens, one a line; the write\n"
	       "                               API is off without  QUIRE_API_TOKEN_FILE\n"
	       "      --max-body BYTES         largest API body (1 MiB)\n"
	       "                                                     QUIRE_MAX_BODY\n"
	       "      --user NAME              started as root: run as NAME (name or\n"
	       "                               uid) once the socket is open\n"
	       "                                                     QUIRE_USER\n"
	       "      --group NAME             with --user: this group (default: the\n"
	       "                               user's); a --listen socket is made\n"
	       "                               root:GROUP 0660: the web server's group\n"
	       "                                                     QUIRE_GROUP\n"
	       "  -h, --help                   this text\n"
	       "  -V, --version                the version\n"
	       "Signals to the master: HUP reloads templates and content, USR2\n"
	       "executes the binary at the path it was started from again (an\n"
	       "upgrade: same PID, same socket, no request lost), TERM and INT stop\n"
	       "after the requests in flight.\n", argv0);
}

static int set_str(char **dst, const char *v)
{
	char *s = strdup(v);

	if (!s)
		return QUIRE_ENOMEM;
	free(*dst);
	*dst = s;
	return QUIRE_OK;
}

static int parse_int(const char *v, long min, long max, long *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < min || n > max)
		return QUIRE_EINVAL;
	*out = n;
	return QUIRE_OK;
}

static int parse_bool(const char *v)
{
	return strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0 ||
	       strcasecmp(v, "yes") == 0 || strcasecmp(v, "on") == 0;
}

/* Applies one setting; v is NULL for a flag given as an option. */
static int config_set(struct config *c, int opt, const char *v, char *err,
		      size_t errsz)
{
	long n;
	int rc = QUIRE_OK;

	switch (opt) {
	case OPT_LISTEN:
		rc = set_str(&c->listen, v);
		break;
	case OPT_API_LISTEN: /* empty: none, as with the option not given */
		free(c->api_listen);
		c->api_listen = NULL;
		if (*v)
			rc = set_str(&c->api_listen, v);
		break;
	case OPT_WORKERS:
		if (parse_int(v, 0, 256, &n) != QUIRE_OK)
			goto bad;
		c->workers = (int)n;
		break;
	case OPT_CONTENT:
		rc = set_str(&c->content_dir, v);
		break;
	case OPT_TEMPLATES:
		rc = set_str(&c->templates_dir, v);
		break;
	case OPT_DRAFTS:
		c->enable_drafts = v ? parse_bool(v) : 1;
		break;
	case OPT_UNSAFE:
		c->unsafe_html = v ? parse_bool(v) : 1;
		break;
	case OPT_SITE_URL:
		rc = set_str(&c->site_url, v);
		if (rc == QUIRE_OK) {
			size_t len = strlen(c->site_url);
			while (len > 0 && c->site_url[len - 1] == '/')
				c->site_url[--len] = '\0';
		}
		break;
	case OPT_SITE_TITLE:
		rc = set_str(&c->site_title, v);
		break;
	case OPT_SITE_AUTHOR:
		rc = set_str(&c->site_author, v);
		break;
	case OPT_PER_PAGE:
		if (parse_int(v, 1, 1000, &n) != QUIRE_OK)
			goto bad;
		c->posts_per_page = (int)n;
		break;
	case OPT_DATABASE_URL:
		rc = set_str(&c->database_url, v);
		break;
	case OPT_REDIS_URL:
		rc = set_str(&c->redis_url, v);
		break;
	case OPT_REDIS_PREFIX:
		rc = set_str(&c->redis_prefix, v);
		break;
	case OPT_API_TOKENS:
		rc = set_str(&c->api_token_file, v);
		break;
	case OPT_USER:
		rc = set_str(&c->user, v);
		break;
	case OPT_GROUP:
		rc = set_str(&c->group, v);
		break;
	case OPT_MAX_BODY:
		if (parse_int(v, 1, QUIRE_MAX_BODY, &n) != QUIRE_OK)
			goto bad;
		c->max_body = (size_t)n;
		break;
	case OPT_CACHE_MB:
		if (parse_int(v, 1, 65536, &n) != QUIRE_OK)
			goto bad;
		c->cache_bytes = (size_t)n * 1024 * 1024;
		break;
	}
	return rc;
bad:
	snprintf(err, errsz, "invalid value \"%s\"", v);
	return QUIRE_EINVAL;
}

int config_load(struct config *c, int argc, char **argv, char *err,
		size_t errsz)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	const char *v;
	size_t i;
	int opt, rc;

	memset(c, 0, sizeof(*c));
	/* One per core: an L1 hit never blocks, and more workers than cores
	 * lost 10-40 % in tests/bench/read (RESULTS.md, "Read path"). */
	c->workers = cores > 0 ? (int)cores : 2;
	c->posts_per_page = 10;
	c->cache_bytes = 64u * 1024 * 1024;
	c->max_body = QUIRE_MAX_BODY;
	if ((rc = set_str(&c->content_dir, "content")) != QUIRE_OK ||
	    (rc = set_str(&c->templates_dir, "templates")) != QUIRE_OK ||
	    (rc = set_str(&c->site_url, "http://127.0.0.1:8080")) != QUIRE_OK ||
	    (rc = set_str(&c->site_title, "quire")) != QUIRE_OK ||
	    (rc = set_str(&c->site_author, "quire")) != QUIRE_OK ||
	    (rc = set_str(&c->redis_prefix, "quire:")) != QUIRE_OK)
		return rc;

	for (i = 0; i < sizeof(env_twins) / sizeof(env_twins[0]); i++) {
		v = getenv(env_twins[i].env);
		if (!v || !*v)
			continue;
		rc = config_set(c, env_twins[i].opt, v, err, errsz);
		if (rc == QUIRE_EINVAL) {
			size_t len = strlen(err);
			snprintf(err + len, errsz - len, " in %s", env_twins[i].env);
		}
		if (rc != QUIRE_OK)
			return rc;
	}

	optind = 1;
	while ((opt = getopt_long(argc, argv, "l:w:c:t:hV", long_opts, NULL)) != -1) {
		switch (opt) {
		case OPT_HELP:
			c->show_help = 1;
			break;
		case OPT_VERSION:
			c->show_version = 1;
			break;
		case '?':
			snprintf(err, errsz, "unknown option; see --help");
			return QUIRE_EINVAL;
		default:
			rc = config_set(c, opt, optarg, err, errsz);
			if (rc != QUIRE_OK)
				return rc;
		}
	}
	/* Not run from a checkout: the templates that make install put in
	 * place. */
	if (strcmp(c->templates_dir, "templates") == 0 &&
	    access("templates", F_OK) != 0 &&
	    (rc = set_str(&c->templates_dir, QUIRE_DATADIR "/templates")) != QUIRE_OK)
		return rc;
	if (optind < argc) {
		snprintf(err, errsz, "unexpected argument \"%s\"", argv[optind]);
		return QUIRE_EINVAL;
	}
	return QUIRE_OK;
}

void config_release(struct config *c)
{
	free(c->listen);
	free(c->api_listen);
	free(c->content_dir);
	free(c->templates_dir);
	free(c->site_url);
	free(c->site_title);
	free(c->site_author);
	free(c->database_url);
	free(c->redis_url);
	free(c->redis_prefix);
	free(c->api_token_file);
	free(c->user);
	free(c->group);
	memset(c, 0, sizeof(*c));
}
