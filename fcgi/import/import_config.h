/*
 * import_config.h - a site's config or a post's frontmatter, read into
 * flat dotted keys for an importer
 *
 * Jekyll's _config.yml, Hugo's config.toml/hugo.toml/config.yaml and
 * the frontmatter of their posts are read by real parsers (libyaml;
 * quire's own TOML reader, content/frontmatter_toml.h) into one flat
 * map: a key of a nested mapping gets its dotted name
 * ("permalinks.posts", "author.name"), a list of scalars is kept as a
 * list, and what an importer never reads (maps inside lists, such as
 * Hugo's menus or Jekyll's defaults) is skipped.
 */
#ifndef QUIRE_IMPORT_CONFIG_H
#define QUIRE_IMPORT_CONFIG_H

#include <stddef.h>

#include "content/post.h"
#include "lib/quire.h"

/* One key: a scalar (list 0, n 1) or a list of scalars (list 1). */
struct import_kv {
	char *key;
	char **items;
	size_t n;
	int list;
	unsigned line;  /* where the value starts, 1-based, in the file */
};

/* A flat map; zeroed is empty. Owns its keys and items. */
struct import_map {
	struct import_kv *v;
	size_t n;
};

void import_map_release(struct import_map *m);

/* The last value of key (matched ignoring ASCII case), or NULL. */
const struct import_kv *import_map_find(const struct import_map *m,
					const char *key);

/* The scalar of key, or the first item of a list; NULL when absent or
 * empty. */
const char *import_map_get(const struct import_map *m, const char *key);

/* Adds key as a list of the n strings v (a later key shadows an
 * earlier one of the same name). Returns QUIRE_OK, QUIRE_ENOMEM or
 * QUIRE_ETOOBIG. */
enum quire_err import_map_put(struct import_map *m, const char *key,
			      char *const *v, size_t n);

/*
 * Reads YAML (len bytes, not NUL-terminated) with libyaml into m. Keys
 * of nested mappings are dotted; anchors and aliases are refused (the
 * "billion laughs"); at most QUIRE_MAX_YAML_DEPTH levels and
 * QUIRE_IMPORT_MAX_KEYS keys. first_line is the line of the file the
 * text starts on.
 *
 * Returns QUIRE_OK; QUIRE_EPARSE or QUIRE_ETOOBIG with err filled;
 * QUIRE_ENOMEM. On error m may hold some keys: the caller releases it.
 */
enum quire_err import_map_yaml(const char *text, size_t len,
			       unsigned first_line, struct import_map *m,
			       struct parse_error *err);

/*
 * Reads TOML (at most QUIRE_MAX_FRONTMATTER bytes) with quire's
 * frontmatter reader into m: the fields it knows come back under their
 * own key (title, description, author, tags, categories, date as
 * "YYYY-MM-DDTHH:MM:SSZ", lastmod, draft, slug, aliases), every other
 * key under its dotted name ("permalinks.posts"). A list kept only as
 * joined text by that reader ("a, b") is one scalar.
 *
 * Returns as import_map_yaml(); QUIRE_ETOOBIG past the size.
 */
enum quire_err import_map_toml(const char *text, size_t len,
			       unsigned first_line, struct import_map *m,
			       struct parse_error *err);

#endif
