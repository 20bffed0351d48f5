/*
 * fuzz.h - what every fuzz target defines, for libFuzzer (clang
 * -fsanitize=fuzzer) and for replay.c (gcc, make check)
 */
#ifndef QUIRE_TESTS_FUZZ_H
#define QUIRE_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A malloc'd NUL-terminated copy of data (NUL bytes inside kept), or
 * NULL. Static inline so each target stays one file. */
#include <stdlib.h>
#include <string.h>

static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		return NULL;
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
