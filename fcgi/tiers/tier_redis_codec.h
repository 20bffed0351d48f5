/*
 * tier_redis_codec.h - the bytes of the Redis tier, with no Redis
 *
 * Everything tier_redis.c reads from or writes to Redis that has a
 * format of its own is built and parsed here, with no hiredis and no
 * socket, so that it can be unit-tested and fuzzed by feeding bytes (the
 * way hiredis keeps read.c free of any transport). It sits below
 * tier_redis.h and includes nothing of it, so a module that only needs
 * a format takes no connection with it: sub.c parses the invalidations
 * it receives, commit_wire.c spells records as post hash fields.
 * Its functions are named tier_redis_codec_THING_VERB: the thing (url,
 * index, fields, ll, ull, invalidation, worker), then what is done to it.
 *
 * The index entry (the value of PREFIX index, one per slug) is a small
 * binary record, all integers big-endian:
 *
 *   offset size  field
 *   0      4     magic "QIX2" (format and version: "QIX" and a
 *                              version byte; "QIX1" is read too, as
 *                              written before the summary: no summary
 *                              fields, the frontmatter ends it; another
 *                              version byte is a format this build
 *                              cannot read)
 *   4      8     revision     (signed, two's complement)
 *   12     1     kind         (enum post_kind, < POST_KIND__MAX)
 *   13     1     origin       (enum record_origin, < RECORD_ORIGIN__MAX)
 *   14     1     flags        (bit 0: has_date, bit 1: has a path;
 *                              other bits must be 0)
 *   15     8     date         (signed unix seconds; 0 unless has_date)
 *   23     8     words
 *   31     8     hash         (xxh3 of the whole source)
 *   39     4     path_len     (0 unless flags bit 1; at most
 *                              TIER_REDIS_MAX_PATH, no NUL inside)
 *   43     N     path bytes
 *   43+N   4     body_offset  (= the length of the frontmatter that
 *                              follows; at most QUIRE_MAX_FILE)
 *   47+N   M     frontmatter  (source[0, body_offset), any bytes)
 *   47+N+M 4     summary_len  (0: none; at most QUIRE_MAX_SUMMARY)
 *   51+N+M S     summary      (summary_html, no NUL inside)
 *
 * and nothing after it: a parse checks every length against what is
 * left of the buffer before it reads or allocates, and refuses trailing
 * bytes. A parsed entry is a record with source = the frontmatter,
 * source_len = body_offset, summary_html (NULL when none), html and
 * toc_html NULL. The summary costs an entry 4 bytes and the summary's
 * (a few hundred on a typical post; DESIGN §5).
 */
#ifndef QUIRE_TIER_REDIS_CODEC_H
#define QUIRE_TIER_REDIS_CODEC_H

#include <stddef.h>

#include "content/record.h"
#include "lib/quire.h"

#define TIER_REDIS_MAX_URL       2048  /* a whole connection URL, bytes */
#define TIER_REDIS_MAX_HOST      255   /* a host name (RFC 1035 §2.3.4) */
#define TIER_REDIS_MAX_SOCKET    107   /* sun_path minus its NUL (unix(7)) */
#define TIER_REDIS_MAX_USER      128   /* an ACL user name, bytes */
#define TIER_REDIS_MAX_PASSWORD  512   /* a password, bytes, after %XX decoding */
#define TIER_REDIS_MAX_DB        65535 /* SELECT's argument */
#define TIER_REDIS_MAX_PATH      4096  /* a record's source path, bytes (PATH_MAX) */
#define TIER_REDIS_MAX_PREFIX    64    /* the key prefix, bytes */
#define TIER_REDIS_INDEX_HEAD    43    /* fixed bytes of an index entry before the path */
/* An invalidation message: a generation, then up to QUIRE_MAX_POSTS slugs
 * of at most QUIRE_MAX_SLUG bytes, one space before each. */
