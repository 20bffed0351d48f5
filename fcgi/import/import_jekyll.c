/*
 * import_jekyll.c - `quirectl import jekyll SITE --out DIR`: a Jekyll
 * site's folder into a content folder
 *
 * Jekyll's own rules, as far as a post's URL goes: a post is
 * _posts/YYYY-MM-DD-TITLE.md (or under FOLDER/_posts/, FOLDER being its
 * category); its URL is the site's `permalink:` (a pattern, or one of
 * the named styles date, pretty, ordinal, none; "date" by default)
 * unless its own frontmatter has one; `:title` is the file's TITLE (or
 * the frontmatter's slug), `:categories` the categories lower-cased,
 * joined by '/', and a "//" left by none collapses. The date in the URL
 * is the frontmatter's day as written, else the file name's.
 */
#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "content/strlist.h"
#include "import/import.h"
#include "import/import_config.h"
#include "import/import_jekyll.h"
#include "import/import_tags.h"
#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/quire.h"

struct jekyll {
	struct import *im;
	struct import_map cfg;
	const char *pattern;     /* posts' permalink, Jekyll's tokens */
	int pretty;              /* pages end in '/' rather than ".html" */
	struct import_names posts; /* files found, relative to the site */
	struct import_names pages;
	char out_real[PATH_MAX]; /* the content folder, when inside the
				  * site's folder */
};

/* The values of a URL's tokens for one post or page. */
struct vars {
	char year[8], month[4], day[4], i_month[4], i_day[4], short_year[4];
	const char *title;
	char slug[QUIRE_MAX_SLUG + 1];
	char categories[1024];
	const char *path, *basename;
};

static const char *var(void *arg, const char *name, size_t n)
{
	struct vars *v = arg;

#define V(key, val) if (n == sizeof(key) - 1 && memcmp(name, key, n) == 0) return val
	V("year", *v->year ? v->year : NULL);
	V("month", *v->month ? v->month : NULL);
	V("day", *v->day ? v->day : NULL);
	V("i_month", *v->i_month ? v->i_month : NULL);
	V("i_day", *v->i_day ? v->i_day : NULL);
	V("short_year", *v->short_year ? v->short_year : NULL);
	V("title", v->title);
	V("slug", v->slug);
	V("name", v->title);
	V("categories", v->categories);
	V("output_ext", ".html");
	V("path", v->path);
	V("basename", v->basename);
#undef V
	return NULL;
}

/* A named style as its pattern, or the pattern as written. */
static const char *style(const char *p, int *pretty)
{
	*pretty = 0;
	if (!p || strcmp(p, "date") == 0)
		return "/:categories/:year/:month/:day/:title:output_ext";
	if (strcmp(p, "pretty") == 0) {
		*pretty = 1;
		return "/:categories/:year/:month/:day/:title/";
	}
	if (strcmp(p, "ordinal") == 0)
		return "/:categories/:year/:y_day/:title:output_ext";
	if (strcmp(p, "none") == 0)
		return "/:categories/:title:output_ext";
	*pretty = p[strlen(p) - 1] == '/';
	return p;
}

/* The posts' pattern in quire's tokens (content/permalink.h), or NULL when the
 * site's uses a token quire has not: its old URLs then live on as
 * aliases only. */
static char *quire_pattern(const char *p)
{
	static const char *const ok[] = { "year", "month", "day", "title",
		"slug", "categories", "output_ext", NULL };
	struct buf b = BUF_INIT;
	const char *s;
	size_t n, k;

	for (s = p; *s; s++) {
		if (*s != ':')
			continue;
		for (n = 1; isalnum((unsigned char)s[n]) || s[n] == '_'; n++)
			;
		for (k = 0; ok[k] && !(strlen(ok[k]) == n - 1 &&
				       memcmp(ok[k], s + 1, n - 1) == 0); k++)
			;
		if (!ok[k])
			return NULL;
	}
	for (s = p; *s; s++) {
		if (*s != '/' && s == p)
			buf_putc(&b, '/');
		if (strncmp(s, ":output_ext", 11) == 0) {
			buf_puts(&b, ".html");
			s += 10;
		} else {
			buf_putc(&b, *s);
		}
	}
	return buf_failed(&b) ? NULL : buf_detach(&b, &n);
}

