/*
 * test_time_zones.c - local time in zones with unusual changes.  meson runs
 * this program once per zone, with TZ set for the child only.  In every
 * zone, the loader's memo of local days (time_parse_memo) must read every
 * time of 1965-2040 exactly as smp_time_parse does; in the zones named
 * below, the edge cases of docs/SEMANTICS.md are checked against the
 * tz database.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "internal.h"
#include "suites.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *zone(void)
{
	const char *tz = getenv("TZ");

	return tz != NULL ? tz : "";
}

static bool in_zone(const char *z)
{
	return strcmp(zone(), z) == 0;
}

static int64_t parse(const char *s, smp_time_edge edge)
{
	int64_t t = 0;

	CU_ASSERT_EQUAL(smp_time_parse(s, edge, &t), SMP_OK);
	return t;
}

/* glibc falls back to UTC for a zone it cannot find: say so instead of
 * checking UTC against another zone's expectations */
static void test_zone_installed(void)
{
	char path[256];

	snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", zone());
	if (zone()[0] != '\0' && strcmp(zone(), "UTC") != 0 && access(path, R_OK) != 0)
		CU_FAIL_FATAL("the zone is not installed (Debian package tzdata)");
}

static void test_memo_matches(void)
{
	static const char *const clock[] = {
		"", "T00:00", "T00:30", "T01:30", "T02:00", "T02:30", "T03:00", "T12:00", "T23:59:59",
	};
	struct time_memo m = { 0 };
	long differ = 0;

	for (int y = 1965; y <= 2040; y++)
		for (int mo = 1; mo <= 12; mo++)
			for (int d = 1; d <= 31; d++)
				for (size_t k = 0; k < sizeof(clock) / sizeof(clock[0]); k++)
					for (int e = 0; e <= 1; e++) {
						smp_time_edge edge = e ? SMP_TIME_END : SMP_TIME_START;
						char text[32];
						int64_t a = 0, b = 0;
						smp_status ra, rb;

						snprintf(text, sizeof(text), "%04d-%02d-%02d%s", y, mo, d,
						         clock[k]);
						ra = smp_time_parse(text, edge, &a);
						rb = time_parse_memo(&m, text, edge, &b);
						if (ra != rb || (ra == SMP_OK && a != b)) {
							if (differ++ < 5)
								fprintf(stderr, "%s (%s): %d %lld, memo %d %lld\n",
								        text, e ? "end" : "start", ra, (long long)a,
								        rb, (long long)b);
						}
					}
	time_memo_free(&m);
	CU_ASSERT_EQUAL(differ, 0);
}

static void test_edge_cases(void)
{
	int64_t t = 0;

	if (in_zone("America/New_York")) {
		/* a long-term limit ending in the spring-forward gap: 02:30 is
		 * read with the offset before it, as 03:30 EDT */
		CU_ASSERT_EQUAL(time_add_days(parse("2025-03-08T02:30", SMP_TIME_START), 365, NULL),
		                parse("2026-03-08T03:30-04:00", SMP_TIME_START));
		/* and one ending in the repeated hour: the earlier 01:30 (EDT) */
		CU_ASSERT_EQUAL(time_add_days(parse("2025-11-01T01:30", SMP_TIME_START), 365, NULL),
		                parse("2026-11-01T01:30-04:00", SMP_TIME_START));
		/* an ordinary day: the same clock time */
		CU_ASSERT_EQUAL(time_add_days(parse("2025-11-25T10:00", SMP_TIME_START), 365, NULL),
		                parse("2026-11-25T10:00", SMP_TIME_START));
	} else if (in_zone("America/Caracas")) {
		/* 2007-12-09 03:00 -04:00 became 02:30 -04:30: both offsets are
		 * standard time; 02:45 happened twice and the earlier wins */
		CU_ASSERT_EQUAL(parse("2007-12-09T02:45", SMP_TIME_START),
		                parse("2007-12-09T02:45-04:00", SMP_TIME_START));
		/* 1965-01-01 began at 00:30 (-04:30 became -04:00 at midnight) */
		CU_ASSERT_EQUAL(parse("1965-01-01", SMP_TIME_START),
		                parse("1965-01-01T00:30-04:00", SMP_TIME_START));
		CU_ASSERT_EQUAL(parse("1964-12-31", SMP_TIME_END),
		                parse("1965-01-01", SMP_TIME_START));
	} else if (in_zone("Pacific/Apia")) {
		/* 2011-12-30 was skipped: a date alone ending the 29th lapses
		 * when the 31st begins; the 30th does not exist */
		CU_ASSERT_EQUAL(parse("2011-12-29", SMP_TIME_END),
		                parse("2011-12-31T00:00+14:00", SMP_TIME_START));
		CU_ASSERT_EQUAL(smp_time_parse("2011-12-30", SMP_TIME_START, &t), SMP_ERR_TIME);
		CU_ASSERT_EQUAL(smp_time_parse("2011-12-30T12:00", SMP_TIME_START, &t), SMP_ERR_TIME);
	} else if (in_zone("Europe/Dublin")) {
		/* Irish Standard Time in summer, GMT as "negative DST" in winter:
		 * the repeated hour of 2026-10-25 is read as the earlier */
		CU_ASSERT_EQUAL(parse("2026-10-25T01:30", SMP_TIME_START),
		                parse("2026-10-25T01:30+01:00", SMP_TIME_START));
		CU_ASSERT_EQUAL(smp_time_parse("2026-03-29T01:30", SMP_TIME_START, &t), SMP_ERR_TIME);
	}
}

