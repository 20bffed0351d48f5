/*
 * content_watch.c - a content listing kept up to date by inotify
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "content/content.h"
#include "content/content_watch.h"
#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/quire.h"

/* What a change of a file or a folder may show as. */
#define WATCH_MASK (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | \
		    IN_CLOSE_WRITE | IN_MODIFY | IN_ATTRIB | IN_DELETE_SELF | \
		    IN_MOVE_SELF | IN_DONT_FOLLOW | IN_ONLYDIR | IN_EXCL_UNLINK)
/* Events that mean the watch itself no longer follows its folder. */
#define WATCH_LOST (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED | IN_UNMOUNT)

/* A watched folder: one that holds content files (kind), or one above
 * them (root or content/) where only the folders' own names matter. */
struct watched {
	int wd;
	char *path;              /* as the listing spells it */
	char *rel;               /* above: its path under the root ("" for
				    it); NULL for a folder of content */
	enum post_kind kind;
};

/* A file named by an event, to stat. */
struct dirty {
	char *path;
	enum post_kind kind;
};

struct content_watch {
	char *dir;               /* without trailing slashes */
	int fd;                  /* inotify; -1 until the first listing */
	struct watched *dirs;
	size_t n_dirs, cap_dirs;
	struct content_file *v;  /* sorted by path: path, kind, sig; the
				    paths are lent by content_watch_list() */
	size_t n, cap;
	struct dirty *dirty;
	size_t n_dirty, cap_dirty;
	int whole;               /* the next listing is whole */
	int untrusted;           /* every listing is whole (see the header) */
};

static int cmp_dirty(const void *a, const void *b)
{
	return strcmp(((const struct dirty *)a)->path,
		      ((const struct dirty *)b)->path);
}

static void dirs_release(struct content_watch *w)
{
	size_t i;

	for (i = 0; i < w->n_dirs; i++) {
		free(w->dirs[i].path);
		free(w->dirs[i].rel);
	}
	w->n_dirs = 0;
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}

static void dirty_release(struct content_watch *w)
{
	size_t i;

	for (i = 0; i < w->n_dirty; i++)
		free(w->dirty[i].path);
	w->n_dirty = 0;
}

enum quire_err content_watch_open(const char *dir, struct content_watch **out)
{
	struct content_watch *w = calloc(1, sizeof(*w));
	size_t len;
	int fd;

	*out = NULL;
	if (!w)
		return QUIRE_ENOMEM;
	w->fd = -1; /* not 0, which content_watch_close() would close */
	if (!(w->dir = strdup(dir))) {
		free(w);
		return QUIRE_ENOMEM;
	}
	len = strlen(w->dir);
	while (len > 1 && w->dir[len - 1] == '/')
		w->dir[--len] = '\0';
	/* Checked now, so a machine without inotify says so at the start. */
	fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd == -1) {
		content_watch_close(w);
		return QUIRE_EIO;
	}
	close(fd);
	w->whole = 1;
	*out = w;
	return QUIRE_OK;
}

void content_watch_close(struct content_watch *w)
{
	if (!w)
		return;
	dirs_release(w);
	content_scan_files_free(w->v, w->n);
	dirty_release(w);
	free(w->dirs);
	free(w->dirty);
	free(w->dir);
	free(w);
}

/* Watches path: above the content folders when rel (rel_len bytes) is
 * given, else a folder of content of kind. QUIRE_OK, QUIRE_ENOTFOUND (no
 * such folder: the one above sees it come), QUIRE_ENOMEM or QUIRE_EIO. */
static enum quire_err watch_add(struct content_watch *w, const char *path,
				const char *rel, size_t rel_len,
				enum post_kind kind)
{
	struct watched *d;
	int wd;

	wd = inotify_add_watch(w->fd, path, WATCH_MASK);
	if (wd == -1)
		return errno == ENOENT ? QUIRE_ENOTFOUND : QUIRE_EIO;
	if (quire_grow(&w->dirs, &w->cap_dirs, w->n_dirs, sizeof(*w->dirs),
		       16) != QUIRE_OK)
		return QUIRE_ENOMEM;
	d = &w->dirs[w->n_dirs];
	memset(d, 0, sizeof(*d));
	d->path = strdup(path);
	d->rel = rel ? strndup(rel, rel_len) : NULL;
	if (!d->path || (rel && !d->rel)) {
		free(d->path);
		free(d->rel);
		return QUIRE_ENOMEM;
	}
	d->wd = wd;
	d->kind = kind;
	w->n_dirs++;
	return QUIRE_OK;
}

