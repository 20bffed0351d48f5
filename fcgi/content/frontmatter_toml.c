/*
 * frontmatter_toml.c - TOML frontmatter (Hugo's "+++" blocks)
 *
 * Debian packages no C TOML library, and frontmatter needs only a flat
 * corner of TOML, so this is a small bounded reader of its own: key =
 * value lines, comments, [table] and [[array]] headers, and TOML 1.0's
 * values (the four kinds of string, integers, floats, booleans, dates
 * and times, arrays, inline tables). It checks the syntax only; what a
 * value means for a field is decided by frontmatter_value_apply(), the
 * rules the YAML reader uses too (frontmatter_value.h).
 *
 * Numbers, booleans and dates are handed over as written, as a YAML
 * plain scalar would be: "draft = true" and "date = 2020-01-02T10:00:00Z"
 * reach the same rules as their YAML forms. A key under a table header
 * or in an inline table gets the dotted name of its table
 * ("params.author" under Hugo's [params]) and so lands in p->extra. Each
 * table is itself applied as a map, which keeps it as "" (as YAML keeps
 * a map) and refuses a table named like a field ([tags]). A key given
 * twice keeps its last value, as in the YAML reader, where strict TOML
 * would refuse the file; a newline in an inline table and a seconds-less
 * time are TOML 1.1 and accepted.
 *
 * Bounds: the caller limits the text to QUIRE_MAX_FRONTMATTER bytes;
 * tables (each part of a dotted key or header is one), arrays and inline
 * tables nest at most QUIRE_MAX_YAML_DEPTH levels, which bounds the
 * recursion here and the copies of table names kept; lists hold at most
 * QUIRE_MAX_TAGS values once applied. The text is checked once, first,
 * for valid UTF-8 and control characters, so the reader proper never
 * meets a NUL or a lone carriage return.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "content/frontmatter_date.h"
#include "content/frontmatter_toml.h"
#include "content/frontmatter_value.h"
#include "content/post.h"
#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/quire.h"

/* A position in the whole file, 1-based; columns count characters. */
struct toml_pos {
	unsigned line;
	unsigned column;
};

struct toml {
	const char *s;           /* next byte to read */
	const char *end;         /* end of the text */
	const char *line_start;  /* first byte of the line s is on */
	unsigned line;           /* the line s is on, in the whole file */
	const char *col_at;      /* here() counted columns up to this byte */
	unsigned col;            /* ... and found this column there */
	size_t table_depth;      /* of the current [table]; the root is 1 */
	struct post *p;
	struct parse_error *err;
};

