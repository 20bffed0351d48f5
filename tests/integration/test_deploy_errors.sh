#!/bin/bash
# test_deploy_errors.sh - one bad file never blocks a blog (DESIGN §6,
# "Errors and duplicates")
#
# Real postgres, redis and nginx. A content folder with a broken file,
# posts sharing a slug on different dates and on the same date is
# deployed: everything else is published, each error named with
# path:line:column, the deploy exits 6. A file that breaks after it was
# good keeps its last good version; a slug once published keeps its
# post when an older file with the same slug appears; --strict keeps the
# all-or-nothing deploy (exit 1, nothing changed).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"
. "$(dirname "$0")/lib_redis.sh"

QUIRECTL=${QUIRECTL:-$QUIRE_BUILDDIR/fcgi/quirectl}

t_init
start_tiers

SITE=$T_DIR/site
mkdir -p "$SITE/posts/more" "$SITE/pages"
# put FILE TITLE BODY
put() { printf -- '---\ntitle: %s\n---\n%s\n' "$2" "$3" >"$SITE/$1"; }
put posts/2016-01-01-alpha.md Alpha ALPHA-ONE
put posts/2016-02-02-beta.md Beta BETA-GOOD
printf -- '---\ntitle: [unclosed\n---\nGAMMA\n' >"$SITE/posts/2016-03-03-gamma.md"
put posts/2016-10-20-dup.md "Dup old" DUP-OLD
put posts/more/2017-05-05-dup.md "Dup new" DUP-NEW
put posts/2018-01-01-same.markdown "Same first" SAME-FIRST
put posts/2018-01-01-same.md "Same second" SAME-SECOND
put posts/2018-01-01-solo.md Solo SOLO-GOOD
put pages/about.md About ABOUT-PAGE

# deploy [ARGS...]: quirectl deploy of $SITE; output in $T_DIR/deploy.out
deploy() {
	"$QUIRECTL" deploy "$SITE" "$@" >"$T_DIR/deploy.out" 2>&1
	D_STATUS=$?
	sed 's/^/  quirectl: /' "$T_DIR/deploy.out"
	return $D_STATUS
}
has() { grep -qF -- "$1" "$T_DIR/deploy.out"; }
row() { psql_quire "SELECT $1 FROM posts WHERE slug = '$2'"; }

check "quirectl migrate creates the schema" "$QUIRECTL" migrate
deploy
check "a first deploy with a broken file and duplicates exits 6 (got $D_STATUS)" test "$D_STATUS" = 6
check "... naming the broken file with line and column" \
	grep -Eq "posts/2016-03-03-gamma.md:[0-9]+:[0-9]+: " "$T_DIR/deploy.out"
check "... naming the same-date duplicate and the file it collides with" \
	grep -Eq "posts/2018-01-01-same.md:[0-9]+:[0-9]+: .*duplicate slug \"same\".*posts/2018-01-01-same.markdown" "$T_DIR/deploy.out"
check "... reporting the later post of a shared slug under its new slug, naming both" \
	grep -Eq "posts/more/2017-05-05-dup.md:1:1: .*\"dup\".*posts/2016-10-20-dup.md.*\"dup-2017-05-05\"" "$T_DIR/deploy.out"
check "... and the count" has "2 errors"
check "... saying the rest was deployed" has "deployed generation"

QUIRE_WORKERS=2 t_start_stack "$T_DIR/no-such-dir"
expect_body_contains /posts/alpha ALPHA-ONE
expect_body_contains /posts/beta BETA-GOOD
expect_body_contains /pages/about ABOUT-PAGE
expect_body_contains /posts/dup DUP-OLD
expect_body_contains /posts/dup-2017-05-05 DUP-NEW
expect_body_contains /posts/same SAME-FIRST
expect_status /posts/gamma 404
check "both posts sharing the slug are in PostgreSQL" \
	test "$(psql_quire "SELECT count(*) FROM posts WHERE slug LIKE 'dup%'")" = 2

