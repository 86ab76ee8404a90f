#!/bin/sh
# own_tmp.sh DIR COMMAND... - run COMMAND (a PAM transaction under
# pam_wrapper) with a /tmp of its own: DIR/tmp.
#
# pam_wrapper copies the PAM service files into a folder of a fixed name,
# /tmp/pam.X.  It picks X by trying lstat, then mkdir, and carries on when
# mkdir fails: two transactions that start together may share one folder,
# read each other's service files and remove it under each other.  So
# COMMAND runs in a mount namespace of its own whose /tmp is DIR/tmp; when
# DIR itself lies below /tmp it is bound back at its own path in there, so
# every path COMMAND was given still works.  The namespace (and with it
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
case $dir in
/tmp/*) below=${dir#/tmp/}; mkdir -p "$dir/tmp/$below" ;;
*) below= ;;
esac

if unshare --mount --propagation private true 2>/dev/null; then
	# shellcheck disable=SC2016 # the inner shell expands them
	exec unshare --mount --propagation private -- /bin/sh -c '
		dir=$1 below=$2
		shift 2
		if [ -n "$below" ]; then
			mount --bind "$dir" "$dir/tmp/$below" || exit 125
		fi
		mount --rbind "$dir/tmp" /tmp || exit 125
		exec "$@"' own_tmp "$dir" "$below" "$@"
fi
exec flock "${TMPDIR:-/tmp}/smpolicy-pam-wrapper.lock" "$@"
