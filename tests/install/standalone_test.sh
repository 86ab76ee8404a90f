#!/bin/sh
# standalone_test.sh SOURCE_DIR - the repository stands on its own: no file
# of it (README, docs/, the man pages, a comment, a test) points at papers
# outside it.  What the code relies on is written in its own man pages and
# docs; the manual is cited by its title, number and effective date.
# And its comments say why the code is as it is, not what it was: the
# common spellings of history are refused outside the files whose subject
# is history (docs/PERFORMANCE.md's history of measurements, the Debian
# changelog).
#
# The patterns are spelled with brackets so that this file does not match
# itself.  The fuzz corpus is data, not text.
set -u
src=$1
cd "$src" || exit 1

# the tracked files of a clone; every file but the build folders otherwise
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	search() { git grep -n -I "$@" -- . ':!fuzz/corpus'; }
else
	search() { grep -rn -I --exclude-dir='build*' --exclude-dir=.git --exclude-dir=corpus "$@" .; }
fi

# the working papers, and the tracker's issue numbers (history, not why)
found=$(search -e '[.][.]/shared' -e 'DESIGN[.]md' -e 'DESIGN[ ]§' -e '/work[/]shared' \
	-e '[Ii]ssues\{0,1\}[ ]#\{0,1\}[0-9]')
if [ -n "$found" ]; then
	echo "not ok - pointers outside the repository:"
	echo "$found"
	exit 1
fi
echo "ok - nothing points outside the repository"

# history: what a version that is gone did, cost or was called
found=$(search -e '[Pp]reviously[ ,]' -e '[Bb]efore this change' -e '[Uu]sed to be[ ]' \
	-e '\(was\|were\|took\) [~]\{0,1\}[0-9][0-9,.]*[kKM]\{0,1\} instructions' \
	-e '[Ii]n \(an\|the\) \(earlier\|older\|previous\|old\) version' \
	-e '[Ss]ession [0-9]' -e '[Ss]ession [A-Z][0-9]' -e '/work[/][a-z]' |
	grep -v -e '^docs/PERFORMANCE[.]md:' -e '^debian/changelog:' -e '^[.]/docs/PERFORMANCE[.]md:' \
		-e '^[.]/debian/changelog:')
if [ -n "$found" ]; then
	echo "not ok - history where the reason belongs (say why the code is so, not what it was):"
	echo "$found"
	exit 1
fi
echo "ok - no history in the comments"
