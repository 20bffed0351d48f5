#!/bin/bash
# test_archives.sh - date archives, authors and newer/older links in
# embedded mode through nginx: read from the content folder, paginated,
# 404 for a year or month with no post, the author feeds parse
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
t_done
