#!/bin/bash
# test_api_socket.sh - the write API's own socket (--api-listen): made
# with the owner and mode of the first, /api/ reaches it through nginx
# and lighttpd, and a worker takes the pages' connections first, with
# one of the API's after every 8 while both wait (connections queued
# while the only worker is stopped, the order read from its debug log)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

t_init
T_API_SOCK=1
export QUIRE_WORKERS=1 QUIRE_LOG_LEVEL=debug
unset QUIRE_API_TOKEN_FILE QUIRE_DATABASE_URL QUIRE_REDIS_URL
t_start_stack
api_sock=$(t_api_sock)

echo "== the socket"
check "quire made $api_sock" [ -S "$api_sock" ]
check "with the owner, group and mode of quire.sock ($(stat -c '%U:%G %a' "$QUIRE_SOCK"))" \
	[ "$(stat -c '%U:%G %a' "$api_sock")" = "$(stat -c '%U:%G %a' "$QUIRE_SOCK")" ]

echo "== /api/ goes to it, the rest to the first"
accepts() { # the sockets of the accept lines logged since mark_log
	tail -n +"$MARK" "$QUIRE_LOG" | sed -n 's/.* event=accept socket=\([a-z]*\).*/\1/p' | tr '\n' ' '
}
mark_log() { MARK=$(($(wc -l <"$QUIRE_LOG") + 1)); }
mark_log
expect_status /api/posts/hello-world 404
expect_body_contains /api/posts/hello-world "the write API is off"
expect_status /posts/hello-world 200
check "accepted on api, api, then pages ($(accepts))" [ "$(accepts)" = "api api pages " ]

echo "== the pages first, one of the API's in 8"
worker=$(quire_workers)
check "one worker ($worker)" [ "$(wc -w <<<"$worker")" -eq 1 ]
# An API request first: the worker's count of pages since starts at 0.
expect_status /api/posts/hello-world 404
mark_log
kill -STOP "$worker"
pids=()
for i in 1 2 3; do
	curl -s -o /dev/null "$BASE/api/posts/q$i" &
	pids+=($!)
done
sleep 0.3
for i in $(seq 9); do
	curl -s -o /dev/null "$BASE/posts/hello-world?n=$i" &
	pids+=($!)
done
T_PIDS+=("${pids[@]}")
# Until nginx has connected all 12 (ss: a listening socket's Recv-Q is
# its accept queue), 10 s at most.
queued() {
	ss -xlnH 2>/dev/null | awk -v a="$QUIRE_SOCK" -v b="$api_sock" \
		'$5 == a || $5 == b { n += $3 } END { print n + 0 }'
}
for ((i = 0; i < 100; i++)); do
	[[ $(queued) -ge 12 ]] && break
	sleep 0.1
done
check "12 connections wait in the two backlogs ($(queued))" [ "$(queued)" -eq 12 ]
kill -CONT "$worker"
for p in "${pids[@]}"; do wait "$p"; done
order=$(accepts)
t_log "accept order: $order"
check "8 of the pages, 1 of the API's, the last page, the other 2 of the API's" \
	[ "$order" = "pages pages pages pages pages pages pages pages api pages api api " ]

echo "== lighttpd sends /api/ there too"
if command -v lighttpd >/dev/null 2>&1; then
	stop_pid "$HTTPD_PID" nginx
	start_lighttpd || fail "lighttpd did not start"
	wait_healthz
	mark_log
	expect_status /api/posts/hello-world 404
	expect_status /posts/hello-world 200
	check "accepted on api, then pages ($(accepts))" [ "$(accepts)" = "api pages " ]
else
	echo "skipped: lighttpd is not installed (deploy/install-deps)"
fi
check "no crash in the log" not crash_lines
t_done
