#!/bin/bash
# test_search.sh - /search in embedded mode (no tier): SQLite FTS5 in
# memory, through nginx
#
# DESIGN §4 and §5: the index is built on a thread of each worker while
# it serves ("warming up" meanwhile), found by title above tags above
# body, phrases, -word, or; drafts and future posts never found; snippets
# escaped and marked; pages of results; a hint for an empty or absurd
# query; a post added to the folder found after a reload.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=lib_search.sh
. "$(dirname "$0")/lib_search.sh"

t_init
unset QUIRE_ENABLE_DRAFTS QUIRE_DATABASE_URL QUIRE_REDIS_URL
search_site "$T_DIR/site"
QUIRE_WORKERS=2 t_start_stack "$T_DIR/site"

search_checks

echo "== the index follows a reload"
search '/search?q=reloadedword'
check "a word no post has: nothing found" has 'Nothing found'
printf -- '---\ntitle: Added\ndate: 2020-06-01\n---\nreloadedword here\n' \
	>"$T_DIR/site/posts/added.md"
check "SIGHUP: new workers" reload_and_wait 2
for _ in 1 2 3 4; do
	search '/search?q=reloadedword'
	check "the added post is found (X-Quire-Worker $(header X-Quire-Worker))" has /posts/added
done
check "the workers logged the index built" quire_log_has 'event=search index built'

check "no crash in quire's log" not crash_lines
t_done
