/*
 * pam_smpolicy.c - PAM account and session module for libsmpolicy
 *
 * At login it asks the library whether PAM_USER may use social media for
 * official purposes on this workstation (NJ DCF CP&P Manual IX-H-2-100),
 * tells the user why not, logs one line per decision and, at session open,
 * exports what was allowed.  All policy lives in the library: this file
 * turns PAM's inputs into requests and the library's decisions into PAM
 * return codes, messages and log lines.  Every fault of its own fails
 * closed with PAM_AUTH_ERR.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "smpolicy.h"

#define MANUAL "manual IX-H-2-100"
#define WARN_DAYS_MAX 3650
#define LOG_FIELD_MAX 256   /* bytes of one user-controlled field put in a log line */
#define LOG_DIAGS_MAX 20    /* load errors logged before "and N more" */
#define SECONDS_PER_DAY 86400
#define REF_LEN 8           /* hex digits of a login's reference */
#define TELL_MAX 3          /* reason lines a denied user reads */

#ifndef HOST_NAME_MAX
#define HOST_NAME_MAX 255
#endif

/* The module arguments, parsed once. */
struct options {
	const char *config;        /* absolute path of smpolicy.conf */
	char *platform_arg;        /* copy of platform=, split in place */
	const char **platforms;    /* the ids in platform_arg; NULL: the catalogue */
	size_t platform_count;
	const char *device;        /* NULL: this host's name */
	int warn_days;             /* -1: the config's warn_days */
	enum { CACHE_REFRESH, CACHE_USE, CACHE_OFF } cache;   /* cache= */
	const char *store;         /* store=: the login store's folder; NULL: off */
	bool debug;
	bool silent;               /* PAM_SILENT */
};

/* What was decided for one platform: one decision per official account the
 * user holds there (action login), or a single one for view. */
struct verdict {
	const char *platform;      /* owned by the policy */
	size_t index;              /* in the catalogue */
	size_t count;
	smp_decision **decisions;
	const char **accounts;     /* parallel to decisions; NULL for view */
	bool allowed;              /* some decision allows */
	int rank;                  /* how much its denial concerns the user: 0 most */
};

/* One call of the module: its inputs and the decisions it made. */
struct run {
	pam_handle_t *pamh;
	const char *step;          /* "account", "session open", "session close" */
	struct options opt;
	const char *service;
	const char *user;
	const char *device;
	char host[HOST_NAME_MAX + 1];
	char device_id[64];        /* the device a host name with a dot stands for */
	smp_policy *policy;
	int64_t at;
	bool allowed;              /* the outcome is PAM_SUCCESS */
	struct verdict *verdicts;
	size_t verdict_count;
	/* The reference the user reads and the log line carries, so that the
	 * helpdesk finds this login's line in syslog from what the user says. */
	char ref[REF_LEN + 1];
	size_t told, untold;       /* reason lines shown, and held back */
};

/* ---- logging ------------------------------------------------------------ */

/* Write s to f with every byte that could forge or split a log line (control
 * characters, '"', '\\', anything beyond ASCII, and the space unless
 * keep_space) as \xNN; at most LOG_FIELD_MAX bytes of s, then "...". */
static void put_escaped_text(FILE *f, const char *s, bool keep_space)
{
	size_t n = 0;

	if (s == NULL) {
		fputs("-", f);
		return;
	}
	for (; *s != '\0' && n < LOG_FIELD_MAX; s++, n++) {
		unsigned char c = (unsigned char)*s;

		bool plain = c > 0x20 && c < 0x7f && c != '"' && c != '\\';

		if (plain || (c == ' ' && keep_space))
			fputc(c, f);
		else
			fprintf(f, "\\x%02x", c);
	}
	if (*s != '\0')
		fputs("...", f);
}

/* A field of a key=value log line: spaces escaped too. */
static void put_escaped(FILE *f, const char *s)
{
	put_escaped_text(f, s, false);
}

/* A line being built for the log or the environment; NULL text on OOM. */
struct line {
	FILE *f;
	char *text;
	size_t len;
};

static bool line_open(struct line *l)
{
	l->text = NULL;
	l->len = 0;
	l->f = open_memstream(&l->text, &l->len);
	return l->f != NULL;
}

/* Finish the line: returns the text (the caller frees it) or NULL. */
static char *line_close(struct line *l)
{
	bool failed = ferror(l->f) != 0;

	if (fclose(l->f) != 0 || failed) {
		free(l->text);
		return NULL;
	}
	return l->text;
}

static void log_oom(const struct run *r)
{
	pam_syslog(r->pamh, LOG_CRIT, "%s: out of memory", r->step);
}

/* Log "step: what: TEXT" with TEXT escaped (spaces too, unless keep_space). */
static void log_escaped(const struct run *r, int priority, const char *what, const char *text,
                        bool keep_space)
{
	struct line l;
	char *out;

	if (!line_open(&l)) {
		log_oom(r);
		return;
	}
	put_escaped_text(l.f, text, keep_space);
	out = line_close(&l);
	if (out == NULL) {
		log_oom(r);
		return;
	}
	pam_syslog(r->pamh, priority, "%s: %s: %s", r->step, what, out);
	free(out);
}

/* Log "step: what: ARG" for a module argument or other single word. */
static void log_arg(const struct run *r, int priority, const char *what, const char *arg)
{
	log_escaped(r, priority, what, arg, false);
}

/* ---- telling the user --------------------------------------------------- */

/* Write a section of the table ("C", "C, Proc. A", "Proc. A") as the
 * manual cites it: a lettered section of the policy gets a section sign. */
static void put_section(FILE *f, const char *section)
{
	const char *p = section;

	while (*p != '\0') {
		size_t blanks = strspn(p, " "), n;

		fwrite(p, 1, blanks, f);
		p += blanks;
		n = strcspn(p, ",");
		if (n == 1 && p[0] >= 'A' && p[0] <= 'Z')
			fputs("\u00a7", f);
		fwrite(p, 1, n, f);
		p += n;
		if (*p == ',')
			fputc(*p++, f);
	}
}

