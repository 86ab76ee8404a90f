#!/usr/bin/env python3
"""cli_hostile.py SMPOLICY - the smpolicy command against hostile records
and hostile arguments.

Every output of every run must be safe for a terminal (no control byte but
newline, well-formed UTF-8, no bidi override), every --json output must be
valid UTF-8 JSON, and the exit code must be 0, 1 or 2: never a crash, a
sanitizer report or a hang (each run has a 60 s limit).

The records are fuzz/world: the sample office plus an office over its cap
and names, reasons and tickets carrying ANSI escapes, CR, BEL, C1 CSI,
U+202E and invalid UTF-8.
"""
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile

SMPOLICY = sys.argv[1]
HERE = os.path.dirname(os.path.abspath(__file__))
WORLD = os.path.join(HERE, '..', '..', 'fuzz', 'world')
failures = []
runs = 0

BIDI = {0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069, 0x2028, 0x2029}


def unsafe(data):
    """The first offending position of bytes shown on a terminal, or None."""
    try:
        text = data.decode('utf-8')
    except UnicodeDecodeError as e:
        return 'invalid UTF-8 at byte %d' % e.start
    for i, ch in enumerate(text):
        cp = ord(ch)
        if (cp < 0x20 and ch != '\n') or 0x7f <= cp < 0xa0 or cp in BIDI:
            return 'U+%04X at character %d' % (cp, i)
    return None


