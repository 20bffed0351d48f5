/*
 * tier_redis.c - the Redis tier (L2) and the invalidation channel
 *
 * The only file that includes hiredis (0.14 on Debian 12: RESP2, blocking
 * contexts, no connect options). Every command goes out as argv, so
 * sources and html with any bytes in them are sent as they are; what has
 * a format of its own (URLs, index entries, messages) is built and
 * parsed in tier_redis_codec.c, which a test can feed bytes.
 *
 * Two kinds of context come out of tier_redis_connect:
 *  - a command context, with redisSetTimeout(timeout_ms) so that a hung
 *    Redis costs a request at most that long;
 *  - a subscriber (after tier_redis_subscribe), whose socket has no
 *    timeout at all: in hiredis 0.14 a read that times out sets ctx->err
 *    (EAGAIN as an I/O error) and the subscribed context is dead. It is
 *    read only after poll() says the fd is readable, so no read blocks,
 *    and a PING whose pong does not come back in time says it is dead.
 * Once a context failed at the connection level (ctx->err) it is only
 * closed: tier_redis_broken() tells the caller so.
 *
 * Deleting a slug leaves a tombstone in its post key for a while
 * (revision "deleted", TOMBSTONE_TTL seconds) rather than removing it,
 * so that a fill that read the post from PostgreSQL before the deploy
 * deleted it cannot bring it back: the fill script never writes over a
 * revision that is not a lower number.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "content/record.h"
#include "lib/limits.h"
#include "lib/quire.h"
#include "tiers/tier_redis.h"
#include "tiers/tier_redis_codec.h"

#define DEFAULT_PREFIX     "quire:"
#define KEY_MAX            (TIER_REDIS_MAX_PREFIX + 16 + QUIRE_MAX_SLUG)
#define WORKER_ID_MAX      256     /* bytes in a worker id */
#define TOMBSTONE_TTL      3600    /* seconds a deleted slug refuses fills */
#define PIPE_FLUSH_BYTES   (1024 * 1024) /* write out a pipeline this often */
#define QUEUE_MAX          1024    /* messages kept while a PING waits */
#define SUB_DEFAULT_MS     5000    /* SUBSCRIBE's wait, at least */

/*
 * KEYS[1] the post key, KEYS[2] the index; ARGV[1] the slug, ARGV[2] the
 * revision, ARGV[3] the index entry, ARGV[4...] field/value pairs of the
 * post hash. A stored revision that is not a number (a tombstone) or is
 * not lower keeps what is there. Atomic because a script is.
 */
static const char fill_script[] =
	"local cur = redis.call('HGET', KEYS[1], 'revision')\n"
	"if cur then\n"
	"  local n = tonumber(cur)\n"
	"  if n == nil or n >= tonumber(ARGV[2]) then return 0 end\n"
	"end\n"
	"redis.call('DEL', KEYS[1])\n"
	"redis.call('HSET', KEYS[1], unpack(ARGV, 4))\n"
	"redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])\n"
	"return 1\n";

/*
 * KEYS[1] the workers hash; ARGV pairs of id and the value read. Deletes
 * an entry only if it is still what was read, so a worker that beat
 * between the read and the delete is not removed.
 */
static const char prune_script[] =
	"local n = 0\n"
	"for i = 1, #ARGV, 2 do\n"
	"  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[i + 1] then\n"
	"    n = n + redis.call('HDEL', KEYS[1], ARGV[i])\n"
	"  end\n"
	"end\n"
	"return n\n";

struct tier_redis {
	redisContext *ctx;
	char prefix[TIER_REDIS_MAX_PREFIX + 1];
	size_t prefix_len;
	int timeout_ms;
	int subscribed;
	int broken;              /* set by us when ctx->err is not enough */
	char *fill_sha;          /* SCRIPT LOAD's answer, or NULL */
	char err[256];
	/* Messages that came while tier_redis_sub_ping waited for its pong,
	 * oldest first; tier_redis_wait returns them before reading. */
	char **queue;
	size_t q_head;
	size_t q_len;
	size_t q_cap;
};

/* An argv under construction; the strings are borrowed. */
struct cmd {
	const char **argv;
	size_t *argvlen;
	int argc;
	int cap;
};

