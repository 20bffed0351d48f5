"""faults.py - the faults, and the seed's schedule of them

A fault is injected, lasts a while, and is healed; its history entry
spans from the injection to the moment the stack is whole again
(Stack.healthy: the master with its workers and committer, Redis and
PostgreSQL answering, the deployer alive, /healthz 200), which is the
"healed" of the model (DESIGN §13). Faults of one resource (Redis,
PostgreSQL, the master's processes, the deployer) take turns; faults
of different resources overlap freely.

The schedule (times, kinds, durations) is drawn from the seed alone:
bursts of overlapping faults with healthy stretches between them, none
in the last seconds, so that every acknowledged change must have
reached every worker by the end.
"""

import os
import random
import re
import signal
import subprocess
import threading
import time

from stack import alive, children, wait_until

HEAL_TIMEOUT = 30.0


# name -> (resource, what it does); each function gets (stack, rng,
# seconds) and returns a detail string; it returns once the fault is
# undone (the heal wait follows).
def redis_kill(st, rng, d):
    pid = st.redis_pid
    st.kill(pid, signal.SIGKILL)
    wait_until(lambda: not alive(pid), 5)
    time.sleep(d)
    st.start_redis()
    return "redis pid %d killed, down %.1fs, restarted empty as %d" % (pid, d, st.redis_pid)


def redis_oom(st, rng, d):
    st.redis("CONFIG", "SET", "maxmemory-policy", "noeviction")
    st.redis("CONFIG", "SET", "maxmemory", "1")
    time.sleep(d)
    _redis_retry(st, "CONFIG", "SET", "maxmemory", "0")
    return "maxmemory 1 byte (noeviction) for %.1fs" % d


def redis_flushall(st, rng, d):
    st.redis("FLUSHALL")
    return "FLUSHALL"


def redis_drop_subscribers(st, rng, d):
    """A flapping link for the subscribers alone: their connections
    killed every 0.2 s for d seconds while the writers reach Redis, so
    invalidations are published while they are away."""
    n = killed = 0
    end = time.monotonic() + d
    while time.monotonic() < end:
        killed += int(st.redis("CLIENT", "KILL", "TYPE", "pubsub") or 0)
        n += 1
        time.sleep(0.2)
    return "CLIENT KILL TYPE pubsub %d times over %.1fs: %d connections" % (n, d, killed)


def redis_pause(st, rng, d):
    ms = int(d * 1000)
    st.redis("CLIENT", "PAUSE", str(ms), "ALL")
    time.sleep(d)
    return "CLIENT PAUSE %d ALL" % ms


def _redis_retry(st, *args):
    for _ in range(50):
        try:
            return st.redis(*args)
        except (OSError, RuntimeError):
            time.sleep(0.1)
    raise RuntimeError("redis: %s did not succeed" % " ".join(args))


def pg_kill(st, rng, d):
    """A power cut for PostgreSQL: the postmaster and every child at
    once, then crash recovery on restart."""
    pid = st.pg_pid
    kids = [p for p, _ in children(pid)]
    for p in [pid] + kids:
        st.kill(p, signal.SIGKILL)
    wait_until(lambda: not any(alive(p) for p in [pid] + kids), 10)
    time.sleep(d)
    st.launch_pg()
    return "postgres %d and %d children killed, down %.1fs" % (pid, len(kids), d)


MARKER = re.compile(r"mk-[a-z0-9]+-[0-9]+")
RESTORE_TIMEOUT = 60


