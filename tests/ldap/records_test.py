#!/usr/bin/env python3
"""records_test.py - the record commands on records in the directory
(smpolicy-ldap(5)) against a throwaway slapd.

A world of files (cap 2) is exported with `smpolicy export --ldif`, loaded,
and its staff given passwords; a settings file names the directory.  Then:
the full procedure (request by the office's manager, CP&P sign-off, IT
sign-off, sync, ALLOW); a wrong password, an unknown person, no password;
the files' refusals (a worker signing) recorded centrally; every access
rule tried with raw ldapmodify by the wrong person; each account event
by the supervisor and a director_it, not the holder; five processes
completing second sign-offs at once in an office with cap 2 (exactly two
succeed, ten rounds); SIGKILL at random moments of a sign-off (all of it or
nothing); the directory down; `smpolicy log`; a sync and check after all
of it.  TAP.

usage: records_test.py --exe BUILD/tools/smpolicy
"""
import argparse
import os
import pty
import random
import re
import select
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ldaptest import Slapd, with_store  # noqa: E402

results = []
ROUNDS = 10
RACERS = 5


def ok(cond, what, detail=""):
    """One TAP line, printed at once: a run cut short shows how far it got."""
    results.append((bool(cond), what, detail))
    print(f"{'ok' if cond else 'not ok'} {len(results)} - {what}", flush=True)
    if not cond and detail:
        print("# " + detail.strip().replace("\n", "\n# "), flush=True)
    return bool(cond)


SETTINGS = """version = 1;
settings = { records = [ "records.conf" ]; max_approved_per_office = 2; cap_counts = "all";
             warn_days = 14; long_term_max_days = 365; };
platforms = ( { id = "facebook"; name = "Facebook"; domains = [ "facebook.com" ]; } );
offices = (
  { id = "camden"; name = "Camden Local Office"; kind = "local"; },
  { id = "trenton"; name = "Trenton Local Office"; kind = "local"; },
  { id = "state"; name = "Central Office"; kind = "area"; }
);
"""

# Camden: six workers, each with a long-term approval the Director of CP&P
# has signed; the Director of IT's sign-off completes it (the race).
STAFF = [("dcpp", "director_cpp", "state"), ("dcpp2", "director_cpp", "state"),
         ("dit", "director_it", "state"), ("dit2", "director_it", "state"), ("lom", "local_office_manager", "camden"),
         ("lomt", "local_office_manager", "trenton"), ("sup", "supervisor", "camden"),
         ("t1", "worker", "trenton")] + [(f"w{i}", "worker", "camden") for i in range(1, 7)]


def records():
    out = ["staff = ("]
    out.append(",\n".join(f'  {{ id = "{u}"; name = "{u}"; office = "{o}"; roles = [ "{r}" ]; }}'
                          for u, r, o in STAFF))
    out.append(");\ndevices = (\n"
               '  { id = "ws-trenton-1"; kind = "workstation"; owner = "dcf"; office = "trenton"; }\n);')
    out.append('accounts = (\n  { id = "fb-1"; platform = "facebook"; handle = "njdcf.1"; holder = "w1";\n'
               '    official = true; personal_info = false; supervisor = "sup"; }\n);')
    out.append("approvals = (")
    out.append(",\n".join(
        f'  {{ id = "LT-2026-10{i}"; staff = "w{i}"; kind = "long_term"; platforms = [ "facebook" ];\n'
        f'    requested_by = "lom"; requested = "2026-01-05";\n'
        f'    approved_cpp = {{ by = "dcpp"; on = "2026-01-06"; }}; }}' for i in range(1, 7)))
    out.append(");\n")
    return "\n".join(out)


