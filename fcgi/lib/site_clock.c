/*
 * site_clock.c - the site's clock offset, shared by a pool's processes
 * (site_clock.h)
 */
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "lib/quire.h"
#include "lib/site_clock.h"

struct cell {
	_Atomic long long offset_ms;
	_Atomic int known;          /* set once, after the first offset */
};

/* The process's own until site_clock_init maps the shared one (in the
 * master, before any fork), and when that fails: a measure is then kept
 * for this process alone. */
static struct cell local;
static struct cell *cell = &local;

static void site_clock_take_over(void);

enum quire_err site_clock_init(void)
{
	void *p;

	if (cell != &local)
		return QUIRE_OK;
	p = mmap(NULL, sizeof(*cell), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return QUIRE_ENOMEM;
	cell = p;
	if (atomic_load(&local.known)) /* measured before: kept */
		site_clock_store(atomic_load(&local.offset_ms));
	site_clock_take_over();
	return QUIRE_OK;
}

/* The offset a master that exec'd this one measured (SIGUSR2), read
 * once, then dropped from the environment (not for the workers, nor
 * for a later image). */
static void site_clock_take_over(void)
{
	const char *v = getenv(SITE_CLOCK_ENV);
	char *end;
	long long off;

	if (v && *v) {
		off = strtoll(v, &end, 10);
		if (*end == '\0')
			site_clock_store(off);
	}
	unsetenv(SITE_CLOCK_ENV);
}

int site_clock_hand_over(void)
{
	char num[24];
	long long off;

	if (!site_clock_load(&off))
		return 0;
	snprintf(num, sizeof(num), "%lld", off);
	return setenv(SITE_CLOCK_ENV, num, 1);
}

void site_clock_store(long long offset_ms)
{
	atomic_store(&cell->offset_ms, offset_ms);
	atomic_store(&cell->known, 1);
}

int site_clock_load(long long *offset_ms)
{
	if (!atomic_load(&cell->known))
		return 0;
	*offset_ms = atomic_load(&cell->offset_ms);
	return 1;
}
