/*
 * fuzz_html_sanitize.c - any bytes through the HTML sanitizer, and its
 * output parsed again: every element and attribute in it must be one the
 * allowlist keeps, so no escaping slip can make markup of text
 */
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "content/html_sanitize.h"
#include "fuzz.h"

/* The attributes of the box html_sanitize puts round a table or a pre
 * (div.scroll): written by it, never taken from the input. */
static int box_attr(const xmlNode *n, const char *attr)
{
	return strcmp((const char *)n->name, "div") == 0 &&
	       (strcmp(attr, "tabindex") == 0 || strcmp(attr, "role") == 0 ||
		strcmp(attr, "aria-label") == 0);
}

/* Aborts on an element or attribute of the output the allowlist would
 * not keep (the parser's own html and body, and the box, excepted). */
static void check_tree(const xmlNode *n)
{
	const xmlAttr *a;
	xmlChar *v;

	for (; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (strcmp((const char *)n->name, "html") != 0 &&
		    strcmp((const char *)n->name, "body") != 0) {
			if (!html_sanitize_element_allowed((const char *)n->name))
				abort();
			for (a = n->properties; a; a = a->next) {
				v = xmlNodeGetContent((const xmlNode *)a);
				if (v && !box_attr(n, (const char *)a->name) &&
				    !html_sanitize_attr_allowed(
					    (const char *)n->name,
					    (const char *)a->name,
					    (const char *)v))
					abort();
				xmlFree(v);
			}
		}
		check_tree(n->children);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct html_sanitized out;
	xmlDoc *doc;

	if (html_sanitize((const char *)data, size, &out) != QUIRE_OK)
		return 0;
	if (strlen(out.html) != out.len)
		abort();
	if (out.len) {
		doc = htmlReadMemory(out.html, (int)out.len, NULL, "UTF-8",
				     HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
				     HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
		if (doc) {
			check_tree(xmlDocGetRootElement(doc));
			xmlFreeDoc(doc);
		}
	}
	html_sanitized_release(&out);
	return 0;
}
