/*
 * edit_ldap.h - shared by the two halves of the record commands on the
 * directory: edit_ldap.c (bind, read, check in the files' rendering, the
 * difference) and edit_ldap_write.c (the writes: the office's claim, the
 * change, the audit entry).  Private to them.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef SMP_EDIT_LDAP_H
#define SMP_EDIT_LDAP_H

#include "edit_internal.h"
#include "sources/directory_sync.h"

/* How long an office's claim (smpIntent) holds before another sign-off
 * may break it: a sign-off writes its approval within milliseconds of
 * claiming; a claim this old is a killed or stalled command's. */
#define OFFICE_CLAIM_LEASE 3
/* How far ahead of this host's clock a claim may be dated and still hold:
 * the clocks of two signing machines differ by a few seconds under NTP; a
 * minute is generous, and a claim dated further ahead (a clock set wrong,
 * or a forged value) is broken at once instead of locking the office. */
#define OFFICE_CLAIM_SKEW 60
#define LDAP_INTENT_ATTR "smpIntent"
#define LDAP_FENCE_ATTR "smpFence"

/* One command, across its attempts. */
struct run {
	const struct dir_edit *e;
	unsigned flags;
	struct ldap_settings s;
	smp_diags *d;              /* what the caller is told */
	struct dir_conn c;
	char *bind_dn;
	/* one attempt's */
	smp_diags *ad;             /* its diagnostics: only the last attempt's are told */
	char *temp;                /* the private folder of the files world */
	char *csn;                 /* the record's entryCSN (NULL for a request) */
	char *staff, *office_dn;   /* a sign-off's person and office */
	char *revision, *intent;   /* that office's smpRevision and smpIntent, or NULL */
	char *line;                /* the files' audit line of the change */
	char *new_id;
};

/* The change of one record as LDAP modifications. */
struct change {
	LDAPMod *mods[24];
	LDAPMod mod[24];
	size_t n;
	bool add;
	char names[256];           /* the attributes written, for messages */
};

char *child_dn(const char *type, const char *value, const char *parent);
char *container_dn(const struct run *r, const char *container);
bool unreachable(int lrc);
smp_status say_unreachable(struct run *r, int lrc);
smp_status read_entry(struct run *r, const char *dn, const char *const *attrs, char **out,
                      bool *found);

/* An office's claim older than its lease: fence the approval it was for
 * and clear it.  The caller starts again (*conflict) either way. */
smp_status dl_break_claim(struct run *r, bool *conflict);
/* Write the change (a sign-off: under a claim of its office), then the
 * audit entry.  *conflict: another command got there first; read again. */
smp_status dl_commit(struct run *r, struct change *ch, const char *record_dn, bool *conflict);
/* An audit entry of its own, for a refusal. */
void dl_audit_alone(struct run *r, const char *line);
/* A line like the files' for a refusal that came from the directory. */
char *dl_refusal_line(const struct run *r, const char *why);

#endif /* SMP_EDIT_LDAP_H */
