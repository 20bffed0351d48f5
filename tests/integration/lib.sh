# shellcheck shell=bash disable=SC2034,SC2119,SC2120
# lib.sh - helpers for quire's integration tests (sourced, not run)
#
# A test does:
#
#   . "$(dirname "$0")/lib.sh"
#   t_init                      # temp dir, free port, EXIT trap, watchdog
#   start_quire [DIR] [ARGS..]  # spawn-fcgi -n quire.fcgi, on DIR (default:
#                               # the fixture site), PID in QUIRE_PID
#   start_nginx                 # or start_lighttpd; then wait_healthz
#   wait_healthz
#   expect_status /posts/ 200
#   ...
#   t_done                      # summary; exit 0 only if every check passed
#
# Everything started is recorded by PID and stopped by that PID on exit,
# even when the test fails or is interrupted; the temp dir (under /tmp)
# is removed unless QUIRE_KEEP_TMP=1.
#
# Paths: QUIRE_SRCDIR (the repository) and QUIRE_BUILDDIR (the build) come
# from Makefile.am's TESTS_ENVIRONMENT; run by hand they default to the
# directory two levels above this file.

set -uo pipefail

T_LIBDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
QUIRE_SRCDIR=${QUIRE_SRCDIR:-$(cd "$T_LIBDIR/../.." && pwd)}
QUIRE_BUILDDIR=${QUIRE_BUILDDIR:-$QUIRE_SRCDIR}
QUIRE_TESTDATA=${QUIRE_TESTDATA:-$QUIRE_SRCDIR/tests/data}
QUIRE_FCGI=${QUIRE_FCGI:-$QUIRE_BUILDDIR/fcgi/quire.fcgi}
T_SITE=$QUIRE_TESTDATA/site
T_NAME=$(basename "$0" .sh)
T_TIMEOUT=${QUIRE_TEST_TIMEOUT:-60}   # seconds before the watchdog fires
T_PY=/usr/bin/python3                # Debian's, with feedparser
T_PASS=0
T_FAIL=0
T_PIDS=()            # every process started, in order; stopped in reverse
T_DIR=
T_WATCHDOG=
QUIRE_PID=
QUIRE_LOG=
QUIRE_SOCK=
HTTPD_PID=
HTTPD_KIND=
T_PORT=
BASE=
T_METRICS_PORT=      # the web server's /metrics listener (render-conf)
METRICS_BASE=

# Seconds since the test started, for the log.
T_START=$SECONDS

t_log() { printf '[%s +%ss] %s\n' "$T_NAME" "$((SECONDS - T_START))" "$*"; }

# ---------------------------------------------------------------- set-up

# t_init: temp dir, a free port, the EXIT trap and a watchdog that ends a
# stuck test after T_TIMEOUT seconds (the trap still stops everything).
t_init() {
	local tool
	for tool in spawn-fcgi curl nginx; do
		if ! command -v "$tool" >/dev/null 2>&1 && [[ ! -x /usr/sbin/$tool ]]; then
			echo "$T_NAME: SKIP: $tool is not installed (deploy/install-deps)"
			exit 77
		fi
	done
	PATH=$PATH:/usr/sbin:/sbin
	if [[ ! -x $QUIRE_FCGI ]]; then
		echo "$T_NAME: FAIL: $QUIRE_FCGI is not built (make)"
		exit 1
	fi
	T_DIR=$(mktemp -d "/tmp/quire-$T_NAME.XXXXXX") || exit 99
	# quirectl's deploy cache stays with the test, not in ~/.cache.
	export QUIRE_CACHE_DIR=$T_DIR/cache
	# The servers' workers run as www-data when started as root: they
	# must reach the socket and the temp paths inside.
	chmod 755 "$T_DIR"
	trap t_cleanup EXIT
	trap 't_log "interrupted"; exit 130' INT
	trap 't_log "terminated (watchdog?)"; exit 143' TERM
	(
		trap - EXIT INT TERM
		sleep "$T_TIMEOUT" &
		wait $!
		echo "[$T_NAME] watchdog: still running after ${T_TIMEOUT}s, stopping" >&2
		kill -TERM "$$" 2>/dev/null
	) &
	T_WATCHDOG=$!
	T_PORT=$(free_port) || { echo "$T_NAME: no free port" >&2; exit 99; }
	BASE=http://127.0.0.1:$T_PORT
	T_METRICS_PORT=$(free_port) || { echo "$T_NAME: no free port" >&2; exit 99; }
	METRICS_BASE=http://127.0.0.1:$T_METRICS_PORT
	t_log "temp dir $T_DIR, port $T_PORT, quire $QUIRE_FCGI"
}

