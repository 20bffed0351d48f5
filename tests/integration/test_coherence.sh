#!/bin/bash
# test_coherence.sh - the coherence model (DESIGN §13) under faults, short
#
# Two fixed seeds of tests/coherence/run, 30 s each: the whole stack on
# loopback (PostgreSQL, Redis, nginx, quire with 2 workers and the write
# API, the deployer), API writers, a content author and readers, and the
# seed's overlapping faults; every property of the model is checked
# over the history. A violation prints the seed, the property, the
# operations involved and the command that replays it; the run's folder
# (history.jsonl, violations.json, every log) is kept under /tmp.
#
# Held back until the defects they show are fixed (DESIGN §13, "What
# the checker found"; widen this list as the fixes land):
#   faults redis-kill, redis-oom, redis-pause: an announce that fails
#     (Redis down, refusing writes, or paused past the committer's
#     timeout) makes the committer answer 2xx and SIGHUP the master
#     without waiting, and leaves Redis with the old record while the
#     reloaded workers' index has the new one: torn pages (title of one
#     revision, body of another) that outlive the fault (property 3),
#     and acknowledgements no worker serves yet.
#   torn pages (the tags torn-inflight, torn-body-ahead and
#     torn-body-behind, with or without -in-fault): a post's page takes
#     its title from the worker's index and its body from the tiers by
#     slug, with no check that both are one revision, so every moment
#     the two disagree becomes a torn page: while a change is being
#     announced (seen with no fault at all), in a worker forked during a
#     fault that loaded the site before a commit, and once (seed 29,
#     1 run in 6, no fault active) the body of revision 2 under the
#     title of revision 3 of a slug deleted and created again many
#     times, cause not found. The checker still prints them, as KNOWN;
#     the API's ETag, PostgreSQL's rows and the listings are checked.
#   fault committer-kill: a committer killed between a COMMIT and its
#     Redis store takes with it the list of slugs whose commit went
#     unanswered (the client got 503), so nobody re-reads them: Redis
#     keeps the older record, and a worker loaded from PostgreSQL later
#     serves the new title with the old body until the post is written
#     again (seen for 8 s, to the end of a run).
# lib.sh's watchdog, read when it is sourced: each run is its seconds
# plus ~25 s of start, quiet, sweep and stop, more when a heal is slow.
export QUIRE_TEST_TIMEOUT=${QUIRE_TEST_TIMEOUT:-300}
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

FAULTS=deployer-kill,pg-kill,redis-flushall,redis-drop-subscribers,sighup-storm,sigusr2,worker-kill
KNOWN=torn-inflight,torn-body-ahead,torn-body-ahead-in-fault,torn-body-behind,torn-body-behind-in-fault
SEEDS="29 44"   # between them every fault of FAULTS, 8 in all
SECONDS_EACH=30

t_init
for tool in redis-server redis-cli; do
	command -v "$tool" >/dev/null 2>&1 ||
		{ echo "$T_NAME: SKIP: $tool is not installed (deploy/install-deps)"; exit 77; }
done
[[ -x $QUIRE_BUILDDIR/fcgi/quirectl && -x $QUIRE_BUILDDIR/fcgi/quire-deploy ]] ||
	{ fail "quirectl and quire-deploy are not built (make)"; t_done; }

# The checker finds the binaries and the tree by these.
export QUIRE_SRCDIR QUIRE_BUILDDIR
for seed in $SEEDS; do
	out=$T_DIR/seed-$seed
	# In the background and recorded, so that the EXIT trap (watchdog,
	# Ctrl-C) sends it SIGTERM: it then stops its whole stack by PID.
	"$T_PY" "$QUIRE_SRCDIR/tests/coherence/run" --seconds "$SECONDS_EACH" \
		--seed "$seed" --faults "$FAULTS" --known "$KNOWN" --out "$out" \
		>"$T_DIR/seed-$seed.log" 2>&1 &
	T_PIDS+=("$!")
	wait "$!"
	rc=$?
	sed 's/^/  /' "$T_DIR/seed-$seed.log" | cut -c1-400
	if ((rc == 77)); then
		echo "$T_NAME: SKIP: the checker lacks a tool"
		exit 77
	fi
	faults=$(grep -c '"kind": "fault"' "$out/history.jsonl" 2>/dev/null)
	ops=$(wc -l <"$out/history.jsonl" 2>/dev/null)
	check "seed $seed: no violation of the coherence model ($ops operations, ${faults:-0} faults; exit $rc)" \
		test "$rc" = 0
	check "seed $seed: faults were injected and healed" \
		test "${faults:-0}" -ge 3 -a -z "$(grep '"healed": false' "$out/history.jsonl")"
	check "seed $seed: writes and deploys were acknowledged" \
		grep -q '"status": 0' "$out/history.jsonl"
	if ((rc != 0)); then
		# Kept for the post-mortem: lib.sh removes T_DIR.
		cp -r "$out" "/tmp/quire-coherence-failed-$seed-$$" &&
			t_log "kept the run in /tmp/quire-coherence-failed-$seed-$$"
	fi
done
t_done
