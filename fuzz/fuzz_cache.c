/*
 * fuzz_cache.c - the compiled cache's reader (cache.c): its header and
 * digest checks, and above all the walk that checks every pointer, string,
 * index, flag, list and id index of an image before anything reads it.
 *
 * At start-up the fixed world (fuzz/world) is loaded and its image built
 * with cache_image(): the seed that inputs mutate, so that the corpus keeps
 * its meaning when the library's layout or build id changes.  Also at
 * start-up, a map of the image's fields is made (every pointer, count,
 * index, flag, enum, time and integer of the policy's struct, its records,
 * their arrays and id indexes, and the first and last byte of every
 * string), which lets a patch name a field rather than guess an offset.
 *
 * Input: a mode byte, then (modes 0 and 1) a list of patches applied to a
 * copy of the world's cache file:
 *   mode % 4 == 0  patches, then the header's digest recomputed over the
 *                  body, so that the walk sees the change;
 *              1   patches, the header as they leave it (digest, size and
 *                  header checks);
 *              2   the rest of the input is the whole file, as it is;
 *              3   the rest of the input is the body, under the world's
 *                  header with its size and digest made to fit.
 * With mode & 4, the bytes are written as the world's cache file and
 * read by smp_policy_load() (read_image, then the freshness checks, which
 * read the image's paths, digests and zone answers), else they go to
 * cache_image_read().
 * A patch is an op byte (op = b & 7, variant = b >> 3) and its operands;
 * F is a field of the map (2 bytes, little-endian, modulo their number),
 * written in the field's width:
 *   0 SET F v[8]     the field := v
 *   1 SPECIAL F k    the field := an edge value (0, 1, NONE, -1, the
 *                    image's size and near it, INT64_MIN/MAX, ...)
 *   2 ADD F d        the field += d - 128
 *   3 COPY F G       the field := field G's value (a pointer moved to
 *                    another field, an index of one kind as another)
 *   4 XOR o[3] m     the byte at o (of the whole file, modulo its size;
 *                    from its end when variant & 1) ^= m
 *   5 WRITE o[3] n b[n % 16 + 1]   bytes at o (from the end: variant & 1)
 *   6 CUT n[3]       the body cut to n % (its size + 1) bytes, rounded
 *                    down to 8 (variant & 2: to any byte); the header's
 *                    size follows unless variant & 4
 *   7 POINT F G      the field := the offset of field G (a pointer into
 *                    the middle of a record or an array)
 *
 * Checked: no crash, no sanitizer report, no leak; a rejected image is
 * explained (why is set); a policy that comes back is used fully (every
 * query, smp_policy_check, a decision for every staff member and platform
 * with the devices and accounts in turn, around every approval's moments,
 * for every device and account, and for ids it does not know) and the
 * decisions keep the promises no data can break (reasons known, in order,
 * with messages; ALLOW exactly when there is none); its own image can be
 * built and read again.  Through the file: a cache that is not used is a
 * miss (the files load), and a rejected one comes with a warning.  At
 * start-up: the world read back from its image answers every one of those
 * questions exactly as the parsed world does (the transcript of answers,
 * compared as text).
 *
 * Field numbers depend on the world and on the map: a change to either
 * gives old inputs another meaning (they stay valid inputs).  The corpus's
 * crash-* files each reproduce a bug fixed in cache.c; remake them then.
 *
 * Environment (replay): SMP_FUZZ_VERBOSE=1 says what became of each
 * input; SMP_FUZZ_FIELDS=1 lists the map; SMP_FUZZ_TRANSCRIPT=FILE writes
 * the world's transcript.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "fuzz_common.h"
#include "internal.h"
#include "policy/policy.h"

#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <time.h>

#ifndef SMP_FUZZ_WORLD
#error "SMP_FUZZ_WORLD must name the folder of the fixed world"
#endif


#define HDR sizeof(struct cache_header)
#define MAX_GROW 4096          /* an input may add this much to the body */
#define MAX_PATCHES 64

enum kind { K_PTR, K_COUNT, K_IDX, K_FLAG, K_ENUM, K_TIME, K_INT, K_BYTE };

struct field {
	uint32_t off;              /* in the body */
	uint8_t width;
	uint8_t kind;
	const char *name;          /* for SMP_FUZZ_FIELDS */
};

static smp_policy *world;          /* parsed */
static char conf_path[PATH_MAX];   /* its settings file, in fuzz_dir() */
static char *good;                 /* the world's cache file */
static size_t good_size;
static char *work;                 /* an input's file: good_size + MAX_GROW */
static struct field *fields;
static size_t nfields, fields_cap;
static bool verbose;               /* SMP_FUZZ_VERBOSE: say what became of each input */

/* ---- the field map ------------------------------------------------------ */

static uint64_t rd(size_t off, size_t width)
{
	uint64_t v = 0;

	if (off + width <= good_size - HDR)
		memcpy(&v, good + HDR + off, width);   /* little-endian */
	return v;
}

static void add_field(enum kind k, uint64_t off, size_t width, const char *name)
{
	if (off + width > good_size - HDR)
		fuzz_fail("field at %llu outside the world's image", (unsigned long long)off);
	if (nfields == fields_cap) {
		fields_cap = fields_cap ? fields_cap * 2 : 1024;
		fields = realloc(fields, fields_cap * sizeof(*fields));
		fuzz_assert(fields != NULL);
	}
	fields[nfields++] = (struct field){ (uint32_t)off, (uint8_t)width, (uint8_t)k, name };
}

