/*
 * config.c - quire.fcgi settings from options and QUIRE_* variables
 *
 * A setting is one row of settings[] below: its option, its variable,
 * how its text is read, where it lands in struct config, its default,
 * its --help text. The getopt_long array, --help and the environment
 * are walked from the table, so a new setting is one new row (and its
 * field in config.h).
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

/* The offset of field f, which must be a T: a row whose type does not
 * match its field fails to compile (distinct pointer types). */
#define FIELD(f, T) (offsetof(struct config, f) + \
		     0 * sizeof(&((struct config *)0)->f == (T *)0))

/*
 * site_key is the setting's key in site.yaml, the site's own settings in
 * its content folder (content/siteconf.c reads it; config_site_set()
 * applies it beneath the options and variables). NULL marks what only the operator may
 * set: sockets, users, processes, the tiers, and what trusts the content
 * (drafts shown, raw HTML kept), which whoever commits content must not
 * be able to turn on.
 */
static const struct config_setting settings[] = {
	{ .name = "listen", .short_opt = 'l', .env = "QUIRE_LISTEN",
	  .type = CONFIG_STRING, .offset = FIELD(listen, char *),
	  .arg = "PATH|HOST:PORT", .help = "listen here" },
	{ .name = "api-listen", .env = "QUIRE_API_LISTEN",
	  .type = CONFIG_OPTIONAL, .offset = FIELD(api_listen, char *),
	  .arg = "PATH|HOST:PORT",
	  .help = "a second socket, for the web\n"
		  "server's /api/: workers take its\n"
		  "connections after the pages' (one\n"
		  "after every 8 of theirs while both\n"
		  "wait); a path gets the owner and\n"
		  "mode of the first\n" },
	/* def_num is the fallback: config_load() makes it one a core. */
	{ .name = "workers", .short_opt = 'w', .env = "QUIRE_WORKERS",
	  .type = CONFIG_INT, .offset = FIELD(workers, int),
	  .min = 0, .max = 256, .def_num = 2, .arg = "N",
	  .help = "worker processes (0: one process,\n"
		  "no master; default: one a core)" },
	{ .name = "search-concurrency", .env = "QUIRE_SEARCH_CONCURRENCY",
	  .type = CONFIG_INT, .offset = FIELD(search_concurrency, int),
	  .min = 0, .max = 64, .def_num = 0, .arg = "N",
	  .help = "searches running at once in the pool;\n"
		  "more get 503 (0: half the workers,\n"
		  "at least 1)" },
	{ .name = "content-dir", .short_opt = 'c', .env = "QUIRE_CONTENT_DIR",
	  .type = CONFIG_STRING, .offset = FIELD(content_dir, char *),
	  .def = "content", .arg = "DIR", .help = "posts/ and pages/" },
	{ .name = "public-dir", .env = "QUIRE_PUBLIC_DIR",
	  .type = CONFIG_OPTIONAL, .offset = FIELD(public_dir, char *),
	  .arg = "PATH",
	  .help = "publish static/ and the bundles'\n"
		  "files here for the web server: a\n"
		  "symbolic link quire switches (none:\n"
		  "not published)" },
	{ .name = "templates-dir", .short_opt = 't',
	  .env = "QUIRE_TEMPLATES_DIR",
	  .type = CONFIG_STRING, .offset = FIELD(templates_dir, char *),
	  .def = "templates", .arg = "DIR", .help = "templates" },
	{ .name = "enable-drafts", .env = "QUIRE_ENABLE_DRAFTS",
	  .type = CONFIG_BOOL, .offset = FIELD(enable_drafts, int),
	  .help = "serve drafts" },
	{ .name = "unsafe-html", .env = "QUIRE_UNSAFE_HTML",
	  .type = CONFIG_BOOL, .offset = FIELD(unsafe_html, int),
	  .help = "keep raw HTML in content files" },
	{ .name = "site-url", .env = "QUIRE_SITE_URL",
	  .type = CONFIG_URL, .offset = FIELD(site_url, char *),
	  .def = "http://127.0.0.1:8080", .arg = "URL",
	  .help = "absolute site URL", .site_key = "url" },
	{ .name = "site-title", .env = "QUIRE_SITE_TITLE",
	  .type = CONFIG_STRING, .offset = FIELD(site_title, char *),
	  .def = "quire", .arg = "TEXT", .help = "site title",
	  .site_key = "title" },
	{ .name = "site-author", .env = "QUIRE_SITE_AUTHOR",
	  .type = CONFIG_STRING, .offset = FIELD(site_author, char *),
	  .def = "quire", .arg = "NAME", .help = "feed author",
	  .site_key = "author" },
	{ .name = "site-description", .env = "QUIRE_SITE_DESCRIPTION",
	  .type = CONFIG_OPTIONAL, .offset = FIELD(site_description, char *),
	  .arg = "TEXT", .help = "site description (default: the title)",
	  .site_key = "description" },
	{ .name = "site-language", .env = "QUIRE_SITE_LANGUAGE",
	  .type = CONFIG_STRING, .offset = FIELD(site_language, char *),
	  .def = "en", .arg = "TAG", .help = "language tag (en): <html lang>,\n"
		  "feeds, search's stemming",
	  .site_key = "language" },
	{ .name = "posts-per-page", .env = "QUIRE_POSTS_PER_PAGE",
	  .type = CONFIG_INT, .offset = FIELD(posts_per_page, int),
	  .min = 1, .max = 1000, .def_num = 10, .arg = "N",
	  .help = "list page size (10)", .site_key = "posts_per_page" },
	{ .name = "cache-mb", .env = "QUIRE_CACHE_MB",
	  .type = CONFIG_SIZE, .offset = FIELD(cache_bytes, size_t),
	  .min = 1, .max = 65536, .unit = 1024 * 1024, .def_num = 64,
	  .arg = "N", .help = "L1 size per worker (64)" },
	{ .name = "database-url", .env = "QUIRE_DATABASE_URL",
	  .type = CONFIG_STRING, .offset = FIELD(database_url, char *),
	  .arg = "URL", .help = "PostgreSQL (L3), a libpq string" },
	{ .name = "redis-url", .env = "QUIRE_REDIS_URL",
	  .type = CONFIG_STRING, .offset = FIELD(redis_url, char *),
	  .arg = "URL",
	  .help = "Redis (L2): redis://HOST:PORT/DB or\n"
		  "unix:/PATH" },
	{ .name = "redis-prefix", .env = "QUIRE_REDIS_PREFIX",
	  .type = CONFIG_STRING, .offset = FIELD(redis_prefix, char *),
	  .def = "quire:", .arg = "P", .help = "key prefix (quire:)" },
	{ .name = "api-token-file", .env = "QUIRE_API_TOKEN_FILE",
	  .type = CONFIG_STRING, .offset = FIELD(api_token_file, char *),
	  .arg = "FILE",
	  .help = "bearer tokens, one a line, mode 600\n"
		  "(none: the write API is off)" },
	{ .name = "preview-key-file", .env = "QUIRE_PREVIEW_KEY_FILE",
	  .type = CONFIG_OPTIONAL, .offset = FIELD(preview_key_file, char *),
	  .arg = "FILE",
	  .help = "key of authors' preview links, mode 600\n"
		  "(none: /preview/ is 404)" },
	{ .name = "api-max-failures", .env = "QUIRE_API_MAX_FAILURES",
	  .type = CONFIG_INT, .offset = FIELD(api_max_failures, int),
	  .min = 0, .max = 1000000, .def_num = QUIRE_API_MAX_FAILURES,
	  .arg = "N",
	  .help = "wrong API tokens from one address\n"
		  "before it gets 429 (10; 0: never)" },
	{ .name = "api-failure-window", .env = "QUIRE_API_FAILURE_WINDOW",
	  .type = CONFIG_INT, .offset = FIELD(api_failure_window, int),
	  .min = 1, .max = 86400, .def_num = QUIRE_API_FAILURE_WINDOW,
	  .arg = "SECONDS",
	  .help = "the window they are counted in, and\n"
		  "waited out (60)" },
	{ .name = "max-body", .env = "QUIRE_MAX_BODY",
	  .type = CONFIG_SIZE, .offset = FIELD(max_body, size_t),
	  .min = 1, .max = QUIRE_MAX_BODY, .unit = 1,
	  .def_num = QUIRE_MAX_BODY, .arg = "BYTES",
	  .help = "largest API body (1 MiB)" },
	{ .name = "lease-seconds", .env = "QUIRE_LEASE_SECONDS",
	  .type = CONFIG_INT, .offset = FIELD(lease_seconds, int),
	  .min = 1, .max = 86400, .def_num = QUIRE_LEASE_SECONDS,
	  .arg = "SECONDS",
	  .help = "cut off from Redis this long, /healthz\n"
		  "answers 503 (30)" },
	{ .name = "edge-purge", .env = "QUIRE_EDGE_PURGE",
	  .type = CONFIG_OPTIONAL, .offset = FIELD(edge_purge, char *),
	  .arg = "SOCKET",
	  .help = "nginx keeps the pages (fastcgi_cache)\n"
		  "and the workers purge them through\n"
		  "its purge server on this unix socket\n"
		  "before they acknowledge (none: off)" },
	{ .name = "edge-keys", .env = "QUIRE_EDGE_KEYS",
	  .type = CONFIG_OPTIONAL, .offset = FIELD(edge_keys, char *),
	  .arg = "FILE",
	  .help = "the host's log of the keys nginx\n"
		  "keeps (default: SOCKET.keys)" },
	{ .name = "cdn-max-age", .env = "QUIRE_CDN_MAX_AGE",
	  .type = CONFIG_INT, .offset = FIELD(cdn_max_age, int),
	  .min = 0, .max = 31536000, .def_num = 0, .arg = "SECONDS",
	  .help = "pages say s-maxage=SECONDS to a CDN,\n"
		  "with Surrogate-Key (0: no-cache)",
	  .site_key = "cdn_max_age" },
	{ .name = "cdn-purge-hook", .env = "QUIRE_CDN_PURGE_HOOK",
	  .type = CONFIG_OPTIONAL, .offset = FIELD(cdn_purge_hook, char *),
	  .arg = "CMD",
	  .help = "run by sh -c with QUIRE_PURGE_KEYS\n"
		  "and QUIRE_PURGE_URLS before a worker\n"
		  "acknowledges a change" },
	{ .name = "user", .env = "QUIRE_USER",
	  .type = CONFIG_STRING, .offset = FIELD(user, char *),
	  .arg = "NAME",
	  .help = "started as root: run as NAME (name or\n"
		  "uid) once the socket is open" },
	{ .name = "group", .env = "QUIRE_GROUP",
	  .type = CONFIG_STRING, .offset = FIELD(group, char *),
	  .arg = "NAME",
	  .help = "with --user: this group (default: the\n"
		  "user's), and the sockets' unless\n"
		  "--socket-group" },
	{ .name = "socket-group", .env = "QUIRE_SOCKET_GROUP",
	  .type = CONFIG_STRING, .offset = FIELD(socket_group, char *),
	  .arg = "NAME",
	  .help = "with --user: the web server's group; a\n"
		  "socket made at a path is root:NAME 0660\n"
		  "(default: --group)" },
};

