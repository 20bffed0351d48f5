/*
 * markdown.c - Markdown to HTML (cmark-gfm and its GFM extensions)
 *
 * The only file that includes cmark-gfm. A render is: bound the input
 * (size, then a pre-scan for wide tables, the input that makes Debian's
 * cmark-gfm 0.29.0.gfm.6 quadratic), parse, walk the tree once (count
 * words, collect headings), give each heading a stable id, render, then
 * replace the characters XML and HTML forbid (html.c) and prefix the
 * footnote ids.
 *
 * Each heading is rendered on its own (same options, so safe mode and
 * the tag filter still apply), id="ID" is put into its opening tag, and
 * the heading is replaced by a custom block that prints that text:
 * custom nodes are printed verbatim even in safe mode, so the id is
 * escaped here. Output: <h2 id="ID">inlines</h2>.
 *
 * A fenced code block in a language source-highlight knows is replaced
 * the same way by <pre><code class="language-X"> and its tokens in
 * spans (highlight.h), within QUIRE_HIGHLIGHT_CPU_MS for the whole
 * render; any block it cannot do stays as cmark-gfm prints it.
 *
 * Each table and code block goes into a custom block that prints a box
 * around it, <div class="scroll" tabindex="0" role="region"
 * aria-label="Table 1">: on a phone a wide table or a long line scrolls
 * sideways in that box, and a box that scrolls must be reachable from
 * the keyboard and named (axe-core: scrollable-region-focusable). Done
 * here, once a render, so no request pays for it.
 *
 * CPU time is measured around parse and render and an over-long render is
 * refused after the fact. That protects what is published, not the
 * worker doing the rendering: a hard, preemptive bound (a child process
 * or a timer) is left to the callers that render untrusted input.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* memmem */
#endif
#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmark-gfm.h>
#include <cmark-gfm-core-extensions.h>

/* An id that cannot be stored fails the render instead of exiting. */
#define HASH_NONFATAL_OOM 1
#define uthash_nonfatal_oom(e) do { (e)->oom = 1; } while (0)
#include <uthash.h>

#include "content/highlight.h"
#include "content/html.h"
#include "content/markdown.h"
#include "lib/arena.h"
#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/quire.h"
#include "lib/sandbox_pool.h"

/* Extensions attached to every parser; "tagfilter" only acts at render
 * time, so the same list is handed to the renderer. */
static const char *const extension_names[] = {
	"table", "strikethrough", "autolink", "tagfilter", "tasklist",
};

#define N_EXTENSIONS (sizeof(extension_names) / sizeof(extension_names[0]))

/* Everything cmark-gfm makes for a render comes from the thread's arena
 * (arena.h) and goes at once when the render ends: what it hands back
 * is copied out first. */
static cmark_mem arena_mem = { arena_calloc, arena_realloc, arena_free };

/*
 * cmark-gfm 0.29.0.gfm.6 adds its extensions' special characters ('~',
 * ':', 'w', '|') to a table shared by the whole process when it parses
 * inlines and takes them out again at the end (cmark_parser_finish), so
 * two threads parsing at once lose each other's: a deploy rendering on
 * a thread per core committed posts without their <del> and links (56 of
 * 24,000 renders on 8 threads). Parsing holds this lock; the walk and
 * the HTML rendering, which do not touch the table, run in parallel.
 */
static pthread_mutex_t parse_lock = PTHREAD_MUTEX_INITIALIZER;

/* Longest heading id kept; longer text is cut (ids stay unique). */
#define HEADING_ID_MAX 80

static int registered;

static void parse_lock_take(void)
{
	pthread_mutex_lock(&parse_lock);
}

static void parse_lock_give(void)
{
	pthread_mutex_unlock(&parse_lock);
}

void markdown_init(void)
{
	/* cmark-gfm aborts when the core extensions are registered twice */
	if (registered)
		return;
	cmark_gfm_core_extensions_ensure_registered();
	/* A render above QUIRE_RENDER_INLINE_MAX may start a helper
	 * (sandbox_pool.c), a fork, while another thread parses: the
	 * helper's copy of the lock would stay held, and every post it is
	 * given fail as too slow. */
	if (pthread_atfork(parse_lock_take, parse_lock_give,
			   parse_lock_give) != 0)
		return;
	highlight_init();
	registered = 1;
}

/* A heading id in use, and the next suffix to try for it as a base. */
struct used_id {
	char *id;
	size_t next;
	int oom;
	UT_hash_handle hh;
};

/* One heading found in the tree. */
struct heading {
	cmark_node *node;
	int level;
	char *text;  /* plain text, for the id and the toc */
	char *id;
};

struct walk {
	struct heading *h;
	size_t n_h;
	size_t cap_h;
	size_t words;
	int in_word;
	unsigned wide_line; /* first line of a table wider than the limit */
	struct used_id *ids; /* uthash of every heading id given so far */
	const char *base;    /* relative link and image URLs go under it; NULL: kept */
	cmark_node **code;   /* fenced code blocks with a language */
	size_t n_code;
	size_t cap_code;
	cmark_node **boxed;  /* tables and code blocks, to box (box_block) */
	size_t n_boxed;
	size_t cap_boxed;
};

static void set_err(struct parse_error *err, unsigned line, const char *msg)
{
	if (!err)
		return;
	err->line = line;
	err->column = line ? 1 : 0;
	snprintf(err->message, sizeof(err->message), "%s", msg);
}

/* A table, not six comparisons: count_words looks at every byte of a
 * post's text (a tenth of a render's instructions before). */
