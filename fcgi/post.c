/*
 * post.c - lifecycle of a parsed post
 */
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "post.h"
#include "quire.h"

struct post *post_new(void)
{
	return calloc(1, sizeof(struct post));
}

int strlist_add(struct strlist *l, const char *s)
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

void post_free(struct post *p)
{
	size_t i;

	if (!p)
		return;
	free(p->path);
	free(p->slug);
	free(p->title);
	strlist_release(&p->authors);
	free(p->description);
	strlist_release(&p->tags);
	strlist_release(&p->categories);
	free(p->template_name);
	free(p->featured_image);
	strlist_release(&p->related);
	strlist_release(&p->aliases);
	for (i = 0; i < p->n_extra; i++) {
		free(p->extra[i].key);
		free(p->extra[i].value);
	}
	free(p->extra);
	free(p->source);
	free(p->html);
	free(p->toc_html);
	free(p);
}
