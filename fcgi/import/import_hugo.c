/*
 * import_hugo.c - `quirectl import hugo SITE --out DIR`: a Hugo site's
 * folder into a content folder
 *
 * Hugo's own rules, as far as a page's URL goes: a page of a section
 * (content/SECTION/NAME.md, or content/SECTION/NAME/index.md, a page
 * bundle) is at its frontmatter's `url`, else at the [permalinks]
 * pattern of its section, else at /SECTION/NAME/; a page at content/'s
 * root at /NAME/. `:slug` is the frontmatter's slug, else the title
 * urlized (lower-case, blanks '-'), `:title` the title urlized,
 * `:filename` NAME. Hugo lower-cases every such path unless
 * disablePathToLower is set. Its own `aliases` are kept, with the old
 * URL added.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "content/strlist.h"
#include "import/import.h"
#include "import/import_config.h"
#include "import/import_hugo.h"
#include "import/import_tags.h"
#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/quire.h"

struct hugo {
	struct import *im;
	struct import_map cfg;
	const char *content;       /* contentDir */
	int lower;                 /* paths lower-cased (Hugo's default) */
	int ugly;                  /* uglyURLs: NAME.html, not NAME/ */
	struct import_names posts; /* content files, relative to the site */
	struct import_names files; /* the other files under content/ */
};

struct vars {
	char year[8], month[4], day[4];
	char slug[QUIRE_MAX_SLUG + 1];   /* Hugo's :slug */
	char title[QUIRE_MAX_SLUG + 1];  /* the title urlized */
	const char *filename, *section, *fm_slug;
};

static const char *var(void *arg, const char *name, size_t n)
{
	struct vars *v = arg;

#define V(key, val) if (n == sizeof(key) - 1 && memcmp(name, key, n) == 0) return val
	V("year", *v->year ? v->year : NULL);
	V("month", *v->month ? v->month : NULL);
	V("day", *v->day ? v->day : NULL);
	V("slug", v->slug);
	V("title", v->title);
	V("filename", v->filename);
	V("contentbasename", v->filename);
	V("slugorfilename", v->fm_slug ? v->fm_slug : v->filename);
	V("slugorcontentbasename", v->fm_slug ? v->fm_slug : v->filename);
	V("section", v->section);
	V("sections", v->section);
#undef V
	return NULL;
}

/* Hugo's urlize, for ASCII: lower-case, blanks '-', what a path cannot
 * hold dropped. */
static void urlize(char *dst, size_t size, const char *s)
{
	size_t o = 0;

	for (; *s && o + 1 < size; s++) {
		unsigned char c = (unsigned char)*s;

		if (isspace(c))
			c = '-';
		else if (c < 0x80 && !isalnum(c) && c != '-' && c != '_' && c != '.')
			continue;
		dst[o++] = (char)tolower(c);
	}
	dst[o] = '\0';
}

static int ends_with(const char *s, const char *end)
{
	size_t a = strlen(s), b = strlen(end);

	return a >= b && strcmp(s + a - b, end) == 0;
}

static int markdown_name(const char *s)
{
	return ends_with(s, ".md") || ends_with(s, ".markdown");
}

static const char *base_of(const char *rel)
{
	const char *s = strrchr(rel, '/');

	return s ? s + 1 : rel;
}

static int enter(void *arg, const char *rel)
{
	(void)arg;
	return *base_of(rel) != '.';
}

static enum quire_err found_content(void *arg, const char *rel)
{
	struct hugo *h = arg;

	if (*base_of(rel) == '.')
		return QUIRE_OK;
	return markdown_name(rel) ? import_names_add(&h->posts, rel) :
	       import_names_add(&h->files, rel);
}

static enum quire_err found_static(void *arg, const char *rel)
{
	struct hugo *h = arg;
	const char *dir = import_map_get(&h->cfg, "staticdir");
	size_t skip = strlen(dir ? dir : "static") + 1;
	char *out = malloc(strlen(rel) + 8);
	enum quire_err rc;

	if (!out)
		return QUIRE_ENOMEM;
	sprintf(out, "static/%s", rel + skip);
	rc = import_copy(h->im, rel, out);
	free(out);
	return rc;
}

