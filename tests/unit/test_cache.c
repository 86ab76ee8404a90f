/*
 * test_cache.c - the compiled cache (libsmpolicy/cache.c): a policy taken
 * from "<config>.cache" must be the policy a parse of the files gives, in
 * every answer the interface can give; a cache that is not fresh (other
 * bytes, another place, another zone, another build) is a miss; a cache
 * that is damaged or insecure is refused with a warning; and no image,
 * however broken, crashes the reader.
 *
 * The worlds are made by a seeded generator (the approach of test_pick.c)
 * with several records files, approvals in every state, accounts with
 * their events, devices with apps, optional fields present or absent, and
 * strings with quotes, backslashes, '#', '//' and UTF-8 in them.  The
 * comparison (compare_all) holds a cache-loaded policy to a parsed one:
 * every decision of a grid of requests at every date written (and the
 * seconds either side), every approval's info at those moments, the
 * diagnostics of smp_policy_check, and the catalogues and settings.  It
 * counts what differs and prints the first few; it uses no CUnit assertion
 * itself, so that a child process (another zone) can run it too.
 *
 * SMP_CACHE_WORLDS=N runs N random worlds instead of the default.  Under
 * valgrind or a sanitizer (or with SMP_CACHE_LITE=1) fewer worlds, lengths
 * and offsets are tried (every byte of the header and of the policy's own
 * struct still is): there the point is the memory checks, and the full
 * sweep runs in the plain build.  SMP_CACHE_KNOWN_BUGS=1 asserts the cases
 * of known library bugs, which are otherwise only reported.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "internal.h"
#include "policy/policy.h"
#include "world.h"

#include <CUnit/Basic.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#define NWORLDS 40                /* random worlds of the equivalence test */
#define SEED0 0xcac4e001u
#define MAX_FILES 3
#define MAX_STAFF 16
#define MAX_DATES 640
#define MAX_MOMENTS (MAX_DATES * 3 + 64 * 9 + 64)
#define MAX_SHOWN 12              /* mismatches printed in full */
#define DAY 86400
#define NOBODY 65534              /* a uid that is not ours, for the root-only cases */


/* ---- a small seeded generator (splitmix64, as test_pick.c) -------------- */

static uint64_t next_random(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int64_t below(uint64_t *s, int64_t n)
{
	return (int64_t)(next_random(s) % (uint64_t)n);
}

static bool chance(uint64_t *s, int percent)
{
	return below(s, 100) < percent;
}

/* ---- how much to try ---------------------------------------------------- */

/* Under valgrind (its preload library), a sanitizer, or SMP_CACHE_LITE=1:
 * a sample instead of every case (SMP_CACHE_LITE=0: every case anyway). */
static bool lite(void)
{
	const char *e = getenv("SMP_CACHE_LITE"), *pre = getenv("LD_PRELOAD");

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	if (e == NULL || strcmp(e, "0") != 0)
		return true;
#endif
	if (e != NULL)
		return strcmp(e, "1") == 0;
	return pre != NULL && strstr(pre, "vgpreload") != NULL;
}

/* The next offset or length to try after i: all of them, or under lite()
 * all in [0, dense) and a sample beyond. */
static size_t step(size_t i, size_t dense)
{
	return i + (i < dense || !lite() ? 1 : 5 + i % 7);
}

/* ---- growing text ------------------------------------------------------- */

struct text {
	char *s;
	size_t len, cap;
};

static void tx_add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void tx_add(struct text *t, const char *fmt, ...)
{
	for (;;) {
		size_t room = t->cap - t->len;
		va_list ap;
		int n;

		va_start(ap, fmt);
		n = vsnprintf(room ? t->s + t->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0)
			abort();
		if ((size_t)n < room) {
			t->len += (size_t)n;
			return;
		}
		size_t ncap = t->cap * 2 > t->len + (size_t)n + 256 ? t->cap * 2
		                                                    : t->len + (size_t)n + 256;
		char *ns = realloc(t->s, ncap);

		if (ns == NULL)
			abort();
		t->s = ns;
		t->cap = ncap;
	}
}

static void tx_free(struct text *t)
{
	free(t->s);
	memset(t, 0, sizeof(*t));
}

static const char *tx_str(const struct text *t)
{
	return t->s != NULL ? t->s : "";
}

/* ---- the generated world ----------------------------------------------- */

enum { L_STAFF, L_DEVICES, L_ACCOUNTS, L_APPROVALS, NLISTS };
static const char *const list_names[NLISTS] = { "staff", "devices", "accounts", "approvals" };
static const char *const file_names[MAX_FILES] = { "records.conf", "more.conf", "third.conf" };

/* A time as written, and how it is read. */
struct date {
	char text[40];
	smp_time_edge edge;
};

struct gen_opts {
	bool offsets;          /* every time carries Z or an offset */
	bool winter;           /* every date in Dec..Feb, long_term_max_days 20 */
	bool no_lt_start;      /* no long-term approval has an effective start */
	int nfiles;            /* records files, 1..MAX_FILES */
};

struct gen {
	uint64_t seed, rs;
	struct gen_opts o;
	int64_t lo, hi;
	struct text conf;
	struct text list[MAX_FILES][NLISTS];
	size_t nentries[MAX_FILES][NLISTS];
	struct date dates[MAX_DATES];
	size_t ndates;
	char staff[MAX_STAFF][48];
	int staff_office[MAX_STAFF];
	bool staff_signs;      /* a director holding both roles exists */
	size_t nstaff;
	size_t nplatforms, noffices;
	size_t napprovals, naccounts, ndevices;
};

static const char *const platform_ids[] = { "facebook", "youtube", "snapchat", "tum.blr" };
static const char *const office_ids[] = { "o1", "o2", "O-3.x@y" };
static const char *const lom_of[] = { "lom1", "lom2", "lom.3" };

/* Strings with what a parser may stumble on, all valid. */
static const char *const odd_text[] = {
	"plain",
	"Zo\xc3\xab \\\"Z\\\" O'Neil",
	"semi; colon = {braces} (parens) [brackets], comma",
	"hash # not a comment // nor this /* nor this */",
	"back\\\\slash and tab\\t",
	"@ at sign, but not at the start of a line",
	"",
};

static const char *odd(struct gen *g)
{
	return odd_text[below(&g->rs, sizeof(odd_text) / sizeof(odd_text[0]))];
}

/* An entry for one list, into one of the records files. */
static void place_entry(struct gen *g, int list, const char *text)
{
	int f = (int)below(&g->rs, g->o.nfiles);

	tx_add(&g->list[f][list], "%s  %s", g->nentries[f][list] ? ",\n" : "", text);
	g->nentries[f][list]++;
}

/* t written in one of the formats, noted with its edge; returns the text. */
static const char *when(struct gen *g, int64_t t, smp_time_edge edge)
{
	static const int offsets_min[] = { -300, 60, 330, -570, 0, 840, -720, 345 };
	struct date *d;
	struct tm tm;
	time_t tt;
	int style = g->o.offsets ? 2 + (int)below(&g->rs, 5) : (int)below(&g->rs, 7);
	int off = 0;
	char sign = '+';

	CU_ASSERT_FATAL(g->ndates < MAX_DATES);
	d = &g->dates[g->ndates++];
	d->edge = edge;
	if (style >= 5) {   /* with a numeric offset */
		off = offsets_min[below(&g->rs, sizeof(offsets_min) / sizeof(offsets_min[0]))];
		sign = off < 0 || (off == 0 && chance(&g->rs, 50)) ? '-' : '+';
	}
	tt = (time_t)(t + off * 60);
	CU_ASSERT_PTR_NOT_NULL_FATAL(gmtime_r(&tt, &tm));
	/* local clock times only from 04:00 (or midnight): no zone the tests
	 * use skips or repeats one of those */
	if (style == 1 && tm.tm_hour < 4)
		tm.tm_hour += 4;
	switch (style) {
	case 0:   /* local date */
	case 2:   /* date, UTC */
	case 5:   /* date, offset */
		snprintf(d->text, sizeof(d->text), "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1,
		         tm.tm_mday);
		break;
	case 1:   /* local date and time */
	case 3:
	case 6:
		if (chance(&g->rs, 50))
			snprintf(d->text, sizeof(d->text), "%04d-%02d-%02dT%02d:%02d",
			         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min);
		else
			snprintf(d->text, sizeof(d->text), "%04d-%02d-%02dT%02d:%02d:%02d",
			         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			         tm.tm_sec);
		break;
	default:  /* 4: date and time, UTC, with Z */
		snprintf(d->text, sizeof(d->text), "%04d-%02d-%02dT%02d:%02d:%02d",
		         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		         tm.tm_sec);
		break;
	}
	if (style == 2 || style == 3 || style == 4)
		strcat(d->text, "Z");
	else if (style >= 5) {
		char o[16];

		snprintf(o, sizeof(o), "%c%02d:%02d", sign, abs(off) / 60 % 24, abs(off) % 60);
		strcat(d->text, o);
	}
	return d->text;
}

/* A moment to write: a quarter repeat one, many fall on midnight. */
static int64_t fresh(struct gen *g)
{
	int64_t t = g->lo + below(&g->rs, g->hi - g->lo);

	if (chance(&g->rs, 40))
		t -= t % DAY;
	return t;
}

static int64_t after(struct gen *g, int64_t base, int days)
{
	int64_t t = base + below(&g->rs, (int64_t)days * DAY);

	if (chance(&g->rs, 50))
		t -= t % DAY;
	return t < g->hi ? t : g->hi;
}

static void gen_conf(struct gen *g)
{
	struct text *c = &g->conf;
	uint64_t *r = &g->rs;

	tx_add(c, "# smpolicy.conf of world 0x%" PRIx64 " \"quoted\" @ not a directive\n", g->seed);
	tx_add(c, "version = 1;\nsettings = {\n  records = [ ");
	for (int f = 0; f < g->o.nfiles; f++)
		tx_add(c, "%s\"%s\"", f ? ", " : "", file_names[f]);
	tx_add(c, " ];\n");
	if (chance(r, 80))
		tx_add(c, "  max_approved_per_office = %d;\n", 1 + (int)below(r, 3));
	if (chance(r, 50))
		tx_add(c, "  cap_counts = \"%s\";\n", chance(r, 50) ? "all" : "long_term");
	if (chance(r, 70)) {
		static const int wd[] = { 0, 7, 14, 30, 400 };

		tx_add(c, "  warn_days = %d;\n", wd[below(r, 5)]);
	}
	if (g->o.winter)
		tx_add(c, "  long_term_max_days = 20;\n");
	else if (chance(r, 60)) {
		static const int lt[] = { 30, 90, 365, 1000 };

		tx_add(c, "  long_term_max_days = %d;\n", lt[below(r, 4)]);
	}
	if (chance(r, 30))
		tx_add(c, "  audit = \"audit log.txt\";\n");
	tx_add(c, "};\n// the catalogue\nplatforms = (\n"
	          "  { id = \"facebook\"; name = \"Facebook\"; domains = [ \"facebook.com\", \"fb.com\" ]; },\n"
	          "  { id = \"youtube\"; name = \"YouTube\"; private_messaging = false; },\n"
	          "  { id = \"snapchat\"; name = \"Snap Chat\"; mobile_only = true; }");
	g->nplatforms = 3;
	if (chance(r, 50)) {
		tx_add(c, ",\n  { id = \"tum.blr\"; name = \"Tumblr %s\"; private_messaging = true; "
		          "mobile_only = false; domains = [ ]; }", odd(g));
		g->nplatforms = 4;
	}
	tx_add(c, "\n);\n/* offices */\noffices = (\n"
	          "  { id = \"o1\"; name = \"Office One\"; kind = \"local\"; },\n"
	          "  { id = \"o2\"; name = \"Office %s\"; kind = \"area\"; }", odd(g));
	g->noffices = 2;
	if (chance(r, 50)) {
		tx_add(c, ",\n  { id = \"O-3.x@y\"; name = \"Office Three\"; kind = \"local\"; }");
		g->noffices = 3;
	}
	tx_add(c, "\n);\n");
}

static void add_staff(struct gen *g, const char *id, int office, const char *roles,
                      const char *supervisor)
{
	struct text e = { 0 };

	CU_ASSERT_FATAL(g->nstaff < MAX_STAFF);
	snprintf(g->staff[g->nstaff], sizeof(g->staff[0]), "%s", id);
	g->staff_office[g->nstaff++] = office;
	tx_add(&e, "{ id = \"%s\"; ", id);
	if (chance(&g->rs, 60))
		tx_add(&e, "name = \"%s\"; ", odd(g));
	tx_add(&e, "office = \"%s\"; roles = [ %s ]; ", office_ids[office], roles);
	if (supervisor != NULL)
		tx_add(&e, "supervisor = \"%s\"; ", supervisor);
	tx_add(&e, "}");
	place_entry(g, L_STAFF, e.s);
	tx_free(&e);
}

static void gen_staff(struct gen *g)
{
	static const char *const workers[] = { "w1", "w2", "w.3@essex", "W_4-x", "w5", "w6", "w7" };
	uint64_t *r = &g->rs;
	size_t nw = 3 + (size_t)below(r, 5);

	add_staff(g, "dir-cpp", 1, "\"director_cpp\"", NULL);
	add_staff(g, "dir-it", 1, "\"director_it\"", NULL);
	g->staff_signs = chance(r, 30);
	if (g->staff_signs)
		add_staff(g, "dir.both", 1, "\"director_it\", \"director_cpp\"", NULL);
	add_staff(g, "lom1", 0, "\"local_office_manager\"", NULL);
	add_staff(g, "lom2", 1, "\"local_office_manager\", \"worker\"", NULL);
	if (g->noffices == 3)
		add_staff(g, "lom.3", 2, "\"local_office_manager\"", NULL);
	add_staff(g, "sup1", 0, "\"supervisor\"", NULL);
	for (size_t i = 0; i < nw; i++) {
		/* most in o1, so that its cap is contested */
		int office = chance(r, 70) ? 0 : (int)below(r, (int64_t)g->noffices);

		add_staff(g, workers[i], office, chance(r, 20) ? "\"worker\", \"supervisor\"" : "\"worker\"",
		          chance(r, 60) ? "sup1" : NULL);
	}
}

static const char *any_staff(struct gen *g)
{
	return g->staff[below(&g->rs, (int64_t)g->nstaff)];
}

static const char *any_platform(struct gen *g)
{
	return platform_ids[below(&g->rs, (int64_t)g->nplatforms)];
}

static void gen_devices(struct gen *g)
{
	static const char *const fixed[] = {
		"{ id = \"ws1\"; kind = \"workstation\"; owner = \"dcf\"; office = \"o1\"; }",
		"{ id = \"ph1\"; kind = \"mobile\"; owner = \"dcf\"; office = \"o1\"; apps = [ \"snapchat\" ]; }",
		"{ id = \"ph2\"; kind = \"mobile\"; owner = \"dcf\"; }",
		"{ id = \"home\"; kind = \"workstation\"; owner = \"personal\"; }",
		"{ id = \"myphone\"; kind = \"mobile\"; owner = \"personal\"; apps = [ \"snapchat\", \"facebook\" ]; }",
	};
	uint64_t *r = &g->rs;
	size_t extra = (size_t)below(r, 4);

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		place_entry(g, L_DEVICES, fixed[i]);
	g->ndevices = 5;
	for (size_t i = 0; i < extra; i++) {
		struct text e = { 0 };
		bool mobile = chance(r, 50);

		tx_add(&e, "{ id = \"ws-essex-%04zu.x@y\"; kind = \"%s\"; owner = \"%s\"; ", i,
		       mobile ? "mobile" : "workstation", chance(r, 80) ? "dcf" : "personal");
		if (chance(r, 70))
			tx_add(&e, "office = \"%s\"; ", office_ids[below(r, (int64_t)g->noffices)]);
		if (mobile && chance(r, 70)) {
			const char *a = any_platform(g), *b = any_platform(g);

			if (strcmp(a, b) != 0)
				tx_add(&e, "apps = [ \"%s\", \"%s\" ]; ", a, b);
			else
				tx_add(&e, "apps = [ \"%s\" ]; ", a);
		}
		tx_add(&e, "}");
		place_entry(g, L_DEVICES, e.s);
		tx_free(&e);
		g->ndevices++;
	}
}

static void gen_accounts(struct gen *g)
{
	uint64_t *r = &g->rs;
	size_t n = 4 + (size_t)below(r, 10);

	for (size_t i = 0; i < n; i++) {
		struct text e = { 0 };
		int64_t t;

		switch (below(r, 3)) {
		case 0:
			tx_add(&e, "{ id = \"acct%zu\"; ", i);
			break;
		case 1:
			tx_add(&e, "{ id = \"fb.%zu@dcf.nj.gov\"; ", i);
			break;
		default:
			tx_add(&e, "{ id = \"Acct_%zu-x\"; ", i);
			break;
		}
		/* w1 holds most, on facebook mostly, so that its logins meet them */
		tx_add(&e, "platform = \"%s\"; holder = \"%s\"; official = %s; ",
		       chance(r, 60) ? "facebook" : any_platform(g),
		       chance(r, 50) ? "w1" : any_staff(g), chance(r, 80) ? "true" : "false");
		if (chance(r, 50))
			tx_add(&e, "handle = \"%s\"; ", odd(g));
		if (chance(r, 20))
			tx_add(&e, "personal_info = %s; ", chance(r, 70) ? "true" : "false");
		if (chance(r, 50))
			tx_add(&e, "supervisor = \"sup1\"; ");
		if (chance(r, 80))
			tx_add(&e, "password_escrowed = \"%s\"; ", when(g, fresh(g), SMP_TIME_START));
		if (chance(r, 50))
			tx_add(&e, "password_changed = \"%s\"; ", when(g, fresh(g), SMP_TIME_START));
		if (chance(r, 30)) {
			t = fresh(g);
			tx_add(&e, "compromised = { reported = \"%s\"; ", when(g, t, SMP_TIME_START));
			/* two days later at least: resolved after reported in any zone */
			if (chance(r, 60))
				tx_add(&e, "resolved = \"%s\"; ",
				       when(g, t + 2 * DAY + below(r, (g->o.winter ? 10 : 40) * DAY),
				            SMP_TIME_START));
			tx_add(&e, "}; ");
		}
		tx_add(&e, "}");
		place_entry(g, L_ACCOUNTS, e.s);
		tx_free(&e);
	}
	g->naccounts = n;
}

static void gen_sign_off(struct gen *g, struct text *e, const char *field, const char *signer,
                         int64_t base, bool clean)
{
	uint64_t *r = &g->rs;
	const char *by = signer;

	if (!clean && !chance(r, 80))
		return;
	if (!clean && chance(r, 6))
		by = any_staff(g);          /* perhaps without the role: invalid */
	else if (g->staff_signs && chance(r, 20))
		by = "dir.both";
	tx_add(e, "approved_%s = { by = \"%s\"; on = \"%s\"; }; ", field, by,
	       when(g, chance(r, 20) ? fresh(g) : after(g, base, 25), SMP_TIME_START));
}

/* One approval of staff member s; a clean one is made as the procedure
 * wants, so that places under the cap fill up. */
static void gen_approval(struct gen *g, size_t s, bool clean)
{
	uint64_t *r = &g->rs;
	struct text e = { 0 };
	bool limited = g->o.no_lt_start || chance(r, 30);
	int64_t base = fresh(g), from;
	size_t k = g->napprovals++;

	switch (below(r, 4)) {
	case 0:
		tx_add(&e, "{ id = \"A-%02zu\"; ", k);
		break;
	case 1:
		tx_add(&e, "{ id = \"LT-2026.%03zu\"; ", k);
		break;
	case 2:
		tx_add(&e, "{ id = \"UB_%zu@x\"; ", k);
		break;
	default:
		tx_add(&e, "{ id = \"a%zu\"; ", k);
		break;
	}
	tx_add(&e, "staff = \"%s\"; kind = \"%s\"; platforms = [ ", g->staff[s],
	       limited ? "limited" : "long_term");
	if (limited && !chance(r, 5)) {
		tx_add(&e, "\"%s\"", chance(r, 60) ? "facebook" : any_platform(g));
	} else {
		const char *a = chance(r, 60) ? "facebook" : any_platform(g), *b = any_platform(g);

		tx_add(&e, "\"%s\"", a);
		if (strcmp(a, b) != 0 && chance(r, 40))
			tx_add(&e, ", \"%s\"", b);
	}
	tx_add(&e, " ]; ");
	if (limited ? clean || chance(r, 92) : chance(r, 10))
		tx_add(&e, "ticket = \"NJS-%zu %s\"; ", k, odd(g));
	if (!limited && (clean || chance(r, 90)))
		tx_add(&e, "requested_by = \"%s\"; ",
		       clean || chance(r, 90) ? lom_of[g->staff_office[s]] : any_staff(g));
	if (chance(r, 75))
		tx_add(&e, "requested = \"%s\"; ", when(g, base, SMP_TIME_START));
	gen_sign_off(g, &e, "cpp", "dir-cpp", base, clean);
	gen_sign_off(g, &e, "it", "dir-it", base, clean);
	if (chance(r, 55) && (limited || !g->o.no_lt_start)) {
		from = chance(r, 25) ? fresh(g) : after(g, base, 120);
		tx_add(&e, "starts = \"%s\"; ", when(g, from, SMP_TIME_START));
	} else {
		from = base;
	}
	if (limited ? clean || chance(r, 95) : chance(r, 60))
		tx_add(&e, "expires = \"%s\"; ",
		       when(g, chance(r, 20) ? fresh(g) : after(g, from, limited ? 120 : 420),
		            SMP_TIME_END));
	if (chance(r, clean ? 5 : 20))
		tx_add(&e, "revoked = { on = \"%s\"; by = \"%s\"; reason = \"%s\"; }; ",
		       when(g, chance(r, 30) ? fresh(g) : after(g, base, 300), SMP_TIME_START),
		       any_staff(g), odd(g));
	tx_add(&e, "}");
	place_entry(g, L_APPROVALS, e.s);
	tx_free(&e);
}

static void gen_approvals(struct gen *g)
{
	uint64_t *r = &g->rs;
	size_t n = 6 + (size_t)below(r, 16);

	for (size_t i = 0; i < n; i++) {
		/* mostly workers (the staff after sup1), w1 most of all */
		size_t s = chance(r, 35) ? g->nstaff - 1 - (size_t)below(r, 3)
		         : chance(r, 85) ? (size_t)below(r, (int64_t)g->nstaff) : 0;
		size_t first_worker = g->nstaff;

		for (size_t k = 0; k < g->nstaff; k++)
			if (strcmp(g->staff[k], "w1") == 0)
				first_worker = k;
		if (chance(r, 30) && first_worker < g->nstaff)
			s = first_worker;
		gen_approval(g, s, chance(r, 60));
	}
}

static void gen_free(struct gen *g)
{
	tx_free(&g->conf);
	for (int f = 0; f < MAX_FILES; f++)
		for (int l = 0; l < NLISTS; l++)
			tx_free(&g->list[f][l]);
}

/* The world of seed, with opts (NULL: drawn from the seed too). */
static void gen_world(struct gen *g, uint64_t seed, const struct gen_opts *opts)
{
	uint64_t *r;

	memset(g, 0, sizeof(*g));
	g->seed = seed;
	g->rs = seed * 0x2545f4914f6cdd1dull + 1;
	r = &g->rs;
	if (opts != NULL) {
		g->o = *opts;
	} else {
		g->o.offsets = chance(r, 30);
		g->o.nfiles = 1 + (int)below(r, MAX_FILES);
	}
	if (g->o.nfiles < 1)
		g->o.nfiles = 1;
	g->lo = T("2025-06-01Z");
	g->hi = T("2027-06-01Z");
	if (g->o.winter) {
		g->lo = T("2025-12-01Z");
		g->hi = T("2026-02-15Z");
	} else if (chance(r, 50)) {   /* crowded: the cap is contested */
		g->lo += below(r, g->hi - g->lo - 180 * DAY);
		g->hi = g->lo + 180 * DAY;
	}
	gen_conf(g);
	gen_staff(g);
	gen_devices(g);
	gen_accounts(g);
	gen_approvals(g);
}

/* ---- worlds on disk ------------------------------------------------------ */

struct place {
	char dir[200];
	char conf[240];
	char rec[MAX_FILES][240];
	char cache[260];
	int nrec;
};

static void place_paths(struct place *pl)
{
	snprintf(pl->conf, sizeof(pl->conf), "%s/smpolicy.conf", pl->dir);
	snprintf(pl->cache, sizeof(pl->cache), "%s.cache", pl->conf);
	for (int f = 0; f < MAX_FILES; f++)
		snprintf(pl->rec[f], sizeof(pl->rec[f]), "%s/%s", pl->dir, file_names[f]);
}

static bool place_new(struct place *pl)
{
	const char *tmp = getenv("TMPDIR");

	memset(pl, 0, sizeof(*pl));
	snprintf(pl->dir, sizeof(pl->dir), "%s/smpcacheXXXXXX",
	         tmp && tmp[0] == '/' && strlen(tmp) < 100 ? tmp : "/tmp");
	if (mkdtemp(pl->dir) == NULL)
		return false;
	place_paths(pl);
	return true;
}

static bool write_text(const char *path, const char *text, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	bool ok;

	if (fd < 0)
		return false;
	ok = write_all(fd, text, len) && fchmod(fd, mode) == 0;
	return close(fd) == 0 && ok;
}

static char *read_text(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap = (n + 4096 + 1) * 2);

			if (nb == NULL)
				abort();
			buf = nb;
		}
		size_t r = fread(buf + n, 1, cap - n - 1, f);

		n += r;
		if (r == 0)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static bool place_write(struct place *pl, const struct gen *g)
{
	pl->nrec = g->o.nfiles;
	if (!write_text(pl->conf, tx_str(&g->conf), g->conf.len, 0644))
		return false;
	for (int f = 0; f < g->o.nfiles; f++) {
		struct text t = { 0 };
		bool ok;

		tx_add(&t, "# %s\n", file_names[f]);
		for (int l = 0; l < NLISTS; l++)
			if (g->nentries[f][l] > 0 || (l + f) % 3 == 0)   /* some lists empty */
				tx_add(&t, "%s = (\n%s\n);\n", list_names[l], tx_str(&g->list[f][l]));
		ok = write_text(pl->rec[f], t.s, t.len, 0644);
		tx_free(&t);
		if (!ok)
			return false;
	}
	return true;
}

