/*
 * site.c - the in-memory index of what is published
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uthash.h>

#include "content/content.h"
#include "content/markdown.h"
#include "content/permalink.h"
#include "content/site.h"
#include "content/siteconf.h"
#include "lib/limits.h"
#include "lib/quire.h"

struct site_entry {
	const char *key;      /* borrowed (a post's slug or URL), or own */
	char *own;            /* the key when the entry made it (folded) */
	struct post *post;
	UT_hash_handle hh;
};



time_t site_post_mtime(const struct post *p)
{
	if (p->has_updated && p->updated > p->date)
		return p->updated;
	return p->date;
}

int site_post_cmp(const struct post *pa, const struct post *pb)
{
	if (pa->date != pb->date)
		return pa->date > pb->date ? -1 : 1;
	return strcmp(pa->slug, pb->slug);
}

static int by_date_desc(const void *a, const void *b)
{
	return site_post_cmp(*(struct post *const *)a, *(struct post *const *)b);
}

static int by_pin_then_date(const void *a, const void *b)
{
	const struct post *pa = *(struct post *const *)a;
	const struct post *pb = *(struct post *const *)b;

	if (pa->pin != pb->pin)
		return pa->pin > pb->pin ? -1 : 1;
	return by_date_desc(a, b);
}

static int by_slug(const void *a, const void *b)
{
	const struct post *pa = *(struct post *const *)a;
	const struct post *pb = *(struct post *const *)b;

	return strcmp(pa->slug, pb->slug);
}

void site_term_key(const char *name, char *out, size_t outsz)
{
	permalink_term_key(name, out, outsz);
}

static enum quire_err entry_add(struct site_entry **table, const char *key,
				struct post *p)
{
	struct site_entry *e;

	HASH_FIND_STR(*table, key, e);
	if (e)
		return QUIRE_OK; /* the first one wins; content.c reported it */
	e = calloc(1, sizeof(*e));
	if (!e)
		return QUIRE_ENOMEM;
	e->key = key;
	e->post = p;
	HASH_ADD_KEYPTR(hh, *table, e->key, strlen(e->key), e);
	return QUIRE_OK;
}

/* Writes the n bytes of src ASCII-lower-cased into out (outsz bytes);
 * 0 when they do not fit. */
static int fold(const char *src, size_t n, char *out, size_t outsz)
{
	size_t i;

	if (n >= outsz)
		return 0;
	for (i = 0; i < n; i++)
		out[i] = src[i] >= 'A' && src[i] <= 'Z' ?
			 (char)(src[i] - 'A' + 'a') : src[i];
	out[n] = '\0';
	return 1;
}

/* Adds p under a copy of key: the first one wins, as in entry_add. */
static enum quire_err own_add(struct site_entry **table, const char *key,
			      struct post *p)
{
	struct site_entry *e;

	HASH_FIND_STR(*table, key, e);
	if (e)
		return QUIRE_OK;
	e = calloc(1, sizeof(*e));
	if (!e || !(e->own = strdup(key))) {
		free(e);
		return QUIRE_ENOMEM;
	}
	e->key = e->own;
	e->post = p;
	HASH_ADD_KEYPTR(hh, *table, e->key, strlen(e->key), e);
	return QUIRE_OK;
}

/* Adds p under the n bytes of key folded (two slugs equal but for case
 * are duplicates, settled at load). */
static enum quire_err fold_add(struct site_entry **table, const char *key,
			       size_t n, struct post *p)
{
	char folded[PERMALINK_MAX_URL + 1];

	if (!fold(key, n, folded, sizeof(folded)))
		return QUIRE_OK; /* longer than any URL: never asked for */
	return own_add(table, folded, p);
}

/* Adds key (keylen bytes, borrowed: a prefix of a post's URL) to table,
 * its entry taken from the site's pool (one a post: a rebuild on a
 * 10,000-post site made 10,000 allocations more without it). The
 * caller has checked that the key is new. */
static void entry_add_pooled(struct site *s, struct site_entry **table,
			     const char *key, size_t keylen, unsigned hv,
			     struct post *p)
{
	struct site_entry *e = &s->pool[s->n_pool++];

