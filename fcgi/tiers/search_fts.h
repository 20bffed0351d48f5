/*
 * search_fts.h - the embedded search backend: SQLite FTS5 in memory
 *
 * Internal to the tiers layer (search.c is its one caller); the
 * files that include sqlite3.h are search_fts.c and search_fts_rank.c.
 */
#ifndef QUIRE_SEARCH_FTS_H
#define QUIRE_SEARCH_FTS_H

#include <stddef.h>
#include <time.h>

#include "content/content.h"
#include "lib/quire.h"
#include "tiers/search_query.h"

struct search_fts;

/* Starts building the index of c's posts on a thread; *out answers
 * QUIRE_ETIMEOUT until it is done. QUIRE_OK or QUIRE_ENOMEM. */
enum quire_err search_fts_start(const struct content *c, const char *language,
				struct search_fts **out);
/* Waits for the thread and frees everything. */
void search_fts_free(struct search_fts *f);
/* search_run's embedded half. */
enum quire_err search_fts_run(struct search_fts *f, const struct search_query *q,
			      size_t offset, size_t limit, time_t now,
			      struct search_results *out);

#endif
