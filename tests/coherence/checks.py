"""checks.py - the properties of DESIGN §13, checked over a history

Reads are placed in their slug's sequence of versions (workload.py) by
the marker they show; a 404 stands for "absent", which any deletion
that may have committed by the read's end can explain. Times are the
history's: an operation happened somewhere between its start and end.

Windows (DESIGN §13): a fault is active from its injection to its heal;
its recovery window runs on 5 s past the heal. An acknowledgement is
"full" when its write overlapped no recovery window and, if the answer
has Quire-Acknowledged, ACKED = LIVE (a deploy: exit 0): every read that
starts after it must show it (property 6); "unknown" is not full. Any acknowledgement must be
shown by reads starting from its settle time: 5 s after it, or 5 s
after the heal of a fault that began before those 5 s ran out (and so
on, for overlapping faults) (property 1). Both are
checked on reads that overlap no active fault; properties 3, 4 and 5
hold at every moment, and 2 is checked on what PostgreSQL holds at the
end.

A scheduled post (a put with "due": its date on the history's clock)
is part of property 1: its page is not served, nor listed, by any worker
before its date less SCHED_EARLY_S, and a read of its page must show it
only from its date plus SCHED_LATE_S, if that is after its
acknowledgement's settle time (its API source is the author's, shown
from the write on).

A restore from an older backup (the backup-restore fault) starts a new
epoch (DESIGN §13, "Restores"): from its heal on, a slug's "restored
version" (what the backup held, read from the dump) stands for every
acknowledgement made before the heal; versions written after the
backup and committed before pg_restore began are gone (dead) unless a
later deploy publishes them again; a read in the new epoch may show the
old epoch's versions until it first shows the restored one or a later
one, never after, and never a version older than the backup (4). Reads
that overlap the fault are exempt from 1 and 6, as during any fault,
and those that overlap the restore itself (pg_restore to the heal) from
4; a writer's 412 or DELETE 404 from knowledge of the lost history is
the truth (5). QUIRE_COHERENCE_NO_EPOCH=1 turns this off (the restore is then
an ordinary fault): only to show that the checker sees a restore.

check(ops) returns a list of violations: {"property", "what",
"ops": [the operations involved]}.
"""

import bisect
import heapq
import os

RECOVERY_S = 5.0
# The site's clock is Redis's, measured by each worker over a round trip
# (DESIGN §13, "Clock skew"); a date is due from its second on.
SCHED_EARLY_S = 1.0
SCHED_LATE_S = 2.0
INF = float("inf")
READS = ("read_page", "read_api")


