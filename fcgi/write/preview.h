/*
 * preview.h - signed, expiring preview links for authors
 *
 * A link /preview/SLUG?exp=UNIX&sig=SIG shows a post whatever its state
 * (draft, scheduled, published) until UNIX. SIG is libsodium's
 * crypto_auth (HMAC-SHA512-256) of "SLUG\nUNIX" under the site's preview
 * key, base64url without padding; it is checked in constant time.
 * Replacing the key file (and SIGHUP) invalidates every link.
 *
 * The key file must be a regular file that neither its group nor others
 * may read or write (as auth.h asks of the token file), of 32 to 4096
 * bytes: `head -c32 /dev/urandom`, or `quirectl preview --new-key FILE`.
 * The key is the BLAKE2b-256 hash of its bytes, so any such file will do.
 */
#ifndef QUIRE_PREVIEW_H
#define QUIRE_PREVIEW_H

#include <stddef.h>
#include <time.h>

#include "lib/quire.h"

#define PREVIEW_KEY_BYTES 32       /* crypto_auth_KEYBYTES */
#define PREVIEW_FILE_MIN 32        /* bytes in a key file */
#define PREVIEW_FILE_MAX 4096
#define PREVIEW_SIG_LEN 43         /* base64url of 32 bytes, unpadded */
#define PREVIEW_MAX_SLUG 1024      /* bytes of a slug a link may name */

struct preview_key {
	unsigned char k[PREVIEW_KEY_BYTES];
};

/*
 * Reads the key of path into *key. Returns QUIRE_OK; QUIRE_EIO (missing,
 * unreadable) or QUIRE_EINVAL (not a regular file, mode not 600 or 400,
 * too short or long), with err saying why and how to fix it.
 */
enum quire_err preview_key_load(const char *path, struct preview_key *key,
				char *err, size_t errsz);

/* Overwrites key's bytes (in a way no compiler removes). */
void preview_key_wipe(struct preview_key *key);

/*
 * Writes a new key file at path: 32 random bytes, mode 600, created
 * (never over an existing file: O_EXCL). QUIRE_OK, or QUIRE_EIO with err.
 */
enum quire_err preview_key_new(const char *path, char *err, size_t errsz);

/* The signature of slug until exp into sig (PREVIEW_SIG_LEN characters
 * and a NUL). QUIRE_OK, or QUIRE_EINVAL for a slug longer than
 * PREVIEW_MAX_SLUG. */
enum quire_err preview_sign(const struct preview_key *key, const char *slug,
			    long long exp, char sig[PREVIEW_SIG_LEN + 1]);

/*
 * Checks a link's exp and sig (as they came, exp_len and sig_len bytes)
 * for slug at now: 200 when sig is slug's signature until exp and exp is
 * not past; 403 when the signature is not the key's (or exp or sig do
 * not parse: a link that was altered); 410 when it was signed but has
 * expired. The signature is checked first, so a stranger learns nothing
 * from 410.
 */
int preview_check(const struct preview_key *key, const char *slug,
		  const char *exp, size_t exp_len, const char *sig,
		  size_t sig_len, time_t now);

#endif
