#!/usr/bin/env python3
"""syncrepl_test.py - the incremental `smpolicy sync` (RFC 4533 refreshOnly
with the cookie the copy keeps) against a throwaway slapd.

    syncrepl_test.py --exe BUILD/tools/smpolicy --saved BUILD/tests/ldap/saved_cookie CASE
    syncrepl_test.py --list

Each case starts its own slapd (slapd.sh, with syncprov, a session log and
a reload hint; without syncprov for `nosyncprov`) and loads the sample
office into it:

  changes     the first sync is a full read that brings a cookie; then a
              change (a revocation), a deletion, a rename (modrdn) and an
              addition each arrive incrementally (the sync says so and
              counts one entry) and change the decisions accordingly; two
              additions in one sync keep the order they were added in; the
              copy kept up so is byte for byte the copy a fresh full sync
              makes; 4097 additions at once (more than the sync asks the
              order of): a full read saying why
  present     a session log of two changes (SLAPD_SESSIONLOG): a deletion,
              two changes, a rename and three additions overflow it, so
              the server answers the copy's cookie with the present phase
              (every unchanged entry's UUID named, refreshDeletes FALSE;
              seen in its sync log and by ldapsearch -E sync=ro): the
              entry not named is deleted and what it allowed is denied,
              the additions are in the order they were added in (which
              the present phase does not keep: the sync asks for it), the
              copy is byte for byte a fresh full read's; an entry
              named present that the copy lacks (saved_cookie --drop): a
              full read saying why; then every
              entry re-created (the directory restored): the server
              refuses the cookie (e-syncRefreshRequired, the reload hint)
              and the sync is a full read saying so, or it names every
              entry present; either way the copy is a fresh read's
  refused     the copy's cookie replaced by one older than any entry: the
              server refuses it (e-syncRefreshRequired) and the sync says
              "full read:", applies the change and brings a new cookie; a
              garbled cookie: the same
  nosyncprov  a server without syncprov: every sync is a full read that
              says why, and still applies each change; a copy holding a
              cookie sent to it: the control refused, a full read; then
              ldap/syncprov.ldif applied with ldapmodify: incremental
  damaged     the copy's saved entries truncated, a byte flipped, made
              readable by others, missing an entry the server then
              deletes: each time a full read saying what is wrong, and the
              next sync incremental again
  kill        a sync SIGKILLed at the rename that installs the new copy
              and at the replace of the state (killat.so, LD_PRELOAD): the
              old copy, its state and its decisions stay exactly as they
              were; the next sync is incremental and applies the change

Speaks TAP.  Needs root, as sync_test.py.
"""
import argparse
import difflib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sync_test as st  # noqa: E402
from ldaptest import Slapd  # noqa: E402
from sync_test import (ok, out, smpolicy, files_world, load_world, ldap_config,  # noqa: E402
                       copy_dir, copies, modify, fingerprint, report, OFFICE)

CASES = ["changes", "present", "refused", "nosyncprov", "damaged", "kill"]
ARGS = None
AT = "2026-11-25T10:00"


def ask(user, platform, device="ws-essex-0042"):
    return ["--user", user, "--platform", platform, "--device", device, "--at", AT]


def sync(conf, env=None):
    return smpolicy(conf, "sync", env=env)


def incremental(r, n=None):
    """Did sync r apply the changes incrementally (n entries, if given)?"""
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("incremental: ")]
    if r.returncode != 0 or len(lines) != 1 or "full read:" in r.stdout:
        return False
    return n is None or lines[0].startswith(f"incremental: {n} entr")


def full_read(r, why):
    return (r.returncode == 0 and r.stdout.startswith("synced: ") and "incremental:" not in
            r.stdout and any(ln.startswith("full read: ") and why in ln
                             for ln in r.stdout.splitlines()))


def saved(conf):
    return os.path.join(copy_dir(conf), copies(conf)[-1], "entries")


def current_copy(conf):
    with open(os.path.join(copy_dir(conf), "state")) as f:
        for ln in f:
            if ln.startswith("copy = "):
                return ln.split('"')[1]
    return None


