/*
 * time.c - the time formats of smpolicy.conf(5), read without touching the
 * process's time zone or locale (localtime_r reads the zone as it is).
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

/* Its inverse (Hinnant's civil_from_days). */
static void civil_from_days(int64_t z, struct civil *c)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;

	c->day = (int)(doy - (153 * mp + 2) / 5 + 1);
	c->mon = (int)(mp < 10 ? mp + 3 : mp - 9);
	c->year = (int)(yoe + era * 400 + (c->mon <= 2));
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

/* c read as if it were UTC */
static int64_t civil_seconds(const struct civil *c)
{
	return days_from_civil(c->year, c->mon, c->day) * 86400 + c->hour * 3600 +
	       c->min * 60 + c->sec;
}

/* The fields of tm read as if they were UTC. */
static int64_t tm_seconds(const struct tm *tm)
{
	return days_from_civil(tm->tm_year + 1900LL, tm->tm_mon + 1, tm->tm_mday) * 86400 +
	       tm->tm_hour * 3600 + tm->tm_min * 60 + tm->tm_sec;
}

static size_t log_slot(const struct time_log *log, int64_t t)
{
	size_t i = (size_t)((uint64_t)t * 0x9E3779B97F4A7C15ull >> 32) & log->mask;

	while (log->index[i] != 0 && log->v[log->index[i] - 1].t != t)
		i = (i + 1) & log->mask;
	return i;
}

/* Write down the zone's answer at t, once per t: a load asks about the
 * same instants again and again (each day's neighbours), and keeping
 * them in the order asked spares a sort. */
static void log_answer(struct time_log *log, int64_t t, bool ok, const struct tm *tm)
{
	size_t i;

	if (log->oom)
		return;
	if (log->n * 2 >= log->mask) {   /* keep the index at most half full */
		size_t size = log->mask ? (log->mask + 1) * 2 : 1024;
		uint32_t *ni = calloc(size, sizeof(*ni));
		struct zone_obs *nv = realloc(log->v, size / 2 * sizeof(*nv));

		if (ni == NULL || nv == NULL || size / 2 >= UINT32_MAX) {
			free(ni);
			if (nv != NULL)
				log->v = nv;
			log->oom = true;
			return;
		}
		free(log->index);
		log->index = ni;
		log->v = nv;
		log->mask = size - 1;
		log->cap = size / 2;
		for (size_t k = 0; k < log->n; k++)
			log->index[log_slot(log, log->v[k].t)] = (uint32_t)k + 1;
	}
	i = log_slot(log, t);
	if (log->index[i] != 0)
		return;
	log->v[log->n] = (struct zone_obs){ t, ok ? tm_seconds(tm) : INT64_MIN,
	                                    ok ? tm->tm_gmtoff : 0 };
	log->index[i] = (uint32_t)++log->n;
}

/* The local time at t, or false if t does not fit a time_t or the zone
 * cannot say.  Every answer the zone gives is written to log, if any. */
static bool local_tm(struct time_log *log, int64_t t, struct tm *tm)
{
	time_t tt = (time_t)t;
	bool ok;

	if (log != NULL && log->tz != NULL && (t < -((int64_t)1 << 40) || t > (int64_t)1 << 40)) {
		/* beyond any year of the records (SMP_TIME_MAX: no end) */
		memset(tm, 0, sizeof(*tm));
		ok = false;
	} else if (log != NULL && log->tz != NULL) {
		/* the configured zone, whatever the process's TZ */
		int32_t off = zone_offset(log->tz, t);
		struct civil c;
		int64_t local = t + off, day = local / 86400 - (local % 86400 < 0);
		int64_t sec = local - day * 86400;

		civil_from_days(day, &c);
		memset(tm, 0, sizeof(*tm));
		tm->tm_year = c.year - 1900;
		tm->tm_mon = c.mon - 1;
		tm->tm_mday = c.day;
		tm->tm_hour = (int)(sec / 3600);
		tm->tm_min = (int)(sec / 60 % 60);
		tm->tm_sec = (int)(sec % 60);
		tm->tm_gmtoff = off;
		ok = c.year >= -100000 && c.year <= 100000;
	} else {
		ok = (int64_t)tt == t && localtime_r(&tt, tm) != NULL;
	}
	if (log != NULL && !log->quiet)
		log_answer(log, t, ok, tm);
	return ok;
}

/* The UTC offset at t, seconds east, or false. */
static bool offset_at(struct time_log *log, int64_t t, long *off)
{
	struct tm tm;

	if (!local_tm(log, t, &tm))
		return false;
	*off = tm.tm_gmtoff;
	return true;
}

static bool reads_civil(struct time_log *log, int64_t t, const struct civil *c)
{
	struct tm tm;

	return local_tm(log, t, &tm) && same_fields(&tm, c);
}

