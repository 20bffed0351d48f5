/*
 * noop.c - the no-op libfcgi responder of the read benchmark.
 *
 * Part of the bench, not of the product: it answers every request with
 * the same bytes, read once from a file at start, so that the bench can
 * tell how much of quire's time is libfcgi + nginx and how much is
 * quire's own.  Its process set-up matches quire's: run under
 * `spawn-fcgi -n -s SOCK -- noop.fcgi PAGE --workers N`, it takes the
 * listening socket on fd 0 and preforks N processes that all accept on
 * it (N = 0: serve in this process, no fork).
 *
 * Built by tests/bench/read:  gcc -O2 -o noop.fcgi noop.c -lfcgi
 *
 * usage: noop.fcgi PAGE [--workers N] [--gzip PAGE.gz] [--no-detach]
 *                       [--no-read-body] [--listen PATH|:PORT]
 *
 *   --gzip FILE     serve FILE (with Content-Encoding: gzip) when the
 *                   request's HTTP_ACCEPT_ENCODING contains "gzip"
 *   --no-detach     call FCGX_Finish_r without FCGX_Detach first (stock
 *                   libfcgi: shutdown(SHUT_WR), then read until nginx
 *                   closes - one more round trip per request)
 *   --no-read-body  do not read the request body before answering (to
 *                   test what detaching does with unread input)
 *   --listen P      open the socket itself (FCGX_OpenSocket) instead of
 *                   using fd 0
 *
 * At exit (SIGTERM/SIGINT) each process prints to stderr its request
 * count and the user+system CPU time it used, and the CPU time per
 * request: the "worker's own counters" of the bench.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcgiapp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t stopping;
static unsigned long nreq, nreq_gz;
static pid_t *kids;
static int nkids;

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	char *p;

	if (!f || fstat(fileno(f), &st) < 0) {
		fprintf(stderr, "noop: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	p = malloc(st.st_size ? st.st_size : 1);
	if (!p || fread(p, 1, st.st_size, f) != (size_t)st.st_size) {
		fprintf(stderr, "noop: cannot read %s\n", path);
		exit(2);
	}
	fclose(f);
	*len = st.st_size;
	return p;
}

/* One response, headers and body, built once. */
static char *build(const char *body, size_t blen, int gz, size_t *len)
{
	char hdr[256];
	int h = snprintf(hdr, sizeof hdr,
			 "Content-Type: text/html; charset=utf-8\r\n"
			 "Content-Length: %zu\r\n"
			 "%s"
			 "Vary: Accept-Encoding\r\n\r\n",
			 blen, gz ? "Content-Encoding: gzip\r\n" : "");
	char *r = malloc(h + blen);

	if (!r)
		exit(2);
	memcpy(r, hdr, h);
	memcpy(r + h, body, blen);
	*len = h + blen;
	return r;
}

static void on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

static void report(void)
{
	struct rusage ru;
	double cpu;

	getrusage(RUSAGE_SELF, &ru);
	cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	      ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	fprintf(stderr,
		"noop[%d]: requests %lu (gzip %lu) cpu %.3f s "
		"(user %.3f sys %.3f) = %.2f us/request\n",
		(int)getpid(), nreq, nreq_gz, cpu,
		ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
		ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6,
		nreq ? cpu * 1e6 / nreq : 0.0);
}

static int serve(int sock, const char *resp, size_t rlen,
		 const char *gresp, size_t glen, int detach, int read_body)
{
	FCGX_Request req;
	char trash[8192];

	FCGX_InitRequest(&req, sock, FCGI_FAIL_ACCEPT_ON_INTR);
	while (!stopping && FCGX_Accept_r(&req) >= 0) {
		const char *ae = FCGX_GetParam("HTTP_ACCEPT_ENCODING",
					       req.envp);
		int gz = gresp && ae && strstr(ae, "gzip");

		if (read_body)	/* to EOF: then nothing is left unread */
			while (FCGX_GetStr(trash, sizeof trash, req.in) > 0)
				;
		if (gz) {
			FCGX_PutStr(gresp, (int)glen, req.out);
			nreq_gz++;
		} else {
			FCGX_PutStr(resp, (int)rlen, req.out);
		}
		nreq++;
		if (detach)
			FCGX_Detach(&req);
		FCGX_Finish_r(&req);
	}
	report();
	return 0;
}

int main(int argc, char **argv)
{
	const char *page = NULL, *gzpage = NULL, *listen_on = NULL;
	int workers = 0, detach = 1, read_body = 1, sock = 0, i;
	size_t blen, glen = 0, rlen, grlen = 0;
	char *body, *gbody, *resp, *gresp = NULL;
	struct sigaction sa;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--workers") && i + 1 < argc)
			workers = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--gzip") && i + 1 < argc)
			gzpage = argv[++i];
		else if (!strcmp(argv[i], "--listen") && i + 1 < argc)
			listen_on = argv[++i];
		else if (!strcmp(argv[i], "--no-detach"))
			detach = 0;
		else if (!strcmp(argv[i], "--no-read-body"))
			read_body = 0;
		else if (argv[i][0] != '-' && !page)
			page = argv[i];
		else {
			fprintf(stderr, "usage: noop.fcgi PAGE [--workers N] "
				"[--gzip FILE] [--no-detach] [--no-read-body] "
				"[--listen PATH|:PORT]\n");
			return 2;
		}
	}
	if (!page) {
		fprintf(stderr, "noop: no page file given\n");
		return 2;
	}
	body = slurp(page, &blen);
	resp = build(body, blen, 0, &rlen);
	if (gzpage) {
		gbody = slurp(gzpage, &glen);
		gresp = build(gbody, glen, 1, &grlen);
	}
	if (FCGX_Init() != 0) {
		fprintf(stderr, "noop: FCGX_Init failed\n");
		return 1;
	}
	if (listen_on) {
		sock = FCGX_OpenSocket(listen_on, 1024);
		if (sock < 0) {
			fprintf(stderr, "noop: cannot listen on %s\n",
				listen_on);
			return 1;
		}
	}

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop;	/* no SA_RESTART: accept returns EINTR */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (workers <= 0)
		return serve(sock, resp, rlen, gresp, grlen, detach,
			     read_body);

	kids = calloc(workers, sizeof *kids);
	for (i = 0; i < workers; i++) {
		pid_t p = fork();

		if (p < 0) {
			perror("noop: fork");
			break;
		}
		if (p == 0)
			return serve(sock, resp, rlen, gresp, grlen, detach,
				     read_body);
		kids[nkids++] = p;
	}
	/* master: wait; on a stop signal, forward it, then reap all */
	while (nkids > 0) {
		int st;
		pid_t p = waitpid(-1, &st, 0);

		if (p > 0) {
			for (i = 0; i < workers; i++)
				if (kids[i] == p)
					kids[i] = 0;
			nkids--;
			continue;
		}
		if (errno == EINTR && stopping) {
			for (i = 0; i < workers; i++)
				if (kids[i] > 0)
					kill(kids[i], SIGTERM);
			stopping = 2;
			continue;
		}
		if (errno == ECHILD)
			break;
	}
	return 0;
}
