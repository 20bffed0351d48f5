#!/usr/bin/env bash
# test_search_pg_window.sh - PostgreSQL's search looks for its candidates
# the way that reads fewest rows for the query (tier_pg_conn.c,
# PG_STMT_SEARCH: the newest posts one by one, the GIN index's matches
# among the newest posts, as many as hold about 300 matches by the
# estimate and 2,000 at least, or every match, chosen by the share of
# posts schema step 17's quire_search_share estimates it to match) and
# answers what reading every match answers, through nginx.
#
# A site of 2,300 posts, three a day (ties of date at the window's edge),
# with words chosen for each way the statement can go: in every post and
# in half of them (the newest posts one by one find 200 at once), in one
# post of six (the window's matches hold 200), only in the 300 oldest
# and in one post of eleven (fewer than 200 among the newest 2,000, but
# the window of a word that rare is wider and holds 200), in the 300
# oldest and 150 posts without a date (common enough for the 2,000
# newest, none there: every match read, the newest 200 kept), in the
# 300 oldest and 500 posts without a date (common enough for the newest
# posts one by one, which find none among the newest 2,000: every match
# read), only in posts without a date; beside drafts and future posts
# that hold the common words. For each query and several pages, the
# slugs quire shows, in their order, and its count line are compared
# with the statement as it was before any of these ways (every match
# read), run here through psql: the same answers, or a way changed
# them; phrases too: in every post, in some, in none, across the
# title's end and the body's start, of three words, beside a word. And
# the deploy, big enough, leaves the table tidied for searches and the
# words' shares copied.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=lib_pg.sh
. "$(dirname "$0")/lib_pg.sh"
# shellcheck source=lib_redis.sh
. "$(dirname "$0")/lib_redis.sh"

QUIRECTL=${QUIRECTL:-$QUIRE_BUILDDIR/fcgi/quirectl}

t_init
unset QUIRE_ENABLE_DRAFTS
start_tiers

SITE=$T_DIR/site
mkdir -p "$SITE/posts" "$SITE/pages"
python3 - "$SITE/posts" <<'PY'
import datetime, os, sys
out = sys.argv[1]
def post(slug, title, date, words, extra=""):
    head = "---\ntitle: \"%s\"\n" % title
    if date:
        head += "date: %s\n" % date
    with open(os.path.join(out, slug + ".md"), "w") as f:
        f.write(head + extra + "---\n" + " ".join(words) + " filler text here.\n")
start = datetime.date(2015, 1, 1)
for i in range(1, 2301):
    d = start + datetime.timedelta(days=(i - 1) // 3)
    words = ["commonw"]
    if i % 2 == 0:
        words.append("halfw")
    if i <= 300:
        words.append("oldw")
    if i % 11 == 0:
        words.append("edgew")
    if i % 6 == 0:
        words.append("sixthw")
    if i <= 300:
        words += ["oldbigw", "oldmidw"]
    post("w-%04d" % i, "Post %d" % i, d.isoformat(), words)
for i in range(1, 11):
    post("draft-%02d" % i, "Draft %d" % i, "2022-01-%02d" % i,
         ["commonw", "halfw"], "draft: true\n")
    post("future-%02d" % i, "Future %d" % i, "2099-01-%02d" % i,
         ["commonw", "halfw", "edgew"])
for i in range(1, 6):
    post("undated-%d" % i, "Undated %d" % i, None, ["commonw", "nodatew"])
for i in range(1, 501):
    post("old-undated-%03d" % i, "Old undated %d" % i, None,
         ["oldbigw"] + (["oldmidw"] if i <= 150 else []))
PY
"$QUIRECTL" deploy "$SITE" >"$T_DIR/deploy.out" 2>&1 ||
	fail "the deploy failed: $(tail -3 "$T_DIR/deploy.out")"
# A deploy of 500 posts or more tidies the table after its answer
# (tier_pg_tidy: VACUUM): the GIN index's pending list, which
# every search reads whole, is empty once quirectl has returned.
check "the big deploy vacuumed posts" \
	test "$(psql_quire "SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = 'posts'")" -ge 1
psql_quire 'CREATE EXTENSION IF NOT EXISTS pgstattuple' >/dev/null
check "... the search index's pending list is empty" \
	test "$(psql_quire "SELECT pending_tuples FROM pgstatginindex('posts_search')")" = 0
QUIRE_WORKERS=2 t_start_stack "$T_DIR/no-such-dir"

# in_window WORD [SIZE]: its matches among the newest dated posts not
# in the future, as many as the window the statement reads for it (300
# matches by its estimate, 2,000 posts at least), or SIZE.
in_window() {
	psql_quire "WITH e AS (SELECT coalesce(quire_search_share(
			to_tsquery(search_config, '$1')), 0.07) AS share FROM site),
		c AS (SELECT slug, search FROM posts
		WHERE kind = 'post' AND date <= now() ORDER BY date DESC
		LIMIT ${2:-(SELECT greatest(2000, 300 / greatest(share, 0.07))::int FROM e)})
		SELECT count(*) FROM c JOIN posts p USING (slug)
		WHERE NOT p.draft AND c.search @@ to_tsquery('english', '$1')"
}
check "the site: 2,825 posts deployed" test "$(psql_quire 'SELECT count(*) FROM posts')" = 2825
check "halfw: 200 or more in the window (the window alone is read)" \
	test "$(in_window halfw)" -ge 200
check "edgew: fewer than 200 among the newest 2,000, 200 or more in its wider window" \
	test "$(in_window edgew 2000)" -lt 200 -a "$(in_window edgew)" -ge 200
