# shellcheck shell=bash disable=SC2034
# tests/bench/lib.sh - helpers shared by tests/bench/deploy and
# tests/bench/l2 (sourced, not run). tests/bench/read has its own copies
# of the first few; this file does not change it.
#
#   b_init NAME            run dir $RUN under /tmp, the EXIT/INT/TERM trap
#   b_pid_add PID          record a PID to stop at exit (newest stopped first)
#   b_stop_pid PID         TERM, 5 s, then KILL (its children first)
#   b_pick_port            a free loopback TCP port
#   b_start_pg             initdb + postgres on 127.0.0.1 (as postgres when
#                          root); exports QUIRE_DATABASE_URL; B_PG_OPTS adds
#                          server settings ("-c log_checkpoints=on ...")
#   b_start_redis          redis-server on 127.0.0.1; exports QUIRE_REDIS_URL
#   b_start_quire W        quire.fcgi under spawn-fcgi -n, W workers, from
#                          the tiers; QUIRE_PID
#   b_stop_quire           stop it (workers log worker_stop lines)
#   b_start_nginx          nginx on 127.0.0.1:$NGX_PORT in front of quire,
#                          and /metrics on 127.0.0.1:$NGX_METRICS_PORT
#                          (b_metrics_url: the only place quire serves it)
#   b_gen_site DIR N       N Markdown posts (2-4 KB) in DIR/posts/
#   b_median / b_pct P     of numbers on stdin
#   b_write_block NAME FILE  replace the <!-- bench:NAME:begin --> block of
#                          RESULTS.md with FILE (section created if missing)
#
# Everything runs on loopback ports chosen at run time and unix sockets in
# $RUN, and is stopped by PID at exit, also on failure or Ctrl-C.

B_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
B_BENCH=$B_REPO/tests/bench
QUIRE=${QUIRE:-$B_REPO/fcgi/quire.fcgi}
QUIRECTL=${QUIRECTL:-$B_REPO/fcgi/quirectl}
PATH=$PATH:/usr/sbin:/sbin

B_NAME=bench
RUN=
KEEP=${KEEP:-0}
PIDS=()
QUIRE_PID='' NGINX_PID='' REDIS_PID='' PG_PID='' PG_RUNNER_PID=''
PG_BIN='' PG_PORT='' REDIS_PORT='' NGX_PORT='' NGX_METRICS_PORT=''

b_log() { printf '%s: %s\n' "$B_NAME" "$*" >&2; }
b_die() { b_log "$*"; exit 1; }

b_init() {
	B_NAME=$1
	RUN=$(mktemp -d "/tmp/quire-bench-$B_NAME.XXXXXX")
	chmod 755 "$RUN"
	export QUIRE_CACHE_DIR=$RUN/cache   # quirectl's deploy cache
	trap b_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

b_pid_add() { PIDS+=("$1"); }

b_stop_pid() {     # b_stop_pid PID [SIGNAL]: SIG (TERM), wait 5 s, then KILL
	local p=$1 sig=${2:-TERM} i kids
	[ -n "$p" ] || return 0
	kill -0 "$p" 2>/dev/null || { wait "$p" 2>/dev/null || true; return 0; }
	kids=$(ps -o pid= --ppid "$p" 2>/dev/null | tr '\n' ' ')
	kill -"$sig" "$p" 2>/dev/null || true
	for i in $(seq 50); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$p" 2>/dev/null; then
		# shellcheck disable=SC2086
		kill -KILL $kids "$p" 2>/dev/null || true
	fi
	wait "$p" 2>/dev/null || true
	# children left behind by a master that is gone (quire's workers)
	for i in $kids; do
		if kill -0 "$i" 2>/dev/null; then kill -KILL "$i" 2>/dev/null || true; fi
	done
	return 0
}

b_cleanup() {
	local rc=$? i
	trap - EXIT INT TERM
	set +e
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
		if [ "${PIDS[i]}" = "$PG_PID" ]; then
			b_stop_pid "${PIDS[i]}" INT   # fast shutdown
		else
			b_stop_pid "${PIDS[i]}"
		fi
	done
	if [ "$KEEP" = 1 ] || [ $rc -ne 0 ]; then
		b_log "run directory kept: $RUN"
	else
		rm -rf "$RUN"
	fi
	exit $rc
}

B_USED_PORTS=" $(ss -Htan 2>/dev/null | awk '{n=split($4,a,":"); print a[n]}' | tr '\n' ' ') "
b_pick_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 30000))
		case "$B_USED_PORTS" in *" $p "*) continue ;; esac
		# Called as $(b_pick_port), a subshell: the record above never
		# sees the ports handed out since (PostgreSQL's, Redis's). Ask
		# the kernel too.
		ss -Htan "sport = :$p" 2>/dev/null | grep -q . && continue
		B_USED_PORTS="$B_USED_PORTS$p "
		echo "$p"
		return
	done
}

