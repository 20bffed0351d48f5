#!/bin/bash
# test_mixed_versions.sh - hosts of two builds share Redis and PostgreSQL
#
# DESIGN §5 "Format versions" (issue 15, defect 7): hosts are upgraded
# one at a time, so for a while a pool of the previous build and a pool
# of this one serve the same site. Here each pool has its own nginx;
# deploys (with each build's quirectl) and API writes (through each
# pool) go on, and after each change every worker of both pools serves
# it, every page agrees between the pools and every API GET's ETag too.
# Then, PostgreSQL down, this build reloads from Redis alone: it reads
# the records the previous build wrote (no "format" field).
#
# The previous build is not made here (that takes minutes): build it
# and name it, e.g.
#   git worktree add --detach /tmp/quire-old HEAD~ &&
#   (cd /tmp/quire-old && autoreconf -fi && ./configure && make -j2)
#   QUIRE_OLD_BUILDDIR=/tmp/quire-old make check TESTS=tests/integration/test_mixed_versions.sh
# Without QUIRE_OLD_BUILDDIR the test is skipped.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"
. "$(dirname "$0")/lib_redis.sh"

OLD=${QUIRE_OLD_BUILDDIR:-}
if [[ -z $OLD || ! -x $OLD/fcgi/quire.fcgi || ! -x $OLD/fcgi/quirectl ]]; then
	echo "$T_NAME: SKIP: QUIRE_OLD_BUILDDIR does not name a build of the previous commit (see the test's head)"
	exit 77
fi
OLD_SRC=${QUIRE_OLD_SRCDIR:-$OLD}
QUIRECTL=${QUIRECTL:-$QUIRE_BUILDDIR/fcgi/quirectl}
TOKEN=test-token-$RANDOM$RANDOM
PREFIX=quire:

t_init
t_log "previous build: $OLD ($(git -C "$OLD_SRC" log --oneline -1 2>/dev/null))"
start_tiers
copy_test_site
check "the site is deployed (this build's quirectl)" "$QUIRECTL" deploy "$SITE"
t_token_file
QUIRE_WORKERS=2 t_start_stack "$T_DIR/no-such-dir"
NEW_BASE=$BASE
NEW_PID=$QUIRE_PID

# The previous build's pool and its nginx, beside this one's; the same
# site URL, so that both make the same pages.
start_old_pool() {
	local -a owner
	local i
	mapfile -t owner < <(socket_owner_args)
	OLD_DIR=$T_DIR/old
	mkdir -p "$OLD_DIR"
	chmod 755 "$OLD_DIR"
	OLD_SOCK=$OLD_DIR/quire.sock
	QUIRE_CONTENT_DIR=$T_DIR/no-such-dir QUIRE_SITE_URL=$NEW_BASE \
	QUIRE_TEMPLATES_DIR=$OLD_SRC/templates QUIRE_WORKERS=2 \
		spawn-fcgi -n -s "$OLD_SOCK" -M 0660 "${owner[@]}" -- \
		"$OLD/fcgi/quire.fcgi" >>"$OLD_DIR/quire.log" 2>&1 &
	OLD_PID=$!
	T_PIDS+=("$OLD_PID")
	for ((i = 0; i < 50; i++)); do
		[[ -S $OLD_SOCK ]] && break
		sleep 0.1
	done
	OLD_PORT=$(free_port) && OLD_MPORT=$(free_port) || return 1
	"$QUIRE_SRCDIR/deploy/render-conf" "$QUIRE_SRCDIR/deploy/nginx.conf.in" \
		"$OLD_DIR/nginx.conf" "$OLD_PORT" "$OLD_DIR" "$OLD_SOCK" \
		"$QUIRE_SRCDIR/static" "" "" "$OLD_MPORT" || return 1
	nginx -c "$OLD_DIR/nginx.conf" -p "$OLD_DIR/" -e "$OLD_DIR/nginx-error.log" \
		>>"$OLD_DIR/nginx.out" 2>&1 &
	T_PIDS+=("$!")
	OLD_BASE=http://127.0.0.1:$OLD_PORT
	for ((i = 0; i < 50; i++)); do
		[[ $(curl -s -o /dev/null -w '%{http_code}' "$OLD_BASE/healthz") == 200 ]] &&
			return 0
		sleep 0.1
	done
	return 1
}
check "the previous build's pool answers" start_old_pool
AUTH=(-H "Authorization: Bearer $TOKEN")

