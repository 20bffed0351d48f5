/*
 * test_privs.c - resolving --user/--group, and dropping root for real
 *
 * The drop is tried in a forked child (it cannot be undone), and only
 * when the test runs as root; the rest needs no privilege.
 */
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/privs.h"
#include "lib/quire.h"
#include "check.h"

static char err[256];

static void test_names(void)
{
	struct passwd *pw = getpwnam("nobody");
	struct group *gr = getgrnam("www-data");
	struct privs p;
	gid_t www, nobody_gid;
	uid_t nobody;

	if (!pw || !gr) {
		printf("test_privs: no nobody or www-data here; names skipped\n");
		return;
	}
	nobody = pw->pw_uid;
	nobody_gid = pw->pw_gid;
	www = gr->gr_gid;

	CHECK(privs_resolve(&p, "nobody", NULL, err, sizeof(err)) == QUIRE_OK);
	CHECK(p.wanted == 1);
	CHECK(p.uid == nobody);
	CHECK(p.gid == nobody_gid);
	CHECK_STR(p.user, "nobody");

	CHECK(privs_resolve(&p, "nobody", "www-data", err, sizeof(err)) == QUIRE_OK);
	CHECK(p.uid == nobody && p.gid == www);
	CHECK_STR(p.group, "www-data");

	/* Numbers name the same ids. */
	{
		char u[24], g[24];

		snprintf(u, sizeof(u), "%lu", (unsigned long)nobody);
		snprintf(g, sizeof(g), "%lu", (unsigned long)www);
		CHECK(privs_resolve(&p, u, g, err, sizeof(err)) == QUIRE_OK);
		CHECK(p.uid == nobody && p.gid == www);
		CHECK_STR(p.user, "nobody");
		CHECK_STR(p.group, "www-data");
	}

	/* The sockets' group: --group's unless said otherwise, so quire
	 * can keep a group of its own and still let the web server in. */
	CHECK(privs_resolve(&p, "nobody", NULL, err, sizeof(err)) == QUIRE_OK);
	CHECK(p.socket_gid == nobody_gid);
	CHECK(privs_resolve_socket_group(&p, NULL, err, sizeof(err)) == QUIRE_OK);
	CHECK(privs_resolve_socket_group(&p, "", err, sizeof(err)) == QUIRE_OK);
	CHECK(p.socket_gid == nobody_gid);
	CHECK(privs_resolve_socket_group(&p, "www-data", err, sizeof(err)) == QUIRE_OK);
	CHECK(p.socket_gid == www && p.gid == nobody_gid);
	{
		char g[24];

		snprintf(g, sizeof(g), "%lu", (unsigned long)www);
		CHECK(privs_resolve(&p, "nobody", NULL, err, sizeof(err)) == QUIRE_OK);
		CHECK(privs_resolve_socket_group(&p, g, err, sizeof(err)) == QUIRE_OK);
		CHECK(p.socket_gid == www);
	}
	CHECK(privs_resolve_socket_group(&p, "no-such-group-q9", err, sizeof(err)) ==
	      QUIRE_ENOTFOUND);
	CHECK_CONTAINS(err, "no-such-group-q9");
}

static void test_refusals(void)
{
	struct privs p;

	CHECK(privs_resolve(&p, NULL, NULL, err, sizeof(err)) == QUIRE_OK);
	CHECK(p.wanted == 0);
	CHECK(privs_resolve(&p, "", NULL, err, sizeof(err)) == QUIRE_OK);
	CHECK(p.wanted == 0);

	CHECK(privs_resolve(&p, NULL, "www-data", err, sizeof(err)) == QUIRE_EINVAL);
	CHECK_CONTAINS(err, "needs --user");
	CHECK(privs_resolve(&p, NULL, NULL, err, sizeof(err)) == QUIRE_OK);
	CHECK(privs_resolve_socket_group(&p, "www-data", err, sizeof(err)) ==
	      QUIRE_EINVAL);
	CHECK_CONTAINS(err, "--socket-group \"www-data\" needs --user");
	CHECK(privs_resolve(&p, "no-such-user-q9", NULL, err, sizeof(err)) ==
	      QUIRE_ENOTFOUND);
	CHECK_CONTAINS(err, "no-such-user-q9");
	CHECK(privs_resolve(&p, "nobody", "no-such-group-q9", err, sizeof(err)) ==
	      QUIRE_ENOTFOUND);
	CHECK(privs_resolve(&p, "12x", NULL, err, sizeof(err)) == QUIRE_ENOTFOUND);

	/* Dropping "to root" is no drop. */
	CHECK(privs_resolve(&p, "root", NULL, err, sizeof(err)) == QUIRE_EINVAL);
	CHECK_CONTAINS(err, "refusing to run as root");
	CHECK(privs_resolve(&p, "0", NULL, err, sizeof(err)) == QUIRE_EINVAL);
	CHECK(privs_resolve(&p, "nobody", "0", err, sizeof(err)) == QUIRE_EINVAL);

	/* A uid with no passwd entry needs a group to go with it. */
	CHECK(privs_resolve(&p, "4000123", NULL, err, sizeof(err)) == QUIRE_EINVAL);
	CHECK_CONTAINS(err, "give --group");
	CHECK(privs_resolve(&p, "4000123", "4000124", err, sizeof(err)) == QUIRE_OK);
	CHECK(p.uid == 4000123 && p.gid == 4000124);
}

/* Runs fn in a child; returns its exit status (or 100 + signal). */
static int in_child(int (*fn)(void))
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(fn());
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st);
}

/* Exit codes say which step broke: 0 is every step as expected. */
static int drop_and_check(void)
{
	struct privs p, other;

	if (privs_resolve(&p, "nobody", "www-data", err, sizeof(err)) != QUIRE_OK)
		return 2;
	/* Still root: the checks must say so. */
	if (privs_verify(&p, err, sizeof(err)) != QUIRE_EIO)
		return 3;
	if (privs_drop(&p, err, sizeof(err)) != QUIRE_OK) {
		fprintf(stderr, "drop: %s\n", err);
		return 4;
	}
	if (getuid() != p.uid || geteuid() != p.uid || getgid() != p.gid ||
	    getegid() != p.gid)
		return 5;
	if (setuid(0) == 0)
		return 6;
	if (privs_verify(&p, err, sizeof(err)) != QUIRE_OK)
		return 7;
	/* The wrong target fails, and a second drop cannot happen. */
	other = p;
	other.gid = p.gid + 1;
	if (privs_verify(&other, err, sizeof(err)) != QUIRE_EIO)
		return 8;
	if (privs_drop(&p, err, sizeof(err)) != QUIRE_EIO)
		return 9;
	return 0;
}

static void test_drop(void)
{
	if (geteuid() != 0 || !getpwnam("nobody") || !getgrnam("www-data")) {
		printf("test_privs: not root (or no nobody/www-data); drop skipped\n");
		return;
	}
	CHECK(in_child(drop_and_check) == 0);
}

int main(void)
{
	test_names();
	test_refusals();
	test_drop();
	return check_done("test_privs");
}
