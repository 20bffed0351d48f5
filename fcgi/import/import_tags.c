/*
 * import_tags.c - the template tags real posts contain, turned into
 * Markdown
 *
 * A scan, not a template engine: text is copied as it is until a tag
 * opens ("{%", "{{" for Liquid; "{{<", "{{%" for Hugo); a tag closed
 * within QUIRE_IMPORT_MAX_TAG bytes is read, translated when it is one
 * of the few real posts contain, else reported and copied as it was. An
 * opener with no closer is text (Liquid would have refused the file;
 * what was published then showed nothing of it). A code block becomes a
 * fence longer than any run of backticks inside it, so no code can close
 * it early.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import/import_tags.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/quire.h"

/* The longest tag read: a longer "{% ... %}" is text. */
#define IMPORT_MAX_TAG 4096
/* Arguments read of one shortcode. */
#define IMPORT_MAX_ARGS 16

struct scan {
	struct import_tags *t;
	const char *in;
	size_t len;
	unsigned line0;       /* line of in[0] */
	struct buf *out;
};

/* The line of in[off]. */
static unsigned line_at(const struct scan *s, size_t off)
{
	unsigned line = s->line0;
	size_t i;

	for (i = 0; i < off; i++)
		line += s->in[i] == '\n';
	return line;
}

static void report(struct scan *s, size_t off, size_t n, const char *why)
{
	unsigned line = line_at(s, off);
	char shown[128];
	size_t k = n < sizeof(shown) - 4 ? n : sizeof(shown) - 4;
	size_t i;

	memcpy(shown, s->in + off, k);
	for (i = 0; i < k; i++)
		if (shown[i] == '\n' || shown[i] == '\r')
			shown[i] = ' ';
	strcpy(shown + k, k < n ? "..." : "");
	log_report("%s:%u: %s: %s", s->t->path ? s->t->path : "-", line, why, shown);
	s->t->reported++;
	s->t->last_line = line;
}

/* Where needle starts in in[from, to), or to. */
static size_t find(const char *in, size_t from, size_t to, const char *needle)
{
	size_t n = strlen(needle), i;

	for (i = from; i + n <= to; i++)
		if (in[i] == needle[0] && memcmp(in + i, needle, n) == 0)
			return i;
	return to;
}

/* The inner text of a tag, blanks and Liquid's '-' trimmed. */
static void trim(const char **a, const char **b, int dashes)
{
	if (dashes && *a < *b && **a == '-')
		(*a)++;
	if (dashes && *a < *b && (*b)[-1] == '-')
		(*b)--;
	while (*a < *b && isspace((unsigned char)**a))
		(*a)++;
	while (*a < *b && isspace((unsigned char)(*b)[-1]))
		(*b)--;
}

/* The word at *a (up to a blank), advancing past it and the blanks. */
static size_t word(const char **a, const char *b, const char **w)
{
	size_t n = 0;

	*w = *a;
	while (*a < b && !isspace((unsigned char)**a)) {
		(*a)++;
		n++;
	}
	while (*a < b && isspace((unsigned char)**a))
		(*a)++;
	return n;
}

static int is(const char *w, size_t n, const char *name)
{
	return n == strlen(name) && memcmp(w, name, n) == 0;
}

/* How long a fence of backticks must be: longer than any run in code,
 * 3 at least. */
