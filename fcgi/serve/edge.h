/*
 * edge.h - nginx's fastcgi_cache above the workers, and a CDN's purges
 *
 * With --edge-purge nginx keeps the pages a worker marks (X-Accel-
 * Expires) and the host's workers purge them, by exact key through the
 * purge module's socket, before they acknowledge a change. Every worker
 * logs the keys it had kept to the host's key log, so each knows what
 * any worker of the host had kept (DESIGN §6, "The edge cache"). With
 * --cdn-purge-hook, a command is run with the surrogate keys and paths a
 * change touches, before the acknowledgement too. One struct edge a
 * worker, used by its request loop alone.
 */
#ifndef QUIRE_EDGE_H
#define QUIRE_EDGE_H

#include <stddef.h>

#include "content/site.h"
#include "lib/config.h"
#include "lib/quire.h"
#include "serve/touch.h"

/* Past this the key log takes no more keys (DESIGN §6). */
#define EDGE_LOG_MAX (64L * 1024 * 1024)
/* A kept key, and the L1 key it stands for, are at most this long. */
#define EDGE_KEY_MAX 1024
/* How long one purge request, and the hook, may take (ms). */
#define EDGE_PURGE_TIMEOUT_MS 2000
#define EDGE_HOOK_TIMEOUT_MS 30000

struct edge;

/* A worker's edge state for cfg (borrowed, must outlive it): NULL in
 * *out when neither --edge-purge nor --cdn-purge-hook is set. QUIRE_OK,
 * QUIRE_ENOMEM, or QUIRE_EIO when the key log cannot be opened. */
enum quire_err edge_open(const struct config *cfg, struct edge **out);
void edge_free(struct edge *e);

/* Whether nginx's cache is on (--edge-purge). */
int edge_caching(const struct edge *e);

/*
 * Logs that nginx is about to keep the response for key (nginx's cache
 * key, QUIRE_EDGE_KEY) standing for l1key (the L1's key of the page).
 * Returns 1 when logged — the caller then marks the response, and calls
 * edge_stored once nginx closed it: till then it is in flight — or 0
 * (a key too long or with a control byte, the log full or locked by a
 * purge now): the response is then sent unmarked, never kept.
 */
int edge_note(struct edge *e, const char *key, const char *l1key);

/* The response edge_note marked was closed by nginx (stored): no longer
 * in flight, so a fresh worker may start a new round of the log. */
void edge_stored(struct edge *e);

/*
 * Adds to what is owed the keys the update t describes touches (every
 * key when t->everything; t, against the index the pages were made
 * from, else): nginx's kept keys, and the hook's surrogate keys and
 * paths. Out of memory, everything is owed. Call edge_flush after.
 */
void edge_touch(struct edge *e, const struct touch *t);

/* Owes every key in the log, then a new round of it, once no marked
 * response is in flight (a fresh worker, DESIGN §6), and the hook
 * "quire", everything: edge_flush does it. */
void edge_touch_all(struct edge *e);

/*
 * Purges what is owed: nginx's keys (answered 200 or 404: done), then
 * the hook. QUIRE_OK when nothing is owed any more, else QUIRE_EIO (what
 * failed stays owed, for the next call).
 */
enum quire_err edge_flush(struct edge *e);

/* Whether something may be owed: edge_flush has work. */
int edge_owes(const struct edge *e);

#endif
