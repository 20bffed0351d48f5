#!/bin/bash
# test_restore.sh - PostgreSQL restored from an older backup
#
# DESIGN §6 "Restores", §8 (issue 15, defect 7). A dump is taken, more
# writes and a deploy follow, and the dump is restored into the same
# database with pg_restore. PostgreSQL's generation then goes back
# behind Redis's key and what every worker holds: before the fix, the
# workers kept serving the lost history for good (nothing told them),
# and a deploy or a write left it so. Checked: `quirectl restore`, then
# separately a plain deploy and a plain API write after a restore (the
# detection by itself), make every worker serve exactly what PostgreSQL
# holds; the generation moves past everything seen; an ETag handed out
# before the restore no longer matches (If-Match 412), the restored
# one does, and writes go on.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"
. "$(dirname "$0")/lib_redis.sh"

QUIRECTL=${QUIRECTL:-$QUIRE_BUILDDIR/fcgi/quirectl}
TOKEN=test-token-$RANDOM$RANDOM
PREFIX=quire:
SLUG=restored
LATER=after-the-backup

t_init
deployed_stack 2
AUTH=(-H "Authorization: Bearer $TOKEN")

. "$(dirname "$0")/lib_restore.sh"
# api_etag SLUG: the ETag every worker's GET answers, or "mixed".
api_etag() {
	local out
	out=$(curl -s -Z --parallel-max 4 --max-time 10 -o /dev/null "${AUTH[@]}" \
		-w '%{http_code} %header{etag}\n' "$BASE/api/posts/$1?e=[1-20]" |
		sort -u)
	[[ $(wc -l <<<"$out") == 1 ]] && echo "$out" || echo mixed
}
# serves_pg: every API post PostgreSQL holds is served (200) by every
# worker with its title, its GET's ETag PostgreSQL's revision; every
# content post's page is the same bytes (and status) from every worker.
serves_pg() {
	local slug kind origin rev title bad=0
	while IFS='|' read -r slug kind origin rev title; do
		[[ $kind == post ]] || continue
		if [[ $origin == content ]]; then
			every_worker_same "/posts/$slug" \
				"$(curl -s -o /dev/null -w '%{http_code}' "$BASE/posts/$slug")" || bad=1
			continue
		fi
		every_worker_serves "/posts/$slug" 200 "$title" || bad=1
		if [[ $(api_etag "$slug") != "200 \"$rev\"" ]]; then
			t_log "$slug: ETag $(api_etag "$slug"), PostgreSQL has $rev"
			bad=1
		fi
	done < <(psql_quire "select slug, kind, origin, revision, title from posts order by slug")
	((bad == 0))
}
highest_seen() { # the highest generation Redis's key or a worker names
	{
		rcli GET "${PREFIX}generation"
		rcli HVALS "${PREFIX}workers" | awk '{ print $1 }'
	} | sort -n | tail -n1
}

# --- 1. quirectl restore -------------------------------------------------
put "$SLUG" TITLE-ONE BODY-ONE
check "the post is created (201)" test "$R_STATUS" = 201
put "$SLUG" TITLE-TWO BODY-TWO -H 'If-Match: "1"'
check "... and updated (200, revision 2)" test "$R_STATUS:$(header ETag)" = '200:"2"'
check "the dump is taken" dump "$T_DIR/backup1.dump"

put "$SLUG" TITLE-THREE BODY-THREE -H 'If-Match: "2"'
put "$SLUG" TITLE-FOUR BODY-FOUR -H 'If-Match: "3"'
check "two more writes after the backup (revision 4)" test "$(header ETag)" = '"4"'
put "$LATER" LATER-TITLE LATER-BODY
check "a post created after the backup" test "$R_STATUS" = 201
printf -- '---\ntitle: FILE-AFTER\ndate: 2024-01-02\n---\nFILE-AFTER-BODY\n' \
	>"$SITE/posts/file-after.md"
check "a deploy after the backup" "$QUIRECTL" deploy "$SITE"
check "... served" every_worker_serves /posts/file-after 200 FILE-AFTER-BODY
SEEN=$(highest_seen)
t_log "highest generation seen before the restore: $SEEN"

check "the dump is restored with pg_restore" restore "$T_DIR/backup1.dump"
check "PostgreSQL holds revision 2 again" \
	test "$(psql_quire "select revision from posts where slug = '$SLUG'")" = 2
check "PostgreSQL's generation went back" \
	test "$(psql_quire 'select generation from site')" -lt "$SEEN"
# Left alone, nothing repairs it: 6 s (past the workers' 5 s comparison)
sleep 6
check "unrepaired, the workers still serve the lost revision 4 (the defect)" \
	every_worker_serves "/posts/$SLUG" 200 BODY-FOUR