/* Remove dir and everything in it (one level of folders deep is all the
 * tests make; folders made read-only are opened up first). */
static void rm_tree(const char *dir)
{
	DIR *dp;
	struct dirent *e;

	chmod(dir, 0700);
	dp = opendir(dir);
	if (dp == NULL) {
		unlink(dir);
		return;
	}
	while ((e = readdir(dp)) != NULL) {
		char path[512];
		struct stat st;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			rm_tree(path);
		else
			unlink(path);
	}
	closedir(dp);
	rmdir(dir);
}

/* ---- loading ------------------------------------------------------------ */

#define LOAD_FLAGS SMP_LOAD_ALLOW_NONROOT

static void print_diags(const smp_diags *d)
{
	for (size_t i = 0; i < smp_diags_count(d); i++) {
		const struct smp_diag *x = smp_diags_get(d, i);

		fprintf(stderr, "    %s:%u: %s: %s\n", x->file ? x->file : "-", x->line,
		        x->severity == SMP_SEV_ERROR ? "error" : "warning", x->message);
	}
}

/* Load; the diagnostics go to *diags if diags is not NULL, else are freed. */
static smp_policy *load(const char *conf, unsigned flags, smp_status *rc, smp_diags **diags)
{
	smp_policy *p = NULL;
	smp_diags *d = NULL;
	smp_status st = smp_policy_load(conf, flags, &p, &d);

	if (rc != NULL)
		*rc = st;
	if (diags != NULL)
		*diags = d;
	else
		smp_diags_free(d);
	return p;
}

static smp_policy *parse(const char *conf)
{
	smp_diags *d = NULL;
	smp_status rc;
	smp_policy *p = load(conf, LOAD_FLAGS | SMP_LOAD_NO_CACHE, &rc, &d);

	if (rc != SMP_OK) {
		fprintf(stderr, "\n  %s does not load (%s):\n", conf, smp_status_string(rc));
		print_diags(d);
	}
	smp_diags_free(d);
	return p;
}

static smp_status write_cache(const smp_policy *p)
{
	smp_diags *d = NULL;
	smp_status rc = smp_policy_cache_write(p, SMP_EDIT_NOWAIT, &d);

	if (rc != SMP_OK || d != NULL) {
		fprintf(stderr, "\n  writing the cache: %s\n", smp_status_string(rc));
		print_diags(d);
	}
	smp_diags_free(d);
	return rc;
}

/* ---- comparing two policies --------------------------------------------- */

struct tally {
	unsigned long decisions, infos, statics, checks, mismatches;
	unsigned long allowed, untils, warnings;
	unsigned long reasons[SMP_R__COUNT];
	unsigned long states[SMP_STATE_OVER_CAP + 1];
	unsigned long check_errors, check_warnings;
	bool quiet;            /* print nothing (the comparer's own test) */
	unsigned shown;
};