b_wait_port() {    # b_wait_port PORT [TENTHS]
	local i
	for i in $(seq "${2:-100}"); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

b_require() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null || b_die "$t is not installed"
	done
	[ -x "$QUIRE" ] || b_die "$QUIRE is not built (make)"
	[ -x "$QUIRECTL" ] || b_die "$QUIRECTL is not built (make)"
}

# ------------------------------------------------------------- PostgreSQL
b_pg_as_owner() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

b_start_pg() {
	local d i pid=''
	for d in /usr/lib/postgresql/*/bin; do
		[ -x "$d/initdb" ] && [ -x "$d/postgres" ] && PG_BIN=$d
	done
	[ -n "$PG_BIN" ] || b_die "no /usr/lib/postgresql/*/bin/postgres"
	mkdir -p "$RUN/pg/data" "$RUN/pg/sock"
	: >"$RUN/postgres.log"
	[ "$(id -u)" = 0 ] && chown -R postgres: "$RUN/pg" "$RUN/postgres.log"
	chmod 700 "$RUN/pg/data"
	b_pg_as_owner "$PG_BIN/initdb" -D "$RUN/pg/data" -U postgres -A trust \
		-E UTF8 --locale=C.UTF-8 --no-sync >>"$RUN/postgres.log" 2>&1 ||
		b_die "initdb failed: $(tail -5 "$RUN/postgres.log")"
	PG_PORT=$(b_pick_port)
	# fsync=on: a deploy's commit is durable, as in production.
	# B_PG_OPTS: more "-c name=value" for a probe (word-split on purpose).
	# shellcheck disable=SC2086
	b_pg_as_owner "$PG_BIN/postgres" -D "$RUN/pg/data" -k "$RUN/pg/sock" \
		-p "$PG_PORT" -c listen_addresses=127.0.0.1 -c fsync=on \
		${B_PG_OPTS:-} >>"$RUN/postgres.log" 2>&1 &
	PG_RUNNER_PID=$!
	b_pid_add "$PG_RUNNER_PID"
	for i in $(seq 150); do
		kill -0 "$PG_RUNNER_PID" 2>/dev/null || break
		if [ -z "$pid" ] && [ -s "$RUN/pg/data/postmaster.pid" ]; then
			pid=$(head -n1 "$RUN/pg/data/postmaster.pid")
			if kill -0 "$pid" 2>/dev/null; then
				PG_PID=$pid
				b_pid_add "$PG_PID"   # newest: stopped first
			else
				pid=''
			fi
		fi
		if [ -n "$PG_PID" ] && "$PG_BIN/pg_isready" -q -h "$RUN/pg/sock" \
			-p "$PG_PORT" -U postgres -d postgres -t 1; then
			break
		fi
		sleep 0.1
	done
	[ -n "$PG_PID" ] || b_die "postgres did not start: $(tail -5 "$RUN/postgres.log")"
	b_psql postgres -c 'CREATE DATABASE quire' >/dev/null ||
		b_die "CREATE DATABASE quire failed"
	export QUIRE_DATABASE_URL="postgresql://postgres@127.0.0.1:$PG_PORT/quire"
	b_log "postgres (pid $PG_PID) on 127.0.0.1:$PG_PORT"
}

b_psql() {         # b_psql DB ARGS...
	local db=$1
	shift
	"$PG_BIN/psql" -X -q -A -t -h "$RUN/pg/sock" -p "$PG_PORT" -U postgres \
		-d "$db" -v ON_ERROR_STOP=1 "$@"
}