/* Write text with control characters as '?': a user name echoed in a
 * message must not start lines of its own or drive the terminal. */
static void put_printable(FILE *f, const char *text)
{
	for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++)
		fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, f);
}

/* Show text to the user (unless PAM_SILENT), citing section if not NULL. */
static void tell(const struct run *r, int style, const char *text, const char *section)
{
	struct line l;
	char *out;

	if (r->opt.silent)
		return;
	if (!line_open(&l)) {
		log_oom(r);
		return;
	}
	put_printable(l.f, text);
	if (section != NULL) {
		fputs(" (" MANUAL " ", l.f);
		put_section(l.f, section);
		fputc(')', l.f);
	}
	out = line_close(&l);
	if (out == NULL) {
		log_oom(r);
		return;
	}
	pam_prompt(r->pamh, style, NULL, "%s", out);
	free(out);
}

/* A fault of the module's own: logged, and the user learns only that
 * access is refused (the log says why). */
static int fail_closed(const struct run *r)
{
	char text[200];

	pam_syslog(r->pamh, LOG_ERR, "%s: no decision; failing closed ref=%s", r->step, r->ref);
	snprintf(text, sizeof(text), "The social media policy could not be checked, so access "
	         "is refused. Please tell the helpdesk, reference %s.", r->ref);
	tell(r, PAM_ERROR_MSG, text, NULL);
	return PAM_AUTH_ERR;
}

/* ---- module arguments ----------------------------------------------------- */

static const char *opt_value(const char *arg, const char *key)
{
	size_t n = strlen(key);

	return strncmp(arg, key, n) == 0 ? arg + n : NULL;
}

static int opt_config(struct run *r, const char *value)
{
	if (value[0] != '/') {
		log_arg(r, LOG_ERR, "config= must be an absolute path", value);
		return PAM_AUTH_ERR;
	}
	r->opt.config = value;
	return PAM_SUCCESS;
}

/* Split a copy of "ID[,ID...]" into r->opt.platforms; no id may be empty. */
static int opt_platforms(struct run *r, const char *value)
{
	struct options *o = &r->opt;
	size_t n = 1;
	char *p;

	for (p = strchr(value, ','); p != NULL; p = strchr(p + 1, ','))
		n++;
	free(o->platform_arg);
	free(o->platforms);
	o->platform_arg = strdup(value);
	o->platforms = calloc(n, sizeof *o->platforms);
	o->platform_count = 0;
	if (o->platform_arg == NULL || o->platforms == NULL) {
		log_oom(r);
		return PAM_AUTH_ERR;
	}
	for (p = o->platform_arg; p != NULL; o->platform_count++) {
		o->platforms[o->platform_count] = p;
		p = strchr(p, ',');
		if (p != NULL)
			*p++ = '\0';
		if (o->platforms[o->platform_count][0] == '\0') {
			log_arg(r, LOG_ERR, "platform= has an empty id", value);
			return PAM_AUTH_ERR;
		}
	}
	return PAM_SUCCESS;
}

static int opt_device(struct run *r, const char *value)
{
	if (value[0] == '\0') {
		log_arg(r, LOG_ERR, "device= needs an id", value);
		return PAM_AUTH_ERR;
	}
	r->opt.device = value;
	return PAM_SUCCESS;
}

static int opt_warn_days(struct run *r, const char *value)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0' || n < 0 || n > WARN_DAYS_MAX) {
		log_arg(r, LOG_ERR, "warn_days= needs a number of days from 0 to 3650", value);
		return PAM_AUTH_ERR;
	}
	r->opt.warn_days = (int)n;
	return PAM_SUCCESS;
}

/* cache=refresh (the default): use the compiled cache when it is fresh,
 * and after a miss write a new one for the next login; cache=use: never
 * write it; cache=off: always parse the files. */
static int opt_cache(struct run *r, const char *value)
{
	if (strcmp(value, "refresh") == 0)
		r->opt.cache = CACHE_REFRESH;
	else if (strcmp(value, "use") == 0)
		r->opt.cache = CACHE_USE;
	else if (strcmp(value, "off") == 0)
		r->opt.cache = CACHE_OFF;
	else {
		log_arg(r, LOG_ERR, "cache= must be refresh, use or off", value);
		return PAM_AUTH_ERR;
	}
	return PAM_SUCCESS;
}

/* store=DIR (absolute; default SMP_DEFAULT_STORE_DIR): the folder of the
 * login store, which cache= uses and refreshes as it does the compiled
 * cache; store=off: decide from the whole policy. */
static int opt_store(struct run *r, const char *value)
{
	if (strcmp(value, "off") == 0) {
		r->opt.store = NULL;
		return PAM_SUCCESS;
	}
	if (value[0] != '/') {
		log_arg(r, LOG_ERR, "store= must be an absolute path or off", value);
		return PAM_AUTH_ERR;
	}
	r->opt.store = value;
	return PAM_SUCCESS;
}

static int opt_parse_one(struct run *r, const char *arg)
{
	const char *v;

	if (strcmp(arg, "debug") == 0) {
		r->opt.debug = true;
		return PAM_SUCCESS;
	}
	if ((v = opt_value(arg, "config=")) != NULL)
		return opt_config(r, v);
	if ((v = opt_value(arg, "platform=")) != NULL)
		return opt_platforms(r, v);
	if ((v = opt_value(arg, "device=")) != NULL)
		return opt_device(r, v);
	if ((v = opt_value(arg, "warn_days=")) != NULL)
		return opt_warn_days(r, v);
	if ((v = opt_value(arg, "cache=")) != NULL)
		return opt_cache(r, v);
	if ((v = opt_value(arg, "store=")) != NULL)
		return opt_store(r, v);
	log_arg(r, LOG_ERR, "unknown module argument", arg);
	return PAM_AUTH_ERR;
}

