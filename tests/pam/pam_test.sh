#!/bin/bash
# pam_test.sh - PAM transactions against pam_smpolicy.so under pam_wrapper.
#
#   pam_test.sh CASE          run one case (meson runs each as its own test)
#   pam_test.sh --list        print the case names
#
# Environment (meson sets it): PAM_MODULE (the built module, absolute),
# SESSION_ENV (tests/pam/pam_session_env), PAM_WRAPPER_LIB (libpam_wrapper.so),
# EXAMPLES_DIR (examples/pam.d).
#
# Each case builds a world of its own in a fresh folder: smpolicy.conf and
# records.conf dated relative to today (so they never rot), and PAM service
# files naming the module by its absolute path.  pamtester (or the C driver)
# runs under pam_wrapper, which reads those service files and prints every
# pam_syslog line on stderr as "SYSLOG(PRIORITY): TEXT".
#
# The module decides at the real clock's time, which the case cannot fix;
# so "today" is read once, in UTC, and every date of the world and of the
# expected answers is counted from it.  The world keeps a day or more
# between "now" and every date that matters, so a case that runs across
# midnight (or in any zone) answers the same.
#
# pam_wrapper copies the service files into a folder of a fixed name,
# /tmp/pam.X, chosen without a lock: two transactions starting at once may
# share one.  Each transaction runs through own_tmp.sh, with a /tmp of its
# own (the case's tmp/).
#
# The module loads root-owned files only (it never passes the library's
# tests-only flag), so the cases need root: run as anyone else they skip
# (exit 77), as they do without pamtester or pam_wrapper.
#
# SPDX-License-Identifier: BSD-3-Clause
set -u

CASES="allowed allowed_any_platform allowed_view_only no_approval expired
expired_platform expired_and_personal_device pending personal_device
unknown_device unknown_user config_missing config_insecure config_unparsable
config_dangling config_relative bad_argument bad_warn_days bad_platform_arg
two_platforms two_platforms_one_missing account_not_escrowed
account_any_passing lapse_warning warn_days_shorter warn_days_longer
session_env session_lapsed silent syslog_line syslog_escaping
denial_order denial_at_most_three denial_reference fault_reference
stacked_auth stacked_password examples debug parallel_transactions cache_refresh cache_stale
cache_zone cache_use cache_off cache_damaged cache_insecure cache_bad_arg
cache_follows_mode store_refresh store_same_size_edit store_damaged
store_insecure store_off store_bad_arg device_domains time_zone"

fail() { echo "FAIL: $*"; echo "---- output"; cat "$W/out" 2>/dev/null; exit 1; }

