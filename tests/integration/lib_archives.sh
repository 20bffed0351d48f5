# lib_archives.sh - a dated site with two authors for test_archives*.sh:
# the archives of its years and months, its authors' pages and feeds,
# each post's newer and older links
# shellcheck shell=bash

# arch_post DIR FILE TITLE DATE AUTHORS BODY: one post.
arch_post() {
	printf -- '---\ntitle: %s\ndate: %s\nauthors: [%s]\n---\n%s\n' \
		"$3" "$4" "$5" "$6" >"$1/posts/$2"
}

# archives_site DIR: writes the site into DIR. Newest first: may, march-c,
# march-b, march-a (2024-03), january (2024-01), autumn (2023-11); and a
# post whose slug is a year, which no archive may shadow.
archives_site() {
	local d=$1
	mkdir -p "$d/posts" "$d/pages"
	cat >"$d/site.yaml" <<'YAML'
title: Dated Site
posts_per_page: 2
authors:
  ann lee:
    name: Ann B. Lee
    bio: ANN-BIO writes about dates.
    url: https://ann.example/
YAML
	arch_post "$d" may.md "In May" 2024-05-02 "Ann Lee" \
		$'ARCH-MAY *intro*.\n\nMAY-MORE-TOO\n\n<!--more-->\n\nMAY-AFTER-MORE'
	arch_post "$d" march-c.md "March C" 2024-03-20 "Ann Lee, Bob" \
		$'```\ncode first\n```\n\nARCH-MARCH-C first.\n\nMARCH-C-SECOND'
	# two summaries with a footnote and a like heading each, on one
	# list page
	arch_post "$d" march-b.md "March B" 2024-03-10 "Bob" \
		$'ARCH-MARCH-B[^1]\n\n## Aside\n\nB-ASIDE\n\n[^1]: NOTE-B\n\n<!--more-->\n\nB-REST'
	arch_post "$d" march-a.md "March A" 2024-03-01 "Ann Lee" \
		$'ARCH-MARCH-A[^1]\n\n## Aside\n\nA-ASIDE\n\n[^1]: NOTE-A\n\n<!--more-->\n\nA-REST'
	printf -- '---\ntitle: In January\ndate: 2024-01-15\nauthors: [Bob]\ndescription: JAN-DESCRIPTION\n---\n# ARCH-JANUARY\n' \
		>"$d/posts/january.md"
	arch_post "$d" autumn.md "In Autumn" 2023-11-05 "Ann Lee" ARCH-AUTUMN
	printf -- '---\ntitle: Year Slug\ndate: 2022-06-01\nslug: "2024"\n---\nARCH-YEAR-SLUG\n' \
		>"$d/posts/year-slug.md"
}

