/*
 * check.h - the smallest unit-test harness: CHECK counts, failures print
 * where they happened, check_done() gives the exit status automake reads.
 */
#ifndef QUIRE_TESTS_CHECK_H
#define QUIRE_TESTS_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures;
static int check_count;

#define CHECK(cond) do { \
	check_count++; \
	if (!(cond)) { \
		check_failures++; \
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
	} \
} while (0)

#define CHECK_STR(got, want) do { \
	const char *check_g = (got), *check_w = (want); \
	check_count++; \
	if (!check_g || !check_w || strcmp(check_g, check_w) != 0) { \
		check_failures++; \
		fprintf(stderr, "%s:%d: check failed: %s\n  got:  \"%s\"\n  want: \"%s\"\n", \
			__FILE__, __LINE__, #got, check_g ? check_g : "(null)", \
			check_w ? check_w : "(null)"); \
	} \
} while (0)

#define CHECK_CONTAINS(hay, needle) do { \
	const char *check_h = (hay), *check_n = (needle); \
	check_count++; \
	if (!check_h || !strstr(check_h, check_n)) { \
		check_failures++; \
		fprintf(stderr, "%s:%d: check failed: %s does not contain \"%s\"\n  in: \"%s\"\n", \
			__FILE__, __LINE__, #hay, check_n, check_h ? check_h : "(null)"); \
	} \
} while (0)

static inline int check_done(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, check_count, check_failures);
	return check_failures ? 1 : 0;
}

#endif
