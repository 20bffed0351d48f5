/*
 * quire.h - error codes shared by every module
 *
 * Module calls return one of these; 0 is success and nothing else.
 */
#ifndef QUIRE_QUIRE_H
#define QUIRE_QUIRE_H

#include <stddef.h>

enum quire_err {
	QUIRE_OK = 0,     /* success */
	QUIRE_ENOMEM,     /* an allocation failed */
	QUIRE_EIO,        /* a system call failed; errno says more */
	QUIRE_EPARSE,     /* input is malformed; a parse_error says where */
	QUIRE_ETOOBIG,    /* input exceeds a limit of limits.h */
	QUIRE_ENOTFOUND,  /* no such thing */
	QUIRE_EINVAL,     /* a bad argument or option */
	QUIRE_ETIMEOUT,   /* a bounded operation ran out of time */
	QUIRE_ECONFLICT,  /* a precondition (a revision) did not hold */
	QUIRE_EOWNED,     /* the name is another owner's (a slug a content
			     file gives, written through the API) */
	QUIRE_EVERSION,   /* input of a format version this build cannot
			     read (written by a newer one) */
	QUIRE_ECASE,      /* the name differs only in letter case from one
			     held (a slug's twin, DESIGN §3) */
	QUIRE_ERR__MAX
};

/* Returns a static, lower-case description of ERR. */
const char *quire_strerror(enum quire_err err);

/* The value of hexadecimal digit c, or -1 when c is not one. */
int quire_hex_digit(int c);

/* Length of the valid UTF-8 sequence at s (s < end), or 0: RFC 3629,
 * so no overlong forms, no surrogates, nothing past U+10FFFF. */
size_t quire_utf8_len(const unsigned char *s, const unsigned char *end);

/* Offset of the first NUL byte or invalid UTF-8 sequence in s[0..len),
 * or len when there is none (what PostgreSQL's text refuses). */
size_t quire_text_invalid(const char *s, size_t len);

/* Milliseconds of CLOCK_MONOTONIC, for timing and deadlines. */
double quire_now_ms(void);

/*
 * Makes room for one more element after the n held in the array at
 * *array_ptr (a pointer to the array's pointer), of *cap elements of
 * size bytes: doubles it, starting at first. QUIRE_OK, or QUIRE_ENOMEM
 * (also when the bytes would overflow) with the array and *cap
 * unchanged.
 */
enum quire_err quire_grow(void *array_ptr, size_t *cap, size_t n, size_t size,
			  size_t first);
/* The same with the array's memory from resize(ctx, old, bytes) (NULL:
 * out of memory, old kept) instead of realloc. */
enum quire_err quire_grow_with(void *array_ptr, size_t *cap, size_t n,
			       size_t size, size_t first,
			       void *(*resize)(void *ctx, void *old, size_t bytes),
			       void *ctx);

/* Frees the n strings of v, then v (NULL: nothing). */
void quire_strings_free(char **v, size_t n);

/*
 * Where a parser stopped. line and column are 1-based and refer to the
 * whole input file (frontmatter and body alike); 0 means unknown.
 */
struct parse_error {
	unsigned line;
	unsigned column;
	char message[256];
};

#endif
