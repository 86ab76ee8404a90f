/*
 * time.c - the time formats of DESIGN §2, read without touching the
 * process's time zone or locale (mktime/localtime_r read TZ as it is).
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct civil {
	int year, mon, day, hour, min, sec;
	bool has_time;
	bool has_offset;
	int offset;          /* seconds east of UTC */
};

static bool digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int y, int m)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : d[m - 1];
}

/* Howard Hinnant's days_from_civil: days since 1970-01-01. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

static bool parse_civil(const char *s, struct civil *c)
{
	memset(c, 0, sizeof(*c));
	if (strlen(s) < 10 || !digits(s, 4, &c->year) || s[4] != '-' ||
	    !digits(s + 5, 2, &c->mon) || s[7] != '-' || !digits(s + 8, 2, &c->day))
		return false;
	s += 10;
	if (*s == 'T') {
		c->has_time = true;
		if (!digits(s + 1, 2, &c->hour) || s[3] != ':' || !digits(s + 4, 2, &c->min))
			return false;
		s += 6;
		if (*s == ':') {
			if (!digits(s + 1, 2, &c->sec))
				return false;
			s += 3;
		}
	}
	if (*s == 'Z') {
		c->has_offset = true;
		s++;
	} else if (*s == '+' || *s == '-') {
		int oh, om;

		if (!digits(s + 1, 2, &oh) || s[3] != ':' || !digits(s + 4, 2, &om))
			return false;
		if (om > 59 || oh * 60 + om > 18 * 60)
			return false;
		c->has_offset = true;
		c->offset = (oh * 3600 + om * 60) * (*s == '-' ? -1 : 1);
		s += 6;
	}
	if (*s != '\0')
		return false;
	return c->year >= 1 && c->mon >= 1 && c->mon <= 12 && c->day >= 1 &&
	       c->day <= month_days(c->year, c->mon) && c->hour <= 23 &&
	       c->min <= 59 && c->sec <= 59;   /* no leap seconds: 23:59:60 is refused */
}

static bool same_fields(const struct tm *a, const struct civil *c)
{
	return a->tm_year == c->year - 1900 && a->tm_mon == c->mon - 1 &&
	       a->tm_mday == c->day && a->tm_hour == c->hour &&
	       a->tm_min == c->min && a->tm_sec == c->sec;
}

/*
 * Local civil time to an instant.  Tries both DST flags and keeps those
 * that read back as the same wall-clock time; the earlier wins.  When none
 * does (a gap) and gap_ok is set, the normalised instant after the gap is
 * taken if it is still the same day (used for midnight of a day whose
 * midnight was skipped).
 */
static bool local_to_instant(const struct civil *c, bool gap_ok, int64_t *out)
{
	bool found = false;
	int64_t best = 0;

	for (int dst = 0; dst <= 1; dst++) {
		struct tm tm = { 0 }, back;
		time_t t;

		tm.tm_year = c->year - 1900;
		tm.tm_mon = c->mon - 1;
		tm.tm_mday = c->day;
		tm.tm_hour = c->hour;
		tm.tm_min = c->min;
		tm.tm_sec = c->sec;
		tm.tm_isdst = dst;
		t = mktime(&tm);
		if (localtime_r(&t, &back) == NULL || !same_fields(&back, c))
			continue;
		if (!found || (int64_t)t < best)
			best = (int64_t)t;
		found = true;
	}
	if (!found && gap_ok) {
		struct tm tm = { 0 }, back;
		time_t t;

		tm.tm_year = c->year - 1900;
		tm.tm_mon = c->mon - 1;
		tm.tm_mday = c->day;
		tm.tm_isdst = -1;
		t = mktime(&tm);
		if (localtime_r(&t, &back) != NULL && back.tm_year == tm.tm_year &&
		    back.tm_mon == c->mon - 1 && back.tm_mday == c->day) {
			best = (int64_t)t;
			found = true;
		}
	}
	if (found)
		*out = best;
	return found;
}

