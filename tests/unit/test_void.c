/*
 * test_void.c - a fault of one record entry voids that record alone: a
 * void approval never grants (approval-invalid, naming the fault), a void
 * staff, device or account record denies whoever needs it, an approval
 * signed or requested by a void person is invalid, and every other
 * decision is what it is without the record.  The same through the
 * compiled cache and the login store.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "world.h"
#include "smpolicy_testing.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AT "2026-06-01T12:00Z"

/* LT-1 of w1 (valid), LT-2 of w2 (valid), and a third approval given by
 * each test. */
#define LT2 \
	"  { id = \"LT-2\"; staff = \"w2\"; kind = \"long_term\"; platforms = [ \"facebook\" ];\n" \
	"    requested_by = \"lom1\"; requested = \"2026-01-10Z\";\n" \
	"    approved_cpp = { by = \"dir-cpp\"; on = \"2026-01-12Z\"; };\n" \
	"    approved_it = { by = \"dir-it\"; on = \"2026-01-14Z\"; };\n" \
	"    starts = \"2026-01-15Z\"; expires = \"2026-12-31T23:59:59Z\"; }"

static bool message_has(const smp_decision *d, const char *needle)
{
	for (size_t i = 0; i < smp_decision_reason_count(d); i++)
		if (strstr(smp_decision_reason_message(d, i), needle) != NULL)
			return true;
	return false;
}

/* The world with one edit of its people (the same length) and these
 * approvals: it loads, with `voids` void records, which check names. */
static smp_policy *load_probe(struct world *w, const char *people_edit_from,
                              const char *people_edit_to, const char *approvals, size_t voids)
{
	char *records = NULL, *conf = NULL, *people = strdup(WORLD_PEOPLE), *at;
	smp_policy *p = NULL;
	smp_diags *d = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(people);
	if (people_edit_from != NULL) {
		/* the replacement is as long as the text it replaces */
		at = strstr(people, people_edit_from);
		CU_ASSERT_PTR_NOT_NULL_FATAL(at);
		CU_ASSERT_EQUAL_FATAL(strlen(people_edit_from), strlen(people_edit_to));
		memcpy(at, people_edit_to, strlen(people_edit_to));
	}
	CU_ASSERT_FATAL(asprintf(&records, "%sapprovals = (\n%s\n);\n", people, approvals) > 0);
	free(people);
	CU_ASSERT_FATAL(asprintf(&conf, WORLD_CONF_FMT, "") > 0);
	CU_ASSERT_TRUE_FATAL(world_write_raw(w, conf, records));
	free(conf);
	free(records);
	CU_ASSERT_EQUAL_FATAL(smp_policy_load(w->conf, SMP_LOAD_ALLOW_NONROOT | SMP_LOAD_NO_CACHE,
	                                      &p, &d), SMP_OK);
	CU_ASSERT_EQUAL(smp_diags_errors(d), 0);
	smp_diags_free(d);
	CU_ASSERT_EQUAL(smp_policy_void_count(p), voids);
	d = NULL;
	CU_ASSERT_EQUAL(smp_policy_check(p, &d), SMP_OK);
	CU_ASSERT_TRUE(smp_diags_errors(d) >= voids);
	smp_diags_free(d);
	return p;
}

static void expect_allow(const smp_policy *p, const char *user, const char *device)
{
	smp_decision *d = decide(p, user, "facebook", device, NULL, SMP_ACTION_VIEW, AT);

	CU_ASSERT_TRUE(smp_decision_allowed(d));
	smp_decision_free(d);
}

static void test_void_approval(void)
{
	struct world w;
	smp_policy *p = load_probe(&w, NULL, NULL, APPROVAL_W1_FB ",\n" LT2 ",\n"
		"  { id = \"LT-3\"; staff = \"w3\"; kind = \"long_term\"; platforms = [ \"facebook\" ];\n"
		"    requested_by = \"lom1\"; requested = \"2026-01-10Z\";\n"
		"    approved_cpp = { by = \"dir-cpp\"; on = \"2026-01-11Z\"; };\n"
		"    approved_it = { by = \"dir-it\"; on = \"2026-01-11Z\"; };\n"
		"    starts = \"2026-01-11Z\"; expires = \"2026-02-30\"; }", 1);
	smp_decision *d;

	/* LT-3 would rank first (its sign-offs are the earliest) and put w2
	 * over the cap of 2: void, it takes no place */
	d = decide(p, "w3", "facebook", "ws1", NULL, SMP_ACTION_VIEW, AT);
	CU_ASSERT_TRUE(denied_only_by(d, SMP_R_APPROVAL_INVALID));
	CU_ASSERT_TRUE(message_has(d, "'2026-02-30' is not a valid time"));
	smp_decision_free(d);
	expect_allow(p, "w1", "ws1");
	expect_allow(p, "w2", "ws1");
	smp_policy_free(p);
	world_remove(&w);
}

