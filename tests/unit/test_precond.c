/*
 * test_precond.c - If-Match and If-None-Match as a condition on a
 * post's revision (lib/precond.c): what each header asks, the rule
 * precond_check() applies (and tier_pg_write's SQL with it), and which
 * conditions precond_valid() lets through the committer's wire.
 */
#include <limits.h>
#include <string.h>

#include "lib/limits.h"
#include "lib/precond.h"
#include "lib/quire.h"
#include "check.h"

/* The condition of the two headers; aborts the checks when they do not
 * parse. */
static struct precond of(const char *im, const char *inm)
{
	struct precond c;
	const char *bad = "x";

	CHECK(precond_parse(im, inm, &c, &bad) == QUIRE_OK);
	CHECK(bad == NULL);
	CHECK(precond_valid(&c));
	return c;
}

/* What c says of no post (0) and of revisions 1 to 4: "H" holds, "M"
 * If-Match fails, "N" If-None-Match fails. */
static const char *says(const struct precond *c)
{
	static char s[6];
	long long r;

	for (r = 0; r <= 4; r++) {
		enum precond_result x = precond_check(c, r);

		s[r] = x == PRECOND_HOLDS ? 'H' : x == PRECOND_FAILS_MATCH ? 'M' : 'N';
	}
	s[5] = '\0';
	return s;
}

static void test_revision(void)
{
	CHECK(precond_revision("3", 1) == 3);
	CHECK(precond_revision("1234567890", 10) == 1234567890LL);
	CHECK(precond_revision("9223372036854775807", 19) == LLONG_MAX);
	CHECK(precond_revision("9223372036854775808", 19) == 0);
	CHECK(precond_revision("99999999999999999999", 20) == 0);
	CHECK(precond_revision("0", 1) == 0);
	CHECK(precond_revision("03", 2) == 0);
	CHECK(precond_revision("", 0) == 0);
	CHECK(precond_revision("-1", 2) == 0);
	CHECK(precond_revision("+1", 2) == 0);
	CHECK(precond_revision("3a", 2) == 0);
	CHECK(precond_revision("any-other-tag", 13) == 0);
}

static void test_none(void)
{
	struct precond c = of(NULL, NULL);

	CHECK(precond_is_none(&c));
	CHECK_STR(says(&c), "HHHHH");
	/* An empty If-None-Match asks nothing either. */
	c = of(NULL, "");
	CHECK(precond_is_none(&c));
	CHECK_STR(says(&c), "HHHHH");
}

static void test_if_match(void)
{
	struct precond c;

	c = of("*", NULL);
	CHECK(c.flags == PRECOND_EXISTS && !precond_is_none(&c));
	CHECK_STR(says(&c), "MHHHH");
	c = of("\"3\"", NULL);
	CHECK(c.n_match == 1 && c.match[0] == 3);
	CHECK_STR(says(&c), "MMMHM");
	c = of("\"3\", \"1\"", NULL);
	CHECK_STR(says(&c), "MHMHM");
	/* Strong comparison: a weak tag matches nothing, nor does a tag
	 * that is no revision; a list of them holds for no post. */
	c = of("W/\"3\"", NULL);
	CHECK(c.n_match == 0 && (c.flags & PRECOND_MATCH));
	CHECK_STR(says(&c), "MMMMM");
	c = of("\"any-other-tag\"", NULL);
	CHECK_STR(says(&c), "MMMMM");
	c = of("\"03\"", NULL);
	CHECK_STR(says(&c), "MMMMM");
	c = of("W/\"1\", \"x\", \"2\"", NULL);
	CHECK(c.n_match == 1 && c.match[0] == 2);
	CHECK_STR(says(&c), "MMHMM");
	/* An empty If-Match: a list of no tags matches nothing. */
	c = of("", NULL);
	CHECK_STR(says(&c), "MMMMM");
}

static void test_if_none_match(void)
{
	struct precond c;

	c = of(NULL, "*");
	CHECK(c.flags == PRECOND_ABSENT);
	CHECK_STR(says(&c), "HNNNN");
	c = of(NULL, "\"2\"");
	CHECK(c.flags == 0 && c.n_none == 1 && !precond_is_none(&c));
	CHECK_STR(says(&c), "HHNHH");
	/* Weak comparison: W/"2" is "2". */
	c = of(NULL, "W/\"2\", \"4\", \"x\"");
	CHECK(c.n_none == 2);
	CHECK_STR(says(&c), "HHNHN");
}

static void test_both(void)
{
	struct precond c;

	/* If-Match is evaluated first (RFC 9110 §13.2.2). */
	c = of("\"2\"", "\"2\"");
	CHECK_STR(says(&c), "MMNMM");
	c = of("\"2\", \"3\"", "\"3\"");
	CHECK_STR(says(&c), "MMHNM");
	c = of("*", "*");
	CHECK_STR(says(&c), "MNNNN");
}

static void test_bad(void)
{
	struct precond c;
	const char *bad;
	char many[512];
	size_t i, n = 0;

	CHECK(precond_parse("3", NULL, &c, &bad) == QUIRE_EPARSE);
	CHECK_STR(bad, "If-Match");
	CHECK(precond_is_none(&c));
	CHECK(precond_parse("\"3\"", "**", &c, &bad) == QUIRE_EPARSE);
	CHECK_STR(bad, "If-None-Match");
	CHECK(precond_is_none(&c)); /* not half of it */
	for (i = 0; i <= QUIRE_MAX_ETAGS; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, "\"%zu\",", i + 1);
	CHECK(precond_parse(NULL, many, &c, &bad) == QUIRE_ETOOBIG);
	CHECK_STR(bad, "If-None-Match");
}

static void test_valid(void)
{
	struct precond c;

	memset(&c, 0, sizeof(c));
	CHECK(precond_valid(&c));
	c.flags = PRECOND_FLAGS;
	CHECK(precond_valid(&c));
	c.flags = 8;
	CHECK(!precond_valid(&c));
	c.flags = PRECOND_MATCH;            /* MATCH needs EXISTS */
	CHECK(!precond_valid(&c));
	c.flags = PRECOND_EXISTS;
	c.n_match = 1;                      /* revisions need MATCH */
	c.match[0] = 1;
	CHECK(!precond_valid(&c));
	c.flags |= PRECOND_MATCH;
	CHECK(precond_valid(&c));
	c.match[0] = 0;                     /* revisions start at 1 */
	CHECK(!precond_valid(&c));
	c.match[0] = 1;
	c.n_none = QUIRE_MAX_ETAGS + 1;
	CHECK(!precond_valid(&c));
	c.n_none = 1;
	c.none[0] = -5;
	CHECK(!precond_valid(&c));
}

static void test_from_expect(void)
{
	struct precond c;

	CHECK(precond_from_expect(-1, &c) == QUIRE_OK && precond_is_none(&c));
	CHECK(precond_from_expect(0, &c) == QUIRE_OK);
	CHECK_STR(says(&c), "HNNNN");
	CHECK(precond_from_expect(3, &c) == QUIRE_OK);
	CHECK_STR(says(&c), "MMMHM");
	CHECK(precond_from_expect(-2, &c) == QUIRE_EINVAL);
}

int main(void)
{
	test_revision();
	test_none();
	test_if_match();
	test_if_none_match();
	test_both();
	test_bad();
	test_valid();
	test_from_expect();
	return check_done("test_precond");
}
