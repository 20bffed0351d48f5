/*
 * view.h - turning posts and pages into template variables
 *
 * The names set here are the contract with templates/ (see the comment
 * at the top of templates/base.html).
 */
#ifndef QUIRE_VIEW_H
#define QUIRE_VIEW_H

#include <stddef.h>
#include <time.h>

#include "content/tvars.h"
#include "lib/quire.h"
#include "serve/page.h"

/* Dates in UTC: "2024-01-31", "31 January 2024", RFC 3339. */
void view_date_iso(time_t t, char *out, size_t outsz);
void view_date_human(time_t t, char *out, size_t outsz);
void view_date_rfc3339(time_t t, char *out, size_t outsz);

/* Minutes to read words at 200 a minute, at least 1. */
unsigned view_reading_minutes(size_t words);

/* p's title as plain text (its Markdown stripped, DESIGN §3), for
 * <title>, og:title and feeds: escaped where it is written. */
const char *view_title_text(const struct post *p);

/* Sets the summary fields of p on o: title (plain text), title_html
 * (its Markdown as inline HTML, for {{{title_html}}}), url, date_iso,
 * date_human, description, reading_minutes, tags, pinned, draft. */
enum quire_err view_summary(struct tvars *o, const struct site *s,
			    const struct post *p);
/* Appends a summary of each of posts[0..n) to the list name of v. */
enum quire_err view_summaries(struct tvars *v, const struct site *s,
			      const char *name, struct post *const *posts,
			      size_t n);
/* The name to show of an author: site.yaml's profile name, else the
 * name as the first post wrote it. */
const char *view_author_name(const struct site *s, const struct site_term *a);
/* Sets "profile" on v: name, bio, url, avatar of site.yaml's authors:. */
struct siteconf_author;
enum quire_err view_author_profile(struct tvars *v,
				   const struct siteconf_author *a);

/* Sets everything post.html shows of p on o, related posts included. */
enum quire_err view_post(struct tvars *o, const struct site *s,
			 const struct post *p);
/* Frees what view_post keeps from one page to the next on the calling
 * thread. */
void view_scratch_end(void);

/*
 * Renders template tpl with vars as the body of an HTML page, wraps it
 * in base.html and puts the result in resp (status 200, cacheable
 * unless resp->private_page, which also sets base.html's noindex).
 * title is the page's own title (NULL for the home page), path its
 * canonical path. Returns an HTTP status (200, or 500 on failure).
 */
int view_html(const struct request *req, const char *tpl, struct tvars *vars,
	      const char *title, const char *description, const char *path,
	      const char *og_type, const char *og_image, struct response *resp);

/* Appends the absolute URL of path (site_url + path) to out. */
void view_abs_url(const struct app *app, const char *path, struct buf *out);

#endif
