#!/bin/bash
# test_api.sh - the write API through real nginx, PostgreSQL and Redis
#
# DESIGN §7: PUT/GET/DELETE /api/posts/SLUG with a bearer token, and
# GET /api/posts (the listing, paged by slug); every
# status of the issue (201, 200, 204, 400, 401, 403, 404, 412, 413, 415,
# 503); a write is visible on every worker once acknowledged; concurrent
# conflicting writes with If-Match: exactly one wins; concurrent writes
# share commits; a killed committer is replaced.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"
. "$(dirname "$0")/lib_redis.sh"

QUIRECTL=${QUIRECTL:-$QUIRE_BUILDDIR/fcgi/quirectl}
TOKEN=test-token-$RANDOM$RANDOM

t_init
T_API_SOCK=1
start_tiers

copy_test_site
"$QUIRECTL" deploy "$SITE" >/dev/null 2>&1 || fail "the first deploy failed"
printf '# tokens for the test\n\n%s\nanother-token\n' "$TOKEN" >"$T_DIR/tokens"
chmod 600 "$T_DIR/tokens"
export QUIRE_API_TOKEN_FILE=$T_DIR/tokens QUIRE_MAX_BODY=20000
# The old token is tried 20 times below: the throttle of wrong tokens is
# test_api_auth.sh's.
export QUIRE_API_MAX_FAILURES=0
QUIRE_WORKERS=3 t_start_stack "$T_DIR/no-such-dir"

AUTH=(-H "Authorization: Bearer $TOKEN")
# lib.sh's post_text with a tag (api): the API's posts tagged, as most posts are
post_text() { printf -- '---\ntitle: %s\ntags: [api]\n---\n%s\n' "$1" "$2"; }

api PUT /api/posts/from-api "${MD[@]}" --data-binary "$(post_text 'From the API' 'API-BODY-ONE')"
check "no token: 401" test "$R_STATUS" = 401
check "... with WWW-Authenticate" test "$(header WWW-Authenticate)" = Bearer
api PUT /api/posts/from-api "${MD[@]}" -H "Authorization: Bearer nope" --data-binary "x"
check "a wrong token: 403" test "$R_STATUS" = 403

api PUT /api/posts/from-api "${AUTH[@]}" "${MD[@]}" --data-binary "$(post_text 'From the API' 'API-BODY-ONE')"
check "create: 201" test "$R_STATUS" = 201
check "... with a JSON body naming revision 1" grep -q '"revision":1' "$T_DIR/r.body"
check "... and ETag \"1\"" test "$(header ETag)" = '"1"'
check "the new post is served by every worker at once" every_worker_serves /posts/from-api 200 API-BODY-ONE
expect_body_contains / "From the API"

api PUT /api/posts/from-api "${AUTH[@]}" "${MD[@]}" --data-binary "$(post_text 'From the API' 'API-BODY-TWO')"
check "replace: 200" test "$R_STATUS" = 200
check "... revision 2" grep -q '"revision":2' "$T_DIR/r.body"
check "the replacement is served by every worker" every_worker_serves /posts/from-api 200 API-BODY-TWO

api GET /api/posts/from-api "${AUTH[@]}"
check "GET the source: 200" test "$R_STATUS" = 200
check "... the Markdown as sent" grep -q "API-BODY-TWO" "$T_DIR/r.body"
check "... ETag \"2\"" test "$(header ETag)" = '"2"'

api PUT /api/posts/from-api "${AUTH[@]}" "${MD[@]}" -H 'If-Match: "1"' --data-binary "$(post_text T X)"
check "If-Match with an old ETag: 412" test "$R_STATUS" = 412
api PUT /api/posts/from-api "${AUTH[@]}" "${MD[@]}" -H 'If-Match: "2"' --data-binary "$(post_text 'From the API' 'API-BODY-THREE')"
check "If-Match with the current ETag: 200" test "$R_STATUS" = 200
api PUT /api/posts/from-api "${AUTH[@]}" "${MD[@]}" -H 'If-None-Match: *' --data-binary "$(post_text T X)"
check "If-None-Match: * on an existing post: 412" test "$R_STATUS" = 412
api PUT /api/posts/brand-new "${AUTH[@]}" "${MD[@]}" -H 'If-None-Match: *' --data-binary "$(post_text New Y)"
check "If-None-Match: * on a new post: 201" test "$R_STATUS" = 201