def backup_restore(st, rng, d):
    """The operator goes back in time (README "Backing up and
    restoring"): a pg_dump -Fc while quire runs, 2 + d seconds of the
    workload on top of it (writes and deploys the restore will take
    back), then pg_restore --clean --if-exists --single-transaction into
    the same database under the running workers, and `quirectl restore`
    with the stack's settings. The history entry says what the checker
    needs for the new epoch (DESIGN §13, "Restores"): when the backup
    was taken and the restore began and ended, the backup's rows read
    from the dump itself (exactly the snapshot restored: slug ->
    [revision, marker]), what PostgreSQL holds after `quirectl
    restore` (revisions it moved), and quirectl's exit and output."""
    now = st.clock
    n = len([1 for name in os.listdir(st.dir) if name.startswith("backup-")])
    dump = os.path.join(st.dir, "backup-%d.dump" % n)
    out = {"backup_at": round(now(), 6)}
    _pg_tool(st, "pg_dump", "-Fc", "-f", dump, "quire")
    out["backup_end"] = round(now(), 6)
    out["backup"] = _dump_rows(st, dump)
    time.sleep(2 + d)
    out["restore_at"] = round(now(), 6)
    r = _pg_tool(st, "pg_restore", "--clean", "--if-exists", "--single-transaction",
                 "-d", "quire", dump, check=False)
    out["restore_end"] = round(now(), 6)
    out["pg_restore"] = r.returncode
    out["restored"] = r.returncode == 0
    if r.returncode != 0:
        out["pg_restore_output"] = (r.stdout + r.stderr)[-600:]
    q = subprocess.run([st.bins.quirectl, "restore"], env=st.env, capture_output=True,
                       text=True, timeout=RESTORE_TIMEOUT)
    out["quirectl_end"] = round(now(), 6)
    out["quirectl"] = q.returncode
    out["quirectl_output"] = (q.stdout + q.stderr)[-600:]
    try:
        out["after"] = {slug: [int(rev), m or None] for slug, rev, m in st.psql(
            "SELECT slug, revision, substring(title from '%s') FROM posts" %
            MARKER.pattern)}
    except (RuntimeError, OSError, ValueError, subprocess.TimeoutExpired) as e:
        out["after"] = {}
        out["after_error"] = str(e)[:200]
    out["detail"] = ("pg_dump at %.2fs, %d posts; pg_restore at %.2fs exit %d; "
                     "quirectl restore exit %d: %s" % (
                         out["backup_at"], len(out["backup"]), out["restore_at"],
                         r.returncode, q.returncode,
                         out["quirectl_output"].strip().splitlines()[-1:]))
    return out


def _pg_tool(st, tool, *args, check=True):
    r = subprocess.run([os.path.join(st.bins.pg_bin, tool), "-h", st.pg_sockdir,
                        "-p", str(st.pg_port), "-U", "postgres"] + list(args),
                       capture_output=True, text=True, timeout=RESTORE_TIMEOUT)
    if check and r.returncode != 0:
        raise RuntimeError("%s: %s" % (tool, r.stderr.strip()[-300:]))
    return r


def _dump_rows(st, dump):
    """{slug: [revision, title's marker]} of the posts table in a
    pg_dump -Fc file: its COPY data, as pg_restore prints it."""
    r = _pg_tool(st, "pg_restore", "--data-only", "--table=posts", "-f", "-", dump)
    rows, cols = {}, None
    for line in r.stdout.splitlines():
        if cols is None:
            m = re.match(r"COPY (?:\S+\.)?posts \((.*)\) FROM stdin;", line)
            if m:
                cols = [c.strip().strip('"') for c in m.group(1).split(",")]
            continue
        if line == "\\.":
            break
        f = dict(zip(cols, line.split("\t")))
        m = MARKER.search(f.get("title", ""))
        rows[f["slug"]] = [int(f["revision"]), m.group(0) if m else None]
    if cols is None:
        raise RuntimeError("no posts table in %s" % dump)
    return rows


# The faults of a host's pool strike one host, drawn by Stack.pick_host;
# with several, the detail names it.
def _on(st, h, detail):
    return detail if len(st.hosts) == 1 else "%s: %s" % (h.name, detail)


def worker_kill(st, rng, d):
    h = st.pick_host(rng)
    ws = st.worker_pids(h)
    if not ws:
        return _on(st, h, "no worker to kill")
    pid = rng.choice(ws)
    st.kill(pid, signal.SIGKILL)
    wait_until(lambda: not alive(pid), 5)
    return _on(st, h, "worker %d killed" % pid)


def sighup_storm(st, rng, d):
    h = st.pick_host(rng)
    old = set(st.worker_pids(h))
    n = max(2, int(d * 4))
    for _ in range(n):
        st.kill(h.master, signal.SIGHUP)
        time.sleep(0.1)
    wait_until(lambda: not (old & set(st.worker_pids(h))), 15)
    return _on(st, h, "%d SIGHUPs 100 ms apart" % n)


