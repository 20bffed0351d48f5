#!/bin/bash
# test_api_auth.sh - the write API's tokens through real nginx,
# PostgreSQL and Redis (DESIGN §7, README "The write API")
#
# Revoking: a token file emptied, commented out or deleted, then SIGHUP:
# the old token gets 403 from every new worker, pages are served and the
# templates and content of the same reload are applied. The file's mode:
# one readable by group or others is refused (the API closed, the log
# saying chmod 600), at start-up and on a reload; a missing file at
# start-up leaves the site up with the API closed. The token before the
# body: a wrong token on a 900 KB PUT is a 403 through nginx, never a
# 502, and no worker allocates for its body (every allocation of 512 KiB
# or more logged by an LD_PRELOAD shim); past --max-body it is still
# 403, not 413. Failed attempts are throttled across the pool: after
# QUIRE_API_MAX_FAILURES wrong tokens from one address every worker
# answers 429 with Retry-After, a good token too, other addresses (raw
# FastCGI) are not affected, and the window's end lifts it. An accepted
# write is logged with its token's id, never the token.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"
. "$(dirname "$0")/lib_redis.sh"

T_TIMEOUT=${QUIRE_TEST_TIMEOUT:-150}
QUIRECTL=${QUIRECTL:-$QUIRE_BUILDDIR/fcgi/quirectl}

t_init
TOKENS=$T_DIR/tokens
T_API_SOCK=1
start_tiers
copy_test_site
"$QUIRECTL" deploy "$SITE" >/dev/null 2>&1 || fail "the first deploy failed"
export QUIRE_TEMPLATES_DIR=$T_DIR/templates
cp -R "$QUIRE_SRCDIR/templates" "$QUIRE_TEMPLATES_DIR"
export QUIRE_API_TOKEN_FILE=$TOKENS QUIRE_WORKERS=3
# The revocation checks send many revoked tokens from 127.0.0.1: the
# throttle is tested on its own, with a quire started for it, below.
export QUIRE_API_MAX_FAILURES=0

