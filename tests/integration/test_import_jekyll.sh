#!/bin/bash
# test_import_jekyll.sh - `quirectl import jekyll`: a Jekyll site,
# imported and served behind nginx, answers every old URL with its post
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

QUIRECTL=${QUIRECTL:-$QUIRE_BUILDDIR/fcgi/quirectl}
t_init
unset QUIRE_ENABLE_DRAFTS QUIRE_POSTS_PER_PAGE

# ---- the fixture: a small Jekyll site as a real one looks
SRC=$T_DIR/jekyll
OUT=$T_DIR/content
mkdir -p "$SRC"/{_posts,_drafts,_layouts,_includes,_sass,_projects,images,assets/css,.git}
cat >"$SRC/_config.yml" <<'EOF'
# Site settings
title: "The Old Blog"
description: Notes from before the move
url: "https://old.example.org"
baseurl: ""
author:
  name: Jane Doe
  email: jane@example.org
lang: en
permalink: /:categories/:year/:month/:day/:title.html
markdown: kramdown
exclude: [Gemfile, Gemfile.lock, README.md]
defaults:
  - scope: {path: "", type: posts}
    values: {layout: post, comments: true}
EOF
# the issue's own example: capital letters in the file name
cat >"$SRC/_posts/2016-10-20-Rust-1.12.1.md" <<'EOF'
---
layout: post
title: "Announcing Rust 1.12.1"
---
Rust 1.12.1 fixes regressions.
EOF
cat >"$SRC/_posts/2017-01-05-tags-galore.md" <<'EOF'
---
layout: post
title: Tags galore
date: 2017-01-05 10:00:00 +0200
tags: liquid jekyll
---
A photo: ![photo]({{ site.baseurl }}/images/photo.png)

{% highlight ruby %}
def hello
  puts "hi"
end
{% endhighlight %}

{% raw %}In Liquid, {{ page.title }} prints the title.{% endraw %}

See [the release]({% post_url 2016-10-20-Rust-1.12.1 %}),
[about]({% link about.md %}), [home]({{ site.url }}{{ site.baseurl }}/)
and [the feed]({{ "/feed.xml" | relative_url }}).
EOF
cat >"$SRC/_posts/2017-02-01-own-permalink.md" <<'EOF'
---
title: Its own permalink
permalink: /custom/path/
---
A post with a permalink of its own.
EOF
cat >"$SRC/_posts/2017-03-01-unknown-tag.md" <<'EOF'
---
title: Unknown tag
---
First line.

{% include note.html content="hi" %}
EOF
cat >"$SRC/_posts/2018-05-06-categorised.md" <<'EOF'
---
title: Categorised post
categories: [News, Updates]
---
In two categories.
EOF
# a category from the folder above _posts, as Jekyll takes it
mkdir -p "$SRC/News/_posts"
cat >"$SRC/News/_posts/2019-01-02-folder-category.md" <<'EOF'
---
title: Folder category
---
In the News folder.
EOF
cat >"$SRC/_drafts/a-draft.md" <<'EOF'
---
title: A draft
---
Not yet.
EOF
cat >"$SRC/about.md" <<'EOF'
---
layout: page
title: About me
---
FIXTURE-ABOUT: who I am.
EOF
cat >"$SRC/index.html" <<'EOF'
---
layout: default
---
{% for post in site.posts %}<a href="{{ post.url }}">{{ post.title }}</a>{% endfor %}
EOF
printf '<html>{{ content }}</html>\n' >"$SRC/_layouts/post.html"
printf 'note\n' >"$SRC/_includes/note.html"
printf -- '---\ntitle: A project\n---\nx\n' >"$SRC/_projects/one.md"
printf '\x89PNG\r\n\x1a\nfixture' >"$SRC/images/photo.png"
printf 'body { color: red }\n' >"$SRC/assets/css/style.css"
printf "source 'https://rubygems.org'\n" >"$SRC/Gemfile"
printf 'ref: refs/heads/main\n' >"$SRC/.git/HEAD"

echo "== quirectl import jekyll"
"$QUIRECTL" import jekyll "$SRC" --out "$OUT" >"$T_DIR/import.out" 2>"$T_DIR/import.err"
rc=$?
sed 's/^/  /' "$T_DIR/import.out" "$T_DIR/import.err"
check "the import exits 5: something was reported (got $rc)" test "$rc" = 5
check "the unknown tag is reported with its path and line" \
	grep -q '_posts/2017-03-01-unknown-tag.md:6: template tag left as text' "$T_DIR/import.err"
