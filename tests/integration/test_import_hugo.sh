#!/bin/bash
# test_import_hugo.sh - `quirectl import hugo`: a Hugo site, imported and
# served behind nginx, answers every old URL with its post
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

QUIRECTL=${QUIRECTL:-$QUIRE_BUILDDIR/fcgi/quirectl}
t_init
unset QUIRE_ENABLE_DRAFTS QUIRE_POSTS_PER_PAGE

# ---- the fixture: a small Hugo site as a real one looks
SRC=$T_DIR/hugo
OUT=$T_DIR/content
mkdir -p "$SRC"/{content/posts/bundled,static/images,layouts/_default,themes/t}
cat >"$SRC/config.toml" <<'EOF'
baseURL = "https://hugo.example.org/"
languageCode = "en-us"
title = "Hugo Blog"
theme = "t"

[params]
  description = "Written with Hugo"
  author = "John Roe"

[permalinks]
  posts = "/:year/:month/:title/"

[taxonomies]
  tag = "tags"
  category = "categories"

[[menu.main]]
  name = "About"
  url = "/about/"
  weight = 1
EOF
cat >"$SRC/content/_index.md" <<'EOF'
---
title: Home
---
EOF
cat >"$SRC/content/posts/_index.md" <<'EOF'
---
title: Posts
---
All my posts, newest first.
EOF
mkdir -p "$SRC/content/colophon"
cat >"$SRC/content/colophon/index.md" <<'EOF'
---
title: Colophon
---
A page bundle at the top: a page.
EOF
cat >"$SRC/content/posts/first-post.md" <<'EOF'
+++
title = "First Post"
date = 2020-01-15T10:00:00Z
tags = ["intro", "hugo"]
categories = ["Notes"]
+++
The first post. Next: [the second]({{< ref "posts/second.md" >}}).

{{< highlight go "linenos=table" >}}
fmt.Println("hello")
{{< /highlight >}}

{{< figure src="/images/logo.png" caption="The logo" >}}
EOF
cat >"$SRC/content/posts/second.md" <<'EOF'
---
title: "Second: The Sequel"
date: 2020-02-03
aliases: ["/old/second.html"]
---
Back to [the first]({{< relref "first-post" >}}).

{{< youtube w7Ft2ymGmfc >}}
EOF
cat >"$SRC/content/posts/bundled/index.md" <<'EOF'
---
title: A bundle
date: 2020-03-04T08:00:00+01:00
---
{{< figure src="cat.jpg" alt="A cat" >}}
EOF
printf 'JPEGfixture' >"$SRC/content/posts/bundled/cat.jpg"
cat >"$SRC/content/posts/own-url.md" <<'EOF'
---
title: Its own URL
date: 2020-04-05
url: /special/place/
---
At a URL of its own.
EOF
cat >"$SRC/content/posts/Capital-Name.md" <<'EOF'
---
title: Capital Name
date: 2020-05-06
slug: Capital-Name
draft: false
---
Named with capitals.
EOF
cat >"$SRC/content/posts/draft.md" <<'EOF'
---
title: Not yet
date: 2020-06-07
draft: true
---
Unfinished.
EOF
cat >"$SRC/content/about.md" <<'EOF'
---
title: About this blog
---
FIXTURE-HUGO-ABOUT.
EOF
printf '\x89PNG\r\n\x1a\nlogo' >"$SRC/static/images/logo.png"
printf '{{ .Content }}\n' >"$SRC/layouts/_default/single.html"
# one byte over QUIRE_IMPORT_MAX_STATIC (64 MiB): sparse, so it costs
# no disk, and refused before it is read
truncate -s $((64 * 1024 * 1024 + 1)) "$SRC/static/huge.bin"

echo "== quirectl import hugo"
"$QUIRECTL" import hugo "$SRC" --out "$OUT" >"$T_DIR/import.out" 2>"$T_DIR/import.err"
rc=$?
sed 's/^/  /' "$T_DIR/import.out" "$T_DIR/import.err"
check "the import exits 5: something was reported (got $rc)" test "$rc" = 5
check "the unknown shortcode is reported with its path and line" \
	grep -q 'content/posts/second.md:8: shortcode left as text' "$T_DIR/import.err"
check "a section's list page with text is reported as left out" \
	grep -q '^quirectl: content/posts/_index.md:4: a section' "$T_DIR/import.err"
check "an empty list page is left out without a word" not grep -q 'content/_index.md' "$T_DIR/import.err"
check "a static file over the bound is reported" \
	grep -q '^quirectl: static/huge.bin: larger than 67108864 bytes: left out' "$T_DIR/import.err"
check "... and left out" not test -e "$OUT/static/huge.bin"
check "nothing else is reported" test "$(wc -l <"$T_DIR/import.err")" = 3
check "the summary counts 6 posts (the draft too) and 2 pages" grep -q '^6 posts, 2 pages, 2 static files' "$T_DIR/import.out"
check "static/ is copied" cmp -s "$SRC/static/images/logo.png" "$OUT/static/images/logo.png"
check "the bundle's image goes where it was served" cmp -s "$SRC/content/posts/bundled/cat.jpg" "$OUT/static/2020/03/a-bundle/cat.jpg"
check "layouts are not copied" not test -e "$OUT/static/layouts"
check "site.yaml has the title" grep -qx 'title: "Hugo Blog"' "$OUT/site.yaml"
check "site.yaml has the description" grep -qx 'description: "Written with Hugo"' "$OUT/site.yaml"
check "site.yaml has the base URL" grep -qx 'url: "https://hugo.example.org"' "$OUT/site.yaml"
check "site.yaml has the language" grep -qx 'language: "en-us"' "$OUT/site.yaml"
check "site.yaml has the posts' permalink" grep -qx '  posts: "/:year/:month/:slug/"' "$OUT/site.yaml"
check "the slug keeps its case" grep -qx 'slug: "Capital-Name"' "$OUT/posts/Capital-Name.md"
check "the draft stays a draft" grep -qx 'draft: true' "$OUT/posts/draft.md"
check "the unknown shortcode stays visible" grep -qF "{{< youtube w7Ft2ymGmfc >}}" "$OUT/posts/second.md"

check "quirectl check finds no error in what was written" "$QUIRECTL" check "$OUT"

echo "== served"
t_start_stack "$OUT"
declare -A OLD=(
	[/2020/01/first-post/]="First Post"
	[/2020/02/second-the-sequel/]="Second: The Sequel"
	[/old/second.html]="Second: The Sequel"
	[/2020/03/a-bundle/]="A bundle"
	[/special/place/]="Its own URL"
	[/2020/05/capital-name/]="Capital Name"
	[/about/]="About this blog"
	[/colophon/]="Colophon"
)
expect_old_url /posts/Capital-Name "Capital Name"
for url in "${!OLD[@]}"; do
	expect_old_url "$url" "${OLD[$url]}"
done
expect_status /2020/06/not-yet/ 404
req /2020/01/first-post/
post=$(header Location)
[[ -n $post ]] || post=/2020/01/first-post/
expect_body_contains "$post" 'class="language-go"'
expect_body_contains "$post" 'src="/images/logo.png"'
expect_body_contains "$post" '<em>The logo</em>'
expect_body_contains "$post" 'href="/2020/02/second-the-sequel/"'
expect_body_lacks "$post" '{{&lt;'
req /2020/03/a-bundle/
post=$(header Location)
[[ -n $post ]] || post=/2020/03/a-bundle/
expect_body_contains "$post" 'src="/2020/03/a-bundle/cat.jpg"'
t_done
