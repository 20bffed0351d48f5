/*
 * highlight.h - code in a known language as HTML with its tokens marked
 * (GNU source-highlight, behind a C interface)
 */
#ifndef QUIRE_HIGHLIGHT_H
#define QUIRE_HIGHLIGHT_H

#include <stddef.h>

#include "lib/buf.h"
#include "lib/quire.h"

/*
 * Makes the highlighter safe to use in a child forked while another
 * thread loads a language (pthread_atfork). Call once, before any
 * thread (markdown_init does); later calls do nothing.
 */
void highlight_init(void);

/*
 * Appends code (len bytes) to out as the inside of <code>: every byte of
 * it, escaped by html_escape, with each token of a kind the theme
 * colours in <span class="hl-KIND"> (keyword, type, string, escape,
 * comment, number, preproc, function, variable, property). lang is a
 * fence's language, case-insensitive: source-highlight's names and
 * common aliases ("rs", "sh", "bash", "py", "js", "c++", ...).
 *
 * *cpu_ns is the CPU time (this thread's, in nanoseconds) highlighting
 * may still take: what this call took is subtracted, and it stops when
 * none is left, checked between lines (QUIRE_MAX_HIGHLIGHT_LINE bounds
 * one line's cost), so one budget can bound a whole post.
 *
 * Returns QUIRE_OK; QUIRE_ENOTFOUND when source-highlight has no such
 * language; QUIRE_ETOOBIG past QUIRE_MAX_HIGHLIGHT bytes, or a line
 * past QUIRE_MAX_HIGHLIGHT_LINE; QUIRE_ETIMEOUT when *cpu_ns ran out;
 * QUIRE_EIO when highlighting failed (a regular expression past its
 * complexity bound, a language file that does not parse, the cpu clock
 * unreadable); QUIRE_ENOMEM. On any error out is as it was (the caller
 * writes the code plain). Safe on several threads at once.
 */
enum quire_err highlight_html(const char *lang, const char *code, size_t len,
			      long long *cpu_ns, struct buf *out);

#endif
