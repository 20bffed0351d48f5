/*
 * frontmatter_value.h - one frontmatter value, and the rules that put it
 * into a post (internal to frontmatter.c and frontmatter_toml.c)
 *
 * Both readers (YAML in frontmatter.c, TOML in frontmatter_toml.c) turn
 * their syntax into struct value and hand each key/value pair to
 * frontmatter_apply(), so there is one table of fields and one set of
 * field rules whatever the syntax. Nothing here knows about libyaml.
 */
#ifndef QUIRE_FRONTMATTER_VALUE_H
#define QUIRE_FRONTMATTER_VALUE_H

#include <stdarg.h>
#include <stddef.h>

#include "content/post.h"
#include "lib/quire.h"

enum value_kind {
	VALUE_NULL = 0,  /* YAML "key:" with nothing, ~ or null */
	VALUE_SCALAR,    /* a string, number, boolean or date, as text */
	VALUE_SEQ,       /* a list */
	VALUE_MAP,       /* a mapping (YAML) or table (TOML); contents dropped */
};

/*
 * A value as a reader found it. Positions are 1-based and refer to the
 * whole file, so the rules below can report errors without knowing which
 * reader they came from. Owns scalar and items.
 */
struct value {
	enum value_kind kind;
	char *scalar;          /* VALUE_SCALAR */
	char **items;          /* VALUE_SEQ: its scalar items, in order */
	size_t n_items;
	int nested;            /* VALUE_SEQ: an item was a list or a map */
	unsigned line;         /* where the value starts */
	unsigned column;
	unsigned nested_line;  /* where the first nested item starts */
	unsigned nested_column;
};

/* Frees what v owns and zeroes it (kind VALUE_NULL). */
void value_release(struct value *v);

/*
 * Appends a copy of s to the items of v. Returns QUIRE_OK or
 * QUIRE_ENOMEM. Not bounded here: every item takes input bytes, so the
 * readers' QUIRE_MAX_FRONTMATTER bounds it, and QUIRE_MAX_TAGS is checked
 * when a list is applied to a field.
 */
int value_add(struct value *v, const char *s);

/*
 * Applies key = v to p: a known field (DESIGN §3, keys matched ignoring
 * case) is checked and set, any other key is kept in p->extra (a list
 * joined by ", ", a map as ""). A key given twice keeps its last value.
 * May take v->scalar (sets it to NULL); the caller still releases v.
 *
 * Returns QUIRE_OK; QUIRE_EPARSE or QUIRE_ETOOBIG with err filled at the
 * value's position; QUIRE_ENOMEM.
 */
int frontmatter_apply(struct post *p, const char *key, struct value *v,
		      struct parse_error *err);

/* Reads exactly n digits at *s into *out and advances *s; 0 at a
 * character that is not one (both readers' dates and times). */
int frontmatter_digits(const char **s, int n, int *out);

/*
 * Fills err (when not NULL) with line, column and the message formatted
 * from fmt and ap, and returns rc, so that a reader's own error helper
 * can end with "return frontmatter_vfail(…)".
 */
int frontmatter_vfail(struct parse_error *err, int rc, unsigned line,
		      unsigned column, const char *fmt, va_list ap)
	__attribute__((format(printf, 5, 0)));

#endif
