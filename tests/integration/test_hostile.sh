#!/bin/bash
# test_hostile.sh - hostile requests get 4xx, never a file, never a crash
#
# Traversal in every encoding, over-long URIs, bad methods, bad page
# numbers, a body on GET, a forged Host, ~1000 random slugs; afterwards
# the same master and the same workers still serve.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

t_init
export QUIRE_WORKERS=2 QUIRE_POSTS_PER_PAGE=2
unset QUIRE_ENABLE_DRAFTS
t_start_stack
workers_before=$(quire_workers | tr '\n' ' ')
t_log "master $QUIRE_PID, workers $workers_before"

# no_leak: the last body shows no file from the disk.
no_leak() {
	! grep -qE 'root:x?:0:0|\{\{[#/^>]?[a-z_.]+\}\}|^---$|FIXTURE-DRAFT|#include' "$T_DIR/r.body"
}

echo "== path traversal"
traversal=(
	'/../../../../etc/passwd'
	'/posts/../../../../etc/passwd'
	'/posts/%2e%2e/%2e%2e/%2e%2e/etc/passwd'
	'/posts/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd'
	'/posts/..%2f..%2f..%2fetc%2fpasswd'
	'/posts/..%2F..%2Ftemplates%2Fpost.html'
	'/posts/.%2e/.%2e/etc/passwd'
	'/posts/%2e%2e'
	'/posts/..'
	'/posts/..%5c..%5cetc%5cpasswd'
	'/posts/..\..\etc\passwd'
	'/posts/hello\world'
	'/posts/%5c'
	'/pages/..%2f..%2fcontent%2fposts%2fdraft-post.md'
	'/pages/..%252f..%252fetc%252fpasswd'
	'/posts/%252e%252e%252f'
	'/posts/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd'
	'/posts/....//....//etc/passwd'
	'/tags/%2e%2e'
	'/tags/..%2f..%2f/feed.xml'
	'/categories/%2e%2e%2f%2e%2e%2fetc'
	'/static/../../../../etc/passwd'
	'/static/..%2f..%2f..%2f..%2fetc/passwd'
	'/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd'
	'/static/..%2f..%2ftemplates/post.html'
	'/posts/draft-post.md'
	'/posts/../posts/draft-post'
	'//etc/passwd'
	'/posts/%2fetc%2fpasswd'
	'/posts/hello%2fworld'
)
for u in "${traversal[@]}"; do
	req "$u"
	if [[ $R_STATUS == 400 || $R_STATUS == 404 ]] && no_leak; then
		ok "$u -> $R_STATUS"
	elif [[ $R_STATUS == 301 ]] && [[ $(header Location) != *..* ]] && no_leak; then
		# '//etc/passwd' may be normalised to '/etc/passwd' by a redirect.
		ok "$u -> 301 $(header Location)"
	else
		fail "$u: expected 400 or 404 and no file content, got $R_STATUS$(body_hint)"
	fi
done

echo "== malformed percent-encoding and NUL"
for u in '/posts/%' '/posts/%4' '/posts/%zz' '/posts/hello%g0' '/posts/%00' \
	'/posts/hello%00world' '/posts/hello-world%00' '/posts/hello-world%00.html' \
	'/%00' '/tags/%00/feed.xml' '/posts/%ff%fe'; do
	expect_status "$u" '400|404'
done
expect_status '/posts/%00' 400
expect_status '/posts/%zz' 400
expect_status '/posts/%' 400

echo "== over-long URIs"
long=$(printf 'a%.0s' $(seq 1 2100))
expect_status "/posts/$long" 414
expect_status "/posts/hello-world?q=$long" 414
huge=$(printf 'b%.0s' $(seq 1 20000))
expect_status "/posts/$huge" '414|400'
# Exactly at the limit (2048 bytes, query included): not 414.
pad=$(printf 'c%.0s' $(seq 1 $((2048 - 7))))
check "a 2048-byte URI is exactly 2048 bytes" [ "${#pad}" -eq 2041 ]
expect_status "/posts/$pad" '400|404'
long_slug=$(printf 'd%.0s' $(seq 1 300))
expect_status "/posts/$long_slug" '400|404'
deep=$(printf '/a%.0s' $(seq 1 200))
expect_status "$deep" '400|404'
deep_tags=$(printf '/tags%.0s' $(seq 1 100))
expect_status "$deep_tags" '400|404'

echo "== bad methods"
for m in POST PUT DELETE PATCH OPTIONS PROPFIND FOO; do
	expect_status /posts/hello-world 405 -X "$m"
	check "$m: Allow: GET, HEAD (got '$(header Allow)')" [ "$(header Allow)" = 'GET, HEAD' ]
done
expect_status / 405 -X TRACE
expect_status / 405 -X POST --data-binary "@$QUIRE_SRCDIR/tests/data/site/posts/2024-01-10-hello-world.md"
head -c 200000 /dev/zero | tr '\0' x >"$T_DIR/body200k"
expect_status /feed.xml 405 -X PUT --data-binary "@$T_DIR/body200k"
head -c 2000000 /dev/zero | tr '\0' y >"$T_DIR/body2m"
expect_status / '405|413' -X POST --data-binary "@$T_DIR/body2m"

