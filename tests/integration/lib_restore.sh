# shellcheck shell=bash
# lib_restore.sh - what test_restore.sh, test_restore_unseen.sh and
# test_restore_refused.sh share (sourced after lib.sh, lib_pg.sh and lib_redis.sh, and once the
# stack runs: deployed_stack, with AUTH, SLUG and LATER set).
#
#   put SLUG TITLE BODY [CURL ARGS...]  an API PUT (R_STATUS, header ETag)
#   dump FILE / restore FILE            pg_dump -Fc, pg_restore into quire
#   within SECONDS CMD...               CMD until it succeeds, bounded
#   restored_served                     every worker serves the backup's
#                                       posts and nothing written after it
#   restore_history                     the history: a file and a post
#                                       twice, the dump (BACKUP_GEN), then
#                                       a post, a write, a deploy after it
#                                       (HELD: the generation the workers
#                                       hold)

put() { # put SLUG TITLE BODY [CURL ARGS...]: R_STATUS, $(header ETag)
	local s=$1 t=$2 b=$3
	shift 3
	api PUT "/api/posts/$s" "${AUTH[@]}" "${MD[@]}" "$@" \
		--data-binary "$(post_text "$t" "$b")"
}
dump() { "$PG_BIN/pg_dump" -h "$PG_SOCKDIR" -p "$PG_PORT" -U postgres -Fc -f "$1" quire; }
# restore FILE: the operator's restore, into the same database, while
# quire runs (its connections are left alone: --clean drops and makes
# the tables again under them).
restore() {
	"$PG_BIN/pg_restore" -h "$PG_SOCKDIR" -p "$PG_PORT" -U postgres \
		--clean --if-exists --single-transaction -d quire "$1" \
		>>"$T_DIR/pg_restore.log" 2>&1
}
# within SECONDS CMD...: CMD, tried every 0.2 s until it succeeds, for
# SECONDS at most.
within() {
	local end=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		((SECONDS < end)) || return 1
		sleep 0.2
	done
}
# no_worker_lists STRING: every worker answers /posts/ 200, none with
# STRING in it.
no_worker_lists() {
	rm -rf "$T_DIR"/ews.*
	every_worker_serves /posts/ 200 '' || return 1
	! grep -Fqs -- "$1" "$T_DIR"/ews.*/b*
}
# restored_served: every worker serves what the backup holds, and
# nothing written after it.
restored_served() {
	every_worker_serves /posts/file-kept 200 FILE-KEPT-BODY &&
		every_worker_serves /posts/file-after 404 '' &&
		every_worker_serves "/posts/$LATER" 404 '' &&
		every_worker_serves "/posts/$SLUG" 200 TITLE-TWO &&
		no_worker_lists LATER-TITLE && no_worker_lists FILE-AFTER
}

restore_history() {
	printf -- '---\ntitle: FILE-KEPT\ndate: 2024-01-02\n---\nFILE-KEPT-BODY\n' \
		>"$SITE/posts/file-kept.md"
	check "a file is deployed" "$QUIRECTL" deploy "$SITE"
	put "$SLUG" TITLE-ONE BODY-ONE
	put "$SLUG" TITLE-TWO BODY-TWO -H 'If-Match: "1"'
	check "a post is written twice (revision 2)" test "$(header ETag)" = '"2"'
	check "the dump is taken" dump "$T_DIR/backup.dump"
	BACKUP_GEN=$(psql_quire 'select generation from site')

	put "$LATER" LATER-TITLE LATER-BODY
	check "a post created after the backup (201)" test "$R_STATUS" = 201
	put "$SLUG" TITLE-THREE BODY-THREE -H 'If-Match: "2"'
	check "... the other one written again (200)" test "$R_STATUS" = 200
	rm "$SITE/posts/file-kept.md"
	printf -- '---\ntitle: FILE-AFTER\ndate: 2024-01-03\n---\nFILE-AFTER-BODY\n' \
		>"$SITE/posts/file-after.md"
	check "a deploy after it removes the file and adds another" \
		"$QUIRECTL" deploy "$SITE"
	HELD=$(psql_quire 'select generation from site')
	check "every worker lists the post written after the backup" \
		every_worker_serves /posts/ 200 LATER-TITLE
	check "... and serves the deploy" every_worker_serves /posts/file-kept 404 ''
	t_log "backup at generation $BACKUP_GEN, the workers hold $HELD"
}