static void set_err(struct tier_redis *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_err(struct tier_redis *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
}

/* A connection-level failure: remember it and say why. */
static int fail_io(struct tier_redis *r, const char *what)
{
	r->broken = 1;
	set_err(r, "%s: %s", r->ctx && r->ctx->errstr[0] ? r->ctx->errstr :
		"connection lost", what);
	return QUIRE_EIO;
}

/* An error reply from the server: the connection is fine. */
static int fail_reply(struct tier_redis *r, const redisReply *rep,
		      const char *what)
{
	if (rep && rep->type == REDIS_REPLY_ERROR)
		set_err(r, "%.*s: %s", (int)(rep->len > 160 ? 160 : rep->len),
			rep->str, what);
	else
		set_err(r, "unexpected reply (type %d): %s",
			rep ? rep->type : -1, what);
	return QUIRE_EIO;
}

static long long now_ms(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC cannot fail with a valid clock id; a zero time
	 * would only make a wait end early. */
	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		return 0;
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------- argv */

static int cmd_init(struct cmd *c, int cap)
{
	c->argc = 0;
	c->cap = cap;
	c->argv = calloc((size_t)cap, sizeof(*c->argv));
	c->argvlen = calloc((size_t)cap, sizeof(*c->argvlen));
	if (!c->argv || !c->argvlen) {
		free(c->argv);
		free(c->argvlen);
		c->argv = NULL;
		c->argvlen = NULL;
		return QUIRE_ENOMEM;
	}
	return QUIRE_OK;
}

static void cmd_release(struct cmd *c)
{
	free(c->argv);
	free(c->argvlen);
	c->argv = NULL;
	c->argvlen = NULL;
}

/* The caller sizes cap for what it adds; past it is a bug, not input. */
static void cmd_add(struct cmd *c, const char *s, size_t len)
{
	if (c->argc >= c->cap)
		abort();
	c->argv[c->argc] = s;
	c->argvlen[c->argc] = len;
	c->argc++;
}

static void cmd_adds(struct cmd *c, const char *s)
{
	cmd_add(c, s, strlen(s));
}

/* Appends the post hash's field/value pairs of f. */
static void cmd_add_fields(struct cmd *c, const struct tier_redis_fields *f)
{
	int i;

	for (i = 0; i < TIER_REDIS_F__MAX; i++)
		if (f->val[i]) {
			cmd_adds(c, tier_redis_field_names[i]);
			cmd_add(c, f->val[i], f->len[i]);
		}
}

/* ------------------------------------------------------------- keys */

/* PREFIX NAME into key; NAME is short and fixed, so it always fits. */
static size_t key_fixed(const struct tier_redis *r, const char *name,
			char *key)
{
	size_t n = strlen(name);

	memcpy(key, r->prefix, r->prefix_len);
	memcpy(key + r->prefix_len, name, n + 1);
	return r->prefix_len + n;
}

/* PREFIX post:SLUG into key (KEY_MAX + 1 bytes); 0 for a bad slug. */
static size_t key_post(const struct tier_redis *r, const char *slug,
		       char *key)
{
	size_t n;

	if (!slug)
		return 0;
	n = strnlen(slug, QUIRE_MAX_SLUG + 1);
	if (n == 0 || n > QUIRE_MAX_SLUG)
		return 0;
	memcpy(key, r->prefix, r->prefix_len);
	memcpy(key + r->prefix_len, "post:", 5);
	memcpy(key + r->prefix_len + 5, slug, n + 1);
	return r->prefix_len + 5 + n;
}

/* -------------------------------------------------- commands, pipelines */

/* One command and its reply; NULL when the connection failed (r is then
 * broken) or the context is not usable for commands. */
static redisReply *command(struct tier_redis *r, const struct cmd *c)
{
	redisReply *rep;

	/* Keep the message that broke it: that is the one worth logging. */
	if (tier_redis_broken(r)) {
		if (!r->err[0])
			set_err(r, "connection is broken: %s", c->argv[0]);
		return NULL;
	}
	if (r->subscribed) {
		set_err(r, "subscribed context takes no %s", c->argv[0]);
		return NULL;
	}
	rep = redisCommandArgv(r->ctx, c->argc, c->argv, c->argvlen);
	if (!rep)
		fail_io(r, c->argv[0]);
	return rep;
}

static int pipe_flush(struct tier_redis *r)
{
	int done = 0;

	while (!done)
		if (redisBufferWrite(r->ctx, &done) != REDIS_OK)
			return fail_io(r, "write");
	return QUIRE_OK;
}

/* Queues c; writes the pipeline out every PIPE_FLUSH_BYTES so that a
 * large deploy does not build one huge output buffer. */
static int pipe_append(struct tier_redis *r, const struct cmd *c,
		       size_t *pending)
{
	int i;

	if (redisAppendCommandArgv(r->ctx, c->argc, c->argv,
				   c->argvlen) != REDIS_OK)
		return fail_io(r, c->argv[0]);
	for (i = 0; i < c->argc; i++)
		*pending += c->argvlen[i];
	if (*pending >= PIPE_FLUSH_BYTES) {
		*pending = 0;
		return pipe_flush(r);
	}
	return QUIRE_OK;
}

static int pipe_reply(struct tier_redis *r, redisReply **rep)
{
	void *p = NULL;

	*rep = NULL;
	if (redisGetReply(r->ctx, &p) != REDIS_OK || !p)
		return fail_io(r, "reply");
	*rep = p;
	return QUIRE_OK;
}

static int is_status(const redisReply *rep, const char *s)
{
	return rep && rep->type == REDIS_REPLY_STATUS &&
	       rep->len == strlen(s) && memcmp(rep->str, s, rep->len) == 0;
}

static int is_str(const redisReply *rep, const char *s)
{
	return rep && rep->type == REDIS_REPLY_STRING &&
	       rep->len == strlen(s) && memcmp(rep->str, s, rep->len) == 0;
}

/* Reads the replies of MULTI, queued commands and EXEC (n_queued of
 * them in between). Every reply is read even after a bad one, so the
 * connection stays in step; *exec gets EXEC's array when all went well. */
static int multi_replies(struct tier_redis *r, size_t n_queued,
			 redisReply **exec, const char *what)
{
	redisReply *rep;
	size_t i;
	int rc, bad = 0;

	*exec = NULL;
	if ((rc = pipe_reply(r, &rep)) != QUIRE_OK)
		return rc;
	if (!is_status(rep, "OK"))
		bad = fail_reply(r, rep, what);
	freeReplyObject(rep);
	for (i = 0; i < n_queued; i++) {
		if ((rc = pipe_reply(r, &rep)) != QUIRE_OK)
			return rc;
		if (!bad && !is_status(rep, "QUEUED"))
			bad = fail_reply(r, rep, what);
		freeReplyObject(rep);
	}
	if ((rc = pipe_reply(r, &rep)) != QUIRE_OK)
		return rc;
	if (bad) {
		freeReplyObject(rep);
		return QUIRE_EIO;
	}
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != n_queued) {
		rc = fail_reply(r, rep, what);
		freeReplyObject(rep);
		return rc;
	}
	for (i = 0; i < rep->elements; i++)
		if (rep->element[i]->type == REDIS_REPLY_ERROR) {
			rc = fail_reply(r, rep->element[i], what);
			freeReplyObject(rep);
			return rc;
		}
	*exec = rep;
	return QUIRE_OK;
}

/* --------------------------------------------------------- lifecycle */

static int auth_and_select(struct tier_redis *r, const struct tier_redis_url *u)
{
	struct cmd c;
	redisReply *rep;
	char db[16];
	const char *argv[3];
	size_t argvlen[3];
	int rc = QUIRE_OK;

	c.argv = argv;
	c.argvlen = argvlen;
	c.cap = 3;
	if (u->password[0]) {
		c.argc = 0;
		cmd_adds(&c, "AUTH");
		if (u->user[0])
			cmd_adds(&c, u->user);
		cmd_adds(&c, u->password);
		rep = command(r, &c);
		if (!rep)
			return QUIRE_EIO;
		if (!is_status(rep, "OK"))
			rc = fail_reply(r, rep, "auth");
		freeReplyObject(rep);
		if (rc != QUIRE_OK)
			return rc;
	}
	if (u->db) {
		snprintf(db, sizeof(db), "%d", u->db);
		c.argc = 0;
		cmd_adds(&c, "SELECT");
		cmd_adds(&c, db);
		rep = command(r, &c);
		if (!rep)
			return QUIRE_EIO;
		if (!is_status(rep, "OK"))
			rc = fail_reply(r, rep, "select");
		freeReplyObject(rep);
	}
	return rc;
}

int tier_redis_connect(const char *url, const char *prefix, int timeout_ms,
		       struct tier_redis **out, char *err, size_t errsz)
{
	struct tier_redis_url u;
	struct tier_redis *r = NULL;
	struct timeval tv;
	size_t plen;
	int rc = QUIRE_EINVAL;

	*out = NULL;
	if (err && errsz)
		err[0] = '\0';
	if (!prefix)
		prefix = DEFAULT_PREFIX;
	plen = strnlen(prefix, TIER_REDIS_MAX_PREFIX + 1);
	if (tier_redis_url_parse(url, &u) != QUIRE_OK) {
		if (err && errsz)
			snprintf(err, errsz, "bad redis url (want redis://[:PASSWORD@]HOST[:PORT][/DB] or unix:/PATH[?db=N&password=X])");
		goto out;
	}
	if (plen > TIER_REDIS_MAX_PREFIX || timeout_ms < 0) {
		if (err && errsz)
			snprintf(err, errsz, "%s", timeout_ms < 0 ?
				 "negative redis timeout" :
				 "redis key prefix too long");
		goto out;
	}
	rc = QUIRE_ENOMEM;
	r = calloc(1, sizeof(*r));
	if (!r)
		goto out;
	memcpy(r->prefix, prefix, plen);
	r->prefix[plen] = '\0';
	r->prefix_len = plen;
	r->timeout_ms = timeout_ms;
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	if (u.is_unix)
		r->ctx = timeout_ms ? redisConnectUnixWithTimeout(u.socket, tv) :
			redisConnectUnix(u.socket);
	else
		r->ctx = timeout_ms ? redisConnectWithTimeout(u.host, u.port, tv) :
			redisConnect(u.host, u.port);
	if (!r->ctx) {
		set_err(r, "cannot allocate a redis context");
		goto out;
	}
	rc = QUIRE_EIO;
	if (r->ctx->err) {
		set_err(r, "%s: connect to '%s'", r->ctx->errstr,
			u.is_unix ? u.socket : u.host);
		goto out;
	}
	if (timeout_ms && redisSetTimeout(r->ctx, tv) != REDIS_OK) {
		fail_io(r, "set timeout");
		goto out;
	}
	rc = auth_and_select(r, &u);
out:
	/* The password is not needed any more: do not leave it around
	 * (explicit_bzero: a plain memset of a dead object may be elided). */
	explicit_bzero(u.password, sizeof(u.password));
	if (rc != QUIRE_OK) {
		if (r && err && errsz)
			snprintf(err, errsz, "%s", r->err);
		tier_redis_close(r);
		return rc;
	}
	*out = r;
	return QUIRE_OK;
}

void tier_redis_close(struct tier_redis *r)
{
	if (!r)
		return;
	if (r->ctx)
		redisFree(r->ctx);
	while (r->q_len) {
		free(r->queue[r->q_head]);
		r->q_head = (r->q_head + 1) % r->q_cap;
		r->q_len--;
	}
	free(r->queue);
	free(r->fill_sha);
	free(r);
}

const char *tier_redis_error(const struct tier_redis *r)
{
	if (!r)
		return "no redis connection";
	if (r->err[0])
		return r->err;
	if (r->ctx && r->ctx->errstr[0])
		return r->ctx->errstr;
	return "";
}

int tier_redis_broken(const struct tier_redis *r)
{
	return !r || !r->ctx || r->broken || r->ctx->err != 0;
}

/* ---------------------------------------------------------- reads */

int tier_redis_generation(struct tier_redis *r, long long *generation)
{
	char key[KEY_MAX + 1];
	const char *argv[2];
	size_t argvlen[2];
	struct cmd c = { argv, argvlen, 0, 2 };
	redisReply *rep;
	int rc;

	cmd_adds(&c, "GET");
	cmd_add(&c, key, key_fixed(r, "generation", key));
	rep = command(r, &c);
	if (!rep)
		return QUIRE_EIO;
	if (rep->type == REDIS_REPLY_NIL)
		rc = QUIRE_ENOTFOUND;
	else if (rep->type != REDIS_REPLY_STRING)
		rc = fail_reply(r, rep, "get generation");
	else if (tier_redis_parse_ll(rep->str, rep->len, generation) != QUIRE_OK) {
		set_err(r, "malformed generation");
		rc = QUIRE_EPARSE;
	} else
		rc = QUIRE_OK;
	freeReplyObject(rep);
	return rc;
}

/* HMGET KEY fields... in the order of enum tier_redis_field. */
static void cmd_hmget_post(struct cmd *c, const char *key, size_t keylen)
{
	int i;

	c->argc = 0;
	cmd_adds(c, "HMGET");
	cmd_add(c, key, keylen);
	for (i = 0; i < TIER_REDIS_F__MAX; i++)
		cmd_adds(c, tier_redis_field_names[i]);
}

/* A record from HMGET's reply. QUIRE_ENOTFOUND when absent. */
static int post_from_reply(struct tier_redis *r, const char *slug,
			   const redisReply *rep, struct record **out)
{
	const char *val[TIER_REDIS_F__MAX];
	size_t len[TIER_REDIS_F__MAX];
	size_t i;
	int rc;

	*out = NULL;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != TIER_REDIS_F__MAX)
		return fail_reply(r, rep, "hmget post");
	for (i = 0; i < TIER_REDIS_F__MAX; i++) {
		const redisReply *e = rep->element[i];

		val[i] = e->type == REDIS_REPLY_STRING ? e->str : NULL;
		len[i] = e->type == REDIS_REPLY_STRING ? e->len : 0;
	}
	rc = tier_redis_fields_decode(slug, val, len, out);
	if (rc == QUIRE_EPARSE)
		set_err(r, "malformed post hash of '%.200s'", slug);
	return rc;
}

