/*
 * highlight.cc - code in a known language as HTML with its tokens marked
 * (GNU source-highlight, behind a C interface)
 *
 * The only C++ file, and the only one that includes source-highlight.
 * Every C++ exception stops at highlight_html(), which then says
 * QUIRE_EIO (or QUIRE_ENOMEM) and leaves its output as it was.
 *
 * source-highlight reads a language's definition (DATADIR/NAME.lang)
 * into a tree of states and rules with a flex/bison parser that keeps
 * its state in globals, and its LangMap inserts on lookup: loading is
 * done under one lock, once a language a process, and the result kept
 * (failures too, so a broken or missing file is tried once). The trees
 * are read-only after that: matching is const (boost::regex), and a
 * state whose rules refer back to a match is copied before it is
 * changed (SourceHighlighter::getNextState), so threads share them.
 * What a highlight changes (the highlighter's current state and stack,
 * the formatter map, which inserts on lookup too) is made per call.
 *
 * The text is never escaped here: every piece source-highlight gives
 * back is checked to be the next bytes of the code, on character
 * boundaries, and written by html_escape (html.c), so the output holds
 * exactly the code's text and only the markup written below.
 */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include <map>
#include <new>
#include <string>

#include <srchilite/formatter.h>
#include <srchilite/formattermanager.h>
#include <srchilite/formatterparams.h>
#include <srchilite/langdefmanager.h>
#include <srchilite/langmap.h>
#include <srchilite/regexrulefactory.h>
#include <srchilite/sourcehighlighter.h>

extern "C" {
#include "content/highlight.h"
#include "content/html.h"
#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/quire.h"
}

/* configure finds it (--with-source-highlight-datadir); Debian's place
 * for builds without it (tests/fuzz/run) */
#ifndef QUIRE_HIGHLIGHT_DATADIR
#define QUIRE_HIGHLIGHT_DATADIR "/usr/share/source-highlight"
#endif

namespace {

/* Longest language name looked up; longer ones are no language. */
const size_t LANG_MAX = 32;

/* Fence names people write that source-highlight's lang.map lacks or
 * maps otherwise. Anything else is looked up in lang.map. */
const struct alias {
	const char *name;
	const char *file;
} aliases[] = {
	{ "c++", "cpp.lang" },
	{ "console", "sh.lang" },
	{ "golang", "go.lang" },
	{ "h", "c.lang" },
	{ "jsonc", "json.lang" },
	{ "jsx", "javascript.lang" },
	{ "mjs", "javascript.lang" },
	{ "node", "javascript.lang" },
	{ "py3", "python.lang" },
	{ "python3", "python.lang" },
	{ "rust", "rust.lang" },
	{ "shell-session", "sh.lang" },
	{ "ts", "javascript.lang" },
	{ "typescript", "javascript.lang" },
};

/* The element names of source-highlight's language files that the theme
 * colours, and their class; every other element is plain text. */
const struct kind {
	const char *element;
	const char *cls;
} kinds[] = {
	{ "keyword", "hl-keyword" },
	{ "type", "hl-type" },
	{ "classname", "hl-type" },
	{ "usertype", "hl-type" },
	{ "selector", "hl-type" },
	{ "string", "hl-string" },
	{ "regexp", "hl-string" },
	{ "valquote", "hl-string" },
	{ "specialchar", "hl-escape" },
	{ "comment", "hl-comment" },
	{ "todo", "hl-comment" },
	{ "url", "hl-comment" },
	{ "number", "hl-number" },
	{ "preproc", "hl-preproc" },
	{ "difflines", "hl-preproc" },
	{ "function", "hl-function" },
	{ "predef_func", "hl-function" },
	{ "variable", "hl-variable" },
	{ "predef_var", "hl-variable" },
	{ "key", "hl-property" },
	{ "keyquote", "hl-property" },
	{ "property", "hl-property" },
	{ "oldfile", "hl-deleted" },
	{ "newfile", "hl-inserted" },
};

/* What the lock guards: the loader, the map, the states loaded. */
pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
srchilite::RegexRuleFactory *factory;
srchilite::LangDefManager *defs;
srchilite::LangMap *langmap;
bool langmap_failed;
std::map<std::string, srchilite::HighlightStatePtr> *states;

void before_fork() { pthread_mutex_lock(&lock); }
void after_fork() { pthread_mutex_unlock(&lock); }

/* A thrown "bad piece": what source-highlight gave back is not the
 * code's next bytes; the block is then written plain. */
struct bad_piece {};

/* Thrown when the CPU budget ran out. */
struct out_of_time {};

/* This thread's CPU time, ns; throws when it cannot be read. */
long long cpu_now()
{
	struct timespec t;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t) == -1)
		throw bad_piece();
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* Writes each piece it is given, in order, as the next bytes of the
 * line: in a span of class cls, or plain when cls is NULL. */
