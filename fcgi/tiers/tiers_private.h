/*
 * tiers_private.h - what tiers.c lends tiers_store.c
 *
 * The writer's side of the tiers (tiers_store.c) keeps its state in the
 * handle that tiers.c owns: this is its way in. Internal to the tiers
 * layer: nothing else includes it. tiers.c never calls tiers_store.c
 * (no circle): it frees the state with the function it was handed.
 */
#ifndef QUIRE_TIERS_PRIVATE_H
#define QUIRE_TIERS_PRIVATE_H

struct config;
struct tier_redis;
struct tiers;
struct tiers_owed;

/* The configuration t was made with. */
const struct config *tiers_cfg(const struct tiers *t);
/* What tiers_store.c keeps in t: NULL until it sets it; tiers_free
 * frees it with release. */
struct tiers_owed *tiers_owed_of(const struct tiers *t);
void tiers_owed_set(struct tiers *t, struct tiers_owed *o,
		    void (*release)(struct tiers_owed *));
/* tiers_redis, tried now whatever the back-off: for a writer that owes
 * Redis and tries again at its own pace (tiers_repair), not at the
 * read path's. */
struct tier_redis *tiers_redis_now(struct tiers *t);
/* Whether t holds a Redis connection that broke (closed by the server,
 * a timeout, a protocol error) and is not dropped yet. */
int tiers_redis_broke(const struct tiers *t);

#endif
