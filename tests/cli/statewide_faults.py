#!/usr/bin/env python3
"""statewide_faults.py - one bad record harms only what it names, at state
scale: a world of bench/genworld's statewide size (55 offices, 8,000 staff,
9,000 devices, 60,000 approvals), then more than twenty kinds of fault
planted in its records, each in a record of its own, and the changes the
records must take without harm (a director retired, a manager moved, a
signer and a requester who left, their tenures kept).  Then:

* `check` exits 1 and names as void exactly the planted records;
* the same records load (`decide` works), and more than 10,000 decisions,
  made in one process each way (`decide --batch`), equal those of the
  clean world for every request that needs no planted record;
* a revocation planted with the faults takes effect;
* an approval signed twice by one person is reported by `check`.

    statewide_faults.py --exe BUILD/tools/smpolicy --genworld bench/genworld

Prints TAP.  SPDX-License-Identifier: BSD-3-Clause
"""
import argparse
import datetime as dt
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

REF = "2026-11-25"
AT = REF + "T10:00"
results = []


def ok(cond, what, detail=""):
    results.append((bool(cond), what, detail))
    return cond


def report():
    print("1..%d" % len(results))
    bad = 0
    for i, (good, what, detail) in enumerate(results, 1):
        print("%s %d - %s" % ("ok" if good else "not ok", i, what))
        if not good:
            bad += 1
            for line in str(detail).splitlines()[:40]:
                print("# " + line)
    return 1 if bad else 0


def smpolicy(args, conf, stdin=None, tz="America/New_York"):
    pre = [] if os.geteuid() == 0 else ["--test-allow-nonroot"]
    return subprocess.run([os.path.abspath(ARGS.exe), *pre, "-c", conf, *args], input=stdin,
                          capture_output=True, text=True,
                          env=dict(os.environ, TZ=tz, LC_ALL="C"))


# ---- the records as text: entries by list, with what names what ----------

class Entry:
    def __init__(self, kind, start, lines):
        self.kind, self.start, self.lines = kind, start, lines
        text = "".join(lines)
        m = re.search(r'\bid = "([^"]+)"', text)
        self.id = m.group(1) if m else None
        self.text = text

    def get(self, key):
        m = re.search(r'\b' + key + r' = "([^"]*)"', self.text)
        return m.group(1) if m else None

    def signer(self, which):
        m = re.search(r'approved_' + which + r'\s*= \{ by = "([^"]+)"; on = "([^"]+)"', self.text)
        return (m.group(1), m.group(2)) if m else (None, None)

    def platforms(self):
        m = re.search(r'platforms = \[([^\]]*)\]', self.text)
        return re.findall(r'"([^"]+)"', m.group(1)) if m else []

    def roles(self):
        m = re.search(r'roles = \[([^\]]*)\]', self.text)
        return re.findall(r'"([^"]+)"', m.group(1)) if m else []


def read_entries(path):
    with open(path) as f:
        lines = f.readlines()
    entries, kind, cur = [], None, None
    for i, line in enumerate(lines):
        m = re.match(r'^(staff|devices|accounts|approvals) = \($', line)
        if m:
            kind = m.group(1)
            continue
        if line.startswith("  { id = ") or line.startswith(");"):
            if cur is not None:
                entries.append(Entry(cur[0], cur[1], lines[cur[1]:i]))
            cur = (kind, i) if line.startswith("  { id") else None
    return lines, entries


class Planter:
    """Faults written into one copy of the records, each in an entry no
    other fault touches."""

    def __init__(self, lines, entries, rng):
        self.lines, self.rng = list(lines), rng
        self.by = {k: [e for e in entries if e.kind == k]
                   for k in ("staff", "devices", "accounts", "approvals")}
        self.ids = {k: {e.id: e for e in v} for k, v in self.by.items()}
        self.used = set()
        self.voids = set()          # (list, id) expected void
        self.idless = 0             # void entries without an id
        self.users, self.devices, self.accounts = set(), set(), set()   # not compared
        self.kinds = []

    def pick(self, kind, cond=lambda e: True):
        cands = [e for e in self.by[kind] if e.id not in self.used and cond(e)]
        e = self.rng.choice(cands)
        self.used.add(e.id)
        return e

    def edit(self, e, old, new):
        text = "".join(self.lines[e.start:e.start + len(e.lines)])
        assert old in text, (e.id, old)
        text = text.replace(old, new, 1)
        self.lines[e.start] = text
        for i in range(e.start + 1, e.start + len(e.lines)):
            self.lines[i] = ""

    def write(self, path):
        with open(path, "w") as f:
            f.write("".join(self.lines))

    def void(self, what, kind, e, old, new):
        self.edit(e, old, new)
        self.voids.add((kind, e.id))
        self.kinds.append(what)
        if kind == "staff":
            self.users.add(e.id)
        elif kind == "devices":
            self.devices.add(e.id)
        elif kind == "accounts":
            self.accounts.add(e.id)
        else:
            self.users.add(e.get("staff"))


