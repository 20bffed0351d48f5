/*
 * import_wxr_write.c - the content folder an imported WordPress export becomes
 *
 * Everything is written into a temporary folder beside the output
 * (".NAME.XXXXXX", same file system) and renamed to it at the end, so an
 * import that fails half-way leaves nothing a deploy could pick up.
 * Each post is posts/SLUG.html (a page pages/SLUG.html): YAML
 * frontmatter, then the body as WordPress holds it, which quire
 * sanitizes when it loads the file (html_sanitize.c), whatever wrote it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "content/import_wxr.h"
#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/log.h"

#define UPLOADS_PATH "/wp-content/uploads/"

struct writer {
	const struct wxr_site *site;
	const struct import_wxr_options *opt;
	char *tmp;               /* the temporary folder */
	char **reported;         /* uploads already listed */
	size_t n_reported;
	size_t copied;
};

/* ------------------------------------------------------------------ */
/* YAML */

/* Appends s as a YAML double-quoted scalar: '"' and '\' escaped, and
 * every character YAML would not take raw (controls, NEL, the C1
 * controls, U+2028 and U+2029, which it reads as line breaks). */
static void yaml_str(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	buf_putc(b, '"');
	for (; *p; p++) {
		if (*p == '"' || *p == '\\') {
			buf_putc(b, '\\');
			buf_putc(b, (char)*p);
		} else if (*p == '\n') {
			buf_puts(b, "\\n");
		} else if (*p == '\t') {
			buf_puts(b, "\\t");
		} else if (*p < 0x20 || *p == 0x7f) {
			buf_printf(b, "\\x%02x", *p);
		} else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			buf_printf(b, "\\u00%02x", p[1]);
			p++;
		} else if (*p == 0xe2 && p[1] == 0x80 &&
			   (p[2] == 0xa8 || p[2] == 0xa9)) {
			buf_puts(b, p[2] == 0xa8 ? "\\L" : "\\P");
			p += 2;
		} else {
			buf_putc(b, (char)*p);
		}
	}
	buf_putc(b, '"');
}

static void yaml_field(struct buf *b, const char *key, const char *value)
{
	if (!value || !*value)
		return;
	buf_printf(b, "%s: ", key);
	yaml_str(b, value);
	buf_putc(b, '\n');
}

static void yaml_list(struct buf *b, const char *key, const struct strlist *l)
{
	size_t i;

	if (l->n == 0)
		return;
	buf_printf(b, "%s:\n", key);
	for (i = 0; i < l->n; i++) {
		buf_puts(b, "  - ");
		yaml_str(b, l->v[i]);
		buf_putc(b, '\n');
	}
}

/* ------------------------------------------------------------------ */
/* Bodies */

/* Block-level elements: a body with one is laid out already, and
 * WordPress's autop would leave it as it is. */
static const char *const block_tags[] = {
	"address", "article", "aside", "blockquote", "details", "div", "dl",
	"fieldset", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5",
	"h6", "header", "hr", "li", "nav", "ol", "p", "pre", "section",
	"table", "ul", NULL,
};

static int is_block(const xmlNode *n)
{
	const char *const *t;

	if (n->type != XML_ELEMENT_NODE || !n->name)
		return 0;
	for (t = block_tags; *t; t++)
		if (strcmp(*t, (const char *)n->name) == 0)
			return 1;
	return 0;
}

/* The body parsed as HTML (a tree, never a pattern), or NULL. Inside
 * an explicit <body>: text that came first would otherwise get a <p>
 * of the parser's making, and look laid out already. */
