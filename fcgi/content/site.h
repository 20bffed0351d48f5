/*
 * site.h - the in-memory index of what is published
 *
 * Built from a content load at a given time: which posts are visible
 * (not drafts unless enabled, not dated in the future), in what order,
 * and every lookup a request needs (slug, alias, tag, category) so that
 * an unknown URL is answered without touching a lower tier.
 */
#ifndef QUIRE_SITE_H
#define QUIRE_SITE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "content/content.h"
#include "content/post.h"
#include "lib/quire.h"

struct site_entry;  /* slug or path -> post, in a hash table */
struct siteconf;

/* A tag or category with the visible posts that carry it, newest first. */
struct site_term {
	char *key;              /* URL form: lower-case, '-' for spaces */
	char *name;             /* as first written */
	struct post **posts;    /* newest first */
	/* posts[i]->rank, side by side: related posts count shared tags
	 * over these without touching a post (a post each on its own
	 * page, cold in a fresh worker: 10 ms for the first page) */
	uint32_t *ranks;
	size_t n, cap;
};

struct site_terms {
	struct site_term *v;    /* sorted by key */
	size_t n;
};

/* A year or a month of visible dated posts (DESIGN §4, archives): a run
 * of site->posts, which is newest first, so no list of its own. */
struct site_period {
	int year;               /* e.g. 2024 */
	int month;              /* 1..12; 0 for a whole year */
	size_t first;           /* its newest post: site->posts[first] */
	size_t n;               /* how many */
};

struct site_periods {
	struct site_period *v;  /* newest first */
	size_t n, cap;
};

struct site {
	struct content *content;   /* borrowed; outlives the site */
	struct post **posts;       /* visible posts, newest first */
	size_t n_posts;
	struct post **home;        /* visible posts, pinned first, then newest */
	struct post **pages;       /* static pages, by slug */
	size_t n_pages;
	struct site_terms tags;
	struct site_terms categories;
	/* author: and authors: frontmatter, keyed as tags are */
	struct site_terms authors;
	/* years and months with visible dated posts; an undated post is
	 * in none */
	struct site_periods years;
	struct site_periods months;
	struct site_entry *by_slug;   /* posts */
	struct site_entry *by_page;   /* pages */
	/* the base of each post's and page's URL (permalink_base_len: no
	 * last ".html", ".html/" or '/') -> the post: one lookup finds the
	 * post a request's path is the URL of (site_path) or another form
	 * of (site_alias); two URLs of one base are one too many */
	struct site_entry *by_url;
	int by_url_used;              /* 0: the default patterns, by slug */
	struct site_entry *by_alias;  /* alias path -> post */
	/* ASCII-lower-cased slug -> post: a request in another letter case
	 * answers 301 to the slug as written (DESIGN §4) */
	struct site_entry *by_slug_folded;
	struct site_entry *by_page_folded;
	struct site_entry *by_url_folded;  /* the same of by_url's keys */
	struct site_entry *pool;      /* by_url's entries, one a post */
	size_t n_pool;
	const struct siteconf *conf;  /* the content's; NULL: defaults */
	size_t n_refused;          /* posts left out: URL reserved or taken */
	time_t built_at;
	time_t next_change;        /* date of the next scheduled post; 0 none */
	time_t last_updated;       /* newest date or updated of a visible post */
};

/*
 * Builds the index of c as seen at time now. c is borrowed and must
 * outlive the site. Each visible post and page gets its URL from c's
 * site.yaml patterns (content/permalink.h); one whose URL is a route of
 * quire's own, or another's URL but for ".html" or the trailing slash,
 * is reported with its path (content_report) and left out, counted in
 * n_refused. Returns QUIRE_OK
 * or QUIRE_ENOMEM; free with site_free().
 */
enum quire_err site_build(struct content *c, time_t now, int enable_drafts,
			  struct site **out);
void site_free(struct site *s);

/* Lookups; each returns a borrowed pointer or NULL. */
struct post *site_post(const struct site *s, const char *slug);
struct post *site_page(const struct site *s, const char *slug);
/* The post or page whose canonical URL is path. */
struct post *site_path(const struct site *s, const char *path);
/*
 * The post or page an old URL names, to answer 301 to its own: another
 * form of its URL (with or without the trailing slash, with or without
 * ".html"), /posts/SLUG or /pages/SLUG (with those forms) when site.yaml
 * sets another pattern, or an alias, with or without its trailing
 * slash. Exact lookups only, a few at most; never the post whose
 * canonical URL path is (NULL then). */
struct post *site_alias(const struct site *s, const char *path);
/* The post (page) whose slug equals slug ignoring ASCII case, for a
 * redirect to its canonical URL; ask after site_post (site_page)
 * missed. NULL when none, or when slug is longer than any slug. */
struct post *site_post_folded(const struct site *s, const char *slug);
struct post *site_page_folded(const struct site *s, const char *slug);

/*
 * The URL path of p: the one place a post's or page's URL is made. The
 * site's, when p is in it, else p expanded by the site's pattern into
 * buf (bufsz bytes). Never NULL ("/" if it does not fit).
 */
const char *site_post_url(const struct site *s, const struct post *p,
			  char *buf, size_t bufsz);

/*
 * p's featured image (cover:, image:) as a path from the site's root or
 * an absolute URL: a bundle's relative one under its URL's folder
 * (content_files_url() of site_post_url()), written into buf (bufsz
 * bytes). NULL when p has none, or it does not fit.
 */
const char *site_post_image(const struct site *s, const struct post *p,
			    char *buf, size_t bufsz);

/* Writes p's URL under conf's patterns (NULL: the defaults) into url
 * (urlsz bytes, PERMALINK_MAX_URL + 1 at least) and says why site_build
 * would refuse it: it, or its base (so another form of it), is a route
 * of quire's own, or it is too long (url then holds its start). NULL
 * when it is fine. For a deploy to refuse first. */
const char *site_url_refused(const struct siteconf *conf,
			     const struct post *p, char *url, size_t urlsz);
const struct site_term *site_term_find(const struct site_terms *t,
				       const char *key);

/* The year (month 0) or the month of the archives, or NULL when it
 * has no visible post: a search of a few dozen entries at most. */
const struct site_period *site_period_find(const struct site *s, int year,
					   int month);

/* The visible posts just newer and just older than p (by date, as
 * site->posts is sorted), for a post's previous/next links; NULL at
 * either end, or when p is not in the index (another version of it
 * is looked up by its slug). */
/* The order of site->posts: newer first, then by slug; < 0 when a
 * comes before b. Posts need not be in the index (touch.c places a new
 * version among the old ones). */
int site_post_cmp(const struct post *a, const struct post *b);

struct post *site_post_newer(const struct site *s, const struct post *p);
struct post *site_post_older(const struct site *s, const struct post *p);

/* Writes the URL key of a tag or category name into out (outsz bytes):
 * lower-case ASCII; spaces, control characters, '/', '\\', '?', '#',
 * and a whole "." or ".." as '-'; other bytes kept. */
void site_term_key(const char *name, char *out, size_t outsz);

/* The time a post was last changed: updated, else date. */
time_t site_post_mtime(const struct post *p);

#endif