class World:
    def __init__(self, tmp, slapd, exe):
        self.tmp, self.s, self.exe = tmp, slapd, exe
        self.base = slapd.env["BASE"]
        files = os.path.join(tmp, "files")
        os.mkdir(files, 0o755)
        for name, text in (("smpolicy.conf", SETTINGS), ("records.conf", records())):
            with open(os.path.join(files, name), "w", encoding="utf-8") as f:
                f.write(text)
            os.chmod(os.path.join(files, name), 0o644)
        self.files = os.path.join(files, "smpolicy.conf")
        site = os.path.join(tmp, "site")
        os.mkdir(site, 0o755)
        pw = os.path.join(site, "reader.pw")
        with open(pw, "w") as f:
            f.write(slapd.env["READER_PW"] + "\n")
        os.chmod(pw, 0o600)
        self.conf = os.path.join(site, "smpolicy.conf")
        with open(self.conf, "w") as f:
            f.write(f'version = 1;\nsettings = {{ source = "ldap"; }};\n'
                    # sync reads over ldaps://; the record commands write to
                    # write_uri (StartTLS, the same CA)
                    f'ldap = {{ uri = "{slapd.env["LDAPS_URI"]}"; base = "{self.base}";\n'
                    f'  write_uri = "{slapd.env["LDAP_URI"]}"; ca_file = "{slapd.env["CA_FILE"]}";\n'
                    f'  bind_dn = "{slapd.env["READER_DN"]}"; bind_password_file = "{pw}";\n'
                    f'  timeout = 10; copy_dir = "{os.path.join(site, "copy")}"; }};\n')
        os.chmod(self.conf, 0o644)
        self.pwdir = os.path.join(tmp, "pw")
        os.mkdir(self.pwdir, 0o700)

    def pwfile(self, who, password=None):
        p = os.path.join(self.pwdir, who)
        with open(p, "w") as f:
            f.write((password if password is not None else "pw-" + who) + "\n")
        os.chmod(p, 0o600)
        return p

    def smpolicy(self, *args, conf=None, **kw):
        pre = [] if os.geteuid() == 0 else ["--test-allow-nonroot"]
        return subprocess.run([self.exe, *pre, "-c", conf or self.conf, *with_store(args)],
                              capture_output=True, text=True, stdin=subprocess.DEVNULL,
                              timeout=60, **kw)

    def as_(self, who, *args):
        """A record command bound as staff member who."""
        return self.smpolicy(*args, "--password-file", self.pwfile(who))

    def raw(self, who, ldif):
        """Raw ldapmodify bound as who ("root", "reader" or a staff id): its exit code."""
        if who in ("root", "reader"):
            return self.s.ldap("ldapmodify", bind=who, stdin=ldif.encode()).returncode
        return subprocess.run(["ldapmodify", "-x", "-H", self.s.env["LDAP_URI"], "-D",
                               self.dn(who), "-w", "pw-" + who], input=ldif.encode(),
                              capture_output=True).returncode

    def dn(self, who):
        return f"uid={who},ou=staff,{self.base}"

    def search(self, base, scope="base", filt="(objectClass=*)", *attrs):
        r = self.s.ldap("ldapsearch", "-LLL", "-o", "ldif-wrap=no", "-b", base, "-s", scope,
                        filt, *attrs)
        return r.stdout.decode()

    def approval(self, aid):
        return self.search(f"cn={aid},ou=approvals,{self.base}", "base", "(objectClass=*)",
                           "+", "*")

    def it_signed(self, office_workers):
        n = 0
        for i in office_workers:
            n += "smpApprovedItBy:" in self.approval(f"LT-2026-10{i}")
        return n

    def unsign_it(self, aid):
        self.raw("root", f"dn: cn={aid},ou=approvals,{self.base}\nchangetype: modify\n"
                 "delete: smpApprovedItBy\n-\ndelete: smpApprovedItOn\n")


def accesslog(w):
    """slapd's accesslog overlay on the records' database, as a site would
    add it: the raw trail of every bind and write, failed ones too."""
    d = os.path.join(w.s.dir, "accesslog")
    os.mkdir(d, 0o700)
    ldif = f"""dn: cn=module{{0}},cn=config
changetype: modify
add: olcModuleLoad
olcModuleLoad: accesslog

dn: olcDatabase={{2}}mdb,cn=config
changetype: add
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {{2}}mdb
olcDbDirectory: {d}
olcSuffix: cn=accesslog
olcDbMaxSize: 268435456
olcAccess: {{0}}to * by dn.exact="{w.s.env['ROOT_DN']}" read by * none

dn: olcOverlay=accesslog,olcDatabase={{1}}mdb,cn=config
changetype: add
objectClass: olcOverlayConfig
objectClass: olcAccessLogConfig
olcOverlay: accesslog
olcAccessLogDB: cn=accesslog
olcAccessLogOps: writes bind
olcAccessLogSuccess: FALSE
"""
    r = subprocess.run(["ldapmodify", "-Q", "-Y", "EXTERNAL", "-H", w.s.env["LDAPI_URI"]],
                       input=ldif.encode(), capture_output=True)
    return ok(r.returncode == 0, "slapd's accesslog overlay added over ldapi", r.stderr.decode())


