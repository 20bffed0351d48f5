#!/bin/bash
# test_search_pg.sh - /search with PostgreSQL (full mode), through nginx
#
# DESIGN §4 and §5: the tsvector kept by the deploy's and the API's own
# transactions (schema step 6), websearch_to_tsquery, ts_rank,
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
# A long body: its headline is made from the first 600 characters of
# its text alone (tier_pg_conn.c, PG_HEADLINE_TEXT), so a word past
# them is found but not shown.
{
	printf -- '---\ntitle: Long read\ndate: 2020-08-01\n---\nleadingwordx opens this post.\n\n'
	for _ in $(seq 60); do printf 'Filler sentence of the long read goes on and on here.\n'; done
	printf '\nDeepwordx closes it.\n'
} >"$T_DIR/site/posts/long-read.md"
"$QUIRECTL" deploy "$T_DIR/site" >"$T_DIR/deploy.out" 2>&1 || fail "the deploy failed: $(tail -3 "$T_DIR/deploy.out")"
check "the site's language made the configuration english" \
	test "$(psql_quire 'SELECT search_config FROM site' | tr -d ' ')" = english
check "every post has its tsvector" \
	test "$(psql_quire 'SELECT count(*) FROM posts WHERE search IS NULL' | tr -d ' ')" = 0
check "... named posts_search" \
	test "$(psql_quire "SELECT count(*) FROM pg_indexes WHERE indexname = 'posts_search' AND indexdef LIKE '%gin%'" | tr -d ' ')" = 1
# quire sends each body's text (schema step 14): the vectors made from
# it are those quire_html_text's text makes, word for word.
check "every post's text kept with it" \
	test "$(psql_quire 'SELECT count(*) FROM posts WHERE body_text IS NULL' | tr -d ' ')" = 0
check "... its vector the one quire_html_text's text makes" \
	test "$(psql_quire "SELECT count(*) FROM posts WHERE search IS DISTINCT FROM
		quire_search_vector('english', title, tags, html)" | tr -d ' ')" = 0
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
		WHERE funcname = 'quire_search_vector_text'" | tr -d ' '
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
# quire_html_text keeps the HTML's line breaks, search_html_text makes
# them spaces: a text without one was quire's (the statistics do not
# count quire_html_text, a SQL function the planner inlines)
check "... from the text quire sent, not quire_html_text's" \
	test "$(psql_quire "SELECT strpos(html, chr(10)) > 0 AND strpos(body_text, chr(10)) = 0
		FROM posts WHERE slug = 'from-api'")" = t
req '/search?q=thirdlivewordnow'
check "... and it is the new text's" has /posts/from-api
req '/search?q=otherlivewordnow'
check "... not the old one's" lacks /posts/from-api

echo "== a row an older build writes gets its text from its HTML (step 14)"
# An older build sends no body_text: its insert leaves it NULL, and its
# upsert of new HTML leaves the text of the HTML before. The trigger
# makes it from the HTML in both cases, so the vector and the headline
# are of the row's own HTML.
psql_quire "INSERT INTO posts (slug, kind, origin, source, body_offset, hash,
	title, html) VALUES ('older-build', 'post', 'api', 'x', 0, 1, 'Older',
	'<p>olderbuildx <em>w</em>ord</p>')" >/dev/null
check "an insert without the text: made from the HTML" \
	test "$(psql_quire "SELECT body_text FROM posts WHERE slug = 'older-build'")" = ' olderbuildx word '
psql_quire "UPDATE posts SET html = '<p>newerhtmlx</p>' WHERE slug = 'older-build'" >/dev/null
check "an update of the HTML alone: the text made again" \
	test "$(psql_quire "SELECT body_text FROM posts WHERE slug = 'older-build'")" = ' newerhtmlx '
check "... and the vector with it" \
	test "$(psql_quire "SELECT search @@ to_tsquery('english', 'newerhtmlx') AND NOT search @@ to_tsquery('english', 'olderbuildx') FROM posts WHERE slug = 'older-build'")" = t
psql_quire "DELETE FROM posts WHERE slug = 'older-build'" >/dev/null
psql_quire 'ALTER SYSTEM RESET track_functions' >/dev/null
psql_quire 'SELECT pg_reload_conf()' >/dev/null

api DELETE /api/posts/from-api "${AUTH[@]}"
check "DELETE: 204" test "$R_STATUS" = 204
req '/search?q=thirdlivewordnow'
check "a deleted post is not found" lacks /posts/from-api

echo "== quire_html_text parts words as search_html_text does (step 12)"
# block tags and <br> part words, inline ones (any case, with
# attributes) do not; a name is matched whole: <a2>, <abbrx> are blocks
check "inline tags join, block tags and <br> part" test \
	"$(psql_quire "SELECT '[' || quire_html_text('<p>a<SPAN CLASS=\"x\">b</SPAN>c<br>d</p><h1>e</h1><a2>f</a2><abbrx>g<Em>h</eM>&lt;i&gt;') || ']'")" \
	= '[ abc d  e  f  gh<i>]'
