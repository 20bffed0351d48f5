/*
 * html.c - the only place that escapes text for HTML and XML
 *
 * One rule for both, because the same text goes into pages and feeds:
 * a character that XML 1.0 does not allow in a document, or that HTML
 * calls a parse error, becomes U+FFFD REPLACEMENT CHARACTER, so one post
 * cannot make a shared document (a feed) unreadable for every
 * subscriber. That is (XML 1.0 §2.2 Char, HTML §13.2.3.5, "control" and
 * "noncharacter" in the Infra standard):
 *
 *  - C0 controls but tab, LF and CR (U+0000-U+001F), and DEL with the
 *    C1 controls (U+007F-U+009F): XML forbids the C0 ones, HTML all;
 *  - noncharacters (U+FDD0-U+FDEF and the last two code points of every
 *    plane): XML 1.0 forbids U+FFFE and U+FFFF, HTML all;
 *  - a byte that is not part of valid UTF-8 (surrogates, overlong forms,
 *    a cut sequence): content is checked at load, but a config value or
 *    a decoded URL is not.
 *
 * U+FFFD rather than nothing, as encoding/xml and the HTML parser itself
 * do: the reader sees that something was there.
 */
#include <string.h>

#include "content/html.h"
#include "lib/quire.h"

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD in UTF-8 */

/* A byte below 0x80 that must be replaced: C0 but tab, LF, CR; DEL. */
static int ascii_forbidden(unsigned char c)
{
	return (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f;
}

/* Whether the valid UTF-8 sequence s[0..n), n >= 2, is a C1 control or
 * a noncharacter. */
static int utf8_forbidden(const unsigned char *s, size_t n)
{
	unsigned long cp;
	size_t i;

	cp = s[0] & (0x7f >> n);
	for (i = 1; i < n; i++)
		cp = cp << 6 | (s[i] & 0x3f);
	return cp <= 0x9f || (cp >= 0xfdd0 && cp <= 0xfdef) ||
	       (cp & 0xfffe) == 0xfffe;
}

/*
 * Length of the character at s (s < end), with *bad set when it is
 * written as U+FFFD: a byte that is not UTF-8 counts as one character,
 * so what follows it is read again from the next byte.
 */
static size_t char_at(const unsigned char *s, const unsigned char *end,
		      int *bad)
{
	size_t n;

	if (s[0] < 0x80) {
		*bad = ascii_forbidden(s[0]);
		return 1;
	}
	n = quire_utf8_len(s, end);
	if (n == 0) {
		*bad = 1;
		return 1;
	}
	*bad = utf8_forbidden(s, n);
	return n;
}

/* What the character at s (s < end) is written as, or NULL for itself;
 * *n gets its length. escape: markup characters too. */
static const char *replacement(const unsigned char *s,
			       const unsigned char *end, int escape, size_t *n)
{
	int bad;

	*n = 1;
	if (s[0] >= 0x20 && s[0] < 0x7f) {
		if (!escape)
			return NULL;
		switch (s[0]) {
		case '&': return "&amp;";
		case '<': return "&lt;";
		case '>': return "&gt;";
		case '"': return "&quot;";
		case '\'': return "&#39;";
		default: return NULL;
		}
	}
	*n = char_at(s, end, &bad);
	return bad ? REPLACEMENT : NULL;
}

/* Appends s[0..len), runs of bytes kept as they are appended at once. */
static void put_text(struct buf *out, const char *s, size_t len, int escape)
{
	const unsigned char *u = (const unsigned char *)s;
	const char *rep;
	size_t i = 0, start = 0, n;

	while (i < len) {
		rep = replacement(u + i, u + len, escape, &n);
		if (rep) {
			buf_append(out, s + start, i - start);
			buf_puts(out, rep);
			start = i + n;
		}
		i += n;
	}
	buf_append(out, s + start, len - start);
}

void html_escape(struct buf *out, const char *s, size_t len)
{
	put_text(out, s, len, 1);
}

void html_clean(struct buf *out, const char *s, size_t len)
{
	put_text(out, s, len, 0);
}

/* Writes s with every byte but ASCII letters, digits and those of keep
 * as %XX (RFC 3986 §2.1, upper-case hex). */
static void percent_encode(struct buf *out, const char *s, size_t len,
			   const char *keep)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;
	unsigned char c;
	char esc[3];

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || (c && strchr(keep, c))) {
			buf_putc(out, (char)c);
		} else {
			esc[0] = '%';
			esc[1] = hex[c >> 4];
			esc[2] = hex[c & 15];
			buf_append(out, esc, 3);
		}
	}
}

void html_path_encode(struct buf *out, const char *s, size_t len)
{
	/* RFC 3986 §3.3: pchar (unreserved, sub-delims, ':', '@') and '/' */
	percent_encode(out, s, len, "-._~!$&'()*+,;=:@/");
}

void html_url_encode(struct buf *out, const char *s, size_t len)
{
	/* unreserved only (RFC 3986 §2.3): safe in a query or a path */
	percent_encode(out, s, len, "-._~");
}

void html_json_escape(struct buf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t i, n;
	unsigned char c;
	char esc[6] = { '\\', 'u', '0', '0', 0, 0 };

	for (i = 0; i < len; i++) {
		c = u[i];
		if (c == '"' || c == '\\') {
			buf_putc(out, '\\');
			buf_putc(out, (char)c);
		} else if (c < 0x20) {
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			buf_append(out, esc, 6);
		} else if (c < 0x80) {
			buf_putc(out, (char)c);
		} else if ((n = quire_utf8_len(u + i, u + len)) != 0) {
			buf_append(out, s + i, n);
			i += n - 1;
		} else {
			/* JSON is UTF-8 (RFC 8259 §8.1): a byte that is not,
			 * such as a message cut inside a character, is U+FFFD */
			buf_puts(out, "\\ufffd");
		}
	}
}
