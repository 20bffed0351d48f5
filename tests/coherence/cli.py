"""cli.py - the checker's command line: one run, from the stack to the verdict

  tests/coherence/run --seconds N --seed S [--workers W] [--hosts H] [--out DIR] [--edge]
                      [--faults all|all,NAME|NAME,...|-NAME,...] [--planted NAME]
                      [--known TAG,...] [--keep-data]
  tests/coherence/run --check DIR      (check a kept history again)
  tests/coherence/run --list           (the faults and the planted bugs)

A run: build the planted variant if asked (planted.py), start the stack
(stack.py), deploy the empty content folder, then for N seconds the
workload (workload.py) and the seed's faults (faults.py), overlapping;
no new fault in the last 8 s. Then 5.5 s of quiet, a sweep reading
every slug from every worker, what PostgreSQL holds, and everything
stopped by PID. The history (history.jsonl in DIR) is checked
(checks.py); each violation is printed with the seed, the property, the
operations involved and the command that replays the seed. Exit 0: no
violation; 1: violations; 2: usage; 3: the stack or the run failed;
77: a tool is missing.
"""

import argparse
import json
import os
import random
import re
import signal
import sys
import threading
import time

import checks
import faults
import history
import planted
from stack import Binaries, Stack, faketime_lib, wait_until
from workload import Workload, calm_periods

HERE = os.path.dirname(os.path.abspath(__file__))
QUIET_S = 8.0


def parse(argv):
    p = argparse.ArgumentParser(prog="tests/coherence/run", description=(
        "Randomised fault injection against quire, checked against the "
        "coherence model of doc/DESIGN.md §13."))
    p.add_argument("--seconds", type=int, default=60, help="workload length (default 60)")
    p.add_argument("--seed", type=int, help="the run's seed (default: random, printed)")
    p.add_argument("--workers", type=int, default=2, help="quire workers (default 2, >= 2)")
    p.add_argument("--hosts", type=int, default=1,
                   help="web hosts, each a quire pool of --workers and an nginx, "
                   "sharing Redis and PostgreSQL (default 1)")
    p.add_argument("--out", help="the run's folder (default /tmp/quire-coherence-SEED-TIME)")
    p.add_argument("--faults", default="all",
                   help="all, none, a list of faults, or -a,-b for all but those")
    p.add_argument("--edge", action="store_true",
                   help="nginx's edge cache on (DESIGN §6): pages read through it")
    p.add_argument("--planted", help="run against a build with this planted bug "
                   "(tests/coherence/planted/NAME.patch)")
    p.add_argument("--check", metavar="DIR", help="only check the history kept in DIR")
    p.add_argument("--list", action="store_true", help="list faults and planted bugs")
    p.add_argument("--known", default="",
                   help="violation tags reported as known defects, not failures "
                   "(e.g. torn-inflight); the checker still prints them")
    p.add_argument("--keep-data", action="store_true",
                   help="keep PostgreSQL's and Redis's data in the run's folder")
    a = p.parse_args(argv)
    if a.workers < 2 or a.seconds < 10 or not 1 <= a.hosts <= 4:
        p.error("--workers must be >= 2, --hosts 1 to 4 and --seconds >= 10")
    return a


