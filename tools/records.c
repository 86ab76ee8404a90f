/*
 * records.c - smpolicy request, sign, revoke, account and log: the
 * manual's procedures as commands.  The library does the work (locking,
 * checking, writing, auditing); this file parses options and says what
 * happened.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "records.h"
#include "output.h"
#include "smpolicy.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#define EXIT_REFUSED 1
#define EXIT_ERROR 2

static const char request_usage[] =
	"usage: smpolicy request --staff U --kind long_term|limited --platform P[,P...] --by U\n"
	"                        [--ticket T] [--starts TIME] [--expires TIME] [--on TIME]\n"
	"                        [--password-file FILE] [--sync [--store DIR]]\n";
static const char sign_usage[] =
	"usage: smpolicy sign ID --by DIRECTOR [--on TIME] [--key URI|FILE [--pin-file FILE]]\n"
	"                     [--password-file FILE] [--sync [--store DIR]]\n"
	"       smpolicy sign --resign --by DIRECTOR --key URI|FILE [--pin-file FILE]\n"
	"                     [--at TIME] [--dry-run] [--password-file FILE]\n";
static const char revoke_usage[] =
	"usage: smpolicy revoke ID --by U --reason TEXT [--on TIME]\n"
	"                       [--key URI|FILE [--pin-file FILE]] [--password-file FILE]\n"
	"                       [--sync [--store DIR]]\n";
static const char account_usage[] =
	"usage: smpolicy account ID password-changed|password-escrowed|compromised|resolved\n"
	"                        [--on TIME] [--by U] [--password-file FILE]\n";
static const char log_usage[] = "usage: smpolicy log [--since TIME]\n";

static int usage_error(const char *usage, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	print_usage_error(usage, fmt, ap);
	va_end(ap);
	return EXIT_ERROR;
}

/* Print what the library said and turn the status into the exit code. */
static int finish(const char *cmd, smp_status st, const smp_diags *d)
{
	print_diags(stderr, d);
	if (st != SMP_OK && smp_diags_errors(d) == 0)
		fprintf(stderr, "smpolicy: %s: %s\n", cmd, smp_status_string(st));
	if (st == SMP_ERR_REFUSED) {
		fprintf(stderr, "smpolicy: %s: refused; the records were not changed\n", cmd);
		return EXIT_REFUSED;
	}
	return st == SMP_OK ? 0 : EXIT_ERROR;
}

/* Options shared by the record commands; each takes the ones it knows. */
struct args {
	const char *staff, *kind, *platform, *by, *ticket, *starts, *expires, *on;
	const char *reason, *since, *password_file;
	const char *key, *pin_file, *at;
	bool resign, dry_run;
	const char *pos[2];        /* positional arguments */
	int npos;
};

enum {
	O_STAFF = 256, O_KIND, O_PLATFORM, O_BY, O_TICKET, O_STARTS, O_EXPIRES, O_ON,
	O_REASON, O_SINCE, O_PASSWORD_FILE, O_HELP, O_KEY, O_PIN_FILE, O_AT, O_RESIGN, O_DRY_RUN,
};

static const struct option all_opts[] = {
	{ "staff", required_argument, NULL, O_STAFF },
	{ "kind", required_argument, NULL, O_KIND },
	{ "platform", required_argument, NULL, O_PLATFORM },
	{ "by", required_argument, NULL, O_BY },
	{ "ticket", required_argument, NULL, O_TICKET },
	{ "starts", required_argument, NULL, O_STARTS },
	{ "expires", required_argument, NULL, O_EXPIRES },
	{ "on", required_argument, NULL, O_ON },
	{ "reason", required_argument, NULL, O_REASON },
	{ "since", required_argument, NULL, O_SINCE },
	{ "password-file", required_argument, NULL, O_PASSWORD_FILE },
	{ "help", no_argument, NULL, O_HELP },
	{ "key", required_argument, NULL, O_KEY },
	{ "pin-file", required_argument, NULL, O_PIN_FILE },
	{ "at", required_argument, NULL, O_AT },
	{ "resign", no_argument, NULL, O_RESIGN },
	{ "dry-run", no_argument, NULL, O_DRY_RUN },
	{ NULL, 0, NULL, 0 },
};

