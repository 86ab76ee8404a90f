"""ldaptest.py - what the directory tests share: the table of ldap_map.c,
an independent reader of the libconfig files (so that the export is checked
against the files, not against the library's own reading of them), an LDIF
reader, and the throwaway slapd of slapd.sh as a context manager.

Python 3 standard library only.
"""
import base64
import os
import re
import signal
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, "..", ".."))


# ---- ldap_map.c ----------------------------------------------------------

def ldap_map(top=TOP):
    """(tables, kinds): tables {name: [(key, attr, type)]}, kinds [(list, file,
    container, rdn, oc, table)] in the order of ldap_kinds[]."""
    with open(os.path.join(top, "libsmpolicy/sources/ldap_map.c"), encoding="utf-8") as f:
        src = f.read()
    tables = {}
    for m in re.finditer(r"ldap_attr (\w+)\[\] = \{(.*?)\n\};", src, re.S):
        tables[m.group(1)] = re.findall(r'\{ "([^"]+)", "(\w+)", (LV_\w+) \}', m.group(2))
    kinds = re.findall(r'\{ "(\w+)", "(\w+)", "([^"]+)", "(\w+)", "(\w+)", (\w+) \}', src)
    return tables, kinds


# ---- libconfig, as far as smpolicy.conf(5) uses it ----------------------

class Config:
    """parse(text) -> dict; lists and arrays are Python lists, groups dicts."""
    TOKEN = re.compile(r'''
        (?P<ws>[ \t\r\n]+|\#[^\n]*|//[^\n]*|/\*.*?\*/)
      | (?P<str>"(?:[^"\\]|\\.)*")
      | (?P<bool>(?i:true|false)\b)
      | (?P<num>[-+]?(?:0[xX][0-9a-fA-F]+|[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?)L{0,2})
      | (?P<name>[A-Za-z*][-A-Za-z0-9_*]*)
      | (?P<punct>[=:;,{}\[\]()])
    ''', re.S | re.X)

    def __init__(self, text):
        self.toks = []
        pos = 0
        while pos < len(text):
            m = self.TOKEN.match(text, pos)
            if not m:
                raise ValueError(f"libconfig: cannot read at {text[pos:pos + 20]!r}")
            pos = m.end()
            if m.lastgroup != "ws":
                self.toks.append((m.lastgroup, m.group()))
        self.i = 0

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else (None, None)

    def take(self, want=None):
        t = self.peek()
        if want is not None and t[1] != want:
            raise ValueError(f"libconfig: want {want!r}, got {t[1]!r}")
        self.i += 1
        return t

    @staticmethod
    def unquote(lit):
        """The bytes a string literal stands for (\\xNN is one byte), as text."""
        out, i, body = bytearray(), 0, lit[1:-1]
        while i < len(body):
            c = body[i]
            if c == "\\":
                n = body[i + 1]
                if n == "x":
                    out.append(int(body[i + 2:i + 4], 16))
                    i += 4
                    continue
                out += {"n": b"\n", "r": b"\r", "t": b"\t", "f": b"\f"}.get(
                    n, n.encode("utf-8", "surrogateescape"))
                i += 2
            else:
                out += c.encode("utf-8", "surrogateescape")
                i += 1
        return out.decode("utf-8", "surrogateescape")

    def value(self):
        kind, tok = self.take()
        if kind == "str":
            s = self.unquote(tok)
            while self.peek()[0] == "str":
                s += self.unquote(self.take()[1])
            return s
        if kind == "bool":
            return tok.lower() == "true"
        if kind == "num":
            t = tok.rstrip("L")
            return int(t, 0) if re.fullmatch(r"[-+]?(0[xX][0-9a-fA-F]+|[0-9]+)", t) else float(t)
        if tok == "{":
            g = self.settings("}")
            self.take("}")
            return g
        if tok in "[(":
            end = "]" if tok == "[" else ")"
            items = []
            while self.peek()[1] != end:
                items.append(self.value())
                if self.peek()[1] == ",":
                    self.take()
            self.take(end)
            return items
        raise ValueError(f"libconfig: unexpected {tok!r}")

    def settings(self, end):
        g = {}
        while self.peek()[1] not in (end, None):
            name = self.take()[1]
            self.take()  # = or :
            g[name] = self.value()
            if self.peek()[1] in (";", ","):
                self.take()
        return g

    @classmethod
    def parse(cls, text):
        c = cls(text)
        return c.settings(None)


def read_world(conf_path):
    """(settings tree, [records trees]) of a files world."""
    with open(conf_path, encoding="utf-8", errors="surrogateescape") as f:
        settings = Config.parse(f.read())
    folder = os.path.dirname(os.path.abspath(conf_path))
    records = []
    for r in settings.get("settings", {}).get("records", []):
        with open(os.path.join(folder, r), encoding="utf-8", errors="surrogateescape") as f:
            records.append(Config.parse(f.read()))
    return settings, records


