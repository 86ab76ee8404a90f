#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
run.py - the CLI regress runner of libsmpolicy (in the manner of sudo's
regress tests): run `smpolicy` against a world of files copied into a fresh
temporary folder and compare stdout, stderr and the exit status exactly with
the expected files of the case.  Emits TAP, one or more lines per case.

    run.py --exe SMPOLICY CASE_DIR...     run these cases
    run.py --exe SMPOLICY --suite DIR     every case folder in DIR (cases/ or
                                          faults/), several at a time
    run.py --exe SMPOLICY --all           both suites
    run.py --exe SMPOLICY --regen CASE_DIR...
                                          rewrite the expected files from what
                                          the command prints now (never for a
                                          case with a `bug` file): READ them
                                          before committing

See README.md beside this file for the layout of a case.
"""
import concurrent.futures
import difflib
import os
import pwd
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SRCROOT = os.path.dirname(os.path.dirname(HERE))
WORLDS = os.path.join(HERE, "worlds")

# Fixed for every case, so that no host setting leaks into an output.
REF_TZ = "America/New_York"
# The same rules as a POSIX TZ string, for a host without tzdata.
REF_TZ_POSIX = "EST5EDT,M3.2.0,M11.1.0"

# The request `faults/` cases decide (it must be ALLOW on the valid world:
# see cases/small-decide-fault-probe-allow).
FAULT_DECIDE = ["decide", "--user", "w1", "--platform", "facebook", "--device", "ws-1",
                "--at", "2026-11-25T10:00"]


class CaseError(Exception):
    """A case folder that is itself wrong (not a failure of smpolicy)."""


class Skip(Exception):
    pass


def is_root():
    return os.geteuid() == 0


def read_text(path):
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "surrogateescape")


def write_text(path, text):
    with open(path, "wb") as f:
        f.write(text.encode("utf-8", "surrogateescape"))


# ---- building the world ---------------------------------------------------

def base_world(case):
    """The folder the case's world starts from."""
    p = os.path.join(case, "world")
    name = read_text(p).strip() if os.path.exists(p) else "small"
    if name == "none":
        return None
    path = os.path.join(SRCROOT, name) if "/" in name else os.path.join(WORLDS, name)
    if not os.path.isdir(path):
        raise CaseError("world '%s' not found (%s)" % (name, path))
    return path


def copy_into(src, dst):
    for name in sorted(os.listdir(src)):
        s = os.path.join(src, name)
        if os.path.isfile(s) and not os.path.islink(s) and not name.endswith(".md"):
            shutil.copyfile(s, os.path.join(dst, name))
            os.chmod(os.path.join(dst, name), 0o644)


def parse_edits(case):
    """The edits file: a list of operations (see README.md)."""
    path = os.path.join(case, "edits")
    ops = []
    if not os.path.exists(path):
        return ops
    cur_file = None
    hunk = None   # [file, old_lines, new_lines]
    for n, raw in enumerate(read_text(path).split("\n"), 1):
        line = raw
        if line.startswith("- ") or line == "-":
            if cur_file is None:
                raise CaseError("edits:%d: '-' before any 'edit FILE'" % n)
            if hunk is None or hunk[0] != "replace" or hunk[3]:
                hunk = ["replace", cur_file, [], [], n]
                ops.append(hunk)
            hunk[2].append(line[2:])
            continue
        if line.startswith("+ ") or line == "+":
            if hunk is None:
                raise CaseError("edits:%d: '+' without a '-' before it" % n)
            hunk[3].append(line[2:])
            continue
        if hunk is not None and hunk[0] == "replace" and not hunk[3]:
            hunk[3] = None   # a hunk with no '+': delete the text
        hunk = None
        words = line.split(None, 2)
        if not words or words[0].startswith("#"):
            continue
        if words[0] == "edit" and len(words) == 2:
            cur_file = words[1]
        elif words[0] == "append" and len(words) == 2:
            cur_file = words[1]
            hunk = ["append", cur_file, [""], [], n]
            ops.append(hunk)
        elif words[0] in ("chmod", "chown") and len(words) == 3:
            ops.append([words[0], words[1], words[2], None, n])
        elif words[0] == "remove" and len(words) == 2:
            ops.append(["remove", words[1], None, None, n])
        elif words[0] == "error" and len(words) >= 2:
            ops.append(["error", words[1], words[2] if len(words) == 3 else None, None, n])
        else:
            raise CaseError("edits:%d: cannot read '%s'" % (n, line))
    if hunk is not None and hunk[0] == "replace" and not hunk[3]:
        hunk[3] = None
    return ops


