#!/bin/bash
# deb_test.sh SOURCE_DIR - the Debian packages, installed as the state
# would install them, and logins through the machine's real PAM stack.
#
# It builds the packages with `./dev.sh deb` (lintian included) from the
# tracked tree, installs them with apt-get, creates two users, writes a
# small world into /etc/smpolicy (one approved, one not), enables the
# pam-auth-update profile and then drives the services of /etc/pam.d as
# they are, with no pam_wrapper: `pamtester login USER acct_mgmt` and `su`
# on a pseudo-terminal, both through common-account (su also through
# common-session).  The approved user passes, the other is refused with the
# reason on the terminal and in syslog; root still passes.  Then it purges
# the packages and shows that /etc/pam.d/common-* are byte for byte what
# they were and the refused user passes again.
#
# It changes the machine, so it runs as root only (otherwise it skips, exit
# 77) and puts back on exit, even on failure: /etc/pam.d, /var/lib/pam,
# /etc/smpolicy, /var/lib/smpolicy, /var/cache/smpolicy, /dev/log (a syslog
# listener of its own is bound there meanwhile: there may be no syslog
# daemon), the two users, the packages and whatever apt installed with
# them.  It skips when any of the packages is installed already.
#
# The PAM stack decides at the real current time: the approval starts the
# day before today and lapses 30 days after, so the test passes at any hour.
#
# SPDX-License-Identifier: BSD-3-Clause
set -u

src=$(cd "${1:?usage: deb_test.sh SOURCE_DIR}" && pwd)
PKGS="libsmpolicy1 libsmpolicy-dev libpam-smpolicy smpolicy smpolicy-squid"

n=0
bad=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
no() { n=$((n + 1)); echo "not ok $n - $*"; bad=1; }
skip() { echo "1..0 # SKIP $*"; exit 77; }
die() { no "$*"; exit 1; }

[ "$(id -u)" -eq 0 ] || skip "needs root: it installs packages and edits /etc/pam.d"
for t in dpkg-buildpackage lintian apt-get pam-auth-update pamtester useradd userdel script python3 su; do
	command -v "$t" >/dev/null 2>&1 || skip "$t is not installed (./dev.sh installs it)"
done
for p in $PKGS; do
	if dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q ' installed$'; then
		skip "$p is installed already: this test would remove it"
	fi
done

W=$(mktemp -d /tmp/smpolicy-deb-test.XXXXXX)
group_was=$(getent group _smpolicy || true)
chmod 0755 "$W"
U_OK=smpok$$
U_NO=smpno$$
LISTENER=
DEVLOG_MOVED=
users_made=

# ---- putting everything back ---------------------------------------------

# same_tree A B: the same files with the same bytes (and no others)
same_tree() { diff -r --no-dereference "$1" "$2" >/dev/null 2>&1; }

restore_tree() {   # restore_tree LIVE SAVED: only when they differ
	if [ -e "$2" ] && ! same_tree "$1" "$2"; then
		echo "# restoring $1"
		rm -rf "$1" && cp -a "$2" "$1"
	fi
}

restore_moved() {   # restore_moved PATH: ours out, the saved one (if any) back
	rm -rf "$1"
	[ ! -e "$W/saved$1" ] && [ ! -L "$W/saved$1" ] || mv "$W/saved$1" "$1"
}

