/*
 * content.c - loading posts and pages from the content/ folder (L0)
 *
 * A load lists the files first (posts/ recursively, pages/ flat), sorts
 * them by path, and parses them in that order, so two loads of the same
 * tree give the same result whatever readdir() returns. Duplicate slugs
 * are settled afterwards by path order for the same reason.
 *
 * Symbolic links are followed only when they resolve inside the folder
 * being walked, and a folder that is already being walked (a loop) is
 * skipped; the depth bound catches anything else.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <xxhash.h>

#include "content/content.h"
#include "content/frontmatter.h"
#include "content/frontmatter_date.h"
#include "content/html_sanitize.h"
#include "content/markdown.h"
#include "content/permalink.h"
#include "content/post.h"
#include "content/slug_settle.h"
#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/log.h"
#include "lib/parallel.h"
#include "lib/quire.h"

/* Longest file name we make a slug from (NAME_MAX on Linux). */
#define FILE_NAME_MAX 255

struct found_list {
	struct content_path *v;
	size_t n;
	size_t cap;
	int full;       /* QUIRE_MAX_POSTS reached, already reported */
};

/* The folders being walked, outermost first, to notice loops. */
/* Swaps two owned strings. */
#define SWAP_STR(a, b) do { char *swap_tmp = (a); (a) = (b); (b) = swap_tmp; } while (0)

struct dir_stack {
	dev_t dev[QUIRE_MAX_DIR_DEPTH + 1];
	ino_t ino[QUIRE_MAX_DIR_DEPTH + 1];
	size_t n;
};

void content_report(const char *path, unsigned line, unsigned col,
		    const char *msg)
{
	char esc[1024];

	log_msg(LOG_LEVEL_WARN, "content", "%s:%u:%u: %s",
		log_escape(path, esc, sizeof(esc)), line, col, msg);
}

static void set_err(struct parse_error *err, unsigned line, unsigned col,
		    const char *msg)
{
	err->line = line;
	err->column = col;
	snprintf(err->message, sizeof(err->message), "%s", msg);
}

static int has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && strcmp(s + n - m, suffix) == 0;
}

int content_is_name(const char *name)
{
	return has_suffix(name, ".md") || has_suffix(name, ".markdown") ||
	       has_suffix(name, ".html");
}

int content_is_bundle(const struct post *p)
{
	const char *slash = p->path ? strrchr(p->path, '/') : NULL;
	const char *name = slash ? slash + 1 : NULL;

	return p->kind == POST_KIND_POST && name && slash > p->path &&
	       (strcmp(name, "index.md") == 0 ||
		strcmp(name, "index.markdown") == 0 ||
		strcmp(name, "index.html") == 0);
}

enum quire_err content_files_url(const char *post_url, char *out, size_t size)
{
	size_t n = strlen(post_url);
	int w;

	if (n && post_url[n - 1] == '/')
		w = snprintf(out, size, "%s", post_url);
	else if (has_suffix(post_url, ".html"))
		w = snprintf(out, size, "%.*s", (int)(strrchr(post_url, '/') -
						      post_url + 1), post_url);
	else
		w = snprintf(out, size, "%s/", post_url);
	return w > 0 && (size_t)w < size ? QUIRE_OK : QUIRE_ETOOBIG;
}

enum quire_err content_bundle_url(const struct post *p, const char *slug,
				  const char *pattern, char *out, size_t size)
{
	char url[PERMALINK_MAX_URL + 1];
	struct post tmp = *p;

	/* the post's own URL (site_post_url's rule), under the slug given */
	tmp.slug = (char *)(slug ? slug : p->slug);
	if (!tmp.slug ||
	    permalink_expand(pattern ? pattern : PERMALINK_POSTS_DEFAULT, &tmp,
			     url, sizeof(url)) != QUIRE_OK)
		return QUIRE_ETOOBIG;
	return content_files_url(url, out, size);
}

enum quire_err content_resolve_image(struct post *p)
{
	struct buf b = BUF_INIT;
	const char *img = p->featured_image;

	/* a bundle's is resolved against the post's URL where that is
	 * known for sure (site_post_image): left relative here */
	if (!markdown_url_relative(img) || content_is_bundle(p))
		return QUIRE_OK;
	while (img[0] == '.' && img[1] == '/')
		img += 2;
	buf_puts(&b, "/");
	buf_puts(&b, img);
	if (buf_failed(&b))
		return QUIRE_ENOMEM;
	free(p->featured_image);
	p->featured_image = buf_detach(&b, NULL);
	return QUIRE_OK;
}

/* ------------------------------------------------------------------ */
/* Slugs */


