#!/bin/bash
# test_feed_json.sh - the JSON Feed (/feed.json, /tags/TAG/feed.json) in
# embedded mode through nginx: valid JSON Feed 1.1, the posts of the
# Atom feed newest first, full content or summaries by site.yaml (in
# both feeds: the summary the home page shows)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

t_init
export QUIRE_WORKERS=2 QUIRE_SITE_TITLE="Fixture Site"
unset QUIRE_POSTS_PER_PAGE QUIRE_ENABLE_DRAFTS
copy_test_site
# One post with an OpenGraph image: the item's image.
sed -i '0,/^description:/s|^description:|image: /images/hello.png\ndescription:|' \
	"$SITE/posts/2024-01-10-hello-world.md"
# Summaries of each kind: the part before <!--more--> (hello-world), the
# first paragraph (every other fixture post), and the description of a
# post without a paragraph (only-code).
printf '\n<!--more-->\n\nFIXTURE-AFTER-MORE\n' \
	>>"$SITE/posts/2024-01-10-hello-world.md"
cat >"$SITE/posts/2024-03-20-only-code.md" <<'EOF'
---
title: Only Code
description: Only a code block & nothing else
---
    FIXTURE-ONLY-CODE
EOF
t_start_stack "$SITE"

# check_json_feed FILE WHAT COUNT MODE: FILE is a JSON Feed 1.1 of COUNT
# items, newest first, each complete; MODE full (content_html) or
# summary; the feed's own URL is $BASE$WHAT.
check_json_feed() {
	if "$T_PY" - "$1" "$BASE" "$2" "$3" "$4" <<'PY'; then
import json, sys
path, base, what, count, mode = sys.argv[1:]
d = json.load(open(path, encoding="utf-8"))
assert d["version"] == "https://jsonfeed.org/version/1.1", d.get("version")
assert d["feed_url"] == base + what, d["feed_url"]
assert d["home_page_url"] == base + "/", d["home_page_url"]
assert d["title"].startswith("Fixture Site"), d["title"]
assert d["authors"] and d["authors"][0]["name"], d.get("authors")
items = d["items"]
assert len(items) == int(count), [i["title"] for i in items]
for i in items:
    assert i["url"].startswith(base + "/") and i["id"] == i["url"], i
    assert i["title"] and i["date_published"] and i["date_modified"], i
    # the body in full mode, the summary in summary mode: HTML both
    assert "content_html" in i and "content_text" not in i, i
dates = [i["date_published"] for i in items]
assert dates == sorted(dates, reverse=True), dates
PY
		ok "$2: a JSON Feed 1.1 of $3 items, newest first, $4"
	else
		fail "$2 is not a JSON Feed 1.1 of $3 items, newest first, $4"
	fi
}

echo "== /feed.json"
expect_status /feed.json 200
expect_header /feed.json Content-Type '^application/feed\+json'
req /feed.json
cp "$T_DIR/r.body" "$T_DIR/feed.json"
check_json_feed "$T_DIR/feed.json" /feed.json 8 full
for t in 'Draft Post' 'Future Post' 'Broken Post' FIXTURE-ABOUT-BODY; do
	check "/feed.json does not contain '$t'" not grep -qF "$t" "$T_DIR/feed.json"
done
if "$T_PY" - "$T_DIR/feed.json" "$BASE" <<'PY'; then
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
by = {i["title"]: i for i in d["items"]}
h = by["Hello, World"]
assert h["url"] == sys.argv[2] + "/posts/hello-world", h["url"]
assert "FIXTURE-HELLO-BODY" in h["content_html"], h
assert "FIXTURE-AFTER-MORE" in h["content_html"], h
assert h["tags"] == ["intro", "c"], h["tags"]
assert h["authors"] == [{"name": "Ada Tester"}], h["authors"]
assert h["image"] == sys.argv[2] + "/images/hello.png", h.get("image")
assert "Ampersands & <Angles>" in by, list(by)
c = by["Hello\ufffdWorld"]
assert c["summary"] == "A summary\ufffdwith a control character", c
assert "\ufffd (SOH)" in c["content_html"], c["content_html"]
PY
	ok "/feed.json items: URL, body, tags, authors, image, escaping, U+FFFD"
else
	fail "/feed.json items are not as the posts say"
