/*
 * frontmatter.c - frontmatter of a content file: the block, the field
 * rules, and the YAML reader (libyaml)
 *
 * The block is YAML between "---" lines (Jekyll, Hugo, most tools) or
 * TOML between "+++" lines (Hugo's default); the TOML reader lives in
 * frontmatter_toml.c. Both readers produce struct value and hand it to
 * frontmatter_apply(), here, so the fields and their rules are written
 * once (frontmatter_value.h).
 *
 * The only file that includes yaml.h. The YAML is fed to libyaml's event
 * parser, and the events are read by a small descent that knows only
 * what frontmatter needs: a mapping of keys to scalars or lists of
 * scalars. Anything nested deeper is skipped (it can only be an unknown
 * key) but still counted against QUIRE_MAX_YAML_DEPTH, as events arrive,
 * so a hostile file is refused before it costs much. Aliases are
 * refused: frontmatter has no use for them, and expanding them is how
 * "billion laughs" documents blow up.
 *
 * libyaml's marks are 0-based and count from the start of the YAML text,
 * which is the second line of the file; they are turned into 1-based
 * positions in the whole file as soon as they are read.
 */
#define _DEFAULT_SOURCE /* timegm */
#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <yaml.h>

#include "content/frontmatter.h"
#include "content/frontmatter_toml.h"
#include "content/frontmatter_value.h"
#include "content/post.h"
#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/quire.h"

/* The block starts on this line of the file (after "---" or "+++"). */
#define BLOCK_FIRST_LINE 2

/* What a known key fills in, and how. */
enum field_type {
	FIELD_STRING,      /* one scalar */
	FIELD_SLUG,        /* one scalar, a valid slug */
	FIELD_DATE,        /* one date; flag_off is its has_ flag */
	FIELD_LIST,        /* a list, or one scalar as one item */
	FIELD_SPLIT_LIST,  /* a list, or one scalar split on ',' */
	FIELD_BOOL,
	FIELD_BOOL_NOT,    /* a boolean stored inverted (published -> draft) */
	FIELD_PIN,         /* a boolean or a positive number */
};

struct field {
	const char *key;
	enum field_type type;
	size_t off;        /* offsetof the target in struct post */
	size_t flag_off;   /* FIELD_DATE: offsetof its has_ flag */
};

#define F(key, type, member) { key, type, offsetof(struct post, member), 0 }
#define D(key, member, flag) \
	{ key, FIELD_DATE, offsetof(struct post, member), \
	  offsetof(struct post, flag) }

/* DESIGN §3; keys are matched ignoring case, as Hugo does. */
static const struct field fields[] = {
	F("title", FIELD_STRING, title),
	F("slug", FIELD_SLUG, slug),
	D("date", date, has_date),
	D("updated", updated, has_updated),
	D("lastmod", updated, has_updated),           /* Hugo */
	D("last_modified_at", updated, has_updated),  /* Jekyll */
	F("author", FIELD_LIST, authors),
	F("authors", FIELD_LIST, authors),
	F("description", FIELD_STRING, description),
	F("summary", FIELD_STRING, description),
	F("excerpt", FIELD_STRING, description),      /* Jekyll */
	F("tags", FIELD_SPLIT_LIST, tags),
	F("category", FIELD_SPLIT_LIST, categories),
	F("categories", FIELD_SPLIT_LIST, categories),
	F("draft", FIELD_BOOL, draft),
	F("published", FIELD_BOOL_NOT, draft),        /* Jekyll */
	F("toc", FIELD_BOOL, toc),
	F("template", FIELD_STRING, template_name),
	F("featured_image", FIELD_STRING, featured_image),
	F("image", FIELD_STRING, featured_image),
	F("related_posts", FIELD_LIST, related),
	F("aliases", FIELD_LIST, aliases),
	F("pin", FIELD_PIN, pin),
};

#undef F
#undef D

/* Highest pin accepted; pins only order a handful of posts. */
#define PIN_MAX 1000000

/* The delimiter lines a block may open with, and what closes each. */
enum block_syntax {
	BLOCK_YAML,  /* "---" ... "---" or "..." */
	BLOCK_TOML,  /* "+++" ... "+++" */
};

struct fm {
	yaml_parser_t parser;
	struct post *p;
	struct parse_error *err;
	const char *yaml;   /* the YAML text, for positions of reader errors */
	size_t yaml_len;
};

