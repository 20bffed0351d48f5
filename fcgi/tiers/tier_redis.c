/*
 * tier_redis.c - the connection to Redis, and the commands that go over it
 *
 * The Redis tier is four files over one connection (struct tier_redis,
 * tier_redis_private.h): this one connects, builds argv and key names and
 * sends commands and pipelines; tier_redis_cache.c reads and writes the
 * posts, the index and the generation; tier_redis_workers.c keeps the
 * registry of live workers; tier_redis_pubsub.c publishes and receives on
 * the invalidation and acks channels. Only these include hiredis (0.14
 * on Debian 12: RESP2, blocking contexts, no connect options). Every
 * command goes out as argv, so sources and html with any bytes in them
 * are sent as they are; what has a format of its own (URLs, index
 * entries, messages) is built and parsed in tier_redis_codec.c, which a
 * test can feed bytes.
 *
 * Two kinds of context come out of tier_redis_connect:
 *  - a command context, with redisSetTimeout(timeout_ms) so that a hung
 *    Redis costs a request at most that long;
 *  - a subscriber (after tier_redis_subscribe), whose socket has no
 *    timeout at all (see tier_redis_pubsub.c).
 * Once a context failed at the connection level (ctx->err) it is only
 * closed: tier_redis_broken() tells the caller so.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>

#include "lib/quire.h"
#include "tiers/tier_redis.h"
#include "tiers/tier_redis_codec.h"
#include "tiers/tier_redis_private.h"

#define DEFAULT_PREFIX     "quire:"
#define PIPE_FLUSH_BYTES   (1024 * 1024) /* write out a pipeline this often */

void redis_set_err(struct tier_redis *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
}

/* A connection-level failure: remember it and say why. */
enum quire_err redis_fail_io(struct tier_redis *r, const char *what)
{
	r->broken = 1;
	redis_set_err(r, "%s: %s",
		      r->ctx && r->ctx->errstr[0] ? r->ctx->errstr :
		      "connection lost", what);
	return QUIRE_EIO;
}

/* An error reply from the server: the connection is fine. */
enum quire_err redis_fail_reply(struct tier_redis *r, const redisReply *rep,
				const char *what)
{
	if (rep && rep->type == REDIS_REPLY_ERROR)
		redis_set_err(r, "%.*s: %s",
			      (int)(rep->len > 160 ? 160 : rep->len),
			      rep->str, what);
	else
		redis_set_err(r, "unexpected reply (type %d): %s",
			      rep ? rep->type : -1, what);
	return QUIRE_EIO;
}

/* ------------------------------------------------------------- argv */

enum quire_err redis_cmd_init(struct redis_cmd *c, int cap)
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

void redis_cmd_release(struct redis_cmd *c)
{
	free(c->argv);
	free(c->argvlen);
	c->argv = NULL;
	c->argvlen = NULL;
}

/* The caller sizes cap for what it adds; past it is a bug, not input. */
void redis_cmd_add(struct redis_cmd *c, const char *s, size_t len)
{
	if (c->argc >= c->cap)
		abort();
	c->argv[c->argc] = s;
	c->argvlen[c->argc] = len;
	c->argc++;
}

void redis_cmd_adds(struct redis_cmd *c, const char *s)
{
	redis_cmd_add(c, s, strlen(s));
}

/* ------------------------------------------------------------- keys */

/* PREFIX NAME into key; NAME is short and fixed, so it always fits. */
size_t redis_key_fixed(const struct tier_redis *r, const char *name,
		       char *key)
{
	size_t n = strlen(name);

	memcpy(key, r->prefix, r->prefix_len);
	memcpy(key + r->prefix_len, name, n + 1);
	return r->prefix_len + n;
}

/* -------------------------------------------------- commands, pipelines */

/* One command and its reply; NULL when the connection failed (r is then
 * broken) or the context is not usable for commands. */
redisReply *redis_command(struct tier_redis *r, const struct redis_cmd *c)
{
	redisReply *rep;

	/* Keep the message that broke it: that is the one worth logging. */
	if (tier_redis_broken(r)) {
		if (!r->err[0])
			redis_set_err(r, "connection is broken: %s",
				      c->argv[0]);
		return NULL;
	}
	if (r->subscribed) {
		redis_set_err(r, "subscribed context takes no %s", c->argv[0]);
		return NULL;
	}
	rep = redisCommandArgv(r->ctx, c->argc, c->argv, c->argvlen);
	if (!rep)
		redis_fail_io(r, c->argv[0]);
	return rep;
}