#define FLD(k, base, T, m) add_field((k), (base) + offsetof(T, m), sizeof(((T *)0)->m), #T "." #m)

/* A string pointer field: the field, and its string's first and last byte. */
static void add_str(uint64_t off, const char *name)
{
	uint64_t s = rd(off, 8);
	size_t body = good_size - HDR;

	add_field(K_PTR, off, 8, name);
	if (s == 0 || s >= body)
		return;
	add_field(K_BYTE, s, 1, "its first byte");
	add_field(K_BYTE, s + strnlen(good + HDR + s, body - s), 1, "its NUL");
}

#define STR(base, T, m) add_str((base) + offsetof(T, m), #T "." #m)

/* A NULL-terminated list of strings at the pointer field off: the field,
 * each entry with its string, the terminator. */
static void add_strings(uint64_t off, const char *name)
{
	uint64_t v = rd(off, 8), e;

	add_field(K_PTR, off, 8, name);
	if (v == 0)
		return;
	for (e = v; rd(e, 8) != 0; e += 8)
		add_str(e, "a list's string");
	add_field(K_PTR, e, 8, "a list's NULL");
}

/* An array of n uint32_t indexes at the pointer field off. */
static void add_indexes(uint64_t off, size_t n, const char *name)
{
	uint64_t v = rd(off, 8);

	add_field(K_PTR, off, 8, name);
	for (size_t i = 0; v != 0 && i < n; i++)
		add_field(K_IDX, v + 4 * i, 4, "an index of the array");
}

static void add_where(uint64_t base)
{
	STR(base, struct where, file);
	FLD(K_INT, base, struct where, line);
}

static void add_opt_time(uint64_t base)
{
	FLD(K_FLAG, base, struct opt_time, set);
	FLD(K_TIME, base, struct opt_time, t);
}

static void add_idmap(uint64_t base)
{
	uint64_t slot = rd(base + offsetof(struct idmap, slot), 8);
	uint64_t mask = rd(base + offsetof(struct idmap, mask), 8);

	FLD(K_PTR, base, struct idmap, slot);
	FLD(K_COUNT, base, struct idmap, mask);
	for (uint64_t i = 0; slot != 0 && i <= mask; i++) {
		uint64_t s = slot + i * sizeof(struct idslot);
		uint64_t key = rd(s + offsetof(struct idslot, key), 8);

		if (key == 0)
			continue;
		STR(s, struct idslot, key);
		FLD(K_IDX, s, struct idslot, idx);
		FLD(K_INT, s, struct idslot, hash);
		add_field(K_BYTE, s + offsetof(struct idslot, head), 1, "idslot.head[0]");
		add_field(K_BYTE, s + offsetof(struct idslot, head) + 15, 1, "idslot.head[15]");
	}
}

