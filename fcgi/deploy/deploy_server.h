/*
 * deploy_server.h - `quirectl serve`: one long-lived deployer answering
 * deploys asked on a unix socket (protocol: deploy_client.h)
 *
 * Deploys are made one at a time, in the order asked. Each prints on the
 * stdout and stderr its client passed (its reports too, when the
 * program has them on stderr: log_set_report()), answers with its exit
 * code, and only then does its after-work (deployer_after()), so the
 * next deploy finds the listing and what PostgreSQL holds ready.
 */
#ifndef QUIRE_DEPLOY_SERVER_H
#define QUIRE_DEPLOY_SERVER_H

#include "deploy/deployer.h"
#include "lib/quire.h"

/*
 * Serves d on socket_path until SIGTERM or SIGINT; removes the socket
 * then. Refuses a path where a server already answers. QUIRE_OK, or
 * QUIRE_EIO / QUIRE_EINVAL (reported: log_report()).
 */
enum quire_err deploy_server_run(struct deployer *d, const char *socket_path);

#endif
