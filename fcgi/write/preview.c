/*
 * preview.c - signed, expiring preview links for authors
 *
 * The message signed is "SLUG\nEXP", EXP in canonical decimal: EXP has
 * no newline, so the last one splits the message one way only and no
 * two (slug, exp) pairs sign the same bytes; and a link whose exp was
 * rewritten in another form ("02000000000") is refused rather than
 * parsed to the same time.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "write/preview.h"

_Static_assert(PREVIEW_KEY_BYTES == crypto_auth_KEYBYTES, "key size");
_Static_assert(crypto_auth_BYTES == 32, "signature size");

/* The file may hold a key: a regular file its group and others can
 * neither read nor write, as auth.c asks of the token file. */
static enum quire_err check_file(int fd, const char *path, char *err,
				 size_t errsz, off_t *size)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		snprintf(err, errsz, "cannot read the preview key file \"%s\": %s",
			 path, strerror(errno));
		return QUIRE_EIO;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errsz, "the preview key file \"%s\" is not a regular "
			 "file", path);
		return QUIRE_EINVAL;
	}
	if (st.st_mode & 077) {
		snprintf(err, errsz, "the preview key file \"%s\" is readable or "
			 "writable by group or others (mode %04o): refused, as ssh "
			 "refuses such a key; chmod 600 \"%s\"", path,
			 (unsigned)(st.st_mode & 07777), path);
		return QUIRE_EINVAL;
	}
	if (st.st_size < PREVIEW_FILE_MIN || st.st_size > PREVIEW_FILE_MAX) {
		snprintf(err, errsz, "the preview key file \"%s\" has %lld bytes: "
			 "a key is %d to %d (head -c32 /dev/urandom)", path,
			 (long long)st.st_size, PREVIEW_FILE_MIN, PREVIEW_FILE_MAX);
		return QUIRE_EINVAL;
	}
	*size = st.st_size;
	return QUIRE_OK;
}

enum quire_err preview_key_load(const char *path, struct preview_key *key,
				char *err, size_t errsz)
{
	unsigned char data[PREVIEW_FILE_MAX];
	enum quire_err rc;
	off_t size = 0;
	ssize_t n;
	int fd;

	err[0] = '\0';
	if (sodium_init() < 0) {
		snprintf(err, errsz, "libsodium initialisation failed");
		return QUIRE_EIO;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(err, errsz, "cannot read the preview key file \"%s\": %s",
			 path, strerror(errno));
		return QUIRE_EIO;
	}
	rc = check_file(fd, path, err, errsz, &size);
	if (rc != QUIRE_OK) {
		close(fd);
		return rc;
	}
	n = read(fd, data, (size_t)size);
	close(fd);
	if (n != (ssize_t)size) {
		snprintf(err, errsz, "cannot read the preview key file \"%s\": %s",
			 path, n < 0 ? strerror(errno) : "short read");
		sodium_memzero(data, sizeof(data));
		return QUIRE_EIO;
	}
	crypto_generichash(key->k, sizeof(key->k), data, (size_t)n, NULL, 0);
	sodium_memzero(data, sizeof(data));
	return QUIRE_OK;
}

void preview_key_wipe(struct preview_key *key)
{
	sodium_memzero(key->k, sizeof(key->k));
}

enum quire_err preview_key_new(const char *path, char *err, size_t errsz)
{
	unsigned char k[PREVIEW_FILE_MIN];
	ssize_t n;
	int fd, saved;

	err[0] = '\0';
	if (sodium_init() < 0) {
		snprintf(err, errsz, "libsodium initialisation failed");
		return QUIRE_EIO;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		snprintf(err, errsz, "cannot create the preview key file \"%s\": %s%s",
			 path, strerror(errno), errno == EEXIST ?
			 " (remove it first to rotate the key)" : "");
		return QUIRE_EIO;
	}
	randombytes_buf(k, sizeof(k));
	n = write(fd, k, sizeof(k));
	saved = errno;
	sodium_memzero(k, sizeof(k));
	if (n != (ssize_t)sizeof(k) || fsync(fd) < 0 || close(fd) < 0) {
		if (n != (ssize_t)sizeof(k))
			close(fd);
		unlink(path);
		snprintf(err, errsz, "cannot write the preview key file \"%s\": %s",
			 path, strerror(n < 0 ? saved : errno));
		return QUIRE_EIO;
	}
	return QUIRE_OK;
}

/* The MAC of "slug\nexp" into mac. 0, or -1 for a slug too long. */
static int mac_of(const struct preview_key *key, const char *slug,
		  long long exp, unsigned char mac[crypto_auth_BYTES])
{
	char msg[PREVIEW_MAX_SLUG + 32];
	int n = snprintf(msg, sizeof(msg), "%s\n%lld", slug, exp);

	if (n < 0 || (size_t)n >= sizeof(msg) || strlen(slug) > PREVIEW_MAX_SLUG)
		return -1;
	crypto_auth(mac, (const unsigned char *)msg, (size_t)n, key->k);
	return 0;
}

enum quire_err preview_sign(const struct preview_key *key, const char *slug,
			    long long exp, char sig[PREVIEW_SIG_LEN + 1])
{
	unsigned char mac[crypto_auth_BYTES];

	sig[0] = '\0';
	if (mac_of(key, slug, exp, mac) < 0)
		return QUIRE_EINVAL;
	sodium_bin2base64(sig, PREVIEW_SIG_LEN + 1, mac, sizeof(mac),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return QUIRE_OK;
}

/* exp as a time: canonical decimal digits only (no sign, no leading
 * zero), at most 18 of them. -1 when it is not. */
static long long parse_exp(const char *s, size_t len)
{
	long long v = 0;
	size_t i;

	if (len == 0 || len > 18 || (s[0] == '0' && len > 1))
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int preview_check(const struct preview_key *key, const char *slug,
		  const char *exp, size_t exp_len, const char *sig,
		  size_t sig_len, time_t now)
{
	unsigned char want[crypto_auth_BYTES], got[crypto_auth_BYTES];
	size_t got_len = 0;
	long long t = parse_exp(exp, exp_len);

	if (t < 0 || sig_len != PREVIEW_SIG_LEN ||
	    sodium_base642bin(got, sizeof(got), sig, sig_len, NULL, &got_len,
			      NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    got_len != sizeof(got) || mac_of(key, slug, t, want) < 0)
		return 403;
	/* Constant time: how much of a guess was right is not told. */
	if (sodium_memcmp(want, got, sizeof(want)) != 0)
		return 403;
	return (long long)now > t ? 410 : 200;
}
