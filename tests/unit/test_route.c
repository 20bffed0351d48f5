/*
 * test_route.c - the route table
 */
#include <stdlib.h>

#include "check.h"
#include "content/permalink.h"
#include "serve/route.h"

int main(void)
{
	struct request *req = calloc(1, sizeof(*req));
	static const char *const paths[] = {
		"/", "/posts/", "/tags/", "/tags/x", "/tags/x/feed.xml",
		"/categories/", "/categories/x", "/feed.xml", "/feed.json",
		"/tags/x/feed.json", "/sitemap.xml", "/preview/x",
		"/healthz", "/metrics", "/archives/", "/archives/2024/",
		"/archives/2024/03/", "/authors/", "/authors/x/",
		"/authors/x/feed.xml",
	};
	size_t i;

	if (!req)
		return 1;
	CHECK_STR(route_pattern("/", req), "/");
	CHECK_STR(route_pattern("/posts/", req), "/posts/");
	/* Posts and pages are not routes: their URLs are the site's
	 * (site_path), made by site.yaml's permalinks. */
	CHECK(route_pattern("/posts/hello", req) == NULL);
	CHECK(route_pattern("/pages/about", req) == NULL);
	CHECK_STR(route_pattern("/tags/", req), "/tags/");
	CHECK_STR(route_pattern("/tags/c", req), "/tags/*");
	CHECK_STR(route_pattern("/tags/c/feed.xml", req), "/tags/*/feed.xml");
	CHECK_STR(req->params[0], "c");
	CHECK_STR(route_pattern("/categories/", req), "/categories/");
	CHECK_STR(route_pattern("/categories/news", req), "/categories/*");
	CHECK_STR(route_pattern("/archives/", req), "/archives/");
	CHECK_STR(route_pattern("/archives/2024/", req), "/archives/*/");
	CHECK_STR(req->params[0], "2024");
	CHECK_STR(route_pattern("/archives/2024/03/", req), "/archives/*/*/");
	CHECK_STR(req->params[1], "03");
	CHECK(route_pattern("/archives/2024", req) == NULL);
	CHECK(route_pattern("/archives/2024/03/01/", req) == NULL);
	CHECK_STR(route_pattern("/authors/", req), "/authors/");
	CHECK_STR(route_pattern("/authors/ann-lee/", req), "/authors/*/");
	CHECK_STR(req->params[0], "ann-lee");
	CHECK_STR(route_pattern("/authors/ann-lee/feed.xml", req),
		  "/authors/*/feed.xml");
	CHECK(route_pattern("/authors/ann-lee", req) == NULL);
	CHECK_STR(route_pattern("/feed.xml", req), "/feed.xml");
	CHECK_STR(route_pattern("/feed.json", req), "/feed.json");
	CHECK_STR(route_pattern("/tags/c/feed.json", req), "/tags/*/feed.json");
	CHECK_STR(route_pattern("/sitemap.xml", req), "/sitemap.xml");
	CHECK_STR(route_pattern("/healthz", req), "/healthz");
	CHECK_STR(route_pattern("/metrics", req), "/metrics");
	CHECK_STR(route_pattern("/preview/a-draft", req), "/preview/*");
	CHECK_STR(req->params[0], "a-draft");
	CHECK(route_pattern("/preview/", req) == NULL);
	CHECK(route_pattern("/preview/a/b", req) == NULL);

	/* The other trailing-slash forms are not routes of their own. */
	CHECK(route_pattern("/posts", req) == NULL);
	CHECK(route_pattern("/posts/hello/", req) == NULL);
	CHECK(route_pattern("/tags", req) == NULL);
	CHECK(route_pattern("/posts/a/b", req) == NULL);
	CHECK(route_pattern("/nothing", req) == NULL);
	CHECK(route_pattern("/feed.xml/", req) == NULL);

	/* A worker whose site no tier has confirmed answers only these
	 * from what it holds (worker.c); everything else reads the site. */
	CHECK(!route_needs_site("/healthz"));
	CHECK(!route_needs_site("/metrics"));
	CHECK(route_needs_site("/"));
	CHECK(route_needs_site("/posts/hello"));
	CHECK(route_needs_site("/search"));
	CHECK(route_needs_site("/healthz/"));

	/* Every route is reserved: no permalink may shadow one. */
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		CHECK(route_pattern(paths[i], req) != NULL);
		CHECK(permalink_reserved(paths[i]));
	}
	free(req);
	return check_done("test_route");
}
