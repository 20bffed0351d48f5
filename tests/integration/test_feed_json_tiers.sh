#!/bin/bash
# test_feed_json_tiers.sh - the JSON Feed in full mode (PostgreSQL and
# Redis) through nginx: valid, newest first, cached on every worker and
# new on every worker once a deploy returns, summaries by a deployed
# site.yaml
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"
. "$(dirname "$0")/lib_redis.sh"

QUIRECTL=${QUIRECTL:-$QUIRE_BUILDDIR/fcgi/quirectl}

t_init
start_tiers
copy_test_site
export QUIRE_SITE_TITLE="Fixture Site"
unset QUIRE_POSTS_PER_PAGE QUIRE_ENABLE_DRAFTS

deploy() {
	"$QUIRECTL" deploy "$SITE" >"$T_DIR/deploy.out" 2>&1
	local s=$?
	sed 's/^/  quirectl: /' "$T_DIR/deploy.out"
	return "$s"
}

# json_titles FILE: the items' titles, one a line, or fails if FILE is
# not a JSON Feed 1.1 with its items newest first.
json_titles() {
	"$T_PY" - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
assert d["version"] == "https://jsonfeed.org/version/1.1", d
dates = [i["date_published"] for i in d["items"]]
assert dates == sorted(dates, reverse=True), dates
for i in d["items"]:
    assert "content_html" in i or "content_text" in i, i
    print(i["title"])
PY
}

check "quirectl migrate" "$QUIRECTL" migrate
check "the first deploy" deploy
QUIRE_WORKERS=3 t_start_stack "$T_DIR/no-such-dir"

expect_status /feed.json 200
expect_header /feed.json Content-Type '^application/feed\+json'
req /feed.json
cp "$T_DIR/r.body" "$T_DIR/feed.json"
if json_titles "$T_DIR/feed.json" >"$T_DIR/titles"; then
	ok "/feed.json from the tiers is a JSON Feed, newest first"
else
	fail "/feed.json from the tiers is not a JSON Feed newest first"
fi
check "... of the 7 published posts" test "$(wc -l <"$T_DIR/titles")" = 7
check "... the newest first" test "$(head -n1 "$T_DIR/titles")" = "Newest Post"
check "... with the bodies from the tiers" grep -qF FIXTURE-HELLO-BODY "$T_DIR/feed.json"
check "... and no draft" not grep -qF "Draft Post" "$T_DIR/feed.json"
expect_body_contains /tags/intro/feed.json '"title":"Hello, World"'

# Cached on every worker, then a deploy: every worker serves the new
# title and body at once.
check "every worker caches /feed.json" every_worker_serves /feed.json 200 '"title":"Hello, World"'
check "every worker caches /tags/intro/feed.json" \
	every_worker_serves /tags/intro/feed.json 200 '"title":"Hello, World"'
sed -i 's/^title: Hello, World$/title: Hello, JSON World/; s/^FIXTURE-HELLO-BODY/FIXTURE-HELLO-BODY JSON-EDIT/' \
	"$SITE/posts/2024-01-10-hello-world.md"
check "the deploy of an edit" deploy
check "every worker serves the new title in /feed.json at once" \
	every_worker_serves /feed.json 200 '"title":"Hello, JSON World"'
check "... and the new body" every_worker_serves /feed.json 200 'JSON-EDIT'
check "... and in /tags/intro/feed.json" \
	every_worker_serves /tags/intro/feed.json 200 '"title":"Hello, JSON World"'

# A deployed site.yaml says summaries: every worker drops the bodies.
printf 'feed:\n  content: summary\n  entries: 2\n' >>"$SITE/site.yaml"
check "the deploy of site.yaml's feed setting" deploy
# The newest post has no description: its summary is its first
# paragraph, as the tiers keep it.
check "every worker serves summaries" \
	every_worker_serves /feed.json 200 '"summary":"FIXTURE-NEWEST-BODY"'
req /feed.json
cp "$T_DIR/r.body" "$T_DIR/summary.json"
if json_titles "$T_DIR/summary.json" >"$T_DIR/titles"; then
	ok "/feed.json in summary mode is a JSON Feed"
else
	fail "/feed.json in summary mode is not a JSON Feed"
fi
check "... of 2 items" test "$(wc -l <"$T_DIR/titles")" = 2
check "... the summary as content_html" \
	grep -qF '"content_html":"<p>FIXTURE-NEWEST-BODY</p>' "$T_DIR/summary.json"
check "... without bodies" not grep -qF "The newest published post" "$T_DIR/summary.json"
t_done
