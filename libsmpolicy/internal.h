/*
 * internal.h - the loaded policy's data structures, shared by the library's
 * files and by its own tests.  Not installed.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef SMP_INTERNAL_H
#define SMP_INTERNAL_H

#include "smpolicy.h"
#include "smpolicy_testing.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#define SMP_TIME_MIN INT64_MIN
#define SMP_TIME_MAX INT64_MAX
#define SMP_MAX_FILE_SIZE (64u * 1024u * 1024u)  /* larger records are refused */
#define SMP_MAX_ID_LEN 128
/* A load flag of the library's own: the files read must not be readable
 * by others either (the directory's local copy, its state, its login
 * store: records the directory shows to its readers only). */
#define SMP_LOAD_PRIVATE (1u << 29)

/* smp_policy_load() without the entry check of its flags: the library's
 * own callers pass SMP_LOAD_PRIVATE too. */
smp_status policy_load(const char *config_path, unsigned flags, smp_policy **out,
                       smp_diags **diags);

/* The entry check of a public function's flags: the bits of its own set
 * (SMP_LOAD_FLAGS ...) and the tests' SMP_LOAD_ALLOW_NONROOT, nothing else
 * (not even the library's own SMP_LOAD_PRIVATE). */
static inline bool flags_ok(unsigned flags, unsigned allowed)
{
	return (flags & ~(allowed | SMP_LOAD_ALLOW_NONROOT)) == 0;
}

/* The entry check of a struct the caller sized: the sizes this library
 * knows (one today; an older size, once a field is added, is filled up to
 * its own end). */
#define SIZE_OK(p) ((p) != NULL && (p)->size == sizeof(*(p)))

#include "base/base.h"

/* ---- the records ------------------------------------------------------ */

enum role_bits {
	ROLE_WORKER = 1u << 0,
	ROLE_SUPERVISOR = 1u << 1,
	ROLE_LOM = 1u << 2,          /* local_office_manager */
	ROLE_DIRECTOR_CPP = 1u << 3,
	ROLE_DIRECTOR_IT = 1u << 4
};

struct where {
	const char *file;
	unsigned line;
};

struct platform {
	char *id, *name;
	char **domains;            /* NULL-terminated */
	bool mobile_only;
	bool private_messaging;    /* non-public messaging exists (default true) */
	struct where at;
};

struct office {
	char *id, *name, *kind;    /* kind: "local" or "area" */
	struct where at;
	uint32_t *approvals;       /* approvals of its staff, sorted by rank */
	size_t napprovals;
};

/* A moment that may be absent. */
struct opt_time {
	bool set;
	int64_t t;
};

/* One period a role was (or is) held: a staff member's `held` entry. */
struct tenure {
	unsigned role;             /* one ROLE_* bit */
	uint32_t office;           /* where, for local_office_manager; NONE: the
	                              person's office */
	int64_t from, until;       /* [from, until); until SMP_TIME_MAX: still held */
};

struct staff {
	char *id, *name;
	uint32_t office;           /* NONE if none */
	unsigned roles;            /* held now; one without a dated tenure in
	                              held counts as held at every date before */
	struct tenure *held;       /* the roles' dated tenures, file order */
	size_t nheld;
	struct opt_time left;      /* left the agency: no user, no role from then */
	uint32_t supervisor;       /* NONE if none */
	struct where at;
	uint32_t *approvals;       /* file order */
	size_t napprovals;
	uint32_t *accounts;        /* held, file order */
	size_t naccounts;
	struct pick *by_platform;  /* its approvals grouped by platform, file order in each */
	uint32_t *platform_start;  /* nplatforms + 1 offsets into by_platform */
	char *void_why;            /* the entry's own fault, NULL if none: a void
	                              record is known by its id but allows nothing */
};

/* One entry of a staff member's per-platform list of approvals, with what a
 * decision needs to pass over an approval without reading it (docs/PERFORMANCE.md: the
 * approvals themselves, scattered over the arena, would be half a decision's
 * cache misses).  The approval can hold at t (SMP_STATE_VALID or
 * SMP_STATE_OVER_CAP) only if from <= t and (t < to or to == SMP_TIME_MAX);
 * otherwise only when it started matters.  Filled by policy_derive. */
struct pick {
	int64_t from, to;          /* the approval's valid interval */
	int64_t started;           /* approval_started_at() */
	uint32_t approval;
};

enum device_kind { DEV_WORKSTATION, DEV_MOBILE };

struct device {
	char *id;
	enum device_kind kind;
	bool dcf_owned;
	uint32_t office;           /* NONE if none */
	uint32_t *apps;            /* platform indexes */
	size_t napps;
	struct where at;
	char *void_why;            /* as a staff member's */
};

struct account {
	char *id, *handle;
	uint32_t platform;
	uint32_t holder;
	bool official, personal_info;
	uint32_t supervisor;       /* NONE if none */
	struct opt_time password_changed, password_escrowed;
	struct opt_time compromised_reported, compromised_resolved;
	struct where at;
	char *void_why;            /* as a staff member's; platform and holder may
	                              then be NONE */
};