# A file that breaks after it was good: its last good version stays,
# its row untouched; the rest of the deploy goes on.
rev_beta=$(row revision beta)
printf -- '---\ntitle: Beta\nbroken: [\n---\nBETA-BAD\n' >"$SITE/posts/2016-02-02-beta.md"
put posts/2016-01-01-alpha.md Alpha ALPHA-TWO
deploy
check "a deploy with a file broken since the last one exits 6 (got $D_STATUS)" test "$D_STATUS" = 6
check "... naming it" grep -Eq "posts/2016-02-02-beta.md:[0-9]+:[0-9]+: " "$T_DIR/deploy.out"
check "... deploying the edit" every_worker_serves /posts/alpha 200 ALPHA-TWO
check "... and serving the broken file's last good version" every_worker_serves /posts/beta 200 BETA-GOOD
check "... whose row is as it was" test "$(row revision beta)" = "$rev_beta"
deploy
check "the same again: nothing else changed, still exit 6 (got $D_STATUS)" test "$D_STATUS" = 6
check "... the broken file named again" grep -Eq "posts/2016-02-02-beta.md:[0-9]+:[0-9]+: " "$T_DIR/deploy.out"
check "... and its last good version still served" every_worker_serves /posts/beta 200 BETA-GOOD

# An older file with a published slug: the slug stays with its post, the
# newcomer gets the suffix.
put posts/2015-06-06-dup.md "Dup older" DUP-OLDER
deploy
check "an older file sharing a published slug deploys (exit $D_STATUS)" test "$D_STATUS" = 6
check "... reported under its new slug" has '"dup-2015-06-06"'
check "/posts/dup keeps its post" every_worker_serves /posts/dup 200 DUP-OLD
check "/posts/dup-2017-05-05 keeps its post" every_worker_serves /posts/dup-2017-05-05 200 DUP-NEW
check "the newcomer is served under its suffix" every_worker_serves /posts/dup-2015-06-06 200 DUP-OLDER

# A file that comes to collide (same slug, same date) is an error, and
# keeps its last good version as a broken file does.
printf -- '---\ntitle: Solo\nslug: same\n---\nSOLO-COLLIDES\n' >"$SITE/posts/2018-01-01-solo.md"
deploy
check "a file edited into a same-date duplicate: exit 6 (got $D_STATUS)" test "$D_STATUS" = 6
check "... naming both files" \
	grep -Eq "posts/2018-01-01-solo.md:1:1: .*duplicate slug \"same\".*posts/2018-01-01-same.markdown" "$T_DIR/deploy.out"
check "... its last good version still served" every_worker_serves /posts/solo 200 SOLO-GOOD
check "... and the post it collides with unchanged" every_worker_serves /posts/same 200 SAME-FIRST

# --strict: all or nothing, as before.
put posts/2016-01-01-alpha.md Alpha ALPHA-STRICT
deploy --strict
check "a --strict deploy with errors exits 1 (got $D_STATUS)" test "$D_STATUS" = 1
check "... saying nothing was deployed" has "nothing deployed"
check "... and nothing changed" every_worker_serves /posts/alpha 200 ALPHA-TWO
deploy --strict --timeout-ms 5000
check "--strict with --timeout-ms is accepted too (exit $D_STATUS)" test "$D_STATUS" = 1

# Every error fixed: exit 0; a shared slug alone is no error.
put posts/2016-02-02-beta.md Beta BETA-FIXED
put posts/2016-03-03-gamma.md Gamma GAMMA-FIXED
rm -f "$SITE/posts/2018-01-01-same.md"
put posts/2018-01-01-solo.md Solo SOLO-FIXED
deploy
check "with every error fixed, the deploy exits 0 (got $D_STATUS)" test "$D_STATUS" = 0
check "... the fixed files served" every_worker_serves /posts/gamma 200 GAMMA-FIXED
check "... the renamed posts still served" every_worker_serves /posts/dup-2015-06-06 200 DUP-OLDER
check "... and the collision fixed" every_worker_serves /posts/solo 200 SOLO-FIXED

# A file that cannot be read (here: past QUIRE_MAX_FILE, 1 MiB) keeps
# its last good version too.
{ printf -- '---\ntitle: Beta\n---\n'; head -c 1100000 /dev/zero | tr '\0' 'b'; } \
	>"$SITE/posts/2016-02-02-beta.md"
deploy
check "a file that cannot be read: exit 6 (got $D_STATUS)" test "$D_STATUS" = 6
check "... naming it" grep -Eq "posts/2016-02-02-beta.md:[0-9]+:[0-9]+: " "$T_DIR/deploy.out"
check "... and its last good version still served" every_worker_serves /posts/beta 200 BETA-FIXED
rm -f "$SITE/posts/2016-02-02-beta.md"
deploy
check "the file removed: its post is removed (exit $D_STATUS)" test "$D_STATUS" = 0
expect_status /posts/beta 404

check "no worker crashed" test -z "$(crash_lines)"
t_done