	e->key = key;
	e->post = p;
	HASH_ADD_KEYPTR_BYHASHVALUE(hh, *table, e->key, keylen, hv, e);
}

static struct post *entry_find_len(struct site_entry *table, const char *key,
				   size_t keylen)
{
	struct site_entry *e;

	HASH_FIND(hh, table, key, keylen, e);
	return e ? e->post : NULL;
}

static void entries_free(struct site_entry **table)
{
	struct site_entry *e, *tmp;

	HASH_ITER(hh, *table, e, tmp) {
		HASH_DEL(*table, e);
		free(e->own);
		free(e);
	}
}

static struct post *entry_find(struct site_entry *table, const char *key)
{
	struct site_entry *e;

	HASH_FIND_STR(table, key, e);
	return e ? e->post : NULL;
}

static int term_cmp(const void *a, const void *b)
{
	return strcmp(((const struct site_term *)a)->key,
		      ((const struct site_term *)b)->key);
}

/* Adds post p to the term named name, creating it. Posts arrive newest
 * first, so each term's list is in order too. */
static enum quire_err terms_add(struct site_terms *t, size_t *cap,
				const char *name, struct post *p)
{
	char key[256];
	struct site_term *term = NULL;
	size_t i, ranks_cap;

	site_term_key(name, key, sizeof(key));
	if (!key[0])
		return QUIRE_OK;
	for (i = 0; i < t->n; i++) {
		if (strcmp(t->v[i].key, key) == 0) {
			term = &t->v[i];
			break;
		}
	}
	if (!term) {
		if (quire_grow(&t->v, cap, t->n, sizeof(*t->v), 16) != QUIRE_OK)
			return QUIRE_ENOMEM;
		term = &t->v[t->n];
		memset(term, 0, sizeof(*term));
		term->key = strdup(key);
		term->name = strdup(name);
		if (!term->key || !term->name) {
			free(term->key);
			free(term->name);
			return QUIRE_ENOMEM;
		}
		t->n++;
	}
	/* A post listing the same tag twice is counted once. */
	if (term->n && term->posts[term->n - 1] == p)
		return QUIRE_OK;
	/* Doubling: one post more at a time copied every list over and
	 * over on a 10,000-post site. The ranks grow first, on a copy of
	 * cap: posts' cap is then never more than both hold. */
	ranks_cap = term->cap;
	if (quire_grow(&term->ranks, &ranks_cap, term->n, sizeof(*term->ranks),
		       8) != QUIRE_OK ||
	    quire_grow(&term->posts, &term->cap, term->n, sizeof(*term->posts),
		       8) != QUIRE_OK)
		return QUIRE_ENOMEM;
	term->posts[term->n] = p;
	term->ranks[term->n++] = (uint32_t)p->rank;
	return QUIRE_OK;
}

static void terms_release(struct site_terms *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		free(t->v[i].key);
		free(t->v[i].name);
		free(t->v[i].posts);
		free(t->v[i].ranks);
	}
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

const struct site_term *site_term_find(const struct site_terms *t,
				       const char *key)
{
	struct site_term probe;

	if (t->n == 0)
		return NULL;
	probe.key = (char *)key;
	return bsearch(&probe, t->v, t->n, sizeof(*t->v), term_cmp);
}

/* Adds posts[i] (dated) to the years and months: posts arrive newest
 * first, so a period is a run that grows at its end. */
static enum quire_err period_add(struct site_periods *ps, int year, int month,
				 size_t i)
{
	struct site_period *last = ps->n ? &ps->v[ps->n - 1] : NULL;

	if (last && last->year == year && last->month == month &&
	    last->first + last->n == i) {
		last->n++;
		return QUIRE_OK;
	}
	if (quire_grow(&ps->v, &ps->cap, ps->n, sizeof(*ps->v), 16) != QUIRE_OK)
		return QUIRE_ENOMEM;
	ps->v[ps->n].year = year;
	ps->v[ps->n].month = month;
	ps->v[ps->n].first = i;
	ps->v[ps->n].n = 1;
	ps->n++;
	return QUIRE_OK;
}

static enum quire_err periods_add(struct site *s, const struct post *p)
{
	struct tm tm;
	enum quire_err rc;