/*
 * Splits a Jekyll name "YYYY-MM-DD-rest": returns rest (inside name) and
 * sets *date, or returns NULL when name is not one (or the date is not a
 * real day).
 */
static const char *jekyll_split(const char *name, time_t *date)
{
	char day[11];

	if (strlen(name) < 12 || name[10] != '-')
		return NULL;
	memcpy(day, name, 10);
	day[10] = '\0';
	if (frontmatter_date_parse(day, date) != QUIRE_OK)
		return NULL;
	return name + 11;
}

/*
 * The name a file gives its post: the file name without .md/.markdown,
 * or for posts/x/index.md the folder name x (Hugo's page bundles). A
 * Jekyll name gives the date when the frontmatter has none. Unless the
 * frontmatter set one, the slug is that name with spaces made '-', its
 * case kept (the URL the old site had: DESIGN §3); anything still
 * invalid is an error (the author sets slug: then).
 */
static enum quire_err derive_slug(struct post *p, struct parse_error *err)
{
	const char *name, *slash, *rest;
	char stem[FILE_NAME_MAX + 1], msg[128];
	size_t n, i;
	time_t date;

	slash = strrchr(p->path, '/');
	name = slash ? slash + 1 : p->path;
	n = strlen(name);
	if (has_suffix(name, ".markdown"))
		n -= strlen(".markdown");
	else if (has_suffix(name, ".md"))
		n -= strlen(".md");
	else if (has_suffix(name, ".html"))
		n -= strlen(".html");
	if (p->kind == POST_KIND_POST && n == 5 &&
	    strncmp(name, "index", 5) == 0 && slash && slash > p->path) {
		/* the folder: from the previous '/' (or the start) to slash */
		for (name = slash; name > p->path && name[-1] != '/'; name--)
			;
		n = (size_t)(slash - name);
	}
	if (n == 0 || n > FILE_NAME_MAX) {
		set_err(err, 1, 1, "cannot make a slug from the file name; "
			"set slug: in the frontmatter");
		return QUIRE_EPARSE;
	}
	memcpy(stem, name, n);
	stem[n] = '\0';
	rest = jekyll_split(stem, &date);
	if (rest) {
		if (!p->has_date) {
			p->date = date;
			p->has_date = 1;
		}
		memmove(stem, rest, strlen(rest) + 1);
	}
	if (p->slug)
		return QUIRE_OK;
	for (i = 0; stem[i]; i++)
		if (stem[i] == ' ')
			stem[i] = '-';
	if (!post_slug_valid(stem)) {
		snprintf(msg, sizeof(msg), "cannot make a slug from the file "
			 "name \"%.40s\"; set slug: in the frontmatter", stem);
		set_err(err, 1, 1, msg);
		return QUIRE_EPARSE;
	}
	p->slug = strdup(stem);
	return p->slug ? QUIRE_OK : QUIRE_ENOMEM;
}

/* ------------------------------------------------------------------ */
/* HTML posts */

/*
 * Whether the body is HTML: frontmatter "format: html" (or "markdown"),
 * else the file's name: NAME.html is HTML. The frontmatter serves the
 * write API too, whose posts have no file name. 1 for HTML, 0 for
 * Markdown, -1 (err set) for a format quire does not know.
 */
static int body_is_html(const struct post *p, struct parse_error *err)
{
	const char *f = NULL;
	size_t i;

	for (i = 0; i < p->n_extra; i++)
		if (strcasecmp(p->extra[i].key, "format") == 0)
			f = p->extra[i].value;
	if (!f)
		return p->path && has_suffix(p->path, ".html");
	if (strcasecmp(f, "html") == 0)
		return 1;
	if (strcasecmp(f, "markdown") == 0 || strcasecmp(f, "md") == 0)
		return 0;
	set_err(err, 1, 1, "format: must be html or markdown");
	return -1;
}

/* An HTML body, through the sanitizer (DESIGN §3): at load, never per
 * request, whatever wrote it. */
static enum quire_err render_html(struct post *p, struct parse_error *err)
{
	struct html_sanitized h;
	enum quire_err rc;

	rc = html_sanitize(p->source + p->body_offset,
			   p->source_len - p->body_offset, &h);
	if (rc != QUIRE_OK) {
		set_err(err, 1, 1, rc == QUIRE_ENOMEM ? "out of memory" :
			"the HTML body is too large");
		return rc;
	}
	p->html = h.html;
	p->words = h.words;
	return QUIRE_OK;
}

/* ------------------------------------------------------------------ */
/* One file */

