#!/usr/bin/env python3
"""sync_test.py - `smpolicy sync` and `check --online` against a throwaway slapd.

    sync_test.py --exe BUILD/tools/smpolicy [--genworld bench/genworld] CASE
    sync_test.py --list

Each case starts its own slapd (slapd.sh, through ldaptest.Slapd, which
stops it on the way out whatever happens), loads a files world into it with
`smpolicy export --ldif` and ldapadd as the root DN, writes a settings file
with settings.source = "ldap" that binds as the workstations' read-only
identity, and checks:

  office       the sample office: sync, then `decide --json` over every user x
               platform x device x account x time, `report --json` and `check`
               equal between the files and the directory's copy
  genworld     the same on a small generated world (bench/genworld)
  faults       a dangling reference, an impossible date, a record in no
               container, no cn=settings: sync exits 1 naming the DN, and the
               copy, the state and the decisions stay as they were; check --online
               says the same and writes nothing; a procedural fault is a warning
               and the copy is installed (check --online: an error); a files-
               sourced config is refused (exit 2), and so are a copy_dir others may
               write and a sync lock held too long
  down         the directory stopped: decide answers from the copy, sync exits 2
               naming the URI; started again, sync works
  offline      past ldap.max_offline (the state's synced rewritten into the past):
               decide exits 2 with when and where from, and the PAM module
               (pamtester under pam_wrapper) answers an authentication error;
               fresh again after a sync
  incremental  a revocation made with ldapmodify reaches the copy with the next
               sync and changes the decision; a sync with nothing changed says
               unchanged and makes no copy; old copies, and what a killed sync
               left behind, are removed
  tls          ldaps:// with the test CA and ldap:// + StartTLS with the CA sync;
               a CA that did not sign the server's certificate fails, saying so,
               even under LDAPTLS_REQCERT=never and ldaprc files saying the same;
               uri or write_uri holding two URIs is a FILE:LINE error of check,
               sync and the record commands; ldap:// without ca_file still
               insists on StartTLS; a server that refuses StartTLS is sent no
               bind and no search
  bind         a wrong password (exit 2, the bind named); a password file that
               group may read (refused); no such base (exit 2)
  status       smpolicy status (text, JSON, exit codes 0/1/2) and sync --metrics
               after a good sync, a failed one (the directory down: the attempt
               and its error recorded, the copy kept) and as the copy ages past
               half of ldap.max_offline and past it
  private      the copy, its state, last attempt, compiled cache and login store
               are 0640 (folders 0750) in the _smpolicy group or root's; a copy
               file, the state or the store made readable by others is refused
               at load, the path named
  statewide    bench/genworld's statewide world (--offices/--staff make it
               smaller), then 22 kinds of fault written with ldapmodify, each in
               an entry of its own (bad values, dangling ids, a class from
               elsewhere, records outside or below the containers, another
               RDN), a director retired, a signer and a requester who left, a
               manager moved, a double sign-off and a revocation: the sync
               applies (exit 3) naming exactly the planted entries, and
               12,000 decisions (decide --batch) over the copy equal the clean
               files' for every request needing none of them
  strings      export_test.py's world of awkward strings (quotes, backslashes,
               control characters, UTF-8) under a base whose DN needs escaping:
               the copy, read by an independent libconfig reader, holds exactly
               the values of the files

Speaks TAP.  Needs root (the library trusts root-owned files only; as anyone
else the files are accepted with --test-allow-nonroot but PAM is skipped).
"""
import argparse
import datetime
import fcntl
import hashlib
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ldaptest import TOP, Slapd, parse_ldif, read_world, with_store  # noqa: E402

OFFICE = os.path.join(TOP, "examples/office")
OFFICE_AT = ["2026-11-25T10:00", "2026-05-20T09:00", "2027-01-15T12:00", "2027-07-01T08:00"]
CASES = ["office", "genworld", "faults", "down", "offline", "incremental", "tls", "bind",
         "strings", "status", "private", "statewide"]
results = []
ARGS = None


def ok(cond, what, detail=""):
    results.append((bool(cond), what, detail))
    return bool(cond)


def skip(what, why):
    results.append((None, what, why))


def report():
    print(f"1..{len(results)}")
    failed = 0
    for i, (good, what, detail) in enumerate(results, 1):
        if good is None:
            print(f"ok {i} - {what} # SKIP {detail}")
            continue
        print(f"{'ok' if good else 'not ok'} {i} - {what}")
        if not good:
            failed += 1
            for line in str(detail).splitlines()[:40]:
                print(f"# {line}")
    return 1 if failed else 0


# ---- running smpolicy ----------------------------------------------------

def smpolicy(config, *args, env=None, cwd=None):
    pre = [] if os.geteuid() == 0 else ["--test-allow-nonroot"]
    return subprocess.run([os.path.abspath(ARGS.exe), *pre, "-c", config, *with_store(args)],
                          capture_output=True,
                          text=True, cwd=cwd, env=dict(os.environ, TZ="America/New_York",
                                                       LC_ALL="C", **(env or {})))


def out(r):
    return f"exit {r.returncode}\n--- stdout\n{r.stdout}--- stderr\n{r.stderr}"


def files_world(tmp, src, name="files"):
    """A copy of the files world src in tmp/name, root's and 0644."""
    d = os.path.join(tmp, name)
    os.mkdir(d, 0o755)
    for f in ("smpolicy.conf", "records.conf"):
        shutil.copy(os.path.join(src, f), d)
        os.chmod(os.path.join(d, f), 0o644)
    return d


# The day the sample office is written around (its README asks as of it).
OFFICE_DAY = datetime.date(2026, 11, 25)


def office_today(world):
    """Every date of the sample office's records moved by the same number
    of days, so that its day is today (read once, in the zone the commands
    run in): for the cases that decide at the clock's time, as the PAM
    module always does.  Without it they would fail once its approvals
    lapse.  Ids such as LT-2026-014 are not dates and stay."""
    shift = datetime.date.today() - OFFICE_DAY
    path = os.path.join(world, "records.conf")
    with open(path) as f:
        text = f.read()
    text = re.sub(r"\b\d{4}-\d{2}-\d{2}\b",
                  lambda m: (datetime.date.fromisoformat(m.group(0)) + shift).isoformat(), text)
    with open(path, "w") as f:
        f.write(text)


def load_world(slapd, world, base=None):
    """Export the files world into the directory; the LDIF's entries."""
    r = smpolicy(os.path.join(world, "smpolicy.conf"), "export", "--ldif", "--base",
                 base or slapd.env["BASE"], *([] if base else ["--no-base-entry"]))
    if r.returncode != 0:
        raise RuntimeError("export failed: " + out(r))
    a = slapd.ldap("ldapadd", stdin=r.stdout.encode())
    if a.returncode != 0:
        raise RuntimeError("ldapadd failed: " + a.stderr.decode())
    return parse_ldif(r.stdout)


def ldap_config(tmp, slapd, name="dir", uri=None, ca_file=None, bind=True, max_offline=None,
                base=None, timeout=10):
    """A settings file with source = "ldap" in tmp/name; its path.  ldap://
    always starts TLS, so ca_file is the test CA unless given (False: none,
    the system's CAs)."""
    if ca_file is None:
        ca_file = slapd.env["CA_FILE"]
    d = os.path.join(tmp, name)
    os.makedirs(d, 0o755, exist_ok=True)
    secret = os.path.join(d, "ldap.secret")
    if bind and not os.path.exists(secret):
        with open(secret, "w") as f:
            f.write(slapd.env["READER_PW"] + "\n")
        os.chmod(secret, 0o600)
    lines = [f'uri = "{uri or slapd.env["LDAP_URI"]}";',
             f'base = "{base or slapd.env["BASE"]}";']
    if bind:
        lines += [f'bind_dn = "{slapd.env["READER_DN"]}";', 'bind_password_file = "ldap.secret";']
    if ca_file:
        lines.append(f'ca_file = "{ca_file}";')
    if max_offline:
        lines.append(f"max_offline = {max_offline};")
    lines += [f"timeout = {timeout};", 'copy_dir = "copy";']
    conf = os.path.join(d, "smpolicy.conf")
    with open(conf, "w") as f:
        f.write('version = 1;\nsettings = { source = "ldap"; require_signatures = false; };\nldap = {\n  ' +
                "\n  ".join(lines) + "\n};\n")
    os.chmod(conf, 0o644)
    return conf


def copy_dir(conf):
    return os.path.join(os.path.dirname(conf), "copy")


def fingerprint(conf):
    """Every file of the local copy but the lock and the record of the last
    attempt (which a failed sync rewrites), and its bytes' digests."""
    top = copy_dir(conf)
    found = {}
    for root, _dirs, files in os.walk(top):
        for f in files:
            if f.endswith(".lock") or f == "last-attempt":
                continue
            p = os.path.join(root, f)
            with open(p, "rb") as fh:
                found[os.path.relpath(p, top)] = hashlib.sha256(fh.read()).hexdigest()
    return found


def copies(conf):
    return sorted(n for n in os.listdir(copy_dir(conf)) if n.startswith("copy-"))


def modify(slapd, ldif):
    r = slapd.ldap("ldapmodify", stdin=ldif.encode())
    if r.returncode != 0:
        raise RuntimeError("ldapmodify failed: " + r.stderr.decode())


# ---- the same decisions --------------------------------------------------

