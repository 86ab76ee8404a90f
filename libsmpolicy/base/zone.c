/*
 * zone.c - a time zone of the tz database read from its TZif file (RFC
 * 8536) by the library itself, so that settings.time_zone gives every
 * host the same local time whatever the process's TZ: the library never
 * calls tzset(), setenv("TZ") or setlocale().  The file's transitions,
 * then its footer's POSIX TZ rule for the times after the last of them.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ZONE_DIR "/usr/share/zoneinfo"
#define ZONE_MAX_FILE (256u * 1024u)
#define ZONE_MAX_NAME 128

/* A date rule of a POSIX TZ string: Jn, n or Mm.w.d, and its time. */
struct zrule {
	char kind;             /* 'J', 'D' (plain n) or 'M' */
	int n, m, w, d;
	int32_t time;          /* seconds after local midnight (may be < 0, > 24 h) */
};

struct tz {
	int64_t *trans;        /* ntrans transition times, rising */
	uint8_t *idx;          /* the type of each */
	size_t ntrans;
	int32_t *offs;         /* each type's UTC offset, seconds east */
	size_t ntypes;
	bool has_rule;         /* a footer rule for the times after the last */
	int32_t std_off, dst_off;
	bool has_dst;
	struct zrule start, end;
};

bool zone_name_ok(const char *name)
{
	size_t n = name != NULL ? strlen(name) : 0;

	if (n == 0 || n > ZONE_MAX_NAME || name[0] == '/' || strstr(name, "..") != NULL)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '/' || c == '_' || c == '-' || c == '+'))
			return false;
	}
	return name[n - 1] != '/';
}

static int64_t be(const unsigned char *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	if (n == 4)
		return (int32_t)(uint32_t)v;
	return (int64_t)v;
}

/* ---- the POSIX TZ footer ------------------------------------------------- */

static bool tz_num(const char **s, int lo, int hi, int *out)
{
	int v = 0, k = 0;

	while (**s >= '0' && **s <= '9' && k < 4) {
		v = v * 10 + (*(*s)++ - '0');
		k++;
	}
	*out = v;
	return k > 0 && v >= lo && v <= hi;
}

/* [+-]hh[:mm[:ss]], hours up to 167 (RFC 8536's extension). */
static bool tz_hms(const char **s, int32_t *out)
{
	int sign = 1, h, m = 0, sec = 0;

	if (**s == '+' || **s == '-')
		sign = *(*s)++ == '-' ? -1 : 1;
	if (!tz_num(s, 0, 167, &h))
		return false;
	if (**s == ':') {
		(*s)++;
		if (!tz_num(s, 0, 59, &m))
			return false;
		if (**s == ':') {
			(*s)++;
			if (!tz_num(s, 0, 59, &sec))
				return false;
		}
	}
	*out = sign * (h * 3600 + m * 60 + sec);
	return true;
}

static bool tz_name(const char **s)
{
	const char *p = *s;

	if (*p == '<') {
		while (*p != '\0' && *p != '>')
			p++;
		if (*p != '>' || p - *s < 4)
			return false;
		*s = p + 1;
		return true;
	}
	while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
		p++;
	if (p - *s < 3)
		return false;
	*s = p;
	return true;
}

static bool tz_date(const char **s, struct zrule *r)
{
	r->time = 7200;
	if (**s == 'M') {
		(*s)++;
		r->kind = 'M';
		if (!tz_num(s, 1, 12, &r->m) || *(*s)++ != '.' || !tz_num(s, 1, 5, &r->w) ||
		    *(*s)++ != '.' || !tz_num(s, 0, 6, &r->d))
			return false;
	} else if (**s == 'J') {
		(*s)++;
		r->kind = 'J';
		if (!tz_num(s, 1, 365, &r->n))
			return false;
	} else {
		r->kind = 'D';
		if (!tz_num(s, 0, 365, &r->n))
			return false;
	}
	if (**s == '/') {
		(*s)++;
		return tz_hms(s, &r->time);
	}
	return true;
}

static bool parse_footer(struct tz *z, const char *s)
{
	int32_t off;

	if (*s == '\0')
		return true;   /* none: the last transition's type holds */
	if (!tz_name(&s) || !tz_hms(&s, &off) || off < -25 * 3600 || off > 25 * 3600)
		return false;
	z->std_off = -off;   /* POSIX counts west */
	z->has_rule = true;
	if (*s == '\0')
		return true;
	if (!tz_name(&s))
		return false;
	z->dst_off = z->std_off + 3600;
	if (*s != ',' && *s != '\0') {
		if (!tz_hms(&s, &off) || off < -25 * 3600 || off > 25 * 3600)
			return false;
		z->dst_off = -off;
	}
	if (*s++ != ',' || !tz_date(&s, &z->start) || *s++ != ',' || !tz_date(&s, &z->end))
		return false;
	z->has_dst = true;
	return *s == '\0';
}

