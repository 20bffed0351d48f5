/*
 * frontmatter_yaml.c - YAML frontmatter (the "---" blocks), read with
 * libyaml
 *
 * With siteconf.c (site.yaml), the only file that includes yaml.h. The
 * YAML is fed to libyaml's event parser, and the events are read by a
 * small descent that knows only
 * what frontmatter needs: a mapping of keys to scalars or lists of
 * scalars, each pair handed to frontmatter_value_apply(), the rules the
 * TOML reader uses too (frontmatter_value.h). Anything nested deeper is
 * skipped (it can only be an unknown key) but still counted against
 * QUIRE_MAX_YAML_DEPTH, as events arrive, so a hostile file is refused
 * before it costs much. Aliases are refused: frontmatter has no use for
 * them, and expanding them is how "billion laughs" documents blow up.
 *
 * libyaml's marks are 0-based and count from the start of the YAML text,
 * which is the caller's first_line of the file; they are turned into
 * 1-based positions in the whole file as soon as they are read.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "content/frontmatter_value.h"
#include "content/frontmatter_yaml.h"
#include "content/post.h"
#include "lib/limits.h"
#include "lib/quire.h"

struct fm {
	yaml_parser_t parser;
	struct post *p;
	struct parse_error *err;
	const char *yaml;   /* the YAML text, for positions of reader errors */
	size_t yaml_len;
	unsigned first_line; /* the line of the file the YAML starts on */
};

static enum quire_err fail_at(struct parse_error *err, enum quire_err rc,
			      unsigned line, unsigned column, const char *fmt,
			      ...)
	__attribute__((format(printf, 5, 6)));

static enum quire_err fail_at(struct parse_error *err, enum quire_err rc,
			      unsigned line, unsigned column, const char *fmt,
			      ...)
{
	va_list ap;

	va_start(ap, fmt);
	rc = frontmatter_value_vfail(err, rc, line, column, fmt, ap);
	va_end(ap);
	return rc;
}

/* A libyaml mark as a line and column of the whole file. */
static unsigned mark_line(const struct fm *f, yaml_mark_t mark)
{
	return (unsigned)mark.line + f->first_line;
}

static unsigned mark_column(yaml_mark_t mark)
{
	return (unsigned)mark.column + 1;
}

