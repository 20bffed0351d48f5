/*
 * precond.h - If-Match and If-None-Match as a condition on a revision
 *
 * The write API's ETag of a post is its revision: "N" (N >= 1). The two
 * headers (RFC 9110 §13.1.1-2), parsed by etag.c, become one flat
 * struct precond: small and fixed in size, so it travels to the
 * committer as it is (commit_wire.c) and PostgreSQL checks it inside
 * the statement that writes (tier_pg_write.c), with no window between
 * the check and the write. precond_check() is the same rule in C, for
 * reads and for tests.
 *
 *   If-Match: *            the post exists
 *   If-Match: "3", "7"     it exists at revision 3 or 7 (strong
 *                          comparison: W/"3" and tags that are no
 *                          revision match nothing)
 *   If-None-Match: *       it does not exist
 *   If-None-Match: "3"     it is not at revision 3 (weak comparison:
 *                          W/"3" too); absent is fine
 */
#ifndef QUIRE_PRECOND_H
#define QUIRE_PRECOND_H

#include "lib/limits.h"
#include "lib/quire.h"

#define PRECOND_EXISTS 1u        /* If-Match: the post must exist */
#define PRECOND_ABSENT 2u        /* If-None-Match: *: it must not */
#define PRECOND_MATCH  4u        /* If-Match with tags: at one of match[] */
#define PRECOND_FLAGS  7u        /* every flag */

struct precond {
	unsigned flags;          /* PRECOND_*; 0 and n_none 0: none */
	unsigned n_match;        /* If-Match's strong revisions */
	unsigned n_none;         /* If-None-Match's revisions, weak or not */
	long long match[QUIRE_MAX_ETAGS];
	long long none[QUIRE_MAX_ETAGS];
};

/* Which header's condition failed, in RFC 9110 §13.2.2's order. */
enum precond_result {
	PRECOND_HOLDS,
	PRECOND_FAILS_MATCH,     /* If-Match: 412 */
	PRECOND_FAILS_NONE_MATCH /* If-None-Match: 304 for GET/HEAD, else 412 */
};

/*
 * The condition of the two header values (NULL: absent; "" is a list of
 * no tags, so an empty If-Match holds for nothing). QUIRE_OK, else
 * QUIRE_EPARSE or QUIRE_ETOOBIG (etag_list_parse) with *bad naming the
 * header at fault ("If-Match" or "If-None-Match"); *out is then none.
 */
enum quire_err precond_parse(const char *if_match, const char *if_none_match,
			     struct precond *out, const char **bad);

/* Whether c asks nothing. */
int precond_is_none(const struct precond *c);

/* Whether c holds for a post at revision (0: no such post). */
enum precond_result precond_check(const struct precond *c, long long revision);

/*
 * Whether c is one precond_parse could make: known flags, PRECOND_MATCH
 * with PRECOND_EXISTS, match[] only with PRECOND_MATCH, counts within
 * QUIRE_MAX_ETAGS, revisions >= 1. What the committer's wire refuses.
 */
int precond_valid(const struct precond *c);

/* The revision an opaque-tag names: N >= 1 written in decimal with no
 * leading zero (as quire writes it), else 0. */
long long precond_revision(const char *opaque, size_t len);

/* The older form still used by tier_pg_put and tier_pg_delete: -1 none,
 * 0 must not exist, N must be at revision N. QUIRE_OK or QUIRE_EINVAL. */
enum quire_err precond_from_expect(long long expect, struct precond *out);

#endif
