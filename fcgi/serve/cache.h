/*
 * cache.h - the per-worker L1: finished responses by URL, LRU-bounded
 *
 * Owned by one worker's request loop alone, so there is no lock. Values
 * are opaque; the cache frees them with the callback given to cache_init.
 */
#ifndef QUIRE_CACHE_H
#define QUIRE_CACHE_H

#include <stddef.h>

#include "lib/quire.h"

struct cache_item;

struct cache {
	struct cache_item *table;   /* uthash by key */
	struct cache_item *lru;     /* utlist, least recently used first */
	size_t bytes;               /* sum of the sizes given to cache_put */
	size_t max_bytes;
	void (*free_value)(void *value);
	unsigned long hits, misses, evictions;
};

void cache_init(struct cache *c, size_t max_bytes,
		void (*free_value)(void *value));
/* Returns the value stored under key (borrowed until the next cache_put
 * or cache_clear) and marks it recently used, or NULL. */
void *cache_get(struct cache *c, const char *key, size_t keylen);
/*
 * Stores value under a copy of key, replacing any value there, and evicts
 * the least recently used values until the total size fits. Takes
 * ownership of value in every case: on failure, or when size alone is
 * larger than the whole cache, value is freed at once. Returns QUIRE_OK,
 * QUIRE_ETOOBIG (not stored) or QUIRE_ENOMEM.
 */
enum quire_err cache_put(struct cache *c, const char *key, size_t keylen,
			 void *value, size_t size);
/* Calls fn on every key and value, least recently used first; fn must
 * not add or remove values. */
void cache_foreach(struct cache *c,
		   void (*fn)(const char *key, void *value, void *ctx), void *ctx);
/* Drops the value under key, if any. */
void cache_remove(struct cache *c, const char *key, size_t keylen);
/* Drops every value. */
void cache_clear(struct cache *c);
size_t cache_count(const struct cache *c);

#endif