int tier_redis_fetch(struct tier_redis *r, const char *slug,
		     struct record **out)
{
	char key[KEY_MAX + 1];
	const char *argv[2 + TIER_REDIS_F__MAX];
	size_t argvlen[2 + TIER_REDIS_F__MAX];
	struct cmd c = { argv, argvlen, 0, 2 + TIER_REDIS_F__MAX };
	redisReply *rep;
	size_t klen;
	int rc;

	*out = NULL;
	klen = key_post(r, slug, key);
	if (!klen)
		return QUIRE_EINVAL;
	cmd_hmget_post(&c, key, klen);
	rep = command(r, &c);
	if (!rep)
		return QUIRE_EIO;
	rc = post_from_reply(r, slug, rep, out);
	freeReplyObject(rep);
	return rc;
}

/*
 * One round trip for n posts. A post whose hash does not decode is left
 * NULL like a missing one (the caller reads it from PostgreSQL instead);
 * only the connection or memory failing fails the call.
 */
int tier_redis_fetch_many(struct tier_redis *r, const char *const *slugs,
			  size_t n, struct record ***out)
{
	char key[KEY_MAX + 1];
	const char *argv[2 + TIER_REDIS_F__MAX];
	size_t argvlen[2 + TIER_REDIS_F__MAX];
	struct cmd c = { argv, argvlen, 0, 2 + TIER_REDIS_F__MAX };
	struct record **v = NULL;
	redisReply *rep;
	size_t i, pending = 0, sent = 0;
	int rc = QUIRE_EINVAL;

	*out = NULL;
	if (n > QUIRE_MAX_POSTS)
		return QUIRE_EINVAL;
	for (i = 0; i < n; i++)
		if (!key_post(r, slugs[i], key))
			return QUIRE_EINVAL;
	if (tier_redis_broken(r) || r->subscribed)
		return QUIRE_EIO;
	rc = QUIRE_ENOMEM;
	v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		goto out;
	for (i = 0; i < n; i++) {
		cmd_hmget_post(&c, key, key_post(r, slugs[i], key));
		if ((rc = pipe_append(r, &c, &pending)) != QUIRE_OK)
			goto out;
		sent++;
	}
	rc = QUIRE_OK;
	for (i = 0; i < sent; i++) {
		int one;

		if ((rc = pipe_reply(r, &rep)) != QUIRE_OK)
			goto out;
		one = post_from_reply(r, slugs[i], rep, &v[i]);
		freeReplyObject(rep);
		if (one == QUIRE_ENOMEM) {
			/* Keep reading: the replies must all be consumed. */
			rc = QUIRE_ENOMEM;
		} else if (one == QUIRE_EIO && rc == QUIRE_OK) {
			rc = QUIRE_EIO;
		}
	}
out:
	if (rc != QUIRE_OK) {
		record_array_free(v, n);
		return rc;
	}
	*out = v;
	return QUIRE_OK;
}