class Model:
    """The versions of every slug, the markers, the acknowledgements and
    the fault windows of a history."""

    def __init__(self, ops):
        self.ops = ops
        self.by_id = {o["id"]: o for o in ops}
        self.versions = {}       # slug -> {index: version}
        self.by_marker = {}      # marker -> version
        self.rev_of_marker = {}  # marker -> revision a 2xx answer gave
        self.active = []         # [(start, end)] of faults, merged
        self.recovery = []       # [(start, end + 5)], merged
        self.acks = {}           # slug -> [ack]
        faults = [o for o in ops if o["kind"] == "fault"]
        self.active = merge([(f["start"], f["end"] if f.get("healed") else INF)
                             for f in faults])
        self.recovery = merge([(s, e + RECOVERY_S) for s, e in self.active])
        self._versions()
        self._acks()
        self.restores = []       # backup-restore faults that restored, by heal
        if os.environ.get("QUIRE_COHERENCE_NO_EPOCH") != "1":
            self.restores = sorted((f for f in faults if f.get("name") == "backup-restore"
                                    and f.get("restored") and f.get("healed")),
                                   key=lambda f: f["end"])
        self.by_slug_writes = {}  # slug -> [its API writes]
        for o in ops:
            if o["kind"] in ("put", "delete"):
                self.by_slug_writes.setdefault(o["slug"], []).append(o)
        self.revived = {}        # (slug, index) -> [start of a deploy publishing it]
        for o in ops:
            if o["kind"] == "deploy":
                for slug, index in o["state"].items():
                    self.revived.setdefault((slug, index), []).append(o["start"])
        for r in self.restores:
            r["ib"] = {slug: self._backup_index(slug, r) for slug in self.versions}

    def _add(self, slug, index, marker, op, start, refused=False):
        v = {"slug": slug, "index": index, "marker": marker, "op": op["id"] if op else None,
             "start": start, "refused": refused, "due": op.get("due") if op else None}
        self.versions.setdefault(slug, {0: {"slug": slug, "index": 0, "marker": None,
                                            "op": None, "start": -INF, "refused": False}})
        self.versions[slug][index] = v
        if marker:
            self.by_marker[marker] = v

    def _versions(self):
        for o in self.ops:
            if o["kind"] in ("put", "delete"):
                refused = o.get("status") is not None and 400 <= o["status"] < 500
                self._add(o["slug"], o["index"], o.get("marker"), o, o["start"], refused)
                if o["kind"] == "put" and o.get("status") in (200, 201) and o.get("revision"):
                    self.rev_of_marker[o["marker"]] = o["revision"]
            elif o["kind"] == "deploy":
                for e in o["edits"]:
                    self._add(e["slug"], e["index"], e["marker"], o, o["start"])
                for slug in o["state"]:
                    self.versions.setdefault(slug, {0: {
                        "slug": slug, "index": 0, "marker": None, "op": None,
                        "start": -INF, "refused": False}})

    def _acks(self):
        for o in self.ops:
            if o["kind"] in ("put", "delete") and o.get("status") in (200, 201, 204):
                partial = partial_ack(o)
                self._ack(o["slug"], o["index"], o, partial)
            elif o["kind"] == "deploy" and o.get("status") in (0, 4):
                for slug, index in o["state"].items():
                    self._ack(slug, index, o, o["status"] == 4)
        for lst in self.acks.values():
            lst.sort(key=lambda a: a["settle1"])

    def _ack(self, slug, index, op, partial):
        full = not partial and not overlaps(self.recovery, op["start"], op["end"])
        settle1 = settle(self.active, op["end"])
        settle6 = op["end"] if full else INF
        # A page is due only from its date: then, if its date came
        # during a fault, once that has settled (as if written then).
        due = op.get("due") if op["kind"] == "put" else None
        page1, page6 = self.page_times(settle1, settle6, due)
        self.acks.setdefault(slug, []).append({
            "slug": slug, "index": index, "op": op["id"], "end": op["end"],
            "full": full, "settle1": settle1, "settle6": settle6,
            "page1": page1, "page6": page6})

    def page_times(self, settle1, settle6, due):
        """When a change's page must show (1, 6): at its settle times,
        or for a scheduled post from its date on, if later."""
        if due is None:
            return settle1, settle6
        at = due + SCHED_LATE_S
        page1 = max(settle1, settle(self.active, at)
                    if overlaps(self.active, at, at) else at)
        page6 = max(settle6, at) if not overlaps(self.recovery, at, at) else INF
        return page1, page6

    def restored_due(self, slug, ep):
        """The date of slug's restored version, if it is a scheduled post."""
        v = self.versions.get(slug, {}).get(ep["ib"].get(slug, 0))
        return v.get("due") if v else None

    def absent_after(self, slug, floor, before):
        """The smallest index >= floor of a deletion of slug that may
        have committed before time `before`; None if there is none.
        In a restore's epoch (before is after its heal), by rank()."""
        best = None
        ep = self.epoch(before)
        for i, v in self.versions.get(slug, {}).items():
            if v["marker"] is not None or v["start"] >= before or v["refused"]:
                continue
            k = self.rank(slug, i, ep, before) if ep else i
            if k >= floor and (best is None or k < best):
                best = k
        return best

    # ------------------------------------------------------- restores

    def _backup_index(self, slug, r):
        """The version of slug the restore's backup holds: its marker's;
        absent, the last deletion begun before the dump ended (or 0). A
        DELETE answered 404 found it absent already: no version of its
        own, so it is not the one (it made a 404 after the restore look
        like a step back)."""
        row = r.get("backup", {}).get(slug)
        if row and row[1]:
            v = self.by_marker.get(row[1])
            if v and v["slug"] == slug:
                return v["index"]
        return max((i for i, v in self.versions[slug].items()
                    if v["marker"] is None and not v["refused"] and
                    v["start"] < r["backup_end"]), default=0)

    def epoch(self, t):
        """The last restore healed by t, or None."""
        ep = None
        for r in self.restores:
            if r["end"] <= t:
                ep = r
        return ep

    def dead(self, slug, index, ep, t):
        """Whether version index of slug is gone in ep's epoch at t: older
        than the backup, or written after it and committed before
        pg_restore began, and no deploy begun since (before t) publishes
        it again."""
        ib = ep["ib"].get(slug, 0)
        if index == ib:
            return False
        if index > ib:
            v = self.versions.get(slug, {}).get(index)
            op = self.by_id.get(v["op"]) if v else None
            if not op or op["end"] >= ep["restore_at"]:
                return False
        return not any(ep["restore_at"] <= s < t
                       for s in self.revived.get((slug, index), ()))

    def rank(self, slug, index, ep, t):
        """A version's place in ep's epoch: itself if it lives there; -1
        for the old epoch's lost versions past the backup (shown until
        the worker takes the restore), -2 for one older than the backup
        (never shown again)."""
        if not self.dead(slug, index, ep, t):
            return index
        return -1 if index > ep["ib"].get(slug, 0) else -2

    def restored_revision(self, slug, marker, rev, t):
        """Whether rev is what a restore made of marker's revision, for a
        read ending at t after the restore began: quire moves a restored
        post's revision past the ones Redis held. So when the marker was
        slug's in the backup and rev is not below the backup's; or when
        the marker's write was answered while the restore ran (from
        pg_restore to the heal: it may land in the restored table before
        `quirectl restore` moves it) and rev is not below its answer's."""
        if rev is None:
            return False
        v = self.by_marker.get(marker)
        op = self.by_id.get(v["op"]) if v else None
        for r in self.restores:
            if r["restore_at"] > t:
                continue
            row = r.get("backup", {}).get(slug)
            if row and row[1] == marker and rev >= row[0]:
                return True
            if op and op.get("revision") and r["restore_at"] <= op["end"] and \
                    op["start"] <= r["end"] and rev >= op["revision"]:
                return True
        return False


