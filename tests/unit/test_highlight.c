/*
 * test_highlight.c - highlight_html fed code: each language the sample
 * site shows, aliases, unknown languages, escaping, the bounds, threads
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "content/highlight.h"
#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/quire.h"

#define BUDGET_NS ((long long)QUIRE_HIGHLIGHT_CPU_MS * 1000000LL)

static struct buf out;

/* Highlights s as lang into the file-wide out, with a fresh budget. */
static enum quire_err hl(const char *lang, const char *s)
{
	long long budget = BUDGET_NS;

	buf_reset(&out);
	return highlight_html(lang, s, strlen(s), &budget, &out);
}

/* The text of html: spans taken out, the entities html_escape writes
 * decoded; so it must give back the code exactly. */
static char *text_of(const char *html)
{
	static const struct { const char *ent; char c; } ents[] = {
		{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' },
		{ "&quot;", '"' }, { "&#39;", '\'' },
	};
	struct buf b = BUF_INIT;
	const char *p = html, *q;
	size_t i;

	while (*p) {
		if (strncmp(p, "<span class=\"hl-", 16) == 0 &&
		    (q = strstr(p, "\">"))) {
			p = q + 2;
			continue;
		}
		if (strncmp(p, "</span>", 7) == 0) {
			p += 7;
			continue;
		}
		for (i = 0; i < sizeof(ents) / sizeof(ents[0]); i++)
			if (strncmp(p, ents[i].ent, strlen(ents[i].ent)) == 0)
				break;
		if (i < sizeof(ents) / sizeof(ents[0])) {
			buf_putc(&b, ents[i].c);
			p += strlen(ents[i].ent);
		} else {
			buf_putc(&b, *p++);
		}
	}
	return buf_detach(&b, NULL);
}

/* Nothing but hl- spans and escaped text: no other tag, no attribute
 * but class, no raw '<' '>' '"' in the text. */
static int only_spans(const char *html)
{
	const char *p = html, *q;

	for (p = html; *p; p++) {
		if (*p == '>' || *p == '"')
			return 0;
		if (*p != '<')
			continue;
		if (strncmp(p, "</span>", 7) == 0) {
			p += 6;
			continue;
		}
		if (strncmp(p, "<span class=\"hl-", 16) != 0)
			return 0;
		for (q = p + 16; *q >= 'a' && *q <= 'z'; q++)
			;
		if (strncmp(q, "\">", 2) != 0)
			return 0;
		p = q + 1;
	}
	return 1;
}

struct sample {
	const char *lang;
	const char *code;
	const char *want; /* a span it must hold */
};

static const struct sample samples[] = {
	{ "rust", "fn main() {\n    let x: u32 = 1; // one\n    println!(\"{}\", x);\n}\n",
	  "<span class=\"hl-keyword\">fn</span>" },
	{ "rs", "pub struct P { x: i64 }\n", "<span class=\"hl-type\">i64</span>" },
	{ "c", "#include <stdio.h>\nint main(void) { return 0; } /* c */\n",
	  "<span class=\"hl-preproc\">#include</span>" },
	{ "go", "package main\n\nfunc main() {\n\tfmt.Println(\"hi\")\n}\n",
	  "<span class=\"hl-keyword\">func</span>" },
	{ "golang", "var x = 3\n", "<span class=\"hl-keyword\">var</span>" },
	{ "python", "def f(x):\n    return x  # twice\n",
	  "<span class=\"hl-keyword\">def</span>" },
	{ "py", "import os\nprint('a')\n", "<span class=\"hl-string\">&#39;a&#39;</span>" },
	{ "sh", "for f in *.md; do echo \"$f\"; done\n",
	  "<span class=\"hl-keyword\">for</span>" },
	{ "bash", "if [ -n \"$HOME\" ]; then exit 1; fi # why\n",
	  "<span class=\"hl-comment\"># why</span>" },
	{ "shell", "export PATH=$PATH:/x\n", "<span class=\"hl-variable\">" },
	{ "json", "{\"name\": \"quire\", \"n\": 3, \"ok\": true}\n",
	  "<span class=\"hl-property\">name</span>" },
	{ "js", "const x = function () { return 1; };\n",
	  "<span class=\"hl-keyword\">function</span>" },
	{ "javascript", "let s = 'x'; // c\n", "<span class=\"hl-comment\">// c</span>" },
	{ "c++", "class A { public: virtual ~A(); };\n",
	  "<span class=\"hl-keyword\">class</span>" },
	{ "cpp", "std::string s;\n", "<span class=\"hl-type\">string</span>" },
	{ "Rust", "fn x() {}\n", "<span class=\"hl-keyword\">fn</span>" },
	{ "diff", "--- a\n+++ b\n@@ -1 +1 @@\n-old\n+new\n", "<span class=\"hl-" },
	{ "sql", "SELECT id FROM posts WHERE x = 'y';\n", "<span class=\"hl-keyword\">" },
};

/* Each language gives hl- spans, only those, and the code's text. */
static void test_languages(void)
{
	size_t i;
	char *text;

	for (i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		if (hl(samples[i].lang, samples[i].code) != QUIRE_OK) {
			fprintf(stderr, "language %s not highlighted\n",
				samples[i].lang);
			CHECK(0);
			continue;
		}
		CHECK_CONTAINS(out.data, samples[i].want);
		CHECK(only_spans(out.data));
		text = text_of(out.data);
		CHECK_STR(text, samples[i].code);
		free(text);
	}
}

static void test_exact(void)
{
	CHECK(hl("rust", "let x = \"a\"; // b\n") == QUIRE_OK);
	CHECK_STR(out.data, "<span class=\"hl-keyword\">let</span> x = "
		  "<span class=\"hl-string\">&quot;a&quot;</span>; "
		  "<span class=\"hl-comment\">// b</span>\n");
}

/* An unknown language, or a name that cannot be one, is left alone:
 * the caller writes the block plain. */
static void test_unknown(void)
{
	long long budget = BUDGET_NS;

	buf_reset(&out);
	buf_puts(&out, "kept");
	CHECK(highlight_html("nosuchlanguage", "x\n", 2, &budget, &out) ==
	      QUIRE_ENOTFOUND);
	CHECK_STR(out.data, "kept");
	CHECK(hl("yaml", "a: 1\n") == QUIRE_ENOTFOUND);
	CHECK(hl("", "a\n") == QUIRE_ENOTFOUND);
	CHECK(hl("../../etc/passwd", "a\n") == QUIRE_ENOTFOUND);
	CHECK(hl("c\"onclick=", "a\n") == QUIRE_ENOTFOUND);
	CHECK(hl("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "a\n") ==
	      QUIRE_ENOTFOUND);
	/* plain text is a language without tokens: no span */
	CHECK(hl("txt", "<a/> & b\n") == QUIRE_OK);
	CHECK_STR(out.data, "&lt;a/&gt; &amp; b\n");
}

/* What looks like markup in code is text: in a string, a comment, or
 * where no rule matches. */
static void test_escaped(void)
{
	static const char *const langs[] = { "c", "python", "sh", "js", "json",
					     "rust", "go" };
	static const char code[] =
		"x = \"<script>alert(1)</script>\" /* <script>a</script> */\n"
		"# <img src=x onerror=alert(1)> & \"q\" 'q'\n"
		"<script>\n";
	size_t i;
	char *text;

	for (i = 0; i < sizeof(langs) / sizeof(langs[0]); i++) {
		CHECK(hl(langs[i], code) == QUIRE_OK);
		CHECK(strstr(out.data, "<script") == NULL);
		CHECK(strstr(out.data, "<img") == NULL);
		CHECK(only_spans(out.data));
		text = text_of(out.data);
		CHECK_STR(text, code);
		free(text);
	}
}

/* Characters outside ASCII and CRLF line ends come through whole. */
static void test_utf8_crlf(void)
{
	static const char code[] = "s = \"h\xc3\xa9llo \xe2\x9c\x93\" # \xf0\x9f\x98\x80\r\nx = 1\r\n";
	char *text;

	CHECK(hl("python", code) == QUIRE_OK);
	text = text_of(out.data);
	CHECK_STR(text, code);
	free(text);
	CHECK_CONTAINS(out.data, "\xf0\x9f\x98\x80</span>\r\n");
}

/* Past QUIRE_MAX_HIGHLIGHT, or with a line past QUIRE_MAX_HIGHLIGHT_LINE,
 * a block is not highlighted at all (and costs nothing). */
static void test_size_bounds(void)
{
	struct buf b = BUF_INIT;
	long long budget = BUDGET_NS;

	while (b.len < 1024 * 1024)
		buf_puts(&b, "int x = 1; /* a line of C */\n");
	buf_reset(&out);
	CHECK(highlight_html("c", b.data, b.len, &budget, &out) ==
	      QUIRE_ETOOBIG);
	CHECK(out.len == 0);
	CHECK(budget == BUDGET_NS);
	CHECK(highlight_html("c", b.data, QUIRE_MAX_HIGHLIGHT, &budget, &out) ==
	      QUIRE_OK);
	buf_reset(&b);
	buf_puts(&b, "int x;\n");
	while (b.len < 7 + QUIRE_MAX_HIGHLIGHT_LINE + 1)
		buf_putc(&b, "x = 1; "[b.len % 7]);
	buf_putc(&b, '\n');
	budget = BUDGET_NS;
	buf_reset(&out);
	CHECK(highlight_html("c", b.data, b.len, &budget, &out) == QUIRE_ETOOBIG);
	CHECK(highlight_html("c", b.data, b.len - 2, &budget, &out) == QUIRE_OK);
	buf_release(&b);
}

static double cpu_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/*
 * Lines that make source-highlight's regular expressions backtrack (the
 * cost grows with the cube of a line's length: 250 lines of 256 '/' as
 * sh took 8 s): stopped when the budget runs out, one line later at
 * most, and the budget is shared by the calls that follow.
 */
static void test_budget(void)
{
	struct buf b = BUF_INIT;
	long long budget = BUDGET_NS;
	double t0, ms;
	int i, j;

	for (i = 0; i < 250; i++) {
		for (j = 0; j < QUIRE_MAX_HIGHLIGHT_LINE; j++)
			buf_putc(&b, '/');
		buf_putc(&b, '\n');
	}
	CHECK(b.len <= QUIRE_MAX_HIGHLIGHT);
	buf_reset(&out);
	buf_puts(&out, "kept");
	t0 = cpu_ms();
	CHECK(highlight_html("sh", b.data, b.len, &budget, &out) ==
	      QUIRE_ETIMEOUT);
	ms = cpu_ms() - t0;
	CHECK(ms < QUIRE_HIGHLIGHT_CPU_MS + 100);
	CHECK(budget <= 0);
	CHECK_STR(out.data, "kept");
	/* nothing left: the next block is not even started */
	t0 = cpu_ms();
	CHECK(highlight_html("c", "int x;\n", 7, &budget, &out) ==
	      QUIRE_ETIMEOUT);
	CHECK(cpu_ms() - t0 < 1);
	buf_release(&b);
}

/* Several threads at once, each language loaded by whichever thread
 * needs it first: the same output as one thread gives. */
#define RACE_THREADS 6
#define RACE_ROUNDS 300
#define N_SAMPLES (sizeof(samples) / sizeof(samples[0]))
static char *race_ref[N_SAMPLES];

struct racer {
	size_t id;
	long differ;
};

static void *race(void *arg)
{
	struct racer *me = arg;
	struct buf b = BUF_INIT;
	long long budget;
	size_t i, k;
	int r;

	for (r = 0; r < RACE_ROUNDS; r++) {
		for (k = 0; k < N_SAMPLES; k++) {
			/* each thread in its own order */
			i = (k + (size_t)r + me->id) % N_SAMPLES;
			budget = BUDGET_NS;
			buf_reset(&b);
			if (highlight_html(samples[i].lang, samples[i].code,
					   strlen(samples[i].code), &budget,
					   &b) != QUIRE_OK ||
			    strcmp(b.data, race_ref[i]) != 0)
				me->differ++;
		}
	}
	buf_release(&b);
	return NULL;
}

static void test_threads(void)
{
	pthread_t t[RACE_THREADS];
	struct racer r[RACE_THREADS];
	long total = 0;
	int i, started = 0;
	size_t k;

	for (k = 0; k < N_SAMPLES; k++) {
		CHECK(hl(samples[k].lang, samples[k].code) == QUIRE_OK);
		race_ref[k] = strdup(out.data ? out.data : "");
	}
	for (i = 0; i < RACE_THREADS; i++) {
		r[i].id = (size_t)i;
		r[i].differ = 0;
		if (pthread_create(&t[i], NULL, race, &r[i]) == 0)
			started++;
	}
	CHECK(started == RACE_THREADS);
	for (i = 0; i < started; i++) {
		pthread_join(t[i], NULL);
		total += r[i].differ;
	}
	if (total)
		printf("test_highlight: %ld highlights on %d threads differ\n",
		       total, started);
	CHECK(total == 0);
	for (k = 0; k < N_SAMPLES; k++)
		free(race_ref[k]);
}

/* Languages loaded for the first time on several threads at once. */
static void *first_load(void *arg)
{
	struct buf b = BUF_INIT;
	long long budget = BUDGET_NS;
	int *ok = arg;

	*ok = highlight_html("scala", "object A { val x = 1 }\n", 23, &budget,
			     &b) == QUIRE_OK &&
	      strstr(b.data, "<span class=\"hl-keyword\">object</span>");
	buf_release(&b);
	return NULL;
}

static void test_threads_first_load(void)
{
	pthread_t t[4];
	int ok[4] = { 0 }, i, started = 0;

	for (i = 0; i < 4; i++)
		if (pthread_create(&t[i], NULL, first_load, &ok[i]) == 0)
			started++;
	CHECK(started == 4);
	for (i = 0; i < started; i++) {
		pthread_join(t[i], NULL);
		CHECK(ok[i]);
	}
}

int main(void)
{
	highlight_init();
	highlight_init();
	test_threads_first_load();
	test_exact();
	test_languages();
	test_unknown();
	test_escaped();
	test_utf8_crlf();
	test_size_bounds();
	test_budget();
	test_threads();
	buf_release(&out);
	return check_done("test_highlight");
}
