/*
 * templates.c - a small mustache-like template engine
 *
 * A template is compiled once into a flat array of nodes. A section node
 * is followed by its children and records in `end` the index just past
 * them, so the tree needs no pointers and rendering is a walk over index
 * ranges. Text and names point into the template's own copy of its
 * source: compiling allocates the source copy and one node array, nothing
 * per node.
 *
 * The variables are a tvars tree (tvars.c), which rendering reads in
 * place through tvars_private.h.
 *
 * Rendering keeps the context stack as a linked list of frames on the C
 * stack, one per object pushed by a section; its depth is bounded by the
 * nesting limit times the partial depth limit, both checked.
 *
 * Beyond mustache: inside a list section, -first, -last (booleans) and
 * -index (1-based) describe the innermost list item, so a template can
 * write a heading or a separator once without another variable.
 * Set-delimiter tags ({{=<% %>=}}) are not supported.
 *
 * The standalone rule of the mustache spec is applied to section, close,
 * inverted, comment and partial tags: such a tag alone on its line (but
 * for spaces and tabs) takes the whole line with it, so block tags leave
 * no blank lines and an XML template starts with "<?xml" exactly as
 * written.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* memmem, strndup, asprintf */
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uthash.h>

#include "content/html.h"
#include "content/templates.h"
#include "content/tvars_private.h"
#include "lib/limits.h"


/* Sections open at once in one template: bounds render recursion. */
#define TEMPLATE_MAX_NESTING 32
/* Partials inside partials (the header's promise). */
#define TEMPLATE_MAX_PARTIAL_DEPTH 16
/* Partial expansions in one render: a template set whose partials call
 * each other several times per level would otherwise grow exponentially
 * within the depth limit and stall a worker. */
#define TEMPLATE_MAX_PARTIAL_CALLS (1024 * 1024)
/* Nodes visited in one render. Nested sections over lists multiply
 * (two items, 32 levels: 2^32 visits) and partials multiply that again,
 * so neither limit above bounds the work; this does. A sitemap of
 * QUIRE_MAX_POSTS posts takes a few million. A render that reaches it or
 * the next bound costs ≈ 0.4 s of CPU (optimised build, measured with the
 * fuzzer's input tests/fuzz/regression/template/bounded-*); the fuzzer
 * builds with smaller bounds (tests/fuzz/run) so that it explores rather
 * than spend seconds per input at them. */
#ifndef TEMPLATE_MAX_STEPS
#define TEMPLATE_MAX_STEPS (16 * 1024 * 1024)
#endif
/* Bytes one render may append: the steps above times a long text node
 * would still be gigabytes. A sitemap or feed of a full site fits. */
#ifndef TEMPLATE_MAX_OUTPUT
#define TEMPLATE_MAX_OUTPUT ((size_t)64 * 1024 * 1024)
#endif
/* Bytes in a tag name. */
#define TEMPLATE_MAX_NAME 128

/* ---- compiled templates ---- */

enum tnode_kind {
	TNODE_TEXT = 0,  /* literal text */
	TNODE_VAR,       /* {{name}}: escaped */
	TNODE_RAW,       /* {{{name}}} or {{&name}}: as is */
	TNODE_SECTION,   /* {{#name}}: children are [i + 1, end) */
	TNODE_INVERTED,  /* {{^name}}: likewise */
	TNODE_PARTIAL,   /* {{>name}} */
};

struct tnode {
	enum tnode_kind kind;
	const char *str;  /* the text, or the tag's name; in template.src */
	size_t len;
	size_t end;       /* sections: index just past the last child */
	size_t pos;       /* offset of the tag in src, for messages */
};

struct template {
	char *name;
	char *file;       /* as named in messages */
	char *src;        /* NUL-terminated copy of the source */
	size_t src_len;
	struct tnode *nodes;
	size_t n;
	size_t cap;
	UT_hash_handle hh;
};

struct templates {
	struct template *by_name; /* uthash head */
};

static void template_free(struct template *tpl)
{
	if (!tpl)
		return;
	free(tpl->name);
	free(tpl->file);
	free(tpl->src);
	free(tpl->nodes);
	free(tpl);
}

struct templates *templates_new(void)
{
	return calloc(1, sizeof(struct templates));
}

void templates_free(struct templates *t)
{
	struct template *tpl, *tmp;

	if (!t)
		return;
	HASH_ITER(hh, t->by_name, tpl, tmp) {
		HASH_DEL(t->by_name, tpl);
		template_free(tpl);
	}
	free(t);
}