/* Every argument is read even after a bad one, so that all are logged. */
static int opt_parse(struct run *r, int flags, int argc, const char **argv)
{
	int rc = PAM_SUCCESS;

	r->opt.config = SMP_DEFAULT_CONFIG;
	r->opt.store = SMP_DEFAULT_STORE_DIR;
	r->opt.warn_days = -1;
	r->opt.silent = (flags & PAM_SILENT) != 0;
	for (int i = 0; i < argc; i++) {
		if (argv[i] == NULL || opt_parse_one(r, argv[i]) != PAM_SUCCESS)
			rc = PAM_AUTH_ERR;
	}
	return rc;
}

static void opt_free(struct options *o)
{
	free(o->platform_arg);
	free(o->platforms);
}

/* ---- the run: inputs ------------------------------------------------------ */

static int run_user(struct run *r)
{
	const void *item = NULL;
	const char *user = NULL;

	if (pam_get_item(r->pamh, PAM_SERVICE, &item) != PAM_SUCCESS || item == NULL) {
		pam_syslog(r->pamh, LOG_ERR, "%s: no PAM_SERVICE", r->step);
		return PAM_AUTH_ERR;
	}
	r->service = item;
	if (pam_get_user(r->pamh, &user, NULL) != PAM_SUCCESS) {
		pam_syslog(r->pamh, LOG_ERR, "%s: cannot get the user name", r->step);
		return PAM_AUTH_ERR;
	}
	if (user == NULL || user[0] == '\0') {
		pam_syslog(r->pamh, LOG_NOTICE, "%s: empty user name", r->step);
		return PAM_USER_UNKNOWN;
	}
	r->user = user;
	return PAM_SUCCESS;
}

/* The device is device= or, as on every DCF workstation, the host name. */
static int run_device(struct run *r)
{
	if (r->opt.device != NULL) {
		r->device = r->opt.device;
		return PAM_SUCCESS;
	}
	if (gethostname(r->host, sizeof r->host) != 0) {
		pam_syslog(r->pamh, LOG_ERR, "%s: gethostname: %s", r->step, strerror(errno));
		return PAM_AUTH_ERR;
	}
	r->host[sizeof r->host - 1] = '\0';
	if (r->host[0] == '\0') {
		pam_syslog(r->pamh, LOG_ERR, "%s: the host name is empty", r->step);
		return PAM_AUTH_ERR;
	}
	r->device = r->host;
	return PAM_SUCCESS;
}

/* Log the diagnostics: errors at err_priority, warnings at LOG_WARNING. */
static void log_diags(const struct run *r, const smp_diags *diags, int err_priority)
{
	size_t n = smp_diags_count(diags), logged = 0;

	for (size_t i = 0; i < n && logged < LOG_DIAGS_MAX; i++) {
		const struct smp_diag *d = smp_diags_get(diags, i);

		if (d == NULL)
			continue;
		log_escaped(r, d->severity == SMP_SEV_ERROR ? err_priority : LOG_WARNING,
		            d->file != NULL ? d->file : "-", d->message, true);
		logged += d->severity == SMP_SEV_ERROR;
	}
	if (smp_diags_errors(diags) > logged)
		pam_syslog(r->pamh, err_priority, "%s: and %zu more errors", r->step,
		           smp_diags_errors(diags) - logged);
}

static int run_load(struct run *r)
{
	smp_diags *diags = NULL;
	unsigned flags = r->opt.cache == CACHE_OFF ? SMP_LOAD_NO_CACHE : 0;
	/* the login store: this user's and this device's records only */
	smp_status st = r->opt.store != NULL
	                ? smp_policy_load_for(r->opt.config, r->opt.store, flags, r->user,
	                                      r->device, &r->policy, &diags)
	                : smp_policy_load(r->opt.config, flags, &r->policy, &diags);

	if (st != SMP_OK || r->policy == NULL) {
		log_arg(r, LOG_ERR, smp_status_string(st), r->opt.config);
		log_diags(r, diags, LOG_ERR);
		if (st == SMP_ERR_OFFLINE)
			/* when and from where the records were last synced, and
			 * what to run, are in the log line above: the caseworker
			 * reads what happened, in plain words */
			tell(r, PAM_ERROR_MSG, "The social media records on this computer have not "
			     "been brought up to date for too long, so they cannot be trusted.",
			     NULL);
		smp_diags_free(diags);
		return PAM_AUTH_ERR;
	}
	log_diags(r, diags, LOG_ERR);   /* warnings: a compiled cache that was ignored */
	smp_diags_free(diags);
	return PAM_SUCCESS;
}

/* After a miss, write the compiled cache so that the next login need not
 * parse the records (cache=refresh with store=off: with the login store,
 * a login writes the store alone and nothing beside the settings file,
 * in /etc; as root only: the cache must be
 * root-owned to be used; in the account step only, so that a write that
 * fails is tried and logged once per login).  Whatever becomes of it,
 * this login's outcome stands: it was decided from the files. */
static void refresh_cache(const struct run *r)
{
	smp_cache_state was = smp_policy_cache_state(r->policy);
	smp_diags *diags = NULL;
	smp_status st;

	if (r->opt.cache != CACHE_REFRESH || r->opt.store != NULL || geteuid() != 0 ||
	    strcmp(r->step, "account") != 0 ||
	    (was != SMP_CACHE_ABSENT && was != SMP_CACHE_STALE && was != SMP_CACHE_REJECTED))
		return;
	st = smp_policy_cache_write(r->policy, SMP_EDIT_NOWAIT, &diags);
	if (st == SMP_OK) {
		log_arg(r, LOG_NOTICE, was == SMP_CACHE_ABSENT ? "wrote the compiled cache"
		                                               : "wrote a new compiled cache",
		        smp_policy_cache_path(r->policy));
	} else if (st == SMP_ERR_LOCK) {
		if (r->opt.debug)   /* another login is writing it: nothing to say */
			log_arg(r, LOG_DEBUG, "another process is writing the compiled cache",
			        smp_policy_cache_path(r->policy));
	} else {
		log_arg(r, LOG_WARNING, "cannot write the compiled cache (set cache=use to stop "
		        "trying; smpolicy compile writes it)", smp_policy_cache_path(r->policy));
		log_diags(r, diags, LOG_WARNING);
	}
	smp_diags_free(diags);
}

