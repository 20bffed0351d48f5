/*
 * prefault.h - keeping the process's memory faulted in
 *
 * A page fault costs ≈ 12 µs on the VMs quire was measured on, more
 * than a whole L1 hit, so the processes keep what they freed and a
 * worker faults its heap in before it takes its first request.
 */
#ifndef QUIRE_PREFAULT_H
#define QUIRE_PREFAULT_H

#include <stddef.h>

/* Makes malloc keep freed memory for reuse instead of handing it back
 * (and faulting it in again) every request, where the allocator allows. */
void prefault_keep_freed(void);

/*
 * Grows the heap by about bytes of free memory and faults the whole
 * heap in, writable: the pages a forked worker shares with its master
 * are copied now, and the next bytes of allocations fault nothing. Call
 * while the process has one thread. Best effort: silent where the
 * kernel or the allocator does not allow it.
 */
void prefault_heap(size_t bytes);

#endif
