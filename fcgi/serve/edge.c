/*
 * edge.c - nginx's fastcgi_cache above the workers, and a CDN's purges
 *
 * The key log (DESIGN §6, "The edge cache"): a first line "#ROUND", then
 * one "KEY\tL1KEY" line for each response a worker of the host marked
 * for nginx to keep. Appends take the lock without waiting; a fresh
 * worker that purged every key empties it under the lock and names a
 * new round, which tells the others to read it from the start — only
 * when no marked response is in flight (a read lock on a byte past
 * anything written, held from the append to nginx's close), since a
 * response nginx stores after the purge would otherwise be kept with
 * its key in no log.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <uthash.h>

#include "lib/log.h"
#include "lib/quire.h"
#include "serve/edge.h"

extern char **environ;

/* A key some worker of the host had nginx keep. */
struct known {
	char *key;          /* nginx's, then '\0', then the L1's */
	const char *l1key;  /* in key's allocation */
	int owed;           /* touched: purge it */
	UT_hash_handle hh;
};

/* A string owed to the hook, once each. */
struct owed_str {
	char *s;
	UT_hash_handle hh;
};

struct edge {
	const struct config *cfg;
	int log_fd;               /* -1: no nginx cache */
	off_t log_off;            /* read up to here */
	char round[64];           /* the round read up to log_off */
	int full_warned;
	struct known *known;
	struct owed_str *hook_keys, *hook_urls;
	int hook_all;             /* the hook owes "quire": everything */
	int owes;                 /* something may be owed */
	int fresh;                /* owes every key of the log, then a new round */
	int inflight;             /* holds the in-flight read lock */
};

/* The byte the in-flight locks are on: past any log (EDGE_LOG_MAX), so
 * the record locks and the log's flock never meet. */
#define EDGE_INFLIGHT_AT (2 * EDGE_LOG_MAX)

#define HOOK_ENV_MAX (64 * 1024)

enum quire_err edge_open(const struct config *cfg, struct edge **out)
{
	struct edge *e;
	char path[4096];
	const char *log_path = cfg->edge_keys;

	*out = NULL;
	if (!cfg->edge_purge && !cfg->cdn_purge_hook)
		return QUIRE_OK;
	if (!(e = calloc(1, sizeof(*e))))
		return QUIRE_ENOMEM;
	e->cfg = cfg;
	e->log_fd = -1;
	if (cfg->edge_purge) {
		if (!log_path) {
			if (snprintf(path, sizeof(path), "%s.keys",
				     cfg->edge_purge) >= (int)sizeof(path)) {
				free(e);
				return QUIRE_EIO;
			}
			log_path = path;
		}
		e->log_fd = open(log_path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC,
				 0600);
		if (e->log_fd < 0) {
			log_msg(LOG_LEVEL_ERROR, "edge", "key log %s: %s", log_path,
				strerror(errno));
			free(e);
			return QUIRE_EIO;
		}
	}
	*out = e;
	return QUIRE_OK;
}

static void forget(struct edge *e, struct known *k)
{
	HASH_DEL(e->known, k);
	free(k->key);
	free(k);
}

static void strs_free(struct owed_str **set)
{
	struct owed_str *o, *tmp;

	HASH_ITER(hh, *set, o, tmp) {
		HASH_DEL(*set, o);
		free(o->s);
		free(o);
	}
}

void edge_free(struct edge *e)
{
	struct known *k, *tmp;

	if (!e)
		return;
	HASH_ITER(hh, e->known, k, tmp)
		forget(e, k);
	strs_free(&e->hook_keys);
	strs_free(&e->hook_urls);
	if (e->log_fd >= 0)
		close(e->log_fd);
	free(e);
}

int edge_caching(const struct edge *e)
{
	return e && e->log_fd >= 0;
}

/* A key nginx passes back unchanged in a header: no control byte, no
 * space or tab at its end (nginx trims those), not too long. */