/* A NUL-terminated slug from a hash field name; NULL if it cannot be one. */
static char *slug_from_reply(const redisReply *e)
{
	if (e->type != REDIS_REPLY_STRING || e->len == 0 ||
	    e->len > QUIRE_MAX_SLUG || memchr(e->str, '\0', e->len))
		return NULL;
	return strndup(e->str, e->len);
}

int tier_redis_index(struct tier_redis *r, struct record ***out, size_t *n,
		     long long *generation)
{
	char kindex[KEY_MAX + 1], kgen[KEY_MAX + 1];
	const char *argv[2];
	size_t argvlen[2];
	struct cmd c = { argv, argvlen, 0, 2 };
	struct record **v = NULL;
	redisReply *exec = NULL, *h, *g;
	size_t i, count = 0, pending = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (tier_redis_broken(r) || r->subscribed)
		return QUIRE_EIO;
	/* MULTI so that the index and the generation are one snapshot. */
	cmd_adds(&c, "MULTI");
	if ((rc = pipe_append(r, &c, &pending)) != QUIRE_OK)
		return rc;
	c.argc = 0;
	cmd_adds(&c, "HGETALL");
	cmd_add(&c, kindex, key_fixed(r, "index", kindex));
	if ((rc = pipe_append(r, &c, &pending)) != QUIRE_OK)
		return rc;
	c.argc = 0;
	cmd_adds(&c, "GET");
	cmd_add(&c, kgen, key_fixed(r, "generation", kgen));
	if ((rc = pipe_append(r, &c, &pending)) != QUIRE_OK)
		return rc;
	c.argc = 0;
	cmd_adds(&c, "EXEC");
	if ((rc = pipe_append(r, &c, &pending)) != QUIRE_OK)
		return rc;
	if ((rc = multi_replies(r, 2, &exec, "read index")) != QUIRE_OK)
		return rc;
	h = exec->element[0];
	g = exec->element[1];
	if (g->type == REDIS_REPLY_NIL) {
		rc = QUIRE_ENOTFOUND;
		goto out;
	}
	if (g->type != REDIS_REPLY_STRING || h->type != REDIS_REPLY_ARRAY ||
	    h->elements % 2) {
		rc = fail_reply(r, g, "read index");
		goto out;
	}
	if (tier_redis_parse_ll(g->str, g->len, generation) != QUIRE_OK) {
		set_err(r, "malformed generation");
		rc = QUIRE_EPARSE;
		goto out;
	}
	rc = QUIRE_ENOMEM;
	v = calloc(h->elements / 2 + 1, sizeof(*v));
	if (!v)
		goto out;
	for (i = 0; i + 1 < h->elements; i += 2) {
		const redisReply *val = h->element[i + 1];
		char *slug = slug_from_reply(h->element[i]);

		/* A bad entry fails the whole index: a post missing from it
		 * would be answered 404, PostgreSQL is the better source. */
		if (!slug || val->type != REDIS_REPLY_STRING) {
			free(slug);
			set_err(r, "malformed index entry");
			rc = QUIRE_EPARSE;
			goto out;
		}
		rc = tier_redis_index_parse(slug, val->str, val->len, &v[count]);
		if (rc != QUIRE_OK) {
			set_err(r, "malformed index entry of '%.200s'", slug);
			free(slug);
			goto out;
		}
		free(slug);
		count++;
	}
	*out = v;
	*n = count;
	v = NULL;
	rc = QUIRE_OK;
out:
	record_array_free(v, count);
	freeReplyObject(exec);
	return rc;
}

/* Index entries of n slugs in one HMGET; a malformed one is NULL like a
 * missing one (the caller reads it from PostgreSQL instead). */