def log(msg):
    sys.stdout.write("[coherence %s] %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stdout.flush()


def replay_command(a, seed):
    cmd = ["tests/coherence/run", "--seconds", str(a.seconds), "--seed", str(seed),
           "--workers", str(a.workers)]
    if a.hosts > 1:
        cmd += ["--hosts", str(a.hosts)]
    if a.faults != "all":
        cmd += ["--faults", a.faults]
    if a.planted:
        cmd += ["--planted", a.planted]
    if a.edge:
        cmd += ["--edge"]
    if a.known:
        cmd += ["--known", a.known]
    return " ".join(cmd)


def known_tags(a):
    return {t.strip() for t in a.known.split(",") if t.strip()}


def final_pg(stack, h, slugs):
    op = h.begin("main", "final_pg")
    names = ",".join("'%s'" % s for s in slugs)
    rows = {}
    mk = "substring(%s from 'mk-[a-z0-9]+-[0-9]+')"
    for slug, rev, title, source, html in stack.psql(
            "SELECT slug, revision, %s, %s, %s FROM posts WHERE slug IN (%s)" % (
                mk % "title", mk % "source", mk % "html", names)):
        rows[slug] = [int(rev), title or None, source or None, html or None]
    h.record(op, rows=rows)


def run(a):
    seed = a.seed if a.seed is not None else random.SystemRandom().randrange(1, 10**6)
    names = faults.names_from(a.faults)
    out = a.out or "/tmp/quire-coherence-%d-%s" % (seed, time.strftime("%Y%m%d-%H%M%S"))
    srcdir = os.environ.get("QUIRE_SRCDIR") or os.path.dirname(os.path.dirname(HERE))
    builddir = os.environ.get("QUIRE_BUILDDIR") or srcdir
    if a.planted:
        log("building the planted bug %s in a scratch copy" % a.planted)
        srcdir, builddir = planted.build(a.planted, srcdir, log)
    bins = Binaries(srcdir, builddir)
    missing = bins.missing()
    if missing:
        log("SKIP: missing %s (deploy/install-deps --tests, make)" % ", ".join(missing))
        return 77
    # A history is appended to as it is written: a second run into the
    # same folder would be checked as one with the first (and its stack
    # would meet the first one's data).
    if os.path.exists(os.path.join(out, "history.jsonl")):
        log("%s holds a run already: give another --out, or remove it" % out)
        return 2
    os.makedirs(out, exist_ok=True)
    h = history.History(os.path.join(out, "history.jsonl"))
    stack = Stack(bins, out, a.workers, log, edge=a.edge, hosts=a.hosts,
                  links="host-partition" in names)
    if "clock-skew" in names:
        stack.faketime = faketime_lib()
        if not stack.faketime:
            log("SKIP: clock-skew needs libfaketime (apt-get install faketime)")
            return 77
    plan = faults.schedule(seed, a.seconds, names, QUIET_S)
    calm = calm_periods(seed, a.seconds, plan)
    h.record(h.begin("main", "meta"), seed=seed, seconds=a.seconds, workers=a.workers,
             edge=a.edge, hosts=a.hosts,
             faults=names, planted=a.planted, plan=plan, builddir=builddir,
             replay=replay_command(a, seed), calm=calm)
    log("seed %d, %ds, %s%d workers, %d faults planned from: %s; folder %s" % (
        seed, a.seconds, "%d hosts of " % a.hosts if a.hosts > 1 else "", a.workers,
        len(plan), ", ".join(names) or "none", out))
    stop = threading.Event()
    ok = False
    try:
        stack.start()
        for x in stack.hosts:
            log("stack up%s: nginx on 127.0.0.1:%d, master %d, workers %s" % (
                "" if a.hosts == 1 else " (host %s)" % x.name, x.http_port,
                x.master, stack.worker_pids(x)))
        w = Workload(stack, h, seed, stop, calm)
        w.deploy("main", [], {s: 0 for s in w.content_slugs})
        inj = faults.Injector(stack, h, seed, plan, stop)
        w.start()
        inj.start()
        time.sleep(a.seconds)
        stop.set()
        left = w.join(30) + inj.join(faults.HEAL_TIMEOUT + 15)
        if left:
            log("threads still running after the stop: %s" % ", ".join(left))
        if not wait_until(stack.healthy, 30, 0.1):
            log("the stack is not whole after the run")
        time.sleep(checks.RECOVERY_S + 0.5)
        w.sweep()
        final_pg(stack, h, w.all_slugs())
        ok = True
    finally:
        stop.set()
        log("stopping the stack")
        stack.stop()
        h.close()
        if not a.keep_data:
            for d in ("pg", "redis"):
                _rmtree(os.path.join(out, d))
    if not ok:
        return 3
    return report(out, seed, replay_command(a, seed), known_tags(a))


def _rmtree(path):
    import shutil
    shutil.rmtree(path, ignore_errors=True)


def report(out, seed, replay, known=()):
    ops = history.load(os.path.join(out, "history.jsonl"))
    meta = next((o for o in ops if o["kind"] == "meta"), {})
    seed = meta.get("seed", seed)
    replay = meta.get("replay", replay)
    found = checks.check(ops)
    with open(os.path.join(out, "violations.json"), "w") as f:
        json.dump(found, f, indent=1, sort_keys=True)
    log("history: %d operations in %s" % (len(ops), os.path.join(out, "history.jsonl")))
    for k, n in checks.summary(ops).items():
        log("  %-28s %d" % (k, n))
    for o in (o for o in ops if o["kind"] == "fault"):
        log("  fault %6.2f-%6.2fs %-15s %s%s" % (
            o["start"], o["end"], o["name"], o.get("detail"),
            "" if o.get("healed") else " NOT HEALED"))
    log("properties checked: 1 served everywhere once settled, 2 nothing "
        "acknowledged lost, 3 no torn page, 4 monotonic reads per worker, "
        "5 refusals whole and no 4xx from a fault, 6 served everywhere at a "
        "full acknowledgement")
    groups = {}
    for v in found:
        groups.setdefault((v["property"], v["tag"]), []).append(v)
    failing = 0
    for (prop, tag), vs in sorted(groups.items()):
        held = tag in known
        failing += 0 if held else len(vs)
        v = vs[0]
        log("%s property %d [%s] x%d, first: %s" % (
            "KNOWN" if held else "VIOLATION", prop, tag, len(vs), v["what"]))
        for o in v["ops"]:
            log("    %s" % json.dumps(o, sort_keys=True)[:500])
    if found:
        log("all %d in %s" % (len(found), os.path.join(out, "violations.json")))
    if not failing:
        log("OK: no violation%s (seed %d)" % (
            " beyond the known ones" if found else "", seed))
        return 0
    log("FAILED: %d violations (seed %d); replay: %s" % (failing, seed, replay))
    return 1


def main(argv=None):
    a = parse(sys.argv[1:] if argv is None else argv)
    if a.list:
        print("faults: " + ", ".join(sorted(faults.FAULTS)))
        print("when named: " + ", ".join(sorted(faults.OPT_IN)))
        if faults.LATER:
            print("not yet: " + ", ".join(faults.LATER))
        print("planted: " + ", ".join(planted.names()))
        return 0
    if a.check:
        return report(a.check, None, "(see meta in %s/history.jsonl)" % a.check,
                      known_tags(a))

    def on_term(sig, frame):
        raise KeyboardInterrupt("signal %d" % sig)
    # SIGINT too: started in the background by a shell, it is ignored,
    # and Python then installs no KeyboardInterrupt of its own.
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    # Bounded whatever happens: past the run's length and every wait,
    # SIGTERM to ourselves, which stops the stack on the way out.
    limit = a.seconds + 300 + (600 if a.planted else 0)
    timer = threading.Timer(limit, lambda: os.kill(os.getpid(), signal.SIGTERM))
    timer.daemon = True
    timer.start()
    try:
        return run(a)
    except KeyboardInterrupt as e:
        log("interrupted (%s): everything stopped" % (e or "Ctrl-C"))
        return 130
    except (RuntimeError, OSError) as e:
        log("FAIL: %s" % e)
        return 3
    finally:
        timer.cancel()