/* The pattern of section's pages in the config, or NULL. */
static const char *pattern_of(const struct hugo *h, const char *section)
{
	char key[256];
	const char *p;

	snprintf(key, sizeof(key), "permalinks.%s", section);
	if ((p = import_map_get(&h->cfg, key)))
		return p;
	snprintf(key, sizeof(key), "permalinks.page.%s", section);
	return import_map_get(&h->cfg, key);
}

/* site.yaml's posts pattern from Hugo's, or NULL when Hugo's has a
 * token quire has not (its old URLs then live on as aliases only). */
static char *quire_pattern(const char *p, const char *section)
{
	static const char *const as_slug[] = { "slug", "title", "filename",
		"contentbasename", "slugorfilename", "slugorcontentbasename", NULL };
	struct buf b = BUF_INIT;
	size_t n, k;

	if (*p != '/')
		buf_putc(&b, '/');
	for (; *p; p++) {
		if (*p != ':') {
			buf_putc(&b, *p);
			continue;
		}
		for (n = 1; isalnum((unsigned char)p[n]) || p[n] == '_'; n++)
			;
		for (k = 0; as_slug[k] && !(strlen(as_slug[k]) == n - 1 &&
					     memcmp(as_slug[k], p + 1, n - 1) == 0); k++)
			;
		if (as_slug[k])
			buf_puts(&b, ":slug");
		else if ((n == 5 && memcmp(p, ":year", 5) == 0) ||
			 (n == 6 && memcmp(p, ":month", 6) == 0) ||
			 (n == 4 && memcmp(p, ":day", 4) == 0))
			buf_append(&b, p, n);
		else if (n == 8 && memcmp(p, ":section", 8) == 0)
			buf_puts(&b, section);
		else {
			buf_release(&b);
			return NULL;
		}
		p += n - 1;
	}
	return buf_failed(&b) ? NULL : buf_detach(&b, &n);
}

/* The first ten bytes of s, when they are a day "YYYY-MM-DD". */
static int day_of(const char *s, struct vars *v)
{
	int i;

	for (i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? s[i] != '-' : !isdigit((unsigned char)s[i]))
			return 0;
	snprintf(v->year, sizeof(v->year), "%.4s", s);
	snprintf(v->month, sizeof(v->month), "%.2s", s + 5);
	snprintf(v->day, sizeof(v->day), "%.2s", s + 8);
	return 1;
}

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

static int is_true(const char *s)
{
	return s && (strcmp(s, "true") == 0 || strcmp(s, "yes") == 0);
}

/* An alias of p: made absolute, as Hugo resolves a relative one. */
static enum quire_err alias(struct import_post *p, const char *url, int low)
{
	struct buf b = BUF_INIT;
	enum quire_err rc;

	if (strstr(url, "://"))
		url = strchr(strstr(url, "://") + 3, '/') ? strchr(strstr(url, "://") + 3, '/') : "/";
	if (*url != '/')
		buf_putc(&b, '/');
	buf_puts(&b, url);
	if (buf_failed(&b))
		return QUIRE_ENOMEM;
	if (low)
		lower(b.data);
	rc = strlist_has(&p->aliases, b.data) ? QUIRE_OK : strlist_add(&p->aliases, b.data);
	buf_release(&b);
	return rc == QUIRE_ETOOBIG ? QUIRE_OK : rc;
}

/* Copies the other files of a bundle (its folder dir, relative to the
 * site) to static/ under where they were served: base. */
static enum quire_err bundle_files(struct hugo *h, const char *dir, const char *base)
{
	size_t i, n = strlen(dir);
	enum quire_err rc = QUIRE_OK;
	char *out;

	for (i = 0; rc == QUIRE_OK && i < h->files.n; i++) {
		const char *f = h->files.v[i];

		if (strncmp(f, dir, n) != 0 || f[n] != '/')
			continue;
		if (!(out = malloc(strlen(base) + strlen(f + n) + 10)))
			return QUIRE_ENOMEM;
		sprintf(out, "static%s%s", base, f + n + 1 - (base[strlen(base) - 1] != '/'));
		rc = import_copy(h->im, f, out);
		free(out);
		/* copied once: the loose files pass leaves it */
		h->files.v[i][0] = '\0';
	}
	return rc;
}