check "quirectl restore answers 0" "$QUIRECTL" restore
G=$(psql_quire 'select generation from site')
check "PostgreSQL's generation $G is past everything seen ($SEEN)" test "$G" -gt "$SEEN"
check "redis's generation key is PostgreSQL's" \
	test "$(rcli GET "${PREFIX}generation")" = "$G"
check "every worker serves the restored title and body" \
	every_worker_serves "/posts/$SLUG" 200 TITLE-TWO
check "... not the lost body" not every_worker_serves "/posts/$SLUG" 200 BODY-FOUR
check "the post created after the backup is gone on every worker" \
	every_worker_serves "/posts/$LATER" 404 ''
check "the file deployed after the backup is gone on every worker" \
	every_worker_serves /posts/file-after 404 ''
check "redis holds no record of the lost post" \
	not test "$(rcli HEXISTS "${PREFIX}index" "$LATER")" = 1
REV=$(psql_quire "select revision from posts where slug = '$SLUG'")
check "the restored post's revision ($REV) moved past the lost ones (4)" test "$REV" -gt 4
check "every worker's API GET answers ETag \"$REV\"" \
	test "$(api_etag "$SLUG")" = "200 \"$REV\""
put "$SLUG" TITLE-FIVE BODY-FIVE -H 'If-Match: "4"'
check "If-Match with an ETag of the lost history is 412" test "$R_STATUS" = 412
put "$SLUG" TITLE-FIVE BODY-FIVE -H "If-Match: \"$REV\""
check "If-Match with the restored ETag succeeds (200)" test "$R_STATUS" = 200
check "... served by every worker" every_worker_serves "/posts/$SLUG" 200 BODY-FIVE
check "a deploy goes on (the file is back)" "$QUIRECTL" deploy "$SITE"
check "... and is served" every_worker_serves /posts/file-after 200 FILE-AFTER-BODY
check "every worker serves every post as PostgreSQL holds it" serves_pg

# --- 2. a deploy after a restore finds it by itself ----------------------
check "a second dump" dump "$T_DIR/backup2.dump"
put "$SLUG" TITLE-SIX BODY-SIX
check "a write after it" test "$R_STATUS" = 200
rm "$SITE/posts/file-after.md"
check "a deploy after it" "$QUIRECTL" deploy "$SITE"
SEEN=$(highest_seen)
check "restored again" restore "$T_DIR/backup2.dump"
check "a deploy after the restore answers 0" "$QUIRECTL" deploy "$SITE"
check "... past everything seen" test "$(psql_quire 'select generation from site')" -gt "$SEEN"
check "... every worker serves the restored revision" \
	every_worker_serves "/posts/$SLUG" 200 BODY-FIVE
check "... and the file the deploy removes is gone" \
	every_worker_serves /posts/file-after 404 ''
REV=$(psql_quire "select revision from posts where slug = '$SLUG'")
check "... the ETags are PostgreSQL's (\"$REV\")" test "$(api_etag "$SLUG")" = "200 \"$REV\""
check "... every worker serves every post as PostgreSQL holds it" serves_pg

# --- 3. an API write after a restore finds it by itself -------------------
check "a third dump" dump "$T_DIR/backup3.dump"
put "$SLUG" TITLE-SEVEN BODY-SEVEN
put "$SLUG" TITLE-EIGHT BODY-EIGHT
check "two writes after it" test "$R_STATUS" = 200
SEEN=$(highest_seen)
check "restored again" restore "$T_DIR/backup3.dump"
put "$LATER" LATER-AGAIN LATER-AGAIN-BODY
check "a write of another post after the restore (201)" test "$R_STATUS" = 201
check "... past everything seen" test "$(psql_quire 'select generation from site')" -gt "$SEEN"
check "... every worker serves the restored revision of the other post" \
	every_worker_serves "/posts/$SLUG" 200 BODY-FIVE
check "... and the write" every_worker_serves "/posts/$LATER" 200 LATER-AGAIN-BODY
REV=$(psql_quire "select revision from posts where slug = '$SLUG'")
check "... the ETags are PostgreSQL's (\"$REV\", past the lost 7)" \
	test "$(api_etag "$SLUG")" = "200 \"$REV\"" -a "$REV" -gt 7
check "... every worker serves every post as PostgreSQL holds it" serves_pg
check "a deploy afterwards rewrites redis (its key back at PostgreSQL's)" \
	"$QUIRECTL" deploy "$SITE"
check "... redis's key is PostgreSQL's generation" \
	test "$(rcli GET "${PREFIX}generation")" = "$(psql_quire 'select generation from site')"

check "no worker crashed" test -z "$(crash_lines)"
t_done
