/*
 * key_table.c - a string-keyed table sized once (key_table.h)
 */
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "lib/key_table.h"
#include "lib/quire.h"

enum quire_err key_table_init(struct key_table *t, size_t max)
{
	size_t cap = 16;

	memset(t, 0, sizeof(*t));
	/* at most two thirds full: short probe runs, and a table for 10,000
	 * keys is 16,384 slots (384 KiB to clear, not twice that) */
	while (cap < max + max / 2) {
		if (cap > ((size_t)-1 / 2) / sizeof(*t->slots))
			return QUIRE_ENOMEM;
		cap *= 2;
	}
	t->slots = calloc(cap, sizeof(*t->slots));
	if (!t->slots)
		return QUIRE_ENOMEM;
	t->mask = cap - 1;
	t->max = max;
	return QUIRE_OK;
}

void key_table_release(struct key_table *t)
{
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

/* The slot of key, or the empty slot where it would go. */
static struct key_slot *slot_of(const struct key_table *t, const char *key,
				unsigned long long h)
{
	size_t i = (size_t)h & t->mask;
	struct key_slot *s;

	for (;; i = (i + 1) & t->mask) {
		s = &t->slots[i];
		if (!s->key || (s->hash == h && strcmp(s->key, key) == 0))
			return s;
	}
}

static int found(const struct key_table *t, const char *key,
		 const struct key_slot **out)
{
	/* empty (a deploy's table of the few slugs it changed, say): no hash
	 * of the key to compute */
	if (!t->slots || !t->n) {
		*out = NULL;
		return 0;
	}
	*out = slot_of(t, key, XXH3_64bits(key, strlen(key)));
	return (*out)->key != NULL;
}

const void *key_table_get(const struct key_table *t, const char *key)
{
	const struct key_slot *s;

	return found(t, key, &s) ? s->value : NULL;
}

int key_table_has(const struct key_table *t, const char *key)
{
	const struct key_slot *s;

	return found(t, key, &s);
}

enum quire_err key_table_put(struct key_table *t, const char *key,
			     const void *value)
{
	unsigned long long h;
	struct key_slot *s;

	if (!t->slots)
		return QUIRE_ENOMEM;
	h = XXH3_64bits(key, strlen(key));
	s = slot_of(t, key, h);
	if (!s->key) {
		if (t->n >= t->max)
			return QUIRE_ENOMEM;
		s->key = key;
		s->hash = h;
		t->n++;
	}
	s->value = value;
	return QUIRE_OK;
}
