/*
 * import_config.c - a site's config or a post's frontmatter, read into
 * flat dotted keys for an importer
 *
 * YAML is read with libyaml's event parser, as frontmatter_yaml.c reads
 * frontmatter, but every key is kept (an importer decides later what a
 * key means): a mapping's keys get dotted names, a list of scalars is a
 * list, a map or list inside a list is skipped whole. TOML goes through
 * quire's own frontmatter reader into a throwaway post, whose fields and
 * extras are then turned back into keys, so there is one TOML reader in
 * quire, not two.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <yaml.h>

#include "content/frontmatter_toml.h"
#include "content/post.h"
#include "content/strlist.h"
#include "lib/buf.h"
#include "import/import_config.h"
#include "lib/limits.h"
#include "lib/quire.h"

void import_map_release(struct import_map *m)
{
	size_t i, j;

	for (i = 0; i < m->n; i++) {
		free(m->v[i].key);
		for (j = 0; j < m->v[i].n; j++)
			free(m->v[i].items[j]);
		free(m->v[i].items);
	}
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

const struct import_kv *import_map_find(const struct import_map *m,
					const char *key)
{
	size_t i;

	for (i = m->n; i-- > 0;)
		if (strcasecmp(m->v[i].key, key) == 0)
			return &m->v[i];
	return NULL;
}

const char *import_map_get(const struct import_map *m, const char *key)
{
	const struct import_kv *kv = import_map_find(m, key);

	return kv && kv->n ? kv->items[0] : NULL;
}

/* Adds an empty key; NULL when out of memory or past the bound. */
static struct import_kv *map_add(struct import_map *m, const char *key,
				 int list, unsigned line)
{
	struct import_kv *v, *kv;

	if (m->n >= QUIRE_IMPORT_MAX_KEYS)
		return NULL;
	v = realloc(m->v, (m->n + 1) * sizeof(*v));
	if (!v)
		return NULL;
	m->v = v;
	kv = &m->v[m->n];
	memset(kv, 0, sizeof(*kv));
	kv->key = strdup(key);
	if (!kv->key)
		return NULL;
	kv->list = list;
	kv->line = line;
	m->n++;
	return kv;
}

static enum quire_err kv_item(struct import_kv *kv, const char *s)
{
	char **items;

	if (kv->n >= QUIRE_IMPORT_MAX_KEYS)
		return QUIRE_ETOOBIG;
	items = realloc(kv->items, (kv->n + 1) * sizeof(*items));
	if (!items)
		return QUIRE_ENOMEM;
	kv->items = items;
	if (!(kv->items[kv->n] = strdup(s)))
		return QUIRE_ENOMEM;
	kv->n++;
	return QUIRE_OK;
}

enum quire_err import_map_put(struct import_map *m, const char *key,
			      char *const *v, size_t n)
{
	struct import_kv *kv = map_add(m, key, 1, 0);
	enum quire_err rc;
	size_t i;

	if (!kv)
		return m->n >= QUIRE_IMPORT_MAX_KEYS ? QUIRE_ETOOBIG : QUIRE_ENOMEM;
	for (i = 0; i < n; i++)
		if ((rc = kv_item(kv, v[i])) != QUIRE_OK)
			return rc;
	return QUIRE_OK;
}

/* ---- YAML ---- */

struct yreader {
	yaml_parser_t parser;
	unsigned first_line;
	struct import_map *m;
	struct parse_error *err;
};

