# shellcheck shell=bash disable=SC2034,SC2120
# lib_redis.sh - a throw-away redis-server for integration tests (sourced
# after lib.sh, whose t_init, free_port, stop_pid, T_DIR and T_PIDS it uses)
#
#   . "$(dirname "$0")/lib.sh"
#   . "$(dirname "$0")/lib_redis.sh"
#   t_init
#   start_redis                 # QUIRE_REDIS_URL, QUIRE_REDIS_SOCKET_URL
#   start_redis_auth            # optional: a second one with a password,
#                               # QUIRE_REDIS_AUTH_URL
#   stop_redis                  # a Redis outage...
#   start_redis_again           # ...and its return, on the same port
#
# Each server runs in the foreground (backgrounded here, so $! is the
# server itself) on 127.0.0.1 and a unix socket in T_DIR, saves nothing
# to disk, and is recorded in T_PIDS so that lib.sh's EXIT trap stops it.

REDIS_PID=
REDIS_PORT=
REDIS_ARGS=()
REDIS_AUTH_PID=
REDIS_AUTH_PORT=
REDIS_AUTH_PASSWORD=
REDIS_LAST_PID=

# redis_require: skip (77) when redis-server or redis-cli is missing.
redis_require() {
	local tool
	for tool in redis-server redis-cli; do
		if ! command -v "$tool" >/dev/null 2>&1; then
			echo "$T_NAME: SKIP: $tool is not installed (deploy/install-deps)"
			exit 77
		fi
	done
}

# redis_ping PORT [PASSWORD]: succeeds when the server answers PONG.
redis_ping() {
	local -a auth=()
	[[ -n ${2:-} ]] && auth=(-a "$2" --no-auth-warning)
	[[ $(timeout 2 redis-cli -h 127.0.0.1 -p "$1" "${auth[@]}" ping 2>/dev/null) == PONG ]]
}

# redis_launch NAME PORT PASSWORD ARGS...: starts one server (its PID in
# REDIS_LAST_PID) and waits, 5 s at most, for PONG.
redis_launch() {
	local name=$1 port=$2 pw=$3 pid i
	shift 3
	mkdir -p "$T_DIR/$name" || return 1
	redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
		--daemonize no --dir "$T_DIR/$name" "$@" \
		>>"$T_DIR/$name.log" 2>&1 &
	pid=$!
	T_PIDS+=("$pid")
	REDIS_LAST_PID=$pid
	for ((i = 0; i < 50; i++)); do
		if redis_ping "$port" "$pw"; then
			t_log "started $name (pid $pid) on 127.0.0.1:$port"
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	stop_pid "$pid" "$name"
	t_log "$name did not answer PONG on port $port"
	tail -n 5 "$T_DIR/$name.log" 2>/dev/null | sed 's/^/  /'
	return 1
}

# start_redis: the main server, on a free port and T_DIR/redis.sock.
# Retries on another port when the port was taken meanwhile.
start_redis() {
	local try
	redis_require
	for try in 1 2 3; do
		REDIS_PORT=$(free_port) || return 1
		REDIS_ARGS=(--unixsocket "$T_DIR/redis.sock" --unixsocketperm 777)
		if redis_launch redis "$REDIS_PORT" '' "${REDIS_ARGS[@]}"; then
			REDIS_PID=$REDIS_LAST_PID
			export QUIRE_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0
			export QUIRE_REDIS_SOCKET_URL=unix:$T_DIR/redis.sock
			return 0
		fi
		t_log "redis did not start (try $try)"
	done
	return 1
}

# stop_redis: a Redis outage (SIGTERM; the socket file goes with it).
stop_redis() {
	[[ -n $REDIS_PID ]] || return 0
	stop_pid "$REDIS_PID" redis
	t_log "stopped redis (pid $REDIS_PID)"
	REDIS_PID=
}

# start_redis_again: the same server back on the same port and socket,
# empty (nothing is saved). Fails if the port was taken meanwhile.
start_redis_again() {
	[[ -n $REDIS_PORT ]] || { t_log "start_redis_again before start_redis"; return 1; }
	stop_redis
	if redis_launch redis "$REDIS_PORT" '' "${REDIS_ARGS[@]}"; then
		REDIS_PID=$REDIS_LAST_PID
		return 0
	fi
	return 1
}

# start_redis_auth [PASSWORD]: a second server that wants a password
# (--requirepass), for AUTH tests; exports QUIRE_REDIS_AUTH_URL.
start_redis_auth() {
	local try
	redis_require
	REDIS_AUTH_PASSWORD=${1:-quire-$RANDOM-$RANDOM}
	for try in 1 2 3; do
		REDIS_AUTH_PORT=$(free_port) || return 1
		if redis_launch redis-auth "$REDIS_AUTH_PORT" "$REDIS_AUTH_PASSWORD" \
			--requirepass "$REDIS_AUTH_PASSWORD"; then
			REDIS_AUTH_PID=$REDIS_LAST_PID
			export QUIRE_REDIS_AUTH_URL=redis://:$REDIS_AUTH_PASSWORD@127.0.0.1:$REDIS_AUTH_PORT/0
			return 0
		fi
		t_log "redis-auth did not start (try $try)"
	done
	return 1
}

# rcli ARGS...: redis-cli on the test's Redis, bounded to 5 s.
rcli() { timeout 5 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@"; }

# start_tiers: PostgreSQL (lib_pg.sh, sourced before) and Redis, or the
# test fails and ends here: nothing else can be checked without them.
start_tiers() {
	start_pg || { fail "postgresql did not start"; t_done; }
	start_redis || { fail "redis did not start"; t_done; }
}

# deployed_stack WORKERS: Redis and PostgreSQL started, the test site
# deployed into them, the API's token file written ($TOKEN), and a pool
# of WORKERS workers that read no folder: everything from the tiers.
deployed_stack() {
	start_tiers
	copy_test_site
	check "the site is deployed" "$QUIRECTL" deploy "$SITE"
	t_token_file
	QUIRE_WORKERS=$1 t_start_stack "$T_DIR/no-such-dir"
}