#define TIER_REDIS_MAX_INVALIDATION (20 + QUIRE_MAX_POSTS * (QUIRE_MAX_SLUG + 1))

/*
 * Format versions (DESIGN §5). A record or message of a version this
 * build cannot read is QUIRE_EVERSION, never misread: a reader takes it
 * as a miss (PostgreSQL answers), a subscriber reloads. A post hash
 * says its version in its "format" field (none: 1, as written before
 * the field, and still read by builds that predate it, which ignore the
 * field); an index entry in its magic's last byte; an invalidation
 * message of version 1 has no marker (builds before it read it), a
 * later one starts "vN ". So a version 2 is safe only once every host
 * runs a build that checks: the upgrade that brings it is two steps.
 */
#define TIER_REDIS_FORMAT 1
#define TIER_REDIS_INVALIDATION_FORMAT 1

/* What the revision field of a post hash holds once the slug is deleted:
 * a tombstone that a fill never writes over (see tier_redis_store). */
#define TIER_REDIS_TOMBSTONE "deleted"

struct tier_redis_url {
	int is_unix;                            /* unix: socket, not TCP */
	char host[TIER_REDIS_MAX_HOST + 1];     /* TCP: name or address, no brackets */
	int port;                               /* TCP: 1..65535, 6379 by default */
	char socket[TIER_REDIS_MAX_SOCKET + 1]; /* unix: an absolute path */
	int db;                                 /* 0..TIER_REDIS_MAX_DB */
	char user[TIER_REDIS_MAX_USER + 1];     /* "" unless given */
	char password[TIER_REDIS_MAX_PASSWORD + 1]; /* "" when none */
};

/*
 * Parses "redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]" (HOST may be an
 * IPv6 address in brackets) or "unix:/PATH[?db=N][&password=X]"
 * ("unix:///PATH" too). USER, PASSWORD and X may carry %XX escapes.
 * Returns QUIRE_OK or QUIRE_EINVAL; *out is zeroed first either way.
 */
enum quire_err tier_redis_codec_url_parse(const char *url,
					  struct tier_redis_url *out);

/*
 * The index entry of rec (see the format above): *out is a malloc'd
 * buffer of *len bytes (NUL-terminated beyond *len); caller frees.
 * QUIRE_OK, QUIRE_EINVAL (body_offset beyond the source, a path with
 * a NUL or too long, a bad kind or origin), QUIRE_ETOOBIG or
 * QUIRE_ENOMEM (ETOOBIG too for a summary over QUIRE_MAX_SUMMARY).
 */
enum quire_err tier_redis_codec_index_encode(const struct record *rec,
					     char **out, size_t *len);
/*
 * A record from the index entry data[0, len) of slug. QUIRE_OK,
 * QUIRE_EPARSE (malformed, truncated, a length beyond the buffer,
 * trailing bytes), QUIRE_EVERSION (a magic "QIX" of another version)
 * or QUIRE_ENOMEM. Caller frees *out with record_free().
 */
enum quire_err tier_redis_codec_index_parse(const char *slug, const char *data,
					    size_t len, struct record **out);

/* The fields of a post hash, in the order tier_redis.c asks for them. */
enum tier_redis_field {
	TIER_REDIS_F_REVISION = 0, /* decimal; or TIER_REDIS_TOMBSTONE */
	TIER_REDIS_F_KIND,         /* "post" / "page" */
	TIER_REDIS_F_ORIGIN,       /* "content" / "api" */
	TIER_REDIS_F_PATH,         /* absent for the API */
	TIER_REDIS_F_SOURCE,       /* any bytes */
	TIER_REDIS_F_BODY_OFFSET,  /* decimal, <= the source's length */
	TIER_REDIS_F_HTML,         /* absent when the record has none */
	TIER_REDIS_F_TOC,          /* absent when the record has none */
	TIER_REDIS_F_WORDS,        /* decimal */
	TIER_REDIS_F_HASH,         /* decimal, unsigned 64-bit */
	TIER_REDIS_F_DATE,         /* decimal unix seconds; absent unless has_date */
	TIER_REDIS_F_FORMAT,       /* decimal, TIER_REDIS_FORMAT; absent: 1 */
	/* summary_html, absent when none; a field older builds ignore (they
	 * ask for theirs by name), so the format stays 1 */
	TIER_REDIS_F_SUMMARY,
	/* decimal, the record's generation (record.h), absent when unknown:
	 * the stores' guard (tier_redis.h); a field older builds ignore, and
	 * one they drop when they write the post, so the format stays 1 */
	TIER_REDIS_F_GENERATION,
	TIER_REDIS_F__MAX
};

