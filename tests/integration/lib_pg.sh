# shellcheck shell=bash
# lib_pg.sh - a throw-away PostgreSQL cluster for integration tests
# (sourced after lib.sh, used after t_init)
#
#   start_pg          initdb in $T_DIR/pg, postgres on 127.0.0.1 and a
#                     unix socket on a free port, a database "quire";
#                     exports QUIRE_DATABASE_URL
#   stop_pg           fast shutdown (clients are cut off), bounded
#   start_pg_again    the same data dir and port, after stop_pg
#
# The postmaster's PID goes into T_PIDS, so lib.sh's EXIT trap stops it
# (SIGTERM: a smart shutdown, once the clients are gone). PostgreSQL
# refuses to run as root: as root, everything runs as the postgres user
# through runuser, which forks, so the PID recorded is the postmaster's
# own (from postmaster.pid), not runuser's.

PG_BIN=
PG_ROOT=
PG_DATA=
PG_SOCKDIR=
PG_PORT=
PG_PID=
PG_RUNNER_PID=
PG_LOG=

# pg_find_bin: the newest /usr/lib/postgresql/*/bin with initdb and
# postgres (Debian installs each major version beside the others).
pg_find_bin() {
	local d best=
	for d in /usr/lib/postgresql/*/bin; do
		[[ -x $d/initdb && -x $d/postgres ]] || continue
		if [[ -z $best ]] ||
			[[ $(printf '%s\n%s\n' "$best" "$d" | sort -V | tail -n1) == "$d" ]]; then
			best=$d
		fi
	done
	[[ -n $best ]] || return 1
	PG_BIN=$best
}

# pg_as_owner CMD...: runs CMD as the cluster's owner.
pg_as_owner() {
	if ((EUID == 0)); then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# pg_launch: starts postgres on PG_DATA/PG_PORT and waits (bounded) until
# it accepts connections. Returns 1 if it exited or never answered.
pg_launch() {
	local i pid=
	rm -f "$PG_DATA/postmaster.pid"
	pg_as_owner "$PG_BIN/postgres" -D "$PG_DATA" -k "$PG_SOCKDIR" \
		-p "$PG_PORT" -c listen_addresses=127.0.0.1 -c fsync=on \
		>>"$PG_LOG" 2>&1 &
	PG_RUNNER_PID=$!
	T_PIDS+=("$PG_RUNNER_PID")
	for ((i = 0; i < 150; i++)); do
		kill -0 "$PG_RUNNER_PID" 2>/dev/null || break
		if [[ -z $pid && -s $PG_DATA/postmaster.pid ]]; then
			pid=$(head -n1 "$PG_DATA/postmaster.pid" 2>/dev/null)
			if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
				PG_PID=$pid
				# Newest last: the trap stops the postmaster
				# first; runuser then exits by itself.
				T_PIDS+=("$PG_PID")
			else
				pid=
			fi
		fi
		if [[ -n $PG_PID ]] && "$PG_BIN/pg_isready" -q -h "$PG_SOCKDIR" \
			-p "$PG_PORT" -U postgres -d postgres -t 1; then
			t_log "started postgres (pid $PG_PID) on 127.0.0.1:$PG_PORT"
			return 0
		fi
		sleep 0.1
	done
	t_log "postgres did not answer on port $PG_PORT"
	tail -n 10 "$PG_LOG" 2>/dev/null | sed 's/^/  postgres.log: /'
	[[ -n $PG_PID ]] && stop_pid "$PG_PID" postgres 5
	stop_pid "$PG_RUNNER_PID" runuser 2
	PG_PID=
	return 1
}

# start_pg: a new cluster and database "quire"; exports QUIRE_DATABASE_URL.
# Exits 77 (skip) when PostgreSQL's server binaries are not installed.
start_pg() {
	local try
	if ! pg_find_bin; then
		echo "$T_NAME: SKIP: no /usr/lib/postgresql/*/bin/postgres (deploy/install-deps)"
		exit 77
	fi
	PG_ROOT=$T_DIR/pg
	PG_DATA=$PG_ROOT/data
	PG_SOCKDIR=$PG_ROOT/sock
	PG_LOG=$T_DIR/postgres.log
	mkdir -p "$PG_DATA" "$PG_SOCKDIR" || return 1
	: >"$PG_LOG"
	if ((EUID == 0)); then
		chown -R postgres: "$PG_ROOT" "$PG_LOG" || return 1
	fi
	chmod 700 "$PG_DATA"
	# --no-sync: a throw-away cluster; the server itself runs fsync=on.
	if ! pg_as_owner "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -A trust \
		-E UTF8 --locale=C.UTF-8 --no-sync >>"$PG_LOG" 2>&1; then
		t_log "initdb failed"
		tail -n 10 "$PG_LOG" | sed 's/^/  postgres.log: /'
		return 1
	fi
	# The port may be taken between free_port and bind (tests run in
	# parallel): try another.
	for try in 1 2 3; do
		((try > 1)) && t_log "postgres: trying another port (try $try)"
		PG_PORT=$(free_port) || return 1
		pg_launch && break
		PG_PORT=
	done
	[[ -n $PG_PORT ]] || return 1
	if ! "$PG_BIN/psql" -X -q -h "$PG_SOCKDIR" -p "$PG_PORT" -U postgres \
		-d postgres -v ON_ERROR_STOP=1 -c 'CREATE DATABASE quire' \
		>>"$PG_LOG" 2>&1; then
		t_log "CREATE DATABASE quire failed"
		return 1
	fi
	export QUIRE_DATABASE_URL="postgresql://postgres@127.0.0.1:$PG_PORT/quire"
	t_log "QUIRE_DATABASE_URL=$QUIRE_DATABASE_URL"
}

# pg_quire ARGS...: psql on the quire database as postgres, unaligned,
# tuples only (one value a line), stopping at the first error.
pg_quire() {
	"$PG_BIN/psql" -X -q -At -h "$PG_SOCKDIR" -p "$PG_PORT" -U postgres \
		-v ON_ERROR_STOP=1 -d quire "$@"
}
# psql_quire SQL: runs SQL there.
psql_quire() { pg_quire -c "$1"; }

# pg_forget PID: drops PID from T_PIDS once it is stopped (PIDs are reused).
pg_forget() {
	local -a keep=()
	local p
	for p in "${T_PIDS[@]}"; do
		[[ $p == "$1" ]] || keep+=("$p")
	done
	T_PIDS=("${keep[@]}")
}

# stop_pg: a fast shutdown (SIGINT: sessions are cut off, as a crash of
# the database would look to clients), SIGKILL after 10 s.
stop_pg() {
	local i
	[[ -n $PG_PID ]] || return 0
	kill -INT "$PG_PID" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		kill -0 "$PG_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$PG_PID" 2>/dev/null; then
		t_log "postgres (pid $PG_PID) ignored SIGINT for 10s: SIGKILL"
		kill -KILL "$PG_PID" 2>/dev/null
	fi
	stop_pid "$PG_RUNNER_PID" runuser 2
	pg_forget "$PG_PID"
	pg_forget "$PG_RUNNER_PID"
	t_log "stopped postgres (pid $PG_PID)"
	PG_PID=
	PG_RUNNER_PID=
}

# start_pg_again: restarts on the same data dir and port, so that
# QUIRE_DATABASE_URL still points at it.
start_pg_again() {
	[[ -n $PG_DATA && -n $PG_PORT ]] || { t_log "start_pg_again: no cluster"; return 1; }
	pg_launch
}
