"""test_epoch.py - the checker's restore rule on small histories of its own

A restore from an older backup starts a new epoch (DESIGN §13,
"Restores: a new epoch"). Each case is a history as a run writes it —
one slug, one worker, a backup-restore fault — and what checks.py must
say of it: the restore taken back as the model allows (no violation),
the lost history served again after the heal (violations of 4 and 1),
a slug absent in the backup whose last DELETE before it was a 404 (no
violation: that DELETE made no version), and the same allowed history with the rule off (QUIRE_COHERENCE_NO_EPOCH,
violations: the checker sees the restore). Run: python3 test_epoch.py;
exit 0 when every case holds.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checks  # noqa: E402

SLUG = "a-0-0"


class H:
    def __init__(self):
        self.ops = [{"id": 0, "kind": "meta", "start": 0, "end": 0}]

    def add(self, kind, start, end, **f):
        op = {"id": len(self.ops), "kind": kind, "start": start, "end": end,
              "thread": "t"}
        op.update(f)
        self.ops.append(op)
        return op

    def put(self, start, index, rev, marker, **f):
        return self.add("put", start, start + 0.01, slug=SLUG, index=index,
                        marker=marker, status=200 if rev > 1 else 201,
                        revision=rev, acked=1, live=1, allowed=[200, 201], **f)

    def read(self, start, marker, rev, worker="w1"):
        return self.add("read_api", start, start + 0.01, slug=SLUG, worker=worker,
                        status=200, title=marker, body=marker, revision=rev)


def history(after_heal):
    """v1 acknowledged and backed up at 2; v2 acknowledged at 3 (after
    the backup); pg_restore at 4, healed at 5 with v1 at revision 3;
    then what after_heal(h) adds; PostgreSQL holding v1 at the end."""
    h = H()
    h.put(1.0, 1, 1, "mk-v-1")
    h.read(1.5, "mk-v-1", 1)
    h.put(3.0, 2, 2, "mk-v-2")
    h.read(3.5, "mk-v-2", 2)
    h.add("fault", 2.0, 5.0, name="backup-restore", healed=True, restored=True,
          backup_at=2.0, backup_end=2.1, restore_at=4.0, restore_end=4.2,
          backup={SLUG: [1, "mk-v-1"]}, after={SLUG: [3, "mk-v-1"]})
    after_heal(h)
    h.add("final_pg", 30.0, 30.1, rows={SLUG: [3, "mk-v-1", "mk-v-1", "mk-v-1"]})
    return h.ops


def restored_served(h):
    # the worker shows v1 again (revision moved to 3), for good
    for t in (5.5, 8.0, 12.0, 20.0):
        h.read(t, "mk-v-1", 3)


def lost_served_again(h):
    # v1 shown once, then the lost v2 comes back, past the settle time too
    h.read(5.5, "mk-v-1", 3)
    h.read(12.0, "mk-v-2", 2)


def deleted_before_backup(after_heal):
    """v1 deleted at 1.5, then a DELETE answered 404 (absent already) at
    1.8, both before the backup at 2; v2 put at 3 (after it) and
    shown; pg_restore at 4, healed at 5 with the slug absent; then what
    after_heal(h) adds; PostgreSQL holding nothing of it at the end."""
    h = H()
    h.put(1.0, 1, 1, "mk-v-1")
    h.add("delete", 1.5, 1.51, slug=SLUG, index=2, marker=None, status=204,
          allowed=[204], acked=1, live=1)
    h.add("delete", 1.8, 1.81, slug=SLUG, index=3, marker=None, status=404,
          allowed=[204, 404])
    h.put(3.0, 4, 1, "mk-v-2")
    h.read(3.5, "mk-v-2", 1)
    h.add("fault", 2.0, 5.0, name="backup-restore", healed=True, restored=True,
          backup_at=2.0, backup_end=2.1, restore_at=4.0, restore_end=4.2,
          backup={}, after={})
    after_heal(h)
    h.add("final_pg", 30.0, 30.1, rows={})
    return h.ops


def absent_served(h):
    # the worker answers 404, as the backup had it, for good
    for t in (5.5, 8.0, 12.0, 20.0):
        h.add("read_api", t, t + 0.01, slug=SLUG, worker="w1", status=404,
              title=None, body=None, revision=None)


def check(ops, no_epoch=False):
    if no_epoch:
        os.environ["QUIRE_COHERENCE_NO_EPOCH"] = "1"
    try:
        return sorted({(v["property"], v["tag"]) for v in checks.check(ops)})
    finally:
        os.environ.pop("QUIRE_COHERENCE_NO_EPOCH", None)


def main():
    failed = 0
    cases = [
        ("the restore taken back, the restored version served",
         check(history(restored_served)), lambda got: got == []),
        ("the lost version served after the restored one: 4 back-restore, 1 stale",
         check(history(lost_served_again)),
         lambda got: (4, "back-restore") in got and (1, "stale") in got),
        ("absent in the backup, the last DELETE before it a 404: 404 after",
         check(deleted_before_backup(absent_served)), lambda got: got == []),
        ("the rule off: the same allowed history is violations of 1, 2 and 4",
         check(history(restored_served), no_epoch=True),
         lambda got: {1, 2, 4} <= {p for p, _ in got}),
    ]
    for name, got, ok in cases:
        good = ok(got)
        failed += not good
        print("%s: %s (%s)" % ("ok" if good else "FAIL", name, got or "no violation"))
    print("%d passed, %d failed" % (len(cases) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
