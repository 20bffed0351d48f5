/*
 * export.c - what PostgreSQL holds, written out as a content folder
 *
 * The reverse of a deploy: every post and page PostgreSQL keeps (its
 * source, as the file or the API gave it) becomes a file again, so that
 * the folder, served or deployed, gives the same site. The existing
 * readers do the reading: the API's listing (tier_pg_list: every slug
 * of both origins with its draft flag) and one fetch a post
 * (tier_pg_fetch: the whole source and its path); the content posts'
 * paths (tier_pg_content_hashes) tell the folder they were deployed
 * from. No SQL of its own.
 *
 * Nothing is written at the destination until the end: a new folder
 * beside it is filled, then renamed; on any failure what was made in it
 * is removed, file by file, from the list of what was made (never a
 * recursive removal of whatever is there).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "content/content.h"
#include "content/post.h"
#include "content/record.h"
#include "deploy/export.h"
#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/log.h"
#include "lib/quire.h"
#include "tiers/tier_pg.h"

/* Longest relative path written (the content walker's folders are
 * bounded by QUIRE_MAX_DIR_DEPTH; this bounds the bytes). */
#define EXPORT_MAX_REL 1024
/* Other names tried for a post of the API whose posts/SLUG.md is a
 * content file's. */
#define EXPORT_MAX_TRIES 8

/* A file written, and the post it must give. */
struct export_written {
	char *rel;
	char *slug;
	char *alt;               /* export_text's alt, or NULL */
	size_t alt_len;
};

struct export {
	struct tier_pg *pg;
	struct export_stats *st;
	char *tmp;               /* the folder being filled */
	char **made;             /* paths under tmp made, in order: folders
	                          * and files, removed in reverse on failure */
	size_t n_made, cap_made;
	char **reserved;         /* the content files' relative paths, by
	                          * strcasecmp: no API post takes one */
	size_t n_reserved;
	char *root;              /* the folder the content was deployed from,
	                          * or NULL when no one folder holds it all */
	struct export_written *written; /* every file written */
	size_t n_written, cap_written;
};

/* ------------------------------------------------------------ the folder */

/* QUIRE_OK when out does not exist or is an empty folder. */
static enum quire_err out_usable(const char *out)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int empty = 1;

	if (lstat(out, &st) == -1) {
		if (errno == ENOENT)
			return QUIRE_OK;
		log_report("%s: %s", out, strerror(errno));
		return QUIRE_EIO;
	}
	if (!S_ISDIR(st.st_mode)) {
		log_report("%s exists and is not a folder", out);
		return QUIRE_EINVAL;
	}
	d = opendir(out);
	if (!d) {
		log_report("%s: %s", out, strerror(errno));
		return QUIRE_EIO;
	}
	while (empty && (de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			empty = 0;
	closedir(d);
	if (!empty) {
		log_report("%s exists and is not empty: export into a new folder",
			   out);
		return QUIRE_EINVAL;
	}
	return QUIRE_OK;
}

/* The new folder beside out (same file system: the rename is atomic). */
static enum quire_err tmp_make(struct export *ex, const char *out)
{
	const char *slash = strrchr(out, '/');
	char path[PATH_MAX];
	int n;

	if (slash == out)
		n = snprintf(path, sizeof(path), "/.%s.export-XXXXXX", out + 1);
	else if (slash)
		n = snprintf(path, sizeof(path), "%.*s/.%s.export-XXXXXX",
			     (int)(slash - out), out, slash + 1);
	else
		n = snprintf(path, sizeof(path), ".%s.export-XXXXXX", out);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		log_report("%s: the path is too long", out);
		return QUIRE_EINVAL;
	}
	if (!mkdtemp(path)) {
		log_report("cannot make a folder beside %s: %s", out,
			   strerror(errno));
		return QUIRE_EIO;
	}
	ex->tmp = strdup(path);
	if (!ex->tmp) {
		rmdir(path);
		return QUIRE_ENOMEM;
	}
	return QUIRE_OK;
}

/* Notes tmp/rel as made by us (rel copied). */
static enum quire_err made_add(struct export *ex, const char *rel)
{
	char **v;
	size_t cap;

	if (ex->n_made == ex->cap_made) {
		cap = ex->cap_made ? ex->cap_made * 2 : 64;
		v = realloc(ex->made, cap * sizeof(*v));
		if (!v)
			return QUIRE_ENOMEM;
		ex->made = v;
		ex->cap_made = cap;
	}
	ex->made[ex->n_made] = strdup(rel);
	if (!ex->made[ex->n_made])
		return QUIRE_ENOMEM;
	ex->n_made++;
	return QUIRE_OK;
}