# free_port: prints a TCP port on 127.0.0.1 that nothing listens on now
# and that this test has not handed out before (recorded in
# $T_DIR/ports): the web server binds its port only later, so without
# the record Redis or PostgreSQL could be given the same one.
free_port() {
	local p i
	for ((i = 0; i < 20; i++)); do
		p=$("$T_PY" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])') || return 1
		if [[ -z $T_DIR ]]; then
			echo "$p"
			return 0
		fi
		if ! grep -qx "$p" "$T_DIR/ports" 2>/dev/null; then
			echo "$p" >>"$T_DIR/ports"
			echo "$p"
			return 0
		fi
	done
	return 1
}

# socket_owner_args: spawn-fcgi options giving the socket to the web
# server's worker user when we are root (nginx/lighttpd drop to it).
socket_owner_args() {
	if ((EUID == 0)); then
		printf '%s\n' -U www-data -G www-data
	fi
}

# start_quire [CONTENT_DIR [QUIRE ARGS...]]: runs quire under spawn-fcgi -n
# (spawn-fcgi execs quire, so $! is the master). The environment passes
# through: set QUIRE_* before calling. Log in $QUIRE_LOG (appended, so a
# restart keeps the earlier lines). With T_API_SOCK=1, quire also listens
# on $T_DIR/quire-api.sock (--api-listen), where the web server's /api/
# goes (t_render).
start_quire() {
	local content=${1:-$T_SITE}
	shift || true
	local -a owner
	mapfile -t owner < <(socket_owner_args)
	QUIRE_SOCK=$T_DIR/quire.sock
	QUIRE_LOG=$T_DIR/quire.log
	rm -f "$QUIRE_SOCK"
	QUIRE_CONTENT_DIR=$content \
	QUIRE_TEMPLATES_DIR=${QUIRE_TEMPLATES_DIR:-$QUIRE_SRCDIR/templates} \
	QUIRE_SITE_URL=${QUIRE_SITE_URL:-$BASE} \
	QUIRE_WORKERS=${QUIRE_WORKERS:-2} \
	QUIRE_API_LISTEN=$(t_api_sock) \
		spawn-fcgi -n -s "$QUIRE_SOCK" -M 0660 "${owner[@]}" -- \
		"$QUIRE_FCGI" "$@" >>"$QUIRE_LOG" 2>&1 &
	QUIRE_PID=$!
	T_PIDS+=("$QUIRE_PID")
	t_log "started quire (master pid $QUIRE_PID) on $content"
	local i
	for ((i = 0; i < 50; i++)); do
		[[ -S $QUIRE_SOCK ]] && return 0
		kill -0 "$QUIRE_PID" 2>/dev/null || break
		sleep 0.1
	done
	[[ -S $QUIRE_SOCK ]] && return 0
	t_log "quire did not create $QUIRE_SOCK"
	tail -n 20 "$QUIRE_LOG" | sed 's/^/  quire.log: /'
	return 1
}

# The --api-listen socket with T_API_SOCK=1, else nothing.
t_api_sock() {
	[[ ${T_API_SOCK:-0} == 1 ]] && printf '%s\n' "$T_DIR/quire-api.sock"
	return 0
}

# render CONF_IN OUT: deploy/render-conf for this test's dir and ports:
# the site on $BASE, /metrics on $METRICS_BASE only (the web server's
# listener that marks requests with QUIRE_METRICS=1); with T_PUBLIC set,
# the files there are served at the root before quire (render-conf's
# PUBLIC).
t_render() {
	"$QUIRE_SRCDIR/deploy/render-conf" "$1" "$2" "$T_PORT" "$T_DIR" \
		"$T_DIR/quire.sock" "$QUIRE_SRCDIR/static" "" "$(t_api_sock)" \
		"$T_METRICS_PORT" "${T_PUBLIC:-}" "${T_EDGE:-}"
}

