/*
 * arena.c - a bump allocator for one Markdown render (see arena.h)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

/* The first chunk fits what cmark-gfm makes of a ~5 KB post; each next
 * one doubles, so a 1 MiB post takes a handful of mallocs. */
#define CHUNK_MIN (64 * 1024)
#define ALIGN 16

struct chunk {
	struct chunk *prev;
	size_t cap, used;       /* bytes of data */
	_Alignas(ALIGN) unsigned char data[];
};

/* Before each block: its size, so realloc knows what to copy. */
struct block {
	size_t size;
	_Alignas(ALIGN) unsigned char data[];
};

static _Thread_local struct chunk *top;
static _Thread_local struct block *last;   /* the newest block of top */

static size_t round_up(size_t n)
{
	return (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
}

static void out_of_memory(size_t size)
{
	fprintf(stderr, "quire: out of memory rendering Markdown (%zu bytes)\n",
		size);
	abort();
}

static void *take(size_t size)
{
	struct chunk *c;
	struct block *b;
	size_t need, cap;

	if (size > SIZE_MAX / 2)
		out_of_memory(size);
	need = sizeof(struct block) + round_up(size);
	if (!top || top->cap - top->used < need) {
		cap = top ? top->cap * 2 : CHUNK_MIN;
		if (cap < need)
			cap = need;
		c = malloc(sizeof(*c) + cap);
		if (!c)
			out_of_memory(size);
		c->prev = top;
		c->cap = cap;
		c->used = 0;
		top = c;
	}
	b = (struct block *)(void *)(top->data + top->used);
	b->size = size;
	top->used += need;
	last = b;
	return b->data;
}

static struct block *block_of(void *p)
{
	return (struct block *)(void *)((unsigned char *)p -
					offsetof(struct block, data));
}

void *arena_calloc(size_t n, size_t size)
{
	void *p;

	if (size && n > SIZE_MAX / size)
		out_of_memory(SIZE_MAX);
	p = take(n * size);
	memset(p, 0, n * size);
	return p;
}

void *arena_realloc(void *p, size_t size)
{
	struct block *b;
	void *q;
	size_t old;

	if (!p)
		return take(size);
	b = block_of(p);
	old = round_up(b->size);
	/* The newest block grows in place while its chunk has room: how
	 * cmark-gfm's string buffers grow. */
	if (b == last && size <= SIZE_MAX / 2 &&
	    top->cap - top->used + old >= round_up(size)) {
		top->used = top->used - old + round_up(size);
		b->size = size;
		return p;
	}
	q = take(size);
	memcpy(q, p, b->size < size ? b->size : size);
	return q;
}

void arena_free(void *p)
{
	struct block *b;

	if (!p)
		return;
	b = block_of(p);
	/* Only the newest block is given back; the rest goes at the reset. */
	if (b == last) {
		top->used -= sizeof(struct block) + round_up(b->size);
		last = NULL;
	}
}

void arena_reset(void)
{
	struct chunk *c;

	while ((c = top)) {
		top = c->prev;
		free(c);
	}
	last = NULL;
}

size_t arena_held(void)
{
	const struct chunk *c;
	size_t n = 0;

	for (c = top; c; c = c->prev)
		n += c->cap;
	return n;
}