def sigusr2_upgrade(st, rng, d):
    h = st.pick_host(rng)
    old = set(st.worker_pids(h))
    st.kill(h.master, signal.SIGUSR2)
    wait_until(lambda: not (old & set(st.worker_pids(h))), 15)
    return _on(st, h, "SIGUSR2: upgraded in place")


def committer_kill(st, rng, d):
    h = st.pick_host(rng)
    pid = st.committer_pid(h)
    if not pid:
        return _on(st, h, "no committer")
    st.kill(pid, signal.SIGKILL)
    wait_until(lambda: not alive(pid), 5)
    return _on(st, h, "committer %d killed" % pid)


def deployer_kill(st, rng, d):
    pid = st.deployer
    st.kill(pid, signal.SIGKILL)
    wait_until(lambda: not alive(pid), 5)
    time.sleep(d)
    st.start_deployer()
    return "deployer %d killed, down %.1fs" % (pid, d)


def clock_skew(st, rng, d):
    """The pool's clock (master, workers, committer: one host's) stepped
    20-60 s ahead or behind Redis's, PostgreSQL's and the deployer's,
    for three times d, then back (libfaketime's file, read again every
    second: Stack.faketime). The model's clock is Redis's (DESIGN §13,
    "Clock skew"): the registry, the acknowledgements and the beats
    must not notice. With several hosts one host's pool, so that hosts'
    clocks disagree."""
    s = rng.choice((-1, 1)) * rng.randint(20, 60)
    h = st.pick_host(rng)
    st.set_clock("%+ds" % s, h)
    time.sleep(3 * d)
    off = _registry_off(st)
    st.set_clock("+0", h)
    time.sleep(1.2)     # libfaketime reads the file again within 1 s
    return _on(st, h, "pool clock %+ds for %.1fs; registry stamps %s" % (s, 3 * d, off))


def host_partition(st, rng, d):
    """One host cut off from Redis and PostgreSQL at once (its link,
    link.py: nothing forwarded, new connections held) for twice d, at
    most 6 s — under the registry's 10 s, so that its workers stay live
    and a change acknowledged meanwhile is acknowledged partially
    (DESIGN §13, property 8) — then the link back. Its readers go on:
    the host serves what it has, and must catch up by itself."""
    h = st.pick_host(rng)
    secs = min(6.0, 2 * d)
    st.cut(h, True)
    try:
        time.sleep(secs)
    finally:
        st.cut(h, False)
    return _on(st, h, "cut off from redis and postgresql for %.1fs" % secs)


def _registry_off(st):
    """How far the registry's stamps are from Redis's time, at most
    (what the fault did to it): "Ns off" or why it is not known."""
    try:
        now = int(st.redis("TIME")[0])
        v = st.redis("HGETALL", "quire:workers") or []
        stamps = [int(x.split()[1]) for x in v[1::2]]
    except (OSError, RuntimeError, ValueError, IndexError, TypeError) as e:
        return "unread (%s)" % e
    if not stamps:
        return "none"
    return "%+ds off at most" % max((s - now for s in stamps), key=abs)


FAULTS = {
    "redis-kill": ("redis", redis_kill),
    "redis-oom": ("redis", redis_oom),
    "redis-flushall": ("redis", redis_flushall),
    "redis-pause": ("redis", redis_pause),
    "redis-drop-subscribers": ("redis", redis_drop_subscribers),
    "pg-kill": ("pg", pg_kill),
    "worker-kill": ("master", worker_kill),
    "sighup-storm": ("master", sighup_storm),
    "sigusr2": ("master", sigusr2_upgrade),
    "committer-kill": ("master", committer_kill),
    "deployer-kill": ("deployer", deployer_kill),
}

# Injected only when named (--faults all,clock-skew,...): not in "all",
# so that the fixed seeds of test_coherence.sh keep their plans.
# clock-skew needs libfaketime (Debian's faketime), preloaded into the
# pool; backup-restore starts a new epoch in the checker (checks.py,
# DESIGN §13 "Restores: a new epoch").
OPT_IN = {
    "clock-skew": ("clock", clock_skew),
    # PostgreSQL's resource: it takes turns with pg-kill
    "backup-restore": ("pg", backup_restore),
    # a link of its own between a host and the tiers (--hosts): the run
    # puts one under every host's pool when this fault is named
    "host-partition": ("link", host_partition),
}

