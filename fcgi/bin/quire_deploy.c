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

/* DIR [--timeout-ms N] [--strict], options in any order after DIR:
 * 0, or -1 when the arguments are not those. */
static int parse_args(int argc, char **argv, double *timeout_ms, int *strict)
{
	int i;

	if (argc < 2 || argv[1][0] == '-')
		return -1;
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--strict") == 0)
			*strict = 1;
		else if (strcmp(argv[i], "--timeout-ms") == 0 && i + 1 < argc)
			*timeout_ms = atof(argv[++i]) > 0 ? atof(argv[i]) : *timeout_ms;
		else
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static char name[] = "quirectl", verb[] = "deploy", strict_arg[] = "--strict";
	char *args[7] = { name, verb, NULL, NULL, NULL, NULL, NULL };
	const char *t = getenv("QUIRE_DEPLOY_TIMEOUT_MS");
	char timeout_text[32];
	double timeout_ms = 5000;
	int rc, strict = 0, i;

	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("quire-deploy %s\n", PACKAGE_VERSION);
		return DEPLOY_EXIT_OK;
	}
	if (t && atof(t) > 0)
		timeout_ms = atof(t);
	if (parse_args(argc, argv, &timeout_ms, &strict) != 0) {
		int help = argc == 2 && (strcmp(argv[1], "--help") == 0 ||
					 strcmp(argv[1], "-h") == 0);

		fprintf(help ? stdout : stderr,
			"usage: quire-deploy DIR [--timeout-ms N] [--strict]\n"
			"Asks the deployer on QUIRE_DEPLOY_SOCKET (quirectl serve)\n"
			"to deploy DIR; runs `quirectl deploy DIR` where none answers.\n"
			"--strict: any error in DIR deploys nothing (exit 1).\n");
		return help ? DEPLOY_EXIT_OK : DEPLOY_EXIT_USAGE;
	}
	rc = deploy_client_ask(getenv("QUIRE_DEPLOY_SOCKET"), argv[1], timeout_ms,
			       strict);
	if (rc != DEPLOY_CLIENT_NONE)
		return rc;
	i = 2;
	args[i++] = argv[1];
	snprintf(timeout_text, sizeof(timeout_text), "%.0f", timeout_ms);
	args[i++] = (char *)"--timeout-ms";
	args[i++] = timeout_text;
	if (strict)
		args[i++] = strict_arg;
	exec_quirectl(args);
	return DEPLOY_EXIT_TIER;
}