/* The library's own reader of the zone's TZif file (settings.time_zone)
 * gives the offsets, times and texts glibc gives with TZ set: every 3
 * hours from 1901 to 2100 (the footer rule beyond the file's last
 * transition included), and the text forms around each change. */
static void test_tzif_matches(void)
{
	struct arena a = { 0 };
	const struct tz *z = NULL;
	char why[256];
	size_t bad = 0;

	if (zone()[0] == '\0')
		return;
	CU_ASSERT_EQUAL_FATAL(zone_load(zone(), &a, &z, why, sizeof(why)), SMP_OK);
	for (int64_t t = -2177452800LL; t < 4102444800LL; t += 3 * 3600 + 17) {
		time_t tt = (time_t)t;
		struct tm tm;
		char x[40], y[40];

		CU_ASSERT_PTR_NOT_NULL_FATAL(localtime_r(&tt, &tm));
		if (zone_offset(z, t) != tm.tm_gmtoff && bad++ < 5)
			fprintf(stderr, "\n  %s at %lld: %d, glibc %ld", zone(), (long long)t,
			        zone_offset(z, t), tm.tm_gmtoff);
		if (t % (24 * 3600 * 7) < 3 * 3600 + 17) {
			int64_t p1 = 0, p2 = 0;

			CU_ASSERT_PTR_NOT_NULL(time_format_tz(z, t, x, sizeof(x)));
			CU_ASSERT_PTR_NOT_NULL(smp_time_format(t, y, sizeof(y)));
			CU_ASSERT_STRING_EQUAL(x, y);
			x[19] = '\0';   /* without its offset: read in the zone */
			CU_ASSERT_EQUAL(time_parse_tz(z, x, SMP_TIME_START, &p1),
			                smp_time_parse(x, SMP_TIME_START, &p2));
			CU_ASSERT_EQUAL(p1, p2);
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	arena_release(&a);
}

/* Names that could leave the zone folder, and files that are no zone. */
static void test_tzif_refusals(void)
{
	static const char *const names[] = { "../etc/passwd", "/etc/localtime", "America/../../x",
	                                     "", "America/New York", "Europe/", "a\nb" };
	struct arena a = { 0 };
	const struct tz *z = NULL;
	char why[256];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		CU_ASSERT_EQUAL(zone_load(names[i], &a, &z, why, sizeof(why)), SMP_ERR_PARSE);
		CU_ASSERT_PTR_NULL(z);
	}
	CU_ASSERT_EQUAL(zone_load("Mars/Olympus_Mons", &a, &z, why, sizeof(why)), SMP_ERR_PARSE);
	CU_ASSERT_EQUAL(zone_load("zone.tab", &a, &z, why, sizeof(why)), SMP_ERR_PARSE);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "not a time zone name"));
	if (access("/usr/share/zoneinfo/leapseconds", F_OK) == 0) {   /* text, not TZif */
		CU_ASSERT_EQUAL(zone_load("leapseconds", &a, &z, why, sizeof(why)), SMP_ERR_PARSE);
		CU_ASSERT_PTR_NOT_NULL(strstr(why, "not a TZif file"));
	}
	arena_release(&a);
}

/* The TZif reader on every prefix of a real file and on the file with each
 * byte changed: an error or a zone, never a read outside the bytes (the
 * sanitizer runs watch), and any zone it makes answers in range. */
static void test_tzif_damaged(void)
{
	FILE *f = fopen("/usr/share/zoneinfo/America/New_York", "rb");
	unsigned char buf[8192], *copy;
	size_t n;

	if (f == NULL)
		return;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	CU_ASSERT_FATAL(n > 44 && n < sizeof(buf));
	for (size_t k = 0; k <= n; k++) {
		struct arena a = { 0 };
		const struct tz *z = NULL;

		copy = malloc(k + 1);   /* exactly k bytes for the reader: ASan sees past them */
		CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
		memcpy(copy, buf, k);
		if (zone_parse(copy, k, &a, &z) == NULL)
			CU_ASSERT(abs(zone_offset(z, 1700000000)) <= 26 * 3600);
		free(copy);
		arena_release(&a);
	}
	for (size_t k = 0; k < n; k++) {
		static const unsigned char vals[] = { 0x00, 0xff, 0x7f, 0x80, '\n', ',' };

		for (size_t v = 0; v < sizeof(vals); v++) {
			struct arena a = { 0 };
			const struct tz *z = NULL;
			unsigned char was = buf[k];

			buf[k] = vals[v];
			if (zone_parse(buf, n, &a, &z) == NULL) {
				for (int64_t t = -4000000000LL; t < 8000000000LL; t += 99999937)
					CU_ASSERT(abs(zone_offset(z, t)) <= 26 * 3600);
			}
			buf[k] = was;
			arena_release(&a);
		}
	}
}

int main(void)
{
	CU_pSuite s;
	char name[80];

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	snprintf(name, sizeof(name), "time zones (TZ=%s)", zone()[0] ? zone() : "unset");
	s = CU_add_suite(name, NULL, NULL);
	CU_add_test(s, "the zone is installed", test_zone_installed);
	CU_add_test(s, "the loader's memo reads 1965-2040 as smp_time_parse", test_memo_matches);
	CU_add_test(s, "gaps, repeated hours, skipped days", test_edge_cases);
	CU_add_test(s, "the TZif reader gives glibc's answers", test_tzif_matches);
	CU_add_test(s, "zone names and files refused", test_tzif_refusals);
	CU_add_test(s, "damaged TZif files", test_tzif_damaged);
	return run_suites();
}