/* Removes what was made under tmp, newest first, then tmp itself. */
static void tmp_remove(struct export *ex)
{
	char path[PATH_MAX];
	size_t i;

	for (i = ex->n_made; i-- > 0;) {
		snprintf(path, sizeof(path), "%s/%s", ex->tmp, ex->made[i]);
		if (remove(path) == -1 && errno != ENOENT)
			log_report("%s: %s (left behind)", path, strerror(errno));
	}
	if (rmdir(ex->tmp) == -1 && errno != ENOENT)
		log_report("%s: %s (left behind)", ex->tmp, strerror(errno));
}

/* The folders of rel under tmp, made as needed (each noted). */
static enum quire_err folders_make(struct export *ex, const char *rel)
{
	char path[PATH_MAX];
	const char *s;
	int n;

	for (s = strchr(rel, '/'); s; s = strchr(s + 1, '/')) {
		n = snprintf(path, sizeof(path), "%s/%.*s", ex->tmp,
			     (int)(s - rel), rel);
		if (n < 0 || (size_t)n >= sizeof(path))
			return QUIRE_EINVAL;
		if (mkdir(path, 0777) == 0) {
			if (made_add(ex, path + strlen(ex->tmp) + 1) != QUIRE_OK)
				return QUIRE_ENOMEM;
		} else if (errno != EEXIST) {
			log_report("%s: %s", path, strerror(errno));
			return QUIRE_EIO;
		}
	}
	return QUIRE_OK;
}

/*
 * Writes text (len bytes) to tmp/rel, a file that must not exist yet,
 * and flushes it to disk: a backup is worth its fsync. QUIRE_ECONFLICT
 * when the name is taken, else QUIRE_OK, QUIRE_EIO (reported).
 */
static enum quire_err file_write(struct export *ex, const char *rel,
				 const char *text, size_t len)
{
	char path[PATH_MAX];
	size_t done = 0;
	ssize_t w;
	int fd, n;
	enum quire_err rc;

	rc = folders_make(ex, rel);
	if (rc != QUIRE_OK)
		return rc;
	n = snprintf(path, sizeof(path), "%s/%s", ex->tmp, rel);
	if (n < 0 || (size_t)n >= sizeof(path))
		return QUIRE_EINVAL;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0666);
	if (fd == -1 && errno == EEXIST)
		return QUIRE_ECONFLICT;
	if (fd == -1) {
		log_report("%s: %s", path, strerror(errno));
		return QUIRE_EIO;
	}
	if (made_add(ex, rel) != QUIRE_OK) {
		close(fd);
		unlink(path);
		return QUIRE_ENOMEM;
	}
	while (done < len) {
		w = write(fd, text + done, len - done);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	if (done < len || fsync(fd) == -1) {
		log_report("%s: %s", path, strerror(errno));
		close(fd);
		return QUIRE_EIO;
	}
	if (close(fd) == -1) {
		log_report("%s: %s", path, strerror(errno));
		return QUIRE_EIO;
	}
	return QUIRE_OK;
}

/* ------------------------------------------------------------ the names */

/* The folder of a kind's files in a content folder. */
static const char *kind_folder(enum post_kind kind)
{
	return kind == POST_KIND_PAGE ? "pages" : "posts";
}

/*
 * Whether rel is a name the content walker reads as a file of kind:
 * under posts/ (folders allowed) or pages/ (none), no empty, hidden or
 * ".." part, a .md or .markdown name, bounded.
 */
static int rel_valid(const char *rel, enum post_kind kind)
{
	const char *folder = kind_folder(kind), *s, *part;
	size_t n = strlen(folder), depth = 0;

	if (strlen(rel) >= EXPORT_MAX_REL || strncmp(rel, folder, n) != 0 ||
	    rel[n] != '/')
		return 0;
	for (part = rel + n + 1; (s = strchr(part, '/')) != NULL; part = s + 1) {
		if (s == part || part[0] == '.' || ++depth > QUIRE_MAX_DIR_DEPTH ||
		    kind == POST_KIND_PAGE)
			return 0;
	}
	return part[0] != '.' && content_is_name(part);
}