/* The 1-based line on which byte off of s starts. */
static unsigned line_of(const char *s, size_t off)
{
	unsigned line = 1;
	size_t i;

	for (i = 0; i < off; i++)
		if (s[i] == '\n')
			line++;
	return line;
}

/* The 1-based column (in bytes) of offset off in its line. */
static unsigned column_of(const char *s, size_t off)
{
	size_t start = off;

	while (start > 0 && s[start - 1] != '\n')
		start--;
	return (unsigned)(off - start + 1);
}

enum quire_err content_summary(struct post *p,
				const struct content_options *opt)
{
	char base[PERMALINK_MAX_URL + 1];
	char prefix[sizeof(MARKDOWN_SUMMARY_PREFIX) + QUIRE_MAX_SLUG];
	const char *slug;
	struct parse_error e;
	enum quire_err rc;

	free(p->summary_html);
	p->summary_html = NULL;
	p->summary_whole = 0;
	if (!p->source || p->body_offset > p->source_len ||
	    body_is_html(p, &e) != 0)
		return QUIRE_OK;
	if (content_is_bundle(p) &&
	    content_bundle_url(p, opt ? opt->files_slug : NULL,
			       opt ? opt->posts_pattern : NULL, base,
			       sizeof(base)) != QUIRE_OK)
		return QUIRE_OK; /* content_parse_file refused it already */
	/* the slug served in the footnote ids: many summaries share a
	 * list page, a renamed post's beside the one that kept its slug */
	slug = opt && opt->files_slug ? opt->files_slug : p->slug;
	if (!slug || snprintf(prefix, sizeof(prefix), "%s%s",
			      MARKDOWN_SUMMARY_PREFIX,
			      slug) >= (int)sizeof(prefix))
		return QUIRE_OK; /* no summary: the list shows the description */
	rc = markdown_summary(p->source + p->body_offset,
			      p->source_len - p->body_offset, prefix,
			      content_is_bundle(p) ? base : NULL,
			      &p->summary_html, &p->summary_whole);
	/* a summary is a nicety: a render error leaves the description */
	return rc == QUIRE_ENOMEM ? rc : QUIRE_OK;
}

enum quire_err content_parse_file(const char *path, enum post_kind kind,
				  char *text, size_t len,
				  const struct content_options *opt,
				  struct post **out, struct parse_error *err)
{
	struct markdown_out md;
	struct post *p;
	unsigned flags = 0, body_line;
	char msg[64], base[PERMALINK_MAX_URL + 1];
	size_t bad;
	enum quire_err rc;
	int is_html;

	*out = NULL;
	memset(err, 0, sizeof(*err));
	p = post_new();
	if (!p) {
		free(text);
		set_err(err, 0, 0, "out of memory");
		return QUIRE_ENOMEM;
	}
	p->kind = kind;
	p->source = text;
	p->source_len = len;
	p->path = strdup(path);
	if (!p->path) {
		set_err(err, 0, 0, "out of memory");
		rc = QUIRE_ENOMEM;
		goto out;
	}
	if (len > QUIRE_MAX_FILE) {
		snprintf(msg, sizeof(msg), "file is larger than %d bytes",
			 QUIRE_MAX_FILE);
		set_err(err, 1, 1, msg);
		rc = QUIRE_ETOOBIG;
		goto out;
	}
	p->hash = (unsigned long long)XXH3_64bits(text, len);
	/* What PostgreSQL's text cannot hold is refused here, where the
	 * error can name the place, not by the database at commit. */
	bad = quire_text_invalid(text, len);
	if (bad < len) {
		set_err(err, line_of(text, bad), column_of(text, bad),
			text[bad] ? "invalid UTF-8" : "a NUL byte");
		rc = QUIRE_EPARSE;
		goto out;
	}

	rc = frontmatter_parse(p, err);
	if (rc != QUIRE_OK)
		goto out;
	if (!p->title || !*p->title) {
		set_err(err, 1, 1, "missing title");
		rc = QUIRE_EPARSE;
		goto out;
	}
	rc = derive_slug(p, err);
	if (rc != QUIRE_OK)
		goto out;
	rc = content_resolve_image(p);
	if (rc != QUIRE_OK) {
		set_err(err, 0, 0, "out of memory");
		goto out;
	}
	/* the title's Markdown, once here, never per request */
	if (markdown_title(p->title, &p->title_html, &p->title_text) !=
	    QUIRE_OK) {
		set_err(err, 0, 0, "out of memory");
		rc = QUIRE_ENOMEM;
		goto out;
	}
	is_html = body_is_html(p, err);
	if (is_html < 0) {
		rc = QUIRE_EPARSE;
		goto out;
	}
	if (is_html) {
		rc = render_html(p, err);
		if (rc == QUIRE_OK) {
			*out = p;
			p = NULL;
		}
		goto out;
	}

