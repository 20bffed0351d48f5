/*
 * siteconf.c - site.yaml: the author's settings, kept with the content
 *
 * Read with libyaml's event parser, like frontmatter_yaml.c, by a small
 * descent that knows the keys siteconf.h lists and nothing else: an
 * unknown key is an error naming it, so a typo never passes silently.
 * The nesting is the keys' own (at most three levels), aliases are
 * refused, and the file is bounded by SITECONF_MAX_BYTES.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "content/permalink.h"
#include "content/siteconf.h"
#include "lib/config.h"
#include "lib/quire.h"

/* Top-level keys a file may hold: each once. */
#define SITECONF_MAX_KEYS 16

struct sp {
	yaml_parser_t y;
	struct siteconf *c;
	struct parse_error *err;
	const char *seen[SITECONF_MAX_KEYS]; /* static names of keys read */
	size_t n_seen;
};

static enum quire_err fail_at(struct sp *p, enum quire_err rc, yaml_mark_t m,
			      const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static enum quire_err fail_at(struct sp *p, enum quire_err rc, yaml_mark_t m,
			      const char *fmt, ...)
{
	va_list ap;

	p->err->line = (unsigned)m.line + 1;
	p->err->column = (unsigned)m.column + 1;
	va_start(ap, fmt);
	vsnprintf(p->err->message, sizeof(p->err->message), fmt, ap);
	va_end(ap);
	return rc;
}

/* The next event; libyaml's errors and aliases are refused. The caller
 * deletes ev when this returns QUIRE_OK. */
static enum quire_err next(struct sp *p, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&p->y, ev)) {
		if (p->y.error == YAML_MEMORY_ERROR)
			return QUIRE_ENOMEM;
		return fail_at(p, QUIRE_EPARSE, p->y.problem_mark, "%s%s%s",
			       p->y.problem ? p->y.problem : "bad yaml",
			       p->y.context ? " " : "",
			       p->y.context ? p->y.context : "");
	}
	if (ev->type == YAML_ALIAS_EVENT) {
		yaml_mark_t m = ev->start_mark;

		yaml_event_delete(ev); /* which zeroes it */
		return fail_at(p, QUIRE_EPARSE, m,
			       "aliases are not allowed in site.yaml");
	}
	return QUIRE_OK;
}

static const char *scalar_text(const yaml_event_t *ev)
{
	return (const char *)ev->data.scalar.value;
}

/* The next event, which must be a scalar: what is called `what`. */
static enum quire_err next_scalar(struct sp *p, yaml_event_t *ev,
				  const char *what)
{
	enum quire_err rc = next(p, ev);

	if (rc != QUIRE_OK)
		return rc;
	if (ev->type != YAML_SCALAR_EVENT) {
		yaml_mark_t m = ev->start_mark;

		yaml_event_delete(ev);
		return fail_at(p, QUIRE_EPARSE, m, "%s must be a single value",
			       what);
	}
	return QUIRE_OK;
}

/* The next event, which must start a node of type want. */
static enum quire_err expect(struct sp *p, yaml_event_type_t want,
			     const char *what)
{
	yaml_event_t ev;
	yaml_event_type_t type;
	yaml_mark_t m;
	enum quire_err rc = next(p, &ev);

	if (rc != QUIRE_OK)
		return rc;
	type = ev.type;
	m = ev.start_mark;
	yaml_event_delete(&ev);
	if (type != want)
		return fail_at(p, QUIRE_EPARSE, m, "%s", what);
	return QUIRE_OK;
}

/*
 * Reads the keys of a mapping whose start was just read, calling fn for
 * each with its key event (fn reads the value), until the mapping ends.
 */
