/*
 * smpolicy.h - the one public header of libsmpolicy
 *
 * libsmpolicy enforces NJ DCF CP&P Manual IX-H-2-100 ("Use of Social Media
 * for Official Purposes"): it loads the settings file and the approval,
 * staff, device and account records (libconfig syntax), validates them and
 * decides requests into ALLOW or DENY with every failed rule.
 *
 * Conventions, for every function below:
 *  - Nothing here prints, exits, aborts, calls setlocale() or tzset() on the
 *    caller's behalf, or keeps global state.  Local times are converted
 *    with the process's zone (localtime_r), exactly as the caller has it
 *    set (a caller that changes TZ while it runs calls tzset() itself).
 *  - Errors are values: an smp_status, plus, where a file is involved, a
 *    list of diagnostics (smp_diags) naming FILE:LINE.
 *  - Every object handed to the caller has a matching _free function that
 *    accepts NULL.  Strings returned as "const char *" are owned by the
 *    object they came from and live as long as it does; strings returned
 *    as "char *" are the caller's, freed with smp_free().
 *  - Every function that takes `unsigned flags` accepts only the bits of its
 *    own set, named at the function (SMP_LOAD_FLAGS, SMP_WRITE_FLAGS,
 *    SMP_EDIT_FLAGS, SMP_EXPORT_FLAGS, SMP_SYNC_FLAGS; SMP_NO_FLAGS: none
 *    yet): any other bit is SMP_ERR_ARG, so that a flag added later is
 *    never silently ignored by an older library.
 *  - Every struct the caller allocates and hands over begins with
 *    `size_t size`, set by the caller to sizeof the struct it was built
 *    with (smp_request_init() and smp_edit_request_init() do it; for the
 *    structs the library fills: `struct smp_office_info o = { .size =
 *    sizeof o };`).  A size the library does not know, larger or smaller,
 *    is SMP_ERR_ARG: fields are only ever added at the end, with a new
 *    size the library then knows besides the old ones.
 *  - A loaded smp_policy is immutable: any number of threads may call the
 *    const functions on one policy at once without locking.
 *  - Times are seconds since the Epoch (int64_t, UTC based).
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef SMPOLICY_H
#define SMPOLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SMP_DEFAULT_CONFIG "/etc/smpolicy/smpolicy.conf"
/* The folder of the login store (smp_policy_load_for): a cache, rebuilt
 * from the records by smp_policy_store_write. */
#define SMP_DEFAULT_STORE_DIR "/var/cache/smpolicy"

/* ---- status and diagnostics ------------------------------------------ */

typedef enum smp_status {
	SMP_OK = 0,
	SMP_ERR_NOMEM,     /* out of memory */
	SMP_ERR_ARG,       /* bad argument (NULL where not allowed, unknown value) */
	SMP_ERR_IO,        /* a file could not be opened, read or written */
	SMP_ERR_INSECURE,  /* a file or its folder is not root-owned or is writable by group/others */
	SMP_ERR_PARSE,     /* structural errors in the files (see the diagnostics) */
	SMP_ERR_TIME,      /* a time string that does not parse or does not exist */
	SMP_ERR_LOCK,      /* the records (or compiled cache) lock could not be taken in time */
	SMP_ERR_REFUSED,   /* a record change was refused: the result would be invalid */
	SMP_ERR_NOTFOUND,  /* a record named by id does not exist */
	SMP_ERR_DIRECTORY, /* the LDAP directory could not be reached, refused a
	                      bind or a search, or answered what cannot be read */
	SMP_ERR_OFFLINE    /* the local copy of the directory was never synced, or
	                      not within settings' ldap.max_offline: it decides nothing */
} smp_status;

/* A short English description of a status; static storage; "unknown
 * status" for a value not in the enum. */
const char *smp_status_string(smp_status status);

/* Free a string (or an array from smp_policy_watch_folders()) the library
 * returned as the caller's; NULL is fine. */
void smp_free(void *p);

/* The flags of functions that have none yet: 0 (any bit is SMP_ERR_ARG). */
#define SMP_NO_FLAGS 0u

typedef enum smp_severity {
	SMP_SEV_ERROR = 0,
	SMP_SEV_WARNING
} smp_severity;

/* One diagnostic.  file may be NULL (no file involved); line is 0 when no
 * line exists.  subject is the id of the record it concerns, or NULL. */
struct smp_diag {
	const char *file;
	unsigned line;
	smp_severity severity;
	const char *subject;
	const char *message;
};

typedef struct smp_diags smp_diags;

size_t smp_diags_count(const smp_diags *diags);           /* 0 for NULL */
/* The i-th diagnostic, owned by diags; NULL when i is out of range. */
const struct smp_diag *smp_diags_get(const smp_diags *diags, size_t i);
/* Number of diagnostics of severity SMP_SEV_ERROR. */
size_t smp_diags_errors(const smp_diags *diags);
void smp_diags_free(smp_diags *diags);

/* ---- time ------------------------------------------------------------- */

/* How a date without a time of day is read. */
typedef enum smp_time_edge {
	SMP_TIME_START = 0,  /* a date alone is the start of that day (00:00:00) */
	SMP_TIME_END         /* a date alone is the end of that day: the result is
	                        the first second of the next day (exclusive end) */
} smp_time_edge;

/*
 * Parse YYYY-MM-DD, YYYY-MM-DDTHH:MM or YYYY-MM-DDTHH:MM:SS, optionally
 * followed by 'Z' or +HH:MM / -HH:MM.  Without an offset the time is local
 * time of the process's current zone; a local time that does not exist (a
 * daylight-saving gap) is an error, an ambiguous one takes the earlier
 * instant.  With SMP_TIME_END a full time of day is returned as the second
 * after it, so that every result is an exclusive end.
 * Returns SMP_OK, SMP_ERR_TIME on any malformed or impossible input (month
 * 13, Feb 30, 24:00, offset beyond 18:00, trailing text), SMP_ERR_ARG for NULL.
 */
smp_status smp_time_parse(const char *text, smp_time_edge edge, int64_t *out);

/* Format t as local ISO 8601 with offset, "2026-11-27T17:00:00-05:00",
 * into buf (at least 32 bytes).  Returns buf, or NULL if t cannot be
 * represented or buf is too small. */
char *smp_time_format(int64_t t, char *buf, size_t size);


/* ---- loading ---------------------------------------------------------- */

typedef struct smp_policy smp_policy;

/* The flags of smp_policy_load() and smp_policy_load_for(). */
enum smp_load_flags {
	/* Parse the files even when a fresh compiled cache exists. */
	SMP_LOAD_NO_CACHE = 1u << 1
};
#define SMP_LOAD_FLAGS ((unsigned)SMP_LOAD_NO_CACHE)

/* The flags of smp_policy_cache_write() and smp_policy_store_write(). */
enum smp_write_flags {
	/* Fail with SMP_ERR_LOCK at once instead of waiting for the lock. */
	SMP_WRITE_NOWAIT = 1u << 16
};
#define SMP_WRITE_FLAGS ((unsigned)SMP_WRITE_NOWAIT)

