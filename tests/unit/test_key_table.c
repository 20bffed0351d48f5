/*
 * test_key_table.c - key_table.c: what is put is got back, what is not
 * is not found, a full table refuses, colliding probes stay apart
 */
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "lib/key_table.h"
#include "lib/quire.h"

#define N 5000

int main(void)
{
	static char keys[N][24], other[24];
	struct key_table t, empty;
	int i, ok = 1;

	CHECK(key_table_init(&t, N) == QUIRE_OK);
	for (i = 0; i < N; i++) {
		snprintf(keys[i], sizeof(keys[i]), "posts/p%05d.md", i);
		ok = ok && key_table_put(&t, keys[i], &keys[i]) == QUIRE_OK;
	}
	CHECK(ok && t.n == N);
	for (i = 0; i < N; i++)
		ok = ok && key_table_get(&t, keys[i]) == &keys[i];
	CHECK(ok);
	/* a key equal in bytes, at another address, finds the same value */
	snprintf(other, sizeof(other), "posts/p%05d.md", 42);
	CHECK(key_table_get(&t, other) == &keys[42]);
	CHECK(key_table_get(&t, "posts/p99999.md") == NULL);
	CHECK(!key_table_has(&t, ""));
	/* full: a new key is refused, a key already in takes a new value */
	CHECK(key_table_put(&t, "one more", NULL) == QUIRE_ENOMEM);
	CHECK(key_table_put(&t, other, NULL) == QUIRE_OK && t.n == N);
	CHECK(key_table_has(&t, keys[42]) && key_table_get(&t, keys[42]) == NULL);
	key_table_release(&t);
	/* a table for no key: looks up nothing, takes nothing */
	CHECK(key_table_init(&empty, 0) == QUIRE_OK);
	CHECK(key_table_get(&empty, "x") == NULL);
	CHECK(key_table_put(&empty, "x", NULL) == QUIRE_ENOMEM);
	key_table_release(&empty);
	/* released: looks up nothing */
	CHECK(key_table_get(&empty, "x") == NULL);
	return check_done("test_key_table");
}