def ids(entries, container):
    """The ids of the LDIF entries of one container, in order."""
    got = []
    for dn, attrs in entries:
        m = re.match(r"(?:cn|uid)=([^,]+),ou=" + container + ",", dn)
        if m:
            got.append((m.group(1), attrs))
    return got


def requests(entries, times, limit_users=None):
    """decide arguments: every user x platform at each time, a device of the
    world (in turn, and one unknown), and each official account the user
    holds on the platform with a login."""
    staff = [i for i, _ in ids(entries, "staff")][:limit_users]
    platforms = [i for i, _ in ids(entries, "platforms")]
    devices = [i for i, _ in ids(entries, "devices")] + ["ws-nowhere-1"]
    accounts = ids(entries, "accounts")
    reqs, n = [], 0
    for u in staff:
        for p in platforms:
            held = [a for a, at in accounts
                    if at.get("smpHolder") == [u] and at.get("smpPlatform") == [p]]
            for t in times:
                dev = devices[n % len(devices)]
                n += 1
                reqs.append(["--user", u, "--platform", p, "--device", dev, "--at", t])
                for a in held[:2]:
                    reqs.append(["--user", u, "--platform", p, "--device", dev, "--at", t,
                                 "--action", "login", "--account", a])
    return reqs


def same_answers(files_conf, dir_conf, reqs, at, what):
    differ = []
    for args in reqs:
        a = smpolicy(files_conf, "decide", "--json", *args)
        b = smpolicy(dir_conf, "decide", "--json", *args)
        if (a.returncode, a.stdout, a.stderr) != (b.returncode, b.stdout, b.stderr):
            differ.append(f"{' '.join(args)}\nfiles: {out(a)}\ndirectory: {out(b)}")
    ok(not differ, f"{what}: {len(reqs)} decisions equal between the files and the copy",
       "\n".join(differ[:3]))
    allowed = sum(1 for args in reqs[:200]
                  if smpolicy(dir_conf, "decide", *args).returncode == 0)
    ok(allowed > 0, f"{what}: some of the decisions allow (the comparison means something)")
    for t in at:
        a = smpolicy(files_conf, "report", "--json", "--at", t)
        b = smpolicy(dir_conf, "report", "--json", "--at", t)
        ok(a.returncode == 0 and (a.stdout, a.returncode) == (b.stdout, b.returncode),
           f"{what}: report --json at {t} equal", out(a) + out(b))
    a = smpolicy(files_conf, "check")
    b = smpolicy(dir_conf, "check")
    copy = os.path.join(copy_dir(dir_conf), copies(dir_conf)[-1])
    norm_b = b.stdout.replace(copy + "/smpolicy.conf", "CONF").replace(copy + "/", "")
    norm_a = a.stdout.replace(files_conf, "CONF").replace(os.path.dirname(files_conf) + "/", "")
    ok(a.returncode == b.returncode == 0 and norm_a == norm_b and a.stderr == b.stderr,
       f"{what}: check says the same of both", out(a) + out(b))


def synced_ok(conf, what, changed=True):
    r = smpolicy(conf, "sync")
    word = "synced: " if changed else "unchanged: "
    # a new copy gets its login store; an unchanged one keeps the one it has
    store = ("wrote: the login store in " in r.stdout) == changed
    return ok(r.returncode == 0 and r.stdout.startswith(word) and store, what, out(r)), r


# ---- the cases -----------------------------------------------------------

ASK = ["--user", "jdoe", "--platform", "facebook", "--device", "ws-essex-0042",
       "--at", "2026-11-25T10:00"]


def office_synced(tmp, slapd, what, today=False, **config):
    """The sample office in the directory and synced once: (files, conf), or
    None when that sync failed (a failed test already).  today: moved to
    today (office_today)."""
    files = files_world(tmp, OFFICE)
    if today:
        office_today(files)
    load_world(slapd, files)
    conf = ldap_config(tmp, slapd, **config)
    return (files, conf) if synced_ok(conf, f"{what}: the first sync")[0] else None

def case_office(tmp, slapd):
    files = files_world(tmp, OFFICE)
    entries = load_world(slapd, files)
    conf = ldap_config(tmp, slapd)
    good, r = synced_ok(conf, "office: sync of the exported sample office")
    if not good:
        return
    ok("57 records" in r.stdout, "office: sync counts the records", out(r))
    copy_settings, _ = read_world(os.path.join(copy_dir(conf), "copy-1", "smpolicy.conf"))
    ok(copy_settings["settings"].get("device_domains") == ["ws.dcf.example"],
       "office: settings.device_domains came through the directory (smpDeviceDomains)",
       copy_settings["settings"])
    same_answers(os.path.join(files, "smpolicy.conf"), conf, requests(entries, OFFICE_AT),
                 OFFICE_AT[:2], "office")
    c = smpolicy(conf, "check", "--online")
    ok(c.returncode == 0 and c.stdout.startswith("OK: ") and "57 records" in c.stdout,
       "office: check --online passes", out(c))
    ok("has no smpTimeZone" in c.stderr, "office: check --online warns of no smpTimeZone",
       out(c))
    # settings.time_zone through the directory: one answer whatever the TZ
    modify(slapd, f"dn: cn=settings,{slapd.env['BASE']}\nchangetype: modify\n"
                  "replace: smpTimeZone\nsmpTimeZone: America/New_York\n")
    good, r = synced_ok(conf, "office: synced with smpTimeZone")
    ok("smpTimeZone" not in r.stderr, "office: no warning once it is set", out(r))
    copy_settings, _ = read_world(os.path.join(copy_dir(conf), copies(conf)[-1],
                                               "smpolicy.conf"))
    ok(copy_settings["settings"].get("time_zone") == "America/New_York",
       "office: settings.time_zone came through the directory (smpTimeZone)", copy_settings)
    pre = [] if os.geteuid() == 0 else ["--test-allow-nonroot"]
    answers = {}
    for tz in ("UTC", "America/New_York", "Asia/Tokyo"):
        got = []
        for args in requests(entries, ["2026-11-25T10:00", "2026-12-04T17:30"], 6):
            d = subprocess.run([os.path.abspath(ARGS.exe), *pre, "-c", conf, "decide", "--json",
                                *args], capture_output=True, text=True,
                               env=dict(os.environ, TZ=tz, LC_ALL="C"))
            got.append((d.returncode, d.stdout))
        answers[tz] = got
    ok(answers["UTC"] == answers["America/New_York"] == answers["Asia/Tokyo"]
       and any(rc == 0 for rc, _ in answers["UTC"]),
       f"office: {len(answers['UTC'])} decisions alike under TZ=UTC, New York and Tokyo")


def case_genworld(tmp, slapd):
    ref = "2026-11-25"
    gen = os.path.join(tmp, "gen")
    r = subprocess.run([sys.executable, ARGS.genworld, "--offices", "4", "--staff", "40",
                        "--devices", "30", "--approvals", "160", "--years", "2", "--ref",
                        ref, "--seed", "7", gen], capture_output=True, text=True)
    if not ok(r.returncode == 0, "genworld: a small world generated", r.stderr):
        return
    files = files_world(tmp, gen)
    entries = load_world(slapd, files)
    conf = ldap_config(tmp, slapd)
    if not synced_ok(conf, "genworld: sync of the exported world")[0]:
        return
    times = [f"{ref}T10:00", "2026-03-02T09:30", "2025-08-14T16:00"]
    same_answers(os.path.join(files, "smpolicy.conf"), conf, requests(entries, times, 30),
                 times, "genworld")


def state_voids(conf):
    with open(os.path.join(copy_dir(conf), "state")) as f:
        m = re.search(r"^void_records = (\d+);$", f.read(), re.M)
    return int(m.group(1)) if m else None


APATEL = ["--user", "apatel", "--platform", "facebook", "--device", "ws-hudson-0107",
          "--at", "2026-11-25T10:00"]


