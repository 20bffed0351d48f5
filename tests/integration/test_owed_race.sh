#!/bin/bash
# test_owed_race.sh - a writer's repair of what Redis is owed never puts
# an older version of a post over one another writer stored meanwhile
#
# Issue 15 (DESIGN §6, "What Redis is owed"; §13). A writer that owes
# Redis a slug reads it anew from PostgreSQL and stores it (tiers_store.c,
# store_owing). Stored unconditionally, that is a read-then-store: a
# second writer that commits and stores a newer version in between (a
# deploy of a content file; another host's committer; the committer of
# the previous image during an upgrade) has it overwritten with the older
# one, and a worker told of the slug reads that from Redis and serves it.
# Here the writer is a committer started after a kill, which owes every
# slug whose Redis copy differs from PostgreSQL's (a deploy Redis
# refused); its repair's first store is held by a proxy between it and
# Redis (redis_hold_proxy.py) while a deploy writes the post again.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=lib_pg.sh
. "$(dirname "$0")/lib_pg.sh"
# shellcheck source=lib_redis.sh
. "$(dirname "$0")/lib_redis.sh"

QUIRECTL=${QUIRECTL:-$QUIRE_BUILDDIR/fcgi/quirectl}
TOKEN=test-token-$RANDOM$RANDOM
PREFIX=quire:
SLUG=hello-world
FILE=posts/2024-01-10-hello-world.md
HOLD=
T_TIMEOUT=90

t_init
start_tiers
copy_test_site
check "the site is deployed" "$QUIRECTL" deploy "$SITE"
t_token_file

mkdir -p "$T_DIR/hold"
PROXY_PORT=$(free_port)
"$T_PY" "$QUIRE_SRCDIR/tests/integration/redis_hold_proxy.py" \
	"$PROXY_PORT" "$REDIS_PORT" "$T_DIR/hold" &
HOLD=$!
for ((i = 0; i < 50; i++)); do port_listening "$PROXY_PORT" && break; sleep 0.1; done
stop_helpers() {
	[[ -n $HOLD ]] && { touch "$T_DIR/hold/release" "$T_DIR/hold/stop"; wait "$HOLD" 2>/dev/null; }
	HOLD=
}
# The test's status goes through to t_cleanup, which exits with it.
trap 'T_RC=$?; stop_helpers; (exit "$T_RC"); t_cleanup' EXIT
# The pool, committer and all, reaches Redis through the proxy, which
# holds the first store it sees (a MULTI, or the compare script loaded):
# nothing is written before the repair below.
QUIRE_REDIS_URL=redis://127.0.0.1:$PROXY_PORT/0 QUIRE_WORKERS=2 \
	t_start_stack "$T_DIR/no-such-dir"

pg_rev() { psql_quire "SELECT revision FROM posts WHERE slug = '$SLUG'"; }
redis_rev() { rcli HGET "${PREFIX}post:$SLUG" revision; }
# edit MARK: the post's body line carries MARK.
edit() { sed -i "s/^FIXTURE-HELLO-BODY.*/FIXTURE-HELLO-BODY $1/" "$SITE/$FILE"; }

echo "== Redis refuses a deploy: PostgreSQL is ahead of it"
rcli CONFIG SET maxmemory-policy noeviction >/dev/null
rcli CONFIG SET maxmemory 1 >/dev/null
edit VERSION-TWO
"$QUIRECTL" deploy "$SITE" >"$T_DIR/deploy2.out" 2>&1
t_log "the deploy with Redis out of memory exited $?"
rcli CONFIG SET maxmemory 0 >/dev/null
REV2=$(pg_rev)
check "postgresql holds the new revision ($REV2), redis the old ($(redis_rev))" \
	test "$(redis_rev)" -lt "$REV2"

echo "== a committer started anew owes the post; its repair is held"
committer=$(committer_of "$QUIRE_PID")
kill -KILL "$committer"
t_log "killed the committer $committer"
for ((i = 0; i < 200; i++)); do [[ -e $T_DIR/hold/holding ]] && break; sleep 0.05; done
check "the new committer's repair store is held" test -e "$T_DIR/hold/holding"

echo "== meanwhile a deploy writes the post again"
edit VERSION-THREE
"$QUIRECTL" deploy "$SITE" >"$T_DIR/deploy3.out" 2>&1
drc=$?
check "the deploy succeeds (exit $drc)" test "$drc" = 0
REV3=$(pg_rev)
check "redis holds its revision $REV3 (got $(redis_rev))" test "$(redis_rev)" = "$REV3"

echo "== the repair goes on"
touch "$T_DIR/hold/release"
# Its store, then its publish of the slug: every worker reads it again.
sleep 2
check "redis still holds revision $REV3, not the repair's $REV2 (got $(redis_rev))" \
	test "$(redis_rev)" = "$REV3"
check "the committer kept the deploy's version, and says so" \
	quire_log_has 'repair: 1 slug\(s\) stored by another writer'
check "every worker serves the deploy's version" \
	every_worker_serves "/posts/$SLUG" 200 VERSION-THREE
stop_helpers
check "no process crashed" not crash_lines
t_done
