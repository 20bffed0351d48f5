/*
 * record.c - a post as the shared tiers keep it
 */
#include <stdlib.h>
#include <string.h>

#include "content/content.h"
#include "content/frontmatter.h"
#include "content/markdown.h"
#include "content/record.h"
#include "lib/quire.h"

static const char *const origin_names[RECORD_ORIGIN__MAX] = {
	"content", /* RECORD_ORIGIN_CONTENT */
	"api",     /* RECORD_ORIGIN_API */
};

static const char *const kind_names[POST_KIND__MAX] = {
	"post", /* POST_KIND_POST */
	"page", /* POST_KIND_PAGE */
};

const char *record_origin_name(enum record_origin o)
{
	return o < RECORD_ORIGIN__MAX ? origin_names[o] : "unknown";
}

const char *record_kind_name(enum post_kind k)
{
	return k < POST_KIND__MAX ? kind_names[k] : "unknown";
}

enum quire_err record_kind_parse(const char *s, enum post_kind *out)
{
	int i;

	for (i = 0; i < POST_KIND__MAX; i++)
		if (s && strcmp(s, kind_names[i]) == 0) {
			*out = (enum post_kind)i;
			return QUIRE_OK;
		}
	return QUIRE_EPARSE;
}

enum quire_err record_origin_parse(const char *s, enum record_origin *out)
{
	int i;

	for (i = 0; i < RECORD_ORIGIN__MAX; i++)
		if (s && strcmp(s, origin_names[i]) == 0) {
			*out = (enum record_origin)i;
			return QUIRE_OK;
		}
	return QUIRE_EPARSE;
}

struct record *record_new(void)
{
	return calloc(1, sizeof(struct record));
}

void record_free(struct record *r)
{
	if (!r)
		return;
	free(r->slug);
	free(r->path);
	free(r->source);
	free(r->html);
	free(r->toc_html);
	free(r->summary_html);
	free(r);
}

void record_array_free(struct record **v, size_t n)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < n; i++)
		record_free(v[i]);
	free(v);
}

static enum quire_err dup_opt(char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return QUIRE_OK;
	*dst = strdup(src);
	return *dst ? QUIRE_OK : QUIRE_ENOMEM;
}

enum quire_err record_set_summary(struct record *r, const char *html,
				  int whole)
{
	size_t n, m = strlen(MARKDOWN_SUMMARY_WHOLE);
	char *s;

	free(r->summary_html);
	r->summary_html = NULL;
	if (!html)
		return QUIRE_OK;
	n = strlen(html);
	s = malloc(n + (whole ? m : 0) + 1);
	if (!s)
		return QUIRE_ENOMEM;
	memcpy(s, html, n);
	if (whole)
		memcpy(s + n, MARKDOWN_SUMMARY_WHOLE, m);
	s[n + (whole ? m : 0)] = '\0';
	r->summary_html = s;
	return QUIRE_OK;
}

/* p's summary from a stored one: the mark taken off, as the flag. */
static enum quire_err summary_from_record(struct post *p, const char *s)
{
	size_t n, m = strlen(MARKDOWN_SUMMARY_WHOLE);

	p->summary_whole = 0;
	if (!s)
		return QUIRE_OK;
	n = strlen(s);
	if (n >= m && memcmp(s + n - m, MARKDOWN_SUMMARY_WHOLE, m) == 0) {
		p->summary_whole = 1;
		n -= m;
	}
	p->summary_html = strndup(s, n);
	return p->summary_html ? QUIRE_OK : QUIRE_ENOMEM;
}

struct record *record_from_post(const struct post *p,
				enum record_origin origin)
{
	struct record *r = record_new();

	if (!r)
		return NULL;
	r->kind = p->kind;
	r->origin = origin;
	r->words = p->words;
	r->hash = p->hash;
	r->date = (long long)p->date;
	r->has_date = p->has_date;
	r->body_offset = p->body_offset;
	r->source_len = p->source_len;
	if (dup_opt(&r->slug, p->slug) != QUIRE_OK ||
	    dup_opt(&r->path, p->path) != QUIRE_OK ||
	    dup_opt(&r->html, p->html ? p->html : "") != QUIRE_OK ||
	    dup_opt(&r->toc_html, p->toc_html) != QUIRE_OK ||
	    record_set_summary(r, p->summary_html, p->summary_whole) !=
	    QUIRE_OK)
		goto fail;
	r->source = malloc(p->source_len + 1);
	if (!r->source)
		goto fail;
	if (p->source_len)
		memcpy(r->source, p->source, p->source_len);
	r->source[p->source_len] = '\0';
	return r;
fail:
	record_free(r);
	return NULL;
}

/*
 * Sets p->wanted_slug when r, a content file's post, is served under
 * another slug than the one its file asks for (a suffix a deploy gave
 * it, slug_settle.h): its frontmatter's slug (p->slug, just parsed),
 * else its name's. p->slug and p->path are left for the caller to
 * replace. QUIRE_OK or QUIRE_ENOMEM.
 */
static enum quire_err want_slug(const struct record *r, struct post *p)
{
	enum quire_err rc;

	if (!r->path || r->origin != RECORD_ORIGIN_CONTENT || !r->slug)
		return QUIRE_OK;
	if (!(p->path = strdup(r->path)))
		return QUIRE_ENOMEM;
	p->kind = r->kind;
	rc = content_slug_of(p);
	if (rc != QUIRE_OK)
		return rc == QUIRE_ENOMEM ? rc : QUIRE_OK;
	if (strcmp(p->slug, r->slug) != 0) {
		p->wanted_slug = p->slug;
		p->slug = NULL;
	}
	return QUIRE_OK;
}

enum quire_err record_to_post(const struct record *r, struct post **out)
{
	struct parse_error err;
	struct post *p;
	enum quire_err rc = QUIRE_ENOMEM;

	*out = NULL;
	p = post_new();
	if (!p)
		return QUIRE_ENOMEM;
	p->source = malloc(r->source_len + 1);
	if (!p->source)
		goto fail;
	memcpy(p->source, r->source, r->source_len);
	p->source[r->source_len] = '\0';
	p->source_len = r->source_len;
	memset(&err, 0, sizeof(err));
	rc = frontmatter_parse(p, &err);
	if (rc != QUIRE_OK)
		goto fail;
	rc = want_slug(r, p);
	if (rc != QUIRE_OK)
		goto fail;
	rc = QUIRE_ENOMEM;
	free(p->slug);
	free(p->path);
	p->slug = NULL;
	if (dup_opt(&p->slug, r->slug) != QUIRE_OK ||
	    dup_opt(&p->path, r->path) != QUIRE_OK ||
	    dup_opt(&p->html, r->html) != QUIRE_OK ||
	    dup_opt(&p->toc_html, r->toc_html) != QUIRE_OK ||
	    summary_from_record(p, r->summary_html) != QUIRE_OK)
		goto fail;
	/* the title is rendered as a file's is (content.c): what the
	 * record keeps is the source and the body's HTML */
	if (markdown_title(p->title, &p->title_html, &p->title_text) !=
	    QUIRE_OK)
		goto fail;
	p->kind = r->kind;
	p->words = r->words;
	p->hash = r->hash;
	p->revision = r->revision;
	p->generation = r->generation;
	p->date = (time_t)r->date;
	p->has_date = r->has_date;
	/* as content_parse_file() made it */
	if (content_resolve_image(p) != QUIRE_OK) {
		rc = QUIRE_ENOMEM;
		goto fail;
	}
	*out = p;
	return QUIRE_OK;
fail:
	post_free(p);
	return rc;
}
