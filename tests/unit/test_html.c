/*
 * test_html.c - escaping, the only place that does it
 */
#include <stdio.h>
#include <string.h>

#include "lib/buf.h"
#include "check.h"
#include "content/html.h"

#define FFFD "\xef\xbf\xbd"

/* The characters neither XML 1.0 nor HTML accept in a document, and
 * bytes that are not UTF-8: each is U+FFFD, from html_escape (which
 * escapes markup too) and html_clean (which leaves markup alone). */
static const struct {
	const char *in, *want;
} replaced[] = {
	{ "\x7f", FFFD },                 /* DEL: a control in HTML */
	{ "\xc2\x80", FFFD },             /* C1 controls U+0080..U+009F */
	{ "\xc2\x85", FFFD },
	{ "\xc2\x9f", FFFD },
	{ "\xef\xb7\x90", FFFD },         /* noncharacters U+FDD0..U+FDEF */
	{ "\xef\xb7\xaf", FFFD },
	{ "\xef\xbf\xbe", FFFD },         /* U+FFFE, U+FFFF: XML 1.0 too */
	{ "\xef\xbf\xbf", FFFD },
	{ "\xf0\x9f\xbf\xbe", FFFD },     /* U+1FFFE ... U+10FFFF */
	{ "\xf4\x8f\xbf\xbf", FFFD },
	{ "\xe9", FFFD },                 /* Latin-1, not UTF-8 */
	{ "\xc3", FFFD },                 /* a character cut short */
	{ "\xed\xa0\x80", FFFD FFFD FFFD }, /* a surrogate: not UTF-8 */
	{ "\xc0\xbc", FFFD FFFD },         /* an overlong '<' */
	/* kept: tab, LF, CR, the first and last allowed of each range */
	{ "\t\n\r", "\t\n\r" },
	{ "\xc2\xa0", "\xc2\xa0" },        /* U+00A0 */
	{ "\xef\xb7\x8f\xef\xb7\xb0", "\xef\xb7\x8f\xef\xb7\xb0" }, /* U+FDCF U+FDF0 */
	{ "\xef\xbf\xbd", "\xef\xbf\xbd" },   /* U+FFFD itself */
	{ "\xf0\x9f\x99\x82", "\xf0\x9f\x99\x82" }, /* an emoji */
	{ "\xf4\x8f\xbf\xbd", "\xf4\x8f\xbf\xbd" }, /* U+10FFFD */
	{ "caf\xc3\xa9 \xe6\x97\xa5", "caf\xc3\xa9 \xe6\x97\xa5" },
};

static void test_forbidden(void)
{
	struct buf b = BUF_INIT;
	const char *s;
	char in[8], want[16];
	size_t i;
	int c;

	/* Every C0 control but tab, LF and CR, NUL included (by length). */
	for (c = 0; c < 0x20; c++) {
		in[0] = 'a';
		in[1] = (char)c;
		in[2] = 'b';
		if (c == '\t' || c == '\n' || c == '\r')
			snprintf(want, sizeof(want), "a%cb", c);
		else
			snprintf(want, sizeof(want), "a" FFFD "b");
		buf_reset(&b);
		html_escape(&b, in, 3);
		CHECK(b.len == strlen(want) && memcmp(b.data, want, b.len) == 0);
		buf_reset(&b);
		html_clean(&b, in, 3);
		CHECK(b.len == strlen(want) && memcmp(b.data, want, b.len) == 0);
	}
	for (i = 0; i < sizeof(replaced) / sizeof(replaced[0]); i++) {
		buf_reset(&b);
		html_escape(&b, replaced[i].in, strlen(replaced[i].in));
		CHECK_STR(b.data, replaced[i].want);
		buf_reset(&b);
		html_clean(&b, replaced[i].in, strlen(replaced[i].in));
		CHECK_STR(b.data, replaced[i].want);
	}
	buf_reset(&b);
	s = "Hello\x01World & <\x1b>";
	html_escape(&b, s, strlen(s));
	CHECK_STR(b.data, "Hello" FFFD "World &amp; &lt;" FFFD "&gt;");
	/* html_clean leaves markup as it is: its input is HTML already. */
	buf_reset(&b);
	s = "<p a=\"x\">&amp;\x01</p>\x1b[0m'";
	html_clean(&b, s, strlen(s));
	CHECK_STR(b.data, "<p a=\"x\">&amp;" FFFD "</p>" FFFD "[0m'");
	buf_reset(&b);
	html_clean(&b, "ab\x01" "cd", 2);
	CHECK_STR(b.data, "ab");
	buf_release(&b);
}

