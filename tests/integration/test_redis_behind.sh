#!/bin/bash
# test_redis_behind.sh - a store Redis missed, owed by nobody, is found
# and repaired: every worker serves the change without another one
#
# Issue 15, seed 904 (DESIGN §6, "What Redis is owed"). A deploy whose
# store Redis does not take (here Redis refuses writes: out of memory,
# noeviction) has committed: PostgreSQL is ahead of Redis's generation
# key, and the deploy, a process that ends, owes Redis nothing anyone
# remembers. The workers compare their generation with the key, which
# did not move: they served the version before the deploy until the
# next change of the post. The committer's watch (tiers_watch_behind)
# sees the key stay behind PostgreSQL's, compares the two indexes and
# repairs: within seconds every worker serves the deploy, Redis holds
# it and its key is PostgreSQL's generation. Also while API writes keep
# coming (each store leaves the key where it is: their run does not
# start right behind it).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=lib_pg.sh
. "$(dirname "$0")/lib_pg.sh"
# shellcheck source=lib_redis.sh
. "$(dirname "$0")/lib_redis.sh"

QUIRECTL=${QUIRECTL:-$QUIRE_BUILDDIR/fcgi/quirectl}
TOKEN=test-token-$RANDOM$RANDOM
POST=/posts/hello-world
FILE=posts/2024-01-10-hello-world.md
SERVE_S=10

t_init
start_tiers
copy_test_site
check "the site is deployed" "$QUIRECTL" deploy "$SITE"
t_token_file
QUIRE_WORKERS=2 t_start_stack "$T_DIR/no-such-dir"
# The committer's first comparison (made at its start) done: what it
# finds below is the watch's.
sleep 1

edit() { sed -i "s/^FIXTURE-HELLO-BODY.*/FIXTURE-HELLO-BODY $1/" "$SITE/$FILE"; }
deploy() {
	"$QUIRECTL" deploy "$SITE" >"$T_DIR/deploy.out" 2>&1
	D_STATUS=$?
	sed 's/^/  quirectl: /' "$T_DIR/deploy.out"
}
# A deploy while Redis refuses every write, then Redis taking them again
# (a pause would not do: the commands it holds run when it ends).
deploy_refused() {
	rcli CONFIG SET maxmemory 1 >/dev/null
	deploy
	rcli CONFIG SET maxmemory 0 >/dev/null
}
put() { # SLUG: one API write; its status
	curl -s -o /dev/null -w '%{http_code}' -X PUT \
		-H "Authorization: Bearer $TOKEN" -H 'Content-Type: text/markdown' \
		--data-binary "$(printf -- '---\ntitle: %s\n---\n\nBody.\n' "$1")" \
		"$BASE/api/posts/$1"
}

echo "== a deploy Redis did not take, nothing written after it"
edit "BEHIND-ONE"
deploy_refused
check "the deploy commits and exits 3: redis did not take it (got $D_STATUS)" \
	test "$D_STATUS" = 3
check "every worker serves it within ${SERVE_S}s, with no other change" \
	every_worker_serves_within "$SERVE_S" "$POST" 200 "BEHIND-ONE"
check "the committer found redis's key behind postgresql's" \
	quire_log_has "behind postgresql's [0-9]+ for [0-9]+ ms, no store moving it"
check "redis holds the deployed version" \
	grep -q "BEHIND-ONE" <(rcli HGET quire:post:hello-world source)
gen_pg=$(psql_quire "SELECT generation FROM site")
check "redis's generation key is postgresql's ($(rcli GET quire:generation), $gen_pg)" \
	test "$(rcli GET quire:generation)" = "$gen_pg"

echo "== the same, with API writes all along"
edit "BEHIND-TWO"
deploy_refused
check "the deploy exits 3 (got $D_STATUS)" test "$D_STATUS" = 3
end=$((SECONDS + SERVE_S)) n=0 bad=0
while ((SECONDS < end)); do
	code=$(put "w-$((n % 5))")
	[[ $code == 200 || $code == 201 ]] || bad=$((bad + 1))
	n=$((n + 1))
	every_worker_serves "$POST" 200 "BEHIND-TWO" >/dev/null 2>&1 && break
	sleep 0.05
done
check "every worker serves it within ${SERVE_S}s while $n API writes went on" \
	every_worker_serves "$POST" 200 "BEHIND-TWO"
check "... every one of them acknowledged ($bad not)" test "$bad" = 0
# The workers may have had it by a full reload (an API write's
# generation past theirs by more than one); Redis only by the watch.
caught=0
for ((i = 0; i < SERVE_S * 5; i++)); do
	gen_pg=$(psql_quire "SELECT generation FROM site")
	if [[ $(rcli GET quire:generation) == "$gen_pg" ]] &&
		rcli HGET quire:post:hello-world source | grep -q "BEHIND-TWO"; then
		caught=1
		break
	fi
	sleep 0.2
done
check "redis holds it, its key at postgresql's generation, within ${SERVE_S}s" \
	test "$caught" = 1
check "quire logged no crash" not crash_lines
t_done