/*
 * Local civil time to an instant, with localtime_r() alone (glibc's
 * mktime() calls tzset(), which stats the zone file each time, and in a
 * repeated hour whose two offsets have the same DST flag, as in Caracas on
 * 2007-12-09, it returns either instant depending on its earlier calls).
 * Every UTC offset in effect within a day of c is tried (u - offset must
 * read back as c); the earlier instant wins.  When none does (a gap), the
 * first instant after it is taken if gap says so: GAP_SAME_DAY if it is
 * still the same day (the start of a day whose midnight was skipped),
 * GAP_ANY whatever day it is (the end of a day: the next day's midnight,
 * or the first instant after it when that day was skipped, as in Apia,
 * which went from 2011-12-29 to 2011-12-31).
 */
enum gap { GAP_NONE, GAP_SAME_DAY, GAP_ANY };

static bool local_to_instant(struct time_log *log, const struct civil *c, enum gap gap,
                             int64_t *out)
{
	int64_t u = civil_seconds(c), best = 0;
	long offs[5], last = 0;
	int n = 0;
	bool found = false, have_last = false;

	/* the offsets a day before and after, and those met by two steps of
	 * the fixed-point search from u (the offset at u, then at u minus
	 * it), cover any single offset change near c */
	for (int k = 0; k < 5; k++) {
		long o;
		int64_t at = k == 0 ? u - 86400 : k == 1 ? u + 86400 : k == 2 ? u : u - last;
		bool dup = false;

		if (k >= 3 && !have_last)
			break;
		if (!offset_at(log, at, &o))
			continue;
		if (k >= 2) {
			last = o;
			have_last = true;
		}
		for (int j = 0; j < n; j++)
			dup = dup || offs[j] == o;
		if (!dup)
			offs[n++] = o;
	}
	for (int j = 0; j < n; j++) {
		if (reads_civil(log, u - offs[j], c) && (!found || u - offs[j] < best)) {
			best = u - offs[j];
			found = true;
		}
	}
	if (!found && gap != GAP_NONE) {
		/* the first instant whose local time is c or later: between
		 * u - 26 h (local time below c for any offset) and u + 26 h */
		int64_t lo = u - 26 * 3600, hi = u + 26 * 3600;
		struct tm tm;

		while (hi - lo > 1) {
			int64_t mid = lo + (hi - lo) / 2;
			struct civil r = { 0 };

			if (!local_tm(log, mid, &tm))
				return false;
			r.year = tm.tm_year + 1900;
			r.mon = tm.tm_mon + 1;
			r.day = tm.tm_mday;
			r.hour = tm.tm_hour;
			r.min = tm.tm_min;
			r.sec = tm.tm_sec;
			if (civil_seconds(&r) >= u)
				hi = mid;
			else
				lo = mid;
		}
		if (local_tm(log, hi, &tm) &&
		    (gap == GAP_ANY || (tm.tm_year == c->year - 1900 && tm.tm_mon == c->mon - 1 &&
		                        tm.tm_mday == c->day))) {
			best = hi;
			found = true;
		}
	}
	if (found)
		*out = best;
	return found;
}

/*
 * The instant at which the local clock reads c and its UTC offset, when
 * the offset is the same there and a day before and after: the common
 * case, in two or three localtime_r() calls; false otherwise (the callers
 * then ask local_to_instant()).  (Two offset changes cancelling out
 * within a day would escape the check; no zone has them.)
 */
static bool local_find(struct time_log *log, const struct civil *c, int64_t *out, long *off)
{
	int64_t u = civil_seconds(c), t = u;

	for (int step = 0; step < 3; step++) {
		struct tm tm;
		long before, after;

		if (!local_tm(log, t, &tm))
			return false;
		if (!same_fields(&tm, c)) {
			t = u - tm.tm_gmtoff;   /* read as if the offset held there */
			continue;
		}
		if (!offset_at(log, t - 86400, &before) || !offset_at(log, t + 86400, &after) ||
		    before != tm.tm_gmtoff || after != tm.tm_gmtoff)
			return false;
		*out = t;
		*off = tm.tm_gmtoff;
		return true;
	}
	return false;
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

static smp_status time_parse_log(struct time_log *log, const char *text, smp_time_edge edge,
                                 int64_t *out)
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
	} else if (!local_to_instant(log, &c, !date_only ? GAP_NONE
	                                     : edge == SMP_TIME_END ? GAP_ANY : GAP_SAME_DAY, &t)) {
		return SMP_ERR_TIME;
	}
	if (!date_only && edge == SMP_TIME_END)
		t += 1;
	*out = t;
	return SMP_OK;
}

smp_status smp_time_parse(const char *text, smp_time_edge edge, int64_t *out)
{
	return time_parse_log(NULL, text, edge, out);
}

