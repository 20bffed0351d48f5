#!/bin/bash
# test_deploy.sh - content deploys through PostgreSQL and Redis, seen by
# every worker the moment quirectl returns (DESIGN §6)
#
# Real postgres (initdb in the temp dir), real redis-server, quire behind
# nginx. A copy of the fixture site (without its deliberately broken
# file) is deployed, edited and deployed again; a broken file changes
# nothing under --strict, and leaves the rest deployed without it; a deploy made while the workers are cut off from Redis is
# applied when they reconnect; with PostgreSQL stopped, cached pages are
# still served.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"
. "$(dirname "$0")/lib_redis.sh"

QUIRECTL=${QUIRECTL:-$QUIRE_BUILDDIR/fcgi/quirectl}
POST=/posts/hello-world

t_init
start_tiers

copy_test_site

# deploy [ARGS...]: quirectl deploy of $SITE; output in $T_DIR/deploy.out
deploy() {
	"$QUIRECTL" deploy "$SITE" "$@" >"$T_DIR/deploy.out" 2>&1
	D_STATUS=$?
	sed 's/^/  quirectl: /' "$T_DIR/deploy.out"
	return $D_STATUS
}

check "quirectl migrate creates the schema" "$QUIRECTL" migrate
check "a second migrate is a no-op" "$QUIRECTL" migrate
check "quirectl check accepts the site" "$QUIRECTL" check "$SITE"
check "the first deploy succeeds" deploy
check "... and reports what it changed" grep -q "changed" "$T_DIR/deploy.out"

QUIRE_WORKERS=3 t_start_stack "$T_DIR/no-such-dir"
expect_body_contains "$POST" "Hello"
expect_status /posts/second 200
# Those were L1 misses whose post bodies came from Redis (deployed before
# the workers started): the histogram of such misses counted them.
req "$METRICS_BASE/metrics"
check "/metrics times L1 misses served from Redis" \
	grep -Eq '^quire_l1_miss_seconds_count\{body="l2"\} [1-9][0-9]*$' "$T_DIR/r.body"
expect_status /posts/no-such-post 404
expect_body_contains /feed.xml "<entry>"
check "quire loaded from the tiers" quire_log_has "generation=[0-9]+ from the tiers"

# An edit is served by every worker as soon as quirectl returns.
sed -i 's/^Hello/EDIT-ONE Hello/' "$SITE/posts/2024-01-10-hello-world.md"
grep -q "EDIT-ONE" "$SITE/posts/2024-01-10-hello-world.md" ||
	printf '\nEDIT-ONE\n' >>"$SITE/posts/2024-01-10-hello-world.md"
check "the deploy of one edit succeeds" deploy
check "... changing exactly one post" grep -q " 1 changed, 0 removed" "$T_DIR/deploy.out"
check "... acknowledged by every worker" grep -Eq "([0-9]+)/\1 workers acknowledged" "$T_DIR/deploy.out"
check "every worker serves the edit at once" every_worker_serves "$POST" 200 "EDIT-ONE"

# What a page shows of other posts changes with them: /posts/escaping
# lists hello-world among its related posts (tag c), and every page has
# the static pages in its menu. Both cached on every worker first.
check "every worker caches /posts/escaping" every_worker_serves /posts/escaping 200 "Hello, World"
sed -i 's/^title: Hello, World$/title: Hello, Related World/' "$SITE/posts/2024-01-10-hello-world.md"
sed -i 's/^title: About$/title: About This Blog/' "$SITE/pages/about.md"
check "a deploy retitling a post and a page succeeds" deploy
check "... changing two" grep -q " 2 changed, 0 removed" "$T_DIR/deploy.out"
check "every worker shows the related post's new title at once" \
	every_worker_serves /posts/escaping 200 "Hello, Related World"
check "... and the page's new title in the menu" \
	every_worker_serves /posts/escaping 200 "About This Blog"

# Nothing changed: nothing to do.
check "a deploy with no change succeeds" deploy
check "... and says nothing changed" grep -q "nothing changed" "$T_DIR/deploy.out"

# A slug has one owner: a content file, or the write API. A post the API
# holds ("second", taken over the way quire let the API do before issue
# 16) is not replaced by the file that gives its slug: that file is
# reported and skipped, the rest is deployed, and the deploy exits 5
# (README).
psql_quire "UPDATE posts SET origin = 'api', path = NULL, revision = revision + 1 WHERE slug = 'second';
	UPDATE site SET generation = generation + 1, stamp = md5(random()::text)" >/dev/null