# start_httpd KIND: nginx or lighttpd in the foreground mode, backgrounded
# here so that $! is its master. Retries on another port when the port
# was taken between free_port and bind (tests run in parallel).
start_httpd() {
	HTTPD_KIND=$1
	local try conf i
	for try in 1 2 3; do
		conf=$T_DIR/$HTTPD_KIND.conf
		t_render "$QUIRE_SRCDIR/deploy/$HTTPD_KIND.conf.in" "$conf" || return 1
		case $HTTPD_KIND in
		nginx) nginx -c "$conf" -p "$T_DIR/" -e "$T_DIR/nginx-error.log" \
			>>"$T_DIR/nginx.out" 2>&1 & ;;
		lighttpd) lighttpd -D -f "$conf" >>"$T_DIR/lighttpd.out" 2>&1 & ;;
		*) echo "start_httpd: unknown server $HTTPD_KIND" >&2; return 1 ;;
		esac
		HTTPD_PID=$!
		T_PIDS+=("$HTTPD_PID")
		for ((i = 0; i < 50; i++)); do
			kill -0 "$HTTPD_PID" 2>/dev/null || break
			if port_listening "$T_PORT" && port_listening "$T_METRICS_PORT"; then
				t_log "started $HTTPD_KIND (pid $HTTPD_PID) on $BASE"
				return 0
			fi
			sleep 0.1
		done
		stop_pid "$HTTPD_PID" "$HTTPD_KIND"
		t_log "$HTTPD_KIND did not start on ports $T_PORT, $T_METRICS_PORT (try $try)"
		tail -n 5 "$T_DIR/$HTTPD_KIND"*.log "$T_DIR/$HTTPD_KIND.out" 2>/dev/null |
			sed 's/^/  /'
		T_PORT=$(free_port)
		BASE=http://127.0.0.1:$T_PORT
		T_METRICS_PORT=$(free_port)
		METRICS_BASE=http://127.0.0.1:$T_METRICS_PORT
	done
	return 1
}
start_nginx() { start_httpd nginx; }
start_lighttpd() { start_httpd lighttpd; }

port_listening() {
	ss -Hltn "sport = :$1" 2>/dev/null | grep . >/dev/null
}

# wait_healthz [SECONDS]: until GET /healthz answers 200 (default 10 s).
wait_healthz() {
	local limit=${1:-10} code i
	for ((i = 0; i < limit * 10; i++)); do
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$BASE/healthz")
		if [[ $code == 200 ]]; then
			t_log "/healthz answers 200"
			return 0
		fi
		if [[ -n $QUIRE_PID ]] && ! kill -0 "$QUIRE_PID" 2>/dev/null; then
			t_log "quire (pid $QUIRE_PID) exited before /healthz answered"
			break
		fi
		if [[ -n $HTTPD_PID ]] && ! kill -0 "$HTTPD_PID" 2>/dev/null; then
			t_log "$HTTPD_KIND (pid $HTTPD_PID) exited before /healthz answered"
			break
		fi
		sleep 0.1
	done
	t_log "/healthz did not answer 200 (last: $code)"
	[[ -n $QUIRE_LOG ]] && tail -n 20 "$QUIRE_LOG" | sed 's/^/  quire.log: /'
	tail -n 5 "$T_DIR/$HTTPD_KIND"*.log "$T_DIR/$HTTPD_KIND.out" 2>/dev/null | sed 's/^/  /'
	return 1
}

# t_start_stack [CONTENT_DIR]: quire + nginx + /healthz, or bail out.
t_start_stack() {
	start_quire "$@" && start_nginx && wait_healthz && return 0
	fail "the stack did not start; nothing else can be checked"
	t_done
}

# copy_test_site: a copy of the test site in $SITE ($T_DIR/site) without
# its deliberately broken post, for tests that deploy it.
copy_test_site() {
	SITE=$T_DIR/site
	cp -r "$T_SITE" "$SITE"
	rm -f "$SITE/posts/broken.md"
}

# children PID: the direct children of PID (quire's workers, and its
# committer when the write API is on).
children() {
	ps -o pid= --ppid "$1" 2>/dev/null | tr -d ' '
}

# workers_of PID: the children of master PID that serve requests (not
# the committer, which names itself quire-commit).
workers_of() {
	ps -o pid=,comm= --ppid "$1" 2>/dev/null | awk '$2 != "quire-commit" { print $1 }'
}

# stop_pid PID NAME [SECONDS]: SIGTERM, bounded wait, then SIGKILL.
# Returns 0 if it ended on SIGTERM.
stop_pid() {
	local pid=$1 name=$2 limit=${3:-5} i
	kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < limit * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
		sleep 0.1
	done
	t_log "$name (pid $pid) ignored SIGTERM for ${limit}s: SIGKILL"
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 1
}