check "index.html, a template, is reported as left out" grep -q '^quirectl: index.html: ' "$T_DIR/import.err"
check "a collection's folder is reported as left out" grep -q '^quirectl: _projects: left out' "$T_DIR/import.err"
check "nothing else is reported" test "$(wc -l <"$T_DIR/import.err")" = 3
check "the summary counts 7 posts (the draft too) and 1 page" grep -q '^7 posts, 1 pages, 2 static files' "$T_DIR/import.out"
check "the unknown tag stays visible in the post" grep -qF '{% include note.html content="hi" %}' "$OUT/posts/2017-03-01-unknown-tag.md"
check "the image is copied" cmp -s "$SRC/images/photo.png" "$OUT/static/images/photo.png"
check "assets are copied" cmp -s "$SRC/assets/css/style.css" "$OUT/static/assets/css/style.css"
for f in Gemfile _layouts/post.html _includes/note.html .git/HEAD _config.yml index.html; do
	check "$f is not copied" not test -e "$OUT/static/$f"
done
check "site.yaml has the title" grep -qx 'title: "The Old Blog"' "$OUT/site.yaml"
check "site.yaml has the author" grep -qx 'author: "Jane Doe"' "$OUT/site.yaml"
check "site.yaml has the posts' permalink" grep -qx '  posts: "/:categories/:year/:month/:day/:title.html"' "$OUT/site.yaml"
check "site.yaml has the pages' permalink" grep -qx '  pages: "/:slug.html"' "$OUT/site.yaml"
check "the slug keeps its case" grep -qx 'slug: "Rust-1.12.1"' "$OUT/posts/2016-10-20-Rust-1.12.1.md"
check "the draft stays a draft" grep -qx 'draft: true' "$OUT/posts/a-draft.md"
check "the date with a zone is one quire reads" grep -qx 'date: 2017-01-05 10:00:00+02:00' "$OUT/posts/2017-01-05-tags-galore.md"
check "a string of tags is split as Jekyll splits it" grep -qx '  - "jekyll"' "$OUT/posts/2017-01-05-tags-galore.md"
check "quirectl check finds no error in what was written" "$QUIRECTL" check "$OUT"

echo "== a named style: pretty"
P=$T_DIR/pretty
mkdir -p "$P/_posts"
printf 'permalink: pretty\n' >"$P/_config.yml"
printf -- '---\ntitle: P\ncategories: Some Thing\n---\nx\n' >"$P/_posts/2015-07-08-Pretty-One.md"
printf -- '---\ntitle: About\n---\nx\n' >"$P/about.md"
"$QUIRECTL" import jekyll "$P" --out "$T_DIR/pretty-out" >/dev/null 2>&1
check "pretty: the post's old URL ends in /" \
	grep -qx '  - "/some/thing/2015/07/08/Pretty-One/"' "$T_DIR/pretty-out/posts/2015-07-08-Pretty-One.md"
check "pretty: the page's old URL ends in /" grep -qx '  - "/about/"' "$T_DIR/pretty-out/pages/about.md"
check "pretty: site.yaml keeps the pattern" \
	grep -qx '  posts: "/:categories/:year/:month/:day/:title/"' "$T_DIR/pretty-out/site.yaml"
"$QUIRECTL" import jekyll "$P" --out "$T_DIR/pretty-out" >/dev/null 2>&1
rc=$?
check "a folder that is not empty is refused (exit 2, got $rc)" test "$rc" = 2
"$QUIRECTL" import jekyll "$T_DIR/no-such-site" --out "$T_DIR/never" >/dev/null 2>&1
rc=$?
check "a source that is not there fails (exit 1, got $rc)" test "$rc" = 1
check "... and makes no folder" not test -e "$T_DIR/never"

echo "== served"
t_start_stack "$OUT"
declare -A OLD=(
	[/2016/10/20/Rust-1.12.1.html]="Announcing Rust 1.12.1"
	[/2017/01/05/tags-galore.html]="Tags galore"
	[/custom/path/]="Its own permalink"
	[/2017/03/01/unknown-tag.html]="Unknown tag"
	[/news/updates/2018/05/06/categorised.html]="Categorised post"
	[/news/2019/01/02/folder-category.html]="Folder category"
	[/about.html]="About me"
)
expect_old_url /posts/Rust-1.12.1 "Announcing Rust 1.12.1"
for url in "${!OLD[@]}"; do
	expect_old_url "$url" "${OLD[$url]}"
done
expect_status /2017/01/01/a-draft.html 404
req /2017/01/05/tags-galore.html
post=$(header Location)
[[ -n $post ]] || post=/2017/01/05/tags-galore.html
expect_body_contains "$post" 'class="language-ruby"'
expect_body_contains "$post" 'In Liquid, {{ page.title }} prints the title.'
expect_body_contains "$post" 'src="/images/photo.png"'
expect_body_contains "$post" 'href="/2016/10/20/Rust-1.12.1.html"'
expect_body_contains "$post" 'href="/about.html"'
expect_body_contains "$post" 'href="https://old.example.org/"'
expect_body_contains "$post" 'href="/feed.xml"'
expect_body_lacks "$post" '{%'
t_done