static void mismatch(struct tally *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void mismatch(struct tally *t, const char *fmt, ...)
{
	va_list ap;

	t->mismatches++;
	if (t->quiet || t->shown >= MAX_SHOWN)
		return;
	t->shown++;
	fprintf(stderr, "\n  mismatch: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static bool same_str(const char *x, const char *y)
{
	return x == y || (x != NULL && y != NULL && strcmp(x, y) == 0);
}

static const char *nz(const char *s)
{
	return s != NULL ? s : "(null)";
}

/* What to ask: the ids come from the parsed policy, with unknown ones. */
struct grid {
	const char *users[MAX_STAFF + 1];
	size_t nusers;
	const char *platforms[8];
	size_t nplatforms;
	const char *devices[16];
	size_t ndevices;
	const char *accounts[24];     /* [0] NULL: none named */
	size_t naccounts;
	int64_t moments[MAX_MOMENTS];
	size_t nmoments;
	unsigned combos;              /* requests per moment, user and platform */
	unsigned info_every;          /* approval infos at every n-th moment */
	uint64_t seed;
};

static int cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

	return (a > b) - (a < b);
}

static void add_moment(struct grid *gr, int64_t t)
{
	if (gr->nmoments < MAX_MOMENTS)
		gr->moments[gr->nmoments++] = t;
}

/* Keep k moments of the grid, evenly spread over it. */
static void thin_grid(struct grid *gr, size_t k)
{
	size_t n = gr->nmoments;

	if (k >= n)
		return;
	for (size_t i = 0; i < k; i++)
		gr->moments[i] = gr->moments[(i * n + n / 2) / k];
	gr->nmoments = k;
}

/* The grid for the parsed policy p of world g, in the process's zone: every
 * date written and every effective start, lapse and revocation, with the
 * seconds either side; random moments; the ends of time.  False if a
 * date does not parse here. */
static bool make_grid_keep(struct grid *gr, const smp_policy *p, const struct gen *g,
                           unsigned combos, size_t keep)
{
	struct smp_approval_info info;
	uint64_t rs = g->seed ^ 0x9e3779b97f4a7c15ull;
	size_t k = 0;

	memset(gr, 0, sizeof(*gr));
	gr->combos = combos;
	gr->info_every = 1;
	gr->seed = g->seed;
	for (size_t i = 0; i < p->nstaff && gr->nusers < MAX_STAFF; i++)
		gr->users[gr->nusers++] = p->staff[i].id;
	gr->users[gr->nusers++] = "ghost";
	for (size_t i = 0; i < p->nplatforms && gr->nplatforms < 7; i++)
		gr->platforms[gr->nplatforms++] = p->platforms[i].id;
	gr->platforms[gr->nplatforms++] = "myspace";
	for (size_t i = 0; i < p->ndevices && gr->ndevices < 14; i++)
		gr->devices[gr->ndevices++] = p->devices[i].id;
	gr->devices[gr->ndevices++] = "nowhere";
	gr->devices[gr->ndevices++] = NULL;   /* this host's name */
	gr->accounts[gr->naccounts++] = NULL;
	for (size_t i = 0; i < p->naccounts && gr->naccounts < 23; i++)
		gr->accounts[gr->naccounts++] = p->accounts[i].id;
	gr->accounts[gr->naccounts++] = "no-such-account";
	for (size_t i = 0; i < g->ndates; i++) {
		int64_t t;

		if (smp_time_parse(g->dates[i].text, g->dates[i].edge, &t) != SMP_OK) {
			fprintf(stderr, "\n  '%s' does not parse here\n", g->dates[i].text);
			return false;
		}
		for (int64_t d = -1; d <= 1; d++)
			add_moment(gr, t + d);
	}
	for (size_t i = 0; i < smp_policy_approval_count(p) && i < 64; i++) {
		if (!smp_policy_approval(p, i, 0, &info))
			return false;
		for (int64_t d = -1; d <= 1; d++) {
			if (info.has_start)
				add_moment(gr, info.start + d);
			if (info.has_end)
				add_moment(gr, info.end + d);
			if (info.has_revoked)
				add_moment(gr, info.revoked + d);
		}
	}
	for (int i = 0; i < 40; i++)
		add_moment(gr, g->lo - 30 * DAY + below(&rs, g->hi - g->lo + 400 * DAY));
	add_moment(gr, INT64_MIN + 1);
	add_moment(gr, 0);
	add_moment(gr, INT64_MAX - 1);
	qsort(gr->moments, gr->nmoments, sizeof(gr->moments[0]), cmp_i64);
	for (size_t i = 0; i < gr->nmoments; i++)
		if (k == 0 || gr->moments[i] != gr->moments[k - 1])
			gr->moments[k++] = gr->moments[i];
	gr->nmoments = k;
	if (keep > 0)
		thin_grid(gr, keep);
	return true;
}

/* The grid, thinned to 40 moments under lite(). */
static bool make_grid(struct grid *gr, const smp_policy *p, const struct gen *g, unsigned combos)
{
	return make_grid_keep(gr, p, g, combos, lite() ? 40 : 0);
}

static void compare_request(struct tally *t, const smp_policy *a, const smp_policy *b,
                            const struct smp_request *req)
{
	smp_decision *x = NULL, *y = NULL;
	smp_status rx = smp_decide(a, req, &x), ry = smp_decide(b, req, &y);
	const char *why = NULL;
	int64_t ux = 0, uy = 0;
	bool hx, hy;

	t->decisions++;
	if (rx != ry || rx != SMP_OK) {
		why = "status";
		goto out;
	}
	hx = smp_decision_valid_until(x, &ux);
	hy = smp_decision_valid_until(y, &uy);
	if (smp_decision_allowed(x) != smp_decision_allowed(y))
		why = "ALLOW/DENY";
	else if (smp_decision_reason_count(x) != smp_decision_reason_count(y))
		why = "the number of reasons";
	else if (smp_decision_warning_count(x) != smp_decision_warning_count(y))
		why = "the number of warnings";
	else if (hx != hy || ux != uy)
		why = "valid_until";
	else if (!same_str(smp_decision_approval(x), smp_decision_approval(y)))
		why = "the approval";
	for (size_t i = 0; why == NULL && i < smp_decision_reason_count(y); i++) {
		if (smp_decision_reason(x, i) != smp_decision_reason(y, i))
			why = "a reason code";
		else if (!same_str(smp_decision_reason_message(x, i),
		                   smp_decision_reason_message(y, i)))
			why = "a reason's message";
	}
	for (size_t i = 0; why == NULL && i < smp_decision_warning_count(y); i++) {
		if (smp_decision_warning(x, i) != smp_decision_warning(y, i))
			why = "a warning code";
		else if (!same_str(smp_decision_warning_message(x, i),
		                   smp_decision_warning_message(y, i)))
			why = "a warning's message";
	}
	t->allowed += smp_decision_allowed(y);
	t->untils += hy;
	t->warnings += smp_decision_warning_count(y) > 0;
	for (size_t i = 0; i < smp_decision_reason_count(y); i++)
		if ((unsigned)smp_decision_reason(y, i) < SMP_R__COUNT)
			t->reasons[smp_decision_reason(y, i)]++;
out:
	if (why != NULL)
		mismatch(t, "%s: user %s platform %s device %s account %s action %s purpose %s "
		         "public %d other %d warn_days %d at %" PRId64 "\n"
		         "    cache: %s, %zu reasons, %zu warnings, first: %s\n"
		         "    parse: %s, %zu reasons, %zu warnings, first: %s\n",
		         why, req->user, req->platform, nz(req->device), nz(req->account),
		         smp_action_name(req->action), smp_purpose_name(req->purpose),
		         req->public_info_sufficient, req->other_means_available, req->warn_days,
		         req->at, smp_decision_allowed(x) ? "ALLOW" : "DENY",
		         smp_decision_reason_count(x), smp_decision_warning_count(x),
		         nz(smp_decision_reason_message(x, 0)), smp_decision_allowed(y) ? "ALLOW" : "DENY",
		         smp_decision_reason_count(y), smp_decision_warning_count(y),
		         nz(smp_decision_reason_message(y, 0)));
	smp_decision_free(x);
	smp_decision_free(y);
}

static void compare_infos(struct tally *t, const smp_policy *a, const smp_policy *b, int64_t at)
{
	size_t n = smp_policy_approval_count(b);

	if (smp_policy_approval_count(a) != n) {
		mismatch(t, "the number of approvals: %zu, %zu\n", smp_policy_approval_count(a), n);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct smp_approval_info x, y;
		const char *why = NULL;

		t->infos++;
		if (!smp_policy_approval(a, i, at, &x) || !smp_policy_approval(b, i, at, &y)) {
			mismatch(t, "approval %zu: no info\n", i);
			continue;
		}
		t->states[y.state <= SMP_STATE_OVER_CAP ? y.state : 0]++;
		if (!same_str(x.id, y.id) || !same_str(x.staff, y.staff) ||
		    !same_str(x.office, y.office) || !same_str(x.kind, y.kind) ||
		    !same_str(x.ticket, y.ticket))
			why = "id, staff, office, kind or ticket";
		else if (!same_str(x.file, y.file) || x.line != y.line)
			why = "file or line";
		else if (x.state != y.state)
			why = "state";
		else if (x.has_start != y.has_start || x.has_end != y.has_end || x.start != y.start ||
		         x.end != y.end)
			why = "start or end";
		else if (x.has_revoked != y.has_revoked || x.revoked != y.revoked)
			why = "revoked";
		else if (x.signed_cpp != y.signed_cpp || x.signed_it != y.signed_it)
			why = "sign-offs";
		else if (x.has_valid_until != y.has_valid_until || x.valid_until != y.valid_until)
			why = "valid_until";
		else if (x.platforms == NULL || y.platforms == NULL)
			why = "platforms (NULL)";
		for (size_t k = 0; why == NULL; k++) {
			if (!same_str(x.platforms[k], y.platforms[k]))
				why = "platforms";
			else if (y.platforms[k] == NULL)
				break;
		}
		if (why != NULL)
			mismatch(t, "approval %s at %" PRId64 ": %s\n", nz(y.id), at, why);
	}
}

static void compare_statics(struct tally *t, const smp_policy *a, const smp_policy *b,
                            const struct grid *gr)
{
	t->statics++;
	if (!same_str(smp_policy_config_path(a), smp_policy_config_path(b)))
		mismatch(t, "config path\n");
	if (!same_str(smp_policy_cache_path(a), smp_policy_cache_path(b)))
		mismatch(t, "cache path\n");
	if (smp_policy_records_count(a) != smp_policy_records_count(b))
		mismatch(t, "records count\n");
	for (size_t i = 0; i <= smp_policy_records_count(b); i++)
		if (!same_str(smp_policy_records_path(a, i), smp_policy_records_path(b, i)))
			mismatch(t, "records path %zu\n", i);
	if (smp_policy_warn_days(a) != smp_policy_warn_days(b))
		mismatch(t, "warn_days\n");
	if (smp_policy_office_cap(a) != smp_policy_office_cap(b))
		mismatch(t, "office cap\n");
	if (smp_policy_office_count(a) != smp_policy_office_count(b))
		mismatch(t, "office count\n");
	for (size_t i = 0; i <= smp_policy_office_count(b); i++) {
		struct smp_office_info x = { 0 }, y = { 0 };
		bool hx = smp_policy_office(a, i, &x), hy = smp_policy_office(b, i, &y);

		if (hx != hy || !same_str(x.id, y.id) || !same_str(x.name, y.name) ||
		    !same_str(x.kind, y.kind))
			mismatch(t, "office %zu\n", i);
	}
	if (smp_policy_platform_count(a) != smp_policy_platform_count(b))
		mismatch(t, "platform count\n");
	for (size_t i = 0; i <= smp_policy_platform_count(b); i++)
		if (!same_str(smp_policy_platform_id(a, i), smp_policy_platform_id(b, i)) ||
		    !same_str(smp_policy_platform_name(a, i), smp_policy_platform_name(b, i)))
			mismatch(t, "platform %zu\n", i);
	for (size_t u = 0; u < gr->nusers; u++) {
		if (!same_str(smp_policy_staff_office(a, gr->users[u]),
		              smp_policy_staff_office(b, gr->users[u])))
			mismatch(t, "staff office of %s\n", gr->users[u]);
		for (size_t k = 0; k < gr->nplatforms; k++) {
			const char *x[16], *y[16];
			size_t nx = smp_policy_accounts_held(a, gr->users[u], gr->platforms[k], x, 16);
			size_t ny = smp_policy_accounts_held(b, gr->users[u], gr->platforms[k], y, 16);

			if (nx != ny) {
				mismatch(t, "accounts held by %s on %s: %zu, %zu\n", gr->users[u],
				         gr->platforms[k], nx, ny);
				continue;
			}
			for (size_t i = 0; i < ny && i < 16; i++)
				if (!same_str(x[i], y[i]))
					mismatch(t, "account held by %s on %s\n", gr->users[u],
					         gr->platforms[k]);
		}
	}
}

static void compare_check(struct tally *t, const smp_policy *a, const smp_policy *b)
{
	smp_diags *x = NULL, *y = NULL;
	smp_status rx = smp_policy_check(a, &x), ry = smp_policy_check(b, &y);

	t->checks++;
	if (rx != ry || rx != SMP_OK || smp_diags_count(x) != smp_diags_count(y)) {
		mismatch(t, "smp_policy_check: %s, %s; %zu, %zu diagnostics\n",
		         smp_status_string(rx), smp_status_string(ry), smp_diags_count(x),
		         smp_diags_count(y));
	} else {
		for (size_t i = 0; i < smp_diags_count(y); i++) {
			const struct smp_diag *p = smp_diags_get(x, i), *q = smp_diags_get(y, i);

			if (!same_str(p->file, q->file) || p->line != q->line ||
			    p->severity != q->severity || !same_str(p->subject, q->subject) ||
			    !same_str(p->message, q->message))
				mismatch(t, "check diagnostic %zu:\n    cache: %s:%u: %s\n    parse: %s:%u: %s\n",
				         i, nz(p->file), p->line, nz(p->message), nz(q->file), q->line,
				         nz(q->message));
			if (q->severity == SMP_SEV_ERROR)
				t->check_errors++;
			else
				t->check_warnings++;
		}
	}
	smp_diags_free(x);
	smp_diags_free(y);
}

/* Hold policy a (from the cache) to policy b (parsed) over grid gr. */
static void compare_all(struct tally *t, const smp_policy *a, const smp_policy *b,
                        const struct grid *gr)
{
	static const char *held[MAX_STAFF + 1][8];
	uint64_t rs = gr->seed;

	compare_statics(t, a, b, gr);
	compare_check(t, a, b);
	/* an official account each user holds on each platform, if any */
	for (size_t u = 0; u < gr->nusers; u++)
		for (size_t k = 0; k < gr->nplatforms; k++)
			if (smp_policy_accounts_held(b, gr->users[u], gr->platforms[k], &held[u][k], 1) == 0)
				held[u][k] = NULL;
	for (size_t m = 0; m < gr->nmoments; m++) {
		if (m % gr->info_every == 0)
			compare_infos(t, a, b, gr->moments[m]);
		for (size_t u = 0; u < gr->nusers; u++) {
			for (size_t k = 0; k < gr->nplatforms; k++) {
				for (unsigned c = 0; c < gr->combos; c++) {
					struct smp_request req;

					smp_request_init(&req);
					req.user = gr->users[u];
					req.platform = gr->platforms[k];
					req.at = gr->moments[m];
					if (chance(&rs, 35)) {
						/* one that can be allowed: a DCF device with the
						 * app, the user's own account, a permitted action */
						req.device = strcmp(req.platform, "snapchat") == 0 ? "ph1" : "ws1";
						req.account = held[u][k];
						req.action = held[u][k] && chance(&rs, 60) ? SMP_ACTION_LOGIN
						                                           : SMP_ACTION_VIEW;
						if (chance(&rs, 20)) {
							req.purpose = SMP_PURPOSE_CLIENT_COMMUNICATION;
							req.action = SMP_ACTION_MESSAGE;
						}
					} else {
						req.device = gr->devices[below(&rs, (int64_t)gr->ndevices)];
						req.account = gr->accounts[below(&rs, (int64_t)gr->naccounts)];
						req.action = (smp_action)below(&rs, SMP_ACTION__COUNT);
						req.purpose = (smp_purpose)below(&rs, SMP_PURPOSE__COUNT);
						req.public_info_sufficient = chance(&rs, 15);
						req.other_means_available = chance(&rs, 15);
					}
					if (chance(&rs, 20))
						req.warn_days = (int)below(&rs, 60);
					compare_request(t, a, b, &req);
				}
			}
		}
	}
}

static void print_tally(const char *what, const struct tally *t)
{
	printf("\n  %s: %lu decisions (%lu ALLOW, %lu with valid_until, %lu with a warning), "
	       "%lu approval infos, %lu checks compared; %lu mismatches\n", what, t->decisions,
	       t->allowed, t->untils, t->warnings, t->infos, t->checks, t->mismatches);
}

/* A fresh cache of the world at pl: parse, write, load; the loaded policy
 * with its state checked, and the parse in *parsed. */
static smp_policy *cached_and_parsed(const struct place *pl, smp_policy **parsed)
{
	smp_diags *d = NULL;
	smp_status rc;
	smp_policy *c;

	*parsed = parse(pl->conf);
	if (*parsed == NULL)
		return NULL;
	if (write_cache(*parsed) != SMP_OK)
		return NULL;
	c = load(pl->conf, LOAD_FLAGS, &rc, &d);
	CU_ASSERT_EQUAL(rc, SMP_OK);
	CU_ASSERT_EQUAL(smp_diags_count(d), 0);
	CU_ASSERT_EQUAL(smp_policy_cache_state(c), SMP_CACHE_USED);
	smp_diags_free(d);
	return c;
}

/* ---- a. equivalence ------------------------------------------------------ */

static unsigned nworlds(void)
{
	const char *e = getenv("SMP_CACHE_WORLDS");

	if (e != NULL && atoi(e) > 0)
		return (unsigned)atoi(e);
	return lite() ? NWORLDS / 5 : NWORLDS;
}

static void test_equivalence(void)
{
	static struct gen g;
	static struct grid gr;
	struct tally t = { 0 };
	unsigned n = nworlds(), files[MAX_FILES + 1] = { 0 }, offsets = 0, rewritten = 0;
	size_t approvals = 0;

	for (unsigned k = 0; k < n; k++) {
		uint64_t seed = SEED0 + k;
		struct place pl;
		smp_policy *p, *c;

		gen_world(&g, seed, NULL);
		CU_ASSERT_FATAL(place_new(&pl));
		CU_ASSERT_FATAL(place_write(&pl, &g));
		c = cached_and_parsed(&pl, &p);
		if (p == NULL || c == NULL || !make_grid(&gr, p, &g, 1)) {
			fprintf(stderr, "  world 0x%" PRIx64 " (in %s)\n", seed, pl.dir);
			CU_FAIL("a generated world does not load, cache or parse");
			smp_policy_free(p);
			smp_policy_free(c);
			gen_free(&g);
			continue;   /* left on disk to be looked at */
		}
		files[g.o.nfiles]++;
		offsets += g.o.offsets;
		approvals += smp_policy_approval_count(p);
		compare_all(&t, c, p, &gr);
		/* a cache written from a cache-loaded policy is as good */
		if (k % 4 == 0) {
			smp_policy *c2;
			smp_status rc;

			CU_ASSERT_EQUAL(write_cache(c), SMP_OK);
			c2 = load(pl.conf, LOAD_FLAGS, &rc, NULL);
			CU_ASSERT_EQUAL(smp_policy_cache_state(c2), SMP_CACHE_USED);
			gr.combos = 1;
			gr.nmoments = gr.nmoments > 200 ? 200 : gr.nmoments;
			if (c2 != NULL)
				compare_all(&t, c2, p, &gr);
			smp_policy_free(c2);
			rewritten++;
		}
		smp_policy_free(p);
		smp_policy_free(c);
		gen_free(&g);
		rm_tree(pl.dir);
	}
	print_tally("cache against parse", &t);
	printf("  %u worlds (seeds 0x%x..), %zu approvals; 1/2/3 records files: %u/%u/%u; "
	       "offsets only: %u; written again from the cache: %u\n", n, SEED0, approvals,
	       files[1], files[2], files[3], offsets, rewritten);
	printf("  reasons:");
	for (int r = 0; r < SMP_R__COUNT; r++)
		printf(" %s=%lu", smp_reason_code((smp_reason)r), t.reasons[r]);
	printf("\n  states:");
	for (int s = 0; s <= SMP_STATE_OVER_CAP; s++)
		printf(" %s=%lu", smp_approval_state_name((smp_approval_state)s), t.states[s]);
	printf("\n  check: %lu errors, %lu warnings\n", t.check_errors, t.check_warnings);
	CU_ASSERT_EQUAL(t.mismatches, 0);
	/* the worlds reach every reason, state and kind of diagnostic, so that
	 * the comparison covers them */
	if (n >= NWORLDS) {
		for (int r = 0; r < SMP_R__COUNT; r++)
			CU_ASSERT(t.reasons[r] > 0);
		for (int s = 0; s <= SMP_STATE_OVER_CAP; s++)
			CU_ASSERT(t.states[s] > 0);
		CU_ASSERT(t.allowed > 0 && t.untils > 0 && t.warnings > 0);
		CU_ASSERT(t.check_errors > 0 && t.check_warnings > 0);
		CU_ASSERT(files[1] > 0 && files[2] > 0 && files[3] > 0 && offsets > 0);
	}
}

/* The comparison can fail: one field of a cache-loaded policy changed
 * through internal.h at a time, each must be seen, and none once put back. */
static void test_comparer_fails(void)
{
	static struct gen g;
	static struct grid gr;
	struct place pl;
	smp_policy *p, *c;
	struct tally t;
	size_t ia = SIZE_MAX, ic = SIZE_MAX;

	gen_world(&g, SEED0 + 1, NULL);
	CU_ASSERT_FATAL(place_new(&pl));
	CU_ASSERT_FATAL(place_write(&pl, &g));
	c = cached_and_parsed(&pl, &p);
	CU_ASSERT_FATAL(p != NULL && c != NULL);
	CU_ASSERT_FATAL(make_grid(&gr, p, &g, 1));
	/* an approval with an end, and an account with an escrow */
	for (size_t i = 0; i < c->napprovals && ia == SIZE_MAX; i++)
		if (c->approvals[i].end != SMP_TIME_MAX && c->approvals[i].invalid_why == NULL)
			ia = i;
	for (size_t i = 0; i < c->naccounts && ic == SIZE_MAX; i++)
		if (c->accounts[i].password_escrowed.set && c->accounts[i].official)
			ic = i;
	CU_ASSERT_FATAL(ia != SIZE_MAX && ic != SIZE_MAX);

#define BROKEN(what, change, undo) do { \
		memset(&t, 0, sizeof(t)); \
		t.quiet = true; \
		change; \
		compare_all(&t, c, p, &gr); \
		undo; \
		printf("\n  %-44s %lu mismatches", what, t.mismatches); \
		CU_ASSERT(t.mismatches > 0); \
	} while (0)

	BROKEN("an approval's end one second later", c->approvals[ia].end++, c->approvals[ia].end--);
	BROKEN("an approval's pick entry (its valid interval)",
	       for (size_t s = 0; s < c->nstaff; s++)
	               for (uint32_t e = 0; e < c->staff[s].platform_start[c->nplatforms]; e++)
	                       if (c->staff[s].by_platform[e].approval == ia)
	                               c->staff[s].by_platform[e].to = c->staff[s].by_platform[e].from,
	       for (size_t s = 0; s < c->nstaff; s++)
	               for (uint32_t e = 0; e < c->staff[s].platform_start[c->nplatforms]; e++)
	                       if (c->staff[s].by_platform[e].approval == ia)
	                               c->staff[s].by_platform[e].to = p->staff[s].by_platform[e].to);
	/* one second is seen only at the moments either side of it: lite()
	 * thins those out */
	BROKEN(lite() ? "an account's escrow 400 days later" : "an account's escrow one second later",
	       c->accounts[ic].password_escrowed.t += lite() ? 400 * DAY : 1,
	       c->accounts[ic].password_escrowed.t -= lite() ? 400 * DAY : 1);
	BROKEN("an account's official flag", c->accounts[ic].official = false,
	       c->accounts[ic].official = true);
	BROKEN("an office name's first byte", c->offices[0].name[0] ^= 1, c->offices[0].name[0] ^= 1);
	BROKEN("an approval's line", c->approvals[ia].at.line++, c->approvals[ia].at.line--);
	BROKEN("why an invalid approval is invalid (a byte)",
	       for (size_t i = 0; i < c->napprovals; i++)
	               if (c->approvals[i].invalid_why != NULL)
	                       c->approvals[i].invalid_why[0] ^= 0x20,
	       for (size_t i = 0; i < c->napprovals; i++)
	               if (c->approvals[i].invalid_why != NULL)
	                       c->approvals[i].invalid_why[0] ^= 0x20);
	BROKEN("a staff member's office", c->staff[0].office ^= 1, c->staff[0].office ^= 1);
	BROKEN("the hashes of the staff id index",
	       for (size_t i = 0; i <= c->staff_ix.mask; i++) c->staff_ix.slot[i].hash ^= 1,
	       for (size_t i = 0; i <= c->staff_ix.mask; i++) c->staff_ix.slot[i].hash ^= 1);
	BROKEN("warn_days", c->set.warn_days++, c->set.warn_days--);
	BROKEN("the cap", c->set.max_per_office++, c->set.max_per_office--);
	BROKEN("a records path", c->records_paths[0][1] ^= 1, c->records_paths[0][1] ^= 1);
#undef BROKEN
	printf("\n");
	/* and all put back: none */
	memset(&t, 0, sizeof(t));
	compare_all(&t, c, p, &gr);
	CU_ASSERT_EQUAL(t.mismatches, 0);
	smp_policy_free(p);
	smp_policy_free(c);
	gen_free(&g);
	rm_tree(pl.dir);
}

/* ---- a hand-written world: local times, two records files --------------- */

static const char hand_conf[] =
	"version = 1;\n"
	"settings = { records = [ \"records.conf\", \"more.conf\" ]; max_approved_per_office = 2;\n"
	"  warn_days = 14; long_term_max_days = 365; };\n"
	"platforms = (\n"
	"  { id = \"facebook\"; name = \"Facebook\"; },\n"
	"  { id = \"youtube\"; name = \"YouTube\"; private_messaging = false; },\n"
	"  { id = \"snapchat\"; name = \"Snap Chat\"; mobile_only = true; }\n"
	");\n"
	"offices = (\n"
	"  { id = \"o1\"; name = \"Office One\"; kind = \"local\"; },\n"
	"  { id = \"o2\"; name = \"Office Two\"; kind = \"area\"; }\n"
	");\n";

/* local times, no offsets: the zone decides what they mean */
static const char hand_approvals[] =
	"approvals = (\n"
	"  { id = \"LT-1\"; staff = \"w1\"; kind = \"long_term\"; platforms = [ \"facebook\", \"youtube\" ];\n"
	"    requested_by = \"lom1\"; requested = \"2026-01-10\";\n"
	"    approved_cpp = { by = \"dir-cpp\"; on = \"2026-01-12\"; };\n"
	"    approved_it = { by = \"dir-it\"; on = \"2026-01-14T09:30\"; };\n"
	"    starts = \"2026-01-15\"; expires = \"2026-06-30T17:00\"; },\n"
	"  { id = \"UB-2\"; staff = \"w2\"; kind = \"limited\"; platforms = [ \"facebook\" ]; ticket = \"NJS-2\";\n"
	"    approved_cpp = { by = \"dir-cpp\"; on = \"2026-02-01\"; };\n"
	"    approved_it = { by = \"dir-it\"; on = \"2026-02-01T08:00:30\"; };\n"
	"    starts = \"2026-02-02\"; expires = \"2026-08-31\";\n"
	"    revoked = { on = \"2026-07-01T12:00\"; by = \"dir-it\"; reason = \"case \\\"closed\\\"\"; }; },\n"
	"  { id = \"LT-3\"; staff = \"w3\"; kind = \"long_term\"; platforms = [ \"facebook\" ];\n"
	"    requested_by = \"lom1\";\n"
	"    approved_cpp = { by = \"dir-cpp\"; on = \"2026-01-01\"; };\n"
	"    approved_it = { by = \"dir-it\"; on = \"2026-01-02\"; }; }\n"
	");\n";

static const struct date hand_dates[] = {
	{ "2026-01-10", SMP_TIME_START }, { "2026-01-12", SMP_TIME_START },
	{ "2026-01-14T09:30", SMP_TIME_START }, { "2026-01-15", SMP_TIME_START },
	{ "2026-06-30T17:00", SMP_TIME_END }, { "2026-06-20T17:00", SMP_TIME_END },
	{ "2026-02-01", SMP_TIME_START }, { "2026-02-01T08:00:30", SMP_TIME_START },
	{ "2026-02-02", SMP_TIME_START }, { "2026-08-31", SMP_TIME_END },
	{ "2026-07-01T12:00", SMP_TIME_START }, { "2026-01-01", SMP_TIME_START },
	{ "2026-01-02", SMP_TIME_START },
	/* WORLD_PEOPLE's */
	{ "2026-01-01Z", SMP_TIME_START }, { "2026-01-02Z", SMP_TIME_START },
	{ "2026-03-01T12:00Z", SMP_TIME_START }, { "2026-04-01T08:00Z", SMP_TIME_START },
	{ "2026-05-01T10:00Z", SMP_TIME_START }, { "2026-05-03T10:00Z", SMP_TIME_START },
};

/* The hand world on disk, and its dates in g (for make_grid). */
static void hand_world(struct place *pl, struct gen *g)
{
	memset(g, 0, sizeof(*g));
	g->seed = 0x4a4d;
	g->lo = T("2025-12-01Z");
	g->hi = T("2027-01-31Z");
	memcpy(g->dates, hand_dates, sizeof(hand_dates));
	g->ndates = sizeof(hand_dates) / sizeof(hand_dates[0]);
	CU_ASSERT_FATAL(place_new(pl));
	pl->nrec = 2;
	CU_ASSERT_FATAL(write_text(pl->conf, hand_conf, strlen(hand_conf), 0644));
	CU_ASSERT_FATAL(write_text(pl->rec[0], WORLD_PEOPLE, strlen(WORLD_PEOPLE), 0644));
	CU_ASSERT_FATAL(write_text(pl->rec[1], hand_approvals, strlen(hand_approvals), 0644));
}

/* Load pl with the cache: the state must be `state`, the policy that of a
 * parse (compared over a small grid). */
static void expect_state(const struct place *pl, const struct gen *g, smp_cache_state state,
                         const char *what)
{
	static struct grid gr;
	struct tally t = { 0 };
	smp_diags *d = NULL;
	smp_status rc;
	smp_policy *c = load(pl->conf, LOAD_FLAGS, &rc, &d), *p = parse(pl->conf);

	if (rc != SMP_OK || smp_policy_cache_state(c) != state || smp_diags_count(d) != 0) {
		fprintf(stderr, "\n  %s: %s, cache %s, expected %s\n", what, smp_status_string(rc),
		        smp_cache_state_name(smp_policy_cache_state(c)), smp_cache_state_name(state));
		print_diags(d);
	}
	CU_ASSERT_EQUAL(rc, SMP_OK);
	CU_ASSERT_EQUAL(smp_policy_cache_state(c), state);
	CU_ASSERT_EQUAL(smp_diags_count(d), 0);   /* a miss is silent */
	CU_ASSERT_PTR_NOT_NULL(p);
	if (c != NULL && p != NULL && make_grid(&gr, p, g, 1)) {
		compare_all(&t, c, p, &gr);
		CU_ASSERT_EQUAL(t.mismatches, 0);
	}
	smp_diags_free(d);
	smp_policy_free(c);
	smp_policy_free(p);
}

/* Compile a fresh cache of pl (and see it used). */
static void compile(const struct place *pl, const struct gen *g)
{
	smp_policy *p = parse(pl->conf);

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(write_cache(p), SMP_OK);
	smp_policy_free(p);
	expect_state(pl, g, SMP_CACHE_USED, "freshly compiled");
}

/* Overwrite the first `from` in path with `to` (as long) in place, and put
 * the file's times back: same size, same mtime to the nanosecond. */
static bool edit_in_place(const char *path, const char *from, const char *to)
{
	struct stat st;
	struct timespec ts[2];
	size_t len;
	char *text = read_text(path, &len), *at;
	int fd;
	bool ok;

	if (text == NULL || stat(path, &st) != 0 || strlen(from) != strlen(to) ||
	    (at = strstr(text, from)) == NULL) {
		free(text);
		return false;
	}
	fd = open(path, O_WRONLY | O_CLOEXEC);
	ok = fd >= 0 && pwrite(fd, to, strlen(to), at - text) == (ssize_t)strlen(to);
	ts[0] = st.st_atim;
	ts[1] = st.st_mtim;
	ok = ok && futimens(fd, ts) == 0;
	if (fd >= 0)
		close(fd);
	free(text);
	return ok && stat(path, &st) == 0 && (size_t)st.st_size == len &&
	       st.st_mtim.tv_sec == ts[1].tv_sec && st.st_mtim.tv_nsec == ts[1].tv_nsec;
}

/* An in-place edit of path makes the cache stale, and the load follows the
 * new bytes; the edit is one a policy shows (the parses differ); put back,
 * the cache is used again. */
static void stale_by_edit(const struct place *pl, const struct gen *g, const char *path,
                          const char *from, const char *to)
{
	static struct grid gr;
	struct tally t = { .quiet = true };
	smp_policy *before, *after;

	compile(pl, g);
	before = parse(pl->conf);
	CU_ASSERT_FATAL(edit_in_place(path, from, to));
	expect_state(pl, g, SMP_CACHE_STALE, to);
	after = parse(pl->conf);
	CU_ASSERT_FATAL(before != NULL && after != NULL && make_grid(&gr, after, g, 2));
	compare_all(&t, before, after, &gr);
	printf("\n  %-40s in %-12s: %5lu answers differ", to, strrchr(path, '/') + 1,
	       t.mismatches);
	CU_ASSERT(t.mismatches > 0);
	smp_policy_free(before);
	smp_policy_free(after);
	CU_ASSERT_FATAL(edit_in_place(path, to, from));
	expect_state(pl, g, SMP_CACHE_USED, "the bytes put back");
}

static bool copy_file(const char *from, const char *to, mode_t mode)
{
	size_t len;
	char *text = read_text(from, &len);
	bool ok = text != NULL && write_text(to, text, len, mode);

	free(text);
	return ok;
}

/* The load with the cache fails exactly as the parse does: the same status,
 * the same diagnostics (but for warnings about the cache itself when
 * cache_warns: the cache is refused then too). */
static void fails_as_parse(const struct place *pl, smp_status expected, bool cache_warns)
{
	smp_diags *dc = NULL, *dp = NULL;
	smp_status rc, rp;
	smp_policy *c = load(pl->conf, LOAD_FLAGS, &rc, &dc);
	smp_policy *p = load(pl->conf, LOAD_FLAGS | SMP_LOAD_NO_CACHE, &rp, &dp);
	size_t k = 0, warned = 0;

	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_PTR_NULL(p);
	CU_ASSERT_EQUAL(rc, expected);
	CU_ASSERT_EQUAL(rp, expected);
	for (size_t i = 0; i < smp_diags_count(dc); i++) {
		const struct smp_diag *x = smp_diags_get(dc, i), *y = smp_diags_get(dp, k);

		if (cache_warns && x->severity == SMP_SEV_WARNING && same_str(x->file, pl->cache)) {
			warned++;
			continue;
		}
		CU_ASSERT(y != NULL && same_str(x->file, y->file) && x->line == y->line &&
		          x->severity == y->severity && same_str(x->subject, y->subject) &&
		          same_str(x->message, y->message));
		k++;
	}
	CU_ASSERT_EQUAL(k, smp_diags_count(dp));
	CU_ASSERT(k > 0);
	CU_ASSERT_EQUAL(warned, cache_warns ? 1 : 0);
	if (rc != expected || rp != expected) {
		fprintf(stderr, "\n  expected %s; with the cache %s:\n", smp_status_string(expected),
		        smp_status_string(rc));
		print_diags(dc);
		fprintf(stderr, "  parsed, %s:\n", smp_status_string(rp));
		print_diags(dp);
	}
	smp_diags_free(dc);
	smp_diags_free(dp);
	smp_policy_free(c);
	smp_policy_free(p);
}

/* ---- b. staleness --------------------------------------------------------- */

static void test_stale_edits(void)
{
	static struct gen g;
	struct place pl;

	hand_world(&pl, &g);
	expect_state(&pl, &g, SMP_CACHE_ABSENT, "no cache yet");
	/* one byte of each file, in place, same size, same mtime */
	stale_by_edit(&pl, &g, pl.conf, "warn_days = 14", "warn_days = 15");
	stale_by_edit(&pl, &g, pl.rec[0], "password_escrowed = \"2026-01-01Z\"",
	              "password_escrowed = \"2026-01-02Z\"");
	stale_by_edit(&pl, &g, pl.rec[1], "expires = \"2026-06-30T17:00\"",
	              "expires = \"2026-06-20T17:00\"");
	/* a byte of a comment-free file that changes only a name */
	stale_by_edit(&pl, &g, pl.conf, "Office One", "Office 0ne");
	printf("\n");
	rm_tree(pl.dir);
}

/* A policy loaded, its files changed, then its cache written: the cache
 * holds the old digests, and is stale, never wrong. */
static void test_stale_written_late(void)
{
	static struct gen g;
	struct place pl;
	smp_policy *p;

	hand_world(&pl, &g);
	p = parse(pl.conf);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_FATAL(edit_in_place(pl.rec[1], "expires = \"2026-06-30T17:00\"",
	                              "expires = \"2026-06-20T17:00\""));
	CU_ASSERT_EQUAL(write_cache(p), SMP_OK);
	smp_policy_free(p);
	expect_state(&pl, &g, SMP_CACHE_STALE, "written after the files changed");
	rm_tree(pl.dir);
}

static void test_stale_content_not_inode(void)
{
	static struct gen g;
	struct place pl;
	char tmp[300], real[300];
	struct stat before, after;

	hand_world(&pl, &g);
	compile(&pl, &g);
	/* replaced by rename with identical bytes: a new inode, the same bytes */
	snprintf(tmp, sizeof(tmp), "%s/more.conf.new", pl.dir);
	CU_ASSERT_FATAL(stat(pl.rec[1], &before) == 0);
	CU_ASSERT_FATAL(copy_file(pl.rec[1], tmp, 0644));
	CU_ASSERT_FATAL(rename(tmp, pl.rec[1]) == 0);
	CU_ASSERT_FATAL(stat(pl.rec[1], &after) == 0);
	CU_ASSERT(before.st_ino != after.st_ino);
	expect_state(&pl, &g, SMP_CACHE_USED, "replaced by rename, same bytes");
	/* the settings file too */
	snprintf(tmp, sizeof(tmp), "%s/smpolicy.conf.new", pl.dir);
	CU_ASSERT_FATAL(copy_file(pl.conf, tmp, 0644));
	CU_ASSERT_FATAL(rename(tmp, pl.conf) == 0);
	expect_state(&pl, &g, SMP_CACHE_USED, "settings replaced by rename, same bytes");
	/* a symbolic link (ours) to a copy with the same bytes */
	snprintf(real, sizeof(real), "%s/records-real.conf", pl.dir);
	CU_ASSERT_FATAL(copy_file(pl.rec[0], real, 0644));
	CU_ASSERT_FATAL(unlink(pl.rec[0]) == 0 && symlink("records-real.conf", pl.rec[0]) == 0);
	expect_state(&pl, &g, SMP_CACHE_USED, "a link to the same bytes");
	/* the same size, other bytes, older mtime */
	CU_ASSERT_FATAL(edit_in_place(real, "\"w9\"", "\"w8\""));
	expect_state(&pl, &g, SMP_CACHE_STALE, "the link's target edited");
	rm_tree(pl.dir);
}

static void test_stale_moved(void)
{
	static struct gen g;
	struct place pl, moved;

	hand_world(&pl, &g);
	compile(&pl, &g);
	moved = pl;
	snprintf(moved.dir, sizeof(moved.dir), "%.180s-moved", pl.dir);
	place_paths(&moved);
	CU_ASSERT_FATAL(rename(pl.dir, moved.dir) == 0);
	expect_state(&moved, &g, SMP_CACHE_STALE, "the folder moved");
	/* and back where it was compiled: fresh again */
	CU_ASSERT_FATAL(rename(moved.dir, pl.dir) == 0);
	expect_state(&pl, &g, SMP_CACHE_USED, "the folder moved back");
	rm_tree(pl.dir);
}

static void test_stale_deleted(void)
{
	static struct gen g;
	struct place pl;
	size_t len;
	char *saved;

	hand_world(&pl, &g);
	compile(&pl, &g);
	saved = read_text(pl.rec[1], &len);
	CU_ASSERT_FATAL(saved != NULL && unlink(pl.rec[1]) == 0);
	fails_as_parse(&pl, SMP_ERR_IO, false);
	/* back: the same bytes, the cache is good again */
	CU_ASSERT_FATAL(write_text(pl.rec[1], saved, len, 0644));
	expect_state(&pl, &g, SMP_CACHE_USED, "the file restored");
	free(saved);
	rm_tree(pl.dir);
}

static void test_stale_insecure(void)
{
	static struct gen g;
	struct place pl;

	hand_world(&pl, &g);
	compile(&pl, &g);
	/* writable by the group after compiling: refused, as by the parse */
	CU_ASSERT_FATAL(chmod(pl.rec[1], 0664) == 0);
	fails_as_parse(&pl, SMP_ERR_INSECURE, false);
	CU_ASSERT_FATAL(chmod(pl.rec[1], 0644) == 0);
	expect_state(&pl, &g, SMP_CACHE_USED, "records mode restored");
	CU_ASSERT_FATAL(chmod(pl.rec[0], 0646) == 0);
	fails_as_parse(&pl, SMP_ERR_INSECURE, false);
	CU_ASSERT_FATAL(chmod(pl.rec[0], 0644) == 0);
	CU_ASSERT_FATAL(chmod(pl.conf, 0664) == 0);
	fails_as_parse(&pl, SMP_ERR_INSECURE, false);
	CU_ASSERT_FATAL(chmod(pl.conf, 0644) == 0);
	expect_state(&pl, &g, SMP_CACHE_USED, "settings mode restored");
	/* the folder writable by the group: the cache in it is refused too */
	CU_ASSERT_FATAL(chmod(pl.dir, 0770) == 0);
	fails_as_parse(&pl, SMP_ERR_INSECURE, true);
	CU_ASSERT_FATAL(chmod(pl.dir, 0700) == 0);
	/* owned by someone else */
	if (geteuid() == 0) {
		CU_ASSERT_FATAL(chown(pl.rec[1], NOBODY, NOBODY) == 0);
		fails_as_parse(&pl, SMP_ERR_INSECURE, false);
		CU_ASSERT_FATAL(chown(pl.rec[1], 0, 0) == 0);
	} else {
		printf("\n  (not root: a records file owned by another user is not tried)\n");
	}
	/* a link to the same bytes in a folder anyone may write */
	{
		char ins[300], target[330];

		snprintf(ins, sizeof(ins), "%s/open", pl.dir);
		snprintf(target, sizeof(target), "%s/more.conf", ins);
		CU_ASSERT_FATAL(mkdir(ins, 0700) == 0 && chmod(ins, 0777) == 0);
		CU_ASSERT_FATAL(copy_file(pl.rec[1], target, 0644));
		CU_ASSERT_FATAL(unlink(pl.rec[1]) == 0 && symlink("open/more.conf", pl.rec[1]) == 0);
		fails_as_parse(&pl, SMP_ERR_INSECURE, false);
	}
	rm_tree(pl.dir);
}

/* ---- c. zones: each in a child process with its own TZ ------------------ */

struct zone_report {
	int done;                   /* 1 when the child got to the end */
	smp_status rc;
	smp_cache_state state;
	size_t nzone;               /* of the parse in the child */
	unsigned long decisions, mismatches;
};

struct zone_job {
	const struct place *pl;
	const struct gen *g;
	bool write;                 /* compile the cache (else: load and compare) */
};

static void zone_child(const struct zone_job *job, struct zone_report *r)
{
	static struct grid gr;
	struct tally t = { 0 };
	smp_policy *p = parse(job->pl->conf), *c;

	if (p == NULL)
		return;
	r->nzone = p->nzone;
	if (job->write) {
		r->rc = write_cache(p);
		r->done = 1;
		smp_policy_free(p);
		return;
	}
	c = load(job->pl->conf, LOAD_FLAGS, &r->rc, NULL);
	r->state = smp_policy_cache_state(c);
	if (c != NULL && make_grid(&gr, p, job->g, 1)) {
		compare_all(&t, c, p, &gr);
		r->decisions = t.decisions;
		r->mismatches = t.mismatches;
		r->done = 1;
	}
	smp_policy_free(c);
	smp_policy_free(p);
}

/* Run job in a child whose TZ is tz; its report in *r. */
static bool in_zone(const char *tz, const struct zone_job *job, struct zone_report *r)
{
	int fds[2], status = 0;
	pid_t pid;
	ssize_t got;

	memset(r, 0, sizeof(*r));
	if (pipe(fds) != 0)
		return false;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0) {
		struct zone_report mine = { 0 };

		close(fds[0]);
		if (setenv("TZ", tz, 1) != 0)
			_exit(3);
		tzset();
		zone_child(job, &mine);
		if (write(fds[1], &mine, sizeof(mine)) != (ssize_t)sizeof(mine))
			_exit(4);
		fflush(stdout);
		fflush(stderr);
		_exit(0);
	}
	close(fds[1]);
	got = read(fds[0], r, sizeof(*r));
	close(fds[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
	    got != (ssize_t)sizeof(*r) || !r->done) {
		fprintf(stderr, "\n  the child in %s failed (status 0x%x)\n", tz, (unsigned)status);
		return false;
	}
	return true;
}

/* Compile pl under TZ=writer_tz, then load it under tz: the state must be
 * `state`, and the policy that of a parse in tz. */
static void zone_case(const struct place *pl, const struct gen *g, const char *writer_tz,
                      const char *tz, smp_cache_state state, const char *what)
{
	struct zone_job w = { pl, g, true }, job = { pl, g, false };
	struct zone_report r;

	unlink(pl->cache);
	CU_ASSERT_FATAL(in_zone(writer_tz, &w, &r));
	CU_ASSERT_EQUAL(r.rc, SMP_OK);
	CU_ASSERT_FATAL(in_zone(tz, &job, &r));
	printf("\n  %-34s written in %-4s read in %-19s %-6s (zone answers %4zu), "
	       "%6lu decisions, %lu differ", what, writer_tz, tz, smp_cache_state_name(r.state),
	       r.nzone, r.decisions, r.mismatches);
	CU_ASSERT_EQUAL(r.rc, SMP_OK);
	CU_ASSERT_EQUAL(r.state, state);
	CU_ASSERT_EQUAL(r.mismatches, 0);
	CU_ASSERT(r.decisions > 0);
}

static void test_zone_local_times(void)
{
	static struct gen g, winter;
	const struct gen_opts wo = { .winter = true, .nfiles = 2 };
	struct place pl, pw;

	hand_world(&pl, &g);
	zone_case(&pl, &g, "UTC", "UTC", SMP_CACHE_USED, "local times");
	zone_case(&pl, &g, "UTC", "America/New_York", SMP_CACHE_STALE, "local times");
	zone_case(&pl, &g, "America/New_York", "America/New_York", SMP_CACHE_USED, "local times");
	zone_case(&pl, &g, "UTC", "Europe/London", SMP_CACHE_STALE, "local times, summer too");
	/* another name, the same answers: London is on UTC all winter */
	gen_world(&winter, SEED0 + 0x100, &wo);
	CU_ASSERT_FATAL(place_new(&pw) && place_write(&pw, &winter));
	zone_case(&pw, &winter, "UTC", "Europe/London", SMP_CACHE_USED, "local times, winter only");
	zone_case(&pw, &winter, "UTC", "UTC0", SMP_CACHE_USED, "local times, winter only");
	zone_case(&pw, &winter, "UTC", "America/New_York", SMP_CACHE_STALE, "local times, winter only");
	printf("\n");
	gen_free(&winter);
	rm_tree(pl.dir);
	rm_tree(pw.dir);
}

/*
 * Every time in the records with Z or an offset: the parse asks the zone
 * nothing for them (time_parse_memo), but a long-term approval with a
 * start lapses long_term_max_days later on the local calendar
 * (time_add_days in validate.c), which asks the zone.  So such a world is
 * stale in another zone; one whose approvals are all limited asks nothing
 * and is used in any zone.  Either way the answers are the parse's there.
 */
static void test_zone_offsets(void)
{
	static struct gen lt, lim;
	const struct gen_opts lo = { .offsets = true, .nfiles = 2 };
	const struct gen_opts li = { .offsets = true, .no_lt_start = true, .nfiles = 3 };
	struct place pl, pm;
	smp_policy *p;

	gen_world(&lt, SEED0 + 0x200, &lo);
	CU_ASSERT_FATAL(place_new(&pl) && place_write(&pl, &lt));
	p = parse(pl.conf);
	CU_ASSERT_FATAL(p != NULL);
	CU_ASSERT(p->nzone > 0);   /* long_term_max_days asked the zone */
	smp_policy_free(p);
	zone_case(&pl, &lt, "UTC", "UTC", SMP_CACHE_USED, "offsets, long-term starts");
	zone_case(&pl, &lt, "UTC", "America/New_York", SMP_CACHE_STALE, "offsets, long-term starts");

	gen_world(&lim, SEED0 + 0x300, &li);
	CU_ASSERT_FATAL(place_new(&pm) && place_write(&pm, &lim));
	p = parse(pm.conf);
	CU_ASSERT_FATAL(p != NULL);
	CU_ASSERT_EQUAL(p->nzone, 0);   /* nothing asked of the zone */
	smp_policy_free(p);
	zone_case(&pm, &lim, "UTC", "America/New_York", SMP_CACHE_USED, "offsets, limited only");
	zone_case(&pm, &lim, "UTC", "Pacific/Apia", SMP_CACHE_USED, "offsets, limited only");
	zone_case(&pm, &lim, "America/New_York", "UTC", SMP_CACHE_USED, "offsets, limited only");
	printf("\n");
	gen_free(&lt);
	gen_free(&lim);
	rm_tree(pl.dir);
	rm_tree(pm.dir);
}

/* ---- d. damaged images --------------------------------------------------- */

/* The parse of the hand world and its cache image (malloc'd). */
static char *hand_image(struct place *pl, struct gen *g, smp_policy **p, size_t *size)
{
	const char *why = NULL;
	char *img = NULL;

	hand_world(pl, g);
	*p = parse(pl->conf);
	CU_ASSERT_PTR_NOT_NULL_FATAL(*p);
	CU_ASSERT_EQUAL_FATAL(cache_image(*p, &img, size, &why), SMP_OK);
	CU_ASSERT_FATAL(img != NULL && *size > sizeof(struct cache_header));
	return img;
}

/* Read n bytes of data from a buffer of exactly n bytes (so that the
 * sanitizers see a read past them). */
static smp_policy *read_exact_copy(const char *data, size_t n, smp_cache_state *st,
                                   const char **why)
{
	char *copy = malloc(n ? n : 1);
	smp_policy *q = NULL;

	CU_ASSERT_FATAL(copy != NULL);
	memcpy(copy, data, n);
	*st = SMP_CACHE_USED;
	*why = NULL;
	CU_ASSERT_EQUAL(cache_image_read(copy, n, &q, st, why), SMP_OK);
	free(copy);
	return q;
}

static void fix_digest(char *img, size_t size)
{
	struct cache_header h;
	XXH128_hash_t d;

	memcpy(&h, img, sizeof(h));
	d = XXH3_128bits(img + sizeof(h), size - sizeof(h));
	h.digest_lo = d.low64;
	h.digest_hi = d.high64;
	memcpy(img, &h, sizeof(h));
}

/*
 * What the walk promises of a policy it takes: every index in range, every
 * flag a bool, every list in order.  Checked here from outside, so that a
 * walk that checks a value and then lets it change (an index list lying
 * over a pointer the walk converts later) is caught without a crash.
 * Returns the first broken promise, or NULL.
 */
static bool is_bool(const bool *b)
{
	unsigned char c;

	memcpy(&c, b, 1);
	return c <= 1;
}

static const char *policy_broken(const smp_policy *q)
{
	for (size_t i = 0; i < q->nplatforms; i++)
		if (!is_bool(&q->platforms[i].mobile_only) || !is_bool(&q->platforms[i].private_messaging))
			return "a platform's flag";
	for (size_t i = 0; i < q->noffices; i++)
		for (size_t k = 0; k < q->offices[i].napprovals; k++)
			if (q->offices[i].approvals[k] >= q->napprovals)
				return "an office's approval index";
	for (size_t i = 0; i < q->nstaff; i++) {
		const struct staff *s = &q->staff[i];

		if (s->office >= q->noffices || (s->supervisor != NONE && s->supervisor >= q->nstaff))
			return "a staff member's office or supervisor";
		for (size_t k = 0; k < s->napprovals; k++)
			if (s->approvals[k] >= q->napprovals)
				return "a staff member's approval index";
		for (size_t k = 0; k < s->naccounts; k++)
			if (s->accounts[k] >= q->naccounts)
				return "a staff member's account index";
		if (s->platform_start[0] != 0)
			return "a staff member's per-platform lists";
		for (size_t k = 0; k < q->nplatforms; k++)
			if (s->platform_start[k] > s->platform_start[k + 1])
				return "a staff member's per-platform lists";
		for (size_t k = 0; k < s->platform_start[q->nplatforms]; k++)
			if (s->by_platform[k].approval >= q->napprovals)
				return "a staff member's per-platform approval index";
	}
	for (size_t i = 0; i < q->ndevices; i++) {
		const struct device *dv = &q->devices[i];

		if ((unsigned)dv->kind > DEV_MOBILE || !is_bool(&dv->dcf_owned) ||
		    (dv->office != NONE && dv->office >= q->noffices))
			return "a device";
		for (size_t k = 0; k < dv->napps; k++)
			if (dv->apps[k] >= q->nplatforms)
				return "a device's app";
	}
	for (size_t i = 0; i < q->naccounts; i++) {
		const struct account *a = &q->accounts[i];

		if (a->platform >= q->nplatforms || a->holder >= q->nstaff ||
		    (a->supervisor != NONE && a->supervisor >= q->nstaff) || !is_bool(&a->official) ||
		    !is_bool(&a->personal_info) || !is_bool(&a->password_changed.set) ||
		    !is_bool(&a->password_escrowed.set) || !is_bool(&a->compromised_reported.set) ||
		    !is_bool(&a->compromised_resolved.set))
			return "an account";
	}
	for (size_t i = 0; i < q->napprovals; i++) {
		const struct approval *a = &q->approvals[i];

		if (a->staff >= q->nstaff || (unsigned)a->kind > KIND_LIMITED ||
		    (a->requested_by != NONE && a->requested_by >= q->nstaff) ||
		    !is_bool(&a->cpp.present) || !is_bool(&a->it.present) ||
		    !is_bool(&a->revoked.present) || !is_bool(&a->capped) ||
		    !is_bool(&a->capped_at_max) || !is_bool(&a->starts.set) ||
		    !is_bool(&a->expires.set) || !is_bool(&a->requested.set))
			return "an approval";
		if ((a->cpp.present && a->cpp.by >= q->nstaff) || (a->it.present && a->it.by >= q->nstaff) ||
		    (a->revoked.by != NONE && a->revoked.by >= q->nstaff))
			return "an approval's signer or revoker";
		for (size_t k = 0; k < a->nplatforms; k++)
			if (a->platforms[k] >= q->nplatforms || a->platform_ids[k] == NULL)
				return "an approval's platform";
	}
	{
		const struct idmap *ix[] = { &q->platform_ix, &q->office_ix, &q->staff_ix,
		                             &q->device_ix, &q->account_ix, &q->approval_ix };
		const size_t n[] = { q->nplatforms, q->noffices, q->nstaff, q->ndevices, q->naccounts,
		                     q->napprovals };

		for (size_t m = 0; m < 6; m++)
			for (size_t k = 0; ix[m]->slot != NULL && k <= ix[m]->mask; k++)
				if (ix[m]->slot[k].key != NULL && ix[m]->slot[k].idx >= n[m])
					return "an id index";
	}
	return NULL;
}

/* An image of the hand world changed by hand where a forger would (the
 * digest made to match): each must be refused. */
struct forged {
	smp_policy root;          /* the image's own struct, its pointers offsets */
	char *img;                /* after the header */
	size_t size;
};

static void *at_off(struct forged *f, const void *offset_field, size_t add)
{
	uint64_t v;

	memcpy(&v, offset_field, sizeof(v));
	CU_ASSERT_FATAL(v != 0 && v + add < f->size);
	return f->img + v + add;
}

static void forge_and_read(const char *img, size_t size, const char *what,
                           void (*change)(struct forged *f, uint32_t w1))
{
	char *copy = malloc(size);
	struct forged f;
	smp_cache_state st;
	const char *why, *broken;
	smp_policy *q;

	CU_ASSERT_FATAL(copy != NULL);
	memcpy(copy, img, size);
	f.img = copy + sizeof(struct cache_header);
	f.size = size - sizeof(struct cache_header);
	memcpy(&f.root, f.img, sizeof(f.root));
	change(&f, 5);   /* w1 is the sixth staff member of WORLD_PEOPLE */
	fix_digest(copy, size);
	q = read_exact_copy(copy, size, &st, &why);
	broken = q != NULL ? policy_broken(q) : NULL;
	printf("\n  %-58s %s (%s)%s%s", what, smp_cache_state_name(st),
	       q != NULL ? "taken" : nz(why), broken ? ": broken: " : "", broken ? broken : "");
	CU_ASSERT_PTR_NULL(q);
	CU_ASSERT_EQUAL(st, SMP_CACHE_REJECTED);
	CU_ASSERT_PTR_NULL(broken);
	smp_policy_free(q);   /* frees the arena only: reads nothing */
	free(copy);
}

static void forge_nrecords(struct forged *f, uint32_t w1)
{
	size_t n = SIZE_MAX;

	(void)w1;
	memcpy(f->img + offsetof(smp_policy, nrecords), &n, sizeof(n));
}

static void forge_naccounts(struct forged *f, uint32_t w1)
{
	struct staff *s = at_off(f, &f->root.staff, w1 * sizeof(struct staff));

	s->naccounts = SIZE_MAX / 2;
}

static void forge_office_index(struct forged *f, uint32_t w1)
{
	struct staff *s = at_off(f, &f->root.staff, w1 * sizeof(struct staff));

	s->office = 7;
}

static void forge_flag(struct forged *f, uint32_t w1)
{
	struct account *a = at_off(f, &f->root.accounts, 0);

	(void)w1;
	memset(&a->official, 2, 1);
}

static void forge_mask(struct forged *f, uint32_t w1)
{
	size_t m = SIZE_MAX;

	(void)w1;
	memcpy(f->img + offsetof(smp_policy, staff_ix) + offsetof(struct idmap, mask), &m, sizeof(m));
}

static void forge_far_time(struct forged *f, uint32_t w1)
{
	struct approval *a = at_off(f, &f->root.approvals, 0);

	(void)w1;
	a->end = (int64_t)1 << 50;     /* valid_until - at would overflow near the ends */
}

static void forge_period(struct forged *f, uint32_t w1)
{
	struct approval *a = at_off(f, &f->root.approvals, 0);

	(void)w1;
	a->valid.to = INT64_MIN + 5;
}

static void forge_string_end(struct forged *f, uint32_t w1)
{
	/* the config path points at the image's last byte, which is not NUL */
	uint64_t last = f->size - 1;

	(void)w1;
	f->img[last] = 'x';
	memcpy(f->img + offsetof(smp_policy, config_path), &last, sizeof(last));
}

/* w1's list of held accounts lies over the bytes of accounts[0].handle,
 * an offset of 1 (an empty string: the image's first bytes are zero) and
 * 0: two indexes in range when the walk checks them (walk_staff), then
 * the walk turns that handle into a pointer (walk_accounts) and the list
 * holds the halves of an address. */
static void forge_overlap(struct forged *f, uint32_t w1)
{
	struct staff *s = at_off(f, &f->root.staff, w1 * sizeof(struct staff));
	struct account *a = at_off(f, &f->root.accounts, 0);
	uint64_t one = 1, field;

	memcpy(&field, &f->root.accounts, sizeof(field));
	field += offsetof(struct account, handle);
	memcpy(&a->handle, &one, sizeof(one));
	memcpy(&s->accounts, &field, sizeof(field));
	s->naccounts = 2;
}

static void test_image_forged(void)
{
	struct place pl;
	struct gen *g = calloc(1, sizeof(*g));
	smp_policy *p;
	size_t size;
	char *img;

	CU_ASSERT_FATAL(g != NULL);
	img = hand_image(&pl, g, &p, &size);
	CU_ASSERT_FATAL(policy_find_staff(p, "w1") == 5);
	forge_and_read(img, size, "nrecords SIZE_MAX", forge_nrecords);
	forge_and_read(img, size, "a staff member's naccounts SIZE_MAX / 2", forge_naccounts);
	forge_and_read(img, size, "a staff member's office out of range", forge_office_index);
	forge_and_read(img, size, "a flag of 2", forge_flag);
	forge_and_read(img, size, "an id index mask SIZE_MAX", forge_mask);
	forge_and_read(img, size, "an approval ending in 2^50 s", forge_far_time);
	forge_and_read(img, size, "an approval's period not its own", forge_period);
	forge_and_read(img, size, "a string running to the image's end", forge_string_end);
	forge_and_read(img, size, "an index list lying over a pointer converted later",
	               forge_overlap);
	printf("\n");
	free(img);
	free(g);
	smp_policy_free(p);
	rm_tree(pl.dir);
}

static void test_header_layout(void)
{
	static struct gen g;
	struct place pl;
	struct cache_header h;
	smp_policy *p, *q;
	size_t size, flen;
	char *img = hand_image(&pl, &g, &p, &size), *file;
	XXH128_hash_t d;
	smp_cache_state st;
	const char *why;

	memcpy(&h, img, sizeof(h));
	d = XXH3_128bits(img + sizeof(h), size - sizeof(h));
	CU_ASSERT(memcmp(h.magic, "SMPCACH\n", 8) == 0);
	CU_ASSERT_EQUAL(h.image_size, size - sizeof(h));
	CU_ASSERT(h.digest_lo == d.low64 && h.digest_hi == d.high64);
	CU_ASSERT_EQUAL(h.zero, 0);
	CU_ASSERT(strnlen(h.build, sizeof(h.build)) > 0 &&
	          strnlen(h.build, sizeof(h.build)) < sizeof(h.build));
	printf("\n  image of the hand world: %zu bytes, build \"%s\"\n", size, h.build);
	/* the file the writer makes holds exactly these bytes */
	CU_ASSERT_EQUAL(write_cache(p), SMP_OK);
	file = read_text(pl.cache, &flen);
	CU_ASSERT(file != NULL && flen == size && memcmp(file, img, size) == 0);
	/* and reads back whole */
	q = read_exact_copy(img, size, &st, &why);
	CU_ASSERT_EQUAL(st, SMP_CACHE_USED);
	CU_ASSERT_PTR_NOT_NULL(q);
	smp_policy_free(q);
	free(file);
	free(img);
	smp_policy_free(p);
	rm_tree(pl.dir);
}

static void test_image_truncated(void)
{
	static struct gen g;
	struct place pl;
	smp_policy *p;
	size_t size, bad = 0, tried = 0;
	char *img = hand_image(&pl, &g, &p, &size), *longer;

	for (size_t n = 0; n < size; n = step(n, sizeof(struct cache_header) + sizeof(smp_policy))) {
		smp_cache_state st;
		const char *why;
		smp_policy *q = read_exact_copy(img, n, &st, &why);

		tried++;
		if (q != NULL || st != SMP_CACHE_REJECTED || why == NULL) {
			if (bad++ < MAX_SHOWN)
				fprintf(stderr, "\n  cut to %zu bytes: %s (%s)", n,
				        smp_cache_state_name(st), nz(why));
		}
		smp_policy_free(q);
	}
	/* and with bytes after it */
	longer = calloc(1, size + 16);
	CU_ASSERT_FATAL(longer != NULL);
	memcpy(longer, img, size);
	for (size_t n = size + 1; n <= size + 16; n++) {
		smp_cache_state st;
		const char *why;
		smp_policy *q = read_exact_copy(longer, n, &st, &why);

		bad += q != NULL || st != SMP_CACHE_REJECTED;
		smp_policy_free(q);
	}
	printf("\n  %zu lengths of %zu tried, %zu not rejected\n", tried + 16, size + 16, bad);
	CU_ASSERT_EQUAL(bad, 0);
	free(longer);
	free(img);
	smp_policy_free(p);
	rm_tree(pl.dir);
}

/* What a change of one byte at off must make of the image, by the header's
 * fields: REJECTED (magic, size, digest, and anywhere in the image, which
 * the digest covers), STALE (format, byte order, build id up to its NUL,
 * sizes), or nothing at all (the build id's padding after its NUL and the
 * zero field, which header_fault() does not read). */
static int flip_expect(size_t off, size_t build_len)
{
	if (off >= sizeof(struct cache_header))
		return SMP_CACHE_REJECTED;
	if (off < offsetof(struct cache_header, format))
		return SMP_CACHE_REJECTED;
	if (off < offsetof(struct cache_header, build) + build_len + 1)
		return SMP_CACHE_STALE;
	if (off < offsetof(struct cache_header, sizes))
		return SMP_CACHE_USED;     /* the build id's padding */
	if (off < offsetof(struct cache_header, image_size))
		return SMP_CACHE_STALE;
	if (off < offsetof(struct cache_header, zero))
		return SMP_CACHE_REJECTED;
	return SMP_CACHE_USED;         /* the zero field */
}

static void test_image_flipped(void)
{
	static struct gen g;
	static struct grid gr;
	struct place pl;
	struct tally t = { 0 };
	smp_policy *p;
	size_t size, bad = 0, used = 0, tried = 0, by[SMP_CACHE_REJECTED + 1] = { 0 }, build_len;
	char *img = hand_image(&pl, &g, &p, &size), *copy = malloc(size);

	CU_ASSERT_FATAL(copy != NULL && make_grid(&gr, p, &g, 1));
	thin_grid(&gr, 12);
	build_len = strnlen(img + offsetof(struct cache_header, build), 80);
	for (size_t off = 0; off < size; off = step(off, sizeof(struct cache_header) + sizeof(smp_policy))) {
		tried++;
		for (int v = 0; v < 2; v++) {
			unsigned char x = v == 0 ? (unsigned char)(1u << (off % 8)) : 0xff;
			smp_cache_state st;
			const char *why;
			smp_policy *q;
			int want = flip_expect(off, build_len);

			memcpy(copy, img, size);
			copy[off] ^= (char)x;
			q = read_exact_copy(copy, size, &st, &why);
			by[st <= SMP_CACHE_REJECTED ? st : 0]++;
			if ((int)st != want || (q == NULL) != (want != SMP_CACHE_USED)) {
				if (bad++ < MAX_SHOWN)
					fprintf(stderr, "\n  byte %zu ^ 0x%02x: %s (%s), expected %s", off, x,
					        smp_cache_state_name(st), nz(why),
					        smp_cache_state_name((smp_cache_state)want));
			}
			if (q != NULL) {   /* unread bytes: the policy is the parse's */
				used++;
				compare_all(&t, q, p, &gr);
			}
			smp_policy_free(q);
		}
	}
	printf("\n  %zu of %zu bytes, 2 changes each: %zu rejected, %zu stale, %zu used (bytes the "
	       "header does not read); %zu unexpected; %lu decisions of the used compared, "
	       "%lu differ\n", tried, size, by[SMP_CACHE_REJECTED], by[SMP_CACHE_STALE], used, bad,
	       t.decisions, t.mismatches);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(t.mismatches, 0);
	free(copy);
	free(img);
	smp_policy_free(p);
	rm_tree(pl.dir);
}

/*
 * The digest fixed up after the change, so that the walk itself meets it.
 * A changed time, flag or string is a policy of its own, which may decide
 * otherwise: nothing says what it must decide.  What must hold: the reader
 * never crashes or reads outside the image (the sanitizers and valgrind
 * watch); an image it refuses is REJECTED with a reason; one it takes is
 * a policy every function can be asked about (compare_all asks each), and
 * one the writer can compile again into an image that reads back as the
 * same policy.  How many it takes, and how many of those decide as the
 * parse, is printed.
 */
static void test_image_flipped_digest_fixed(void)
{
	static struct gen g;
	static struct grid gr, gr2;
	struct place pl;
	struct tally t = { 0 }, again = { 0 };
	smp_policy *p;
	size_t size, tried = 0, rejected = 0, same = 0, other = 0, bad = 0, root;
	char *img = hand_image(&pl, &g, &p, &size), *copy = malloc(size);
	uint64_t rs = 0xf11b;

	CU_ASSERT_FATAL(copy != NULL && make_grid(&gr, p, &g, 1));
	thin_grid(&gr, 5);
	gr2 = gr;
	thin_grid(&gr2, 2);
	/* every byte of the policy's own struct, then a sample of the rest */
	root = sizeof(struct cache_header) + sizeof(smp_policy);
	for (size_t off = sizeof(struct cache_header); off < size;
	     off += off < root ? 1 : 1 + (size_t)below(&rs, lite() ? 40 : 8)) {
		for (int v = 0; v < (off < root ? 2 : 1); v++) {
			unsigned char x = v == 0 && chance(&rs, 75) ? (unsigned char)(1u << below(&rs, 8))
			                                            : 0xff;
			smp_cache_state st;
			const char *why;
			smp_policy *q, *q2;
			unsigned long before = t.mismatches;

			memcpy(copy, img, size);
			copy[off] ^= (char)x;
			fix_digest(copy, size);
			q = read_exact_copy(copy, size, &st, &why);
			tried++;
			if (q == NULL) {
				rejected++;
				if (st != SMP_CACHE_REJECTED || why == NULL)
					bad++;
				continue;
			}
			if (policy_broken(q) != NULL) {
				if (bad++ < MAX_SHOWN)
					fprintf(stderr, "\n  byte %zu ^ 0x%02x taken, broken: %s", off, x,
					        policy_broken(q));
				smp_policy_free(q);
				continue;
			}
			t.quiet = true;
			compare_all(&t, q, p, &gr);
			if (t.mismatches == before)
				same++;
			else
				other++;
			/* compiled again, it reads back as itself */
			{
				char *img2 = NULL;
				size_t size2 = 0;
				const char *why2 = NULL;

				if (cache_image(q, &img2, &size2, &why2) != SMP_OK) {
					if (bad++ < MAX_SHOWN)
						fprintf(stderr, "\n  byte %zu ^ 0x%02x taken, but not compiled again: %s",
						        off, x, nz(why2));
					smp_policy_free(q);
					continue;
				}
				q2 = read_exact_copy(img2, size2, &st, &why2);
				if (q2 == NULL) {
					if (bad++ < MAX_SHOWN)
						fprintf(stderr, "\n  byte %zu ^ 0x%02x taken, compiled again, refused: %s",
						        off, x, nz(why2));
				} else {
					again.quiet = true;
					compare_all(&again, q2, q, &gr2);
				}
				smp_policy_free(q2);
				free(img2);
			}
			smp_policy_free(q);
		}
	}
	printf("\n  %zu changes with the digest fixed: %zu rejected by the walk, %zu taken "
	       "(%zu deciding as the parse, %zu otherwise); %zu faults; compiled again: %lu of "
	       "%lu answers differ\n", tried, rejected, same + other, same, other, bad,
	       again.mismatches, again.decisions);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT(rejected > 0 && same > 0);
	/* Not asserted: a forged string may lie over a pointer field (e.g.
	 * byte 9 of the image moves config_path onto one), and then holds the
	 * bytes of an address, so the policy differs once compiled again.  The
	 * reader checks every string, index and list after it has made every
	 * pointer, so such a policy is still one the code can read safely; only
	 * root can write a cache (docs/SECURITY.md). */
	if (again.mismatches != 0)
		printf("  (a forged string over a pointer field: see docs/SECURITY.md)\n");
	free(copy);
	free(img);
	smp_policy_free(p);
	rm_tree(pl.dir);
}

/* ---- d. damaged or insecure cache files, through smp_policy_load --------- */

/* Load pl: the cache must be refused (REJECTED, one warning naming the
 * cache) or missed (STALE, silently), and the policy be the parse's. */
static void expect_refused(const struct place *pl, const struct gen *g, smp_cache_state state,
                           const char *what)
{
	static struct grid gr;
	struct tally t = { 0 };
	smp_diags *d = NULL;
	smp_status rc;
	smp_policy *c = load(pl->conf, LOAD_FLAGS, &rc, &d), *p = parse(pl->conf);
	const struct smp_diag *w = smp_diags_get(d, 0);
	size_t want = state == SMP_CACHE_REJECTED ? 1 : 0;

	printf("\n  %-46s %-8s %s", what, smp_cache_state_name(smp_policy_cache_state(c)),
	       w != NULL ? w->message : "");
	CU_ASSERT_EQUAL(rc, SMP_OK);
	CU_ASSERT_EQUAL(smp_policy_cache_state(c), state);
	CU_ASSERT_EQUAL(smp_diags_count(d), want);
	if (want == 1 && w != NULL) {
		CU_ASSERT_EQUAL(w->severity, SMP_SEV_WARNING);
		CU_ASSERT(same_str(w->file, pl->cache));
		CU_ASSERT_EQUAL(w->line, 0);
		CU_ASSERT(strstr(w->message, "compiled cache") != NULL);
	}
	if (c != NULL && p != NULL && make_grid(&gr, p, g, 1)) {
		thin_grid(&gr, 40);
		compare_all(&t, c, p, &gr);
		CU_ASSERT_EQUAL(t.mismatches, 0);
	}
	smp_diags_free(d);
	smp_policy_free(c);
	smp_policy_free(p);
}

/* Change the cache file's bytes: at off, xor x. */
static void poke_cache(const struct place *pl, size_t off, unsigned char x)
{
	size_t len;
	char *b = read_text(pl->cache, &len);

	CU_ASSERT_FATAL(b != NULL && off < len);
	b[off] ^= (char)x;
	CU_ASSERT_FATAL(write_text(pl->cache, b, len, 0644));
	free(b);
}

static void test_cache_file_refused(void)
{
	static struct gen g;
	struct place pl;
	char other[300], open_dir[300], target[330];
	size_t len;
	char *b;

	hand_world(&pl, &g);
	snprintf(other, sizeof(other), "%s/elsewhere.cache", pl.dir);
	snprintf(open_dir, sizeof(open_dir), "%s/open", pl.dir);
	snprintf(target, sizeof(target), "%s/smpolicy.conf.cache", open_dir);

	compile(&pl, &g);
	CU_ASSERT_FATAL(chmod(pl.cache, 0664) == 0);
	expect_refused(&pl, &g, SMP_CACHE_REJECTED, "writable by the group");
	compile(&pl, &g);
	CU_ASSERT_FATAL(chmod(pl.cache, 0646) == 0);
	expect_refused(&pl, &g, SMP_CACHE_REJECTED, "writable by others");

	/* links: followed as the records' are, so a link into a folder anyone
	 * may write is refused, and one of ours to a good cache is used */
	compile(&pl, &g);
	CU_ASSERT_FATAL(mkdir(open_dir, 0700) == 0 && chmod(open_dir, 0777) == 0);
	CU_ASSERT_FATAL(rename(pl.cache, target) == 0 &&
	                symlink("open/smpolicy.conf.cache", pl.cache) == 0);
	expect_refused(&pl, &g, SMP_CACHE_REJECTED, "a link into a folder anyone may write");
	CU_ASSERT_FATAL(unlink(pl.cache) == 0);
	compile(&pl, &g);
	CU_ASSERT_FATAL(rename(pl.cache, other) == 0 && symlink("elsewhere.cache", pl.cache) == 0);
	expect_refused(&pl, &g, SMP_CACHE_USED, "a link of ours to a good cache");
	if (geteuid() == 0) {
		CU_ASSERT_FATAL(lchown(pl.cache, NOBODY, NOBODY) == 0);
		expect_refused(&pl, &g, SMP_CACHE_REJECTED, "a link owned by someone else");
		CU_ASSERT_FATAL(unlink(pl.cache) == 0);
		compile(&pl, &g);
		CU_ASSERT_FATAL(chown(pl.cache, NOBODY, NOBODY) == 0);
		expect_refused(&pl, &g, SMP_CACHE_REJECTED, "owned by someone else");
	} else {
		printf("\n  (not root: a cache owned by another user is not tried)");
	}
	CU_ASSERT_FATAL(unlink(pl.cache) == 0);

	/* cut short, longer, damaged */
	compile(&pl, &g);
	b = read_text(pl.cache, &len);
	CU_ASSERT_FATAL(b != NULL);
	CU_ASSERT_FATAL(truncate(pl.cache, (off_t)len - 1) == 0);
	expect_refused(&pl, &g, SMP_CACHE_REJECTED, "one byte short");
	CU_ASSERT_FATAL(truncate(pl.cache, 100) == 0);
	expect_refused(&pl, &g, SMP_CACHE_REJECTED, "cut within the header");
	CU_ASSERT_FATAL(truncate(pl.cache, 0) == 0);
	expect_refused(&pl, &g, SMP_CACHE_REJECTED, "empty");
	CU_ASSERT_FATAL(write_text(pl.cache, b, len, 0644));
	CU_ASSERT_FATAL(truncate(pl.cache, (off_t)len + 16) == 0);
	expect_refused(&pl, &g, SMP_CACHE_REJECTED, "16 bytes too long");
	CU_ASSERT_FATAL(write_text(pl.cache, b, len, 0644));
	expect_refused(&pl, &g, SMP_CACHE_USED, "its bytes put back");
	poke_cache(&pl, 0, 0x20);
	expect_refused(&pl, &g, SMP_CACHE_REJECTED, "another magic");
	CU_ASSERT_FATAL(write_text(pl.cache, b, len, 0644));
	poke_cache(&pl, offsetof(struct cache_header, build) + 5, 0x01);
	expect_refused(&pl, &g, SMP_CACHE_STALE, "another build's (one character of its id)");
	CU_ASSERT_FATAL(write_text(pl.cache, b, len, 0644));
	poke_cache(&pl, offsetof(struct cache_header, format), 0x02);
	expect_refused(&pl, &g, SMP_CACHE_STALE, "another format");
	CU_ASSERT_FATAL(write_text(pl.cache, b, len, 0644));
	poke_cache(&pl, offsetof(struct cache_header, sizes) + 4, 0x08);
	expect_refused(&pl, &g, SMP_CACHE_STALE, "another record layout");
	CU_ASSERT_FATAL(write_text(pl.cache, b, len, 0644));
	poke_cache(&pl, len / 2, 0x10);
	expect_refused(&pl, &g, SMP_CACHE_REJECTED, "one byte of the image changed");
	CU_ASSERT_FATAL(write_text(pl.cache, b, len, 0644));
	poke_cache(&pl, offsetof(struct cache_header, digest_hi) + 7, 0x80);
	expect_refused(&pl, &g, SMP_CACHE_REJECTED, "one byte of the digest changed");
	free(b);

	/* not a regular file */
	CU_ASSERT_FATAL(unlink(pl.cache) == 0 && mkdir(pl.cache, 0700) == 0);
	expect_refused(&pl, &g, SMP_CACHE_REJECTED, "a folder");
	CU_ASSERT_FATAL(rmdir(pl.cache) == 0 && mkfifo(pl.cache, 0600) == 0);
	expect_refused(&pl, &g, SMP_CACHE_REJECTED, "a FIFO");
	CU_ASSERT_FATAL(unlink(pl.cache) == 0);
	expect_refused(&pl, &g, SMP_CACHE_ABSENT, "none");
	printf("\n");
	rm_tree(pl.dir);
}

/* ---- e. writing ------------------------------------------------------------ */

static mode_t mode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_mode & 07777 : (mode_t)-1;
}

