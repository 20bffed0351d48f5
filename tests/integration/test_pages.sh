#!/bin/bash
# test_pages.sh - every URL kind of quire behind nginx, on the fixture site
#
# tests/data/site/README.md lists the fixture and what each file tests.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

t_init
export QUIRE_POSTS_PER_PAGE=2 QUIRE_SITE_TITLE="Fixture Site" QUIRE_WORKERS=2
unset QUIRE_ENABLE_DRAFTS
t_start_stack

echo "== health and the worker header"
expect_status /healthz 200
expect_body_matches /healthz '"status" *: *"ok"'
expect_header /healthz Content-Type '^application/json'
workers=$(quire_workers | tr '\n' ' ')
for url in / /posts/hello-world /no/such/page /healthz; do
	req "$url"
	w=$(header X-Quire-Worker)
	if [[ $w =~ ^[0-9]+$ ]] && [[ " $workers " == *" $w "* ]]; then
		ok "$url X-Quire-Worker $w is a worker of master $QUIRE_PID"
	else
		fail "$url: X-Quire-Worker '${w:-<absent>}' is not one of the workers ($workers)"
	fi
done
req / -X POST
check "405 response has X-Quire-Worker" [ -n "$(header X-Quire-Worker)" ]

echo "== home"
expect_status / 200
expect_header / Content-Type '^text/html'
expect_body_contains / 'Pinned Note'
expect_body_contains / 'Newest Post'
req /
check "home: pinned post (oldest) comes before the newest" \
	before "$T_DIR/r.body" 'Pinned Note' 'Newest Post'
expect_body_lacks / 'Draft Post'
expect_body_lacks / 'Future Post'

echo "== post list and pagination (7 published posts, 2 a page)"
expect_redirect /posts 301 /posts/
expect_status /posts/ 200
expect_body_contains /posts/ 'Newest Post'
expect_status '/posts/?page=1' 200
expect_status '/posts/?page=2' 200
expect_status '/posts/?page=3' 200
expect_status '/posts/?page=4' 200
expect_status '/posts/?page=5' 404
expect_status '/posts/?page=100000' 404
for bad in 0 -1 abc 1x 1.5 0x2 '%00' '1%20'; do
	expect_status "/posts/?page=$bad" 400
done
: >"$T_DIR/all"
for n in 1 2 3 4; do
	req "/posts/?page=$n"
	cat "$T_DIR/r.body" >>"$T_DIR/all"
done
for t in 'Hello, World' 'The Second Post' 'Pinned Note' 'Newest Post' 'Ampersands' \
	'Hello�World' 'TOML�Title'; do
	check "the four list pages name '$t'" grep -qF "$t" "$T_DIR/all"
done
for t in 'Draft Post' 'Future Post' 'Broken Post'; do
	check "no list page names '$t'" not grep -qF "$t" "$T_DIR/all"
done

echo "== posts"
expect_status /posts/hello-world 200
expect_header /posts/hello-world Content-Type '^text/html'
expect_body_contains /posts/hello-world FIXTURE-HELLO-BODY
expect_body_contains /posts/hello-world 'og:title'
expect_body_contains /posts/hello-world '<link rel="canonical"'
req /posts/hello-world
canon=$(grep -o '<link rel="canonical"[^>]*>' "$T_DIR/r.body" | head -n1)
check "canonical is absolute, from QUIRE_SITE_URL: $canon" \
	grep -qF "href=\"$BASE/posts/hello-world\"" <<<"$canon"
expect_redirect /posts/hello-world/ 301 /posts/hello-world
expect_status /posts/second 200
expect_body_contains /posts/second FIXTURE-SECOND-BODY
expect_body_contains /posts/second '<table'
expect_body_contains /posts/second '<del>struck</del>'
expect_body_contains /posts/second FIXTURE-FOOTNOTE
expect_body_matches /posts/second 'id="a-heading"'
expect_body_contains /posts/escaping 'Ampersands &amp; &lt;Angles&gt;'
expect_body_lacks /posts/escaping '<script>alert(1)</script>'
expect_body_lacks /posts/escaping '<Angles>'
expect_body_contains /posts/newest FIXTURE-NEWEST-BODY
expect_body_contains /posts/pinned-note FIXTURE-PINNED-BODY
expect_status /posts/no-such-post 404