static const struct template *templates_find(const struct templates *t,
					     const char *name, size_t len)
{
	struct template *tpl;

	HASH_FIND(hh, t->by_name, name, len, tpl);
	return tpl;
}

int templates_has(const struct templates *t, const char *name)
{
	return templates_find(t, name, strlen(name)) != NULL;
}

/* Fills err with "FILE:LINE:COL: message" for byte offset pos of src. */
static void template_error(struct parse_error *err, const char *file,
			   const char *src, size_t pos, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void template_error(struct parse_error *err, const char *file,
			   const char *src, size_t pos, const char *fmt, ...)
{
	unsigned line = 1, col = 1;
	char msg[200];
	va_list ap;
	size_t i;

	if (!err)
		return;
	for (i = 0; i < pos; i++) {
		if (src[i] == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	err->line = line;
	err->column = col;
	snprintf(err->message, sizeof(err->message), "%s:%u:%u: %s",
		 file, line, col, msg);
}

static enum quire_err template_push(struct template *tpl, enum tnode_kind kind,
				    const char *str, size_t len, size_t pos)
{
	struct tnode *nn;

	if (quire_grow(&tpl->nodes, &tpl->cap, tpl->n, sizeof(*tpl->nodes),
		       32) != QUIRE_OK)
		return QUIRE_ENOMEM;
	nn = &tpl->nodes[tpl->n++];
	nn->kind = kind;
	nn->str = str;
	nn->len = len;
	nn->end = tpl->n;
	nn->pos = pos;
	return QUIRE_OK;
}

/* A name is [A-Za-z0-9_-] segments joined by single dots. */
static int name_valid(const char *s, size_t len)
{
	size_t i;
	int seg = 0;

	if (len == 0 || len > TEMPLATE_MAX_NAME)
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (!seg)
				return 0;
			seg = 0;
		} else if ((s[i] >= 'a' && s[i] <= 'z') ||
			   (s[i] >= 'A' && s[i] <= 'Z') ||
			   (s[i] >= '0' && s[i] <= '9') ||
			   s[i] == '_' || s[i] == '-') {
			seg = 1;
		} else {
			return 0;
		}
	}
	return seg;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Compiles tpl->src into tpl->nodes. On a syntax error fills err and
 * returns QUIRE_EPARSE.
 */
static enum quire_err template_compile(struct template *tpl,
				       struct parse_error *err)
{
	const char *src = tpl->src;
	size_t len = tpl->src_len;
	size_t open[TEMPLATE_MAX_NESTING];
	size_t depth = 0, pos = 0, tag, body, close, tag_end, next, text_end;
	size_t ls, j, nlen;
	const char *p, *name;
	enum tnode_kind kind;
	enum quire_err rc;
	int triple;
	char sigil;

	while (pos < len) {
		p = memmem(src + pos, len - pos, "{{", 2);
		if (!p) {
			rc = template_push(tpl, TNODE_TEXT, src + pos, len - pos, pos);
			if (rc != QUIRE_OK)
				return rc;
			break;
		}
		tag = (size_t)(p - src);
		triple = tag + 2 < len && src[tag + 2] == '{';
		body = tag + (triple ? 3 : 2);
		p = memmem(src + body, len - body, triple ? "}}}" : "}}",
			   triple ? 3 : 2);
		if (!p) {
			template_error(err, tpl->file, src, tag, "unclosed tag");
			return QUIRE_EPARSE;
		}
		close = (size_t)(p - src);
		tag_end = close + (triple ? 3 : 2);

		sigil = triple ? '&' : src[body];
		if (!triple && sigil != '\0' && strchr("#^/>!&=", sigil))
			body++;
		name = src + body;
		nlen = close - body;
		while (nlen && (is_blank(*name) || *name == '\n' || *name == '\r')) {
			name++;
			nlen--;
		}
		while (nlen && (is_blank(name[nlen - 1]) ||
				name[nlen - 1] == '\n' || name[nlen - 1] == '\r'))
			nlen--;

		switch (sigil) {
		case '#': kind = TNODE_SECTION; break;
		case '^': kind = TNODE_INVERTED; break;
		case '>': kind = TNODE_PARTIAL; break;
		case '&': kind = TNODE_RAW; break;
		case '/': kind = TNODE_TEXT; break; /* a close; no node */
		case '!': kind = TNODE_TEXT; break; /* a comment; no node */
		case '=':
			template_error(err, tpl->file, src, tag,
				       "set-delimiter tags are not supported");
			return QUIRE_EPARSE;
		default: kind = TNODE_VAR; break;
		}
		if (sigil != '!' && !name_valid(name, nlen)) {
			template_error(err, tpl->file, src, tag,
				       "bad tag name \"%.*s\"",
				       (int)(nlen > 40 ? 40 : nlen), name);
			return QUIRE_EPARSE;
		}

		/* The standalone rule: only block tags, only when nothing
		 * but blanks share their line. */
		text_end = tag;
		next = tag_end;
		if (kind != TNODE_VAR && kind != TNODE_RAW) {
			ls = tag;
			while (ls > pos && is_blank(src[ls - 1]))
				ls--;
			j = tag_end;
			while (j < len && is_blank(src[j]))
				j++;
			if ((ls == 0 || src[ls - 1] == '\n') &&
			    (j == len || src[j] == '\n' ||
			     (src[j] == '\r' && j + 1 < len && src[j + 1] == '\n'))) {
				text_end = ls;
				next = j == len ? j : j + (src[j] == '\r' ? 2 : 1);
			}
		}
		if (text_end > pos) {
			rc = template_push(tpl, TNODE_TEXT, src + pos,
					   text_end - pos, pos);
			if (rc != QUIRE_OK)
				return rc;
		}

		switch (sigil) {
		case '!':
			break;
		case '/':
			if (depth == 0) {
				template_error(err, tpl->file, src, tag,
					       "unexpected {{/%.*s}} with no open section",
					       (int)nlen, name);
				return QUIRE_EPARSE;
			}
			j = open[depth - 1];
			if (tpl->nodes[j].len != nlen ||
			    memcmp(tpl->nodes[j].str, name, nlen) != 0) {
				template_error(err, tpl->file, src, tag,
					       "mismatched {{/%.*s}}, expected {{/%.*s}}",
					       (int)nlen, name,
					       (int)tpl->nodes[j].len,
					       tpl->nodes[j].str);
				return QUIRE_EPARSE;
			}
			tpl->nodes[j].end = tpl->n;
			depth--;
			break;
		default:
			if ((kind == TNODE_SECTION || kind == TNODE_INVERTED) &&
			    depth == TEMPLATE_MAX_NESTING) {
				template_error(err, tpl->file, src, tag,
					       "sections nested more than %d deep",
					       TEMPLATE_MAX_NESTING);
				return QUIRE_EPARSE;
			}
			rc = template_push(tpl, kind, name, nlen, tag);
			if (rc != QUIRE_OK)
				return rc;
			if (kind == TNODE_SECTION || kind == TNODE_INVERTED)
				open[depth++] = tpl->n - 1;
			break;
		}
		pos = next;
	}
	if (depth > 0) {
		j = open[depth - 1];
		template_error(err, tpl->file, src, tpl->nodes[j].pos,
			       "unclosed section {{%c%.*s}}",
			       tpl->nodes[j].kind == TNODE_SECTION ? '#' : '^',
			       (int)tpl->nodes[j].len, tpl->nodes[j].str);
		return QUIRE_EPARSE;
	}
	return QUIRE_OK;
}

/*
 * Compiles text (len bytes) as template name, reporting errors against
 * file, and adds it to t, replacing a template of the same name.
 */
static enum quire_err templates_add_len(struct templates *t, const char *name,
					const char *file, const char *text,
					size_t len, struct parse_error *err)
{
	struct template *tpl, *old;
	enum quire_err rc;

	if (len > QUIRE_MAX_TEMPLATE) {
		template_error(err, file, text, 0,
			       "template larger than %d bytes",
			       QUIRE_MAX_TEMPLATE);
		return QUIRE_ETOOBIG;
	}
	tpl = calloc(1, sizeof(*tpl));
	if (!tpl)
		return QUIRE_ENOMEM;
	rc = QUIRE_ENOMEM;
	tpl->name = strdup(name);
	tpl->file = strdup(file);
	tpl->src = malloc(len + 1);
	if (!tpl->name || !tpl->file || !tpl->src)
		goto out;
	memcpy(tpl->src, text, len);
	tpl->src[len] = '\0';
	tpl->src_len = len;
	rc = template_compile(tpl, err);
	if (rc != QUIRE_OK)
		goto out;
	HASH_FIND_STR(t->by_name, tpl->name, old);
	if (old) {
		HASH_DEL(t->by_name, old);
		template_free(old);
	}
	HASH_ADD_KEYPTR(hh, t->by_name, tpl->name, strlen(tpl->name), tpl);
	tpl = NULL;
out:
	template_free(tpl);
	return rc;
}

enum quire_err templates_add(struct templates *t, const char *name,
			     const char *text, struct parse_error *err)
{
	return templates_add_len(t, name, name, text, strlen(text), err);
}

/* Reads path whole into *out (NUL-terminated, caller frees). */
static enum quire_err read_file(const char *path, char **out, size_t *out_len,
				struct parse_error *err)
{
	struct buf b = BUF_INIT;
	struct stat st;
	ssize_t n;
	enum quire_err rc = QUIRE_EIO;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		goto fail_errno;
	if (fstat(fd, &st) == -1)
		goto fail_errno;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		goto fail_errno;
	}
	for (;;) {
		if (buf_grow(&b, 16384) != QUIRE_OK) {
			rc = QUIRE_ENOMEM;
			goto out;
		}
		n = read(fd, b.data + b.len, b.cap - b.len - 1);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			goto fail_errno;
		}
		if (n == 0)
			break;
		b.len += (size_t)n;
		b.data[b.len] = '\0';
		/* Checked while reading: the file may grow after fstat. */
		if (b.len > QUIRE_MAX_TEMPLATE) {
			rc = QUIRE_ETOOBIG;
			if (err) {
				err->line = 0;
				err->column = 0;
				snprintf(err->message, sizeof(err->message),
					 "%s: template larger than %d bytes",
					 path, QUIRE_MAX_TEMPLATE);
			}
			goto out;
		}
	}
	*out = buf_detach(&b, out_len);
	rc = *out ? QUIRE_OK : QUIRE_ENOMEM;
	goto out;
fail_errno:
	if (err) {
		err->line = 0;
		err->column = 0;
		snprintf(err->message, sizeof(err->message), "%s: %s", path,
			 strerror(errno));
	}
out:
	if (fd != -1)
		close(fd);
	buf_release(&b);
	return rc;
}