static enum quire_err fail_at(struct toml *t, enum quire_err rc,
			      struct toml_pos pos, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static enum quire_err fail_at(struct toml *t, enum quire_err rc,
			      struct toml_pos pos, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rc = frontmatter_value_vfail(t->err, rc, pos.line, pos.column, fmt, ap);
	va_end(ap);
	return rc;
}

/*
 * Where t->s is. Columns are counted from the last place asked on the
 * same line, so a long line of many values costs linear time, not
 * quadratic.
 */
static struct toml_pos here(struct toml *t)
{
	struct toml_pos pos;

	if (t->col_at < t->line_start || t->col_at > t->s) {
		t->col_at = t->line_start;
		t->col = 1;
	}
	for (; t->col_at < t->s; t->col_at++)
		if (((unsigned char)*t->col_at & 0xc0) != 0x80)
			t->col++;
	pos.line = t->line;
	pos.column = t->col;
	return pos;
}

/* The byte i places ahead, or '\0' past the end (never in the text). */
static int peek(const struct toml *t, size_t i)
{
	if ((size_t)(t->end - t->s) <= i)
		return '\0';
	return (unsigned char)t->s[i];
}

static int at_newline(const struct toml *t)
{
	return peek(t, 0) == '\n' || peek(t, 0) == '\r';
}

/* Consumes the line break at t->s; check_text() made "\r" mean "\r\n". */
static void newline(struct toml *t)
{
	if (*t->s == '\r')
		t->s++;
	t->s++;
	t->line++;
	t->line_start = t->s;
}

static void skip_space(struct toml *t)
{
	while (t->s < t->end && (*t->s == ' ' || *t->s == '\t'))
		t->s++;
}

/* Skips a comment, if one starts here, up to its line break. */
static void skip_comment(struct toml *t)
{
	if (peek(t, 0) != '#')
		return;
	while (t->s < t->end && *t->s != '\n' && *t->s != '\r')
		t->s++;
}

/* Skips blanks, comments and line breaks: the gaps inside arrays and
 * inline tables. */
static void skip_gap(struct toml *t)
{
	for (;;) {
		skip_space(t);
		skip_comment(t);
		if (!at_newline(t))
			return;
		newline(t);
	}
}

/* The rest of a line after a value or a header: blanks, maybe a
 * comment, then a line break or the end of the text. */
static enum quire_err end_line(struct toml *t, const char *after)
{
	skip_space(t);
	skip_comment(t);
	if (t->s == t->end)
		return QUIRE_OK;
	if (at_newline(t)) {
		newline(t);
		return QUIRE_OK;
	}
	return fail_at(t, QUIRE_EPARSE, here(t),
		       "expected the end of the line after %s", after);
}

/* Tables, arrays and inline tables all count as nesting. */
static enum quire_err too_deep(struct toml *t, struct toml_pos pos)
{
	return fail_at(t, QUIRE_ETOOBIG, pos,
		       "frontmatter nested deeper than %d levels",
		       QUIRE_MAX_YAML_DEPTH);
}

/*
 * TOML text is UTF-8 and allows no control character but tab outside
 * line breaks (TOML 1.0, "Spec"); checking once here keeps NUL bytes out
 * of the C strings made later and a lone "\r" out of the line count.
 */
static enum quire_err check_text(struct toml *t)
{
	const unsigned char *s = (const unsigned char *)t->s;
	const unsigned char *end = (const unsigned char *)t->end;
	struct toml_pos pos = { t->line, 1 };
	size_t n;

	while (s < end) {
		if (*s == '\n' || (*s == '\r' && s + 1 < end && s[1] == '\n')) {
			s += *s == '\r' ? 2 : 1;
			pos.line++;
			pos.column = 1;
			continue;
		}
		if ((*s < 0x20 && *s != '\t') || *s == 0x7f)
			return fail_at(t, QUIRE_EPARSE, pos,
				       "control character 0x%02x in frontmatter",
				       *s);
		n = quire_utf8_len(s, end);
		if (!n)
			return fail_at(t, QUIRE_EPARSE, pos, "%s",
				       "invalid UTF-8 in frontmatter");
		s += n;
		pos.column++;
	}
	return QUIRE_OK;
}

/* Appends code point cp as UTF-8; QUIRE_EPARSE unless it is a Unicode
 * scalar value (TOML 1.0, "String"). */
static enum quire_err put_utf8(struct buf *b, unsigned long cp)
{
	char u[4];
	size_t n;

	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return QUIRE_EPARSE;
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	buf_append(b, u, n);
	return QUIRE_OK;
}

/* Reads the escape sequence at t->s (its backslash) into b. */
static enum quire_err read_escape(struct toml *t, struct buf *b)
{
	struct toml_pos pos = here(t);
	unsigned long cp = 0;
	int c = peek(t, 1), h;
	size_t n = 0, i;

	switch (c) {
	case 'b': buf_putc(b, '\b'); break;
	case 't': buf_putc(b, '\t'); break;
	case 'n': buf_putc(b, '\n'); break;
	case 'f': buf_putc(b, '\f'); break;
	case 'r': buf_putc(b, '\r'); break;
	case '"': buf_putc(b, '"'); break;
	case '\\': buf_putc(b, '\\'); break;
	case 'u': n = 4; break;
	case 'U': n = 8; break;
	default:
		return fail_at(t, QUIRE_EPARSE, pos, "%s",
			       "unknown escape sequence in a string (\\b \\t "
			       "\\n \\f \\r \\\" \\\\ \\uXXXX \\UXXXXXXXX are "
			       "allowed)");
	}
	for (i = 0; i < n; i++) {
		h = quire_hex_digit(peek(t, 2 + i));
		if (h < 0)
			return fail_at(t, QUIRE_EPARSE, pos,
				       "expected %zu hex digits after \\%c", n,
				       c);
		cp = cp * 16 + (unsigned long)h;
	}
	/* a C string ends at NUL: the value would be cut silently */
	if (n && cp == 0)
		return fail_at(t, QUIRE_EPARSE, pos, "%s",
			       "\\u0000 is not allowed in frontmatter");
	if (n && put_utf8(b, cp) != QUIRE_OK)
		return fail_at(t, QUIRE_EPARSE, pos,
			       "\\%c%.*s is not a Unicode character", c, (int)n,
			       t->s + 2);
	t->s += 2 + n;
	return QUIRE_OK;
}

/* A "basic string" on one line, opening at pos (t->s), into b. */
static enum quire_err read_basic(struct toml *t, struct buf *b,
				 struct toml_pos pos)
{
	enum quire_err rc;

	t->s++;
	for (;;) {
		if (t->s == t->end || at_newline(t))
			return fail_at(t, QUIRE_EPARSE, pos, "%s",
				       "unterminated string (no closing '\"' "
				       "on its line)");
		if (*t->s == '"') {
			t->s++;
			return QUIRE_OK;
		}
		if (*t->s == '\\') {
			rc = read_escape(t, b);
			if (rc != QUIRE_OK)
				return rc;
			continue;
		}
		buf_putc(b, *t->s++);
	}
}

/* A 'literal string' on one line, opening at pos (t->s), into b. */
static enum quire_err read_literal(struct toml *t, struct buf *b,
				   struct toml_pos pos)
{
	const char *start = ++t->s;

	while (t->s < t->end && *t->s != '\'' && !at_newline(t))
		t->s++;
	if (t->s == t->end || at_newline(t))
		return fail_at(t, QUIRE_EPARSE, pos, "%s",
			       "unterminated string (no closing \"'\" on its "
			       "line)");
	buf_append(b, start, (size_t)(t->s - start));
	t->s++;
	return QUIRE_OK;
}

/* True when a backslash at t->s ends its line (blanks may follow): in a
 * """string""" it joins the lines, dropping the blanks between. */
static int line_ending_backslash(const struct toml *t)
{
	size_t i = 1;

	while (peek(t, i) == ' ' || peek(t, i) == '\t')
		i++;
	return peek(t, i) == '\n' || peek(t, i) == '\r';
}

/* A multi-line """basic""" or '''literal''' string, opening at pos
 * (t->s), into b. Line breaks are kept as "\n". */
static enum quire_err read_multiline(struct toml *t, struct buf *b, int quote,
				     struct toml_pos pos)
{
	size_t n;
	enum quire_err rc;

	t->s += 3;
	/* a line break right after the opening is not part of the string */
	if (at_newline(t))
		newline(t);
	for (;;) {
		if (t->s == t->end)
			return fail_at(t, QUIRE_EPARSE, pos,
				       "unterminated multi-line string (no "
				       "closing %c%c%c)", quote, quote, quote);
		if (*t->s == quote) {
			for (n = 1; peek(t, n) == quote; n++)
				;
			/* up to two quotes may come just before the closing three */
			if (n > 5)
				return fail_at(t, QUIRE_EPARSE, here(t),
					       "too many %c in a row in a "
					       "multi-line string", quote);
			buf_append(b, t->s, n >= 3 ? n - 3 : n);
			t->s += n;
			if (n >= 3)
				return QUIRE_OK;
		} else if (at_newline(t)) {
			buf_putc(b, '\n');
			newline(t);
		} else if (quote == '"' && *t->s == '\\' &&
			   line_ending_backslash(t)) {
			t->s++;
			while (t->s < t->end && (*t->s == ' ' || *t->s == '\t' ||
						 at_newline(t))) {
				if (at_newline(t))
					newline(t);
				else
					t->s++;
			}
		} else if (quote == '"' && *t->s == '\\') {
			rc = read_escape(t, b);
			if (rc != QUIRE_OK)
				return rc;
		} else {
			buf_putc(b, *t->s++);
		}
	}
}

static int is_bare_key(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* Appends one part of a key, bare or quoted, to name. */
static enum quire_err read_key_part(struct toml *t, struct buf *name)
{
	struct toml_pos pos = here(t);
	const char *start = t->s;

	if (peek(t, 0) == '"')
		return read_basic(t, name, pos);
	if (peek(t, 0) == '\'')
		return read_literal(t, name, pos);
	while (t->s < t->end && is_bare_key(*t->s))
		t->s++;
	if (t->s == start)
		return fail_at(t, QUIRE_EPARSE, pos, "%s",
			       "expected a key (letters, digits, '_' and '-', "
			       "or a quoted key)");
	buf_append(name, start, (size_t)(t->s - start));
	return QUIRE_OK;
}

/* Applies the table name as a map: kept as "" when unknown, refused when
 * a field of that name wants a value. */
static enum quire_err define_table(struct toml *t, const char *name,
				   struct toml_pos pos)
{
	struct frontmatter_value v;
	enum quire_err rc;

	memset(&v, 0, sizeof(v));
	v.kind = FRONTMATTER_VALUE_MAP;
	v.line = pos.line;
	v.column = pos.column;
	rc = frontmatter_value_apply(t->p, name, &v, t->err);
	frontmatter_value_release(&v);
	return rc;
}

/*
 * Appends a key, maybe dotted ("a.b"), to name (which may already hold a
 * table's prefix) with '.' between its parts, and skips the blanks after
 * it. With define, each part but the last names a table, defined as it
 * is read. *depth is the depth of the table the key is in, and becomes
 * that of the table holding its last part: each dot is one level deeper,
 * which also keeps the defined prefixes (each a copy of the name) from
 * growing with the square of a long dotted key.
 */
static enum quire_err read_key(struct toml *t, struct buf *name, int define,
			       size_t *depth)
{
	struct toml_pos pos;
	enum quire_err rc;

	/* an empty quoted key ("") appends nothing: name->data must still
	 * be a string */
	if (buf_grow(name, 0) != QUIRE_OK)
		return QUIRE_ENOMEM;
	for (;;) {
		pos = here(t);
		rc = read_key_part(t, name);
		if (rc != QUIRE_OK)
			return rc;
		if (buf_failed(name))
			return QUIRE_ENOMEM;
		skip_space(t);
		if (peek(t, 0) != '.')
			return QUIRE_OK;
		if (++*depth > QUIRE_MAX_YAML_DEPTH)
			return too_deep(t, pos);
		t->s++;
		skip_space(t);
		if (define) {
			rc = define_table(t, name->data, pos);
			if (rc != QUIRE_OK)
				return rc;
		}
		buf_putc(name, '.');
	}
}

/* HH:MM[:SS[.fraction]] at *s; advances *s. */
static int is_time(const char **s)
{
	int h, m, sec = 0;

	if (!frontmatter_date_digits(s, 2, &h) || **s != ':')
		return 0;
	(*s)++;
	if (!frontmatter_date_digits(s, 2, &m))
		return 0;
	if (**s == ':') {
		(*s)++;
		if (!frontmatter_date_digits(s, 2, &sec))
			return 0;
		if (**s == '.') {
			(*s)++;
			if (!isdigit((unsigned char)**s))
				return 0;
			while (isdigit((unsigned char)**s))
				(*s)++;
		}
	}
	return h <= 23 && m <= 59 && sec <= 60;
}

/* TOML's four date and time forms (RFC 3339, with ' ' allowed for 'T'):
 * offset and local date-times, local dates, local times. */
static int is_datetime(const char *s)
{
	const char *p = s;
	int y, mo, d, zh, zm;

	if (!frontmatter_date_digits(&p, 4, &y) || *p != '-') {
		p = s;
		return is_time(&p) && !*p;
	}
	p++;
	if (!frontmatter_date_digits(&p, 2, &mo) || *p != '-')
		return 0;
	p++;
	if (!frontmatter_date_digits(&p, 2, &d) || mo < 1 || mo > 12 || d < 1 ||
	    d > 31)
		return 0;
	if (!*p)
		return 1;
	if (*p != 'T' && *p != 't' && *p != ' ')
		return 0;
	p++;
	if (!is_time(&p))
		return 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		p++;
		if (!frontmatter_date_digits(&p, 2, &zh) || *p != ':')
			return 0;
		p++;
		if (!frontmatter_date_digits(&p, 2, &zm) || zh > 23 || zm > 59)
			return 0;
	}
	return !*p;
}

static int is_digit_of(int c, int base)
{
	switch (base) {
	case 16:
		return quire_hex_digit(c) >= 0;
	case 8:
		return c >= '0' && c <= '7';
	case 2:
		return c == '0' || c == '1';
	default:
		return c >= '0' && c <= '9';
	}
}

/* Digits of base with single '_' between them ("1_000"); advances *s. */
static int read_digits(const char **s, int base)
{
	const char *p = *s;

	if (!is_digit_of(*p, base))
		return 0;
	for (;;) {
		p++;
		if (*p == '_' && is_digit_of(p[1], base))
			p++;
		else if (!is_digit_of(*p, base))
			break;
	}
	*s = p;
	return 1;
}

/* TOML's integers (decimal without leading zeros, 0x, 0o, 0b) and
 * floats (fraction and/or exponent, inf, nan). */
static int is_number(const char *s)
{
	static const struct {
		const char *prefix;
		int base;
	} radix[] = { { "0x", 16 }, { "0o", 8 }, { "0b", 2 } };
	const char *p = s;
	size_t i;

	for (i = 0; i < sizeof(radix) / sizeof(radix[0]); i++) {
		if (strncmp(p, radix[i].prefix, 2) == 0) {
			p += 2;
			return read_digits(&p, radix[i].base) && !*p;
		}
	}
	if (*p == '+' || *p == '-')
		p++;
	if (strcmp(p, "inf") == 0 || strcmp(p, "nan") == 0)
		return 1;
	if (*p == '0')
		p++;
	else if (!read_digits(&p, 10))
		return 0;
	if (*p == '.') {
		p++;
		if (!read_digits(&p, 10))
			return 0;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!read_digits(&p, 10))
			return 0;
	}
	return !*p;
}