static const unsigned char spaces[256] = {
	[' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1, ['\f'] = 1, ['\v'] = 1,
};

static int is_space(char c)
{
	return spaces[(unsigned char)c];
}

/*
 * Returns the number of cells of the table delimiter row in line, or 0
 * when the line cannot be one. A delimiter row is made of '|', '-', ':'
 * and blanks; a block quote or list marker may come first, and counts as
 * a cell at worst (so the count errs on the high side, never the low).
 */
static size_t delimiter_cells(const char *s, size_t n)
{
	size_t i, cells = 0, pipes = 0;
	int dash = 0;

	for (i = 0; i < n; i++) {
		switch (s[i]) {
		case '-':
			dash = 1;
			break;
		case '|':
			pipes++;
			cells += (size_t)dash;
			dash = 0;
			break;
		case ':': case ' ': case '\t':
		case '>': case '*': case '+': case '.': case ')':
			break;
		default:
			if (s[i] >= '0' && s[i] <= '9')
				break;
			return 0;
		}
	}
	cells += (size_t)dash;
	return pipes ? cells : 0;
}

/*
 * The header row of a GFM table must have as many cells as its delimiter
 * row, and every body row is padded to that count, so bounding delimiter
 * rows bounds the work cmark-gfm does on tables (a 40 KB table with
 * 10,000 columns takes a second). Returns the 1-based line of the first
 * row that is too wide, or 0.
 */
static unsigned wide_table_line(const char *md, size_t len)
{
	size_t start = 0, i;
	unsigned line = 1;

	/* CommonMark ends lines with \n, \r\n or a lone \r */
	for (i = 0; i <= len; i++) {
		if (i < len && md[i] != '\n' && md[i] != '\r')
			continue;
		if (delimiter_cells(md + start, i - start) > QUIRE_MAX_TABLE_COLS)
			return line;
		if (i < len && md[i] == '\r' && i + 1 < len && md[i + 1] == '\n')
			i++;
		start = i + 1;
		line++;
	}
	return 0;
}

static void count_words(struct walk *w, const char *s)
{
	for (; s && *s; s++) {
		if (is_space(*s)) {
			w->in_word = 0;
		} else if (!w->in_word) {
			w->in_word = 1;
			w->words++;
		}
	}
}

/* Appends the text of node's descendants (what a reader sees) to out. */
static void plain_text(cmark_node *node, struct buf *out)
{
	cmark_iter *it;
	cmark_event_type ev;
	cmark_node *cur;

	it = cmark_iter_new(node);
	if (!it) {
		out->failed = 1;
		return;
	}
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		if (ev != CMARK_EVENT_ENTER)
			continue;
		cur = cmark_iter_get_node(it);
		switch (cmark_node_get_type(cur)) {
		case CMARK_NODE_TEXT:
		case CMARK_NODE_CODE:
			buf_puts(out, cmark_node_get_literal(cur));
			break;
		case CMARK_NODE_SOFTBREAK:
		case CMARK_NODE_LINEBREAK:
			buf_putc(out, ' ');
			break;
		default:
			break;
		}
	}
	cmark_iter_free(it);
}

static enum quire_err walk_heading(struct walk *w, cmark_node *node)
{
	struct heading *h;
	struct buf text = BUF_INIT;

	if (quire_grow(&w->h, &w->cap_h, w->n_h, sizeof(*w->h), 16) != QUIRE_OK)
		return QUIRE_ENOMEM;
	plain_text(node, &text);
	while (text.len && is_space(text.data[text.len - 1]))
		buf_truncate(&text, text.len - 1);
	h = &w->h[w->n_h];
	h->node = node;
	h->level = cmark_node_get_heading_level(node);
	h->id = NULL;
	h->text = buf_detach(&text, NULL);
	if (!h->text)
		return QUIRE_ENOMEM;
	w->n_h++;
	return QUIRE_OK;
}

int markdown_url_relative(const char *url)
{
	size_t i;

	if (!url || !*url || url[0] == '/' || url[0] == '#' || url[0] == '?')
		return 0;
	/* a scheme (RFC 3986 §3.1) before any '/', '?' or '#': absolute */
	for (i = 0; url[i] && url[i] != '/' && url[i] != '?' && url[i] != '#'; i++)
		if (url[i] == ':')
			return 0;
	return 1;
}

/* A link's or image's relative URL made absolute under w->base (a page
 * bundle's folder, DESIGN §3), once, at render: "cover.jpg" and
 * "./cover.jpg" both become BASE "cover.jpg". The node's memory is the
 * parser's arena, dropped with the tree. */
static enum quire_err rebase_url(struct walk *w, cmark_node *node)
{
	const char *url = cmark_node_get_url(node);
	struct buf b = BUF_INIT;
	int ok;

	if (!markdown_url_relative(url))
		return QUIRE_OK;
	while (url[0] == '.' && url[1] == '/')
		url += 2;
	buf_puts(&b, w->base);
	buf_puts(&b, url);
	if (buf_failed(&b))
		return QUIRE_ENOMEM;
	ok = cmark_node_set_url(node, b.data);
	buf_release(&b);
	return ok ? QUIRE_OK : QUIRE_ENOMEM;
}

/* Keeps node, a code block, when its info string names a language. */
static enum quire_err walk_code(struct walk *w, cmark_node *node)
{
	const char *info = cmark_node_get_fence_info(node);

	if (!info || !*info || is_space(*info))
		return QUIRE_OK;
	if (quire_grow(&w->code, &w->cap_code, w->n_code, sizeof(*w->code),
		       8) != QUIRE_OK)
		return QUIRE_ENOMEM;
	w->code[w->n_code++] = node;
	return QUIRE_OK;
}

/* Keeps node, a table or a code block, to be boxed. */
static enum quire_err walk_boxed(struct walk *w, cmark_node *node)
{
	if (quire_grow(&w->boxed, &w->cap_boxed, w->n_boxed,
		       sizeof(*w->boxed), 8) != QUIRE_OK)
		return QUIRE_ENOMEM;
	w->boxed[w->n_boxed++] = node;
	return QUIRE_OK;
}

/* One pass over the tree: words, headings, code, and table widths. */
static enum quire_err walk_tree(cmark_node *doc, struct walk *w)
{
	cmark_iter *it;
	cmark_event_type ev;
	cmark_node *cur;
	enum quire_err rc = QUIRE_OK;

