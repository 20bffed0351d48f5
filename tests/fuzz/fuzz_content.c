/*
 * fuzz_content.c - the input as one content file: content_parse_file
 * (frontmatter, slug, Markdown) as a post under a Jekyll name
 */
#include "content/content.h"
#include "content/markdown.h"
#include "content/post.h"
#include "lib/quire.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct content_options opt = { 0 };
	struct parse_error err;
	struct post *p = NULL;
	char *s;

	if (!ready) {
		markdown_init();
		ready = 1;
	}
	s = fuzz_strndup(data, size);
	if (!s)
		return 0;
	/* content_parse_file owns s from here, on success or failure */
	if (content_parse_file("content/posts/2024-01-31-fuzz.md",
			       POST_KIND_POST, s, size, &opt, &p,
			       &err) == QUIRE_OK) {
		if (!p || !p->slug || !post_slug_valid(p->slug) || !p->html)
			abort();
	}
	post_free(p);
	return 0;
}
