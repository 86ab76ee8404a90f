#!/bin/sh
# slapd.sh - a throwaway OpenLDAP server for the directory tests (smpolicy-ldap(5)).
#
#   tests/ldap/slapd.sh start DIR   build and start a slapd in DIR (a fresh,
#                                   empty or missing folder); write DIR/env
#   tests/ldap/slapd.sh stop DIR    stop it for good (idempotent)
#   tests/ldap/slapd.sh down DIR    stop it, keeping its data and ports
#   tests/ldap/slapd.sh up DIR      start the same instance again
#   tests/ldap/slapd.sh ldif DIR    print the generated cn=config (for reading)
#
# What `start` makes, all inside DIR:
#   - a test CA and a server certificate for 127.0.0.1 and localhost;
#   - a cn=config (slapadd -n0): back_mdb and syncprov from /usr/lib/ldap,
#     the schemas core, cosine, nis, inetorgperson and ldap/smpolicy.ldif,
#     the TLS files, and database {1}mdb for dc=example,dc=org (root DN
#     cn=admin,dc=example,dc=org, password "secret"), with the indexes of
#     ldap/smpolicy.ldif's header and the syncprov overlay (contextCSN on
#     the suffix; a session log of 100,000 changes, so that an RFC 4533
#     refresh with a recent cookie gets deletions as entryUUIDs instead of
#     every entry present; SLAPD_SESSIONLOG=N for a log of N changes, so
#     that a cookie older than its oldest gets the present phase; a reload
#     hint, so that a cookie older than any entry is refused with
#     e-syncRefreshRequired);
#   - with SLAPD_NO_SYNCPROV=1, neither the syncprov module nor its
#     overlay nor the entryCSN and entryUUID indexes: a server without
#     content synchronization (ldap/syncprov.ldif adds them);
#   - slapd listening on ldap://127.0.0.1:PORT, ldaps://127.0.0.1:PORT2 and
#     ldapi://DIR/ldapi, in the foreground of a background job, its output
#     in DIR/slapd.log (SLAPD_DEBUG=stats for more);
#   - ldap/access.ldif applied with ldapmodify -Y EXTERNAL over ldapi, as a
#     site would apply it;
#   - with SLAPD_SCHEMA_ONLINE=1, ldap/smpolicy.ldif is left out of the
#     slapadd and loaded into the running server instead, with
#     ldapadd -Y EXTERNAL as smpolicy-ldap(5) says (then its indexes);
#   - the base entries: dc=example,dc=org, ou=smpolicy under it, and the
#     read-only workstation identity cn=workstation,ou=smpolicy,... .
#
# DIR/env is sh-sourceable and stays the interface of this script:
#   LDAP_URI LDAPS_URI LDAPI_URI LDAP_PORT LDAPS_PORT CA_FILE SLAPD_PID
#   ROOT_DN ROOT_PW SUFFIX BASE READER_DN READER_PW SLAPD_DIR
#
# It runs as whoever calls it (root in CI) and never drops privileges; the
# caller's uid and gid manage cn=config over ldapi (-Y EXTERNAL).  It
# only ever signals the PID it started, after checking that the process is
# still the slapd of DIR.  A caller stops it from a trap:
#
#   tests/ldap/slapd.sh start "$tmp" || exit 1
#   trap 'tests/ldap/slapd.sh stop "$tmp"; rm -rf "$tmp"' EXIT INT TERM
#   . "$tmp/env"
#
# SPDX-License-Identifier: BSD-3-Clause
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
SCHEMA_DIR=${SCHEMA_DIR:-/etc/ldap/schema}
MODULE_DIR=${MODULE_DIR:-/usr/lib/ldap}
SLAPD=${SLAPD:-slapd}
SLAPADD=${SLAPADD:-slapadd}
SUFFIX="dc=example,dc=org"
BASE="ou=smpolicy,$SUFFIX"
ROOT_DN="cn=admin,$SUFFIX"
ROOT_PW=secret
READER_DN="cn=workstation,$BASE"
READER_PW=workstation

die() { printf 'slapd.sh: %s\n' "$*" >&2; exit 1; }

usage() {
	printf 'usage: %s start|stop|down|up|ldif DIR\n' "$0" >&2
	exit 2
}

free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

urlencode() {
	python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"
}

make_certs() {
	d=$1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$d/ca.key" -out "$d/ca.pem" -days 2 \
		-subj "/CN=smpolicy test CA" 2>/dev/null
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$d/server.key" -out "$d/server.csr" \
		-subj "/CN=localhost" 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' \
		>"$d/server.ext"
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
		-CAcreateserial -out "$d/server.pem" -days 2 \
		-extfile "$d/server.ext" 2>/dev/null
	chmod 600 "$d/ca.key" "$d/server.key"
}

