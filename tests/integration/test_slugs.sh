#!/bin/bash
# test_slugs.sh - a blog's own files as they come (issue 17, items 4 and 6)
#
# Slugs keep the case their author wrote (file name or slug:), the same
# slug in another case answers one 301 to it, an unknown one still 404
# with no tier read; a file with a byte order mark, blank lines before
# its "---" and CRLF line ends is served; Markdown in a title is HTML on
# the pages and plain text in <title> and the feed. Embedded first, then
# the same content deployed to PostgreSQL and Redis (full mode), and the
# write API's slugs: case kept, a case-only twin refused with 409.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=lib_pg.sh
. "$(dirname "$0")/lib_pg.sh"
# shellcheck source=lib_redis.sh
. "$(dirname "$0")/lib_redis.sh"

QUIRECTL=${QUIRECTL:-$QUIRE_BUILDDIR/fcgi/quirectl}
TOKEN=test-token-$RANDOM$RANDOM

t_init
C=$T_DIR/content
mkdir -p "$C/posts" "$C/pages"
printf -- '---\ntitle: Announcing Rust 1.12.1\n---\nRUST-BODY\n' \
	>"$C/posts/2016-10-20-Rust-1.12.1.md"
printf -- '---\ntitle: Mixed\nslug: MixedCase\ndate: 2020-01-02\n---\nMIXED-BODY\n' \
	>"$C/posts/mixed.md"
# A byte order mark, a blank and a whitespace-only line, CRLF throughout.
printf '\xef\xbb\xbf\r\n \t\r\n---\r\ntitle: Lenient Post\r\ndate: 2020-01-03\r\n---\r\nLENIENT-BODY *em*\r\n\r\nsecond\r\n' \
	>"$C/posts/lenient.md"
printf -- '---\ntitle: "Faster linking with `rust-lld`"\ndate: 2020-01-04\ntags: [t]\n---\nTITLE-BODY\n' \
	>"$C/posts/linking.md"
printf -- '---\ntitle: "A <script>alert(1)</script> & *Really* fast"\ndate: 2020-01-05\ntags: [t]\n---\nESC-BODY\n' \
	>"$C/posts/escape.md"
printf -- '---\ntitle: About *me*\n---\nABOUT-BODY\n' >"$C/pages/About.md"

# The checks of the content, the same in both modes.
check_served() {
	local mode=$1
	echo "== $mode: slugs as written"
	expect_status /posts/Rust-1.12.1 200
	expect_body_contains /posts/Rust-1.12.1 RUST-BODY
	req /posts/Rust-1.12.1
	check "$mode: the canonical link keeps the case" \
		grep -qF "href=\"$BASE/posts/Rust-1.12.1\"" "$T_DIR/r.body"
	expect_redirect /posts/rust-1.12.1 301 /posts/Rust-1.12.1
	expect_redirect /posts/RUST-1.12.1 301 /posts/Rust-1.12.1
	expect_redirect /posts/rust-1.12.1/ 301 /posts/Rust-1.12.1
	expect_redirect /posts/Rust-1.12.1/ 301 /posts/Rust-1.12.1
	expect_status /posts/MixedCase 200
	expect_redirect /posts/mixedcase 301 /posts/MixedCase
	expect_status /pages/About 200
	expect_body_contains /pages/About ABOUT-BODY
	expect_redirect /pages/about 301 /pages/About
	expect_redirect /pages/ABOUT 301 /pages/About
	expect_status /posts/rust-1.12 404
	expect_status /posts/NO-SUCH-POST 404
	expect_status '/posts/rust-1.12.1?page=2' 404
	expect_body_contains /posts/ '/posts/Rust-1.12.1'
	expect_body_contains /sitemap.xml '/posts/Rust-1.12.1'

	echo "== $mode: a BOM, blank lines before ---, CRLF"
	expect_status /posts/lenient 200
	expect_body_contains /posts/lenient 'LENIENT-BODY <em>em</em>'
	expect_body_contains /posts/lenient '<p>second</p>'
	expect_body_contains /posts/lenient '<title>Lenient Post'

	echo "== $mode: Markdown in titles"
	expect_body_contains /posts/linking 'Faster linking with <code>rust-lld</code></h1>'
	expect_body_contains /posts/linking '<title>Faster linking with rust-lld'
	expect_body_contains /posts/linking 'og:title" content="Faster linking with rust-lld'
	expect_body_contains / 'Faster linking with <code>rust-lld</code></a>'
	expect_body_contains /posts/ 'Faster linking with <code>rust-lld</code></a>'
	expect_body_contains /tags/t 'Faster linking with <code>rust-lld</code></a>'
	# related posts (the tag they share)
	expect_body_contains /posts/escape 'Faster linking with <code>rust-lld</code></a> <time'
	expect_body_contains /pages/About 'About <em>me</em></h1>'
	expect_body_contains /pages/About '<title>About me'
	expect_body_contains / '>About <em>me</em></a></li>'
	req /feed.xml
	check "$mode: the feed's title is plain text" \
		grep -qF '<title>Faster linking with rust-lld</title>' "$T_DIR/r.body"
	check "$mode: no markup in the feed's titles" \
		not grep -qE '<title>[^<]*(`|&lt;code)' "$T_DIR/r.body"
	check_feed "$T_DIR/r.body" feed
	echo "== $mode: escaping in titles"
	expect_body_contains /posts/escape 'A &lt;script&gt;alert(1)&lt;/script&gt; &amp; <em>Really</em> fast</h1>'
	expect_body_contains /posts/escape '<title>A &lt;script&gt;alert(1)&lt;/script&gt; &amp; Really fast'
	for url in /posts/escape / /posts/ /tags/t /posts/linking /feed.xml; do
		expect_body_lacks "$url" '<script>alert'
	done
	req /feed.xml
	check "$mode: the feed escapes the title once" \
		grep -qF '<title>A &lt;script&gt;alert(1)&lt;/script&gt; &amp; Really fast</title>' "$T_DIR/r.body"
}