	if (opt && opt->unsafe_html)
		flags |= MARKDOWN_UNSAFE;
	if (p->toc)
		flags |= MARKDOWN_TOC;
	/* a bundle's relative links and images, made absolute once here */
	if (content_is_bundle(p) &&
	    content_bundle_url(p, opt ? opt->files_slug : NULL,
			       opt ? opt->posts_pattern : NULL, base,
			       sizeof(base)) != QUIRE_OK) {
		set_err(err, 1, 1, "the bundle's URL is too long");
		rc = QUIRE_ETOOBIG;
		goto out;
	}
	rc = markdown_render_at(p->source + p->body_offset,
				p->source_len - p->body_offset, flags, p->slug,
				content_is_bundle(p) ? base : NULL, &md, err);
	if (rc != QUIRE_OK) {
		/* markdown counts lines from the start of the body */
		body_line = line_of(p->source, p->body_offset);
		if (err->line) {
			err->line += body_line - 1;
		} else {
			err->line = body_line;
			err->column = 1;
		}
		goto out;
	}
	p->html = md.html;
	p->toc_html = md.toc_html;
	p->words = md.words;
	rc = content_summary(p, opt);
	if (rc != QUIRE_OK) {
		set_err(err, 0, 0, "out of memory");
		goto out;
	}
	*out = p;
	p = NULL;
out:
	post_free(p);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Reading files */

enum quire_err content_read_file(const char *path, char **text, size_t *len,
				 struct stat *st_out, struct parse_error *err)
{
	struct buf b = BUF_INIT;
	struct stat st;
	char msg[128];
	size_t room;
	ssize_t n;
	int fd;
	enum quire_err rc = QUIRE_EIO;

	memset(err, 0, sizeof(*err));
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd == -1) {
		snprintf(msg, sizeof(msg), "cannot open: %s", strerror(errno));
		set_err(err, 0, 0, msg);
		return QUIRE_EIO;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		set_err(err, 0, 0, "not a regular file");
		goto out;
	}
	if (st.st_size > QUIRE_MAX_FILE)
		goto too_big;
	if (buf_grow(&b, (size_t)st.st_size + 1) != QUIRE_OK) {
		rc = QUIRE_ENOMEM;
		set_err(err, 0, 0, "out of memory");
		goto out;
	}
	for (;;) {
		if (b.len > QUIRE_MAX_FILE)
			goto too_big;
		if (b.cap - b.len <= 1 && buf_grow(&b, 4096) != QUIRE_OK) {
			rc = QUIRE_ENOMEM;
			set_err(err, 0, 0, "out of memory");
			goto out;
		}
		room = b.cap - b.len - 1;
		if (room > (size_t)QUIRE_MAX_FILE + 1 - b.len)
			room = (size_t)QUIRE_MAX_FILE + 1 - b.len;
		n = read(fd, b.data + b.len, room);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(msg, sizeof(msg), "cannot read: %s",
				 strerror(errno));
			set_err(err, 0, 0, msg);
			goto out;
		}
		if (n == 0)
			break;
		b.len += (size_t)n;
		b.data[b.len] = '\0';
		/* Short of what was asked: the end of a regular file (one
		 * syscall less a file, and a deploy scans thousands). */
		if ((size_t)n < room)
			break;
	}
	*text = buf_detach(&b, len);
	if (st_out)
		*st_out = st;
	rc = QUIRE_OK;
	goto out;
too_big:
	snprintf(msg, sizeof(msg), "file is larger than %d bytes",
		 QUIRE_MAX_FILE);
	set_err(err, 1, 1, msg);
	rc = QUIRE_ETOOBIG;
out:
	buf_release(&b);
	close(fd);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Walking the folders */

static enum quire_err found_add(struct found_list *l, const char *path,
				enum post_kind kind, size_t *n_errors)
{
	char *copy;

	if (l->n >= QUIRE_MAX_POSTS) {
		if (!l->full) {
			content_report(path, 0, 0, "too many content files; the rest "
			       "are skipped");
			(*n_errors)++;
			l->full = 1;
		}
		return QUIRE_OK;
	}
	if (quire_grow(&l->v, &l->cap, l->n, sizeof(*l->v), 64) != QUIRE_OK)
		return QUIRE_ENOMEM;
	copy = strdup(path);
	if (!copy)
		return QUIRE_ENOMEM;
	l->v[l->n].path = copy;
	l->v[l->n].kind = kind;
	l->n++;
	return QUIRE_OK;
}