int tier_redis_index_many(struct tier_redis *r, const char *const *slugs,
			  size_t n, struct record ***out)
{
	char key[KEY_MAX + 1];
	struct cmd c;
	struct record **v = NULL;
	redisReply *rep = NULL;
	size_t i;
	int rc;

	*out = NULL;
	if (n > QUIRE_MAX_POSTS)
		return QUIRE_EINVAL;
	for (i = 0; i < n; i++)
		if (!slugs[i] || strnlen(slugs[i], QUIRE_MAX_SLUG + 1) > QUIRE_MAX_SLUG ||
		    !slugs[i][0])
			return QUIRE_EINVAL;
	v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		return QUIRE_ENOMEM;
	if (n == 0) {
		*out = v;
		return QUIRE_OK;
	}
	if ((rc = cmd_init(&c, (int)n + 2)) != QUIRE_OK)
		goto out;
	cmd_adds(&c, "HMGET");
	cmd_add(&c, key, key_fixed(r, "index", key));
	for (i = 0; i < n; i++)
		cmd_adds(&c, slugs[i]);
	rep = command(r, &c);
	cmd_release(&c);
	rc = QUIRE_EIO;
	if (!rep)
		goto out;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != n) {
		rc = fail_reply(r, rep, "hmget index");
		goto out;
	}
	for (i = 0; i < n; i++) {
		const redisReply *e = rep->element[i];

		if (e->type != REDIS_REPLY_STRING)
			continue;
		rc = tier_redis_index_parse(slugs[i], e->str, e->len, &v[i]);
		if (rc == QUIRE_ENOMEM)
			goto out;
		if (rc != QUIRE_OK)
			set_err(r, "malformed index entry of '%.200s'", slugs[i]);
	}
	*out = v;
	v = NULL;
	rc = QUIRE_OK;
out:
	record_array_free(v, n);
	freeReplyObject(rep);
	return rc;
}

/* ---------------------------------------------------------- writes */

int tier_redis_store(struct tier_redis *r, struct record *const *recs,
		     size_t n, char *const *deletes, size_t n_deletes,
		     long long generation)
{
	char key[KEY_MAX + 1], kindex[KEY_MAX + 1], kgen[KEY_MAX + 1];
	char gen[24], ttl[24];
	const char *argv[4 + 2 * TIER_REDIS_F__MAX];
	size_t argvlen[4 + 2 * TIER_REDIS_F__MAX];
	struct cmd c = { argv, argvlen, 0, 4 + 2 * TIER_REDIS_F__MAX };
	struct tier_redis_fields f;
	redisReply *exec = NULL;
	char *entry = NULL;
	size_t i, entry_len, klen, queued = 0, pending = 0;
	int rc;

	if (n > QUIRE_MAX_POSTS || n_deletes > QUIRE_MAX_POSTS)
		return QUIRE_EINVAL;
	/* Check everything before the first byte goes out: a half-sent
	 * MULTI would leave the connection in a transaction. */
	for (i = 0; i < n; i++)
		if (!key_post(r, recs[i]->slug, key) ||
		    tier_redis_fields_encode(recs[i], &f) != QUIRE_OK) {
			set_err(r, "cannot store record %zu", i);
			return QUIRE_EIO;
		}
	for (i = 0; i < n_deletes; i++)
		if (!key_post(r, deletes[i], key)) {
			set_err(r, "cannot delete slug %zu", i);
			return QUIRE_EIO;
		}
	if (tier_redis_broken(r) || r->subscribed)
		return QUIRE_EIO;
	key_fixed(r, "index", kindex);
	snprintf(gen, sizeof(gen), "%lld", generation);
	snprintf(ttl, sizeof(ttl), "%d", TOMBSTONE_TTL);

	cmd_adds(&c, "MULTI");
	if ((rc = pipe_append(r, &c, &pending)) != QUIRE_OK)
		goto out;
	for (i = 0; i < n; i++) {
		klen = key_post(r, recs[i]->slug, key);
		/* DEL first: fields the new record lacks (a path, a toc,
		 * a date) must not survive from the old one. */
		c.argc = 0;
		cmd_adds(&c, "DEL");
		cmd_add(&c, key, klen);
		if ((rc = pipe_append(r, &c, &pending)) != QUIRE_OK)
			goto out;
		if ((rc = tier_redis_fields_encode(recs[i], &f)) != QUIRE_OK)
			goto out_broken;
		c.argc = 0;
		cmd_adds(&c, "HSET");
		cmd_add(&c, key, klen);
		cmd_add_fields(&c, &f);
		if ((rc = pipe_append(r, &c, &pending)) != QUIRE_OK)
			goto out;
		rc = tier_redis_index_encode(recs[i], &entry, &entry_len);
		if (rc != QUIRE_OK)
			goto out_broken;
		c.argc = 0;
		cmd_adds(&c, "HSET");
		cmd_adds(&c, kindex);
		cmd_adds(&c, recs[i]->slug);
		cmd_add(&c, entry, entry_len);
		rc = pipe_append(r, &c, &pending);
		free(entry);
		entry = NULL;
		if (rc != QUIRE_OK)
			goto out;
		queued += 3;
	}
	for (i = 0; i < n_deletes; i++) {
		klen = key_post(r, deletes[i], key);
		c.argc = 0;
		cmd_adds(&c, "DEL");
		cmd_add(&c, key, klen);
		if ((rc = pipe_append(r, &c, &pending)) != QUIRE_OK)
			goto out;
		c.argc = 0;
		cmd_adds(&c, "HSET");
		cmd_add(&c, key, klen);
		cmd_adds(&c, tier_redis_field_names[TIER_REDIS_F_REVISION]);
		cmd_adds(&c, TIER_REDIS_TOMBSTONE);
		if ((rc = pipe_append(r, &c, &pending)) != QUIRE_OK)
			goto out;
		c.argc = 0;
		cmd_adds(&c, "EXPIRE");
		cmd_add(&c, key, klen);
		cmd_adds(&c, ttl);
		if ((rc = pipe_append(r, &c, &pending)) != QUIRE_OK)
			goto out;
		c.argc = 0;
		cmd_adds(&c, "HDEL");
		cmd_adds(&c, kindex);
		cmd_adds(&c, deletes[i]);
		if ((rc = pipe_append(r, &c, &pending)) != QUIRE_OK)
			goto out;
		queued += 4;
	}
	c.argc = 0;
	cmd_adds(&c, "SET");
	cmd_add(&c, kgen, key_fixed(r, "generation", kgen));
	cmd_adds(&c, gen);
	if ((rc = pipe_append(r, &c, &pending)) != QUIRE_OK)
		goto out;
	queued++;
	c.argc = 0;
	cmd_adds(&c, "EXEC");
	if ((rc = pipe_append(r, &c, &pending)) != QUIRE_OK)
		goto out;
	rc = multi_replies(r, queued, &exec, "store");
	goto out;
out_broken:
	/* Commands are queued already and the records were checked above:
	 * only memory can fail here, and the transaction is half-sent. */
	r->broken = 1;
	set_err(r, "%s: store", quire_strerror(rc));
	rc = QUIRE_EIO;
out:
	free(entry);
	freeReplyObject(exec);
	return rc == QUIRE_OK ? QUIRE_OK : QUIRE_EIO;
}

