/*
 * frontmatter.h - frontmatter of a content file: YAML (libyaml) or TOML
 */
#ifndef QUIRE_FRONTMATTER_H
#define QUIRE_FRONTMATTER_H

#include <stddef.h>

#include "content/post.h"
#include "lib/quire.h"

/*
 * Parses the frontmatter at the start of p->source (p->source_len bytes):
 * a first line "---", YAML, then a line "---" (or "..."); or Hugo's
 * first line "+++", TOML, then a line "+++". A file with no frontmatter
 * at all is QUIRE_EPARSE ("missing frontmatter"). Fills the fields of
 * DESIGN §3 into p, keeps unknown keys in p->extra, and sets
 * p->body_offset to the first byte after the closing line. Under TOML,
 * keys of a [table] or inline table are kept in p->extra with dotted
 * names ("params.author"), and each table itself as "".
 *
 * Dates: "2024-01-31", "2024-01-31 10:20", "2024-01-31T10:20:30",
 * optionally with fractions of a second (dropped) and "Z" or "+01:00";
 * taken as UTC when no zone is given (frontmatter_date_parse()). TOML
 * dates need no quotes.
 * tags/categories/authors take a list or one value ("a, b" is split for
 * tags and categories given as one string). Booleans: true/false,
 * yes/no, on/off. pin: true or a positive number.
 *
 * Does not require title (the caller decides) and does not derive the
 * slug from the file name (the caller does).
 *
 * Returns QUIRE_OK; QUIRE_EPARSE with err filled (line and column in the
 * whole file, 1-based); QUIRE_ETOOBIG past QUIRE_MAX_FRONTMATTER,
 * QUIRE_MAX_TAGS or QUIRE_MAX_YAML_DEPTH (err filled too); QUIRE_ENOMEM.
 */
enum quire_err frontmatter_parse(struct post *p, struct parse_error *err);

#endif