def logged(w, filt):
    r = w.s.ldap("ldapsearch", "-LLL", "-b", "cn=accesslog", filt, "reqDN")
    return r.stdout.decode().count("dn:")


def setup(w):
    r = w.smpolicy("export", "--ldif", "--base", w.base, "--no-base-entry", conf=w.files)
    ok(r.returncode == 0, "the files world exports", r.stderr)
    r = w.s.ldap("ldapadd", stdin=r.stdout.encode())
    ok(r.returncode == 0, "the root DN loads it (no ou=audit: the first command makes it)",
       r.stderr.decode())
    mods = "".join(f"dn: {w.dn(u)}\nchangetype: modify\nreplace: userPassword\n"
                   f"userPassword: pw-{u}\n\n" for u, _r, _o in STAFF)
    ok(w.raw("root", mods) == 0, "staff passwords set")


def procedure(w):
    r = w.as_("lomt", "request", "--staff", "t1", "--kind", "long_term", "--platform",
              "facebook", "--by", "lomt", "--on", "2026-02-01")
    m = re.search(r"(LT-\d{4}-\d+)", r.stdout)
    ok(r.returncode == 0 and m, "request: the Trenton office manager requests for t1",
       r.stdout + r.stderr)
    aid = m.group(1) if m else "LT-none"
    e = w.approval(aid)
    ok("smpRequestedBy: lomt" in e and f"creatorsName: {w.dn('lomt')}" in e,
       "the request is in the directory, created by lomt's own bind", e)
    e = w.search(f"ou=audit,{w.base}", "base", "(objectClass=*)", "creatorsName")
    ok(f"creatorsName: {w.dn('lomt')}" in e, "the first command made ou=audit", e)
    r = w.as_("lomt", "request", "--staff", "t1", "--kind", "long_term", "--platform",
              "facebook", "--by", "lomt", "--on", "2026-02-01")
    m2 = re.search(r"(LT-\d{4}-\d+)", r.stdout)
    ok(r.returncode == 0 and m2 and m2.group(1) != aid,
       "a second request by the same manager gets the next id (the first is visible to them)",
       r.stdout + r.stderr)
    if m2:
        w.raw("root", f"dn: cn={m2.group(1)},ou=approvals,{w.base}\nchangetype: delete\n")
    r = w.as_("dcpp", "sign", aid, "--by", "dcpp", "--on", "2026-02-02")
    ok(r.returncode == 0 and "Director of CP&P" in r.stdout, "sign: dcpp signs for CP&P",
       r.stdout + r.stderr)
    ok("until its next sync (within about 25 minutes" in r.stderr and "--sync" in r.stderr
       and r.stdout.count("\n") == 1,
       "sign: says when workstations see the change, on standard error", r.stdout + r.stderr)
    # --sync: this machine's copy follows at once (its store kept in the test's folder)
    r = w.as_("dit", "sign", aid, "--by", "dit", "--on", "2026-02-03", "--sync", "--store",
              with_store(["sync"])[-1])
    ok(r.returncode == 0 and "fully signed" in r.stdout, "sign: dit completes it",
       r.stdout + r.stderr)
    ok(re.search(r"^(synced|unchanged): ", r.stdout, re.M) and "next sync" not in r.stderr,
       "sign --sync: this machine synced at once", r.stdout + r.stderr)
    r = w.smpolicy("decide", "--user", "t1", "--platform", "facebook", "--device",
                   "ws-trenton-1", "--at", "2026-03-01T10:00")
    ok(r.returncode == 0 and r.stdout.startswith("ALLOW"),
       "decide: t1 is allowed right after sign --sync, no separate sync", r.stdout + r.stderr)
    e = w.approval(aid)
    ok("smpApprovedCppBy: dcpp" in e and "smpApprovedItOn: 2026-02-03" in e,
       "both sign-offs are in the directory", e)
    r = w.smpolicy("sync")
    ok(r.returncode == 0, "sync", r.stdout + r.stderr)
    r = w.smpolicy("decide", "--user", "t1", "--platform", "facebook", "--device",
                   "ws-trenton-1", "--at", "2026-03-01T10:00")
    ok(r.returncode == 0 and r.stdout.startswith("ALLOW"), "decide: t1 is allowed after the sync",
       r.stdout + r.stderr)
    return aid


