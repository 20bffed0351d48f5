/*
 * mixed_load.c - tests/bench/mixed's open-loop load generator: GETs of
 * post pages and PUTs of the write API to 127.0.0.1:PORT, each paced at
 * its own fixed rate, timed from the moment the schedule says it is due.
 *
 * A closed-loop client (wrk, ab) sends the next request of a connection
 * when the last one is answered: when the server stalls, the requests
 * it would have sent meanwhile are never sent, and never timed, so the
 * tail it reports is the server's best moments (coordinated omission).
 * Here request i of a stream is due at start + i / RATE whatever
 * happened before; it waits for a free connection of its stream if all
 * are busy, and its latency runs from its due time to the last byte of
 * its answer. The time from the first byte written (what a closed-loop
 * tool reports) is kept beside it, and so is how late each request went
 * out, which tells a server that kept the connections busy from a
 * generator that fell behind.
 *
 * One thread, epoll, keep-alive HTTP/1.1, a timerfd for the schedule.
 * Requests still unanswered DRAIN seconds after the last one was due
 * are counted unanswered and enter the histograms at their age then, so
 * that a stall is never dropped from the percentiles.
 *
 * usage: mixed_load -p PORT -d SECONDS [-D DRAIN] [-l PATHS -r RATE -c CONNS]
 *                   [-w RATE -C CONNS -b BODY -t TOKEN -n SLUGS -L LABEL
 *                    -a ACKED]
 *   -l PATHS  file of paths to GET, one a line, picked at random
 *   -b BODY   Markdown written after a generated frontmatter; PUT to
 *             /api/posts/w-NNNNN, NNNNN random in 1..SLUGS
 *   -a ACKED  file: "STATUS SLUG REVISION" of every acknowledged PUT
 * Prints "READ key value" and "WRITE key value" lines: scheduled, sent,
 * ok (2xx), bad (other statuses), err (connection failed), unanswered,
 * rate (2xx answers a second, over SECONDS or until the last answer
 * when that came later), lat_p50_us / p90 / p99 / p999 /
 * max (from the due time), svc_p50_us / svc_p99_us (from the send),
 * late_p99_us (send time - due time); and "GEN cpu_pct".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 4096
#define MAX_PATHS 100000
#define MAX_PATH 1024
#define HIST_BUCKETS 4096
#define RESP_MAX (8 << 20)

enum { S_READ, S_WRITE, S_N };

/* A log-linear histogram of microseconds: exact below 128, then 64
 * buckets a power of two (under 1.6 % apart). */
struct hist {
	uint64_t n[HIST_BUCKETS];
	uint64_t count, max;
};

struct stream {
	const char *name;
	double rate;
	long long total;      /* requests due over the run */
	long long dispatched; /* handed to a connection */
	long long sent;       /* of them, before the end */
	long long ok, bad, err, unanswered;
	long long last;       /* when the last answer came */
	int conns;
	int idle[MAX_CONNS], nidle;
	struct hist lat, svc, late;
};

struct conn {
	int fd, stream, busy, connecting;
	long long due, sent;
	char *out;
	size_t out_len, out_at;
	char *in;
	size_t in_len, in_cap;
	char slug[16];
};

static struct stream streams[S_N];
static struct conn conns[MAX_CONNS];
static int nconns, port, epfd;
static char *paths[MAX_PATHS];
static int npaths;
static char *body, *token, *label = "m";
static size_t body_len;
static int slugs = 10000;
static FILE *acked;
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int hist_index(uint64_t v)
{
	int msb, shift, i;

	if (v < 128)
		return (int)v;
	msb = 63 - __builtin_clzll(v);
	shift = msb - 6;
	i = 128 + (shift - 1) * 64 + (int)((v >> shift) - 64);
	return i < HIST_BUCKETS ? i : HIST_BUCKETS - 1;
}

/* The middle of bucket i. */
static uint64_t hist_value(int i)
{
	int shift;

	if (i < 128)
		return (uint64_t)i;
	shift = (i - 128) / 64 + 1;
	return ((uint64_t)(64 + (i - 128) % 64) << shift) +
	       ((1ULL << shift) >> 1);
}

static void hist_add(struct hist *h, long long ns)
{
	uint64_t us = ns > 0 ? (uint64_t)(ns / 1000) : 0;

	h->n[hist_index(us)]++;
	h->count++;
	if (us > h->max)
		h->max = us;
}

