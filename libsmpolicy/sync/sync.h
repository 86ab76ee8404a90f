/*
 * sync.h - shared by the files of sync/: the sync of the directory's local
 * copy (directory.c) and the memo of the signatures it verified
 * (verified.c).  Not installed.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef SMP_SYNC_SYNC_H
#define SMP_SYNC_SYNC_H

#include "policy/policy.h"
#include "records/signatures.h"
#include "sources/directory_sync.h"

/* copy_dir/verified (verified.c): the signatures the last sync found
 * valid, read into m (empty when absent, not root's or damaged), and m
 * written there after a sync (a warning in d if it cannot be). */
struct sig_memo;
void dir_verified_read(const char *copy_dir, unsigned flags, struct sig_memo *m);
smp_status dir_verified_write(const char *copy_dir, const struct sig_memo *m, smp_diags *d);

#endif /* SMP_SYNC_SYNC_H */