	if (!p->has_date || !gmtime_r(&p->date, &tm))
		return QUIRE_OK;
	if ((rc = period_add(&s->years, tm.tm_year + 1900, 0, p->rank)) != QUIRE_OK)
		return rc;
	return period_add(&s->months, tm.tm_year + 1900, tm.tm_mon + 1, p->rank);
}

const struct site_period *site_period_find(const struct site *s, int year,
					   int month)
{
	const struct site_periods *ps = month ? &s->months : &s->years;
	size_t i;

	for (i = 0; i < ps->n; i++)
		if (ps->v[i].year == year && ps->v[i].month == month)
			return &ps->v[i];
	return NULL;
}

/* p as the index holds it: p itself, or the post of its slug when p is
 * another version of it (a body newer than the index). */
static const struct post *indexed(const struct site *s, const struct post *p)
{
	if (p->kind != POST_KIND_POST)
		return NULL;
	if (p->rank < s->n_posts && s->posts[p->rank] == p)
		return p;
	p = site_post(s, p->slug);
	return p && p->rank < s->n_posts && s->posts[p->rank] == p ? p : NULL;
}

struct post *site_post_newer(const struct site *s, const struct post *p)
{
	p = indexed(s, p);
	return p && p->rank > 0 ? s->posts[p->rank - 1] : NULL;
}

struct post *site_post_older(const struct site *s, const struct post *p)
{
	p = indexed(s, p);
	return p && p->rank + 1 < s->n_posts ? s->posts[p->rank + 1] : NULL;
}

static const char *pattern_of(const struct siteconf *conf,
			      const struct post *p)
{
	if (p->kind == POST_KIND_PAGE)
		return conf ? conf->pages : PERMALINK_PAGES_DEFAULT;
	return conf ? conf->posts : PERMALINK_POSTS_DEFAULT;
}

const char *site_url_refused(const struct siteconf *conf,
			     const struct post *p, char *url, size_t urlsz)
{
	char base[PERMALINK_MAX_URL + 1];
	size_t n;

	if (permalink_expand(pattern_of(conf, p), p, url, urlsz) != QUIRE_OK) {
		/* what was made of it: its start is enough to tell */
		if (urlsz > 68)
			memcpy(url + 64, "...", 4);
		return "is longer than 1024 bytes";
	}
	/* "/tags.html" would take "/tags", which redirects to "/tags/" */
	n = permalink_base_len(url, strlen(url));
	snprintf(base, sizeof(base), "%.*s", (int)n, url);
	if (permalink_reserved(url) || permalink_reserved(base))
		return "would shadow a route of quire's own (reserved)";
	return NULL;
}

/* Makes p's URL, once (post.h); a refusal is reported then. QUIRE_OK
 * or QUIRE_ENOMEM. */
static enum quire_err url_make(const struct site *s, struct post *p)
{
	char url[PERMALINK_MAX_URL + 1], msg[PERMALINK_MAX_URL + 128];

	p->url_refused = site_url_refused(s->conf, p, url, sizeof(url));
	if (p->url_refused) {
		snprintf(msg, sizeof(msg), "its URL \"%s\" %s: left out; set "
			 "another slug or permalink", url, p->url_refused);
		content_report(p->path, 1, 1, msg);
	}
	p->url = strdup(url);
	if (!p->url)
		return QUIRE_ENOMEM;
	p->url_made = 1;
	return QUIRE_OK;
}

/* A post served under a suffix because another holds the slug it asked
 * for (content/slug_settle.h) keeps its own old URL: its pattern with
 * the slug it asked for, an alias (site_alias asks by_url first, so a
 * post whose URL it is keeps it). */
static enum quire_err wanted_alias_add(struct site *s, struct post *p)
{
	char url[PERMALINK_MAX_URL + 1];
	struct post asked;

	if (!p->wanted_slug || strcmp(p->wanted_slug, p->slug) == 0)
		return QUIRE_OK;
	asked = *p;	/* read only: the pattern's fields, another slug */
	asked.slug = p->wanted_slug;
	if (permalink_expand(pattern_of(s->conf, &asked), &asked, url,
			     sizeof(url)) != QUIRE_OK)
		return QUIRE_OK; /* too long: no URL had it */
	return own_add(&s->by_alias, url, p);
}

