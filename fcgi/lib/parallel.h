/*
 * parallel.h - one loop spread over a few threads
 */
#ifndef QUIRE_PARALLEL_H
#define QUIRE_PARALLEL_H

#include <stddef.h>

/* Threads a loop uses at most (and never more than the cores online). */
#define PARALLEL_THREADS_MAX 4

/*
 * Calls fn(ctx, i) once for every i below n, on up to one thread per core
 * (at most PARALLEL_THREADS_MAX), each taking at least min_per_thread
 * items: below that, starting a thread costs more than it saves. The
 * calling thread takes a share; a thread that cannot be started leaves
 * its share to the caller. fn must be safe to run concurrently with
 * itself on distinct i.
 */
void parallel_for(size_t n, size_t min_per_thread,
		  void (*fn)(void *ctx, size_t i), void *ctx);

/* The threads parallel_for(n, min_per_thread, ...) runs on, the
 * caller's included: what it may need ready before they start. */
size_t parallel_threads(size_t n, size_t min_per_thread);

#endif
