/*
 * page_metrics.c - "/metrics": the counters in Prometheus text
 *
 * The counters say how the site is used and are nobody else's business,
 * so they are served only where the operator said so: on a request the
 * web server marked with the FastCGI parameter QUIRE_METRICS=1 (the
 * templates' metrics listener, on loopback). The client's address would
 * prove nothing: behind a TLS terminator or proxy on the same machine
 * every client is 127.0.0.1. Closed by default: unmarked, it is the 404
 * page, like any unknown path.
 */
#include "lib/metrics.h"
#include "serve/page.h"

int page_metrics(const struct request *req, struct response *resp)
{
	if (!req->metrics_allowed)
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
