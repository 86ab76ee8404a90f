#!/bin/sh
# cli.sh SMPOLICY - the record commands as a new user would run them:
# request, sign, revoke, account, log; each refusal (exit 1, records byte
# for byte unchanged), usage errors (exit 2), parallel signatures against
# the office cap, and kill -9 during writes.  Prints TAP.
#
# SPDX-License-Identifier: BSD-3-Clause
set -u
SMPOLICY=${1:?usage: cli.sh path/to/smpolicy}
T=$(mktemp -d /tmp/smp-edit-cli-XXXXXX) || exit 2
trap 'rm -rf "$T"' EXIT
chmod 0755 "$T"
n=0
failed=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
# check DESCRIPTION COMMAND...: passes when the command succeeds; its
# output is shown (as TAP comments) only when it fails
check() {
	d=$1
	shift
	if "$@" > "$T/check.out" 2>&1; then
		ok "$d"
	else
		not_ok "$d"
		sed 's/^/# /' "$T/check.out"
	fi
}

# office DIR CAP: a fresh sample office in DIR
office() {
	mkdir -p "$1" && chmod 0755 "$1"
	cat > "$1/smpolicy.conf" <<EOF
version = 1;
settings = { records = [ "records.conf" ]; max_approved_per_office = $2; };
platforms = (
  { id = "facebook"; name = "Facebook"; },
  { id = "youtube"; name = "YouTube"; private_messaging = false; }
);
offices = (
  { id = "essex"; name = "Essex Central Local Office"; kind = "local"; },
  { id = "central"; name = "Central Office"; kind = "area"; }
);
EOF
	cat > "$1/records.conf" <<'EOF'
# Essex Central records -- maintained by hand and by smpolicy.
# Every comment here must survive the record commands.

staff = (
  { id = "dir-cpp"; office = "central"; roles = [ "director_cpp" ]; },   # Director of CP&P
  { id = "dir-it"; office = "central"; roles = [ "director_it" ]; },     # Director of IT
  { id = "lom"; office = "essex"; roles = [ "local_office_manager" ]; },
  { id = "sup"; office = "essex"; roles = [ "supervisor" ]; },
  { id = "w1"; office = "essex"; roles = [ "worker" ]; supervisor = "sup"; },
  { id = "w2"; office = "essex"; roles = [ "worker" ]; },
  { id = "w3"; office = "essex"; roles = [ "worker" ]; },
  { id = "w4"; office = "essex"; roles = [ "worker" ]; },
  { id = "w5"; office = "essex"; roles = [ "worker" ]; },
  { id = "w6"; office = "essex"; roles = [ "worker" ]; },
  { id = "w7"; office = "essex"; roles = [ "worker" ]; },
  { id = "w8"; office = "essex"; roles = [ "worker" ]; },
  { id = "w9"; office = "essex"; roles = [ "worker" ]; },
  { id = "w10"; office = "essex"; roles = [ "worker" ]; },
  { id = "w11"; office = "essex"; roles = [ "worker" ]; },
  { id = "w12"; office = "essex"; roles = [ "worker" ]; }
);

devices = (
  { id = "ws1"; kind = "workstation"; owner = "dcf"; office = "essex"; }
);

accounts = (
  /* the office's official Facebook account */
  { id = "fb1"; platform = "facebook"; holder = "w1"; official = true; supervisor = "sup";
    password_escrowed = "2026-01-05"; }
);

approvals = (
  # none yet
);
EOF
	chmod 0644 "$1/smpolicy.conf" "$1/records.conf"
}

sum() { sha256sum "$1" | cut -d' ' -f1; }

D=$T/office
office "$D" 2
S="$SMPOLICY -c $D/smpolicy.conf --test-allow-nonroot"
R=$D/records.conf
cp "$R" "$T/original.conf"

# refused CMD...: exit 1, a message on stderr, the records unchanged
refused() {
	before=$(sum "$R")
	$S "$@" > "$T/out" 2> "$T/err"
	rc=$?
	if [ $rc -eq 1 ] && [ "$(sum "$R")" = "$before" ] && grep -q "refused" "$T/err"; then
		ok "refused: $*"
	else
		not_ok "refused: $* (exit $rc)"
		sed 's/^/# /' "$T/err"
	fi
}

# usage CMD...: exit 2, records unchanged
usage() {
	before=$(sum "$R")
	$S "$@" > "$T/out" 2> "$T/err"
	rc=$?
	if [ $rc -eq 2 ] && [ "$(sum "$R")" = "$before" ] && [ -s "$T/err" ]; then
		ok "error exit 2: $*"
	else
		not_ok "error exit 2: $* (exit $rc)"
		sed 's/^/# /' "$T/err"
	fi
}