/* Jekyll's :slug: the title lower-cased, what is not a letter or digit
 * a '-'. */
static void slugify(char *dst, size_t size, const char *s)
{
	size_t o = 0;

	for (; *s && o + 1 < size; s++) {
		char c = isalnum((unsigned char)*s) ? (char)tolower((unsigned char)*s) : '-';

		if (c == '-' && (o == 0 || dst[o - 1] == '-'))
			continue;
		dst[o++] = c;
	}
	while (o && dst[o - 1] == '-')
		o--;
	dst[o] = '\0';
}

static int excluded(struct jekyll *j, const char *rel)
{
	static const char *const never[] = { "Gemfile", "Gemfile.lock",
		"node_modules", "vendor", "package.json", "package-lock.json",
		"yarn.lock", NULL };
	const struct import_kv *ex = import_map_find(&j->cfg, "exclude");
	const char *base = strrchr(rel, '/');
	size_t i;

	base = base ? base + 1 : rel;
	for (i = 0; never[i]; i++)
		if (strcmp(rel, never[i]) == 0)
			return 1;
	for (i = 0; ex && i < ex->n; i++) {
		const char *e = ex->items[i];

		while (*e == '/')
			e++;
		if (strcmp(rel, e) == 0 || strcmp(base, e) == 0)
			return 1;
	}
	return 0;
}

/* Is there a part of rel that starts with '_' or '.' other than the
 * folder of posts or drafts? */
static int hidden_part(const char *rel, const char **special)
{
	const char *s = rel;

	*special = NULL;
	for (;;) {
		if (*s == '.' || *s == '_') {
			if ((strncmp(s, "_posts/", 7) == 0 || strncmp(s, "_drafts/", 8) == 0) &&
			    !*special)
				*special = s;
			else
				return 1;
		}
		if (!(s = strchr(s, '/')))
			return 0;
		s++;
	}
}

/* Jekyll's own folders, which hold no post: left out without a word. */
static int jekyll_folder(const char *name)
{
	static const char *const own[] = { "_layouts", "_includes", "_sass",
		"_data", "_site", "_plugins", "_posts", "_drafts", "_config",
		NULL };
	size_t i;

	for (i = 0; own[i]; i++)
		if (strcmp(name, own[i]) == 0)
			return 1;
	return 0;
}

static int enter(void *arg, const char *rel)
{
	struct jekyll *j = arg;
	char real[PATH_MAX], *path;
	const char *base = strrchr(rel, '/');
	int inside = 0;

	base = base ? base + 1 : rel;
	/* another '_' folder may be a collection the site published */
	if (*base == '_' && !jekyll_folder(base))
		import_report(j->im, rel, 0, "left out: a folder Jekyll publishes "
			      "only as a collection; import its pages by hand");
	if ((*base == '_' && strcmp(base, "_posts") != 0 && strcmp(base, "_drafts") != 0) ||
	    *base == '.' || excluded(j, rel))
		return 0;
	/* the content folder written may be inside the site's folder */
	if (*j->out_real && (path = malloc(strlen(j->im->src) + strlen(rel) + 2))) {
		sprintf(path, "%s/%s", j->im->src, rel);
		inside = realpath(path, real) && strcmp(real, j->out_real) == 0;
		free(path);
	}
	return !inside;
}

/* 1 when the site's file rel starts with frontmatter. */
static int has_frontmatter(struct jekyll *j, const char *rel)
{
	char head[512], *path = malloc(strlen(j->im->src) + strlen(rel) + 2);
	ssize_t n = -1;
	int fd;

	if (!path)
		return 0;
	sprintf(path, "%s/%s", j->im->src, rel);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd >= 0) {
		n = read(fd, head, sizeof(head));
		close(fd);
	}
	return n > 0 && import_has_frontmatter(head, (size_t)n);
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

static enum quire_err found(void *arg, const char *rel)
{
	struct jekyll *j = arg;
	const char *special, *base = strrchr(rel, '/');
	enum quire_err rc;
	char *out;