static void test_write_mode(void)
{
	static struct gen g;
	struct place pl;
	char lock[300];

	hand_world(&pl, &g);
	snprintf(lock, sizeof(lock), "%s.lock", pl.cache);
	compile(&pl, &g);
	CU_ASSERT_EQUAL(mode_of(pl.cache), 0644);
	CU_ASSERT_EQUAL(mode_of(lock), 0600);
	/* the cache tells no one more than the files do */
	CU_ASSERT_FATAL(chmod(pl.rec[0], 0600) == 0 && chmod(pl.rec[1], 0600) == 0);
	compile(&pl, &g);
	CU_ASSERT_EQUAL(mode_of(pl.cache), 0600);
	CU_ASSERT_FATAL(chmod(pl.conf, 0640) == 0 && chmod(pl.rec[0], 0444) == 0 &&
	                chmod(pl.rec[1], 0644) == 0);
	compile(&pl, &g);
	CU_ASSERT_EQUAL(mode_of(pl.cache), 0440);
	CU_ASSERT_FATAL(chmod(pl.rec[1], 0400) == 0);
	compile(&pl, &g);
	CU_ASSERT_EQUAL(mode_of(pl.cache), 0400);
	/* and it follows them: a cache with other permissions than the files
	 * would give it now is stale, whichever way they changed */
	CU_ASSERT_FATAL(chmod(pl.conf, 0644) == 0 && chmod(pl.rec[0], 0644) == 0 &&
	                chmod(pl.rec[1], 0644) == 0);
	compile(&pl, &g);
	CU_ASSERT_FATAL(chmod(pl.rec[1], 0640) == 0);
	expect_state(&pl, &g, SMP_CACHE_STALE, "records made 0640 after compiling");
	compile(&pl, &g);
	CU_ASSERT_EQUAL(mode_of(pl.cache), 0640);
	CU_ASSERT_FATAL(chmod(pl.rec[1], 0644) == 0);
	expect_state(&pl, &g, SMP_CACHE_STALE, "records made 0644 again");
	/* the sources' group when they share one, else no group access */
	if (geteuid() == 0) {
		struct stat st;

		CU_ASSERT_FATAL(chown(pl.conf, 0, NOBODY) == 0 && chown(pl.rec[0], 0, NOBODY) == 0 &&
		                chown(pl.rec[1], 0, NOBODY) == 0);
		compile(&pl, &g);
		CU_ASSERT(stat(pl.cache, &st) == 0 && st.st_gid == NOBODY && (st.st_mode & 0777) == 0644);
		CU_ASSERT_FATAL(chown(pl.rec[1], 0, 0) == 0);
		expect_state(&pl, &g, SMP_CACHE_STALE, "one file in another group");
		compile(&pl, &g);
		CU_ASSERT_EQUAL(mode_of(pl.cache), 0604);
	} else {
		printf("\n  (not root: the cache's group is not tried)\n");
	}
	rm_tree(pl.dir);
}

