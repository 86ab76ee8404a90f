/*
 * status.c - smpolicy status and smpolicy sync --metrics: the health of
 * this machine's records, for a person (text), a script (JSON), a
 * monitoring plugin (the exit status) and node_exporter's textfile
 * collector (the metrics file).  The library reads what the syncs
 * recorded (smp_sync_report_read) and the state of the compiled cache and
 * the login store; this file judges and presents.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "status.h"
#include "directory.h"
#include "output.h"
#include "smpolicy.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The monitoring plugins' exit codes (Nagios, Icinga, Sensu ...). */
enum { ST_OK = 0, ST_WARNING = 1, ST_CRITICAL = 2, ST_UNKNOWN = 3 };

static const char *const level_name[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };

/* What status found: the worst level and the first reason for it. */
struct health {
	int level;
	char why[512];
};

static void judge(struct health *h, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void judge(struct health *h, int level, const char *fmt, ...)
{
	va_list ap;

	if (level <= h->level && h->why[0] != '\0')
		return;
	h->level = level;
	va_start(ap, fmt);
	vsnprintf(h->why, sizeof(h->why), fmt, ap);
	va_end(ap);
}

static const char *when(int64_t t, char *buf, size_t n)
{
	return smp_time_format(t, buf, n) != NULL ? buf : "?";
}

/* "3 min", "5 h", "2 days": how long ago, for people. */
static void age_text(int64_t secs, char *buf, size_t n)
{
	if (secs < 0)
		snprintf(buf, n, "in the future (by %lld s)", (long long)-secs);
	else if (secs < 120)
		snprintf(buf, n, "%lld s ago", (long long)secs);
	else if (secs < 2 * 3600)
		snprintf(buf, n, "%lld min ago", (long long)(secs / 60));
	else if (secs < 2 * 86400)
		snprintf(buf, n, "%lld h ago", (long long)(secs / 3600));
	else
		snprintf(buf, n, "%lld days ago", (long long)(secs / 86400));
}

/* ---- what is found ------------------------------------------------------ */

struct found {
	const char *config;
	bool directory;
	smp_sync_report *report;
	struct smp_sync_status sync;    /* directory only; strings of report */
	smp_cache_state cache, store;
	const char *cache_path;         /* owned by policy */
	char *store_path;
	smp_policy *policy;             /* NULL when it does not load */
	char *load_error;               /* why not */
	int64_t now;
};

/* The first error of d as one line, or the status's words. */
static char *first_error(const smp_diags *d, smp_status st)
{
	char *s = NULL;

	for (size_t i = 0; i < smp_diags_count(d); i++) {
		const struct smp_diag *g = smp_diags_get(d, i);

		if (g->severity != SMP_SEV_ERROR)
			continue;
		if (asprintf(&s, "%s%s%s", g->file != NULL ? g->file : "",
		             g->file != NULL ? ": " : "", g->message) < 0)
			s = NULL;
		return s;
	}
	return strdup(smp_status_string(st));
}

static void judge_sync(struct found *f, struct health *h)
{
	const struct smp_sync_status *s = &f->sync;
	int64_t age = f->now - s->synced_at;
	char ago[64];

	if (!s->synced) {
		judge(h, ST_CRITICAL, "never synced from %s: logins are refused until `smpolicy "
		      "sync` succeeds%s%s", s->uri, s->attempted && !s->attempt_ok ?
		      "; the last attempt failed: " : "",
		      s->attempted && !s->attempt_ok ? s->attempt_error : "");
		return;
	}
	age_text(age, ago, sizeof(ago));
	if (age > s->max_offline)
		judge(h, ST_CRITICAL, "last good sync %s, more than ldap.max_offline (%lld s): "
		      "logins are refused%s%s", ago, (long long)s->max_offline,
		      s->attempted && !s->attempt_ok ? "; the last attempt failed: " : "",
		      s->attempted && !s->attempt_ok ? s->attempt_error : "");
	else if (age < -300)
		judge(h, ST_CRITICAL, "the last good sync is dated %s: this host's clock is wrong",
		      ago);
	else if (s->attempted && !s->attempt_ok && age > s->max_offline / 2)
		judge(h, ST_CRITICAL, "the last attempt failed (%s) and the last good sync is %s, "
		      "past half of ldap.max_offline (%lld s)", s->attempt_error, ago,
		      (long long)s->max_offline);
	else if (age > s->max_offline / 2)
		judge(h, ST_WARNING, "last good sync %s, past half of ldap.max_offline (%lld s)",
		      ago, (long long)s->max_offline);
	else if (s->attempted && !s->attempt_ok)
		judge(h, ST_WARNING, "the last attempt failed: %s", s->attempt_error);
	if (s->void_records > 0)   /* applied, but those records allow nothing */
		judge(h, ST_WARNING, "the copy holds %zu void record%s (each allows nothing; "
		      "`smpolicy check` names them)", s->void_records,
		      s->void_records == 1 ? "" : "s");
}

static void judge_compiled(const struct found *f, struct health *h)
{
	if (f->policy == NULL)
		return;
	if (f->cache != SMP_CACHE_USED)
		judge(h, ST_WARNING, "the compiled cache is %s: run `smpolicy compile`",
		      smp_cache_state_name(f->cache));
	if (f->store != SMP_CACHE_USED)
		judge(h, ST_WARNING, "the login store is %s: run `smpolicy compile`",
		      smp_cache_state_name(f->store));
}

/* Gather everything; the diagnostics that explain a failure into *d. */
static int gather(struct found *f, const char *config, unsigned flags, const char *store_dir,
                  smp_diags **d)
{
	smp_sync_report *r = NULL;
	smp_diags *rd = NULL, *ld = NULL;
	smp_status st;

	f->config = config;
	f->directory = config_is_directory(config, flags);
	if (f->directory) {
		st = smp_sync_report_read(config, flags, &r, &rd);
		if (st != SMP_OK) {
			*d = rd;
			f->load_error = first_error(rd, st);
			return st == SMP_ERR_NOMEM ? ST_UNKNOWN : ST_CRITICAL;
		}
		smp_diags_free(rd);
		f->sync.size = sizeof(f->sync);
		smp_sync_report_info(r, &f->sync);
	}
	st = smp_policy_load(config, flags, &f->policy, &ld);
	if (st != SMP_OK)
		f->load_error = first_error(ld, st);
	smp_diags_free(ld);
	f->cache = smp_policy_cache_state(f->policy);
	f->cache_path = smp_policy_cache_path(f->policy);
	if (smp_policy_store_check(config, store_dir, flags, &f->store, &f->store_path, NULL) !=
	    SMP_OK)
		f->store = SMP_CACHE_OFF;
	f->report = r;   /* f->sync's strings are the report's */
	return ST_OK;
}

/* ---- presenting ---------------------------------------------------------- */

static void print_text(const struct found *f, const struct health *h)
{
	const struct smp_sync_status *s = &f->sync;
	char buf[64], ago[64];

	printf("SMPOLICY %s - ", level_name[h->level]);
	print_escaped(stdout, h->why);
	putchar('\n');
	fputs("settings: ", stdout);
	print_escaped(stdout, f->config);
	putchar('\n');
	if (f->directory) {
		fputs("source: the directory ", stdout);
		print_escaped(stdout, s->uri);
		putchar(' ');
		print_escaped(stdout, s->base);
		fputs(", copied into ", stdout);
		print_escaped(stdout, s->copy_dir);
		printf("; ldap.max_offline %lld s\n", (long long)s->max_offline);
		if (s->synced) {
			age_text(f->now - s->synced_at, ago, sizeof(ago));
			printf("last good sync: %s (%s) from ", when(s->synced_at, buf, sizeof(buf)),
			       ago);
			print_escaped(stdout, s->synced_uri);
			if (s->has_records)
				printf(", %zu records", s->records);
			if (s->void_records > 0)
				printf(", %zu void", s->void_records);
			putchar('\n');
		} else {
			puts("last good sync: never");
		}
		if (s->attempted) {
			age_text(f->now - s->attempted_at, ago, sizeof(ago));
			printf("last attempt: %s (%s): ", when(s->attempted_at, buf, sizeof(buf)), ago);
			if (s->attempt_ok) {
				puts("ok");
			} else {
				fputs("failed: ", stdout);
				print_escaped(stdout, s->attempt_error);
				putchar('\n');
			}
		} else {
			puts("last attempt: none recorded");
		}
	} else if (f->policy != NULL) {
		for (size_t i = 0; i < smp_policy_records_count(f->policy); i++) {
			fputs("records: ", stdout);
			print_escaped(stdout, smp_policy_records_path(f->policy, i));
			putchar('\n');
		}
	}
	if (f->policy != NULL) {
		printf("policy: %zu offices, %zu platforms, %zu approvals\n",
		       smp_policy_office_count(f->policy), smp_policy_platform_count(f->policy),
		       smp_policy_approval_count(f->policy));
		/* whose word grants: pinned keys, or whoever writes the records */
		puts(smp_policy_requires_signatures(f->policy) ?
		     "signatures: required (each sign-off verified against the signers file)" :
		     "signatures: not required (whoever can write the records can grant)");
		printf("compiled cache: %s (", smp_cache_state_name(f->cache));
		print_escaped(stdout, f->cache_path);
		puts(")");
	} else {
		fputs("policy: does not load: ", stdout);
		print_escaped(stdout, f->load_error);
		putchar('\n');
	}
	printf("login store: %s", smp_cache_state_name(f->store));
	if (f->store_path != NULL) {
		fputs(" (", stdout);
		print_escaped(stdout, f->store_path);
		putchar(')');
	}
	putchar('\n');
}

static json_object *jtime(int64_t t)
{
	char buf[64];

	return smp_time_format(t, buf, sizeof(buf)) != NULL ? json_object_new_string(buf) : NULL;
}

static int print_json(const struct found *f, const struct health *h)
{
	const struct smp_sync_status *s = &f->sync;
	json_object *o = json_object_new_object(), *x;
	const char *text;

	json_object_object_add(o, "status", json_object_new_string(level_name[h->level]));
	json_object_object_add(o, "exit", json_object_new_int(h->level));
	json_object_object_add(o, "summary", json_object_new_string(h->why));
	json_object_object_add(o, "settings", json_object_new_string(f->config));
	json_object_object_add(o, "source",
	                       json_object_new_string(f->directory ? "directory" : "files"));
	if (f->directory) {
		json_object_object_add(o, "uri", json_object_new_string(s->uri));
		json_object_object_add(o, "base", json_object_new_string(s->base));
		json_object_object_add(o, "copy_dir", json_object_new_string(s->copy_dir));
		json_object_object_add(o, "max_offline", json_object_new_int64(s->max_offline));
		x = NULL;
		if (s->synced) {
			x = json_object_new_object();
			json_object_object_add(x, "at", jtime(s->synced_at));
			json_object_object_add(x, "timestamp", json_object_new_int64(s->synced_at));
			json_object_object_add(x, "age", json_object_new_int64(f->now - s->synced_at));
			json_object_object_add(x, "uri", json_object_new_string(s->synced_uri));
			json_object_object_add(x, "records", s->has_records ?
			                       json_object_new_int64((int64_t)s->records) : NULL);
			json_object_object_add(x, "void_records",
			                       json_object_new_int64((int64_t)s->void_records));
		}
		json_object_object_add(o, "last_success", x);
		x = NULL;
		if (s->attempted) {
			x = json_object_new_object();
			json_object_object_add(x, "at", jtime(s->attempted_at));
			json_object_object_add(x, "timestamp", json_object_new_int64(s->attempted_at));
			json_object_object_add(x, "age",
			                       json_object_new_int64(f->now - s->attempted_at));
			json_object_object_add(x, "ok", json_object_new_boolean(s->attempt_ok));
			json_object_object_add(x, "error", s->attempt_ok ? NULL :
			                       json_object_new_string(s->attempt_error));
		}
		json_object_object_add(o, "last_attempt", x);
	} else if (f->policy != NULL) {
		x = json_object_new_array();
		for (size_t i = 0; i < smp_policy_records_count(f->policy); i++)
			json_object_array_add(x, json_object_new_string(
			                             smp_policy_records_path(f->policy, i)));
		json_object_object_add(o, "records", x);
	}
	json_object_object_add(o, "loads", json_object_new_boolean(f->policy != NULL));
	json_object_object_add(o, "signatures_required", f->policy != NULL ?
	                       json_object_new_boolean(smp_policy_requires_signatures(f->policy)) :
	                       NULL);
	json_object_object_add(o, "load_error", f->load_error != NULL ?
	                       json_object_new_string(f->load_error) : NULL);
	json_object_object_add(o, "cache", f->policy != NULL ?
	                       json_object_new_string(smp_cache_state_name(f->cache)) : NULL);
	json_object_object_add(o, "cache_path", f->cache_path != NULL ?
	                       json_object_new_string(f->cache_path) : NULL);
	json_object_object_add(o, "store", json_object_new_string(smp_cache_state_name(f->store)));
	json_object_object_add(o, "store_path", f->store_path != NULL ?
	                       json_object_new_string(f->store_path) : NULL);
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
	                                         JSON_C_TO_STRING_SPACED |
	                                         JSON_C_TO_STRING_NOSLASHESCAPE);
	puts(text);
	json_object_put(o);
	return 0;
}

