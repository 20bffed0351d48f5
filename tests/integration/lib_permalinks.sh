# lib_permalinks.sh - a Jekyll-era site for test_permalinks*.sh: site.yaml
# with /:year/:month/:day/:slug.html posts and pages at the root
# shellcheck shell=bash

# permalinks_site DIR: writes the site into DIR.
permalinks_site() {
	local d=$1
	mkdir -p "$d/posts" "$d/pages"
	cat >"$d/site.yaml" <<'YAML'
# the author's settings (README.md, "site.yaml")
title: Jekyll Era
description: Notes from the Jekyll years
author: Site Author
language: en
posts_per_page: 5
permalinks:
  posts: /:year/:month/:day/:slug.html
  pages: /:slug/
menu:
  - title: About me
    url: /about/
YAML
	printf -- '---\ntitle: Rust News\ntags: [rust]\naliases: [/old/rust-news]\n---\nPERMA-RUST-BODY\n' \
		>"$d/posts/2016-10-20-rust-news.md"
	printf -- '---\ntitle: Second Thoughts\ncategories: [lang, misc]\ntags: [rust]\n---\nPERMA-SECOND-BODY\n' \
		>"$d/posts/2017-01-02-second.md"
	printf -- '---\ntitle: About\n---\nPERMA-ABOUT-BODY\n' >"$d/pages/about.md"
	# two posts sharing a slug on different days (DESIGN §3, shared slugs)
	printf -- '---\ntitle: Notes One\n---\nPERMA-NOTES-ONE\n' >"$d/posts/2015-06-06-notes.md"
	printf -- '---\ntitle: Notes Two\n---\nPERMA-NOTES-TWO\n' >"$d/posts/2016-10-20-notes.md"
}

# permalinks_urls: the URLs every mode must answer alike.
permalinks_urls() {
	local rust=/2016/10/20/rust-news.html
	expect_status "$rust" 200
	expect_body_contains "$rust" PERMA-RUST-BODY
	req "$rust"
	check "the canonical link is the permalink" \
		grep -qF "<link rel=\"canonical\" href=\"$BASE$rust\"" "$T_DIR/r.body"
	expect_redirect /2016/10/20/rust-news 301 "$rust"
	expect_redirect /2016/10/20/rust-news/ 301 "$rust"
	expect_redirect /2016/10/20/rust-news.html/ 301 "$rust"
	expect_redirect /posts/rust-news 301 "$rust"
	expect_redirect /posts/rust-news/ 301 "$rust"
	expect_redirect /old/rust-news 301 "$rust"
	expect_redirect /old/rust-news/ 301 "$rust"
	# another letter case: one 301 too, from the folded tables
	expect_redirect /2016/10/20/Rust-News.html 301 "$rust"
	expect_redirect /2016/10/20/RUST-NEWS/ 301 "$rust"
	expect_redirect /posts/Rust-News 301 "$rust"
	expect_redirect /About/ 301 /about/
	expect_status /2016/10/21/rust-news.html 404
	# a post served under a suffix keeps its own old URL: one 301
	expect_body_contains /2015/06/06/notes.html PERMA-NOTES-ONE
	expect_body_contains /2016/10/20/notes-2016-10-20.html PERMA-NOTES-TWO
	expect_redirect /2016/10/20/notes.html 301 /2016/10/20/notes-2016-10-20.html
	expect_status /2016/10/21/notes.html 404
	expect_status /2017/01/02/second.html 200
	expect_body_contains /about/ PERMA-ABOUT-BODY
	expect_redirect /about 301 /about/
	expect_redirect /about.html 301 /about/
	expect_redirect /pages/about 301 /about/

	echo "== links in the configured form"
	expect_body_contains / "href=\"$rust\""
	expect_body_contains / 'href="/2017/01/02/second.html"'
	expect_body_lacks / 'href="/posts/rust-news"'
	expect_body_contains / 'href="/about/"'
	expect_body_contains / 'About me'
	expect_body_contains / '<title>Jekyll Era</title>'
	expect_body_contains /posts/ "href=\"$rust\""
	expect_body_contains /tags/rust "href=\"$rust\""
	expect_body_contains /categories/lang 'href="/2017/01/02/second.html"'
	expect_body_contains /feed.xml "$BASE$rust"
	expect_body_lacks /feed.xml "$BASE/posts/rust-news"
	expect_body_contains /tags/rust/feed.xml "$BASE$rust"
	expect_body_contains /sitemap.xml "<loc>$BASE$rust</loc>"
	expect_body_contains /sitemap.xml "<loc>$BASE/about/</loc>"
	expect_body_lacks /sitemap.xml "$BASE/pages/about"
	expect_body_contains /2017/01/02/second.html "href=\"$rust\""
}
