#!/bin/bash
# test_api_alone.sh - the write API of a quire with no master
# (--workers 0) while Redis is down
#
# DESIGN §2 and §7: with --workers 0 the one process commits its writes
# itself. When it cannot tell Redis, there is no master to ask for a
# reload: the process must bring its own state up to date, and signal
# nobody. Its parent here is a small python program that records the
# signals it gets (quire used to send SIGHUP to whatever started it: a
# shell, spawn-fcgi, systemd). Redis comes back from a snapshot taken
# before the outage, with the old copy of the post written meanwhile:
# the process must store what it could not announce, and serve it.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=lib_pg.sh
. "$(dirname "$0")/lib_pg.sh"
# shellcheck source=lib_redis.sh
. "$(dirname "$0")/lib_redis.sh"

QUIRECTL=${QUIRECTL:-$QUIRE_BUILDDIR/fcgi/quirectl}
TOKEN=test-token-$RANDOM$RANDOM
SERVE_S=5          # a write is served within this long

t_init
start_tiers
copy_test_site
"$QUIRECTL" deploy "$SITE" >/dev/null 2>&1 || fail "the first deploy failed"
t_token_file

# The parent: records each SIGHUP in $T_HUPS, runs quire.fcgi (its
# arguments) as its child with the listening socket spawn-fcgi gave it
# on fd 0, passes SIGTERM on, and exits with the child's status.
cat >"$T_DIR/parent.py" <<'PY'
#!/usr/bin/python3
import os, signal, subprocess, sys
hups = os.environ["T_HUPS"]
def on_hup(sig, frame):
    with open(hups, "a") as f:
        f.write("HUP\n")
signal.signal(signal.SIGHUP, on_hup)
child = subprocess.Popen(sys.argv[1:])
def on_term(sig, frame):
    child.send_signal(sig)
signal.signal(signal.SIGTERM, on_term)
signal.signal(signal.SIGINT, on_term)
sys.exit(child.wait())
PY
chmod 755 "$T_DIR/parent.py"
export T_HUPS=$T_DIR/hups
: >"$T_HUPS"
REAL_FCGI=$QUIRE_FCGI
if ! QUIRE_FCGI=$T_DIR/parent.py QUIRE_WORKERS=0 start_quire "$T_DIR/no-such-dir" \
	"$REAL_FCGI" || ! start_nginx || ! wait_healthz; then
	fail "the stack did not start"
	t_done
fi
PARENT=$QUIRE_PID
CHILD=$(children "$PARENT")
check "quire runs under the parent ($PARENT), alone ($CHILD)" \
	test "$(wc -w <<<"$CHILD")" = 1 -a -z "$(children "$CHILD")"

put() { # SLUG VERSION: prints the status
	curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X PUT \
		-H "Authorization: Bearer $TOKEN" -H "Content-Type: text/markdown" \
		--data-binary "$(printf -- '---\ntitle: A %s v%s\n---\n\nBody MARK-%s-v%s-END.\n' \
			"$1" "$2" "$1" "$2")" "$BASE/api/posts/$1"
}
# serves_within PATH STRING: GET PATH answers 200 with STRING within
# SERVE_S; prints the milliseconds it took.
serves_within() {
	local t0 i
	t0=$(date +%s%3N)
	for ((i = 0; i < SERVE_S * 10; i++)); do
		req "$1"
		if [[ $R_STATUS == 200 ]] && grep -Fq -- "$2" "$T_DIR/r.body"; then
			echo "$(($(date +%s%3N) - t0)) ms"
			return 0
		fi
		sleep 0.1
	done
	echo "not in ${SERVE_S}s (last: $R_STATUS)"
	return 1
}
serves() { # PATH STRING: check, with the time it took
	local out
	if out=$(serves_within "$1" "$2"); then
		ok "$1 serves '$2' ($out)"
	else
		fail "$1 does not serve '$2' ($out)$(body_hint)"
	fi
}

echo "== with Redis"
code=$(put alone 1)
check "a write: 201 (got $code)" test "$code" = 201
serves /posts/alone MARK-alone-v1-END
check "Redis saved its snapshot" rcli SAVE

echo "== Redis down"
stop_redis
code=$(put alone 2)
check "a write while Redis is down: 200 (got $code)" test "$code" = 200
code=$(put alone-new 1)
check "a new post while Redis is down: 201 (got $code)" test "$code" = 201
serves /posts/alone MARK-alone-v2-END
serves /posts/alone-new MARK-alone-new-v1-END
check "quire still runs ($CHILD)" kill -0 "$CHILD"
check "the parent got no SIGHUP ($(grep -c HUP "$T_HUPS"))" test ! -s "$T_HUPS"

echo "== Redis back with the old copy"
start_redis_again || { fail "redis did not start again"; t_done; }
# redis_holds SLUG STRING: within SERVE_S, Redis's copy of SLUG has STRING.
redis_holds() {
	local i
	for ((i = 0; i < SERVE_S * 10; i++)); do
		rcli HGET "quire:post:$1" source | grep -Fq -- "$2" && return 0
		sleep 0.1
	done
	return 1
}
check "Redis gets the writes it missed within ${SERVE_S}s, with no write to bring them" \
	redis_holds alone MARK-alone-v2-END
check "and the new post" redis_holds alone-new MARK-alone-new-v1-END
serves /posts/alone MARK-alone-v2-END
code=$(put alone 3)
check "a write after: 200 (got $code)" test "$code" = 200
serves /posts/alone MARK-alone-v3-END
check "Redis holds it" redis_holds alone MARK-alone-v3-END
check "the parent got no SIGHUP ($(grep -c HUP "$T_HUPS"))" test ! -s "$T_HUPS"
check "quire logged no crash" not crash_lines
t_done