def partial_ack(o):
    """An API answer that is not a full acknowledgement (DESIGN §13):
    Quire-Acknowledged ACKED/LIVE with ACKED < LIVE, or "unknown" (the
    workers' acknowledgements could not be had). No header: full."""
    acked, live = o.get("acked"), o.get("live")
    if acked == "unknown":
        return True
    return acked is not None and live is not None and acked < live


def merge(intervals):
    out = []
    for s, e in sorted(intervals):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def overlaps(merged, s, e):
    i = bisect.bisect_right(merged, (e, INF)) - 1
    return i >= 0 and merged[i][1] >= s


def settle(active, t):
    """5 s after t, or after the heal of the last fault that began
    before the 5 s since the previous one (or t) had run out."""
    cur = t
    for a, b in active:
        if b < cur:
            continue
        if a > cur + RECOVERY_S:
            break
        cur = max(cur, b)
    return cur + RECOVERY_S


def brief(op):
    """An operation without its bulky fields, for a report."""
    return {k: v for k, v in op.items() if k not in ("output",)}


class Checker:
    def __init__(self, ops):
        self.m = Model(ops)
        self.ops = ops
        self.violations = []

    def bad(self, prop, tag, what, *ops):
        self.violations.append({"property": prop, "tag": tag, "what": what,
                                "ops": [brief(o) for o in ops if o]})

    def run(self):
        obs = self.observe()
        self.early(obs)
        self.torn(obs)
        self.monotonic(obs)
        self.stale(obs)
        self.listing()
        self.durable()
        self.refusals()
        return self.violations

    # --------------------------------------------------- observations

    def observe(self):
        """[(read, version index or ('absent',))] of every read that
        answered 200 or 404, with what is wrong with its markers
        reported (3, 5)."""
        out = []
        for r in self.ops:
            if r["kind"] not in READS or r.get("status") not in (200, 404):
                continue
            slug = r["slug"]
            if r["status"] == 404:
                out.append((r, None))
                continue
            t, b = r.get("title"), r.get("body")
            if not t or not b:
                self.bad(3, "garbled", "%s of %s answered 200 without the markers of one "
                         "write (title %s, body %s)" % (r["kind"], slug, t, b), r)
                continue
            if t != b:
                self.bad(3, self.torn_tag(r, t, b), "torn: %s of %s shows the "
                         "title of %s and the body of %s" % (r["kind"], slug, t, b),
                         r, self.writer(t), self.writer(b))
                continue
            v = self.m.by_marker.get(t)
            if not v or v["slug"] != slug:
                self.bad(3, "foreign", "%s of %s shows %s, which no write of that slug "
                         "made" % (r["kind"], slug, t), r)
                continue
            if v["start"] > r["end"]:
                self.bad(5, "phantom", "%s of %s shows %s before its write began" %
                         (r["kind"], slug, t), r, self.writer(t))
                continue
            if v["refused"]:
                self.bad(5, "refused-present", "%s of %s shows %s, a write refused with a 4xx" %
                         (r["kind"], slug, t), r, self.writer(t))
                continue
            rev = self.m.rev_of_marker.get(t)
            if r["kind"] == "read_api" and rev and r.get("revision") != rev and \
                    not self.m.restored_revision(slug, t, r.get("revision"), r["end"]):
                self.bad(3, "torn-etag", "torn: the API's ETag for %s is revision %s, its "
                         "source that of revision %d (%s)" % (slug, r.get("revision"),
                                                              rev, t), r, self.writer(t))
            out.append((r, v["index"]))
        return out

    def torn_tag(self, r, t, b):
        """What kind of tear. "torn-inflight": the newer of the two
        versions was still being written (not yet answered) when the read
        began, the window where the worker's index and the tiers may
        disagree; otherwise "torn-body-ahead" (the worker's index behind
        the body it fetched) or "torn-body-behind" (a body older than the
        index: a stale record in Redis), with "-in-fault" when the read
        overlapped a fault or the 5 s after its heal."""
        vt, vb = self.m.by_marker.get(t), self.m.by_marker.get(b)
        if not vt or not vb or vt["slug"] != vb["slug"]:
            return "torn"
        newer = b if vb["index"] > vt["index"] else t
        w = self.writer(newer)
        if w and w.get("end", INF) > r["start"]:
            return "torn-inflight"
        tag = "torn-body-ahead" if newer == b else "torn-body-behind"
        if overlaps(self.m.recovery, r["start"], r["end"]):
            tag += "-in-fault"
        return tag

    def writer(self, marker):
        v = self.m.by_marker.get(marker)
        return self.m.by_id.get(v["op"]) if v else None

    def torn(self, obs):
        pass  # reported while observing: a read's markers

    # ------------------------------------------------------- (4) reads

    def monotonic(self, obs):
        """Per worker and per resource (a post's page; its API source),
        a read that starts after another ended shows the same version or
        a later one. A restore's heal starts again (Model.rank): reads
        overlapping the restore are exempt; after it the floor is the
        old epoch (-1) until the worker shows the restored version or a
        later one. Between the dump and pg_restore nothing went back yet:
        those reads are checked as any."""
        keyed = {}
        for r, idx in obs:
            if r.get("worker"):
                keyed.setdefault((r["worker"], r["kind"], r["slug"]), []).append((r, idx))
        # from pg_restore to the heal (the dump itself takes nothing back)
        windows = [(f["restore_at"], f["end"]) for f in self.m.restores]
        for (worker, kind, slug), reads in keyed.items():
            reads.sort(key=lambda x: x[0]["start"])
            ended = []          # heap of (end, rank, op id)
            floor, floor_op, ep = 0, None, None
            for r, idx in reads:
                if any(a <= r["end"] and r["start"] <= b for a, b in windows):
                    continue
                cur = self.m.epoch(r["start"])
                if cur is not ep:
                    ep, ended, floor, floor_op = cur, [], -1, cur["id"]
                while ended and ended[0][0] < r["start"]:
                    e, i, oid = heapq.heappop(ended)
                    if i > floor:
                        floor, floor_op = i, oid
                due = self.m.restored_due(slug, ep) if ep else None
                if idx is None and kind == "read_page" and due is not None and \
                        r["start"] < due + SCHED_LATE_S and floor <= ep["ib"].get(slug, 0):
                    continue    # the restored version is a post not yet due
                if idx is None:
                    k = self.m.absent_after(slug, floor, r["end"])
                    if k is None:
                        self.bad(4, "back", "worker %s went back: %s of %s is 404 after "
                                 "it showed version %d, and no deletion since "
                                 "explains it" % (worker, kind, slug, floor),
                                 self.m.by_id.get(floor_op), r)
                        continue
                else:
                    k = self.m.rank(slug, idx, ep, r["end"]) if ep else idx
                    if k < floor:
                        self.bad(4, "back-restore" if k < 0 else "back",
                                 "worker %s went back: %s of %s shows version %d %s "
                                 "after it showed version %d" % (
                                     worker, kind, slug, idx,
                                     "(older than the restored backup)" if k == -2 else
                                     "(lost by the restore)" if k == -1 else "",
                                     floor), self.m.by_id.get(floor_op), r)
                        continue
                heapq.heappush(ended, (r["end"], k, r["id"]))

    # ------------------------------------------------- (1), (6) stale

    def stale(self, obs):
        for r, idx in obs:
            if overlaps(self.m.active, r["start"], r["end"]):
                continue
            acks = self.m.acks.get(r["slug"], [])
            ep = self.m.epoch(r["start"])
            if ep:
                acks = self.epoch_acks(r["slug"], ep, acks)
            k1, k6 = (("page1", "page6") if r["kind"] == "read_page"
                      else ("settle1", "settle6"))
            need1 = max((a for a in acks if a[k1] <= r["start"]),
                        key=lambda a: a["index"], default=None)
            need6 = max((a for a in acks if a[k6] <= r["start"]),
                        key=lambda a: a["index"], default=None)
            for prop, need in ((1, need1), (6, need6)):
                if not need:
                    continue
                shown = idx
                if shown is None:
                    shown = self.m.absent_after(r["slug"], need["index"], r["end"])
                    if shown is None:
                        shown = -1
                elif ep:
                    shown = self.m.rank(r["slug"], idx, ep, r["end"])
                if shown < need["index"]:
                    w = self.m.by_id[need["op"]]
                    self.bad(prop, "stale" if prop == 1 else "stale-after-ack", "stale: worker %s served %s of %s at %s, %.2fs "
                             "after %s acknowledged version %d%s" % (
                                 r.get("worker"), r["kind"], r["slug"],
                                 "404" if idx is None else "version %d" % idx,
                                 r["start"] - need["end"],
                                 "the restore" if w["kind"] == "fault" else w["kind"],
                                 need["index"],
                                 "" if prop == 6 else " (settled %.2fs before)" %
                                 (r["start"] - need["settle1"])), w, r)
                    break

    def epoch_acks(self, slug, ep, acks):
        """What a read in ep's epoch must show: the acknowledgements of
        changes begun after the restore healed, and the restored version
        as if acknowledged at the heal (settled 5 s later, never full)."""
        s1 = settle(self.m.active, ep["end"])
        p1, _ = self.m.page_times(s1, INF, self.m.restored_due(slug, ep))
        return [a for a in acks if self.m.by_id[a["op"]]["start"] >= ep["end"]] + [{
            "slug": slug, "index": ep["ib"].get(slug, 0), "op": ep["id"],
            "end": ep["end"], "full": False, "settle1": s1, "settle6": INF,
            "page1": p1, "page6": INF}]

    # ---------------------------------------- (1) scheduled, not early

    def early(self, obs):
        """No page of a scheduled post before its date, nor a listing of
        it: read by any worker, during faults too (a worker's clock is
        Redis's, whatever its host's says)."""
        for r, idx in obs:
            if r["kind"] != "read_page" or idx is None:
                continue
            v = self.m.versions[r["slug"]].get(idx)
            if v and v.get("due") is not None and r["end"] < v["due"] - SCHED_EARLY_S:
                self.bad(1, "early", "worker %s served %s (%s) %.2fs before its date" %
                         (r.get("worker"), r["slug"], v["marker"], v["due"] - r["end"]),
                         self.m.by_id.get(v["op"]), r)
        for lst in self.ops:
            if lst["kind"] != "read_list" or lst.get("status") != 200:
                continue
            for slug, marker in lst.get("listed", {}).items():
                v = self.m.by_marker.get(marker or "")
                if (v and v["slug"] == slug and v.get("due") is not None and
                        lst["end"] < v["due"] - SCHED_EARLY_S):
                    self.bad(1, "listed-early", "worker %s listed %s (%s) %.2fs before "
                             "its date" % (lst.get("worker"), slug, marker,
                                           v["due"] - lst["end"]),
                             self.m.by_id.get(v["op"]), lst)

    # --------------------------------------------------- (3) listings

    def listing(self):
        """A post a listing showed is not 404 on that worker, unless a
        deletion may have committed since."""
        for r in self.ops:
            if r["kind"] != "read_page" or not r.get("after_list") or r.get("status") != 404:
                continue
            lst = self.m.by_id.get(r["after_list"])
            if not lst or lst.get("worker") != r.get("worker"):
                continue
            if any(f["start"] <= r["end"] and lst["start"] <= f["end"]
                   for f in self.m.restores):
                continue    # a restore between them may take the post back
            v = self.m.by_marker.get(lst["listed"].get(r["slug"]) or "")
            if not v:
                continue
            if self.m.absent_after(r["slug"], v["index"] + 1, r["end"]) is None:
                self.bad(3, "listed-404", "worker %s listed %s (%s) and then answered 404 for "
                         "its page, with no deletion that could explain it" %
                         (r.get("worker"), r["slug"], v["marker"]), lst, r)

    # ------------------------------------------------ (2) durability

    def durable(self):
        finals = [o for o in self.ops if o["kind"] == "final_pg"]
        if not finals:
            return
        f = finals[-1]
        rows = f["rows"]
        ep = self.m.epoch(f["start"])
        slugs = dict(self.m.acks)
        if ep:      # the restored versions, and what was acknowledged since
            slugs = {slug: self.epoch_acks(slug, ep, self.m.acks.get(slug, []))
                     for slug in set(slugs) | set(ep["ib"])}
        for slug, acks in slugs.items():
            need = max(acks, key=lambda a: a["index"])
            row = rows.get(slug)
            if row:
                rev, tm, sm, hm = row
                if not (tm and tm == sm == hm):
                    self.bad(3, "torn-pg", "PostgreSQL's row of %s is torn: title %s, source "
                             "%s, html %s" % (slug, tm, sm, hm), f)
                    continue
                v = self.m.by_marker.get(tm)
                if not v or v["slug"] != slug:
                    self.bad(2, "foreign-pg", "PostgreSQL holds %s for %s, which no write of it "
                             "made" % (tm, slug), f)
                    continue
                shown = v["index"]
                if ep:
                    shown = self.m.rank(slug, shown, ep, f["end"])
                rv = self.m.rev_of_marker.get(tm)
                if rv and rv != int(rev) and \
                        not self.m.restored_revision(slug, tm, int(rev), f["end"]):
                    self.bad(3, "torn-pg-revision", "PostgreSQL holds %s's %s at revision %s; its "
                             "answer said %d" % (slug, tm, rev, rv), f, self.writer(tm))
            else:
                shown = self.m.absent_after(slug, need["index"], f["end"])
                shown = -1 if shown is None else shown
            if shown < need["index"]:
                self.bad(2, "lost", "lost: PostgreSQL holds %s of %s; version %d was "
                         "%s" % ("nothing" if not row else
                                 "version %d" % v["index"] if shown < 0 else
                                 "version %d" % shown, slug, need["index"],
                                 "restored" if need["op"] == (ep or {}).get("id")
                                 else "acknowledged"),
                         self.m.by_id[need["op"]], f)

    # ------------------------------------------------- (5) refusals

    def refusals(self):
        for o in self.ops:
            s = o.get("status")
            if o["kind"] in ("put", "delete") and s is not None and 400 <= s < 500 \
                    and s not in o.get("allowed", []) and not self.before_restore(o):
                self.bad(5, "refused-4xx", "a well-formed %s of %s got %d%s" % (
                    o["kind"], o["slug"], s, " (If-Match %s)" % o["if_match"]
                    if o.get("if_match") else ""), o)
            if o["kind"] == "deploy" and s in (1, 2, 5):
                self.bad(5, "deploy-refused", "a deploy of well-formed content exited %d" % s, o)
            if o["kind"] == "fault" and not o.get("healed"):
                self.bad(1, "not-healed", "the stack did not recover from %s within 30 s" %
                         o["name"], o)


    def before_restore(self, o):
        """Whether a write's condition may be of the history a restore
        took back: a 412 (If-Match, If-None-Match) or a DELETE's 404 is
        then the truth (the README: fetch the post again). So when a
        restore began before the write ended, with its backup taken
        before the write began, and the writer had no 2xx for the slug
        begun after pg_restore ended (one answered while it ran may have
        committed before it dropped the table, and be gone)."""
        for r in self.m.restores:
            if not (r["backup_at"] <= o["start"] and r["restore_at"] <= o["end"]):
                continue
            if not any(w["kind"] in ("put", "delete") and w["slug"] == o["slug"] and
                       w.get("status") in (200, 201, 204) and
                       r["restore_end"] <= w["start"] and w["end"] <= o["start"]
                       for w in self.m.by_slug_writes.get(o["slug"], ())):
                return True
        return False


def check(ops):
    return Checker(ops).run()


def summary(ops):
    """Counts for the report: operations by kind and outcome, faults."""
    out = {}
    for o in ops:
        k = o["kind"]
        if k in ("meta", "final_pg"):
            continue
        s = o.get("status") if k != "fault" else o.get("name")
        key = "%s %s" % (k, "timeout" if s is None and k != "fault" else s)
        out[key] = out.get(key, 0) + 1
    return dict(sorted(out.items()))
