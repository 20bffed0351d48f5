/*
 * markdown.h - Markdown to HTML (cmark-gfm and its GFM extensions)
 */
#ifndef QUIRE_MARKDOWN_H
#define QUIRE_MARKDOWN_H

#include <stddef.h>

#include "lib/quire.h"

/* Registers the GFM extensions. Call once, before any fork or thread. */
void markdown_init(void);
/* Before threads render at once (threads of them): the helpers that
 * render sources over QUIRE_RENDER_INLINE_MAX started now, one each and
 * one to spare, while the caller is the only thread (sandbox_pool.h
 * says why a fork among threads is not safe). */
void markdown_prestart(size_t threads);

enum markdown_flags {
	MARKDOWN_UNSAFE = 1 << 0, /* keep raw HTML (site owner's content only) */
	MARKDOWN_TOC = 1 << 1,    /* build a table of contents */
	/* heading ids under id_prefix too, as footnotes' (summaries: many
	 * share a list page); not with MARKDOWN_TOC, whose links are the
	 * ids as they are */
	MARKDOWN_PREFIX_HEADINGS = 1 << 2,
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

/* What goes before the slug in a summary's footnote and heading ids,
 * so that they differ from the post's own ("SLUG-fn-1" and "intro"
 * there, "summary-SLUG-fn-1" and "summary-SLUG-intro" on lists). */
#define MARKDOWN_SUMMARY_PREFIX "summary-"

/* The mark that ends a post's summary where the author wants it. */
#define MARKDOWN_MORE "<!--more-->"

/* What a stored summary (record.h) ends with when it is the whole body,
 * nothing more to read (markdown_summary's *whole): a comment, so that
 * a build that does not know it shows nothing of it. */
#define MARKDOWN_SUMMARY_WHOLE "<!--quire:whole-->"

/* The bound of a summary's HTML: QUIRE_MAX_SUMMARY with room for the
 * mark, so that a stored summary fits QUIRE_MAX_SUMMARY as the tiers
 * require. */
#define MARKDOWN_SUMMARY_MAX \
	(QUIRE_MAX_SUMMARY - (sizeof(MARKDOWN_SUMMARY_WHOLE) - 1))

/*
 * The summary of a post's body md (len bytes) as HTML, for lists: the
 * Markdown before the first MARKDOWN_MORE when there is one, else the
 * first top-level paragraph, rendered as markdown_render_at renders
 * (base as there), always without raw HTML (MARKDOWN_UNSAFE and
 * MARKDOWN_TOC ignored: the same summary in both modes, whatever the
 * option the body was rendered with). Bounded: its HTML is at most
 * MARKDOWN_SUMMARY_MAX bytes, made of at most QUIRE_MAX_SUMMARY_MARKDOWN
 * bytes of Markdown — a longer one is cut after a top-level block of
 * the Markdown (never inside a tag), at most QUIRE_SUMMARY_MAX_BLOCKS
 * of them. *html is NULL when there is neither a mark nor a paragraph,
 * or when the first block alone is over the bounds (the list shows the
 * description then). Only the first 4 * QUIRE_MAX_SUMMARY_MARKDOWN
 * bytes are searched for a paragraph; never rendered in a child.
 * id_prefix as markdown_render's, and before heading ids too
 * (MARKDOWN_PREFIX_HEADINGS): summaries share list pages, so each needs
 * its own (MARKDOWN_SUMMARY_PREFIX and the slug).
 * *whole (when whole is not NULL) is 1 when the summary is all there
 * is of md: nothing but white space outside the Markdown it was made
 * from (no code before the paragraph, no text after the paragraph or
 * after the mark) and not cut; else 0 (always 0 when *html is NULL),
 * so a list offers "Read more" only where there is more.
 * QUIRE_OK, QUIRE_ENOMEM or markdown_render's errors; caller frees.
 */
enum quire_err markdown_summary(const char *md, size_t len,
				const char *id_prefix, const char *base,
				char **html, int *whole);

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
