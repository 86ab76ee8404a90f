#!/bin/sh
# tests/clock.sh - the tests that read the clock, with the clock at the
# turn of the day (libfaketime).
#
#   tests/clock.sh [BUILD]     BUILD: a built tree (default ./build)
#
# What it proves: those tests pass whatever the hour, whatever the zone,
# and when the date turns while they run.  Each of four runs starts every
# process of the tests (the test programs, smpolicy, the PAM module under
# pamtester and pam_wrapper, slapd, squid and its helper, python) on a clock
# that libfaketime has moved, and lets it tick:
#
#   TZ=UTC               23:59:30 on 31 December   midnight passes during the run
#   TZ=UTC               00:00:30 on 1 January
#   TZ=America/New_York  23:59:30 on 31 December   04:59:30 UTC: UTC's date is
#                                                  already the next day's
#   TZ=America/New_York  00:00:30 on 1 January
#
# The TZ is the runs'; a test that sets its own zone (most do, in their
# meson.build) keeps it and meets the other zone's hour.  The 31st is of
# next year, so that:
#  - the year turns too (ids are numbered per year);
#  - the clock is ahead of the real one: faketime moves the time processes
#    read, not the kernel's, which still dates files by the real clock, and
#    a file just written must not look as if written in the future;
#  - the tests' worlds meet a date a year or two from now, where a world
#    dated by hand instead of from "today" would have lapsed.
#
# Which tests: the suites unit, cli, pam, edit, ldap and squid, whose
# programs read the clock (a decision without --at, the PAM module, the
# record commands' "today", the directory copy's max_offline, the login
# store's racy rule, the squid helper, the claim lease).  Not: hostile,
# fuzz and install, whose decisions all name their instant and which
# otherwise test sizes, bytes and linking; nor ldap-export and ldap-schema
# (no decision at all), nor ldap-sync-genworld, the longest test of the
# suite, which compares decisions at named instants and whose use of the
# clock (the copy's freshness) ldap-sync-offline, -down and -office cover.
# The four runs took 173 s together, where one plain run of the whole
# suite took 97 s (2 cores shared with other work, December 2026; each
# run's time is printed).
#
# Exit status: 0 when every run passed, 1 otherwise (all four always run).
#
# SPDX-License-Identifier: BSD-3-Clause
set -u

cd "$(dirname "$0")/.." || exit 1
BUILD=${1:-build}
status=0

say() { printf '==> clock: %s\n' "$*"; }

command -v faketime >/dev/null 2>&1 || {
	say "FAILED: faketime is not installed (./dev.sh installs it)"
	exit 1
}
[ -f "$BUILD/build.ninja" ] || { say "FAILED: $BUILD is not a build folder"; exit 1; }

year=$(($(date +%Y) + 1))
eve="$year-12-31 23:59:30"
day="$((year + 1))-01-01 00:00:30"

# The tests of the suites above, less the ones left out, by name.
tests=$(meson test -C "$BUILD" --no-rebuild --list 2>/dev/null | awk -F' / ' '
	{ n = split($1, p, ":"); suites = p[n]; name = $2 }
	suites ~ /(^|\+)(hostile|fuzz|install)(\+|$)/ { next }
	name == "ldap-export" || name == "ldap-schema" || name == "ldap-sync-genworld" { next }
	{ print name }')
[ -n "$tests" ] || { say "FAILED: no test listed in $BUILD"; exit 1; }

# faketime must reach a child of a child, as it must reach pamtester
got=$(TZ=UTC faketime "$eve" sh -c 'date +%Y-%m-%dT%H:%M')
case $got in
"$year-12-31T23:5"[9] | "$((year + 1))-01-01T00:0"[0-9]) ;;
*) say "FAILED: libfaketime does not move the clock here (date says $got)"; exit 1 ;;
esac

start=$(date +%s)
for run in "UTC|$eve|utc-eve" "UTC|$day|utc-day" \
	"America/New_York|$eve|new-york-eve" "America/New_York|$day|new-york-day"; do
	zone=${run%%|*}
	rest=${run#*|}
	when=${rest%%|*}
	tag=${rest#*|}
	t0=$(date +%s)
	say "TZ=$zone, the clock from $when"
	# shellcheck disable=SC2086
	if ! TZ=$zone faketime "$when" meson test -C "$BUILD" --no-rebuild --print-errorlogs \
		--logbase "clock-$tag" $tests; then
		say "FAILED: TZ=$zone from $when (log: $BUILD/meson-logs/clock-$tag.txt)"
		status=1
	fi
	say "TZ=$zone from $when: $(($(date +%s) - t0)) s"
done
say "four runs: $(($(date +%s) - start)) s, $([ $status -eq 0 ] && echo passed || echo FAILED)"
exit $status
