/*
 * smpolicy - the administrators' command: check the files, decide a
 * request, report per office, and carry out the manual's procedures on
 * the records.  All the thinking is in libsmpolicy; this file parses
 * options and presents.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "smpolicy.h"
#include "smpolicy_testing.h"
#include "directory.h"
#include "export.h"
#include "domains.h"
#include "output.h"
#include "sigcmd.h"
#include "status.h"
#ifdef SMP_HAVE_RECORDS
#include "records.h"
#endif

#include <getopt.h>
#include <stdarg.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXIT_DENY 1
#define EXIT_USAGE 2

struct global {
	const char *config;
	unsigned flags;
};

/* One command's usage each; continuation lines are indented to follow
 * "usage: " and the 7 spaces of the full text alike. */
#define U_CHECK "smpolicy [-c CONFIG] check [--online]\n"
#define U_STATUS "smpolicy [-c CONFIG] status [--json] [--store DIR] [--at TIME]\n"
#define U_DECIDE \
	"smpolicy [-c CONFIG] decide --user U --platform P [--device D] [--account A]\n" \
	"                [--action A] [--purpose P] [--public-info-sufficient]\n" \
	"                [--other-means-available] [--at TIME] [--json]\n"
#define U_REPORT "smpolicy [-c CONFIG] report [--at TIME] [--json]\n"
#define U_COMPILE "smpolicy [-c CONFIG] compile [--store DIR]\n"
#define U_DOMAINS "smpolicy [-c CONFIG] domains\n"
#define U_REQUEST \
	"smpolicy [-c CONFIG] request --staff U --kind long_term|limited --platform P[,P...]\n" \
	"                --by U [--ticket T] [--starts TIME] [--expires TIME] [--on TIME]\n" \
	"                [--password-file FILE] [--sync [--store DIR]]\n"
#define U_SIGN \
	"smpolicy [-c CONFIG] sign ID --by DIRECTOR [--on TIME] [--key URI|FILE]\n" \
	"                [--pin-file FILE] [--password-file FILE] [--sync [--store DIR]]\n" \
	"       smpolicy [-c CONFIG] sign --resign --by DIRECTOR --key URI|FILE\n" \
	"                [--pin-file FILE] [--at TIME] [--dry-run] [--password-file FILE]\n"
#define U_REVOKE \
	"smpolicy [-c CONFIG] revoke ID --by U --reason TEXT [--on TIME]\n" \
	"                [--key URI|FILE [--pin-file FILE]] [--password-file FILE]\n" \
	"                [--sync [--store DIR]]\n"
#define U_VERIFY "smpolicy [-c CONFIG] verify [--json]\n"
#define U_KEYGEN \
	"smpolicy keygen --out FILE --pin-file FILE [--id ID --role ROLE --from TIME]\n" \
	"       smpolicy keygen --public URI|FILE [--pin-file FILE]\n"
#define U_ACCOUNT \
	"smpolicy [-c CONFIG] account ID password-changed|password-escrowed|compromised|resolved\n" \
	"                [--on TIME] [--by U] [--password-file FILE]\n"
#define U_LOG "smpolicy [-c CONFIG] log [--since TIME]\n"
#define U_EXPORT "smpolicy [-c CONFIG] export --ldif --base DN [--no-base-entry]\n"
#define U_SYNC "smpolicy [-c CONFIG] sync [--store DIR] [--metrics FILE]\n"
#define U_CONFIG "CONFIG defaults to $SMPOLICY_CONFIG, then " SMP_DEFAULT_CONFIG ".\n"

static const char usage_text[] =
	"usage: " U_CHECK "       " U_STATUS "       " U_DECIDE "       " U_REPORT
	"       " U_COMPILE "       " U_DOMAINS "       " U_REQUEST "       " U_SIGN
	"       " U_REVOKE "       " U_ACCOUNT "       " U_LOG "       " U_EXPORT
	"       " U_SYNC "       " U_VERIFY "       " U_KEYGEN U_CONFIG;

