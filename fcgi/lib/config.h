/*
 * config.h - quire.fcgi settings from options and QUIRE_* variables
 *
 * Every option has an environment twin; an option given on the command
 * line wins over the variable.
 */
#ifndef QUIRE_CONFIG_H
#define QUIRE_CONFIG_H

#include <stddef.h>

struct config {
	char *listen;          /* PATH or HOST:PORT; NULL: the socket on fd 0 */
	char *api_listen;      /* the write API's own socket; NULL: none */
	int workers;           /* 0: serve in one process, no master */
	char *content_dir;
	char *templates_dir;
	int enable_drafts;
	int unsafe_html;       /* raw HTML in content/ files */
	char *site_url;        /* absolute, no trailing slash */
	char *site_title;
	char *site_author;
	int posts_per_page;
	size_t cache_bytes;    /* L1 bound per worker */
	char *database_url;    /* PostgreSQL (L3); NULL: none */
	char *redis_url;       /* Redis (L2); NULL: none */
	char *redis_prefix;    /* prefix of every key and the channel */
	char *api_token_file;  /* bearer tokens; NULL: the write API is off */
	size_t max_body;       /* largest request body the API takes */
	char *user;            /* drop to this user when root; NULL: stay */
	char *group;           /* and group; NULL: the user's primary group */
	int show_help;
	int show_version;
};

/*
 * Fills c from the environment, then from argv. Returns QUIRE_OK or
 * QUIRE_EINVAL with a message in err (errsz bytes). Free with
 * config_release().
 */
int config_load(struct config *c, int argc, char **argv, char *err,
		size_t errsz);
void config_release(struct config *c);
/* Prints the option summary to stdout. */
void config_usage(const char *argv0);

#endif