/* After a miss of the login store, write it, as refresh_cache() does the
 * compiled cache (the policy is then the whole one).  A store refused
 * because the records changed in the last seconds is written by a later
 * login: a login does not wait. */
static void refresh_store(const struct run *r)
{
	smp_cache_state was = smp_policy_store_state(r->policy);
	smp_diags *diags = NULL;
	smp_status st;

	if (r->opt.cache != CACHE_REFRESH || r->opt.store == NULL || geteuid() != 0 ||
	    strcmp(r->step, "account") != 0 ||
	    (was != SMP_CACHE_ABSENT && was != SMP_CACHE_STALE && was != SMP_CACHE_REJECTED))
		return;
	st = smp_policy_store_write(r->policy, r->opt.store, SMP_EDIT_NOWAIT, &diags);
	if (st == SMP_OK) {
		log_arg(r, LOG_NOTICE, was == SMP_CACHE_ABSENT ? "wrote the login store"
		                                               : "wrote a new login store",
		        r->opt.store);
	} else if (st == SMP_ERR_LOCK) {
		if (r->opt.debug)   /* being written, or records too new: a later login */
			log_diags(r, diags, LOG_DEBUG);
	} else {
		log_arg(r, LOG_WARNING, "cannot write the login store (set store=off or cache=use "
		        "to stop trying; smpolicy compile writes it)", r->opt.store);
		log_diags(r, diags, LOG_WARNING);
	}
	smp_diags_free(diags);
}

/* ---- the run: deciding ---------------------------------------------------- */

/* The platforms to decide: platform= (each must be in the catalogue, or the
 * argument is wrong), else the whole catalogue. */
static int run_platforms(struct run *r)
{
	const struct options *o = &r->opt;
	size_t n = o->platforms != NULL ? o->platform_count
	                                : smp_policy_platform_count(r->policy);

	if (n == 0) {
		pam_syslog(r->pamh, LOG_ERR, "%s: the catalogue lists no platform", r->step);
		return PAM_AUTH_ERR;
	}
	r->verdicts = calloc(n, sizeof *r->verdicts);
	if (r->verdicts == NULL) {
		log_oom(r);
		return PAM_AUTH_ERR;
	}
	for (size_t i = 0; i < n; i++) {
		struct verdict *v = &r->verdicts[i];

		v->index = i;
		if (o->platforms != NULL &&
		    smp_policy_platform_index(r->policy, o->platforms[i], &v->index) != SMP_OK) {
			log_arg(r, LOG_ERR, "platform= names a platform not in the catalogue",
			        o->platforms[i]);
			return PAM_AUTH_ERR;
		}
		v->platform = smp_policy_platform_id(r->policy, v->index);
		if (v->platform == NULL)
			return PAM_AUTH_ERR;
		r->verdict_count = i + 1;
	}
	return PAM_SUCCESS;
}

static int decide_one(struct run *r, struct verdict *v, size_t i)
{
	struct smp_request req;
	smp_decision *d = NULL;
	smp_status st;

	smp_request_init(&req);
	req.user = r->user;
	req.platform = v->platform;
	req.device = r->device;
	req.account = v->accounts[i];
	req.action = v->accounts[i] != NULL ? SMP_ACTION_LOGIN : SMP_ACTION_VIEW;
	req.at = r->at;
	req.warn_days = r->opt.warn_days;
	st = smp_decide(r->policy, &req, &d);
	if (st != SMP_OK || d == NULL) {
		log_arg(r, LOG_ERR, smp_status_string(st), v->platform);
		return PAM_AUTH_ERR;
	}
	v->decisions[i] = d;
	v->count = i + 1;
	if (smp_decision_allowed(d))
		v->allowed = true;
	return PAM_SUCCESS;
}

/* login with each official account the user holds on the platform (any
 * passing one suffices), or view when the user holds none. */
static int decide_platform(struct run *r, struct verdict *v)
{
	size_t held = smp_policy_accounts_held(r->policy, r->user, v->platform, NULL, 0);
	size_t n = held > 0 ? held : 1;

	v->decisions = calloc(n, sizeof *v->decisions);
	v->accounts = calloc(n, sizeof *v->accounts);
	if (v->decisions == NULL || v->accounts == NULL) {
		log_oom(r);
		return PAM_AUTH_ERR;
	}
	if (held > 0 && smp_policy_accounts_held(r->policy, r->user, v->platform,
	                                         v->accounts, held) != held)
		return PAM_AUTH_ERR;   /* the policy is immutable: cannot happen */
	for (size_t i = 0; i < n; i++) {
		int rc = decide_one(r, v, i);

		if (rc != PAM_SUCCESS)
			return rc;
	}
	return PAM_SUCCESS;
}

static bool any_reason(const struct run *r, smp_reason reason)
{
	for (size_t i = 0; i < r->verdict_count; i++) {
		const struct verdict *v = &r->verdicts[i];

		for (size_t j = 0; j < v->count; j++) {
			size_t n = smp_decision_reason_count(v->decisions[j]);

			for (size_t k = 0; k < n; k++)
				if (smp_decision_reason(v->decisions[j], k) == reason)
					return true;
		}
	}
	return false;
}

/* With platform= every named platform must be allowed, without it one.
 * A lapsed approval is a denial like any other (PAM_PERM_DENIED): the
 * Unix account has not expired, and PAM_ACCT_EXPIRED would make login(1)
 * and sshd say so. */
static int run_result(const struct run *r)
{
	bool need_all = r->opt.platforms != NULL;
	size_t allowed = 0, denied;

	for (size_t i = 0; i < r->verdict_count; i++)
		allowed += r->verdicts[i].allowed;
	denied = r->verdict_count - allowed;
	if (r->verdict_count > 0 && (need_all ? denied == 0 : allowed > 0))
		return PAM_SUCCESS;
	if (any_reason(r, SMP_R_UNKNOWN_USER))
		return PAM_USER_UNKNOWN;
	return PAM_PERM_DENIED;
}