static void found_release(struct found_list *l)
{
	content_paths_free(l->v, l->n);
}

void content_paths_free(struct content_path *v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++)
		free(v[i].path);
	free(v);
}

/* Whether path resolves to root or below it (root already resolved). */
static int inside(const char *path, const char *root)
{
	char *real = realpath(path, NULL);
	size_t n = strlen(root);
	int ok;

	if (!real)
		return 0;
	ok = strncmp(real, root, n) == 0 &&
	     (real[n] == '\0' || real[n] == '/' || strcmp(root, "/") == 0);
	free(real);
	return ok;
}

static int on_stack(const struct dir_stack *s, const struct stat *st)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->dev[i] == st->st_dev && s->ino[i] == st->st_ino)
			return 1;
	return 0;
}

struct walk {
	const char *root_real;   /* the top folder, resolved */
	enum post_kind kind;
	int recurse;
	struct found_list *files;
	size_t *n_errors;
	struct dir_stack stack;
};

/* Lists dir (depth folders below the top) into w->files. */
static enum quire_err walk_dir(struct walk *w, const char *dir, size_t depth)
{
	struct buf path = BUF_INIT;
	struct dirent *de;
	struct stat st, lst;
	DIR *d;
	size_t base;
	enum quire_err rc = QUIRE_OK;

	d = opendir(dir);
	if (!d) {
		if (errno == ENOENT && depth == 0)
			return QUIRE_OK; /* no such folder: nothing in it */
		content_report(dir, 0, 0, strerror(errno));
		(*w->n_errors)++;
		return QUIRE_OK;
	}
	if (fstat(dirfd(d), &st) == -1 || w->stack.n > QUIRE_MAX_DIR_DEPTH) {
		content_report(dir, 0, 0, "cannot walk this folder");
		(*w->n_errors)++;
		goto out;
	}
	w->stack.dev[w->stack.n] = st.st_dev;
	w->stack.ino[w->stack.n] = st.st_ino;
	w->stack.n++;

	buf_puts(&path, dir);
	buf_putc(&path, '/');
	base = path.len;
	while ((errno = 0, de = readdir(d)) != NULL) {
		/* dotfiles: editors' swap files, .git, and "." and ".." */
		if (de->d_name[0] == '.')
			continue;
		buf_truncate(&path, base);
		buf_puts(&path, de->d_name);
		if (buf_failed(&path)) {
			rc = QUIRE_ENOMEM;
			break;
		}
		/* A regular file needs no lstat: the directory says so (a
		 * deploy lists thousands, at a system call each). */
		if (de->d_type == DT_REG) {
			memset(&st, 0, sizeof(st));
			st.st_mode = S_IFREG;
		} else if (lstat(path.data, &lst) == -1) {
			continue; /* removed while we looked */
		} else if (S_ISLNK(lst.st_mode)) {
			if (stat(path.data, &st) == -1 ||
			    !inside(path.data, w->root_real)) {
				content_report(path.data, 0, 0, "symbolic link leads "
				       "out of the content folder; skipped");
				(*w->n_errors)++;
				continue;
			}
		} else {
			st = lst;
		}
		if (S_ISDIR(st.st_mode)) {
			if (!w->recurse)
				continue;
			if (depth + 1 > QUIRE_MAX_DIR_DEPTH) {
				content_report(path.data, 0, 0, "folder nested too "
				       "deep; skipped");
				(*w->n_errors)++;
				continue;
			}
			if (on_stack(&w->stack, &st))
				continue; /* a link back up: a loop */
			rc = walk_dir(w, path.data, depth + 1);
			if (rc != QUIRE_OK)
				break;
		} else if (S_ISREG(st.st_mode) && content_is_name(de->d_name)) {
			rc = found_add(w->files, path.data, w->kind,
				       w->n_errors);
			if (rc != QUIRE_OK)
				break;
		}
	}
	w->stack.n--;
out:
	buf_release(&path);
	closedir(d);
	return rc;
}

/* Lists DIR/SUB into files; a missing folder lists nothing. */
static enum quire_err walk_top(const char *dir, const char *sub,
			       enum post_kind kind, int recurse,
			       struct found_list *files, size_t *n_errors)
{
	struct walk w;
	struct buf top = BUF_INIT;
	char *real;
	enum quire_err rc;

