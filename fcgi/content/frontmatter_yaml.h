/*
 * frontmatter_yaml.h - YAML frontmatter, the "---" blocks (internal to
 * frontmatter.c; the public entry is frontmatter_parse())
 */
#ifndef QUIRE_FRONTMATTER_YAML_H
#define QUIRE_FRONTMATTER_YAML_H

#include <stddef.h>

#include "content/post.h"
#include "lib/quire.h"

/*
 * Reads the YAML in text (len bytes, not NUL-terminated: the lines
 * between the "---" lines, the last line break included) into p, each
 * key through frontmatter_value_apply(). first_line is the line of the
 * file that text starts on, so that errors are placed in the whole file.
 * The caller has bounded len by QUIRE_MAX_FRONTMATTER.
 *
 * Returns QUIRE_OK; QUIRE_EPARSE with err filled (1-based line and
 * column in the whole file), for bad YAML, aliases, more than one
 * document or a document that is not a mapping; QUIRE_ETOOBIG past
 * QUIRE_MAX_YAML_DEPTH levels of lists and maps or QUIRE_MAX_TAGS values
 * in a list (err filled too); QUIRE_ENOMEM. On error p may hold some of
 * the keys: the caller frees it.
 */
enum quire_err frontmatter_yaml_read(struct post *p, const char *text,
				     size_t len, unsigned first_line,
				     struct parse_error *err);

#endif
