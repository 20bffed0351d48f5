/*
 * fuzz_frontmatter.c - a post's source through frontmatter_parse (YAML
 * and TOML alike: the first line picks), and short inputs through
 * frontmatter_date_parse
 */
#include "content/frontmatter.h"
#include "content/frontmatter_date.h"
#include "content/post.h"
#include "lib/quire.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct parse_error err;
	struct post *p;
	time_t t;
	char *s;

	s = fuzz_strndup(data, size);
	if (!s)
		return 0;
	if (size < 64)
		(void)frontmatter_date_parse(s, &t);
	p = post_new();
	if (!p) {
		free(s);
		return 0;
	}
	p->source = s; /* owned by p now */
	p->source_len = size;
	(void)frontmatter_parse(p, &err);
	post_free(p);
	return 0;
}