# An HTML post (format: html) through the API is sanitized as a file's
# is (DESIGN §3): the write path is no way around it. Deleted after.
api PUT /api/posts/html-post "${AUTH[@]}" "${MD[@]}" --data-binary "$(printf -- \
	'---\ntitle: HTML post\nformat: html\n---\n<p>API-HTML <b>bold</b></p><script>alert(1)</script><img src="x" onerror="alert(2)"><a href="javascript:alert(3)">j</a>\n')"
check "an HTML post: 201" test "$R_STATUS" = 201
check "... served sanitized by every worker" every_worker_serves /posts/html-post 200 'API-HTML <b>bold</b></p><img src="x"><a>j</a>'
expect_body_lacks /posts/html-post "alert("
api DELETE /api/posts/html-post "${AUTH[@]}"
check "... deleted: 204" test "$R_STATUS" = 204

# A list's "Read more" only where the post has more than its summary:
# the flag travels with the summary the API's write stored, to every
# worker (DESIGN §3, "Whether there is more").
api PUT /api/posts/all-said "${AUTH[@]}" "${MD[@]}" --data-binary \
	$'---\ntitle: All said\ndate: 2021-01-02\ntags: [wholetag]\n---\nAPI-WHOLE *post*.\n'
check "a post that is its summary: 201" test "$R_STATUS" = 201
check "... its tag's list shows it all on every worker" \
	every_worker_serves /tags/wholetag 200 '<div class="summary-text"><p>API-WHOLE <em>post</em>.</p>'
expect_body_lacks /tags/wholetag 'class="read-more"'
api PUT /api/posts/all-said "${AUTH[@]}" "${MD[@]}" --data-binary \
	$'---\ntitle: All said\ndate: 2021-01-02\ntags: [wholetag]\n---\nAPI-WHOLE *post*.\n\nAPI-SECOND.\n'
check "... and with a second paragraph: 200" test "$R_STATUS" = 200
check "... a \"Read more\" link on every worker" \
	every_worker_serves /tags/wholetag 200 '<a href="/posts/all-said">Read more'
api DELETE /api/posts/all-said "${AUTH[@]}"
check "... deleted: 204" test "$R_STATUS" = 204

# A slug that a content file gives is that file's (DESIGN §7): the API
# may neither replace nor delete it, whatever its preconditions. 409,
# a JSON error naming the file; the post stays as deployed.
SECOND_FILE=$(cd "$SITE" && pwd -P)/posts/2024-02-20-second-post.md
# Conditions that would hold (the post exists at revision 1) are 409
# too: the owner is decided first.
for how in plain 'If-Match: "1"' 'If-None-Match: *' 'If-Match: *' \
	'If-Match: "7", "1"' 'If-None-Match: "2"' 'If-None-Match: W/"7", "9"'; do
	hdr=()
	[[ $how != plain ]] && hdr=(-H "$how")
	api PUT /api/posts/second "${AUTH[@]}" "${MD[@]}" "${hdr[@]}" --data-binary "$(post_text 'Taken' 'TAKEN-BY-API')"
	check "PUT ($how) of a content file's slug: 409" test "$R_STATUS" = 409
done
check "... as JSON" test "$(header Content-Type)" = application/json
check "... naming the file" grep -qF "\"path\":\"$SECOND_FILE\"" "$T_DIR/r.body"
check "... and saying a content file owns the slug" grep -q '"error":"slug \\"second\\" belongs to the content file' "$T_DIR/r.body"
for how in 'If-Match: *' 'If-Match: "1"' 'If-None-Match: "2"' 'If-None-Match: *'; do
	api DELETE /api/posts/second "${AUTH[@]}" -H "$how"
	check "DELETE ($how) of a content file's slug: 409" test "$R_STATUS" = 409
done
api DELETE /api/posts/second "${AUTH[@]}"
check "DELETE of a content file's slug: 409" test "$R_STATUS" = 409
check "... naming the file" grep -qF "\"path\":\"$SECOND_FILE\"" "$T_DIR/r.body"
check "... and the post is unchanged on every worker" every_worker_serves /posts/second 200 FIXTURE-SECOND-BODY
api GET "/api/posts?origin=content&limit=1000" "${AUTH[@]}"
check "... still of origin content, at revision 1" grep -q '"slug":"second","revision":1,[^}]*"origin":"content"' "$T_DIR/r.body"

# Writes committed together: the one refused for its owner is that
# write's own answer, the others of its batch are committed.
{
	for i in $(seq -w 1 12); do
		printf 'url = "%s/api/posts/mixed-%s"\noutput = "/dev/null"\n' "$BASE" "$i"
		[[ $i == 06 ]] && printf 'url = "%s/api/posts/second"\noutput = "/dev/null"\n' "$BASE"
	done
} >"$T_DIR/mixed.cfg"
post_text Mixed MIXED-BODY >"$T_DIR/mixed.md"
curl -s -Z --parallel-max 13 --max-time 30 -K "$T_DIR/mixed.cfg" -X PUT \
	"${AUTH[@]}" "${MD[@]}" --data-binary "@$T_DIR/mixed.md" \
	-w '%{http_code} %{url_effective}\n' >"$T_DIR/mixed.out" 2>/dev/null