static void map_fields(void)
{
	const size_t P = 0;   /* the policy's struct opens the body */
	uint64_t nplatforms = rd(offsetof(smp_policy, nplatforms), 8);
	uint64_t a, n;

	STR(P, smp_policy, config_path);
	add_strings(P + offsetof(smp_policy, records_paths), "smp_policy.records_paths");
	FLD(K_COUNT, P, smp_policy, nrecords);
	FLD(K_INT, P, smp_policy, set.max_per_office);
	FLD(K_FLAG, P, smp_policy, set.cap_long_term_only);
	FLD(K_INT, P, smp_policy, set.warn_days);
	FLD(K_INT, P, smp_policy, set.long_term_max_days);
	STR(P, smp_policy, set.audit);
	FLD(K_PTR, P, smp_policy, platforms);
	FLD(K_COUNT, P, smp_policy, nplatforms);
	FLD(K_PTR, P, smp_policy, offices);
	FLD(K_COUNT, P, smp_policy, noffices);
	FLD(K_PTR, P, smp_policy, staff);
	FLD(K_COUNT, P, smp_policy, nstaff);
	FLD(K_PTR, P, smp_policy, devices);
	FLD(K_COUNT, P, smp_policy, ndevices);
	FLD(K_PTR, P, smp_policy, accounts);
	FLD(K_COUNT, P, smp_policy, naccounts);
	FLD(K_PTR, P, smp_policy, approvals);
	FLD(K_COUNT, P, smp_policy, napprovals);
	FLD(K_PTR, P, smp_policy, digests);
	a = rd(offsetof(smp_policy, digests), 8);
	n = rd(offsetof(smp_policy, nrecords), 8) + 1;
	for (uint64_t i = 0; a != 0 && i < n; i++) {
		FLD(K_TIME, a + i * sizeof(struct digest), struct digest, lo);
		FLD(K_TIME, a + i * sizeof(struct digest), struct digest, hi);
	}
	FLD(K_PTR, P, smp_policy, zone);
	FLD(K_COUNT, P, smp_policy, nzone);
	a = rd(offsetof(smp_policy, zone), 8);
	n = rd(offsetof(smp_policy, nzone), 8);
	for (uint64_t i = 0; a != 0 && i < n; i++) {
		FLD(K_TIME, a + i * sizeof(struct zone_obs), struct zone_obs, t);
		FLD(K_TIME, a + i * sizeof(struct zone_obs), struct zone_obs, clock);
		FLD(K_TIME, a + i * sizeof(struct zone_obs), struct zone_obs, gmtoff);
	}
	STR(P, smp_policy, cache_path);
	FLD(K_ENUM, P, smp_policy, cache);
	FLD(K_PTR, P, smp_policy, mem);

	a = rd(offsetof(smp_policy, platforms), 8);
	n = nplatforms;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t b = a + i * sizeof(struct platform);

		STR(b, struct platform, id);
		STR(b, struct platform, name);
		add_strings(b + offsetof(struct platform, domains), "platform.domains");
		FLD(K_FLAG, b, struct platform, mobile_only);
		FLD(K_FLAG, b, struct platform, private_messaging);
		add_where(b + offsetof(struct platform, at));
	}
	a = rd(offsetof(smp_policy, offices), 8);
	n = rd(offsetof(smp_policy, noffices), 8);
	for (uint64_t i = 0; i < n; i++) {
		uint64_t b = a + i * sizeof(struct office);

		STR(b, struct office, id);
		STR(b, struct office, name);
		STR(b, struct office, kind);
		add_where(b + offsetof(struct office, at));
		add_indexes(b + offsetof(struct office, approvals),
		            rd(b + offsetof(struct office, napprovals), 8), "office.approvals");
		FLD(K_COUNT, b, struct office, napprovals);
	}
	a = rd(offsetof(smp_policy, staff), 8);
	n = rd(offsetof(smp_policy, nstaff), 8);
	for (uint64_t i = 0; i < n; i++) {
		uint64_t b = a + i * sizeof(struct staff);
		uint64_t start = rd(b + offsetof(struct staff, platform_start), 8);
		uint64_t picks = rd(b + offsetof(struct staff, by_platform), 8);
		uint64_t npicks = rd(start + 4 * nplatforms, 4);

		STR(b, struct staff, id);
		STR(b, struct staff, name);
		FLD(K_IDX, b, struct staff, office);
		FLD(K_INT, b, struct staff, roles);
		FLD(K_IDX, b, struct staff, supervisor);
		add_where(b + offsetof(struct staff, at));
		add_indexes(b + offsetof(struct staff, approvals),
		            rd(b + offsetof(struct staff, napprovals), 8), "staff.approvals");
		FLD(K_COUNT, b, struct staff, napprovals);
		add_indexes(b + offsetof(struct staff, accounts),
		            rd(b + offsetof(struct staff, naccounts), 8), "staff.accounts");
		FLD(K_COUNT, b, struct staff, naccounts);
		add_indexes(b + offsetof(struct staff, platform_start), nplatforms + 1,
		            "staff.platform_start");
		FLD(K_PTR, b, struct staff, by_platform);
		for (uint64_t k = 0; picks != 0 && k < npicks; k++) {
			uint64_t e = picks + k * sizeof(struct pick);

			FLD(K_TIME, e, struct pick, from);
			FLD(K_TIME, e, struct pick, to);
			FLD(K_TIME, e, struct pick, started);
			FLD(K_IDX, e, struct pick, approval);
		}
	}
	a = rd(offsetof(smp_policy, devices), 8);
	n = rd(offsetof(smp_policy, ndevices), 8);
	for (uint64_t i = 0; i < n; i++) {
		uint64_t b = a + i * sizeof(struct device);

		STR(b, struct device, id);
		FLD(K_ENUM, b, struct device, kind);
		FLD(K_FLAG, b, struct device, dcf_owned);
		FLD(K_IDX, b, struct device, office);
		add_indexes(b + offsetof(struct device, apps), rd(b + offsetof(struct device, napps), 8),
		            "device.apps");
		FLD(K_COUNT, b, struct device, napps);
		add_where(b + offsetof(struct device, at));
	}
	a = rd(offsetof(smp_policy, accounts), 8);
	n = rd(offsetof(smp_policy, naccounts), 8);
	for (uint64_t i = 0; i < n; i++) {
		uint64_t b = a + i * sizeof(struct account);

		STR(b, struct account, id);
		STR(b, struct account, handle);
		FLD(K_IDX, b, struct account, platform);
		FLD(K_IDX, b, struct account, holder);
		FLD(K_FLAG, b, struct account, official);
		FLD(K_FLAG, b, struct account, personal_info);
		FLD(K_IDX, b, struct account, supervisor);
		add_opt_time(b + offsetof(struct account, password_changed));
		add_opt_time(b + offsetof(struct account, password_escrowed));
		add_opt_time(b + offsetof(struct account, compromised_reported));
		add_opt_time(b + offsetof(struct account, compromised_resolved));
		add_where(b + offsetof(struct account, at));
	}
	a = rd(offsetof(smp_policy, approvals), 8);
	n = rd(offsetof(smp_policy, napprovals), 8);
	for (uint64_t i = 0; i < n; i++) {
		uint64_t b = a + i * sizeof(struct approval);
		uint64_t over = rd(b + offsetof(struct approval, over_cap), 8);
		uint64_t nover = rd(b + offsetof(struct approval, nover_cap), 8);

		STR(b, struct approval, id);
		FLD(K_IDX, b, struct approval, staff);
		FLD(K_ENUM, b, struct approval, kind);
		add_indexes(b + offsetof(struct approval, platforms),
		            rd(b + offsetof(struct approval, nplatforms), 8), "approval.platforms");
		FLD(K_COUNT, b, struct approval, nplatforms);
		add_strings(b + offsetof(struct approval, platform_ids), "approval.platform_ids");
		STR(b, struct approval, ticket);
		FLD(K_IDX, b, struct approval, requested_by);
		add_opt_time(b + offsetof(struct approval, requested));
		for (int k = 0; k < 2; k++) {
			uint64_t so = b + (k ? offsetof(struct approval, it) : offsetof(struct approval, cpp));

			FLD(K_FLAG, so, struct sign_off, present);
			FLD(K_IDX, so, struct sign_off, by);
			FLD(K_TIME, so, struct sign_off, on);
			add_where(so + offsetof(struct sign_off, at));
		}
		add_opt_time(b + offsetof(struct approval, starts));
		add_opt_time(b + offsetof(struct approval, expires));
		FLD(K_FLAG, b, struct approval, revoked.present);
		FLD(K_TIME, b, struct approval, revoked.on);
		FLD(K_IDX, b, struct approval, revoked.by);
		STR(b, struct approval, revoked.reason);
		add_where(b + offsetof(struct approval, at));
		STR(b, struct approval, invalid_why);
		FLD(K_FLAG, b, struct approval, capped);
		FLD(K_TIME, b, struct approval, rank_time);
		FLD(K_TIME, b, struct approval, start);
		FLD(K_TIME, b, struct approval, end);
		FLD(K_FLAG, b, struct approval, capped_at_max);
		FLD(K_TIME, b, struct approval, valid.from);
		FLD(K_TIME, b, struct approval, valid.to);
		FLD(K_PTR, b, struct approval, over_cap);
		FLD(K_COUNT, b, struct approval, nover_cap);
		for (uint64_t k = 0; over != 0 && k < nover; k++) {
			FLD(K_TIME, over + k * sizeof(struct interval), struct interval, from);
			FLD(K_TIME, over + k * sizeof(struct interval), struct interval, to);
		}
	}
	add_idmap(offsetof(smp_policy, platform_ix));
	add_idmap(offsetof(smp_policy, office_ix));
	add_idmap(offsetof(smp_policy, staff_ix));
	add_idmap(offsetof(smp_policy, device_ix));
	add_idmap(offsetof(smp_policy, account_ix));
	add_idmap(offsetof(smp_policy, approval_ix));
}