/* Whether path is root/FOLDER/... for kind's FOLDER. */
static int under_root(const char *path, size_t root_len,
		      enum post_kind kind)
{
	const char *folder = kind_folder(kind);
	size_t n = strlen(folder);

	return path[root_len] == '/' &&
	       strncmp(path + root_len + 1, folder, n) == 0 &&
	       path[root_len + 1 + n] == '/' &&
	       rel_valid(path + root_len + 1, kind);
}

/*
 * The folder every content post was deployed from: the longest prefix
 * of the first one's path that puts every content path at FOLDER/...
 * of its kind. A deploy reads one folder, and its posts' paths name it
 * (deployer.c: its realpath); a site whose content came from several
 * folders over time has none, and each path is then cut on its own.
 */
static void root_find(struct export *ex, const struct tier_pg_hash *v,
		      size_t n)
{
	const char *first;
	size_t len, i;

	for (i = 0; i < n && !v[i].path; i++)
		;
	if (i == n)
		return;
	first = v[i].path;
	for (len = strlen(first); len-- > 0;) {
		if (first[len] != '/')
			continue;
		for (i = 0; i < n; i++)
			if (v[i].path && (strncmp(v[i].path, first, len) != 0 ||
					  !under_root(v[i].path, len, v[i].kind)))
				break;
		if (i == n) {
			ex->root = strndup(first, len);
			return;
		}
	}
}

/* The path of a content post in the export: under the root, else from
 * the last FOLDER/ of its kind in it. NULL when it has none. */
static const char *content_rel(const struct export *ex, const char *path,
			       enum post_kind kind)
{
	const char *folder = kind_folder(kind), *s;
	char key[16];
	size_t n;

	if (ex->root) {
		n = strlen(ex->root);
		if (strncmp(path, ex->root, n) == 0 && under_root(path, n, kind))
			return path + n + 1;
	}
	snprintf(key, sizeof(key), "/%s/", folder);
	for (s = path + strlen(path); s > path; s--)
		if (strncmp(s - 1, key, strlen(key)) == 0 &&
		    rel_valid(s, kind))
			return s;
	return rel_valid(path, kind) ? path : NULL;
}

static int by_case(const void *a, const void *b)
{
	return strcasecmp(*(char *const *)a, *(char *const *)b);
}

/* The content files' names, reserved (and the root found). */
static enum quire_err reserve_content(struct export *ex)
{
	struct tier_pg_hash *v = NULL;
	const char *rel;
	size_t n = 0, i;
	enum quire_err rc;

	rc = tier_pg_content_hashes(ex->pg, &v, &n);
	if (rc != QUIRE_OK) {
		log_report("postgresql: %s", tier_pg_error(ex->pg));
		return rc;
	}
	root_find(ex, v, n);
	ex->reserved = calloc(n ? n : 1, sizeof(*ex->reserved));
	if (!ex->reserved) {
		tier_pg_hashes_free(v, n);
		return QUIRE_ENOMEM;
	}
	for (i = 0; i < n; i++) {
		if (!v[i].path || !(rel = content_rel(ex, v[i].path, v[i].kind)))
			continue;
		ex->reserved[ex->n_reserved] = strdup(rel);
		if (!ex->reserved[ex->n_reserved]) {
			tier_pg_hashes_free(v, n);
			return QUIRE_ENOMEM;
		}
		ex->n_reserved++;
	}
	tier_pg_hashes_free(v, n);
	qsort(ex->reserved, ex->n_reserved, sizeof(*ex->reserved), by_case);
	return QUIRE_OK;
}

static int reserved(const struct export *ex, const char *rel)
{
	return bsearch(&rel, ex->reserved, ex->n_reserved,
		       sizeof(*ex->reserved), by_case) != NULL;
}

/* The try-th name of a post of the API: FOLDER/SLUG.md, then
 * FOLDER/SLUG-export-N.md (whose slug: line the read-back adds). */
static int api_rel(char *out, size_t outsz, enum post_kind kind,
		   const char *slug, int try)
{
	int n = try == 0 ?
		snprintf(out, outsz, "%s/%s.md", kind_folder(kind), slug) :
		snprintf(out, outsz, "%s/%s-export-%d.md", kind_folder(kind),
			 slug, try + 1);

	return n > 0 && (size_t)n < outsz;
}

/* ------------------------------------------------------- the read-back */

/* The length of the line at s without its break and trailing blanks
 * (frontmatter.c's rule); *next the next line. */
