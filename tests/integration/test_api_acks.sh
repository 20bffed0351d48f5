#!/bin/bash
# test_api_acks.sh - a write's answer says how many workers acknowledged
#
# DESIGN §7 "acknowledged" (issue 15, defect 4): a write is answered
# once committed and announced; the wait for the workers is bounded
# (2 s), so an answer may come before every live worker applied it.
# Every 2xx write answer carries Quire-Acknowledged: ACKED/LIVE. A
# normal write: ACKED = LIVE. With one worker stopped (SIGSTOP, still
# in the registry): the write is still 200, ACKED < LIVE; once the
# worker runs again (SIGCONT) it serves the write.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"
. "$(dirname "$0")/lib_redis.sh"

QUIRECTL=${QUIRECTL:-$QUIRE_BUILDDIR/fcgi/quirectl}
TOKEN=test-token-$RANDOM$RANDOM
STOPPED=

t_init
deployed_stack 3

AUTH=(-H "Authorization: Bearer $TOKEN")
# A worker left stopped would hang the clean-up's SIGTERM.
resume() { [[ -n $STOPPED ]] && kill -CONT "$STOPPED" 2>/dev/null; STOPPED=; }
# The test's status goes through to t_cleanup, which exits with it.
trap 'T_RC=$?; resume; (exit "$T_RC"); t_cleanup' EXIT

# Every worker registered (acked or beat) before the first write.
for ((i = 0; i < 50; i++)); do
	grep -q "workers: 3 live" <("$QUIRECTL" status 2>/dev/null) && break
	sleep 0.1
done
check "three live workers" grep -q "workers: 3 live" <("$QUIRECTL" status)

api PUT /api/posts/acked "${AUTH[@]}" "${MD[@]}" \
	--data-binary "$(post_text Acked ACK-BODY-ONE)"
check "a write: 201" test "$R_STATUS" = 201
check "... Quire-Acknowledged: 3/3 (got '$(header Quire-Acknowledged)')" \
	test "$(header Quire-Acknowledged)" = 3/3
api PUT /api/posts/acked "${AUTH[@]}" "${MD[@]}" \
	--data-binary "$(post_text Acked ACK-BODY-TWO)"
check "a replacement: 200, 3/3 (got '$(header Quire-Acknowledged)')" \
	test "$R_STATUS:$(header Quire-Acknowledged)" = 200:3/3
api DELETE /api/posts/acked "${AUTH[@]}"
check "a delete: 204, 3/3 (got '$(header Quire-Acknowledged)')" \
	test "$R_STATUS:$(header Quire-Acknowledged)" = 204:3/3
api GET /api/posts/nothing-here "${AUTH[@]}"
check "a read has no Quire-Acknowledged" test -z "$(header Quire-Acknowledged)"
api PUT /api/posts/second "${AUTH[@]}" "${MD[@]}" --data-binary "$(post_text T X)"
check "a refused write (409) has none" \
	test "$R_STATUS:$(header Quire-Acknowledged)" = 409:

# One worker stopped: it stays live in the registry (10 s) but cannot
# acknowledge. The write waits its 2 s, then is answered all the same.
STOPPED=$(workers_of "$QUIRE_PID" | head -n1)
kill -STOP "$STOPPED"
t_log "stopped worker $STOPPED"
t0=$(date +%s%N)
api PUT /api/posts/acked "${AUTH[@]}" "${MD[@]}" \
	--data-binary "$(post_text Acked ACK-BODY-THREE)"
ms=$((($(date +%s%N) - t0) / 1000000))
check "with a worker stopped the write is still 201 (${ms} ms)" \
	test "$R_STATUS" = 201
check "... Quire-Acknowledged: 2/3 (got '$(header Quire-Acknowledged)')" \
	test "$(header Quire-Acknowledged)" = 2/3
ETAG=$(header ETag)
check "... with its ETag ($ETAG)" test -n "$ETAG"
resume
check "once it runs again every worker serves the write" \
	every_worker_serves /posts/acked 200 ACK-BODY-THREE
api PUT /api/posts/acked "${AUTH[@]}" "${MD[@]}" -H "If-Match: $ETAG" \
	--data-binary "$(post_text Acked ACK-BODY-FOUR)"
check "the next write: 200, 3/3 again (got '$(header Quire-Acknowledged)')" \
	test "$R_STATUS:$(header Quire-Acknowledged)" = 200:3/3

check "no worker crashed" test -z "$(crash_lines)"
t_done
