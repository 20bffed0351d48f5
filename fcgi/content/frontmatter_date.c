/*
 * frontmatter_date.c - the dates frontmatter accepts, as UTC seconds
 *
 * One parser for every place a date is written by hand: both frontmatter
 * syntaxes and Jekyll's file names. Lenient about the separator and the
 * zone (tools write all of them), strict about the day itself: timegm()
 * would move 02-30 into March without a word.
 */
#define _DEFAULT_SOURCE /* timegm */
#include <ctype.h>
#include <string.h>
#include <time.h>

#include "content/frontmatter_date.h"
#include "lib/quire.h"

int frontmatter_date_digits(const char **s, int n, int *out)
{
	int v = 0;

	for (; n > 0; n--, (*s)++) {
		if (!isdigit((unsigned char)**s))
			return 0;
		v = v * 10 + (**s - '0');
	}
	*out = v;
	return 1;
}

enum quire_err frontmatter_date_parse(const char *s, time_t *out)
{
	struct tm tm, check;
	int y, mo, d, h = 0, mi = 0, sec = 0, zh = 0, zm = 0, sign = 0;
	time_t t;

	if (!frontmatter_date_digits(&s, 4, &y) || *s++ != '-' ||
	    !frontmatter_date_digits(&s, 2, &mo) || *s++ != '-' ||
	    !frontmatter_date_digits(&s, 2, &d))
		return QUIRE_EPARSE;
	if (*s == 'T' || *s == 't' || *s == ' ') {
		s++;
		if (!frontmatter_date_digits(&s, 2, &h) || *s++ != ':' ||
		    !frontmatter_date_digits(&s, 2, &mi))
			return QUIRE_EPARSE;
		if (*s == ':') {
			s++;
			if (!frontmatter_date_digits(&s, 2, &sec))
				return QUIRE_EPARSE;
			if (*s == '.') /* fractions of a second are dropped */
				for (s++; isdigit((unsigned char)*s); s++)
					;
		}
		if (*s == ' ')
			s++;
		if (*s == 'Z' || *s == 'z') {
			s++;
		} else if (*s == '+' || *s == '-') {
			sign = *s++ == '-' ? -1 : 1;
			if (!frontmatter_date_digits(&s, 2, &zh))
				return QUIRE_EPARSE;
			if (*s == ':')
				s++;
			if (isdigit((unsigned char)*s) &&
			    !frontmatter_date_digits(&s, 2, &zm))
				return QUIRE_EPARSE;
		}
	}
	if (*s || y < 1900 || mo < 1 || mo > 12 || d < 1 || d > 31 ||
	    h > 23 || mi > 59 || sec > 60 || zh > 14 || zm > 59)
		return QUIRE_EPARSE;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec == 60 ? 59 : sec; /* a leap second is its neighbour */
	t = timegm(&tm);
	/* timegm normalises 02-30 into March: refuse what moved */
	if (t == (time_t)-1 || !gmtime_r(&t, &check) || check.tm_mday != d ||
	    check.tm_mon != mo - 1)
		return QUIRE_EPARSE;
	*out = t - (time_t)sign * (zh * 3600 + zm * 60);
	return QUIRE_OK;
}
