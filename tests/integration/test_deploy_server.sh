#!/bin/bash
# test_deploy_server.sh - `quirectl serve` keeps a deployer alive and
# answers deploys asked by quire-deploy (and quirectl deploy) on a unix
# socket: the listing kept by inotify (content_watch.h) sees every kind of
# edit, every worker serves a deploy as soon as the client returns, errors
# reach the client and change nothing, a lost PostgreSQL connection is
# made again, and with no server answering the client deploys in process.
#
# Real postgres, redis-server and nginx; the server's debug line
# (event=deploy ... listed=whole|changes read=N), printed on the client's
# stderr, says how it listed the folder.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"
. "$(dirname "$0")/lib_redis.sh"

QUIRECTL=${QUIRECTL:-$QUIRE_BUILDDIR/fcgi/quirectl}
CLIENT=$QUIRE_BUILDDIR/fcgi/quire-deploy
POST=/posts/hello-world
HELLO=2024-01-10-hello-world.md

t_init
start_tiers
copy_test_site
export QUIRE_DEPLOY_SOCKET=$T_DIR/deploy.sock

# deploy [CLIENT] [OPTION...]: a deploy of $SITE asked by quire-deploy
# (or the command given); output in $T_DIR/deploy.out, the debug fields
# in LISTED and READ, the exit status in D_STATUS.
deploy() {
	local cmd=("$CLIENT" "$SITE")
	[[ ${1:-} == quirectl ]] && cmd=("$QUIRECTL" deploy "$SITE") && shift
	cmd+=("$@")
	"${cmd[@]}" >"$T_DIR/deploy.out" 2>&1
	D_STATUS=$?
	sed 's/^/  deploy: /' "$T_DIR/deploy.out"
	LISTED=$(sed -n 's/.*event=deploy .* listed=\([a-z]*\) .*/\1/p' "$T_DIR/deploy.out")
	READ=$(sed -n 's/.*event=deploy .* read=\([0-9]*\) .*/\1/p' "$T_DIR/deploy.out")
	FROM=$(sed -n 's/.*known_from=\([a-z]*\).*/\1/p' "$T_DIR/deploy.out")
	return $D_STATUS
}

