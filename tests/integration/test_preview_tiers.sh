#!/bin/bash
# test_preview_tiers.sh - authors' preview links in full mode (PostgreSQL
# and Redis) through nginx: a deployed draft's body fetched through the
# tiers on every worker, never cached (an edit deployed shows at once),
# refused once expired, altered, or after the key rotated and SIGHUP
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"
. "$(dirname "$0")/lib_redis.sh"

QUIRECTL=${QUIRECTL:-$QUIRE_BUILDDIR/fcgi/quirectl}

t_init
start_tiers
copy_test_site
export QUIRE_SITE_TITLE="Fixture Site" QUIRE_SITE_URL=$BASE
unset QUIRE_POSTS_PER_PAGE QUIRE_ENABLE_DRAFTS
KEY=$T_DIR/preview.key
export QUIRE_PREVIEW_KEY_FILE=$KEY

deploy() {
	"$QUIRECTL" deploy "$SITE" >"$T_DIR/deploy.out" 2>&1
	local s=$?
	sed 's/^/  quirectl: /' "$T_DIR/deploy.out"
	return "$s"
}

# preview SLUG [ARGS...]: the link quirectl prints, as a path, in $LINK.
preview() {
	LINK=$("$QUIRECTL" preview "$@") || return 1
	LINK=${LINK#"$BASE"}
	[[ $LINK == "/preview/$1?exp="*"&sig="* ]]
}

check "a key" "$QUIRECTL" preview --new-key "$KEY"
check "quirectl migrate" "$QUIRECTL" migrate
check "the first deploy" deploy
QUIRE_WORKERS=3 t_start_stack "$T_DIR/no-such-dir"
check "quire loaded from the tiers" quire_log_has "generation=[0-9]+ from the tiers"

echo "== a draft from the tiers"
check "a link for the draft" preview draft-post
# every_worker_serves appends "?ews=N": after "&x" it is one more
# parameter, which the preview ignores.
check "every worker shows the draft by its link" \
	every_worker_serves "$LINK&x" 200 FIXTURE-DRAFT-BODY
expect_body_contains "$LINK" '<meta name="robots" content="noindex">'
expect_header "$LINK" X-Robots-Tag '^noindex$'
expect_header "$LINK" Cache-Control '^private, no-store$'
expect_status /posts/draft-post 404
expect_body_lacks /posts/ "Draft Post"
check "a link for the scheduled post" preview future-post
expect_body_contains "$LINK" FIXTURE-FUTURE-BODY
expect_status /posts/future-post 404

echo "== never cached: an edit deployed shows at once"
preview draft-post
draft=$LINK
sed -i 's/^FIXTURE-DRAFT-BODY$/FIXTURE-DRAFT-BODY DRAFT-DEPLOYED-EDIT/' "$SITE/posts/draft-post.md"
check "the deploy of the draft's edit" deploy
check "... changing one post" grep -q " 1 changed, 0 removed" "$T_DIR/deploy.out"
check "every worker shows the edit by the same link" \
	every_worker_serves "$draft&x" 200 DRAFT-DEPLOYED-EDIT
expect_status /posts/draft-post 404
check "no Redis key holds a preview" test -z "$(rcli --scan --pattern '*preview*')"

echo "== refused"
check "an expired link" preview draft-post --expires $(($(date +%s) - 5))
expect_status "$LINK" 410
expect_body_lacks "$LINK" DRAFT-DEPLOYED-EDIT
sig=${draft##*sig=}
flip=${sig:0:7}$([[ ${sig:7:1} == A ]] && echo B || echo A)${sig:8}
expect_status "${draft%sig=*}sig=$flip" 403
expect_status "${draft/draft-post/hello-world}" 403

echo "== the key rotated"
rm -f "$KEY"
check "a new key" "$QUIRECTL" preview --new-key "$KEY"
check "a reload (SIGHUP)" reload_and_wait 3
check "every worker refuses the old link" every_worker_serves "$draft&x" 403 "not valid"
check "a link of the new key" preview draft-post
check "every worker takes it" every_worker_serves "$LINK&x" 200 DRAFT-DEPLOYED-EDIT
t_done
