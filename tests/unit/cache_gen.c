/*
 * cache_gen.c - seeded random worlds for the compiled cache's tests: several
 * records files, approvals in every state, accounts with their events,
 * devices with apps, optional fields present or absent, and strings a
 * parser may stumble on; written to a folder of their own.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "cache_world.h"

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

/* ---- a small seeded generator (splitmix64, as test_pick.c) -------------- */

static uint64_t next_random(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

int64_t below(uint64_t *s, int64_t n)
{
	return (int64_t)(next_random(s) % (uint64_t)n);
}

bool chance(uint64_t *s, int percent)
{
	return below(s, 100) < percent;
}

/* ---- how much to try ---------------------------------------------------- */

/* Under valgrind (its preload library), a sanitizer, or SMP_CACHE_LITE=1:
 * a sample instead of every case (SMP_CACHE_LITE=0: every case anyway). */
bool lite(void)
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
size_t step(size_t i, size_t dense)
{
	return i + (i < dense || !lite() ? 1 : 5 + i % 7);
}

/* ---- growing text ------------------------------------------------------- */

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

static const char *const list_names[NLISTS] = { "staff", "devices", "accounts", "approvals" };
static const char *const file_names[MAX_FILES] = { "records.conf", "more.conf", "third.conf" };

const char *const platform_ids[] = { "facebook", "youtube", "snapchat", "tum.blr" };
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
const char *when(struct gen *g, int64_t t, smp_time_edge edge)
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
int64_t fresh(struct gen *g)
{
	int64_t t = g->lo + below(&g->rs, g->hi - g->lo);

	if (chance(&g->rs, 40))
		t -= t % DAY;
	return t;
}

int64_t after(struct gen *g, int64_t base, int days)
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

void gen_free(struct gen *g)
{
	tx_free(&g->conf);
	for (int f = 0; f < MAX_FILES; f++)
		for (int l = 0; l < NLISTS; l++)
			tx_free(&g->list[f][l]);
}

/* The world of seed, with opts (NULL: drawn from the seed too). */
void gen_world(struct gen *g, uint64_t seed, const struct gen_opts *opts)
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

void place_paths(struct place *pl)
{
	snprintf(pl->conf, sizeof(pl->conf), "%s/smpolicy.conf", pl->dir);
	snprintf(pl->cache, sizeof(pl->cache), "%s.cache", pl->conf);
	for (int f = 0; f < MAX_FILES; f++)
		snprintf(pl->rec[f], sizeof(pl->rec[f]), "%s/%s", pl->dir, file_names[f]);
}

bool place_new(struct place *pl)
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

bool write_text(const char *path, const char *text, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	bool ok;

	if (fd < 0)
		return false;
	ok = write_all(fd, text, len) && fchmod(fd, mode) == 0;
	return close(fd) == 0 && ok;
}

char *read_text(const char *path, size_t *len)
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

bool place_write(struct place *pl, const struct gen *g)
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
void rm_tree(const char *dir)
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
