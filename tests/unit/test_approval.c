/*
 * test_approval.c - the approval rules (§C, Procedures A): pending,
 * expired, revoked, invalid, "exactly one of", and the office cap with its
 * tie-break and its windows.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "world.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <string.h>

static struct world W;
static smp_policy *P;

static smp_policy *with(const char *extra_settings, const char *approvals)
{
	smp_policy_free(P);
	P = NULL;
	if (W.dir[0])
		world_remove(&W);
	if (!world_write(&W, extra_settings, approvals))
		return NULL;
	P = world_load(&W);
	return P;
}

static int cleanup(void)
{
	smp_policy_free(P);
	P = NULL;
	if (W.dir[0])
		world_remove(&W);
	W.dir[0] = '\0';
	return 0;
}

/* The state code of w's facebook request at `at`; SMP_R__COUNT for ALLOW. */
static int verdict(const char *user, const char *at)
{
	smp_decision *d = decide(P, user, "facebook", "ws1", NULL, SMP_ACTION_VIEW, at);
	int r = smp_decision_allowed(d) ? SMP_R__COUNT : (int)smp_decision_reason(d, 0);

	if (!smp_decision_allowed(d))
		CU_ASSERT_EQUAL(smp_decision_reason_count(d), 1);   /* exactly one */
	smp_decision_free(d);
	return r;
}

#define ALLOW SMP_R__COUNT

/* A long-term approval for facebook with the given id, staff, sign-offs
 * and period; "-" leaves a field out. */
static const char *lt(char *buf, size_t n, const char *id, const char *staff,
                      const char *cpp_on, const char *it_on, const char *starts,
                      const char *expires, const char *extra)
{
	char cpp[96] = "", it[96] = "", st[64] = "", ex[64] = "";

	if (strcmp(cpp_on, "-") != 0)
		snprintf(cpp, sizeof(cpp), "approved_cpp = { by = \"dir-cpp\"; on = \"%s\"; }; ", cpp_on);
	if (strcmp(it_on, "-") != 0)
		snprintf(it, sizeof(it), "approved_it = { by = \"dir-it\"; on = \"%s\"; }; ", it_on);
	if (strcmp(starts, "-") != 0)
		snprintf(st, sizeof(st), "starts = \"%s\"; ", starts);
	if (strcmp(expires, "-") != 0)
		snprintf(ex, sizeof(ex), "expires = \"%s\"; ", expires);
	snprintf(buf, n,
	         "{ id = \"%s\"; staff = \"%s\"; kind = \"long_term\"; platforms = [ \"facebook\" ]; "
	         "requested_by = \"lom1\"; requested = \"2026-01-01Z\"; %s%s%s%s%s }",
	         id, staff, cpp, it, st, ex, extra ? extra : "");
	return buf;
}

static void test_pending(void)
{
	char a[1024];

	/* CP&P signed only */
	CU_ASSERT_PTR_NOT_NULL_FATAL(with(NULL, lt(a, sizeof(a), "LT-1", "w1", "2026-01-12Z", "-",
	                                           "2026-01-15Z", "2026-12-31Z", NULL)));
	CU_ASSERT_EQUAL(verdict("w1", "2026-02-01Z"), SMP_R_APPROVAL_PENDING);
	/* both signed, IT dated 2026-02-10: pending until that moment */
	CU_ASSERT_PTR_NOT_NULL_FATAL(with(NULL, lt(a, sizeof(a), "LT-1", "w1", "2026-01-12Z",
	                                           "2026-02-10T09:00Z", "2026-01-15Z",
	                                           "2026-12-31Z", NULL)));
	CU_ASSERT_EQUAL(verdict("w1", "2026-02-10T08:59:59Z"), SMP_R_APPROVAL_PENDING);
	CU_ASSERT_EQUAL(verdict("w1", "2026-02-10T09:00:00Z"), ALLOW);
	/* without starts, a pending approval counts as started at its request */
	CU_ASSERT_PTR_NOT_NULL_FATAL(with(NULL, lt(a, sizeof(a), "LT-1", "w1", "-", "-", "-", "-",
	                                           NULL)));
	CU_ASSERT_EQUAL(verdict("w1", "2025-12-31T23:59:59Z"), SMP_R_NO_APPROVAL);
	CU_ASSERT_EQUAL(verdict("w1", "2026-01-01T00:00:00Z"), SMP_R_APPROVAL_PENDING);
	/* once signed, without starts it starts at the second sign-off */
	CU_ASSERT_PTR_NOT_NULL_FATAL(with(NULL, lt(a, sizeof(a), "LT-1", "w1", "2026-01-12Z",
	                                           "2026-01-14T10:00Z", "-", "-", NULL)));
	CU_ASSERT_EQUAL(verdict("w1", "2026-01-14T09:59:59Z"), SMP_R_APPROVAL_PENDING);
	CU_ASSERT_EQUAL(verdict("w1", "2026-01-14T10:00:00Z"), ALLOW);
}

