/*
 * deploy.h - what a content deploy changes
 *
 * Pure logic, no tier: from the files of a content folder and what
 * PostgreSQL holds (path and hash of each post), decide which files to
 * parse and upsert and which slugs to remove. A file whose path and hash
 * are unchanged is not parsed again, so deploying one edit to a big site
 * costs one render.
 */
#ifndef QUIRE_DEPLOY_H
#define QUIRE_DEPLOY_H

#include <stddef.h>

#include "record.h"
#include "tier_files.h"
#include "tier_pg.h"

struct deploy_plan {
	struct record **upserts;  /* parsed and rendered, revision 0 */
	size_t n_upserts;
	char **deletes;           /* slugs of origin content no file gives any more */
	size_t n_deletes;
	size_t n_unchanged;
	size_t n_errors;          /* each reported as path:line:column: message */
};

/*
 * Plans a deploy of files[0..n) against known[0..n_known). Takes the text
 * of each changed file (files[i].text becomes NULL). Parse errors and
 * duplicate slugs are reported and counted in plan->n_errors: the caller
 * must then change nothing. Returns QUIRE_OK or QUIRE_ENOMEM. Free with
 * deploy_plan_release().
 */
int deploy_plan_make(struct content_file *files, size_t n,
		     const struct tier_pg_hash *known, size_t n_known,
		     const struct content_options *opt, struct deploy_plan *plan);
void deploy_plan_release(struct deploy_plan *plan);

#endif
