#!/usr/bin/env python3
"""protocol_test.py - smpolicy-squid driven over its pipes as Squid drives
it (smpolicy-squid(8)): channel ids, answers out of order, subdomains, look-alikes,
case, dots, IP literals, %-escaping, devices, bad and 100 KB lines, a
revocation while it runs, broken and insecure files, 20,000 requests, the
end of input, clients named by reverse DNS under settings.device_domains
and outside it; and `smpolicy domains`.  Prints TAP.

    protocol_test.py --helper BUILD/tools/squid/smpolicy-squid --smpolicy BUILD/tools/smpolicy

SPDX-License-Identifier: BSD-3-Clause
"""
import argparse
import os
import random
import re
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from helper import NONROOT, Helper, Tap, World, parse_answer  # noqa: E402


def expect(t, h, line, result, code=None, channel=None, what=None):
    """Ask line; the answer must be result (OK/ERR) on channel, and an ERR
    must name code first.  Returns the parsed message (or None)."""
    got = h.ask(line)
    what = what or line
    if got is None:
        t.ok(False, what, 'no answer; stderr: %s' % h.stderr[-3:])
        return None
    ch, res, keys = parse_answer(got)
    good = ch == channel and res == result
    if code is not None:
        good = good and keys.get('message', '').startswith(code + ' (')
    t.ok(good, '%s -> %s' % (what, got[:160]), 'expected %s %s %s' % (channel, result, code or ''))
    return keys.get('message')


def decisions(t, exe, w):
    h = Helper(exe, w.conf)
    expect(t, h, '1 w1 facebook.com ws1', 'OK', channel='1', what='an approved worker')
    msg = expect(t, h, '2 w2 facebook.com ws1', 'ERR', 'no-approval', '2',
                 what='a worker without an approval')
    t.ok(msg is not None and msg.startswith('no-approval (C): ') and "'w2'" in msg,
         'the message is "CODE (SECTION): sentence" with the particulars', msg)
    expect(t, h, '3 w2 m.facebook.com ws1', 'ERR', 'no-approval', '3', what='a subdomain')
    expect(t, h, '4 w1 www.m.facebook.com ws1', 'OK', channel='4', what='a deeper subdomain, approved')
    expect(t, h, '5 w2 notfacebook.com ws1', 'OK', channel='5', what='a look-alike is no platform')
    expect(t, h, '6 w2 facebook.com.evil.example ws1', 'OK', channel='6', what='a platform name inside another')
    expect(t, h, '7 w2 FaceBook.COM ws1', 'ERR', 'no-approval', '7', what='case does not matter')
    expect(t, h, '8 w2 facebook.com. ws1', 'ERR', 'no-approval', '8', what='a trailing dot does not matter')
    expect(t, h, '9 w2 FB.com. ws1', 'ERR', 'no-approval', '9', what='a second domain of the platform')
    expect(t, h, '10 w2 157.240.1.35 ws1', 'OK', channel='10', what='an IPv4 literal is OK')
    expect(t, h, '11 w2 2a03:2880:f12f:83:face:b00c:0:25de ws1', 'OK', channel='11', what='an IPv6 literal is OK')
    expect(t, h, '12 w2 example.org ws1', 'OK', channel='12', what='a host that is no platform\'s is OK')
    expect(t, h, '13 w1 youtu.be ws1', 'OK', channel='13', what='the second platform of the approval')
    expect(t, h, '14 w1 snapchat.com ws1', 'ERR', 'app-not-approved', '14',
           what='a mobile-only platform from a workstation')
    expect(t, h, '15 w%31 facebook.com ws1', 'OK', channel='15', what='USER is %-decoded as Squid escapes it')
    expect(t, h, '16 w1 facebook.com ws%31', 'OK', channel='16', what='CLIENT is %-decoded too')
    expect(t, h, '17 - facebook.com ws1', 'ERR', 'unknown-user', '17', what='no login ("-")')
    expect(t, h, '18 nobody facebook.com ws1', 'ERR', 'unknown-user', '18', what='a login not in the staff records')
    expect(t, h, '19 w1 facebook.com home', 'ERR', 'device-not-dcf', '19', what='a personal device')
    expect(t, h, '20 w1 facebook.com nosuch', 'ERR', 'device-unknown', '20', what='an unknown device')
    expect(t, h, '21 w1 facebook.com', 'ERR', 'device-unknown', '21',
           what='no CLIENT: device unknown, never the proxy\'s own name')
    expect(t, h, '22 w1 facebook.com -', 'ERR', 'device-unknown', '22', what='CLIENT "-"')
    expect(t, h, '23 w1 facebook.com 192.0.2.77', 'ERR', 'device-unknown', '23',
           what='an address without a name (TEST-NET) is an unknown device')
    if w.loopback_device:
        expect(t, h, '24 w1 facebook.com 127.0.0.1', 'ERR', 'device-unknown', '24',
               what='an address named %s by reverse DNS, a device id of the records, but '
               'without settings.device_domains no DNS name stands for a device'
               % w.loopback_device)
    expect(t, h, 'w1 facebook.com ws1', 'OK', what='without a channel (no concurrency)')
    expect(t, h, 'w2 facebook.com ws1', 'ERR', 'no-approval', what='without a channel, denied')
    expect(t, h, '26 w2 facebook.com ws1\r', 'ERR', 'no-approval', '26', what='a CRLF line')
    expect(t, h, '27\tw1\tfacebook.com\tws1', 'OK', channel='27', what='tabs between fields')
    expect(t, h, '30 w2 facebook.com ws1 -', 'ERR', 'no-approval', '30',
           what='the acl\'s arguments Squid appends (%DATA, "-" for none) are ignored')
    expect(t, h, '31 w1 facebook.com ws1 a%20b c', 'OK', channel='31', what='several acl arguments')
    expect(t, h, 'w2 facebook.com ws1 -', 'ERR', 'no-approval', what='%DATA without a channel')
    msg = expect(t, h, '28 w1 facebook.com home', 'ERR', 'device-not-dcf', '28')
    # several reasons, each with its code
    msg = expect(t, h, '29 w2 facebook.com home', 'ERR', 'device-not-dcf', '29', what='every failed rule')
    t.ok(msg is not None and 'no-approval (C)' in msg and '; ' in msg,
         'the message names every failed rule', msg)
    t.ok(h.close() == 0, 'exit status 0 at the end of input')


