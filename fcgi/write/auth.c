/*
 * auth.c - bearer tokens for the write API
 *
 * With auth_throttle.c, the only user of libsodium.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "lib/quire.h"
#include "write/auth.h"

struct auth {
	unsigned char (*hashes)[crypto_generichash_BYTES];
	size_t n;
};

_Static_assert(AUTH_ID_LEN / 2 <= crypto_generichash_BYTES,
	       "a token's id is a prefix of its hash");

static void hash_token(const char *t, size_t len,
		       unsigned char out[crypto_generichash_BYTES])
{
	crypto_generichash(out, crypto_generichash_BYTES,
			   (const unsigned char *)t, len, NULL, 0);
}

/* What lines were skipped, for the warning. */
struct skipped {
	size_t too_long, too_many, first_line;
};

static void note_skipped(struct skipped *s, size_t *count, size_t lineno)
{
	if (!s->first_line)
		s->first_line = lineno;
	(*count)++;
}

/* Reads the rest of a line longer than the buffer, so the next fgets
 * starts on the next line. */
static void skip_rest_of_line(FILE *f)
{
	int c;

	while ((c = getc(f)) != EOF && c != '\n')
		;
}

/* Adds the token on line (trimmed in place) to a; notes it in sk when
 * it cannot be one. */
static void take_line(struct auth *a, char *line, size_t lineno,
		      struct skipped *sk)
{
	char *s, *e;

	for (s = line; *s == ' ' || *s == '\t'; s++)
		;
	e = s + strlen(s);
	while (e > s && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' ||
			 e[-1] == '\t'))
		e--;
	*e = '\0';
	if (!*s || *s == '#')
		return;
	if ((size_t)(e - s) > AUTH_MAX_TOKEN) {
		note_skipped(sk, &sk->too_long, lineno);
		return;
	}
	if (a->n >= AUTH_MAX_TOKENS) {
		note_skipped(sk, &sk->too_many, lineno);
		return;
	}
	hash_token(s, (size_t)(e - s), a->hashes[a->n++]);
}

/* The file may be read as a token file: a regular file that its group
 * and others can neither read nor write. */
static enum quire_err check_file(int fd, const char *path, char *err,
				 size_t errsz)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		snprintf(err, errsz, "cannot read the token file \"%s\": %s", path,
			 strerror(errno));
		return QUIRE_EIO;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errsz, "the token file \"%s\" is not a regular file",
			 path);
		return QUIRE_EINVAL;
	}
	if (st.st_mode & 077) {
		snprintf(err, errsz, "the token file \"%s\" is readable or writable "
			 "by group or others (mode %04o): refused, as ssh refuses "
			 "such a key; chmod 600 \"%s\"", path,
			 (unsigned)(st.st_mode & 07777), path);
		return QUIRE_EINVAL;
	}
	return QUIRE_OK;
}

static enum quire_err read_tokens(struct auth *a, FILE *f, const char *path,
				  char *err, size_t errsz)
{
	char line[AUTH_MAX_TOKEN + 64];
	struct skipped sk = { 0, 0, 0 };
	size_t lineno = 0, len;

	while (fgets(line, sizeof(line), f)) {
		lineno++;
		len = strlen(line);
		if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
			skip_rest_of_line(f);
			note_skipped(&sk, &sk.too_long, lineno);
		} else {
			take_line(a, line, lineno, &sk);
		}
		sodium_memzero(line, sizeof(line));
	}
	if (ferror(f)) {
		snprintf(err, errsz, "cannot read the token file \"%s\": read error",
			 path);
		return QUIRE_EIO;
	}
	if (a->n == 0) {
		snprintf(err, errsz, "no token in \"%s\"%s", path,
			 sk.too_long ? " (its lines are longer than a token may be)" : "");
		return QUIRE_EINVAL;
	}
	if (sk.too_long || sk.too_many)
		snprintf(err, errsz, "\"%s\": %zu line(s) skipped from line %zu "
			 "(longer than %d bytes, or past %d tokens)", path,
			 sk.too_long + sk.too_many, sk.first_line, AUTH_MAX_TOKEN,
			 AUTH_MAX_TOKENS);
	return QUIRE_OK;
}

enum quire_err auth_load(const char *path, struct auth **out, char *err,
			 size_t errsz)
{
	struct auth *a;
	enum quire_err rc;
	FILE *f;
	int fd;

	*out = NULL;
	err[0] = '\0';
	a = calloc(1, sizeof(*a));
	if (!a || !(a->hashes = calloc(AUTH_MAX_TOKENS, sizeof(*a->hashes)))) {
		free(a);
		return QUIRE_ENOMEM;
	}
	/* From here on *out is a set, empty until the file is read. */
	*out = a;
	if (sodium_init() < 0) {
		snprintf(err, errsz, "libsodium initialisation failed");
		return QUIRE_EIO;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(err, errsz, "cannot read the token file \"%s\": %s", path,
			 strerror(errno));
		return QUIRE_EIO;
	}
	rc = check_file(fd, path, err, errsz);
	if (rc != QUIRE_OK) {
		close(fd);
		return rc;
	}
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return QUIRE_ENOMEM;
	}
	rc = read_tokens(a, f, path, err, errsz);
	fclose(f);
	if (rc != QUIRE_OK)
		a->n = 0; /* a file read in part opens nothing */
	return rc;
}

void auth_free(struct auth *a)
{
	if (!a)
		return;
	free(a->hashes);
	free(a);
}

size_t auth_count(const struct auth *a)
{
	return a ? a->n : 0;
}

int auth_check(const struct auth *a, const char *h, char id[AUTH_ID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char got[crypto_generichash_BYTES];
	size_t i, len;
	int match = 0;

	id[0] = '\0';
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
	if (!match)
		return 403;
	for (i = 0; i < AUTH_ID_LEN / 2; i++) {
		id[2 * i] = hex[got[i] >> 4];
		id[2 * i + 1] = hex[got[i] & 15];
	}
	id[AUTH_ID_LEN] = '\0';
	return 200;
}
