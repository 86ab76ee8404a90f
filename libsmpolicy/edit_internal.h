/*
 * edit_internal.h - shared by the record commands' files (edit.c,
 * edit_text.c, edit_audit.c) and their tests.  Not installed.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef SMP_EDIT_INTERNAL_H
#define SMP_EDIT_INTERNAL_H

#include "policy/policy.h"
#include "base/text.h"
#include "sources/source.h"

#include <stdbool.h>
#include <stddef.h>

/* ---- libconfig text (edit_text.c) ------------------------------------- */

/* A byte range [from, to) of a text. */
struct span {
	size_t from, to;
};

/*
 * The group of the entry whose id is `id` in the top-level list `list` of
 * text (one records file, NUL-terminated).  *entry receives the span from
 * '{' to '}' inclusive.  The entry is found with libconfig (which reads the
 * ids) and located in the text by a lexical scan; the two must agree on
 * its line, or the function fails.  Returns SMP_OK, SMP_ERR_NOTFOUND (no
 * such list or entry), SMP_ERR_PARSE (the text is not what libconfig
 * reads; *why says where), SMP_ERR_NOMEM.
 */
smp_status text_find_entry(const char *text, const char *list, const char *id,
                           struct span *entry, char **why);

/* Does text have a top-level setting `name`?  (Lexical, no libconfig.) */
bool text_has_setting(const char *text, const char *name);

/*
 * Write into out the text with setting `path` (names, NULL-terminated,
 * nested groups from the entry group `group` down) set to `value`
 * (libconfig syntax, e.g. a quoted string or "{ by = ...; }"): its value
 * replaced if the setting exists, else the missing settings inserted after
 * the last setting of the innermost existing group.  Everything else is
 * copied byte for byte.  Returns SMP_OK, SMP_ERR_PARSE (why set),
 * SMP_ERR_NOMEM.
 */
smp_status text_set(const char *text, struct span group, const char *const *path,
                    const char *value, struct ebuf *out, char **why);

/*
 * Write into out the text with `entry` (a group in libconfig syntax, its
 * lines separated by '\n' and not indented) appended as the last element
 * of the top-level list `list`; the list is created at the end of the text
 * if there is none.  The first line is indented like the list's other
 * entries, the following lines two spaces more.  Returns as text_set.
 */
smp_status text_append_entry(const char *text, const char *list, const char *entry,
                             struct ebuf *out, char **why);

/* ---- the audit log (edit_audit.c) ------------------------------------- */

/* One audit line's fields.  Any may be NULL (left out). */
struct audit_entry {
	int64_t when;
	const char *user;      /* the invoking login */
	const char *by;        /* who acted, in the manual's sense */
	const char *action;    /* request, sign, revoke, account */
	const char *id;        /* approval or account */
	const char *result;    /* ok, refused */
	const char *detail;
};

/* Open (create 0640) the audit log for appending; -1 with errno set. */
int audit_log_open(const char *path);
/* Append the line of e to b, without its newline. */
void audit_format(struct ebuf *b, const struct audit_entry *e);
/* Hand d over to *diags when it says anything (else free it); rc, or
 * SMP_ERR_NOMEM when a diagnostic was lost. */
smp_status give_diags(smp_diags *d, smp_status rc, smp_diags **diags);
/* smp_audit_read() of records files (fn not NULL, *diags NULL). */
smp_status audit_read_files(const char *config, unsigned flags, const int64_t *since,
                            smp_audit_fn fn, void *ctx, smp_diags **diags);
/* Append one line with a single write(2); false on failure (errno set). */
bool audit_write(int fd, const struct audit_entry *e);
/* Append v to b as one audit field value: bare when made of safe bytes,
 * else quoted with C escapes, so a line is always one line. */
void audit_quote(struct ebuf *b, const char *v);

/* ---- records in the directory (edit_ldap.c, edit_ldap_cmds.c) ------------ */

/* One record command against the directory (settings.source = "ldap"). */
struct dir_edit {
	const char *action;        /* request, sign, revoke, account */
	const char *by;            /* binds as uid=by,ou=staff,<base> */
	const char *password;      /* by's; the library never prompts */
	const char *list;          /* "approvals" or "accounts" */
	const char *id;            /* the record changed; NULL: a request adds one */
	bool sign;                 /* a sign-off: raise its office's revision with it */
	/* The change made to the files world of conf, a private rendering of
	 * the directory: the files' own writer (files_*) with every check. */
	smp_status (*apply)(const struct dir_edit *e, const char *conf, unsigned flags,
	                    char **new_id, smp_diags **d);
	void *args;                /* apply's */
};

/* The source the settings file names (sources/source.c) into *src, read
 * once for the command, and its kind; SOURCE_FILES when the file cannot
 * be read (the files' writer then reports why).  *src is to be freed with
 * source_free().  edit_source.c. */
enum source_kind edit_source(const char *config, unsigned flags, struct smp_source *src);

/*
 * Bind as e->by, read the directory, make the change in its files
 * rendering (refusing what the files refuse), and write the difference
 * and its audit entry (edit_ldap_write.c); start again when another
 * command committed first.  *new_id as smp_edit_request's.  Returns the
 * statuses of smp_edit_*, and SMP_ERR_DIRECTORY (unreachable, wrong
 * password, a server's error), SMP_ERR_REFUSED also when slapd's access
 * rules refuse the write.
 */
smp_status dir_edit_run(const struct ldap_settings *s, unsigned flags, const struct dir_edit *e,
                        char **new_id, smp_diags **diags);

/* The files' writer (procedures.c): smpolicy.h's _as and _with functions
 * on records in files, the password unused. */
smp_status files_request(const char *config, unsigned flags, const struct smp_edit_request *req,
                         const char *password, char **new_id, smp_diags **diags);
smp_status files_sign(const char *config, unsigned flags, const char *id, const char *by,
                      const char *on, const char *password, const struct smp_signing *key,
                      smp_sign_off_kind *recorded, bool *complete, smp_diags **diags);
smp_status files_revoke(const char *config, unsigned flags, const char *id, const char *by,
                        const char *reason, const char *on, const char *password,
                        const struct smp_signing *key, smp_diags **diags);
smp_status files_account(const char *config, unsigned flags, const char *id,
                         smp_account_event event, const char *on, const char *by,
                         const char *password, smp_diags **diags);

/* The directory's writer (edit_ldap_cmds.c): the same on the directory
 * that src (SOURCE_LDAP, read once by the caller) names; config is the
 * settings file's path as the caller gave it, for messages. */
smp_status dir_request(const struct smp_source *src, const char *config, unsigned flags,
                       const struct smp_edit_request *req, const char *password,
                       char **new_id, smp_diags **diags);
smp_status dir_sign(const struct smp_source *src, const char *config, unsigned flags,
                    const char *id, const char *by, const char *on, const char *password,
                    const struct smp_signing *key, smp_sign_off_kind *recorded, bool *complete,
                    smp_diags **diags);
smp_status dir_revoke(const struct smp_source *src, const char *config, unsigned flags,
                      const char *id, const char *by, const char *reason, const char *on,
                      const char *password, const struct smp_signing *key, smp_diags **diags);
smp_status dir_account(const struct smp_source *src, const char *config, unsigned flags,
                       const char *id, smp_account_event event, const char *on,
                       const char *by, const char *password, smp_diags **diags);

/* The audit entries of the directory, oldest first (smp_audit_read). */
smp_status dir_audit_read(const struct smp_source *src, const char *config, unsigned flags,
                          const int64_t *since, smp_audit_fn fn, void *ctx, smp_diags **diags);

#endif /* SMP_EDIT_INTERNAL_H */
