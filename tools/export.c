/*
 * export.c - smpolicy export --ldif --base DN [--no-base-entry]: the files
 * world written as LDIF on standard output, for ldapadd or slapadd.  The
 * library does the work (smp_policy_export_ldif); this file parses options
 * and says what went wrong.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "export.h"
#include "output.h"
#include "smpolicy.h"

#include <getopt.h>
#include <stdio.h>

enum { OPT_LDIF = 256, OPT_BASE, OPT_NO_BASE };

static const char export_usage[] =
	"usage: smpolicy [-c CONFIG] export --ldif --base DN [--no-base-entry]\n";

static int export_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int export_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	print_usage_error(export_usage, fmt, ap);
	va_end(ap);
	return 2;
}

int cmd_export(const char *config, unsigned load_flags, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ldif", no_argument, NULL, OPT_LDIF },
		{ "base", required_argument, NULL, OPT_BASE },
		{ "no-base-entry", no_argument, NULL, OPT_NO_BASE },
		{ NULL, 0, NULL, 0 },
	};
	const char *base = NULL;
	unsigned flags = load_flags;
	bool ldif = false;
	smp_diags *d = NULL;
	smp_status st;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case OPT_LDIF: ldif = true; break;
		case OPT_BASE: base = optarg; break;
		case OPT_NO_BASE: flags |= SMP_EXPORT_NO_BASE_ENTRY; break;
		default:
			return export_usage_error("export: unknown or incomplete option '%s'",
			                          argv[optind - 1]);
		}
	}
	if (optind < argc)
		return export_usage_error("export: unexpected argument '%s'", argv[optind]);
	if (!ldif)
		return export_usage_error("export: --ldif is required (the one format there is)");
	if (base == NULL || base[0] == '\0')
		return export_usage_error("export: --base DN is required");
	st = smp_policy_export_ldif(config, flags, base, stdout, &d);
	print_diags(stderr, d);
	if (st != SMP_OK && smp_diags_errors(d) == 0)
		fprintf(stderr, "smpolicy: export: %s\n", smp_status_string(st));
	smp_diags_free(d);
	return st == SMP_OK ? 0 : st == SMP_ERR_REFUSED ? 1 : 2;
}
