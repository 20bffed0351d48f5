/*
 * search.c - the search interface (search.h): which backend answers
 *
 * Full mode asks PostgreSQL through the worker's own tiers handle (its
 * connection and its back-off: a dead database costs a search the skip,
 * as it costs a page); embedded mode asks the FTS5 index (search_fts.c).
 */
#include <stdlib.h>

#include "lib/quire.h"
#include "tiers/search.h"
#include "tiers/search_fts.h"
#include "tiers/tier_pg.h"
#include "tiers/tiers.h"

struct search {
	struct search_fts *fts;   /* embedded mode, else NULL */
	struct tiers *tiers;      /* full mode (borrowed), else NULL */
};

enum quire_err search_new_embedded(const struct content *c,
				   const char *language, struct search **out)
{
	struct search *s = calloc(1, sizeof(*s));
	enum quire_err rc;

	*out = NULL;
	if (!s)
		return QUIRE_ENOMEM;
	rc = search_fts_start(c, language, &s->fts);
	if (rc != QUIRE_OK) {
		free(s);
		return rc;
	}
	*out = s;
	return QUIRE_OK;
}

enum quire_err search_new_pg(struct tiers *t, struct search **out)
{
	struct search *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s)
		return QUIRE_ENOMEM;
	s->tiers = t;
	*out = s;
	return QUIRE_OK;
}

void search_free(struct search *s)
{
	if (!s)
		return;
	search_fts_free(s->fts);
	free(s);
}

enum quire_err search_run(struct search *s, const struct search_query *q,
			  size_t offset, size_t limit, time_t now,
			  struct search_results *out)
{
	struct tier_pg *pg;
	enum quire_err rc;

	out->hits = NULL;
	out->n = out->total = 0;
	if (!s)
		return QUIRE_EIO;
	if (s->fts)
		return search_fts_run(s->fts, q, offset, limit, now, out);
	pg = s->tiers ? tiers_pg(s->tiers) : NULL;
	if (!pg)
		return QUIRE_EIO;
	rc = tier_pg_search(pg, q->text, offset, limit, (long long)now, out);
	if (rc == QUIRE_EIO)
		tiers_pg_failed(s->tiers);
	return rc;
}
