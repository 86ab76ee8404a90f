#!/bin/sh
# tests/sanitize.sh - the suite again under the sanitizers and valgrind.
# ./dev.sh test runs it after the normal suite; it runs alone
# too.  Three builds, each in its own folder beside ./build:
#
#  build-sanitize  gcc -fsanitize=address,undefined (-fno-sanitize-recover:
#                  a UB report fails the test), -Dfault_injection=true: the
#                  whole suite, with the fault-injection test under LSan;
#  build-tsan      gcc -fsanitize=thread: the threaded decision tests;
#  build-valgrind  plain -O1 -g: the library's C tests, the fuzz corpus
#                  replays and the CLI regressions with smpolicy run under
#                  valgrind --error-exitcode --leak-check=full.
#
# valgrind multiplies the run time of each smpolicy by ~20: it takes every
# VALGRIND_EVERY-th CLI case and corpus file (default 3; 1 for all, which
# takes some 10 minutes on 2 cores), so the whole script stays near 6
# minutes.  Which ones changes as cases are added.
#
# Exit status: 0 when everything passed, 1 otherwise (it runs every part
# and reports them all).  SANITIZE_PARTS="asan tsan valgrind" picks parts.
set -u

cd "$(dirname "$0")/.."
TOP=$(pwd)
PARTS=${SANITIZE_PARTS:-asan tsan valgrind}
JOBS=$(nproc 2>/dev/null || echo 2)
EVERY=${VALGRIND_EVERY:-3}
status=0

say() { printf '==> sanitize: %s\n' "$*"; }
fail() { printf '==> sanitize: FAILED: %s\n' "$*" >&2; status=1; }

# libconfig 1.5 leaks a token's text on a syntax error (fuzz/lsan.supp)
export LSAN_OPTIONS="suppressions=$TOP/fuzz/lsan.supp:print_suppressions=0"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1"

setup() {   # setup DIR OPTIONS...
	dir=$1
	shift
	if [ ! -f "$dir/build.ninja" ]; then
		CC=${SANITIZE_CC:-gcc} meson setup "$dir" -Dtests=enabled -Dman=disabled "$@" \
			>"$dir.setup.log" 2>&1 || { cat "$dir.setup.log" >&2; return 1; }
	fi
}

asan() {
	say "address + undefined behaviour: the whole suite, fault injection included"
	setup build-sanitize -Db_sanitize=address,undefined -Db_lundef=false \
		-Dfault_injection=true -Dbuildtype=debugoptimized \
		-Dc_args=-fno-sanitize-recover=all || { fail "configure build-sanitize"; return; }
	ninja -C build-sanitize >/dev/null || { fail "build build-sanitize"; return; }
	meson test -C build-sanitize --no-rebuild --print-errorlogs --num-processes "$JOBS" \
		--timeout-multiplier 3 || fail "tests under ASan+UBSan"
}

tsan() {
	say "thread sanitizer: the threaded decision tests"
	setup build-tsan -Db_sanitize=thread -Db_lundef=false -Dbuildtype=debugoptimized \
		|| { fail "configure build-tsan"; return; }
	tests=$(meson test -C build-tsan --list 2>/dev/null | sed -n 's/.* \/ //p' | grep -E '^threads' || true)
	if [ -z "$tests" ]; then
		fail "no threaded test found (tests/unit: threads)"
		return
	fi
	ninja -C build-tsan >/dev/null || { fail "build build-tsan"; return; }
	# shellcheck disable=SC2086
	meson test -C build-tsan --no-rebuild --print-errorlogs --timeout-multiplier 5 $tests \
		|| fail "threads under TSan"
}