	it = cmark_iter_new(doc);
	if (!it)
		return QUIRE_ENOMEM;
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cur = cmark_iter_get_node(it);
		switch (cmark_node_get_type(cur)) {
		case CMARK_NODE_TEXT:
		case CMARK_NODE_CODE:
			count_words(w, cmark_node_get_literal(cur));
			continue;
		case CMARK_NODE_CODE_BLOCK:
			w->in_word = 0;
			count_words(w, cmark_node_get_literal(cur));
			w->in_word = 0;
			rc = walk_code(w, cur);
			if (rc == QUIRE_OK)
				rc = walk_boxed(w, cur);
			if (rc != QUIRE_OK)
				goto out;
			continue;
		case CMARK_NODE_SOFTBREAK:
		case CMARK_NODE_LINEBREAK:
			w->in_word = 0;
			continue;
		case CMARK_NODE_HEADING:
			w->in_word = 0;
			if (ev == CMARK_EVENT_ENTER) {
				rc = walk_heading(w, cur);
				if (rc != QUIRE_OK)
					goto out;
			}
			continue;
		case CMARK_NODE_LINK:
		case CMARK_NODE_IMAGE:
			if (ev == CMARK_EVENT_ENTER && w->base &&
			    (rc = rebase_url(w, cur)) != QUIRE_OK)
				goto out;
			continue;
		default:
			break;
		}
		if (ev == CMARK_EVENT_ENTER &&
		    strcmp(cmark_node_get_type_string(cur), "table") == 0) {
			if (!w->wide_line &&
			    cmark_gfm_extensions_get_table_columns(cur) >
			    QUIRE_MAX_TABLE_COLS)
				w->wide_line =
					(unsigned)cmark_node_get_start_line(cur);
			if ((rc = walk_boxed(w, cur)) != QUIRE_OK)
				goto out;
		}
		/* a block boundary ends a word; inline markup does not */
		if ((cmark_node_get_type(cur) & CMARK_NODE_TYPE_MASK) ==
		    CMARK_NODE_TYPE_BLOCK)
			w->in_word = 0;
	}
out:
	cmark_iter_free(it);
	return rc;
}

/* Records id as used; takes it over (freed with the walk) on success. */
static enum quire_err use_id(struct walk *w, char *id)
{
	struct used_id *u;

	u = calloc(1, sizeof(*u));
	if (!u)
		return QUIRE_ENOMEM;
	u->id = id;
	u->next = 1;
	HASH_ADD_KEYPTR(hh, w->ids, u->id, strlen(u->id), u);
	if (u->oom) {
		free(u);
		return QUIRE_ENOMEM;
	}
	return QUIRE_OK;
}

static struct used_id *find_id(const struct walk *w, const char *id)
{
	struct used_id *u;

	HASH_FIND_STR(w->ids, id, u);
	return u;
}

/*
 * The id of heading i: its text lower-cased, ASCII letters and digits
 * kept, every other run of characters one '-', no '-' at either end;
 * "section" when nothing is left. A taken id gets -1, -2 ... (GitHub's
 * rule), checked against every id so far so "a-1" cannot collide either;
 * each base remembers its next suffix, so many equal headings stay linear.
 */
static enum quire_err make_id(struct walk *w, size_t i)
{
	struct buf id = BUF_INIT;
	struct used_id *base;
	const char *s;
	char *copy;
	size_t n;
	char c;
	int dash = 0;

	for (s = w->h[i].text; *s && id.len < HEADING_ID_MAX; s++) {
		c = *s;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			if (dash && id.len)
				buf_putc(&id, '-');
			buf_putc(&id, c);
			dash = 0;
		} else if ((unsigned char)c < 0x80) {
			/* bytes of a UTF-8 character are dropped, not split */
			dash = 1;
		}
	}
	if (id.len == 0)
		buf_puts(&id, "section");
	if (buf_failed(&id))
		return QUIRE_ENOMEM;
	base = find_id(w, id.data);
	if (base) {
		n = base->next;
		do {
			buf_truncate(&id, strlen(base->id));
			buf_printf(&id, "-%zu", n++);
		} while (!buf_failed(&id) && find_id(w, id.data));
		base->next = n;
	}
	copy = buf_detach(&id, NULL);
	if (!copy)
		return QUIRE_ENOMEM;
	if (use_id(w, copy) != QUIRE_OK) {
		free(copy);
		return QUIRE_ENOMEM;
	}
	/* the hash owns the string; the heading borrows it */
	w->h[i].id = copy;
	return QUIRE_OK;
}

/*
 * Replaces heading h by a custom block that prints the heading as
 * cmark-gfm renders it ("<hN>inlines</hN>", with the same options, so
 * safe mode and the tag filter still apply) with id="ID" added. The
 * rendered text goes in verbatim, so only the id needs escaping here.
 * prefix (may be NULL) and '-' go before the id.
 */
static enum quire_err retag_heading(const struct heading *h, int opts,
				    cmark_llist *exts, const char *prefix)
{
	struct buf open = BUF_INIT;
	cmark_node *block = NULL;
	char *html;
	size_t n;
	enum quire_err rc = QUIRE_ENOMEM;

	html = cmark_render_html(h->node, opts, exts);
	if (!html)
		return QUIRE_ENOMEM;
	n = strlen(html);
	while (n && html[n - 1] == '\n')
		n--;
	if (n < 4 || strncmp(html, "<h", 2) != 0 || html[3] != '>') {
		/* never happens with cmark-gfm 0.29; keep the heading as is */
		rc = QUIRE_OK;
		goto out;
	}
	buf_append(&open, html, 3);
	buf_puts(&open, " id=\"");
	if (prefix) {
		html_escape(&open, prefix, strlen(prefix));
		buf_putc(&open, '-');
	}
	html_escape(&open, h->id, strlen(h->id));
	buf_putc(&open, '"');
	buf_append(&open, html + 3, n - 3);
	if (buf_failed(&open))
		goto out;
	block = cmark_node_new_with_mem(CMARK_NODE_CUSTOM_BLOCK, &arena_mem);
	if (!block || !cmark_node_set_on_enter(block, open.data) ||
	    !cmark_node_set_on_exit(block, "") ||
	    !cmark_node_replace(h->node, block))
		goto out;
	cmark_node_free(h->node);
	block = NULL;
	rc = QUIRE_OK;
out:
	if (block)
		cmark_node_free(block);
	buf_release(&open);
	arena_free(html);
	return rc;
}

/* Longest language name looked up; longer: no language (highlight.h
 * refuses them too). */
#define LANG_MAX 32

/*
 * Replaces code block node by a custom block printing it highlighted,
 * in the markup cmark-gfm gives a fenced block: <pre><code
 * class="language-X"> (X the info string's first word) and the code,
 * its tokens in spans. A block that cannot be (an unknown language, too
 * large, *cpu_ns run out, a failure) stays as it is; QUIRE_OK but for
 * QUIRE_ENOMEM.
 */
static enum quire_err highlight_block(cmark_node *node, long long *cpu_ns)
{
	const char *info = cmark_node_get_fence_info(node);
	const char *code = cmark_node_get_literal(node);
	struct buf html = BUF_INIT;
	cmark_node *block = NULL;
	char lang[LANG_MAX + 1];
	size_t n = 0;
	enum quire_err rc;

