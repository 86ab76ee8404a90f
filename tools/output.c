/*
 * output.c - presentation of diagnostics, decisions and reports, as text
 * for people and as JSON (json-c) for scripts.  Every string that came
 * from a file or the command line is escaped on the way out, so that a
 * record cannot move the cursor, forge a line or hide text.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "output.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

/* ---- escaping --------------------------------------------------------- */

bool config_is_directory(const char *config, unsigned flags)
{
	bool directory = false;

	return smp_config_is_directory(config, flags, &directory) == SMP_OK && directory;
}

/*
 * A JSON string for s: json-c escapes the C0 controls, quotes and
 * backslashes, but passes every other byte through, and JSON must be
 * UTF-8.  Invalid UTF-8 and what print_escaped() escapes beyond ASCII
 * (C1 controls, bidi overrides) become U+FFFD.
 */
static json_object *json_text(const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t len = strlen((const char *)p), k = 0;
	char *buf = malloc(len * 3 + 1);
	json_object *o;

	if (buf == NULL)
		return NULL;
	while (*p) {
		size_t n = *p < 0x80 ? 1 : utf8_len(p);

		if (n == 0) {
			memcpy(buf + k, "\xef\xbf\xbd", 3);
			k += 3;
			p++;
		} else {
			memcpy(buf + k, p, n);
			k += n;
			p += n;
		}
	}
	buf[k] = '\0';
	o = json_object_new_string(buf);
	free(buf);
	return o;
}

/* ---- usage errors ----------------------------------------------------- */

void print_usage_error(const char *usage, const char *fmt, va_list ap)
{
	char *msg = NULL;
	int n = vasprintf(&msg, fmt, ap);

	/* the message quotes the argument as given: escape it like any other
	 * text that did not come from us */
	fputs("smpolicy: ", stderr);
	print_escaped(stderr, n >= 0 ? msg : "invalid usage");
	free(n >= 0 ? msg : NULL);
	fputs("\n", stderr);
	fputs(usage, stderr);
}

/* ---- diagnostics ------------------------------------------------------ */

void print_diags(FILE *f, const smp_diags *d)
{
	for (size_t i = 0; i < smp_diags_count(d); i++) {
		const struct smp_diag *g = smp_diags_get(d, i);
		const char *sev = g->severity == SMP_SEV_ERROR ? "error" : "warning";

		/* a records file's name comes from smpolicy.conf: escape it too */
		if (g->file != NULL) {
			print_escaped(f, g->file);
			if (g->line > 0)
				fprintf(f, ":%u", g->line);
			fprintf(f, ": %s: ", sev);
		} else {
			fprintf(f, "smpolicy: %s: ", sev);
		}
		print_escaped(f, g->message);
		fputc('\n', f);
	}
}

/* The policy whose zone the times are written in (settings.time_zone),
 * or NULL: the process's. */
static const smp_policy *zone_of;

void output_zone(const smp_policy *p)
{
	zone_of = p;
}

static const char *time_or(int64_t t, char *buf, size_t n, const char *fallback)
{
	const char *s = smp_policy_time_format(zone_of, t, buf, n);

	return s ? s : fallback;
}

/* ---- decisions -------------------------------------------------------- */

/* "C, Proc. A" as "§C, Proc. A"; "B, D" as "§B, §D". */
static void print_section(FILE *f, const char *section)
{
	const char *p = section;

	while (*p) {
		size_t n = strcspn(p, ",");

		if (strncmp(p, "Proc.", 5) != 0)
			fputs("\xc2\xa7", f);
		fwrite(p, 1, n, f);
		p += n;
		if (*p == ',') {
			fputs(", ", f);
			p++;
			while (*p == ' ')
				p++;
		}
	}
}

static void print_reason_line(FILE *f, const char *code, const char *section, const char *msg)
{
	fprintf(f, "%s (", code);
	print_section(f, section);
	fputs("): ", f);
	print_escaped(f, msg);
	fputc('\n', f);
}

int print_decision_text(FILE *f, const smp_decision *d, const struct smp_request *req)
{
	char tb[40];
	int64_t until;
	bool allowed = smp_decision_allowed(d);

	fprintf(f, "%s ", allowed ? "ALLOW" : "DENY");
	print_escaped(f, req->user);
	fputs(" on ", f);
	print_escaped(f, req->platform);
	fprintf(f, " (%s, %s)", smp_action_name(req->action), smp_purpose_name(req->purpose));
	if (allowed && smp_decision_approval(d) != NULL) {
		fputs(" under approval ", f);
		print_escaped(f, smp_decision_approval(d));
	}
	if (smp_decision_valid_until(d, &until))
		fprintf(f, " until %s", time_or(until, tb, sizeof(tb), "?"));
	fputc('\n', f);
	for (size_t i = 0; i < smp_decision_reason_count(d); i++) {
		smp_reason r = smp_decision_reason(d, i);

		print_reason_line(f, smp_reason_code(r), smp_reason_section(r),
		                  smp_decision_reason_message(d, i));
	}
	for (size_t i = 0; i < smp_decision_warning_count(d); i++) {
		smp_warning w = smp_decision_warning(d, i);

		print_reason_line(f, smp_warning_code(w), smp_warning_section(w),
		                  smp_decision_warning_message(d, i));
	}
	return ferror(f) ? 2 : 0;
}

