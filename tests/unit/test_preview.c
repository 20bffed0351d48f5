/*
 * test_preview.c - preview links: signed, checked, expired, tampered,
 * under another key; the key file's mode and size
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "write/preview.h"

static int write_file(const char *path, const char *data, size_t len,
		      mode_t mode)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
	if (fd < 0)
		return -1;
	if (write(fd, data, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	if (fchmod(fd, mode) < 0) {
		close(fd);
		return -1;
	}
	return close(fd);
}

static int check(const struct preview_key *k, const char *slug,
		 const char *exp, const char *sig, time_t now)
{
	return preview_check(k, slug, exp, strlen(exp), sig, strlen(sig), now);
}

static void test_sign_check(const struct preview_key *k,
			    const struct preview_key *other)
{
	char sig[PREVIEW_SIG_LEN + 1], bad[PREVIEW_SIG_LEN + 1];

	CHECK(preview_sign(k, "my-draft", 2000000000, sig) == QUIRE_OK);
	CHECK(strlen(sig) == PREVIEW_SIG_LEN);
	CHECK(strspn(sig, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		      "0123456789-_") == PREVIEW_SIG_LEN);
	/* Valid until exp, and at it; past it: 410. */
	CHECK(check(k, "my-draft", "2000000000", sig, 1999999999) == 200);
	CHECK(check(k, "my-draft", "2000000000", sig, 2000000000) == 200);
	CHECK(check(k, "my-draft", "2000000000", sig, 2000000001) == 410);
	/* Tampered: another slug, another time, a changed signature. */
	CHECK(check(k, "my-draft2", "2000000000", sig, 0) == 403);
	CHECK(check(k, "other", "2000000000", sig, 0) == 403);
	CHECK(check(k, "my-draft", "2000000001", sig, 0) == 403);
	CHECK(check(k, "my-draft", "02000000000", sig, 0) == 403);
	CHECK(check(k, "my-draft", "2000000000 ", sig, 0) == 403);
	memcpy(bad, sig, sizeof(bad));
	bad[5] = bad[5] == 'A' ? 'B' : 'A';
	CHECK(check(k, "my-draft", "2000000000", bad, 0) == 403);
	/* An expired link that was altered is 403, not 410. */
	CHECK(check(k, "my-draft", "2000000000", bad, 2100000000) == 403);
	CHECK(check(k, "my-draft", "2000000000", "", 0) == 403);
	CHECK(check(k, "my-draft", "", sig, 0) == 403);
	CHECK(check(k, "my-draft", "-1", sig, 0) == 403);
	CHECK(check(k, "my-draft", "99999999999999999999999", sig, 0) == 403);
	CHECK(preview_check(k, "my-draft", "2000000000", 10, sig,
			    PREVIEW_SIG_LEN - 1, 0) == 403);
	/* Another key (a rotation): every old link is refused. */
	CHECK(check(other, "my-draft", "2000000000", sig, 0) == 403);
	/* The slug and the time are separated: "a\n1" + "23" is not "a1\n23". */
	CHECK(preview_sign(k, "a", 123, sig) == QUIRE_OK);
	CHECK(check(k, "a", "123", sig, 0) == 200);
	CHECK(check(k, "a1", "23", sig, 0) == 403);
}

static void test_key_files(void)
{
	char dir[] = "/tmp/test_preview.XXXXXX", path[128], err[512];
	struct preview_key k1, k2;
	char sig[PREVIEW_SIG_LEN + 1];
	static const char key32[] = "0123456789abcdef0123456789abcdef";

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/key", dir);
	CHECK(write_file(path, key32, 32, 0600) == 0);
	CHECK(preview_key_load(path, &k1, err, sizeof(err)) == QUIRE_OK);
	/* Readable by others: refused, as the API's token file is. */
	CHECK(chmod(path, 0644) == 0);
	CHECK(preview_key_load(path, &k2, err, sizeof(err)) == QUIRE_EINVAL);
	CHECK_CONTAINS(err, "chmod 600");
	CHECK(chmod(path, 0400) == 0);
	CHECK(preview_key_load(path, &k2, err, sizeof(err)) == QUIRE_OK);
	CHECK(memcmp(k1.k, k2.k, sizeof(k1.k)) == 0);
	/* Too short to be a key. */
	CHECK(write_file(path, key32, 31, 0600) == 0);
	CHECK(preview_key_load(path, &k2, err, sizeof(err)) == QUIRE_EINVAL);
	CHECK_CONTAINS(err, "32");
	CHECK(unlink(path) == 0);
	CHECK(preview_key_load(path, &k2, err, sizeof(err)) == QUIRE_EIO);
	/* A new key: mode 600, 32 bytes, another key than before; never
	 * over an existing file. */
	CHECK(preview_key_new(path, err, sizeof(err)) == QUIRE_OK);
	CHECK(preview_key_load(path, &k2, err, sizeof(err)) == QUIRE_OK);
	CHECK(memcmp(k1.k, k2.k, sizeof(k1.k)) != 0);
	CHECK(preview_key_new(path, err, sizeof(err)) == QUIRE_EIO);
	test_sign_check(&k1, &k2);
	CHECK(preview_sign(&k2, "s", 1, sig) == QUIRE_OK);
	CHECK(check(&k2, "s", "1", sig, 1) == 200);
	CHECK(check(&k1, "s", "1", sig, 1) == 403);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	test_key_files();
	return check_done("test_preview");
}