	base = base ? base + 1 : rel;
	if (hidden_part(rel, &special) || excluded(j, rel))
		return QUIRE_OK;
	if (special) {
		if (markdown_name(rel))
			return import_names_add(&j->posts, rel);
		import_report(j->im, rel, 0, "a post not in Markdown: left out");
		return QUIRE_OK;
	}
	if (has_frontmatter(j, rel)) {
		if (markdown_name(rel) && strcmp(rel, "index.md") != 0 &&
		    strcmp(rel, "index.markdown") != 0)
			return import_names_add(&j->pages, rel);
		import_report(j->im, rel, 0, "a template of the site, not a post "
			      "or page: left out (quire makes its own home page, "
			      "lists and feeds)");
		return QUIRE_OK;
	}
	if (!(out = malloc(strlen(rel) + 8)))
		return QUIRE_ENOMEM;
	sprintf(out, "static/%s", rel);
	rc = import_copy(j->im, rel, out);
	free(out);
	return rc;
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
	snprintf(v->short_year, sizeof(v->short_year), "%.2s", s + 2);
	snprintf(v->i_month, sizeof(v->i_month), "%d", atoi(v->month));
	snprintf(v->i_day, sizeof(v->i_day), "%d", atoi(v->day));
	return 1;
}

/* The categories of a post: the folders above _posts (the first above
 * bytes of its path), then those of
 * its frontmatter (a string is split on blanks, as Jekyll does). */
static enum quire_err categories(struct import_post *p, size_t above,
				 struct vars *v)
{
	struct strlist l = { NULL, 0 };
	const struct import_kv *kv = import_map_find(&p->fm, "categories");
	char *copy = strndup(p->src, above), *tok, *save;
	enum quire_err rc = copy ? QUIRE_OK : QUIRE_ENOMEM;
	size_t i, o;

	if (!kv || !kv->n)
		kv = import_map_find(&p->fm, "category");
	for (tok = copy ? strtok_r(copy, "/", &save) : NULL; tok && rc == QUIRE_OK;
	     tok = strtok_r(NULL, "/", &save))
		rc = strlist_add(&l, tok);
	free(copy);
	for (i = 0; kv && rc == QUIRE_OK && i < kv->n; i++) {
		if (kv->list) {
			rc = strlist_add(&l, kv->items[i]);
			continue;
		}
		if (!(copy = strdup(kv->items[i])))
			return QUIRE_ENOMEM;
		for (tok = strtok_r(copy, " \t", &save); tok && rc == QUIRE_OK;
		     tok = strtok_r(NULL, " \t", &save))
			rc = strlist_add(&l, tok);
		free(copy);
	}
	*v->categories = '\0';
	for (i = 0, o = 0; rc == QUIRE_OK && i < l.n; i++) {
		char *c = l.v[i];
		size_t k;

		if (o + strlen(c) + 2 >= sizeof(v->categories))
			break;
		if (o)
			v->categories[o++] = '/';
		for (k = 0; c[k]; k++)
			v->categories[o++] = (char)tolower((unsigned char)c[k]);
		v->categories[o] = '\0';
	}
	if (rc == QUIRE_OK && l.n)
		rc = import_map_put(&p->fm, "categories", l.v, l.n);
	strlist_release(&l);
	return rc == QUIRE_ETOOBIG ? QUIRE_OK : rc;
}

/* The old URL of p under pattern: an alias, or reported. */
static enum quire_err old_url(struct import *im, struct import_post *p,
			      const char *pattern, struct vars *v)
{
	struct buf b = BUF_INIT;
	const char *unknown = NULL;
	enum quire_err rc;

	if (*pattern != '/')
		buf_putc(&b, '/');
	rc = import_expand(pattern, var, v, &b, &unknown);
	if (rc == QUIRE_ENOTFOUND) {
		import_report(im, p->src, 0, "permalink \"%s\": no value for "
			      "\"%.*s\": no old URL kept", pattern,
			      (int)strcspn(unknown + 1, "/.-") + 1, unknown);
		rc = QUIRE_OK;
	} else if (rc == QUIRE_OK) {
		rc = strlist_add(&p->aliases, b.data);
	}
	buf_release(&b);
	return rc == QUIRE_ETOOBIG ? QUIRE_OK : rc;
}

/* The URL quire gives p: the pattern site.yaml names, quire's default
 * otherwise. */