sed -i 's/EDIT-ONE/EDIT-OWNED/' "$SITE/posts/2024-01-10-hello-world.md"
deploy
check "a deploy with a file whose slug the write API owns exits 5" test "$D_STATUS" = 5
check "... naming the file and the slug" \
	grep -q "posts/2024-02-20-second-post.md:1:1: slug \"second\" is owned by the write API: file skipped" "$T_DIR/deploy.out"
check "... counting it" grep -q " 1 changed, 0 removed, [0-9]* unchanged, 1 skipped;" "$T_DIR/deploy.out"
check "... the rest served by every worker" every_worker_serves "$POST" 200 "EDIT-OWNED"
check "... and the API's post unchanged" every_worker_serves /posts/second 200 "FIXTURE-SECOND-BODY"
check "... still the API's" test "$(psql_quire "SELECT origin || ' ' || revision FROM posts WHERE slug = 'second'")" = "api 2"
deploy
check "the next deploy, with nothing else changed, exits 5 again" test "$D_STATUS" = 5
check "... reporting the file again" grep -q "2024-02-20-second-post.md:1:1: slug \"second\" is owned by the write API" "$T_DIR/deploy.out"
check "... and saying nothing changed" grep -q "nothing changed" "$T_DIR/deploy.out"
# Once the API lets the slug go, its file is deployed again.
psql_quire "DELETE FROM posts WHERE slug = 'second';
	UPDATE site SET generation = generation + 1, stamp = md5(random()::text)" >/dev/null
check "the slug given up by the API: its file deploys (exit 0)" deploy
check "... as one change" grep -q " 1 changed, 0 removed" "$T_DIR/deploy.out"
check "... served by every worker" every_worker_serves /posts/second 200 "FIXTURE-SECOND-BODY"
check "... of origin content again" test "$(psql_quire "SELECT origin FROM posts WHERE slug = 'second'")" = content

# A broken file: every error listed; with --strict nothing is deployed
# and the old content stays; without, the rest is deployed, exit 6
# (test_deploy_errors.sh has the rest of it).
printf -- '---\ntitle: [unclosed\n---\nbody\n' >"$SITE/posts/2024-05-05-broken.md"
sed -i 's/EDIT-OWNED/EDIT-TWO/' "$SITE/posts/2024-01-10-hello-world.md"
check "a --strict deploy with a broken file fails" not deploy --strict
check "... naming the file with line and column" grep -Eq "2024-05-05-broken.md:[0-9]+:[0-9]+:" "$T_DIR/deploy.out"
check "... and the old content stays" every_worker_serves "$POST" 200 "EDIT-OWNED"
deploy
check "without --strict, the deploy exits 6 (got $D_STATUS)" test "$D_STATUS" = 6
check "... naming the file with line and column" grep -Eq "2024-05-05-broken.md:[0-9]+:[0-9]+:" "$T_DIR/deploy.out"
check "... and deploys the rest" every_worker_serves "$POST" 200 "EDIT-TWO"
rm -f "$SITE/posts/2024-05-05-broken.md"

# A broken file whose name holds a newline: its error stays one log line,
# the name escaped (deploy.c wrote such names raw before).
printf -- '---\ntitle: [unclosed\n---\nbody\n' >"$SITE/posts/2024-05-06-two"$'\n'"lines.md"
check "a --strict deploy with a broken, oddly named file fails" not deploy --strict
check "... naming it escaped, on one line" grep -q '2024-05-06-two\\x0alines.md:[0-9]*:[0-9]*:' "$T_DIR/deploy.out"
rm -f "$SITE/posts/2024-05-06-two"$'\n'"lines.md"

# A folder that is not a content folder is refused, not deployed as an
# empty site (which would unpublish every post): a mistyped path, and
# one level too deep.
"$QUIRECTL" deploy "$SITE.mistyped" >"$T_DIR/deploy.out" 2>&1
check "a deploy of a folder that does not exist fails (exit 1)" test $? = 1
check "... saying it is not a folder" grep -q "is not a folder: nothing deployed" "$T_DIR/deploy.out"
"$QUIRECTL" deploy "$SITE/posts" >"$T_DIR/deploy.out" 2>&1
check "a deploy of a folder with neither posts/ nor pages/ fails (exit 1)" test $? = 1
check "... saying so" grep -q "has neither posts/ nor pages/" "$T_DIR/deploy.out"
check "... and every post is still served" every_worker_serves "$POST" 200 "EDIT-TWO"
expect_status /posts/second 200