def records_of(conf):
    with open(os.path.join(copy_dir(conf), current_copy(conf), "records.conf")) as f:
        return f.read()


def office(tmp, slapd, what):
    files = files_world(tmp, OFFICE)
    load_world(slapd, files)
    conf = ldap_config(tmp, slapd)
    r = sync(conf)
    good = ok(full_read(r, "the copy holds no cookie") and os.path.exists(saved(conf)),
              f"{what}: the first sync is a full read and keeps the entries and a cookie",
              out(r))
    return conf if good else None


def entry_ldif(slapd, dn):
    r = slapd.ldap("ldapsearch", "-LLL", "-o", "ldif-wrap=no", "-b", dn, "-s", "base")
    if r.returncode != 0:
        raise RuntimeError("ldapsearch failed: " + r.stderr.decode())
    return r.stdout.decode()


def decide(conf, args):
    return smpolicy(conf, "decide", "--json", *args)


# ---- the cases ------------------------------------------------------------

def case_changes(tmp, slapd):
    conf = office(tmp, slapd, "changes")
    if conf is None:
        return
    base = slapd.env["BASE"]
    r = sync(conf)
    ok(r.returncode == 0 and r.stdout.startswith("unchanged: "),
       "changes: nothing changed: unchanged", out(r))

    # a change
    modify(slapd, f"dn: cn=LT-2026-014,ou=approvals,{base}\nchangetype: modify\n"
                  "add: smpRevokedOn\nsmpRevokedOn: 2026-11-24\n-\n"
                  "add: smpRevokedBy\nsmpRevokedBy: dir-it\n-\n"
                  "add: smpRevokedReason\nsmpRevokedReason: moved\n")
    r = sync(conf)
    ok(incremental(r, 1), "changes: a modify arrives incrementally, one entry", out(r))
    d = decide(conf, ask("jdoe", "facebook"))
    ok(d.returncode == 1 and "approval-revoked" in d.stdout,
       "changes: the revocation denies jdoe on facebook", out(d))

    # a deletion
    a = decide(conf, ask("apatel", "facebook", "ws-hudson-0107"))
    ok(a.returncode == 0, "changes: apatel is allowed on facebook before the deletion", out(a))
    kept = entry_ldif(slapd, f"cn=LT-2026-022,ou=approvals,{base}")
    d = slapd.ldap("ldapdelete", f"cn=LT-2026-022,ou=approvals,{base}")
    ok(d.returncode == 0, "changes: the approval deleted with ldapdelete", d.stderr)
    r = sync(conf)
    ok(incremental(r, 1), "changes: a deletion arrives incrementally, one entry", out(r))
    a = decide(conf, ask("apatel", "facebook", "ws-hudson-0107"))
    ok(a.returncode == 1 and "LT-2026-022" not in records_of(conf),
       "changes: the deletion denies apatel, and the copy no longer holds it", out(a))

    # a rename
    k = decide(conf, ask("kbrown", "youtube"))
    r0 = slapd.ldap("ldapmodrdn", "-r", f"cn=UB-5102,ou=approvals,{base}", "cn=UB-6102")
    ok(r0.returncode == 0, "changes: the approval renamed with ldapmodrdn", r0.stderr)
    r = sync(conf)
    ok(incremental(r, 1), "changes: a rename arrives incrementally, one entry", out(r))
    text = records_of(conf)
    ok('id = "UB-6102"' in text and "UB-5102" not in text,
       "changes: the copy holds the approval under its new id only", text[-800:])
    k2 = decide(conf, ask("kbrown", "youtube"))
    ok(k.returncode == k2.returncode == 0 and k.stdout == k2.stdout,
       "changes: kbrown is allowed by the renamed approval as before", out(k) + out(k2))

    # an addition
    new = kept.replace("cn=LT-2026-022,", "cn=LT-2026-099,").replace(
        "cn: LT-2026-022", "cn: LT-2026-099")
    a = slapd.ldap("ldapadd", stdin=new.encode())
    ok(a.returncode == 0, "changes: an approval added with ldapadd", a.stderr)
    r = sync(conf)
    ok(incremental(r, 1), "changes: an addition arrives incrementally, one entry", out(r))
    a = decide(conf, ask("apatel", "facebook", "ws-hudson-0107"))
    ok(a.returncode == 0 and 'id = "LT-2026-099"' in records_of(conf),
       "changes: the new approval allows apatel again", out(a))

    # two additions in one refresh, the longer RDN first: the copy keeps
    # them in the order they were added, as the paged read returns them
    # (a present phase sends them in another: see the case "present")
    for cn in ("LT-2026-1000", "LT-2026-100"):
        a = slapd.ldap("ldapadd", stdin=new.replace("LT-2026-099", cn).encode())
        ok(a.returncode == 0, f"changes: {cn} added with ldapadd", a.stderr)
    r = sync(conf)
    text = records_of(conf)
    ok(incremental(r, 2) and
       0 <= text.find('id = "LT-2026-1000"') < text.find('id = "LT-2026-100"'),
       "changes: two additions arrive incrementally, in the order they were added",
       out(r) + text[-1500:])

    # the copy kept up so equals a fresh full read's
    fresh = ldap_config(tmp, slapd, name="fresh")
    f = sync(fresh)
    # in the same order too: the paged read's (back-mdb's entry IDs, which
    # a modify and a rename keep, an addition taking the next), which the
    # changes applied keep; ties between records break by it
    ok(full_read(f, "no cookie") and records_of(fresh) == records_of(conf),
       "changes: the incrementally kept copy is byte for byte a fresh full sync's",
       out(f) + records_of(fresh) + records_of(conf))
    m = smpolicy(conf, "sync", "--metrics", os.path.join(tmp, "m.prom"))
    with open(os.path.join(tmp, "m.prom")) as fh:
        prom = fh.read()
    ok(m.returncode == 0 and "smpolicy_last_sync_incremental 0" in prom and
       "smpolicy_last_sync_entries_received 0" in prom,
       "changes: sync --metrics: an unchanged sync received nothing", prom)
    modify(slapd, f"dn: cn=LT-2026-014,ou=approvals,{base}\nchangetype: modify\n"
                  "replace: smpRevokedReason\nsmpRevokedReason: case closed\n")
    m = smpolicy(conf, "sync", "--metrics", os.path.join(tmp, "m.prom"))
    with open(os.path.join(tmp, "m.prom")) as fh:
        prom = fh.read()
    ok(incremental(m, 1) and "smpolicy_last_sync_incremental 1" in prom and
       "smpolicy_last_sync_entries_received 1" in prom,
       "changes: sync --metrics says incremental, one entry", out(m) + prom)

    # more additions at once than the sync asks the order of (4096): the
    # whole is read, in the server's order, saying why
    staff = entry_ldif(slapd, f"uid=tlee,ou=staff,{base}")
    bulk = "\n".join(staff.replace("uid=tlee,", f"uid=bulk{i},").replace(
        "uid: tlee", f"uid: bulk{i}") for i in range(4097))
    a = slapd.ldap("ldapadd", stdin=bulk.encode())
    ok(a.returncode == 0, "changes: 4097 staff entries added with ldapadd", a.stderr[-500:])
    r = sync(conf)
    ok(full_read(r, "4097 entries were added at once (more than 4096)") and
       'id = "bulk4096"' in records_of(conf),
       "changes: 4097 additions at once: a full read, saying why", out(r))
    modify(slapd, f"dn: uid=bulk7,ou=staff,{base}\nchangetype: modify\n"
                  "replace: cn\ncn: Bulk Seven\n")
    r = sync(conf)
    ok(incremental(r, 1), "changes: then incremental again", out(r))


