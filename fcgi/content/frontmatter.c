/*
 * frontmatter.c - frontmatter of a content file: finding the block and
 * handing it to its reader
 *
 * The block is YAML between "---" lines (Jekyll, Hugo, most tools) or
 * TOML between "+++" lines (Hugo's default). This file only finds the
 * block, bounds it by QUIRE_MAX_FRONTMATTER, and places the body after
 * it; the readers (frontmatter_yaml.c, frontmatter_toml.c) turn the text
 * into values, and the field rules (frontmatter_value.c) put those into
 * the post, written once whatever the syntax.
 */
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include "content/frontmatter.h"
#include "content/frontmatter_toml.h"
#include "content/frontmatter_value.h"
#include "content/frontmatter_yaml.h"
#include "content/post.h"
#include "lib/limits.h"
#include "lib/quire.h"

/* The delimiter lines a block may open with, and what closes each. */
enum block_syntax {
	BLOCK_YAML,  /* "---" ... "---" or "..." */
	BLOCK_TOML,  /* "+++" ... "+++" */
};

static enum quire_err frontmatter_fail(struct parse_error *err,
				       enum quire_err rc, unsigned line,
				       unsigned column, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static enum quire_err frontmatter_fail(struct parse_error *err,
				       enum quire_err rc, unsigned line,
				       unsigned column, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rc = frontmatter_value_vfail(err, rc, line, column, fmt, ap);
	va_end(ap);
	return rc;
}

/* Length of the line at s (up to end) without its line break and
 * trailing blanks; *next is set to the start of the next line. */
static size_t line_span(const char *s, const char *end, const char **next)
{
	const char *nl = memchr(s, '\n', (size_t)(end - s));
	const char *e = nl ? nl : end;

	*next = nl ? nl + 1 : end;
	while (e > s && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
		e--;
	return (size_t)(e - s);
}

/* True when the line at s, n bytes long, closes a block of syntax. */
static int closes(enum block_syntax syntax, const char *s, size_t n)
{
	if (n != 3)
		return 0;
	if (syntax == BLOCK_TOML)
		return memcmp(s, "+++", 3) == 0;
	return memcmp(s, "---", 3) == 0 || memcmp(s, "...", 3) == 0;
}

/*
 * Finds the block between the opening line and the closing one: "---"
 * then "---" or "..." for YAML, "+++" then "+++" for TOML. The opening
 * is the first line that is not blank, after a UTF-8 byte order mark if
 * any: Jekyll and Hugo accept blank lines before it, and editors on
 * Windows write the mark. Sets *off and *len to the block's bytes in
 * p->source, and *first to the file's line the block starts on.
 */
static enum quire_err find_block(const struct post *p,
				 enum block_syntax *syntax, size_t *off,
				 size_t *len, unsigned *first,
				 struct parse_error *err)
{
	const char *src = p->source, *end = p->source + p->source_len;
	const char *s = src, *line, *next;
	unsigned open_line = 1;
	size_t n;

	if (p->source_len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3;
	/* line_span cuts trailing blanks: a line of blanks spans 0 */
	while ((n = line_span(s, end, &next)) == 0 && next < end) {
		s = next;
		open_line++;
	}
	if (n == 3 && memcmp(s, "---", 3) == 0)
		*syntax = BLOCK_YAML;
	else if (n == 3 && memcmp(s, "+++", 3) == 0)
		*syntax = BLOCK_TOML;
	else
		return frontmatter_fail(err, QUIRE_EPARSE, n ? open_line : 1,
					1, "missing frontmatter (the file must "
					"start with a \"---\" or \"+++\" line)");
	*first = open_line + 1;
	*off = (size_t)(next - src);
	for (line = next; line < end; line = next) {
		if ((size_t)(line - src) - *off > QUIRE_MAX_FRONTMATTER)
			return frontmatter_fail(err, QUIRE_ETOOBIG, open_line, 1,
						"frontmatter is larger than %d "
						"bytes", QUIRE_MAX_FRONTMATTER);
		n = line_span(line, end, &next);
		if (closes(*syntax, line, n)) {
			*len = (size_t)(line - src) - *off;
			return QUIRE_OK;
		}
	}
	return frontmatter_fail(err, QUIRE_EPARSE, open_line, 1,
				"unterminated frontmatter (no closing \"%s\" "
				"line)", *syntax == BLOCK_TOML ? "+++" : "---");
}

enum quire_err frontmatter_parse(struct post *p, struct parse_error *err)
{
	enum block_syntax syntax = BLOCK_YAML;
	size_t off = 0, len = 0;
	unsigned first = 2;
	const char *next;
	enum quire_err rc;

	if (err)
		memset(err, 0, sizeof(*err));
	if (!p->source)
		return frontmatter_fail(err, QUIRE_EPARSE, 1, 1, "%s",
					"missing frontmatter (empty file)");
	rc = find_block(p, &syntax, &off, &len, &first, err);
	if (rc != QUIRE_OK)
		return rc;
	if (syntax == BLOCK_TOML)
		rc = frontmatter_toml_read(p, p->source + off, len, first,
					   err);
	else
		rc = frontmatter_yaml_read(p, p->source + off, len, first,
					   err);
	if (rc != QUIRE_OK)
		return rc;
	line_span(p->source + off + len, p->source + p->source_len, &next);
	p->body_offset = (size_t)(next - p->source);
	return QUIRE_OK;
}
