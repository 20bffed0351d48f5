/*
 * metrics.c - counters shared by the master and its workers
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

#include "lib/metrics.h"
#include "lib/quire.h"

struct slot {
	_Atomic pid_t owner;
	_Atomic uint64_t v[METRIC__MAX];
	/* per histogram: a count per bucket (not cumulative; the last is
	 * +Inf), then the sum of the observations in microseconds */
	_Atomic uint64_t h[HIST__MAX][METRICS_BUCKETS + 2];
};

/* Upper bounds of the buckets, microseconds: an L1 miss from Redis is a
 * few hundred, the bound 1,000. */
static const unsigned bucket_us[] = {
	100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1500, 2000, 5000,
	10000, 100000
};
_Static_assert(sizeof(bucket_us) / sizeof(bucket_us[0]) == METRICS_BUCKETS,
	       "METRICS_BUCKETS (metrics.h) is the number of bounds here");
static const char *const hist_label[HIST__MAX] = { "l2", "l3", "none" };

static struct slot *slots;
static unsigned n_slots;
static struct slot *mine;

/* Name, type and help of each metric, indexed by enum metric. */
static const struct {
	const char *name;
	const char *labels;     /* a response class, or "" */
	const char *type;
	const char *help;
} defs[METRIC__MAX] = {
	{ "quire_requests_total", "", "counter", "Requests answered." },
	{ "quire_responses_total", "code=\"2xx\"", "counter", "Responses by status class." },
	{ "quire_responses_total", "code=\"3xx\"", "counter", NULL },
	{ "quire_responses_total", "code=\"4xx\"", "counter", NULL },
	{ "quire_responses_total", "code=\"5xx\"", "counter", NULL },
	{ "quire_l1_hits_total", "", "counter", "Responses from a worker's L1 cache." },
	{ "quire_l1_misses_total", "", "counter", "Pages rendered: L1 misses and stale entries." },
	{ "quire_l2_hits_total", "", "counter", "Post bodies found in Redis." },
	{ "quire_l2_misses_total", "", "counter", "Post bodies not in Redis." },
	{ "quire_l2_errors_total", "", "counter", "Redis reads that failed." },
	{ "quire_l2_stale_total", "", "counter", "Post bodies Redis had in another revision than the worker's index: read from PostgreSQL instead." },
	{ "quire_l3_hits_total", "", "counter", "Post bodies read from PostgreSQL." },
	{ "quire_l3_misses_total", "", "counter", "Post bodies PostgreSQL did not have." },
	{ "quire_l3_errors_total", "", "counter", "PostgreSQL reads that failed." },
	{ "quire_stale_served_total", "", "counter", "Stale L1 copies served because the tiers failed." },
	{ "quire_invalidations_total", "", "counter", "Updates applied from the invalidation channel." },
	{ "quire_full_reloads_total", "", "counter", "Whole-site reloads by workers (a generation gap)." },
	{ "quire_reloads_total", "", "counter", "SIGHUP reloads of the master." },
	{ "quire_worker_starts_total", "", "counter", "Workers started, restarts included." },
	{ "quire_api_writes_total", "", "counter", "Writes of the HTTP API committed." },
	{ "quire_api_auth_failures_total", "", "counter", "Requests of the HTTP API with a wrong token." },
	{ "quire_api_throttled_total", "", "counter", "Requests of the HTTP API refused 429: too many wrong tokens from their address." },
};

enum quire_err metrics_init(unsigned count)
{
	void *p;

	if (slots)
		return QUIRE_OK;
	p = mmap(NULL, (size_t)count * sizeof(*slots), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return QUIRE_ENOMEM;
	slots = p; /* mmap zero-fills */
	n_slots = count;
	metrics_claim();
	return QUIRE_OK;
}

void metrics_claim(void)
{
	pid_t me = getpid(), owner;
	unsigned i;

	if (!slots)
		return;
	if (mine && atomic_load(&mine->owner) == me)
		return;
	for (i = 0; i < n_slots; i++) {
		owner = atomic_load(&slots[i].owner);
		if (owner != 0 && owner != me &&
		    (kill(owner, 0) == 0 || errno != ESRCH))
			continue;
		if (atomic_compare_exchange_strong(&slots[i].owner, &owner, me)) {
			mine = &slots[i];
			return;
		}
	}
	mine = NULL; /* all taken by live processes: count nothing */
}

void metrics_add(enum metric m, uint64_t n)
{
	if (mine && m < METRIC__MAX)
		atomic_fetch_add_explicit(&mine->v[m], n, memory_order_relaxed);
}

void metrics_observe(enum hist h, double us)
{
	unsigned b = 0;

	if (!mine || h >= HIST__MAX)
		return;
	if (us < 0)
		us = 0;
	while (b < METRICS_BUCKETS && us > bucket_us[b])
		b++;
	atomic_fetch_add_explicit(&mine->h[h][b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&mine->h[h][METRICS_BUCKETS + 1],
				  (uint64_t)(us + 0.5), memory_order_relaxed);
}

/* One histogram summed over the slots, as Prometheus's cumulative
 * buckets, _sum (seconds) and _count. */
static void render_hist(struct buf *out, enum hist h)
{
	uint64_t n[METRICS_BUCKETS + 2] = { 0 }, cum = 0;
	char le[24];
	unsigned i, b;

	for (i = 0; slots && i < n_slots; i++)
		for (b = 0; b < METRICS_BUCKETS + 2; b++)
			n[b] += atomic_load_explicit(&slots[i].h[h][b],
						     memory_order_relaxed);
	for (b = 0; b <= METRICS_BUCKETS; b++) {
		cum += n[b];
		if (b < METRICS_BUCKETS)
			snprintf(le, sizeof(le), "%u.%06u", bucket_us[b] / 1000000,
				 bucket_us[b] % 1000000);
		else
			snprintf(le, sizeof(le), "+Inf");
		buf_printf(out, "quire_l1_miss_seconds_bucket{body=\"%s\",le=\"%s\"} "
			   "%llu\n", hist_label[h], le, (unsigned long long)cum);
	}
	buf_printf(out, "quire_l1_miss_seconds_sum{body=\"%s\"} %llu.%06llu\n",
		   hist_label[h], (unsigned long long)(n[METRICS_BUCKETS + 1] / 1000000),
		   (unsigned long long)(n[METRICS_BUCKETS + 1] % 1000000));
	buf_printf(out, "quire_l1_miss_seconds_count{body=\"%s\"} %llu\n",
		   hist_label[h], (unsigned long long)cum);
}

void metrics_render(struct buf *out)
{
	uint64_t sum;
	unsigned i, m;

	for (m = 0; m < METRIC__MAX; m++) {
		sum = 0;
		for (i = 0; slots && i < n_slots; i++)
			sum += atomic_load_explicit(&slots[i].v[m], memory_order_relaxed);
		if (defs[m].help)
			buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", defs[m].name,
				   defs[m].help, defs[m].name, defs[m].type);
		if (defs[m].labels[0])
			buf_printf(out, "%s{%s} %llu\n", defs[m].name, defs[m].labels,
				   (unsigned long long)sum);
		else
			buf_printf(out, "%s %llu\n", defs[m].name,
				   (unsigned long long)sum);
	}
	buf_printf(out, "# HELP quire_l1_miss_seconds Time a worker took to answer "
		   "an L1 miss, from the connection accepted to the answer "
		   "written, by where the post body came from.\n"
		   "# TYPE quire_l1_miss_seconds histogram\n");
	for (m = 0; m < HIST__MAX; m++)
		render_hist(out, (enum hist)m);
}
