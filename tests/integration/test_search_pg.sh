#!/bin/bash
# test_search_pg.sh - /search with PostgreSQL (full mode), through nginx
#
# DESIGN §4 and §5: the tsvector kept by the deploy's and the API's own
# transactions (schema step 6), websearch_to_tsquery, ts_rank_cd,
# ts_headline escaped and marked, the site's language; every check of
# lib_search.sh; a write through the API found as soon as it is
# acknowledged, a delete gone as soon; PostgreSQL killed: the search page
# is a 503 that says so while the posts are still served.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=lib_pg.sh
. "$(dirname "$0")/lib_pg.sh"
# shellcheck source=lib_redis.sh
. "$(dirname "$0")/lib_redis.sh"
# shellcheck source=lib_search.sh
. "$(dirname "$0")/lib_search.sh"

QUIRECTL=${QUIRECTL:-$QUIRE_BUILDDIR/fcgi/quirectl}
TOKEN=test-token-$RANDOM$RANDOM

t_init
unset QUIRE_ENABLE_DRAFTS
T_API_SOCK=1
start_tiers
search_site "$T_DIR/site"
"$QUIRECTL" deploy "$T_DIR/site" >"$T_DIR/deploy.out" 2>&1 || fail "the deploy failed: $(tail -3 "$T_DIR/deploy.out")"
check "the site's language made the configuration english" \
	test "$(psql_quire 'SELECT search_config FROM site' | tr -d ' ')" = english
check "every post has its tsvector" \
	test "$(psql_quire 'SELECT count(*) FROM posts WHERE search IS NULL' | tr -d ' ')" = 0
check "... named posts_search" \
	test "$(psql_quire "SELECT count(*) FROM pg_indexes WHERE indexname = 'posts_search' AND indexdef LIKE '%gin%'" | tr -d ' ')" = 1
t_token_file
QUIRE_WORKERS=2 t_start_stack "$T_DIR/no-such-dir"

search_checks

echo "== stemming by the site's language"
search '/search?q=walking'
check "walking finds 'walked' (english)" has /posts/body-word

echo "== an API write is found once acknowledged"
AUTH=(-H "Authorization: Bearer $TOKEN")
api PUT /api/posts/from-api "${AUTH[@]}" "${MD[@]}" \
	--data-binary "$(printf -- '---\ntitle: Written live\ndate: 2020-07-01\n---\nlivewrittenword body\n')"
check "PUT: 201" test "$R_STATUS" = 201
for _ in 1 2 3 4; do
	req '/search?q=livewrittenword'
	check "found at once (X-Quire-Worker $(header X-Quire-Worker))" has /posts/from-api
done
api PUT /api/posts/from-api "${AUTH[@]}" "${MD[@]}" \
	--data-binary "$(printf -- '---\ntitle: Written live\ndate: 2020-07-01\n---\notherlivewordnow\n')"
check "replace: 200" test "$R_STATUS" = 200
for _ in 1 2 3 4; do
	req '/search?q=livewrittenword'
	check "the old word is gone at once (cached results dropped)" lacks /posts/from-api
done

echo "== the search vector is made once a write"
# An upsert that finds its row fires the BEFORE INSERT trigger on the
# proposed row, then the BEFORE UPDATE one: to_tsvector twice, the
# committing backend's largest cost (tests/bench/mixed). Schema step 10
# keeps the vector the statement carries (search = excluded.search).
psql_quire "ALTER SYSTEM SET track_functions = 'all'" >/dev/null
psql_quire 'SELECT pg_reload_conf()' >/dev/null
sleep 1   # every backend reads the reloaded setting before its next command
vector_calls() {
	psql_quire "SELECT coalesce(sum(calls), 0) FROM pg_stat_user_functions
		WHERE funcname = 'quire_search_vector'" | tr -d ' '
}
api PUT /api/posts/from-api "${AUTH[@]}" "${MD[@]}" \
	--data-binary "$(printf -- '---\ntitle: Written live\ndate: 2020-07-01\n---\nwarmword\n')"
check "a write to count from: 200" test "$R_STATUS" = 200
# a backend sends its counts at most once a second: read them until they
# stay the same for 1.5 s
settled_calls() {
	local a b i
	b=$(vector_calls)
	for i in $(seq 10); do
		a=$b
		sleep 1.5
		b=$(vector_calls)
		[ "$a" = "$b" ] && break
	done
	echo "$b"
}
calls0=$(settled_calls)
api PUT /api/posts/from-api "${AUTH[@]}" "${MD[@]}" \
	--data-binary "$(printf -- '---\ntitle: Written live\ndate: 2020-07-01\n---\nthirdlivewordnow\n')"
check "replace: 200" test "$R_STATUS" = 200
calls1=$(settled_calls)
check "one search vector made for the update (made $((calls1 - calls0)))" test "$((calls1 - calls0))" = 1
req '/search?q=thirdlivewordnow'
check "... and it is the new text's" has /posts/from-api
req '/search?q=otherlivewordnow'
check "... not the old one's" lacks /posts/from-api
psql_quire 'ALTER SYSTEM RESET track_functions' >/dev/null
psql_quire 'SELECT pg_reload_conf()' >/dev/null

api DELETE /api/posts/from-api "${AUTH[@]}"
check "DELETE: 204" test "$R_STATUS" = 204
req '/search?q=thirdlivewordnow'
check "a deleted post is not found" lacks /posts/from-api

echo "== PostgreSQL down"
req /posts/title-word
check "a post before: 200" test "$R_STATUS" = 200
stop_pg
req '/search?q=zebra+crossings'
check "search: 503" test "$R_STATUS" = 503
check "... a page that says search is unavailable" has 'Search is unavailable'
check "... with the site around it (the form)" has 'role="search"'
check "... and Retry-After" test -n "$(header Retry-After)"
for p in /posts/title-word /posts/body-word / /posts/; do
	expect_status "$p" 200
done
start_pg_again || fail "postgresql did not start again"
ok_after=0
for _ in $(seq 60); do
	req '/search?q=zebra+crossings'
	[[ $R_STATUS == 200 ]] && { ok_after=1; break; }
	sleep 0.2
done
check "search answers again once PostgreSQL is back" test "$ok_after" = 1

check "no crash in quire's log" not crash_lines
t_done
