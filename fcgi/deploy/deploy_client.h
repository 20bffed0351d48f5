/*
 * deploy_client.h - asking a deploy server (`quirectl serve`) for a
 * deploy; the C library only, so that the client quire-deploy starts in
 * a millisecond where quirectl's libraries take 28 ms to load
 *
 * The protocol, over a unix socket of type SOCK_SEQPACKET (one message
 * each way): the client sends "deploy TIMEOUT_MS DIR", DIR resolved by
 * realpath, and passes its stdout and stderr (SCM_RIGHTS), on which the
 * server prints what the deploy printed; the server answers with the
 * deploy's exit code in decimal, or DEPLOY_PROTO_NOT_MINE when it
 * deploys another folder. The socket is the server's user's alone
 * (0600), and the server also checks the peer's uid.
 */
#ifndef QUIRE_DEPLOY_CLIENT_H
#define QUIRE_DEPLOY_CLIENT_H

#include <sys/un.h>

/* quirectl's exit codes, which a deploy server hands to its client. */
enum deploy_exit {
	DEPLOY_EXIT_OK = 0,
	DEPLOY_EXIT_CONTENT = 1,   /* the content has errors; nothing changed */
	DEPLOY_EXIT_USAGE = 2,
	DEPLOY_EXIT_TIER = 3,      /* a tier needed is unreachable */
	DEPLOY_EXIT_ACK = 4,       /* deployed, but not every worker acknowledged */
	DEPLOY_EXIT_SKIPPED = 5,   /* deployed and acknowledged, but files were
	                            * left out: their slug is an API post's */
	DEPLOY_EXIT_ERRORS = 6,    /* deployed with errors: files that failed
	                            * (listed) keep their last good version */
};

#define DEPLOY_PROTO_NOT_MINE 255
/* What deploy_client_ask() returns when no server answered for dir. */
#define DEPLOY_CLIENT_NONE (-1)
/* The longest request: "deploy", a timeout and a path. */
#define DEPLOY_PROTO_MAX 4200

/*
 * Asks the server at socket_path to deploy dir, its output going to this
 * process's stdout and stderr, and waits for it. Returns the deploy's
 * exit code (deployer.h), or DEPLOY_CLIENT_NONE when no server is there,
 * it deploys another folder or dir cannot be resolved: deploy without
 * it then. A server that goes away during the deploy is told on stderr
 * and returns DEPLOY_EXIT_TIER (the deploy may or may not be made).
 */
int deploy_client_ask(const char *socket_path, const char *dir,
		      double timeout_ms, int strict);

/* sa for the unix socket at path: 0, or -1 when path is too long. Client
 * and server both. */
int deploy_client_socket_addr(const char *path, struct sockaddr_un *sa);

#endif
