/*
 * fuzz_load.c - the loader: smpolicy.conf and the records files from one
 * input, then every query and a few decisions on what loaded.
 *
 * Input: the settings file, then for each records file a line "%%" and the
 * file: "CONF\n%%\nRECORDS[\n%%\nRECORDS2...]".  The parts are written as
 * smpolicy.conf, records.conf, records2.conf, ... (mode 0644) into a
 * private folder and loaded with SMP_LOAD_ALLOW_NONROOT.  An input without
 * a "%%" line is a records.conf, loaded with a fixed settings file.
 *
 * Checked: a load returns a policy exactly when it says SMP_OK and then
 * has no structural error; every diagnostic is readable; and, on what
 * loaded, a view request from a DCF device is ALLOWed exactly when one of
 * the user's approvals for the platform is valid at that moment
 * (smp_policy_approval), and its valid_until is after that moment; the
 * office cap's periods agree with the cap worked out by brute force.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "fuzz_common.h"
#include "internal.h"
#include "policy/policy.h"

#include <limits.h>

#define MAX_RECORDS_FILES 4

static const char default_conf[] =
	"version = 1;\n"
	"settings = { records = [ \"records.conf\" ]; max_approved_per_office = 2;\n"
	"  warn_days = 14; long_term_max_days = 365; };\n"
	"platforms = (\n"
	"  { id = \"facebook\"; name = \"Facebook\"; domains = [ \"facebook.com\" ]; },\n"
	"  { id = \"youtube\"; name = \"YouTube\"; private_messaging = false; },\n"
	"  { id = \"snapchat\"; name = \"Snap Chat\"; mobile_only = true; },\n"
	"  { id = \"twitter\"; name = \"Twitter\"; }\n"
	");\n"
	"offices = (\n"
	"  { id = \"essex-central\"; name = \"Essex Central\"; kind = \"local\"; },\n"
	"  { id = \"northern-area\"; name = \"Northern Area\"; kind = \"area\"; }\n"
	");\n";

static const char *next_part(const char *s, const char *end, const char **part_end)
{
	for (const char *p = s; p + 4 <= end; p++) {
		if (p[0] == '\n' && p[1] == '%' && p[2] == '%' && p[3] == '\n') {
			*part_end = p + 1;   /* keep the newline with the part */
			return p + 4;
		}
	}
	*part_end = end;
	return NULL;
}

static bool lists_platform(const struct smp_approval_info *a, const char *platform)
{
	for (size_t i = 0; a->platforms[i]; i++)
		if (strcmp(a->platforms[i], platform) == 0)
			return true;
	return false;
}

/* A DCF device from which `platform` may be used, or NULL. */
static const char *usable_device(const smp_policy *p, uint32_t platform)
{
	for (size_t i = 0; i < p->ndevices; i++) {
		const struct device *dv = &p->devices[i];
		bool app = false;

		for (size_t k = 0; k < dv->napps; k++)
			app |= dv->apps[k] == platform;
		if (dv->dcf_owned && dv->void_why == NULL &&   /* a void device allows nothing */
		    (!p->platforms[platform].mobile_only || (dv->kind == DEV_MOBILE && app)))
			return dv->id;
	}
	return NULL;
}