smp_status time_parse_tz(const struct tz *tz, const char *text, smp_time_edge edge,
                         int64_t *out)
{
	struct time_log in = { .tz = tz, .quiet = true };

	return time_parse_log(tz != NULL ? &in : NULL, text, edge, out);
}

static char *put2(char *p, long v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
	return p + 2;
}

char *smp_time_format(int64_t t, char *buf, size_t size)
{
	return time_format_tz(NULL, t, buf, size);
}

char *time_format_tz(const struct tz *tz, int64_t t, char *buf, size_t size)
{
	struct time_log in = { .tz = tz, .quiet = true };
	struct tm tm;
	long off, aoff;
	int y;
	char *p;

	if (buf == NULL || !local_tm(tz != NULL ? &in : NULL, t, &tm))
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

int64_t time_add_days(int64_t t, int days, struct time_log *log)
{
	struct tm tm;
	struct civil c = { 0 };
	int64_t found;
	long off;

	if (!local_tm(log, t, &tm))
		return t + (int64_t)days * 86400;
	civil_from_days(days_from_civil(tm.tm_year + 1900LL, tm.tm_mon + 1, tm.tm_mday) + days, &c);
	c.hour = tm.tm_hour;
	c.min = tm.tm_min;
	c.sec = tm.tm_sec;
	if (c.year < 1 || c.year > 9999)
		return t + (int64_t)days * 86400;
	/* the same clock time, days later (the earlier of two in a repeated
	 * hour) */
	if (local_find(log, &c, &found, &off) || local_to_instant(log, &c, GAP_NONE, &found))
		return found;
	/* in a gap: that clock time read with the offset before the gap, as
	 * mktime() reads it (02:30 on a spring-forward day is 03:30) */
	if (offset_at(log, civil_seconds(&c) - 86400, &off))
		return civil_seconds(&c) - off;
	return t + (int64_t)days * 86400;
}

/* ---- the loader's memo of local days ---------------------------------- */

struct time_memo_day {
	int64_t day;          /* days_from_civil + 1; 0: empty slot */
	bool uniform;         /* one UTC offset from its midnight to the next */
	long off;             /* that offset, seconds east */
};

/*
 * Whether the local day of c has one UTC offset throughout: its midnight
 * exists, with the same offset a day before and after it and at its noon.
 * On such a day every civil time exists once, at (civil time read as UTC)
 * - offset, which is what local_to_instant() finds for it.  (Two offset
 * changes cancelling out within half a day would escape this test; no
 * zone has them.)  Three or four localtime_r() calls per day, instead of
 * a dozen per time.
 */
static void probe_day(struct time_log *log, const struct civil *c, struct time_memo_day *e)
{
	struct civil midnight = *c;
	int64_t m0;
	long off, noon;

	e->uniform = false;
	midnight.hour = midnight.min = midnight.sec = 0;
	if (!local_find(log, &midnight, &m0, &off) || !offset_at(log, m0 + 43200, &noon) ||
	    noon != off)
		return;   /* near an offset change: read each time exactly */
	e->uniform = true;
	e->off = off;
}

static size_t memo_hash(int64_t key, size_t mask)
{
	return (size_t)((uint64_t)key * 0x9E3779B97F4A7C15ull >> 20) & mask;
}

static struct time_memo_day *memo_day(struct time_memo *m, const struct civil *c, int64_t day)
{
	size_t i;

	if (m->n * 2 >= m->mask) {   /* grow: keep the table at most half full */
		size_t size = m->mask ? (m->mask + 1) * 2 : 64;
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
	probe_day(m->log, c, &m->slot[i]);
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
		return time_parse_log(m->log, text, edge, out);
	date_only = !c.has_time;
	if (date_only && edge == SMP_TIME_END)
		next_day(&c);
	day = days_from_civil(c.year, c.mon, c.day);
	e = memo_day(m, &c, day);
	if (e == NULL || !e->uniform)
		return time_parse_log(m->log, text, edge, out);   /* a day with an offset change */
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

/* ---- the zone's answers, for the compiled cache ------------------------ */

void time_log_free(struct time_log *log)
{
	free(log->v);
	free(log->index);
	memset(log, 0, sizeof(*log));
}

void time_log_ask(struct time_log *log, int64_t t)
{
	struct tm tm;

	(void)local_tm(log, t, &tm);
}

bool time_log_holds(const struct tz *tz, const struct zone_obs *v, size_t n)
{
	struct time_log in = { .tz = tz, .quiet = true };

	for (size_t i = 0; i < n; i++) {
		struct tm tm;
		bool ok = local_tm(tz != NULL ? &in : NULL, v[i].t, &tm);

		if (ok ? v[i].clock != tm_seconds(&tm) || v[i].gmtoff != tm.tm_gmtoff
		       : v[i].clock != INT64_MIN)
			return false;
	}
	return true;
}
