#!/bin/bash
# test_privs.sh - started as root with --user nobody --group www-data:
# master and workers run as nobody:www-data with no capability, pages are
# served, a --listen socket is root:www-data 0660; without --user a
# warning; as nobody, --user for someone else is refused
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

if ((EUID != 0)); then
	echo "$T_NAME: SKIP: needs root (it drops privileges)"
	exit 77
fi
if ! getent passwd nobody >/dev/null || ! getent group www-data >/dev/null; then
	echo "$T_NAME: SKIP: no user nobody or group www-data"
	exit 77
fi
t_init
export QUIRE_WORKERS=2
nobody_uid=$(id -u nobody)
www_gid=$(getent group www-data | cut -d: -f3)

# ids PID: "uid gid groups caps" from /proc/PID/status (real uid and
# gid; every field of a line must agree).
ids() {
	awk '
		/^Uid:/ { u = ($2 == $3 && $3 == $4 && $4 == $5) ? $2 : "mixed:" $2 $3 $4 $5 }
		/^Gid:/ { g = ($2 == $3 && $3 == $4 && $4 == $5) ? $2 : "mixed:" $2 $3 $4 $5 }
		/^Groups:/ { $1 = ""; gr = $0; sub(/^ +/, "", gr); sub(/ +$/, "", gr) }
		/^CapEff:/ { c = $2 }
		END { printf "%s %s %s %s\n", u, g, (gr == "" ? "-" : gr), c }
	' "/proc/$1/status" 2>/dev/null
}
want="$nobody_uid $www_gid $www_gid 0000000000000000"

# check_ids: the master and each of its workers run as nobody:www-data.
check_ids() {
	local what=$1 w n=0
	check "$what: master $QUIRE_PID runs as $want (got: $(ids "$QUIRE_PID"))" \
		[ "$(ids "$QUIRE_PID")" = "$want" ]
	for w in $(quire_workers); do
		n=$((n + 1))
		check "$what: worker $w runs as $want (got: $(ids "$w"))" [ "$(ids "$w")" = "$want" ]
	done
	check "$what: $n workers (want $QUIRE_WORKERS)" [ "$n" -eq "$QUIRE_WORKERS" ]
}

echo "== under spawn-fcgi (socket on fd 0), --user nobody --group www-data"
t_start_stack "$T_SITE" --user nobody --group www-data
check_ids "spawn-fcgi"
expect_status / 200
expect_body_contains /posts/hello-world FIXTURE-HELLO-BODY
check "the log says who it runs as" quire_log_has 'event=privs running as user="nobody" uid='"$nobody_uid"' group="www-data"'
check "no warning about root" not quire_log_has 'running as root'
# A reload reads the content again, now as nobody.
kill -HUP "$QUIRE_PID"
sleep 1
check_ids "after SIGHUP"
expect_status /posts/hello-world 200

echo "== --listen: quire opens the socket itself, root:www-data 0660"
stop_pid "$QUIRE_PID" quire
rm -f "$QUIRE_SOCK"
QUIRE_CONTENT_DIR=$T_SITE QUIRE_TEMPLATES_DIR=$QUIRE_SRCDIR/templates QUIRE_SITE_URL=$BASE \
	"$QUIRE_FCGI" --listen "$QUIRE_SOCK" --user nobody --group www-data \
	>>"$QUIRE_LOG" 2>&1 &
QUIRE_PID=$!
T_PIDS+=("$QUIRE_PID")
wait_healthz
check "socket mode and owner are 660 root:www-data (got: $(stat -c '%a %U:%G' "$QUIRE_SOCK"))" \
	[ "$(stat -c '%a %U:%G' "$QUIRE_SOCK")" = "660 root:www-data" ]
check_ids "--listen"
expect_body_contains /posts/hello-world FIXTURE-HELLO-BODY
stop_pid "$QUIRE_PID" quire
check "quire stopped on SIGTERM" not kill -0 "$QUIRE_PID"

echo "== root without --user: served, with a warning"
log=$T_DIR/root.log
"$QUIRE_FCGI" --listen "$T_DIR/root.sock" --workers 1 --content-dir "$T_SITE" \
	--templates-dir "$QUIRE_SRCDIR/templates" >"$log" 2>&1 &
pid=$!
T_PIDS+=("$pid")
for ((i = 0; i < 50; i++)); do
	grep -q 'event=master_start' "$log" && break
	sleep 0.1
done
check "warns: running as root" grep -q 'warn .*event=privs running as root' "$log"
check "and still runs" kill -0 "$pid"
stop_pid "$pid" quire-root

echo "== refusals"
out=$("$QUIRE_FCGI" --user no-such-user-q9 --listen "$T_DIR/x.sock" 2>&1)
code=$?
check "unknown user: exit 2 ($code), says so ($out)" \
	[ "$code" -eq 2 -a -n "$(grep -F 'no such user "no-such-user-q9"' <<<"$out")" ]
out=$("$QUIRE_FCGI" --user root --listen "$T_DIR/x.sock" 2>&1)
code=$?
check "--user root: exit 2 ($code) ($out)" [ "$code" -eq 2 ]
out=$(QUIRE_USER=nobody QUIRE_GROUP=no-such-group-q9 "$QUIRE_FCGI" 2>&1)
code=$?
check "QUIRE_GROUP unknown: exit 2 ($code) ($out)" [ "$code" -eq 2 ]
# Not root: --user must be who we are already.
nodir=$T_DIR/nobody
mkdir "$nodir" && chown nobody "$nodir"
out=$(setpriv --reuid=nobody --regid=www-data --clear-groups \
	"$QUIRE_FCGI" --user www-data --listen "$nodir/a.sock" --workers 0 \
	--content-dir "$T_SITE" --templates-dir "$QUIRE_SRCDIR/templates" 2>&1)
code=$?
check "as nobody, --user www-data: exit 1 ($code), says why ($out)" \
	[ "$code" -eq 1 -a -n "$(grep -F 'needs root or that user' <<<"$out")" ]
check "and it did not serve" not grep -q 'worker_start' <<<"$out"
help=$("$QUIRE_FCGI" --help)
check "--help documents --user and --group" \
	grep -q -- '--user NAME.*' <<<"$help"
check "--help names QUIRE_USER and QUIRE_GROUP" \
	[ -n "$(grep -F QUIRE_USER <<<"$help")" -a -n "$(grep -F QUIRE_GROUP <<<"$help")" ]
t_done
