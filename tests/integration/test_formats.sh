#!/bin/bash
# test_formats.sh - records and messages of a later format in Redis
#
# DESIGN §5 "Format versions", §8 (issue 15, defect 7). A host of a
# newer build may share Redis with this one. A post hash of a later
# format (its "format" field), an index entry of a later version (its
# magic), planted by hand with redis-cli, keep the revision and hash
# PostgreSQL has: before the fix, the worker took the planted hash for
# its own format and served its body. Here: every worker serves
# PostgreSQL's, and the planted record is never served. An invalidation
# of a later format ("v2 ...") was ignored as malformed; now every
# worker reloads from the tiers at once, and serves a change it could
# not have seen otherwise (PostgreSQL changed by hand, no generation).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"
. "$(dirname "$0")/lib_redis.sh"

QUIRECTL=${QUIRECTL:-$QUIRE_BUILDDIR/fcgi/quirectl}
TOKEN=test-token-$RANDOM$RANDOM
PREFIX=quire:
SLUG=versioned

t_init
deployed_stack 2
AUTH=(-H "Authorization: Bearer $TOKEN")

api PUT "/api/posts/$SLUG" "${AUTH[@]}" "${MD[@]}" \
	--data-binary "$(post_text TITLE-ONE BODY-ONE)"
check "the post is created (201)" test "$R_STATUS" = 201
check "... and served by every worker" \
	every_worker_serves "/posts/$SLUG" 200 BODY-ONE
check "redis holds it" test "$(rcli HGET "${PREFIX}post:$SLUG" revision)" = 1

# A later format of the same revision and hash: nothing but the format
# tells it from this build's.
rcli HSET "${PREFIX}post:$SLUG" format 2 html '<p>PLANTED-BODY</p>' \
	source "$(printf -- '---\ntitle: PLANTED-TITLE\n---\nPLANTED-BODY\n')" \
	>/dev/null
entry=$(rcli --no-raw HGET "${PREFIX}index" "$SLUG")
check "an index entry of magic QIX2 is there" grep -q '^"QIX2' <<<"$entry"
# The same bytes with the magic's version byte 3 (redis-cli -x reads the
# value from stdin, bytes as they are).
rcli --raw HGET "${PREFIX}index" "$SLUG" | head -c -1 | sed '1s/^QIX2/QIX3/' |
	rcli -x HSET "${PREFIX}index" "$SLUG" >/dev/null
check "... planted as QIX3" grep -q '^"QIX3' <<<"$(rcli --no-raw HGET "${PREFIX}index" "$SLUG")"

# A rolling reload: every worker new, its cache empty, the body read from
# the tiers again (Redis first).
check "a reload (SIGHUP)" reload_and_wait "$(quire_workers | wc -l)"
check "every worker serves PostgreSQL's body, not the planted one" \
	every_worker_serves "/posts/$SLUG" 200 BODY-ONE
check "... never the planted body" not grep -rqs PLANTED-BODY "$T_DIR"/ews.*
api GET "/api/posts/$SLUG" "${AUTH[@]}"
check "the API's GET answers PostgreSQL's source (ETag \"1\")" \
	test "$R_STATUS:$(header ETag)" = '200:"1"'
check "... not the planted one" not grep -q PLANTED "$T_DIR/r.body"
expect_body_contains / TITLE-ONE

# A message of a later format: the worker cannot tell what changed, so
# it reloads. PostgreSQL is changed by hand, under the same generation:
# only a reload shows it.
psql_quire "update posts set html = '<p>BODY-BY-HAND</p>' where slug = '$SLUG'"
rcli PUBLISH "${PREFIX}invalidate" "v2 $(rcli GET "${PREFIX}generation") $SLUG" >/dev/null
t0=$SECONDS
reloaded=0
while ((SECONDS - t0 < 4)); do
	if every_worker_serves "/posts/$SLUG" 200 BODY-BY-HAND; then
		reloaded=1
		break
	fi
	sleep 0.3
done
check "a message of a later format: every worker reloads within 4 s" \
	test "$reloaded" = 1
check "... and says so" quire_log_has 'a message of a later format: reloading'
check "writes go on" api PUT "/api/posts/$SLUG" "${AUTH[@]}" "${MD[@]}" \
	-H 'If-Match: "1"' --data-binary "$(post_text TITLE-TWO BODY-TWO)"
check "... 200" test "$R_STATUS" = 200
check "... and every worker serves the write" \
	every_worker_serves "/posts/$SLUG" 200 BODY-TWO
check "redis holds this build's format again" \
	test "$(rcli HGET "${PREFIX}post:$SLUG" format)" = 1
# PostgreSQL down, workers started meanwhile (a reload: they load from
# Redis alone and have never reached PostgreSQL), then a change of the
# post announced (a message of this version) while Redis holds its
# index entry in a later format only: the worker can neither read the
# entry nor ask PostgreSQL, and must keep what it serves, not take the
# post for deleted.
stop_pg
check "PostgreSQL down: a reload (SIGHUP), the workers load from Redis" \
	reload_and_wait "$(quire_workers | wc -l)"
check "... and serve the post" every_worker_serves "/posts/$SLUG" 200 BODY-TWO
rcli --raw HGET "${PREFIX}index" "$SLUG" | head -c -1 | sed '1s/^QIX2/QIX3/' |
	rcli -x HSET "${PREFIX}index" "$SLUG" >/dev/null
rcli PUBLISH "${PREFIX}invalidate" "$(($(rcli GET "${PREFIX}generation") + 1)) $SLUG" >/dev/null
sleep 1
check "an entry of a later format announced: every worker still serves the post" \
	every_worker_serves "/posts/$SLUG" 200 BODY-TWO
check "no worker crashed" test -z "$(crash_lines)"
t_done
