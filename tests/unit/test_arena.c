/*
 * test_arena.c - the bump allocator Markdown renders use (arena.c):
 * zeroed, aligned, growing in place or by copy with the bytes kept,
 * blocks larger than a chunk, and nothing held after a reset; and the
 * same of an arena of one's own (struct arena, tvars.c's)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lib/arena.h"

static int aligned(const void *p)
{
	return ((uintptr_t)p & 15) == 0;
}

static int all(const unsigned char *p, size_t n, unsigned char c)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != c)
			return 0;
	return 1;
}

/* An arena of one's own (struct arena): its first chunk as asked, the
 * newest block resized in place, a block larger than a chunk, a size
 * it refuses, and nothing held after arena_release. */
static void test_instance(void)
{
	struct arena a = { NULL, NULL, 1024 };
	unsigned char *p, *q, *r;

	CHECK(arena_size(&a) == 0);
	p = arena_alloc(&a, 100);
	CHECK(p && aligned(p) && arena_size(&a) == 1024);
	memset(p, 'p', 100);
	q = arena_resize(&a, p, 300);
	CHECK(q == p && all(q, 100, 'p'));
	r = arena_alloc(&a, 10);
	CHECK(r && aligned(r) && r != q);
	q = arena_resize(&a, q, 400);  /* not the newest: copied */
	CHECK(q && q != p && all(q, 100, 'p'));
	p = arena_alloc(&a, 5000);     /* a chunk of its own */
	CHECK(p && arena_size(&a) >= 1024 + 5000);
	memset(p, 0, 5000);
	arena_give_back(&a, p);
	CHECK(arena_alloc(&a, 16) == p);
	CHECK(arena_alloc(&a, SIZE_MAX / 2) == NULL);
	CHECK(arena_resize(&a, r, SIZE_MAX / 2) == NULL);
	arena_release(&a);
	CHECK(arena_size(&a) == 0 && a.top == NULL);
	p = arena_alloc(&a, 8);        /* usable again */
	CHECK(p != NULL);
	arena_release(&a);
}

int main(void)
{
	unsigned char *a, *b, *c, *d;
	size_t i;
	int ok;

	CHECK(arena_held() == 0);
	a = arena_calloc(10, 7);
	CHECK(a && aligned(a) && all(a, 70, 0));
	memset(a, 'a', 70);

	/* The newest block grows in place, keeping its bytes. */
	b = arena_realloc(a, 1000);
	CHECK(b == a && all(b, 70, 'a'));
	memset(b, 'b', 1000);

	/* A block that is not the newest moves, its bytes copied. */
	c = arena_calloc(1, 33);
	CHECK(c && aligned(c) && c != b && all(c, 33, 0));
	d = arena_realloc(b, 2000);
	CHECK(d != b && aligned(d) && all(d, 1000, 'b'));
	CHECK(all(c, 33, 0)); /* the copy wrote over nothing else */
	/* shrinking keeps the head */
	d = arena_realloc(d, 10);
	CHECK(all(d, 10, 'b'));

	/* Freeing the newest block gives its room to the next one. */
	c = arena_calloc(1, 64);
	arena_free(c);
	CHECK(arena_calloc(1, 64) == c);
	arena_free(NULL);
	CHECK(arena_realloc(NULL, 5) != NULL);

	/* Much more than a chunk, in one block and in many: each zeroed and
	 * whole. */
	a = arena_calloc(1, 3 << 20);
	CHECK(a && aligned(a) && all(a, 3 << 20, 0));
	memset(a, 'x', 3 << 20);
	for (ok = 1, i = 0; i < 20000; i++) {
		b = arena_calloc(3, 11);
		ok = ok && b && aligned(b) && all(b, 33, 0);
		if (b)
			memset(b, 'y', 33);
	}
	CHECK(ok);
	CHECK(all(a, 3 << 20, 'x'));
	/* a string buffer doubling from one byte up to 1 MiB, as cmark's do */
	b = NULL;
	for (ok = 1, i = 1; ok && i <= (1 << 20); i *= 2) {
		b = arena_realloc(b, i);
		ok = b && all(b, i / 2, 'z');
		if (b)
			memset(b, 'z', i);
	}
	CHECK(ok);
	CHECK(arena_held() >= (4u << 20));

	arena_reset();
	CHECK(arena_held() == 0);
	/* usable again after a reset */
	a = arena_calloc(2, 8);
	CHECK(a && all(a, 16, 0));
	arena_reset();
	test_instance();
	return check_done("test_arena");
}
