/*
 * route.h - which handler answers a path
 */
#ifndef QUIRE_ROUTE_H
#define QUIRE_ROUTE_H

#include "serve/page.h"

/*
 * Finds the handler for req->uri.path and runs it, filling resp.
 * A path that matches a route only in its other trailing-slash form, or
 * that is an alias of a post, answers 301 to the canonical URL; an
 * unknown path answers 404. Returns the HTTP status of resp.
 */
int route_dispatch(struct request *req, struct response *resp);

/* Whether the answer for path is made from the site: every path but
 * /healthz and /metrics, which a worker answers whatever it holds. */
int route_needs_site(const char *path);

/* Matches path against the table without running anything; for tests.
 * Returns the route's pattern, or NULL. */
const char *route_pattern(const char *path, struct request *req);

#endif
