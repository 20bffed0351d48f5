/*
 * test_etag.c - entity-tag lists (lib/etag.c): If-Match and
 * If-None-Match values as RFC 9110 §8.8.3 and §13.1 write them
 *
 * Single tags, lists, "*", weak tags, blanks, empty values and empty
 * elements are taken; garbage is refused with QUIRE_EPARSE, a value
 * past the bounds with QUIRE_ETOOBIG; comparisons are strong or weak as
 * asked.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/etag.h"
#include "lib/limits.h"
#include "lib/quire.h"
#include "check.h"

static enum quire_err parse(const char *v, struct etag_list *l)
{
	return etag_list_parse(v, strlen(v), l);
}

/* Tag i of l is opaque, weak or not. */
static int tag_is(const struct etag_list *l, size_t i, const char *opaque,
		  int weak)
{
	return i < l->n && l->tag[i].weak == weak &&
	       l->tag[i].len == strlen(opaque) &&
	       memcmp(l->tag[i].opaque, opaque, l->tag[i].len) == 0;
}

static void test_single(void)
{
	struct etag_list l;

	CHECK(parse("\"3\"", &l) == QUIRE_OK);
	CHECK(!l.any && l.n == 1 && tag_is(&l, 0, "3", 0));
	CHECK(parse("W/\"3\"", &l) == QUIRE_OK);
	CHECK(l.n == 1 && tag_is(&l, 0, "3", 1));
	CHECK(parse("\"any-other-tag\"", &l) == QUIRE_OK);
	CHECK(l.n == 1 && tag_is(&l, 0, "any-other-tag", 0));
	/* The empty opaque-tag is a tag. */
	CHECK(parse("\"\"", &l) == QUIRE_OK);
	CHECK(l.n == 1 && tag_is(&l, 0, "", 0));
	/* Every byte etagc allows: '!', '#' to '~', and obs-text. */
	CHECK(parse("\"!#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~\x80\xff\"", &l) ==
	      QUIRE_OK);
	CHECK(l.n == 1 && l.tag[0].len == 39);
}

static void test_list(void)
{
	struct etag_list l;

	CHECK(parse("\"3\", \"7\"", &l) == QUIRE_OK);
	CHECK(l.n == 2 && tag_is(&l, 0, "3", 0) && tag_is(&l, 1, "7", 0));
	CHECK(parse("\"1\",W/\"2\",\"x\"", &l) == QUIRE_OK);
	CHECK(l.n == 3 && tag_is(&l, 1, "2", 1) && tag_is(&l, 2, "x", 0));
	/* A comma inside the quotes is the tag's, not the list's. */
	CHECK(parse("\"a,b\", \"c\"", &l) == QUIRE_OK);
	CHECK(l.n == 2 && tag_is(&l, 0, "a,b", 0) && tag_is(&l, 1, "c", 0));
}

static void test_star(void)
{
	struct etag_list l;

	CHECK(parse("*", &l) == QUIRE_OK);
	CHECK(l.any && l.n == 0);
	CHECK(parse(" \t* \t", &l) == QUIRE_OK);
	CHECK(l.any);
	/* "*" stands alone. */
	CHECK(parse("*, \"3\"", &l) == QUIRE_EPARSE);
	CHECK(parse("\"3\", *", &l) == QUIRE_EPARSE);
	CHECK(parse("*,", &l) == QUIRE_EPARSE);
	CHECK(parse("**", &l) == QUIRE_EPARSE);
	CHECK(parse("*x", &l) == QUIRE_EPARSE);
	CHECK(parse("* *", &l) == QUIRE_EPARSE);
	CHECK(!l.any && l.n == 0); /* an error leaves an empty list */
}

static void test_blanks_and_empty(void)
{
	struct etag_list l;

	CHECK(parse("  \"3\"  ", &l) == QUIRE_OK);
	CHECK(l.n == 1 && tag_is(&l, 0, "3", 0));
	CHECK(parse("\t\"3\"\t,\t W/\"4\" \t", &l) == QUIRE_OK);
	CHECK(l.n == 2 && tag_is(&l, 1, "4", 1));
	/* Empty elements are ignored (RFC 9110 §5.6.1). */
	CHECK(parse(", ,\"3\",, ,\"4\",", &l) == QUIRE_OK);
	CHECK(l.n == 2 && tag_is(&l, 0, "3", 0) && tag_is(&l, 1, "4", 0));
	/* An empty value, or one of blanks and commas: a list of none. */
	CHECK(parse("", &l) == QUIRE_OK);
	CHECK(!l.any && l.n == 0);
	CHECK(parse(" , \t,", &l) == QUIRE_OK);
	CHECK(!l.any && l.n == 0);
	CHECK(etag_list_parse(NULL, 0, &l) == QUIRE_OK && l.n == 0);
}