/* A name with a dot under the settings' device_domains stands for its
 * first label (the library's rule, which the login store followed too):
 * ws-essex-0042.ws.dcf.example is the device ws-essex-0042.  Any other
 * name is the device id as it is. */
static void run_device_domain(struct run *r)
{
	if (strchr(r->device, '.') != NULL &&
	    smp_policy_device_for_name(r->policy, r->device, r->device_id,
	                               sizeof r->device_id) == SMP_OK)
		r->device = r->device_id;
}

/* Load, then decide every platform; *result receives the PAM verdict.
 * Returns PAM_SUCCESS or, on a fault of the module's own, PAM_AUTH_ERR. */
static int run_decide(struct run *r, int *result)
{
	int rc = run_load(r);

	if (rc == PAM_SUCCESS)
		run_device_domain(r);
	if (rc == PAM_SUCCESS)
		rc = run_platforms(r);
	r->at = (int64_t)time(NULL);
	for (size_t i = 0; rc == PAM_SUCCESS && i < r->verdict_count; i++)
		rc = decide_platform(r, &r->verdicts[i]);
	if (rc != PAM_SUCCESS)
		return PAM_AUTH_ERR;
	*result = run_result(r);
	r->allowed = *result == PAM_SUCCESS;
	return PAM_SUCCESS;
}

static void run_free(struct run *r)
{
	for (size_t i = 0; i < r->verdict_count; i++) {
		for (size_t j = 0; j < r->verdicts[i].count; j++)
			smp_decision_free(r->verdicts[i].decisions[j]);
		free(r->verdicts[i].decisions);
		free(r->verdicts[i].accounts);
	}
	free(r->verdicts);
	smp_policy_free(r->policy);
	opt_free(&r->opt);
}

/* A fresh reference: random where the kernel gives it, else from the
 * clock and the process; unique enough to find one line in a day's log. */
static void make_ref(struct run *r)
{
	uint32_t v = 0;

	if (getrandom(&v, sizeof v, GRND_NONBLOCK) != (ssize_t)sizeof v) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		v = (uint32_t)ts.tv_nsec ^ (uint32_t)ts.tv_sec * 2654435761u ^
		    (uint32_t)getpid() << 16;
	}
	snprintf(r->ref, sizeof r->ref, "%08x", (unsigned)v);
}

/* Parse the arguments and find the user and the device. */
static int run_start(struct run *r, pam_handle_t *pamh, const char *step, int flags,
                     int argc, const char **argv)
{
	int rc;

	memset(r, 0, sizeof *r);
	r->pamh = pamh;
	r->step = step;
	make_ref(r);
	rc = opt_parse(r, flags, argc, argv);
	if (rc == PAM_SUCCESS)
		rc = run_user(r);
	if (rc == PAM_SUCCESS)
		rc = run_device(r);
	return rc;
}

/* ---- presenting the decision ---------------------------------------------- */

/* Whether a decision counts for a refusal: every denial of a platform that
 * was not allowed (an allowed platform's failed accounts do not); none when
 * access was allowed. */
static bool decisive(const struct run *r, const struct verdict *v, size_t j)
{
	return !r->allowed && !v->allowed && !smp_decision_allowed(v->decisions[j]);
}

/* The message of reason `reason` in decision d, or NULL when d lacks it. */
static const char *reason_message(const smp_decision *d, smp_reason reason)
{
	size_t n = smp_decision_reason_count(d);

	for (size_t k = 0; k < n; k++)
		if (smp_decision_reason(d, k) == reason)
			return smp_decision_reason_message(d, k);
	return NULL;
}

/* The message of reason in decision j of v if that decision is decisive. */
static const char *decisive_message(const struct run *r, const struct verdict *v, size_t j,
                                    smp_reason reason)
{
	return decisive(r, v, j) ? reason_message(v->decisions[j], reason) : NULL;
}

/* How reason `reason` shows in the decisive decisions. */
struct reason_use {
	size_t platforms;          /* platforms whose decisions give it */
	const char *first;         /* its first message */
	bool same;                 /* every message equals first */
};

static struct reason_use reason_use(const struct run *r, smp_reason reason)
{
	struct reason_use u = { 0, NULL, true };

	for (size_t i = 0; i < r->verdict_count; i++) {
		const struct verdict *v = &r->verdicts[i];
		bool counted = false;

		for (size_t j = 0; j < v->count; j++) {
			const char *m = decisive_message(r, v, j, reason);

			if (m == NULL)
				continue;
			if (!counted)
				u.platforms++;
			counted = true;
			if (u.first == NULL)
				u.first = m;
			else if (strcmp(u.first, m) != 0)
				u.same = false;
		}
	}
	return u;
}

/* Write the names of the platforms whose decisive decisions give reason. */
static void put_names(FILE *f, const struct run *r, smp_reason reason)
{
	const char *sep = "";

	for (size_t i = 0; i < r->verdict_count; i++) {
		const struct verdict *v = &r->verdicts[i];

		for (size_t j = 0; j < v->count; j++) {
			if (decisive_message(r, v, j, reason) != NULL) {
				fprintf(f, "%s%s", sep, smp_policy_platform_name(r->policy, v->index));
				sep = ", ";
				break;
			}
		}
	}
}

/* Tell "PLATFORMS: TEXT (manual ... §S)" for reason, or without the names
 * when the reason concerns every platform alike. */
static void tell_reason(struct run *r, smp_reason reason, bool with_names,
                        const char *text)
{
	struct line l;
	char *out;

	if (r->told >= TELL_MAX) {
		r->untold++;
		return;
	}
	r->told++;
	if (!line_open(&l)) {
		log_oom(r);
		return;
	}
	if (with_names) {
		put_names(l.f, r, reason);
		fputs(": ", l.f);
	}
	fputs(text, l.f);
	out = line_close(&l);
	if (out == NULL) {
		log_oom(r);
		return;
	}
	tell(r, PAM_ERROR_MSG, out, smp_reason_section(reason));
	free(out);
}

