#!/bin/bash
# test_files.sh - static files and page bundles, served by the web server
#
# The content folder's static/ tree at the site root and a bundle post's
# files beside its URL (DESIGN §3, §4), published by quire's load and
# reload (embedded mode) into QUIRE_PUBLIC_DIR and served by nginx and by
# lighttpd directly: the right Content-Type, Cache-Control, ETag and
# Last-Modified, and never through FastCGI (quire's request counter does
# not move). A bundle's relative image becomes an absolute URL, its
# cover: the og:image; a reload that removes a file makes it 404; a
# symbolic link out of the folder, a hidden file and a path of quire's
# own are refused and named in the log. Under a site.yaml permalink
# pattern a bundle's files, links and og:image follow the post's URL.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

t_init
export QUIRE_WORKERS=2
unset QUIRE_ENABLE_DRAFTS QUIRE_DATABASE_URL QUIRE_REDIS_URL

copy_test_site
mkdir -p "$SITE/static/images" "$SITE/posts/bundle-post/img" "$SITE/static/posts"
# A PNG's signature and an IHDR start: enough bytes to compare.
printf '\x89PNG\r\n\x1a\n\0\0\0\rIHDRfixture-a-png' >"$SITE/static/images/a.png"
printf 'User-agent: *\nDisallow:\n' >"$SITE/static/robots.txt"
printf 'secret\n' >"$SITE/static/.hidden"
ln -s /etc/passwd "$SITE/static/passwd"
ln -s ../robots.txt "$SITE/static/images/robots-link.txt"
printf 'not quire feed\n' >"$SITE/static/feed.xml"
printf 'shadow\n' >"$SITE/static/posts/hello-world"
cat >"$SITE/posts/bundle-post/index.md" <<'MD'
---
title: A bundle
date: 2024-03-01
cover: cover.jpg
---
FIXTURE-BUNDLE-BODY

![a diagram](diagram.svg) and ![nested](img/b.png "t")

