/*
 * file_secure.h - the files reader (file_secure.c): a file read, opened or
 * digested only when root owns it and no one else may change it.  Not
 * installed.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef SMP_SOURCES_FILE_SECURE_H
#define SMP_SOURCES_FILE_SECURE_H

#include "internal.h"

/* Read path securely (owner, mode, folder, size, no NUL, no directives);
 * read_from, if not NULL, is read instead but checked and reported as path. */
smp_status file_read_secure(const char *path, const char *read_from, unsigned flags,
                            char **out, size_t *len, smp_diags *d);

/* Open path as file_read_secure() does (owner, mode, folder, links, a
 * regular file of at most limit bytes) and return the open descriptor
 * and its status. */
smp_status file_open_secure(const char *path, unsigned flags, uint64_t limit, int *fd,
                            struct stat *st, smp_diags *d);
/* The digest of the file at path, opened with file_open_secure() (*st
 * receives its status). */
smp_status file_digest_secure(const char *path, unsigned flags, struct digest *out,
                              struct stat *st, smp_diags *d);
/* The absolute spelling of a settings file's path the loader uses
 * (malloc'd; NULL with errno set). */
char *config_path_absolute(const char *path);
void digest_of(const void *data, size_t len, struct digest *out);

#endif /* SMP_SOURCES_FILE_SECURE_H */
