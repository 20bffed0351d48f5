/*
 * sandbox_pool.h - long-lived helper processes that run a function on
 * untrusted input under a CPU budget per job
 *
 * sandbox_run (sandbox.h) forks once a job: the fork of a process that
 * holds a loaded site copies its page tables, which grew with the site
 * (a fifth of a real blog's posts are over the in-process line; at
 * 10,000 posts the forks were most of a load, tests/bench/RESULTS.md
 * "Ingest"). A pool forks a few helpers once and hands them jobs over a
 * socket pair; each job gets its own CPU budget (RLIMIT_CPU's soft limit
 * moved past what the helper used so far) and a wall-clock bound, and a
 * helper that overruns, crashes or is killed is reaped and replaced by
 * the next job that needs one. The bound on pathological input is kept:
 * a job never takes more than its budget, and the caller goes on.
 *
 * Helpers belong to the process that started them: a process forked
 * from it (a worker, a helper) forgets them (closes its copies of their
 * sockets, never signals them); a helper also ends when its socket's
 * other end is closed, so the owner's exit, however it happens, ends
 * them (sandbox_pool_stop, run at exit, also reaps them).
 */
#ifndef QUIRE_SANDBOX_POOL_H
#define QUIRE_SANDBOX_POOL_H

#include <stddef.h>
#include <sys/types.h>

#include "lib/buf.h"
#include "lib/quire.h"

/* Helpers a process keeps at most (one per thread that renders at once:
 * parallel.h's PARALLEL_THREADS_MAX); a job finding them all busy waits
 * for one. */
#define SANDBOX_POOL_MAX 4

/* Bytes of a job's input or answer; more is refused (QUIRE_ETOOBIG). */
#define SANDBOX_POOL_MAX_MSG (16u * 1024 * 1024)

/*
 * What a helper runs: the job's n input bytes in, its answer appended to
 * out. Runs in the helper process, single-threaded; whatever it changes
 * there (caches, e.g. highlighting's language definitions) stays for
 * the helper's next jobs.
 */
typedef void (*sandbox_pool_fn)(const char *in, size_t n, struct buf *out);

/*
 * Runs fn(in, n) in a helper with at most cpu_s seconds of CPU time
 * (and 4 x cpu_s + 1 s of wall-clock time), starting a helper when none
 * of fn's runs (else waiting for an idle one: sandbox_pool_prestart).
 * Thread-safe. Returns
 * QUIRE_OK with the answer appended to result; QUIRE_ETIMEOUT when the
 * job ran out of CPU or wall-clock time (the helper is killed and
 * replaced later); QUIRE_EIO when the helper could not be started or
 * died otherwise twice (a job whose helper dies otherwise, e.g. killed
 * from outside, is run once more on a new one); QUIRE_ETOOBIG past
 * SANDBOX_POOL_MAX_MSG; QUIRE_ENOMEM.
 */
enum quire_err sandbox_pool_run(sandbox_pool_fn fn, const char *in, size_t n,
				unsigned cpu_s, struct buf *result);

/*
 * Starts helpers for fn until n of them run (SANDBOX_POOL_MAX at most);
 * how many run. Call it before the threads that will use them: a
 * helper forked while another thread holds a lock the helper then
 * needs never gets it. glibc makes its allocator and stdio safe across
 * fork, GCC 12's sanitizer allocator is not: a helper forked amid a
 * load's threads spun in it until its CPU budget ran out, and a
 * normal post was reported pathological (test_render_pool under
 * AddressSanitizer on a busy machine). So a job forks a helper only
 * when none of fn's runs; otherwise it waits for one, and the
 * concurrency of a threaded caller is what it started beforehand.
 */
size_t sandbox_pool_prestart(sandbox_pool_fn fn, size_t n);

/*
 * Ends this process's idle helpers (closes their sockets: they exit)
 * and reaps them. Registered with atexit by the first helper started;
 * callable any time (the next job starts new ones).
 */
void sandbox_pool_stop(void);

/* The PIDs of this process's helpers, at most max of them into pids
 * (may be NULL with max 0); how many there are. For tests and logs. */
size_t sandbox_pool_pids(pid_t *pids, size_t max);

/* Helpers started by this process since it began (replacements
 * included). */
unsigned long sandbox_pool_started(void);

#endif
