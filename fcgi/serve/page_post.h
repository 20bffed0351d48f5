/*
 * page_post.h - showing one post or static page at its URL: what
 * page_post.c and page_static.c share
 */
#ifndef QUIRE_PAGE_POST_H
#define QUIRE_PAGE_POST_H

#include "serve/page.h"

/*
 * Fills resp with p (a post or a page), its body fetched through the
 * tiers when it was not loaded with it: template tpl, with p under
 * field, and og_type as its Open Graph type. Returns the status: 200,
 * 404 (the not-found page filled) when the body is gone, 503 when no
 * tier could give it, 500 when out of memory.
 */
int page_post_show(const struct request *req, struct response *resp,
		   const struct post *p, const char *tpl, const char *field,
		   const char *og_type);

#endif
