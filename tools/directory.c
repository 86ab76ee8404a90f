/*
 * directory.c - smpolicy sync and smpolicy check --online: thin callers
 * of smp_directory_sync(), which does the reading, validating and
 * writing; this file presents its result.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "directory.h"
#include "output.h"
#include "smpolicy.h"

#include <stdio.h>

/* The sync (or check), its diagnostics printed; the exit status: 1 for
 * errors of the records (structural, or any with a check), 2 for every
 * other failure; *warnings, how many warnings were printed. */
static smp_status run(const char *config, unsigned flags, smp_sync **out, int *exit_status,
                      size_t *warnings)
{
	smp_diags *d = NULL;
	smp_status st = smp_directory_sync(config, flags, out, &d);

	print_diags(stderr, d);
	if (st != SMP_OK && smp_diags_errors(d) == 0) {
		fputs("smpolicy: ", stderr);
		print_escaped(stderr, config);
		fprintf(stderr, ": %s\n", smp_status_string(st));
	}
	*exit_status = st == SMP_OK ? (smp_diags_errors(d) > 0) : st == SMP_ERR_PARSE ? 1 : 2;
	*warnings = smp_diags_count(d) - smp_diags_errors(d);
	if (st == SMP_ERR_PARSE) {
		fputs("smpolicy: ", stderr);
		print_escaped(stderr, config);
		fprintf(stderr, ": %zu error%s%s\n", smp_diags_errors(d),
		        smp_diags_errors(d) == 1 ? "" : "s",
		        flags & SMP_SYNC_CHECK_ONLY ? "" : ": the local copy is unchanged");
	}
	smp_diags_free(d);
	return st;
}

static void print_source(FILE *f, const struct smp_sync_info *i)
{
	print_escaped(f, i->uri);
	fputc(' ', f);
	print_escaped(f, i->base);
}

int cmd_sync(const char *config, unsigned load_flags, bool *changed)
{
	struct smp_sync_info info;
	smp_sync *s = NULL;
	char when[40];
	size_t warnings;
	int status;

	if (run(config, load_flags, &s, &status, &warnings) != SMP_OK)
		return status;
	smp_sync_info(s, &info);
	*changed = info.changed;
	if (smp_time_format(info.synced, when, sizeof(when)) == NULL)
		when[0] = '\0';
	fputs(info.changed ? "synced: " : "unchanged: ", stdout);
	print_source(stdout, &info);
	printf(info.changed ? " -> " : " has not changed since the last sync; ");
	print_escaped(stdout, info.copy);
	printf(" (%zu records%s) at %s\n", info.records, warnings ? ", with warnings" : "", when);
	smp_sync_free(s);
	return 0;
}

int cmd_check_online(const char *config, unsigned load_flags)
{
	struct smp_sync_info info;
	smp_sync *s = NULL;
	size_t warnings;
	int status;

	if (run(config, load_flags | SMP_SYNC_CHECK_ONLY, &s, &status, &warnings) != SMP_OK)
		return status;
	smp_sync_info(s, &info);
	if (status == 0) {
		fputs("OK: ", stdout);
		print_source(stdout, &info);
		printf(": %zu records%s\n", info.records, warnings ? " (with warnings)" : "");
	} else {
		fputs("smpolicy: ", stderr);
		print_source(stderr, &info);
		fputs(": the directory holds errors\n", stderr);
	}
	smp_sync_free(s);
	return status;
}
