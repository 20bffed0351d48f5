/*
 * get_timed.c - tests/bench/l2's lean client: GETs a list of paths one at
 * a time over one kept-alive HTTP/1.1 connection to 127.0.0.1:PORT and
 * prints, a line a request, the status and the microseconds from the
 * first byte of the request written to the last byte of the answer read.
 *
 * curl's own time_total carries curl's work per transfer (its multi
 * loop, -w formatting): L1 hits of quire, ≈ 15 µs of quire's CPU, took
 * 316 µs at the median through curl back to back here. This client does
 * a write, reads until the answer is whole, and nothing else, so what it
 * times is nginx and quire (and the kernel's loopback).
 *
 * usage: get_timed PORT LIST [RATE]
 * LIST: one path a line. RATE: requests a second, on an absolute
 * schedule (a late request is sent at once, not skipped); 0 or none:
 * back to back. Exit status 1 when a request could not be made.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_PATH 2048
#define BUF_BYTES (1 << 20)

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int dial(int port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (fd < 0)
		return -1;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* Where the header ends (just past "\r\n\r\n"), or NULL. */
static const char *header_end(const char *b, size_t n)
{
	size_t i;

	for (i = 3; i < n; i++)
		if (b[i - 3] == '\r' && b[i - 2] == '\n' && b[i - 1] == '\r' &&
		    b[i] == '\n')
			return b + i + 1;
	return NULL;
}

/* Value of header name in [b, end), as a number; -1 when absent. */
static long long header_num(const char *b, const char *end, const char *name)
{
	size_t len = strlen(name);
	const char *p;

	for (p = b; p && p < end; p = memchr(p, '\n', (size_t)(end - p))) {
		if (*p == '\n')
			p++;
		if ((size_t)(end - p) > len && strncasecmp(p, name, len) == 0 &&
		    p[len] == ':')
			return strtoll(p + len + 1, NULL, 10);
	}
	return -1;
}

static int header_has(const char *b, const char *end, const char *text)
{
	size_t len = strlen(text);
	const char *p;

	for (p = b; p + len <= end; p++)
		if (strncasecmp(p, text, len) == 0)
			return 1;
	return 0;
}

/* Whether a chunked body starting at body (n bytes so far) is whole. */
static int chunked_done(const char *body, size_t n)
{
	size_t at = 0;
	char *next;
	unsigned long size;

	for (;;) {
		const char *crlf = memchr(body + at, '\n', n - at);

		if (!crlf)
			return 0;
		size = strtoul(body + at, &next, 16);
		at = (size_t)(crlf - body) + 1;
		if (size == 0) /* no trailers from nginx: the last CRLF */
			return n - at >= 2;
		if (n - at < size + 2)
			return 0;
		at += size + 2;
	}
}

/* One GET of path on *fd (dialled again when the server closed it; then
 * *dialled is set); returns the status, or -1. */
static int get(int port, int *fd, const char *path, char *buf, int *dialled)
{
	char req[MAX_PATH + 128];
	const char *end = NULL;
	size_t n = 0;
	ssize_t k;
	long long clen = -1;
	int len, tries, chunked = 0;

	len = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		       "\r\n", path);
	if (len < 0 || (size_t)len >= sizeof(req))
		return -1;
	for (tries = 0; tries < 2; tries++) {
		if (*fd < 0) {
			if ((*fd = dial(port)) < 0)
				return -1;
			*dialled = 1;
		}
		if (write(*fd, req, (size_t)len) == len)
			break;
		close(*fd);
		*fd = -1;
	}
	if (*fd < 0)
		return -1;
	for (;;) {
		k = read(*fd, buf + n, BUF_BYTES - n);
		if (k <= 0)
			break;
		n += (size_t)k;
		if (!end && (end = header_end(buf, n))) {
			clen = header_num(buf, end, "Content-Length");
			chunked = header_has(buf, end, "chunked");
		}
		if (end && clen >= 0 && n - (size_t)(end - buf) >= (size_t)clen)
			break;
		if (end && chunked && chunked_done(end, n - (size_t)(end - buf)))
			break;
		if (n == BUF_BYTES)
			return -1;
	}
	if (!end || (clen < 0 && !chunked)) {
		close(*fd);
		*fd = -1;
		return -1;
	}
	if (header_has(buf, end, "Connection: close")) {
		close(*fd);
		*fd = -1;
	}
	return n > 12 ? atoi(buf + 9) : -1;
}

int main(int argc, char **argv)
{
	char path[MAX_PATH], *buf;
	struct timespec ts;
	FILE *list;
	double rate;
	long long start, t0, due;
	long i = 0;
	int port, fd = -1, status, bad = 0, dialled;

	if (argc < 3) {
		fprintf(stderr, "usage: get_timed PORT LIST [RATE]\n");
		return 2;
	}
	port = atoi(argv[1]);
	rate = argc > 3 ? atof(argv[3]) : 0;
	list = fopen(argv[2], "r");
	buf = malloc(BUF_BYTES);
	if (!list || !buf) {
		perror("get_timed");
		return 2;
	}
	start = now_ns();
	while (fgets(path, sizeof(path), list)) {
		path[strcspn(path, "\r\n")] = '\0';
		if (!*path)
			continue;
		if (rate > 0) {
			due = start + (long long)(1e9 * (double)i / rate);
			ts.tv_sec = due / 1000000000LL;
			ts.tv_nsec = due % 1000000000LL;

			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
					       NULL) == EINTR)
				;
		}
		dialled = 0;
		t0 = now_ns();
		status = get(port, &fd, path, buf, &dialled);
		printf("%d\t%.0f\t%d\n", status, (double)(now_ns() - t0) / 1000.0,
		       dialled);
		if (status < 0)
			bad = 1;
		i++;
	}
	if (fd >= 0)
		close(fd);
	fclose(list);
	free(buf);
	return bad;
}
