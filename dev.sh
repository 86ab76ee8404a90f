#!/bin/sh
# dev.sh - set up, build, demo and test libsmpolicy on Debian 12.
#
#   ./dev.sh demo    install what is missing, build, run the sample office demo
#   ./dev.sh test    install what is missing, build, run every test
#   ./dev.sh build   install what is missing and build (into ./build)
#   ./dev.sh bench   the benchmark (bench/run)
#   ./dev.sh deb     build the Debian packages (into ./build-deb) and lintian them
#
# It installs Debian packages with apt-get only when one is missing (as root,
# or through sudo), and never asks a question.
set -eu

cd "$(dirname "$0")"
TOP=$(pwd)
BUILD=${BUILD:-$TOP/build}

PACKAGES="gcc clang libc6-dev pkg-config meson ninja-build python3 tzdata \
libconfig-dev libxxhash-dev liblz4-dev libpam0g-dev libjson-c-dev libcunit1-dev pamtester libpam-wrapper \
libpam-modules scdoc valgrind libclang-rt-14-dev \
slapd ldap-utils libldap-dev openssl"
# slapd: the directory tests run their own throwaway server on free ports
# (tests/ldap/slapd.sh); the one the package starts is never used.
# squid, curl: tests/squid/proxy_test.py runs its own squid on loopback and
# browses through it; the squid the package starts is never used.
PACKAGES="$PACKAGES squid curl"
# the Debian packages (./dev.sh deb) and the test that installs them and logs
# in through the real PAM stack (tests/install/deb_test.sh)
PACKAGES="$PACKAGES dpkg-dev debhelper lintian libpam-runtime"
# faketime: tests/clock.sh runs the tests that read the clock at the turn
# of the day, in UTC and in New York; and the signing tests' clock
# (tests/sig/dir_sig_test.py).
PACKAGES="$PACKAGES faketime"
# abigail-tools (abidw, abidiff): tests/abi compares the library's
# interface with its committed description, libsmpolicy/libsmpolicy.abi
PACKAGES="$PACKAGES abigail-tools"
# libgnutls28-dev, libssl-dev: the directors' signatures (signing, verifying);
# softhsm2, gnutls-bin (p11tool), p11-kit: the signing tests' PKCS#11 tokens,
# one per director
PACKAGES="$PACKAGES libgnutls28-dev libssl-dev softhsm2 gnutls-bin p11-kit"

say() { printf '==> %s\n' "$*"; }
die() { printf 'dev.sh: %s\n' "$*" >&2; exit 1; }

missing_packages() {
	for p in $PACKAGES; do
		if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
			printf '%s ' "$p"
		fi
	done
}

install_deps() {
	command -v dpkg-query >/dev/null 2>&1 || die "this script expects Debian (dpkg/apt-get)"
	need=$(missing_packages)
	[ -z "$need" ] && return 0
	say "installing: $need"
	if [ "$(id -u)" -eq 0 ]; then
		SUDO=
	elif command -v sudo >/dev/null 2>&1; then
		SUDO="sudo -n"
	else
		die "missing packages ($need) and not root; install them or run as root"
	fi
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -q
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -q --no-install-recommends $need
}

build() {
	if [ ! -f "$BUILD/build.ninja" ]; then
		say "configuring $BUILD"
		meson setup "$BUILD" --werror -Dtests=enabled -Dman=enabled >/dev/null
	fi
	say "building"
	ninja -C "$BUILD"
}