static enum quire_err yfail(struct yreader *r, enum quire_err rc,
			    yaml_mark_t mark, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static enum quire_err yfail(struct yreader *r, enum quire_err rc,
			    yaml_mark_t mark, const char *fmt, ...)
{
	va_list ap;

	if (r->err) {
		r->err->line = r->first_line + (unsigned)mark.line;
		r->err->column = (unsigned)mark.column + 1;
		va_start(ap, fmt);
		vsnprintf(r->err->message, sizeof(r->err->message), fmt, ap);
		va_end(ap);
	}
	return rc;
}

static enum quire_err ynext(struct yreader *r, yaml_event_t *ev)
{
	yaml_parser_t *y = &r->parser;

	if (!yaml_parser_parse(y, ev)) {
		if (y->error == YAML_MEMORY_ERROR)
			return QUIRE_ENOMEM;
		return yfail(r, QUIRE_EPARSE, y->problem_mark, "%s%s%s",
			     y->problem ? y->problem : "bad yaml",
			     y->context ? " " : "",
			     y->context ? y->context : "");
	}
	if (ev->type == YAML_ALIAS_EVENT) {
		yaml_mark_t mark = ev->start_mark;

		yaml_event_delete(ev);
		return yfail(r, QUIRE_EPARSE, mark, "YAML aliases are not supported");
	}
	return QUIRE_OK;
}

/* Consumes a list or map whose start event was read at depth. */
static enum quire_err yskip(struct yreader *r, size_t depth)
{
	yaml_event_t ev;
	size_t open = 1;
	enum quire_err rc;

	while (open) {
		if ((rc = ynext(r, &ev)) != QUIRE_OK)
			return rc;
		if (ev.type == YAML_SEQUENCE_START_EVENT ||
		    ev.type == YAML_MAPPING_START_EVENT) {
			if (depth + open > QUIRE_MAX_YAML_DEPTH) {
				rc = yfail(r, QUIRE_ETOOBIG, ev.start_mark,
					   "nested deeper than %d levels",
					   QUIRE_MAX_YAML_DEPTH);
				yaml_event_delete(&ev);
				return rc;
			}
			open++;
		} else if (ev.type == YAML_SEQUENCE_END_EVENT ||
			   ev.type == YAML_MAPPING_END_EVENT) {
			open--;
		} else if (ev.type == YAML_STREAM_END_EVENT) {
			open = 0;
		}
		yaml_event_delete(&ev);
	}
	return QUIRE_OK;
}

/* The items of a list whose start event was read: scalars kept, nested
 * lists and maps skipped. */
static enum quire_err yseq(struct yreader *r, struct import_kv *kv,
			   size_t depth)
{
	yaml_event_t ev;
	enum quire_err rc;

	for (;;) {
		if ((rc = ynext(r, &ev)) != QUIRE_OK)
			return rc;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			return QUIRE_OK;
		}
		if (ev.type == YAML_SCALAR_EVENT)
			rc = kv_item(kv, (const char *)ev.data.scalar.value);
		else if (ev.type == YAML_SEQUENCE_START_EVENT ||
			 ev.type == YAML_MAPPING_START_EVENT)
			rc = yskip(r, depth + 1);
		else
			rc = yfail(r, QUIRE_EPARSE, ev.start_mark, "unexpected YAML");
		if (rc == QUIRE_ETOOBIG)
			rc = yfail(r, rc, ev.start_mark, "a list too long");
		yaml_event_delete(&ev);
		if (rc != QUIRE_OK)
			return rc;
	}
}

static enum quire_err ymap(struct yreader *r, const char *prefix, size_t depth);

/* One value of key (its dotted name) whose first event is ev. */
static enum quire_err yvalue(struct yreader *r, const char *name,
			     yaml_event_t *ev, size_t depth)
{
	struct import_kv *kv;
	unsigned line = r->first_line + (unsigned)ev->start_mark.line;

	if (depth > QUIRE_MAX_YAML_DEPTH)
		return yfail(r, QUIRE_ETOOBIG, ev->start_mark,
			     "nested deeper than %d levels", QUIRE_MAX_YAML_DEPTH);
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		kv = map_add(r->m, name, 0, line);
		if (!kv)
			return yfail(r, QUIRE_ETOOBIG, ev->start_mark,
				     "more than %d keys", QUIRE_IMPORT_MAX_KEYS);
		/* "key:" alone is null in YAML: no value, not "" */
		if (ev->data.scalar.length == 0 &&
		    ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
			return QUIRE_OK;
		return kv_item(kv, (const char *)ev->data.scalar.value);
	case YAML_SEQUENCE_START_EVENT:
		kv = map_add(r->m, name, 1, line);
		if (!kv)
			return yfail(r, QUIRE_ETOOBIG, ev->start_mark,
				     "more than %d keys", QUIRE_IMPORT_MAX_KEYS);
		return yseq(r, kv, depth);
	case YAML_MAPPING_START_EVENT:
		return ymap(r, name, depth);
	default:
		return yfail(r, QUIRE_EPARSE, ev->start_mark, "unexpected YAML");
	}
}

