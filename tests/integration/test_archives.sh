#!/bin/bash
# test_archives.sh - date archives, authors and newer/older links in
# embedded mode through nginx: read from the content folder, paginated,
# 404 for a year or month with no post, the author feeds parse; the
# summaries on lists
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=lib_archives.sh
. "$(dirname "$0")/lib_archives.sh"

t_init
SITE=$T_DIR/site
archives_site "$SITE"
unset QUIRE_SITE_TITLE QUIRE_POSTS_PER_PAGE QUIRE_ENABLE_DRAFTS
t_start_stack "$SITE"
archives_urls
archives_summaries

echo "== a site with no author and no dated post"
rm -f "$SITE"/posts/*.md
printf -- '---\ntitle: Alone\n---\nx\n' >"$SITE/posts/alone.md"
check "the site reloads (SIGHUP)" reload_and_wait "${QUIRE_WORKERS:-2}"
expect_body_contains /archives/ 'No posts yet.'
expect_body_contains /authors/ 'None yet.'
expect_status /archives/1970/ 404
expect_body_lacks /posts/alone 'post-nav'
t_done