/* Field names as stored, indexed by enum tier_redis_field. */
extern const char *const tier_redis_codec_field_names[TIER_REDIS_F__MAX];

/* A record spelled as post hash values: val[i] NULL for an absent field.
 * The values borrow from the record and from num; valid while both are. */
struct tier_redis_fields {
	const char *val[TIER_REDIS_F__MAX];
	size_t len[TIER_REDIS_F__MAX];
	char num[TIER_REDIS_F__MAX][24];
};

/* Fills f from rec. QUIRE_OK or QUIRE_EINVAL (no source, body_offset
 * beyond it, a bad kind or origin). */
enum quire_err tier_redis_codec_fields_encode(const struct record *rec,
					      struct tier_redis_fields *f);
/*
 * A record of slug from the values of a post hash (val[i] NULL when the
 * field is absent, len[i] its length). QUIRE_OK; QUIRE_ENOTFOUND when
 * there is no revision (no such key) or it is a tombstone; QUIRE_EPARSE
 * for a malformed or missing field; QUIRE_EVERSION for a format field
 * other than TIER_REDIS_FORMAT (checked first: a later format may
 * change any other field); QUIRE_ENOMEM. Caller frees *out with
 * record_free().
 */
enum quire_err tier_redis_codec_fields_decode(const char *slug,
					      const char *const *val,
					      const size_t *len,
					      struct record **out);

/* Strict decimal integers from a counted string: an optional '-' (signed
 * only), digits, nothing else, no overflow. QUIRE_OK or QUIRE_EPARSE. */
enum quire_err tier_redis_codec_ll_parse(const char *s, size_t len,
					 long long *out);
enum quire_err tier_redis_codec_ull_parse(const char *s, size_t len,
					  unsigned long long *out);

/*
 * The payload "GENERATION SLUG..." ("GENERATION *" when all is set) in a
 * malloc'd NUL-terminated *out of *len bytes; caller frees. QUIRE_OK,
 * QUIRE_EINVAL (a negative generation, an invalid slug, slugs with all,
 * more than QUIRE_MAX_POSTS slugs) or QUIRE_ENOMEM.
 */
enum quire_err tier_redis_codec_invalidation_format(long long generation,
						    const char *const *slugs,
						    size_t n, int all,
						    char **out, size_t *len);

/* Parses an invalidation payload: *generation, and *slugs (caller frees
 * each and the array) or *all set for "*". QUIRE_OK, QUIRE_EPARSE, or
 * QUIRE_EVERSION for a payload that starts "vN " with N another version
 * than TIER_REDIS_INVALIDATION_FORMAT (its receiver reloads: it cannot
 * tell what changed). */
enum quire_err tier_redis_codec_invalidation_parse(const char *msg,
						   long long *generation,
						   char ***slugs, size_t *n,
						   int *all);

/* A worker's value in PREFIX workers, "GENERATION UNIX-SECONDS", and
 * perhaps " MORE" (a later build's fields, ignored: an entry that does
 * not parse is deleted by whoever reads the registry, so a format may
 * only grow at its end). QUIRE_OK or QUIRE_EPARSE. */
enum quire_err tier_redis_codec_worker_parse(const char *s, size_t len,
					     long long *generation,
					     long long *seen);

#endif
