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
#include <syslog.h>

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

/* s with control characters shown as '?', cut to fit out (for syslog). */
static const char *log_safe(const char *s, char *out, size_t n)
{
	size_t i = 0;

	for (; s != NULL && s[i] != '\0' && i + 1 < n; i++)
		out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	out[i] = '\0';
	return out;
}

/* The copy's void records: named on stdout and in syslog, where
 * monitoring looks; the exit status says so (3). */
static void report_voids(const smp_sync *s, const struct smp_sync_info *info)
{
	const char *dn, *why;
	char b1[1024], b2[1024];

	if (info->void_records == 0)
		return;
	openlog("smpolicy", LOG_PID, LOG_DAEMON);
	syslog(LOG_WARNING, "sync: the copy of %s holds %zu void record%s: each allows nothing",
	       log_safe(info->base, b1, sizeof(b1)), info->void_records,
	       info->void_records == 1 ? "" : "s");
	for (size_t i = 0; (dn = smp_sync_void(s, i, &why)) != NULL; i++) {
		fputs("void: ", stdout);
		print_escaped(stdout, dn);
		fputs(": ", stdout);
		print_escaped(stdout, why);
		fputc('\n', stdout);
		syslog(LOG_WARNING, "sync: void record %s: %s", log_safe(dn, b1, sizeof(b1)),
		       log_safe(why, b2, sizeof(b2)));
	}
	closelog();
}

int cmd_sync(const char *config, unsigned load_flags, struct sync_outcome *out)
{
	struct smp_sync_info info = { .size = sizeof(info) };
	smp_sync *s = NULL;
	char when[40];
	size_t warnings;
	int status;

	if (run(config, load_flags, &s, &status, &warnings) != SMP_OK)
		return status;
	smp_sync_info(s, &info);
	*out = (struct sync_outcome){ true, info.changed, info.incremental, info.received };
	if (smp_time_format(info.synced, when, sizeof(when)) == NULL)
		when[0] = '\0';
	fputs(info.changed ? "synced: " : "unchanged: ", stdout);
	print_source(stdout, &info);
	printf(info.changed ? " -> " : " has not changed since the last sync; ");
	print_escaped(stdout, info.copy);
	printf(" (%zu records%s) at %s\n", info.records, warnings ? ", with warnings" : "", when);
	/* how it was read: the provider's load differs a hundredfold */
	if (info.incremental)
		printf("incremental: %zu entr%s changed, added or deleted since the last sync\n",
		       info.received, info.received == 1 ? "y" : "ies");
	else if (info.full_read_why != NULL) {
		printf("full read: %zu entries: ", info.received);
		print_escaped(stdout, info.full_read_why);
		fputc('\n', stdout);
	}
	if (info.void_records > 0)
		printf("applied, with %zu void record%s: each allows nothing until its entry is "
		       "corrected\n", info.void_records, info.void_records == 1 ? "" : "s");
	report_voids(s, &info);
	smp_sync_free(s);
	return info.void_records > 0 ? 3 : 0;
}

int cmd_check_online(const char *config, unsigned load_flags)
{
	struct smp_sync_info info = { .size = sizeof(info) };
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
