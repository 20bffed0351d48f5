#!/bin/bash
# test_api_redis_down.sh - API writes while Redis is down, and its return
#
# DESIGN §7 and §8: a batch whose announce fails (Redis unreachable) is
# committed; the committer asks the master for a reload at most once an
# interval (COMMIT_RELOAD_EVERY_MS) while Redis stays down, not once a
# batch (which kept the pool reloading, every cache cold), and remembers
# the slugs it could not announce: once Redis answers again it stores
# them and publishes them, before any generation moves past them.
# Redis comes back here from a snapshot taken before the outage, with
# the old copies of the posts written meanwhile and the old generation,
# as a Redis that was only cut off would: what the workers do by
# themselves (compare the generation key) cannot see that, and they
# would serve the old copies. Every worker must serve every acknowledged
# write within SERVE_S of Redis's return, and Redis must hold the last
# version of each with PostgreSQL's generation.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=lib_pg.sh
. "$(dirname "$0")/lib_pg.sh"
# shellcheck source=lib_redis.sh
. "$(dirname "$0")/lib_redis.sh"

QUIRECTL=${QUIRECTL:-$QUIRE_BUILDDIR/fcgi/quirectl}
TOKEN=test-token-$RANDOM$RANDOM
WRITERS=4          # concurrent writers, each its own slugs
BURST_S=3          # seconds of writing while Redis is down: Redis is
                   # back before 6.3 s, when the subscribers' back-off
                   # (100 ms doubling, sub.c) tries at most 3.2 s apart
MIN_ACKED=20       # acknowledged writes the burst must make (many batches)
MAX_RELOADS=3      # reloads the master may make meanwhile
SERVE_S=5          # after Redis returns, every worker serves every write
T_TIMEOUT=90

t_init
start_tiers
copy_test_site
"$QUIRECTL" deploy "$SITE" >/dev/null 2>&1 || fail "the first deploy failed"
t_token_file
QUIRE_WORKERS=3 t_start_stack "$T_DIR/no-such-dir"


# put SLUG VERSION: one PUT whose title and body carry MARK-SLUG-vVERSION;
# prints the status.
put() {
	curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X PUT \
		-H "Authorization: Bearer $TOKEN" -H "Content-Type: text/markdown" \
		--data-binary "$(printf -- '---\ntitle: T %s v%s\n---\n\nBody MARK-%s-v%s-END.\n' \
			"$1" "$2" "$1" "$2")" "$BASE/api/posts/$1"
}
reloads() {
	curl -s --max-time 5 "$METRICS_BASE/metrics" |
		awk '$1 == "quire_reloads_total" { print $2 }'
}

echo "== before: each writer's post, on every worker and in Redis's snapshot"
for ((w = 1; w <= WRITERS; w++)); do
	code=$(put "rd-$w" 0)
	check "rd-$w created (got $code)" test "$code" = 201
done
for ((w = 1; w <= WRITERS; w++)); do
	check "every worker serves rd-$w v0" every_worker_serves "/posts/rd-$w" 200 "MARK-rd-$w-v0-END"
done
check "Redis saved its snapshot" rcli SAVE

echo "== Redis down under a burst of writes"
r0=$(reloads)
stop_redis
# writer W: rd-W again and again, and two new posts on the way; each
# acknowledged write's "SLUG VERSION" into acked.W, in order.
writer() {
	local w=$1 v=0 end=$((SECONDS + BURST_S)) code
	trap - EXIT INT TERM
	while ((SECONDS < end)); do
		v=$((v + 1))
		code=$(put "rd-$w" "$v")
		[[ $code == 20[01] ]] && echo "rd-$w $v" >>"$T_DIR/acked.$w"
		[[ $code == 20[01] ]] || echo "rd-$w $v $code" >>"$T_DIR/refused"
		if ((v == 4 || v == 8)); then
			code=$(put "nw-$w-$v" 1)
			[[ $code == 201 ]] && echo "nw-$w-$v 1" >>"$T_DIR/acked.$w"
			[[ $code == 201 ]] || echo "nw-$w-$v 1 $code" >>"$T_DIR/refused"
		fi
	done
}
pids=()
for ((w = 1; w <= WRITERS; w++)); do
	writer "$w" &
	pids+=($!)
done
T_PIDS+=("${pids[@]}")
wait "${pids[@]}"
acked=$(cat "$T_DIR"/acked.* 2>/dev/null | wc -l)
r1=$(reloads)
check "the burst was acknowledged while Redis was down ($acked writes; refused: $(wc -l <"$T_DIR/refused" 2>/dev/null || echo 0))" \
	test "$acked" -ge "$MIN_ACKED"
check "the master reloaded $((r1 - r0)) times for $acked writes (at most $MAX_RELOADS)" \
	test $((r1 - r0)) -le "$MAX_RELOADS"
quire_log_has 'event=commit .*redis' &&
	t_log "committer: $(grep -c 'event=commit .*redis' "$QUIRE_LOG") lines on redis"

echo "== Redis back, with the old copies: every worker serves every write"
start_redis_again || { fail "redis did not start again"; t_done; }
# The last acknowledged version of each rd post, and every new post.
declare -A last=()
while read -r slug v; do last[$slug]=$v; done < <(cat "$T_DIR"/acked.*)
served_all() {
	local slug
	for slug in "${!last[@]}"; do
		every_worker_serves "/posts/$slug" 200 "MARK-$slug-v${last[$slug]}-END" || return 1
	done
}
now_ms() { date +%s%3N; }
# Passes over every post until one finds them all served by every
# worker; it must begin within SERVE_S (a pass takes a second or two).
ok=0 back=$(now_ms)
while (($(now_ms) - back <= SERVE_S * 1000)); do
	began=$(now_ms)
	if served_all >"$T_DIR/served.log" 2>&1; then
		ok=1
		break
	fi
	sleep 0.2
done
check "every worker serves every acknowledged write (${#last[@]} posts) within ${SERVE_S}s of Redis's return (a pass from $((began - back)) ms to $(($(now_ms) - back)) ms)" \
	test "$ok" = 1
((ok)) || tail -n 3 "$T_DIR/served.log"

echo "== Redis holds what PostgreSQL committed"
stale=
for slug in "${!last[@]}"; do
	rcli HGET "quire:post:$slug" source | grep -q -- "MARK-$slug-v${last[$slug]}-END" ||
		stale+=" $slug"
done
check "Redis holds the last version of every post written${stale:+ (stale:$stale)}" test -z "$stale"
gen_pg=$(pg_quire -c 'SELECT generation FROM site')
gen_redis=$(rcli GET quire:generation)
check "Redis's generation is PostgreSQL's ($gen_redis, $gen_pg)" test "$gen_redis" = "$gen_pg"
r2=$(reloads)
check "no reload once Redis answered ($((r2 - r1)))" test "$r2" = "$r1"
code=$(put rd-1 1000)
check "a write after: 200 (got $code)" test "$code" = 200
check "every worker serves it" every_worker_serves /posts/rd-1 200 "MARK-rd-1-v1000-END"
check "quire logged no crash" not crash_lines
t_done