/* Watches the folder path of kind and, for posts, every folder below it
 * (the listing walks them); a symbolic link makes the tree untrusted. */
static enum quire_err watch_tree(struct content_watch *w, const char *path,
				 enum post_kind kind, int depth)
{
	struct buf sub = BUF_INIT;
	struct dirent *de;
	struct stat st;
	DIR *d;
	int is_dir;
	enum quire_err rc;

	rc = watch_add(w, path, NULL, 0, kind);
	if (rc != QUIRE_OK)
		return rc;
	if (!(d = opendir(path)))
		return QUIRE_EIO;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		buf_truncate(&sub, 0);
		buf_puts(&sub, path);
		buf_putc(&sub, '/');
		buf_puts(&sub, de->d_name);
		if (buf_failed(&sub)) {
			rc = QUIRE_ENOMEM;
			break;
		}
		if (de->d_type == DT_UNKNOWN) {
			if (lstat(sub.data, &st) == -1)
				continue;
			is_dir = S_ISDIR(st.st_mode);
			if (S_ISLNK(st.st_mode))
				w->untrusted = 1;
		} else {
			is_dir = de->d_type == DT_DIR;
			if (de->d_type == DT_LNK)
				w->untrusted = 1;
		}
		if (!is_dir || kind != POST_KIND_POST)
			continue;
		if (depth + 1 > QUIRE_MAX_DIR_DEPTH) {
			w->untrusted = 1; /* the listing reports it */
			continue;
		}
		rc = watch_tree(w, sub.data, kind, depth + 1);
		if (rc == QUIRE_ENOTFOUND)
			rc = QUIRE_OK; /* removed while we looked: an event says so */
		if (rc != QUIRE_OK)
			break;
	}
	closedir(d);
	buf_release(&sub);
	return rc;
}

/* root/sub as the listing spells it. */
static char *join(const char *root, const char *sub, size_t sub_len)
{
	struct buf b = BUF_INIT;

	buf_puts(&b, root);
	if (sub_len) {
		buf_putc(&b, '/');
		buf_append(&b, sub, sub_len);
	}
	if (buf_failed(&b)) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

/*
 * Watches the root, the folders between it and each content folder
 * (content/ of content/posts), and the content folders' trees. Sets
 * untrusted when some of it cannot be watched.
 */
static enum quire_err watch_all(struct content_watch *w)
{
	const struct content_folder *f;
	struct stat st;
	size_t n_f, i, j;
	char *path;
	const char *slash;
	enum quire_err rc = QUIRE_OK;

	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd == -1) {
		w->untrusted = 1;
		return QUIRE_OK;
	}
	if (watch_add(w, w->dir, "", 0, POST_KIND_POST) != QUIRE_OK) {
		w->untrusted = 1; /* no root: nothing to watch from */
		return QUIRE_OK;
	}
	f = content_folders(&n_f);
	for (i = 0; rc == QUIRE_OK && i < n_f; i++) {
		/* the folders above this one, each watched once */
		for (slash = strchr(f[i].sub, '/'); slash && rc == QUIRE_OK;
		     slash = strchr(slash + 1, '/')) {
			size_t len = (size_t)(slash - f[i].sub);
			int seen = 0;

			for (j = 0; j < w->n_dirs; j++)
				seen |= w->dirs[j].rel && strlen(w->dirs[j].rel) == len &&
					strncmp(w->dirs[j].rel, f[i].sub, len) == 0;
			if (seen)
				continue;
			if (!(path = join(w->dir, f[i].sub, len)))
				return QUIRE_ENOMEM;
			rc = watch_add(w, path, f[i].sub, len, POST_KIND_POST);
			free(path);
			if (rc == QUIRE_ENOTFOUND)
				rc = QUIRE_OK;
		}
		if (rc != QUIRE_OK)
			break;
		if (!(path = join(w->dir, f[i].sub, strlen(f[i].sub))))
			return QUIRE_ENOMEM;
		if (lstat(path, &st) == 0) {
			if (S_ISLNK(st.st_mode))
				w->untrusted = 1;
			else
				rc = watch_tree(w, path, f[i].kind, 0);
		}
		free(path);
		if (rc == QUIRE_ENOTFOUND)
			rc = QUIRE_OK;
	}
	if (rc == QUIRE_EIO) {
		w->untrusted = 1; /* out of watches, say: list whole */
		rc = QUIRE_OK;
	}
	return rc;
}

