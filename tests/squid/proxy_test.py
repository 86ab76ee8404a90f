#!/usr/bin/env python3
"""proxy_test.py - a real squid on loopback with examples/squid/squid.conf
(its paths pointed at a temporary world), the platforms' hosts resolved to
a stand-in web server through Squid's hosts_file, and curl through it as
two workers: one without an approval (blocked, the deny page giving the
reason with its manual section) and one with (the stand-in's page).  No
network is needed.  Prints TAP lines; exit 0 pass, 1 fail, 77 skip (no
squid or curl installed).

    proxy_test.py --helper BUILD/tools/squid/smpolicy-squid --smpolicy BUILD/tools/smpolicy
                  --examples examples/squid --resolver BUILD/tests/squid/slow_resolver.so

Squid gives the helper the client's address, 127.0.0.1; the helper runs
with the tests' resolver preloaded, which names that address
ws-loop.ws.test.example, and the settings list ws.test.example in
device_domains, so the client is the DCF workstation ws-loop.

SPDX-License-Identifier: BSD-3-Clause
"""
import argparse
import http.server
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from helper import CONF, NONROOT, Tap, World  # noqa: E402

LOOP_NAME = "ws-loop.ws.test.example"

SKIP = 77
TEMPLATES = '/usr/share/squid/errors/templates'   # Debian's squid-common


def find(name, *places):
    for p in places:
        if os.access(p, os.X_OK):
            return p
    return shutil.which(name)


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class StandIn(http.server.BaseHTTPRequestHandler):
    """Every platform's web server: a page naming the host asked for."""

    def do_GET(self):
        body = ('stand-in page for %s\n' % self.headers.get('Host', '?')).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'text/plain')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def squid_conf(example, w, var, helper, domains, port, resolver):
    """The example with its /etc paths pointed at the world, and what a
    throwaway squid needs besides (logs, pid, no cache, the hosts file)."""
    with open(example) as f:
        text = f.read()
    for old, new in (
            ('http_port 3128', 'http_port 127.0.0.1:%d' % port),
            ('/usr/libexec/smpolicy/smpolicy-squid', ' '.join(
                # an outer preload (libfaketime, in the clock runs) stays after ours
                ['/usr/bin/env', 'LD_PRELOAD=' + resolver + (
                    ':' + os.environ['LD_PRELOAD'] if os.environ.get('LD_PRELOAD') else ''),
                 'SMP_TEST_NAMES=127.0.0.1=' + LOOP_NAME,
                 # under AddressSanitizer the preloaded resolver comes first
                 'ASAN_OPTIONS=%s:verify_asan_link_order=0' % os.environ.get('ASAN_OPTIONS', ''),
                 helper] + NONROOT)),
            ('/etc/smpolicy/smpolicy.conf', w.conf),
            ('/etc/smpolicy/social.domains', domains),
            # any password will do here; the login is what counts
            ('/usr/lib/squid/basic_ncsa_auth /etc/squid/passwd', '/usr/lib/squid/basic_fake_auth')):
        if old not in text:
            raise SystemExit('examples/squid/squid.conf has no %r' % old)
        text = text.replace(old, new)
    text += '\n'.join([
        '', '# ---- proxy_test.py: a throwaway squid ----',
        'pid_filename %s/squid.pid' % var,
        'cache_log %s/cache.log' % var,
        'access_log stdio:%s/access.log' % var,
        'coredump_dir %s' % var,
        'hosts_file %s/hosts' % var,
        # Squid's own pages and the deny page, where this squid looks for them
        'error_directory %s/errors' % w.dir,
        'cache deny all',
        'shutdown_lifetime 0 seconds',
        'pinger_enable off',
        'icp_port 0',
        'htcp_port 0',
        'dns_nameservers 127.0.0.1',
        'dns_timeout 2 seconds',
        'negative_dns_ttl 1 seconds',
        'logfile_rotate 0',
        '']) + '\n'
    return text


