/*
 * deployer_known.c - what a deployer knows PostgreSQL holds of the
 * content posts (deployer_known.h)
 */
#include <stdlib.h>
#include <string.h>

#include "deploy/deployer_known.h"
#include "lib/log.h"
#include "lib/quire.h"

void deployer_known_release(struct deployer_known *k)
{
	deploy_known_free(k->index);
	tier_pg_hashes_free(k->fetched, k->n_fetched);
	deploy_cache_free(k->cache);
	free(k->owned);
	free(k->owned_text);
	memset(k, 0, sizeof(*k));
}

int deployer_known_current(const struct deployer_known *k,
			   const struct tier_pg_site *site)
{
	return k->ready && k->site.generation == site->generation &&
	       strcmp(k->site.uid, site->uid) == 0 &&
	       strcmp(k->site.stamp, site->stamp) == 0;
}

/* k indexed by path, as the plan looks it up (parsed: its signatures
 * parsed, or NULL); set ready. */
static enum quire_err known_index(struct deployer_known *k,
				  const struct content_sig *parsed)
{
	if (deploy_known_index(k->v, k->n, parsed, &k->index) != QUIRE_OK) {
		log_report("out of memory");
		return QUIRE_ENOMEM;
	}
	k->ready = 1;
	return QUIRE_OK;
}

static size_t text_len(const char *s)
{
	return s ? strlen(s) + 1 : 0;
}

static char *text_copy(char **at, const char *s)
{
	char *out = *at;
	size_t len = text_len(s);

	if (!s)
		return NULL;
	memcpy(out, s, len);
	*at += len;
	return out;
}

enum quire_err deployer_known_adopt(struct deployer_known *k,
				    const struct tier_pg_site *site,
				    const struct tier_pg_hash *v,
				    const struct content_sig *parsed, size_t n)
{
	struct tier_pg_hash *own;
	size_t bytes = 1, i;
	char *text, *at;

	for (i = 0; i < n; i++)
		bytes += text_len(v[i].slug) + text_len(v[i].path) + text_len(v[i].sig);
	own = calloc(n ? n : 1, sizeof(*own));
	text = malloc(bytes);
	if (!own || !text) {
		free(own);
		free(text);
		return QUIRE_ENOMEM;
	}
	for (i = 0, at = text; i < n; i++) {
		own[i] = v[i];
		own[i].slug = text_copy(&at, v[i].slug);
		own[i].path = text_copy(&at, v[i].path);
		own[i].sig = text_copy(&at, v[i].sig);
	}
	deployer_known_release(k);
	k->site = *site;
	k->owned = own;
	k->owned_text = text;
	k->v = own;
	k->n = n;
	k->from = "memory";
	return known_index(k, parsed);
}

enum quire_err deployer_known_load(struct deployer_known *k, struct tier_pg *pg,
				   const char *cache_dir,
				   const struct tier_pg_site *site)
{
	enum quire_err rc = QUIRE_ENOTFOUND;

	deployer_known_release(k);
	k->site = *site;
	if (cache_dir)
		rc = deploy_cache_load(cache_dir, site, &k->cache);
	k->from = rc == QUIRE_OK ? "cache" : "postgresql";
	if (k->cache) {
		k->v = k->cache->v;
		k->n = k->cache->n;
	}
	if (rc == QUIRE_ENOMEM ||
	    (rc != QUIRE_OK && tier_pg_content_hashes(pg, &k->fetched,
						      &k->n_fetched) != QUIRE_OK)) {
		log_report("postgresql: %s", tier_pg_error(pg));
		deployer_known_release(k);
		return QUIRE_EIO;
	}
	if (k->fetched) {
		k->v = k->fetched;
		k->n = k->n_fetched;
	}
	if (known_index(k, NULL) != QUIRE_OK) {
		deployer_known_release(k);
		return QUIRE_ENOMEM;
	}
	return QUIRE_OK;
}
