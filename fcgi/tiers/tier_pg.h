/*
 * tier_pg.h - the PostgreSQL tier (L3): the durable truth
 *
 * The only module that includes libpq. Statements are prepared once per
 * connection; parameters are never spliced into SQL. A connection whose
 * last call failed at the connection level is reset before its next use
 * (a handle in error is never reused as it is).
 *
 * Implemented in tier_pg_*.c, one job a file (tier_pg_private.h says
 * which).
 */
#ifndef QUIRE_TIER_PG_H
#define QUIRE_TIER_PG_H

#include <stddef.h>

#include "content/record.h"
#include "lib/precond.h"
#include "lib/quire.h"

struct tier_pg;

/* A slug, its file and its content hash, for deciding what a deploy
 * changes: a file whose path and hash are both unchanged need not even
 * be parsed again. */
struct tier_pg_hash {
	char *slug;
	char *path;              /* NULL when the record has none */
	char *sig;               /* the file's signature, or NULL */
	enum post_kind kind;
	unsigned long long hash;
};

/*
 * Connects with a libpq connection string (QUIRE_DATABASE_URL). On
 * failure err (errsz bytes) has libpq's message. Returns QUIRE_OK or
 * QUIRE_EIO. Free with tier_pg_close().
 */
enum quire_err tier_pg_connect(const char *conninfo, struct tier_pg **out,
			       char *err, size_t errsz);
void tier_pg_close(struct tier_pg *pg);
/* The last error message of pg (libpq's), for logs. */
const char *tier_pg_error(const struct tier_pg *pg);

/*
 * Creates or upgrades the schema to the newest version, in one
 * transaction per step, under an advisory lock so two migrations never
 * run at once. Idempotent. *from and *to (may be NULL) get the versions
 * before and after. Returns QUIRE_OK or QUIRE_EIO.
 */
enum quire_err tier_pg_migrate(struct tier_pg *pg, int *from, int *to);
/* The schema version in the database (0 for none). */
enum quire_err tier_pg_schema_version(struct tier_pg *pg, int *version);

/* Where the site is at: its generation, its random id and the random
 * stamp of the commit that made that generation, in one snapshot. */
struct tier_pg_site {
	long long generation;
	char uid[40];
	char stamp[40];
};
/* QUIRE_OK or QUIRE_EIO. */
enum quire_err tier_pg_site(struct tier_pg *pg, struct tier_pg_site *out);

/* The site generation. QUIRE_OK or QUIRE_EIO. */
enum quire_err tier_pg_generation(struct tier_pg *pg, long long *generation);

/* Every live post and page of origin content: slug, kind, hash, path
 * and file signature (in no order).
 * Caller frees with tier_pg_hashes_free(). */
enum quire_err tier_pg_content_hashes(struct tier_pg *pg,
				      struct tier_pg_hash **out, size_t *n);
void tier_pg_hashes_free(struct tier_pg_hash *v, size_t n);

/*
 * Keeps v[i].sig as the file signature of v[i].slug while that post is
 * of origin content with hash v[i].hash, in one transaction that does
 * not wait for its flush (a lost signature only costs a read). QUIRE_OK,
 * QUIRE_EIO or QUIRE_ENOMEM.
 */
enum quire_err tier_pg_keep_sigs(struct tier_pg *pg,
				 const struct tier_pg_hash *v, size_t n);

/* Posts a deploy changes from which on the statistics of posts are made
 * again at once (in tier_pg_deploy_site) and the table tidied after
 * (tier_pg_tidy). */
#define TIER_PG_TIDY_ROWS 500

/*
 * VACUUM posts, for the deployer's after-work once a deploy of
 * TIER_PG_TIDY_ROWS posts or more kept its file signatures. QUIRE_OK or
 * QUIRE_EIO (pg's error says why; nothing is lost but speed).
 */
enum quire_err tier_pg_tidy(struct tier_pg *pg);

/* After a deploy: the words' shares a search estimates by (schema step
 * 17) copied from the planner's statistics if an ANALYZE made newer
 * ones since the last copy (tier_pg_deploy.c). QUIRE_OK or QUIRE_EIO. */
enum quire_err tier_pg_search_terms(struct tier_pg *pg);

/* What a tier above held of a post when PostgreSQL was restored. */
struct tier_pg_seen {
	const char *slug;
	long long revision;
	unsigned long long hash;
};

/*
 * After a restore from an older backup (DESIGN §6, "Restores"), in ONE
 * transaction: every post whose row is behind what was seen of it in
 * v[0..n) (a lower revision, or the same one with another hash) gets
 * the revision after the one seen, so that no ETag handed out before
 * names a version of the new history; the generation moves past floor
 * (what the other tiers and the workers hold) and its own, with a new
 * stamp. *generation gets the new generation, *n_bumped how many posts
 * moved. QUIRE_OK, QUIRE_EINVAL, QUIRE_ENOMEM or QUIRE_EIO.
 */
