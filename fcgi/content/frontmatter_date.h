/*
 * frontmatter_date.h - the dates frontmatter accepts, as UTC seconds
 *
 * Used by the field rules (frontmatter_value.c) for date fields, by the
 * TOML reader to tell a bare date from other values, and by the content
 * loader for the day in a Jekyll file name.
 */
#ifndef QUIRE_FRONTMATTER_DATE_H
#define QUIRE_FRONTMATTER_DATE_H

#include <time.h>

#include "lib/quire.h"

/*
 * Parses a date as accepted in frontmatter into UTC seconds:
 * "2024-01-31", "2024-01-31 10:20", "2024-01-31T10:20:30", optionally
 * with fractions of a second (dropped) and "Z" or "+01:00"; taken as UTC
 * when no zone is given. A day that does not exist (02-30) is refused.
 * Returns QUIRE_OK or QUIRE_EPARSE (*out untouched).
 */
enum quire_err frontmatter_date_parse(const char *s, time_t *out);

/*
 * Reads exactly n digits at *s into *out and advances *s past them.
 * Returns 1, or 0 at a character that is not a digit (*s then points
 * at it and *out is untouched).
 */
int frontmatter_date_digits(const char **s, int n, int *out);

#endif
