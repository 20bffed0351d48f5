#!/bin/bash
# test_highlight.sh - highlighted code through nginx, rendered by a deploy
# and by an API write (issue 18 item 2; DESIGN §3 "Highlighted code")
#
# The sample site in content/ has a post with code in Rust, C, Go,
# Python, shell, JSON and a diff: a deploy of it to PostgreSQL serves
# each block in hl- spans, an unknown or missing language plain, and
# the theme's stylesheet colours them. A post written through the API
# is highlighted the same way, and markup inside its code is text. Then
# the same site read from its files alone (no PostgreSQL, no Redis)
# through lighttpd.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=lib_pg.sh
. "$(dirname "$0")/lib_pg.sh"
# shellcheck source=lib_redis.sh
. "$(dirname "$0")/lib_redis.sh"

QUIRECTL=${QUIRECTL:-$QUIRE_BUILDDIR/fcgi/quirectl}
TOKEN=test-token-$RANDOM$RANDOM

t_init
T_API_SOCK=1
start_tiers
SITE=$T_DIR/site
cp -r "$QUIRE_SRCDIR/content" "$SITE"
"$QUIRECTL" deploy "$SITE" >"$T_DIR/deploy.out" 2>&1 ||
	fail "the deploy of the sample site failed: $(tail -n 3 "$T_DIR/deploy.out")"
t_token_file
t_start_stack "$T_DIR/no-such-dir"

echo "== the sample post, as the deploy rendered it"
P=/posts/highlighted-code
expect_status "$P" 200
expect_body_contains "$P" '<pre><code class="language-rust"><span class="hl-keyword">use</span>'
expect_body_contains "$P" '<span class="hl-comment">/// Counts the words of a text.</span>'
expect_body_contains "$P" '<pre><code class="language-c"><span class="hl-preproc">#include</span>'
expect_body_contains "$P" '<span class="hl-string">&quot;%d: %s'
expect_body_contains "$P" '<pre><code class="language-go"><span class="hl-keyword">package</span>'
expect_body_contains "$P" '<pre><code class="language-python"><span class="hl-preproc">import</span>'
expect_body_contains "$P" '<pre><code class="language-sh"><span class="hl-comment">#!/bin/sh</span>'
expect_body_contains "$P" '<span class="hl-property">title</span>'
expect_body_contains "$P" '<span class="hl-deleted">-theme = &quot;plain&quot;</span>'
expect_body_contains "$P" '<pre><code>no language: plain &lt;text&gt;'
req "$P"
# the spans hold only escaped text: strip them and no tag is left in a block
if python3 - "$T_DIR/r.body" <<'PY'
import html, re, sys
page = open(sys.argv[1], encoding="utf-8").read()
blocks = re.findall(r'<pre><code[^>]*>(.*?)</code></pre>', page, re.S)
assert len(blocks) == 8, len(blocks)
for b in blocks:
    inner = re.sub(r'<span class="hl-[a-z]+">|</span>', '', b)
    assert '<' not in inner and '>' not in inner, inner[:80]
    assert 'style=' not in b
print(sum(b.count('<span class="hl-') for b in blocks))
PY
then ok "8 blocks, spans of hl- classes only, text escaped"
else fail "the code blocks hold other markup"
fi

echo "== the theme colours them, light and dark"
expect_status /static/quire.css 200
expect_body_contains /static/quire.css '.hl-keyword { color: var(--hl-keyword); }'
req /static/quire.css
check "... with a dark scheme of its own" \
	python3 -c 'import re,sys; s=open(sys.argv[1]).read(); d=s[s.index("prefers-color-scheme: dark"):]; sys.exit(0 if "--hl-keyword" in d[:d.index("}\n}")] else 1)' "$T_DIR/r.body"

echo "== an API write is highlighted when it is written"
AUTH=(-H "Authorization: Bearer $TOKEN")
# shellcheck disable=SC2016 # backquotes of Markdown fences, not commands
BODY=$(printf 'Code:\n\n```py\ndef f():\n    return "<script>alert(1)</script>"\n```\n\n```nosuchlang\nfn x() {}\n```\n')
api PUT /api/posts/api-code "${AUTH[@]}" "${MD[@]}" --data-binary "$(post_text 'Code from the API' "$BODY")"
check "create: 201" test "$R_STATUS" = 201
check "served highlighted by every worker" every_worker_serves /posts/api-code 200 '<span class="hl-keyword">def</span>'
expect_body_contains /posts/api-code '<pre><code class="language-py"><span class="hl-keyword">def</span> <span class="hl-function">f</span>'
expect_body_contains /posts/api-code '<span class="hl-string">&quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot;</span>'
expect_body_lacks /posts/api-code '<script>alert'
expect_body_contains /posts/api-code '<pre><code class="language-nosuchlang">fn x() {}'
api GET /api/posts/api-code "${AUTH[@]}"
check "the API gives back the Markdown as written" grep -q 'return "<script>alert(1)</script>"' "$T_DIR/r.body"

echo "== embedded: the content folder alone, through lighttpd"
stop_pid "$HTTPD_PID" nginx
stop_pid "$QUIRE_PID" quire
unset QUIRE_DATABASE_URL QUIRE_REDIS_URL QUIRE_REDIS_SOCKET_URL T_API_SOCK
if start_quire "$SITE" && start_lighttpd && wait_healthz; then
	expect_body_contains "$P" '<pre><code class="language-go"><span class="hl-keyword">package</span>'
	expect_body_contains "$P" '<span class="hl-comment"># raises on bad input</span>'
	expect_body_contains "$P" '<pre><code>no language: plain &lt;text&gt;'
	expect_body_contains /static/quire.css '.hl-string { color: var(--hl-string); }'
else
	fail "quire on the files alone behind lighttpd did not start"
fi

t_done
