/*
 * tmpsite.h - a throw-away content folder for unit tests: a temporary
 * directory (under $TMPDIR, else /tmp) with an empty posts/ in it
 */
#ifndef QUIRE_TESTS_TMPSITE_H
#define QUIRE_TESTS_TMPSITE_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* Makes root (rootsz bytes) "$TMPDIR/quire-NAME-XXXXXX" with posts/ in
 * it; exits 99 (a hard error for automake) when it cannot. */
static inline void tmpsite_make(char *root, size_t rootsz, const char *name)
{
	const char *tmp = getenv("TMPDIR");
	char sub[512];

	snprintf(root, rootsz, "%s/quire-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp",
		 name);
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		exit(99);
	}
	snprintf(sub, sizeof(sub), "%s/posts", root);
	if (mkdir(sub, 0755) != 0) {
		perror(sub);
		exit(99);
	}
}

/* Writes text to root/rel (the folders must exist); exits 99 when it
 * cannot. */
static inline void tmpsite_write(const char *root, const char *rel, const char *text)
{
	char path[768];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	if (!f || fputs(text, f) == EOF || fclose(f) != 0) {
		perror(path);
		exit(99);
	}
}

/* rm -rf root (a path tmpsite_make made: no quote in it). */
static inline void tmpsite_remove(const char *root)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", root);
}

#endif