def saved_cookie(conf):
    """The cookie of the current copy's saved entries (their header)."""
    with open(saved(conf), "rb") as f:
        data = f.read()
    head = b"SMPOLICY-ENTRIES 1\n"
    if not data.startswith(head):
        raise RuntimeError("saved entries of an unknown format")
    n = int.from_bytes(data[len(head):len(head) + 4], "big")
    return data[len(head) + 4:len(head) + 4 + n].decode()


def slapd_log(slapd):
    with open(os.path.join(slapd.env["SLAPD_DIR"], "slapd.log"), errors="replace") as f:
        return f.read()


def case_present(tmp, slapd):
    conf = office(tmp, slapd, "present")
    if conf is None:
        return
    base = slapd.env["BASE"]
    a = decide(conf, ask("apatel", "facebook", "ws-hudson-0107"))
    ok(a.returncode == 0, "present: apatel is allowed on facebook by LT-2026-022", out(a))
    kept = entry_ldif(slapd, f"cn=UB-5102,ou=approvals,{base}")
    # more changes than the session log holds (2): a deletion, two
    # modifies and a rename, then an addition
    d = slapd.ldap("ldapdelete", f"cn=LT-2026-022,ou=approvals,{base}")
    ok(d.returncode == 0, "present: the approval granting apatel deleted", d.stderr)
    modify(slapd, f"dn: cn=LT-2026-014,ou=approvals,{base}\nchangetype: modify\n"
                  "add: smpRevokedOn\nsmpRevokedOn: 2026-11-24\n-\n"
                  "add: smpRevokedBy\nsmpRevokedBy: dir-it\n-\n"
                  "add: smpRevokedReason\nsmpRevokedReason: moved\n")
    modify(slapd, f"dn: cn=UB-5188,ou=approvals,{base}\nchangetype: modify\n"
                  "replace: smpTicket\nsmpTicket: NJS-5188b\n")
    m = slapd.ldap("ldapmodrdn", "-r", f"cn=UB-5102,ou=approvals,{base}", "cn=UB-6102")
    ok(m.returncode == 0, "present: an approval renamed with ldapmodrdn", m.stderr)
    new = kept.replace("cn=UB-5102,", "cn=UB-7102,").replace("cn: UB-5102", "cn: UB-7102")
    n = slapd.ldap("ldapadd", stdin=new.encode())
    ok(n.returncode == 0, "present: an approval added with ldapadd", n.stderr)
    # and two more, the longer RDN first: a present phase sends what was
    # added in back-mdb's tree order (children by the length of their RDN,
    # then its bytes), the paged read in the order of their addition
    for cn in ("UB-71020", "UB-7103"):
        n = slapd.ldap("ldapadd", stdin=new.replace("UB-7102", cn).encode())
        ok(n.returncode == 0, f"present: {cn} added with ldapadd", n.stderr)

    # the server's answer to the copy's cookie, asked by hand: the present
    # phase (what is not named is gone), not a list of deletions
    cookie = saved_cookie(conf)
    q = slapd.ldap("ldapsearch", "-b", base, "-E", "sync=ro/" + cookie, "1.1")
    text = q.stdout.decode(errors="replace")
    ok(q.returncode == 0 and "SyncInfo Received: ID Set" in text and
       "refreshDeletes=0" in text and "refreshDeletes=1" not in text,
       f"present: the server answers the cookie {cookie} with the present phase", text[-1500:])
    before = slapd_log(slapd).count("FIND_PRESENT")
    r = sync(conf)
    log = slapd_log(slapd)
    # 7: the deletion (found by absence), two modifies, the rename, the
    # three additions
    ok(incremental(r, 7) and log.count("FIND_PRESENT") == before + 1 and
       "syncprov_sendinfo: present syncIdSet" in log,
       "present: the sync is incremental by the present phase, seven entries", out(r))
    text = records_of(conf)
    a = decide(conf, ask("apatel", "facebook", "ws-hudson-0107"))
    ok(a.returncode == 1 and "LT-2026-022" not in text,
       "present: the approval not named is gone from the copy and apatel is denied",
       out(a) + text[-800:])
    j = decide(conf, ask("jdoe", "facebook"))
    ok(j.returncode == 1 and "approval-revoked" in j.stdout,
       "present: the revocation denies jdoe on facebook", out(j))
    ok('id = "UB-6102"' in text and "UB-5102" not in text and 'id = "UB-7102"' in text and
       'ticket = "NJS-5188b";' in text,
       "present: the rename, the addition and the change are in the copy", text[-1500:])
    ok(0 <= text.find('id = "UB-7102"') < text.find('id = "UB-71020"') <
       text.find('id = "UB-7103"'),
       "present: the additions in the order they were added, not the present phase's",
       text[-2500:])
    fresh = ldap_config(tmp, slapd, name="fresh")
    f = sync(fresh)
    ok(full_read(f, "no cookie") and records_of(fresh) == records_of(conf),
       "present: the copy is byte for byte a fresh full sync's",
       out(f) + records_of(fresh) + records_of(conf))
    r = sync(conf)
    ok(r.returncode == 0 and r.stdout.startswith("unchanged: "),
       "present: then nothing changed: unchanged", out(r))

    # the copy lacks an entry the server names present and never sends
    # (saved_cookie drops it, the cookie kept): the copy and the server
    # disagree, so a full read, which brings it back
    forge(conf, f"--drop=cn=LT-2026-019,ou=approvals,{base}")
    for n in range(3):
        modify(slapd, f"dn: cn=UB-5188,ou=approvals,{base}\nchangetype: modify\n"
                      f"replace: smpTicket\nsmpTicket: NJS-5188-{n}\n")
    before = slapd_log(slapd).count("FIND_PRESENT")
    r = sync(conf)
    ok(slapd_log(slapd).count("FIND_PRESENT") == before + 1 and
       full_read(r, "the server names as present an entry the copy does not hold and does "
                 "not send it") and 'id = "LT-2026-019"' in records_of(conf),
       "present: an entry named present that the copy lacks: a full read, saying why", out(r))

    # the directory restored: every entry under the suffix re-created or
    # changed, none as old as the cookie; the reload hint makes syncprov
    # refuse it rather than name every entry present
    q = slapd.ldap("ldapsearch", "-LLL", "-o", "ldif-wrap=no", "-b", base, "-s", "one",
                   "(!(cn=workstation))", "1.1")
    tops = [ln[4:] for ln in q.stdout.decode().splitlines() if ln.startswith("dn: ")]
    d = slapd.ldap("ldapdelete", "-r", *tops)
    ok(q.returncode == 0 and len(tops) >= 3 and d.returncode == 0,
       "present: the directory's entries deleted", q.stderr + d.stderr)
    load_world(slapd, files_world(tmp, OFFICE, name="restored"))
    for dn in (slapd.env["SUFFIX"], base, slapd.env["READER_DN"]):
        modify(slapd, f"dn: {dn}\nchangetype: modify\nreplace: description\n"
                      "description: restored\n")
    r = sync(conf)
    a = decide(conf, ask("apatel", "facebook", "ws-hudson-0107"))
    # syncprov refuses the cookie when it finds no entry as old as it
    # (FIND_CSN); whether it does depends on its session log and, under
    # faketime, on the clocks of the processes that wrote the entries, so
    # a present phase is accepted too: either way the copy must be the
    # restored directory's (the next check compares it with a fresh read).
    # The refusal itself is forced in the case "refused".
    ok((full_read(r, "the server refused the cookie (e-syncRefreshRequired") or
        re.search(r"^incremental: \d+ entr", r.stdout, re.M)) and
       a.returncode == 0 and "UB-6102" not in records_of(conf),
       "present: the directory restored: a full read saying why, or a present phase",
       out(r) + out(a))
    f = sync(fresh)
    ok(records_of(fresh) == records_of(conf),
       "present: then the copy is byte for byte a fresh full sync's",
       "".join(difflib.unified_diff(
           records_of(conf).splitlines(True), records_of(fresh).splitlines(True),
           "the copy kept up", "a fresh read's", n=0)) + out(r) + out(f))
    modify(slapd, f"dn: cn=LT-2026-014,ou=approvals,{base}\nchangetype: modify\n"
                  "replace: smpTicket\nsmpTicket: NJS-after\n")
    r = sync(conf)
    ok(incremental(r, 1), "present: then the next sync is incremental again", out(r))


