/*
 * privs.c - dropping root for --user/--group, and proving it stuck
 *
 * The order is the one that cannot leave a way back: supplementary
 * groups first and the gid second (both need root, which setuid() then
 * gives up), the uid last. setuid() as root sets the real, effective and
 * saved uid together, so nothing is left to regain. The checks after it
 * do not trust the return codes: they read the ids back and try to
 * become root again (lwan-straitjacket.c; CERT POS36-C and POS37-C).
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/privs.h"
#include "lib/quire.h"

#define PRIVS_MAX_GROUPS 64

/* A whole decimal number that fits an id_t; -1 when s is not one. */
static long long parse_id(const char *s)
{
	char *end;
	long long n;

	if (!*s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || n < 0 || n > 0x7fffffffLL)
		return -1;
	return n;
}

static enum quire_err resolve_user(struct privs *p, const char *user,
				   gid_t *primary, char *err, size_t errsz)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	long long id = parse_id(user);
	int rc;

	if (id >= 0)
		rc = getpwuid_r((uid_t)id, &pw, buf, sizeof(buf), &res);
	else
		rc = getpwnam_r(user, &pw, buf, sizeof(buf), &res);
	if (rc != 0 || !res) {
		if (id < 0) {
			snprintf(err, errsz, "no such user \"%s\"", user);
			return QUIRE_ENOTFOUND;
		}
		/* A bare uid with no passwd entry: fine with an explicit
		 * group (containers often have none). */
		p->uid = (uid_t)id;
		*primary = (gid_t)-1;
		snprintf(p->user, sizeof(p->user), "%lld", id);
		return QUIRE_OK;
	}
	p->uid = res->pw_uid;
	*primary = res->pw_gid;
	snprintf(p->user, sizeof(p->user), "%s", res->pw_name);
	return QUIRE_OK;
}

/* group (a name or a number) into *gid, and its name into name (namesz
 * bytes); a number with no group entry stands for itself. */
static enum quire_err resolve_group(const char *group, gid_t *gid, char *name,
				    size_t namesz, char *err, size_t errsz)
{
	struct group gr, *res = NULL;
	char buf[16384];
	long long id = parse_id(group);
	int rc;

	if (id >= 0)
		rc = getgrgid_r((gid_t)id, &gr, buf, sizeof(buf), &res);
	else
		rc = getgrnam_r(group, &gr, buf, sizeof(buf), &res);
	if (rc != 0 || !res) {
		if (id < 0) {
			snprintf(err, errsz, "no such group \"%s\"", group);
			return QUIRE_ENOTFOUND;
		}
		*gid = (gid_t)id;
		snprintf(name, namesz, "%lld", id);
		return QUIRE_OK;
	}
	*gid = res->gr_gid;
	snprintf(name, namesz, "%s", res->gr_name);
	return QUIRE_OK;
}

enum quire_err privs_resolve(struct privs *p, const char *user,
			     const char *group, char *err, size_t errsz)
{
	gid_t primary;
	enum quire_err rc;

	memset(p, 0, sizeof(*p));
	if (!user || !*user) {
		if (group && *group) {
			snprintf(err, errsz, "--group \"%s\" needs --user", group);
			return QUIRE_EINVAL;
		}
		return QUIRE_OK;
	}
	rc = resolve_user(p, user, &primary, err, errsz);
	if (rc != QUIRE_OK)
		return rc;
	if (group && *group) {
		rc = resolve_group(group, &p->gid, p->group, sizeof(p->group),
				   err, errsz);
		if (rc != QUIRE_OK)
			return rc;
	} else if (primary == (gid_t)-1) {
		snprintf(err, errsz, "user \"%s\" has no passwd entry: give --group",
			 user);
		return QUIRE_EINVAL;
	} else {
		char num[24];

		/* By number: the name, if the group database has one. */
		snprintf(num, sizeof(num), "%lu", (unsigned long)primary);
		rc = resolve_group(num, &p->gid, p->group, sizeof(p->group),
				   err, errsz);
		if (rc != QUIRE_OK)
			return rc;
	}
	if (p->uid == 0 || p->gid == 0) {
		snprintf(err, errsz, "refusing to run as root (user \"%s\" group \"%s\")",
			 p->user, p->group);
		return QUIRE_EINVAL;
	}
	p->socket_gid = p->gid;
	p->wanted = 1;
	return QUIRE_OK;
}

enum quire_err privs_resolve_socket_group(struct privs *p, const char *group,
					  char *err, size_t errsz)
{
	char name[64];

	if (!group || !*group)
		return QUIRE_OK;
	if (!p->wanted) {
		snprintf(err, errsz, "--socket-group \"%s\" needs --user", group);
		return QUIRE_EINVAL;
	}
	return resolve_group(group, &p->socket_gid, name, sizeof(name), err, errsz);
}

enum quire_err privs_drop(const struct privs *p, char *err, size_t errsz)
{
	if (setgroups(1, &p->gid) < 0) {
		snprintf(err, errsz, "setgroups failed: %s", strerror(errno));
		return QUIRE_EIO;
	}
	if (setgid(p->gid) < 0) {
		snprintf(err, errsz, "setgid %lu failed: %s",
			 (unsigned long)p->gid, strerror(errno));
		return QUIRE_EIO;
	}
	if (setuid(p->uid) < 0) {
		snprintf(err, errsz, "setuid %lu failed: %s",
			 (unsigned long)p->uid, strerror(errno));
		return QUIRE_EIO;
	}
	return privs_verify(p, err, errsz);
}

enum quire_err privs_verify(const struct privs *p, char *err, size_t errsz)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg, groups[PRIVS_MAX_GROUPS];
	int n, i;

	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0) {
		snprintf(err, errsz, "cannot read the ids: %s", strerror(errno));
		return QUIRE_EIO;
	}
	if (ru != p->uid || eu != p->uid || su != p->uid) {
		snprintf(err, errsz, "uid is %lu/%lu/%lu (real/effective/saved), "
			 "not %lu", (unsigned long)ru, (unsigned long)eu,
			 (unsigned long)su, (unsigned long)p->uid);
		return QUIRE_EIO;
	}
	if (rg != p->gid || eg != p->gid || sg != p->gid) {
		snprintf(err, errsz, "gid is %lu/%lu/%lu (real/effective/saved), "
			 "not %lu", (unsigned long)rg, (unsigned long)eg,
			 (unsigned long)sg, (unsigned long)p->gid);
		return QUIRE_EIO;
	}
	n = getgroups(PRIVS_MAX_GROUPS, groups);
	if (n < 0) {
		snprintf(err, errsz, "too many supplementary groups: %s",
			 strerror(errno));
		return QUIRE_EIO;
	}
	for (i = 0; i < n; i++) {
		if (groups[i] != p->gid) {
			snprintf(err, errsz, "still in supplementary group %lu",
				 (unsigned long)groups[i]);
			return QUIRE_EIO;
		}
	}
	/* The ids could be right and root still be one call away (a
	 * capability kept, say): try. */
	if (setuid(0) == 0 || seteuid(0) == 0) {
		snprintf(err, errsz, "setuid(0) succeeded: root is not dropped");
		return QUIRE_EIO;
	}
	if (setgid(0) == 0 || setegid(0) == 0) {
		snprintf(err, errsz, "setgid(0) succeeded: root is not dropped");
		return QUIRE_EIO;
	}
	return QUIRE_OK;
}