valgrind_part() {
	command -v valgrind >/dev/null 2>&1 || { fail "valgrind is not installed"; return; }
	say "valgrind: library C tests, corpus replays, and the CLI regressions"
	setup build-valgrind -Dbuildtype=debug -Dc_args=-O1 || { fail "configure build-valgrind"; return; }
	ninja -C build-valgrind >/dev/null || { fail "build build-valgrind"; return; }
	vg="valgrind -q --error-exitcode=97 --leak-check=full --errors-for-leak-kinds=definite"
	vg="$vg --suppressions=$TOP/fuzz/valgrind.supp --child-silent-after-fork=yes"

	# every test that is one of our C programs (not a script, not pam)
	tests=$(meson introspect build-valgrind --tests | python3 -c '
import json, os, sys
build = os.path.realpath("build-valgrind") + "/"
for t in json.load(sys.stdin):
    cmd = os.path.realpath(t["cmd"][0])
    # our own programs only: not python, not the pam harness; not the 60 MB
    # worlds of hostile, nor edit-commands, whose kill test needs the speed
    # of a process that is not under valgrind (both run under ASan)
    if not cmd.startswith(build) or "pam" in t["suite"] or \
            t["name"] in ("hostile", "faults", "edit-commands"):
        continue
    with open(cmd, "rb") as f:
        if f.read(4) == b"\x7fELF":
            print(t["name"])
')
	# the corpus replays take every VALGRIND_EVERY-th file (all of them
	# run under ASan above)
	# shellcheck disable=SC2086
	REPLAY_SAMPLE=$EVERY meson test -C build-valgrind --no-rebuild --print-errorlogs \
		--num-processes "$JOBS" --timeout-multiplier 20 --wrapper "$vg" $tests \
		|| fail "C tests under valgrind"

	# the command as the CLI regressions run it, each run under valgrind
	wrap=$TOP/build-valgrind/smpolicy-valgrind
	mkdir -p "$TOP/build-valgrind/vg-logs"
	cat >"$wrap" <<EOW
#!/bin/sh
exec $vg --log-file=$TOP/build-valgrind/vg-logs/%p.log $TOP/build-valgrind/tools/smpolicy "\$@"
EOW
	chmod +x "$wrap"
	rm -f "$TOP"/build-valgrind/vg-logs/*.log
	# every VALGRIND_EVERY-th case of tests/cli (all of them run under ASan
	# above), split over the processors
	if [ -f tests/cli/run.py ]; then
		ls -d tests/cli/cases/*/ tests/cli/faults/*/ 2>/dev/null | sed 's:/*$::' \
			| awk -v e="$EVERY" 'NR % e == 0' >build-valgrind/cli-cases.txt
		pids=
		for k in $(seq 0 $((JOBS - 1))); do
			awk -v k="$k" -v n="$JOBS" 'NR % n == k' build-valgrind/cli-cases.txt \
				>"build-valgrind/cli-part-$k.txt"
			# shellcheck disable=SC2046
			python3 tests/cli/run.py --exe "$wrap" $(cat "build-valgrind/cli-part-$k.txt") \
				>"build-valgrind/cli-part-$k.tap" 2>&1 &
			pids="$pids $!"
		done
		k=0
		for p in $pids; do
			wait "$p" || { fail "CLI cases under valgrind (build-valgrind/cli-part-$k.tap)"; \
			               grep '^not ok' "build-valgrind/cli-part-$k.tap" | head -5 >&2; }
			k=$((k + 1))
		done
	fi
	if grep -l 'ERROR SUMMARY: [1-9]\|definitely lost: [1-9]' "$TOP"/build-valgrind/vg-logs/*.log \
		>/dev/null 2>&1; then
		fail "valgrind found errors: $(grep -l 'ERROR SUMMARY: [1-9]' "$TOP"/build-valgrind/vg-logs/*.log | head -3)"
	fi
}

start=$(date +%s)
for part in $PARTS; do
	t0=$(date +%s)
	case $part in
	asan) asan ;;
	tsan) tsan ;;
	valgrind) valgrind_part ;;
	*) fail "unknown part $part" ;;
	esac
	say "$part: $(( $(date +%s) - t0 )) s"
done
say "all parts: $(( $(date +%s) - start )) s, $( [ $status -eq 0 ] && echo passed || echo FAILED)"
exit $status
