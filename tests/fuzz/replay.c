/*
 * replay.c - runs a fuzz target without libFuzzer: every file named on
 * the command line, or every file of a folder named there, goes through
 * LLVMFuzzerTestOneInput once. Built with the target by make check, so
 * crashes once found stay fixed (lwan's fuzz/regression). Exits 0 when
 * every input returned; a crash is the test failing.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int run_file(const char *path)
{
	unsigned char *data = NULL, *nd;
	size_t len = 0, cap = 0, n;
	FILE *f = fopen(path, "rb");

	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return 1;
	}
	for (;;) {
		if (cap - len < 65536) {
			cap = cap ? cap * 2 : 65536;
			nd = realloc(data, cap);
			if (!nd) {
				fprintf(stderr, "%s: out of memory\n", path);
				free(data);
				fclose(f);
				return 1;
			}
			data = nd;
		}
		n = fread(data + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, "%s: read error\n", path);
		free(data);
		fclose(f);
		return 1;
	}
	fclose(f);
	/* Exactly len bytes, as libFuzzer gives them (no slack after). */
	nd = malloc(len ? len : 1);
	if (!nd) {
		free(data);
		return 1;
	}
	if (len)
		memcpy(nd, data, len);
	free(data);
	(void)LLVMFuzzerTestOneInput(nd, len);
	free(nd);
	return 0;
}

static int names_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_dir(const char *dir, size_t *count)
{
	char **names = NULL, **nn, path[4096];
	size_t n = 0, cap = 0, i;
	struct dirent *e;
	struct stat st;
	int fails = 0;
	DIR *d = opendir(dir);

	if (!d) {
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		return 1;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			nn = realloc(names, cap * sizeof(*names));
			if (!nn)
				break;
			names = nn;
		}
		names[n] = strdup(e->d_name);
		if (!names[n])
			break;
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), names_cmp);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			fails += run_file(path);
			(*count)++;
		}
		free(names[i]);
	}
	free(names);
	return fails;
}

int main(int argc, char **argv)
{
	size_t count = 0;
	struct stat st;
	int i, fails = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			fails += run_dir(argv[i], &count);
		} else {
			fails += run_file(argv[i]);
			count++;
		}
	}
	printf("%s: %zu inputs replayed, %d unreadable\n", argv[0], count, fails);
	return fails ? 1 : 0;
}
