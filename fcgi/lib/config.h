/*
 * config.h - quire.fcgi settings from options and QUIRE_* variables
 *
 * Every option has an environment twin; an option given on the command
 * line wins over the variable, and the variable over the default. One
 * table (config.c) says all there is to know about a setting; the long
 * options, --help and the reading of the environment are made from it.
 */
#ifndef QUIRE_CONFIG_H
#define QUIRE_CONFIG_H

#include <stddef.h>

#include "lib/quire.h"

struct config {
	char *listen;          /* PATH or HOST:PORT; NULL: the socket on fd 0 */
	char *api_listen;      /* the write API's own socket; NULL: none */
	int workers;           /* 0: serve in one process, no master */
	int search_concurrency; /* searches running at once in the pool;
	                        * 0: half the workers, at least 1 */
	char *content_dir;
	char *templates_dir;
	char *public_dir;      /* static files published here (a symbolic
	                        * link, DESIGN §3); NULL: not published */
	int enable_drafts;
	int unsafe_html;       /* raw HTML in content/ files */
	char *site_url;        /* absolute, no trailing slash */
	char *site_title;
	char *site_author;
	char *site_description; /* NULL: the title stands for it */
	char *site_language;   /* <html lang>, xml:lang, search stemming */
	int posts_per_page;
	size_t cache_bytes;    /* L1 bound per worker */
	char *database_url;    /* PostgreSQL (L3); NULL: none */
	char *redis_url;       /* Redis (L2); NULL: none */
	char *redis_prefix;    /* prefix of every key and the channel */
	char *api_token_file;  /* bearer tokens; NULL: the write API is off */
	char *preview_key_file; /* authors' preview links; NULL: none (404) */
	int api_max_failures;  /* wrong tokens from an address before 429; 0: no limit */
	int api_failure_window; /* seconds they are counted in */
	size_t max_body;       /* largest request body the API takes */
	int lease_seconds;     /* a worker that could not confirm its
	                        * generation with Redis this long answers
	                        * /healthz 503 (DESIGN §13) */
	char *edge_purge;      /* nginx's purge socket: its cache is on
	                        * (DESIGN §6, "The edge cache"); NULL: off */
	char *edge_keys;       /* the host's key log; NULL: EDGE_PURGE.keys */
	int cdn_max_age;       /* s-maxage of the pages; 0: no-cache */
	char *cdn_purge_hook;  /* run before acknowledging; NULL: none */
	char *user;            /* drop to this user when root; NULL: stay */
	char *group;           /* and group; NULL: the user's primary group */
	char *socket_group;    /* the group of sockets made at a path as
	                        * root; NULL: group */
	int show_help;
	int show_version;
	/* bit i: settings[i] was given by an option or a variable, so
	 * site.yaml does not change it (config_site_set) */
	unsigned long long given;
};

/* How a setting's text becomes its field in struct config. */
enum config_type {
	CONFIG_STRING,   /* char *: the text as given */
	CONFIG_OPTIONAL, /* char *: the text; empty: NULL, as if not given */
	CONFIG_URL,      /* char *: the text without trailing '/' */
	CONFIG_INT,      /* int: a decimal in [min, max] */
	CONFIG_SIZE,     /* size_t: a decimal in [min, max], times unit */
	CONFIG_BOOL,     /* int: the option (no argument) sets it to 1; the
			  * variable to 1 for 1/true/yes/on, else 0 */
};

/* One setting: a row of config.c's table. */
struct config_setting {
	const char *name;       /* long option, without "--" */
	char short_opt;         /* its one-letter form; 0: none */
	const char *env;        /* environment twin */
	enum config_type type;
	size_t offset;          /* of its field in struct config */
	long min, max;          /* CONFIG_INT, CONFIG_SIZE: the bounds */
	long unit;              /* CONFIG_SIZE: bytes in one of the number */
	const char *def;        /* char * types: the default; NULL: none */
	long def_num;           /* CONFIG_INT, CONFIG_SIZE: the default, in
				 * the option's units */
	const char *arg;        /* the option's argument in --help; NULL:
				 * a flag */
	const char *help;       /* --help text, '\n' between its lines */
	const char *site_key;   /* its key in the content folder's site.yaml;
				 * NULL: only the operator sets it */
};

/*
 * Fills c from the defaults, then the environment, then argv. Returns
 * QUIRE_OK, QUIRE_ENOMEM, or QUIRE_EINVAL with a message in err (errsz
 * bytes). Free with config_release() whatever it returns.
 */
enum quire_err config_load(struct config *c, int argc, char **argv, char *err,
			   size_t errsz);
/* A deep copy of src into dst (dst's old contents are not freed).
 * QUIRE_OK or QUIRE_ENOMEM (dst then holds what was copied; release
 * it). */
enum quire_err config_copy(struct config *dst, const struct config *src);

/* The static site_key of the setting whose site_key is key; NULL when
 * no setting has it (an unknown key of site.yaml). */
const char *config_site_key(const char *key);

/* Whether value is a valid one for the setting of site_key: QUIRE_OK,
 * or QUIRE_EINVAL with why in err (errsz bytes). */
enum quire_err config_site_check(const char *site_key, const char *value,
				 char *err, size_t errsz);

/*
 * Sets the setting of site_key to value, as site.yaml says, unless an
 * option or a variable gave it (operators' settings beat the author's).
 * QUIRE_OK, QUIRE_EINVAL (a bad value or key) or QUIRE_ENOMEM.
 */
enum quire_err config_site_set(struct config *c, const char *site_key,
			       const char *value);

/* Frees c's strings and zeroes it. */
void config_release(struct config *c);
/* Prints the option summary to stdout. */
void config_usage(const char *argv0);
/* The table of every setting, in --help order; *n gets its length. The
 * rows are static: not to be freed. */
const struct config_setting *config_settings(size_t *n);

#endif