static xmlDoc *parse_body(const char *body)
{
	size_t len = strlen(body);
	xmlDoc *doc;
	char *in;

	if (len == 0 || len > QUIRE_MAX_FILE)
		return NULL;
	in = malloc(len + sizeof("<body>"));
	if (!in)
		return NULL;
	memcpy(in, "<body>", 6);
	memcpy(in + 6, body, len + 1);
	doc = htmlReadMemory(in, (int)(len + 6), NULL, "UTF-8",
			     HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
			     HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
	free(in);
	return doc;
}

/* The next node of a walk in document order, without recursion. */
static const xmlNode *next_node(const xmlNode *n)
{
	if (n->children)
		return n->children;
	while (n && !n->next)
		n = n->parent;
	return n ? n->next : NULL;
}

static int has_block_tags(const xmlDoc *doc)
{
	const xmlNode *n;

	for (n = doc ? xmlDocGetRootElement(doc) : NULL; n; n = next_node(n))
		if (is_block(n))
			return 1;
	return 0;
}

char *import_wxr_autop(const char *body)
{
	struct buf b = BUF_INIT;
	const char *p = body, *end;
	int open = 0;

	buf_puts(&b, "");
	while (*p) {
		end = p + strcspn(p, "\n");
		/* a line of spaces only ends a paragraph */
		if (p + strspn(p, " \t\r") == end) {
			if (open)
				buf_puts(&b, "</p>\n");
			open = 0;
		} else {
			if (open) {
				buf_puts(&b, "<br>\n");
			} else {
				buf_puts(&b, "<p>");
				open = 1;
			}
			while (end > p && end[-1] == '\r')
				end--;
			buf_append(&b, p, (size_t)(end - p));
			end = p + strcspn(p, "\n");
		}
		p = *end ? end + 1 : end;
	}
	if (open)
		buf_puts(&b, "</p>\n");
	return buf_failed(&b) ? NULL : buf_detach(&b, NULL);
}

/* Replaces every occurrence of from in *s by to. */
static enum quire_err replace_all(char **s, const char *from, const char *to)
{
	struct buf b = BUF_INIT;
	const char *p = *s, *hit;
	size_t n = strlen(from);

	if (n == 0 || !strstr(*s, from))
		return QUIRE_OK;
	buf_puts(&b, "");
	while ((hit = strstr(p, from)) != NULL) {
		buf_append(&b, p, (size_t)(hit - p));
		buf_puts(&b, to);
		p = hit + n;
	}
	buf_puts(&b, p);
	if (buf_failed(&b))
		return QUIRE_ENOMEM;
	free(*s);
	*s = buf_detach(&b, NULL);
	return QUIRE_OK;
}

/* ------------------------------------------------------------------ */
/* Media */

/* The path of url under the uploads folder ("2016/10/a.png", decoded),
 * or NULL when url is not an upload of this blog, or the path could
 * leave the folder. */
static char *upload_path(const struct writer *w, const char *url)
{
	const char *u = url, *pre = w->site->uploads_url;
	char *rel, *seg;
	size_t i;

	if (!pre)
		return NULL;
	if (strncasecmp(u, "https:", 6) == 0)
		u += 6;
	else if (strncasecmp(u, "http:", 5) == 0)
		u += 5;
	if (strncasecmp(u, pre, strlen(pre)) != 0)
		return NULL;
	u += strlen(pre);
	rel = strndup(u, strcspn(u, "?#"));
	if (!rel)
		return NULL;
	for (i = 0; rel[i]; i++) { /* decode %XX; no NUL, '\', control */
		int hi, lo;

		if (rel[i] == '%' && (hi = quire_hex_digit(rel[i + 1])) >= 0 &&
		    (lo = quire_hex_digit(rel[i + 2])) >= 0) {
			rel[i] = (char)(hi * 16 + lo);
			memmove(rel + i + 1, rel + i + 3, strlen(rel + i + 3) + 1);
		}
		if ((unsigned char)rel[i] < 0x20 || rel[i] == '\\' || rel[i] == 0x7f)
			goto bad;
	}
	if (!*rel || rel[0] == '/')
		goto bad;
	for (seg = rel; seg; seg = strchr(seg, '/') ? strchr(seg, '/') + 1 : NULL)
		if (seg[0] == '/' || seg[0] == '\0' ||
		    (seg[0] == '.' && (seg[1] == '/' || seg[1] == '\0' ||
				       (seg[1] == '.' && (seg[2] == '/' || seg[2] == '\0')))))
			goto bad;
	return rel;
bad:
	free(rel);
	return NULL;
}

/* mkdir -p of the folders of path (not path itself), under w->tmp. */
static enum quire_err make_parents(const char *path)
{
	char *p = strdup(path), *s;

	if (!p)
		return QUIRE_ENOMEM;
	for (s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(p, 0755) == -1 && errno != EEXIST) {
			log_report("%s: %s", p, strerror(errno));
			free(p);
			return QUIRE_EIO;
		}
		*s = '/';
	}
	free(p);
	return QUIRE_OK;
}

