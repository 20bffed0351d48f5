/*
 * tier_redis_pubsub.c - the invalidation and acks channels of Redis
 *
 * A deploy or a write publishes "GENERATION SLUG..." on the invalidation
 * channel (the payload is tier_redis_codec.c's); each worker's
 * subscriber receives it. A subscriber's socket has no timeout at all:
 * in hiredis 0.14 a read that times out sets ctx->err (EAGAIN as an I/O
 * error) and the subscribed context is dead. It is read only after
 * poll() says the fd is readable, so no read blocks, and a PING whose
 * pong does not come back in time says it is dead. The acks channel is
 * received the same way (acks are published by tier_redis_workers.c).
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "lib/quire.h"
#include "tiers/tier_redis.h"
#include "tiers/tier_redis_codec.h"
#include "tiers/tier_redis_private.h"

#define QUEUE_MAX          1024    /* messages kept while a PING waits */
#define SUB_DEFAULT_MS     5000    /* SUBSCRIBE's wait, at least */

static long long now_ms(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC cannot fail with a valid clock id; a zero time
	 * would only make a wait end early. */
	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		return 0;
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int is_str(const redisReply *rep, const char *s)
{
	return rep && rep->type == REDIS_REPLY_STRING &&
	       rep->len == strlen(s) && memcmp(rep->str, s, rep->len) == 0;
}

/* --------------------------------------------------------- publisher */

enum quire_err tier_redis_publish(struct tier_redis *r, long long generation,
				  const char *const *slugs, size_t n, int all,
				  long long *receivers)
{
	char key[REDIS_KEY_MAX + 1];
	const char *argv[3];
	size_t argvlen[3];
	struct redis_cmd c = { argv, argvlen, 0, 3 };
	redisReply *rep;
	char *payload;
	size_t len;
	enum quire_err rc;

	*receivers = 0;
	rc = tier_redis_codec_invalidation_format(generation, slugs, n, all,
						  &payload, &len);
	if (rc != QUIRE_OK) {
		redis_set_err(r, "%s: invalidation message",
			      quire_strerror(rc));
		return rc == QUIRE_ENOMEM ? QUIRE_ENOMEM : QUIRE_EINVAL;
	}
	redis_cmd_adds(&c, "PUBLISH");
	redis_cmd_add(&c, key, redis_key_fixed(r, "invalidate", key));
	redis_cmd_add(&c, payload, len);
	rep = redis_command(r, &c);
	free(payload);
	if (!rep)
		return QUIRE_EIO;
	if (rep->type == REDIS_REPLY_INTEGER) {
		*receivers = rep->integer;
		rc = QUIRE_OK;
	} else {
		rc = redis_fail_reply(r, rep, "publish");
	}
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
static enum quire_err sub_next(struct tier_redis *r, long long deadline,
			       redisReply **reply)
{
	*reply = NULL;
	for (;;) {
		struct pollfd pfd;
		void *p = NULL;
		long long left;
		int n;

		if (redisGetReplyFromReader(r->ctx, &p) != REDIS_OK)
			return redis_fail_io(r, "read");
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
			redis_set_err(r, "poll: %s", strerror(errno));
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
			return redis_fail_io(r, "read");
	}
}

/* ["message", CHANNEL, PAYLOAD] */
static int is_message(const redisReply *rep)
{
	return rep->type == REDIS_REPLY_ARRAY && rep->elements == 3 &&
	       is_str(rep->element[0], "message") &&
	       rep->element[2]->type == REDIS_REPLY_STRING;
}

static enum quire_err queue_push(struct tier_redis *r, char *msg)
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

static enum quire_err sub_send(struct tier_redis *r, const struct redis_cmd *c)
{
	if (redisAppendCommandArgv(r->ctx, c->argc, c->argv,
				   c->argvlen) != REDIS_OK)
		return redis_fail_io(r, c->argv[0]);
	return redis_pipe_flush(r);
}

enum quire_err tier_redis_subscribe(struct tier_redis *r, const char *channel)
{
	char key[REDIS_KEY_MAX + 1];
	const char *argv[2];
	size_t argvlen[2];
	struct redis_cmd c = { argv, argvlen, 0, 2 };
	struct timeval none = { 0, 0 };
	redisReply *rep;
	long long deadline;
	enum quire_err rc;

	if (tier_redis_broken(r))
		return QUIRE_EIO;
	if (r->subscribed)
		return QUIRE_EINVAL;
	/* No socket timeout on a subscribed context, whatever connect set:
	 * see the top of this file. */
	if (redisSetTimeout(r->ctx, none) != REDIS_OK)
		return redis_fail_io(r, "clear timeout");
	if (strcmp(channel, "invalidate") != 0 && strcmp(channel, "acks") != 0)
		return QUIRE_EINVAL;
	redis_cmd_adds(&c, "SUBSCRIBE");
	redis_cmd_add(&c, key, redis_key_fixed(r, channel, key));
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
			redis_set_err(r, "no answer to subscribe");
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
			rc = redis_fail_reply(r, rep, "subscribe");
			r->broken = 1;
			freeReplyObject(rep);
			return rc;
		}
		freeReplyObject(rep);
	}
}

enum quire_err tier_redis_wait(struct tier_redis *r, int timeout_ms, char **msg)
{
	redisReply *rep;
	long long deadline;
	enum quire_err rc;

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

enum quire_err tier_redis_sub_ping(struct tier_redis *r, int timeout_ms)
{
	const char *argv[1];
	size_t argvlen[1];
	struct redis_cmd c = { argv, argvlen, 0, 1 };
	redisReply *rep;
	long long deadline;
	enum quire_err rc;

	if (!r || !r->subscribed)
		return QUIRE_EINVAL;
	if (tier_redis_broken(r))
		return QUIRE_EIO;
	redis_cmd_adds(&c, "PING");
	if ((rc = sub_send(r, &c)) != QUIRE_OK)
		return rc;
	deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	for (;;) {
		rc = sub_next(r, deadline, &rep);
		if (rc == QUIRE_ETIMEOUT) {
			/* A pong that does not come is a dead peer (or a
			 * network that drops without a reset). */
			r->broken = 1;
			redis_set_err(r, "no pong within %d ms", timeout_ms);
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
