/*
 * arena.h - bump allocators: memory freed all at once, not block by block
 *
 * A struct arena hands out blocks from chunks it mallocs (each twice the
 * last) and frees them all in arena_release(): for data made and
 * dropped together, such as one page's template variables (tvars.c).
 *
 * Markdown renders use one arena per thread through the cmark-gfm
 * allocator below. cmark-gfm allocates every node, string and list with
 * its own calloc/realloc/free, thousands of calls for one post; they were
 * a quarter of a worker's CPU on the write API (perf, tests/bench/
 * RESULTS.md). A render is short and frees all it made at its end, so
 * markdown.c hands cmark-gfm these functions instead: allocation is a
 * pointer bump, freeing is nothing (or gives back the last block), and
 * arena_reset() drops the whole render at once. Like cmark-gfm's own
 * allocator, they abort when memory runs out: cmark-gfm never checks
 * what its allocator returns.
 */
#ifndef QUIRE_ARENA_H
#define QUIRE_ARENA_H

#include <stddef.h>

struct arena_chunk;
struct arena_block;

struct arena {
	struct arena_chunk *top;
	struct arena_block *last;  /* the newest block of top */
	size_t first_chunk;        /* bytes of the first chunk; 0: 64 KiB */
};

/* A block of size bytes (16-byte aligned, not zeroed), or NULL when out
 * of memory. */
void *arena_alloc(struct arena *a, size_t size);
/* Grows or shrinks p (from a; NULL: a new block) to size bytes, in place
 * when p is the newest block and its chunk has room. NULL when out of
 * memory (p is then still valid). */
void *arena_resize(struct arena *a, void *p, size_t size);
/* Gives back p when it is the newest block; the rest waits for
 * arena_release(). */
void arena_give_back(struct arena *a, void *p);
/* Frees every block of a; a is empty and usable again. */
void arena_release(struct arena *a);
/* Bytes a holds now. */
size_t arena_size(const struct arena *a);

/* The calling thread's render arena, for cmark-gfm (abort when out of
 * memory). Nothing in it outlives arena_reset(). */
void *arena_calloc(size_t n, size_t size);
void *arena_realloc(void *p, size_t size);
void arena_free(void *p);
/* Frees everything the calling thread's arena holds. */
void arena_reset(void);
/* Bytes the calling thread's arena holds now (for tests). */
size_t arena_held(void);

#endif
