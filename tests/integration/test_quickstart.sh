#!/bin/bash
# test_quickstart.sh - deploy/quickstart brings up the whole stack
# (PostgreSQL, Redis, quire, nginx), deploy/deploy-content publishes an
# edit to every worker at once, and stop ends exactly what start started;
# then the same briefly with QUIRE_EMBEDDED=1 (file-only).
#
# quickstart runs in a run folder of its own (QUIRE_RUN_DIR, in the temp
# dir) on free ports, on a copy of the fixture site, so it does not meet
# a developer's .run/. Every PID it records is stopped by the EXIT trap
# too, should the test fail half-way.
#
# As root (CI: a fresh Debian 12) quickstart runs quire and the deployer
# as the system user quire, which it creates the first time, as a real
# install would: the test leaves that user in place. Not as root, they
# run as the caller.
# SC2317: functions called through check and the trap; SC2031: T_DIR
# is lib.sh's, not changed by the subshell that sources quire.env.
# shellcheck disable=SC2317,SC2031
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

# Three starts, PostgreSQL's initdb included: ~15 s; the watchdog at 120.
# shellcheck disable=SC2034 # read by lib.sh's t_init
T_TIMEOUT=${QUIRE_TEST_TIMEOUT:-120}
QS=$QUIRE_SRCDIR/deploy/quickstart
DC=$QUIRE_SRCDIR/deploy/deploy-content
POST=/posts/hello-world
POST_FILE=posts/2024-01-10-hello-world.md
QS_NAMES=(nginx.master quire redis postgres deployer)

# quickstart must find everything installed (it would run apt-get).
if ! "$QUIRE_SRCDIR/deploy/install-deps" --check >/dev/null 2>&1; then
	echo "$T_NAME: SKIP: packages missing ($("$QUIRE_SRCDIR/deploy/install-deps" --check 2>&1))"
	exit 77
fi
if [[ ! -x $(dirname "$QUIRE_FCGI")/quirectl ]]; then
	echo "$T_NAME: FAIL: $(dirname "$QUIRE_FCGI")/quirectl is not built (make)"
	exit 1
fi

t_init
RUN=$T_DIR/run
export QUIRE_FCGI QUIRE_RUN_DIR=$RUN QUIRE_PORT=$T_PORT QUIRE_METRICS_PORT=$T_METRICS_PORT
QUIRE_PG_PORT=$(free_port)
QUIRE_REDIS_PORT=$(free_port)
export QUIRE_PG_PORT QUIRE_REDIS_PORT
export QUIRE_CONTENT_DIR=$T_DIR/site
unset QUIRE_SITE_URL QUIRE_DATABASE_URL QUIRE_REDIS_URL QUIRE_EMBEDDED QUIRE_PID_FILE
# quickstart keeps the deploy cache in its run folder, the quire user's.
unset QUIRE_CACHE_DIR QUIRE_USER QUIRE_GROUP QUIRE_SOCKET_GROUP
cp -r "$T_SITE" "$QUIRE_CONTENT_DIR"
rm -f "$QUIRE_CONTENT_DIR/posts/broken.md"
# a static file: quickstart publishes it for nginx (QUIRE_PUBLIC_DIR)
mkdir -p "$QUIRE_CONTENT_DIR/static/images"
printf 'QS-STATIC-FILE\n' >"$QUIRE_CONTENT_DIR/static/images/qs.txt"

# qs_pids: the PIDs quickstart recorded in $RUN (what runs now).
qs_pids() {
	local n
	for n in "${QS_NAMES[@]}"; do
		[[ -s $RUN/$n.pid ]] && cat "$RUN/$n.pid"
	done
	return 0
}

