/*
 * log.c - one-line structured logs on stderr, and a command's reports
 *
 * A log line is formatted whole and written with one write(2), so lines
 * from several workers sharing stderr do not interleave. A report goes
 * through stdio, on the stream its program chose, and is not cut at a
 * fixed length (it may name a long path).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/quire.h"

static enum log_level max_level = LOG_LEVEL_INFO;
static const char *report_prefix;
static FILE *report_to;

static const char *const level_names[LOG_LEVEL__MAX] = {
	"error", /* LOG_LEVEL_ERROR */
	"warn",  /* LOG_LEVEL_WARN */
	"info",  /* LOG_LEVEL_INFO */
	"debug", /* LOG_LEVEL_DEBUG */
};

void log_set_level(enum log_level level)
{
	max_level = level;
}

enum log_level log_level(void)
{
	return max_level;
}

void log_set_level_from_env(enum log_level dflt)
{
	const char *v = getenv("QUIRE_LOG_LEVEL");
	size_t i;

	max_level = dflt;
	for (i = 0; v && i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcmp(v, level_names[i]) == 0)
			max_level = (enum log_level)i;
}

void log_msg(enum log_level level, const char *event, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	int n, m;

	if (level > max_level || level >= LOG_LEVEL__MAX)
		return;
	n = snprintf(line, sizeof(line), "quire %s pid=%ld event=%s ",
		     level_names[level], (long)getpid(), event);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return; /* nowhere left to report it */
}

void log_set_report(const char *prefix, FILE *to)
{
	report_prefix = prefix;
	report_to = to;
}

void log_report(const char *fmt, ...)
{
	char small[1024], *line = small;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(small)) {
		line = malloc((size_t)n + 1);
		if (!line)
			line = small; /* cut short rather than lost */
		else {
			va_start(ap, fmt);
			vsnprintf(line, (size_t)n + 1, fmt, ap);
			va_end(ap);
		}
	}
	/* one call: an unbuffered stderr writes the line in one write(2) */
	fprintf(report_to ? report_to : stderr, "%s%s\n",
		report_prefix ? report_prefix : "", line);
	if (line != small)
		free(line);
}

/* Appends \xNN for each of the n bytes at s to out[*o]; 0 when they do
 * not all fit before its last byte. */
static int put_hex(const unsigned char *s, size_t n, char *out, size_t outsz,
		   size_t *o)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	if (*o + 4 * n >= outsz)
		return 0;
	for (i = 0; i < n; i++) {
		out[(*o)++] = '\\';
		out[(*o)++] = 'x';
		out[(*o)++] = hex[s[i] >> 4];
		out[(*o)++] = hex[s[i] & 15];
	}
	return 1;
}

char *log_escape(const char *s, char *out, size_t outsz)
{
	const unsigned char *u = (const unsigned char *)s, *end;
	size_t o = 0, n;
	int ok;

	if (outsz == 0)
		return out;
	end = u ? u + strlen(s) : NULL;
	while (u && u < end) {
		n = quire_utf8_len(u, end);
		if (n == 0) {
			/* not UTF-8: a lone 0x9b is CSI to an 8-bit terminal */
			ok = put_hex(u, n = 1, out, outsz, &o);
		} else if (n == 1 && (*u < 0x20 || *u == 0x7f || *u == '"' ||
				      *u == '\\')) {
			ok = put_hex(u, 1, out, outsz, &o);
		} else if (n == 2 && u[0] == 0xc2 && u[1] <= 0x9f) {
			ok = put_hex(u, 2, out, outsz, &o); /* C1, U+0080-U+009F */
		} else if ((ok = o + n < outsz)) {
			memcpy(out + o, u, n); /* whole characters only */
			o += n;
		}
		if (!ok)
			break;
		u += n;
	}
	out[o] = '\0';
	return out;
}