static const struct {
	const char *name, *usage;
} command_usage[] = {
	{ "check", "usage: " U_CHECK U_CONFIG },
	{ "status", "usage: " U_STATUS U_CONFIG },
	{ "decide", "usage: " U_DECIDE U_CONFIG },
	{ "report", "usage: " U_REPORT U_CONFIG },
	{ "compile", "usage: " U_COMPILE U_CONFIG },
	{ "domains", "usage: " U_DOMAINS U_CONFIG },
	{ "request", "usage: " U_REQUEST U_CONFIG },
	{ "sign", "usage: " U_SIGN U_CONFIG },
	{ "revoke", "usage: " U_REVOKE U_CONFIG },
	{ "account", "usage: " U_ACCOUNT U_CONFIG },
	{ "log", "usage: " U_LOG U_CONFIG },
	{ "export", "usage: " U_EXPORT U_CONFIG },
	{ "sync", "usage: " U_SYNC U_CONFIG },
	{ "verify", "usage: " U_VERIFY U_CONFIG },
	{ "keygen", "usage: " U_KEYGEN },
};

/* What a usage error prints: the running command's usage, or all of them. */
static const char *cur_usage = usage_text;

static const char *usage_of(const char *cmd)
{
	for (size_t i = 0; i < sizeof(command_usage) / sizeof(command_usage[0]); i++)
		if (strcmp(cmd, command_usage[i].name) == 0)
			return command_usage[i].usage;
	return NULL;
}

static const char *const valued_options[] = {
	"--user", "--platform", "--device", "--account", "--action", "--purpose", "--at",
	"--store", "--metrics", "--base", "--staff", "--kind", "--by", "--ticket",
	"--starts", "--expires", "--on", "--reason", "--since", "--password-file", "--key",
	"--pin-file", "--out", "--public", "--id", "--role", "--from", NULL,
};

/* Index of the first argument (argv[0] the command) equal to one of a, b
 * as an option, not the value of one that takes a value (revoke --reason
 * -h) nor after "--"; 0 when there is none. */
static int find_option(int argc, char **argv, const char *a, const char *b)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return 0;
		if (strcmp(argv[i], a) == 0 || (b != NULL && strcmp(argv[i], b) == 0))
			return i;
		for (const char *const *v = valued_options; *v != NULL; v++)
			if (strcmp(argv[i], *v) == 0) {
				i++;   /* its value, whatever it looks like */
				break;
			}
	}
	return 0;
}

/* Does the command line (argv[0] the command) ask for help? */
static bool wants_help(int argc, char **argv)
{
	return find_option(argc, argv, "--help", "-h") != 0;
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	print_usage_error(cur_usage, fmt, ap);
	va_end(ap);
	return EXIT_USAGE;
}

/* A flag of load() alone, above the library's: do not warn of the void
 * records (check reports them as errors). */
#define LOAD_QUIET_VOIDS (1u << 30)

/* Load the policy; on failure print every diagnostic and return NULL. */
static smp_policy *load(const struct global *g, unsigned flags, smp_status *status)
{
	smp_policy *p = NULL;
	smp_diags *d = NULL;

	*status = smp_policy_load(g->config, (g->flags | flags) & ~LOAD_QUIET_VOIDS, &p, &d);
	print_diags(stderr, d);
	if (*status != SMP_OK && smp_diags_count(d) == 0) {
		fputs("smpolicy: ", stderr);
		print_escaped(stderr, g->config);
		fprintf(stderr, ": %s\n", smp_status_string(*status));
	}
	smp_diags_free(d);
	/* every command but check (which says them as errors) warns of the
	 * void records: what it answers is without them */
	d = NULL;
	if (p != NULL && !(flags & LOAD_QUIET_VOIDS) && smp_policy_voids(p, &d) == SMP_OK)
		print_diags(stderr, d);
	smp_diags_free(d);
	return p;
}