def unescape(text):
    return text.replace("{NUL}", "\0")


def apply_edits(ops, world):
    for op in ops:
        kind, fname, a, b, n = op
        path = os.path.join(world, fname)
        if kind == "replace":
            text = read_text(path)
            old = "\n".join(a)
            new = unescape("\n".join(b)) if b is not None else ""
            count = text.count(old)
            if count != 1:
                raise CaseError("edits:%d: the text to replace occurs %d times in %s, not once:"
                                " %r" % (n, count, fname, old))
            write_text(path, text.replace(old, new))
        elif kind == "append":
            text = read_text(path) if os.path.exists(path) else ""
            write_text(path, text + unescape("\n".join(b)) + "\n")
            os.chmod(path, 0o644)
        elif kind == "chmod":
            os.chmod(path, int(a, 8))
        elif kind == "chown":
            if not is_root():
                raise Skip("needs root to chown")
            pw = pwd.getpwnam(a)
            os.chown(path, pw.pw_uid, pw.pw_gid)
        elif kind == "remove":
            os.remove(path)


def expected_error_lines(ops, world):
    """For each `error FILE [TEXT]`: the location prefix that stderr must hold."""
    want = []
    for kind, fname, text, _, n in ops:
        if kind != "error":
            continue
        if text is None:
            want.append("@WORLD@/%s: error: " % fname)
            continue
        lines = [i for i, l in enumerate(read_text(os.path.join(world, fname)).split("\n"), 1)
                 if text in l]
        if len(lines) != 1:
            raise CaseError("edits:%d: '%s' is on %d lines of %s, not one"
                            % (n, text, len(lines), fname))
        want.append("@WORLD@/%s:%d: error: " % (fname, lines[0]))
    return want


def make_world(case, tmp):
    base = base_world(case)
    world = os.path.join(tmp, "w")
    os.mkdir(world)
    os.chmod(world, 0o755)
    if base is not None:
        copy_into(base, world)
    if os.path.isdir(os.path.join(case, "files")):
        copy_into(os.path.join(case, "files"), world)
    ops = parse_edits(case)
    apply_edits(ops, world)
    return world, ops


# ---- running smpolicy -----------------------------------------------------

def child_env(case, world):
    env = dict(os.environ)
    for k in ("SMPOLICY_CONFIG", "LANG", "LANGUAGE", "LC_MESSAGES", "LC_TIME", "LC_CTYPE"):
        env.pop(k, None)
    zone = REF_TZ if os.path.exists("/usr/share/zoneinfo/" + REF_TZ) else REF_TZ_POSIX
    env["TZ"] = zone
    env["LC_ALL"] = "C"
    p = os.path.join(case, "env")
    if os.path.exists(p):
        for line in read_text(p).splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("-"):
                env.pop(line[1:], None)
            else:
                k, _, v = line.partition("=")
                env[k] = v.replace("@WORLD@", world)
    return env


def run(exe, case, world, args):
    cmdline = [exe]
    if not is_root():
        cmdline.append("--test-allow-nonroot")
    p = os.path.join(case, "config")
    config = read_text(p).strip() if os.path.exists(p) else "smpolicy.conf"
    if config != "none":
        cmdline += ["-c", os.path.join(world, config)]
    cmdline += [a.replace("@WORLD@", world) for a in args]
    r = subprocess.run(cmdline, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=child_env(case, world), timeout=20)

    def clean(b):
        s = b.decode("utf-8", "surrogateescape")
        for w in {os.path.realpath(world), world}:
            s = s.replace(w, "@WORLD@")
        return s
    return r.returncode, clean(r.stdout), clean(r.stderr)