static void test_expired(void)
{
	char a[1024];

	/* a date-only expires holds through the end of that day (UTC here) */
	CU_ASSERT_PTR_NOT_NULL_FATAL(with(NULL, lt(a, sizeof(a), "LT-1", "w1", "2026-01-12Z",
	                                           "2026-01-14Z", "2026-01-15Z", "2026-03-31Z",
	                                           NULL)));
	CU_ASSERT_EQUAL(verdict("w1", "2026-03-31T23:59:59Z"), ALLOW);
	CU_ASSERT_EQUAL(verdict("w1", "2026-04-01T00:00:00Z"), SMP_R_APPROVAL_EXPIRED);
	/* a long-term approval without expires lapses after long_term_max_days */
	CU_ASSERT_PTR_NOT_NULL_FATAL(with(NULL, lt(a, sizeof(a), "LT-1", "w1", "2026-01-12Z",
	                                           "2026-01-14Z", "2026-01-15Z", "-", NULL)));
	CU_ASSERT_EQUAL(verdict("w1", "2027-01-14T23:59:59Z"), ALLOW);
	CU_ASSERT_EQUAL(verdict("w1", "2027-01-15T00:00:00Z"), SMP_R_APPROVAL_EXPIRED);
	/* ... and one that says later is cut to it, with a warning from check */
	CU_ASSERT_PTR_NOT_NULL_FATAL(with(NULL, lt(a, sizeof(a), "LT-1", "w1", "2026-01-12Z",
	                                           "2026-01-14Z", "2026-01-15Z", "2028-01-01Z",
	                                           NULL)));
	CU_ASSERT_EQUAL(verdict("w1", "2027-01-15T00:00:00Z"), SMP_R_APPROVAL_EXPIRED);
	smp_diags *d = NULL;
	CU_ASSERT_EQUAL(smp_policy_check(P, &d), SMP_OK);
	CU_ASSERT_EQUAL(smp_diags_count(d), 1);
	CU_ASSERT_EQUAL(smp_diags_errors(d), 0);
	smp_diags_free(d);
}

static void test_revoked(void)
{
	char a[1024];

	CU_ASSERT_PTR_NOT_NULL_FATAL(with(NULL, lt(a, sizeof(a), "LT-1", "w1", "2026-01-12Z",
	                                           "2026-01-14Z", "2026-01-15Z", "2026-12-31Z",
	                                           "revoked = { on = \"2026-06-01T12:00Z\"; by = \"dir-it\"; reason = \"case closed\"; };")));
	CU_ASSERT_EQUAL(verdict("w1", "2026-06-01T11:59:59Z"), ALLOW);
	CU_ASSERT_EQUAL(verdict("w1", "2026-06-01T12:00:00Z"), SMP_R_APPROVAL_REVOKED);
	/* revoked and lapsed: revocation is the state */
	CU_ASSERT_EQUAL(verdict("w1", "2027-02-01T00:00:00Z"), SMP_R_APPROVAL_REVOKED);
	/* valid_until of an ALLOW before the revocation is the revocation */
	smp_decision *d = decide(P, "w1", "facebook", "ws1", NULL, SMP_ACTION_VIEW, "2026-05-01Z");
	int64_t until = 0;
	CU_ASSERT_TRUE(smp_decision_valid_until(d, &until));
	CU_ASSERT_EQUAL(until, T("2026-06-01T12:00:00Z"));
	smp_decision_free(d);
}