/* --at: checked now, read again in the records' zone once they are
 * loaded (at_again), so that a time without an offset means the same on
 * every host (settings.time_zone). */
static const char *at_text;

static bool parse_at(const char *arg, int64_t *out)
{
	at_text = arg;
	return smp_time_parse(arg, SMP_TIME_START, out) == SMP_OK;
}

static void at_again(const smp_policy *p, int64_t *at)
{
	output_zone(p);
	if (at_text != NULL)
		(void)smp_policy_time_parse(p, at_text, SMP_TIME_START, at);
}

/* ---- check ------------------------------------------------------------ */

/* The files of a directory's copy can be in order while the syncs that
 * should renew them fail: say so, as a warning (smpolicy status says more).
 * Returns how many warnings were printed. */
static size_t warn_failed_sync(const struct global *g)
{
	smp_sync_report *r = NULL;
	struct smp_sync_status s = { .size = sizeof(s) };
	char when[40];

	if (!config_is_directory(g->config, g->flags) ||
	    smp_sync_report_read(g->config, g->flags, &r, NULL) != SMP_OK)
		return 0;
	smp_sync_report_info(r, &s);
	if (s.attempted && !s.attempt_ok) {
		fprintf(stderr, "smpolicy: warning: the last sync, at %s, failed: ",
		        smp_time_format(s.attempted_at, when, sizeof(when)) ? when : "?");
		print_escaped(stderr, s.attempt_error);
		fputs(" (this checks the copy of the last good sync; see smpolicy status)\n", stderr);
	}
	smp_sync_report_free(r);
	return s.attempted && !s.attempt_ok;
}

static int cmd_check(const struct global *g, int argc, char **argv)
{
	smp_status st;
	smp_policy *p;
	smp_diags *d = NULL;
	size_t errors, warnings;

	if (argc == 2 && strcmp(argv[1], "--online") == 0)
		return cmd_check_online(g->config, g->flags);   /* the directory itself */
	if (argc > 1)
		return usage_error("check: unexpected argument '%s'", argv[1]);
	p = load(g, SMP_LOAD_NO_CACHE | LOAD_QUIET_VOIDS, &st);   /* the files themselves */
	if (p == NULL)
		return st == SMP_ERR_PARSE ? 1 : 2;
	if (smp_policy_check(p, &d) != SMP_OK) {
		fprintf(stderr, "smpolicy: %s\n", smp_status_string(SMP_ERR_NOMEM));
		smp_policy_free(p);
		return 2;
	}
	print_diags(stderr, d);
	errors = smp_diags_errors(d);
	warnings = smp_diags_count(d) - errors + warn_failed_sync(g);
	if (errors == 0) {
		fputs("OK: ", stdout);
		print_escaped(stdout, smp_policy_config_path(p));
		printf(": %zu offices, %zu platforms, %zu approvals%s\n",
		       smp_policy_office_count(p), smp_policy_platform_count(p),
		       smp_policy_approval_count(p), warnings ? " (with warnings)" : "");
	} else {
		fputs("smpolicy: ", stderr);
		print_escaped(stderr, smp_policy_config_path(p));
		fprintf(stderr, ": %zu error%s, %zu warning%s\n", errors, errors == 1 ? "" : "s",
		        warnings, warnings == 1 ? "" : "s");
	}
	smp_diags_free(d);
	smp_policy_free(p);
	return errors ? 1 : 0;
}

/* ---- decide ----------------------------------------------------------- */

enum {
	OPT_USER = 256, OPT_PLATFORM, OPT_DEVICE, OPT_ACCOUNT, OPT_ACTION, OPT_PURPOSE,
	OPT_PUBLIC, OPT_OTHER, OPT_AT, OPT_JSON,
};

