/*
 * test_metrics.c - the shared counters and the L1-miss histograms, as
 * /metrics renders them (Prometheus text: cumulative buckets, _sum in
 * seconds, _count), summed over every process's slot
 */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/metrics.h"
#include "lib/quire.h"
#include "check.h"

static char *render(void)
{
	struct buf b;

	buf_init(&b);
	metrics_render(&b);
	return buf_detach(&b, NULL);
}

static void test_histogram(void)
{
	char *text;
	pid_t pid;
	int status;

	/* Nothing observed: every bucket of every histogram is 0. */
	text = render();
	CHECK_CONTAINS(text, "# TYPE quire_l1_miss_seconds histogram\n");
	CHECK_CONTAINS(text, "quire_l1_miss_seconds_bucket{body=\"l2\",le=\"0.000100\"} 0\n");
	CHECK_CONTAINS(text, "quire_l1_miss_seconds_count{body=\"l3\"} 0\n");
	free(text);

	/* On a bound counts in that bucket; past the last, only in +Inf. */
	metrics_observe(HIST_MISS_L2, 90);
	metrics_observe(HIST_MISS_L2, 300);
	metrics_observe(HIST_MISS_L2, 301);
	metrics_observe(HIST_MISS_L2, 250000);
	metrics_observe(HIST_MISS_L3, 1200);
	metrics_observe(HIST__MAX, 10); /* not a histogram: ignored */
	/* Another process's slot is summed in too (a worker's, say). */
	pid = fork();
	if (pid == 0) {
		metrics_claim();
		metrics_observe(HIST_MISS_L2, 150);
		_exit(0);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && status == 0);

	text = render();
	CHECK_CONTAINS(text, "quire_l1_miss_seconds_bucket{body=\"l2\",le=\"0.000100\"} 1\n");
	CHECK_CONTAINS(text, "quire_l1_miss_seconds_bucket{body=\"l2\",le=\"0.000200\"} 2\n");
	CHECK_CONTAINS(text, "quire_l1_miss_seconds_bucket{body=\"l2\",le=\"0.000300\"} 3\n");
	CHECK_CONTAINS(text, "quire_l1_miss_seconds_bucket{body=\"l2\",le=\"0.000400\"} 4\n");
	CHECK_CONTAINS(text, "quire_l1_miss_seconds_bucket{body=\"l2\",le=\"0.100000\"} 4\n");
	CHECK_CONTAINS(text, "quire_l1_miss_seconds_bucket{body=\"l2\",le=\"+Inf\"} 5\n");
	CHECK_CONTAINS(text, "quire_l1_miss_seconds_count{body=\"l2\"} 5\n");
	/* 90 + 300 + 301 + 250000 + 150 µs */
	CHECK_CONTAINS(text, "quire_l1_miss_seconds_sum{body=\"l2\"} 0.250841\n");
	CHECK_CONTAINS(text, "quire_l1_miss_seconds_bucket{body=\"l3\",le=\"0.001000\"} 0\n");
	CHECK_CONTAINS(text, "quire_l1_miss_seconds_bucket{body=\"l3\",le=\"0.001500\"} 1\n");
	CHECK_CONTAINS(text, "quire_l1_miss_seconds_count{body=\"none\"} 0\n");
	free(text);
}

int main(void)
{
	CHECK(metrics_init(4) == QUIRE_OK);
	metrics_add(METRIC_L2_HITS, 2);
	test_histogram();
	{
		char *text = render();

		CHECK_CONTAINS(text, "quire_l2_hits_total 2\n");
		free(text);
	}
	return check_done("test_metrics");
}
