#!/bin/bash
# test_valgrind.sh - a worker under valgrind serving a scripted request
# mix, and the deployer under valgrind making deploys
#
# quire.fcgi --workers 0 (one process: the worker loop itself) runs
# under memcheck behind nginx, with PostgreSQL and Redis (tier mode, the
# subscriber thread and the write API included); a mix of every kind of
# request goes through; after SIGTERM, memcheck must report no error and
# no leak. Then `quirectl serve` runs under memcheck while deploys are
# asked of it (edits, a broken file, a new folder) and must end as clean.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"
. "$(dirname "$0")/lib_redis.sh"

command -v valgrind >/dev/null || { echo "SKIP: valgrind is not installed"; exit 77; }
T_TIMEOUT=${QUIRE_TEST_TIMEOUT:-150}
QUIRECTL=${QUIRECTL:-$QUIRE_BUILDDIR/fcgi/quirectl}
REAL_FCGI=$QUIRE_FCGI

t_init
# A sanitizer build cannot run under valgrind: nothing to check there.
# (grep without -q: with pipefail, -q closing the pipe early fails it)
if ldd "$REAL_FCGI" 2>/dev/null | grep libasan >/dev/null; then
	echo "SKIP: $REAL_FCGI is built with AddressSanitizer"
	exit 77
