/*
 * deployer.h - a content deploy (DESIGN §6), made once by `quirectl
 * deploy` or again and again by a long-lived `quirectl serve`
 *
 * Every file is listed with its signature while PostgreSQL is asked what
 * the last deploy kept (path, hash, signature); only files whose
 * signature changed are read and hashed (content_scan.h), and only those
 * whose path or hash changed are parsed and rendered; an error is
 * reported and its file keeps its last good version (or, strict,
 * nothing changes). Then, in one PostgreSQL transaction, the
 * changes and a new generation are committed; Redis is refreshed and
 * the invalidation published; and the deploy waits, bounded, until
 * every live worker acknowledged the new generation.
 *
 * A long-lived deployer keeps what a deploy from a fresh process must
 * build again: its PostgreSQL connection, the listing of the folder
 * (kept by content_watch.h, so only changed files are stat'ed) and what
 * PostgreSQL holds of the content posts, indexed, made ready after each
 * deploy has answered and checked against the site's generation and
 * stamp before the next one uses it.
 *
 * What went wrong is reported through log_report() (lib/log.h), whose
 * prefix and stream the program chose; what a deploy did goes to
 * stdout.
 */
#ifndef QUIRE_DEPLOYER_H
#define QUIRE_DEPLOYER_H

#include "deploy/deploy_client.h" /* enum deploy_exit */
#include "lib/config.h"
#include "lib/quire.h"

/* A worker silent longer than this is not live. */
#define DEPLOY_WORKER_MAX_AGE_S 10

struct deployer;

/*
 * A deployer of dir with cfg (borrowed: both must outlive it); long_lived
 * keeps the connection, the listing and what PostgreSQL holds between
 * deploys. QUIRE_OK or QUIRE_ENOMEM.
 */
enum quire_err deployer_open(const struct config *cfg, const char *dir,
			     int long_lived, struct deployer **out);
void deployer_close(struct deployer *d);

/* Lists the folder and reaches PostgreSQL, so that the first deploy
 * asked of a long-lived deployer finds them ready. QUIRE_OK, or
 * QUIRE_EIO (PostgreSQL unreachable, reported: the deploys try
 * again). */
enum quire_err deployer_warm(struct deployer *d);

/* The folder d deploys, resolved (realpath), or its name as given when
 * it cannot be resolved. */
const char *deployer_dir(const struct deployer *d);

/*
 * Deploys the folder (deployer_run.c), printing what it did on stdout
 * and reporting what went wrong; waits at most timeout_ms for the
 * workers' acknowledgements. Files with errors are reported and left
 * out, each keeping its last good version, and the rest deployed
 * (DEPLOY_EXIT_ERRORS); strict refuses the deploy instead, as a whole
 * (DEPLOY_EXIT_CONTENT). Returns a deploy_exit. Then call
 * deployer_after(), which keeps the files' signatures and what
 * PostgreSQL now holds for the next deploy: work off the deploy's path,
 * done once its caller was answered.
 */
int deployer_run(struct deployer *d, double timeout_ms, int strict);
void deployer_after(struct deployer *d);

#endif
