/*
 * faults.h - an approval's procedural faults (faults.c), for the load's
 * derivation and for smp_policy_check() (validate.c).  Private to records/.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef SMP_FAULTS_H
#define SMP_FAULTS_H

#include "records/records.h"

/* The faults found, "; "-separated, cut at the buffer's end. */
struct why {
	char buf[1024];
	size_t len;
};

void why_add(struct why *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* a's procedural faults into w (its signatures' own verdicts aside). */
void find_faults(const smp_policy *p, const struct approval *a, struct why *w);

/* A time for a message, in the policy's zone ("(no end)" for none). */
void policy_fmt_time(const smp_policy *p, int64_t t, char *buf, size_t n);

#endif