/* A signature on a sign-off or a revocation and what the load's check
 * (records/signatures.c) made of it. */
enum sig_state {
	SIG_UNCHECKED = 0,   /* not asked for (require_signatures off, none given) */
	SIG_VALID,
	SIG_MISSING,
	SIG_INVALID
};

struct sig {
	char *value;         /* base64, as written; NULL if none */
	char *why;           /* SIG_MISSING, SIG_INVALID: the reason */
	unsigned char state; /* enum sig_state */
};

/* An approval's signatures: [SIG_CPP], [SIG_IT], [SIG_REVOKED]. */
struct approval_sigs {
	struct sig s[3];
};

struct sign_off {
	bool present;
	uint32_t by;               /* NONE when absent names the author */
	char *absent;              /* the author's id when no staff entry has it */
	int64_t on;
	struct where at;
};

struct interval {
	int64_t from, to;          /* [from, to) */
};

enum approval_kind { KIND_LONG_TERM, KIND_LIMITED };

struct approval {
	char *id;
	uint32_t staff;
	enum approval_kind kind;
	uint32_t *platforms;
	size_t nplatforms;
	const char **platform_ids; /* NULL-terminated, for smp_approval_info */
	char *ticket;              /* NULL if none */
	uint32_t requested_by;     /* NONE if none or not in the records */
	char *requested_absent;    /* requested_by's id when no staff entry has it */
	struct opt_time requested;
	struct sign_off cpp, it;
	struct opt_time starts, expires;   /* expires: exclusive end */
	struct {
		bool present;
		int64_t on;
		uint32_t by;
		char *by_absent;   /* by's id when no staff entry has it */
		char *reason;
	} revoked;
	struct where at;

	/* derived after load (validate.c) */
	char *invalid_why;         /* procedural fault, NULL if none */
	bool is_void;              /* a fault of the entry itself: invalid_why
	                              names it, and the procedure is not judged */
	bool capped;               /* counts toward (and is subject to) the cap */
	int64_t rank_time;         /* the second sign-off; SMP_TIME_MAX if unsigned */
	int64_t start;             /* effective start; SMP_TIME_MIN if unknown */
	int64_t end;               /* effective lapse (exclusive); SMP_TIME_MAX if none */
	bool capped_at_max;        /* end was cut to starts + long_term_max_days */
	struct interval valid;     /* when it holds before the cap; empty: from >= to */
	struct interval *over_cap; /* sorted, disjoint */
	size_t nover_cap;
};

struct settings {
	int max_per_office;
	bool cap_long_term_only;
	unsigned max_line, cap_counts_line;   /* where the two were set in the
	                                         settings file, 0 if not */
	int warn_days;
	int long_term_max_days;
	char *audit;               /* absolute path */
	char **device_domains;     /* lower case, no dot at either end; NULL-ended,
	                              NULL when none: no DNS name is a device's */
	char *time_zone;           /* settings.time_zone, NULL: the process's TZ */
	bool require_signatures;   /* an approval grants only with both signatures */
	char *signers;             /* signers.conf (absolute), NULL when not read */
};

/* One record the load voided: a fault of that entry alone (records.c's
 * scoped faults), which smpolicy check reports and sync counts. */
struct void_record {
	struct where at;           /* the fault's own line */
	char *subject;             /* the record's id, NULL if it has none */
	char *why;
};

struct smp_policy {
	struct arena mem;
	/* The signatures and their verdicts, [napprovals] in an arena of their
	 * own: a parse has them (the check, `smpolicy verify`); an image (the
	 * compiled cache, the login store) has only the verdicts folded into
	 * each approval's invalid_why, and sigs NULL.  The statewide world's
	 * signatures are 12 MB of text. */
	struct arena sigmem;
	struct approval_sigs *sigs;
	char *config_path;
	char **records_paths;
	size_t nrecords;
	struct settings set;

	struct platform *platforms; size_t nplatforms; struct idmap platform_ix;
	struct office *offices;     size_t noffices;   struct idmap office_ix;
	struct staff *staff;        size_t nstaff;     struct idmap staff_ix;
	struct device *devices;     size_t ndevices;   struct idmap device_ix;
	struct account *accounts;   size_t naccounts;  struct idmap account_ix;
	struct approval *approvals; size_t napprovals; struct idmap approval_ix;
	struct void_record *voids;  size_t nvoids;     /* in the order met */
	/* the zone of set.time_zone, read from its TZif file into mem by the
	 * load (or by image_adopt() for a compiled policy); never in an image */
	const struct tz *tz;

	/* What the compiled cache (cache.c) needs of the load that made the
	 * policy: it is fresh only for files of exactly these bytes, read
	 * under a zone that answers exactly so. */
	struct digest *digests;     /* of [0] smpolicy.conf, [1 + i] records_paths[i],
	                               then set.signers if read (policy_source()) */
	struct zone_obs *zone;      /* the zone's answers its local times took, by t */
	size_t nzone;
	char *cache_path;           /* "<config_path>.cache" */
	smp_cache_state cache;      /* what this load made of the cache */