static int key_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > EDGE_KEY_MAX || s[n - 1] == ' ' || s[n - 1] == '\t')
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/* Knows key (and l1key), owed or not as owed says. 0: out of memory. */
static int know(struct edge *e, const char *key, size_t keylen,
		const char *l1key, size_t l1len, int owed)
{
	struct known *k;

	HASH_FIND(hh, e->known, key, keylen, k);
	if (k) {
		k->owed |= owed;
		return 1;
	}
	if (!(k = calloc(1, sizeof(*k))) ||
	    !(k->key = malloc(keylen + l1len + 2))) {
		free(k);
		return 0;
	}
	memcpy(k->key, key, keylen);
	k->key[keylen] = '\0';
	memcpy(k->key + keylen + 1, l1key, l1len);
	k->key[keylen + 1 + l1len] = '\0';
	k->l1key = k->key + keylen + 1;
	k->owed = owed;
	HASH_ADD_KEYPTR(hh, e->known, k->key, keylen, k);
	return 1;
}

/* The log's round line into out ("" when the log is empty). */
static void read_round(int fd, char *out, size_t outsz)
{
	ssize_t n = pread(fd, out, outsz - 1, 0);
	char *nl;

	out[n > 0 ? n : 0] = '\0';
	nl = strchr(out, '\n');
	if (nl)
		nl[1] = '\0';
	else
		out[0] = '\0';
}

/* Reads what was appended since the last read (all of it in another
 * round), each key known and owed as owed says; the caller holds the
 * lock. Returns 0 when out of memory or a read failed: the caller then
 * owes everything it can. */
static int read_log(struct edge *e, int owed)
{
	char round[sizeof(e->round)], chunk[16384];
	const char *p, *end, *nl, *tab;
	size_t have = 0;
	ssize_t n;
	int ok = 1;

	read_round(e->log_fd, round, sizeof(round));
	if (strcmp(round, e->round) != 0) {
		memcpy(e->round, round, sizeof(round));
		e->log_off = (off_t)strlen(round);
	}
	for (;;) {
		n = pread(e->log_fd, chunk + have, sizeof(chunk) - have, e->log_off + (off_t)have);
		if (n < 0)
			return 0;
		if (n == 0 && have == 0)
			break;
		end = chunk + have + n;
		p = chunk;
		while ((nl = memchr(p, '\n', (size_t)(end - p)))) {
			tab = memchr(p, '\t', (size_t)(nl - p));
			if (tab && !know(e, p, (size_t)(tab - p), tab + 1,
					 (size_t)(nl - tab - 1), owed))
				ok = 0;
			p = nl + 1;
		}
		e->log_off += p - chunk;
		have = (size_t)(end - p);
		if (n == 0 || have == sizeof(chunk))
			break; /* a torn last line, or one too long: skipped later */
		memmove(chunk, p, have);
	}
	return ok;
}

/* Starts a new round: the log emptied, its first line new. The caller
 * holds the lock exclusively. 0 on failure. */
static int new_round(struct edge *e)
{
	struct timespec ts;
	char line[sizeof(e->round)];
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	n = snprintf(line, sizeof(line), "#%ld.%ld.%ld\n", (long)getpid(),
		     (long)ts.tv_sec, ts.tv_nsec);
	if (ftruncate(e->log_fd, 0) != 0 ||
	    write(e->log_fd, line, (size_t)n) != n)
		return 0;
	memcpy(e->round, line, (size_t)n + 1);
	e->log_off = n;
	return 1;
}

/* Takes (type F_RDLCK or F_WRLCK) or drops (F_UNLCK) the in-flight
 * lock without waiting: an open file description's lock, so each
 * worker's own open of the log holds its own. 1 when done. */
static int inflight_lock(struct edge *e, short type)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	fl.l_start = EDGE_INFLIGHT_AT;
	fl.l_len = 1;
	return fcntl(e->log_fd, F_OFD_SETLK, &fl) == 0;
}

void edge_stored(struct edge *e)
{
	if (!e || !e->inflight)
		return;
	inflight_lock(e, F_UNLCK);
	e->inflight = 0;
}

