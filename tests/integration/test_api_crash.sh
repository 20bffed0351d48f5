#!/bin/bash
# test_api_crash.sh - PostgreSQL killed (-9) under a burst of API writes
#
# DESIGN §7: nothing is acknowledged that PostgreSQL did not commit. A
# burst of PUTs runs through nginx and quire in rounds (curl --parallel,
# 8 at a time; each body and title carrying a marker unique to the
# request): the first creates 250 of 500 slugs, the next ones write all
# 500, updates and creates interleaved; in the second round the
# postmaster gets SIGKILL (PG_CRASH=all: its children too). Once its
# processes are gone every write must get 503; after a restart (crash
# recovery) PostgreSQL must hold every acknowledged write (slug, at least
# the acknowledged revision, and its marker when at that revision), no
# half-applied write (each row's source, title and html from one
# request; the site generation bumped once per commit, at most once a
# committed write), no row
# nobody tried to write, and quire must write again without a restart.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"
. "$(dirname "$0")/lib_redis.sh"

QUIRECTL=${QUIRECTL:-$QUIRE_BUILDDIR/fcgi/quirectl}
TOKEN=test-token-$RANDOM$RANDOM
SLUGS=500              # burst-001 ... burst-500
PARALLEL=8             # requests at a time
MIN_ACKED=400          # acknowledged writes before the kill (10 s at most):
                       # the middle of the second round
DEAD_WRITES_S=2        # seconds of writing once PostgreSQL is gone

t_init
start_tiers

copy_test_site
"$QUIRECTL" deploy "$SITE" >/dev/null 2>&1 || fail "the first deploy failed"
t_token_file
QUIRE_WORKERS=3 t_start_stack "$T_DIR/no-such-dir"


# put SLUG MARKER: one PUT whose title and body carry MARKER; prints
# "STATUS REVISION SECONDS" (000 when no answer came, revision 0 when
# none).
put() {
	local body=$T_DIR/put.json code rev
	code=$(curl -s -o "$body" -w '%{http_code} %{time_total}' --max-time 5 -X PUT \
		-H "Authorization: Bearer $TOKEN" -H "Content-Type: text/markdown" \
		--data-binary "$(printf -- '---\ntitle: %s\ntags: [crash]\n---\n\nWritten by the burst: %s.\n' "$2" "$2")" \
		"$BASE/api/posts/$1")
	rev=$(grep -o '"revision":[0-9]*' "$body" 2>/dev/null | cut -d: -f2)
	echo "${code% *} ${rev:-0} ${code#* }"
}

read -r code rev _ <<<"$(put probe-api MARK-probe-api-r0-END)"
check "a PUT before the burst: 201 (got $code)" test "$code" = 201
GEN0=$(pg_quire -c 'SELECT generation FROM site')

# round_size R: the PUTs of round R. The first round creates the odd
# slugs only, so that the next ones interleave updates (odd) and creates
# (even) and the kill finds both in flight.
round_size() { if (($1 == 1)); then echo $(((SLUGS + 1) / 2)); else echo "$SLUGS"; fi; }

# round R: one curl process PUTs its slugs once each, in order, PARALLEL
# at a time (curl -Z: no process a request), title and body carrying
# MARK-SLUG-rR-END; "STATUS SLUG SECONDS" a request in $T_DIR/round.R.
round() {
	local r=$1 i slug dir=$T_DIR/r$1 cfg=$T_DIR/r$1.cfg marker step=1
	(($1 == 1)) && step=2
	mkdir -p "$dir"
	: >"$cfg"
	for ((i = 1; i <= SLUGS; i += step)); do
		printf -v slug 'burst-%03d' "$i"
		marker=MARK-$slug-r$r-END
		printf -- '---\ntitle: %s\ntags: [crash]\n---\n\nWritten by the burst: %s.\n' \
			"$marker" "$marker" >"$dir/$slug.md"
		[[ -s $cfg ]] && echo next >>"$cfg"
		printf '%s\n' "url = \"$BASE/api/posts/$slug\"" 'request = "PUT"' silent \
			"header = \"Authorization: Bearer $TOKEN\"" \
			'header = "Content-Type: text/markdown"' \
			"data-binary = \"@$dir/$slug.md\"" "output = \"$dir/$slug.json\"" \
			'max-time = 5' "write-out = \"%{http_code} $slug %{time_total}\\n\"" >>"$cfg"
	done
	curl -Z --parallel-max "$PARALLEL" --parallel-immediate -K "$cfg" \
		>"$T_DIR/round.$r" 2>>"$T_DIR/curl.err"
}

