#!/bin/bash
# test_tier_faults.sh - the shared tiers failing under load, and two pools
#
# DESIGN §8: Redis killed while wrk reads -> zero failed reads; an L2
# miss is read from PostgreSQL and filled back into Redis; two pools
# ("two hosts": two spawn-fcgi sockets behind two nginx ports) sharing
# one Redis and one PostgreSQL both pick up one deploy.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"
. "$(dirname "$0")/lib_redis.sh"

QUIRECTL=${QUIRECTL:-$QUIRE_BUILDDIR/fcgi/quirectl}
POST=/posts/hello-world
PREFIX=quire:

t_init
start_tiers
command -v wrk >/dev/null || { echo "SKIP: wrk is not installed"; exit 77; }

copy_test_site
check "the site is deployed" "$QUIRECTL" deploy "$SITE"

QUIRE_WORKERS=2 t_start_stack "$T_DIR/no-such-dir"
BASE_A=$BASE

# A second pool, as on a second host: its own socket, nginx and port.
B=$T_DIR/b
mkdir -p "$B"
chmod 755 "$B"
mapfile -t owner < <(socket_owner_args)
QUIRE_CONTENT_DIR=$T_DIR/no-such-dir QUIRE_TEMPLATES_DIR=$QUIRE_SRCDIR/templates \
QUIRE_SITE_URL=$BASE_A QUIRE_WORKERS=2 \
	spawn-fcgi -n -s "$B/quire.sock" -M 0660 "${owner[@]}" -- "$QUIRE_FCGI" \
	>>"$B/quire.log" 2>&1 &
T_PIDS+=($!)
PORT_B=$(free_port)
"$QUIRE_SRCDIR/deploy/render-conf" "$QUIRE_SRCDIR/deploy/nginx.conf.in" \
	"$B/nginx.conf" "$PORT_B" "$B" "$B/quire.sock" "$QUIRE_SRCDIR/static"
for ((i = 0; i < 50; i++)); do [[ -S $B/quire.sock ]] && break; sleep 0.1; done
nginx -c "$B/nginx.conf" -p "$B/" -e "$B/nginx-error.log" >>"$B/nginx.out" 2>&1 &
T_PIDS+=($!)
BASE_B=http://127.0.0.1:$PORT_B
for ((i = 0; i < 50; i++)); do
	[[ $(curl -s -o /dev/null -w '%{http_code}' "$BASE_B/healthz") == 200 ]] && break
	sleep 0.1
done
check "pool B answers" test "$(curl -s -o /dev/null -w '%{http_code}' "$BASE_B$POST")" = 200

# L2 miss -> PostgreSQL -> filled back into Redis.
redis-cli -p "$REDIS_PORT" FLUSHALL >/dev/null
expect_status /posts/second 200
check "an L2 miss is filled back into Redis" \
	test "$(redis-cli -p "$REDIS_PORT" EXISTS "${PREFIX}post:second")" = 1
# Put Redis back in step (the flush dropped the index and generation).
sed -i '$a\\' "$SITE/posts/2024-04-01-newest.md"
"$QUIRECTL" deploy "$SITE" >/dev/null 2>&1
check "the deploy after the flush rewrote Redis" \
	test "$(redis-cli -p "$REDIS_PORT" EXISTS "${PREFIX}index")" = 1

# One deploy, both pools.
sed -i 's/^FIXTURE-HELLO-BODY/BOTH-POOLS FIXTURE-HELLO-BODY/' "$SITE/posts/2024-01-10-hello-world.md"
check "a deploy with two pools succeeds" "$QUIRECTL" deploy "$SITE"
both=1
for base in "$BASE_A" "$BASE_B"; do
	for ((i = 0; i < 20; i++)); do
		curl -s "$base$POST" | grep BOTH-POOLS >/dev/null || both=0
	done
done
check "both pools serve the deploy the moment it returns" test $both = 1
check "quirectl status sees four workers" \
	grep -q "workers: 4 live" <("$QUIRECTL" status)

# Redis killed and restarted while wrk reads: no failed request.
curl -s -o /dev/null "$BASE_A/"
curl -s -o /dev/null "$BASE_A$POST"
wrk -t2 -c8 -d6s "$BASE_A$POST" >"$T_DIR/wrk.out" 2>&1 &
WRK=$!
T_PIDS+=($WRK)
sleep 1.5
stop_redis
sleep 2
start_redis_again || fail "redis did not come back"
wait $WRK
sed 's/^/  wrk: /' "$T_DIR/wrk.out"
check "wrk completed requests" grep -Eq "[0-9]+ requests in" "$T_DIR/wrk.out"
check "no failed request while redis was killed and restarted" \
	not grep -Eq "Non-2xx|Socket errors" "$T_DIR/wrk.out"

# After Redis is back, the workers re-subscribe: a deploy reaches them.
sed -i 's/BOTH-POOLS/AFTER-RESTART/' "$SITE/posts/2024-01-10-hello-world.md"
"$QUIRECTL" deploy "$SITE" >"$T_DIR/deploy.out" 2>&1
cat "$T_DIR/deploy.out" | sed 's/^/  quirectl: /'
seen=0
for ((i = 0; i < 50; i++)); do
	a=$(curl -s "$BASE_A$POST" | grep -c AFTER-RESTART)
	b=$(curl -s "$BASE_B$POST" | grep -c AFTER-RESTART)
	if ((a > 0 && b > 0)); then seen=1; break; fi
	sleep 0.2
done
check "after redis restarted, both pools pick up the next deploy" test $seen = 1

check "no worker crashed" test -z "$(crash_lines)"
t_done