static const char **slot(struct args *a, int opt)
{
	switch (opt) {
	case O_STAFF: return &a->staff;
	case O_KIND: return &a->kind;
	case O_PLATFORM: return &a->platform;
	case O_BY: return &a->by;
	case O_TICKET: return &a->ticket;
	case O_STARTS: return &a->starts;
	case O_EXPIRES: return &a->expires;
	case O_ON: return &a->on;
	case O_REASON: return &a->reason;
	case O_SINCE: return &a->since;
	case O_PASSWORD_FILE: return &a->password_file;
	case O_KEY: return &a->key;
	case O_PIN_FILE: return &a->pin_file;
	case O_AT: return &a->at;
	default: return NULL;
	}
}

/*
 * Parse argv (argv[0] is the command) into a, accepting only the options
 * in `allowed` (a string of O_* values) and up to `maxpos` positional
 * arguments.  Returns -1 to go on, else the exit code (0 after --help).
 */
static int parse(int argc, char **argv, const int *allowed, int maxpos, const char *usage,
                 struct args *a)
{
	int c;

	memset(a, 0, sizeof(*a));
	optind = 0;   /* GNU: start afresh */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "-", all_opts, NULL)) != -1) {
		const char **s = slot(a, c);
		bool ok = false;

		if (c == O_HELP) {
			fputs(usage, stdout);
			return 0;
		}
		if (c == O_RESIGN || c == O_DRY_RUN) {
			bool *f = c == O_RESIGN ? &a->resign : &a->dry_run;

			for (const int *o = allowed; *o != 0; o++)
				ok |= *o == c;
			if (!ok)
				return usage_error(usage, "%s: unknown option '%s'", argv[0],
				                   argv[optind - 1]);
			*f = true;
			continue;
		}
		if (c == 1) {   /* a positional argument, in order */
			if (a->npos == maxpos)
				return usage_error(usage, "%s: unexpected argument '%s'", argv[0], optarg);
			a->pos[a->npos++] = optarg;
			continue;
		}
		for (const int *o = allowed; *o != 0 && s != NULL; o++)
			ok |= *o == c;
		if (!ok)
			return usage_error(usage, "%s: unknown or incomplete option '%s'", argv[0],
			                   argv[optind - 1]);
		if (*s != NULL)
			return usage_error(usage, "%s: option '%s' given twice", argv[0],
			                   argv[optind - 1]);
		*s = optarg;
	}
	for (; optind < argc; optind++) {   /* after "--" */
		if (a->npos == maxpos)
			return usage_error(usage, "%s: unexpected argument '%s'", argv[0], argv[optind]);
		a->pos[a->npos++] = argv[optind];
	}
	return -1;
}

static int require(const char *usage, const char *cmd, const char *value, const char *name)
{
	if (value == NULL || value[0] == '\0')
		return usage_error(usage, "%s: %s is required", cmd, name);
	return -1;
}

/* ---- the password of the person acting (records in the directory) ------ */

#define MAX_PASSWORD 1024