/* ---- the transcript: every answer a policy gives ------------------------ */

/* Printed when f is set; else only every string is read (for the
 * sanitizers: formatting was most of an input's time). */
struct tx {
	FILE *f;
	size_t n;
};

static void put(struct tx *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct tx *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (t->f != NULL) {
		vfprintf(t->f, fmt, ap);
		va_end(ap);
		return;
	}
	/* the conversions used here: %s %d %u %zu %lld */
	for (const char *c = fmt; *c != '\0'; c++) {
		if (*c != '%')
			continue;
		c++;
		while (*c == 'z' || *c == 'l')
			c++;
		if (c[-1] == 'z')
			t->n += va_arg(ap, size_t);
		else if (c[-1] == 'l')
			t->n += (size_t)va_arg(ap, long long);
		else if (*c == 's')
			t->n += strlen(va_arg(ap, const char *));
		else if (*c == 'd')
			t->n += (size_t)va_arg(ap, int);
		else if (*c == 'u')
			t->n += va_arg(ap, unsigned);
		else
			fuzz_fail("put: the conversion %%%c is not handled", *c);
	}
	va_end(ap);
}

static const char *S(const char *s)
{
	return s != NULL ? s : "(null)";
}

static int64_t add_sat(int64_t t, int64_t d)
{
	if (d > 0 && t > INT64_MAX - d)
		return INT64_MAX;
	if (d < 0 && t < INT64_MIN - d)
		return INT64_MIN;
	return t + d;
}

static const int64_t moments[] = {
	INT64_MIN, -62135596800 /* 0001-01-01Z */, 0, 1748736000 /* 2025-06-01Z */,
	1795651200 /* 2026-11-25Z */, 1795687200, 1812240000 /* 2027-06-05Z */,
	1830297600 /* 2027-12-31Z */, 253402300799 /* 9999-12-31T23:59:59Z */, INT64_MAX,
};
#define NMOMENTS (sizeof(moments) / sizeof(moments[0]))

static void put_approval(struct tx *t, const smp_policy *p, size_t i, int64_t at)
{
	struct smp_approval_info a = { .size = sizeof(a) };
	fuzz_assert(smp_policy_approval(p, i, at, &a) == SMP_OK);
	put(t, "approval %zu at %lld: %s %s %s %s [", i, (long long)at, S(a.id), S(a.staff),
	    S(a.office), S(a.kind));
	fuzz_assert(a.platforms != NULL);
	for (size_t k = 0; a.platforms[k] != NULL; k++)
		put(t, " %s", a.platforms[k]);
	put(t, " ] %s %s:%u %s %d:%lld %d:%lld %d:%lld %d%d %d:%lld\n", S(a.ticket), S(a.file),
	    a.line, S(smp_approval_state_name(a.state)), a.has_start, (long long)a.start,
	    a.has_end, (long long)a.end, a.has_revoked, (long long)a.revoked, a.signed_cpp,
	    a.signed_it, a.has_valid_until, (long long)a.valid_until);
}