/* Returns the length of the template name in a directory entry name
 * (NAME.html or NAME.xml, not hidden), or 0 to skip it. */
static size_t template_file_name(const char *d)
{
	size_t len = strlen(d);

	if (d[0] == '.')
		return 0;
	if (len > 5 && strcmp(d + len - 5, ".html") == 0)
		return len - 5;
	if (len > 4 && strcmp(d + len - 4, ".xml") == 0)
		return len - 4;
	return 0;
}

static int template_dirent_filter(const struct dirent *d)
{
	return template_file_name(d->d_name) > 0;
}

/* Every partial a template names must exist in the set. */
static enum quire_err templates_check_partials(const struct templates *t,
					       struct parse_error *err)
{
	const struct template *tpl;
	const struct tnode *nd;
	size_t i;

	for (tpl = t->by_name; tpl; tpl = tpl->hh.next) {
		for (i = 0; i < tpl->n; i++) {
			nd = &tpl->nodes[i];
			if (nd->kind != TNODE_PARTIAL ||
			    templates_find(t, nd->str, nd->len))
				continue;
			template_error(err, tpl->file, tpl->src, nd->pos,
				       "unknown partial \"%.*s\"",
				       (int)nd->len, nd->str);
			return QUIRE_EPARSE;
		}
	}
	return QUIRE_OK;
}

