/*
 * tiers_private.h - what tiers.c lends tiers_store.c
 *
 * The writer's side of the tiers (tiers_store.c) keeps its state in the
 * handle that tiers.c owns: this is its way in. Internal to the tiers
 * layer: nothing else includes it.
 */
#ifndef QUIRE_TIERS_PRIVATE_H
#define QUIRE_TIERS_PRIVATE_H

struct config;
struct tiers;
struct tiers_owed;

/* The configuration t was made with. */
const struct config *tiers_cfg(const struct tiers *t);
/* What tiers_store.c keeps in t: NULL until it sets it. It must be one
 * allocation (tiers_free frees it with free()). */
struct tiers_owed *tiers_owed_of(const struct tiers *t);
void tiers_owed_set(struct tiers *t, struct tiers_owed *o);

#endif
