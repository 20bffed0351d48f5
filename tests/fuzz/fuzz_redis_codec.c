/*
 * fuzz_redis_codec.c - the bytes of the Redis tier: the input as an
 * index entry (which must encode back to the same bytes, a version 1
 * one as version 2), as a
 * connection URL, as an invalidation message (which must format back and
 * parse again to the same thing), as a worker value, and split at NUL bytes
 * into the fields of a post hash
 */
#include "content/record.h"
#include "lib/quire.h"
#include "tiers/tier_redis_codec.h"
#include "fuzz.h"

static void free_slugs(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void index_entry(const uint8_t *data, size_t size)
{
	struct record *rec = NULL;
	char *enc = NULL;
	size_t len = 0;

	if (tier_redis_codec_index_parse("fuzz", (const char *)data, size, &rec) !=
	    QUIRE_OK)
		return;
	/* An entry we accept is one we would have written: a version 2
	 * one byte for byte; a version 1 one (written before the summary)
	 * as version 2 with no summary, its bytes and a 0 length after. */
	if (tier_redis_codec_index_encode(rec, &enc, &len) == QUIRE_OK &&
	    (data[3] == '1' ?
	     len != size + 4 || memcmp(enc, "QIX2", 4) != 0 ||
	     memcmp(enc + 4, data + 4, size - 4) != 0 ||
	     memcmp(enc + size, "\0\0\0\0", 4) != 0 :
	     len != size || memcmp(enc, data, size) != 0))
		abort();
	free(enc);
	record_free(rec);
}

static void invalidation(const char *s)
{
	long long gen, gen2;
	char **slugs = NULL, **slugs2 = NULL, *msg = NULL;
	size_t n, n2, len, i;
	int all, all2;

	if (tier_redis_codec_invalidation_parse(s, &gen, &slugs, &n, &all) !=
	    QUIRE_OK)
		return;
	if (tier_redis_codec_invalidation_format(gen, (const char *const *)slugs, n,
						 all, &msg, &len) != QUIRE_OK)
		abort();
	if (tier_redis_codec_invalidation_parse(msg, &gen2, &slugs2, &n2, &all2) !=
	    QUIRE_OK || gen2 != gen || n2 != n || all2 != all)
		abort();
	for (i = 0; i < n; i++)
		if (strcmp(slugs[i], slugs2[i]) != 0)
			abort();
	free(msg);
	free_slugs(slugs, n);
	free_slugs(slugs2, n2);
}

/* First two bytes: which fields are present; the rest, NUL-separated. */
static void fields(const uint8_t *data, size_t size)
{
	const char *val[TIER_REDIS_F__MAX] = { 0 };
	size_t len[TIER_REDIS_F__MAX] = { 0 };
	const char *p, *end, *nl;
	struct record *rec = NULL;
	unsigned mask;
	int i;

	if (size < 2)
		return;
	mask = (unsigned)data[0] | (unsigned)data[1] << 8;
	p = (const char *)data + 2;
	end = (const char *)data + size;
	for (i = 0; i < TIER_REDIS_F__MAX; i++) {
		nl = memchr(p, '\0', (size_t)(end - p));
		if (!nl)
			nl = end;
		if (mask & (1u << i)) {
			val[i] = p;
			len[i] = (size_t)(nl - p);
		}
		p = nl < end ? nl + 1 : end;
	}
	if (tier_redis_codec_fields_decode("fuzz", val, len, &rec) == QUIRE_OK) {
		struct tier_redis_fields f;

		if (tier_redis_codec_fields_encode(rec, &f) != QUIRE_OK)
			abort();
		record_free(rec);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tier_redis_url url;
	long long a, b;
	char *s;

	index_entry(data, size);
	fields(data, size);
	(void)tier_redis_codec_ll_parse((const char *)data, size, &a);
	(void)tier_redis_codec_worker_parse((const char *)data, size, &a, &b);
	s = fuzz_strndup(data, size);
	if (!s)
		return 0;
	(void)tier_redis_codec_url_parse(s, &url);
	invalidation(s);
	free(s);
	return 0;
}
