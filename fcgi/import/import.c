/*
 * import.c - what the importers share: the posts found, their URLs, and
 * the content folder written out
 *
 * Two passes: an importer first finds every post (so that a link from
 * one post to another can be given the target's new URL), then
 * import_write() writes them. What is written is plain: a YAML
 * frontmatter of double-quoted strings that quire's reader and the
 * author's editor both read, the body as translated, and site.yaml.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "content/frontmatter_date.h"
#include "content/post.h"
#include "content/strlist.h"
#include "import/import.h"
#include "import/import_config.h"
#include "lib/buf.h"
#include "lib/key_table.h"
#include "lib/limits.h"
#include "lib/log.h"
#include "lib/quire.h"

int import_status(const struct import *im, enum quire_err rc)
{
	if (rc != QUIRE_OK)
		return IMPORT_EXIT_FAILED;
	return im->reported ? IMPORT_EXIT_REPORTED : IMPORT_EXIT_OK;
}

enum quire_err import_strdup(char **dst, const char *s)
{
	free(*dst);
	*dst = NULL;
	if (s && !(*dst = strdup(s)))
		return QUIRE_ENOMEM;
	return QUIRE_OK;
}

void import_init(struct import *im, const char *src, const char *out)
{
	memset(im, 0, sizeof(*im));
	im->src = src;
	im->out = out;
}

static void post_release(struct import_post *p)
{
	free(p->src);
	free(p->out);
	free(p->slug);
	free(p->title);
	free(p->date);
	import_map_release(&p->fm);
	strlist_release(&p->aliases);
	strlist_release(&p->keys);
	free(p->url);
	free(p->base);
	free(p->text);
}

void import_release(struct import *im)
{
	size_t i;

	for (i = 0; i < im->n; i++)
		post_release(&im->posts[i]);
	free(im->posts);
	free(im->site.title);
	free(im->site.description);
	free(im->site.url);
	free(im->site.author);
	free(im->site.language);
	free(im->site.posts);
	free(im->site.pages);
	strlist_release(&im->site.taxonomies);
	memset(im, 0, sizeof(*im));
}

void import_report(struct import *im, const char *path, unsigned line,
		   const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line)
		log_report("%s:%u: %s", path, line, msg);
	else
		log_report("%s: %s", path, msg);
	im->reported++;
}

void import_report_at(struct import *im, const char *path, unsigned line,
		      unsigned column, const char *msg)
{
	log_report("%s:%u:%u: %s", path, line, column, msg);
	im->reported++;
}

struct import_post *import_post_add(struct import *im, enum post_kind kind)
{
	struct import_post *v;

	if (im->n >= QUIRE_MAX_POSTS) {
		import_report(im, im->src, 0, "more than %d posts: the rest are "
			      "left out", QUIRE_MAX_POSTS);
		return NULL;
	}
	if (!(v = realloc(im->posts, (im->n + 1) * sizeof(*v))))
		return NULL;
	im->posts = v;
	memset(&v[im->n], 0, sizeof(*v));
	v[im->n].kind = kind;
	return &v[im->n++];
}

void import_post_drop(struct import *im)
{
	if (im->n)
		post_release(&im->posts[--im->n]);
}

enum quire_err import_names_add(struct import_names *l, const char *s)
{
	char **v;

	if (l->n >= QUIRE_IMPORT_MAX_FILES)
		return QUIRE_ETOOBIG;
	if (!(v = realloc(l->v, (l->n + 1) * sizeof(*v))))
		return QUIRE_ENOMEM;
	l->v = v;
	if (!(v[l->n] = strdup(s)))
		return QUIRE_ENOMEM;
	l->n++;
	return QUIRE_OK;
}

void import_names_release(struct import_names *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* "a/b" joined, or NULL when out of memory. */
static char *join(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 2;
	char *s = malloc(n);

	if (s)
		snprintf(s, n, "%s%s%s", a, *a && *b ? "/" : "", b);
	return s;
}