static json_object *json_time(int64_t t)
{
	char tb[40];

	return smp_policy_time_format(zone_of, t, tb, sizeof(tb)) ? json_object_new_string(tb)
	                                          : json_object_new_int64(t);
}

static json_object *json_reason(const char *code, const char *section, const char *msg)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "code", json_object_new_string(code));
	json_object_object_add(o, "section", json_object_new_string(section));
	json_object_object_add(o, "message", json_text(msg));
	return o;
}

static int print_json(FILE *f, json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	                                                  JSON_C_TO_STRING_NOSLASHESCAPE);
	int rc = (s == NULL || fprintf(f, "%s\n", s) < 0) ? 2 : 0;

	json_object_put(o);
	return rc;
}

int print_decision_json(FILE *f, const smp_decision *d)
{
	json_object *o = json_object_new_object();
	json_object *reasons = json_object_new_array(), *warnings = json_object_new_array();
	int64_t until;

	json_object_object_add(o, "decision",
	                       json_object_new_string(smp_decision_allowed(d) ? "allow" : "deny"));
	for (size_t i = 0; i < smp_decision_reason_count(d); i++) {
		smp_reason r = smp_decision_reason(d, i);

		json_object_array_add(reasons, json_reason(smp_reason_code(r), smp_reason_section(r),
		                                           smp_decision_reason_message(d, i)));
	}
	for (size_t i = 0; i < smp_decision_warning_count(d); i++) {
		smp_warning w = smp_decision_warning(d, i);

		json_object_array_add(warnings, json_reason(smp_warning_code(w), smp_warning_section(w),
		                                            smp_decision_warning_message(d, i)));
	}
	json_object_object_add(o, "reasons", reasons);
	json_object_object_add(o, "warnings", warnings);
	json_object_object_add(o, "valid_until",
	                       smp_decision_valid_until(d, &until) ? json_time(until) : NULL);
	return print_json(f, o);
}

/* ---- report ----------------------------------------------------------- */

/* An approval's place in the report of its office at t. */
enum slot { SLOT_NONE, SLOT_HOLDER, SLOT_OVER_CAP, SLOT_PENDING };

static enum slot slot_of(const struct smp_approval_info *a)
{
	switch (a->state) {
	case SMP_STATE_VALID: return SLOT_HOLDER;
	case SMP_STATE_OVER_CAP: return SLOT_OVER_CAP;
	case SMP_STATE_PENDING: return SLOT_PENDING;
	default: return SLOT_NONE;
	}
}

static bool lapsing(const smp_policy *p, const struct smp_approval_info *a, int64_t at)
{
	return a->state == SMP_STATE_VALID && a->has_valid_until &&
	       a->valid_until - at <= (int64_t)smp_policy_warn_days(p) * 86400;
}

/* Distinct staff among the office's valid approvals (a handful). */
static size_t count_persons(const smp_policy *p, const char *office, int64_t at)
{
	size_t n = smp_policy_approval_count(p), persons = 0, cap = 0;
	const char **seen = NULL;

	for (size_t i = 0; i < n; i++) {
		struct smp_approval_info a = { .size = sizeof(a) };
		size_t j;

		smp_policy_approval(p, i, at, &a);
		if (a.state != SMP_STATE_VALID || a.office == NULL || strcmp(a.office, office) != 0)
			continue;
		for (j = 0; j < persons && strcmp(seen[j], a.staff) != 0; j++)
			;
		if (j < persons)
			continue;
		if (persons == cap) {
			const char **ns = realloc(seen, (cap ? cap * 2 : 8) * sizeof(*ns));

			if (ns == NULL)
				break;   /* the count can only be short, and the lists below are whole */
			seen = ns;
			cap = cap ? cap * 2 : 8;
		}
		seen[persons++] = a.staff;
	}
	free(seen);
	return persons;
}

static void print_platforms(FILE *f, const char *const *pl)
{
	for (size_t i = 0; pl[i]; i++) {
		fputs(i ? "," : "", f);
		print_escaped(f, pl[i]);
	}
}

static void print_approval_text(FILE *f, const smp_policy *p, const struct smp_approval_info *a,
                                int64_t at)
{
	char tb[40];

	fputs("    ", f);
	print_escaped(f, a->staff);
	fputs(" ", f);
	print_platforms(f, a->platforms);
	fputs(" ", f);
	print_escaped(f, a->id);
	fprintf(f, " (%s)", a->kind);
	if (a->state == SMP_STATE_VALID && a->has_valid_until)
		fprintf(f, " until %s%s", time_or(a->valid_until, tb, sizeof(tb), "?"),
		        lapsing(p, a, at) ? " - lapsing soon" : "");
	else if (a->state == SMP_STATE_PENDING)
		fprintf(f, " awaiting %s", !a->signed_cpp
		                               ? (!a->signed_it ? "both directors" : "the Director of CP&P")
		                               : "the Director of IT");
	fputc('\n', f);
}