/* No temporary file of a writer is left in dir. */
static size_t temps_in(const char *dir)
{
	DIR *dp = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	while (dp != NULL && (e = readdir(dp)) != NULL)
		n += strncmp(e->d_name, ".smpolicy.conf.cache.tmp-", 25) == 0;
	if (dp != NULL)
		closedir(dp);
	return n;
}

/* Writing fails with status rc and an error diagnostic. */
static void write_fails(const struct place *pl, smp_status rc, const char *what)
{
	smp_policy *p = parse(pl->conf);
	smp_diags *d = NULL;
	smp_status got;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	got = smp_policy_cache_write(p, SMP_EDIT_NOWAIT, &d);
	printf("\n  %-36s %s: %s", what, smp_status_string(got),
	       smp_diags_count(d) ? smp_diags_get(d, 0)->message : "(no diagnostic)");
	CU_ASSERT_EQUAL(got, rc);
	CU_ASSERT(smp_diags_errors(d) >= 1);
	CU_ASSERT(smp_diags_count(d) >= 1 && same_str(smp_diags_get(d, 0)->file, pl->cache));
	smp_diags_free(d);
	smp_policy_free(p);
}

static void test_write_fails(void)
{
	static struct gen g;
	struct place pl;
	char lock[300];

	hand_world(&pl, &g);
	snprintf(lock, sizeof(lock), "%s.lock", pl.cache);
	/* a folder where the cache should be: the rename fails */
	CU_ASSERT_FATAL(mkdir(pl.cache, 0700) == 0);
	write_fails(&pl, SMP_ERR_IO, "a folder in the cache's place");
	CU_ASSERT_EQUAL(temps_in(pl.dir), 0);
	CU_ASSERT_FATAL(rmdir(pl.cache) == 0);
	/* a folder where the lock file should be */
	CU_ASSERT_FATAL(unlink(lock) == 0 && mkdir(lock, 0700) == 0);
	write_fails(&pl, SMP_ERR_IO, "a folder in the lock file's place");
	CU_ASSERT_FATAL(rmdir(lock) == 0);
	expect_state(&pl, &g, SMP_CACHE_ABSENT, "nothing written");
	/* a folder the writer may not write in */
	if (geteuid() != 0) {
		CU_ASSERT_FATAL(chmod(pl.dir, 0500) == 0);
		write_fails(&pl, SMP_ERR_IO, "a read-only folder");
		CU_ASSERT_FATAL(chmod(pl.dir, 0700) == 0);
	} else {
		printf("\n  (root: a read-only folder does not stop the writer; not tried)");
	}
	printf("\n");
	rm_tree(pl.dir);
}

