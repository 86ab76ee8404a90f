/*
 * policy.h - the policy folder's own declarations for the folders above
 * it (sync/, edit/) and its tests.  Not installed.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef SMP_POLICY_POLICY_H
#define SMP_POLICY_POLICY_H

#include "sources/source.h"

/* The policy of src by the reader of its kind (policy.c's table), the
 * settings file not read again to choose it.  state is what the compiled
 * cache of src's settings file said (SMP_CACHE_OFF: not asked), kept in
 * the policy a files world loads.  SMP_OK always with *out set; anything
 * else with *out NULL and *diags saying why. */
smp_status policy_load_source(const struct smp_source *src, unsigned flags,
                              smp_cache_state state, smp_policy **out, smp_diags **diags);

#endif /* SMP_POLICY_POLICY_H */