static int parse_decide(int argc, char **argv, struct smp_request *req, bool *json)
{
	static const struct option opts[] = {
		{ "user", required_argument, NULL, OPT_USER },
		{ "platform", required_argument, NULL, OPT_PLATFORM },
		{ "device", required_argument, NULL, OPT_DEVICE },
		{ "account", required_argument, NULL, OPT_ACCOUNT },
		{ "action", required_argument, NULL, OPT_ACTION },
		{ "purpose", required_argument, NULL, OPT_PURPOSE },
		{ "public-info-sufficient", no_argument, NULL, OPT_PUBLIC },
		{ "other-means-available", no_argument, NULL, OPT_OTHER },
		{ "at", required_argument, NULL, OPT_AT },
		{ "json", no_argument, NULL, OPT_JSON },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case OPT_USER: req->user = optarg; break;
		case OPT_PLATFORM: req->platform = optarg; break;
		case OPT_DEVICE: req->device = optarg; break;
		case OPT_ACCOUNT: req->account = optarg; break;
		case OPT_ACTION:
			if (smp_action_parse(optarg, &req->action) != SMP_OK)
				return usage_error("decide: unknown action '%s' (view, login, message, "
				                   "post, comment, friend, like, favorite, follow, game, "
				                   "share_personal, chat_nonwork)", optarg);
			break;
		case OPT_PURPOSE:
			if (smp_purpose_parse(optarg, &req->purpose) != SMP_OK)
				return usage_error("decide: unknown purpose '%s' (info_gathering, "
				                   "client_communication)", optarg);
			break;
		case OPT_PUBLIC: req->public_info_sufficient = true; break;
		case OPT_OTHER: req->other_means_available = true; break;
		case OPT_AT:
			if (!parse_at(optarg, &req->at))
				return usage_error("decide: --at: '%s' is not a valid time", optarg);
			break;
		case OPT_JSON: *json = true; break;
		default:
			return usage_error("decide: unknown or incomplete option '%s'",
			                   argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("decide: unexpected argument '%s'", argv[optind]);
	if (req->user == NULL || req->user[0] == '\0')
		return usage_error("decide: %s is required", "--user");
	if (req->platform == NULL || req->platform[0] == '\0')
		return usage_error("decide: %s is required", "--platform");
	return 0;
}

/* One request of a batch: "USER PLATFORM DEVICE ACCOUNT ACTION PURPOSE
 * [AT]", tab-separated, "-" for none (bench/genworld's requests.tsv).
 * false if the line is not one. */
static bool batch_request(const smp_policy *p, char *line, struct smp_request *req,
                          int64_t at)
{
	char *f[8], *save = NULL;
	int n = 0;

	for (char *t = strtok_r(line, "\t\n", &save); t != NULL && n < 8;
	     t = strtok_r(NULL, "\t\n", &save))
		f[n++] = t;
	if (n < 6 || n > 7)
		return false;
	smp_request_init(req);
	req->at = at;
	req->user = f[0];
	req->platform = f[1];
	req->device = strcmp(f[2], "-") != 0 ? f[2] : NULL;
	req->account = strcmp(f[3], "-") != 0 ? f[3] : NULL;
	return smp_action_parse(f[4], &req->action) == SMP_OK &&
	       smp_purpose_parse(f[5], &req->purpose) == SMP_OK &&
	       (n == 6 || smp_policy_time_parse(p, f[6], SMP_TIME_START, &req->at) == SMP_OK);
}

/* decide --batch [--at TIME]: one decision per line of standard input,
 * one JSON object per line of output, from one load (a statewide
 * comparison needs thousands). */
static int cmd_decide_batch(const struct global *g, int argc, char **argv)
{
	struct smp_request now;
	int64_t at;
	smp_status st;
	smp_policy *p;
	char *line = NULL;
	size_t cap = 0;
	unsigned long lineno = 0;
	int rc = 0;

	smp_request_init(&now);
	at = now.at;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--batch") == 0)
			continue;
		if (strcmp(argv[i], "--at") == 0 && i + 1 < argc && parse_at(argv[i + 1], &at)) {
			i++;
			continue;
		}
		return usage_error("decide --batch: unexpected argument '%s' (only --at TIME)",
		                   argv[i]);
	}
	p = load(g, 0, &st);
	if (p == NULL)
		return EXIT_USAGE;
	at_again(p, &at);
	while (rc == 0 && getline(&line, &cap, stdin) > 0) {
		struct smp_request req;
		smp_decision *d = NULL;

		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (!batch_request(p, line, &req, at)) {
			fprintf(stderr, "smpolicy: decide --batch: line %lu: not USER PLATFORM DEVICE "
			        "ACCOUNT ACTION PURPOSE [AT], tab-separated\n", lineno);
			rc = EXIT_USAGE;
			break;
		}
		if (smp_decide(p, &req, &d) != SMP_OK) {
			fprintf(stderr, "smpolicy: decide --batch: line %lu: cannot decide\n", lineno);
			rc = EXIT_USAGE;
			break;
		}
		rc = print_decision_json(stdout, d);
		smp_decision_free(d);
	}
	free(line);
	smp_policy_free(p);
	return rc;
}

/* For each id of the request that is not in the records, the nearest one
 * that is, on standard error: the decision itself stays as it is. */
static void hint_unknown(const smp_policy *p, const smp_decision *d,
                         const struct smp_request *req)
{
	const struct {
		smp_reason reason;
		smp_id_kind kind;
		const char *option, *value;
	} ids[] = {
		{ SMP_R_UNKNOWN_USER, SMP_ID_STAFF, "--user", req->user },
		{ SMP_R_UNKNOWN_PLATFORM, SMP_ID_PLATFORM, "--platform", req->platform },
		{ SMP_R_DEVICE_UNKNOWN, SMP_ID_DEVICE, "--device", req->device },
		{ SMP_R_ACCOUNT_UNKNOWN, SMP_ID_ACCOUNT, "--account", req->account },
	};

	for (size_t k = 0; k < sizeof(ids) / sizeof(ids[0]); k++) {
		char *near;
		bool named = false;

		/* a void record is in the records: nothing to suggest */
		for (size_t i = 0; i < smp_decision_reason_count(d); i++)
			named |= smp_decision_reason(d, i) == ids[k].reason &&
			         strstr(smp_decision_reason_message(d, i), " is void: ") == NULL;
		if (!named || ids[k].value == NULL)
			continue;
		near = smp_policy_suggest(p, ids[k].kind, ids[k].value);
		if (near == NULL)
			continue;
		fprintf(stderr, "smpolicy: decide: %s '", ids[k].option);
		print_escaped(stderr, ids[k].value);
		fputs("' is not in the records; did you mean '", stderr);
		print_escaped(stderr, near);
		fputs("'?\n", stderr);
		smp_free(near);
	}
}

static int cmd_decide(const struct global *g, int argc, char **argv)
{
	struct smp_request req;
	bool json = false;
	smp_status st;
	smp_policy *p;
	smp_decision *d = NULL;
	int rc;

	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--batch") == 0)
			return cmd_decide_batch(g, argc, argv);
	smp_request_init(&req);
	rc = parse_decide(argc, argv, &req, &json);
	if (rc != 0)
		return rc;
	p = load(g, 0, &st);
	if (p == NULL)
		return EXIT_USAGE;
	at_again(p, &req.at);
	st = smp_decide(p, &req, &d);
	if (st != SMP_OK) {
		fprintf(stderr, "smpolicy: decide: %s\n", smp_status_string(st));
		smp_policy_free(p);
		return EXIT_USAGE;
	}
	rc = json ? print_decision_json(stdout, d) : print_decision_text(stdout, d, &req);
	hint_unknown(p, d, &req);
	if (rc == 0)
		rc = smp_decision_allowed(d) ? 0 : EXIT_DENY;
	smp_decision_free(d);
	smp_policy_free(p);
	return rc;
}

/* ---- report ----------------------------------------------------------- */

static int cmd_report(const struct global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "at", required_argument, NULL, OPT_AT },
		{ "json", no_argument, NULL, OPT_JSON },
		{ NULL, 0, NULL, 0 },
	};
	int64_t at = 0;
	bool json = false, have_at = false;
	smp_status st;
	smp_policy *p;
	int c, rc;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c == OPT_AT && parse_at(optarg, &at))
			have_at = true;
		else if (c == OPT_AT)
			return usage_error("report: --at: '%s' is not a valid time", optarg);
		else if (c == OPT_JSON)
			json = true;
		else
			return usage_error("report: unknown or incomplete option '%s'",
			                   argv[optind - 1]);
	}
	if (optind < argc)
		return usage_error("report: unexpected argument '%s'", argv[optind]);
	if (!have_at) {
		struct smp_request now;

		smp_request_init(&now);
		at = now.at;
	}
	p = load(g, 0, &st);
	if (p == NULL)
		return EXIT_USAGE;
	if (have_at)
		at_again(p, &at);
	output_zone(p);
	rc = json ? print_report_json(stdout, p, at) : print_report_text(stdout, p, at);
	smp_policy_free(p);
	return rc;
}