# new_token: a random token, as an operator would make one.
new_token() { head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
# token_id TOKEN: what quire logs for it (README: b2sum -l 256, 8 digits).
token_id() { printf '%s' "$1" | b2sum -l 256 | cut -c1-8; }
# set_tokens MODE LINE...: the token file made anew with these lines.
set_tokens() {
	local mode=$1
	shift
	rm -f "$TOKENS"
	(umask 077 && printf '%s\n' "$@" >"$TOKENS")
	chmod "$mode" "$TOKENS"
}
bearer() { printf 'Authorization: Bearer %s' "$1"; }

# api_every_worker WANT PATH [CURL ARGS...]: every answer for PATH is
# WANT and every current worker gave some (rounds of 20, 4 at a time,
# up to 20 rounds with a pause between: on a loaded machine a worker
# may lose every race to accept for a while).
api_every_worker() {
	local want=$1 path=$2 round code w seen=" " bad=0 total=0 all k workers
	shift 2
	workers=$(quire_workers)
	for ((round = 1; round <= 20; round++)); do
		((round > 1)) && sleep 0.1
		curl -s -Z --parallel-max 4 --max-time 10 -o /dev/null "$@" \
			-w '%{http_code} %header{x-quire-worker}\n' \
			"$BASE$path?n=[1-20]" >"$T_DIR/aew.out" 2>/dev/null
		while read -r code w; do
			total=$((total + 1))
			[[ -n $w && $seen != *" $w "* ]] && seen="$seen$w "
			[[ $code == "$want" ]] || bad=$((bad + 1))
		done <"$T_DIR/aew.out"
		all=1
		for k in $workers; do [[ $seen == *" $k "* ]] || all=0; done
		((all)) && break
	done
	t_log "$((total - bad))/$total answers $want for $path, from workers:$seen(of $(wc -w <<<"$workers"))"
	((bad == 0 && total > 0 && all))
}

# mark_log / log_since: quire's log lines written after the mark.
mark_log() { MARK=$(($(wc -l <"$QUIRE_LOG") + 1)); }
log_since() { tail -n +"$MARK" "$QUIRE_LOG"; }

# tpl_mark N: base.html gets RELOAD-N, seen only once a reload took it.
tpl_mark() {
	sed -i "s|</footer>|<span>RELOAD-$1</span></footer>|" "$QUIRE_TEMPLATES_DIR/base.html"
}
# content_change N: a new post committed to PostgreSQL with Redis left
# out, so no message announces it.
content_change() {
	post_text "Added $1" "ADDED-BODY-$1" >"$SITE/posts/added-$1.md"
	QUIRE_REDIS_URL='' "$QUIRECTL" deploy "$SITE" >"$T_DIR/deploy-$1.out" 2>&1
	grep -q "no redis configured" "$T_DIR/deploy-$1.out"
}

# revoke_round N WHAT OLD: templates and content changed, the token file
# already revoked by the caller (WHAT says how); then SIGHUP.
revoke_round() {
	local n=$1 what=$2 old=$3
	tpl_mark "$n"
	check "$what: a content change committed beside it" content_change "$n"
	# No 404 check for it here: a worker whose Redis key is behind what
	# it applied compares PostgreSQL's generation every 5 s and catches
	# up by itself (DESIGN §6), so from the second round on the change
	# may be served before the SIGHUP. The template mark proves the
	# reload; the change only that the reload's content came with it.
	mark_log
	check "$what, SIGHUP: the old workers are gone, three new ones serve" reload_and_wait 3
	# Before any write: a write's new generation would make the
	# workers reload from PostgreSQL on their own.
	check "... pages are served with the reload's template by every worker" \
		every_worker_serves / 200 "RELOAD-$n"
	check "... the reload's content change is served by every worker" \
		every_worker_serves "/posts/added-$n" 200 "ADDED-BODY-$n"
	check "... the old token gets 403 from every new worker" \
		api_every_worker 403 /api/posts/auth-one -H "$(bearer "$old")"
	api PUT /api/posts/auth-one "${MD[@]}" -H "$(bearer "$old")" \
		--data-binary "$(post_text One REVOKED-WRITE)"
	check "... a PUT with it: 403" test "$R_STATUS" = 403
	api GET /api/posts/auth-one
	check "... no token: 401" test "$R_STATUS" = 401
	check "... the post the old token wrote is unchanged" \
		every_worker_serves /posts/auth-one 200 FIRST-WRITE
	check "... the log says the API accepts no token, and why" \
		grep -q "accepts no token" <(log_since)
	check "... and that the reload itself did not fail" \
		not grep -q "reload failed" <(log_since)
}

echo "== a token writes"
T1=$(new_token)
set_tokens 600 "# the first token" "$T1"
t_start_stack "$T_DIR/no-such-dir"
api PUT /api/posts/auth-one "${MD[@]}" -H "$(bearer "$T1")" --data-binary "$(post_text One FIRST-WRITE)"
check "a PUT with the token: 201" test "$R_STATUS" = 201
check "the committer runs" test -n "$(ps -o pid=,comm= --ppid "$QUIRE_PID" | awk '$2 == "quire-commit"')"

echo "== revoked by emptying the file"
: >"$TOKENS"
revoke_round 1 "the token file emptied" "$T1"
check "... the log names the file" grep -q "no token in \"$TOKENS\"" <(log_since)

echo "== a new token opens it again; revoked by commenting it out"
T2=$(new_token)
set_tokens 600 "$T2"
check "SIGHUP with a new token" reload_and_wait 3
check "... the new token opens the API on every worker" \
	api_every_worker 200 /api/posts/auth-one -H "$(bearer "$T2")"
check "... the revoked one does not" \
	api_every_worker 403 /api/posts/auth-one -H "$(bearer "$T1")"
set_tokens 600 "# $T2" "#$T1" "   "
revoke_round 2 "every line commented out" "$T2"

echo "== revoked by deleting the file"
T3=$(new_token)
set_tokens 600 "$T3"
check "SIGHUP with a third token" reload_and_wait 3
check "... it opens the API on every worker" \
	api_every_worker 200 /api/posts/auth-one -H "$(bearer "$T3")"
rm -f "$TOKENS"
revoke_round 3 "the token file deleted" "$T3"
check "... the log says the file is missing" grep -q "No such file or directory" <(log_since)

echo "== a token file readable by others is refused"
T4=$(new_token)
set_tokens 644 "$T4"
tpl_mark 4
mark_log
check "SIGHUP with a mode 0644 file" reload_and_wait 3
check "... its token gets 403 from every worker" \
	api_every_worker 403 /api/posts/auth-one -H "$(bearer "$T4")"
check "... the log says why and how to fix it" \
	grep -q "\"$TOKENS\" is readable or writable by group or others (mode 0644).*chmod 600 \"$TOKENS\"" <(log_since)
check "... pages are served, with the reload's template" every_worker_serves / 200 RELOAD-4
chmod 640 "$TOKENS"
check "SIGHUP with mode 0640" reload_and_wait 3
check "... still refused" api_every_worker 403 /api/posts/auth-one -H "$(bearer "$T4")"
chmod 600 "$TOKENS"
check "SIGHUP after chmod 600" reload_and_wait 3
check "... the token opens the API on every worker" \
	api_every_worker 200 /api/posts/auth-one -H "$(bearer "$T4")"

echo "== start-up with a token file readable by others, or none"
restart_quire() {
	stop_pid "$QUIRE_PID" quire 10
	: >"$QUIRE_LOG"
	start_quire "$T_DIR/no-such-dir" && wait_healthz
}
chmod 604 "$TOKENS"
check "quire starts with a mode 0604 token file" restart_quire
check "... pages are served" every_worker_serves /posts/hello-world 200 FIXTURE-HELLO-BODY
check "... its token gets 403 from every worker" \
	api_every_worker 403 /api/posts/auth-one -H "$(bearer "$T4")"
check "... the log says why and how to fix it" \
	quire_log_has "is readable or writable by group or others \\(mode 0604\\).*chmod 600"
rm -f "$TOKENS"
check "quire starts with no token file" restart_quire
check "... pages are served" every_worker_serves /posts/hello-world 200 FIXTURE-HELLO-BODY
check "... the API answers 403 to any token" \
	api_every_worker 403 /api/posts/auth-one -H "$(bearer "$T4")"
check "... and 401 to none (not 404: the API is configured)" \
	api_every_worker 401 /api/posts/auth-one
check "... the log says so at start" quire_log_has "No such file or directory.*accepts no token"
check "... and a committer runs, for the tokens a reload may bring" \
	test -n "$(ps -o pid=,comm= --ppid "$QUIRE_PID" | awk '$2 == "quire-commit"')"
T5=$(new_token)
set_tokens 600 "$T5"
check "the token file made, SIGHUP" reload_and_wait 3
api PUT /api/posts/auth-two "${MD[@]}" -H "$(bearer "$T5")" --data-binary "$(post_text Two SECOND-WRITE)"
check "... a write with its token: 201" test "$R_STATUS" = 201
check "... served by every worker" every_worker_serves /posts/auth-two 200 SECOND-WRITE

echo "== an accepted write is logged with the token's id, not the token"
mark_log
api PUT /api/posts/auth-two "${MD[@]}" -H "$(bearer "$T5")" --data-binary "$(post_text Two THIRD-WRITE)"
check "a PUT: 200" test "$R_STATUS" = 200
check "... logged with token=$(token_id "$T5")" \
	grep -Eq "event=api put slug=\"auth-two\" revision=2 .*token=$(token_id "$T5")" <(log_since)
api DELETE /api/posts/auth-two -H "$(bearer "$T5")"
check "a DELETE: 204" test "$R_STATUS" = 204
check "... logged with token=$(token_id "$T5")" \
	grep -Eq "event=api delete slug=\"auth-two\" .*token=$(token_id "$T5")" <(log_since)
check "no token appears in the log" not grep -Eq "$T1|$T2|$T3|$T4|$T5" "$QUIRE_LOG"

echo "== a wrong token on a large body: refused before the body is read"
# malloc_log.so logs every allocation of 512 KiB or more a process makes
# ("PID BYTES" lines in $MALLOC_LOG): a body read into memory is one.
# Not with a sanitizer build, whose allocator must come first.
cat >"$T_DIR/malloc_log.c" <<'C'
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
static void note(size_t n)
{
	char line[64];
	const char *path;
	int fd, len;

	if (n < 512 * 1024 || !(path = getenv("MALLOC_LOG")))
		return;
	len = snprintf(line, sizeof(line), "%ld %zu\n", (long)getpid(), n);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0) {
		(void)!write(fd, line, (size_t)len);
		close(fd);
	}
}
void *malloc(size_t n) { note(n); return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { note(a * b); return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { note(n); return __libc_realloc(p, n); }
C
shim=
if ldd "$QUIRE_FCGI" | grep 'libasan' >/dev/null; then
	t_log "a sanitizer build: the allocations are not logged"
elif ${CC:-cc} -shared -fPIC -O1 -o "$T_DIR/malloc_log.so" "$T_DIR/malloc_log.c"; then
	shim=$T_DIR/malloc_log.so
else
	fail "cannot build the allocation logger"
fi
stop_pid "$QUIRE_PID" quire 10
export MALLOC_LOG=$T_DIR/malloc.log
LD_PRELOAD=$shim start_quire "$T_DIR/no-such-dir" && wait_healthz
unset MALLOC_LOG
# big_allocs: allocations of 512 KiB or more since the log was emptied.
big_allocs() { wc -l <"$T_DIR/malloc.log" 2>/dev/null || echo 0; }
head -c 900000 /dev/zero | tr '\0' 'b' >"$T_DIR/big.md"
: >"$T_DIR/malloc.log"
no_502=0
for i in $(seq 10); do
	api PUT /api/posts/auth-big "${MD[@]}" -H "$(bearer wrong-token)" --data-binary "@$T_DIR/big.md"
	[ "$R_STATUS" = 403 ] && no_502=$((no_502 + 1))
done
check "a 900 KB PUT with a wrong token through nginx: 403, not 502, 10 times of 10" test "$no_502" = 10
api PUT /api/posts/auth-big "${MD[@]}" --data-binary "@$T_DIR/big.md"
check "... and with none: 401" test "$R_STATUS" = 401
if [[ -n $shim ]]; then
	check "... and no worker allocated 512 KiB or more for them ($(big_allocs))" \
		test "$(big_allocs)" = 0
	: >"$T_DIR/malloc.log"
	api PUT /api/posts/auth-big -H "Content-Type: text/plain" -H "$(bearer "$T5")" \
		--data-binary "@$T_DIR/big.md"
	check "... where the same body with the good token is read (415), and seen ($(big_allocs) allocation(s))" \
		test "$R_STATUS" = 415 -a "$(big_allocs)" -gt 0
fi
# Decided before the body, not after: a body past --max-body with a
# wrong token is 403, not 413.
stop_pid "$QUIRE_PID" quire 10
QUIRE_MAX_BODY=20000 start_quire "$T_DIR/no-such-dir" && wait_healthz
api PUT /api/posts/auth-big "${MD[@]}" -H "$(bearer wrong-token)" --data-binary "@$T_DIR/big.md"
check "past --max-body with a wrong token: 403 (the token is checked first)" test "$R_STATUS" = 403
api PUT /api/posts/auth-big "${MD[@]}" -H "$(bearer "$T5")" --data-binary "@$T_DIR/big.md"
check "... with the good token: 413" test "$R_STATUS" = 413

# fcgi_put SOCKET ADDR TOKEN LENGTH: a raw FastCGI PUT of LENGTH bytes
# from ADDR (REMOTE_ADDR), as a web server would pass it. Prints
# "status=N end=0|1": the answer's status, and whether the request
# ended cleanly (FCGI_END_REQUEST, not a reset).
fcgi_put() {
	"$T_PY" - "$@" <<'PY'
import socket, struct, sys
path, addr, token, length = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])

def record(kind, content):
    out = b""
    while True:
        part, content = content[:65535], content[65535:]
        pad = (8 - len(part) % 8) % 8
        out += struct.pack(">BBHHBB", 1, kind, 1, len(part), pad, 0) + part + b"\0" * pad
        if not content:
            return out

def pair(name, value):
    def n(x):
        return bytes([len(x)]) if len(x) < 128 else struct.pack(">I", len(x) | 0x80000000)
    return n(name) + n(value) + name + value

params = {"REQUEST_METHOD": "PUT", "REQUEST_URI": "/api/posts/auth-raw",
          "CONTENT_LENGTH": str(length), "CONTENT_TYPE": "text/markdown",
          "REMOTE_ADDR": addr, "SERVER_PROTOCOL": "HTTP/1.1"}
if token:
    params["HTTP_AUTHORIZATION"] = "Bearer " + token
body = (b"---\ntitle: Raw\n---\n" + b"r" * length)[:length]
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(path)
s.sendall(record(1, struct.pack(">HB5x", 1, 0)))
s.sendall(record(4, b"".join(pair(k.encode(), v.encode()) for k, v in params.items())))
s.sendall(record(4, b"") + record(5, body) + record(5, b""))
data, end = b"", 0
try:
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
except OSError:
    pass
out, i = b"", 0
while i + 8 <= len(data):
    _, kind, _, clen, pad, _ = struct.unpack(">BBHHBB", data[i:i + 8])
    if kind == 6:
        out += data[i + 8:i + 8 + clen]
    if kind == 3:
        end = 1
    i += 8 + clen + pad
status = out.split(b"\r\n", 1)[0].split(b" ")[1].decode() if out.startswith(b"Status: ") else "none"
print("status=%s end=%d" % (status, end))
PY
}

