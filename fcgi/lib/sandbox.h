/*
 * sandbox.h - running a function in a child process under a CPU limit
 *
 * For work on untrusted input whose worst case is not bounded by its
 * size alone (cmark-gfm's quadratic inputs, CVE-2023-22483): the child
 * is killed when it passes its CPU time, and the caller gets a clean
 * QUIRE_ETIMEOUT instead of a process stalled for minutes.
 */
#ifndef QUIRE_SANDBOX_H
#define QUIRE_SANDBOX_H

#include "lib/buf.h"
#include "lib/quire.h"

/*
 * Forks; in the child, calls fn(arg, out) with at most cpu_s seconds of
 * CPU time and sends back what fn appended to out. Returns QUIRE_OK with
 * those bytes appended to result, QUIRE_ETIMEOUT when the child ran out
 * of CPU time (or of a wall-clock bound of 4 x cpu_s + 1 s), QUIRE_EIO
 * when it could not run or died otherwise, QUIRE_ENOMEM.
 */
enum quire_err sandbox_run(void (*fn)(void *arg, struct buf *out), void *arg,
			   unsigned cpu_s, struct buf *result);

#endif