/* The first line of a file only its owner, the caller, can read. */
static char *password_from_file(const char *path)
{
	char buf[MAX_PASSWORD + 2];
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);

	if (fd < 0 || fstat(fd, &st) != 0) {
		fprintf(stderr, "smpolicy: --password-file %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 077) != 0) {
		fprintf(stderr, "smpolicy: --password-file %s: must be a regular file of yours "
		        "that nobody else can read or write (chmod 600)\n", path);
		close(fd);
		return NULL;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		fprintf(stderr, "smpolicy: --password-file %s: %s\n", path, strerror(errno));
		return NULL;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	return strdup(buf);
}

/* Ask on the terminal, without echo. */
static char *password_from_tty(const char *by)
{
	char buf[MAX_PASSWORD + 2];
	struct termios old, quiet;
	FILE *tty = fopen("/dev/tty", "r+e");
	bool got;

	if (tty == NULL || tcgetattr(fileno(tty), &old) != 0) {
		fprintf(stderr, "smpolicy: the records are in the directory and the command binds "
		        "as '%s': give --password-file FILE (there is no terminal to ask on)\n", by);
		if (tty != NULL)
			fclose(tty);
		return NULL;
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	/* echo off (and type-ahead dropped) before the prompt, as getpass(3)
	 * does: what is typed after the prompt is never discarded */
	tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
	fprintf(tty, "Directory password for %s: ", by);
	fflush(tty);
	got = fgets(buf, sizeof(buf), tty) != NULL;
	tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fputc('\n', tty);
	fclose(tty);
	if (!got)
		return NULL;
	buf[strcspn(buf, "\r\n")] = '\0';
	return strdup(buf);
}

/*
 * The password of `by` when the records are in the directory: from
 * --password-file, else asked on the terminal.  *pw stays NULL for
 * records files.  Returns -1 to go on, else the exit code.
 */
static int get_password(const char *config, unsigned load_flags, const struct args *a,
                        const char *by, char **pw)
{
	*pw = NULL;
	if (a->password_file != NULL)
		*pw = password_from_file(a->password_file);
	else if (by != NULL && config_is_directory(config, load_flags))
		*pw = password_from_tty(by);
	else
		return -1;
	return *pw != NULL ? -1 : EXIT_ERROR;
}

static void forget(char *pw)
{
	if (pw != NULL)
		explicit_bzero(pw, strlen(pw));
	free(pw);
}

/* ---- the director's signing key ---------------------------------------- */

/*
 * The key of --key (else $SMPOLICY_KEY) and its PIN or passphrase from
 * --pin-file (else $SMPOLICY_PIN_FILE), a file only its owner can read.
 * key->key stays NULL when none is named.  Returns -1 to go on, else the
 * exit code.
 */
static int signing_key(const struct args *a, struct smp_signing *key, char **pin)
{
	const char *pin_file = a->pin_file != NULL ? a->pin_file : getenv("SMPOLICY_PIN_FILE");

	key->key = a->key != NULL ? a->key : getenv("SMPOLICY_KEY");
	if (key->key != NULL && key->key[0] == '\0')
		key->key = NULL;
	key->pin = *pin = NULL;
	if (key->key == NULL || pin_file == NULL || pin_file[0] == '\0')
		return -1;
	*pin = password_from_file(pin_file);
	key->pin = *pin;
	return *pin != NULL ? -1 : EXIT_ERROR;
}

static void print_resigned(const char *id, void *ctx)
{
	fputs((const char *)ctx, stdout);
	print_escaped(stdout, id);
	fputs("\n", stdout);
}

/* smpolicy sign --resign: the migration to signed sign-offs. */
static int cmd_resign(const char *config, unsigned load_flags, const struct args *a)
{
	smp_diags *d = NULL;
	char *pin = NULL, *pw = NULL;
	struct smp_signing key = { .size = sizeof(key) };
	smp_status st;
	int rc = require(sign_usage, "sign --resign", a->by, "--by");

	if (rc < 0 && a->npos > 0)
		rc = usage_error(sign_usage, "sign --resign: no approval ID: it signs every one");
	if (rc < 0)
		rc = signing_key(a, &key, &pin);
	if (rc < 0 && key.key == NULL && !a->dry_run)
		rc = usage_error(sign_usage, "sign --resign: --key is required");
	if (rc < 0 && !a->dry_run)
		rc = get_password(config, load_flags, a, a->by, &pw);
	if (rc >= 0) {
		forget(pin);
		return rc;
	}
	st = smp_edit_resign(config, load_flags, a->by, a->at, pw, &key, a->dry_run,
	                     print_resigned, (void *)(a->dry_run ? "would sign " : "signed "), &d);
	forget(pw);
	forget(pin);
	rc = finish("sign --resign", st, d);
	smp_diags_free(d);
	return rc;
}

/* ---- request ---------------------------------------------------------- */

/* "a,b" -> { "a", "b", NULL } in one allocation; NULL on an empty item. */
static char **split_platforms(const char *list)
{
	size_t n = 2, len = strlen(list);
	char **v, *copy;
	size_t k = 0;

	for (const char *s = list; *s; s++)
		n += *s == ',';
	v = malloc(n * sizeof(char *) + len + 1);
	if (v == NULL)
		return NULL;
	copy = memcpy((char *)(v + n), list, len + 1);
	for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save))
		v[k++] = tok;
	v[k] = NULL;
	if (k == 0 || k != n - 1) {   /* "a,,b", ",a" or "" */
		free(v);
		return NULL;
	}
	return v;
}