int frontmatter_vfail(struct parse_error *err, int rc, unsigned line,
		      unsigned column, const char *fmt, va_list ap)
{
	if (!err)
		return rc;
	err->line = line;
	err->column = column;
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	return rc;
}

static int frontmatter_fail(struct parse_error *err, int rc, unsigned line,
			    unsigned column, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int frontmatter_fail(struct parse_error *err, int rc, unsigned line,
			    unsigned column, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rc = frontmatter_vfail(err, rc, line, column, fmt, ap);
	va_end(ap);
	return rc;
}

/* A libyaml mark as a line and column of the whole file. */
static unsigned mark_line(yaml_mark_t mark)
{
	return (unsigned)mark.line + BLOCK_FIRST_LINE;
}

static unsigned mark_column(yaml_mark_t mark)
{
	return (unsigned)mark.column + 1;
}

static int fail_mark(struct fm *f, int rc, yaml_mark_t mark,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Fills err at a libyaml mark and returns rc. */
static int fail_mark(struct fm *f, int rc, yaml_mark_t mark,
		     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rc = frontmatter_vfail(f->err, rc, mark_line(mark),
			       mark_column(mark), fmt, ap);
	va_end(ap);
	return rc;
}

/* libyaml's own errors: the reader reports a byte offset, the scanner
 * and parser a mark. */
static int fail_parser(struct fm *f)
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

static int next_event(struct fm *f, yaml_event_t *ev)
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

static int check_depth(struct fm *f, size_t depth, yaml_mark_t mark)
{
	if (depth <= QUIRE_MAX_YAML_DEPTH)
		return QUIRE_OK;
	return fail_mark(f, QUIRE_ETOOBIG, mark,
			 "frontmatter nested deeper than %d levels",
			 QUIRE_MAX_YAML_DEPTH);
}

/* Consumes the rest of a list or map whose start event was just read at
 * depth; only the nesting is checked. */
static int skip_node(struct fm *f, size_t depth)
{
	yaml_event_t ev;
	size_t open = 1;
	int rc;

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

/* YAML 1.1's null: an empty plain scalar, ~ or null. */
static int is_null(const yaml_event_t *ev)
{
	const char *s = (const char *)ev->data.scalar.value;

	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	return !*s || strcmp(s, "~") == 0 || strcasecmp(s, "null") == 0;
}

void value_release(struct value *v)
{
	size_t i;

	free(v->scalar);
	for (i = 0; i < v->n_items; i++)
		free(v->items[i]);
	free(v->items);
	memset(v, 0, sizeof(*v));
}

int value_add(struct value *v, const char *s)
{
	char **items, *copy;

	copy = strdup(s);
	if (!copy)
		return QUIRE_ENOMEM;
	items = realloc(v->items, (v->n_items + 1) * sizeof(*items));
	if (!items) {
		free(copy);
		return QUIRE_ENOMEM;
	}
	items[v->n_items++] = copy;
	v->items = items;
	return QUIRE_OK;
}

/* Reads a sequence whose start event was just read at depth. */
static int read_seq(struct fm *f, size_t depth, struct value *v)
{
	yaml_event_t ev;
	int rc = QUIRE_OK;

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
				rc = value_add(v,
					       (const char *)ev.data.scalar.value);
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (!v->nested) {
				v->nested = 1;
				v->nested_line = mark_line(ev.start_mark);
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
static int read_value(struct fm *f, const yaml_event_t *ev, size_t depth,
		      struct value *v)
{
	int rc;

	v->line = mark_line(ev->start_mark);
	v->column = mark_column(ev->start_mark);
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		if (is_null(ev))
			return QUIRE_OK;
		v->kind = VALUE_SCALAR;
		v->scalar = strdup((const char *)ev->data.scalar.value);
		return v->scalar ? QUIRE_OK : QUIRE_ENOMEM;
	case YAML_SEQUENCE_START_EVENT:
		v->kind = VALUE_SEQ;
		rc = check_depth(f, depth, ev->start_mark);
		return rc != QUIRE_OK ? rc : read_seq(f, depth, v);
	case YAML_MAPPING_START_EVENT:
		v->kind = VALUE_MAP;
		rc = check_depth(f, depth, ev->start_mark);
		return rc != QUIRE_OK ? rc : skip_node(f, depth);
	default:
		return fail_mark(f, QUIRE_EPARSE, ev->start_mark, "%s",
				 "unexpected yaml event");
	}
}

static const char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	return s;
}

static int set_list_item(struct strlist *l, char *item, const struct value *v,
			 const char *key, struct parse_error *err)
{
	const char *s = trim(item);
	int rc;

	if (!*s)
		return QUIRE_OK;
	rc = strlist_add(l, s);
	if (rc == QUIRE_ETOOBIG)
		return frontmatter_fail(err, rc, v->line, v->column,
					"too many values for \"%s\" (at most %d)",
					key, QUIRE_MAX_TAGS);
	return rc;
}

static int set_list(struct strlist *l, struct value *v, const char *key,
		    int split, struct parse_error *err)
{
	char *s, *comma;
	const char *seps;
	size_t i;
	int rc = QUIRE_OK;

	/* a key given twice: the last one wins, as in YAML tools */
	strlist_release(l);
	switch (v->kind) {
	case VALUE_NULL:
		return QUIRE_OK;
	case VALUE_SCALAR:
		if (!split)
			return set_list_item(l, v->scalar, v, key, err);
		/* "a, b" splits on commas; without one, Jekyll's "a b"
		 * splits on blanks. */
		seps = strchr(v->scalar, ',') ? "," : " \t";
		for (s = v->scalar; rc == QUIRE_OK && s; s = comma) {
			comma = strpbrk(s, seps);
			if (comma)
				*comma++ = '\0';
			rc = set_list_item(l, s, v, key, err);
		}
		return rc;
	case VALUE_SEQ:
		if (v->nested)
			return frontmatter_fail(err, QUIRE_EPARSE, v->nested_line,
						v->nested_column,
						"expected a plain value in the "
						"list \"%s\"", key);
		for (i = 0; rc == QUIRE_OK && i < v->n_items; i++)
			rc = set_list_item(l, v->items[i], v, key, err);
		return rc;
	default:
		return frontmatter_fail(err, QUIRE_EPARSE, v->line, v->column,
					"expected a value or a list for \"%s\"",
					key);
	}
}

static int parse_bool(const char *s, int *out)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };
	size_t i;

	for (i = 0; i < 3; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return QUIRE_OK;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return QUIRE_OK;
		}
	}
	return QUIRE_EPARSE;
}

