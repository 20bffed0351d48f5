/*
 * content_scan.h - a deploy's look at the content folder: list it, stat
 * every file, read only those that may have changed
 *
 * A file's signature is its inode, size, mtime and ctime. A deploy keeps
 * it beside the file's hash in PostgreSQL; a file whose signature is the
 * one kept is not read again, so a deploy of one edit to a big site costs
 * one stat a file, not an open, read and hash. ctime cannot be set by a
 * user and moves on every write, but only by the clock's tick: a file
 * changed within a tick of being read could keep its signature with new
 * bytes (git's "racy" index). So a signature is only kept (stable) when
 * the file's ctime is older than the read by CONTENT_SIG_RACY_NS; a file
 * just edited is read again at the next deploy.
 */
#ifndef QUIRE_CONTENT_SCAN_H
#define QUIRE_CONTENT_SCAN_H

#include <stddef.h>
#include <sys/stat.h>

#include "content/post.h"
#include "lib/quire.h"

/* A signature as text, "ino.size.mtime_ns.ctime_ns" in decimal, with
 * its NUL: how PostgreSQL and the deploy cache keep it. */
#define CONTENT_SIG_MAX 96
/* How much older than the read a ctime must be for its signature to be
 * kept: far above any file system's timestamp granularity. */
#define CONTENT_SIG_RACY_NS 1000000000LL

/* What a file's signature is made of; ino 0 when it could not be
 * stat'ed. Binary and small: a deploy lists 10,000 of them, and fresh
 * memory costs a page fault every 4 KiB (≈ 12 µs each on this VM). */
struct content_sig {
	unsigned long long ino;
	long long size, mtime_ns, ctime_ns;
};

/* A content file of a deploy. */
struct content_file {
	char *path;
	char *text;              /* once read: NUL-terminated, len bytes */
	size_t len;
	unsigned long long hash; /* xxh3 of text, as post.hash (or, when
				    skip is set, the hash kept for sig) */
	struct content_sig sig;
	enum post_kind kind;
	unsigned char sig_stable; /* sig may be kept (see above) */
	unsigned char skip;      /* set by the caller: known, not to be read */
	unsigned char failed;    /* could not be read (reported): no text */
	unsigned char stale;     /* set by the caller: what is stored of it was
				    rendered under other permalinks (a
				    bundle's links): read and render again */
	unsigned char path_borrowed; /* path is the lister's (content_watch.h),
					not freed with the file */
	const void *match;       /* the caller's: what it knows of path */
};

/* The signature of a file stat'ed as st. */
void content_scan_sig_of(const struct stat *st, struct content_sig *sig);
/* Whether sig may be kept as of now_ns (content_scan_now_ns()): see above. */
int content_scan_sig_stable(const struct content_sig *sig, long long now_ns);
/* The wall clock in nanoseconds, as file times are. */
long long content_scan_now_ns(void);

/* sig as text into out (CONTENT_SIG_MAX bytes); "" when there is none. */
void content_scan_sig_format(const struct content_sig *sig, char *out);
/* text (as content_scan_sig_format writes it) into *out: QUIRE_OK, or
 * QUIRE_EPARSE (out then has no signature: ino 0). */
enum quire_err content_scan_sig_parse(const char *text,
				      struct content_sig *out);

/*
 * Lists every file content_load would read, sorted by path, and stats
 * each (on several threads): path, kind and sig filled, nothing read.
 * Caller frees with content_scan_files_free(). QUIRE_OK or QUIRE_ENOMEM.
 */
enum quire_err content_scan_list(const char *dir, struct content_file **out,
				 size_t *n, size_t *n_errors);

/*
 * Reads and hashes every file of v[0..*n) whose skip is not set (on
 * several threads), and sets its sig from what was read. A file that
 * cannot be read is reported, counted in *n_errors and kept in v with
 * failed set and no text: a deploy keeps its last good version. *n
 * stays (the argument is a pointer for the callers written before).
 * QUIRE_OK or QUIRE_ENOMEM.
 */
enum quire_err content_scan_read(struct content_file *v, size_t *n,
				 size_t *n_errors);

void content_scan_files_free(struct content_file *v, size_t n);

#endif
