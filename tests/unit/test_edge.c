/*
 * test_edge.c - the host's key log of nginx's cache (serve/edge.c,
 * DESIGN §6 "The edge cache"): what a worker marks is in the log; a
 * change purges the keys it touches; a fresh worker purges every key and
 * starts a new round of the log, but never while another worker's
 * marked response is in flight — nginx would store it after the purge,
 * with its key in no log, and keep it past every later change (the
 * violation of tests/coherence/run --edge, seed 1503).
 *
 * Each struct edge here stands for one worker: the in-flight locks are
 * those of an open file description, so two opens in one process meet
 * as two workers do. The purge location is a thread answering on a unix
 * socket as nginx's purge module does (200 held, 404 not held); what
 * this checks is the order of purges, appends and rounds, which nginx
 * itself does not decide.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"
#include "lib/config.h"
#include "lib/quire.h"
#include "serve/edge.h"
#include "serve/touch.h"

#define MAX_PURGES 64

static char dir[48], sock_path[96], log_path[96];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static char purged[MAX_PURGES][128];
static size_t n_purged;
static int listen_fd = -1;

/* Answers each purge request 404 and records its key. */
static void *purge_server(void *arg)
{
	static const char hdr[] = "X-Quire-Purge-Key: ";
	char req[4096];
	const char *k, *end;
	ssize_t n;
	size_t got;
	int fd;

	(void)arg;
	while ((fd = accept(listen_fd, NULL, NULL)) >= 0) {
		got = 0;
		while (got < sizeof(req) - 1 &&
		       (n = recv(fd, req + got, sizeof(req) - 1 - got, 0)) > 0) {
			got += (size_t)n;
			req[got] = '\0';
			if (strstr(req, "\r\n\r\n"))
				break;
		}
		req[got] = '\0';
		if ((k = strstr(req, hdr)) && (end = strstr(k, "\r\n"))) {
			k += sizeof(hdr) - 1;
			pthread_mutex_lock(&mu);
			if (n_purged < MAX_PURGES)
				snprintf(purged[n_purged++], sizeof(purged[0]), "%.*s",
					 (int)(end - k), k);
			pthread_mutex_unlock(&mu);
		}
		(void)!write(fd, "HTTP/1.0 404 Not Found\r\n\r\n", 26);
		close(fd);
	}
	return NULL;
}

static void start_server(pthread_t *th)
{
	struct sockaddr_un sa;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(listen_fd, 16) != 0 || pthread_create(th, NULL, purge_server, NULL) != 0) {
		perror("purge server");
		exit(1);
	}
}

/* How many purges of key were asked since the counts were cleared. */
static int purges_of(const char *key)
{
	size_t i;
	int n = 0;

	pthread_mutex_lock(&mu);
	for (i = 0; i < n_purged; i++)
		n += strcmp(purged[i], key) == 0;
	pthread_mutex_unlock(&mu);
	return n;
}

static void purges_clear(void)
{
	pthread_mutex_lock(&mu);
	n_purged = 0;
	pthread_mutex_unlock(&mu);
}

