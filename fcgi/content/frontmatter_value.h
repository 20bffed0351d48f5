/*
 * frontmatter_value.h - one frontmatter value, and the field rules that
 * put it into a post (internal to frontmatter*.c)
 *
 * Both readers (YAML in frontmatter_yaml.c, TOML in frontmatter_toml.c)
 * turn their syntax into struct frontmatter_value and hand each key/value
 * pair to frontmatter_value_apply(), so there is one table of fields and
 * one set of field rules whatever the syntax. Nothing here knows about
 * either syntax.
 */
#ifndef QUIRE_FRONTMATTER_VALUE_H
#define QUIRE_FRONTMATTER_VALUE_H

#include <stdarg.h>
#include <stddef.h>

#include "content/post.h"
#include "lib/quire.h"

enum frontmatter_value_kind {
	FRONTMATTER_VALUE_NULL = 0, /* YAML "key:" with nothing, ~ or null */
	FRONTMATTER_VALUE_SCALAR,   /* a string, number, boolean or date, as
				     * text */
	FRONTMATTER_VALUE_SEQ,      /* a list */
	FRONTMATTER_VALUE_MAP,      /* a mapping (YAML) or table (TOML);
				     * contents dropped */
};

/*
 * A value as a reader found it. Positions are 1-based and refer to the
 * whole file, so the rules below can report errors without knowing which
 * reader they came from. Owns scalar and items.
 */
struct frontmatter_value {
	enum frontmatter_value_kind kind;
	char *scalar;          /* kind SCALAR */
	char **items;          /* kind SEQ: its scalar items, in order */
	size_t n_items;
	int nested;            /* kind SEQ: an item was a list or a map */
	unsigned line;         /* where the value starts */
	unsigned column;
	unsigned nested_line;  /* where the first nested item starts */
	unsigned nested_column;
};

/* Frees what v owns and zeroes it (kind FRONTMATTER_VALUE_NULL). */
void frontmatter_value_release(struct frontmatter_value *v);

/*
 * Appends a copy of s to the items of v. Returns QUIRE_OK or
 * QUIRE_ENOMEM. Not bounded here: every item takes input bytes, so the
 * readers' QUIRE_MAX_FRONTMATTER bounds it, and QUIRE_MAX_TAGS is checked
 * when a list is applied to a field.
 */
enum quire_err frontmatter_value_add(struct frontmatter_value *v,
				     const char *s);

/*
 * Applies key = v to p: a known field (DESIGN §3, keys matched ignoring
 * case) is checked and set, any other key is kept in p->extra (a list
 * joined by ", ", a map as ""). A key given twice keeps its last value.
 * Dates are read by frontmatter_date_parse(). May take v->scalar (sets
 * it to NULL); the caller still releases v.
 *
 * Returns QUIRE_OK; QUIRE_EPARSE or QUIRE_ETOOBIG with err filled at the
 * value's position; QUIRE_ENOMEM.
 */
enum quire_err frontmatter_value_apply(struct post *p, const char *key,
				       struct frontmatter_value *v,
				       struct parse_error *err);

/*
 * Fills err (when not NULL) with line, column and the message formatted
 * from fmt and ap, and returns rc, so that a reader's own error helper
 * can end with "return frontmatter_value_vfail(…)".
 */
enum quire_err frontmatter_value_vfail(struct parse_error *err,
				       enum quire_err rc, unsigned line,
				       unsigned column, const char *fmt,
				       va_list ap)
	__attribute__((format(printf, 5, 0)));

#endif