# flip FILE OFFSET: the byte at OFFSET inverted, so that it always changes
# (a byte set to 0xff would not, where it was 0xff already: a digest's)
flip() {
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	[ -n "$b" ] || fail "flip: $1 has no byte $2"
	# shellcheck disable=SC2059 # the format is the byte, in octal
	printf "\\$(printf '%03o' $((255 - b)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
skip() { echo "SKIP: $*"; exit 77; }
note() { echo "# $*"; }

# ---- the world ----------------------------------------------------------

# day N: the date N days from TODAY (negative: before), YYYY-MM-DD.
# TODAY is read once (main); the sum is done in UTC, so no zone's clock
# change moves it.
day() { date -u -d "$TODAY $1 days" +%F; }

write_file() {   # write_file PATH < text: mode 0644, owned by whoever runs us
	cat >"$1" && chmod 0644 "$1"
}

write_config() {
	write_file "$W/world/smpolicy.conf" <<EOF
version = 1;
settings = {
  records = [ "records.conf" ];
  max_approved_per_office = 2;
  cap_counts = "all";
  warn_days = 14;
  long_term_max_days = 365;
};
platforms = (
  { id = "facebook"; name = "Facebook"; domains = [ "facebook.com" ]; },
  { id = "youtube";  name = "YouTube";  private_messaging = false; },
  { id = "snapchat"; name = "Snap Chat"; mobile_only = true; }
);
offices = (
  { id = "essex-central"; name = "Essex Central Local Office"; kind = "local"; },
  { id = "northern-area"; name = "Northern Area Office"; kind = "area"; },
  { id = "camden-east";   name = "Camden East Local Office"; kind = "local"; }
);
EOF
}

# A limited approval: limited ID STAFF PLATFORM STARTS EXPIRES [IT-SIGNED]
limited() {
	local it="approved_it = { by = \"dir-it\"; on = \"$4\"; };"
	[ "${6:-yes}" = yes ] || it=""
	cat <<EOF
  { id = "$1"; staff = "$2"; kind = "limited"; platforms = [ "$3" ]; ticket = "NJS-$1";
    approved_cpp = { by = "dir-cpp"; on = "$4"; };
    $it
    starts = "$4"; expires = "$5"; },
EOF
}

# An official account: account ID HOLDER PLATFORM ESCROWED(yes/no)
account() {
	local esc="password_escrowed = \"$(day -30)\";"
	[ "$4" = yes ] || esc=""
	cat <<EOF
  { id = "$1"; platform = "$3"; handle = "njdcf.$1"; holder = "$2";
    official = true; personal_info = false; supervisor = "msmith";
    password_changed = "$(day -40)"; $esc },
EOF
}

staff() {   # staff ID OFFICE ROLE
	echo "  { id = \"$1\"; name = \"$1\"; office = \"$2\"; roles = [ \"$3\" ]; supervisor = \"msmith\"; },"
}

# Who is who (at most two approved persons per office, §C):
#   jdoe   essex   facebook long-term (account fb-jdoe) + youtube limited, 20 days left
#   mwarn  essex   facebook limited, lapses in 3 days
#   kexp   northern  facebook lapsed 2 days ago
#   lpend  northern  facebook waiting for the IT director's sign-off
#   nnone  northern  nothing
#   uma    camden  youtube only, no account there (view)
#   pesc   camden  facebook, its only account's password never escrowed
#   qtwo   northern  facebook, two accounts: fb-q1 not escrowed, fb-q2 fine
write_records() {
	local host
	host=$(uname -n)
	{
		echo "staff = ("
		staff lom-essex essex-central local_office_manager
		staff dir-cpp northern-area director_cpp
		staff dir-it northern-area director_it
		echo '  { id = "msmith"; name = "Mary Smith"; office = "essex-central"; roles = [ "supervisor" ]; },'
		for s in jdoe mwarn; do staff $s essex-central worker; done
		for s in kexp lpend nnone qtwo; do staff $s northern-area worker; done
		for s in uma pesc; do staff $s camden-east worker; done
		echo ");"
		echo "devices = ("
		echo "  { id = \"$host\"; kind = \"workstation\"; owner = \"dcf\"; office = \"essex-central\"; },"
		echo '  { id = "ws-essex-0042"; kind = "workstation"; owner = "dcf"; office = "essex-central"; },'
		echo '  { id = "laptop-home"; kind = "workstation"; owner = "personal"; }'
		echo ");"
		echo "accounts = ("
		account fb-jdoe jdoe facebook yes
		account fb-pesc pesc facebook no
		account fb-q1 qtwo facebook no
		account fb-q2 qtwo facebook yes
		echo ");"
		echo "approvals = ("
		cat <<EOF
  { id = "LT-1"; staff = "jdoe"; kind = "long_term"; platforms = [ "facebook" ];
    requested_by = "lom-essex"; requested = "$(day -40)";
    approved_cpp = { by = "dir-cpp"; on = "$(day -35)"; };
    approved_it  = { by = "dir-it";  on = "$(day -34)"; };
    starts = "$(day -34)"; expires = "$(day 200)"; },
EOF
		limited UB-1 jdoe youtube "$(day -5)" "$(day 20)"
		limited UB-2 mwarn facebook "$(day -5)" "$(day 3)"
		limited UB-3 kexp facebook "$(day -20)" "$(day -2)"
		limited UB-4 lpend facebook "$(day -1)" "$(day 30)" no
		limited UB-5 uma youtube "$(day -5)" "$(day 30)"
		limited UB-6 pesc facebook "$(day -5)" "$(day 30)"
		limited UB-7 qtwo facebook "$(day -5)" "$(day 30)"
		echo ");"
	} | sed '$!N;s/},\n);/}\n);/;P;D' | write_file "$W/world/records.conf"
}

# Every service keeps its login store in the case's folder (store=), never
# in the system's; a later store= of ARGS wins.
# service NAME ARGS...: a service file stacking the module for account and
# session with config= pointing at the world and ARGS after it.
service() {
	local name=$1
	shift
	write_file "$W/svc/$name" <<EOF
account required $PAM_MODULE config=$W/world/smpolicy.conf store=$W/store $*
session required $PAM_MODULE config=$W/world/smpolicy.conf store=$W/store $*
EOF
}

# service_raw NAME < lines: a service file as given.
service_raw() { write_file "$W/svc/$1"; }

setup() {
	umask 022
	W=$(mktemp -d "${TMPDIR:-/tmp}/smpolicy-pam.XXXXXX") || fail "mktemp"
	trap 'rm -rf "$W"' EXIT
	mkdir -p "$W/world" "$W/svc"
	chmod 0755 "$W/world" "$W/svc"
	write_config
	write_records
	service plain
}

# ---- running PAM --------------------------------------------------------

# LD_PRELOAD: the sanitizer runtime first when the module was built with it
# (PAM_PRELOAD), then pam_wrapper.  pam_wrapper dlopens libpam with
# RTLD_DEEPBIND, which the sanitizers abort on; version 1.1.4 turns it off
# only when LD_PRELOAD names "libasan.so" (newer ones also honour
# PAM_WRAPPER_DISABLE_DEEPBIND), so clang's runtime is preloaded through a
# link of that name.
preload() {
	local rt=${PAM_PRELOAD:-}

	if [ -n "$rt" ] && [ "${rt#*libasan.so}" = "$rt" ]; then
		mkdir -p "$W/asan"
		ln -sf "$rt" "$W/asan/libasan.so"
		rt=$W/asan/libasan.so
	fi
	echo "${rt:+$rt:}$PAM_WRAPPER_LIB"
}

# Run a command under pam_wrapper; its stdout and stderr (the module's
# messages, pamtester's verdict and the syslog lines) go to $W/out.  A
# preload already there (libfaketime, when the suite runs under faketime)
# is kept, after ours.
under_wrapper() {
	"$OWN_TMP" "$W" env LD_PRELOAD="$(preload)${LD_PRELOAD:+:$LD_PRELOAD}" PAM_WRAPPER=1 \
	    PAM_WRAPPER_SERVICE_DIR="$W/svc" PAM_WRAPPER_DEBUGLEVEL=2 \
	    TZ="$TZ" LC_ALL=C "$@" >"$W/out" 2>&1 </dev/null
	RC=$?
	! grep -qE 'Sanitizer|runtime error:' "$W/out" || fail "a sanitizer reported an error"
}

# pamtester SERVICE USER OP...
pt() { under_wrapper pamtester "$@"; }

expect_ok() { [ "$RC" -eq 0 ] || fail "expected success, exit $RC"; }
expect_fail() { [ "$RC" -ne 0 ] || fail "expected failure, exit 0"; }
has() { grep -qF -- "$1" "$W/out" || fail "output lacks: $1"; }
lacks() { ! grep -qF -- "$1" "$W/out" || fail "output has: $1"; }
# The module's log lines only.
logs() { grep -F 'SYSLOG(' "$W/out" | grep -vF 'no default config'; }
log_has() { logs | grep -qF -- "$1" || fail "log lacks: $1"; }

# pamtester's words for each PAM code (pam_strerror).
SUCCESS="account management done"
PERM_DENIED="Permission denied"
ACCT_EXPIRED="User account has expired"
USER_UNKNOWN="User not known to the underlying authentication module"
AUTH_ERR="Authentication failure"
CHECK_FAILED="The social media policy could not be checked"

# ---- the cases ----------------------------------------------------------

# The host's own name is the device (a registered DCF workstation).
t_allowed() {
	pt plain jdoe acct_mgmt
	expect_ok; has "$SUCCESS"
	lacks "manual IX-H-2-100"
	log_has "decision=allow"
}

# No platform=: one allowed platform of the catalogue is enough.
t_allowed_any_platform() {
	pt plain mwarn acct_mgmt
	expect_ok; has "$SUCCESS"
	log_has "decision=allow allowed=facebook codes=- result=PAM_SUCCESS"
}

# No account on the platform: the module decides view.
t_allowed_view_only() {
	service yt platform=youtube
	pt yt uma acct_mgmt
	expect_ok; has "$SUCCESS"
	log_has "platforms(all)=youtube decision=allow"
}

t_no_approval() {
	pt plain nnone acct_mgmt
	expect_fail; has "$PERM_DENIED"
	has "Facebook, YouTube, Snap Chat: You have no approval from the Director of CP&P and the Director of IT to use this platform. (manual IX-H-2-100 §C)"
	log_has "result=PAM_PERM_DENIED"
}

# A lapsed approval is a denial like any other: PAM_PERM_DENIED, never
# PAM_ACCT_EXPIRED (login would say the Unix account has expired).
t_expired() {
	pt plain kexp acct_mgmt
	expect_fail; has "$PERM_DENIED"; lacks "$ACCT_EXPIRED"
	has "Facebook: Your approval for this platform has lapsed; a new request is needed. Approval UB-3 lapsed at $(day -1)T00:00:00+00:00. (manual IX-H-2-100 §C, Proc. A)"
	log_has "approval-expired"
	log_has "result=PAM_PERM_DENIED"
}

t_expired_platform() {
	service fb platform=facebook
	pt fb kexp acct_mgmt
	expect_fail; has "$PERM_DENIED"; lacks "$ACCT_EXPIRED"
	has "(manual IX-H-2-100 §C, Proc. A)"
	log_has "codes=approval-expired result=PAM_PERM_DENIED"
}

# Lapsed, but on a personal laptop too: not only a lapse, so denied.
t_expired_and_personal_device() {
	service fbhome platform=facebook device=laptop-home
	pt fbhome kexp acct_mgmt
	expect_fail; has "$PERM_DENIED"; lacks "$ACCT_EXPIRED"
	has "Privately owned computers and phones may not be used for official business."
	has "(manual IX-H-2-100 §B)"
}

t_pending() {
	service fb platform=facebook
	pt fb lpend acct_mgmt
	expect_fail; has "$PERM_DENIED"
	has "waiting for a director's signature"
	log_has "codes=approval-pending"
}

t_personal_device() {
	service home device=laptop-home
	pt home jdoe acct_mgmt
	expect_fail; has "$PERM_DENIED"
	has "(manual IX-H-2-100 §B)"
	log_has "device=laptop-home"
	log_has "codes=device-not-dcf"
}

t_unknown_device() {
	service elsewhere device=ws-nowhere-9
	pt elsewhere jdoe acct_mgmt
	expect_fail; has "$PERM_DENIED"
	has "not a registered DCF device"
	log_has "codes=device-unknown"
}

# A host name with a dot stands for its first label under
# settings.device_domains only (smp_policy_device_for_name), from the full
# load and from the login store alike.
t_device_domains() {
	sed -i 's|^  long_term_max_days = 365;|&\n  device_domains = [ "WS.dcf.example" ];|' \
		"$W/world/smpolicy.conf"
	grep -q 'device_domains' "$W/world/smpolicy.conf" || fail "device_domains not written"
	age
	service fqdn device=ws-essex-0042.ws.dcf.example. debug
	pt fqdn jdoe acct_mgmt
	expect_ok; has "$SUCCESS"
	log_has "device=ws-essex-0042 "
	log_has "wrote the login store"
	pt fqdn jdoe acct_mgmt
	expect_ok; has "$SUCCESS"
	log_has "login store used"
	log_has "device=ws-essex-0042 "
	service outside device=ws-essex-0042.guest.example
	pt outside jdoe acct_mgmt
	expect_fail; has "$PERM_DENIED"
	has "not a registered DCF device"
	log_has "device=ws-essex-0042.guest.example "
	service twolabels device=a.ws-essex-0042.ws.dcf.example
	pt twolabels jdoe acct_mgmt
	expect_fail; has "not a registered DCF device"
	service home device=laptop-home.Ws.Dcf.Example
	pt home jdoe acct_mgmt
	expect_fail; has "$PERM_DENIED"
	log_has "codes=device-not-dcf"
}

t_unknown_user() {
	pt plain ghost acct_mgmt
	expect_fail; has "$USER_UNKNOWN"
	has "You are not in the staff records"
	lacks "works only on a phone"
	log_has "result=PAM_USER_UNKNOWN"
}

# Every broken config fails closed with PAM_AUTH_ERR and tells the user.
expect_closed() {
	expect_fail; has "$AUTH_ERR"; has "$CHECK_FAILED"
	lacks "$SUCCESS"
	log_has "failing closed"
}

t_config_missing() {
	service missing "config=$W/world/absent.conf"
	pt missing jdoe acct_mgmt
	expect_closed
	log_has "absent.conf"
}

t_config_insecure() {
	chmod 0666 "$W/world/smpolicy.conf"
	pt plain jdoe acct_mgmt
	expect_closed
	log_has "writable by group or others"
}

t_config_unparsable() {
	printf 'version = 1;\nsettings = {\n  warn_days = ;\n' | write_file "$W/world/smpolicy.conf"
	pt plain jdoe acct_mgmt
	expect_closed
	log_has "smpolicy.conf"
}

# A structural fault in the records (an approval for a staff member who does
# not exist) is a parse error: nothing is decided from a half-read file.
# settings.time_zone: a time without an offset is read in that zone
# whatever the login's TZ.  LT-1 lapses two hours from now, New York's
# wall clock; read in UTC it lapsed hours ago.  Also through the compiled
# cache and the login store, written under one TZ and read under another.
t_time_zone() {
	local ny
	ny=$(TZ=America/New_York date -d '+2 hours' +%FT%H:%M)
	sed -i "s/expires = \"$(day 200)\"/expires = \"$ny\"/" "$W/world/records.conf"
	service fb platform=facebook cache=off store=off debug
	TZ=UTC pt fb jdoe acct_mgmt
	expect_fail
	sed -i 's/^settings = {$/settings = {\n  time_zone = "America\/New_York";/' \
	    "$W/world/smpolicy.conf"
	for tz in UTC America/New_York Asia/Tokyo; do
		TZ=$tz pt fb jdoe acct_mgmt
		expect_ok
		log_has "valid_until=${ny}:01-0"
	done
	age
	service fbc platform=facebook debug
	TZ=Asia/Tokyo pt fbc jdoe acct_mgmt
	expect_ok
	log_has "wrote the login store"
	for tz in UTC America/New_York; do
		TZ=$tz pt fbc jdoe acct_mgmt
		expect_ok
		log_has "valid_until=${ny}:01-0"
		log_has "login store used"
	done
	service fbs platform=facebook store=off debug
	TZ=Asia/Tokyo pt fbs jdoe acct_mgmt
	log_has "wrote the compiled cache"
	for tz in UTC America/New_York; do
		TZ=$tz pt fbs jdoe acct_mgmt
		expect_ok
		log_has "valid_until=${ny}:01-0"
		log_has "compiled cache used"
	done
}

# An approval naming a person who is not there is void: it alone allows
# nothing (jdoe's facebook), the rest of the records still decide.
t_config_dangling() {
	sed -i 's/staff = "jdoe"; kind = "long_term"/staff = "jdoe-typo"; kind = "long_term"/' \
	    "$W/world/records.conf"
	pt plain jdoe acct_mgmt
	expect_ok
	log_has "decision=allow allowed=youtube codes="
}

t_config_relative() {
	service rel config=smpolicy.conf
	pt rel jdoe acct_mgmt
	expect_closed
	log_has "config= must be an absolute path: smpolicy.conf"
}

t_bad_argument() {
	service typo plaform=facebook
	pt typo jdoe acct_mgmt
	expect_closed
	log_has "unknown module argument: plaform=facebook"
}

t_bad_warn_days() {
	service wd warn_days=soon
	pt wd jdoe acct_mgmt
	expect_closed
	log_has "warn_days= needs a number"
}

t_bad_platform_arg() {
	service myspace platform=facebook,myspace
	pt myspace jdoe acct_mgmt
	expect_closed
	log_has "not in the catalogue: myspace"
}

# platform= with two platforms: both must be allowed.
t_two_platforms() {
	service both platform=facebook,youtube
	pt both jdoe acct_mgmt
	expect_ok; has "$SUCCESS"
	log_has "platforms(all)=facebook,youtube decision=allow allowed=facebook,youtube"
}

t_two_platforms_one_missing() {
	service both platform=facebook,youtube
	pt both mwarn acct_mgmt
	expect_fail; has "$PERM_DENIED"
	has "(manual IX-H-2-100 §C)"
	log_has "allowed=facebook codes=no-approval"
}

# The only official account's password was never given to the supervisor.
t_account_not_escrowed() {
	service fb platform=facebook
	pt fb pesc acct_mgmt
	expect_fail; has "$PERM_DENIED"
	has "(manual IX-H-2-100 §D)"
	log_has "codes=password-not-escrowed"
}

# Two accounts, one passing: allowed, and only that one is exported.
t_account_any_passing() {
	service fb platform=facebook
	under_wrapper "$SESSION_ENV" fb qtwo
	expect_ok
	has "acct_mgmt PAM_SUCCESS"
	has "env SMPOLICY_ACCOUNTS=fb-q2"
	lacks "fb-q1"
}

# UB-2 expires at the end of the day 3 days from now: warned (warn_days 14).
t_lapse_warning() {
	service fb platform=facebook
	pt fb mwarn acct_mgmt
	expect_ok; has "$SUCCESS"
	has "Facebook: Your approval for this platform lapses soon; ask for a renewal in time. Approval UB-2 lapses at $(day 4)T00:00:00+00:00. (manual IX-H-2-100 §C)"
}

t_warn_days_shorter() {
	service fb1 platform=facebook warn_days=1
	pt fb1 mwarn acct_mgmt
	expect_ok; has "$SUCCESS"
	lacks "lapses soon"
}

# jdoe's YouTube approval has 20 days left: no warning within the config's
# 14 days, one with warn_days=30.
t_warn_days_longer() {
	service yt platform=youtube
	pt yt jdoe acct_mgmt
	expect_ok; lacks "lapses soon"
	service yt30 platform=youtube warn_days=30
	pt yt30 jdoe acct_mgmt
	expect_ok
	has "YouTube: Your approval for this platform lapses soon; ask for a renewal in time. Approval UB-1 lapses at $(day 21)T00:00:00+00:00. (manual IX-H-2-100 §C)"
}

t_session_env() {
	service both platform=facebook,youtube
	under_wrapper "$SESSION_ENV" both jdoe
	expect_ok
	has "acct_mgmt PAM_SUCCESS"
	has "open_session PAM_SUCCESS"
	has "env SMPOLICY_PLATFORMS=facebook,youtube"
	has "env SMPOLICY_ACCOUNTS=fb-jdoe"
	has "env SMPOLICY_VALID_UNTIL=$(day 21)T00:00:00+00:00"
	has "close_session PAM_SUCCESS"
	log_has "session open: service=both user=jdoe"
	log_has "session close: service=both user=jdoe"
}

# The session re-decides: a lapsed approval opens no session.
t_session_lapsed() {
	service fb platform=facebook
	under_wrapper "$SESSION_ENV" -S fb kexp
	expect_fail
	has "open_session PAM_PERM_DENIED"
	lacks "env SMPOLICY_"
	log_has "session open: service=fb user=kexp"
}

t_silent() {
	under_wrapper "$SESSION_ENV" -s plain nnone
	expect_fail
	has "acct_mgmt PAM_PERM_DENIED"
	lacks "msg "
}

t_syslog_line() {
	service both platform=facebook,youtube
	pt both mwarn acct_mgmt
	expect_fail
	logs | grep -q 'SYSLOG(5): account: service=both user=mwarn device=[^ ]* platforms(all)=facebook,youtube decision=deny allowed=facebook codes=no-approval result=PAM_PERM_DENIED ref=[0-9a-f]\{8\}$' \
		|| fail "log line not as expected: $(logs)"
}

# What the user reads, without the log lines and pamtester's verdict.
user_text() { grep -vF -e 'SYSLOG(' -e 'PWRAP_' -e 'pamtester:' "$W/out"; }
# The line number of the first line of the user's text holding $1.
line_of() { user_text | grep -nF -- "$1" | head -n 1 | cut -d: -f1; }

# The platform the user has an approval for comes first, before the
# platforms that need a phone: kexp's lapsed Facebook approval, then the
# others.
t_denial_order() {
	pt plain kexp acct_mgmt
	expect_fail; has "$PERM_DENIED"
	local lapse others phone
	lapse=$(line_of "Approval UB-3 lapsed")
	others=$(line_of "You have no approval")
	phone=$(line_of "through its app")
	[ -n "$lapse" ] && [ -n "$others" ] && [ -n "$phone" ] || fail "a reason is missing: $(user_text)"
	[ "$lapse" -lt "$others" ] && [ "$lapse" -lt "$phone" ] \
		|| fail "the lapsed approval is not told first: $(user_text)"
	log_has "codes=app-not-approved,no-approval,approval-expired result=PAM_PERM_DENIED"
}

# Three reason lines at most; the rest are counted, and in the log.
t_denial_at_most_three() {
	service home device=laptop-home
	pt home kexp acct_mgmt
	expect_fail; has "$PERM_DENIED"
	local n
	n=$(user_text | grep -c "(manual IX-H-2-100 ")
	[ "$n" -eq 3 ] || fail "$n reason lines, not 3: $(user_text)"
	has "(1 more reason, less likely to concern you, is in the system log.)"
	[ "$(line_of "Privately owned")" -lt "$(line_of "You have no approval")" ] \
		|| fail "the device of this login is not told first: $(user_text)"
	log_has "codes=device-not-dcf,app-not-approved,no-approval,approval-expired"
}

# The reference the user reads is the one of the log line, a fresh one per
# login; no address or command reaches the user.
t_denial_reference() {
	pt plain kexp acct_mgmt
	expect_fail
	local ref logged
	ref=$(user_text | sed -n 's/^Reference for the helpdesk: \([0-9a-f]\{8\}\)$/\1/p')
	logged=$(logs | sed -n 's/.*decision=deny .* ref=\([0-9a-f]\{8\}\)$/\1/p')
	[ -n "$ref" ] && [ "$ref" = "$logged" ] || fail "reference '$ref', logged '$logged'"
	! user_text | grep -qE '://|smpolicy |/etc/|/var/' || fail "a URI, path or command in: $(user_text)"
	pt plain kexp acct_mgmt
	user_text | grep -qF "Reference for the helpdesk: $ref" && fail "the same reference twice"
	return 0
}

# A fault of the module: PAM_AUTH_ERR, and the reference in both.
t_fault_reference() {
	service missing "config=$W/world/absent.conf"
	pt missing jdoe acct_mgmt
	expect_closed
	local ref
	ref=$(user_text | sed -n 's/.*Please tell the helpdesk, reference \([0-9a-f]\{8\}\)\.$/\1/p')
	[ -n "$ref" ] || fail "no reference: $(user_text)"
	log_has "no decision; failing closed ref=$ref"
}

# A user name crafted to forge a second log entry stays one escaped field.
t_syslog_escaping() {
	pt plain $'ev il\nSYSLOG(6): account: user=root decision=allow "\\' acct_mgmt
	expect_fail; has "$USER_UNKNOWN"
	log_has 'user=ev\x20il\x0aSYSLOG(6):\x20account:\x20user=root\x20decision=allow\x20\x22\x5c device='
	! grep -q '^SYSLOG(6)' "$W/out" || fail "a forged line reached the log"
}

# Stacked under auth or password by mistake: logged and fails closed.
t_stacked_auth() {
	service_raw wrong <<EOF
auth required $PAM_MODULE config=$W/world/smpolicy.conf
EOF
	pt wrong jdoe authenticate
	expect_fail; has "$AUTH_ERR"
	log_has "serves only the account and session types, but is stacked as auth"
}

t_stacked_password() {
	service_raw wrongpw <<EOF
password required $PAM_MODULE config=$W/world/smpolicy.conf
EOF
	pt wrongpw jdoe chauthtok
	expect_fail
	log_has "stacked as password"
}

# The pam_smpolicy lines of examples/pam.d, pointed at the built module and
# the world: their options parse and jdoe gets through.
example() {   # example FILE OP...
	local file=$1
	shift
	grep -E '^(account|session)[[:space:]].*pam_smpolicy\.so' "$EXAMPLES_DIR/$file" |
		sed "s|pam_smpolicy\.so|$PAM_MODULE config=$W/world/smpolicy.conf store=$W/store|" |
		write_file "$W/svc/ex-$file"
	[ -s "$W/svc/ex-$file" ] || fail "$file has no pam_smpolicy line"
	pt "ex-$file" jdoe "$@"
	expect_ok
	lacks "$AUTH_ERR"
}

t_examples() {
	[ -d "${EXAMPLES_DIR:-}" ] || fail "EXAMPLES_DIR is not set"
	example smpolicy-login acct_mgmt open_session close_session
	log_has "session open: service=ex-smpolicy-login user=jdoe"
	example common-account acct_mgmt
}

# debug: every single decision in the log too, with its reasons.
t_debug() {
	service dbg platform=facebook debug
	pt dbg qtwo acct_mgmt
	expect_ok
	log_has "SYSLOG(7): account: platform=facebook account=fb-q1 action=login deny approval="
	log_has "SYSLOG(7): account: password-not-escrowed: Your supervisor has never been given"
	log_has "SYSLOG(7): account: platform=facebook account=fb-q2 action=login allow approval=UB-7 valid_until=$(day 31)T00:00:00+00:00"
}

# Transactions at once, as the cases run them: eight in parallel, each
# running eight in a row, all with a service of the same name, the even
# ones allowed, the odd ones naming settings that do not exist (failing
# closed, naming them).  Under pam_wrapper alone, one starting as another
# ends can take over its /tmp/pam.X as that one removes it, or read its
# service files; own_tmp.sh keeps each in a /tmp of its own.
t_parallel_transactions() {
	local top=$W i k cfg rc
	for i in 1 2 3 4 5 6 7 8; do
		# inside the transaction's folder: own_tmp.sh shows it no other
		mkdir -p "$top/p$i/svc" "$top/p$i/world"
		cp -p "$top/world/smpolicy.conf" "$top/world/records.conf" "$top/p$i/world/"
		cfg=$top/p$i/world/smpolicy.conf
		[ $((i % 2)) -eq 0 ] || cfg=$top/p$i/world/absent-$i.conf
		echo "account required $PAM_MODULE config=$cfg store=off" | write_file "$top/p$i/svc/par"
		(
			W=$top/p$i
			for k in 1 2 3 4 5 6 7 8; do
				pt par jdoe acct_mgmt
				cp "$W/out" "$W/out.$k"
				echo "$RC" >"$W/rc.$k"
			done
		) &
	done
	wait
	for i in 1 2 3 4 5 6 7 8; do
		for k in 1 2 3 4 5 6 7 8; do
			rc=$(cat "$top/p$i/rc.$k" 2>/dev/null || echo none)
			if [ $((i % 2)) -eq 0 ]; then
				[ "$rc" = 0 ] && grep -qF "$SUCCESS" "$top/p$i/out.$k" ||
					fail "transaction $i.$k (allowed): exit $rc: $(cat "$top/p$i/out.$k")"
			else
				[ "$rc" != 0 ] && [ "$rc" != none ] &&
					grep -qF "absent-$i.conf" "$top/p$i/out.$k" ||
					fail "transaction $i.$k (no settings): exit $rc: $(cat "$top/p$i/out.$k")"
			fi
		done
	done
}

# ---- the compiled cache -------------------------------------------------

CACHE_FILE() { echo "$W/world/smpolicy.conf.cache"; }

# These cases are the compiled cache's alone: their services say store=off
# (the login store has cases of its own below).

# cache=refresh (the default): the first login parses and writes the cache,
# root-owned and mode 0644; the next one decides from it, alike.
t_cache_refresh() {
	service dbg store=off debug
	[ ! -e "$(CACHE_FILE)" ] || fail "a cache before any login"
	pt dbg jdoe acct_mgmt
	expect_ok; has "$SUCCESS"
	log_has "compiled cache absent"
	log_has "wrote the compiled cache: $(CACHE_FILE)"
	[ "$(stat -c '%u %a' "$(CACHE_FILE)")" = "0 644" ] || fail "cache: $(stat -c '%u %a' "$(CACHE_FILE)")"
	pt dbg jdoe acct_mgmt
	expect_ok; has "$SUCCESS"
	log_has "compiled cache used"
	! logs | grep -qF "wrote" || fail "a fresh cache was written again"
	log_has "account: platform=facebook account=fb-jdoe action=login allow approval=LT-1 valid_until=$(day 201)T00:00:00+00:00"
	pt dbg kexp acct_mgmt
	expect_fail; has "$PERM_DENIED"; lacks "$ACCT_EXPIRED"
	log_has "compiled cache used"
	has "Approval UB-3 lapsed at $(day -1)T00:00:00+00:00."
}

# A change to the records makes the cache stale: the next login decides
# from the files as they are now, and writes a new cache.
t_cache_stale() {
	service dbg store=off debug
	pt dbg jdoe acct_mgmt
	expect_ok
	sed -i "s/starts = \"$(day -34)\"; expires = \"$(day 200)\"; },/&\n/; s/  { id = \"LT-1\"; staff = \"jdoe\";/  { id = \"LT-1\"; staff = \"jdoe\"; revoked = { on = \"$(day -1)\"; by = \"dir-it\"; reason = \"test\"; };/" \
	    "$W/world/records.conf"
	grep -q 'reason = "test"' "$W/world/records.conf" || fail "the test did not revoke LT-1"
	service fb platform=facebook store=off debug
	pt fb jdoe acct_mgmt
	expect_fail; has "$PERM_DENIED"
	log_has "compiled cache stale"
	log_has "wrote a new compiled cache"
	log_has "codes=approval-revoked"
	pt fb jdoe acct_mgmt
	expect_fail
	log_has "compiled cache used"
	log_has "codes=approval-revoked"
}

# Local times in the records are read in the process's zone: a cache
# written under one zone is stale under another.
t_cache_zone() {
	service dbg store=off debug
	pt dbg jdoe acct_mgmt
	expect_ok
	TZ=America/New_York pt dbg jdoe acct_mgmt
	expect_ok
	log_has "compiled cache stale"
	# the same record date, its end now at New York's midnight
	log_has "valid_until=$(day 201)T00:00:00-0"
	TZ=America/New_York pt dbg jdoe acct_mgmt
	log_has "compiled cache used"
	pt dbg jdoe acct_mgmt
	log_has "compiled cache stale"
}

# cache=use reads a fresh cache but never writes one.
t_cache_use() {
	service plain store=off
	service use cache=use store=off debug
	pt use jdoe acct_mgmt
	expect_ok
	log_has "compiled cache absent"
	[ ! -e "$(CACHE_FILE)" ] || fail "cache=use wrote the cache"
	pt plain jdoe acct_mgmt
	[ -e "$(CACHE_FILE)" ] || fail "cache=refresh did not write the cache"
	pt use jdoe acct_mgmt
	expect_ok
	log_has "compiled cache used"
}

# cache=off parses the files even beside a fresh cache.
t_cache_off() {
	service plain store=off
	pt plain jdoe acct_mgmt
	[ -e "$(CACHE_FILE)" ] || fail "no cache written"
	service off cache=off store=off debug
	pt off jdoe acct_mgmt
	expect_ok
	log_has "compiled cache off"
}

# A damaged cache is ignored with a warning; the login is decided from the
# files, and a whole cache is written in its place.
t_cache_damaged() {
	service dbg store=off debug
	pt dbg kexp acct_mgmt
	local size
	size=$(stat -c %s "$(CACHE_FILE)")
	flip "$(CACHE_FILE)" $((size / 2))
	pt dbg kexp acct_mgmt
	expect_fail; has "$PERM_DENIED"; lacks "$ACCT_EXPIRED"
	log_has "SYSLOG(4): account: $(CACHE_FILE): the compiled cache is ignored (its digest does not match: the file is damaged)"
	log_has "compiled cache rejected"
	log_has "wrote a new compiled cache"
	pt dbg kexp acct_mgmt
	expect_fail; has "$PERM_DENIED"; lacks "$ACCT_EXPIRED"
	log_has "compiled cache used"
	: >"$(CACHE_FILE)"
	pt dbg jdoe acct_mgmt
	expect_ok
	log_has "the compiled cache is ignored (it is cut short)"
}

# A cache others could have written is never read.
t_cache_insecure() {
	service plain store=off
	service use cache=use store=off debug
	pt plain nnone acct_mgmt
	chmod 0666 "$(CACHE_FILE)"
	pt use nnone acct_mgmt
	expect_fail; has "$PERM_DENIED"
	log_has "the compiled cache is ignored (writable by group or others (mode 0666): refusing it)"
	log_has "compiled cache rejected"
}

# The cache tells no one more than the records do: records made less
# readable make it stale, and it is written again with their mode; it is
# written once per login (in the account step), not again in the session.
t_cache_follows_mode() {
	service dbg store=off debug
	pt dbg jdoe acct_mgmt
	[ "$(stat -c %a "$(CACHE_FILE)")" = 644 ] || fail "cache mode $(stat -c %a "$(CACHE_FILE)")"
	chmod 0640 "$W/world/records.conf"
	pt dbg jdoe acct_mgmt open_session close_session
	expect_ok
	log_has "account: compiled cache stale"
	log_has "session open: compiled cache used"
	[ "$(logs | grep -c 'compiled cache:')" -eq 1 ] || fail "the cache was written more than once"
	[ "$(stat -c %a "$(CACHE_FILE)")" = 640 ] || fail "cache mode $(stat -c %a "$(CACHE_FILE)")"
}

t_cache_bad_arg() {
	service bad cache=sometimes
	pt bad jdoe acct_mgmt
	expect_closed
	log_has "cache= must be refresh, use or off: sometimes"
}

# ---- the login store ----------------------------------------------------

STORE_FILE() { echo "$W/store/$(echo "${W#/}/world/smpolicy.conf" | sed 's|-|\\x2d|g; s|/|-|g').login"; }

# The records were written just now: a login does not wait out the seconds
# in which an edit would leave them with the same times (the racy rule), so
# the cases let them age first.
age() { sleep 2.1; }

# cache=refresh: a login after a miss writes the login store (root's,
# 0644, the folder made 0755); the next one reads only its user's and
# device's slices, and decides alike.
t_store_refresh() {
	service dbg debug
	age
	pt dbg jdoe acct_mgmt
	expect_ok
	log_has "login store absent"
	log_has "wrote the login store: $W/store"
	[ "$(stat -c '%u %a' "$(STORE_FILE)")" = "0 644" ] || fail "store: $(stat -c '%u %a' "$(STORE_FILE)")"
	[ "$(stat -c '%u %a' "$W/store")" = "0 755" ] || fail "store folder: $(stat -c '%u %a' "$W/store")"
	pt dbg jdoe acct_mgmt open_session close_session
	expect_ok; has "$SUCCESS"
	log_has "account: compiled cache off, login store used"
	log_has "session open: compiled cache off, login store used"
	! logs | grep -qF "wrote" || fail "a fresh store was written again"
	[ ! -e "$(CACHE_FILE)" ] || fail "a login with the store wrote beside the settings file"
	log_has "account: platform=facebook account=fb-jdoe action=login allow approval=LT-1 valid_until=$(day 201)T00:00:00+00:00"
	pt dbg kexp acct_mgmt
	expect_fail; has "$PERM_DENIED"; lacks "$ACCT_EXPIRED"
	log_has "login store used"
	has "Approval UB-3 lapsed at $(day -1)T00:00:00+00:00."
	pt dbg nobody-at-all acct_mgmt
	expect_fail; has "$USER_UNKNOWN"
	log_has "login store used"
	service dev device=laptop-home debug
	pt dev jdoe acct_mgmt
	expect_fail; has "$PERM_DENIED"
	log_has "login store used"
	log_has "codes=device-not-dcf"
}

# An edit that keeps the records' size and puts their mtime back (touch
# -d), then a login at once: it must see the edit.
t_store_same_size_edit() {
	service dbg debug
	age
	pt dbg jdoe acct_mgmt
	expect_ok
	log_has "wrote the login store"
	pt dbg jdoe acct_mgmt
	log_has "login store used"
	local size mtime
	size=$(stat -c %s "$W/world/records.conf")
	mtime=$(stat -c %y "$W/world/records.conf")
	sed -i 's/{ id = "LT-1"; staff = "jdoe";/{ id = "LT-1"; staff = "kexp";/' "$W/world/records.conf"
	touch -d "$mtime" "$W/world/records.conf"
	[ "$(stat -c %s "$W/world/records.conf")" = "$size" ] || fail "the edit changed the size"
	[ "$(stat -c %y "$W/world/records.conf")" = "$mtime" ] || fail "the mtime was not put back"
	grep -q '"LT-1"; staff = "kexp"' "$W/world/records.conf" || fail "the test did not edit LT-1"
	service fb platform=facebook debug
	pt fb jdoe acct_mgmt
	expect_fail; has "$PERM_DENIED"
	log_has "login store stale"
	log_has "codes=no-approval"
}

# A damaged store is ignored with a warning; the login is decided from the
# files, and a whole store is written in its place.
t_store_damaged() {
	service dbg debug
	age
	pt dbg kexp acct_mgmt
	log_has "wrote the login store"
	flip "$(STORE_FILE)" 105
	pt dbg kexp acct_mgmt
	expect_fail; has "$PERM_DENIED"; lacks "$ACCT_EXPIRED"
	log_has "the login store is ignored (its digest does not match: the file is damaged)"
	log_has "login store rejected"
	log_has "wrote a new login store"
	pt dbg kexp acct_mgmt
	expect_fail; has "$PERM_DENIED"; lacks "$ACCT_EXPIRED"
	log_has "login store used"
	# a byte of the shared part (the settings and the catalogue every
	# slice is unpacked against; its offset is the header's at byte 160)
	local shared
	shared=$(od -An -tu8 -j 160 -N 8 "$(STORE_FILE)" | tr -d ' ')
	[ "${shared:-0}" -gt 160 ] || fail "no shared part in the store's header: $shared"
	flip "$(STORE_FILE)" $((shared + 100))
	pt dbg kexp acct_mgmt
	expect_fail; has "$PERM_DENIED"; lacks "$ACCT_EXPIRED"
	log_has "the login store is ignored (the digest of its shared part does not match: the file is damaged)"
	log_has "wrote a new login store"
	: >"$(STORE_FILE)"
	pt dbg jdoe acct_mgmt
	expect_ok
	log_has "the login store is ignored (it is cut short)"
}

# A store others could have written is never read.
t_store_insecure() {
	service use cache=use debug
	age
	pt plain nnone acct_mgmt
	[ -e "$(STORE_FILE)" ] || fail "no store written"
	chmod 0666 "$(STORE_FILE)"
	pt use nnone acct_mgmt
	expect_fail; has "$PERM_DENIED"
	log_has "the login store is ignored (writable by group or others (mode 0666): refusing it)"
	log_has "login store rejected"
}

# store=off, and cache=off: the whole policy, no store written.
t_store_off() {
	service soff store=off debug
	age
	pt soff jdoe acct_mgmt
	expect_ok
	log_has "login store off"
	[ ! -e "$W/store" ] || fail "store=off wrote a store"
	service coff cache=off debug
	pt coff jdoe acct_mgmt
	expect_ok
	log_has "compiled cache off, login store off"
	[ ! -e "$W/store" ] || fail "cache=off wrote a store"
}

t_store_bad_arg() {
	service bad store=relative/path
	pt bad jdoe acct_mgmt
	expect_closed
	log_has "store= must be an absolute path or off: relative/path"
}

# ---- main ---------------------------------------------------------------

main() {
	if [ "${1:-}" = --list ]; then
		echo $CASES
		exit 0
	fi
	[ $# -eq 1 ] || { echo "usage: $0 CASE | --list" >&2; exit 2; }
	case " $(echo $CASES) " in
	*" $1 "*) ;;
	*) echo "unknown case: $1" >&2; exit 2 ;;
	esac
	: "${PAM_MODULE:?}" "${SESSION_ENV:?}"
	command -v pamtester >/dev/null || skip "pamtester is not installed"
	[ -n "${PAM_WRAPPER_LIB:-}" ] && [ -e "$PAM_WRAPPER_LIB" ] ||
		skip "pam_wrapper (libpam_wrapper.so) is not installed"
	[ "$(id -u)" -eq 0 ] || skip "the module accepts root-owned files only; run as root"
	export TZ=UTC
	TODAY=$(date -u +%F)
	OWN_TMP=$(dirname "$0")/own_tmp.sh
	unshare --mount --propagation private true 2>/dev/null ||
		note "no mount namespaces here: the PAM transactions take turns (own_tmp.sh)"
	setup
	"t_$1"
	echo "ok: $1"
}

main "$@"