echo "== embedded"
t_start_stack "$C"
check_served embedded
stop_pid "$QUIRE_PID" quire

echo "== full mode: deployed to PostgreSQL and Redis"
start_tiers
# Every statement logged: the reads of the posts table are counted below.
pg_quire -c "ALTER SYSTEM SET log_statement = 'all'" >/dev/null &&
	pg_quire -c "SELECT pg_reload_conf()" >/dev/null
out=$("$QUIRECTL" deploy "$C" 2>&1)
check "the deploy publishes every file: $out" test $? = 0
t_token_file
T_API_SOCK=1
start_quire "$T_DIR/no-such-dir" || fail "quire did not start in full mode"
# nginx again: its configuration names the API's socket now.
stop_pid "$HTTPD_PID" nginx
start_nginx && wait_healthz || fail "the stack did not start again"
check_served full

echo "== full mode: an unknown slug in any case costs no tier read"
# test_hostile_tiers.sh's counters: Redis's read commands, PostgreSQL's
# statements reading the posts table.
redis_reads() {
	rcli INFO commandstats | tr -d '\r' | awk -F'[:=,]' '
		$1 ~ /^cmdstat_(hmget|hget|hgetall|mget|eval|evalsha|eval_ro|evalsha_ro|fcall)$/ { n += $3 }
		END { print n + 0 }'
}
pg_reads() { grep -cE 'quire_fetch|FROM posts' "$PG_LOG" || true; }
reads() { echo "$(redis_reads) $(pg_reads)"; }
before_reads=$(reads)
for s in NO-SUCH-POST no-such-post Rust-1.12 rust-1.12.1.x x%41; do
	expect_status "/posts/$s" 404
done
expect_status /pages/no-such-page 404
expect_redirect /posts/rust-1.12.1 301 /posts/Rust-1.12.1
expect_redirect /pages/about 301 /pages/About
check "no tier read for them (redis, postgres: $before_reads -> $(reads))" \
	test "$(reads)" = "$before_reads"

echo "== the write API keeps the case"
AUTH=(-H "Authorization: Bearer $TOKEN")
api PUT /api/posts/Foo "${AUTH[@]}" "${MD[@]}" \
	--data-binary "$(post_text 'Foo from the API' 'API-FOO-BODY')"
check "PUT /api/posts/Foo: 201 (got $R_STATUS)" test "$R_STATUS" = 201
check "... its url keeps the case" grep -qF '"url":"/posts/Foo"' "$T_DIR/r.body"
check "served at /posts/Foo by every worker" every_worker_serves /posts/Foo 200 API-FOO-BODY
check "(the counters count: a new post's body was read, $before_reads -> $(reads))" \
	test "$(reads)" != "$before_reads"
expect_redirect /posts/foo 301 /posts/Foo
api PUT /api/posts/foo "${AUTH[@]}" "${MD[@]}" --data-binary "$(post_text 'foo' 'X')"
check "PUT of its case-only twin: 409 (got $R_STATUS)" test "$R_STATUS" = 409
check "... naming the existing slug: $(cat "$T_DIR/r.body")" \
	grep -qF '"slug":"Foo"' "$T_DIR/r.body"
api PUT /api/posts/rust-1.12.1 "${AUTH[@]}" "${MD[@]}" --data-binary "$(post_text 'r' 'X')"
check "PUT of a content post's case-only twin: 409 (got $R_STATUS)" test "$R_STATUS" = 409
check "... naming it" grep -qF '"slug":"Rust-1.12.1"' "$T_DIR/r.body"
api PUT /api/posts/Foo "${AUTH[@]}" "${MD[@]}" \
	--data-binary "$(post_text 'Foo, `again`' 'API-FOO-TWO')"
check "PUT of the same slug again: 200 (got $R_STATUS)" test "$R_STATUS" = 200
check "... served with its title rendered" every_worker_serves /posts/Foo 200 'Foo, <code>again</code></h1>'
api PUT /api/posts/Bad%20Slug "${AUTH[@]}" "${MD[@]}" --data-binary "$(post_text 'b' 'X')"
check "an invalid slug is still 400 (got $R_STATUS)" test "$R_STATUS" = 400
api GET /api/posts/Foo "${AUTH[@]}"
check "GET /api/posts/Foo: 200" test "$R_STATUS" = 200
api GET /api/posts/foo "${AUTH[@]}"
check "GET /api/posts/foo: 404 (the API names slugs exactly)" test "$R_STATUS" = 404

t_done