static uint64_t hist_pct(const struct hist *h, double p)
{
	uint64_t want, seen = 0;
	int i;

	if (!h->count)
		return 0;
	want = (uint64_t)((double)h->count * p / 100.0);
	if (want >= h->count)
		want = h->count - 1;
	for (i = 0; i < HIST_BUCKETS; i++) {
		seen += h->n[i];
		if (seen > want)
			return hist_value(i) < h->max ? hist_value(i) : h->max;
	}
	return h->max;
}

static void die(const char *what)
{
	perror(what);
	exit(2);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n);

	if (!p)
		die("malloc");
	return p;
}

/* A non-blocking connect to 127.0.0.1:port for connection c. */
static void dial(struct conn *c)
{
	struct sockaddr_in a;
	struct epoll_event ev;
	int one = 1;

	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (c->fd < 0)
		die("socket");
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->connecting = 1;
	if (connect(c->fd, (struct sockaddr *)&a, sizeof(a)) == 0)
		c->connecting = 0;
	else if (errno != EINPROGRESS)
		die("connect");
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
	ev.data.u32 = (uint32_t)(c - conns);
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0)
		die("epoll_ctl");
	c->in_len = 0;
}

static void redial(struct conn *c)
{
	close(c->fd);
	dial(c);
}

/* Where the header ends (just past "\r\n\r\n"), or NULL. */
static const char *header_end(const char *b, size_t n)
{
	const char *p = b;

	while ((p = memchr(p, '\r', n - (size_t)(p - b))) != NULL) {
		if ((size_t)(p - b) + 4 <= n && memcmp(p, "\r\n\r\n", 4) == 0)
			return p + 4;
		p++;
		if ((size_t)(p - b) >= n)
			break;
	}
	return NULL;
}

/* The value of header name in [b, end), or NULL. */
static const char *header(const char *b, const char *end, const char *name)
{
	size_t len = strlen(name);
	const char *p;

	for (p = b; p && p < end; p = memchr(p, '\n', (size_t)(end - p))) {
		if (*p == '\n')
			p++;
		if ((size_t)(end - p) > len && strncasecmp(p, name, len) == 0 &&
		    p[len] == ':')
			return p + len + 1;
	}
	return NULL;
}

/* Bytes of a chunked body at body (n so far) when whole, else 0. */
static size_t chunked_len(const char *body_at, size_t n)
{
	size_t at = 0;
	char *next;
	unsigned long size;

	for (;;) {
		const char *lf = memchr(body_at + at, '\n', n - at);

		if (!lf)
			return 0;
		size = strtoul(body_at + at, &next, 16);
		at = (size_t)(lf - body_at) + 1;
		if (size == 0) /* no trailers from nginx: the last CRLF */
			return n - at >= 2 ? at + 2 : 0;
		if (n - at < size + 2)
			return 0;
		at += size + 2;
	}
}

/* The length of the whole answer in c->in, 0 while it is not whole, -1
 * when it cannot be parsed. */
static long long answer_len(struct conn *c)
{
	const char *end = header_end(c->in, c->in_len), *v;
	size_t head, k;
	int status;

	if (!end)
		return c->in_len > 65536 ? -1 : 0;
	head = (size_t)(end - c->in);
	status = c->in_len > 12 ? atoi(c->in + 9) : 0;
	if (status == 204 || status == 304)
		return (long long)head;
	if ((v = header(c->in, end, "Content-Length")) != NULL) {
		k = (size_t)strtoull(v, NULL, 10);
		return c->in_len >= head + k ? (long long)(head + k) : 0;
	}
	if ((v = header(c->in, end, "Transfer-Encoding")) != NULL) {
		k = chunked_len(end, c->in_len - head);
		return k ? (long long)(head + k) : 0;
	}
	return -1;
}