def void_records(w):
    """The directory holds void records (an approval whose person is gone, an
    entry outside the containers): the commands still work on everything
    else, and refuse the void record itself."""
    r = w.as_("lomt", "request", "--staff", "t1", "--kind", "long_term", "--platform",
              "facebook", "--by", "lomt", "--on", "2026-02-01")
    m = re.search(r"(LT-\d{4}-\d+)", r.stdout)
    if not ok(r.returncode == 0 and m, "void: a request to be voided", r.stdout + r.stderr):
        return
    gone = m.group(1)
    stray = f"cn=LT-X9,{w.base}"
    ok(w.raw("root", f"dn: cn={gone},ou=approvals,{w.base}\nchangetype: modify\n"
                     "replace: smpStaff\nsmpStaff: gone-person\n\n"
                     f"dn: {stray}\nchangetype: add\nobjectClass: smpPolicyApproval\n"
                     "cn: LT-X9\nsmpStaff: t1\n") == 0, "void: the root DN writes two faults")
    r = w.as_("dcpp", "sign", gone, "--by", "dcpp", "--on", "2026-02-02")
    ok(r.returncode != 0 and gone in r.stdout + r.stderr,
       "void: the void approval is not signed", r.stdout + r.stderr)
    r = w.as_("lomt", "request", "--staff", "t1", "--kind", "long_term", "--platform",
              "facebook", "--by", "lomt", "--on", "2026-02-01")
    m = re.search(r"(LT-\d{4}-\d+)", r.stdout)
    ok(r.returncode == 0 and m, "void: another request goes through", r.stdout + r.stderr)
    fresh = m.group(1) if m else None
    if fresh:
        r = w.as_("dcpp", "sign", fresh, "--by", "dcpp", "--on", "2026-02-02")
        ok(r.returncode == 0, "void: and is signed", r.stdout + r.stderr)
        w.raw("root", f"dn: cn={fresh},ou=approvals,{w.base}\nchangetype: delete\n")
    w.raw("root", f"dn: cn={gone},ou=approvals,{w.base}\nchangetype: delete\n\n"
                  f"dn: {stray}\nchangetype: delete\n")


def terminal(w):
    """No --password-file: the password is asked on the terminal, unechoed."""
    pre = [] if os.geteuid() == 0 else ["--test-allow-nonroot"]
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(w.exe, [w.exe, *pre, "-c", w.conf, "revoke", "LT-2026-101", "--by", "dcpp",
                         "--reason", "asked on the terminal"])
    seen, sent = b"", False
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if not select.select([fd], [], [], 1)[0]:
            continue
        try:
            chunk = os.read(fd, 1024)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
        if not sent and b"password for dcpp" in seen:
            os.write(fd, b"pw-dcpp\n")
            sent = True
    if time.monotonic() >= deadline:
        os.kill(pid, signal.SIGKILL)
    _pid, status = os.waitpid(pid, 0)
    os.close(fd)
    text = seen.decode(errors="replace")
    ok(sent and os.waitstatus_to_exitcode(status) == 0 and "revoked by dcpp" in text and
       "pw-dcpp" not in text, "the password asked on the terminal, not echoed", text)
    w.raw("root", f"dn: cn=LT-2026-101,ou=approvals,{w.base}\nchangetype: modify\n"
          "delete: smpRevokedOn\n-\ndelete: smpRevokedBy\n-\ndelete: smpRevokedReason\n")


