/*
 * quire_deploy.c - quire-deploy DIR [--timeout-ms N]: a deploy asked of
 * the deploy server on QUIRE_DEPLOY_SOCKET (`quirectl serve`), from a
 * process that links nothing but the C library; where no server answers
 * for DIR, it becomes `quirectl deploy DIR`.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build_config.h"
#include "deploy/deploy_client.h"

/* quirectl beside this program (the build tree, or the bin folder it was
 * installed in), else the one on PATH. */
static void exec_quirectl(char **args)
{
	char self[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	/* The server did not answer: quirectl must not ask it again. */
	unsetenv("QUIRE_DEPLOY_SOCKET");
	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash && (size_t)(slash - self) + sizeof("/quirectl") <= sizeof(self)) {
			strcpy(slash, "/quirectl");
			if (access(self, X_OK) == 0)
				execv(self, args);
		}
	}
	execvp("quirectl", args);
	fprintf(stderr, "quire-deploy: cannot run quirectl: %s\n", strerror(errno));
}

int main(int argc, char **argv)
{
	static char name[] = "quirectl", verb[] = "deploy";
	char *args[6] = { name, verb, NULL, NULL, NULL, NULL };
	const char *t = getenv("QUIRE_DEPLOY_TIMEOUT_MS");
	double timeout_ms = 5000;
	int rc;

	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("quire-deploy %s\n", PACKAGE_VERSION);
		return DEPLOY_EXIT_OK;
	}
	if (!(argc == 2 && argv[1][0] != '-') &&
	    !(argc == 4 && strcmp(argv[2], "--timeout-ms") == 0)) {
		int help = argc == 2 && (strcmp(argv[1], "--help") == 0 ||
					 strcmp(argv[1], "-h") == 0);

		fprintf(help ? stdout : stderr,
			"usage: quire-deploy DIR [--timeout-ms N]\n"
			"Asks the deployer on QUIRE_DEPLOY_SOCKET (quirectl serve)\n"
			"to deploy DIR; runs `quirectl deploy DIR` where none answers.\n");
		return help ? DEPLOY_EXIT_OK : DEPLOY_EXIT_USAGE;
	}
	if (t && atof(t) > 0)
		timeout_ms = atof(t);
	if (argc == 4 && atof(argv[3]) > 0)
		timeout_ms = atof(argv[3]);
	rc = deploy_client_ask(getenv("QUIRE_DEPLOY_SOCKET"), argv[1], timeout_ms);
	if (rc != DEPLOY_CLIENT_NONE)
		return rc;
	args[2] = argv[1];
	if (argc == 4) {
		args[3] = argv[2];
		args[4] = argv[3];
	}
	exec_quirectl(args);
	return DEPLOY_EXIT_TIER;
}