static int set_field(struct post *p, const struct field *fd, struct value *v,
		     struct parse_error *err)
{
	char *base = (char *)p;
	char **str = (char **)(void *)(base + fd->off);
	int *num = (int *)(void *)(base + fd->off);
	time_t *when = (time_t *)(void *)(base + fd->off);
	int *has = (int *)(void *)(base + fd->flag_off);
	long n;
	char *end;

	switch (fd->type) {
	case FIELD_LIST:
	case FIELD_SPLIT_LIST:
		return set_list((struct strlist *)(void *)(base + fd->off), v,
				fd->key, fd->type == FIELD_SPLIT_LIST, err);
	default:
		break;
	}
	if (v->kind == VALUE_SEQ || v->kind == VALUE_MAP)
		return frontmatter_fail(err, QUIRE_EPARSE, v->line, v->column,
					"expected a single value for \"%s\"",
					fd->key);
	switch (fd->type) {
	case FIELD_SLUG:
		if (v->kind == VALUE_SCALAR && !post_slug_valid(v->scalar))
			return frontmatter_fail(err, QUIRE_EPARSE, v->line,
						v->column,
						"invalid slug \"%s\" (lower-case "
						"letters, digits, '-', '_' and "
						"'.' only)", v->scalar);
		/* fall through */
	case FIELD_STRING:
		free(*str);
		*str = v->scalar; /* NULL for a null value */
		v->scalar = NULL;
		return QUIRE_OK;
	case FIELD_DATE:
		*has = 0;
		*when = 0;
		if (v->kind == VALUE_NULL)
			return QUIRE_OK;
		if (frontmatter_parse_date(v->scalar, when) != QUIRE_OK)
			return frontmatter_fail(err, QUIRE_EPARSE, v->line,
						v->column,
						"bad date \"%s\" (expected "
						"YYYY-MM-DD, optionally with a "
						"time and zone)", v->scalar);
		*has = 1;
		return QUIRE_OK;
	case FIELD_BOOL:
	case FIELD_BOOL_NOT:
		*num = 0;
		if (v->kind == VALUE_SCALAR && parse_bool(v->scalar, num) != QUIRE_OK)
			return frontmatter_fail(err, QUIRE_EPARSE, v->line,
						v->column,
						"expected true or false for \"%s\"",
						fd->key);
		if (fd->type == FIELD_BOOL_NOT && v->kind == VALUE_SCALAR)
			*num = !*num;
		return QUIRE_OK;
	case FIELD_PIN:
		*num = 0;
		if (v->kind == VALUE_NULL ||
		    parse_bool(v->scalar, num) == QUIRE_OK)
			return QUIRE_OK;
		n = strtol(v->scalar, &end, 10);
		if (end == v->scalar || *end || n < 0 || n > PIN_MAX)
			return frontmatter_fail(err, QUIRE_EPARSE, v->line,
						v->column,
						"expected true, false or a "
						"positive number for \"%s\"",
						fd->key);
		*num = (int)n;
		return QUIRE_OK;
	default:
		return QUIRE_EINVAL;
	}
}

