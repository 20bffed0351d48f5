/*
 * search_query.c - a reader's search query parsed, bounded and written
 * again for FTS5, and what both backends share (search.h)
 *
 * The syntax is websearch_to_tsquery's (what PostgreSQL reads in full
 * mode), so both modes take the same queries: words, "phrases", -word,
 * "or". FTS5's own syntax (NEAR, column filters, '*', '^', bare
 * operators) is never reachable: every word goes out as a quoted string.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/quire.h"
#include "tiers/search_query.h"

static int is_space(char c)
{
	return c == ' ';
}

/* text gets q with controls and tabs as spaces, runs of spaces one,
 * no space at either end. */
static void normalise(const char *q, size_t len, struct search_query *out)
{
	size_t i, o = 0;
	unsigned char c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)q[i];
		if (c < 0x20 || c == 0x7f)
			c = ' ';
		if (c == ' ' && (o == 0 || out->text[o - 1] == ' '))
			continue;
		out->text[o++] = (char)c;
	}
	while (o > 0 && out->text[o - 1] == ' ')
		o--;
	out->text[o] = '\0';
	out->len = o;
}

/* Words of text[off..off+len), split on spaces. */
static size_t count_words(const char *s, size_t len)
{
	size_t i, n = 0;
	int in = 0;

	for (i = 0; i < len; i++) {
		if (is_space(s[i]))
			in = 0;
		else if (!in) {
			in = 1;
			n++;
		}
	}
	return n;
}

static int is_or(const char *s, size_t len)
{
	return len == 2 && (s[0] == 'o' || s[0] == 'O') &&
	       (s[1] == 'r' || s[1] == 'R');
}

enum search_verdict search_query_parse(const char *q, size_t len,
				       struct search_query *out)
{
	struct search_item it;
	size_t i = 0, words = 0, start, w;
	int pending_or = 0;
	const char *t;

	memset(out, 0, sizeof(*out));
	if (len > SEARCH_MAX_QUERY)
		return SEARCH_TOO_LONG;
	normalise(q, len, out);
	t = out->text;
	while (i < out->len) {
		if (is_space(t[i])) {
			i++;
			continue;
		}
		memset(&it, 0, sizeof(it));
		if (t[i] == '-' && i + 1 < out->len && !is_space(t[i + 1])) {
			it.negated = 1;
			i++;
		}
		if (t[i] == '"') {
			start = ++i;
			while (i < out->len && t[i] != '"')
				i++;
			it.off = start;
			it.len = i - start;
			it.phrase = 1;
			if (i < out->len)
				i++; /* the closing quote */
		} else {
			start = i;
			while (i < out->len && !is_space(t[i]) && t[i] != '"')
				i++;
			it.off = start;
			it.len = i - start;
			if (!it.negated && is_or(t + start, it.len)) {
				pending_or = out->n > 0;
				continue;
			}
			if (!it.negated && it.len == 1 && t[start] == '-')
				continue; /* a minus with nothing after it */
		}
		w = count_words(t + it.off, it.len);
		if (w == 0)
			continue; /* "" or a lone '-' */
		words += w;
		if (words > SEARCH_MAX_TERMS || out->n >= SEARCH_MAX_TERMS)
			return SEARCH_TOO_MANY;
		it.or_before = pending_or && !it.negated && out->n_positive > 0;
		pending_or = 0;
		out->items[out->n++] = it;
		if (!it.negated)
			out->n_positive++;
	}
	return out->n_positive ? SEARCH_OK : SEARCH_EMPTY;
}

/* One item as an FTS5 string: quoted, '"' doubled, spaces as they are
 * (FTS5 tokenizes the string: a phrase). */
static void fts5_string(struct buf *out, const char *s, size_t len)
{
	size_t i;

	buf_putc(out, '"');
	for (i = 0; i < len; i++) {
		if (s[i] == '"')
			buf_putc(out, '"');
		buf_putc(out, s[i]);
	}
	buf_putc(out, '"');
}

enum quire_err search_query_fts5(const struct search_query *q, struct buf *out)
{
	size_t i, first = 1;
	const struct search_item *it;

	if (!q->n_positive)
		return QUIRE_EINVAL;
	buf_putc(out, '(');
	for (i = 0; i < q->n; i++) {
		it = &q->items[i];
		if (it->negated)
			continue;
		if (!first)
			buf_puts(out, it->or_before ? " OR " : " AND ");
		first = 0;
		fts5_string(out, q->text + it->off, it->len);
	}
	buf_putc(out, ')');
	for (i = 0; i < q->n; i++) {
		it = &q->items[i];
		if (!it->negated)
			continue;
		buf_puts(out, " NOT ");
		fts5_string(out, q->text + it->off, it->len);
	}
	return buf_failed(out) ? QUIRE_ENOMEM : QUIRE_OK;
}

