#!/bin/bash
# test_register_first.sh - a worker is in the registry before it serves
#
# DESIGN §13 "Several hosts" (the coherence checker, --hosts 2, seed 24:
# a host started beside a live site served a post 404 after a deploy had
# answered "2/2"). A deploy or an API write counts the workers in the
# registry and waits for each; a worker that serves before it is there
# is not waited for, and serves what it loaded, older than what was
# acknowledged. It was put there by its subscriber's first comparison,
# after its first requests; now it registers before comparing its
# generation, so before it serves.
#
# Made certain here with CLIENT PAUSE WRITE (under the workers' 1 s
# command timeout): while Redis holds every write, a worker killed is
# replaced, and the pages are asked until the new worker answers. As
# long as the pause lasts no registration can be made, so a new worker
# that answers within it served unregistered; one that registers first
# cannot answer before the pause ends. Each answer of the new worker is
# followed at once by HEXISTS on the registry (a read: it goes through
# the pause).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"
. "$(dirname "$0")/lib_redis.sh"

QUIRECTL=${QUIRECTL:-$QUIRE_BUILDDIR/fcgi/quirectl}
TOKEN=test-token-$RANDOM$RANDOM
PREFIX=quire:
PAUSE_MS=800
HOST=$(hostname)

t_init
deployed_stack 2

registered() { test "$(rcli HEXISTS "${PREFIX}workers" "$HOST:$1")" = 1; }
all_registered() {
	local w
	for w; do registered "$w" || return 1; done
}

# first_answer OLD...: asks a page until a worker not among OLD answers
# (at most 5 s); prints "PID REGISTERED" where REGISTERED is the registry's
# answer right after it, or nothing.
first_answer() {
	local end=$((SECONDS + 5)) w
	while ((SECONDS < end)); do
		req /posts/hello-world
		w=$(header X-Quire-Worker)
		if [[ -n $w ]] && ! [[ " $* " == *" $w "* ]]; then
			if registered "$w"; then echo "$w 1"; else echo "$w 0"; fi
			return 0
		fi
	done
}

for round in 1 2 3; do
	mapfile -t old < <(quire_workers)
	check "round $round: every worker registered before (${old[*]})" \
		all_registered "${old[@]}"
	rcli CLIENT PAUSE "$PAUSE_MS" WRITE >/dev/null
	kill -KILL "${old[0]}"
	got=$(first_answer "${old[@]}")
	t_log "round $round: killed ${old[0]}; the new worker's first answer: ${got:-none}"
	check "round $round: the replacement answered" test -n "$got"
	check "round $round: ... registered before it did (${got#* })" test "${got#* }" = 1
	# the pause over, everything as before
	sleep 1
done

check "every worker serves afterwards" \
	every_worker_serves /posts/hello-world 200 ''
t_done
