/*
 * content_scan.c - a deploy's look at the content folder
 *
 * Stat and reads run on several threads (parallel.h): a scan
 * is mostly system calls, and they cost microseconds each on a virtual
 * machine (10,000 files: 290 ms of open/read/close on one thread here).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <xxhash.h>

#include "content/content.h"
#include "content/content_scan.h"
#include "lib/parallel.h"
#include "lib/quire.h"

/* Files for each thread of a listing or read: below this, one thread. */
#define SCAN_PER_THREAD 256

long long content_scan_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long stat_ns(const struct timespec *ts)
{
	return (long long)ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

void content_scan_sig_of(const struct stat *st, struct content_sig *sig)
{
	sig->ino = (unsigned long long)st->st_ino;
	sig->size = (long long)st->st_size;
	sig->mtime_ns = stat_ns(&st->st_mtim);
	sig->ctime_ns = stat_ns(&st->st_ctim);
}

int content_scan_sig_stable(const struct content_sig *sig, long long now_ns)
{
	/* An inode number of 0 would read as "no signature". */
	return sig->ino != 0 && sig->ctime_ns < now_ns - CONTENT_SIG_RACY_NS;
}

/* f's signature from st, and whether it is stable as of now_ns. */
static void sig_set(struct content_file *f, const struct stat *st,
		    long long now_ns)
{
	content_scan_sig_of(st, &f->sig);
	f->sig_stable = (unsigned char)content_scan_sig_stable(&f->sig, now_ns);
}

void content_scan_sig_format(const struct content_sig *sig, char *out)
{
	if (!sig->ino) {
		out[0] = '\0';
		return;
	}
	snprintf(out, CONTENT_SIG_MAX, "%llu.%lld.%lld.%lld", sig->ino,
		 sig->size, sig->mtime_ns, sig->ctime_ns);
}

/* The next "N." (or the last "N") of *p as a number; 0 when malformed.
 * By hand: strtoull's generality cost 10 % of a deploy's instructions
 * (callgrind; 40,000 numbers a deploy of 10,000 posts). */
static int sig_field(const char **p, int last, unsigned long long *out)
{
	const char *s = *p;
	unsigned long long v = 0;
	unsigned d;

	if (*s < '0' || *s > '9')
		return 0;
	for (; *s >= '0' && *s <= '9'; s++) {
		d = (unsigned)(*s - '0');
		if (v > (ULLONG_MAX - d) / 10)
			return 0;
		v = v * 10 + d;
	}
	if (*s != (last ? '\0' : '.'))
		return 0;
	*out = v;
	*p = last ? s : s + 1;
	return 1;
}

enum quire_err content_scan_sig_parse(const char *text, struct content_sig *out)
{
	unsigned long long v[4];
	const char *p = text;
	int i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < 4; i++)
		if (!sig_field(&p, i == 3, &v[i]))
			return QUIRE_EPARSE;
	if (v[1] > LLONG_MAX || v[2] > LLONG_MAX || v[3] > LLONG_MAX)
		return QUIRE_EPARSE;
	out->ino = v[0];
	out->size = (long long)v[1];
	out->mtime_ns = (long long)v[2];
	out->ctime_ns = (long long)v[3];
	return QUIRE_OK;
}

struct list_ctx {
	struct content_file *v;
	long long now_ns;
};

static void stat_one(void *arg, size_t i)
{
	struct list_ctx *c = arg;
	struct stat st;

	/* Gone since the walk: no signature; the read reports it. */
	if (stat(c->v[i].path, &st) == 0)
		sig_set(&c->v[i], &st, c->now_ns);
}

enum quire_err content_scan_list(const char *dir, struct content_file **out,
				 size_t *n, size_t *n_errors)
{
	struct content_path *paths = NULL;
	struct content_file *v;
	struct list_ctx c;
	size_t i, n_paths = 0;
	enum quire_err rc;

	*out = NULL;
	*n = 0;
	rc = content_list_paths(dir, &paths, &n_paths, n_errors);
	if (rc != QUIRE_OK)
		return rc;
	v = calloc(n_paths ? n_paths : 1, sizeof(*v));
	if (!v) {
		content_paths_free(paths, n_paths);
		return QUIRE_ENOMEM;
	}
	for (i = 0; i < n_paths; i++) {
		v[i].path = paths[i].path;
		v[i].kind = paths[i].kind;
	}
	free(paths);
	c.v = v;
	c.now_ns = content_scan_now_ns();
	parallel_for(n_paths, SCAN_PER_THREAD, stat_one, &c);
	*out = v;
	*n = n_paths;
	return QUIRE_OK;
}

/* What reading one file came to, filled by whichever thread read it. */
struct read_result {
	size_t file;             /* index in v */
	enum quire_err rc;
	struct parse_error err;
};

struct read_ctx {
	struct content_file *v;
	struct read_result *res; /* one per file to read, not per file */
	long long now_ns;
};

static void read_one(void *arg, size_t i)
{
	struct read_ctx *c = arg;
	struct read_result *r = &c->res[i];
	struct content_file *f = &c->v[r->file];
	struct stat st;

	r->rc = content_read_file(f->path, &f->text, &f->len, &st, &r->err);
	if (r->rc != QUIRE_OK)
		return;
	/* The signature of what was read, which the list's stat may not
	 * be if the file changed since. */
	sig_set(f, &st, c->now_ns);
	f->hash = XXH3_64bits(f->text, f->len);
}

enum quire_err content_scan_read(struct content_file *v, size_t *n,
				 size_t *n_errors)
{
	struct read_ctx c;
	struct read_result *r;
	size_t i, j, k = 0, n_read = 0;
	enum quire_err rc = QUIRE_OK;

	for (i = 0; i < *n; i++)
		n_read += !v[i].skip;
	c.v = v;
	c.res = calloc(n_read ? n_read : 1, sizeof(*c.res));
	if (!c.res)
		return QUIRE_ENOMEM;
	for (i = 0, j = 0; i < *n; i++)
		if (!v[i].skip)
			c.res[j++].file = i;
	c.now_ns = content_scan_now_ns();
	parallel_for(n_read, SCAN_PER_THREAD, read_one, &c);
	/* In order, so errors are reported as one thread would; a file
	 * that failed stays, marked. */
	for (i = 0, j = 0; i < *n; i++) {
		r = j < n_read && c.res[j].file == i ? &c.res[j++] : NULL;
		if (r && r->rc != QUIRE_OK) {
			if (r->rc == QUIRE_ENOMEM) {
				rc = QUIRE_ENOMEM;
			} else {
				content_report(v[i].path, r->err.line,
					       r->err.column, r->err.message);
				(*n_errors)++;
			}
			free(v[i].text);
			v[i].text = NULL;
			v[i].len = 0;
			v[i].sig_stable = 0; /* read again next time */
			v[i].failed = 1;
		}
		v[k++] = v[i];
	}
	*n = k;
	free(c.res);
	return rc;
}

void content_scan_files_free(struct content_file *v, size_t n)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < n; i++) {
		if (!v[i].path_borrowed)
			free(v[i].path);
		free(v[i].text);
	}
	free(v);
}