/*
 * Load the settings file at config_path (NULL: SMP_DEFAULT_CONFIG) and every
 * records file it names; validate them structurally.
 * flags: SMP_LOAD_FLAGS.
 * On SMP_OK *out is a new policy (free with smp_policy_free).  On any error
 * *out is NULL.  If diags is not NULL, *diags receives every diagnostic
 * (errors and warnings) found, or NULL if there were none; the caller frees
 * it.  A policy is never returned with structural errors.
 *
 * The compiled cache: unless flags has SMP_LOAD_NO_CACHE, the policy is
 * taken from "<config_path>.cache" (written by smp_policy_cache_write)
 * instead of parsing the files, when, and only when, that file passes the
 * same ownership and mode checks as the files, is whole and undamaged, was
 * written by this build of the library, and every source file still has
 * exactly the bytes it was compiled from (each is read and hashed, after
 * the same checks as a parse makes), and the process's zone gives every
 * local time the load converted the same instant.  The result is then the
 * policy a parse would give.  Anything else is a miss and the files are
 * parsed; a cache that is present but insecure, unreadable or damaged adds a warning
 * to *diags.  smp_policy_cache_state() tells which happened.
 */
smp_status smp_policy_load(const char *config_path, unsigned flags,
                           smp_policy **out, smp_diags **diags);

void smp_policy_free(smp_policy *policy);

/* What a load made of the compiled cache. */
typedef enum smp_cache_state {
	SMP_CACHE_USED = 0,   /* the policy came from the cache */
	SMP_CACHE_OFF,        /* SMP_LOAD_NO_CACHE: the cache was not looked at */
	SMP_CACHE_ABSENT,     /* there is no cache file */
	SMP_CACHE_STALE,      /* written from other bytes, under another zone, or
	                         by another build of the library */
	SMP_CACHE_REJECTED    /* insecure, unreadable or damaged: ignored, with a
	                         warning */
} smp_cache_state;

smp_cache_state smp_policy_cache_state(const smp_policy *policy);  /* OFF for NULL */
/* "used", "off", "absent", "stale", "rejected"; NULL when out of range. */
const char *smp_cache_state_name(smp_cache_state state);
/* The cache file of the policy's settings file: "<config_path>.cache",
 * owned by policy. */
const char *smp_policy_cache_path(const smp_policy *policy);

/*
 * Write the compiled cache of policy to smp_policy_cache_path(): one image
 * of the loaded policy, with the digests of the files it was read from
 * and the zone's answers its local times took.  The writer takes an
 * exclusive flock(2) on "<cache>.lock" (created mode 0600), waiting up to
 * 10 seconds (flags, of SMP_WRITE_FLAGS: SMP_WRITE_NOWAIT: not at all), removes temporary files
 * left by writers that were killed, writes a temporary file in the same
 * folder, mode 0644 narrowed by the modes of the files the policy was read
 * from and in their group when they all have one (a load finds a cache
 * with other permissions than those stale), owned by the caller (root,
 * for the cache to be used outside tests), fsyncs it, renames it over the cache and fsyncs the folder: a
 * reader sees the old cache or the new, whole.  A cache written from files
 * that have changed since is stale, never wrong.
 * Returns SMP_OK, SMP_ERR_ARG (NULL policy, a policy of one person, a
 * flag not in SMP_WRITE_FLAGS), SMP_ERR_LOCK, SMP_ERR_IO (with *diags
 * saying why), SMP_ERR_NOMEM.
 */
smp_status smp_policy_cache_write(const smp_policy *policy, unsigned flags,
                                  smp_diags **diags);

/*
 * The login store: what one login needs, found by index.
 *
 * smp_policy_load_for() loads the policy of one person (user) at one
 * device (NULL: this host's name) for a login: from the login store of
 * config_path in store_dir (NULL: SMP_DEFAULT_STORE_DIR), a file named
 * after config_path's absolute path (systemd-escape --path, then
 * ".login"), written by smp_policy_store_write().  It reads, through the
 * store's indexes, only that person's slice (their office, staff entry,
 * approvals with what validation derived of them, accounts, and the staff
 * entries those name) and that device's record, whatever the size of the
 * records.  The store is used only when it passes the same ownership and
 * mode checks as the records (root-owned, as its folder), was written by
 * this build, is undamaged (digests of its header and of each slice), the
 * zone gives the slice's moments the answers it took, and every file it
 * was compiled from has the device, inode, size, mode, owner, mtime and
 * ctime it had then, after the same checks as a parse makes; a file
 * whose times are within 2 s of the compile is hashed as well (git's
 * racy-clean rule).  Anything else is a miss, and the whole policy is
 * loaded as smp_policy_load() loads it (compiled cache or parse), which
 * answers for that person as well; a store that is present but insecure
 * or damaged adds a warning.  smp_policy_store_state() tells which.  A
 * settings file that names the directory (settings.source = "ldap") is
 * served by the store of its local copy (named after the copy's
 * smpolicy.conf, in store_dir) while the last good sync is within
 * ldap.max_offline; past it the load fails closed as smp_policy_load()
 * does.
 *
 * A policy from the store answers for that user and device only:
 * smp_decide() returns SMP_ERR_ARG for a request of another user or
 * another device, or one that logs in with an account the person does
 * not hold (the store cannot say whose it is), smp_policy_check(), smp_policy_cache_write() and
 * smp_policy_store_write() return SMP_ERR_ARG, and the record queries
 * (smp_policy_approval_count(), smp_policy_office_count() ...) see that
 * person's records and those they name only.  Its platforms and settings
 * are the whole policy's.  smp_policy_is_partial() tells such a policy
 * from a whole one.  Errors and flags (SMP_LOAD_FLAGS) as
 * smp_policy_load(); SMP_ERR_ARG also for a NULL user, or no device given
 * and no host name.
 */
smp_status smp_policy_load_for(const char *config_path, const char *store_dir,
                               unsigned flags, const char *user, const char *device,
                               smp_policy **out, smp_diags **diags);

/* Is policy one person's, from the login store (smp_policy_load_for())?
 * On such a policy smp_policy_check(), smp_policy_cache_write() and
 * smp_policy_store_write() return SMP_ERR_ARG, smp_decide() answers only
 * for its user and device (SMP_ERR_ARG otherwise), smp_policy_void_count()
 * is 0 and the record queries see that person's records only.  false for
 * a whole policy and for NULL. */
bool smp_policy_is_partial(const smp_policy *policy);

/* What smp_policy_load_for() made of the login store: SMP_CACHE_USED (a
 * policy of one person), _ABSENT, _STALE, _REJECTED (the whole policy was
 * loaded instead); SMP_CACHE_OFF for a policy of smp_policy_load(), of
 * SMP_LOAD_NO_CACHE, or NULL. */
smp_cache_state smp_policy_store_state(const smp_policy *policy);

/*
 * Write the login store of policy (a policy of all the records, as
 * smp_policy_load() gives) into store_dir (NULL: SMP_DEFAULT_STORE_DIR;
 * the folder is made, mode 0755, if its parent exists): one slice per
 * staff member and one record per device, with the status and digest of
 * every file the policy was read from.  Each file is hashed again first
 * and must still have the bytes the policy was loaded from (else
 * SMP_ERR_IO: the store would be stale at once).  A file changed in the
 * last 2 s is waited for (flags, of SMP_WRITE_FLAGS: SMP_WRITE_NOWAIT:
 * SMP_ERR_LOCK instead, and nothing written), so that logins need not hash it.  Locking, permissions
 * and the atomic replacement are those of smp_policy_cache_write(), with
 * "<store>.lock".  For a policy read from a directory's copy
 * (copy_dir/copy-N/smpolicy.conf) the stores of the other copies of that
 * folder whose settings file is gone are removed then, with their locks.
 * Returns SMP_OK, SMP_ERR_ARG (NULL policy, a policy of one person, a
 * flag not in SMP_WRITE_FLAGS), SMP_ERR_LOCK, SMP_ERR_IO (with *diags saying why),
 * SMP_ERR_INSECURE, SMP_ERR_NOMEM.
 */
