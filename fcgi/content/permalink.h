/*
 * permalink.h - URL patterns of posts and pages (site.yaml's permalinks)
 *
 * A pattern is an absolute path with tokens: :year :month :day (of the
 * post's date, UTC), :slug and :title (Jekyll's synonym), :category (the
 * first category's URL key) and :categories (every category's, as path
 * segments), and an optional ".html" or "/" at its end, e.g.
 * "/:year/:month/:day/:slug.html". The defaults are "/posts/:slug" and
 * "/pages/:slug". quire's own routes are reserved (permalink_reserved):
 * a pattern whose fixed start lies under one is refused when parsed; a
 * post whose URL would be one is refused when the site is built.
 */
#ifndef QUIRE_PERMALINK_H
#define QUIRE_PERMALINK_H

#include <stddef.h>

#include "content/post.h"
#include "lib/quire.h"

/* The patterns when site.yaml sets none: today's URLs. */
#define PERMALINK_POSTS_DEFAULT "/posts/:slug"
#define PERMALINK_PAGES_DEFAULT "/pages/:slug"

/* Longest pattern, and longest URL one can expand to. */
#define PERMALINK_MAX_PATTERN 256
#define PERMALINK_MAX_URL 1024

/*
 * Checks pattern: starts with '/', only the tokens above, the characters
 * of a path (letters, digits, '-', '_', '.', '/'), no empty, "." or ".."
 * segment, :slug or :title exactly once, not under a reserved route.
 * Returns QUIRE_OK, or QUIRE_EPARSE with *col the 0-based offset of the
 * fault in pattern and msg (msgsz bytes) saying what it is.
 */
enum quire_err permalink_check(const char *pattern, size_t *col, char *msg,
			       size_t msgsz);

/*
 * Expands pattern (checked) for p into out (outsz bytes). A category
 * token with no category is left out with its '/', as Jekyll does.
 * Returns QUIRE_OK or QUIRE_ETOOBIG.
 */
enum quire_err permalink_expand(const char *pattern, const struct post *p,
				char *out, size_t outsz);

/*
 * Whether path is one of quire's own routes or under one: "/", "/posts/"
 * (the list), "/search", "/feed.xml", "/sitemap.xml", "/healthz",
 * "/metrics", and everything under "/tags/", "/categories/", "/api/",
 * "/static/", "/archives/", "/authors/". With or without a trailing slash.
 */
int permalink_reserved(const char *path);

/* The URL key of a tag or category (site_term_key's rule, here so that
 * :category expands to the key of the category's own page). */
void permalink_term_key(const char *name, char *out, size_t outsz);

/*
 * The length of path's base: path without a last ".html/", ".html" or
 * '/' (not the root's). A URL's other forms — with or without the
 * slash, with or without ".html" — share its base: one lookup of the
 * base finds the post any of them names.
 */
size_t permalink_base_len(const char *path, size_t len);

#endif