static enum quire_err copy_file(const char *from, const char *to)
{
	char buf[65536];
	ssize_t n;
	int in, out;
	enum quire_err rc = QUIRE_OK;

	in = open(from, O_RDONLY | O_CLOEXEC);
	if (in == -1)
		return QUIRE_ENOTFOUND;
	if ((rc = make_parents(to)) != QUIRE_OK) {
		close(in);
		return rc;
	}
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out == -1) {
		log_report("%s: %s", to, strerror(errno));
		close(in);
		return QUIRE_EIO;
	}
	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || write(out, buf, (size_t)n) != n) {
			log_report("%s: %s", n < 0 ? from : to, strerror(errno));
			rc = QUIRE_EIO;
			break;
		}
	}
	close(in);
	if (close(out) != 0 && rc == QUIRE_OK) {
		log_report("%s: %s", to, strerror(errno));
		rc = QUIRE_EIO;
	}
	return rc;
}

/* Says once per import that url was not imported, and why. */
static void report_upload(struct writer *w, const char *url, const char *why)
{
	char **v;
	size_t i;

	for (i = 0; i < w->n_reported; i++)
		if (strcmp(w->reported[i], url) == 0)
			return;
	log_report("upload not imported (%s): %s", why, url);
	v = realloc(w->reported, (w->n_reported + 1) * sizeof(*v));
	if (!v)
		return;
	w->reported = v;
	if ((v[w->n_reported] = strdup(url)) != NULL)
		w->n_reported++;
}

/* One upload URL of a body: copied from --media and the URL made the
 * site's own path, or left and listed. */
static enum quire_err one_upload(struct writer *w, const char *url,
				 char **body)
{
	char *rel, *from = NULL, *to = NULL, *local = NULL;
	enum quire_err rc = QUIRE_OK;
	struct stat st;

	rel = upload_path(w, url);
	if (!rel)
		return QUIRE_OK;
	if (!w->opt->media_dir) {
		report_upload(w, url, "no --media");
		goto out;
	}
	if (asprintf(&from, "%s/%s", w->opt->media_dir, rel) < 0 ||
	    asprintf(&to, "%s/static%s%s", w->tmp, UPLOADS_PATH, rel) < 0 ||
	    /* the site's own path: what follows the host */
	    !(local = strdup(strstr(url, UPLOADS_PATH)))) {
		rc = QUIRE_ENOMEM;
		goto out;
	}
	if (stat(from, &st) == -1 || !S_ISREG(st.st_mode)) {
		report_upload(w, url, "not in --media");
		goto out;
	}
	if (access(to, F_OK) != 0) {
		rc = copy_file(from, to);
		if (rc == QUIRE_ENOTFOUND) {
			report_upload(w, url, "unreadable in --media");
			rc = QUIRE_OK;
			goto out;
		}
		if (rc != QUIRE_OK)
			goto out;
		w->copied++;
	}
	rc = replace_all(body, url, local);
out:
	free(rel);
	free(from);
	free(to);
	free(local);
	return rc;
}