echo "== control characters in titles, descriptions, authors, tags, bodies"
# Each is U+FFFD in every page (HTML forbids them too); the body's HTML
# is cleaned when it is rendered, the rest when it is escaped.
expect_body_contains /posts/control-yaml FIXTURE-CONTROL-YAML-BODY
expect_body_contains /posts/control-yaml 'Hello�World'
expect_body_contains /posts/control-yaml 'Con�trol Author'
expect_body_contains /posts/control-yaml '� (SOH) and �[31m'
expect_body_contains /posts/control-yaml "a tab$(printf '\t')here"
expect_body_contains /posts/control-toml 'TOML�Title'
expect_body_contains /posts/control-toml 'NEL � and U+FFFE �'
# 0x85 is also the second byte of an honest character (U+2026 is E2 80
# A6, U+0085 is C2 85): what matters is the whole page, checked below.
for url in /posts/control-yaml /posts/control-toml / '/posts/?page=3' \
	'/posts/?page=4' /tags/ /tags/control /tags/ctrl-tag /no/such/%C2%85%EF%BF%BE%FF; do
	req "$url"
	check_clean_text "$T_DIR/r.body" "$url (status $R_STATUS)"
done

echo "== aliases"
expect_redirect /old/hello/ 301 /posts/hello-world
expect_redirect /2024/01/hello-world.html 301 /posts/hello-world
expect_redirect '/old/a%20b%22%3C%C3%A9' 301 /posts/control-yaml
expect_redirect '/old/a%20b%22%3C%C3%A9/' 301 /posts/control-yaml

echo "== redirects: Location is percent-encoded"
# The trailing-slash 301 is built from the decoded path: raw, a '"', '<',
# '?', a space or a non-ASCII byte went into the header as it was.
expect_redirect '/tags/a%22b%3Cc%3Ed%3Fe%20f%23g%25h%C3%A9/' 301 \
	'/tags/a%22b%3Cc%3Ed%3Fe%20f%23g%25h%C3%A9'
expect_redirect '/tags/a%20b/?page=2' 301 '/tags/a%20b?page=2'
expect_redirect '/tags/%3Fpage%3D3/?page=2' 301 '/tags/%3Fpage=3?page=2'
expect_redirect '/tags/a"b<c>é/' 301 '/tags/a%22b%3Cc%3E%C3%A9'
expect_redirect '/categories/new%20s/' 301 '/categories/new%20s'
# CR and LF are refused before routing: no header of the client's making.
for url in '/tags/x%0D%0AX-Injected:%201/' '/tags/x%0AX-Injected:%201/' \
	'/old/x%0D%0ALocation:%20//evil/'; do
	req "$url"
	check "$url: 400 (got $R_STATUS)" [ "$R_STATUS" = 400 ]
	check "$url: no header of the client's making" \
		not grep -qiE '^(X-Injected|Location: //evil)' "$T_DIR/r.headers"
done

echo "== drafts, future posts, malformed files"
expect_status /posts/draft-post 404
expect_status /posts/future-post 404
expect_status /posts/broken 404
check "quire logged the malformed file as path:line:column: message" \
	quire_log_has 'broken\.md:[0-9]+:[0-9]+: .'

echo "== static pages"
expect_status /pages/about 200
expect_body_contains /pages/about FIXTURE-ABOUT-BODY
expect_body_contains /pages/about 'og:title'
expect_body_contains /pages/about '<link rel="canonical"'
expect_status /pages/no-such-page 404

