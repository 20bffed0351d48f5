/*
 * html_sanitize.c - HTML from any source, cut down to an allowlist
 *
 * libxml2's HTML parser builds the tree (recovering from malformed
 * markup much as a browser does: unclosed elements closed, stray end
 * tags dropped, entities decoded); the walk below writes back only what
 * the allowlist names, escaping every text and attribute value with
 * html.c, so nothing the input spelled cleverly (entities in a URL,
 * upper case, tabs inside "javascript:") reaches the page as markup.
 * The walk is iterative: nesting costs no stack. Each kept table and
 * pre goes into the box markdown.c puts round a Markdown body's (a
 * keyboard-reachable div.scroll, "Table N" or "Code N"), so an HTML
 * body's wide table scrolls on a phone as a Markdown one does.
 */
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "content/html.h"
#include "content/html_sanitize.h"
#include "lib/buf.h"
#include "lib/limits.h"

/* Deeper than this, elements are unwrapped (their text kept): no real
 * post nests so deep, and a browser's own limits start near here. */
#define SANITIZE_MAX_DEPTH 128

enum action { KEEP, UNWRAP, DROP };

/* Attributes every kept element may carry. */
static const char *const global_attrs[] = { "title", "class", "id", "lang",
					    "dir", NULL };

static const struct element {
	const char *name;
	int is_void;                  /* no end tag, no contents */
	const char *const attrs[6];   /* beyond global_attrs, NULL-ended */
} elements[] = {
	{ "a", 0, { "href", "rel", "name", NULL } },
	{ "abbr", 0, { NULL } },
	{ "b", 0, { NULL } },
	{ "blockquote", 0, { "cite", NULL } },
	{ "br", 1, { NULL } },
	{ "caption", 0, { NULL } },
	{ "cite", 0, { NULL } },
	{ "code", 0, { NULL } },
	{ "col", 1, { "span", NULL } },
	{ "colgroup", 0, { "span", NULL } },
	{ "dd", 0, { NULL } },
	{ "del", 0, { "cite", "datetime", NULL } },
	{ "details", 0, { "open", NULL } },
	{ "dfn", 0, { NULL } },
	{ "div", 0, { NULL } },
	{ "dl", 0, { NULL } },
	{ "dt", 0, { NULL } },
	{ "em", 0, { NULL } },
	{ "figcaption", 0, { NULL } },
	{ "figure", 0, { NULL } },
	{ "h1", 0, { NULL } },
	{ "h2", 0, { NULL } },
	{ "h3", 0, { NULL } },
	{ "h4", 0, { NULL } },
	{ "h5", 0, { NULL } },
	{ "h6", 0, { NULL } },
	{ "hr", 1, { NULL } },
	{ "i", 0, { NULL } },
	{ "img", 1, { "src", "alt", "width", "height", NULL } },
	{ "ins", 0, { "cite", "datetime", NULL } },
	{ "kbd", 0, { NULL } },
	{ "li", 0, { "value", NULL } },
	{ "mark", 0, { NULL } },
	{ "ol", 0, { "start", "reversed", "type", NULL } },
	{ "p", 0, { NULL } },
	{ "pre", 0, { NULL } },
	{ "q", 0, { "cite", NULL } },
	{ "s", 0, { NULL } },
	{ "samp", 0, { NULL } },
	{ "small", 0, { NULL } },
	{ "span", 0, { NULL } },
	{ "strong", 0, { NULL } },
	{ "sub", 0, { NULL } },
	{ "summary", 0, { NULL } },
	{ "sup", 0, { NULL } },
	{ "table", 0, { NULL } },
	{ "tbody", 0, { NULL } },
	{ "td", 0, { "colspan", "rowspan", NULL } },
	{ "tfoot", 0, { NULL } },
	{ "th", 0, { "colspan", "rowspan", "scope", NULL } },
	{ "thead", 0, { NULL } },
	{ "time", 0, { "datetime", NULL } },
	{ "tr", 0, { NULL } },
	{ "u", 0, { NULL } },
	{ "ul", 0, { NULL } },
	{ "var", 0, { NULL } },
	{ "wbr", 1, { NULL } },
};

/* Dropped with everything inside: active content, other namespaces'
 * markup, form controls, and what holds no text of the post. */
static const char *const dropped[] = {
	"applet", "audio", "button", "canvas", "embed", "frame", "frameset",
	"head", "iframe", "input", "link", "math", "meta", "noembed",
	"noframes", "noscript", "object", "option", "param", "script",
	"select", "style", "svg", "template", "textarea", "title", "video",
	"xmp", NULL,
};