static void check_view(const smp_policy *p, const char *user, const char *platform, int64_t t)
{
	uint32_t pi = policy_find_platform(p, platform);
	const char *device = pi == NONE ? NULL : usable_device(p, pi);
	struct smp_request req;
	smp_decision *d = NULL;
	bool expect = false;
	int64_t until;
	smp_status st;

	if (device == NULL)
		return;
	for (size_t i = 0; i < smp_policy_approval_count(p); i++) {
		struct smp_approval_info a = { .size = sizeof(a) };
		fuzz_assert(smp_policy_approval(p, i, t, &a) == SMP_OK);
		if (a.state == SMP_STATE_VALID && strcmp(a.staff, user) == 0 &&
		    lists_platform(&a, platform)) {
			expect = true;
			fuzz_assert(!a.has_valid_until || a.valid_until > t);
		}
	}
	{
		/* a person whose record is void, or who has left, is no user */
		uint32_t ui = policy_find_staff(p, user);

		if (ui != NONE && (p->staff[ui].void_why != NULL ||
		                   (p->staff[ui].left.set && t >= p->staff[ui].left.t)))
			expect = false;
	}
	smp_request_init(&req);
	req.user = user;
	req.platform = platform;
	req.device = device;
	req.at = t;
	st = smp_decide(p, &req, &d);
	if (st != SMP_OK) {
		fuzz_assert(st == SMP_ERR_NOMEM && d == NULL);
		return;
	}
	if (smp_decision_allowed(d) != expect)
		fuzz_fail("%s on %s at %lld: decision %s, but approvals say %s", user, platform,
		          (long long)t, smp_decision_allowed(d) ? "ALLOW" : "DENY",
		          expect ? "valid" : "none valid");
	if (smp_decision_allowed(d)) {
		fuzz_assert(smp_decision_reason_count(d) == 0);
		fuzz_assert(smp_decision_approval(d) != NULL);
		if (smp_decision_valid_until(d, &until))
			fuzz_assert(until > t);
	} else {
		fuzz_assert(smp_decision_reason_count(d) > 0);
		fuzz_assert(!smp_decision_valid_until(d, &until));
	}
	for (size_t i = 0; i < smp_decision_reason_count(d); i++)
		(void)strlen(smp_decision_reason_message(d, i));
	for (size_t i = 0; i < smp_decision_warning_count(d); i++)
		(void)strlen(smp_decision_warning_message(d, i));
	smp_decision_free(d);
}

/* Rank order for the cap: earliest second sign-off, then lowest id. */
static bool ranks_before(const struct approval *a, const struct approval *b)
{
	if (a->rank_time != b->rank_time)
		return a->rank_time < b->rank_time;
	return strcmp(a->id, b->id) < 0;
}

static bool holds_at(const struct approval *a, int64_t t)
{
	return a->capped && a->valid.from < a->valid.to && a->valid.from <= t && t < a->valid.to;
}

/*
 * The cap by brute force at t, against the sweep's intervals: an active
 * approval is over exactly when at least `cap` other persons of its office
 * have an active approval ranked before its person's best one.
 */
static void check_cap_at(const smp_policy *p, int64_t t)
{
	for (size_t i = 0; i < p->napprovals; i++) {
		const struct approval *a = &p->approvals[i];
		uint32_t office = p->staff[a->staff].office;
		const struct approval *best = NULL;
		size_t before = 0;
		int64_t next;
		bool over;

		if (!holds_at(a, t)) {
			if (approval_over_cap(a, t, &next))
				fuzz_fail("approval %s is over the cap at %lld but not active", a->id,
				          (long long)t);
			continue;
		}
		for (size_t j = 0; j < p->napprovals; j++) {
			const struct approval *b = &p->approvals[j];

			if (b->staff == a->staff && holds_at(b, t) && (!best || ranks_before(b, best)))
				best = b;
		}
		/* persons of the office whose best active approval ranks before it */
		for (size_t s = 0; s < p->nstaff; s++) {
			const struct approval *sb = NULL;

			if (s == a->staff || p->staff[s].office != office)
				continue;
			for (size_t k = 0; k < p->staff[s].napprovals; k++) {
				const struct approval *b = &p->approvals[p->staff[s].approvals[k]];

				if (holds_at(b, t) && (!sb || ranks_before(b, sb)))
					sb = b;
			}
			before += sb != NULL && ranks_before(sb, best);
		}
		over = before >= (size_t)p->set.max_per_office;
		if (over != approval_over_cap(a, t, &next))
			fuzz_fail("approval %s at %lld: the sweep says %s, brute force %s", a->id,
			          (long long)t, over ? "holds" : "over", over ? "over" : "holds");
	}
}

static void check_cap(const smp_policy *p)
{
	if (p->napprovals > 48 || p->nstaff > 64)
		return;
	for (size_t i = 0; i < p->napprovals; i++) {
		const struct approval *a = &p->approvals[i];

		check_cap_at(p, a->valid.from);
		check_cap_at(p, a->valid.to);
		if (a->valid.from > INT64_MIN)
			check_cap_at(p, a->valid.from - 1);
		for (size_t k = 0; k < a->nover_cap; k++) {
			check_cap_at(p, a->over_cap[k].from);
			if (a->over_cap[k].to != INT64_MAX)
				check_cap_at(p, a->over_cap[k].to);
			fuzz_assert(a->over_cap[k].from < a->over_cap[k].to);
			fuzz_assert(k == 0 || a->over_cap[k - 1].to < a->over_cap[k].from);
		}
	}
}