static int is_bare_value(int c)
{
	return is_bare_key(c) || c == '+' || c == '.' || c == ':';
}

/* A value that is not a string, an array or an inline table: a number,
 * a boolean or a date, kept as written. */
static enum quire_err read_bare(struct toml *t, struct frontmatter_value *v,
				struct toml_pos pos)
{
	const char *start = t->s;
	char *text;
	size_t n;
	enum quire_err rc;

	while (t->s < t->end && is_bare_value(*t->s))
		t->s++;
	/* "2020-01-02 10:00:00": RFC 3339 lets one space stand for 'T' */
	if (t->s - start == 10 && start[4] == '-' && peek(t, 0) == ' ' &&
	    isdigit(peek(t, 1)) && isdigit(peek(t, 2)) && peek(t, 3) == ':') {
		t->s++;
		while (t->s < t->end && is_bare_value(*t->s))
			t->s++;
	}
	n = (size_t)(t->s - start);
	if (n == 0)
		return fail_at(t, QUIRE_EPARSE, pos, "%s",
			       "expected a value after \"=\"");
	text = strndup(start, n);
	if (!text)
		return QUIRE_ENOMEM;
	if (strcmp(text, "true") != 0 && strcmp(text, "false") != 0 &&
	    !is_datetime(text) && !is_number(text)) {
		rc = fail_at(t, QUIRE_EPARSE, pos,
			     "bad value \"%.40s\" (expected a \"string\", a "
			     "number, true, false, a date, an [array] or an "
			     "{ inline table })", text);
		free(text);
		return rc;
	}
	v->kind = FRONTMATTER_VALUE_SCALAR;
	v->scalar = text;
	return QUIRE_OK;
}

