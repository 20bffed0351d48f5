/*
 * test_config.c - the settings table and what config_load() makes of it:
 * a default, a variable, an option over the variable, values refused,
 * and every row complete (an option, its QUIRE_* twin, its help).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lib/config.h"
#include "lib/quire.h"

/* No QUIRE_* of the caller's may leak into a test. */
static void clear_env(void)
{
	const struct config_setting *s;
	size_t i, n;

	s = config_settings(&n);
	for (i = 0; i < n; i++)
		unsetenv(s[i].env);
}

/* argv: NULL-terminated; getopt_long may reorder it, not its strings. */
static enum quire_err load(struct config *c, const char **argv, char *err,
			   size_t errsz)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	err[0] = '\0';
	return config_load(c, argc, (char **)argv, err, errsz);
}

static void test_defaults(void)
{
	const char *argv[] = { "quire.fcgi", NULL };
	struct config c;
	char err[256];

	clear_env();
	CHECK(load(&c, argv, err, sizeof(err)) == QUIRE_OK);
	CHECK(c.posts_per_page == 10);
	CHECK(c.cache_bytes == 64u * 1024 * 1024);
	CHECK_STR(c.site_url, "http://127.0.0.1:8080");
	CHECK_STR(c.redis_prefix, "quire:");
	CHECK(c.listen == NULL);
	CHECK(c.workers > 0);
	CHECK(c.enable_drafts == 0);
	CHECK(c.api_max_failures == 10);
	CHECK(c.api_failure_window == 60);
	CHECK(c.lease_seconds == 30);
	/* The edge cache and the CDN's headers are off by default. */
	CHECK(c.edge_purge == NULL);
	CHECK(c.edge_keys == NULL);
	CHECK(c.cdn_max_age == 0);
	CHECK(c.cdn_purge_hook == NULL);
	config_release(&c);
}

/* cdn_max_age is the site's (site.yaml) where the operator gave none;
 * the edge cache and the hook are the operator's alone. */
static void test_edge_settings(void)
{
	const char *argv[] = { "quire.fcgi", "--edge-purge", "/run/p.sock", NULL };
	struct config c;
	char err[256], msg[128];

	clear_env();
	setenv("QUIRE_CDN_PURGE_HOOK", "true", 1);
	CHECK(load(&c, argv, err, sizeof(err)) == QUIRE_OK);
	CHECK_STR(c.edge_purge, "/run/p.sock");
	CHECK_STR(c.cdn_purge_hook, "true");
	CHECK(config_site_key("cdn_max_age") != NULL);
	CHECK(config_site_key("edge_purge") == NULL);
	CHECK(config_site_key("cdn_purge_hook") == NULL);
	CHECK(config_site_check("cdn_max_age", "600", msg, sizeof(msg)) == QUIRE_OK);
	CHECK(config_site_check("cdn_max_age", "-1", msg, sizeof(msg)) != QUIRE_OK);
	CHECK(config_site_set(&c, "cdn_max_age", "600") == QUIRE_OK);
	CHECK(c.cdn_max_age == 600);
	config_release(&c);
	clear_env();
}

static void test_env(void)
{
	const char *argv[] = { "quire.fcgi", NULL };
	struct config c;
	char err[256];

	clear_env();
	setenv("QUIRE_POSTS_PER_PAGE", "25", 1);
	setenv("QUIRE_SITE_URL", "https://example.org/blog//", 1);
	setenv("QUIRE_ENABLE_DRAFTS", "yes", 1);
	setenv("QUIRE_CACHE_MB", "2", 1);
	setenv("QUIRE_API_LISTEN", "", 1); /* empty: as if unset */
	CHECK(load(&c, argv, err, sizeof(err)) == QUIRE_OK);
	CHECK(c.posts_per_page == 25);
	CHECK_STR(c.site_url, "https://example.org/blog");
	CHECK(c.enable_drafts == 1);
	CHECK(c.cache_bytes == 2u * 1024 * 1024);
	CHECK(c.api_listen == NULL);
	config_release(&c);
	clear_env();
}

static void test_option_over_env(void)
{
	const char *argv[] = { "quire.fcgi", "--posts-per-page", "3", "-w", "0",
			 "--redis-prefix=opt:", "--enable-drafts", NULL };
	struct config c;
	char err[256];

	clear_env();
	setenv("QUIRE_POSTS_PER_PAGE", "25", 1);
	setenv("QUIRE_WORKERS", "4", 1);
	setenv("QUIRE_REDIS_PREFIX", "env:", 1);
	setenv("QUIRE_ENABLE_DRAFTS", "0", 1);
	setenv("QUIRE_SITE_TITLE", "from env", 1);
	CHECK(load(&c, argv, err, sizeof(err)) == QUIRE_OK);
	CHECK(c.posts_per_page == 3);
	CHECK(c.workers == 0);
	CHECK_STR(c.redis_prefix, "opt:");
	CHECK(c.enable_drafts == 1);
	CHECK_STR(c.site_title, "from env"); /* no option: the variable */
	config_release(&c);
	clear_env();
}

