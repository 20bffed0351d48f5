/*
 * strlist.c - a small list of owned strings
 *
 * Bounded by QUIRE_MAX_TAGS: every list of a post comes from its
 * frontmatter, so the bound is what keeps a hostile file from growing
 * one without end.
 */
#include <stdlib.h>
#include <string.h>

#include "content/strlist.h"
#include "lib/limits.h"
#include "lib/quire.h"

enum quire_err strlist_add(struct strlist *l, const char *s)
{
	char **v, *copy;

	if (l->n >= QUIRE_MAX_TAGS)
		return QUIRE_ETOOBIG;
	copy = strdup(s);
	if (!copy)
		return QUIRE_ENOMEM;
	v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (!v) {
		free(copy);
		return QUIRE_ENOMEM;
	}
	v[l->n++] = copy;
	l->v = v;
	return QUIRE_OK;
}

void strlist_release(struct strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int strlist_has(const struct strlist *l, const char *s)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return 1;
	return 0;
}

