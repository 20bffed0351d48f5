/*
 * page_metrics.c - "/metrics": the counters in Prometheus text
 */
#include <string.h>

#include "lib/metrics.h"
#include "serve/page.h"

/* Only from the machine itself: the counters say how the site is used
 * and are nobody else's business. */
static int loopback(const char *addr)
{
	return addr && (strncmp(addr, "127.", 4) == 0 || strcmp(addr, "::1") == 0 ||
			strncmp(addr, "::ffff:127.", 11) == 0);
}

int page_metrics(const struct request *req, struct response *resp)
{
	if (!loopback(req->remote_addr))
		return page_not_found(req, resp);
	buf_reset(&resp->body);
	metrics_render(&resp->body);
	if (buf_failed(&resp->body))
		return 500;
	resp->status = 200;
	resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
	resp->cacheable = 0;
	return 200;
}