/* ---- compile ---------------------------------------------------------- */

/* Write the login store into DIR (the library's default without --store):
 * what a login reads (smp_policy_load_for). */
static smp_status write_store(const smp_policy *p, const char *dir)
{
	smp_diags *d = NULL;
	smp_status st = smp_policy_store_write(p, dir, 0, &d);

	print_diags(stderr, d);
	if (st != SMP_OK && smp_diags_errors(d) == 0)
		fprintf(stderr, "smpolicy: the login store: %s\n", smp_status_string(st));
	if (st == SMP_OK) {
		fputs("wrote: the login store in ", stdout);
		print_escaped(stdout, dir != NULL ? dir : SMP_DEFAULT_STORE_DIR);
		putchar('\n');
	}
	smp_diags_free(d);
	return st;
}

/* Write the compiled cache, unless the one there is fresh, and the login
 * store.  Exit status: 0 done, 1 the files have structural errors
 * (procedural faults are part of the policy, and compiled with it: check
 * reports them), 2 the files, the cache or the store cannot be read or
 * written. */
/* The one option of compile and sync, --store DIR, into *dir; -1 when
 * the arguments are good, else the usage error's exit status. */
static int store_option(const char *cmd, int argc, char **argv, const char **dir,
                        const char **metrics)
{
	static const struct option opts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "metrics", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*dir = NULL;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c == 'm' && metrics != NULL) {
			*metrics = optarg;
			continue;
		}
		if (c != 's')
			return usage_error("%s: unknown or incomplete option '%s'", cmd,
			                   argv[optind - 1]);
		if (optarg[0] != '/')
			return usage_error("%s: --store needs an absolute path: '%s'", cmd, optarg);
		*dir = optarg;
	}
	if (optind < argc)
		return usage_error("%s: unexpected argument '%s'", cmd, argv[optind]);
	return -1;
}