static size_t line_span(const char *s, const char *end, const char **next)
{
	const char *nl = memchr(s, '\n', (size_t)(end - s));
	const char *e = nl ? nl : end;

	*next = nl ? nl + 1 : end;
	while (e > s && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
		e--;
	return (size_t)(e - s);
}

/*
 * text with `slug: "SLUG"` (TOML: `slug = "SLUG"`) as the last key of
 * its frontmatter's top level, so that it wins over a slug: already
 * there (a key given twice keeps its last value, frontmatter_value.c):
 * before the closing line, or TOML's first [table], which would take
 * it. In the file's own line ending, into *out (caller frees). The
 * opening line is found as frontmatter.c finds it: after a byte order
 * mark and blank lines. A slug needs no escape between quotes
 * (post_slug_valid), and the quotes keep YAML from reading one like
 * 1.10 or 2024-01-01 as a number or a date. QUIRE_EPARSE when there is
 * no such place (the read-back says why the file is refused).
 */
static enum quire_err slug_insert(const char *text, size_t len,
				  const char *slug, char **out, size_t *out_len)
{
	const char *s = text, *end = text + len, *next, *at = NULL;
	struct buf b = BUF_INIT;
	size_t n;
	int toml, crlf;

	*out = NULL;
	if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3;
	while ((n = line_span(s, end, &next)) == 0 && next < end)
		s = next;
	if (n != 3 || (memcmp(s, "---", 3) != 0 && memcmp(s, "+++", 3) != 0) ||
	    next == s || next[-1] != '\n')
		return QUIRE_EPARSE;
	toml = s[0] == '+';
	crlf = next - s >= 2 && next[-2] == '\r';
	for (s = next; s < end && !at; s = next) {
		n = line_span(s, end, &next);
		if ((n == 3 && (toml ? memcmp(s, "+++", 3) == 0 :
				(memcmp(s, "---", 3) == 0 ||
				 memcmp(s, "...", 3) == 0))) ||
		    (toml && s[0] == '['))
			at = s;
	}
	if (!at)
		return QUIRE_EPARSE;
	buf_append(&b, text, (size_t)(at - text));
	buf_printf(&b, toml ? "slug = \"%s\"%s" : "slug: \"%s\"%s", slug,
		   crlf ? "\r\n" : "\n");
	buf_append(&b, at, (size_t)(end - at));
	if (buf_failed(&b)) {
		buf_release(&b);
		return QUIRE_ENOMEM;
	}
	*out = buf_detach(&b, out_len);
	return QUIRE_OK;
}

/*
 * Parses text as the content folder will read it at rel: QUIRE_OK when
 * it gives rec's slug, kind and date and the draft state draft (-1: not
 * known, not compared); else QUIRE_EPARSE with why in msg (msgsz
 * bytes), *slug_only set when the slug alone differs; or QUIRE_ENOMEM.
 */
static enum quire_err reads_back(const char *rel, const struct record *rec,
				 int draft, const char *text, size_t len,
				 char *msg, size_t msgsz, int *slug_only)
{
	struct parse_error err;
	struct post *p = NULL;
	char *copy = malloc(len + 1);
	enum quire_err rc;

	*slug_only = 0;
	if (!copy)
		return QUIRE_ENOMEM;
	memcpy(copy, text, len);
	copy[len] = '\0';
	rc = content_parse_file(rel, rec->kind, copy, len, NULL, &p, &err);
	if (rc == QUIRE_ENOMEM)
		return rc;
	if (rc != QUIRE_OK)
		snprintf(msg, msgsz, "%u:%u: %s", err.line, err.column,
			 err.message);
	else if (p->has_date != rec->has_date ||
		 (rec->has_date && (long long)p->date != rec->date))
		snprintf(msg, msgsz, "it would have another date");
	else if (draft >= 0 && !p->draft != !draft)
		snprintf(msg, msgsz, "it would %sbe a draft", draft ? "not " : "");
	else if (strcmp(p->slug, rec->slug) != 0) {
		snprintf(msg, msgsz, "it would have the slug \"%s\"", p->slug);
		*slug_only = 1;
	} else
		msg[0] = '\0';
	post_free(p);
	return msg[0] ? QUIRE_EPARSE : QUIRE_OK;
}

/* What is written for one post. */
struct export_text {
	char *text;              /* the file */
	size_t len;
	char *alt;               /* the file with a slug: line, when text is
	                          * the source whose name alone gives another
	                          * slug: written instead if the folder, read
	                          * whole, does not give the slug (export_verify)
	                          * — a deploy's suffixed slug does, and keeps
	                          * the slug its file asked for; else NULL */
	size_t alt_len;
	int added;               /* text has a slug: line added */
};

static void export_text_release(struct export_text *t)
{
	free(t->text);
	free(t->alt);
	memset(t, 0, sizeof(*t));
}

/* A copy of rec's source into *text. */
static enum quire_err source_dup(const struct record *rec, char **text,
				 size_t *len)
{
	*text = malloc(rec->source_len + 1);
	if (!*text)
		return QUIRE_ENOMEM;
	memcpy(*text, rec->source, rec->source_len + 1);
	*len = rec->source_len;
	return QUIRE_OK;
}

/*
 * rec's text for the file rel: its source when it reads back the same;
 * when only the slug differs, its source with the slug: line as alt;
 * else its source with the slug: line. QUIRE_OK with *t filled (caller
 * releases), or QUIRE_EPARSE (reported), QUIRE_ENOMEM.
 */
static enum quire_err text_for(const char *rel, const struct record *rec,
			       int draft, struct export_text *t)
{
	char msg[384], esc[256], *with = NULL;
	size_t with_len = 0;
	int slug_only, unused;
	enum quire_err rc;

	memset(t, 0, sizeof(*t));
	rc = reads_back(rel, rec, draft, rec->source, rec->source_len, msg,
			sizeof(msg), &slug_only);
	if (rc == QUIRE_OK)
		return source_dup(rec, &t->text, &t->len);
	if (rc != QUIRE_EPARSE)
		return rc;
	rc = slug_insert(rec->source, rec->source_len, rec->slug, &with,
			 &with_len);
	if (rc == QUIRE_OK)
		rc = reads_back(rel, rec, draft, with, with_len, msg,
				sizeof(msg), &unused);
	if (rc == QUIRE_OK && slug_only) {
		t->alt = with;
		t->alt_len = with_len;
		return source_dup(rec, &t->text, &t->len);
	}
	if (rc == QUIRE_OK) {
		t->text = with;
		t->len = with_len;
		t->added = 1;
		return QUIRE_OK;
	}
	free(with);
	if (rc == QUIRE_ENOMEM)
		return rc;
	log_report("%s: not exported as %s: %s", rec->slug,
		   log_escape(rel, esc, sizeof(esc)), msg);
	return QUIRE_EPARSE;
}

/* Notes that rel holds the post slug (copied), with t's alt (taken). */
static enum quire_err written_add(struct export *ex, const char *rel,
				  const char *slug, struct export_text *t)
{
	struct export_written *v;
	size_t cap;

	if (ex->n_written == ex->cap_written) {
		cap = ex->cap_written ? ex->cap_written * 2 : 64;
		v = realloc(ex->written, cap * sizeof(*v));
		if (!v)
			return QUIRE_ENOMEM;
		ex->written = v;
		ex->cap_written = cap;
	}
	v = &ex->written[ex->n_written];
	memset(v, 0, sizeof(*v));
	v->rel = strdup(rel);
	v->slug = strdup(slug);
	if (!v->rel || !v->slug) {
		free(v->rel);
		free(v->slug);
		return QUIRE_ENOMEM;
	}
	v->alt = t->alt;
	v->alt_len = t->alt_len;
	t->alt = NULL;
	ex->n_written++;
	return QUIRE_OK;
}

/* rec written to rel: QUIRE_OK, QUIRE_ECONFLICT (the name is taken,
 * nothing written), or another error (reported). */
static enum quire_err export_file(struct export *ex, const char *rel,
				  const struct record *rec, int draft)
{
	struct export_text t;
	enum quire_err rc;

	rc = text_for(rel, rec, draft, &t);
	if (rc == QUIRE_OK)
		rc = file_write(ex, rel, t.text, t.len);
	if (rc == QUIRE_OK)
		rc = written_add(ex, rel, rec->slug, &t);
	if (rc == QUIRE_OK && t.added)
		ex->st->slug_added++;
	export_text_release(&t);
	return rc;
}

/* ------------------------------------------------------------ the posts */

/* Writes rec (a content file's post) back to its own path. */
static enum quire_err export_content(struct export *ex,
				     const struct record *rec, int draft)
{
	const char *rel = rec->path ? content_rel(ex, rec->path, rec->kind) :
			  NULL;
	char esc[256];
	enum quire_err rc;

	if (!rel) {
		log_report("%s: its file \"%s\" is not under a %s/ folder",
			   rec->slug, rec->path ? log_escape(rec->path, esc,
							    sizeof(esc)) : "",
			   kind_folder(rec->kind));
		return QUIRE_EPARSE;
	}
	rc = export_file(ex, rel, rec, draft);
	if (rc == QUIRE_ECONFLICT) {
		log_report("%s: two posts have the file %s", rec->slug,
			   log_escape(rel, esc, sizeof(esc)));
		rc = QUIRE_EIO;
	}
	return rc;
}

/* Writes rec (a post of the API) to the first free name of api_rel. */
static enum quire_err export_api(struct export *ex, const struct record *rec,
				 int draft)
{
	char rel[EXPORT_MAX_REL];
	int try;
	enum quire_err rc = QUIRE_ECONFLICT;

	for (try = 0; try < EXPORT_MAX_TRIES && rc == QUIRE_ECONFLICT; try++) {
		if (!api_rel(rel, sizeof(rel), rec->kind, rec->slug, try))
			return QUIRE_EINVAL;
		if (!reserved(ex, rel))
			rc = export_file(ex, rel, rec, draft);
	}
	if (rc == QUIRE_ECONFLICT) {
		log_report("%s: no free file name for it", rec->slug);
		rc = QUIRE_EIO;
	}
	if (rc == QUIRE_OK)
		ex->st->api++;
	return rc;
}

/* One listed post: fetched whole and written. */
static enum quire_err export_one(struct export *ex,
				 const struct tier_pg_listed *e)
{
	struct record *rec = NULL;
	enum quire_err rc;

	rc = tier_pg_fetch(ex->pg, e->slug, &rec);
	if (rc == QUIRE_ENOTFOUND) {
		ex->st->vanished++;  /* deleted since it was listed */
		return QUIRE_OK;
	}
	if (rc != QUIRE_OK) {
		log_report("%s: postgresql: %s", e->slug, tier_pg_error(ex->pg));
		return rc;
	}
	/* The draft flag is the listing's; a post written again since it
	 * was listed is read back against its own source's. */
	rc = rec->origin == RECORD_ORIGIN_API ?
	     export_api(ex, rec, rec->revision == e->revision ? e->draft : -1) :
	     export_content(ex, rec, rec->revision == e->revision ? e->draft : -1);
	if (rc == QUIRE_OK && rec->kind == POST_KIND_PAGE)
		ex->st->pages++;
	else if (rc == QUIRE_OK)
		ex->st->posts++;
	record_free(rec);
	return rc;
}

/* Every post and page, a page of the listing at a time. */
static enum quire_err export_all(struct export *ex)
{
	struct tier_pg_listed *v = NULL;
	char *after = NULL;
	size_t n = 0, i, total = 0;
	enum quire_err rc;

	do {
		rc = tier_pg_list(ex->pg, after, NULL, TIER_PG_LIST_MAX, &v, &n);
		if (rc != QUIRE_OK) {
			log_report("postgresql: %s", tier_pg_error(ex->pg));
			break;
		}
		total += n;
		if (total > QUIRE_MAX_POSTS) {
			log_report("more than %d posts", QUIRE_MAX_POSTS);
			rc = QUIRE_ETOOBIG;
		}
		for (i = 0; i < n && rc == QUIRE_OK; i++)
			rc = export_one(ex, &v[i]);
		free(after);
		after = n && rc == QUIRE_OK ? strdup(v[n - 1].slug) : NULL;
		if (n && rc == QUIRE_OK && !after)
			rc = QUIRE_ENOMEM;
		tier_pg_listed_free(v, n);
	} while (rc == QUIRE_OK && n == TIER_PG_LIST_MAX);
	free(after);
	return rc;
}

/* ------------------------------------------------------ the whole folder */

static int by_rel(const void *a, const void *b)
{
	return strcmp(((const struct export_written *)a)->rel,
		      ((const struct export_written *)b)->rel);
}

static int rel_key(const void *key, const void *elem)
{
	return strcmp(key, ((const struct export_written *)elem)->rel);
}

/* tmp/rel, a file the export made, written again with text. */
static enum quire_err file_rewrite(struct export *ex, const char *rel,
				   const char *text, size_t len)
{
	char path[PATH_MAX];
	int n = snprintf(path, sizeof(path), "%s/%s", ex->tmp, rel);
	enum quire_err rc;

	if (n < 0 || (size_t)n >= sizeof(path))
		return QUIRE_EINVAL;
	if (unlink(path) == -1) {
		log_report("%s: %s", path, strerror(errno));
		return QUIRE_EIO;
	}
	rc = file_write(ex, rel, text, len);
	return rc == QUIRE_ECONFLICT ? QUIRE_EIO : rc;
}

/* How a pass of export_verify reads the folder. */
enum verify_mode {
	VERIFY_WRONG,            /* each file that reads wrong and has an
	                          * alt is written with it */
	VERIFY_ALL,              /* every file that has an alt is */
	VERIFY_LAST              /* none: each wrong one is reported */
};

/* Passes that write files again, before the last. */
#define EXPORT_MAX_PASSES 3

/*
 * Reads the folder whole, as quire will (content_load: duplicates and
 * shared slugs are settled across files, which no file alone shows),
 * and checks that every file written gives its post's slug and that the
 * load has no error: *ok. When not, files are written with their alt
 * as mode says (*rewrote counts them), or, VERIFY_LAST, each wrong one
 * is reported and the export fails.
 */
static enum quire_err verify_pass(struct export *ex, enum verify_mode mode,
				  int *ok, size_t *rewrote)
{
	struct content_options opt = { 0 };
	enum log_level level = log_level();
	struct export_written *w;
	struct content *c = NULL;
	const char **found, *path;
	size_t i, base = strlen(ex->tmp), wrong = 0;
	char esc[256];
	enum quire_err rc;

	*ok = 0;
	*rewrote = 0;
	found = calloc(ex->n_written ? ex->n_written : 1, sizeof(*found));
	if (!found)
		return QUIRE_ENOMEM;
	/* What a pass before the last finds is settled after it: the load
	 * tells it only on the last. */
	if (mode != VERIFY_LAST)
		log_set_level(LOG_LEVEL_ERROR);
	rc = content_load(ex->tmp, NULL, &opt, &c);
	log_set_level(level);
	if (rc != QUIRE_OK) {
		free(found);
		return rc;
	}
	for (i = 0; i < c->n; i++) {
		path = c->posts[i]->path;
		if (strncmp(path, ex->tmp, base) != 0 || path[base] != '/')
			continue;
		w = bsearch(path + base + 1, ex->written, ex->n_written,
			    sizeof(*w), rel_key);
		if (w)
			found[w - ex->written] = c->posts[i]->slug;
	}
	for (i = 0; i < ex->n_written; i++)
		if (!found[i] || strcmp(found[i], ex->written[i].slug) != 0)
			wrong++;
	*ok = !wrong && !c->n_errors;
	for (i = 0; i < ex->n_written && !*ok && rc == QUIRE_OK; i++) {
		w = &ex->written[i];
		if (found[i] && strcmp(found[i], w->slug) == 0 &&
		    mode != VERIFY_ALL)
			continue;
		if (mode == VERIFY_LAST) {
			log_report("%s: not exported as %s: read with the whole "
				   "folder, it would %s%s%s", w->slug,
				   log_escape(w->rel, esc, sizeof(esc)),
				   found[i] ? "have the slug \"" : "not be served",
				   found[i] ? found[i] : "", found[i] ? "\"" : "");
			continue;
		}
		if (!w->alt)
			continue;
		rc = file_rewrite(ex, w->rel, w->alt, w->alt_len);
		free(w->alt);
		w->alt = NULL;
		ex->st->slug_added++;
		(*rewrote)++;
	}
	if (mode == VERIFY_LAST && !*ok && rc == QUIRE_OK) {
		if (c->n_errors)
			log_report("errors reading the exported folder: %zu",
				   c->n_errors);
		rc = QUIRE_EPARSE;
	}
	content_free(c);
	free(found);
	return rc;
}

/*
 * The folder read whole gives every post its slug. A file written with
 * its source (whose name alone gives another slug, as a deploy's
 * suffixed slug is: the load settles it the same way, and the post
 * keeps the slug its file asked for) is given its slug: line only when
 * the folder does not give it: those that read wrong, for a few passes,
 * then all; then a last pass must find every one right.
 */
static enum quire_err export_verify(struct export *ex)
{
	enum quire_err rc;
	size_t rewrote;
	int pass, ok;

	qsort(ex->written, ex->n_written, sizeof(*ex->written), by_rel);
	for (pass = 0; pass < EXPORT_MAX_PASSES; pass++) {
		rc = verify_pass(ex, pass + 1 < EXPORT_MAX_PASSES ? VERIFY_WRONG :
				 VERIFY_ALL, &ok, &rewrote);
		if (rc != QUIRE_OK || ok)
			return rc;
		if (!rewrote)
			break;
	}
	return verify_pass(ex, VERIFY_LAST, &ok, &rewrote);
}

/* The site's settings: site.yaml at the root of the folder, as the last
 * deploy stored it (none: no file). */
static enum quire_err export_site_config(struct export *ex)
{
	char *text = NULL;
	size_t len = 0;
	enum quire_err rc;

	rc = tier_pg_config_read(ex->pg, &text, &len);
	if (rc != QUIRE_OK) {
		log_report("postgresql: site.yaml: %s", rc == QUIRE_ENOMEM ?
			   "out of memory" : tier_pg_error(ex->pg));
		return rc;
	}
	if (!text)
		return QUIRE_OK;
	rc = file_write(ex, "site.yaml", text, len);
	if (rc == QUIRE_ECONFLICT)
		log_report("site.yaml: a post's file has that name");
	free(text);
	return rc;
}

/* tmp made readable as the umask allows (mkdtemp made it 0700), moved
 * to out, and the move flushed. */
static enum quire_err tmp_publish(struct export *ex, const char *out)
{
	mode_t mask = umask(0);
	char parent[PATH_MAX];
	const char *slash = strrchr(out, '/');
	int fd;

	umask(mask);
	if (chmod(ex->tmp, 0777 & ~mask) == -1 || rename(ex->tmp, out) == -1) {
		log_report("%s: %s", out, strerror(errno));
		return QUIRE_EIO;
	}
	if (!slash)
		snprintf(parent, sizeof(parent), ".");
	else if (slash == out)
		snprintf(parent, sizeof(parent), "/");
	else
		snprintf(parent, sizeof(parent), "%.*s", (int)(slash - out), out);
	fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd != -1) {
		(void)fsync(fd);
		close(fd);
	}
	return QUIRE_OK;
}

