/*
 * etag.h - entity-tag lists: the values of If-Match and If-None-Match
 *
 * RFC 9110 §8.8.3 and §13.1.1-2, the grammar this parser takes:
 *
 *   If-Match, If-None-Match = "*" / #entity-tag
 *   entity-tag = [ %s"W/" ] DQUOTE *etagc DQUOTE
 *   etagc      = %x21 / %x23-7E / %x80-FF
 *
 * A list is elements separated by commas with optional blanks (SP,
 * HTAB) around them; empty elements are ignored (§5.6.1), so "" (the
 * empty value) is a list of no tags. "*" stands alone. A pure parser:
 * no I/O, no allocation, the tags point into the value parsed.
 */
#ifndef QUIRE_ETAG_H
#define QUIRE_ETAG_H

#include <stddef.h>

#include "lib/limits.h"
#include "lib/quire.h"

/* One entity-tag of a list. */
struct etag {
	const char *opaque;      /* between the quotes (not NUL-terminated) */
	size_t len;
	int weak;                /* W/"..." */
};

struct etag_list {
	int any;                 /* the value was "*" (then n is 0) */
	size_t n;
	struct etag tag[QUIRE_MAX_ETAGS];
};

/*
 * Parses value[0, len) into *out. QUIRE_OK; QUIRE_EPARSE for bad syntax
 * (an unquoted or unterminated tag, a byte etagc excludes, a NUL, two
 * tags with no comma between, "*" beside anything else); QUIRE_ETOOBIG
 * for more than QUIRE_MAX_ETAGS tags or len over QUIRE_MAX_HEADER. On
 * an error *out is an empty list.
 */
enum quire_err etag_list_parse(const char *value, size_t len,
			       struct etag_list *out);

/*
 * Whether the entity-tag whose opaque part is opaque[0, len) (strong,
 * as quire makes them) is in l: "*" holds any; a weak tag of l counts
 * only when weak is set (RFC 9110 §8.8.3.2: If-Match compares strongly,
 * If-None-Match weakly).
 */
int etag_list_has(const struct etag_list *l, const char *opaque, size_t len,
		  int weak);

#endif
