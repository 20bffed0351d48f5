/*
 * cache.c - the per-worker L1: finished responses by URL, LRU-bounded
 *
 * A uthash table finds an item by key; a utlist doubly linked list keeps
 * them in order of use, oldest first, so a hit and an eviction are O(1).
 */
#include <stdlib.h>
#include <string.h>

#include <uthash.h>
#include <utlist.h>

#include "lib/quire.h"
#include "serve/cache.h"

struct cache_item {
	char *key;
	size_t keylen;
	void *value;
	size_t size;
	UT_hash_handle hh;
	struct cache_item *prev, *next;
};

void cache_init(struct cache *c, size_t max_bytes,
		void (*free_value)(void *value))
{
	memset(c, 0, sizeof(*c));
	c->max_bytes = max_bytes;
	c->free_value = free_value;
}

static void item_drop(struct cache *c, struct cache_item *it)
{
	HASH_DEL(c->table, it);
	DL_DELETE(c->lru, it);
	c->bytes -= it->size;
	c->free_value(it->value);
	free(it->key);
	free(it);
}

void *cache_get(struct cache *c, const char *key, size_t keylen)
{
	struct cache_item *it;

	HASH_FIND(hh, c->table, key, keylen, it);
	if (!it) {
		c->misses++;
		return NULL;
	}
	c->hits++;
	if (it->next) { /* not already the newest */
		DL_DELETE(c->lru, it);
		DL_APPEND(c->lru, it);
	}
	return it->value;
}

enum quire_err cache_put(struct cache *c, const char *key, size_t keylen,
			 void *value, size_t size)
{
	struct cache_item *it, *old;

	size += keylen + sizeof(*it);
	if (size > c->max_bytes) {
		c->free_value(value);
		return QUIRE_ETOOBIG;
	}
	it = calloc(1, sizeof(*it));
	if (!it || !(it->key = malloc(keylen + 1))) {
		free(it);
		c->free_value(value);
		return QUIRE_ENOMEM;
	}
	memcpy(it->key, key, keylen);
	it->key[keylen] = '\0';
	it->keylen = keylen;
	it->value = value;
	it->size = size;

	HASH_FIND(hh, c->table, key, keylen, old);
	if (old)
		item_drop(c, old);
	while (c->lru && c->bytes + size > c->max_bytes) {
		item_drop(c, c->lru);
		c->evictions++;
	}
	HASH_ADD_KEYPTR(hh, c->table, it->key, it->keylen, it);
	DL_APPEND(c->lru, it);
	c->bytes += size;
	return QUIRE_OK;
}

void cache_foreach(struct cache *c,
		   void (*fn)(const char *key, void *value, void *ctx), void *ctx)
{
	struct cache_item *it;

	DL_FOREACH(c->lru, it)
		fn(it->key, it->value, ctx);
}

void cache_remove(struct cache *c, const char *key, size_t keylen)
{
	struct cache_item *it;

	HASH_FIND(hh, c->table, key, keylen, it);
	if (it)
		item_drop(c, it);
}

void cache_clear(struct cache *c)
{
	while (c->lru)
		item_drop(c, c->lru);
}

size_t cache_count(const struct cache *c)
{
	return HASH_COUNT(c->table);
}