/* One platform, several accounts: each distinct message once. */
static void tell_each(struct run *r, smp_reason reason)
{
	for (size_t i = 0; i < r->verdict_count; i++) {
		const struct verdict *v = &r->verdicts[i];

		for (size_t j = 0; j < v->count; j++) {
			const char *m = decisive_message(r, v, j, reason);
			bool seen = false;

			for (size_t k = 0; m != NULL && k < j && !seen; k++) {
				const char *e = reason_message(v->decisions[k], reason);

				seen = e != NULL && strcmp(e, m) == 0;
			}
			if (m != NULL && !seen)
				tell_reason(r, reason, true, m);
		}
	}
}

/* Does the user hold an approval naming platform, in whatever state? */
static bool has_approval_for(const struct run *r, const char *platform)
{
	size_t n = smp_policy_approval_count(r->policy);

	for (size_t i = 0; i < n; i++) {
		struct smp_approval_info a = { .size = sizeof(a) };
		if (smp_policy_approval(r->policy, i, r->at, &a) != SMP_OK || a.staff == NULL ||
		    strcmp(a.staff, r->user) != 0)
			continue;
		for (const char *const *p = a.platforms; p != NULL && *p != NULL; p++)
			if (strcmp(*p, platform) == 0)
				return true;
	}
	return false;
}

static bool gives_reason(const struct run *r, const struct verdict *v, smp_reason reason)
{
	for (size_t j = 0; j < v->count; j++)
		if (decisive_message(r, v, j, reason) != NULL)
			return true;
	return false;
}

/* How much each platform's denial concerns the user, 0 most: with
 * platform= those named (what is being logged into); else one the user
 * has an approval for (its lapse is the news), then one where the user
 * holds an official account, then the rest, and last the platforms that
 * are refused only because they need a phone's app (on a workstation
 * they were never in reach). */
static void rank_verdicts(struct run *r)
{
	for (size_t i = 0; i < r->verdict_count; i++) {
		struct verdict *v = &r->verdicts[i];

		if (r->opt.platforms != NULL || has_approval_for(r, v->platform))
			v->rank = 0;
		else if (v->count > 0 && v->accounts[0] != NULL)
			v->rank = 1;
		else if (!gives_reason(r, v, SMP_R_APP_NOT_APPROVED))
			v->rank = 2;
		else
			v->rank = 3;
	}
}

/* Where reason comes in what the user reads: the rank, then the
 * catalogue position, of the first platform whose denial gives it;
 * SIZE_MAX when none does. */
static size_t reason_order(const struct run *r, smp_reason reason)
{
	size_t best = SIZE_MAX;

	for (size_t i = 0; i < r->verdict_count; i++) {
		const struct verdict *v = &r->verdicts[i];
		size_t key = (size_t)v->rank * (r->verdict_count + 1) + i;

		if (key < best && gives_reason(r, v, reason))
			best = key;
	}
	return best;
}

/* One reason, once: its message when all agree (naming the platforms
 * unless it holds for every denied one), a platform's messages one by
 * one, or the table's sentence after the names of the platforms when
 * their particulars differ. */
static void tell_one_reason(struct run *r, smp_reason reason, size_t denied)
{
	struct reason_use u = reason_use(r, reason);

	if (u.first == NULL)
		return;
	if (u.same)
		tell_reason(r, reason, u.platforms < denied || denied == 1, u.first);
	else if (u.platforms == 1)
		tell_each(r, reason);
	else
		tell_reason(r, reason, true, smp_reason_sentence(reason));
}

/* The reasons of the decisive decisions, most relevant first (the
 * platform being logged into, rank_verdicts), each once and at most
 * TELL_MAX lines: a long list buries the one that matters.  Someone not in
 * the staff records hears only that.  Then the reference, which the log
 * line carries with every reason. */
static void tell_denial(struct run *r, int result)
{
	size_t denied = 0, order[SMP_R__COUNT];
	bool done[SMP_R__COUNT] = { false };
	char text[160];

	for (size_t i = 0; i < r->verdict_count; i++)
		denied += !r->verdicts[i].allowed;
	rank_verdicts(r);
	for (int i = 0; i < SMP_R__COUNT; i++)
		order[i] = result == PAM_USER_UNKNOWN && i != SMP_R_UNKNOWN_USER
		           ? SIZE_MAX : reason_order(r, (smp_reason)i);
	for (;;) {
		int next = -1;

		for (int i = 0; i < SMP_R__COUNT; i++)
			if (!done[i] && order[i] != SIZE_MAX && (next < 0 || order[i] < order[next]))
				next = i;
		if (next < 0)
			break;
		done[next] = true;
		tell_one_reason(r, (smp_reason)next, denied);
	}
	if (r->untold > 0) {
		snprintf(text, sizeof(text), "(%zu more reason%s, less likely to concern you, "
		         "%s in the system log.)", r->untold, r->untold == 1 ? "" : "s",
		         r->untold == 1 ? "is" : "are");
		tell(r, PAM_ERROR_MSG, text, NULL);
	}
	snprintf(text, sizeof(text), "Reference for the helpdesk: %s", r->ref);
	tell(r, PAM_ERROR_MSG, text, NULL);
}

/* The moment platform access holds until: the latest valid_until of its
 * passing decisions (any passing account suffices). */
static bool verdict_until(const struct verdict *v, int64_t *out)
{
	bool found = false;
	int64_t latest = 0;

	for (size_t j = 0; j < v->count; j++) {
		int64_t t = 0;

		if (smp_decision_allowed(v->decisions[j]) &&
		    smp_decision_valid_until(v->decisions[j], &t) && (!found || t > latest)) {
			latest = t;
			found = true;
		}
	}
	*out = latest;
	return found;
}