#define N_SETTINGS (sizeof(settings) / sizeof(settings[0]))
_Static_assert(sizeof(settings) / sizeof(settings[0]) <= 64,
	       "struct config's given has a bit a setting");
/* getopt_long's value for a long-only option: past every char. */
#define LONG_ONLY_BASE 256
/* --help's columns: the help text, the variable's name. */
#define USAGE_HELP_COL 31
#define USAGE_ENV_COL 53

const struct config_setting *config_settings(size_t *n)
{
	*n = N_SETTINGS;
	return settings;
}

static int setting_opt(size_t i)
{
	return settings[i].short_opt ? settings[i].short_opt :
	       LONG_ONLY_BASE + (int)i;
}

static char **field_str(struct config *c, const struct config_setting *s)
{
	return (char **)((char *)c + s->offset);
}

static int *field_int(struct config *c, const struct config_setting *s)
{
	return (int *)((char *)c + s->offset);
}

static size_t *field_size(struct config *c, const struct config_setting *s)
{
	return (size_t *)((char *)c + s->offset);
}

static int is_string(const struct config_setting *s)
{
	return s->type == CONFIG_STRING || s->type == CONFIG_OPTIONAL ||
	       s->type == CONFIG_URL;
}

/* Prints "  -l, --listen ARG" and the spaces up to the help text;
 * returns the column reached. */