static enum quire_err fail_mark(struct fm *f, enum quire_err rc,
				yaml_mark_t mark, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Fills err at a libyaml mark and returns rc. */
static enum quire_err fail_mark(struct fm *f, enum quire_err rc,
				yaml_mark_t mark, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rc = frontmatter_value_vfail(f->err, rc, mark_line(f, mark),
				     mark_column(mark), fmt, ap);
	va_end(ap);
	return rc;
}

/* libyaml's own errors: the reader reports a byte offset, the scanner
 * and parser a mark. */
static enum quire_err fail_parser(struct fm *f)
{
	yaml_parser_t *y = &f->parser;
	yaml_mark_t mark = y->problem_mark;
	const char *problem = y->problem ? y->problem : "bad yaml";
	size_t i;

	if (y->error == YAML_MEMORY_ERROR)
		return fail_mark(f, QUIRE_ENOMEM, mark, "%s", "out of memory");
	if (y->error == YAML_READER_ERROR) {
		memset(&mark, 0, sizeof(mark));
		for (i = 0; i < y->problem_offset && i < f->yaml_len; i++) {
			if (f->yaml[i] == '\n') {
				mark.line++;
				mark.column = 0;
			} else if (((unsigned char)f->yaml[i] & 0xc0) != 0x80) {
				mark.column++;
			}
		}
	}
	if (y->context)
		return fail_mark(f, QUIRE_EPARSE, mark, "%s %s", problem,
				 y->context);
	return fail_mark(f, QUIRE_EPARSE, mark, "%s", problem);
}

static enum quire_err next_event(struct fm *f, yaml_event_t *ev)
{
	yaml_mark_t mark;

	if (!yaml_parser_parse(&f->parser, ev))
		return fail_parser(f);
	if (ev->type == YAML_ALIAS_EVENT) {
		mark = ev->start_mark;
		yaml_event_delete(ev);
		return fail_mark(f, QUIRE_EPARSE, mark, "%s",
				 "aliases are not supported in frontmatter");
	}
	return QUIRE_OK;
}

static enum quire_err check_depth(struct fm *f, size_t depth, yaml_mark_t mark)
{
	if (depth <= QUIRE_MAX_YAML_DEPTH)
		return QUIRE_OK;
	return fail_mark(f, QUIRE_ETOOBIG, mark,
			 "frontmatter nested deeper than %d levels",
			 QUIRE_MAX_YAML_DEPTH);
}

/* Consumes the rest of a list or map whose start event was just read at
 * depth; only the nesting is checked. */
static enum quire_err skip_node(struct fm *f, size_t depth)
{
	yaml_event_t ev;
	size_t open = 1;
	enum quire_err rc;

	while (open) {
		rc = next_event(f, &ev);
		if (rc != QUIRE_OK)
			return rc;
		switch (ev.type) {
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			open++;
			rc = check_depth(f, depth + open - 1, ev.start_mark);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			open--;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
		if (rc != QUIRE_OK)
			return rc;
	}
	return QUIRE_OK;
}

/* The text of a scalar event. */
static const char *scalar_text(const yaml_event_t *ev)
{
	return (const char *)ev->data.scalar.value;
}

/* YAML 1.1's null: an empty plain scalar, ~ or null. */
static int is_null(const yaml_event_t *ev)
{
	const char *s = scalar_text(ev);

	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	return !*s || strcmp(s, "~") == 0 || strcasecmp(s, "null") == 0;
}

/* Reads a sequence whose start event was just read at depth. */
static enum quire_err read_seq(struct fm *f, size_t depth,
			       struct frontmatter_value *v)
{
	yaml_event_t ev;
	enum quire_err rc = QUIRE_OK;

	for (;;) {
		rc = next_event(f, &ev);
		if (rc != QUIRE_OK)
			return rc;
		switch (ev.type) {
		case YAML_SEQUENCE_END_EVENT:
			yaml_event_delete(&ev);
			return QUIRE_OK;
		case YAML_SCALAR_EVENT:
			if (!is_null(&ev))
				rc = frontmatter_value_add(v, scalar_text(&ev));
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (!v->nested) {
				v->nested = 1;
				v->nested_line = mark_line(f, ev.start_mark);
				v->nested_column = mark_column(ev.start_mark);
			}
			rc = check_depth(f, depth + 1, ev.start_mark);
			if (rc == QUIRE_OK)
				rc = skip_node(f, depth + 1);
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
		if (rc != QUIRE_OK)
			return rc;
	}
}

/* Reads the value that starts with ev (not consumed here) at depth. */
static enum quire_err read_value(struct fm *f, const yaml_event_t *ev,
				 size_t depth, struct frontmatter_value *v)
{
	enum quire_err rc;

	v->line = mark_line(f, ev->start_mark);
	v->column = mark_column(ev->start_mark);
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		if (is_null(ev))
			return QUIRE_OK;
		v->kind = FRONTMATTER_VALUE_SCALAR;
		v->scalar = strdup(scalar_text(ev));
		return v->scalar ? QUIRE_OK : QUIRE_ENOMEM;
	case YAML_SEQUENCE_START_EVENT:
		v->kind = FRONTMATTER_VALUE_SEQ;
		rc = check_depth(f, depth, ev->start_mark);
		return rc != QUIRE_OK ? rc : read_seq(f, depth, v);
	case YAML_MAPPING_START_EVENT:
		v->kind = FRONTMATTER_VALUE_MAP;
		rc = check_depth(f, depth, ev->start_mark);
		return rc != QUIRE_OK ? rc : skip_node(f, depth);
	default:
		return fail_mark(f, QUIRE_EPARSE, ev->start_mark, "%s",
				 "unexpected yaml event");
	}
}

/* Reads the top-level mapping, whose start event was just read. */
static enum quire_err read_mapping(struct fm *f)
{
	yaml_event_t key_ev, val_ev;
	struct frontmatter_value v;
	enum quire_err rc;

	for (;;) {
		rc = next_event(f, &key_ev);
		if (rc != QUIRE_OK)
			return rc;
		if (key_ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&key_ev);
			return QUIRE_OK;
		}
		if (key_ev.type != YAML_SCALAR_EVENT) {
			rc = fail_mark(f, QUIRE_EPARSE, key_ev.start_mark, "%s",
				       "frontmatter keys must be plain names");
			yaml_event_delete(&key_ev);
			return rc;
		}
		memset(&v, 0, sizeof(v));
		rc = next_event(f, &val_ev);
		if (rc == QUIRE_OK) {
			rc = read_value(f, &val_ev, 2, &v);
			yaml_event_delete(&val_ev);
		}
		if (rc == QUIRE_OK)
			rc = frontmatter_value_apply(f->p, scalar_text(&key_ev),
						     &v, f->err);
		frontmatter_value_release(&v);
		yaml_event_delete(&key_ev);
		if (rc != QUIRE_OK)
			return rc;
	}
}

/* The whole stream: nothing, or one document holding one mapping. */
static enum quire_err read_stream(struct fm *f)
{
	yaml_event_t ev;
	int docs = 0;
	enum quire_err rc;

	for (;;) {
		rc = next_event(f, &ev);
		if (rc != QUIRE_OK)
			return rc;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			yaml_event_delete(&ev);
			return QUIRE_OK;
		case YAML_DOCUMENT_START_EVENT:
			if (docs++)
				rc = fail_mark(f, QUIRE_EPARSE, ev.start_mark, "%s",
					       "more than one yaml document in frontmatter");
			break;
		case YAML_MAPPING_START_EVENT:
			rc = read_mapping(f);
			break;
		case YAML_SCALAR_EVENT:
			/* a document holding only comments is an empty scalar */
			if (!is_null(&ev))
				rc = fail_mark(f, QUIRE_EPARSE, ev.start_mark, "%s",
					       "frontmatter must be a mapping of keys to values");
			break;
		case YAML_SEQUENCE_START_EVENT:
			rc = fail_mark(f, QUIRE_EPARSE, ev.start_mark, "%s",
				       "frontmatter must be a mapping of keys to values");
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
		if (rc != QUIRE_OK)
			return rc;
	}
}

enum quire_err frontmatter_yaml_read(struct post *p, const char *text,
				     size_t len, unsigned first_line,
				     struct parse_error *err)
{
	struct fm f;
	enum quire_err rc;

	memset(&f, 0, sizeof(f));
	f.p = p;
	f.err = err;
	f.yaml = text;
	f.yaml_len = len;
	f.first_line = first_line;
	if (!yaml_parser_initialize(&f.parser))
		return fail_at(err, QUIRE_ENOMEM, 0, 0, "out of memory");
	yaml_parser_set_input_string(&f.parser, (const unsigned char *)f.yaml,
				     len);
	rc = read_stream(&f);
	yaml_parser_delete(&f.parser);
	return rc;
}