/* An unknown key: kept with its scalar, its list joined by ", ", or ""
 * for a map. A key given twice keeps its last value. */
static int set_extra(struct post *p, const char *key, struct value *v)
{
	struct post_extra *x;
	struct buf val = BUF_INIT;
	char *k = NULL, *s;
	size_t i;

	for (i = 0; i < v->n_items; i++) {
		if (i)
			buf_puts(&val, ", ");
		buf_puts(&val, v->items[i]);
	}
	if (v->kind == VALUE_SCALAR)
		buf_puts(&val, v->scalar);
	s = buf_detach(&val, NULL);
	if (!s)
		return QUIRE_ENOMEM;
	for (i = 0; i < p->n_extra; i++) {
		if (strcmp(p->extra[i].key, key) == 0) {
			free(p->extra[i].value);
			p->extra[i].value = s;
			return QUIRE_OK;
		}
	}
	k = strdup(key);
	x = k ? realloc(p->extra, (p->n_extra + 1) * sizeof(*x)) : NULL;
	if (!x) {
		free(k);
		free(s);
		return QUIRE_ENOMEM;
	}
	p->extra = x;
	x[p->n_extra].key = k;
	x[p->n_extra].value = s;
	p->n_extra++;
	return QUIRE_OK;
}

int frontmatter_apply(struct post *p, const char *key, struct value *v,
		      struct parse_error *err)
{
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (strcasecmp(fields[i].key, key) == 0)
			return set_field(p, &fields[i], v, err);
	return set_extra(p, key, v);
}

/* Reads the top-level mapping, whose start event was just read. */
static int read_mapping(struct fm *f)
{
	yaml_event_t key_ev, val_ev;
	struct value v;
	int rc;

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
			rc = frontmatter_apply(f->p,
					       (const char *)key_ev.data.scalar.value,
					       &v, f->err);
		value_release(&v);
		yaml_event_delete(&key_ev);
		if (rc != QUIRE_OK)
			return rc;
	}
}