static int usage_option(char short_opt, const char *name, const char *arg)
{
	int col;

	if (short_opt)
		col = printf("  -%c, --%s", short_opt, name);
	else
		col = printf("      --%s", name);
	if (arg)
		col += printf(" %s", arg);
	if (col + 2 > USAGE_HELP_COL)
		return col + printf("  ");
	return col + printf("%*s", USAGE_HELP_COL - col, "");
}

/*
 * One setting's lines: the option, its help, and the variable's name in
 * its column on the help's last line, or on a line of its own when that
 * line leaves no room or is empty (a help that ends in '\n').
 */
static void usage_setting(const struct config_setting *s)
{
	const char *line = s->help, *nl;
	int col = usage_option(s->short_opt, s->name, s->arg), pad;

	while ((nl = strchr(line, '\n'))) {
		printf("%.*s\n%*s", (int)(nl - line), line, USAGE_HELP_COL, "");
		col = USAGE_HELP_COL;
		line = nl + 1;
	}
	col += printf("%s", line);
	if (col + 2 > USAGE_ENV_COL) {
		printf("\n");
		pad = USAGE_ENV_COL;
	} else {
		pad = USAGE_ENV_COL - col;
	}
	printf("%*s%s%s\n", pad, "", s->env, s->type == CONFIG_BOOL ? "=1" : "");
}

