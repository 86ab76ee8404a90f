#!/usr/bin/env python3
"""export_test.py - `smpolicy export --ldif` against a throwaway slapd.

Worlds of files are exported, loaded with ldapadd as the root DN (every
entry must be accepted; once with slapadd, the server down), read back with ldapsearch as the workstations'
read-only identity, and every attribute value compared with the files as an
independent reader of libconfig (ldaptest.Config) reads them: the sample
office, a generated world (bench/genworld), and a world of awkward strings
(quotes, backslashes, UTF-8, a newline in a revocation reason, leading and
trailing spaces, a leading colon or <, a line beyond 76 columns) that must round-trip byte for
byte.  Records must come back in file order.  A world with a structural
error is refused with its FILE:LINE, one the directory cannot hold with its
FILE:LINE, a malformed base DN as such; a procedural fault exports.  TAP.

usage: export_test.py --exe BUILD/tools/smpolicy
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ldaptest import TOP, Slapd, expected_entries, ldap_map, parse_ldif  # noqa: E402

SMALL = os.path.join(TOP, "tests/cli/worlds/small")
results = []


def ok(cond, what, detail=""):
    results.append((bool(cond), what, detail))
    return bool(cond)


def make_world(tmp, name, src, edits=()):
    """Copy the world src into tmp/name, applying (file, old, new) edits."""
    d = os.path.join(tmp, name)
    os.mkdir(d, 0o755)
    for f in os.listdir(src):
        if f.endswith(".conf"):
            shutil.copy(os.path.join(src, f), d)
    for f, old, new in edits:
        p = os.path.join(d, f)
        with open(p, encoding="utf-8") as fh:
            text = fh.read()
        if old not in text:
            raise RuntimeError(f"{name}: {old!r} not in {f}")
        with open(p, "w", encoding="utf-8") as fh:
            fh.write(text.replace(old, new))
    for f in os.listdir(d):
        os.chmod(os.path.join(d, f), 0o644)
    return d


def export(exe, world, *args):
    pre = [] if os.geteuid() == 0 else ["--test-allow-nonroot"]
    return subprocess.run([exe, *pre, "-c", os.path.join(world, "smpolicy.conf"), "export",
                           *args], capture_output=True)


KIND_OF_CLASS = {}


def directory_entries(slapd, base):
    """{(container, id): (attrs, position within its kind)} read back."""
    r = slapd.ldap("ldapsearch", "-LLL", "-o", "ldif-wrap=no", "-E", "pr=200/noprompt", "-b", base,
                   "(|(objectClass=smpPolicySettings)(objectClass=smpPolicyPlatform)"
                   "(objectClass=smpPolicyOffice)(objectClass=smpPolicyStaff)"
                   "(objectClass=smpPolicyDevice)(objectClass=smpPolicyAccount)"
                   "(objectClass=smpPolicyApproval))", "*", bind="reader")
    if r.returncode != 0:
        raise RuntimeError(r.stderr.decode())
    got, order = {}, {}
    for _dn, attrs in parse_ldif(r.stdout.decode("utf-8", "surrogateescape")):
        oc = [o for o in attrs["objectClass"] if o.startswith("smpPolicy")][0]
        container, rdn = KIND_OF_CLASS[oc]
        ident = attrs[rdn][0]
        smp = {a: v for a, v in attrs.items() if a.startswith("smp")}
        n = order.setdefault(container, 0)
        order[container] = n + 1
        got[(container, ident)] = (smp, n)
    return got


def round_trip(exe, slapd, world, base, label, *flags, offline=False):
    r = export(exe, world, "--ldif", "--base", base, *flags)
    if not ok(r.returncode == 0 and r.stderr == b"", f"{label}: export exits 0, silent",
              r.stderr.decode(errors="replace")):
        return
    ldif = r.stdout
    tool = "slapadd" if offline else "ldapadd"
    a = slapd.slapadd(ldif) if offline else slapd.ldap("ldapadd", stdin=ldif)
    n_ldif = len(parse_ldif(ldif.decode("utf-8", "surrogateescape")))
    if not ok(a.returncode == 0, f"{label}: {tool} takes every entry ({n_ldif})",
              a.stderr.decode(errors="replace")[-2000:]):
        return
    want = expected_entries(os.path.join(world, "smpolicy.conf"), base)
    got = directory_entries(slapd, base)
    ok(len(got) == len(want), f"{label}: as many entries as records ({len(got)} of {len(want)})")
    bad, misordered, pos = [], [], {}
    for (rdn, ident, container), attrs in want:
        key = (container, ident)
        n = pos.setdefault(container, 0)
        pos[container] = n + 1
        if key not in got:
            bad.append(f"{key}: missing")
            continue
        if got[key][0] != attrs:
            bad.append(f"{key}: files {attrs!r} directory {got[key][0]!r}")
        if container is not None and got[key][1] != n:
            misordered.append(f"{key}: at {got[key][1]}, file order {n}")
    ok(not bad, f"{label}: every attribute value as the files write it", "\n".join(bad[:10]))
    ok(not misordered, f"{label}: records come back in file order", "\n".join(misordered[:10]))
    return got


def line_of(world, f, needle):
    with open(os.path.join(world, f), encoding="utf-8") as fh:
        for i, line in enumerate(fh, 1):
            if needle in line:
                return i
    raise RuntimeError(f"{needle!r} not in {f}")


def refused(exe, world, label, rc, pattern):
    r = export(exe, world, "--ldif", "--base", "ou=x,dc=example,dc=org")
    err = r.stderr.decode(errors="replace")
    ok(r.returncode == rc and r.stdout == b"" and re.search(pattern, err),
       f"{label}: exit {rc}, nothing on stdout, {pattern}",
       f"rc {r.returncode}, stdout {len(r.stdout)} bytes, stderr: {err}")


AWKWARD_ID = "@w.1_X-9"   # ids are [A-Za-z0-9._@-]: the DN escaping is not needed for them
AWKWARD = [
    ("records.conf", '"w1"', f'"{AWKWARD_ID}"'),
    ("records.conf", '"Jane Doe"', '"Zoë \\"Jo\\" O\'Brien\\\\Łukasz  "'),
    ("records.conf", '"case closed"', '"case closed:\\nsee \\"NJS-1\\"\\r\\n\\tend "'),
    ("records.conf", '"NJS-1"', '" NJS-1"'),
    ("records.conf", '"njdcf.essex.1"', '":<njdcf.essex.1"'),
    ("records.conf", '"Karen Brown"', '"Karen"'),
    ("smpolicy.conf", '"Essex Local Office"', '"Essex \\x4c\\xc3\\xa9 Office — 東京"'),
    ("smpolicy.conf", '"Snap Chat"', '"<Snap> Chat"'),
    ("smpolicy.conf", '"fb.com" ]', '"fb.com", "' + 'x' * 100 + '.com" ]'),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--exe", required=True)
    exe = os.path.abspath(ap.parse_args().exe)
    tables, kinds = ldap_map()
    KIND_OF_CLASS["smpPolicySettings"] = (None, "cn")
    for _l, _f, container, rdn, oc, _t in kinds:
        KIND_OF_CLASS[oc] = (container, rdn)

    tmp = tempfile.mkdtemp(prefix="smp-export.")
    os.chmod(tmp, 0o755)
    try:
        with Slapd(tmp) as slapd:
            base = slapd.env["BASE"]
            office = make_world(tmp, "office", os.path.join(TOP, "examples/office"))
            round_trip(exe, slapd, office, base, "examples/office into the existing base",
                       "--no-base-entry")

            round_trip(exe, slapd, office, "ou=offline," + base,
                       "examples/office by slapadd, the server down", offline=True)

            gen = os.path.join(tmp, "gen")
            subprocess.run([sys.executable, os.path.join(TOP, "bench/genworld"), "--offices", "4",
                            "--staff", "80", "--devices", "90", "--approvals", "400",
                            "--years", "3", "--ref", "2026-11-25", "--seed", "7", gen],
                           check=True, capture_output=True)
            round_trip(exe, slapd, gen, "ou=gen," + base, "bench/genworld (small)")

            awk = make_world(tmp, "awkward", SMALL, AWKWARD)
            got = round_trip(exe, slapd, awk, "ou=Zoë\\2C awkward," + base, "awkward strings")
            if got is not None:
                key = ("ou=approvals", "UB-1")
                ok(got.get(key, ({}, 0))[0].get("smpRevokedReason") ==
                   ['case closed:\nsee "NJS-1"\r\n\tend '],
                   "awkward strings: the revocation reason, newlines and all, byte for byte")
                ok(("ou=staff", AWKWARD_ID) in got,
                   "awkward strings: an id of every kind of character ids may hold")

            bad = make_world(tmp, "structural", SMALL,
                             [("records.conf", 'expires = "2026-12-31"', 'expries = "2026-12-31"')])
            refused(exe, bad, "a structural error", 2,
                    rf"records\.conf:{line_of(bad, 'records.conf', 'expries')}: error: .*expries")

            proc = make_world(tmp, "procedural", SMALL,
                              [("records.conf", 'by = "dir-cpp";\n      on = "2026-05-28"',
                                'by = "sup";\n      on = "2026-05-28"')])
            c = subprocess.run([exe] + ([] if os.geteuid() == 0 else ["--test-allow-nonroot"]) +
                               ["-c", os.path.join(proc, "smpolicy.conf"), "check"],
                               capture_output=True)
            r = export(exe, proc, "--ldif", "--base", "ou=proc," + base)
            ok(c.returncode == 1 and r.returncode == 0 and b"smpApprovedCppBy: sup" in r.stdout,
               "a procedural fault (check exits 1) exports", r.stderr.decode(errors="replace"))

            empty = make_world(tmp, "empty", SMALL, [("records.conf", '"Terry Lee"', '""')])
            n = line_of(empty, "records.conf", 'name = ""')
            refused(exe, empty, "an empty string", 1,
                    rf"records\.conf:{n}: error: smpName: an empty string")
            twice = make_world(tmp, "twice", SMALL,
                               [("records.conf", 'roles = [ "supervisor" ]',
                                 'roles = [ "supervisor", "supervisor" ]')])
            refused(exe, twice, "a list naming a value twice", 1,
                    r"records\.conf:\d+: error: smpRoles: 'supervisor' is named twice")
            case = make_world(tmp, "case", SMALL,
                              [("records.conf", '{ id = "w3";',
                                '{ id = "W1"; name = "X"; office = "essex"; roles = [ "worker" ]; },\n'
                                '  { id = "w3";')])
            n = line_of(case, "records.conf", 'id = "W1"')
            refused(exe, case, "ids differing only in case", 1,
                    rf"records\.conf:{n}: error: this staff id differs from the one at "
                    r".*records\.conf:\d+ only in case")
            for dn in ("not a dn", "ou=x,,dc=org", "=x"):
                r = export(exe, SMALL, "--ldif", "--base", dn)
                ok(r.returncode == 2 and r.stdout == b"" and b"not a distinguished name" in r.stderr,
                   f"a malformed base {dn!r} is refused", r.stderr.decode(errors="replace"))
            r = export(exe, SMALL, "--base", base)
            ok(r.returncode == 2 and b"--ldif" in r.stderr, "--ldif is required")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for i, (good, what, detail) in enumerate(results, 1):
        print(f"{'ok' if good else 'not ok'} {i} - {what}")
        if not good and detail:
            print("# " + detail.replace("\n", "\n# "))
    print(f"1..{len(results)}")
    return 0 if results and all(g for g, _w, _d in results) else 1


if __name__ == "__main__":
    sys.exit(main())