/* ---- smpolicy status ----------------------------------------------------- */

static const char status_usage[] =
	"usage: smpolicy [-c CONFIG] status [--json] [--store DIR] [--at TIME]\n";

int cmd_status(const char *config, unsigned flags, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "store", required_argument, NULL, 's' },
		{ "at", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	struct found f = { 0 };
	struct health h = { ST_OK, "" };
	const char *store_dir = NULL;
	smp_diags *d = NULL;
	bool json = false;
	int c, level;

	f.now = (int64_t)time(NULL);
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c == 'j') {
			json = true;
		} else if (c == 's' && optarg[0] == '/') {
			store_dir = optarg;
		} else if (c == 'a' && smp_time_parse(optarg, SMP_TIME_START, &f.now) == SMP_OK) {
			continue;
		} else {
			fprintf(stderr, "smpolicy: status: %s '", c == 's' ? "--store needs an "
			        "absolute path:" : c == 'a' ? "--at: not a valid time:" :
			        "unknown or incomplete option");
			print_escaped(stderr, c == 's' || c == 'a' ? optarg : argv[optind - 1]);
			fprintf(stderr, "'\n%s", status_usage);
			return ST_UNKNOWN;
		}
	}
	if (optind < argc) {
		fputs("smpolicy: status: unexpected argument '", stderr);
		print_escaped(stderr, argv[optind]);
		fprintf(stderr, "'\n%s", status_usage);
		return ST_UNKNOWN;
	}
	level = gather(&f, config, flags, store_dir, &d);
	if (level != ST_OK) {
		print_diags(stderr, d);
		judge(&h, level, "%s", f.load_error != NULL ? f.load_error : "cannot read the state");
	} else {
		if (f.directory)
			judge_sync(&f, &h);
		if (f.policy == NULL)
			judge(&h, ST_CRITICAL, "the policy does not load: %s", f.load_error);
		judge_compiled(&f, &h);
	}
	if (h.why[0] == '\0')
		snprintf(h.why, sizeof(h.why), "%s", "the records are in order");
	if (json)
		print_json(&f, &h);
	else if (level == ST_OK)
		print_text(&f, &h);
	else
		printf("SMPOLICY %s - %s\n", level_name[h.level], h.why);
	smp_diags_free(d);
	smp_policy_free(f.policy);
	smp_sync_report_free(f.report);
	smp_free(f.store_path);
	free(f.load_error);
	if (fflush(stdout) != 0)
		return ST_UNKNOWN;
	return h.level;
}