def run(args, env_extra=None, want=None, json_out=False, stdin=None):
    global runs
    runs += 1
    env = dict(os.environ)
    env.pop('SMPOLICY_CONFIG', None)
    env.update(env_extra or {})
    try:
        p = subprocess.run([SMPOLICY] + args, capture_output=True, timeout=60, env=env,
                           stdin=stdin if stdin is not None else subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        failures.append('%r: hung' % (args[:6],))
        return None
    what = '%r' % ([a if len(a) < 80 else a[:60] + '...' for a in args][:8],)
    if p.returncode not in (0, 1, 2):
        failures.append('%s: exit %d\n%s' % (what, p.returncode, p.stderr.decode('utf-8', 'replace')[-2000:]))
    if want is not None and p.returncode not in want:
        failures.append('%s: exit %d, wanted %s\n%s' % (what, p.returncode, want,
                                                         p.stderr.decode('utf-8', 'replace')[-600:]))
    for name, data in (('stdout', p.stdout), ('stderr', p.stderr)):
        bad = unsafe(data)
        if bad:
            failures.append('%s: %s not safe for a terminal: %s: %r' % (what, name, bad, data[:300]))
        if b'Sanitizer' in data or b'runtime error' in data:
            failures.append('%s: sanitizer report on %s' % (what, name))
    if json_out and p.returncode in (0, 1):
        try:
            json.loads(p.stdout.decode('utf-8'))
        except ValueError as e:
            failures.append('%s: not JSON: %s: %r' % (what, e, p.stdout[:300]))
    return p


def install(folder, text_conf, text_records, records_name='records.conf'):
    for name, text in (('smpolicy.conf', text_conf), (records_name, text_records)):
        path = os.path.join(folder, name)
        with open(path, 'wb') as f:
            f.write(text)
        os.chmod(path, 0o644)


def main():
    tmp = tempfile.mkdtemp(prefix='smp-cli-hostile-')
    os.chmod(tmp, 0o700)
    try:
        with open(os.path.join(WORLD, 'smpolicy.conf'), 'rb') as f:
            conf = f.read()
        with open(os.path.join(WORLD, 'records.conf'), 'rb') as f:
            records = f.read()
        install(tmp, conf, records)
        c = ['--test-allow-nonroot', '-c', os.path.join(tmp, 'smpolicy.conf')]

        # the hostile records in every output
        run(c + ['check'], want=(1,))
        for at in ('2026-06-01', '2026-11-25T10:00', '2040-01-01', '1969-12-31T23:59:59Z',
                   '0001-01-01', '9999-12-31T23:59:59'):
            run(c + ['report', '--at', at], want=(0,))
            run(c + ['report', '--at', at, '--json'], want=(0,), json_out=True)
            for user, platform, device in (('e1', 'evilnet', 'ws-evil-1'),
                                           ('e2', 'evilnet', 'ws-evil-1'),
                                           ('e3', 'facebook', 'ws-evil-1'),
                                           ('e3', 'evilnet', 'ws-evil-1'),
                                           ('jdoe', 'facebook', 'ws-essex-0042')):
                base = c + ['decide', '--user', user, '--platform', platform,
                            '--device', device, '--at', at]
                run(base, want=(0, 1))
                run(base + ['--json'], want=(0, 1), json_out=True)
                run(base + ['--action', 'post', '--purpose', 'client_communication',
                            '--account', 'fb-essex-1', '--json'], want=(0, 1), json_out=True)

        # the record commands with hostile arguments, and the audit log
        # they write, as `smpolicy log` shows it and as it is on disk
        nasty = '\x1b[2J\r\nALLOW \u202e\u009b31m' + os.fsdecode(b'\xff\xc3')
        run(c + ['revoke', 'LT-2026-014', '--by', 'dir-it', '--reason', nasty,
                 '--on', '2026-11-25'], want=(0,))
        run(c + ['revoke', nasty, '--by', 'dir-it', '--reason', nasty], want=(1, 2))
        run(c + ['sign', nasty, '--by', nasty], want=(1, 2))
        run(c + ['sign', 'LT-2026-031', '--by', 'dir-it', '--on', nasty], want=(1, 2))
        run(c + ['request', '--staff', nasty, '--kind', 'limited', '--platform', 'youtube',
                 '--by', nasty, '--ticket', nasty, '--expires', '2027-01-01'], want=(1, 2))
        run(c + ['request', '--staff', 'tlee', '--kind', nasty, '--platform', nasty,
                 '--by', 'lom-essex'], want=(1, 2))
        run(c + ['account', nasty, 'compromised'], want=(1, 2))
        run(c + ['account', 'fb-essex-1', nasty], want=(1, 2))
        run(c + ['log'], want=(0,))
        run(c + ['log', '--since', nasty], want=(2,))
        with open(os.path.join(tmp, 'audit.log'), 'rb') as f:
            bad = unsafe(f.read())
            if bad:
                failures.append('audit.log not safe for a terminal: %s' % bad)
        install(tmp, conf, records)

        # hostile arguments: escaped, and a usage error or a DENY, never more
        evil = ['\x1b[2J\x1b]0;owned\x07', 'jdoe\r\nALLOW', '\u202eevil', '\u009b31m',
                'x' * 100000, '', '-', '--', '%s%n%x', '../../etc/passwd']
        evil_bytes = [os.fsencode(e) if isinstance(e, str) else e for e in evil]
        evil_bytes += [b'\xff\xfe', b'\xc0\xaf', b'\xed\xa0\x80', b'\xe2\x80']
        for e in evil_bytes:
            arg = os.fsdecode(e)
            for opt in ('--user', '--platform', '--device', '--account'):
                args = c + ['decide', '--user', 'jdoe', '--platform', 'facebook',
                            '--device', 'ws-essex-0042', '--at', '2026-11-25T10:00']
                if opt in args:
                    args[args.index(opt) + 1] = arg
                else:
                    args += [opt, arg]
                # a view needs no account: an ALLOW whatever --account says
                want = (0, 1, 2) if opt == '--account' else (1, 2)
                run(args, want=want)
                run(args + ['--json'], want=want, json_out=True)
            run(c + ['decide', '--user', 'jdoe', '--platform', 'facebook', '--at', arg], want=(2,))
            run(c + ['decide', '--user', 'jdoe', '--platform', 'facebook', '--action', arg], want=(2,))
            run(c + ['decide', '--user', 'jdoe', '--platform', 'facebook', '--purpose', arg], want=(2,))
            run(c + ['report', '--at', arg], want=(2,))
            run(c + [arg], want=(2,))
            run(['-c', arg, 'check'], want=(1, 2))
            # an empty SMPOLICY_CONFIG is no setting: the command reads the
            # host's /etc/smpolicy/smpolicy.conf, which is not this test's
            # (a package test may have installed one): any verdict will do
            run(['check'], env_extra={'SMPOLICY_CONFIG': arg}, want=(1, 2) if arg else None)
        for at in ('2026-11-25T24:00', '2026-02-30', '99999-01-01', '-2026-01-01',
                   '2026-11-25T10:00+99:00', '1e100', '0x7fffffffffffffff'):
            run(c + ['decide', '--user', 'jdoe', '--platform', 'facebook', '--at', at], want=(2,))
        run(c + ['decide'], want=(2,))
        run(c + ['decide', '--user'], want=(2,))
        run(c + ['nonsense', '--json'], want=(2,))
        run([], want=(2,))
        run(c + ['decide', '--user', 'jdoe', '--platform', 'facebook', '--bogus'], want=(2,))

        # files that are not settings: a FIFO, a folder, devices, nothing
        fifo = os.path.join(tmp, 'fifo')
        os.mkfifo(fifo, 0o644)
        for path in (fifo, tmp, '/dev/zero', '/dev/null', os.path.join(tmp, 'missing'), ''):
            run(['--test-allow-nonroot', '-c', path, 'check'], want=(2,))
            run(['--test-allow-nonroot', '-c', path, 'decide', '--user', 'jdoe',
                 '--platform', 'facebook'], want=(2,))

        # a records file whose name carries escapes: named escaped in errors
        bad = tmp + '/bad'
        os.mkdir(bad, 0o700)
        install(bad, b'version = 1;\nsettings = { records = [ "\\x1b[2Jrec\\x07\\xff.conf" ]; };\n',
                b'staff = ( { id = "x"; } );\n', records_name='\x1b[2Jrec\x07\udcff.conf')
        run(['--test-allow-nonroot', '-c', bad + '/smpolicy.conf', 'check'], want=(1, 2))
        # (the staff entry is void: the report stands, warning of it)
        run(['--test-allow-nonroot', '-c', bad + '/smpolicy.conf', 'report', '--json'], want=(0,))

        # structural errors whose messages quote the hostile text
        install(bad, b'version = 1;\nsettings = { records = [ "r.conf" ]; };\n'
                     b'offices = ( { id = "o"; name = "O"; kind = "\\x1b[2J\xff"; } );\n',
                b'staff = ( { id = "x\\x1b[31m"; office = "o\\r\\n"; roles = [ "\xe2\x80\xae" ]; } );\n'
                b'approvals = ( { id = "A"; staff = "x"; kind = "limited"; platforms = [ "p" ];'
                b' expires = "2026-11-25\\x1b[2J"; } );\n', records_name='r.conf')
        run(['--test-allow-nonroot', '-c', bad + '/smpolicy.conf', 'check'], want=(1,))
        run(['--test-allow-nonroot', '-c', bad + '/smpolicy.conf', 'decide', '--user', 'x',
             '--platform', 'p', '--json'], want=(2,))

        # names and reasons of 52 KB, full of escapes (the loader refuses a
        # string over 64 KiB: libconfig grows a string 64 bytes at a time,
        # and under ASan every realloc is a fresh mapping)
        big = (b'\\x1b[2J\\r\xe2\x80\xae\xff' * 4000)
        install(bad, b'version = 1;\nsettings = { records = [ "r.conf" ]; };\n'
                     b'platforms = ( { id = "p"; name = "' + big + b'"; } );\n'
                     b'offices = ( { id = "o"; name = "' + big + b'"; kind = "local"; } );\n',
                b'staff = ( { id = "c"; office = "o"; roles = [ "director_cpp" ]; },\n'
                b'  { id = "i"; office = "o"; roles = [ "director_it" ]; },\n'
                b'  { id = "x"; name = "' + big + b'"; office = "o"; roles = [ "worker" ]; } );\n'
                b'devices = ( { id = "d"; kind = "workstation"; owner = "dcf"; } );\n'
                b'approvals = ( { id = "A"; staff = "x"; kind = "limited"; platforms = [ "p" ];'
                b' ticket = "' + big + b'"; approved_cpp = { by = "c"; on = "2026-01-01Z"; };'
                b' approved_it = { by = "i"; on = "2026-01-01Z"; }; expires = "2027-01-01Z";'
                b' revoked = { on = "2026-06-01Z"; by = "i"; reason = "' + big + b'"; }; } );\n',
                records_name='r.conf')
        lc = ['--test-allow-nonroot', '-c', bad + '/smpolicy.conf']
        run(lc + ['check'], want=(0,))
        for at in ('2026-03-01', '2026-07-01'):
            run(lc + ['report', '--at', at], want=(0,))
            run(lc + ['report', '--at', at, '--json'], want=(0,), json_out=True)
            run(lc + ['decide', '--user', 'x', '--platform', 'p', '--device', 'd', '--at', at],
                want=(0, 1))
            run(lc + ['decide', '--user', 'x', '--platform', 'p', '--device', 'd', '--at', at,
                      '--json'], want=(0, 1), json_out=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print('%d runs' % runs)
    for f in failures[:40]:
        print('FAIL:', f)
    if failures:
        print('%d failures' % len(failures))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