	buf_puts(&top, dir);
	while (top.len > 1 && top.data[top.len - 1] == '/')
		buf_truncate(&top, top.len - 1);
	buf_putc(&top, '/');
	buf_puts(&top, sub);
	if (buf_failed(&top))
		return QUIRE_ENOMEM;
	real = realpath(top.data, NULL);
	if (!real) {
		if (errno != ENOENT && errno != ENOTDIR) {
			content_report(top.data, 0, 0, strerror(errno));
			(*n_errors)++;
		}
		buf_release(&top);
		return QUIRE_OK;
	}
	memset(&w, 0, sizeof(w));
	w.root_real = real;
	w.kind = kind;
	w.recurse = recurse;
	w.files = files;
	w.n_errors = n_errors;
	rc = walk_dir(&w, top.data, 0);
	free(real);
	buf_release(&top);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Keeping old versions */

static const struct post *prev_find(const struct content *prev,
				    const char *path)
{
	size_t i;

	/* linear: only files that failed get here */
	for (i = 0; prev && i < prev->n; i++)
		if (strcmp(prev->posts[i]->path, path) == 0)
			return prev->posts[i];
	return NULL;
}

/* ------------------------------------------------------------------ */
/* The load */

static int cmp_found(const void *a, const void *b)
{
	return strcmp(((const struct content_path *)a)->path,
		      ((const struct content_path *)b)->path);
}

/*
 * A duplicate v[i] (no slug given) whose file had a good version in
 * prev keeps it, as a file that fails to parse does, while its slug went
 * to no other file: c->posts[i] replaced, v[i] given that slug. A deploy
 * does the same with the row PostgreSQL holds (deploy.c, keep_old).
 * QUIRE_OK or QUIRE_ENOMEM.
 */
static enum quire_err keep_old(struct content *c, struct slug_claim *v,
			       size_t i, const struct content *prev)
{
	const struct post *old = prev_find(prev, c->posts[i]->path);
	struct post *q;

	if (!old || slug_settle_taken(v, c->n, 1, old->kind, old->slug))
		return QUIRE_OK;
	q = post_dup(old);
	if (!q || !(v[i].slug = strdup(q->slug))) {
		post_free(q);
		return QUIRE_ENOMEM;
	}
	v[i].wanted = q->wanted_slug;
	v[i].renamed = q->wanted_slug != NULL;
	post_free(c->posts[i]);
	c->posts[i] = q;
	log_msg(LOG_LEVEL_WARN, "content", "keeping the last good version of "
		"\"%s\"", q->slug);
	return QUIRE_OK;
}

/*
 * Settles the slugs that collide (slug_settle.h): a post sharing its
 * slug with an earlier one on another day is served under a suffix of
 * its date, keeping the slug it asked for in wanted_slug; a duplicate
 * (same day, undated, a page) is dropped, or keeps its version of prev
 * (keep_old). A page and a post may share a slug: each has its own
 * URL. c stays sorted by path.
 */
static enum quire_err settle_slugs(struct content *c,
				   const struct content *prev)
{
	struct slug_claim *v;
	struct post *p;
	char **wanted;
	size_t i, j, n = c->n, n_renamed = 0;
	enum quire_err rc;

	v = calloc(n ? n : 1, sizeof(*v));
	wanted = calloc(c->n ? c->n : 1, sizeof(*wanted));
	if (!v || !wanted) {
		free(v);
		free(wanted);
		return QUIRE_ENOMEM;
	}
	for (i = 0; i < c->n; i++) {
		p = c->posts[i];
		v[i].path = p->path;
		v[i].kind = p->kind;
		/* a last good version kept asks for what it asked for */
		v[i].wanted = p->wanted_slug ? p->wanted_slug : p->slug;
		v[i].day = p->kind == POST_KIND_PAGE ? SLUG_DAY_NONE :
			   slug_settle_day(p->date, p->has_date);
	}
	rc = slug_settle(v, c->n, 1, &c->n_errors, &n_renamed);
	for (i = 0; rc == QUIRE_OK && i < c->n; i++)
		if (!v[i].slug)
			rc = keep_old(c, v, i, prev);
	/* copied before anything changes, so that no memory leaves c whole */
	for (i = 0; rc == QUIRE_OK && i < c->n; i++)
		if (v[i].slug && v[i].renamed &&
		    !(wanted[i] = strdup(v[i].wanted)))
			rc = QUIRE_ENOMEM;
	for (i = 0, j = 0; rc == QUIRE_OK && i < c->n; i++) {
		p = c->posts[i];
		if (!v[i].slug) {
			post_free(p);
			continue;
		}
		free(p->slug);
		free(p->wanted_slug);
		p->slug = v[i].slug;
		p->wanted_slug = wanted[i];
		v[i].slug = NULL;
		wanted[i] = NULL;
		c->posts[j++] = p;
	}
	if (rc == QUIRE_OK)
		c->n = j;
	for (i = 0; i < n; i++)
		free(wanted[i]);
	slug_settle_release(v, n);
	free(wanted);
	free(v);
	return rc;
}

/*
 * A bundle served under another slug than the one it asked for (a
 * suffix, settled above) renders again with its files', links' and
 * cover's URL folder under the slug it has (content_options.files_slug),
 * so it never shows the pictures of the post that kept the slug.
 * QUIRE_OK; a render that fails now (it passed once) keeps the first.
 */
enum quire_err content_reparse_as(const char *path, enum post_kind kind,
				  const char *source, size_t len,
				  const struct content_options *opt,
				  const char *slug, struct post **out)
{
	struct content_options o = { 0 };
	struct parse_error err;
	char *text;

	*out = NULL;
	if (opt)
		o = *opt;
	o.files_slug = slug;
	text = malloc(len + 1);
	if (!text)
		return QUIRE_ENOMEM;
	memcpy(text, source, len);
	text[len] = '\0';
	switch (content_parse_file(path, kind, text, len, &o, out, &err)) {
	case QUIRE_OK:
		return QUIRE_OK;
	case QUIRE_ENOMEM:
		return QUIRE_ENOMEM;
	default:
		*out = NULL;
		return QUIRE_OK;
	}
}

static enum quire_err rebase_renamed(struct post *p,
				     const struct content_options *opt)
{
	struct post *q;
	enum quire_err rc;

	if (!p->wanted_slug || !p->source)
		return QUIRE_OK;
	/* its summary's footnote ids under the slug it has now */
	if (!content_is_bundle(p))
		return content_summary(p, opt);
	rc = content_reparse_as(p->path, p->kind, p->source, p->source_len,
				opt, p->slug, &q);
	if (rc != QUIRE_OK || !q)
		return rc;
	SWAP_STR(p->html, q->html);
	SWAP_STR(p->toc_html, q->toc_html);
	SWAP_STR(p->summary_html, q->summary_html);
	p->summary_whole = q->summary_whole;
	p->words = q->words;
	post_free(q);
	return QUIRE_OK;
}

/* One file's read and parse, done on any thread (parallel.h). */
struct loaded {
	struct post *p;        /* NULL when rc says why */
	struct parse_error err;
	enum quire_err rc;
};

struct load_ctx {
	const struct found_list *files;
	const struct content_options *opt;
	struct loaded *res;
};

/* Files a load thread takes at least (parallel.h): the smallest site
 * worth a second thread renders a few hundred microseconds a file. */
#define LOAD_PER_THREAD 8

static void load_file(void *arg, size_t i)
{
	struct load_ctx *lc = arg;
	const struct content_path *f = &lc->files->v[i];
	struct loaded *r = &lc->res[i];
	char *text = NULL;
	size_t len = 0;

	r->rc = content_read_file(f->path, &text, &len, NULL, &r->err);
	if (r->rc == QUIRE_OK)
		r->rc = content_parse_file(f->path, f->kind, text, len,
					   lc->opt, &r->p, &r->err);
}

/* Adds what load_file made of one file, in file order; a failure is
 * reported, counted and replaced by the previous good version when
 * there is one. */
static enum quire_err load_one(struct content *c, const struct content_path *f,
			       struct loaded *r, const struct content *prev)
{
	const struct post *old;
	struct post *p = r->p;

