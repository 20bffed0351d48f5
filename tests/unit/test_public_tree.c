/*
 * test_public_tree.c - publishing static/ and page bundles' files: the
 * names and paths refused, the bounds at their edges, the switch of the
 * link, files removed, unchanged ones linked, a folder never replaced;
 * and the URL folder of a post's files (content_files_url)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* mkdtemp */
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "tmpsite.h"
#include "content/content.h"
#include "content/public_tree.h"
#include "content/siteconf.h"
#include "lib/limits.h"
#include "lib/quire.h"

static char root[256], pub[300];

static void mk(const char *rel)
{
	char p[2048];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	if (mkdir(p, 0755) != 0 && errno != EEXIST) {
		perror(p);
		exit(99);
	}
}

/* Writes text to root/rel (tmpsite_write's buffer is too short for the
 * deep paths here). */
static void wr(const char *rel, const char *text)
{
	char p[2048];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	f = fopen(p, "w");
	if (!f || fputs(text, f) == EOF || fclose(f) != 0) {
		perror(p);
		exit(99);
	}
}

/* Whether PUBLIC/rel exists (a regular file). */
static int published(const char *rel)
{
	char p[2048];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", pub, rel);
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* A sparse file of size bytes at root/rel. */
static void sparse(const char *rel, off_t size)
{
	char p[2048];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd == -1 || ftruncate(fd, size) != 0 || close(fd) != 0) {
		perror(p);
		exit(99);
	}
}

static void test_reserved(void)
{
	CHECK(public_tree_reserved("/feed.xml"));
	CHECK(public_tree_reserved("/feed.json"));
	CHECK(public_tree_reserved("/preview/x"));
	CHECK(public_tree_reserved("/sitemap.xml"));
	CHECK(public_tree_reserved("/healthz"));
	CHECK(public_tree_reserved("/metrics"));
	CHECK(public_tree_reserved("/posts"));
	CHECK(public_tree_reserved("/posts/x"));
	CHECK(public_tree_reserved("/pages/about"));
	CHECK(public_tree_reserved("/static/quire.css"));
	CHECK(public_tree_reserved("/api/posts/x"));
	CHECK(public_tree_reserved("/tags/a/feed.xml"));
	/* quire's archives and author pages: no file may shadow one */
	CHECK(public_tree_reserved("/archives/2024/index.html"));
	CHECK(public_tree_reserved("/archives"));
	CHECK(public_tree_reserved("/authors/bob/feed.xml"));
	CHECK(public_tree_reserved("/categories/c"));
	CHECK(public_tree_reserved("relative.txt"));
	CHECK(!public_tree_reserved("/posts/x/cover.jpg"));
	CHECK(!public_tree_reserved("/images/a.png"));
	CHECK(!public_tree_reserved("/robots.txt"));
	CHECK(!public_tree_reserved("/feed.xml.bak"));
	CHECK(!public_tree_reserved("/postsx/y"));
	CHECK(!public_tree_reserved("/staticx.css"));
}

static void test_names(void)
{
	char name[300];

	CHECK(public_tree_name_refused(".hidden") != NULL);
	CHECK(public_tree_name_refused("..") != NULL);
	CHECK(public_tree_name_refused("") != NULL);
	CHECK(public_tree_name_refused("a\\b") != NULL);
	CHECK(public_tree_name_refused("a\nb") != NULL);
	CHECK(public_tree_name_refused("a\x7f") != NULL);
	CHECK(public_tree_name_refused("a b.png") == NULL);
	CHECK(public_tree_name_refused("caf\xc3\xa9.png") == NULL);
	memset(name, 'a', 255);
	name[255] = '\0';
	CHECK(public_tree_name_refused(name) == NULL);
	name[255] = 'a';
	name[256] = '\0';
	CHECK(public_tree_name_refused(name) != NULL);
}

