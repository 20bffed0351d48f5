/*
 * siteconf.h - site.yaml: the author's settings, kept with the content
 *
 * site.yaml sits at the root of the content folder; every key is
 * optional (README.md, "site.yaml"):
 *
 *   title, description, url, author, language, posts_per_page
 *       the settings of lib/config.c's table that have a site_key; the
 *       operator's options and QUIRE_* variables beat them
 *   permalinks: {posts: PATTERN, pages: PATTERN}   (content/permalink.h)
 *   menu: [{title: T, url: U}, ...]   the menu; default: the pages
 *   taxonomies: [tags, categories]    which are linked from pages
 *   feed: {entries: N, content: full|summary}
 *   authors: {KEY: {name: N, bio: B, url: U, avatar: A}, ...}
 *       profiles of the posts' authors, each found by its key as an
 *       author: frontmatter name is (permalink_term_key: "Ann Lee" and
 *       ann-lee are one); url and avatar a path or an http(s) URL
 *
 * An unknown key, a value of the wrong kind or out of range is an error
 * at its line and column; so is any YAML error. The text is kept as it
 * was read: it is what a deploy stores in the tiers (DESIGN §5), and a
 * worker parses it again.
 */
#ifndef QUIRE_SITECONF_H
#define QUIRE_SITECONF_H

#include <stddef.h>

#include "content/permalink.h"
#include "lib/quire.h"

/* The file's name under the content folder. */
#define SITECONF_FILE "site.yaml"
/* Largest site.yaml, bytes; most menu entries. */
#define SITECONF_MAX_BYTES (64 * 1024)
#define SITECONF_MAX_MENU 64
#define SITECONF_MAX_VALUES 16
#define SITECONF_MAX_AUTHORS 256
/* The feed's entries when site.yaml says nothing. */
#define SITECONF_FEED_ENTRIES 20

/* A setting of lib/config.c's table, by its site_key, as written. */
struct siteconf_value {
	const char *key;     /* the table's (static) */
	char *value;
};

struct siteconf_link {
	char *title;
	char *url;
};

/* An author's profile (authors:); any field but key may be NULL. */
struct siteconf_author {
	char *key;           /* the URL key of the map's key */
	char *name;          /* the name to show; NULL: as the posts write it */
	char *bio;           /* plain text */
	char *url;
	char *avatar;
};

struct siteconf {
	char *text;          /* site.yaml as read; NULL: there is none */
	size_t len;
	struct siteconf_value values[SITECONF_MAX_VALUES];
	size_t n_values;
	char posts[PERMALINK_MAX_PATTERN + 1];  /* checked patterns */
	char pages[PERMALINK_MAX_PATTERN + 1];
	struct siteconf_link *menu;   /* has_menu: the menu as written */
	size_t n_menu;
	int has_menu;
	int show_tags, show_categories;
	int feed_entries;
	int feed_summary;    /* feed entries carry the summary, not the body */
	struct siteconf_author *authors;  /* as written, keys distinct */
	size_t n_authors;
};

/*
 * Parses text (len bytes; NULL: no site.yaml, the defaults) into *out,
 * keeping a copy of the text. QUIRE_OK; QUIRE_EPARSE or QUIRE_ETOOBIG
 * with err's line (1-based), column (1-based) and message; QUIRE_ENOMEM.
 * Free with siteconf_free().
 */
enum quire_err siteconf_parse(const char *text, size_t len,
			      struct siteconf **out, struct parse_error *err);

/*
 * Reads DIR/site.yaml (path gets its path, pathsz bytes) and parses it;
 * no such file gives the defaults. Errors as siteconf_parse, and
 * QUIRE_EIO when the file cannot be read (err says why, at 1:1).
 */
enum quire_err siteconf_load(const char *dir, struct siteconf **out,
			     char *path, size_t pathsz,
			     struct parse_error *err);

/* The profile of the author whose URL key is key (site_term_key), or
 * NULL; c may be NULL (no site.yaml). */
const struct siteconf_author *siteconf_author(const struct siteconf *c,
					      const char *key);

/* Whether a and b are the same text (both absent counts as the same). */
int siteconf_same(const struct siteconf *a, const char *text, size_t len);

void siteconf_free(struct siteconf *c);

#endif
