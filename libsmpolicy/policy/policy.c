/*
 * policy.c - smp_policy_load(): the policy from its compiled cache when
 * that is fresh, otherwise from the records (records/load.c); and the
 * policy's lifetime.  The cache and the records reader know nothing of
 * each other: this file chooses between them.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "internal.h"

#include <stdlib.h>

smp_status smp_policy_load(const char *config_path, unsigned flags, smp_policy **out,
                           smp_diags **diags)
{
	smp_cache_state state = SMP_CACHE_OFF;
	smp_diags *cd = NULL;
	smp_status rc;

	if (diags != NULL)
		*diags = NULL;
	if (out == NULL)
		return SMP_ERR_ARG;
	*out = NULL;
	if (config_path == NULL)
		config_path = SMP_DEFAULT_CONFIG;
	if (!(flags & SMP_LOAD_NO_CACHE)) {
		char *abs = config_path_absolute(config_path);   /* NULL: the parse says why */

		cd = diags_new();
		if (cd == NULL) {
			free(abs);
			return SMP_ERR_NOMEM;
		}
		rc = abs != NULL ? cache_load(abs, flags, out, &state, cd) : SMP_OK;
		free(abs);
		if (rc != SMP_OK || *out != NULL) {
			smp_diags_free(cd);
			return rc;
		}
	}
	rc = policy_load_ex(config_path, flags, NULL, NULL, out, diags);
	if (*out != NULL)
		(*out)->cache = state;
	if (diags != NULL && smp_diags_count(cd) > 0 && !diags_merge(diags, cd))
		rc = SMP_ERR_NOMEM;
	smp_diags_free(cd);
	if (rc == SMP_ERR_NOMEM) {
		smp_policy_free(*out);
		*out = NULL;
	}
	return rc;
}

smp_cache_state smp_policy_cache_state(const smp_policy *p)
{
	return p != NULL ? p->cache : SMP_CACHE_OFF;
}

const char *smp_policy_cache_path(const smp_policy *p)
{
	return p != NULL ? p->cache_path : NULL;
}

void smp_policy_free(smp_policy *p)
{
	if (p == NULL)
		return;
	arena_release(&p->mem);
	free(p);
}
