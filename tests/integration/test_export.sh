#!/bin/bash
# test_export.sh - quirectl export: every post and page PostgreSQL holds,
# out again as a content folder that serves the same site (README
# "Taking your blog out")
#
# Real PostgreSQL, Redis and nginx. The sample content (content/) is
# deployed and posts are written through the API: one with an upper-case
# slug, a draft, one scheduled for 2099, one in Unicode, one whose file
# name alone would not give its slug back ("index": posts/index.md would
# be "posts"). The site is crawled (every link from /, the feed and the
# sitemap), exported, the export served in embedded mode and deployed to
# a second database, and every page of each compared byte for byte with
# the original's. Nothing is run-dependent in those pages when the site
# URL is the same: no time of serving, no generation, no path (checked
# by the byte-for-byte comparison itself; ETags and Date headers are
# run-dependent and not compared).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"
. "$(dirname "$0")/lib_redis.sh"

QUIRECTL=${QUIRECTL:-$QUIRE_BUILDDIR/fcgi/quirectl}
TOKEN=test-token-$RANDOM$RANDOM

t_init
T_API_SOCK=1
start_tiers

# Deployed from a folder whose own path has a posts/ and a pages/ in
# it: the export finds the folder the files came from, not those.
SITE=$T_DIR/posts/pages/site
mkdir -p "$T_DIR/posts/pages"
cp -r "$QUIRE_SRCDIR/content" "$SITE"
check "the sample content deploys" "$QUIRECTL" deploy "$SITE"
t_token_file
# A few posts a page: the lists' later pages are compared too.
export QUIRE_POSTS_PER_PAGE=4
QUIRE_WORKERS=2 t_start_stack "$T_DIR/no-such-dir"

AUTH=(-H "Authorization: Bearer $TOKEN")
# put SLUG TEXT: a PUT of the API that must answer 201
put() {
	api PUT "/api/posts/$1" "${AUTH[@]}" "${MD[@]}" --data-binary "$2"
	check "PUT /api/posts/$1: 201" test "$R_STATUS" = 201
}
put Rust-1.12.1 $'---\ntitle: Rust 1.12.1 is out\ndate: 2016-10-20\ntags: [rust, Release]\n---\nUPPER-CASE-BODY\n'
put a-draft $'---\ntitle: Not yet\ndraft: true\ndate: 2024-06-01\n---\nDRAFT-BODY\n'
put scheduled $'---\ntitle: Later\ndate: 2099-01-01T09:30:00Z\ntags: [future]\n---\nSCHEDULED-BODY\n'
put unicode $'---\ntitle: "Ünïcødé — 日本語 ✓"\ndate: 2024-02-29 23:59\ncategories: [Café]\ntags: [ünï]\n---\nÇa marche: 😀 «quotes» \\\\ back\\\\slash\n\n| a | b |\n|---|---|\n| 1 | 2 |\n'
# TOML, CRLF and a byte order mark, as Windows editors write Hugo's files:
# the slug: line its file needs is written in the same syntax and ending.
put index $'\xef\xbb\xbf+++\r\ntitle = "The index post"\r\ndate = 2023-01-01\r\n+++\r\nINDEX-BODY\r\n'
# A Jekyll-looking slug: the API takes it with slug: (the file-name rule
# would cut the date off), and its date comes from the name.
put 2020-05-06-dated $'---\ntitle: Dated by name\nslug: 2020-05-06-dated\n---\nDATED-BODY\n'
# The name of a content file (posts/2024-03-14-hello-quire.md, whose
# slug is hello-quire) as an API post's slug: the file keeps its name,
# the API post takes another.
put 2024-03-14-hello-quire $'---\ntitle: Not the sample\nslug: 2024-03-14-hello-quire\n---\nTAKEN-NAME-BODY\n'
# An API write renders its summary too (the committer stores it): the
# part before <!--more-->, on its tag's list.
put with-more $'---\ntitle: With a mark\ndate: 2021-01-01\ntags: [summarytag]\n---\nAPI-OPENING *here*.\n\n<!--more-->\n\nAPI-AFTER-MORE\n'
expect_body_contains /tags/summarytag '<div class="summary-text"><p>API-OPENING <em>here</em>.</p>'
expect_body_lacks /tags/summarytag 'API-AFTER-MORE'
expect_body_contains /tags/summarytag '<a href="/posts/with-more">Read more'
# The sample's summaries are on the home in full mode.
expect_body_contains / '<div class="summary-text">'
expect_status /posts/Rust-1.12.1 200
expect_status /posts/a-draft 404
expect_status /posts/scheduled 404