t_log "13 writes at once, one on a content slug: $(cut -d' ' -f1 "$T_DIR/mixed.out" | sort | uniq -c | tr '\n' ' ')"
check "13 writes at once: the content slug's 409" grep -q '^409 .*/api/posts/second$' "$T_DIR/mixed.out"
check "... and the other 12 created (201)" test "$(grep -c '^201 .*/api/posts/mixed-' "$T_DIR/mixed.out")" = 12
check "... and served by every worker" every_worker_serves /posts/mixed-12 200 MIXED-BODY
check "... while the content post is unchanged" every_worker_serves /posts/second 200 FIXTURE-SECOND-BODY

# The listing: what PostgreSQL holds, by slug, a page at a time.
# list_of FILE: "slug:revision:origin:kind ...|next" of a listing's JSON.
list_of() {
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(" ".join("%s:%d:%s:%s" % (p["slug"], p["revision"], p["origin"], p["kind"])
               for p in d["posts"]) + "|" + str(d["next"]))' "$1" 2>&1
}
api GET /api/posts
check "list without a token: 401" test "$R_STATUS" = 401
api GET "/api/posts?origin=api" "${AUTH[@]}"
check "list the API's posts: 200" test "$R_STATUS" = 200
check "... as JSON" test "$(header Content-Type)" = application/json
check "... all, by slug, at their revisions, no next page" \
	test "$(list_of "$T_DIR/r.body")" = "brand-new:1:api:post from-api:3:api:post$(printf ' mixed-%s:1:api:post' $(seq -w 1 12))|None"
check "... with title, ETag and URL" grep -q '"slug":"from-api","revision":3,"etag":"\\"3\\"","origin":"api","kind":"post","title":"From the API","date":null,"draft":false,"updated_at":"20[0-9-]*T[0-9:]*Z","url":"/posts/from-api"}' "$T_DIR/r.body"
api GET "/api/posts/?limit=1000" "${AUTH[@]}"
list_of "$T_DIR/r.body" >"$T_DIR/list.all"
check "every post in one page of 1000 (/api/posts/ as /api/posts)" \
	test "$(tr ' ' '\n' <"$T_DIR/list.all" | grep -c :)" = "$(($(find "$SITE/posts" "$SITE/pages" -name '*.md' | wc -l) + 14))"
check "... a page with its /pages/ URL" grep -q '"slug":"about",[^}]*"kind":"page",[^}]*"url":"/pages/about"}' "$T_DIR/r.body"
# Pages of two, each after the last slug of the one before, add up to it.
after='' pages=0 walked=''
while ((pages < 100)); do
	api GET "/api/posts?limit=2${after:+&after=$after}" "${AUTH[@]}"
	[ "$R_STATUS" = 200 ] || break
	page=$(list_of "$T_DIR/r.body")
	pages=$((pages + 1))
	walked="$walked${walked:+ }${page%|*}"
	after=${page##*|}
	[ "$after" = None ] && break
done
check "pages of 2 walked with after= give the same posts in the same order" \
	test "$walked|None" = "$(cat "$T_DIR/list.all")"
check "... in $pages pages" test "$pages" -gt 2
for q in limit=0 limit=1001 limit=x after=Bad%20Slug origin=other; do
	api GET "/api/posts?$q" "${AUTH[@]}"
	check "list with $q: 400" test "$R_STATUS" = 400
done
check "... naming the parameter" grep -q '"error":"bad query parameter: origin' "$T_DIR/r.body"
api HEAD /api/posts "${AUTH[@]}" --head
check "HEAD of the listing: 200" test "$R_STATUS" = 200
api POST /api/posts "${AUTH[@]}"
check "POST to the listing: 405, Allow: GET, HEAD" test "$R_STATUS $(header Allow)" = "405 GET, HEAD"

# Conditional requests (RFC 9110 §13.1, §13.2): If-Match and
# If-None-Match on PUT, DELETE, GET and HEAD, of a post that exists and
# of one that does not. The condition is checked in the statement that
# writes, so what answers 412 changed nothing.
# cond METHOD SLUG WANT WHAT [HEADER...]: one request, its status
# checked; a PUT that succeeds sets $rev from its ETag.
cond() {
	local m=$1 slug=$2 want=$3 what=$4 h args=()
	shift 4
	for h in "$@"; do args+=(-H "$h"); done
	case $m in
	PUT) api PUT "/api/posts/$slug" "${AUTH[@]}" "${MD[@]}" "${args[@]}" \
		--data-binary "$(post_text Cond "COND-BODY-$RANDOM")" ;;
	HEAD) api HEAD "/api/posts/$slug" "${AUTH[@]}" "${args[@]}" --head ;;
	*) api "$m" "/api/posts/$slug" "${AUTH[@]}" "${args[@]}" ;;
	esac
	check "$m /api/posts/$slug, $what: $want (got $R_STATUS)" test "$R_STATUS" = "$want"
	if [ "$m" = PUT ] && [ "$slug" = cond ] && [ "$R_STATUS" -lt 300 ]; then
		rev=$(header ETag | tr -d '"')
	fi
}
# unchanged: the post "cond" is still at $rev (GET's ETag).
unchanged() {
	api GET /api/posts/cond "${AUTH[@]}"
	check "... and the post is unchanged (ETag \"$rev\")" test "$(header ETag)" = "\"$rev\""
}
rev=0
cond PUT cond 201 'a post to try the conditions on'
check "... at revision 1" test "$rev" = 1
cond PUT cond 412 'If-Match with a tag that is no revision (well-formed: 412, not 400)' \
	'If-Match: "any-other-tag"'