/* Runs a script by EVALSHA, loading it first, falling back to EVAL when
 * the server forgot it (NOSCRIPT: SCRIPT FLUSH, a restart) or refused
 * to load it. c->argv[0] and [1] are filled here. */
static redisReply *script_run(struct tier_redis *r, struct cmd *c,
			      const char *src, char **sha)
{
	redisReply *rep;

	if (!*sha) {
		const char *argv[3] = { "SCRIPT", "LOAD", src };
		size_t argvlen[3] = { 6, 4, strlen(src) };
		struct cmd load = { argv, argvlen, 3, 3 };

		rep = command(r, &load);
		if (!rep)
			return NULL;
		if (rep->type == REDIS_REPLY_STRING && rep->len == 40)
			*sha = strndup(rep->str, rep->len);
		freeReplyObject(rep);
	}
	if (*sha) {
		c->argv[0] = "EVALSHA";
		c->argvlen[0] = 7;
		c->argv[1] = *sha;
		c->argvlen[1] = 40;
		rep = command(r, c);
		if (!rep || rep->type != REDIS_REPLY_ERROR ||
		    strncmp(rep->str, "NOSCRIPT", 8) != 0)
			return rep;
		freeReplyObject(rep);
		free(*sha);
		*sha = NULL;
	}
	c->argv[0] = "EVAL";
	c->argvlen[0] = 4;
	c->argv[1] = src;
	c->argvlen[1] = strlen(src);
	return command(r, c);
}

int tier_redis_fill(struct tier_redis *r, const struct record *rec)
{
	char key[KEY_MAX + 1], kindex[KEY_MAX + 1], rev[24];
	const char *argv[8 + 2 * TIER_REDIS_F__MAX];
	size_t argvlen[8 + 2 * TIER_REDIS_F__MAX];
	struct cmd c = { argv, argvlen, 0, 8 + 2 * TIER_REDIS_F__MAX };
	struct tier_redis_fields f;
	redisReply *rep = NULL;
	char *entry = NULL;
	size_t klen, entry_len;
	int rc = QUIRE_EIO;

	klen = key_post(r, rec->slug, key);
	if (!klen || tier_redis_fields_encode(rec, &f) != QUIRE_OK ||
	    tier_redis_index_encode(rec, &entry, &entry_len) != QUIRE_OK) {
		set_err(r, "cannot fill '%.200s': bad record",
			rec->slug ? rec->slug : "");
		goto out;
	}
	snprintf(rev, sizeof(rev), "%lld", rec->revision);
	cmd_add(&c, NULL, 0); /* EVALSHA or EVAL */
	cmd_add(&c, NULL, 0); /* the sha or the script */
	cmd_adds(&c, "2");
	cmd_add(&c, key, klen);
	cmd_add(&c, kindex, key_fixed(r, "index", kindex));
	cmd_adds(&c, rec->slug);
	cmd_adds(&c, rev);
	cmd_add(&c, entry, entry_len);
	cmd_add_fields(&c, &f);
	rep = script_run(r, &c, fill_script, &r->fill_sha);
	if (!rep)
		goto out;
	if (rep->type != REDIS_REPLY_INTEGER) {
		rc = fail_reply(r, rep, "fill");
		goto out;
	}
	rc = QUIRE_OK;
out:
	free(entry);
	freeReplyObject(rep);
	return rc;
}

int tier_redis_publish(struct tier_redis *r, long long generation,
		       const char *const *slugs, size_t n, int all,
		       long long *receivers)
{
	char key[KEY_MAX + 1];
	const char *argv[3];
	size_t argvlen[3];
	struct cmd c = { argv, argvlen, 0, 3 };
	redisReply *rep;
	char *payload;
	size_t len;
	int rc;

	*receivers = 0;
	rc = tier_redis_invalidation_format(generation, slugs, n, all,
					    &payload, &len);
	if (rc != QUIRE_OK) {
		set_err(r, "%s: invalidation message", quire_strerror(rc));
		return rc == QUIRE_ENOMEM ? QUIRE_ENOMEM : QUIRE_EINVAL;
	}
	cmd_adds(&c, "PUBLISH");
	cmd_add(&c, key, key_fixed(r, "invalidate", key));
	cmd_add(&c, payload, len);
	rep = command(r, &c);
	free(payload);
	if (!rep)
		return QUIRE_EIO;
	if (rep->type == REDIS_REPLY_INTEGER) {
		*receivers = rep->integer;
		rc = QUIRE_OK;
	} else {
		rc = fail_reply(r, rep, "publish");
	}
	freeReplyObject(rep);
	return rc;
}

/* ---------------------------------------------------------- workers */

static int worker_id_ok(const char *id)
{
	size_t n;

	if (!id)
		return 0;
	n = strnlen(id, WORKER_ID_MAX + 1);
	return n > 0 && n <= WORKER_ID_MAX;
}

/* HSET/HDEL-style command on the workers hash with an integer reply. */
static int workers_command(struct tier_redis *r, struct cmd *c,
			   const char *what)
{
	redisReply *rep = command(r, c);
	int rc = QUIRE_OK;

	if (!rep)
		return QUIRE_EIO;
	if (rep->type != REDIS_REPLY_INTEGER)
		rc = fail_reply(r, rep, what);
	freeReplyObject(rep);
	return rc;
}

int tier_redis_ack(struct tier_redis *r, const char *worker_id,
		   long long generation, int publish)
{
	char key[KEY_MAX + 1], chan[KEY_MAX + 1], val[48], gen[24];
	const char *argv[4];
	size_t argvlen[4], pending = 0;
	struct cmd c = { argv, argvlen, 0, 4 };
	redisReply *rep;
	int rc = QUIRE_OK, i, n = publish ? 2 : 1;

	if (!worker_id_ok(worker_id))
		return QUIRE_EINVAL;
	if (tier_redis_broken(r) || r->subscribed)
		return QUIRE_EIO;
	/* Local time: the hosts are expected to keep their clocks by NTP;
	 * max_age in tier_redis_workers is seconds, not milliseconds. */
	snprintf(val, sizeof(val), "%lld %lld", generation,
		 (long long)time(NULL));
	snprintf(gen, sizeof(gen), "%lld", generation);
	cmd_adds(&c, "HSET");
	cmd_add(&c, key, key_fixed(r, "workers", key));
	cmd_adds(&c, worker_id);
	cmd_adds(&c, val);
	if ((rc = pipe_append(r, &c, &pending)) != QUIRE_OK)
		return rc;
	if (publish) {
		/* Then told to whoever waits for it (tiers_wait_acks), in the
		 * same round trip: a waiter wakes for an acknowledgement
		 * instead of reading the registry again and again. */
		c.argc = 0;
		cmd_adds(&c, "PUBLISH");
		cmd_add(&c, chan, key_fixed(r, "acks", chan));
		cmd_adds(&c, gen);
		if ((rc = pipe_append(r, &c, &pending)) != QUIRE_OK)
			return rc;
	}
	if ((rc = pipe_flush(r)) != QUIRE_OK)
		return rc;
	/* Every reply is read, even after a bad one: the connection stays
	 * in step. */
	for (i = 0; i < n; i++) {
		int got = pipe_reply(r, &rep);

		if (got != QUIRE_OK)
			return got;
		if (rep->type != REDIS_REPLY_INTEGER && rc == QUIRE_OK)
			rc = fail_reply(r, rep, i == 0 ? "ack" : "publish ack");
		freeReplyObject(rep);
	}
	return rc;
}