static void test_garbage(void)
{
	static const char *const bad[] = {
		"3", "\"3", "3\"", "\"3\" \"4\"", "\"3\"\"4\"", "\"3\"x",
		"\"a\"b", "W/", "W/3", "W/ \"3\"", "w/\"3\"", "W\"3\"", "/\"3\"",
		"\"\"\"", "\"a b\"", "\"a\tb\"", "\"1\";\"2\"", "'3'", "\"3\" ;",
		"W/W/\"3\"", "\"3\",W/", "\x01", "\"\x7f\"", "\"3\",4",
	};
	struct etag_list l;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i], &l) != QUIRE_EPARSE)
			fprintf(stderr, "accepted: [%s]\n", bad[i]);
		CHECK(parse(bad[i], &l) == QUIRE_EPARSE);
		CHECK(!l.any && l.n == 0);
	}
	/* A NUL inside the value (it is counted, not a string's end). */
	CHECK(etag_list_parse("\"a\0b\"", 5, &l) == QUIRE_EPARSE);
	CHECK(etag_list_parse("\"3\"\0", 4, &l) == QUIRE_EPARSE);
	CHECK(etag_list_parse(NULL, 1, &l) == QUIRE_EPARSE);
}

static void test_too_long(void)
{
	char v[QUIRE_MAX_HEADER + 2];
	struct etag_list l;
	size_t i, n = 0;

	/* QUIRE_MAX_ETAGS tags, then one more. */
	for (i = 0; i < QUIRE_MAX_ETAGS; i++)
		n += (size_t)snprintf(v + n, sizeof(v) - n, "%s\"%zu\"", i ? ", " : "", i);
	CHECK(parse(v, &l) == QUIRE_OK);
	CHECK(l.n == QUIRE_MAX_ETAGS && tag_is(&l, QUIRE_MAX_ETAGS - 1, "31", 0));
	snprintf(v + n, sizeof(v) - n, ", \"x\"");
	CHECK(parse(v, &l) == QUIRE_ETOOBIG);
	CHECK(l.n == 0);
	/* Empty elements do not count: a long run of commas is fine ... */
	memset(v, ',', QUIRE_MAX_HEADER);
	v[QUIRE_MAX_HEADER] = '\0';
	CHECK(parse(v, &l) == QUIRE_OK && l.n == 0);
	/* ... up to QUIRE_MAX_HEADER bytes; one tag that long too. */
	v[0] = '"';
	memset(v + 1, 'a', QUIRE_MAX_HEADER - 2);
	v[QUIRE_MAX_HEADER - 1] = '"';
	CHECK(parse(v, &l) == QUIRE_OK && l.n == 1 &&
	      l.tag[0].len == QUIRE_MAX_HEADER - 2);
	v[QUIRE_MAX_HEADER - 1] = 'a';
	v[QUIRE_MAX_HEADER] = '"';
	v[QUIRE_MAX_HEADER + 1] = '\0';
	CHECK(parse(v, &l) == QUIRE_ETOOBIG);
}

static void test_has(void)
{
	struct etag_list l;

	CHECK(parse("\"1\", W/\"2\"", &l) == QUIRE_OK);
	/* Strong comparison: a weak tag never matches. */
	CHECK(etag_list_has(&l, "1", 1, 0));
	CHECK(!etag_list_has(&l, "2", 1, 0));
	/* Weak comparison: it does. */
	CHECK(etag_list_has(&l, "1", 1, 1));
	CHECK(etag_list_has(&l, "2", 1, 1));
	CHECK(!etag_list_has(&l, "3", 1, 1));
	CHECK(!etag_list_has(&l, "12", 2, 1));
	CHECK(!etag_list_has(&l, "", 0, 1));
	CHECK(parse("*", &l) == QUIRE_OK);
	CHECK(etag_list_has(&l, "anything", 8, 0));
	CHECK(parse("", &l) == QUIRE_OK);
	CHECK(!etag_list_has(&l, "1", 1, 1));
}

int main(void)
{
	test_single();
	test_list();
	test_star();
	test_blanks_and_empty();
	test_garbage();
	test_too_long();
	test_has();
	return check_done("test_etag");
}
