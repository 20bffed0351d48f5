/*
 * tiers_floor.h - the version of each post a worker holds or answered:
 * a copy from Redis older than it is never taken again
 *
 * Redis may keep an older copy of a post than PostgreSQL (a store it
 * refused, out of memory: DESIGN §6), and a worker may have answered the
 * newer one, from PostgreSQL, before PostgreSQL went away. Falling back
 * to Redis's copy then would answer older than the worker answered
 * (DESIGN §13, property 4). The floor is the worker's memory of what it
 * holds per slug: every version it took from PostgreSQL (the truth, set
 * as it is, so a slug deleted and written again, whose revisions start
 * again at 1, moves on) and every version it took from Redis (raised
 * only). A Redis copy below it is refused: PostgreSQL is asked, and
 * without PostgreSQL the worker keeps what it has or answers 503.
 *
 * One per worker, shared by its request loop's and its subscriber's
 * tiers handles (tiers_use_floor): every function locks it.
 */
#ifndef QUIRE_TIERS_FLOOR_H
#define QUIRE_TIERS_FLOOR_H

#include <stddef.h>

#include "content/record.h"

/* At most this many slugs are remembered; past it a new slug is not
 * (logged once), and Redis's copies of it are taken as before. */
#define TIERS_FLOOR_MAX (1 << 20)

struct tiers_floor;

/* Returns a new, empty floor, or NULL. */
struct tiers_floor *tiers_floor_new(void);
void tiers_floor_free(struct tiers_floor *f);

/* A version of slug taken from Redis, or loaded: the floor rises to it
 * (never goes down). Revision 0 (the files, no tier) is not recorded.
 * generation is the version's (record.h; 0: unknown): where both the
 * floor's and a copy's are known they order the two, since a slug
 * deleted and written again starts its revisions anew (issue 15, seed
 * 601: a worker answered revision 1 of a post made again, then the
 * older life's revision 5 from Redis); else revisions do. */
void tiers_floor_raise(struct tiers_floor *f, const char *slug,
		       long long revision, unsigned long long hash,
		       long long generation);
/* PostgreSQL's answer for slug, the truth: the floor is rec's version,
 * or "gone" when rec is NULL (PostgreSQL has no such post). */
void tiers_floor_truth(struct tiers_floor *f, const char *slug,
		       const struct record *rec);
/* A whole site loaded from PostgreSQL: each record is the truth, and
 * every slug remembered that it lacks is gone. */
void tiers_floor_site(struct tiers_floor *f, struct record *const *recs,
		      size_t n);

/*
 * 1 when Redis's copy rec of slug (NULL: Redis has none) must not be
 * taken: the worker holds a later version (an earlier generation, where
 * both are known; else a lower revision, or the same revision with
 * another hash, another life of the slug), or holds it
 * gone (any copy: a deletion Redis refused looks like a post created
 * again, which only PostgreSQL tells apart), or holds it and Redis has
 * none. 0 when the worker holds nothing of slug, or rec is not older.
 */
int tiers_floor_refuses(struct tiers_floor *f, const char *slug,
			const struct record *rec);
/* 1 when a whole index read from Redis must not be loaded: a record
 * tiers_floor_refuses, or a slug the worker holds that it lacks. Else
 * 0, and the floor rises to each record. */
int tiers_floor_refuses_site(struct tiers_floor *f,
			     struct record *const *recs, size_t n);

#endif
