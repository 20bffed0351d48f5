/*
 * touch.h - which cached pages an update makes stale
 *
 * A worker marks stale, before it applies an update (DESIGN §5), the
 * pages the update changes: a changed post's own page and every page
 * that lists posts (home, lists, taxonomies, feeds, sitemap), and also
 * what a page shows of other posts: a post's related posts (those that
 * share a tag with it, or that it names in related_posts), its newer and
 * older posts (the neighbours of a changed post before the change, and
 * those its new date places it between) and, on every page, the menu of
 * static pages. A post's page whose post shares no tag with a changed
 * post (before or after the change), names none and is no neighbour of
 * one stays. Archives and author pages list posts: always stale.
 */
#ifndef QUIRE_TOUCH_H
#define QUIRE_TOUCH_H

#include <stddef.h>

#include "content/site.h"
#include "lib/key_table.h"
#include "serve/sub.h"

struct touch {
	const struct sub_update *u;
	const struct site *site;  /* the index the cached pages were made from */
	int everything;
	char **tags;              /* term keys of the changed posts' tags */
	size_t n_tags;
	struct key_table tag_set;
};

/*
 * Readies t for u against site (borrowed, both, until touch_end). Out of
 * memory, it touches every page: stale is always safe.
 */
void touch_begin(struct touch *t, const struct site *site,
		 const struct sub_update *u);
void touch_end(struct touch *t);

/* Whether the page cached under key (a path, "?page=N" maybe after it)
 * may have changed: a post's or page's own page is known by its URL in
 * the site (site_path), whatever site.yaml's permalinks make it;
 * anything else lists posts. */
int touch_page(const struct touch *t, const char *key);

#endif
