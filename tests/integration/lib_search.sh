# lib_search.sh - what test_search.sh (embedded mode) and
# test_search_pg.sh (PostgreSQL) share: the site they search, and the
# checks of the search page both modes must pass through nginx.
# shellcheck shell=bash

# search_site DIR: a content folder whose posts each test one rule.
search_site() {
	local d=$1 i
	mkdir -p "$d/posts" "$d/pages"
	post() { printf -- '---\ntitle: "%s"\ndate: %s\n%b---\n%s\n' "$2" "$3" "$4" "$5" >"$d/posts/$1.md"; }
	post title-word 'Zebra crossings' 2020-01-01 '' 'A guide to roads.'
	post body-word 'Animal notes' 2020-01-02 '' 'Once a zebra walked by the river.'
	post tagged 'Stripes' 2020-01-03 'tags: [zebra]\n' 'Nothing else here.'
	post phrase-yes 'Foxes one' 2020-02-01 '' 'The quick brown fox jumps over the dog.'
	post phrase-no 'Foxes two' 2020-02-02 '' 'A brown dog and a quick fox sleep.'
	post apple-banana 'Fruit one' 2020-03-01 '' 'applex bananax'
	post apple-cherry 'Fruit two' 2020-03-02 '' 'applex cherryx'
	post kiwi 'Green fruit' 2020-03-03 '' 'kiwix only'
	post mango 'Yellow fruit' 2020-03-04 '' 'mangox only'
	post draft 'Hidden' 2020-04-01 'draft: true\n' 'secretdraftword'
	post future 'Later' 2099-01-01 '' 'futurepostword'
	post script 'Escaping' 2020-05-01 '' 'scriptyword `<script>alert(1)</script>` scriptyword & 1<2 more'
	post inline 'Inline markup' 2020-05-02 '' \
		'inlinewordx, a pre*fix*ed word, is **pinned**: `site_generation()` and `cache->generation` here.'
	post joined 'Joined words' 2020-05-03 '' \
		'joinedwordx: an un*believ*able tale of `snake`case names.'
	for i in $(seq -w 1 12); do
		post "pager-$i" "Pager $i" "2021-01-$i" '' "pagerword number $i"
	done
	unset -f post
}

# search URL: req until the answer is not "warming up" (5 s at most).
search() {
	local i
	for ((i = 0; i < 50; i++)); do
		req "$1"
		grep -q 'warming up' "$T_DIR/r.body" || return 0
		sleep 0.1
	done
}

# has STRING / lacks STRING: in the last body.
has() { grep -Fq -- "$1" "$T_DIR/r.body"; }
lacks() { ! grep -Fq -- "$1" "$T_DIR/r.body"; }