static enum quire_err each_key(struct sp *p,
			       enum quire_err (*fn)(struct sp *, yaml_event_t *,
						    void *),
			       void *arg)
{
	yaml_event_t key;
	yaml_mark_t m;
	enum quire_err rc;

	for (;;) {
		if ((rc = next(p, &key)) != QUIRE_OK)
			return rc;
		if (key.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&key);
			return QUIRE_OK;
		}
		if (key.type != YAML_SCALAR_EVENT) {
			m = key.start_mark;
			yaml_event_delete(&key);
			return fail_at(p, QUIRE_EPARSE, m,
				       "a key must be a plain name");
		}
		rc = fn(p, &key, arg);
		yaml_event_delete(&key);
		if (rc != QUIRE_OK)
			return rc;
	}
}

static enum quire_err unknown(struct sp *p, const yaml_event_t *key)
{
	return fail_at(p, QUIRE_EPARSE, key->start_mark, "unknown key \"%.64s\"",
		       scalar_text(key));
}

/* A setting of config.c's table: title, url, posts_per_page... */
static enum quire_err setting(struct sp *p, const yaml_event_t *key,
			      const char *site_key)
{
	struct siteconf *c = p->c;
	char msg[200];
	yaml_event_t v;
	enum quire_err rc;

	if ((rc = next_scalar(p, &v, scalar_text(key))) != QUIRE_OK)
		return rc;
	if (config_site_check(site_key, scalar_text(&v), msg, sizeof(msg)) !=
	    QUIRE_OK) {
		rc = fail_at(p, QUIRE_EPARSE, v.start_mark, "%s: %s", site_key,
			     msg);
	} else if (c->n_values == SITECONF_MAX_VALUES) {
		rc = fail_at(p, QUIRE_EPARSE, key->start_mark, "too many settings");
	} else {
		c->values[c->n_values].key = site_key;
		c->values[c->n_values].value = strdup(scalar_text(&v));
		rc = c->values[c->n_values].value ? QUIRE_OK : QUIRE_ENOMEM;
		if (rc == QUIRE_OK)
			c->n_values++;
	}
	yaml_event_delete(&v);
	return rc;
}

/* The column of a scalar's first character: a quote comes before it. */
static yaml_mark_t text_mark(const yaml_event_t *v)
{
	yaml_mark_t m = v->start_mark;

	if (v->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
	    v->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE)
		m.column++;
	return m;
}

static enum quire_err permalink_key(struct sp *p, yaml_event_t *key, void *arg)
{
	const char *k = scalar_text(key);
	char *dst, msg[200];
	yaml_event_t v;
	yaml_mark_t m;
	size_t col = 0;
	enum quire_err rc;

	(void)arg;
	if (strcmp(k, "posts") == 0)
		dst = p->c->posts;
	else if (strcmp(k, "pages") == 0)
		dst = p->c->pages;
	else
		return unknown(p, key);
	if ((rc = next_scalar(p, &v, k)) != QUIRE_OK)
		return rc;
	if (permalink_check(scalar_text(&v), &col, msg, sizeof(msg)) != QUIRE_OK) {
		m = text_mark(&v);
		m.column += col;
		rc = fail_at(p, QUIRE_EPARSE, m, "permalink \"%.64s\": %s",
			     scalar_text(&v), msg);
	} else {
		snprintf(dst, PERMALINK_MAX_PATTERN + 1, "%s", scalar_text(&v));
	}
	yaml_event_delete(&v);
	return rc;
}

/* Whether a menu's URL is a path of this site or an http(s) URL. */
static int link_url_ok(const char *u)
{
	size_t i;

	if (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0 &&
	    u[0] != '/')
		return 0;
	for (i = 0; u[i]; i++)
		if ((unsigned char)u[i] <= ' ' || u[i] == '"' || u[i] == '<' ||
		    u[i] == '>' || u[i] == 0x7f)
			return 0;
	return i <= PERMALINK_MAX_URL;
}

static enum quire_err menu_key(struct sp *p, yaml_event_t *key, void *arg)
{
	struct siteconf_link *l = arg;
	const char *k = scalar_text(key);
	char **dst;
	yaml_event_t v;
	enum quire_err rc = QUIRE_OK;