# The EXIT trap: `quickstart stop`, then whatever it recorded is still
# stopped by PID (lib.sh's trap, which runs next, kills left-over
# children); its own bound is the stop's 30 s at most.
SEEN_PIDS=()
qs_cleanup() {
	local status=$? pid
	trap - EXIT
	if [[ -d $RUN ]]; then
		mapfile -t -O "${#SEEN_PIDS[@]}" SEEN_PIDS < <(qs_pids)
		timeout 60 "$QS" stop >/dev/null 2>&1
		for pid in "${SEEN_PIDS[@]}"; do
			if kill -0 "$pid" 2>/dev/null; then
				t_log "pid $pid outlived quickstart stop: SIGKILL"
				T_PIDS+=("$pid")
			fi
		done
	fi
	(exit "$status")
	t_cleanup
}
trap qs_cleanup EXIT

# qs START ARGS...: runs quickstart, its output in $T_DIR/qs.out.
qs() {
	timeout 60 "$QS" "$@" >"$T_DIR/qs.out" 2>&1
	QS_STATUS=$?
	sed 's/^/  | /' "$T_DIR/qs.out"
	return $QS_STATUS
}

# all_gone PID...: none of the PIDs runs (bounded: they were just stopped).
all_gone() {
	local pid
	for pid in "$@"; do
		kill -0 "$pid" 2>/dev/null && { t_log "pid $pid still runs"; return 1; }
	done
	return 0
}

all_running() {
	local pid
	for pid in "$@"; do
		kill -0 "$pid" 2>/dev/null || return 1
	done
}

ports_free() {
	! port_listening "$T_PORT" && ! port_listening "$QUIRE_PG_PORT" &&
		! port_listening "$QUIRE_REDIS_PORT" && ! port_listening "$T_METRICS_PORT"
}

# runs_as_quire WHAT PID: PID runs as quire's user and group (real,
# effective, saved ids alike), in no other group (as root: not the web
# server's), with no capability.
runs_as_quire() {
	local got good=0
	got=$(proc_ids "$2")
	if ((EUID == 0)); then
		[[ $got == "$Q_UID $Q_GID $Q_GID 0000000000000000" ||
			$got == "$Q_UID $Q_GID - 0000000000000000" ]] && good=1
		check "$1 (pid $2) runs as quire: $Q_UID $Q_GID, groups $Q_GID or none, no capability (got: $got)" \
			test "$good" = 1
	else
		[[ $got == "$Q_UID $Q_GID "* ]] && good=1
		check "$1 (pid $2) runs as the caller, $Q_UID $Q_GID (got: $got)" test "$good" = 1
	fi
}

# deploy_content DIR: deploy/deploy-content; output in $T_DIR/dc.out.
deploy_content() {
	timeout 30 "$DC" "$@" >"$T_DIR/dc.out" 2>&1
	DC_STATUS=$?
	sed 's/^/  | /' "$T_DIR/dc.out"
	return $DC_STATUS
}

# ------------------------------------------------------------ full stack
if ! qs start; then
	fail "deploy/quickstart start (exit $QS_STATUS)"
	t_done
fi
ok "deploy/quickstart starts the full stack"
mapfile -t PIDS < <(qs_pids)
SEEN_PIDS+=("${PIDS[@]}")
check "it recorded 5 PIDs (nginx, quire, redis, postgres, the deployer): ${PIDS[*]}" test "${#PIDS[@]}" = 5
check "... all running" all_running "${PIDS[@]}"
check "it prints the URL" grep -qF "http://127.0.0.1:$T_PORT/" "$T_DIR/qs.out"
check "... how to deploy an edit" grep -q "deploy/deploy-content" "$T_DIR/qs.out"
check "... and how to stop" grep -q "deploy/quickstart stop" "$T_DIR/qs.out"
check "postgres listens on QUIRE_PG_PORT" port_listening "$QUIRE_PG_PORT"
check "redis listens on QUIRE_REDIS_PORT" port_listening "$QUIRE_REDIS_PORT"
check "the site was deployed before the pool started" grep -q "deployed generation 1: " "$T_DIR/qs.out"

