/*
 * test_import_wxr.c - the WordPress importer: autop, and what it writes
 * read back by quire's own loader (titles, slugs, terms as exported)
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "content/content.h"
#include "content/import_wxr.h"
#include "content/markdown.h"
#include "lib/log.h"

static void autop(const char *in, const char *want)
{
	char *got = import_wxr_autop(in);

	CHECK_STR(got, want);
	free(got);
}

static void test_autop(void)
{
	autop("one", "<p>one</p>\n");
	autop("a\nb\n\nc", "<p>a<br>\nb</p>\n<p>c</p>\n");
	autop("\n\n  \na <em>x</em>\r\n\r\n\tb\n\n\n", "<p>a <em>x</em></p>\n<p>\tb</p>\n");
	autop("", "");
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static const char export_text[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"\n"
	" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"\n"
	" xmlns:wp=\"http://wordpress.org/export/1.2/\">\n"
	"<channel><title>T</title><link>http://ex.org/blog</link>\n"
	"<wp:wxr_version>1.2</wp:wxr_version>\n"
	"<item><title>Say \"hi\" \\ there&#x2028;&#x85;now</title>\n"
	"<link>http://ex.org/blog/2020/01/say-hi/</link>\n"
	"<dc:creator>a:b</dc:creator>\n"
	"<content:encoded><![CDATA[body]]></content:encoded>\n"
	"<wp:post_id>7</wp:post_id><wp:post_name>Say-Hi</wp:post_name>\n"
	"<wp:post_date_gmt>2020-01-02 03:04:05</wp:post_date_gmt>\n"
	"<wp:status>publish</wp:status><wp:post_type>post</wp:post_type>\n"
	"<category domain=\"post_tag\">a, b: c</category></item>\n"
	"<item><title>Twin</title><wp:post_id>8</wp:post_id>\n"
	"<wp:post_name>say-hi</wp:post_name><wp:status>draft</wp:status>\n"
	"<wp:post_type>page</wp:post_type></item>\n"
	"</channel></rss>\n";

/* An export imported, then loaded as quire loads a folder: what the
 * frontmatter was written as must come back as the export said it. */
static void test_round_trip(void)
{
	char dir[] = "/tmp/quire-test-wxr.XXXXXX", path[256], out[300];
	struct import_wxr_options o;
	struct content *c = NULL;
	const struct post *p;
	FILE *f;
	size_t i;

	if (!mkdtemp(dir))
		return;
	snprintf(path, sizeof(path), "%s/export.xml", dir);
	snprintf(out, sizeof(out), "%s/site", dir);
	f = fopen(path, "w");
	if (!f)
		return;
	fputs(export_text, f);
	fclose(f);
	o.export_path = path;
	o.out_dir = out;
	o.media_dir = NULL;
	CHECK(import_wxr(&o) == QUIRE_OK);
	CHECK(content_load(out, NULL, NULL, &c) == QUIRE_OK);
	CHECK(c && c->n == 2 && c->n_errors == 0);
	for (i = 0, p = NULL; c && i < c->n; i++)
		if (strcmp(c->posts[i]->slug, "Say-Hi") == 0)
			p = c->posts[i];
	CHECK(p != NULL);
	if (p) {
		CHECK_STR(p->title, "Say \"hi\" \\ there\xe2\x80\xa8\xc2\x85now");
		CHECK(p->authors.n == 1);
		CHECK_STR(p->authors.n ? p->authors.v[0] : NULL, "a:b");
		CHECK(p->tags.n == 1);
		CHECK_STR(p->tags.n ? p->tags.v[0] : NULL, "a, b: c");
		CHECK(p->date == 1577934245);
		CHECK(p->aliases.n == 2);
		CHECK_STR(p->aliases.n > 1 ? p->aliases.v[1] : NULL, "/blog/?p=7");
	}
	/* the second item's slug differs only in case: made unique */
	for (i = 0, p = NULL; c && i < c->n; i++)
		if (strcmp(c->posts[i]->slug, "say-hi-8") == 0)
			p = c->posts[i];
	CHECK(p != NULL && p->draft && p->kind == POST_KIND_PAGE);
	content_free(c);
	(void)nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
	log_set_report("", fopen("/dev/null", "w"));
	markdown_init();
	test_autop();
	test_round_trip();
	return check_done("test_import_wxr");
}
