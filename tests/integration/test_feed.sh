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
# 7 published posts (no draft, no future post, not the malformed one), and
# no static page.
check_feed "$T_DIR/feed.xml" /feed.xml 7
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
	check_feed "$T_DIR/feed-gz.xml" "/feed.xml (gzip)" 7
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

echo "== control characters (the control-yaml and control-toml posts)"
# A title, summary, author, tag or body with a control character made
# every feed that carried the post not XML, for every subscriber. Each
# such character is U+FFFD now, wherever XML or HTML is written.
check_xml "$T_DIR/feed.xml" /feed.xml
check_clean_text "$T_DIR/feed.xml" /feed.xml
for url in /tags/control/feed.xml /tags/ctrl-tag/feed.xml /sitemap.xml; do
	expect_status "$url" 200
	req "$url"
	cp "$T_DIR/r.body" "$T_DIR/one.xml"
	check_xml "$T_DIR/one.xml" "$url"
	check_clean_text "$T_DIR/one.xml" "$url"
done
req /tags/control/feed.xml
cp "$T_DIR/r.body" "$T_DIR/control.xml"
check_feed "$T_DIR/control.xml" /tags/control/feed.xml 2
# What was there is still told: U+FFFD where the character was, and the
# body's HTML (escaped in the feed) clean as well.
if "$T_PY" - "$T_DIR/control.xml" <<'PY'; then
import sys, feedparser
d = feedparser.parse(open(sys.argv[1], "rb").read())
by = {e.title: e for e in d.entries}
y, t = by["Hello\ufffdWorld"], by["TOML\ufffdTitle"]
assert y.summary == "A summary\ufffdwith a control character", y.summary
assert y.author == "Con\ufffdtrol Author", y.author
assert "ctrl\ufffdtag" in [c.term for c in y.tags], y.tags
body = y.content[0].value
for want in ("\ufffd (SOH)", "\ufffd[31m", "reference \ufffd,", "DEL \ufffd,",
             "code \ufffd block", "a tab\there", "caf\u00e9 \U0001F642"):
    assert want in body, (want, body)
assert t.summary == "NEL \ufffd and U+FFFE \ufffd", t.summary
assert "\ufffd as a reference" in t.content[0].value, t.content[0].value
PY
	ok "the control characters are U+FFFD in titles, summaries, authors, tags and bodies"
else
	fail "the control posts' fields are not as expected in /tags/control/feed.xml"
fi

expect_status /tags/no-such-tag/feed.xml 404
t_done