# burst: rounds one after the other (so that each slug's writes are in
# order), until $T_DIR/stop exists and a whole round was made with
# PostgreSQL gone; 20 rounds at most, 0.3 s apart once it was killed
# (503s come fast). $T_DIR/rounds: "R live|dead", dead when every
# process of PostgreSQL had exited before the round began.
burst() {
	local r phase dead_done=0
	trap - EXIT INT TERM
	for ((r = 1; r <= 20; r++)); do
		[[ -e $T_DIR/stop ]] && ((dead_done)) && break
		[[ -e $T_DIR/killed ]] && sleep 0.3
		phase=live
		[[ -e $T_DIR/dead ]] && phase=dead
		echo "$r $phase" >>"$T_DIR/rounds"
		round "$r"
		[[ $phase == dead ]] && dead_done=1
	done
}
acked_so_far() { cat "$T_DIR"/round.* 2>/dev/null | grep -c '^20[01] '; }

burst &
BURST_PID=$!
T_PIDS+=("$BURST_PID")
for ((i = 0; i < 100; i++)); do
	(($(acked_so_far) >= MIN_ACKED)) && break
	kill -0 "$BURST_PID" 2>/dev/null || break
	sleep 0.1
done
t_log "$(acked_so_far) writes acknowledged before the kill (at least)"

# The postmaster's children (backends, checkpointer...) outlive it until
# they notice, and a backend may still finish its transaction; a new
# postmaster cannot start while they hold the old shared memory.
# PG_CRASH=all kills them too, at once, as a power cut would: then a
# COMMIT can be durable without its answer ever being sent.
PG_KIDS=$(children "$PG_PID")
kill -KILL "$PG_PID"
if [[ ${PG_CRASH:-postmaster} == all ]]; then
	# shellcheck disable=SC2086  # a list of PIDs
	kill -KILL $PG_KIDS 2>/dev/null
fi
touch "$T_DIR/killed"
t_log "kill -9 postgres (pid $PG_PID)$([[ ${PG_CRASH:-} == all ]] && echo " and at once its" ||
	echo "; its") children: $(tr '\n' ' ' <<<"$PG_KIDS")"
for ((i = 0; i < 100; i++)); do
	left=
	for p in $PG_PID $PG_KIDS; do kill -0 "$p" 2>/dev/null && left+=" $p"; done
	[[ -z $left ]] && break
	sleep 0.1
done
if [[ -n $left ]]; then
	t_log "postgres processes still there after 10 s:$left: SIGKILL"
	# shellcheck disable=SC2086  # a list of PIDs
	kill -KILL $left 2>/dev/null
fi
wait "$PG_RUNNER_PID" 2>/dev/null
pg_forget "$PG_PID"
pg_forget "$PG_RUNNER_PID"
touch "$T_DIR/dead"
t_log "every postgres process has exited; writing for ${DEAD_WRITES_S}s more"
sleep "$DEAD_WRITES_S"
touch "$T_DIR/stop"
# Only this one: a bare wait would also wait for lib.sh's watchdog.
wait "$BURST_PID"

# One line a request: phase, slug, status, revision acknowledged (0:
# none), marker, seconds.
: >"$T_DIR/writes.tsv"
short=
while read -r r phase; do
	(($(wc -l <"$T_DIR/round.$r") == $(round_size "$r"))) || short+=" $r"
	awk -v r="$r" -v phase="$phase" -v dir="$T_DIR/r$r" '{
		rev = 0; f = dir "/" $2 ".json"
		if ((getline l < f) > 0 && match(l, /"revision":[0-9]+/))
			rev = substr(l, RSTART + 11, RLENGTH - 11)
		close(f)
		printf "%s\t%s\t%s\t%s\tMARK-%s-r%s-END\t%s\n", phase, $2, $1, rev, $2, r, $3
	}' "$T_DIR/round.$r" >>"$T_DIR/writes.tsv"
done <"$T_DIR/rounds"
check "rounds: $(tr '\n' ' ' <"$T_DIR/rounds"); each has all its answers${short:+ (short:$short)}" \
	test -z "$short"
