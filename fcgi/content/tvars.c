/*
 * tvars.c - the variables a template renders: a tree of objects
 *
 * Fields are a plain array searched linearly: objects here hold a dozen
 * fields at most, and a uthash table costs a bucket array per object,
 * which dominated building the variables of a page with many posts.
 *
 * Every object, field array, name and string of one tree lives in the
 * arena of its root (the object tvars_new made) and goes with it in
 * tvars_free: a page's variables are built once and dropped whole, and
 * malloc and free of each were a third of a post page's instructions on
 * an L1 miss (callgrind, tests/bench/RESULTS.md). A field set again
 * leaves its old value in the arena until then.
 *
 * The layout is in tvars_private.h, which the renderer reads.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "content/tvars.h"
#include "content/tvars_private.h"
#include "lib/arena.h"
#include "lib/buf.h"
#include "lib/quire.h"

struct tvars_root {
	struct tvars vars;
	struct arena arena;
};

/* Variables of a post page fit the first chunk; a page listing many
 * posts doubles it a few times. */
#define TVARS_FIRST_CHUNK (16 * 1024)

struct tvars *tvars_new(void)
{
	struct tvars_root *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->arena.first_chunk = TVARS_FIRST_CHUNK;
	r->vars.arena = &r->arena;
	return &r->vars;
}

void tvars_free(struct tvars *v)
{
	struct tvars_root *r;

	if (!v)
		return;
	r = (struct tvars_root *)(void *)v; /* only roots are freed */
	arena_release(&r->arena);
	free(r);
}

static struct tvars *tvars_child(struct tvars *parent)
{
	struct tvars *c = arena_alloc(parent->arena, sizeof(*c));

	if (c) {
		memset(c, 0, sizeof(*c));
		c->arena = parent->arena;
	}
	return c;
}

static char *tvars_strndup(struct tvars *v, const char *s, size_t len)
{
	char *d = arena_alloc(v->arena, len + 1);

	if (d) {
		memcpy(d, s, len);
		d[len] = '\0';
	}
	return d;
}

/* quire_grow_with's resize: in place when it is the arena's newest
 * block, else a copy (the old block stays until the root is freed) */
static void *tvars_resize(void *arena, void *old, size_t bytes)
{
	return arena_resize(arena, old, bytes);
}

/* The field name, emptied, added when missing; NULL when out of memory. */
static struct tfield *tvars_slot(struct tvars *v, const char *name)
{
	struct tfield *f;
	size_t len = strlen(name);

	f = tvars_find(v, name, len);
	if (!f) {
		if (quire_grow_with(&v->f, &v->cap, v->n, sizeof(*v->f), 8,
				    tvars_resize, v->arena) != QUIRE_OK)
			return NULL;
		f = &v->f[v->n];
		if (!(f->name = tvars_strndup(v, name, len)))
			return NULL;
		f->name_len = len;
		v->n++;
	}
	memset(&f->val, 0, sizeof(f->val));
	f->val.kind = TVAL_BOOL;
	return f;
}

static void tvars_remove(struct tvars *v, const char *name)
{
	struct tfield *f = tvars_find(v, name, strlen(name));

	/* Order does not matter: fill the hole with the last field. */
	if (f)
		*f = v->f[--v->n];
}

static enum quire_err tvars_set_len(struct tvars *v, const char *name,
				    const char *value, size_t len)
{
	struct tfield *f;
	char *s = tvars_strndup(v, value, len);

	if (!s || !(f = tvars_slot(v, name)))
		return QUIRE_ENOMEM;
	f->val.kind = TVAL_STRING;
	f->val.u.str.s = s;
	f->val.u.str.len = len;
	return QUIRE_OK;
}

enum quire_err tvars_set(struct tvars *v, const char *name, const char *value)
{
	if (!value) {
		tvars_remove(v, name);
		return QUIRE_OK;
	}
	return tvars_set_len(v, name, value, strlen(value));
}

enum quire_err tvars_setf(struct tvars *v, const char *name, const char *fmt,
			  ...)
{
	char small[256];
	struct buf b = BUF_INIT;
	va_list ap;
	enum quire_err rc;
	int n;

	/* most are a date or a title and a site name: no buffer to free */
	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return QUIRE_ENOMEM;
	if ((size_t)n < sizeof(small))
		return tvars_set_len(v, name, small, (size_t)n);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	rc = buf_failed(&b) ? QUIRE_ENOMEM : tvars_set_len(v, name, b.data, b.len);
	buf_release(&b);
	return rc;
}

enum quire_err tvars_set_bool(struct tvars *v, const char *name, int value)
{
	struct tfield *f = tvars_slot(v, name);

	if (!f)
		return QUIRE_ENOMEM;
	f->val.kind = TVAL_BOOL;
	f->val.u.b = value != 0;
	return QUIRE_OK;
}

enum quire_err tvars_list_empty(struct tvars *v, const char *name)
{
	struct tfield *f = tvars_slot(v, name);

	if (!f)
		return QUIRE_ENOMEM;
	f->val.kind = TVAL_LIST;
	return QUIRE_OK;
}

struct tvars *tvars_list_add(struct tvars *v, const char *name)
{
	struct tfield *f;
	struct tvars *item;

	f = tvars_find(v, name, strlen(name));
	if (!f || f->val.kind != TVAL_LIST) {
		if (tvars_list_empty(v, name) != QUIRE_OK)
			return NULL;
		f = tvars_find(v, name, strlen(name));
	}
	if (quire_grow_with(&f->val.u.list.v, &f->val.u.list.cap,
			    f->val.u.list.n, sizeof(*f->val.u.list.v), 8,
			    tvars_resize, v->arena) != QUIRE_OK ||
	    !(item = tvars_child(v)))
		return NULL;
	f->val.u.list.v[f->val.u.list.n++] = item;
	return item;
}

struct tvars *tvars_object(struct tvars *v, const char *name)
{
	struct tfield *f;
	struct tvars *obj;

	f = tvars_find(v, name, strlen(name));
	if (f && f->val.kind == TVAL_OBJECT)
		return f->val.u.obj;
	if (!(obj = tvars_child(v)) || !(f = tvars_slot(v, name)))
		return NULL;
	f->val.kind = TVAL_OBJECT;
	f->val.u.obj = obj;
	return obj;
}
