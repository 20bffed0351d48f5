/*
 * gate.h - at most N holders at once across the whole pool of workers
 *
 * A few slots in memory shared by every process forked after
 * gate_init: a holder takes a free one (gate_enter) and gives it back
 * (gate_leave). Used to bound the searches running at once, so that a
 * worker is always left for page reads (DESIGN §5, "Search"). A slot
 * whose holder died without leaving is taken back by the next enter.
 */
#ifndef QUIRE_GATE_H
#define QUIRE_GATE_H

#include "lib/quire.h"

#define GATE_MAX 64     /* slots at most */

/*
 * Maps the slots (once; before the first fork, so every worker shares
 * them) and lets n holders in at once, n clamped to 1..GATE_MAX. Called
 * again (a reload) it only sets n. QUIRE_OK or QUIRE_ENOMEM (then
 * gate_enter lets everyone in).
 */
enum quire_err gate_init(int n);
/* 1: the caller holds a slot until gate_leave; 0: n holders are in. A
 * process holds one slot at most: a second enter before a leave is 1
 * and takes nothing. */
int gate_enter(void);
/* Gives the caller's slot back (nothing when it holds none). */
void gate_leave(void);

#endif
