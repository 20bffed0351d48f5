#!/bin/bash
# test_clock_skew.sh - a scheduled post appears at one moment everywhere
#
# DESIGN §13 "Clock skew" (issue 15): hosts whose clocks disagree share
# Redis and PostgreSQL. A post dated in the future is hidden until its
# date; in full mode that moment is read from Redis's clock, not each
# worker's, so that no host serves a post another still 404s. Three
# pools against one Redis and PostgreSQL, each with its own nginx: one
# on this machine's clock, one 30 s ahead and one 30 s behind
# (libfaketime, Debian's faketime). A post dated a few seconds ahead is
# deployed; the ahead pool is reloaded meanwhile (its master builds the
# index by its own clock, 30 s ahead); then each pool is sampled every
# 0.2 s: before the date (less the bound) every page and listing hides
# the post, from the date plus the bound on every one shows it, and at
# no moment does one pool's listing show it while its page is 404.
# The bound, 1 s: the workers' offsets to Redis's clock (measured every
# beat) and the second the dates are counted in.
# Before that, the registry: a deploy and a write through each pool are
# acknowledged by all three workers (beats stamped and judged by
# Redis's clock: a host behind is not taken for dead). At the end, the
# behind pool's clock is stepped back 60 s more: it keeps beating.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"
. "$(dirname "$0")/lib_redis.sh"