/* Puts p in by_url at its URL's base; 0 when p is refused and must be
 * left out, -1 out of memory. */
static int site_place(struct site *s, struct post *p)
{
	char msg[2 * PERMALINK_MAX_URL + 128];
	struct site_entry *e;
	struct post *other;
	size_t base;
	unsigned hv;

	if (!p->url_made && url_make(s, p) != QUIRE_OK)
		return -1;
	if (p->url_refused) {
		s->n_refused++;
		return 0;
	}
	if (!s->by_url_used)
		return 1; /* found by slug (slug_url_post) */
	base = permalink_base_len(p->url, strlen(p->url));
	/* hashed once, for the lookup and the insertion */
	HASH_VALUE(p->url, base, hv);
	HASH_FIND_BYHASHVALUE(hh, s->by_url, p->url, base, hv, e);
	if (e) {
		other = e->post;
		/* "/x.html" and "/x/": each would answer the other's 301 */
		snprintf(msg, sizeof(msg), "its URL \"%s\" is \"%s\"'s (\"%s\")%s: "
			 "left out", p->url, other->path, other->url,
			 strcmp(p->url, other->url) ? " but for .html or the "
			 "trailing slash" : "");
		content_report(p->path, 1, 1, msg);
		s->n_refused++;
		return 0;
	}
	entry_add_pooled(s, &s->by_url, p->url, base, hv, p);
	/* the URL in another letter case answers 301 (site_alias) */
	return fold_add(&s->by_url_folded, p->url, base, p) == QUIRE_OK ? 1 : -1;
}

enum quire_err site_build(struct content *c, time_t now, int enable_drafts,
			  struct site **out)
{
	int placed;
	struct site *s;
	struct post *p;
	size_t i, j, tag_cap = 0, cat_cap = 0, author_cap = 0;
	enum quire_err rc = QUIRE_ENOMEM;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return QUIRE_ENOMEM;
	s->content = c;
	s->conf = c->conf;
	/* Under the default patterns a post's URL is /posts/SLUG and a
	 * page's /pages/SLUG: found by slug, with no table of URLs to build
	 * (a 10,000-post rebuild took twice as long with one). */
	s->by_url_used = c->conf &&
			 (strcmp(c->conf->posts, PERMALINK_POSTS_DEFAULT) != 0 ||
			  strcmp(c->conf->pages, PERMALINK_PAGES_DEFAULT) != 0);
	s->built_at = now;
	s->posts = calloc(c->n ? c->n : 1, sizeof(*s->posts));
	s->home = calloc(c->n ? c->n : 1, sizeof(*s->home));
	s->pages = calloc(c->n ? c->n : 1, sizeof(*s->pages));
	s->pool = calloc(c->n + 1, sizeof(*s->pool));
	if (!s->posts || !s->home || !s->pages || !s->pool)
		goto out;

	for (i = 0; i < c->n; i++) {
		p = c->posts[i];
		if (p->draft && !enable_drafts)
			continue;
		if (p->kind == POST_KIND_POST && p->has_date && p->date > now) {
			if (!s->next_change || p->date < s->next_change)
				s->next_change = p->date;
			continue;
		}
		/* in path order: of two posts with one URL the first stays */
		if ((placed = site_place(s, p)) < 0)
			goto out;
		if (!placed)
			continue;
		if (p->kind == POST_KIND_PAGE)
			s->pages[s->n_pages++] = p;
		else
			s->posts[s->n_posts++] = p;
	}
	qsort(s->posts, s->n_posts, sizeof(*s->posts), by_date_desc);
	memcpy(s->home, s->posts, s->n_posts * sizeof(*s->home));
	qsort(s->home, s->n_posts, sizeof(*s->home), by_pin_then_date);
	qsort(s->pages, s->n_pages, sizeof(*s->pages), by_slug);

