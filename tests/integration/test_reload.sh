#!/bin/bash
# test_reload.sh - SIGHUP under load, edits seen by every worker, a broken
# edit keeps the good version, a killed worker is replaced, SIGTERM exits 0
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

t_init
export QUIRE_WORKERS=2
unset QUIRE_POSTS_PER_PAGE QUIRE_ENABLE_DRAFTS

# A copy of the fixture site (and templates) that this test may edit.
site=$T_DIR/site
cp -R "$T_SITE" "$site"
export QUIRE_TEMPLATES_DIR=$T_DIR/templates
cp -R "$QUIRE_SRCDIR/templates" "$QUIRE_TEMPLATES_DIR"
post=$site/posts/2024-01-10-hello-world.md
t_start_stack "$site"
master=$QUIRE_PID

# round PATH N: N requests for PATH, 8 at a time, each a distinct unknown
# query parameter (same page). Writes
# $T_DIR/round.out as "status|worker|body-file" lines, bodies to $T_DIR/round/.
round() {
	rm -rf "$T_DIR/round"
	mkdir -p "$T_DIR/round"
	curl -s --no-progress-meter --parallel --parallel-max 8 --max-time 10 \
		"$BASE$1?n=[1-$2]" -o "$T_DIR/round/b_#1" \
		-w '%{http_code}|%header{x-quire-worker}|%{filename_effective}\n' \
		>"$T_DIR/round.out" 2>/dev/null
}
# round_all_have STRING: every answer of the last round is 200 with STRING.
round_all_have() {
	local code w f
	while IFS='|' read -r code w f; do
		[[ $code == 200 ]] || return 1
		grep -qF -- "$1" "$f" || return 1
	done <"$T_DIR/round.out"
	[[ -s $T_DIR/round.out ]]
}
# round_workers: the distinct worker PIDs of the last round.
round_workers() { awk -F'|' '{ print $2 }' "$T_DIR/round.out" | sort -nu | tr '\n' ' '; }
# round_summary: "status xCOUNT" pairs, for messages.
round_summary() { awk -F'|' '{ print $1 }' "$T_DIR/round.out" | sort | uniq -c | tr -s ' \n' ' '; }

echo "== SIGHUP every 0.5 s under wrk -t2 -c16 -d6s"
wrk -t2 -c16 -d6s --timeout 5s "$BASE/posts/hello-world" >"$T_DIR/wrk.out" 2>&1 &
wrk_pid=$!
T_PIDS+=("$wrk_pid")
sleep 0.25
hups=0
while kill -0 "$wrk_pid" 2>/dev/null && ((hups < 14)); do
	kill -HUP "$master" 2>/dev/null && hups=$((hups + 1))
	sleep 0.5
done
wait "$wrk_pid"
wrk_status=$?
sed 's/^/  wrk: /' "$T_DIR/wrk.out"
check "wrk exited 0" [ "$wrk_status" -eq 0 ]
check "sent $hups SIGHUPs during the run (>= 10)" [ "$hups" -ge 10 ]
requests=$(sed -n 's/^ *\([0-9][0-9]*\) requests in .*/\1/p' "$T_DIR/wrk.out")
check "wrk completed requests (${requests:-none})" [ "${requests:-0}" -gt 0 ]
non2xx=$(sed -n 's/^ *Non-2xx or 3xx responses: *\([0-9][0-9]*\).*/\1/p' "$T_DIR/wrk.out")
upstream_errors=$(grep -c 'upstream' "$T_DIR/nginx-error.log" 2>/dev/null)
check "no non-2xx/3xx responses during reloads (${non2xx:-0}; nginx logged ${upstream_errors:-0} upstream errors)" \
	[ "${non2xx:-0}" -eq 0 ]
sockerr=$(grep -E '^ *Socket errors:' "$T_DIR/wrk.out")
sockerr_sum=$(grep -oE '[0-9]+' <<<"$sockerr" | awk '{ s += $1 } END { print s + 0 }')
check "no socket errors during reloads (${sockerr:-none})" [ "$sockerr_sum" -eq 0 ]
check "the master ($master) survived the SIGHUPs" kill -0 "$master"
expect_status /healthz 200