/* The request of stream s into c->out. */
static void build(struct conn *c, int s)
{
	size_t cap;
	int n;

	if (s == S_READ) {
		const char *path = paths[rnd() % (uint64_t)npaths];

		cap = strlen(path) + 64;
		c->out = xmalloc(cap);
		n = snprintf(c->out, cap, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
			     path);
	} else {
		unsigned k = 1 + (unsigned)(rnd() % (uint64_t)slugs);
		char fm[256];
		int fl;

		snprintf(c->slug, sizeof(c->slug), "w-%05u", k);
		fl = snprintf(fm, sizeof(fm),
			      "---\ntitle: \"Mixed bench %s, %s %lld\"\n"
			      "date: 2024-05-%02u\ntags: [bench, mixed, t%u]\n---\n\n",
			      c->slug, label, streams[s].dispatched, 1 + k % 28, k % 12);
		cap = (size_t)fl + body_len + strlen(token) + 256;
		c->out = xmalloc(cap);
		n = snprintf(c->out, cap,
			     "PUT /api/posts/%s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
			     "Content-Type: text/markdown\r\n"
			     "Authorization: Bearer %s\r\nContent-Length: %zu\r\n\r\n%s",
			     c->slug, token, (size_t)fl + body_len, fm);
		memcpy(c->out + n, body, body_len);
		n += (int)body_len;
	}
	c->out_len = (size_t)n;
	c->out_at = 0;
}

static void flush_out(struct conn *c);

static void finish(struct conn *c, int status, long long now)
{
	struct stream *st = &streams[c->stream];

	if (status >= 200 && status < 300) {
		st->ok++;
		if (c->stream == S_WRITE && acked) {
			const char *r = strstr(c->in, "\"revision\":");

			fprintf(acked, "%d\t%s\t%lld\n", status, c->slug,
				r ? atoll(r + 11) : -1LL);
		}
	} else if (status > 0) {
		st->bad++;
	} else {
		st->err++;
	}
	hist_add(&st->lat, now - c->due);
	hist_add(&st->svc, now - c->sent);
	if (now > st->last)
		st->last = now;
	c->busy = 0;
	st->idle[st->nidle++] = (int)(c - conns);
}

/* Reads what c's socket holds; finishes its request once whole. */
static void on_read(struct conn *c)
{
	ssize_t k;
	long long len;

	for (;;) {
		if (c->in_cap - c->in_len < 65536) {
			if (c->in_cap >= RESP_MAX) {
				if (c->busy)
					finish(c, -1, now_ns());
				redial(c);
				return;
			}
			c->in_cap *= 2;
			c->in = realloc(c->in, c->in_cap);
			if (!c->in)
				die("realloc");
		}
		k = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len - 1);
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (k <= 0) { /* closed or failed: the request is lost */
			if (c->busy)
				finish(c, -1, now_ns());
			redial(c);
			return;
		}
		c->in_len += (size_t)k;
	}
	if (!c->busy) {
		c->in_len = 0;
		return;
	}
	c->in[c->in_len] = '\0';
	len = answer_len(c);
	if (len == 0)
		return;
	if (len < 0) {
		finish(c, -1, now_ns());
		redial(c);
		return;
	}
	{
		const char *end = header_end(c->in, c->in_len);
		const char *conn_hdr = end ? header(c->in, end, "Connection") : NULL;
		int close_after = conn_hdr && strncasecmp(conn_hdr + strspn(conn_hdr, " "),
							  "close", 5) == 0;

		finish(c, atoi(c->in + 9), now_ns());
		c->in_len = 0;
		if (c->out) { /* answered before the body was all sent */
			free(c->out);
			c->out = NULL;
			close_after = 1;
		}
		if (close_after)
			redial(c);
	}
}

static void flush_out(struct conn *c)
{
	ssize_t k;

	if (c->connecting || !c->out)
		return;
	while (c->out_at < c->out_len) {
		k = write(c->fd, c->out + c->out_at, c->out_len - c->out_at);
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (k <= 0) {
			free(c->out);
			c->out = NULL;
			finish(c, -1, now_ns());
			redial(c);
			return;
		}
		c->out_at += (size_t)k;
	}
	free(c->out);
	c->out = NULL;
}

static void on_event(struct conn *c, uint32_t ev)
{
	if (c->connecting && (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
		int e = 0;
		socklen_t l = sizeof(e);

		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &l) < 0 || e) {
			if (c->busy)
				finish(c, -1, now_ns());
			if (c->out) {
				free(c->out);
				c->out = NULL;
			}
			redial(c);
			return;
		}
		c->connecting = 0;
	}
	if (ev & EPOLLOUT)
		flush_out(c);
	if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR))
		on_read(c);
}

