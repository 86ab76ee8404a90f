/*
 * source.h - where the records come from, read once from the settings
 * file (source.c) and dispatched on by every reader and writer of the
 * records: the loader (policy/policy.c, policy/store_read.c), the sync
 * (sync/directory.c) and the record commands (edit/).  Not installed.
 *
 * A new kind of source adds a value here, its settings to struct
 * smp_source and one line to the table of kinds in source.c, then a reader
 * (the table of policy/policy.c) and a writer (the table of
 * edit/edit_source.c).  docs/ARCHITECTURE.md says the same at length.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef SMP_SOURCE_H
#define SMP_SOURCE_H

#include "sources/directory.h"

/* settings.source of smpolicy.conf(5) */
enum source_kind {
	SOURCE_FILES,   /* "files" (the default): the records are files named here */
	SOURCE_LDAP,    /* "ldap": the directory's, read from its local copy */
	SOURCE__COUNT
};

/* One description of the source, from one read of the settings file. */
struct smp_source {
	enum source_kind kind;
	char *config_path;           /* absolute, malloc'd */
	struct ldap_settings ldap;   /* SOURCE_LDAP only (else all zero) */
	struct source *settings;     /* SOURCE_FILES: the settings file as
	                                parsed here, for the files reader to
	                                take (sources/tree.h); NULL once taken */
};

/* Read config_path (NULL: SMP_DEFAULT_CONFIG) once and say which source
 * it names, with that source's settings.  A files world's own faults are
 * left to its loader (it reads the records anyway); a directory's settings
 * are checked here, at FILE:LINE in d.  SMP_OK; SMP_ERR_PARSE, _IO,
 * _INSECURE, _NOTFOUND (d says why); SMP_ERR_NOMEM.  *out is to be freed
 * with source_free() whatever the result. */
smp_status source_read(const char *config_path, unsigned flags, struct smp_source *out,
                       smp_diags *d);
void source_free(struct smp_source *s);

/* The name settings.source gives a kind ("files", "ldap"), and the kind
 * of a name (false: no such source). */
const char *source_name(enum source_kind kind);
bool source_kind_of(const char *name, enum source_kind *kind);

#endif /* SMP_SOURCE_H */
