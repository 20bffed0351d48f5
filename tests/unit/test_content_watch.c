/*
 * test_content_watch.c - the listing kept by inotify (content_watch.c)
 * is, after every kind of change, the listing content_scan_list() makes from
 * scratch, and it gets there by statting only what changed
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "content/content_watch.h"
#include "lib/quire.h"

static char root[64];

static void put(const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fputs(text, f);
	fclose(f);
}

static void at(char *out, size_t len, const char *rel)
{
	snprintf(out, len, "%s/%s", root, rel);
}

/* The watched listing, compared with a fresh content_scan_list(): same files
 * in the same order, same kinds and signatures. Returns its stats. */
static struct content_watch_stats same_as_fresh(struct content_watch *w,
						int line)
{
	struct content_watch_stats st;
	struct content_file *a = NULL, *b = NULL;
	size_t na = 0, nb = 0, ea = 0, eb = 0, i;
	int same;

	memset(&st, 0, sizeof(st));
	if (content_watch_list(w, &a, &na, &ea, &st) != QUIRE_OK ||
	    content_scan_list(root, &b, &nb, &eb) != QUIRE_OK) {
		fprintf(stderr, "line %d: listing failed\n", line);
		CHECK(0);
		return st;
	}
	same = na == nb && ea == eb;
	for (i = 0; same && i < na; i++)
		same = strcmp(a[i].path, b[i].path) == 0 && a[i].kind == b[i].kind &&
		       a[i].sig.ino == b[i].sig.ino && a[i].sig.size == b[i].sig.size &&
		       a[i].sig.mtime_ns == b[i].sig.mtime_ns &&
		       a[i].sig.ctime_ns == b[i].sig.ctime_ns &&
		       a[i].sig_stable == b[i].sig_stable;
	if (!same)
		fprintf(stderr, "line %d: watched %zu files (%zu errors), "
			"fresh %zu (%zu errors)\n", line, na, ea, nb, eb);
	CHECK(same);
	content_scan_files_free(a, na);
	content_scan_files_free(b, nb);
	return st;
}

#define SAME(w) same_as_fresh((w), __LINE__)

/* A folder made with a file in it (rel/name): the folder is listed whole
 * once, then an edit of the file is taken from the changes alone. */
static void folder_then_edit(struct content_watch *w, const char *rel,
			     const char *name, int line)
{
	struct content_watch_stats st;
	char p[256], file[200];

	at(p, sizeof(p), rel);
	CHECK(mkdir(p, 0755) == 0);
	snprintf(file, sizeof(file), "%s/%s", rel, name);
	put(file, "---\ntitle: F\n---\nx\n");
	st = same_as_fresh(w, line);
	CHECK(st.whole == 1);
	put(file, "---\ntitle: F2\n---\nchanged below\n");
	st = same_as_fresh(w, line);
	CHECK(st.whole == 0 && st.stats == 1);
}

/* With no descriptor left, inotify cannot be had: the open fails, and
 * closes nothing it did not open (it once closed descriptor 0). */
static void test_no_inotify(void)
{
	struct content_watch *w = (struct content_watch *)&w;
	struct rlimit old, none;
	int lowest = dup(0);

	CHECK(lowest > 0 && getrlimit(RLIMIT_NOFILE, &old) == 0);
	if (lowest <= 0)
		return;
	close(lowest);
	none = old;
	none.rlim_cur = (rlim_t)lowest; /* descriptors 0..lowest-1 only */
	CHECK(setrlimit(RLIMIT_NOFILE, &none) == 0);
	CHECK(content_watch_open(root, &w) == QUIRE_EIO && w == NULL);
	CHECK(setrlimit(RLIMIT_NOFILE, &old) == 0);
	CHECK(fcntl(0, F_GETFD) != -1);
}

