/*
 * sub.h - a worker's invalidation subscriber thread
 *
 * The thread never touches the worker's L1 or site. It listens on the
 * Redis channel, fetches what changed, queues it as an update and bumps
 * an atomic epoch; the request loop checks the epoch before each request
 * and applies the queue when it moved. Only after queueing does the
 * thread acknowledge the generation, so every request that starts after
 * an acknowledgement sees the new content (DESIGN §2).
 *
 * Pub/sub is at-most-once, so correctness rests on the generation key:
 * on every (re)subscribe and every few seconds the thread compares it
 * with what it applied, and a mismatch reloads everything. While
 * subscribed, a key ahead of what was applied is usually a message on its
 * way (writers set the key, then publish): only a generation still not
 * applied at the next comparison counts as missed.
 */
#ifndef QUIRE_SUB_H
#define QUIRE_SUB_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <time.h>

#include "content/content.h"
#include "lib/config.h"
#include "lib/quire.h"

struct tiers;

struct sub_update {
	long long generation;
	struct content *all;      /* a whole new site, or NULL */
	struct post **posts;      /* new versions (no html) of changed posts */
	size_t n_posts;
	char **gone;              /* slugs no longer published */
	size_t n_gone;
	struct sub_update *next;
};

struct tiers_floor;

struct sub {
	const struct config *cfg;
	/* The worker's floor (tiers/tiers_floor.h), shared with its request
	 * loop: what the thread reads from Redis is held to it. */
	struct tiers_floor *floor;
	char worker_id[128];
	pthread_t thread;
	int running;
	pthread_mutex_t lock;
	struct sub_update *head, *tail;  /* under lock */
	atomic_ulong epoch;              /* bumped after each queued update */
	atomic_int stop;
	long long applied;               /* the thread's own view */
	long long ahead;                 /* a key seen ahead of applied at
					    the last comparison, or 0 */
	int unknown_due;                 /* a message of a later format came:
					    reload (sub_reload_unknown) */
	double unknown_at;               /* when that last reloaded (ms) */
	/* A whole reload is owed: one failed (no tier answered), or the
	 * worker started from the files, or from a copy of the site no
	 * tier confirmed, because none answered. Tried again at every turn
	 * of the loop (about a second), not left to the generation
	 * comparisons, which may wait two rounds (10 s); with Redis down,
	 * from PostgreSQL, every second too. */
	int reload_owed;
	/* The lease (DESIGN §13): when this worker last confirmed with
	 * Redis that it holds the current generation (quire_now_ms, so
	 * monotonic): its subscription answered (a message, a PING), or
	 * a comparison of the generation key found it current or
	 * reloaded. Written by the thread, read by /healthz. */
	_Atomic double confirmed_ms;
	int unapplied;                   /* a change was told of and could
					    not be applied: no confirming
					    until a reload succeeds */
	/* The edge cache (DESIGN §6): the request loop polls wake_fd (an
	 * eventfd; -1: no edge cache, acknowledge at once) and stores in
	 * purged the generation it applied and purged nginx for; the
	 * thread acknowledges no generation past it. */
	int wake_fd;
	atomic_llong purged;
	long long edge_acked;            /* the thread's last ack */
};

/* Starts the thread; generation is what the worker serves now, and
 * owed says a whole reload is owed from the start: the worker serves
 * the files, or a site no tier has confirmed, because none answered at
 * its load (app.h). floor (borrowed, may be NULL) is the worker's, which
 * it outlives the thread. With the edge cache, wake_fd is the loop's
 * eventfd and purged what the loop purged nginx for at its start (0:
 * that purge failed); else wake_fd is -1. Returns QUIRE_OK or QUIRE_EIO. */
enum quire_err sub_start(struct sub *s, const struct config *cfg,
			 struct tiers_floor *floor, long long generation,
			 int owed, int wake_fd, long long purged);
/* This process's name in the registry, HOST:PID (out: at least 128
 * bytes, as struct sub's). */
void sub_worker_id(char *out, size_t n);
/* The generation the worker may acknowledge: what it applied, or with
 * the edge cache what the loop also purged nginx for, if lower. */
long long sub_ack_gen(struct sub *s);
/* Takes every queued update, oldest first (caller frees each with
 * sub_update_free). */
struct sub_update *sub_take(struct sub *s);
void sub_update_free(struct sub_update *u);
/* Milliseconds since the worker last confirmed its generation (0 when
 * s runs no thread: nothing to confirm with). */
double sub_unconfirmed_ms(const struct sub *s);
/*
 * Measures the site's clock with t (the caller's tiers: the thread
 * measures with its own at every beat) and keeps its offset. The worker
 * calls it once before its first request, so that it never serves by
 * its own clock while Redis answers. Kept for the whole pool
 * (lib/site_clock.h). QUIRE_OK or what tiers_clock_offset returned (the
 * last offset, if any, is kept).
 */
enum quire_err sub_measure_clock(struct tiers *t);
/*
 * The site's time, seconds since the epoch: scheduled posts are due by
 * it. Redis's clock (the monotonic clock moved by the last offset
 * measured), so that every worker of every host publishes a post at one
 * moment whatever its host's wall clock says or is stepped to: the
 * offset any process of the pool measured last (lib/site_clock.h);
 * this host's wall clock until one did, and when s runs no thread
 * (embedded mode: one host).
 */
time_t sub_site_time(const struct sub *s);
/* Stops the thread, says goodbye to the registry and frees the queue. */
void sub_stop(struct sub *s);

#endif