def worker(e):
    return e.roles() == ["worker"]


def plant(p):
    ap = lambda e: e.get("staff") is not None and not e.get("staff").startswith("dir")
    # approvals
    e = p.pick("approvals", lambda x: ap(x) and x.get("requested") is not None)
    p.void("approval: an impossible date", "approvals", e,
           'requested = "%s"' % e.get("requested"), 'requested = "2026-02-30"')
    e = p.pick("approvals", lambda x: ap(x) and x.get("expires") is not None)
    p.void("approval: a typo in a key", "approvals", e, "expires =", "expries =")
    e = p.pick("approvals", ap)
    p.void("approval: its person deleted (a dangling id)", "approvals", e,
           'staff = "%s"' % e.get("staff"), 'staff = "gone-person-1"')
    e = p.pick("approvals", ap)
    p.void("approval: a platform that is not there", "approvals", e, 'platforms = [ "',
           'platforms = [ "myspace", "')
    # an author whose entry is gone is no fault by itself: a request
    # stands on both sign-offs (it decides as before), a sign-off with no
    # signature to vouch for it does not count (invalid, not void)
    e = p.pick("approvals", lambda x: ap(x) and x.get("requested_by") is not None)
    p.edit(e, 'requested_by = "%s"' % e.get("requested_by"), 'requested_by = "gone-lom-1"')
    p.gone_requester = e.id
    p.kinds.append("approval: its requester's entry deleted (not void; it stands)")
    e = p.pick("approvals", lambda x: ap(x) and x.signer("cpp")[0] is not None)
    p.edit(e, 'by = "%s"' % e.signer("cpp")[0], 'by = "gone-director-1"')
    p.gone_signer = e.id
    p.users.add(e.get("staff"))
    p.kinds.append("approval: its signer's entry deleted (not void; invalid unsigned)")
    e = p.pick("approvals", ap)
    p.void("approval: a kind that is none", "approvals", e, 'kind = "', 'kind = "forever-')
    e = p.pick("approvals", ap)
    p.void("approval: platforms not a list", "approvals", e, "platforms = [", 'platforms = "x"; x2 = [')
    e = p.pick("approvals", lambda x: ap(x) and x.signer("it")[0] is not None)
    p.void("approval: a sign-off date that is none", "approvals", e,
           'on = "%s"' % e.signer("it")[1], 'on = "2026-13-40"')
    a, b = p.pick("approvals", ap), p.pick("approvals", ap)
    p.edit(b, 'id = "%s"' % b.id, 'id = "%s"' % a.id)
    p.voids.add(("approvals", a.id))
    p.users.update({a.get("staff"), b.get("staff")})
    p.kinds.append("approval: an id given twice (both void)")
    # staff (workers: what they need is theirs)
    e = p.pick("staff", worker)
    p.void("staff: a role that is none", "staff", e, '"worker"', '"wizard"')
    e = p.pick("staff", worker)
    p.void("staff: their office deleted", "staff", e, 'office = "%s"' % e.get("office"),
           'office = "gone-office"')
    e = p.pick("staff", worker)
    p.void("staff: a tenure that is none", "staff", e, "roles = [",
           'held = [ "worker 2020-01-01 2019-01-01" ]; roles = [')
    e = p.pick("staff", worker)
    p.void("staff: a date of leaving that is none", "staff", e, "roles = [",
           'left = "2026-02-29"; roles = [')
    a, b = p.pick("staff", worker), p.pick("staff", worker)
    p.edit(b, 'id = "%s"' % b.id, 'id = "%s"' % a.id)
    p.voids.add(("staff", a.id))
    p.users.update({a.id, b.id})
    p.kinds.append("staff: an id given twice (both void)")
    # devices
    e = p.pick("devices")
    p.void("device: a kind that is none", "devices", e, 'kind = "', 'kind = "toaster-')
    e = p.pick("devices", lambda x: x.get("office") is not None)
    p.void("device: its office deleted", "devices", e, 'office = "%s"' % e.get("office"),
           'office = "gone-office-2"')
    e = p.pick("devices")
    p.void("device: an owner that is none", "devices", e, 'owner = "', 'owner = "neighbour-')
    # accounts
    e = p.pick("accounts")
    p.void("account: its holder deleted", "accounts", e, 'holder = "%s"' % e.get("holder"),
           'holder = "gone-person-2"')
    e = p.pick("accounts")
    p.void("account: a Boolean that is a string", "accounts", e, "official = ",
           'official = "yes"; x_official = ')
    e = p.pick("accounts", lambda x: x.get("password_escrowed") is not None)
    p.void("account: an impossible date", "accounts", e,
           'password_escrowed = "%s"' % e.get("password_escrowed"),
           'password_escrowed = "2026-04-31"')
    # entries without a usable id, after the last device
    last = p.by["devices"][-1]
    p.edit(last, last.text.rstrip("\n"), last.text.rstrip("\n").rstrip(",") + ",\n"
           '  "not a group",\n  { kind = "workstation"; owner = "dcf"; }' +
           ("," if last.text.rstrip().endswith(",") else "") + "\n")
    p.idless += 2
    p.kinds += ["device: an entry that is not a group", "device: an entry without its id"]


