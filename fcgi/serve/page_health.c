/*
 * page_health.c - "/healthz": liveness, the lease, and what this worker
 * serves
 *
 * A worker that could not confirm its generation with Redis for
 * --lease-seconds (its subscription down, the generation key unread:
 * cut off) answers 503, so a load balancer takes its host out; it
 * serves its pages meanwhile (DESIGN §13, "Several hosts"). A worker
 * whose site is not loaded (app->unsure: no tier has answered since it
 * started) answers 503 too, and so do its pages (DESIGN §2).
 */
#include <stdio.h>
#include <unistd.h>

#include "lib/quire.h"
#include "serve/app.h"
#include "serve/page.h"
#include "serve/sub.h"

int page_health(const struct request *req, struct response *resp)
{
	const struct app *app = req->app;
	const struct site *s = app->site;
	double unconfirmed = sub_unconfirmed_ms(app->sub);
	int expired = unconfirmed > (double)app->op->lease_seconds * 1000.0;

	buf_reset(&resp->body);
	if (app->unsure)
		buf_printf(&resp->body,
			   "{\"status\":\"unhealthy\",\"reason\":\"site not "
			   "loaded: no tier has answered since this worker "
			   "started\",");
	else if (expired)
		buf_printf(&resp->body,
			   "{\"status\":\"unhealthy\",\"reason\":\"generation "
			   "not confirmed with Redis for %.1f s, past the "
			   "lease of %d s\",", unconfirmed / 1000.0,
			   app->op->lease_seconds);
	else
		buf_printf(&resp->body, "{\"status\":\"ok\",");
	buf_printf(&resp->body,
		   "\"worker\":%ld,\"generation\":%lld,\"posts\":%zu,"
		   "\"pages\":%zu,\"unconfirmed_ms\":%.0f,"
		   "\"tiers\":{\"files\":\"ok\"}}\n",
		   (long)getpid(), app->generation, s->n_posts, s->n_pages,
		   unconfirmed);
	if (buf_failed(&resp->body))
		return 500;
	resp->status = expired || app->unsure ? 503 : 200;
	resp->content_type = "application/json";
	resp->cacheable = 0;
	resp->own_error_body = 1;
	return resp->status;
}
