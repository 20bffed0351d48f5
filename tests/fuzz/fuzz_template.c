/*
 * fuzz_template.c - the input compiled as template "t" (beside a fixed
 * partial "p") and rendered against a small fixed data tree
 */
#include "content/templates.h"
#include "content/tvars.h"
#include "lib/buf.h"
#include "lib/quire.h"
#include "fuzz.h"

/* {title, site{name, url}, draft, empty:"", posts:[{title,url,tags:[]}x2],
 *  none:[] } */
static struct tvars *make_vars(void)
{
	struct tvars *v = tvars_new(), *site, *post, *tag;
	int i;

	if (!v)
		return NULL;
	if (tvars_set(v, "title", "<Hello> & \"world\"") != QUIRE_OK ||
	    tvars_set(v, "empty", "") != QUIRE_OK ||
	    tvars_set_bool(v, "draft", 1) != QUIRE_OK ||
	    tvars_set_bool(v, "off", 0) != QUIRE_OK ||
	    tvars_list_empty(v, "none") != QUIRE_OK)
		goto fail;
	site = tvars_object(v, "site");
	if (!site || tvars_set(site, "name", "quire") != QUIRE_OK ||
	    tvars_set(site, "url", "https://example.org/") != QUIRE_OK)
		goto fail;
	for (i = 0; i < 2; i++) {
		post = tvars_list_add(v, "posts");
		if (!post || tvars_setf(post, "title", "post %d", i) != QUIRE_OK ||
		    tvars_setf(post, "url", "/posts/p%d", i) != QUIRE_OK)
			goto fail;
		tag = tvars_list_add(post, "tags");
		if (!tag || tvars_set(tag, "name", i ? "c" : "<b>") != QUIRE_OK)
			goto fail;
	}
	return v;
fail:
	tvars_free(v);
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct templates *t;
	struct tvars *v;
	struct parse_error err;
	struct buf out = BUF_INIT;
	char *s;

	s = fuzz_strndup(data, size);
	t = templates_new();
	v = make_vars();
	if (!s || !t || !v)
		goto out;
	if (templates_add(t, "p", "[{{title}}|{{#site}}{{name}}{{/site}}]",
			  &err) != QUIRE_OK)
		abort();
	if (templates_add(t, "t", s, &err) == QUIRE_OK)
		(void)templates_render(t, "t", v, &out);
out:
	buf_release(&out);
	tvars_free(v);
	templates_free(t);
	free(s);
	return 0;
}
