#!/bin/bash
# test_committer_owed.sh - what Redis is owed outlives the committer
#
# DESIGN §6, §13 (issue 15; the coherence checker's seed 7 once its
# first cause was fixed). A write committed while Redis refuses writes
# leaves Redis owing the post: the committer kept the slug in its memory
# and wrote it once Redis took writes again. A committer killed (or
# retired by an upgrade) took that with it: Redis kept the older record
# and its generation key stayed behind, which the workers did not see
# (they compare the key with what they applied, both behind), so they
# served the older version until the post was written again. Here: a
# committer killed while it owes Redis, then one retired by SIGUSR2;
# each time, once Redis takes writes, Redis holds the acknowledged
# revision within 5 s, its key reaches PostgreSQL's, and every worker
# serves the acknowledged version, also once reloaded from Redis alone.
# And a Redis restarted while the committer was idle is not an outage
# to the committer's next write (its connection broke unseen).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"
. "$(dirname "$0")/lib_redis.sh"

QUIRECTL=${QUIRECTL:-$QUIRE_BUILDDIR/fcgi/quirectl}
TOKEN=test-token-$RANDOM$RANDOM
PREFIX=quire:
SLUG=owed

t_init
deployed_stack 2
AUTH=(-H "Authorization: Bearer $TOKEN")

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
redis_revision() { rcli HGET "${PREFIX}post:$SLUG" revision; }
pg_generation() { psql_quire "select generation from site"; }
key_caught_up() { [[ $(rcli GET "${PREFIX}generation") == "$(pg_generation)" ]]; }
redis_has() { [[ $(redis_revision) == "$1" ]]; }

api PUT "/api/posts/$SLUG" "${AUTH[@]}" "${MD[@]}" \
	--data-binary "$(post_text TITLE-1 BODY-1)"
check "the post is created (201)" test "$R_STATUS" = 201
check "... and served by every worker" every_worker_serves "/posts/$SLUG" 200 BODY-1

# owe_then REV HOW: a PUT of revision REV while Redis refuses writes,
# then the committer goes (HOW: kill, upgrade), then Redis takes writes.
owe_then() {
	local rev=$1 how=$2 old new
	rcli CONFIG SET maxmemory-policy noeviction >/dev/null
	rcli CONFIG SET maxmemory 1 >/dev/null
	api PUT "/api/posts/$SLUG" "${AUTH[@]}" "${MD[@]}" \
		--data-binary "$(post_text "TITLE-$rev" "BODY-$rev")"
	check "$how: the PUT while Redis refuses writes is answered 200" test "$R_STATUS" = 200
	check "$how: PostgreSQL has revision $rev" \
		test "$(psql_quire "select revision from posts where slug = '$SLUG'")" = "$rev"
	check "$how: Redis still has revision $((rev - 1))" redis_has "$((rev - 1))"
	old=$(committer_of "$QUIRE_PID")
	if [[ $how == kill ]]; then
		kill -KILL "$old"
	else
		kill -USR2 "$QUIRE_PID"
	fi
	# (after SIGUSR2 both run until the old one retires)
	wait_for 10 eval '[[ -n $(committer_of "$QUIRE_PID" | grep -vx "$old") ]]'
	new=$(committer_of "$QUIRE_PID" | grep -vx "$old" | head -n 1)
	t_log "$how: committer $old replaced by ${new:-none}"
	check "$how: a new committer runs" test -n "$new" -a "$new" != "$old"
	# The old one is gone for good before Redis takes writes again.
	wait_for 10 not kill -0 "$old" 2>/dev/null
	sleep 0.5
	rcli CONFIG SET maxmemory 0 >/dev/null
	check "$how: within 5 s Redis holds revision $rev" wait_for 5 redis_has "$rev"
	check "$how: ... and its generation key is PostgreSQL's" wait_for 5 key_caught_up
	check "$how: every worker serves revision $rev" \
		every_worker_serves "/posts/$SLUG" 200 "BODY-$rev"
	# Workers loaded from Redis alone (PostgreSQL down) get it too.
	stop_pg
	check "$how: a reload with PostgreSQL down" reload_and_wait 2
	check "$how: ... serves revision $rev from Redis" \
		every_worker_serves "/posts/$SLUG" 200 "BODY-$rev"
	start_pg_again || fail "postgresql did not start again"
}

echo "== a committer killed while it owes Redis"
owe_then 2 kill
echo "== a committer retired by an upgrade while it owes Redis"
owe_then 3 upgrade

echo "== Redis restarted while the committer is idle"
# Its connection to the old Redis broke unseen; the next write must not
# take that for an outage (owed, "unknown", a reload of the pool).
start_redis_again || fail "redis did not start again"
check "the workers subscribe again" wait_for 15 eval \
	'(( $(rcli PUBSUB NUMSUB "${PREFIX}invalidate" | tail -n 1) >= 2 ))'
# Subscribed, each registers right after (its first comparison); a CI
# run's PUT came between the two and got 1/1. Within 1 s, before its
# next beat (2 s), or the registration waited for the beat.
check "... and both are in the registry within 1 s" wait_for 1 eval \
	'(( $(rcli HLEN "${PREFIX}workers") >= 2 ))'
mark=$(wc -l <"$QUIRE_LOG")
api PUT "/api/posts/$SLUG" "${AUTH[@]}" "${MD[@]}" \
	--data-binary "$(post_text TITLE-4 BODY-4)"
t_log "the first PUT after the restart: $R_STATUS, Quire-Acknowledged $(header Quire-Acknowledged)"
check "the first PUT after the restart is answered 200" test "$R_STATUS" = 200
# Right away: a worker that subscribed again uses a new connection for
# the rest too, so it acknowledges and is in the registry at once (its
# idle one to the old Redis failed both until its next beat: "0/0").
check "... and acknowledged by every worker (2/2)" \
	test "$(header Quire-Acknowledged)" = 2/2
check "... with nothing owed and no reload asked" \
	not grep -Eq 'not stored|asking the master to reload' <(tail -n +"$((mark + 1))" "$QUIRE_LOG")
check "Redis holds revision 4" redis_has 4
t_done