	/* cmark-gfm's first word: up to a space, tab or line end */
	while (info[n] && !is_space(info[n]))
		n++;
	if (n > LANG_MAX)
		return QUIRE_OK;
	memcpy(lang, info, n);
	lang[n] = '\0';
	buf_puts(&html, "<pre><code class=\"language-");
	html_escape(&html, lang, n);
	buf_puts(&html, "\">");
	rc = highlight_html(lang, code ? code : "", code ? strlen(code) : 0,
			    cpu_ns, &html);
	if (rc != QUIRE_OK)
		goto out;
	buf_puts(&html, "</code></pre>");
	rc = QUIRE_ENOMEM;
	if (buf_failed(&html))
		goto out;
	block = cmark_node_new_with_mem(CMARK_NODE_CUSTOM_BLOCK, &arena_mem);
	if (!block || !cmark_node_set_on_enter(block, html.data) ||
	    !cmark_node_set_on_exit(block, "") ||
	    !cmark_node_replace(node, block))
		goto out;
	cmark_node_free(node);
	block = NULL;
	rc = QUIRE_OK;
out:
	if (block)
		cmark_node_free(block);
	buf_release(&html);
	return rc == QUIRE_ENOMEM ? rc : QUIRE_OK;
}

/*
 * Puts node, a table or a code block, into a custom block printing the
 * box it scrolls in (the file's head comment), named "Table N" or
 * "Code N", N counting each kind in *tables or *codes. Before any
 * highlight_block: the block it puts there is then inside the box.
 */
static enum quire_err box_block(cmark_node *node, unsigned *tables,
				unsigned *codes)
{
	int table = cmark_node_get_type(node) != CMARK_NODE_CODE_BLOCK;
	char open[128];
	cmark_node *box;

	snprintf(open, sizeof(open),
		 "<div class=\"scroll\" tabindex=\"0\" role=\"region\" "
		 "aria-label=\"%s %u\">", table ? "Table" : "Code",
		 table ? ++*tables : ++*codes);
	box = cmark_node_new_with_mem(CMARK_NODE_CUSTOM_BLOCK, &arena_mem);
	if (!box || !cmark_node_set_on_enter(box, open) ||
	    !cmark_node_set_on_exit(box, "</div>") ||
	    !cmark_node_insert_before(node, box)) {
		if (box)
			cmark_node_free(box);
		return QUIRE_ENOMEM;
	}
	/* in the tree now: freed with it whatever follows */
	return cmark_node_append_child(box, node) ? QUIRE_OK : QUIRE_ENOMEM;
}

/*
 * <nav class="toc"><ol><li><a href="#id">Text</a><ol>...</ol></li></ol></nav>:
 * a deeper heading opens a list inside the current item, a shallower one
 * closes lists until its level fits.
 */
static char *build_toc(const struct walk *w)
{
	struct buf out = BUF_INIT;
	int levels[8];
	size_t i, depth = 0;
	int l;

	if (w->n_h == 0)
		return NULL;
	buf_puts(&out, "<nav class=\"toc\">");
	for (i = 0; i < w->n_h; i++) {
		l = w->h[i].level;
		if (depth == 0) {
			buf_puts(&out, "<ol>");
			levels[depth++] = l;
		} else if (l > levels[depth - 1] && depth < 8) {
			buf_puts(&out, "<ol>");
			levels[depth++] = l;
		} else {
			buf_puts(&out, "</li>");
			while (depth > 1 && l <= levels[depth - 2]) {
				buf_puts(&out, "</ol></li>");
				depth--;
			}
			if (l < levels[depth - 1])
				levels[depth - 1] = l;
		}
		buf_puts(&out, "<li><a href=\"#");
		html_escape(&out, w->h[i].id, strlen(w->h[i].id));
		buf_puts(&out, "\">");
		html_escape(&out, w->h[i].text, strlen(w->h[i].text));
		buf_puts(&out, "</a>");
	}
	buf_puts(&out, "</li></ol>");
	while (--depth > 0)
		buf_puts(&out, "</li></ol>");
	buf_puts(&out, "</nav>");
	return buf_detach(&out, NULL);
}

/*
 * Returns how many bytes of s to keep before a prefix goes in when s
 * starts one of the attributes cmark-gfm writes for footnotes: id="fn-X",
 * href="#fn-X", id="fnref-X", href="#fnref-X"; else 0.
 */
static size_t footnote_attr(const char *s)
{
	size_t keep;

	if (strncmp(s, "id=\"", 4) == 0)
		keep = 4;
	else if (strncmp(s, "href=\"#", 7) == 0)
		keep = 7;
	else
		return 0;
	if (strncmp(s + keep, "fn-", 3) == 0 ||
	    strncmp(s + keep, "fnref-", 6) == 0)
		return keep;
	return 0;
}

/*
 * What cmark-gfm's tasklist extension writes to open a task's checkbox,
 * and what goes after it: a name, which a form control needs for a
 * screen reader to say what it is (axe-core's rule "label", critical;
 * found by tests/browser on the sample's Markdown tour). The checkbox
 * is disabled, its state is read out, the item's text follows.
 */
#define TASK_INPUT "<input type=\"checkbox\" "
#define TASK_LABEL "aria-label=\"Task\" "

/*
 * The rendered HTML as it is stored: cleaned (html_clean), each task
 * list checkbox named (TASK_LABEL) and, when a prefix is given, with it
 * put before the footnote ids, in one linear pass.
 *
 * Cleaned: cmark-gfm writes control characters through as they are,
 * whether raw in the text or as references it decoded (&#1;), and the
 * body goes into pages raw, so one such byte would make every feed that
 * carries the post not XML. Doing it here, once a render, keeps the
 * stored HTML clean and costs no request anything.
 *
 * cmark-gfm names footnotes fn-LABEL and their references fnref-LABEL,
 * the same in every document. Text and attribute values it writes have
 * '"' escaped, so these patterns only occur where it put them (or in a
 * link the author wrote to a footnote, which must follow anyway). The
 * stretches between them end on ASCII, never inside a character.
 */