static enum quire_err read_value(struct toml *t, struct frontmatter_value *v,
				 const char *name, size_t depth);

/* An [array], opening at pos (t->s), at depth. Its scalar items go to v;
 * a nested array or table is checked and marks v nested. */
static enum quire_err read_array(struct toml *t, struct frontmatter_value *v,
				 size_t depth, struct toml_pos pos)
{
	struct frontmatter_value item;
	enum quire_err rc;

	t->s++;
	for (;;) {
		skip_gap(t);
		if (peek(t, 0) == ']') /* empty, or after a trailing comma */
			break;
		if (t->s == t->end)
			goto unterminated;
		memset(&item, 0, sizeof(item));
		rc = read_value(t, &item, NULL, depth + 1);
		if (rc == QUIRE_OK && item.kind == FRONTMATTER_VALUE_SCALAR) {
			rc = frontmatter_value_add(v, item.scalar);
		} else if (rc == QUIRE_OK && !v->nested) {
			v->nested = 1;
			v->nested_line = item.line;
			v->nested_column = item.column;
		}
		frontmatter_value_release(&item);
		if (rc != QUIRE_OK)
			return rc;
		skip_gap(t);
		if (peek(t, 0) == ',') {
			t->s++;
			continue;
		}
		if (peek(t, 0) == ']')
			break;
		if (t->s == t->end)
			goto unterminated;
		return fail_at(t, QUIRE_EPARSE, here(t), "%s",
			       "expected ',' or ']' after an item of the array");
	}
	t->s++;
	return QUIRE_OK;
unterminated:
	return fail_at(t, QUIRE_EPARSE, pos, "%s",
		       "unterminated array (no closing ']')");
}

