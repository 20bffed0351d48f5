/*
 * post.c - lifecycle of a parsed post
 */
#include <stdlib.h>
#include <string.h>

#include "content/post.h"
#include "content/strlist.h"
#include "lib/limits.h"
#include "lib/quire.h"

struct post *post_new(void)
{
	return calloc(1, sizeof(struct post));
}

void post_free(struct post *p)
{
	size_t i;

	if (!p)
		return;
	free(p->path);
	free(p->slug);
	free(p->wanted_slug);
	free(p->title);
	free(p->title_html);
	free(p->title_text);
	strlist_release(&p->authors);
	free(p->description);
	strlist_release(&p->tags);
	strlist_release(&p->categories);
	free(p->template_name);
	free(p->featured_image);
	strlist_release(&p->related);
	strlist_release(&p->aliases);
	for (i = 0; i < p->n_extra; i++) {
		free(p->extra[i].key);
		free(p->extra[i].value);
	}
	free(p->extra);
	free(p->source);
	free(p->html);
	free(p->toc_html);
	free(p->summary_html);
	free(p->url);
	free(p);
}

int post_slug_valid(const char *s)
{
	size_t n;

	if (!*s || *s == '.')
		return 0;
	for (n = 0; s[n]; n++) {
		if (n >= QUIRE_MAX_SLUG)
			return 0;
		if (!((s[n] >= 'a' && s[n] <= 'z') ||
		      (s[n] >= 'A' && s[n] <= 'Z') ||
		      (s[n] >= '0' && s[n] <= '9') ||
		      s[n] == '-' || s[n] == '_' || s[n] == '.'))
			return 0;
	}
	return 1;
}

static enum quire_err dup_str(char **dst, const char *src)
{
	if (!src)
		return QUIRE_OK;
	*dst = strdup(src);
	return *dst ? QUIRE_OK : QUIRE_ENOMEM;
}

static enum quire_err dup_list(struct strlist *dst, const struct strlist *src)
{
	size_t i;
	enum quire_err rc;

	for (i = 0; i < src->n; i++) {
		rc = strlist_add(dst, src->v[i]);
		if (rc != QUIRE_OK)
			return rc;
	}
	return QUIRE_OK;
}

/* Keep in step with struct post. */
struct post *post_dup(const struct post *p)
{
	struct post *c;
	size_t i;

	c = post_new();
	if (!c)
		return NULL;
	/* scalars first; every pointer is then replaced by a copy */
	*c = *p;
	c->path = c->slug = c->wanted_slug = c->title = c->description = NULL;
	c->title_html = c->title_text = NULL;
	c->template_name = c->featured_image = NULL;
	c->source = c->html = c->toc_html = c->summary_html = NULL;
	c->url = NULL;
	c->url_refused = NULL;
	c->url_made = 0;
	memset(&c->authors, 0, sizeof(c->authors));
	memset(&c->tags, 0, sizeof(c->tags));
	memset(&c->categories, 0, sizeof(c->categories));
	memset(&c->related, 0, sizeof(c->related));
	memset(&c->aliases, 0, sizeof(c->aliases));
	c->extra = NULL;
	c->n_extra = 0;

	if (dup_str(&c->path, p->path) != QUIRE_OK ||
	    dup_str(&c->slug, p->slug) != QUIRE_OK ||
	    dup_str(&c->wanted_slug, p->wanted_slug) != QUIRE_OK ||
	    dup_str(&c->title, p->title) != QUIRE_OK ||
	    dup_str(&c->title_html, p->title_html) != QUIRE_OK ||
	    dup_str(&c->title_text, p->title_text) != QUIRE_OK ||
	    dup_str(&c->description, p->description) != QUIRE_OK ||
	    dup_str(&c->template_name, p->template_name) != QUIRE_OK ||
	    dup_str(&c->featured_image, p->featured_image) != QUIRE_OK ||
	    dup_str(&c->html, p->html) != QUIRE_OK ||
	    dup_str(&c->toc_html, p->toc_html) != QUIRE_OK ||
	    dup_str(&c->summary_html, p->summary_html) != QUIRE_OK ||
	    dup_list(&c->authors, &p->authors) != QUIRE_OK ||
	    dup_list(&c->tags, &p->tags) != QUIRE_OK ||
	    dup_list(&c->categories, &p->categories) != QUIRE_OK ||
	    dup_list(&c->related, &p->related) != QUIRE_OK ||
	    dup_list(&c->aliases, &p->aliases) != QUIRE_OK)
		goto fail;
	if (p->source) {
		/* the source may hold NUL bytes: copy by length */
		c->source = malloc(p->source_len + 1);
		if (!c->source)
			goto fail;
		memcpy(c->source, p->source, p->source_len);
		c->source[p->source_len] = '\0';
	}
	if (p->n_extra) {
		c->extra = calloc(p->n_extra, sizeof(*c->extra));
		if (!c->extra)
			goto fail;
		for (i = 0; i < p->n_extra; i++) {
			c->n_extra++;
			if (dup_str(&c->extra[i].key, p->extra[i].key) != QUIRE_OK ||
			    dup_str(&c->extra[i].value, p->extra[i].value) != QUIRE_OK)
				goto fail;
		}
	}
	return c;
fail:
	post_free(c);
	return NULL;
}

