#!/bin/bash
# test_restore_unseen.sh - a restore Redis could not see past
#
# DESIGN §6 "Restores", §13 (the coherence checker, seed 1201 with
# --faults all,clock-skew,backup-restore: 26 violations of properties 1
# and 3). Redis was down, and came back empty, while PostgreSQL was
# restored from an older backup; the workers, forked meanwhile, held the
# history the restore took back (a generation ahead of the backup's),
# but could not reach Redis when `quirectl restore` ran. It saw no key
# and no worker, moved PostgreSQL only one generation past the backup's
# — still behind what the workers held — and answered 0 ("0/0 workers
# acknowledged"). The workers, back on Redis, found the key and
# PostgreSQL's generation behind theirs and took that for "nothing to
# do": they listed the posts written after the backup (404 for their
# pages) and left out the posts it holds (404 too), until the next
# write noticed 9 s later. A restore now moves the generation a gap of
# 2^30 past what it saw (seed 1605), so here past what the workers hold
# too; the workers' own check of PostgreSQL behind them stays for a
# lost history longer than that.
#
# Here: two writes and a deploy after a dump; Redis stopped; the dump
# restored; Redis back empty on its unix socket only (the workers and
# the committer reach it by TCP, so none of them is registered, as in
# the run) for `quirectl restore`; then its TCP port opened. Checked:
# quirectl restore does not claim success with no worker to
# acknowledge; every worker, once back on Redis, serves what PostgreSQL
# holds within the 5 s of a comparison, by itself, no write needed;
# writes go on from there.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"
. "$(dirname "$0")/lib_redis.sh"

QUIRECTL=${QUIRECTL:-$QUIRE_BUILDDIR/fcgi/quirectl}
T_TIMEOUT=${QUIRE_TEST_TIMEOUT:-120}
TOKEN=test-token-$RANDOM$RANDOM
PREFIX=quire:
SLUG=restored
LATER=after-the-backup

t_init
deployed_stack 2
AUTH=(-H "Authorization: Bearer $TOKEN")

. "$(dirname "$0")/lib_restore.sh"
scli() { timeout 5 redis-cli -s "$T_DIR/redis.sock" "$@"; }
# redis_unix_only: Redis back, empty, listening on its unix socket only.
redis_unix_only() {
	local i
	redis-server --port 0 --bind 127.0.0.1 --save '' --appendonly no \
		--daemonize no --dir "$T_DIR/redis" \
		--unixsocket "$T_DIR/redis.sock" --unixsocketperm 777 \
		>>"$T_DIR/redis.log" 2>&1 &
	REDIS_PID=$!
	T_PIDS+=("$REDIS_PID")
	for ((i = 0; i < 50; i++)); do
		[[ $(scli ping 2>/dev/null) == PONG ]] && return 0
		sleep 0.1
	done
	return 1
}
registered() { test "$(rcli HLEN "${PREFIX}workers")" = "$1"; }

restore_history

# --- the restore, while the workers cannot reach Redis -------------------
stop_redis
check "the dump is restored with pg_restore" restore "$T_DIR/backup.dump"
check "Redis is back, empty, on its unix socket only" redis_unix_only
QUIRE_REDIS_URL=unix:$T_DIR/redis.sock "$QUIRECTL" restore \
	>"$T_DIR/restore.out" 2>&1
RC=$?
t_log "quirectl restore: exit $RC: $(tr '\n' ' ' <"$T_DIR/restore.out")"
G=$(psql_quire 'select generation from site')
check "quirectl restore moved PostgreSQL past what the workers hold ($G > $HELD), by its gap" \
	test "$G" -gt "$HELD"
check "quirectl restore, with no worker registered, does not answer 0 (4)" \
	test "$RC" = 4
check "... and says to reload the masters" grep -q SIGHUP "$T_DIR/restore.out"

# --- the workers back on Redis -------------------------------------------
check "Redis's TCP port opens" scli CONFIG SET port "$REDIS_PORT"
check "both workers register again" within 15 registered 2
WHAT="within 7 s every worker serves what PostgreSQL holds, by itself"
if within 7 restored_served; then
	ok "$WHAT"
else
	fail "$WHAT"
	restored_served # its log says what differs
fi
check "... each worker found PostgreSQL ahead of what it applied" \
	test "$(grep -Ec "generation key $G, applied [0-9]+: reloading|applied $HELD: reloading" "$QUIRE_LOG")" -ge 2

# --- and writes go on ------------------------------------------------------
REV=$(psql_quire "select revision from posts where slug = '$SLUG'")
put "$SLUG" TITLE-FOUR BODY-FOUR -H "If-Match: \"$REV\""
check "a write with the restored ETag succeeds (200)" test "$R_STATUS" = 200
check "... served by every worker" every_worker_serves "/posts/$SLUG" 200 BODY-FOUR
put "$LATER" LATER-AGAIN LATER-AGAIN-BODY
check "a post created again (201)" test "$R_STATUS" = 201
check "... listed by every worker" every_worker_serves /posts/ 200 LATER-AGAIN
check "... and served" every_worker_serves "/posts/$LATER" 200 LATER-AGAIN-BODY

check "no worker crashed" test -z "$(crash_lines)"
t_done