check "oldw: none among the newest 2,000, 200 or more in its wider window" \
	test "$(in_window oldw 2000)" = 0 -a "$(in_window oldw)" -ge 200
check "oldmidw: none in the window (every match read)" test "$(in_window oldmidw)" = 0
check "sixthw: 200 or more in the window" test "$(in_window sixthw)" -ge 200
check "oldbigw: none in the window" test "$(in_window oldbigw 2000)" = 0

# way QUERY: which way the statement takes for it, by the estimate
# (the thresholds PG_SEARCH_SCAN_SHARE and PG_SEARCH_WINDOW_SHARE).
way() {
	psql_quire "SELECT CASE WHEN s >= 0.25 THEN 'scan' WHEN s >= 0.07
		THEN 'window' ELSE 'all' END FROM (SELECT coalesce(
		quire_search_share(websearch_to_tsquery(search_config, '$1')),
		0.07) AS s FROM site) e"
}
check "the deploy copied the words' shares" \
	test "$(psql_quire 'SELECT count(*) FROM search_terms')" -gt 0
for qw in commonw:scan halfw:scan 'commonw -halfw:scan' oldbigw:scan \
	sixthw:window edgew:window oldw:window oldmidw:window \
	'oldw or edgew:window' \
	'"commonw halfw"':all nodatew:all 'halfw edgew:all'; do
	check "${qw%:*} goes the way of ${qw##*:}" test "$(way "${qw%:*}")" = "${qw##*:}"
done

# expected QUERY PAGE: the slugs of that page as the statement before
# the window answered (every match read; slug breaking ties of date),
# then its count (none past the last page).
expected() {
	local q=${1//\'/\'\'} off=$((($2 - 1) * 10))
	pg_quire -c "WITH q AS (SELECT websearch_to_tsquery(search_config, '$q') AS tq FROM site),
		m AS (SELECT p.slug, p.date FROM posts p, q WHERE p.search @@ q.tq
			AND p.kind = 'post' AND NOT p.draft
			AND (p.date IS NULL OR p.date <= now())
			ORDER BY p.date DESC NULLS LAST, p.slug LIMIT 200)
		SELECT m.slug FROM m JOIN posts r USING (slug), q
		ORDER BY ts_rank(r.search, q.tq) DESC, m.date DESC NULLS LAST, m.slug
		LIMIT 10 OFFSET $off"
	# PostgreSQL's count rides on the page's rows: none past the end
	pg_quire -c "WITH q AS (SELECT websearch_to_tsquery(search_config, '$q') AS tq FROM site),
		c AS (SELECT least(count(*), 200) AS n FROM posts p, q WHERE p.search @@ q.tq
		AND p.kind = 'post' AND NOT p.draft AND (p.date IS NULL OR p.date <= now()))
		SELECT n FROM c WHERE n > $off"
}

# shown QUERY PAGE: the slugs quire's page shows, in order, then the
# number of its count line.
shown() {
	local url
	url="/search?q=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote_plus(sys.argv[1]))' "$1")"
	[ "$2" -gt 1 ] && url="$url&page=$2"
	req "$url"
	grep -o 'class="summary-title"><a href="/posts/[^"]*"' "$T_DIR/r.body" |
		sed 's|.*href="/posts/||; s|"$||'
	grep -o 'class="search-count" role="status">[0-9]*' "$T_DIR/r.body" | grep -o '[0-9]*$'
}

for q in commonw halfw oldw edgew nodatew sixthw oldbigw oldmidw 'commonw halfw' \
	'commonw -halfw' '"commonw halfw"' 'oldw or edgew' 'halfw edgew' \
	'"halfw sixthw"' '"commonw halfw sixthw"' '"filler text here"' \
	'"5 commonw"' '"commonw halfw" sixthw' '"sixthw halfw"'; do
	for page in 1 2 20; do
		expected "$q" "$page" >"$T_DIR/want"
		shown "$q" "$page" >"$T_DIR/got"
		check "\"$q\" page $page: $(head -n1 "$T_DIR/got" | tr -d '\n')… as every match read gives ($(wc -l <"$T_DIR/want") lines)" \
			cmp -s "$T_DIR/want" "$T_DIR/got"
	done
done
shown nodatew 1 >"$T_DIR/got"
check "nodatew finds the five posts without a date" \
	test "$(grep -c '^undated-' "$T_DIR/got")" = 5
shown halfw 1 >"$T_DIR/got"
check "no draft, no future post among halfw's" not grep -Eq '^(draft|future)-' "$T_DIR/got"

# The shares are copied again only from newer statistics: an ANALYZE
# as autovacuum's would be (a small deploy runs none of its own), then
# a deploy of one changed post, whose after-work copies them.
# (Autovacuum may have analyzed too: the copy follows the newest.)
analyzed() {
	psql_quire "SELECT (SELECT max(analyzed) FROM search_terms) =
		(SELECT greatest(last_analyze, last_autoanalyze)
		 FROM pg_stat_user_tables WHERE relname = 'posts')"
}
check "the shares are from the newest ANALYZE" test "$(analyzed)" = t
check "... copied again with nothing newer: nothing copied" \
	test "$(psql_quire 'SELECT quire_search_terms()')" = 0
psql_quire 'ANALYZE posts' >/dev/null
check "a newer ANALYZE: the copy is behind it" test "$(analyzed)" = f
printf '\nOne more line.\n' >>"$SITE/posts/w-2300.md"
"$QUIRECTL" deploy "$SITE" >"$T_DIR/deploy.out" 2>&1 ||
	fail "the small deploy failed: $(tail -3 "$T_DIR/deploy.out")"
check "... a deploy of one post copied them again" test "$(analyzed)" = t

check "no crash in quire's log" not crash_lines
t_done
