/*
 * touch.c - which cached pages an update makes stale (see touch.h)
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/quire.h"
#include "serve/touch.h"

/* Whether the update names slug, ignoring ASCII case: related_posts may
 * name a post in another case (view.c finds it so), and a page dropped
 * too many is only a miss. */
static int slug_in(const struct sub_update *u, const char *slug, size_t len)
{
	size_t i;

	for (i = 0; i < u->n_posts; i++)
		if (u->posts[i] && strlen(u->posts[i]->slug) == len &&
		    strncasecmp(u->posts[i]->slug, slug, len) == 0)
			return 1;
	for (i = 0; i < u->n_gone; i++)
		if (strlen(u->gone[i]) == len &&
		    strncasecmp(u->gone[i], slug, len) == 0)
			return 1;
	return 0;
}

/* Keeps the term key of each of p's tags; 0 when out of memory. */
static int add_tags(struct touch *t, const struct post *p)
{
	char key[256];
	size_t i;

	for (i = 0; p && i < p->tags.n; i++) {
		site_term_key(p->tags.v[i], key, sizeof(key));
		if (key_table_has(&t->tag_set, key))
			continue;
		if (!(t->tags[t->n_tags] = strdup(key)))
			return 0;
		if (key_table_put(&t->tag_set, t->tags[t->n_tags], NULL) != QUIRE_OK) {
			free(t->tags[t->n_tags]);
			return 0;
		}
		t->n_tags++;
	}
	return 1;
}

/* What the update changes besides its posts' own pages: a static page
 * (before or after) is in every page's menu; a post's tags, old and new,
 * say whose related posts may change. */
static int collect(struct touch *t)
{
	const struct sub_update *u = t->u;
	const struct post *p;
	const char *slug;
	size_t i, n = u->n_posts + u->n_gone;

	for (i = 0; i < n; i++) {
		p = i < u->n_posts ? u->posts[i] : NULL;
		if (i < u->n_posts && !p)
			continue;
		slug = p ? p->slug : u->gone[i - u->n_posts];
		if ((p && p->kind == POST_KIND_PAGE) || site_page(t->site, slug))
			return 1;
		if (!add_tags(t, p) || !add_tags(t, site_post(t->site, slug)))
			return 1;
	}
	return 0;
}

void touch_begin(struct touch *t, const struct site *site,
		 const struct sub_update *u)
{
	size_t i, max = 0;

	memset(t, 0, sizeof(*t));
	t->u = u;
	t->site = site;
	if (u->all || !site) {
		t->everything = 1;
		return;
	}
	/* at most every tag of every changed post, old and new */
	for (i = 0; i < u->n_posts; i++)
		if (u->posts[i]) {
			const struct post *old = site_post(site, u->posts[i]->slug);

			max += u->posts[i]->tags.n + (old ? old->tags.n : 0);
		}
	for (i = 0; i < u->n_gone; i++) {
		const struct post *old = site_post(site, u->gone[i]);

		max += old ? old->tags.n : 0;
	}
	t->tags = calloc(max ? max : 1, sizeof(*t->tags));
	if (!t->tags || key_table_init(&t->tag_set, max ? max : 1) != QUIRE_OK) {
		t->everything = 1;
		return;
	}
	t->everything = collect(t);
}

void touch_end(struct touch *t)
{
	size_t i;

	for (i = 0; i < t->n_tags; i++)
		free(t->tags[i]);
	free(t->tags);
	key_table_release(&t->tag_set);
	memset(t, 0, sizeof(*t));
}

/* Whether the post at slug shows a changed post as a related one. */
static int related_touched(const struct touch *t, const char *slug)
{
	const struct post *p = site_post(t->site, slug);
	char key[256];
	size_t i;

	if (!p)
		return 1; /* not in this index: nothing to go by */
	for (i = 0; i < p->related.n; i++)
		if (slug_in(t->u, p->related.v[i], strlen(p->related.v[i])))
			return 1;
	for (i = 0; i < p->tags.n; i++) {
		site_term_key(p->tags.v[i], key, sizeof(key));
		if (key_table_has(&t->tag_set, key))
			return 1;
	}
	return 0;
}

/*
 * Whether p's newer/older links may change: a neighbour of p's in the
 * index is changed or gone (its title, its URL, or it moves away), or a
 * changed post's new version comes between p's neighbours (it becomes
 * one). Its new version may not be visible (a draft, a future date):
 * a page made stale too many is only a miss.
 */
static int neighbours_touched(const struct touch *t, const struct post *p)
{
	const struct post *newer = site_post_newer(t->site, p);
	const struct post *older = site_post_older(t->site, p);
	const struct post *x;
	size_t i;

	if ((newer && slug_in(t->u, newer->slug, strlen(newer->slug))) ||
	    (older && slug_in(t->u, older->slug, strlen(older->slug))))
		return 1;
	for (i = 0; i < t->u->n_posts; i++) {
		x = t->u->posts[i];
		if (!x || x->kind != POST_KIND_POST)
			continue;
		if ((!newer || site_post_cmp(newer, x) < 0) &&
		    (!older || site_post_cmp(x, older) < 0))
			return 1;
	}
	return 0;
}

int touch_page(const struct touch *t, const char *key)
{
	const struct post *p;

	if (t->everything)
		return 1;
	/* A post's or page's page is at its URL (site.yaml's permalinks);
	 * anything else lists posts: lists, taxonomies, feeds, the
	 * sitemap, home. */
	p = site_path(t->site, key);
	if (!p)
		return 1;
	if (slug_in(t->u, p->slug, strlen(p->slug)))
		return 1;
	return p->kind == POST_KIND_POST &&
	       (related_touched(t, p->slug) || neighbours_touched(t, p));
}
