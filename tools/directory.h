/*
 * directory.h - smpolicy sync and smpolicy check --online: the
 * directory's local copy brought up to date, or the directory itself
 * validated (smpolicy-ldap(5)).
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef SMP_TOOLS_DIRECTORY_H
#define SMP_TOOLS_DIRECTORY_H

#include <stdbool.h>
#include <stddef.h>

/* What a sync did, for sync --metrics: set when it succeeded. */
struct sync_outcome {
	bool done;          /* the sync succeeded */
	bool changed;       /* it made a new copy */
	bool incremental;   /* from the changes since the copy's cookie */
	size_t received;    /* entries the directory sent */
};

/* out: what it did.  Exit status: 0 synced or
 * unchanged, 1 the directory
 * holds structural errors (each printed as DN: error: MESSAGE; the copy is
 * kept), 2 usage, a files-sourced config, the directory unreachable or
 * refusing, the copy not writable. */
int cmd_sync(const char *config, unsigned load_flags, struct sync_outcome *out);

/* Exit status as check: 0 valid,
 * 1 invalid (structural or procedural errors, named by DN), 2 cannot read. */
int cmd_check_online(const char *config, unsigned load_flags);

#endif