NAMES = {
    # address: (its reverse-DNS name [@ what that name's forward lookup gives],
    #           the answer for w1, its code, what it shows)
    '203.0.113.1': ('ws1.ws.dcf.example', 'OK', None, 'a name under the domain: the device ws1'),
    '203.0.113.2': ('ws1.guest.example', 'ERR', 'device-unknown',
                    'the same first label under another domain'),
    '203.0.113.3': ('ws1.ws.dcf.example.evil', 'ERR', 'device-unknown',
                    'the domain inside a longer name'),
    '203.0.113.4': ('ws1.xws.dcf.example', 'ERR', 'device-unknown',
                    'a look-alike suffix, not at a label boundary'),
    '203.0.113.5': ('a.ws1.ws.dcf.example', 'ERR', 'device-unknown',
                    'two labels left before the domain'),
    '203.0.113.6': ('ws1.WS.Dcf.EXAMPLE.', 'OK', None,
                    'the domain in another case, with the root\'s trailing dot'),
    '203.0.113.7': ('ws.dcf.example', 'ERR', 'device-unknown', 'the domain itself: no label left'),
    '203.0.113.8': ('ws1.ws.dcf.example@203.0.113.99', 'ERR', 'device-unknown',
                    'a name whose forward lookup gives another address'),
    '203.0.113.9': ('home.ws.dcf.example', 'ERR', 'device-not-dcf',
                    'under the domain, the personal device home'),
    '203.0.113.10': ('ws1.guest.example.', 'ERR', 'device-unknown',
                     'outside the domain, with a trailing dot'),
    '203.0.113.11': ('ws1..ws.dcf.example', 'ERR', 'device-unknown', 'an empty label'),
}


