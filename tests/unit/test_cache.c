/*
 * test_cache.c - the L1: lookups, replacement and LRU eviction by size
 */
#include <stdlib.h>
#include <string.h>

#include "serve/cache.h"
#include "check.h"
#include "lib/quire.h"

static int freed;

static void count_free(void *v)
{
	freed++;
	free(v);
}

static int seen;

static void count_seen(const char *key, void *value, void *ctx)
{
	(void)value;
	if (key[0] == '/')
		(*(int *)ctx)++;
}

static char *val(const char *s)
{
	return strdup(s);
}

int main(void)
{
	struct cache c;
	size_t item = 100; /* value size we claim */
	size_t per;        /* what one item costs, key and bookkeeping included */
	char *v;

	cache_init(&c, 1 << 20, count_free);
	CHECK(cache_get(&c, "/a", 2) == NULL);
	CHECK(cache_put(&c, "/a", 2, val("A"), item) == QUIRE_OK);
	v = cache_get(&c, "/a", 2);
	CHECK(v && strcmp(v, "A") == 0);
	CHECK(c.hits == 1 && c.misses == 1);

	/* Replacing frees the old value. */
	CHECK(cache_put(&c, "/a", 2, val("A2"), item) == QUIRE_OK);
	CHECK(freed == 1);
	CHECK_STR(cache_get(&c, "/a", 2), "A2");
	CHECK(cache_count(&c) == 1);
	per = c.bytes;
	cache_clear(&c);
	CHECK(cache_count(&c) == 0 && c.bytes == 0);

	/* Room for exactly three items: the least recently used goes. */
	c.max_bytes = per * 3;
	freed = 0;
	cache_put(&c, "/1", 2, val("1"), item);
	cache_put(&c, "/2", 2, val("2"), item);
	cache_put(&c, "/3", 2, val("3"), item);
	CHECK(cache_get(&c, "/1", 2) != NULL); /* /2 is now the oldest */
	cache_put(&c, "/4", 2, val("4"), item);
	CHECK(cache_get(&c, "/2", 2) == NULL);
	CHECK(cache_get(&c, "/1", 2) != NULL);
	CHECK(cache_get(&c, "/3", 2) != NULL);
	CHECK(cache_get(&c, "/4", 2) != NULL);
	CHECK(c.evictions == 1);
	CHECK(c.bytes <= c.max_bytes);

	/* A value larger than the whole cache is refused and freed. */
	freed = 0;
	CHECK(cache_put(&c, "/big", 4, val("big"), c.max_bytes + 1) == QUIRE_ETOOBIG);
	CHECK(freed == 1);
	CHECK(cache_get(&c, "/big", 4) == NULL);

	/* Keys are compared by length too. */
	CHECK(cache_get(&c, "/1x", 3) == NULL);
	CHECK(cache_get(&c, "/", 1) == NULL);

	/* foreach sees every value; remove drops one. */
	seen = 0;
	cache_foreach(&c, count_seen, &seen);
	CHECK(seen == (int)cache_count(&c));
	freed = 0;
	cache_remove(&c, "/1", 2);
	CHECK(freed == 1);
	CHECK(cache_get(&c, "/1", 2) == NULL);
	cache_remove(&c, "/nothing", 8);
	CHECK(freed == 1);

	cache_clear(&c);
	return check_done("test_cache");
}
