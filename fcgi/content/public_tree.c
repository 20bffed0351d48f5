/*
 * public_tree.c - the files a site publishes beside its pages, copied
 * into the folder the web server serves, switched in at once
 *
 * Paths are built in fixed buffers of PATH_MAX: every name is checked
 * (public_tree_name_refused) and every path bounded before it is used.
 * Sources are opened with O_NOFOLLOW unless a symbolic link was checked
 * to resolve inside the content folder, and only regular files are
 * copied, so nothing outside the folder, no device and no FIFO is ever
 * read into the tree the web server serves (DESIGN §3).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "content/content.h"
#include "content/permalink.h"
#include "content/public_tree.h"
#include "content/siteconf.h"
#include "lib/limits.h"
#include "lib/log.h"
#include "lib/quire.h"

/* One publish under way. */
struct pub {
	char root[PATH_MAX];     /* the content folder, resolved */
	char tree[PATH_MAX];     /* the new tree */
	char old[PATH_MAX];      /* the tree before, or "" */
	struct public_stats st;
	int fatal;               /* the tree cannot be finished */
	int dry;                 /* check only: nothing written */
	const struct public_bundles *bs; /* taken: sorted */
};

static const char *const reserved_top[] = {
	"posts", "pages", "tags", "categories", "static", "api", ".quire",
	"feed.xml", "feed.json", "sitemap.xml", "healthz", "metrics", "search",
};
static const char *const reserved_tree[] = {
	"static", "api", "tags", "categories", "archives", "authors", ".quire", "preview",
};

/* Whether the first segment of p (after its '/') is exactly name. */
static int first_is(const char *p, const char *name, const char **rest)
{
	size_t n = strlen(name);

	if (strncmp(p + 1, name, n) != 0 || (p[1 + n] && p[1 + n] != '/'))
		return 0;
	*rest = p + 1 + n;
	return 1;
}

int public_tree_reserved(const char *path)
{
	const char *rest;
	size_t i;

	if (path[0] != '/')
		return 1;
	for (i = 0; i < sizeof(reserved_tree) / sizeof(reserved_tree[0]); i++)
		if (first_is(path, reserved_tree[i], &rest))
			return 1;
	for (i = 0; i < sizeof(reserved_top) / sizeof(reserved_top[0]); i++)
		if (first_is(path, reserved_top[i], &rest) && !*rest)
			return 1;
	/* "/posts/X", "/pages/X": a post's or a page's own URL */
	if ((first_is(path, "posts", &rest) || first_is(path, "pages", &rest)) &&
	    rest[0] == '/' && !strchr(rest + 1, '/'))
		return 1;
	return 0;
}

const char *public_tree_name_refused(const char *name)
{
	const unsigned char *c;

	if (!name[0])
		return "an empty name";
	if (name[0] == '.')
		return "a hidden name (starting with '.'): not published";
	if (strlen(name) > 255)
		return "a name longer than 255 bytes";
	for (c = (const unsigned char *)name; *c; c++)
		if (*c < 0x20 || *c == 0x7f || *c == '\\')
			return "a control character or '\\' in the name";
	return NULL;
}

static void refuse(struct pub *p, const char *path, const char *msg)
{
	p->st.refused++;
	content_report(path, 1, 1, msg);
}

/* dst = a "/" b, bounded; 0 when it does not fit. */
static int join(char *dst, const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);

	if (na + 1 + nb >= PATH_MAX)
		return 0;
	memmove(dst, a, na);
	dst[na] = '/';
	memcpy(dst + na + 1, b, nb + 1);
	return 1;
}

/* A folder the web server can read whatever the umask (the deployer's
 * unit has 0077): 0755. */
static int make_dir(const char *path)
{
	struct stat st;

	if (mkdir(path, 0755) == -1) {
		if (errno != EEXIST)
			return -1;
		if (lstat(path, &st) == -1)
			return -1;
		if (!S_ISDIR(st.st_mode)) {
			errno = ENOTDIR;
			return -1;
		}
		return 0;
	}
	return chmod(path, 0755);
}

/* mkdir -p of tree/rel (rel without a leading '/'). */
static int make_dirs(struct pub *p, const char *rel)
{
	char path[PATH_MAX], *s;

	if (!join(path, p->tree, rel))
		return -1;
	for (s = path + strlen(p->tree) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		if (make_dir(path) == -1)
			return -1;
		*s = '/';
	}
	return make_dir(path);
}