def plant_changes(p, approvals):
    """What the records must take without harm; and a revocation."""
    dirs = [e for e in p.by["staff"] if e.id.startswith("dir-")]
    last = {}
    for a in approvals:
        for w in ("cpp", "it"):
            by, on = a.signer(w)
            if by:
                last[by] = max(last.get(by, ""), on)
        r = a.get("requested_by")
        if r and a.get("requested"):
            last[r] = max(last.get(r, ""), a.get("requested"))
    until = "2026-11-26"   # after every sign-off and request (nothing is later)
    it = next(e for e in dirs if e.id == "dir-it-2")
    p.edit(it, 'roles = [ "director_it" ]',
           'roles = [ ]; held = [ "director_it 1990-01-01 %s" ]; left = "%s"' % (until, until))
    p.used.add(it.id)
    p.kinds.append("a director retired, the tenure kept")
    cpp = next(e for e in dirs if e.id == "dir-cpp-2")
    p.edit(cpp, 'roles = [ "director_cpp" ]',
           'roles = [ "director_cpp" ]; left = "%s"' % until)
    p.used.add(cpp.id)
    p.kinds.append("a signer deleted (left)")
    holders = {a.get("staff") for a in approvals}
    requesters = {a.get("requested_by") for a in approvals if a.get("kind") == "long_term"}
    offices = sorted({e.get("office") for e in p.by["staff"]})
    lom = p.pick("staff", lambda e: e.roles() == ["local_office_manager"] and
                 e.id in requesters and e.id not in holders)
    other = next(o for o in offices if o != lom.get("office"))
    p.edit(lom, 'office = "%s"' % lom.get("office"),
           'office = "%s"; held = [ "local_office_manager@%s 1990-01-01 %s", '
           '"local_office_manager %s" ]' % (other, lom.get("office"), until, until))
    p.users.add(lom.id)
    p.kinds.append("a manager moved to another office, the tenure kept")
    req = p.pick("staff", lambda e: e.roles() == ["local_office_manager"] and
                 e.id in requesters and e.id not in holders)
    p.edit(req, 'roles = [ "local_office_manager" ]',
           'roles = [ "local_office_manager" ]; left = "%s"' % until)
    p.users.add(req.id)
    p.kinds.append("a requester deleted (left)")
    return lom.id, req.id


def holding(approvals, at_day):
    """Approvals whose dates put them in force at the reference day (to be
    revoked, or signed twice)."""
    out = []
    for a in approvals:
        s, x = a.get("starts"), a.get("expires")
        if s and x and s[:10] < at_day and x[:10] > "2026-12-31" and \
                not a.get("staff").startswith("dir") and "revoked" not in a.text and \
                a.signer("it")[0] and a.signer("cpp")[0]:
            out.append(a)
    return out