def identities(w, aid):
    before = w.approval("LT-2026-101")
    r = w.smpolicy("sign", "LT-2026-101", "--by", "dit", "--password-file",
                   w.pwfile("dit-wrong", "not-it"))
    ok(r.returncode == 2 and "wrong password for uid=dit," in r.stderr, "a wrong password: exit 2, in words",
       r.stderr)
    r = w.smpolicy("sign", "LT-2026-101", "--by", "nobody", "--password-file", w.pwfile("nobody"))
    ok(r.returncode == 2 and "no such person" in r.stderr, "an unknown person: exit 2, said so", r.stderr)
    r = w.smpolicy("sign", "LT-2026-101", "--by", "dit")
    ok(r.returncode == 2 and "password" in r.stderr,
       "no password and no terminal: exit 2, asks for --password-file", r.stderr)
    loose = w.pwfile("dit")
    os.chmod(loose, 0o644)
    r = w.smpolicy("sign", "LT-2026-101", "--by", "dit", "--password-file", loose)
    ok(r.returncode == 2 and "chmod 600" in r.stderr, "a password file others can read: refused",
       r.stderr)
    ok(w.approval("LT-2026-101") == before, "nothing was written by any of them")
    r = w.as_("w2", "sign", "LT-2026-101", "--by", "w2")
    ok(r.returncode == 1 and "neither the director_cpp nor the director_it" in r.stderr,
       "a worker's sign-off: refused by the files' rules, exit 1", r.stderr)
    r = w.as_("lom", "request", "--staff", "t1", "--kind", "long_term", "--platform", "facebook",
              "--by", "lom")
    ok(r.returncode == 1, "Camden's manager requesting for a Trenton worker: refused",
       r.stderr)
    r = w.as_("dit", "sign", aid, "--by", "dit")
    ok(r.returncode == 1 and "already has" in r.stderr, "a second IT sign-off: refused", r.stderr)


def acls(w):
    b = w.base

    def sign(aid, kind, by):
        return (f"dn: cn={aid},ou=approvals,{b}\nchangetype: modify\nadd: smpApproved{kind}By\n"
                f"smpApproved{kind}By: {by}\n-\nadd: smpApproved{kind}On\n"
                f"smpApproved{kind}On: 2026-03-01\n")

    def req(aid, staff, by, kind="long_term"):
        return (f"dn: cn={aid},ou=approvals,{b}\nchangetype: add\nobjectClass: smpPolicyApproval\n"
                f"cn: {aid}\nsmpStaff: {staff}\nsmpKind: {kind}\nsmpPlatforms: facebook\n"
                f"smpRequestedBy: {by}\nsmpTicket: NJS-1\nsmpExpires: 2026-12-31\n")

    cases = [
        ("w2", sign("LT-2026-102", "It", "w2"), "a worker writes smpApprovedIt*"),
        ("dit", sign("LT-2026-102", "Cpp", "dit"), "director_it writes smpApprovedCpp*"),
        ("dcpp", sign("LT-2026-102", "It", "dcpp"), "director_cpp writes smpApprovedIt*"),
        ("lom", sign("LT-2026-102", "It", "lom"), "an office manager signs"),
        ("reader", sign("LT-2026-102", "It", "dit"), "the workstation identity signs"),
        ("w2", req("X-1", "w3", "w2"), "a worker adds a request"),
        ("lomt", req("X-2", "w3", "lomt"), "Trenton's manager requests for a Camden worker"),
        ("lomt", req("X-3", "t1", "lom"), "a manager requests in another's name"),
        ("dcpp", req("X-4", "w3", "dcpp"), "a director adds a long-term request"),
        ("dcpp", req("X-5", "w3", "dcpp", "limited"), "director_cpp adds a limited request"),
        ("w2", f"dn: cn=camden,ou=offices,{b}\nchangetype: modify\nreplace: smpRevision\n"
               "smpRevision: 99\n", "a worker raises an office's revision"),
        ("dit", f"dn: cn=state,ou=settings,{b}\nchangetype: modify\nreplace: smpName\nsmpName: x\n"
                if False else
                f"dn: cn=settings,{b}\nchangetype: modify\nreplace: smpMaxApprovedPerOffice\n"
                "smpMaxApprovedPerOffice: 9\n", "a director raises the cap"),
        ("w1", f"dn: {w.dn('w1')}\nchangetype: modify\nadd: smpRoles\nsmpRoles: director_it\n",
         "a worker gives themself a role"),
        ("w1", f"dn: cn=fb-1,ou=accounts,{b}\nchangetype: modify\nreplace: smpPasswordEscrowed\n"
               "smpPasswordEscrowed: 2026-03-01\n", "an account's holder records the escrow"),
        ("reader", f"dn: cn=a-1,ou=audit,{b}\nchangetype: add\nobjectClass: smpAuditRecord\n"
                   "cn: a-1\nsmpAuditLine: forged\n", "the workstation identity writes audit"),
        ("dcpp", f"dn: ou=other,{b}\nchangetype: add\nobjectClass: organizationalUnit\n"
                 "ou: other\n", "a director adds anything but ou=audit under the base"),
    ]
    for who, ldif, what in cases:
        rc = w.raw(who, ldif)
        ok(rc == 50, f"raw ldapmodify: {what}: insufficientAccess", f"got {rc}")
    # a director's own approval, and an audit entry rewritten
    rc = w.raw("root", f"dn: cn=LT-OWN,ou=approvals,{b}\nchangetype: add\n"
               "objectClass: smpPolicyApproval\ncn: LT-OWN\nsmpStaff: dcpp2\nsmpKind: long_term\n"
               "smpPlatforms: facebook\nsmpRequestedBy: lom\n")
    ok(rc == 0 and w.raw("dcpp2", sign("LT-OWN", "Cpp", "dcpp2")) == 50,
       "raw ldapmodify: a director signs their own approval: insufficientAccess")
    w.raw("root", f"dn: cn=LT-OWN,ou=approvals,{b}\nchangetype: delete\n")
    audit = w.search(f"ou=audit,{b}", "one", "(objectClass=smpAuditRecord)", "dn")
    first = re.search(r"^dn: (.*)$", audit, re.M)
    rc = w.raw("dcpp", f"dn: {first.group(1)}\nchangetype: modify\nreplace: smpAuditLine\n"
               "smpAuditLine: nothing happened\n") if first else -1
    ok(rc == 50, "raw ldapmodify: an audit entry rewritten: insufficientAccess", f"got {rc}")
    rc = w.raw("dcpp", f"dn: {first.group(1)}\nchangetype: delete\n") if first else -1
    ok(rc == 50, "raw ldapmodify: an audit entry deleted: insufficientAccess", f"got {rc}")
    r = subprocess.run(["ldapsearch", "-x", "-LLL", "-H", w.s.env["LDAP_URI"], "-D", w.dn("dcpp"),
                        "-w", "pw-dcpp", "-b", w.dn("w1"), "-s", "base", "userPassword"],
                       capture_output=True, text=True)
    ok(r.returncode == 0 and "userPassword" not in r.stdout, "a director cannot read a password")
    rc = w.raw("lom", req("X-6", "w3", "lom"))
    ok(rc == 0, "raw ldapadd: Camden's manager requests for a Camden worker: allowed", f"got {rc}")