/* The log's text. */
static char *log_text(void)
{
	static char buf[8192];
	FILE *f = fopen(log_path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

	buf[n] = '\0';
	if (f)
		fclose(f);
	return buf;
}

/* How many lines the log has (its round line included). */
static int log_lines(void)
{
	const char *p;
	int n = 0;

	for (p = log_text(); *p; p++)
		n += *p == '\n';
	return n;
}

/* A worker's edge state, on the host's log. */
static struct edge *worker(const struct config *cfg)
{
	struct edge *e = NULL;

	if (edge_open(cfg, &e) != QUIRE_OK || !e) {
		fprintf(stderr, "edge_open failed\n");
		exit(1);
	}
	return e;
}

/* A change that touches every page (a whole reload). */
static void touch_everything(struct edge *e)
{
	struct touch t;

	memset(&t, 0, sizeof(t));
	t.everything = 1;
	edge_touch(e, &t);
}

int main(void)
{
	struct config cfg;
	struct edge *a, *b, *c;
	pthread_t th;
	double t0, took;
	int fd;

	snprintf(dir, sizeof(dir), "/tmp/test_edge.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	snprintf(sock_path, sizeof(sock_path), "%s/purge.sock", dir);
	snprintf(log_path, sizeof(log_path), "%s/edge.keys", dir);
	start_server(&th);
	memset(&cfg, 0, sizeof(cfg));
	cfg.edge_purge = sock_path;
	cfg.edge_keys = log_path;

	a = worker(&cfg);
	b = worker(&cfg);
	CHECK(edge_caching(a));

	/* A fresh worker with nothing in flight: a new round at once. */
	edge_touch_all(a);
	CHECK(edge_flush(a) == QUIRE_OK);
	CHECK(log_lines() == 1 && log_text()[0] == '#');

	/* Worker a marks a page: the key is in the log. */
	CHECK(edge_note(a, "|/posts/one", "/posts/one") == 1);
	CHECK_CONTAINS(log_text(), "|/posts/one\t/posts/one\n");
	edge_stored(a);

	/* A change: worker b, which marked nothing, purges a's key. */
	touch_everything(b);
	CHECK(edge_owes(b));
	CHECK(edge_flush(b) == QUIRE_OK);
	CHECK(purges_of("|/posts/one") == 1);
	CHECK(!edge_owes(b));
	purges_clear();

	/* The race: a's page is in flight (noted, not yet stored by nginx)
	 * when a fresh worker c starts. c must neither purge before the
	 * store nor empty the log: it waits, then reports the purge not
	 * done (c acknowledges nothing meanwhile). */
	CHECK(edge_note(a, "|/posts/two", "/posts/two") == 1);
	c = worker(&cfg);
	edge_touch_all(c);
	t0 = quire_now_ms();
	CHECK(edge_flush(c) == QUIRE_EIO);
	took = quire_now_ms() - t0;
	CHECK(took >= EDGE_PURGE_TIMEOUT_MS * 0.9);
	CHECK(purges_of("|/posts/two") == 0);
	CHECK_CONTAINS(log_text(), "|/posts/two\t/posts/two\n");
	CHECK(edge_owes(c));
	/* While c waited, nothing else could be appended: a, done with the
	 * page, marks another now that c let go. */

	/* nginx stored a's page: c's next try purges it, then a new round. */
	edge_stored(a);
	CHECK(edge_flush(c) == QUIRE_OK);
	CHECK(purges_of("|/posts/two") == 1);
	CHECK(log_lines() == 1);
	CHECK(!edge_owes(c));
	purges_clear();

	/* A note that cannot append (the log locked by a purge) leaves
	 * nothing in flight: a fresh worker does not wait for it. */
	fd = open(log_path, O_RDWR);
	CHECK(fd >= 0 && flock(fd, LOCK_EX) == 0);
	CHECK(edge_note(a, "|/posts/three", "/posts/three") == 0);
	CHECK(fd >= 0 && flock(fd, LOCK_UN) == 0);
	if (fd >= 0)
		close(fd);
	edge_touch_all(b);
	CHECK(edge_flush(b) == QUIRE_OK);

	/* Keys of the new round are read by every worker: a page b marks
	 * is purged by a at the next change. */
	CHECK(edge_note(b, "|/posts/four", "/posts/four") == 1);
	edge_stored(b);
	touch_everything(a);
	CHECK(edge_flush(a) == QUIRE_OK);
	CHECK(purges_of("|/posts/four") == 1);

	/* A worker gone with a page in flight (its open closed, as at
	 * exit or kill) leaves nothing in flight behind. */
	CHECK(edge_note(b, "|/posts/five", "/posts/five") == 1);
	edge_free(b);
	edge_touch_all(c);
	CHECK(edge_flush(c) == QUIRE_OK);
	CHECK(purges_of("|/posts/five") == 1);

	edge_free(a);
	edge_free(c);
	shutdown(listen_fd, SHUT_RDWR);
	close(listen_fd);
	pthread_join(th, NULL);
	unlink(sock_path);
	unlink(log_path);
	rmdir(dir);
	return check_done("test_edge");
}