unchanged
cond PUT cond 200 'If-Match: * (the post exists)' 'If-Match: *'
check "... now at revision 2" test "$rev" = 2
cond PUT cond 412 'If-Match with a stale revision' 'If-Match: "1"'
cond PUT cond 200 'If-Match with the current revision' "If-Match: \"$rev\""
cond PUT cond 200 'If-Match with a list holding the current revision' \
	"If-Match: \"1\", \"other\", \"$rev\""
cond PUT cond 412 'If-Match with a list without it' "If-Match: \"1\", \"$((rev + 7))\""
cond PUT cond 412 'If-Match with the current revision, weak (strong comparison)' \
	"If-Match: W/\"$rev\""
cond PUT cond 200 'If-Match with blanks, tabs and empty elements around the commas' \
	$'If-Match: , "1"\t ,, \t"'"$rev"$'"\t ,'
cond PUT cond 412 'an empty If-Match (a list of no tags matches nothing)' 'If-Match;'
cond PUT cond 412 'If-Match with a long tag that is no revision' \
	"If-Match: \"$(head -c 6000 /dev/zero | tr '\0' 'z')\""
unchanged
cond PUT cond 412 'If-None-Match: * (create only; the post exists)' 'If-None-Match: *'
cond PUT cond 412 'If-None-Match with the current revision' "If-None-Match: \"$rev\""
cond PUT cond 412 'If-None-Match with the current revision, weak (weak comparison)' \
	"If-None-Match: W/\"$rev\""
cond PUT cond 412 'If-None-Match with a list holding it' "If-None-Match: \"1\", \"$rev\""
unchanged
cond PUT cond 200 'If-None-Match with another revision' 'If-None-Match: "1"'
cond PUT cond 200 'an empty If-None-Match (no tag matches: the write goes on)' 'If-None-Match;'
cond PUT cond 412 'If-Match and If-None-Match both of the current revision' \
	"If-Match: \"$rev\"" "If-None-Match: \"$rev\""
cond PUT cond 412 'If-Match: * and If-None-Match: *' 'If-Match: *' 'If-None-Match: *'
cond PUT cond 200 'If-Match of the current revision, If-None-Match of another' \
	"If-Match: \"$rev\"" 'If-None-Match: "1"'

cond PUT cond-missing 412 'If-Match: * (the post does not exist)' 'If-Match: *'
cond PUT cond-missing 412 'If-Match with a revision, no such post' 'If-Match: "1"'
cond PUT cond-missing 412 'If-Match with another tag, no such post' 'If-Match: "any-other-tag"'
cond PUT cond-missing 412 'If-Match: * and If-None-Match: *, no such post' \
	'If-Match: *' 'If-None-Match: *'
cond GET cond-missing 404 'If-Match: *, no such post (nothing was created)' 'If-Match: *'
# RFC 9110 §13.2.1: a 404 the request would get without its conditions
# comes before them.
cond DELETE cond-missing 404 'If-Match: *, no such post' 'If-Match: *'
cond DELETE cond-missing 404 'If-Match with a revision, no such post' 'If-Match: "1"'
cond GET cond-missing 404 'If-None-Match: *, no such post' 'If-None-Match: *'
cond PUT cond-missing 201 'If-None-Match with a tag, no such post (creates it)' \
	'If-None-Match: "1"'