static int request_args(int argc, char **argv, struct args *a, struct smp_edit_request *req)
{
	static const int allowed[] = { O_STAFF, O_KIND, O_PLATFORM, O_BY, O_TICKET, O_STARTS,
	                               O_EXPIRES, O_ON, O_PASSWORD_FILE, 0 };
	int rc = parse(argc, argv, allowed, 0, request_usage, a);

	if (rc < 0)
		rc = require(request_usage, "request", a->staff, "--staff");
	if (rc < 0)
		rc = require(request_usage, "request", a->kind, "--kind");
	if (rc < 0)
		rc = require(request_usage, "request", a->platform, "--platform");
	if (rc < 0)
		rc = require(request_usage, "request", a->by, "--by");
	if (rc >= 0)
		return rc;
	if (strcmp(a->kind, "long_term") == 0)
		req->kind = SMP_APPROVAL_LONG_TERM;
	else if (strcmp(a->kind, "limited") == 0)
		req->kind = SMP_APPROVAL_LIMITED;
	else
		return usage_error(request_usage, "request: --kind must be long_term or limited, "
		                   "not '%s'", a->kind);
	req->staff = a->staff;
	req->by = a->by;
	req->ticket = a->ticket;
	req->starts = a->starts;
	req->expires = a->expires;
	req->on = a->on;
	return -1;
}

int cmd_request(const char *config, unsigned load_flags, int argc, char **argv)
{
	struct smp_edit_request req = { .size = sizeof(req) };
	struct args a;
	smp_diags *d = NULL;
	char *id = NULL, **platforms, *pw = NULL;
	smp_status st;
	int rc = request_args(argc, argv, &a, &req);

	if (rc < 0)
		rc = get_password(config, load_flags, &a, a.by, &pw);
	if (rc >= 0)
		return rc;
	platforms = split_platforms(a.platform);
	if (platforms == NULL) {
		forget(pw);
		return usage_error(request_usage, "request: --platform: '%s' is not a "
		                   "comma-separated list of platform ids", a.platform);
	}
	req.platforms = (const char *const *)platforms;
	st = smp_edit_request_as(config, load_flags, &req, pw, &id, &d);
	forget(pw);
	rc = finish("request", st, d);
	if (st == SMP_OK) {
		printf("Requested %s access for ", a.kind);
		print_escaped(stdout, a.staff);
		fputs(" to ", stdout);
		print_escaped(stdout, a.platform);
		printf(", pending the sign-offs of the Director of CP&P and the Director of "
		       "Information Technology (smpolicy sign): %s\n", id);
	}
	smp_diags_free(d);
	smp_free(id);
	free(platforms);
	return rc;
}

/* ---- sign ------------------------------------------------------------- */

int cmd_sign(const char *config, unsigned load_flags, int argc, char **argv)
{
	static const int allowed[] = { O_BY, O_ON, O_PASSWORD_FILE, O_KEY, O_PIN_FILE, O_AT,
	                               O_RESIGN, O_DRY_RUN, 0 };
	static const char *const who[] = { "the Director of CP&P",
	                                   "the Director of Information Technology" };
	struct args a;
	smp_diags *d = NULL;
	smp_sign_off_kind kind;
	bool complete;
	char *pw = NULL, *pin = NULL;
	struct smp_signing key = { .size = sizeof(key) };
	smp_status st;
	int rc = parse(argc, argv, allowed, 1, sign_usage, &a);

	if (rc < 0 && a.resign)
		return cmd_resign(config, load_flags, &a);
	if (rc < 0 && (a.at != NULL || a.dry_run))
		return usage_error(sign_usage, "sign: --at and --dry-run go with --resign");
	if (rc < 0)
		rc = require(sign_usage, "sign", a.pos[0], "the approval ID");
	if (rc < 0)
		rc = require(sign_usage, "sign", a.by, "--by");
	if (rc < 0)
		rc = signing_key(&a, &key, &pin);
	if (rc < 0)
		rc = get_password(config, load_flags, &a, a.by, &pw);
	if (rc >= 0) {
		forget(pin);
		return rc;
	}
	st = smp_edit_sign_with(config, load_flags, a.pos[0], a.by, a.on, pw,
	                        key.key != NULL ? &key : NULL, &kind, &complete, &d);
	forget(pw);
	forget(pin);
	rc = finish("sign", st, d);
	if (st == SMP_OK) {
		print_escaped(stdout, a.pos[0]);
		fputs(": signed by ", stdout);
		print_escaped(stdout, a.by);
		printf(" for %s", who[kind]);
		if (complete)
			printf("; the approval is fully signed\n");
		else
			printf("; it still needs the sign-off of %s\n", who[!kind]);
	}
	smp_diags_free(d);
	return rc;
}

/* ---- revoke ----------------------------------------------------------- */

