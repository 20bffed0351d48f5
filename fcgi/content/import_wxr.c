/*
 * import_wxr.c - a WordPress export (WXR 1.0-1.2) read into posts and pages
 *
 * libxml2's XML parser reads the whole export (no network, no entity
 * of its own substituted, CDATA merged into text: a "]]>" a body held,
 * which WordPress writes as two sections, comes back whole). A file
 * that is not well-formed is reported with the parser's line and
 * column and nothing is imported. Elements are matched by namespace
 * URI and local name, never by prefix: WXR 1.0, 1.1 and 1.2 differ in
 * the wp namespace's version only. Writing the folder is
 * import_wxr_write.c's.
 */
#include <errno.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "content/import_wxr.h"
#include "content/post.h"
#include "lib/limits.h"
#include "lib/log.h"

#define NS_WP_PREFIX "http://wordpress.org/export/"
#define NS_CONTENT "http://purl.org/rss/1.0/modules/content/"
#define NS_DC "http://purl.org/dc/elements/1.1/"

enum ns { NS_NONE, NS_WP, NS_EXCERPT, NS_CONTENT_MOD, NS_DC_MOD, NS_OTHER };

/* What an export's namespace URI is: wp is "…/export/1.N/", excerpt
 * "…/export/1.N/excerpt/", whatever the version. */
static enum ns ns_of(const xmlNode *n)
{
	const char *u, *rest;

	if (!n->ns || !n->ns->href)
		return NS_NONE;
	u = (const char *)n->ns->href;
	if (strcmp(u, NS_CONTENT) == 0)
		return NS_CONTENT_MOD;
	if (strcmp(u, NS_DC) == 0)
		return NS_DC_MOD;
	if (strncmp(u, NS_WP_PREFIX, strlen(NS_WP_PREFIX)) != 0)
		return NS_OTHER;
	rest = u + strlen(NS_WP_PREFIX);
	if (rest[0] != '1' || rest[1] != '.' || rest[2] < '0' || rest[2] > '9' ||
	    rest[3] != '/')
		return NS_OTHER;
	if (rest[4] == '\0')
		return NS_WP;
	return strcmp(rest + 4, "excerpt/") == 0 ? NS_EXCERPT : NS_OTHER;
}

static int is(const xmlNode *n, enum ns ns, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->name &&
	       strcmp((const char *)n->name, name) == 0 && ns_of(n) == ns;
}

/* The text of n (CDATA and entities included), trimmed of surrounding
 * white space when trim; malloc'd, or NULL when out of memory. */
static char *text_of(const xmlNode *n, int trim)
{
	xmlChar *x = xmlNodeGetContent(n);
	const char *s, *e;
	char *r;

	if (!x)
		return strdup("");
	s = (const char *)x;
	e = s + strlen(s);
	if (trim) {
		while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t' ||
				 e[-1] == '\n' || e[-1] == '\r'))
			e--;
	}
	r = strndup(s, (size_t)(e - s));
	xmlFree(x);
	return r;
}

static const xmlNode *child(const xmlNode *parent, enum ns ns,
			    const char *name)
{
	const xmlNode *c;

	for (c = parent->children; c; c = c->next)
		if (is(c, ns, name))
			return c;
	return NULL;
}

/* The trimmed text of parent's first child ns:name, or NULL (absent or
 * no memory: the caller tells them apart by *nomem). */
static char *child_text(const xmlNode *parent, enum ns ns, const char *name,
			int *nomem)
{
	const xmlNode *c = child(parent, ns, name);
	char *s;

	if (!c)
		return NULL;
	s = text_of(c, 1);
	if (!s)
		*nomem = 1;
	return s;
}

/* ------------------------------------------------------------------ */
/* URLs, slugs, dates */

/* Decodes %XX in place; 0 when an escape is malformed or gives a NUL
 * or a control character. */
static int percent_decode(char *s)
{
	char *o = s;
	int hi, lo;

	for (; *s; s++) {
		if (*s == '%') {
			if ((hi = quire_hex_digit(s[1])) < 0 ||
			    (lo = quire_hex_digit(s[2])) < 0)
				return 0;
			*o = (char)(hi * 16 + lo);
			s += 2;
		} else {
			*o = *s;
		}
		if ((unsigned char)*o < 0x20 || *o == 0x7f)
			return 0;
		o++;
	}
	*o = '\0';
	return 1;
}

