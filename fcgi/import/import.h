/*
 * import.h - what the importers share: the posts found in a site's
 * folder, their old and new URLs, and the content folder written out
 *
 * An importer (import_jekyll.c, import_hugo.c) walks a generator's site
 * folder and fills a struct import: one struct import_post a post or
 * page with its frontmatter, slug, date, old URL (the alias) and new
 * URL, and the site's settings. import_write() then writes the content
 * folder quire serves as it is: posts/, pages/, static/ and site.yaml
 * (doc/DESIGN.md §3, "Importing a site"). Every problem is reported as
 * "path:line: message" and counted; nothing is dropped silently.
 */
#ifndef QUIRE_IMPORT_H
#define QUIRE_IMPORT_H

#include <stdarg.h>
#include <stddef.h>

#include "content/post.h"
#include "content/strlist.h"
#include "import/import_config.h"
#include "import/import_tags.h"
#include "lib/buf.h"
#include "lib/quire.h"

/* quirectl import's exit statuses (doc/quirectl.1). */
enum import_exit {
	IMPORT_EXIT_OK = 0,        /* imported, nothing to report */
	IMPORT_EXIT_FAILED = 1,    /* the source could not be read or the
				    * output written: DIR is incomplete */
	IMPORT_EXIT_USAGE = 2,
	IMPORT_EXIT_REPORTED = 5,  /* imported, but something was reported:
				    * a template tag left as text, a file
				    * left out, a slug changed */
};

/* One post or page found in the site's folder. */
struct import_post {
	enum post_kind kind;
	char *src;              /* path relative to the site's folder */
	char *out;              /* path relative to the content folder */
	char *slug;             /* as the old site named it, case kept */
	char *title;
	char *date;             /* as written out, or NULL */
	int year, month, day;   /* the day in its old URL (0: none) */
	int draft;
	int split_terms;        /* tags: "a b" is two tags (Jekyll) */
	struct import_map fm;   /* its frontmatter, as the source had it */
	struct strlist aliases; /* old URL paths */
	struct strlist keys;    /* names a link to it may use ({% post_url
				 * %}, {% link %}, {{< ref >}}) */
	char *url;              /* its URL in quire */
	char *base;             /* what a relative image in it is under, or
				 * NULL */
	char *text;             /* the source file */
	size_t body;            /* where its body starts in text */
	size_t len;
	unsigned body_line;
};

/* The site's settings, written to site.yaml; NULL when not known. */
struct import_site {
	char *title;
	char *description;
	char *url;
	char *author;
	char *language;
	char *posts;            /* the permalink pattern of posts, quire's
				 * tokens */
	char *pages;
	struct strlist taxonomies;
};

struct import;

/* Turns a body's template tags into Markdown (import_tags.h). */
typedef enum quire_err (*import_translate_fn)(struct import *im,
					      struct import_post *p,
					      struct buf *out);

struct import {
	const char *src;        /* the site's folder */
	const char *out;        /* the content folder written */
	struct import_post *posts;
	size_t n;
	struct import_site site;
	size_t reported;        /* problems reported */
	size_t walked;          /* files seen, bounded by
				 * QUIRE_IMPORT_MAX_FILES */
	size_t copied;          /* static files copied */
};

/* The exit status of an import that ended with rc. */
int import_status(const struct import *im, enum quire_err rc);

/* Sets *dst to a copy of s (NULL stays NULL). Returns QUIRE_OK or
 * QUIRE_ENOMEM. */
enum quire_err import_strdup(char **dst, const char *s);

/* Zeroes im for src and out. */
void import_init(struct import *im, const char *src, const char *out);
/* Frees what im holds. */
void import_release(struct import *im);

/* Reports "path:line: message" (line 0: no line) on stderr through
 * log_report(), and counts it. path is relative to the site's folder. */
