/*
 * export.h - smpolicy export: the files world as LDIF for a directory
 * (smpolicy-ldap(5), the migration path).
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef SMP_EXPORT_H
#define SMP_EXPORT_H

/* argv[0] is "export".  Exit status: 0 written, 1 refused (a value the
 * directory cannot hold, at its FILE:LINE), 2 usage, structural errors
 * (FILE:LINE), unreadable files or output. */
int cmd_export(const char *config, unsigned load_flags, int argc, char **argv);

#endif
