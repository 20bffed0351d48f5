/*
 * auth.h - bearer tokens for the write API
 *
 * Tokens come from a file, one a line; only their BLAKE2b hashes are
 * kept in memory, and a presented token is compared with every one of
 * them in constant time (libsodium), so neither the file's contents nor
 * a timing difference leak through the process.
 *
 * A token file that cannot be used (missing, unreadable, readable by
 * group or others, no token in it) gives an empty set, not an error:
 * the API then refuses every token, and the rest of a load goes on
 * (DESIGN §7). A revoked token must never outlive the file it was taken
 * out of, and the site must not go down because the API's file did.
 */
#ifndef QUIRE_AUTH_H
#define QUIRE_AUTH_H

#include <stddef.h>

#include "lib/quire.h"

#define AUTH_MAX_TOKENS 1024
#define AUTH_MAX_TOKEN 256        /* bytes in one token */
/* A token's id in the logs: the first hex digits of its BLAKE2b-256
 * hash (`printf %s TOKEN | b2sum -l 256 | cut -c1-8`), never the token. */
#define AUTH_ID_LEN 8

struct auth;

/*
 * Reads the tokens of path into *out: one a line, blank lines and lines
 * starting with '#' skipped, surrounding blanks trimmed; a line longer
 * than AUTH_MAX_TOKEN, or past AUTH_MAX_TOKENS, is skipped. The file
 * must be a regular file that neither its group nor others may read or
 * write (mode & 077 == 0), as ssh asks of a private key.
 *
 * *out is a set of tokens whatever the file held (NULL only with
 * QUIRE_ENOMEM): an empty one, refusing every token, when the file
 * cannot be used. Returns QUIRE_OK (at least one token; err is "" or
 * names skipped lines), QUIRE_EIO (missing or unreadable) or
 * QUIRE_EINVAL (unsafe mode, not a regular file, no token), with err
 * saying why and how to fix it; or QUIRE_ENOMEM. Caller frees with
 * auth_free().
 */
enum quire_err auth_load(const char *path, struct auth **out, char *err,
			 size_t errsz);
void auth_free(struct auth *a);

/* How many tokens a holds (0: every token is refused). */
size_t auth_count(const struct auth *a);

/*
 * Checks an Authorization header value (may be NULL). Returns 200 when
 * it is "Bearer TOKEN" with a known token, and puts the token's id in
 * id (AUTH_ID_LEN hex digits and a NUL); 401 when it is missing or not
 * a bearer token; 403 when the token is not one of a's.
 */
int auth_check(const struct auth *a, const char *authorization,
	       char id[AUTH_ID_LEN + 1]);

#endif