cond DELETE cond-missing 204 'If-Match with its revision' 'If-Match: "1"'
cond PUT cond-missing 201 'If-None-Match: *, no such post (creates it)' 'If-None-Match: *'
cond DELETE cond-missing 204 'If-Match: *' 'If-Match: *'

# Bad syntax is 400, whether the post exists or not, on every method.
too_many=$(for i in $(seq 33); do printf '"%d", ' "$i"; done)
for h in 'If-Match: 3' 'If-Match: "3' 'If-Match: *x' 'If-Match: *, "3"' \
	'If-Match: "3", *' 'If-Match: w/"3"' 'If-Match: W/ "3"' 'If-Match: "3" "4"' \
	'If-Match: "a"b' 'If-Match: W/' 'If-Match: """' 'If-Match: "a b"' \
	"If-Match: ${too_many%, }" 'If-None-Match: 3' 'If-None-Match: **' \
	'If-None-Match: "x' 'If-None-Match: "1";"2"'; do
	for slug in cond cond-missing; do
		for m in PUT DELETE GET; do
			cond "$m" "$slug" 400 "malformed: $h" "$h"
		done
	done
done
check "... saying which header" grep -q '"error":"malformed If-None-Match' "$T_DIR/r.body"
cond PUT cond 400 'If-Match with 33 tags' "If-Match: ${too_many%, }"
check "... naming the bound" grep -q 'more than 32 entity-tags' "$T_DIR/r.body"
# Past QUIRE_MAX_HEADER: nginx refuses the line before quire sees it.
long_tag=$(head -c 9000 /dev/zero | tr '\0' '7')
for slug in cond cond-missing; do
	cond PUT "$slug" 400 'an If-Match longer than a header may be' "If-Match: \"$long_tag\""
done
unchanged

# GET and HEAD of the source: If-None-Match gives 304 (weak comparison,
# lists, *), If-Match 412.
cond GET cond 304 'If-None-Match with the current revision' "If-None-Match: \"$rev\""
check "... with its ETag" test "$(header ETag)" = "\"$rev\""
check "... and no body" test ! -s "$T_DIR/r.body"
cond HEAD cond 304 'If-None-Match with the current revision' "If-None-Match: \"$rev\""
cond GET cond 304 'If-None-Match with the current revision, weak' "If-None-Match: W/\"$rev\""
cond GET cond 304 'If-None-Match with a list holding it' "If-None-Match: \"x\", \"$rev\""
cond GET cond 304 'If-None-Match: *' 'If-None-Match: *'
cond GET cond 200 'If-None-Match with another revision' 'If-None-Match: "1"'
check "... with the source" grep -q COND-BODY "$T_DIR/r.body"
cond GET cond 412 'If-Match with another revision' 'If-Match: "1"'
cond GET cond 200 'If-Match with the current revision' "If-Match: \"$rev\""
cond GET cond 200 'If-Match: *' 'If-Match: *'
cond GET cond 412 'If-Match with the current revision, weak' "If-Match: W/\"$rev\""

# DELETE of a post that exists.
cond DELETE cond 412 'If-Match with a tag that is no revision' 'If-Match: "any-other-tag"'
cond DELETE cond 412 'If-Match with the current revision, weak' "If-Match: W/\"$rev\""
cond DELETE cond 412 'If-Match with a list without the current revision' \
	"If-Match: \"1\", \"$((rev + 7))\""
cond DELETE cond 412 'If-None-Match: *' 'If-None-Match: *'
cond DELETE cond 412 'If-None-Match with the current revision' "If-None-Match: \"$rev\""
unchanged
cond DELETE cond 204 'If-Match: *' 'If-Match: *'
cond PUT cond 201 'again, after the delete'
cond DELETE cond 204 'If-Match with a list holding the current revision' \
	"If-Match: \"7\", \"$rev\""
cond GET cond 404 'after the deletes'

