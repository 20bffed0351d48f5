/*
 * slug_settle.h - which file gets which slug when slugs collide
 *
 * One rule for both modes (DESIGN §3, "Shared slugs"): content.c
 * applies it to a load of the folder, deploy.c to a deploy. Slugs are
 * compared ignoring ASCII letter case. A file keeps the slug PostgreSQL
 * already holds for its path (the deploy's memory: a slug once
 * published never changes because another file appears later). Among
 * the others, the earliest date (then the path) gets the slug it asks
 * for; a later post with the same slug on another day is served under
 * "SLUG-YYYY-MM-DD" (then "-2", "-3"... while that is taken), which is
 * reported; the same slug on the same day, an undated post or a page
 * is a duplicate: reported with both paths, not served.
 */
#ifndef QUIRE_SLUG_SETTLE_H
#define QUIRE_SLUG_SETTLE_H

#include <stddef.h>
#include <time.h>

#include "content/post.h"
#include "lib/quire.h"

/* A claim's day when it has none (a page, an undated post), or when it
 * is not known (a file PostgreSQL holds that was not parsed again). */
#define SLUG_DAY_NONE (-1000000000LL)
#define SLUG_DAY_UNKNOWN (-1000000001LL)

/* One file's claim on a slug; the caller fills the first five fields. */
struct slug_claim {
	const char *path;        /* for the order and the reports */
	enum post_kind kind;
	const char *wanted;      /* the slug it asks for; NULL: not known */
	const char *held;        /* the slug PostgreSQL holds for path, or NULL */
	long long day;           /* slug_settle_day(), or SLUG_DAY_* */
	/* Set by slug_settle(): the slug given (malloc'ed; NULL for a
	 * duplicate, reported), and whether it is not the one wanted. */
	char *slug;
	int renamed;
};

/* The UTC day of date when has_date, else SLUG_DAY_NONE. */
long long slug_settle_day(time_t date, int has_date);

/*
 * Settles v[0..n), given in path order: every claim gets its slug, or
 * none (a duplicate, reported as "PATH:1:1: duplicate slug ..." and
 * counted in *n_errors). Each new suffix is reported ("PATH:1:1: slug
 * "S" is also given by ...: served as "S-2016-10-20"") and counted in
 * *n_renamed. A claim with no wanted slug (not parsed) keeps its held
 * one, or is a duplicate. kinds_apart: a page and a post may share a
 * slug (embedded mode: each has its own URL); else one namespace (a
 * deploy: the slug is PostgreSQL's key). QUIRE_OK or QUIRE_ENOMEM.
 * Free the slugs with slug_settle_release().
 */
enum quire_err slug_settle(struct slug_claim *v, size_t n, int kinds_apart,
			   size_t *n_errors, size_t *n_renamed);
void slug_settle_release(struct slug_claim *v, size_t n);

/*
 * Whether a claim of v[0..n) was given slug (ignoring ASCII case), in
 * the namespace of kind when kinds_apart. A duplicate keeps its last
 * good version (a previous load's, PostgreSQL's row) under its old slug
 * only when that slug went to no other file.
 */
int slug_settle_taken(const struct slug_claim *v, size_t n, int kinds_apart,
		      enum post_kind kind, const char *slug);

#endif