int edge_note(struct edge *e, const char *key, const char *l1key)
{
	struct stat st;
	char line[2 * EDGE_KEY_MAX + 3];
	int n, ok = 0;

	if (!edge_caching(e) || !key_ok(key) || !key_ok(l1key))
		return 0;
	/* In flight from before the append: a fresh worker's new round
	 * waits until nginx stored this response. */
	if (!e->inflight && !inflight_lock(e, F_RDLCK))
		return 0;
	e->inflight = 1;
	if (flock(e->log_fd, LOCK_EX | LOCK_NB) != 0) {
		edge_stored(e);
		return 0; /* a fresh worker purges everything now */
	}
	if (fstat(e->log_fd, &st) != 0)
		goto out;
	if (st.st_size >= EDGE_LOG_MAX) {
		if (!e->full_warned)
			log_msg(LOG_LEVEL_WARN, "edge", "the key log is full: "
				"nothing more is kept by nginx until a worker starts");
		e->full_warned = 1;
		goto out;
	}
	if (st.st_size == 0 && !new_round(e))
		goto out;
	n = snprintf(line, sizeof(line), "%s\t%s\n", key, l1key);
	ok = n > 0 && n < (int)sizeof(line) && write(e->log_fd, line, (size_t)n) == n;
out:
	flock(e->log_fd, LOCK_UN);
	if (!ok)
		edge_stored(e);
	return ok;
}

/* Owes s to the hook's set. 0: out of memory. */
static int owe_str(struct owed_str **set, const char *s)
{
	struct owed_str *o;

	HASH_FIND_STR(*set, s, o);
	if (o)
		return 1;
	if (!(o = calloc(1, sizeof(*o))) || !(o->s = strdup(s))) {
		free(o);
		return 0;
	}
	HASH_ADD_KEYPTR(hh, *set, o->s, strlen(o->s), o);
	return 1;
}

/* Owes the hook p's key and, when it has one, its URL. 0: out of
 * memory. */
static int owe_post(struct edge *e, const struct site *s, const char *slug,
		    const struct post *p)
{
	char buf[4096], key[4096];
	const char *url = p ? site_post_url(s, p, buf, sizeof(buf)) : NULL;

	snprintf(key, sizeof(key), "post/%s", slug);
	return owe_str(&e->hook_keys, key) && (!url || owe_str(&e->hook_urls, url));
}

/* The hook's keys and paths of what t touches: "list" for every page
 * that lists posts, "post/SLUG" and the URL of each post's or page's
 * own page touch_page names, and of every post the update names. 0:
 * out of memory. */
static int touch_hook(struct edge *e, const struct touch *t)
{
	const struct site *s = t->site;
	const struct sub_update *u = t->u;
	struct post *p;
	char buf[4096];
	size_t i, n = s->n_posts + s->n_pages;

	if (!owe_str(&e->hook_keys, "list"))
		return 0;
	for (i = 0; i < n; i++) {
		p = i < s->n_posts ? s->posts[i] : s->pages[i - s->n_posts];
		if (touch_page(t, site_post_url(s, p, buf, sizeof(buf))) &&
		    !owe_post(e, s, p->slug, p))
			return 0;
	}
	/* By name too: the site t matches against may not have folded a
	 * post an earlier update made yet (folding waits for a request
	 * that needs the site), and then no page of it was in the loop
	 * above. A CI run saw a worker acknowledge a post's replacement
	 * with the hook told only of its related pages. */
	for (i = 0; u && i < u->n_posts; i++)
		if (u->posts[i] && !owe_post(e, s, u->posts[i]->slug, u->posts[i]))
			return 0;
	for (i = 0; u && i < u->n_gone; i++)
		if (!owe_post(e, s, u->gone[i], site_post(s, u->gone[i])))
			return 0;
	return 1;
}

void edge_touch(struct edge *e, const struct touch *t)
{
	struct known *k, *tmp;
	int all = t->everything || !t->site;

	if (!e)
		return;
	edge_stored(e); /* never wait on a flock holding it */
	if (edge_caching(e)) {
		flock(e->log_fd, LOCK_SH);
		if (!read_log(e, 0))
			all = 1;
		flock(e->log_fd, LOCK_UN);
		HASH_ITER(hh, e->known, k, tmp)
			if (all || touch_page(t, k->l1key))
				k->owed = 1;
	}
	if (e->cfg->cdn_purge_hook && (all || !touch_hook(e, t)))
		e->hook_all = 1;
	e->owes = 1;
}

/* Asks nginx's purge location to drop key: 1 when it answered 200
 * (dropped) or 404 (not held), 0 otherwise. */
