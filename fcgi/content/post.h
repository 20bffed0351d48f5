/*
 * post.h - one post or static page, as parsed from Markdown with frontmatter
 *
 * A struct post owns every string it points to; post_free() frees them.
 */
#ifndef QUIRE_POST_H
#define QUIRE_POST_H

#include <stddef.h>
#include <time.h>

#include "content/strlist.h"

enum post_kind {
	POST_KIND_POST = 0,  /* content/posts/..., listed, dated */
	POST_KIND_PAGE,      /* content/pages/NAME.md, a static page */
	POST_KIND__MAX
};

/* An unknown frontmatter key, kept with its scalar value (or the values of
 * a sequence joined by ", "; nested maps are kept as "" ). */
struct post_extra {
	char *key;
	char *value;
};

struct post {
	enum post_kind kind;
	char *path;              /* source file, as found on disk */
	char *slug;              /* URL name: frontmatter, Jekyll name or file name */
	/* The slug the file asked for when another post holds it and this
	 * one is served under a suffix (slug_settle.h), else NULL: its old
	 * URL, for the permalinks to redirect. */
	char *wanted_slug;
	char *title;             /* as written */
	char *title_html;        /* its Markdown inlines as HTML (markdown_title) */
	char *title_text;        /* the same as plain text: <title>, feeds */
	time_t date;             /* UTC seconds; 0 when has_date is 0 */
	int has_date;
	time_t updated;
	int has_updated;
	struct strlist authors;
	char *description;       /* description or summary */
	struct strlist tags;
	struct strlist categories;
	int draft;
	int toc;                 /* toc: true */
	int pin;                 /* pin: true, or a number (higher first) */
	char *template_name;     /* template: NAME, or NULL */
	char *featured_image;
	struct strlist related;  /* related_posts: slugs */
	struct strlist aliases;  /* aliases: old URL paths, e.g. /old/path/ */
	struct post_extra *extra;
	size_t n_extra;

	char *source;            /* the whole file as read */
	size_t source_len;
	size_t body_offset;      /* where the Markdown starts in source */

	char *html;              /* rendered body */
	char *toc_html;          /* <nav class="toc">...</nav> or NULL */
	/* What lists show of it (markdown_summary): made when its file is
	 * parsed, carried by the tiers' record and index (DESIGN §5); NULL:
	 * its description */
	char *summary_html;
	/* summary_html is all of the body (markdown_summary's whole): a
	 * list offers no "Read more" */
	int summary_whole;
	size_t words;            /* word count of the body, for reading time */
	unsigned long long hash; /* content hash of source (xxhash 64) */
	/* The revision of the tiers' record it was read from (0 from a
	 * file): with hash, what a body fetched for it must match. */
	long long revision;
	long long generation;    /* the record's (record.h); 0 from a file */
	size_t rank;             /* its index in site->posts; set by site_build */
	/* Its URL under the site.yaml of the content it is in, made by the
	 * first site_build that places it and kept for the next ones (a
	 * post never moves to another content: a new version is a new
	 * post); url_refused says why site_build leaves it out, else NULL.
	 * Not copied by post_dup (the copy may go to another content). */
	char *url;
	const char *url_refused; /* static text */
	int url_made;
};

/* Returns a zeroed post, or NULL. Caller frees with post_free(). */
struct post *post_new(void);
void post_free(struct post *p);
/* Returns a deep copy of p, or NULL; caller frees with post_free(). */
struct post *post_dup(const struct post *p);
/* True for a valid slug: ASCII letters of either case, digits, '-', '_'
 * and '.', not starting with '.' (no hidden names, no ".."), at most
 * QUIRE_MAX_SLUG bytes. The case is kept in the URL; two slugs equal but
 * for case are duplicates (DESIGN §3). */
int post_slug_valid(const char *s);

#endif
