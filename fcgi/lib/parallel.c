/*
 * parallel.c - one loop spread over a few threads
 *
 * Item i goes to thread i % threads: neighbouring items (files of one
 * folder, posts of similar size) are spread evenly without a queue.
 */
#include <pthread.h>
#include <unistd.h>

#include "lib/parallel.h"

struct part {
	void (*fn)(void *ctx, size_t i);
	void *ctx;
	size_t n, first, step;   /* items first, first + step, ... below n */
};

static void *run_part(void *arg)
{
	struct part *p = arg;
	size_t i;

	for (i = p->first; i < p->n; i += p->step)
		p->fn(p->ctx, i);
	return NULL;
}

size_t parallel_threads(size_t n, size_t min_per_thread)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	size_t n_threads = min_per_thread ? n / min_per_thread : n;

	if (n_threads > (size_t)(cores > 0 ? cores : 1))
		n_threads = (size_t)(cores > 0 ? cores : 1);
	if (n_threads > PARALLEL_THREADS_MAX)
		n_threads = PARALLEL_THREADS_MAX;
	return n_threads < 1 ? 1 : n_threads;
}

void parallel_for(size_t n, size_t min_per_thread,
		  void (*fn)(void *ctx, size_t i), void *ctx)
{
	struct part parts[PARALLEL_THREADS_MAX];
	pthread_t th[PARALLEL_THREADS_MAX];
	size_t t, n_threads = parallel_threads(n, min_per_thread), started = 1;

	for (t = 0; t < n_threads; t++) {
		parts[t].fn = fn;
		parts[t].ctx = ctx;
		parts[t].n = n;
		parts[t].first = t;
		parts[t].step = n_threads;
	}
	for (t = 1; t < n_threads; t++) {
		if (pthread_create(&th[t], NULL, run_part, &parts[t]) != 0)
			break;
		started++;
	}
	run_part(&parts[0]);
	for (t = 1; t < started; t++)
		pthread_join(th[t], NULL);
	for (t = started; t < n_threads; t++)
		run_part(&parts[t]);
}
