/*
 * html_sanitize.h - HTML from any source, cut down to an allowlist
 *
 * An HTML post (DESIGN §3, "HTML posts") is parsed with libxml2's HTML
 * parser into a tree, every element and attribute not on the allowlist
 * is removed from what is written back, and the tree is serialised by
 * quire itself, every text and attribute value escaped by html.c. Never
 * regular expressions: what the browser parses is a tree, so the check
 * is made on one. Run once, when the post is parsed (a load, a deploy,
 * an API write), never per request.
 */
#ifndef QUIRE_HTML_SANITIZE_H
#define QUIRE_HTML_SANITIZE_H

#include <stddef.h>

#include "lib/quire.h"

struct html_sanitized {
	char *html;   /* caller frees */
	size_t len;
	size_t words; /* words of text kept, for reading time */
};

/*
 * Sanitizes len bytes of HTML (a fragment: a post's body). Kept:
 * the elements of the allowlist in html_sanitize.c (paragraphs, links,
 * images, emphasis, code, quotes, lists, headings, tables, figures...)
 * with their listed attributes; URLs (href, src, cite) only when
 * relative or http, https or mailto. Dropped with everything inside
 * them: script, style, iframe, object, embed, form controls, svg, math,
 * template, noscript; other unknown elements are unwrapped (their
 * contents kept); comments dropped. Each kept table and pre is put in
 * the scroll box markdown.c gives a Markdown body's (div.scroll,
 * tabindex="0", role="region", aria-label "Table N" or "Code N": DESIGN
 * §3). Never fails on malformed markup: the parser recovers as a
 * browser would.
 *
 * Returns QUIRE_OK; QUIRE_ETOOBIG past QUIRE_MAX_FILE; QUIRE_ENOMEM.
 * On error out is left empty.
 */
enum quire_err html_sanitize(const char *in, size_t len,
			     struct html_sanitized *out);

void html_sanitized_release(struct html_sanitized *out);

/* Whether the allowlist keeps element name (lower case), and attribute
 * attr of it with value (URLs checked): the rules the serialiser
 * applies, exported for the fuzz target's check of its output. */
int html_sanitize_element_allowed(const char *name);
int html_sanitize_attr_allowed(const char *element, const char *attr,
			       const char *value);

#endif