int cmd_revoke(const char *config, unsigned load_flags, int argc, char **argv)
{
	static const int allowed[] = { O_BY, O_REASON, O_ON, O_PASSWORD_FILE, O_KEY, O_PIN_FILE, 0 };
	struct args a;
	smp_diags *d = NULL;
	char *pw = NULL, *pin = NULL;
	struct smp_signing key = { .size = sizeof(key) };
	smp_status st;
	int rc = parse(argc, argv, allowed, 1, revoke_usage, &a);

	if (rc < 0)
		rc = require(revoke_usage, "revoke", a.pos[0], "the approval ID");
	if (rc < 0)
		rc = require(revoke_usage, "revoke", a.by, "--by");
	if (rc < 0)
		rc = require(revoke_usage, "revoke", a.reason, "--reason");
	if (rc < 0)
		rc = signing_key(&a, &key, &pin);
	if (rc < 0)
		rc = get_password(config, load_flags, &a, a.by, &pw);
	if (rc >= 0) {
		forget(pin);
		return rc;
	}
	st = smp_edit_revoke_with(config, load_flags, a.pos[0], a.by, a.reason, a.on, pw,
	                          key.key != NULL ? &key : NULL, &d);
	forget(pw);
	forget(pin);
	rc = finish("revoke", st, d);
	if (st == SMP_OK) {
		print_escaped(stdout, a.pos[0]);
		fputs(": revoked by ", stdout);
		print_escaped(stdout, a.by);
		fputs("\n", stdout);
	}
	smp_diags_free(d);
	return rc;
}

/* ---- account ---------------------------------------------------------- */

static const char *const event_said[SMP_ACCOUNT__COUNT] = {
	[SMP_ACCOUNT_PASSWORD_CHANGED] =
		("password change recorded; once the supervisor has the new password, record "
		 "password-escrowed (§D)"),
	[SMP_ACCOUNT_PASSWORD_ESCROWED] = "the supervisor has the current password (§D)",
	[SMP_ACCOUNT_COMPROMISED] =
		"compromise recorded; the account may not be used until it is resolved",
	[SMP_ACCOUNT_RESOLVED] = "compromise resolved",
};

int cmd_account(const char *config, unsigned load_flags, int argc, char **argv)
{
	static const int allowed[] = { O_ON, O_BY, O_PASSWORD_FILE, 0 };
	struct args a;
	smp_account_event ev;
	smp_diags *d = NULL;
	char *pw = NULL;
	smp_status st;
	int rc = parse(argc, argv, allowed, 2, account_usage, &a);

	if (rc < 0)
		rc = require(account_usage, "account", a.pos[0], "the account ID");
	if (rc < 0)
		rc = require(account_usage, "account", a.pos[1], "the event");
	if (rc >= 0)
		return rc;
	if (smp_account_event_parse(a.pos[1], &ev) != SMP_OK)
		return usage_error(account_usage, "account: unknown event '%s'", a.pos[1]);
	rc = get_password(config, load_flags, &a, a.by, &pw);
	if (rc >= 0)
		return rc;
	st = smp_edit_account_as(config, load_flags, a.pos[0], ev, a.on, a.by, pw, &d);
	forget(pw);
	rc = finish("account", st, d);
	if (st == SMP_OK) {
		print_escaped(stdout, a.pos[0]);
		printf(": %s\n", event_said[ev]);
	}
	smp_diags_free(d);
	return rc;
}

/* ---- log -------------------------------------------------------------- */

/* One audit line as it is, control bytes of a tampered line made visible. */
static int print_line(void *ctx, int64_t when, const char *line)
{
	(void)when;
	for (const unsigned char *s = (const unsigned char *)line; *s; s++) {
		if (*s < 0x20 || *s == 0x7f)
			fprintf(ctx, "\\x%02x", *s);
		else
			fputc(*s, ctx);
	}
	fputc('\n', ctx);
	return ferror((FILE *)ctx) ? 1 : 0;
}

int cmd_log(const char *config, unsigned load_flags, int argc, char **argv)
{
	static const int allowed[] = { O_SINCE, 0 };
	struct args a;
	int64_t since;
	smp_diags *d = NULL;
	smp_status st;
	int rc = parse(argc, argv, allowed, 0, log_usage, &a);

	if (rc >= 0)
		return rc;
	if (a.since != NULL && smp_time_parse(a.since, SMP_TIME_START, &since) != SMP_OK)
		return usage_error(log_usage, "log: --since: '%s' is not a valid time", a.since);
	st = smp_audit_read(config, load_flags, a.since ? &since : NULL, print_line, stdout, &d);
	rc = finish("log", st, d);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "smpolicy: log: cannot write the output\n");
		rc = EXIT_ERROR;
	}
	smp_diags_free(d);
	return rc;
}
