#!/bin/bash
# test_load_tiers_down.sh - a reload or an upgrade while the tiers fail
#
# DESIGN §2, §8, §13 (issue 15; the coherence checker's seed 7: SIGUSR2
# while PostgreSQL was killed and Redis refused writes). Before the fix
# the master then loaded the content folder (here: none, as in a
# deployment where PostgreSQL holds the posts), forked workers with an
# empty site and retired the ones that served the real one: every post
# answered 404 until a worker's generation comparison, 5-10 s after the
# tiers were back. Checked here, each step with PostgreSQL down:
#   1. Redis refusing writes (maxmemory, noeviction) still answers reads:
#      a reload loads the site from it (the index was read in a
#      MULTI, which Redis refuses whole when out of memory);
#   2. Redis answering but empty (FLUSHALL) is not "nothing deployed"
#      when PostgreSQL is configured: a reload fails and the workers
#      that serve the site stay;
#   3. a SIGUSR2 with neither tier: the new image keeps the previous
#      image's workers serving until a tier answers, then takes over;
#   4. a worker whose reload failed tries again within a second or two
#      of the tier's return, not at its next generation comparisons.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"
. "$(dirname "$0")/lib_redis.sh"

QUIRECTL=${QUIRECTL:-$QUIRE_BUILDDIR/fcgi/quirectl}
PREFIX=quire:
POST=/posts/hello-world

t_init
start_tiers
copy_test_site
check "the site is deployed" "$QUIRECTL" deploy "$SITE"
QUIRE_WORKERS=2 t_start_stack "$T_DIR/no-such-dir"
check "every worker serves the post" every_worker_serves "$POST" 200 ''

# log_since N PATTERN: PATTERN in quire's log after its first N lines.
log_since() { tail -n +"$(($1 + 1))" "$QUIRE_LOG" | grep -Eq -- "$2"; }
log_lines() { wc -l <"$QUIRE_LOG"; }
# wait_for SECONDS CMD...: CMD until it succeeds, every 0.1 s.
wait_for() {
	local i n=$(($1 * 10))
	shift
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

echo "== 1. PostgreSQL down, Redis out of memory: a reload reads Redis"
stop_pg
rcli CONFIG SET maxmemory-policy noeviction >/dev/null
rcli CONFIG SET maxmemory 1 >/dev/null
check "redis refuses a write" grep -q OOM <(rcli SET "${PREFIX}probe" x 2>&1)
mark=$(log_lines)
check "a reload forks new workers" reload_and_wait 2
check "the load read the site from Redis" log_since "$mark" 'event=load generation=[0-9]+ from the tiers'
check "... not from the files" not log_since "$mark" 'unreachable; serving'
check "every new worker serves the post" every_worker_serves "$POST" 200 ''
rcli CONFIG SET maxmemory 0 >/dev/null

echo "== 2. PostgreSQL down, Redis emptied: a reload keeps what is served"
rcli FLUSHALL >/dev/null
old=$(quire_workers | tr '\n' ' ')
mark=$(log_lines)
kill -HUP "$QUIRE_PID"
check "the reload fails and says so" \
	wait_for 5 log_since "$mark" 'reload failed; still serving the previous load'
check "the workers that serve the site stay" test "$(quire_workers | tr '\n' ' ')" = "$old"
check "every worker serves the post" every_worker_serves "$POST" 200 ''

echo "== 3. SIGUSR2 with neither tier: the old workers serve until one answers"
stop_redis
mark=$(log_lines)
kill -USR2 "$QUIRE_PID"
check "the new image waits for the tiers" \
	wait_for 5 log_since "$mark" 'event=upgrade .*waiting'
sleep 1
check "the previous image's workers still serve" test "$(quire_workers | tr '\n' ' ')" = "$old"
check "every worker serves the post (not 404)" every_worker_serves "$POST" 200 ''
start_pg_again || fail "postgresql did not start again"
check "once PostgreSQL answers, new workers replace the old (10 s)" \
	wait_for 10 eval '[[ $(quire_workers | wc -l) == 2 && -z $(comm -12 <(quire_workers) <(tr " " "\n" <<<"$old" | grep . | sort -n)) ]]'
check "... and serve the post" every_worker_serves "$POST" 200 ''
check "nothing was loaded from the files" not log_since "$mark" 'unreachable; serving'
start_redis_again || fail "redis did not start again"

echo "== 4. a failed reload is tried again soon"
# Wait until every worker's subscriber is back on Redis.
check "the workers subscribe again" wait_for 15 eval \
	'(( $(rcli PUBSUB NUMSUB "${PREFIX}invalidate" | tail -n 1) >= 2 ))'
stop_pg
gen=$(rcli GET "${PREFIX}generation")
t_log "generation key: ${gen:-none}"
mark=$(log_lines)
# "*": every worker reloads, and can't: PostgreSQL is down, Redis empty.
rcli PUBLISH "${PREFIX}invalidate" "999999 *" >/dev/null
check "the workers' reload fails" wait_for 5 log_since "$mark" 'reload failed'
sleep 1
start_pg_again || fail "postgresql did not start again"
up=$SECONDS
mark=$(log_lines)
reloaded() {
	local w
	for w in $(quire_workers); do
		tail -n +"$((mark + 1))" "$QUIRE_LOG" |
			grep -Eq "pid=$w event=invalidate generation=[0-9]+ full reload" || return 1
	done
}
check "every worker reloads within 3 s of PostgreSQL's return" wait_for 3 reloaded
t_log "reloaded $((SECONDS - up)) s after PostgreSQL came back"
check "every worker serves the post" every_worker_serves "$POST" 200 ''
t_done
