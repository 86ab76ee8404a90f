#!/bin/sh
# own_tmp.sh DIR COMMAND... - run COMMAND (a PAM transaction under
# pam_wrapper) with a /tmp of its own: DIR/tmp.
#
# pam_wrapper copies the PAM service files into a folder of a fixed name,
# /tmp/pam.X.  It picks X by trying lstat, then mkdir, and carries on when
# mkdir fails: two transactions that start together may share one folder,
# read each other's service files and remove it under each other.  So
# COMMAND runs in a mount namespace of its own whose /tmp is DIR/tmp; the
# folders of /tmp that COMMAND names (DIR itself, a source or build tree
# cloned there) are bound back at their own paths in there, so every path
# COMMAND was given still works.  The namespace (and with it
# pam_wrapper's folder) goes away with COMMAND.
#
# Where mount namespaces are forbidden (a container without CAP_SYS_ADMIN),
# COMMAND instead takes turns, on a lock in $TMPDIR (or /tmp), with every
# other COMMAND run through this script: that keeps the tests apart,
# though not from other users of pam_wrapper.
#
# The exit status is COMMAND's (125 when the namespace cannot be set up).
#
# SPDX-License-Identifier: BSD-3-Clause
set -eu

[ $# -ge 2 ] || { echo "usage: own_tmp.sh DIR COMMAND..." >&2; exit 2; }
dir=$1
shift
case $dir in
/*) ;;
*) echo "own_tmp.sh: DIR must be absolute: $dir" >&2; exit 2 ;;
esac

mkdir -p "$dir/tmp"
chmod 1777 "$dir/tmp"

# What COMMAND must still find below /tmp: DIR, and the source and build
# trees when they lie there (a clone in /tmp: the module, the service
# files' paths, the preloads), named by this script's folder, the working
# folder, the arguments and the environment.  Each such top folder of /tmp
# is bound back at its own path; pam_wrapper's pam.X never is.
keep=$(
	{
		printf '%s\n' "$dir" "$(cd "$(dirname "$0")" && pwd -P)" "$(pwd -P)" "$@"
		env
	} | tr ':= ' '\n\n\n' | sed -n 's:^/tmp/\([^/][^/]*\).*:\1:p' | sort -u |
		grep -v '^pam\.' || true
)

if unshare --mount --propagation private true 2>/dev/null; then
	# shellcheck disable=SC2016 # the inner shell expands them
	exec unshare --mount --propagation private -- /bin/sh -c '
		dir=$1 keep=$2
		shift 2
		for top in $keep; do
			[ -d "/tmp/$top" ] || continue
			mkdir -p "$dir/tmp/$top" && mount --bind "/tmp/$top" "$dir/tmp/$top" || exit 125
		done
		mount --rbind "$dir/tmp" /tmp || exit 125
		exec "$@"' own_tmp "$dir" "$keep" "$@"
fi
exec flock "${TMPDIR:-/tmp}/smpolicy-pam-wrapper.lock" "$@"
