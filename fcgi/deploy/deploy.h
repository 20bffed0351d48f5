/*
 * deploy.h - what a content deploy changes
 *
 * Pure logic, no tier: from the files of a content folder and what
 * PostgreSQL holds (path, hash and file signature of each post), decide
 * which files to read, which to parse and upsert and which slugs to
 * remove. A file whose signature is unchanged is not read, and one whose
 * path and hash are unchanged is not parsed again, so deploying one edit
 * to a big site costs a stat a file and one render.
 */
#ifndef QUIRE_DEPLOY_H
#define QUIRE_DEPLOY_H

#include <stddef.h>

#include "content/content.h"
#include "content/content_scan.h"
#include "content/record.h"
#include "lib/quire.h"
#include "tiers/tier_pg.h"

struct deploy_plan {
	struct record **upserts;  /* parsed and rendered, revision 0 */
	size_t n_upserts;
	char **deletes;           /* slugs of origin content no file gives any more */
	size_t n_deletes;
	size_t n_unchanged;
	size_t n_errors;          /* each reported as path:line:column: message */
	size_t n_skipped;         /* files left out: their slug is the API's */
	size_t n_renamed;         /* posts given a suffix (slug_settle.h) */
	/* Stable signatures of files read that PostgreSQL does not have
	 * yet, for tier_pg_keep_sigs(): slug, sig and the hash it goes with */
	struct tier_pg_hash *sigs;
	size_t n_sigs;
};

/* known[0..n_known) (borrowed) by path. parsed, when not NULL, has each
 * known[i].sig parsed (copied), as deploy_known_after() gives it: 10,000
 * signatures not parsed again at every deploy of a long-lived deployer.
 * QUIRE_OK or QUIRE_ENOMEM. */
struct deploy_known;
enum quire_err deploy_known_index(const struct tier_pg_hash *known,
				  size_t n_known,
				  const struct content_sig *parsed,
				  struct deploy_known **out);
void deploy_known_free(struct deploy_known *k);

/*
 * Sets skip (and hash, to the one kept) on each file whose path, kind
 * and signature are those kept in k: content_scan_read() then leaves it
 * unread. Sets each file's match to what k has of its path: the one
 * lookup deploy_plan_make() relies on, so call this first.
 */
void deploy_skip_known(struct content_file *files, size_t n,
		       const struct deploy_known *k, size_t *n_skipped);

/*
 * Plans a deploy of files[0..n) against k (files matched by
 * deploy_skip_known()). Takes the text
 * of each changed file (files[i].text becomes NULL). A file skipped is
 * unchanged. plan->sigs lists the stable signatures of files read that
 * known does not have (the caller keeps them once committed). Parse errors and
 * duplicate slugs are reported and counted in plan->n_errors: the caller
 * must then change nothing. Returns QUIRE_OK or QUIRE_ENOMEM. Free with
 * deploy_plan_release().
 */
enum quire_err deploy_plan_make(struct content_file *files, size_t n,
				const struct deploy_known *k,
				const struct content_options *opt,
				struct deploy_plan *plan);
void deploy_plan_release(struct deploy_plan *plan);

/*
 * Takes out of plan the upserts whose slug is one of owned[0..n): a
 * post of the write API holds it, and a slug has one owner (DESIGN §6).
 * Each file is reported, "PATH:1:1: slug "S" is owned by the write
 * API: file skipped", counted in plan->n_skipped, and left out as if it
 * were not in the folder: not upserted, its signature not kept, so the
 * next deploy reads and reports it again (and a slug it gave before is
 * removed, as when a file goes). The rest of the plan stands, in its
 * order. QUIRE_OK or QUIRE_ENOMEM.
 */
enum quire_err deploy_plan_skip_owned(struct deploy_plan *plan,
				      char *const *owned, size_t n);

/*
 * What PostgreSQL holds of the content posts once plan is committed over
 * k (nothing else committed in between): k's posts without the deleted
 * and the upserted slugs, then the upserts, each with the signature plan
 * keeps for it. The entries of *out point into k's posts and plan, which
 * must outlive it; caller frees *out itself (free()); so *parsed, when
 * parsed is not NULL: the parsed signature of each entry. QUIRE_OK or
 * QUIRE_ENOMEM.
 */
enum quire_err deploy_known_after(const struct deploy_known *k,
				  const struct deploy_plan *plan,
				  struct tier_pg_hash **out,
				  struct content_sig **parsed, size_t *n);

#endif
