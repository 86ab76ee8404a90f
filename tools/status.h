/*
 * status.h - smpolicy status, and the metrics file of smpolicy sync.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef SMP_TOOLS_STATUS_H
#define SMP_TOOLS_STATUS_H

/* Exit status in the monitoring plugins' convention: 0 OK, 1 WARNING,
 * 2 CRITICAL, 3 UNKNOWN (a usage error, or the check itself failed). */
int cmd_status(const char *config, unsigned flags, int argc, char **argv);

/* Write the node_exporter textfile of config's syncs to file atomically:
 * 0, or 2 with the reason on standard error. */
struct sync_outcome;
/* this_sync (when not NULL and done) adds how that sync read the directory. */
int write_metrics(const char *config, unsigned flags, const char *file,
                  const struct sync_outcome *this_sync);

#endif
