#!/bin/bash
# test_lighttpd.sh - the same stack behind lighttpd (mod_fastcgi)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

t_init
if ! command -v lighttpd >/dev/null 2>&1; then
	echo "$T_NAME: SKIP: lighttpd is not installed (deploy/install-deps)"
	exit 77
fi
export QUIRE_WORKERS=2 QUIRE_POSTS_PER_PAGE=2
unset QUIRE_ENABLE_DRAFTS
if ! { start_quire && start_lighttpd && wait_healthz; }; then
	fail "quire behind lighttpd did not start"
	t_done
fi

echo "== pages through lighttpd"
expect_body_matches /healthz '"status" *: *"ok"'
expect_status / 200
expect_header / Content-Type '^text/html'
expect_header / X-Quire-Worker '^[0-9]+$'
expect_body_contains / 'Pinned Note'
expect_body_contains / '<link rel="canonical"'
expect_status /posts/hello-world 200
expect_body_contains /posts/hello-world FIXTURE-HELLO-BODY
expect_body_contains /posts/hello-world 'og:title'
req /posts/hello-world
canon=$(grep -o '<link rel="canonical"[^>]*>' "$T_DIR/r.body" | head -n1)
check "canonical is $BASE/posts/hello-world: $canon" \
	grep -qF "href=\"$BASE/posts/hello-world\"" <<<"$canon"
# lighttpd must pass the query string in REQUEST_URI.
expect_body_contains '/posts/?page=3' 'Pinned Note'
expect_status '/posts/?page=4' 200
expect_status '/posts/?page=5' 404
expect_status '/posts/?page=abc' 400
expect_status '/posts/hello-world?utm=1' 200
expect_redirect /posts/hello-world/ 301 /posts/hello-world
expect_redirect /posts 301 /posts/
expect_redirect /old/hello/ 301 /posts/hello-world
# Search (embedded: FTS5, built on a thread; "warming up" meanwhile).
for _ in $(seq 50); do
	req '/search?q=FIXTURE-HELLO-BODY'
	grep -q 'warming up' "$T_DIR/r.body" || break
	sleep 0.1
done
check "/search?q= through lighttpd: 200, finds the post" \
	bash -c "test $R_STATUS = 200 && grep -q 'href=\"/posts/hello-world\"' '$T_DIR/r.body'"
# A Location made from the decoded path is percent-encoded again.
expect_redirect '/tags/a%22b%3Cc%3Fd%20e%C3%A9/?page=2' 301 '/tags/a%22b%3Cc%3Fd%20e%C3%A9?page=2'
expect_status /pages/about 200
expect_status /tags/intro 200
expect_status /categories/news 200
# archives and authors: the same route table behind either server
expect_status /archives/ 200
expect_body_contains /archives/2024/02/ 'The Second Post'
expect_status '/archives/2024/02/?page=2' 404
expect_status /archives/1999/ 404
expect_status /archives/2024/13/ 404
expect_body_contains /authors/ada-tester/ 'href="/authors/ada-tester/feed.xml"'
expect_header /authors/ada-tester/feed.xml Content-Type '^application/atom\+xml'
expect_header /authors/ada-tester/feed.json Content-Type '^application/feed\+json'
expect_body_contains /posts/second '<div class="scroll" tabindex="0" role="region" aria-label="Table 1">'

echo "== errors through lighttpd"
expect_status /no/such/page 404
expect_header /no/such/page Content-Type '^text/html'
expect_status /posts/draft-post 404
expect_status /posts/hello-world 405 -X POST --data 'x=1'
expect_header /posts/hello-world Allow '^GET, HEAD$' -X DELETE
expect_status '/posts/%2e%2e/%2e%2e/etc/passwd' '400|404'
expect_body_lacks '/posts/..%2f..%2fetc%2fpasswd' 'root:x:0:0'
expect_status '/posts/%00' '400|404'

echo "== /metrics through lighttpd: its metrics listener only (mod_setenv)"
expect_status /metrics 404
expect_status /metrics 404 -H 'Quire-Metrics: 1'
expect_status "$METRICS_BASE/metrics" 200
expect_body_matches "$METRICS_BASE/metrics" '^quire_requests_total [1-9][0-9]*$'
expect_status /metrics 404
expect_status "$METRICS_BASE/posts/hello-world" '403|404'

echo "== HEAD, ETag, gzip through lighttpd"
req /posts/hello-world
etag=$(header ETag)
cp "$T_DIR/r.body" "$T_DIR/identity"
check "strong ETag ($etag)" grep -qE '^"[^"]+"$' <<<"$etag"
expect_status /posts/hello-world 304 -H "If-None-Match: $etag"
req /posts/hello-world -I
check "HEAD: 200 (got $R_STATUS)" [ "$R_STATUS" = 200 ]
check "HEAD: the same ETag" [ "$(header ETag)" = "$etag" ]
n=$(head_body_bytes /posts/hello-world)
check "HEAD: no body (got $n bytes after the headers)" [ "$n" = 0 ]
req_gzip /posts/hello-world
check "gzip: Content-Encoding: gzip" [ "$(header Content-Encoding)" = gzip ]
if gzip -dc <"$T_DIR/r.body" 2>/dev/null | cmp -s - "$T_DIR/identity"; then
	ok "gzip body gunzips to the identity body"
else
	fail "gzip body does not gunzip to the identity body"
fi

echo "== feed through lighttpd"
expect_header /feed.xml Content-Type '^application/atom\+xml'
req /feed.xml
cp "$T_DIR/r.body" "$T_DIR/feed.xml"
check_feed "$T_DIR/feed.xml" /feed.xml
req /tags/intro/feed.xml
cp "$T_DIR/r.body" "$T_DIR/tag.xml"
check_feed "$T_DIR/tag.xml" /tags/intro/feed.xml

echo "== static files (served by lighttpd)"
static=$(find "$QUIRE_SRCDIR/static" -maxdepth 1 -type f ! -name '.*' | head -n1)
if [[ -n $static ]]; then
	req "/static/$(basename "$static")"
	check "/static/$(basename "$static"): 200 and the file" \
		cmp -s "$static" "$T_DIR/r.body"
else
	echo "(static/ is empty: nothing to fetch)"
fi

check "quire master $QUIRE_PID still runs" kill -0 "$QUIRE_PID"
t_done