static size_t fence_len(const char *code, size_t n)
{
	size_t i, run = 0, longest = 0;

	for (i = 0; i < n; i++) {
		run = code[i] == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	return longest < 3 ? 3 : longest + 1;
}

static void fence(struct buf *out, size_t n)
{
	while (n--)
		buf_putc(out, '`');
}

static void line_start(struct buf *out)
{
	if (out->len && out->data[out->len - 1] != '\n')
		buf_putc(out, '\n');
}

/* A code block: the fence, the language, code (a first line break
 * after the opening tag dropped) and the fence again. */
static void code_block(struct buf *out, const char *lang, size_t lang_n,
		       const char *code, size_t n)
{
	size_t ticks, k;

	if (n && code[0] == '\n')
		code++, n--;
	else if (n > 1 && code[0] == '\r' && code[1] == '\n')
		code += 2, n -= 2;
	ticks = fence_len(code, n);
	line_start(out);
	fence(out, ticks);
	/* an info string ends at its line: a quoted language could hold a
	 * line break */
	for (k = 0; k < lang_n && lang[k] != '\n' && lang[k] != '\r'; k++)
		;
	buf_append(out, lang, k);
	buf_putc(out, '\n');
	buf_append(out, code, n);
	line_start(out);
	fence(out, ticks);
}

/* ---- Jekyll (Liquid) ---- */

/* The next "{% NAME %}" (blanks and '-' allowed) in in[from, len):
 * where it starts and ends; 0 when there is none. */
static int liquid_find(const struct scan *s, size_t from, const char *name,
		       size_t *start, size_t *end)
{
	size_t i = from, close, n;
	const char *a, *b, *w;

	while ((i = find(s->in, i, s->len, "{%")) < s->len) {
		close = find(s->in, i + 2, s->len, "%}");
		if (close == s->len)
			return 0;
		a = s->in + i + 2;
		b = s->in + close;
		trim(&a, &b, 1);
		n = word(&a, b, &w);
		if (is(w, n, name)) {
			*start = i;
			*end = close + 2;
			return 1;
		}
		i += 2;
	}
	return 0;
}

static void put_url(struct scan *s, size_t off, size_t n, const char *target,
		    size_t target_n)
{
	char name[1024];
	const char *url;

	if (target_n >= sizeof(name) || !s->t->resolve) {
		report(s, off, n, "link to no known post, left as text");
		buf_append(s->out, s->in + off, n);
		return;
	}
	memcpy(name, target, target_n);
	name[target_n] = '\0';
	/* quotes are Liquid's string syntax: {% link "a.md" %} */
	if (target_n >= 2 && (name[0] == '"' || name[0] == '\'') &&
	    name[target_n - 1] == name[0]) {
		memmove(name, name + 1, target_n - 2);
		name[target_n - 2] = '\0';
	}
	if (!(url = s->t->resolve(s->t->arg, name))) {
		report(s, off, n, "link to no known post, left as text");
		buf_append(s->out, s->in + off, n);
		return;
	}
	buf_puts(s->out, url);
}

/* A "{% ... %}" at in[i] closing at close; returns where to go on. */
static size_t liquid_tag(struct scan *s, size_t i, size_t close)
{
	const char *a = s->in + i + 2, *b = s->in + close, *w;
	size_t n, end = close + 2, st, en;

	trim(&a, &b, 1);
	n = word(&a, b, &w);
	if (is(w, n, "raw")) {
		if (!liquid_find(s, end, "endraw", &st, &en)) {
			report(s, i, end - i, "{% raw %} with no {% endraw %}, left as text");
			buf_append(s->out, s->in + i, end - i);
			return end;
		}
		buf_append(s->out, s->in + end, st - end);
		return en;
	}
	if (is(w, n, "highlight")) {
		const char *lang;
		size_t lang_n = word(&a, b, &lang);

		if (!liquid_find(s, end, "endhighlight", &st, &en)) {
			report(s, i, end - i, "{% highlight %} with no "
			       "{% endhighlight %}, left as text");
			buf_append(s->out, s->in + i, end - i);
			return end;
		}
		code_block(s->out, lang, lang_n, s->in + end, st - end);
		return en;
	}
	/* Octopress's {% codeblock [title] lang:L [url] %}: the same block */
	if (is(w, n, "codeblock")) {
		const char *lang = NULL, *arg;
		size_t lang_n = 0, k;

		while (a < b && (k = word(&a, b, &arg)))
			if (k > 5 && memcmp(arg, "lang:", 5) == 0) {
				lang = arg + 5;
				lang_n = k - 5;
			}
		if (!liquid_find(s, end, "endcodeblock", &st, &en)) {
			report(s, i, end - i, "{% codeblock %} with no "
			       "{% endcodeblock %}, left as text");
			buf_append(s->out, s->in + i, end - i);
			return end;
		}
		code_block(s->out, lang ? lang : "", lang_n, s->in + end, st - end);
		return en;
	}
	if (is(w, n, "link") || is(w, n, "post_url")) {
		put_url(s, i, end - i, a, (size_t)(b - a));
		return end;
	}
	report(s, i, end - i, "template tag left as text");
	buf_append(s->out, s->in + i, end - i);
	return end;
}

/* Jekyll's {{ "/path" | relative_url }} (the path: quire serves at its
 * URL's root) and | absolute_url (the site's URL and the path), which
 * posts since Jekyll 3.7 use where older ones wrote site.baseurl. 1 when
 * in[a, b) was one and is written. */
static int url_filter(struct scan *s, const char *a, const char *b)
{
	const char *path, *f;
	char q;
	size_t n;

	if (a >= b || (*a != '"' && *a != '\''))
		return 0;
	q = *a++;
	for (path = a; a < b && *a != q; a++)
		;
	if (a >= b)
		return 0;
	n = (size_t)(a - path);
	for (a++; a < b && isspace((unsigned char)*a); a++)
		;
	if (a >= b || *a != '|')
		return 0;
	for (a++; a < b && isspace((unsigned char)*a); a++)
		;
	f = a;
	if (is(f, (size_t)(b - f), "absolute_url"))
		buf_puts(s->out, s->t->site_url ? s->t->site_url : "");
	else if (!is(f, (size_t)(b - f), "relative_url"))
		return 0;
	if (!n || *path != '/')
		buf_putc(s->out, '/');
	buf_append(s->out, path, n);
	return 1;
}

/* A "{{ ... }}" at in[i] closing at close. */
static size_t liquid_output(struct scan *s, size_t i, size_t close)
{
	const char *a = s->in + i + 2, *b = s->in + close;
	size_t end = close + 2;

	trim(&a, &b, 1);
	if (is(a, (size_t)(b - a), "site.baseurl"))
		return end;  /* quire serves at the root of its URL */
	if (is(a, (size_t)(b - a), "site.url")) {
		buf_puts(s->out, s->t->site_url ? s->t->site_url : "");
		return end;
	}
	if (url_filter(s, a, b))
		return end;
	report(s, i, end - i, "template tag left as text");
	buf_append(s->out, s->in + i, end - i);
	return end;
}

enum quire_err import_tags_jekyll(struct import_tags *t, const char *in,
				  size_t len, unsigned first_line,
				  struct buf *out)
{
	struct scan s = { t, in, len, first_line, out };
	size_t i = 0, j, close, limit;

	while (i < len) {
		for (j = i; j + 1 < len && !(in[j] == '{' && (in[j + 1] == '%' || in[j + 1] == '{')); j++)
			;
		if (j + 1 >= len) {
			buf_append(out, in + i, len - i);
			break;
		}
		buf_append(out, in + i, j - i);
		limit = len - j > IMPORT_MAX_TAG ? j + IMPORT_MAX_TAG : len;
		close = find(in, j + 2, limit, in[j + 1] == '%' ? "%}" : "}}");
		if (close == limit) {
			buf_append(out, in + j, 2);
			i = j + 2;
			continue;
		}
		i = in[j + 1] == '%' ? liquid_tag(&s, j, close) :
		    liquid_output(&s, j, close);
	}
	return buf_failed(out) ? QUIRE_ENOMEM : QUIRE_OK;
}

/* ---- Hugo (shortcodes) ---- */

struct sc_arg {
	const char *key;   /* NULL for a positional argument */
	size_t key_n;
	char *value;       /* unquoted, NUL-terminated, in the arena */
};

struct shortcode {
	const char *name;
	size_t name_n;
	struct sc_arg arg[IMPORT_MAX_ARGS];
	size_t n;
	char arena[IMPORT_MAX_TAG + IMPORT_MAX_ARGS];
};

/* Reads a shortcode's inside (in[a, b)) into sc: a name, then
 * arguments, positional or key=value, bare or quoted ("..." or `...`).
 * Returns 0 when it is not one (an unclosed quote). */
static int sc_parse(const char *a, const char *b, struct shortcode *sc)
{
	size_t used = 0;
	const char *k, *v;

	sc->n = 0;
	sc->name_n = word(&a, b, &sc->name);
	while (a < b && sc->n < IMPORT_MAX_ARGS) {
		struct sc_arg *g = &sc->arg[sc->n];
		char q;

		g->key = NULL;
		g->key_n = 0;
		for (k = a; a < b && (isalnum((unsigned char)*a) || *a == '_' || *a == '-'); a++)
			;
		if (a < b && *a == '=' && a > k) {
			g->key = k;
			g->key_n = (size_t)(a - k);
			a++;
		} else {
			a = k;
		}
		g->value = sc->arena + used;
		if (a < b && (*a == '"' || *a == '`')) {
			q = *a++;
			for (v = a; a < b && *a != q; a++)
				if (q == '"' && *a == '\\' && a + 1 < b)
					a++;
			if (a >= b)
				return 0;
			for (; v < a; v++) {
				if (q == '"' && *v == '\\' && v + 1 < a)
					v++;
				sc->arena[used++] = *v;
			}
			a++;
		} else {
			for (v = a; a < b && !isspace((unsigned char)*a); a++)
				sc->arena[used++] = *a;
		}
		sc->arena[used++] = '\0';
		sc->n++;
		while (a < b && isspace((unsigned char)*a))
			a++;
	}
	return 1;
}

/* The argument named key, or the pos-th positional one; NULL if none. */
static const char *sc_get(const struct shortcode *sc, const char *key, size_t pos)
{
	size_t i, seen = 0;

	for (i = 0; i < sc->n; i++) {
		if (sc->arg[i].key) {
			if (key && is(sc->arg[i].key, sc->arg[i].key_n, key))
				return sc->arg[i].value;
		} else if (seen++ == pos) {
			return sc->arg[i].value;
		}
	}
	return NULL;
}

/* The next "{{< /NAME >}}" (or with '%') from from. */
static int hugo_find_close(const struct scan *s, size_t from, const char *name,
			   size_t *start, size_t *end)
{
	size_t i = from, close;
	const char *a, *b;

	while ((i = find(s->in, i, s->len, "{{")) < s->len) {
		if (i + 2 < s->len && (s->in[i + 2] == '<' || s->in[i + 2] == '%')) {
			close = find(s->in, i + 3, s->len, s->in[i + 2] == '<' ? ">}}" : "%}}");
			if (close == s->len)
				return 0;
			a = s->in + i + 3;
			b = s->in + close;
			trim(&a, &b, 0);
			if (a < b && *a == '/') {
				a++;
				trim(&a, &b, 0);
				if (is(a, (size_t)(b - a), name)) {
					*start = i;
					*end = close + 3;
					return 1;
				}
			}
		}
		i += 2;
	}
	return 0;
}

/* An absolute path or URL as it is; a relative one under t->base. */
static void put_src(struct scan *s, const char *src)
{
	if (s->t->base && *src != '/' && !strstr(src, "://")) {
		buf_puts(s->out, s->t->base);
		if (s->out->len && s->out->data[s->out->len - 1] != '/')
			buf_putc(s->out, '/');
	}
	buf_puts(s->out, src);
}

/* Text in Markdown's link text or emphasis: what would end it escaped. */
static void put_md_text(struct buf *out, const char *s)
{
	for (; *s; s++) {
		if (strchr("\\[]*_`<>", *s))
			buf_putc(out, '\\');
		buf_putc(out, *s == '\n' ? ' ' : *s);
	}
}

static void figure(struct scan *s, const struct shortcode *sc)
{
	const char *src = sc_get(sc, "src", 0), *alt = sc_get(sc, "alt", 99);
	const char *caption = sc_get(sc, "caption", 99), *title = sc_get(sc, "title", 99);

	buf_puts(s->out, "![");
	put_md_text(s->out, alt ? alt : caption ? caption : title ? title : "");
	buf_puts(s->out, "](<");
	put_src(s, src);
	buf_putc(s->out, '>');
	if (title) {
		buf_puts(s->out, " \"");
		for (; *title; title++) {
			if (*title == '"' || *title == '\\')
				buf_putc(s->out, '\\');
			buf_putc(s->out, *title);
		}
		buf_putc(s->out, '"');
	}
	buf_putc(s->out, ')');
	if (caption && *caption) {
		buf_puts(s->out, "\n*");
		put_md_text(s->out, caption);
		buf_putc(s->out, '*');
	}
}

/* A shortcode at in[i], its inside in[i+3, close); returns where to go
 * on. */
static size_t hugo_tag(struct scan *s, size_t i, size_t close)
{
	struct shortcode sc_mem;
	struct shortcode *sc = &sc_mem;
	const char *a = s->in + i + 3, *b = s->in + close, *v;
	size_t end = close + 3, st, en;
	char name[32];

	trim(&a, &b, 0);
	/* A shortcode written with comment markers just inside its brackets
	 * is Hugo's way to show one as text: shown, markers dropped */
	if (b - a >= 4 && a[0] == '/' && a[1] == '*' && b[-1] == '/' && b[-2] == '*') {
		buf_append(s->out, s->in + i, 3);
		buf_putc(s->out, ' ');
		a += 2;
		b -= 2;
		trim(&a, &b, 0);
		buf_append(s->out, a, (size_t)(b - a));
		buf_putc(s->out, ' ');
		buf_append(s->out, s->in + close, 3);
		return end;
	}
	if (!sc_parse(a, b, sc) || sc->name_n >= sizeof(name)) {
		report(s, i, end - i, "shortcode left as text");
		buf_append(s->out, s->in + i, end - i);
		return end;
	}
	memcpy(name, sc->name, sc->name_n);
	name[sc->name_n] = '\0';
	if (strcmp(name, "highlight") == 0) {
		v = sc_get(sc, NULL, 0);
		if (!hugo_find_close(s, end, "highlight", &st, &en)) {
			report(s, i, end - i, "highlight with no closing "
			       "shortcode, left as text");
			buf_append(s->out, s->in + i, end - i);
			return end;
		}
		code_block(s->out, v ? v : "", v ? strlen(v) : 0, s->in + end, st - end);
		return en;
	}
	if (strcmp(name, "figure") == 0 && sc_get(sc, "src", 99)) {
		figure(s, sc);
		return end;
	}
	if ((strcmp(name, "ref") == 0 || strcmp(name, "relref") == 0) &&
	    ((v = sc_get(sc, "path", 99)) || (v = sc_get(sc, NULL, 0)))) {
		char target[1024];
		const char *hash = strchr(v, '#'), *url;
		size_t n = hash ? (size_t)(hash - v) : strlen(v);

		if (n < sizeof(target)) {
			memcpy(target, v, n);
			target[n] = '\0';
			/* "#anchor" alone is this page's own */
			url = n == 0 ? "" : s->t->resolve ? s->t->resolve(s->t->arg, target) : NULL;
			if (url) {
				buf_puts(s->out, url);
				if (hash)
					buf_puts(s->out, hash);
				return end;
			}
		}
		report(s, i, end - i, "reference to no known post, left as text");
		buf_append(s->out, s->in + i, end - i);
		return end;
	}
	report(s, i, end - i, "shortcode left as text");
	buf_append(s->out, s->in + i, end - i);
	return end;
}

enum quire_err import_tags_hugo(struct import_tags *t, const char *in,
				size_t len, unsigned first_line,
				struct buf *out)
{
	struct scan s = { t, in, len, first_line, out };
	size_t i = 0, j, close, limit;

	while (i < len) {
		for (j = i; j + 2 < len && !(in[j] == '{' && in[j + 1] == '{' &&
					     (in[j + 2] == '<' || in[j + 2] == '%')); j++)
			;
		if (j + 2 >= len) {
			buf_append(out, in + i, len - i);
			break;
		}
		buf_append(out, in + i, j - i);
		limit = len - j > IMPORT_MAX_TAG ? j + IMPORT_MAX_TAG : len;
		close = find(in, j + 3, limit, in[j + 2] == '<' ? ">}}" : "%}}");
		if (close == limit) {
			buf_append(out, in + j, 3);
			i = j + 3;
			continue;
		}
		i = hugo_tag(&s, j, close);
	}
	return buf_failed(out) ? QUIRE_ENOMEM : QUIRE_OK;
}