/* The URL quire gives p: the pattern site.yaml names, quire's default
 * otherwise. */
static enum quire_err new_url(struct import *im, struct import_post *p,
			      const struct vars *v)
{
	const char *pattern = p->kind == POST_KIND_PAGE ?
		(im->site.pages ? im->site.pages : "/pages/:slug") :
		(im->site.posts ? im->site.posts : "/posts/:slug");
	struct buf b = BUF_INIT;
	const char *unknown;
	struct vars w = *v;
	enum quire_err rc;

	snprintf(w.slug, sizeof(w.slug), "%s", p->slug);
	rc = import_expand(pattern, var, &w, &b, &unknown);
	if (rc == QUIRE_OK)
		p->url = buf_detach(&b, NULL);
	buf_release(&b);
	return rc == QUIRE_ENOTFOUND ? QUIRE_OK : rc;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* 1 when rel lies in a page bundle's folder (one holding an index.md)
 * and is not its index.md: a resource of that page, not a page. */
static int in_bundle(const struct hugo *h, const char *rel)
{
	char path[4096], *key = path, *s;
	size_t n = strlen(rel), top = strlen(h->content);

	if (n >= sizeof(path) - 16)
		return 0;
	memcpy(path, rel, n + 1);
	while ((s = strrchr(path, '/')) && (size_t)(s - path) > top) {
		strcpy(s + 1, "index.md");
		if (strcmp(path, rel) != 0 &&
		    bsearch(&key, h->posts.v, h->posts.n, sizeof(*h->posts.v), by_name))
			return 1;
		*s = '\0';
	}
	return 0;
}

/* A section's list page (_index.md): quire makes its own lists, so
 * it is left out; said so when it has text a reader would lose. */
static enum quire_err list_page(struct hugo *h, const char *rel)
{
	struct import_post p;
	enum quire_err rc;
	size_t i;

	memset(&p, 0, sizeof(p));
	p.src = (char *)rel;
	rc = import_read(h->im, rel, QUIRE_MAX_FILE, &p.text, &p.len);
	if (rc == QUIRE_OK && import_frontmatter(h->im, &p) == QUIRE_ENOTFOUND)
		p.body = 0;
	for (i = p.body; rc == QUIRE_OK && i < p.len && isspace((unsigned char)p.text[i]); i++)
		;
	if (rc == QUIRE_OK && i < p.len)
		import_report(h->im, rel, p.body_line ? p.body_line : 1,
			      "a section's list page: its text is left out "
			      "(quire makes its own lists)");
	import_map_release(&p.fm);
	free(p.text);
	return rc == QUIRE_ENOMEM ? rc : QUIRE_OK;
}

static enum quire_err add_post(struct hugo *h, const char *rel)
{
	struct import *im = h->im;
	const char *crel = rel + strlen(h->content) + 1, *slash, *t, *url;
	const struct import_kv *kv;
	struct import_post *p;
	char *name = NULL, *dir = NULL, *section = NULL, date[64];
	struct buf b = BUF_INIT;
	struct vars v;
	enum quire_err rc;
	int bundle, page, lowered;
	size_t i;

	if (in_bundle(h, rel))
		return import_names_add(&h->files, rel);
	if (strcmp(base_of(rel), "_index.md") == 0 || strcmp(base_of(rel), "_index.markdown") == 0)
		return list_page(h, rel);
	bundle = strcmp(base_of(rel), "index.md") == 0 || strcmp(base_of(rel), "index.markdown") == 0;
	if (bundle && !strchr(crel, '/'))
		bundle = 0;
	/* content/NAME.md, and a bundle content/NAME/index.md, are pages */
	page = !strchr(crel, '/') || (bundle && strchr(crel, '/') == strrchr(crel, '/'));
	if (!(p = import_post_add(im, page ? POST_KIND_PAGE : POST_KIND_POST)))
		return QUIRE_ENOMEM;
	memset(&v, 0, sizeof(v));
	rc = import_strdup(&p->src, rel);
	if (rc == QUIRE_OK)
		rc = import_read(im, rel, QUIRE_MAX_FILE, &p->text, &p->len);
	if (rc == QUIRE_OK)
		rc = import_frontmatter(im, p);
	if (rc == QUIRE_ENOTFOUND)
		import_report(im, rel, 1, "no frontmatter: left out");
	if (rc != QUIRE_OK)
		goto drop;
	/* the name: of the bundle's folder, else of the file */
	if (bundle) {
		slash = rel + strlen(rel) - strlen(base_of(rel)) - 1;
		dir = strndup(rel, (size_t)(slash - rel));
		name = dir ? strdup(base_of(dir)) : NULL;
	} else {
		name = strndup(base_of(rel), strlen(base_of(rel)) - strlen(strrchr(rel, '.')));
	}
	section = strndup(crel, page ? 0 : strcspn(crel, "/"));
	if (!name || !section || (bundle && !dir)) {
		rc = QUIRE_ENOMEM;
		goto drop;
	}
	v.filename = name;
	v.section = section;
	v.fm_slug = import_map_get(&p->fm, "slug");
	t = import_map_get(&p->fm, "title");
	rc = import_strdup(&p->title, t && *t ? t : name);
	urlize(v.title, sizeof(v.title), p->title ? p->title : "");
	snprintf(v.slug, sizeof(v.slug), "%s", v.fm_slug ? v.fm_slug : v.title);
	t = import_map_get(&p->fm, "date");
	if (!t)
		t = import_map_get(&p->fm, "publishDate");
	if (rc == QUIRE_OK && t) {
		day_of(t, &v);
		if (import_date_fix(t, date, sizeof(date)))
			rc = import_strdup(&p->date, date);
		else
			import_report(im, rel, 0, "date \"%s\" not understood: "
				      "left out", t);
	}
	p->draft = is_true(import_map_get(&p->fm, "draft"));
	/* the old URL: url:, else the section's pattern, else the path */
	lowered = h->lower;
	url = import_map_get(&p->fm, "url");
	if (url) {
		buf_puts(&b, url);
		lowered = 0;  /* url: is taken as written */
	} else if (!page && pattern_of(h, section)) {
		const char *unknown = NULL;

		if (import_expand(pattern_of(h, section), var, &v, &b, &unknown) != QUIRE_OK) {
			import_report(im, rel, 0, "permalink \"%s\": no value for "
				      "\"%.*s\": no old URL kept", pattern_of(h, section),
				      (int)strcspn(unknown + 1, "/.-") + 1, unknown);
			buf_reset(&b);
		}
	} else {
		size_t stem = bundle ? strlen(crel) - strlen(base_of(crel)) - 1 :
			      strlen(crel) - strlen(strrchr(crel, '.'));

		buf_printf(&b, "/%.*s%s", (int)stem, crel, h->ugly ? ".html" : "/");
		for (i = 0; i < b.len; i++)
			if (b.data[i] == ' ')
				b.data[i] = '-';
	}
	if (rc == QUIRE_OK && b.len)
		rc = alias(p, b.data, lowered);
	/* the slug: what named it in its old URL, case kept */
	if (rc == QUIRE_OK) {
		const char *pat = page ? NULL : pattern_of(h, section);

		if (v.fm_slug)
			rc = import_strdup(&p->slug, v.fm_slug);
		else if (pat && (strstr(pat, ":slug") || strstr(pat, ":title")) &&
			 !strstr(pat, ":slugor"))
			rc = import_strdup(&p->slug, v.title);
		else
			rc = import_strdup(&p->slug, name);
		if (rc == QUIRE_OK && import_slug_fix(p->slug))
			import_report(im, rel, 0, "no slug quire takes: written \"%s\"",
				      p->slug);
		if (rc == QUIRE_OK && !*p->slug)
			rc = import_strdup(&p->slug, "untitled");
	}
	kv = import_map_find(&p->fm, "aliases");
	for (i = 0; rc == QUIRE_OK && kv && i < kv->n; i++)
		rc = alias(p, kv->items[i], 0);
	/* the names a {{< ref >}} may give */
	if (rc == QUIRE_OK)
		rc = strlist_add(&p->keys, crel);
	if (rc == QUIRE_OK && bundle)
		rc = strlist_add(&p->keys, dir + strlen(h->content) + 1);
	if (rc == QUIRE_OK)
		rc = strlist_add(&p->keys, name);
	/* a bundle's resources go where its page was served */
	if (rc == QUIRE_OK && bundle && p->aliases.n) {
		const char *a = p->aliases.v[0];
		size_t k = strlen(a);

		while (k && a[k - 1] != '/')
			k--;
		if (!(p->base = strndup(a, k ? k : 1)))
			rc = QUIRE_ENOMEM;
		else
			rc = bundle_files(h, dir, p->base);
	}
	/* the file keeps its name (a bundle's: its folder's) */
	if (rc == QUIRE_OK && !(p->out = malloc(strlen(name) + 12)))
		rc = QUIRE_ENOMEM;
	if (rc == QUIRE_OK) {
		sprintf(p->out, "%s/%s.md", page ? "pages" : "posts", name);
		rc = new_url(im, p, &v);
	}
	if (rc == QUIRE_OK) {
		buf_release(&b);
		free(name);
		free(dir);
		free(section);
		return QUIRE_OK;
	}
drop:
	buf_release(&b);
	free(name);
	free(dir);
	free(section);
	import_post_drop(im);
	return rc == QUIRE_ENOMEM ? rc : QUIRE_OK;
}

static const char *const config_names[] = { "hugo.toml", "config.toml",
	"hugo.yaml", "config.yaml", "hugo.yml", "config.yml", NULL };

static enum quire_err read_config(struct hugo *h)
{
	struct import *im = h->im;
	struct import_site *s = &im->site;
	struct parse_error err;
	char *text = NULL, *u;
	size_t len, i;
	enum quire_err rc = QUIRE_ENOTFOUND;
	const char *name = NULL, *v;

	for (i = 0; config_names[i] && rc == QUIRE_ENOTFOUND; i++)
		rc = import_read(im, name = config_names[i], QUIRE_IMPORT_MAX_CONFIG,
				 &text, &len);
	if (rc == QUIRE_ENOTFOUND) {
		import_report(im, im->src, 0, "no hugo.toml, config.toml or "
			      "config.yaml: is this a Hugo site?");
		return QUIRE_ENOTFOUND;
	}
	if (rc == QUIRE_OK) {
		memset(&err, 0, sizeof(err));
		rc = ends_with(name, ".toml") ?
		     import_map_toml(text, len, 1, &h->cfg, &err) :
		     import_map_yaml(text, len, 1, &h->cfg, &err);
		if (rc != QUIRE_OK)
			import_report_at(im, name, err.line, err.column, err.message);
	}
	free(text);
	if (rc != QUIRE_OK)
		return rc;
	h->content = import_map_get(&h->cfg, "contentdir");
	if (!h->content)
		h->content = "content";
	h->lower = !is_true(import_map_get(&h->cfg, "disablePathToLower"));
	h->ugly = is_true(import_map_get(&h->cfg, "uglyURLs"));
	if ((v = import_map_get(&h->cfg, "baseurl")) && *v) {
		if (import_strdup(&s->url, v) != QUIRE_OK)
			return QUIRE_ENOMEM;
		for (u = s->url + strlen(s->url); u > s->url && u[-1] == '/';)
			*--u = '\0';
	}
#define FIRST(a, b) (import_map_get(&h->cfg, a) ? import_map_get(&h->cfg, a) : import_map_get(&h->cfg, b))
	if (import_strdup(&s->title, import_map_get(&h->cfg, "title")) != QUIRE_OK ||
	    import_strdup(&s->description, FIRST("params.description", "description")) != QUIRE_OK ||
	    import_strdup(&s->author, import_map_get(&h->cfg, "params.author") ?
			  import_map_get(&h->cfg, "params.author") :
			  FIRST("author.name", "author")) != QUIRE_OK ||
	    import_strdup(&s->language, FIRST("languageCode", "defaultContentLanguage")) != QUIRE_OK)
		return QUIRE_ENOMEM;
#undef FIRST
	/* [taxonomies]: singular = "plural"; quire shows tags and
	 * categories, and says so of any other */
	for (i = 0, v = NULL; i < h->cfg.n; i++) {
		const struct import_kv *kv = &h->cfg.v[i];

		if (strncasecmp(kv->key, "taxonomies.", 11) != 0 || !kv->n)
			continue;
		v = kv->items[0];
		if (strcmp(v, "tags") == 0 || strcmp(v, "categories") == 0)
			rc = strlist_has(&s->taxonomies, v) ? QUIRE_OK :
			     strlist_add(&s->taxonomies, v);
		else
			import_report(im, name, kv->line, "taxonomy \"%s\": quire "
				      "has tags and categories only; its terms "
				      "are left out", v);
		if (rc == QUIRE_ENOMEM)
			return rc;
	}
	if (!v && (strlist_add(&s->taxonomies, "tags") != QUIRE_OK ||
		   strlist_add(&s->taxonomies, "categories") != QUIRE_OK))
		return QUIRE_ENOMEM;
	return QUIRE_OK;
}

static enum quire_err translate(struct import *im, struct import_post *p,
				struct buf *out)
{
	return import_translate_tags(im, p, import_tags_hugo, p->base, out);
}

/* The one section that holds posts, when there is one. */
static const char *only_section(const struct hugo *h)
{
	const char *one = NULL, *crel;
	size_t i, n, one_n = 0;

	for (i = 0; i < h->posts.n; i++) {
		crel = h->posts.v[i] + strlen(h->content) + 1;
		/* pages: content/NAME.md, content/NAME/index.md */
		if (!strchr(crel, '/') || (strchr(crel, '/') == strrchr(crel, '/') &&
					   (strcmp(base_of(crel), "index.md") == 0 ||
					    strcmp(base_of(crel), "index.markdown") == 0)))
			continue;
		n = strcspn(crel, "/");
		if (one && (n != one_n || strncmp(one, crel, n) != 0))
			return NULL;
		one = crel;
		one_n = n;
	}
	return one ? strndup(one, one_n) : NULL;
}

enum quire_err import_hugo(struct import *im)
{
	struct hugo h;
	enum quire_err rc;
	const char *dir;
	char *section;
	size_t i;

	memset(&h, 0, sizeof(h));
	h.im = im;
	rc = read_config(&h);
	if (rc == QUIRE_OK)
		rc = import_walk(im, h.content, enter, found_content, &h);
	dir = import_map_get(&h.cfg, "staticdir");
	if (rc == QUIRE_OK) {
		char *path = malloc(strlen(im->src) + strlen(dir ? dir : "static") + 2);
		FILE *f = NULL;

		if (path) {
			sprintf(path, "%s/%s", im->src, dir ? dir : "static");
			f = fopen(path, "r");
			free(path);
		}
		/* a site without static/ has nothing to copy */
		if (f) {
			fclose(f);
			rc = import_walk(im, dir ? dir : "static", enter, found_static, &h);
		}
	}
	/* site.yaml's posts pattern: the section's, when one holds them */
	section = rc == QUIRE_OK ? (char *)only_section(&h) : NULL;
	if (section && pattern_of(&h, section))
		im->site.posts = quire_pattern(pattern_of(&h, section), section);
	free(section);
	if (rc == QUIRE_OK)
		rc = import_strdup(&im->site.pages, "/:slug/");
	qsort(h.posts.v, h.posts.n, sizeof(*h.posts.v), by_name);
	for (i = 0; rc == QUIRE_OK && i < h.posts.n; i++)
		rc = add_post(&h, h.posts.v[i]);
	/* loose files of content/ are published where they lie */
	for (i = 0; rc == QUIRE_OK && i < h.files.n; i++) {
		char *out;

		if (!*h.files.v[i])
			continue;
		if (!(out = malloc(strlen(h.files.v[i]) + 8)))
			rc = QUIRE_ENOMEM;
		else {
			sprintf(out, "static/%s", h.files.v[i] + strlen(h.content) + 1);
			rc = import_copy(im, h.files.v[i], out);
			free(out);
		}
	}
	if (rc == QUIRE_OK)
		rc = import_write(im, translate);
	import_map_release(&h.cfg);
	import_names_release(&h.posts);
	import_names_release(&h.files);
	return rc;
}
