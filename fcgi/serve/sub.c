/*
 * sub.c - a worker's invalidation subscriber thread
 *
 * Two Redis connections: one subscribed (no socket timeout on it: in
 * hiredis 0.14 a timeout poisons a subscribed context, so tier_redis_wait
 * polls instead and a PING after a quiet second tells a dead link), and
 * the tiers handle for everything else. A lost connection is dropped and
 * made again with back-off.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/quire.h"
#include "lib/site_clock.h"
#include "serve/sub.h"
#include "tiers/tier_redis.h"
#include "tiers/tier_redis_codec.h"
#include "tiers/tiers.h"

#define SUB_WAIT_MS 1000          /* quiet this long: PING */
#define SUB_PING_MS 1000
#define SUB_CHECK_EVERY_S 5       /* compare the generation key */
#define SUB_BEAT_EVERY_S 2        /* tell the registry we are alive */
#define SUB_BACKOFF_MAX_MS 5000
#define SUB_EDGE_WAIT_MS 2000     /* for the loop's purge, then ack what is */
/* At most one reload this often for messages of a later format: a
 * newer writer may publish a message a batch. */
#define SUB_UNKNOWN_RELOAD_MS 1000
#define SUB_RELOAD_RETRY_MS 1000  /* a reload owed, tried again after */

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

void sub_update_free(struct sub_update *u)
{
	size_t i;

	if (!u)
		return;
	content_free(u->all);
	for (i = 0; i < u->n_posts; i++)
		post_free(u->posts[i]);
	free(u->posts);
	for (i = 0; i < u->n_gone; i++)
		free(u->gone[i]);
	free(u->gone);
	free(u);
}

long long sub_ack_gen(struct sub *s)
{
	long long purged;

	if (s->wake_fd < 0)
		return s->applied;
	purged = atomic_load(&s->purged);
	return purged < s->applied ? purged : s->applied;
}

/* Wakes the request loop (edge cache): it applies and purges. */
static void wake_loop(struct sub *s)
{
	uint64_t one = 1;

	/* The epoch makes a busy loop look before its next request; the
	 * eventfd wakes an idle one. */
	atomic_fetch_add(&s->epoch, 1);
	if (s->wake_fd >= 0 && write(s->wake_fd, &one, sizeof(one)) < 0 &&
	    errno != EAGAIN)
		log_msg(LOG_LEVEL_WARN, "edge", "cannot wake the loop: %s",
			strerror(errno));
}

/* With the edge cache: wakes the loop and waits, at most
 * SUB_EDGE_WAIT_MS, until it purged nginx for gen (DESIGN §6); for
 * exactly gen when back is set (a reload to a lower generation, below):
 * a purge the loop finishes meanwhile for the higher generation it
 * applied before says nothing of this one. */
static void wait_purged(struct sub *s, long long gen, int back)
{
	double deadline = quire_now_ms() + SUB_EDGE_WAIT_MS;
	long long p;

	if (s->wake_fd < 0)
		return;
	wake_loop(s);
	while (!atomic_load(&s->stop) && quire_now_ms() < deadline) {
		p = atomic_load(&s->purged);
		if (back ? p == gen : p >= gen)
			break;
		sleep_ms(1);
	}
}

/* Queues u, bumps the epoch, then acknowledges: in that order; with the
 * edge cache, once the loop applied u and purged nginx for it. */
static void publish(struct sub *s, struct tiers *t, struct sub_update *u)
{
	long long gen = u->generation;
	int back = gen < s->applied;

	/* Going back (PostgreSQL restored, check_generation): what was
	 * purged for the higher generation is not purged for this one. */
	if (back)
		atomic_store(&s->purged, 0);
	pthread_mutex_lock(&s->lock);
	if (s->tail)
		s->tail->next = u;
	else
		s->head = u;
	s->tail = u;
	pthread_mutex_unlock(&s->lock);
	atomic_fetch_add(&s->epoch, 1);
	s->applied = gen;
	wait_purged(s, gen, back);
	s->edge_acked = sub_ack_gen(s);
	tiers_ack(t, s->worker_id, s->edge_acked);
}

