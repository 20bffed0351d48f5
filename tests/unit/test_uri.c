/*
 * test_uri.c - REQUEST_URI decoding, validation and cache keys
 */
#include <string.h>

#include "check.h"
#include "serve/page_api.h"
#include "serve/uri.h"
#include "tiers/tier_pg.h"

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

/* The API listing's parameters (page_api.h), read through uri_query_each. */
static void test_list_query(void)
{
	struct api_list_query q;
	char big[64];

	CHECK(page_api_list_query_parse(NULL, &q) == 200);
	CHECK(q.limit == 100 && q.after[0] == '\0' && q.origin == NULL);
	CHECK(page_api_list_query_parse("limit=2&after=a-b_c.d&origin=api&x=%zz", &q) == 200);
	CHECK(q.limit == 2);
	CHECK_STR(q.after, "a-b_c.d");
	CHECK_STR(q.origin, "api");
	CHECK(page_api_list_query_parse("origin=content&limit=1000", &q) == 200);
	CHECK_STR(q.origin, "content");
	CHECK(q.limit == TIER_PG_LIST_MAX);
	CHECK(page_api_list_query_parse("limit=0001", &q) == 200 && q.limit == 1);
	/* each refused, naming the parameter */
	CHECK(page_api_list_query_parse("limit=0", &q) == 400);
	CHECK(strncmp(q.bad, "limit", 5) == 0);
	CHECK(page_api_list_query_parse("limit=1001", &q) == 400);
	CHECK(page_api_list_query_parse("limit=99999999999999999999999", &q) == 400);
	CHECK(page_api_list_query_parse("limit=", &q) == 400);
	CHECK(page_api_list_query_parse("limit=1x", &q) == 400);
	CHECK(page_api_list_query_parse("limit=-1", &q) == 400);
	CHECK(page_api_list_query_parse("after=Bad%20Slug", &q) == 400);
	CHECK(strncmp(q.bad, "after", 5) == 0);
	/* a slug keeps its case (DESIGN §3) */
	CHECK(page_api_list_query_parse("after=Rust-1.12.1", &q) == 200);
	CHECK_STR(q.after, "Rust-1.12.1");
	CHECK(page_api_list_query_parse("after=caf%C3%A9", &q) == 400);
	/* an upper-case slug too */
	CHECK(page_api_list_query_parse("after=UPPER", &q) == 200);
	memset(big, 'a', sizeof(big));
	memcpy(big, "after=", 6);
	big[sizeof(big) - 1] = '\0';
	CHECK(page_api_list_query_parse(big, &q) == 200); /* 57 bytes: a slug */
	CHECK(page_api_list_query_parse("origin=API", &q) == 400);
	CHECK(strncmp(q.bad, "origin", 6) == 0);
	CHECK(page_api_list_query_parse("origin=", &q) == 400);
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
	test_list_query();

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

	/* WordPress's ?p=ID: read (a number, 1 to 10 digits) and in the
	 * key, so an L1 copy of "/" never answers for it; anything else
	 * named p is ignored like any unknown parameter. */
	CHECK(parse("/?p=123") == 200 && u.wp_id == 123);
	uri_cache_key(&u, key, sizeof(key));
	CHECK_STR(key, "/?p=123");
	CHECK(parse("/blog/?utm=x&p=7&page=2") == 200 && u.wp_id == 7);
	uri_cache_key(&u, key, sizeof(key));
	CHECK_STR(key, "/blog/?p=7");
	CHECK(parse("/?p=abc") == 200 && u.wp_id == 0);
	uri_cache_key(&u, key, sizeof(key));
	CHECK_STR(key, "/");
	CHECK(parse("/?p=0") == 200 && u.wp_id == 0);
	CHECK(parse("/?p=12345678901") == 200 && u.wp_id == 0);
	CHECK(parse("/?p=") == 200 && u.wp_id == 0);
	CHECK(parse("/?p=9999999999") == 200 && u.wp_id == 9999999999LL);
	return check_done("test_uri");
}
