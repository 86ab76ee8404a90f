#!/usr/bin/env python3
"""tour_test.py - run the README's tour, as written, on a fresh build.

    tour_test.py --build BUILD --src SOURCE

The tour is every ```console block of README.md: each line that starts with
"# " is a root command (a line ending in a backslash goes on with the
next), run in order in one bash, so that `export` and shell variables carry
over as they do for a person typing them.  A command must exit 0, or the
status its comment names ("# ..., exit 1").  Speaks TAP; needs root, as the
tour does (the library trusts root's files only).

Nothing of the system is touched: the commands are rewritten, as text, to
run in a scratch folder:

  build/tools/smpolicy      -> BUILD/tools/smpolicy
  examples/                 -> SOURCE/examples/
  /etc/smpolicy, /var/cache/smpolicy, /var/lib/smpolicy
                            -> the same under SCRATCH/root
and SMPOLICY_CONFIG names SCRATCH/root/etc/smpolicy/smpolicy.conf, the
scratch twin of the default.  The block that uses the directory (the one
with ldapadd) runs against a throwaway slapd (tests/ldap/slapd.sh), with
what the README tells the reader to replace replaced: the server's URI,
the admin's password (-W), the workstation password; and in the installed
examples/directory/smpolicy.conf its uri, ca_file and copy_dir.  Without
slapd that block is skipped.  Then the files the README names are
checked to be where it says.
"""
import argparse
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile

SYSTEM_PATHS = ["/etc/smpolicy", "/var/cache/smpolicy", "/var/lib/smpolicy"]


def tour_blocks(readme):
    """The console blocks: lists of (command text, expected exit status)."""
    blocks, cur, inside = [], None, False
    with open(readme) as f:
        for line in f:
            line = line.rstrip("\n")
            if not inside and line.strip() == "```console":
                inside, cur = True, []
                continue
            if inside and line.strip() == "```":
                inside = False
                blocks.append(cur)
                continue
            if not inside:
                continue
            if line.startswith("# "):
                cur.append(line[2:])
            elif cur and cur[-1].rstrip().endswith("\\"):
                cur[-1] += "\n" + line
    return [[(c, expected_status(c)) for c in b] for b in blocks]


def expected_status(cmd):
    m = re.search(r"\s#[^\n']*\bexit (\d+)\s*$", cmd.splitlines()[-1])
    return int(m.group(1)) if m else 0


def rewrite(cmd, build, src, root, env=None):
    cmd = cmd.replace("build/tools/smpolicy", os.path.join(build, "tools/smpolicy"))
    cmd = re.sub(r"(?<![\w/])examples/", os.path.join(src, "examples") + "/", cmd)
    for p in SYSTEM_PATHS:
        cmd = cmd.replace(p, root + p)
    if env is not None:
        cmd = cmd.replace("ldaps://ldap.dcf.example.org", env["LDAPS_URI"])
        cmd = cmd.replace(" -W ", f" -w {shlex.quote(env['ROOT_PW'])} ")
        cmd = cmd.replace("'the workstation password'", shlex.quote(env["READER_PW"]))
    return cmd


def directory_conf_fix(root, env):
    """The edits examples/directory/smpolicy.conf asks of a site."""
    conf = root + "/etc/smpolicy/smpolicy.conf"
    sub = [(r'uri = "[^"]*";', f'uri = "{env["LDAPS_URI"]}";'),
           (r'ca_file = "[^"]*";', f'ca_file = "{env["CA_FILE"]}";'),
           (r'copy_dir = "[^"]*";', f'copy_dir = "{root}/var/lib/smpolicy";')]
    return " && ".join(f"sed -i -E {shlex.quote('s|' + a + '|' + b + '|')} {shlex.quote(conf)}"
                       for a, b in sub)