static void expect_invalid(const char *approval)
{
	smp_diags *d = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(with(NULL, approval));
	CU_ASSERT_EQUAL(verdict("w1", "2026-06-01Z"), SMP_R_APPROVAL_INVALID);
	CU_ASSERT_EQUAL(smp_policy_check(P, &d), SMP_OK);
	CU_ASSERT_EQUAL(smp_diags_errors(d), 1);
	if (smp_diags_count(d) > 0) {
		unsigned line = 2;   /* "approvals = (" is after WORLD_PEOPLE */

		for (const char *c = WORLD_PEOPLE; *c; c++)
			line += *c == '\n';
		CU_ASSERT_EQUAL(smp_diags_get(d, 0)->line, line);   /* the approval's line */
		CU_ASSERT_STRING_EQUAL(smp_diags_get(d, 0)->subject, "X");
	}
	smp_diags_free(d);
}

#define SIGNED "approved_cpp = { by = \"dir-cpp\"; on = \"2026-01-12Z\"; }; " \
	       "approved_it = { by = \"dir-it\"; on = \"2026-01-14Z\"; }; "

static void test_invalid(void)
{
	/* a signer without the director role */
	expect_invalid("{ id = \"X\"; staff = \"w1\"; kind = \"long_term\"; platforms = [ \"facebook\" ]; "
	               "requested_by = \"lom1\"; approved_cpp = { by = \"sup1\"; on = \"2026-01-12Z\"; }; "
	               "approved_it = { by = \"dir-it\"; on = \"2026-01-14Z\"; }; starts = \"2026-01-15Z\"; }");
	/* the IT sign-off by the Director of CP&P */
	expect_invalid("{ id = \"X\"; staff = \"w1\"; kind = \"long_term\"; platforms = [ \"facebook\" ]; "
	               "requested_by = \"lom1\"; approved_cpp = { by = \"dir-cpp\"; on = \"2026-01-12Z\"; }; "
	               "approved_it = { by = \"dir-cpp\"; on = \"2026-01-14Z\"; }; starts = \"2026-01-15Z\"; }");
	/* a long-term approval requested by a manager of another office */
	expect_invalid("{ id = \"X\"; staff = \"w1\"; kind = \"long_term\"; platforms = [ \"facebook\" ]; "
	               "requested_by = \"lom2\"; " SIGNED "starts = \"2026-01-15Z\"; }");
	/* ... by a supervisor, and by nobody */
	expect_invalid("{ id = \"X\"; staff = \"w1\"; kind = \"long_term\"; platforms = [ \"facebook\" ]; "
	               "requested_by = \"sup1\"; " SIGNED "starts = \"2026-01-15Z\"; }");
	expect_invalid("{ id = \"X\"; staff = \"w1\"; kind = \"long_term\"; platforms = [ \"facebook\" ]; "
	               SIGNED "starts = \"2026-01-15Z\"; }");
	/* limited: no ticket, no expires, two platforms */
	expect_invalid("{ id = \"X\"; staff = \"w1\"; kind = \"limited\"; platforms = [ \"facebook\" ]; "
	               SIGNED "starts = \"2026-01-15Z\"; expires = \"2026-12-01Z\"; }");
	expect_invalid("{ id = \"X\"; staff = \"w1\"; kind = \"limited\"; platforms = [ \"facebook\" ]; "
	               "ticket = \"NJS-1\"; " SIGNED "starts = \"2026-01-15Z\"; }");
	expect_invalid("{ id = \"X\"; staff = \"w1\"; kind = \"limited\"; platforms = [ \"facebook\", \"youtube\" ]; "
	               "ticket = \"NJS-1\"; " SIGNED "starts = \"2026-01-15Z\"; expires = \"2026-12-01Z\"; }");
	/* ends before it starts */
	expect_invalid("{ id = \"X\"; staff = \"w1\"; kind = \"limited\"; platforms = [ \"facebook\" ]; "
	               "ticket = \"NJS-1\"; " SIGNED "starts = \"2026-01-15Z\"; expires = \"2026-01-10Z\"; }");
	/* a valid limited approval, for contrast */
	CU_ASSERT_PTR_NOT_NULL_FATAL(with(NULL,
		"{ id = \"X\"; staff = \"w1\"; kind = \"limited\"; platforms = [ \"facebook\" ]; "
		"ticket = \"NJS-1\"; " SIGNED "starts = \"2026-01-15T09:00Z\"; expires = \"2026-12-01T17:00Z\"; }"));
	CU_ASSERT_EQUAL(verdict("w1", "2026-01-15T08:59:59Z"), SMP_R_NO_APPROVAL);
	CU_ASSERT_EQUAL(verdict("w1", "2026-01-15T09:00:00Z"), ALLOW);
	CU_ASSERT_EQUAL(verdict("w1", "2026-12-01T17:00:00Z"), ALLOW);
	CU_ASSERT_EQUAL(verdict("w1", "2026-12-01T17:00:01Z"), SMP_R_APPROVAL_EXPIRED);
}