static void test_write_lock(void)
{
	static struct gen g;
	struct place pl;
	char lock[300];
	int fd;

	hand_world(&pl, &g);
	snprintf(lock, sizeof(lock), "%s.lock", pl.cache);
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	CU_ASSERT_FATAL(fd >= 0 && flock(fd, LOCK_EX) == 0);
	write_fails(&pl, SMP_ERR_LOCK, "the lock held elsewhere");
	CU_ASSERT_EQUAL(access(pl.cache, F_OK), -1);
	CU_ASSERT_EQUAL(temps_in(pl.dir), 0);
	close(fd);   /* released */
	printf("\n");
	compile(&pl, &g);
	rm_tree(pl.dir);
}

static void test_write_leftovers(void)
{
	static struct gen g;
	struct place pl;
	char stale[300], longer[300], other[300];

	hand_world(&pl, &g);
	snprintf(stale, sizeof(stale), "%s/.smpolicy.conf.cache.tmp-Ab3xYz", pl.dir);
	snprintf(longer, sizeof(longer), "%s/.smpolicy.conf.cache.tmp-Ab3xYz7", pl.dir);
	snprintf(other, sizeof(other), "%s/.other.cache.tmp-Ab3xYz", pl.dir);
	CU_ASSERT_FATAL(write_text(stale, "half a cache", 12, 0600));
	CU_ASSERT_FATAL(write_text(longer, "not one of the writer's", 23, 0600));
	CU_ASSERT_FATAL(write_text(other, "nor this", 8, 0600));
	compile(&pl, &g);
	CU_ASSERT_EQUAL(access(stale, F_OK), -1);   /* a killed writer's: removed */
	CU_ASSERT_EQUAL(access(longer, F_OK), 0);   /* not a name mkostemp makes */
	CU_ASSERT_EQUAL(access(other, F_OK), 0);
	CU_ASSERT_EQUAL(temps_in(pl.dir), 1);       /* longer */
	rm_tree(pl.dir);
}

