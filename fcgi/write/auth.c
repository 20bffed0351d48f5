/*
 * auth.c - bearer tokens for the write API (the only user of libsodium)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "lib/quire.h"
#include "write/auth.h"

struct auth {
	unsigned char (*hashes)[crypto_generichash_BYTES];
	size_t n;
};

static void hash_token(const char *t, size_t len,
		       unsigned char out[crypto_generichash_BYTES])
{
	crypto_generichash(out, crypto_generichash_BYTES,
			   (const unsigned char *)t, len, NULL, 0);
}

enum quire_err auth_load(const char *path, struct auth **out, char *err,
			 size_t errsz)
{
	char line[AUTH_MAX_TOKEN + 64], *s, *e;
	struct auth *a;
	size_t lineno = 0, len;
	FILE *f;
	enum quire_err rc = QUIRE_EINVAL;

	*out = NULL;
	if (sodium_init() < 0) {
		snprintf(err, errsz, "libsodium initialisation failed");
		return QUIRE_EIO;
	}
	f = fopen(path, "re");
	if (!f) {
		snprintf(err, errsz, "%s: \"%s\"", strerror(errno), path);
		return QUIRE_EIO;
	}
	a = calloc(1, sizeof(*a));
	if (!a || !(a->hashes = calloc(AUTH_MAX_TOKENS, sizeof(*a->hashes)))) {
		rc = QUIRE_ENOMEM;
		goto out;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		len = strlen(line);
		if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
			snprintf(err, errsz, "token too long at line %zu of \"%s\"",
				 lineno, path);
			goto out;
		}
		for (s = line; *s == ' ' || *s == '\t'; s++)
			;
		e = s + strlen(s);
		while (e > s && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' ||
				 e[-1] == '\t'))
			e--;
		*e = '\0';
		if (!*s || *s == '#')
			continue;
		if ((size_t)(e - s) > AUTH_MAX_TOKEN || a->n >= AUTH_MAX_TOKENS) {
			snprintf(err, errsz, "token too long, or too many, at line %zu "
				 "of \"%s\"", lineno, path);
			goto out;
		}
		hash_token(s, (size_t)(e - s), a->hashes[a->n++]);
		sodium_memzero(line, sizeof(line));
	}
	if (ferror(f)) {
		snprintf(err, errsz, "read error: \"%s\"", path);
		rc = QUIRE_EIO;
		goto out;
	}
	if (a->n == 0) {
		snprintf(err, errsz, "no token in \"%s\"", path);
		goto out;
	}
	*out = a;
	a = NULL;
	rc = QUIRE_OK;
out:
	sodium_memzero(line, sizeof(line));
	fclose(f);
	auth_free(a);
	return rc;
}

void auth_free(struct auth *a)
{
	if (!a)
		return;
	free(a->hashes);
	free(a);
}

int auth_check(const struct auth *a, const char *h)
{
	unsigned char got[crypto_generichash_BYTES];
	size_t i, len;
	int match = 0;

	if (!a || !h || strncasecmp(h, "Bearer ", 7) != 0)
		return 401;
	h += 7;
	while (*h == ' ')
		h++;
	len = strlen(h);
	while (len && (h[len - 1] == ' ' || h[len - 1] == '\t'))
		len--;
	if (len == 0 || len > AUTH_MAX_TOKEN)
		return len ? 403 : 401;
	hash_token(h, len, got);
	/* Every token is compared, whichever matches. */
	for (i = 0; i < a->n; i++)
		match |= sodium_memcmp(got, a->hashes[i], sizeof(got)) == 0;
	return match ? 200 : 403;
}