# archives_urls: what every mode must answer alike for archives_site.
archives_urls() {
	echo "== /archives/: every year and month, with counts"
	expect_status /archives/ 200
	req /archives/
	check "/archives/ links 2024 with its 5 posts" \
		grep -Eq 'href="/archives/2024/">2024</a> <span class="count">5<' "$T_DIR/r.body"
	check "... 2024-03 with its 3" \
		grep -Eq 'href="/archives/2024/03/">March</a> <span class="count">3<' "$T_DIR/r.body"
	check "... 2023-11 with its 1" \
		grep -Eq 'href="/archives/2023/11/">November</a> <span class="count">1<' "$T_DIR/r.body"
	check "... and no month without posts" not grep -q 'href="/archives/2024/02/"' "$T_DIR/r.body"
	check "... newest year first" before "$T_DIR/r.body" '"/archives/2024/"' '"/archives/2023/"'

	echo "== a year, paginated as lists are (posts_per_page: 2)"
	expect_body_contains /archives/2024/ '>In May<'
	expect_body_contains /archives/2024/ '>March C<'
	expect_body_lacks /archives/2024/ '>March B<'
	expect_body_contains /archives/2024/ 'href="/archives/2024/?page=2" rel="next"'
	expect_body_contains '/archives/2024/?page=2' '>March B<'
	expect_body_contains '/archives/2024/?page=2' '>March A<'
	expect_body_contains '/archives/2024/?page=3' '>In January<'
	expect_body_lacks '/archives/2024/?page=3' '>In Autumn<'
	expect_status '/archives/2024/?page=4' 404
	req '/archives/2024/?page=2'
	check "page 2's canonical link has its page" \
		grep -qF "<link rel=\"canonical\" href=\"$BASE/archives/2024/?page=2\"" "$T_DIR/r.body"

	echo "== a month"
	expect_body_contains /archives/2024/03/ '>March C<'
	expect_body_contains /archives/2024/03/ '>March B<'
	expect_body_lacks /archives/2024/03/ '>In May<'
	expect_body_contains '/archives/2024/03/?page=2' '>March A<'
	expect_status '/archives/2024/03/?page=3' 404
	expect_body_contains /archives/2023/11/ '>In Autumn<'
	# one page: no pager, no "Page 1 of 1"
	expect_body_lacks /archives/2023/11/ 'class="pager"'
	expect_body_contains /archives/2024/03/ 'Page 1 of 2'

	echo "== empty or invalid years and months: 404"
	expect_status /archives/1999/ 404
	expect_status /archives/2024/13/ 404
	expect_status /archives/2024/02/ 404
	expect_status /archives/2024/3/ 404
	expect_status /archives/24/ 404
	expect_status /archives/abcd/ 404
	expect_status /archives/2024/03/01/ 404
	expect_redirect /archives/2024 301 /archives/2024/
	echo "== a post whose slug is a year is its own, not an archive"
	expect_body_contains /posts/2024 ARCH-YEAR-SLUG

	echo "== authors"
	expect_status /authors/ 200
	req /authors/
	check "/authors/ links Ann Lee, by her profile's name, with 4 posts" \
		grep -Eq 'href="/authors/ann-lee/">Ann B. Lee</a> <span class="count">4<' "$T_DIR/r.body"
	check "... and Bob with 3" \
		grep -Eq 'href="/authors/bob/">Bob</a> <span class="count">3<' "$T_DIR/r.body"
	expect_body_contains /authors/bob/ '>March C<'
	expect_body_contains /authors/bob/ '>March B<'
	expect_body_contains '/authors/bob/?page=2' '>In January<'
	expect_body_contains /authors/bob/ 'href="/authors/bob/feed.xml"'
	echo "== an author's profile (site.yaml's authors:)"
	expect_body_contains /authors/ann-lee/ '<h1 class="page-heading">Posts by Ann B. Lee</h1>'
	expect_body_contains /authors/ann-lee/ '<p class="bio">ANN-BIO writes about dates.</p>'
	expect_body_contains /authors/ann-lee/ '<a href="https://ann.example/" rel="me">'
	expect_body_lacks /authors/bob/ 'author-profile'
	req /posts/march-c
	check "a post names its author by the profile" \
		grep -qF '<a class="author" href="/authors/ann-lee/" rel="author">Ann B. Lee</a>' "$T_DIR/r.body"
	check "... and the other as written" \
		grep -qF '<a class="author" href="/authors/bob/" rel="author">Bob</a>' "$T_DIR/r.body"
	check "... and shows the profile's bio" grep -qF 'ANN-BIO writes about dates.' "$T_DIR/r.body"
	expect_body_lacks /posts/march-b 'ANN-BIO'
	expect_status /authors/nobody/ 404
	expect_status /authors/nobody/feed.xml 404
	expect_status /authors/bob/feed.xml 200
	expect_header /authors/bob/feed.xml Content-Type '^application/atom\+xml'
	req /authors/ann-lee/feed.xml
	cp "$T_DIR/r.body" "$T_DIR/ann.xml"
	check_feed "$T_DIR/ann.xml" /authors/ann-lee/feed.xml 4
	# and in JSON Feed, as the site's and each tag's
	expect_status /authors/nobody/feed.json 404
	expect_header /authors/bob/feed.json Content-Type '^application/feed\+json'
	req /authors/ann-lee/feed.json
	cp "$T_DIR/r.body" "$T_DIR/ann.json"
	if "$T_PY" - "$T_DIR/ann.json" "$BASE" <<'PY'; then
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
assert d["version"] == "https://jsonfeed.org/version/1.1", d
assert d["feed_url"] == sys.argv[2] + "/authors/ann-lee/feed.json", d["feed_url"]
assert "Ann B. Lee" in d["title"], d["title"]
titles = [i["title"] for i in d["items"]]
assert titles == ["In May", "March C", "March A", "In Autumn"], titles
PY
		ok "/authors/ann-lee/feed.json: a JSON Feed of her 4 posts, newest first"
	else
		fail "/authors/ann-lee/feed.json is not a JSON Feed of her 4 posts"
	fi
	expect_body_contains /authors/bob/ 'href="/authors/bob/feed.json"'

	echo "== a post: its authors, its month, its newer and older posts"
	req /posts/march-b
	check "the date links to its month's archive" \
		grep -Eq '<a href="/archives/2024/03/"><time datetime="2024-03-10">' "$T_DIR/r.body"
	check "its author links to the author's page" \
		grep -qF '<a class="author" href="/authors/bob/" rel="author">Bob</a>' "$T_DIR/r.body"
	check "the newer post is rel=next" \
		grep -qF '<a class="post-nav-newer" href="/posts/march-c" rel="next">' "$T_DIR/r.body"
	check "the older post is rel=prev" \
		grep -qF '<a class="post-nav-older" href="/posts/march-a" rel="prev">' "$T_DIR/r.body"
	expect_body_lacks /posts/may 'post-nav-newer'
	expect_body_contains /posts/may 'href="/posts/march-c" rel="prev"'
	expect_body_lacks /posts/2024 'post-nav-older'
}

