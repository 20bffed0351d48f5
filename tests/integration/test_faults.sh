#!/bin/bash
# test_faults.sh - DESIGN §8 under load: tests/faults --short, asserted
#
# tests/faults starts its own stack (PostgreSQL, Redis, quire with 2
# workers from the tiers, nginx) and runs wrk for 3 s per fault: a
# baseline, SIGHUP every 100 ms, kill -9 of a worker every second, Redis
# stopped and restarted, PostgreSQL stopped and started. Asserted here:
# no failed request under the baseline, SIGHUP, Redis and PostgreSQL
# faults; at most one failed request a kill; every fault recovered.
export QUIRE_TEST_TIMEOUT=${QUIRE_TEST_TIMEOUT:-150}
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

FAULTS=$QUIRE_SRCDIR/tests/faults
command -v wrk >/dev/null || { echo "$T_NAME: SKIP: wrk is not installed"; exit 77; }
for tool in redis-server redis-cli; do
	command -v "$tool" >/dev/null || { echo "$T_NAME: SKIP: $tool is not installed"; exit 77; }
done
compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null ||
	{ echo "$T_NAME: SKIP: no PostgreSQL server"; exit 77; }

t_init
# tests/faults has its own watchdog, EXIT trap and temp dir; it runs in
# the foreground so that this test's watchdog (SIGTERM to this shell)
# cannot leave it behind: its trap stops what it started.
QUIRE_TEST_TIMEOUT=120 "$FAULTS" --short --tsv "$T_DIR/faults.tsv" 2>&1 |
	sed 's/^/  faults: /'
rc=${PIPESTATUS[0]}
t_log "tests/faults exited $rc"
if [[ $rc == 77 ]]; then
	echo "$T_NAME: SKIP: tests/faults skipped"
	exit 77
fi

if [[ ! -s $T_DIR/faults.tsv ]]; then
	fail "tests/faults wrote no table (exit $rc)"
	t_done
fi

declare -A SEEN=()
while IFS=$'\t' read -r letter name inj req failed non sock rps maxl recd rms rmax note; do
	SEEN[$letter]=1
	what="($letter) $name: $req requests, $failed failed ($non non-2xx/3xx, $sock socket errors), $inj injected, max latency $maxl ms, recovered $recd in $rms ms"
	check "($letter) $name: wrk completed requests ($req)" test "$req" -gt 0
	case $letter in
	b)
		check "$what: at most one failed request a kill" test "$failed" -le "$inj"
		check "(b) at least one worker was killed" test "$inj" -ge 1
		;;
	*)
		check "$what: no failed request" test "$failed" -eq 0
		;;
	esac
	[[ $letter == e ]] || check "($letter) $name recovered ($note)" test "$recd" = yes
done <"$T_DIR/faults.tsv"
for letter in e a b c d; do
	check "fault ($letter) was run" test -n "${SEEN[$letter]:-}"
done
check "tests/faults met its expectations (exit $rc)" test "$rc" = 0
t_done