def ldap_value(typ, v):
    if typ == "LV_BOOL":
        return ["TRUE" if v else "FALSE"]
    if typ == "LV_INT":
        return [str(v)]
    if typ == "LV_STRLIST":
        return list(v)
    return [v]


def expected_entries(conf_path, base, top=TOP):
    """[(dn-without-base-as-(rdn, value, container), {attr: [values]})] of
    the records, kind by kind in file order, as smpolicy-ldap(5) maps them."""
    tables, kinds = ldap_map(top)
    settings, records = read_world(conf_path)
    out = []
    st = {}
    for key, attr, typ in tables["ldap_settings_attrs"]:
        if key in settings.get("settings", {}):
            st[attr] = ldap_value(typ, settings["settings"][key])
    out.append((("cn", "settings", None), st))
    for lst, file, container, rdn, oc, table in kinds:
        trees = [settings] if file == "settings" else records
        for tree in trees:
            for rec in tree.get(lst, []):
                attrs = {}
                for key, attr, typ in tables[table]:
                    v = rec
                    for part in key.split("."):
                        v = v.get(part) if isinstance(v, dict) else None
                    if v is not None:
                        vals = ldap_value(typ, v)
                        if vals:
                            attrs[attr] = vals
                out.append(((rdn, rec["id"], container), attrs))
    return out


# ---- LDIF ----------------------------------------------------------------

def parse_ldif(text):
    """[(dn, {attr: [values]})] in order; attribute names as written."""
    lines, entries = [], []
    for raw in text.split("\n"):
        if raw.startswith(" ") and lines:
            lines[-1] += raw[1:]
        else:
            lines.append(raw)
    cur = None
    for ln in lines + [""]:
        if ln.startswith("#") or ln.startswith("version:"):
            continue
        if ln == "":
            if cur is not None:
                entries.append(cur)
                cur = None
            continue
        name, _, rest = ln.partition(":")
        if rest.startswith(":"):
            val = base64.b64decode(rest[1:].strip()).decode("utf-8", "surrogateescape")
        else:
            val = rest[1:] if rest.startswith(" ") else rest
        if name.lower() == "dn":
            cur = (val, {})
        else:
            cur[1].setdefault(name, []).append(val)
    return entries


# ---- the throwaway slapd -------------------------------------------------

class Slapd:
    """with Slapd(tmpdir) as s: s.env['LDAP_URI'] ...; stopped on the way
    out, whatever happens (and on SIGTERM/SIGINT)."""

    def __init__(self, folder):
        self.dir = os.path.join(folder, "slapd")
        self.env = {}

    def __enter__(self):
        def stop_and_exit(signum, _frame):
            self.stop()
            sys.exit(128 + signum)
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, stop_and_exit)
        r = subprocess.run([os.path.join(HERE, "slapd.sh"), "start", self.dir],
                           capture_output=True, text=True)
        if r.returncode != 0:
            self.stop()
            raise RuntimeError("slapd.sh start failed: " + r.stderr)
        with open(os.path.join(self.dir, "env"), encoding="utf-8") as f:
            for line in f:
                k, _, v = line.rstrip("\n").partition("=")
                self.env[k] = v.strip("'")
        return self

    def control(self, what):
        """slapd.sh stop, down or up of this instance."""
        return subprocess.run([os.path.join(HERE, "slapd.sh"), what, self.dir],
                              capture_output=True).returncode == 0

    def stop(self):
        self.control("stop")

    def slapadd(self, ldif):
        """Load ldif offline, as slapadd -n1 does; the server is down meanwhile."""
        if not self.control("down"):
            raise RuntimeError("slapd.sh down failed")
        r = subprocess.run(["slapadd", "-q", "-F", os.path.join(self.dir, "slapd.d"), "-n1"],
                           input=ldif, capture_output=True)
        if not self.control("up"):
            raise RuntimeError("slapd.sh up failed")
        return r

    def __exit__(self, *exc):
        self.stop()
        return False

    def ldap(self, tool, *args, bind="root", stdin=None):
        who = {"root": ["-D", self.env["ROOT_DN"], "-w", self.env["ROOT_PW"]],
               "reader": ["-D", self.env["READER_DN"], "-w", self.env["READER_PW"]]}[bind]
        return subprocess.run([tool, "-x", "-H", self.env["LDAP_URI"], *who, *args],
                              input=stdin, capture_output=True)


_STORE = None


def with_store(args):
    """args of an smpolicy command, with --store in a folder of this test
    run's for a sync (which writes the login store after a new copy) and a
    status (which reads it): a test never touches the system's
    /var/cache/smpolicy."""
    global _STORE
    args = list(args)
    if not args or args[0] not in ("sync", "status"):
        return args
    if _STORE is None:
        import atexit
        import shutil
        import tempfile
        _STORE = tempfile.mkdtemp(prefix="smp-store-")
        os.chmod(_STORE, 0o755)
        atexit.register(shutil.rmtree, _STORE, True)
    return args + ["--store", _STORE]