enum quire_err redis_pipe_flush(struct tier_redis *r)
{
	int done = 0;

	while (!done)
		if (redisBufferWrite(r->ctx, &done) != REDIS_OK)
			return redis_fail_io(r, "write");
	return QUIRE_OK;
}

/* Queues c; writes the pipeline out every PIPE_FLUSH_BYTES so that a
 * large deploy does not build one huge output buffer. */
enum quire_err redis_pipe_append(struct tier_redis *r,
				 const struct redis_cmd *c, size_t *pending)
{
	int i;

	if (redisAppendCommandArgv(r->ctx, c->argc, c->argv,
				   c->argvlen) != REDIS_OK)
		return redis_fail_io(r, c->argv[0]);
	for (i = 0; i < c->argc; i++)
		*pending += c->argvlen[i];
	if (*pending >= PIPE_FLUSH_BYTES) {
		*pending = 0;
		return redis_pipe_flush(r);
	}
	return QUIRE_OK;
}

enum quire_err redis_pipe_reply(struct tier_redis *r, redisReply **rep)
{
	void *p = NULL;

	*rep = NULL;
	if (redisGetReply(r->ctx, &p) != REDIS_OK || !p)
		return redis_fail_io(r, "reply");
	*rep = p;
	return QUIRE_OK;
}

int redis_is_status(const redisReply *rep, const char *s)
{
	return rep && rep->type == REDIS_REPLY_STATUS &&
	       rep->len == strlen(s) && memcmp(rep->str, s, rep->len) == 0;
}

/* --------------------------------------------------------- lifecycle */

static enum quire_err auth_and_select(struct tier_redis *r,
				      const struct tier_redis_url *u)
{
	struct redis_cmd c;
	redisReply *rep;
	char db[16];
	const char *argv[3];
	size_t argvlen[3];
	enum quire_err rc = QUIRE_OK;

	c.argv = argv;
	c.argvlen = argvlen;
	c.cap = 3;
	if (u->password[0]) {
		c.argc = 0;
		redis_cmd_adds(&c, "AUTH");
		if (u->user[0])
			redis_cmd_adds(&c, u->user);
		redis_cmd_adds(&c, u->password);
		rep = redis_command(r, &c);
		if (!rep)
			return QUIRE_EIO;
		if (!redis_is_status(rep, "OK"))
			rc = redis_fail_reply(r, rep, "auth");
		freeReplyObject(rep);
		if (rc != QUIRE_OK)
			return rc;
	}
	if (u->db) {
		snprintf(db, sizeof(db), "%d", u->db);
		c.argc = 0;
		redis_cmd_adds(&c, "SELECT");
		redis_cmd_adds(&c, db);
		rep = redis_command(r, &c);
		if (!rep)
			return QUIRE_EIO;
		if (!redis_is_status(rep, "OK"))
			rc = redis_fail_reply(r, rep, "select");
		freeReplyObject(rep);
	}
	return rc;
}

enum quire_err tier_redis_connect(const char *url, const char *prefix,
				  int timeout_ms, struct tier_redis **out,
				  char *err, size_t errsz)
{
	struct tier_redis_url u;
	struct tier_redis *r = NULL;
	struct timeval tv;
	size_t plen;
	enum quire_err rc = QUIRE_EINVAL;

	*out = NULL;
	if (err && errsz)
		err[0] = '\0';
	if (!prefix)
		prefix = DEFAULT_PREFIX;
	plen = strnlen(prefix, TIER_REDIS_MAX_PREFIX + 1);
	if (tier_redis_codec_url_parse(url, &u) != QUIRE_OK) {
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
		redis_set_err(r, "cannot allocate a redis context");
		goto out;
	}
	rc = QUIRE_EIO;
	if (r->ctx->err) {
		redis_set_err(r, "%s: connect to '%s'", r->ctx->errstr,
			      u.is_unix ? u.socket : u.host);
		goto out;
	}
	if (timeout_ms && redisSetTimeout(r->ctx, tv) != REDIS_OK) {
		redis_fail_io(r, "set timeout");
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
	free(r->generation_sha);
	free(r->index_sha);
	free(r->refresh_sha);
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