/* The first passing decision of an allowed platform. */
static const smp_decision *verdict_pass(const struct verdict *v)
{
	for (size_t j = 0; j < v->count; j++)
		if (smp_decision_allowed(v->decisions[j]))
			return v->decisions[j];
	return NULL;
}

/* The library's lapse warning in d, NULL if it gave none. */
static const char *lapse_warning(const smp_decision *d)
{
	size_t n = smp_decision_warning_count(d);

	for (size_t k = 0; k < n; k++)
		if (smp_decision_warning(d, k) == SMP_W_APPROVAL_EXPIRING)
			return smp_decision_warning_message(d, k);
	return NULL;
}

/* "Facebook: SENTENCE Approval ID lapses at TIME. (manual ... §C)": the
 * library's warning, within the config's warn_days or the module's. */
static void warn_lapse(const struct run *r, const struct verdict *v, const char *message)
{
	struct line l;
	char *text;

	if (!line_open(&l)) {
		log_oom(r);
		return;
	}
	fprintf(l.f, "%s: %s", smp_policy_platform_name(r->policy, v->index), message);
	text = line_close(&l);
	if (text == NULL) {
		log_oom(r);
		return;
	}
	tell(r, PAM_TEXT_INFO, text, smp_warning_section(SMP_W_APPROVAL_EXPIRING));
	free(text);
}

/* Warn of every allowed platform whose approval lapses soon. */
static void tell_lapses(const struct run *r)
{
	for (size_t i = 0; i < r->verdict_count; i++) {
		const struct verdict *v = &r->verdicts[i];
		const smp_decision *d = v->allowed ? verdict_pass(v) : NULL;
		const char *message = d != NULL ? lapse_warning(d) : NULL;

		if (message != NULL)
			warn_lapse(r, v, message);
	}
}

static const char *pam_code_name(int rc)
{
	switch (rc) {
	case PAM_SUCCESS: return "PAM_SUCCESS";
	case PAM_PERM_DENIED: return "PAM_PERM_DENIED";
	case PAM_ACCT_EXPIRED: return "PAM_ACCT_EXPIRED";
	case PAM_USER_UNKNOWN: return "PAM_USER_UNKNOWN";
	default: return "PAM_AUTH_ERR";
	}
}

/* Write "first,second" for the platforms (allowed ones only, if so asked). */
static void put_platforms(FILE *f, const struct run *r, bool allowed_only)
{
	const char *sep = "";

	for (size_t i = 0; i < r->verdict_count; i++) {
		if (allowed_only && !r->verdicts[i].allowed)
			continue;
		fputs(sep, f);
		put_escaped(f, r->verdicts[i].platform);
		sep = ",";
	}
	if (sep[0] == '\0')
		fputs("-", f);
}

/* Write the distinct reason codes of the decisive decisions, "-" if none. */
static void put_codes(FILE *f, const struct run *r)
{
	const char *sep = "";

	for (int reason = 0; reason < SMP_R__COUNT; reason++) {
		if (reason_use(r, (smp_reason)reason).first == NULL)
			continue;
		fprintf(f, "%s%s", sep, smp_reason_code((smp_reason)reason));
		sep = ",";
	}
	if (sep[0] == '\0')
		fputs("-", f);
}

/* Write "service=S user=U device=D", escaped. */
static void put_who(FILE *f, const struct run *r)
{
	fputs("service=", f);
	put_escaped(f, r->service);
	fputs(" user=", f);
	put_escaped(f, r->user);
	fputs(" device=", f);
	put_escaped(f, r->device);
}

/* One line per decision: service, user, device, platforms, outcome, codes. */
static void log_decision(const struct run *r, int result)
{
	struct line l;
	char *text;

	if (!line_open(&l)) {
		log_oom(r);
		return;
	}
	put_who(l.f, r);
	fputs(r->opt.platforms != NULL ? " platforms(all)=" : " platforms(any)=", l.f);
	put_platforms(l.f, r, false);
	fprintf(l.f, " decision=%s allowed=", result == PAM_SUCCESS ? "allow" : "deny");
	put_platforms(l.f, r, true);
	fputs(" codes=", l.f);
	put_codes(l.f, r);
	fprintf(l.f, " result=%s ref=%s", pam_code_name(result), r->ref);
	text = line_close(&l);
	if (text == NULL) {
		log_oom(r);
		return;
	}
	pam_syslog(r->pamh, result == PAM_SUCCESS ? LOG_INFO : LOG_NOTICE, "%s: %s", r->step,
	           text);
	free(text);
}

/* debug: one decision with its account, reasons and valid_until. */
static void log_one(const struct run *r, const struct verdict *v, size_t j)
{
	const smp_decision *d = v->decisions[j];
	const char *account = v->accounts[j];
	const char *approval = smp_decision_approval(d);
	char when[64] = "-";
	int64_t t;

	if (smp_decision_valid_until(d, &t) &&
	    smp_policy_time_format(r->policy, t, when, sizeof when) == NULL)
		strcpy(when, "?");
	pam_syslog(r->pamh, LOG_DEBUG, "%s: platform=%s account=%s action=%s %s approval=%s "
	           "valid_until=%s", r->step, v->platform, account != NULL ? account : "-",
	           account != NULL ? "login" : "view", smp_decision_allowed(d) ? "allow" : "deny",
	           approval != NULL ? approval : "-", when);
	for (size_t k = 0; k < smp_decision_reason_count(d); k++)
		log_escaped(r, LOG_DEBUG, smp_reason_code(smp_decision_reason(d, k)),
		            smp_decision_reason_message(d, k), true);
}

static void log_detail(const struct run *r)
{
	if (r->opt.debug)
		pam_syslog(r->pamh, LOG_DEBUG, "%s: compiled cache %s, login store %s", r->step,
		           smp_cache_state_name(smp_policy_cache_state(r->policy)),
		           smp_cache_state_name(smp_policy_store_state(r->policy)));
	for (size_t i = 0; r->opt.debug && i < r->verdict_count; i++)
		for (size_t j = 0; j < r->verdicts[i].count; j++)
			log_one(r, &r->verdicts[i], j);
}