# crawl OUT [URL_LIST]: every page of the site at $BASE into OUT (one
# file a URL: status, Location, Content-Type, then the body), following
# links from /, /feed.xml and /sitemap.xml, or fetching URL_LIST's URLs.
# The URL list goes to OUT/urls.
cat >"$T_DIR/crawl.py" <<'EOF'
import hashlib, http.client, os, re, sys, urllib.parse
base, out = sys.argv[1], sys.argv[2]
listed = sys.argv[3] if len(sys.argv) > 3 else None
host = urllib.parse.urlsplit(base)
os.makedirs(out, exist_ok=True)
seeds = ["/", "/posts/", "/tags/", "/categories/", "/feed.xml", "/sitemap.xml",
         "/posts/a-draft", "/posts/scheduled", "/posts/rust-1.12.1"]
todo = [l.rstrip("\n") for l in open(listed)] if listed else list(seeds)
seen, order = set(todo), []
link = re.compile(r'(?:href|src)="([^"#]*)"|<loc>([^<]*)</loc>')
while todo and len(order) < 600:
    url = todo.pop(0)
    order.append(url)
    c = http.client.HTTPConnection(host.hostname, host.port, timeout=10)
    c.request("GET", url)
    r = c.getresponse()
    body = r.read()
    c.close()
    name = hashlib.sha1(url.encode()).hexdigest()
    with open(os.path.join(out, name), "wb") as f:
        f.write(("%s\n%d\nLocation: %s\nContent-Type: %s\n\n" % (
            url, r.status, r.getheader("Location", ""),
            r.getheader("Content-Type", ""))).encode())
        f.write(body)
    if listed:
        continue
    for m in link.finditer(body.decode("utf-8", "replace")):
        u = urllib.parse.urlsplit((m.group(1) or m.group(2)).replace("&amp;", "&"))
        if u.netloc and u.netloc != host.netloc:
            continue
        p = u.path + ("?" + u.query if u.query else "")
        if not p.startswith("/") or p.startswith(("/static/", "/api/")):
            continue
        if p not in seen:
            seen.add(p)
            todo.append(p)
with open(os.path.join(out, "urls"), "w") as f:
    f.write("".join(u + "\n" for u in order))
print(len(order))
EOF
crawl() { "$T_PY" "$T_DIR/crawl.py" "$BASE" "$@"; }

# same_as_original DIR WHAT: every page in DIR is the original's, byte
# for byte; the first differences shown.
same_as_original() {
	local dir=$1 what=$2 n
	n=$(diff -rq "$T_DIR/orig" "$dir" | grep -v ': urls$' | wc -l)
	if ((n > 0)); then
		diff -r "$T_DIR/orig" "$dir" | head -n 40 | sed 's/^/  /'
	fi
	check "$what: every page is the original's ($n differ)" test "$n" = 0
}

n=$(crawl "$T_DIR/orig")
check "the original site has pages to compare ($n)" test "${n:-0}" -ge 30
check "... the upper-case slug's post among them" \
	grep -qx /posts/Rust-1.12.1 "$T_DIR/orig/urls"
check "... the Unicode one's" grep -qx /posts/unicode "$T_DIR/orig/urls"
check "... the one whose slug a file name has" \
	grep -qx /posts/2024-03-14-hello-quire "$T_DIR/orig/urls"
check "... a page of the sample content" grep -qx /pages/about "$T_DIR/orig/urls"
check "... a tag page" grep -q '^/tags/.' "$T_DIR/orig/urls"
check "... the list's later pages" grep -qx '/posts/?page=3' "$T_DIR/orig/urls"

# ---------------------------------------------------------- the export
OUT=$T_DIR/exported
"$QUIRECTL" export --out "$OUT" >"$T_DIR/export.out" 2>&1
rc=$?
sed 's/^/  quirectl: /' "$T_DIR/export.out"
check "quirectl export succeeds" test "$rc" = 0
check "... and says what it wrote" grep -q "exported .* posts and .* pages (8 of the write API)" "$T_DIR/export.out"
# Only the API's posts are new; every other file is the sample's. The
# files that are no post (static/, a bundle's pictures) are not in
# PostgreSQL, so not in an export (README, "Taking your blog out").
diff -r "$SITE" "$OUT" >"$T_DIR/content.diff" 2>&1
grep -Ev "^Only in $OUT/posts: (Rust-1\.12\.1|a-draft|scheduled|unicode|index|2020-05-06-dated|2024-03-14-hello-quire-export-2|with-more)\.md$" \
	"$T_DIR/content.diff" |
	grep -Ev "^Only in $SITE(/posts/[^:]*: [^ ]+\.(svg|png|jpg)|: static)$" |
	sed 's/^/  /' >"$T_DIR/content.other"