smp_status smp_policy_store_write(const smp_policy *policy, const char *store_dir,
                                  unsigned flags, smp_diags **diags);

/*
 * The times of one policy: with settings.time_zone, a time without an
 * offset is read in that zone and times are written in it, on every host
 * and whatever the process's TZ (the library reads the zone's TZif file
 * itself); without it, as smp_time_parse() and smp_time_format() do, in
 * the process's zone.  smp_policy_time_zone() is the zone's name, or NULL.
 */
smp_status smp_policy_time_parse(const smp_policy *policy, const char *text,
                                 smp_time_edge edge, int64_t *out);
char *smp_policy_time_format(const smp_policy *policy, int64_t t, char *buf, size_t size);
const char *smp_policy_time_zone(const smp_policy *policy);

/*
 * Procedural validation (Manual §C and Procedures A): every approval that
 * breaks the procedure, every period in which an office would be over its
 * cap (one error per breach, at the line of the approval denied), and
 * warnings (e.g. a long-term approval that outlasts long_term_max_days).
 * *out receives the list, or NULL if there is nothing to say.
 * Returns SMP_OK (even when errors were found: count them with
 * smp_diags_errors), SMP_ERR_NOMEM, or SMP_ERR_ARG for a policy of one
 * person (smp_policy_load_for), which cannot say.
 */
smp_status smp_policy_check(const smp_policy *policy, smp_diags **out);

/*
 * The void records: a fault of one staff, device, account or approval
 * entry (a bad value, an unknown key, a reference to an id that is not
 * there, an id defined twice) does not fail the load but voids that record
 * alone.  A void approval never grants (approval-invalid, naming the
 * fault); a void staff, device or account record denies every request
 * that needs it (unknown-user, device-unknown, account-unknown, naming the
 * fault), and an approval signed or requested by a void staff record is
 * invalid; every other decision is made as without the record.  An
 * approval's author (requester, signer, revoker) not in the records voids
 * nothing: a sign-off by one counts only on a valid signature (required),
 * a request by one stands on both sign-offs, a revocation by one revokes;
 * smp_policy_check() warns of each.
 * smp_policy_check() reports each void record as an error.  smp_policy_void_count()
 * says how many the load voided (0 for a policy of one person);
 * smp_policy_voids() gives them as warnings at their FILE:LINE (*out NULL
 * when there are none): SMP_OK, SMP_ERR_NOMEM or SMP_ERR_ARG.
 */
size_t smp_policy_void_count(const smp_policy *policy);
smp_status smp_policy_voids(const smp_policy *policy, smp_diags **out);

/* The absolute path of the settings file and of the i-th records file;
 * NULL when out of range. */
const char *smp_policy_config_path(const smp_policy *policy);
size_t smp_policy_records_count(const smp_policy *policy);
const char *smp_policy_records_path(const smp_policy *policy, size_t i);

/*
 * What a program that keeps a policy loaded watches to know when to load
 * again.  smp_policy_watch_folders(): the folders whose every change may
 * change the policy of config_path (NULL: SMP_DEFAULT_CONFIG): that of
 * the settings file, those of the records files and signers.conf, and,
 * for a directory's local copy, the copy's folder and copy_dir (where a
 * sync names its new copy).  Folders, not files: the records are
 * replaced by renaming a new file over them.  policy may be NULL (a load
 * that failed): then the settings file's folder alone.  *out receives a
 * NULL-terminated array, no folder twice (free the whole with one
 * smp_free(*out)).  SMP_OK, SMP_ERR_ARG (out NULL), SMP_ERR_NOMEM.
 *
 * smp_policy_expires(): the moment (exclusive) from which the policy no
 * longer holds without a reload even if nothing watched changes: for a
 * directory's local copy, the end of ldap.max_offline after its sync (a
 * load then fails with SMP_ERR_OFFLINE unless a sync came).  false when
 * there is none (records files, NULL).
 */
smp_status smp_policy_watch_folders(const smp_policy *policy, const char *config_path,
                                    char ***out);
bool smp_policy_expires(const smp_policy *policy, int64_t *out);

/* Settings. */
int smp_policy_warn_days(const smp_policy *policy);
int smp_policy_office_cap(const smp_policy *policy);

/* ---- export to a directory (smpolicy-ldap(5)) --------------------------- */

/* The flags of smp_policy_export_ldif(). */
enum smp_export_flags {
	/* Do not write the base entry itself: it exists in the directory. */
	SMP_EXPORT_NO_BASE_ENTRY = 1u << 20
};
#define SMP_EXPORT_FLAGS ((unsigned)SMP_EXPORT_NO_BASE_ENTRY)

/*
 * Write the files world of config_path (NULL: SMP_DEFAULT_CONFIG) to out
 * as LDIF for ldapadd or slapadd, under the base DN base (RFC 4514, e.g.
 * "ou=smpolicy,dc=example,dc=org"), in the layout and schema of
 * ldap/smpolicy.schema: the base entry (an organizationalUnit, written only
 * when base is ou=NAME and flags lacks SMP_EXPORT_NO_BASE_ENTRY), then
 * cn=settings, ou=platforms, ou=offices, ou=staff, ou=devices, ou=accounts,
 * ou=approvals, then every record, kind by kind, in file order.  Values are
 * exported as the files write them (times as their text, booleans
 * TRUE/FALSE, integers in decimal); an empty list writes no attribute.
 * flags: SMP_EXPORT_FLAGS.
 *
 * The world is loaded first as smp_policy_load() loads it (never from the
 * compiled cache); procedural faults do not stop the export.  Nothing is
 * written to out unless the whole export succeeds.  *diags (if diags is
 * not NULL) receives the diagnostics, or NULL; the caller frees it.
 * Returns SMP_OK; SMP_ERR_ARG (out or base NULL, base empty or not a DN,
 * a flag not in SMP_EXPORT_FLAGS);
 * the errors of smp_policy_load() (SMP_ERR_PARSE with FILE:LINE for
 * structural errors); SMP_ERR_REFUSED when the directory cannot hold a
 * value (an empty string, text that is not UTF-8, a list naming a value
 * twice, two ids of a kind differing only in case or spaces), each at its
 * FILE:LINE; SMP_ERR_IO (a file changed after it was validated, or out
 * could not be written); SMP_ERR_NOMEM.
 */
smp_status smp_policy_export_ldif(const char *config_path, unsigned flags, const char *base,
                                  FILE *out, smp_diags **diags);

/* ---- the request and the decision ------------------------------------ */

typedef enum smp_action {
	SMP_ACTION_VIEW = 0,      /* public information, no login */
	SMP_ACTION_LOGIN,
	SMP_ACTION_MESSAGE,       /* non-public */
	SMP_ACTION_POST,          /* public */
	SMP_ACTION_COMMENT,       /* public */
	SMP_ACTION_FRIEND,
	SMP_ACTION_LIKE,
	SMP_ACTION_FAVORITE,
	SMP_ACTION_FOLLOW,
	SMP_ACTION_GAME,
	SMP_ACTION_SHARE_PERSONAL,
	SMP_ACTION_CHAT_NONWORK,
	SMP_ACTION__COUNT
} smp_action;

typedef enum smp_purpose {
	SMP_PURPOSE_INFO_GATHERING = 0,
	SMP_PURPOSE_CLIENT_COMMUNICATION,
	SMP_PURPOSE__COUNT
} smp_purpose;

/* Names as on the command line ("view", "client_communication"); NULL
 * when out of range.  The _parse functions return SMP_ERR_ARG for an
 * unknown name. */
