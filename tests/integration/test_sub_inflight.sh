#!/bin/bash
# test_sub_inflight.sh - a worker's subscriber tells a message on its way
# from a message missed (sub.c check_generation)
#
# Writers set the generation key, then publish. Under a stream of API
# writes the periodic comparison (every 5 s) often found the key ahead of
# what the worker had applied and reloaded every post, which on a big
# site outlasted a write's wait for acknowledgements (tests/bench/write:
# "acknowledged by 1 of 2 workers"). Here the key is set by hand, a
# comparison passes, and only then is the message published: it must be
# applied as the changes it names, with no reload. A key that stays
# ahead (a message really missed) must still bring a reload.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"
. "$(dirname "$0")/lib_redis.sh"

QUIRECTL=${QUIRECTL:-$QUIRE_BUILDDIR/fcgi/quirectl}
PREFIX=quire:

t_init
start_tiers
copy_test_site
check "the deploy succeeds" "$QUIRECTL" deploy "$SITE"
QUIRE_WORKERS=2 t_start_stack "$T_DIR/no-such-dir"
expect_status /posts/hello-world 200

reloads() { grep -c 'reloading\|full reload' "$QUIRE_LOG" || true; }

G=$(rcli GET "${PREFIX}generation")
check "redis has the generation" test -n "$G"
before=$(reloads)

# The key ahead while the message is on its way, across a comparison.
rcli SET "${PREFIX}generation" $((G + 1)) >/dev/null
sleep 6
rcli PUBLISH "${PREFIX}invalidate" "$((G + 1)) hello-world" >/dev/null
sleep 1
check "the message, late, is applied as changes" \
	grep -q "generation=$((G + 1)) changed=1" "$QUIRE_LOG"
check "... and no worker reloaded everything" test "$(reloads)" = "$before"
check "both workers acknowledged it" \
	grep -q "workers: 2 live" <("$QUIRECTL" status)

# A message really missed: the key stays ahead over two comparisons.
rcli SET "${PREFIX}generation" $((G + 2)) >/dev/null
ok_reload=0
for ((i = 0; i < 60; i++)); do
	if grep -q "generation key $((G + 2)), applied $((G + 1)): reloading" "$QUIRE_LOG"; then
		ok_reload=1
		break
	fi
	sleep 0.25
done
check "a generation never published is caught by a reload" test $ok_reload = 1
expect_status /posts/hello-world 200

# A message for a generation a worker holds already: loaded from
# PostgreSQL (which commits before the writer updates Redis), it may
# have cached a page from an older Redis copy. Here Redis's copy of a
# post is made older by hand, the workers restart (and load from
# PostgreSQL), cache it, then Redis gets it back and the message comes:
# every worker must serve the post anew. (First a deploy, so that the
# key set by hand above is PostgreSQL's generation again and no worker
# reloads everything while this runs.)
sed -i 's/^Hello/Again Hello/' "$SITE/posts/2024-01-10-hello-world.md"
printf '\nREDEPLOYED\n' >>"$SITE/posts/2024-01-10-hello-world.md"
check "a deploy puts PostgreSQL and Redis at one generation" "$QUIRECTL" deploy "$SITE"
check "... served by every worker" every_worker_serves /posts/hello-world 200 REDEPLOYED
G=$(rcli GET "${PREFIX}generation")
html=$(rcli HGET "${PREFIX}post:hello-world" html)
rcli HSET "${PREFIX}post:hello-world" html "<p>OLDER-REDIS-COPY</p>" >/dev/null
check "a reload (SIGHUP) replaces both workers" reload_and_wait 2
check "after a reload every worker serves the older Redis copy (cached)" \
	every_worker_serves /posts/hello-world 200 OLDER-REDIS-COPY
rcli HSET "${PREFIX}post:hello-world" html "${html/<p>/<p>CAUGHT-UP }" >/dev/null
rcli PUBLISH "${PREFIX}invalidate" "$G hello-world" >/dev/null
check "a message for the generation held makes every worker serve it anew" \
	every_worker_serves /posts/hello-world 200 CAUGHT-UP

# The key behind what the workers hold (a writer committed to
# PostgreSQL but could not update Redis; the workers reloaded from
# PostgreSQL): nothing to reload, across two comparisons.
rcli SET "${PREFIX}generation" $((G - 1)) >/dev/null
before=$(reloads)
sleep 11
check "a generation key behind the workers' brings no reload" test "$(reloads)" = "$before"
check "... and both workers still count as live" \
	grep -q "workers: 2 live" <("$QUIRECTL" status)
rcli SET "${PREFIX}generation" "$G" >/dev/null

# A changed post whose index entry Redis lost (evicted, say) is read
# from PostgreSQL, not taken for deleted.
rcli HDEL "${PREFIX}index" hello-world >/dev/null
rcli SET "${PREFIX}generation" $((G + 1)) >/dev/null
rcli PUBLISH "${PREFIX}invalidate" "$((G + 1)) hello-world" >/dev/null
sleep 1
check "a post missing from Redis's index is still served by every worker" \
	every_worker_serves /posts/hello-world 200 REDEPLOYED

# A worker's index behind the tier that answers, as while a change is on
# its way to it: the page is the version its body is of, whole, never
# the index's title over another version's body (the coherence checker's
# torn pages). Here PostgreSQL gets a newer version by hand, Redis loses
# its copy, no message comes; a page no worker has cached is asked.
psql_quire "UPDATE posts SET title = 'Torn Check New',
	source = E'---\\ntitle: Torn Check New\\n---\\nNEW-VERSION-BODY\\n',
	body_offset = 30, html = '<p>NEW-VERSION-BODY</p>',
	revision = revision + 1, hash = hash + 1 WHERE slug = 'newest'" >/dev/null
rcli DEL "${PREFIX}post:newest" >/dev/null
check "a body newer than the index is shown under its own title" \
	every_worker_serves /posts/newest 200 "Torn Check New"
check "... with that body" every_worker_serves /posts/newest 200 NEW-VERSION-BODY
check "... never the index's title over it" \
	not grep -rq "<title>Newest Post" "$T_DIR"/ews.*

check "no worker crashed" test -z "$(crash_lines)"
t_done