# Bad input changes nothing.
api PUT /api/posts/from-api "${AUTH[@]}" "${MD[@]}" --data-binary $'---\ntitle: [unclosed\n---\nx\n'
check "malformed frontmatter: 400" test "$R_STATUS" = 400
check "... naming line and column" grep -Eq '"line":[0-9]+,"column":[0-9]+' "$T_DIR/r.body"
api PUT /api/posts/from-api "${AUTH[@]}" "${MD[@]}" --data-binary $'---\ndescription: no title\n---\nx\n'
check "missing title: 400" test "$R_STATUS" = 400
api PUT "/api/posts/Bad%20Slug" "${AUTH[@]}" "${MD[@]}" --data-binary "$(post_text T X)"
check "an invalid slug: 400" test "$R_STATUS" = 400
printf -- '---\ntitle: Nul\n---\nab\0cd\n' >"$T_DIR/nul.md"
api PUT /api/posts/with-nul "${AUTH[@]}" "${MD[@]}" --data-binary "@$T_DIR/nul.md"
check "a NUL byte in the post: 400 (not 503 from the database)" test "$R_STATUS" = 400
check "... naming line 4, column 3" grep -q '"line":4,"column":3' "$T_DIR/r.body"
printf -- '---\ntitle: Latin \xe9\n---\nx\n' >"$T_DIR/latin1.md"
api PUT /api/posts/latin1 "${AUTH[@]}" "${MD[@]}" --data-binary "@$T_DIR/latin1.md"
check "bytes that are not UTF-8: 400" test "$R_STATUS" = 400
printf -- '---\ntitle: Deep\nx: %s1%s\n---\nx\n' "$(printf '[%.0s' $(seq 20))" "$(printf ']%.0s' $(seq 20))" >"$T_DIR/deep.md"
api PUT /api/posts/deep "${AUTH[@]}" "${MD[@]}" --data-binary "@$T_DIR/deep.md"
check "frontmatter nested too deep (a small body): 400, not 413" test "$R_STATUS" = 400
check "... saying so" grep -q "nested deeper" "$T_DIR/r.body"
api PUT /api/posts/from-api "${AUTH[@]}" -H "Content-Type: application/json" --data-binary '{}'
check "a wrong content type: 415" test "$R_STATUS" = 415
head -c 30000 /dev/zero | tr '\0' 'a' >"$T_DIR/big.md"
api PUT /api/posts/from-api "${AUTH[@]}" "${MD[@]}" --data-binary "@$T_DIR/big.md"
check "a body over QUIRE_MAX_BODY: 413" test "$R_STATUS" = 413
# A URI quire refuses, with a body it must still read to the end: left
# unread, the close would reset the connection while nginx still sends
# it, and nginx would answer 502 instead of quire's 400.
head -c 900000 /dev/zero | tr '\0' 'b' >"$T_DIR/big-bad-uri.md"
bad_uri_ok=0
for i in $(seq 10); do
	api PUT "/api/posts/x?page=0" "${AUTH[@]}" "${MD[@]}" --data-binary "@$T_DIR/big-bad-uri.md"
	[ "$R_STATUS" = 400 ] && bad_uri_ok=$((bad_uri_ok + 1))
done
check "a bad query with a 900 KB body: 400, not 502, 10 times of 10" test "$bad_uri_ok" = 10
check "... and the post is unchanged" every_worker_serves /posts/from-api 200 API-BODY-THREE

# Concurrent conflicting writes with If-Match: exactly one wins.
api GET /api/posts/from-api "${AUTH[@]}"
etag=$(header ETag)
racers=()
for i in 1 2 3 4 5 6 7 8; do
	curl -s -o /dev/null -w '%{http_code}\n' -X PUT "${AUTH[@]}" "${MD[@]}" \
		-H "If-Match: $etag" --data-binary "$(post_text 'From the API' "RACE-$i")" \
		"$BASE/api/posts/from-api" >>"$T_DIR/race" &
	racers+=($!)
done
# Only these: a bare wait would also wait for lib.sh's watchdog.
wait "${racers[@]}"
check "8 racing writes: exactly one 200" test "$(grep -c '^200$' "$T_DIR/race")" = 1
check "... and seven 412" test "$(grep -c '^412$' "$T_DIR/race")" = 7

# A content deploy never removes an API post.
sed -i '$a\\' "$SITE/posts/2024-04-01-newest.md"
"$QUIRECTL" deploy "$SITE" >/dev/null 2>&1
check "an API post survives a content deploy" every_worker_serves /posts/from-api 200 RACE-
# ... nor is it replaced by a content file of the same slug (which would
# also take it away when the file goes): that file is skipped, reported,
# and the rest deployed; exit 5, deployed with files skipped (README).
printf -- '---\ntitle: Same slug\n---\nFROM-A-FILE\n' >"$SITE/posts/2024-06-01-from-api.md"
sed -i 's/FIXTURE-NEWEST-BODY/NEWEST-EDIT-ONE/' "$SITE/posts/2024-04-01-newest.md"
"$QUIRECTL" deploy "$SITE" >"$T_DIR/deploy.out" 2>&1
check "a content file with an API post's slug: deployed without it (exit 5)" test $? = 5
sed 's/^/  quirectl: /' "$T_DIR/deploy.out"
check "... naming the file and the slug" \
	grep -q '2024-06-01-from-api.md:1:1: slug "from-api" is owned by the write API: file skipped' "$T_DIR/deploy.out"