static bool leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days since 1970-01-01 of y-m-d (Hinnant's days_from_civil). */
static int64_t days_of(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;

	return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

/* The day (since 1970) rule r falls on in year y. */
static int64_t rule_day(int64_t y, const struct zrule *r)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int64_t jan1 = days_of(y, 1, 1), first, day;
	int len;

	if (r->kind == 'J')   /* 1..365, February 29 never counted */
		return jan1 + r->n - 1 + (leap(y) && r->n >= 60);
	if (r->kind == 'D')
		return jan1 + r->n;
	first = days_of(y, r->m, 1);
	/* 1970-01-01 was a Thursday (4) */
	day = first + ((r->d - (((first % 7) + 7 + 4) % 7)) + 7) % 7;
	len = mdays[r->m - 1] + (r->m == 2 && leap(y));
	day += (int64_t)(r->w - 1) * 7;
	while (day >= first + len)
		day -= 7;
	return day;
}

/* The footer rule's offset at t. */
static int32_t rule_offset(const struct tz *z, int64_t t)
{
	int64_t y, days = (t + z->std_off) / 86400 - ((t + z->std_off) % 86400 < 0);
	int64_t yoe, era, doe;

	if (!z->has_dst)
		return z->std_off;
	/* the civil year of the local standard time at t */
	days += 719468;
	era = (days >= 0 ? days : days - 146096) / 146097;
	doe = days - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	{
		int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
		int64_t mp = (5 * doy + 2) / 153;

		y += (mp + (mp < 10 ? 3 : -9)) <= 2;
	}
	for (int64_t yy = y - 1; yy <= y + 1; yy++) {
		/* the year's DST period, in UTC; and the years beside it, for a
		 * rule whose period crosses the new year (the southern zones) */
		int64_t s = rule_day(yy, &z->start) * 86400 + z->start.time - z->std_off;
		int64_t e = rule_day(yy, &z->end) * 86400 + z->end.time - z->dst_off;

		if (s < e ? (t >= s && t < e) : false)
			return z->dst_off;
		if (s >= e) {
			int64_t e2 = rule_day(yy + 1, &z->end) * 86400 + z->end.time - z->dst_off;

			if (t >= s && t < e2)
				return z->dst_off;
		}
	}
	return z->std_off;
}

int32_t zone_offset(const struct tz *z, int64_t t)
{
	size_t lo = 0, hi = z->ntrans;

	if (z->ntrans == 0 || t < z->trans[0])
		return z->ntrans == 0 && z->has_rule ? rule_offset(z, t) : z->offs[0];
	if (t >= z->trans[z->ntrans - 1] && z->has_rule)
		return rule_offset(z, t);
	while (hi - lo > 1) {   /* the last transition at or before t */
		size_t mid = lo + (hi - lo) / 2;

		if (z->trans[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return z->offs[z->idx[lo]];
}

/* ---- the file ------------------------------------------------------------ */

static const char *parse_tzif(struct tz *z, struct arena *a, const unsigned char *b, size_t n);

const char *zone_parse(const void *bytes, size_t n, struct arena *a, const struct tz **out)
{
	struct tz *z = arena_alloc(a, sizeof(*z));
	const char *why;

	*out = NULL;
	if (z == NULL)
		return "";
	why = parse_tzif(z, a, bytes, n);
	if (why == NULL)
		*out = z;
	return why;
}

static const char *parse_tzif(struct tz *z, struct arena *a, const unsigned char *b, size_t n)
{
	size_t cnt[6], pos, body;
	int64_t ver;

	if (n < 44 || memcmp(b, "TZif", 4) != 0)
		return "not a TZif file";
	ver = b[4];
	if (ver < '2')
		return "a TZif file of version 1 (64-bit times are needed)";
	/* skip the version 1 block */
	for (int i = 0; i < 6; i++)
		cnt[i] = (size_t)(uint32_t)be(b + 20 + 4 * i, 4);
	body = cnt[3] * 5 + cnt[4] * 6 + cnt[5] + cnt[2] * 8 + cnt[1] + cnt[0];
	pos = 44 + body;
	if (pos + 44 > n || memcmp(b + pos, "TZif", 4) != 0)
		return "a TZif file cut short";
	for (int i = 0; i < 6; i++)
		cnt[i] = (size_t)(uint32_t)be(b + pos + 20 + 4 * i, 4);
	pos += 44;
	if (cnt[4] == 0 || cnt[4] > 256 || cnt[3] > 100000 ||
	    pos + cnt[3] * 9 + cnt[4] * 6 + cnt[5] + cnt[2] * 12 + cnt[1] + cnt[0] > n)
		return "a TZif file cut short";
	z->ntrans = cnt[3];
	z->ntypes = cnt[4];
	z->trans = arena_alloc(a, (z->ntrans + 1) * sizeof(*z->trans));
	z->idx = arena_alloc(a, z->ntrans + 1);
	z->offs = arena_alloc(a, z->ntypes * sizeof(*z->offs));
	if (z->trans == NULL || z->idx == NULL || z->offs == NULL)
		return "";
	for (size_t i = 0; i < z->ntrans; i++) {
		z->trans[i] = be(b + pos + 8 * i, 8);
		if (i > 0 && z->trans[i] <= z->trans[i - 1])
			return "transitions out of order";
	}
	pos += 8 * z->ntrans;
	for (size_t i = 0; i < z->ntrans; i++) {
		z->idx[i] = b[pos + i];
		if (z->idx[i] >= z->ntypes)
			return "a transition to a type that is not there";
	}
	pos += z->ntrans;
	for (size_t i = 0; i < z->ntypes; i++) {
		int64_t off = be(b + pos + 6 * i, 4);

		if (off < -25 * 3600 || off > 26 * 3600)
			return "an offset out of range";
		z->offs[i] = (int32_t)off;
	}
	pos += 6 * z->ntypes + cnt[5] + cnt[2] * 12 + cnt[1] + cnt[0];
	/* the footer: "\nRULE\n" */
	if (pos < n) {
		char rule[128];
		const unsigned char *end;

		if (b[pos] != '\n' || (end = memchr(b + pos + 1, '\n', n - pos - 1)) == NULL ||
		    (size_t)(end - b - pos - 1) >= sizeof(rule))
			return "a footer that is not a TZ rule";
		memcpy(rule, b + pos + 1, (size_t)(end - b - pos - 1));
		rule[end - b - pos - 1] = '\0';
		if (!parse_footer(z, rule))
			return "a footer rule that cannot be read";
	}
	return NULL;
}

smp_status zone_load(const char *name, struct arena *a, const struct tz **out, char *why,
                     size_t nwhy)
{
	char path[sizeof(ZONE_DIR) + ZONE_MAX_NAME + 2];
	unsigned char *buf = NULL;
	struct stat st;
	struct tz *z;
	const char *fault = NULL;
	ssize_t got = 0;
	int fd;

	*out = NULL;
	if (!zone_name_ok(name)) {
		snprintf(why, nwhy, "'%s' is not a time zone name of the tz database "
		         "(such as America/New_York)", name != NULL ? name : "");
		return SMP_ERR_PARSE;
	}
	snprintf(path, sizeof(path), "%s/%s", ZONE_DIR, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, nwhy, "time zone '%s': cannot read %s: %s", name, path, strerror(errno));
		return errno == ENOMEM ? SMP_ERR_NOMEM : SMP_ERR_PARSE;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > ZONE_MAX_FILE ||
	    (st.st_mode & 022) != 0 || st.st_uid != 0) {
		close(fd);
		snprintf(why, nwhy, "time zone '%s': %s is not a root-owned file of the tz "
		         "database that only root may write", name, path);
		return SMP_ERR_PARSE;
	}
	buf = malloc((size_t)st.st_size + 1);
	z = arena_alloc(a, sizeof(*z));
	if (buf == NULL || z == NULL) {
		free(buf);
		close(fd);
		return SMP_ERR_NOMEM;
	}
	while (got < st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)(st.st_size - got));

		if (r <= 0)
			break;
		got += r;
	}
	close(fd);
	if (got != st.st_size)
		fault = "the file changed while it was read";
	else
		fault = parse_tzif(z, a, buf, (size_t)got);
	free(buf);
	if (fault != NULL && fault[0] == '\0')
		return SMP_ERR_NOMEM;
	if (fault != NULL) {
		snprintf(why, nwhy, "time zone '%s': %s: %s", name, path, fault);
		return SMP_ERR_PARSE;
	}
	*out = z;
	return SMP_OK;
}