	for (i = 0; i < s->n_posts; i++) {
		p = s->posts[i];
		p->rank = i;
		if (site_post_mtime(p) > s->last_updated)
			s->last_updated = site_post_mtime(p);
		if ((rc = entry_add(&s->by_slug, p->slug, p)) != QUIRE_OK ||
		    (rc = fold_add(&s->by_slug_folded, p->slug, strlen(p->slug), p)) != QUIRE_OK)
			goto out;
		for (j = 0; j < p->aliases.n; j++)
			if ((rc = entry_add(&s->by_alias, p->aliases.v[j], p)) != QUIRE_OK)
				goto out;
		if ((rc = wanted_alias_add(s, p)) != QUIRE_OK)
			goto out;
		for (j = 0; j < p->tags.n; j++)
			if ((rc = terms_add(&s->tags, &tag_cap, p->tags.v[j], p)) != QUIRE_OK)
				goto out;
		for (j = 0; j < p->categories.n; j++)
			if ((rc = terms_add(&s->categories, &cat_cap, p->categories.v[j], p)) != QUIRE_OK)
				goto out;
		for (j = 0; j < p->authors.n; j++)
			if ((rc = terms_add(&s->authors, &author_cap, p->authors.v[j], p)) != QUIRE_OK)
				goto out;
		if ((rc = periods_add(s, p)) != QUIRE_OK)
			goto out;
	}
	for (i = 0; i < s->n_pages; i++) {
		p = s->pages[i];
		if ((rc = entry_add(&s->by_page, p->slug, p)) != QUIRE_OK ||
		    (rc = fold_add(&s->by_page_folded, p->slug, strlen(p->slug), p)) != QUIRE_OK)
			goto out;
		for (j = 0; j < p->aliases.n; j++)
			if ((rc = entry_add(&s->by_alias, p->aliases.v[j], p)) != QUIRE_OK)
				goto out;
	}
	/* A site with no tag or no category has no list: qsort must not
	 * be given NULL, even for 0 items (UBSan, tests/unit/test_view). */
	if (s->tags.n > 1)
		qsort(s->tags.v, s->tags.n, sizeof(*s->tags.v), term_cmp);
	if (s->categories.n > 1)
		qsort(s->categories.v, s->categories.n, sizeof(*s->categories.v),
		      term_cmp);
	if (s->authors.n > 1)
		qsort(s->authors.v, s->authors.n, sizeof(*s->authors.v),
		      term_cmp);
	*out = s;
	return QUIRE_OK;
out:
	site_free(s);
	return rc;
}

void site_free(struct site *s)
{
	if (!s)
		return;
	entries_free(&s->by_slug);
	entries_free(&s->by_page);
	entries_free(&s->by_slug_folded);
	entries_free(&s->by_page_folded);
	entries_free(&s->by_url_folded);
	HASH_CLEAR(hh, s->by_url); /* its entries are the pool's */
	free(s->pool);
	entries_free(&s->by_alias);
	terms_release(&s->tags);
	terms_release(&s->categories);
	terms_release(&s->authors);
	free(s->years.v);
	free(s->months.v);
	free(s->posts);
	free(s->home);
	free(s->pages);
	free(s);
}

struct post *site_post(const struct site *s, const char *slug)
{
	return entry_find(s->by_slug, slug);
}

struct post *site_page(const struct site *s, const char *slug)
{
	return entry_find(s->by_page, slug);
}

/* The other case of a key: a second exact lookup, asked only after
 * the first missed, so a hit costs nothing more and a miss one hash. */
static struct post *folded_find(struct site_entry *table, const char *key,
				size_t n)
{
	char folded[PERMALINK_MAX_URL + 1];

	return fold(key, n, folded, sizeof(folded)) ?
	       entry_find(table, folded) : NULL;
}

struct post *site_post_folded(const struct site *s, const char *slug)
{
	return folded_find(s->by_slug_folded, slug, strlen(slug));
}

struct post *site_page_folded(const struct site *s, const char *slug)
{
	return folded_find(s->by_page_folded, slug, strlen(slug));
}

/* The post the slug names: exactly, or (folded) in any letter case. */
static struct post *slug_find(const struct site *s, int page,
			      const char *slug, int folded)
{
	if (folded)
		return page ? site_page_folded(s, slug) :
		       site_post_folded(s, slug);
	return page ? site_page(s, slug) : site_post(s, slug);
}