static void put_diags(struct tx *t, const char *what, const smp_diags *d)
{
	fuzz_walk_diags(d);
	for (size_t i = 0; i < smp_diags_count(d); i++) {
		const struct smp_diag *g = smp_diags_get(d, i);

		put(t, "%s: %s:%u %d %s: %s\n", what, S(g->file), g->line, g->severity,
		    S(g->subject), g->message);
	}
}

static void decide(struct tx *t, const smp_policy *p, const char *user, const char *platform,
                   const char *device, const char *account, unsigned v, int64_t at)
{
	struct smp_request req;
	smp_decision *d = NULL;
	smp_status st;
	size_t nr, nw;
	int64_t until;

	smp_request_init(&req);
	req.user = user;
	req.platform = platform;
	req.device = device;
	req.account = account;
	req.action = (smp_action)(v % SMP_ACTION__COUNT);
	req.purpose = (smp_purpose)(v / SMP_ACTION__COUNT % SMP_PURPOSE__COUNT);
	req.public_info_sufficient = v % 5 == 1;
	req.other_means_available = v % 7 == 2;
	req.warn_days = v % 3 == 0 ? -1 : v % 3 == 1 ? 0 : 400;
	req.at = at;
	st = smp_decide(p, &req, &d);
	if (st == SMP_ERR_NOMEM) {
		fuzz_assert(d == NULL);
		return;
	}
	fuzz_assert(st == SMP_OK && d != NULL);
	nr = smp_decision_reason_count(d);
	nw = smp_decision_warning_count(d);
	put(t, "decide %s %s %s %s %u %lld: %s %s", user, platform, S(device), S(account), v,
	    (long long)at, smp_decision_allowed(d) ? "ALLOW" : "DENY",
	    S(smp_decision_approval(d)));
	if (smp_decision_valid_until(d, &until))
		put(t, " until %lld", (long long)until);
	put(t, "\n");
	fuzz_assert(smp_decision_allowed(d) == (nr == 0));
	for (size_t i = 0; i < nr; i++) {
		smp_reason r = smp_decision_reason(d, i);

		fuzz_assert((unsigned)r < SMP_R__COUNT);
		fuzz_assert(i == 0 || smp_decision_reason(d, i - 1) < r);
		fuzz_assert(smp_decision_reason_message(d, i) != NULL);
		put(t, "  %s %s\n", smp_reason_code(r), smp_decision_reason_message(d, i));
	}
	fuzz_assert(smp_decision_reason(d, nr) == SMP_R__COUNT);
	for (size_t i = 0; i < nw; i++) {
		smp_warning w = smp_decision_warning(d, i);

		fuzz_assert((unsigned)w < SMP_W__COUNT && smp_decision_allowed(d));
		fuzz_assert(smp_decision_warning_message(d, i) != NULL);
		put(t, "  %s %s\n", smp_warning_code(w), smp_decision_warning_message(d, i));
	}
	smp_decision_free(d);
}

/* A DCF device from which platform pl may be used, else the first one. */
static const char *device_for(const smp_policy *p, uint32_t pl)
{
	for (size_t i = 0; i < p->ndevices; i++) {
		const struct device *dv = &p->devices[i];
		bool app = false;

		for (size_t k = 0; k < dv->napps; k++)
			app |= dv->apps[k] == pl;
		if (dv->dcf_owned && (!p->platforms[pl].mobile_only || (dv->kind == DEV_MOBILE && app)))
			return dv->id;
	}
	return p->ndevices ? p->devices[0].id : "no-such-device";
}