/* The pairs of a map whose start event was read; keys under prefix. */
static enum quire_err ymap(struct yreader *r, const char *prefix, size_t depth)
{
	yaml_event_t kev, vev;
	char *name;
	size_t n;
	enum quire_err rc;

	for (;;) {
		if ((rc = ynext(r, &kev)) != QUIRE_OK)
			return rc;
		if (kev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&kev);
			return QUIRE_OK;
		}
		if (kev.type != YAML_SCALAR_EVENT) {
			rc = yfail(r, QUIRE_EPARSE, kev.start_mark,
				   "a key must be a plain string");
			yaml_event_delete(&kev);
			return rc;
		}
		n = strlen(prefix) + kev.data.scalar.length + 2;
		name = malloc(n);
		if (!name) {
			yaml_event_delete(&kev);
			return QUIRE_ENOMEM;
		}
		snprintf(name, n, "%s%s%s", prefix, *prefix ? "." : "",
			 (const char *)kev.data.scalar.value);
		yaml_event_delete(&kev);
		rc = ynext(r, &vev);
		if (rc == QUIRE_OK) {
			rc = yvalue(r, name, &vev, depth + 1);
			yaml_event_delete(&vev);
		}
		free(name);
		if (rc != QUIRE_OK)
			return rc;
	}
}

enum quire_err import_map_yaml(const char *text, size_t len,
			       unsigned first_line, struct import_map *m,
			       struct parse_error *err)
{
	struct yreader r;
	yaml_event_t ev;
	enum quire_err rc = QUIRE_OK;
	int done = 0;

	memset(&r, 0, sizeof(r));
	r.first_line = first_line;
	r.m = m;
	r.err = err;
	if (!yaml_parser_initialize(&r.parser))
		return QUIRE_ENOMEM;
	yaml_parser_set_input_string(&r.parser, (const unsigned char *)text, len);
	while (!done && rc == QUIRE_OK) {
		if ((rc = ynext(&r, &ev)) != QUIRE_OK)
			break;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
		case YAML_DOCUMENT_END_EVENT:
			/* one document: a second one is not read */
			done = 1;
			break;
		case YAML_MAPPING_START_EVENT:
			rc = ymap(&r, "", 0);
			break;
		case YAML_SCALAR_EVENT:
			/* an empty document is no config at all */
			if (ev.data.scalar.length)
				rc = yfail(&r, QUIRE_EPARSE, ev.start_mark,
					   "expected a mapping of keys");
			break;
		case YAML_SEQUENCE_START_EVENT:
			rc = yfail(&r, QUIRE_EPARSE, ev.start_mark,
				   "expected a mapping of keys");
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&r.parser);
	return rc;
}

/* ---- TOML, through the frontmatter reader ---- */

/* What a table of a config is renamed to when frontmatter would take it
 * for a field, and renamed back from in the keys. */
#define SHIELD "quire-import-table-"

/* 1 when name (n bytes) is a field of frontmatter_value.c's table,
 * which a table may not be named after. */
static int field_name(const char *name, size_t n)
{
	static const char *const fields[] = { "title", "slug", "date",
		"updated", "lastmod", "last_modified_at", "author", "authors",
		"description", "summary", "excerpt", "tags", "category",
		"categories", "draft", "published", "toc", "template",
		"featured_image", "image", "related_posts", "aliases", "pin",
		NULL };
	size_t i;

	for (i = 0; fields[i]; i++)
		if (strlen(fields[i]) == n && strncasecmp(fields[i], name, n) == 0)
			return 1;
	return 0;
}

/*
 * A config's "[author]" (or "[[tags]]", "[author.x]") is a table, not the
 * field frontmatter's reader would refuse it as: its header is renamed
 * SHIELD + name before reading, and post_to_map() names its keys back.
 */
