/*
 * fuzz_uri.c - REQUEST_URI through uri_parse, then the cache key and the
 * route table for what it accepted (the API listing's query is
 * fuzz_api.c's)
 */
#include "serve/route.h"
#include "serve/uri.h"
#include "fuzz.h"

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
	}
	free(s);
	return 0;
}