static void test_void_staff(void)
{
	struct world w;
	/* the Director of IT's entry names a role that does not exist */
	smp_policy *p = load_probe(&w, "roles = [ \"director_it\" ]",
	                           "roles = [ \"director_xx\" ]", APPROVAL_W1_FB, 1);
	smp_decision *d;

	d = decide(p, "w1", "facebook", "ws1", NULL, SMP_ACTION_VIEW, AT);
	CU_ASSERT_TRUE(denied_only_by(d, SMP_R_APPROVAL_INVALID));
	CU_ASSERT_TRUE(message_has(d, "whose staff record is void"));
	smp_decision_free(d);
	d = decide(p, "dir-it", "facebook", "ws1", NULL, SMP_ACTION_VIEW, AT);
	CU_ASSERT_TRUE(has_reason(d, SMP_R_UNKNOWN_USER));
	CU_ASSERT_TRUE(message_has(d, "unknown role 'director_xx'"));
	smp_decision_free(d);
	smp_policy_free(p);
	world_remove(&w);
	/* a worker's entry with a dangling office: they alone are denied */
	p = load_probe(&w, "\"w2\"; office = \"o1\"", "\"w2\"; office = \"o7\"",
	               APPROVAL_W1_FB ",\n" LT2, 1);
	d = decide(p, "w2", "facebook", "ws1", NULL, SMP_ACTION_VIEW, AT);
	CU_ASSERT_TRUE(has_reason(d, SMP_R_UNKNOWN_USER));
	CU_ASSERT_TRUE(message_has(d, "office 'o7' does not exist"));
	smp_decision_free(d);
	expect_allow(p, "w1", "ws1");
	smp_policy_free(p);
	world_remove(&w);
}

static void test_void_device_and_account(void)
{
	struct world w;
	smp_policy *p = load_probe(&w, "kind = \"workstation\"; owner = \"dcf\"; office = \"o1\"",
	                           "kind = \"workstation\"; owner = \"dcx\"; office = \"o1\"",
	                           APPROVAL_W1_FB, 1);
	smp_decision *d = decide(p, "w1", "facebook", "ws1", NULL, SMP_ACTION_VIEW, AT);

	CU_ASSERT_TRUE(denied_only_by(d, SMP_R_DEVICE_UNKNOWN));
	CU_ASSERT_TRUE(message_has(d, "The record of device 'ws1' is void"));
	smp_decision_free(d);
	smp_policy_free(p);
	world_remove(&w);
	/* fb1 held by someone who is not there */
	p = load_probe(&w, "platform = \"facebook\"; holder = \"w1\"; official = true; supervisor",
	               "platform = \"facebook\"; holder = \"wX\"; official = true; supervisor",
	               APPROVAL_W1_FB, 1);
	d = decide(p, "w1", "facebook", "ws1", "fb1", SMP_ACTION_POST, AT);
	CU_ASSERT_TRUE(denied_only_by(d, SMP_R_ACCOUNT_UNKNOWN));
	CU_ASSERT_TRUE(message_has(d, "staff member 'wX' does not exist"));
	smp_decision_free(d);
	d = decide(p, "w1", "youtube", "ws1", "yt1", SMP_ACTION_POST, AT);
	CU_ASSERT_TRUE(smp_decision_allowed(d));
	smp_decision_free(d);
	smp_policy_free(p);
	world_remove(&w);
}

