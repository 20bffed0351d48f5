/*
 * export.h - what PostgreSQL holds, written out as a content folder
 * (quirectl export): the way back from a deploy
 */
#ifndef QUIRE_EXPORT_H
#define QUIRE_EXPORT_H

#include <stddef.h>

#include "lib/quire.h"
#include "tiers/tier_pg.h"

/* What an export wrote. */
struct export_stats {
	size_t posts;            /* files under posts/ */
	size_t pages;            /* files under pages/ */
	size_t api;              /* of them, posts of the write API */
	size_t slug_added;       /* files given a slug: line (their name
	                          * alone would not give their slug back) */
	size_t vanished;         /* listed, then deleted before they were
	                          * read: not written */
	long long generation;    /* the site's generation when the export
	                          * began */
	long long generation_after; /* and when it ended: another when the
	                          * site changed meanwhile (each file is
	                          * still one whole version of its post) */
};

/*
 * Writes every post and page pg holds, of both origins, drafts and
 * scheduled posts included, as files into the folder out, which must
 * not exist or be an empty folder: a content file to its own path under
 * the folder it was deployed from (posts/..., pages/NAME.md), a post of
 * the write API to posts/SLUG.md (another name when that one is taken).
 * Each file is its post's source as stored, byte for byte; before it
 * is written, each is parsed as the content folder will be and must
 * give the same slug, kind, date and draft state. Then the folder is
 * read whole, as quire will read it, and must give every post its
 * slug: a file whose slug it does not give (its name gives another)
 * gets a `slug:` line as the last key of its frontmatter, the one edit
 * of a source.
 *
 * Everything is written into a new folder beside out (".NAME.export-
 * XXXXXX") and renamed to out at the end, so out is either the whole
 * export or absent. Bounded: QUIRE_MAX_POSTS files, QUIRE_MAX_FILE bytes
 * each.
 *
 * Returns QUIRE_OK; else every failure is reported (log_report(), with
 * the slug or path) and nothing is left: QUIRE_EINVAL (out exists and is
 * not an empty folder), QUIRE_EIO (PostgreSQL or the file system),
 * QUIRE_EPARSE (a post would not read back the same), QUIRE_ETOOBIG,
 * QUIRE_ENOMEM. *st is filled either way.
 */
enum quire_err export_run(struct tier_pg *pg, const char *out,
			  struct export_stats *st);

#endif
