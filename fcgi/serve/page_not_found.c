/*
 * page_not_found.c - the 404 page
 *
 * Not cached: its body names the path asked for, and random URLs must
 * not fill the L1.
 */
#include <string.h>

#include "content/html.h"
#include "lib/buf.h"
#include "lib/quire.h"
#include "serve/page.h"
#include "serve/view.h"

int page_not_found(const struct request *req, struct response *resp)
{
	struct tvars *v = tvars_new();
	struct buf url = BUF_INIT;
	int status;

	/* The canonical link is a URL: the decoded path encoded again. */
	html_path_encode(&url, req->uri.path, req->uri.path_len);
	if (!v || buf_failed(&url) ||
	    tvars_set(v, "path", req->uri.path) != QUIRE_OK) {
		tvars_free(v);
		buf_release(&url);
		response_plain(resp, 404);
		return 404;
	}
	status = view_html(req, "404", v, "Not found", NULL, url.data,
			   "website", NULL, resp);
	tvars_free(v);
	buf_release(&url);
	if (status != 200)
		response_plain(resp, 404);
	resp->status = 404;
	resp->cacheable = 0;
	return 404;
}