fi
# The JSON and the Atom feed list the same posts.
req /feed.xml
if "$T_PY" - "$T_DIR/feed.json" "$T_DIR/r.body" <<'PY'; then
import json, sys, feedparser
j = [i["url"] for i in json.load(open(sys.argv[1], encoding="utf-8"))["items"]]
a = [e.link for e in feedparser.parse(open(sys.argv[2], "rb").read()).entries]
assert j == a, (j, a)
PY
	ok "/feed.json and /feed.xml list the same posts in the same order"
else
	fail "/feed.json and /feed.xml differ in their posts"
fi
expect_body_contains / '<link rel="alternate" type="application/feed+json"'
expect_body_contains /posts/hello-world "href=\"$BASE/feed.json\""

echo "== /tags/intro/feed.json"
expect_status /tags/intro/feed.json 200
expect_header /tags/intro/feed.json Content-Type '^application/feed\+json'
req /tags/intro/feed.json
cp "$T_DIR/r.body" "$T_DIR/tag.json"
check_json_feed "$T_DIR/tag.json" /tags/intro/feed.json 2 full
expect_status /tags/no-such-tag/feed.json 404

echo "== feed: {content: summary, entries: 5}"
printf 'feed:\n  content: summary\n  entries: 5\n' >>"$SITE/site.yaml"
check "a reload takes site.yaml's feed setting" reload_and_wait 2
req /feed.json
cp "$T_DIR/r.body" "$T_DIR/summary.json"
check_json_feed "$T_DIR/summary.json" /feed.json 5 summary
# content_html is the summary the home page shows; summary (plain text,
# JSON Feed 1.1) the description, else the summary's text.
if out=$("$T_PY" - "$T_DIR/summary.json" 2>&1 <<'PY'
import json, sys
by = {i["title"]: i for i in json.load(open(sys.argv[1], encoding="utf-8"))["items"]}
e = by["Ampersands & <Angles>"]
assert e["summary"] == 'Quotes " and <tags> & more', e
assert e["content_html"] == "<p>FIXTURE-ESCAPING-BODY</p>\n", e
n = by["Newest Post"]
assert n["content_html"] == "<p>FIXTURE-NEWEST-BODY</p>\n", n
assert n["summary"] == "FIXTURE-NEWEST-BODY", n
h = by["Hello, World"]
assert "FIXTURE-HELLO-BODY" in h["content_html"], h
assert "<em>first</em> post" in h["content_html"], h
assert "FIXTURE-AFTER-MORE" not in h["content_html"], h
assert h["summary"] == "The first fixture post.", h
c = by["Only Code"]
assert c["content_html"] == "Only a code block &amp; nothing else", c
assert c["summary"] == "Only a code block & nothing else", c
PY
); then
	ok "/feed.json in summary mode carries each post's summary"
else
	fail "/feed.json in summary mode: not the summaries: $out"
fi
for t in FIXTURE-NEWEST-BODY FIXTURE-HELLO-BODY; do
	check "/feed.json in summary mode carries '$t'" grep -qF "$t" "$T_DIR/summary.json"
done
for t in "The newest published post" FIXTURE-AFTER-MORE FIXTURE-ONLY-CODE; do
	check "/feed.json in summary mode carries no '$t' (past the summary)" \
		not grep -qF "$t" "$T_DIR/summary.json"
done

echo "== /feed.xml in summary mode"
req /feed.xml
cp "$T_DIR/r.body" "$T_DIR/summary.xml"
check_feed "$T_DIR/summary.xml" "/feed.xml (summary)" 5
if out=$("$T_PY" - "$T_DIR/summary.xml" 2>&1 <<'PY'
import sys, feedparser
d = feedparser.parse(open(sys.argv[1], "rb").read())
by = {e.title: e for e in d.entries}
for e in d.entries:
    assert "content" not in e, e
    assert e.summary_detail.type == "text/html", e.summary_detail
n = by["Newest Post"]
assert n.summary.strip() == "<p>FIXTURE-NEWEST-BODY</p>", n.summary
h = by["Hello, World"]
assert "<em>first</em> post" in h.summary, h.summary
assert "FIXTURE-AFTER-MORE" not in h.summary, h.summary
c = by["Only Code"]
assert c.summary == "Only a code block &amp; nothing else", c.summary
PY
); then
	ok "/feed.xml in summary mode carries each post's summary as HTML"
else
	fail "/feed.xml in summary mode: not the summaries: $out"
fi
for t in "The newest published post" FIXTURE-AFTER-MORE FIXTURE-ONLY-CODE; do
	check "/feed.xml in summary mode carries no '$t' (past the summary)" \
		not grep -qF "$t" "$T_DIR/summary.xml"
done
t_done