static void test_bad_integer(void)
{
	const char *too_many[] = { "quire.fcgi", "--workers", "257", NULL };
	const char *not_num[] = { "quire.fcgi", "--cache-mb", "12x", NULL };
	const char *ok[] = { "quire.fcgi", NULL };
	struct config c;
	char err[256];

	clear_env();
	CHECK(load(&c, too_many, err, sizeof(err)) == QUIRE_EINVAL);
	CHECK_STR(err, "invalid value \"257\"");
	config_release(&c);
	CHECK(load(&c, not_num, err, sizeof(err)) == QUIRE_EINVAL);
	CHECK_STR(err, "invalid value \"12x\"");
	config_release(&c);
	setenv("QUIRE_POSTS_PER_PAGE", "0", 1);
	CHECK(load(&c, ok, err, sizeof(err)) == QUIRE_EINVAL);
	CHECK_STR(err, "invalid value \"0\" in QUIRE_POSTS_PER_PAGE");
	config_release(&c);
	clear_env();
	/* No failures allowed is no limit; a window of 0 s is none. */
	setenv("QUIRE_API_MAX_FAILURES", "0", 1);
	CHECK(load(&c, ok, err, sizeof(err)) == QUIRE_OK);
	CHECK(c.api_max_failures == 0);
	config_release(&c);
	setenv("QUIRE_API_FAILURE_WINDOW", "0", 1);
	CHECK(load(&c, ok, err, sizeof(err)) == QUIRE_EINVAL);
	CHECK_STR(err, "invalid value \"0\" in QUIRE_API_FAILURE_WINDOW");
	config_release(&c);
	clear_env();
	/* The lease: seconds, at least one (0 would be unhealthy always). */
	setenv("QUIRE_LEASE_SECONDS", "3", 1);
	CHECK(load(&c, ok, err, sizeof(err)) == QUIRE_OK);
	CHECK(c.lease_seconds == 3);
	config_release(&c);
	setenv("QUIRE_LEASE_SECONDS", "0", 1);
	CHECK(load(&c, ok, err, sizeof(err)) == QUIRE_EINVAL);
	CHECK_STR(err, "invalid value \"0\" in QUIRE_LEASE_SECONDS");
	config_release(&c);
	clear_env();
}

static void test_refused(void)
{
	const char *unknown[] = { "quire.fcgi", "--no-such-option", NULL };
	const char *extra[] = { "quire.fcgi", "-w", "1", "extra", NULL };
	struct config c;
	char err[256];

	clear_env();
	CHECK(load(&c, unknown, err, sizeof(err)) == QUIRE_EINVAL);
	CHECK_STR(err, "unknown option; see --help");
	config_release(&c);
	CHECK(load(&c, extra, err, sizeof(err)) == QUIRE_EINVAL);
	CHECK_STR(err, "unexpected argument \"extra\"");
	config_release(&c);
}

/* QUIRE_ and the option's name in capitals, '-' as '_'. */
static int env_matches_name(const struct config_setting *s)
{
	const char *e = s->env, *o = s->name;

	if (!e || !o || strncmp(e, "QUIRE_", 6) != 0)
		return 0;
	for (e += 6; *o; e++, o++)
		if (*e != (*o == '-' ? '_' : toupper((unsigned char)*o)))
			return 0;
	return *e == '\0';
}

static void test_table(void)
{
	const struct config_setting *s;
	size_t i, j, n;

	s = config_settings(&n);
	CHECK(n > 0);
	for (i = 0; i < n; i++) {
		CHECK(s[i].name && s[i].name[0]);
		CHECK(s[i].env && s[i].env[0]);
		CHECK(s[i].help && s[i].help[0]);
		if (!env_matches_name(&s[i]))
			fprintf(stderr, "--%s: its variable is %s\n", s[i].name,
				s[i].env);
		CHECK(env_matches_name(&s[i]));
		CHECK((s[i].type == CONFIG_BOOL) == (s[i].arg == NULL));
		for (j = 0; j < i; j++) {
			CHECK(strcmp(s[i].name, s[j].name) != 0);
			CHECK(!s[i].short_opt || s[i].short_opt != s[j].short_opt);
		}
	}
}

int main(void)
{
	test_defaults();
	test_edge_settings();
	test_env();
	test_option_over_env();
	test_bad_integer();
	test_refused();
	test_table();
	return check_done("test_config");
}
