/*
 * search_fts_rank.h - FTS5's bm25 ranking with its figures read once
 * per index: rank_bm25(idx) (search_fts_rank.c)
 *
 * Internal to the tiers layer: search_fts.c is its one caller.
 */
#ifndef QUIRE_SEARCH_FTS_RANK_H
#define QUIRE_SEARCH_FTS_RANK_H

#include <stddef.h>

#include <sqlite3.h>

#include "lib/quire.h"
#include "tiers/search_query.h"

struct fts_rank;

/* Reads the finished FTS5 table idx of db (rowids 1..n_rows): each
 * row's size in tokens and each term's document count. QUIRE_OK,
 * QUIRE_ENOMEM or QUIRE_EIO. */
enum quire_err fts_rank_new(sqlite3 *db, size_t n_rows, struct fts_rank **out);
void fts_rank_free(struct fts_rank *r);
/* db's FTS5 API (SELECT fts5(?1)), to register functions with; NULL
 * when SQLite has no FTS5. */
fts5_api *fts_api_of(sqlite3 *db);
/* Registers the FTS5 function rank_bm25(idx) on db: the value
 * bm25(idx, 0.0, 0.0, 10.0, 4.0, 1.0) gives on idx (slug, date, title,
 * tags, body), bm25's document counts taken from r. r must outlive db's
 * use of it. QUIRE_OK or QUIRE_EIO. */
enum quire_err fts_rank_register(sqlite3 *db, struct fts_rank *r);
/* The query the next statement ranks: the FTS5 query MATCHed must be
 * search_query_fts5's of q (its phrases are q's items). q must live
 * while it runs. */
void fts_rank_query(struct fts_rank *r, const struct search_query *q);

#endif