enum quire_err tier_pg_restore(struct tier_pg *pg, const struct tier_pg_seen *v,
			       size_t n, long long floor,
			       long long *generation, size_t *n_bumped);
/*
 * In ONE transaction: upserts each record of upserts (its revision is
 * set to the stored one + 1, and written back into the record), deletes
 * the slugs in deletes that have origin content (an API post is never
 * removed by a deploy), and bumps the generation; *generation gets the
 * new one. Either all of it is committed or none. A record whose slug
 * is held by a post of the other origin (the API's, for a content
 * deploy) is left alone, decided in the transaction against the row's
 * newest version: its revision is set to 0, and the rest is committed
 * (DESIGN §6). Returns QUIRE_OK or QUIRE_EIO.
 */
enum quire_err tier_pg_deploy(struct tier_pg *pg, struct record *const *upserts,
			      size_t n_upserts, char *const *deletes,
			      size_t n_deletes, long long *generation);

/* site.yaml for tier_pg_deploy_site: its text, or none. */
struct tier_pg_config {
	const char *text;        /* NULL: the folder has no site.yaml */
	size_t len;
};
/* tier_pg_deploy, and site.yaml (config, when not NULL) stored in the
 * same transaction: site.config, which the workers' index reads. */
enum quire_err tier_pg_deploy_site(struct tier_pg *pg,
				   struct record *const *upserts,
				   size_t n_upserts, char *const *deletes,
				   size_t n_deletes,
				   const struct tier_pg_config *config,
				   long long *generation);
/* site.yaml as stored: *text (caller frees; NULL: none), *len bytes.
 * QUIRE_OK, QUIRE_EIO, QUIRE_ENOMEM. */
enum quire_err tier_pg_config_read(struct tier_pg *pg, char **text,
				   size_t *len);

/* One write of the HTTP API, in a batch (tier_pg_write). */
struct tier_pg_op {
	const char *slug;        /* a delete's; a put's is rec->slug */
	struct record *rec;      /* a put's (origin api whatever it says);
	                          * NULL: a delete */
	const struct precond *cond; /* If-Match, If-None-Match (NULL:
	                          * none), checked in the statement that
	                          * writes; a slug a content file owns is
	                          * QUIRE_EOWNED whatever it asks (the owner
	                          * comes first), and a delete of a slug that
	                          * does not exist QUIRE_ENOTFOUND (RFC 9110
	                          * §13.2.1) */
	/* What became of it, once tier_pg_write returned QUIRE_OK: */
	enum quire_err rc;       /* QUIRE_OK applied (a put's rec->revision
	                          * is the new one), QUIRE_ECONFLICT the
	                          * precondition failed, QUIRE_ENOTFOUND no
	                          * such post to delete, QUIRE_EOWNED the
	                          * slug is a content file's post (owner
	                          * names the file), QUIRE_EPARSE or
	                          * QUIRE_EINVAL a bad record; none but the
	                          * first changed anything */
	int created;             /* a put made the slug */
	char *owner;             /* QUIRE_EOWNED: the path of the file that
	                          * owns the slug (NULL if out of memory);
	                          * else NULL. Set by tier_pg_write, freed by
	                          * its caller (free()) */
};

/*
 * Runs writes of the HTTP API in ONE transaction with one generation
 * bump, so that concurrent writers share a commit (committer.c): each
 * op in order, each seeing the ones before it (two writes of one slug
 * with the same If-Match: the second conflicts). A slug a content file
 * gives is that file's: a put or delete of it is refused by the writing
 * statement itself (QUIRE_EOWNED, whatever the precondition), and the
 * other ops of the batch are committed. Returns QUIRE_OK when
 * what was applied is committed (*generation the new generation; 0 and
 * nothing bumped when no op applied), each op's rc saying what it did;
 * or QUIRE_EIO when nothing was committed (the database is unreachable,
 * or the COMMIT's answer never came: nothing may be acknowledged). An
 * op the server refuses (invalid UTF-8, say) rolls the batch back and
 * the ops are run again one transaction each, so only it fails (rc
 * QUIRE_EIO).
 */
enum quire_err tier_pg_write(struct tier_pg *pg, struct tier_pg_op *ops,
			     size_t n, long long *generation);

/* One put, as a batch of one, under expect_revision: -1 none, 0 must
 * not exist, N must be at revision N (precond_from_expect). On success
 * rec->revision, *created and *generation are set. Returns the op's rc
 * (QUIRE_EOWNED without the owner's path), or QUIRE_EIO. */