/* Everything a policy answers, into t. */
static void exercise(const smp_policy *p, struct tx *t)
{
	const size_t nu = p->nstaff + 1, np = p->nplatforms + 1;
	smp_diags *cd = NULL;
	const char *ids[4];
	unsigned v = 0;

	put(t, "config %s cache %s records", S(smp_policy_config_path(p)),
	    S(smp_policy_cache_path(p)));
	for (size_t i = 0; i < smp_policy_records_count(p); i++)
		put(t, " %s", S(smp_policy_records_path(p, i)));
	fuzz_assert(smp_policy_records_path(p, smp_policy_records_count(p)) == NULL);
	put(t, " warn %d cap %d audit %s\n", smp_policy_warn_days(p), smp_policy_office_cap(p),
	    p->set.audit);
	for (size_t i = 0; i < smp_policy_office_count(p); i++) {
		struct smp_office_info o = { .size = sizeof(o) };
		fuzz_assert(smp_policy_office(p, i, &o) == SMP_OK);
		put(t, "office %s %s %s\n", o.id, o.name, o.kind);
	}
	fuzz_assert(smp_policy_office(p, smp_policy_office_count(p),
	                             &(struct smp_office_info){ .size = sizeof(struct smp_office_info) }) ==
	            SMP_ERR_NOTFOUND);
	for (size_t i = 0; i < smp_policy_platform_count(p); i++) {
		put(t, "platform %s %s", smp_policy_platform_id(p, i), smp_policy_platform_name(p, i));
		for (char **d = p->platforms[i].domains; d != NULL && *d != NULL; d++)
			put(t, " %s", *d);
		put(t, "\n");
	}
	fuzz_assert(smp_policy_platform_id(p, smp_policy_platform_count(p)) == NULL);

	/* every approval at the fixed moments and at its own */
	for (size_t i = 0; i < smp_policy_approval_count(p); i++) {
		const struct approval *a = &p->approvals[i];
		const int64_t own[] = { a->start, add_sat(a->start, -1), a->end, add_sat(a->end, -1),
		                        a->valid.to, a->revoked.on };

		for (size_t k = 0; k < NMOMENTS; k++)
			put_approval(t, p, i, moments[k]);
		for (size_t k = 0; k < sizeof(own) / sizeof(own[0]); k++)
			put_approval(t, p, i, own[k]);
	}

	/* every staff member's office and accounts on every platform */
	for (size_t u = 0; u < nu; u++) {
		const char *user = u < p->nstaff ? p->staff[u].id : "no-such-user";

		put(t, "staff %s office %s\n", user, S(smp_policy_staff_office(p, user)));
		for (size_t k = 0; k < np; k++) {
			const char *pl = k < p->nplatforms ? p->platforms[k].id : "no-such-platform";
			size_t n = smp_policy_accounts_held(p, user, pl, ids, 4);

			put(t, "held %s %s %zu", user, pl, n);
			for (size_t j = 0; j < n && j < 4; j++)
				put(t, " %s", ids[j]);
			put(t, "\n");
		}
	}

	if (smp_policy_check(p, &cd) == SMP_OK)
		put_diags(t, "check", cd);
	smp_diags_free(cd);

	/* every staff member on every platform, the devices and accounts in
	 * turn, the actions and purposes too */
	for (size_t u = 0; u < nu; u++) {
		const char *user = u < p->nstaff ? p->staff[u].id : "no-such-user";

		for (size_t k = 0; k < np; k++) {
			const char *pl = k < p->nplatforms ? p->platforms[k].id : "no-such-platform";
			size_t dv = (u + k) % (p->ndevices + 1), ac = (3 * u + k) % (p->naccounts + 2);
			const char *device = dv < p->ndevices ? p->devices[dv].id : "no-such-device";
			const char *account = ac < p->naccounts ? p->accounts[ac].id
			                      : ac == p->naccounts ? "no-such-account" : NULL;

			if (smp_policy_accounts_held(p, user, pl, ids, 1) > 0 && (u + k) % 2 == 0)
				account = ids[0];
			decide(t, p, user, pl, device, account, v, moments[(5 * u + k) % NMOMENTS]);
			v++;
		}
	}
	/* around every approval's moments, from a device that may be used */
	for (size_t i = 0; i < p->napprovals; i++) {
		const struct approval *a = &p->approvals[i];
		const int64_t at[] = { a->start, add_sat(a->valid.to, -1), a->valid.to, a->rank_time,
		                       a->nover_cap ? a->over_cap[0].from : 1795651200 };

		for (size_t k = 0; k < a->nplatforms && k < 4; k++)
			for (size_t m = 0; m < sizeof(at) / sizeof(at[0]); m++)
				decide(t, p, p->staff[a->staff].id, p->platforms[a->platforms[k]].id,
				       device_for(p, a->platforms[k]), NULL, 0, at[m]);
	}
	/* every device and every account */
	for (size_t i = 0; i < p->ndevices && p->nstaff > 0 && p->nplatforms > 0; i++)
		decide(t, p, p->staff[i % p->nstaff].id, p->platforms[i % p->nplatforms].id,
		       p->devices[i].id, NULL, v++, 1795651200);
	for (size_t i = 0; i < p->naccounts; i++) {
		const struct account *a = &p->accounts[i];

		for (size_t m = 0; m < 3; m++)
			decide(t, p, p->staff[a->holder].id, p->platforms[a->platform].id,
			       device_for(p, a->platform), a->id, SMP_ACTION_MESSAGE + m,
			       m == 0 ? 1795651200
			              : add_sat(m == 1 ? a->password_changed.t
			                               : a->compromised_reported.t, m - 1));
	}
}

/* Use p fully; its transcript into *text (malloc'd) when text is not NULL. */
static void transcript(const smp_policy *p, char **text)
{
	struct tx t = { NULL, 0 };
	size_t len = 0;

	if (text != NULL) {
		t.f = open_memstream(text, &len);
		fuzz_assert(t.f != NULL);
	}
	exercise(p, &t);
	if (t.f != NULL)
		fclose(t.f);
}

/* ---- start-up ----------------------------------------------------------- */


static void free_all(void)
{
	smp_policy_free(world);
	free(good);
	free(work);
	free(fields);
	world = NULL;
	good = work = NULL;
	fields = NULL;
}

