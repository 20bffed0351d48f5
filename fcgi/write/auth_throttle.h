/*
 * auth_throttle.h - failed token attempts counted per client address,
 * across every process of the pool
 *
 * A guesser's connections land on every worker, so the count lives in
 * one anonymous shared mapping the master makes before its first fork
 * (as lib/metrics.c does): a fixed table of AUTH_THROTTLE_SLOTS
 * addresses, updated with atomic operations and no lock. Only the API
 * touches it; the pages never do. Counts are per fixed window: the
 * first failure of an address starts it, and once it holds the allowed
 * failures the address waits for the window's end (DESIGN §7).
 *
 * The table is bounded: when every slot an address may take holds a
 * window still open, the oldest is forgotten. Under races two processes
 * may count one failure on the wrong address or lose one; the bound on
 * guesses is approximate, never unbounded.
 */
#ifndef QUIRE_AUTH_THROTTLE_H
#define QUIRE_AUTH_THROTTLE_H

#include <stdint.h>

#include "lib/quire.h"

#define AUTH_THROTTLE_SLOTS 4096   /* addresses tracked at once (64 KB) */
#define AUTH_THROTTLE_PROBES 8     /* slots an address may take */

/* Maps the table and draws its hash key; call once, in the master,
 * before any fork. QUIRE_OK or QUIRE_ENOMEM; until it succeeds, every
 * call below counts nothing and throttles nothing. */
enum quire_err auth_throttle_init(void);

/*
 * The key of a client address (REMOTE_ADDR; NULL: ""): an IPv4 address
 * as it is (an IPv4-mapped IPv6 one too), an IPv6 address by its /64,
 * which one host commonly holds whole, anything else by its text. The
 * bytes are hashed with a random key of the table's, so no client can
 * choose addresses that share slots. Never 0.
 */
uint64_t auth_throttle_key(const char *addr);

/* Seconds of CLOCK_MONOTONIC, the same clock in every process. */
uint32_t auth_throttle_now(void);

/* How many seconds key must still wait at now (0: none): it has max or
 * more failures in a window of window seconds not yet over. max 0: 0. */
uint32_t auth_throttle_wait(uint64_t key, uint32_t max, uint32_t window,
			    uint32_t now);

/* Counts one failure of key at now. Returns the failures of its window
 * with this one (0 when there is no table). */
uint32_t auth_throttle_fail(uint64_t key, uint32_t window, uint32_t now);

#endif