fi
start_tiers
copy_test_site
"$QUIRECTL" deploy "$SITE" >/dev/null 2>&1 || fail "the deploy failed"
printf 'vg-token\n' >"$T_DIR/tokens"
chmod 600 "$T_DIR/tokens"
export QUIRE_API_TOKEN_FILE=$T_DIR/tokens
# Preview links: a valid one (a draft's body through the tiers), an
# expired one and an altered one.
export QUIRE_PREVIEW_KEY_FILE=$T_DIR/preview.key QUIRE_SITE_URL=$BASE
"$QUIRECTL" preview --new-key "$QUIRE_PREVIEW_KEY_FILE" >/dev/null || fail "no preview key"
PREVIEW=$("$QUIRECTL" preview draft-post) || fail "no preview link"
PREVIEW=${PREVIEW#"$BASE"}
EXPIRED=$("$QUIRECTL" preview draft-post --expires 1000000000) || fail "no preview link"
EXPIRED=${EXPIRED#"$BASE"}

VG_LOG=$T_DIR/valgrind.log
cat >"$T_DIR/vg-quire" <<WRAP
#!/bin/sh
exec valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect \\
	--errors-for-leak-kinds=definite,indirect --track-fds=no \\
	--log-file=$VG_LOG "$REAL_FCGI" "\$@"
WRAP
chmod 755 "$T_DIR/vg-quire"
QUIRE_FCGI=$T_DIR/vg-quire start_quire "$T_DIR/no-such-dir" --workers 0
start_nginx
wait_healthz 30 || { fail "quire under valgrind did not answer"; t_done; }

AUTH=(-H "Authorization: Bearer vg-token" -H "Content-Type: text/markdown")
expect_body_contains "$PREVIEW" FIXTURE-DRAFT-BODY
expect_status "$EXPIRED" 410
expect_body_contains /feed.json '"items":[{'
for round in 1 2; do
	for url in / /posts/ "/posts/?page=2" /posts/hello-world /posts/hello-world/ \
		/pages/about /tags/ /tags/c /tags/c/feed.xml /categories/news /feed.xml \
		/sitemap.xml /healthz /metrics /old/hello/ /no/such/page "/posts/?page=x" \
		"/posts/a%2fb" "/posts/x?utm=1" "/search?q=hello" "/search?q=hello+-x&page=2" \
		"/search?q=%22a+b%22+or+c" /search \
		/archives/ /archives/2024/ \
		"/archives/2024/02/?page=1" /archives/1999/ /archives/2024/13/ \
		/authors/ /authors/ada-tester/ /authors/ada-tester/feed.xml \
		/authors/ada-tester/feed.json /authors/nobody/ /feed.json /tags/c/feed.json \
		"$PREVIEW" "$EXPIRED" "${PREVIEW/exp=/exp=1}" /preview/draft-post; do
		req "$url"
		req "$url" -H 'Accept-Encoding: gzip'
		req "$url" -I
	done
	# /metrics as the web server's metrics listener asks for it.
	req "$METRICS_BASE/metrics"
	req /posts/hello-world -H 'If-None-Match: "nope", *'
	req / -X POST --data 'x=1'
	req "/api/posts/vg-$round" -X PUT "${AUTH[@]}" --data-binary $'---\ntitle: VG\ntags: [c]\n---\nBody\n'
	check "an API write under valgrind: 201" test "$R_STATUS" = 201
	req "/api/posts/vg-$round" -H "Authorization: Bearer vg-token"
	req "/api/posts/vg-$round" -X PUT "${AUTH[@]}" --data-binary $'---\ntitle: [bad\n---\n'
	req "/posts/vg-$round"
	check "the written post is served: 200" test "$R_STATUS" = 200
	req "/api/posts/vg-$round" -X DELETE -H "Authorization: Bearer vg-token"
done
# A content file's slug: refused, 409 naming the file, by the worker's
# own commit (--workers 0: no committer); an API post kept for the
# deployer below.
for m in PUT DELETE; do
	req /api/posts/second -X "$m" "${AUTH[@]}" --data-binary $'---\ntitle: Taken\n---\nx\n'
	check "$m of a content file's slug under valgrind: 409 naming the file" \
		test "$R_STATUS $(grep -c '"path":".*second-post.md"' "$T_DIR/r.body")" = "409 1"
done
req /api/posts/vg-owned -X PUT "${AUTH[@]}" --data-binary $'---\ntitle: Owned\n---\nVG-OWNED\n'
check "an API post for the deployer: 201" test "$R_STATUS" = 201
# Writes Redis misses: applied to the process's own site, a reload of
# its own, then the posts stored again once Redis is back (tiers_store.c).
stop_redis
for k in 1 2; do
	req /api/posts/vg-owed -X PUT "${AUTH[@]}" --data-binary "$(printf -- '---\ntitle: Owed\n---\nVG-OWED-%s\n' "$k")"
	check "a write while Redis is down, under valgrind: 2xx ($R_STATUS)" status_matches "$R_STATUS" '200|201'
	expect_body_contains /posts/vg-owed "VG-OWED-$k"
done
start_redis_again || fail "redis did not start again"
for ((i = 0; i < 100; i++)); do
	redis-cli -h 127.0.0.1 -p "$REDIS_PORT" HGET quire:post:vg-owed source | grep -q VG-OWED-2 && break
	sleep 0.1
done
check "Redis got the write it missed, under valgrind" \
	bash -c "redis-cli -h 127.0.0.1 -p $REDIS_PORT HGET quire:post:vg-owed source | grep -q VG-OWED-2"
# A content deploy while it runs: the subscriber thread applies it.
sed -i 's/^FIXTURE-HELLO-BODY/VG-EDIT FIXTURE-HELLO-BODY/' "$SITE/posts/2024-01-10-hello-world.md"
"$QUIRECTL" deploy "$SITE" >/dev/null 2>&1
expect_body_contains /posts/hello-world VG-EDIT
# site.yaml deployed: the whole site loaded again, the settings made anew.
printf 'title: VG Site\nmenu:\n  - {title: VG Menu, url: /pages/about}\n' >"$SITE/site.yaml"
"$QUIRECTL" deploy "$SITE" >/dev/null 2>&1
expect_body_contains / 'VG Menu'

# The deployer under memcheck: what it carries from deploy to deploy
# (listing, what PostgreSQL holds) must neither leak nor be misused.
DVG_LOG=$T_DIR/valgrind-deployer.log
export QUIRE_DEPLOY_SOCKET=$T_DIR/deploy.sock
valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect \
	--errors-for-leak-kinds=definite,indirect --track-fds=no --log-file="$DVG_LOG" \
	"$QUIRECTL" serve "$SITE" >>"$T_DIR/deployer.log" 2>&1 &
DEPLOYER_PID=$!
T_PIDS+=("$DEPLOYER_PID")
for ((i = 0; i < 300; i++)); do
	[[ -S $QUIRE_DEPLOY_SOCKET ]] && break
	sleep 0.1
done
check "the deployer under valgrind listens" test -S "$QUIRE_DEPLOY_SOCKET"
CLIENT=$QUIRE_BUILDDIR/fcgi/quire-deploy
for k in 1 2 3; do
	sed -i "s/VG-EDIT[0-9]* /VG-EDIT$k /" "$SITE/posts/2024-01-10-hello-world.md"
	check "deploy $k through the deployer under valgrind" "$CLIENT" "$SITE"
done
expect_body_contains /posts/hello-world VG-EDIT3
printf -- '---\ntitle: [bad\n---\n' >"$SITE/posts/zz-bad.md"
check "a broken file: the rest deployed, exit 6" test "$("$CLIENT" "$SITE" >/dev/null 2>&1; echo $?)" = 6
check "... with --strict nothing deployed, exit 1" test "$("$CLIENT" "$SITE" --strict >/dev/null 2>&1; echo $?)" = 1
rm -f "$SITE/posts/zz-bad.md"
cp "$SITE/site.yaml" "$T_DIR/site.yaml.good"
printf 'title: [bad\n' >"$SITE/site.yaml"
check "a broken site.yaml: the deploy fails (exit 1)" test "$("$CLIENT" "$SITE" >/dev/null 2>&1; echo $?)" = 1
sed 's/VG Site/VG Site Two/' "$T_DIR/site.yaml.good" >"$SITE/site.yaml"
check "site.yaml through the deployer under valgrind" "$CLIENT" "$SITE"
expect_body_contains / 'VG Site Two' 
printf -- '---\ntitle: Owned\nslug: vg-owned\n---\nx\n' >"$SITE/posts/zz-owned.md"
for k in 1 2; do
	sed -i "s/VG-EDIT[-A-Z0-9]* /VG-EDIT-OWNED$k /" "$SITE/posts/2024-01-10-hello-world.md"
	check "a file with an API post's slug: deploy $k skips it (exit 5)" \
		test "$("$CLIENT" "$SITE" >/dev/null 2>&1; echo $?)" = 5
done
expect_body_contains /posts/hello-world VG-EDIT-OWNED2
expect_body_contains /posts/vg-owned VG-OWNED
rm -f "$SITE/posts/zz-owned.md"
mkdir "$SITE/posts/vg"
printf -- '---\ntitle: Below\n---\nVG-DEEP\n' >"$SITE/posts/vg/2025-01-01-vg-deep.md"
check "a new folder through the deployer under valgrind" "$CLIENT" "$SITE"
expect_body_contains /posts/vg-deep VG-DEEP
stop_pid "$DEPLOYER_PID" deployer 60
sed 's/^/  valgrind (deployer): /' "$DVG_LOG" | grep -E "ERROR SUMMARY|definitely|indirectly|Invalid|uninitialised" | head -20
check "memcheck (deployer): no error" grep -Eq "ERROR SUMMARY: 0 errors" "$DVG_LOG"
check "memcheck (deployer): nothing definitely lost" \
	not grep -Eq "definitely lost: [1-9]" "$DVG_LOG"

stop_pid "$QUIRE_PID" quire 60
check "quire exited on SIGTERM" not kill -0 "$QUIRE_PID"
sed 's/^/  valgrind: /' "$VG_LOG" | grep -E "ERROR SUMMARY|definitely|indirectly|Invalid|uninitialised" | head -20
check "memcheck: no error" grep -Eq "ERROR SUMMARY: 0 errors" "$VG_LOG"
check "memcheck: nothing definitely lost" \
	not grep -Eq "definitely lost: [1-9]" "$VG_LOG"
t_done
