/*
 * public_tree.h - the files a site publishes beside its pages: the
 * content folder's static/ tree and the page bundles' files, copied into
 * the folder the web server serves, switched in at once
 *
 * quire never serves these files itself: the web server does (nginx's
 * try_files, lighttpd's url.rewrite-if-not-file; deploy/render-conf), from
 * PUBLIC_DIR, a symbolic link to one whole tree. A publish writes a new
 * tree beside it, switches the link with one rename(), then removes the
 * tree it named before: a reader sees the old files or the new ones,
 * never half of a publish (DESIGN §3).
 */
#ifndef QUIRE_PUBLIC_TREE_H
#define QUIRE_PUBLIC_TREE_H

#include <stddef.h>

#include "content/post.h"
#include "content/siteconf.h"
#include "lib/quire.h"

/* A page bundle: the folder of posts/.../X/index.md, and the URL folder
 * its other files go under ("/posts/SLUG/", content_files_url()). */
struct public_bundle {
	const char *dir;
	const char *url;
};

/* Bundles gathered for a publish, and the bases (permalink_base_len)
 * of every post's and page's URL, where no file is published; the
 * strings are owned. Zeroed: none. */
struct public_bundles {
	struct public_bundle *v;
	size_t n, cap;
	char **taken;
	size_t n_taken, cap_taken;
};

/*
 * Adds post p to bs: the base of its URL under conf's patterns (NULL:
 * the defaults) as taken, and when it is a bundle's index
 * (content_is_bundle()) its folder, with the URL folder of that URL
 * (content_bundle_url()). p needs its path, kind, slug, and the date
 * and categories the patterns name. QUIRE_OK (not a bundle included),
 * QUIRE_ETOOBIG (a URL too long: left out) or QUIRE_ENOMEM.
 */
enum quire_err public_bundles_add(struct public_bundles *bs,
				  const struct post *p,
				  const struct siteconf *conf);
void public_bundles_release(struct public_bundles *bs);

/* What a publish did. */
struct public_stats {
	size_t files;            /* published */
	size_t linked;           /* of them, hard-linked from the tree before */
	size_t refused;          /* refused, each one reported */
	unsigned long long bytes;
};

/*
 * Publishes DIR/static/ at the site's root and each bundle's files (not
 * its content files, not its hidden ones, not a folder holding another
 * bundle) under its url, into a new tree beside public_dir, then makes
 * public_dir a symbolic link to it and removes the tree it named before.
 * A file that is unchanged since the tree before (same size and mtime)
 * is hard-linked from it rather than copied; a copy keeps its source's
 * mtime (the web server's Last-Modified).
 *
 * Refused, each reported as "PATH:1:1: message" (content_report()) and
 * the rest published: a hidden name (starting with '.'), a control
 * character or '\' in a name, a name over 255 bytes or a path over
 * QUIRE_MAX_PUBLIC_PATH, a folder deeper than QUIRE_MAX_DIR_DEPTH, a
 * symbolic link that leads out of DIR, what is not a regular file or a
 * folder, a file over QUIRE_MAX_PUBLIC_FILE, the files past
 * QUIRE_MAX_PUBLIC_FILES or QUIRE_MAX_PUBLIC_TOTAL bytes, a path of
 * quire's own (public_tree_reserved()), a path whose base is a post's or
 * page's URL's (bs->taken: a file there would answer instead of it), a
 * path two files give. bs's taken URLs are sorted in place.
 *
 * QUIRE_OK (refusals included: see st); QUIRE_EIO when the tree could
 * not be made or switched (reported; public_dir stays as it was, and a
 * public_dir that exists and is not a symbolic link is never replaced);
 * QUIRE_ENOMEM. st may be NULL.
 */
enum quire_err public_tree_publish(const char *dir, const char *public_dir,
				   struct public_bundles *bs,
				   struct public_stats *st);

/*
 * What public_tree_publish() would publish and refuse (each refusal
 * reported the same way), with nothing written: `quirectl check`. Two
 * files on one path are not seen (the publish finds them). QUIRE_OK,
 * QUIRE_EIO (dir cannot be resolved) or QUIRE_ENOMEM.
 */
enum quire_err public_tree_check(const char *dir, struct public_bundles *bs,
				 struct public_stats *st);

/*
 * Whether path (from the site's root, "/feed.xml") is one of quire's
 * own, which no file may take (the web server would serve the file
 * first): "/" NAME for NAME one of posts, pages, tags, categories,
 * static, api, feed.xml, sitemap.xml, healthz, metrics, search; anything
 * under /static/, /api/, /tags/, /categories/, /archives/, /authors/;
 * "/posts/X" and
 * "/pages/X" (a post's or a page's URL: deeper paths are bundles').
 */
int public_tree_reserved(const char *path);

/* Why a name (one path segment) may not be published, or NULL. */
const char *public_tree_name_refused(const char *name);

#endif
