#!/bin/bash
# test_archives_tiers.sh - date archives, authors and newer/older links
# in full mode: workers that never read the content folder build them
# from the tiers, and a deploy that changes a post's date moves it
# between archives, and between its neighbours, on every worker; the
# summaries on lists, carried by the tiers' index, and a deploy that
# changes a post's first paragraph changes the home on every worker
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=lib_pg.sh
. "$(dirname "$0")/lib_pg.sh"
# shellcheck source=lib_redis.sh
. "$(dirname "$0")/lib_redis.sh"
# shellcheck source=lib_archives.sh
. "$(dirname "$0")/lib_archives.sh"

QUIRECTL=${QUIRECTL:-$QUIRE_BUILDDIR/fcgi/quirectl}

t_init
start_tiers
SITE=$T_DIR/site
archives_site "$SITE"
unset QUIRE_SITE_TITLE QUIRE_POSTS_PER_PAGE QUIRE_ENABLE_DRAFTS

# deploy: quirectl deploy of $SITE; output in $T_DIR/deploy.out
deploy() {
	"$QUIRECTL" deploy "$SITE" >"$T_DIR/deploy.out" 2>&1
	D_STATUS=$?
	sed 's/^/  quirectl: /' "$T_DIR/deploy.out"
	return $D_STATUS
}

check "the first deploy succeeds" deploy
QUIRE_WORKERS=3 t_start_stack "$T_DIR/no-such-dir"
archives_urls
archives_summaries

echo "== a deploy that changes a summary"
every_worker_serves / 200 'ARCH-MAY <em>intro</em>' >/dev/null
sed -i 's/^ARCH-MAY \*intro\*\.$/MAY-NEW-OPENING./' "$SITE/posts/may.md"
check "the deploy of the new opening succeeds" deploy
check "every worker's home shows the new opening" \
	every_worker_serves / 200 '<div class="summary-text"><p>MAY-NEW-OPENING.</p>'
check "... and /posts/ too" \
	every_worker_serves /posts/ 200 'MAY-NEW-OPENING.'

echo "== a deploy that moves a post to another month"
# Every worker caches the pages the move changes first.
for u in /archives/2024/01/ /archives/2023/11/ /archives/ /posts/autumn \
	/posts/2024 /posts/march-a /posts/january; do
	every_worker_serves "$u" 200 '' >/dev/null
done
# newest first was march-a, january, autumn, 2024 (year-slug); now
# march-a, autumn, january, 2024
sed -i 's/^date: 2024-01-15$/date: 2023-10-01/' "$SITE/posts/january.md"
check "the deploy of the new date succeeds" deploy
check "... acknowledged by every worker" grep -Eq "([0-9]+)/\1 workers acknowledged" "$T_DIR/deploy.out"
check "every worker finds no post left in 2024-01" \
	every_worker_serves /archives/2024/01/ 404 ''
check "every worker lists it in 2023-10" \
	every_worker_serves /archives/2023/10/ 200 '>In January<'
check "every worker counts 1 post in October" \
	every_worker_serves /archives/ 200 'href="/archives/2023/10/">October</a> <span class="count">1<'
check "every worker shows its new month on the post" \
	every_worker_serves /posts/january 200 'href="/archives/2023/10/"'
echo "== ... and between other neighbours"
check "march-a (its old newer post) links to autumn as older" \
	every_worker_serves /posts/march-a 200 'href="/posts/autumn" rel="prev"'
check "autumn links to it as older" \
	every_worker_serves /posts/autumn 200 'href="/posts/january" rel="prev"'
check "the post it now comes after links to it as newer" \
	every_worker_serves /posts/2024 200 'href="/posts/january" rel="next"'
t_done
