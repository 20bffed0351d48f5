#!/bin/bash
# test_valgrind.sh - a worker under valgrind serving a scripted request mix
#
# quire.fcgi --workers 0 (one process: the worker loop itself) runs
# under memcheck behind nginx, with PostgreSQL and Redis (tier mode, the
# subscriber thread and the write API included); a mix of every kind of
# request goes through; after SIGTERM, memcheck must report no error and
# no leak.
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
chmod 644 "$T_DIR/tokens"
export QUIRE_API_TOKEN_FILE=$T_DIR/tokens

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
for round in 1 2; do
	for url in / /posts/ "/posts/?page=2" /posts/hello-world /posts/hello-world/ \
		/pages/about /tags/ /tags/c /tags/c/feed.xml /categories/news /feed.xml \
		/sitemap.xml /healthz /metrics /old/hello/ /no/such/page "/posts/?page=x" \
		"/posts/a%2fb" "/posts/x?utm=1"; do
		req "$url"
		req "$url" -H 'Accept-Encoding: gzip'
		req "$url" -I
	done
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
# A content deploy while it runs: the subscriber thread applies it.
sed -i 's/^FIXTURE-HELLO-BODY/VG-EDIT FIXTURE-HELLO-BODY/' "$SITE/posts/2024-01-10-hello-world.md"
"$QUIRECTL" deploy "$SITE" >/dev/null 2>&1
expect_body_contains /posts/hello-world VG-EDIT

stop_pid "$QUIRE_PID" quire 60
check "quire exited on SIGTERM" not kill -0 "$QUIRE_PID"
sed 's/^/  valgrind: /' "$VG_LOG" | grep -E "ERROR SUMMARY|definitely|indirectly|Invalid|uninitialised" | head -20
check "memcheck: no error" grep -Eq "ERROR SUMMARY: 0 errors" "$VG_LOG"
check "memcheck: nothing definitely lost" \
	not grep -Eq "definitely lost: [1-9]" "$VG_LOG"
t_done