/* Hands every due request of stream s to an idle connection. */
static void dispatch(int s, long long t0, long long now)
{
	struct stream *st = &streams[s];
	long long due_n;

	if (st->rate <= 0)
		return;
	due_n = (long long)((double)(now - t0) * st->rate / 1e9) + 1;
	if (due_n > st->total)
		due_n = st->total;
	while (st->dispatched < due_n && st->nidle > 0) {
		struct conn *c = &conns[st->idle[--st->nidle]];

		c->due = t0 + (long long)((double)st->dispatched * 1e9 / st->rate);
		c->sent = now_ns();
		hist_add(&st->late, c->sent - c->due);
		c->busy = 1;
		c->in_len = 0;
		build(c, s);
		st->dispatched++;
		st->sent++;
		flush_out(c);
	}
}

static void load_paths(const char *file)
{
	char line[MAX_PATH];
	FILE *f = fopen(file, "r");

	if (!f)
		die(file);
	while (npaths < MAX_PATHS && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '/' && !(paths[npaths++] = strdup(line)))
			die("strdup");
	}
	fclose(f);
	if (!npaths) {
		fprintf(stderr, "mixed_load: no paths in %s\n", file);
		exit(2);
	}
}

static void load_body(const char *file)
{
	FILE *f = fopen(file, "r");
	long n;

	if (!f || fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) < 0)
		die(file);
	body = xmalloc((size_t)n + 1);
	if (fread(body, 1, (size_t)n, f) != (size_t)n)
		die(file);
	body[n] = '\0';
	body_len = (size_t)n;
	fclose(f);
}

static void report(int s, double seconds, long long t0)
{
	struct stream *st = &streams[s];
	const char *n = st->name;
	double span = (double)(st->last - t0) / 1e9;

	/* answers that came in the drain stretch the time they took */
	if (span < seconds)
		span = seconds;

	printf("%s target %.0f\n%s scheduled %lld\n%s sent %lld\n%s ok %lld\n"
	       "%s bad %lld\n%s err %lld\n%s unanswered %lld\n%s rate %.0f\n",
	       n, st->rate, n, st->total, n, st->sent, n, st->ok, n, st->bad,
	       n, st->err, n, st->unanswered, n, (double)st->ok / span);
	printf("%s lat_p50_us %llu\n%s lat_p90_us %llu\n%s lat_p99_us %llu\n"
	       "%s lat_p999_us %llu\n%s lat_max_us %llu\n%s svc_p50_us %llu\n"
	       "%s svc_p99_us %llu\n%s late_p99_us %llu\n",
	       n, (unsigned long long)hist_pct(&st->lat, 50),
	       n, (unsigned long long)hist_pct(&st->lat, 90),
	       n, (unsigned long long)hist_pct(&st->lat, 99),
	       n, (unsigned long long)hist_pct(&st->lat, 99.9),
	       n, (unsigned long long)st->lat.max,
	       n, (unsigned long long)hist_pct(&st->svc, 50),
	       n, (unsigned long long)hist_pct(&st->svc, 99),
	       n, (unsigned long long)hist_pct(&st->late, 99));
}