# put BASE SLUG TITLE BODY [CURL ARGS...]: a PUT through that pool.
put() {
	local base=$1 s=$2 t=$3 b=$4
	shift 4
	BASE=$base api PUT "/api/posts/$s" "${AUTH[@]}" "${MD[@]}" "$@" \
		--data-binary "$(post_text "$t" "$b")"
}
# both_serve PATH STATUS STRING: every worker of both pools.
both_serve() {
	BASE=$NEW_BASE every_worker_serves "$1" "$2" "$3" "$NEW_PID" &&
		BASE=$OLD_BASE every_worker_serves "$1" "$2" "$3" "$OLD_PID"
}
# page BASE PATH: the page, without what lists show of each post: a
# build before summaries on lists shows the description where this one
# shows the summary (README, "Upgrading"), and the templates' lines
# around them differ; all else must agree.
page() {
	curl -s --max-time 5 "$1$2" | perl -0pe \
		's{<div class="summary-text">.*?</div>}{}gs; s{<p class="summary-description">.*?</p>}{}gs; s{\s+}{ }g'
}
# pages_agree: every post's page, the home page, the feed and every
# API GET are the same bytes (ETags the same) from both pools; the
# differences go to the log.
# listed: a page's post links and titles, one a line, in order.
listed() { grep -o 'href="[^"]*/posts/[^"#?]*"\|<title>[^<]*</title>\|<h2[^>]*>[^<]*' | uniq; }
pages_agree() {
	local slug path a b bad=0 n=0
	# Lists and feeds by what they list (each post's link and title, in
	# order): a release may change how a list shows a post (summaries,
	# a "Read more" link), not which posts it shows. Posts by their bytes.
	for path in / /feed.xml /posts/; do
		a=$(page "$NEW_BASE" "$path" | listed)
		b=$(page "$OLD_BASE" "$path" | listed)
		n=$((n + 1))
		[[ -n $a && $a == "$b" ]] || { bad=$((bad + 1)); t_log "lists other posts: $path"; diff <(echo "$a") <(echo "$b") | head -5; }
	done
	for path in $(psql_quire 'select slug from posts order by slug' | sed 's|^|/posts/|'); do
		a=$(page "$NEW_BASE" "$path" | md5sum)
		b=$(page "$OLD_BASE" "$path" | md5sum)
		n=$((n + 1))
		[[ $a == "$b" ]] || { bad=$((bad + 1)); t_log "differs: $path"; }
	done
	for slug in $(psql_quire "select slug from posts where origin = 'api' order by slug"); do
		a=$(curl -s -D - -o /dev/null "${AUTH[@]}" "$NEW_BASE/api/posts/$slug" | grep -i '^etag')
		b=$(curl -s -D - -o /dev/null "${AUTH[@]}" "$OLD_BASE/api/posts/$slug" | grep -i '^etag')
		n=$((n + 1))
		[[ $a == "$b" ]] || { bad=$((bad + 1)); t_log "ETag differs: $slug ($a / $b)"; }
	done
	t_log "pages compared: $n, differing: $bad"
	((bad == 0 && n > 3))
}

check "4 workers in the registry" test "$(rcli HLEN "${PREFIX}workers")" = 4
check "every page agrees between the pools" pages_agree