awk -F'\t' '$3 == 200 || $3 == 201' "$T_DIR/writes.tsv" >"$T_DIR/acked.tsv"
N_ALL=$(wc -l <"$T_DIR/writes.tsv")
N_ACKED=$(wc -l <"$T_DIR/acked.tsv")
N_ACKED_SLUGS=$(cut -f2 "$T_DIR/acked.tsv" | sort -u | wc -l)
N_FAILED=$((N_ALL - N_ACKED))
N_DEAD=$(awk -F'\t' '$1 == "dead"' "$T_DIR/writes.tsv" | wc -l)
t_log "writes: $N_ALL, acknowledged $N_ACKED over $N_ACKED_SLUGS slugs, not $N_FAILED" \
	"($(cut -f3 "$T_DIR/writes.tsv" | sort | uniq -c | awk '{printf "%s%s x%s", (NR > 1) ? ", " : "", $2, $1}'))"
t_log "seconds a write (curl's time_total), acknowledged ones: median $(awk -F'\t' '$3 == 200 || $3 == 201 {print $6}' "$T_DIR/writes.tsv" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'), max $(awk -F'\t' '$3 == 200 || $3 == 201 {print $6}' "$T_DIR/writes.tsv" | sort -g | tail -n1)"
check "the burst had acknowledged writes before the kill ($N_ACKED acked)" \
	test "$N_ACKED" -ge 100
check "every answer was 201, 200 or 503" \
	test -z "$(awk -F'\t' '$3 != 200 && $3 != 201 && $3 != 503' "$T_DIR/writes.tsv" | head -3)"
check "writes were made with PostgreSQL gone ($N_DEAD)" test "$N_DEAD" -ge "$SLUGS"
check "... and every one of them got 503" \
	test -z "$(awk -F'\t' '$1 == "dead" && $3 != 503' "$T_DIR/writes.tsv" | head -3)"
check "reads are still served with PostgreSQL gone" \
	test "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/posts/hello-world")" = 200

start_pg_again || { fail "postgresql did not come back"; t_done; }

# Everything below asks PostgreSQL itself, after its crash recovery.
cp "$T_DIR/writes.tsv" "$T_DIR/writes.copy"
chmod 644 "$T_DIR/writes.copy"
pg_quire >"$T_DIR/verify.out" 2>&1 <<EOF
CREATE TEMP TABLE w (phase text, slug text, status int, revision bigint, marker text,
 seconds float8);
\copy w FROM '$T_DIR/writes.copy'
CREATE TEMP VIEW rows AS SELECT * FROM posts WHERE slug LIKE 'burst-%';
-- an acknowledged write missing, behind, or not the one at its revision
SELECT 'lost', count(*) FROM w LEFT JOIN rows p USING (slug)
 WHERE w.status IN (200, 201) AND (p.slug IS NULL OR p.revision < w.revision
  OR (p.revision = w.revision AND strpos(p.source, w.marker) = 0));
-- a row not made whole by one request: its title is a marker of its
-- slug, found in its source and in its html; the fields a put sets
SELECT 'torn', count(*) FROM rows p
 WHERE p.origin <> 'api' OR p.kind <> 'post' OR p.html IS NULL
  OR p.title IS NULL OR p.title NOT LIKE 'MARK-' || p.slug || '-r%-END'
  OR strpos(p.source, 'Written by the burst: ' || p.title || '.') = 0
  OR strpos(p.html, p.title) = 0 OR p.tags <> '{crash}' OR p.revision < 1;
-- the marker a row holds is one some request sent for that slug
SELECT 'unsent', count(*) FROM rows p
 WHERE NOT EXISTS (SELECT 1 FROM w WHERE w.slug = p.slug AND w.marker = p.title);
SELECT 'rows', count(*) FROM rows;
-- one generation a committed write: each write adds 1 to a revision
SELECT 'commits', coalesce(sum(revision), 0) FROM rows;
SELECT 'generation', generation FROM site;
-- a row whose slug no request was acknowledged for
SELECT 'unacked_rows', count(*) FROM rows p
 WHERE NOT EXISTS (SELECT 1 FROM w WHERE w.slug = p.slug AND w.status IN (200, 201));
-- committed beyond the last acknowledgement: answered 503, yet durable
SELECT 'unacked_commits', count(*) FROM rows p
 WHERE p.revision > (SELECT coalesce(max(w.revision), 0) FROM w
  WHERE w.slug = p.slug AND w.status IN (200, 201));