/* The worker holds what Redis names, as of now: the lease starts again.
 * Not while a change it was told of is not applied: that is the
 * generation comparison's to bring about (reload_all clears it). */
static void confirm(struct sub *s)
{
	if (!s->unapplied)
		atomic_store(&s->confirmed_ms, quire_now_ms());
}

static void reload_failed(struct sub *s)
{
	s->unapplied = 1;
	log_msg(LOG_LEVEL_WARN, "invalidate", "reload failed; will retry");
}

double sub_unconfirmed_ms(const struct sub *s)
{
	if (!s || !s->running)
		return 0;
	return quire_now_ms() - atomic_load(&s->confirmed_ms);
}

static enum quire_err reload_all(struct sub *s, struct tiers *t)
{
	struct sub_update *u = calloc(1, sizeof(*u));
	double t0 = quire_now_ms();

	if (!u)
		return QUIRE_ENOMEM;
	if (tiers_load(t, &u->all, &u->generation) != QUIRE_OK) {
		free(u);
		s->reload_owed = 1;
		return QUIRE_EIO;
	}
	s->reload_owed = 0;
	s->unapplied = 0;
	log_msg(LOG_LEVEL_INFO, "invalidate", "generation=%lld full reload "
		"posts=%zu load_ms=%.1f", u->generation, u->all->n,
		quire_now_ms() - t0);
	publish(s, t, u);
	return QUIRE_OK;
}

/* Fetches the new versions of slugs and queues them. */
static enum quire_err apply_slugs(struct sub *s, struct tiers *t, long long gen,
				  char **slugs, size_t n)
{
	struct sub_update *u;
	struct record **recs = NULL;
	size_t i;
	enum quire_err rc = QUIRE_ENOMEM;

	u = calloc(1, sizeof(*u));
	if (!u)
		return QUIRE_ENOMEM;
	u->generation = gen;
	if (tiers_index_many(t, (const char *const *)slugs, n, &recs) != QUIRE_OK) {
		rc = QUIRE_EIO;
		goto out;
	}
	u->posts = calloc(n ? n : 1, sizeof(*u->posts));
	u->gone = calloc(n ? n : 1, sizeof(*u->gone));
	if (!u->posts || !u->gone)
		goto out;
	for (i = 0; i < n; i++) {
		if (recs[i] && record_to_post(recs[i], &u->posts[u->n_posts]) == QUIRE_OK) {
			u->n_posts++;
			continue;
		}
		if (!(u->gone[u->n_gone] = strdup(slugs[i])))
			goto out;
		u->n_gone++;
	}
	log_msg(LOG_LEVEL_INFO, "invalidate", "generation=%lld changed=%zu gone=%zu",
		gen, u->n_posts, u->n_gone);
	publish(s, t, u);
	u = NULL;
	rc = QUIRE_OK;
out:
	record_array_free(recs, n);
	sub_update_free(u);
	return rc;
}

static void handle_message(struct sub *s, struct tiers *t, const char *msg)
{
	long long gen;
	char **slugs = NULL;
	size_t n = 0;
	int all = 0;
	enum quire_err rc;

	rc = tier_redis_codec_invalidation_parse(msg, &gen, &slugs, &n, &all);
	/* A later format (a newer host's writer, DESIGN §5): what changed
	 * cannot be read, so everything is read again, from the tiers. */
	if (rc == QUIRE_EVERSION) {
		if (!s->unknown_due)
			log_msg(LOG_LEVEL_WARN, "invalidate", "a message of a "
				"later format: reloading");
		s->unknown_due = 1;
		return;
	}
	if (rc != QUIRE_OK) {
		log_msg(LOG_LEVEL_WARN, "invalidate", "malformed message ignored");
		return;
	}
	/* Already held: loaded from PostgreSQL, which commits before the
	 * writer updates Redis and publishes, this worker may hold gen yet
	 * have cached a page built from an older Redis copy of a post. The
	 * posts named are applied again (read anew, their pages marked
	 * stale), under the generation held. */
	if (gen <= s->applied) {
		if (!all && n && apply_slugs(s, t, s->applied, slugs, n) != QUIRE_OK)
			log_msg(LOG_LEVEL_WARN, "invalidate", "generation=%lld "
				"(held) not applied again", gen);
		goto out;
	}
	/* A gap (a message we missed) or "*": the slugs are not enough. */
	if (all || gen != s->applied + 1) {
		if (reload_all(s, t) != QUIRE_OK)
			reload_failed(s);
	} else if (apply_slugs(s, t, gen, slugs, n) != QUIRE_OK) {
		if (reload_all(s, t) != QUIRE_OK)
			reload_failed(s);
	}
out:
	quire_strings_free(slugs, n);
}