# Who runs what. As root, quire must not: every parse of Markdown, YAML
# and HTTP input would run with root's rights.
if ((EUID == 0)); then
	check "quickstart made (or found) the system user quire" getent passwd quire
	check "... with no login shell" test "$(getent passwd quire | cut -d: -f7)" = /usr/sbin/nologin
	Q_UID=$(id -u quire 2>/dev/null)
	Q_GID=$(id -g quire 2>/dev/null)
	check "... and a group of its own, not the web server's (gid $Q_GID)" \
		test "$Q_GID" != "$(getent group www-data | cut -d: -f3)" -a "$Q_GID" != 0
else
	Q_UID=$EUID
	Q_GID=$(id -g)
fi
QMASTER=$(<"$RUN/quire.pid")
runs_as_quire "quire's master" "$QMASTER"
for w in $(workers_of "$QMASTER"); do
	runs_as_quire "a worker" "$w"
done
check "... 2 workers" test "$(workers_of "$QMASTER" | wc -l)" = 2
QCOMMITTER=$(committer_of "$QMASTER")
check "a committer runs (the write API is on)" test -n "$QCOMMITTER"
runs_as_quire "the committer" "$QCOMMITTER"
runs_as_quire "the deployer (quirectl serve)" "$(<"$RUN/deployer.pid")"
if ((EUID == 0)); then
	check "the log says quire dropped to quire" grep -q 'event=privs running as user="quire"' "$RUN/quire.log"
	# nginx's workers (www-data) connect by the group; quire cannot
	# loosen what root owns.
	for s in quire.sock quire-api.sock; do
		check "$s is root:www-data 660 (got: $(stat -c '%U:%G %a' "$RUN/$s" 2>&1))" \
			test "$(stat -c '%U:%G %a' "$RUN/$s" 2>&1)" = "root:www-data 660"
	done
	check "the token file is quire's alone, 600 (got: $(stat -c '%U %a' "$RUN/api-token"))" \
		test "$(stat -c '%U %a' "$RUN/api-token")" = "quire 600"
	check "redis runs as redis, not root (got: $(proc_ids "$(<"$RUN/redis.pid")"))" \
		test "$(proc_ids "$(<"$RUN/redis.pid")" | cut -d' ' -f1)" = "$(id -u redis)"
fi

expect_status / 200
expect_body_contains "$POST" "FIXTURE-HELLO-BODY"
expect_status /posts/no-such-post 404
expect_body_contains /images/qs.txt QS-STATIC-FILE
expect_header /images/qs.txt Cache-Control 'max-age=[1-9]'
# QUIRE_METRICS_PORT: nginx's metrics server, the one place /metrics is.
expect_status /metrics 404
expect_body_matches "$METRICS_BASE/metrics" '^quire_requests_total [1-9][0-9]*$'
check "it prints where /metrics is" grep -qF "http://127.0.0.1:$T_METRICS_PORT/metrics" "$T_DIR/qs.out"
check "quire loaded the site from the tiers" grep -Eq "generation=[0-9]+ from the tiers" "$RUN/quire.log"

check "quire.env is not readable by others" test "$(stat -c %a "$RUN/quire.env")" = 600
if (
	# shellcheck disable=SC1091
	. "$RUN/quire.env"
	for v in QUIRE_DATABASE_URL QUIRE_REDIS_URL QUIRE_REDIS_PREFIX QUIRE_CONTENT_DIR \
		QUIRE_PORT QUIRE_PID_FILE; do
		[[ -n ${!v:-} ]] || { echo "  quire.env lacks $v"; exit 1; }
	done
	[[ $QUIRE_PID_FILE == "$RUN/quire.pid" && $QUIRE_PORT == "$T_PORT" ]] || exit 1
	timeout 20 "$(dirname "$QUIRE_FCGI")/quirectl" status >"$T_DIR/status.out" 2>&1
); then
	ok ". quire.env; quirectl status reaches the stack"
