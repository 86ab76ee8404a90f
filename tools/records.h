/*
 * records.h - the record commands of smpolicy (request, sign, revoke,
 * account, log): the manual's procedures carried out on the records.
 *
 * Each takes the settings file and the load flags from the global options,
 * and argc/argv with argv[0] the command's name; it parses the rest with
 * getopt_long and returns the exit status: 0 done, 1 refused (the records
 * are unchanged), 2 usage, configuration, lock or I/O error.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef SMP_RECORDS_H
#define SMP_RECORDS_H

int cmd_request(const char *config, unsigned load_flags, int argc, char **argv);
int cmd_sign(const char *config, unsigned load_flags, int argc, char **argv);
int cmd_revoke(const char *config, unsigned load_flags, int argc, char **argv);
int cmd_account(const char *config, unsigned load_flags, int argc, char **argv);
int cmd_log(const char *config, unsigned load_flags, int argc, char **argv);

#endif