static char *finish_html(const char *html, const char *prefix)
{
	struct buf out = BUF_INIT;
	const char *p, *start = html;
	int prefixed = prefix && *prefix;
	size_t keep;

	for (p = html; *p; p++) {
		if (*p == '<' &&
		    strncmp(p, TASK_INPUT, sizeof TASK_INPUT - 1) == 0) {
			keep = sizeof TASK_INPUT - 1;
			html_clean(&out, start, (size_t)(p - start) + keep);
			buf_puts(&out, TASK_LABEL);
			p += keep - 1;
			start = p + 1;
			continue;
		}
		if (!prefixed || (*p != 'i' && *p != 'h'))
			continue;
		keep = footnote_attr(p);
		if (!keep)
			continue;
		html_clean(&out, start, (size_t)(p - start) + keep);
		html_escape(&out, prefix, strlen(prefix));
		buf_putc(&out, '-');
		p += keep - 1;
		start = p + 1;
	}
	html_clean(&out, start, strlen(start));
	return buf_detach(&out, NULL);
}

static long cpu_ms_since(const struct timespec *t0)
{
	struct timespec t1;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1) == -1)
		return 0;
	return (long)(t1.tv_sec - t0->tv_sec) * 1000 +
	       (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

static void walk_release(struct walk *w)
{
	struct used_id *u, *tmp;
	size_t i;

	for (i = 0; i < w->n_h; i++)
		free(w->h[i].text);
	free(w->h);
	free(w->code);
	free(w->boxed);
	HASH_ITER(hh, w->ids, u, tmp) {
		HASH_DEL(w->ids, u);
		free(u->id);
		free(u);
	}
}

/* Renders in this process; the caller has checked the limits. */
static enum quire_err render_here(const char *md, size_t len, unsigned flags,
				  const char *id_prefix, const char *base,
				  struct markdown_out *out,
				  struct parse_error *err)
{
	struct walk w;
	struct timespec t0;
	long long highlight_ns = (long long)QUIRE_HIGHLIGHT_CPU_MS * 1000000;
	cmark_parser *parser = NULL;
	cmark_syntax_extension *ext;
	cmark_node *doc = NULL;
	char *html = NULL, *rendered;
	char msg[128];
	size_t i;
	unsigned tables = 0, codes = 0;
	const char *heading_prefix = NULL;
	int opts;
	enum quire_err rc = QUIRE_ENOMEM;

	memset(&w, 0, sizeof(w));
	w.base = base;
	if ((flags & MARKDOWN_PREFIX_HEADINGS) && id_prefix && *id_prefix)
		heading_prefix = id_prefix;
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0) == -1) {
		set_err(err, 0, "cannot read the cpu clock");
		return QUIRE_EIO;
	}
	opts = CMARK_OPT_FOOTNOTES;
	if (flags & MARKDOWN_UNSAFE)
		opts |= CMARK_OPT_UNSAFE;
	parser = cmark_parser_new_with_mem(opts, &arena_mem);
	if (!parser)
		goto out;
	for (i = 0; i < N_EXTENSIONS; i++) {
		ext = cmark_find_syntax_extension(extension_names[i]);
		if (!ext || !cmark_parser_attach_syntax_extension(parser, ext)) {
			set_err(err, 0, "cmark-gfm extension missing");
			rc = QUIRE_EINVAL;
			goto out;
		}
	}
	pthread_mutex_lock(&parse_lock);
	cmark_parser_feed(parser, md, len);
	doc = cmark_parser_finish(parser);
	pthread_mutex_unlock(&parse_lock);
	if (!doc)
		goto out;

	rc = walk_tree(doc, &w);
	if (rc != QUIRE_OK)
		goto out;
	if (w.wide_line) {
		/* the pre-scan should have caught it; never render one */
		snprintf(msg, sizeof(msg), "table has more than %d columns",
			 QUIRE_MAX_TABLE_COLS);
		set_err(err, w.wide_line, msg);
		rc = QUIRE_ETOOBIG;
		goto out;
	}
	rc = QUIRE_ENOMEM;
	for (i = 0; i < w.n_h; i++) {
		if (make_id(&w, i) != QUIRE_OK)
			goto out;
		if (retag_heading(&w.h[i], opts,
				  cmark_parser_get_syntax_extensions(parser),
				  heading_prefix) != QUIRE_OK)
			goto out;
		w.h[i].node = NULL;
	}
	for (i = 0; i < w.n_boxed; i++)
		if (box_block(w.boxed[i], &tables, &codes) != QUIRE_OK)
			goto out;
	for (i = 0; i < w.n_code; i++)
		if (highlight_block(w.code[i], &highlight_ns) != QUIRE_OK)
			goto out;

	rendered = cmark_render_html(doc, opts,
				     cmark_parser_get_syntax_extensions(parser));
	if (!rendered)
		goto out;
	/* out of the arena before it goes */
	html = finish_html(rendered, id_prefix);
	if (!html)
		goto out;
	if (flags & MARKDOWN_TOC) {
		out->toc_html = build_toc(&w);
		if (w.n_h && !out->toc_html)
			goto out;
	}
	if (cpu_ms_since(&t0) > QUIRE_RENDER_CPU_MS) {
		snprintf(msg, sizeof(msg),
			 "rendering took more than %d ms of cpu time",
			 QUIRE_RENDER_CPU_MS);
		set_err(err, 0, msg);
		rc = QUIRE_ETIMEOUT;
		goto out;
	}
	out->html = html;
	out->words = w.words;
	html = NULL;
	rc = QUIRE_OK;
out:
	if (rc != QUIRE_OK) {
		if (rc == QUIRE_ENOMEM && err && !err->message[0])
			set_err(err, 0, "out of memory");
		markdown_out_release(out);
	}
	free(html);
	walk_release(&w);
	/* The tree, the parser and the rendered text are all in the arena:
	 * dropped at once, not node by node. */
	arena_reset();
	return rc;
}

/* What a render in a helper is asked to do, as bytes: flags, the
 * lengths of id_prefix and base (UINT32_MAX for NULL), then each of
 * them with its NUL, then the Markdown. */
struct job_head {
	uint32_t flags;
	uint32_t prefix_len;
	uint32_t base_len;
};

static void put_opt(struct buf *b, const char *s)
{
	if (s)
		buf_append(b, s, strlen(s) + 1);
}

static uint32_t opt_len(const char *s)
{
	return s ? (uint32_t)strlen(s) : UINT32_MAX;
}

/* The string of n bytes and its NUL at *p (of end), or NULL for
 * UINT32_MAX, into *out; 0 when the bytes are not there. */
static int take_opt(const char **p, const char *end, uint32_t n,
		    const char **out)
{
	*out = NULL;
	if (n == UINT32_MAX)
		return 1;
	if ((size_t)(end - *p) <= n || (*p)[n] != '\0')
		return 0;
	*out = *p;
	*p += (size_t)n + 1;
	return 1;
}

