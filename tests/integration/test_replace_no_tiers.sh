#!/bin/bash
# test_replace_no_tiers.sh - a worker started while no tier answers
#
# DESIGN §2, §8, §13 (issue 15; the coherence checker's seed 122:
# PostgreSQL and Redis killed together and a worker killed at once). A
# worker the master starts in place of one that died is forked from the
# master's copy of the site: the one it loaded at its start or its last
# reload, which may be long behind what the tiers hold (here: from
# before the API's write). Before the fix the new worker served that
# copy until its subscriber reached Redis again: every post written
# since answered 404 (a lie: the post exists, the worker does not
# know), and with Redis down and PostgreSQL up it never caught up. Now
# a new worker compares its copy with the tiers before its first
# request; while no tier has answered it answers 503 with Retry-After
# (its /healthz too), never a 404 for a post that exists, and it loads
# the site as soon as one answers. Checked here:
#   1. PostgreSQL down, a worker killed: the new one loads the site from
#      Redis before it serves; Redis then emptied: a post it has not
#      cached is 503, not 404 (Redis lacking a post is not the post gone
#      when PostgreSQL is configured and cannot be asked);
#   2. both tiers down, a worker killed: the new one never answers 404
#      for the acknowledged post, its /healthz is 503; the tiers back,
#      every worker serves the post within a few seconds;
#   3. Redis down alone, a worker killed: the new one loads the site
#      from PostgreSQL and serves the post at once.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=lib_pg.sh
. "$(dirname "$0")/lib_pg.sh"
# shellcheck source=lib_redis.sh
. "$(dirname "$0")/lib_redis.sh"

QUIRECTL=${QUIRECTL:-$QUIRE_BUILDDIR/fcgi/quirectl}
TOKEN=test-token-$RANDOM$RANDOM
SLUG=rep-after-start
POST=/posts/$SLUG
MARK=MARK-REPLACE-$RANDOM
SERVE_S=5          # the tiers back: every worker serves the post by then
T_TIMEOUT=120

t_init
deployed_stack 2

# answers_from PID PATH: asks PATH through nginx, 20 at a time, until
# worker PID answered 10 times (30 rounds at most); prints the status of
# each of PID's answers, one a line (nothing when it never answered).
# The Retry-After of PID's last answer is left in $T_DIR/af.retry, the
# bodies in $T_DIR/af.*/.
answers_from() {
	local pid=$1 path=$2 round dir code w ra file n=0
	rm -rf "$T_DIR"/af.*
	for ((round = 1; round <= 30 && n < 10; round++)); do
		dir=$T_DIR/af.$round
		mkdir -p "$dir"
		curl -s -Z --parallel-max 4 --max-time 10 -o "$dir/b#1" \
			-w '%{http_code} w=%header{x-quire-worker} ra=%header{retry-after} %{filename_effective}\n' \
			"$BASE$path?af=[1-20]" >"$dir/out" 2>/dev/null
		while read -r code w ra file; do
			[[ $w == "w=$pid" ]] || { rm -f "$file"; continue; }
			n=$((n + 1))
			echo "$code"
			printf '%s\n' "${ra#ra=}" >"$T_DIR/af.retry"
		done <"$dir/out"
	done
}

# new_worker OLD...: waits (5 s at most) for a worker that is none of
# OLD, and prints its PID.
new_worker() {
	local i w
	for ((i = 0; i < 50; i++)); do
		for w in $(quire_workers); do
			[[ " $* " == *" $w "* ]] || { echo "$w"; return 0; }
		done
		sleep 0.1
	done
	return 1
}

# kill_one: kill -9 of the first worker; prints the PID of the one the
# master starts in its place.
kill_one() {
	local -a old
	mapfile -t old < <(quire_workers)
	kill -KILL "${old[0]}"
	t_log "killed worker ${old[0]}" >&2
	new_worker "${old[@]}"
}

# summary: "N CODE, ..." of the codes on stdin, for the log.
summary() { sort | uniq -c | awk '{ printf "%s%d %s", (NR > 1 ? ", " : ""), $1, $2 }'; }
# all_are CODE: every line on stdin is CODE, and there is one.
all_are() { local l n=0; while read -r l; do [[ $l == "$1" ]] || return 1; n=$((n + 1)); done; ((n > 0)); }
# has CODE: some line on stdin is CODE.
has() { grep -qx -- "$1"; }