/* The first line where two transcripts part. */
static void report_difference(const char *a, const char *b)
{
	size_t line = 1, i = 0, start = 0;

	for (; a[i] != '\0' && a[i] == b[i]; i++)
		if (a[i] == '\n') {
			line++;
			start = i + 1;
		}
	fprintf(stderr, "line %zu, parsed:  %.*s\n", line, (int)strcspn(a + start, "\n"),
	        a + start);
	fprintf(stderr, "line %zu, from the cache: %.*s\n", line, (int)strcspn(b + start, "\n"),
	        b + start);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct cache_header h;
	struct digest dg;
	smp_policy *back = NULL;
	smp_cache_state state;
	const char *why = NULL;
	char *t1 = NULL, *t2 = NULL;

	(void)argc;
	(void)argv;
	setenv("TZ", "America/New_York", 1);
	tzset();
	world = fuzz_load_world(SMP_LOAD_NO_CACHE, conf_path, sizeof(conf_path));
	atexit(free_all);

	if (cache_image(world, &good, &good_size, &why) != SMP_OK)
		fuzz_fail("the world has no image: %s", S(why));
	fuzz_assert(good_size >= HDR);
	memcpy(&h, good, HDR);
	if (memcmp(h.magic, "SMPCACH\n", 8) != 0 || h.image_size != good_size - HDR)
		fuzz_fail("the world's image has not the header it should");
	digest_of(good + HDR, good_size - HDR, &dg);
	if (dg.lo != h.digest_lo || dg.hi != h.digest_hi)
		fuzz_fail("the header's digest is not digest_of() the body");
	work = malloc(good_size + MAX_GROW);
	fuzz_assert(work != NULL);
	map_fields();

	/* the world read back from its image answers as the parsed world */
	if (cache_image_read(good, good_size, &back, &state, &why) != SMP_OK || back == NULL)
		fuzz_fail("the world's own image is refused: %s", S(why));
	fuzz_assert(state == SMP_CACHE_USED);
	transcript(world, &t1);
	transcript(back, &t2);
	if (strcmp(t1, t2) != 0) {
		report_difference(t1, t2);
		fuzz_fail("the world read back from its image answers otherwise than parsed");
	}
	verbose = getenv("SMP_FUZZ_VERBOSE") != NULL;
	if (verbose)
		fprintf(stderr, "fuzz_cache: image %zu bytes, %zu fields, transcript %zu bytes\n",
		        good_size, nfields, strlen(t1));
	if (getenv("SMP_FUZZ_TRANSCRIPT") != NULL) {
		FILE *f = fopen(getenv("SMP_FUZZ_TRANSCRIPT"), "w");

		fuzz_assert(f != NULL);
		fputs(t1, f);
		fclose(f);
	}
	if (getenv("SMP_FUZZ_FIELDS") != NULL)
		for (size_t i = 0; i < nfields; i++)
			fprintf(stderr, "field %zu: off %u width %u kind %u value %llu %s\n", i,
			        fields[i].off, fields[i].width, fields[i].kind,
			        (unsigned long long)rd(fields[i].off, fields[i].width), fields[i].name);
	free(t1);
	free(t2);
	smp_policy_free(back);
	return 0;
}

/* ---- one input ---------------------------------------------------------- */

struct input {
	const uint8_t *p, *end;
};

static bool take_bytes(struct input *in, void *out, size_t n)
{
	if ((size_t)(in->end - in->p) < n)
		return false;
	memcpy(out, in->p, n);
	in->p += n;
	return true;
}

/* An n-byte little-endian number (n <= 8). */
static bool take(struct input *in, size_t n, uint64_t *v)
{
	*v = 0;
	return take_bytes(in, v, n);
}

static const struct field *field_of(uint64_t sel)
{
	return &fields[sel % nfields];
}

static uint64_t special(uint64_t k, uint64_t body)
{
	static const uint64_t fixed[] = {
		0, 1, 2, 3, 0x7f, 0x80, 0xff, NONE, 0x7fffffff, 0x80000000, 1ull << 32,
		(uint64_t)INT64_MAX, (uint64_t)INT64_MIN, UINT64_MAX, UINT64_MAX / 8 + 1,
		UINT64_MAX / 24 + 1, UINT64_MAX / 40 + 1, (uint64_t)-62135596800,
		253402300800, 16, 15,
	};
	const uint64_t rel[] = { body, body - 1, body - 8, body - 16, body + 8, body / 2 };
	size_t nf = sizeof(fixed) / sizeof(fixed[0]);

	k %= nf + sizeof(rel) / sizeof(rel[0]);
	return k < nf ? fixed[k] : rel[k - nf];
}

static void put_field(char *body, uint64_t body_size, const struct field *f, uint64_t v)
{
	if (f->off + f->width <= body_size)
		memcpy(body + f->off, &v, f->width);
}

static uint64_t get_field(const char *body, uint64_t body_size, const struct field *f)
{
	uint64_t v = 0;

	if (f->off + f->width <= body_size)
		memcpy(&v, body + f->off, f->width);
	return v;
}

/* Apply the patches of in to work (the world's file); returns its size. */
static size_t apply(struct input *in)
{
	size_t size = good_size;
	uint64_t body = good_size - HDR;
	struct cache_header h;
	uint64_t b;

	memcpy(work, good, good_size);
	for (int n = 0; n < MAX_PATCHES && take(in, 1, &b); n++) {
		unsigned op = b & 7, variant = (unsigned)b >> 3;
		uint64_t f = 0, g = 0, v = 0, o = 0, k = 0;
		uint8_t buf[16];

		switch (op) {
		case 0:
			if (!take(in, 2, &f) || !take(in, 8, &v))
				return size;
			put_field(work + HDR, body, field_of(f), v);
			break;
		case 1:
			if (!take(in, 2, &f) || !take(in, 1, &k))
				return size;
			put_field(work + HDR, body, field_of(f), special(k, good_size - HDR));
			break;
		case 2:
			if (!take(in, 2, &f) || !take(in, 1, &k))
				return size;
			v = get_field(work + HDR, body, field_of(f));
			put_field(work + HDR, body, field_of(f), v + (uint64_t)((int64_t)k - 128));
			break;
		case 3:
			if (!take(in, 2, &f) || !take(in, 2, &g))
				return size;
			put_field(work + HDR, body, field_of(f), get_field(work + HDR, body, field_of(g)));
			break;
		case 4:
		case 5:
			if (!take(in, 3, &o) || !take(in, 1, &k))
				return size;
			o %= size;
			if (variant & 1)
				o = size - 1 - o;
			if (op == 4) {
				work[o] ^= (char)k;
				break;
			}
			k = k % 16 + 1;
			if (!take_bytes(in, buf, k))
				return size;
			if (o + k > size)
				k = size - o;
			memcpy(work + o, buf, k);
			break;
		case 6:
			if (!take(in, 3, &o))
				return size;
			o %= body + 1;
			if (!(variant & 2))
				o &= ~(uint64_t)7;
			body = o;
			size = HDR + (size_t)body;
			if (!(variant & 4)) {
				memcpy(&h, work, HDR);
				h.image_size = body;
				memcpy(work, &h, HDR);
			}
			break;
		case 7:
			if (!take(in, 2, &f) || !take(in, 2, &g))
				return size;
			put_field(work + HDR, body, field_of(f), field_of(g)->off);
			break;
		}
	}
	return size;
}