SELECT 'unacked_slugs', string_agg(slug, ' ') FROM (SELECT p.slug FROM rows p
 WHERE p.revision > (SELECT coalesce(max(w.revision), 0) FROM w
  WHERE w.slug = p.slug AND w.status IN (200, 201)) ORDER BY 1 LIMIT 20) s;
EOF
check "the checks ran in PostgreSQL after its recovery" test $? = 0
v() { awk -F'|' -v k="$1" '$1 == k {print $2}' "$T_DIR/verify.out"; }
LOST=$(v lost) TORN=$(v torn) UNSENT=$(v unsent) ROWS=$(v rows)
COMMITS=$(v commits) GEN=$(v generation)
UNACKED_ROWS=$(v unacked_rows) UNACKED_COMMITS=$(v unacked_commits)
t_log "postgresql: $ROWS rows, $COMMITS writes committed, generation $GEN (was $GEN0);" \
	"$UNACKED_COMMITS slugs committed past their last acknowledgement$( ((UNACKED_COMMITS > 0)) && echo " ($(v unacked_slugs))")"
if [[ -z $LOST || -z $ROWS ]]; then
	sed 's/^/  psql: /' "$T_DIR/verify.out"
	fail "no figures from PostgreSQL"
	t_done
fi
check "every one of the $N_ACKED acknowledged writes is in PostgreSQL ($LOST lost)" test "$LOST" = 0
check "no half-applied write ($TORN rows torn)" test "$TORN" = 0
check "every row holds a marker some request sent ($UNSENT do not)" test "$UNSENT" = 0
# Writes share commits (the committer's batches): one generation a
# commit, so between 1 and one a write.
check "the generation went up once per commit, at most once a write ($GEN0 -> $GEN, $COMMITS writes)" \
	test "$GEN" -gt "$GEN0" -a "$GEN" -le $((GEN0 + COMMITS))
check "committed writes: at least the $N_ACKED acknowledged, at most $N_FAILED more ($COMMITS)" \
	test "$COMMITS" -ge "$N_ACKED" -a "$COMMITS" -le $((N_ACKED + N_FAILED))
check "rows: the $N_ACKED_SLUGS slugs acknowledged and at most $N_FAILED more ($ROWS)" \
	test "$ROWS" -ge "$N_ACKED_SLUGS" -a "$ROWS" -le $((N_ACKED_SLUGS + N_FAILED)) \
	-a "$((ROWS - N_ACKED_SLUGS))" = "$UNACKED_ROWS"

# quire reconnects by itself: the first writes may still find the dead
# connection (503); within 15 s one must succeed.
ok_after=
for ((i = 1; i <= 75; i++)); do
	read -r code rev _ <<<"$(put after-restart MARK-after-restart-r$i-END)"
	[[ $code == 201 ]] && { ok_after=$i; break; }
	sleep 0.2
done
check "a write succeeds after the restart (try ${ok_after:-none})" test -n "$ok_after"
expect_body_contains /posts/after-restart "MARK-after-restart-r$ok_after-END"
slug=$(cut -f2 "$T_DIR/acked.tsv" | head -n1)
before=$(pg_quire -c "SELECT revision FROM posts WHERE slug = '$slug'")
read -r code rev _ <<<"$(put "$slug" "MARK-$slug-r99-END")"
check "rewriting $slug after the restart: 200 at revision $((before + 1)) (got $code at $rev)" \
	test "$code $rev" = "200 $((before + 1))"

# A write committed without its answer (PG_CRASH=all can do that) is
# read back from PostgreSQL by the committer with its next commit (the
# writes above): quire must serve what the database holds, not the
# version before it.
for slug in $(v unacked_slugs); do
	pgrev=$(pg_quire -c "SELECT revision FROM posts WHERE slug = '$slug'")
	req "/api/posts/$slug" -H "Authorization: Bearer $TOKEN"
	t_log "$slug committed without an answer: PostgreSQL at revision $pgrev," \
		"quire serves ETag $(header ETag)" \
		"($(grep -o 'MARK-[a-z0-9-]*-END' "$T_DIR/r.body" | head -n1))"
	check "$slug, committed unanswered, is served at PostgreSQL's revision $pgrev" \
		test "$(header ETag)" = "\"$pgrev\""
done

check "no worker crashed" test -z "$(crash_lines)"
# A fast shutdown: the EXIT trap's SIGTERM would wait for quire's
# sessions to end.
stop_pg
t_done
