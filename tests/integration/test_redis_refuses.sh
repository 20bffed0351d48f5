#!/bin/bash
# test_redis_refuses.sh - an API write while Redis refuses writes
#
# DESIGN §5, §6, §8 (issue 15, defect 1). Redis out of memory under
# noeviction answers every write with an OOM error while it still
# answers reads. A PUT then commits in PostgreSQL, but Redis keeps the
# old record. Before the fix: every worker (reloaded from PostgreSQL)
# served the new title with the old body, the API's GET gave the old
# source and the old ETag, and nothing ever repaired Redis. Here: no
# worker serves a torn page, the API's GET answers the new ETag or 503,
# never the old one; once Redis takes writes again, every worker serves
# the new revision within 5 s, Redis holds it (and a generation that
# names what it holds), and a write conditional on the acknowledged
# ETag succeeds. With PostgreSQL down, the API's GET serves Redis's
# copy only when it is the revision the worker's index names.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"
. "$(dirname "$0")/lib_redis.sh"

QUIRECTL=${QUIRECTL:-$QUIRE_BUILDDIR/fcgi/quirectl}
TOKEN=test-token-$RANDOM$RANDOM
PREFIX=quire:
SLUG=refused

t_init
deployed_stack 2

AUTH=(-H "Authorization: Bearer $TOKEN")
# page_kind FILE: which revision a page of the post shows: old (title
# and body one), new (both two), torn (anything else: the bug).
page_kind() {
	local t1=0 t2=0 b1=0 b2=0
	grep -q TITLE-ONE "$1" && t1=1
	grep -q TITLE-TWO "$1" && t2=1
	grep -q BODY-ONE "$1" && b1=1
	grep -q BODY-TWO "$1" && b2=1
	if ((t1 && b1 && !t2 && !b2)); then echo old
	elif ((t2 && b2 && !t1 && !b1)); then echo new
	else echo torn; fi
}

# sample TAG: 20 page requests and 20 API GETs, 4 at a time, across the
# workers; one line a page answer ("page CODE WORKER KIND") and a GET
# answer ("api CODE WORKER ETAG") appended to $T_DIR/seen.TAG.
sample() {
	local dir=$T_DIR/sample code w file etag
	rm -rf "$dir"
	mkdir -p "$dir"
	curl -s -Z --parallel-max 4 --max-time 10 -o "$dir/p#1" \
		-w '%{http_code} %header{x-quire-worker} %{filename_effective}\n' \
		"$BASE/posts/$SLUG?s=[1-20]" >"$dir/pages" 2>/dev/null
	while read -r code w file; do
		if [[ $code == 200 ]]; then
			echo "page $code $w $(page_kind "$file")"
		else
			echo "page $code $w -"
		fi
	done <"$dir/pages" >>"$T_DIR/seen.$1"
	curl -s -Z --parallel-max 4 --max-time 10 -o /dev/null "${AUTH[@]}" \
		-w '%{http_code} %header{x-quire-worker} %header{etag}\n' \
		"$BASE/api/posts/$SLUG?s=[1-20]" >"$dir/api" 2>/dev/null
	while read -r code w etag; do
		echo "api $code $w ${etag:--}"
	done <"$dir/api" >>"$T_DIR/seen.$1"
}

# all_new: one sample where every worker answered and every page is the
# new revision and every GET's ETag is "2".
all_new() {
	local w
	: >"$T_DIR/seen.now"
	sample now
	grep -qv -e '^page 200 [0-9]* new$' -e '^api 200 [0-9]* "2"$' \
		"$T_DIR/seen.now" && return 1
	for w in $(workers_of "$QUIRE_PID"); do
		grep -q "^page 200 $w " "$T_DIR/seen.now" || return 1
	done
	return 0
}

api PUT "/api/posts/$SLUG" "${AUTH[@]}" "${MD[@]}" \
	--data-binary "$(post_text TITLE-ONE BODY-ONE)"
check "the post is created (201)" test "$R_STATUS" = 201
check "... and served by every worker" \
	every_worker_serves "/posts/$SLUG" 200 BODY-ONE
G0=$(rcli GET "${PREFIX}generation")

# Redis refuses writes from now on: OOM, nothing to evict.
rcli CONFIG SET maxmemory-policy noeviction >/dev/null
rcli CONFIG SET maxmemory 1 >/dev/null
check "redis refuses a write now" \
	grep -q OOM <(rcli SET "${PREFIX}probe" x 2>&1)

api PUT "/api/posts/$SLUG" "${AUTH[@]}" "${MD[@]}" -H 'If-Match: "1"' \
	--data-binary "$(post_text TITLE-TWO BODY-TWO)"