# search_checks: what both modes must answer.
search_checks() {
	echo "== the form on every page"
	req /
	check "home: a search form, GET to /search, role=search" \
		grep -Eq '<form class="search-form" role="search" action="/search" method="get">' "$T_DIR/r.body"
	check "home: the form's input is labelled and named q" \
		grep -Eq '<label for="site-search-q">' "$T_DIR/r.body"
	req /posts/title-word
	check "a post has the form too" has 'action="/search"'

	echo "== ranking: a title word above a body word"
	search '/search?q=zebra'
	check "/search?q=zebra: 200" test "$R_STATUS" = 200
	check "... finds the title, the tag and the body" \
		bash -c "grep -Fq /posts/title-word '$T_DIR/r.body' && grep -Fq /posts/body-word '$T_DIR/r.body' && grep -Fq /posts/tagged '$T_DIR/r.body'"
	check "... the title's post first" before "$T_DIR/r.body" /posts/title-word /posts/tagged
	check "... then the tag's, then the body's" before "$T_DIR/r.body" /posts/tagged /posts/body-word
	check "... a snippet with the match marked" grep -Eq '<mark>zebra</mark>' "$T_DIR/r.body"
	check "... Cache-Control: no-cache" test "$(header Cache-Control)" = no-cache
	check "... answered by quire (X-Quire-Worker)" test -n "$(header X-Quire-Worker)"

	echo "== phrase, -word, or"
	search '/search?q=%22quick+brown+fox%22'
	check "a phrase: found where the words are in order" has /posts/phrase-yes
	check "... not where they are not" lacks /posts/phrase-no
	search '/search?q=applex+-cherryx'
	check "-word: applex without cherryx" bash -c "grep -Fq /posts/apple-banana '$T_DIR/r.body' && ! grep -Fq /posts/apple-cherry '$T_DIR/r.body'"
	search '/search?q=kiwix+or+mangox'
	check "or: either word" bash -c "grep -Fq /posts/kiwi '$T_DIR/r.body' && grep -Fq /posts/mango '$T_DIR/r.body'"
	search '/search?q=kiwix+mangox'
	check "no or: both words, so none" bash -c "! grep -Fq /posts/kiwi '$T_DIR/r.body' && ! grep -Fq /posts/mango '$T_DIR/r.body'"

	echo "== drafts and scheduled posts are never found"
	search '/search?q=secretdraftword'
	check "a draft: not found" lacks /posts/draft
	check "... a page that says so, 200" test "$R_STATUS" = 200
	search '/search?q=futurepostword'
	check "a future post: not found" lacks /posts/future

	echo "== inline markup parts no word in a snippet"
	search '/search?q=inlinewordx'
	check "the post is found" has /posts/inline
	check "... 'pinned:' as written (<strong> parts nothing)" has 'pinned: '
	check "... inline code whole" has 'site_generation() and cache-&gt;generation'
	check "... a word with an emphasis inside it whole" has 'a prefixed word'

	echo "== a word written with inline markup inside it is one word"
	# found by the whole word in both modes: the index's text joins
	# what an inline tag parts (PostgreSQL: schema step 13)
	search '/search?q=prefixed'
	check "'pre*fix*ed' found as prefixed" has /posts/inline
	search '/search?q=unbelievable'
	check "'un*believ*able' found as unbelievable" has /posts/joined
	check "... the word whole in the snippet" has 'unbelievable'
	search '/search?q=snakecase'
	check "'\`snake\`case' (inline code beside text) found as snakecase" has /posts/joined
	search '/search?q=believ'
	check "... and not by a piece of it" lacks /posts/joined

	echo "== snippets are escaped"
	search '/search?q=scriptyword'
	check "the post is found" has /posts/script
	check "... its text escaped in the snippet (1<2, &)" \
		bash -c "grep -Fq '1&lt;2' '$T_DIR/r.body' && grep -Fq 'scriptyword</mark> &amp;' '$T_DIR/r.body'"
	check "... never raw" lacks '<script>'
	check "... the match marked" has '<mark>scriptyword</mark>'
	search '/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E'
	check "a query with markup: 200" test "$R_STATUS" = 200
	check "... echoed escaped" lacks '<script>alert'

	echo "== pagination"
	search '/search?q=pagerword'
	check "page 1: 12 found" has '12 found'
	check "... ten of them" test "$(grep -c 'class="snippet"' "$T_DIR/r.body")" = 10
	check "... a link to page 2" has 'href="/search?q=pagerword&amp;page=2"'
	check "... and where it is" has 'Page 1 of 2'
	search '/search?q=kiwix'
	check "one page of results" has /posts/kiwi
	check "... no pager (no \"Page 1 of 1\")" lacks 'class="pager"'
	search '/search?q=pagerword&page=2'
	check "page 2: the other two" test "$(grep -c 'class="snippet"' "$T_DIR/r.body")" = 2
	check "... the oldest ones" has /posts/pager-01
	search '/search?q=pagerword&page=3'
	check "page 3: 200, nothing more" bash -c "test $R_STATUS = 200 && grep -q 'No more results' '$T_DIR/r.body'"

	echo "== empty and absurd queries: a hint, never an error"
	search '/search'
	check "/search: 200 with a hint" bash -c "test $R_STATUS = 200 && grep -q 'search-hint' '$T_DIR/r.body'"
	search '/search?q='
	check "q empty: 200 with a hint" bash -c "test $R_STATUS = 200 && grep -q 'search-hint' '$T_DIR/r.body'"
	search '/search?q=-zebra'
	check "only a negation: 200 with a hint" bash -c "test $R_STATUS = 200 && grep -q 'search-hint' '$T_DIR/r.body'"
	search "/search?q=$(printf 'a%.0s' $(seq 300))"
	check "300 bytes: 200, too long" bash -c "test $R_STATUS = 200 && grep -q 'too long' '$T_DIR/r.body'"
	search "/search?q=$(printf 'w+%.0s' $(seq 17))w"
	check "18 words: 200, too many" bash -c "test $R_STATUS = 200 && grep -q 'too many' '$T_DIR/r.body'"
	search '/search?q=%ZZ'
	check "a bad escape: 200 with a hint" bash -c "test $R_STATUS = 200 && grep -q 'search-hint' '$T_DIR/r.body'"
	for q in 'NEAR(a+b)' 'title%3Azebra' 'zebra*' '%22' 'AND+OR+NOT' '%28%29' '%7B%7D' '%5E'; do
		search "/search?q=$q"
		check "q=$q: 200" test "$R_STATUS" = 200
	done
	search '/search?q=zebra&page=101'
	check "page 101: 200 with a hint" bash -c "test $R_STATUS = 200 && grep -q 'search-hint' '$T_DIR/r.body'"
}
