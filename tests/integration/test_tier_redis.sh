#!/bin/bash
# test_tier_redis.sh - tier_redis (records, index, fills, pub/sub, workers,
# dead connections) against a redis-server started for this test, and a
# second one that wants a password; the checks are in
# tests/tiers/test_tier_redis.c
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=lib_redis.sh
. "$(dirname "$0")/lib_redis.sh"

T_TIMEOUT=${QUIRE_TEST_TIMEOUT:-50}
t_init
prog=$QUIRE_BUILDDIR/tests/tiers/test_tier_redis
if [[ ! -x $prog ]]; then
	fail "$prog is not built (make check builds it)"
	t_done
fi
if ! start_redis; then
	fail "redis-server did not start"
	t_done
fi
# shellcheck disable=SC2119
if start_redis_auth; then
	ok "redis-server with --requirepass started"
else
	fail "redis-server with --requirepass did not start"
fi

out=$T_DIR/test_tier_redis.out
# timeout: a hung wait must fail here, not stall make check.
timeout 40 "$prog" >"$out" 2>&1
rc=$?
sed 's/^/  /' "$out"
if ((rc == 0)); then
	ok "test_tier_redis: $(tail -n1 "$out")"
else
	fail "test_tier_redis exited $rc: $(grep -c 'check failed' "$out") failed checks"
fi

# The server outlives a client that was cut off, and comes back.
stop_redis
if start_redis_again && redis_ping "$REDIS_PORT"; then
	ok "redis restarted on port $REDIS_PORT"
else
	fail "redis did not restart on port $REDIS_PORT"
fi
t_done