PUT_STATUS=$R_STATUS
PUT_ETAG=$(header ETag)
t_log "the PUT while redis refuses: $PUT_STATUS, ETag $PUT_ETAG"
check "the write is answered 200 with ETag \"2\", or refused (503)" \
	test "$PUT_STATUS:$PUT_ETAG" = '200:"2"' -o "$PUT_STATUS" = 503
check "PostgreSQL has revision 2" \
	test "$(psql_quire "select revision from posts where slug = '$SLUG'")" = 2
check "redis still refuses writes" \
	grep -q OOM <(rcli SET "${PREFIX}probe" x 2>&1)

# While Redis refuses: 4 s of samples, every worker, pages and GETs.
: >"$T_DIR/seen.out"
for ((i = 0; i < 8; i++)); do
	sample out
	sleep 0.5
done
torn=$(grep -c '^page 200 [0-9]* torn$' "$T_DIR/seen.out")
pages=$(grep -c '^page ' "$T_DIR/seen.out")
old_etag=$(grep -c '^api 200 [0-9]* "1"$' "$T_DIR/seen.out")
t_log "while refused: $(awk '{ print $1, $2, $4 }' "$T_DIR/seen.out" | sort | uniq -c | tr '\n' ';')"
check "no worker serves a torn page (new title, old body: $torn of $pages)" \
	test "$torn" = 0
check "no API GET answers the old ETag \"1\" ($old_etag did)" \
	test "$old_etag" = 0
check "every API GET answers 200 with ETag \"2\", or 503" \
	not grep -qv -e '^page ' -e '^api 200 [0-9]* "2"$' -e '^api 503 ' \
	"$T_DIR/seen.out"
check "the generation key did not move past what redis holds" \
	test "$(rcli GET "${PREFIX}generation")" = "$G0"

# Redis takes writes again: every worker serves revision 2 within 5 s.
rcli CONFIG SET maxmemory 0 >/dev/null
t0=$SECONDS
served=0
while ((SECONDS - t0 < 5)); do
	if all_new; then
		served=1
		break
	fi
	sleep 0.2
done
t_log "after redis took writes again: $((SECONDS - t0)) s; last sample: $(awk '{ print $1, $2, $4 }' "$T_DIR/seen.now" | sort | uniq -c | tr '\n' ';')"
check "within 5 s every worker serves revision 2 (page and API GET)" \
	test "$served" = 1
# Redis itself is repaired (by the committer, not by a page's read), and
# its generation key, behind while it refused, catches up: the key names
# what Redis holds.
G_PG=$(psql_quire 'select generation from site')
repaired=0
while ((SECONDS - t0 < 5)); do
	if [[ $(rcli HGET "${PREFIX}post:$SLUG" revision) == 2 &&
		$(rcli HGET "${PREFIX}index" "$SLUG" | grep -c TITLE-TWO) == 1 &&
		$(rcli GET "${PREFIX}generation") == "$G_PG" ]]; then
		repaired=1
		break
	fi
	sleep 0.2
done
check "within 5 s redis holds revision 2 and PostgreSQL's generation $G_PG" \
	test "$repaired" = 1
check "... repaired by the committer" quire_log_has "event=redis generation=$G_PG repaired=1 owed=0"

api PUT "/api/posts/$SLUG" "${AUTH[@]}" "${MD[@]}" -H 'If-Match: "2"' \
	--data-binary "$(post_text TITLE-THREE BODY-THREE)"
check "a write conditional on the acknowledged ETag \"2\" succeeds (200)" \
	test "$R_STATUS" = 200
check "... and every worker serves it" \
	every_worker_serves "/posts/$SLUG" 200 BODY-THREE
check "redis holds revision 3" \
	test "$(rcli HGET "${PREFIX}post:$SLUG" revision)" = 3
check "... at PostgreSQL's generation" \
	test "$(rcli GET "${PREFIX}generation")" = "$(psql_quire 'select generation from site')"

# PostgreSQL down: the API's GET gives Redis's copy only when it is the
# revision the worker's index names, else 503.
stop_pg
: >"$T_DIR/seen.pgdown"
sample pgdown
check "PostgreSQL down: every API GET answers Redis's copy, ETag \"3\"" \
	not grep -qv -e '^page ' -e '^api 200 [0-9]* "3"$' "$T_DIR/seen.pgdown"
rcli HSET "${PREFIX}post:$SLUG" revision 2 >/dev/null
: >"$T_DIR/seen.pgdown"
sample pgdown
check "... and 503 once that copy is another revision than the index's" \
	not grep -qv -e '^page ' -e '^api 503 ' "$T_DIR/seen.pgdown"

check "no worker crashed" test -z "$(crash_lines)"
t_done