# ---- the long-term procedure --------------------------------------------

check "check: the sample office is valid" $S check
# undated, as a new user types it: dated today, numbered in today's year
# (read before and after, in case the year turns in between)
year0=$(date +%Y)
out=$($S request --staff w1 --kind long_term --platform facebook --by lom)
check "request: exit 0" [ $? -eq 0 ]
year1=$(date +%Y)
id=${out##* }
check "request: prints the new id last ($id)" \
	[ "$id" = "LT-$year0-001" -o "$id" = "LT-$year1-001" ]
check "sign: CP&P" $S sign "$id" --by dir-cpp
check "decide: pending is a DENY" sh -c "$S decide --user w1 --platform facebook --device ws1 | grep -q '^DENY'"
$S sign "$id" --by dir-it > "$T/out"
check "sign: IT, fully signed" grep -q "fully signed" "$T/out"
check "decide: ALLOW after both sign-offs" sh -c "$S decide --user w1 --platform facebook --device ws1 | grep -q '^ALLOW'"
check "check: still valid" $S check

# ---- refusals: exit 1, records unchanged ----------------------------------

refused sign "$id" --by dir-it                                  # already signed
refused sign "$id" --by lom                                     # no director role
refused sign "$id" --by nobody                                  # not in the records
refused request --staff w2 --kind long_term --platform facebook --by w3   # not a LOM
refused request --staff w2 --kind limited --platform youtube --by w2 --expires 2026-12-01
refused request --staff w2 --kind limited --platform youtube --by w2 --ticket NJS-1
refused request --staff w2 --kind limited --platform youtube,facebook --by w2 --ticket NJS-1 --expires 2026-12-01
refused request --staff w2 --kind long_term --platform myspace --by lom
out=$($S request --staff dir-it --kind long_term --platform facebook --by lom 2>&1)
check "request: a LOM of another office is refused" [ $? -eq 1 ]
out=$($S request --staff w2 --kind long_term --platform facebook --by lom)
id2=${out##* }
$S sign "$id2" --by dir-cpp > /dev/null
out=$($S request --staff w3 --kind long_term --platform facebook --by lom)
id3=${out##* }
$S sign "$id3" --by dir-cpp > /dev/null
check "sign: the second person fills the office" $S sign "$id2" --by dir-it
refused sign "$id3" --by dir-it                                 # over the cap of 2
check "the cap refusal names the office" grep -q "over its cap" "$T/err"
refused revoke "$id" --by nobody --reason "x"
check "revoke: frees a place" $S revoke "$id" --by dir-it --reason "left the unit"
refused revoke "$id" --by dir-it --reason "again"
refused sign "$id" --by dir-cpp                                 # revoked
check "sign: the third person now fits" $S sign "$id3" --by dir-it
check "check: valid after all that" $S check

# a director signing their own approval
out=$($S request --staff w4 --kind long_term --platform facebook --by lom)
id4=${out##* }
refused sign "$id4" --by w4

# ---- usage and lookup errors: exit 2 ----------------------------------------

usage sign
usage sign "$id4"
usage sign "$id4" --by dir-cpp --on yesterday
usage sign "$id4" --by dir-cpp extra
usage sign LT-1999-999 --by dir-cpp
usage request --staff w5 --kind forever --platform facebook --by lom
usage request --staff w5 --kind long_term --platform facebook,,youtube --by lom
usage request --staff w5 --kind long_term --platform facebook
usage revoke "$id4" --by lom
usage account fb1 hacked
usage account fb9 compromised
usage log --since never
usage sign "$id4" --by dir-cpp --frobnicate
check "sign --help exits 0" $S sign --help

# ---- limited access ---------------------------------------------------------

out=$($S request --staff w5 --kind limited --platform youtube --by w5 --ticket NJS-4431 \
	--starts 2026-11-20T09:00 --expires 2026-11-27T17:00 --on 2026-11-20)
check "request limited: id from the ticket" [ "${out##* }" = "UB-4431" ]
check "request limited: expiry written as given" grep -q 'expires = "2026-11-27T17:00:00' "$R"

# ---- revoke reasons that need escaping --------------------------------------

out=$($S request --staff w6 --kind long_term --platform facebook --by lom)
id6=${out##* }
reason=$(printf 'said "stop" \\ at C:\\temp\nsecond line \342\230\203')
check "revoke: an odd reason" $S revoke "$id6" --by lom --reason "$reason"
check "revoke: the reason is escaped in the file" \
	grep -qF 'reason = "said \"stop\" \\ at C:\\temp\nsecond line ☃";' "$R"
check "check: the file still loads" $S check

# ---- account events (§D) ----------------------------------------------------

check "account: password-changed" $S account fb1 password-changed --on 2026-06-01T10:00
check "decide: an unreported change denies login" \
	sh -c "$S decide --user w1 --platform facebook --device ws1 --account fb1 --action login | grep -q password-change-unreported"
check "account: password-escrowed" $S account fb1 password-escrowed --on 2026-06-01T10:30
check "account: compromised" $S account fb1 compromised --on 2026-06-02
refused account fb1 compromised
check "account: resolved" $S account fb1 resolved --on 2026-06-03
refused account fb1 resolved
check "account: the dates are in the entry" \
	grep -q 'compromised = { reported = "2026-06-02"; resolved = "2026-06-03"; };' "$R"

# ---- the hand-written file survives ------------------------------------------

missing=0
grep -E '#|/\*' "$T/original.conf" > "$T/comments"
while IFS= read -r line; do
	grep -qxF -- "$line" "$R" || { missing=$((missing + 1)); echo "# lost: $line"; }
done < "$T/comments"
check "every comment line survives" [ "$missing" -eq 0 ]
head -n 24 "$T/original.conf" > "$T/a"; head -n 24 "$R" > "$T/b"
check "untouched entries are byte for byte the same" cmp -s "$T/a" "$T/b"
check "records mode kept" [ "$(stat -c %a "$R")" = 644 ]
check "lock file beside the records, mode 600" [ "$(stat -c %a "$R.lock")" = 600 ]

# ---- the audit trail -----------------------------------------------------------

$S log > "$T/log"
check "log: one line per command after the lock" [ "$(wc -l < "$T/log")" -ge 30 ]
check "log: a sign-off" grep -q "by=dir-cpp action=sign id=$id result=ok" "$T/log"
check "log: a refusal, with why" grep -q "by=dir-it action=sign id=$id3 result=refused detail=.*over its cap" "$T/log"
check "log: the invoking user for account events" grep -q "by=$(id -un) action=account id=fb1 result=ok detail=\"resolved on 2026-06-03\"" "$T/log"
check "log: newlines in reasons stay escaped" grep -qF 'C:\\temp\nsecond line' "$T/log"
check "log --since the future is empty" [ -z "$($S log --since 2999-01-01)" ]
check "log --since the past is everything" [ "$($S log --since 2000-01-01 | wc -l)" -eq "$(wc -l < "$T/log")" ]

# ---- many processes sign at once ------------------------------------------------

P=$T/parallel
office "$P" 2
SP="$SMPOLICY -c $P/smpolicy.conf --test-allow-nonroot"
ids=""
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
	out=$($SP request --staff "w$i" --kind long_term --platform facebook --by lom) || true
	pid=${out##* }
	$SP sign "$pid" --by dir-cpp > /dev/null
	ids="$ids $pid"
done
for pid in $ids; do
	( $SP sign "$pid" --by dir-it > /dev/null 2>&1; echo $? > "$T/rc.$pid" ) &
done
wait
oks=$(cat "$T"/rc.* | grep -c '^0$')
refusals=$(cat "$T"/rc.* | grep -c '^1$')
check "12 parallel signatures: exactly 2 hold ($oks ok, $refusals refused)" \
	[ "$oks" -eq 2 -a "$refusals" -eq 10 ]
check "12 parallel signatures: the records load and are valid" $SP check

# ---- kill -9 during writes ---------------------------------------------------------

K=$T/kill
office "$K" 2
SK="$SMPOLICY -c $K/smpolicy.conf --test-allow-nonroot"
bad=0
i=0
while [ $i -lt 40 ]; do
	i=$((i + 1))
	before=$(sum "$K/records.conf")
	$SK account fb1 password-changed --on "2026-07-01T10:$(printf %02d $((i % 60)))" > /dev/null 2>&1 &
	victim=$!
	r=$(od -An -N1 -tu1 /dev/urandom | tr -d ' ')
	sleep "0.00$((r % 10))"
	kill -9 "$victim" 2> /dev/null
	wait "$victim" 2> /dev/null
	$SK check > /dev/null 2>&1
	rc=$?
	if [ $rc -ne 0 ]; then
		bad=$((bad + 1))
		echo "# after kill $i: check exit $rc"
	fi
done
check "kill -9 x40: the records always load" [ "$bad" -eq 0 ]
check "kill -9: no stale lock (the next command runs at once)" \
	timeout 3 $SK account fb1 password-escrowed
check "kill -9: temporaries cleaned up" [ -z "$(ls -A "$K" | grep '\.tmp-')" ]

echo "1..$n"
[ "$failed" -eq 0 ]
