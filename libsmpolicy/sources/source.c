/*
 * source.c - the one place that reads which source a settings file names
 * (settings.source, smpolicy.conf(5)); everything else dispatches on the
 * struct smp_source made here, so a settings file is never read twice to
 * decide the same question (and cannot answer it differently in between).
 * A files world's settings file is parsed here once: the records loader
 * takes this parse (struct smp_source.settings) rather than its own.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "sources/source.h"
#include "sources/tree.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The kinds by their name in settings.source; a new source is one line. */
static const char *const kind_names[SOURCE__COUNT] = {
	[SOURCE_FILES] = "files",
	[SOURCE_LDAP] = "ldap",
};

const char *source_name(enum source_kind kind)
{
	return (unsigned)kind < SOURCE__COUNT ? kind_names[kind] : "?";
}

bool source_kind_of(const char *name, enum source_kind *kind)
{
	for (unsigned k = 0; k < SOURCE__COUNT; k++)
		if (strcmp(name, kind_names[k]) == 0) {
			*kind = (enum source_kind)k;
			return true;
		}
	return false;
}

smp_status source_read(const char *config_path, unsigned flags, struct smp_source *out,
                       smp_diags *d)
{
	bool is_ldap = false;
	smp_status rc;

	memset(out, 0, sizeof(*out));
	if (config_path == NULL)
		config_path = SMP_DEFAULT_CONFIG;
	/* one parse: ldap_settings_read() tells the kind from the same tree
	 * it takes the directory's settings from */
	rc = ldap_settings_read(config_path, flags, &is_ldap, &out->ldap, &out->settings, d);
	if (rc != SMP_OK)
		return rc;
	out->kind = is_ldap ? SOURCE_LDAP : SOURCE_FILES;
	out->config_path = config_path_absolute(config_path);
	if (out->config_path == NULL) {
		if (errno == ENOMEM)
			return SMP_ERR_NOMEM;
		diags_add(d, config_path, 0, SMP_SEV_ERROR, NULL,
		          "cannot resolve a relative path: %s", strerror(errno));
		return SMP_ERR_IO;
	}
	return SMP_OK;
}

void source_free(struct smp_source *s)
{
	if (s == NULL)
		return;
	ldap_settings_free(&s->ldap);
	source_drop(s->settings);
	free(s->config_path);
	memset(s, 0, sizeof(*s));
}