echo "== failed attempts are throttled across the pool"
stop_pid "$QUIRE_PID" quire 10
export QUIRE_API_MAX_FAILURES=5 QUIRE_API_FAILURE_WINDOW=10
start_quire "$T_DIR/no-such-dir" && wait_healthz
: >"$T_DIR/fails.out"
pids=()
for i in 1 2 3 4 5; do
	curl -s -o /dev/null -w '%{http_code} %header{x-quire-worker}\n' \
		-H "$(bearer "wrong-$i")" "$BASE/api/posts/auth-one" >>"$T_DIR/fails.out" &
	pids+=($!)
done
# Only these: a bare wait would also wait for lib.sh's watchdog.
wait "${pids[@]}"
t_log "5 wrong tokens at once: $(tr '\n' ' ' <"$T_DIR/fails.out")"
check "5 wrong tokens: 403 each" test "$(grep -c '^403 ' "$T_DIR/fails.out")" = 5
check "the next wrong token, on every worker: 429" \
	api_every_worker 429 /api/posts/auth-one -H "$(bearer wrong-6)"
# A worker's own count could not have reached 5 unless it took all 5:
# the others refuse on what the rest of the pool counted.
own=
for w in $(quire_workers); do
	own+="$w:$(grep -c " $w\$" "$T_DIR/fails.out") "
