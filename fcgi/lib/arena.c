/*
 * arena.c - bump allocators (see arena.h)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/arena.h"

/* The first chunk fits what cmark-gfm makes of a ~5 KB post; each next
 * one doubles, so a 1 MiB post takes a handful of mallocs. */
#define CHUNK_MIN (64 * 1024)
#define ALIGN 16

struct arena_chunk {
	struct arena_chunk *prev;
	size_t cap, used;       /* bytes of data */
	_Alignas(ALIGN) unsigned char data[];
};

/* Before each block: its size, so a resize knows what to copy. */
struct arena_block {
	size_t size;
	_Alignas(ALIGN) unsigned char data[];
};

static size_t round_up(size_t n)
{
	return (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
}

void *arena_alloc(struct arena *a, size_t size)
{
	struct arena_chunk *c, *top = a->top;
	struct arena_block *b;
	size_t need, cap;

	if (size > SIZE_MAX / 4)
		return NULL;
	need = sizeof(struct arena_block) + round_up(size);
	if (!top || top->cap - top->used < need) {
		cap = top ? top->cap * 2 : a->first_chunk ? a->first_chunk : CHUNK_MIN;
		if (cap < need)
			cap = need;
		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->prev = top;
		c->cap = cap;
		c->used = 0;
		a->top = top = c;
	}
	b = (struct arena_block *)(void *)(top->data + top->used);
	b->size = size;
	top->used += need;
	a->last = b;
	return b->data;
}

static struct arena_block *block_of(void *p)
{
	return (struct arena_block *)(void *)((unsigned char *)p -
					      offsetof(struct arena_block, data));
}

void *arena_resize(struct arena *a, void *p, size_t size)
{
	struct arena_block *b;
	void *q;
	size_t old;

	if (!p)
		return arena_alloc(a, size);
	b = block_of(p);
	old = round_up(b->size);
	/* The newest block grows in place while its chunk has room: how
	 * cmark-gfm's string buffers grow. */
	if (b == a->last && size <= SIZE_MAX / 4 &&
	    a->top->cap - a->top->used + old >= round_up(size)) {
		a->top->used = a->top->used - old + round_up(size);
		b->size = size;
		return p;
	}
	q = arena_alloc(a, size);
	if (q)
		memcpy(q, p, b->size < size ? b->size : size);
	return q;
}

void arena_give_back(struct arena *a, void *p)
{
	struct arena_block *b;

	if (!p)
		return;
	b = block_of(p);
	if (b == a->last) {
		a->top->used -= sizeof(struct arena_block) + round_up(b->size);
		a->last = NULL;
	}
}

void arena_release(struct arena *a)
{
	struct arena_chunk *c;

	while ((c = a->top)) {
		a->top = c->prev;
		free(c);
	}
	a->last = NULL;
}

size_t arena_size(const struct arena *a)
{
	const struct arena_chunk *c;
	size_t n = 0;

	for (c = a->top; c; c = c->prev)
		n += c->cap;
	return n;
}

/* ---- the thread's render arena, for cmark-gfm ---- */

static _Thread_local struct arena render;

static void *must(void *p, size_t size)
{
	if (!p) {
		fprintf(stderr, "quire: out of memory rendering Markdown "
			"(%zu bytes)\n", size);
		abort();
	}
	return p;
}

void *arena_calloc(size_t n, size_t size)
{
	void *p;

	if (size && n > SIZE_MAX / size)
		must(NULL, SIZE_MAX);
	p = must(arena_alloc(&render, n * size), n * size);
	memset(p, 0, n * size);
	return p;
}

void *arena_realloc(void *p, size_t size)
{
	return must(arena_resize(&render, p, size), size);
}

void arena_free(void *p)
{
	arena_give_back(&render, p);
}

void arena_reset(void)
{
	arena_release(&render);
}

size_t arena_held(void)
{
	return arena_size(&render);
}
