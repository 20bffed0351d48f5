/*
 * fuzz_markdown.c - markdown_render without options, then with a table
 * of contents, a footnote prefix and raw HTML kept
 */
#include "content/markdown.h"
#include "lib/quire.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct markdown_out out;
	struct parse_error err;

	if (!ready) {
		markdown_init();
		ready = 1;
	}
	memset(&out, 0, sizeof(out));
	(void)markdown_render((const char *)data, size, 0, NULL, &out, &err);
	markdown_out_release(&out);
	memset(&out, 0, sizeof(out));
	(void)markdown_render((const char *)data, size,
			      MARKDOWN_TOC | MARKDOWN_UNSAFE, "fz", &out, &err);
	markdown_out_release(&out);
	return 0;
}