# ------------------------------------------------------------------ Redis
b_start_redis() {
	local i
	REDIS_PORT=$(b_pick_port)
	mkdir -p "$RUN/redis"
	redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' \
		--appendonly no --daemonize no --dir "$RUN/redis" \
		>>"$RUN/redis.log" 2>&1 &
	REDIS_PID=$!
	b_pid_add "$REDIS_PID"
	for i in $(seq 50); do
		[ "$(b_redis ping 2>/dev/null)" = PONG ] && break
		kill -0 "$REDIS_PID" 2>/dev/null || break
		sleep 0.1
	done
	[ "$(b_redis ping 2>/dev/null)" = PONG ] ||
		b_die "redis did not start: $(tail -5 "$RUN/redis.log")"
	export QUIRE_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
	b_log "redis (pid $REDIS_PID) on 127.0.0.1:$REDIS_PORT"
}

b_redis() { timeout 10 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@"; }

# b_redis_stat FIELD: a number from INFO (e.g. keyspace_hits), or from
# INFO commandstats for cmdstat_NAME (its calls=).
b_redis_stat() {
	b_redis info all | tr -d '\r' | awk -F'[:,=]' -v f="$1" '
		$1 == f { if (f ~ /^cmdstat_/) print $3; else print $2; found = 1 }
		END { if (!found) print 0 }'
}

# ------------------------------------------------------------------ quire
b_start_quire() {  # b_start_quire WORKERS
	local i owner=()
	[ "$(id -u)" = 0 ] && owner=(-U www-data -G www-data)
	rm -f "$RUN/quire.sock" "$RUN/quire-api.sock"
	# the write API on a socket of its own, as deploy/quickstart runs it
	env QUIRE_CONTENT_DIR="$RUN/no-such-dir" \
	    QUIRE_API_LISTEN="$RUN/quire-api.sock" \
	    QUIRE_TEMPLATES_DIR="$B_REPO/templates" \
	    QUIRE_SITE_URL="http://127.0.0.1:${NGX_PORT:-80}" \
	    QUIRE_WORKERS="$1" QUIRE_LOG_LEVEL=${QUIRE_LOG_LEVEL:-info} \
	    spawn-fcgi -n -s "$RUN/quire.sock" -M 0660 "${owner[@]}" -- \
	    "$QUIRE" --workers "$1" >>"$RUN/quire.log" 2>&1 &
	QUIRE_PID=$!
	b_pid_add "$QUIRE_PID"
	for i in $(seq 300); do
		[ -S "$RUN/quire.sock" ] && return 0
		kill -0 "$QUIRE_PID" 2>/dev/null || break
		sleep 0.05
	done
	b_die "quire did not start: $(tail -20 "$RUN/quire.log")"
}

b_stop_quire() {
	b_stop_pid "$QUIRE_PID"
	QUIRE_PID=''
}

# b_quire_workers_live N: until `quirectl status` lists N live workers
# (they register with Redis), 10 s at most.
b_quire_workers_live() {
	local i n
	for i in $(seq 100); do
		n=$("$QUIRECTL" status 2>/dev/null | awk '/^workers:/ {print $2}')
		[ "${n:-0}" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# ------------------------------------------------------------------ nginx
b_start_nginx() {
	local user_line=''
	[ "$(id -u)" = 0 ] && user_line="user www-data;"
	NGX_PORT=${NGX_PORT:-$(b_pick_port)}
	NGX_METRICS_PORT=${NGX_METRICS_PORT:-$(b_pick_port)}
	mkdir -p "$RUN/tmp"
	cat >"$RUN/nginx.conf" <<EOF
$user_line
worker_processes 2;
daemon off;
pid $RUN/nginx.pid;
error_log $RUN/nginx-error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    include /etc/nginx/mime.types;
    default_type text/html;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    client_body_temp_path $RUN/tmp/body;
    fastcgi_temp_path $RUN/tmp/fastcgi;
    proxy_temp_path $RUN/tmp/proxy;
    scgi_temp_path $RUN/tmp/scgi;
    uwsgi_temp_path $RUN/tmp/uwsgi;
    gzip off;
    server {
        listen 127.0.0.1:$NGX_PORT;
        include /etc/nginx/fastcgi_params;
        fastcgi_keep_conn off;
        location /api/ {
            fastcgi_pass unix:$RUN/quire-api.sock;
        }
        location / {
            fastcgi_pass unix:$RUN/quire.sock;
        }
    }
    # quire serves /metrics only to requests marked QUIRE_METRICS=1
    # (deploy/nginx.conf.in's metrics server).
    server {
        listen 127.0.0.1:$NGX_METRICS_PORT;
        location = /metrics {
            include /etc/nginx/fastcgi_params;
            fastcgi_param QUIRE_METRICS 1;
            fastcgi_keep_conn off;
            fastcgi_pass unix:$RUN/quire.sock;
        }
    }
}
EOF
	nginx -t -q -p "$RUN/" -c "$RUN/nginx.conf" -e "$RUN/nginx-error.log" ||
		b_die "nginx config rejected: $(cat "$RUN/nginx-error.log")"
	nginx -p "$RUN/" -c "$RUN/nginx.conf" -e "$RUN/nginx-error.log" &
	NGINX_PID=$!
	b_pid_add "$NGINX_PID"
	b_wait_port "$NGX_PORT" || b_die "nginx did not start: $(cat "$RUN/nginx-error.log")"
}

b_url() { echo "http://127.0.0.1:$NGX_PORT$1"; }
b_metrics_url() { echo "http://127.0.0.1:$NGX_METRICS_PORT/metrics"; }

# ------------------------------------------------------------------- site
# b_gen_site DIR N: N posts DIR/posts/YYYY-MM-DD-post-NNNNN.md (slug
# post-NNNNN), deterministic: YAML frontmatter (title, date, tags from a
# pool of 12, description), 3-6 paragraphs with emphasis, inline code and
# links, a heading, a list, a fenced code block; 2-4 KB each. The last
# line, "Edit counter: 0.", is what the benches edit.
b_gen_site() {
	python3 - "$1" "$2" <<'PY'
import os, random, sys, datetime
out, n = sys.argv[1], int(sys.argv[2])
os.makedirs(os.path.join(out, "posts"), exist_ok=True)
rng = random.Random(20241123)
try:
    text = open("/usr/share/common-licenses/GPL-3").read()
except OSError:
    text = "the quick brown fox jumps over the lazy dog " * 200
words = [w.strip('.,;:()"\'') for w in text.split()]
words = [w for w in words if w.isalpha() and len(w) < 14] or ["word"]
pool = ["c", "nginx", "redis", "postgresql", "fastcgi", "performance",
        "markdown", "deploy", "cache", "linux", "debian", "notes"]
langs = ["c", "sh", "python", "sql"]
code = {
 "c": ["static int f(const char *s, size_t n)", "{", "\tsize_t i;", "\tint h = 0;",
       "\tfor (i = 0; i < n; i++)", "\t\th = h * 31 + s[i];", "\treturn h;", "}"],
 "sh": ["set -eu", "for f in content/posts/*.md; do", "\twc -c \"$f\"", "done",
        "quirectl deploy content/"],
 "python": ["def slug(name):", "    name = name.lower()", "    return name.replace(' ', '-')",
            "", "print(slug('Hello World'))"],
 "sql": ["SELECT slug, revision", "  FROM posts", " WHERE kind = 'post'",
         " ORDER BY date DESC", " LIMIT 10;"],
}
def sentence(lo=6, hi=16):
    s = " ".join(rng.choice(words) for _ in range(rng.randint(lo, hi)))
    return s[0].upper() + s[1:] + "."
def para(i):
    parts = []
    for _ in range(rng.randint(4, 7)):
        s = sentence()
        r = rng.random()
        if r < 0.15:
            w = s.split()
            k = rng.randrange(len(w))
            w[k] = "**" + w[k] + "**"
            s = " ".join(w)
        elif r < 0.3:
            s += " Use `%s()` here." % rng.choice(words).lower()
        elif r < 0.4:
            s += " See [post %d](/posts/post-%05d)." % (j := rng.randint(1, n), j)
        parts.append(s)
    return " ".join(parts)
start = datetime.date(2015, 1, 1)
for i in range(1, n + 1):
    d = start + datetime.timedelta(days=(i * 3652) // max(n, 1))
    tags = rng.sample(pool, rng.randint(1, 3))
    title = " ".join(rng.choice(words) for _ in range(rng.randint(3, 7))).capitalize()
    lang = rng.choice(langs)
    body = []
    body.append(para(i))
    body.append(para(i))
    body.append(para(i))
    body.append("## " + sentence(2, 5)[:-1])
    body.append(para(i))
    body.append("\n".join("- " + sentence(3, 9) for _ in range(rng.randint(3, 6))))
    body.append("```" + lang + "\n" + "\n".join(code[lang]) + "\n```")
    for _ in range(rng.randint(1, 3)):
        body.append(para(i))
    body.append("Edit counter: 0.")
    fm = ("---\ntitle: \"Post %d: %s\"\ndate: %s\ntags: [%s]\n"
          "description: \"%s\"\n---\n\n") % (i, title, d.isoformat(),
          ", ".join(tags), sentence(5, 10))
    with open(os.path.join(out, "posts", "%s-post-%05d.md" % (d.isoformat(), i)), "w") as f:
        f.write(fm + "\n\n".join(body) + "\n")
PY
}

# b_post_file DIR I: the file of post I
b_post_file() { ls "$1"/posts/*-post-"$(printf %05d "$2")".md; }

# b_edit FILE N: sets the post's edit counter to N
b_edit() { sed -i "s/^Edit counter: [0-9]*\.\$/Edit counter: $2./" "$1"; }

# ------------------------------------------------------------------ stats
b_median() { sort -g | awk '{a[NR] = $1} END { if (!NR) { print "—"; exit }
	if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
b_pct() {          # b_pct P: the P-th percentile (nearest rank) of stdin
	sort -g | awk -v p="$1" '{a[NR] = $1} END { if (!NR) { print "—"; exit }
		k = int(NR * p / 100 + 0.999999); if (k < 1) k = 1; if (k > NR) k = NR; print a[k] }'
}
b_max() { sort -g | tail -n1; }

b_machine() {
	echo "$(nproc) CPUs ($(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)), Linux $(uname -r)"
}

# b_write_block NAME FILE: replaces the block between
# <!-- bench:NAME:begin ... --> and <!-- bench:NAME:end --> in RESULTS.md
# with FILE. When the block is missing it is added at the end of the
# "Tiers: deploys and L2 reads" section, which is created (before the
# "Latest `tests/bench/read` run" section) when missing too.
b_write_block() {
	local name=$1 file=$2 res=$B_BENCH/RESULTS.md begin end
	begin="<!-- bench:$name:begin (written by tests/bench/$name --write-results) -->"
	end="<!-- bench:$name:end -->"
	[ -f "$res" ] || printf '# quire benchmarks\n\n' >"$res"
	if ! grep -qF "$end" "$res"; then
		awk -v name="$name" -v b="$begin" -v e="$end" '
			function block() { print "### Latest `tests/bench/" name "` run"; print ""; print b; print e; print "" }
			/^## / && tiers && !done { block(); done = 1 }
			/^## Latest `tests\/bench\/read` run/ && !done {
				if (!tiers) { print "## Tiers: deploys and L2 reads"; print "" }
				block(); done = 1 }
			/^## Tiers: deploys and L2 reads/ { tiers = 1 }
			{ print }
			END { if (!done) { if (!tiers) { print ""; print "## Tiers: deploys and L2 reads"; print "" } block() } }
		' "$res" >"$res.tmp" && mv "$res.tmp" "$res"
	fi
	awk -v b="$begin" -v e="$end" -v f="$file" '
		index($0, b) == 1 { print b; while ((getline l < f) > 0) print l; skip = 1; next }
		index($0, e) == 1 { skip = 0 }
		!skip' "$res" >"$res.tmp" && mv "$res.tmp" "$res"
	b_log "figures written to $res"
}