def case_faults(tmp, slapd):
    synced = office_synced(tmp, slapd, "faults")
    if synced is None:
        return
    files, conf = synced
    base = slapd.env["BASE"]
    decided = smpolicy(conf, "decide", *ASK)
    other = smpolicy(conf, "decide", *APATEL)
    ok(decided.returncode == 0 and other.returncode == 0, "faults: both requests allowed first",
       out(decided) + out(other))
    dn = f"cn=LT-2026-014,ou=approvals,{base}"
    revoked = f"cn=LT-2026-022,ou=approvals,{base}"
    faults = [
        ("a dangling reference", dn, "replace: smpStaff\nsmpStaff: nobody",
         "replace: smpStaff\nsmpStaff: jdoe", "smpStaff: approval 'LT-2026-014': staff member "
         "'nobody' does not exist", "approval-expired"),   # jdoe's older LT-2025-007
        ("an impossible date", dn, "replace: smpExpires\nsmpExpires: 2027-02-30",
         "replace: smpExpires\nsmpExpires: 2027-06-05",
         "smpExpires: approval 'LT-2026-014': expires: '2027-02-30' is not a valid time",
         "approval-invalid"),
    ]
    for what, edn, change, undo, message, reason in faults:
        before = fingerprint(conf)
        # the fault, and a revocation elsewhere that the same sync must carry
        modify(slapd, f"dn: {edn}\nchangetype: modify\n{change}\n")
        modify(slapd, f"dn: {revoked}\nchangetype: modify\nreplace: smpRevokedOn\n"
                      "smpRevokedOn: 2026-11-20\n-\nreplace: smpRevokedBy\nsmpRevokedBy: dir-it\n"
                      "-\nreplace: smpRevokedReason\nsmpRevokedReason: moved\n")
        r = smpolicy(conf, "sync")
        ok(r.returncode == 3 and f"void: {edn}: " in r.stdout and message in r.stdout
           and "applied, with 1 void record" in r.stdout and f"{edn}: warning: " in r.stderr,
           f"faults: {what}: sync applies the copy, exits 3, names the DN", out(r))
        ok(fingerprint(conf) != before and state_voids(conf) == 1,
           f"faults: {what}: a new copy, its state counting 1 void record")
        st = smpolicy(conf, "status")
        ok(st.returncode == 1 and "1 void record" in st.stdout + st.stderr,
           f"faults: {what}: smpolicy status warns of the void record (exit 1)", out(st))
        d = smpolicy(conf, "decide", *ASK)
        ok(d.returncode == 1 and reason in d.stdout,
           f"faults: {what}: the void record allows nothing ({reason})", out(d))
        d = smpolicy(conf, "decide", *APATEL)
        ok(d.returncode == 1 and "approval-revoked" in d.stdout,
           f"faults: {what}: the revocation in the same sync took effect", out(d))
        c = smpolicy(conf, "check", "--online")
        ok(c.returncode == 1 and f"{edn}: error: {message}" in c.stderr,
           f"faults: {what}: check --online exits 1 naming the DN", out(c))
        c = smpolicy(conf, "check")
        ok(c.returncode == 1 and "the record is void" in c.stderr,
           f"faults: {what}: check of the copy exits 1 naming the void record", out(c))
        r = smpolicy(conf, "sync")
        ok(r.returncode == 3 and r.stdout.startswith("unchanged: ")
           and "applied, with 1 void record" in r.stdout,
           f"faults: {what}: an unchanged directory: exit 3 still", out(r))
        modify(slapd, f"dn: {edn}\nchangetype: modify\n{undo}\n")
        modify(slapd, f"dn: {revoked}\nchangetype: modify\ndelete: smpRevokedOn\n-\n"
                      "delete: smpRevokedBy\n-\ndelete: smpRevokedReason\n")
        synced_ok(conf, f"faults: {what}: repaired, synced with no void record")
        ok(state_voids(conf) == 0, f"faults: {what}: the state counts none")
    # the Director of IT retires and the Essex manager moves to Hudson: each
    # tenure recorded (smpHeld, smpLeft), nothing they did before changes
    modify(slapd, f"dn: uid=dir-it,ou=staff,{base}\nchangetype: modify\ndelete: smpRoles\n-\n"
                  "add: smpHeld\nsmpHeld: director_it 2019-01-01 2026-11-25\n-\n"
                  "add: smpLeft\nsmpLeft: 2026-11-25\n")
    modify(slapd, f"dn: uid=lom-essex,ou=staff,{base}\nchangetype: modify\n"
                  "replace: smpOffice\nsmpOffice: hudson-north\n-\n"
                  "add: smpHeld\nsmpHeld: local_office_manager@essex-central 2024-01-01 "
                  "2026-11-25\nsmpHeld: local_office_manager 2026-11-25\n")
    synced_ok(conf, "faults: a retirement and a transfer recorded, synced")
    d = smpolicy(conf, "decide", *ASK)
    ok((d.returncode, d.stdout) == (decided.returncode, decided.stdout),
       "faults: what the retired director signed and the moved manager asked for holds", out(d))
    d = smpolicy(conf, "decide", "--user", "dir-it", "--platform", "facebook", "--device",
                 "ws-essex-0042", "--at", "2026-11-25T10:00")
    ok(d.returncode == 1 and "left the agency" in d.stdout,
       "faults: the retired director is no user", out(d))
    c = smpolicy(conf, "check", "--online")
    ok("dir-it" not in c.stderr and "lom-essex" not in c.stderr,
       "faults: check finds nothing wrong with their approvals", out(c))
    # then their entries deleted outright (ldapdelete; msmith, whom the
    # manager supervised, re-pointed first): what they did is judged without
    # the entry.  The request stands on the two sign-offs; a sign-off that
    # no signature vouches for (none are required here) no longer counts.
    # Neither is a void record.
    lt = f"cn=LT-2026-014,ou=approvals,{base}"
    modify(slapd, f"dn: uid=msmith,ou=staff,{base}\nchangetype: modify\ndelete: smpSupervisor\n")
    gone = slapd.ldap("ldapdelete", f"uid=lom-essex,ou=staff,{base}")
    ok(gone.returncode == 0, "faults: the requesting manager's entry deleted", gone.stderr)
    synced_ok(conf, "faults: the requester deleted outright: synced, no void record")
    ok(state_voids(conf) == 0, "faults: the requester deleted: the state counts none")
    d = smpolicy(conf, "decide", *ASK)
    ok((d.returncode, d.stdout) == (decided.returncode, decided.stdout),
       "faults: the request of a deleted manager, signed by both directors, holds", out(d))
    c = smpolicy(conf, "check", "--online")
    ok(re.search(f"^{re.escape(lt)}: warning: .*approval 'LT-2026-014': requested_by "
                 "'lom-essex' is not in the staff records", c.stderr, re.M) is not None
       and f"{lt}: error" not in c.stderr,
       "faults: check --online warns of the deleted requester by the approval's DN", out(c))
    saved_dir = slapd.ldap("ldapsearch", "-LLL", "-b", f"uid=dir-it,ou=staff,{base}",
                           "-s", "base").stdout.decode()
    gone = slapd.ldap("ldapdelete", f"uid=dir-it,ou=staff,{base}")
    ok(gone.returncode == 0, "faults: a signer's entry deleted", gone.stderr)
    r = smpolicy(conf, "sync")
    ok(r.returncode == 0 and "void: " not in r.stdout and state_voids(conf) == 0,
       "faults: the signer deleted outright: synced, no void record", out(r))
    d = smpolicy(conf, "decide", *ASK)
    ok(d.returncode == 1 and "approval-invalid" in d.stdout and
       "signed by 'dir-it', who is not in the staff records" in d.stdout,
       "faults: unsigned, the sign-off of a deleted director does not count", out(d))
    slapd.ldap("ldapadd", stdin=saved_dir.encode())
    synced_ok(conf, "faults: the director's entry put back, synced")
    d = smpolicy(conf, "decide", *ASK)
    ok((d.returncode, d.stdout) == (decided.returncode, decided.stdout),
       "faults: and the approval holds again", out(d))
    # entries in no place of a record, or not of their container's class:
    # each void, named by DN; the rest decides as before
    stray = f"cn=LT-9,{base}"
    classless = f"cn=LT-8,ou=approvals,{base}"
    deep = f"cn=LT-7,cn=LT-2026-014,ou=approvals,{base}"
    for ldif in (f"dn: {stray}\nobjectClass: smpPolicyApproval\ncn: LT-9\nsmpStaff: jdoe\n",
                 f"dn: {classless}\nobjectClass: device\ncn: LT-8\n",
                 f"dn: {deep}\nobjectClass: smpPolicyApproval\ncn: LT-7\nsmpStaff: jdoe\n"):
        a = slapd.ldap("ldapadd", stdin=ldif.encode())
        ok(a.returncode == 0, "faults: an entry added in a wrong place or of a wrong class",
           a.stderr)
    r = smpolicy(conf, "sync")
    ok(r.returncode == 3 and all(f"void: {x}: " in r.stdout for x in (stray, classless, deep))
       and "applied, with 3 void records" in r.stdout and state_voids(conf) == 3,
       "faults: three stray entries: applied, exit 3, each named by DN", out(r))
    d = smpolicy(conf, "decide", *ASK)
    ok((d.returncode, d.stdout) == (decided.returncode, decided.stdout),
       "faults: the strays change no decision", out(d))
    for x in (deep, stray, classless):
        slapd.ldap("ldapdelete", x)
    synced_ok(conf, "faults: strays removed, synced")
    before = fingerprint(conf)
    settings = f"cn=settings,{base}"
    saved = slapd.ldap("ldapsearch", "-LLL", "-b", settings, "-s", "base").stdout.decode()
    slapd.ldap("ldapdelete", settings)
    r = smpolicy(conf, "sync")
    ok(r.returncode == 1 and f"{settings}: error: missing" in r.stderr,
       "faults: no cn=settings (a global fault): sync exits 1 naming it", out(r))
    ok(fingerprint(conf) == before, "faults: the old copy and state kept byte for byte")
    d = smpolicy(conf, "decide", *ASK)
    ok((d.returncode, d.stdout) == (decided.returncode, decided.stdout),
       "faults: decisions still come from the old copy", out(d))
    slapd.ldap("ldapadd", stdin=saved.encode())
    synced_ok(conf, "faults: repaired, the directory syncs again")
    dn = f"cn=LT-2026-014,ou=approvals,{base}"
    modify(slapd, f"dn: {dn}\nchangetype: modify\nreplace: smpApprovedCppBy\n"
                  "smpApprovedCppBy: msmith\n")
    r = smpolicy(conf, "sync")
    ok(r.returncode == 0 and r.stdout.startswith("synced: ") and "with warnings" in r.stdout
       and f"{dn}: warning: " in r.stderr and "msmith" in r.stderr,
       "faults: a procedural fault: synced, with a warning naming the DN", out(r))
    d = smpolicy(conf, "decide", *ASK)
    ok(d.returncode == 1 and "approval-invalid" in d.stdout,
       "faults: the approval that breaks the procedure is invalid in the copy", out(d))
    c = smpolicy(conf, "check", "--online")
    ok(c.returncode == 1 and f"{dn}: error: " in c.stderr,
       "faults: check --online calls the procedural fault an error (exit 1)", out(c))
    modify(slapd, f"dn: {dn}\nchangetype: modify\nreplace: smpApprovedCppBy\n"
                  "smpApprovedCppBy: dir-cpp\n")
    synced_ok(conf, "faults: repaired again, synced")
    os.chmod(copy_dir(conf), 0o775)
    r = smpolicy(conf, "sync")
    ok(r.returncode == 2 and "writable by group or others" in r.stderr,
       "faults: a copy_dir that group may write is refused", out(r))
    os.chmod(copy_dir(conf), 0o755)
    quick = ldap_config(tmp, slapd, "dir", timeout=1)
    with open(os.path.join(copy_dir(quick), "sync.lock")) as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        r = smpolicy(quick, "sync")
    ok(r.returncode == 2 and "another sync has held the lock for 1 seconds" in r.stderr,
       "faults: a sync lock held longer than ldap.timeout: exit 2", out(r))
    left = os.listdir(os.environ["TMPDIR"])
    ok(not left, "faults: check --online left nothing in $TMPDIR", left)
    f = smpolicy(os.path.join(files, "smpolicy.conf"), "sync")
    ok(f.returncode == 2 and "there is no directory to read" in f.stderr,
       "faults: sync refuses a files-sourced config (exit 2)", out(f))
    f = smpolicy(os.path.join(files, "smpolicy.conf"), "check", "--online")
    ok(f.returncode == 2 and "there is no directory to read" in f.stderr,
       "faults: check --online refuses a files-sourced config (exit 2)", out(f))


