/*
 * sigcmd.h - smpolicy keygen and verify (sigcmd.c).
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef SMP_SIGCMD_H
#define SMP_SIGCMD_H

int cmd_keygen(int argc, char **argv);
int cmd_verify(const char *config, unsigned flags, int argc, char **argv);

#endif
