#!/bin/bash
# test_web_timeouts.sh - the web server waits longer for a write than
# quire takes to answer it (DESIGN §7, "What an answer means")
#
# A client must hear the outcome quire decided: a 2xx, or quire's 503
# "outcome unknown" when the committer did not answer in time. Were the
# web server's read timeout for /api/ the shorter, it would answer 504
# itself first, and the write could still commit after. quire prints
# its bound on answering a write in --help ("answered within N s");
# the rendered nginx and lighttpd configurations must wait longer for
# /api/, with QUIRE_MARGIN_S to spare, so the two cannot drift apart.
# Then the real thing, through both servers at once: the committer
# stopped (SIGSTOP), a PUT through each must get quire's 503, never the
# server's 504; once it runs again (SIGCONT) the write commits.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=lib_pg.sh
. "$(dirname "$0")/lib_pg.sh"

QUIRE_MARGIN_S=10    # at least this much longer than quire's bound
T_TIMEOUT=120        # the committer is held for quire's bound (~35 s)
TOKEN=test-token-$RANDOM$RANDOM

t_init

# seconds VALUE: nginx's "60s", "1m", "500ms" or lighttpd's "60" in s.
seconds() {
	case $1 in
	*ms) echo $((${1%ms} / 1000)) ;;
	*m) echo $((${1%m} * 60)) ;;
	*s) echo "${1%s}" ;;
	*) echo "$1" ;;
	esac
}

# nginx_api_timeout CONF: fastcgi_read_timeout where /api/ is passed: its
# location's own, else the site server's (the first server block).
nginx_api_timeout() {
	awk '
		/^\tserver \{/ { servers++ }
		servers == 1 && /location \/api\/ \{/ { api = 1 }
		servers == 1 && /fastcgi_read_timeout/ {
			v = $2; sub(/;$/, "", v)
			if (api) own = v; else if (!api_seen) srv = v
		}
		api && /^\t\t\}/ { api = 0; api_seen = 1 }
		END { print (own != "" ? own : srv) }
	' "$1"
}

# lighttpd_api_timeout CONF: "read-timeout" of the "/api/" backend ('' when
# it has none).
lighttpd_api_timeout() {
	awk '
		/"\/api\/" => \(\(/ { api = 1 }
		api && /"read-timeout"/ { v = $3; sub(/,$/, "", v); print v }
		api && /\)\),/ { api = 0 }
	' "$1"
}

echo "== quire's bound against the rendered configurations"
help=$("$QUIRE_FCGI" --help)
bound=$(grep -oE 'answered within [0-9]+ s' <<<"$help" | grep -oE '[0-9]+')
check "quire.fcgi --help gives its bound on answering a write (${bound:-none} s)" \
	test -n "$bound"
bound=${bound:-0}
nginx_conf=$T_DIR/nginx-rendered.conf
lighttpd_conf=$T_DIR/lighttpd-rendered.conf
t_render "$QUIRE_SRCDIR/deploy/nginx.conf.in" "$nginx_conf"
t_render "$QUIRE_SRCDIR/deploy/lighttpd.conf.in" "$lighttpd_conf"
v=$(nginx_api_timeout "$nginx_conf")
check "nginx waits for /api/ ${v:-?} > quire's ${bound} s + ${QUIRE_MARGIN_S} s" \
	test "$(seconds "${v:-0}")" -ge $((bound + QUIRE_MARGIN_S))
v=$(lighttpd_api_timeout "$lighttpd_conf")
check "lighttpd waits for /api/ ${v:-(unset)} s > quire's ${bound} s + ${QUIRE_MARGIN_S} s" \
	test "$(seconds "${v:-0}")" -ge $((bound + QUIRE_MARGIN_S))

echo "== a write the committer holds: quire's 503 through both, not a 504"
if ! command -v lighttpd >/dev/null 2>&1; then
	echo "$T_NAME: SKIP: lighttpd is not installed (deploy/install-deps)"
	exit 77
fi
start_pg || { fail "postgresql did not start"; t_done; }
"$QUIRE_BUILDDIR/fcgi/quirectl" migrate >/dev/null 2>&1 ||
	fail "quirectl migrate failed"
t_token_file
QUIRE_WORKERS=2 t_start_stack "$T_DIR/no-such-dir"
# lighttpd beside nginx, on ports of its own.
L_PORT=$(free_port)
L_METRICS_PORT=$(free_port)
"$QUIRE_SRCDIR/deploy/render-conf" "$QUIRE_SRCDIR/deploy/lighttpd.conf.in" \
	"$T_DIR/lighttpd.conf" "$L_PORT" "$T_DIR" "$T_DIR/quire.sock" \
	"$QUIRE_SRCDIR/static" "" "" "$L_METRICS_PORT"
lighttpd -D -f "$T_DIR/lighttpd.conf" >>"$T_DIR/lighttpd.out" 2>&1 &
T_PIDS+=("$!")
for ((i = 0; i < 50; i++)); do
	port_listening "$L_PORT" && break
	sleep 0.1
done
check "lighttpd listens on $L_PORT" port_listening "$L_PORT"

put() { # BASE SLUG OUT: one PUT, "STATUS SECONDS" into OUT
	curl -s -o /dev/null -w '%{http_code} %{time_total}\n' --max-time 120 \
		-X PUT -H "Authorization: Bearer $TOKEN" \
		-H 'Content-Type: text/markdown' \
		--data-binary "$(printf -- '---\ntitle: Held %s\n---\n\nHeld.\n' "$2")" \
		"$1/api/posts/$2" >"$3"
}
put "$BASE" warm "$T_DIR/warm"
read -r code _ <"$T_DIR/warm"
check "a write before: 201 (got $code)" test "$code" = 201

committer=$(committer_of "$QUIRE_PID")
check "the committer runs (${committer:-none})" test -n "$committer"
kill -STOP "$committer"
t_log "committer $committer stopped"
put "$BASE" held-nginx "$T_DIR/held-nginx" &
p1=$!
put "http://127.0.0.1:$L_PORT" held-lighttpd "$T_DIR/held-lighttpd" &
p2=$!
wait "$p1" "$p2"
# Every worker that sent a held write gone before the committer reads
# it: what came whole still commits. The committer once dropped the
# requests of a connection closed before it read them (a CI run saw
# held-nginx, sent by a worker retiring from a reload, never land).
check "the workers that sent them replaced while it is held" \
	reload_and_wait 2 30
kill -CONT "$committer"
t_log "committer $committer running again"
for via in nginx lighttpd; do
	read -r code secs <"$T_DIR/held-$via"
	check "through $via: quire's 503 after ${secs:-?} s, not the server's 504 (got $code)" \
		test "$code" = 503
done
# The held writes commit once the committer runs: the 503 said
# "unknown", and it was. Up to 15 s: on a loaded machine the resumed
# committer first reads a 30 s backlog (5 s was once too short).
for slug in held-nginx held-lighttpd; do
	for ((i = 0; i < 150; i++)); do
		req "/api/posts/$slug" -H "Authorization: Bearer $TOKEN"
		[[ $R_STATUS == 200 ]] && break
		sleep 0.1
	done
	check "$slug committed once the committer ran again (GET: $R_STATUS)" \
		test "$R_STATUS" = 200
done
check "quire logged no crash" not crash_lines
t_done
