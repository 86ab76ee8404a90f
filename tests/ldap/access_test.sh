#!/bin/sh
# access_test.sh - ldap/access.ldif against a throwaway slapd: each person
# writes with raw ldapmodify/ldapadd, and the directory must refuse what
# smpolicy-ldap(5) ACCESS forbids with insufficientAccess (50) and let the right person
# through.  TAP output.
#
# SPDX-License-Identifier: BSD-3-Clause
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/smp-access.XXXXXX")
trap '"$HERE/slapd.sh" stop "$tmp/slapd"; rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
"$HERE/slapd.sh" start "$tmp/slapd" || { echo "Bail out! slapd did not start"; exit 1; }
. "$tmp/slapd/env"

# The count lives in a file: `as` runs at the end of a pipe, in a subshell.
echo 0 >"$tmp/n"
: >"$tmp/failed"
ok() {
	n=$(($(cat "$tmp/n") + 1))
	echo $n >"$tmp/n"
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		echo $n >>"$tmp/failed"
	fi
}

dn_of() { printf 'uid=%s,ou=staff,%s' "$1" "$BASE"; }

# as WHO EXPECTED-RC WHAT: feed stdin (an LDIF of changes) to ldapmodify
# bound as staff WHO (password "pw-WHO"), "workstation", or "anonymous".
as() {
	who=$1 want=$2 what=$3
	case $who in
	anonymous) bind= ;;
	workstation) bind="-D $READER_DN -w $READER_PW" ;;
	*) bind="-D $(dn_of "$who") -w pw-$who" ;;
	esac
	# shellcheck disable=SC2086
	ldapmodify -x -H "$LDAP_URI" $bind >"$tmp/out" 2>&1
	got=$?
	[ "$got" -eq "$want" ]
	ok $? "$what (want $want, got $got)"
	[ "$got" -eq "$want" ] || sed 's/^/# /' "$tmp/out"
}

staff() {
	printf 'dn: %s\nobjectClass: inetOrgPerson\nobjectClass: smpPolicyStaff\n' "$(dn_of "$1")"
	printf 'uid: %s\ncn: %s\nsn: %s\nsmpOffice: essex\nuserPassword: pw-%s\n' "$1" "$1" "$1" "$1"
	shift
	for r in "$@"; do printf 'smpRoles: %s\n' "$r"; done
	echo
}

approval() {
	printf 'dn: cn=%s,ou=approvals,%s\nobjectClass: smpPolicyApproval\ncn: %s\n' "$1" "$BASE" "$1"
	printf 'smpStaff: %s\nsmpKind: long_term\nsmpPlatforms: facebook\nsmpRequestedBy: lom\n\n' "$2"
}

{
	for c in staff approvals accounts; do
		printf 'dn: ou=%s,%s\nobjectClass: organizationalUnit\nou: %s\n\n' "$c" "$BASE" "$c"
	done
	staff w1 worker
	staff w2 worker
	staff lom local_office_manager
	staff dcpp director_cpp
	staff dit director_it
	staff dself director_cpp
	staff sup supervisor
	approval LT-1 w1
	approval LT-2 dself
	approval LT-3 w2
	printf 'dn: cn=fb-1,ou=accounts,%s\nobjectClass: smpPolicyAccount\ncn: fb-1\n' "$BASE"
	printf 'smpHolder: w1\nsmpSupervisor: sup\nsmpPlatform: facebook\n\n'
} | ldapadd -x -H "$LDAP_URI" -D "$ROOT_DN" -w "$ROOT_PW" >"$tmp/load" 2>&1
ok $? "the root DN loads staff, approvals and an account"

sign() { # sign ID ATTR-PREFIX BY
	printf 'dn: cn=%s,ou=approvals,%s\nchangetype: modify\n' "$1" "$BASE"
	printf 'add: smpApproved%sBy\nsmpApproved%sBy: %s\n-\n' "$2" "$2" "$3"
	printf 'add: smpApproved%sOn\nsmpApproved%sOn: 2026-11-19\n' "$2" "$2"
}

# Signing off.
sign LT-1 Cpp w1 | as w1 50 "a worker cannot write smpApprovedCpp*"
sign LT-1 Cpp dit | as dit 50 "director_it cannot write smpApprovedCpp*"
sign LT-1 It dcpp | as dcpp 50 "director_cpp cannot write smpApprovedIt*"
sign LT-1 Cpp lom | as lom 50 "a local_office_manager cannot sign"
sign LT-1 Cpp dcpp | as workstation 50 "the workstation identity writes nothing"
sign LT-1 Cpp dcpp | as anonymous 8 "anonymous writes nothing (slapd: strongerAuthRequired)"
sign LT-2 Cpp dself | as dself 50 "director_cpp cannot sign their own approval"
sign LT-1 Cpp dcpp | as dcpp 0 "director_cpp signs another's approval"
sign LT-1 It dit | as dit 0 "director_it signs another's approval"
sign LT-2 Cpp dcpp | as dcpp 0 "another director_cpp signs the director's approval"