def device_names(t, exe, preload, w):
    """Which device an address is, by its reverse-DNS name: only under
    settings.device_domains, the one label before it (a resolver of the
    test's own, preloaded, gives the names)."""
    # an outer preload (libfaketime, in the clock runs) stays after ours
    outer = os.environ.get('LD_PRELOAD')
    env = dict(os.environ, LD_PRELOAD=preload + (':' + outer if outer else ''),
               SMP_TEST_NAMES=','.join('%s=%s' % (a, n[0]) for a, n in NAMES.items()))
    env['ASAN_OPTIONS'] = env.get('ASAN_OPTIONS', '') + ':verify_asan_link_order=0'
    from helper import CONF
    w.write('smpolicy.conf', CONF.replace(
        'max_approved_per_office = 2;',
        'max_approved_per_office = 2;\n  device_domains = [ "Ws.Dcf.Example.", "other.example" ];'))
    h = Helper(exe, w.conf, env=env)
    for i, (addr, (name, result, code, what)) in enumerate(NAMES.items()):
        ch = str(200 + i)
        msg = expect(t, h, '%s w1 facebook.com %s' % (ch, addr), result, code, ch,
                     what='device_domains: %s (%s)' % (what, name))
        if code == 'device-unknown':
            t.ok(msg is not None and addr in msg,
                 'device_domains: the unknown device is named by its address, not by the '
                 'name (%s)' % name, msg)
    expect(t, h, '230 w2 facebook.com 203.0.113.1', 'ERR', 'no-approval', '230',
           what='device_domains: the same device, a worker without an approval')
    expect(t, h, '231 w1 facebook.com ws1', 'OK', channel='231',
           what='device_domains: a CLIENT that is a device id already is taken as it is')
    expect(t, h, '232 w1 facebook.com ws1.ws.dcf.example', 'ERR', 'device-unknown', '232',
           what='device_domains: a CLIENT that is a name, not an address, is an id as it is')
    t.ok(h.close() == 0, 'device_domains: exit 0')
    # the same names without device_domains: none stands for a device
    w.write('smpolicy.conf', CONF)
    h = Helper(exe, w.conf, env=env)
    for i, addr in enumerate(('203.0.113.1', '203.0.113.6', '203.0.113.9')):
        ch = str(240 + i)
        expect(t, h, '%s w1 facebook.com %s' % (ch, addr), 'ERR', 'device-unknown', ch,
               what='no device_domains: %s (%s) is no device' % (addr, NAMES[addr][0]))
    t.ok(h.close() == 0, 'no device_domains: exit 0')


def out_of_order_channels(t, exe, w):
    h = Helper(exe, w.conf)
    lines = ['%d %s facebook.com ws1' % (ch, 'w1' if ch % 2 else 'w2') for ch in (40, 3, 0, 17, 99999)]
    h.send(''.join(l + '\n' for l in lines))
    got = h.answers(len(lines))
    byc = {parse_answer(a)[0]: parse_answer(a)[1] for a in got}
    want = {'40': 'ERR', '3': 'OK', '0': 'ERR', '17': 'OK', '99999': 'OK'}
    t.ok(byc == want and len(got) == len(lines),
         'a batch of channels: one answer each, on its own channel', got)
    h.close()


def bad_lines(t, exe, w):
    h = Helper(exe, w.conf)
    cases = [
        ('', None, 'an empty line'),
        ('garbage', None, 'one field'),
        ('31', None, 'a channel id alone'),
        ('32 w1', '32', 'a channel and one field'),
        ('35 w1 face\x00book.com ws1', '35', 'a NUL byte'),
        ('36 ' + 'a' * 100000 + ' facebook.com ws1', '36', 'a 100 KB line with a channel'),
        ('b' * 100000, None, 'a 100 KB line without one'),
        ('37 w1 ' + 'x.' * 5000 + 'facebook.com ws1', '37', 'a 10 KB host'),
        ('38 \xff\xfe facebook.com ws1', '38', 'a login of bytes that are no text'),
    ]
    for line, ch, what in cases:
        h.send(line.encode('latin-1') + b'\n')
        got = h.answers(1)
        ans = parse_answer(got[0]) if got else None
        t.ok(ans is not None and ans[0] == ch and ans[1] == 'ERR',
             'bad line, %s: ERR on its channel' % what, got[0][:200] if got else 'no answer')
    msg = expect(t, h, '39 w1 facebook.com ws1', 'OK', channel='39', what='after the bad lines, still answering')
    t.ok(h.p.poll() is None, 'still running after the bad lines')
    # the last line without its newline is answered at the end of input
    h.send('40 w2 facebook.com ws1')
    h.p.stdin.close()
    got = h.answers(1)
    t.ok(got and parse_answer(got[0])[:2] == ('40', 'ERR'), 'a last line without a newline is answered', got)
    t.ok(h.close() == 0, 'exit status 0 at the end of input after bad lines')


