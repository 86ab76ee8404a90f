#!/usr/bin/env python3
"""Signed sign-offs against forgery: each attack on a signed world of
files must leave the approval approval-invalid with its reason.  TAP.

Hermetic: a fresh temporary world, keys made by `smpolicy keygen`, fixed
instants (--on, --at), TZ fixed for the child."""
import argparse
import base64
import datetime
import os
import re
import shutil
import subprocess
import sys
import struct
import tempfile
import zoneinfo

HERE = os.path.dirname(os.path.abspath(__file__))
SMALL = os.path.join(HERE, '..', 'cli', 'worlds', 'small')
AT = '2026-11-25T10:00'
ENV = dict(os.environ, TZ='America/New_York', LC_ALL='C')

n = 0
failed = 0


def ok(cond, name, detail=''):
    global n, failed
    n += 1
    if not cond:
        failed += 1
        print('not ok %d - %s' % (n, name))
        for line in detail.splitlines():
            print('# ' + line)
    else:
        print('ok %d - %s' % (n, name))


def run(exe, world, *args):
    p = subprocess.run([exe] + (['--test-allow-nonroot'] if os.geteuid() else []) +
                       ['-c', os.path.join(world, 'smpolicy.conf')] + list(args),
                       capture_output=True, text=True, env=ENV, timeout=60)
    return p.returncode, p.stdout, p.stderr


def decide(exe, world, user='w1', platform='facebook'):
    return run(exe, world, 'decide', '--user', user, '--platform', platform,
               '--device', 'ws-1', '--at', AT)


def write(path, text):
    with open(path, 'w') as f:
        f.write(text)


def read(path):
    with open(path) as f:
        return f.read()


def unsign(text):
    """The small world's sign-offs without them: LT-1 and UB-1 unsigned."""
    return re.sub(r'\n    approved_(cpp|it) = \{\n      by = "[^"]*";\n      on = "[^"]*";\n    \};',
                  '', text)


def message(act, aid, staff, kind, platforms, ticket, requested_by, requested, starts,
            expires, signer, on, reason=None):
    """The signed message as docs/SIGNATURES.md specifies it, written
    independently of the library."""
    def s(v):
        b = v.encode()
        return struct.pack('>I', len(b)) + b

    def t(v):
        return struct.pack('>q', v)

    def opt(v, f):
        return b'\x00' if v is None else b'\x01' + f(v)
    out = b'smpolicy-signoff-v1\x00' + s(act) + s(aid) + s(staff) + s(kind)
    out += struct.pack('>I', len(platforms)) + b''.join(s(p) for p in sorted(platforms))
    out += opt(ticket, s) + opt(requested_by, s) + opt(requested, t) + opt(starts, t)
    out += opt(expires, t) + s(signer) + t(on)
    if act == 'revoked':
        out += s(reason)
    return out


def local(day, tz='America/New_York'):
    """The instant a date alone denotes in the records (its start)."""
    y, m, d = map(int, day.split('-'))
    return int(datetime.datetime(y, m, d, tzinfo=zoneinfo.ZoneInfo(tz)).timestamp())


def doc_example():
    """The hex of the example in docs/SIGNATURES.md."""
    text = read(os.path.join(HERE, '..', '..', 'docs', 'SIGNATURES.md'))
    block = text.split('is the bytes (hex, grouped by field):', 1)[1].split('```')[1]
    return bytes.fromhex(''.join(re.split(r'\s{2,}', line.strip())[0].replace(' ', '')
                                 for line in block.strip().splitlines()))


def openssl_verifies(pub_b64, msg, sig_b64, tmp):
    """Does the openssl command (not the library) accept the signature?"""
    der = os.path.join(tmp, 'pub.der')
    with open(der, 'wb') as f:
        f.write(base64.b64decode(pub_b64))
    with open(os.path.join(tmp, 'msg'), 'wb') as f:
        f.write(msg)
    with open(os.path.join(tmp, 'sig'), 'wb') as f:
        f.write(base64.b64decode(sig_b64))
    pem = subprocess.run(['openssl', 'pkey', '-pubin', '-inform', 'DER', '-in', der,
                          '-out', os.path.join(tmp, 'pub.pem')], capture_output=True)
    r = subprocess.run(['openssl', 'dgst', '-sha256', '-verify', os.path.join(tmp, 'pub.pem'),
                        '-signature', os.path.join(tmp, 'sig'), os.path.join(tmp, 'msg')],
                       capture_output=True, text=True)
    return pem.returncode == 0 and r.returncode == 0 and 'Verified OK' in r.stdout


