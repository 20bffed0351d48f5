#!/bin/bash
# test_permalinks.sh - site.yaml and permalinks in embedded mode: the
# posts at their configured URLs, every older form one 301 away, every
# link quire writes in the configured form, SIGHUP reloading site.yaml,
# a bad site.yaml keeping the last good one, a reserved route refused
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=lib_permalinks.sh
. "$(dirname "$0")/lib_permalinks.sh"

t_init
SITE=$T_DIR/site
permalinks_site "$SITE"
# A page whose URL would be /tags/: quire's own route, refused.
printf -- '---\ntitle: Tags Page\n---\nPERMA-TAGS-PAGE\n' >"$SITE/pages/tags.md"
# The operator's variable beats the author's site.yaml.
export QUIRE_SITE_AUTHOR="Operator Name"
unset QUIRE_SITE_TITLE QUIRE_POSTS_PER_PAGE
t_start_stack "$SITE"

echo "== posts and pages at their permalinks"
permalinks_urls

echo "== site.yaml beneath the operator's settings"
expect_body_contains /feed.xml '<name>Operator Name</name>'
expect_body_lacks /feed.xml 'Site Author'
expect_body_contains / 'Notes from the Jekyll years'

echo "== a reserved route is refused with the file's path"
expect_body_lacks /tags/ PERMA-TAGS-PAGE
check "the log names pages/tags.md and the reserved path" \
	quire_log_has 'pages/tags\.md.*/tags/.*reserved'

echo "== SIGHUP reloads site.yaml"
sed -i 's/^title: Jekyll Era$/title: Jekyll Era Two/' "$SITE/site.yaml"
printf 'feed:\n  entries: 1\n  content: summary\ntaxonomies: [categories]\n' >>"$SITE/site.yaml"
check "reload" reload_and_wait 2
check "every worker has the new title" every_worker_serves / 200 '<title>Jekyll Era Two</title>'
req /feed.xml
check "feed.entries: one entry" test "$(grep -c '<entry>' "$T_DIR/r.body")" = 1
check "feed.content summary: no body" not grep -q '<content' "$T_DIR/r.body"
check "... the feed says the site's language" grep -q 'xml:lang="en"' "$T_DIR/r.body"
expect_body_lacks / 'href="/tags/">Tags'
expect_body_contains / 'href="/categories/">Categories'

echo "== a bad site.yaml keeps the last good one"
printf 'title: Broken\npermalinks:\n  posts: /:year/:nope/:slug\n' >"$SITE/site.yaml"
check "reload" reload_and_wait 2
check "the log says path:line:column" quire_log_has 'site\.yaml:3:[0-9]+: .*:nope'
check "every worker keeps the last good site.yaml" \
	every_worker_serves /2016/10/20/rust-news.html 200 'Jekyll Era Two'
printf 'title: Unknown\ncolour: blue\n' >"$SITE/site.yaml"
check "reload" reload_and_wait 2
check "an unknown key is an error naming it" quire_log_has 'site\.yaml:2:1: unknown key "colour"'

echo "== a pattern that would shadow a route is refused"
printf 'title: Shadow\npermalinks:\n  posts: /tags/:slug\n' >"$SITE/site.yaml"
check "reload" reload_and_wait 2
check "the log names the pattern's place" quire_log_has 'site\.yaml:3:[0-9]+: .*reserved'
expect_status /2016/10/20/rust-news.html 200

t_done
