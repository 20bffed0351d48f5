/*
 * import_tags.h - the template tags real posts contain, turned into
 * Markdown
 *
 * Jekyll's Liquid ({% highlight %}, Octopress's {% codeblock %},
 * {% raw %}, {{ site.baseurl }}, {{ site.url }}, a path through
 * relative_url or absolute_url, {% link %}, {% post_url %}) and Hugo's
 * shortcodes ({{< highlight >}}, {{< figure >}}, {{< ref >}},
 * {{< relref >}}, and the escaped form with comment markers inside the
 * brackets). Any other tag is reported with its path and line and left
 * in the text as it was, where a reader sees it: never dropped, never
 * silently served as template syntax.
 */
#ifndef QUIRE_IMPORT_TAGS_H
#define QUIRE_IMPORT_TAGS_H

#include <stddef.h>

#include "lib/buf.h"
#include "lib/quire.h"

struct import_tags {
	const char *path;      /* the file, for reports */
	const char *site_url;  /* what {{ site.url }} becomes ("" if NULL) */
	const char *base;      /* prefix of a figure's relative src, or NULL */
	/* The new URL of the post or page a link names, or NULL. */
	const char *(*resolve)(void *arg, const char *target);
	void *arg;
	size_t reported;       /* tags reported so far */
	unsigned last_line;    /* the line of the last one */
};

/*
 * Appends in (len bytes; its first line is line first_line of the file)
 * to out with Jekyll's tags translated. Returns QUIRE_OK or
 * QUIRE_ENOMEM; reports (log_report(), "path:line: ...") and counts in
 * t->reported every tag left as text.
 */
enum quire_err import_tags_jekyll(struct import_tags *t, const char *in,
				  size_t len, unsigned first_line,
				  struct buf *out);

/* The same for Hugo's shortcodes. */
enum quire_err import_tags_hugo(struct import_tags *t, const char *in,
				size_t len, unsigned first_line,
				struct buf *out);

/* Either of the two. */
typedef enum quire_err (*import_tags_fn)(struct import_tags *t,
					 const char *in, size_t len,
					 unsigned first_line, struct buf *out);

#endif