# t_cleanup: the EXIT trap. Stops what we started, newest first, by PID;
# quire's workers (children of a master we started) are stopped by their
# PIDs too if the master left them behind.
t_cleanup() {
	local status=$? i pid kids=()
	trap - EXIT INT TERM
	for ((i = ${#T_PIDS[@]} - 1; i >= 0; i--)); do
		pid=${T_PIDS[i]}
		kill -0 "$pid" 2>/dev/null || continue
		mapfile -t -O "${#kids[@]}" kids < <(children "$pid")
		stop_pid "$pid" "pid $pid" 5
	done
	for pid in "${kids[@]}"; do
		if kill -0 "$pid" 2>/dev/null; then
			t_log "left-over child $pid: SIGKILL"
			kill -KILL "$pid" 2>/dev/null
		fi
	done
	if [[ -n $T_WATCHDOG ]]; then
		# The watchdog's sleep is its own child: note its PID, end the
		# watchdog (so it cannot fire), then the sleep, both by PID.
		local wd_kids
		wd_kids=$(children "$T_WATCHDOG")
		kill -TERM "$T_WATCHDOG" 2>/dev/null
		wait "$T_WATCHDOG" 2>/dev/null
		for pid in $wd_kids; do
			kill -TERM "$pid" 2>/dev/null
		done
	fi
	if ((T_FAIL > 0 || status != 0)) && [[ -n $T_DIR ]]; then
		local f
		for f in "$T_DIR"/*.log; do
			[[ -s $f ]] || continue
			echo "--- last lines of $(basename "$f")"
			tail -n 30 "$f"
		done
	fi
	if [[ -n $T_DIR && ${QUIRE_KEEP_TMP:-0} != 1 ]]; then
		rm -rf "$T_DIR"
	elif [[ -n $T_DIR ]]; then
		t_log "kept $T_DIR"
	fi
	exit "$status"
}

# --------------------------------------------------------------- requests

# req URL [CURL ARGS...]: one request. URL may be a path (/posts/); sets
# R_STATUS, and leaves the headers in $T_DIR/r.headers (CRs stripped) and
# the body in $T_DIR/r.body. --path-as-is: curl must not squash "..".
req() {
	local url=$1
	shift
	[[ $url == /* ]] && url=$BASE$url
	: >"$T_DIR/r.body"
	: >"$T_DIR/r.headers.raw"
	R_STATUS=$(curl -s -g --path-as-is --max-time 10 -D "$T_DIR/r.headers.raw" \
		-o "$T_DIR/r.body" -w '%{http_code}' "$@" "$url")
	[[ -n $R_STATUS ]] || R_STATUS=000
	tr -d '\r' <"$T_DIR/r.headers.raw" >"$T_DIR/r.headers"
	R_URL=$url
}

# req_gzip URL [CURL ARGS...]: req with Accept-Encoding: gzip until the
# answer is compressed, 10 tries at most. A worker answers a page's
# first request in identity and compresses it after (RFC 9110 lets the
# server choose); the next request may reach another worker that has
# not seen the page yet.
req_gzip() {
	local i
	for ((i = 0; i < 10; i++)); do
		req "$@" -H 'Accept-Encoding: gzip'
		[[ $(header Content-Encoding) == gzip ]] && return 0
	done
	return 0
}

# header NAME: the value of NAME in the last response ('' if absent).
header() {
	awk -v n="$1" 'BEGIN { n = tolower(n) }
		{ i = index($0, ":"); if (i && tolower(substr($0, 1, i - 1)) == n) {
			v = substr($0, i + 1); sub(/^[ \t]+/, "", v); print v; exit } }' \
		"$T_DIR/r.headers"
}

# ----------------------------------------------------------------- checks

# ok/fail MESSAGE: count and print one result (long messages are cut).
ok() { T_PASS=$((T_PASS + 1)); printf 'ok    %s\n' "$(cut_msg "$*")"; }
fail() { T_FAIL=$((T_FAIL + 1)); printf 'FAIL  %s\n' "$(cut_msg "$*")"; }
cut_msg() {
	local m=$1
	((${#m} > 300)) && m="${m:0:300}... (${#m} chars)"
	printf '%s' "$m"
}

# check DESCRIPTION COMMAND...: passes when COMMAND succeeds.
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else fail "$what"; fi
}

# not COMMAND...: succeeds when COMMAND fails (for check).
not() { ! "$@"; }

# before FILE A B: fixed string A occurs in FILE, B too, and A first.
before() {
	local a b
	a=$(grep -boF -- "$2" "$1" | head -n1 | cut -d: -f1)
	b=$(grep -boF -- "$3" "$1" | head -n1 | cut -d: -f1)
	[[ -n $a && -n $b ]] && ((a < b))
}

# status_matches GOT WANT: WANT is a code or alternatives "400|404".
status_matches() {
	local alt
	IFS='|' read -ra alt <<<"$2"
	local c
	for c in "${alt[@]}"; do
		[[ $1 == "$c" ]] && return 0
	done
	return 1
}

# expect_status URL CODE[|CODE...] [CURL ARGS...]
expect_status() {
	local url=$1 want=$2
	shift 2
	req "$url" "$@"
	if status_matches "$R_STATUS" "$want"; then
		ok "$* $url -> $R_STATUS"
	else
		fail "$* $url: expected status $want, got $R_STATUS$(body_hint)"
	fi
}

# expect_header URL NAME REGEX [CURL ARGS...]: header NAME matches the
# extended REGEX (grep -E); REGEX '' means the header must be absent.
expect_header() {
	local url=$1 name=$2 re=$3 v
	shift 3
	req "$url" "$@"
	v=$(header "$name")
	if [[ -z $re ]]; then
		if grep -qi "^$name:" "$T_DIR/r.headers"; then
			fail "$* $url: expected no $name header, got '$v'"
		else
			ok "$* $url has no $name"
		fi
	elif grep -qi "^$name:" "$T_DIR/r.headers" && grep -Eq -- "$re" <<<"$v"; then
		ok "$* $url $name: $v"
	else
		fail "$* $url: expected $name matching /$re/, got '${v:-<absent>}' (status $R_STATUS)"
	fi
}

# expect_body_contains URL STRING [CURL ARGS...]: fixed string.
expect_body_contains() {
	local url=$1 s=$2
	shift 2
	req "$url" "$@"
	if grep -Fq -- "$s" "$T_DIR/r.body"; then
		ok "$* $url contains '$s'"
	else
		fail "$* $url: expected body to contain '$s' (status $R_STATUS)$(body_hint)"
	fi
}

# expect_body_lacks URL STRING [CURL ARGS...]
expect_body_lacks() {
	local url=$1 s=$2
	shift 2
	req "$url" "$@"
	if grep -Fq -- "$s" "$T_DIR/r.body"; then
		fail "$* $url: body must not contain '$s' (status $R_STATUS)"
	else
		ok "$* $url lacks '$s'"
	fi
}

# expect_body_matches URL REGEX [CURL ARGS...]: extended regex, per line.
expect_body_matches() {
	local url=$1 re=$2
	shift 2
	req "$url" "$@"
	if grep -Eq -- "$re" "$T_DIR/r.body"; then
		ok "$* $url matches /$re/"
	else
		fail "$* $url: expected body to match /$re/ (status $R_STATUS)$(body_hint)"
	fi
}

# expect_redirect URL STATUS PATH: STATUS with a Location that is PATH,
# absolute or under $BASE / $QUIRE_SITE_URL.
expect_redirect() {
	local url=$1 want=$2 path=$3 loc
	req "$url"
	loc=$(header Location)
	if [[ $R_STATUS == "$want" ]] &&
		[[ $loc == "$path" || $loc == "$BASE$path" || $loc == "${QUIRE_SITE_URL:-$BASE}$path" ]]; then
		ok "$url -> $R_STATUS $loc"
	else
		fail "$url: expected $want to $path, got $R_STATUS Location '${loc:-<absent>}'"
	fi
}

# expect_old_url URL TITLE: an old URL an importer kept answers with
# its post: 200 with TITLE in the page, or one 301 to a URL that answers
# so (never a chain: the Location itself must answer 200).
expect_old_url() {
	local url=$1 title=$2 loc
	req "$url"
	if [[ $R_STATUS == 301 ]]; then
		loc=$(header Location)
		req "$loc"
		if [[ $R_STATUS == 200 ]] && grep -Fq -- "$title" "$T_DIR/r.body"; then
			ok "$url -> 301 $loc -> 200 '$title'"
		else
			fail "$url -> 301 $loc -> $R_STATUS, expected 200 with '$title'$(body_hint)"
		fi
	elif [[ $R_STATUS == 200 ]] && grep -Fq -- "$title" "$T_DIR/r.body"; then
		ok "$url -> 200 '$title'"
	else
		fail "$url: expected 301 to the post or 200 with '$title', got $R_STATUS$(body_hint)"
	fi
}

# check_feed FILE WHAT [ENTRIES]: FILE parses with feedparser (Debian's
# python3): bozo 0, entries > 0 (or exactly ENTRIES), each entry with a
# title and an absolute link under $BASE. Prints what it found.
check_feed() {
	local file=$1 what=$2 want=${3:-}
	local out
	if out=$("$T_PY" - "$file" "$BASE" "$want" <<'PY' 2>&1
import sys
import feedparser
path, base, want = sys.argv[1], sys.argv[2], sys.argv[3]
d = feedparser.parse(open(path, "rb").read())
problems = []
if d.bozo:
    problems.append("bozo=1: %r" % (d.get("bozo_exception"),))
n = len(d.entries)
if n == 0:
    problems.append("no entries")
if want and n != int(want):
    problems.append("%d entries, expected %s" % (n, want))
ids = set()
for i, e in enumerate(d.entries):
    if not e.get("title"):
        problems.append("entry %d has no title" % i)
    link = e.get("link", "")
    if not link:
        problems.append("entry %d has no link" % i)
    elif not link.startswith(base + "/"):
        problems.append("entry %d link %r is not under %s" % (i, link, base))
    if e.get("id") in ids:
        problems.append("entry %d repeats id %r" % (i, e.get("id")))
    ids.add(e.get("id"))
print("%d entries: %s" % (n, "; ".join(e.get("title", "?") for e in d.entries)))
if problems:
    print("problems: " + "; ".join(problems))
    sys.exit(1)
PY
	); then
		ok "$what parses with feedparser ($out)"
	else
		fail "$what: feedparser: $out"
	fi
}

# check_xml FILE WHAT: FILE is well-formed XML (python3's xml.etree,
# which, unlike feedparser, knows no leniency). Prints its root element.
check_xml() {
	local out
	if out=$("$T_PY" - "$1" <<'PY' 2>&1
import sys
import xml.etree.ElementTree as ET
print(ET.parse(sys.argv[1]).getroot().tag)
PY
	); then
		ok "$2 is well-formed XML ($out)"
	else
		fail "$2 is not well-formed XML: $(tail -n 1 <<<"$out")"
	fi
}

# check_clean_text FILE WHAT: FILE is UTF-8 with no character that XML
# 1.0 or HTML forbids in a document: C0 controls but tab, LF and CR, DEL
# and the C1 controls, noncharacters (U+FDD0-U+FDEF, U+xFFFE, U+xFFFF).
check_clean_text() {
	local out
	if out=$("$T_PY" - "$1" <<'PY' 2>&1
import sys
raw = open(sys.argv[1], "rb").read()
try:
    text = raw.decode("utf-8")
except UnicodeDecodeError as e:
    print("not UTF-8: %s" % e)
    sys.exit(1)
for i, ch in enumerate(text):
    c = ord(ch)
    if ((c < 0x20 and ch not in "\t\n\r") or 0x7f <= c <= 0x9f or
            0xfdd0 <= c <= 0xfdef or (c & 0xfffe) == 0xfffe):
        print("U+%04X at character %d: %r" % (c, i, text[max(0, i - 30):i + 10]))
        sys.exit(1)
print("%d characters" % len(text))
PY
	); then
		ok "$2 has no forbidden character ($out)"
	else
		fail "$2: $out"
	fi
}

# check_unique_ids FILE WHAT: no id="" value occurs twice in the HTML
# FILE (a repeated id is invalid, and a link to it jumps to the first).
check_unique_ids() {
	local out
	if out=$("$T_PY" - "$1" <<'PY' 2>&1
import collections, html.parser, sys
class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids = collections.Counter()
    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k == "id":
                self.ids[v] += 1
p = P()
p.feed(open(sys.argv[1], encoding="utf-8").read())
dup = sorted(i for i, n in p.ids.items() if n > 1)
if dup:
    print("repeated: " + " ".join(dup))
    sys.exit(1)
print("%d ids" % len(p.ids))
PY
	); then
		ok "$2 has no repeated id ($out)"
	else
		fail "$2: $out"
	fi
}

# head_body_bytes PATH: sends a raw HTTP/1.0 HEAD for PATH and prints how
# many bytes came after the header block (curl -I cannot tell).
head_body_bytes() {
	"$T_PY" - "$T_PORT" "$1" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"HEAD " + sys.argv[2].encode() + b" HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
head, sep, rest = data.partition(b"\r\n\r\n")
print(len(rest) if sep else -1)
PY
}

# The write API's requests: MD is the Content-Type of a post's text;
# post_text TITLE BODY prints a post; api METHOD PATH [CURL ARGS...] sets
# R_STATUS, the body in $T_DIR/r.body (req).
MD=(-H "Content-Type: text/markdown")
post_text() { printf -- '---\ntitle: %s\n---\n%s\n' "$1" "$2"; }
api() {
	local m=$1 path=$2
	shift 2
	req "$path" -X "$m" "$@"
}

# t_token_file: the write API's token file, $TOKEN alone in it, mode 0600
# (quire refuses one its group or others may read), exported as
# QUIRE_API_TOKEN_FILE for the quire started next.
t_token_file() {
	printf '%s\n' "$TOKEN" >"$T_DIR/tokens"
	chmod 600 "$T_DIR/tokens"
	export QUIRE_API_TOKEN_FILE=$T_DIR/tokens
}

# every_worker_serves PATH STATUS STRING [MASTER]: every answer for PATH
# has STATUS and contains STRING ('' for any body), and every worker of
# MASTER (default $QUIRE_PID) gave some of them. Requests go out 4 at a
# time, 20 a round, so that busy workers leave room for the others (one
# at a time, the same idle worker may win every accept); up to 10 rounds
# until each worker has answered. An unknown query parameter makes each
# URL distinct for curl and is ignored by quire.
every_worker_serves() {
	local path=$1 want=$2 s=$3 master=${4:-$QUIRE_PID}
	local round dir code w file seen=" " bad=0 total=0 all k workers
	workers=$(workers_of "$master")
	for ((round = 1; round <= 10; round++)); do
		dir=$T_DIR/ews.$round
		rm -rf "$dir"
		mkdir -p "$dir"
		curl -s -Z --parallel-max 4 --max-time 10 -o "$dir/b#1" \
			-w '%{http_code} %header{x-quire-worker} %{filename_effective}\n' \
			"$BASE$path?ews=[1-20]" >"$dir/out" 2>/dev/null
		while read -r code w file; do
			total=$((total + 1))
			[[ -n $w && $seen != *" $w "* ]] && seen="$seen$w "
			if [[ $code != "$want" ]] ||
				{ [[ -n $s ]] && ! grep -Fq -- "$s" "$file"; }; then
				bad=$((bad + 1))
			fi
		done <"$dir/out"
		all=1
		for k in $workers; do [[ $seen == *" $k "* ]] || all=0; done
		((all)) && break
	done
	t_log "$((total - bad))/$total answers $want${s:+ with '$s'}, from workers:$seen(of $(wc -w <<<"$workers"))"
	((bad == 0 && total > 0 && all))
}

# every_worker_serves_within SECONDS PATH STATUS [S]: every_worker_serves,
# asked every 0.2 s until it holds, for SECONDS at most (the last try's
# log line is kept).
every_worker_serves_within() {
	local end=$((SECONDS + $1))
	shift
	while ! every_worker_serves "$@" >/dev/null 2>&1; do
		((SECONDS < end)) || { every_worker_serves "$@"; return; }
		sleep 0.2
	done
}

# every_worker_same PATH STATUS: every worker answers PATH with STATUS and
# the same bytes (asked in rounds until each worker has answered).
every_worker_same() {
	local f first=
	rm -rf "$T_DIR"/ews.*
	every_worker_serves "$1" "$2" '' || return 1
	for f in "$T_DIR"/ews.*/b*; do
		[[ -n $first ]] || { first=$f; continue; }
		cmp -s "$first" "$f" || {
			t_log "$1: the workers differ"
			diff "$first" "$f" | head -20
			return 1
		}
	done
}

# expect_graceful_stop MASTER WORKERS: SIGTERM to MASTER (a child of this
# shell); it must exit 0 within 10 s and none of WORKERS outlive it.
expect_graceful_stop() {
	local master=$1 workers=$2 exited=0 code i w left=
	kill -TERM "$master"
	for ((i = 0; i < 100; i++)); do
		kill -0 "$master" 2>/dev/null || { exited=1; break; }
		sleep 0.1
	done
	check "master exited within 10 s of SIGTERM" [ "$exited" = 1 ]
	if ((exited)); then
		wait "$master"
		code=$?
		check "master exit status 0 (got $code)" [ "$code" -eq 0 ]
	fi
	for w in $workers; do
		kill -0 "$w" 2>/dev/null && left+=" $w"
	done
	check "no worker outlived the master${left:+ (left:$left)}" [ -z "$left" ]
}

# proc_ids PID: "UID GID GROUPS CAPEFF" of PID from /proc/PID/status:
# the real uid and gid, "mixed:..." unless real, effective, saved and
# filesystem ids agree; the supplementary groups ("-" when none); the
# effective capabilities in hex.
proc_ids() {
	awk '
		/^Uid:/ { u = ($2 == $3 && $3 == $4 && $4 == $5) ? $2 : "mixed:" $2 $3 $4 $5 }
		/^Gid:/ { g = ($2 == $3 && $3 == $4 && $4 == $5) ? $2 : "mixed:" $2 $3 $4 $5 }
		/^Groups:/ { $1 = ""; gr = $0; sub(/^ +/, "", gr); sub(/ +$/, "", gr) }
		/^CapEff:/ { c = $2 }
		END { printf "%s %s %s %s\n", u, g, (gr == "" ? "-" : gr), c }
	' "/proc/$1/status" 2>/dev/null
}

# committer_of MASTER: the PID of quire's committer (quire-commit in ps).
committer_of() {
	ps -o pid=,comm= --ppid "$1" 2>/dev/null | awk '$2 == "quire-commit" { print $1 }'
}

# abstract_listener PID: the name (without its "@") of the listening
# unix socket in the abstract namespace that PID holds: the committer's.
abstract_listener() {
	"$T_PY" - "$1" <<'PY'
import os, sys
pid = sys.argv[1]
inodes = set()
for fd in os.listdir("/proc/%s/fd" % pid):
    try:
        t = os.readlink("/proc/%s/fd/%s" % (pid, fd))
    except OSError:
        continue
    if t.startswith("socket:["):
        inodes.add(t[8:-1])
# Num RefCount Protocol Flags Type St Inode Path; flag 00010000: listening
for line in open("/proc/net/unix").read().splitlines()[1:]:
    f = line.split()
    if len(f) >= 8 and f[6] in inodes and f[3] == "00010000" and f[7].startswith("@"):
        print(f[7][1:])
        break
PY
}

# unix_peer_kept NAME [USER GROUP]: connects to the abstract unix socket
# @NAME (as USER:GROUP, with no other group, when given: needs root) and
# prints "kept" when the server still holds the connection 2 s later,
# "closed" when it hung up at once (a refused peer), or the error.
unix_peer_kept() {
	local -a as=()
	[[ -n ${2:-} ]] && as=(setpriv --reuid="$2" --regid="$3" --clear-groups --)
	"${as[@]}" "$T_PY" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect("\0" + sys.argv[1])
    s.settimeout(2)
    print("closed" if s.recv(1) == b"" else "data")
except socket.timeout:
    print("kept")
except ConnectionResetError:
    print("closed")
except OSError as e:
    print("error: %s" % e)
' "$1"
}

# quire_workers: the current worker PIDs (children of the master).
quire_workers() { workers_of "$QUIRE_PID" | sort -n; }

# reload_and_wait N [SECONDS]: SIGHUP to quire's master, then until
# every worker it had is gone and N serve (SECONDS, 10 by default, at
# most); fails if an old one stays.
reload_and_wait() {
	local old w i alive=1 tenths=$((${2:-10} * 10))
	old=$(quire_workers)
	kill -HUP "$QUIRE_PID" || return 1
	for i in $(seq "$tenths"); do
		alive=0
		for w in $old; do
			kill -0 "$w" 2>/dev/null && alive=1
		done
		((alive == 0)) && [ "$(quire_workers | wc -l)" = "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# body_hint: the start of the last body, for failure messages.
body_hint() {
	[[ -s $T_DIR/r.body ]] || return 0
	printf '; body: %s' "$(head -c 160 "$T_DIR/r.body" | tr -c '[:print:]' ' ')"
}

# quire_log_has REGEX: quire's log (stderr) has a line matching REGEX.
quire_log_has() { grep -Eq -- "$1" "$QUIRE_LOG"; }

# crash_lines: lines in quire's log that say a process crashed. The temp
# dir's name is left out of the match: it holds the test's name, and
# test_api_crash's says "crash".
crash_lines() {
	awk -v d="$T_DIR" '{ l = $0; while (d != "" && (i = index(l, d)) > 0)
		l = substr(l, 1, i - 1) "T_DIR" substr(l, i + length(d)); print l }' \
		"$QUIRE_LOG" 2>/dev/null |
		grep -Ei 'signal (4|6|7|8|11)([^0-9]|$)|SIG(SEGV|ABRT|BUS|FPE|ILL)|segmentation fault|crash|AddressSanitizer|UndefinedBehaviorSanitizer|runtime error|core dumped'
}

# t_done: prints the summary and exits 0 only if every check passed.
t_done() {
	echo "$T_NAME: $T_PASS passed, $T_FAIL failed"
	if ((T_FAIL == 0 && T_PASS > 0)); then
		exit 0
	fi
	exit 1
}
