/*
 * html.h - the only place that escapes text for HTML and XML
 */
#ifndef QUIRE_HTML_H
#define QUIRE_HTML_H

#include <stddef.h>

#include "lib/buf.h"

/* Appends s with & < > " ' escaped as entities (valid in HTML and XML
 * text and attribute values), and every character that XML 1.0 or HTML
 * forbids in a document (C0 controls but tab, LF, CR; DEL and the C1
 * controls; noncharacters such as U+FFFE) or byte that is not UTF-8
 * written as U+FFFD. */
void html_escape(struct buf *out, const char *s, size_t len);

/* Appends s, which is HTML already (a render's output), with the
 * characters html_escape replaces by U+FFFD replaced the same way and
 * nothing else changed. */
void html_clean(struct buf *out, const char *s, size_t len);

/* Appends s percent-encoded for a URL path segment (RFC 3986 unreserved
 * characters kept). */
void html_url_encode(struct buf *out, const char *s, size_t len);

/* Appends the decoded path s percent-encoded for a Location header or
 * an href: RFC 3986 path characters (unreserved, sub-delims, ':', '@',
 * '/') kept, every other byte %XX, so nothing from a request can end
 * the header, start a query or fragment, or be read as an escape. */
void html_path_encode(struct buf *out, const char *s, size_t len);

/* Appends s as the inside of a JSON string (RFC 8259 §7): quotes,
 * backslashes and control characters escaped; other bytes as they are. */
void html_json_escape(struct buf *out, const char *s, size_t len);

#endif