static enum quire_err new_url(struct import *im, struct import_post *p,
			      struct vars *v)
{
	const char *pattern = p->kind == POST_KIND_PAGE ?
		(im->site.pages ? im->site.pages : "/pages/:slug") :
		(im->site.posts ? im->site.posts : "/posts/:slug");
	struct buf b = BUF_INIT;
	const char *unknown;
	struct vars w = *v;
	enum quire_err rc;

	/* quire's :title is its :slug (content/permalink.h) */
	w.title = p->slug;
	snprintf(w.slug, sizeof(w.slug), "%s", p->slug);
	rc = import_expand(pattern, var, &w, &b, &unknown);
	if (rc == QUIRE_OK)
		p->url = buf_detach(&b, NULL);
	buf_release(&b);
	return rc == QUIRE_ENOTFOUND ? QUIRE_OK : rc;
}

/* The name of a file without its folder and extension, in a copy. */
static char *stem(const char *rel)
{
	const char *base = strrchr(rel, '/');
	const char *dot;

	base = base ? base + 1 : rel;
	dot = strrchr(base, '.');
	return strndup(base, dot && dot != base ? (size_t)(dot - base) : strlen(base));
}

static enum quire_err slug_of(struct import *im, struct import_post *p,
			      const char *name)
{
	const char *fm = import_map_get(&p->fm, "slug");
	enum quire_err rc = import_strdup(&p->slug, fm ? fm : name);

	if (rc == QUIRE_OK && import_slug_fix(p->slug))
		import_report(im, p->src, 0, "\"%s\" is no slug quire takes: "
			      "written \"%s\"", fm ? fm : name, p->slug);
	if (rc == QUIRE_OK && !*p->slug)
		rc = import_strdup(&p->slug, "untitled");
	return rc;
}

/* A title from a name: '-' a space, as Jekyll titles a post without
 * one. */
static enum quire_err title_of(struct import_post *p, const char *name)
{
	const char *t = import_map_get(&p->fm, "title");
	char *s;

	if (t && *t)
		return import_strdup(&p->title, t);
	if (import_strdup(&p->title, name) != QUIRE_OK)
		return QUIRE_ENOMEM;
	for (s = p->title; *s; s++)
		if (*s == '-')
			*s = ' ';
	if (*p->title)
		p->title[0] = (char)toupper((unsigned char)p->title[0]);
	return QUIRE_OK;
}

static int is_false(const char *s)
{
	return s && (strcmp(s, "false") == 0 || strcmp(s, "no") == 0);
}

static int is_true(const char *s)
{
	return s && (strcmp(s, "true") == 0 || strcmp(s, "yes") == 0);
}

static enum quire_err read_post(struct jekyll *j, struct import_post *p,
				const char *rel)
{
	enum quire_err rc = import_strdup(&p->src, rel);

	if (rc != QUIRE_OK)
		return rc;
	rc = import_read(j->im, rel, QUIRE_MAX_FILE, &p->text, &p->len);
	if (rc == QUIRE_OK)
		rc = import_frontmatter(j->im, p);
	return rc;
}

static enum quire_err add_post(struct jekyll *j, const char *rel)
{
	struct import *im = j->im;
	struct import_post *p = import_post_add(im, POST_KIND_POST);
	const char *special, *fmdate, *link;
	char *name = stem(rel), date[64], *key;
	struct vars v;
	enum quire_err rc;
	int drafts;