[the notes](notes.txt), [absolute](https://example.com/x.png),
[rooted](/images/a.png), [anchor](#top).
MD
printf '\xff\xd8\xff\xe0fixture-jpeg' >"$SITE/posts/bundle-post/cover.jpg"
printf '<svg xmlns="http://www.w3.org/2000/svg"/>\n' >"$SITE/posts/bundle-post/diagram.svg"
printf 'notes\n' >"$SITE/posts/bundle-post/notes.txt"
printf '\x89PNGnested' >"$SITE/posts/bundle-post/img/b.png"

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
export QUIRE_PUBLIC_DIR=$T_PUBLIC
mkdir -p "$T_DIR/state"

# metric NAME: quire's counter, through the metrics listener.
metric() {
	curl -s --max-time 5 "$METRICS_BASE/metrics" |
		awk -v n="$1" '$1 == n { print $2; exit }'
}

# expect_file URL TYPE_RE LOCAL_FILE: 200, the type, the bytes, and the
# web server's cache headers.
expect_file() {
	req "$1"
	check "$HTTPD_KIND $1: 200 (got $R_STATUS)" [ "$R_STATUS" = 200 ]
	check "$HTTPD_KIND $1: Content-Type $(header Content-Type) ~ $2" \
		grep -Eq "$2" <<<"$(header Content-Type)"
	check "$HTTPD_KIND $1: the file's bytes" cmp -s "$3" "$T_DIR/r.body"
	check "$HTTPD_KIND $1: Cache-Control max-age ($(header Cache-Control))" \
		grep -Eq 'max-age=[1-9][0-9]*' <<<"$(header Cache-Control)"
	check "$HTTPD_KIND $1: an ETag ($(header ETag))" [ -n "$(header ETag)" ]
	check "$HTTPD_KIND $1: Last-Modified ($(header Last-Modified))" \
		[ -n "$(header Last-Modified)" ]
	check "$HTTPD_KIND $1: not from quire (no X-Quire-Worker)" \
		[ -z "$(header X-Quire-Worker)" ]
}

check_files() {
	local before after og src
	echo "== $HTTPD_KIND: files served by the web server, not by quire"
	before=$(metric quire_requests_total)
	expect_file /images/a.png '^image/png$' "$SITE/static/images/a.png"
	expect_file /robots.txt '^text/plain' "$SITE/static/robots.txt"
	expect_file /posts/bundle-post/cover.jpg '^image/jpeg$' "$SITE/posts/bundle-post/cover.jpg"
	expect_file /posts/bundle-post/diagram.svg '^image/svg\+xml' "$SITE/posts/bundle-post/diagram.svg"
	expect_file /posts/bundle-post/img/b.png '^image/png$' "$SITE/posts/bundle-post/img/b.png"
	expect_file /images/robots-link.txt '^text/plain' "$SITE/static/robots.txt"
	req /images/a.png
	expect_status /images/a.png 304 -H "If-None-Match: $(header ETag)"
	after=$(metric quire_requests_total)
	# the second /metrics request itself may be counted
	check "$HTTPD_KIND: quire's request counter did not move for files ($before -> $after)" \
		[ -n "$before" ] && [ $((after - before)) -le 1 ]

	echo "== $HTTPD_KIND: the bundle post"
	expect_status /posts/bundle-post 200
	# quire's own header, not the files' max-age
	expect_header /posts/bundle-post Cache-Control '^no-cache$'
	expect_body_contains /posts/bundle-post FIXTURE-BUNDLE-BODY
	expect_body_contains /posts/bundle-post 'src="/posts/bundle-post/diagram.svg"'
	expect_body_contains /posts/bundle-post 'src="/posts/bundle-post/img/b.png"'
	expect_body_contains /posts/bundle-post 'href="/posts/bundle-post/notes.txt"'
	expect_body_contains /posts/bundle-post 'href="https://example.com/x.png"'
	expect_body_contains /posts/bundle-post 'href="/images/a.png"'
	expect_body_contains /posts/bundle-post 'href="#top"'
	req /posts/bundle-post
	src=$(grep -o '<img src="[^"]*"' "$T_DIR/r.body" | head -n1 | sed 's/.*src="//; s/"$//')
	og=$(grep -o '<meta property="og:image" content="[^"]*"' "$T_DIR/r.body" |
		sed 's/.*content="//; s/"$//')
	check "$HTTPD_KIND: og:image is $BASE/posts/bundle-post/cover.jpg ($og)" \
		[ "$og" = "$BASE/posts/bundle-post/cover.jpg" ]
	expect_status "$og" 200
	expect_status "${src:-/missing-src}" 200

	echo "== $HTTPD_KIND: quire's own paths stay quire's"
	expect_header /static/quire.css Content-Type '^text/css'
	expect_header /api/posts X-Quire-Worker '^[0-9]+$'
	expect_status "$METRICS_BASE/images/a.png" '403|404'
	expect_body_contains /static/quire.css '{'
	expect_header /feed.xml Content-Type '^application/atom\+xml'
	expect_body_contains /posts/hello-world FIXTURE-HELLO-BODY
	expect_status / 200
	expect_header / X-Quire-Worker '^[0-9]+$'
	expect_status /posts/ 200
	expect_status /no/such/file.png 404
	expect_header /no/such/file.png X-Quire-Worker '^[0-9]+$'

	# a bundle's folder is no file: quire answers, one 301 to the post
	expect_redirect /posts/bundle-post/ 301 /posts/bundle-post
	expect_header /images/ X-Quire-Worker '^[0-9]+$'
	expect_status /images/ 404

	echo "== $HTTPD_KIND: refused files are not published"
	expect_status '/images/../../../../etc/passwd' '400|404'
	expect_body_lacks '/images/../../../../etc/passwd' 'root:x:0:0'
	expect_status '/images/..%2f..%2f..%2f..%2fetc%2fpasswd' '400|404'
	expect_body_lacks '/images/..%2f..%2f..%2f..%2fetc%2fpasswd' 'root:x:0:0'
	expect_status /passwd 404
	expect_body_lacks /passwd 'root:x:0:0'
	expect_status /.hidden '403|404'
	expect_body_lacks /.hidden secret
	expect_status /posts/bundle-post/index.md 404
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
}

echo "== quirectl check: the files that would be refused"
"$QUIRE_BUILDDIR/fcgi/quirectl" check "$SITE" >"$T_DIR/check.out" 2>&1
c_status=$?
sed 's/^/  quirectl: /' "$T_DIR/check.out"
check "quirectl check exits 1 (got $c_status)" [ "$c_status" = 1 ]
check "... naming the symbolic link out of the folder" grep -q 'static/passwd.*outside' "$T_DIR/check.out"
check "... and the file on quire's /feed.xml" grep -q 'static/feed\.xml.*quire' "$T_DIR/check.out"
check "... counting the files it would publish" grep -Eq '[0-9]+ files to publish, 4 refused' "$T_DIR/check.out"

echo "== load: publish"
if ! { start_quire "$SITE" && start_nginx && wait_healthz; }; then
	fail "quire behind nginx did not start"
	t_done
fi
check "public dir is a symbolic link" [ -L "$T_PUBLIC" ]
check "the log names the symlink out of the folder" quire_log_has 'static/passwd.*outside'
check "the log names the hidden file" quire_log_has 'static/\.hidden'
check "the log names the file on quire's /feed.xml" quire_log_has 'static/feed\.xml.*quire'
check "the log names the file on a post's URL" quire_log_has 'static/posts/hello-world.*quire'
check_files
dup_checks

echo "== reload: a removed file is gone, an added one is there"
rm "$SITE/static/robots.txt" "$SITE/static/images/robots-link.txt"
printf 'new\n' >"$SITE/static/new.txt"
old_tree=$(readlink "$T_PUBLIC")
check "reload" reload_and_wait 2
expect_status /robots.txt 404
expect_status /new.txt 200
expect_status /images/a.png 200
new_tree=$(readlink "$T_PUBLIC")
check "a new tree ($old_tree -> $new_tree)" [ "$old_tree" != "$new_tree" ]
check "the old tree is removed" not test -e "$T_DIR/state/$old_tree"
check "one tree left" [ "$(find "$T_DIR/state" -mindepth 1 -maxdepth 1 -name '.public.*' | wc -l)" = 1 ]
printf 'User-agent: *\nDisallow:\n' >"$SITE/static/robots.txt"
ln -s ../robots.txt "$SITE/static/images/robots-link.txt"
check "reload" reload_and_wait 2

# permalink_bundle_checks: under a Jekyll pattern (site.yaml), a
# bundle's files, links, images and og:image follow the post's URL: one
# ending in .html keeps its files in its folder (DESIGN §3).
permalink_bundle_checks() {
	local src og
	echo "== $HTTPD_KIND: bundles under permalinks: /:year/:month/:day/:slug.html"
	expect_body_contains /2016/10/20/trip.html FIXTURE-TRIP-BODY
	req /2016/10/20/trip.html
	src=$(grep -o '<img src="[^"]*"' "$T_DIR/r.body" | head -n1 | sed 's/.*src="//; s/"$//')
	og=$(grep -o '<meta property="og:image" content="[^"]*"' "$T_DIR/r.body" |
		sed 's/.*content="//; s/"$//')
	check "the trip's image is /2016/10/20/view.png ($src)" [ "$src" = /2016/10/20/view.png ]
	check "the trip's og:image is $BASE/2016/10/20/trip.jpg ($og)" \
		[ "$og" = "$BASE/2016/10/20/trip.jpg" ]
	expect_body_contains /2016/10/20/trip.html 'href="/2016/10/20/sub/notes.txt"'
	expect_file /2016/10/20/view.png '^image/png$' "$SITE/posts/2016-10-20-trip/view.png"
	expect_file /2016/10/20/trip.jpg '^image/jpeg$' "$SITE/posts/2016-10-20-trip/trip.jpg"
	expect_file /2016/10/20/sub/notes.txt '^text/plain' "$SITE/posts/2016-10-20-trip/sub/notes.txt"
	expect_status /posts/2016-10-20-trip/view.png 404
	# a bundle already there moves with its post
	expect_body_contains /2024/03/01/bundle-post.html 'src="/2024/03/01/diagram.svg"'
	expect_file /2024/03/01/diagram.svg '^image/svg\+xml' "$SITE/posts/bundle-post/diagram.svg"
	# a static file on a post's configured URL is not published
	expect_header /2016/10/20/trip.html X-Quire-Worker '^[0-9]+$'
	expect_body_lacks /2016/10/20/trip.html SHADOW-OF-TRIP
}

echo "== permalinks: a bundle's files follow the post's configured URL"
printf 'permalinks:\n  posts: /:year/:month/:day/:slug.html\n' >"$SITE/site.yaml"
mkdir -p "$SITE/posts/2016-10-20-trip/sub" "$SITE/static/2016/10/20"
printf -- '---\ntitle: A trip\ncover: trip.jpg\n---\nFIXTURE-TRIP-BODY ![the view](view.png)\n\n[notes](sub/notes.txt)\n' \
	>"$SITE/posts/2016-10-20-trip/index.md"
printf '\x89PNG\r\n\x1a\nfixture-view' >"$SITE/posts/2016-10-20-trip/view.png"
printf '\xff\xd8\xff\xe0fixture-trip' >"$SITE/posts/2016-10-20-trip/trip.jpg"
printf 'trip notes\n' >"$SITE/posts/2016-10-20-trip/sub/notes.txt"
printf 'SHADOW-OF-TRIP\n' >"$SITE/static/2016/10/20/trip.html"
check "reload" reload_and_wait 2
permalink_bundle_checks
check "the log names the static file on the trip's URL" \
	quire_log_has 'static/2016/10/20/trip\.html'
rm -r "$SITE/site.yaml" "$SITE/posts/2016-10-20-trip" "$SITE/static/2016"
check "reload" reload_and_wait 2
expect_body_contains /posts/bundle-post 'src="/posts/bundle-post/diagram.svg"'

echo "== lighttpd"
stop_pid "$HTTPD_PID" nginx
if command -v lighttpd >/dev/null 2>&1; then
	if start_lighttpd && wait_healthz; then
		check_files
	else
		fail "lighttpd did not start"
	fi
else
	echo "(lighttpd not installed: skipped)"
fi

check "quire master $QUIRE_PID still runs" kill -0 "$QUIRE_PID"
t_done