# Not yet injected (DESIGN §13 lists them as not checked).
LATER = ()


def schedule(seed, seconds, names, quiet):
    """[(at, name, duration)] for a run of seconds, drawn from seed:
    bursts of 1-3 faults (overlapping) every 9-14 s between 2 s and
    seconds - quiet, so that healthy stretches come between them: the
    properties that hold "while no fault is active" (1, 6) need some."""
    rng = random.Random("faults/%s" % seed)
    out = []
    t = 2.0
    end = seconds - quiet
    while names and t < end:
        for _ in range(rng.randint(1, 3)):
            at = min(t + rng.uniform(0, 2), end)
            out.append((round(at, 2), rng.choice(names), round(rng.uniform(0.3, 3.0), 2)))
        t += rng.uniform(9, 14)
    return sorted(out)


class Injector:
    """Runs a schedule: each fault in a thread of its own at its time;
    one fault of a resource at a time (a fault whose resource is still
    busy waits for it)."""

    def __init__(self, stack, history, seed, plan, stop):
        self.stack = stack
        # the history's clock, for a fault that records its moments
        # (backup-restore)
        self.stack.clock = history.now
        self.h = history
        self.seed = seed
        self.plan = plan
        self.stop = stop
        self.locks = {r: threading.Lock() for r, _ in
                      list(FAULTS.values()) + list(OPT_IN.values())}
        self.threads = []
        self.main = threading.Thread(target=self._run, name="faults", daemon=True)

    def start(self):
        self.main.start()

    def _run(self):
        for i, (at, name, d) in enumerate(self.plan):
            wait = at - self.h.now()
            if wait > 0 and self.stop.wait(wait):
                return
            th = threading.Thread(target=self._one, args=(i, name, d),
                                  name="fault-%d" % i, daemon=True)
            th.start()
            self.threads.append(th)

    def _one(self, i, name, d):
        resource, fn = FAULTS.get(name) or OPT_IN[name]
        rng = random.Random("fault/%s/%d" % (self.seed, i))
        with self.locks[resource]:
            if self.stop.is_set():
                return
            op = self.h.begin("faults", "fault", name=name, seq=i, duration=d)
            extra = {}
            try:
                detail = fn(self.stack, rng, d)
                if isinstance(detail, dict):    # a detail and fields of its own
                    extra, detail = detail, detail.pop("detail")
                healed = wait_until(self.stack.healthy, HEAL_TIMEOUT, 0.05)
            except Exception as e:      # a fault that failed is reported
                detail, healed = "error: %r" % e, wait_until(self.stack.healthy, 5)
            self.h.record(op, detail=detail, healed=bool(healed), **extra)

    def join(self, seconds):
        end = time.monotonic() + seconds
        self.main.join(max(0.1, end - time.monotonic()))
        for th in self.threads:
            th.join(max(0.1, end - time.monotonic()))
        return [th.name for th in self.threads if th.is_alive()]


def names_from(spec):
    """'all', 'a,b', '-a,-b' (all but) or 'all,x' (all and an opt-in
    one) into a list of fault names."""
    if not spec or spec == "all":
        return sorted(FAULTS)
    if spec == "none":
        return []
    parts = [p.strip() for p in spec.split(",") if p.strip()]
    if "all" in parts:
        parts = sorted(set(FAULTS) | set(parts) - {"all"})
    if all(p.startswith("-") for p in parts):
        drop = {p[1:] for p in parts}
        bad = drop - set(FAULTS)
        names = sorted(set(FAULTS) - drop)
    else:
        bad = set(parts) - set(FAULTS) - set(OPT_IN)
        names = sorted(set(parts))
    if bad:
        raise ValueError("unknown fault(s): %s (known: %s)" %
                         (", ".join(sorted(bad)),
                          ", ".join(sorted(set(FAULTS) | set(OPT_IN)))))
    return names

