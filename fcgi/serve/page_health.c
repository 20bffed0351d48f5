/*
 * page_health.c - "/healthz": liveness and what this worker serves
 */
#include <stdio.h>
#include <unistd.h>

#include "lib/quire.h"
#include "serve/app.h"
#include "serve/page.h"

int page_health(const struct request *req, struct response *resp)
{
	const struct site *s = req->app->site;

	buf_reset(&resp->body);
	buf_printf(&resp->body,
		   "{\"status\":\"ok\",\"worker\":%ld,\"posts\":%zu,"
		   "\"pages\":%zu,\"tiers\":{\"files\":\"ok\"}}\n",
		   (long)getpid(), s->n_posts, s->n_pages);
	if (buf_failed(&resp->body))
		return 500;
	resp->status = 200;
	resp->content_type = "application/json";
	resp->cacheable = 0;
	return 200;
}
