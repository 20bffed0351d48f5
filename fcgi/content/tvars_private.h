/*
 * tvars_private.h - the variable tree's layout, for the renderer
 *
 * tvars.h keeps a tree opaque to the handlers that fill it. The
 * renderer (templates.c) walks it on every request: it reads fields in
 * place and looks names up with the inline tvars_find below, so that a
 * lookup costs no call and no allocation. Internal to the content
 * layer: only tvars.c and templates.c include it, and only tvars.c
 * changes a tree.
 */
#ifndef QUIRE_TVARS_PRIVATE_H
#define QUIRE_TVARS_PRIVATE_H

#include <stddef.h>
#include <string.h>

struct arena;

enum tval_kind {
	TVAL_STRING = 0, /* u.str */
	TVAL_BOOL,       /* u.b */
	TVAL_LIST,       /* u.list: objects */
	TVAL_OBJECT,     /* u.obj */
};

struct tval {
	enum tval_kind kind;
	union {
		struct {
			char *s;
			size_t len;
		} str;
		int b;
		struct {
			struct tvars **v;
			size_t n;
			size_t cap;
		} list;
		struct tvars *obj;
	} u;
};

struct tfield {
	const char *name;
	size_t name_len;
	struct tval val;
};

/* An object: its fields, in the order set (but for removals, which move
 * the last field into the hole). See tvars.c for why an array. */
struct tvars {
	struct tfield *f;
	size_t n;
	size_t cap;
	struct arena *arena;    /* the root's */
};

/* The field name (len bytes, no NUL needed) of v, or NULL. */
static inline struct tfield *tvars_find(const struct tvars *v,
					const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		if (v->f[i].name_len == len && memcmp(v->f[i].name, name, len) == 0)
			return &v->f[i];
	return NULL;
}

#endif