static void fix_digest(char *file, size_t size)
{
	struct cache_header h;
	struct digest dg;

	if (size < HDR)
		return;
	memcpy(&h, file, HDR);
	digest_of(file + HDR, size - HDR, &dg);
	h.digest_lo = dg.lo;
	h.digest_hi = dg.hi;
	memcpy(file, &h, HDR);
}

/* A policy that came back: used fully, and its own image built and read. */
static void use(const smp_policy *p)
{
	smp_policy *again = NULL;
	smp_cache_state state;
	const char *why = NULL;
	char *img = NULL;
	size_t size = 0;
	smp_status st;

	transcript(p, NULL);
	st = cache_image(p, &img, &size, &why);
	if (st == SMP_ERR_NOMEM)
		return;
	if (st != SMP_OK)
		fuzz_fail("an image that was read cannot be written again: %s", S(why));
	st = cache_image_read(img, size, &again, &state, &why);
	fuzz_assert(st == SMP_OK || st == SMP_ERR_NOMEM);
	fuzz_assert((again != NULL) == (state == SMP_CACHE_USED));
	fuzz_assert(again != NULL || st != SMP_OK || why != NULL);
	smp_policy_free(again);
	free(img);
}

/* The bytes as the world's cache file, read by smp_policy_load(): the
 * file's own checks (read_image) and the freshness checks, which read the
 * image's paths, digests and zone answers. */
static int through_the_file(const void *file, size_t len)
{
	char path[PATH_MAX];
	smp_policy *p = NULL;
	smp_diags *d = NULL;
	smp_status st;

	fuzz_write(fuzz_dir(), "smpolicy.conf.cache", file, len, path, sizeof(path));
	st = smp_policy_load(conf_path, SMP_LOAD_ALLOW_NONROOT, &p, &d);
	fuzz_walk_diags(d);
	if (st == SMP_ERR_NOMEM) {
		fuzz_assert(p == NULL);
	} else {
		/* a cache that is not used is a miss: the files load */
		fuzz_assert(st == SMP_OK && p != NULL);
		if (verbose)
			fprintf(stderr, "fuzz_cache: through the file, %zu bytes: %s\n", len,
			        smp_cache_state_name(smp_policy_cache_state(p)));
		if (smp_policy_cache_state(p) == SMP_CACHE_USED)
			use(p);
		else if (smp_policy_cache_state(p) == SMP_CACHE_REJECTED)
			fuzz_assert(smp_diags_count(d) > 0);   /* a warning says why */
		else
			fuzz_assert(smp_policy_cache_state(p) == SMP_CACHE_STALE);
	}
	smp_policy_free(p);
	smp_diags_free(d);
	unlink(path);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, data + size };
	smp_policy *p = NULL;
	smp_cache_state state = SMP_CACHE_USED;
	const char *why = NULL;
	const void *file;
	size_t len;
	uint64_t mode = 0;
	smp_status st;

	(void)take(&in, 1, &mode);
	switch (mode % 4) {
	case 0:
	case 1:
		len = apply(&in);
		if (mode % 4 == 0)
			fix_digest(work, len);
		file = work;
		break;
	case 2:
		file = in.p;
		len = (size_t)(in.end - in.p);
		break;
	default:
		len = (size_t)(in.end - in.p);
		if (len > good_size - HDR + MAX_GROW)
			len = good_size - HDR + MAX_GROW;
		memcpy(work, good, HDR);
		memcpy(work + HDR, in.p, len);
		{
			struct cache_header h;

			memcpy(&h, work, HDR);
			h.image_size = len;
			memcpy(work, &h, HDR);
		}
		len += HDR;
		fix_digest(work, len);
		file = work;
		break;
	}

	if (mode & 4)
		return through_the_file(file, len);
	st = cache_image_read(file, len, &p, &state, &why);
	if (st == SMP_ERR_NOMEM) {
		fuzz_assert(p == NULL);
		return 0;
	}
	fuzz_assert(st == SMP_OK);
	if (verbose)
		fprintf(stderr, "fuzz_cache: mode %u, %zu bytes: %s\n", (unsigned)(mode % 4), len,
		        p != NULL ? "read" : why);
	if (p == NULL) {
		fuzz_assert(why != NULL && state != SMP_CACHE_USED);
		(void)strlen(why);
		return 0;
	}
	fuzz_assert(state == SMP_CACHE_USED);
	use(p);
	smp_policy_free(p);
	return 0;
}
