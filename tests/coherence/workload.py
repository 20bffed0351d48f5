"""workload.py - the writers, the deployer's author and the readers

Every slug has one owner thread, so its versions form one sequence in
that thread's order: version 0 is "absent", and each write the owner
makes — an API PUT or DELETE, or an edit or removal of a content file —
is the next version, with a marker (mk-v-N, unique in the run) in both
its title and its body, or none for a deletion. A read is then placed
in that sequence by the marker it shows, which is what checks.py needs.

  api writers    PUT (plain, with If-Match naming every revision the
                 slug may be at, with If-None-Match: * when it must be
                 absent) and DELETE on their own slugs a-T-K; each
                 write records the statuses a well-formed request may
                 get given what the thread knows ("allowed"), so that a
                 4xx caused by a fault stands out (property 5); after a
                 2xx, one read of the page at once (property 6)
  content author edits, adds or removes files c-K in the content
                 folder, then runs fcgi/quire-deploy DIR; each deploy
                 records every content slug's version it publishes
  scheduler      every few seconds an API PUT of a new post s-K dated
                 a few seconds ahead (whole seconds, UTC): a scheduled
                 post, which no worker may show before its date and
                 every worker must show after it (DESIGN §13); its date
                 is by this machine's clock, Redis's, while the
                 clock-skew fault moves the pool's
  calm periods   seeded stretches of a few seconds where nobody writes
                 (the readers go on): a worker that missed an
                 invalidation is repaired by the next one, so only a
                 pause lets the checker see one that stays behind
  readers        GET /posts/SLUG, GET /api/posts/SLUG, GET /posts/
                 (then the pages it lists); each answer's worker from
                 X-Quire-Worker

Each thread draws from its own random.Random(seed, thread name): the
operations chosen are the seed's, their interleaving the machine's.
"""

import itertools
import os
import random
import subprocess
import threading
import time

from clients import (acknowledged, etag_revision, http_request, parse_listing,
                     parse_page, parse_source, source_for)

HTTP_TIMEOUT = 5.0
DEPLOY_TIMEOUT = 20.0
API_WRITERS = 3
SLUGS_PER_WRITER = 3
CONTENT_SLUGS = 6
READERS = 3
SCHEDULE_EVERY = (2.0, 5.0)    # seconds between two scheduled posts
SCHEDULE_AHEAD = (2.0, 30.0)   # how far ahead their dates are: several
                               # pending when the clock-skew fault steps ±30 s


def calm_periods(seed, seconds, plan=()):
    """[(start, end)]: stretches without writes, drawn from the seed:
    2-6 s now and then, and 6-9 s after half the planned faults' end
    (where a worker that missed an invalidation while cut off stays
    behind unless quire repairs it)."""
    rng = random.Random("calm/%s" % seed)
    out, t = [], rng.uniform(3, 8)
    while t < seconds:
        d = rng.uniform(2, 6)
        out.append((round(t, 2), round(t + d, 2)))
        t += d + rng.uniform(6, 14)
    for at, name, d in plan:
        if rng.random() < 0.5:
            # backup-restore lasts 2 s more than d (the writes the
            # restore takes back): the pause comes after the restore
            at += 2.5 if name == "backup-restore" else 0
            out.append((round(at + d, 2), round(at + d + rng.uniform(6, 9), 2)))
    return sorted(out)