long search_form_decode(const char *v, size_t vlen, char *out, size_t outsz)
{
	size_t i, o = 0;
	int hi, lo;
	char c;

	for (i = 0; i < vlen; i++) {
		c = v[i];
		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			if (i + 2 >= vlen)
				return -1;
			if ((hi = quire_hex_digit(v[i + 1])) < 0 ||
			    (lo = quire_hex_digit(v[i + 2])) < 0)
				return -1;
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		if (o + 1 >= outsz)
			return -1;
		out[o++] = c;
	}
	if (outsz == 0)
		return -1;
	out[o] = '\0';
	return (long)o;
}

/* Appends code point cp as UTF-8; a control or what is not a character
 * becomes a space. */
static void put_code_point(struct buf *out, unsigned long cp)
{
	char u[4];

	if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp < 0xe000)) {
		buf_putc(out, ' ');
	} else if (cp < 0x80) {
		buf_putc(out, (char)cp);
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		buf_append(out, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		buf_append(out, u, 3);
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		buf_append(out, u, 4);
	}
}

/* The entity at s ('&'); returns the bytes it took, 0 if it is none
 * (the '&' is then text). */
static size_t entity(struct buf *out, const char *s)
{
	static const struct { const char *name; unsigned long cp; } named[] = {
		{ "amp;", '&' }, { "lt;", '<' }, { "gt;", '>' },
		{ "quot;", '"' }, { "apos;", '\'' }, { "nbsp;", ' ' },
	};
	unsigned long cp = 0;
	size_t i, n;

	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		n = strlen(named[i].name);
		if (strncmp(s + 1, named[i].name, n) == 0) {
			put_code_point(out, named[i].cp);
			return n + 1;
		}
	}
	if (s[1] != '#')
		return 0;
	if (s[2] == 'x' || s[2] == 'X') {
		for (i = 3; i < 11 && quire_hex_digit(s[i]) >= 0; i++)
			cp = cp * 16 + (unsigned long)quire_hex_digit(s[i]);
		if (i == 3 || s[i] != ';')
			return 0;
	} else {
		for (i = 2; i < 10 && s[i] >= '0' && s[i] <= '9'; i++)
			cp = cp * 10 + (unsigned long)(s[i] - '0');
		if (i == 2 || s[i] != ';')
			return 0;
	}
	put_code_point(out, cp);
	return i + 1;
}

/*
 * Whether the tag at s ('<') opens or closes an inline element: text on
 * either side of it is one word ("<strong>pinned</strong>:", a
 * highlighted "<span>f</span>()"), where a block's tag, or <br>, parts
 * words.
 */
static int inline_tag(const char *s)
{
	static const char *const names[] = {
		"a", "abbr", "b", "cite", "code", "del", "dfn", "em", "i",
		"ins", "kbd", "mark", "q", "s", "samp", "small", "span",
		"strong", "sub", "sup", "time", "u", "var", NULL,
	};
	char name[8];
	size_t n = 0, i;

	s += s[1] == '/' ? 2 : 1;
	while (n < sizeof(name) - 1 &&
	       ((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z'))) {
		name[n] = (char)(s[n] | 0x20);
		n++;
	}
	name[n] = '\0';
	if (!n || ((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') ||
		   (s[n] >= '0' && s[n] <= '9')))
		return 0;
	for (i = 0; names[i]; i++)
		if (strcmp(names[i], name) == 0)
			return 1;
	return 0;
}

void search_html_text(struct buf *out, const char *html)
{
	const char *p = html, *gt;
	size_t n;

	while (p && *p) {
		if (*p == '<') {
			gt = strchr(p, '>');
			if (!gt)
				break;
			if (!inline_tag(p))
				buf_putc(out, ' ');
			p = gt + 1;
		} else if (*p == '&' && (n = entity(out, p)) > 0) {
			p += n;
		} else {
			buf_putc(out, (unsigned char)*p < 0x20 || *p == 0x7f ?
				  ' ' : *p);
			p++;
		}
	}
}

void search_results_free(struct search_results *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->n; i++) {
		free(r->hits[i].slug);
		free(r->hits[i].title);
		free(r->hits[i].snippet);
	}
	free(r->hits);
	r->hits = NULL;
	r->n = r->total = 0;
	r->more = 0;
}
