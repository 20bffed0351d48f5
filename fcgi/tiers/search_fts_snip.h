/*
 * search_fts_snip.h - FTS5's snippet() with its column tokenized once:
 * snip(idx, ...) (search_fts_snip.c)
 *
 * Internal to the tiers layer: search_fts.c is its one caller.
 */
#ifndef QUIRE_SEARCH_FTS_SNIP_H
#define QUIRE_SEARCH_FTS_SNIP_H

#include <sqlite3.h>

#include "lib/quire.h"

/* Registers the FTS5 function snip(idx, col, open, close, ellipsis,
 * tokens) on db: the text snippet() gives with the same arguments (""
 * where snippet() gives NULL). The index's tokenizer must be unicode61
 * (under porter or not): snip() finds the tokens of ASCII text itself.
 * QUIRE_OK or QUIRE_EIO. */
enum quire_err fts_snip_register(sqlite3 *db);

#endif
