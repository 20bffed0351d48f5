/*
 * main.c - quire.fcgi: options, the listening socket, then master or worker
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "build_config.h"

#include "app.h"
#include "config.h"
#include "log.h"
#include "markdown.h"
#include "master.h"
#include "quire.h"
#include "worker.h"

#define LISTEN_BACKLOG 1024

/* Returns the listening socket: opened from --listen, or the one a
 * spawner (spawn-fcgi, systemd) left on fd 0. */
static int open_listener(const struct config *cfg)
{
	int type, fd;
	socklen_t len = sizeof(type);
	mode_t old;

	if (cfg->listen) {
		/* The web server's group must be able to connect: 0660. */
		old = umask(007);
		fd = FCGX_OpenSocket(cfg->listen, LISTEN_BACKLOG);
		umask(old);
		if (fd < 0)
			log_msg(LOG_LEVEL_ERROR, "listen", "cannot listen on \"%s\"",
				cfg->listen);
		return fd;
	}
	if (getsockopt(0, SOL_SOCKET, SO_TYPE, &type, &len) < 0) {
		log_msg(LOG_LEVEL_ERROR, "listen",
			"no listening socket on fd 0: run under spawn-fcgi or give --listen");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct app app;
	char err[256] = "";
	const char *lvl;
	int fd, rc, flags;

	if (config_load(&cfg, argc, argv, err, sizeof(err)) != QUIRE_OK) {
		fprintf(stderr, "quire.fcgi: %s\n", err);
		config_release(&cfg);
		return 2;
	}
	if (cfg.show_help) {
		config_usage(argv[0]);
		config_release(&cfg);
		return 0;
	}
	if (cfg.show_version) {
		printf("quire.fcgi %s\n", PACKAGE_VERSION);
		config_release(&cfg);
		return 0;
	}
	lvl = getenv("QUIRE_LOG_LEVEL");
	if (lvl && strcmp(lvl, "debug") == 0)
		log_set_level(LOG_LEVEL_DEBUG);
	else if (lvl && strcmp(lvl, "warn") == 0)
		log_set_level(LOG_LEVEL_WARN);

	/* Before any fork or thread: cmark-gfm aborts if registered twice. */
	markdown_init();
	if (app_load(&app, &cfg, NULL) != QUIRE_OK) {
		config_release(&cfg);
		return 1;
	}
	fd = open_listener(&cfg);
	if (fd < 0) {
		app_release(&app);
		config_release(&cfg);
		return 1;
	}
	/* Workers wait in ppoll() and accept without blocking (worker.c). */
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		log_msg(LOG_LEVEL_ERROR, "listen", "fcntl failed: %s", strerror(errno));
		app_release(&app);
		config_release(&cfg);
		return 1;
	}
	if (cfg.workers == 0)
		rc = worker_run(&app, fd);
	else
		rc = master_run(&cfg, &app, fd);
	app_release(&app);
	config_release(&cfg);
	return rc;
}