static void test_no_cache_flag(void)
{
	static struct gen g;
	struct place pl;
	smp_diags *d = NULL;
	smp_status rc;
	smp_policy *p;

	hand_world(&pl, &g);
	compile(&pl, &g);
	p = load(pl.conf, LOAD_FLAGS | SMP_LOAD_NO_CACHE, &rc, &d);
	CU_ASSERT_EQUAL(rc, SMP_OK);
	CU_ASSERT_EQUAL(smp_policy_cache_state(p), SMP_CACHE_OFF);
	smp_policy_free(p);
	smp_diags_free(d);
	/* a cache that would be refused with a warning is not even looked at */
	CU_ASSERT_FATAL(chmod(pl.cache, 0666) == 0);
	p = load(pl.conf, LOAD_FLAGS | SMP_LOAD_NO_CACHE, &rc, &d);
	CU_ASSERT_EQUAL(rc, SMP_OK);
	CU_ASSERT_EQUAL(smp_policy_cache_state(p), SMP_CACHE_OFF);
	CU_ASSERT_PTR_NULL(d);
	smp_policy_free(p);
	smp_diags_free(d);
	rm_tree(pl.dir);
}

static void test_api_edges(void)
{
	static struct gen g;
	struct place pl;
	smp_diags *d = (smp_diags *)&d;
	smp_status rc;
	smp_policy *p;
	char cwd[4096], want[300];

	CU_ASSERT_EQUAL(smp_policy_cache_write(NULL, 0, &d), SMP_ERR_ARG);
	CU_ASSERT_PTR_NULL(d);
	CU_ASSERT_EQUAL(smp_policy_cache_write(NULL, SMP_EDIT_NOWAIT, NULL), SMP_ERR_ARG);
	CU_ASSERT_EQUAL(smp_policy_cache_state(NULL), SMP_CACHE_OFF);
	CU_ASSERT_PTR_NULL(smp_policy_cache_path(NULL));
	CU_ASSERT_STRING_EQUAL(smp_cache_state_name(SMP_CACHE_USED), "used");
	CU_ASSERT_STRING_EQUAL(smp_cache_state_name(SMP_CACHE_OFF), "off");
	CU_ASSERT_STRING_EQUAL(smp_cache_state_name(SMP_CACHE_ABSENT), "absent");
	CU_ASSERT_STRING_EQUAL(smp_cache_state_name(SMP_CACHE_STALE), "stale");
	CU_ASSERT_STRING_EQUAL(smp_cache_state_name(SMP_CACHE_REJECTED), "rejected");
	CU_ASSERT_PTR_NULL(smp_cache_state_name((smp_cache_state)(SMP_CACHE_REJECTED + 1)));
	CU_ASSERT_PTR_NULL(smp_cache_state_name((smp_cache_state)-1));

	hand_world(&pl, &g);
	compile(&pl, &g);
	p = parse(pl.conf);
	snprintf(want, sizeof(want), "%s.cache", pl.conf);
	CU_ASSERT(same_str(smp_policy_cache_path(p), want));
	smp_policy_free(p);
	/* a relative path names the same file: the cache compiled from the
	 * absolute one is used */
	CU_ASSERT_FATAL(getcwd(cwd, sizeof(cwd)) != NULL && chdir(pl.dir) == 0);
	p = load("smpolicy.conf", LOAD_FLAGS, &rc, NULL);
	CU_ASSERT_EQUAL(rc, SMP_OK);
	CU_ASSERT_EQUAL(smp_policy_cache_state(p), SMP_CACHE_USED);
	CU_ASSERT(same_str(smp_policy_cache_path(p), want));
	smp_policy_free(p);
	p = load("./smpolicy.conf", LOAD_FLAGS, &rc, NULL);
	CU_ASSERT_EQUAL(smp_policy_cache_state(p), SMP_CACHE_USED);
	smp_policy_free(p);
	CU_ASSERT_FATAL(chdir(cwd) == 0);
	/* other spellings of the same path: one policy, one cache */
	{
		char other[320];

		snprintf(other, sizeof(other), "%s//./smpolicy.conf", pl.dir);
		p = load(other, LOAD_FLAGS, &rc, NULL);
		CU_ASSERT_EQUAL(rc, SMP_OK);
		CU_ASSERT_EQUAL(smp_policy_cache_state(p), SMP_CACHE_USED);
		CU_ASSERT(same_str(smp_policy_config_path(p), pl.conf));
		smp_policy_free(p);
	}
	rm_tree(pl.dir);
}