def quoting(t, exe, smpolicy, w):
    reason = 'said "no" \\ and left\ttab \u00e9t\u00e9'
    r = subprocess.run([smpolicy] + NONROOT + ['-c', w.conf, 'revoke', 'LT-3', '--by', 'dir-it',
                        '--reason', reason], capture_output=True, text=True)
    t.ok(r.returncode == 0, 'revoke LT-3 with quotes, a backslash, a tab and UTF-8 in its reason', r.stderr)
    h = Helper(exe, w.conf)
    got = h.ask('50 w3 facebook.com ws1')
    ch, res, keys = parse_answer(got or '')
    msg = keys.get('message', '')
    t.ok(got is not None and got.startswith('50 ERR message="') and got.endswith('"'),
         'an ERR answer is one line: message="..."', got)
    t.ok('said "no" \\ and left tab ?t?' in msg and msg.startswith('approval-revoked (C): '),
         'Squid reads the message back whole: quotes and backslash escaped, '
         'controls as spaces, beyond ASCII as ?', msg)
    t.ok('\\"no\\" \\\\ and' in (got or ''), 'the raw answer escapes " and \\ with a backslash', got)
    t.ok(all(0x20 <= ord(c) < 0x7f for c in (got or 'x')), 'the answer is printable ASCII', got)
    h.close()


def revocation_while_running(t, exe, smpolicy, w):
    h = Helper(exe, w.conf)
    expect(t, h, '60 w1 facebook.com ws1', 'OK', channel='60', what='before the revocation')
    r = subprocess.run([smpolicy] + NONROOT + ['-c', w.conf, 'revoke', 'LT-1', '--by', 'dir-it',
                        '--reason', 'case closed'], capture_output=True, text=True)
    t.ok(r.returncode == 0, 'smpolicy revoke LT-1 while the helper runs', r.stderr)
    expect(t, h, '61 w1 facebook.com ws1', 'ERR', 'approval-revoked', '61',
           what='the very next answer follows the revocation')
    expect(t, h, '62 w1 youtube.com ws1', 'ERR', 'approval-revoked', '62', what='on every platform of it')
    # a hand edit back: the old approval again
    w.write('records.conf', w.records_text)
    expect(t, h, '63 w1 facebook.com ws1', 'OK', channel='63', what='the records written back by hand')
    t.ok(h.close() == 0, 'exit 0')


def broken_files(t, exe, w):
    h = Helper(exe, w.conf)
    expect(t, h, '70 w1 facebook.com ws1', 'OK', channel='70', what='before the records break')
    # a typo voids that one approval: what it names is ERR, the rest decides
    w.write('records.conf', w.records_text.replace('expires', 'expries', 1))
    expect(t, h, '71 w1 facebook.com ws1', 'ERR', 'approval-invalid', '71',
           what='a void approval grants nothing')
    expect(t, h, '72 w2 facebook.com ws1', 'ERR', 'no-approval', '72',
           what='a void record: the others decide as before')
    expect(t, h, '74 w1 notfacebook.com ws1', 'OK', channel='74',
           what='a void record: a host of no platform is OK as before')
    t.ok(h.said(lambda l: 'expries' in l and 'void' in l),
         'the void record was told on standard error', h.stderr[-5:])
    # a file that does not parse: nothing decides
    w.write('records.conf', w.records_text + 'x = ;\n')
    for ch, line in ((81, 'w1 facebook.com ws1'), (82, 'w2 facebook.com ws1'),
                     (83, 'w1 m.youtube.com ws1'), (84, 'w1 notfacebook.com ws1')):
        got = h.ask('%d %s' % (ch, line))
        t.ok(got is not None and got.startswith('%d ERR message="' % ch),
             'records with a structural fault: ERR, never OK (%s)' % line, got)
    w.write('records.conf', w.records_text)
    expect(t, h, '75 w1 facebook.com ws1', 'OK', channel='75', what='the records fixed: OK again at once')
    w.write('records.conf', w.records_text, mode=0o666)
    got = h.ask('76 w1 facebook.com ws1')
    t.ok(got is not None and got.startswith('76 ERR'), 'a records file others may write: ERR', got)
    w.write('records.conf', w.records_text)
    os.rename(w.conf, w.conf + '.away')
    got = h.ask('77 w1 facebook.com ws1')
    t.ok(got is not None and got.startswith('77 ERR'), 'the settings file gone: ERR', got)
    with open(w.conf + '.away') as f:
        good = f.read()
    w.write('smpolicy.conf', 'version = 1;\nsettings = { records = [ "records.conf" ]; ;\n')
    got = h.ask('78 w1 facebook.com ws1')
    t.ok(got is not None and got.startswith('78 ERR'), 'a settings file that does not parse: ERR', got)
    w.write('smpolicy.conf', good)
    os.unlink(w.conf + '.away')
    expect(t, h, '79 w1 facebook.com ws1', 'OK', channel='79', what='the settings back: OK again')
    t.ok(h.close() == 0, 'exit 0')
    t.ok(h.said(lambda l: 'syntax error' in l), 'each fault was told on standard error',
         h.stderr[-5:])