# The sample office, copied where it can be root-owned and private: the
# library refuses files that anyone but root could have written.
demo_world() {
	DEMO=$(mktemp -d /tmp/smpolicy-demo.XXXXXX)
	cp "$TOP"/examples/office/smpolicy.conf "$TOP"/examples/office/records.conf "$DEMO"/
	chmod 0755 "$DEMO"
	chmod 0644 "$DEMO"/*.conf
	NONROOT=
	[ "$(id -u)" -eq 0 ] || NONROOT=--test-allow-nonroot
}

run() {
	printf '\n$ smpolicy'
	for a in "$@"; do
		case $a in
		*" "*) printf " '%s'" "$a" ;;
		*) printf ' %s' "$a" ;;
		esac
	done
	printf '\n'
	# shellcheck disable=SC2086
	"$BUILD"/tools/smpolicy $NONROOT -c "$DEMO"/smpolicy.conf "$@" || printf '(exit %s)\n' "$?"
}

demo() {
	install_deps
	build
	demo_world
	# New Jersey's time zone; the sample is dated around 2026-11-25
	TZ=America/New_York
	export TZ
	AT=2026-11-25T10:00
	cat <<EOF

libsmpolicy demo: the sample office in examples/office (see its README.md),
asked as of $AT New York time.  Every answer below is computed by the
library from the records; exit status 0 = ALLOW, 1 = DENY.
EOF
	run check
	# the compiled cache (the decisions below skip the parse) and the login
	# store (a login reads only its own user's records), here beside the demo
	run compile --store "$DEMO/store"
	run report --at $AT
	printf '\n--- allowed ---\n'
	run decide --at $AT --user jdoe --platform facebook --device ws-essex-0042 --account fb-essex-1 --action login
	run decide --at $AT --user jdoe --platform tumblr --device ws-essex-0042
	run decide --at $AT --user kbrown --platform youtube --device ws-essex-0043 --account yt-essex-1 --action comment --purpose client_communication
	printf '\n--- denied, each with the manual section ---\n'
	run decide --at $AT --user tlee --platform facebook --device ws-essex-0043
	run decide --at $AT --user cnguyen --platform facebook --device ws-hudson-0107
	run decide --at $AT --user dosei --platform twitter --device ws-hudson-0107
	run decide --at $AT --user jdoe --platform facebook --device lt-jdoe-home --account fb-jdoe-personal --action login
	run decide --at $AT --user apatel --platform snapchat --device ph-hudson-0011 --account sc-hudson-1 --action message
	run decide --at $AT --user apatel --platform whatsapp --device ph-hudson-0011 --account wa-hudson-1 --action message
	run decide --at $AT --user jdoe --platform facebook --device ws-essex-0042 --account fb-essex-1 --action post --purpose client_communication --other-means-available
	run decide --at $AT --user jdoe --platform facebook --device ws-essex-0042 --account fb-essex-1 --action like
	printf '\n--- the same as JSON, for scripts ---\n'
	run decide --at $AT --user cnguyen --platform facebook --device ws-hudson-0107 --json
	printf '\n--- the long-term procedure (Procedures A): request, two sign-offs ---\n'
	run request --staff rgarcia --kind long_term --platform youtube --by lom-hudson --on 2026-11-25 --starts 2026-12-10
	# shellcheck disable=SC2086
	id=$("$BUILD"/tools/smpolicy $NONROOT -c "$DEMO"/smpolicy.conf log | awk '/action=request/ {print $5}' | tail -n 1)
	id=${id#id=}
	run sign "$id" --by dir-cpp --on 2026-11-26
	run sign "$id" --by dir-it --on 2026-11-27
	run decide --at 2026-12-10T10:00 --user rgarcia --platform youtube --device ws-hudson-0107
	printf '\n--- a third person in an office at its cap is refused (§C) ---\n'
	run sign LT-2026-031 --by dir-it --on 2026-11-25
	run log
	rm -rf "$DEMO"
}

# The sanitizer and valgrind runs first, then the clock runs, the plain
# suite last, so that the output ends with the plain suite's summary; the
# exit status covers all of them.
run_tests() {
	install_deps
	build
	status=0
	if [ -x "$TOP"/tests/sanitize.sh ]; then
		say "running the suite under the sanitizers and valgrind"
		"$TOP"/tests/sanitize.sh || status=$?
		[ "$status" -eq 0 ] || say "the sanitizer or valgrind runs FAILED (see above)"
	fi
	# the suites that read the clock (unit, cli, pam, edit, ldap, squid;
	# tests/clock.sh says which are left out and why), four times under
	# faketime: 23:59:30 and 00:00:30, in UTC and in New York
	say "running the clock-reading tests at the turn of the day (faketime)"
	if ! "$TOP"/tests/clock.sh "$BUILD"; then
		status=1
		say "the faketime runs FAILED (see above)"
	fi
	# eight tests at once on any machine, so that a test sharing a path,
	# a port or a lock with another fails here rather than some day; in
	# CI the suite runs five times in a row (the four repeats leave out
	# the suite "slow": the statewide worlds, the hostile files and the
	# packages, which share nothing and take most of the time)
	runs=${SMP_TEST_RUNS:-1}
	[ "${CI:-}" = true ] && [ -z "${SMP_TEST_RUNS:-}" ] && runs=5
	i=2
	while [ "$i" -le "$runs" ]; do
		say "running the test suite, but the slow tests (run $i of $runs)"
		meson test -C "$BUILD" --num-processes 8 --no-suite slow --print-errorlogs ||
			{ status=1; say "run $i of $runs FAILED"; }
		i=$((i + 1))
	done
	say "running the test suite"
	meson test -C "$BUILD" --num-processes 8 --print-errorlogs || status=$?
	return "$status"
}

# The packages are built from a copy of the tracked (and new, unignored)
# files, as a fresh clone would build them, never from ./build; the .debs,
# the .changes and the native source land in $DEBS.
DEBS=${DEBS:-$TOP/build-deb}
build_debs() {
	install_deps
	version=$(dpkg-parsechangelog -l "$TOP/debian/changelog" -S Version)
	work=$(mktemp -d /tmp/smpolicy-deb.XXXXXX)
	trap 'rm -rf "$work"' EXIT
	src=$work/libsmpolicy-$version
	mkdir "$src"
	if [ -d "$TOP/.git" ] || [ -f "$TOP/.git" ]; then
		git -C "$TOP" ls-files -z --cached --others --exclude-standard |
			(cd "$TOP" && xargs -0 cp --parents -t "$src" --)
	else
		tar -C "$TOP" --exclude='./build*' -cf - . | tar -C "$src" -xf -
	fi
	say "building the packages of libsmpolicy $version"
	(cd "$src" && dpkg-buildpackage -us -uc --build=full) >"$work/build.log" 2>&1 ||
		{ tail -n 40 "$work/build.log"; die "dpkg-buildpackage failed (log above)"; }
	rm -rf "$DEBS"
	mkdir -p "$DEBS"
	find "$work" -maxdepth 1 -type f -exec mv -t "$DEBS" {} +
	say "lintian"
	lintian --fail-on error,warning "$DEBS"/*.changes ||
		die "lintian reported errors or warnings"
	ls "$DEBS"/*.deb
	rm -rf "$work"
	trap - EXIT
}

case ${1:-} in
demo) demo ;;
test) run_tests ;;
build) install_deps; build ;;
bench) install_deps; exec "$TOP"/bench/run ;;
deb) build_debs ;;
*)
	sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
	;;
esac