void import_report(struct import *im, const char *path, unsigned line,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The same for an error at a line and column: "path:line:column: ". */
void import_report_at(struct import *im, const char *path, unsigned line,
		      unsigned column, const char *msg);

/* A new post appended to im (zeroed but for kind), or NULL when out of
 * memory or past QUIRE_MAX_POSTS (reported). */
struct import_post *import_post_add(struct import *im, enum post_kind kind);

/* Drops the post import_post_add() gave last, freeing what it holds. */
void import_post_drop(struct import *im);

/* A list of owned names (the files a walk found), at most
 * QUIRE_IMPORT_MAX_FILES; zeroed is empty. */
struct import_names {
	char **v;
	size_t n;
};

/* Appends a copy of s. Returns QUIRE_OK, QUIRE_ENOMEM or QUIRE_ETOOBIG. */
enum quire_err import_names_add(struct import_names *l, const char *s);
void import_names_release(struct import_names *l);

/*
 * Reads the site's file rel (relative to im->src) into *text (NUL-
 * terminated, *len bytes), at most max bytes. Returns QUIRE_OK;
 * QUIRE_ENOTFOUND when it does not exist (nothing reported); else
 * QUIRE_ETOOBIG, QUIRE_EIO (reported).
 */
enum quire_err import_read(struct import *im, const char *rel, size_t max,
			   char **text, size_t *len);

/*
 * Splits a file's frontmatter ("---" YAML or "+++" TOML, after an
 * optional UTF-8 byte-order mark and blank lines) into p->fm and sets
 * p->body and p->body_line. Returns QUIRE_OK, QUIRE_ENOTFOUND when the
 * file has no frontmatter, else an error (reported with its place).
 */
enum quire_err import_frontmatter(struct import *im, struct import_post *p);

/* 1 when the text starts with a frontmatter line ("---" or "+++"),
 * after an optional byte-order mark and blank lines. */
int import_has_frontmatter(const char *text, size_t len);

/*
 * Copies the site's file rel to the content folder's out_rel, at most
 * QUIRE_IMPORT_MAX_STATIC bytes (a larger one is reported and left
 * out). Returns QUIRE_OK or QUIRE_EIO (reported).
 */
enum quire_err import_copy(struct import *im, const char *rel,
			   const char *out_rel);

/*
 * Calls fn for every file under the site's folder rel ("" is the
 * folder itself), sorted, at most QUIRE_MAX_DIR_DEPTH deep and
 * QUIRE_IMPORT_MAX_FILES files in all; a folder is entered when
 * enter(arg, its path) says so (NULL: every folder). Paths given are
 * relative to the site's folder. Returns the first error fn returns,
 * or QUIRE_OK.
 */
enum quire_err import_walk(struct import *im, const char *rel,
			   int (*enter)(void *arg, const char *rel),
			   enum quire_err (*fn)(void *arg, const char *rel),
			   void *arg);

/*
 * Expands a permalink pattern: each ":name" token (letters and '_') is
 * replaced by the value get(arg, name) gives, "//" left by an empty
 * value is made one "/". Returns QUIRE_OK, or QUIRE_ENOTFOUND with
 * *unknown pointing at the token get() did not know (in pattern).
 */
enum quire_err import_expand(const char *pattern,
			     const char *(*get)(void *arg, const char *name,
						size_t len),
			     void *arg, struct buf *out, const char **unknown);

/*
 * Makes s a valid slug in place (SPEC: letters of either case, digits,
 * '-', '_', '.', not starting with '.', at most QUIRE_MAX_SLUG bytes):
 * every other byte a '-', runs of '-' one, '-' and '.' trimmed from the
 * ends. Returns 1 when it changed s, 0 when s was valid; s may end
 * empty.
 */
int import_slug_fix(char *s);

/* A date written in a generator's frontmatter, normalised to one quire
 * reads ("2016-10-20 10:00:00 +0200" gives "2016-10-20 10:00:00+02:00")
 * into out; 0 when it is no date quire reads. */
int import_date_fix(const char *s, char *out, size_t size);

/* The post a link names (one of its keys, with or without the
 * extension .md or .markdown), or NULL. */
const struct import_post *import_find(const struct import *im,
				      const char *key);

/*
 * Writes the content folder: every post and page (its frontmatter, then
 * its body through translate), and site.yaml. Returns QUIRE_OK, or the
 * first error writing (reported).
 */
enum quire_err import_write(struct import *im, import_translate_fn translate);

/*
 * p's body with its generator's template tags translated by tags into
 * out, links to other posts resolved by import_find(): what an
 * importer's translate function does. base: the post's old folder URL,
 * for references relative to it (Hugo's), or NULL. Counts the tags
 * reported in im->reported. QUIRE_OK or QUIRE_ENOMEM.
 */
enum quire_err import_translate_tags(struct import *im,
				     const struct import_post *p,
				     import_tags_fn tags, const char *base,
				     struct buf *out);

#endif