def forge(conf, cookie):
    """Replace the cookie of the current copy's saved entries (saved_cookie)."""
    r = subprocess.run([ARGS.saved, saved(conf), cookie], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("saved_cookie failed: " + r.stdout + r.stderr)


def case_refused(tmp, slapd):
    conf = office(tmp, slapd, "refused")
    if conf is None:
        return
    base = slapd.env["BASE"]
    for n, (cookie, why) in enumerate([
            ("rid=000,csn=19700101000000.000000Z#000000#000#000000",
             "the server refused the cookie (e-syncRefreshRequired"),
            # syncprov ignores a CSN it cannot read and sends every entry:
            # whole, with what is not named deleted (RFC 4533 3.3.1)
            ("rid=000,csn=garbage", None)]):
        forge(conf, cookie)
        modify(slapd, f"dn: cn=LT-2026-014,ou=approvals,{base}\nchangetype: modify\n"
                      f"replace: smpTicket\nsmpTicket: NJS-{n}\n")
        r = sync(conf)
        ok(full_read(r, why) if why else r.returncode == 0 and "incremental: 66 entries" in r.stdout,
           f"refused: cookie {cookie!r}: " + ("a full read, saying why" if why else
                                              "every entry sent again"), out(r))
        ok(f'ticket = "NJS-{n}";' in records_of(conf),
           f"refused: cookie {cookie!r}: the change applied", records_of(conf)[-600:])
        modify(slapd, f"dn: cn=LT-2026-014,ou=approvals,{base}\nchangetype: modify\n"
                      f"replace: smpTicket\nsmpTicket: NJS-{n}b\n")
        r = sync(conf)
        ok(incremental(r, 1), f"refused: cookie {cookie!r}: the next sync incremental again",
           out(r))


def case_nosyncprov(tmp, slapd):
    files = files_world(tmp, OFFICE)
    load_world(slapd, files)
    conf = ldap_config(tmp, slapd)
    base = slapd.env["BASE"]
    for n in range(2):
        r = sync(conf)
        ok(full_read(r, "the server keeps no contextCSN"),
           f"nosyncprov: sync {n + 1} a full read, saying why", out(r))
        ok(not os.path.exists(saved(conf)), f"nosyncprov: sync {n + 1}: no entries kept "
           "(there is no cookie to keep them for)", copies(conf))
        modify(slapd, f"dn: cn=LT-2026-014,ou=approvals,{base}\nchangetype: modify\n"
                      "replace: smpRevokedOn\nsmpRevokedOn: 2026-11-24\n-\n"
                      "replace: smpRevokedBy\nsmpRevokedBy: dir-it\n-\n"
                      "replace: smpRevokedReason\nsmpRevokedReason: moved\n")
    r = sync(conf)
    d = decide(conf, ask("jdoe", "facebook"))
    ok(full_read(r, "keeps no contextCSN") and d.returncode == 1 and
       "approval-revoked" in d.stdout, "nosyncprov: the change applied by the full read",
       out(r) + out(d))
    # a copy holding a cookie, then a server without syncprov (the same
    # directory moved to one): the sync control is refused, a full read
    del os.environ["SLAPD_NO_SYNCPROV"]
    with Slapd(os.path.join(tmp, "other")) as other:
        load_world(other, files)
        conf2 = ldap_config(tmp, other, name="dir2")
        r = sync(conf2)
        ok(full_read(r, "no cookie") and os.path.exists(saved(conf2)),
           "nosyncprov: a copy with a cookie from a server with syncprov", out(r))
    ldap_config(tmp, slapd, name="dir2")
    state = os.path.join(copy_dir(conf2), "state")
    with open(state) as f:
        text = re.sub(r'^uri = ".*";$', f'uri = "{slapd.env["LDAP_URI"]}";', f.read(),
                      flags=re.M)
    with open(state, "w") as f:
        f.write(text)
    r = sync(conf2)
    d = decide(conf2, ask("jdoe", "facebook"))
    ok(full_read(r, "the server does not offer content synchronization (Critical extension") and
       d.returncode == 1 and "approval-revoked" in d.stdout,
       "nosyncprov: the cookie sent to a server without syncprov: a full read, saying why",
       out(r) + out(d))
    # ldap/syncprov.ldif, as a site applies it: then incremental
    m = subprocess.run(["ldapmodify", "-Q", "-Y", "EXTERNAL", "-H", slapd.env["LDAPI_URI"],
                        "-f", os.path.join(st.TOP, "ldap", "syncprov.ldif")],
                       capture_output=True, text=True)
    ok(m.returncode == 0, "nosyncprov: ldap/syncprov.ldif applied with ldapmodify", m.stderr)
    modify(slapd, f"dn: cn=LT-2026-014,ou=approvals,{base}\nchangetype: modify\n"
                  "replace: smpTicket\nsmpTicket: NJS-after\n")
    r = sync(conf2)
    ok(full_read(r, "no cookie") or full_read(r, "refused"),
       "nosyncprov: with syncprov, a full read brings a cookie", out(r))
    modify(slapd, f"dn: cn=LT-2026-014,ou=approvals,{base}\nchangetype: modify\n"
                  "replace: smpTicket\nsmpTicket: NJS-after2\n")
    r = sync(conf2)
    ok(incremental(r, 1) and 'ticket = "NJS-after2";' in records_of(conf2),
       "nosyncprov: then the next sync is incremental", out(r))


def case_damaged(tmp, slapd):
    conf = office(tmp, slapd, "damaged")
    if conf is None:
        return
    base = slapd.env["BASE"]

    def truncate(p):
        with open(p, "r+b") as f:
            f.truncate(os.path.getsize(p) // 2)

    def flip(p):
        with open(p, "r+b") as f:
            f.seek(os.path.getsize(p) // 3)
            b = f.read(1)
            f.seek(-1, 1)
            f.write(bytes([b[0] ^ 0x20]))

    def loosen(p):
        os.chmod(p, 0o666)

    for n, (how, why) in enumerate([(truncate, "digest does not match"),
                                    (flip, "digest does not match"),
                                    (loosen, "saved entries fail a check")]):
        how(saved(conf))
        modify(slapd, f"dn: cn=LT-2026-014,ou=approvals,{base}\nchangetype: modify\n"
                      f"replace: smpTicket\nsmpTicket: NJS-{n}\n")
        r = sync(conf)
        ok(full_read(r, why) and f'ticket = "NJS-{n}";' in records_of(conf),
           f"damaged: {how.__name__}: a full read saying why, the change applied", out(r))
        modify(slapd, f"dn: cn=LT-2026-014,ou=approvals,{base}\nchangetype: modify\n"
                      f"replace: smpTicket\nsmpTicket: NJS-{n}b\n")
        r = sync(conf)
        ok(incremental(r, 1), f"damaged: {how.__name__}: the next sync incremental", out(r))
    # the copy and the server disagree: the server deletes an entry the
    # saved entries do not hold
    dn = f"cn=UB-5102,ou=approvals,{base}"
    forge(conf, "--drop=" + dn)
    d = slapd.ldap("ldapdelete", dn)
    r = sync(conf)
    ok(d.returncode == 0 and full_read(r, "the server deletes an entry the copy does not hold")
       and "UB-5102" not in records_of(conf),
       "damaged: a deletion of an entry the copy does not hold: a full read, saying why",
       out(r))
    modify(slapd, f"dn: cn=LT-2026-014,ou=approvals,{base}\nchangetype: modify\n"
                  "replace: smpTicket\nsmpTicket: NJS-last\n")
    r = sync(conf)
    ok(incremental(r, 1), "damaged: then incremental again", out(r))


def killat_preload():
    """killat.so for one sync: after the sanitizer's runtime when the tests
    run under ASan (it must come first of every library), before a preload
    already there (libfaketime, under tests/clock.sh)."""
    asan = os.environ.get("PAM_PRELOAD", "")
    outer = os.environ.get("LD_PRELOAD", "")
    return ":".join(p for p in (asan, ARGS.killat, outer) if p)


def case_kill(tmp, slapd):
    conf = office(tmp, slapd, "kill")
    if conf is None:
        return
    base = slapd.env["BASE"]
    modify(slapd, f"dn: cn=LT-2026-014,ou=approvals,{base}\nchangetype: modify\n"
                  "add: smpRevokedOn\nsmpRevokedOn: 2026-11-24\n-\n"
                  "add: smpRevokedBy\nsmpRevokedBy: dir-it\n-\n"
                  "add: smpRevokedReason\nsmpRevokedReason: moved\n")
    before = decide(conf, ask("jdoe", "facebook"))
    for at in ("/.new-", "/.state-"):
        prints = fingerprint(conf)
        state = current_copy(conf)
        r = sync(conf, env={"LD_PRELOAD": killat_preload(), "KILLAT_RENAME": at})
        ok(r.returncode == -signal.SIGKILL, f"kill: the sync killed at the rename of {at}*",
           out(r))
        after = decide(conf, ask("jdoe", "facebook"))
        now = fingerprint(conf)
        # the state and the copy it names; what else a killed sync leaves
        # (the folder being rendered, the state being written, a copy
        # renamed but never named) the next sync removes
        mine = {k: v for k, v in prints.items() if k == "state" or k.startswith(state + "/")}
        ok(current_copy(conf) == state and len(mine) >= 4 and
           all(now.get(k) == v for k, v in mine.items()),
           f"kill at {at}*: the old copy, its entries and its state exactly as they were",
           repr(sorted(set(now.items()) ^ set(prints.items()))))
        ok((after.returncode, after.stdout) == (before.returncode, before.stdout) and
           before.returncode == 0, f"kill at {at}*: the old copy decides as before", out(after))
    r = sync(conf)
    d = decide(conf, ask("jdoe", "facebook"))
    ok(incremental(r, 1) and d.returncode == 1 and "approval-revoked" in d.stdout,
       "kill: the next sync is incremental and applies the change", out(r) + out(d))
    left = [n for n in os.listdir(copy_dir(conf)) if n.startswith(".")]
    ok(not left and len(copies(conf)) <= 2, "kill: nothing of the killed syncs left",
       repr((left, copies(conf))))


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--exe")
    ap.add_argument("--saved")
    ap.add_argument("--killat")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("case", nargs="?")
    ARGS = ap.parse_args()
    if ARGS.list:
        print("\n".join(CASES))
        return 0
    if ARGS.case not in CASES or not ARGS.exe:
        ap.error("give --exe and one of " + ", ".join(CASES))
    st.ARGS = ARGS
    # meson gives paths relative to the build folder; LD_PRELOAD wants
    # them absolute
    ARGS.saved = os.path.abspath(ARGS.saved) if ARGS.saved else None
    ARGS.killat = os.path.abspath(ARGS.killat) if ARGS.killat else None
    if shutil.which("slapd") is None and not os.path.exists("/usr/sbin/slapd"):
        print("1..0 # SKIP slapd is not installed")
        return 0
    if ARGS.case == "nosyncprov":
        os.environ["SLAPD_NO_SYNCPROV"] = "1"
    if ARGS.case == "present":
        # a session log the case overflows; stats and sync (256 | 16384):
        # syncprov logs each refresh's phase
        os.environ["SLAPD_SESSIONLOG"] = "2"
        os.environ["SLAPD_DEBUG"] = "16640"
    old_umask = os.umask(0o022)
    tmp = tempfile.mkdtemp(prefix="smpolicy-syncrepl-")
    os.chmod(tmp, 0o755)
    os.environ["TMPDIR"] = os.path.join(tmp, "tmp")
    os.mkdir(os.environ["TMPDIR"], 0o700)
    try:
        with Slapd(tmp) as slapd:
            globals()["case_" + ARGS.case](tmp, slapd)
    except Exception:  # a failure of the harness is a failed test, not a crash
        import traceback
        ok(False, f"{ARGS.case}: the case ran to its end", traceback.format_exc())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        os.umask(old_umask)
    return report()


if __name__ == "__main__":
    socket.setdefaulttimeout(30)
    sys.exit(main())