def accounts(w):
    """smpolicy account through the directory: the supervisor and a
    director_it write each event as the command writes it (an add, then a
    replace; a new compromise after a resolved one clears the resolution);
    the holder cannot."""
    dn = f"cn=fb-1,ou=accounts,{w.base}"

    def entry():
        return w.search(dn, "base", "(objectClass=*)", "*")

    steps = [("sup", "password-changed", "2026-03-01", "smpPasswordChanged: 2026-03-01"),
             ("sup", "password-changed", "2026-03-05", "smpPasswordChanged: 2026-03-05"),
             ("dit", "password-escrowed", "2026-03-06", "smpPasswordEscrowed: 2026-03-06"),
             ("sup", "compromised", "2026-03-07", "smpCompromisedReported: 2026-03-07"),
             ("dit", "resolved", "2026-03-08", "smpCompromisedResolved: 2026-03-08"),
             ("sup", "compromised", "2026-03-09", "smpCompromisedReported: 2026-03-09")]
    for who, event, on, want in steps:
        r = w.as_(who, "account", "fb-1", event, "--on", on, "--by", who)
        e = entry()
        ok(r.returncode == 0 and want in e, f"account: {who} records {event} on {on}",
           r.stdout + r.stderr + e)
    ok("smpCompromisedResolved" not in entry(),
       "a new compromise cleared the old resolution (a delete, as the supervisor)", entry())
    before = entry()
    r = w.as_("w1", "account", "fb-1", "password-changed", "--on", "2026-03-10", "--by", "w1")
    ok(r.returncode != 0 and entry() == before, "account: the holder cannot record an event",
       r.stdout + r.stderr)


