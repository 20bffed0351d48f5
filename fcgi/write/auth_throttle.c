/*
 * auth_throttle.c - failed token attempts per client address, shared by
 * the pool
 */
#include <arpa/inet.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <sodium.h>

#include "lib/quire.h"
#include "write/auth_throttle.h"

_Static_assert((AUTH_THROTTLE_SLOTS & (AUTH_THROTTLE_SLOTS - 1)) == 0,
	       "AUTH_THROTTLE_SLOTS is a power of two");

/* An address's window: its start (seconds) in the high half of state,
 * its failures in the low; one word, so one CAS updates both. */
struct slot {
	_Atomic uint64_t key;    /* 0: free */
	_Atomic uint64_t state;
};

/* Set in the master before any fork: every process reads the same. */
static struct slot *table;
static unsigned char hash_key[crypto_shorthash_KEYBYTES];

#define STATE(start, n) (((uint64_t)(start) << 32) | (uint32_t)(n))
#define START(s) ((uint32_t)((s) >> 32))
#define FAILS(s) ((uint32_t)(s))

enum quire_err auth_throttle_init(void)
{
	void *p;

	if (table)
		return QUIRE_OK;
	if (sodium_init() < 0)
		return QUIRE_ENOMEM;
	p = mmap(NULL, AUTH_THROTTLE_SLOTS * sizeof(struct slot),
		 PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return QUIRE_ENOMEM;
	crypto_shorthash_keygen(hash_key);
	table = p; /* mmap zero-fills: every slot free */
	return QUIRE_OK;
}

uint64_t auth_throttle_key(const char *addr)
{
	unsigned char bytes[64], out[crypto_shorthash_BYTES];
	struct in6_addr a6;
	struct in_addr a4;
	size_t len;
	uint64_t k;

	if (!addr)
		addr = "";
	if (inet_pton(AF_INET, addr, &a4) == 1) {
		memcpy(bytes, &a4, 4);
		len = 4;
	} else if (inet_pton(AF_INET6, addr, &a6) == 1) {
		if (IN6_IS_ADDR_V4MAPPED(&a6)) {
			memcpy(bytes, a6.s6_addr + 12, 4);
			len = 4;
		} else {
			/* the /64; 8 bytes, so never equal to an IPv4's 4 */
			memcpy(bytes, a6.s6_addr, 8);
			len = 8;
		}
	} else {
		/* Not an address (a unix socket's peer, say): its text, cut
		 * to what fits, after a byte no address's form starts with. */
		bytes[0] = 0xff;
		len = strnlen(addr, sizeof(bytes) - 1);
		memcpy(bytes + 1, addr, len);
		len++;
	}
	crypto_shorthash(out, bytes, len, hash_key);
	memcpy(&k, out, sizeof(k));
	return k ? k : 1;
}

uint32_t auth_throttle_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint32_t)ts.tv_sec;
}

static size_t probe(uint64_t key, unsigned i)
{
	return (size_t)((key >> 16) + i) & (AUTH_THROTTLE_SLOTS - 1);
}

/* A window with failures, begun less than window seconds before now. */
static int open_window(uint64_t state, uint32_t window, uint32_t now)
{
	return FAILS(state) && now - START(state) < window;
}

/* The slot holding key, or NULL. */
static struct slot *find(uint64_t key)
{
	unsigned i;
	struct slot *s;

	for (i = 0; i < AUTH_THROTTLE_PROBES; i++) {
		s = &table[probe(key, i)];
		if (atomic_load_explicit(&s->key, memory_order_acquire) == key)
			return s;
	}
	return NULL;
}

/*
 * A slot for key: its own, else a free one, else one whose window is
 * over, else the one whose window began first (the table is bounded;
 * the oldest count is the one forgotten).
 */
static struct slot *claim(uint64_t key, uint32_t window, uint32_t now)
{
	struct slot *s, *victim = NULL;
	uint64_t k, st, oldest = UINT64_MAX;
	unsigned i;

	for (i = 0; i < AUTH_THROTTLE_PROBES; i++) {
		s = &table[probe(key, i)];
		k = atomic_load_explicit(&s->key, memory_order_acquire);
		if (k == key)
			return s;
		st = atomic_load_explicit(&s->state, memory_order_relaxed);
		if (k == 0 || !open_window(st, window, now)) {
			victim = s;
			break;
		}
		if (START(st) < oldest) {
			oldest = START(st);
			victim = s;
		}
	}
	k = atomic_load_explicit(&victim->key, memory_order_acquire);
	if (k == key)
		return victim;
	/* Another process may take it meanwhile: then it is theirs, and
	 * this failure goes uncounted rather than on their address. */
	if (!atomic_compare_exchange_strong(&victim->key, &k, key))
		return k == key ? victim : NULL;
	atomic_store_explicit(&victim->state, 0, memory_order_release);
	return victim;
}

uint32_t auth_throttle_wait(uint64_t key, uint32_t max, uint32_t window,
			    uint32_t now)
{
	struct slot *s;
	uint64_t st;

	if (!table || max == 0 || !(s = find(key)))
		return 0;
	st = atomic_load_explicit(&s->state, memory_order_acquire);
	if (FAILS(st) < max || !open_window(st, window, now))
		return 0;
	return window - (now - START(st));
}

uint32_t auth_throttle_fail(uint64_t key, uint32_t window, uint32_t now)
{
	struct slot *s;
	uint64_t st, next;

	if (!table || !(s = claim(key, window, now)))
		return 0;
	st = atomic_load_explicit(&s->state, memory_order_relaxed);
	do {
		if (!open_window(st, window, now))
			next = STATE(now, 1);
		else if (FAILS(st) == UINT32_MAX)
			next = st;
		else
			next = st + 1;
	} while (!atomic_compare_exchange_weak(&s->state, &st, next));
	return FAILS(next);
}