	/* What only a load says, never an image (image_adopt() clears it). */
	struct {
		/* a policy from the login store (store.c) holds the records of
		 * one person and one device and answers for no one else: both
		 * set, in the arena; NULL in a policy of all the records */
		char *only_user, *only_device;
		bool looked;            /* smp_policy_load_for() looked at the store: */
		smp_cache_state store;  /* what it made of it */
		/* signatures were asked for and this program cannot verify
		 * them (no crypto library linked in): neither the compiled
		 * cache nor the login store may be written from it */
		bool sig_unverified;
		/* a directory's local copy (policy.c): the first moment its
		 * sync is older than ldap.max_offline; 0 for records files */
		int64_t expires;
	} login;
};

/* A file's XXH3-128. */
struct digest {
	uint64_t lo, hi;
};

/* The files a policy was loaded from: smpolicy.conf, the records files,
 * signers.conf when read. */
static inline size_t policy_nsources(const smp_policy *p)
{
	return p->nrecords + 1 + (p->set.signers != NULL);
}

static inline const char *policy_source(const smp_policy *p, size_t i)
{
	return i == 0 ? p->config_path : i <= p->nrecords ? p->records_paths[i - 1] : p->set.signers;
}

/* The id of an author (a requester, a signer, a revoker): the staff
 * entry's when it is in the records, else the id the approval names. */
static inline const char *author_id(const smp_policy *p, uint32_t by, const char *absent)
{
	return by != NONE ? p->staff[by].id : absent;
}

/* What the folders above base/ define is declared in their own headers:
 * sources/file_secure.h, records/records.h, policy/policy.h. */

struct time_log;

/* time.c */

/* One answer of the process's zone: localtime_r(t), as the UTC offset and
 * the clock it gives (its fields read as if UTC); clock INT64_MIN when
 * there was no answer.  A load writes down every answer its local times
 * took, so that the compiled cache can tell whether the zone of the
 * process that reads it would give the same instants (cache.c). */
struct zone_obs {
	int64_t t;
	int64_t clock;
	int64_t gmtoff;
};

/* zone.c: a zone of the tz database, read from its TZif file. */
struct tz;
/* Is name a zone's name: letters, digits, '/', '_', '-', '+', no "..",
 * not absolute? */
bool zone_name_ok(const char *name);
/* Read /usr/share/zoneinfo/name into a (a root-owned file only root may
 * write): SMP_OK and *out; SMP_ERR_PARSE with why; SMP_ERR_NOMEM. */
smp_status zone_load(const char *name, struct arena *a, const struct tz **out, char *why,
                     size_t nwhy);
/* The zone of a TZif file's n bytes, into a: NULL and *out, or why not
 * ("" on OOM). */
const char *zone_parse(const void *bytes, size_t n, struct arena *a, const struct tz **out);
/* The zone's UTC offset at t, seconds east. */
int32_t zone_offset(const struct tz *z, int64_t t);

struct time_log {
	const struct tz *tz;   /* the zone local times are read in; NULL: the
	                          process's (localtime_r) */
	bool quiet;            /* answers are not written down */
	struct zone_obs *v;    /* malloc'd; one answer per t, in the order asked */
	size_t n, cap;
	uint32_t *index;       /* malloc'd: 1 + the place in v of each t, by hash */
	size_t mask;
	bool oom;              /* an answer could not be written down */
};

void time_log_free(struct time_log *log);
/* True if the zone (tz, or the process's when NULL) answers each of
 * v[0..n) as it did. */
bool time_log_holds(const struct tz *tz, const struct zone_obs *v, size_t n);
/* smp_time_parse and smp_time_format in zone tz (NULL: the process's). */
smp_status time_parse_tz(const struct tz *tz, const char *text, smp_time_edge edge,
                         int64_t *out);
char *time_format_tz(const struct tz *tz, int64_t t, char *buf, size_t size);

/* Calendar days later, local time; the zone's answers go to log if not
 * NULL. */
int64_t time_add_days(int64_t t, int days, struct time_log *log);
/* smp_time_parse for the loader: the same results, with a memo of the local
 * days met (one load, one TZ), so that a day with a single UTC offset costs
 * a few localtime_r calls once, and each time read on it none. */
struct time_memo_day;
struct time_memo {
	struct time_memo_day *slot;
	size_t mask, n;
	struct time_log *log;  /* if not NULL, receives the zone's answers */
};
smp_status time_parse_memo(struct time_memo *m, const char *text, smp_time_edge edge,
                           int64_t *out);
void time_memo_free(struct time_memo *m);

/* time.c: write down the zone's answer at t in log (a login store's slice
 * keeps the answers its moments take; store.c). */
void time_log_ask(struct time_log *log, int64_t t);

#endif /* SMP_INTERNAL_H */