/* The reload messages of a later format asked for, at most once every
 * SUB_UNKNOWN_RELOAD_MS; one that fails is tried again at the next. */
static void reload_unknown(struct sub *s, struct tiers *t)
{
	double now = quire_now_ms();

	if (!s->unknown_due || (s->unknown_at > 0 &&
				now - s->unknown_at < SUB_UNKNOWN_RELOAD_MS))
		return;
	s->unknown_at = now;
	if (reload_all(s, t) == QUIRE_OK)
		s->unknown_due = 0;
}

/*
 * Compares the generation key with what was applied; reloads on a
 * mismatch (a message published while we were cut off is not lost).
 * Just subscribed, any mismatch is one. Subscribed all along, a key
 * ahead is most often a message in flight: the committer and quirectl
 * set the key before they publish, so under a stream of writes the key
 * is ahead at many a comparison, and reloading every post then (seconds
 * on a big site) made a write wait past its acknowledgement timeout
 * (tests/bench/write, test_sub_inflight.sh). It is missed only if it is
 * still not applied at the next comparison.
 * Returns 1 when the comparison confirmed what the worker holds (the
 * lease, DESIGN §13), 0 when the generation could not be read or a
 * reload it called for failed.
 */
static int check_generation(struct sub *s, struct tiers *t,
			     int just_subscribed)
{
	long long gen;
	int keyed;

	/* Just subscribed, what was published while cut off is unknown
	 * until a comparison succeeds: no confirming until then. */
	if (tiers_generation_keyed(t, &gen, &keyed) != QUIRE_OK) {
		if (just_subscribed)
			s->unapplied = 1;
		return 0;
	}
	if (gen == s->applied) {
		s->ahead = 0;
		tiers_ack(t, s->worker_id, sub_ack_gen(s));
		s->unapplied = 0;
		return 1;
	}
	/* Behind what this worker holds: it was loaded from PostgreSQL
	 * after a writer committed but Redis did not take the store (the
	 * key then stays behind until Redis holds what it would name,
	 * DESIGN §6), or applied a message whose store could not move the
	 * key. Reloading from PostgreSQL, every 5 s or at every
	 * resubscription, would change nothing; but a key behind cannot
	 * tell a message missed meanwhile either: PostgreSQL's generation,
	 * the truth, is compared instead. Behind as well, it went back. */
	if (gen < s->applied &&
	    (tiers_generation_truth(t, &gen) != QUIRE_OK || gen == s->applied)) {
		s->ahead = 0;
		tiers_beat(t, s->worker_id, sub_ack_gen(s));
		s->unapplied = 0;
		return 1;
	}
	/* PostgreSQL behind what was applied: every generation a worker
	 * applies was committed there first, so PostgreSQL went back,
	 * restored from an older backup (DESIGN §6, "Restores"), and this
	 * worker holds the history the restore took back. With Redis's key
	 * behind too nothing else will tell it (a restore made while Redis
	 * knew neither this worker nor its generation, the coherence
	 * checker's seed 1201): the whole site is loaded from PostgreSQL,
	 * under its lower generation, by the reload below. */
	if (gen < s->applied)
		log_msg(LOG_LEVEL_WARN, "invalidate", "postgresql at generation "
			"%lld, behind the %lld this worker applied: restored "
			"from a backup; reloading", gen, s->applied);
	/* Ahead by Redis's key alone: no key (dropped by a restore whose
	 * rewrite failed, flushed) and PostgreSQL ahead is nothing on its
	 * way, and waiting a second comparison for it served what a
	 * restore took back 5-10 s (the coherence checker, seed 1405). */
	if (!just_subscribed && keyed && gen > s->applied &&
	    (s->ahead == 0 || s->applied >= s->ahead)) {
		s->ahead = gen;
		tiers_beat(t, s->worker_id, sub_ack_gen(s));
		return 1; /* in flight; an earlier failure still stands */
	}
	if (gen > s->applied)
		log_msg(LOG_LEVEL_INFO, "invalidate", "generation key %lld, "
			"applied %lld: reloading", gen, s->applied);
	s->ahead = 0;
	if (reload_all(s, t) != QUIRE_OK) {
		s->unapplied = 1;
		return 0;
	}
	return 1;
}

