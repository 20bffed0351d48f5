/*
 * record.h - a post as the shared tiers (Redis, PostgreSQL) keep it
 *
 * A record is the source text plus what was rendered from it, so a
 * worker never renders Markdown on a read: it parses the frontmatter of
 * source for the metadata and takes html and toc as they are.
 */
#ifndef QUIRE_RECORD_H
#define QUIRE_RECORD_H

#include <stddef.h>

#include "content/post.h"
#include "lib/quire.h"

enum record_origin {
	RECORD_ORIGIN_CONTENT = 0, /* a file under content/, deployed */
	RECORD_ORIGIN_API,         /* written through the HTTP API */
	RECORD_ORIGIN__MAX
};

struct record {
	char *slug;
	enum post_kind kind;
	enum record_origin origin;
	char *path;              /* source file, or NULL for the API */
	char *source;            /* the whole text: frontmatter and body */
	size_t source_len;
	size_t body_offset;      /* where the Markdown starts in source */
	char *html;              /* NULL in an index (metadata only) */
	char *toc_html;          /* NULL when none */
	/* What lists show of it (markdown_summary), in the index too, so
	 * that a worker of the full mode shows what the embedded one does;
	 * NULL when none, or in a record written before the field (the
	 * description is shown until it is rendered again). As stored:
	 * ending with MARKDOWN_SUMMARY_WHOLE when it is the whole body
	 * (record_set_summary; record_to_post takes the mark off), so
	 * the flag needs no field of its own in any tier */
	char *summary_html;
	size_t words;
	/* The date, which may come from a Jekyll file name rather than the
	 * frontmatter, so it is kept beside the source. */
	long long date;          /* unix seconds */
	int has_date;
	unsigned long long hash; /* xxh3 of source */
	long long revision;      /* bumped by every change of this slug */
	/* The site generation this copy is as of: the one that committed it,
	 * or PostgreSQL's when it was read (tier_pg.h); 0 when unknown. Redis
	 * keeps it with the post so that of two stores of one slug the older
	 * never lands over the newer (tier_redis.h); revisions cannot order
	 * them, a slug deleted and made again starts at 1. */
	long long generation;
};

/* Returns a zeroed record, or NULL. Caller frees with record_free(). */
struct record *record_new(void);
void record_free(struct record *r);
void record_array_free(struct record **v, size_t n);

/* A record of post p (deep copies), revision 0. NULL on ENOMEM. */
struct record *record_from_post(const struct post *p,
				enum record_origin origin);

/*
 * r->summary_html made of html (NULL: none) and whether it is the whole
 * body (the mark MARKDOWN_SUMMARY_WHOLE after it). QUIRE_OK or
 * QUIRE_ENOMEM (r's summary none then).
 */
enum quire_err record_set_summary(struct record *r, const char *html,
				  int whole);

/*
 * A post from r: its frontmatter parsed from r->source, slug, kind,
 * date, html, toc, summary (its whole mark as p->summary_whole), words,
 * hash and revision taken from r. Returns QUIRE_OK,
 * or QUIRE_EPARSE (a record that no longer parses), QUIRE_ENOMEM. Caller
 * frees *out with post_free().
 */
enum quire_err record_to_post(const struct record *r, struct post **out);

/* Names as stored: "content"/"api", "post"/"page". */
const char *record_origin_name(enum record_origin o);
const char *record_kind_name(enum post_kind k);
enum quire_err record_kind_parse(const char *s, enum post_kind *out);
enum quire_err record_origin_parse(const char *s, enum record_origin *out);

#endif