def race(w):
    """Five second sign-offs at once in Camden (cap 2), by two Directors of
    IT: exactly two."""
    aids = [f"LT-2026-10{i}" for i in range(1, RACERS + 1)]
    signers = [("dit", w.pwfile("dit")), ("dit2", w.pwfile("dit2"))]
    pre = [] if os.geteuid() == 0 else ["--test-allow-nonroot"]
    good = True
    for rnd in range(ROUNDS):
        for a in aids:
            w.unsign_it(a)
        procs = [subprocess.Popen([w.exe, *pre, "-c", w.conf, "sign", a, "--by",
                                   signers[k % 2][0], "--on", "2026-03-01", "--password-file",
                                   signers[k % 2][1]],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for k, a in enumerate(aids)]
        outs = []
        for p in procs:
            try:
                o, e = p.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                p.kill()
                o, e = p.communicate()
                e += "\n(hung: killed after 60 s)"
            outs.append((p.returncode, o, e))
        wins = sum(1 for rc, _o, _e in outs if rc == 0)
        refused = sum(1 for rc, _o, e in outs if rc == 1 and "cap" in e)
        signed = w.it_signed(range(1, 7))
        if not (wins == 2 and refused == RACERS - 2 and signed == 2):
            good = False
            ok(False, f"race round {rnd + 1}: exactly two of {RACERS} succeed",
               f"{wins} succeeded, {refused} refused over the cap, {signed} signed in the "
               f"directory\n" + "\n".join(e for _rc, _o, e in outs))
            break
    if good:
        ok(True, f"{ROUNDS} rounds of {RACERS} simultaneous second sign-offs, cap 2: exactly two "
                 "succeed each time, the others are refused over the cap")
    r = w.smpolicy("check", "--online")
    ok(r.returncode == 0, "check --online: no office over its cap", r.stdout + r.stderr)
    for a in aids:
        w.unsign_it(a)


def kills(w):
    """SIGKILL at random moments of a sign-off: never half a sign-off, and
    the next command is never locked out for longer than the claim's lease."""
    pw = w.pwfile("dit")
    pre = [] if os.geteuid() == 0 else ["--test-allow-nonroot"]
    rng = random.Random(14)
    torn, late, done, runs = [], [], 0, 16
    aid = "LT-2026-106"
    for i in range(runs):
        w.unsign_it(aid)
        p = subprocess.Popen([w.exe, *pre, "-c", w.conf, "sign", aid, "--by", "dit",
                              "--password-file", pw], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0, 0.15))
        p.send_signal(signal.SIGKILL)
        p.wait()
        e = w.approval(aid)
        by, on = "smpApprovedItBy:" in e, "smpApprovedItOn:" in e
        if by != on:
            torn.append(f"run {i}: smpApprovedItBy {by}, smpApprovedItOn {on}")
        done += by
        if not by:
            t0 = time.monotonic()
            r = w.as_("dit", "sign", aid, "--by", "dit")
            if r.returncode != 0 or time.monotonic() - t0 > 3 + 5:
                late.append(f"run {i}: the next sign-off: exit {r.returncode} after "
                            f"{time.monotonic() - t0:.1f} s: {r.stderr}")
    ok(not torn, f"SIGKILL at random moments of {runs} sign-offs: never one of by/on without "
       f"the other ({done} had completed)", "\n".join(torn))
    ok(not late, "after each kill the next sign-off succeeds within the claim's lease",
       "\n".join(late))
    w.unsign_it(aid)


def stale_claim(w):
    """A claim left by a killed command (or a stalled one) on Camden."""
    office = f"cn=camden,ou=offices,{w.base}"
    aid = "LT-2026-105"

    def plant(age):
        # the wall clock: the command reads the claim's age against it
        text = f"{int(time.time()) - age} 0123456789abcdef {aid}"
        w.raw("root", f"dn: {office}\nchangetype: modify\nreplace: smpIntent\nsmpIntent: {text}\n")
        return w.approval(aid)
    before = plant(60)
    r = w.as_("dit", "sign", "LT-2026-104", "--by", "dit")
    after = w.approval(aid)
    ok(r.returncode == 0 and "smpIntent" not in w.search(office, "base", "(objectClass=*)", "smpIntent"),
       "an expired claim is broken by the next sign-off, which then succeeds", r.stderr)
    csn = re.search(r"entryCSN: (\S+)", before)
    ok("smpFence:" in after and csn and csn.group(1) not in after,
       "breaking it fenced the approval it named first (its entryCSN moved)", after)
    w.unsign_it("LT-2026-104")
    plant(0)
    t0 = time.monotonic()
    r = w.as_("dit", "sign", "LT-2026-104", "--by", "dit")
    waited = time.monotonic() - t0
    ok(r.returncode == 0 and waited >= 1.5,
       f"a fresh claim is waited for, not broken at once ({waited:.1f} s)", r.stderr)
    w.unsign_it("LT-2026-104")
    # dated at the end of time, ten years ahead, past what 64 bits hold, or
    # not a time: none may lock Camden's sign-offs (nor overflow: UBSan
    # watches this case under tests/sanitize.sh)
    ten_years = int(time.time()) + 10 * 366 * 86400
    for what, stamp in (("LLONG_MAX", "9223372036854775807"), ("ten years ahead", str(ten_years)),
                        ("20 digits", "99999999999999999999"), ("negative", "-5"),
                        ("LLONG_MAX + 1", "9223372036854775808")):
        planted = w.raw("root", f"dn: {office}\nchangetype: modify\nreplace: smpIntent\n"
                                f"smpIntent: {stamp} 0123456789abcdef {aid}\n")
        t0 = time.time()
        r = w.as_("dit", "sign", "LT-2026-104", "--by", "dit")
        waited = time.time() - t0
        ok(planted == 0 and r.returncode == 0 and waited < 10 and
           "smpIntent" not in w.search(office, "base", "(objectClass=*)", "smpIntent"),
           f"a claim dated {what} ({stamp}) counts as broken: the sign-off succeeds "
           f"({waited:.1f} s)", r.stderr)
        w.unsign_it("LT-2026-104")


