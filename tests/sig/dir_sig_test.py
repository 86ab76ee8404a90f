#!/usr/bin/env python3
"""dir_sig_test.py - signed sign-offs on records in the directory, each
director's key in a PKCS#11 token of their own (SoftHSM2, through the same
GnuTLS/p11-kit path as a smartcard): request, both sign, sync, ALLOW; then
what the root DN (or anyone who slips past an access rule) can still write
does not grant.  A throwaway slapd (tests/ldap), fixed instants.  TAP.

usage: dir_sig_test.py --exe BUILD/tools/smpolicy
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "ldap"))
import records_test as rt  # noqa: E402
from ldaptest import Slapd  # noqa: E402

ok = rt.ok
SOFTHSM = "/usr/lib/softhsm/libsofthsm2.so"


def tokens(tmp):
    """Two SoftHSM2 tokens, dcpp and dit, each with a P-256 key "key";
    the environment that reaches them and the PIN files."""
    conf = os.path.join(tmp, "softhsm2.conf")
    tokdir = os.path.join(tmp, "tokens")
    os.mkdir(tokdir, 0o700)
    with open(conf, "w") as f:
        f.write(f"directories.tokendir = {tokdir}\nobjectstore.backend = file\n")
    env = dict(os.environ, SOFTHSM2_CONF=conf)
    pins = {}
    for who, pin in (("dcpp", "1111"), ("dit", "2222")):
        r = subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", who,
                            "--so-pin", "9999", "--pin", pin], capture_output=True, text=True,
                           env=env)
        ok(r.returncode == 0, f"softhsm2: token {who}", r.stdout + r.stderr)
        r = subprocess.run(["p11tool", f"--provider={SOFTHSM}", "--login",
                            "--generate-privkey=ecdsa", "--curve=secp256r1", "--label=key",
                            f"pkcs11:token={who}"], capture_output=True, text=True,
                           env=dict(env, GNUTLS_PIN=pin))
        ok(r.returncode == 0, f"p11tool: a P-256 key in token {who}", r.stdout + r.stderr)
        p = os.path.join(tmp, who + ".pin")
        with open(p, "w") as f:
            f.write(pin + "\n")
        os.chmod(p, 0o600)
        pins[who] = p
    return env, pins


def uri(who):
    return f"pkcs11:token={who};object=key;type=private"


FIXED = "2026-03-01 10:00:00"   # the instant PAM and the helper decide at (faketime)
FAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"


RUNTIME = []   # --pam-preload: the sanitizer runtime an instrumented module needs


def at_fixed(preload=()):
    """The environment of a process of the test's clock (FIXED), with more
    preloaded libraries.  The zone is the sync's: a date alone in the
    records is a day of the local zone, and both the signature's message
    and the compiled cache are of the instants it gives."""
    # libfaketime first: after a preloaded ASan runtime it deadlocks
    return dict(os.environ, LD_PRELOAD=":".join([FAKETIME, *RUNTIME, *preload]), LC_ALL="C")


def pam(tmp, module, wrapper, conf, extra=""):
    """pamtester acct_mgmt for t1 on ws-trenton-1 under pam_wrapper: (rc, output)."""
    svc = os.path.join(tmp, "svc")
    os.makedirs(svc, mode=0o755, exist_ok=True)
    with open(os.path.join(svc, "sig"), "w") as f:
        f.write(f"account required {module} config={conf} device=ws-trenton-1 "
                f"platform=facebook {extra}\n")
    env = at_fixed([wrapper])
    env.update(PAM_WRAPPER="1", PAM_WRAPPER_SERVICE_DIR=svc, PAM_WRAPPER_DEBUGLEVEL="2")
    r = subprocess.run(["pamtester", "sig", "t1", "acct_mgmt"], capture_output=True, text=True,
                       env=env, stdin=subprocess.DEVNULL, timeout=60)
    return r.returncode, r.stdout + r.stderr


def squid(helper, conf):
    """One request to the Squid helper, at FIXED: its answer line."""
    r = subprocess.run([helper, "-c", conf], input="1 t1 facebook.com ws-trenton-1\n",
                       capture_output=True, text=True, env=at_fixed(), timeout=60)
    return r.stdout.strip() + r.stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--exe", required=True)
    ap.add_argument("--pam-module", required=True)
    ap.add_argument("--pam-wrapper", default="")
    ap.add_argument("--squid-helper", required=True)
    ap.add_argument("--pam-preload", default="")
    args = ap.parse_args()
    if args.pam_preload:
        RUNTIME.append(args.pam_preload)
    exe = os.path.abspath(args.exe)
    # The whole test lives on a clock that starts at FIXED: the server's
    # certificates, the sync, PAM and the helper agree on what "now" is,
    # and it is the same on any day the test runs.
    if os.environ.get("FAKETIME") != "@" + FIXED and os.path.exists(FAKETIME):
        env = dict(os.environ, LD_PRELOAD=FAKETIME, FAKETIME="@" + FIXED)
        # a sanitizer's runtime then does not come first: it need not
        env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"
        os.execve(sys.executable, [sys.executable, *sys.argv], env)
    for tool, what in (("pamtester", "pamtester"), ("faketime", "faketime")):
        if shutil.which(tool) is None:
            ok(False, f"{what} is installed (./dev.sh installs it)")
    if not args.pam_wrapper or not os.path.exists(FAKETIME):
        ok(False, "pam_wrapper and libfaketime are installed (./dev.sh installs them)")
    if shutil.which("softhsm2-util") is None or shutil.which("p11tool") is None:
        ok(False, "softhsm2-util and p11tool are installed (./dev.sh installs softhsm2, gnutls-bin)")
        print(f"1..{len(rt.results)}")
        return 1
    with tempfile.TemporaryDirectory(prefix="smp-dirsig-") as tmp:
        os.chmod(tmp, 0o755)
        env, pins = tokens(tmp)
        os.environ.update(env)   # the record commands open the tokens
        pub = {}
        for who in ("dcpp", "dit"):
            r = subprocess.run([exe, "keygen", "--public", uri(who), "--pin-file", pins[who]],
                               capture_output=True, text=True)
            ok(r.returncode == 0 and re.fullmatch(r"[A-Za-z0-9+/]+=*\n", r.stdout),
               f"keygen --public reads {who}'s token", r.stdout + r.stderr)
            pub[who] = r.stdout.strip()
        with Slapd(tmp) as s:
            w = rt.World(tmp, s, exe)
            signers = os.path.join(tmp, "site", "signers.conf")
            with open(signers, "w") as f:
                f.write('version = 1;\nsigners = (\n'
                        f'  {{ id = "dcpp"; role = "director_cpp"; from = "2017-02-06"; key = "{pub["dcpp"]}"; }},\n'
                        f'  {{ id = "dit"; role = "director_it"; from = "2017-02-06"; key = "{pub["dit"]}"; }}\n);\n')
            os.chmod(signers, 0o640)   # private, like the copy it is read with
            with open(w.conf) as f:
                text = f.read()
            with open(w.conf, "w") as f:   # the default of a directory source
                f.write(text.replace(" require_signatures = false;", ""))
            rt.setup(w)
            r = w.as_("lomt", "request", "--staff", "t1", "--kind", "long_term", "--platform",
                      "facebook", "--by", "lomt", "--on", "2026-02-01")
            m = re.search(r"(LT-\d{4}-\d+)", r.stdout)
            ok(r.returncode == 0 and m, "request by the office manager", r.stdout + r.stderr)
            aid = m.group(1) if m else "LT-none"
            r = w.as_("dcpp", "sign", aid, "--by", "dcpp", "--on", "2026-02-02", "--key",
                      uri("dcpp"), "--pin-file", pins["dcpp"])
            ok(r.returncode == 0, "dcpp signs with the token", r.stdout + r.stderr)
            r = w.as_("dit", "sign", aid, "--by", "dit", "--on", "2026-02-03", "--key",
                      uri("dcpp"), "--pin-file", pins["dcpp"])
            ok(r.returncode == 1, "dit cannot sign with dcpp's token", r.stdout + r.stderr)
            r = w.as_("dit", "sign", aid, "--by", "dit", "--on", "2026-02-03", "--key",
                      uri("dit"), "--pin-file", pins["dit"])
            ok(r.returncode == 0 and "fully signed" in r.stdout, "dit signs with the token",
               r.stdout + r.stderr)
            e = w.approval(aid)
            ok("smpApprovedCppSig: " in e and "smpApprovedItSig: " in e,
               "both signatures are in the directory", e)
            r = w.smpolicy("sync")
            ok(r.returncode == 0, "sync", r.stdout + r.stderr)

            def decide():
                return w.smpolicy("decide", "--user", "t1", "--platform", "facebook",
                                  "--device", "ws-trenton-1", "--at", "2026-03-01T10:00")
            r = decide()
            ok(r.returncode == 0 and r.stdout.startswith("ALLOW"), "decide: ALLOW", r.stdout + r.stderr)
            r = w.smpolicy("status", "--json")
            ok('"signatures_required": true' in r.stdout,
               "status says signatures are required", r.stdout + r.stderr)
            r = w.smpolicy("verify")
            ok(f"{aid}: approved_cpp by dcpp valid; approved_it by dit valid;" in r.stdout,
               "verify on the workstation's copy", r.stdout + r.stderr)
            verified = os.path.join(tmp, "site", "copy", "verified")
            lines = open(verified).read().splitlines() if os.path.exists(verified) else []
            ok(len(lines) == 3 and all(re.fullmatch(r"[0-9a-f]{64}", x) for x in lines[1:]),
               "the sync kept the two signatures it verified (copy_dir/verified)", "\n".join(lines))
            rc, out = pam(tmp, os.path.abspath(args.pam_module), args.pam_wrapper, w.conf,
                          "cache=use")
            ok(rc == 0 and "decision=allow" in out,
               "PAM: ALLOW from the copy's compiled cache (the verdicts of the sync)", out)
            rc, out = pam(tmp, os.path.abspath(args.pam_module), args.pam_wrapper, w.conf,
                          "cache=off")
            ok(rc != 0 and "cannot verify signatures" in out,
               "PAM parsing the records itself verifies nothing and denies", out)
            out = squid(os.path.abspath(args.squid_helper), w.conf)
            ok(out.startswith("1 OK"), "Squid helper: OK", out)

            # the migration on the directory: the exported approvals carry
            # dcpp's sign-off without a signature
            r = w.smpolicy("verify")
            ok("LT-2026-101: approved_cpp by dcpp missing" in r.stdout,
               "an approval signed before signatures: missing", r.stdout + r.stderr)
            r = w.smpolicy("sign", "--resign", "--by", "dcpp", "--dry-run", "--at", "2026-03-01")
            ok(r.returncode == 0 and "would sign LT-2026-101" in r.stdout,
               "resign --dry-run on the directory", r.stdout + r.stderr)
            before = w.approval("LT-2026-101")
            ok("smpApprovedCppSig" not in before, "the dry run wrote nothing", before)
            r = w.as_("dcpp", "sign", "--resign", "--by", "dcpp", "--at", "2026-03-01",
                      "--key", uri("dcpp"), "--pin-file", pins["dcpp"])
            ok(r.returncode == 0 and r.stdout.count("signed LT-2026-10") == 6,
               "dcpp re-signs the six approvals in one command", r.stdout + r.stderr)
            e2 = w.approval("LT-2026-101")
            ok("smpApprovedCppSig: " in e2 and f"modifiersName: {w.dn('dcpp')}" in e2,
               "the signature is in the directory, written by dcpp's own bind", e2)
            w.smpolicy("sync")
            r = w.smpolicy("verify")
            ok("LT-2026-101: approved_cpp by dcpp valid;" in r.stdout,
               "after the sync: valid", r.stdout + r.stderr)

            # what the root DN can write does not grant
            dn = f"cn={aid},ou=approvals,{w.base}"
            w.raw("root", f"dn: {dn}\nchangetype: modify\nreplace: smpExpires\nsmpExpires: 2030-01-01\n")
            w.smpolicy("sync")
            r = decide()
            ok(r.returncode == 1 and "approval-invalid" in r.stdout and "does not verify" in r.stdout,
               "root DN extends the expiry: denied", r.stdout + r.stderr)
            with open(verified, "a") as f:   # the memo is root's, but a damaged one is ignored
                f.write("not hex\n")
            w.raw("root", f"dn: {dn}\nchangetype: modify\nreplace: smpTicket\nsmpTicket: T-2\n")
            r = w.smpolicy("sync")
            ok(r.returncode == 0 and decide().returncode == 1,
               "a damaged memo of verified signatures: verified again, still denied",
               r.stdout + r.stderr)
            w.raw("root", f"dn: {dn}\nchangetype: modify\ndelete: smpTicket\n")
            w.raw("root", f"dn: {dn}\nchangetype: modify\ndelete: smpExpires\n")
            w.smpolicy("sync")
            r = decide()
            ok(r.returncode == 0, "the expiry put back: ALLOW again", r.stdout + r.stderr)
            w.raw("root", f"dn: {dn}\nchangetype: modify\nreplace: smpApprovedItBy\nsmpApprovedItBy: dit2\n")
            w.smpolicy("sync")
            r = decide()
            ok(r.returncode == 1 and "'dit2' is not a signer" in r.stdout,
               "root DN names another IT director: denied", r.stdout + r.stderr)
            whole = (f"dn: cn=LT-9999-1,ou=approvals,{w.base}\nchangetype: add\n"
                     "objectClass: smpPolicyApproval\ncn: LT-9999-1\nsmpStaff: t1\n"
                     "smpKind: long_term\nsmpPlatforms: facebook\nsmpRequestedBy: lomt\n"
                     "smpRequested: 2026-02-01\nsmpApprovedCppBy: dcpp\nsmpApprovedCppOn: 2026-02-02\n"
                     "smpApprovedItBy: dit\nsmpApprovedItOn: 2026-02-03\n")
            ok(w.raw("root", whole) == 0, "the root DN writes a whole approval")
            w.smpolicy("sync")
            r = decide()
            ok(r.returncode == 1 and "has no signature" in r.stdout,
               "an approval written whole by the root DN: denied", r.stdout + r.stderr)
            sig = re.search(r"smpApprovedCppSig: (\S+)", e)
            sig_it = re.search(r"smpApprovedItSig: (\S+)", e)
            if sig and sig_it:
                w.raw("root", f"dn: cn=LT-9999-1,ou=approvals,{w.base}\nchangetype: modify\n"
                      f"add: smpApprovedCppSig\nsmpApprovedCppSig: {sig.group(1)}\n-\n"
                      f"add: smpApprovedItSig\nsmpApprovedItSig: {sig_it.group(1)}\n")
            w.smpolicy("sync")
            r = decide()
            ok(r.returncode == 1 and "does not verify" in r.stdout,
               "the signatures of another approval copied in: denied", r.stdout + r.stderr)

            # revocation memory: a revocation seen stays in force here
            w.raw("root", f"dn: cn=LT-9999-1,ou=approvals,{w.base}\nchangetype: delete\n")
            w.raw("root", f"dn: {dn}\nchangetype: modify\nreplace: smpApprovedItBy\nsmpApprovedItBy: dit\n")
            w.smpolicy("sync")
            r = decide()
            ok(r.returncode == 0, "the records put back: ALLOW", r.stdout + r.stderr)

            # dcpp's entry deleted outright after signing: the sign-off counts
            # on its signature (signers.conf vouches for dcpp), the sync
            # counts no void record, and the approval still allows
            saved = w.search(w.dn("dcpp"))
            ok(w.raw("root", f"dn: {w.dn('dcpp')}\nchangetype: delete\n") == 0,
               "the root DN deletes the signer's entry (dcpp)")
            r = w.smpolicy("sync")
            with open(os.path.join(tmp, "site", "copy", "state")) as f:
                state = f.read()
            ok(r.returncode == 0 and "void: " not in r.stdout and
               re.search(r"^void_records = 0;$", state, re.M) is not None,
               "the signer deleted: synced, no void record", r.stdout + r.stderr + state)
            r = decide()
            ok(r.returncode == 0 and r.stdout.startswith("ALLOW"),
               "the signer deleted, the signature valid: still ALLOW", r.stdout + r.stderr)
            r = w.smpolicy("check", "--online")
            ok(re.search(rf"^{re.escape(dn)}: warning: .*approval '{aid}': approved_cpp.by "
                         r"'dcpp' is not in the staff records", r.stderr, re.M) is not None,
               "check --online warns of the deleted signer by the approval's DN",
               r.stdout + r.stderr)
            ok(w.raw("root", saved.replace("\n", "\nchangetype: add\n", 1)) == 0,
               "the signer's entry put back")
            r = w.smpolicy("sync")
            ok(r.returncode == 0 and decide().returncode == 0, "and synced: ALLOW",
               r.stdout + r.stderr)
            r = w.as_("dcpp", "revoke", aid, "--by", "dcpp", "--reason", "left the agency",
                      "--on", "2026-02-20", "--key", uri("dcpp"), "--pin-file", pins["dcpp"])
            ok(r.returncode == 0, "dcpp revokes it, signed", r.stdout + r.stderr)
            ok("smpRevokedSig: " in w.approval(aid), "the revocation's signature is in the directory")
            r = w.smpolicy("sync")
            ok(r.returncode == 0, "sync", r.stdout + r.stderr)
            r = decide()
            ok(r.returncode == 1 and "revoked" in r.stdout, "revoked: DENY", r.stdout + r.stderr)
            memory = os.path.join(tmp, "site", "copy", "revoked")
            ok(os.path.exists(memory) and aid in open(memory).read(),
               "the revocation is kept in copy_dir/revoked")
            w.raw("root", f"dn: {dn}\nchangetype: modify\ndelete: smpRevokedOn\n-\n"
                  "delete: smpRevokedBy\n-\ndelete: smpRevokedReason\n-\ndelete: smpRevokedSig\n")
            ok("smpRevokedOn" not in w.approval(aid), "the root DN deletes the revocation")
            r = w.smpolicy("sync")
            ok(r.returncode == 0 and "no longer in the directory" in r.stderr,
               "sync says the revocation is kept", r.stdout + r.stderr)
            r = decide()
            ok(r.returncode == 1 and "revoked" in r.stdout,
               "a revocation deleted after this machine saw it: still DENY", r.stdout + r.stderr)
            r = w.smpolicy("verify")
            ok(re.search(aid + r": .*revoked by dcpp valid", r.stdout) is not None,
               "the kept revocation's signature still verifies", r.stdout + r.stderr)
            w.raw("root", f"dn: {w.dn('w1')}\nchangetype: modify\nreplace: smpName\nsmpName: W One\n")
            r = w.smpolicy("sync")
            ok(r.returncode == 0 and "no longer in the directory" in r.stderr,
               "another change, another sync", r.stdout + r.stderr)
            r = decide()
            ok(r.returncode == 1 and "revoked" in r.stdout, "and after another sync",
               r.stdout + r.stderr)
    print(f"1..{len(rt.results)}")
    return 0 if all(g for g, _w, _d in rt.results) else 1


if __name__ == "__main__":
    sys.exit(main())