# archives_summaries: what lists show of each post, in either mode (in
# the full one each index entry carries its summary, DESIGN §5).
archives_summaries() {
	echo "== summaries on lists: before <!--more-->, else the first paragraph, else the description"
	req /
	check "home: the part before <!--more-->" \
		grep -qF '<div class="summary-text"><p>ARCH-MAY <em>intro</em>.</p>' "$T_DIR/r.body"
	check "... all of it" grep -qF '<p>MAY-MORE-TOO</p>' "$T_DIR/r.body"
	check "... not what follows it" not grep -qF 'MAY-AFTER-MORE' "$T_DIR/r.body"
	check "home: the first paragraph, not code before it" \
		grep -qF '<div class="summary-text"><p>ARCH-MARCH-C first.</p>' "$T_DIR/r.body"
	check "... nor the next paragraph" not grep -qF 'MARCH-C-SECOND' "$T_DIR/r.body"
	# A "Read more" link under each summary, named for its post for a
	# screen reader's list of links (not five alike).
	check "home: a \"Read more\" link under a summary, to its post" \
		grep -qF '<p class="read-more"><a href="/posts/may">Read more<span class="visually-hidden"> of In May</span></a></p>' "$T_DIR/r.body"
	expect_body_contains '/archives/2024/?page=3' '<p class="summary-description">JAN-DESCRIPTION</p>'
	expect_body_contains '/archives/2024/?page=3' '<a href="/posts/january">Read more<span class="visually-hidden"> of In January</span>'
	expect_body_contains /posts/ 'ARCH-MAY <em>intro</em>'
	# "Read more" only where the post has more than its summary: not
	# under one that is the whole post (autumn's one paragraph, the
	# year slug's); under one cut before code (march-c) or before
	# its <!--more-->'s rest (march-a); and under a description,
	# which is not the post (january).
	expect_body_contains /archives/2023/11/ '<div class="summary-text"><p>ARCH-AUTUMN</p>'
	expect_body_lacks /archives/2023/11/ 'class="read-more"'
	expect_body_lacks /archives/2022/ 'class="read-more"'
	expect_body_contains /archives/2024/03/ '<a href="/posts/march-c">Read more<span class="visually-hidden"> of March C</span>'
	expect_body_contains '/archives/2024/03/?page=2' '<a href="/posts/march-a">Read more'
	# Each summary's footnote and heading ids are its post's: two on one
	# page must not share one (a link would jump to the other post's).
	req '/archives/2024/?page=2'
	check "a list page shows both summaries' footnotes" \
		grep -qF 'NOTE-A' "$T_DIR/r.body"
	check "... each linked to its own post's note" \
		grep -qF 'href="#summary-march-a-fn-1"' "$T_DIR/r.body"
	check "... and both headings" grep -qF 'id="summary-march-b-aside"' "$T_DIR/r.body"
	check_unique_ids "$T_DIR/r.body" "/archives/2024/?page=2 (two footnoted summaries)"
	req /archives/2024/03/
	check_unique_ids "$T_DIR/r.body" "/archives/2024/03/"
	expect_body_contains /posts/may 'MAY-AFTER-MORE'
}
