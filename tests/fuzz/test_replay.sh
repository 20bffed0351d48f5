#!/bin/sh
# test_replay.sh - make check: every seed and every regression input of
# each fuzz target through its replay program (built with gcc, no
# libFuzzer), so a crash once found stays fixed.
set -u
src=${QUIRE_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${QUIRE_BUILDDIR:-$src}
fail=0
for t in frontmatter markdown template uri redis_codec content commit_wire api html_sanitize import siteconf search_query preview; do
	bin=$build/tests/fuzz/replay_$t
	if [ ! -x "$bin" ]; then
		echo "FAIL: $bin not built"
		fail=1
		continue
	fi
	# The shipped templates are the template target's seeds too.
	extra=
	[ "$t" = template ] && extra=$src/templates
	# shellcheck disable=SC2086 # $extra: no word or one path
	if ! "$bin" "$src/tests/fuzz/corpus/$t" "$src/tests/fuzz/regression/$t" $extra; then
		echo "FAIL: replay_$t"
		fail=1
	fi
done
exit $fail
