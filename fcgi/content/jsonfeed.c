/*
 * jsonfeed.c - a JSON Feed 1.1 written from a feed's fields
 *
 * Every string goes through html_clean then html_json_escape
 * (content/html.c, the only escaper): the characters the Atom feed and
 * the pages write as U+FFFD (controls, noncharacters, bytes that are not
 * UTF-8) are U+FFFD here too, so a title reads the same in every feed
 * and a reader's terminal gets no escape sequence; then quotes and
 * backslashes escaped: valid JSON whatever a post holds.
 */
#include <string.h>

#include "content/html.h"
#include "content/jsonfeed.h"

/* Appends s as the inside of a JSON string, cleaned as above. */
static void put_string(struct buf *out, const char *s)
{
	struct buf clean = BUF_INIT;

	html_clean(&clean, s, strlen(s));
	if (buf_failed(&clean))
		out->failed = 1;
	else if (clean.len)
		html_json_escape(out, clean.data, clean.len);
	buf_release(&clean);
}

/* ,"key":"value" (no comma when first); nothing for a NULL or empty
 * value. Returns whether it wrote. */
static int field(struct buf *out, const char *key, const char *value,
		 int first)
{
	if (!value || !*value)
		return 0;
	if (!first)
		buf_putc(out, ',');
	buf_putc(out, '"');
	buf_puts(out, key);
	buf_puts(out, "\":\"");
	put_string(out, value);
	buf_putc(out, '"');
	return 1;
}

/* ,"authors":[{"name":...},...] from names[0..n). */
static void authors(struct buf *out, char *const *names, size_t n)
{
	size_t i;

	if (n == 0)
		return;
	buf_puts(out, ",\"authors\":[");
	for (i = 0; i < n; i++) {
		buf_puts(out, i ? ",{" : "{");
		field(out, "name", names[i], 1);
		buf_putc(out, '}');
	}
	buf_putc(out, ']');
}

void jsonfeed_begin(struct buf *out, const struct jsonfeed_head *h)
{
	char *author = (char *)h->author;

	buf_puts(out, "{\"version\":\"https://jsonfeed.org/version/1.1\"");
	field(out, "title", h->title ? h->title : "", 0);
	field(out, "home_page_url", h->home_page_url, 0);
	field(out, "feed_url", h->feed_url, 0);
	field(out, "description", h->description, 0);
	field(out, "language", h->language, 0);
	if (author && *author)
		authors(out, &author, 1);
	buf_puts(out, ",\"items\":[");
}

void jsonfeed_item(struct buf *out, const struct jsonfeed_item *it, int first)
{
	size_t i;

	buf_puts(out, first ? "{" : ",{");
	field(out, "id", it->id, 1);
	field(out, "url", it->url, 0);
	field(out, "title", it->title, 0);
	/* One of content_html and content_text is required (JSON Feed
	 * 1.1): the body, or in summary mode the summary as text. */
	if (it->content_html) {
		buf_puts(out, ",\"content_html\":\"");
		put_string(out, it->content_html);
		buf_putc(out, '"');
	} else {
		buf_puts(out, ",\"content_text\":\"");
		if (it->summary)
			put_string(out, it->summary);
		buf_putc(out, '"');
	}
	field(out, "summary", it->summary, 0);
	field(out, "date_published", it->date_published, 0);
	field(out, "date_modified", it->date_modified, 0);
	field(out, "image", it->image, 0);
	if (it->tags && it->tags->n) {
		buf_puts(out, ",\"tags\":[");
		for (i = 0; i < it->tags->n; i++) {
			buf_puts(out, i ? ",\"" : "\"");
			put_string(out, it->tags->v[i]);
			buf_putc(out, '"');
		}
		buf_putc(out, ']');
	}
	if (it->authors)
		authors(out, it->authors->v, it->authors->n);
	buf_putc(out, '}');
}

void jsonfeed_end(struct buf *out)
{
	buf_puts(out, "]}\n");
}