static int cmd_compile(const struct global *g, int argc, char **argv)
{
	const char *dir;
	smp_status st;
	smp_policy *p;
	smp_diags *d = NULL;
	smp_cache_state was;
	int bad = store_option("compile", argc, argv, &dir, NULL);

	if (bad >= 0)
		return bad;
	p = load(g, 0, &st);
	if (p == NULL)
		return st == SMP_ERR_PARSE ? 1 : 2;
	was = smp_policy_cache_state(p);
	if (was == SMP_CACHE_USED) {
		fputs("fresh: ", stdout);
		print_escaped(stdout, smp_policy_cache_path(p));
		puts(" (compiled from the files as they are)");
		st = write_store(p, dir);
		smp_policy_free(p);
		return st == SMP_OK ? 0 : 2;
	}
	st = smp_policy_cache_write(p, 0, &d);
	print_diags(stderr, d);
	if (st != SMP_OK) {
		if (smp_diags_errors(d) == 0)
			fprintf(stderr, "smpolicy: compile: %s\n", smp_status_string(st));
	} else {
		fputs("wrote: ", stdout);
		print_escaped(stdout, smp_policy_cache_path(p));
		printf(" (the cache was %s): %zu offices, %zu platforms, %zu approvals\n",
		       smp_cache_state_name(was), smp_policy_office_count(p),
		       smp_policy_platform_count(p), smp_policy_approval_count(p));
		st = write_store(p, dir);
	}
	smp_diags_free(d);
	smp_policy_free(p);
	return st == SMP_OK ? 0 : 2;
}

