/*
 * txn.h - one record command as a transaction (edit.c), shared with the
 * procedures that run inside one (procedures.c).  Private to edit/.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef SMP_EDIT_TXN_H
#define SMP_EDIT_TXN_H

#include "edit_internal.h"

#include <sys/stat.h>

#define TIME_TEXT 40

/* One record command from lock to audit line. */
struct txn {
	const char *config;
	unsigned flags;
	smp_diags *d;              /* what the caller is told */
	smp_policy *base;          /* the records as they are, read under the lock */
	smp_diags *faults;         /* smp_policy_check(base) */
	int *locks;
	size_t nlocks;
	int audit_fd;
	char user[64];             /* the invoking login */
	struct audit_entry audit;
	char detail[512];
	const char *target;        /* the records file changed (owned by base) */
	char *text;                /* its bytes, read under the lock */
	struct stat target_st;
	struct ebuf out;           /* its new bytes */
	struct replacement tmp;    /* the new text's temporary file */
	size_t summary;            /* index of a summary diagnostic, or SIZE_MAX */
};

/* Add an error to t's diagnostics; the value is rc. */
#define FAIL(t, rc, file, line, subj, ...) \
	(diags_add((t)->d, (file), (line), SMP_SEV_ERROR, (subj), __VA_ARGS__), (rc))

/* ---- the transaction (edit.c) ---------------------------------------- */

smp_status txn_init(struct txn *t, const char *config, unsigned flags, const char *action);
/* Lock, load under the lock, open the audit log, check. */
smp_status txn_begin(struct txn *t);
/* Read the records file path (one of base's) as the target of the change. */
smp_status read_target(struct txn *t, const char *path);
/* Set `path` in the entry `id` of list `list` of the file `file`. */
smp_status edit_entry(struct txn *t, const char *file, const char *list, const char *id,
                      const char *const *path, const char *value);
/* A fault of the text editor (why: malloc'd, freed here) as rc. */
smp_status text_error(struct txn *t, smp_status rc, char *why);
/* Write, judge, put the new records in place, and compile them. */
smp_status commit(struct txn *t);
/* Audit, clean up, unlock, and hand the diagnostics over. */
smp_status txn_end(struct txn *t, smp_status rc, smp_diags **diags);

/* ---- times ------------------------------------------------------------- */

/*
 * The text written into the records for time `in` (NULL: now): a date
 * alone as given, anything else as local time with its offset.  *when gets
 * the moment read with `edge`, as the loader will read the text.
 */
smp_status time_text(struct txn *t, const char *what, const char *in, smp_time_edge edge,
                     char out[TIME_TEXT], int64_t *when);
/* Today's date, local time. */
void today(const struct tz *tz, char out[TIME_TEXT], int64_t *when);

/* ---- looking things up in the records read under the lock ------------- */

const struct staff *find_staff(const smp_policy *p, const char *id);
const char *office_id(const smp_policy *p, const struct staff *s);
/* The refusal of a staff id that is not in the records. */
/* "; did you mean 'X'?" (in buf) for an id of that kind not in p, else "". */
const char *did_you_mean(const smp_policy *p, smp_id_kind kind, const char *id, char *buf,
                         size_t n);
smp_status refuse_unknown_staff(struct txn *t, const char *what, const char *id);
/* Approval id of base, or NULL with the refusal in t's diagnostics. */
const struct approval *find_approval(struct txn *t, const char *id);

/* ---- signatures (edit_sign.c) ----------------------------------------- */

struct approval;
enum sig_slot;
/* The signature (base64, malloc'd into *sig) of act slot of a, by `by` at
 * on, with key; its faults into t's diagnostics. */
smp_status edit_signature(struct txn *t, const struct approval *a, enum sig_slot slot,
                          const char *by, int64_t on, const char *reason,
                          const struct smp_signing *key, char **sig);

#endif /* SMP_EDIT_TXN_H */
