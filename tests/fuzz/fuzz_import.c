/*
 * fuzz_import.c - what `quirectl import` reads from a site: a post's body
 * through the template-tag translation (Jekyll's and Hugo's), and a
 * config or frontmatter through the flat readers (YAML and TOML); the
 * first byte picks which
 *
 * Checked: a body with no '{' comes out as it went in; every read ends
 * with a bounded map or a placed error.
 */
#include <stdio.h>

#include "import/import_config.h"
#include "import/import_tags.h"
#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/log.h"
#include "lib/quire.h"
#include "fuzz.h"

static const char *resolve(void *arg, const char *target)
{
	(void)arg;
	return target[0] == 'a' ? "/a/" : NULL;
}

static void tags(const char *body, size_t n, int hugo)
{
	struct import_tags t = { "fuzz.md", "https://e.org", hugo ? "/b/" : NULL,
				 resolve, NULL, 0, 0 };
	struct buf out = BUF_INIT;
	enum quire_err rc;

	rc = hugo ? import_tags_hugo(&t, body, n, 1, &out) :
	     import_tags_jekyll(&t, body, n, 1, &out);
	if (rc == QUIRE_OK && !memchr(body, '{', n) &&
	    (out.len != n || (n && memcmp(out.data, body, n) != 0)))
		__builtin_trap();
	buf_release(&out);
}

static void config(const char *text, size_t n, int toml)
{
	struct import_map m = { NULL, 0 };
	struct parse_error err = { 0, 0, "" };
	enum quire_err rc;

	rc = toml ? import_map_toml(text, n, 1, &m, &err) :
	     import_map_yaml(text, n, 1, &m, &err);
	if (m.n > QUIRE_IMPORT_MAX_KEYS)
		__builtin_trap();
	if ((rc == QUIRE_EPARSE) && err.line == 0)
		__builtin_trap();
	import_map_release(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int quiet;
	const char *s;

	if (!quiet) {
		/* the reports are expected: not on the fuzzer's terminal */
		log_set_report("fuzz: ", fopen("/dev/null", "w"));
		quiet = 1;
	}
	if (size < 1)
		return 0;
	s = (const char *)data + 1;
	switch (data[0] & 3) {
	case 0:
		tags(s, size - 1, 0);
		break;
	case 1:
		tags(s, size - 1, 1);
		break;
	case 2:
		config(s, size - 1, 0);
		break;
	default:
		config(s, size - 1, 1);
		break;
	}
	return 0;
}