static void next_day(struct civil *c)
{
	if (++c->day > month_days(c->year, c->mon)) {
		c->day = 1;
		if (++c->mon > 12) {
			c->mon = 1;
			c->year++;
		}
	}
}

smp_status smp_time_parse(const char *text, smp_time_edge edge, int64_t *out)
{
	struct civil c;
	int64_t t;
	bool date_only;

	if (text == NULL || out == NULL)
		return SMP_ERR_ARG;
	if (!parse_civil(text, &c))
		return SMP_ERR_TIME;
	date_only = !c.has_time;
	if (date_only && edge == SMP_TIME_END)
		next_day(&c);
	if (c.has_offset) {
		t = days_from_civil(c.year, c.mon, c.day) * 86400 +
		    c.hour * 3600 + c.min * 60 + c.sec - c.offset;
	} else if (!local_to_instant(&c, date_only, &t)) {
		return SMP_ERR_TIME;
	}
	if (!date_only && edge == SMP_TIME_END)
		t += 1;
	*out = t;
	return SMP_OK;
}

static char *put2(char *p, long v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
	return p + 2;
}

char *smp_time_format(int64_t t, char *buf, size_t size)
{
	struct tm tm;
	time_t tt = (time_t)t;
	long off, aoff;
	int y;
	char *p;

	if (buf == NULL || (int64_t)tt != t || localtime_r(&tt, &tm) == NULL)
		return NULL;
	y = tm.tm_year + 1900;
	if (y < 1 || y > 9999)
		return NULL;
	off = tm.tm_gmtoff;
	aoff = off < 0 ? -off : off;
	if (aoff / 3600 > 99 || size < 26)
		return NULL;   /* what snprintf would not have fitted either */
	/* "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld", without snprintf */
	p = put2(put2(buf, y / 100), y % 100);
	*p++ = '-';
	p = put2(p, tm.tm_mon + 1);
	*p++ = '-';
	p = put2(p, tm.tm_mday);
	*p++ = 'T';
	p = put2(p, tm.tm_hour);
	*p++ = ':';
	p = put2(p, tm.tm_min);
	*p++ = ':';
	p = put2(p, tm.tm_sec);
	*p++ = off < 0 ? '-' : '+';
	p = put2(p, aoff / 3600);
	*p++ = ':';
	p = put2(p, aoff % 3600 / 60);
	*p = '\0';
	return buf;
}

int64_t time_add_days(int64_t t, int days)
{
	struct tm tm;
	time_t tt = (time_t)t, r;

	if (localtime_r(&tt, &tm) == NULL)
		return t + (int64_t)days * 86400;
	tm.tm_mday += days;
	tm.tm_isdst = -1;
	r = mktime(&tm);
	if (r == (time_t)-1 && tm.tm_year + 1900 != 1969)
		return t + (int64_t)days * 86400;
	return (int64_t)r;
}

/* ---- the loader's memo of local days ---------------------------------- */

struct time_memo_day {
	int64_t day;          /* days_from_civil + 1; 0: empty slot */
	bool uniform;         /* one UTC offset from its midnight to the next */
	long off;             /* that offset, seconds east */
};

static bool reads_as(int64_t t, int y, int mon, int d, int h, int mi, int sec, long *off)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if ((int64_t)tt != t || localtime_r(&tt, &tm) == NULL)
		return false;
	*off = tm.tm_gmtoff;
	return tm.tm_year == y - 1900 && tm.tm_mon == mon - 1 && tm.tm_mday == d &&
	       tm.tm_hour == h && tm.tm_min == mi && tm.tm_sec == sec;
}

/*
 * Whether the local day of c has one UTC offset throughout: its midnight
 * exists, the second before it is 23:59:59 of the day before, and the
 * offset is the same then, at midnight, at noon, at 23:59:59 and at the
 * next midnight, 86400 s later.  On such a day every civil time exists
 * once, at (civil time read as UTC) - offset, which is what
 * local_to_instant finds for it.  (Two offset changes cancelling out
 * within half a day would escape this test; no zone has them.)  One
 * mktime per day, instead of two per time.
 */