	if (strcmp(k, "title") == 0)
		dst = &l->title;
	else if (strcmp(k, "url") == 0)
		dst = &l->url;
	else
		return unknown(p, key);
	if ((rc = next_scalar(p, &v, k)) != QUIRE_OK)
		return rc;
	if (dst == &l->url && !link_url_ok(scalar_text(&v)))
		rc = fail_at(p, QUIRE_EPARSE, v.start_mark, "a menu url is a "
			     "path starting with '/' or an http(s) URL");
	free(*dst);
	*dst = rc == QUIRE_OK ? strdup(scalar_text(&v)) : NULL;
	if (rc == QUIRE_OK && !*dst)
		rc = QUIRE_ENOMEM;
	yaml_event_delete(&v);
	return rc;
}

static enum quire_err menu(struct sp *p)
{
	struct siteconf *c = p->c;
	struct siteconf_link *l;
	yaml_event_t ev;
	yaml_event_type_t type;
	yaml_mark_t m;
	enum quire_err rc;

	if ((rc = expect(p, YAML_SEQUENCE_START_EVENT,
			 "menu is a list of {title, url}")) != QUIRE_OK)
		return rc;
	c->has_menu = 1;
	c->menu = calloc(SITECONF_MAX_MENU, sizeof(*c->menu));
	if (!c->menu)
		return QUIRE_ENOMEM;
	for (;;) {
		if ((rc = next(p, &ev)) != QUIRE_OK)
			return rc;
		type = ev.type;
		m = ev.start_mark;
		yaml_event_delete(&ev);
		if (type == YAML_SEQUENCE_END_EVENT)
			return QUIRE_OK;
		if (type != YAML_MAPPING_START_EVENT)
			return fail_at(p, QUIRE_EPARSE, m,
				       "a menu entry is {title, url}");
		if (c->n_menu == SITECONF_MAX_MENU)
			return fail_at(p, QUIRE_EPARSE, m,
				       "more than %d menu entries",
				       SITECONF_MAX_MENU);
		l = &c->menu[c->n_menu++];
		if ((rc = each_key(p, menu_key, l)) != QUIRE_OK)
			return rc;
		if (!l->title || !l->url)
			return fail_at(p, QUIRE_EPARSE, m,
				       "a menu entry needs a title and a url");
	}
}

static enum quire_err taxonomies(struct sp *p)
{
	yaml_event_t ev;
	enum quire_err rc;

	if ((rc = expect(p, YAML_SEQUENCE_START_EVENT,
			 "taxonomies is a list: [tags, categories]")) != QUIRE_OK)
		return rc;
	p->c->show_tags = p->c->show_categories = 0;
	for (;;) {
		if ((rc = next(p, &ev)) != QUIRE_OK)
			return rc;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			return QUIRE_OK;
		}
		if (ev.type == YAML_SCALAR_EVENT &&
		    strcmp(scalar_text(&ev), "tags") == 0)
			p->c->show_tags = 1;
		else if (ev.type == YAML_SCALAR_EVENT &&
			 strcmp(scalar_text(&ev), "categories") == 0)
			p->c->show_categories = 1;
		else
			rc = fail_at(p, QUIRE_EPARSE, ev.start_mark,
				     "a taxonomy is tags or categories");
		yaml_event_delete(&ev);
		if (rc != QUIRE_OK)
			return rc;
	}
}

static enum quire_err feed_key(struct sp *p, yaml_event_t *key, void *arg)
{
	const char *k = scalar_text(key), *s;
	yaml_event_t v;
	char *end;
	long n;
	enum quire_err rc;

