/*
 * response.h - a handler's answer, and its finished bytes on the wire
 *
 * A handler fills a struct response; response_finish() turns it into a
 * struct finished: the exact FastCGI stdout bytes (headers and body) for
 * identity and, when worth it, gzip, plus the 304 answer. Those are what
 * the L1 keeps, so a hit is one write.
 */
#ifndef QUIRE_RESPONSE_H
#define QUIRE_RESPONSE_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/quire.h"

struct response {
	int status;
	const char *content_type;   /* static string */
	struct buf body;
	/* for 301: a path of QUIRE_MAX_URI bytes, each percent-encoded,
	 * and "?page=N" */
	char location[3 * QUIRE_MAX_URI + 32];
	const char *allow;          /* for 405 */
	const char *www_authenticate; /* for 401 */
	unsigned retry_after;       /* seconds, for 429; 0: no Retry-After */
	/* an API write's Quire-Acknowledged ("ACKED/LIVE"); "" none */
	char acknowledged[32];
	char etag[24];              /* set by the handler, else a content hash
				       for a 200 */
	int cacheable;              /* keep in L1 under the request's key */
	/* a 5xx whose body is the handler's, whole (/healthz's JSON
	 * reason, the search page's "unavailable"); else a 5xx's body is
	 * replaced by the plain one, since a handler that failed may have
	 * left half a page */
	int own_error_body;
	/* An author's preview, or its refusal: "Cache-Control: private,
	 * no-store" and "X-Robots-Tag: noindex", no ETag, never cached */
	int private_page;
	/* For a CDN (DESIGN §6, "The edge cache"): a cacheable page with
	 * cdn_max_age > 0 says "Cache-Control: public, max-age=0,
	 * s-maxage=N, stale-if-error=86400" instead of no-cache, with
	 * Last-Modified (built) and Surrogate-Key (surrogate, e.g.
	 * "quire post/SLUG") */
	int cdn_max_age;
	time_t built;
	char surrogate[QUIRE_MAX_URI + 16];
};

/* One variant: headers then body, contiguous. */
struct finished_bytes {
	char *data;
	size_t len;
	size_t head_len;            /* bytes of headers, for HEAD */
};

struct finished {
	int status;
	/* A strong ETag names one representation, so the gzip variant has
	 * its own ("...-gz"), as RFC 9110 §8.8.3.3 asks. "" when none. */
	char etag[24];
	char etag_gz[24];
	struct finished_bytes ident;
	struct finished_bytes gzip; /* data NULL when not compressed */
	struct finished_bytes not_modified;
	struct finished_bytes not_modified_gz;
	size_t size;                /* bytes held, for the L1 bound */
	/* Set by an invalidation: rebuild before serving, but serve this
	 * copy if the lower tiers fail meanwhile (DESIGN §8). */
	int stale;
};

void response_init(struct response *r);
void response_release(struct response *r);
/* Sets a status with a short plain body ("404 not found\n"). */
enum quire_err response_plain(struct response *r, int status);
/* Sets a 301 to path, a decoded path that is percent-encoded here
 * (html_path_encode), followed by "?page=N" when page > 1. QUIRE_OK;
 * else a 414 (QUIRE_ETOOBIG, too long) or a 500 (QUIRE_ENOMEM) is set. */
enum quire_err response_redirect(struct response *r, const char *path,
				 long page);

/*
 * Builds the wire bytes of r. worker is put in an X-Quire-Worker header.
 * with_gzip compresses the body once (only for bodies where it pays).
 * Returns QUIRE_OK with *out set (caller frees with
 * response_finished_free), or QUIRE_ENOMEM.
 */
enum quire_err response_finish(const struct response *r, pid_t worker,
			       int with_gzip, struct finished **out);
void response_finished_free(void *f);
/* Adds the gzip variants to f (built from r without them): compressing
 * is the slowest step of a miss, so the worker answers first and
 * compresses after, before caching. QUIRE_OK or QUIRE_ENOMEM (f then
 * stays identity only). */
enum quire_err response_add_gzip(const struct response *r, struct finished *f,
				 pid_t worker);
/* Makes the calling thread's compressor now rather than at its first
 * page (QUIRE_OK or QUIRE_ENOMEM); response_gzip_end frees it.
 * response_add_gzip keeps it from one page to the next. */
enum quire_err response_gzip_begin(void);
void response_gzip_end(void);

/* Returns "OK", "Not Found" ... for an HTTP status. */
const char *response_reason(int status);

/* True when an If-None-Match header value matches etag (a strong
 * "..." tag): a list with it, weak comparison as RFC 9110 §13.1.2 asks,
 * or "*"; a value that does not parse (lib/etag.h) matches nothing. */
int response_etag_matches(const char *if_none_match, const char *etag);

#endif
