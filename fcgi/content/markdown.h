/*
 * markdown.h - Markdown to HTML (cmark-gfm and its GFM extensions)
 */
#ifndef QUIRE_MARKDOWN_H
#define QUIRE_MARKDOWN_H

#include <stddef.h>

#include "lib/quire.h"

/* Registers the GFM extensions. Call once, before any fork or thread. */
void markdown_init(void);

enum markdown_flags {
	MARKDOWN_UNSAFE = 1 << 0, /* keep raw HTML (site owner's content only) */
	MARKDOWN_TOC = 1 << 1,    /* build a table of contents */
};

struct markdown_out {
	char *html;     /* caller frees */
	char *toc_html; /* "<nav class=\"toc\">...</nav>", or NULL without MARKDOWN_TOC
	                   or with no headings; caller frees */
	size_t words;   /* words of text, for reading time */
};

/*
 * Renders len bytes of Markdown. Tables, strikethrough, autolink,
 * tagfilter, task lists and footnotes are on. Every heading gets a stable
 * id from its text (lower-case, [a-z0-9-], duplicates -1, -2 ...); fenced
 * code keeps its language as class="language-X". id_prefix (may be NULL)
 * is put before footnote ids so posts can share a page.
 *
 * Returns QUIRE_OK; QUIRE_ETOOBIG past QUIRE_MAX_MARKDOWN or
 * QUIRE_MAX_TABLE_COLS (err says which); QUIRE_ETIMEOUT when rendering
 * took more than QUIRE_RENDER_CPU_MS; QUIRE_ENOMEM. On error out is
 * left empty.
 */
enum quire_err markdown_render(const char *md, size_t len, unsigned flags,
			       const char *id_prefix, struct markdown_out *out,
			       struct parse_error *err);

/*
 * markdown_render, with every relative link and image URL (no scheme,
 * not starting with '/', '#' or '?') put under base, a URL folder ending
 * in '/' (a page bundle's, DESIGN §3): "cover.jpg" and "./cover.jpg"
 * become BASE "cover.jpg". base NULL: URLs as written.
 */
enum quire_err markdown_render_at(const char *md, size_t len, unsigned flags,
				  const char *id_prefix, const char *base,
				  struct markdown_out *out,
				  struct parse_error *err);

/* Whether url is relative to its page: no scheme, not starting with
 * '/', '#' or '?', not empty. */
int markdown_url_relative(const char *url);

void markdown_out_release(struct markdown_out *out);

/*
 * A post's title as Markdown inlines (DESIGN §3): *html the inline HTML
 * (code, emphasis, strong; links and images as their text, raw HTML as
 * escaped text whatever MARKDOWN_UNSAFE would say; no <p>), *text the
 * same as plain text, unescaped (what <title> and feeds escape). A title
 * that is not one paragraph (e.g. "1. Intro", "# tag"), or longer than
 * QUIRE_MAX_TITLE_MARKDOWN, is taken as written: *text the title, *html it escaped. Line
 * breaks are spaces. Both NULL for a NULL title; caller frees both.
 * QUIRE_OK or QUIRE_ENOMEM.
 */
enum quire_err markdown_title(const char *title, char **html, char **text);

#endif
