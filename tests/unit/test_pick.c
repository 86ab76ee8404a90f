/*
 * test_pick.c - which of a person's approvals answers a request
 * (docs/SEMANTICS.md, "Which approval answers a request"), checked against
 * an oracle built from the public API on seeded random worlds.
 *
 * The oracle reads each approval's state at t only through
 * smp_policy_approval(), which computes it apart from the decision's own
 * path, and takes "started" from what the generator wrote; it applies the
 * rule and nothing else, so a decision that picks another approval, or
 * gives another reason, differs from it.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "world.h"

#include <CUnit/Basic.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* 40 worlds hit every case, but a valid_until set by the cap (w1 loses
 * its place to an approval signed earlier that starts later) only from
 * about 100; 200 take a fifth of a second. */
#define NWORLDS 200
#define SEED0 0x5eed0001u
#define RANDOM_MOMENTS 60
#define MAX_APPROVALS 18          /* 12 for w1, 6 for the others */
#define MAX_DATES (MAX_APPROVALS * 8)
#define MAX_MOMENTS (MAX_DATES * 3 + MAX_APPROVALS * 9 + RANDOM_MOMENTS + 8)
#define MAX_SHOWN 10              /* mismatches printed in full */
#define DAY 86400

/* ---- a small seeded generator (splitmix64) ---------------------------- */

static uint64_t rng;