static void shield_tables(const char *text, size_t len, struct buf *out)
{
	const char *s = text, *end = text + len, *eol, *k;

	while (s < end) {
		eol = memchr(s, '\n', (size_t)(end - s));
		eol = eol ? eol + 1 : end;
		for (k = s; k < eol && (*k == ' ' || *k == '\t'); k++)
			;
		if (k < eol && *k == '[') {
			const char *name;

			while (k < eol && (*k == '[' || *k == ' ' || *k == '\t'))
				k++;
			for (name = k; k < eol && (isalnum((unsigned char)*k) ||
						   *k == '_' || *k == '-'); k++)
				;
			if (field_name(name, (size_t)(k - name))) {
				buf_append(out, s, (size_t)(name - s));
				buf_puts(out, SHIELD);
				s = name;
			}
		}
		buf_append(out, s, (size_t)(eol - s));
		s = eol;
	}
}

static enum quire_err put_scalar(struct import_map *m, const char *key,
				 const char *value)
{
	struct import_kv *kv;

	if (!value)
		return QUIRE_OK;
	if (!(kv = map_add(m, key, 0, 0)))
		return QUIRE_ENOMEM;
	return kv_item(kv, value);
}

static enum quire_err put_list(struct import_map *m, const char *key,
			       const struct strlist *l)
{
	struct import_kv *kv;
	enum quire_err rc;
	size_t i;

	if (!l->n)
		return QUIRE_OK;
	if (!(kv = map_add(m, key, 1, 0)))
		return QUIRE_ENOMEM;
	for (i = 0; i < l->n; i++)
		if ((rc = kv_item(kv, l->v[i])) != QUIRE_OK)
			return rc;
	return QUIRE_OK;
}

static enum quire_err put_date(struct import_map *m, const char *key, time_t t)
{
	char s[40];
	struct tm tm;

	if (!gmtime_r(&t, &tm))
		return QUIRE_EINVAL;
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return put_scalar(m, key, s);
}

static enum quire_err post_to_map(const struct post *p, struct import_map *m)
{
	enum quire_err rc = QUIRE_OK;
	size_t i;

#define TRY(x) do { if ((rc = (x)) != QUIRE_OK) return rc; } while (0)
	TRY(put_scalar(m, "title", p->title));
	TRY(put_scalar(m, "slug", p->slug));
	TRY(put_scalar(m, "description", p->description));
	TRY(put_scalar(m, "image", p->featured_image));
	TRY(put_list(m, "author", &p->authors));
	TRY(put_list(m, "tags", &p->tags));
	TRY(put_list(m, "categories", &p->categories));
	TRY(put_list(m, "aliases", &p->aliases));
	if (p->has_date)
		TRY(put_date(m, "date", p->date));
	if (p->has_updated)
		TRY(put_date(m, "lastmod", p->updated));
	if (p->draft)
		TRY(put_scalar(m, "draft", "true"));
	for (i = 0; i < p->n_extra; i++) {
		const char *key = p->extra[i].key;

		if (strncmp(key, SHIELD, strlen(SHIELD)) == 0)
			key += strlen(SHIELD);
		if (*p->extra[i].value)
			TRY(put_scalar(m, key, p->extra[i].value));
	}
#undef TRY
	return rc;
}

enum quire_err import_map_toml(const char *text, size_t len,
			       unsigned first_line, struct import_map *m,
			       struct parse_error *err)
{
	struct buf b = BUF_INIT;
	struct post *p;
	enum quire_err rc;

	if (len > QUIRE_MAX_FRONTMATTER) {
		if (err) {
			err->line = first_line;
			err->column = 1;
			snprintf(err->message, sizeof(err->message),
				 "TOML longer than %d bytes", QUIRE_MAX_FRONTMATTER);
		}
		return QUIRE_ETOOBIG;
	}
	shield_tables(text, len, &b);
	if (buf_failed(&b) || !(p = post_new())) {
		buf_release(&b);
		return QUIRE_ENOMEM;
	}
	rc = frontmatter_toml_read(p, b.data ? b.data : "", b.len, first_line, err);
	if (rc == QUIRE_OK)
		rc = post_to_map(p, m);
	post_free(p);
	buf_release(&b);
	return rc;
}
