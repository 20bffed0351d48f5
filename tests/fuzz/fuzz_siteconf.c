/*
 * fuzz_siteconf.c - site.yaml through siteconf_parse, and the patterns
 * it accepts expanded for a post, and the URLs' bases found
 */
#include <string.h>

#include "content/permalink.h"
#include "content/post.h"
#include "content/siteconf.h"
#include "content/strlist.h"
#include "lib/quire.h"
#include "fuzz.h"

static void expand_all(const struct siteconf *c)
{
	char url[PERMALINK_MAX_URL + 1];
	char slug[] = "Some-Slug.1";
	struct post p;

	memset(&p, 0, sizeof(p));
	p.slug = slug;
	p.date = 1476921600;
	p.has_date = 1;
	if (strlist_add(&p.categories, "A b/c") != QUIRE_OK)
		return;
	if (permalink_expand(c->posts, &p, url, sizeof(url)) == QUIRE_OK) {
		(void)permalink_reserved(url);
		(void)permalink_base_len(url, strlen(url));
	}
	if (permalink_expand(c->pages, &p, url, sizeof(url)) == QUIRE_OK)
		(void)permalink_base_len(url, strlen(url));
	strlist_release(&p.categories);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct parse_error err;
	struct siteconf *c = NULL;

	if (siteconf_parse((const char *)data, size, &c, &err) != QUIRE_OK)
		return 0;
	expand_all(c);
	siteconf_free(c);
	return 0;
}