echo "== an edit plus SIGHUP is served by every worker"
marker="FIXTURE-HELLO-EDITED-$RANDOM$RANDOM"
sed -i "s/FIXTURE-HELLO-BODY/$marker/" "$post"
for f in "$QUIRE_TEMPLATES_DIR"/*.html; do
	printf '<!-- FIXTURE-TEMPLATE-EDITED -->\n' >>"$f"
done
kill -HUP "$master"
# Reloading takes a moment; after 5 s every worker must have it.
seen_new=0
for ((i = 0; i < 50; i++)); do
	round /posts/hello-world 16
	if round_all_have "$marker"; then
		seen_new=1
		break
	fi
	sleep 0.1
done
check "within 5 s of SIGHUP every response has the edit (last round: $(round_summary))" [ "$seen_new" = 1 ]
workers=$(quire_workers | tr '\n' ' ')
seen=
for ((i = 0; i < 5; i++)); do
	round /posts/hello-world 40
	round_all_have "$marker" || break
	seen+=" $(round_workers)"
	all_seen=1
	for w in $workers; do
		[[ " $seen " == *" $w "* ]] || all_seen=0
	done
	((all_seen)) && break
done
check "40-request rounds: all 200 with the edit ($(round_summary))" round_all_have "$marker"
check "every worker ($workers) answered with the edit (seen:$(tr ' ' '\n' <<<"$seen" | sort -nu | tr '\n' ' '))" \
	[ "${all_seen:-0}" = 1 ]
check "no response still has the old text" not grep -rqF FIXTURE-HELLO-BODY "$T_DIR/round"
expect_body_contains /posts/hello-world FIXTURE-TEMPLATE-EDITED

echo "== a broken edit keeps the good version"
good=$marker
cat >"$post" <<'EOF'
---
title: [this yaml is broken
tags: {
---
FIXTURE-BROKEN-EDIT
EOF
kill -HUP "$master"
sleep 1.5
round /posts/hello-world 24
check "after a broken edit: all 200 with the last good text ($(round_summary))" round_all_have "$good"
check "the broken text is never served" not grep -rqF FIXTURE-BROKEN-EDIT "$T_DIR/round"
check "quire logged the broken file as path:line:column: message" \
	quire_log_has '2024-01-10-hello-world\.md:[0-9]+:[0-9]+: .'
expect_status /posts/second 200

echo "== kill -9 a worker: the master starts another"
before=$(quire_workers | tr '\n' ' ')
victim=$(quire_workers | head -n1)
t_log "workers: $before; killing $victim"
if [[ -n $victim ]]; then
	kill -KILL "$victim"
	replaced=0
	for ((i = 0; i < 50; i++)); do
		now=$(quire_workers | tr '\n' ' ')
		count=$(wc -w <<<"$now")
		if [[ " $now " != *" $victim "* ]] && ((count == QUIRE_WORKERS)); then
			replaced=1
			break
		fi
		sleep 0.1
	done
	check "a new worker replaced $victim within 5 s (now: $now)" [ "$replaced" = 1 ]
	round /posts/second 24
	check "requests keep succeeding after the kill ($(round_summary))" round_all_have FIXTURE-SECOND-BODY
	new=$(quire_workers | grep -vxF -f <(tr ' ' '\n' <<<"$before" | grep .) | head -n1)
	if [[ -n $new ]]; then
		seen=
		for ((i = 0; i < 5; i++)); do
			round /posts/second 40
			seen+=" $(round_workers)"
			[[ " $seen " == *" $new "* ]] && break
		done
		check "the new worker $new serves requests" grep -qw -- "$new" <<<"$seen"
	fi
	check "the master is still $master" kill -0 "$master"
else
	fail "no worker to kill (master $master has no children)"
fi

echo "== SIGTERM: the master exits 0, workers with it"
expect_graceful_stop "$master" "$(quire_workers)"
t_done
