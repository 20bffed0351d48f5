#!/bin/bash
# test_restore_refused.sh - a restore that quirectl could not finish
#
# DESIGN §6 "Restores" (the coherence checker, seed 1405 with --faults
# all,clock-skew,backup-restore: 191 reads of property 1). PostgreSQL
# was restored from an older backup while Redis refused writes, so
# `quirectl restore` failed (exit 3) at its last step: it had dropped
# Redis's key and moved PostgreSQL past what the workers held, and could
# not rewrite Redis nor publish. With no key a worker's comparison reads
# PostgreSQL's generation, ahead of its own, and took it for a message
# on its way (as a key ahead usually is): it reloaded only at the next
# comparison, 5-10 s later, serving what the restore took back until
# then. Now only Redis's key is given that benefit of the doubt.
#
# Here: two writes and a deploy after a dump; Redis made to refuse
# writes (maxmemory 1, noeviction); the dump restored; quirectl restore
# fails; Redis takes writes again. Checked: with no write, within the
# model's 5 s (+2 s) every worker serves what PostgreSQL holds; each
# reloaded at its comparison; writes go on.
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
restore_history

# --- the restore, while Redis refuses writes -----------------------------
rcli CONFIG SET maxmemory-policy noeviction >/dev/null
check "Redis refuses writes" rcli CONFIG SET maxmemory 1
check "the dump is restored with pg_restore" restore "$T_DIR/backup.dump"
"$QUIRECTL" restore >"$T_DIR/restore.out" 2>&1
RC=$?
t_log "quirectl restore: exit $RC: $(tr '\n' ' ' <"$T_DIR/restore.out")"
check "quirectl restore could not finish (exit $RC, not 0)" test "$RC" != 0
check "... at Redis's rewrite: PostgreSQL moved past what the workers hold" \
	test "$(psql_quire 'select generation from site')" -gt "$HELD"
check "... the key dropped, nothing published" grep -q rewrite "$T_DIR/restore.out"
check "Redis takes writes again" rcli CONFIG SET maxmemory 0

# --- no write: the tiers move past the restore by themselves -------------
WHAT="within 7 s every worker serves what PostgreSQL holds, no write needed"
if within 7 restored_served; then
	ok "$WHAT"
else
	fail "$WHAT"
	restored_served # its log says what differs
fi
check "... each worker reloaded at its comparison, PostgreSQL ahead and no key" \
	test "$(grep -Ec "generation key [0-9]+, applied $HELD: reloading" "$QUIRE_LOG")" -ge 2

# --- and writes go on ------------------------------------------------------
REV=$(psql_quire "select revision from posts where slug = '$SLUG'")
put "$SLUG" TITLE-FOUR BODY-FOUR -H "If-Match: \"$REV\""
check "a write with the restored ETag succeeds (200)" test "$R_STATUS" = 200
check "... served by every worker" every_worker_serves "/posts/$SLUG" 200 BODY-FOUR
check "no worker crashed" test -z "$(crash_lines)"
t_done
