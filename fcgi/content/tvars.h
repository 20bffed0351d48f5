/*
 * tvars.h - the variables a template renders
 *
 * A handler builds one tree per page and hands it to templates_render
 * (templates.h), which looks names up in it; the tree knows nothing of
 * templates. Every value is a copy owned by the tree, and the whole
 * tree goes at once with its root.
 */
#ifndef QUIRE_TVARS_H
#define QUIRE_TVARS_H

#include "lib/quire.h"

/* A data tree: an object whose fields are strings, booleans, lists of
 * objects, or objects. Children are owned by their parent. */
struct tvars;

/* Returns a new empty object, or NULL. Free with tvars_free(). */
struct tvars *tvars_new(void);
void tvars_free(struct tvars *v);
/* Sets field name to a copy of value (NULL value: the field is removed).
 * Return QUIRE_OK or QUIRE_ENOMEM. Setting a name again replaces it. */
enum quire_err tvars_set(struct tvars *v, const char *name, const char *value);
enum quire_err tvars_setf(struct tvars *v, const char *name, const char *fmt,
			  ...)
	__attribute__((format(printf, 3, 4)));
enum quire_err tvars_set_bool(struct tvars *v, const char *name, int value);
/* Appends a new empty object to the list field name (created empty by
 * the first call) and returns it (owned by v), or NULL. */
struct tvars *tvars_list_add(struct tvars *v, const char *name);
/* Makes field name an empty list (so {{^name}} renders). */
enum quire_err tvars_list_empty(struct tvars *v, const char *name);
/* Returns the object field name, created empty if absent, or NULL. */
struct tvars *tvars_object(struct tvars *v, const char *name);

#endif