enum quire_err import_read(struct import *im, const char *rel, size_t max,
			   char **text, size_t *len)
{
	char *path = join(im->src, rel), *s = NULL;
	struct stat st;
	ssize_t r = 0;
	size_t got = 0, cap;
	int fd;

	if (!path)
		return QUIRE_ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0) {
		if (errno == ENOENT)
			return QUIRE_ENOTFOUND;
		import_report(im, rel, 0, "cannot open: %s", strerror(errno));
		return QUIRE_EIO;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		import_report(im, rel, 0, "not a regular file");
		return QUIRE_EIO;
	}
	if ((unsigned long long)st.st_size > max) {
		close(fd);
		import_report(im, rel, 0, "larger than %zu bytes: left out", max);
		return QUIRE_ETOOBIG;
	}
	/* room for the size seen and one byte more, which tells a file
	 * that grew meanwhile: its bytes would be neither these nor the new */
	cap = (size_t)st.st_size;
	if (!(s = malloc(cap + 2))) {
		close(fd);
		return QUIRE_ENOMEM;
	}
	while ((r = read(fd, s + got, cap + 1 - got)) > 0) {
		got += (size_t)r;
		if (got > cap)
			break;
	}
	close(fd);
	if (r < 0 || got > cap) {
		free(s);
		import_report(im, rel, 0, r < 0 ? "cannot read" :
			      "changed while read: left out");
		return r < 0 ? QUIRE_EIO : QUIRE_ETOOBIG;
	}
	s[got] = '\0';
	*text = s;
	*len = got;
	return QUIRE_OK;
}

/* Where the frontmatter line starts: past a byte-order mark and blank
 * lines (the leniency of the generators themselves). */