const char *smp_action_name(smp_action action);
smp_status smp_action_parse(const char *name, smp_action *out);
const char *smp_purpose_name(smp_purpose purpose);
smp_status smp_purpose_parse(const char *name, smp_purpose *out);

/*
 * A request.  Initialise with smp_request_init(), then set the fields.
 * The strings are the caller's; the library does not keep them.
 */
struct smp_request {
	size_t size;                /* sizeof(struct smp_request): smp_request_init() */
	const char *user;           /* staff id (login name); required */
	const char *platform;       /* platform id; required */
	const char *device;         /* device id; NULL: this host's name */
	const char *account;        /* account id; NULL: none named */
	smp_action action;
	smp_purpose purpose;
	bool public_info_sufficient;
	bool other_means_available;
	int64_t at;                 /* the moment decided for */
	int warn_days;              /* warn this many days ahead; -1: the settings' */
};

/* Zero the request and set its size; action view, purpose
 * info_gathering, at = now, warn_days -1. */
void smp_request_init(struct smp_request *req);

/* Reason codes: stable API (smpolicy(1), REASON CODES).  The order is the
 * order in which a decision lists its reasons. */
typedef enum smp_reason {
	SMP_R_UNKNOWN_USER = 0,
	SMP_R_UNKNOWN_PLATFORM,
	SMP_R_DEVICE_UNKNOWN,
	SMP_R_DEVICE_NOT_DCF,
	SMP_R_APP_NOT_APPROVED,
	SMP_R_NO_APPROVAL,
	SMP_R_APPROVAL_PENDING,
	SMP_R_APPROVAL_EXPIRED,
	SMP_R_APPROVAL_REVOKED,
	SMP_R_APPROVAL_INVALID,
	SMP_R_OFFICE_CAP_EXCEEDED,
	SMP_R_PUBLIC_INFO_SUFFICES,
	SMP_R_ACCOUNT_REQUIRED,
	SMP_R_ACCOUNT_UNKNOWN,
	SMP_R_ACCOUNT_NOT_OFFICIAL,
	SMP_R_ACCOUNT_NOT_HELD,
	SMP_R_ACCOUNT_PERSONAL_INFO,
	SMP_R_PASSWORD_NOT_ESCROWED,
	SMP_R_PASSWORD_CHANGE_UNREPORTED,
	SMP_R_ACCOUNT_COMPROMISED,
	SMP_R_NOT_LAST_RESORT,
	SMP_R_PUBLIC_CHANNEL,
	SMP_R_PROHIBITED_CONDUCT,
	SMP_R__COUNT
} smp_reason;

typedef enum smp_warning {
	SMP_W_APPROVAL_EXPIRING = 0,
	SMP_W__COUNT
} smp_warning;

/* The one table: code ("approval-expired"), manual section ("C, Proc. A")
 * and a sentence a caseworker understands.  Static storage; NULL when out
 * of range (SMP_R__COUNT, SMP_W__COUNT and beyond, negative).  _parse:
 * SMP_ERR_ARG for an unknown code or NULL. */
const char *smp_reason_code(smp_reason reason);
const char *smp_reason_section(smp_reason reason);
const char *smp_reason_sentence(smp_reason reason);
smp_status smp_reason_parse(const char *code, smp_reason *out);
const char *smp_warning_code(smp_warning warning);
const char *smp_warning_section(smp_warning warning);
const char *smp_warning_sentence(smp_warning warning);

typedef struct smp_decision smp_decision;

/*
 * Decide req against policy.  On SMP_OK *out is a new decision (free with
 * smp_decision_free).  Errors: SMP_ERR_ARG (NULL policy/req/out, a
 * req->size the library does not know, missing user or platform, action or purpose out of range, no device given and
 * the host name cannot be read, or a policy of one person and device
 * from smp_policy_load_for() asked about another, or about an account the
 * person does not hold), SMP_ERR_NOMEM.  On error *out is NULL:
 * an error is never an ALLOW.
 */
smp_status smp_decide(const smp_policy *policy, const struct smp_request *req,
                      smp_decision **out);

/* Out of range, for every accessor below: i at or past the count, or d
 * NULL: smp_decision_reason() returns SMP_R__COUNT,
 * smp_decision_warning() SMP_W__COUNT, the _message functions and
 * smp_decision_approval() NULL, the _count functions 0. */
bool smp_decision_allowed(const smp_decision *d);   /* false for NULL */
size_t smp_decision_reason_count(const smp_decision *d);
smp_reason smp_decision_reason(const smp_decision *d, size_t i);
/* The sentence for reason i with the particulars of this case
 * ("Approval LT-2026-001 lapsed at 2026-12-31T23:59:59-05:00."), owned by d.
 * The messages are written at the first read of one (safe from several
 * threads at once), from the policy: free d before the policy.  Should
 * memory run out then, the sentence alone. */
const char *smp_decision_reason_message(const smp_decision *d, size_t i);
size_t smp_decision_warning_count(const smp_decision *d);
smp_warning smp_decision_warning(const smp_decision *d, size_t i);
const char *smp_decision_warning_message(const smp_decision *d, size_t i);
/* The moment an ALLOW stops holding (exclusive); false when there is none
 * (every DENY). */
bool smp_decision_valid_until(const smp_decision *d, int64_t *out);
/* The approval the decision relied on or reported on, NULL if none. */
const char *smp_decision_approval(const smp_decision *d);
void smp_decision_free(smp_decision *d);

/* ---- looking at the records (read only) ------------------------------ */

typedef enum smp_approval_state {
	SMP_STATE_VALID = 0,      /* holds at t */
	SMP_STATE_NOT_STARTED,    /* signed, but starts after t */
	SMP_STATE_PENDING,        /* a sign-off is missing at t */
	SMP_STATE_EXPIRED,
	SMP_STATE_REVOKED,
	SMP_STATE_INVALID,        /* breaks the procedure: never valid */
	SMP_STATE_OVER_CAP        /* would hold, but its office is over the cap at t */
} smp_approval_state;

/* "valid", "not-started" ...; NULL when out of range. */
const char *smp_approval_state_name(smp_approval_state state);

/* Filled by smp_policy_approval(): set size first. */
struct smp_approval_info {
	size_t size;                  /* sizeof(struct smp_approval_info) */
	const char *id;
	const char *staff;
	const char *office;           /* the staff member's office */
	const char *kind;             /* "long_term" or "limited" */
	const char *const *platforms; /* NULL-terminated */
	const char *ticket;           /* NULL if none */
	const char *file;
	unsigned line;
	smp_approval_state state;     /* at the time asked for */
	bool has_start, has_end;
	int64_t start;                /* the effective start */
	int64_t end;                  /* the effective lapse (exclusive) */
	bool has_revoked;
	int64_t revoked;
	bool signed_cpp, signed_it;   /* sign-offs present and dated by t */
	bool has_valid_until;         /* state valid: when it stops holding */
	int64_t valid_until;          /* (lapse, revocation or the cap, exclusive) */
};

/* Filled by smp_policy_office(): set size first. */
struct smp_office_info {
	size_t size;                  /* sizeof(struct smp_office_info) */
	const char *id;
	const char *name;
	const char *kind;             /* "local" or "area" */
};

size_t smp_policy_office_count(const smp_policy *policy);
/* Fill *out for office i.  Strings owned by policy.  SMP_OK;
 * SMP_ERR_NOTFOUND when i is out of range; SMP_ERR_ARG for NULL or an
 * out->size the library does not know. */
smp_status smp_policy_office(const smp_policy *policy, size_t i, struct smp_office_info *out);