static void usage(void)
{
	fprintf(stderr, "usage: mixed_load -p PORT -d SECONDS [-D DRAIN] "
		"[-l PATHS -r RATE -c CONNS] [-w RATE -C CONNS -b BODY -t TOKEN "
		"-n SLUGS -L LABEL -a ACKED]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct epoll_event evs[256], ev;
	struct itimerspec its;
	struct rusage ru;
	double seconds = 0, drain = 5;
	long long t0, t_end, now, next;
	int opt, i, s, tfd, nev;

	streams[S_READ].name = "READ";
	streams[S_WRITE].name = "WRITE";
	while ((opt = getopt(argc, argv, "p:d:D:l:r:c:w:C:b:t:n:L:a:")) != -1) {
		switch (opt) {
		case 'p': port = atoi(optarg); break;
		case 'd': seconds = atof(optarg); break;
		case 'D': drain = atof(optarg); break;
		case 'l': load_paths(optarg); break;
		case 'r': streams[S_READ].rate = atof(optarg); break;
		case 'c': streams[S_READ].conns = atoi(optarg); break;
		case 'w': streams[S_WRITE].rate = atof(optarg); break;
		case 'C': streams[S_WRITE].conns = atoi(optarg); break;
		case 'b': load_body(optarg); break;
		case 't': token = optarg; break;
		case 'n': slugs = atoi(optarg); break;
		case 'L': label = optarg; break;
		case 'a':
			if (!(acked = fopen(optarg, "a")))
				die(optarg);
			break;
		default: usage();
		}
	}
	if (port <= 0 || seconds <= 0 || slugs <= 0 ||
	    (streams[S_READ].rate > 0 && !npaths) ||
	    (streams[S_WRITE].rate > 0 && (!body || !token)))
		usage();
	rng ^= (uint64_t)now_ns() * 0x2545f4914f6cdd1dULL;
	if ((epfd = epoll_create1(0)) < 0)
		die("epoll_create1");
	for (s = 0; s < S_N; s++) {
		struct stream *st = &streams[s];

		if (st->rate <= 0)
			continue;
		if (st->conns <= 0)
			st->conns = 64;
		if (nconns + st->conns > MAX_CONNS)
			usage();
		st->total = (long long)(st->rate * seconds);
		for (i = 0; i < st->conns; i++) {
			struct conn *c = &conns[nconns];

			c->stream = s;
			c->in_cap = 65536;
			c->in = xmalloc(c->in_cap);
			dial(c);
			st->idle[st->nidle++] = nconns++;
		}
	}
	if ((tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK)) < 0)
		die("timerfd_create");
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u32 = UINT32_MAX;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, tfd, &ev) < 0)
		die("epoll_ctl");
	t0 = now_ns() + 50000000LL; /* 50 ms for the connects */
	t_end = t0 + (long long)(seconds * 1e9);
	for (;;) {
		int busy = 0, pending = 0;

		now = now_ns();
		if (now >= t0)
			for (s = 0; s < S_N; s++)
				dispatch(s, t0, now);
		for (s = 0; s < S_N; s++)
			if (streams[s].dispatched < streams[s].total)
				pending = 1;
		for (i = 0; i < nconns; i++)
			busy += conns[i].busy;
		if (!pending && !busy)
			break;
		if (now >= t_end + (long long)(drain * 1e9))
			break;
		/* the next due time of a stream with a free connection */
		next = t_end + (long long)(drain * 1e9);
		for (s = 0; s < S_N; s++) {
			struct stream *st = &streams[s];
			long long d;

			if (st->rate <= 0 || st->dispatched >= st->total || !st->nidle)
				continue;
			d = t0 + (long long)((double)st->dispatched * 1e9 / st->rate);
			if (d < next)
				next = d;
		}
		if (next <= now)
			next = now + 1000;
		memset(&its, 0, sizeof(its));
		its.it_value.tv_sec = next / 1000000000LL;
		its.it_value.tv_nsec = next % 1000000000LL;
		if (timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
			die("timerfd_settime");
		nev = epoll_wait(epfd, evs, 256, -1);
		if (nev < 0 && errno != EINTR)
			die("epoll_wait");
		for (i = 0; i < nev; i++) {
			if (evs[i].data.u32 == UINT32_MAX) {
				uint64_t x;

				if (read(tfd, &x, sizeof(x)) < 0 && errno != EAGAIN)
					die("timerfd read");
				continue;
			}
			on_event(&conns[evs[i].data.u32], evs[i].events);
		}
	}
	/* what is left: unanswered, at its age now; never sent: at the age
	 * it would have had now */
	now = now_ns();
	for (i = 0; i < nconns; i++) {
		struct conn *c = &conns[i];

		if (c->busy) {
			streams[c->stream].unanswered++;
			hist_add(&streams[c->stream].lat, now - c->due);
		}
	}
	for (s = 0; s < S_N; s++) {
		struct stream *st = &streams[s];

		for (; st->dispatched < st->total; st->dispatched++) {
			st->unanswered++;
			hist_add(&st->lat, now - (t0 + (long long)((double)st->dispatched *
								     1e9 / st->rate)));
		}
	}
	for (s = 0; s < S_N; s++)
		if (streams[s].rate > 0)
			report(s, seconds, t0);
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		printf("GEN cpu_pct %.1f\n",
		       ((double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
			(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6) * 100.0 /
		       ((double)(now - t0) / 1e9));
	if (acked && fclose(acked) != 0)
		die("acked");
	for (i = 0; i < nconns; i++) {
		close(conns[i].fd);
		free(conns[i].in);
		free(conns[i].out);
	}
	for (i = 0; i < npaths; i++)
		free(paths[i]);
	free(body);
	close(tfd);
	close(epfd);
	return 0;
}