/* A whole reload owed (one failed, or the worker serves the files or a
 * site no tier has confirmed), tried once a second whatever the tiers'
 * own back-off (up to 5 s): the model's bound is 5 s after a heal
 * (DESIGN §13). From PostgreSQL when Redis is down. */
static void reload_owed_try(struct sub *s, struct tiers *t, double *last)
{
	if (!s->reload_owed || atomic_load(&s->stop) ||
	    quire_now_ms() - *last < SUB_RELOAD_RETRY_MS)
		return;
	*last = quire_now_ms();
	tiers_try_now(t);
	reload_all(s, t);
}

enum quire_err sub_measure_clock(struct tiers *t)
{
	long long offset;
	enum quire_err rc = tiers_clock_offset(t, &offset);

	if (rc != QUIRE_OK)
		return rc;
	site_clock_store(offset);
	return QUIRE_OK;
}

time_t sub_site_time(const struct sub *s)
{
	long long ms, offset;

	if (!s || !s->running || !site_clock_load(&offset))
		return time(NULL);
	ms = (long long)quire_now_ms() + offset;
	/* floor: a date is due from its first millisecond on */
	return (time_t)(ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000));
}

static void *sub_main(void *arg)
{
	struct sub *s = arg;
	struct tiers *t = tiers_new(s->cfg);
	struct tier_redis *r = NULL;
	char err[256], *msg;
	/* quire_now_ms, monotonic: a host's clock stepped back would
	 * stop the beats and the comparisons until it caught up */
	double last_check = 0, last_beat = 0, now;
	double last_reload_try = 0;
	long backoff = 0;
	int lost = 0;
	enum quire_err rc;

	if (!t)
		return NULL;
	tiers_use_floor(t, s->floor);
	while (!atomic_load(&s->stop)) {
		if (!r) {
			/* A timeout to connect; tier_redis_subscribe clears it
			 * for the subscribed context. */
			if (tier_redis_connect(s->cfg->redis_url, s->cfg->redis_prefix,
					       1000, &r, err, sizeof(err)) != QUIRE_OK ||
			    tier_redis_subscribe(r, "invalidate") != QUIRE_OK) {
				if (r)
					snprintf(err, sizeof(err), "%s", tier_redis_error(r));
				log_msg(LOG_LEVEL_WARN, "subscribe", "%s; retrying", err);
				tier_redis_close(r);
				r = NULL;
				backoff = backoff ? backoff * 2 : 100;
				if (backoff > SUB_BACKOFF_MAX_MS)
					backoff = SUB_BACKOFF_MAX_MS;
				/* Redis down, PostgreSQL may answer: a reload
				 * owed is not left until Redis is back. */
				reload_owed_try(s, t, &last_reload_try);
				sleep_ms(s->reload_owed && backoff > SUB_RELOAD_RETRY_MS ?
					 SUB_RELOAD_RETRY_MS : backoff);
				continue;
			}
			backoff = 0;
			log_msg(LOG_LEVEL_INFO, "subscribe", "subscribed");
			/* Subscribed again after a loss: the other connection,
			 * idle meanwhile, may be to a Redis that restarted, and
			 * would fail the comparison and the acknowledgement
			 * below (the worker then missing from the registry). */
			if (lost)
				tiers_redis_drop(t);
			lost = 0;
			/* first: the acknowledgement below is stamped by it */
			(void)sub_measure_clock(t);
			if (check_generation(s, t, 1))
				confirm(s);
			last_check = last_beat = quire_now_ms();
		}
		msg = NULL;
		rc = tier_redis_wait(r, SUB_WAIT_MS, &msg);
		/* A message, or a PING answered, proves the subscription
		 * alive: whatever was published before it reached us. */
		if (rc == QUIRE_OK) {
			handle_message(s, t, msg);
			free(msg);
			confirm(s);
		} else if (rc == QUIRE_ETIMEOUT) {
			if (tier_redis_sub_ping(r, SUB_PING_MS) != QUIRE_OK)
				rc = QUIRE_EIO;
			else
				confirm(s);
		}
		if (rc == QUIRE_EIO) {
			log_msg(LOG_LEVEL_WARN, "subscribe", "connection lost; reconnecting");
			tier_redis_close(r);
			r = NULL;
			lost = 1;
			continue;
		}
		reload_unknown(s, t);
		reload_owed_try(s, t, &last_reload_try);
		/* A purge that failed is tried again about every second;
		 * the next beat acknowledges what it brought. */
		if (s->wake_fd >= 0) {
			if (atomic_load(&s->purged) < s->applied)
				wake_loop(s);
			else if (s->edge_acked < s->applied) {
				tiers_ack(t, s->worker_id, s->applied);
				s->edge_acked = s->applied;
			}
		}
		now = quire_now_ms();
		if (now - last_check >= SUB_CHECK_EVERY_S * 1000.0) {
			(void)sub_measure_clock(t);
			if (check_generation(s, t, 0))
				confirm(s);
			last_check = last_beat = now;
		} else if (now - last_beat >= SUB_BEAT_EVERY_S * 1000.0) {
			(void)sub_measure_clock(t);
			tiers_beat(t, s->worker_id, sub_ack_gen(s));
			last_beat = now;
		}
	}
	tiers_forget(t, s->worker_id);
	tier_redis_close(r);
	tiers_free(t);
	return NULL;
}

