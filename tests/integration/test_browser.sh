#!/bin/bash
# test_browser.sh - the theme in Debian's headless Chromium (tests/browser)
#
# The sample site (content/) in embedded mode through nginx, with a
# language of its own in site.yaml, checked by tests/browser/check.mjs:
# home, a bundle post with an image, a post with highlighted code, search
# results, a date archive, an author page and the 404, at 375 px and
# 1280 px — no broken image, no horizontal overflow on a phone, <html
# lang> from the configuration, the search form submits, and axe-core
# finds no serious or critical violation. Screenshots go to
# $QUIRE_SCREENSHOTS (default $T_DIR/screenshots, kept with
# QUIRE_KEEP_TMP=1). Skipped (77) only when node or Chromium cannot run.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

BROWSER_DIR=$QUIRE_SRCDIR/tests/browser
CHROMIUM=${QUIRE_CHROMIUM:-/usr/bin/chromium}
if ! node --version >/dev/null 2>&1; then
	echo "$T_NAME: SKIP: node does not run (deploy/install-deps --tests installs nodejs)"
	exit 77
fi
if ! "$CHROMIUM" --headless --no-sandbox --disable-gpu --dump-dom about:blank \
	>/dev/null 2>&1; then
	echo "$T_NAME: SKIP: $CHROMIUM does not run headless (deploy/install-deps --tests installs chromium)"
	exit 77
fi

t_init
unset QUIRE_ENABLE_DRAFTS QUIRE_DATABASE_URL QUIRE_REDIS_URL QUIRE_SITE_LANGUAGE

# The npm packages (package-lock.json pins them), when install-deps has
# not put them there yet.
if [[ ! -d $BROWSER_DIR/node_modules/puppeteer-core || ! -d $BROWSER_DIR/node_modules/axe-core ]]; then
	t_log "npm ci in $BROWSER_DIR"
	if ! (cd "$BROWSER_DIR" && npm ci --no-audit --no-fund) >"$T_DIR/npm.log" 2>&1; then
		tail -n 20 "$T_DIR/npm.log"
		fail "npm ci in tests/browser (deploy/install-deps --tests)"
		t_done
	fi
fi

SITE=$T_DIR/site
cp -r "$QUIRE_SRCDIR/content" "$SITE"
# Not the template's fallback "en": the page must say what site.yaml says.
sed -i 's/^language: .*/language: en-GB/' "$SITE/site.yaml"
check "site.yaml sets the language" grep -qx 'language: en-GB' "$SITE/site.yaml"
# The bundle's picture and the authors' avatars are files nginx serves
# from quire's public folder (DESIGN §3), as in a real install.
T_PUBLIC=$T_DIR/state/public
mkdir -p "$T_DIR/state"
export QUIRE_PUBLIC_DIR=$T_PUBLIC
# One worker: one search index, built once, warm for every request.
QUIRE_WORKERS=1 t_start_stack "$SITE"

# The search index is built after serving starts: wait for it.
for ((i = 0; i < 50; i++)); do
	req '/search?q=caching' >/dev/null
	grep -q 'warming up' "$T_DIR/r.body" 2>/dev/null || break
	sleep 0.1
done

export QUIRE_SCREENSHOTS=${QUIRE_SCREENSHOTS:-$T_DIR/screenshots}
t_log "node tests/browser/check.mjs $BASE (screenshots in $QUIRE_SCREENSHOTS)"
QUIRE_CHROMIUM=$CHROMIUM QUIRE_EXPECT_LANG=en-GB QUIRE_SEARCH_WORD=caching \
	node "$BROWSER_DIR/check.mjs" "$BASE" | tee "$T_DIR/browser.out"
rc=${PIPESTATUS[0]}
case $rc in
0) ok "tests/browser/check.mjs: every page passes" ;;
77) echo "$T_NAME: SKIP: the browser did not start"; exit 77 ;;
*) fail "tests/browser/check.mjs: $(grep -c '^FAIL' "$T_DIR/browser.out") check(s) failed (exit $rc)" ;;
esac

check "no crash in quire's log" not crash_lines
t_done