static int is_url_attr(const xmlAttr *a)
{
	return a->name && (strcmp((const char *)a->name, "src") == 0 ||
			   strcmp((const char *)a->name, "href") == 0);
}

/* Every src and href of the body that is an upload of the blog. */
static enum quire_err body_uploads(struct writer *w, const xmlDoc *doc,
				   char **body)
{
	const xmlNode *n;
	const xmlAttr *a;
	xmlChar *v;
	enum quire_err rc = QUIRE_OK;

	for (n = doc ? xmlDocGetRootElement(doc) : NULL; n && rc == QUIRE_OK;
	     n = next_node(n)) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		for (a = n->properties; a && rc == QUIRE_OK; a = a->next) {
			if (!is_url_attr(a))
				continue;
			v = xmlNodeGetContent((const xmlNode *)a);
			if (v && strstr((const char *)v, UPLOADS_PATH))
				rc = one_upload(w, (const char *)v, body);
			xmlFree(v);
		}
	}
	return rc;
}

/* ------------------------------------------------------------------ */
/* Files */

static enum quire_err write_file(const char *path, const struct buf *b)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	enum quire_err rc;

	if (fd == -1) {
		log_report("%s: %s", path, strerror(errno));
		return QUIRE_EIO;
	}
	rc = buf_write_all(b, fd);
	if (close(fd) != 0 || rc != QUIRE_OK) {
		log_report("%s: %s", path, strerror(errno));
		return QUIRE_EIO;
	}
	return QUIRE_OK;
}

/* The frontmatter and body of one item. */
static void item_text(struct buf *b, const struct wxr_item *it,
		      const char *body)
{
	buf_puts(b, "---\n");
	yaml_field(b, "title", it->title);
	yaml_field(b, "slug", it->slug);
	yaml_field(b, "date", it->date);
	yaml_field(b, "author", it->author);
	yaml_field(b, "description", it->excerpt);
	yaml_list(b, "tags", &it->tags);
	yaml_list(b, "categories", &it->categories);
	if (it->draft)
		buf_puts(b, "draft: true\n");
	yaml_list(b, "aliases", &it->aliases);
	buf_printf(b, "wordpress_id: %lld\n", it->id);
	buf_puts(b, "---\n");
	buf_puts(b, body);
	if (*body && body[strlen(body) - 1] != '\n')
		buf_putc(b, '\n');
}

static enum quire_err write_item(struct writer *w, const struct wxr_item *it)
{
	struct buf b = BUF_INIT;
	char *body = NULL, *path = NULL;
	xmlDoc *doc;
	enum quire_err rc = QUIRE_ENOMEM;

	doc = parse_body(it->body);
	body = has_block_tags(doc) || !*it->body ? strdup(it->body) :
	       import_wxr_autop(it->body);
	if (body)
		rc = body_uploads(w, doc, &body);
	xmlFreeDoc(doc);
	if (rc != QUIRE_OK)
		goto out;
	item_text(&b, it, body);
	rc = QUIRE_ENOMEM;
	if (buf_failed(&b) ||
	    asprintf(&path, "%s/%s/%s.html", w->tmp,
		     it->kind == WXR_PAGE ? "pages" : "posts", it->slug) < 0)
		goto out;
	if (b.len > QUIRE_MAX_FILE) {
		log_report("%s:%u: item %lld is %zu bytes, more than quire "
			   "takes in one file (%d)", w->opt->export_path,
			   it->line, it->id, b.len, QUIRE_MAX_FILE);
		rc = QUIRE_ETOOBIG;
		goto out;
	}
	rc = write_file(path, &b);
out:
	buf_release(&b);
	free(body);
	free(path);
	return rc;
}

/* site.yaml (README, "site.yaml"): what the channel says of the blog. */
static enum quire_err write_site(struct writer *w)
{
	struct buf b = BUF_INIT;
	char *path = NULL;
	enum quire_err rc;