static void test_self_signed(void)
{
	/* a director approved for social media who signs their own approval */
	smp_diags *d = NULL;
	char buf[2048];

	snprintf(buf, sizeof(buf), "{ id = \"X\"; staff = \"dir-it\"; kind = \"limited\"; "
	         "platforms = [ \"facebook\" ]; ticket = \"NJS-2\"; " SIGNED
	         "starts = \"2026-01-15Z\"; expires = \"2026-12-01Z\"; }");
	CU_ASSERT_PTR_NOT_NULL_FATAL(with(NULL, buf));
	CU_ASSERT_EQUAL(smp_policy_check(P, &d), SMP_OK);
	CU_ASSERT_EQUAL(smp_diags_errors(d), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(smp_diags_get(d, 0)->message, "the approved person"));
	smp_diags_free(d);
}

static void test_latest_started_decides(void)
{
	char a[1024], b[1024], both[2100];

	/* an expired approval, then a newer pending one: pending */
	lt(a, sizeof(a), "LT-1", "w1", "2025-01-12Z", "2025-01-14Z", "2025-01-15Z", "2025-12-31Z", NULL);
	lt(b, sizeof(b), "LT-2", "w1", "2026-01-12Z", "-", "2026-01-15Z", "-", NULL);
	snprintf(both, sizeof(both), "%s,\n%s", a, b);
	CU_ASSERT_PTR_NOT_NULL_FATAL(with(NULL, both));
	CU_ASSERT_EQUAL(verdict("w1", "2026-01-14Z"), SMP_R_APPROVAL_EXPIRED);
	CU_ASSERT_EQUAL(verdict("w1", "2026-02-01Z"), SMP_R_APPROVAL_PENDING);
	/* a valid long-term approval is not cancelled by a newer revoked one */
	lt(a, sizeof(a), "LT-1", "w1", "2026-01-12Z", "2026-01-14Z", "2026-01-15Z", "2026-12-31Z", NULL);
	lt(b, sizeof(b), "LT-2", "w1", "2026-01-12Z", "2026-01-14Z", "2026-03-01Z", "2026-12-31Z",
	   "revoked = { on = \"2026-04-01Z\"; by = \"dir-it\"; reason = \"x\"; };");
	snprintf(both, sizeof(both), "%s,\n%s", a, b);
	CU_ASSERT_PTR_NOT_NULL_FATAL(with(NULL, both));
	CU_ASSERT_EQUAL(verdict("w1", "2026-05-01Z"), ALLOW);
	CU_ASSERT_EQUAL(verdict("w1", "2027-02-01Z"), SMP_R_APPROVAL_REVOKED);
}

/* ---- the cap ---------------------------------------------------------- */

/* Four persons of office o1; each approval signed at the given second
 * sign-off time. */