def curl(proxy_port, user, url):
    r = subprocess.run(['curl', '-s', '-S', '--max-time', '20', '-x', 'http://127.0.0.1:%d' % proxy_port,
                        '-U', user + ':any-password', '-w', '\n%{http_code}', url],
                       capture_output=True, text=True, errors='replace')
    body, _, code = r.stdout.rpartition('\n')
    return code, body, r.stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--helper', required=True)
    ap.add_argument('--smpolicy', required=True)
    ap.add_argument('--examples', required=True)
    ap.add_argument('--resolver', required=True, help='slow_resolver.so, for LD_PRELOAD')
    a = ap.parse_args()
    t = Tap()
    squid = find('squid', '/usr/sbin/squid')
    fake_auth = '/usr/lib/squid/basic_fake_auth'
    if (squid is None or shutil.which('curl') is None or not os.access(fake_auth, os.X_OK) or
            not os.path.isdir(TEMPLATES)):
        print('# SKIP: squid, its basic_fake_auth or curl is not installed (./dev.sh installs them)')
        return SKIP

    w = World()
    w.write('smpolicy.conf', CONF.replace(
        'max_approved_per_office = 2;',
        'max_approved_per_office = 2;\n  device_domains = [ "ws.test.example" ];'))
    w.write('records.conf', w.records_text.replace(
        '  { id = "ws1";',
        '  { id = "ws-loop"; kind = "workstation"; owner = "dcf"; office = "o1"; },\n'
        '  { id = "ws1";', 1))
    var = os.path.join(w.dir, 'var')
    os.mkdir(var)
    # squid started as root runs itself and its helpers as cache_effective_user
    if os.geteuid() == 0:
        proxy = pwd.getpwnam('proxy')
        os.chown(var, proxy.pw_uid, proxy.pw_gid)
    web = http.server.ThreadingHTTPServer(('127.0.0.1', 0), StandIn)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    web_port = web.server_address[1]
    proxy_port = free_port()
    squid_proc = None
    try:
        with open(os.path.join(var, 'hosts'), 'w') as f:
            f.write('127.0.0.1 localhost\n127.0.0.1 facebook.com www.facebook.com m.facebook.com '
                    'youtube.com www.youtube.com notfacebook.com\n')
        domains = os.path.join(w.dir, 'social.domains')
        with open(domains, 'w') as f:
            r = subprocess.run([a.smpolicy] + NONROOT + ['-c', w.conf, 'domains'], stdout=f)
        t.ok(r.returncode == 0, 'smpolicy domains > social.domains')
        os.chmod(domains, 0o644)
        errors = os.path.join(w.dir, 'errors')
        shutil.copytree(TEMPLATES, errors)
        shutil.copy(os.path.join(a.examples, 'ERR_SMPOLICY'), errors)
        os.chmod(os.path.join(errors, 'ERR_SMPOLICY'), 0o644)
        conf = os.path.join(w.dir, 'squid.conf')
        with open(conf, 'w') as f:
            f.write(squid_conf(os.path.join(a.examples, 'squid.conf'), w, var,
                               os.path.abspath(a.helper), domains, proxy_port,
                               os.path.abspath(a.resolver)))
        os.chmod(conf, 0o644)
        r = subprocess.run([squid, '-k', 'parse', '-f', conf], capture_output=True, text=True)
        if not t.ok(r.returncode == 0, 'squid -k parse accepts the example configuration', r.stderr[-2000:]):
            return t.done()

        with open(os.path.join(w.dir, 'squid.stderr'), 'w') as err:
            squid_proc = subprocess.Popen([squid, '-N', '-f', conf], stdout=subprocess.DEVNULL,
                                          stderr=err, start_new_session=True)
        deadline = time.monotonic() + 20
        up = False
        while time.monotonic() < deadline and squid_proc.poll() is None and not up:
            up = accepting(var, proxy_port)
            if not up:
                time.sleep(0.1)
        if not t.ok(up, 'squid listens on 127.0.0.1:%d' % proxy_port, squid_log(w.dir)):
            return t.done()

        url = 'http://www.facebook.com:%d/' % web_port
        code, body, err = curl(proxy_port, 'w2', url)
        t.ok(code == '403', 'a worker without an approval: facebook blocked (403)', code + ' ' + body[:300] + err)
        m = re.search(r'<blockquote id="smpolicy-reason">(.*?)</blockquote>', body, re.S)
        reason = m.group(1) if m else ''
        t.ok(reason.startswith('no-approval (C): ') and 'w2' in reason,
             'the deny page gives the reason with its section: ' + reason[:120], body[:1500])
        t.ok('www.facebook.com' in body and 'IX-H-2-100' in body, 'the deny page names the site and the manual')
        code, body, err = curl(proxy_port, 'w1', url)
        t.ok(code == '200' and body.startswith('stand-in page for www.facebook.com'),
             'a worker with an approval: facebook allowed (the stand-in\'s page)', code + ' ' + body[:300] + err)
        code, body, err = curl(proxy_port, 'w2', 'http://notfacebook.com:%d/' % web_port)
        t.ok(code == '200', 'a look-alike host is no platform: allowed for anyone', code + ' ' + body[:300])
        code, body, err = curl(proxy_port, 'w1', 'http://youtube.com:%d/' % web_port)
        t.ok(code == '200', 'the approval\'s second platform, youtube: allowed', code + ' ' + body[:300])
        code, body, err = curl(proxy_port, 'w3', 'http://youtube.com:%d/' % web_port)
        t.ok(code == '403' and 'no-approval (C)' in body, 'a platform not in the approval: blocked', code)
        r = subprocess.run(['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '20',
                            '-x', 'http://127.0.0.1:%d' % proxy_port, url], capture_output=True, text=True)
        t.ok(r.stdout == '407', 'without a login: 407, authentication required', r.stdout)
    finally:
        if squid_proc is not None and squid_proc.poll() is None:
            squid_proc.send_signal(signal.SIGTERM)
            try:
                squid_proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(squid_proc.pid, signal.SIGKILL)
                squid_proc.wait()
        web.shutdown()
        if t.failed:
            print('\n'.join('# ' + l for l in squid_log(w.dir).splitlines()[-40:]))
        w.remove()
    return t.done()


def accepting(var, port):
    """Has this squid said it accepts connections on port?  A connection
    alone could reach another program that took the free port first."""
    try:
        with open(os.path.join(var, 'cache.log'), errors='replace') as f:
            log = f.read()
    except OSError:
        return False
    return re.search(r'Accepting HTTP Socket connections at .*local=127\.0\.0\.1:%d\b' % port,
                     log) is not None


def squid_log(folder):
    """The end of squid's standard error and cache.log, for a failure."""
    text = ''
    for name in ('squid.stderr', 'var/cache.log'):
        try:
            with open(os.path.join(folder, name), errors='replace') as f:
                text += '--- %s\n%s' % (name, f.read()[-3000:])
        except OSError:
            pass
    return text


if __name__ == '__main__':
    sys.exit(main())
