/*
 * upgrade.h - SIGUSR2: the master executes its binary again, in place
 *
 * What one image of the master hands the next through execv(): the
 * listening socket (its fd number in QUIRE_INHERIT_FD, close-on-exec
 * cleared), the write API's own if there is one (QUIRE_INHERIT_API_FD)
 * and the workers it leaves running (QUIRE_INHERIT_WORKERS,
 * "PID,PID,..."), which the new image retires once its own are forked.
 * master.c says why in place and not fork+exec.
 */
#ifndef QUIRE_UPGRADE_H
#define QUIRE_UPGRADE_H

#include <stddef.h>
#include <sys/types.h>

#include "lib/quire.h"

#define UPGRADE_ENV_FD "QUIRE_INHERIT_FD"
#define UPGRADE_ENV_API_FD "QUIRE_INHERIT_API_FD"
#define UPGRADE_ENV_WORKERS "QUIRE_INHERIT_WORKERS"
/* More inherited workers than this are not retired by PID (they are
 * still reaped); two overlapping sets of 256 fit. */
#define UPGRADE_MAX_PIDS 1024

/*
 * The absolute path to execute again: argv0 as given when it holds a
 * '/' (made absolute against the current directory), else found in
 * PATH like execvp() would. Symbolic links are kept, not resolved, so a
 * "current -> release-N" link flipped to a new release is followed.
 * Returns QUIRE_OK, QUIRE_ENOTFOUND or QUIRE_ETOOBIG (out too small).
 */
enum quire_err upgrade_exe_path(const char *argv0, char *out, size_t outsz);

/* "3" -> 3. Returns QUIRE_OK or QUIRE_EINVAL (not a small fd number). */
enum quire_err upgrade_parse_fd(const char *s, int *fd);

/*
 * "12,34" -> {12, 34}, at most max PIDs into pids, their count in *n.
 * "" is no PID. Returns QUIRE_OK, QUIRE_EINVAL (not a list of positive
 * numbers) or QUIRE_ETOOBIG (more than max).
 */
enum quire_err upgrade_parse_pids(const char *s, pid_t *pids, size_t max,
				  size_t *n);

/* The reverse: writes "12,34" into out. Returns QUIRE_OK or
 * QUIRE_ETOOBIG. */
enum quire_err upgrade_format_pids(const pid_t *pids, size_t n, char *out,
				   size_t outsz);

/*
 * Takes what the previous image handed over from the environment and
 * removes it there: *fd and *api_fd are -1 and *n 0 when this is a
 * fresh start. The fds must be listening sockets; an API socket or PIDs
 * without the first socket are ignored, and the caller must still check
 * that each PID is its child. Returns QUIRE_OK or QUIRE_EINVAL.
 */
enum quire_err upgrade_take(int *fd, int *api_fd, pid_t *pids, size_t max,
			    size_t *n);

/*
 * Runs "exe --version" and waits for it (at most a few seconds): a
 * binary that is missing, truncated, lacks a library or crashes at
 * start fails here, while the old image still serves. Returns QUIRE_OK,
 * or QUIRE_EIO with the reason in err.
 */
enum quire_err upgrade_preflight(const char *exe, char *err, size_t errsz);

/*
 * Executes exe with argv, handing over listen_fd, api_fd (-1: none) and
 * workers. Returns only if execv() failed: QUIRE_EIO with the reason in
 * err (or QUIRE_ETOOBIG), with the environment and the fds as they were.
 */
enum quire_err upgrade_exec(const char *exe, char *const argv[], int listen_fd,
			    int api_fd, const pid_t *workers, size_t n,
			    char *err, size_t errsz);

#endif