cat "$T_DIR/content.other"
check "each content file comes back as it was, at its own path" \
	test ! -s "$T_DIR/content.other"
check "... with the API's eight posts beside them" \
	test "$(grep -c "^Only in $OUT/posts: " "$T_DIR/content.diff")" = 8
check "the API post whose name a file has takes another, as it was sent" \
	grep -q TAKEN-NAME-BODY "$OUT/posts/2024-03-14-hello-quire-export-2.md"
check "the sample's page bundle keeps its path" test -f "$OUT/posts/notes/index.md"
check "an API post is posts/SLUG.md, its case kept" test -f "$OUT/posts/Rust-1.12.1.md"
check "... its source byte for byte" \
	cmp "$OUT/posts/Rust-1.12.1.md" <(printf -- '---\ntitle: Rust 1.12.1 is out\ndate: 2016-10-20\ntags: [rust, Release]\n---\nUPPER-CASE-BODY\n')
check "the draft keeps its draft flag" grep -qx 'draft: true' "$OUT/posts/a-draft.md"
check "the scheduled post keeps its date" grep -qx 'date: 2099-01-01T09:30:00Z' "$OUT/posts/scheduled.md"
check "the Unicode post is there" grep -q 'Ünïcødé' "$OUT/posts/unicode.md"
check "posts/index.md (whose name gives \"posts\") gets a slug line, in TOML and CRLF, the one edit of its source" \
	cmp "$OUT/posts/index.md" <(printf '\xef\xbb\xbf+++\r\ntitle = "The index post"\r\ndate = 2023-01-01\r\nslug = "index"\r\n+++\r\nINDEX-BODY\r\n')
check "the Jekyll-looking slug keeps its name and no new line" \
	test "$(grep -c '^slug' "$OUT/posts/2020-05-06-dated.md")" = 1
check "no temporary folder is left beside it" \
	test -z "$(find "$T_DIR" -maxdepth 1 -name '.exported.export-*')"
check "the export is readable as the umask allows" \
	test "$(stat -c %a "$OUT")" = "$(printf '%o' $((0777 & ~$(umask))))"
check "quirectl check reads the export without an error" \
	env -u QUIRE_DATABASE_URL "$QUIRECTL" check "$OUT"

"$QUIRECTL" export --out "$OUT" >"$T_DIR/again.out" 2>&1
rc=$?
check "a second export into the same (not empty) folder is refused: $rc" test "$rc" != 0
check "... saying why" grep -q "is not empty" "$T_DIR/again.out"
check "... and leaves it as it was" diff -r "$SITE/pages" "$OUT/pages"
: >"$T_DIR/a-file"
check "an export onto a file is refused" not "$QUIRECTL" export --out "$T_DIR/a-file"
mkdir "$T_DIR/empty"
check "an export into an empty folder is done" "$QUIRECTL" export --out "$T_DIR/empty/"
check "... the same files" diff -r "$OUT" "$T_DIR/empty"
check "an export with PostgreSQL unreachable fails" \
	not env QUIRE_DATABASE_URL=postgresql://127.0.0.1:1/none "$QUIRECTL" export --out "$T_DIR/none"
check "... and makes nothing" test ! -e "$T_DIR/none"

# ------------------------------------------- the export, embedded mode
stop_pid "$QUIRE_PID" quire 10
QUIRE_DATABASE_URL='' QUIRE_REDIS_URL='' QUIRE_API_TOKEN_FILE='' start_quire "$OUT" ||
	fail "quire did not start on the export"
wait_healthz || fail "the export (embedded) does not answer"
crawl "$T_DIR/embedded" "$T_DIR/orig/urls" >/dev/null
same_as_original "$T_DIR/embedded" "the export served in embedded mode"

# ----------------------------------- the export, deployed to a new base
stop_pid "$QUIRE_PID" quire 10
"$PG_BIN/psql" -X -q -h "$PG_SOCKDIR" -p "$PG_PORT" -U postgres -d postgres \
	-c 'CREATE DATABASE quire2' >>"$PG_LOG" 2>&1 || fail "CREATE DATABASE quire2"