static void probe(const smp_policy *p)
{
	static const int64_t fixed[] = { INT64_MIN, -62135596800, 0, 1795651200 /* 2026-11-25Z */,
	                                 253402300800, INT64_MAX };
	smp_diags *cd = NULL;
	char buf[64];
	const char *ids[4];

	check_cap(p);
	if (smp_policy_check(p, &cd) == SMP_OK)
		fuzz_walk_diags(cd);
	smp_diags_free(cd);
	fuzz_assert(smp_policy_config_path(p) != NULL);
	for (size_t i = 0; i < smp_policy_records_count(p); i++)
		fuzz_assert(smp_policy_records_path(p, i) != NULL);
	for (size_t i = 0; i < smp_policy_office_count(p); i++) {
		struct smp_office_info o = { .size = sizeof(o) };
		fuzz_assert(smp_policy_office(p, i, &o) == SMP_OK);
	}
	for (size_t i = 0; i < smp_policy_platform_count(p); i++)
		fuzz_assert(smp_policy_platform_id(p, i) != NULL);
	for (size_t i = 0; i < smp_policy_approval_count(p) && i < 8; i++) {
		struct smp_approval_info a = { .size = sizeof(a) };
		int64_t times[8];
		size_t nt = 0;

		for (size_t k = 0; k < sizeof(fixed) / sizeof(fixed[0]); k++)
			fuzz_assert(smp_policy_approval(p, i, fixed[k], &a) == SMP_OK);
		fuzz_assert(smp_policy_approval(p, i, 1795651200, &a) == SMP_OK);
		if (a.has_start && a.start != INT64_MIN) {
			times[nt++] = a.start;
			times[nt++] = a.start - 1;
		}
		if (a.has_end && a.end != INT64_MAX) {
			times[nt++] = a.end;
			times[nt++] = a.end - 1;
			smp_time_format(a.end, buf, sizeof(buf));
		}
		if (a.has_revoked)
			times[nt++] = a.revoked;
		times[nt++] = 1795651200;
		(void)smp_policy_staff_office(p, a.staff);
		(void)smp_policy_accounts_held(p, a.staff, a.platforms[0] ? a.platforms[0] : "x",
		                               ids, 4);
		for (size_t k = 0; k < nt && a.platforms[0]; k++)
			check_view(p, a.staff, a.platforms[0], times[k]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *dir = fuzz_dir();
	const char *s = (const char *)data, *end = s + size, *part_end, *next;
	char conf[PATH_MAX], path[PATH_MAX];
	smp_policy *p = NULL;
	smp_diags *d = NULL;
	smp_status st;
	size_t nrec = 0;

	for (int i = 1; i <= MAX_RECORDS_FILES; i++) {
		snprintf(path, sizeof(path), i == 1 ? "%s/records.conf" : "%s/records%d.conf", dir, i);
		unlink(path);
	}
	next = next_part(s, end, &part_end);
	if (next == NULL) {
		fuzz_write(dir, "smpolicy.conf", default_conf, strlen(default_conf), conf,
		           sizeof(conf));
		fuzz_write(dir, "records.conf", s, size, path, sizeof(path));
	} else {
		fuzz_write(dir, "smpolicy.conf", s, (size_t)(part_end - s), conf, sizeof(conf));
		while (next != NULL && nrec < MAX_RECORDS_FILES) {
			const char *part = next;
			char name[32];

			next = next_part(part, end, &part_end);
			nrec++;
			snprintf(name, sizeof(name), nrec == 1 ? "records.conf" : "records%zu.conf",
			         nrec);
			fuzz_write(dir, name, part, (size_t)(part_end - part), path, sizeof(path));
		}
	}

	st = smp_policy_load(conf, SMP_LOAD_ALLOW_NONROOT, &p, &d);
	fuzz_walk_diags(d);
	if (st == SMP_OK) {
		fuzz_assert(p != NULL);
		fuzz_assert(smp_diags_errors(d) == 0);
		probe(p);
	} else {
		fuzz_assert(p == NULL);
		if (st == SMP_ERR_PARSE)
			fuzz_assert(smp_diags_errors(d) > 0);
	}
	smp_policy_free(p);
	smp_diags_free(d);
	return 0;
}
