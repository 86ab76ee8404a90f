/*
 * policy.c - smp_policy_load(): the policy from its compiled cache when
 * that is fresh, otherwise from the records (records/load.c); and the
 * policy's lifetime.  The cache and the records reader know nothing of
 * each other: this file chooses between them.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "directory.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* How far ahead of this host's clock a sync may say it was made before
 * the copy is distrusted (a clock set back would otherwise keep a copy
 * "fresh" for as long as it was set back). */
#define SYNC_CLOCK_SKEW 300

static smp_status files_load(const char *config_path, unsigned flags, smp_policy **out,
                             smp_diags **diags, bool *directory);

static smp_status offline(smp_diags *d, const struct ldap_settings *ls,
                          const struct ldap_state *st, int64_t now)
{
	char when[40];

	if (smp_time_format(st->synced, when, sizeof(when)) == NULL)
		snprintf(when, sizeof(when), "@%lld", (long long)st->synced);
	if (st->synced > now + SYNC_CLOCK_SKEW)
		diags_add(d, ls->config_path, 0, SMP_SEV_ERROR, NULL,
		          "the local copy of the directory says it was synced at %s from %s, "
		          "later than this host's clock: deciding nothing until the clock is "
		          "right and `smpolicy sync` succeeds", when, st->uri);
	else
		diags_add(d, ls->config_path, 0, SMP_SEV_ERROR, NULL,
		          "the records were last synced at %s from %s (%s), %lld s ago, more "
		          "than ldap.max_offline (%lld s): deciding nothing until `smpolicy "
		          "sync` succeeds", when, st->uri, st->base, (long long)(now - st->synced),
		          (long long)ls->max_offline);
	return SMP_ERR_OFFLINE;
}

bool directory_synced_lately(const struct ldap_settings *ls, const struct ldap_state *st,
                             int64_t now)
{
	return now - st->synced <= ls->max_offline && st->synced <= now + SYNC_CLOCK_SKEW;
}

/* The policy of a settings file with settings.source = "ldap": its local
 * copy (smpolicy-ldap(5)), loaded as a files world (its compiled cache beside
 * it), and only while the last good sync is within max_offline. */
static smp_status directory_load(const char *config_path, unsigned flags, smp_policy **out,
                                 smp_diags **diags)
{
	struct ldap_settings ls;
	struct ldap_state st;
	smp_diags *d = diags_new();
	smp_status rc;
	bool is_ldap = false, again = false;
	int64_t now = (int64_t)time(NULL);

	if (d == NULL)
		return SMP_ERR_NOMEM;
	rc = ldap_settings_read(config_path, flags, &is_ldap, &ls, d);
	if (rc == SMP_OK && !is_ldap) {
		/* it changed under us; read it as the files it now names */
		smp_diags_free(d);
		return files_load(config_path, flags, out, diags, &again);
	}
	if (rc == SMP_OK) {
		rc = ldap_state_read(ls.copy_dir, flags, &st, d);
		if (rc == SMP_ERR_NOTFOUND) {
			diags_add(d, ls.config_path, 0, SMP_SEV_ERROR, NULL,
			          "the records of %s (%s) were never synced into %s: run `smpolicy "
			          "sync`", ls.uri, ls.base, ls.copy_dir);
			rc = SMP_ERR_OFFLINE;
		} else if (rc == SMP_OK) {
			if (!directory_synced_lately(&ls, &st, now))
				rc = offline(d, &ls, &st, now);
			else
				rc = files_load(st.copy, flags | SMP_LOAD_PRIVATE, out, diags, &again);
			/* directory_synced_lately() holds up to synced + max_offline */
			if (rc == SMP_OK && *out != NULL)
				(*out)->login.expires = st.synced + ls.max_offline + 1;
			ldap_state_free(&st);
		}
		ldap_settings_free(&ls);
	}
	if (rc == SMP_OK && again) {
		/* the copy names a directory: sync never writes that */
		diags_add(d, config_path, 0, SMP_SEV_ERROR, NULL,
		          "the directory's local copy is itself a directory-sourced configuration");
		rc = SMP_ERR_PARSE;
	}
	if (rc == SMP_OK && d->oom)
		rc = SMP_ERR_NOMEM;
	if (diags != NULL && smp_diags_count(d) > 0 && !diags_merge(diags, d))
		rc = SMP_ERR_NOMEM;
	smp_diags_free(d);
	if (rc != SMP_OK) {
		smp_policy_free(*out);
		*out = NULL;
	}
	return rc;
}

smp_status smp_policy_load(const char *config_path, unsigned flags, smp_policy **out,
                           smp_diags **diags)
{
	if (diags != NULL)
		*diags = NULL;
	if (out != NULL)
		*out = NULL;
	if (out == NULL || !flags_ok(flags, SMP_LOAD_FLAGS))
		return SMP_ERR_ARG;
	return policy_load(config_path, flags, out, diags);
}

smp_status policy_load(const char *config_path, unsigned flags, smp_policy **out,
                       smp_diags **diags)
{
	bool directory = false;
	smp_status rc;

	if (diags != NULL)
		*diags = NULL;
	*out = NULL;
	if (config_path == NULL)
		config_path = SMP_DEFAULT_CONFIG;
	rc = files_load(config_path, flags, out, diags, &directory);
	if (rc == SMP_OK && directory)
		rc = directory_load(config_path, flags, out, diags);
	return rc;
}

/* A files world: its compiled cache when fresh, else the records.  *directory
 * is set (and nothing loaded) when the settings file names the directory. */
static smp_status files_load(const char *config_path, unsigned flags, smp_policy **out,
                             smp_diags **diags, bool *directory)
{
	smp_cache_state state = SMP_CACHE_OFF;
	smp_diags *cd = NULL;
	smp_status rc;

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
	rc = policy_load_files(config_path, flags, NULL, NULL, out, diags, directory);
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
	arena_release(&p->sigmem);
	arena_release(&p->mem);
	free(p);
}