class Workload:
    def __init__(self, stack, history, seed, stop, calm):
        self.stack = stack
        self.h = history
        self.seed = seed
        self.stop = stop            # threading.Event
        self.markers = itertools.count(1)
        self.mlock = threading.Lock()
        self.api_slugs = ["a-%d-%d" % (t, k) for t in range(API_WRITERS)
                          for k in range(SLUGS_PER_WRITER)]
        self.content_slugs = ["c-%d" % k for k in range(CONTENT_SLUGS)]
        self.sched_slugs = []       # s-K, grown by the scheduler
        self.threads = []
        self.calm = calm

    def calm_now(self):
        """Whether writes pause now (readers go on): a missed
        invalidation is repaired by the next one, so only a pause shows
        a worker that stays behind."""
        t = self.h.now()
        return any(a <= t < b for a, b in self.calm)

    def marker(self):
        with self.mlock:
            return "mk-v-%d" % next(self.markers)

    def rng(self, name):
        return random.Random("%s/%s" % (self.seed, name))

    def start(self):
        for t in range(API_WRITERS):
            self._thread("writer-%d" % t, self.api_writer, t)
        self._thread("author", self.content_author)
        self._thread("scheduler", self.scheduler)
        for r in range(READERS):
            self._thread("reader-%d" % r, self.reader)

    def _thread(self, name, fn, *args):
        th = threading.Thread(target=fn, args=(name,) + args, name=name, daemon=True)
        th.start()
        self.threads.append(th)

    def join(self, seconds):
        end = time.monotonic() + seconds
        for th in self.threads:
            th.join(max(0.1, end - time.monotonic()))
        return [th.name for th in self.threads if th.is_alive()]

    # ---------------------------------------------------------------- API

    def api(self, method, path, headers=None, body=None):
        hdr = {"Authorization": "Bearer " + self.stack.token}
        hdr.update(headers or {})
        return http_request(self.stack.port(), method, path, hdr, body,
                            timeout=HTTP_TIMEOUT)

    def api_writer(self, name, t):
        rng = self.rng(name)
        slugs = self.api_slugs[t * SLUGS_PER_WRITER:(t + 1) * SLUGS_PER_WRITER]
        revs = {s: {0} for s in slugs}     # revisions it may be at; 0: absent
        index = {s: 0 for s in slugs}
        while not self.stop.is_set():
            if self.calm_now():
                self.stop.wait(0.1)
                continue
            slug = rng.choice(slugs)
            index[slug] += 1
            may = revs[slug]
            roll = rng.random()
            if roll < 0.2 and 0 not in may or roll < 0.05:
                op, allowed = self.delete(name, slug, index[slug], may)
                if op["status"] in (204, 404):
                    revs[slug] = {0}
                elif op["status"] in (None,) or op["status"] >= 500:
                    revs[slug] = may | {0}
            else:
                op, allowed = self.put(name, rng, slug, index[slug], may)
                if op["status"] in (200, 201):
                    revs[slug] = {op["revision"]}
                elif op["status"] is None or op["status"] >= 500:
                    revs[slug] = may | {r + 1 for r in may}
                if op["status"] in (200, 201):
                    self.read_page(name, slug)
            self.stop.wait(rng.uniform(0.01, 0.08))

    def put(self, name, rng, slug, idx, may):
        marker = self.marker()
        headers = {"Content-Type": "text/markdown"}
        allowed = [200, 201]
        cond = rng.random()
        if 0 not in may and cond < 0.5:
            headers["If-Match"] = ", ".join('"%d"' % r for r in sorted(may))
        elif may == {0} and cond < 0.3:
            headers["If-None-Match"] = "*"
        elif 0 in may and len(may) > 1 and cond < 0.3:
            pass    # no condition: the outcome of an earlier write is unknown
        return self.write(name, "put", slug, idx, marker, headers,
                          source_for(slug, marker).encode(), allowed), allowed

    def delete(self, name, slug, idx, may):
        allowed = [204] if 0 not in may else [204, 404]
        return self.write(name, "delete", slug, idx, None, {}, None, allowed), allowed

    def write(self, name, kind, slug, idx, marker, headers, body, allowed,
              **extra):
        op = self.h.begin(name, kind, slug=slug, index=idx, marker=marker,
                          if_match=headers.get("If-Match"),
                          if_none_match=headers.get("If-None-Match"),
                          allowed=allowed, **extra)
        method = "PUT" if kind == "put" else "DELETE"
        try:
            status, hdrs, data = self.api(method, "/api/posts/" + slug, headers, body)
        except OSError as e:
            return self.h.record(op, status=None, error=str(e)[:200])
        ack = acknowledged(hdrs)
        return self.h.record(
            op, status=status, worker=hdrs.get("x-quire-worker"),
            revision=etag_revision(hdrs.get("etag")),
            acked=ack[0] if ack else None, live=ack[1] if ack else None,
            answer=data[:300].decode(errors="replace") if status >= 300 else None)

    def scheduler(self, name):
        """New posts dated a few seconds ahead, one at a time; each slug
        is written once, so its one version is the scheduled one."""
        rng = self.rng(name)
        k = 0
        next_at = self.h.now() + rng.uniform(*SCHEDULE_EVERY)
        while not self.stop.wait(0.1):
            if self.calm_now() or self.h.now() < next_at:
                continue
            next_at = self.h.now() + rng.uniform(*SCHEDULE_EVERY)
            k += 1
            slug = "s-%d" % k
            ahead = rng.uniform(*SCHEDULE_AHEAD)
            now = time.time()
            date = int(now + ahead) + 1
            marker = self.marker()
            body = source_for(slug, marker).replace(
                "tags:", "date: %s\ntags:" % time.strftime(
                    "%Y-%m-%dT%H:%M:%SZ", time.gmtime(date)), 1)
            with self.mlock:
                self.sched_slugs.append(slug)
            self.write(name, "put", slug, 1, marker,
                       {"Content-Type": "text/markdown",
                        "If-None-Match": "*"}, body.encode(), [201],
                       due=round(self.h.now() + (date - now), 6), date=date)

    def all_slugs(self):
        with self.mlock:
            return self.api_slugs + self.content_slugs + self.sched_slugs

    # ------------------------------------------------------------ content

    def content_author(self, name):
        rng = self.rng(name)
        posts = os.path.join(self.stack.content, "posts")
        index = {s: 0 for s in self.content_slugs}
        present = {s: False for s in self.content_slugs}
        while not self.stop.is_set():
            if self.calm_now():
                self.stop.wait(0.1)
                continue
            edits = []
            for slug in rng.sample(self.content_slugs, rng.randint(1, 3)):
                index[slug] += 1
                path = os.path.join(posts, slug + ".md")
                if present[slug] and rng.random() < 0.2:
                    os.unlink(path)
                    present[slug] = False
                    edits.append({"slug": slug, "index": index[slug], "marker": None})
                    continue
                marker = self.marker()
                tmp = path + ".tmp"
                with open(tmp, "w") as f:
                    f.write(source_for(slug, marker).replace(
                        "tags:", "date: 2024-01-01\ntags:", 1))
                os.rename(tmp, path)
                present[slug] = True
                edits.append({"slug": slug, "index": index[slug], "marker": marker})
            self.deploy(name, edits, dict(index))
            self.stop.wait(rng.uniform(0.05, 0.4))

    def deploy(self, name, edits, state):
        op = self.h.begin(name, "deploy", edits=edits, state=state)
        try:
            r = subprocess.run([self.stack.bins.deploy, self.stack.content],
                               env=self.stack.env, capture_output=True,
                               timeout=DEPLOY_TIMEOUT)
            out = (r.stdout + r.stderr).decode(errors="replace")
            # Kept whatever the exit code: how a deploy that exited 0
            # got there (acknowledged, or a reload asked of the master)
            # is what an analysis needs first.
            return self.h.record(op, status=r.returncode, output=out[-600:])
        except subprocess.TimeoutExpired:
            return self.h.record(op, status=None, error="timeout")

    # ------------------------------------------------------------ readers

    def reader(self, name):
        rng = self.rng(name)
        while not self.stop.is_set():
            slugs = self.all_slugs()
            roll = rng.random()
            if roll < 0.15:
                self.read_list(name, rng)
            elif roll < 0.55:
                self.read_page(name, rng.choice(slugs))
            else:
                self.read_api(name, rng.choice(slugs))
            self.stop.wait(rng.uniform(0.0, 0.03))

    def read_page(self, name, slug, after_list=None):
        op = self.h.begin(name, "read_page", slug=slug, after_list=after_list)
        try:
            status, hdrs, data = http_request(self.stack.port(), "GET",
                                              "/posts/" + slug, timeout=HTTP_TIMEOUT)
        except OSError as e:
            return self.h.record(op, status=None, error=str(e)[:200])
        title = body = None
        if status == 200:
            title, body = parse_page(data.decode(errors="replace"))
        return self.h.record(op, status=status, worker=hdrs.get("x-quire-worker"),
                             title=title, body=body, etag=hdrs.get("etag"))

    def read_api(self, name, slug):
        op = self.h.begin(name, "read_api", slug=slug)
        try:
            status, hdrs, data = self.api("GET", "/api/posts/" + slug)
        except OSError as e:
            return self.h.record(op, status=None, error=str(e)[:200])
        title = body = None
        if status == 200:
            title, body = parse_source(data.decode(errors="replace"))
        return self.h.record(op, status=status, worker=hdrs.get("x-quire-worker"),
                             title=title, body=body,
                             revision=etag_revision(hdrs.get("etag")))

    def read_list(self, name, rng):
        op = self.h.begin(name, "read_list")
        try:
            status, hdrs, data = http_request(self.stack.port(), "GET",
                                              "/posts/", timeout=HTTP_TIMEOUT)
        except OSError as e:
            return self.h.record(op, status=None, error=str(e)[:200])
        listed = parse_listing(data.decode(errors="replace")) if status == 200 else {}
        ours = {s: m for s, m in listed.items() if s[:2] in ("a-", "c-", "s-")}
        self.h.record(op, status=status, worker=hdrs.get("x-quire-worker"),
                      listed=ours)
        for slug in rng.sample(sorted(ours), min(2, len(ours))):
            self.read_page(name, slug, after_list=op["id"])

    # -------------------------------------------------------------- sweep

    def sweep(self, rounds=10):
        """After the run: every slug's page and API source read, 4 at a
        time (one at a time, the same idle worker may win every accept),
        until every worker answered each (bounded), for properties 1, 2."""
        workers = {str(p) for p in self.stack.worker_pids()}
        for slug in self.all_slugs():
            for read in (self.read_page, self.read_api):
                seen = set()
                for _ in range(rounds):
                    got = []
                    ths = [threading.Thread(target=lambda: got.append(read("sweep", slug)))
                           for _ in range(4)]
                    for th in ths:
                        th.start()
                    for th in ths:
                        th.join(HTTP_TIMEOUT + 1)
                    seen |= {op["worker"] for op in got if op.get("worker")}
                    if workers <= seen:
                        break