# Removing a file unpublishes its post.
rm -f "$SITE/posts/2024-02-20-second-post.md"
check "a deploy removing a file succeeds" deploy
check "... removes one post" grep -q " 1 removed" "$T_DIR/deploy.out"
expect_status /posts/second 404
check "the edit made meanwhile is served too" every_worker_serves "$POST" 200 "EDIT-TWO"

# The workers' registry unreadable (a key of the wrong type): a deploy
# cannot know who acknowledged, and must not say all did ("0/0").
sed -i 's/EDIT-TWO/EDIT-TWO-B/' "$SITE/posts/2024-01-10-hello-world.md"
redis-cli -h 127.0.0.1 -p "$REDIS_PORT" rename quire:workers quire:workers.kept >/dev/null
redis-cli -h 127.0.0.1 -p "$REDIS_PORT" set quire:workers not-a-hash >/dev/null
deploy
check "a deploy whose acknowledgements cannot be read exits 4" test "$D_STATUS" = 4
check "... saying why" grep -q "cannot read the workers' acknowledgements" "$T_DIR/deploy.out"
redis-cli -h 127.0.0.1 -p "$REDIS_PORT" rename quire:workers.kept quire:workers >/dev/null
check "... and once the registry is back, the edit is served everywhere" \
	every_worker_serves "$POST" 200 "EDIT-TWO-B"

# Redis cut off: a deploy meanwhile is applied when the workers reconnect.
stop_redis
sed -i 's/EDIT-TWO/EDIT-THREE/' "$SITE/posts/2024-01-10-hello-world.md"
check "with redis down, the deploy still commits" grep -q "deployed generation" <(deploy; cat "$T_DIR/deploy.out")
expect_body_contains "$POST" "EDIT-TWO"
# With the master's PID to signal, the deploy asks it for a reload from
# PostgreSQL: asked, not acknowledged (it once exited 0, "0/0 workers
# acknowledged", while a reload that found PostgreSQL down left every
# worker on the version before: issue 15, seed 904).
echo "$QUIRE_PID" >"$T_DIR/master.pid"
sed -i 's/EDIT-THREE/EDIT-THREE-SIGNALLED/' "$SITE/posts/2024-01-10-hello-world.md"
QUIRE_PID_FILE=$T_DIR/master.pid deploy
check "with redis down and the master's pid known, the deploy exits 4 (got $D_STATUS)" \
	test "$D_STATUS" = 4
check "... saying it signalled the master, with no acknowledgement to be had" \
	grep -q "signalled the local master .*no worker's acknowledgement" "$T_DIR/deploy.out"
check "... and claiming none" not grep -q "workers acknowledged" "$T_DIR/deploy.out"
check "... and the master's reload from postgresql serves it everywhere" \
	every_worker_serves_within 10 "$POST" 200 "EDIT-THREE-SIGNALLED"
start_redis_again || fail "redis did not come back"
check "after redis returns, a deploy rewrites it whole" deploy
check "every worker serves the deploy made while redis was down" \
	every_worker_serves_within 10 "$POST" 200 "EDIT-THREE"
# The rewrite wrote the posts this deploy did not change too (read from
# PostgreSQL by slug): Redis's index names exactly what PostgreSQL holds.
pg_slugs=$("$PG_BIN/psql" -X -q -At -h "$PG_SOCKDIR" -p "$PG_PORT" -U postgres \
	-d quire -c "SELECT slug FROM posts ORDER BY slug" | LC_ALL=C sort)
redis_slugs=$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" HKEYS quire:index | LC_ALL=C sort)
check "... and Redis holds every post PostgreSQL holds ($(wc -w <<<"$pg_slugs"))" \
	test -n "$pg_slugs" -a "$pg_slugs" = "$redis_slugs"

# PostgreSQL down: cached reads keep working; a deploy refuses.
req "$POST" >/dev/null
stop_pg
check "with postgresql down, cached pages are served" every_worker_serves "$POST" 200 "EDIT-THREE"
expect_status / 200
sed -i 's/EDIT-THREE/EDIT-FOUR/' "$SITE/posts/2024-01-10-hello-world.md"
check "with postgresql down, a deploy refuses" not deploy
check "... and says so" grep -q "postgresql unreachable" "$T_DIR/deploy.out"
start_pg_again || fail "postgresql did not come back"

check "no worker crashed" test -z "$(crash_lines)"
t_done