/* The helper's side (sandbox_pool.h): render, then the result as bytes:
 * rc, error line, error message (fixed size), words, html length and
 * bytes, toc length (SIZE_MAX for none) and bytes. */
static void render_job(const char *in, size_t n, struct buf *out)
{
	const char *p = in, *end = in + n, *pre, *bas;
	struct job_head h;
	struct markdown_out o;
	struct parse_error e;
	size_t hl, tl;
	enum quire_err rc;

	memset(&o, 0, sizeof(o));
	memset(&e, 0, sizeof(e));
	if ((size_t)(end - p) < sizeof(h))
		return; /* an empty answer: the caller says truncated */
	memcpy(&h, p, sizeof(h));
	p += sizeof(h);
	if (!take_opt(&p, end, h.prefix_len, &pre) ||
	    !take_opt(&p, end, h.base_len, &bas))
		return;
	rc = render_here(p, (size_t)(end - p), h.flags, pre, bas, &o, &e);
	hl = o.html ? strlen(o.html) : 0;
	tl = o.toc_html ? strlen(o.toc_html) : SIZE_MAX;
	buf_append(out, &rc, sizeof(rc));
	buf_append(out, &e, sizeof(e));
	buf_append(out, &o.words, sizeof(o.words));
	buf_append(out, &hl, sizeof(hl));
	buf_append(out, o.html ? o.html : "", hl);
	buf_append(out, &tl, sizeof(tl));
	if (o.toc_html)
		buf_append(out, o.toc_html, tl);
	markdown_out_release(&o);
}

/* Copies n bytes at *p (of end) into dst; 0 when there are not enough. */
static int take(const char **p, const char *end, void *dst, size_t n)
{
	if ((size_t)(end - *p) < n)
		return 0;
	memcpy(dst, *p, n);
	*p += n;
	return 1;
}

static char *take_str(const char **p, const char *end, size_t n)
{
	char *s;

	if ((size_t)(end - *p) < n || !(s = malloc(n + 1)))
		return NULL;
	memcpy(s, *p, n);
	s[n] = '\0';
	*p += n;
	return s;
}

void markdown_prestart(size_t threads)
{
	if (threads > 1)
		sandbox_pool_prestart(render_job, threads + 1);
}

/* Renders in a helper process (sandbox_pool.h) with QUIRE_RENDER_CPU_MS
 * of CPU time at most. */
static enum quire_err render_sandboxed(const char *md, size_t len,
				       unsigned flags, const char *id_prefix,
				       const char *base,
				       struct markdown_out *out,
				       struct parse_error *err)
{
	struct job_head h = { flags, opt_len(id_prefix), opt_len(base) };
	struct buf job = BUF_INIT, res = BUF_INIT;
	struct parse_error e;
	const char *p, *end;
	char msg[128];
	size_t hl, tl;
	enum quire_err rc, child_rc;

	buf_append(&job, &h, sizeof(h));
	put_opt(&job, id_prefix);
	put_opt(&job, base);
	buf_append(&job, md, len);
	rc = buf_failed(&job) ? QUIRE_ENOMEM :
		sandbox_pool_run(render_job, job.data, job.len,
				 (QUIRE_RENDER_CPU_MS + 999) / 1000, &res);
	buf_release(&job);
	if (rc == QUIRE_ETIMEOUT) {
		snprintf(msg, sizeof(msg), "rendering took more than %d ms of cpu "
			 "time (a pathological input?)", QUIRE_RENDER_CPU_MS);
		set_err(err, 0, msg);
		goto out;
	}
	if (rc != QUIRE_OK) {
		set_err(err, 0, "the markdown renderer failed");
		goto out;
	}
	rc = QUIRE_EIO;
	p = res.data;
	end = res.data + res.len;
	if (!take(&p, end, &child_rc, sizeof(child_rc)) ||
	    !take(&p, end, &e, sizeof(e)) ||
	    !take(&p, end, &out->words, sizeof(out->words)) ||
	    !take(&p, end, &hl, sizeof(hl)) ||
	    !(out->html = take_str(&p, end, hl)) ||
	    !take(&p, end, &tl, sizeof(tl)) ||
	    (tl != SIZE_MAX && !(out->toc_html = take_str(&p, end, tl)))) {
		set_err(err, 0, "the markdown renderer's answer is truncated");
		markdown_out_release(out);
		goto out;
	}
	rc = child_rc;
	if (rc != QUIRE_OK) {
		markdown_out_release(out);
		e.message[sizeof(e.message) - 1] = '\0';
		if (err)
			*err = e;
	}
out:
	buf_release(&res);
	return rc;
}

enum quire_err markdown_render(const char *md, size_t len, unsigned flags,
			       const char *id_prefix, struct markdown_out *out,
			       struct parse_error *err)
{
	return markdown_render_at(md, len, flags, id_prefix, NULL, out, err);
}

enum quire_err markdown_render_at(const char *md, size_t len, unsigned flags,
				  const char *id_prefix, const char *base,
				  struct markdown_out *out,
				  struct parse_error *err)
{
	char msg[128];
	unsigned line;

	memset(out, 0, sizeof(*out));
	if (err)
		memset(err, 0, sizeof(*err));
	if (len > QUIRE_MAX_MARKDOWN) {
		snprintf(msg, sizeof(msg), "markdown is larger than %d bytes",
			 QUIRE_MAX_MARKDOWN);
		set_err(err, 0, msg);
		return QUIRE_ETOOBIG;
	}
	line = wide_table_line(md, len);
	if (line) {
		snprintf(msg, sizeof(msg), "table has more than %d columns",
			 QUIRE_MAX_TABLE_COLS);
		set_err(err, line, msg);
		return QUIRE_ETOOBIG;
	}
	markdown_init();
	/*
	 * cmark-gfm 0.29's worst cases are quadratic in the input
	 * (CVE-2023-22483, CVE-2023-37463: 240 KB of "z_www." takes 40 s of
	 * CPU here). Below QUIRE_RENDER_INLINE_MAX that worst case stays well
	 * under the CPU bound, so small posts render here; larger ones render
	 * in a long-lived helper process (sandbox_pool.h) that is killed, and
	 * replaced, when a render passes the bound.
	 */
	if (len > QUIRE_RENDER_INLINE_MAX)
		return render_sandboxed(md, len, flags, id_prefix, base, out, err);
	return render_here(md, len, flags, id_prefix, base, out, err);
}