size_t smp_policy_platform_count(const smp_policy *policy);
/* Id and name of platform i (catalogue order), owned by policy; NULL when
 * out of range. */
const char *smp_policy_platform_id(const smp_policy *policy, size_t i);
const char *smp_policy_platform_name(const smp_policy *policy, size_t i);
/* Domain j of platform i as the catalogue's `domains` spells it, owned by
 * policy; NULL when either is out of range. */
const char *smp_policy_platform_domain(const smp_policy *policy, size_t i, size_t j);
/* The catalogue index of the platform with id `id` (exact match), into
 * *index: SMP_OK; SMP_ERR_NOTFOUND when no platform has that id;
 * SMP_ERR_ARG for a NULL argument.  Found by the policy's index, not a
 * search of the catalogue. */
smp_status smp_policy_platform_index(const smp_policy *policy, const char *id, size_t *index);

/*
 * The platform whose catalogue `domains` hold the web host `host` (smpolicy-squid(8)):
 * host equals one of them, or is a subdomain of one ("m.facebook.com"
 * for "facebook.com"; "notfacebook.com" is not).  ASCII case is ignored,
 * whatever the locale, and so are leading and trailing dots, in host and
 * in the domains.  When domains of several platforms hold host, the longest
 * domain wins.  Returns the platform id, owned by policy, or NULL: no
 * platform's, an IPv4 or IPv6 literal (with or without [brackets]), an
 * empty host, or a NULL argument.
 */
const char *smp_policy_platform_for_host(const smp_policy *policy, const char *host);

/*
 * The device a DNS host name stands for: name ends in "." plus one of the
 * settings' device_domains (at a label boundary; ASCII case ignored; a
 * trailing dot of name ignored) and what comes before is exactly one label
 * (letters, digits, '-', '_'; 1 to 63), which is the device id, written
 * into id (size bytes, with its NUL) as name spells it.  SMP_OK;
 * SMP_ERR_NOTFOUND when name is under no such domain or leaves more or
 * less than one label (with no device_domains, every name: no DNS name is
 * trusted to say which device it is); SMP_ERR_ARG for a NULL argument or
 * an id that does not fit.  The web proxy helper asks it of a client's
 * forward-confirmed reverse-DNS name, the PAM module of a host name that
 * has a dot.
 */
smp_status smp_policy_device_for_name(const smp_policy *policy, const char *name, char *id,
                                      size_t size);

size_t smp_policy_approval_count(const smp_policy *policy);
/* Fill *out for approval i (file order) with its state at t.  Strings
 * owned by policy.  SMP_OK; SMP_ERR_NOTFOUND when i is out of range;
 * SMP_ERR_ARG for NULL or an out->size the library does not know. */
smp_status smp_policy_approval(const smp_policy *policy, size_t i, int64_t t,
                               struct smp_approval_info *out);

/* ---- signatures (docs/SIGNATURES.md) ---- */

/* The three signed acts of an approval. */
typedef enum smp_sig_slot {
	SMP_SIG_CPP,          /* approved_cpp */
	SMP_SIG_IT,           /* approved_it */
	SMP_SIG_REVOKED       /* revoked */
} smp_sig_slot;

typedef enum smp_sig_state {
	SMP_SIG_UNCHECKED,    /* not checked: no signers.conf read, none required */
	SMP_SIG_VALID,        /* verified with a pinned key of the signer's role and tenure */
	SMP_SIG_MISSING,      /* required and absent */
	SMP_SIG_INVALID       /* present and does not count: why says why */
} smp_sig_state;

/* Filled by smp_policy_approval_signature(): set size first. */
struct smp_sig_info {
	size_t size;          /* sizeof(struct smp_sig_info) */
	bool present;         /* the act is in the records (else nothing below) */
	const char *signer;   /* its by */
	int64_t on;
	bool has_sig;
	smp_sig_state state;  /* has_sig, state and why: of a policy parsed from
	                         the records (SMP_LOAD_NO_CACHE); the compiled
	                         cache and the login store keep only the
	                         approval's verdict (SMP_SIG_UNCHECKED here) */
	const char *why;      /* SMP_SIG_MISSING, SMP_SIG_INVALID: the reason */
};

/* The signature on act slot of approval i (file order), as the load's
 * check found it.  Strings owned by policy.  SMP_OK; SMP_ERR_NOTFOUND when
 * i is out of range; SMP_ERR_ARG for NULL, a slot out of range or an
 * out->size the library does not know. */
smp_status smp_policy_approval_signature(const smp_policy *policy, size_t i, smp_sig_slot slot,
                                         struct smp_sig_info *out);
/* settings.require_signatures of the policy. */
bool smp_policy_requires_signatures(const smp_policy *policy);

/*
 * A new ECDSA P-256 key for a director, written to path (created, mode
 * 0600; an existing file is not replaced) as PKCS#8 PEM, encrypted with
 * passphrase (AES-256, PBES2) unless it is NULL.  *public_key receives
 * the public key as signers.conf takes it (base64 of its DER
 * SubjectPublicKeyInfo), to smp_free().
 */
smp_status smp_sig_keygen(const char *path, const char *passphrase, char **public_key,
                          smp_diags **diags);
/* The public key (as above) of key: a "pkcs11:" URI (pin: the token's
 * PIN) or a PEM file (pin: its passphrase). */
smp_status smp_sig_public_key(const char *key, const char *pin, char **public_key,
                              smp_diags **diags);

/* Staff member's office id, NULL when the staff id is unknown. */
const char *smp_policy_staff_office(const smp_policy *policy, const char *staff);

/* The ids of the official accounts on platform held by user, in file
 * order: writes up to max pointers (owned by policy) into ids and returns
 * how many there are in all. */
size_t smp_policy_accounts_held(const smp_policy *policy, const char *user,
                                const char *platform, const char **ids, size_t max);

/* The kinds of record ids, for smp_policy_suggest(). */
typedef enum smp_id_kind {
	SMP_ID_PLATFORM = 0,
	SMP_ID_OFFICE,
	SMP_ID_STAFF,
	SMP_ID_DEVICE,
	SMP_ID_ACCOUNT,
	SMP_ID_APPROVAL
} smp_id_kind;

/*
 * "Did you mean ...?": the id of that kind in policy nearest to id, for a
 * message about an id that is not there.  Nearest: the fewest edits
 * (insertions, deletions, substitutions, transpositions of neighbours),
 * ASCII case ignored, at most 2 and fewer than either id's length, and
 * the same numbers in both (leading zeros aside: ws-9 is another device
 * than ws-1, not a typo of it); ties go to the first in file (catalogue)
 * order.  Returns a new string (free
 * with smp_free()), or NULL: id is there exactly, nothing is near enough,
 * a NULL or empty argument, or no memory.  A policy of one person
 * (smp_policy_load_for) suggests from the records it holds.
 */
char *smp_policy_suggest(const smp_policy *policy, smp_id_kind kind, const char *id);

/* ---- editing records (edit.c) ---- */

