#!/bin/bash
# test_feed.sh - the Atom feeds parse with feedparser and list the right posts
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

t_init
export QUIRE_WORKERS=2 QUIRE_SITE_TITLE="Fixture Site"
unset QUIRE_POSTS_PER_PAGE QUIRE_ENABLE_DRAFTS
t_start_stack

echo "== /feed.xml"
expect_status /feed.xml 200
expect_header /feed.xml Content-Type '^application/atom\+xml'
req /feed.xml
cp "$T_DIR/r.body" "$T_DIR/feed.xml"
# 5 published posts (no draft, no future post, not the malformed one), and
# no static page.
check_feed "$T_DIR/feed.xml" /feed.xml 5
for t in 'Draft Post' 'Future Post' 'Broken Post' FIXTURE-ABOUT-BODY; do
	check "/feed.xml does not contain '$t'" not grep -qF "$t" "$T_DIR/feed.xml"
done

# The title with & and < > must come back intact through XML escaping.
if "$T_PY" - "$T_DIR/feed.xml" <<'PY'; then
import sys, feedparser
d = feedparser.parse(open(sys.argv[1], "rb").read())
titles = [e.title for e in d.entries]
sys.exit(0 if "Ampersands & <Angles>" in titles else 1)
PY
	ok "/feed.xml: the title 'Ampersands & <Angles>' survives escaping"
else
	fail "/feed.xml: no entry titled 'Ampersands & <Angles>'"
fi

# Newest first, as feeds are read.
if "$T_PY" - "$T_DIR/feed.xml" <<'PY'; then
import sys, feedparser
d = feedparser.parse(open(sys.argv[1], "rb").read())
dates = [e.get("updated_parsed") or e.get("published_parsed") for e in d.entries]
ok = all(dates) and dates == sorted(dates, reverse=True)
sys.exit(0 if ok else 1)
PY
	ok "/feed.xml entries are dated and newest first"
else
	fail "/feed.xml entries are not all dated newest first"
fi

req_gzip /feed.xml
if gzip -dc <"$T_DIR/r.body" >"$T_DIR/feed-gz.xml" 2>/dev/null; then
	check_feed "$T_DIR/feed-gz.xml" "/feed.xml (gzip)" 5
else
	fail "/feed.xml with Accept-Encoding: gzip is not gzip (Content-Encoding '$(header Content-Encoding)')"
fi

echo "== /tags/intro/feed.xml"
expect_status /tags/intro/feed.xml 200
expect_header /tags/intro/feed.xml Content-Type '^application/atom\+xml'
req /tags/intro/feed.xml
cp "$T_DIR/r.body" "$T_DIR/tag.xml"
# intro: hello-world and newest.
check_feed "$T_DIR/tag.xml" /tags/intro/feed.xml 2
check "/tags/intro/feed.xml lacks 'The Second Post'" not grep -qF "The Second Post" "$T_DIR/tag.xml"

echo "== /tags/c/feed.xml"
req /tags/c/feed.xml
cp "$T_DIR/r.body" "$T_DIR/tag-c.xml"
# c: hello-world, second, escaping.
check_feed "$T_DIR/tag-c.xml" /tags/c/feed.xml 3

expect_status /tags/no-such-tag/feed.xml 404
t_done