	buf_puts(&b, "# site.yaml - written by quirectl import wordpress\n");
	yaml_field(&b, "title", w->site->title);
	yaml_field(&b, "description", w->site->description);
	yaml_field(&b, "url", w->site->url);
	yaml_field(&b, "language", w->site->language);
	if (buf_failed(&b) || asprintf(&path, "%s/site.yaml", w->tmp) < 0) {
		buf_release(&b);
		return QUIRE_ENOMEM;
	}
	rc = write_file(path, &b);
	buf_release(&b);
	free(path);
	return rc;
}

/* ------------------------------------------------------------------ */
/* The folder */

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP ? rmdir(path) : unlink(path))
		log_report("%s: %s", path, strerror(errno));
	return 0;
}

/* 1 when path may become the output: absent, or an empty folder. */
static int out_free(const char *path)
{
	struct dirent *de;
	DIR *d;
	int empty = 1;

	d = opendir(path);
	if (!d)
		return errno == ENOENT;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			empty = 0;
	closedir(d);
	return empty;
}

/* The temporary folder: ".NAME.XXXXXX" beside the output. */
static char *make_tmp(const char *out)
{
	const char *slash = strrchr(out, '/');
	char *t;

	if (asprintf(&t, "%.*s.%s.XXXXXX", slash ? (int)(slash - out + 1) : 0,
		     out, slash ? slash + 1 : out) < 0)
		return NULL;
	if (!mkdtemp(t)) {
		log_report("%s: %s", t, strerror(errno));
		free(t);
		return NULL;
	}
	return t;
}

static enum quire_err write_all(struct writer *w)
{
	char *p = NULL;
	enum quire_err rc = QUIRE_OK;
	size_t i;

	if (asprintf(&p, "%s/posts", w->tmp) < 0)
		return QUIRE_ENOMEM;
	if (mkdir(p, 0755) == -1)
		rc = QUIRE_EIO;
	free(p);
	if (rc == QUIRE_OK && asprintf(&p, "%s/pages", w->tmp) < 0)
		return QUIRE_ENOMEM;
	if (rc == QUIRE_OK) {
		if (mkdir(p, 0755) == -1)
			rc = QUIRE_EIO;
		free(p);
	}
	if (rc != QUIRE_OK) {
		log_report("%s: %s", w->tmp, strerror(errno));
		return rc;
	}
	for (i = 0; i < w->site->n && rc == QUIRE_OK; i++)
		rc = write_item(w, &w->site->items[i]);
	if (rc == QUIRE_OK)
		rc = write_site(w);
	return rc;
}

enum quire_err import_wxr_write(const struct wxr_site *s,
				const struct import_wxr_options *opt)
{
	struct writer w = { s, opt, NULL, NULL, 0, 0 };
	enum quire_err rc;
	size_t i;

	if (!out_free(opt->out_dir)) {
		log_report("%s: exists and is not an empty folder; nothing "
			   "imported", opt->out_dir);
		return QUIRE_EINVAL;
	}
	w.tmp = make_tmp(opt->out_dir);
	if (!w.tmp)
		return QUIRE_EIO;
	rc = write_all(&w);
	if (rc == QUIRE_OK && rename(w.tmp, opt->out_dir) == -1) {
		log_report("%s: %s", opt->out_dir, strerror(errno));
		rc = QUIRE_EIO;
	}
	if (rc != QUIRE_OK) {
		(void)nftw(w.tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
		if (rc == QUIRE_ENOMEM)
			log_report("out of memory");
		log_report("%s: nothing imported", opt->export_path);
	} else {
		log_report("%s: %zu posts and pages imported into %s, %zu "
			   "uploads copied", opt->export_path, s->n,
			   opt->out_dir, w.copied);
	}
	for (i = 0; i < w.n_reported; i++)
		free(w.reported[i]);
	free(w.reported);
	free(w.tmp);
	return rc;
}