enum quire_err tier_pg_put(struct tier_pg *pg, struct record *rec,
			   long long expect_revision, int *created,
			   long long *generation);
/* One delete, as a batch of one: QUIRE_OK, QUIRE_ENOTFOUND,
 * QUIRE_ECONFLICT, QUIRE_EOWNED, QUIRE_EINVAL or QUIRE_EIO. */
enum quire_err tier_pg_delete(struct tier_pg *pg, const char *slug,
			      long long expect_revision, long long *generation);

/* One post by slug, html included. QUIRE_ENOTFOUND when absent. */
enum quire_err tier_pg_fetch(struct tier_pg *pg, const char *slug,
			     struct record **out);

/*
 * Every live post and page without html (an index): source cut to its
 * frontmatter (source_len = body_offset), toc_html NULL. *generation gets
 * the generation read in the same snapshot. Caller frees the array with
 * record_array_free().
 */
enum quire_err tier_pg_index(struct tier_pg *pg, struct record ***out,
			     size_t *n, long long *generation);
/* The same, and site.yaml as the last deploy stored it, of the same
 * snapshot, into *config (*config_len bytes; caller frees; NULL when
 * none was deployed). */
enum quire_err tier_pg_index_site(struct tier_pg *pg, struct record ***out,
				  size_t *n, long long *generation,
				  char **config, size_t *config_len);

/* Those of slugs[0..n) that are posts of the API (origin api) in any
 * letter case (as asked, sorted, each once), into *owned (*n_owned of
 * them; caller frees with quire_strings_free): what a content deploy may
 * neither replace nor twin (DESIGN §3). QUIRE_OK, QUIRE_EIO,
 * QUIRE_ENOMEM. */
enum quire_err tier_pg_api_owned(struct tier_pg *pg, char *const *slugs,
				 size_t n, char ***owned, size_t *n_owned);

/* The slug PostgreSQL holds that equals slug ignoring ASCII case but is
 * not slug (the first by byte order), into *other (caller frees); *other
 * NULL when there is none. QUIRE_OK, QUIRE_EIO, QUIRE_ENOMEM. */
enum quire_err tier_pg_other_case(struct tier_pg *pg, const char *slug,
				  char **other);

/* Every slug PostgreSQL holds, any origin (caller frees the array with
 * quire_strings_free). */
enum quire_err tier_pg_slugs(struct tier_pg *pg, char ***out, size_t *n);

/* A post as the API's listing shows it (page_api.c). */
struct tier_pg_listed {
	char *slug;
	char *title;             /* NULL when the frontmatter has none */
	long long revision;
	enum record_origin origin;
	enum post_kind kind;
	long long date;          /* unix seconds, when has_date */
	int has_date;
	int draft;
	long long updated_at;    /* unix seconds of the last write */
};
#define TIER_PG_LIST_MAX 1000

/*
 * Up to limit posts (at most TIER_PG_LIST_MAX + 1, so that a caller can
 * ask one more than it shows to know whether more follow) whose slug
 * sorts after after ("" or NULL: from the first), by slug; origin
 * "api" or "content" keeps that origin's only (NULL or "": any). Caller
 * frees the array with tier_pg_listed_free(). QUIRE_OK, QUIRE_EIO,
 * QUIRE_ENOMEM.
 */
enum quire_err tier_pg_list(struct tier_pg *pg, const char *after,
			    const char *origin, size_t limit,
			    struct tier_pg_listed **out, size_t *n);
void tier_pg_listed_free(struct tier_pg_listed *v, size_t n);

struct search_results;
/*
 * Full-text search (tier_pg_search.c): posts whose tsvector matches
 * websearch_to_tsquery(query) under the site's text search
 * configuration, not drafts, not dated after now (seconds since the
 * epoch: the site's clock, which the worker's index is built by, not
 * PostgreSQL's: DESIGN §13, "Clock skew"), ranked by ts_rank_cd (the
 * newest SEARCH_MAX_CANDIDATES matches), at most limit from offset on,
 * each with a ts_headline snippet of the text of its body's first 2,048
 * characters, marked as search.h says. QUIRE_OK or
 * QUIRE_EIO. Caller frees out with search_results_free().
 */
enum quire_err tier_pg_search(struct tier_pg *pg, const char *query,
			      size_t offset, size_t limit, long long now,
			      struct search_results *out);
/* The text search configuration for a site language ("en", "fr-CA"):
 * english, french, german... of PostgreSQL's own, else simple. */
const char *tier_pg_search_config(const char *language);
/*
 * Makes the site's configuration the one of language, and when that
 * changes it, every post's tsvector again, in one transaction. QUIRE_OK
 * or QUIRE_EIO.
 */
enum quire_err tier_pg_search_language(struct tier_pg *pg,
				       const char *language);

#endif
