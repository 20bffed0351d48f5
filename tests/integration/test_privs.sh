#!/bin/bash
# test_privs.sh - started as root with --user nobody --group www-data:
# master and workers run as nobody:www-data with no capability, pages are
# served, a --listen socket is root:www-data 0660; with --group nogroup
# --socket-group www-data quire keeps a group of its own and the web
# server still reaches its sockets, and the committer (write API, with
# PostgreSQL and Redis) accepts quire's own uid alone, not the web server's nor
# root's; without --user a warning; as nobody, --user for someone else is
# refused
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=lib_pg.sh
. "$(dirname "$0")/lib_pg.sh"
# shellcheck source=lib_redis.sh
. "$(dirname "$0")/lib_redis.sh"

if ((EUID != 0)); then
	echo "$T_NAME: SKIP: needs root (it drops privileges)"
	exit 77
fi
if ! getent passwd nobody >/dev/null || ! getent group www-data >/dev/null ||
	! getent group nogroup >/dev/null; then
	echo "$T_NAME: SKIP: no user nobody, or no group www-data or nogroup"
	exit 77
fi
t_init
export QUIRE_WORKERS=2
nobody_uid=$(id -u nobody)
www_gid=$(getent group www-data | cut -d: -f3)
nogroup_gid=$(getent group nogroup | cut -d: -f3)
QUIRECTL=$QUIRE_BUILDDIR/fcgi/quirectl

ids() { proc_ids "$1"; }
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

echo "== --group nogroup --socket-group www-data: a group of quire's own"
# What the units and quickstart do: quire in no group of the web
# server's, its sockets root:www-data 0660 all the same. The write API on
# (a committer needs PostgreSQL), to see who the committer lets in.
start_pg || { fail "postgres did not start"; t_done; }
start_redis || { fail "redis did not start"; t_done; }
copy_test_site
"$QUIRECTL" deploy "$SITE" >"$T_DIR/deploy.out" 2>&1 ||
	fail "quirectl deploy: $(tail -n 3 "$T_DIR/deploy.out")"
printf 'privs-token\n' >"$T_DIR/tokens"
chown nobody "$T_DIR/tokens"
chmod 600 "$T_DIR/tokens"
API_SOCK=$T_DIR/quire-api.sock
rm -f "$QUIRE_SOCK" "$API_SOCK"
QUIRE_CONTENT_DIR=$T_DIR/no-such-dir QUIRE_TEMPLATES_DIR=$QUIRE_SRCDIR/templates \
	QUIRE_SITE_URL=$BASE QUIRE_API_TOKEN_FILE=$T_DIR/tokens \
	"$QUIRE_FCGI" --listen "$QUIRE_SOCK" --api-listen "$API_SOCK" \
	--user nobody --group nogroup --socket-group www-data >>"$QUIRE_LOG" 2>&1 &
QUIRE_PID=$!
T_PIDS+=("$QUIRE_PID")
wait_healthz
for s in "$QUIRE_SOCK" "$API_SOCK"; do
	check "$(basename "$s") is 660 root:www-data (got: $(stat -c '%a %U:%G' "$s" 2>&1))" \
		[ "$(stat -c '%a %U:%G' "$s" 2>&1)" = "660 root:www-data" ]
done
want="$nobody_uid $nogroup_gid $nogroup_gid 0000000000000000"
check_ids "--socket-group"
committer=$(committer_of "$QUIRE_PID")
check "a committer runs (write API and PostgreSQL)" [ -n "$committer" ]
check "... as $want (got: $(ids "$committer"))" [ "$(ids "$committer")" = "$want" ]
expect_body_contains /posts/hello-world FIXTURE-HELLO-BODY
req /api/posts/privs-write -X PUT -H 'Authorization: Bearer privs-token' \
	-H 'Content-Type: text/markdown' --data-binary $'---\ntitle: Privs\n---\nPRIVS-BODY\n'
check "an API write through nginx (www-data) is committed: 201 (got $R_STATUS)" [ "$R_STATUS" = 201 ]
expect_body_contains /posts/privs-write PRIVS-BODY
# The committer's socket is abstract: no file mode guards it, only the
# peer's uid, which must be quire's own, never the web server's.
name=$(abstract_listener "$committer")
check "the committer listens on an abstract socket (@$name)" [ -n "$name" ]
got=$(unix_peer_kept "$name" www-data www-data)
check "the committer hangs up on the web server's user, www-data (got: $got)" [ "$got" = closed ]
got=$(unix_peer_kept "$name")
check "... and on root (got: $got)" [ "$got" = closed ]
check "... saying so in the log" quire_log_has 'event=committer refused a peer of another uid'
got=$(unix_peer_kept "$name" nobody nogroup)
check "... but keeps a peer of quire's own uid, nobody (got: $got)" [ "$got" = kept ]
stop_pid "$QUIRE_PID" quire
stop_pg
stop_redis
unset QUIRE_DATABASE_URL QUIRE_REDIS_URL
want="$nobody_uid $www_gid $www_gid 0000000000000000"

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
check "--help documents --socket-group (QUIRE_SOCKET_GROUP)" \
	[ -n "$(grep -F -- '--socket-group' <<<"$help")" -a -n "$(grep -F QUIRE_SOCKET_GROUP <<<"$help")" ]
out=$("$QUIRE_FCGI" --socket-group www-data --listen "$T_DIR/x.sock" 2>&1)
code=$?
check "--socket-group without --user: exit 2 ($code) ($out)" [ "$code" -eq 2 ]
out=$("$QUIRE_FCGI" --user nobody --socket-group no-such-group-q9 --listen "$T_DIR/x.sock" 2>&1)
code=$?
check "--socket-group unknown: exit 2 ($code) ($out)" [ "$code" -eq 2 ]
t_done