echo "== bad page numbers"
for p in 0 -1 -0 +1 '%201' '1%20' abc 1x 1.0 1e3 0x10 '%31' 99999999999999999999 \
	18446744073709551617 -9223372036854775808 '%00' '1%00' '' ; do
	expect_status "/posts/?page=$p" '400|404'
done
for p in 0 -1 abc 99999999999999999999; do
	expect_status "/posts/?page=$p" 400
done
expect_status '/posts/?page=5' 404
expect_status '/posts/?page=100000' 404
expect_status '/posts/?page=100001' '400|404'
expect_status '/posts/?page=2&page=abc' '200|400'
expect_status '/posts/?page' '200|400'
expect_status '/posts/?=&&&=&page=2' '200|400'
expect_status '/tags/intro?page=-5' '200|400'

echo "== a body on GET, odd headers"
expect_status /posts/hello-world 200 -X GET --data-binary "@$T_DIR/body200k"
expect_body_contains /posts/hello-world FIXTURE-HELLO-BODY -X GET --data 'a=b'
expect_status /posts/hello-world 200 -H 'Content-Length: 0'
expect_status /posts/hello-world 200 -H "If-None-Match: $(printf '"%.0s' $(seq 1 3000))"
# Only a lone "*" matches any tag (RFC 9110 13.1.2); "*x" is no tag.
expect_status /posts/hello-world 200 -H 'If-None-Match: *x'
expect_status /posts/hello-world 200 -H 'If-None-Match: "", ,, W/'
expect_status /posts/hello-world 200 -H 'Accept-Encoding: gzip;q=0, br, ,,;;'
expect_status /posts/hello-world 200 -H "Cookie: $(printf 'k=v; %.0s' $(seq 1 500))"
expect_body_lacks /posts/hello-world 'evil.example' -H 'Host: evil.example'
expect_body_lacks /posts/hello-world 'evil.example' -H 'X-Forwarded-Host: evil.example'
expect_status '/posts/hello-world?%zz=%00&a=%' '200|400'
expect_status "/posts/hello-world?$(printf 'x=1&%.0s' $(seq 1 300))" '200|400|414'

echo "== ~1000 random slugs"
"$T_PY" - "$BASE" "$T_DIR/random.cfg" "$T_DIR/random-enc.cfg" <<'PY'
import random, string, sys
base, plain_cfg, enc_cfg = sys.argv[1:4]
rnd = random.Random()
alnum = string.ascii_lowercase + string.digits
prefixes = ["/posts/", "/pages/", "/tags/", "/categories/", "/"]
with open(plain_cfg, "w") as f:
    for i in range(800):
        slug = "".join(rnd.choice(alnum + "-_") for _ in range(rnd.randint(1, 80)))
        slug = "zz" + slug  # never a fixture slug
        p = rnd.choice(prefixes)
        url = base + p + slug + ("/feed.xml" if p == "/tags/" and rnd.random() < 0.3 else "")
        f.write('url = "%s"\noutput = "/dev/null"\n' % url)
with open(enc_cfg, "w") as f:
    for i in range(200):
        raw = bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 40)))
        slug = "".join("%%%02X" % b for b in raw)
        f.write('url = "%s"\noutput = "/dev/null"\n' % (base + rnd.choice(prefixes) + "zz" + slug))
PY
run_batch() { # run_batch CONFIG OUT: one curl, many URLs; "code url" lines
	curl -s -g --path-as-is --max-time 50 -K "$1" -w '%{http_code} %{url_effective}\n' >"$2" 2>/dev/null
}
run_batch "$T_DIR/random.cfg" "$T_DIR/random.out" &
b1=$!
run_batch "$T_DIR/random-enc.cfg" "$T_DIR/random-enc.out" &
b2=$!
wait "$b1" "$b2"
n=$(wc -l <"$T_DIR/random.out")
bad=$(awk '$1 != 404' "$T_DIR/random.out")
if [[ $n -eq 800 && -z $bad ]]; then
	ok "800 random slugs -> 404"
else
	fail "random slugs: $n answers of 800, not 404: $(head -n 5 <<<"$bad")"
fi
n=$(wc -l <"$T_DIR/random-enc.out")
bad=$(awk '$1 != 404 && $1 != 400' "$T_DIR/random-enc.out")
if [[ $n -eq 200 && -z $bad ]]; then
	ok "200 random percent-encoded slugs -> 400 or 404"
else
	fail "random encoded slugs: $n answers of 200, not 400/404: $(head -n 5 <<<"$bad")"
fi

echo "== still serving, same processes, no crash"
expect_status /healthz 200
expect_status /posts/hello-world 200
expect_body_contains /posts/hello-world FIXTURE-HELLO-BODY
check "master $QUIRE_PID still runs" kill -0 "$QUIRE_PID"
workers_after=$(quire_workers | tr '\n' ' ')
check "no worker was restarted (before: $workers_before, after: $workers_after)" \
	[ "$workers_before" = "$workers_after" ]
crashes=$(crash_lines)
check "quire's log has no crash line${crashes:+: $crashes}" [ -z "$crashes" ]
check "nginx logged no upstream failure" \
	not grep -qE 'upstream prematurely closed|connect\(\) to unix.*failed|recv\(\) failed' \
	"$T_DIR/nginx-error.log"
t_done
