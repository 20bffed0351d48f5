/*
 * content_watch.h - the listing of a content folder, kept up to date by
 * the kernel's notes of what changed (inotify) instead of a stat of
 * every file at every deploy
 *
 * A deploy of one edit to a 10,000-post site spent 44 ms listing and
 * stat'ing files that had not changed (a stat is ≈ 2.4 µs on this VM).
 * A long-lived deployer (quirectl serve) keeps the listing between
 * deploys and watches every folder a listing walks; at the next deploy
 * it reads what the kernel queued and stats only the files named.
 *
 * The kernel queues a change before the write or rename that made it
 * returns, so an edit finished before a deploy was asked for is always
 * seen. What a watch cannot follow is listed whole, at every deploy,
 * exactly as content_scan_list() does: a symbolic link anywhere in the tree
 * (its target may change unseen), a listing with errors (they must be
 * reported again), a tree the watches could not all be placed on.
 * A change of folders (made, removed, renamed) or an overflow of the
 * queue lists it whole once. Not seen: writes through a shared memory
 * map of a file, which no editor or rsync makes.
 */
#ifndef QUIRE_CONTENT_WATCH_H
#define QUIRE_CONTENT_WATCH_H

#include <stddef.h>

#include "content/content_scan.h"
#include "lib/quire.h"

struct content_watch;

/* What the last content_watch_list() did. */
struct content_watch_stats {
	int whole;               /* listed whole (and watched anew) */
	size_t events;           /* changes the kernel reported */
	size_t stats;            /* files stat'ed one by one */
};

/* Watches dir (nothing is listed until the first content_watch_list(),
 * which lists whole). QUIRE_OK, QUIRE_ENOMEM or QUIRE_EIO (no inotify:
 * errno says why). */
enum quire_err content_watch_open(const char *dir, struct content_watch **out);
void content_watch_close(struct content_watch *w);

/*
 * The content files of the folder as content_scan_list() would list them now:
 * a fresh array (caller frees with content_scan_files_free()), sorted by
 * path, each with path, kind and signature, nothing read. The paths are
 * w's own (path_borrowed; 10,000 copies a deploy cost more than the rest
 * of the listing): free the array before the next call or
 * content_watch_close(). *n_errors is
 * bumped by the listing's errors, as content_scan_list() does. QUIRE_OK or
 * QUIRE_ENOMEM.
 */
enum quire_err content_watch_list(struct content_watch *w,
				  struct content_file **out, size_t *n,
				  size_t *n_errors,
				  struct content_watch_stats *stats);

#endif
