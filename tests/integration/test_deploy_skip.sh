#!/bin/bash
# test_deploy_skip.sh - a deploy reads only the files whose signature
# (inode, size, mtime, ctime) changed, and takes what PostgreSQL holds
# from the host's cache when nothing was committed since (content_scan.h,
# deploy_cache.h); every shortcut falls back to the full path when it
# cannot be trusted.
#
# Real postgres, redis-server and nginx; quirectl's debug line
# (event=deploy files= read= known_from=) says what a deploy read.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"
. "$(dirname "$0")/lib_redis.sh"

QUIRECTL=${QUIRECTL:-$QUIRE_BUILDDIR/fcgi/quirectl}
TOKEN=test-token-$RANDOM$RANDOM
POST=/posts/hello-world
HELLO=2024-01-10-hello-world.md

t_init
start_tiers
copy_test_site
N_FILES=$(find "$SITE/posts" "$SITE/pages" -name '*.md' | wc -l)

# deploy: quirectl deploy of $SITE with its debug line; output in
# $T_DIR/deploy.out, the debug fields in READ and FROM.
deploy() {
	QUIRE_LOG_LEVEL=debug "$QUIRECTL" deploy "$SITE" >"$T_DIR/deploy.out" 2>&1
	D_STATUS=$?
	sed 's/^/  quirectl: /' "$T_DIR/deploy.out"
	READ=$(sed -n 's/.*event=deploy .* read=\([0-9]*\) .*/\1/p' "$T_DIR/deploy.out")
	FROM=$(sed -n 's/.*known_from=\([a-z]*\).*/\1/p' "$T_DIR/deploy.out")
	return $D_STATUS
}

check "the first deploy succeeds" deploy
check "... reading every file ($N_FILES)" test "$READ" = "$N_FILES"
check "... what PostgreSQL held came from PostgreSQL" test "$FROM" = postgresql

printf '# tokens\n%s\n' "$TOKEN" >"$T_DIR/tokens"
chmod 600 "$T_DIR/tokens"
export QUIRE_API_TOKEN_FILE=$T_DIR/tokens
QUIRE_WORKERS=2 t_start_stack "$T_DIR/no-such-dir"
expect_body_contains "$POST" "Hello"

# Files written within the last second are read again: their signature
# is not trusted yet (a write in the same clock tick would not move it).
sleep 1.2
check "a deploy with nothing changed succeeds" deploy
check "... says nothing changed" grep -q "nothing changed" "$T_DIR/deploy.out"
check "... read the files again once (signatures were too fresh)" test "$READ" = "$N_FILES"
check "... and took the posts from the cache of the last deploy" test "$FROM" = cache
check "the next deploy reads no file at all" deploy
check "... (read=0)" test "$READ" = 0
check "... and still says nothing changed" grep -q "nothing changed" "$T_DIR/deploy.out"

# Same size, mtime put back: the ctime moved, so the file is read.
f=$SITE/posts/$HELLO
mtime=$(stat -c %y "$f")
size=$(stat -c %s "$f")
sed -i 's/Hello/HELLO/' "$f"
touch -d "$mtime" "$f"
check "the edit kept the size" test "$(stat -c %s "$f")" = "$size"
check "a deploy of an edit that kept size and mtime succeeds" deploy
check "... reading that one file" test "$READ" = 1
check "... changing one post" grep -q " 1 changed, 0 removed" "$T_DIR/deploy.out"
check "every worker serves the edit" every_worker_serves "$POST" 200 "HELLO"

# A write through the API commits a generation the cache has not seen:
# the next deploy asks PostgreSQL, and leaves the API post alone.
req /api/posts/from-api -X PUT -H "Authorization: Bearer $TOKEN" \
	-H "Content-Type: text/markdown" \
	--data-binary "$(printf -- '---\ntitle: From the API\n---\nAPI-BODY\n')" >/dev/null
check "an API write succeeds" test "$R_STATUS" = 201
check "a deploy after the API write succeeds" deploy
check "... asking PostgreSQL, not the cache" test "$FROM" = postgresql
check "... with nothing changed" grep -q "nothing changed" "$T_DIR/deploy.out"
check "the API post is still served" every_worker_serves /posts/from-api 200 API-BODY
check "the deploy after that uses the cache again" deploy
check "... (known_from=cache)" test "$FROM" = cache

# The same generation with another stamp (as after a restore of an older
# backup and as many commits since): the cache is not believed.
"$PG_BIN/psql" -X -q -h "$PG_SOCKDIR" -p "$PG_PORT" -U postgres -d quire \
	-c "UPDATE site SET stamp = md5('restored')" >/dev/null
check "a deploy after the stamp changed succeeds" deploy
check "... asking PostgreSQL" test "$FROM" = postgresql
check "the deploy after that uses the cache again" deploy
check "... (known_from=cache)" test "$FROM" = cache

# A damaged cache is not believed. (First, the edit above over a second
# old, a deploy that keeps its signature: deploys since may all have
# come within that second.)
sleep 1.2
check "a deploy once the edit is a second old succeeds" deploy
cache=$(ls "$QUIRE_CACHE_DIR"/known-* 2>/dev/null | head -n1)
check "the cache file exists" test -n "$cache"
printf 'garbage' | dd of="$cache" bs=1 seek=200 conv=notrunc status=none
rm -f "$SITE/posts/2024-02-20-second-post.md"
check "a deploy with a damaged cache succeeds" deploy
check "... asking PostgreSQL" test "$FROM" = postgresql
check "... which kept the signatures too: no file read" test "$READ" = 0
check "... removing the deleted file's post" grep -q " 1 removed" "$T_DIR/deploy.out"
expect_status /posts/second 404

# Schema step 4 has the next deploy render every content post again
# (html a multi-threaded render may have committed without its <del>
# and links before markdown.c's parse lock): a database at step 3 is
# migrated, and the deploy after it reads and changes every post, then
# the one after that nothing.
"$PG_BIN/psql" -X -q -h "$PG_SOCKDIR" -p "$PG_PORT" -U postgres -d quire \
	-c "UPDATE quire_schema SET version = 3" >/dev/null
check "quirectl migrate from step 3 succeeds" "$QUIRECTL" migrate
n_posts=$(find "$SITE/posts" "$SITE/pages" -name '*.md' | wc -l)
check "the deploy after it succeeds" deploy
check "... reading every file ($n_posts)" test "$READ" = "$n_posts"
check "... asking PostgreSQL (the stamp moved)" test "$FROM" = postgresql
check "... rendering every post again" grep -q " $n_posts changed, 0 removed" "$T_DIR/deploy.out"
check "the deploy after that changes nothing" deploy
check "... (nothing changed)" grep -q "nothing changed" "$T_DIR/deploy.out"

# No cache folder to be had: deploys go on without one.
QUIRE_CACHE_DIR=/dev/null/nope deploy
check "a deploy with an unusable cache folder succeeds" test "$D_STATUS" = 0
check "... asking PostgreSQL" test "$FROM" = postgresql

check "no worker crashed" test -z "$(crash_lines)"
t_done
