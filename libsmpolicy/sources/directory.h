/*
 * directory.h - the LDAP directory as the source of the records (smpolicy-ldap(5)),
 * its settings and the state of its local copy: shared by the directory's
 * reader (sources/), the sync (sync/directory.c), the LDIF export
 * (sync/ldif.c), the loader of the local copy (policy/policy.c) and the
 * directory's writer (edit/).  Not installed.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef SMP_DIRECTORY_H
#define SMP_DIRECTORY_H

#include "sources/file_secure.h"

/* ---- the mapping of smpolicy.conf(5)'s keys to attributes ---------- */

enum ldap_vtype {
	LV_STR,      /* one string */
	LV_BOOL,     /* TRUE / FALSE (LDAP Boolean syntax) <-> true / false */
	LV_INT,      /* an integer */
	LV_STRLIST,  /* a multi-valued attribute <-> an array of strings */
	LV_TIME      /* a time in the text forms of smpolicy.conf(5), kept as written */
};

/* One key of a record: "expires", or in a group "approved_cpp.by". */
struct ldap_attr {
	const char *key;       /* the key in the files, "group.key" for a group's */
	const char *attr;      /* the attribute: "smp" + the key in CamelCase */
	enum ldap_vtype type;
};

/* One kind of record: a list of the files, a container of the directory. */
struct ldap_kind {
	const char *list;      /* "approvals": the list in the files */
	const char *file;      /* "settings" (smpolicy.conf) or "records" */
	const char *container; /* "ou=approvals": under the base DN */
	const char *rdn;       /* "cn" ("uid" for staff): its value is the id */
	const char *oc;        /* "smpPolicyApproval" */
	const struct ldap_attr *attrs;   /* ends with a NULL key; id not included */
};

/* The kinds in the order a world is written (platforms and offices first,
 * approvals last, so that every reference points back); ends with NULL
 * list. */
extern const struct ldap_kind ldap_kinds[];

/* The settings entry, "cn=settings" under the base DN, object class
 * smpPolicySettings: the keys of settings = { ... } that the directory
 * carries (records and audit are local matters). */
extern const struct ldap_attr ldap_settings_attrs[];
#define LDAP_SETTINGS_RDN "cn=settings"
#define LDAP_SETTINGS_OC "smpPolicySettings"

/* Beside the records: smpRevision and smpIntent of an office,
 * smpFence of an approval, and the audit
 * entries, cn=<UTC time>-<random> of class smpAuditRecord in ou=audit. */
extern const struct ldap_attr ldap_office_revision_attrs[];
extern const struct ldap_attr ldap_approval_fence_attrs[];
extern const struct ldap_attr ldap_audit_attrs[];
#define LDAP_REVISION_ATTR "smpRevision"
#define LDAP_AUDIT_CONTAINER "ou=audit"
#define LDAP_AUDIT_OC "smpAuditRecord"

/* ---- smpolicy.conf with settings.source = "ldap" ---------------------- */

struct ldap_settings {
	char *uri;                 /* one ldaps://, ldap:// (StartTLS) or ldapi:// */
	char *base;                /* the base DN: ou=smpolicy,dc=example,dc=org */
	char *bind_dn;             /* NULL: anonymous */
	char *bind_password_file;  /* absolute; NULL with no bind_dn */
	char *ca_file;             /* absolute; NULL: the system's CAs (and no
	                              StartTLS over ldapi://) */
	int timeout;               /* seconds for connecting and for each operation */
	int64_t max_offline;       /* seconds since the last good sync */
	char *copy_dir;            /* absolute: the local copy (default /var/lib/smpolicy) */
	char *write_uri;           /* the one provider the record commands write to
	                              (several providers: docs/SEMANTICS.md); NULL: uri */
	char *config_path;         /* absolute: the settings file they came from */
	char *audit;               /* absolute: the settings' audit, or NULL */
	bool require_signatures;   /* local: default true, never the directory's */
	char *signers;             /* absolute: the local signers.conf */
};

#define SMP_DEFAULT_COPY_DIR "/var/lib/smpolicy"
#define SMP_DEFAULT_LDAP_TIMEOUT 10
#define SMP_DEFAULT_MAX_OFFLINE (7 * 86400)

/*
 * Read config_path (checked like any settings file).  On SMP_OK *is_ldap
 * says whether settings.source is "ldap"; when it is, *out holds the
 * ldap = { ... } group (free with ldap_settings_free).  Structural errors
 * of the settings file are SMP_ERR_PARSE with FILE:LINE diagnostics in d.
 * When it is not "ldap" and files is not NULL, *files is the file as
 * parsed (its path NULL; free with source_drop), for the records loader
 * to take instead of parsing it again.
 */
struct source;
smp_status ldap_settings_read(const char *config_path, unsigned flags, bool *is_ldap,
                              struct ldap_settings *out, struct source **files,
                              smp_diags *d);
void ldap_settings_free(struct ldap_settings *s);

/* Is uri exactly one server, ldap://, ldaps:// or ldapi:// + host[:port]
 * and at most a "/" (no list libldap would fail over along, no DN or
 * extensions)?  The settings reader refuses any other; dir_open() asks
 * again before it connects. */
bool ldap_uri_single(const char *uri);

/* ---- the local copy ---------------------------------------------------- */

