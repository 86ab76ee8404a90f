#!/bin/sh
# abi_check.sh [--write] LIBRARY BASELINE HEADERS_DIR [SANITIZE]
#
# The interface of the library as built (abidw: its exported functions and
# every type they reach, as the headers of HEADERS_DIR declare them, with
# the layout of every struct the caller sees) against the committed
# description BASELINE: any difference, an added function as much as a
# changed struct, fails and abidiff's report says what changed.  --write
# writes BASELINE from LIBRARY instead: for a change of the interface that
# is meant (the symbol version in libsmpolicy.map goes with it).
#
# Skipped (exit 77) without abigail-tools, under the sanitizers (SANITIZE
# not "none": the baseline describes the plain build), or when abidw
# cannot read the library.
set -u
write=false
if [ "${1-}" = "--write" ]; then
	write=true
	shift
fi
lib=$1
base=$2
headers=$3
sanitize=${4-none}

if ! command -v abidw >/dev/null 2>&1 || ! command -v abidiff >/dev/null 2>&1; then
	echo "SKIP: abigail-tools (abidw, abidiff) is not installed"
	exit 77
fi
if [ "$sanitize" != "none" ] && ! $write; then
	echo "SKIP: a build with -Db_sanitize=$sanitize; the baseline describes the plain build"
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# no paths, no source locations, no DT_NEEDED, ids from the types
# themselves: the description changes only when the interface does
if ! abidw --no-corpus-path --no-show-locs --no-comp-dir-path --no-elf-needed \
	--drop-undefined-syms --drop-private-types --type-id-style hash \
	--headers-dir "$headers" "$lib" >"$tmp/built.abi" 2>"$tmp/err"; then
	echo "SKIP: abidw cannot read $lib:"
	cat "$tmp/err"
	exit 77
fi
if $write; then
	cp "$tmp/built.abi" "$base"
	echo "wrote $base"
	exit 0
fi
if abidiff "$base" "$tmp/built.abi" >"$tmp/diff" 2>&1; then
	echo "ok: the interface of $lib is the one described in $base"
	exit 0
fi
cat "$tmp/diff"
cat <<MSG
not ok: the interface of the library differs from $base (above: abidiff,
old = the baseline, new = this build).  If the change is meant, bump the
symbol version in libsmpolicy/libsmpolicy.map (and debian/libsmpolicy1.symbols)
when it breaks callers, then write the baseline again:
    meson compile -C BUILD abi-baseline
and commit libsmpolicy/libsmpolicy.abi with the change.
MSG
exit 1