/* The whole stream: nothing, or one document holding one mapping. */
static int read_stream(struct fm *f)
{
	yaml_event_t ev;
	int rc, docs = 0;

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

/* The YAML between the delimiter lines, at p->source + off. */
static int read_yaml(struct post *p, size_t off, size_t len,
		     struct parse_error *err)
{
	struct fm f;
	int rc;

	memset(&f, 0, sizeof(f));
	f.p = p;
	f.err = err;
	f.yaml = p->source + off;
	f.yaml_len = len;
	if (!yaml_parser_initialize(&f.parser))
		return frontmatter_fail(err, QUIRE_ENOMEM, 0, 0, "out of memory");
	yaml_parser_set_input_string(&f.parser, (const unsigned char *)f.yaml,
				     len);
	rc = read_stream(&f);
	yaml_parser_delete(&f.parser);
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
 * must be the first line (after a UTF-8 byte order mark, if any). Sets
 * *off and *len to the block's bytes in p->source.
 */
static int find_block(const struct post *p, enum block_syntax *syntax,
		      size_t *off, size_t *len, struct parse_error *err)
{
	const char *src = p->source, *end = p->source + p->source_len;
	const char *s = src, *line, *next;
	size_t n;

	if (p->source_len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3;
	n = line_span(s, end, &next);
	if (n == 3 && memcmp(s, "---", 3) == 0)
		*syntax = BLOCK_YAML;
	else if (n == 3 && memcmp(s, "+++", 3) == 0)
		*syntax = BLOCK_TOML;
	else
		return frontmatter_fail(err, QUIRE_EPARSE, 1, 1,
					"missing frontmatter (the file must "
					"start with a \"---\" or \"+++\" line)");
	*off = (size_t)(next - src);
	for (line = next; line < end; line = next) {
		if ((size_t)(line - src) - *off > QUIRE_MAX_FRONTMATTER)
			return frontmatter_fail(err, QUIRE_ETOOBIG, 1, 1,
						"frontmatter is larger than %d "
						"bytes", QUIRE_MAX_FRONTMATTER);
		n = line_span(line, end, &next);
		if (closes(*syntax, line, n)) {
			*len = (size_t)(line - src) - *off;
			return QUIRE_OK;
		}
	}
	return frontmatter_fail(err, QUIRE_EPARSE, 1, 1,
				"unterminated frontmatter (no closing \"%s\" "
				"line)", *syntax == BLOCK_TOML ? "+++" : "---");
}

int frontmatter_parse(struct post *p, struct parse_error *err)
{
	enum block_syntax syntax = BLOCK_YAML;
	size_t off = 0, len = 0;
	const char *next;
	int rc;

	if (err)
		memset(err, 0, sizeof(*err));
	if (!p->source)
		return frontmatter_fail(err, QUIRE_EPARSE, 1, 1, "%s",
					"missing frontmatter (empty file)");
	rc = find_block(p, &syntax, &off, &len, err);
	if (rc != QUIRE_OK)
		return rc;
	if (syntax == BLOCK_TOML)
		rc = frontmatter_toml_read(p, p->source + off, len,
					   BLOCK_FIRST_LINE, err);
	else
		rc = read_yaml(p, off, len, err);
	if (rc != QUIRE_OK)
		return rc;
	line_span(p->source + off + len, p->source + p->source_len, &next);
	p->body_offset = (size_t)(next - p->source);
	return QUIRE_OK;
}

/* Reads exactly n digits at *s into *out and advances *s. */
int frontmatter_digits(const char **s, int n, int *out)
{
	int v = 0;

	for (; n > 0; n--, (*s)++) {
		if (!isdigit((unsigned char)**s))
			return 0;
		v = v * 10 + (**s - '0');
	}
	*out = v;
	return 1;
}

int frontmatter_parse_date(const char *s, time_t *out)
{
	struct tm tm, check;
	int y, mo, d, h = 0, mi = 0, sec = 0, zh = 0, zm = 0, sign = 0;
	time_t t;

	if (!frontmatter_digits(&s, 4, &y) || *s++ != '-' ||
	    !frontmatter_digits(&s, 2, &mo) || *s++ != '-' ||
	    !frontmatter_digits(&s, 2, &d))
		return QUIRE_EPARSE;
	if (*s == 'T' || *s == 't' || *s == ' ') {
		s++;
		if (!frontmatter_digits(&s, 2, &h) || *s++ != ':' ||
		    !frontmatter_digits(&s, 2, &mi))
			return QUIRE_EPARSE;
		if (*s == ':') {
			s++;
			if (!frontmatter_digits(&s, 2, &sec))
				return QUIRE_EPARSE;
			if (*s == '.') /* fractions of a second are dropped */
				for (s++; isdigit((unsigned char)*s); s++)
					;
		}
		if (*s == ' ')
			s++;
		if (*s == 'Z' || *s == 'z') {
			s++;
		} else if (*s == '+' || *s == '-') {
			sign = *s++ == '-' ? -1 : 1;
			if (!frontmatter_digits(&s, 2, &zh))
				return QUIRE_EPARSE;
			if (*s == ':')
				s++;
			if (isdigit((unsigned char)*s) && !frontmatter_digits(&s, 2, &zm))
				return QUIRE_EPARSE;
		}
	}
	if (*s || y < 1900 || mo < 1 || mo > 12 || d < 1 || d > 31 ||
	    h > 23 || mi > 59 || sec > 60 || zh > 14 || zm > 59)
		return QUIRE_EPARSE;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec == 60 ? 59 : sec; /* a leap second is its neighbour */
	t = timegm(&tm);
	/* timegm normalises 02-30 into March: refuse what moved */
	if (t == (time_t)-1 || !gmtime_r(&t, &check) || check.tm_mday != d ||
	    check.tm_mon != mo - 1)
		return QUIRE_EPARSE;
	*out = t - (time_t)sign * (zh * 3600 + zm * 60);
	return QUIRE_OK;
}