/*
 * The local copy lives in copy_dir (root-owned, checked like the records):
 *
 *   copy_dir/state             which copy is current, and when it was synced
 *   copy_dir/copy-<N>/smpolicy.conf, records.conf
 *                              the directory rendered in the grammar of
 *                              smpolicy.conf(5): a files world, loaded (and
 *                              compiled into a cache beside it) as any other
 *   copy_dir/copy-<N>/entries  the entries as the directory sent them, by
 *                              entryUUID, and the sync cookie they stand for
 *                              (directory_saved.c): what the next sync
 *                              applies the changes to
 *   copy_dir/sync.lock         held by a sync while it writes
 *
 * The state file, libconfig, replaced atomically (temp, fsync, rename,
 * fsync of the folder) after the copy it names is whole on disk:
 *
 *   version = 1;
 *   copy = "copy-7";                        # a folder of copy_dir
 *   synced = "2026-12-04T14:15:00Z";        # the last good sync, UTC
 *   uri = "ldap://ldap.example.org";        # where from
 *   base = "ou=smpolicy,dc=example,dc=org";
 *   context_csn = "20261204141500.123456Z#000000#000#000000";  # "" if none
 *   void_records = 0;                       # entries the copy holds void
 *
 * A sync that finds the directory unchanged (the same context_csn) only
 * replaces the state with a new `synced`.
 */
#define LDAP_STATE_FILE "state"
#define LDAP_SYNC_LOCK "sync.lock"

struct ldap_state {
	char *copy;                /* absolute path of the copy's smpolicy.conf */
	int64_t synced;
	size_t void_records;       /* of the copy: its void records (0 if unsaid) */
	char *uri, *base, *context_csn;
};

/* Read copy_dir's state: SMP_OK, SMP_ERR_NOTFOUND (never synced),
 * SMP_ERR_INSECURE, SMP_ERR_IO, SMP_ERR_PARSE (with d saying why). */
smp_status ldap_state_read(const char *copy_dir, unsigned flags, struct ldap_state *out,
                           smp_diags *d);
void ldap_state_free(struct ldap_state *s);

/*
 * copy_dir/last-attempt: what the last sync that could write copy_dir
 * made of it, success or failure, so that `smpolicy status` can tell a
 * sync that keeps failing from one that has not run.  Replaced
 * atomically like the state, by every sync (not by check --online):
 *
 *   version = 1;
 *   attempted = "2026-12-04T14:15:00Z";   # when it first asked, UTC
 *   ok = false;
 *   uri = "ldaps://ldap.example.org";
 *   error = "ldaps://...: Can't contact LDAP server";   # "" when ok
 *   records = 0;            # what this attempt read, when ok
 *   success_records = 412;  # of the last good sync, carried over; -1 unknown
 */
#define LDAP_ATTEMPT_FILE "last-attempt"

struct ldap_attempt {
	int64_t attempted;
	bool ok;
	char *uri, *error;
	long long records, success_records;
};

/* Read copy_dir's last attempt: SMP_OK, SMP_ERR_NOTFOUND (none recorded),
 * or the errors of ldap_state_read(). */
smp_status ldap_attempt_read(const char *copy_dir, unsigned flags, struct ldap_attempt *out,
                             smp_diags *d);
void ldap_attempt_free(struct ldap_attempt *a);
/* Record an attempt into copy_dir (sync_status.c). */
smp_status ldap_attempt_write(const char *copy_dir, const struct ldap_attempt *a);

/* The mode and group the local copy, its state, the compiled cache and
 * the login store are written with: readable by root and the group
 * SMP_PRIVATE_GROUP when it exists (gid 0 otherwise), by nobody else.
 * private_gid() is that group's id, looked up on each call. */
#define SMP_PRIVATE_GROUP "_smpolicy"
#define SMP_PRIVATE_FILE_MODE 0640
#define SMP_PRIVATE_DIR_MODE 0750
gid_t private_gid(void);
/* fchown to root:private_gid() (when root; the caller's ids otherwise
 * stay) and fchmod to mode: false with errno on failure. */
bool make_private(int fd, mode_t mode);
/* t as the state files write a moment: "YYYY-MM-DDTHH:MM:SSZ", in UTC,
 * into buf (n >= 21). */
void state_time(int64_t t, char *buf, size_t n);

/* Replace DIR/NAME by the len bytes of data as every file of the local
 * copy is replaced (replace_whole(), base/replace.c): a private temporary
 * file DIR/PREFIXXXXXXX written, fsynced, renamed over NAME, then DIR
 * fsynced (a failure of that too), so that a crash leaves the old file or
 * the new, whole.  SMP_OK, SMP_ERR_NOMEM, or SMP_ERR_IO with
 * errno set (the temporary file removed).  *path (when not NULL) receives
 * DIR/NAME, to free(), for the caller's message, also on failure. */
smp_status private_replace(const char *dir, const char *name, const char *prefix,
                           const void *data, size_t len, char **path);

/* A new folder (mkdtemp) parent/prefixXXXXXX, parent NULL meaning $TMPDIR
 * (when absolute) or /tmp; mode 0700, or mode when not 0.  *out is
 * malloc'd.  SMP_OK, SMP_ERR_IO (d says why), SMP_ERR_NOMEM. */
smp_status dir_temp_folder(const char *parent, const char *prefix, mode_t mode, char **out,
                           smp_diags *d);

/* Is the copy of st recent enough to decide from at now (within
 * ls->max_offline of the last good sync, and not dated ahead of the
 * clock)?  ldap_settings.c, for the loader (policy.c) and the login
 * store (store_read.c). */
/* How far ahead of this host's clock a sync may say it was made before
 * the copy is distrusted (a clock set back would otherwise keep a copy
 * "fresh" for as long as it was set back). */
#define SYNC_CLOCK_SKEW 300
bool directory_synced_lately(const struct ldap_settings *ls, const struct ldap_state *st,
                             int64_t now);

#endif /* SMP_DIRECTORY_H */