/* The compiled cache and the login store answer as the load does. */
static void test_void_compiled(void)
{
	struct world w;
	smp_policy *p = load_probe(&w, "\"w2\"; office = \"o1\"", "\"w2\"; office = \"o7\"",
	                           APPROVAL_W1_FB ",\n" LT2 ",\n"
	                           "  { id = \"LT-9\"; staff = \"w3\"; kind = \"long_term\"; "
	                           "platforms = [ \"facebook\" ]; expries = \"2027-01-01\"; }", 2);
	smp_policy *c = NULL, *s = NULL;
	smp_diags *d = NULL;
	char store[160];
	const char *users[] = { "w1", "w2", "w3" };

	snprintf(store, sizeof(store), "%s/store", w.dir);
	CU_ASSERT_EQUAL(smp_policy_cache_write(p, SMP_LOAD_ALLOW_NONROOT, &d), SMP_OK);
	smp_diags_free(d);
	d = NULL;
	CU_ASSERT_EQUAL(smp_policy_store_write(p, store, SMP_LOAD_ALLOW_NONROOT, &d), SMP_OK);
	smp_diags_free(d);
	d = NULL;
	CU_ASSERT_EQUAL_FATAL(smp_policy_load(w.conf, SMP_LOAD_ALLOW_NONROOT, &c, &d), SMP_OK);
	smp_diags_free(d);
	CU_ASSERT_EQUAL(smp_policy_cache_state(c), SMP_CACHE_USED);
	CU_ASSERT_EQUAL(smp_policy_void_count(c), 2);
	for (size_t i = 0; i < 3; i++) {
		smp_decision *a = decide(p, users[i], "facebook", "ws1", NULL, SMP_ACTION_VIEW, AT);
		smp_decision *b = decide(c, users[i], "facebook", "ws1", NULL, SMP_ACTION_VIEW, AT);
		smp_decision *e;

		d = NULL;
		CU_ASSERT_EQUAL_FATAL(smp_policy_load_for(w.conf, store, SMP_LOAD_ALLOW_NONROOT,
		                                          users[i], "ws1", &s, &d), SMP_OK);
		smp_diags_free(d);
		CU_ASSERT_EQUAL(smp_policy_store_state(s), SMP_CACHE_USED);
		e = decide(s, users[i], "facebook", "ws1", NULL, SMP_ACTION_VIEW, AT);
		CU_ASSERT_EQUAL(smp_decision_allowed(a), i == 0);
		CU_ASSERT_EQUAL(smp_decision_allowed(a), smp_decision_allowed(b));
		CU_ASSERT_EQUAL(smp_decision_allowed(a), smp_decision_allowed(e));
		CU_ASSERT_STRING_EQUAL(smp_decision_reason_message(a, 0) ?
		                       smp_decision_reason_message(a, 0) : "",
		                       smp_decision_reason_message(e, 0) ?
		                       smp_decision_reason_message(e, 0) : "");
		smp_decision_free(a);
		smp_decision_free(b);
		smp_decision_free(e);
		smp_policy_free(s);
	}
	smp_policy_free(c);
	smp_policy_free(p);
	world_remove(&w);
}

/* Whether check says a warning holding needle. */
static bool check_warns(const smp_policy *p, const char *needle)
{
	smp_diags *d = NULL;
	bool found = false;

	CU_ASSERT_EQUAL(smp_policy_check(p, &d), SMP_OK);
	for (size_t i = 0; d != NULL && i < smp_diags_count(d); i++) {
		const struct smp_diag *g = smp_diags_get(d, i);

		if (g->severity == SMP_SEV_WARNING && strstr(g->message, needle) != NULL)
			found = true;
	}
	smp_diags_free(d);
	return found;
}

/* Authors whose staff entries were deleted after they acted: a request
 * stands on the two sign-offs (and counts toward the cap), a sign-off by
 * an unknown id counts for nothing without a signature (none is required
 * here), one id is never two directors, a revocation still revokes.
 * Nothing is void, and the cache answers the same. */
