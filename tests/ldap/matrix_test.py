#!/usr/bin/env python3
"""matrix_test.py - ldap/access.ldif against ldap/access-matrix.tsv, cell by
cell, on a real slapd (slapd.sh, the schema loaded online).

Every identity (anonymous, the workstations' reader, a worker, the
approvals' own staff member, a supervisor, a local office manager of the
same office and of another, director_cpp, director_it, a staff entry with no
roles, a director whose role was removed) tries every operation (add an
entry carrying the attribute, add a value, replace, delete a value, delete
the attribute, delete the entry, rename it, move it, read it) on every
attribute of every entry of a baseline directory.  The expected outcome of
each cell comes from the table alone: allowed if the table grants every
(attribute, value, operation) the change touches, to that identity, under
its conditions; refused otherwise.  Refused is insufficientAccess (50), or
strongerAuthRequired (8) for anonymous (slapd refuses an anonymous update
before any access rule); allowed is success, or constraintViolation (19)
when the rules allow adding a value that the schema's SINGLE-VALUE refuses
(a second sign-off: write-once holds by the schema there).

Cells expected refused run in one `ldapmodify -c -S` per identity (nothing
changes, so they are independent); each cell expected allowed runs alone and
the root DN restores the entry after it (after an unexpected success, the
whole baseline).  Then the named attacks of the issue, as sequences.

    matrix_test.py [-v]

TAP output; the counts (cells tried, allowed, refused) as a diagnostic.
SPDX-License-Identifier: BSD-3-Clause
"""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ldaptest  # noqa: E402

TOP = ldaptest.TOP
SUFFIX = "dc=example,dc=org"
BASE = "ou=smpolicy," + SUFFIX
VERBOSE = "-v" in sys.argv
SIGNED = ("smpApprovedCppBy", "smpApprovedCppOn", "smpApprovedItBy", "smpApprovedItOn",
          "smpRevokedOn", "smpRevokedBy", "smpRevokedReason", "smpFence",
          "smpApprovedCppSig", "smpApprovedItSig", "smpRevokedSig")


# ---- the table ---------------------------------------------------------------

