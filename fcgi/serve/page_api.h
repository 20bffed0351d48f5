/*
 * page_api.h - the write API's two halves (page_api.c)
 *
 * page_api() answers what needs no commit (GET, errors) at once; a
 * write that passed every check comes back as a request for the
 * committer, and page_api_answer() turns the committer's reply into
 * the answer, once it is durable and every worker serves it.
 */
#ifndef QUIRE_PAGE_API_H
#define QUIRE_PAGE_API_H

#include "lib/limits.h"
#include "serve/page.h"
#include "write/auth.h"
#include "write/commit_wire.h"

/* The listing's query (GET /api/posts?limit=N&after=SLUG&origin=O). */
struct api_list_query {
	size_t limit;            /* 1 to TIER_PG_LIST_MAX; 100 when absent */
	char after[QUIRE_MAX_SLUG + 1]; /* "" or a valid slug */
	const char *origin;      /* "api", "content", or NULL: any */
	char bad[80];            /* why a parameter was refused */
};

/* Parses query (raw, after the '?'; NULL: none) into *q: 200, or 400
 * with q->bad naming the parameter. Other names are ignored. */
int page_api_list_query_parse(const char *query, struct api_list_query *q);

/* Whether a PUT's Content-Type (NULL: none) is text/markdown, any case,
 * alone or with parameters ("; charset=utf-8"). */
int page_api_markdown_type(const char *content_type);

/*
 * The API's door, decided from the request's parameters alone, so
 * before its body is read (DESIGN §7): 404 when the API is off; 429
 * with resp->retry_after when req->remote_addr has had too many wrong
 * tokens in its window (a good token too: a throttled address learns
 * nothing); 401 without a bearer token; 403 with a wrong one, counted
 * against the address. Returns 200 with the token's id in id, or the
 * status of resp.
 */
int page_api_auth(const struct request *req, struct response *resp,
		  char id[AUTH_ID_LEN + 1]);

/*
 * "/api/posts/SLUG": GET, PUT, DELETE of a post's source; "/api/posts":
 * GET, the listing, for a request page_api_auth() let in (its id in
 * req->token_id). Returns the status of resp; or 0 with *write set
 * (caller frees it with commit_request_release() and free()): commit
 * it, then answer with page_api_answer().
 */
int page_api(const struct request *req, struct response *resp,
	     struct commit_request **write);

/* Fills resp from what became of write w; its "url" is the post's in
 * site s (may be NULL: the default patterns). Returns the status. */
struct site;
int page_api_answer(const struct commit_request *w,
		    const struct commit_reply *r, const struct site *s,
		    struct response *resp);

#endif