static void test_files_url(void)
{
	struct post p;
	char out[64];

	CHECK(content_files_url("/posts/x", out, sizeof(out)) == QUIRE_OK);
	CHECK_STR(out, "/posts/x/");
	CHECK(content_files_url("/2016/10/slug/", out, sizeof(out)) == QUIRE_OK);
	CHECK_STR(out, "/2016/10/slug/");
	CHECK(content_files_url("/2016/10/20/slug.html", out, sizeof(out)) == QUIRE_OK);
	CHECK_STR(out, "/2016/10/20/");
	CHECK(content_files_url("/posts/x", out, 9) == QUIRE_ETOOBIG);
	CHECK(content_files_url("/posts/x", out, 10) == QUIRE_OK);
	memset(&p, 0, sizeof(p));
	p.kind = POST_KIND_POST;
	p.slug = (char *)"My-Post";
	p.date = 1476921600; /* 2016-10-20 */
	p.has_date = 1;
	CHECK(content_bundle_url(&p, NULL, NULL, out, sizeof(out)) == QUIRE_OK);
	CHECK_STR(out, "/posts/My-Post/");
	/* the post's configured URL: .html keeps its folder, / is under it */
	CHECK(content_bundle_url(&p, NULL, "/:year/:month/:day/:slug.html", out,
				 sizeof(out)) == QUIRE_OK);
	CHECK_STR(out, "/2016/10/20/");
	CHECK(content_bundle_url(&p, "Other", "/:year/:slug/", out,
				 sizeof(out)) == QUIRE_OK);
	CHECK_STR(out, "/2016/Other/");
}

/* A post's bundle via public_bundles_add(), the post made from path. */
static enum quire_err add(struct public_bundles *bs, const char *path,
			  const char *slug, const struct siteconf *conf)
{
	struct post p;

	memset(&p, 0, sizeof(p));
	p.kind = POST_KIND_POST;
	p.path = (char *)path;
	p.slug = (char *)slug;
	p.date = 1476921600; /* 2016-10-20 */
	p.has_date = 1;
	return public_bundles_add(bs, &p, conf);
}

/* A static file on a post's configured URL (or one of its redirects'
 * forms) is refused: it would answer instead of the post. */
static void test_taken(void)
{
	static const char yaml[] =
		"permalinks:\n  posts: /:year/:month/:day/:slug.html\n";
	struct public_bundles bs = { 0 };
	struct public_stats st;
	struct parse_error err;
	struct siteconf *conf = NULL;
	char path[2048];

	tmpsite_make(root, sizeof(root), "taken");
	mk("site");
	mk("site/static");
	mk("site/static/2016");
	mk("site/static/2016/10");
	mk("site/static/2016/10/20");
	wr("site/static/2016/10/20/trip.html", "shadow\n");
	wr("site/static/2016/10/20/trip", "shadow\n");
	wr("site/static/2016/10/20/ok.png", "png\n");
	CHECK(siteconf_parse(yaml, strlen(yaml), &conf, &err) == QUIRE_OK);
	snprintf(path, sizeof(path), "%s/site/posts/2016-10-20-trip.md", root);
	CHECK(add(&bs, path, "trip", conf) == QUIRE_OK);
	CHECK(bs.n == 0 && bs.n_taken == 1);
	snprintf(path, sizeof(path), "%s/site", root);
	CHECK(public_tree_check(path, &bs, &st) == QUIRE_OK);
	CHECK(st.refused == 2);
	CHECK(st.files == 1);
	public_bundles_release(&bs);
	siteconf_free(conf);
	tmpsite_remove(root);
}