	(void)arg;
	if (strcmp(k, "entries") != 0 && strcmp(k, "content") != 0)
		return unknown(p, key);
	if ((rc = next_scalar(p, &v, k)) != QUIRE_OK)
		return rc;
	s = scalar_text(&v);
	if (strcmp(k, "entries") == 0) {
		errno = 0;
		n = strtol(s, &end, 10);
		if (errno || end == s || *end || n < 1 || n > 1000)
			rc = fail_at(p, QUIRE_EPARSE, v.start_mark,
				     "entries: a number from 1 to 1000");
		else
			p->c->feed_entries = (int)n;
	} else if (strcmp(s, "full") == 0 || strcmp(s, "summary") == 0) {
		p->c->feed_summary = strcmp(s, "summary") == 0;
	} else {
		rc = fail_at(p, QUIRE_EPARSE, v.start_mark,
			     "content: full or summary");
	}
	yaml_event_delete(&v);
	return rc;
}

static enum quire_err author_key(struct sp *p, yaml_event_t *key, void *arg)
{
	struct siteconf_author *a = arg;
	const char *k = scalar_text(key);
	char **dst;
	yaml_event_t v;
	enum quire_err rc = QUIRE_OK;

	if (strcmp(k, "name") == 0)
		dst = &a->name;
	else if (strcmp(k, "bio") == 0)
		dst = &a->bio;
	else if (strcmp(k, "url") == 0)
		dst = &a->url;
	else if (strcmp(k, "avatar") == 0)
		dst = &a->avatar;
	else
		return unknown(p, key);
	if ((rc = next_scalar(p, &v, k)) != QUIRE_OK)
		return rc;
	if ((dst == &a->url || dst == &a->avatar) &&
	    !link_url_ok(scalar_text(&v)))
		rc = fail_at(p, QUIRE_EPARSE, text_mark(&v), "an author's %s is a "
			     "path starting with '/' or an http(s) URL", k);
	free(*dst);
	*dst = rc == QUIRE_OK ? strdup(scalar_text(&v)) : NULL;
	if (rc == QUIRE_OK && !*dst)
		rc = QUIRE_ENOMEM;
	yaml_event_delete(&v);
	return rc;
}

/* One entry of authors: KEY: {name, bio, url, avatar}. */
static enum quire_err authors_entry(struct sp *p, yaml_event_t *key,
				    void *arg)
{
	struct siteconf *c = p->c;
	struct siteconf_author *a;
	char k[256];
	size_t i;
	enum quire_err rc;

	(void)arg;
	permalink_term_key(scalar_text(key), k, sizeof(k));
	if (!k[0])
		return fail_at(p, QUIRE_EPARSE, key->start_mark,
			       "an author's key must not be empty");
	for (i = 0; i < c->n_authors; i++)
		if (strcmp(c->authors[i].key, k) == 0)
			return fail_at(p, QUIRE_EPARSE, key->start_mark,
				       "author \"%.64s\" given twice", k);
	if (c->n_authors == SITECONF_MAX_AUTHORS)
		return fail_at(p, QUIRE_EPARSE, key->start_mark,
			       "more than %d authors", SITECONF_MAX_AUTHORS);
	if ((rc = expect(p, YAML_MAPPING_START_EVENT, "an author is "
			 "{name, bio, url, avatar}")) != QUIRE_OK)
		return rc;
	a = &c->authors[c->n_authors++];
	if (!(a->key = strdup(k)))
		return QUIRE_ENOMEM;
	return each_key(p, author_key, a);
}

static enum quire_err authors(struct sp *p)
{
	enum quire_err rc;

	if ((rc = expect(p, YAML_MAPPING_START_EVENT, "authors is a map of "
			 "KEY: {name, bio, url, avatar}")) != QUIRE_OK)
		return rc;
	p->c->authors = calloc(SITECONF_MAX_AUTHORS, sizeof(*p->c->authors));
	if (!p->c->authors)
		return QUIRE_ENOMEM;
	return each_key(p, authors_entry, NULL);
}

const struct siteconf_author *siteconf_author(const struct siteconf *c,
					      const char *key)
{
	size_t i;

	for (i = 0; c && i < c->n_authors; i++)
		if (strcmp(c->authors[i].key, key) == 0)
			return &c->authors[i];
	return NULL;
}

