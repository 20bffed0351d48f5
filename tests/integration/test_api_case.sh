#!/bin/bash
# test_api_case.sh - slugs equal but for letter case, through the write API
#
# Two slugs that differ only in case are one post (DESIGN §3, §7): PUT
# /api/posts/Foo while foo exists is 409. The check before the write is
# queued cannot see a twin written at the same instant, so PostgreSQL
# holds the rule (a unique index on lower(slug)): twenty rounds of two
# PUTs, Foo and foo, fired at once, with an unrelated PUT beside them,
# each leave exactly one of the twins, answer the other 409 naming the
# slug held, and never fail the unrelated write. A deploy skips a
# content file whose slug is an API post's in another case.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=lib_pg.sh
. "$(dirname "$0")/lib_pg.sh"
# shellcheck source=lib_redis.sh
. "$(dirname "$0")/lib_redis.sh"

QUIRECTL=${QUIRECTL:-$QUIRE_BUILDDIR/fcgi/quirectl}
TOKEN=test-token-$RANDOM$RANDOM

t_init
start_tiers
copy_test_site
"$QUIRECTL" deploy "$SITE" >/dev/null 2>&1 || fail "the first deploy failed"
printf '%s\n' "$TOKEN" >"$T_DIR/tokens"
chmod 600 "$T_DIR/tokens"
export QUIRE_API_TOKEN_FILE=$T_DIR/tokens
QUIRE_WORKERS=3 t_start_stack "$T_DIR/no-such-dir"

AUTH=(-H "Authorization: Bearer $TOKEN")
printf -- '---\ntitle: Twin\n---\nTWIN-BODY\n' >"$T_DIR/twin.md"

# put SLUG OUT: one PUT in the background, its status and body into OUT.
put() {
	curl -s --max-time 20 -o "$2.body" -w '%{http_code}\n' -X PUT \
		"${AUTH[@]}" "${MD[@]}" --data-binary "@$T_DIR/twin.md" \
		"$BASE/api/posts/$1" >"$2" &
	racers+=($!)
}

one_each=0 statuses_ok=0 others_ok=0 named=0
for round in $(seq -w 1 20); do
	racers=()
	put "Case-$round" "$T_DIR/upper"
	put "case-$round" "$T_DIR/lower"
	put "other-$round" "$T_DIR/other"
	# Only these: a bare wait would also wait for lib.sh's watchdog.
	wait "${racers[@]}"
	n=$(psql_quire "SELECT count(*) FROM posts WHERE lower(slug) = 'case-$round'")
	[ "$n" = 1 ] && one_each=$((one_each + 1))
	got="$(cat "$T_DIR/upper") $(cat "$T_DIR/lower")"
	case $got in
	"201 409" | "409 201") statuses_ok=$((statuses_ok + 1)) ;;
	*) t_log "round $round: Case/case answered $got, $n rows" ;;
	esac
	grep -q '^201$' "$T_DIR/other" && others_ok=$((others_ok + 1))
	if grep -qs '"slug":"[Cc]ase-'"$round"'"' "$T_DIR/upper.body" "$T_DIR/lower.body"; then
		named=$((named + 1))
	fi
done
check "20 rounds of Case-N and case-N at once: one post each round ($one_each)" \
	test "$one_each" = 20
check "... one 201 and one 409 each round ($statuses_ok)" test "$statuses_ok" = 20
check "... the 409 naming the slug held ($named)" test "$named" = 20
check "... and the write beside them never failed ($others_ok)" test "$others_ok" = 20

api PUT /api/posts/CASE-01 "${AUTH[@]}" "${MD[@]}" --data-binary "@$T_DIR/twin.md"
check "a PUT of a third case later: 409 (got $R_STATUS)" test "$R_STATUS" = 409

# A content file whose slug is an API post's in another case is skipped
# and named, like one of the very same slug: exit 5, the rest deployed.
held=$(psql_quire "SELECT slug FROM posts WHERE lower(slug) = 'case-02'")
if [ "$held" = case-02 ]; then twin=Case-02; else twin=case-02; fi
printf -- '---\ntitle: From a file\nslug: %s\n---\nFROM-A-FILE\n' "$twin" \
	>"$SITE/posts/2024-06-01-twin.md"
"$QUIRECTL" deploy "$SITE" >"$T_DIR/deploy.out" 2>&1
d_status=$?
sed 's/^/  quirectl: /' "$T_DIR/deploy.out"
check "a content file with an API post's slug in another case: exit 5 (got $d_status)" \
	test "$d_status" = 5
check "... naming the file" grep -q "2024-06-01-twin.md:1:1: slug \"$twin\" is owned by the write API" \
	"$T_DIR/deploy.out"
"$QUIRECTL" check "$SITE" >"$T_DIR/check.out" 2>&1
check "quirectl check says so too: exit 5" test $? = 5
check "... the API post is served as it was" every_worker_serves "/posts/$held" 200 TWIN-BODY
check "PostgreSQL holds one of them" \
	test "$(psql_quire "SELECT count(*) FROM posts WHERE lower(slug) = 'case-02'")" = 1
t_done