def read_table(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            cols = line.split("\t")
            if len(cols) != 5:
                raise SystemExit(f"Bail out! {path}:{n}: want 5 tab-separated columns")
            cont, attrs, ops, who, cond = cols
            conds = [] if cond == "-" else split_conds(cond)
            rows.append({"line": n, "cont": cont, "attrs": attrs.split(","),
                         "ops": ops.split(","), "who": who, "conds": conds})
    return rows


def split_conds(text):
    """a,b,value~RE: a regex may hold commas ({1,19}); it is last in a row."""
    out = []
    while text:
        if text.startswith("value~"):
            out.append(text)
            break
        head, _, text = text.partition(",")
        out.append(head)
    return out


# ---- the schema ----------------------------------------------------------------

def read_schema():
    with open(os.path.join(TOP, "ldap/smpolicy.schema"), encoding="utf-8") as f:
        text = re.sub(r"#[^\n]*", "", f.read())
    attrs, classes = {}, {}
    chunks = re.split(r"\b(attributetype|objectclass)\b", text)
    for kind, body in zip(chunks[1::2], chunks[2::2]):
        name = re.search(r"NAME '(\w+)'", body).group(1)
        if kind == "attributetype":
            syntax = re.search(r"SYNTAX\s+([\d.]+)", body).group(1)
            attrs[name] = {"single": "SINGLE-VALUE" in body, "syntax": syntax.rsplit(".", 1)[1]}
            continue
        listed = []
        for m in re.finditer(r"\b(MUST|MAY)\s+(\([^)]*\)|\w+)", body):
            listed += re.findall(r"\w+", m.group(2))
        classes[name] = listed
    # the standard types the tree uses, with their multiplicity
    for a, single in (("cn", False), ("ou", False), ("uid", False), ("sn", False),
                      ("userPassword", False), ("dc", True), ("o", False),
                      ("objectClass", False)):
        attrs[a] = {"single": single, "syntax": "15"}
    classes.update({"organizationalUnit": ["ou", "userPassword"],
                    "inetOrgPerson": ["uid", "cn", "sn", "userPassword"],
                    "dcObject": ["dc"], "organization": ["o", "userPassword"],
                    "applicationProcess": ["cn"], "simpleSecurityObject": ["userPassword"]})
    return attrs, classes


# ---- the baseline -------------------------------------------------------------

def staff(uid, office, *roles):
    e = {"objectClass": ["inetOrgPerson", "smpPolicyStaff"], "uid": [uid], "cn": [uid],
         "sn": [uid], "smpOffice": [office], "userPassword": ["pw-" + uid]}
    if roles:
        e["smpRoles"] = list(roles)
    return (f"uid={uid},ou=staff,{BASE}", e)


def approval(cn, **kv):
    e = {"objectClass": ["smpPolicyApproval"], "cn": [cn]}
    for k, v in kv.items():
        e[k] = v if isinstance(v, list) else [v]
    return (f"cn={cn},ou=approvals,{BASE}", e)


def rec(cn, cont, oc, **kv):
    e = {"objectClass": [oc], "cn": [cn]}
    for k, v in kv.items():
        e[k] = v if isinstance(v, list) else [v]
    return (f"cn={cn},{cont + ',' if cont else ''}{BASE}", e)


AUDIT_CN = "20261101000000Z-0123456789abcdef"
INTENT = "1762000000 00112233445566ff LT-req"

BASELINE = [
    (f"ou={c},{BASE}", {"objectClass": ["organizationalUnit"], "ou": [c]})
    for c in ("platforms", "offices", "staff", "devices", "accounts", "approvals", "audit")
] + [
    rec("settings", None, "smpPolicySettings", smpMaxApprovedPerOffice="2", smpCapCounts="all",
        smpWarnDays="14", smpLongTermMaxDays="365"),
    rec("facebook", "ou=platforms", "smpPolicyPlatform", smpName="Facebook",
        smpDomains=["facebook.com", "fb.com"], smpMobileOnly="FALSE", smpPrivateMessaging="TRUE"),
    rec("essex", "ou=offices", "smpPolicyOffice", smpName="Essex", smpKind="local",
        smpRevision="3", smpIntent=INTENT),
    rec("camden", "ou=offices", "smpPolicyOffice", smpName="Camden", smpKind="local"),
    staff("w1", "essex", "worker"),
    staff("w2", "essex", "worker"),
    staff("sup", "essex", "supervisor"),
    staff("lom", "essex", "local_office_manager"),
    staff("lomc", "camden", "local_office_manager"),
    staff("dcpp", "essex", "director_cpp"),
    staff("dit", "essex", "director_it"),
    staff("norole", "essex"),
    staff("exdir", "essex", "worker"),
    rec("ws-1", "ou=devices", "smpPolicyDevice", smpKind="workstation", smpOwner="dcf",
        smpOffice="essex", smpApps=["facebook"]),
    rec("fb-1", "ou=accounts", "smpPolicyAccount", smpPlatform="facebook", smpHandle="@dcf",
        smpHolder="w1", smpSupervisor="sup", smpOfficial="TRUE", smpPasswordChanged="2026-10-01",
        smpCompromisedReported="2026-10-02", smpCompromisedResolved="2026-10-03"),
    approval("LT-req", smpStaff="w1", smpKind="long_term", smpPlatforms="facebook",
             smpRequestedBy="lom", smpRequested="2026-11-01", smpExpires="2027-11-01"),
    approval("UB-lim", smpStaff="w1", smpKind="limited", smpPlatforms="facebook",
             smpTicket="UB-123", smpRequestedBy="dit", smpRequested="2026-11-01",
             smpExpires="2026-12-01"),
    approval("LT-signed", smpStaff="w1", smpKind="long_term", smpPlatforms="facebook",
             smpRequestedBy="lom", smpRequested="2026-11-01", smpApprovedCppBy="dcpp",
             smpApprovedCppOn="2026-11-02", smpApprovedItBy="dit", smpApprovedItOn="2026-11-03",
             smpFence="0011223344556677"),
    approval("LT-revoked", smpStaff="w1", smpKind="long_term", smpPlatforms="facebook",
             smpRequestedBy="lom", smpRequested="2026-11-01", smpApprovedCppBy="dcpp",
             smpApprovedCppOn="2026-11-02", smpRevokedOn="2026-11-05", smpRevokedBy="lom",
             smpRevokedReason="left the unit"),
    approval("LT-dcpp", smpStaff="dcpp", smpKind="long_term", smpPlatforms="facebook",
             smpRequestedBy="lom", smpRequested="2026-11-01"),
    rec(AUDIT_CN, "ou=audit", "smpAuditRecord", smpAuditWhen="2026-11-01T00:00:00Z",
        smpAuditLine="2026-11-01T00:00:00Z request by=lom"),
]
BASE_DNS = [d for d, _ in BASELINE]
ENTRY = dict(BASELINE)
# slapd.sh makes the workstations' reader; its entry is a target too (it
# must not change the secret the workstations share)
READER = f"cn=workstation,{BASE}"
ENTRY[READER] = {"objectClass": ["applicationProcess", "simpleSecurityObject"],
                 "cn": ["workstation"], "userPassword": ["workstation"]}

IDENTITIES = ["anonymous", "reader", "w2", "w1", "sup", "lom", "lomc", "dcpp", "dit",
              "norole", "exdir"]
WHO_IS = {"w2": "a worker", "w1": "the approvals' own staff member", "sup": "a supervisor",
          "lom": "the local office manager of essex", "lomc": "the local office manager of camden",
          "dcpp": "director_cpp", "dit": "director_it", "norole": "a staff entry with no roles",
          "exdir": "a director whose role was removed", "reader": "the workstations' reader",
          "anonymous": "anonymous"}


def dn_of(ident, env):
    if ident == "anonymous":
        return None
    if ident == "reader":
        return env["READER_DN"]
    return f"uid={ident},ou=staff,{BASE}"


def bound_entry(ident):
    return ENTRY.get(f"uid={ident},ou=staff,{BASE}", {})


# ---- the model: the table's answer ---------------------------------------------

def containers(dn):
    if dn == SUFFIX:
        return {"<suffix>"}
    if dn == BASE:
        return {"<base>"}
    if not dn.endswith("," + BASE):
        return {"<suffix>/*"} if dn.split(",", 1)[1] == SUFFIX else set()
    rel = dn[:-len("," + BASE)]
    parts = rel.split(",")
    if len(parts) == 1:
        return {rel, "<base>/*"}
    return {",".join(parts[1:]) + "/*", "<base>/*/*"}


def holds(cond, ident, dn, entry, value):
    uid = ident if ident not in ("anonymous", "reader") else None
    name, _, arg = cond.partition("=")
    if cond.startswith("value~"):
        return value is not None and re.fullmatch(cond[6:].strip("^$"), value) is not None
    if name == "class":
        return arg.lower() in (c.lower() for c in entry.get("objectClass", []))
    if name == "unsigned":
        return not any(a in entry for a in SIGNED)
    if name == "kind":
        return any(k in arg.split("|") for k in entry.get("smpKind", []))
    if name == "own":
        return uid is not None and entry.get(arg) == [uid]
    if name == "not-own":
        return uid is None or entry.get("smpStaff") != [uid]
    if name == "office":
        staff_of = entry.get("smpStaff", [None])[0]
        theirs = ENTRY.get(f"uid={staff_of},ou=staff,{BASE}", {}).get("smpOffice")
        mine = bound_entry(ident).get("smpOffice")
        return mine is not None and mine == theirs
    if name == "value":
        if value is None:
            return False
        if arg == "rdn":
            return value.lower() == dn.split(",", 1)[0].split("=", 1)[1].lower()
        if arg == "uid":
            return uid is not None and value == uid
        return value.lower() == arg.lower()
    raise SystemExit(f"Bail out! unknown condition {cond!r} in the table")


def who_matches(who, ident, dn, entry, env):
    if who == "users":
        return ident != "anonymous"
    if who == "anonymous":
        return ident == "anonymous"
    if who == "self":
        return dn_of(ident, env) == dn
    roles = bound_entry(ident).get("smpRoles", [])
    if who == "roles":
        return bool(roles)
    if who.startswith("role="):
        return any(r in roles for r in who[5:].split("|"))
    if who == "supervisor":
        return ident in entry.get("smpSupervisor", []) and ident not in ("anonymous", "reader")
    raise SystemExit(f"Bail out! unknown identity {who!r} in the table")


def granted(table, env, ident, dn, entry, attr, op, value):
    """Does the table grant op on (attr, value) of entry dn to ident?"""
    keys = containers(dn)
    for r in table:
        if r["cont"] not in keys or op not in r["ops"]:
            continue
        every = "*" in r["attrs"] and attr not in ("userPassword", "entry", "children")
        if attr not in r["attrs"] and not every:
            continue
        if not who_matches(r["who"], ident, dn, entry, env):
            continue
        if all(holds(c, ident, dn, entry, value) for c in r["conds"]):
            return True
    return False


def parent(dn):
    return dn.split(",", 1)[1]


# ---- the cells ----------------------------------------------------------------

class Cell:
    def __init__(self, ident, what, ldif, allowed, code_if_allowed=0, restore=(), new_dn=None):
        self.ident, self.what, self.ldif = ident, what, ldif
        self.allowed = allowed
        self.want = code_if_allowed if allowed else (8 if ident == "anonymous" else 50)
        self.restore, self.new_dn = restore, new_dn
        self.got = None


def candidates(attr, ident, schema):
    uid = ident if ident not in ("anonymous", "reader") else "nobody"
    other = "dit" if uid != "dit" else "dcpp"
    if attr in ("smpApprovedCppBy", "smpApprovedItBy", "smpRevokedBy", "smpRequestedBy"):
        # the last one tries to inject set syntax where access.ldif expands
        # the value into a set ([${v1}]): the values are ids, nothing else
        return [uid, other, f"x] | user/uid | [{uid}"]
    special = {"smpIntent": ["1762000100 0123456789abcdef LT-req", "mine for ever"],
               "smpRevision": ["9", "-5"], "smpFence": ["0123456789abcdef", "fenced"],
               "objectClass": ["extensibleObject"], "userPassword": ["pw-new"],
               "smpKind": ["limited"], "smpStaff": ["w2"]}
    if attr in special:
        return special[attr]
    if attr in ("cn", "uid", "ou", "dc"):
        return ["other", "other] | user/uid | [other"]
    syn = schema[attr]["syntax"]
    return ["TRUE"] if syn == "7" else ["5"] if syn == "27" else ["2099-01-01"]


def attrs_of(entry, classes):
    out = ["objectClass", "userPassword"]
    for oc in entry["objectClass"]:
        for a in classes.get(oc, []):
            if a not in out:
                out.append(a)
    return out


def mod_ldif(dn, op, attr, values):
    lines = [f"dn: {dn}", "changetype: modify", f"{op}: {attr}"]
    lines += [f"{attr}: {v}" for v in values]
    return "\n".join(lines) + "\n"


def entry_ldif(dn, entry, changetype=True):
    lines = [f"dn: {dn}"] + (["changetype: add"] if changetype else [])
    for a, vs in entry.items():
        lines += [f"{a}: {v}" for v in vs]
    return "\n".join(lines) + "\n"


TRIED = set()   # the attributes modify_cells tried on some entry


def modify_cells(table, schema, classes, env, ident):
    cells = []
    for dn in BASE_DNS + [READER, SUFFIX, BASE]:
        entry = ENTRY.get(dn) or ({"objectClass": ["dcObject", "organization"], "dc": ["example"],
                                   "o": ["Example"]} if dn == SUFFIX else
                                  {"objectClass": ["organizationalUnit"], "ou": ["smpolicy"]})
        short = dn[:-len(SUFFIX) - 1] if dn != SUFFIX else dn
        g = lambda a, op, v: granted(table, env, ident, dn, entry, a, op, v)  # noqa: E731
        for a in attrs_of(entry, classes):
            TRIED.add(a)
            have = entry.get(a, [])
            single = schema[a]["single"]
            for v in candidates(a, ident, schema):
                if v in have:
                    continue
                ok = g(a, "add", v)
                cells.append(Cell(ident, f"{short}: add {a}: {v}", mod_ldif(dn, "add", a, [v]), ok,
                                  19 if single and have else 0, restore=[dn]))
            if not have:
                continue
            v = candidates(a, ident, schema)[0]
            ok = g(a, "delete", None) and g(a, "add", v)
            cells.append(Cell(ident, f"{short}: replace {a}: {v}", mod_ldif(dn, "replace", a, [v]),
                              ok, restore=[dn]))
            ok = g(a, "delete", have[0])
            cells.append(Cell(ident, f"{short}: delete {a}: {have[0]}",
                              mod_ldif(dn, "delete", a, [have[0]]), ok, restore=[dn]))
            ok = g(a, "delete", None)
            cells.append(Cell(ident, f"{short}: delete {a}", mod_ldif(dn, "delete", a, []), ok,
                              restore=[dn]))
        if dn in (SUFFIX, BASE):
            continue   # never removed or renamed, even by mistake of the table
        ok = g("entry", "delete", None) and granted(table, env, ident, parent(dn),
                                                     {}, "children", "delete", None)
        cells.append(Cell(ident, f"{short}: delete the entry",
                          f"dn: {dn}\nchangetype: delete\n", ok, restore=[dn]))
        rdn_attr = dn.split("=", 1)[0]
        cells.append(Cell(ident, f"{short}: rename", f"dn: {dn}\nchangetype: modrdn\n"
                          f"newrdn: {rdn_attr}=renamed-{ident}\ndeleteoldrdn: 1\n", False))
        dest = f"ou=accounts,{BASE}" if "ou=accounts" not in dn else f"ou=approvals,{BASE}"
        cells.append(Cell(ident, f"{short}: move under {dest.split(',')[0]}",
                          f"dn: {dn}\nchangetype: modrdn\nnewrdn: {dn.split(',')[0]}\n"
                          f"deleteoldrdn: 0\nnewsuperior: {dest}\n", False))
    return cells


def templates(ident):
    """A new entry of each kind, as its rightful author would write it."""
    uid = ident if ident not in ("anonymous", "reader") else "nobody"
    n = f"new-{ident}"
    return [
        approval(f"LT-{n}", smpStaff="w1", smpKind="long_term", smpPlatforms="facebook",
                 smpRequestedBy=uid, smpRequested="2026-11-10"),
        approval(f"UB-{n}", smpStaff="w1", smpKind="limited", smpPlatforms="facebook",
                 smpTicket="UB-9", smpRequestedBy=uid, smpRequested="2026-11-10",
                 smpExpires="2026-12-10"),
        rec(f"2026111000000{ident}Z-00", "ou=audit", "smpAuditRecord",
            smpAuditWhen="2026-11-10T00:00:00Z", smpAuditLine="a line"),
        rec(n, "ou=accounts", "smpPolicyAccount", smpPlatform="facebook", smpHolder="w1",
            smpSupervisor=uid),
        rec(n, "ou=offices", "smpPolicyOffice", smpKind="local"),
        rec(n, "ou=platforms", "smpPolicyPlatform"),
        rec(n, "ou=devices", "smpPolicyDevice"),
        (f"uid={n},ou=staff,{BASE}", {"objectClass": ["inetOrgPerson", "smpPolicyStaff"],
                                      "uid": [n], "cn": [n], "sn": [n]}),
        rec(n, None, "smpPolicySettings"),
        (f"ou={n},{BASE}", {"objectClass": ["organizationalUnit"], "ou": [n]}),
        (f"ou={n},{SUFFIX}", {"objectClass": ["organizationalUnit"], "ou": [n]}),
    ]


def entry_allowed(table, env, ident, dn, entry):
    up = parent(dn)
    if not granted(table, env, ident, up, ENTRY.get(up, {}), "children", "add", None):
        return False
    if not granted(table, env, ident, dn, entry, "entry", "add", None):
        return False
    return all(granted(table, env, ident, dn, entry, a, "add", v)
               for a, vs in entry.items() for v in vs)


def add_cells(table, schema, classes, env, ident):
    cells = []
    for dn, tmpl in templates(ident):
        short = dn[:-len(BASE) - 1] if dn.endswith("," + BASE) else dn
        variants = [("as its author writes it", tmpl)]
        for a in attrs_of(tmpl, classes):
            if a == "userPassword" and not any("userPassword" in classes.get(oc, [])
                                               for oc in tmpl["objectClass"]):
                continue   # the schema refuses it first (objectClassViolation)
            for v in candidates(a, ident, schema):
                e = {k: list(vs) for k, vs in tmpl.items()}
                if schema[a]["single"] or a not in e:
                    e[a] = [v]
                elif v not in e[a]:
                    e[a].append(v)
                else:
                    continue
                if e != tmpl:
                    variants.append((f"carrying {a}: {v}", e))
        rdn_attr, rest = dn.split("=", 1)
        rdn_value, tail = rest.split(",", 1)
        for k, (what, e) in enumerate(variants):
            # a DN of its own: a cell wrongly allowed cannot shadow the next
            name = f"{rdn_value}-{k}"
            e[rdn_attr] = [name if v == rdn_value else v for v in e[rdn_attr]]
            new = f"{rdn_attr}={name},{tail}"
            ok = entry_allowed(table, env, ident, new, e)
            cells.append(Cell(ident, f"add {short} {what}", entry_ldif(new, e), ok, new_dn=new))
    return cells


def audit_ou_cells(table, env, ident):
    dn = f"ou=audit,{BASE}"
    out = []
    for what, e in (("as the first record command writes it",
                     {"objectClass": ["organizationalUnit"], "ou": ["audit"]}),
                    ("carrying a description", {"objectClass": ["organizationalUnit"],
                                                "ou": ["audit"], "description": ["x"]}),
                    ("carrying another ou value", {"objectClass": ["organizationalUnit"],
                                                   "ou": ["audit", "other"]}),
                    ("as an extensibleObject", {"objectClass": ["organizationalUnit",
                                                                "extensibleObject"],
                                                "ou": ["audit"]})):
        ok = entry_allowed(table, env, ident, dn, e)
        out.append(Cell(ident, f"add ou=audit {what}", entry_ldif(dn, e), ok, new_dn=dn))
    return out


# ---- running them -------------------------------------------------------------

def bind_args(ident, env):
    if ident == "anonymous":
        return []
    if ident == "reader":
        return ["-D", env["READER_DN"], "-w", env["READER_PW"]]
    return ["-D", dn_of(ident, env), "-w", "pw-" + ident]


def norm(text):
    lines, out = text.split("\n"), []
    for ln in lines:
        if ln.startswith(" ") and out:
            out[-1] += ln[1:]
        elif ln and ln != "-" and not ln.startswith("#"):
            out.append(ln)
    return "\n".join(out)


def run_batch(env, ident, cells, tmp):
    rej = os.path.join(tmp, "rejects.ldif")
    if os.path.exists(rej):
        os.unlink(rej)
    text = "\n".join(c.ldif for c in cells)
    r = subprocess.run(["ldapmodify", "-x", "-c", "-H", env["LDAP_URI"], "-S", rej,
                        *bind_args(ident, env)], input=text, capture_output=True, text=True)
    rejected = []
    if os.path.exists(rej):
        with open(rej, encoding="utf-8") as f:
            for block in f.read().split("\n\n"):
                m = re.search(r"# Error: .*?\((\d+)\)", block)
                if m:
                    rejected.append((int(m.group(1)), norm(block)))
    i = 0
    for c in cells:
        if i < len(rejected) and rejected[i][1] == norm(c.ldif):
            c.got = rejected[i][0]
            i += 1
        else:
            c.got = 0
    if i != len(rejected):
        raise SystemExit(f"Bail out! cannot match ldapmodify's rejects to the cells "
                         f"({i} of {len(rejected)}): {r.stderr[-500:]}")


def root(env, text):
    return subprocess.run(["ldapmodify", "-x", "-c", "-H", env["LDAP_URI"], "-D", env["ROOT_DN"],
                           "-w", env["ROOT_PW"]], input=text, capture_output=True, text=True)


def search(env, base, *args, bind=None, scope="sub"):
    r = subprocess.run(["ldapsearch", "-x", "-LLL", "-o", "ldif-wrap=no", "-H", env["LDAP_URI"],
                        *(bind or ["-D", env["ROOT_DN"], "-w", env["ROOT_PW"]]),
                        "-s", scope, "-b", base, *args], capture_output=True, text=True)
    return ldaptest.parse_ldif(r.stdout) if r.returncode in (0, 32) else None


def restore_entry(env, dn):
    root(env, f"dn: {dn}\nchangetype: delete\n\n" + entry_ldif(dn, ENTRY[dn]))


def restore_all(env):
    """The whole baseline again, whatever happened."""
    now = search(env, BASE, "1.1") or []
    dns = sorted((d for d, _ in now if d.lower() != BASE.lower()), key=lambda d: -d.count(","))
    text = "".join(f"dn: {d}\nchangetype: delete\n\n" for d in dns)
    text += "\n".join(entry_ldif(d, ENTRY[d]) for d in BASE_DNS + [READER])
    root(env, text)


def snapshot(env):
    return sorted((d.lower(), sorted((k.lower(), sorted(v)) for k, v in a.items()
                                     if k not in ("entryCSN", "modifyTimestamp", "modifiersName")))
                  for d, a in (search(env, SUFFIX, "*") or []))


# ---- TAP ----------------------------------------------------------------------

class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, what, diag=()):
        self.n += 1
        print(f"{'ok' if cond else 'not ok'} {self.n} - {what}")
        if not cond:
            self.failed += 1
            for d in diag:
                print("# " + d)
        sys.stdout.flush()