def describe_rc(rc):
    return "killed by signal %d" % -rc if rc < 0 else "exit %d" % rc


def diff(name, want, got):
    d = difflib.unified_diff(want.splitlines(True), got.splitlines(True),
                             "expected " + name, "actual " + name)
    out = []
    for l in d:
        out.append(l if l.endswith("\n") else l + "\n\\ no newline at end\n")
    return "".join(out)


def read_expected(case, name, default=None):
    p = os.path.join(case, name)
    if not os.path.exists(p):
        if default is None:
            raise CaseError("%s is missing" % name)
        return default
    return read_text(p)


# ---- the two kinds of case ------------------------------------------------

def run_regress(exe, case, regen):
    """cases/NAME: one command; returns a list of (ok, title, diagnostics)."""
    name = os.path.basename(case)
    text = read_text(os.path.join(case, "cmd"))
    args = text.split("\n")[:-1] if text.endswith("\n") else text.split("\n")
    if text == "":
        args = []
    with tempfile.TemporaryDirectory(prefix="smpolicy-cli.") as tmp:
        world, ops = make_world(case, tmp)
        want_errs = expected_error_lines(ops, world)
        rc, out, err = run(exe, case, world, args)
    if regen:
        write_text(os.path.join(case, "expected.out"), out)
        write_text(os.path.join(case, "expected.err"), err)
        write_text(os.path.join(case, "expected.rc"), "%d\n" % rc)
    problems = []
    want_rc = int(read_expected(case, "expected.rc").strip())
    if rc != want_rc:
        problems.append("exit status: expected %d, got %s\n" % (want_rc, describe_rc(rc)))
    for fname, got in (("expected.out", out), ("expected.err", err)):
        want = read_expected(case, fname)
        if want != got:
            problems.append(diff(fname[9:], want, got))
    for prefix in want_errs:
        if not any(l.startswith(prefix) for l in err.split("\n")):
            problems.append("stderr has no line starting %r\n" % prefix)
    return [(not problems, "cases/" + name, "".join(problems))]


def run_fault(exe, case, regen):
    """faults/NAME: a world with structural faults: `check` exits 1 and
    `decide` 2, both printing exactly expected.err, which names every fault
    at its FILE:LINE (the `error` lines of the edits file) and nothing more.
    With a `void` file the faults are all of record entries: check prints
    expected.err and decide answers (expected.decide)."""
    name = os.path.basename(case)
    with tempfile.TemporaryDirectory(prefix="smpolicy-cli.") as tmp:
        world, ops = make_world(case, tmp)
        want_errs = expected_error_lines(ops, world)
        crc, cout, cerr = run(exe, case, world, ["check"])
        drc, dout, derr = run(exe, case, world, FAULT_DECIDE)
    exp = os.path.join(case, "expected.err")
    lines = [l for l in cerr.split("\n") if ": error: " in l]
    located = len(lines) == len(want_errs) and all(
        any(l.startswith(p) for l in lines) for p in want_errs)
    if regen and (os.path.exists(exp) or (located and crc == 1)):
        write_text(exp, cerr)
    # Without expected.err (a case written before the message existed, for a
    # fault that is not reported yet), decide must print what check prints
    # and the `error` lines below say where.
    want = read_text(exp) if os.path.exists(exp) else cerr
    results = []
    void = os.path.exists(os.path.join(case, "void"))
    if void:
        # Faults of record entries only: each voids its record, the rest
        # loads, and decide answers as it would without that record
        # (expected.decide: its exit status, its stdout, and its stderr, a
        # warning for each void record).
        expd = os.path.join(case, "expected.decide")
        got = "%d\n%s--- stderr\n%s" % (drc, dout, derr)
        if regen:
            write_text(expd, got)
        problems = []
        want_d = read_expected(case, "expected.decide")
        if got != want_d:
            problems.append(diff("decide", want_d, got))
        if derr.count(": warning: ") != len([l for l in lines if "the record is void" in l]):
            problems.append("decide does not warn once of each void record\n")
        results.append((not problems, "faults/%s: decide answers without the void records"
                        % name, "".join(problems)))
        # what the void records take with them is said too, but not as a
        # fault of its own: only the void records' lines are counted
        lines = [l for l in lines if "the record is void" in l]
    checks = (("check", crc, 1, cout, cerr),) if void else \
        (("check", crc, 1, cout, cerr), ("decide", drc, 2, dout, derr))
    for cmd, rc, want_rc, out, err in checks:
        problems = []
        if rc != want_rc:
            problems.append("exit status: expected %d, got %s\n" % (want_rc, describe_rc(rc)))
        if out != "":
            problems.append(diff("stdout", "", out))
        if err != want:
            problems.append(diff("stderr", want, err))
        results.append((not problems, "faults/%s: %s exits %d, prints %s"
                        % (name, cmd, want_rc, "expected.err" if os.path.exists(exp)
                           else "the errors"), "".join(problems)))
    problems = []
    if not want_errs:
        raise CaseError("the edits file names no 'error FILE TEXT' location")
    for prefix in want_errs:
        if not any(l.startswith(prefix) for l in lines):
            problems.append("stderr of check has no line starting %r\n" % prefix)
    if len(lines) != len(want_errs):
        problems.append("check printed %d errors, the case expects %d (one per fault):\n%s"
                        % (len(lines), len(want_errs), "".join("  " + l + "\n" for l in lines)))
    results.append((not problems, "faults/%s: every fault at its FILE:LINE, no other error"
                    % name, "".join(problems)))
    return results


