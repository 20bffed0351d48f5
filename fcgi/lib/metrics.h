/*
 * metrics.h - counters shared by the master and its workers, and their
 * Prometheus text form (/metrics)
 *
 * One anonymous shared mapping made before the first fork holds a slot
 * of counters per process; a process only ever adds to its own slot, so
 * the hot path is one relaxed atomic add and no lock. /metrics, served
 * by whichever worker nginx picks, sums every slot, so the figures are
 * the whole pool's. A slot outlives its process: a restarted worker
 * takes over a dead one's slot and its counters keep growing, as
 * Prometheus counters must.
 */
#ifndef QUIRE_METRICS_H
#define QUIRE_METRICS_H

#include <stdint.h>

#include "lib/buf.h"
#include "lib/quire.h"

enum metric {
	METRIC_REQUESTS = 0,     /* requests answered */
	METRIC_RESP_2XX,         /* responses by class */
	METRIC_RESP_3XX,
	METRIC_RESP_4XX,
	METRIC_RESP_5XX,
	METRIC_L1_HITS,          /* answered from the worker's L1 */
	METRIC_L1_MISSES,        /* rendered (L1 miss or stale) */
	METRIC_L2_HITS,          /* post bodies found in Redis */
	METRIC_L2_MISSES,
	METRIC_L2_ERRORS,
	METRIC_L2_STALE,         /* Redis copies other than the index's */
	METRIC_L3_HITS,          /* post bodies read from PostgreSQL */
	METRIC_L3_MISSES,
	METRIC_L3_ERRORS,
	METRIC_STALE_SERVED,     /* stale L1 copies served, tiers down */
	METRIC_INVALIDATIONS,    /* updates applied from the channel */
	METRIC_FULL_RELOADS,     /* whole-site reloads (generation gap) */
	METRIC_RELOADS,          /* SIGHUP reloads of the master */
	METRIC_WORKER_STARTS,    /* workers started (restarts included) */
	METRIC_API_WRITES,       /* API writes committed */
	METRIC_API_AUTH_FAILURES, /* API requests with a wrong token */
	METRIC_API_THROTTLED,    /* API requests refused 429 */
	METRIC__MAX
};

/* Histograms: how long a worker took to answer an L1 miss, from the
 * connection accepted to the answer written, by where the post body came
 * from (a page with none, or one held in memory, is "none"). */
enum hist {
	HIST_MISS_L2 = 0,        /* the body read from Redis */
	HIST_MISS_L3,            /* the body read from PostgreSQL */
	HIST_MISS_NONE,          /* no body read */
	HIST__MAX
};
#define METRICS_BUCKETS 15       /* bounds in metrics.c, then +Inf */

/* Maps the slots; call once, in the master, before any fork. Returns
 * QUIRE_OK or QUIRE_ENOMEM. Until then metrics_add does nothing. */
enum quire_err metrics_init(unsigned slots);
/* Takes a slot for this process (a free one, or a dead process's). */
void metrics_claim(void);
void metrics_add(enum metric m, uint64_t n);
/* Counts one observation of us microseconds in histogram h. */
void metrics_observe(enum hist h, double us);
/* Appends every metric, summed over the slots, in the Prometheus text
 * exposition format (version 0.0.4). */
void metrics_render(struct buf *out);

#endif
