#!/bin/bash
# test_summaries_stored.sh - summaries PostgreSQL stored before their
# ids carried the post's slug and before the whole mark are made again
# (schema step 13, DESIGN §5): an API post's by the migration itself,
# from its stored source; a content post's by the next deploy, its old
# summary shown until then, not none. Then every worker shows the new
# ones, with a "Read more" link only where the post has more.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=lib_pg.sh
. "$(dirname "$0")/lib_pg.sh"
# shellcheck source=lib_redis.sh
. "$(dirname "$0")/lib_redis.sh"

QUIRECTL=${QUIRECTL:-$QUIRE_BUILDDIR/fcgi/quirectl}
TOKEN=test-token-$RANDOM$RANDOM

t_init
unset QUIRE_SITE_TITLE QUIRE_POSTS_PER_PAGE QUIRE_ENABLE_DRAFTS
T_API_SOCK=1
start_tiers
SITE=$T_DIR/site
mkdir -p "$SITE/posts" "$SITE/pages"
printf -- '---\ntitle: Footed\ndate: 2024-03-02\n---\nFOOT-OPENING[^1]\n\n## Aside\n\n[^1]: FOOT-NOTE\n\n<!--more-->\n\nFOOT-REST\n' \
	>"$SITE/posts/foot.md"
printf -- '---\ntitle: Whole\ndate: 2024-03-01\n---\nWHOLE-ONLY paragraph.\n' \
	>"$SITE/posts/whole.md"

# deploy: quirectl deploy of $SITE; output in $T_DIR/deploy.out
deploy() {
	"$QUIRECTL" deploy "$SITE" >"$T_DIR/deploy.out" 2>&1
	D_STATUS=$?
	sed 's/^/  quirectl: /' "$T_DIR/deploy.out"
	return $D_STATUS
}
# summary SLUG: the summary PostgreSQL serves for SLUG (none: empty)
summary() {
	psql_quire "SELECT CASE WHEN summary_of = hash THEN summary_html END
		FROM posts WHERE slug = '$1'"
}

check "the first deploy succeeds" deploy
t_token_file
QUIRE_WORKERS=2 t_start_stack "$T_DIR/no-such-dir"
AUTH=(-H "Authorization: Bearer $TOKEN")
api PUT /api/posts/api-foot "${AUTH[@]}" "${MD[@]}" --data-binary \
	$'---\ntitle: API footed\ndate: 2024-02-02\n---\nAPI-FOOT-OPENING[^1]\n\n[^1]: API-NOTE\n\n<!--more-->\n\nAPI-REST\n'
check "an API post with a footnote: 201" test "$R_STATUS" = 201
api PUT /api/posts/api-whole "${AUTH[@]}" "${MD[@]}" --data-binary \
	$'---\ntitle: API whole\ndate: 2024-02-01\n---\nAPI-WHOLE only.\n'
check "an API post that is its summary: 201" test "$R_STATUS" = 201
stop_pid "$QUIRE_PID" quire 10

echo "== summaries as an earlier release stored them, the schema at 12"
# Their ids were "summary--fn-1" and "aside" then, and no summary had
# the whole mark: each is replaced by a stand-in that names it.
psql_quire "UPDATE posts SET summary_html = '<p>OLD-' || slug || '</p>'
	WHERE summary_html IS NOT NULL" >/dev/null
psql_quire "UPDATE quire_schema SET version = 12" >/dev/null
check "four summaries stored the old way" \
	test "$(psql_quire "SELECT count(*) FROM posts WHERE summary_html LIKE '<p>OLD-%'" | tr -d ' ')" = 4
gen0=$(psql_quire "SELECT generation FROM site" | tr -d ' ')

echo "== quirectl migrate: step 13"
check "quirectl migrate runs step 13 (and those after)" bash -c \
	"'$QUIRECTL' migrate 2>&1 | grep -q 'from version 12 to '"
s=$(summary api-foot)
check "an API post's summary made again from its source: its footnote id under its slug" \
	grep -qF 'id="summary-api-foot-fn-1"' <<<"$s"
check "... with more to read: no whole mark" not grep -qF '<!--quire:whole-->' <<<"$s"
s=$(summary api-whole)
check "... api-whole's: all of it, the whole mark after it" \
	test "$s" = '<p>API-WHOLE only.</p>
<!--quire:whole-->'
check "... nothing left queued" \
	test "$(psql_quire 'SELECT count(*) FROM quire_summary_redo' | tr -d ' ')" = 0
check "... a new generation (workers reading PostgreSQL reload)" \
	test "$(psql_quire "SELECT generation FROM site" | tr -d ' ')" -gt "$gen0"
check "a content post's old summary still shown until the deploy, not none" \
	test "$(summary foot)" = '<p>OLD-foot</p>'
check "... its row marked to be rendered again (hash 0)" \
	test "$(psql_quire "SELECT hash FROM posts WHERE slug = 'foot'" | tr -d ' ')" = 0
check "a second migrate has nothing to do" bash -c \
	"'$QUIRECTL' migrate 2>&1 | grep -q 'at version [0-9]*; nothing to do'"

echo "== upgraded workers, before the deploy"
QUIRE_WORKERS=2 start_quire "$T_DIR/no-such-dir" && wait_healthz
check "every worker shows the API post's new summary" \
	every_worker_serves /posts/ 200 'href="#summary-api-foot-fn-1"'
req /posts/
check "... and the content post's old one, until the deploy" grep -qF '<p>OLD-foot</p>' "$T_DIR/r.body"
check "... no \"Read more\" under the API post that is its summary" \
	not grep -qF '<a href="/posts/api-whole">Read more' "$T_DIR/r.body"
check "... one under the other" grep -qF '<a href="/posts/api-foot">Read more' "$T_DIR/r.body"

echo "== the next deploy, of the same files"
check "the deploy succeeds" deploy
check "... renders every content post again" grep -q '2 changed' "$T_DIR/deploy.out"
check "every worker shows the content post's new summary" \
	every_worker_serves /posts/ 200 'href="#summary-foot-fn-1"'
req /posts/
check "... its heading's id under its slug" grep -qF 'id="summary-foot-aside"' "$T_DIR/r.body"
check "... no old summary left" not grep -qF 'OLD-' "$T_DIR/r.body"
check "... no \"Read more\" under the post that is its summary" \
	not grep -qF '<a href="/posts/whole">Read more' "$T_DIR/r.body"
check "... one under the post with more" grep -qF '<a href="/posts/foot">Read more' "$T_DIR/r.body"
check_unique_ids "$T_DIR/r.body" "/posts/ (four footnoted or whole summaries)"
check "PostgreSQL keeps the whole mark with the content post's" \
	bash -c "[[ \"\$1\" == *'<!--quire:whole-->' ]]" _ "$(summary whole)"
t_done