def case_down(tmp, slapd):
    synced = office_synced(tmp, slapd, "down")
    if synced is None:
        return
    conf = synced[1]
    up = smpolicy(conf, "decide", *ASK)
    before = fingerprint(conf)
    subprocess.run([os.path.join(TOP, "tests/ldap/slapd.sh"), "down", slapd.dir], check=True)
    d = smpolicy(conf, "decide", *ASK)
    ok(d.returncode == 0 and d.stdout == up.stdout, "down: decide answers from the copy",
       out(d))
    r = smpolicy(conf, "sync")
    ok(r.returncode == 2 and slapd.env["LDAP_URI"] in r.stderr and
       "Can't contact LDAP server" in r.stderr, "down: sync exits 2 naming the URI", out(r))
    ok(fingerprint(conf) == before, "down: the copy and the state are kept")
    c = smpolicy(conf, "check", "--online")
    ok(c.returncode == 2 and slapd.env["LDAP_URI"] in c.stderr, "down: check --online exits 2",
       out(c))
    subprocess.run([os.path.join(TOP, "tests/ldap/slapd.sh"), "up", slapd.dir], check=True)
    synced_ok(conf, "down: up again, sync works", changed=False)


def backdate(conf, seconds):
    state = os.path.join(copy_dir(conf), "state")
    with open(state) as f:
        text = f.read()
    when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - seconds))
    with open(state, "w") as f:
        f.write(re.sub(r'synced = "[^"]*";', f'synced = "{when}";', text))
    return when


def pam(tmp, conf, user):
    """pamtester acct_mgmt under pam_wrapper with the module on conf; its
    (exit, output), or None when PAM cannot be tested here."""
    module, wrapper = os.environ.get("PAM_MODULE"), os.environ.get("PAM_WRAPPER_LIB")
    if os.geteuid() != 0 or not module or not wrapper or not shutil.which("pamtester"):
        return None
    svc = os.path.join(tmp, "svc")
    os.makedirs(svc, 0o755, exist_ok=True)
    with open(os.path.join(svc, "smp"), "w") as f:
        f.write(f"account required {module} config={conf} device=ws-essex-0042 "
                f"store={os.path.join(tmp, 'store')}\n")
    preload = os.environ.get("PAM_PRELOAD", "")
    if preload and "libasan.so" not in preload:
        os.makedirs(os.path.join(tmp, "asan"), exist_ok=True)
        link = os.path.join(tmp, "asan", "libasan.so")
        if not os.path.exists(link):
            os.symlink(preload, link)
        preload = link
    # a preload already there (libfaketime, under tests/clock.sh) is kept
    outer = os.environ.get("LD_PRELOAD", "")
    preload = (preload + ":" if preload else "") + wrapper + (":" + outer if outer else "")
    # pam_wrapper's /tmp/pam.X is shared by every transaction on the host
    # unless own_tmp.sh gives this one a /tmp of its own (tmp/tmp); the
    # preload is set inside it, for pamtester alone
    cmd = [os.path.join(TOP, "tests/pam/own_tmp.sh"), tmp,
           "env", "LD_PRELOAD=" + preload, "PAM_WRAPPER=1", "PAM_WRAPPER_SERVICE_DIR=" + svc,
           "LC_ALL=C", "pamtester", "smp", user, "acct_mgmt"]
    r = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    return r.returncode, r.stdout + r.stderr


def case_offline(tmp, slapd):
    # decided at the clock's time (max_offline is measured against it, and
    # the PAM module takes no other): the office is moved to today
    synced = office_synced(tmp, slapd, "offline", today=True, max_offline=60)
    if synced is None:
        return
    conf = synced[1]
    ask = ["--user", "jdoe", "--platform", "facebook", "--device", "ws-essex-0042"]
    d = smpolicy(conf, "decide", *ask)
    ok(d.returncode == 0, "offline: fresh, decide allows", out(d))
    p = pam(tmp, conf, "jdoe")
    if p is None:
        skip("offline: PAM allows while fresh", "needs root, pamtester and pam_wrapper")
    else:
        ok(p[0] == 0 and "account management done" in p[1], "offline: PAM allows while fresh",
           p[1])
    backdate(conf, 7200)
    d = smpolicy(conf, "decide", *ask)
    ok(d.returncode == 2 and "last synced at" in d.stderr and slapd.env["LDAP_URI"] in d.stderr
       and d.stdout == "", "offline: past max_offline decide exits 2 saying when and from where",
       out(d))
    if p is not None:
        p = pam(tmp, conf, "jdoe")
        ok(p[0] != 0 and "Authentication failure" in p[1],
           "offline: past max_offline PAM answers an authentication error", p[1])
        said = "\n".join(l for l in p[1].splitlines()
                          if "SYSLOG(" not in l and "PWRAP_" not in l)
        ok("://" not in said and "smpolicy sync" not in said
           and "have not been brought up to date" in said and "reference" in said,
           "offline: the caseworker reads plain words and a reference, no URI or command",
           said)
    synced_ok(conf, "offline: a sync (unchanged) makes the copy fresh again", changed=False)
    d = smpolicy(conf, "decide", *ask)
    ok(d.returncode == 0, "offline: fresh again, decide allows", out(d))


def status(conf, *args):
    r = smpolicy(conf, "status", *args)
    try:
        j = json.loads(r.stdout) if "--json" in args else None
    except ValueError:
        j = None
    return r, j


def metrics(path):
    found = {}
    with open(path) as f:
        for line in f:
            if line and not line.startswith("#"):
                name, value = line.split()
                found[name] = float(value)
    return found