/* The path and query of an absolute or root-relative URL: *path
 * malloc'd (decoded; NULL when it has none or cannot be one), *query
 * points into url after '?', or NULL. */
static void url_split(const char *url, char **path, const char **query)
{
	const char *p = url, *end;

	*path = NULL;
	*query = NULL;
	if (strncasecmp(p, "http://", 7) == 0)
		p += 7;
	else if (strncasecmp(p, "https://", 8) == 0)
		p += 8;
	else if (p[0] != '/')
		return;
	if (p != url)
		p = strchr(p, '/');
	if (!p)
		p = "/";
	end = p + strcspn(p, "?#");
	if (*end == '?')
		*query = end + 1;
	*path = strndup(p, (size_t)(end - p));
	if (*path && !percent_decode(*path)) {
		free(*path);
		*path = NULL;
	}
}

/* A slug from a title as WordPress makes one: ASCII letters and digits
 * (lower-cased), every run of anything else one '-'. */
static char *slug_from_title(const char *title, const char *kind,
			     long long id)
{
	char s[QUIRE_MAX_SLUG + 1];
	size_t n = 0;
	int dash = 0;

	for (; *title && n < QUIRE_MAX_SLUG; title++) {
		char c = *title;

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    (c >= 'A' && c <= 'Z')) {
			if (dash && n > 0 && n + 1 < QUIRE_MAX_SLUG)
				s[n++] = '-';
			dash = 0;
			s[n++] = (char)((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
		} else {
			dash = 1;
		}
	}
	s[n] = '\0';
	if (n == 0)
		snprintf(s, sizeof(s), "%s-%lld", kind, id);
	return strdup(s);
}

/* "YYYY-MM-DD HH:MM:SS" as "YYYY-MM-DDTHH:MM:SSZ"; NULL when it is no
 * such date or is WordPress's "0000-00-00 00:00:00" (never set). */
static char *wxr_date(const char *s)
{
	static const char shape[] = "dddd-dd-dd dd:dd:dd";
	char *r;
	size_t i;

	if (!s || strlen(s) != sizeof(shape) - 1 ||
	    strncmp(s, "0000", 4) == 0)
		return NULL;
	for (i = 0; shape[i]; i++)
		if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
			return NULL;
	r = malloc(sizeof(shape) + 1);
	if (!r)
		return NULL;
	memcpy(r, s, 10);
	r[10] = 'T';
	memcpy(r + 11, s + 11, 8);
	r[19] = 'Z';
	r[20] = '\0';
	return r;
}

/* ------------------------------------------------------------------ */
/* Items */

struct reader {
	const char *path;
	struct wxr_site *site;
	char *base_path;         /* the blog's path, "" at the root */
	size_t skipped_kind;     /* attachments, menu items, other types */
	size_t skipped_status;   /* trash, auto-draft, inherit */
};

static void item_release(struct wxr_item *it)
{
	free(it->title);
	free(it->slug);
	free(it->date);
	free(it->author);
	free(it->excerpt);
	free(it->body);
	strlist_release(&it->tags);
	strlist_release(&it->categories);
	strlist_release(&it->aliases);
	memset(it, 0, sizeof(*it));
}

void wxr_site_release(struct wxr_site *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		item_release(&s->items[i]);
	free(s->items);
	free(s->title);
	free(s->description);
	free(s->url);
	free(s->language);
	free(s->uploads_url);
	memset(s, 0, sizeof(*s));
}

/* 1 for an item to import (kind and draft set), 0 to leave out. */
static int item_wanted(struct reader *r, const char *type,
		       const char *status, struct wxr_item *it)
{
	if (!type || (strcmp(type, "post") != 0 && strcmp(type, "page") != 0)) {
		r->skipped_kind++;
		return 0;
	}
	it->kind = strcmp(type, "page") == 0 ? WXR_PAGE : WXR_POST;
	if (status && (strcmp(status, "publish") == 0 ||
		       strcmp(status, "future") == 0))
		return 1; /* a future date keeps it hidden until then */
	if (status && (strcmp(status, "draft") == 0 ||
		       strcmp(status, "pending") == 0 ||
		       strcmp(status, "private") == 0)) {
		it->draft = 1;
		return 1;
	}
	r->skipped_status++;
	return 0;
}

/* Its tags and categories: <category domain="post_tag|category">. */
static enum quire_err item_terms(const struct reader *r, const xmlNode *item,
				 struct wxr_item *it)
{
	const xmlNode *c;
	xmlChar *domain;
	struct strlist *l;
	enum quire_err rc = QUIRE_OK;
	char *name;

	for (c = item->children; c && rc == QUIRE_OK; c = c->next) {
		if (!is(c, NS_NONE, "category"))
			continue;
		domain = xmlGetProp(c, (const xmlChar *)"domain");
		l = !domain ? NULL :
		    strcmp((const char *)domain, "post_tag") == 0 ? &it->tags :
		    strcmp((const char *)domain, "category") == 0 ?
		    &it->categories : NULL;
		xmlFree(domain);
		if (!l)
			continue;
		name = text_of(c, 1);
		if (!name)
			return QUIRE_ENOMEM;
		if (*name && !strlist_has(l, name))
			rc = strlist_add(l, name);
		free(name);
		if (rc == QUIRE_ETOOBIG) {
			log_report("%s:%u: item %lld: more than %d terms; the "
				   "rest left out", r->path, it->line, it->id,
				   QUIRE_MAX_TAGS);
			rc = QUIRE_OK;
			break;
		}
	}
	return rc;
}

/* Its old URLs: the <link> path (a ?p= or ?page_id= link is the ?p=
 * alias's), and BASE/?p=ID. */
static enum quire_err item_aliases(const struct reader *r, const char *link,
				   struct wxr_item *it)
{
	char buf[QUIRE_MAX_URI + 1], *path = NULL;
	const char *query;
	enum quire_err rc = QUIRE_OK;

	if (link)
		url_split(link, &path, &query);
	if (path && !query && strcmp(path, "/") != 0 &&
	    strlen(path) <= QUIRE_MAX_URI)
		rc = strlist_add(&it->aliases, path);
	free(path);
	snprintf(buf, sizeof(buf), "%s/?p=%lld", r->base_path, it->id);
	if (rc == QUIRE_OK && !strlist_has(&it->aliases, buf))
		rc = strlist_add(&it->aliases, buf);
	return rc;
}

/* The item's slug: wp:post_name as it is (decoded when WordPress
 * percent-encoded it), else one from the title; "-ID" added when an
 * earlier item has it in any letter case (DESIGN §3). */
static enum quire_err item_slug(struct reader *r, char *name,
				struct wxr_item *it)
{
	char buf[QUIRE_MAX_SLUG + 32];
	size_t i;

	if (name && *name && percent_decode(name) && post_slug_valid(name)) {
		it->slug = strdup(name);
	} else {
		it->slug = slug_from_title(it->title,
					   it->kind == WXR_PAGE ? "page" : "post",
					   it->id);
	}
	if (!it->slug)
		return QUIRE_ENOMEM;
	for (i = 0; i < r->site->n; i++)
		if (strcasecmp(r->site->items[i].slug, it->slug) == 0)
			break;
	if (i == r->site->n)
		return QUIRE_OK;
	snprintf(buf, sizeof(buf), "%.*s-%lld", QUIRE_MAX_SLUG - 21, it->slug,
		 it->id);
	log_report("%s:%u: item %lld: slug \"%s\" is taken by item %lld; "
		   "written as \"%s\"", r->path, it->line, it->id, it->slug,
		   r->site->items[i].id, buf);
	free(it->slug);
	it->slug = strdup(buf);
	return it->slug ? QUIRE_OK : QUIRE_ENOMEM;
}

/* The fields of one <item> into it; a wanted item sets *keep. */
static enum quire_err item_read(struct reader *r, const xmlNode *item,
				struct wxr_item *it, int *keep)
{
	char *type, *status, *id, *name, *date_gmt, *date, *link;
	int nomem = 0;
	enum quire_err rc = QUIRE_ENOMEM;

	*keep = 0;
	it->line = (unsigned)xmlGetLineNo(item);
	type = child_text(item, NS_WP, "post_type", &nomem);
	status = child_text(item, NS_WP, "status", &nomem);
	id = child_text(item, NS_WP, "post_id", &nomem);
	name = child_text(item, NS_WP, "post_name", &nomem);
	date_gmt = child_text(item, NS_WP, "post_date_gmt", &nomem);
	date = child_text(item, NS_WP, "post_date", &nomem);
	link = child_text(item, NS_NONE, "link", &nomem);
	it->title = child_text(item, NS_NONE, "title", &nomem);
	it->author = child_text(item, NS_DC_MOD, "creator", &nomem);
	it->excerpt = child_text(item, NS_EXCERPT, "encoded", &nomem);
	it->body = child(item, NS_CONTENT_MOD, "encoded") ?
		   text_of(child(item, NS_CONTENT_MOD, "encoded"), 0) :
		   strdup("");
	if (nomem || !it->body)
		goto out;
	it->id = id ? strtoll(id, NULL, 10) : 0;
	if (!item_wanted(r, type, status, it)) {
		rc = QUIRE_OK;
		goto out;
	}
	if (!it->title || !*it->title) {
		free(it->title);
		it->title = name && *name ? strdup(name) : strdup("Untitled");
		if (!it->title)
			goto out;
	}
	it->date = wxr_date(date_gmt);
	if (!it->date)
		it->date = wxr_date(date); /* the blog's local time, as UTC */
	if ((rc = item_slug(r, name, it)) != QUIRE_OK ||
	    (rc = item_terms(r, item, it)) != QUIRE_OK ||
	    (rc = item_aliases(r, link, it)) != QUIRE_OK)
		goto out;
	*keep = 1;
out:
	free(type);
	free(status);
	free(id);
	free(name);
	free(date_gmt);
	free(date);
	free(link);
	return rc;
}

static enum quire_err read_items(struct reader *r, const xmlNode *channel)
{
	struct wxr_item it, *v;
	const xmlNode *c;
	enum quire_err rc;
	int keep;

	for (c = channel->children; c; c = c->next) {
		if (!is(c, NS_NONE, "item"))
			continue;
		if (r->site->n >= QUIRE_MAX_POSTS) {
			log_report("%s:%ld: more than %d posts and pages", r->path,
				   xmlGetLineNo(c), QUIRE_MAX_POSTS);
			return QUIRE_ETOOBIG;
		}
		memset(&it, 0, sizeof(it));
		rc = item_read(r, c, &it, &keep);
		if (rc != QUIRE_OK || !keep) {
			item_release(&it);
			if (rc != QUIRE_OK)
				return rc;
			continue;
		}
		v = realloc(r->site->items, (r->site->n + 1) * sizeof(*v));
		if (!v) {
			item_release(&it);
			return QUIRE_ENOMEM;
		}
		r->site->items = v;
		v[r->site->n++] = it;
	}
	return QUIRE_OK;
}

/* ------------------------------------------------------------------ */
/* The channel */

/* The blog's path ("" at the root, "/blog" below it) and where its
 * uploads are, scheme left off ("//host/wp-content/uploads/"): an
 * export's links may be http:// or https:// either way. */
static enum quire_err read_base(struct reader *r, const xmlNode *channel)
{
	char *site_url, *blog_url, *path = NULL, *host;
	const char *query, *p;
	int nomem = 0;
	size_t n;

	site_url = child_text(channel, NS_WP, "base_site_url", &nomem);
	blog_url = child_text(channel, NS_WP, "base_blog_url", &nomem);
	if (nomem)
		goto fail;
	if (blog_url || r->site->url)
		url_split(blog_url ? blog_url : r->site->url, &path, &query);
	n = path ? strlen(path) : 0;
	while (n > 0 && path[n - 1] == '/')
		n--;
	r->base_path = strndup(path ? path : "", n);
	free(path);
	p = site_url ? site_url : blog_url ? blog_url : r->site->url;
	if (p && (host = strstr(p, "//")) != NULL) {
		n = strlen(host);
		while (n > 2 && host[n - 1] == '/')
			n--;
		r->site->uploads_url = malloc(n + sizeof("/wp-content/uploads/"));
		if (r->site->uploads_url)
			snprintf(r->site->uploads_url, n + sizeof("/wp-content/uploads/"),
				 "%.*s/wp-content/uploads/", (int)n, host);
		else
			goto fail;
	}
	free(site_url);
	free(blog_url);
	return r->base_path ? QUIRE_OK : QUIRE_ENOMEM;
fail:
	free(site_url);
	free(blog_url);
	return QUIRE_ENOMEM;
}

static enum quire_err read_channel(struct reader *r, const xmlNode *root)
{
	const xmlNode *channel = NULL;
	char *version;
	int nomem = 0;
	enum quire_err rc;

	if (is(root, NS_NONE, "rss"))
		channel = child(root, NS_NONE, "channel");
	if (!channel || !child(channel, NS_WP, "wxr_version")) {
		log_report("%s:%ld:1: not a WordPress export (WXR): no "
			   "<rss><channel> with a <wp:wxr_version>", r->path,
			   xmlGetLineNo(channel ? channel : root));
		return QUIRE_EPARSE;
	}
	version = child_text(channel, NS_WP, "wxr_version", &nomem);
	if (version && strcmp(version, "1.0") != 0 &&
	    strcmp(version, "1.1") != 0 && strcmp(version, "1.2") != 0)
		log_report("%s: WXR version %s; read as 1.2", r->path, version);
	free(version);
	r->site->title = child_text(channel, NS_NONE, "title", &nomem);
	r->site->description = child_text(channel, NS_NONE, "description",
					  &nomem);
	r->site->url = child_text(channel, NS_NONE, "link", &nomem);
	r->site->language = child_text(channel, NS_NONE, "language", &nomem);
	if (nomem)
		return QUIRE_ENOMEM;
	if ((rc = read_base(r, channel)) != QUIRE_OK)
		return rc;
	return read_items(r, channel);
}

/* ------------------------------------------------------------------ */
/* The file */

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init(void)
{
	xmlInitParser();
}

/* The first error the parser met: the place a person must look at (the
 * last is often the end of the file, where the parser gave up). */
struct first_error {
	int set;
	int line;
	int column;
	char message[200];
};

static void keep_first(void *data, xmlErrorPtr e)
{
	xmlParserCtxt *ctxt = data;
	struct first_error *f = ctxt ? ctxt->_private : NULL;
	size_t n;

	if (!f || f->set || !e || e->level < XML_ERR_ERROR)
		return;
	f->set = 1;
	f->line = e->line;
	f->column = e->int2;
	snprintf(f->message, sizeof(f->message), "%s",
		 e->message ? e->message : "not well-formed XML");
	n = strlen(f->message);
	while (n > 0 && (f->message[n - 1] == '\n' || f->message[n - 1] == ' '))
		f->message[--n] = '\0';
}

/* Parses the export, or reports where it is malformed. */
static enum quire_err read_export(const char *path, xmlDoc **doc)
{
	struct first_error first = { 0, 0, 0, "" };
	xmlParserCtxt *ctxt;
	struct stat st;

	*doc = NULL;
	if (stat(path, &st) == -1) {
		log_report("%s: %s", path, strerror(errno));
		return QUIRE_EIO;
	}
	if (!S_ISREG(st.st_mode)) {
		log_report("%s: not a regular file", path);
		return QUIRE_EIO;
	}
	(void)pthread_once(&xml_once, xml_init);
	ctxt = xmlNewParserCtxt();
	if (!ctxt)
		return QUIRE_ENOMEM;
	/* Errors to keep_first, never printed by libxml2 itself. */
	ctxt->_private = &first;
	ctxt->sax->serror = keep_first;
	/* No network, no DTD loaded, no entity substituted but XML's own. */
	*doc = xmlCtxtReadFile(ctxt, path, NULL, XML_PARSE_NONET |
			       XML_PARSE_NOCDATA | XML_PARSE_NOERROR |
			       XML_PARSE_NOWARNING);
	if (!*doc || !ctxt->wellFormed || first.set) {
		log_report("%s:%d:%d: %s; nothing imported", path, first.line,
			   first.column, first.set ? first.message :
			   "not well-formed XML");
		xmlFreeDoc(*doc);
		*doc = NULL;
		xmlFreeParserCtxt(ctxt);
		return QUIRE_EPARSE;
	}
	xmlFreeParserCtxt(ctxt);
	return QUIRE_OK;
}

enum quire_err import_wxr(const struct import_wxr_options *opt)
{
	struct wxr_site site;
	struct reader r;
	xmlDoc *doc;
	enum quire_err rc;

	memset(&site, 0, sizeof(site));
	memset(&r, 0, sizeof(r));
	r.path = opt->export_path;
	r.site = &site;
	rc = read_export(opt->export_path, &doc);
	if (rc != QUIRE_OK)
		return rc;
	rc = read_channel(&r, xmlDocGetRootElement(doc));
	xmlFreeDoc(doc);
	if (rc == QUIRE_OK && (r.skipped_kind || r.skipped_status))
		log_report("%s: %zu items of other types (attachments, menu "
			   "items...) and %zu trashed or automatic drafts left out",
			   opt->export_path, r.skipped_kind, r.skipped_status);
	if (rc == QUIRE_OK)
		rc = import_wxr_write(&site, opt);
	else if (rc == QUIRE_ENOMEM)
		log_report("%s: out of memory", opt->export_path);
	free(r.base_path);
	wxr_site_release(&site);
	return rc;
}