class span_writer : public srchilite::Formatter {
public:
	span_writer(struct buf *out, const char **pos, const char *end,
		    const char *cls)
		: out_(out), pos_(pos), end_(end), cls_(cls) {}

	void format(const std::string &s,
		    const srchilite::FormatterParams *) override
	{
		const char *p = *pos_;
		size_t n = s.size();

		if (n == 0)
			return;
		if ((size_t)(end_ - p) < n || memcmp(p, s.data(), n) != 0 ||
		    continuation(p[0]) || (p + n < end_ && continuation(p[n])))
			throw bad_piece();
		if (cls_) {
			buf_puts(out_, "<span class=\"");
			buf_puts(out_, cls_);
			buf_puts(out_, "\">");
		}
		html_escape(out_, p, n);
		if (cls_)
			buf_puts(out_, "</span>");
		*pos_ = p + n;
	}

private:
	/* a byte inside a UTF-8 character, where no piece may start */
	static bool continuation(char c)
	{
		return ((unsigned char)c & 0xc0) == 0x80;
	}

	struct buf *out_;
	const char **pos_;
	const char *end_;
	const char *cls_;
};

/* name lower-cased into lower; false when it cannot be a language. */
bool lang_name(const char *name, std::string &lower)
{
	size_t i, n = strlen(name);
	char c;

	if (n == 0 || n > LANG_MAX)
		return false;
	for (i = 0; i < n; i++) {
		c = name[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '-' || c == '_' || c == '#' || c == '.'))
			return false;
		lower += c;
	}
	return true;
}

/* The language file for name, or "". Under the lock. */
std::string lang_file(const std::string &name)
{
	size_t i;

	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (name == aliases[i].name)
			return aliases[i].file;
	if (langmap_failed)
		return "";
	if (!langmap) {
		langmap = new srchilite::LangMap(QUIRE_HIGHLIGHT_DATADIR,
						 "lang.map");
		try {
			langmap->open();
		} catch (const std::bad_alloc &) {
			throw;
		} catch (...) {
			langmap_failed = true;
			return "";
		}
	}
	return langmap->getFileName(name);
}

/* The loaded language name, or a null pointer. Under the lock. */
srchilite::HighlightStatePtr load(const std::string &name)
{
	srchilite::HighlightStatePtr state;
	std::string file;

	if (!states)
		states = new std::map<std::string,
				      srchilite::HighlightStatePtr>();
	auto it = states->find(name);
	if (it != states->end())
		return it->second;
	if (!defs) {
		factory = new srchilite::RegexRuleFactory();
		defs = new srchilite::LangDefManager(factory);
	}
	file = lang_file(name);
	if (!file.empty()) {
		try {
			state = defs->getHighlightState(QUIRE_HIGHLIGHT_DATADIR,
							file);
		} catch (const std::bad_alloc &) {
			throw;
		} catch (...) {
			/* a missing or broken file: plain, every time */
			state.reset();
		}
	}
	(*states)[name] = state;
	return state;
}

srchilite::HighlightStatePtr find_state(const std::string &name)
{
	srchilite::HighlightStatePtr state;

	pthread_mutex_lock(&lock);
	try {
		state = load(name);
	} catch (...) {
		pthread_mutex_unlock(&lock);
		throw;
	}
	pthread_mutex_unlock(&lock);
	return state;
}

