/*
 * test_siteconf.c - site.yaml: every key, and errors at their line and
 * column; the settings it gives beneath the operator's
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "content/siteconf.h"
#include "lib/config.h"

static struct siteconf *parse(const char *text)
{
	struct parse_error err;
	struct siteconf *c = NULL;

	if (siteconf_parse(text, strlen(text), &c, &err) != QUIRE_OK) {
		fprintf(stderr, "unexpected error %u:%u: %s\n", err.line,
			err.column, err.message);
		return NULL;
	}
	return c;
}

/* Whether text is refused at line:col with a message containing want. */
static int refused(const char *text, unsigned line, unsigned col,
		   const char *want)
{
	struct parse_error err;
	struct siteconf *c = NULL;
	enum quire_err rc = siteconf_parse(text, strlen(text), &c, &err);

	if (rc == QUIRE_OK) {
		siteconf_free(c);
		fprintf(stderr, "accepted: %s\n", text);
		return 0;
	}
	if (err.line != line || err.column != col || !strstr(err.message, want)) {
		fprintf(stderr, "%u:%u: %s (wanted %u:%u: ...%s...)\n", err.line,
			err.column, err.message, line, col, want);
		return 0;
	}
	return c == NULL;
}

static const char *value_of(const struct siteconf *c, const char *key)
{
	size_t i;

	for (i = 0; i < c->n_values; i++)
		if (strcmp(c->values[i].key, key) == 0)
			return c->values[i].value;
	return NULL;
}

/* authors: profiles by key, keyed as the posts' author names are;
 * unknown keys and bad URLs refused at their line and column. */
static void authors_profiles(void)
{
	struct siteconf *c = parse("authors:\n"
				   "  Ann Lee:\n"
				   "    bio: Writes about C.\n"
				   "    url: https://ann.example/\n"
				   "    avatar: /images/ann.png\n"
				   "  bob:\n"
				   "    name: Bob Builder\n");
	const struct siteconf_author *a;

	CHECK(c && c->n_authors == 2);
	a = siteconf_author(c, "ann-lee");
	CHECK(a && !a->name && a->bio && strcmp(a->bio, "Writes about C.") == 0);
	CHECK(a && a->url && strcmp(a->url, "https://ann.example/") == 0);
	CHECK(a && a->avatar && strcmp(a->avatar, "/images/ann.png") == 0);
	a = siteconf_author(c, "bob");
	CHECK(a && a->name && strcmp(a->name, "Bob Builder") == 0 && !a->bio);
	CHECK(siteconf_author(c, "carol") == NULL);
	CHECK(siteconf_author(NULL, "bob") == NULL);
	siteconf_free(c);
	CHECK(refused("authors:\n  ann:\n    colour: red\n", 3, 5,
		      "unknown key \"colour\""));
	CHECK(refused("authors:\n  ann:\n    url: javascript:x\n", 3, 10,
		      "path starting with '/'"));
	CHECK(refused("authors:\n  ann:\n    avatar: \"x.png\"\n", 3, 14,
		      "avatar"));
	CHECK(refused("authors:\n  Ann: {}\n  ann: {}\n", 3, 3, "given twice"));
	CHECK(refused("authors: [ann]\n", 1, 10, "authors is a map"));
	CHECK(refused("authors:\n  ann: Ann\n", 2, 8, "an author is"));
}