def case_status(tmp, slapd):
    synced = office_synced(tmp, slapd, "status", max_offline=86400)
    if synced is None:
        return
    conf = synced[1]
    prom = os.path.join(tmp, "smpolicy.prom")
    r = smpolicy(conf, "sync", "--metrics", prom)
    ok(r.returncode == 0 and os.path.exists(prom), "status: sync --metrics writes the file",
       out(r))
    m = metrics(prom)
    records = m.get("smpolicy_records", -1)
    ok(m.get("smpolicy_last_sync_ok") == 1 and records > 0 and
       m.get("smpolicy_max_offline_seconds") == 86400 and
       abs(m.get("smpolicy_last_sync_success_timestamp_seconds", 0) - time.time()) < 120 and
       m.get("smpolicy_last_sync_attempt_timestamp_seconds") ==
       m.get("smpolicy_last_sync_success_timestamp_seconds"),
       "status: the metrics of a good sync", json.dumps(m))
    ok(not [n for n in os.listdir(tmp) if n.startswith("smpolicy.prom.")],
       "status: no temporary metrics file is left")
    r, j = status(conf, "--json")
    ok(r.returncode == 0 and j and j["status"] == "OK" and j["source"] == "directory" and
       j["last_success"]["uri"] == slapd.env["LDAP_URI"] and
       j["last_success"]["records"] == records and j["last_attempt"]["ok"] is True and
       j["cache"] == "used" and j["store"] == "used" and
       j["signatures_required"] is False,   # the tests' settings say so
       "status: OK after a good sync, with the server, the records, cache, store and "
       "whether signatures are required", out(r))
    r, _ = status(conf)
    ok(r.returncode == 0 and r.stdout.startswith("SMPOLICY OK - ") and
       f"from {slapd.env['LDAP_URI']}, {int(records)} records" in r.stdout and
       "signatures: not required" in r.stdout,
       "status: the text says the same", out(r))
    subprocess.run([os.path.join(TOP, "tests/ldap/slapd.sh"), "down", slapd.dir], check=True)
    r = smpolicy(conf, "sync", "--metrics", prom)
    ok(r.returncode == 2, "status: sync fails with the directory down", out(r))
    m = metrics(prom)
    ok(m.get("smpolicy_last_sync_ok") == 0 and m.get("smpolicy_records") == records and
       m["smpolicy_last_sync_attempt_timestamp_seconds"] >=
       m["smpolicy_last_sync_success_timestamp_seconds"],
       "status: the metrics of a failed sync keep the last good one's", json.dumps(m))
    c = smpolicy(conf, "check")
    ok(c.returncode == 0 and "(with warnings)" in c.stdout and
       "the last sync, at " in c.stderr and "failed: " in c.stderr,
       "status: check of the copy warns that the last sync failed", out(c))
    r, j = status(conf, "--json")
    ok(r.returncode == 1 and j and j["status"] == "WARNING" and
       j["last_attempt"]["ok"] is False and
       "Can't contact LDAP server" in (j["last_attempt"]["error"] or "") and
       j["last_success"]["records"] == records,
       "status: WARNING when the last attempt failed, with its error", out(r))
    backdate(conf, 86400 // 2 + 60)
    r, _ = status(conf)
    ok(r.returncode == 2 and "the last attempt failed" in r.stdout,
       "status: CRITICAL once a failing sync's copy is past half of max_offline", out(r))
    subprocess.run([os.path.join(TOP, "tests/ldap/slapd.sh"), "up", slapd.dir], check=True)
    synced_ok(conf, "status: up again, sync works", changed=False)
    backdate(conf, 86400 // 2 + 60)
    r, _ = status(conf)
    ok(r.returncode == 1 and "past half of ldap.max_offline" in r.stdout,
       "status: WARNING past half of max_offline with the last sync good", out(r))
    backdate(conf, 86400 + 60)
    r, j = status(conf, "--json")
    ok(r.returncode == 2 and j and j["status"] == "CRITICAL" and not j["loads"],
       "status: CRITICAL past max_offline", out(r))
    fresh = ldap_config(tmp, slapd, name="never")
    r, _ = status(fresh)
    ok(r.returncode == 2 and "never synced" in r.stdout, "status: CRITICAL when never synced",
       out(r))
    r = smpolicy(conf, "status", "--bogus")
    ok(r.returncode == 3, "status: UNKNOWN (3) on a usage error", out(r))
    # a record void by a fault of its own entry: the copy is applied, and
    # monitoring sees a WARNING and the count
    dn = f"cn=LT-2026-014,ou=approvals,{slapd.env['BASE']}"
    modify(slapd, f"dn: {dn}\nchangetype: modify\nreplace: smpExpires\nsmpExpires: 2027-02-30\n")
    r = smpolicy(conf, "sync", "--metrics", prom)
    ok(r.returncode == 3, "status: a sync that voids a record exits 3", out(r))
    m = metrics(prom)
    ok(m.get("smpolicy_void_records") == 1 and m.get("smpolicy_last_sync_ok") == 1,
       "status: the metrics count the void record", json.dumps(m))
    r, j = status(conf, "--json")
    ok(r.returncode == 1 and j and j["status"] == "WARNING" and
       j["last_success"]["void_records"] == 1,
       "status: WARNING while the copy holds a void record, counted in the JSON", out(r))
    r, _ = status(conf)
    ok(r.returncode == 1 and "1 void record" in r.stdout and ", 1 void" in r.stdout,
       "status: the text names the void record count", out(r))


def mode_of(path):
    st = os.stat(path)
    return st.st_mode & 0o7777, st.st_gid


def case_private(tmp, slapd):
    synced = office_synced(tmp, slapd, "private")
    if synced is None:
        return
    conf = synced[1]
    top = copy_dir(conf)
    try:
        import grp
        gid = grp.getgrnam("_smpolicy").gr_gid if os.geteuid() == 0 else os.getegid()
    except KeyError:
        gid = 0
    store = with_store(["sync"])[-1]
    found = {}
    for root, dirs, files in os.walk(top):
        for d in dirs:
            found[os.path.join(root, d)] = mode_of(os.path.join(root, d))
        for f in files:
            if not f.endswith(".lock"):
                found[os.path.join(root, f)] = mode_of(os.path.join(root, f))
    logins = [os.path.join(store, n) for n in os.listdir(store) if n.endswith(".login")]
    for p in logins:
        found[p] = mode_of(p)
    bad = {p: (oct(m), g) for p, (m, g) in found.items()
           if (m, g) != ((0o750 if os.path.isdir(p) else 0o640), gid)}
    ok(found and logins and "state" in " ".join(found) and "last-attempt" in " ".join(found)
       and not bad, "private: copy, state, attempt, cache and store are 0640/0750 in the group",
       repr(bad or found))
    d = smpolicy(conf, "decide", *ASK)
    ok(d.returncode == 0, "private: decide reads the private copy", out(d))
    for rel in ("state", "records.conf"):
        path = os.path.join(top, rel) if rel == "state" else \
            os.path.join(top, copies(conf)[-1], rel)
        os.chmod(path, 0o644)
        d = smpolicy(conf, "decide", *ASK)
        ok(d.returncode == 2 and path in d.stderr and "readable by others" in d.stderr,
           f"private: a {rel} others can read is refused at load, the path named", out(d))
        os.chmod(path, 0o640)
    for p in logins:
        os.chmod(p, 0o644)
    r = smpolicy(conf, "status")
    ok("login store: rejected" in r.stdout and r.returncode == 1,
       "private: a login store others can read is rejected", out(r))


def case_incremental(tmp, slapd):
    synced = office_synced(tmp, slapd, "incremental")
    if synced is None:
        return
    conf = synced[1]
    d = smpolicy(conf, "decide", *ASK)
    ok(d.returncode == 0, "incremental: jdoe is allowed on facebook", out(d))
    good, r = synced_ok(conf, "incremental: nothing changed: sync says unchanged",
                        changed=False)
    ok(copies(conf) == ["copy-1"], "incremental: an unchanged sync makes no copy",
       copies(conf))
    modify(slapd, f"dn: cn=LT-2026-014,ou=approvals,{slapd.env['BASE']}\nchangetype: modify\n"
                  "add: smpRevokedOn\nsmpRevokedOn: 2026-11-24\n-\n"
                  "add: smpRevokedBy\nsmpRevokedBy: dir-it\n-\n"
                  "add: smpRevokedReason\nsmpRevokedReason: left the \"unit\" \\ moved\n")
    d = smpolicy(conf, "decide", *ASK)
    ok(d.returncode == 0, "incremental: before the sync the copy still allows", out(d))
    good, r = synced_ok(conf, "incremental: the revocation is synced")
    ok(copies(conf) == ["copy-1", "copy-2"] and "copy-2" in r.stdout,
       "incremental: a new copy, the previous one kept for readers", copies(conf))
    d = smpolicy(conf, "decide", *ASK)
    ok(d.returncode == 1 and "approval-revoked" in d.stdout,
       "incremental: the decision now denies: approval-revoked", out(d))
    with open(os.path.join(copy_dir(conf), "copy-2", "records.conf")) as f:
        text = f.read()
    ok('reason = "left the \\"unit\\" \\\\ moved";' in text,
       "incremental: quotes and backslashes escaped in the copy", text[-600:])
    # what a sync killed half way leaves: a folder being rendered, a state
    # being written, a copy renamed but never named by the state
    top = copy_dir(conf)
    os.mkdir(os.path.join(top, ".new-Ab3xYz"))
    with open(os.path.join(top, ".new-Ab3xYz", "records.conf"), "w") as f:
        f.write("staff = (")
    with open(os.path.join(top, ".state-Qw9rTy"), "w") as f:
        f.write("version = 1;\ncopy = ")
    shutil.copytree(os.path.join(top, "copy-2"), os.path.join(top, "copy-5"))
    # names in the store folder that only look like a removed copy's
    # store: another folder's, not a number, a number no copy is named by
    store = with_store(["sync"])[-1]
    ours = [n for n in os.listdir(store) if n.endswith("copy\\x2d2-smpolicy.conf.login")]
    prefix = ours[0][:-len("2-smpolicy.conf.login")] if len(ours) == 1 else "missing-"
    planted = [prefix + "1x-smpolicy.conf.login", prefix + "01-smpolicy.conf.login",
               prefix + "1-other.conf.login", "elsewhere-copy\\x2d1-smpolicy.conf.login"]
    for n in planted:
        with open(os.path.join(store, n), "w") as f:
            f.write("not a store")
    modify(slapd, f"dn: cn=LT-2026-014,ou=approvals,{slapd.env['BASE']}\nchangetype: modify\n"
                  "replace: smpRevokedReason\nsmpRevokedReason: case closed\n")
    synced_ok(conf, "incremental: another change synced")
    ok(copies(conf) == ["copy-2", "copy-6"], "incremental: the new copy numbered past every "
       "other, the one the old state named kept, the rest removed", copies(conf))
    leftover = [n for n in os.listdir(copy_dir(conf)) if n.startswith(".")]
    ok(not leftover, "incremental: no temporary folder or file left", leftover)
    # the login store of a copy that is gone goes with it: one store per
    # copy that exists, not one per sync ever made
    left = set(os.listdir(store))
    ok(len(ours) == 1 and all(n in left for n in planted),
       "incremental: a store name that is not a removed copy's is left alone",
       repr((ours, sorted(left))))
    mine = sorted(n for n in left if "copy\\x2d" in n and n not in planted)
    numbers = [n.split("copy\\x2d")[1].split("-")[0] for n in mine]
    ok(sorted(set(numbers)) == ["2", "6"] and
       sorted(n for n, m in zip(numbers, mine) if m.endswith(".login")) == ["2", "6"],
       "incremental: the stores of removed copies are removed, those of copy-2 and "
       "copy-6 kept", mine)


def wrong_ca(tmp):
    key, pem = os.path.join(tmp, "other.key"), os.path.join(tmp, "other.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", pem,
                    "-days", "2", "-subj", "/CN=not the test CA"], capture_output=True,
                   check=True)
    os.chmod(pem, 0o644)
    return pem


def case_tls(tmp, slapd):
    files = files_world(tmp, OFFICE)
    load_world(slapd, files)
    ca = slapd.env["CA_FILE"]
    conf = ldap_config(tmp, slapd, "ldaps", uri=slapd.env["LDAPS_URI"], ca_file=ca)
    synced_ok(conf, "tls: ldaps:// with the test CA syncs")
    conf = ldap_config(tmp, slapd, "starttls", uri=slapd.env["LDAP_URI"], ca_file=ca)
    synced_ok(conf, "tls: ldap:// with ca_file (StartTLS) syncs")
    other = wrong_ca(tmp)
    for name, uri in (("ldaps", slapd.env["LDAPS_URI"]), ("starttls", slapd.env["LDAP_URI"])):
        conf = ldap_config(tmp, slapd, "wrong-" + name, uri=uri, ca_file=other)
        r = smpolicy(conf, "sync")
        ok(r.returncode == 2 and uri in r.stderr and "certificate" in r.stderr and
           other in r.stderr, f"tls: {name} with a CA that did not sign the server's "
           "certificate: exit 2, saying so", out(r))
        ok(not os.path.exists(os.path.join(copy_dir(conf), "state")),
           f"tls: {name}: nothing synced")
    transport_refusals(tmp, slapd)


class NoStartTLS:
    """A TCP server on a free port of 127.0.0.1 that speaks just enough LDAP
    to refuse StartTLS (resultCode unavailable) and remembers the protocol
    operation of every request it was sent: a bind (0x60) or a search
    (0x63) after the refusal would have gone in clear text; an unbind
    (0x42) carries nothing."""

    def __init__(self):
        import threading
        self.ops = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.sock.settimeout(0.2)
        self.uri = "ldap://127.0.0.1:%d" % self.sock.getsockname()[1]
        self.stop = False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    @staticmethod
    def read_message(conn):
        head = conn.recv(2)
        if len(head) < 2 or head[0] != 0x30:
            return None
        n = head[1]
        if n & 0x80:
            raw = conn.recv(n & 0x7F)
            n = int.from_bytes(raw, "big")
        body = b""
        while len(body) < n:
            more = conn.recv(n - len(body))
            if not more:
                return None
            body += more
        return body

    def serve(self):
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            conn.settimeout(5)
            with conn:
                while True:
                    try:
                        body = self.read_message(conn)
                    except OSError:
                        break
                    if body is None or body[0] != 0x02:
                        break
                    msgid = body[2:2 + body[1]]
                    op = body[2 + body[1]]
                    self.ops.append(op)
                    if op != 0x77:   # anything but an extended request: hang up
                        break
                    result = bytes([0x0A, 1, 52, 0x04, 0, 0x04, 0])   # unavailable
                    resp = bytes([0x78, len(result)]) + result
                    inner = bytes([0x02, len(msgid)]) + msgid + resp
                    conn.sendall(bytes([0x30, len(inner)]) + inner)

    def close(self):
        self.stop = True
        self.thread.join()
        self.sock.close()


def transport_refusals(tmp, slapd):
    """Configurations and servers that would carry the records, or the bind
    password, in clear text, or trust a certificate nobody vouched for."""
    two = f'{slapd.env["LDAPS_URI"]} {slapd.env["LDAP_URI"]}'
    for name, key, uri in (("two", "uri", two),
                           ("comma", "uri", f'{slapd.env["LDAPS_URI"]},{slapd.env["LDAP_URI"]}'),
                           ("write-two", "write_uri", two)):
        conf = ldap_config(tmp, slapd, "refused-" + name)
        with open(conf) as f:
            text = f.read()
        if key == "uri":
            text = re.sub(r'uri = "[^"]*";', f'uri = "{uri}";', text, count=1)
        else:
            text = text.replace("base = ", f'write_uri = "{uri}";\n  base = ', 1)
        with open(conf, "w") as f:
            f.write(text)
        line = next(i for i, t in enumerate(text.splitlines(), 1) if f'{key} = "' in t)
        pw = os.path.join(os.path.dirname(conf), "dcpp.pw")
        with open(pw, "w") as f:
            f.write("pw-dcpp\n")
        os.chmod(pw, 0o600)
        for cmd in (["check"], ["sync"], ["request", "--by", "dcpp", "--staff", "jdoe",
                                          "--kind", "long_term", "--platform", "facebook",
                                          "--password-file", pw]):
            r = smpolicy(conf, *cmd)
            ok(r.returncode != 0 and f"{conf}:{line}" in r.stderr and
               "exactly one server" in r.stderr,
               f"tls: {key} holding two URIs ({name}): {cmd[0]} refuses it at FILE:LINE", out(r))
        ok(not os.path.exists(os.path.join(copy_dir(conf), "state")),
           f"tls: {key} holding two URIs ({name}): nothing synced")

    # ldap:// and no CA file: still StartTLS, with the system's CAs, which
    # did not sign the test server's certificate
    conf = ldap_config(tmp, slapd, "starttls-system", ca_file=False)
    r = smpolicy(conf, "sync")
    ok(r.returncode == 2 and "StartTLS" in r.stderr and "certificate" in r.stderr,
       "tls: ldap:// without ca_file still requires StartTLS (here: a certificate the system "
       "does not trust): exit 2", out(r))
    ok(not os.path.exists(os.path.join(copy_dir(conf), "state")),
       "tls: ldap:// without ca_file: nothing synced")

    # a server that refuses StartTLS: never a bind, nor a search, in clear
    srv = NoStartTLS()
    try:
        conf = ldap_config(tmp, slapd, "nostarttls", uri=srv.uri)
        r = smpolicy(conf, "sync")
        time.sleep(0.3)
        ok(r.returncode == 2 and "StartTLS" in r.stderr and srv.uri in r.stderr,
           "tls: a server that refuses StartTLS: exit 2, saying so", out(r))
        ok(srv.ops and srv.ops[0] == 0x77 and all(op in (0x77, 0x42) for op in srv.ops),
           "tls: a server that refuses StartTLS is sent nothing but the StartTLS request "
           "(no bind, no search in clear text)", [hex(o) for o in srv.ops])
    finally:
        srv.close()

    # the environment and the ldaprc files cannot turn certificate checking off
    other = wrong_ca(tmp)
    home = os.path.join(tmp, "home")
    os.makedirs(home, exist_ok=True)
    for f in (os.path.join(home, ".ldaprc"), os.path.join(home, "ldaprc"),
              os.path.join(tmp, "ldaprc")):
        with open(f, "w") as fh:
            fh.write("TLS_REQCERT never\n")
    for name, uri in (("ldaps", slapd.env["LDAPS_URI"]), ("starttls", slapd.env["LDAP_URI"])):
        conf = ldap_config(tmp, slapd, "reqcert-" + name, uri=uri, ca_file=other)
        r = smpolicy(conf, "sync", cwd=tmp, env={"LDAPTLS_REQCERT": "never", "HOME": home,
                                                 "LDAPTLS_CIPHER_SUITE": "NONE"})
        ok(r.returncode == 2 and "certificate" in r.stderr,
           f"tls: {name} with a wrong CA under LDAPTLS_REQCERT=never and ldaprc's TLS_REQCERT "
           "never: still refused", out(r))
        ok(not os.path.exists(os.path.join(copy_dir(conf), "state")),
           f"tls: {name} under LDAPTLS_REQCERT=never: nothing synced")
    conf = ldap_config(tmp, slapd, "reqcert-good", uri=slapd.env["LDAPS_URI"])
    r = smpolicy(conf, "sync", cwd=tmp, env={"LDAPTLS_REQCERT": "never", "HOME": home,
                                             "LDAPTLS_CIPHER_SUITE": "NONE"})
    ok(r.returncode == 0 and r.stdout.startswith("synced: "), "tls: the right CA syncs under "
       "the same environment (the refusals above are the CA's; its cipher list is not used)",
       out(r))


def case_bind(tmp, slapd):
    files = files_world(tmp, OFFICE)
    load_world(slapd, files)
    conf = ldap_config(tmp, slapd)
    secret = os.path.join(os.path.dirname(conf), "ldap.secret")
    with open(secret, "w") as f:
        f.write("not the password\n")
    r = smpolicy(conf, "sync")
    ok(r.returncode == 2 and "Invalid credentials" in r.stderr and
       f"cannot bind as {slapd.env['READER_DN']}" in r.stderr,
       "bind: a wrong password: exit 2, the bind named", out(r))
    with open(secret, "w") as f:
        f.write(slapd.env["READER_PW"])   # no newline: read as it is
    os.chmod(secret, 0o640)
    r = smpolicy(conf, "sync")
    ok(r.returncode == 2 and "readable by group or others" in r.stderr,
       "bind: a password file that group may read is refused", out(r))
    os.chmod(secret, 0o600)
    synced_ok(conf, "bind: the right password, private, syncs")
    conf = ldap_config(tmp, slapd, "nobase", base="ou=nothing,dc=example,dc=org")
    r = smpolicy(conf, "sync")
    ok(r.returncode == 2 and "cannot read the base ou=nothing,dc=example,dc=org" in r.stderr,
       "bind: a base that does not exist: exit 2", out(r))


def case_strings(tmp, slapd):
    from export_test import AWKWARD, SMALL, make_world
    files = make_world(tmp, "awkward", SMALL, AWKWARD)
    base = "ou=Zo\u00eb\\2C awkward," + slapd.env["SUFFIX"]
    load_world(slapd, files, base)
    conf = ldap_config(tmp, slapd, base=base)
    if not synced_ok(conf, "strings: the awkward world syncs")[0]:
        return
    want_settings, want_records = read_world(os.path.join(files, "smpolicy.conf"))
    got_settings, got_records = read_world(os.path.join(copy_dir(conf), "copy-1",
                                                        "smpolicy.conf"))
    for tree in (want_settings, got_settings):
        tree["settings"].pop("records")
    # local settings the copy carries: the test's own, not the directory's
    ok(got_settings["settings"].pop("require_signatures", None) is False,
       "strings: the copy carries the local require_signatures")
    merged = {}
    for r in want_records:
        merged.update(r)
    ok(got_settings == want_settings, "strings: settings, platforms and offices as in the files",
       f"files: {want_settings}\ncopy: {got_settings}")
    for kind in ("staff", "devices", "accounts", "approvals"):
        ok(got_records[0].get(kind, []) == merged.get(kind, []),
           f"strings: {kind} as in the files, value for value",
           f"files: {merged.get(kind)}\ncopy: {got_records[0].get(kind)}")
    with open(os.path.join(copy_dir(conf), "copy-1", "records.conf"), encoding="utf-8") as f:
        text = f.read()
    ok(f"# dn: uid=@w.1_X-9,ou=staff,{base}" in text, "strings: the DN comment as the server "
       "spells it", text[:400])



# ---- the statewide world with faults -------------------------------------

def case_statewide(tmp, slapd):
    """bench/genworld's statewide world in the directory, then more than
    twenty kinds of fault written into it with ldapmodify, each in an entry
    of its own, with the changes it must take without harm and a
    revocation: the sync applies (exit 3) naming exactly the planted
    entries; every decision that needs none of them is the clean files'."""
    sys.path.insert(0, os.path.join(TOP, "tests", "cli"))
    import statewide_faults as sf   # noqa: E402
    gen = os.path.join(tmp, "gen")
    size = ["--offices", str(ARGS.offices)] + (["--staff", str(ARGS.staff), "--devices",
                                                 str(ARGS.staff), "--approvals",
                                                 str(ARGS.staff * 7)] if ARGS.staff else [])
    r = subprocess.run([sys.executable, ARGS.genworld, "--ref", sf.REF, "--seed", "11", *size,
                        gen], capture_output=True, text=True)
    if not ok(r.returncode == 0, "statewide: a world generated", r.stderr):
        return
    files = files_world(tmp, gen)
    fconf = os.path.join(files, "smpolicy.conf")
    load_world(slapd, files)
    conf = ldap_config(tmp, slapd)
    if not synced_ok(conf, "statewide: the first sync")[0]:
        return
    base = slapd.env["BASE"]
    _lines, ents = sf.read_entries(os.path.join(files, "records.conf"))
    rng = random.Random(21)
    p = sf.Planter(_lines, ents, rng)
    approvals = p.by["approvals"]
    cont = {"staff": ("uid", "ou=staff"), "devices": ("cn", "ou=devices"),
            "accounts": ("cn", "ou=accounts"), "approvals": ("cn", "ou=approvals")}
    dn = lambda kind, i: "%s=%s,%s,%s" % (cont[kind][0], i, cont[kind][1], base)
    ldif, void_dns = [], set()

    def change(kind, e, mod, what, void=True):
        ldif.append("dn: %s\nchangetype: modify\n%s\n" % (dn(kind, e.id), mod))
        p.kinds.append(what)
        if void:
            void_dns.add(dn(kind, e.id))
            {"staff": p.users, "devices": p.devices, "accounts": p.accounts}.get(
                kind, p.users).add(e.id if kind != "approvals" else e.get("staff"))

    def rep(attr, value):
        return "replace: %s\n%s: %s\n" % (attr, attr, value)

    ap = lambda e: not e.get("staff").startswith("dir")
    with_req = lambda e: ap(e) and e.get("requested") is not None
    change("approvals", p.pick("approvals", with_req), rep("smpRequested", "2026-02-30"),
           "approval: an impossible date")
    change("approvals", p.pick("approvals", ap), rep("smpStaff", "gone-person-1"),
           "approval: its person deleted outright")
    change("approvals", p.pick("approvals", ap), "add: smpPlatforms\nsmpPlatforms: myspace\n",
           "approval: a platform that is not there")
    # an author deleted outright is no void record: the request stands on
    # the two sign-offs (it decides as before), a sign-off nothing vouches
    # for (no signature) does not count (invalid)
    gone_req = p.pick("approvals", lambda e: ap(e) and e.get("requested_by"))
    change("approvals", gone_req, rep("smpRequestedBy", "gone-lom-1"),
           "approval: its requester deleted outright", void=False)
    gone_sig = p.pick("approvals", lambda e: ap(e) and e.signer("cpp")[0])
    change("approvals", gone_sig, rep("smpApprovedCppBy", "gone-director-1"),
           "approval: its signer deleted outright", void=False)
    p.users.add(gone_sig.get("staff"))
    change("approvals", p.pick("approvals", ap), rep("smpKind", "forever"),
           "approval: a kind that is none")
    change("approvals", p.pick("approvals", ap),
           "add: objectClass\nobjectClass: extensibleObject\n-\nadd: smpHolder\nsmpHolder: x\n",
           "approval: an attribute of another class")
    change("approvals", p.pick("approvals", lambda e: ap(e) and e.signer("it")[0]),
           rep("smpApprovedItOn", "2026-13-40"), "approval: a sign-off date that is none")
    change("staff", p.pick("staff", sf.worker), rep("smpRoles", "wizard"),
           "staff: a role that is none")
    change("staff", p.pick("staff", sf.worker), rep("smpOffice", "gone-office"),
           "staff: their office deleted")
    change("staff", p.pick("staff", sf.worker), "add: smpHeld\nsmpHeld: worker 2020-01-01 2019-01-01\n",
           "staff: a tenure that ends before it begins")
    change("staff", p.pick("staff", sf.worker), "add: smpLeft\nsmpLeft: 2026-02-29\n",
           "staff: a date of leaving that is none")
    change("devices", p.pick("devices"), rep("smpKind", "toaster"), "device: a kind that is none")
    change("devices", p.pick("devices", lambda e: e.get("office")), rep("smpOffice", "gone-office"),
           "device: its office deleted")
    change("devices", p.pick("devices"), rep("smpOwner", "neighbour"),
           "device: an owner that is none")
    change("accounts", p.pick("accounts"), rep("smpHolder", "gone-person-2"),
           "account: its holder deleted outright")
    change("accounts", p.pick("accounts", lambda e: e.get("password_escrowed")),
           rep("smpPasswordEscrowed", "2026-04-31"), "account: an impossible date")
    change("accounts", p.pick("accounts"), rep("smpPlatform", "gone-platform"),
           "account: a platform that is not there")
    parent = p.pick("approvals", ap)
    strays = {
        "cn=LT-X8,ou=approvals,%s" % base: "objectClass: device\ncn: LT-X8\n",
        "cn=LT-X9,%s" % base: "objectClass: smpPolicyApproval\ncn: LT-X9\nsmpStaff: x\n",
        "cn=LT-X7,%s" % dn("approvals", parent.id):
            "objectClass: smpPolicyApproval\ncn: LT-X7\nsmpStaff: x\n",
        "uid=ws-x,ou=devices,%s" % base:
            "objectClass: smpPolicyDevice\nobjectClass: uidObject\ncn: ws-x\nuid: ws-x\n",
    }
    for sdn, attrs in strays.items():
        ldif.append("dn: %s\nchangetype: add\n%s\n" % (sdn, attrs))
        void_dns.add(sdn)
    p.kinds += ["an entry of another class in a container", "a record outside the containers",
                "a record below a record", "a record named by another RDN"]
    # what must do no harm: a director retired, a signer and a requester who
    # left, a manager moved; and a revocation, and a double sign-off
    until = "2026-11-26"
    ldif.append("dn: %s\nchangetype: modify\ndelete: smpRoles\n-\nadd: smpHeld\nsmpHeld: "
                "director_it 1990-01-01 %s\n-\nadd: smpLeft\nsmpLeft: %s\n"
                % (dn("staff", "dir-it-2"), until, until))
    ldif.append("dn: %s\nchangetype: modify\nadd: smpLeft\nsmpLeft: %s\n"
                % (dn("staff", "dir-cpp-2"), until))
    holders = {a.get("staff") for a in approvals}
    requesters = {a.get("requested_by") for a in approvals if a.get("kind") == "long_term"}
    lom = p.pick("staff", lambda e: e.roles() == ["local_office_manager"] and
                 e.id in requesters and e.id not in holders)
    other = next(o for o in sorted({e.get("office") for e in p.by["staff"]})
                 if o != lom.get("office"))
    ldif.append("dn: %s\nchangetype: modify\n%s-\nadd: smpHeld\nsmpHeld: local_office_manager@%s "
                "1990-01-01 %s\nsmpHeld: local_office_manager %s\n"
                % (dn("staff", lom.id), rep("smpOffice", other), lom.get("office"), until, until))
    req = p.pick("staff", lambda e: e.roles() == ["local_office_manager"] and
                 e.id in requesters and e.id not in holders)
    ldif.append("dn: %s\nchangetype: modify\nadd: smpLeft\nsmpLeft: %s\n" % (dn("staff", req.id), until))
    p.users.update({"dir-it-2", "dir-cpp-2", lom.id, req.id})
    p.kinds += ["a director retired", "a signer who left", "a manager moved",
                "a requester who left"]
    live = sf.holding(approvals, sf.REF)
    twice = p.pick("approvals", lambda e: e in live)
    by1 = twice.signer("cpp")[0]
    ldif.append("dn: %s\nchangetype: modify\n%s\n" % (dn("approvals", twice.id),
                                                       rep("smpApprovedItBy", by1)))
    ldif.append("dn: %s\nchangetype: modify\nadd: smpRoles\nsmpRoles: director_it\n"
                % dn("staff", by1))
    # revoked: an approval the clean files allow under, on a DCF workstation
    desk = {}
    for e in p.by["devices"]:
        if 'kind = "workstation"' in e.text and 'owner = "dcf"' in e.text:
            desk.setdefault(e.get("office"), e.id)
    rev = ask = None
    for cand in rng.sample(live, min(len(live), 40)):
        office = p.ids["staff"][cand.get("staff")].get("office")
        pl = [x for x in cand.platforms() if x not in ("snapchat", "whatsapp", "kik")]
        if cand.id in p.used or cand.get("staff") == twice.get("staff") or \
                office not in desk or not pl:
            continue
        ask = ["decide", "--user", cand.get("staff"), "--platform", pl[0], "--device",
               desk[office], "--at", sf.AT]
        if "under approval %s " % cand.id in smpolicy(fconf, *ask).stdout:
            rev = cand
            break
    if not ok(rev is not None, "statewide: an approval in force to revoke"):
        return
    ldif.append("dn: %s\nchangetype: modify\nadd: smpRevokedOn\nsmpRevokedOn: 2026-11-20\n-\n"
                "add: smpRevokedBy\nsmpRevokedBy: dir-it-1\n-\nadd: smpRevokedReason\n"
                "smpRevokedReason: case closed\n" % dn("approvals", rev.id))
    p.users.update({twice.get("staff"), rev.get("staff")})
    p.kinds += ["a double sign-off", "a revocation"]
    void_staff = {e.id for e in p.by["staff"] if dn("staff", e.id) in void_dns}
    for a in approvals:
        if {a.get("requested_by"), a.signer("cpp")[0], a.signer("it")[0]} & void_staff:
            p.users.add(a.get("staff"))
    m = slapd.ldap("ldapmodify", stdin="\n".join(ldif).encode())
    if not ok(m.returncode == 0, "statewide: %d kinds of fault and change written with "
              "ldapmodify" % len(p.kinds), m.stderr.decode()[-2000:]):
        return
    ok(len(p.kinds) >= 28, "statewide: at least 28 kinds planted", "\n".join(p.kinds))
    r = smpolicy(conf, "sync")
    got = set(re.findall(r"^void: (.*?): ", r.stdout, re.M))
    ok(r.returncode == 3 and got == void_dns and
       "applied, with %d void records" % len(void_dns) in r.stdout,
       "statewide: the sync applies, exit 3, naming exactly the %d planted entries"
       % len(void_dns), "missing: %s\nextra: %s\n%s" % (void_dns - got, got - void_dns,
                                                        out(r)[-3000:]))
    c = smpolicy(conf, "check", "--online")
    ok(c.returncode == 1 and "both sign-offs are by '%s'" % by1 in c.stderr,
       "statewide: check --online exits 1 and reports the double sign-off", c.stderr[-1500:])
    ok(re.search("^%s: warning: .*approval '%s': requested_by 'gone-lom-1' is not in the "
                 "staff records" % (re.escape(dn("approvals", gone_req.id)),
                                    re.escape(gone_req.id)), c.stderr, re.M) is not None and
       not [l for l in c.stderr.splitlines() if ": error: " in l and
            "'%s'" % gone_req.id in l],
       "statewide: check --online warns of the deleted requester by DN, no error",
       c.stderr[-1500:])
    ok(re.search("^%s: error: .*approval '%s' breaks the procedure" %
                 (re.escape(dn("approvals", gone_sig.id)), re.escape(gone_sig.id)),
                 c.stderr, re.M) is not None and
       "signed by 'gone-director-1', who is not in the staff records" in c.stderr,
       "statewide: check --online: the sign-off by a deleted director, unsigned, is an error",
       c.stderr[-1500:])
    harmed = [l for l in c.stderr.splitlines() if ": error: " in l and "is void" not in l and
              ("dir-it-2" in l or "dir-cpp-2" in l or "'%s'" % lom.id in l or
               "'%s'" % req.id in l)]
    ok(not harmed, "statewide: nothing the retired, the moved or those who left did is harmed",
       "\n".join(harmed[:5]))
    reqs = sf.requests(ents, rng, 12000)
    text = "".join("\t".join(q) + "\n" for q in reqs)
    a = subprocess.run([os.path.abspath(ARGS.exe)] + ([] if os.geteuid() == 0 else
                       ["--test-allow-nonroot"]) + ["-c", fconf, "decide", "--batch"],
                       input=text, capture_output=True, text=True,
                       env=dict(os.environ, TZ="America/New_York", LC_ALL="C"))
    b = subprocess.run([os.path.abspath(ARGS.exe)] + ([] if os.geteuid() == 0 else
                       ["--test-allow-nonroot"]) + ["-c", conf, "decide", "--batch"],
                       input=text, capture_output=True, text=True,
                       env=dict(os.environ, TZ="America/New_York", LC_ALL="C"))
    ja, jb = a.stdout.splitlines(), b.stdout.splitlines()
    if not ok(a.returncode == 0 and b.returncode == 0 and len(ja) == len(jb) == len(reqs),
              "statewide: decide --batch over the files and over the copy", a.stderr[-500:] +
              b.stderr[-500:]):
        return
    same = skipped = allowed = 0
    bad = []
    for q, x, y in zip(reqs, ja, jb):
        if q[0] in p.users or q[2] in p.devices or q[3] in p.accounts:
            skipped += 1
        elif x == y:
            same += 1
            allowed += '"decision":"allow"' in x
        else:
            bad.append("%s\nfiles: %s\ncopy:  %s" % ("\t".join(q), x, y))
    ok(not bad and same >= 10000, "statewide: %d decisions that need no planted entry are the "
       "clean files' (%d set aside)" % (same, skipped), "\n".join(bad[:5]))
    ok(allowed > 500, "statewide: %d of them allow" % allowed)
    d = smpolicy(conf, *ask)
    # no longer allowed under it (what answers now may be another approval
    # of the person's: the latest started answers a DENY)
    ok("under approval %s " % rev.id not in d.stdout and d.returncode in (0, 1),
       "statewide: the revocation written with the faults took effect", out(d))


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--exe")
    ap.add_argument("--genworld", default=os.path.join(TOP, "bench/genworld"))
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--offices", type=int, default=55, help="statewide: the world's size")
    ap.add_argument("--staff", type=int, default=0, help="statewide: 0, genworld's default")
    ap.add_argument("case", nargs="?")
    ARGS = ap.parse_args()
    if ARGS.list:
        print("\n".join(CASES))
        return 0
    if ARGS.case not in CASES or not ARGS.exe:
        ap.error("give --exe and one of " + ", ".join(CASES))
    if shutil.which("slapd") is None and not os.path.exists("/usr/sbin/slapd"):
        print("1..0 # SKIP slapd is not installed")
        return 0
    old_umask = os.umask(0o022)
    tmp = tempfile.mkdtemp(prefix="smpolicy-sync-")
    os.chmod(tmp, 0o755)
    # check --online renders into $TMPDIR: a folder of the case's own, to
    # see that it is left empty
    os.environ["TMPDIR"] = os.path.join(tmp, "tmp")
    os.mkdir(os.environ["TMPDIR"], 0o700)
    try:
        with Slapd(tmp) as slapd:
            globals()["case_" + ARGS.case](tmp, slapd)
    except Exception as e:  # a failure of the harness is a failed test, not a crash
        import traceback
        ok(False, f"{ARGS.case}: the case ran to its end", traceback.format_exc())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        os.umask(old_umask)
    return report()


if __name__ == "__main__":
    socket.setdefaulttimeout(30)
    sys.exit(main())
