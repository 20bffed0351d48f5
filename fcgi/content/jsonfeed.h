/*
 * jsonfeed.h - a JSON Feed 1.1 (https://jsonfeed.org/version/1.1) written
 * from a feed's fields, always valid JSON
 */
#ifndef QUIRE_JSONFEED_H
#define QUIRE_JSONFEED_H

#include "content/strlist.h"
#include "lib/buf.h"

/* The feed's own fields; a NULL or empty string is left out. */
struct jsonfeed_head {
	const char *title;
	const char *home_page_url;
	const char *feed_url;
	const char *description;
	const char *language;
	const char *author;      /* the site's author, the feed's authors[0] */
};

/* One item. Exactly one of content_html and summary is written: the
 * body when content_html is non-NULL, else the summary (the site's
 * feed: {content: summary}). Dates are RFC 3339; image an absolute URL
 * or NULL. tags and authors may be NULL. */
struct jsonfeed_item {
	const char *id;
	const char *url;
	const char *title;       /* plain text */
	const char *content_html;
	const char *summary;
	const char *date_published;
	const char *date_modified;
	const char *image;
	const struct strlist *tags;
	const struct strlist *authors;
};

/* Appends the feed's head and opens its items. */
void jsonfeed_begin(struct buf *out, const struct jsonfeed_head *h);
/* Appends one item; first says whether it is the first (no comma). */
void jsonfeed_item(struct buf *out, const struct jsonfeed_item *it, int first);
/* Closes the items and the feed. */
void jsonfeed_end(struct buf *out);

#endif
