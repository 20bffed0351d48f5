/*
 * log.h - one-line structured logs on stderr, and a command's reports
 * to its user
 *
 * Each log line: "quire LEVEL pid=PID event=EVENT MESSAGE". Messages are
 * lower-case, the error first, the subject quoted.
 *
 * A report is what a command tells the one who ran it (what went wrong,
 * why nothing was deployed): one line, whatever the level. Library code
 * reports through log_report() alone and never names the program it is
 * in; the program sets the prefix and the stream (log_set_report()).
 */
#ifndef QUIRE_LOG_H
#define QUIRE_LOG_H

#include <stddef.h>
#include <stdio.h>

enum log_level {
	LOG_LEVEL_ERROR = 0, /* something failed and was not served */
	LOG_LEVEL_WARN,      /* something failed and was worked around */
	LOG_LEVEL_INFO,      /* a lifecycle event */
	LOG_LEVEL_DEBUG,     /* detail for developers */
	LOG_LEVEL__MAX
};

/* Lines above this level are dropped; set from QUIRE_LOG_LEVEL. */
void log_set_level(enum log_level level);
/* QUIRE_LOG_LEVEL (error, warn, info or debug) when set, else dflt. */
void log_set_level_from_env(enum log_level dflt);
/* The level set (what log_msg() prints at most). */
enum log_level log_level(void);
void log_msg(enum log_level level, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Where log_report() goes: to (NULL: stderr), each line after prefix
 * ("PROGRAM: "; NULL: none), both borrowed for as long as reports are
 * made. Before any call: stderr, no prefix.
 */
void log_set_report(const char *prefix, FILE *to);
/* Reports one line, the newline added, as log_set_report() said. */
void log_report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Copies at most outsz-1 bytes of s into out with control characters
 * (C0, DEL, C1 as UTF-8), bytes that are not UTF-8, quotes and
 * backslashes escaped (\xNN a byte), for logging what a client sent;
 * cut before an escape or a character that does not fit. Returns out. */
char *log_escape(const char *s, char *out, size_t outsz);

#endif
