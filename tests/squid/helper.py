"""helper.py - what the Squid tests share: a world of files in a private
temporary folder whose approvals are dated around today, the helper
driven over its pipes as Squid drives it, Squid's own reading of an
answer, and TAP.

SPDX-License-Identifier: BSD-3-Clause
"""
import datetime
import os
import queue
import shutil
import socket
import subprocess
import tempfile
import threading
import time

NONROOT = [] if os.geteuid() == 0 else ['--test-allow-nonroot']


def day(today, offset):
    return (today + datetime.timedelta(days=offset)).isoformat()


def client_name(address):
    """The first label of the name reverse DNS gives address, or None: a
    device id of the records that the helper must not take from a name
    outside settings.device_domains."""
    try:
        return socket.gethostbyaddr(address)[0].split('.')[0] or None
    except OSError:
        return None


CONF = """version = 1;
settings = { records = [ "records.conf" ]; max_approved_per_office = 2; };
platforms = (
  { id = "facebook"; name = "Facebook"; domains = [ "facebook.com", "fb.com" ]; },
  { id = "youtube"; name = "YouTube"; domains = [ "youtube.com", "youtu.be" ]; private_messaging = false; },
  { id = "snapchat"; name = "Snap Chat"; domains = [ "snapchat.com" ]; mobile_only = true; },
  { id = "kik"; name = "Kik"; }
);
offices = (
  { id = "o1"; name = "Office One"; kind = "local"; },
  { id = "central"; name = "Central Office"; kind = "area"; }
);
"""

RECORDS = """staff = (
  { id = "dir-cpp"; office = "central"; roles = [ "director_cpp" ]; },
  { id = "dir-it"; office = "central"; roles = [ "director_it" ]; },
  { id = "lom1"; office = "o1"; roles = [ "local_office_manager" ]; },
  { id = "w1"; office = "o1"; roles = [ "worker" ]; },
  { id = "w2"; office = "o1"; roles = [ "worker" ]; },
  { id = "w3"; office = "o1"; roles = [ "worker" ]; }
);
devices = (
  { id = "ws1"; kind = "workstation"; owner = "dcf"; office = "o1"; },
  { id = "home"; kind = "workstation"; owner = "personal"; }%(client_device)s
);
approvals = (
  { id = "LT-1"; staff = "w1"; kind = "long_term"; platforms = [ "facebook", "youtube" ];
    requested_by = "lom1"; requested = "%(m30)s";
    approved_cpp = { by = "dir-cpp"; on = "%(m29)s"; };
    approved_it = { by = "dir-it"; on = "%(m29)s"; };
    starts = "%(m28)s"; expires = "%(p200)s"; },
  { id = "LT-3"; staff = "w3"; kind = "long_term"; platforms = [ "facebook" ];
    requested_by = "lom1"; requested = "%(m30)s";
    approved_cpp = { by = "dir-cpp"; on = "%(m29)s"; };
    approved_it = { by = "dir-it"; on = "%(m29)s"; };
    starts = "%(m28)s"; expires = "%(p200)s"; }
);
"""


