/*
 * strlist.h - a small list of owned strings (a post's tags, categories,
 * authors, related slugs and aliases)
 */
#ifndef QUIRE_STRLIST_H
#define QUIRE_STRLIST_H

#include <stddef.h>

#include "lib/quire.h"

/* A list of owned strings; zeroed is empty. */
struct strlist {
	char **v;
	size_t n;
};

/* Appends a copy of s; returns QUIRE_OK, QUIRE_ENOMEM or QUIRE_ETOOBIG
 * (more than QUIRE_MAX_TAGS entries). */
enum quire_err strlist_add(struct strlist *l, const char *s);
/* Frees the strings and the list, and leaves l empty. */
void strlist_release(struct strlist *l);
/* True when l holds a string equal to s. */
int strlist_has(const struct strlist *l, const char *s);

#endif