static void test_publish(void)
{
	struct public_bundles bs = { 0 };
	struct public_stats st;
	char path[2048], deep[1200], link1[256], link2[256];
	size_t i;
	ssize_t n;

	tmpsite_make(root, sizeof(root), "public");
	snprintf(pub, sizeof(pub), "%s/public", root);
	mk("site");
	mk("site/static");
	mk("site/static/images");
	mk("site/posts");
	mk("site/posts/b");
	mk("site/posts/b/img");
	mk("site/posts/b/other");
	wr("site/static/robots.txt", "robots\n");
	wr("site/static/images/a.png", "png\n");
	wr("site/static/.hidden", "no\n");
	wr("site/static/feed.xml", "not quire's\n");
	/* a file where the bundle needs its folder img/: refused, not fatal */
	mk("site/static/posts");
	mk("site/static/posts/b");
	wr("site/static/posts/b/img", "a file\n");
	wr("site/posts/b/index.md", "---\ntitle: B\n---\nb\n");
	wr("site/posts/b/cover.jpg", "jpg\n");
	wr("site/posts/b/notes.md", "a post of its own\n");
	wr("site/posts/b/img/c.png", "c\n");
	wr("site/posts/b/other/index.md", "---\ntitle: O\n---\n");
	wr("site/posts/b/other/o.png", "o\n");
	snprintf(path, sizeof(path), "%s/site/static/passwd", root);
	CHECK(symlink("/etc/passwd", path) == 0);
	snprintf(path, sizeof(path), "%s/site/static/inside.txt", root);
	CHECK(symlink("robots.txt", path) == 0);
	/* bounds: a file at QUIRE_MAX_PUBLIC_FILE and one byte over */
	sparse("site/static/at-limit.bin", QUIRE_MAX_PUBLIC_FILE);
	sparse("site/static/over-limit.bin", (off_t)QUIRE_MAX_PUBLIC_FILE + 1);
	/* a URL path of QUIRE_MAX_PUBLIC_PATH bytes and one over: "/" and
	 * four folders of 200 bytes and '/' (805), then the name */
	snprintf(deep, sizeof(deep), "site/static");
	for (i = 0; i < 4; i++) {
		strcat(deep, "/");
		memset(deep + strlen(deep) + 200, 0, 1);
		memset(deep + strlen(deep), 'd', 200);
		mk(deep);
	}
	snprintf(path, sizeof(path), "%s/%0*d", deep,
		 QUIRE_MAX_PUBLIC_PATH - 805, 0);
	wr(path, "at\n");
	snprintf(path, sizeof(path), "%s/%0*d", deep,
		 QUIRE_MAX_PUBLIC_PATH - 805 + 1, 1);
	wr(path, "over\n");

	snprintf(path, sizeof(path), "%s/site/posts/b/index.md", root);
	CHECK(add(&bs, path, "b", NULL) == QUIRE_OK);
	snprintf(path, sizeof(path), "%s/site/posts/b/notes.md", root);
	CHECK(add(&bs, path, "notes", NULL) == QUIRE_OK);
	CHECK(bs.n == 1);
	/* a check writes nothing, and refuses the same (but the clash of
	 * a file and a folder, which only the writing finds) */
	snprintf(path, sizeof(path), "%s/site", root);
	CHECK(public_tree_check(path, &bs, &st) == QUIRE_OK);
	CHECK(st.refused == 5);
	CHECK(access(pub, F_OK) != 0);
	snprintf(path, sizeof(path), "%s/site", root);
	CHECK(public_tree_publish(path, pub, &bs, &st) == QUIRE_OK);
	CHECK(published("robots.txt"));
	CHECK(published("images/a.png"));
	CHECK(published("inside.txt"));
	CHECK(published("posts/b/cover.jpg"));
	CHECK(published("posts/b/img"));
	CHECK(!published("posts/b/img/c.png"));
	CHECK(published("at-limit.bin"));
	CHECK(!published("over-limit.bin"));
	CHECK(!published(".hidden"));
	CHECK(!published("passwd"));
	CHECK(!published("feed.xml"));
	CHECK(!published("posts/b/index.md"));
	CHECK(!published("posts/b/notes.md"));
	CHECK(!published("posts/b/other/o.png"));
	snprintf(path, sizeof(path), "%s/%0*d", deep + strlen("site/static/"),
		 QUIRE_MAX_PUBLIC_PATH - 805, 0);
	CHECK(published(path));
	snprintf(path, sizeof(path), "%s/%0*d", deep + strlen("site/static/"),
		 QUIRE_MAX_PUBLIC_PATH - 805 + 1, 1);
	CHECK(!published(path));
	/* .hidden, passwd, feed.xml, over-limit, over-path, img/c.png */
	CHECK(st.refused == 6);
	CHECK(st.linked == 0);
	n = readlink(pub, link1, sizeof(link1) - 1);
	CHECK(n > 0);
	link1[n > 0 ? n : 0] = '\0';

	/* again, a file gone: the rest linked, the old tree removed */
	snprintf(path, sizeof(path), "%s/site/static/images/a.png", root);
	CHECK(unlink(path) == 0);
	snprintf(path, sizeof(path), "%s/site", root);
	CHECK(public_tree_publish(path, pub, &bs, &st) == QUIRE_OK);
	CHECK(!published("images/a.png"));
	CHECK(published("robots.txt"));
	CHECK(st.linked == st.files);
	n = readlink(pub, link2, sizeof(link2) - 1);
	CHECK(n > 0);
	link2[n > 0 ? n : 0] = '\0';
	CHECK(strcmp(link1, link2) != 0);
	snprintf(path, sizeof(path), "%s/%s", root, link1);
	CHECK(access(path, F_OK) != 0);

	/* a folder at the public path is never replaced */
	snprintf(path, sizeof(path), "%s/real", root);
	CHECK(mkdir(path, 0755) == 0);
	snprintf(pub, sizeof(pub), "%s/real", root);
	snprintf(path, sizeof(path), "%s/site", root);
	CHECK(public_tree_publish(path, pub, &bs, &st) == QUIRE_EIO);
	CHECK(!published("robots.txt"));

	public_bundles_release(&bs);
	tmpsite_remove(root);
}

int main(void)
{
	test_reserved();
	test_names();
	test_files_url();
	test_publish();
	test_taken();
	return check_done("test_public_tree");
}
