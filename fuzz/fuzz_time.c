/*
 * fuzz_time.c - the time parser and formatter (time.c).
 *
 * Input: one byte choosing the time zone (the harness sets TZ; the library
 * never does), one byte of day count for time_add_days, then the text
 * given to smp_time_parse.  The last 8 bytes, read as an int64, are also
 * given to smp_time_format.
 *
 * Checked: a parse either fails or gives an instant that formats and reads
 * back as itself (to the minute of a local mean time offset); the
 * exclusive end of a day is after its start and within two days of it; the
 * end of a time of day is the second after it.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "fuzz_common.h"
#include "internal.h"

#include <time.h>

static const char *const zones[] = {
	"UTC0",
	"America/New_York",      /* the DCF's own: gaps at 02:00 in March */
	"America/Sao_Paulo",     /* DST began at midnight: days without a 00:00 */
	"Australia/Lord_Howe",   /* half-hour DST */
	"Pacific/Apia",          /* skipped 2011-12-30 entirely */
	"Pacific/Kiritimati",    /* +14:00 */
	"EST5EDT,M3.2.0,M11.1.0",
	"<-03>3",
};

static int current_zone = -1;

static void set_zone(unsigned char b)
{
	int z = b % (int)(sizeof(zones) / sizeof(zones[0]));

	if (z == current_zone)
		return;
	setenv("TZ", zones[z], 1);
	tzset();
	current_zone = z;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[256], buf[64];
	int64_t start, end = 0, again, raw = 0;
	int days;

	if (size < 2)
		return 0;
	set_zone(data[0]);
	days = (int)(signed char)data[1] * 300;   /* up to +-38100 days, beyond long_term_max_days */
	if (size >= 10)
		memcpy(&raw, data + size - 8, 8);
	size -= 2;
	data += 2;
	if (size >= sizeof(text))
		size = sizeof(text) - 1;
	memcpy(text, data, size);
	text[size] = '\0';

	/* any instant at all: format it or say it cannot be */
	if (smp_time_format(raw, buf, sizeof(buf)) != NULL)
		fuzz_assert(strlen(buf) >= 25);
	fuzz_assert(smp_time_format(raw, buf, 8) == NULL);

	fuzz_assert(smp_time_parse(NULL, SMP_TIME_START, &start) == SMP_ERR_ARG);
	if (smp_time_parse(text, SMP_TIME_START, &start) != SMP_OK) {
		fuzz_assert(smp_time_parse(text, SMP_TIME_END, &end) != SMP_OK ||
		            strlen(text) == 10);   /* a date whose midnight was skipped */
		return 0;
	}
	end = start;
	if (smp_time_parse(text, SMP_TIME_END, &end) == SMP_OK) {
		if (strchr(text, 'T') != NULL)
			fuzz_assert(end == start + 1);
		else
			fuzz_assert(end > start && end - start <= 2 * 86400);
	} else {
		/* only a date whose next day does not exist in the zone (Apia,
		 * 2011-12-29): known, see docs/SECURITY.md */
		fuzz_assert(strlen(text) == 10);
	}
	if (smp_time_format(start, buf, sizeof(buf)) != NULL) {
		/* the offset is printed to the minute: local mean time offsets
		 * (before 1900) lose their seconds */
		if (smp_time_parse(buf, SMP_TIME_START, &again) != SMP_OK ||
		    again - start >= 60 || start - again >= 60)
			fuzz_fail("'%s' -> %lld -> '%s' does not read back", text, (long long)start,
			          buf);
	}
	(void)time_add_days(start, days, NULL);
	(void)time_add_days(end, 36500, NULL);
	return 0;
}