else
	fail ". quire.env; quirectl status: $(cat "$T_DIR/status.out" 2>/dev/null)"
fi
check "... which has 2 live workers" grep -q "workers: 2 live" "$T_DIR/status.out"

# The write API, as the printed example does it, through nginx's /api/ to
# quire's own socket for it.
check "quire listens for the API on $RUN/quire-api.sock, as quire.sock is owned" \
	test "$(stat -c '%U:%G %a' "$RUN/quire-api.sock" 2>&1)" = "$(stat -c '%U:%G %a' "$RUN/quire.sock")"
api_status=$(curl -s -o "$T_DIR/put.out" -w '%{http_code}' -X PUT \
	-H "Authorization: Bearer $(head -n1 "$RUN/api-token")" \
	-H 'Content-Type: text/markdown' --data-binary $'---\ntitle: Hello API\n---\nWritten over HTTP QS-API-BODY.\n' \
	"$BASE/api/posts/hello-api")
check "a PUT with the token made here is created ($api_status $(head -c 120 "$T_DIR/put.out"))" test "$api_status" = 201
expect_body_contains /posts/hello-api "QS-API-BODY"

qs status
check "quickstart status exits 0 when everything runs" test "$QS_STATUS" = 0
check "... naming each component" grep -q "postgres: running" "$T_DIR/qs.out"
check "... the deployer too" grep -q "deployer: running" "$T_DIR/qs.out"
check "... and the workers (quirectl status)" grep -q "workers: 2 live" "$T_DIR/qs.out"

qs start
check "start again says it is already running" grep -q "already running" "$T_DIR/qs.out"
mapfile -t AGAIN < <(qs_pids)
check "... and leaves the same PIDs" test "${AGAIN[*]}" = "${PIDS[*]}"

# An edit in the content folder itself.
sed -i 's/FIXTURE-HELLO-BODY/EDIT-ONE FIXTURE-HELLO-BODY/' "$QUIRE_CONTENT_DIR/$POST_FILE"
check "deploy-content of the content folder succeeds" deploy_content "$QUIRE_CONTENT_DIR"
check "... one post changed" grep -q " 1 changed, 0 removed" "$T_DIR/dc.out"
check "... every worker acknowledged" grep -Eq "([0-9]+)/\1 workers acknowledged" "$T_DIR/dc.out"
check "... made by the deployer (quirectl serve)" grep -q "event=deploy answered: exit 0" "$RUN/deployer.log"
check "every worker serves the edit at once" every_worker_serves "$POST" 200 "EDIT-ONE" "$(<"$RUN/quire.pid")"

# An edit in an author's folder elsewhere: mirrored, deleted files too.
AUTHOR=$T_DIR/author
cp -r "$QUIRE_CONTENT_DIR" "$AUTHOR"
sed -i 's/EDIT-ONE/EDIT-TWO/' "$AUTHOR/$POST_FILE"
# Same size, same mtime as the served copy: rsync's quick check would
# skip it; deploy-content compares the bytes.
touch -r "$QUIRE_CONTENT_DIR/$POST_FILE" "$AUTHOR/$POST_FILE"
rm -f "$AUTHOR/posts/2024-02-20-second-post.md"
check "deploy-content of another folder succeeds" deploy_content "$AUTHOR"
check "... which the content folder now mirrors" diff -r "$AUTHOR" "$QUIRE_CONTENT_DIR"
check "... one changed, one removed" grep -q " 1 changed, 1 removed" "$T_DIR/dc.out"
check "every worker serves the second edit at once" every_worker_serves "$POST" 200 "EDIT-TWO" "$(<"$RUN/quire.pid")"
expect_status /posts/second 404