static size_t lead(const char *t, size_t len)
{
	size_t i = 0, j;

	if (len >= 3 && memcmp(t, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	for (;;) {
		for (j = i; j < len && (t[j] == ' ' || t[j] == '\t' || t[j] == '\r'); j++)
			;
		if (j < len && t[j] == '\n')
			i = j + 1;
		else
			return i;
	}
}

/* Length of the line at t[i] if it is exactly mark (with optional
 * trailing blanks and CR) and its line break, else 0. */
static size_t mark_line(const char *t, size_t len, size_t i, const char *mark)
{
	size_t m = strlen(mark), j;

	if (len - i < m || memcmp(t + i, mark, m) != 0)
		return 0;
	for (j = i + m; j < len && (t[j] == ' ' || t[j] == '\t' || t[j] == '\r'); j++)
		;
	if (j == len)
		return j - i;
	return t[j] == '\n' ? j + 1 - i : 0;
}

int import_has_frontmatter(const char *text, size_t len)
{
	size_t i = lead(text, len);

	return mark_line(text, len, i, "---") || mark_line(text, len, i, "+++");
}

static unsigned line_of(const char *t, size_t off)
{
	unsigned line = 1;
	size_t i;

	for (i = 0; i < off; i++)
		line += t[i] == '\n';
	return line;
}

enum quire_err import_frontmatter(struct import *im, struct import_post *p)
{
	const char *t = p->text, *mark;
	size_t len = p->len, i = lead(t, len), open, start, k;
	struct parse_error err;
	enum quire_err rc;
	int toml;

	if ((open = mark_line(t, len, i, "---")))
		toml = 0;
	else if ((open = mark_line(t, len, i, "+++")))
		toml = 1;
	else
		return QUIRE_ENOTFOUND;
	mark = toml ? "+++" : "---";
	start = i + open;
	for (k = start; k < len; k = (size_t)((const char *)memchr(t + k, '\n', len - k) - t) + 1) {
		if (mark_line(t, len, k, mark) || (!toml && mark_line(t, len, k, "...")))
			break;
		if (!memchr(t + k, '\n', len - k)) {
			k = len;
			break;
		}
	}
	if (k >= len) {
		import_report(im, p->src, line_of(t, i), "frontmatter not closed");
		return QUIRE_EPARSE;
	}
	if (k - start > QUIRE_MAX_FRONTMATTER) {
		import_report(im, p->src, line_of(t, i), "frontmatter longer "
			      "than %d bytes", QUIRE_MAX_FRONTMATTER);
		return QUIRE_ETOOBIG;
	}
	memset(&err, 0, sizeof(err));
	rc = toml ? import_map_toml(t + start, k - start, line_of(t, start), &p->fm, &err)
		  : import_map_yaml(t + start, k - start, line_of(t, start), &p->fm, &err);
	if (rc != QUIRE_OK) {
		import_report_at(im, p->src, err.line, err.column,
				 *err.message ? err.message : quire_strerror(rc));
		return rc;
	}
	p->body = k + (toml ? mark_line(t, len, k, "+++") :
		       mark_line(t, len, k, "---") ? mark_line(t, len, k, "---") :
		       mark_line(t, len, k, "..."));
	p->body_line = line_of(t, p->body);
	return QUIRE_OK;
}

/* mkdir -p of the folders of path (its last part is a file). */
static enum quire_err make_parents(char *path)
{
	char *s;

	for (s = path + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST) {
			*s = '/';
			return QUIRE_EIO;
		}
		*s = '/';
	}
	return QUIRE_OK;
}

/* Writes data to the content folder's rel, through a temporary file and
 * a rename: a reader never sees half a file. */
static enum quire_err write_out(struct import *im, const char *rel,
				const char *data, size_t len)
{
	char *path = join(im->out, rel), *tmp = NULL;
	enum quire_err rc = QUIRE_EIO;
	struct buf b = BUF_INIT;
	int fd = -1;

	if (!path)
		return QUIRE_ENOMEM;
	buf_printf(&b, "%s.import-tmp", path);
	if (buf_failed(&b))
		goto out;
	tmp = b.data;
	if (make_parents(path) != QUIRE_OK)
		goto out;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		goto out;
	{
		struct buf w = { (char *)data, len, len, 0 };

		if (buf_write_all(&w, fd) != QUIRE_OK)
			goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) == 0)
		rc = QUIRE_OK;
out:
	if (rc != QUIRE_OK) {
		import_report(im, rel, 0, "cannot write %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		if (tmp)
			unlink(tmp);
	}
	buf_release(&b);
	free(path);
	return rc;
}

enum quire_err import_copy(struct import *im, const char *rel,
			   const char *out_rel)
{
	char *text;
	size_t len;
	enum quire_err rc;

	rc = import_read(im, rel, QUIRE_IMPORT_MAX_STATIC, &text, &len);
	if (rc == QUIRE_ETOOBIG)
		return QUIRE_OK;  /* reported, left out */
	if (rc == QUIRE_ENOTFOUND) {
		import_report(im, rel, 0, "vanished while imported");
		return QUIRE_OK;
	}
	if (rc != QUIRE_OK)
		return rc;
	rc = write_out(im, out_rel, text, len);
	free(text);
	if (rc == QUIRE_OK)
		im->copied++;
	return rc;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static enum quire_err walk(struct import *im, const char *rel, unsigned depth,
			   int (*enter)(void *, const char *),
			   enum quire_err (*fn)(void *, const char *), void *arg)
{
	char *path = join(im->src, rel), **names = NULL, **v, *child;
	size_t n = 0, i;
	struct dirent *e;
	struct stat st;
	enum quire_err rc = QUIRE_OK;
	DIR *d;

	if (!path)
		return QUIRE_ENOMEM;
	d = opendir(path);
	free(path);
	if (!d) {
		import_report(im, *rel ? rel : im->src, 0, "cannot read the folder");
		return QUIRE_EIO;
	}
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (++im->walked > QUIRE_IMPORT_MAX_FILES) {
			rc = QUIRE_ETOOBIG;
			break;
		}
		if (!(v = realloc(names, (n + 1) * sizeof(*v))) ||
		    !(v[n] = join(rel, e->d_name))) {
			names = v ? v : names;
			rc = QUIRE_ENOMEM;
			break;
		}
		names = v;
		n++;
	}
	closedir(d);
	if (rc == QUIRE_ETOOBIG)
		import_report(im, im->src, 0, "more than %d files", QUIRE_IMPORT_MAX_FILES);
	if (rc == QUIRE_OK)
		qsort(names, n, sizeof(*names), by_name);
	for (i = 0; rc == QUIRE_OK && i < n; i++) {
		child = join(im->src, names[i]);
		if (!child) {
			rc = QUIRE_ENOMEM;
			break;
		}
		/* stat, not lstat: a link inside is followed, as the
		 * generators follow it, and the depth bounds a loop */
		if (stat(child, &st) != 0)
			import_report(im, names[i], 0, "cannot stat: %s", strerror(errno));
		else if (S_ISDIR(st.st_mode)) {
			if (depth >= QUIRE_MAX_DIR_DEPTH)
				import_report(im, names[i], 0, "deeper than %d "
					      "folders: left out", QUIRE_MAX_DIR_DEPTH);
			else if (!enter || enter(arg, names[i]))
				rc = walk(im, names[i], depth + 1, enter, fn, arg);
		} else if (S_ISREG(st.st_mode)) {
			rc = fn(arg, names[i]);
		}
		free(child);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

enum quire_err import_walk(struct import *im, const char *rel,
			   int (*enter)(void *arg, const char *rel),
			   enum quire_err (*fn)(void *arg, const char *rel),
			   void *arg)
{
	return walk(im, rel, 0, enter, fn, arg);
}

enum quire_err import_expand(const char *pattern,
			     const char *(*get)(void *arg, const char *name,
						size_t len),
			     void *arg, struct buf *out, const char **unknown)
{
	const char *s = pattern, *v;
	size_t n, start = out->len;

	while (*s) {
		if (*s != ':' || !(isalpha((unsigned char)s[1]) || s[1] == '_')) {
			buf_putc(out, *s++);
			continue;
		}
		for (n = 1; isalnum((unsigned char)s[n]) || s[n] == '_'; n++)
			;
		if (!(v = get(arg, s + 1, n - 1))) {
			*unknown = s;
			return QUIRE_ENOTFOUND;
		}
		buf_puts(out, v);
		s += n;
	}
	/* "//" left by an empty :categories is one "/", as in Jekyll */
	for (n = start; n + 1 < out->len;) {
		if (out->data[n] == '/' && out->data[n + 1] == '/') {
			memmove(out->data + n, out->data + n + 1, out->len - n - 1);
			buf_truncate(out, out->len - 1);
		} else {
			n++;
		}
	}
	return buf_failed(out) ? QUIRE_ENOMEM : QUIRE_OK;
}

static int slug_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_' || c == '.';
}

int import_slug_fix(char *s)
{
	size_t i, o = 0;
	int changed = 0;

	for (i = 0; s[i]; i++) {
		char c = slug_char(s[i]) ? s[i] : '-';

		changed |= c != s[i];
		if (c == '-' && o && s[o - 1] == '-' && s[i] != '-') {
			continue;  /* a run made of replaced bytes is one '-' */
		}
		s[o++] = c;
	}
	s[o] = '\0';
	while (o && (s[o - 1] == '-' || s[o - 1] == '.') && changed)
		s[--o] = '\0';
	for (i = 0; s[i] == '.' || (changed && s[i] == '-'); i++)
		;
	if (i) {
		memmove(s, s + i, strlen(s + i) + 1);
		changed = 1;
	}
	if (strlen(s) > QUIRE_MAX_SLUG) {
		s[QUIRE_MAX_SLUG] = '\0';
		changed = 1;
	}
	return changed;
}

int import_date_fix(const char *s, char *out, size_t size)
{
	size_t n = strlen(s);
	time_t t;

	if (n + 2 >= size)
		return 0;
	memcpy(out, s, n + 1);
	/* " +0200" or "+0200" at the end: Ruby's Time#to_s, Jekyll's form */
	if (n >= 5 && (out[n - 5] == '+' || out[n - 5] == '-') &&
	    isdigit((unsigned char)out[n - 4]) && isdigit((unsigned char)out[n - 1]) &&
	    isdigit((unsigned char)out[n - 3]) && isdigit((unsigned char)out[n - 2])) {
		size_t z = n - 5;

		if (z && out[z - 1] == ' ')
			memmove(out + z - 1, out + z, 6), z--, n--;
		out[z + 6] = '\0';
		out[z + 5] = out[z + 4];
		out[z + 4] = out[z + 3];
		out[z + 3] = ':';
	}
	return frontmatter_date_parse(out, &t) == QUIRE_OK;
}

/* The key without its extension .md or .markdown, and without a
 * leading "/". */
static int key_matches(const char *have, const char *want)
{
	size_t n;

	while (*want == '/')
		want++;
	if (strcmp(have, want) == 0)
		return 1;
	n = strlen(have);
	if (strncmp(have, want, n) == 0 &&
	    (strcmp(want + n, ".md") == 0 || strcmp(want + n, ".markdown") == 0))
		return 1;
	return 0;
}

const struct import_post *import_find(const struct import *im, const char *key)
{
	size_t i, j;

	for (i = 0; i < im->n; i++)
		for (j = 0; j < im->posts[i].keys.n; j++)
			if (key_matches(im->posts[i].keys.v[j], key))
				return &im->posts[i];
	return NULL;
}

/* A YAML double-quoted scalar: what needs escaping, escaped. */
static void yaml_quote(struct buf *b, const char *s)
{
	buf_putc(b, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			buf_printf(b, "\\%c", c);
		else if (c == '\n')
			buf_puts(b, "\\n");
		else if (c == '\t')
			buf_puts(b, "\\t");
		else if (c < 0x20 || c == 0x7f)
			buf_printf(b, "\\x%02x", c);
		else
			buf_putc(b, (char)c);
	}
	buf_putc(b, '"');
}

static void yaml_list(struct buf *b, const char *key, char *const *v, size_t n)
{
	size_t i;

	if (!n)
		return;
	buf_printf(b, "%s:\n", key);
	for (i = 0; i < n; i++) {
		buf_puts(b, "  - ");
		yaml_quote(b, v[i]);
		buf_putc(b, '\n');
	}
}

static void yaml_scalar(struct buf *b, const char *key, const char *v)
{
	if (!v)
		return;
	buf_printf(b, "%s: ", key);
	yaml_quote(b, v);
	buf_putc(b, '\n');
}

/* Jekyll's "tags: a b" is two tags, split on blanks; a list is a list. */
static void yaml_terms(struct buf *b, const char *key, const struct import_kv *kv,
		       int split)
{
	struct strlist l = { NULL, 0 };
	char *copy, *tok, *save;

	if (!kv || !kv->n)
		return;
	if (kv->list || !split) {
		yaml_list(b, key, kv->items, kv->n);
		return;
	}
	if (!(copy = strdup(kv->items[0]))) {
		b->failed = 1;
		return;
	}
	for (tok = strtok_r(copy, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save))
		if (strlist_add(&l, tok) != QUIRE_OK)
			break;
	yaml_list(b, key, l.v, l.n);
	strlist_release(&l);
	free(copy);
}

static const struct import_kv *first_of(const struct import_map *m,
					const char *const *keys)
{
	const struct import_kv *kv;

	for (; *keys; keys++)
		if ((kv = import_map_find(m, *keys)) && kv->n)
			return kv;
	return NULL;
}

static void frontmatter(struct buf *b, const struct import_post *p, int split)
{
	static const char *const k_author[] = { "authors", "author.name", "author", NULL };
	static const char *const k_desc[] = { "description", "summary", "excerpt", NULL };
	static const char *const k_cat[] = { "categories", "category", NULL };
	static const char *const k_upd[] = { "last_modified_at", "lastmod", "updated", NULL };
	static const char *const k_img[] = { "image", "featured_image", NULL };
	const struct import_kv *kv;
	char date[64];

	buf_puts(b, "---\n");
	yaml_scalar(b, "title", p->title);
	yaml_scalar(b, "slug", p->slug);
	if (p->date)
		buf_printf(b, "date: %s\n", p->date);
	if ((kv = first_of(&p->fm, k_upd)) && import_date_fix(kv->items[0], date, sizeof(date)))
		buf_printf(b, "updated: %s\n", date);
	if ((kv = first_of(&p->fm, k_author)))
		yaml_list(b, "authors", kv->items, kv->n);
	if ((kv = first_of(&p->fm, k_desc)))
		yaml_scalar(b, "description", kv->items[0]);
	yaml_terms(b, "tags", import_map_find(&p->fm, "tags"), split);
	yaml_terms(b, "categories", first_of(&p->fm, k_cat), split);
	if ((kv = first_of(&p->fm, k_img)))
		yaml_scalar(b, "featured_image", kv->items[0]);
	if (p->draft)
		buf_puts(b, "draft: true\n");
	yaml_list(b, "aliases", p->aliases.v, p->aliases.n);
	buf_puts(b, "---\n");
}

static void site_yaml(struct buf *b, const struct import_site *s)
{
	buf_puts(b, "# site.yaml - written by quirectl import; edit freely\n");
	yaml_scalar(b, "title", s->title);
	yaml_scalar(b, "description", s->description);
	yaml_scalar(b, "url", s->url);
	yaml_scalar(b, "author", s->author);
	yaml_scalar(b, "language", s->language);
	if (s->posts || s->pages) {
		buf_puts(b, "permalinks:\n");
		if (s->posts) {
			buf_puts(b, "  posts: ");
			yaml_quote(b, s->posts);
			buf_putc(b, '\n');
		}
		if (s->pages) {
			buf_puts(b, "  pages: ");
			yaml_quote(b, s->pages);
			buf_putc(b, '\n');
		}
	}
	if (s->taxonomies.n)
		yaml_list(b, "taxonomies", s->taxonomies.v, s->taxonomies.n);
}

/* p->out made one no other post of im has taken (in t): NAME-2.md,
 * NAME-3.md..., reported. Two posts may share a name in different
 * folders of the old site; the content folder must keep both. */
static enum quire_err out_unique(struct import *im, struct import_post *p,
				 struct key_table *t)
{
	struct buf b = BUF_INIT;
	const char *dot;
	unsigned k;

	for (k = 2; key_table_has(t, p->out) && k < 1000000; k++) {
		buf_truncate(&b, 0);
		dot = strrchr(p->out, '.');
		buf_printf(&b, "%.*s-%u%s", (int)(dot ? dot - p->out : (long)strlen(p->out)),
			   p->out, k, dot ? dot : "");
		if (buf_failed(&b))
			return QUIRE_ENOMEM;
		if (!key_table_has(t, b.data)) {
			import_report(im, p->src, 0, "%s is another post's: written "
				      "as %s", p->out, b.data);
			free(p->out);
			p->out = buf_detach(&b, NULL);
			break;
		}
	}
	buf_release(&b);
	return key_table_put(t, p->out, p);
}

enum quire_err import_write(struct import *im, import_translate_fn translate)
{
	struct buf b = BUF_INIT;
	struct key_table outs;
	enum quire_err rc;
	size_t i;

	if ((rc = key_table_init(&outs, im->n ? im->n : 1)) != QUIRE_OK)
		return rc;
	for (i = 0; rc == QUIRE_OK && i < im->n; i++)
		rc = out_unique(im, &im->posts[i], &outs);
	key_table_release(&outs);
	for (i = 0; rc == QUIRE_OK && i < im->n; i++) {
		struct import_post *p = &im->posts[i];

		buf_reset(&b);
		frontmatter(&b, p, p->split_terms);
		rc = translate(im, p, &b);
		if (rc == QUIRE_OK && buf_failed(&b))
			rc = QUIRE_ENOMEM;
		if (rc == QUIRE_OK)
			rc = write_out(im, p->out, b.data, b.len);
	}
	if (rc == QUIRE_OK) {
		buf_reset(&b);
		site_yaml(&b, &im->site);
		rc = buf_failed(&b) ? QUIRE_ENOMEM :
		     write_out(im, "site.yaml", b.data, b.len);
	}
	buf_release(&b);
	return rc;
}

static const char *resolve(void *arg, const char *target)
{
	const struct import_post *p = import_find(arg, target);

	return p ? p->url : NULL;
}

enum quire_err import_translate_tags(struct import *im,
				     const struct import_post *p,
				     import_tags_fn tags, const char *base,
				     struct buf *out)
{
	struct import_tags t;
	enum quire_err rc;

	memset(&t, 0, sizeof(t));
	t.path = p->src;
	t.site_url = im->site.url;
	t.base = base;
	t.resolve = resolve;
	t.arg = im;
	rc = tags(&t, p->text + p->body, p->len - p->body, p->body_line, out);
	im->reported += t.reported;
	return rc;
}
