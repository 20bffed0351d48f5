/*
 * fuzz_markdown.c - markdown_render without options, then with a table
 * of contents, a footnote prefix and raw HTML kept; what it accepts
 * holds no character that XML 1.0 or HTML forbids (a control character
 * in a body made every feed that carried it not XML); and the input as
 * a title (markdown_title), whose HTML has no tag but the inline ones;
 * and with a bundle's base (markdown_render_at), no relative link or
 * image URL left
 */
#include <stdlib.h>
#include <string.h>

#include "content/markdown.h"
#include "lib/quire.h"
#include "fuzz.h"

/* Aborts when s has a C0 control but tab, LF, CR; DEL or a C1 control;
 * a noncharacter; or a byte that is not UTF-8. Apart from html.c, so
 * the target does not trust what it checks. */
static void check_clean(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned long cp;
	size_t i = 0, n, k;

	while (s && s[i]) {
		if (s[i] < 0x80) {
			if ((s[i] < 0x20 && s[i] != '\t' && s[i] != '\n' &&
			     s[i] != '\r') || s[i] == 0x7f)
				abort();
			i++;
			continue;
		}
		n = s[i] >= 0xf0 ? 4 : s[i] >= 0xe0 ? 3 : s[i] >= 0xc0 ? 2 : 0;
		if (n == 0)
			abort();
		cp = s[i] & (0x7f >> n);
		for (k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				abort();
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((cp >= 0x80 && cp <= 0x9f) || (cp >= 0xfdd0 && cp <= 0xfdef) ||
		    (cp & 0xfffe) == 0xfffe)
			abort();
		i += n;
	}
}

/* Aborts unless every '<' in html opens one of the tags a title may
 * have: no raw HTML, no link, whatever the title said. */
static void check_title_tags(const char *html)
{
	static const char *const ok[] = {
		"<code>", "</code>", "<em>", "</em>", "<strong>", "</strong>",
	};
	const char *p;
	size_t i;

	for (p = strchr(html, '<'); p; p = strchr(p + 1, '<')) {
		for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
			if (strncmp(p, ok[i], strlen(ok[i])) == 0)
				break;
		if (i == sizeof(ok) / sizeof(ok[0]))
			abort();
	}
}

static void fuzz_title(const uint8_t *data, size_t size)
{
	char *title = fuzz_strndup(data, size), *html = NULL, *text = NULL;

	if (!title)
		return;
	if (markdown_title(title, &html, &text) == QUIRE_OK) {
		if (!html || !text)
			abort();
		check_clean(html);
		check_title_tags(html);
	}
	free(html);
	free(text);
	free(title);
}

/* Aborts when an href or src value in html is still relative: with a
 * base, every link and image is under it, absolute, or a fragment. The
 * attributes are walked tag by tag, name="value" by name="value" (a
 * value holds no '"': html.c escapes it), so text that reads ' src="'
 * inside another attribute's value (a title) is not taken for one. */
static void check_rebased(const char *html)
{
	const char *p, *name, *eq, *end;
	char *v;
	size_t n;

	for (p = strchr(html, '<'); p; p = strchr(p, '<')) {
		p++;
		while (*p && *p != '>' && *p != ' ')
			p++;
		while (*p == ' ') {
			name = ++p;
			eq = strchr(name, '=');
			if (!eq || eq[1] != '"')
				break; /* "/>" or a value-less attribute */
			end = strchr(eq + 2, '"');
			if (!end)
				abort();
			n = (size_t)(eq - name);
			if ((n == 4 && strncmp(name, "href", 4) == 0) ||
			    (n == 3 && strncmp(name, "src", 3) == 0)) {
				v = strndup(eq + 2, (size_t)(end - eq - 2));
				if (!v)
					abort();
				if (markdown_url_relative(v))
					abort();
				free(v);
			}
			p = end + 1;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct markdown_out out;
	struct parse_error err;

	if (!ready) {
		markdown_init();
		ready = 1;
	}
	memset(&out, 0, sizeof(out));
	if (markdown_render((const char *)data, size, 0, NULL, &out, &err) ==
	    QUIRE_OK)
		check_clean(out.html);
	markdown_out_release(&out);
	memset(&out, 0, sizeof(out));
	if (markdown_render((const char *)data, size,
			    MARKDOWN_TOC | MARKDOWN_UNSAFE, "fz", &out, &err) ==
	    QUIRE_OK) {
		check_clean(out.html);
		check_clean(out.toc_html);
	}
	markdown_out_release(&out);
	memset(&out, 0, sizeof(out));
	if (markdown_render_at((const char *)data, size, 0, NULL, "/posts/fz/",
			       &out, &err) == QUIRE_OK) {
		check_clean(out.html);
		check_rebased(out.html);
	}
	markdown_out_release(&out);
	fuzz_title(data, size);
	return 0;
}