# A broken file: with --strict, deploy-content passes quirectl's status
# 1 through, nothing deployed; without, the rest is deployed, exit 6.
printf -- '---\ntitle: [unclosed\n---\nbody\n' >"$AUTHOR/posts/bad.md"
sed -i 's/EDIT-TWO/EDIT-THREE/' "$AUTHOR/$POST_FILE"
deploy_content --strict "$AUTHOR"
check "deploy-content --strict of a broken folder exits 1 (quirectl's status)" test "$DC_STATUS" = 1
check "... naming the file" grep -Eq "bad.md:[0-9]+:[0-9]+:" "$T_DIR/dc.out"
check "... and the served content stays" every_worker_serves "$POST" 200 "EDIT-TWO" "$(<"$RUN/quire.pid")"
deploy_content "$AUTHOR"
check "deploy-content of a broken folder exits 6 (deployed with errors)" test "$DC_STATUS" = 6
check "... naming the file" grep -Eq "bad.md:[0-9]+:[0-9]+:" "$T_DIR/dc.out"
check "... and the rest is served" every_worker_serves "$POST" 200 "EDIT-THREE" "$(<"$RUN/quire.pid")"
rm -f "$AUTHOR/posts/bad.md"

mapfile -t WORKERS < <(workers_of "$(<"$RUN/quire.pid")")
qs stop
check "quickstart stop succeeds" test "$QS_STATUS" = 0
check "every PID it started is gone" all_gone "${PIDS[@]}"
check "... and quire's workers: ${WORKERS[*]}" all_gone "${WORKERS[@]}"
check "nothing listens on the nginx (site, metrics), postgres and redis ports" ports_free
check "stop removes quire.env" test ! -e "$RUN/quire.env"
deploy_content "$AUTHOR"
check "deploy-content with the stack stopped exits 3" test "$DC_STATUS" = 3
check "... and says it is not running" grep -q "not running" "$T_DIR/dc.out"

# Started again on its database, now that a content file gives the slug
# of the API's post (hello-api, PUT above), a file is broken (bad.md,
# still there) and two posts share a slug on different dates: the
# first is skipped and reported, the broken one reported with its
# line, both posts sharing a slug served, the rest deployed, and the
# stack starts and serves (issue 17: one bad file never blocks a blog).
printf -- '---\ntitle: A file with the API post slug\nslug: hello-api\n---\nQS-FILE-BODY\n' \
	>"$QUIRE_CONTENT_DIR/posts/hello-api.md"
printf -- '---\ntitle: Twin one\n---\nTWIN-OLD\n' >"$QUIRE_CONTENT_DIR/posts/2020-01-01-twin.md"
printf -- '---\ntitle: Twin two\n---\nTWIN-NEW\n' >"$QUIRE_CONTENT_DIR/posts/2021-01-01-twin.md"
if qs start; then
	ok "quickstart starts with a broken file, shared slugs and an API post's slug"
	mapfile -t PIDS < <(qs_pids)
	SEEN_PIDS+=("${PIDS[@]}")
	check "... reporting the file it skipped" \
		grep -q 'posts/hello-api.md:1:1: slug "hello-api" is owned by the write API: file skipped' "$T_DIR/qs.out"
	check "... listing the broken file with line and column" grep -Eq "posts/bad.md:[0-9]+:[0-9]+: " "$T_DIR/qs.out"
	check "... and the post given a suffix, naming both files" \
		grep -q 'posts/2021-01-01-twin.md:1:1: slug "twin" is also given by ".*posts/2020-01-01-twin.md": served as "twin-2021-01-01"' "$T_DIR/qs.out"
	check "... saying the rest was deployed" grep -q "deployed generation [0-9]*: 2 changed, .* 1 skipped" "$T_DIR/qs.out"
	check "... and that there were errors" grep -q "deployed with errors" "$T_DIR/qs.out"
	check "... every worker serves the API's post" every_worker_serves /posts/hello-api 200 "QS-API-BODY" "$(<"$RUN/quire.pid")"
	check "... both posts sharing a slug" every_worker_serves /posts/twin 200 "TWIN-OLD" "$(<"$RUN/quire.pid")"
	check "... (the later one under its suffix)" every_worker_serves /posts/twin-2021-01-01 200 "TWIN-NEW" "$(<"$RUN/quire.pid")"
	check "... and the rest of the content" every_worker_serves "$POST" 200 "EDIT-THREE" "$(<"$RUN/quire.pid")"
	rm -f "$QUIRE_CONTENT_DIR/posts/bad.md"
	sed -i 's/EDIT-THREE/EDIT-THREE-B/' "$QUIRE_CONTENT_DIR/$POST_FILE"
	deploy_content "$QUIRE_CONTENT_DIR"
	check "deploy-content then exits 5 (deployed, a file skipped)" test "$DC_STATUS" = 5
	check "... and the edit is served by every worker" every_worker_serves "$POST" 200 "EDIT-THREE-B" "$(<"$RUN/quire.pid")"
	qs stop
	check "... and stops" test "$QS_STATUS" = 0
	check "... every PID gone" all_gone "${PIDS[@]}"