static void test_absent_authors(void)
{
	struct world w;
	smp_policy *p = load_probe(&w, NULL, NULL, APPROVAL_W1_FB ",\n" LT2 ",\n"
		"  { id = \"LT-3\"; staff = \"w3\"; kind = \"long_term\"; platforms = [ \"facebook\" ];\n"
		"    requested_by = \"lom-gone\"; requested = \"2026-01-10Z\";\n"
		"    approved_cpp = { by = \"dir-cpp\"; on = \"2026-01-11Z\"; };\n"
		"    approved_it = { by = \"dir-it\"; on = \"2026-01-11Z\"; };\n"
		"    starts = \"2026-01-11Z\"; expires = \"2026-12-31T23:59:59Z\"; },\n"
		"  { id = \"LT-4\"; staff = \"w4\"; kind = \"long_term\"; platforms = [ \"facebook\" ];\n"
		"    requested_by = \"lom1\"; requested = \"2026-01-01Z\";\n"
		"    approved_cpp = { by = \"dir-gone\"; on = \"2026-01-02Z\"; };\n"
		"    approved_it = { by = \"dir-it\"; on = \"2026-01-02Z\"; };\n"
		"    starts = \"2026-01-02Z\"; expires = \"2026-12-31T23:59:59Z\"; },\n"
		"  { id = \"LT-5\"; staff = \"w9\"; kind = \"long_term\"; platforms = [ \"facebook\" ];\n"
		"    requested_by = \"lom2\"; requested = \"2026-01-01Z\";\n"
		"    approved_cpp = { by = \"dir-gone\"; on = \"2026-01-02Z\"; };\n"
		"    approved_it = { by = \"dir-gone\"; on = \"2026-01-02Z\"; };\n"
		"    starts = \"2026-01-02Z\"; expires = \"2026-12-31T23:59:59Z\"; },\n"
		"  { id = \"UB-1\"; staff = \"w4\"; kind = \"limited\"; platforms = [ \"youtube\" ];\n"
		"    ticket = \"NJS-1\"; requested_by = \"w4\"; requested = \"2026-01-01Z\";\n"
		"    approved_cpp = { by = \"dir-cpp\"; on = \"2026-01-02Z\"; };\n"
		"    approved_it = { by = \"dir-it\"; on = \"2026-01-02Z\"; };\n"
		"    starts = \"2026-01-02Z\"; expires = \"2026-12-31T23:59:59Z\";\n"
		"    revoked = { on = \"2026-03-01Z\"; by = \"dir-left\"; reason = \"done\"; }; }", 0);
	smp_policy *c = NULL;
	smp_diags *d = NULL;
	const struct {
		const char *user, *platform;
		bool allowed;
		smp_reason why;
		const char *says;
	} want[] = {
		/* LT-3 ranks first (the earliest sign-offs): w3 holds a place */
		{ "w3", "facebook", true, SMP_R__COUNT, NULL },
		{ "w1", "facebook", true, SMP_R__COUNT, NULL },
		/* and so w2 is over the cap of 2; LT-4 (invalid) takes none */
		{ "w2", "facebook", false, SMP_R_OFFICE_CAP_EXCEEDED, NULL },
		{ "w4", "facebook", false, SMP_R_APPROVAL_INVALID,
		  "signed by 'dir-gone', who is not in the staff records" },
		{ "w9", "facebook", false, SMP_R_APPROVAL_INVALID,
		  "both sign-offs are by 'dir-gone'" },
		{ "w4", "youtube", false, SMP_R_APPROVAL_REVOKED, "by dir-left" },
	};

	CU_ASSERT_TRUE(check_warns(p, "approval 'LT-3': requested_by 'lom-gone' is not in the "
	                              "staff records"));
	CU_ASSERT_TRUE(check_warns(p, "approval 'LT-4': approved_cpp.by 'dir-gone'"));
	CU_ASSERT_TRUE(check_warns(p, "approval 'UB-1': revoked.by 'dir-left'"));
	CU_ASSERT_EQUAL(smp_policy_cache_write(p, SMP_LOAD_ALLOW_NONROOT, &d), SMP_OK);
	smp_diags_free(d);
	d = NULL;
	CU_ASSERT_EQUAL_FATAL(smp_policy_load(w.conf, SMP_LOAD_ALLOW_NONROOT, &c, &d), SMP_OK);
	smp_diags_free(d);
	CU_ASSERT_EQUAL(smp_policy_cache_state(c), SMP_CACHE_USED);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const smp_policy *q[] = { p, c };

		for (size_t k = 0; k < 2; k++) {
			smp_decision *x = decide(q[k], want[i].user, want[i].platform, "ws1", NULL,
			                         SMP_ACTION_VIEW, AT);

			CU_ASSERT_EQUAL(smp_decision_allowed(x), want[i].allowed);
			if (!want[i].allowed)
				CU_ASSERT_TRUE(denied_only_by(x, want[i].why));
			if (want[i].says != NULL)
				CU_ASSERT_TRUE(message_has(x, want[i].says));
			smp_decision_free(x);
		}
	}
	smp_policy_free(c);
	smp_policy_free(p);
	world_remove(&w);
}

int main(void)
{
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("void", NULL, NULL);
	CU_add_test(s, "a void approval grants nothing and takes no place", test_void_approval);
	CU_add_test(s, "a void staff record: its person denied, what they signed invalid",
	            test_void_staff);
	CU_add_test(s, "a void device, a void account", test_void_device_and_account);
	CU_add_test(s, "the compiled cache and the login store carry them", test_void_compiled);
	CU_add_test(s, "authors no longer in the records", test_absent_authors);
	return run_suites();
}