def directory_copy(t, exe, w):
    """A settings file that names the directory (smpolicy-ldap(5)): the helper
    decides from the local copy, notices a sync that names a new copy, and
    fails closed once the copy is older than max_offline."""
    import datetime as dt
    etc, copies = os.path.join(w.dir, 'etc'), os.path.join(w.dir, 'copy')
    for d in (etc, copies, os.path.join(copies, 'copy-1'), os.path.join(copies, 'copy-2')):
        os.mkdir(d)
        os.chmod(d, 0o755)
    w.write('etc/smpolicy.conf', 'version = 1;\nsettings = { source = "ldap"; };\n'
            'ldap = { uri = "ldap://127.0.0.1:9"; base = "ou=smpolicy,dc=example,dc=org";\n'
            '  copy_dir = "%s"; max_offline = 3600; };\n' % copies)
    from helper import CONF
    w.write('copy/copy-1/smpolicy.conf', CONF, mode=0o640)
    w.write('copy/copy-1/records.conf', w.records_text, mode=0o640)
    # the next sync: LT-1 is gone from the directory
    w.write('copy/copy-2/smpolicy.conf', CONF, mode=0o640)
    start = w.records_text.index('  { id = "LT-1"')
    w.write('copy/copy-2/records.conf',
            w.records_text[:start] + w.records_text[w.records_text.index('  { id = "LT-3"'):],
            mode=0o640)   # private, as a sync writes the copy

    def state(copy, ago):
        when = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=ago)).strftime('%Y-%m-%dT%H:%M:%SZ')
        w.write('copy/state', 'version = 1;\ncopy = "%s";\nsynced = "%s";\n'
                'uri = "ldap://127.0.0.1:9";\nbase = "ou=smpolicy,dc=example,dc=org";\n'
                'context_csn = "";\n' % (copy, when), mode=0o640)

    state('copy-1', 10)
    h = Helper(exe, os.path.join(etc, 'smpolicy.conf'))
    expect(t, h, '90 w1 facebook.com ws1', 'OK', channel='90', what='a directory-sourced config decides from its local copy')
    expect(t, h, '91 w2 facebook.com ws1', 'ERR', 'no-approval', '91', what='... and denies from it')
    state('copy-2', 5)
    expect(t, h, '92 w1 facebook.com ws1', 'ERR', 'no-approval', '92',
           what='a sync that names a new copy: the very next answer is from it')
    state('copy-2', 7200)
    got = h.ask('93 w3 facebook.com ws1')
    t.ok(got is not None and got.startswith('93 ERR'), 'a copy older than max_offline: ERR even for w3', got)
    state('copy-2', 1)
    expect(t, h, '94 w3 facebook.com ws1', 'OK', channel='94', what='synced again: OK again')
    # nothing changes on disk, yet the copy stops holding max_offline after
    # its sync: the helper knows when (smp_policy_expires) and answers ERR
    # from then on, not at its next timer
    state('copy-2', 3597)
    expect(t, h, '95 w3 facebook.com ws1', 'OK', channel='95', what='a copy just within max_offline: OK')
    time.sleep(5)
    got = h.ask('96 w3 facebook.com ws1')
    t.ok(got is not None and got.startswith('96 ERR'),
         'the copy passes max_offline with no file changed: ERR at once', got)
    t.ok(h.close() == 0, 'exit 0')


