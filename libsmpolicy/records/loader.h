/*
 * loader.h - shared by the files of records/ that read a policy's entries
 * (load.c, entries.c, tenure.c, signatures.c), on top of the files reader
 * (sources/tree.h).  Not installed.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef SMP_LOADER_H
#define SMP_LOADER_H

#include "records/records.h"
#include "sources/tree.h"

/* ---- entries.c -------------------------------------------------------- */

void load_platforms(struct loader *L);

/* ---- tenure.c --------------------------------------------------------- */

/* A role's bit (ROLE_*), or 0 for a name that is none. */
unsigned role_bit(const char *name);
/* s's `held` (m): its tenures into s->held; a fault voids s. */
void parse_held(struct loader *L, const config_setting_t *m, const char *what,
                struct staff *s);

void load_offices(struct loader *L);
void load_records(struct loader *L);

#endif /* SMP_LOADER_H */