	if (!p || !name) {
		free(name);
		return p ? QUIRE_ENOMEM : QUIRE_OK;
	}
	memset(&v, 0, sizeof(v));
	hidden_part(rel, &special);
	drafts = strncmp(special, "_drafts/", 8) == 0;
	rc = read_post(j, p, rel);
	if (rc == QUIRE_ENOTFOUND)
		import_report(im, rel, 1, "no frontmatter: left out");
	if (rc != QUIRE_OK)
		goto drop;
	p->split_terms = 1;
	/* YYYY-MM-DD- of the name: the day, and the TITLE after it */
	if (day_of(name, &v) && name[10] == '-') {
		memmove(name, name + 11, strlen(name + 11) + 1);
	} else if (!drafts) {
		import_report(im, rel, 0, "a post's name must start YYYY-MM-DD-, "
			      "as Jekyll requires: left out");
		goto drop;
	}
	fmdate = import_map_get(&p->fm, "date");
	if (fmdate && import_date_fix(fmdate, date, sizeof(date))) {
		day_of(fmdate, &v);
		rc = import_strdup(&p->date, date);
	} else {
		if (fmdate)
			import_report(im, rel, 0, "date \"%s\" not understood: "
				      "the file name's is kept", fmdate);
		if (*v.year) {
			snprintf(date, sizeof(date), "%s-%s-%s", v.year, v.month, v.day);
			rc = import_strdup(&p->date, date);
		}
	}
	if (rc == QUIRE_OK)
		rc = title_of(p, name);
	if (rc == QUIRE_OK)
		rc = slug_of(im, p, name);
	v.title = import_map_get(&p->fm, "slug") ? import_map_get(&p->fm, "slug") : name;
	slugify(v.slug, sizeof(v.slug), v.title);
	if (rc == QUIRE_OK)
		rc = categories(p, (size_t)(special - rel), &v);
	p->draft = drafts || is_false(import_map_get(&p->fm, "published")) ||
		   is_true(import_map_get(&p->fm, "draft"));
	link = import_map_get(&p->fm, "permalink");
	/* a draft was never published: it has no old URL */
	if (rc == QUIRE_OK && !drafts)
		rc = old_url(im, p, link ? link : j->pattern, &v);
	if (rc == QUIRE_OK && (key = malloc(strlen(rel) + 1))) {
		/* {% post_url NAME %} names the file under _posts/ without
		 * its extension; {% link %} the whole path */
		rc = strlist_add(&p->keys, rel);
		snprintf(key, strlen(rel) + 1, "%s", special + (drafts ? 8 : 7));
		key[strlen(key) - strlen(strrchr(key, '.'))] = '\0';
		if (rc == QUIRE_OK)
			rc = strlist_add(&p->keys, key);
		free(key);
	}
	if (rc == QUIRE_OK && (key = malloc(strlen(rel) + 8))) {
		sprintf(key, "posts/%s", strrchr(rel, '/') + 1);
		p->out = key;
	}
	if (rc == QUIRE_OK)
		rc = new_url(im, p, &v);
	if (rc == QUIRE_OK && p->out) {
		free(name);
		return QUIRE_OK;
	}
drop:
	free(name);
	import_post_drop(im);
	return rc == QUIRE_ENOMEM ? rc : QUIRE_OK;
}

static enum quire_err add_page(struct jekyll *j, const char *rel)
{
	struct import *im = j->im;
	struct import_post *p = import_post_add(im, POST_KIND_PAGE);
	const char *link, *slash = strrchr(rel, '/');
	char *name = stem(rel), *dir = NULL;
	struct vars v;
	enum quire_err rc;

	if (!p || !name) {
		free(name);
		return p ? QUIRE_ENOMEM : QUIRE_OK;
	}
	memset(&v, 0, sizeof(v));
	rc = read_post(j, p, rel);
	if (rc == QUIRE_OK)
		rc = title_of(p, name);
	if (rc == QUIRE_OK)
		rc = slug_of(im, p, name);
	if (rc == QUIRE_OK && !(dir = strndup(rel, slash ? (size_t)(slash - rel) : 0)))
		rc = QUIRE_ENOMEM;
	v.title = name;
	snprintf(v.slug, sizeof(v.slug), "%s", name);
	v.path = dir;
	v.basename = name;
	link = import_map_get(&p->fm, "permalink");
	if (rc == QUIRE_OK) {
		struct buf b = BUF_INIT;

		/* a page's URL: its frontmatter's, else its path with
		 * ".html" ('/' under a pretty site) */
		if (strcmp(name, "index") == 0)
			buf_printf(&b, "/%s%s", dir, *dir ? "/" : "");
		else
			buf_printf(&b, "/%s%s%s%s", dir, *dir ? "/" : "", name,
				   j->pretty ? "/" : ".html");
		rc = buf_failed(&b) ? QUIRE_ENOMEM :
		     old_url(im, p, link ? link : b.data, &v);
		buf_release(&b);
	}
	if (rc == QUIRE_OK)
		rc = strlist_add(&p->keys, rel);
	if (rc == QUIRE_OK && !(p->out = malloc(strlen(p->slug) + 10)))
		rc = QUIRE_ENOMEM;
	if (rc == QUIRE_OK) {
		sprintf(p->out, "pages/%s.md", p->slug);
		rc = new_url(im, p, &v);
	}
	free(dir);
	free(name);
	if (rc == QUIRE_OK && p->out)
		return QUIRE_OK;
	import_post_drop(im);
	return rc == QUIRE_ENOMEM ? rc : QUIRE_OK;
}