def raw_trail(w):
    ok(logged(w, f"(&(objectClass=auditBind)(reqResult=49)(reqDN={w.dn('dit')}))") >= 1,
       "accesslog: the wrong password's bind, refused (49)")
    ok(logged(w, f"(&(objectClass=auditModify)(reqResult=50)(reqAuthzID={w.dn('w2')}))") >= 1,
       "accesslog: the worker's raw ldapmodify, refused (50)")
    ok(logged(w, f"(&(objectClass=auditModify)(reqResult=0)(reqAuthzID={w.dn('dit')})"
                 f"(reqDN=cn=LT-2026-101,ou=approvals,{w.base}))") >= 1,
       "accesslog: a sign-off's modify, as dit")


def log_and_down(w):
    r = w.smpolicy("log")
    lines = r.stdout.splitlines()
    ok(r.returncode == 0 and any("action=sign" in l and "result=ok" in l and
                                 f"bound={w.dn('dit')}" in l for l in lines),
       "log: a sign-off, with the DN slapd says bound", r.stdout[-2000:] + r.stderr)
    ok(any("by=w2" in l and "result=refused" in l and f"bound={w.dn('w2')}" in l for l in lines),
       "log: the worker's refused attempt too", r.stdout[-2000:])
    ok(any("action=request" in l and "by=lomt" in l for l in lines), "log: the request")
    w.s.control("down")
    r = w.as_("dit", "sign", "LT-2026-101", "--by", "dit")
    ok(r.returncode == 2 and ("cannot be reached" in r.stderr or "Can't contact" in r.stderr),
       "the directory down: exit 2, it cannot be reached", r.stderr)
    w.s.control("up")
    r = w.smpolicy("sync")
    ok(r.returncode == 0, "a sync afterwards", r.stdout + r.stderr)
    r = w.smpolicy("check")
    ok(r.returncode == 0, "check of the synced copy: valid, no office over its cap",
       r.stdout + r.stderr)


def phase(name, fn, *args):
    t0 = time.monotonic()
    r = fn(*args)
    print(f"# {name}: {time.monotonic() - t0:.1f} s", flush=True)
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--exe", required=True)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="smp-records-") as tmp:
        os.chmod(tmp, 0o755)
        try:
            with Slapd(tmp) as s:
                w = World(tmp, s, os.path.abspath(args.exe))
                have_log = accesslog(w)
                setup(w)
                aid = phase("procedure", procedure, w)
                phase("identities", identities, w, aid)
                phase("void records", void_records, w)
                phase("terminal", terminal, w)
                phase("acls", acls, w)
                phase("accounts", accounts, w)
                phase("race", race, w)
                phase("kills", kills, w)
                phase("stale claims", stale_claim, w)
                if have_log:
                    raw_trail(w)
                phase("log and down", log_and_down, w)
        except RuntimeError as e:
            print(f"Bail out! {e}")
            return 1
    print(f"1..{len(results)}")
    return 0 if all(g for g, _w, _d in results) else 1


if __name__ == "__main__":
    sys.exit(main())