check "... counting it" grep -q 'deployed generation [0-9]*: 1 changed, 0 removed, [0-9]* unchanged, 1 skipped' "$T_DIR/deploy.out"
"$QUIRECTL" check "$SITE" >"$T_DIR/check.out" 2>&1
check "quirectl check (PostgreSQL configured) says so too: exit 5" test $? = 5
check "... naming the file" grep -q '2024-06-01-from-api.md:1:1: slug "from-api" is owned by the write API: a deploy skips this file' "$T_DIR/check.out"
check "... the API post is unchanged on every worker" every_worker_serves /posts/from-api 200 RACE-
check "... and the other change is served by every worker" every_worker_serves /posts/newest 200 NEWEST-EDIT-ONE
"$QUIRECTL" deploy "$SITE" >"$T_DIR/deploy.out" 2>&1
check "the next deploy, nothing else changed: exit 5 again" test $? = 5
check "... the file reported again, not remembered as deployed" \
	grep -q '2024-06-01-from-api.md:1:1: slug "from-api" is owned by the write API: file skipped' "$T_DIR/deploy.out"
sed -i 's/NEWEST-EDIT-ONE/NEWEST-EDIT-TWO/' "$SITE/posts/2024-04-01-newest.md"
"$QUIRECTL" deploy "$SITE" >"$T_DIR/deploy.out" 2>&1
check "... and a deploy with another edit: exit 5, the edit published" test $? = 5
check "... served by every worker" every_worker_serves /posts/newest 200 NEWEST-EDIT-TWO
rm -f "$SITE/posts/2024-06-01-from-api.md"
check "without that file the deploy succeeds (exit 0)" "$QUIRECTL" deploy "$SITE"

api DELETE /api/posts/from-api "${AUTH[@]}"
check "DELETE: 204" test "$R_STATUS" = 204
check "the deleted post is gone on every worker" every_worker_serves /posts/from-api 404 ""
api DELETE /api/posts/from-api "${AUTH[@]}"
check "DELETE again: 404" test "$R_STATUS" = 404
api POST /api/posts/brand-new "${AUTH[@]}"
check "POST: 405" test "$R_STATUS" = 405

# Concurrent writes share commits: one generation a batch, so 40 writes
# at once give fewer generations than writes, each acknowledged.
for i in $(seq -w 1 40); do
	printf 'url = "%s/api/posts/batch-%s"\n' "$BASE" "$i"
done >"$T_DIR/batch.cfg"
post_text Batched BATCH-BODY >"$T_DIR/batch.md"
curl -s -Z --parallel-max 40 --max-time 30 -K "$T_DIR/batch.cfg" -X PUT \
	"${AUTH[@]}" "${MD[@]}" --data-binary "@$T_DIR/batch.md" \
	-w '\n%{http_code}\n' >"$T_DIR/batch.out" 2>/dev/null
created=$(grep -c '^201$' "$T_DIR/batch.out")
gens=$(grep -o '"generation":[0-9]*' "$T_DIR/batch.out" | sort -u | wc -l)
t_log "40 concurrent creates: $created answered 201, in $gens generations"
check "40 concurrent creates: all 201" test "$created" = 40
check "... sharing commits (fewer generations than writes)" test "$gens" -lt 40
check "... and served by every worker" every_worker_serves /posts/batch-40 200 BATCH-BODY

# A reload (SIGHUP) under a burst of writes: the old workers answer the
# writes they hold before they exit, the committer stays; no write fails.
for i in $(seq -w 1 200); do
	printf 'url = "%s/api/posts/reload-%s"\noutput = "/dev/null"\n' "$BASE" "$i"
done >"$T_DIR/reload.cfg"
curl -s -Z --parallel-max 8 --max-time 30 -K "$T_DIR/reload.cfg" -X PUT \
	"${AUTH[@]}" "${MD[@]}" --data-binary "@$T_DIR/batch.md" \
	-w '%{http_code}\n' >"$T_DIR/reload.out" 2>/dev/null &
burst=$!
for i in 1 2 3; do
	sleep 0.3
	kill -HUP "$QUIRE_PID"
