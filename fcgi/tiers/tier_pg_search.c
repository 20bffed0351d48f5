/*
 * tier_pg_search.c - the PostgreSQL tier's full-text search (tier_pg.h)
 *
 * The tsvector is kept by a trigger (schema steps 7, 10, 11 and 14,
 * tier_pg_schema.c) in the transaction of each write, in the row itself
 * since step 15; a query reads it through the GIN
 * index with websearch_to_tsquery, which takes any text a reader types
 * without an error. The snippet is ts_headline over the body's plain
 * text with control characters as its marks: its output is text, never
 * HTML, and the page escapes it before turning the marks into <mark>.
 * The statement is PG_STMT_SEARCH (tier_pg_conn.c, with every other
 * statement the tier prepares), prepared once a connection when the
 * first search comes, and planned once (pg_prepare sets the session's
 * plan_cache_mode: planning it anew was a third of a search).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "lib/quire.h"
#include "tiers/search_query.h"
#include "tiers/tier_pg.h"
#include "tiers/tier_pg_private.h"

static enum quire_err hit_from_row(const PGresult *res, int row,
				   struct search_hit *h)
{
	long long date = 0;

	if (pg_col_dup(res, row, 0, &h->slug) != QUIRE_OK ||
	    pg_col_dup(res, row, 1, &h->title) != QUIRE_OK ||
	    pg_col_dup(res, row, 3, &h->snippet) != QUIRE_OK)
		return QUIRE_ENOMEM;
	if (!h->slug || !h->title || !h->snippet ||
	    pg_col_ll(res, row, 2, &date) != QUIRE_OK)
		return QUIRE_EIO;
	h->date = date;
	return QUIRE_OK;
}

enum quire_err tier_pg_search(struct tier_pg *pg, const char *query,
			      size_t offset, size_t limit, long long now,
			      struct search_results *out)
{
	char off[24], lim[24], at[24];
	const char *values[4];
	long long total = 0;
	PGresult *res;
	enum quire_err rc;
	int i, n;

	out->hits = NULL;
	out->n = out->total = 0;
	snprintf(off, sizeof(off), "%zu", offset);
	snprintf(lim, sizeof(lim), "%zu", limit);
	values[0] = query;
	values[1] = lim;
	values[2] = off;
	snprintf(at, sizeof(at), "%lld", now);
	values[3] = at;
	if (pg_exec_read(pg, PG_STMT_SEARCH, 4, values, NULL, NULL, &res) !=
	    QUIRE_OK)
		return QUIRE_EIO;
	n = PQntuples(res);
	out->hits = calloc(n > 0 ? (size_t)n : 1, sizeof(*out->hits));
	if (!out->hits) {
		PQclear(res);
		return QUIRE_ENOMEM;
	}
	rc = QUIRE_OK;
	for (i = 0; i < n && rc == QUIRE_OK; i++) {
		out->n++;
		rc = hit_from_row(res, i, &out->hits[i]);
		if (rc == QUIRE_OK && pg_col_ll(res, i, 4, &total) == QUIRE_OK &&
		    total > 0)
			out->total = (size_t)total;
	}
	PQclear(res);
	out->more = out->total >= SEARCH_MAX_CANDIDATES;
	if (rc != QUIRE_OK)
		search_results_free(out);
	return rc;
}

const char *tier_pg_search_config(const char *language)
{
	/* PostgreSQL's own snowball configurations, by ISO 639-1 code. */
	static const struct { const char *code, *config; } map[] = {
		{ "ar", "arabic" }, { "da", "danish" }, { "de", "german" },
		{ "el", "greek" }, { "en", "english" }, { "es", "spanish" },
		{ "fi", "finnish" }, { "fr", "french" }, { "hu", "hungarian" },
		{ "id", "indonesian" }, { "it", "italian" }, { "lt", "lithuanian" },
		{ "nb", "norwegian" }, { "ne", "nepali" }, { "nl", "dutch" },
		{ "nn", "norwegian" }, { "no", "norwegian" }, { "pt", "portuguese" },
		{ "ro", "romanian" }, { "ru", "russian" }, { "sv", "swedish" },
		{ "ta", "tamil" }, { "tr", "turkish" },
	};
	size_t i;

	if (!language)
		return "simple";
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strncasecmp(language, map[i].code, 2) == 0 &&
		    (language[2] == '\0' || language[2] == '-' ||
		     language[2] == '_'))
			return map[i].config;
	return "simple";
}

enum quire_err tier_pg_search_language(struct tier_pg *pg,
				       const char *language)
{
	const char *values[1];
	PGresult *res;

	if (pg_ready(pg, 0) != QUIRE_OK)
		return QUIRE_EIO;
	values[0] = tier_pg_search_config(language);
	/* One statement, one transaction: the configuration and the
	 * vectors made with it change together. Only the search column is
	 * written, so the trigger (UPDATE OF title, tags, html) stays out. */
	res = PQexecParams(pg->conn,
			   "WITH s AS (UPDATE site SET search_config = $1::regconfig"
			   " WHERE search_config <> $1::regconfig"
			   " RETURNING search_config)"
			   " UPDATE posts SET search = quire_search_vector_text("
			   " s.search_config, title, tags,"
			   " coalesce(body_text, quire_html_text(html))) FROM s",
			   1, NULL, values, NULL, NULL, 0);
	if (!res || PQresultStatus(res) != PGRES_COMMAND_OK) {
		pg_fail(pg, "search language", res);
		PQclear(res);
		return QUIRE_EIO;
	}
	PQclear(res);
	return QUIRE_OK;
}