def requests(entries, rng, n):
    staff = [e.id for e in entries if e.kind == "staff"]
    devices = [e.id for e in entries if e.kind == "devices"]
    accounts = {}
    for e in entries:
        if e.kind == "accounts":
            accounts.setdefault((e.get("holder"), e.get("platform")), []).append(e.id)
    platforms = ["facebook", "youtube", "snapchat", "instagram", "twitter", "tumblr",
                 "whatsapp", "kik", "periscope"]
    office = {e.id: e.get("office") for e in entries if e.kind == "staff"}
    desks = {}
    for e in entries:
        if e.kind == "devices" and 'owner = "dcf"' in e.text:
            desks.setdefault(e.get("office"), []).append(e.id)
    approvals = [e for e in entries if e.kind == "approvals" and e.get("starts")]
    out = []
    for i in range(n):
        u, pl = rng.choice(staff), rng.choice(platforms)
        dev = rng.choice(devices)
        if i % 2 and approvals:
            # a request an approval answers: its person, one of its
            # platforms, a DCF device of their office, within its dates
            a = rng.choice(approvals)
            u, pl = a.get("staff"), rng.choice(a.platforms() or platforms)
            dev = rng.choice(desks.get(office.get(u), devices))
            s0 = dt.date.fromisoformat(a.get("starts")[:10])
            x0 = dt.date.fromisoformat((a.get("expires") or REF)[:10])
            span = max(0, min((x0 - s0).days - 1, 300))
            day = s0 + dt.timedelta(days=rng.randint(1, span) if span > 0 else 0)
            acc = rng.choice(accounts.get((u, pl), ["-"])) if i % 4 == 1 else "-"
            out.append((u, pl, dev, acc, "login" if acc != "-" else "view",
                        "info_gathering", day.isoformat() + "T12:00"))
            continue
        acc = rng.choice(accounts.get((u, pl), ["-"]))
        act = "login" if acc != "-" else "view"
        when = AT if i % 3 else "%d-%02d-%02dT%02d:00" % (rng.choice([2024, 2025, 2026]),
                                                           rng.randint(1, 10),
                                                           rng.randint(1, 28),
                                                           rng.randint(8, 17))
        out.append((u, pl, dev, acc, act, "info_gathering", when))
    return out


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--exe", required=True)
    ap.add_argument("--genworld", required=True)
    ap.add_argument("--requests", type=int, default=12000)
    ARGS = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="smpolicy-statewide-")
    os.chmod(tmp, 0o755)
    try:
        run(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return report()


def run(tmp):
    clean = os.path.join(tmp, "clean")
    r = subprocess.run([sys.executable, ARGS.genworld, "--ref", REF, "--seed", "11", clean],
                       capture_output=True, text=True)
    if not ok(r.returncode == 0, "a statewide world generated", r.stderr):
        return
    faulty = os.path.join(tmp, "faulty")
    os.mkdir(faulty, 0o755)
    for f in ("smpolicy.conf", "records.conf"):
        shutil.copy(os.path.join(clean, f), faulty)
        os.chmod(os.path.join(faulty, f), 0o644)
    cconf, fconf = os.path.join(clean, "smpolicy.conf"), os.path.join(faulty, "smpolicy.conf")
    lines, entries = read_entries(os.path.join(clean, "records.conf"))
    rng = random.Random(20)
    p = Planter(lines, entries, rng)
    approvals = p.by["approvals"]
    plant(p)
    lom, req = plant_changes(p, approvals)
    live = holding(approvals, REF)
    # an approval the clean world allows under, on a DCF workstation of its
    # person's office: revoked with the faults
    desk = {}
    for e in p.by["devices"]:
        if 'kind = "workstation"' in e.text and 'owner = "dcf"' in e.text:
            desk.setdefault(e.get("office"), e.id)
    rev = rev_device = None
    for cand in rng.sample(live, min(len(live), 40)):
        office = p.ids["staff"][cand.get("staff")].get("office")
        pl = [x for x in cand.platforms() if x not in ("snapchat", "whatsapp", "kik")]
        if cand.id in p.used or office not in desk or not pl:
            continue
        d0 = smpolicy(["decide", "--user", cand.get("staff"), "--platform", pl[0], "--device",
                       desk[office], "--at", AT], cconf)
        if "under approval %s " % cand.id in d0.stdout:
            rev, rev_device = cand, desk[office]
            break
    if not ok(rev is not None, "an approval in force to revoke"):
        return
    p.used.add(rev.id)
    p.edit(rev, "starts = ", 'revoked = { on = "2026-11-20"; by = "dir-it-1"; '
                             'reason = "case closed"; }; starts = ')
    p.users.add(rev.get("staff"))
    twice = p.pick("approvals", lambda e: e in live and e.get("staff") != rev.get("staff"))
    by1 = twice.signer("cpp")[0]
    p.edit(twice, 'approved_it  = { by = "%s"' % twice.signer("it")[0],
           'approved_it  = { by = "%s"' % by1)
    d1 = p.ids["staff"][by1]
    p.edit(d1, 'roles = [ "director_cpp" ]', 'roles = [ "director_cpp", "director_it" ]')
    p.users.add(twice.get("staff"))
    p.kinds.append("an approval signed twice by one person")
    # approvals that name a void person cannot be judged: their persons too
    void_staff = {i for k, i in p.voids if k == "staff"}
    for a in approvals:
        if a.get("requested_by") in void_staff or a.signer("cpp")[0] in void_staff or \
                a.signer("it")[0] in void_staff:
            p.users.add(a.get("staff"))
    p.write(os.path.join(faulty, "records.conf"))
    ok(len(p.kinds) >= 24, "%d kinds of fault and change planted" % len(p.kinds),
       "\n".join(p.kinds))

    c = smpolicy(["check"], cconf)
    ok(c.returncode == 0, "the clean world checks", c.stderr[-2000:])
    c = smpolicy(["check"], fconf)
    void_lines = [l for l in c.stderr.splitlines() if l.endswith("the record is void (it allows nothing)")]
    got, idless = set(), 0
    for l in void_lines:
        m = re.search(r"error: (?:duplicate )?(staff|device|account|approval)s?(?: member)? "
                      r"(?:id )?'([^']+)'", l)
        if m:
            got.add(({"device": "devices", "account": "accounts", "approval": "approvals"}
                     .get(m.group(1), m.group(1)), m.group(2)))
        else:
            idless += 1
    ok(c.returncode == 1 and got == p.voids and idless == p.idless,
       "check exits 1 and names as void exactly the %d planted records (and %d without an id)"
       % (len(p.voids), p.idless),
       "missing: %s\nextra: %s\nidless: %d\n%s" % (p.voids - got, got - p.voids, idless,
                                                    "\n".join(void_lines[:10])))
    ok("both sign-offs are by '%s'" % by1 in c.stderr and twice.id in c.stderr,
       "check reports the approval signed twice by one person")
    ok(re.search(r"warning: approval '%s': requested_by 'gone-lom-1' is not in the staff "
                 r"records" % re.escape(p.gone_requester), c.stderr) is not None
       and not [l for l in c.stderr.splitlines()
                if "error" in l and "'%s'" % p.gone_requester in l],
       "check warns of the deleted requester, and finds no error in the approval")
    ok(re.search(r"error: approval '%s' breaks the procedure.*signed by 'gone-director-1', "
                 r"who is not in the staff records" % re.escape(p.gone_signer), c.stderr)
       is not None, "check calls the sign-off by a deleted director unsigned an error")
    retired_errs = [l for l in c.stderr.splitlines() if "error" in l and
                    ("dir-it-2" in l or "dir-cpp-2" in l or "'%s'" % lom in l or
                     "'%s'" % req in l) and "is void" not in l]
    ok(not retired_errs, "nothing signed by the retired director or the signer who left, "
       "nor asked for by the manager who moved or left, breaks the procedure",
       "\n".join(retired_errs[:5]))

    reqs = requests(entries, rng, ARGS.requests)
    text = "".join("\t".join(r) + "\n" for r in reqs)
    a = smpolicy(["decide", "--batch"], cconf, text)
    b = smpolicy(["decide", "--batch"], fconf, text)
    if not ok(a.returncode == 0 and b.returncode == 0,
              "decide --batch answers every request in both worlds", a.stderr + b.stderr):
        return
    ja, jb = a.stdout.splitlines(), b.stdout.splitlines()
    ok(len(ja) == len(jb) == len(reqs), "one answer per request")
    same = differ = skipped = allowed = 0
    bad = []
    for r, x, y in zip(reqs, ja, jb):
        if r[0] in p.users or r[2] in p.devices or r[3] in p.accounts:
            skipped += 1
            continue
        if x == y:
            same += 1
            allowed += json.loads(x)["decision"] == "allow"
        else:
            differ += 1
            bad.append("%s\nclean:  %s\nfaulty: %s" % ("\t".join(r), x, y))
    ok(differ == 0 and same >= 10000,
       "%d decisions that need no planted record are the clean world's (%d set aside)"
       % (same, skipped), "\n".join(bad[:5]))
    ok(allowed > 500, "%d of them allow (the comparison means something)" % allowed)
    ask = ["decide", "--user", rev.get("staff"), "--platform",
           [x for x in rev.platforms() if x not in ("snapchat", "whatsapp", "kik")][0],
           "--device", rev_device, "--at", AT]
    d0, d = smpolicy(ask, cconf), smpolicy(ask, fconf)
    ok("under approval %s " % rev.id in d0.stdout and
       "under approval %s " % rev.id not in d.stdout and d.returncode in (0, 1),
       "the revocation planted with the faults takes effect (%s)" % rev.id,
       d0.stdout + d.stdout)
    d = smpolicy(["decide", "--user", twice.get("staff"), "--platform", twice.platforms()[0],
                  "--at", AT], fconf)
    ok("both sign-offs are by" in d.stdout, "the approval signed twice by one person grants "
       "nothing", d.stdout)


if __name__ == "__main__":
    sys.exit(main())
