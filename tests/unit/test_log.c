/*
 * test_log.c - log_escape (log.c): what a client sent, made safe for a
 * log line and the terminal that shows it
 */
#include <string.h>

#include "check.h"
#include "lib/log.h"

int main(void)
{
	char out[64], small[8];

	/* C0 controls, DEL, the quote and the backslash as \xNN */
	CHECK_STR(log_escape("a\x01" "b\"c\\d\x7f\r\n\x1b[2J", out, sizeof(out)),
		  "a\\x01b\\x22c\\x5cd\\x7f\\x0d\\x0a\\x1b[2J");
	/* C1 controls too (CSI is 0x9b): as UTF-8 (U+009B), or as a lone
	 * byte, which an 8-bit terminal reads as one */
	CHECK_STR(log_escape("x\xc2\x9b" "2Jy", out, sizeof(out)),
		  "x\\xc2\\x9b2Jy");
	CHECK_STR(log_escape("x\x9b" "2J\x85", out, sizeof(out)), "x\\x9b2J\\x85");
	/* bytes that are not UTF-8, each */
	CHECK_STR(log_escape("\xff\xc3(\xed\xa0\x80", out, sizeof(out)),
		  "\\xff\\xc3(\\xed\\xa0\\x80");
	/* UTF-8 text stays as it is */
	CHECK_STR(log_escape("caf\xc3\xa9 \xf0\x9f\x99\x82 \xc2\xa0", out, sizeof(out)),
		  "caf\xc3\xa9 \xf0\x9f\x99\x82 \xc2\xa0");
	/* cut short: never inside an escape or a character */
	CHECK_STR(log_escape("abcd\x01", small, sizeof(small)), "abcd");
	CHECK_STR(log_escape("abcde\xf0\x9f\x99\x82", small, sizeof(small)), "abcde");
	CHECK_STR(log_escape("ab\xc3\xa9" "cdef", small, sizeof(small)), "ab\xc3\xa9" "cde");
	CHECK_STR(log_escape(NULL, out, sizeof(out)), "");
	return check_done("test_log");
}
