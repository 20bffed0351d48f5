/*
 * gate.c - at most N holders at once across the pool (gate.h)
 *
 * Each slot holds its holder's pid (0: free), set by compare-and-swap,
 * so two workers never take one slot. A holder that dies in its search
 * (a crash, SIGKILL) cannot leave: its slot is taken back when an enter
 * finds every slot held and that pid gone (kill(pid, 0): ESRCH), so a
 * crash costs the pool nothing lasting.
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

#include "lib/gate.h"
#include "lib/quire.h"

/* Set in the master before any fork: every process reads the same. */
static _Atomic int *slots;
static int n_slots;
/* This process's slot, or -1. */
static int mine = -1;

enum quire_err gate_init(int n)
{
	void *p;

	if (n < 1)
		n = 1;
	if (n > GATE_MAX)
		n = GATE_MAX;
	if (!slots) {
		p = mmap(NULL, GATE_MAX * sizeof(*slots), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return QUIRE_ENOMEM;
		slots = p; /* mmap zero-fills: every slot free */
	}
	n_slots = n;
	return QUIRE_OK;
}

/* Takes slot i from holder `from` (0: free); 1 on success. */
static int take(int i, int from)
{
	int expect = from;

	if (!atomic_compare_exchange_strong(&slots[i], &expect, (int)getpid()))
		return 0;
	mine = i;
	return 1;
}

int gate_enter(void)
{
	int i, pid;

	if (!slots)
		return 1;
	/* Held already; unless mine came with a fork from a holder. */
	if (mine >= 0 && mine < GATE_MAX &&
	    atomic_load(&slots[mine]) == (int)getpid())
		return 1;
	mine = -1;
	for (i = 0; i < n_slots; i++)
		if (atomic_load(&slots[i]) == 0 && take(i, 0))
			return 1;
	/* Every slot held: one whose holder is gone is free. */
	for (i = 0; i < n_slots; i++) {
		pid = atomic_load(&slots[i]);
		if (pid > 0 && kill((pid_t)pid, 0) < 0 && errno == ESRCH &&
		    take(i, pid))
			return 1;
	}
	return 0;
}

void gate_leave(void)
{
	int me = (int)getpid();

	if (!slots || mine < 0)
		return;
	/* Only a slot this process holds (not one a fork brought along). */
	(void)atomic_compare_exchange_strong(&slots[mine], &me, 0);
	mine = -1;
}