/* Where the first top-level paragraph of md (len bytes) is: *start and
 * *end, byte offsets; 0 when there is none, or when it is the last
 * thing in md and md was cut (it may go on past len). */
static int first_paragraph(const char *md, size_t len, int cut,
			   size_t *start, size_t *end)
{
	cmark_parser *parser = cmark_parser_new_with_mem(CMARK_OPT_DEFAULT,
							 &arena_mem);
	cmark_node *doc, *n;
	int first = 0, last = 0, line = 1, found = 0;
	size_t i;

	if (!parser)
		return 0;
	pthread_mutex_lock(&parse_lock);
	cmark_parser_feed(parser, md, len);
	doc = cmark_parser_finish(parser);
	pthread_mutex_unlock(&parse_lock);
	for (n = doc ? cmark_node_first_child(doc) : NULL; n;
	     n = cmark_node_next(n))
		if (cmark_node_get_type(n) == CMARK_NODE_PARAGRAPH) {
			first = cmark_node_get_start_line(n);
			last = cmark_node_get_end_line(n);
			/* a paragraph cut by len may go on: not this one */
			found = !cut || cmark_node_next(n) != NULL;
			break;
		}
	arena_reset(); /* the parser and the tree: what the arena holds */
	if (!found || first < 1 || last < first)
		return 0;
	*start = *end = len;
	for (i = 0; i <= len; i++) {
		if (line == first && *start == len)
			*start = i;
		if (i == len || md[i] == '\n') {
			if (line == last) {
				*end = i;
				break;
			}
			line++;
		}
	}
	return *start < *end;
}

/* Where each of the first max top-level blocks of md (len bytes) ends,
 * a byte offset, in ends[]; how many there are. Under the parse lock,
 * as every parse (cmark-gfm's extensions share state). */
static size_t block_ends(const char *md, size_t len, size_t *ends,
			 size_t max)
{
	cmark_parser *parser = cmark_parser_new_with_mem(CMARK_OPT_DEFAULT,
							 &arena_mem);
	int lines[QUIRE_SUMMARY_MAX_BLOCKS];
	cmark_node *doc, *n;
	size_t nb = 0, i, k = 0;
	int line = 1;

	if (!parser)
		return 0;
	if (max > QUIRE_SUMMARY_MAX_BLOCKS)
		max = QUIRE_SUMMARY_MAX_BLOCKS;
	pthread_mutex_lock(&parse_lock);
	cmark_parser_feed(parser, md, len);
	doc = cmark_parser_finish(parser);
	pthread_mutex_unlock(&parse_lock);
	for (n = doc ? cmark_node_first_child(doc) : NULL; n && nb < max;
	     n = cmark_node_next(n))
		lines[nb++] = cmark_node_get_end_line(n);
	arena_reset();
	/* line numbers to offsets: the end of each block's last line */
	for (i = 0; i <= len && k < nb; i++)
		if (i == len || md[i] == '\n') {
			while (k < nb && lines[k] <= line)
				ends[k++] = i;
			line++;
		}
	return k;
}

/* md[0, len) rendered for a summary: *html NULL when it is empty. */
static enum quire_err render_summary(const char *md, size_t len,
				     const char *id_prefix, const char *base,
				     char **html)
{
	struct markdown_out out;
	enum quire_err rc;

	*html = NULL;
	rc = markdown_render_at(md, len, MARKDOWN_PREFIX_HEADINGS, id_prefix,
				base, &out, NULL);
	if (rc != QUIRE_OK)
		return rc;
	free(out.toc_html);
	/* nothing but white space before the mark: no summary */
	if (out.html && !out.html[strspn(out.html, " \t\r\n")]) {
		free(out.html);
		out.html = NULL;
	}
	*html = out.html;
	return QUIRE_OK;
}

/*
 * md[0, len) cut at a top-level block so that its HTML fits
 * MARKDOWN_SUMMARY_MAX: the Markdown's blocks, never the HTML's text, so
 * no tag is ever cut. The most blocks that fit, by bisection (a few
 * renders of at most QUIRE_MAX_SUMMARY_MARKDOWN bytes); none when the
 * first alone is too long.
 */
static enum quire_err summary_cut(const char *md, size_t len,
				  const char *id_prefix, const char *base,
				  char **html)
{
	size_t ends[QUIRE_SUMMARY_MAX_BLOCKS];
	size_t nb, lo = 0, hi, mid;
	char *h = NULL;
	enum quire_err rc;

	*html = NULL;
	nb = block_ends(md, len, ends, QUIRE_SUMMARY_MAX_BLOCKS);
	/* blocks that end within the Markdown bound */
	for (hi = 0; hi < nb && ends[hi] <= QUIRE_MAX_SUMMARY_MARKDOWN; hi++)
		;
	while (lo < hi) { /* lo blocks fit; hi + 1 do not */
		mid = lo + (hi - lo + 1) / 2;
		rc = render_summary(md, ends[mid - 1], id_prefix, base, &h);
		if (rc != QUIRE_OK)
			return rc;
		if (h && strlen(h) <= MARKDOWN_SUMMARY_MAX) {
			lo = mid;
			free(*html);
			*html = h;
		} else {
			hi = mid - 1;
			free(h);
		}
		h = NULL;
	}
	return QUIRE_OK;
}

/* Whether s[0, len) is white space only. */
static int blank(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!strchr(" \t\r\n", s[i]) || !s[i])
			return 0;
	return 1;
}

enum quire_err markdown_summary(const char *md, size_t len,
				const char *id_prefix, const char *base,
				char **html, int *whole)
{
	const size_t scan = 4 * QUIRE_MAX_SUMMARY_MARKDOWN;
	const char *more;
	size_t start = 0, end = 0, rest;
	int all;
	enum quire_err rc;

	*html = NULL;
	if (whole)
		*whole = 0;
	more = len ? memmem(md, len, MARKDOWN_MORE, strlen(MARKDOWN_MORE)) : NULL;
	if (more) {
		end = (size_t)(more - md);
		rest = end + strlen(MARKDOWN_MORE);
	} else if (!first_paragraph(md, len < scan ? len : scan, len > scan,
				    &start, &end)) {
		return QUIRE_OK;
	} else {
		rest = end;
	}
	/* all of md: white space around what the summary is made of */
	all = blank(md, start) && blank(md + rest, len - rest);
	/* the common case: short enough as it is, one render */
	if (end - start <= QUIRE_MAX_SUMMARY_MARKDOWN) {
		rc = render_summary(md + start, end - start, id_prefix, base,
				    html);
		if (rc != QUIRE_OK || !*html)
			return rc;
		if (strlen(*html) <= MARKDOWN_SUMMARY_MAX) {
			if (whole)
				*whole = all;
			return QUIRE_OK;
		}
		free(*html);
		*html = NULL;
	}
	/* cut: some of it left out, so never the whole */
	return summary_cut(md + start, end - start, id_prefix, base, html);
}