FAKETIME_LIB=
for f in /usr/lib/*/faketime/libfaketime.so.1 /usr/lib/faketime/libfaketime.so.1; do
	[[ -e $f ]] && FAKETIME_LIB=$f && break
done
if [[ -z $FAKETIME_LIB ]]; then
	echo "$(basename "$0"): SKIP: libfaketime is missing (apt-get install faketime)"
	exit 77
fi
QUIRECTL=${QUIRECTL:-$QUIRE_BUILDDIR/fcgi/quirectl}
TOKEN=test-token-$RANDOM$RANDOM
BOUND=1

t_init
start_tiers
copy_test_site
check "the site is deployed" "$QUIRECTL" deploy "$SITE"
t_token_file
QUIRE_WORKERS=1 t_start_stack "$T_DIR/no-such-dir"
MAIN_BASE=$BASE
MAIN_PID=$QUIRE_PID

# start_pool NAME OFFSET: a pool of one worker and its nginx, quire's
# clock moved by OFFSET (libfaketime's "+30s"); sets NAME_BASE, NAME_PID.
start_pool() {
	local name=$1 offset=$2 dir sock port mport pid i
	local -a owner
	mapfile -t owner < <(socket_owner_args)
	dir=$T_DIR/$name
	mkdir -p "$dir"
	chmod 755 "$dir"
	sock=$dir/quire.sock
	# a file, not FAKETIME: the clock can be stepped while it runs. Under
	# AddressSanitizer the preloaded libfaketime comes before ASan's
	# runtime, which ASan refuses unless told the order is fine.
	echo "$offset" >"$dir/faketime"
	QUIRE_CONTENT_DIR=$T_DIR/no-such-dir QUIRE_SITE_URL=$MAIN_BASE \
	QUIRE_TEMPLATES_DIR=$QUIRE_SRCDIR/templates QUIRE_WORKERS=1 \
	LD_PRELOAD=$FAKETIME_LIB FAKETIME_TIMESTAMP_FILE=$dir/faketime \
	FAKETIME_NO_CACHE=1 FAKETIME_DONT_FAKE_MONOTONIC=1 \
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
		spawn-fcgi -n -s "$sock" -M 0660 "${owner[@]}" -- \
		"$QUIRE_FCGI" >>"$dir/quire.log" 2>&1 &
	pid=$!
	T_PIDS+=("$pid")
	for ((i = 0; i < 50; i++)); do
		[[ -S $sock ]] && break
		sleep 0.1
	done
	port=$(free_port) && mport=$(free_port) || return 1
	"$QUIRE_SRCDIR/deploy/render-conf" "$QUIRE_SRCDIR/deploy/nginx.conf.in" \
		"$dir/nginx.conf" "$port" "$dir" "$sock" \
		"$QUIRE_SRCDIR/static" "" "" "$mport" || return 1
	nginx -c "$dir/nginx.conf" -p "$dir/" -e "$dir/nginx-error.log" \
		>>"$dir/nginx.out" 2>&1 &
	T_PIDS+=("$!")
	printf -v "${name}_BASE" '%s' "http://127.0.0.1:$port"
	printf -v "${name}_PID" '%s' "$pid"
	for ((i = 0; i < 50; i++)); do
		[[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz") == 200 ]] &&
			return 0
		sleep 0.1
	done
	return 1
}
check "a pool 30 s ahead answers" start_pool AHEAD +30s
check "a pool 30 s behind answers" start_pool BEHIND -30s
check "... its clock is 30 s behind (libfaketime works)" \
	test "$(LD_PRELOAD=$FAKETIME_LIB FAKETIME=-30s date +%s)" -le "$(($(date +%s) - 29))"
check "3 workers in the registry" test "$(rcli HLEN quire:workers)" = 3

# The registry is of one clock too: a worker's beat is stamped and
# judged by Redis's, so a host behind is not taken for dead nor a host
# ahead for alive (DESIGN §13, "Clock skew").
sleep 2.5 # a beat of each, by whatever clock it stamps with
deploy_all() {
	"$QUIRECTL" deploy "$SITE" >"$T_DIR/deploy.out" 2>&1
	local rc=$?
	sed 's/^/  quirectl: /' "$T_DIR/deploy.out"
	((rc == 0)) && grep -q '3/3 workers acknowledged' "$T_DIR/deploy.out"
}
printf -- '---\ntitle: PLAIN\ndate: 2024-03-01\n---\nPLAIN-BODY\n' >"$SITE/posts/plain.md"
check "a deploy is acknowledged by the 3 workers, skewed or not" deploy_all
AUTH=(-H "Authorization: Bearer $TOKEN")
for name in MAIN AHEAD BEHIND; do
	base=${name}_BASE
	BASE=${!base} api PUT "/api/posts/api-$name" "${AUTH[@]}" \
		"${MD[@]}" \
		--data-binary "$(post_text "API-$name" "API-BODY-$name")"
	check "a write through $name is acknowledged 3/3" \
		test "$R_STATUS $(header Quire-Acknowledged)" = "201 3/3"
done
BASE=$MAIN_BASE

# The post, dated DUE (this machine's clock, the one Redis runs by).
DUE=$(($(date +%s) + 9))
printf -- '---\ntitle: SKEW-TITLE\ndate: %s\n---\nSKEW-BODY\n' \
	"$(date -u -d "@$DUE" +%Y-%m-%dT%H:%M:%SZ)" >"$SITE/posts/skew-post.md"
check "a post dated 9 s ahead is deployed" "$QUIRECTL" deploy "$SITE"
QUIRE_PID=$AHEAD_PID
check "the ahead pool reloads (its master's index made by its clock)" \
	reload_and_wait 1
QUIRE_PID=$MAIN_PID

# sample: one line per pool and round, "START END NAME PAGE LISTED",
# until DUE + 4 s: the listing first, then the page (a listing that
# shows the post and then a page that is 404 is torn; the other way
# round the post may just have come due between them).
sample() {
	local start name base code listed
	while :; do
		start=$(date +%s.%N)
		[[ ${start%.*} -ge $((DUE + 4)) ]] && break
		for name in MAIN AHEAD BEHIND; do
			base=${name}_BASE
			start=$(date +%s.%N)
			# not curl | grep -q: grep leaving early fails curl,
			# and so the pipe (pipefail)
			listed=$(curl -s --max-time 2 "${!base}/posts/")
			[[ $listed == *'"/posts/skew-post"'* ]] && listed=1 || listed=0
			code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
				"${!base}/posts/skew-post")
			printf '%s %s %s %s %s\n' "$start" "$(date +%s.%N)" \
				"$name" "$code" "$listed"
		done
		sleep 0.2
	done >"$T_DIR/samples"
}
sample
t_log "$(wc -l <"$T_DIR/samples") samples from $(head -1 "$T_DIR/samples" | cut -d' ' -f1) to $(tail -1 "$T_DIR/samples" | cut -d' ' -f1), due $DUE"
for name in MAIN AHEAD BEHIND; do
	t_log "$name first served it in $(awk -v n="$name" '$3 == n && $4 == 200 { print $1 "-" $2; exit }' "$T_DIR/samples")"
done

# violations KIND: the samples that break the model, to the log.
violations() {
	awk -v due="$DUE" -v b="$BOUND" -v kind="$1" '
	kind == "early" && $2 < due - b && ($4 != 404 || $5 != 0) { print; n++ }
	kind == "late" && $1 >= due + b && ($4 != 200 || $5 != 1) { print; n++ }
	kind == "torn" && $4 == 404 && $5 == 1 { print; n++ }
	END { exit n > 0 }' "$T_DIR/samples" | head -5 | sed 's/^/  /'
	return "${PIPESTATUS[0]}"
}
check "samples before the date, and after the date + ${BOUND} s" \
	test "$(awk -v due="$DUE" -v b="$BOUND" '$2 < due - b { e++ } $1 >= due + b { l++ } END { print (e > 5 && l > 5) }' "$T_DIR/samples")" = 1
check "no pool shows the post before its date (less ${BOUND} s)" violations early
check "every pool shows it from its date + ${BOUND} s" violations late
check "no pool lists it while its page is 404" violations torn
# A host's clock stepped back (NTP, an operator): the worker keeps its
# beat (and its generation comparisons), timed by the monotonic clock,
# and its entry stays live by Redis's.
echo -90s >"$T_DIR/BEHIND/faketime"
t_log "the behind pool's clock stepped back 60 s more"
sleep 12
# beat_age PID: seconds since the entry of worker PID was stamped, by
# Redis's clock.
beat_age() {
	local stamp now
	stamp=$(rcli HGETALL quire:workers | grep -A1 ":$1\$" | tail -1 | cut -d' ' -f2)
	now=$(rcli TIME | head -1)
	t_log "worker $1: stamped $stamp, Redis's time $now" >&2
	[[ -n $stamp ]] && echo $((now - stamp))
}
check "a worker whose clock stepped back 60 s still beats (entry < 4 s old)" \
	test "$(beat_age "$(workers_of "$BEHIND_PID")")" -lt 4
# A worker that starts while Redis cannot be asked (a replacement during
# a Redis restart) has measured nothing: it goes by the offset its
# pool's other worker measured (the host's monotonic clock is one for
# every process), not by its host's wall clock, 30 s ahead here. Before,
# it published a post dated 20 s ahead at once (the checker's seed 718).
# sample_later WHO MARGIN: the ahead pool's answers for later-post, 20
# at most, while DUE2 is more than MARGIN seconds away, into $codes.
sample_later() {
	local i
	codes=
	for ((i = 0; i < 20 && $(date +%s) < DUE2 - $2; i++)); do
		codes+=" $(curl -s -o /dev/null -w '%{http_code}' "$AHEAD_BASE/posts/later-post")"
		sleep 0.1
	done
	t_log "$1, before the post's date:$codes"
}
DUE2=$(($(date +%s) + 20))
printf -- '---\ntitle: LATER-TITLE\ndate: %s\n---\nLATER-BODY\n' \
	"$(date -u -d "@$DUE2" +%Y-%m-%dT%H:%M:%SZ)" >"$SITE/posts/later-post.md"
check "a post dated 20 s ahead is deployed" "$QUIRECTL" deploy "$SITE"
old_worker=$(workers_of "$AHEAD_PID")
stop_redis
kill -9 "$old_worker"
new_worker=
for ((i = 0; i < 100; i++)); do
	new_worker=$(workers_of "$AHEAD_PID")
	[[ -n $new_worker && $new_worker != "$old_worker" ]] && break
	sleep 0.1
done
check "the ahead pool forks a new worker while Redis is down ($old_worker -> $new_worker)" \
	test -n "$new_worker" -a "$new_worker" != "$old_worker"
sample_later "the new worker" 3
check "... it hides the post before its date (no 200 in:$codes)" \
	test -n "$codes" -a "${codes/200/}" = "$codes"
check "... and says whose clock it goes by" \
	grep -q "pid=$new_worker event=clock .*the offset another worker" "$T_DIR/AHEAD/quire.log"
# The same across a binary upgrade (SIGUSR2: the master execs itself,
# Redis still down): the new image's workers take the offset the old
# master handed over, not the host's clock.
kill -USR2 "$AHEAD_PID"
up_worker=
for ((i = 0; i < 100; i++)); do
	up_worker=$(workers_of "$AHEAD_PID")
	# the old image's worker retired: only the new one answers
	[[ -n $up_worker && $up_worker != *"$new_worker"* ]] && break
	sleep 0.1
done
check "the ahead pool upgrades in place while Redis is down ($new_worker -> $up_worker)" \
	test -n "$up_worker" -a "${up_worker/$new_worker/}" = "$up_worker"
sample_later "the upgraded worker" 2
check "... its worker hides the post before its date too (no 200 in:$codes)" \
	test -n "$codes" -a "${codes/200/}" = "$codes"
check "Redis is back" start_redis_again

check "no worker crashed" test -z "$(crash_lines)"
check "no worker of the skewed pools crashed" \
	not grep -Eq 'AddressSanitizer|runtime error|Segmentation|died on signal' \
	"$T_DIR/AHEAD/quire.log" "$T_DIR/BEHIND/quire.log"
t_done