int tier_redis_forget(struct tier_redis *r, const char *worker_id)
{
	char key[KEY_MAX + 1];
	const char *argv[3];
	size_t argvlen[3];
	struct cmd c = { argv, argvlen, 0, 3 };

	if (!worker_id_ok(worker_id))
		return QUIRE_EINVAL;
	cmd_adds(&c, "HDEL");
	cmd_add(&c, key, key_fixed(r, "workers", key));
	cmd_adds(&c, worker_id);
	return workers_command(r, &c, "forget");
}

void tier_redis_workers_free(struct tier_redis_worker *v, size_t n)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < n; i++)
		free(v[i].id);
	free(v);
}

/* Deletes the stale entries of h (the HGETALL reply) flagged in stale,
 * each only if unchanged since it was read. Plain EVAL: this runs once
 * per deploy, not per request, so caching the script buys nothing. */
static int workers_prune(struct tier_redis *r, const redisReply *h,
			 const unsigned char *stale, size_t n_stale)
{
	char key[KEY_MAX + 1];
	struct cmd c;
	redisReply *rep;
	size_t i;
	int rc;

	if ((rc = cmd_init(&c, (int)(4 + 2 * n_stale))) != QUIRE_OK)
		return rc;
	cmd_add(&c, "EVAL", 4);
	cmd_add(&c, prune_script, strlen(prune_script));
	cmd_adds(&c, "1");
	cmd_add(&c, key, key_fixed(r, "workers", key));
	for (i = 0; i + 1 < h->elements; i += 2)
		if (stale[i / 2]) {
			cmd_add(&c, h->element[i]->str, h->element[i]->len);
			cmd_add(&c, h->element[i + 1]->str,
				h->element[i + 1]->len);
		}
	rep = command(r, &c);
	cmd_release(&c);
	if (!rep)
		return QUIRE_EIO;
	rc = rep->type == REDIS_REPLY_INTEGER ? QUIRE_OK :
		fail_reply(r, rep, "prune workers");
	freeReplyObject(rep);
	return rc;
}

int tier_redis_workers(struct tier_redis *r, long long max_age,
		       struct tier_redis_worker **out, size_t *n)
{
	char key[KEY_MAX + 1];
	const char *argv[2];
	size_t argvlen[2];
	struct cmd c = { argv, argvlen, 0, 2 };
	struct tier_redis_worker *v = NULL;
	unsigned char *stale = NULL;
	redisReply *rep;
	long long now = (long long)time(NULL);
	size_t i, count = 0, n_stale = 0;
	int rc;

	*out = NULL;
	*n = 0;
	cmd_adds(&c, "HGETALL");
	cmd_add(&c, key, key_fixed(r, "workers", key));
	rep = command(r, &c);
	if (!rep)
		return QUIRE_EIO;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements % 2) {
		rc = fail_reply(r, rep, "list workers");
		goto out;
	}
	rc = QUIRE_ENOMEM;
	v = calloc(rep->elements / 2 + 1, sizeof(*v));
	stale = calloc(rep->elements / 2 + 1, 1);
	if (!v || !stale)
		goto out;
	for (i = 0; i + 1 < rep->elements; i += 2) {
		const redisReply *id = rep->element[i], *val = rep->element[i + 1];
		long long gen, seen;

		/* Malformed entries are not ours to keep either. */
		if (id->type != REDIS_REPLY_STRING ||
		    val->type != REDIS_REPLY_STRING ||
		    memchr(id->str, '\0', id->len) ||
		    tier_redis_worker_parse(val->str, val->len, &gen,
					    &seen) != QUIRE_OK ||
		    now - seen > max_age) {
			if (id->type == REDIS_REPLY_STRING &&
			    val->type == REDIS_REPLY_STRING) {
				stale[i / 2] = 1;
				n_stale++;
			}
			continue;
		}
		v[count].id = strndup(id->str, id->len);
		if (!v[count].id)
			goto out;
		v[count].generation = gen;
		v[count].seen = seen;
		count++;
	}
	if (n_stale && (rc = workers_prune(r, rep, stale, n_stale)) != QUIRE_OK)
		goto out;
	*out = v;
	*n = count;
	v = NULL;
	rc = QUIRE_OK;
out:
	tier_redis_workers_free(v, count);
	free(stale);
	freeReplyObject(rep);
	return rc;
}

/* -------------------------------------------------------- subscriber */

/*
 * The next reply on a subscribed context, waiting until deadline (a
 * now_ms() value). Reads only after poll() said the fd is readable, so
 * the socket needs no timeout. QUIRE_OK with *reply (free it),
 * QUIRE_ETIMEOUT, or QUIRE_EIO (EOF, a reset, a protocol error).
 */
static int sub_next(struct tier_redis *r, long long deadline,
		    redisReply **reply)
{
	*reply = NULL;
	for (;;) {
		struct pollfd pfd;
		void *p = NULL;
		long long left;
		int n;

		if (redisGetReplyFromReader(r->ctx, &p) != REDIS_OK)
			return fail_io(r, "read");
		if (p) {
			*reply = p;
			return QUIRE_OK;
		}
		left = deadline - now_ms();
		if (left < 0)
			left = 0;
		pfd.fd = r->ctx->fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		n = poll(&pfd, 1, (int)(left > 600000 ? 600000 : left));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			set_err(r, "poll: %s", strerror(errno));
			r->broken = 1;
			return QUIRE_EIO;
		}
		if (n == 0) {
			if (now_ms() >= deadline)
				return QUIRE_ETIMEOUT;
			continue;
		}
		/* POLLHUP and POLLERR too: the read then reports EOF or the
		 * error and sets ctx->err. */
		if (redisBufferRead(r->ctx) != REDIS_OK)
			return fail_io(r, "read");
	}
}