	r->p = NULL;
	if (r->rc == QUIRE_ENOMEM)
		return r->rc;
	if (r->rc != QUIRE_OK) {
		content_report(f->path, r->err.line, r->err.column,
			       r->err.message);
		c->n_errors++;
		old = prev_find(prev, f->path);
		if (!old)
			return QUIRE_OK;
		p = post_dup(old);
		if (!p)
			return QUIRE_ENOMEM;
		log_msg(LOG_LEVEL_WARN, "content", "keeping the last good "
			"version of \"%s\"", old->slug);
	}
	c->posts[c->n++] = p;
	return QUIRE_OK;
}

/* Where posts and pages are looked for under the content folder: quire's
 * own layout, then Jekyll's and Hugo's, so that an existing site's folder
 * can be served as it is. Posts are walked recursively, pages are not. */
static const struct content_folder folders[] = {
	{ "posts", POST_KIND_POST },
	{ "_posts", POST_KIND_POST },          /* Jekyll */
	{ "post", POST_KIND_POST },            /* Hugo's usual section */
	{ "content/posts", POST_KIND_POST },   /* a Hugo site's root */
	{ "content/post", POST_KIND_POST },
	{ "pages", POST_KIND_PAGE },
};

const struct content_folder *content_folders(size_t *n)
{
	*n = sizeof(folders) / sizeof(folders[0]);
	return folders;
}

/* Lists every content file under dir, sorted by path. */
static enum quire_err list_files(const char *dir, struct found_list *files,
				 size_t *n_errors)
{
	size_t i;
	enum quire_err rc = QUIRE_OK;

	for (i = 0; rc == QUIRE_OK && i < sizeof(folders) / sizeof(folders[0]); i++)
		rc = walk_top(dir, folders[i].sub, folders[i].kind,
			      folders[i].kind == POST_KIND_POST, files, n_errors);
	if (rc == QUIRE_OK && files->n)
		qsort(files->v, files->n, sizeof(*files->v), cmp_found);
	return rc;
}

enum quire_err content_list_paths(const char *dir, struct content_path **out,
				  size_t *n, size_t *n_errors)
{
	struct found_list files;
	enum quire_err rc;

	memset(&files, 0, sizeof(files));
	*out = NULL;
	*n = 0;
	rc = list_files(dir, &files, n_errors);
	if (rc != QUIRE_OK) {
		found_release(&files);
		return rc;
	}
	*out = files.v;
	*n = files.n;
	return QUIRE_OK;
}

/* DIR/site.yaml into c; one that fails is reported, and the last good
 * one (prev's) kept: a typo must not turn every URL back to the
 * defaults. */
static enum quire_err load_siteconf(struct content *c, const char *dir,
				    const struct content *prev)
{
	char path[4096];
	struct parse_error err;
	const struct siteconf *old = prev ? prev->conf : NULL;
	enum quire_err rc;

	rc = siteconf_load(dir, &c->conf, path, sizeof(path), &err);
	if (rc == QUIRE_OK || rc == QUIRE_ENOMEM)
		return rc;
	content_report(path, err.line, err.column, err.message);
	c->n_errors++;
	if (!old)
		return QUIRE_OK;
	log_msg(LOG_LEVEL_WARN, "content", "keeping the last good %s",
		SITECONF_FILE);
	return siteconf_parse(old->text, old->len, &c->conf, &err);
}

enum quire_err content_load(const char *dir, const struct content *prev,
			    const struct content_options *opt,
			    struct content **out)
{
	struct content_options o = { 0 };
	struct found_list files;
	struct load_ctx lc = { NULL, NULL, NULL };
	struct content *c;
	size_t i;
	enum quire_err rc;