else
	fail "quickstart with a broken file, shared slugs and an API post's slug (exit $QS_STATUS)"
fi
rm -f "$QUIRE_CONTENT_DIR/posts/hello-api.md"
sed -i 's/EDIT-THREE-B/EDIT-THREE/' "$QUIRE_CONTENT_DIR/$POST_FILE"

# ------------------------------------------------------------ embedded
if QUIRE_EMBEDDED=1 qs start; then
	ok "QUIRE_EMBEDDED=1 deploy/quickstart starts"
	mapfile -t EPIDS < <(qs_pids)
	SEEN_PIDS+=("${EPIDS[@]}")
	check "... nginx and quire only: ${EPIDS[*]}" test "${#EPIDS[@]}" = 2
	runs_as_quire "quire's master (embedded)" "$(<"$RUN/quire.pid")"
	for w in $(workers_of "$(<"$RUN/quire.pid")"); do
		runs_as_quire "a worker (embedded)" "$w"
	done
	expect_status / 200
	expect_body_contains /images/qs.txt QS-STATIC-FILE
	# EDIT-THREE is in the files only: the tiers refused that deploy.
	expect_body_contains "$POST" "EDIT-THREE"
	check "... with no tier in quire.env" not grep -q "QUIRE_DATABASE_URL\|QUIRE_REDIS_URL" "$RUN/quire.env"
	# the same rule as the deploy's: both posts sharing a slug served
	expect_body_contains /posts/twin TWIN-OLD
	expect_body_contains /posts/twin-2021-01-01 TWIN-NEW
	printf -- '---\ntitle: [unclosed\n---\nbody\n' >"$QUIRE_CONTENT_DIR/posts/bad.md"
	deploy_content "$QUIRE_CONTENT_DIR"
	check "deploy-content on the embedded stack with a broken file exits 6, as a deploy" test "$DC_STATUS" = 6
	check "... naming the file" grep -Eq "bad.md:[0-9]+:[0-9]+:" "$T_DIR/dc.out"
	rm -f "$QUIRE_CONTENT_DIR/posts/bad.md"
	sed -i 's/EDIT-THREE/EDIT-FOUR/' "$QUIRE_CONTENT_DIR/$POST_FILE"
	check "deploy-content on the embedded stack succeeds (check + SIGHUP)" \
		deploy_content "$QUIRE_CONTENT_DIR"
	for ((i = 0; i < 50; i++)); do
		every_worker_serves "$POST" 200 "EDIT-FOUR" "$(<"$RUN/quire.pid")" >/dev/null && break
		sleep 0.1
	done
	check "... and the workers serve the edit after the reload" every_worker_serves "$POST" 200 "EDIT-FOUR" "$(<"$RUN/quire.pid")"
	qs stop
	check "... and stops" test "$QS_STATUS" = 0
	check "... every PID gone" all_gone "${EPIDS[@]}"
else
	fail "QUIRE_EMBEDDED=1 deploy/quickstart (exit $QS_STATUS)"
fi

t_done