static uint64_t next_random(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* 0 .. n-1; n > 0 */
static int64_t below(int64_t n)
{
	return (int64_t)(next_random() % (uint64_t)n);
}

static bool chance(int percent)
{
	return below(100) < percent;
}

/* ---- the generated world, as the generator knows it -------------------- */

struct gen_approval {
	char id[16];
	const char *staff;
	bool for_facebook;
	bool has_starts, has_requested;
	int64_t starts, requested;
};

struct gen_world {
	uint64_t seed;
	int64_t lo, hi;                     /* the range fresh dates are drawn from */
	int64_t last;                       /* no date written is later */
	struct gen_approval a[MAX_APPROVALS];
	size_t n;
	int64_t dates[MAX_DATES];           /* every moment written */
	size_t ndates;
	char text[MAX_APPROVALS * 640];
	size_t len;
};

static void append(struct gen_world *g, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void append(struct gen_world *g, const char *fmt, ...)
{
	va_list ap;
	int w;

	va_start(ap, fmt);
	w = vsnprintf(g->text + g->len, sizeof(g->text) - g->len, fmt, ap);
	va_end(ap);
	CU_ASSERT_FATAL(w >= 0 && (size_t)w < sizeof(g->text) - g->len);
	g->len += (size_t)w;
}

/* t as the records write it; t is in a range gmtime_r handles */
static const char *iso(int64_t t, char buf[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	CU_ASSERT_PTR_NOT_NULL_FATAL(gmtime_r(&tt, &tm));
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

/* A moment to write.  A quarter of them repeat a moment already written
 * and many fall on midnight, so that ties in valid_until and in "started"
 * (the two tie-breaks of the rule) happen. */
static int64_t fresh(struct gen_world *g)
{
	int64_t t;

	if (g->ndates > 0 && chance(25))
		return g->dates[below((int64_t)g->ndates)];
	t = g->lo + below(g->hi - g->lo);
	if (chance(40))
		t -= t % DAY;
	return t;
}

/* base plus up to `days` days, kept in the range */
static int64_t after(struct gen_world *g, int64_t base, int days)
{
	int64_t t = base + below((int64_t)days * DAY);

	if (chance(50))
		t -= t % DAY;
	return t < g->last ? t : g->last;
}

static int64_t note(struct gen_world *g, int64_t t)
{
	CU_ASSERT_FATAL(g->ndates < MAX_DATES);
	g->dates[g->ndates++] = t;
	return t;
}

static void gen_sign_off(struct gen_world *g, const char *field, const char *signer,
                         int64_t base, bool clean)
{
	static const char *const wrong[] = { "dir-cpp", "dir-it", "sup1", "w1", "lom1" };
	const char *by = signer;
	char tb[32];
	int64_t on;

	if (!clean && !chance(80))
		return;
	/* the wrong signer now and then: the approval breaks the procedure */
	if (!clean && chance(6))
		by = wrong[below(5)];
	on = note(g, chance(20) ? fresh(g) : after(g, base, 25));
	append(g, "approved_%s = { by = \"%s\"; on = \"%s\"; }; ", field, by, iso(on, tb));
}

/* One approval for staff, appended to the records text.  A clean one is
 * requested and signed as the procedure wants (it holds at some time
 * unless its dates say otherwise): the others' approvals are mostly clean,
 * so that they fill office o1's two places and put w1 beyond the cap. */
static void gen_approval(struct gen_world *g, const char *staff, bool clean)
{
	struct gen_approval *a = &g->a[g->n];
	bool limited = chance(30);
	int64_t base = fresh(g), from;
	char tb[32];
	int plat;

	CU_ASSERT_FATAL(g->n < MAX_APPROVALS);
	snprintf(a->id, sizeof(a->id), "A-%02zu", g->n);
	a->staff = staff;
	/* 0: facebook, 1: facebook and youtube, 2: youtube only (not for the
	 * request: the decision must pass over it) */
	plat = limited ? 0 : chance(8) ? 2 : chance(25) ? 1 : 0;
	a->for_facebook = plat != 2;
	append(g, "%s  { id = \"%s\"; staff = \"%s\"; kind = \"%s\"; platforms = [ %s ]; ",
	       g->n ? ",\n" : "", a->id, staff, limited ? "limited" : "long_term",
	       plat == 0 ? "\"facebook\"" : plat == 1 ? "\"facebook\", \"youtube\"" : "\"youtube\"");
	if (limited)
		append(g, "ticket = \"T-%zu\"; ", g->n);
	else if (clean || chance(92))    /* left out: procedurally invalid */
		append(g, "requested_by = \"lom1\"; ");
	a->has_requested = chance(75);
	if (a->has_requested) {
		a->requested = note(g, base);
		append(g, "requested = \"%s\"; ", iso(a->requested, tb));
	}
	gen_sign_off(g, "cpp", "dir-cpp", base, clean);
	gen_sign_off(g, "it", "dir-it", base, clean);
	a->has_starts = chance(55);
	if (a->has_starts) {
		a->starts = note(g, chance(25) ? fresh(g) : after(g, base, 120));
		append(g, "starts = \"%s\"; ", iso(a->starts, tb));
	}
	/* limited approvals need expires; long-term ones may rely on
	 * long_term_max_days (365) instead, or state one beyond it */
	if (limited || chance(60)) {
		from = a->has_starts ? a->starts : base;
		append(g, "expires = \"%s\"; ",
		       iso(note(g, chance(20) ? fresh(g) : after(g, from, limited ? 120 : 420)), tb));
	}
	if (chance(clean ? 5 : 20))
		append(g, "revoked = { on = \"%s\"; by = \"dir-it\"; reason = \"x\"; }; ",
		       iso(note(g, chance(30) ? fresh(g) : after(g, base, 300)), tb));
	append(g, "}");
	g->n++;
}

/* 2-12 approvals for w1 and 0-6 for w2..w4 (so that office o1, capped at
 * two persons, puts some of w1's beyond the cap), in shuffled file order.
 * Every other world draws its dates from half a year only: crowded, its
 * approvals overlap, and the cap takes w1's place, gives it back, and
 * decides between w1's approvals beyond it. */
static void gen_world(struct gen_world *g, uint64_t seed)
{
	static const char *const others[] = { "w2", "w3", "w4" };
	bool crowded = seed % 2;
	int64_t nw1, nother;

	rng = seed;
	g->seed = seed;
	g->lo = T("2025-06-01Z");
	g->last = g->hi = T("2027-06-01Z");
	if (crowded) {
		g->lo += below(g->hi - g->lo - 180 * DAY);
		g->hi = g->lo + 180 * DAY;
	}
	g->n = g->ndates = g->len = 0;
	g->text[0] = '\0';
	nw1 = 2 + below(11);
	nother = crowded ? 3 + below(4) : below(7);
	while (nw1 + nother > 0) {
		if (below(nw1 + nother) < nw1) {
			gen_approval(g, "w1", chance(crowded ? 50 : 30));
			nw1--;
		} else {
			gen_approval(g, others[below(3)], chance(crowded ? 90 : 75));
			nother--;
		}
	}
}

/* ---- the oracle --------------------------------------------------------- */

enum pick_case { CASE_VALID, CASE_OVER_CAP, CASE_LATEST, CASE_NONE, CASE_N };

static const char *const case_names[CASE_N] = {
	"a valid approval", "over the cap", "the latest started", "no approval"
};

struct expect {
	enum pick_case kase;
	const char *id;                 /* owned by the policy; NULL for CASE_NONE */
	smp_approval_state state;
	bool has_until;
	int64_t until;
	bool cap_until;                 /* valid_until is where the cap takes the place */
};

static bool names_facebook(const struct smp_approval_info *info)
{
	for (const char *const *pl = info->platforms; *pl != NULL; pl++)
		if (strcmp(*pl, "facebook") == 0)
			return true;
	return false;
}

/* When the generator's approval counts as started: its starts, else its
 * requested date, else always. */
static int64_t started(const struct gen_approval *a)
{
	if (a->has_starts)
		return a->starts;
	return a->has_requested ? a->requested : INT64_MIN;
}

/* w1 valid and beyond the cap at once: never, as long as the cap places
 * persons, not approvals; then the order of the rule's first two steps is
 * not tried, and this count says so. */
static unsigned long both_held;

/* The rule, applied to w1's facebook approvals in file order; gen[i] is
 * what was written of approval i. */
static void oracle(const smp_policy *p, const struct gen_approval *gen, size_t ngen,
                   int64_t t, struct expect *e)
{
	struct smp_approval_info info = { .size = sizeof(info) };
	struct expect best = { CASE_NONE, NULL, 0, false, 0, false }, over = best, latest = best;
	int64_t best_until = 0, latest_started = 0;

	CU_ASSERT_EQUAL_FATAL(smp_policy_approval_count(p), ngen);
	for (size_t i = 0; i < ngen; i++) {
		int64_t until, s;

		CU_ASSERT_FATAL(smp_policy_approval(p, i, t, &info) == SMP_OK);
		CU_ASSERT_STRING_EQUAL_FATAL(info.id, gen[i].id);   /* file order */
		if (strcmp(info.staff, "w1") != 0 || !names_facebook(&info))
			continue;
		CU_ASSERT_FATAL(gen[i].for_facebook);
		if (info.state == SMP_STATE_VALID) {
			/* no valid_until: it holds for ever, later than any other */
			until = info.has_valid_until ? info.valid_until : INT64_MAX;
			if (best.id == NULL || until > best_until) {
				best = (struct expect){ CASE_VALID, info.id, info.state,
				                        info.has_valid_until, info.valid_until,
				                        info.has_valid_until && info.valid_until < info.end &&
				                        !(info.has_revoked && info.revoked == info.valid_until) };
				best_until = until;
			}
		} else if (info.state == SMP_STATE_OVER_CAP) {
			if (over.id == NULL)
				over = (struct expect){ CASE_OVER_CAP, info.id, info.state, false, 0, false };
		} else {
			s = started(&gen[i]);
			if (s <= t && (latest.id == NULL || s >= latest_started)) {
				latest = (struct expect){ CASE_LATEST, info.id, info.state, false, 0, false };
				latest_started = s;
			}
		}
	}
	both_held += best.id != NULL && over.id != NULL;
	*e = best.id ? best : over.id ? over : latest;
}

static smp_reason reason_of(smp_approval_state s)
{
	switch (s) {
	case SMP_STATE_INVALID:
		return SMP_R_APPROVAL_INVALID;
	case SMP_STATE_REVOKED:
		return SMP_R_APPROVAL_REVOKED;
	case SMP_STATE_EXPIRED:
		return SMP_R_APPROVAL_EXPIRED;
	case SMP_STATE_OVER_CAP:
		return SMP_R_OFFICE_CAP_EXCEEDED;
	case SMP_STATE_PENDING:
	case SMP_STATE_NOT_STARTED:
	default:
		return SMP_R_APPROVAL_PENDING;
	}
}

/* ---- comparing --------------------------------------------------------- */

static unsigned long compared, by_case[CASE_N], latest_by_state[SMP_STATE_OVER_CAP + 1];
static unsigned long mismatches, valid_ties, started_ties, cap_untils, other_reading;

static void show(uint64_t seed, int64_t t, const struct expect *e, const smp_decision *d,
                 const char *what)
{
	char tb[40];
	int64_t until = 0;
	bool has = smp_decision_valid_until(d, &until);

	if (++mismatches > MAX_SHOWN)
		return;
	fprintf(stderr, "\nseed 0x%" PRIx64 " t=%" PRId64 " (%s): %s\n"
	        "  expected %s %s, state %s, valid_until %s%" PRId64 "\n"
	        "  got      %s %s, %zu reason(s) first %s, valid_until %s%" PRId64 "\n",
	        seed, t, smp_time_format(t, tb, sizeof(tb)) ? tb : "?", what,
	        case_names[e->kase], e->id ? e->id : "(none)", smp_approval_state_name(e->state),
	        e->has_until ? "" : "none ", e->until,
	        smp_decision_allowed(d) ? "ALLOW" : "DENY",
	        smp_decision_approval(d) ? smp_decision_approval(d) : "(none)",
	        smp_decision_reason_count(d),
	        smp_decision_reason_count(d) ? smp_reason_code(smp_decision_reason(d, 0)) : "-",
	        has ? "" : "none ", until);
}

/* On a mismatch: fail, show it, and compare this decision no further. */
#define EXPECT(cond, what) do { \
		CU_ASSERT(cond); \
		if (!(cond)) { \
			show(seed, t, e, d, what); \
			goto out; \
		} \
	} while (0)

/* Decide for w1 on facebook at t and hold the decision to e. */
static void compare(const smp_policy *p, uint64_t seed, int64_t t, const struct expect *e)
{
	struct smp_request req;
	smp_decision *d = NULL;
	const char *id;
	int64_t until = 0;
	bool has;

	smp_request_init(&req);
	req.user = "w1";
	req.platform = "facebook";
	req.device = "ws1";
	req.action = SMP_ACTION_VIEW;   /* no account: only the approval rules decide */
	req.at = t;
	CU_ASSERT_EQUAL_FATAL(smp_decide(p, &req, &d), SMP_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	compared++;
	by_case[e->kase]++;
	if (e->kase == CASE_LATEST)
		latest_by_state[e->state]++;
	cap_untils += e->cap_until;
	id = smp_decision_approval(d);
	has = smp_decision_valid_until(d, &until);
	EXPECT((id == NULL) == (e->id == NULL) && (id == NULL || strcmp(id, e->id) == 0),
	       "another approval");
	EXPECT(smp_decision_allowed(d) == (e->kase == CASE_VALID), "ALLOW/DENY");
	if (e->kase == CASE_VALID) {
		EXPECT(smp_decision_reason_count(d) == 0, "reasons on an ALLOW");
		EXPECT(has == e->has_until && (!has || until == e->until), "valid_until");
	} else {
		smp_reason r = e->kase == CASE_NONE ? SMP_R_NO_APPROVAL : reason_of(e->state);

		EXPECT(smp_decision_reason_count(d) == 1 && smp_decision_reason(d, 0) == r,
		       "the reason");
		EXPECT(!has, "valid_until on a DENY");
	}
out:
	smp_decision_free(d);
}

/* ---- the random worlds -------------------------------------------------- */

static int cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

	return (a > b) - (a < b);
}

static void add_moment(int64_t *m, size_t *n, int64_t t)
{
	if (*n < MAX_MOMENTS)
		m[(*n)++] = t;
}

/* The moments to try: every date written and the derived ones (effective
 * start, lapse, revocation), each with the seconds either side, where the
 * answer changes; and random ones, some after the range where everything
 * has lapsed. */
static size_t moments(const smp_policy *p, const struct gen_world *g, int64_t *m)
{
	struct smp_approval_info info = { .size = sizeof(info) };
	size_t n = 0, k = 0;

	for (size_t i = 0; i < g->ndates; i++)
		for (int64_t d = -1; d <= 1; d++)
			add_moment(m, &n, g->dates[i] + d);
	for (size_t i = 0; i < g->n; i++) {
		CU_ASSERT_FATAL(smp_policy_approval(p, i, g->lo, &info) == SMP_OK);
		for (int64_t d = -1; d <= 1; d++) {
			if (info.has_start)
				add_moment(m, &n, info.start + d);
			if (info.has_end)
				add_moment(m, &n, info.end + d);
			if (info.has_revoked)
				add_moment(m, &n, info.revoked + d);
		}
	}
	for (int i = 0; i < RANDOM_MOMENTS; i++)
		add_moment(m, &n, i < RANDOM_MOMENTS * 5 / 6 ? g->lo + below(g->hi - g->lo)
		                                               : g->hi + below(400 * DAY));
	qsort(m, n, sizeof(*m), cmp_i64);
	for (size_t i = 0; i < n; i++)
		if (k == 0 || m[i] != m[k - 1])
			m[k++] = m[i];
	return k;
}

/* Ties the rule breaks by file order, so that it is known they were tried:
 * two valid approvals ending together, two candidates started together. */
static void count_ties(const smp_policy *p, const struct gen_world *g, int64_t t)
{
	struct smp_approval_info info[MAX_APPROVALS];
	bool mine[MAX_APPROVALS];

	for (size_t i = 0; i < g->n; i++) {
		mine[i] = strcmp(g->a[i].staff, "w1") == 0 && g->a[i].for_facebook;
		info[i].size = sizeof(info[i]);
		if (mine[i])
			smp_policy_approval(p, i, t, &info[i]);
	}
	for (size_t i = 0; i < g->n; i++) {
		for (size_t j = i + 1; mine[i] && j < g->n; j++) {
			const struct smp_approval_info *x = &info[i], *y = &info[j];
			bool x_holds = x->state == SMP_STATE_VALID || x->state == SMP_STATE_OVER_CAP;
			bool y_holds = y->state == SMP_STATE_VALID || y->state == SMP_STATE_OVER_CAP;

			if (!mine[j])
				continue;
			if (x->state == SMP_STATE_VALID && y->state == SMP_STATE_VALID &&
			    x->valid_until == y->valid_until)
				valid_ties++;
			if (!x_holds && !y_holds && started(&g->a[i]) == started(&g->a[j]) &&
			    started(&g->a[i]) <= t)
				started_ties++;
		}
	}
}

/*
 * SEMANTICS.md says "a pending approval without starts counts as started
 * at its requested date"; read literally, a signed one without starts
 * would count from its effective start (the later sign-off).  The library
 * counts every approval without starts from its request (approval_started_at
 * and its comment), and so does the oracle.  Count where the literal
 * reading would name another approval, to say how much that wording
 * matters; not asserted.
 */
static bool literal_reading_differs(const smp_policy *p, const struct gen_world *g, int64_t t,
                                    const struct expect *e)
{
	struct smp_approval_info info = { .size = sizeof(info) };
	const char *id = NULL;
	int64_t latest = 0, s;

	if (e->kase != CASE_LATEST && e->kase != CASE_NONE)
		return false;
	for (size_t i = 0; i < g->n; i++) {
		if (strcmp(g->a[i].staff, "w1") != 0 || !g->a[i].for_facebook)
			continue;
		smp_policy_approval(p, i, t, &info);
		s = started(&g->a[i]);
		if (!g->a[i].has_starts && info.has_start && info.state != SMP_STATE_PENDING &&
		    info.state != SMP_STATE_NOT_STARTED)
			s = info.start;
		if (s <= t && (id == NULL || s >= latest)) {
			id = info.id;
			latest = s;
		}
	}
	return (id == NULL) != (e->id == NULL) || (id != NULL && strcmp(id, e->id) != 0);
}

static void test_random_worlds(void)
{
	static struct gen_world g;
	static int64_t m[MAX_MOMENTS];
	struct world w;
	struct expect e;

	for (unsigned k = 0; k < NWORLDS; k++) {
		uint64_t seed = SEED0 + k;
		smp_policy *p;
		size_t n;

		gen_world(&g, seed);
		CU_ASSERT_FATAL(world_write(&w, NULL, g.text));
		p = world_load(&w);
		if (p == NULL) {
			fprintf(stderr, "seed 0x%" PRIx64 ": the world does not load:\n%s\n", seed,
			        g.text);
			world_remove(&w);
			CU_FAIL_FATAL("a generated world does not load");
		}
		n = moments(p, &g, m);
		for (size_t i = 0; i < n; i++) {
			oracle(p, g.a, g.n, m[i], &e);
			compare(p, seed, m[i], &e);
			count_ties(p, &g, m[i]);
			other_reading += literal_reading_differs(p, &g, m[i], &e);
		}
		smp_policy_free(p);
		world_remove(&w);
	}
	printf("\n  %lu decisions compared over %d worlds (seeds 0x%x..0x%x), %lu mismatches\n",
	       compared, NWORLDS, SEED0, SEED0 + NWORLDS - 1, mismatches);
	for (int c = 0; c < CASE_N; c++)
		printf("  %-20s %lu\n", case_names[c], by_case[c]);
	for (int st = SMP_STATE_NOT_STARTED; st <= SMP_STATE_INVALID; st++)
		printf("    latest %-12s %lu\n", smp_approval_state_name((smp_approval_state)st),
		       latest_by_state[st]);
	printf("  ties tried: valid_until %lu, started %lu\n", valid_ties, started_ties);
	printf("  ALLOWs the cap ends: %lu\n", cap_untils);
	printf("  both valid and over-cap: %lu\n", both_held);
	printf("  answers SEMANTICS.md's literal wording would change: %lu\n", other_reading);
	/* every branch of the rule, and every state the latest can be in */
	for (int c = 0; c < CASE_N; c++)
		CU_ASSERT(by_case[c] > 0);
	CU_ASSERT(latest_by_state[SMP_STATE_INVALID] > 0);
	CU_ASSERT(latest_by_state[SMP_STATE_REVOKED] > 0);
	CU_ASSERT(latest_by_state[SMP_STATE_EXPIRED] > 0);
	CU_ASSERT(latest_by_state[SMP_STATE_PENDING] > 0);
	CU_ASSERT(latest_by_state[SMP_STATE_NOT_STARTED] > 0);
	CU_ASSERT(valid_ties > 0);
	CU_ASSERT(started_ties > 0);
	CU_ASSERT(cap_untils > 0);
	CU_ASSERT_EQUAL(mismatches, 0);
}

/* ---- hand-written edges ------------------------------------------------- */

/* Decide a hand-written world at t: the oracle's answer, and the one given. */
static void hand_case(const char *approvals, const struct gen_approval *gen, size_t ngen,
                      int64_t t, enum pick_case kase, const char *id, smp_reason reason)
{
	struct world w;
	struct expect e;
	smp_policy *p;
	const uint64_t seed = 0;

	CU_ASSERT_FATAL(world_write(&w, NULL, approvals));
	p = world_load(&w);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	oracle(p, gen, ngen, t, &e);
	CU_ASSERT_EQUAL(e.kase, kase);
	CU_ASSERT((e.id == NULL && id == NULL) || (e.id && id && strcmp(e.id, id) == 0));
	if (kase != CASE_VALID)
		CU_ASSERT_EQUAL(kase == CASE_NONE ? SMP_R_NO_APPROVAL : reason_of(e.state), reason);
	compare(p, seed, t, &e);
	smp_policy_free(p);
	world_remove(&w);
}

static void test_end_of_time(void)
{
	/* at the last moment but one every approval has lapsed or is still
	 * waiting: A-1 (expired) started before A-2 (revoked), and A-3, never
	 * requested nor given a start, counts as started always but earliest */
	static const char approvals[] =
		"  { id = \"A-1\"; staff = \"w1\"; kind = \"long_term\"; platforms = [ \"facebook\" ];\n"
		"    requested_by = \"lom1\"; requested = \"2026-01-10Z\";\n"
		"    approved_cpp = { by = \"dir-cpp\"; on = \"2026-01-12Z\"; };\n"
		"    approved_it = { by = \"dir-it\"; on = \"2026-01-14Z\"; };\n"
		"    starts = \"2026-01-15Z\"; expires = \"2026-12-31Z\"; },\n"
		"  { id = \"A-2\"; staff = \"w1\"; kind = \"limited\"; platforms = [ \"facebook\" ];\n"
		"    ticket = \"T-2\"; approved_cpp = { by = \"dir-cpp\"; on = \"2026-01-12Z\"; };\n"
		"    approved_it = { by = \"dir-it\"; on = \"2026-01-14Z\"; };\n"
		"    starts = \"2026-02-01Z\"; expires = \"2026-03-01Z\";\n"
		"    revoked = { on = \"2026-02-15Z\"; by = \"dir-it\"; reason = \"x\"; }; },\n"
		"  { id = \"A-3\"; staff = \"w1\"; kind = \"long_term\"; platforms = [ \"facebook\" ];\n"
		"    requested_by = \"lom1\"; }";
	struct gen_approval gen[3] = {
		{ .id = "A-1", .staff = "w1", .for_facebook = true, .has_starts = true,
		  .has_requested = true },
		{ .id = "A-2", .staff = "w1", .for_facebook = true, .has_starts = true },
		{ .id = "A-3", .staff = "w1", .for_facebook = true },
	};

	gen[0].starts = T("2026-01-15Z");
	gen[0].requested = T("2026-01-10Z");
	gen[1].starts = T("2026-02-01Z");
	hand_case(approvals, gen, 3, INT64_MAX - 1, CASE_LATEST, "A-2", SMP_R_APPROVAL_REVOKED);
	/* A-3 alone: pending, however late */
	hand_case(strstr(approvals, "  { id = \"A-3\""), gen + 2, 1, INT64_MAX - 1, CASE_LATEST,
	          "A-3", SMP_R_APPROVAL_PENDING);
}

/* w2's valid approval, and w1's approval for youtube only */
#define W2_FACEBOOK \
	"  { id = \"A-1\"; staff = \"w2\"; kind = \"long_term\"; platforms = [ \"facebook\" ];\n" \
	"    requested_by = \"lom1\"; requested = \"2026-01-10Z\";\n" \
	"    approved_cpp = { by = \"dir-cpp\"; on = \"2026-01-12Z\"; };\n" \
	"    approved_it = { by = \"dir-it\"; on = \"2026-01-14Z\"; };\n" \
	"    starts = \"2026-01-15Z\"; }"
#define W1_YOUTUBE \
	"  { id = \"A-2\"; staff = \"w1\"; kind = \"long_term\"; platforms = [ \"youtube\" ];\n" \
	"    requested_by = \"lom1\";\n" \
	"    approved_cpp = { by = \"dir-cpp\"; on = \"2026-01-12Z\"; };\n" \
	"    approved_it = { by = \"dir-it\"; on = \"2026-01-14Z\"; }; }"

static void test_no_approval(void)
{
	const struct gen_approval gen[2] = {
		{ .id = "A-1", .staff = "w2", .for_facebook = true, .has_starts = true,
		  .has_requested = true },
		{ .id = "A-2", .staff = "w1" },
	};
	const int64_t at[] = { INT64_MIN + 1, T("2026-01-15Z"), T("2026-06-01Z"), INT64_MAX - 1 };

	/* w1 has no approval at all; then one, but not for facebook */
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		hand_case(W2_FACEBOOK, gen, 1, at[i], CASE_NONE, NULL, SMP_R_NO_APPROVAL);
		hand_case(W2_FACEBOOK ",\n" W1_YOUTUBE, gen, 2, at[i], CASE_NONE, NULL,
		          SMP_R_NO_APPROVAL);
	}
}

int main(void)
{
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("which approval answers", NULL, NULL);
	CU_add_test(s, "random worlds against the oracle", test_random_worlds);
	CU_add_test(s, "the last moment but one", test_end_of_time);
	CU_add_test(s, "no approval of w1 for facebook", test_no_approval);
	return run_suites();
}
