#!/bin/bash
# test_permalinks_tiers.sh - site.yaml and permalinks in full mode: the
# deploy carries site.yaml into PostgreSQL and Redis, workers that never
# read the content folder serve the configured URLs, a title change
# reaches every worker, a bad site.yaml or a reserved route fails the
# deploy and keeps what was deployed
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=lib_pg.sh
. "$(dirname "$0")/lib_pg.sh"
# shellcheck source=lib_redis.sh
. "$(dirname "$0")/lib_redis.sh"
# shellcheck source=lib_permalinks.sh
. "$(dirname "$0")/lib_permalinks.sh"

QUIRECTL=${QUIRECTL:-$QUIRE_BUILDDIR/fcgi/quirectl}

t_init
start_tiers
SITE=$T_DIR/site
permalinks_site "$SITE"
unset QUIRE_SITE_TITLE QUIRE_SITE_AUTHOR QUIRE_POSTS_PER_PAGE

# deploy [ARGS...]: quirectl deploy of $SITE; output in $T_DIR/deploy.out
deploy() {
	"$QUIRECTL" deploy "$SITE" "$@" >"$T_DIR/deploy.out" 2>&1
	D_STATUS=$?
	sed 's/^/  quirectl: /' "$T_DIR/deploy.out"
	return $D_STATUS
}

check "quirectl check accepts the site" "$QUIRECTL" check "$SITE"
check "the first deploy succeeds" deploy
check "PostgreSQL holds site.yaml" \
	test "$(psql_quire "SELECT config LIKE '%Jekyll Era%' FROM site" | tr -d ' \n')" = t
check "Redis holds site.yaml" bash -c "$(declare -f rcli); REDIS_PORT=$REDIS_PORT; rcli GET quire:site | grep -q 'Jekyll Era'"

# The workers never read the folder: everything comes from the tiers.
TOKEN=test-token-$RANDOM$RANDOM
t_token_file
T_API_SOCK=1
QUIRE_WORKERS=3 t_start_stack "$T_DIR/no-such-dir"
permalinks_urls

echo "== the write API's posts take the pattern too"
AUTH=(-H "Authorization: Bearer $TOKEN")
api PUT /api/posts/from-api "${MD[@]}" "${AUTH[@]}" \
	--data-binary "$(printf -- '---\ntitle: From the API\ndate: 2020-02-03\n---\nPERMA-API-BODY\n')"
check "PUT answers 201" test "$R_STATUS" = 201
check "... with the post's URL under the pattern" \
	grep -q '"url":"/2020/02/03/from-api.html"' "$T_DIR/r.body"
req "/api/posts?limit=10" "${AUTH[@]}"
check "the listing names that URL" grep -q '"url":"/2020/02/03/from-api.html"' "$T_DIR/r.body"
check "every worker serves it there" \
	every_worker_serves /2020/02/03/from-api.html 200 PERMA-API-BODY
expect_redirect /posts/from-api 301 /2020/02/03/from-api.html

echo "== a title change reaches every worker with the deploy"
every_worker_serves / 200 '<title>Jekyll Era</title>' >/dev/null
sed -i 's/^title: Jekyll Era$/title: Jekyll Era Deployed/' "$SITE/site.yaml"
check "the deploy of site.yaml alone succeeds" deploy
check "... acknowledged by every worker" grep -Eq "([0-9]+)/\1 workers acknowledged" "$T_DIR/deploy.out"
check "every worker serves the new title at once" \
	every_worker_serves / 200 '<title>Jekyll Era Deployed</title>'
check "... on a post's page too" \
	every_worker_serves /2016/10/20/rust-news.html 200 'Jekyll Era Deployed'
check "a second deploy changes nothing" deploy
check "... and says so" grep -q "nothing changed" "$T_DIR/deploy.out"