/*
 * The manual's procedures as changes to the records (smpolicy request,
 * sign, revoke, account).  Every smp_edit_* function:
 *
 *  - takes flags of SMP_EDIT_FLAGS (any other bit: SMP_ERR_ARG);
 *  - loads config_path (NULL: SMP_DEFAULT_CONFIG) as smp_policy_load()
 *    does;
 *  - takes an exclusive flock(2) on "<records>.lock" beside every records
 *    file (created mode 0600), in the order the settings name them,
 *    waiting up to 10 seconds (SMP_EDIT_NOWAIT: not at all), then fails
 *    with SMP_ERR_LOCK.  The kernel
 *    releases the lock when the process ends, even by SIGKILL;
 *  - re-reads and checks the records under the lock, then applies one
 *    change to the text of one records file: comments, blank lines and
 *    every entry it does not touch stay byte for byte as they were;
 *  - refuses (SMP_ERR_REFUSED, the records byte for byte unchanged) a
 *    change the procedure forbids, and a change after which the files
 *    would not load or would have a procedural fault they did not have
 *    (an office over its cap at any moment, a signer without the role,
 *    self-approval ...); faults present before the change that it does
 *    not make worse do not block it;
 *  - writes the new text to a temporary file in the records' folder with
 *    the records' owner and mode, fsyncs it, loads and checks it in place
 *    of the records, renames it over them and fsyncs the folder: a crash
 *    at any point leaves the old or the new file, whole.  Temporary files
 *    left by a killed command are removed by the next one;
 *  - appends one line to the audit log (settings.audit; default audit.log
 *    beside the first records file), created mode 0640: the time, the
 *    invoking login (user=), who acted (by=), the action, the approval or
 *    account id, the result (ok, refused or error) and a detail.  Refusals
 *    and errors met once the records were loaded under the lock are
 *    logged too.
 *
 * Times are text in the formats of smp_time_parse(); NULL means now.  A
 * date alone is written into the records as given; any other time as
 * local time with its offset ("2026-11-20T10:05:00-05:00").
 *
 * If diags is not NULL, *diags receives the diagnostics that explain an
 * error or a refusal (FILE:LINE and the approval or account id where
 * known), or NULL; the caller frees it with smp_diags_free().
 *
 * Results: SMP_OK; SMP_ERR_REFUSED; SMP_ERR_NOTFOUND (no such approval or
 * account); SMP_ERR_ARG (a required argument is NULL or empty, a flag
 * not in SMP_EDIT_FLAGS, a struct size the library does not know);
 * SMP_ERR_TIME (a time does not parse); SMP_ERR_LOCK; SMP_ERR_PARSE (the
 * files have structural errors, or the records file is not laid out so
 * that it can be edited safely: fix it first); SMP_ERR_INSECURE;
 * SMP_ERR_IO; SMP_ERR_NOMEM.
 */

/* The flags of every smp_edit_* function. */
enum smp_edit_flags {
	/* Fail with SMP_ERR_LOCK at once instead of waiting for the lock. */
	SMP_EDIT_NOWAIT = 1u << 16
};
#define SMP_EDIT_FLAGS ((unsigned)SMP_EDIT_NOWAIT)

typedef enum smp_approval_kind {
	SMP_APPROVAL_LONG_TERM = 0,   /* requested by a Local Office Manager */
	SMP_APPROVAL_LIMITED          /* requested by an NJS Helpdesk Unblock Form */
} smp_approval_kind;

/* A request for access (Procedures A).  The strings are the caller's.
 * Initialise with smp_edit_request_init(). */
struct smp_edit_request {
	size_t size;                    /* sizeof(struct smp_edit_request) */
	const char *staff;              /* the person to be approved; required */
	smp_approval_kind kind;
	const char *const *platforms;   /* NULL-terminated platform ids; at least one,
	                                   exactly one for a limited approval */
	const char *by;                 /* who requests (requested_by); required.
	                                   Long-term: a local_office_manager of the
	                                   person's office */
	const char *ticket;             /* Unblock Form ticket; required for limited */
	const char *starts;             /* NULL: from the second sign-off */
	const char *expires;            /* required for limited */
	const char *on;                 /* the date of the request; NULL: today */
};

/* Zero the request and set its size (kind long-term, every string NULL). */
void smp_edit_request_init(struct smp_edit_request *req);

/*
 * Append a new, unsigned approval.  Its id is fresh: LT-YYYY-NNN for a
 * long-term approval (numbered per year of the request), UB-<the digits
 * of the ticket> for a limited one (-2, -3 ... appended if taken;
 * UB-YYYY-NNN for a ticket without digits).  It goes to the first records
 * file that has an approvals list (or, if none has, to the end of the
 * first records file, in a new list).  On SMP_OK *new_id (if new_id is
 * not NULL) is the id: free it with smp_free().
 */
smp_status smp_edit_request(const char *config_path, unsigned flags,
                            const struct smp_edit_request *req, char **new_id,
                            smp_diags **diags);

typedef enum smp_sign_off_kind {
	SMP_SIGN_OFF_CPP = 0,   /* approved_cpp: the Director of CP&P */
	SMP_SIGN_OFF_IT         /* approved_it: the Director of Information Technology */
} smp_sign_off_kind;

/*
 * Record the sign-off of director `by` on approval `id`, dated `on`.  The
 * signer's role says which: director_cpp gives approved_cpp, director_it
 * approved_it; one holding both gives the missing one, CP&P first.
 * Refused: a signer not in the staff records or without either role, the
 * approved person themself, a revoked approval, an approval that breaks
 * the procedure (it would never be valid), a sign-off of a kind the
 * approval already has, and a result that puts an office over its cap at
 * any moment.  On SMP_OK *recorded (if not NULL) says which sign-off was
 * recorded and *complete (if not NULL) whether both are now present.
 */
smp_status smp_edit_sign(const char *config_path, unsigned flags, const char *id,
                         const char *by, const char *on, smp_sign_off_kind *recorded,
                         bool *complete, smp_diags **diags);

/*
 * Revoke approval `id`: revoked = { on; by; reason; }.  `by` must be in
 * the staff records; reason must not be empty and may hold any text
 * (quotes, backslashes, newlines, UTF-8): it is escaped.  Refused if the
 * approval is already revoked.
 */
smp_status smp_edit_revoke(const char *config_path, unsigned flags, const char *id,
                           const char *by, const char *reason, const char *on,
                           smp_diags **diags);

/* §D: what happened to an official account's password. */
typedef enum smp_account_event {
	SMP_ACCOUNT_PASSWORD_CHANGED = 0,  /* password_changed = on */
	SMP_ACCOUNT_PASSWORD_ESCROWED,     /* password_escrowed = on: the supervisor
	                                      was given the (new) password */
	SMP_ACCOUNT_COMPROMISED,           /* compromised = { reported = on; } */
	SMP_ACCOUNT_RESOLVED,              /* compromised.resolved = on */
	SMP_ACCOUNT__COUNT
} smp_account_event;

/* "password-changed", "password-escrowed", "compromised", "resolved";
 * NULL when out of range (SMP_ACCOUNT__COUNT and beyond).  _parse returns SMP_ERR_ARG for another name. */
const char *smp_account_event_name(smp_account_event event);
smp_status smp_account_event_parse(const char *name, smp_account_event *out);

/*
 * Record an account event on account `id`, dated `on`.  A new compromise
 * replaces an earlier, resolved one.  Refused: "compromised" while a
 * compromise is open, "resolved" when none is open or dated before the
 * report.  The audit line names the invoking login as who acted.
 */
smp_status smp_edit_account(const char *config_path, unsigned flags, const char *id,
                            smp_account_event event, const char *on, smp_diags **diags);

/*
 * Read the audit log of the records named by config_path (on the
 * directory: the smpAuditRecord entries under ou=audit,<base>, read as
 * ldap.bind_dn, each line followed by " bound=DN", the entry's creator as
 * slapd recorded it): fn is called
 * for each line, oldest first, with the line's time (INT64_MIN if it has
 * none) and its text without the newline (valid during the call only).
 * With since not NULL, only lines dated at or after *since are given (and
 * a line without a time is left out with a warning).  fn returns 0 to go
 * on, anything else to stop.  A log that does not exist yet has no lines.
 * flags: SMP_NO_FLAGS.
 * Returns SMP_OK, SMP_ERR_ARG (fn NULL, any flag), the errors of
 * smp_policy_load(), SMP_ERR_IO, SMP_ERR_NOMEM.
 */