done
wait "$burst"
reload_ok=$(grep -c '^20[01]$' "$T_DIR/reload.out")
t_log "200 writes across 3 reloads: $reload_ok answered 200/201 ($(sort "$T_DIR/reload.out" | uniq -c | tr '\n' ' '))"
check "200 writes across 3 reloads: none failed" test "$reload_ok" = 200
# The retired workers are gone within seconds (each first answers what
# it holds); then every current one serves the last write.
for i in $(seq 100); do
	[ "$(quire_workers | wc -l)" = 3 ] && break
	sleep 0.1
done
check "... the last one served by every worker" every_worker_serves /posts/reload-200 200 BATCH-BODY

# The committer killed: the master starts another, and writes go on
# (the workers reconnect to it).
old_committer=$(committer_of "$QUIRE_PID")
check "one committer runs beside the workers" test -n "$old_committer"
[ -n "$old_committer" ] && kill -KILL "$old_committer"
for i in $(seq 50); do
	new_committer=$(committer_of "$QUIRE_PID")
	[ -n "$new_committer" ] && [ "$new_committer" != "$old_committer" ] && break
	sleep 0.1
done
check "... a new one is started when it dies" test -n "$new_committer" -a "$new_committer" != "$old_committer"
api PUT /api/posts/after-kill "${AUTH[@]}" "${MD[@]}" --data-binary "$(post_text 'After' 'AFTER-KILL')"
check "... and the next write is acknowledged (201)" test "$R_STATUS" = 201
check "... and served by every worker" every_worker_serves /posts/after-kill 200 AFTER-KILL

# Control characters from the API are rendered away like a file's
# (content/html.c): U+FFFD in the page and the feed, which stays XML;
# the source keeps them, and JSON escapes them.
printf -- '---\ntitle: "API\\x01Title"\ntags: [api]\n---\nAPI-CONTROL \x01 and \x1b[1m &#2;\n' \
	>"$T_DIR/control.md"
api PUT /api/posts/api-control "${AUTH[@]}" "${MD[@]}" --data-binary "@$T_DIR/control.md"
check "a post with control characters: 201" test "$R_STATUS" = 201
check "... served by every worker" every_worker_serves /posts/api-control 200 API-CONTROL
req /posts/api-control
check_clean_text "$T_DIR/r.body" "/posts/api-control"
expect_body_contains /posts/api-control 'API�Title'
expect_body_contains /posts/api-control 'API-CONTROL � and �[1m �'
req /feed.xml
cp "$T_DIR/r.body" "$T_DIR/feed.xml"
check_xml "$T_DIR/feed.xml" "/feed.xml with the API's post"
check_clean_text "$T_DIR/feed.xml" "/feed.xml with the API's post"
api GET "/api/posts?origin=api" "${AUTH[@]}"
check "the listing is JSON, the title as written" python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if "API\x01Title" in [p["title"] for p in d["posts"]] else 1)' "$T_DIR/r.body"
api DELETE /api/posts/api-control "${AUTH[@]}"
check "... deleted: 204" test "$R_STATUS" = 204
# Tokens are read when a worker starts: after a SIGHUP (a rolling
# replacement) a rotated token file holds, and the old token no longer
# opens the API on any worker.
NEW_TOKEN=rotated-$RANDOM$RANDOM
printf '%s\n' "$NEW_TOKEN" >"$T_DIR/tokens.new"
chmod 600 "$T_DIR/tokens.new"
mv "$T_DIR/tokens.new" "$T_DIR/tokens"
check "SIGHUP: the old workers are gone, three new ones serve" reload_and_wait 3
api GET /api/posts/after-kill -H "Authorization: Bearer $NEW_TOKEN"
check "... the rotated token opens the API (200)" test "$R_STATUS" = 200
refused=0
for i in $(seq 20); do
	api GET /api/posts/after-kill "${AUTH[@]}"
	[ "$R_STATUS" = 403 ] && refused=$((refused + 1))
done
check "... the old token gets 403, 20 times of 20" test "$refused" = 20
AUTH=(-H "Authorization: Bearer $NEW_TOKEN")

# PostgreSQL unreachable: 503, nothing acknowledged; reads still served.
stop_pg
api PUT /api/posts/brand-new "${AUTH[@]}" "${MD[@]}" --data-binary "$(post_text New Z)"
check "PostgreSQL down: 503" test "$R_STATUS" = 503
api GET /api/posts "${AUTH[@]}"
check "... and the listing: 503 with a JSON error" \
	test "$R_STATUS $(head -c 9 "$T_DIR/r.body")" = '503 {"error":'
expect_status /posts/brand-new 200
start_pg_again || fail "postgresql did not come back"

check "no worker crashed" test -z "$(crash_lines)"
t_done