def run_case(exe, case, regen=False):
    case = os.path.abspath(case.rstrip("/"))
    bug = os.path.exists(os.path.join(case, "bug"))
    if bug:
        regen = False   # its expected files say what is right, not what happens
    suite = os.path.basename(os.path.dirname(case))
    title = "%s/%s" % (suite, os.path.basename(case))
    try:
        if not os.path.isdir(case):
            raise CaseError("no such case folder: %s" % case)
        results = (run_fault if suite == "faults" else run_regress)(exe, case, regen)
        if bug:
            results = [(ok, t + (" (fixed? it passes: remove its `bug` file)" if ok else
                                 " (a known bug: see its `bug` file)"), d)
                       for ok, t, d in results]
        return results
    except Skip as e:
        return [(None, title, str(e))]
    except CaseError as e:
        return [(False, title, "broken case: %s\n" % e)]
    except subprocess.TimeoutExpired:
        return [(False, title, "smpolicy did not finish within 20 s\n")]


def list_cases(suite_dir):
    return [os.path.join(suite_dir, n) for n in sorted(os.listdir(suite_dir))
            if os.path.isdir(os.path.join(suite_dir, n)) and not n.startswith(".")]


def main(argv):
    exe = None
    regen = False
    cases = []
    i = 1
    while i < len(argv):
        a = argv[i]
        if a == "--exe" and i + 1 < len(argv):
            exe = os.path.abspath(argv[i + 1])
            i += 1
        elif a == "--suite" and i + 1 < len(argv):
            cases += list_cases(argv[i + 1])
            i += 1
        elif a == "--regen":
            regen = True
        elif a == "--all":
            for s in ("cases", "faults"):
                cases += list_cases(os.path.join(HERE, s))
        elif a.startswith("-"):
            sys.stderr.write(__doc__)
            return 2
        else:
            cases.append(a)
        i += 1
    if exe is None or not cases:
        sys.stderr.write(__doc__)
        return 2
    # smpolicy does the work; the threads only wait for it
    jobs = max(2, min(16, 2 * (os.cpu_count() or 1)))
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        per_case = list(pool.map(lambda c: run_case(exe, c, regen), cases))
    results = [r for rs in per_case for r in rs]
    print("1..%d" % len(results))
    failed = 0
    for n, (ok, title, diag) in enumerate(results, 1):
        if ok is None:
            print("ok %d - %s # SKIP %s" % (n, title, diag))
            continue
        print("%s %d - %s" % ("ok" if ok else "not ok", n, title))
        if not ok:
            failed += 1
            for l in diag.rstrip("\n").split("\n"):
                print("# " + l)
    sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