echo "== taxonomies"
expect_redirect /tags 301 /tags/
expect_status /tags/ 200
expect_body_contains /tags/ intro
expect_body_contains /tags/ meta
expect_status /tags/intro 200
expect_body_contains /tags/intro 'Hello, World'
expect_body_contains /tags/intro 'Newest Post'
expect_body_lacks /tags/intro 'The Second Post'
# one page: no pager (no "Page 1 of 1"); more: one
expect_body_lacks /tags/intro 'class="pager"'
expect_body_contains /posts/ 'Page 1 of 4'
expect_body_contains /tags/intro '<link rel="canonical"'
expect_body_contains /tags/intro 'og:title'
expect_status /tags/no-such-tag 404
expect_status /tags/intro/feed.xml 200
expect_header /tags/intro/feed.xml Content-Type '^application/atom\+xml'
expect_status /tags/no-such-tag/feed.xml 404
expect_status /categories/news 200
expect_body_contains /categories/news 'Hello, World'
expect_body_contains /categories/updates 'Newest Post'
expect_status /categories/no-such-category 404

echo "== feed and sitemap"
expect_status /feed.xml 200
expect_header /feed.xml Content-Type '^application/atom\+xml'
expect_body_contains /feed.xml '<feed'
expect_body_lacks /feed.xml 'Future Post'
expect_body_lacks /feed.xml 'Draft Post'
expect_status /sitemap.xml 200
expect_header /sitemap.xml Content-Type '^application/xml'
expect_body_contains /sitemap.xml "$BASE/posts/hello-world"
expect_body_contains /sitemap.xml "$BASE/pages/about"
expect_body_lacks /sitemap.xml 'future-post'
expect_body_lacks /sitemap.xml 'draft-post'

echo "== unknown URLs"
expect_status /no/such/page 404
expect_header /no/such/page Content-Type '^text/html'
req /no/such/page
check "404 page is an HTML page" grep -qi '<html' "$T_DIR/r.body"
expect_status /posts/hello-world/extra 404
req '/no/such/a%20b%22%3C'
canon=$(grep -o '<link rel="canonical"[^>]*>' "$T_DIR/r.body" | head -n1)
check "404 page: its canonical link is the path percent-encoded: $canon" \
	grep -qF "href=\"$BASE/no/such/a%20b%22%3C\"" <<<"$canon"

echo "== methods"
for m in POST PUT DELETE PATCH OPTIONS; do
	expect_status /posts/hello-world 405 -X "$m"
	expect_header /posts/hello-world Allow '^GET, HEAD$' -X "$m"
done
expect_status / 405 -X POST --data 'x=1'
req /posts/hello-world
get_etag=$(header ETag) get_type=$(header Content-Type)
req /posts/hello-world -I
check "HEAD: 200" [ "$R_STATUS" = 200 ]
check "HEAD: same ETag as GET ($get_etag)" [ "$(header ETag)" = "$get_etag" ]
check "HEAD: same Content-Type as GET" [ "$(header Content-Type)" = "$get_type" ]
n=$(head_body_bytes /posts/hello-world)
check "HEAD: no body (got $n bytes after the headers)" [ "$n" = 0 ]