def main():
    tap = Tap()
    table = read_table(os.path.join(TOP, "ldap/access-matrix.tsv"))
    schema, classes = read_schema()
    with open(os.path.join(TOP, "ldap/access-matrix.tsv"), encoding="utf-8") as f:
        tsv = f.read()
    with open(os.path.join(TOP, "ldap/README.md"), encoding="utf-8") as f:
        readme = f.read()
    tap.ok(tsv.strip() in readme, "ldap/README.md shows ldap/access-matrix.tsv verbatim")
    os.environ["SLAPD_SCHEMA_ONLINE"] = "1"
    with tempfile.TemporaryDirectory(prefix="smp-matrix-") as tmp, ldaptest.Slapd(tmp) as s:
        env = s.env
        r = subprocess.run(["ldapsearch", "-Q", "-LLL", "-Y", "EXTERNAL", "-H", env["LDAPI_URI"],
                            "-b", "olcDatabase={1}mdb,cn=config", "-s", "base", "olcAddContentAcl"],
                           capture_output=True, text=True)
        tap.ok("olcAddContentAcl: TRUE" in r.stdout, "access.ldif turned olcAddContentAcl on")
        text = "\n".join(entry_ldif(d, ENTRY[d], False) for d in BASE_DNS)
        r = s.ldap("ldapadd", stdin=text.encode())
        tap.ok(r.returncode == 0, "the root DN loads the baseline", [r.stderr.decode()[-300:]])
        # the reader as slapd.sh made it, hashed secret and all, so that a
        # restore gives it back byte for byte
        got = search(env, READER, "*", scope="base") or []
        if got:
            ENTRY[READER] = {k: v for k, v in got[0][1].items()}
        base_snap = snapshot(env)
        totals = {"tried": 0, "allowed": 0, "refused": 0, "single": 0}

        def account(cells):
            for c in cells:
                totals["tried"] += 1
                totals["allowed" if c.got == 0 else "single" if c.got == 19 else "refused"] += 1

        for ident in IDENTITIES:
            cells = modify_cells(table, schema, classes, env, ident) + \
                add_cells(table, schema, classes, env, ident)
            refused = [c for c in cells if not c.allowed]
            allowed = [c for c in cells if c.allowed]
            run_batch(env, ident, refused, tmp)
            if any(c.got == 0 for c in refused):
                restore_all(env)
            for c in allowed:
                run_batch(env, ident, [c], tmp)
                if c.got == 0:
                    for dn in c.restore:
                        restore_entry(env, dn)
                    if c.new_dn:
                        root(env, f"dn: {c.new_dn}\nchangetype: delete\n")
            account(cells)
            bad = [c for c in cells if c.got != c.want]
            tap.ok(not bad, f"{WHO_IS[ident]} ({ident}): {len(cells)} cells, "
                   f"{len(allowed)} allowed by the table, the rest refused",
                   [f"{c.what}: want {c.want}, got {c.got}" for c in bad[:40]] +
                   ([f"... and {len(bad) - 40} more"] if len(bad) > 40 else []))
            if VERBOSE:
                for c in allowed:
                    print(f"#   allowed: {c.what} ({c.got})")
        tap.ok(snapshot(env) == base_snap, "the directory is back to its baseline")
        smp = {a for a in schema if a.startswith("smp")}
        missing = sorted(smp - TRIED)
        tap.ok(len(smp) >= 40 and not missing and
               {"smpPolicyApproval", "smpAuditRecord", "smpPolicyStaff"} <= set(classes),
               f"every attribute of ldap/smpolicy.schema was tried ({len(smp)}, in "
               f"{sum(c.startswith('smp') for c in classes)} classes), and objectClass, "
               "the RDNs, userPassword", missing)

        # ou=audit itself, when it is missing (the first record command makes it)
        audit = f"ou=audit,{BASE}"
        root(env, f"dn: cn={AUDIT_CN},{audit}\nchangetype: delete\n\n"
             f"dn: {audit}\nchangetype: delete\n")
        cells = []
        for ident in IDENTITIES:
            for c in audit_ou_cells(table, env, ident):
                run_batch(env, ident, [c], tmp)
                if c.got == 0:
                    root(env, f"dn: {audit}\nchangetype: delete\n")
                cells.append(c)
        account(cells)
        bad = [c for c in cells if c.got != c.want]
        tap.ok(not bad, f"ou=audit, while missing: {len(cells)} cells "
               f"({sum(c.allowed for c in cells)} allowed by the table)",
               [f"{c.ident}: {c.what}: want {c.want}, got {c.got}" for c in bad])
        restore_all(env)

        # reading: every identity, every entry, every attribute
        bad, n = [], 0
        for ident in IDENTITIES:
            got = {d.lower(): a for d, a in (search(env, SUFFIX, "*", bind=bind_args(ident, env)
                                                    or ["-x"]) or [])}
            for dn in BASE_DNS + [READER]:
                entry = ENTRY[dn]
                for a, vs in entry.items():
                    n += 1
                    want = granted(table, env, ident, dn, entry, a, "read", None)
                    seen = a in got.get(dn.lower(), {})
                    if want != seen:
                        bad.append(f"{ident} reads {a} of {dn}: want {want}, got {seen}")
        totals["tried"] += n
        tap.ok(not bad, f"reading: {n} cells (identity x entry x attribute)", bad[:40])
        csn = search(env, SUFFIX, "contextCSN", bind=bind_args("reader", env), scope="base") or []
        tap.ok(any("contextCSN" in a for _, a in csn), "the reader reads the suffix's contextCSN")

        named_attacks(tap, env)
        tap.ok(snapshot(env) == base_snap,
               "the directory is back to its baseline after the attacks")
        print(f"# cells tried {totals['tried']} (reads included), writes allowed "
              f"{totals['allowed']}, writes refused by the rules {totals['refused']}, "
              f"allowed by the rules but refused by SINGLE-VALUE {totals['single']}")
    print(f"1..{tap.n}")
    return 1 if tap.failed else 0