void config_usage(const char *argv0)
{
	size_t i;

	printf("usage: %s [options]\n"
	       "Serve a Markdown blog over FastCGI. Without --listen, the socket\n"
	       "on fd 0 (as spawn-fcgi passes it) is used.\n\n", argv0);
	for (i = 0; i < N_SETTINGS; i++)
		usage_setting(&settings[i]);
	usage_option('h', "help", NULL);
	printf("this text\n");
	usage_option('V', "version", NULL);
	printf("the version\n");
	printf("Signals to the master: HUP reloads templates and content, USR2\n"
	       "executes the binary at the path it was started from again (an\n"
	       "upgrade: same PID, same socket, no request lost), TERM and INT stop\n"
	       "after the requests in flight.\n");
	printf("API writes are answered within %d s (503 when the outcome is not\n"
	       "known by then): the web server's read timeout for /api/ must be\n"
	       "longer (deploy/nginx.conf.in, deploy/lighttpd.conf.in: 60 s).\n",
	       (QUIRE_API_ANSWER_MS + 999) / 1000);
}

static enum quire_err set_str(char **dst, const char *v)
{
	char *s = strdup(v);

	if (!s)
		return QUIRE_ENOMEM;
	free(*dst);
	*dst = s;
	return QUIRE_OK;
}

