/*
 * voids.c - the records a load voided (a fault of that entry alone): as
 * errors for smpolicy check, as warnings for everyone else.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "records/records.h"

/* Each void record's fault: an error of the records (check exits 1), though
 * the load stands, the record left out of every decision but its own. */
void check_voids(const smp_policy *p, smp_diags *d, smp_severity sev)
{
	for (size_t i = 0; i < p->nvoids; i++) {
		const struct void_record *v = &p->voids[i];

		diags_add(d, v->at.file, v->at.line, sev, v->subject,
		          "%s; the record is void (it allows nothing)", v->why);
	}
}

size_t smp_policy_void_count(const smp_policy *p)
{
	return p != NULL ? p->nvoids : 0;
}

smp_status smp_policy_voids(const smp_policy *p, smp_diags **out)
{
	smp_diags *d;

	if (out != NULL)
		*out = NULL;
	if (p == NULL || out == NULL)
		return SMP_ERR_ARG;
	if (p->nvoids == 0)
		return SMP_OK;
	d = diags_new();
	if (d == NULL)
		return SMP_ERR_NOMEM;
	check_voids(p, d, SMP_SEV_WARNING);
	if (d->oom) {
		smp_diags_free(d);
		return SMP_ERR_NOMEM;
	}
	diags_sort(d);
	*out = d;
	return SMP_OK;
}