/* Whether a line of code is longer than highlighting is bounded for. */
bool long_line(const char *code, size_t len)
{
	const char *p = code, *end = code + len, *nl;

	while (p < end) {
		nl = (const char *)memchr(p, '\n', (size_t)(end - p));
		if ((size_t)((nl ? nl : end) - p) > QUIRE_MAX_HIGHLIGHT_LINE)
			return true;
		if (!nl)
			break;
		p = nl + 1;
	}
	return false;
}

/* Highlights code into out, a line at a time (the language's state goes
 * on from line to line) until the CPU time reaches deadline. Throws on
 * failure. */
void highlight(srchilite::HighlightStatePtr state, const char *code,
	       size_t len, long long deadline, struct buf *out)
{
	const char *pos = code, *end = code + len, *nl, *stop;
	srchilite::FormatterParams params;
	size_t i;

	srchilite::FormatterPtr plain(new span_writer(out, &pos, end, NULL));
	srchilite::FormatterManager formatters(plain);
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		formatters.addFormatter(kinds[i].element,
			srchilite::FormatterPtr(new span_writer(
				out, &pos, end, kinds[i].cls)));
	srchilite::SourceHighlighter hl(state);
	hl.setFormatterManager(&formatters);
	hl.setFormatterParams(&params);
	hl.setOptimize(true);
	while (pos < end) {
		if (cpu_now() >= deadline)
			throw out_of_time();
		nl = (const char *)memchr(pos, '\n', (size_t)(end - pos));
		stop = nl ? nl : end;
		/* a CR before the LF is the line's end, not its text */
		if (stop > pos && stop[-1] == '\r')
			stop--;
		hl.highlightParagraph(std::string(pos, (size_t)(stop - pos)));
		if (pos != stop)
			throw bad_piece();
		if (nl) {
			html_escape(out, pos, (size_t)(nl + 1 - pos));
			pos = nl + 1;
		}
	}
	if (buf_failed(out))
		throw std::bad_alloc();
}

/* highlight_html once the language is known to be wanted: throws. */
enum quire_err run(const char *lang, const char *code, size_t len,
		   long long *cpu_ns, struct buf *out)
{
	long long t0 = cpu_now();
	std::string name;
	enum quire_err rc = QUIRE_OK;

	if (!lang_name(lang, name))
		return QUIRE_ENOTFOUND;
	try {
		srchilite::HighlightStatePtr state = find_state(name);
		if (!state)
			rc = QUIRE_ENOTFOUND;
		else
			highlight(state, code, len, t0 + *cpu_ns, out);
	} catch (...) {
		*cpu_ns -= cpu_now() - t0;
		throw;
	}
	*cpu_ns -= cpu_now() - t0;
	return rc;
}

} /* namespace */

void highlight_init(void)
{
	static int done;

	if (done)
		return;
	/* a fork from one thread while another holds the lock would leave
	 * the child's copy held for ever */
	if (pthread_atfork(before_fork, after_fork, after_fork) == 0)
		done = 1;
}

enum quire_err highlight_html(const char *lang, const char *code, size_t len,
			      long long *cpu_ns, struct buf *out)
{
	size_t mark = out->len;

	if (buf_failed(out))
		return QUIRE_ENOMEM;
	if (len > QUIRE_MAX_HIGHLIGHT || long_line(code, len))
		return QUIRE_ETOOBIG;
	if (*cpu_ns <= 0)
		return QUIRE_ETIMEOUT;
	try {
		return run(lang, code, len, cpu_ns, out);
	} catch (const std::bad_alloc &) {
		buf_truncate(out, mark);
		return QUIRE_ENOMEM;
	} catch (const out_of_time &) {
		buf_truncate(out, mark);
		return QUIRE_ETIMEOUT;
	} catch (...) {
		buf_truncate(out, mark);
		return QUIRE_EIO;
	}
}
