#!/bin/bash
# test_files_deploy.sh - static files and page bundles published by a
# deploy (DESIGN §3, §6): quirectl deploy writes them into
# QUIRE_PUBLIC_DIR, where nginx serves them; the bundle post's page, its
# og:image and its relative image come from the tiers; a redeploy that
# removes a file makes it 404; a file refused (a symbolic link out of the
# folder) is reported, the rest deployed, exit 6; a deploy through the
# deployer (quirectl serve) publishes too. Under a site.yaml permalink
# pattern a bundle's files, links and og:image follow the post's URL.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=lib_pg.sh
. "$(dirname "$0")/lib_pg.sh"
# shellcheck source=lib_redis.sh
. "$(dirname "$0")/lib_redis.sh"

QUIRECTL=${QUIRECTL:-$QUIRE_BUILDDIR/fcgi/quirectl}

t_init
start_tiers
copy_test_site
mkdir -p "$SITE/static/images" "$SITE/posts/bundle-post"
printf '\x89PNG\r\n\x1a\nfixture-a-png' >"$SITE/static/images/a.png"
printf 'User-agent: *\n' >"$SITE/static/robots.txt"
cat >"$SITE/posts/bundle-post/index.md" <<'MD'
---
title: A bundle
date: 2024-03-01
image: ./cover.jpg
---
FIXTURE-BUNDLE-BODY ![a diagram](diagram.svg)
MD
printf '\xff\xd8\xff\xe0fixture-jpeg' >"$SITE/posts/bundle-post/cover.jpg"
printf '<svg xmlns="http://www.w3.org/2000/svg"/>\n' >"$SITE/posts/bundle-post/diagram.svg"

# Two bundles sharing a slug on different days (DESIGN §3): the later
# one is served as dup-2016-10-20, and its files and links with it.
mkdir -p "$SITE/posts/a/dup" "$SITE/posts/b/dup"
printf -- '---\ntitle: Dup old\ndate: 2015-06-06\ncover: pic.png\n---\n![p](pic.png)\n' \
	>"$SITE/posts/a/dup/index.md"
printf -- '---\ntitle: Dup new\ndate: 2016-10-20\ncover: pic.png\n---\n![p](pic.png)\n' \
	>"$SITE/posts/b/dup/index.md"
printf 'PIC-OLD\n' >"$SITE/posts/a/dup/pic.png"
printf 'PIC-NEW\n' >"$SITE/posts/b/dup/pic.png"

T_PUBLIC=$T_DIR/state/public
mkdir -p "$T_DIR/state"

# deploy [ARGS...]: quirectl deploy of $SITE with the public dir, under
# the deployer unit's umask (0077): what it publishes must still be
# readable by the web server's user.
deploy() {
	(umask 077 && QUIRE_PUBLIC_DIR=$T_PUBLIC "$QUIRECTL" deploy "$SITE" "$@") \
		>"$T_DIR/deploy.out" 2>&1
	D_STATUS=$?
	sed 's/^/  quirectl: /' "$T_DIR/deploy.out"
	return $D_STATUS
}