static int purge_one(const char *sock_path, const char *key)
{
	struct sockaddr_un sa;
	struct timeval tv = { EDGE_PURGE_TIMEOUT_MS / 1000,
			      (EDGE_PURGE_TIMEOUT_MS % 1000) * 1000 };
	char req[EDGE_KEY_MAX + 128], resp[64];
	size_t got = 0;
	ssize_t n;
	int fd, len, status = 0;

	if (strlen(sock_path) >= sizeof(sa.sun_path))
		return 0;
	len = snprintf(req, sizeof(req), "GET /quire-purge HTTP/1.0\r\n"
		       "Host: quire\r\nX-Quire-Purge-Key: %s\r\n\r\n", key);
	if (len <= 0 || len >= (int)sizeof(req))
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, sock_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    send(fd, req, (size_t)len, MSG_NOSIGNAL) != len)
		goto out;
	while (got < sizeof(resp) - 1 &&
	       (n = recv(fd, resp + got, sizeof(resp) - 1 - got, 0)) > 0)
		got += (size_t)n;
	resp[got] = '\0';
	if (strncmp(resp, "HTTP/1.", 7) == 0 && got >= 12)
		status = atoi(resp + 9);
out:
	close(fd);
	return status == 200 || status == 404;
}

/* The environment of the hook: ours, and its two variables. NULL when
 * out of memory. */
static char **hook_env(struct edge *e, char **keys, char **urls)
{
	struct owed_str *o, *tmp;
	size_t n = 0, i, kl = 0, ul = 0;
	char **env;

	HASH_ITER(hh, e->hook_keys, o, tmp)
		kl += strlen(o->s) + 1;
	HASH_ITER(hh, e->hook_urls, o, tmp)
		ul += strlen(o->s) + 1;
	if (e->hook_all || kl + ul > HOOK_ENV_MAX)
		kl = ul = 0; /* everything: "quire" alone */
	*keys = malloc(sizeof("QUIRE_PURGE_KEYS=quire") + kl);
	*urls = malloc(sizeof("QUIRE_PURGE_URLS=") + ul);
	while (environ[n])
		n++;
	env = calloc(n + 3, sizeof(*env));
	if (!*keys || !*urls || !env) {
		free(env);
		return NULL;
	}
	strcpy(*keys, "QUIRE_PURGE_KEYS=");
	strcpy(*urls, "QUIRE_PURGE_URLS=");
	if (!kl) {
		strcat(*keys, "quire");
	} else {
		HASH_ITER(hh, e->hook_keys, o, tmp) {
			strcat(*keys, o->s);
			strcat(*keys, " ");
		}
		HASH_ITER(hh, e->hook_urls, o, tmp) {
			strcat(*urls, o->s);
			strcat(*urls, "\n");
		}
	}
	for (i = 0; i < n; i++)
		env[i] = environ[i];
	env[n] = *keys;
	env[n + 1] = *urls;
	return env;
}

/* The hook starts with no signal blocked and SIGPIPE, SIGHUP at their
 * defaults: a worker blocks SIGTERM and ignores those two. */
static int hook_attr(posix_spawnattr_t *a)
{
	sigset_t none, def;

	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGHUP);
	return posix_spawnattr_init(a) == 0 &&
	       posix_spawnattr_setflags(a, POSIX_SPAWN_SETSIGMASK |
					POSIX_SPAWN_SETSIGDEF) == 0 &&
	       posix_spawnattr_setsigmask(a, &none) == 0 &&
	       posix_spawnattr_setsigdefault(a, &def) == 0;
}

/* Runs the hook with what it is owed: 1 when it exited 0 in time. */
static int run_hook(struct edge *e)
{
	char sh[] = "sh", dash_c[] = "-c";
	char *argv[] = { sh, dash_c, e->cfg->cdn_purge_hook, NULL };
	char *keys = NULL, *urls = NULL, **env = hook_env(e, &keys, &urls);
	double deadline = quire_now_ms() + EDGE_HOOK_TIMEOUT_MS;
	posix_spawnattr_t attr;
	pid_t pid;
	int st = -1, ok = 0, spawned;

	if (!env || !hook_attr(&attr))
		goto out;
	spawned = posix_spawn(&pid, "/bin/sh", NULL, &attr, argv, env) == 0;
	posix_spawnattr_destroy(&attr);
	if (!spawned)
		goto out;
	while (waitpid(pid, &st, WNOHANG) == 0) {
		if (quire_now_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			st = -1;
			break;
		}
		usleep(1000);
	}
	ok = st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	if (!ok)
		log_msg(LOG_LEVEL_WARN, "edge", "the purge hook failed: the "
			"change stays unacknowledged until it succeeds");
out:
	free(env);
	free(keys);
	free(urls);
	return ok;
}