enum quire_err templates_load(const char *dir, struct templates **out,
			      struct parse_error *err)
{
	struct dirent **ents = NULL;
	struct templates *t = NULL;
	char *path = NULL, *name = NULL, *text = NULL;
	size_t nlen, tlen;
	enum quire_err rc;
	int n = 0, i, saved;

	*out = NULL;
	if (err)
		memset(err, 0, sizeof(*err));
	/* Sorted, so that which error is reported first does not depend
	 * on the file system. */
	n = scandir(dir, &ents, template_dirent_filter, alphasort);
	if (n < 0) {
		saved = errno;
		if (err)
			snprintf(err->message, sizeof(err->message), "%s: %s",
				 dir, strerror(saved));
		n = 0;
		rc = saved == ENOMEM ? QUIRE_ENOMEM : QUIRE_EIO;
		goto out;
	}
	rc = QUIRE_ENOMEM;
	t = templates_new();
	if (!t)
		goto out;
	for (i = 0; i < n; i++) {
		nlen = template_file_name(ents[i]->d_name);
		name = strndup(ents[i]->d_name, nlen);
		if (!name || asprintf(&path, "%s/%s", dir, ents[i]->d_name) == -1) {
			path = NULL;
			rc = QUIRE_ENOMEM;
			goto out;
		}
		if (templates_has(t, name)) {
			if (err)
				snprintf(err->message, sizeof(err->message),
					 "%s: template \"%s\" defined twice",
					 path, name);
			rc = QUIRE_EPARSE;
			goto out;
		}
		rc = read_file(path, &text, &tlen, err);
		if (rc != QUIRE_OK)
			goto out;
		rc = templates_add_len(t, name, path, text, tlen, err);
		if (rc != QUIRE_OK)
			goto out;
		free(text);
		free(path);
		free(name);
		text = path = name = NULL;
	}
	rc = templates_check_partials(t, err);
	if (rc != QUIRE_OK)
		goto out;
	*out = t;
	t = NULL;
out:
	for (i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	free(text);
	free(path);
	free(name);
	templates_free(t);
	return rc;
}

/* ---- rendering ---- */

/* One level of the context stack. */
struct tctx {
	const struct tvars *obj;
	const struct tctx *up;
	size_t index;     /* list items: 0-based position */
	size_t count;     /* list items: length of the list; 0 otherwise */
};

struct trender {
	const struct templates *t;
	struct buf *out;
	size_t partial_calls;
	size_t steps;     /* nodes visited, up to TEMPLATE_MAX_STEPS */
	size_t out_start; /* out->len when the render began */
	int stopped;      /* TEMPLATE_MAX_STEPS or _OUTPUT reached */
};

/*
 * Resolves a (dotted) name: its first segment from the innermost context
 * outwards, the others inside what the first found (the mustache rule:
 * a.b never finds b in an outer context). *tmp holds a value made up for
 * -first, -last and -index. Returns NULL when missing.
 */
static const struct tval *lookup(const struct tctx *ctx, const char *name,
				 size_t len, struct tval *tmp, char *num,
				 size_t numsz)
{
	const struct tfield *f = NULL;
	const struct tval *val;
	const char *dot;
	size_t seg;
	int n;

	dot = memchr(name, '.', len);
	seg = dot ? (size_t)(dot - name) : len;
	if (name[0] == '-') {
		while (ctx && ctx->count == 0)
			ctx = ctx->up;
		if (!ctx || dot)
			return NULL;
		memset(tmp, 0, sizeof(*tmp));
		tmp->kind = TVAL_BOOL;
		if (seg == 6 && memcmp(name, "-first", 6) == 0) {
			tmp->u.b = ctx->index == 0;
		} else if (seg == 5 && memcmp(name, "-last", 5) == 0) {
			tmp->u.b = ctx->index + 1 == ctx->count;
		} else if (seg == 6 && memcmp(name, "-index", 6) == 0) {
			n = snprintf(num, numsz, "%zu", ctx->index + 1);
			tmp->kind = TVAL_STRING;
			tmp->u.str.s = num;
			tmp->u.str.len = n > 0 ? (size_t)n : 0;
		} else {
			return NULL;
		}
		return tmp;
	}
	for (; ctx; ctx = ctx->up) {
		f = tvars_find(ctx->obj, name, seg);
		if (f)
			break;
	}
	if (!f)
		return NULL;
	val = &f->val;
	while (dot) {
		name = dot + 1;
		len -= seg + 1;
		dot = memchr(name, '.', len);
		seg = dot ? (size_t)(dot - name) : len;
		if (val->kind != TVAL_OBJECT)
			return NULL;
		f = tvars_find(val->u.obj, name, seg);
		if (!f)
			return NULL;
		val = &f->val;
	}
	return val;
}

/* Whether a value makes {{#name}} render (and {{^name}} not). */
static int tval_truthy(const struct tval *val)
{
	if (!val)
		return 0;
	switch (val->kind) {
	case TVAL_STRING: return val->u.str.len > 0;
	case TVAL_BOOL: return val->u.b;
	case TVAL_LIST: return val->u.list.n > 0;
	case TVAL_OBJECT: return 1;
	}
	return 0;
}

static void render_range(struct trender *r, const struct template *tpl,
			 size_t from, size_t to, const struct tctx *ctx,
			 unsigned depth);

static void render_section(struct trender *r, const struct template *tpl,
			   const struct tnode *nd, size_t i,
			   const struct tctx *ctx, unsigned depth)
{
	struct tval tmp;
	char num[24];
	const struct tval *val;
	struct tctx sub;
	size_t k;

	val = lookup(ctx, nd->str, nd->len, &tmp, num, sizeof(num));
	if (nd->kind == TNODE_INVERTED) {
		if (!tval_truthy(val))
			render_range(r, tpl, i + 1, nd->end, ctx, depth);
		return;
	}
	if (!tval_truthy(val))
		return;
	switch (val->kind) {
	case TVAL_LIST:
		sub.up = ctx;
		sub.count = val->u.list.n;
		for (k = 0; k < val->u.list.n && !r->out->failed && !r->stopped;
		     k++) {
			sub.obj = val->u.list.v[k];
			sub.index = k;
			render_range(r, tpl, i + 1, nd->end, &sub, depth);
		}
		break;
	case TVAL_OBJECT:
		sub.obj = val->u.obj;
		sub.up = ctx;
		sub.index = 0;
		sub.count = 0;
		render_range(r, tpl, i + 1, nd->end, &sub, depth);
		break;
	default:
		/* A true value or a non-empty string: once, same context. */
		render_range(r, tpl, i + 1, nd->end, ctx, depth);
		break;
	}
}

static void render_var(struct trender *r, const struct tnode *nd,
		       const struct tctx *ctx)
{
	struct tval tmp;
	char num[24];
	const struct tval *val;

	val = lookup(ctx, nd->str, nd->len, &tmp, num, sizeof(num));
	if (!val)
		return;
	switch (val->kind) {
	case TVAL_STRING:
		if (nd->kind == TNODE_RAW)
			buf_append(r->out, val->u.str.s, val->u.str.len);
		else
			html_escape(r->out, val->u.str.s, val->u.str.len);
		break;
	case TVAL_BOOL:
		buf_puts(r->out, val->u.b ? "true" : "false");
		break;
	default:
		/* Lists and objects have no text. */
		break;
	}
}

static void render_range(struct trender *r, const struct template *tpl,
			 size_t from, size_t to, const struct tctx *ctx,
			 unsigned depth)
{
	const struct template *part;
	const struct tnode *nd;
	size_t i = from;

	while (i < to && !r->out->failed && !r->stopped) {
		if (++r->steps > TEMPLATE_MAX_STEPS ||
		    r->out->len - r->out_start > TEMPLATE_MAX_OUTPUT) {
			r->stopped = 1;
			break;
		}
		nd = &tpl->nodes[i];
		switch (nd->kind) {
		case TNODE_TEXT:
			buf_append(r->out, nd->str, nd->len);
			break;
		case TNODE_VAR:
		case TNODE_RAW:
			render_var(r, nd, ctx);
			break;
		case TNODE_SECTION:
		case TNODE_INVERTED:
			render_section(r, tpl, nd, i, ctx, depth);
			i = nd->end;
			continue;
		case TNODE_PARTIAL:
			/* A missing partial, or one past the limits, renders
			 * nothing: templates_load has already reported the
			 * missing ones, and a page beats an error here. */
			part = templates_find(r->t, nd->str, nd->len);
			if (!part || depth >= TEMPLATE_MAX_PARTIAL_DEPTH ||
			    r->partial_calls >= TEMPLATE_MAX_PARTIAL_CALLS)
				break;
			r->partial_calls++;
			render_range(r, part, 0, part->n, ctx, depth + 1);
			break;
		}
		i++;
	}
}

enum quire_err templates_render(const struct templates *t, const char *name,
				const struct tvars *vars, struct buf *out)
{
	const struct template *tpl;
	struct trender r;
	struct tctx root;
	struct tvars empty = { NULL, 0, 0, NULL };

	tpl = templates_find(t, name, strlen(name));
	if (!tpl)
		return QUIRE_ENOTFOUND;
	r.t = t;
	r.out = out;
	r.partial_calls = 0;
	r.steps = 0;
	r.out_start = out->len;
	r.stopped = 0;
	root.obj = vars ? vars : &empty;
	root.up = NULL;
	root.index = 0;
	root.count = 0;
	render_range(&r, tpl, 0, tpl->n, &root, 0);
	if (r.stopped)
		return QUIRE_ETOOBIG;
	return buf_failed(out) ? QUIRE_ENOMEM : QUIRE_OK;
}