# The cn=config of the instance, on stdout.
config_ldif() {
	d=$1
	hash=$(slappasswd -s "$ROOT_PW")
	cat <<EOF
dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: $d/slapd.pid
olcArgsFile: $d/slapd.args
olcTLSCACertificateFile: $d/ca.pem
olcTLSCertificateFile: $d/server.pem
olcTLSCertificateKeyFile: $d/server.key

dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: $MODULE_DIR
olcModuleLoad: {0}back_mdb
$([ -n "${SLAPD_NO_SYNCPROV:-}" ] || echo "olcModuleLoad: {1}syncprov")

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

EOF
	ours="$TOP/ldap/smpolicy.ldif"
	[ -z "${SLAPD_SCHEMA_ONLINE:-}" ] || ours=
	for s in "$SCHEMA_DIR/core.ldif" "$SCHEMA_DIR/cosine.ldif" "$SCHEMA_DIR/nis.ldif" \
		"$SCHEMA_DIR/inetorgperson.ldif" $ours; do
		[ -r "$s" ] || die "cannot read the schema $s"
		grep -v '^#' "$s"
		echo
	done
	cat <<EOF
dn: olcDatabase={-1}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {-1}frontend

dn: olcDatabase={0}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {0}config
olcAccess: {0}to * by dn.exact=gidNumber=$(id -g)+uidNumber=$(id -u),cn=peercred,cn=external,cn=auth manage by * break

dn: olcDatabase={1}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {1}mdb
olcDbDirectory: $d/db
olcSuffix: $SUFFIX
olcRootDN: $ROOT_DN
olcRootPW: $hash
olcDbMaxSize: 1073741824
olcDbIndex: objectClass,uid,cn eq
EOF
	[ -n "${SLAPD_NO_SYNCPROV:-}" ] || echo "olcDbIndex: entryCSN,entryUUID eq"
	[ -z "$ours" ] || smp_index
	[ -z "${SLAPD_NO_SYNCPROV:-}" ] || return 0
	cat <<EOF

dn: olcOverlay={0}syncprov,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcSyncProvConfig
olcOverlay: {0}syncprov
olcSpCheckpoint: 100 10
olcSpSessionlog: ${SLAPD_SESSIONLOG:-100000}
olcSpReloadHint: TRUE
EOF
}

smp_index() {
	echo "olcDbIndex: smpStaff,smpOffice,smpHolder,smpPlatforms eq"
}

# ldap/smpolicy.ldif into the running server, as a site loads it.
schema_online() {
	d=$1
	{
		ldapadd -Q -Y EXTERNAL -H "$LDAPI_URI" -f "$TOP/ldap/smpolicy.ldif" &&
		printf 'dn: olcDatabase={1}mdb,cn=config\nchangetype: modify\nadd: olcDbIndex\n%s\n' \
			"$(smp_index)" | ldapmodify -Q -Y EXTERNAL -H "$LDAPI_URI"
	} >"$d/schema.log" 2>&1
}

base_ldif() {
	hash=$(slappasswd -s "$READER_PW")
	cat <<EOF
dn: $SUFFIX
objectClass: dcObject
objectClass: organization
dc: example
o: Example

dn: $BASE
objectClass: organizationalUnit
ou: smpolicy

dn: $READER_DN
objectClass: applicationProcess
objectClass: simpleSecurityObject
cn: workstation
description: the read-only identity of workstations (smpolicy sync)
userPassword: $hash
EOF
}

# Is PID running?  A zombie (exited, its new parent not yet told) is not.
alive() {
	kill -0 "$1" 2>/dev/null || return 1
	[ -r "/proc/$1/stat" ] || return 0
	case $(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) in Z* | X* | "") return 1 ;; esac
}

# Is PID the slapd of folder D?  Only then is it ours to signal.
is_ours() {
	pid=$1 d=$2
	[ -n "$pid" ] && alive "$pid" || return 1
	[ -r "/proc/$pid/cmdline" ] || return 0
	tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$d/slapd.d"
}

answers() {
	ldapsearch -x -H "$1" -s base -b "" -LLL namingContexts >/dev/null 2>&1
}