/* Copies fd (st) to a new file at dst, its mtime kept. */
static int copy_fd(int in, const struct stat *st, const char *dst)
{
	struct timespec times[2];
	char buf[65536];
	ssize_t r, w, off;
	int out, ok = 0;

	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		   0644);
	if (out == -1)
		return errno == EEXIST ? 1 : -1;
	/* readable by the web server whatever the umask */
	if (fchmod(out, 0644) == -1)
		goto out;
	for (;;) {
		r = read(in, buf, sizeof(buf));
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			ok = r == 0;
			break;
		}
		for (off = 0; off < r; off += w) {
			w = write(out, buf + off, (size_t)(r - off));
			if (w == -1 && errno == EINTR)
				w = 0;
			else if (w == -1)
				goto out;
		}
	}
	times[0] = st->st_mtim;
	times[1] = st->st_mtim;
	if (ok && futimens(out, times) == -1)
		ok = 0;
out:
	if (close(out) == -1)
		ok = 0;
	return ok ? 0 : -1;
}

/* The tree before has rel as it is now (size and mtime): linked. */
static int link_old(struct pub *p, const char *rel, const struct stat *st,
		    const char *dst)
{
	char old[PATH_MAX];
	struct stat o;

	if (!p->old[0] || !join(old, p->old, rel) || lstat(old, &o) == -1 ||
	    !S_ISREG(o.st_mode) || o.st_size != st->st_size ||
	    o.st_mtim.tv_sec != st->st_mtim.tv_sec ||
	    o.st_mtim.tv_nsec != st->st_mtim.tv_nsec)
		return -1;
	if (link(old, dst) == -1)
		return errno == EEXIST ? 1 : -1;
	return 0;
}

/* Whether one more file of size bytes stays within the bounds of a
 * publish; else refused. */
static int within_bounds(struct pub *p, const char *src, off_t size)
{
	char msg[160];

	if (size <= QUIRE_MAX_PUBLIC_FILE && p->st.files < QUIRE_MAX_PUBLIC_FILES &&
	    p->st.bytes + (unsigned long long)size <= QUIRE_MAX_PUBLIC_TOTAL)
		return 1;
	snprintf(msg, sizeof(msg), "over the bounds of published files (%d "
		 "bytes a file, %d files, %llu bytes in all)",
		 QUIRE_MAX_PUBLIC_FILE, QUIRE_MAX_PUBLIC_FILES,
		 (unsigned long long)QUIRE_MAX_PUBLIC_TOTAL);
	refuse(p, src, msg);
	return 0;
}

/* The folders of rel's parent in the tree: 0; -1 refused (a file holds
 * the place of a folder) or fatal (p->fatal set). */
static int make_parent(struct pub *p, const char *src, const char *url)
{
	const char *rel = url + 1, *slash = strrchr(rel, '/');
	char d[PATH_MAX], msg[256];

	if (!slash)
		return 0;
	snprintf(d, sizeof(d), "%.*s", (int)(slash - rel), rel);
	if (make_dirs(p, d) == 0)
		return 0;
	if (errno == ENOTDIR) {
		snprintf(msg, sizeof(msg), "\"%.100s\" needs a folder where "
			 "another file is published: not published", url);
		refuse(p, src, msg);
	} else {
		p->fatal = errno ? errno : EIO;
	}
	return -1;
}

/* Puts fd (st) at url in the tree: linked from the tree before when
 * unchanged, else copied; counted, refused or fatal. */