done
check "... among them workers that saw fewer than 5 of the failures ($own)" \
	grep -Eq ':[0-4] ' <<<"$own"
api GET /api/posts/auth-one -H "$(bearer wrong-7)"
retry=$(header Retry-After)
check "... with Retry-After: $retry (1 to 10 s)" test "${retry:-0}" -ge 1 -a "${retry:-0}" -le 10
check "... and a JSON error saying so" grep -q '"error":"too many failed attempts' "$T_DIR/r.body"
check "a good token from the throttled address: 429 too" \
	api_every_worker 429 /api/posts/auth-one -H "$(bearer "$T5")"
raw=$(fcgi_put "$(t_api_sock)" 192.0.2.20 "$T5" 2000)
check "a good token from another address is not throttled ($raw)" test "$raw" = "status=201 end=1"
raw=$(fcgi_put "$(t_api_sock)" 192.0.2.20 wrong-token 900000)
check "... a wrong one from it, 900 KB, raw FastCGI: 403, ended cleanly ($raw)" test "$raw" = "status=403 end=1"
raw=$(fcgi_put "$(t_api_sock)" 2001:db8:7:7::1 "$T5" 2000)
check "... nor an IPv6 address ($raw)" test "$raw" = "status=200 end=1"
check "the log names the throttled address" quire_log_has 'event=api wrong token addr="127\.0\.0\.1" failures=5; throttled'
api GET /api/posts/auth-one -H "$(bearer "$T5")"
retry=$(header Retry-After)
t_log "waiting out the window: ${retry:-?} s"
sleep "$((${retry:-10} + 1))"
check "after the window, the good token opens the API on every worker" \
	api_every_worker 200 /api/posts/auth-one -H "$(bearer "$T5")"
req "$METRICS_BASE/metrics"
check "/metrics counts the wrong tokens" \
	grep -Eq '^quire_api_auth_failures_total [1-9]' "$T_DIR/r.body"
check "... and the throttled answers" grep -Eq '^quire_api_throttled_total [1-9]' "$T_DIR/r.body"

check "no worker crashed" test -z "$(crash_lines)"
t_done
