/*
 * policy.c - smp_policy_load(): the policy from its compiled cache when
 * that is fresh, otherwise from its source, read once (sources/source.c)
 * and handed to that source's reader in the table below.  The cache and
 * the records reader know nothing of each other: this file chooses
 * between them.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "policy/policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* The compiled cache of config_path when it is fresh (*out set), else
 * nothing loaded and *state saying why (SMP_CACHE_OFF when not asked). */
static smp_status cache_first(const char *config_path, unsigned flags, smp_policy **out,
                              smp_cache_state *state, smp_diags **diags)
{
	smp_diags *cd;
	char *abs;
	smp_status rc;

	*state = SMP_CACHE_OFF;
	if (flags & SMP_LOAD_NO_CACHE)
		return SMP_OK;
	abs = config_path_absolute(config_path);   /* NULL: the parse says why */
	cd = diags_new();
	if (cd == NULL) {
		free(abs);
		return SMP_ERR_NOMEM;
	}
	rc = abs != NULL ? cache_load(abs, flags, out, state, cd) : SMP_OK;
	free(abs);
	if (rc == SMP_OK && *out == NULL && diags != NULL && smp_diags_count(cd) > 0 &&
	    !diags_merge(diags, cd))
		rc = SMP_ERR_NOMEM;
	smp_diags_free(cd);
	return rc;
}

/* A files world by its settings file's path (the directory's local copy):
 * its compiled cache when fresh, else the records.  *directory is set (and
 * nothing loaded) when the settings file names the directory. */
static smp_status files_load(const char *config_path, unsigned flags, smp_policy **out,
                             smp_diags **diags, bool *directory)
{
	smp_cache_state state;
	smp_diags *cd = NULL;
	smp_status rc = cache_first(config_path, flags, out, &state, &cd);

	if (rc != SMP_OK || *out != NULL) {
		smp_diags_free(cd);
		return rc;
	}
	rc = policy_load_files(config_path, flags, NULL, NULL, out, diags, directory, NULL);
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

/* The reader of settings.source = "files": the records the settings file
 * names, the settings file itself taken as source_read() parsed it (a
 * source without that parse has it read again; should the file then name
 * another source, it changed after source_read() and nothing is loaded
 * from it). */
static smp_status files_read(struct smp_source *src, unsigned flags,
                             smp_cache_state state, smp_policy **out, smp_diags *d,
                             smp_diags **diags)
{
	bool named_other = false;
	smp_status rc = policy_load_files(src->config_path, flags, NULL, NULL, out, diags,
	                                  &named_other, &src->settings);

	if (rc == SMP_OK && named_other) {
		diags_add(d, src->config_path, 0, SMP_SEV_ERROR, NULL,
		          "the settings file changed while it was read (it named the records' "
		          "files, then another source): nothing was loaded; load it again");
		return SMP_ERR_IO;
	}
	if (*out != NULL)
		(*out)->cache = state;
	return rc;
}

/* The reader of settings.source = "ldap": the directory's local copy
 * (smpolicy-ldap(5)), loaded as a files world (its compiled cache beside
 * it), and only while the last good sync is within max_offline. */
static smp_status directory_read(struct smp_source *src, unsigned flags,
                                 smp_cache_state state, smp_policy **out, smp_diags *d,
                                 smp_diags **diags)
{
	const struct ldap_settings *ls = &src->ldap;
	struct ldap_state st;
	bool again = false;
	int64_t now = (int64_t)time(NULL);
	smp_status rc;

	(void)state;   /* the cache of the copy is its own, beside it */
	rc = ldap_state_read(ls->copy_dir, flags, &st, d);
	if (rc == SMP_ERR_NOTFOUND) {
		diags_add(d, ls->config_path, 0, SMP_SEV_ERROR, NULL,
		          "the records of %s (%s) were never synced into %s: run `smpolicy "
		          "sync`", ls->uri, ls->base, ls->copy_dir);
		return SMP_ERR_OFFLINE;
	}
	if (rc != SMP_OK)
		return rc;
	if (!directory_synced_lately(ls, &st, now))
		rc = offline(d, ls, &st, now);
	else
		rc = files_load(st.copy, flags | SMP_LOAD_PRIVATE, out, diags, &again);
	/* directory_synced_lately() holds up to synced + max_offline */
	if (rc == SMP_OK && *out != NULL)
		(*out)->login.expires = st.synced + ls->max_offline + 1;
	ldap_state_free(&st);
	if (rc == SMP_OK && again) {
		/* the copy names a directory: sync never writes that */
		diags_add(d, src->config_path, 0, SMP_SEV_ERROR, NULL,
		          "the directory's local copy is itself a directory-sourced configuration");
		rc = SMP_ERR_PARSE;
	}
	return rc;
}

/* The readers, by kind: a new source adds its own here. */
typedef smp_status source_reader(struct smp_source *src, unsigned flags,
                                 smp_cache_state state, smp_policy **out, smp_diags *d,
                                 smp_diags **diags);
static source_reader *const readers[SOURCE__COUNT] = {
	[SOURCE_FILES] = files_read,
	[SOURCE_LDAP] = directory_read,
};

smp_status policy_load_source(struct smp_source *src, unsigned flags,
                              smp_cache_state state, smp_policy **out, smp_diags **diags)
{
	smp_diags *d = diags_new();
	smp_status rc;

	if (diags != NULL)
		*diags = NULL;
	*out = NULL;
	if (d == NULL)
		return SMP_ERR_NOMEM;
	rc = (unsigned)src->kind < SOURCE__COUNT && readers[src->kind] != NULL
	     ? readers[src->kind](src, flags, state, out, d, diags) : SMP_ERR_ARG;
	if (rc == SMP_OK && *out == NULL)
		rc = SMP_ERR_ARG;   /* a reader that loads nothing never means "allow" */
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
	smp_cache_state state = SMP_CACHE_OFF;
	struct smp_source src;
	smp_diags *d;
	smp_status rc;

	if (diags != NULL)
		*diags = NULL;
	if (out == NULL)
		return SMP_ERR_ARG;
	*out = NULL;
	if (config_path == NULL)
		config_path = SMP_DEFAULT_CONFIG;
	/* a fresh compiled cache is of a files world whose every file, the
	 * settings file included, is as it was compiled */
	rc = cache_first(config_path, flags, out, &state, diags);
	if (rc != SMP_OK || *out != NULL)
		return rc;
	d = diags_new();
	if (d == NULL)
		return SMP_ERR_NOMEM;
	rc = source_read(config_path, flags, &src, d);
	if (rc == SMP_OK) {
		smp_diags *rd = NULL;

		rc = policy_load_source(&src, flags, state, out, &rd);
		if (smp_diags_count(rd) > 0 && !diags_merge(&d, rd))
			rc = SMP_ERR_NOMEM;
		smp_diags_free(rd);
	}
	source_free(&src);
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

smp_cache_state smp_policy_cache_state(const smp_policy *p)
{
	return p != NULL ? p->cache : SMP_CACHE_OFF;
}

const char *smp_policy_cache_path(const smp_policy *p)
{
	return p != NULL ? p->cache_path : NULL;
}
