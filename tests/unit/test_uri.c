/*
 * test_uri.c - REQUEST_URI decoding, validation and cache keys
 */
#include <string.h>

#include "check.h"
#include "fcgi/uri.h"

static struct uri u;

static int parse(const char *raw)
{
	return uri_parse(raw, &u);
}

/* uri_query_each's callback: appends "name=value;" to ctx, refuses "no". */
static int collect(const char *name, size_t nlen, const char *value,
		   size_t vlen, void *ctx)
{
	char *out = ctx;
	size_t o = strlen(out);

	if (nlen == 2 && memcmp(name, "no", 2) == 0)
		return 0;
	memcpy(out + o, name, nlen);
	out[o + nlen] = '=';
	memcpy(out + o + nlen + 1, value, vlen);
	memcpy(out + o + nlen + 1 + vlen, ";", 2);
	return 1;
}

static void test_query_each(void)
{
	char got[256], big[QUIRE_MAX_QUERY + 2];

	got[0] = '\0';
	CHECK(uri_query_each("a=1&b=&c&=d&&e=x%20y", collect, got) == 200);
	/* raw: no decoding; a pair without '=' has an empty value */
	CHECK_STR(got, "a=1;b=;c=;=d;=;e=x%20y;");
	got[0] = '\0';
	CHECK(uri_query_each("", collect, got) == 200);
	CHECK_STR(got, "");
	got[0] = '\0';
	CHECK(uri_query_each("a=1&no=2&b=3", collect, got) == 400);
	CHECK_STR(got, "a=1;"); /* stops at the refusal */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	got[0] = '\0';
	CHECK(uri_query_each(big, collect, got) == 400);
	CHECK_STR(got, "");
}

int main(void)
{
	char key[QUIRE_MAX_URI + 32], big[QUIRE_MAX_URI + 10];

	CHECK(parse("/") == 200);
	CHECK_STR(u.path, "/");
	CHECK(u.page == 1);

	CHECK(parse("/posts/hello-world") == 200);
	CHECK_STR(u.path, "/posts/hello-world");
	CHECK(parse("/tags/caf%C3%A9") == 200);
	CHECK_STR(u.path, "/tags/café");
	CHECK(parse("//posts//x") == 200);
	CHECK_STR(u.path, "/posts/x");

	/* Query: page is validated, others ignored. */
	CHECK(parse("/posts/?page=3") == 200);
	CHECK(u.page == 3);
	CHECK_STR(u.path, "/posts/");
	CHECK(parse("/posts/?utm_source=x&page=2&ref=y") == 200);
	CHECK(u.page == 2);
	CHECK(parse("/posts/x?utm=1") == 200);
	CHECK(u.page == 1);
	CHECK(parse("/posts/?page=0") == 400);
	CHECK(parse("/posts/?page=abc") == 400);
	CHECK(parse("/posts/?page=") == 400);
	CHECK(parse("/posts/?page=-1") == 400);
	CHECK(parse("/posts/?page=99999999999") == 400);
	CHECK(parse("/posts/?pages=abc") == 200);
	/* The API's names are its own: not checked on a page. */
	CHECK(parse("/posts/?limit=x&after=%zz&origin=1") == 200);
	test_query_each();

	/* Traversal and malformed escapes, in every encoding. */
	CHECK(parse("/../etc/passwd") == 400);
	CHECK(parse("/posts/..") == 400);
	CHECK(parse("/posts/./x") == 400);
	CHECK(parse("/%2e%2e/etc/passwd") == 400);
	CHECK(parse("/%2E%2E/etc/passwd") == 400);
	CHECK(parse("/posts/a%2fb") == 400);
	CHECK(parse("/posts/a%2Fb") == 400);
	CHECK(parse("/posts/a%00b") == 400);
	CHECK(parse("/posts/a\\b") == 400);
	CHECK(parse("/posts/a%5cb") == 400);
	CHECK(parse("/posts/%zz") == 400);
	CHECK(parse("/posts/%2") == 400);
	CHECK(parse("/posts/%") == 400);
	CHECK(parse("/posts/a%0ab") == 400);
	CHECK(parse("posts") == 400);
	CHECK(parse("") == 400);
	CHECK(uri_parse(NULL, &u) == 400);
	/* A dot inside a name is fine. */
	CHECK(parse("/feed.xml") == 200);
	CHECK(parse("/posts/..hidden") == 200);

	/* Segments: just under and just over the limit. */
	{
		char segs[QUIRE_MAX_PATH_SEGS * 2 + 4];
		int i;

		for (i = 0; i < QUIRE_MAX_PATH_SEGS; i++) {
			segs[2 * i] = '/';
			segs[2 * i + 1] = 'a';
		}
		segs[2 * QUIRE_MAX_PATH_SEGS] = '\0';
		CHECK(parse(segs) == 200);
		segs[2 * QUIRE_MAX_PATH_SEGS] = '/';
		segs[2 * QUIRE_MAX_PATH_SEGS + 1] = 'a';
		segs[2 * QUIRE_MAX_PATH_SEGS + 2] = '\0';
		CHECK(parse(segs) == 400);
	}

	/* Length: just under and just over the limit. */
	memset(big, 'a', sizeof(big));
	big[0] = '/';
	big[QUIRE_MAX_URI] = '\0';
	CHECK(parse(big) == 200);
	big[QUIRE_MAX_URI] = 'a';
	big[QUIRE_MAX_URI + 1] = '\0';
	CHECK(parse(big) == 414);

	/* Cache keys: one per page, whatever else the query says. */
	parse("/posts/?utm=1&page=2");
	CHECK(uri_cache_key(&u, key, sizeof(key)) > 0);
	CHECK_STR(key, "/posts/?page=2");
	parse("/posts/?page=1");
	uri_cache_key(&u, key, sizeof(key));
	CHECK_STR(key, "/posts/");
	parse("/posts/x?a=b");
	uri_cache_key(&u, key, sizeof(key));
	CHECK_STR(key, "/posts/x");
	CHECK(uri_cache_key(&u, key, 3) == 0);
	return check_done("test_uri");
}