static enum quire_err parse_int(const char *v, long min, long max, long *out)
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
static enum quire_err config_set(struct config *c,
				 const struct config_setting *s, const char *v,
				 char *err, size_t errsz)
{
	char **str = field_str(c, s);
	size_t len;
	long n;
	enum quire_err rc;

	switch (s->type) {
	case CONFIG_STRING:
		return set_str(str, v);
	case CONFIG_OPTIONAL: /* empty: none, as with the option not given */
		free(*str);
		*str = NULL;
		return *v ? set_str(str, v) : QUIRE_OK;
	case CONFIG_URL:
		if ((rc = set_str(str, v)) != QUIRE_OK)
			return rc;
		len = strlen(*str);
		while (len > 0 && (*str)[len - 1] == '/')
			(*str)[--len] = '\0';
		return QUIRE_OK;
	case CONFIG_BOOL:
		*field_int(c, s) = v ? parse_bool(v) : 1;
		return QUIRE_OK;
	case CONFIG_INT:
	case CONFIG_SIZE:
		if (parse_int(v, s->min, s->max, &n) != QUIRE_OK) {
			snprintf(err, errsz, "invalid value \"%s\"", v);
			return QUIRE_EINVAL;
		}
		if (s->type == CONFIG_INT)
			*field_int(c, s) = (int)n;
		else
			*field_size(c, s) = (size_t)n * (size_t)s->unit;
		return QUIRE_OK;
	}
	return QUIRE_OK;
}

static enum quire_err config_defaults(struct config *c)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	const struct config_setting *s;
	enum quire_err rc;

	memset(c, 0, sizeof(*c));
	for (s = settings; s < settings + N_SETTINGS; s++) {
		if (s->type == CONFIG_INT)
			*field_int(c, s) = (int)s->def_num;
		else if (s->type == CONFIG_SIZE)
			*field_size(c, s) = (size_t)s->def_num * (size_t)s->unit;
		else if (is_string(s) && s->def &&
			 (rc = set_str(field_str(c, s), s->def)) != QUIRE_OK)
			return rc;
	}
	/* One per core: an L1 hit never blocks, and more workers than cores
	 * lost 10-40 % in tests/bench/read (RESULTS.md, "Read path"). */
	if (cores > 0)
		c->workers = (int)cores;
	return QUIRE_OK;
}

static enum quire_err config_from_env(struct config *c, char *err, size_t errsz)
{
	const struct config_setting *s;
	const char *v;
	size_t len;
	enum quire_err rc;

	for (s = settings; s < settings + N_SETTINGS; s++) {
		v = getenv(s->env);
		if (!v || !*v)
			continue;
		rc = config_set(c, s, v, err, errsz);
		c->given |= 1ULL << (s - settings);
		if (rc == QUIRE_EINVAL) {
			len = strlen(err);
			snprintf(err + len, errsz - len, " in %s", s->env);
		}
		if (rc != QUIRE_OK)
			return rc;
	}
	return QUIRE_OK;
}

/* The long options and the short ones ("l:w:...hV") getopt_long takes;
 * opts has N_SETTINGS + 3 rows, shorts 2 * N_SETTINGS + 3 bytes. */
static void config_getopt_tables(struct option *opts, char *shorts)
{
	size_t i;

	for (i = 0; i < N_SETTINGS; i++) {
		opts[i].name = settings[i].name;
		opts[i].has_arg = settings[i].type == CONFIG_BOOL ?
				  no_argument : required_argument;
		opts[i].flag = NULL;
		opts[i].val = setting_opt(i);
		if (settings[i].short_opt) {
			*shorts++ = settings[i].short_opt;
			if (opts[i].has_arg == required_argument)
				*shorts++ = ':';
		}
	}
	opts[i++] = (struct option){ "help", no_argument, NULL, 'h' };
	opts[i++] = (struct option){ "version", no_argument, NULL, 'V' };
	opts[i] = (struct option){ NULL, 0, NULL, 0 };
	strcpy(shorts, "hV");
}