static void test_path_encode(void)
{
	struct buf b = BUF_INIT;
	const char *s;

	/* What RFC 3986 allows in a path stays, '/' included. */
	s = "/a-b_c.d~e/!$&'()*+,;=:@/Z9";
	html_path_encode(&b, s, strlen(s));
	CHECK_STR(b.data, s);
	/* Everything else is %XX: what could end the header or the path,
	 * or is not ASCII. */
	buf_reset(&b);
	s = "/tags/a\"b<c>d?e f#g%h\\i[j]k{l}m|n^o`p\r\nX: y/\xc3\xa9\x7f\x01";
	html_path_encode(&b, s, strlen(s));
	CHECK_STR(b.data, "/tags/a%22b%3Cc%3Ed%3Fe%20f%23g%25h%5Ci%5Bj%5Dk%7Bl%7Dm"
		  "%7Cn%5Eo%60p%0D%0AX:%20y/%C3%A9%7F%01");
	buf_reset(&b);
	html_path_encode(&b, "/a\0b", 4);
	CHECK_STR(b.data, "/a%00b");
	buf_release(&b);
}

/* RFC 8259 §7: every C0 control is escaped; JSON allows DEL and the
 * rest as they are. */
static void test_json_controls(void)
{
	struct buf b = BUF_INIT;
	char in[1], want[8];
	int c;

	for (c = 0; c < 0x20; c++) {
		in[0] = (char)c;
		buf_reset(&b);
		html_json_escape(&b, in, 1);
		snprintf(want, sizeof(want), "\\u%04x", c);
		CHECK_STR(b.data, want);
	}
	buf_reset(&b);
	html_json_escape(&b, "\x7f\xc2\x85", 3);
	CHECK_STR(b.data, "\x7f\xc2\x85");
	buf_release(&b);
}

int main(void)
{
	struct buf b = BUF_INIT;
	const char *s = "<a href=\"x\">Tom & Jerry's</a>";

	html_escape(&b, s, strlen(s));
	CHECK_STR(b.data, "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;");
	buf_reset(&b);
	html_escape(&b, "plain", 5);
	CHECK_STR(b.data, "plain");
	buf_reset(&b);
	html_escape(&b, "", 0);
	CHECK_STR(b.data, "");
	buf_reset(&b);
	/* Bytes past len are not read. */
	html_escape(&b, "ab<cd", 2);
	CHECK_STR(b.data, "ab");
	buf_reset(&b);
	html_url_encode(&b, "c++ & go/é", strlen("c++ & go/é"));
	CHECK_STR(b.data, "c%2B%2B%20%26%20go%2F%C3%A9");
	buf_reset(&b);
	html_url_encode(&b, "a-b_c.d~e", 9);
	CHECK_STR(b.data, "a-b_c.d~e");
	buf_reset(&b);
	html_json_escape(&b, "a\"b\\c\n\x01é", strlen("a\"b\\c\n\x01é"));
	CHECK_STR(b.data, "a\\\"b\\\\c\\u000a\\u0001é");
	/* Not UTF-8 (a Latin-1 é, a character cut short, a surrogate): each
	 * bad byte is U+FFFD, so the JSON stays valid. Valid ones pass. */
	buf_reset(&b);
	html_json_escape(&b, "\xe9|\xc3|\xed\xa0\x80|\xf0\x9f\x99\x82", 12);
	CHECK_STR(b.data, "\\ufffd|\\ufffd|\\ufffd\\ufffd\\ufffd|\xf0\x9f\x99\x82");
	buf_release(&b);
	test_forbidden();
	test_path_encode();
	test_json_controls();
	return check_done("test_html");
}
