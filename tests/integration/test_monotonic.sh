#!/bin/bash
# test_monotonic.sh - a worker never answers older than it answered
#
# DESIGN §5, §13 property 4 (issue 15; the coherence checker, seeds 108
# and 111). Redis refuses writes (maxmemory 1, noeviction): a first PUT
# (of another post) makes the committer reload the pool from PostgreSQL,
# the next ones, within its 10 s interval, reach no worker's index. A
# PUT of revision 2 then leaves a worker whose index names revision 1,
# as Redis's copy is, and PostgreSQL holding 2. Every worker answers the
# API's GET with revision 2 (from PostgreSQL). Then PostgreSQL stops.
# Before the fix, each worker's GET went back to revision 1 (Redis's
# copy, the index's revision), and a page read from PostgreSQL at 2
# went back to Redis's 1 too. Now every worker that answered 2 answers
# 2 or 503 for the page and the GET, with ETag "2", never 1. The same
# for a post deleted while Redis refused: it does not come back from
# Redis's copy.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"
. "$(dirname "$0")/lib_redis.sh"

QUIRECTL=${QUIRECTL:-$QUIRE_BUILDDIR/fcgi/quirectl}
TOKEN=test-token-$RANDOM$RANDOM
PREFIX=quire:

t_init
deployed_stack 2

AUTH=(-H "Authorization: Bearer $TOKEN")

