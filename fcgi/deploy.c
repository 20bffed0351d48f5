/*
 * deploy.c - what a content deploy changes
 */
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "deploy.h"
#include "log.h"
#include "quire.h"

/* A known post by path, and a live slug, in hash tables. */
struct by_key {
	const char *key;
	const struct tier_pg_hash *known;
	const char *path;        /* for a live slug: the file that gives it */
	UT_hash_handle hh;
};

static void table_free(struct by_key **t)
{
	struct by_key *e, *tmp;

	HASH_ITER(hh, *t, e, tmp) {
		HASH_DEL(*t, e);
		free(e);
	}
}

static int table_add(struct by_key **t, const char *key,
		     const struct tier_pg_hash *known, const char *path)
{
	struct by_key *e = calloc(1, sizeof(*e));

	if (!e)
		return QUIRE_ENOMEM;
	e->key = key;
	e->known = known;
	e->path = path;
	HASH_ADD_KEYPTR(hh, *t, e->key, strlen(e->key), e);
	return QUIRE_OK;
}

static struct by_key *table_find(struct by_key *t, const char *key)
{
	struct by_key *e;

	HASH_FIND_STR(t, key, e);
	return e;
}

/* Records slug as given by path; a slug given twice is an error. */
static int live_add(struct by_key **live, const char *slug, const char *path,
		    struct deploy_plan *plan)
{
	struct by_key *e = table_find(*live, slug);

	if (e) {
		log_msg(LOG_LEVEL_WARN, "content",
			"%s:1:1: duplicate slug \"%s\", also given by \"%s\"",
			path, slug, e->path);
		plan->n_errors++;
		return QUIRE_OK;
	}
	return table_add(live, slug, NULL, path);
}

static int add_delete(struct deploy_plan *plan, const char *slug)
{
	char **v, *s = strdup(slug);

	if (!s)
		return QUIRE_ENOMEM;
	v = realloc(plan->deletes, (plan->n_deletes + 1) * sizeof(*v));
	if (!v) {
		free(s);
		return QUIRE_ENOMEM;
	}
	v[plan->n_deletes++] = s;
	plan->deletes = v;
	return QUIRE_OK;
}

int deploy_plan_make(struct content_file *files, size_t n,
		     const struct tier_pg_hash *known, size_t n_known,
		     const struct content_options *opt, struct deploy_plan *plan)
{
	struct by_key *by_path = NULL, *live = NULL, *e;
	struct parse_error err;
	struct post *p;
	struct record *r;
	size_t i;
	int rc = QUIRE_ENOMEM;

	memset(plan, 0, sizeof(*plan));
	plan->upserts = calloc(n ? n : 1, sizeof(*plan->upserts));
	if (!plan->upserts)
		goto out;
	for (i = 0; i < n_known; i++)
		if (known[i].path && !table_find(by_path, known[i].path) &&
		    table_add(&by_path, known[i].path, &known[i], NULL) != QUIRE_OK)
			goto out;

	for (i = 0; i < n; i++) {
		e = table_find(by_path, files[i].path);
		if (e && e->known->hash == files[i].hash &&
		    e->known->kind == files[i].kind) {
			plan->n_unchanged++;
			if (live_add(&live, e->known->slug, files[i].path, plan) != QUIRE_OK)
				goto out;
			continue;
		}
		memset(&err, 0, sizeof(err));
		rc = content_parse_file(files[i].path, files[i].kind, files[i].text,
					files[i].len, opt, &p, &err);
		files[i].text = NULL; /* taken, whatever the outcome */
		if (rc == QUIRE_ENOMEM)
			goto out;
		if (rc != QUIRE_OK) {
			log_msg(LOG_LEVEL_WARN, "content", "%s:%u:%u: %s",
				files[i].path, err.line, err.column, err.message);
			plan->n_errors++;
			continue;
		}
		rc = QUIRE_ENOMEM;
		r = record_from_post(p, RECORD_ORIGIN_CONTENT);
		post_free(p);
		if (!r)
			goto out;
		plan->upserts[plan->n_upserts++] = r;
		if (live_add(&live, r->slug, files[i].path, plan) != QUIRE_OK)
			goto out;
	}
	for (i = 0; i < n_known; i++)
		if (!table_find(live, known[i].slug) &&
		    add_delete(plan, known[i].slug) != QUIRE_OK)
			goto out;
	rc = QUIRE_OK;
out:
	table_free(&by_path);
	table_free(&live);
	if (rc != QUIRE_OK)
		deploy_plan_release(plan);
	return rc;
}

void deploy_plan_release(struct deploy_plan *plan)
{
	size_t i;

	records_free(plan->upserts, plan->n_upserts);
	for (i = 0; i < plan->n_deletes; i++)
		free(plan->deletes[i]);
	free(plan->deletes);
	memset(plan, 0, sizeof(*plan));
}