# start_server: quirectl serve $SITE in the background (debug logging),
# waiting for its socket.
start_server() {
	local i
	QUIRE_LOG_LEVEL=debug "$QUIRECTL" serve "$SITE" >>"$T_DIR/serve.log" 2>&1 &
	SERVER_PID=$!
	T_PIDS+=("$SERVER_PID")
	for ((i = 0; i < 100; i++)); do
		[[ -S $QUIRE_DEPLOY_SOCKET ]] && return 0
		kill -0 "$SERVER_PID" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

after_lines() { grep -c 'event=deploy after_ms=' "$T_DIR/serve.log"; }
# Returns once the server has logged the after-work of every deploy it
# answered: it serves one request at a time and does a deploy's
# after-work before it reads the next, so its answer to a folder it does
# not serve (here T_DIR, no content folder: quirectl then refuses it)
# comes after that work. Counting after_lines without this races with
# the last deploy's after-work on a loaded machine.
server_idle() { "$CLIENT" "$T_DIR" >/dev/null 2>&1 || true; }

check "quire-deploy links none of quirectl's libraries" \
	not sh -c "ldd '$CLIENT' | grep -Eq 'libpq|hiredis|cmark|yaml|deflate|sodium'"
check "the deploy server starts" start_server
check "... its socket is its user's alone" \
	test "$((0$(stat -c %a "$QUIRE_DEPLOY_SOCKET") & 077))" = 0
check "a second server on the same socket is refused" \
	not "$QUIRECTL" serve "$SITE"
check "... and says why" grep -q "already answers" <("$QUIRECTL" serve "$SITE" 2>&1)

QUIRE_WORKERS=2 t_start_stack "$T_DIR/no-such-dir"
check "the first deploy through the server succeeds" deploy
check "... deploying the site" grep -q "deployed generation 1:" "$T_DIR/deploy.out"
check "... made by the server (its debug line)" test -n "$LISTED"
check "every worker serves it" every_worker_serves "$POST" 200 "Hello"

# Files written within the last second are read again (their signature
# is not trusted yet): let the copy's age past that.
sleep 1.2
check "a deploy with nothing changed succeeds" deploy
f=$SITE/posts/$HELLO
sed -i 's/Hello/Edited-One/' "$f"
check "an edit is deployed" deploy
check "... from the changes the kernel reported, not a listing" test "$LISTED" = changes
check "... reading that one file" test "$READ" = 1
check "... with what PostgreSQL holds kept in memory since the last deploy" \
	test "$FROM" = memory
check "... changing one post" grep -q " 1 changed, 0 removed" "$T_DIR/deploy.out"
check "every worker serves the edit once quire-deploy returned" \
	every_worker_serves "$POST" 200 "Edited-One"

printf -- '---\ntitle: Brand new\n---\nNEW-POST-BODY\n' >"$SITE/posts/2025-05-05-brand-new.md"
check "a new file is deployed" deploy
check "... one post changed" grep -q " 1 changed, 0 removed" "$T_DIR/deploy.out"
check "every worker serves the new post" every_worker_serves /posts/brand-new 200 NEW-POST-BODY

# rsync's way: a temporary dotfile, renamed over the post.
sed 's/Edited-One/Renamed-In/' "$f" >"$SITE/posts/.$HELLO.AbC123"
mv "$SITE/posts/.$HELLO.AbC123" "$f"
check "an edit renamed into place is deployed" deploy
check "... from the changes" test "$LISTED" = changes
check "every worker serves it" every_worker_serves "$POST" 200 "Renamed-In"

rm "$SITE/posts/2025-05-05-brand-new.md"
check "a removed file is deployed" deploy
check "... one post removed" grep -q " 0 changed, 1 removed" "$T_DIR/deploy.out"
expect_status /posts/brand-new 404

printf -- '---\ntitle: [broken\n---\nx\n' >"$SITE/posts/zz-broken.md"
sed -i 's/Renamed-In/Not-Yet/' "$f"
deploy --strict
check "a --strict deploy with a broken file fails (exit 1, got $D_STATUS)" test "$D_STATUS" = 1
check "... naming the file on the client's stderr" grep -q "zz-broken.md:[0-9]*:[0-9]*: " "$T_DIR/deploy.out"
check "... and deploys nothing" every_worker_serves "$POST" 200 "Renamed-In"
deploy quirectl --strict
check "quirectl deploy --strict asks the server the same (exit 1, got $D_STATUS)" test "$D_STATUS" = 1
deploy
check "without --strict, the server deploys the rest (exit 6, got $D_STATUS)" test "$D_STATUS" = 6
check "... naming the file on the client's stderr" grep -q "zz-broken.md:[0-9]*:[0-9]*: " "$T_DIR/deploy.out"
check "every worker serves the edit" every_worker_serves "$POST" 200 "Not-Yet"
rm "$SITE/posts/zz-broken.md"
check "once it is removed, the deploy succeeds" deploy

# A file whose slug is a post of the write API ("second", taken over
# by hand here the way the API could before issue 16): the server leaves
# it out and reports it at every deploy (exit 5), never keeping it as
# deployed in what it carries to the next, and deploys the rest.
psql_quire "UPDATE posts SET origin = 'api', path = NULL, revision = revision + 1 WHERE slug = 'second';
	UPDATE site SET generation = generation + 1, stamp = md5(random()::text)" >/dev/null
sed -i 's/Not-Yet/Owned-Skip/' "$f"
deploy
check "a deploy with a file whose slug the write API owns exits 5" test "$D_STATUS" = 5
check "... naming it on the client's stderr" \
	grep -q '2024-02-20-second-post.md:1:1: slug "second" is owned by the write API: file skipped' "$T_DIR/deploy.out"
check "... deploying the rest" every_worker_serves "$POST" 200 "Owned-Skip"
sed -i 's/Owned-Skip/Owned-Skip-2/' "$f"
deploy
check "the next deploy through the server exits 5 too" test "$D_STATUS" = 5
check "... with what PostgreSQL holds from its memory" test "$FROM" = memory
check "... reading the skipped file again, and the edit" test "$READ" = 2
check "... reporting it again" grep -q '2024-02-20-second-post.md:1:1: slug "second" is owned' "$T_DIR/deploy.out"
check "... deploying the edit" every_worker_serves "$POST" 200 "Owned-Skip-2"
check "... the API post unchanged" test "$(psql_quire "SELECT origin FROM posts WHERE slug = 'second'")" = api
psql_quire "DELETE FROM posts WHERE slug = 'second';
	UPDATE site SET generation = generation + 1, stamp = md5(random()::text)" >/dev/null
check "once the API post is gone, the file deploys (exit 0)" deploy
check "... one post changed" grep -q " 1 changed, 0 removed" "$T_DIR/deploy.out"
sed -i 's/Owned-Skip-2/Not-Yet/' "$f"
check "... and the next deploy succeeds" deploy

mkdir "$SITE/posts/2026"
printf -- '---\ntitle: Below\n---\nDEEP-BODY\n' >"$SITE/posts/2026/2026-01-01-deep.md"
check "a post in a new folder is deployed" deploy
check "... listing the folder whole once" test "$LISTED" = whole
check "every worker serves it" every_worker_serves /posts/deep 200 DEEP-BODY
sed -i 's/DEEP-BODY/DEEPER-BODY/' "$SITE/posts/2026/2026-01-01-deep.md"
check "an edit in that folder is deployed from the changes" deploy
check "... (listed=changes)" test "$LISTED" = changes
check "every worker serves it" every_worker_serves /posts/deep 200 DEEPER-BODY

check "quirectl deploy asks the server too" deploy quirectl
check "... (the server's debug line, nothing changed)" \
	grep -q "nothing changed" "$T_DIR/deploy.out"
check "... with no listing" test "$LISTED" = changes

# Another folder: the server is not asked; quire-deploy runs quirectl.
server_idle
n_after=$(after_lines)
cp -r "$SITE" "$T_DIR/copy"
"$CLIENT" "$T_DIR/copy" >"$T_DIR/copy.out" 2>&1
check "a deploy of another folder succeeds" test $? = 0
check "... made by quirectl in process, not by the server" \
	test "$(after_lines)" = "$n_after"
sed -i 's/Not-Yet/After-Copy/' "$f"
check "the server's next deploy succeeds" deploy
check "every worker serves it" every_worker_serves "$POST" 200 "After-Copy"

# What the server keeps is checked against the site's generation and
# stamp (as after a restore of an older backup): not believed here.
"$PG_BIN/psql" -X -q -h "$PG_SOCKDIR" -p "$PG_PORT" -U postgres -d quire \
	-c "UPDATE site SET stamp = md5('restored')" >/dev/null
sed -i 's/After-Copy/After-Stamp/' "$f"
check "a deploy after the stamp changed succeeds" deploy
check "... asking PostgreSQL what it holds" test "$FROM" = postgresql
check "every worker serves it" every_worker_serves "$POST" 200 "After-Stamp"
sed -i 's/After-Stamp/After-Copy/' "$f"

stop_pg
start_pg_again
sed -i 's/After-Copy/After-Restart/' "$f"
check "a deploy after PostgreSQL restarted succeeds (the server connects again)" deploy
check "every worker serves it" every_worker_serves "$POST" 200 "After-Restart"

# Redis restarted (empty): the server's subscription to the workers'
# acknowledgements broke with it. Once the workers have registered
# again, a deploy through the server still returns only when every one
# of them acknowledged (it subscribes again), and so does the next.
stop_redis
start_redis_again || fail "redis did not come back"
live=0
for ((i = 0; i < 100; i++)); do
	if "$QUIRECTL" status 2>/dev/null | grep "workers: 2 live" >/dev/null; then live=1; break; fi
	sleep 0.1
done
check "after redis restarted, both workers register again" test $live = 1
sed -i 's/After-Restart/After-Redis/' "$f"
check "a deploy after redis restarted succeeds" deploy
check "... acknowledged by both workers" grep -q "2/2 workers acknowledged" "$T_DIR/deploy.out"
check "every worker serves it once quire-deploy returned" \
	every_worker_serves "$POST" 200 "After-Redis"
sed -i 's/After-Redis/After-Redis-2/' "$f"
check "so does the next" deploy
check "... acknowledged by both workers" grep -q "2/2 workers acknowledged" "$T_DIR/deploy.out"
check "every worker serves it" every_worker_serves "$POST" 200 "After-Redis-2"
sed -i 's/After-Redis-2/After-Restart/' "$f"

check "the server stops on SIGTERM" stop_pid "$SERVER_PID" "deploy server" 5
check "... removing its socket" test ! -e "$QUIRE_DEPLOY_SOCKET"
sed -i 's/After-Restart/No-Server/' "$f"
check "with no server, quire-deploy deploys through quirectl" deploy
check "... (no server debug line)" test -z "$LISTED"
check "every worker serves it" every_worker_serves "$POST" 200 "No-Server"

check "no worker crashed" test -z "$(crash_lines)"
t_done