# sample SLUG TAG: 20 API GETs and then 20 page requests of SLUG, 4 at a
# time, across the workers; a line an answer, appended to
# $T_DIR/seen.TAG: "api CODE WORKER ETAG WHICH" and "page CODE WORKER -
# WHICH" (WHICH: the TITLE-n the answer shows; - for none, both when
# torn).
sample() {
	local slug=$1 dir=$T_DIR/sample code w file etag
	rm -rf "$dir"
	mkdir -p "$dir"
	curl -s -Z --parallel-max 4 --max-time 10 -o "$dir/a#1" "${AUTH[@]}" \
		-w '%{http_code} %header{x-quire-worker} E%header{etag} %{filename_effective}\n' \
		"$BASE/api/posts/$slug?s=[1-20]" >"$dir/api" 2>/dev/null
	while read -r code w etag file; do
		etag=${etag#E}
		echo "api $code $w ${etag:--} $(which_title "$slug" "$file")"
	done <"$dir/api" >>"$T_DIR/seen.$2"
	curl -s -Z --parallel-max 4 --max-time 10 -o "$dir/p#1" \
		-w '%{http_code} %header{x-quire-worker} %{filename_effective}\n' \
		"$BASE/posts/$slug?s=[1-20]" >"$dir/pages" 2>/dev/null
	while read -r code w file; do
		echo "page $code $w - $(which_title "$slug" "$file")"
	done <"$dir/pages" >>"$T_DIR/seen.$2"
}
# which_title SLUG FILE: TITLE-ONE or TITLE-TWO, the title of SLUG that
# FILE shows; both (torn) or -.
which_title() {
	local one=0 two=0
	grep -Fq "TITLE-ONE $1" "$2" 2>/dev/null && one=1
	grep -Fq "TITLE-TWO $1" "$2" 2>/dev/null && two=1
	if ((one && two)); then echo both
	elif ((one)); then echo TITLE-ONE
	elif ((two)); then echo TITLE-TWO
	else echo -; fi
}
# went_back FILE...: the answers, in order, that show an older version
# than one the same worker answered before for the same resource (page
# or GET): TITLE-ONE is 1, TITLE-TWO and a 404 (deleted since) are 2; a
# 503 says nothing.
went_back() {
	awk '$2 == 503 { next }
	     { v = $5 == "TITLE-ONE" ? 1 : $5 == "TITLE-TWO" || $2 == 404 ? 2 : 0
	       k = $1 " " $3
	       if (v < top[k]) print; else top[k] = v }' "$@"
}
summary() { awk '{ print $1, $2, $4, $5 }' "$1" | sort | uniq -c | tr '\n' ';'; }
# sample_phase PHASE WHEN: three rounds of both posts into seen.PHASE and
# seen.PHASEgone, logged as WHEN.
sample_phase() {
	local i
	: >"$T_DIR/seen.$1"
	: >"$T_DIR/seen.$1gone"
	for ((i = 0; i < 3; i++)); do
		sample mono "$1"
		sample gone "$1gone"
	done
	t_log "$2: $(summary "$T_DIR/seen.$1")"
	t_log "$2, the deleted post: $(summary "$T_DIR/seen.$1gone")"
}

for s in mono other gone; do
	api PUT "/api/posts/$s" "${AUTH[@]}" "${MD[@]}" \
		--data-binary "$(post_text "TITLE-ONE $s" "BODY-ONE $s")"
	check "$s is created (201)" test "$R_STATUS" = 201
	check "... and served by every worker" \
		every_worker_serves "/posts/$s" 200 "BODY-ONE $s"
done

# Redis refuses writes from now on: OOM, nothing to evict.
rcli CONFIG SET maxmemory-policy noeviction >/dev/null
rcli CONFIG SET maxmemory 1 >/dev/null
check "redis refuses a write now" \
	grep -q OOM <(rcli SET "${PREFIX}probe" x 2>&1)

# The first write Redis refuses reloads the pool from PostgreSQL; the
# writes after it, for 10 s, reach the workers' indexes only then.
old=$(quire_workers)
api PUT "/api/posts/other" "${AUTH[@]}" "${MD[@]}" -H 'If-Match: "1"' \
	--data-binary "$(post_text "TITLE-TWO other" "BODY-TWO other")"
check "the first write while redis refuses is answered 200" \
	test "$R_STATUS" = 200
for ((i = 0; i < 100; i++)); do
	gone=1
	for w in $old; do kill -0 "$w" 2>/dev/null && gone=0; done
	((gone)) && [[ $(quire_workers | wc -l) == 2 ]] && break
	sleep 0.1
done
check "... and the pool is reloaded (new workers)" test "$gone" = 1
check "... which serve it" every_worker_serves "/posts/other" 200 "BODY-TWO other"

api PUT "/api/posts/mono" "${AUTH[@]}" "${MD[@]}" -H 'If-Match: "1"' \
	--data-binary "$(post_text "TITLE-TWO mono" "BODY-TWO mono")"
check "the write of revision 2 is answered 200 with ETag \"2\"" \
	test "$R_STATUS:$(header ETag)" = '200:"2"'
api DELETE "/api/posts/gone" "${AUTH[@]}" -H 'If-Match: "1"'
check "the deletion is answered 204" test "$R_STATUS" = 204
check "PostgreSQL has revision 2, redis still 1" \
	test "$(psql_quire "select revision from posts where slug = 'mono'"):$(rcli HGET "${PREFIX}post:mono" revision)" = 2:1
check "redis still holds the deleted post" \
	test "$(rcli HGET "${PREFIX}post:gone" revision)" = 1

# Every worker answers revision 2 (the API's GET reads PostgreSQL) and
# 404 for the deleted post, from PostgreSQL.
sample_phase up "postgresql up"
workers=$(quire_workers)
for w in $workers; do
	check "worker $w answered the API's GET with ETag \"2\"" \
		grep -q "^api 200 $w \"2\" TITLE-TWO" "$T_DIR/seen.up"
	check "worker $w answered the deleted post's GET 404" \
		grep -q "^api 404 $w " "$T_DIR/seen.upgone"
done
check "no API GET answered revision 1" \
	not grep -q '^api 200 [0-9]* "1"' "$T_DIR/seen.up"

stop_pg
sample_phase down "postgresql down"
# Only the workers that answered before: a reload (the committer's 10 s
# interval) may bring new ones, loaded from Redis, which answered
# nothing before.
pat=$(tr ' \n' '||' <<<"$workers" | sed 's/|*$//')
grep -E "^(page|api) [0-9]+ ($pat) " "$T_DIR/seen.down" >"$T_DIR/old.down"
grep -E "^(page|api) [0-9]+ ($pat) " "$T_DIR/seen.downgone" >"$T_DIR/old.downgone"
check "the workers that answered 2 answer again ($(wc -l <"$T_DIR/old.down") answers)" \
	test -s "$T_DIR/old.down"
check "their API GETs are ETag \"2\" (revision 2) or 503, never 1" \
	not grep -Ev -e '^page ' -e '^api 200 [0-9]+ "2" TITLE-TWO$' -e '^api 503 ' \
	"$T_DIR/old.down"
back=$(went_back "$T_DIR/seen.up" "$T_DIR/old.down" | tr '\n' ';')
check "no worker answers an older revision than it answered (${back:-none})" \
	test -z "$back"
check "the deleted post's GET is 404 or 503 on them" \
	not grep -Ev -e '^page ' -e '^api (404|503) ' "$T_DIR/old.downgone"
back=$(went_back "$T_DIR/seen.upgone" "$T_DIR/old.downgone" | tr '\n' ';')
check "the deleted post does not come back (${back:-none})" test -z "$back"

# The subscriber's reads: a message naming both posts again (under the
# generation held: read anew, their pages marked stale) reads their
# entries from Redis's index, revision 1 and the deleted one; "*" ahead
# reloads the whole site, from Redis's index. Neither is taken: their
# pages stay revision 2 (or 503) and gone.
G=$(rcli GET "${PREFIX}generation")
rcli PUBLISH "${PREFIX}invalidate" "$G mono gone" >/dev/null
sleep 0.5
rcli PUBLISH "${PREFIX}invalidate" "$((G + 1000)) *" >/dev/null
sleep 0.5
sample_phase msg "after the messages"
t_log "redis holds mono at revision $(rcli HGET "${PREFIX}post:mono" revision), gone at $(rcli HGET "${PREFIX}post:gone" revision)"
grep -E "^(page|api) [0-9]+ ($pat) " "$T_DIR/seen.msg" >"$T_DIR/old.msg"
grep -E "^(page|api) [0-9]+ ($pat) " "$T_DIR/seen.msggone" >"$T_DIR/old.msggone"
check "they answer ($(wc -l <"$T_DIR/old.msg") answers)" test -s "$T_DIR/old.msg"
back=$(went_back "$T_DIR/seen.up" "$T_DIR/old.down" "$T_DIR/old.msg" | tr '\n' ';')
check "... none older than they answered (${back:-none})" test -z "$back"
back=$(went_back "$T_DIR/seen.upgone" "$T_DIR/old.downgone" "$T_DIR/old.msggone" | tr '\n' ';')
check "... and the deleted post does not come back (${back:-none})" \
	test -z "$back"
check "redis's older index is not loaded" \
	quire_log_has "redis's index is older than what this worker holds"
check "no page is torn" not grep -q ' both$' "$T_DIR"/seen.*

rcli CONFIG SET maxmemory 0 >/dev/null
check "no worker crashed" test -z "$(crash_lines)"
t_done