def slow_resolver(t, exe, preload, w):
    """A resolver that does not answer holds up only the requests from the
    addresses it is asked about, and those only for a while: then they are
    denied as devices without a name, never let through."""
    import time
    # a preload already there (libfaketime, under tests/clock.sh) is kept
    outer = os.environ.get('LD_PRELOAD')
    env = dict(os.environ, LD_PRELOAD=preload + (':' + outer if outer else ''))
    # under AddressSanitizer the preloaded resolver comes before its runtime
    env['ASAN_OPTIONS'] = env.get('ASAN_OPTIONS', '') + ':verify_asan_link_order=0'
    h = Helper(exe, w.conf, env=env)
    t0 = time.monotonic()
    h.send('100 w1 facebook.com 198.51.100.7 -\n101 w1 facebook.com 198.51.100.7 -\n'
           '102 w1 facebook.com ws1 -\n103 w2 facebook.com ws1 -\n')
    first = h.answers(2, timeout=1.5)
    t.ok(sorted(parse_answer(a)[:2] for a in first) == [('102', 'OK'), ('103', 'ERR')],
         'while the resolver is silent, the other requests are answered at once', first)
    later = h.answers(2, timeout=5)
    waited = time.monotonic() - t0
    msgs = [parse_answer(a) for a in later]
    t.ok(sorted(m[0] for m in msgs) == ['100', '101'] and
         all(m[1] == 'ERR' and m[2].get('message', '').startswith('device-unknown (B)') and
             '198.51.100.7' in m[2]['message'] for m in msgs),
         'the requests waiting for the name: device-unknown, naming the address', later)
    t.ok(1.5 <= waited < 3.0, 'they waited about two seconds, not for the resolver (%.1f s)' % waited)
    t0 = time.monotonic()
    got = h.ask('104 w1 facebook.com 198.51.100.7 -')
    t.ok(got is not None and got.startswith('104 ERR') and time.monotonic() - t0 < 1,
         'the address is remembered as nameless for a while: answered at once', got)
    # without channels Squid reads the answers in order
    h.send('w1 facebook.com 198.51.100.9 -\nw1 facebook.com ws1 -\n')
    got = h.answers(2, timeout=5)
    t.ok(len(got) == 2 and got[0].startswith('ERR') and got[1] == 'OK',
         'without channels the answers keep the order of the requests', got)
    t.ok(h.close() == 0, 'exit 0')


def never_readable(t, exe, w):
    h = Helper(exe, os.path.join(w.dir, 'missing', 'smpolicy.conf'))
    got = [h.ask('%d w1 %s ws1' % (80 + i, host))
           for i, host in enumerate(('facebook.com', 'example.org', 'm.fb.com'))]
    t.ok(all(g is not None and g.startswith('%d ERR' % (80 + i)) for i, g in enumerate(got)),
         'no settings file from the start: ERR for every request', got)
    t.ok(h.close() == 0, 'exit 0 at the end of input, even so')


def many(t, exe, w, n=20000):
    h = Helper(exe, w.conf)
    rnd = random.Random(16)
    hosts = [('facebook.com', True), ('m.facebook.com', True), ('FB.COM.', True),
             ('youtube.com', True), ('notfacebook.com', False), ('example.org', False),
             ('10.1.2.3', False)]
    want = {}
    lines = []
    for ch in range(n):
        user = rnd.choice(('w1', 'w2'))
        host, platform = rnd.choice(hosts)
        want[str(ch)] = 'OK' if (not platform or user == 'w1') else 'ERR'
        lines.append('%d %s %s ws1\n' % (ch, user, host))
    data = ''.join(lines).encode()
    writer = threading.Thread(target=h.send, args=(data,))
    writer.start()
    got = h.answers(n, timeout=30)
    writer.join()
    seen = {}
    for a in got:
        ch, res, _ = parse_answer(a)
        seen.setdefault(ch, []).append(res)
    wrong = [ch for ch in want if seen.get(ch) != [want[ch]]]
    t.ok(len(got) == n and not wrong, '%d requests: one right answer on each channel' % n,
         '%d answers, %d wrong, e.g. %s' % (len(got), len(wrong), wrong[:5]))
    t.ok(h.close() == 0, 'exit 0 after %d requests' % n)


