/*
 * test_html.c - escaping, the only place that does it
 */
#include <string.h>

#include "lib/buf.h"
#include "check.h"
#include "content/html.h"

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
	return check_done("test_html");
}