typedef int (*smp_audit_fn)(void *ctx, int64_t when, const char *line);
smp_status smp_audit_read(const char *config_path, unsigned flags, const int64_t *since,
                          smp_audit_fn fn, void *ctx, smp_diags **diags);

/*
 * Records in the directory (settings.source = "ldap", smpolicy-ldap(5)).  The
 * _as functions are the commands above with the password of the person
 * acting; on a settings file naming records files they are exactly the
 * functions above (password ignored; smp_edit_account_as's `by`, when not
 * NULL, is the audit line's by=).  The functions above, on a settings
 * file naming the directory, are the _as ones without a password: they
 * fail with SMP_ERR_ARG.
 *
 * On the directory, each command:
 *  - connects to ldap.uri (ldap.write_uri when set: the one provider the
 *    record commands write to) as a sync does (TLS, ca_file, timeout), and
 *    binds as uid=BY,ou=staff,<ldap.base> with password (BY: req->by,
 *    the signer, the revoker, smp_edit_account_as's by, required there);
 *    the settings' bind_dn is not used.  The library never prompts.
 *  - reads the directory, validates it as files are, and makes the change
 *    in a private rendering of it with the functions above (every refusal
 *    of theirs, the diagnostics naming DNs), under $TMPDIR or /tmp;
 *  - writes the change as one modify (or add) of its entry, asserting
 *    (RFC 4528) that the entry is as it was read, then its audit entry
 *    (an smpAuditRecord under ou=audit,<base>, which the first command
 *    makes).  A
 *    sign-off first claims its person's office: one modify asserting the
 *    office's smpRevision as read before the directory was read and no
 *    claim (smpIntent) held, raising the revision and holding the claim,
 *    which the command drops after its write; another sign-off may break
 *    a claim older than 3 seconds, fencing the approval it names first
 *    (smpFence), so that a stalled holder's write fails.  When another
 *    command got there first the command starts again from the reads (up
 *    to 40 times, then SMP_ERR_LOCK).  A process killed at any moment
 *    leaves each entry whole (a sign-off's by and on are one modify), at
 *    most a claim that the next sign-off breaks, and perhaps a change
 *    without its audit entry (slapd's accesslog has it: docs/SECURITY.md);
 *  - records refusals (the files' rules' and the directory's) as audit
 *    entries too, bound as the person.
 * Results besides those above: SMP_ERR_DIRECTORY (the directory cannot be
 * reached, the password is wrong or the person unknown, no ou=audit
 * that the person may make, a
 * server error: the diagnostic says which, in words); SMP_ERR_REFUSED
 * also when the directory's access rules refuse the write (the diagnostic
 * names the bound DN and what it may not write).  Nothing is written on
 * any error.
 */
smp_status smp_edit_request_as(const char *config_path, unsigned flags,
                               const struct smp_edit_request *req, const char *password,
                               char **new_id, smp_diags **diags);
smp_status smp_edit_sign_as(const char *config_path, unsigned flags, const char *id,
                            const char *by, const char *on, const char *password,
                            smp_sign_off_kind *recorded, bool *complete, smp_diags **diags);
smp_status smp_edit_revoke_as(const char *config_path, unsigned flags, const char *id,
                              const char *by, const char *reason, const char *on,
                              const char *password, smp_diags **diags);
smp_status smp_edit_account_as(const char *config_path, unsigned flags, const char *id,
                               smp_account_event event, const char *on, const char *by,
                               const char *password, smp_diags **diags);

/*
 * The sign and revoke commands with the director's signature (docs/
 * SIGNATURES.md): key is a "pkcs11:" URI or a PEM file, pin the token's
 * PIN or the file's passphrase (NULL: none).  The signature is over the
 * approval as it is read under the lock and the act as it is recorded.
 * key NULL: as smp_edit_sign_as() and smp_edit_revoke_as().
 * key->size: sizeof(struct smp_signing).
 */
struct smp_signing {
	size_t size;
	const char *key;
	const char *pin;
};
smp_status smp_edit_sign_with(const char *config_path, unsigned flags, const char *id,
                              const char *by, const char *on, const char *password,
                              const struct smp_signing *key, smp_sign_off_kind *recorded,
                              bool *complete, smp_diags **diags);
smp_status smp_edit_revoke_with(const char *config_path, unsigned flags, const char *id,
                                const char *by, const char *reason, const char *on,
                                const char *password, const struct smp_signing *key,
                                smp_diags **diags);
/*
 * Migration to signed sign-offs: sign every sign-off `by` gave, in the
 * slot of `by`'s role, whose signature is missing or does not count, on an
 * approval not revoked and not lapsed at `at` (NULL: now); each approval
 * is one transaction.  dry_run: sign nothing.  each (if not NULL) is
 * called with the id of every approval signed (or, dry_run, to sign).
 * On a directory the candidates are those of the local copy (smpolicy
 * sync first), each read again from the directory and written as `by`
 * (password) adding the signature attribute.
 */
smp_status smp_edit_resign(const char *config_path, unsigned flags, const char *by,
                           const char *at, const char *password,
                           const struct smp_signing *key, bool dry_run,
                           void (*each)(const char *id, void *ctx), void *ctx,
                           smp_diags **diags);

/* Does the settings file at config_path (NULL: SMP_DEFAULT_CONFIG) name
 * the directory (settings.source = "ldap")?  *out false when it cannot be
 * read.  The command line asks for a password only then.  flags:
 * SMP_NO_FLAGS.  SMP_OK, or SMP_ERR_ARG (out NULL, any flag). */
smp_status smp_config_is_directory(const char *config_path, unsigned flags, bool *out);

/* ---- end of editing records ---- */

/* ---- the directory's local copy: sync (smpolicy.conf(5)) ---- */

/* The flags of smp_directory_sync(). */
enum smp_sync_flags {
	/* Read and validate the directory, write nothing (check --online):
	 * procedural faults are errors then, as `check` reports them. */
	SMP_SYNC_CHECK_ONLY = 1u << 8
};
#define SMP_SYNC_FLAGS ((unsigned)SMP_SYNC_CHECK_ONLY)

typedef struct smp_sync smp_sync;

/* What a sync did.  Strings are owned by the smp_sync they came from.
 * Filled by smp_sync_info(): set size first. */
struct smp_sync_info {
	size_t size;         /* sizeof(struct smp_sync_info) */
	bool changed;        /* a new copy was installed; false: the directory had
	                        not changed (only the state's synced was renewed),
	                        or SMP_SYNC_CHECK_ONLY */
	size_t records;      /* platforms, offices, staff, devices, accounts and
	                        approvals in the copy (read, with CHECK_ONLY) */
	int64_t synced;      /* the last good sync now recorded: when this sync first
	                        asked the directory; 0 with CHECK_ONLY */
	const char *copy;    /* the current copy's smpolicy.conf; NULL with CHECK_ONLY */
	const char *uri;     /* the directory read (ldap.uri) */
	const char *base;    /* and its base DN (ldap.base) */
	size_t void_records; /* records of the copy void by a fault of their own
	                        entry (smp_policy_voids()): the copy is installed
	                        all the same, each named by smp_sync_void() */
	bool incremental;    /* only the changes since the copy's cookie were read
	                        (RFC 4533 content synchronization) */
	size_t received;     /* entries the directory sent: the changed, added and
	                        deleted ones when incremental, else every entry */
	const char *full_read_why;   /* a new copy from a full read: why it was not
	                        incremental; NULL otherwise */
};

