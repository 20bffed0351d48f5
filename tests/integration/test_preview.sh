#!/bin/bash
# test_preview.sh - authors' preview links in embedded mode through nginx:
# a draft, a scheduled and a published post shown by a signed link from
# quirectl preview, noindex and never cached; refused once expired (410),
# altered (403), under a rotated key (403), and 404 with no key set
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

QUIRECTL=${QUIRECTL:-$QUIRE_BUILDDIR/fcgi/quirectl}

t_init
export QUIRE_WORKERS=2 QUIRE_SITE_TITLE="Fixture Site" QUIRE_SITE_URL=$BASE
unset QUIRE_POSTS_PER_PAGE QUIRE_ENABLE_DRAFTS QUIRE_PREVIEW_KEY_FILE
copy_test_site
KEY=$T_DIR/preview.key

# preview SLUG [ARGS...]: the link quirectl prints, in $LINK (a path).
preview() {
	LINK=$("$QUIRECTL" preview "$@") || return 1
	LINK=${LINK#"$BASE"}
	[[ $LINK == "/preview/$1?exp="*"&sig="* ]]
}

# metric NAME: its value on /metrics.
metric() {
	curl -s --max-time 5 "$METRICS_BASE/metrics" |
		awk -v n="$1" '$1 == n { print $2; exit }'
}

echo "== no key set: no previews"
t_start_stack "$SITE"
check "quirectl preview without a key file fails" not "$QUIRECTL" preview draft-post
expect_status "/preview/draft-post?exp=4000000000&sig=AAAA" 404
stop_pid "$QUIRE_PID" quire

echo "== a key"
check "quirectl preview --new-key writes a key file" "$QUIRECTL" preview --new-key "$KEY"
check "... of mode 600" test "$(stat -c %a "$KEY")" = 600
check "... and not over an existing one" not "$QUIRECTL" preview --new-key "$KEY"
export QUIRE_PREVIEW_KEY_FILE=$KEY
start_quire "$SITE" && wait_healthz || { fail "quire did not start with a key"; t_done; }

echo "== a draft, by its link"
check "quirectl preview prints a link" preview draft-post
expect_status "$LINK" 200
expect_body_contains "$LINK" FIXTURE-DRAFT-BODY
expect_body_contains "$LINK" '<meta name="robots" content="noindex">'
expect_header "$LINK" X-Robots-Tag '^noindex$'
expect_header "$LINK" Cache-Control '^private, no-store$'
check "... with no ETag" test -z "$(header ETag)"
expect_status /posts/draft-post 404
expect_status /posts/ 200
expect_body_lacks /posts/ "Draft Post"
expect_body_lacks /feed.xml "Draft Post"
check "a scheduled post has a link" preview future-post --hours 2
expect_body_contains "$LINK" FIXTURE-FUTURE-BODY
expect_status /posts/future-post 404
check "a published post has one too" preview hello-world
expect_body_contains "$LINK" FIXTURE-HELLO-BODY
check "a link for no post" preview no-such-post
expect_status "$LINK" 404

echo "== never cached"
preview draft-post
hits=$(metric quire_l1_hits_total)
for _ in 1 2 3 4 5 6; do req "$LINK"; done
check "six fetches of a preview: 200" test "$R_STATUS" = 200
check "... and no L1 hit among them ($hits, then $(metric quire_l1_hits_total))" \
	test "$(metric quire_l1_hits_total)" = "$hits"
# The edit shows at once: no copy of the old body anywhere.
sed -i 's/^FIXTURE-DRAFT-BODY$/FIXTURE-DRAFT-BODY DRAFT-EDIT-TWO/' "$SITE/posts/draft-post.md"
check "a reload takes the edit" reload_and_wait 2
expect_body_contains "$LINK" DRAFT-EDIT-TWO
expect_body_contains "$LINK" DRAFT-EDIT-TWO

echo "== refused"
check "a link that expired a minute ago" preview draft-post --expires $(($(date +%s) - 60))
expect_status "$LINK" 410
expect_body_contains "$LINK" "expired"
expect_body_lacks "$LINK" FIXTURE-DRAFT-BODY
expect_header "$LINK" X-Robots-Tag '^noindex$'
preview draft-post
good=$LINK
sig=${good##*sig=}
flip=${sig:0:5}$([[ ${sig:5:1} == A ]] && echo B || echo A)${sig:6}
expect_status "${good%sig=*}sig=$flip" 403
expect_body_lacks "${good%sig=*}sig=$flip" FIXTURE-DRAFT-BODY
expect_status "${good/draft-post/hello-world}" 403
expect_status "${good/exp=/exp=1}" 403
expect_status /preview/draft-post 403
expect_status "/preview/draft-post?exp=4000000000" 403
expect_body_contains /preview/draft-post "not valid"

echo "== the key rotated"
expect_status "$good" 200
rm -f "$KEY"
check "a new key" "$QUIRECTL" preview --new-key "$KEY"
check "a reload (SIGHUP) takes it" reload_and_wait 2
expect_status "$good" 403
check "a link of the new key" preview draft-post
expect_status "$LINK" 200

echo "== a key file others may read: refused, every link refused"
chmod 644 "$KEY"
check "quirectl preview refuses the key file" not "$QUIRECTL" preview draft-post
check "a reload with it" reload_and_wait 2
expect_status "$LINK" 403
check "quire's log says why" quire_log_has 'preview key file .* chmod 600'
chmod 600 "$KEY"
check "a reload with the key usable again" reload_and_wait 2

echo "== through lighttpd"
stop_pid "$HTTPD_PID" nginx
start_lighttpd && wait_healthz || { fail "lighttpd did not start"; t_done; }
preview draft-post
expect_body_contains "$LINK" DRAFT-EDIT-TWO
expect_header "$LINK" Cache-Control '^private, no-store$'
expect_header "$LINK" X-Robots-Tag '^noindex$'
check "a link that expired" preview draft-post --expires 1000000000
expect_status "$LINK" 410
expect_header /feed.json Content-Type '^application/feed\+json'
expect_body_contains /feed.json '"version":"https://jsonfeed.org/version/1.1"'
t_done
