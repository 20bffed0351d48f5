/*
 * fuzz_uri.c - REQUEST_URI through uri_parse, then the cache key and the
 * route table for what it accepted, and its query through the API
 * listing's parameters
 */
#include "content/post.h"
#include "serve/page_api.h"
#include "serve/route.h"
#include "serve/uri.h"
#include "tiers/tier_pg.h"
#include "fuzz.h"

/* What the listing took from a query must be within its bounds. */
static void check_list_query(const char *mark)
{
	struct api_list_query q;

	if (page_api_list_query_parse(mark ? mark + 1 : NULL, &q) != 200) {
		if (!q.bad[0])
			abort();
		return;
	}
	if (q.limit < 1 || q.limit > TIER_PG_LIST_MAX ||
	    (q.after[0] && !post_slug_valid(q.after)) ||
	    (q.origin && strcmp(q.origin, "api") != 0 &&
	     strcmp(q.origin, "content") != 0))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct request req;
	char key[QUIRE_MAX_URI + 32];
	size_t n;
	char *s;

	s = fuzz_strndup(data, size);
	if (!s)
		return 0;
	memset(&req.uri, 0, sizeof(req.uri));
	if (uri_parse(s, &req.uri) == 200) {
		if (req.uri.path[0] != '/' ||
		    strlen(req.uri.path) != req.uri.path_len ||
		    req.uri.page < 1 || req.uri.page > QUIRE_MAX_PAGE_NUMBER ||
		    strstr(req.uri.path, "//"))
			abort();
		n = uri_cache_key(&req.uri, key, sizeof(key));
		if (n == 0 || n != strlen(key))
			abort();
		(void)uri_cache_key(&req.uri, key, 8); /* truncation path */
		req.n_params = 0;
		(void)route_pattern(req.uri.path, &req);
		check_list_query(strchr(s, '?'));
	}
	free(s);
	return 0;
}