/* The key's static name, if it is one site.yaml knows; NULL if not. */
static const char *known_key(const char *k)
{
	static const char *const own[] = {
		"permalinks", "feed", "menu", "taxonomies", "authors",
	};
	size_t i;

	for (i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		if (strcmp(k, own[i]) == 0)
			return own[i];
	return config_site_key(k);
}

/* A key given twice is an error: which one the author meant is not for
 * quire to guess (and a second menu would replace the first). */
static enum quire_err once(struct sp *p, const yaml_event_t *key,
			   const char *name)
{
	size_t i;

	for (i = 0; i < p->n_seen; i++)
		if (p->seen[i] == name)
			return fail_at(p, QUIRE_EPARSE, key->start_mark,
				       "\"%s\" given twice", name);
	if (p->n_seen == SITECONF_MAX_KEYS)
		return fail_at(p, QUIRE_EPARSE, key->start_mark, "too many keys");
	p->seen[p->n_seen++] = name;
	return QUIRE_OK;
}

static enum quire_err top_key(struct sp *p, yaml_event_t *key, void *arg)
{
	const char *k = scalar_text(key), *site_key, *name = known_key(k);
	enum quire_err rc;

	(void)arg;
	if (!name)
		return unknown(p, key);
	if ((rc = once(p, key, name)) != QUIRE_OK)
		return rc;
	if (strcmp(k, "permalinks") == 0) {
		if ((rc = expect(p, YAML_MAPPING_START_EVENT,
				 "permalinks is {posts: PATTERN, pages: PATTERN}")) != QUIRE_OK)
			return rc;
		return each_key(p, permalink_key, NULL);
	}
	if (strcmp(k, "feed") == 0) {
		if ((rc = expect(p, YAML_MAPPING_START_EVENT,
				 "feed is {entries: N, content: full|summary}")) != QUIRE_OK)
			return rc;
		return each_key(p, feed_key, NULL);
	}
	if (strcmp(k, "menu") == 0)
		return menu(p);
	if (strcmp(k, "taxonomies") == 0)
		return taxonomies(p);
	if (strcmp(k, "authors") == 0)
		return authors(p);
	site_key = config_site_key(k);
	if (!site_key)
		return unknown(p, key);
	return setting(p, key, site_key);
}

/* The whole stream: nothing, an empty document, or one mapping. */
static enum quire_err parse_stream(struct sp *p)
{
	yaml_event_t ev;
	yaml_event_type_t type;
	yaml_mark_t m;
	enum quire_err rc;

	if ((rc = expect(p, YAML_STREAM_START_EVENT, "not yaml")) != QUIRE_OK ||
	    (rc = next(p, &ev)) != QUIRE_OK)
		return rc;
	type = ev.type;
	yaml_event_delete(&ev);
	if (type == YAML_STREAM_END_EVENT)
		return QUIRE_OK;
	if ((rc = next(p, &ev)) != QUIRE_OK)
		return rc;
	if (ev.type == YAML_SCALAR_EVENT && ev.data.scalar.length == 0) {
		yaml_event_delete(&ev);
		return QUIRE_OK; /* "---" and nothing */
	}
	type = ev.type;
	m = ev.start_mark;
	yaml_event_delete(&ev);
	if (type != YAML_MAPPING_START_EVENT)
		return fail_at(p, QUIRE_EPARSE, m,
			       "site.yaml holds keys and values (title: ...)");
	if ((rc = each_key(p, top_key, NULL)) != QUIRE_OK ||
	    (rc = expect(p, YAML_DOCUMENT_END_EVENT, "one document only")) != QUIRE_OK ||
	    (rc = expect(p, YAML_STREAM_END_EVENT, "one document only")) != QUIRE_OK)
		return rc;
	return QUIRE_OK;
}

enum quire_err siteconf_parse(const char *text, size_t len,
			      struct siteconf **out, struct parse_error *err)
{
	struct siteconf *c;
	struct sp p;
	enum quire_err rc = QUIRE_OK;

	*out = NULL;
	memset(err, 0, sizeof(*err));
	if (text && len > SITECONF_MAX_BYTES) {
		err->line = err->column = 1;
		snprintf(err->message, sizeof(err->message),
			 "larger than %d bytes", SITECONF_MAX_BYTES);
		return QUIRE_ETOOBIG;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return QUIRE_ENOMEM;
	snprintf(c->posts, sizeof(c->posts), "%s", PERMALINK_POSTS_DEFAULT);
	snprintf(c->pages, sizeof(c->pages), "%s", PERMALINK_PAGES_DEFAULT);
	c->show_tags = c->show_categories = 1;
	c->feed_entries = SITECONF_FEED_ENTRIES;
	if (text) {
		c->text = malloc(len + 1);
		if (!c->text) {
			siteconf_free(c);
			return QUIRE_ENOMEM;
		}
		memcpy(c->text, text, len);
		c->text[len] = '\0';
		c->len = len;
		if (!yaml_parser_initialize(&p.y)) {
			siteconf_free(c);
			return QUIRE_ENOMEM;
		}
		p.c = c;
		p.err = err;
		p.n_seen = 0;
		yaml_parser_set_input_string(&p.y, (const unsigned char *)c->text,
					     len);
		rc = parse_stream(&p);
		yaml_parser_delete(&p.y);
	}
	if (rc != QUIRE_OK) {
		siteconf_free(c);
		return rc;
	}
	*out = c;
	return QUIRE_OK;
}

/* Reads path whole into *text; QUIRE_ENOTFOUND when it does not exist. */
static enum quire_err read_whole(const char *path, char **text, size_t *len,
				 struct parse_error *err)
{
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0 && errno == ENOENT)
		return QUIRE_ENOTFOUND;
	err->line = err->column = 1;
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err->message, sizeof(err->message), "cannot read: %s",
			 fd < 0 ? strerror(errno) : "not a regular file");
		if (fd >= 0)
			close(fd);
		return QUIRE_EIO;
	}
	*text = malloc(SITECONF_MAX_BYTES + 2);
	if (!*text) {
		close(fd);
		return QUIRE_ENOMEM;
	}
	*len = 0;
	while ((n = read(fd, *text + *len, SITECONF_MAX_BYTES + 1 - *len)) > 0)
		*len += (size_t)n;
	close(fd);
	if (n < 0) {
		free(*text);
		snprintf(err->message, sizeof(err->message), "cannot read: %s",
			 strerror(errno));
		return QUIRE_EIO;
	}
	(*text)[*len] = '\0';
	return QUIRE_OK;
}

