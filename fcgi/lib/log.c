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

char *log_escape(const char *s, char *out, size_t outsz)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	unsigned char c;

	if (outsz == 0)
		return out;
	for (; s && *s; s++) {
		c = (unsigned char)*s;
		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
			if (o + 4 >= outsz)
				break;
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		} else {
			if (o + 1 >= outsz)
				break;
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
	return out;
}