static void probe_day(const struct civil *c, struct time_memo_day *e)
{
	struct tm tm = { 0 };
	struct civil prev = *c, next = *c;
	time_t m0;
	long o1, o2, o3, o4, o5;

	e->uniform = false;
	tm.tm_year = c->year - 1900;
	tm.tm_mon = c->mon - 1;
	tm.tm_mday = c->day;
	tm.tm_isdst = -1;
	m0 = mktime(&tm);
	next_day(&next);
	if (--prev.day == 0) {
		if (--prev.mon == 0) {
			prev.mon = 12;
			prev.year--;
		}
		prev.day = month_days(prev.year, prev.mon);
	}
	if (prev.year < 1 ||
	    !reads_as((int64_t)m0 - 1, prev.year, prev.mon, prev.day, 23, 59, 59, &o1) ||
	    !reads_as((int64_t)m0, c->year, c->mon, c->day, 0, 0, 0, &o2) ||
	    !reads_as((int64_t)m0 + 43200, c->year, c->mon, c->day, 12, 0, 0, &o3) ||
	    !reads_as((int64_t)m0 + 86399, c->year, c->mon, c->day, 23, 59, 59, &o4) ||
	    !reads_as((int64_t)m0 + 86400, next.year, next.mon, next.day, 0, 0, 0, &o5))
		return;
	if (o1 != o2 || o2 != o3 || o3 != o4 || o4 != o5)
		return;
	e->uniform = true;
	e->off = o2;
}

static size_t memo_hash(int64_t key, size_t mask)
{
	return (size_t)((uint64_t)key * 0x9E3779B97F4A7C15ull >> 20) & mask;
}

static struct time_memo_day *memo_day(struct time_memo *m, const struct civil *c, int64_t day)
{
	size_t i;

	if (m->n * 2 >= m->mask) {   /* grow: keep the table at most half full */
		size_t size = m->mask ? (m->mask + 1) * 2 : 1024;
		struct time_memo_day *ns = calloc(size, sizeof(*ns));

		if (ns == NULL)
			return NULL;
		for (size_t k = 0; m->slot != NULL && k <= m->mask; k++) {
			if (m->slot[k].day == 0)
				continue;
			for (i = memo_hash(m->slot[k].day, size - 1); ns[i].day != 0;
			     i = (i + 1) & (size - 1))
				;
			ns[i] = m->slot[k];
		}
		free(m->slot);
		m->slot = ns;
		m->mask = size - 1;
	}
	for (i = memo_hash(day + 1, m->mask); m->slot[i].day != 0; i = (i + 1) & m->mask)
		if (m->slot[i].day == day + 1)
			return &m->slot[i];
	m->slot[i].day = day + 1;
	m->n++;
	probe_day(c, &m->slot[i]);
	return &m->slot[i];
}

smp_status time_parse_memo(struct time_memo *m, const char *text, smp_time_edge edge,
                           int64_t *out)
{
	struct civil c;
	struct time_memo_day *e;
	int64_t day, t;
	bool date_only;

	if (text == NULL || out == NULL)
		return SMP_ERR_ARG;
	if (!parse_civil(text, &c))
		return SMP_ERR_TIME;
	if (c.has_offset)
		return smp_time_parse(text, edge, out);
	date_only = !c.has_time;
	if (date_only && edge == SMP_TIME_END)
		next_day(&c);
	day = days_from_civil(c.year, c.mon, c.day);
	e = memo_day(m, &c, day);
	if (e == NULL || !e->uniform)
		return smp_time_parse(text, edge, out);   /* a day with an offset change */
	t = day * 86400 + c.hour * 3600 + c.min * 60 + c.sec - e->off;
	if (!date_only && edge == SMP_TIME_END)
		t += 1;
	*out = t;
	return SMP_OK;
}

void time_memo_free(struct time_memo *m)
{
	free(m->slot);
	m->slot = NULL;
	m->mask = m->n = 0;
}