def domains(t, smpolicy, w):
    r = subprocess.run([smpolicy] + NONROOT + ['-c', w.conf, 'domains'], capture_output=True, text=True)
    t.ok(r.returncode == 0 and r.stdout == '.facebook.com\n.fb.com\n.youtube.com\n.youtu.be\n.snapchat.com\n',
         'smpolicy domains: one a line, with the dot of "and its subdomains" (dstdomain)', r.stdout + r.stderr)
    w.write('smpolicy.conf', w_conf_with(w, '"Facebook.COM.", "m.facebook.com", "fb.com", "bad domain"'))
    r = subprocess.run([smpolicy] + NONROOT + ['-c', w.conf, 'domains'], capture_output=True, text=True)
    t.ok(r.returncode == 0 and r.stdout.startswith('.facebook.com\n.fb.com\n.youtube.com\n'),
         'lower case, no dots at the ends, a covered subdomain and repeats left out', r.stdout)
    t.ok("'bad domain' is not a DNS name" in r.stderr, 'a domain that is no DNS name: a warning', r.stderr)
    r = subprocess.run([smpolicy] + NONROOT + ['-c', w.conf + '.none', 'domains'], capture_output=True, text=True)
    t.ok(r.returncode == 2 and r.stdout == '', 'no settings file: exit 2, nothing printed', r.stderr)


def w_conf_with(w, facebook_domains):
    from helper import CONF
    return CONF.replace('"facebook.com", "fb.com"', facebook_domains + ', "fb.com"')


def time_zone(t, exe, w):
    """settings.time_zone: one answer whatever the helper's TZ.  LT-1 lapses
    two hours from now on New York's wall clock; read in UTC without the
    setting it lapsed hours ago."""
    ny = subprocess.run(['date', '-d', '+2 hours', '+%FT%H:%M'], capture_output=True, text=True,
                        env=dict(os.environ, TZ='America/New_York')).stdout.strip()
    w.write('records.conf', re.sub(r'expires = "[^"]*"; \},\n  \{ id = "LT-3"',
                                   'expires = "%s"; },\n  { id = "LT-3"' % ny,
                                   w.records_text, count=1))
    env = dict(os.environ, TZ='UTC')
    h = Helper(exe, w.conf, env=env)
    expect(t, h, '1 w1 facebook.com ws1', 'ERR', 'approval-expired', '1',
           what='without time_zone, TZ=UTC reads the wall clock as UTC: lapsed')
    h.close()
    with open(w.conf) as f:
        conf = f.read()
    w.write('smpolicy.conf', conf.replace('settings = {', 'settings = { time_zone = '
                                          '"America/New_York";', 1))
    for tz in ('UTC', 'America/New_York', 'Asia/Tokyo'):
        h = Helper(exe, w.conf, env=dict(os.environ, TZ=tz))
        expect(t, h, '2 w1 facebook.com ws1', 'OK', channel='2',
               what='time_zone = "America/New_York", TZ=%s: the same answer' % tz)
        expect(t, h, '3 w3 facebook.com ws1', 'OK', channel='3',
               what='TZ=%s: another approval as before' % tz)
        t.ok(h.close() == 0, 'TZ=%s: exit 0' % tz)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--helper', required=True)
    ap.add_argument('--smpolicy', required=True)
    ap.add_argument('--slow-resolver', required=True, help='slow_resolver.so, for LD_PRELOAD')
    a = ap.parse_args()
    a.slow_resolver = os.path.abspath(a.slow_resolver)
    t = Tap()
    for test in (lambda w: decisions(t, a.helper, w),
                 lambda w: out_of_order_channels(t, a.helper, w),
                 lambda w: bad_lines(t, a.helper, w),
                 lambda w: quoting(t, a.helper, a.smpolicy, w),
                 lambda w: revocation_while_running(t, a.helper, a.smpolicy, w),
                 lambda w: broken_files(t, a.helper, w),
                 lambda w: directory_copy(t, a.helper, w),
                 lambda w: never_readable(t, a.helper, w),
                 lambda w: slow_resolver(t, a.helper, a.slow_resolver, w),
                 lambda w: device_names(t, a.helper, a.slow_resolver, w),
                 lambda w: many(t, a.helper, w),
                 lambda w: domains(t, a.smpolicy, w),
                 lambda w: time_zone(t, a.helper, w)):
        w = World()
        try:
            test(w)
        finally:
            w.remove()
    return t.done()


if __name__ == '__main__':
    sys.exit(main())
