/*
 * tier_redis_workers.c - the registry of live workers in Redis
 *
 * PREFIX workers maps each worker's id to the generation it applied last
 * and when it said so ("GENERATION UNIX-SECONDS", tier_redis_codec.c):
 * a worker acks a generation it applied and beats now and then; a deploy
 * or a write batch reads who is alive and where they are, pruning the
 * entries too old to count. An ack is also published on the acks
 * channel, in the same round trip, for whoever waits on it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "lib/quire.h"
#include "tiers/tier_redis.h"
#include "tiers/tier_redis_codec.h"
#include "tiers/tier_redis_private.h"

#define WORKER_ID_MAX      256     /* bytes in a worker id */

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

static int worker_id_ok(const char *id)
{
	size_t n;

	if (!id)
		return 0;
	n = strnlen(id, WORKER_ID_MAX + 1);
	return n > 0 && n <= WORKER_ID_MAX;
}

/* HSET/HDEL-style command on the workers hash with an integer reply. */
static enum quire_err workers_command(struct tier_redis *r, struct redis_cmd *c,
				      const char *what)
{
	redisReply *rep = redis_command(r, c);
	enum quire_err rc = QUIRE_OK;

	if (!rep)
		return QUIRE_EIO;
	if (rep->type != REDIS_REPLY_INTEGER)
		rc = redis_fail_reply(r, rep, what);
	freeReplyObject(rep);
	return rc;
}

enum quire_err tier_redis_ack(struct tier_redis *r, const char *worker_id,
			      long long generation, int publish)
{
	char key[REDIS_KEY_MAX + 1], chan[REDIS_KEY_MAX + 1], val[48], gen[24];
	const char *argv[4];
	size_t argvlen[4], pending = 0;
	struct redis_cmd c = { argv, argvlen, 0, 4 };
	redisReply *rep;
	int i, n = publish ? 2 : 1;
	enum quire_err rc = QUIRE_OK;

	if (!worker_id_ok(worker_id))
		return QUIRE_EINVAL;
	if (tier_redis_broken(r) || r->subscribed)
		return QUIRE_EIO;
	/* Redis's time, not this host's: the entry is judged by it
	 * (tier_redis_workers), from any host whatever its clock says
	 * (DESIGN §13, "Clock skew"); seconds, as max_age is. */
	snprintf(val, sizeof(val), "%lld %lld", generation,
		 tier_redis_site_seconds(r));
	snprintf(gen, sizeof(gen), "%lld", generation);
	redis_cmd_adds(&c, "HSET");
	redis_cmd_add(&c, key, redis_key_fixed(r, "workers", key));
	redis_cmd_adds(&c, worker_id);
	redis_cmd_adds(&c, val);
	if ((rc = redis_pipe_append(r, &c, &pending)) != QUIRE_OK)
		return rc;
	if (publish) {
		/* Then told to whoever waits for it (tiers_wait_acks), in the
		 * same round trip: a waiter wakes for an acknowledgement
		 * instead of reading the registry again and again. */
		c.argc = 0;
		redis_cmd_adds(&c, "PUBLISH");
		redis_cmd_add(&c, chan, redis_key_fixed(r, "acks", chan));
		redis_cmd_adds(&c, gen);
		if ((rc = redis_pipe_append(r, &c, &pending)) != QUIRE_OK)
			return rc;
	}
	if ((rc = redis_pipe_flush(r)) != QUIRE_OK)
		return rc;
	/* Every reply is read, even after a bad one: the connection stays
	 * in step. */
	for (i = 0; i < n; i++) {
		enum quire_err got = redis_pipe_reply(r, &rep);

		if (got != QUIRE_OK)
			return got;
		if (rep->type != REDIS_REPLY_INTEGER && rc == QUIRE_OK)
			rc = redis_fail_reply(r, rep, i == 0 ? "ack" :
					      "publish ack");
		freeReplyObject(rep);
	}
	return rc;
}

enum quire_err tier_redis_forget(struct tier_redis *r, const char *worker_id)
{
	char key[REDIS_KEY_MAX + 1];
	const char *argv[3];
	size_t argvlen[3];
	struct redis_cmd c = { argv, argvlen, 0, 3 };

	if (!worker_id_ok(worker_id))
		return QUIRE_EINVAL;
	redis_cmd_adds(&c, "HDEL");
	redis_cmd_add(&c, key, redis_key_fixed(r, "workers", key));
	redis_cmd_adds(&c, worker_id);
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
static enum quire_err workers_prune(struct tier_redis *r, const redisReply *h,
				    const unsigned char *stale, size_t n_stale)
{
	char key[REDIS_KEY_MAX + 1];
	struct redis_cmd c;
	redisReply *rep;
	size_t i;
	enum quire_err rc;

	if ((rc = redis_cmd_init(&c, (int)(4 + 2 * n_stale))) != QUIRE_OK)
		return rc;
	redis_cmd_add(&c, "EVAL", 4);
	redis_cmd_add(&c, prune_script, strlen(prune_script));
	redis_cmd_adds(&c, "1");
	redis_cmd_add(&c, key, redis_key_fixed(r, "workers", key));
	for (i = 0; i + 1 < h->elements; i += 2)
		if (stale[i / 2]) {
			redis_cmd_add(&c, h->element[i]->str,
				      h->element[i]->len);
			redis_cmd_add(&c, h->element[i + 1]->str,
				      h->element[i + 1]->len);
		}
	rep = redis_command(r, &c);
	redis_cmd_release(&c);
	if (!rep)
		return QUIRE_EIO;
	rc = rep->type == REDIS_REPLY_INTEGER ? QUIRE_OK :
		redis_fail_reply(r, rep, "prune workers");
	freeReplyObject(rep);
	return rc;
}

enum quire_err tier_redis_workers(struct tier_redis *r, long long max_age,
				  struct tier_redis_worker **out, size_t *n)
{
	char key[REDIS_KEY_MAX + 1];
	const char *argv[2];
	size_t argvlen[2];
	struct redis_cmd c = { argv, argvlen, 0, 2 };
	struct tier_redis_worker *v = NULL;
	unsigned char *stale = NULL;
	redisReply *rep;
	long long now;
	size_t i, count = 0, n_stale = 0;
	enum quire_err rc;

	*out = NULL;
	*n = 0;
	/* Redis's clock, which every beat is stamped by (tier_redis_ack) */
	if ((rc = tier_redis_time(r, &now)) != QUIRE_OK)
		return rc;
	now /= 1000;
	redis_cmd_adds(&c, "HGETALL");
	redis_cmd_add(&c, key, redis_key_fixed(r, "workers", key));
	rep = redis_command(r, &c);
	if (!rep)
		return QUIRE_EIO;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements % 2) {
		rc = redis_fail_reply(r, rep, "list workers");
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
		    tier_redis_codec_worker_parse(val->str, val->len, &gen,
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
