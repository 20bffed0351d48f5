/*
 * arena.h - a bump allocator for one Markdown render
 *
 * cmark-gfm allocates every node, string and list with its own calloc/
 * realloc/free, thousands of calls for one post; they were a quarter of
 * a worker's CPU on the write API (perf, tests/bench/RESULTS.md). A
 * render is short and frees all it made at its end, so markdown.c hands
 * cmark-gfm these functions instead: allocation is a pointer bump in a
 * chunk of the calling thread, freeing is nothing (or gives back the
 * last block), and arena_reset() drops the whole render at once.
 *
 * One arena per thread; nothing in it outlives arena_reset(). Like
 * cmark-gfm's own allocator, these abort when memory runs out: cmark-gfm
 * never checks what its allocator returns.
 */
#ifndef QUIRE_ARENA_H
#define QUIRE_ARENA_H

#include <stddef.h>

void *arena_calloc(size_t n, size_t size);
void *arena_realloc(void *p, size_t size);
void arena_free(void *p);
/* Frees everything the calling thread's arena holds. */
void arena_reset(void);
/* Bytes the calling thread's arena holds now (for tests). */
size_t arena_held(void);

#endif
