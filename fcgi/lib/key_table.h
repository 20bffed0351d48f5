/*
 * key_table.h - a string-keyed table sized once: open addressing over
 * one array, keys borrowed
 *
 * A deploy looks 10,000 paths and slugs up several times over, in tables
 * whose size it knows before it fills them. One uthash entry per key
 * (a calloc each, a pointer chase per probe) was the deployer's busiest
 * function (perf, a deploy every 100 ms); here a table is one allocation
 * of slots, each with the key's hash beside it, probed linearly.
 */
#ifndef QUIRE_KEY_TABLE_H
#define QUIRE_KEY_TABLE_H

#include <stddef.h>

#include "lib/quire.h"

struct key_slot {
	unsigned long long hash;
	const char *key;         /* NULL: empty */
	const void *value;
};

struct key_table {
	struct key_slot *slots;
	size_t mask;             /* slots - 1, a power of two less one */
	size_t n, max;           /* keys in, keys it may take */
};

/* A table for up to max keys. QUIRE_OK or QUIRE_ENOMEM. */
enum quire_err key_table_init(struct key_table *t, size_t max);
void key_table_release(struct key_table *t);

/* The value put with key, or NULL when key is not in. */
const void *key_table_get(const struct key_table *t, const char *key);
/* Whether key is in (its value may be NULL). */
int key_table_has(const struct key_table *t, const char *key);

/* Puts key (borrowed: it must outlive the table) with value, or replaces
 * the value of a key already in. QUIRE_OK, or QUIRE_ENOMEM when the
 * table already holds max keys. */
enum quire_err key_table_put(struct key_table *t, const char *key,
			     const void *value);

#endif