#ifndef TEST_CACHE_NO_MAIN   /* test_store.c includes this file for its worlds */
int main(void)
{
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("compiled cache: the same policy", NULL, NULL);
	CU_add_test(s, "random worlds: a cache-loaded policy answers as the parse",
	            test_equivalence);
	CU_add_test(s, "the comparison sees one changed field", test_comparer_fails);
	s = CU_add_suite("compiled cache: stale", NULL, NULL);
	CU_add_test(s, "one byte of each file, same size and mtime", test_stale_edits);
	CU_add_test(s, "written from files that changed since", test_stale_written_late);
	CU_add_test(s, "content, not inode: renamed or linked, same bytes", test_stale_content_not_inode);
	CU_add_test(s, "a moved folder", test_stale_moved);
	CU_add_test(s, "a records file deleted: the parse's error", test_stale_deleted);
	CU_add_test(s, "insecure files after compiling: the parse's error", test_stale_insecure);
	s = CU_add_suite("compiled cache: zones", NULL, NULL);
	CU_add_test(s, "local times in other zones", test_zone_local_times);
	CU_add_test(s, "times with offsets in other zones", test_zone_offsets);
	s = CU_add_suite("compiled cache: damaged", NULL, NULL);
	CU_add_test(s, "the header's layout", test_header_layout);
	CU_add_test(s, "every truncation", test_image_truncated);
	CU_add_test(s, "one byte changed at every offset", test_image_flipped);
	CU_add_test(s, "one byte changed, digest fixed: the walk", test_image_flipped_digest_fixed);
	CU_add_test(s, "forged images (the digest made to match)", test_image_forged);
	CU_add_test(s, "refused cache files", test_cache_file_refused);
	s = CU_add_suite("compiled cache: writing", NULL, NULL);
	CU_add_test(s, "the mode of the cache", test_write_mode);
	CU_add_test(s, "a cache that cannot be written", test_write_fails);
	CU_add_test(s, "the writers' lock", test_write_lock);
	CU_add_test(s, "temporary files of killed writers", test_write_leftovers);
	CU_add_test(s, "SMP_LOAD_NO_CACHE", test_no_cache_flag);
	CU_add_test(s, "arguments and names", test_api_edges);
	return run_suites();
}
#endif