/* The post /posts/SLUG or the page /pages/SLUG names, in any of its
 * forms (with or without the slash or ".html"), by slug: the URL under
 * the default patterns, the post's own then, its old one under others.
 * folded: the slug in any letter case. */
static struct post *slug_url_post(const struct site *s, const char *path,
				  size_t len, int folded)
{
	char slug[QUIRE_MAX_SLUG + 1];
	struct post *p = NULL;
	int page = strncmp(path, "/pages/", 7) == 0;
	size_t n;

	if (!page && strncmp(path, "/posts/", 7) != 0)
		return NULL;
	/* the slug as it is ("a.html" is one), then the base's */
	n = len > 8 && path[len - 1] == '/' ? len - 8 : len - 7;
	if (n && n <= QUIRE_MAX_SLUG && !memchr(path + 7, '/', n)) {
		memcpy(slug, path + 7, n);
		slug[n] = '\0';
		p = slug_find(s, page, slug, folded);
	}
	n = permalink_base_len(path, len);
	if (!p && n > 7 && n - 7 <= QUIRE_MAX_SLUG &&
	    !memchr(path + 7, '/', n - 7)) {
		memcpy(slug, path + 7, n - 7);
		slug[n - 7] = '\0';
		p = slug_find(s, page, slug, folded);
	}
	return p;
}

struct post *site_path(const struct site *s, const char *path)
{
	size_t len = strlen(path);
	struct post *p = s->by_url_used ?
		entry_find_len(s->by_url, path, permalink_base_len(path, len)) :
		slug_url_post(s, path, len, 0);

	return p && strcmp(p->url, path) == 0 ? p : NULL;
}

struct post *site_alias(const struct site *s, const char *path)
{
	char other[PERMALINK_MAX_URL + 2];
	size_t len = strlen(path);
	struct post *p;

	if (s->by_url_used)
		p = entry_find_len(s->by_url, path, permalink_base_len(path, len));
	else
		p = NULL;
	if (!p)
		p = slug_url_post(s, path, len, 0);
	if (!p)
		p = entry_find(s->by_alias, path);
	/* an alias may be written with or without its trailing slash */
	if (!p && len > 1 && len <= PERMALINK_MAX_URL) {
		if (path[len - 1] == '/')
			snprintf(other, sizeof(other), "%.*s", (int)len - 1, path);
		else
			snprintf(other, sizeof(other), "%s/", path);
		p = entry_find(s->by_alias, other);
	}
	/* the URL (or /posts/SLUG) in another letter case: the same
	 * lookups, folded, only once every exact one missed */
	if (!p && s->by_url_used)
		p = folded_find(s->by_url_folded, path,
				permalink_base_len(path, len));
	if (!p)
		p = slug_url_post(s, path, len, 1);
	if (p && strcmp(site_post_url(s, p, NULL, 0), path) == 0)
		return NULL; /* its own URL: no redirect, never a loop */
	return p;
}

const char *site_post_url(const struct site *s, const struct post *p,
			  char *buf, size_t bufsz)
{
	/* made by the site's build; a post it has not placed (a version
	 * fetched newer than the index, a draft) is expanded here */
	if (p->url_made && !p->url_refused)
		return p->url;
	if (!buf || bufsz < 2)
		return "/";
	if (permalink_expand(pattern_of(s ? s->conf : NULL, p), p, buf,
			     bufsz) != QUIRE_OK)
		snprintf(buf, bufsz, "/");
	return buf;
}

const char *site_post_image(const struct site *s, const struct post *p,
			    char *buf, size_t bufsz)
{
	char url[PERMALINK_MAX_URL + 1], dir[PERMALINK_MAX_URL + 2];
	const char *img = p->featured_image;
	int w;

	/* only a bundle's is still relative (content_resolve_image) */
	if (!img || !markdown_url_relative(img))
		return img;
	while (img[0] == '.' && img[1] == '/')
		img += 2;
	if (content_files_url(site_post_url(s, p, url, sizeof(url)), dir,
			      sizeof(dir)) != QUIRE_OK)
		return NULL;
	w = snprintf(buf, bufsz, "%s%s", dir, img);
	return w > 0 && (size_t)w < bufsz ? buf : NULL;
}