/* Watches the tree anew and lists it whole (watches first: a change
 * made meanwhile is both listed and queued, and a queued change of a
 * file already listed as it is costs one stat). */
static enum quire_err list_whole(struct content_watch *w, size_t *n_errors)
{
	struct content_file *files = NULL;
	size_t n = 0, errors = 0;
	enum quire_err rc;

	dirs_release(w);
	dirty_release(w);
	w->untrusted = 0;
	rc = watch_all(w);
	if (rc != QUIRE_OK)
		return rc;
	rc = content_scan_list(w->dir, &files, &n, &errors);
	if (rc != QUIRE_OK)
		return rc;
	*n_errors += errors;
	if (errors)
		w->untrusted = 1; /* reported at every deploy, as they must be */
	content_scan_files_free(w->v, w->n);
	w->v = files; /* the listing itself, taken whole */
	w->n = w->cap = n;
	w->whole = w->untrusted;
	return QUIRE_OK;
}

static const struct watched *watched_find(const struct content_watch *w,
					  int wd)
{
	size_t i;

	for (i = 0; i < w->n_dirs; i++)
		if (w->dirs[i].wd == wd)
			return &w->dirs[i];
	return NULL;
}

/* Whether name, in the folder above the content folders whose path
 * under the root is rel, is (or leads to) a content folder. */
static int leads_to_content(const char *rel, const char *name)
{
	size_t n_f, i, rl = strlen(rel), nl = strlen(name), len;
	const struct content_folder *f = content_folders(&n_f);
	const char *sub;

	for (i = 0; i < n_f; i++) {
		sub = f[i].sub;
		if (rl) {
			if (strncmp(sub, rel, rl) != 0 || sub[rl] != '/')
				continue;
			sub += rl + 1;
		}
		len = strlen(sub);
		if (strncmp(sub, name, nl) == 0 && (len == nl || sub[nl] == '/'))
			return 1;
	}
	return 0;
}

/* Takes one event: sets whole, or queues the file it names. */
static enum quire_err take_event(struct content_watch *w,
				 const struct inotify_event *ev)
{
	const struct watched *d;
	struct dirty *x;
	char *path;

	if (ev->mask & IN_Q_OVERFLOW) {
		w->whole = 1;
		return QUIRE_OK;
	}
	d = watched_find(w, ev->wd);
	if (!d)
		return QUIRE_OK; /* a watch already dropped */
	if (ev->mask & WATCH_LOST) {
		w->whole = 1;
		return QUIRE_OK;
	}
	if (!ev->len || ev->name[0] == '.')
		return QUIRE_OK; /* dotfiles are not listed */
	if (d->rel) {
		if (leads_to_content(d->rel, ev->name))
			w->whole = 1;
		return QUIRE_OK;
	}
	if (ev->mask & IN_ISDIR) {
		/* Pages' folders are not walked down; posts' are. */
		if (d->kind == POST_KIND_POST)
			w->whole = 1;
		return QUIRE_OK;
	}
	if (!content_is_name(ev->name))
		return QUIRE_OK;
	if (!(path = join(d->path, ev->name, strlen(ev->name))))
		return QUIRE_ENOMEM;
	if (quire_grow(&w->dirty, &w->cap_dirty, w->n_dirty, sizeof(*w->dirty),
		       16) != QUIRE_OK) {
		free(path);
		return QUIRE_ENOMEM;
	}
	x = &w->dirty[w->n_dirty++];
	x->path = path;
	x->kind = d->kind;
	return QUIRE_OK;
}

/* Reads every event queued; counts them in stats. */
static enum quire_err drain(struct content_watch *w,
			    struct content_watch_stats *stats)
{
	char buf[65536] __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	ssize_t got;
	size_t off;
	enum quire_err rc;

	for (;;) {
		got = read(w->fd, buf, sizeof(buf));
		if (got == -1 && errno == EINTR)
			continue;
		if (got <= 0)
			/* EAGAIN: all read. Any other failure: trust nothing. */
			break;
		for (off = 0; off + sizeof(*ev) <= (size_t)got;
		     off += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)(buf + off);
			stats->events++;
			rc = take_event(w, ev);
			if (rc != QUIRE_OK)
				return rc;
		}
	}
	if (got == -1 && errno != EAGAIN)
		w->whole = 1;
	return QUIRE_OK;
}