echo "== ETag and 304"
for url in /posts/hello-world / /feed.xml /sitemap.xml /tags/intro /posts/?page=2; do
	req "$url"
	etag=$(header ETag)
	if [[ $etag =~ ^\"[^\"]+\"$ ]]; then
		ok "$url has a strong ETag $etag"
	else
		fail "$url: expected a strong ETag \"...\", got '${etag:-<absent>}'"
		continue
	fi
	req "$url" -H "If-None-Match: $etag"
	check "$url If-None-Match: 304 (got $R_STATUS)" [ "$R_STATUS" = 304 ]
	check "$url 304 has no body" [ ! -s "$T_DIR/r.body" ]
	req "$url" -H 'If-None-Match: "not-the-etag"'
	check "$url If-None-Match with another tag: 200 (got $R_STATUS)" [ "$R_STATUS" = 200 ]
done

echo "== gzip"
for url in /posts/hello-world / /feed.xml /tags/intro; do
	req "$url"
	cp "$T_DIR/r.body" "$T_DIR/identity"
	check "$url without Accept-Encoding is not compressed" [ -z "$(header Content-Encoding)" ]
	req_gzip "$url"
	check "$url Accept-Encoding: gzip -> Content-Encoding: gzip (got '$(header Content-Encoding)')" \
		[ "$(header Content-Encoding)" = gzip ]
	check "$url gzip response has Vary: Accept-Encoding" \
		grep -qi '^Vary:.*Accept-Encoding' "$T_DIR/r.headers"
	if gzip -dc <"$T_DIR/r.body" >"$T_DIR/gunzipped" 2>/dev/null &&
		cmp -s "$T_DIR/gunzipped" "$T_DIR/identity"; then
		ok "$url gzip body gunzips to the identity body"
	else
		fail "$url: gzip body does not gunzip to the identity body"
	fi
done

echo "== query strings"
req /posts/hello-world
cp "$T_DIR/r.body" "$T_DIR/plain"
req '/posts/hello-world?utm_source=x&utm=1'
check "/posts/hello-world?utm_source=x&utm=1: 200 (got $R_STATUS)" [ "$R_STATUS" = 200 ]
check "unknown query parameters serve the same page" cmp -s "$T_DIR/plain" "$T_DIR/r.body"

echo "== static files (served by nginx)"
static=$(find "$QUIRE_SRCDIR/static" -maxdepth 1 -type f ! -name '.*' | head -n1)
if [[ -n $static ]]; then
	expect_status "/static/$(basename "$static")" 200
	req "/static/$(basename "$static")"
	check "/static/$(basename "$static") is the file" cmp -s "$static" "$T_DIR/r.body"
else
	echo "(static/ is empty: nothing to fetch)"
fi

echo "== /metrics: only where the web server marks it (QUIRE_METRICS=1)"
# The site's own server, from loopback: closed. Behind a local proxy or
# TLS terminator every client would be 127.0.0.1, so the address can
# open nothing.
expect_status /metrics 404
expect_body_lacks /metrics quire_requests_total
# A client cannot pass the mark: its headers reach quire as HTTP_*.
expect_status /metrics 404 -H 'Quire-Metrics: 1'
expect_status /metrics 404 -H 'QUIRE_METRICS: 1'
expect_status /metrics 404 -H 'X-Forwarded-For: 127.0.0.1' -H 'X-Real-IP: 127.0.0.1'
M=$METRICS_BASE/metrics
expect_status "$M" 200
expect_header "$M" Content-Type '^text/plain; version=0.0.4'
req "$M"
check "/metrics counts requests" grep -Eq '^quire_requests_total [1-9][0-9]*$' "$T_DIR/r.body"
check "/metrics counts L1 hits" grep -Eq '^quire_l1_hits_total [1-9][0-9]*$' "$T_DIR/r.body"
check "/metrics counts 4xx answers" grep -Eq '^quire_responses_total\{code="4xx"\} [1-9][0-9]*$' "$T_DIR/r.body"
check "/metrics counts worker starts" grep -Eq '^quire_worker_starts_total [1-9]' "$T_DIR/r.body"
# Files only: every page rendered read no post body from a tier.
check "/metrics times L1 misses (a histogram)" \
	grep -Eq '^quire_l1_miss_seconds_count\{body="none"\} [1-9][0-9]*$' "$T_DIR/r.body"
check "... its +Inf bucket is its count" test \
	"$(sed -n 's/^quire_l1_miss_seconds_bucket{body="none",le="+Inf"} //p' "$T_DIR/r.body")" = \
	"$(sed -n 's/^quire_l1_miss_seconds_count{body="none"} //p' "$T_DIR/r.body")"
check "... and nothing from Redis" grep -Eq '^quire_l1_miss_seconds_count\{body="l2"\} 0$' "$T_DIR/r.body"
before=$(sed -n 's/^quire_requests_total //p' "$T_DIR/r.body")
for i in 1 2 3 4 5 6 7 8 9 10; do req /posts/hello-world; done
req "$M"
after=$(sed -n 's/^quire_requests_total //p' "$T_DIR/r.body")
check "the counters are the whole pool's: +11 after 11 requests (got $before -> $after)" \
	test "$((after - before))" -ge 11
# Served there, the answer is not cached for the site's server.
expect_status /metrics 404
# The metrics listener serves /metrics alone.
expect_status "$METRICS_BASE/" 404
expect_status "$METRICS_BASE/posts/hello-world" 404
check "quire master $QUIRE_PID still runs" kill -0 "$QUIRE_PID"
t_done