void sub_worker_id(char *out, size_t n)
{
	char host[64];

	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(out, n, "%s:%ld", host, (long)getpid());
}

enum quire_err sub_start(struct sub *s, const struct config *cfg,
			 struct tiers_floor *floor, long long generation,
			 int owed, int wake_fd, long long purged)
{
	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	s->floor = floor;
	s->wake_fd = wake_fd;
	atomic_init(&s->purged, purged);
	s->applied = generation;
	s->reload_owed = owed;
	atomic_init(&s->epoch, 0);
	atomic_init(&s->stop, 0);
	/* Loaded from the tiers just now: the lease starts here. */
	atomic_init(&s->confirmed_ms, quire_now_ms());
	sub_worker_id(s->worker_id, sizeof(s->worker_id));
	if (pthread_mutex_init(&s->lock, NULL) != 0)
		return QUIRE_EIO;
	if (pthread_create(&s->thread, NULL, sub_main, s) != 0) {
		pthread_mutex_destroy(&s->lock);
		return QUIRE_EIO;
	}
	s->running = 1;
	return QUIRE_OK;
}

struct sub_update *sub_take(struct sub *s)
{
	struct sub_update *u;

	pthread_mutex_lock(&s->lock);
	u = s->head;
	s->head = s->tail = NULL;
	pthread_mutex_unlock(&s->lock);
	return u;
}

void sub_stop(struct sub *s)
{
	struct sub_update *u, *next;

	if (!s->running)
		return;
	atomic_store(&s->stop, 1);
	pthread_join(s->thread, NULL);
	for (u = sub_take(s); u; u = next) {
		next = u->next;
		sub_update_free(u);
	}
	pthread_mutex_destroy(&s->lock);
	s->running = 0;
}
