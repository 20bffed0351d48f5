/*
 * site.c - the in-memory index of what is published
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "content/site.h"
#include "lib/limits.h"
#include "lib/quire.h"

struct site_entry {
	const char *key;      /* borrowed from the post, or own */
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

static int by_date_desc(const void *a, const void *b)
{
	const struct post *pa = *(struct post *const *)a;
	const struct post *pb = *(struct post *const *)b;

	if (pa->date != pb->date)
		return pa->date > pb->date ? -1 : 1;
	return strcmp(pa->slug, pb->slug);
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
	size_t o = 0;
	unsigned char c;

	if (outsz == 0)
		return;
	/* What serve/uri.c refuses in a path (a control character, a
	 * backslash, a "." or ".." segment) or what would end the segment
	 * becomes '-', so every term has a page. */
	for (; *name && o + 1 < outsz; name++) {
		c = (unsigned char)*name;
		if (c <= ' ' || c == 0x7f || c == '/' || c == '\\' || c == '?' ||
		    c == '#')
			c = '-';
		else if (c < 0x80)
			c = (unsigned char)tolower(c);
		out[o++] = (char)c;
	}
	out[o] = '\0';
	if (strcmp(out, ".") == 0 || strcmp(out, "..") == 0)
		memset(out, '-', o);
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

/* Writes slug ASCII-lower-cased into out (QUIRE_MAX_SLUG + 1 bytes);
 * 0 when it is longer than a slug may be. */
static int fold(const char *slug, char out[QUIRE_MAX_SLUG + 1])
{
	size_t i;

	for (i = 0; slug[i]; i++) {
		if (i >= QUIRE_MAX_SLUG)
			return 0;
		out[i] = slug[i] >= 'A' && slug[i] <= 'Z' ?
			 (char)(slug[i] - 'A' + 'a') : slug[i];
	}
	out[i] = '\0';
	return 1;
}

/* Adds p under its folded slug: the first one wins, as in entry_add
 * (two slugs equal but for case are duplicates, reported at load). */
static enum quire_err fold_add(struct site_entry **table, struct post *p)
{
	char key[QUIRE_MAX_SLUG + 1];
	struct site_entry *e;

	if (!fold(p->slug, key))
		return QUIRE_OK; /* no valid slug is longer */
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

enum quire_err site_build(struct content *c, time_t now, int enable_drafts,
			  struct site **out)
{
	struct site *s;
	struct post *p;
	size_t i, j, tag_cap = 0, cat_cap = 0;
	enum quire_err rc = QUIRE_ENOMEM;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return QUIRE_ENOMEM;
	s->content = c;
	s->built_at = now;
	s->posts = calloc(c->n ? c->n : 1, sizeof(*s->posts));
	s->home = calloc(c->n ? c->n : 1, sizeof(*s->home));
	s->pages = calloc(c->n ? c->n : 1, sizeof(*s->pages));
	if (!s->posts || !s->home || !s->pages)
		goto out;

	for (i = 0; i < c->n; i++) {
		p = c->posts[i];
		if (p->draft && !enable_drafts)
			continue;
		if (p->kind == POST_KIND_PAGE) {
			s->pages[s->n_pages++] = p;
			continue;
		}
		if (p->has_date && p->date > now) {
			if (!s->next_change || p->date < s->next_change)
				s->next_change = p->date;
			continue;
		}
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
		    (rc = fold_add(&s->by_slug_folded, p)) != QUIRE_OK)
			goto out;
		for (j = 0; j < p->aliases.n; j++)
			if ((rc = entry_add(&s->by_alias, p->aliases.v[j], p)) != QUIRE_OK)
				goto out;
		for (j = 0; j < p->tags.n; j++)
			if ((rc = terms_add(&s->tags, &tag_cap, p->tags.v[j], p)) != QUIRE_OK)
				goto out;
		for (j = 0; j < p->categories.n; j++)
			if ((rc = terms_add(&s->categories, &cat_cap, p->categories.v[j], p)) != QUIRE_OK)
				goto out;
	}
	for (i = 0; i < s->n_pages; i++) {
		p = s->pages[i];
		if ((rc = entry_add(&s->by_page, p->slug, p)) != QUIRE_OK ||
		    (rc = fold_add(&s->by_page_folded, p)) != QUIRE_OK)
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
	entries_free(&s->by_alias);
	terms_release(&s->tags);
	terms_release(&s->categories);
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

/* The other case of a slug: a second exact lookup, asked only after the
 * first missed, so a hit costs nothing more and a miss one hash. */
static struct post *folded_find(struct site_entry *table, const char *slug)
{
	char key[QUIRE_MAX_SLUG + 1];

	return fold(slug, key) ? entry_find(table, key) : NULL;
}

struct post *site_post_folded(const struct site *s, const char *slug)
{
	return folded_find(s->by_slug_folded, slug);
}

struct post *site_page_folded(const struct site *s, const char *slug)
{
	return folded_find(s->by_page_folded, slug);
}

struct post *site_alias(const struct site *s, const char *path)
{
	return entry_find(s->by_alias, path);
}