cleanup() {
	set +e
	if [ -n "$LISTENER" ]; then
		kill "$LISTENER" 2>/dev/null
		wait "$LISTENER" 2>/dev/null
	fi
	if [ -n "$DEVLOG_MOVED" ]; then
		rm -f /dev/log
		[ ! -e "$W/saved/dev/log" ] && [ ! -L "$W/saved/dev/log" ] || mv "$W/saved/dev/log" /dev/log
	fi
	local left=
	for p in $PKGS; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'installed$' && left="$left $p"
	done
	# shellcheck disable=SC2086
	[ -z "$left" ] || DEBIAN_FRONTEND=noninteractive apt-get purge -y -q $left >/dev/null 2>&1
	if [ -f "$W/packages.before" ]; then
		dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' | awk '$1 == "ii" {print $2}' |
			sort >"$W/packages.now"
		extra=$(comm -13 "$W/packages.before" "$W/packages.now")
		# shellcheck disable=SC2086
		[ -z "$extra" ] || DEBIAN_FRONTEND=noninteractive apt-get purge -y -q $extra >/dev/null 2>&1
	fi
	restore_tree /etc/pam.d "$W/saved/etc/pam.d"
	restore_tree /var/lib/pam "$W/saved/var/lib/pam"
	for d in /etc/smpolicy /var/lib/smpolicy /var/cache/smpolicy; do
		restore_moved "$d"
	done
	# the packages' system group stays after a purge, as Debian's do;
	# this machine gets back what it had
	[ -n "$group_was" ] || ! getent group _smpolicy >/dev/null || groupdel _smpolicy
	for u in $users_made; do
		userdel "$u" >/dev/null 2>&1
		getent group "$u" >/dev/null && groupdel "$u" >/dev/null 2>&1
	done
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

mkdir -p "$W/saved/etc" "$W/saved/var/lib" "$W/saved/var/cache" "$W/saved/dev"
cp -a /etc/pam.d "$W/saved/etc/pam.d" || die "cannot save /etc/pam.d"
cp -a /var/lib/pam "$W/saved/var/lib/pam" || die "cannot save /var/lib/pam"
for d in /etc/smpolicy /var/lib/smpolicy /var/cache/smpolicy; do
	if [ -e "$d" ] || [ -L "$d" ]; then
		mv "$d" "$W/saved$d" || die "cannot move $d aside"
	fi
done
dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' | awk '$1 == "ii" {print $2}' |
	sort >"$W/packages.before"

# ---- the packages ----------------------------------------------------------

if DEBS="$W/debs" sh "$src/dev.sh" deb >"$W/deb.log" 2>&1; then
	ok "./dev.sh deb built the packages, lintian without errors or warnings"
else
	cat "$W/deb.log"
	die "./dev.sh deb failed"
fi
version=$(sed -n '1s/^libsmpolicy (\([^)]*\)).*/\1/p' "$src/debian/changelog")
debs=
for p in $PKGS; do
	f=$W/debs/${p}_${version}_$(dpkg --print-architecture).deb
	[ -f "$f" ] || die "no $f"
	debs="$debs $f"
done

# shellcheck disable=SC2086
if DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $debs >"$W/apt.log" 2>&1; then
	ok "apt-get installed the five packages"
else
	cat "$W/apt.log"
	die "apt-get install failed"
fi
for p in $PKGS; do
	v=$(dpkg-query -W -f='${Version}' "$p")
	[ "$v" = "$version" ] || no "$p is installed as $v, not $version"
done
[ "$(smpolicy --version)" = "smpolicy $version" ] || no "the installed smpolicy --version: $(smpolicy --version)"
[ -d /var/lib/smpolicy ] && [ -d /var/cache/smpolicy ] &&
	ok "tmpfiles.d made /var/lib/smpolicy and /var/cache/smpolicy" ||
	no "/var/lib/smpolicy or /var/cache/smpolicy missing after the install"
getent group _smpolicy | grep -Eq '[:,]proxy(,|$)' &&
	ok "the group _smpolicy is made, and the Squid helper's user (proxy) is in it" ||
	no "after the install: $(getent group _smpolicy || echo 'no group _smpolicy')"
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
[ -f "/lib/$multiarch/security/pam_smpolicy.so" ] || no "no /lib/$multiarch/security/pam_smpolicy.so"
grep -q pam_smpolicy /etc/pam.d/common-account /etc/pam.d/common-session &&
	no "installing alone put pam_smpolicy in the stack (the profile is Default: no)" ||
	ok "installed, not yet in the stack"

# ---- two users and their records -------------------------------------------

for u in "$U_OK" "$U_NO"; do
	getent passwd "$u" >/dev/null && die "user $u exists already"
	useradd -M -s /bin/sh "$u" || die "useradd $u"
	users_made="$users_made $u"
	[ "$(id -u "$u")" -ge 1000 ] || die "$u got uid $(id -u "$u"), below 1000 (the profile lets those by)"
done

host=$(uname -n)
day() { date -d "$1 days" +%F; }   # the date N days from today
starts=$(day -1)
expires=$(day 30)
install -d -m 0755 /etc/smpolicy
cat >/etc/smpolicy/smpolicy.conf <<EOF
version = 1;
settings = {
  records = [ "records.conf" ];
  max_approved_per_office = 2;
  warn_days = 14;
};
platforms = (
  { id = "facebook"; name = "Facebook"; domains = [ "facebook.com" ]; }
);
offices = (
  { id = "essex-central"; name = "Essex Central Local Office"; kind = "local"; }
);
EOF
cat >/etc/smpolicy/records.conf <<EOF
staff = (
  { id = "dir-cpp"; name = "Director of CP&P"; office = "essex-central"; roles = [ "director_cpp" ]; },
  { id = "dir-it"; name = "Director of IT"; office = "essex-central"; roles = [ "director_it" ]; },
  { id = "$U_OK"; name = "Approved Worker"; office = "essex-central"; roles = [ "worker" ]; },
  { id = "$U_NO"; name = "Unapproved Worker"; office = "essex-central"; roles = [ "worker" ]; }
);
devices = (
  { id = "$host"; kind = "workstation"; owner = "dcf"; office = "essex-central"; }
);
approvals = (
  { id = "UB-1"; staff = "$U_OK"; kind = "limited"; platforms = [ "facebook" ]; ticket = "NJS-1";
    approved_cpp = { by = "dir-cpp"; on = "$starts"; };
    approved_it = { by = "dir-it"; on = "$starts"; };
    starts = "$starts"; expires = "$expires"; }
);
EOF
chmod 0644 /etc/smpolicy/*.conf
if smpolicy check >"$W/check.out" 2>&1; then
	ok "the installed smpolicy checks the world (approval $starts to $expires, device $host)"
else
	cat "$W/check.out"
	die "smpolicy check"
fi
smpolicy decide --user "$U_NO" --platform facebook --device "$host" >"$W/decide.out" 2>&1
grep -q no-approval "$W/decide.out" || { cat "$W/decide.out"; die "smpolicy decide did not say no-approval"; }

# ---- syslog: a listener of our own on /dev/log -----------------------------

if [ -e /dev/log ] || [ -L /dev/log ]; then
	mv /dev/log "$W/saved/dev/log" || die "cannot move /dev/log aside"
fi
DEVLOG_MOVED=1
python3 - "$W/syslog" "$W/syslog.ready" <<'EOF' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
os.chmod("/dev/log", 0o666)
open(sys.argv[2], "w").close()
with open(sys.argv[1], "ab", buffering=0) as f:
    while True:
        f.write(s.recv(65536).rstrip(b"\0\n") + b"\n")
EOF
LISTENER=$!
for _ in $(seq 50); do [ -e "$W/syslog.ready" ] && break; sleep 0.1; done
[ -e "$W/syslog.ready" ] || die "the syslog listener did not start"

# in_syslog PATTERN: a line of the listener's file matches, within 5 s
in_syslog() {
	for _ in $(seq 50); do
		grep -qE "$1" "$W/syslog" && return 0
		sleep 0.1
	done
	return 1
}

# ---- the real stack --------------------------------------------------------

pam() {   # pam SERVICE USER OPERATION...: pamtester, output in $W/out
	pamtester "$@" >"$W/out" 2>&1
}
# su on a pseudo-terminal, as a person at a console would see it; where
# the machine gives no pseudo-terminal (some containers), on plain pipes
if script -qec true /dev/null >/dev/null 2>&1 </dev/null; then
	su_tty() {   # su_tty USER: rc of su; the terminal in $W/out
		script -qec "su -s /bin/sh -c true $1" "$W/typescript" >"$W/out" 2>&1 </dev/null
	}
else
	echo "# no pseudo-terminal here: su runs on pipes"
	su_tty() { su -s /bin/sh -c true "$1" >"$W/out" 2>&1 </dev/null; }
fi

pam login "$U_NO" acct_mgmt && ok "before the profile: $U_NO passes login's account step" ||
	{ cat "$W/out"; no "before the profile: $U_NO refused by login"; }

if DEBIAN_FRONTEND=noninteractive pam-auth-update --enable smpolicy >"$W/pau.out" 2>&1 &&
	grep -q 'pam_smpolicy.so' /etc/pam.d/common-account &&
	grep -q 'pam_smpolicy.so' /etc/pam.d/common-session; then
	ok "pam-auth-update --enable smpolicy put it into common-account and common-session"
else
	cat "$W/pau.out" /etc/pam.d/common-account
	die "pam-auth-update --enable smpolicy"
fi
grep -q pam_smpolicy /etc/pam.d/common-session-noninteractive &&
	no "the profile is in common-session-noninteractive (Session-Interactive-Only)"

pam login "$U_OK" acct_mgmt && ok "login: $U_OK (approved) passes" ||
	{ cat "$W/out"; no "login: $U_OK (approved) refused"; }
in_syslog "pam_smpolicy\\(login:account\\).*user=$U_OK .*decision=allow.*result=PAM_SUCCESS" &&
	ok "syslog: the allowed login" || no "syslog has no allow line for $U_OK"

if pam login "$U_NO" acct_mgmt; then
	cat "$W/out"
	no "login: $U_NO (no approval) passes"
else
	ok "login: $U_NO (no approval) refused"
	sed 's/^/#   /' "$W/out"
fi
grep -q 'IX-H-2-100 §C' "$W/out" && grep -qi 'approv' "$W/out" &&
	ok "login: the reason and the manual's section on the terminal" ||
	{ cat "$W/out"; no "login: no reason on the terminal"; }
in_syslog "pam_smpolicy\\(login:account\\).*user=$U_NO .*decision=deny.*codes=[a-z,-]*no-approval" &&
	{ ok "syslog: the refusal with its reason code"; grep "user=$U_NO " "$W/syslog" | sed 's/^/#   /'; } ||
	{ cat "$W/syslog"; no "syslog has no deny line for $U_NO"; }

su_tty "$U_OK" && ok "su: $U_OK passes (account and session)" ||
	{ cat "$W/out"; no "su: $U_OK refused"; }
in_syslog "pam_smpolicy\\(su:session\\).*session open: .*user=$U_OK .*decision=allow" &&
	ok "syslog: su's session step allowed" || no "syslog has no su session line for $U_OK"
if su_tty "$U_NO"; then
	cat "$W/out"
	no "su: $U_NO (no approval) passes"
else
	grep -q 'IX-H-2-100 §C' "$W/out" && ok "su: $U_NO refused, the reason on the terminal" ||
		{ cat "$W/out"; no "su: $U_NO refused without the reason on the terminal"; }
fi
in_syslog "pam_smpolicy\\(su:account\\).*user=$U_NO .*decision=deny" &&
	ok "syslog: su's refusal" || no "syslog has no su deny line for $U_NO"

pam login root acct_mgmt && ok "root still passes (uid < 1000 is let by)" ||
	{ cat "$W/out"; no "root refused by the profile"; }

# ---- purge -----------------------------------------------------------------

# shellcheck disable=SC2086
if DEBIAN_FRONTEND=noninteractive apt-get purge -y -q $PKGS >"$W/apt.log" 2>&1; then
	ok "apt-get purge"
else
	cat "$W/apt.log"
	no "apt-get purge"
fi
same=yes
for f in /etc/pam.d/common-*; do
	cmp -s "$f" "$W/saved$f" || { diff -u "$W/saved$f" "$f"; same=no; }
done
[ "$(ls /etc/pam.d/common-*)" = "$(cd "$W/saved" && ls /etc/pam.d/common-*)" ] || same=no
[ "$same" = yes ] && ok "/etc/pam.d/common-* are byte for byte as they were" ||
	no "/etc/pam.d/common-* differ from before the install (diff above)"
same_tree /var/lib/pam "$W/saved/var/lib/pam" &&
	ok "pam-auth-update's own state (/var/lib/pam) is as it was" ||
	{ diff -r "$W/saved/var/lib/pam" /var/lib/pam; no "/var/lib/pam differs from before the install"; }
for f in /usr/share/pam-configs/smpolicy "/lib/$multiarch/security/pam_smpolicy.so" \
	/usr/bin/smpolicy /var/lib/smpolicy /var/cache/smpolicy /usr/share/smpolicy; do
	[ ! -e "$f" ] || no "$f is still there after the purge"
done
pam login "$U_NO" acct_mgmt && ok "the stack is back: $U_NO passes login again" ||
	{ cat "$W/out"; no "after the purge $U_NO is still refused"; }

echo "1..$n"
exit "$bad"