/* ---- sync ------------------------------------------------------------- */

/* smpolicy sync (tools/directory.c), then, when it made a new copy, the
 * copy's login store, so that the first login after a sync need not load
 * the whole policy.  A store that cannot be written leaves the sync done
 * (a login then loads the whole copy): a warning, exit 0 (3 when the copy
 * holds void records). */
static int cmd_sync_store(const struct global *g, int argc, char **argv)
{
	const char *dir, *metrics = NULL;
	struct sync_outcome did = { 0 };
	int bad = store_option("sync", argc, argv, &dir, &metrics), status;
	smp_status st;
	smp_policy *p;

	if (bad >= 0)
		return bad;
	status = cmd_sync(g->config, g->flags, &did);
	/* the metrics say how this sync went, failed or not */
	if (metrics != NULL && write_metrics(g->config, g->flags, metrics, &did) != 0 &&
	    (status == 0 || status == 3))
		status = 2;
	/* 3: applied, with void records (named already) */
	if ((status != 0 && status != 3) || !did.changed)
		return status;
	p = load(g, LOAD_QUIET_VOIDS, &st);
	if (p == NULL || write_store(p, dir) != SMP_OK)
		fputs("smpolicy: sync: warning: the login store was not written; logins load "
		      "the whole copy until `smpolicy compile` writes it\n", stderr);
	smp_policy_free(p);
	return status;
}

/* ---- domains ---------------------------------------------------------- */

/* The catalogue's domains for Squid's dstdomain acl (smpolicy-squid(8)). */
static int cmd_domains(const struct global *g, int argc, char **argv)
{
	smp_status st;
	smp_policy *p;
	int rc;

	if (argc > 1)
		return usage_error("domains: unexpected argument '%s'", argv[1]);
	p = load(g, 0, &st);
	if (p == NULL)
		return EXIT_USAGE;
	rc = print_domains(stdout, p);
	smp_policy_free(p);
	return rc;
}

/* ---- main ------------------------------------------------------------- */

#ifdef SMP_HAVE_RECORDS
typedef int (*record_cmd)(const char *config, unsigned flags, int argc, char **argv);

static const struct {
	const char *name;
	record_cmd fn;
} record_cmds[] = {
	{ "request", cmd_request }, { "sign", cmd_sign }, { "revoke", cmd_revoke },
	{ "account", cmd_account }, { "log", cmd_log },
};
#endif

#ifdef SMP_HAVE_RECORDS
/*
 * A record command.  On records in the directory the change is in the
 * directory at once, but every machine decides from its local copy,
 * this one included, until its next sync: say so, or with --sync (request,
 * sign and revoke) sync this machine now.  The period is the one of
 * examples/systemd/smpolicy-sync.timer: OnUnitActiveSec=15min plus up to
 * RandomizedDelaySec=10min.  On standard error: standard output is the
 * command's one line, whose last word a script may take.
 */
