/*
 * test_jsonfeed.c - the JSON Feed: parsed back by a real JSON parser
 * (python3's json), hostile strings intact
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "content/jsonfeed.h"
#include "content/strlist.h"
#include "lib/buf.h"

/* Checks in python3 what the feed in path must hold; its exit status. */
static const char checker[] =
	"import json, sys\n"
	"d = json.load(open(sys.argv[1], encoding='utf-8'))\n"
	"assert d['version'] == 'https://jsonfeed.org/version/1.1', d\n"
	"assert d['title'] == 'A \"quoted\" \\\\ site\\n', d['title']\n"
	"assert d['home_page_url'] == 'https://ex.test/'\n"
	"assert d['feed_url'] == 'https://ex.test/feed.json'\n"
	"assert d['description'] == 'Desc \\u2028 line'\n"
	"assert d['language'] == 'fr'\n"
	"assert d['authors'] == [{'name': 'Ann'}]\n"
	"a, b = d['items']\n"
	"assert a['id'] == 'https://ex.test/posts/a/' == a['url']\n"
	"assert a['title'] == 'Tab\\there \\ufffd \\ufffd </script>', a['title']\n"
	"assert a['content_html'] == '<p>caf\\u00e9 \\ufffd</p>', a\n"
	"assert a['summary'] == 'S' and 'content_text' not in a\n"
	"assert a['date_published'] == '2024-01-02T03:04:05Z'\n"
	"assert a['date_modified'] == '2024-01-03T00:00:00Z'\n"
	"assert a['tags'] == ['c', 'x\"y']\n"
	"assert a['authors'] == [{'name': 'Bob'}, {'name': 'Eve'}]\n"
	"assert a['image'] == 'https://ex.test/a.png'\n"
	"assert b['summary'] == b['content_text'] == 'Only a summary'\n"
	"assert 'content_html' not in b\n"
	"assert 'image' not in b and 'tags' not in b and 'authors' not in b\n";

static int parses(const struct buf *b)
{
	char path[] = "/tmp/test_jsonfeed.XXXXXX";
	struct buf cmd = BUF_INIT;
	FILE *f;
	int fd = mkstemp(path), rc = -1;

	if (fd < 0)
		return -1;
	f = fdopen(fd, "w");
	if (!f)
		return -1;
	if (fwrite(b->data, 1, b->len, f) != b->len) {
		fclose(f);
		return -1;
	}
	if (fclose(f) != 0)
		return -1;
	/* The program through a here-document: no quoting of it. */
	buf_printf(&cmd, "python3 - %s <<'PY'\n%sPY\n", path, checker);
	if (!buf_failed(&cmd))
		rc = system(cmd.data);
	unlink(path);
	buf_release(&cmd);
	return rc;
}

int main(void)
{
	struct strlist tags = { 0 }, authors = { 0 };
	struct buf b = BUF_INIT;
	struct jsonfeed_head h = {
		.title = "A \"quoted\" \\ site\n",
		.home_page_url = "https://ex.test/",
		.feed_url = "https://ex.test/feed.json",
		.description = "Desc \xe2\x80\xa8 line",
		.language = "fr",
		.author = "Ann",
	};
	struct jsonfeed_item a = {
		.id = "https://ex.test/posts/a/",
		.url = "https://ex.test/posts/a/",
		.title = "Tab\there \x01 \xc2\x85 </script>",
		.content_html = "<p>caf\xc3\xa9 \xe9</p>",
		.summary = "S",
		.date_published = "2024-01-02T03:04:05Z",
		.date_modified = "2024-01-03T00:00:00Z",
		.image = "https://ex.test/a.png",
		.tags = &tags,
		.authors = &authors,
	};
	struct jsonfeed_item s = {
		.id = "https://ex.test/posts/b/",
		.url = "https://ex.test/posts/b/",
		.title = "B",
		.summary = "Only a summary",
		.date_published = "2024-01-01T00:00:00Z",
		.date_modified = "2024-01-01T00:00:00Z",
	};

	CHECK(strlist_add(&tags, "c") == 0);
	CHECK(strlist_add(&tags, "x\"y") == 0);
	CHECK(strlist_add(&authors, "Bob") == 0);
	CHECK(strlist_add(&authors, "Eve") == 0);
	jsonfeed_begin(&b, &h);
	jsonfeed_item(&b, &a, 1);
	jsonfeed_item(&b, &s, 0);
	jsonfeed_end(&b);
	CHECK(!buf_failed(&b));
	CHECK(parses(&b) == 0);

	/* No items is an empty list, still a feed. */
	buf_reset(&b);
	jsonfeed_begin(&b, &h);
	jsonfeed_end(&b);
	CHECK(!buf_failed(&b));
	CHECK_CONTAINS(b.data, "\"items\":[]");
	buf_release(&b);
	strlist_release(&tags);
	strlist_release(&authors);
	return check_done("test_jsonfeed");
}
