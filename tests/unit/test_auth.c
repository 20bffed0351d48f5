/*
 * test_auth.c - the write API's tokens and its throttle, without a
 * server: what a token file gives (tokens, comments, an empty or missing
 * file, a mode others may read, lines too long), what a header is
 * answered, a token's id in the logs, and the failures per address
 * counted across processes (a fork), in windows, bounded.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "lib/quire.h"
#include "write/auth.h"
#include "write/auth_throttle.h"

static char dir[] = "/tmp/quire-test-auth.XXXXXX";
static char path[sizeof(dir) + 16];

/* The token file made anew with text, at mode. */
static void write_tokens(const char *text, mode_t mode)
{
	FILE *f;

	unlink(path);
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

/* auth_load of path: its return code, the set in *a, the message. */
static enum quire_err load(struct auth **a, char *err, size_t errsz)
{
	return auth_load(path, a, err, errsz);
}

static void test_tokens(void)
{
	struct auth *a;
	char err[512], id[AUTH_ID_LEN + 1];

	write_tokens("# a comment\n\n  first-token \t\nsecond-token\r\n#third\n",
		     0600);
	CHECK(load(&a, err, sizeof(err)) == QUIRE_OK);
	CHECK_STR(err, "");
	CHECK(auth_count(a) == 2);
	CHECK(auth_check(a, "Bearer first-token", id) == 200);
	CHECK(auth_check(a, "bearer  second-token  ", id) == 200);
	CHECK(auth_check(a, "Bearer third", id) == 403);
	CHECK(auth_check(a, "Bearer #third", id) == 403);
	CHECK(id[0] == '\0');
	CHECK(auth_check(a, "Bearer wrong", id) == 403);
	CHECK(auth_check(a, NULL, id) == 401);
	CHECK(auth_check(a, "Basic Zm9vOmJhcg==", id) == 401);
	CHECK(auth_check(a, "Bearer ", id) == 401);
	auth_free(a);
}

/* A token's id is the start of its BLAKE2b-256, as b2sum -l 256 prints
 * it: `printf %s abc | b2sum -l 256` is bddd813c6342... */
static void test_token_id(void)
{
	struct auth *a;
	char err[512], id[AUTH_ID_LEN + 1];

	write_tokens("abc\n", 0400);
	CHECK(load(&a, err, sizeof(err)) == QUIRE_OK);
	CHECK(auth_check(a, "Bearer abc", id) == 200);
	CHECK_STR(id, "bddd813c");
	auth_free(a);
}

/* Every way a file can hold no usable token gives an empty set that
 * refuses every token, and a message saying why. */
static void test_no_token(void)
{
	struct auth *a;
	char err[512], id[AUTH_ID_LEN + 1];

	write_tokens("", 0600);
	CHECK(load(&a, err, sizeof(err)) == QUIRE_EINVAL);
	CHECK(a != NULL && auth_count(a) == 0);
	CHECK_CONTAINS(err, "no token in \"");
	CHECK(auth_check(a, "Bearer anything", id) == 403);
	CHECK(auth_check(a, NULL, id) == 401);
	auth_free(a);

	write_tokens("# old-token\n#another\n   \n", 0600);
	CHECK(load(&a, err, sizeof(err)) == QUIRE_EINVAL);
	CHECK(a != NULL && auth_count(a) == 0);
	CHECK(auth_check(a, "Bearer old-token", id) == 403);
	auth_free(a);

	unlink(path);
	CHECK(load(&a, err, sizeof(err)) == QUIRE_EIO);
	CHECK(a != NULL && auth_count(a) == 0);
	CHECK_CONTAINS(err, "No such file or directory");
	auth_free(a);

	CHECK(auth_load(dir, &a, err, sizeof(err)) == QUIRE_EINVAL);
	CHECK(a != NULL && auth_count(a) == 0);
	CHECK_CONTAINS(err, "not a regular file");
	auth_free(a);
}

/* A file its group or others may read or write is refused whole, like
 * ssh's private keys, saying how to fix it. */
static void test_mode(void)
{
	static const mode_t refused[] = { 0644, 0640, 0604, 0620, 0602, 0660, 0666 };
	struct auth *a;
	char err[512], id[AUTH_ID_LEN + 1], want[64];
	size_t i;

	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		write_tokens("good-token\n", refused[i]);
		CHECK(load(&a, err, sizeof(err)) == QUIRE_EINVAL);
		CHECK(a != NULL && auth_count(a) == 0);
		CHECK(auth_check(a, "Bearer good-token", id) == 403);
		snprintf(want, sizeof(want), "(mode %04o)", (unsigned)refused[i]);
		CHECK_CONTAINS(err, want);
		CHECK_CONTAINS(err, "readable or writable by group or others");
		CHECK_CONTAINS(err, "chmod 600");
		auth_free(a);
	}
	write_tokens("good-token\n", 0400);
	CHECK(load(&a, err, sizeof(err)) == QUIRE_OK);
	CHECK(auth_check(a, "Bearer good-token", id) == 200);
	auth_free(a);
}

/* Lines that cannot be tokens are skipped, named in the warning; the
 * others still count. */