/*
 * An { inline table }, opening at pos (t->s), at depth. With a name, its
 * keys are applied as "name.key"; without one (inside an array) they are
 * only checked.
 */
static enum quire_err read_table(struct toml *t, const char *name, size_t depth,
				 struct toml_pos pos)
{
	struct buf key = BUF_INIT;
	struct frontmatter_value v;
	size_t base, key_depth;
	enum quire_err rc;

	memset(&v, 0, sizeof(v));
	if (name) {
		buf_puts(&key, name);
		buf_putc(&key, '.');
	}
	base = key.len;
	t->s++;
	for (;;) {
		skip_gap(t);
		if (peek(t, 0) == '}') /* empty, or after a trailing comma */
			break;
		if (t->s == t->end)
			goto unterminated;
		buf_truncate(&key, base);
		key_depth = depth;
		rc = read_key(t, &key, name != NULL, &key_depth);
		if (rc != QUIRE_OK)
			goto out;
		if (peek(t, 0) != '=') {
			rc = fail_at(t, QUIRE_EPARSE, here(t),
				     "expected '=' after the key \"%s\"",
				     key.data + base);
			goto out;
		}
		t->s++;
		skip_space(t);
		rc = read_value(t, &v, name ? key.data : NULL, key_depth + 1);
		if (rc == QUIRE_OK && name)
			rc = frontmatter_value_apply(t->p, key.data, &v,
						     t->err);
		frontmatter_value_release(&v);
		if (rc != QUIRE_OK)
			goto out;
		skip_gap(t);
		if (peek(t, 0) == ',') {
			t->s++;
			continue;
		}
		if (peek(t, 0) == '}')
			break;
		if (t->s == t->end)
			goto unterminated;
		rc = fail_at(t, QUIRE_EPARSE, here(t), "%s",
			     "expected ',' or '}' after a value of the inline "
			     "table");
		goto out;
	}
	t->s++;
	rc = QUIRE_OK;
	goto out;
unterminated:
	rc = fail_at(t, QUIRE_EPARSE, pos, "%s",
		     "unterminated inline table (no closing '}')");
out:
	buf_release(&key);
	return rc;
}