/* ---- smpolicy sync --metrics FILE ------------------------------------------ */

int write_metrics(const char *config, unsigned flags, const char *file,
                  const struct sync_outcome *this_sync)
{
	smp_sync_report *r = NULL;
	struct smp_sync_status s = { .size = sizeof(s) };
	smp_diags *d = NULL;
	char *tmp = NULL;
	FILE *out;
	int fd;
	smp_status st = smp_sync_report_read(config, flags, &r, &d);

	if (st != SMP_OK) {
		print_diags(stderr, d);
		fprintf(stderr, "smpolicy: sync: --metrics: nothing written: %s\n",
		        smp_status_string(st));
		smp_diags_free(d);
		return 2;
	}
	smp_diags_free(d);
	smp_sync_report_info(r, &s);
	/* beside the file, and not named *.prom: the collector reads the old
	 * file or the new one, never half of one */
	if (asprintf(&tmp, "%s.XXXXXX", file) < 0 || (fd = mkostemp(tmp, O_CLOEXEC)) < 0 ||
	    (out = fdopen(fd, "w")) == NULL) {
		fprintf(stderr, "smpolicy: sync: --metrics %s: %s\n", file, strerror(errno));
		if (tmp != NULL)
			unlink(tmp);
		free(tmp);
		smp_sync_report_free(r);
		return 2;
	}
	fchmod(fd, 0644);
	fputs("# HELP smpolicy_last_sync_success_timestamp_seconds When the last good sync "
	      "of the local copy asked the directory (0: never).\n"
	      "# TYPE smpolicy_last_sync_success_timestamp_seconds gauge\n", out);
	fprintf(out, "smpolicy_last_sync_success_timestamp_seconds %lld\n",
	        (long long)(s.synced ? s.synced_at : 0));
	fputs("# HELP smpolicy_last_sync_attempt_timestamp_seconds When the last sync, good "
	      "or not, began (0: none recorded).\n"
	      "# TYPE smpolicy_last_sync_attempt_timestamp_seconds gauge\n", out);
	fprintf(out, "smpolicy_last_sync_attempt_timestamp_seconds %lld\n",
	        (long long)(s.attempted ? s.attempted_at : 0));
	fputs("# HELP smpolicy_last_sync_ok Whether the last sync succeeded.\n"
	      "# TYPE smpolicy_last_sync_ok gauge\n", out);
	fprintf(out, "smpolicy_last_sync_ok %d\n", s.attempted && s.attempt_ok);
	fputs("# HELP smpolicy_max_offline_seconds ldap.max_offline: past it logins are "
	      "refused.\n# TYPE smpolicy_max_offline_seconds gauge\n", out);
	fprintf(out, "smpolicy_max_offline_seconds %lld\n", (long long)s.max_offline);
	fputs("# HELP smpolicy_void_records Records of the current copy void by a fault of "
	      "their own entry.\n# TYPE smpolicy_void_records gauge\n", out);
	fprintf(out, "smpolicy_void_records %zu\n", s.void_records);
	if (s.has_records) {
		fputs("# HELP smpolicy_records Entries of the directory in the current copy.\n"
		      "# TYPE smpolicy_records gauge\n", out);
		fprintf(out, "smpolicy_records %zu\n", s.records);
	}
	if (this_sync != NULL && this_sync->done) {
		fputs("# HELP smpolicy_last_sync_incremental Whether this sync read only the "
		      "changes since the copy's cookie (1) or the whole directory, or nothing "
		      "(0).\n# TYPE smpolicy_last_sync_incremental gauge\n", out);
		fprintf(out, "smpolicy_last_sync_incremental %d\n", this_sync->incremental);
		fputs("# HELP smpolicy_last_sync_entries_received Entries the directory sent to "
		      "this sync.\n# TYPE smpolicy_last_sync_entries_received gauge\n", out);
		fprintf(out, "smpolicy_last_sync_entries_received %zu\n",
		        this_sync->changed ? this_sync->received : 0);
	}
	smp_sync_report_free(r);
	if (fflush(out) != 0 || fsync(fd) != 0 || fclose(out) != 0 || rename(tmp, file) != 0) {
		fprintf(stderr, "smpolicy: sync: --metrics %s: %s\n", file, strerror(errno));
		unlink(tmp);
		free(tmp);
		return 2;
	}
	free(tmp);
	return 0;
}