static void export_release(struct export *ex)
{
	size_t i;

	for (i = 0; i < ex->n_written; i++) {
		free(ex->written[i].rel);
		free(ex->written[i].slug);
		free(ex->written[i].alt);
	}
	free(ex->written);
	quire_strings_free(ex->made, ex->n_made);
	quire_strings_free(ex->reserved, ex->n_reserved);
	free(ex->root);
	free(ex->tmp);
}

enum quire_err export_run(struct tier_pg *pg, const char *out,
			  struct export_stats *st)
{
	struct export ex;
	char dest[PATH_MAX];
	size_t n;
	enum quire_err rc;

	memset(st, 0, sizeof(*st));
	memset(&ex, 0, sizeof(ex));
	ex.pg = pg;
	ex.st = st;
	n = strlen(out);
	/* "DIR/" is DIR: the folder made beside it must be its sibling */
	while (n > 1 && out[n - 1] == '/')
		n--;
	if (n == 0 || n >= sizeof(dest)) {
		log_report("export: a folder is needed");
		return QUIRE_EINVAL;
	}
	memcpy(dest, out, n);
	dest[n] = '\0';
	rc = out_usable(dest);
	if (rc != QUIRE_OK)
		return rc;
	if (tier_pg_generation(pg, &st->generation) != QUIRE_OK) {
		log_report("postgresql: %s", tier_pg_error(pg));
		return QUIRE_EIO;
	}
	rc = tmp_make(&ex, dest);
	if (rc == QUIRE_OK)
		rc = reserve_content(&ex);
	if (rc == QUIRE_OK)
		rc = export_all(&ex);
	/* before the folder is read whole: it is part of the folder */
	if (rc == QUIRE_OK)
		rc = export_site_config(&ex);
	if (rc == QUIRE_OK)
		rc = export_verify(&ex);
	if (rc == QUIRE_OK && tier_pg_generation(pg, &st->generation_after) !=
	    QUIRE_OK) {
		log_report("postgresql: %s", tier_pg_error(pg));
		rc = QUIRE_EIO;
	}
	if (rc == QUIRE_OK)
		rc = tmp_publish(&ex, dest);
	if (rc != QUIRE_OK && ex.tmp)
		tmp_remove(&ex);
	if (rc == QUIRE_ENOMEM)
		log_report("out of memory");
	export_release(&ex);
	return rc;
}