# Start slapd of folder D on the ports of D/env; 0 once it answers.
launch() {
	d=$1
	# shellcheck disable=SC1091
	. "$d/env"
	# The daemon keeps none of our descriptors: meson waits for them.
	"$SLAPD" -d "${SLAPD_DEBUG:-0}" -F "$d/slapd.d" \
		-h "$LDAP_URI/ $LDAPS_URI/ $LDAPI_URI" </dev/null >>"$d/slapd.log" 2>&1 &
	pid=$!
	i=0
	while [ $i -lt 100 ]; do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid" 2>/dev/null || true
			return 1
		fi
		# ldapi first: its socket is in D, so the answer is from this
		# slapd, which opens every listener before it serves; an answer
		# on the port alone could come from whoever took it first
		if answers "$LDAPI_URI" && alive "$pid" && answers "$LDAP_URI"; then
			sed -i "s/^SLAPD_PID=.*/SLAPD_PID=$pid/" "$d/env"
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	return 1
}

write_env() {
	d=$1 p1=$2 p2=$3
	cat >"$d/env" <<EOF
SLAPD_DIR='$d'
LDAP_PORT=$p1
LDAPS_PORT=$p2
LDAP_URI='ldap://127.0.0.1:$p1'
LDAPS_URI='ldaps://127.0.0.1:$p2'
LDAPI_URI='ldapi://$(urlencode "$d/ldapi")'
CA_FILE='$d/ca.pem'
SLAPD_PID=
ROOT_DN='$ROOT_DN'
ROOT_PW='$ROOT_PW'
SUFFIX='$SUFFIX'
BASE='$BASE'
READER_DN='$READER_DN'
READER_PW='$READER_PW'
EOF
}

stop_slapd() {
	d=$1
	[ -f "$d/env" ] || return 0
	pid=$(sed -n 's/^SLAPD_PID=//p' "$d/env")
	if is_ours "$pid" "$d"; then
		kill -TERM "$pid" 2>/dev/null || true
		i=0
		while alive "$pid" && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		if is_ours "$pid" "$d"; then
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	sed -i "s/^SLAPD_PID=.*/SLAPD_PID=/" "$d/env"
}

cmd_start() {
	d=$1
	mkdir -p "$d"
	d=$(cd "$d" && pwd)
	[ ! -e "$d/env" ] || die "$d already holds an instance; stop it and use a fresh folder"
	command -v "$SLAPD" >/dev/null 2>&1 || [ -x "$SLAPD" ] || [ -x /usr/sbin/slapd ] ||
		die "slapd is not installed (./dev.sh build installs it)"
	case $PATH in */usr/sbin*) ;; *) PATH=$PATH:/usr/sbin ;; esac
	mkdir -p "$d/slapd.d" "$d/db"
	make_certs "$d"
	config_ldif "$d" >"$d/config.ldif"
	"$SLAPADD" -n0 -F "$d/slapd.d" -l "$d/config.ldif" >"$d/slapadd.log" 2>&1 ||
		{ cat "$d/slapadd.log" >&2; die "slapadd -n0 refused the configuration"; }

	tries=0
	while :; do
		write_env "$d" "$(free_port)" "$(free_port)"
		# Until `stop` is called, a failure here must not leave it running.
		trap 'stop_slapd "$d"' EXIT INT TERM
		launch "$d" && break
		tries=$((tries + 1))
		[ $tries -lt 5 ] || { tail -20 "$d/slapd.log" >&2; die "slapd did not start"; }
	done
	# shellcheck disable=SC1091
	. "$d/env"
	[ -z "${SLAPD_SCHEMA_ONLINE:-}" ] || schema_online "$d" ||
		{ cat "$d/schema.log" >&2; die "ldapadd refused ldap/smpolicy.ldif"; }
	ldapmodify -Q -Y EXTERNAL -H "$LDAPI_URI" -f "$TOP/ldap/access.ldif" >"$d/access.log" 2>&1 ||
		{ cat "$d/access.log" >&2; die "ldap/access.ldif was refused"; }
	base_ldif | ldapadd -x -H "$LDAPI_URI" -D "$ROOT_DN" -w "$ROOT_PW" >"$d/base.log" 2>&1 ||
		{ cat "$d/base.log" >&2; die "the base entries were refused"; }
	trap - EXIT INT TERM
}

cmd_up() {
	d=$1
	[ -f "$d/env" ] || die "$d holds no instance"
	pid=$(sed -n 's/^SLAPD_PID=//p' "$d/env")
	! is_ours "$pid" "$d" || return 0
	launch "$d" || { tail -20 "$d/slapd.log" >&2; die "slapd did not start again"; }
}

[ $# -eq 2 ] || usage
dir=$2
case $1 in
start) cmd_start "$dir" ;;
stop | down)
	[ -d "$dir" ] || exit 0
	stop_slapd "$(cd "$dir" && pwd)"
	;;
up) cmd_up "$(cd "$dir" && pwd)" ;;
ldif)
	config_ldif "$dir"
	;;
*) usage ;;
esac
