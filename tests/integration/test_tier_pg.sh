#!/bin/bash
# test_tier_pg.sh - tier_pg (schema, deploys, reads, reconnects) against a
# PostgreSQL made by initdb for this test; the checks are in
# tests/tiers/test_tier_pg.c
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=lib_pg.sh
. "$(dirname "$0")/lib_pg.sh"

t_init
prog=$QUIRE_BUILDDIR/tests/tiers/test_tier_pg
if [[ ! -x $prog ]]; then
	fail "$prog is not built (make check builds it)"
	t_done
fi
if ! start_pg; then
	fail "postgres did not start"
	t_done
fi

out=$T_DIR/test_tier_pg.out
"$prog" >"$out" 2>&1
rc=$?
sed 's/^/  /' "$out"
if ((rc == 0)); then
	ok "test_tier_pg: $(tail -n1 "$out")"
else
	fail "test_tier_pg exited $rc: $(grep -c 'check failed' "$out") failed checks"
fi
if grep -q 'posts/s' "$out"; then
	ok "$(grep -m1 'bulk deploy (insert)' "$out" | sed 's/^ *//')"
else
	fail "no deploy rate printed"
fi
t_done
