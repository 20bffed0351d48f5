#!/bin/bash
# test_upgrade.sh - SIGUSR2 under load: the binary is replaced (cp + mv)
# and the master executes it again, twice, 2 s apart, with no failed
# request; same master PID, new workers running the new file, the write
# API's own socket (--api-listen) handed over too; a broken binary is
# refused and the old one serves on; SIGTERM still exits 0
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

t_init
T_API_SOCK=1
export QUIRE_WORKERS=2
unset QUIRE_POSTS_PER_PAGE QUIRE_ENABLE_DRAFTS

# quire runs from a copy that this test replaces; as root it runs as
# nobody:www-data, the way it is deployed (the re-executed image starts
# unprivileged).
bindir=$T_DIR/bin
mkdir -p "$bindir"
chmod 755 "$bindir"
build=$QUIRE_FCGI
QUIRE_FCGI=$bindir/quire.fcgi
cp "$build" "$QUIRE_FCGI"
args=()
((EUID == 0)) && args=(--user nobody --group www-data)
t_start_stack "$T_SITE" "${args[@]}"
master=$QUIRE_PID
api_ino=$(stat -c %i "$(t_api_sock)")

# replace_binary [SOURCE]: an atomic swap, as a package manager does it.
replace_binary() {
	cp "${1:-$build}" "$bindir/.quire.fcgi.new" && chmod 755 "$bindir/.quire.fcgi.new" &&
		mv -f "$bindir/.quire.fcgi.new" "$QUIRE_FCGI"
}
# wait_workers_not OLD...: until QUIRE_WORKERS workers run and none is in
# OLD (at most 5 s); prints them.
wait_workers_not() {
	local now i w fresh
	for ((i = 0; i < 50; i++)); do
		now=$(quire_workers | tr '\n' ' ')
		fresh=1
		for w in "$@"; do
			[[ " $now " == *" $w "* ]] && fresh=0
		done
		(($(wc -w <<<"$now") == QUIRE_WORKERS && fresh)) && break
		sleep 0.1
	done
	echo "$now"
}
inode() { stat -Lc %i "$1" 2>/dev/null; }

gen0=$(quire_workers | tr '\n' ' ')
t_log "master $master, workers: $gen0"

echo "== two upgrades under wrk -t2 -c16 -d6s"
wrk -t2 -c16 -d6s --timeout 5s "$BASE/posts/hello-world" >"$T_DIR/wrk.out" 2>&1 &
wrk_pid=$!
T_PIDS+=("$wrk_pid")
sleep 1
replace_binary
kill -USR2 "$master"
read -ra old <<<"$gen0"
gen1=$(wait_workers_not "${old[@]}")
t_log "after the first upgrade: $gen1"
sleep 2
replace_binary
ino=$(inode "$QUIRE_FCGI")
kill -USR2 "$master"
read -ra old <<<"$gen0 $gen1"
gen2=$(wait_workers_not "${old[@]}")
t_log "after the second upgrade: $gen2 (binary inode $ino)"
wait "$wrk_pid"
wrk_status=$?
sed 's/^/  wrk: /' "$T_DIR/wrk.out"
check "wrk exited 0" [ "$wrk_status" -eq 0 ]
requests=$(sed -n 's/^ *\([0-9][0-9]*\) requests in .*/\1/p' "$T_DIR/wrk.out")
check "wrk completed requests (${requests:-none})" [ "${requests:-0}" -gt 0 ]
non2xx=$(sed -n 's/^ *Non-2xx or 3xx responses: *\([0-9][0-9]*\).*/\1/p' "$T_DIR/wrk.out")
upstream_errors=$(grep -c 'upstream' "$T_DIR/nginx-error.log" 2>/dev/null)
check "no non-2xx/3xx responses during upgrades (${non2xx:-0}; nginx logged ${upstream_errors:-0} upstream errors)" \
	[ "${non2xx:-0}" -eq 0 ]
sockerr=$(grep -E '^ *Socket errors:' "$T_DIR/wrk.out")
sockerr_sum=$(grep -oE '[0-9]+' <<<"$sockerr" | awk '{ s += $1 } END { print s + 0 }')
check "no socket errors during upgrades (${sockerr:-none})" [ "$sockerr_sum" -eq 0 ]

check "the master kept its PID ($master)" kill -0 "$master"
check "the master executed itself twice" \
	[ "$(grep -c "pid=$master event=upgrade running " "$QUIRE_LOG")" -eq 2 ]
check "each time it retired the previous workers" \
	[ "$(grep -c "pid=$master event=upgrade retiring workers=" "$QUIRE_LOG")" -eq 2 ]
check "the master runs the new file (inode $ino, /proc/$master/exe $(inode "/proc/$master/exe"))" \
	[ "$(inode "/proc/$master/exe")" = "$ino" ]
check "first upgrade: $QUIRE_WORKERS new workers ($gen0-> $gen1)" [ "$(wc -w <<<"$gen1")" -eq "$QUIRE_WORKERS" ]
check "second upgrade: $QUIRE_WORKERS new workers ($gen1-> $gen2)" [ "$(wc -w <<<"$gen2")" -eq "$QUIRE_WORKERS" ]
all_new=1
for w in $gen2; do
	[[ $(inode "/proc/$w/exe") == "$ino" ]] || all_new=0
done
check "every worker runs the new file" [ "$all_new" = 1 ]
left=
for w in $gen0 $gen1; do
	kill -0 "$w" 2>/dev/null && left+=" $w"
done
check "the old workers are gone${left:+ (left:$left)}" [ -z "$left" ]
check "no crash in the log" not crash_lines
if ((EUID == 0)); then
	check "the re-executed master is still nobody" \
		[ "$(awk '/^Uid:/ { print $2 $3 $4 $5 }' "/proc/$master/status")" = "$(id -u nobody)$(id -u nobody)$(id -u nobody)$(id -u nobody)" ]
fi
expect_body_contains /posts/hello-world FIXTURE-HELLO-BODY
check "the API's socket is the one handed over (inode $api_ino)" \
	[ "$(stat -c %i "$(t_api_sock)")" = "$api_ino" ]
expect_body_contains /api/posts/hello-world "the write API is off"

echo "== a broken binary is refused: the old one serves on"
printf '#!/bin/sh\nexit 3\n' >"$T_DIR/broken"
replace_binary "$T_DIR/broken"
kill -USR2 "$master"
refused=0
for ((i = 0; i < 50; i++)); do
	quire_log_has 'event=upgrade .*failed: status=3.*still running the old binary' && { refused=1; break; }
	sleep 0.1
done
check "the pre-flight refused it (log)" [ "$refused" = 1 ]
check "the workers did not change" [ "$(quire_workers | tr '\n' ' ')" = "$gen2" ]
expect_body_contains /posts/hello-world FIXTURE-HELLO-BODY
# And a missing file: execv would fail; the pre-flight already does.
rm -f "$QUIRE_FCGI"
kill -USR2 "$master"
sleep 0.5
check "a missing binary: the master is still up" kill -0 "$master"
expect_status /healthz 200

echo "== SIGTERM: the master exits 0, workers with it"
expect_graceful_stop "$master" "$gen2"
t_done