static void place(struct pub *p, const char *src, int fd,
		  const struct stat *st, const char *url)
{
	char dst[PATH_MAX], msg[256];
	int rc;

	if (!join(dst, p->tree, url + 1)) {
		refuse(p, src, "the path is too long");
		return;
	}
	rc = link_old(p, url + 1, st, dst);
	if (rc == 0)
		p->st.linked++;
	else if (rc == -1)
		rc = copy_fd(fd, st, dst);
	if (rc == 1) {
		snprintf(msg, sizeof(msg), "\"%.100s\" is published by another "
			 "file already: not published", url);
		refuse(p, src, msg);
	} else if (rc == -1) {
		p->fatal = errno ? errno : EIO;
	} else {
		p->st.files++;
		p->st.bytes += (unsigned long long)st->st_size;
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Whether url's base is a post's or page's (take_url). */
static int url_taken(const struct pub *p, const char *url)
{
	char base[QUIRE_MAX_PUBLIC_PATH + 2];
	const char *key = base;

	if (!p->bs || !p->bs->n_taken)
		return 0;
	snprintf(base, sizeof(base), "%.*s",
		 (int)permalink_base_len(url, strlen(url)), url);
	return bsearch(&key, p->bs->taken, p->bs->n_taken,
		       sizeof(*p->bs->taken), cmp_str) != NULL;
}

/* Publishes the regular file src (opened with open_flags) at url (from
 * the root, starting with '/'). Checked on the descriptor: a file
 * swapped for a FIFO or a folder after the walk looked is not read. */
static void put_file(struct pub *p, const char *src, int open_flags,
		     const char *url)
{
	char msg[160];
	struct stat st;
	int fd;

	if (public_tree_reserved(url)) {
		snprintf(msg, sizeof(msg), "\"%.100s\" is a path of quire's own: "
			 "not published", url);
		refuse(p, src, msg);
		return;
	}
	if (url_taken(p, url)) {
		snprintf(msg, sizeof(msg), "\"%.100s\" is a post's or page's "
			 "URL: not published", url);
		refuse(p, src, msg);
		return;
	}
	fd = open(src, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | open_flags);
	if (fd == -1) {
		refuse(p, src, "cannot open");
		return;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		refuse(p, src, "not a regular file");
	} else if (!within_bounds(p, src, st.st_size)) {
		/* refused */
	} else if (p->dry) {
		p->st.files++;
		p->st.bytes += (unsigned long long)st.st_size;
	} else if (make_parent(p, src, url) == 0) {
		place(p, src, fd, &st, url);
	}
	close(fd);
}

/* Whether folder path holds a bundle's index (another bundle's). */
static int holds_bundle(const char *path)
{
	static const char *const names[] = { "index.md", "index.markdown",
					     "index.html" };
	char f[PATH_MAX];
	size_t i;

	for (i = 0; i < 3; i++)
		if (join(f, path, names[i]) && access(f, F_OK) == 0)
			return 1;
	return 0;
}

static void put_dir(struct pub *p, const char *src, const char *url,
		    int bundle, int depth);

/* Whether the symbolic link at path resolves inside the content folder:
 * real (PATH_MAX) gets where, *st what is there; else refused. */
static int link_inside(struct pub *p, const char *path, char *real,
		       struct stat *st)
{
	size_t len = strlen(p->root);

	if (realpath(path, real) && strncmp(real, p->root, len) == 0 &&
	    real[len] == '/' && stat(real, st) == 0)
		return 1;
	refuse(p, path, "a symbolic link that leads outside the content folder "
	       "(or nowhere): not published");
	return 0;
}

/* Publishes the entry name of folder src at url NAME (url ends in '/'). */
static void put_entry(struct pub *p, const char *src, const char *name,
		      const char *url, int bundle, int depth)
{
	char path[PATH_MAX], sub[PATH_MAX], real[PATH_MAX];
	const char *why;
	struct stat st;
	int flags = O_NOFOLLOW, len;

	if (!join(path, src, name)) {
		refuse(p, src, "a path too long");
		return;
	}
	if ((why = public_tree_name_refused(name))) {
		refuse(p, path, why);
		return;
	}
	if (lstat(path, &st) == -1) {
		refuse(p, path, "cannot stat");
		return;
	}
	if (S_ISLNK(st.st_mode)) {
		if (!link_inside(p, path, real, &st))
			return;
		flags = 0; /* followed: it stays inside */
	}
	len = snprintf(sub, sizeof(sub), "%s%s%s", url, name,
		       S_ISDIR(st.st_mode) ? "/" : "");
	if (len <= 0 || len > QUIRE_MAX_PUBLIC_PATH) {
		refuse(p, path, "a path longer than QUIRE_MAX_PUBLIC_PATH");
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		if (!(bundle && holds_bundle(path)))
			put_dir(p, path, sub, bundle, depth + 1);
	} else if (S_ISREG(st.st_mode)) {
		if (!(bundle && content_is_name(name)))
			put_file(p, flags ? path : real, flags, sub);
	} else {
		refuse(p, path, "not a regular file: not published");
	}
}

/* Publishes folder src (depth deep) under url (ending in '/'); bundle:
 * content files and folders of other bundles are left out. A loop of
 * symbolic links ends at QUIRE_MAX_DIR_DEPTH. */
static void put_dir(struct pub *p, const char *src, const char *url,
		    int bundle, int depth)
{
	struct dirent **names = NULL;
	int n, i;

	if (depth > QUIRE_MAX_DIR_DEPTH) {
		refuse(p, src, "folders deeper than QUIRE_MAX_DIR_DEPTH: not published");
		return;
	}
	n = scandir(src, &names, NULL, alphasort);
	if (n == -1) {
		if (errno != ENOENT)
			refuse(p, src, "cannot read the folder");
		return;
	}
	for (i = 0; i < n && !p->fatal; i++)
		if (strcmp(names[i]->d_name, ".") != 0 &&
		    strcmp(names[i]->d_name, "..") != 0)
			put_entry(p, src, names[i]->d_name, url, bundle, depth);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static int remove_one(const char *path, const struct stat *st, int type,
		      struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		return rmdir(path) == -1 ? -1 : 0;
	return unlink(path) == -1 ? -1 : 0;
}

/* Removes a tree quire made (no symbolic links followed). */
static void remove_tree(const char *path)
{
	if (nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS) == -1)
		log_msg(LOG_LEVEL_WARN, "publish", "cannot remove \"%s\" whole: %s",
			path, strerror(errno));
}

/* The folder and the name of public_dir; the tree it names now (one of
 * ours: ".NAME.XXXXXX" beside it), in p->old, or "". */
static int split_public(struct pub *p, const char *public_dir, char *parent,
			char *name)
{
	char link[PATH_MAX];
	const char *slash = strrchr(public_dir, '/');
	struct stat st;
	ssize_t n;

	if (slash && slash[1] == '\0')
		return -1;
	if (slash)
		snprintf(parent, PATH_MAX, "%.*s", (int)(slash == public_dir ? 1 :
						       slash - public_dir), public_dir);
	else
		snprintf(parent, PATH_MAX, ".");
	snprintf(name, NAME_MAX + 1, "%s", slash ? slash + 1 : public_dir);
	p->old[0] = '\0';
	if (lstat(public_dir, &st) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISLNK(st.st_mode)) {
		errno = EEXIST;
		return -1;
	}
	n = readlink(public_dir, link, sizeof(link) - 1);
	if (n <= 0)
		return -1;
	link[n] = '\0';
	if (link[0] == '.' && strncmp(link + 1, name, strlen(name)) == 0 &&
	    link[1 + strlen(name)] == '.' && !strchr(link, '/'))
		join(p->old, parent, link);
	return 0;
}

/* Makes public_dir name the new tree: a link made aside, renamed over. */
static int switch_link(struct pub *p, const char *public_dir,
		       const char *parent, const char *name)
{
	char tmp[PATH_MAX], target[PATH_MAX];
	const char *base = strrchr(p->tree, '/');

	snprintf(target, sizeof(target), "%s", base ? base + 1 : p->tree);
	if (snprintf(tmp, sizeof(tmp), "%s/.%s.link.%ld", parent, name,
		     (long)getpid()) >= (int)sizeof(tmp))
		return -1;
	unlink(tmp);
	if (symlink(target, tmp) == -1)
		return -1;
	if (rename(tmp, public_dir) == -1) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* Keeps the base of p's URL under conf (permalink_base_len): a file
 * there would answer instead of the post, or of its redirects. */
static enum quire_err take_url(struct public_bundles *bs,
			       const struct post *p, const struct siteconf *conf)
{
	char url[PERMALINK_MAX_URL + 1];
	const char *pattern;

	if (p->kind == POST_KIND_PAGE)
		pattern = conf ? conf->pages : PERMALINK_PAGES_DEFAULT;
	else
		pattern = conf ? conf->posts : PERMALINK_POSTS_DEFAULT;
	if (permalink_expand(pattern, p, url, sizeof(url)) != QUIRE_OK)
		return QUIRE_OK; /* no URL: site_build refuses the post */
	if (quire_grow(&bs->taken, &bs->cap_taken, bs->n_taken,
		       sizeof(*bs->taken), 64) != QUIRE_OK)
		return QUIRE_ENOMEM;
	bs->taken[bs->n_taken] = strndup(url, permalink_base_len(url,
								 strlen(url)));
	if (!bs->taken[bs->n_taken])
		return QUIRE_ENOMEM;
	bs->n_taken++;
	return QUIRE_OK;
}

/* bs with its taken URLs sorted, for url_taken's bsearch. */
static const struct public_bundles *seal(struct public_bundles *bs)
{
	if (bs->n_taken)
		qsort(bs->taken, bs->n_taken, sizeof(*bs->taken), cmp_str);
	return bs;
}

enum quire_err public_bundles_add(struct public_bundles *bs,
				  const struct post *p,
				  const struct siteconf *conf)
{
	char url[PERMALINK_MAX_URL + 2];
	struct public_bundle *b;
	const char *slash, *path = p->path;
	enum quire_err rc;

	if (!p->slug)
		return QUIRE_OK;
	rc = take_url(bs, p, conf);
	if (rc != QUIRE_OK)
		return rc;
	if (!path || !content_is_bundle(p))
		return QUIRE_OK;
	if (content_bundle_url(p, NULL, conf ? conf->posts : NULL, url,
			       sizeof(url)) != QUIRE_OK)
		return QUIRE_ETOOBIG;
	if (quire_grow(&bs->v, &bs->cap, bs->n, sizeof(*bs->v), 16) !=
	    QUIRE_OK)
		return QUIRE_ENOMEM;
	slash = strrchr(path, '/');
	b = &bs->v[bs->n];
	b->dir = strndup(path, (size_t)(slash - path));
	b->url = strdup(url);
	if (!b->dir || !b->url) {
		free((char *)b->dir);
		free((char *)b->url);
		return QUIRE_ENOMEM;
	}
	bs->n++;
	return QUIRE_OK;
}

void public_bundles_release(struct public_bundles *bs)
{
	size_t i;

	for (i = 0; i < bs->n; i++) {
		free((char *)bs->v[i].dir);
		free((char *)bs->v[i].url);
	}
	for (i = 0; i < bs->n_taken; i++)
		free(bs->taken[i]);
	free(bs->taken);
	free(bs->v);
	memset(bs, 0, sizeof(*bs));
}

enum quire_err public_tree_check(const char *dir, struct public_bundles *bs,
				 struct public_stats *st)
{
	char src[PATH_MAX];
	struct pub *p;
	size_t i;

	p = calloc(1, sizeof(*p));
	if (!p)
		return QUIRE_ENOMEM;
	p->dry = 1;
	p->bs = seal(bs);
	if (!realpath(dir, p->root)) {
		log_report("cannot resolve \"%s\": %s", dir, strerror(errno));
		free(p);
		return QUIRE_EIO;
	}
	if (join(src, p->root, "static"))
		put_dir(p, src, "/", 0, 1);
	for (i = 0; i < bs->n; i++)
		put_dir(p, bs->v[i].dir, bs->v[i].url, 1, 1);
	*st = p->st;
	free(p);
	return QUIRE_OK;
}

enum quire_err public_tree_publish(const char *dir, const char *public_dir,
				   struct public_bundles *bs,
				   struct public_stats *st)
{
	char parent[PATH_MAX], name[NAME_MAX + 1], src[PATH_MAX];
	struct pub *p;
	size_t i;
	enum quire_err rc = QUIRE_EIO;

	p = calloc(1, sizeof(*p));
	if (!p)
		return QUIRE_ENOMEM;
	p->bs = seal(bs);
	if (!realpath(dir, p->root)) {
		log_report("publish: cannot resolve \"%s\": %s", dir, strerror(errno));
		goto out;
	}
	if (split_public(p, public_dir, parent, name) == -1) {
		log_report("publish: \"%s\" %s", public_dir, errno == EEXIST ?
			   "exists and is no symbolic link quire made: not replaced" :
			   strerror(errno));
		goto out;
	}
	if (snprintf(p->tree, sizeof(p->tree), "%s/.%s.XXXXXX", parent, name) >=
	    (int)sizeof(p->tree) || !mkdtemp(p->tree) || chmod(p->tree, 0755) == -1) {
		log_report("publish: cannot make a tree in \"%s\": %s", parent,
			   strerror(errno));
		p->tree[0] = '\0';
		goto out;
	}
	if (join(src, p->root, "static"))
		put_dir(p, src, "/", 0, 1);
	for (i = 0; i < bs->n && !p->fatal; i++)
		put_dir(p, bs->v[i].dir, bs->v[i].url, 1, 1);
	if (p->fatal) {
		log_report("publish: writing \"%s\": %s; the files published "
			   "before stay", p->tree, strerror(p->fatal));
		goto out;
	}
	if (switch_link(p, public_dir, parent, name) == -1) {
		log_report("publish: cannot switch \"%s\": %s", public_dir,
			   strerror(errno));
		goto out;
	}
	p->tree[0] = '\0'; /* served now: kept */
	if (p->old[0])
		remove_tree(p->old);
	rc = QUIRE_OK;
out:
	if (p->tree[0])
		remove_tree(p->tree);
	if (st)
		*st = p->st;
	free(p);
	return rc;
}