/* Attributes whose value is a URL. */
static const char *const url_attrs[] = { "href", "src", "cite", NULL };

static int in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (strcmp(*list, s) == 0)
			return 1;
	return 0;
}

static const struct element *element_find(const char *name)
{
	size_t lo = 0, hi = sizeof(elements) / sizeof(elements[0]), mid;
	int c;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		c = strcmp(name, elements[mid].name);
		if (c == 0)
			return &elements[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

int html_sanitize_element_allowed(const char *name)
{
	return element_find(name) != NULL;
}

/*
 * Whether URL v may be written: relative, or of scheme http, https or
 * mailto. Read as a browser reads it: leading spaces and controls
 * skipped, tab, LF and CR ignored wherever they are (the URL standard
 * removes them), case ignored. A ':' before the first '/', '?' or '#'
 * makes the text before it a scheme, which must be one of the three:
 * stricter than the standard, which would call "a b:c" relative.
 */
static int url_allowed(const char *v)
{
	static const char *const schemes[] = { "http", "https", "mailto", NULL };
	char scheme[8];
	size_t n = 0;

	while (*v && (unsigned char)*v <= 0x20)
		v++;
	for (; *v; v++) {
		if (*v == '\t' || *v == '\n' || *v == '\r')
			continue;
		if (*v == '/' || *v == '?' || *v == '#')
			return 1; /* no scheme: relative */
		if (*v == ':')
			break;
		if (n + 1 >= sizeof(scheme))
			n = sizeof(scheme); /* too long to be one of ours */
		else
			scheme[n++] = (char)((*v >= 'A' && *v <= 'Z') ?
					     *v - 'A' + 'a' : *v);
	}
	if (!*v)
		return 1; /* no ':' at all: relative */
	if (n >= sizeof(scheme))
		return 0;
	scheme[n] = '\0';
	return in_list(schemes, scheme);
}

int html_sanitize_attr_allowed(const char *element, const char *attr,
			       const char *value)
{
	const struct element *e = element_find(element);

	if (!e)
		return 0;
	if (!in_list(global_attrs, attr) && !in_list(e->attrs, attr))
		return 0;
	if (in_list(url_attrs, attr))
		return url_allowed(value);
	return 1;
}

/* Removes from v, in place, the control characters but tab, LF and CR
 * (and DEL): they mean nothing in a value, a browser strips them from a
 * URL's ends, and written back they are read otherwise by the next
 * parser (the fuzz target found a URL led by U+0019s that libxml2
 * read again as another, refused, value). */
static void drop_controls(char *v)
{
	char *w = v;

	for (; *v; v++)
		if (!(((unsigned char)*v < 0x20 && *v != '\t' && *v != '\n' &&
		       *v != '\r') || *v == 0x7f))
			*w++ = *v;
	*w = '\0';
}

static enum action classify(const xmlNode *n, int depth)
{
	const char *name = (const char *)n->name;

	if (!name || in_list(dropped, name))
		return DROP;
	if (depth >= SANITIZE_MAX_DEPTH || !element_find(name))
		return UNWRAP;
	return KEEP;
}

static void write_open(struct buf *out, const xmlNode *n)
{
	const char *name = (const char *)n->name;
	const xmlAttr *a;
	xmlChar *v;

	buf_putc(out, '<');
	buf_puts(out, name);
	for (a = n->properties; a; a = a->next) {
		if (!a->name)
			continue;
		v = xmlNodeGetContent((const xmlNode *)a);
		if (!v) /* no value, or no memory: left out either way */
			continue;
		drop_controls((char *)v);
		if (html_sanitize_attr_allowed(name, (const char *)a->name,
					       (const char *)v)) {
			buf_putc(out, ' ');
			buf_puts(out, (const char *)a->name);
			buf_puts(out, "=\"");
			html_escape(out, (const char *)v, strlen((const char *)v));
			buf_putc(out, '"');
		}
		xmlFree(v);
	}
	buf_putc(out, '>');
}

static void write_close(struct buf *out, const xmlNode *n)
{
	buf_puts(out, "</");
	buf_puts(out, (const char *)n->name);
	buf_putc(out, '>');
}

/* What the walk counts: words of text, and the boxes it opened. */
struct tally {
	size_t words;
	unsigned tables, codes;
};

/* The box's kind for element n ("Table", "Code"), NULL for none. */
static const char *box_kind(const xmlNode *n)
{
	if (strcmp((const char *)n->name, "table") == 0)
		return "Table";
	if (strcmp((const char *)n->name, "pre") == 0)
		return "Code";
	return NULL;
}

/* Opens kept element n, in its box when it is a table or a pre. */
static void keep_open(struct buf *out, const xmlNode *n, struct tally *t)
{
	const char *kind = box_kind(n);

	if (kind)
		buf_printf(out, "<div class=\"scroll\" tabindex=\"0\" "
			   "role=\"region\" aria-label=\"%s %u\">", kind,
			   *kind == 'T' ? ++t->tables : ++t->codes);
	write_open(out, n);
}

static void keep_close(struct buf *out, const xmlNode *n)
{
	write_close(out, n);
	if (box_kind(n))
		buf_puts(out, "</div>");
}

/* Appends text escaped and counts its words into *words. */
static void write_text(struct buf *out, const char *s, size_t *words)
{
	size_t len = strlen(s), i;
	int in_word = 0;

	html_escape(out, s, len);
	for (i = 0; i < len; i++) {
		int space = s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
			    s[i] == '\r' || s[i] == '\f';

		if (!space && !in_word)
			(*words)++;
		in_word = !space;
	}
}

static int is_kept_void(const xmlNode *n)
{
	const struct element *e = element_find((const char *)n->name);

	return e && e->is_void;
}

/*
 * Writes the children of top, in document order, without recursion:
 * down into a node's children, else on to its next sibling, else back
 * up (closing what was opened) until a parent has a next sibling. What
 * was opened is decided again on the way up from the same node and
 * depth, so every open tag gets its close.
 */
static void walk(struct buf *out, const xmlNode *top, struct tally *t)
{
	const xmlNode *n = top->children;
	int depth = 0;
	enum action act;

	while (n) {
		int down = 0;

		if (n->type == XML_ELEMENT_NODE) {
			act = classify(n, depth);
			if (act == KEEP)
				keep_open(out, n, t);
			if (act != DROP && n->children &&
			    !(act == KEEP && is_kept_void(n)))
				down = 1;
			else if (act == KEEP && !is_kept_void(n))
				keep_close(out, n);
		} else if ((n->type == XML_TEXT_NODE ||
			    n->type == XML_CDATA_SECTION_NODE) && n->content) {
			write_text(out, (const char *)n->content, &t->words);
		}
		if (down) {
			n = n->children;
			depth++;
			continue;
		}
		while (n && n != top && !n->next) {
			n = n->parent;
			depth--;
			if (n && n != top && classify(n, depth) == KEEP)
				keep_close(out, n);
		}
		if (!n || n == top)
			break;
		n = n->next;
	}
}

/* The body element of a parsed document, or NULL. */
static const xmlNode *find_body(const xmlDoc *doc)
{
	const xmlNode *root = xmlDocGetRootElement(doc), *c;

	if (!root)
		return NULL;
	if (root->name && strcmp((const char *)root->name, "body") == 0)
		return root;
	for (c = root->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && c->name &&
		    strcmp((const char *)c->name, "body") == 0)
			return c;
	return NULL;
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

/* libxml2 wants its global state set up once, before threads use it
 * (a deploy parses on several). */
static void init_parser(void)
{
	xmlInitParser();
}

enum quire_err html_sanitize(const char *in, size_t len,
			     struct html_sanitized *out)
{
	struct buf b = BUF_INIT;
	const xmlNode *body;
	xmlDoc *doc;
	struct tally t = { 0, 0, 0 };

	memset(out, 0, sizeof(*out));
	if (len > QUIRE_MAX_FILE)
		return QUIRE_ETOOBIG;
	(void)pthread_once(&init_once, init_parser);
	buf_puts(&b, "");
	/* NONET: no DTD or entity fetched; no error printed (the parser
	 * recovers, and the result is what is checked). */
	doc = len ? htmlReadMemory(in, (int)len, NULL, "UTF-8",
				   HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
				   HTML_PARSE_NOWARNING | HTML_PARSE_NONET)
		  : NULL;
	if (doc) {
		body = find_body(doc);
		if (body)
			walk(&b, body, &t);
		xmlFreeDoc(doc);
	}
	if (buf_failed(&b)) {
		buf_release(&b);
		return QUIRE_ENOMEM;
	}
	out->html = buf_detach(&b, &out->len);
	out->words = t.words;
	return out->html ? QUIRE_OK : QUIRE_ENOMEM;
}

void html_sanitized_release(struct html_sanitized *out)
{
	free(out->html);
	memset(out, 0, sizeof(*out));
}