# dup_checks: each bundle of the shared slug shows its own picture.
dup_checks() {
	local slug want src og
	for slug in dup:PIC-OLD dup-2016-10-20:PIC-NEW; do
		want=${slug#*:}
		slug=${slug%%:*}
		req "/posts/$slug"
		src=$(grep -o '<img src="[^"]*"' "$T_DIR/r.body" | head -n1 | sed 's/.*src="//; s/"$//')
		og=$(grep -o '<meta property="og:image" content="[^"]*"' "$T_DIR/r.body" |
			sed 's/.*content="//; s/"$//')
		check "/posts/$slug: its image at /posts/$slug/pic.png ($src)" \
			[ "$src" = "/posts/$slug/pic.png" ]
		check "/posts/$slug: its og:image ($og)" [ "$og" = "$BASE/posts/$slug/pic.png" ]
		expect_body_contains "${src:-/missing}" "$want"
	done
	# and the lists' summaries (the first paragraph, the picture) too
	req /posts/
	check "/posts/: the renamed bundle's summary shows its own picture" \
		grep -qF '<div class="summary-text"><p><img src="/posts/dup-2016-10-20/pic.png"' "$T_DIR/r.body"
	check "/posts/: the other's its own" \
		grep -qF '<div class="summary-text"><p><img src="/posts/dup/pic.png"' "$T_DIR/r.body"
}

check "the first deploy succeeds" deploy
check "... and says what it published" grep -Eq 'published [0-9]+ files' "$T_DIR/deploy.out"
check "the public dir is a symbolic link" [ -L "$T_PUBLIC" ]
check "a published file is 644 under umask 077 ($(stat -c %a "$T_PUBLIC/images/a.png"))" \
	[ "$(stat -c %a "$T_PUBLIC/images/a.png")" = 644 ]
check "a published folder is 755 under umask 077 ($(stat -c %a "$T_PUBLIC/posts/bundle-post"))" \
	[ "$(stat -c %a "$T_PUBLIC/posts/bundle-post")" = 755 ]
check "the tree is 755 ($(stat -L -c %a "$T_PUBLIC"))" [ "$(stat -L -c %a "$T_PUBLIC")" = 755 ]

QUIRE_WORKERS=2 t_start_stack "$T_DIR/no-such-dir"

metric() {
	curl -s --max-time 5 "$METRICS_BASE/metrics" |
		awk -v n="$1" '$1 == n { print $2; exit }'
}

before=$(metric quire_requests_total)
expect_header /images/a.png Content-Type '^image/png$'
expect_header /images/a.png Cache-Control 'max-age=[1-9]'
expect_header /robots.txt Content-Type '^text/plain'
expect_header /posts/bundle-post/cover.jpg Content-Type '^image/jpeg$'
expect_header /posts/bundle-post/diagram.svg Content-Type '^image/svg\+xml'
after=$(metric quire_requests_total)
check "quire's request counter did not move for files ($before -> $after)" \
	[ -n "$before" ] && [ $((after - before)) -le 1 ]

expect_body_contains /posts/bundle-post FIXTURE-BUNDLE-BODY
expect_body_contains /posts/bundle-post 'src="/posts/bundle-post/diagram.svg"'
expect_body_contains /posts/bundle-post \
	"<meta property=\"og:image\" content=\"$BASE/posts/bundle-post/cover.jpg\">"

dup_checks

echo "== a redeploy that removes a file"
rm "$SITE/static/robots.txt"
check "the deploy succeeds" deploy
expect_status /robots.txt 404
expect_status /images/a.png 200
check "one tree left" [ "$(find "$T_DIR/state" -mindepth 1 -maxdepth 1 -name '.public.*' | wc -l)" = 1 ]

echo "== a symbolic link out of the folder"
ln -s /etc/passwd "$SITE/static/passwd"
deploy
check "the deploy exits 6, deployed with errors (got $D_STATUS)" [ "$D_STATUS" = 6 ]
check "... naming the file" grep -q 'static/passwd.*outside' "$T_DIR/deploy.out"
expect_status /passwd 404
expect_body_lacks /passwd 'root:x:0:0'
expect_status /images/a.png 200
rm "$SITE/static/passwd"

echo "== through the deployer (quirectl serve)"
export QUIRE_DEPLOY_SOCKET=$T_DIR/deploy.sock
QUIRE_PUBLIC_DIR=$T_PUBLIC "$QUIRECTL" serve "$SITE" >>"$T_DIR/deployer.log" 2>&1 &
T_PIDS+=("$!")
for ((i = 0; i < 50; i++)); do
	[[ -S $QUIRE_DEPLOY_SOCKET ]] && break
	sleep 0.1
done
printf 'User-agent: again\n' >"$SITE/static/robots.txt"
check "the deploy through the deployer succeeds" deploy
expect_body_contains /robots.txt 'again'

echo "== permalinks: a bundle's files follow the post's configured URL"
# site.yaml's Jekyll pattern: a URL ending in .html keeps its bundle's
# files in its folder (DESIGN §3); a bundle deployed before moves too.
printf 'permalinks:\n  posts: /:year/:month/:day/:slug.html\n' >"$SITE/site.yaml"
mkdir -p "$SITE/posts/2016-10-20-trip" "$SITE/static/2016/10/20"
printf -- '---\ntitle: A trip\ncover: trip.jpg\n---\nFIXTURE-TRIP-BODY ![the view](view.png)\n' \
	>"$SITE/posts/2016-10-20-trip/index.md"
printf '\x89PNG\r\n\x1a\nfixture-view' >"$SITE/posts/2016-10-20-trip/view.png"
printf '\xff\xd8\xff\xe0fixture-trip' >"$SITE/posts/2016-10-20-trip/trip.jpg"
printf 'SHADOW-OF-TRIP\n' >"$SITE/static/2016/10/20/trip.html"
deploy
check "the deploy exits 6: a static file on a post's URL (got $D_STATUS)" [ "$D_STATUS" = 6 ]
check "... naming it" grep -q 'static/2016/10/20/trip\.html' "$T_DIR/deploy.out"
expect_body_contains /2016/10/20/trip.html FIXTURE-TRIP-BODY
expect_header /2016/10/20/trip.html X-Quire-Worker '^[0-9]+$'
req /2016/10/20/trip.html
src=$(grep -o '<img src="[^"]*"' "$T_DIR/r.body" | head -n1 | sed 's/.*src="//; s/"$//')
og=$(grep -o '<meta property="og:image" content="[^"]*"' "$T_DIR/r.body" |
	sed 's/.*content="//; s/"$//')
check "the trip's image is /2016/10/20/view.png ($src)" [ "$src" = /2016/10/20/view.png ]
check "the trip's og:image is $BASE/2016/10/20/trip.jpg ($og)" \
	[ "$og" = "$BASE/2016/10/20/trip.jpg" ]
expect_header /2016/10/20/view.png Content-Type '^image/png$'
expect_header /2016/10/20/trip.jpg Content-Type '^image/jpeg$'
expect_body_contains /2024/03/01/bundle-post.html 'src="/2024/03/01/diagram.svg"'
expect_body_contains /2024/03/01/bundle-post.html \
	"<meta property=\"og:image\" content=\"$BASE/2024/03/01/cover.jpg\">"
expect_header /2024/03/01/diagram.svg Content-Type '^image/svg\+xml'
expect_status /posts/bundle-post/diagram.svg 404
t_done
