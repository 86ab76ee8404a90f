"""bench/summary.py - the figures of one bench/run that docs/PERFORMANCE.md
cites, each beside its floor, as one table (bench/run prints it first, and
alone with --markdown), and the measurements only bench/run's summary
needs: instructions per decision (callgrind) and the login store's size
and write time.

SPDX-License-Identifier: BSD-3-Clause
"""
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def decide_instructions(smpbench, world):
    """Instructions per statewide decision (valgrind --tool=callgrind,
    counting smp_decide only, on the policy loaded from the compiled cache,
    bench/run's request mix), or None without valgrind."""
    if shutil.which("valgrind") is None or shutil.which("callgrind_annotate") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "cg")
        r = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
                            "--toggle-collect=smp_decide", smpbench, "decide",
                            os.path.join(world, "smpolicy.conf"),
                            os.path.join(world, "requests.tsv"), "1", "0.02", "cache"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            sys.exit("bench/run: smpbench decide under callgrind failed:\n" + r.stderr[-2000:])
        tree = subprocess.run(["callgrind_annotate", "--tree=caller", out],
                              stdout=subprocess.PIPE, text=True).stdout
        calls = re.search(r"< .*:work \(([0-9,]+)x\)", tree)
        total = re.search(r"([0-9,]+) .*PROGRAM TOTALS", tree)
        if calls is None or total is None:
            sys.exit("bench/run: callgrind_annotate did not give the decisions and their total")
        n = int(calls.group(1).replace(",", ""))
        return {"decisions": n, "per_decision": int(total.group(1).replace(",", "")) / n}


def store_write(smpolicy, conf, store_file, store_dir, reps=3):
    """The login store of conf written by `smpolicy compile --store` (the
    compiled cache fresh, so only the store is written) with the store file
    removed first: median seconds, and the store's size in bytes."""
    times = []
    for _ in range(reps):
        os.unlink(store_file)
        t0 = time.monotonic()
        r = subprocess.run([smpolicy, "-c", conf, "compile", "--store", store_dir],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        times.append(time.monotonic() - t0)
        if r.returncode != 0 or "wrote: the login store" not in r.stdout:
            sys.exit("bench/run: smpolicy compile --store on %s said:\n%s%s"
                     % (conf, r.stdout, r.stderr))
    return {"seconds": statistics.median(times), "bytes": os.path.getsize(store_file),
            "reps": reps}


def ldapsync(top, build, args=()):
    """bench/ldapsync's own report (a throwaway slapd: root, slapd installed);
    args: more of its options (a smaller world, another fleet)."""
    r = subprocess.run([sys.executable, os.path.join(top, "bench", "ldapsync"), "--build", build]
                       + list(args), stdout=subprocess.PIPE, text=True)
    if r.returncode != 0:
        sys.exit("bench/run: bench/ldapsync failed (exit %d)" % r.returncode)
    return r.stdout.strip()


def _ms(x):
    return "%.1f ms" % x if x >= 10 else "%.2f ms" % x


def _x(a, b):
    return "%.2f ×" % (a / b) if b else "?"


def rows(r, pams, instr, store):
    """(figure, measured, floor, ratio, target) of one run: r the worlds'
    rows (the sample office first, the statewide world last), pams the PAM
    rows, instr decide_instructions(), store store_write()."""
    st = r[-1]
    ld, dc = st["load"], st["decide"]
    worst = max(r, key=lambda x: x["load"]["load_ms"] / x["load"]["floor_ms"])
    out = [
        ("load + validate (the parse), %s" % st["name"], _ms(ld["load_ms"]),
         "libconfig's parse %s" % _ms(ld["floor_ms"]), _x(ld["load_ms"], ld["floor_ms"]),
         "≤ 1.5 ×"),
        ("load from the compiled cache, %s" % st["name"], _ms(ld["cache_ms"]),
         "libconfig's parse %s" % _ms(ld["floor_ms"]), _x(ld["cache_ms"], ld["floor_ms"]), ""),
        ("load + validate, the worst of the %d worlds (%s)" % (len(r), worst["name"]),
         _ms(worst["load"]["load_ms"]), "libconfig's parse %s" % _ms(worst["load"]["floor_ms"]),
         _x(worst["load"]["load_ms"], worst["load"]["floor_ms"]), "≤ 1.5 ×"),
        ("decide, %s, 1 thread (per CPU second)" % st["name"],
         "%.2f M/s (%.2f M/s)" % (dc["cache_decide1_per_s"] / 1e6,
                                  dc["cache_decide1_per_cpu_s"] / 1e6),
         "", "", "≥ 5 M/s"),
        ("decide, %s, 2 threads (per CPU second)" % st["name"],
         "%.2f M/s (%.2f M/s)" % (dc["cache_decide2_per_s"] / 1e6,
                                  dc["cache_decide2_per_cpu_s"] / 1e6),
         "1 thread × 2", "%.2f × per CPU-s" % (dc["cache_decide2_per_cpu_s"] /
                                               dc["cache_decide1_per_cpu_s"]), "near 1"),
        ("instructions per decision, %s (callgrind)" % st["name"],
         "{:,.0f}".format(instr["per_decision"]) if instr else "(not counted)", "", "", ""),
        ("peak memory, %s from the compiled cache" % st["name"],
         "%.1f MB" % (st["memcache"]["peak_kb"] / 1024),
         "files %.1f MB" % (st["size"] / 1e6),
         _x(st["memcache"]["peak_kb"] * 1024, st["size"]), ""),
    ]
    for name, user, dev, p in pams:
        target = "≤ 1.2 ×" if name == "sample office" else "≤ 2 ×" if p is pams[-1][3] else ""
        out.append(("PAM login from the login store, %s (CPU time)" % name,
                    "%s (%s)" % (_ms(p["smp-use_ms"]), _ms(p["smp-use_cpu_ms"])),
                    "pam_permit %s (%s)" % (_ms(p["permit_ms"]), _ms(p["permit_cpu_ms"])),
                    "%s (%s)" % (_x(p["smp-use_ms"], p["permit_ms"]),
                                 _x(p["smp-use_cpu_ms"], p["permit_cpu_ms"])), target))
    if store:
        out.append(("login store size, %s" % st["name"], "%.1f MB" % (store["bytes"] / 1e6),
                    "records %.1f MB" % (st["size"] / 1e6), _x(store["bytes"], st["size"]),
                    "≤ 1.5 ×"))
        out.append(("login store write (`smpolicy compile`, cache fresh), %s" % st["name"],
                    "%.2f s" % store["seconds"], "", "", "≤ 1 s"))
    return out


def print_table(stamp, table):
    print(stamp)
    print()
    print("| figure | measured | floor | ratio | target |")
    print("|---|---|---|---|---|")
    for row in table:
        print("| %s |" % " | ".join(row))
