/*
 * test_time.c - the time formats of smpolicy.conf(5).  meson runs this program
 * twice, with TZ=UTC and with TZ=America/New_York (set for the child only):
 * the zone-free cases hold in both, the local ones are checked against
 * the zone the run has.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "world.h"

#include <CUnit/Basic.h>
#include <stdlib.h>
#include <string.h>

static bool in_new_york(void)
{
	const char *tz = getenv("TZ");

	return tz != NULL && strcmp(tz, "America/New_York") == 0;
}

static int64_t parse(const char *s, smp_time_edge edge)
{
	int64_t t = 0;

	CU_ASSERT_EQUAL(smp_time_parse(s, edge, &t), SMP_OK);
	return t;
}

static void bad(const char *s)
{
	int64_t t = 42;

	CU_ASSERT_EQUAL(smp_time_parse(s, SMP_TIME_START, &t), SMP_ERR_TIME);
	CU_ASSERT_EQUAL(t, 42);   /* untouched on error */
}

static void test_utc_and_offsets(void)
{
	CU_ASSERT_EQUAL(parse("1970-01-01Z", SMP_TIME_START), 0);
	CU_ASSERT_EQUAL(parse("1970-01-01T00:00:01Z", SMP_TIME_START), 1);
	CU_ASSERT_EQUAL(parse("2026-11-25T10:30Z", SMP_TIME_START), 1795602600);
	CU_ASSERT_EQUAL(parse("2026-11-25T05:30-05:00", SMP_TIME_START), 1795602600);
	CU_ASSERT_EQUAL(parse("2026-11-25T16:00+05:30", SMP_TIME_START), 1795602600);
	CU_ASSERT_EQUAL(parse("2026-11-25T10:30:00+00:00", SMP_TIME_START), 1795602600);
	/* leap day, before 1970, after 2038 */
	CU_ASSERT_EQUAL(parse("2028-02-29Z", SMP_TIME_START), 1835395200);
	CU_ASSERT_EQUAL(parse("1969-12-31T23:59:59Z", SMP_TIME_START), -1);
	CU_ASSERT_EQUAL(parse("2040-01-01Z", SMP_TIME_START), 2208988800);
	CU_ASSERT_EQUAL(parse("0001-01-01Z", SMP_TIME_START), -62135596800);
	CU_ASSERT_EQUAL(parse("9999-12-31T23:59:59Z", SMP_TIME_START), 253402300799);
}

static void test_end_edge(void)
{
	/* a date alone as an end: through the end of that day */
	CU_ASSERT_EQUAL(parse("2026-12-31Z", SMP_TIME_END), parse("2027-01-01Z", SMP_TIME_START));
	CU_ASSERT_EQUAL(parse("2028-02-28Z", SMP_TIME_END), parse("2028-02-29Z", SMP_TIME_START));
	/* a time of day as an end: through that second */
	CU_ASSERT_EQUAL(parse("2026-11-27T17:00Z", SMP_TIME_END),
	                parse("2026-11-27T17:00:01Z", SMP_TIME_START));
}

static void test_malformed(void)
{
	bad("");
	bad("2026");
	bad("2026-1-05");
	bad("2026-13-01");
	bad("2026-00-10");
	bad("2026-02-29");      /* not a leap year */
	bad("2026-04-31");
	bad("2026-11-25T24:00");
	bad("2026-11-25T23:60");
	bad("2026-11-25T23:59:60");
	bad("2026-11-25T9:00");
	bad("2026-11-25 09:00");
	bad("2026-11-25T09:00 ");
	bad("2026-11-25T09:00+19:00");
	bad("2026-11-25T09:00+05:60");
	bad("2026-11-25T09:00+0500");
	bad("2026-11-25T09:00ZZ");
	bad("2026-11-25x");
	bad("+2026-11-25");
	bad("0000-01-01Z");
	CU_ASSERT_EQUAL(smp_time_parse(NULL, SMP_TIME_START, NULL), SMP_ERR_ARG);
}

