#!/usr/bin/env python3
"""The library's folders depend only downward, measured from the built objects.

Usage: layering.py ARCHIVE [NM [LIBDIR]]

ARCHIVE is the library's static archive (libsmpolicy_internal.a); meson
names each member after its source path (sources/tree.c -> sources_tree.c.o),
so the folder of a member is the part before its first underscore.  nm
lists what each object defines and what it leaves undefined; an undefined
symbol that another member defines is a call (or a reference) from one
file to the other.  Two rules:

  - a folder uses only its own symbols and those of folders below it
    (RANK); folders of one rank do not use each other;
  - no two files use each other (a cycle between two files).

Every offending pair is listed, with the symbols, and the test fails.
With LIBDIR (the library's source folder) the includes are held to the
first rule too: a file of a folder includes no header of a folder above
it (internal.h is base/'s, edit_internal.h edit/'s).
Measured from the objects rather than the includes, so a prototype
declared in the wrong header, a macro or an inline function that hides a
call cannot make the test pass while the code does not.
"""
import os
import re
import subprocess
import sys

# Bottom to top.  sync/ (smp_directory_sync's run, validate, install) and
# edit/ (the manual's procedures) both sit on policy/ and decision/.
RANK = {
    'base': 0,
    'sources': 1,
    'records': 2,
    'policy': 3,
    'decision': 4,
    'sync': 5,
    'edit': 5,
}


def members(archive, nm):
    """{member: (defined set, undefined set)} from `nm -A` of the archive."""
    out = subprocess.run([nm, '-A', '--defined-only', archive], check=True,
                         capture_output=True, text=True).stdout
    undef = subprocess.run([nm, '-A', '--undefined-only', archive], check=True,
                           capture_output=True, text=True).stdout
    objs = {}
    for text, which in ((out, 0), (undef, 1)):
        for line in text.splitlines():
            # archive:member:[address] TYPE name
            head, _, rest = line.rpartition(':')
            # a thin archive names its members by path
            member = os.path.basename(head.split(':')[-1])
            fields = rest.split()
            if len(fields) < 2:
                continue
            kind, name = fields[-2], fields[-1]
            if which == 0 and kind.islower() and kind not in ('v', 'w'):
                continue  # a local (static) symbol is no one else's
            objs.setdefault(member, (set(), set()))[which].add(name)
    return objs


def folder(member):
    return member.split('_', 1)[0]


def source(member):
    f, _, rest = member.partition('_')
    return f + '/' + rest[:-2] if rest.endswith('.o') else f + '/' + rest


# the headers at the top of the library's folder, by the folder they serve
TOP_HEADERS = {'internal.h': 'base', 'edit_internal.h': 'edit'}


def header_folder(including_folder, name):
    """The folder of the header named in an #include "name" of a file of
    including_folder, or None for one outside the library."""
    if name in TOP_HEADERS:
        return TOP_HEADERS[name]
    if '/' in name:
        first = name.split('/', 1)[0]
        return first if first in RANK else None
    return including_folder   # beside the file: its own folder


def includes(libdir):
    """Offending includes of the library's sources and headers."""
    bad = []
    for top in sorted(RANK):
        folder = os.path.join(libdir, top)
        if not os.path.isdir(folder):
            continue
        for name in sorted(os.listdir(folder)):
            if not name.endswith(('.c', '.h')):
                continue
            with open(os.path.join(folder, name), encoding='utf-8') as f:
                for n, line in enumerate(f, 1):
                    m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
                    if m is None:
                        continue
                    hf = header_folder(top, m.group(1))
                    if hf is not None and hf != top and RANK[hf] >= RANK[top]:
                        bad.append('%s/%s:%d includes %s (%s is not below %s)' % (
                            top, name, n, m.group(1), hf, top))
    for name, top in sorted(TOP_HEADERS.items()):
        with open(os.path.join(libdir, name), encoding='utf-8') as f:
            for n, line in enumerate(f, 1):
                m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
                hf = header_folder(top, m.group(1)) if m else None
                if hf is not None and hf != top and RANK[hf] >= RANK[top]:
                    bad.append('%s:%d includes %s (%s is not below %s)' % (
                        name, n, m.group(1), hf, top))
    return bad


def main():
    archive = sys.argv[1]
    nm = sys.argv[2] if len(sys.argv) > 2 else 'nm'
    libdir = sys.argv[3] if len(sys.argv) > 3 else None
    objs = members(archive, nm)
    definer = {}
    for m, (defs, _) in objs.items():
        for s in defs:
            definer[s] = m
    unknown = sorted({folder(m) for m in objs} - set(RANK))
    if unknown:
        print('folders with no rank in tests/layering.py: ' + ', '.join(unknown))
        return 1

    uses = {}   # (user, definer) -> symbols
    for m, (_, und) in objs.items():
        for s in und:
            d = definer.get(s)
            if d is not None and d != m:
                uses.setdefault((m, d), set()).add(s)

    bad = []
    for (u, d), syms in sorted(uses.items()):
        fu, fd = folder(u), folder(d)
        if fu != fd and RANK[fu] <= RANK[fd]:
            bad.append('%s uses %s (%s is not below %s): %s' % (
                source(u), source(d), fd, fu, ', '.join(sorted(syms))))
    for (u, d), syms in sorted(uses.items()):
        if u < d and (d, u) in uses:
            bad.append('%s and %s use each other: %s / %s' % (
                source(u), source(d), ', '.join(sorted(syms)),
                ', '.join(sorted(uses[(d, u)]))))
    if libdir is not None:
        bad += includes(libdir)
    if not objs or not uses:
        print('no objects or no uses found in %s: nothing was measured' % archive)
        return 1
    for b in bad:
        print(b)
    print('%d files, %d uses between files, %d offending' % (
        len(objs), len(uses), len(bad)))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