/*
 * Synchronise the local copy of the directory named by the settings file
 * config_path (NULL: SMP_DEFAULT_CONFIG), whose settings.source is "ldap"
 * (its ldap = { ... } group: smpolicy.conf(5)).
 *
 * Connects to ldap.uri (TLS for ldaps://; StartTLS, required, for ldap://
 * with ldap.ca_file; certificates always verified), binds as ldap.bind_dn
 * with the password of ldap.bind_password_file (owned by root and
 * readable by nobody else; one
 * trailing newline is not part of it) or anonymously, and reads the
 * suffix's contextCSN.  When it equals the one of the last sync and the
 * copy still loads, nothing else is read and only the state is renewed.
 * Otherwise the entries changed since the copy's sync cookie are read (RFC
 * 4533 refreshOnly, smpolicy-ldap(5)) and applied to the entries the copy
 * keeps; or, without a cookie, without syncprov, with a refused cookie or
 * saved entries that fail a check, every entry under ldap.base is read
 * (paged).  The result is checked
 * against the schema's layout, rendered as a files world and validated by
 * the records loader and smp_policy_check(), exactly as files are.
 * Diagnostics name the entry's DN as file (line 0) and, in the message,
 * the attribute where one is to blame.  Structural faults fail the sync
 * and change nothing; procedural faults come back as warnings and the
 * copy is installed (as files load with them).  The new copy goes to
 * ldap.copy_dir/copy-<N> (with its compiled cache) and the state file
 * names it only once it is whole on disk; the copy the state named before
 * is kept for readers that were loading it, every other one is removed.
 * A changed settings.audit (the one local setting the copy carries) makes
 * a new copy even from an unchanged directory.  All under an
 * exclusive flock(2) on copy_dir/sync.lock, waited for up to ldap.timeout
 * seconds.  copy_dir is created (0755) if missing and must be root's
 * and writable by nobody else.
 *
 * flags: SMP_SYNC_FLAGS (SMP_SYNC_CHECK_ONLY: read and validate into a
 * private temporary folder, write nothing of the copy).
 * On SMP_OK *out (if out is not NULL) is a new smp_sync (free with
 * smp_sync_free).  *diags (if diags is not NULL) receives every
 * diagnostic, warnings too, or NULL; the caller frees it.
 * Returns SMP_OK; SMP_ERR_ARG (the settings' records are files, not a
 * directory; a flag not in SMP_SYNC_FLAGS); SMP_ERR_PARSE (the settings file, or the directory's
 * entries, have structural faults; nothing was written);
 * SMP_ERR_DIRECTORY (the server cannot be reached, refuses TLS, the bind
 * or a search: the message names the URI and the server's words);
 * SMP_ERR_INSECURE (copy_dir, or the password file, is not private
 * enough); SMP_ERR_LOCK (another sync holds the lock); SMP_ERR_IO;
 * SMP_ERR_NOMEM.  On any error the old copy and state are kept.
 */
smp_status smp_directory_sync(const char *config_path, unsigned flags, smp_sync **out,
                              smp_diags **diags);
/* Fill *out from sync.  SMP_OK, or SMP_ERR_ARG (NULL, or an out->size
 * the library does not know). */
smp_status smp_sync_info(const smp_sync *sync, struct smp_sync_info *out);
/* The i-th void record of the copy: its entry's DN, and *why its first
 * fault; NULL past the last (and for a sync that found the directory
 * unchanged: the sync that made the copy named them). */
const char *smp_sync_void(const smp_sync *sync, size_t i, const char **why);
void smp_sync_free(smp_sync *sync);

/* ---- the health of a machine's records (smpolicy status) ---- */

/* What is known of a directory-sourced configuration's syncs.  Strings
 * are owned by the smp_sync_report they came from; NULL when unknown.
 * Filled by smp_sync_report_info(): set size first. */
struct smp_sync_status {
	size_t size;                /* sizeof(struct smp_sync_status) */
	const char *uri, *base;     /* the settings' ldap.uri and ldap.base */
	const char *copy_dir;       /* ldap.copy_dir */
	int64_t max_offline;        /* ldap.max_offline, seconds */
	bool synced;                /* a good sync is recorded (copy_dir/state) */
	int64_t synced_at;          /* the last good sync: when it asked the directory */
	const char *synced_uri;     /* and which server it read */
	const char *copy;           /* the current copy's smpolicy.conf */
	bool has_records;           /* records is known (recorded by the sync) */
	size_t records;             /* entries of the last good sync (as smp_sync_info) */
	bool attempted;             /* a sync attempt is recorded (copy_dir/last-attempt) */
	int64_t attempted_at;       /* the last attempt, success or failure */
	bool attempt_ok;
	const char *attempt_uri;
	const char *attempt_error;  /* its first error when it failed, else NULL */
	size_t void_records;        /* records the current copy holds void (0 when
	                               never synced): each named by that sync */
};

typedef struct smp_sync_report smp_sync_report;

/*
 * Read what the syncs of config_path (NULL: SMP_DEFAULT_CONFIG) have
 * recorded: the settings' ldap group, copy_dir/state (the last good sync)
 * and copy_dir/last-attempt (the last sync that could write copy_dir,
 * success or failure, with its first error), each checked as the copy is
 * (root's, readable by root and one group only).  Reads no network and
 * changes nothing.  Never synced, or no attempt recorded, is SMP_OK with
 * synced or attempted false.  flags: SMP_NO_FLAGS.
 * Returns SMP_OK and *out (free with smp_sync_report_free); SMP_ERR_ARG
 * (the settings name files; no directory; any flag), SMP_ERR_PARSE, SMP_ERR_IO,
 * SMP_ERR_INSECURE (with *diags naming the file), SMP_ERR_NOMEM.
 */
smp_status smp_sync_report_read(const char *config_path, unsigned flags, smp_sync_report **out,
                                smp_diags **diags);
/* Fill *out from report.  SMP_OK, or SMP_ERR_ARG (NULL, or an out->size
 * the library does not know). */
smp_status smp_sync_report_info(const smp_sync_report *report, struct smp_sync_status *out);
void smp_sync_report_free(smp_sync_report *report);

/*
 * What smp_policy_load_for() would make of the login store of config_path
 * (NULL: SMP_DEFAULT_CONFIG; for a directory-sourced one, of its current
 * copy) in store_dir (NULL: SMP_DEFAULT_STORE_DIR) now, for any user:
 * SMP_CACHE_USED (fresh), SMP_CACHE_ABSENT, SMP_CACHE_STALE (compiled
 * from other files, or by another build), SMP_CACHE_REJECTED (insecure,
 * unreadable or damaged: *diags says why).  The time zone is not compared
 * (a store holds it per person), into *state.  *path (when not NULL)
 * receives the store's file name (free with smp_free()), or NULL.
 * *state is SMP_CACHE_OFF when store_dir is "" or memory runs out.
 * flags: SMP_NO_FLAGS.  Returns SMP_OK, or SMP_ERR_ARG (state NULL, any
 * flag).
 */
smp_status smp_policy_store_check(const char *config_path, const char *store_dir,
                                  unsigned flags, smp_cache_state *state, char **path,
                                  smp_diags **diags);

#ifdef __cplusplus
}
#endif

#endif /* SMPOLICY_H */