void markdown_out_release(struct markdown_out *out)
{
	free(out->html);
	free(out->toc_html);
	memset(out, 0, sizeof(*out));
}

/* ------------------------------------------------------------- titles */

/* The title as written, as both forms: escaped for HTML, and as is. */
static enum quire_err title_as_written(const char *title, char **html,
				       char **text)
{
	struct buf b = BUF_INIT;

	html_escape(&b, title, strlen(title));
	*html = buf_detach(&b, NULL);
	*text = strdup(title);
	if (*html && *text)
		return QUIRE_OK;
	free(*html);
	free(*text);
	*html = *text = NULL;
	return QUIRE_ENOMEM;
}

/* The title on one line: each run of line breaks made one space. */
static char *one_line(const char *title, size_t len)
{
	char *s = malloc(len + 1);
	size_t i, o = 0;

	if (!s)
		return NULL;
	for (i = 0; i < len; i++) {
		if (title[i] != '\r' && title[i] != '\n')
			s[o++] = title[i];
		else if (i == 0 || (title[i - 1] != '\r' && title[i - 1] != '\n'))
			s[o++] = ' ';
	}
	s[o] = '\0';
	return s;
}

/* Collects the nodes under para that a title shows otherwise: raw HTML
 * (as its text), links and images (as their text). At most max. */
static size_t title_odd_nodes(cmark_node *para, cmark_node **v, size_t max)
{
	cmark_iter *it = cmark_iter_new(para);
	cmark_node_type t;
	cmark_node *cur;
	size_t n = 0;

	if (!it)
		return SIZE_MAX;
	while (cmark_iter_next(it) != CMARK_EVENT_DONE) {
		cur = cmark_iter_get_node(it);
		t = cmark_node_get_type(cur);
		if ((t == CMARK_NODE_HTML_INLINE || t == CMARK_NODE_LINK ||
		     t == CMARK_NODE_IMAGE) && cmark_iter_get_event_type(it) ==
		    CMARK_EVENT_ENTER) {
			if (n == max) {
				n = SIZE_MAX;
				break;
			}
			v[n++] = cur;
		}
	}
	cmark_iter_free(it);
	return n;
}

/* Raw HTML becomes text (escaped when rendered); a link or an image is
 * replaced by its children. 0, or -1 when out of memory. */
static int title_flatten(cmark_node *node)
{
	cmark_node *text, *child;

	if (cmark_node_get_type(node) == CMARK_NODE_HTML_INLINE) {
		text = cmark_node_new_with_mem(CMARK_NODE_TEXT, &arena_mem);
		if (!text || !cmark_node_set_literal(text,
				cmark_node_get_literal(node)) ||
		    !cmark_node_replace(node, text))
			return -1;
		return 0;
	}
	while ((child = cmark_node_first_child(node)))
		if (!cmark_node_insert_before(node, child))
			return -1;
	cmark_node_unlink(node);
	return 0;
}

/* The paragraph's HTML without <p> and </p>\n, cleaned (html.c). */
static char *title_html(cmark_node *para)
{
	struct buf b = BUF_INIT;
	char *r = cmark_render_html_with_mem(para, CMARK_OPT_DEFAULT, NULL,
					     &arena_mem);
	size_t n;

	if (!r)
		return NULL;
	n = strlen(r);
	if (n >= 8 && strncmp(r, "<p>", 3) == 0 &&
	    strcmp(r + n - 5, "</p>\n") == 0)
		html_clean(&b, r + 3, n - 8);
	else
		html_clean(&b, r, n);
	return buf_detach(&b, NULL);
}

enum quire_err markdown_title(const char *title, char **html, char **text)
{
	cmark_node *odd[64], *doc = NULL, *para;
	cmark_parser *parser;
	struct buf plain = BUF_INIT;
	size_t len, n, i;
	char *line;
	enum quire_err rc = QUIRE_ENOMEM;

	*html = *text = NULL;
	if (!title)
		return QUIRE_OK;
	len = strlen(title);
	/* Longer titles are shown as written: a title is a line, and the
	 * bound keeps cmark-gfm's quadratic inputs out (DESIGN §3). */
	if (len > QUIRE_MAX_TITLE_MARKDOWN)
		return title_as_written(title, html, text);
	line = one_line(title, len);
	if (!line)
		return QUIRE_ENOMEM;
	/* Core CommonMark only (no extension adds an inline a title
	 * needs); raw HTML is never passed: it becomes text below. */
	parser = cmark_parser_new_with_mem(CMARK_OPT_DEFAULT, &arena_mem);
	if (parser) {
		pthread_mutex_lock(&parse_lock);
		cmark_parser_feed(parser, line, strlen(line));
		doc = cmark_parser_finish(parser);
		pthread_mutex_unlock(&parse_lock);
	}
	free(line);
	if (!doc)
		goto out;
	para = cmark_node_first_child(doc);
	/* Anything but one paragraph (a list, a heading, a quote...) is a
	 * title that only looks like a block: shown as written. */
	if (!para || cmark_node_next(para) ||
	    cmark_node_get_type(para) != CMARK_NODE_PARAGRAPH) {
		rc = title_as_written(title, html, text);
		goto out;
	}
	n = title_odd_nodes(para, odd, sizeof(odd) / sizeof(odd[0]));
	if (n == SIZE_MAX) {
		rc = title_as_written(title, html, text);
		goto out;
	}
	for (i = 0; i < n; i++)
		if (title_flatten(odd[i]) != 0)
			goto out;
	plain_text(para, &plain);
	*text = buf_detach(&plain, NULL);
	*html = title_html(para);
	if (*text && *html) {
		rc = QUIRE_OK;
		goto out;
	}
	free(*text);
	free(*html);
	*html = *text = NULL;
out:
	buf_release(&plain);
	arena_reset();
	return rc;
}