/* ["message", CHANNEL, PAYLOAD] */
static int is_message(const redisReply *rep)
{
	return rep->type == REDIS_REPLY_ARRAY && rep->elements == 3 &&
	       is_str(rep->element[0], "message") &&
	       rep->element[2]->type == REDIS_REPLY_STRING;
}

static int queue_push(struct tier_redis *r, char *msg)
{
	if (r->q_len == r->q_cap) {
		size_t ncap = r->q_cap ? r->q_cap * 2 : 8, i;
		char **nq;

		if (r->q_cap >= QUEUE_MAX) {
			/* Full: drop the oldest. The generation check
			 * catches what a lost message would have said. */
			free(r->queue[r->q_head]);
			r->queue[r->q_head] = msg;
			r->q_head = (r->q_head + 1) % r->q_cap;
			return QUIRE_OK;
		}
		nq = malloc(ncap * sizeof(*nq));
		if (!nq)
			return QUIRE_ENOMEM;
		for (i = 0; i < r->q_len; i++)
			nq[i] = r->queue[(r->q_head + i) % r->q_cap];
		free(r->queue);
		r->queue = nq;
		r->q_head = 0;
		r->q_cap = ncap;
	}
	r->queue[(r->q_head + r->q_len) % r->q_cap] = msg;
	r->q_len++;
	return QUIRE_OK;
}

static char *queue_pop(struct tier_redis *r)
{
	char *msg;

	if (!r->q_len)
		return NULL;
	msg = r->queue[r->q_head];
	r->q_head = (r->q_head + 1) % r->q_cap;
	r->q_len--;
	return msg;
}

static int sub_send(struct tier_redis *r, const struct cmd *c)
{
	if (redisAppendCommandArgv(r->ctx, c->argc, c->argv,
				   c->argvlen) != REDIS_OK)
		return fail_io(r, c->argv[0]);
	return pipe_flush(r);
}

int tier_redis_subscribe(struct tier_redis *r, const char *channel)
{
	char key[KEY_MAX + 1];
	const char *argv[2];
	size_t argvlen[2];
	struct cmd c = { argv, argvlen, 0, 2 };
	struct timeval none = { 0, 0 };
	redisReply *rep;
	long long deadline;
	int rc;

	if (tier_redis_broken(r))
		return QUIRE_EIO;
	if (r->subscribed)
		return QUIRE_EINVAL;
	/* No socket timeout on a subscribed context, whatever connect set:
	 * see the top of this file. */
	if (redisSetTimeout(r->ctx, none) != REDIS_OK)
		return fail_io(r, "clear timeout");
	if (strcmp(channel, "invalidate") != 0 && strcmp(channel, "acks") != 0)
		return QUIRE_EINVAL;
	cmd_adds(&c, "SUBSCRIBE");
	cmd_add(&c, key, key_fixed(r, channel, key));
	if ((rc = sub_send(r, &c)) != QUIRE_OK)
		return rc;
	r->subscribed = 1;
	/* A subscriber runs in the background: a short command timeout is
	 * no reason to give up on the confirmation early. */
	deadline = now_ms() + (r->timeout_ms > SUB_DEFAULT_MS ? r->timeout_ms :
			       SUB_DEFAULT_MS);
	for (;;) {
		rc = sub_next(r, deadline, &rep);
		if (rc == QUIRE_ETIMEOUT) {
			r->broken = 1;
			set_err(r, "no answer to subscribe");
			return QUIRE_EIO;
		}
		if (rc != QUIRE_OK)
			return rc;
		if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 3 &&
		    is_str(rep->element[0], "subscribe")) {
			freeReplyObject(rep);
			return QUIRE_OK;
		}
		if (rep->type == REDIS_REPLY_ERROR) {
			rc = fail_reply(r, rep, "subscribe");
			r->broken = 1;
			freeReplyObject(rep);
			return rc;
		}
		freeReplyObject(rep);
	}
}

int tier_redis_wait(struct tier_redis *r, int timeout_ms, char **msg)
{
	redisReply *rep;
	long long deadline;
	int rc;

	*msg = NULL;
	if (!r || !r->subscribed)
		return QUIRE_EINVAL;
	*msg = queue_pop(r);
	if (*msg)
		return QUIRE_OK;
	if (tier_redis_broken(r))
		return QUIRE_EIO;
	deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	for (;;) {
		rc = sub_next(r, deadline, &rep);
		if (rc != QUIRE_OK)
			return rc;
		if (is_message(rep)) {
			*msg = strndup(rep->element[2]->str,
				       rep->element[2]->len);
			freeReplyObject(rep);
			return *msg ? QUIRE_OK : QUIRE_ENOMEM;
		}
		/* Subscribe confirmations and late pongs: nothing to say. */
		freeReplyObject(rep);
	}
}

int tier_redis_sub_ping(struct tier_redis *r, int timeout_ms)
{
	const char *argv[1];
	size_t argvlen[1];
	struct cmd c = { argv, argvlen, 0, 1 };
	redisReply *rep;
	long long deadline;
	int rc;

	if (!r || !r->subscribed)
		return QUIRE_EINVAL;
	if (tier_redis_broken(r))
		return QUIRE_EIO;
	cmd_adds(&c, "PING");
	if ((rc = sub_send(r, &c)) != QUIRE_OK)
		return rc;
	deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	for (;;) {
		rc = sub_next(r, deadline, &rep);
		if (rc == QUIRE_ETIMEOUT) {
			/* A pong that does not come is a dead peer (or a
			 * network that drops without a reset). */
			r->broken = 1;
			set_err(r, "no pong within %d ms", timeout_ms);
			return QUIRE_EIO;
		}
		if (rc != QUIRE_OK)
			return rc;
		/* In subscribed mode RESP2 answers PING with ["pong", ""]. */
		if (rep->type == REDIS_REPLY_ARRAY && rep->elements >= 1 &&
		    is_str(rep->element[0], "pong")) {
			freeReplyObject(rep);
			return QUIRE_OK;
		}
		if (is_message(rep)) {
			char *m = strndup(rep->element[2]->str,
					  rep->element[2]->len);

			if (!m || queue_push(r, m) != QUIRE_OK) {
				free(m);
				freeReplyObject(rep);
				return QUIRE_ENOMEM;
			}
		}
		freeReplyObject(rep);
	}
}
