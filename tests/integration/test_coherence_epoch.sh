#!/bin/bash
# test_coherence_epoch.sh - the coherence checker's restore rule
#
# A restore from an older backup starts a new epoch in the model
# (DESIGN §13, "Restores: a new epoch"): tests/coherence/test_epoch.py
# checks small histories of its own with checks.py — a restore taken
# back as the model allows passes; the lost history served again after
# the heal is a violation of properties 4 and 1; a slug absent in the
# backup whose last DELETE before it was a 404 is 404 after it, no
# violation (that DELETE made no version); the allowed history
# with the rule off (QUIRE_COHERENCE_NO_EPOCH=1) is violations too. No
# stack: the real runs with the fault are `tests/coherence/run --faults
# all,backup-restore`.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

t_init
out=$("$T_PY" "$QUIRE_SRCDIR/tests/coherence/test_epoch.py" 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/  /'
check "the checker's restore rule holds on its histories (exit $rc)" test "$rc" = 0
check "... and ran its cases" grep -q '^4 passed, 0 failed$' <<<"$out"
t_done