echo "== an edit reaches the cached page at the permalink"
every_worker_serves /2016/10/20/rust-news.html 200 PERMA-RUST-BODY >/dev/null
sed -i 's/^PERMA-RUST-BODY$/PERMA-RUST-EDITED/' "$SITE/posts/2016-10-20-rust-news.md"
check "the deploy of one edit succeeds" deploy
check "every worker serves the edit at its permalink" \
	every_worker_serves /2016/10/20/rust-news.html 200 PERMA-RUST-EDITED

echo "== a bad site.yaml fails the deploy and keeps the last one"
cp "$SITE/site.yaml" "$T_DIR/good.yaml"
printf 'title: Broken\nposts_per_page: many\n' >"$SITE/site.yaml"
deploy
check "the deploy fails (exit 1)" test "$D_STATUS" = 1
check "... with path:line:column" grep -q 'site\.yaml:2:17: ' "$T_DIR/deploy.out"
check "PostgreSQL keeps the last good site.yaml" \
	test "$(psql_quire "SELECT config LIKE '%Deployed%' FROM site" | tr -d ' \n')" = t
expect_body_contains / '<title>Jekyll Era Deployed</title>'

echo "== a reserved route fails the deploy"
cp "$T_DIR/good.yaml" "$SITE/site.yaml"
printf -- '---\ntitle: Tags Page\n---\nx\n' >"$SITE/pages/tags.md"
deploy
check "a page at /tags/ fails the deploy (exit 1)" test "$D_STATUS" = 1
check "... naming the file and the route" grep -q 'pages/tags\.md.*/tags/.*reserved' "$T_DIR/deploy.out"
"$QUIRECTL" check "$SITE" >"$T_DIR/check.out" 2>&1
check "quirectl check refuses it too (exit 1)" test $? = 1
check "... naming the file" grep -q 'pages/tags\.md.*reserved' "$T_DIR/check.out"
rm "$SITE/pages/tags.md"
# A post deployed under one pattern, then a pattern under which it
# would be /search: the deploy checks the posts it does not change too.
printf -- '---\ntitle: Searching\n---\nx\n' >"$SITE/posts/2018-01-01-search.md"
check "a post at /2018/01/01/search.html deploys" deploy
sed 's|^  posts: .*|  posts: /:slug|' "$T_DIR/good.yaml" >"$SITE/site.yaml"
deploy
check "a pattern that puts it at /search fails the deploy (exit 1)" test "$D_STATUS" = 1
check "... naming the unchanged file" \
	grep -q 'posts/2018-01-01-search\.md.*"/search".*reserved' "$T_DIR/deploy.out"
check "... and nothing else" test "$(grep -c 'reserved' "$T_DIR/deploy.out")" = 1
expect_status /2018/01/01/search.html 200
# Under /:slug, a post of the write API at /metrics would be left out by
# every worker: it is refused before it is written.
rm "$SITE/posts/2018-01-01-search.md"
check "posts at /:slug deploy" deploy
expect_status /rust-news 200
api PUT /api/posts/metrics "${MD[@]}" "${AUTH[@]}" \
	--data-binary "$(printf -- '---\ntitle: Not metrics\n---\nx\n')"
check "a PUT whose URL would shadow a route is 400 ($R_STATUS)" test "$R_STATUS" = 400
check "... saying so" grep -q 'reserved' "$T_DIR/r.body"
check "... and writes nothing" \
	test "$(psql_quire "SELECT count(*) FROM posts WHERE slug = 'metrics'" | tr -d ' \n')" = 0
cp "$T_DIR/good.yaml" "$SITE/site.yaml"
check "back to the Jekyll pattern" deploy
printf 'title: Shadow\npermalinks:\n  posts: /api/:slug\n' >"$SITE/site.yaml"
deploy
check "a pattern under /api/ fails the deploy (exit 1)" test "$D_STATUS" = 1
check "... at its line and column" grep -q 'site\.yaml:3:10: .*reserved' "$T_DIR/deploy.out"
expect_status /2016/10/20/rust-news.html 200

t_done

