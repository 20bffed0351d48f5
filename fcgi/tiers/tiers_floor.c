/*
 * tiers_floor.c - the version of each post a worker holds or answered:
 * a copy from Redis older than it is never taken again
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "content/record.h"
#include "lib/log.h"
#include "tiers/tiers_floor.h"

/* What the worker holds of one slug. */
struct floor_ent {
	char *slug;
	long long revision;
	unsigned long long hash;
	long long generation;     /* as of which (record.h); 0: unknown */
	int gone;                 /* PostgreSQL said it has none */
	unsigned long mark;       /* the last site pass that saw it */
	UT_hash_handle hh;
};

struct tiers_floor {
	pthread_mutex_t lock;
	struct floor_ent *table;
	size_t n;
	unsigned long mark;
	int full_logged;
};

struct tiers_floor *tiers_floor_new(void)
{
	struct tiers_floor *f = calloc(1, sizeof(*f));

	if (f && pthread_mutex_init(&f->lock, NULL) != 0) {
		free(f);
		return NULL;
	}
	return f;
}

void tiers_floor_free(struct tiers_floor *f)
{
	struct floor_ent *e, *tmp;

	if (!f)
		return;
	HASH_ITER(hh, f->table, e, tmp) {
		HASH_DEL(f->table, e);
		free(e->slug);
		free(e);
	}
	pthread_mutex_destroy(&f->lock);
	free(f);
}

/* slug's entry, made when missing (NULL: full, or out of memory: the
 * slug is not remembered, Redis's copies of it taken as before). Under
 * the lock. */
static struct floor_ent *entry(struct tiers_floor *f, const char *slug)
{
	struct floor_ent *e;
	size_t len = strlen(slug);

	HASH_FIND(hh, f->table, slug, len, e);
	if (e)
		return e;
	if (f->n >= TIERS_FLOOR_MAX) {
		if (!f->full_logged)
			log_msg(LOG_LEVEL_WARN, "floor", "%d slugs remembered: "
				"no more", TIERS_FLOOR_MAX);
		f->full_logged = 1;
		return NULL;
	}
	e = calloc(1, sizeof(*e));
	if (!e || !(e->slug = strdup(slug))) {
		free(e);
		return NULL;
	}
	HASH_ADD_KEYPTR(hh, f->table, e->slug, len, e);
	f->n++;
	return e;
}

/* Whether the version (revision, hash, generation) is the one e holds:
 * then only the later of the two generations is kept. */
static int same_version(struct floor_ent *e, long long revision,
			unsigned long long hash, long long generation)
{
	if (e->revision != revision || e->hash != hash)
		return 0;
	if (generation > e->generation)
		e->generation = generation;
	return 1;
}

/* Whether another version (revision, generation) is older than e's:
 * by generation where both have one (a slug deleted and written again
 * starts its revisions anew: only the generation orders its lives),
 * else by revision, the same one being another life. */
static int older(const struct floor_ent *e, long long revision,
		 long long generation)
{
	if (e->generation > 0 && generation > 0)
		return generation <= e->generation;
	return revision <= e->revision;
}

/* Under the lock. */
static void raise_locked(struct tiers_floor *f, const char *slug,
			 long long revision, unsigned long long hash,
			 long long generation)
{
	struct floor_ent *e;

	if (revision <= 0)
		return;
	e = entry(f, slug);
	if (!e || (!e->gone && (same_version(e, revision, hash, generation) ||
				older(e, revision, generation))))
		return;
	/* Over "gone" too: only a copy tiers_floor_refuses let through
	 * (PostgreSQL's, or Redis's once PostgreSQL said it exists) or a
	 * load's entry comes here. */
	e->revision = revision;
	e->hash = hash;
	e->generation = generation;
	e->gone = 0;
}

void tiers_floor_raise(struct tiers_floor *f, const char *slug,
		       long long revision, unsigned long long hash,
		       long long generation)
{
	if (!f)
		return;
	pthread_mutex_lock(&f->lock);
	raise_locked(f, slug, revision, hash, generation);
	pthread_mutex_unlock(&f->lock);
}

/* Under the lock. */
static struct floor_ent *truth_locked(struct tiers_floor *f, const char *slug,
				      const struct record *rec)
{
	struct floor_ent *e = entry(f, slug);

	if (!e)
		return NULL;
	e->gone = rec == NULL;
	e->revision = rec ? rec->revision : e->revision;
	e->hash = rec ? rec->hash : e->hash;
	e->generation = rec ? rec->generation : e->generation;
	return e;
}

void tiers_floor_truth(struct tiers_floor *f, const char *slug,
		       const struct record *rec)
{
	if (!f)
		return;
	pthread_mutex_lock(&f->lock);
	truth_locked(f, slug, rec);
	pthread_mutex_unlock(&f->lock);
}

void tiers_floor_site(struct tiers_floor *f, struct record *const *recs,
		      size_t n)
{
	struct floor_ent *e, *tmp;
	size_t i;

	if (!f)
		return;
	pthread_mutex_lock(&f->lock);
	f->mark++;
	for (i = 0; i < n; i++)
		if ((e = truth_locked(f, recs[i]->slug, recs[i])))
			e->mark = f->mark;
	HASH_ITER(hh, f->table, e, tmp)
		if (e->mark != f->mark)
			e->gone = 1;
	pthread_mutex_unlock(&f->lock);
}

/* Under the lock. */
static int refuses_locked(const struct floor_ent *e, const struct record *rec)
{
	if (!e)
		return 0;
	if (e->gone)
		return rec != NULL;
	if (!rec)
		return 1;
	if (rec->revision == e->revision && rec->hash == e->hash)
		return 0;
	return older(e, rec->revision, rec->generation);
}

int tiers_floor_refuses(struct tiers_floor *f, const char *slug,
			const struct record *rec)
{
	struct floor_ent *e;
	int no;

	if (!f)
		return 0;
	pthread_mutex_lock(&f->lock);
	HASH_FIND(hh, f->table, slug, strlen(slug), e);
	no = refuses_locked(e, rec);
	pthread_mutex_unlock(&f->lock);
	return no;
}

int tiers_floor_refuses_site(struct tiers_floor *f,
			     struct record *const *recs, size_t n)
{
	struct floor_ent *e, *tmp;
	size_t i;
	int no = 0;

	if (!f)
		return 0;
	pthread_mutex_lock(&f->lock);
	f->mark++;
	for (i = 0; i < n && !no; i++) {
		HASH_FIND(hh, f->table, recs[i]->slug, strlen(recs[i]->slug), e);
		no = refuses_locked(e, recs[i]);
		if (e)
			e->mark = f->mark;
	}
	HASH_ITER(hh, f->table, e, tmp)
		if (!no && !e->gone && e->mark != f->mark)
			no = 1; /* held, and Redis's index lacks it */
	for (i = 0; i < n && !no; i++)
		raise_locked(f, recs[i]->slug, recs[i]->revision, recs[i]->hash,
			     recs[i]->generation);
	pthread_mutex_unlock(&f->lock);
	return no;
}