/*
 * Reads the value at t->s into v (zeroed by the caller), at depth (the
 * top-level table is 1). name is its full dotted key, for the keys of an
 * inline table; NULL inside an array.
 */
static enum quire_err read_value(struct toml *t, struct frontmatter_value *v,
				 const char *name, size_t depth)
{
	struct toml_pos pos = here(t);
	struct buf b = BUF_INIT;
	int c = peek(t, 0);
	enum quire_err rc;

	v->line = pos.line;
	v->column = pos.column;
	if (c == '[' || c == '{') {
		if (depth > QUIRE_MAX_YAML_DEPTH)
			return too_deep(t, pos);
		if (c == '[') {
			v->kind = FRONTMATTER_VALUE_SEQ;
			return read_array(t, v, depth, pos);
		}
		v->kind = FRONTMATTER_VALUE_MAP;
		return read_table(t, name, depth, pos);
	}
	if (c != '"' && c != '\'')
		return read_bare(t, v, pos);
	if (peek(t, 1) == c && peek(t, 2) == c)
		rc = read_multiline(t, &b, c, pos);
	else if (c == '"')
		rc = read_basic(t, &b, pos);
	else
		rc = read_literal(t, &b, pos);
	if (rc == QUIRE_OK) {
		v->kind = FRONTMATTER_VALUE_SCALAR;
		v->scalar = buf_detach(&b, NULL);
		if (!v->scalar)
			rc = QUIRE_ENOMEM;
	}
	buf_release(&b);
	return rc;
}