# wait_for SECONDS CMD...: CMD until it succeeds, every 0.2 s.
wait_for() {
	local i n=$(($1 * 5))
	shift
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.2
	done
	return 1
}

echo "== the post is written and served by every worker"
api PUT "/api/posts/$SLUG" -H "Authorization: Bearer $TOKEN" "${MD[@]}" \
	--data-binary "$(post_text "Replaced $MARK" "Body $MARK.")"
check "the PUT is acknowledged (got $R_STATUS)" test "$R_STATUS" = 201
check "... by every worker ($(grep -i '^quire-acknowledged' "$T_DIR/r.headers"))" \
	grep -Eiq '^quire-acknowledged: 2/2' "$T_DIR/r.headers"
check "every worker serves it" every_worker_serves "$POST" 200 "$MARK"

echo "== 1. PostgreSQL down, a worker killed: the new one reads Redis"
stop_pg
fresh=$(kill_one) || fail "the master started no worker in place of the killed one"
# It loads the site from Redis (PostgreSQL is down) before it serves.
codes=$(answers_from "$fresh" "$POST")
check "the new worker ($fresh) serves the post from Redis ($(summary <<<"$codes"))" \
	all_are 200 <<<"$codes"
echo "   Redis emptied: a post it has not cached is 503, not 404"
rcli FLUSHALL >/dev/null
# Its PostgreSQL connection never made, Redis lacking the post: before,
# that was taken for "no such post".
codes=$(answers_from "$fresh" /posts/second)
check "it answers a post it has not cached 503, not 404 ($(summary <<<"$codes"))" \
	all_are 503 <<<"$codes"
start_pg_again || fail "postgresql did not start again"
check "PostgreSQL back, every worker serves it" \
	wait_for "$SERVE_S" every_worker_serves /posts/second 200 ''

echo "== 2. both tiers down, a worker killed: the new one says 503, not 404"
stop_redis
stop_pg
fresh=$(kill_one) || fail "the master started no worker in place of the killed one"
t_log "the new worker: $fresh"
codes=$(answers_from "$fresh" "$POST")
t_log "the new worker answered $POST: $(summary <<<"$codes")"
check "the new worker answered" test -n "$codes"
check "the new worker never answers 404 for the post" not has 404 <<<"$codes"
check "... but 503" has 503 <<<"$codes"
check "... with Retry-After ($(cat "$T_DIR/af.retry"))" grep -q '^[1-9]' "$T_DIR/af.retry"
codes=$(answers_from "$fresh" /posts/)
check "its /posts/ is 503 too, not its old copy's list ($(summary <<<"$codes"))" \
	all_are 503 <<<"$codes"
codes=$(answers_from "$fresh" /healthz)
check "its /healthz is 503 ($(summary <<<"$codes"))" all_are 503 <<<"$codes"
check "... naming the reason" grep -qs "not loaded" "$T_DIR"/af.*/b*
start_pg_again || fail "postgresql did not start again"
start_redis_again || fail "redis did not start again"
up=$SECONDS
check "once the tiers are back, every worker serves the post (${SERVE_S} s)" \
	wait_for "$SERVE_S" every_worker_serves "$POST" 200 "$MARK"
t_log "served everywhere $((SECONDS - up)) s after the tiers came back"
codes=$(answers_from "$fresh" /healthz)
check "the new worker's /healthz is 200 ($(summary <<<"$codes"))" all_are 200 <<<"$codes"

echo "== 3. Redis down alone, a worker killed: the new one reads PostgreSQL"
stop_redis
fresh=$(kill_one) || fail "the master started no worker in place of the killed one"
codes=$(answers_from "$fresh" "$POST")
t_log "the new worker ($fresh) answered $POST: $(summary <<<"$codes")"
check "the new worker serves the post at once" all_are 200 <<<"$codes"
check "... its last version" grep -q "$MARK" "$T_DIR"/af.*/b*
start_redis_again || fail "redis did not start again"
check "every worker serves the post" wait_for "$SERVE_S" every_worker_serves "$POST" 200 "$MARK"

check "no process crashed" not crash_lines
t_done