def signers_conf(entries):
    return 'version = 1;\nsigners = (\n' + ',\n'.join(entries) + '\n);\n'


def entry(id_, role, key, frm='2017-02-06', until=None):
    s = '  { id = "%s"; role = "%s"; from = "%s"; key = "%s";' % (id_, role, frm, key)
    if until:
        s += ' until = "%s";' % until
    return s + ' }'


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--exe', required=True)
    exe = ap.parse_args().exe
    top = tempfile.mkdtemp(prefix='smp-sig-')
    try:
        keys = os.path.join(top, 'keys')
        os.mkdir(keys, 0o700)
        pub = {}
        for who in ('cpp', 'it', 'rogue'):
            pin = os.path.join(keys, who + '.pin')
            write(pin, 'pass-%s\n' % who)
            os.chmod(pin, 0o600)
            rc, out, err = subprocess.run(
                [exe, 'keygen', '--out', os.path.join(keys, who + '.pem'), '--pin-file', pin],
                capture_output=True, text=True, env=ENV).returncode, None, None
            p = subprocess.run([exe, 'keygen', '--public', os.path.join(keys, who + '.pem'),
                                '--pin-file', pin], capture_output=True, text=True, env=ENV)
            pub[who] = p.stdout.strip()
        ok(all(re.fullmatch(r'[A-Za-z0-9+/]+=*', pub[w]) for w in pub), 'keygen makes three keys')
        wrong = subprocess.run([exe, 'keygen', '--public', os.path.join(keys, 'cpp.pem'),
                                '--pin-file', os.path.join(keys, 'it.pin')],
                               capture_output=True, text=True, env=ENV)
        ok(wrong.returncode == 2 and 'wrong passphrase' in wrong.stderr,
           'a key file does not open with another passphrase', wrong.stderr)
        clear = subprocess.run([exe, 'keygen', '--out', os.path.join(keys, 'clear.pem')],
                               capture_output=True, text=True, env=ENV)
        ok(clear.returncode == 2 and not os.path.exists(os.path.join(keys, 'clear.pem')),
           'keygen writes no key in clear', clear.stderr)
        with open(os.path.join(keys, 'cpp.pem')) as f:
            pem = f.read()
        ok('ENCRYPTED PRIVATE KEY' in pem and oct(os.stat(os.path.join(keys, 'cpp.pem')).st_mode & 0o777) == '0o600',
           'the key file is encrypted PKCS#8, mode 0600')

        def key(who):
            return ['--key', os.path.join(keys, who + '.pem'),
                    '--pin-file', os.path.join(keys, who + '.pin')]

        good_signers = signers_conf([entry('dir-cpp', 'director_cpp', pub['cpp']),
                                     entry('dir-it', 'director_it', pub['it'])])

        def world(name, signers=good_signers):
            w = os.path.join(top, name)
            shutil.copytree(SMALL, w)
            conf = read(os.path.join(w, 'smpolicy.conf'))
            write(os.path.join(w, 'smpolicy.conf'),
                  conf.replace('  records = [ "records.conf" ];\n',
                               '  records = [ "records.conf" ];\n  require_signatures = true;\n'))
            write(os.path.join(w, 'records.conf'), unsign(read(os.path.join(w, 'records.conf'))))
            write(os.path.join(w, 'signers.conf'), signers)
            return w

        # the procedure: both directors sign with their keys, then ALLOW
        w = world('flow')
        rc, out, _ = decide(exe, w)
        ok(rc == 1 and 'DENY' in out, 'unsigned: DENY', out)
        rc, out, err = run(exe, w, 'sign', 'LT-1', '--by', 'dir-cpp', '--on', '2026-05-28', *key('cpp'))
        ok(rc == 0, 'dir-cpp signs LT-1 with the key', out + err)
        before = read(os.path.join(w, 'records.conf'))
        # an unsigned sign-off under require_signatures
        rc, out, err = run(exe, w, 'sign', 'LT-1', '--by', 'dir-it', '--on', '2026-06-01')
        ok(rc == 1 and 'has no signature' in err, 'a sign-off without a key is refused', err)
        # a key not in signers.conf: the command refuses, the records stay
        rc, out, err = run(exe, w, 'sign', 'LT-1', '--by', 'dir-it', '--on', '2026-06-01', *key('rogue'))
        ok(rc == 1 and 'does not verify' in err and read(os.path.join(w, 'records.conf')) == before,
           'signing with a key not pinned is refused', err)
        # another director's key in dir-it's name
        rc, out, err = run(exe, w, 'sign', 'LT-1', '--by', 'dir-it', '--on', '2026-06-01', *key('cpp'))
        ok(rc == 1 and read(os.path.join(w, 'records.conf')) == before,
           "dir-cpp's key does not sign for dir-it", err)
        rc, out, err = run(exe, w, 'sign', 'LT-1', '--by', 'dir-it', '--on', '2026-06-01', *key('it'))
        ok(rc == 0, 'dir-it signs LT-1 with the key', out + err)
        rc, out, _ = decide(exe, w)
        ok(rc == 0 and out.startswith('ALLOW'), 'signed by both: ALLOW', out)
        rc, out, _ = run(exe, w, 'verify')
        ok('LT-1: approved_cpp by dir-cpp valid; approved_it by dir-it valid;' in out,
           'verify: both valid', out)
        rc, out, _ = run(exe, w, 'verify', '--json')
        ok('"state":"valid"' in out.replace(' ', '') and '"require_signatures":true' in out.replace(' ', ''),
           'verify --json', out)
        signed = read(os.path.join(w, 'records.conf'))

        # the encoding as documented: the doc's example, and the library's
        # signature verified by openssl over an independent encoding
        ex = message('approved_cpp', 'LT-1', 'w1', 'long_term', ['facebook'], None, 'lom',
                     1779235200, None, None, 'dir-cpp', 1779926400)
        ok(doc_example() == ex, 'docs/SIGNATURES.md: the example is the encoding',
           doc_example().hex() + '\n' + ex.hex())
        lt1 = re.findall(r'sig = "([^"]+)"', signed)
        msg_cpp = message('approved_cpp', 'LT-1', 'w1', 'long_term', ['facebook', 'snapchat'],
                          None, 'lom', local('2026-05-20'), local('2026-06-01'),
                          local('2027-01-01'), 'dir-cpp', local('2026-05-28'))
        ok(len(lt1) == 2 and openssl_verifies(pub['cpp'], msg_cpp, lt1[0], top),
           'openssl verifies the CP&P signature over the documented message')
        msg_it = message('approved_it', 'LT-1', 'w1', 'long_term', ['facebook', 'snapchat'],
                         None, 'lom', local('2026-05-20'), local('2026-06-01'),
                         local('2027-01-01'), 'dir-it', local('2026-06-01'))
        ok(len(lt1) == 2 and openssl_verifies(pub['it'], msg_it, lt1[1], top),
           'openssl verifies the IT signature over the documented message')
        ok(len(lt1) == 2 and not openssl_verifies(pub['cpp'], msg_it, lt1[0], top),
           'and not the CP&P signature over the IT message')

        def attack(name, records=None, signers=None, why=''):
            w2 = world(name, signers if signers is not None else good_signers)
            write(os.path.join(w2, 'records.conf'), records if records is not None else signed)
            rc, out, _ = decide(exe, w2)
            ok(rc == 1 and 'approval-invalid' in out and why in out, name + ': denied (' + why + ')', out)
            return w2

        sigs = re.findall(r'sig = "([^"]+)";', signed)
        # the sign-offs' signatures of LT-1 copied to UB-1, whose sign-offs match by and on
        ub = signed.replace('    ticket = "NJS-1";', '    ticket = "NJS-1";\n'
                            '    approved_cpp = { by = "dir-cpp"; on = "2026-05-28"; sig = "%s"; };\n'
                            '    approved_it = { by = "dir-it"; on = "2026-06-01"; sig = "%s"; };'
                            % (sigs[0], sigs[1]))
        w2 = world('copied-from-another')
        write(os.path.join(w2, 'records.conf'), ub)
        rc, out, _ = decide(exe, w2, user='w2', platform='youtube')
        ok(rc == 1 and 'approval-invalid' in out and 'does not verify' in out,
           'signatures copied from another approval: denied', out)
        attack('expiry-changed', signed.replace('expires = "2026-12-31";', 'expires = "2027-12-31";'),
               why='does not verify')
        attack('starts-changed', signed.replace('starts = "2026-06-01";', 'starts = "2026-05-29";'),
               why='does not verify')
        attack('platform-added', signed.replace('platforms = [ "facebook", "snapchat" ];',
                                                'platforms = [ "facebook", "snapchat", "youtube" ];'),
               why='does not verify')
        w2 = world('platforms-reordered')
        write(os.path.join(w2, 'records.conf'),
              signed.replace('platforms = [ "facebook", "snapchat" ];',
                             'platforms = [ "snapchat", "facebook" ];'))
        rc, out, _ = decide(exe, w2)
        ok(rc == 0 and out.startswith('ALLOW'),
           'the platforms listed in another order: still ALLOW (a set is signed)', out)
        attack('date-changed', signed.replace('on = "2026-06-01";', 'on = "2026-06-02";', 1),
               why='does not verify')
        # dir-cpp's signature in the IT slot (and dir-cpp made a director_it in the records)
        cpp_in_it = re.sub(r'approved_it = \{ by = "dir-it"; on = "2026-06-01"; sig = "[^"]+"; \}',
                           'approved_it = { by = "dir-cpp"; on = "2026-05-28"; sig = "%s"; }' % sigs[0],
                           signed)
        cpp_in_it = re.sub(r'(approved_it = \{)\s*by = "dir-it";\s*on = "2026-06-01";\s*sig = "[^"]+";\s*\}',
                           r'\1 by = "dir-cpp"; on = "2026-05-28"; sig = "%s"; }' % sigs[0], cpp_in_it)
        attack('cpp-signature-in-it-slot', cpp_in_it, why="in another role")
        attack('key-outside-tenure', signers=signers_conf(
            [entry('dir-cpp', 'director_cpp', pub['cpp']),
             entry('dir-it', 'director_it', pub['it'], until='2026-05-31')]), why='in tenure')
        attack('tenure-not-begun', signers=signers_conf(
            [entry('dir-cpp', 'director_cpp', pub['cpp'], frm='2026-06-01'),
             entry('dir-it', 'director_it', pub['it'])]), why='in tenure')
        attack('signer-not-in-signers-conf', signers=signers_conf(
            [entry('dir-cpp', 'director_cpp', pub['cpp'])]), why="'dir-it' is not a signer")
        attack('key-swapped-in-signers-conf', signers=signers_conf(
            [entry('dir-cpp', 'director_cpp', pub['rogue']),
             entry('dir-it', 'director_it', pub['it'])]), why='does not verify')
        # the signers file is the settings': kept as safe, and P-256 keys only
        w2 = world('signers-writable')
        write(os.path.join(w2, 'records.conf'), signed)
        os.chmod(os.path.join(w2, 'signers.conf'), 0o666)
        rc, out, err = decide(exe, w2)
        ok(rc == 2 and 'signers.conf' in err and not out.startswith('ALLOW'),
           'a signers file anyone can write: no decision', out + err)
        rsa = subprocess.run('openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 '
                             '2>/dev/null | openssl pkey -pubout -outform DER | base64 -w0',
                             shell=True, capture_output=True, text=True).stdout.strip()
        w2 = world('signers-rsa-key', signers_conf([entry('dir-cpp', 'director_cpp', rsa),
                                                    entry('dir-it', 'director_it', pub['it'])]))
        write(os.path.join(w2, 'records.conf'), signed)
        rc, out, err = decide(exe, w2)
        ok(rc == 2 and 'not an ECDSA P-256 public key' in err, 'an RSA key in signers.conf: an error',
           out + err)
        w2 = world('signers-bad-role', signers_conf([entry('dir-cpp', 'director', pub['cpp'])]))
        rc, out, err = decide(exe, w2)
        ok(rc == 2 and 'role must be' in err, 'a signer of no known role: an error', out + err)
        attack('signature-removed', re.sub(r' sig = "[^"]+";', '', signed, count=1),
               why='has no signature')
        attack('signature-not-base64', signed.replace(sigs[1], '!!' + sigs[1][2:]),
               why='not base64')
        # a whole approval written by someone with write access and no key
        attack('approval-written-whole', read(os.path.join(SMALL, 'records.conf')),
               why='has no signature')

        # an author whose staff entry is deleted after they acted: what they
        # signed is judged by signers.conf, what they requested by the two
        # directors' sign-offs, what they revoked stays revoked
        def delete_staff(text, sid):
            out = re.sub(r'  \{ id = "%s";.*?\n  \},?\n' % re.escape(sid), '', text,
                         count=1, flags=re.S)
            # whom they supervised now answers to no one (HR re-points them)
            return re.sub(r'\n *supervisor = "%s";' % re.escape(sid), '', out)

        no_cpp = delete_staff(signed, 'dir-cpp')
        ok('"dir-cpp"' in no_cpp and 'id = "dir-cpp"' not in no_cpp, 'dir-cpp\'s entry deleted')
        w2 = world('signer-deleted')
        write(os.path.join(w2, 'records.conf'), no_cpp)
        rc, out, _ = decide(exe, w2)
        ok(rc == 0 and out.startswith('ALLOW'),
           'a director deleted after signing, the signature valid: still ALLOW', out)
        rc, out, err = run(exe, w2, 'check')
        ok(rc == 0 and "approved_cpp.by 'dir-cpp' is not in the staff records" in err
           and "approval 'LT-1'" in err and 'records.conf:' in err,
           'check: a warning naming the signer and the approval', out + err)
        attack('signer-deleted-not-in-signers-conf', no_cpp,
               signers_conf([entry('dir-it', 'director_it', pub['it'])]),
               why="signed by 'dir-cpp', who is not in the staff records")
        attack('signer-deleted-out-of-tenure', no_cpp,
               signers_conf([entry('dir-cpp', 'director_cpp', pub['cpp'], until='2026-05-01'),
                             entry('dir-it', 'director_it', pub['it'])]),
               why="signed by 'dir-cpp', who is not in the staff records")
        attack('signer-deleted-key-of-other-role', no_cpp,
               signers_conf([entry('dir-cpp', 'director_it', pub['cpp']),
                             entry('dir-it', 'director_it', pub['it'])]),
               why="signed by 'dir-cpp', who is not in the staff records")
        attack('signer-deleted-signature-removed', re.sub(r' sig = "[^"]+";', '', no_cpp, count=1),
               why="signed by 'dir-cpp', who is not in the staff records")
        # without require_signatures nothing vouches for an unknown signer
        w2 = world('signer-deleted-signatures-off')
        write(os.path.join(w2, 'records.conf'), no_cpp)
        write(os.path.join(w2, 'smpolicy.conf'), read(os.path.join(w2, 'smpolicy.conf'))
              .replace('  require_signatures = true;\n', ''))
        rc, out, _ = decide(exe, w2)
        ok(rc == 1 and 'approval-invalid' in out
           and "signed by 'dir-cpp', who is not in the staff records" in out,
           'a deleted signer, signatures not required: approval-invalid naming the signer', out)

        no_lom = delete_staff(signed, 'lom')
        ok('requested_by = "lom"' in no_lom and 'id = "lom"' not in no_lom, 'lom\'s entry deleted')
        w2 = world('requester-deleted')
        write(os.path.join(w2, 'records.conf'), no_lom)
        rc, out, _ = decide(exe, w2)
        ok(rc == 0 and out.startswith('ALLOW'),
           'the requesting manager deleted after both directors signed: still ALLOW', out)
        rc, out, err = run(exe, w2, 'check')
        ok(rc == 0 and "requested_by 'lom' is not in the staff records" in err,
           'check: a warning naming the requester', out + err)
        # the record commands work on it: a revocation by a director in the records
        rc, out, err = run(exe, w2, 'revoke', 'LT-1', '--by', 'dir-it', '--reason', 'moved',
                           '--on', '2026-11-20', *key('it'))
        rc2, out2, _ = decide(exe, w2)
        ok(rc == 0 and rc2 == 1 and 'approval-revoked' in out2,
           'revoke works on an approval whose requester is gone', out + err + out2)
        attack('requester-deleted-a-signature-forged', no_lom.replace(sigs[1], sigs[0]),
               why='does not verify')

        # the requester deleted before any sign-off: not valid, and then the
        # two directors sign it (vouching for the request as it stands)
        w2 = world('requester-deleted-unsigned')
        write(os.path.join(w2, 'records.conf'),
              delete_staff(read(os.path.join(w2, 'records.conf')), 'lom'))
        rc, out, _ = decide(exe, w2)
        ok(rc == 1 and 'DENY' in out, 'the requester deleted before any sign-off: DENY', out)
        rc, out, err = run(exe, w2, 'sign', 'LT-1', '--by', 'dir-cpp', '--on', '2026-05-28',
                           *key('cpp'))
        rc2, out2, _ = decide(exe, w2)
        ok(rc == 0 and rc2 == 1 and 'DENY' in out2,
           'one director signs it: still DENY', out + err + out2)
        rc, out, err = run(exe, w2, 'sign', 'LT-1', '--by', 'dir-it', '--on', '2026-06-01',
                           *key('it'))
        rc2, out2, _ = decide(exe, w2)
        ok(rc == 0 and rc2 == 0 and out2.startswith('ALLOW'),
           'both directors sign it: ALLOW', out + err + out2)

        # the compiled cache follows signers.conf: a key taken out denies
        rc, out, err = run(exe, w, 'compile')
        ok(rc == 0, 'compile', out + err)
        rc, out, _ = decide(exe, w)
        ok(rc == 0, 'ALLOW from the compiled cache', out)
        write(os.path.join(w, 'signers.conf'),
              signers_conf([entry('dir-cpp', 'director_cpp', pub['cpp'])]))
        rc, out, _ = decide(exe, w)
        ok(rc == 1 and "'dir-it' is not a signer" in out, 'signers.conf changed: the cache is stale', out)

        # migration: unsigned sign-offs re-signed by each director in one command
        w3 = world('migration')
        write(os.path.join(w3, 'records.conf'), read(os.path.join(SMALL, 'records.conf')))
        before = read(os.path.join(w3, 'records.conf'))
        rc, out, err = run(exe, w3, 'sign', '--resign', '--by', 'dir-cpp', '--dry-run', '--at', AT)
        ok(rc == 0 and 'would sign LT-1' in out and read(os.path.join(w3, 'records.conf')) == before,
           'resign --dry-run changes nothing', out + err)
        rc1, out1, err1 = run(exe, w3, 'sign', '--resign', '--by', 'dir-cpp', '--at', AT, *key('cpp'))
        rc2, out2, err2 = run(exe, w3, 'sign', '--resign', '--by', 'dir-it', '--at', AT, *key('it'))
        ok(rc1 == 0 and rc2 == 0 and 'signed LT-1' in out1 and 'signed LT-1' in out2,
           'resign by both directors', out1 + err1 + out2 + err2)
        rc, out, _ = decide(exe, w3)
        ok(rc == 0 and out.startswith('ALLOW'), 'after the migration: ALLOW', out)
        rc, out, err = run(exe, w3, 'sign', '--resign', '--by', 'dir-it', '--at', AT, *key('rogue'))
        ok('LT-1' not in out, 'a signed sign-off is not signed again', out + err)

        # a signed revocation verifies; an edited reason does not
        rc, out, err = run(exe, w3, 'revoke', 'LT-1', '--by', 'dir-cpp', '--reason', 'left',
                           '--on', '2026-11-20', *key('cpp'))
        ok(rc == 0, 'signed revocation', out + err)
        rc, out, _ = run(exe, w3, 'verify')
        ok('revoked by dir-cpp valid' in out, 'the revocation\'s signature verifies', out)
        write(os.path.join(w3, 'records.conf'),
              read(os.path.join(w3, 'records.conf')).replace('reason = "left";', 'reason = "other";'))
        rc, out, _ = run(exe, w3, 'verify')
        ok(re.search(r'LT-1:.*revoked by dir-cpp invalid', out) is not None,
           'a revocation edited after signing is reported', out)
        rc, out, _ = decide(exe, w3)
        ok(rc == 1 and 'revoked' in out, 'and still revokes', out)
        # the revoker's entry deleted: the revocation still revokes
        write(os.path.join(w3, 'records.conf'),
              delete_staff(read(os.path.join(w3, 'records.conf')), 'dir-cpp'))
        rc, out, _ = decide(exe, w3)
        ok(rc == 1 and 'approval-revoked' in out and 'by dir-cpp' in out,
           'a revoker deleted: still revoked', out)
    finally:
        shutil.rmtree(top, ignore_errors=True)
    print('1..%d' % n)
    print('# %d passed, %d failed' % (n - failed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