/* A [table] or [[array of tables]] header at t->s. table is set to the
 * prefix of the keys that follow: "name.". */
static enum quire_err read_header(struct toml *t, struct buf *table)
{
	struct toml_pos pos = here(t);
	int array = peek(t, 1) == '[';
	size_t depth = 1;
	enum quire_err rc;

	t->s += array ? 2 : 1;
	skip_space(t);
	buf_reset(table);
	t->table_depth = 1;
	rc = read_key(t, table, 1, &depth);
	if (rc != QUIRE_OK)
		return rc;
	if (++depth > QUIRE_MAX_YAML_DEPTH)
		return too_deep(t, pos);
	if (peek(t, 0) != ']' || (array && peek(t, 1) != ']'))
		return fail_at(t, QUIRE_EPARSE, here(t),
			       "expected '%s' after the table name",
			       array ? "]]" : "]");
	t->s += array ? 2 : 1;
	rc = define_table(t, table->data, pos);
	if (rc != QUIRE_OK)
		return rc;
	t->table_depth = depth;
	buf_putc(table, '.');
	if (buf_failed(table))
		return QUIRE_ENOMEM;
	return end_line(t, "the table header");
}

/* A key = value line at t->s, under the table prefix. */
static enum quire_err read_keyval(struct toml *t, const struct buf *table,
				  struct buf *key)
{
	struct frontmatter_value v;
	size_t base = table->len, depth = t->table_depth;
	enum quire_err rc;

	memset(&v, 0, sizeof(v));
	buf_reset(key);
	buf_append(key, table->data, table->len);
	rc = read_key(t, key, 1, &depth);
	if (rc != QUIRE_OK)
		return rc;
	if (peek(t, 0) != '=')
		return fail_at(t, QUIRE_EPARSE, here(t),
			       "expected '=' after the key \"%s\"",
			       key->data + base);
	t->s++;
	skip_space(t);
	rc = read_value(t, &v, key->data, depth + 1);
	if (rc == QUIRE_OK)
		rc = frontmatter_value_apply(t->p, key->data, &v, t->err);
	frontmatter_value_release(&v);
	if (rc != QUIRE_OK)
		return rc;
	return end_line(t, "the value");
}

enum quire_err frontmatter_toml_read(struct post *p, const char *text,
				     size_t len, unsigned first_line,
				     struct parse_error *err)
{
	struct buf table = BUF_INIT, key = BUF_INIT;
	struct toml t;
	enum quire_err rc;

	memset(&t, 0, sizeof(t));
	t.s = text;
	t.end = text + len;
	t.line_start = text;
	t.line = first_line;
	t.col_at = text;
	t.col = 1;
	t.table_depth = 1;
	t.p = p;
	t.err = err;
	rc = check_text(&t);
	while (rc == QUIRE_OK) {
		skip_space(&t);
		skip_comment(&t);
		if (t.s == t.end)
			break;
		if (at_newline(&t))
			newline(&t);
		else if (*t.s == '[')
			rc = read_header(&t, &table);
		else
			rc = read_keyval(&t, &table, &key);
	}
	buf_release(&table);
	buf_release(&key);
	return rc;
}