int edge_owes(const struct edge *e)
{
	return e && e->owes;
}

/* Purges nginx's owed keys, forgetting each one done: 1 when all are. */
static int flush_nginx(struct edge *e)
{
	struct known *k, *tmp;
	size_t done = 0;

	HASH_ITER(hh, e->known, k, tmp) {
		if (!k->owed)
			continue;
		if (!purge_one(e->cfg->edge_purge, k->key)) {
			log_msg(LOG_LEVEL_WARN, "edge", "purge refused or nginx "
				"unreachable at %s: the change stays "
				"unacknowledged until it succeeds",
				e->cfg->edge_purge);
			return 0; /* the rest would fail the same */
		}
		forget(e, k);
		done++;
	}
	if (done)
		log_msg(LOG_LEVEL_DEBUG, "edge", "purged=%zu", done);
	return 1;
}

/* Waits, holding the log's lock (no new append, so no new response in
 * flight), until no worker has a marked response in flight: 1 when
 * none has, 0 after EDGE_PURGE_TIMEOUT_MS (nginx slow to store). */
static int inflight_drained(struct edge *e)
{
	double deadline = quire_now_ms() + EDGE_PURGE_TIMEOUT_MS;

	while (!inflight_lock(e, F_WRLCK)) {
		if (quire_now_ms() > deadline)
			return 0;
		usleep(1000);
	}
	inflight_lock(e, F_UNLCK);
	return 1;
}

/*
 * A fresh worker's purge: every key of the log, then a new round, under
 * the lock (nothing is appended between the read, the purge and the new
 * round), once nothing is in flight — a response stored after the purge
 * would be kept with its key in no log, so never purged again (found by
 * tests/coherence/run --edge, seed 1503). 1 when done.
 */
static int purge_round(struct edge *e)
{
	struct known *k, *tmp;
	int ok = 0;

	flock(e->log_fd, LOCK_EX);
	if (!inflight_drained(e)) {
		log_msg(LOG_LEVEL_WARN, "edge", "a marked response still in "
			"flight after %d ms: the purge waits for it",
			EDGE_PURGE_TIMEOUT_MS);
		goto out;
	}
	e->round[0] = '\0';
	e->log_off = 0;
	read_log(e, 1);
	HASH_ITER(hh, e->known, k, tmp)
		k->owed = 1;
	if (!flush_nginx(e))
		goto out;
	if (!new_round(e))
		log_msg(LOG_LEVEL_WARN, "edge", "cannot empty the key log: %s",
			strerror(errno));
	ok = 1;
out:
	flock(e->log_fd, LOCK_UN);
	return ok;
}

enum quire_err edge_flush(struct edge *e)
{
	if (!e)
		return QUIRE_OK;
	edge_stored(e);
	if (edge_caching(e) && e->fresh) {
		if (!purge_round(e))
			return QUIRE_EIO;
		e->fresh = 0;
	}
	if (edge_caching(e) && !flush_nginx(e))
		return QUIRE_EIO;
	/* The CDN after nginx: a CDN that fetched again before nginx's
	 * purge would keep nginx's old copy. */
	if ((e->hook_all || e->hook_keys) && e->cfg->cdn_purge_hook) {
		if (!run_hook(e))
			return QUIRE_EIO;
		e->hook_all = 0;
		strs_free(&e->hook_keys);
		strs_free(&e->hook_urls);
	}
	e->owes = 0;
	return QUIRE_OK;
}

void edge_touch_all(struct edge *e)
{
	if (!e)
		return;
	e->hook_all = e->cfg->cdn_purge_hook != NULL;
	e->fresh = edge_caching(e);
	e->owes = 1;
}
