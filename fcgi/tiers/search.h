/*
 * search.h - full-text search of the posts: one interface, two backends
 *
 * With PostgreSQL (full mode) a query runs there, on the posts' tsvector
 * (tier_pg_search.c); without it (embedded mode) on an SQLite FTS5 index
 * in memory, built from the loaded content on a thread of its own
 * (search_fts.c). The query a reader typed is parsed and bounded here
 * first (search_query.c): what reaches FTS5 is a query quire wrote
 * itself, never the reader's text as FTS5 syntax. DESIGN §4, §5.
 */
#ifndef QUIRE_SEARCH_H
#define QUIRE_SEARCH_H

#include <stddef.h>
#include <time.h>

#include "content/content.h"
#include "lib/quire.h"
#include "tiers/search_query.h"

struct search;
struct tiers;

/*
 * Embedded mode: an FTS5 index of c's posts (not drafts; scheduled posts
 * are kept and filtered by date when asked), built on a thread started
 * here, so the caller serves meanwhile. language (the site's, "en") picks
 * the tokenizer: Porter stemming for English. c must not change until
 * search_free. QUIRE_OK or QUIRE_ENOMEM.
 */
enum quire_err search_new_embedded(const struct content *c,
				   const char *language, struct search **out);
/* Full mode: queries PostgreSQL through t's connection (borrowed). */
enum quire_err search_new_pg(struct tiers *t, struct search **out);
void search_free(struct search *s);

/*
 * Runs q (SEARCH_OK) and gives at most limit results from offset on,
 * ranked (title above tags above body), posts dated after now left out.
 * Returns QUIRE_OK, QUIRE_ETIMEOUT (the embedded index is still being
 * built: ask again), or QUIRE_EIO (the backend is unavailable).
 */
enum quire_err search_run(struct search *s, const struct search_query *q,
			  size_t offset, size_t limit, time_t now,
			  struct search_results *out);

#endif