static void test_long_lines(void)
{
	struct auth *a;
	char err[512], id[AUTH_ID_LEN + 1], text[4096];

	memset(text, 'x', 1000);
	text[1000] = '\0';
	strcat(text, "\nshort-token\n");
	write_tokens(text, 0600);
	CHECK(load(&a, err, sizeof(err)) == QUIRE_OK);
	CHECK(auth_count(a) == 1);
	CHECK(auth_check(a, "Bearer short-token", id) == 200);
	CHECK_CONTAINS(err, "1 line(s) skipped from line 1");
	auth_free(a);

	memset(text, 'y', AUTH_MAX_TOKEN + 1);
	text[AUTH_MAX_TOKEN + 1] = '\0';
	write_tokens(text, 0600);
	CHECK(load(&a, err, sizeof(err)) == QUIRE_EINVAL);
	CHECK(auth_count(a) == 0);
	CHECK_CONTAINS(err, "longer than a token may be");
	auth_free(a);

	/* The longest token there may be is one. */
	text[AUTH_MAX_TOKEN] = '\0';
	write_tokens(text, 0600);
	CHECK(load(&a, err, sizeof(err)) == QUIRE_OK);
	CHECK(auth_count(a) == 1);
	auth_free(a);
}

static void test_throttle_key(void)
{
	uint64_t v4 = auth_throttle_key("192.0.2.1");

	CHECK(v4 != 0);
	CHECK(v4 == auth_throttle_key("::ffff:192.0.2.1"));
	CHECK(v4 != auth_throttle_key("192.0.2.2"));
	/* One /64, one key: a host holds its /64 whole. */
	CHECK(auth_throttle_key("2001:db8:1:2::1") ==
	      auth_throttle_key("2001:db8:1:2:ffff::9"));
	CHECK(auth_throttle_key("2001:db8:1:2::1") !=
	      auth_throttle_key("2001:db8:1:3::1"));
	CHECK(auth_throttle_key("unix:") == auth_throttle_key("unix:"));
	CHECK(auth_throttle_key("unix:") != auth_throttle_key(""));
	CHECK(auth_throttle_key(NULL) == auth_throttle_key(""));
}

static void test_throttle_window(void)
{
	uint64_t k = auth_throttle_key("198.51.100.1");
	uint32_t t = 1000, i;

	CHECK(auth_throttle_wait(k, 3, 60, t) == 0);
	CHECK(auth_throttle_fail(k, 60, t) == 1);
	CHECK(auth_throttle_fail(k, 60, t + 10) == 2);
	CHECK(auth_throttle_wait(k, 3, 60, t + 10) == 0);
	CHECK(auth_throttle_fail(k, 60, t + 20) == 3);
	/* The window began at t: its end is what is left to wait. */
	CHECK(auth_throttle_wait(k, 3, 60, t + 20) == 40);
	CHECK(auth_throttle_wait(k, 3, 60, t + 59) == 1);
	CHECK(auth_throttle_wait(k, 0, 60, t + 20) == 0);
	CHECK(auth_throttle_wait(k, 3, 60, t + 60) == 0);
	/* Over: the next failure starts a new window. */
	CHECK(auth_throttle_fail(k, 60, t + 60) == 1);
	CHECK(auth_throttle_wait(k, 3, 60, t + 61) == 0);
	/* Another address is not concerned. */
	for (i = 0; i < 5; i++)
		auth_throttle_fail(k, 60, t + 61);
	CHECK(auth_throttle_wait(k, 3, 60, t + 61) > 0);
	CHECK(auth_throttle_wait(auth_throttle_key("198.51.100.2"), 3, 60, t + 61) == 0);
}

/* Failures counted in a child (another worker) hold in the parent. */
static void test_throttle_shared(void)
{
	uint64_t k = auth_throttle_key("203.0.113.7");
	pid_t pid;
	int st, i;

	pid = fork();
	if (pid == 0) {
		for (i = 0; i < 4; i++)
			auth_throttle_fail(k, 60, 5000);
		_exit(0);
	}
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && st == 0);
	CHECK(auth_throttle_wait(k, 5, 60, 5001) == 0);
	CHECK(auth_throttle_fail(k, 60, 5001) == 5);
	CHECK(auth_throttle_wait(k, 5, 60, 5001) == 59);
}

/* Far more addresses than slots: memory stays the table's, and the
 * newest windows are kept, the oldest forgotten. */
static void test_throttle_bounded(void)
{
	char addr[64];
	uint64_t newest = 0;
	uint32_t i;

	for (i = 0; i < 8 * AUTH_THROTTLE_SLOTS; i++) {
		snprintf(addr, sizeof(addr), "10.%u.%u.%u", (i >> 16) & 255,
			 (i >> 8) & 255, i & 255);
		newest = auth_throttle_key(addr);
		CHECK(auth_throttle_fail(newest, 600, 20000 + i / 64) >= 1);
	}
	CHECK(auth_throttle_fail(newest, 600, 20000 + i / 64) == 2);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/tokens", dir);
	test_tokens();
	test_token_id();
	test_no_token();
	test_mode();
	test_long_lines();
	CHECK(auth_throttle_init() == QUIRE_OK);
	CHECK(auth_throttle_init() == QUIRE_OK);
	test_throttle_key();
	test_throttle_window();
	test_throttle_shared();
	test_throttle_bounded();
	unlink(path);
	rmdir(dir);
	return check_done("test_auth");
}