static void print_slot_text(FILE *f, const smp_policy *p, const char *office, int64_t at,
                            enum slot slot, const char *title)
{
	bool any = false;

	for (size_t i = 0; i < smp_policy_approval_count(p); i++) {
		struct smp_approval_info a = { .size = sizeof(a) };
		smp_policy_approval(p, i, at, &a);
		if (a.office == NULL || strcmp(a.office, office) != 0 || slot_of(&a) != slot)
			continue;
		if (!any)
			fprintf(f, "  %s:\n", title);
		any = true;
		print_approval_text(f, p, &a, at);
	}
}

int print_report_text(FILE *f, const smp_policy *p, int64_t at)
{
	char tb[40];
	int cap = smp_policy_office_cap(p);

	fprintf(f, "Report at %s; cap %d persons per office; lapse warnings %d days ahead\n",
	        time_or(at, tb, sizeof(tb), "?"), cap, smp_policy_warn_days(p));
	for (size_t o = 0; o < smp_policy_office_count(p); o++) {
		struct smp_office_info oi = { .size = sizeof(oi) };
		size_t persons;

		smp_policy_office(p, o, &oi);
		persons = count_persons(p, oi.id, at);
		fputc('\n', f);
		print_escaped(f, oi.id);
		fputs(" (", f);
		print_escaped(f, oi.name);
		fprintf(f, ", %s office): %zu of %d approved%s\n", oi.kind, persons, cap,
		        persons > (size_t)cap ? " - OVER THE CAP" : "");
		print_slot_text(f, p, oi.id, at, SLOT_HOLDER, "approved");
		print_slot_text(f, p, oi.id, at, SLOT_OVER_CAP, "beyond the cap (denied)");
		print_slot_text(f, p, oi.id, at, SLOT_PENDING, "pending a signature");
	}
	return ferror(f) ? 2 : 0;
}

static json_object *json_approval(const smp_policy *p, const struct smp_approval_info *a,
                                  int64_t at)
{
	json_object *o = json_object_new_object(), *pl = json_object_new_array();

	json_object_object_add(o, "id", json_text(a->id));
	json_object_object_add(o, "staff", json_text(a->staff));
	json_object_object_add(o, "kind", json_object_new_string(a->kind));
	for (size_t i = 0; a->platforms[i]; i++)
		json_object_array_add(pl, json_text(a->platforms[i]));
	json_object_object_add(o, "platforms", pl);
	json_object_object_add(o, "state", json_object_new_string(smp_approval_state_name(a->state)));
	json_object_object_add(o, "valid_until",
	                       a->has_valid_until ? json_time(a->valid_until) : NULL);
	json_object_object_add(o, "lapsing", json_object_new_boolean(lapsing(p, a, at)));
	if (a->state == SMP_STATE_PENDING) {
		json_object_object_add(o, "signed_cpp", json_object_new_boolean(a->signed_cpp));
		json_object_object_add(o, "signed_it", json_object_new_boolean(a->signed_it));
	}
	return o;
}

int print_report_json(FILE *f, const smp_policy *p, int64_t at)
{
	json_object *root = json_object_new_object(), *offices = json_object_new_array();
	static const char *const keys[] = { NULL, "approved", "over_cap", "pending" };

	json_object_object_add(root, "at", json_time(at));
	json_object_object_add(root, "cap", json_object_new_int(smp_policy_office_cap(p)));
	json_object_object_add(root, "warn_days", json_object_new_int(smp_policy_warn_days(p)));
	for (size_t o = 0; o < smp_policy_office_count(p); o++) {
		struct smp_office_info oi = { .size = sizeof(oi) };
		json_object *jo = json_object_new_object(), *lists[4] = { NULL };

		smp_policy_office(p, o, &oi);
		json_object_object_add(jo, "id", json_text(oi.id));
		json_object_object_add(jo, "name", json_text(oi.name));
		json_object_object_add(jo, "kind", json_text(oi.kind));
		json_object_object_add(jo, "persons",
		                       json_object_new_int64((int64_t)count_persons(p, oi.id, at)));
		for (int s = SLOT_HOLDER; s <= SLOT_PENDING; s++)
			lists[s] = json_object_new_array();
		for (size_t i = 0; i < smp_policy_approval_count(p); i++) {
			struct smp_approval_info a = { .size = sizeof(a) };
			enum slot s;

			smp_policy_approval(p, i, at, &a);
			if (a.office == NULL || strcmp(a.office, oi.id) != 0)
				continue;
			s = slot_of(&a);
			if (s != SLOT_NONE)
				json_object_array_add(lists[s], json_approval(p, &a, at));
		}
		for (int s = SLOT_HOLDER; s <= SLOT_PENDING; s++)
			json_object_object_add(jo, keys[s], lists[s]);
		json_object_array_add(offices, jo);
	}
	json_object_object_add(root, "offices", offices);
	return print_json(f, root);
}