static int run_record_cmd(const struct global *g, size_t which, int argc, char **argv)
{
	bool changes = which <= 2;   /* request, sign, revoke */
	int at = changes ? find_option(argc, argv, "--sync", NULL) : 0;
	bool sync_now = at != 0, directory;
	char *store = NULL;
	int rc;

	if (sync_now) {
		memmove(argv + at, argv + at + 1, (size_t)(argc - at) * sizeof(char *));
		argc--;
		/* --store DIR: where that sync writes the login store */
		at = find_option(argc, argv, "--store", NULL);
		if (at != 0 && at + 1 < argc) {
			store = argv[at + 1];
			memmove(argv + at, argv + at + 2, (size_t)(argc - at - 1) * sizeof(char *));
			argc -= 2;
		}
	}
	rc = record_cmds[which].fn(g->config, g->flags, argc, argv);
	directory = rc == 0 && changes && config_is_directory(g->config, g->flags);
	if (!directory) {
		if (rc == 0 && sync_now)
			fprintf(stderr, "smpolicy: %s: --sync: the records are files, read as they "
			        "are: there is nothing to sync\n", record_cmds[which].name);
		return rc;
	}
	if (!sync_now) {
		fputs("smpolicy: the change is in the directory; workstations, this one "
		      "included, decide from their local copy until its next sync (within about "
		      "25 minutes with smpolicy-sync.timer); `smpolicy sync`, or --sync, updates "
		      "this machine now\n", stderr);
		return 0;
	}
	{
		char *sync_argv[] = { (char *)"sync", (char *)"--store", store, NULL };

		cur_usage = usage_of("sync");
		return cmd_sync_store(g, store != NULL ? 3 : 1, sync_argv) == 0 ? 0 : 2;
	}
}
#endif

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		/* tests only: accept files owned by the calling user */
		{ "test-allow-nonroot", no_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	struct global g = { getenv("SMPOLICY_CONFIG"), 0 };
	const char *cmd;
	int c;

	if (g.config == NULL || g.config[0] == '\0')
		g.config = SMP_DEFAULT_CONFIG;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': g.config = optarg; break;
		case 'h': fputs(usage_text, stdout); return 0;
		case 'V': puts("smpolicy " SMP_VERSION); return 0;
		case 'T': g.flags |= SMP_LOAD_ALLOW_NONROOT; break;
		default:
			return usage_error("unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_error("%s", "no command given");
	cmd = argv[optind];
	argc -= optind;
	argv += optind;
	if (usage_of(cmd) != NULL) {
		cur_usage = usage_of(cmd);
		if (wants_help(argc, argv)) {
			fputs(cur_usage, stdout);
			return 0;
		}
	}
	if (strcmp(cmd, "check") == 0)
		return cmd_check(&g, argc, argv);
	if (strcmp(cmd, "decide") == 0)
		return cmd_decide(&g, argc, argv);
	if (strcmp(cmd, "report") == 0)
		return cmd_report(&g, argc, argv);
	if (strcmp(cmd, "compile") == 0)
		return cmd_compile(&g, argc, argv);
	if (strcmp(cmd, "domains") == 0)
		return cmd_domains(&g, argc, argv);
	if (strcmp(cmd, "export") == 0)
		return cmd_export(g.config, g.flags, argc, argv);
	if (strcmp(cmd, "sync") == 0)
		return cmd_sync_store(&g, argc, argv);
	if (strcmp(cmd, "status") == 0)
		return cmd_status(g.config, g.flags, argc, argv);
	if (strcmp(cmd, "keygen") == 0)
		return cmd_keygen(argc, argv);
	if (strcmp(cmd, "verify") == 0)
		return cmd_verify(g.config, g.flags, argc, argv);
#ifdef SMP_HAVE_RECORDS
	for (size_t i = 0; i < sizeof(record_cmds) / sizeof(record_cmds[0]); i++)
		if (strcmp(cmd, record_cmds[i].name) == 0)
			return run_record_cmd(&g, i, argc, argv);
#endif
	return usage_error("unknown command '%s'", cmd);
}