check "... still IMMUTABLE" \
	test "$(psql_quire "SELECT provolatile FROM pg_proc WHERE proname = 'quire_html_text'" | tr -d ' ')" = i

echo "== step 13 makes stored vectors again from the word-whole text"
# A vector as step 11 made it (from the HTML: "un<em>believ</em>able"
# three words), the schema put back at 12: the migration's step 13
# makes it again, and the search finds the whole word.
psql_quire "UPDATE posts SET search = setweight(to_tsvector('english', title), 'A')
	|| setweight(to_tsvector('english', html), 'C') WHERE slug = 'joined'" >/dev/null
psql_quire "UPDATE quire_schema SET version = 12" >/dev/null
check "a vector from the HTML: the word not in it" \
	test "$(psql_quire "SELECT search @@ to_tsquery('english', 'unbelievable') FROM posts WHERE slug = 'joined'")" = f
psql_quire "UPDATE posts SET body_text = NULL WHERE slug = 'joined'" >/dev/null
check "quirectl migrate runs step 13 (and 14)" bash -c \
	"'$QUIRECTL' migrate 2>&1 | grep -q 'from version 12 to '"
check "... the vector made again" \
	test "$(psql_quire "SELECT search @@ to_tsquery('english', 'unbelievable') FROM posts WHERE slug = 'joined'")" = t
check "... every row's the word-whole text's" \
	test "$(psql_quire "SELECT count(*) FROM posts WHERE search IS DISTINCT FROM
		quire_search_vector('english', title, tags, html)" | tr -d ' ')" = 0
check "step 14 gives a row stored without its text the text" \
	test "$(psql_quire "SELECT body_text = quire_html_text(html) FROM posts WHERE slug = 'joined'")" = t

echo "== step 15 keeps the vectors in the row, not in TOAST"
# The schema put back at 14: the column EXTENDED again and one vector
# made big (250 words of its own, random hex: 4 KB pglz cannot shrink)
# and new, so PostgreSQL moves it out of line; the migration's step 15
# brings it back into the heap. pageinspect reads the row as stored:
# an out-of-line value is its 18-byte TOAST pointer there.
psql_quire "CREATE EXTENSION IF NOT EXISTS pageinspect" >/dev/null 2>&1
stored_vector_bytes() {
	psql_quire "WITH r AS (SELECT ctid FROM posts WHERE slug = '$1'),
		a AS (SELECT attnum FROM pg_attribute
		      WHERE attrelid = 'posts'::regclass AND attname = 'search')
		SELECT octet_length((tuple_data_split('posts'::regclass, h.t_data,
			h.t_infomask, h.t_infomask2, h.t_bits))[a.attnum])
		FROM r, a, heap_page_items(get_raw_page('posts',
			(r.ctid::text::point)[0]::int)) h
		WHERE h.lp = (r.ctid::text::point)[1]::int" | tr -d ' '
}
psql_quire "ALTER TABLE posts ALTER COLUMN search SET STORAGE EXTENDED" >/dev/null
psql_quire "UPDATE posts SET search = search || to_tsvector('simple',
	(SELECT string_agg('w' || left(md5(i::text), 12), ' ')
	 FROM generate_series(1, 250) i))
	WHERE slug = 'long-read'" >/dev/null
psql_quire "UPDATE quire_schema SET version = 14" >/dev/null
before=$(stored_vector_bytes long-read)
check "the big vector stored out of line before step 15 ($before bytes in the row)" \
	test "$before" -lt 100
check "quirectl migrate runs step 15" bash -c \
	"'$QUIRECTL' migrate 2>&1 | grep -q 'from version 14 to '"
check "... the column is MAIN" test "$(psql_quire "SELECT attstorage FROM pg_attribute
	WHERE attrelid = 'posts'::regclass AND attname = 'search'" | tr -d ' ')" = m
after=$(stored_vector_bytes long-read)
check "... the vector is in the row now ($after bytes)" test "$after" -gt 3000
check "... and is the same vector" test "$(psql_quire "SELECT search @@
	to_tsquery('simple', 'w' || left(md5('250'), 12)) FROM posts
	WHERE slug = 'long-read'")" = t
psql_quire "UPDATE posts SET search = quire_search_vector_text('english',
	title, tags, body_text) WHERE slug = 'long-read'" >/dev/null

