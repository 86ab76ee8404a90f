#!/usr/bin/env python3
"""schema_check.py - ldap/smpolicy.schema and ldap/smpolicy.ldif define
exactly the attributes and object classes of libsmpolicy/sources/ldap_map.c,
with the syntax, matching rules and SINGLE-VALUE its types call for, and
both files say the same thing.  With slaptest installed, the slapd.conf form
is also loaded by slapd itself.  TAP output.

usage: schema_check.py [SOURCE_ROOT]
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ldaptest import ldap_map  # noqa: E402

TOP = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
SYNTAX = {
    "LV_BOOL": "1.3.6.1.4.1.1466.115.121.1.7",
    "LV_INT": "1.3.6.1.4.1.1466.115.121.1.27",
    "LV_STR": "1.3.6.1.4.1.1466.115.121.1.15",
    "LV_STRLIST": "1.3.6.1.4.1.1466.115.121.1.15",
    "LV_TIME": "1.3.6.1.4.1.1466.115.121.1.15",
}
EQUALITY = {"LV_BOOL": "booleanMatch", "LV_INT": "integerMatch"}  # else caseExactMatch
ORDERING = {"LV_INT": "integerOrderingMatch", "LV_TIME": "caseExactOrderingMatch"}

results = []


def ok(cond, what, detail=""):
    results.append((bool(cond), what, detail))


def read(rel):
    with open(os.path.join(TOP, rel), encoding="utf-8") as f:
        return f.read()


def parse_map():
    """(attrs: {attr: type}, classes: {oc: set of attrs}, kinds)"""
    tables, kinds = ldap_map(TOP)
    attrs, classes = {}, {}
    for rows in tables.values():
        for _key, attr, typ in rows:
            ok(attrs.setdefault(attr, typ) == typ, f"ldap_map.c: {attr} has one type",
               f"{attrs[attr]} and {typ}")
    for _list, _file, _cont, _rdn, oc, table in kinds:
        classes[oc] = {a for _k, a, _t in tables[table]}
    classes["smpPolicySettings"] = {a for _k, a, _t in tables["ldap_settings_attrs"]}
    # what the record commands keep beside the records
    classes["smpPolicyOffice"] |= {a for _k, a, _t in tables["ldap_office_revision_attrs"]}
    classes["smpPolicyApproval"] |= {a for _k, a, _t in tables["ldap_approval_fence_attrs"]}
    classes["smpAuditRecord"] = {a for _k, a, _t in tables["ldap_audit_attrs"]}
    return attrs, classes, kinds


def balanced(text, start):
    """The text from the "(" at start to its matching ")"."""
    depth = 0
    for i in range(start, len(text)):
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        if depth == 0:
            return text[start:i + 1]
    return text[start:]


def definitions(text):
    """The '( ... )' bodies of attribute types and object classes in text,
    and the OID macros."""
    ats, ocs, oids = [], [], {}
    text = re.sub(r"\n[ \t]+", " ", text)   # both forms continue a line with white space
    for m in re.finditer(r"(?im)^(attributetype|objectclass|olcAttributeTypes:|olcObjectClasses:)"
                         r"\s*(?:\{\d+\})?\s*\(", text):
        body = " ".join(balanced(text, m.end() - 1).split())
        (ocs if "objectclass" in m.group(1).lower() else ats).append(body)
    for name, oid in re.findall(r"(?im)^(?:objectidentifier|olcObjectIdentifier:\s*(?:\{\d+\})?)"
                                r"\s*(\w+)\s+(\S+)\s*$", text):
        oids[name] = oid
    return ats, ocs, oids


def field(body, name):
    m = re.search(r"\b" + name + r"\s+(\(.*?\)|'[^']*'|\S+)", body)
    if not m:
        return None
    v = m.group(1).strip("'")
    if v.startswith("("):
        return {x.strip() for x in v[1:-1].split("$")}
    return v


def parse_schema(text):
    ats, ocs, oids = definitions(text)
    out_at, out_oc = {}, {}
    for b in ats:
        name = field(b, "NAME")
        out_at[name] = {
            "oid": b[1:].split()[0], "syntax": field(b, "SYNTAX"),
            "equality": field(b, "EQUALITY"), "ordering": field(b, "ORDERING"),
            "substr": field(b, "SUBSTR"), "single": "SINGLE-VALUE" in b.split(),
        }
    for b in ocs:
        name = field(b, "NAME")
        kind = next((k for k in ("STRUCTURAL", "AUXILIARY", "ABSTRACT") if k in b.split()), None)
        may = field(b, "MAY") or set()
        must = field(b, "MUST") or set()
        out_oc[name] = {"oid": b[1:].split()[0], "kind": kind, "sup": field(b, "SUP"),
                        "may": may if isinstance(may, set) else {may},
                        "must": must if isinstance(must, set) else {must}}
    return out_at, out_oc, oids


def ok_same(got, want, what):
    got, want = set(got), set(want)
    ok(got == want, what, f"missing {sorted(want - got)}, extra {sorted(got - want)}")


def check(label, text, attrs, classes):
    at, oc, oids = parse_schema(text)
    ok_same(at, attrs, f"{label}: the attributes of ldap_map.c, no more, no fewer")
    for a, typ in sorted(attrs.items()):
        d = at.get(a)
        if d is None:
            continue
        want_eq = EQUALITY.get(typ, "caseExactMatch")
        good = (d["syntax"] == SYNTAX[typ] and d["equality"] == want_eq
                and d["ordering"] == ORDERING.get(typ)
                and d["single"] == (typ != "LV_STRLIST"))
        ok(good, f"{label}: {a} ({typ}) has its syntax, matching rules and multiplicity", str(d))
    ok_same(oc, classes, f"{label}: the object classes of ldap_map.c")
    for name, want in sorted(classes.items()):
        d = oc.get(name)
        if d is None:
            continue
        aux = name == "smpPolicyStaff"
        ok_same(d["may"], want, f"{label}: {name} MAY exactly its attributes")
        ok(d["kind"] == ("AUXILIARY" if aux else "STRUCTURAL") and d["sup"] == "top",
           f"{label}: {name} is {'AUXILIARY' if aux else 'STRUCTURAL'}, SUP top", str(d))
        ok(d["must"] == (set() if aux else {"cn"}), f"{label}: {name} MUST "
           + ("nothing" if aux else "cn"), str(d["must"]))
    all_oids = [d["oid"] for d in at.values()] + [d["oid"] for d in oc.values()]
    ok(len(all_oids) == len(set(all_oids)), f"{label}: every OID is distinct")
    ok(oids.get("smpRoot", "").startswith("1.3.6.1.4.1."),
       f"{label}: smpRoot names a Private Enterprise Number arc", str(oids))
    return at, oc, oids


def slaptest():
    exe = shutil.which("slaptest") or ("/usr/sbin/slaptest" if os.path.exists("/usr/sbin/slaptest") else None)
    if exe is None or not os.path.exists("/etc/ldap/schema/core.schema"):
        results.append((True, "slaptest loads ldap/smpolicy.schema # SKIP no slaptest", ""))
        return
    with tempfile.TemporaryDirectory() as d:
        conf = os.path.join(d, "slapd.conf")
        with open(conf, "w") as f:
            for s in ("core", "cosine", "inetorgperson"):
                f.write(f"include /etc/ldap/schema/{s}.schema\n")
            f.write(f"include {os.path.abspath(os.path.join(TOP, 'ldap/smpolicy.schema'))}\n")
        p = subprocess.run([exe, "-u", "-f", conf], capture_output=True, text=True)
        ok(p.returncode == 0, "slaptest loads ldap/smpolicy.schema", p.stderr)


def main():
    attrs, classes, kinds = parse_map()
    ok(len(attrs) > 30 and len(kinds) == 6, "ldap_map.c parsed", f"{len(attrs)} attrs, {len(kinds)} kinds")
    a1 = check("smpolicy.schema", read("ldap/smpolicy.schema"), attrs, classes)
    a2 = check("smpolicy.ldif", read("ldap/smpolicy.ldif"), attrs, classes)
    ok(a1 == a2, "smpolicy.schema and smpolicy.ldif define the same things")
    ok(re.search(r"(?m)^dn: cn=smpolicy,cn=schema,cn=config$", read("ldap/smpolicy.ldif")),
       "smpolicy.ldif is cn=smpolicy,cn=schema,cn=config")
    slaptest()
    for i, (good, what, detail) in enumerate(results, 1):
        print(f"{'ok' if good else 'not ok'} {i} - {what}")
        if not good and detail:
            print("# " + detail.replace("\n", "\n# "))
    print(f"1..{len(results)}")
    return 0 if all(g for g, _w, _d in results) else 1


if __name__ == "__main__":
    sys.exit(main())