# Requests: new approval entries.
req() { # req ID STAFF [extra attribute lines]
	printf 'dn: cn=%s,ou=approvals,%s\nchangetype: add\nobjectClass: smpPolicyApproval\n' "$1" "$BASE"
	printf 'cn: %s\nsmpStaff: %s\nsmpKind: long_term\nsmpPlatforms: facebook\n' "$1" "$2"
	printf 'smpRequestedBy: lom\nsmpRequested: 2026-11-01\n'
	shift 2
	for l in "$@"; do printf '%s\n' "$l"; done
}
req LT-5 w2 | as w1 50 "a worker cannot add an approval"
req LT-5 w2 | as dcpp 50 "a director cannot add an approval (requests come from the office)"
req LT-5 w2 "smpApprovedCppBy: dcpp" "smpApprovedCppOn: 2026-11-01" |
	as lom 50 "a local_office_manager cannot add an approval already signed"
req LT-5 w2 "smpRevokedOn: 2026-11-01" |
	as lom 50 "a local_office_manager cannot add an approval already revoked"
req LT-5 w2 | as lom 0 "a local_office_manager adds a request"
printf 'dn: cn=LT-3,ou=approvals,%s\nchangetype: delete\n' "$BASE" |
	as lom 50 "a local_office_manager cannot delete an approval"

# Revoking.
revoke() {
	printf 'dn: cn=%s,ou=approvals,%s\nchangetype: modify\n' "$1" "$BASE"
	printf 'add: smpRevokedOn\nsmpRevokedOn: 2026-11-22\n-\nadd: smpRevokedBy\nsmpRevokedBy: %s\n' "$2"
	printf -- '-\nadd: smpRevokedReason\nsmpRevokedReason: case closed\n'
}
revoke LT-3 w1 | as w1 50 "a worker cannot revoke"
revoke LT-2 dself | as dself 50 "a director cannot revoke their own approval"
revoke LT-3 lom | as lom 0 "a local_office_manager revokes"

# Everything else is the administrators'.
printf 'dn: %s\nchangetype: modify\nadd: smpRoles\nsmpRoles: director_cpp\n' "$(dn_of w1)" |
	as w1 50 "a worker cannot give themself a role"
printf 'dn: cn=LT-3,ou=approvals,%s\nchangetype: modify\nreplace: smpExpires\nsmpExpires: 2099-01-01\n' \
	"$BASE" | as dcpp 50 "a director cannot change an approval's dates"
printf 'dn: cn=LT-1,ou=approvals,%s\nchangetype: modify\nreplace: smpStaff\nsmpStaff: w2\n' \
	"$BASE" | as lom 50 "a local_office_manager cannot move a signed approval to another person"

# Accounts.
acct() { printf 'dn: cn=fb-1,ou=accounts,%s\nchangetype: modify\nreplace: %s\n%s: 2026-11-20\n' \
	"$BASE" "$1" "$1"; }
acct smpPasswordEscrowed | as w1 50 "the holder cannot record the escrow"
acct smpPasswordEscrowed | as sup 0 "the account's supervisor records the escrow"
acct smpPasswordChanged | as dit 0 "director_it records a password change"
printf 'dn: cn=fb-1,ou=accounts,%s\nchangetype: modify\nreplace: smpHolder\nsmpHolder: w2\n' \
	"$BASE" | as sup 50 "the supervisor cannot change the holder"

# userPassword: bind only; its owner may change it.
for who in w1 dcpp; do
	v=$(ldapsearch -x -H "$LDAP_URI" -D "$(dn_of "$who")" -w "pw-$who" -LLL \
		-b "$(dn_of w1)" -s base userPassword 2>&1)
	case $v in *userPassword*) r=1 ;; *) r=0 ;; esac
	ok $r "$who cannot read w1's userPassword"
done
ldapcompare -x -H "$LDAP_URI" -D "$(dn_of dcpp)" -w pw-dcpp "$(dn_of w1)" userPassword:pw-w1 \
	>"$tmp/out" 2>&1
r=$?
[ $r -eq 50 ]
ok $? "nobody may even compare w1's userPassword (want 50, got $r)"
printf 'dn: %s\nchangetype: modify\nreplace: userPassword\nuserPassword: pw-w2\n' "$(dn_of w1)" |
	as w2 50 "nobody changes another's password"
printf 'dn: %s\nchangetype: modify\nreplace: userPassword\nuserPassword: pw-w1\n' "$(dn_of w1)" |
	as w1 0 "staff change their own password"

# Reading.
c=$(ldapsearch -x -H "$LDAP_URI" -D "$READER_DN" -w "$READER_PW" -LLL -b "$BASE" \
	'(objectClass=smpPolicyApproval)' dn | grep -c '^dn:')
[ "$c" -eq 4 ]
ok $? "the workstation identity reads every approval ($c)"
c=$(ldapsearch -x -H "$LDAP_URI" -D "$(dn_of w1)" -w pw-w1 -LLL -b "$BASE" \
	'(smpApprovedCppBy=dcpp)' dn | grep -c '^dn:')
[ "$c" -eq 2 ]
ok $? "a worker reads the sign-offs ($c)"
c=$(ldapsearch -x -H "$LDAP_URI" -LLL -b "$BASE" '(objectClass=*)' dn 2>/dev/null | grep -c '^dn:')
[ "$c" -eq 0 ]
ok $? "anonymous reads nothing ($c entries)"
csn=$(ldapsearch -x -H "$LDAP_URI" -D "$READER_DN" -w "$READER_PW" -LLL -s base -b "$SUFFIX" \
	contextCSN | grep -c '^contextCSN:')
[ "$csn" -eq 1 ]
ok $? "the workstation identity reads the suffix's contextCSN"

echo "1..$(cat "$tmp/n")"
[ ! -s "$tmp/failed" ]
