/*
 * main.c - quire.fcgi: options, the listening socket, then master or worker
 *
 * The order matters: the socket is opened (or taken over from the
 * binary that executed this one, on an upgrade), root is dropped for
 * --user, and only then is anything read from the content.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "build_config.h"

#include "content/markdown.h"
#include "lib/config.h"
#include "lib/log.h"
#include "lib/prefault.h"
#include "lib/privs.h"
#include "lib/quire.h"
#include "serve/app.h"
#include "serve/master.h"
#include "serve/upgrade.h"
#include "serve/worker.h"

#define LISTEN_BACKLOG 1024

/* A socket listening on path (PATH or HOST:PORT), made 0660 from the
 * start: no moment with a wider mode. Root about to become --user keeps
 * it root's (the workers cannot loosen it) and gives it to the group
 * that must connect, the web server's: --socket-group, so that quire's
 * own group need not be the web server's (else --group). -1 on failure
 * (logged). */
static int open_path(const char *path, const struct privs *privs)
{
	struct sockaddr_storage sa;
	socklen_t salen = sizeof(sa);
	mode_t old;
	int fd;

	old = umask(0117);
	fd = FCGX_OpenSocket(path, LISTEN_BACKLOG);
	umask(old);
	if (fd < 0) {
		log_msg(LOG_LEVEL_ERROR, "listen", "cannot listen on \"%s\"", path);
		return -1;
	}
	/* lchown: FCGX_OpenSocket made the path a socket, never a link to
	 * follow. */
	if (privs->wanted && geteuid() == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &salen) == 0 &&
	    sa.ss_family == AF_UNIX && lchown(path, 0, privs->socket_gid) < 0) {
		log_msg(LOG_LEVEL_ERROR, "listen", "chown failed: %s \"%s\"",
			strerror(errno), path);
		close(fd);
		return -1;
	}
	return fd;
}

/* Returns the listening socket: opened from --listen, or the one a
 * spawner (spawn-fcgi, systemd) left on fd 0. */
static int open_listener(const struct config *cfg, const struct privs *privs)
{
	int type;
	socklen_t len = sizeof(type);

	if (cfg->listen)
		return open_path(cfg->listen, privs);
	if (getsockopt(0, SOL_SOCKET, SO_TYPE, &type, &len) < 0) {
		log_msg(LOG_LEVEL_ERROR, "listen",
			"no listening socket on fd 0: run under spawn-fcgi or give --listen");
		return -1;
	}
	return 0;
}

/*
 * The --api-listen socket. A path gets the owner, group and mode of the
 * first socket's (as spawn-fcgi -G/-M or --socket-group made it): the web
 * server that reaches one reaches the other, with nothing more to say.
 */