	*out = NULL;
	memset(&files, 0, sizeof(files));
	c = calloc(1, sizeof(*c));
	if (!c)
		return QUIRE_ENOMEM;
	rc = list_files(dir, &files, &c->n_errors);
	if (rc != QUIRE_OK)
		goto out;
	if (files.n) {
		c->posts = calloc(files.n, sizeof(*c->posts));
		if (!c->posts) {
			rc = QUIRE_ENOMEM;
			goto out;
		}
	}
	/* site.yaml first: a bundle's links are rendered under the post's
	 * URL, which its permalink pattern makes */
	rc = load_siteconf(c, dir, prev);
	if (rc != QUIRE_OK)
		goto out;
	if (opt)
		o = *opt;
	if (c->conf)
		o.posts_pattern = c->conf->posts;
	/* Read, parse and render on a thread per core (a big site's load is
	 * its renders), then take the results in file order, so errors are
	 * reported as one thread would. */
	lc.files = &files;
	lc.opt = &o;
	lc.res = calloc(files.n ? files.n : 1, sizeof(*lc.res));
	if (!lc.res) {
		rc = QUIRE_ENOMEM;
		goto out;
	}
	markdown_prestart(parallel_threads(files.n, LOAD_PER_THREAD));
	parallel_for(files.n, LOAD_PER_THREAD, load_file, &lc);
	for (i = 0; i < files.n; i++) {
		rc = load_one(c, &files.v[i], &lc.res[i], prev);
		if (rc != QUIRE_OK)
			goto out;
	}
	rc = settle_slugs(c, prev);
	for (i = 0; rc == QUIRE_OK && i < c->n; i++)
		rc = rebase_renamed(c->posts[i], &o);
	if (rc != QUIRE_OK)
		goto out;
	*out = c;
	c = NULL;
out:
	for (i = 0; lc.res && i < files.n; i++)
		post_free(lc.res[i].p);
	free(lc.res);
	content_free(c);
	found_release(&files);
	return rc;
}

enum quire_err content_slug_of(struct post *p)
{
	struct parse_error err;

	return derive_slug(p, &err);
}

void content_free(struct content *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->n; i++)
		post_free(c->posts[i]);
	free(c->posts);
	siteconf_free(c->conf);
	free(c);
}