static void cap_world(const char *extra, const char *it1, const char *it2, const char *it3,
                      const char *s3, const char *e3, const char *it4)
{
	char a[4][1024], all[4200];

	lt(a[0], sizeof(a[0]), "A-1", "w1", "2026-01-01Z", it1, "2026-01-15Z", "2026-12-31Z", NULL);
	lt(a[1], sizeof(a[1]), "A-2", "w2", "2026-01-01Z", it2, "2026-01-15Z", "2026-12-31Z", NULL);
	lt(a[2], sizeof(a[2]), "A-3", "w3", "2026-01-01Z", it3, s3, e3, NULL);
	lt(a[3], sizeof(a[3]), "A-4", "w4", "2026-01-01Z", it4, "2026-01-15Z", "2026-12-31Z", NULL);
	snprintf(all, sizeof(all), "%s,\n%s,\n%s,\n%s", a[0], a[1], a[2], a[3]);
	CU_ASSERT_PTR_NOT_NULL_FATAL(with(extra, all));
}

static void test_cap_earliest_hold(void)
{
	smp_diags *d = NULL;

	/* w3 and w4 signed after w1 and w2: beyond the cap */
	cap_world(NULL, "2026-01-10Z", "2026-01-11Z", "2026-01-12Z", "2026-01-15Z", "2026-12-31Z",
	          "2026-01-13Z");
	CU_ASSERT_EQUAL(verdict("w1", "2026-02-01Z"), ALLOW);
	CU_ASSERT_EQUAL(verdict("w2", "2026-02-01Z"), ALLOW);
	CU_ASSERT_EQUAL(verdict("w3", "2026-02-01Z"), SMP_R_OFFICE_CAP_EXCEEDED);
	CU_ASSERT_EQUAL(verdict("w4", "2026-02-01Z"), SMP_R_OFFICE_CAP_EXCEEDED);
	CU_ASSERT_EQUAL(smp_policy_check(P, &d), SMP_OK);
	CU_ASSERT_EQUAL(smp_diags_errors(d), 2);   /* one breach each for */
	for (size_t i = 0; i < smp_diags_count(d); i++)
		CU_ASSERT_PTR_NOT_NULL(strstr(smp_diags_get(d, i)->message, "'o1'"));
	smp_diags_free(d);
}

static void test_cap_tie_lowest_id(void)
{
	/* all signed at the same moment: A-1 and A-2 (lowest ids) hold */
	cap_world(NULL, "2026-01-10Z", "2026-01-10Z", "2026-01-10Z", "2026-01-15Z", "2026-12-31Z",
	          "2026-01-10Z");
	CU_ASSERT_EQUAL(verdict("w1", "2026-02-01Z"), ALLOW);
	CU_ASSERT_EQUAL(verdict("w2", "2026-02-01Z"), ALLOW);
	CU_ASSERT_EQUAL(verdict("w3", "2026-02-01Z"), SMP_R_OFFICE_CAP_EXCEEDED);
	CU_ASSERT_EQUAL(verdict("w4", "2026-02-01Z"), SMP_R_OFFICE_CAP_EXCEEDED);
}

static void test_cap_window(void)
{
	/* w3 signed first but holds only from March to May; w4 last.
	 * Jan-Feb: w1, w2 hold (w3 not started), w4 beyond.
	 * Mar-May: w3 (earliest) and w1 hold; w2 and w4 beyond.
	 * From June: w1, w2 hold again. */
	cap_world(NULL, "2026-01-10Z", "2026-01-11Z", "2026-01-09Z", "2026-03-01Z", "2026-05-31Z",
	          "2026-01-12Z");
	CU_ASSERT_EQUAL(verdict("w2", "2026-02-28T23:59:59Z"), ALLOW);
	CU_ASSERT_EQUAL(verdict("w4", "2026-02-01Z"), SMP_R_OFFICE_CAP_EXCEEDED);
	CU_ASSERT_EQUAL(verdict("w3", "2026-03-01Z"), ALLOW);
	CU_ASSERT_EQUAL(verdict("w1", "2026-03-01Z"), ALLOW);
	CU_ASSERT_EQUAL(verdict("w2", "2026-03-01Z"), SMP_R_OFFICE_CAP_EXCEEDED);
	CU_ASSERT_EQUAL(verdict("w2", "2026-06-01Z"), ALLOW);
	CU_ASSERT_EQUAL(verdict("w3", "2026-06-01Z"), SMP_R_APPROVAL_EXPIRED);
	CU_ASSERT_EQUAL(verdict("w4", "2026-06-01Z"), SMP_R_OFFICE_CAP_EXCEEDED);

	/* w2's ALLOW in February stops holding when w3 starts */
	smp_decision *d = decide(P, "w2", "facebook", "ws1", NULL, SMP_ACTION_VIEW, "2026-02-01Z");
	int64_t until = 0;
	CU_ASSERT_TRUE(smp_decision_valid_until(d, &until));
	CU_ASSERT_EQUAL(until, T("2026-03-01Z"));
	smp_decision_free(d);
}

