/*
 * frontmatter_value.c - the field rules: one frontmatter value into a post
 *
 * The one table of known keys (DESIGN §3) and how each kind of field
 * takes a value, shared by the YAML and the TOML reader so that a field
 * means the same whatever the syntax. A reader has already placed each
 * value in the whole file, so every error here can say where it is
 * without knowing which reader found it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "content/frontmatter_date.h"
#include "content/frontmatter_value.h"
#include "content/post.h"
#include "content/strlist.h"
#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/quire.h"

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
	F("cover", FIELD_STRING, featured_image),     /* Hugo themes' */
	F("related_posts", FIELD_LIST, related),
	F("aliases", FIELD_LIST, aliases),
	F("pin", FIELD_PIN, pin),
};

#undef F
#undef D

/* Highest pin accepted; pins only order a handful of posts. */
#define PIN_MAX 1000000

enum quire_err frontmatter_value_vfail(struct parse_error *err,
				       enum quire_err rc, unsigned line,
				       unsigned column, const char *fmt,
				       va_list ap)
{
	if (!err)
		return rc;
	err->line = line;
	err->column = column;
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	return rc;
}

static enum quire_err value_fail(struct parse_error *err, enum quire_err rc,
				 unsigned line, unsigned column,
				 const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static enum quire_err value_fail(struct parse_error *err, enum quire_err rc,
				 unsigned line, unsigned column,
				 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rc = frontmatter_value_vfail(err, rc, line, column, fmt, ap);
	va_end(ap);
	return rc;
}

void frontmatter_value_release(struct frontmatter_value *v)
{
	size_t i;

	free(v->scalar);
	for (i = 0; i < v->n_items; i++)
		free(v->items[i]);
	free(v->items);
	memset(v, 0, sizeof(*v));
}

enum quire_err frontmatter_value_add(struct frontmatter_value *v, const char *s)
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

static enum quire_err set_list_item(struct strlist *l, char *item,
				    const struct frontmatter_value *v,
				    const char *key, struct parse_error *err)
{
	const char *s = trim(item);
	enum quire_err rc;

	if (!*s)
		return QUIRE_OK;
	rc = strlist_add(l, s);
	if (rc == QUIRE_ETOOBIG)
		return value_fail(err, rc, v->line, v->column,
				  "too many values for \"%s\" (at most %d)",
				  key, QUIRE_MAX_TAGS);
	return rc;
}

static enum quire_err set_list(struct strlist *l, struct frontmatter_value *v,
			       const char *key, int split,
			       struct parse_error *err)
{
	char *s, *comma;
	const char *seps;
	size_t i;
	enum quire_err rc = QUIRE_OK;

	/* a key given twice: the last one wins, as in YAML tools */
	strlist_release(l);
	switch (v->kind) {
	case FRONTMATTER_VALUE_NULL:
		return QUIRE_OK;
	case FRONTMATTER_VALUE_SCALAR:
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
	case FRONTMATTER_VALUE_SEQ:
		if (v->nested)
			return value_fail(err, QUIRE_EPARSE, v->nested_line,
					  v->nested_column,
					  "expected a plain value in the "
					  "list \"%s\"", key);
		for (i = 0; rc == QUIRE_OK && i < v->n_items; i++)
			rc = set_list_item(l, v->items[i], v, key, err);
		return rc;
	default:
		return value_fail(err, QUIRE_EPARSE, v->line, v->column,
				  "expected a value or a list for \"%s\"",
				  key);
	}
}

static enum quire_err parse_bool(const char *s, int *out)
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

static enum quire_err set_field(struct post *p, const struct field *fd,
				struct frontmatter_value *v,
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
	if (v->kind == FRONTMATTER_VALUE_SEQ ||
	    v->kind == FRONTMATTER_VALUE_MAP)
		return value_fail(err, QUIRE_EPARSE, v->line, v->column,
				  "expected a single value for \"%s\"",
				  fd->key);
	switch (fd->type) {
	case FIELD_SLUG:
		if (v->kind == FRONTMATTER_VALUE_SCALAR &&
		    !post_slug_valid(v->scalar))
			return value_fail(err, QUIRE_EPARSE, v->line,
					  v->column,
					  "invalid slug \"%s\" (ASCII "
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
		if (v->kind == FRONTMATTER_VALUE_NULL)
			return QUIRE_OK;
		if (frontmatter_date_parse(v->scalar, when) != QUIRE_OK)
			return value_fail(err, QUIRE_EPARSE, v->line,
					  v->column,
					  "bad date \"%s\" (expected "
					  "YYYY-MM-DD, optionally with a "
					  "time and zone)", v->scalar);
		*has = 1;
		return QUIRE_OK;
	case FIELD_BOOL:
	case FIELD_BOOL_NOT:
		*num = 0;
		if (v->kind == FRONTMATTER_VALUE_SCALAR &&
		    parse_bool(v->scalar, num) != QUIRE_OK)
			return value_fail(err, QUIRE_EPARSE, v->line,
					  v->column,
					  "expected true or false for \"%s\"",
					  fd->key);
		if (fd->type == FIELD_BOOL_NOT &&
		    v->kind == FRONTMATTER_VALUE_SCALAR)
			*num = !*num;
		return QUIRE_OK;
	case FIELD_PIN:
		*num = 0;
		if (v->kind == FRONTMATTER_VALUE_NULL ||
		    parse_bool(v->scalar, num) == QUIRE_OK)
			return QUIRE_OK;
		n = strtol(v->scalar, &end, 10);
		if (end == v->scalar || *end || n < 0 || n > PIN_MAX)
			return value_fail(err, QUIRE_EPARSE, v->line,
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
static enum quire_err set_extra(struct post *p, const char *key,
				const struct frontmatter_value *v)
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
	if (v->kind == FRONTMATTER_VALUE_SCALAR)
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

enum quire_err frontmatter_value_apply(struct post *p, const char *key,
				       struct frontmatter_value *v,
				       struct parse_error *err)
{
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (strcasecmp(fields[i].key, key) == 0)
			return set_field(p, &fields[i], v, err);
	return set_extra(p, key, v);
}

