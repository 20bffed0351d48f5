"""history.py - the run's history: every operation, one JSON line each

An operation is a dict: "id" (unique, in the order operations began),
"thread", "kind", "start" and "end" (seconds on the run's monotonic
clock; "end" is when its answer arrived or it gave up) and what the
kind needs: the request, the answer's status, the worker that gave it
(X-Quire-Worker), the markers read. Kinds:

  put, delete      an API write of one slug (index: its place in the
                   slug's versions, marker, if_match, status, revision,
                   acked/live from Quire-Acknowledged)
  deploy           a content deploy (status: the exit code; state: the
                   version index of every content slug it published)
  read_page        GET /posts/SLUG (title, body: markers; worker)
  read_api         GET /api/posts/SLUG (title, body, revision; worker)
  read_list        GET /posts/ (listed: {slug: marker}; worker)
  fault            one injected fault (name, start = injected, end =
                   healed, detail)
  final_pg         what PostgreSQL holds at the end ({slug: [revision,
                   title marker, source marker, html marker]})
  meta             the run's parameters (seed, workers, seconds, ...)

Lines are appended (and flushed) as operations complete, under a lock,
so the file is whole up to the last completed operation whatever
happens to the run.
"""

import itertools
import json
import threading
import time


class History:
    def __init__(self, path):
        self.path = path
        self.f = open(path, "a", encoding="utf-8")
        self.lock = threading.Lock()
        self.ids = itertools.count(1)
        self.t0 = time.monotonic()

    def now(self):
        """Seconds since the run began."""
        return time.monotonic() - self.t0

    def begin(self, thread, kind, **fields):
        """A new operation, started now; record() it when it ends."""
        op = {"id": next(self.ids), "thread": thread, "kind": kind,
              "start": round(self.now(), 6)}
        op.update(fields)
        return op

    def record(self, op, **fields):
        """Completes op (end = now unless given) and appends it."""
        op.update(fields)
        op.setdefault("end", round(self.now(), 6))
        line = json.dumps(op, sort_keys=True)
        with self.lock:
            self.f.write(line + "\n")
            self.f.flush()
        return op

    def close(self):
        with self.lock:
            self.f.close()


def load(path):
    """Every operation of a history file, in the order they began."""
    ops = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                ops.append(json.loads(line))
    ops.sort(key=lambda o: (o.get("start", 0), o.get("id", 0)))
    return ops