int main(void)
{
	struct content_watch *w = NULL;
	struct content_watch_stats st;
	char p[256], q[256];
	int i;

	snprintf(root, sizeof(root), "/tmp/quire-watch-XXXXXX");
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	at(p, sizeof(p), "posts");
	CHECK(mkdir(p, 0755) == 0);
	for (i = 0; i < 50; i++) {
		char rel[64];

		snprintf(rel, sizeof(rel), "posts/p%02d.md", i);
		put(rel, "---\ntitle: A\n---\nbody\n");
	}
	test_no_inotify();
	CHECK(content_watch_open(root, &w) == QUIRE_OK);
	if (!w)
		return check_done("test_content_watch");

	/* first: whole */
	st = SAME(w);
	CHECK(st.whole == 1);
	/* nothing changed: not a stat */
	st = SAME(w);
	CHECK(st.whole == 0 && st.events == 0 && st.stats == 0);
	/* an edit: that file alone */
	put("posts/p07.md", "---\ntitle: B\n---\nlonger body now\n");
	st = SAME(w);
	CHECK(st.whole == 0 && st.events > 0 && st.stats == 1);
	/* a new file; a dotfile and a name that is not content, ignored */
	put("posts/new.md", "---\ntitle: N\n---\nx\n");
	put("posts/.new.md.swp", "x");
	put("posts/notes.txt", "x");
	st = SAME(w);
	CHECK(st.whole == 0 && st.stats == 1);
	/* rsync's way: a temporary name, then a rename over the file */
	put("posts/.p03.md.Xy12", "---\ntitle: R\n---\nrenamed in\n");
	at(p, sizeof(p), "posts/.p03.md.Xy12");
	at(q, sizeof(q), "posts/p03.md");
	CHECK(rename(p, q) == 0);
	st = SAME(w);
	CHECK(st.whole == 0 && st.stats == 1);
	/* a rename to a name that is not content takes the file out */
	at(p, sizeof(p), "posts/p04.md");
	at(q, sizeof(q), "posts/p04.md.bak");
	CHECK(rename(p, q) == 0);
	st = SAME(w);
	CHECK(st.whole == 0 && st.stats == 1);
	/* a removal */
	at(p, sizeof(p), "posts/p05.md");
	CHECK(unlink(p) == 0);
	st = SAME(w);
	CHECK(st.whole == 0 && st.stats == 1);
	/* a file made and removed between two listings: not listed */
	put("posts/brief.md", "x");
	at(p, sizeof(p), "posts/brief.md");
	CHECK(unlink(p) == 0);
	st = SAME(w);
	CHECK(st.whole == 0);
	/* a new folder of posts: listed whole once, then watched too */
	folder_then_edit(w, "posts/2026", "deep.md", __LINE__);
	/* a folder of pages coming into being, and Hugo's content/posts */
	folder_then_edit(w, "pages", "about.md", __LINE__);
	at(p, sizeof(p), "content");
	CHECK(mkdir(p, 0755) == 0);
	st = SAME(w);
	CHECK(st.whole == 1); /* content/ is now watched, for content/posts */
	at(p, sizeof(p), "content/posts");
	CHECK(mkdir(p, 0755) == 0);
	put("content/posts/hugo.md", "---\ntitle: H\n---\nx\n");
	st = SAME(w);
	CHECK(st.whole == 1);
	/* a symbolic link: listed whole at every deploy while it is there */
	at(p, sizeof(p), "posts/p10.md");
	at(q, sizeof(q), "posts/link.md");
	CHECK(symlink(p, q) == 0);
	st = SAME(w);
	CHECK(st.whole == 1);
	put("posts/p10.md", "---\ntitle: via link\n---\nx\n");
	st = SAME(w);
	CHECK(st.whole == 1);
	CHECK(unlink(q) == 0);
	st = SAME(w);
	CHECK(st.whole == 1);
	st = SAME(w);
	CHECK(st.whole == 0 && st.events == 0);
	/* a folder removed with what it held */
	at(p, sizeof(p), "posts/2026/deep.md");
	CHECK(unlink(p) == 0);
	at(p, sizeof(p), "posts/2026");
	CHECK(rmdir(p) == 0);
	st = SAME(w);
	CHECK(st.whole == 1);

	content_watch_close(w);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
		CHECK(system(cmd) == 0);
	}
	return check_done("test_content_watch");
}