static int open_api_listener(const struct config *cfg,
			     const struct privs *privs, int pages_fd)
{
	struct sockaddr_un sa;
	socklen_t salen = sizeof(sa);
	struct stat st;
	int fd = open_path(cfg->api_listen, privs);

	if (fd < 0 || cfg->api_listen[0] != '/')
		return fd;
	memset(&sa, 0, sizeof(sa));
	if (getsockname(pages_fd, (struct sockaddr *)&sa, &salen) < 0 ||
	    sa.sun_family != AF_UNIX || sa.sun_path[0] != '/' ||
	    stat(sa.sun_path, &st) < 0)
		return fd;
	if ((geteuid() == 0 && lchown(cfg->api_listen, st.st_uid, st.st_gid) < 0) ||
	    chmod(cfg->api_listen, st.st_mode & 0777) < 0) {
		log_msg(LOG_LEVEL_ERROR, "listen", "cannot give \"%s\" the owner "
			"and mode of \"%s\": %s", cfg->api_listen, sa.sun_path,
			strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Workers wait in ppoll() and accept without blocking (worker_accept.c).
 * Close-on-exec until an upgrade hands it over on purpose. */
static int listener_ready(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
	    (flags = fcntl(fd, F_GETFD)) < 0 ||
	    fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0) {
		log_msg(LOG_LEVEL_ERROR, "listen", "fcntl failed: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Started as root: becomes --user, or warns that it stays root. Not
 * root with --user: must be that user already (as after an upgrade,
 * which executes the binary again after the drop).
 */
static enum quire_err drop_privileges(const struct privs *privs)
{
	char err[256];

	if (geteuid() == 0 && !privs->wanted) {
		log_msg(LOG_LEVEL_WARN, "privs", "running as root: give --user "
			"(and --group) to drop privileges");
		return QUIRE_OK;
	}
	if (!privs->wanted)
		return QUIRE_OK;
	if (geteuid() == 0) {
		if (privs_drop(privs, err, sizeof(err)) != QUIRE_OK) {
			log_msg(LOG_LEVEL_ERROR, "privs", "%s; not serving as root", err);
			return QUIRE_EIO;
		}
	} else if (privs_verify(privs, err, sizeof(err)) != QUIRE_OK) {
		log_msg(LOG_LEVEL_ERROR, "privs", "%s; --user \"%s\" needs root or "
			"that user", err, privs->user);
		return QUIRE_EIO;
	}
	log_msg(LOG_LEVEL_INFO, "privs", "running as user=\"%s\" uid=%lu "
		"group=\"%s\" gid=%lu", privs->user, (unsigned long)privs->uid,
		privs->group, (unsigned long)privs->gid);
	return QUIRE_OK;
}

int main(int argc, char **argv)
{
	static pid_t inherited[UPGRADE_MAX_PIDS];
	struct master_opts opts;
	struct config cfg;
	struct privs privs;
	struct app app;
	char err[256] = "", exe[PATH_MAX];
	sigset_t usr2;
	struct listeners l;
	size_t n_inherited = 0;
	int fd, api_fd, rc;

	prefault_keep_freed();
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
	if (privs_resolve(&privs, cfg.user, cfg.group, err, sizeof(err)) != QUIRE_OK ||
	    privs_resolve_socket_group(&privs, cfg.socket_group, err,
				       sizeof(err)) != QUIRE_OK) {
		fprintf(stderr, "quire.fcgi: %s\n", err);
		config_release(&cfg);
		return 2;
	}
	/* An upgrade that comes while this loads waits for the master
	 * (SIGUSR2 would otherwise end the process). */
	if (cfg.workers > 0) {
		sigemptyset(&usr2);
		sigaddset(&usr2, SIGUSR2);
		sigprocmask(SIG_BLOCK, &usr2, NULL);
	}
	log_set_level_from_env(LOG_LEVEL_INFO);

	/* Resolved now, before anything moves: the path a later upgrade
	 * executes (upgrade.c). */
	if (upgrade_exe_path(argv[0], exe, sizeof(exe)) != QUIRE_OK)
		exe[0] = '\0';
	if (upgrade_take(&fd, &api_fd, inherited, UPGRADE_MAX_PIDS,
			 &n_inherited) != QUIRE_OK) {
		log_msg(LOG_LEVEL_ERROR, "upgrade", "invalid \"%s\", \"%s\" or "
			"\"%s\": not a listening socket", UPGRADE_ENV_FD,
			UPGRADE_ENV_API_FD, UPGRADE_ENV_WORKERS);
		config_release(&cfg);
		return 1;
	}
	/* The socket first, while root can still chown it; then nothing
	 * else is done as root, so what loads now loads on a reload or an
	 * upgrade too, which run as --user. */
	if (fd < 0)
		fd = open_listener(&cfg, &privs);
	else
		log_msg(LOG_LEVEL_INFO, "upgrade", "running \"%s\" on fd %d", exe, fd);
	if (api_fd >= 0 && !cfg.api_listen) {
		close(api_fd); /* not ours to serve any more */
		api_fd = -1;
	} else if (fd >= 0 && api_fd < 0 && cfg.api_listen &&
		   (api_fd = open_api_listener(&cfg, &privs, fd)) < 0) {
		config_release(&cfg);
		return 1;
	}
	if (fd < 0 || drop_privileges(&privs) != QUIRE_OK) {
		config_release(&cfg);
		return 1;
	}

	/* Before any fork or thread: cmark-gfm aborts if registered twice. */
	markdown_init();
	/* On an upgrade the previous image's workers still serve: with no
	 * tier answering, they serve on while the master waits for one,
	 * rather than give way to workers of an empty or file-only site. */
	memset(&opts, 0, sizeof(opts));
	rc = app_load(&app, &cfg, NULL, n_inherited == 0 || cfg.workers == 0);
	if (rc == QUIRE_ENOTFOUND && n_inherited > 0 && cfg.workers > 0) {
		opts.pending = 1;
	} else if (rc != QUIRE_OK) {
		config_release(&cfg);
		return 1;
	}
	if (listener_ready(fd) < 0 || (api_fd >= 0 && listener_ready(api_fd) < 0)) {
		app_release(&app);
		config_release(&cfg);
		return 1;
	}
	l.pages = fd;
	l.api = api_fd;
	if (cfg.workers == 0) {
		rc = worker_run(&app, &l, -1);
	} else {
		opts.exe = exe[0] ? exe : NULL;
		opts.argv = argv;
		opts.inherited = inherited;
		opts.n_inherited = n_inherited;
		opts.privs = &privs;
		rc = master_run(&cfg, &app, &l, &opts);
	}
	app_release(&app);
	config_release(&cfg);
	return rc;
}
