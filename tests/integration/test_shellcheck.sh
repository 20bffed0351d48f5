#!/bin/bash
# test_shellcheck.sh - every shell script of the project parses:
# `shellcheck -S error` over the deploy scripts, the test and bench
# drivers and the libraries they source. Bash runs a script until the
# line it cannot parse, so a quoting mistake in a branch that only a
# bench's --write-results takes (tests/faults wrote "\\`ready_ms\\`",
# a command substitution, into RESULTS.md for a session) passes every
# other test.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

if ! command -v shellcheck >/dev/null 2>&1; then
	echo "$T_NAME: SKIP: shellcheck is not installed (deploy/install-deps --tests)"
	exit 77
fi
t_init

cd "$QUIRE_SRCDIR" || exit 1
scripts=()
for f in deploy/* tests/check tests/faults tests/bench/* tests/fuzz/* \
	tests/integration/*.sh .ci/run; do
	[[ -f $f ]] || continue
	head -n1 "$f" | grep -qE '^#!(/usr/bin/env bash|/bin/bash|/bin/sh)' && scripts+=("$f")
done
# sourced, without a #! line
libs=(tests/integration/lib.sh tests/integration/lib_pg.sh
	tests/integration/lib_redis.sh tests/bench/lib.sh)

check "found the scripts (${#scripts[@]})" test "${#scripts[@]}" -ge 30
for f in "${scripts[@]}"; do
	if out=$(shellcheck -S error "$f" 2>&1); then
		ok "$f"
	else
		fail "$f: $(printf '%s\n' "$out" | grep -m3 -E 'SC[0-9]+' | tr -s ' ' | tr '\n' ' ')"
	fi
done
for f in "${libs[@]}"; do
	[[ -f $f ]] || continue
	if out=$(shellcheck -S error -s bash "$f" 2>&1); then
		ok "$f (sourced)"
	else
		fail "$f: $(printf '%s\n' "$out" | grep -m3 -E 'SC[0-9]+' | tr -s ' ' | tr '\n' ' ')"
	fi
done
t_done