/* Where path is, or would go, in the sorted listing. */
static size_t entry_pos(const struct content_watch *w, const char *path,
			int *found)
{
	size_t lo = 0, hi = w->n, mid;
	int c;

	*found = 0;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(w->v[mid].path, path);
		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Stats one file an event named and puts it in the listing, or takes it
 * out; sets whole when the listing alone can tell. */
static enum quire_err restat(struct content_watch *w, struct dirty *x)
{
	struct stat st;
	size_t at;
	int found;

	at = entry_pos(w, x->path, &found);
	if (lstat(x->path, &st) == -1) {
		if (errno != ENOENT && errno != ENOTDIR) {
			w->whole = 1; /* the listing reports it */
			return QUIRE_OK;
		}
		st.st_mode = 0;
	}
	if (S_ISLNK(st.st_mode) || S_ISDIR(st.st_mode)) {
		w->whole = 1;
		return QUIRE_OK;
	}
	if (!S_ISREG(st.st_mode)) {
		if (found) {
			free(w->v[at].path);
			memmove(&w->v[at], &w->v[at + 1],
				(w->n - at - 1) * sizeof(*w->v));
			w->n--;
		}
		return QUIRE_OK;
	}
	if (!found) {
		if (w->n >= QUIRE_MAX_POSTS) {
			w->whole = 1; /* the listing reports the limit */
			return QUIRE_OK;
		}
		if (quire_grow(&w->v, &w->cap, w->n, sizeof(*w->v), 64) != QUIRE_OK)
			return QUIRE_ENOMEM;
		memmove(&w->v[at + 1], &w->v[at], (w->n - at) * sizeof(*w->v));
		memset(&w->v[at], 0, sizeof(w->v[at]));
		w->v[at].path = x->path;
		x->path = NULL; /* taken */
		w->v[at].kind = x->kind;
		w->n++;
	}
	content_scan_sig_of(&st, &w->v[at].sig);
	return QUIRE_OK;
}

/* Brings the listing up to date from the queued events. */
static enum quire_err apply_changes(struct content_watch *w,
				    struct content_watch_stats *stats)
{
	size_t i, m;
	enum quire_err rc = drain(w, stats);

	if (rc != QUIRE_OK || w->whole)
		return rc;
	/* one stat a file, however many events named it */
	if (w->n_dirty > 1)
		qsort(w->dirty, w->n_dirty, sizeof(*w->dirty), cmp_dirty);
	for (i = 0, m = 0; i < w->n_dirty; i++) {
		if (m && strcmp(w->dirty[i].path, w->dirty[m - 1].path) == 0)
			free(w->dirty[i].path);
		else
			w->dirty[m++] = w->dirty[i];
	}
	w->n_dirty = m;
	for (i = 0; i < w->n_dirty && !w->whole; i++) {
		stats->stats++;
		rc = restat(w, &w->dirty[i]);
		if (rc != QUIRE_OK)
			return rc;
	}
	return QUIRE_OK;
}

enum quire_err content_watch_list(struct content_watch *w,
				  struct content_file **out, size_t *n,
				  size_t *n_errors,
				  struct content_watch_stats *stats)
{
	struct content_file *v;
	long long now;
	size_t i;
	enum quire_err rc = QUIRE_OK;

	*out = NULL;
	*n = 0;
	memset(stats, 0, sizeof(*stats));
	if (!w->whole)
		rc = apply_changes(w, stats);
	dirty_release(w);
	if (rc == QUIRE_OK && w->whole) {
		stats->whole = 1;
		rc = list_whole(w, n_errors);
	}
	if (rc != QUIRE_OK) {
		w->whole = 1; /* half applied: start again next time */
		return rc;
	}
	v = calloc(w->n ? w->n : 1, sizeof(*v));
	if (!v)
		return QUIRE_ENOMEM;
	now = content_scan_now_ns();
	if (w->n)
		memcpy(v, w->v, w->n * sizeof(*v));
	for (i = 0; i < w->n; i++) {
		v[i].path_borrowed = 1;
		v[i].sig_stable =
			(unsigned char)content_scan_sig_stable(&v[i].sig, now);
	}
	*out = v;
	*n = w->n;
	return QUIRE_OK;
}