static enum quire_err config_from_argv(struct config *c, int argc, char **argv,
				       char *err, size_t errsz)
{
	struct option opts[N_SETTINGS + 3];
	char shorts[2 * N_SETTINGS + 3];
	size_t i;
	int opt;
	enum quire_err rc;

	config_getopt_tables(opts, shorts);
	optind = 1;
	while ((opt = getopt_long(argc, argv, shorts, opts, NULL)) != -1) {
		if (opt == 'h') {
			c->show_help = 1;
			continue;
		}
		if (opt == 'V') {
			c->show_version = 1;
			continue;
		}
		for (i = 0; i < N_SETTINGS && setting_opt(i) != opt; i++)
			;
		if (i == N_SETTINGS) { /* '?': getopt_long said why */
			snprintf(err, errsz, "unknown option; see --help");
			return QUIRE_EINVAL;
		}
		if ((rc = config_set(c, &settings[i], optarg, err, errsz)) != QUIRE_OK)
			return rc;
		c->given |= 1ULL << i;
	}
	return QUIRE_OK;
}

enum quire_err config_load(struct config *c, int argc, char **argv, char *err,
			   size_t errsz)
{
	enum quire_err rc;

	if ((rc = config_defaults(c)) != QUIRE_OK ||
	    (rc = config_from_env(c, err, errsz)) != QUIRE_OK ||
	    (rc = config_from_argv(c, argc, argv, err, errsz)) != QUIRE_OK)
		return rc;
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

enum quire_err config_copy(struct config *dst, const struct config *src)
{
	const struct config_setting *s;
	char **d;

	*dst = *src;
	for (s = settings; s < settings + N_SETTINGS; s++) {
		if (!is_string(s))
			continue;
		d = field_str(dst, s);
		if (*d && !(*d = strdup(*d))) {
			/* the rest still point to src's: not to be freed */
			for (s++; s < settings + N_SETTINGS; s++)
				if (is_string(s))
					*field_str(dst, s) = NULL;
			return QUIRE_ENOMEM;
		}
	}
	return QUIRE_OK;
}

static const struct config_setting *site_setting(const char *key)
{
	const struct config_setting *s;

	for (s = settings; s < settings + N_SETTINGS; s++)
		if (s->site_key && strcmp(s->site_key, key) == 0)
			return s;
	return NULL;
}

const char *config_site_key(const char *key)
{
	const struct config_setting *s = site_setting(key);

	return s ? s->site_key : NULL;
}

enum quire_err config_site_check(const char *site_key, const char *value,
				 char *err, size_t errsz)
{
	const struct config_setting *s = site_setting(site_key);
	long n;

	if (!s) {
		snprintf(err, errsz, "unknown key \"%s\"", site_key);
		return QUIRE_EINVAL;
	}
	if ((s->type == CONFIG_INT || s->type == CONFIG_SIZE) &&
	    parse_int(value, s->min, s->max, &n) != QUIRE_OK) {
		snprintf(err, errsz, "a number from %ld to %ld", s->min, s->max);
		return QUIRE_EINVAL;
	}
	if (s->type == CONFIG_URL && ((strncmp(value, "http://", 7) != 0 &&
				       strncmp(value, "https://", 8) != 0) ||
				      strpbrk(value, " \t\r\n\"<>\\") ||
				      strlen(value) > 1024)) {
		snprintf(err, errsz, "an absolute http:// or https:// URL");
		return QUIRE_EINVAL;
	}
	return QUIRE_OK;
}

enum quire_err config_site_set(struct config *c, const char *site_key,
			       const char *value)
{
	const struct config_setting *s = site_setting(site_key);
	char err[128];

	if (!s || config_site_check(site_key, value, err, sizeof(err)) != QUIRE_OK)
		return QUIRE_EINVAL;
	if (c->given & (1ULL << (s - settings)))
		return QUIRE_OK;
	return config_set(c, s, value, err, sizeof(err));
}

void config_release(struct config *c)
{
	const struct config_setting *s;

	for (s = settings; s < settings + N_SETTINGS; s++)
		if (is_string(s))
			free(*field_str(c, s));
	memset(c, 0, sizeof(*c));
}