static enum quire_err read_config(struct jekyll *j)
{
	struct import *im = j->im;
	struct import_site *s = &im->site;
	struct parse_error err;
	const char *url, *base;
	char *text = NULL;
	size_t len;
	enum quire_err rc;

	rc = import_read(im, "_config.yml", QUIRE_IMPORT_MAX_CONFIG, &text, &len);
	if (rc == QUIRE_ENOTFOUND)
		rc = QUIRE_OK;
	else if (rc == QUIRE_OK) {
		memset(&err, 0, sizeof(err));
		rc = import_map_yaml(text, len, 1, &j->cfg, &err);
		if (rc != QUIRE_OK)
			import_report_at(im, "_config.yml", err.line, err.column,
					 err.message);
	}
	free(text);
	if (rc != QUIRE_OK)
		return rc;
	url = import_map_get(&j->cfg, "url");
	base = import_map_get(&j->cfg, "baseurl");
	if (url || (base && *base)) {
		struct buf b = BUF_INIT;

		buf_printf(&b, "%s%s", url ? url : "", base ? base : "");
		while (b.len && b.data[b.len - 1] == '/')
			buf_truncate(&b, b.len - 1);
		if (buf_failed(&b))
			return QUIRE_ENOMEM;
		s->url = buf_detach(&b, &len);
	}
	j->pattern = style(import_map_get(&j->cfg, "permalink"), &j->pretty);
	if (import_strdup(&s->title, import_map_get(&j->cfg, "title")) != QUIRE_OK ||
	    import_strdup(&s->description, import_map_get(&j->cfg, "description")) != QUIRE_OK ||
	    import_strdup(&s->author, import_map_get(&j->cfg, "author.name") ?
			  import_map_get(&j->cfg, "author.name") :
			  import_map_get(&j->cfg, "author")) != QUIRE_OK ||
	    import_strdup(&s->language, import_map_get(&j->cfg, "lang") ?
			  import_map_get(&j->cfg, "lang") :
			  import_map_get(&j->cfg, "locale")) != QUIRE_OK ||
	    strlist_add(&s->taxonomies, "tags") != QUIRE_OK ||
	    strlist_add(&s->taxonomies, "categories") != QUIRE_OK)
		return QUIRE_ENOMEM;
	s->posts = quire_pattern(j->pattern);
	return QUIRE_OK;
}

static enum quire_err translate(struct import *im, struct import_post *p,
				struct buf *out)
{
	return import_translate_tags(im, p, import_tags_jekyll, NULL, out);
}

enum quire_err import_jekyll(struct import *im)
{
	struct jekyll j;
	enum quire_err rc;
	size_t i;
	int all_root = 1;

	memset(&j, 0, sizeof(j));
	j.im = im;
	if (!realpath(im->out, j.out_real))
		*j.out_real = '\0';
	rc = read_config(&j);
	if (rc == QUIRE_OK)
		rc = import_walk(im, "", enter, found, &j);
	for (i = 0; rc == QUIRE_OK && i < j.pages.n; i++)
		all_root &= !strchr(j.pages.v[i], '/');
	/* pages at the root keep their URLs in site.yaml too */
	if (rc == QUIRE_OK && all_root && j.pages.n)
		rc = import_strdup(&im->site.pages, j.pretty ? "/:slug/" : "/:slug.html");
	/* every post is found before any is written: links need them all */
	for (i = 0; rc == QUIRE_OK && i < j.posts.n; i++)
		rc = add_post(&j, j.posts.v[i]);
	for (i = 0; rc == QUIRE_OK && i < j.pages.n; i++)
		rc = add_page(&j, j.pages.v[i]);
	if (rc == QUIRE_OK)
		rc = import_write(im, translate);
	import_map_release(&j.cfg);
	import_names_release(&j.posts);
	import_names_release(&j.pages);
	return rc;
}