enum quire_err siteconf_load(const char *dir, struct siteconf **out,
			     char *path, size_t pathsz,
			     struct parse_error *err)
{
	char *text = NULL;
	size_t len = 0;
	enum quire_err rc;

	*out = NULL;
	memset(err, 0, sizeof(*err));
	snprintf(path, pathsz, "%s/%s", dir, SITECONF_FILE);
	rc = read_whole(path, &text, &len, err);
	if (rc == QUIRE_ENOTFOUND)
		return siteconf_parse(NULL, 0, out, err);
	if (rc != QUIRE_OK)
		return rc;
	rc = siteconf_parse(text, len, out, err);
	free(text);
	return rc;
}

int siteconf_same(const struct siteconf *a, const char *text, size_t len)
{
	if (!a->text || !text)
		return !a->text && !text;
	return a->len == len && memcmp(a->text, text, len) == 0;
}

void siteconf_free(struct siteconf *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->n_values; i++)
		free(c->values[i].value);
	for (i = 0; i < c->n_menu; i++) {
		free(c->menu[i].title);
		free(c->menu[i].url);
	}
	free(c->menu);
	for (i = 0; i < c->n_authors; i++) {
		free(c->authors[i].key);
		free(c->authors[i].name);
		free(c->authors[i].bio);
		free(c->authors[i].url);
		free(c->authors[i].avatar);
	}
	free(c->authors);
	free(c->text);
	free(c);
}