# ---- the attacks found, by name ---------------------------------------------------

def attempt(env, ident, ldif, pw=None, keep=False, controls=()):
    """The result code; what an attack changed is undone (unless keep), so
    that each named case starts from the baseline even when one fails.
    controls: ldapmodify -e arguments (a leading ! marks one critical)."""
    args = bind_args(ident, env) if pw is None else ["-D", ident, "-w", pw]
    for c in controls:
        args += ["-e", c]
    r = subprocess.run(["ldapmodify", "-x", "-H", env["LDAP_URI"], *args], input=ldif,
                       capture_output=True, text=True)
    if r.returncode == 0 and not keep:
        restore_all(env)
    return r.returncode


def modify(dn, *changes):
    """An LDIF modify of dn: changes are (op, attr, [values])."""
    parts = [f"{op}: {attr}\n" + "".join(f"{attr}: {v}\n" for v in vals)
             for op, attr, vals in changes]
    return f"dn: {dn}\nchangetype: modify\n" + "-\n".join(parts)


def sign(aid, kind, by, on="2026-11-20"):
    return modify(f"cn={aid},ou=approvals,{BASE}", ("add", f"smpApproved{kind}By", [by]),
                  ("add", f"smpApproved{kind}On", [on]))


def named_attacks(tap, env):
    def case(ident, ldif, want, what, **kw):
        rc = attempt(env, ident, ldif, **kw)
        tap.ok(rc == want, f"{what} (want {want}, got {rc})")
        return rc

    fake = f"uid=fake,ou=audit,{BASE}"
    rc = case("w1", f"dn: {fake}\nchangetype: add\nobjectClass: inetOrgPerson\n"
              "objectClass: smpPolicyStaff\nuid: fake\ncn: fake\nsn: fake\n"
              "smpRoles: director_cpp\nsmpRoles: director_it\nuserPassword: pw-fake\n",
              50, "a worker cannot mint a director under ou=audit", keep=True)
    case(fake, sign("LT-req", "Cpp", "dcpp"), 49, "... nor then sign as it: it cannot bind",
         pw="pw-fake")
    if rc == 0:
        restore_all(env)
    for extra in ("objectClass: extensibleObject\n", ""):
        rc = attempt(env, "w1", f"dn: cn=forged,ou=audit,{BASE}\nchangetype: add\n"
                     f"objectClass: smpAuditRecord\n{extra}cn: forged\nsmpAuditLine: x\n"
                     "userPassword: pw\n")
        tap.ok(rc in (50, 65), f"an audit record cannot carry a userPassword "
               f"({extra.strip() or 'the schema refuses it first'}; want 50 or 65, got {rc})")
    unrevoke = modify(f"cn=LT-revoked,ou=approvals,{BASE}", ("delete", "smpRevokedOn", []),
                      ("delete", "smpRevokedBy", []), ("delete", "smpRevokedReason", []))
    case("lomc", unrevoke, 50, "camden's manager cannot un-revoke an essex approval")
    case("lom", unrevoke, 50, "essex's own manager cannot un-revoke either")
    signed = f"cn=LT-signed,ou=approvals,{BASE}"
    case("dcpp", modify(signed, ("replace", "smpApprovedCppOn", ["2025-01-01"])), 50,
         "a director cannot back-date their sign-off")
    case("dcpp", modify(signed, ("delete", "smpApprovedCppOn", []),
                        ("add", "smpApprovedCppOn", ["2025-01-01"])), 50,
         "... nor by a delete and an add in one modify")
    case("dcpp", modify(f"cn=LT-revoked,ou=approvals,{BASE}",
                        ("replace", "smpRevokedOn", ["2099-01-01"])), 50,
         "a director cannot postpone a revocation")
    case("dcpp", sign("LT-req", "Cpp", "dcpp2"), 50,
         "a director cannot sign in another director's name")
    case("dit", sign("LT-req", "It", "dcpp"), 50, "director_it cannot sign as director_cpp's uid")
    case("dcpp", modify(f"cn=LT-req,ou=approvals,{BASE}",
                        ("add", "smpApprovedCppBy", ["dit] | user/uid | [dcpp"])), 50,
         "a By value cannot carry set syntax into the rule's set")
    case("w1", modify(f"cn={AUDIT_CN},ou=audit,{BASE}", ("add", "cn", [f"x] | [{AUDIT_CN}"])), 50,
         "nor an audit record's cn")
    case("dcpp", sign("LT-dcpp", "Cpp", "dcpp"), 50, "a director cannot sign their own approval")
    req = (f"dn: cn=LT-x,ou=approvals,{BASE}\nchangetype: add\nobjectClass: smpPolicyApproval\n"
           "cn: LT-x\nsmpStaff: w1\nsmpKind: long_term\nsmpPlatforms: facebook\n"
           "smpRequested: 2026-11-20\n")
    case("lomc", req + "smpRequestedBy: lomc\n", 50,
         "a manager cannot request for another office's staff")
    case("lom", req + "smpRequestedBy: lomc\n", 50,
         "a manager cannot request in another manager's name")
    case("lom", req + "smpRequestedBy: lom\nsmpApprovedCppBy: dcpp\nsmpApprovedCppOn: 2026-11-20\n",
         50, "a request cannot carry a sign-off")
    case("lom", req + "smpRequestedBy: lom\n", 0,
         "... while the same request, unsigned, in the manager's name, is added", keep=True)
    root(env, f"dn: cn=LT-x,ou=approvals,{BASE}\nchangetype: delete\n")
    case("dcpp", sign("LT-req", "Cpp", "dcpp"), 0,
         "director_cpp signs another's approval in their own name", keep=True)
    case("dcpp", modify(f"cn=LT-req,ou=approvals,{BASE}",
                        ("add", "smpApprovedCppOn", ["2025-01-01"])), 19, "... once: a second date is a constraint violation")
    restore_entry(env, f"cn=LT-req,ou=approvals,{BASE}")

    # Controls that change whose rights count or which checks run: none
    # lends a writer rights it lacks.  Proxied authorization is refused by
    # slapd's default authz-policy (123); relax and manageDSAit need the
    # manage privilege, which no rule grants (50).
    dcpp_dn = dn_of("dcpp", env)
    case("w1", sign("LT-req", "Cpp", "dcpp"), 123,
         "a worker cannot sign as director_cpp through proxied authorization",
         controls=(f"!authzid=dn:{dcpp_dn}",))
    case("dcpp", modify(signed, ("replace", "smpApprovedCppOn", ["2025-01-01"])), 50,
         "the relax control does not let a director back-date a sign-off", controls=("!relax",))
    case("lom", modify(f"cn=LT-revoked,ou=approvals,{BASE}", ("delete", "smpRevokedOn", [])), 50,
         "manageDSAit does not let a manager un-revoke", controls=("!manageDSAit",))
    case("lom", req.replace("objectClass: smpPolicyApproval\n",
                            "objectClass: smpPolicyApproval\nobjectClass: smpPolicyStaff\n")
         + "smpRequestedBy: lom\nsmpRoles: director_cpp\n", 50,
         "a request cannot carry the staff class and a director's role")
    case("lom", modify(dn_of("lom", env), ("add", "smpRoles", ["director_cpp"])), 50,
         "a manager cannot give themselves a director's role")


if __name__ == "__main__":
    sys.exit(main())