echo "== the headline reads a bounded prefix of the body"
search '/search?q=leadingwordx'
check "a word at the start: found, marked" has '<mark>leadingwordx</mark>'
search '/search?q=deepwordx'
check "a word past the first 600 characters: found" has /posts/long-read
check "... the snippet is the body's start, unmarked" \
	bash -c "grep -Fq 'leadingwordx opens' '$T_DIR/r.body' && ! grep -Fq '<mark>' '$T_DIR/r.body'"

echo "== the trigger makes a vector again only when its text changed"
# An UPDATE that names the text columns without changing them (as any
# statement that rewrites a row may) keeps the vector: the trigger's
# WHEN (step 11). An upsert carries the vector the insert trigger made
# of the same text (step 10), so a deploy leaves a correct one.
psql_quire "UPDATE posts SET search = 'sentinelx'::tsvector WHERE slug = 'kiwi'"
psql_quire "UPDATE posts SET title = title, tags = tags, html = html,
	date = date + interval '1 day' WHERE slug = 'kiwi'" >/dev/null
check "an UPDATE of the same text: its vector left as it was" \
	test "$(psql_quire "SELECT search = 'sentinelx'::tsvector FROM posts WHERE slug = 'kiwi'")" = t
psql_quire "UPDATE posts SET title = title || ' ' WHERE slug = 'kiwi'" >/dev/null
check "an UPDATE of the title: the vector made again" \
	test "$(psql_quire "SELECT search @@ to_tsquery('english', 'kiwix') FROM posts WHERE slug = 'kiwi'")" = t
sed -i 's/^date: 2020-03-03/date: 2020-03-05/' "$T_DIR/site/posts/kiwi.md"
"$QUIRECTL" deploy "$T_DIR/site" >"$T_DIR/deploy2.out" 2>&1 || fail "the deploy failed: $(tail -3 "$T_DIR/deploy2.out")"
check "a deploy that changed its date alone: the row was written" \
	test "$(psql_quire "SELECT extract(day FROM date)::int FROM posts WHERE slug = 'kiwi'")" = 5
check "... and its vector is its text's" \
	test "$(psql_quire "SELECT search @@ to_tsquery('english', 'kiwix') FROM posts WHERE slug = 'kiwi'")" = t
sed -i 's/kiwix only/kiwix passionx/' "$T_DIR/site/posts/kiwi.md"
"$QUIRECTL" deploy "$T_DIR/site" >"$T_DIR/deploy3.out" 2>&1 || fail "the deploy failed: $(tail -3 "$T_DIR/deploy3.out")"
check "a deploy that changed its body: the vector made again" \
	test "$(psql_quire "SELECT search @@ to_tsquery('english', 'passionx & kiwix') FROM posts WHERE slug = 'kiwi'")" = t
check "... with the title's words weighted A" \
	test "$(psql_quire "SELECT search @@ to_tsquery('english', 'green:A') FROM posts WHERE slug = 'kiwi'")" = t

echo "== searches over their bound get a quick 503; reads go on"
# Two workers: one search at a time (--search-concurrency's default,
# half the workers). A lock on posts holds the first search in its
# worker; the second search, in the other worker, is refused at once,
# and that worker serves the reads. Without the bound both workers
# would wait on the lock, reads with them.
for _ in 1 2 3 4; do req /posts/title-word; done
pg_quire -c "BEGIN; LOCK TABLE posts IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(6); COMMIT" >/dev/null 2>&1 &
LOCKER=$!
for _ in $(seq 50); do
	[[ $(psql_quire "SELECT count(*) FROM pg_locks WHERE relation = 'posts'::regclass AND mode = 'AccessExclusiveLock' AND granted") == 1 ]] && break
	sleep 0.1
done
curl -s -o "$T_DIR/held.body" -w '%{http_code}' --max-time 20 "$BASE/search?q=passionx" >"$T_DIR/held.status" &
HELD=$!
for _ in $(seq 50); do
	[[ $(psql_quire "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%websearch_to_tsquery%'") -ge 1 ]] && break
	sleep 0.1
done
t0=$(date +%s%N)
req '/search?q=mangox+yellow'
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "a second search: 503 (${ms} ms)" test "$R_STATUS" = 503
check "... at once, not after the lock (under 3 s)" test "$ms" -lt 3000
check "... a page that says search is busy" has 'Search is busy'
check "... Retry-After: 1" test "$(header Retry-After)" = 1
for _ in 1 2 3; do
	req /posts/title-word
	check "a read meanwhile: 200 (X-Quire-Worker $(header X-Quire-Worker))" test "$R_STATUS" = 200
done
wait "$HELD"
check "the held search answers once the lock is gone: 200" test "$(cat "$T_DIR/held.status")" = 200
check "... and found its post" grep -Fq /posts/kiwi "$T_DIR/held.body"
wait "$LOCKER" || true
search '/search?q=mangox+yellow'
check "searches answer again: 200" test "$R_STATUS" = 200

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
