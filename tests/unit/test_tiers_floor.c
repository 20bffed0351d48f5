/*
 * test_tiers_floor.c - a worker's floor (tiers/tiers_floor.c): which of
 * Redis's copies it refuses
 *
 * An older revision than held, the same revision with another hash, any
 * copy of a slug held gone, no copy of a slug held; PostgreSQL's answer
 * sets the floor as it is (a slug deleted and written again starts at
 * revision 1), Redis's only raises it; a whole index from Redis is
 * refused for one such entry or one held slug it lacks.
 */
#include <stdlib.h>
#include <string.h>

#include "content/record.h"
#include "tiers/tiers_floor.h"
#include "check.h"

static struct record *rec(const char *slug, long long revision,
			  unsigned long long hash)
{
	struct record *r = record_new();

	if (!r || !(r->slug = strdup(slug)))
		abort();
	r->revision = revision;
	r->hash = hash;
	return r;
}

static void test_revisions(void)
{
	struct tiers_floor *f = tiers_floor_new();
	struct record *r1 = rec("a", 1, 11), *r2 = rec("a", 2, 22),
		      *r2b = rec("a", 2, 99), *r3 = rec("a", 3, 33);

	CHECK(f != NULL);
	/* Nothing held: anything, or nothing, is taken. */
	CHECK(!tiers_floor_refuses(f, "a", r1));
	CHECK(!tiers_floor_refuses(f, "a", NULL));
	CHECK(!tiers_floor_refuses(NULL, "a", r1));
	tiers_floor_truth(f, "a", r2);
	CHECK(tiers_floor_refuses(f, "a", r1));  /* older */
	CHECK(!tiers_floor_refuses(f, "a", r2));
	CHECK(tiers_floor_refuses(f, "a", r2b)); /* another life */
	CHECK(!tiers_floor_refuses(f, "a", r3));
	CHECK(tiers_floor_refuses(f, "a", NULL)); /* held, none in Redis */
	/* Raised by Redis's copies, never lowered. */
	tiers_floor_raise(f, "a", 3, 33, 0);
	CHECK(tiers_floor_refuses(f, "a", r2));
	tiers_floor_raise(f, "a", 1, 11, 0);
	CHECK(tiers_floor_refuses(f, "a", r2));
	CHECK(!tiers_floor_refuses(f, "a", r3));
	/* PostgreSQL's answer is the truth, lower or not. */
	tiers_floor_truth(f, "a", r1);
	CHECK(!tiers_floor_refuses(f, "a", r1));
	/* Revision 0 (the files) is not remembered. */
	tiers_floor_raise(f, "b", 0, 5, 0);
	CHECK(!tiers_floor_refuses(f, "b", NULL));
	record_free(r1);
	record_free(r2);
	record_free(r2b);
	record_free(r3);
	tiers_floor_free(f);
}

/*
 * Generations order the lives of a slug (issue 15, seed 601): revision 5
 * of a post, deleted and written again (revision 1, a later generation);
 * a worker that answered the new revision 1 must refuse the old life's
 * revision 5, which Redis kept (a store it refused), though its
 * revision is higher. Without a generation on either side, revisions
 * decide as before.
 */
static void test_generations(void)
{
	struct tiers_floor *f = tiers_floor_new();
	struct record *old5 = rec("a", 5, 55), *new1 = rec("a", 1, 11),
		      *new2 = rec("a", 2, 22), *plain5 = rec("a", 5, 56);

	old5->generation = 10;
	new1->generation = 20;
	new2->generation = 25;
	tiers_floor_raise(f, "a", 5, 55, 10);
	tiers_floor_raise(f, "a", 1, 11, 20);   /* the new life, by its generation */
	CHECK(tiers_floor_refuses(f, "a", old5));
	CHECK(!tiers_floor_refuses(f, "a", new1));
	CHECK(!tiers_floor_refuses(f, "a", new2));
	tiers_floor_raise(f, "a", 5, 55, 10);   /* never lowered */
	CHECK(tiers_floor_refuses(f, "a", old5));
	/* the same version read again later: not older */
	new1->generation = 30;
	CHECK(!tiers_floor_refuses(f, "a", new1));
	tiers_floor_raise(f, "a", 1, 11, 30);
	CHECK(tiers_floor_refuses(f, "a", new2)); /* 25: before 30, another version */
	/* a copy without a generation: revisions (5 > 1: taken, as before) */
	CHECK(!tiers_floor_refuses(f, "a", plain5));
	/* a whole index with the old life refused; with the new, loaded */
	{
		struct record *site_old[1] = { old5 }, *site_new[1] = { new1 };

		CHECK(tiers_floor_refuses_site(f, site_old, 1));
		CHECK(!tiers_floor_refuses_site(f, site_new, 1));
	}
	record_free(old5);
	record_free(new1);
	record_free(new2);
	record_free(plain5);
	tiers_floor_free(f);
}

static void test_gone(void)
{
	struct tiers_floor *f = tiers_floor_new();
	struct record *r1 = rec("a", 1, 11), *r5 = rec("a", 5, 55),
		      *new1 = rec("a", 1, 77);

	tiers_floor_truth(f, "a", r5);
	tiers_floor_truth(f, "a", NULL);
	/* Every copy: a deletion Redis refused, or a post created again,
	 * are told apart by PostgreSQL alone. */
	CHECK(tiers_floor_refuses(f, "a", r5));
	CHECK(tiers_floor_refuses(f, "a", r1));
	CHECK(!tiers_floor_refuses(f, "a", NULL));
	/* Created again: PostgreSQL says so, revision 1. */
	tiers_floor_truth(f, "a", new1);
	CHECK(!tiers_floor_refuses(f, "a", new1));
	CHECK(tiers_floor_refuses(f, "a", r1));
	record_free(r1);
	record_free(r5);
	record_free(new1);
	tiers_floor_free(f);
}

static void test_site(void)
{
	struct tiers_floor *f = tiers_floor_new();
	struct record *pg[2] = { rec("a", 2, 22), rec("b", 1, 11) };
	struct record *old[2] = { rec("a", 1, 11), rec("b", 1, 11) };
	struct record *now[2] = { rec("a", 2, 22), rec("b", 1, 11) };
	struct record *less[1] = { rec("a", 2, 22) };
	struct record *more[3] = { rec("a", 3, 33), rec("b", 1, 11),
				   rec("c", 1, 11) };
	size_t i;

	tiers_floor_raise(f, "gone", 4, 44, 0);
	tiers_floor_site(f, pg, 2);
	/* What the load lacks is gone. */
	CHECK(!tiers_floor_refuses(f, "gone", NULL));
	CHECK(tiers_floor_refuses(f, "gone", more[2]));
	CHECK(tiers_floor_refuses_site(f, old, 2));   /* a older */
	CHECK(tiers_floor_refuses_site(f, less, 1));  /* b missing */
	CHECK(!tiers_floor_refuses_site(f, now, 2));
	/* "c" is "gone"'s neighbour, not held: a later index is taken,
	 * and raises the floor. */
	CHECK(!tiers_floor_refuses_site(f, more, 3));
	CHECK(tiers_floor_refuses(f, "a", now[0]));
	for (i = 0; i < 2; i++) {
		record_free(pg[i]);
		record_free(old[i]);
		record_free(now[i]);
	}
	record_free(less[0]);
	for (i = 0; i < 3; i++)
		record_free(more[i]);
	tiers_floor_free(f);
}

int main(void)
{
	test_revisions();
	test_generations();
	test_gone();
	test_site();
	return check_done("test_tiers_floor");
}