static void test_cap_frees_a_place(void)
{
	char a[1024], b[1024], c[1024], all[3200];

	/* w1 revoked at April: w3 (beyond until then) holds from April */
	lt(a, sizeof(a), "A-1", "w1", "2026-01-01Z", "2026-01-10Z", "2026-01-15Z", "2026-12-31Z",
	   "revoked = { on = \"2026-04-01Z\"; by = \"dir-it\"; reason = \"moved\"; };");
	lt(b, sizeof(b), "A-2", "w2", "2026-01-01Z", "2026-01-11Z", "2026-01-15Z", "2026-12-31Z", NULL);
	lt(c, sizeof(c), "A-3", "w3", "2026-01-01Z", "2026-01-12Z", "2026-01-15Z", "2026-12-31Z", NULL);
	snprintf(all, sizeof(all), "%s,\n%s,\n%s", a, b, c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(with(NULL, all));
	CU_ASSERT_EQUAL(verdict("w3", "2026-03-31T23:59:59Z"), SMP_R_OFFICE_CAP_EXCEEDED);
	CU_ASSERT_EQUAL(verdict("w3", "2026-04-01T00:00:00Z"), ALLOW);
	CU_ASSERT_EQUAL(verdict("w1", "2026-04-01T00:00:00Z"), SMP_R_APPROVAL_REVOKED);
}

static void test_cap_counts_persons(void)
{
	char a[1024], b[1024], c[1024], all[3200];

	/* w1 holds two approvals: still one person; w2 holds the second place */
	lt(a, sizeof(a), "A-1", "w1", "2026-01-01Z", "2026-01-10Z", "2026-01-15Z", "2026-12-31Z", NULL);
	lt(b, sizeof(b), "A-2", "w1", "2026-01-01Z", "2026-01-11Z", "2026-01-15Z", "2026-12-31Z", NULL);
	lt(c, sizeof(c), "A-3", "w2", "2026-01-01Z", "2026-01-12Z", "2026-01-15Z", "2026-12-31Z", NULL);
	snprintf(all, sizeof(all), "%s,\n%s,\n%s", a, b, c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(with(NULL, all));
	CU_ASSERT_EQUAL(verdict("w1", "2026-02-01Z"), ALLOW);
	CU_ASSERT_EQUAL(verdict("w2", "2026-02-01Z"), ALLOW);
	/* another office's approvals never count toward o1 */
	lt(c, sizeof(c), "A-3", "w2", "2026-01-01Z", "2026-01-12Z", "2026-01-15Z", "2026-12-31Z", NULL);
}

static void test_cap_long_term_only(void)
{
	char a[1024], b[1024], all[4200];

	/* with cap_counts = "long_term", limited approvals neither count nor
	 * are denied */
	lt(a, sizeof(a), "A-1", "w1", "2026-01-01Z", "2026-01-10Z", "2026-01-15Z", "2026-12-31Z", NULL);
	lt(b, sizeof(b), "A-2", "w2", "2026-01-01Z", "2026-01-11Z", "2026-01-15Z", "2026-12-31Z", NULL);
	snprintf(all, sizeof(all), "%s,\n%s,\n"
	         "{ id = \"U-3\"; staff = \"w3\"; kind = \"limited\"; platforms = [ \"facebook\" ]; "
	         "ticket = \"NJS-3\"; approved_cpp = { by = \"dir-cpp\"; on = \"2026-01-01Z\"; }; "
	         "approved_it = { by = \"dir-it\"; on = \"2026-01-01Z\"; }; starts = \"2026-01-15Z\"; "
	         "expires = \"2026-06-30Z\"; }", a, b);
	CU_ASSERT_PTR_NOT_NULL_FATAL(with("cap_counts = \"long_term\";", all));
	CU_ASSERT_EQUAL(verdict("w1", "2026-02-01Z"), ALLOW);
	CU_ASSERT_EQUAL(verdict("w2", "2026-02-01Z"), ALLOW);
	CU_ASSERT_EQUAL(verdict("w3", "2026-02-01Z"), ALLOW);
	/* counted ("all"): the limited one signed first holds, A-2 is beyond */
	CU_ASSERT_PTR_NOT_NULL_FATAL(with("cap_counts = \"all\";", all));
	CU_ASSERT_EQUAL(verdict("w3", "2026-02-01Z"), ALLOW);
	CU_ASSERT_EQUAL(verdict("w1", "2026-02-01Z"), ALLOW);
	CU_ASSERT_EQUAL(verdict("w2", "2026-02-01Z"), SMP_R_OFFICE_CAP_EXCEEDED);
	CU_ASSERT_EQUAL(verdict("w2", "2026-07-01Z"), ALLOW);
}

static void test_report_view(void)
{
	struct smp_approval_info info = { .size = sizeof(info) };
	cap_world(NULL, "2026-01-10Z", "2026-01-11Z", "2026-01-12Z", "2026-01-15Z", "2026-12-31Z",
	          "-");
	CU_ASSERT_EQUAL(smp_policy_approval_count(P), 4);
	CU_ASSERT_EQUAL(smp_policy_approval(P, 2, T("2026-02-01Z"), &info), SMP_OK);
	CU_ASSERT_STRING_EQUAL(info.id, "A-3");
	CU_ASSERT_EQUAL(info.state, SMP_STATE_OVER_CAP);
	CU_ASSERT_EQUAL(smp_policy_approval(P, 3, T("2026-02-01Z"), &info), SMP_OK);
	CU_ASSERT_EQUAL(info.state, SMP_STATE_PENDING);
	CU_ASSERT_TRUE(info.signed_cpp);
	CU_ASSERT_FALSE(info.signed_it);
	CU_ASSERT_EQUAL(smp_policy_approval(P, 0, T("2026-02-01Z"), &info), SMP_OK);
	CU_ASSERT_EQUAL(info.state, SMP_STATE_VALID);
	CU_ASSERT_TRUE(info.has_valid_until);
	CU_ASSERT_EQUAL(info.valid_until, T("2027-01-01Z"));
	CU_ASSERT_EQUAL(smp_policy_approval(P, 4, 0, &info), SMP_ERR_NOTFOUND);
}

int main(void)
{
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("approvals", NULL, cleanup);
	CU_add_test(s, "approval-pending", test_pending);
	CU_add_test(s, "approval-expired", test_expired);
	CU_add_test(s, "approval-revoked", test_revoked);
	CU_add_test(s, "approval-invalid", test_invalid);
	CU_add_test(s, "approval-invalid: self-signed", test_self_signed);
	CU_add_test(s, "the latest started approval decides", test_latest_started_decides);
	s = CU_add_suite("office cap", NULL, cleanup);
	CU_add_test(s, "earliest second sign-off holds", test_cap_earliest_hold);
	CU_add_test(s, "tie: lowest id holds", test_cap_tie_lowest_id);
	CU_add_test(s, "approvals starting and ending across the window", test_cap_window);
	CU_add_test(s, "a freed place is taken again", test_cap_frees_a_place);
	CU_add_test(s, "the cap counts persons", test_cap_counts_persons);
	CU_add_test(s, "cap_counts long_term", test_cap_long_term_only);
	CU_add_test(s, "approval states for the report", test_report_view);
	return run_suites();
}
