/*
 * api.h - the write API's two halves (page_api.c)
 *
 * page_api() answers what needs no commit (GET, errors) at once; a
 * write that passed every check comes back as a request for the
 * committer, and page_api_answer() turns the committer's reply into
 * the answer, once it is durable and every worker serves it.
 */
#ifndef QUIRE_API_H
#define QUIRE_API_H

#include "commit_wire.h"
#include "page.h"

/*
 * "/api/posts/SLUG": GET, PUT, DELETE of a post's source. Returns the
 * status of resp; or 0 with *write set (caller frees it with
 * commit_request_release() and free()): commit it, then answer with
 * page_api_answer().
 */
int page_api(const struct request *req, struct response *resp,
	     struct commit_request **write);

/* Fills resp from what became of write w. Returns the status. */
int page_api_answer(const struct commit_request *w,
		    const struct commit_reply *r, struct response *resp);

#endif