def script(blocks, build, src, root, slapd_env, outdir):
    """One bash script running every command, printing a TAP line each."""
    lines = ["set +e", f"cd {shlex.quote(outdir)}"]
    n = 0
    for block in blocks:
        directory = any("ldapadd" in c for c, _ in block)
        for cmd, want in block:
            n += 1
            name = cmd.splitlines()[0][:90].replace("#", "\\#")
            if directory and slapd_env is None:
                lines.append(f"echo {shlex.quote(f'ok {n} - {name} # SKIP slapd is not installed')}")
                continue
            run = rewrite(cmd, build, src, root, slapd_env if directory else None)
            if directory and "examples/directory/smpolicy.conf" in cmd:
                run += "\n" + directory_conf_fix(root, slapd_env)
            out = os.path.join(outdir, f"{n}.out")
            lines += [f"{{\n{run}\n}} >{shlex.quote(out)} 2>&1 </dev/null",
                      "rc=$?",
                      f"if [ $rc -eq {want} ]; then echo {shlex.quote(f'ok {n} - {name}')};",
                      f"else echo {shlex.quote(f'not ok {n} - {name}')}\" (exit $rc, not {want})\";",
                      f"  sed 's/^/# /' {shlex.quote(out)} | head -n 40; fi"]
    return "\n".join(lines) + "\n", n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--src", required=True)
    args = ap.parse_args()
    build, src = os.path.abspath(args.build), os.path.abspath(args.src)
    if os.geteuid() != 0:
        print("1..0 # SKIP the tour is root's (the library trusts root's files only)")
        return 0
    blocks = tour_blocks(os.path.join(src, "README.md"))
    if not blocks:
        print("1..1\nnot ok 1 - README.md has console blocks")
        return 1
    tmp = tempfile.mkdtemp(prefix="smpolicy-tour-")
    root = os.path.join(tmp, "root")
    slapd_dir = os.path.join(tmp, "slapd")
    slapd_sh = os.path.join(src, "tests/ldap/slapd.sh")
    slapd_env = None
    results = []
    try:
        for d in ("etc", "var/cache", "var/lib", "work"):
            os.makedirs(os.path.join(root if d != "work" else tmp, d), 0o755)
        os.chmod(tmp, 0o755)
        if any("ldapadd" in c for b in blocks for c, _ in b) and \
                (shutil.which("slapd") or os.path.exists("/usr/sbin/slapd")):
            r = subprocess.run([slapd_sh, "start", slapd_dir], capture_output=True, text=True)
            if r.returncode == 0:
                slapd_env = {}
                with open(os.path.join(slapd_dir, "env")) as f:
                    for line in f:
                        k, _, v = line.strip().partition("=")
                        slapd_env[k] = v.strip("'\"")
            else:
                results.append((False, "a throwaway slapd starts", r.stdout + r.stderr))
        text, n = script(blocks, build, src, root, slapd_env, os.path.join(tmp, "work"))
        env = dict(os.environ, LC_ALL="C",
                   SMPOLICY_CONFIG=root + "/etc/smpolicy/smpolicy.conf")
        if slapd_env is not None:
            env["LDAPTLS_CACERT"] = slapd_env["CA_FILE"]
        env.pop("TZ", None)   # the tour sets it
        r = subprocess.run(["bash", "-c", text], capture_output=True, text=True, env=env)
        tap = [line for line in r.stdout.splitlines()]
        # the paths the README names hold what it says
        conf = root + "/etc/smpolicy/smpolicy.conf"
        store = root + "/var/cache/smpolicy"
        checks = [(os.path.exists(root + "/etc/smpolicy/smpolicy.conf.cache"),
                   "the compiled cache is beside the settings, as the README says"),
                  (any(f.endswith(".login") for f in os.listdir(store))
                   if os.path.isdir(store) else False,
                   "the login store is in /var/cache/smpolicy, as the README says")]
        if slapd_env is not None:
            state = root + "/var/lib/smpolicy/state"
            mode = stat.S_IMODE(os.stat(state).st_mode) if os.path.exists(state) else None
            checks.append((mode == 0o640, "the copy is in /var/lib/smpolicy, private (0640)"))
            checks.append((os.path.exists(conf), "the directory settings are in place"))
        print(f"1..{n + len(checks) + len(results)}")
        for line in tap:
            print(line)
        i = n
        for good, what, *detail in results + [(g, w) for g, w in checks]:
            i += 1
            print(f"{'ok' if good else 'not ok'} {i} - {what}")
            for d in detail:
                for line in str(d).splitlines()[:20]:
                    print(f"# {line}")
        if r.stderr:
            for line in r.stderr.splitlines()[:20]:
                print(f"# {line}")
        return 0
    finally:
        if os.path.exists(os.path.join(slapd_dir, "env")):
            subprocess.run([slapd_sh, "stop", slapd_dir], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