/* ---- the session environment --------------------------------------------- */

/* Write the accounts that passed on allowed platforms, "" if none. */
static void put_accounts(FILE *f, const struct run *r)
{
	const char *sep = "";

	for (size_t i = 0; i < r->verdict_count; i++) {
		const struct verdict *v = &r->verdicts[i];

		for (size_t j = 0; v->allowed && j < v->count; j++) {
			if (v->accounts[j] == NULL || !smp_decision_allowed(v->decisions[j]))
				continue;
			fprintf(f, "%s%s", sep, v->accounts[j]);
			sep = ",";
		}
	}
}

/* Write the ids of the allowed platforms, comma separated. */
static void put_allowed(FILE *f, const struct run *r)
{
	const char *sep = "";

	for (size_t i = 0; i < r->verdict_count; i++) {
		if (!r->verdicts[i].allowed)
			continue;
		fprintf(f, "%s%s", sep, r->verdicts[i].platform);
		sep = ",";
	}
}

/* Write the earliest moment any allowed platform lapses, "" if none does. */
static void put_valid_until(FILE *f, const struct run *r)
{
	bool found = false;
	int64_t earliest = 0;
	char when[64];

	for (size_t i = 0; i < r->verdict_count; i++) {
		int64_t t = 0;

		if (r->verdicts[i].allowed && verdict_until(&r->verdicts[i], &t) &&
		    (!found || t < earliest)) {
			earliest = t;
			found = true;
		}
	}
	if (found && smp_policy_time_format(r->policy, earliest, when, sizeof when) != NULL)
		fputs(when, f);
	else if (found)
		fputc('?', f);   /* unreachable for a sane time; never silently dropped */
}

typedef void put_fn(FILE *f, const struct run *r);

static int put_env(const struct run *r, const char *name, put_fn *put)
{
	struct line l;
	char *text;
	int rc;

	if (!line_open(&l)) {
		log_oom(r);
		return PAM_AUTH_ERR;
	}
	fprintf(l.f, "%s=", name);
	put(l.f, r);
	text = line_close(&l);
	if (text == NULL) {
		log_oom(r);
		return PAM_AUTH_ERR;
	}
	rc = pam_putenv(r->pamh, text);
	free(text);
	if (rc != PAM_SUCCESS) {
		pam_syslog(r->pamh, LOG_ERR, "%s: pam_putenv %s: %s", r->step, name,
		           pam_strerror(r->pamh, rc));
		return PAM_AUTH_ERR;
	}
	return PAM_SUCCESS;
}

static int export_env(const struct run *r)
{
	if (put_env(r, "SMPOLICY_PLATFORMS", put_allowed) != PAM_SUCCESS ||
	    put_env(r, "SMPOLICY_ACCOUNTS", put_accounts) != PAM_SUCCESS ||
	    put_env(r, "SMPOLICY_VALID_UNTIL", put_valid_until) != PAM_SUCCESS)
		return PAM_AUTH_ERR;
	return PAM_SUCCESS;
}

/* ---- the entry points ------------------------------------------------------ */

/* Decide, log, tell the user; the outcome (or PAM_AUTH_ERR on a fault). */
static int run_account(struct run *r)
{
	int result = PAM_AUTH_ERR;

	if (run_decide(r, &result) != PAM_SUCCESS)
		return fail_closed(r);
	log_decision(r, result);
	refresh_store(r);
	refresh_cache(r);
	log_detail(r);
	if (result != PAM_SUCCESS)
		tell_denial(r, result);
	return result;
}

int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct run r;
	int rc = run_start(&r, pamh, "account", flags, argc, argv);

	if (rc == PAM_AUTH_ERR)
		rc = fail_closed(&r);
	else if (rc == PAM_SUCCESS)
		rc = run_account(&r);
	if (rc == PAM_SUCCESS)
		tell_lapses(&r);
	run_free(&r);
	return rc;
}

/* Re-decide (an approval may have lapsed since the account step), then
 * export what was allowed. */
int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct run r;
	int rc = run_start(&r, pamh, "session open", flags, argc, argv);

	if (rc == PAM_AUTH_ERR)
		rc = fail_closed(&r);
	else if (rc == PAM_SUCCESS)
		rc = run_account(&r);
	if (rc == PAM_SUCCESS && export_env(&r) != PAM_SUCCESS)
		rc = fail_closed(&r);
	run_free(&r);
	return rc;
}

static void log_close(const struct run *r)
{
	struct line l;
	char *text;

	if (!line_open(&l)) {
		log_oom(r);
		return;
	}
	put_who(l.f, r);
	text = line_close(&l);
	if (text == NULL) {
		log_oom(r);
		return;
	}
	pam_syslog(r->pamh, LOG_INFO, "%s: %s", r->step, text);
	free(text);
}

int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct run r;
	int rc = run_start(&r, pamh, "session close", flags, argc, argv);

	if (rc == PAM_SUCCESS)
		log_close(&r);
	else if (rc != PAM_USER_UNKNOWN)
		rc = PAM_AUTH_ERR;
	run_free(&r);
	return rc;
}

/* The module serves account and session only.  Stacked under auth or
 * password by mistake it must not be skipped silently: it says so and
 * fails closed. */
static int misplaced(pam_handle_t *pamh, const char *type)
{
	pam_syslog(pamh, LOG_ERR, "pam_smpolicy serves only the account and session types, "
	           "but is stacked as %s; failing closed", type);
	return PAM_AUTH_ERR;
}

int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)flags, (void)argc, (void)argv;
	return misplaced(pamh, "auth");
}

int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)flags, (void)argc, (void)argv;
	return misplaced(pamh, "auth (setcred)");
}

int pam_sm_chauthtok(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)flags, (void)argc, (void)argv;
	return misplaced(pamh, "password");
}