class World:
    """smpolicy.conf and records.conf in a fresh folder: w1 holds facebook
    and youtube, w3 facebook, w2 nothing; ws1 is a DCF workstation, home a
    personal one, and the first label of the name 127.0.0.1 has by reverse
    DNS (if any) a DCF workstation too, which that name must not reach
    without device_domains."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix='smp-squid-')
        os.chmod(self.dir, 0o755)
        self.conf = os.path.join(self.dir, 'smpolicy.conf')
        self.records = os.path.join(self.dir, 'records.conf')
        self.loopback_device = client_name('127.0.0.1')
        extra = ''
        if self.loopback_device:
            extra = (',\n  { id = "%s"; kind = "workstation"; owner = "dcf"; office = "o1"; }'
                     % self.loopback_device)
        self.write('smpolicy.conf', CONF)
        # the helper decides at the clock's time: the approvals are dated
        # from today, read once, with weeks to spare on either side
        today = self.today = datetime.date.today()
        self.records_text = RECORDS % {
            'client_device': extra, 'm30': day(today, -30), 'm29': day(today, -29),
            'm28': day(today, -28), 'p200': day(today, 200)}
        self.write('records.conf', self.records_text)

    def write(self, name, text, mode=0o644):
        path = os.path.join(self.dir, name)
        tmp = path + '.new'
        with open(tmp, 'w') as f:
            f.write(text)
        os.chmod(tmp, mode)
        os.rename(tmp, path)

    def remove(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class Helper:
    """smpolicy-squid on pipes, as Squid runs it."""

    def __init__(self, exe, conf, *extra, env=None):
        self.p = subprocess.Popen([exe] + NONROOT + ['-c', conf] + list(extra),
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, env=env)
        self.lines = queue.Queue()
        self.stderr = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_err, daemon=True).start()

    def _read(self):
        for line in self.p.stdout:
            self.lines.put(line.decode('latin-1').rstrip('\n'))
        self.lines.put(None)

    def _read_err(self):
        for line in self.p.stderr:
            self.stderr.append(line.decode('latin-1').rstrip('\n'))

    def said(self, pred, timeout=10):
        """Whether a line of the helper's standard error meets pred, waiting
        up to timeout seconds: the helper writes it before its answer, but
        the thread that reads it may be later than the one that reads the
        answer."""
        end = time.monotonic() + timeout
        while True:
            if any(pred(l) for l in list(self.stderr)):
                return True
            if time.monotonic() >= end:
                return False
            time.sleep(0.05)

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.p.stdin.write(data)
        self.p.stdin.flush()

    def answers(self, n, timeout=10):
        """The next n answer lines (fewer if the helper stops or is silent)."""
        out = []
        for _ in range(n):
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                break
            if line is None:
                self.lines.put(None)
                break
            out.append(line)
        return out

    def ask(self, line):
        """One request line, one answer (None if none came)."""
        self.send(line + '\n')
        got = self.answers(1)
        return got[0] if got else None

    def close(self, timeout=10):
        """End its input; its exit status (None if it did not exit)."""
        try:
            self.p.stdin.close()
        except BrokenPipeError:
            pass
        try:
            return self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            return None


def strwordtok(s):
    """Squid's strwordtok(): one word of s, quotes joining, backslash
    escaping inside them; returns (word, rest)."""
    i, word, quoted = 0, [], False
    while i < len(s) and s[i].isspace():
        i += 1
    while i < len(s):
        c = s[i]
        if c == '\\' and quoted:
            i += 1
            c = s[i] if i < len(s) else ''
            word.append({'n': '\n', 'r': '\r'}.get(c, c))
            i += 1
        elif c == '"':
            quoted = not quoted
            i += 1
        elif not quoted and c.isspace():
            i += 1
            break
        else:
            word.append(c)
            i += 1
    return ''.join(word), s[i:]


def parse_answer(line):
    """(channel or None, result, {key: value}) as Squid reads an answer."""
    words = line.split(' ', 1)
    channel = None
    if words[0].isdigit():
        channel, line = words[0], (words[1] if len(words) > 1 else '')
    result, _, rest = line.partition(' ')
    keys = {}
    while rest.strip():
        key, eq, value = rest.strip().partition('=')
        if not eq:
            break
        value, rest = strwordtok(value)
        keys[key] = value
    return channel, result, keys


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, what, detail=None):
        self.n += 1
        if cond:
            print('ok %d - %s' % (self.n, what))
        else:
            self.failed += 1
            print('not ok %d - %s' % (self.n, what))
            if detail is not None:
                for line in str(detail).splitlines() or ['']:
                    print('# ' + line)
        return cond

    def skip_all(self, why):
        print('1..0 # SKIP ' + why)

    def done(self):
        print('1..%d' % self.n)
        return 1 if self.failed else 0
