#!/bin/bash
# test_rewrite_race.sh - a deploy's whole rewrite of Redis never puts an
# older version of a post over the one an API write stored meanwhile
#
# Issue 15, property 6 (DESIGN §13): a deploy that finds Redis's key
# moved by the committer rewrites Redis whole from PostgreSQL. It read
# a post from PostgreSQL, the committer then committed and stored a new
# version of it and published it, and the rewrite stored what it had
# read over it: Redis held the older version under the newer key, and a
# worker told of the write read that one, acknowledged it and served
# the older page (tests/coherence: "stale-after-ack", no fault active).
# Here the rewrite's first store is held by a proxy between the deploy
# and Redis (redis_hold_proxy.py) while the write is made.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"
. "$(dirname "$0")/lib_redis.sh"

QUIRECTL=${QUIRECTL:-$QUIRE_BUILDDIR/fcgi/quirectl}
TOKEN=test-token-$RANDOM$RANDOM
PREFIX=quire:
HOLD=
DEPLOY=

t_init
deployed_stack 2
AUTH=(-H "Authorization: Bearer $TOKEN")
stop_helpers() {
	[[ -n $HOLD ]] && { touch "$T_DIR/hold/release" "$T_DIR/hold/stop"; wait "$HOLD" 2>/dev/null; }
	[[ -n $DEPLOY ]] && wait "$DEPLOY" 2>/dev/null
	HOLD= DEPLOY=
}
# The test's status goes through to t_cleanup, which exits with it.
trap 'T_RC=$?; stop_helpers; (exit "$T_RC"); t_cleanup' EXIT

# The post sorts first: the rewrite reads it before any other.
api PUT /api/posts/aaa-race "${AUTH[@]}" "${MD[@]}" \
	--data-binary "$(post_text Race RACE-ONE)"
check "the post is written: 201" test "$R_STATUS" = 201
ETAG=$(header ETag)

mkdir -p "$T_DIR/hold"
PROXY_PORT=$(free_port)
"$T_PY" "$QUIRE_SRCDIR/tests/integration/redis_hold_proxy.py" \
	"$PROXY_PORT" "$REDIS_PORT" "$T_DIR/hold" &
HOLD=$!
for ((i = 0; i < 50; i++)); do port_listening "$PROXY_PORT" && break; sleep 0.1; done

# site.yaml changed: the deploy rewrites Redis whole (DESIGN §6 step 6).
printf 'title: Rewritten\n' >>"$SITE/site.yaml"
QUIRE_REDIS_URL=redis://127.0.0.1:$PROXY_PORT/0 "$QUIRECTL" deploy "$SITE" \
	>"$T_DIR/deploy.out" 2>&1 &
DEPLOY=$!
for ((i = 0; i < 200; i++)); do [[ -e $T_DIR/hold/holding ]] && break; sleep 0.05; done
check "the rewrite's first store is held" test -e "$T_DIR/hold/holding"

api PUT /api/posts/aaa-race "${AUTH[@]}" "${MD[@]}" -H "If-Match: $ETAG" \
	--data-binary "$(post_text Race RACE-TWO)"
check "meanwhile the post is written again: 200, 2/2 (got $R_STATUS $(header Quire-Acknowledged))" \
	test "$R_STATUS:$(header Quire-Acknowledged)" = 200:2/2
REV=$(header ETag | tr -d '"')

touch "$T_DIR/hold/release"
wait "$DEPLOY"
drc=$?
DEPLOY=
check "the deploy succeeds (exit $drc)" test "$drc" = 0
got=$(rcli HGET "${PREFIX}post:aaa-race" revision)
check "redis holds the write's revision $REV, not the rewrite's older one (got $got)" \
	test "$got" = "$REV"
# A worker told of the post (a message naming it again, as a worker
# told of the write after the rewrite's store was) reads Redis's copy,
# and serves it: the write's. Before any page is read: a read that finds
# Redis older fills it from PostgreSQL (tiers_fetch), hiding the defect.
rcli PUBLISH "${PREFIX}invalidate" "$(rcli GET "${PREFIX}generation") aaa-race" >/dev/null
sleep 1
check "a worker told of the post serves the write" \
	every_worker_serves /posts/aaa-race 200 RACE-TWO
stop_helpers
check "no worker crashed" test -z "$(crash_lines)"
t_done