int main(void)
{
	struct siteconf *c;
	struct config cfg, eff;
	char a0[] = "quire.fcgi", a1[] = "--site-title", a2[] = "Operator";
	char *argv[] = { a0, a1, a2, NULL };
	char err[200];

	/* No file, an empty one, a document of nothing: the defaults. */
	CHECK(siteconf_parse(NULL, 0, &c, (struct parse_error[1]){ 0 }) == QUIRE_OK);
	CHECK(c && !c->text && c->n_values == 0 && !c->has_menu);
	CHECK_STR(c->posts, "/posts/:slug");
	CHECK_STR(c->pages, "/pages/:slug");
	CHECK(c->feed_entries == 20 && !c->feed_summary);
	CHECK(c->show_tags && c->show_categories);
	siteconf_free(c);
	c = parse("");
	CHECK(c && c->n_values == 0);
	siteconf_free(c);
	c = parse("# only a comment\n---\n");
	CHECK(c && c->n_values == 0);
	siteconf_free(c);

	/* Every key of the README's example. */
	c = parse("title: My blog\n"
		  "description: Notes on things\n"
		  "url: https://blog.example.org/\n"
		  "author: Jane Doe\n"
		  "language: fr\n"
		  "posts_per_page: 7\n"
		  "permalinks:\n"
		  "  posts: /:year/:month/:day/:slug.html\n"
		  "  pages: /:slug/\n"
		  "menu:\n"
		  "  - title: About\n"
		  "    url: /about/\n"
		  "  - {title: Elsewhere, url: 'https://example.org/'}\n"
		  "taxonomies: [tags]\n"
		  "feed:\n"
		  "  entries: 5\n"
		  "  content: summary\n");
	CHECK(c != NULL);
	if (c) {
		CHECK_STR(value_of(c, "title"), "My blog");
		CHECK_STR(value_of(c, "description"), "Notes on things");
		CHECK_STR(value_of(c, "url"), "https://blog.example.org/");
		CHECK_STR(value_of(c, "author"), "Jane Doe");
		CHECK_STR(value_of(c, "language"), "fr");
		CHECK_STR(value_of(c, "posts_per_page"), "7");
		CHECK_STR(c->posts, "/:year/:month/:day/:slug.html");
		CHECK_STR(c->pages, "/:slug/");
		CHECK(c->has_menu && c->n_menu == 2);
		CHECK_STR(c->menu[0].title, "About");
		CHECK_STR(c->menu[1].url, "https://example.org/");
		CHECK(c->show_tags && !c->show_categories);
		CHECK(c->feed_entries == 5 && c->feed_summary);
		CHECK(c->text && c->len > 100);
		CHECK(siteconf_same(c, c->text, c->len));
		CHECK(!siteconf_same(c, "title: x\n", 9));
		CHECK(!siteconf_same(c, NULL, 0));
	}

	/* Beneath the operator: an option beats site.yaml, which beats the
	 * default. */
	CHECK(config_load(&cfg, 3, argv, err, sizeof(err)) == QUIRE_OK);
	CHECK(config_copy(&eff, &cfg) == QUIRE_OK);
	CHECK(c && config_site_set(&eff, "title", value_of(c, "title")) == QUIRE_OK);
	CHECK(c && config_site_set(&eff, "url", value_of(c, "url")) == QUIRE_OK);
	CHECK(c && config_site_set(&eff, "posts_per_page", "7") == QUIRE_OK);
	CHECK(config_site_set(&eff, "language", "fr") == QUIRE_OK);
	CHECK_STR(eff.site_title, "Operator");
	CHECK_STR(eff.site_url, "https://blog.example.org");
	CHECK_STR(eff.site_language, "fr");
	CHECK(eff.posts_per_page == 7);
	CHECK_STR(cfg.site_url, "http://127.0.0.1:8080"); /* a copy */
	CHECK(config_site_set(&eff, "workers", "3") == QUIRE_EINVAL);
	CHECK(config_site_key("listen") == NULL); /* the operator's alone */
	CHECK(config_site_key("unsafe_html") == NULL);
	config_release(&eff);
	config_release(&cfg);
	siteconf_free(c);

	/* Errors, at their line and column. */
	CHECK(refused("title: a\ncolour: blue\n", 2, 1, "unknown key \"colour\""));
	CHECK(refused("permalinks:\n  posts: /:year/:nope/:slug\n", 2, 17,
		      ":nope"));
	CHECK(refused("permalinks:\n  posts: \"/:year/:nope/:slug\"\n", 2, 18,
		      ":nope"));
	CHECK(refused("permalinks:\n  posts: /tags/:slug\n", 2, 10, "reserved"));
	CHECK(refused("permalinks:\n  post: /:slug\n", 2, 3,
		      "unknown key \"post\""));
	CHECK(refused("permalinks: /:slug\n", 1, 13, "permalinks is"));
	CHECK(refused("posts_per_page: many\n", 1, 17, "1 to 1000"));
	CHECK(refused("posts_per_page: 0\n", 1, 17, "1 to 1000"));
	CHECK(refused("url: blog.example.org\n", 1, 6, "http"));
	CHECK(refused("url: \"https://a b/\"\n", 1, 6, "http"));
	CHECK(refused("title: [a, b]\n", 1, 8, "single value"));
	CHECK(refused("title: a\nauthor: \"b\n", 3, 1, "unexpected end"));
	CHECK(refused("title: a\n  b: c\n", 2, 4, "mapping values"));
	CHECK(refused("- a\n- b\n", 1, 1, "keys and values"));
	CHECK(refused("menu:\n  - title: x\n", 2, 5, "title and a url"));
	CHECK(refused("menu:\n  - title: x\n    url: javascript:alert(1)\n", 3, 10,
		      "menu url"));
	CHECK(refused("menu:\n  - title: x\n    href: /x\n", 3, 5,
		      "unknown key \"href\""));
	CHECK(refused("taxonomies: [tags, labels]\n", 1, 20, "tags or categories"));
	CHECK(refused("feed:\n  entries: 0\n", 2, 12, "1 to 1000"));
	CHECK(refused("feed:\n  content: excerpt\n", 2, 12, "full or summary"));
	CHECK(refused("title: &x t\nauthor: *x\n", 2, 9, "aliases"));
	/* Twice: which one was meant is not for quire to guess (a second
	 * menu leaked the first: tests/fuzz/regression/siteconf/). */
	CHECK(refused("title: a\ntitle: b\n", 2, 1, "\"title\" given twice"));
	CHECK(refused("menu:\n  - {title: a, url: /a}\nmenu:\n  - {title: b, url: /b}\n",
		      3, 1, "\"menu\" given twice"));
	CHECK(refused("title: a\n---\ntitle: b\n", 2, 1, "one document"));
	authors_profiles();
	return check_done("test_siteconf");
}
