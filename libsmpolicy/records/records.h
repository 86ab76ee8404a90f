/*
 * records.h - what records/ defines for the folders above it (policy/,
 * decision/, sync/, edit/) and the tests: the loader of a files world and
 * what it derives.  Its own files share loader.h too.  Not installed.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef SMP_RECORDS_RECORDS_H
#define SMP_RECORDS_RECORDS_H

#include "sources/file_secure.h"

/* load.c */
/* smp_policy_load, with the records file records_path read from
 * records_from instead (the record editor validates a candidate so). */
smp_status policy_load_ex(const char *config_path, unsigned flags,
                          const char *records_path, const char *records_from,
                          smp_policy **out, smp_diags **diags);

/* policy_load_ex() for the files reader of smp_policy_load(): a settings
 * file whose settings.source names another source (it changed since the
 * source was read) is no error here but SMP_OK with *out NULL and
 * *directory true; the caller says why it loads nothing.  With settings
 * and *settings not NULL, *settings is config_path as parsed already (by
 * source_read(), with the same flags): it is taken (*settings becomes
 * NULL) instead of the file being read and parsed again. */
struct source;
smp_status policy_load_files(const char *config_path, unsigned flags,
                             const char *records_path, const char *records_from,
                             smp_policy **out, smp_diags **diags, bool *directory,
                             struct source **settings);
/* The records of config_path (files, no cache), each signature verified
 * at most once over the loads given the same memo (records/signatures.h). */
struct sig_memo;
smp_status policy_load_memo(const char *config_path, unsigned flags, struct sig_memo *memo,
                            smp_policy **out, smp_diags **diags);

/* validate.c: derive the effective periods, procedural faults and the cap
 * intervals.  Called once by the loader; false on OOM.  The zone's answers
 * go to log. */
bool policy_derive(smp_policy *p, struct time_log *log);

/* tenure.c: did s hold role at t (has_t false: now)?  *office: where.
 * ever_held: has s held it at all, by the records? */
bool held_at(const struct staff *s, unsigned role, bool has_t, int64_t t, uint32_t *office);
bool ever_held(const struct staff *s, unsigned role);
/* voids.c: each void record's fault into d, with severity sev. */
void check_voids(const smp_policy *p, smp_diags *d, smp_severity sev);

/* When an approval counts as started for "the latest started decides":
 * its stated start; without one, its request (or always, if it has none),
 * so that an approval awaiting its signatures reads as pending. */
int64_t approval_started_at(const struct approval *a);
/* The state of approval a at t, the cap included. */
smp_approval_state approval_state(const smp_policy *p, const struct approval *a, int64_t t);
/* True if a is over the cap at t; *next receives the next moment after t
 * at which that changes (SMP_TIME_MAX if never). */
bool approval_over_cap(const struct approval *a, int64_t t, int64_t *next);

#endif /* SMP_RECORDS_RECORDS_H */
