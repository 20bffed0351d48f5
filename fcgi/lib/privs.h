/*
 * privs.h - dropping root for --user/--group, and proving it stuck
 *
 * The master calls privs_resolve() while it can still read the user
 * database, opens the listening socket, then privs_drop() before it
 * loads anything or forks a worker; every worker calls privs_verify()
 * again before it serves (lwan-straitjacket.c does the same checks).
 */
#ifndef QUIRE_PRIVS_H
#define QUIRE_PRIVS_H

#include <stddef.h>
#include <sys/types.h>

#include "lib/quire.h"

struct privs {
	int wanted;             /* 0: no --user given, nothing to drop to */
	uid_t uid;
	gid_t gid;              /* --group, else the user's primary group */
	gid_t socket_gid;       /* --socket-group, else gid: the group of
	                         * the sockets made at a path as root */
	char user[64];          /* for log lines */
	char group[64];
};

/*
 * Resolves user (a name or a numeric uid) and group (a name, a numeric
 * gid, or NULL for the user's primary group) into p; p->socket_gid is
 * that group too. user NULL or empty leaves p->wanted 0 (group must then
 * be unset too). Root (uid 0 or gid 0) is refused as a target. Returns
 * QUIRE_OK, QUIRE_EINVAL or QUIRE_ENOTFOUND, with a message in err
 * (errsz bytes).
 */
enum quire_err privs_resolve(struct privs *p, const char *user,
			     const char *group, char *err, size_t errsz);

/*
 * Sets p->socket_gid, after privs_resolve(), from group (a name or a
 * numeric gid): the web server's group, given the sockets quire makes
 * while it is still root, so that quire itself need not be in it. NULL
 * or empty keeps p->gid. Needs a user to drop to (p->wanted). Returns
 * QUIRE_OK, QUIRE_EINVAL or QUIRE_ENOTFOUND, with a message in err.
 */
enum quire_err privs_resolve_socket_group(struct privs *p, const char *group,
					  char *err, size_t errsz);

/*
 * Switches the process to p: setgroups() to p->gid alone, setgid(),
 * setuid() (real, effective and saved ids), in that order, then
 * privs_verify(). Needs root. Returns QUIRE_OK, or QUIRE_EIO with the
 * failing step in err; the caller must then exit, not serve.
 */
enum quire_err privs_drop(const struct privs *p, char *err, size_t errsz);

/*
 * Checks that the real, effective and saved uid and gid are p's, that
 * the supplementary groups are at most p->gid, and that setuid(0) and
 * setgid(0) fail. Returns QUIRE_OK or QUIRE_EIO with what was wrong in
 * err.
 */
enum quire_err privs_verify(const struct privs *p, char *err, size_t errsz);

#endif