put "$NEW_BASE" mixed-a TITLE-A1 BODY-A1
check "a write through this build's pool (201)" test "$R_STATUS" = 201
check "... served by every worker of both" both_serve /posts/mixed-a 200 BODY-A1
put "$OLD_BASE" mixed-b TITLE-B1 BODY-B1
check "a write through the previous build's pool (201)" test "$R_STATUS" = 201
check "... served by every worker of both" both_serve /posts/mixed-b 200 BODY-B1
put "$OLD_BASE" mixed-a TITLE-A2 BODY-A2 -H 'If-Match: "1"'
check "the previous build updates this build's post (If-Match, 200)" \
	test "$R_STATUS:$(header ETag)" = '200:"2"'
check "... served by every worker of both" both_serve /posts/mixed-a 200 BODY-A2
put "$NEW_BASE" mixed-b TITLE-B2 BODY-B2 -H 'If-Match: "1"'
check "this build updates the previous build's post (If-Match, 200)" \
	test "$R_STATUS:$(header ETag)" = '200:"2"'
check "... served by every worker of both" both_serve /posts/mixed-b 200 BODY-B2

printf -- '---\ntitle: FILE-OLD\ndate: 2024-02-01\n---\nFILE-OLD-BODY\n' >"$SITE/posts/file-old.md"
# old_deploy: the previous build's quirectl deploys, unless this build
# added a schema step (9: the summaries), which an older quirectl
# refuses (its workers still read the rows): then this build's does.
old_deploy() {
	"$OLD/fcgi/quirectl" deploy "$SITE" >"$T_DIR/old-deploy.out" 2>&1 && return 0
	sed 's/^/  old quirectl: /' "$T_DIR/old-deploy.out"
	grep -q 'is newer than this quire' "$T_DIR/old-deploy.out" &&
		t_log "a newer schema: deployed with this build's quirectl" &&
		"$QUIRECTL" deploy "$SITE"
}
check "a deploy with the previous build's quirectl, acknowledged by all 4" \
	old_deploy
check "... served by every worker of both" both_serve /posts/file-old 200 FILE-OLD-BODY
printf -- '---\ntitle: FILE-NEW\ndate: 2024-02-02\n---\nFILE-NEW-BODY\n' >"$SITE/posts/file-new.md"
check "a deploy with this build's quirectl, acknowledged by all 4" \
	"$QUIRECTL" deploy "$SITE"
check "... served by every worker of both" both_serve /posts/file-new 200 FILE-NEW-BODY
BASE=$OLD_BASE api DELETE /api/posts/mixed-a "${AUTH[@]}"
check "a delete through the previous build's pool (204)" test "$R_STATUS" = 204
check "... gone on every worker of both" both_serve /posts/mixed-a 404 ''
check "every page agrees between the pools" pages_agree

# What this build does with the records the previous one wrote: mixed-b
# (revision 2, this build's) is written again by the previous build.
put "$OLD_BASE" mixed-b TITLE-B3 BODY-B3 -H 'If-Match: "2"'
check "the previous build writes mixed-b again (200)" test "$R_STATUS" = 200
# A build before format versions writes no field; one after writes 1.
check "... its record in Redis has no format field, or this build's (1)" \
	test "$(rcli HGET "${PREFIX}post:mixed-b" format)" = "" -o \
	"$(rcli HGET "${PREFIX}post:mixed-b" format)" = 1
check "... a record of this build has one" \
	test "$(rcli HGET "${PREFIX}post:mixed-a" revision)" = deleted -o \
	"$(rcli HGET "${PREFIX}post:file-new" format)" = 1
stop_pg
BASE=$NEW_BASE
check "PostgreSQL down: this build's pool reloads (SIGHUP) from Redis alone" \
	reload_and_wait "$(workers_of "$NEW_PID" | wc -l)"
check "... and serves the previous build's record from Redis" \
	every_worker_serves /posts/mixed-b 200 BODY-B3 "$NEW_PID"
check "... and this build's" \
	every_worker_serves /posts/file-new 200 FILE-NEW-BODY "$NEW_PID"
check "no worker crashed" test -z "$(crash_lines)"
check "no worker of the previous build crashed" \
	not grep -Eq 'AddressSanitizer|runtime error|Segmentation|died on signal' "$OLD_DIR/quire.log"
t_done
