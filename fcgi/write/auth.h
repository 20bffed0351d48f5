/*
 * auth.h - bearer tokens for the write API
 *
 * Tokens come from a file, one a line; only their BLAKE2b hashes are
 * kept in memory, and a presented token is compared with every one of
 * them in constant time (libsodium), so neither the file's contents nor
 * a timing difference leak through the process.
 */
#ifndef QUIRE_AUTH_H
#define QUIRE_AUTH_H

#include <stddef.h>

#include "lib/quire.h"

#define AUTH_MAX_TOKENS 1024
#define AUTH_MAX_TOKEN 256        /* bytes in one token */

struct auth;

/*
 * Reads the tokens of path: one a line, blank lines and lines starting
 * with '#' skipped, surrounding blanks trimmed. Returns QUIRE_OK,
 * QUIRE_EIO (unreadable: err says why) or QUIRE_EINVAL (no token, or one
 * too long). Caller frees with auth_free().
 */
enum quire_err auth_load(const char *path, struct auth **out, char *err,
			 size_t errsz);
void auth_free(struct auth *a);

/*
 * Checks an Authorization header value. Returns 200 when it is "Bearer
 * TOKEN" with a known token, 401 when it is missing or not a bearer
 * token, 403 when the token is wrong.
 */
int auth_check(const struct auth *a, const char *authorization);

#endif