export QUIRE_DATABASE_URL="postgresql://postgres@127.0.0.1:$PG_PORT/quire2"
export QUIRE_REDIS_PREFIX=second:
check "the export deploys to a second database" "$QUIRECTL" deploy "$OUT"
start_quire "$T_DIR/no-such-dir" || fail "quire did not start on the second database"
wait_healthz || fail "the second database's site does not answer"
crawl "$T_DIR/second" "$T_DIR/orig/urls" >/dev/null
same_as_original "$T_DIR/second" "the export deployed to a second database"

# And out again from there: the same files (the API's posts are the
# content's now, at the same names).
check "an export of the second database succeeds" "$QUIRECTL" export --out "$T_DIR/twice"
check "... giving the same files" diff -r "$OUT" "$T_DIR/twice"

# A row whose slug is not the one its own slug: line gives (what a
# deploy that gives a shared slug a unique one may store; made here by
# hand): the slug line added last wins over the one there.
"$PG_BIN/psql" -X -q -h "$PG_SOCKDIR" -p "$PG_PORT" -U postgres -d quire2 \
	-c "UPDATE posts SET slug = 'Dated-2' WHERE slug = '2020-05-06-dated'" >>"$PG_LOG" 2>&1
check "a post whose slug: line says another slug is exported" \
	"$QUIRECTL" export --out "$T_DIR/renamed"
check "... with its own slug last in its frontmatter" \
	cmp "$T_DIR/renamed/posts/2020-05-06-dated.md" \
	<(printf -- '---\ntitle: Dated by name\nslug: 2020-05-06-dated\nslug: "Dated-2"\n---\nDATED-BODY\n')

# Two rows whose files each read back alone: slugs equal but for case
# (a row made by hand, in a database from before schema step 8: its
# index, which now refuses such a twin, dropped). Where the content
# folder takes them for one slug, read whole it would serve one of them:
# the export must fail, naming it, and leave nothing; where it serves
# both, the export is whole. Never a folder that loses a post.
"$PG_BIN/psql" -X -q -h "$PG_SOCKDIR" -p "$PG_PORT" -U postgres -d quire2 \
	-c "DROP INDEX IF EXISTS posts_slug_lower" \
	-c "INSERT INTO posts (slug, kind, origin, source, body_offset, hash)
	    VALUES ('Hello-Quire', 'post', 'api', E'---\\ntitle: Twin\\n---\\nTWIN\\n', 21, 0)" \
	>>"$PG_LOG" 2>&1
"$QUIRECTL" export --out "$T_DIR/twins" >"$T_DIR/twins.out" 2>&1
rc=$?
sed 's/^/  quirectl: /' "$T_DIR/twins.out"
if ((rc == 0)); then
	check "case twins exported: the folder reads with no error" \
		env -u QUIRE_DATABASE_URL "$QUIRECTL" check "$T_DIR/twins"
	check "... and both are in it" grep -q TWIN "$T_DIR/twins/posts/Hello-Quire.md"
else
	check "case twins: the export fails with 1: $rc" test "$rc" = 1
	check "... naming the file the folder would not serve" \
		grep -Eq "(Hello-Quire: not exported as posts/Hello-Quire|hello-quire: not exported as posts/2024-03-14-hello-quire)\.md: read with the whole folder, it would not be served" "$T_DIR/twins.out"
	check "... and leaves nothing" test ! -e "$T_DIR/twins"
fi
"$PG_BIN/psql" -X -q -h "$PG_SOCKDIR" -p "$PG_PORT" -U postgres -d quire2 \
	-c "DELETE FROM posts WHERE slug = 'Hello-Quire'" >>"$PG_LOG" 2>&1

# A row that would not read back the same (its draft column says draft,
# its source does not: never made by quire, made here by hand) fails the
# export, named, after other files were written: none is left.
"$PG_BIN/psql" -X -q -h "$PG_SOCKDIR" -p "$PG_PORT" -U postgres -d quire2 \
	-c "UPDATE posts SET draft = true WHERE slug = 'unicode'" >>"$PG_LOG" 2>&1
"$QUIRECTL" export --out "$T_DIR/bad" >"$T_DIR/bad.out" 2>&1
rc=$?
sed 's/^/  quirectl: /' "$T_DIR/bad.out"
check "an export with a post that would not read back the same fails: $rc" test "$rc" = 1
check "... naming it and why" grep -q "unicode: not exported as posts/unicode.md: it would not be a draft" "$T_DIR/bad.out"
check "... and leaves nothing, not even its temporary folder" \
	test -z "$(find "$T_DIR" -maxdepth 1 -name '*bad.export*' -o -maxdepth 1 -name bad)"

t_done