static void test_local(void)
{
	if (!in_new_york()) {
		/* UTC: local times are UTC, and every wall-clock time exists */
		CU_ASSERT_EQUAL(parse("2026-11-25", SMP_TIME_START), parse("2026-11-25Z", SMP_TIME_START));
		CU_ASSERT_EQUAL(parse("2026-03-08T02:30", SMP_TIME_START),
		                parse("2026-03-08T02:30Z", SMP_TIME_START));
		return;
	}
	/* EST in winter, EDT in summer */
	CU_ASSERT_EQUAL(parse("2026-11-25", SMP_TIME_START), parse("2026-11-25T05:00Z", SMP_TIME_START));
	CU_ASSERT_EQUAL(parse("2026-07-01T12:00", SMP_TIME_START),
	                parse("2026-07-01T16:00Z", SMP_TIME_START));
	/* spring forward 2026-03-08: 02:00-02:59 does not exist */
	bad("2026-03-08T02:30");
	CU_ASSERT_EQUAL(parse("2026-03-08T03:00", SMP_TIME_START),
	                parse("2026-03-08T07:00Z", SMP_TIME_START));
	/* the day of the change is 23 hours long */
	CU_ASSERT_EQUAL(parse("2026-03-08", SMP_TIME_END) - parse("2026-03-08", SMP_TIME_START),
	                23 * 3600);
	/* fall back 2026-11-01: 01:30 happens twice; the earlier (EDT) wins */
	CU_ASSERT_EQUAL(parse("2026-11-01T01:30", SMP_TIME_START),
	                parse("2026-11-01T05:30Z", SMP_TIME_START));
	CU_ASSERT_EQUAL(parse("2026-11-01", SMP_TIME_END) - parse("2026-11-01", SMP_TIME_START),
	                25 * 3600);
}

static void test_format(void)
{
	char buf[40];

	CU_ASSERT_PTR_NOT_NULL_FATAL(smp_time_format(parse("2026-11-27T22:00:00Z", SMP_TIME_START),
	                                             buf, sizeof(buf)));
	CU_ASSERT_STRING_EQUAL(buf, in_new_york() ? "2026-11-27T17:00:00-05:00"
	                                          : "2026-11-27T22:00:00+00:00");
	/* what it prints reads back as the same instant */
	CU_ASSERT_EQUAL(parse(buf, SMP_TIME_START), parse("2026-11-27T22:00:00Z", SMP_TIME_START));
	CU_ASSERT_PTR_NULL(smp_time_format(0, buf, 10));   /* too small */
	CU_ASSERT_PTR_NULL(smp_time_format(INT64_MAX, buf, sizeof(buf)));
}

/* A decision near midnight depends on the zone of the records' local
 * dates: an approval expiring "2026-11-30" holds through local midnight. */
static void test_decision_at_day_edge(void)
{
	struct world w;
	smp_policy *p;
	smp_decision *d;

	CU_ASSERT_TRUE_FATAL(world_write(&w, NULL,
		"{ id = \"U-1\"; staff = \"w1\"; kind = \"limited\"; platforms = [ \"facebook\" ]; "
		"ticket = \"NJS-1\"; approved_cpp = { by = \"dir-cpp\"; on = \"2026-11-01\"; }; "
		"approved_it = { by = \"dir-it\"; on = \"2026-11-01\"; }; "
		"starts = \"2026-11-02\"; expires = \"2026-11-30\"; }"));
	p = world_load(&w);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	d = decide(p, "w1", "facebook", "ws1", NULL, SMP_ACTION_VIEW, "2026-11-30T23:59:59");
	CU_ASSERT_TRUE(smp_decision_allowed(d));
	smp_decision_free(d);
	d = decide(p, "w1", "facebook", "ws1", NULL, SMP_ACTION_VIEW, "2026-12-01T00:00:00");
	CU_ASSERT_TRUE(denied_only_by(d, SMP_R_APPROVAL_EXPIRED));
	smp_decision_free(d);
	/* 2026-12-01T03:00Z is still 2026-11-30 in New York */
	d = decide(p, "w1", "facebook", "ws1", NULL, SMP_ACTION_VIEW, "2026-12-01T03:00Z");
	CU_ASSERT_EQUAL(smp_decision_allowed(d), in_new_york());
	smp_decision_free(d);
	/* starts at local midnight of 2026-11-02 */
	d = decide(p, "w1", "facebook", "ws1", NULL, SMP_ACTION_VIEW, "2026-11-01T23:59:59");
	CU_ASSERT_TRUE(denied_only_by(d, SMP_R_NO_APPROVAL));
	smp_decision_free(d);
	d = decide(p, "w1", "facebook", "ws1", NULL, SMP_ACTION_VIEW, "2026-11-02T00:00:00");
	CU_ASSERT_TRUE(smp_decision_allowed(d));
	smp_decision_free(d);
	smp_policy_free(p);
	world_remove(&w);
}

int main(void)
{
	CU_pSuite s;
	char name[64];

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	snprintf(name, sizeof(name), "time (TZ=%s)", getenv("TZ") ? getenv("TZ") : "unset");
	s = CU_add_suite(name, NULL, NULL);
	CU_add_test(s, "UTC and offsets", test_utc_and_offsets);
	CU_add_test(s, "a date alone as an end", test_end_edge);
	CU_add_test(s, "malformed and impossible times", test_malformed);
	CU_add_test(s, "local time, DST gap and overlap", test_local);
	CU_add_test(s, "formatting round-trips", test_format);
	CU_add_test(s, "a decision at the day's edge", test_decision_at_day_edge);
	return run_suites();
}
