/*
 * cache_check.c - loading a world with or without its cache, comparing two
 * policies over a grid of requests (compare_all), and the hand-written
 * world with local times in two records files.
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

/* ---- loading ------------------------------------------------------------ */

void print_diags(const smp_diags *d)
{
	for (size_t i = 0; i < smp_diags_count(d); i++) {
		const struct smp_diag *x = smp_diags_get(d, i);

		fprintf(stderr, "    %s:%u: %s: %s\n", x->file ? x->file : "-", x->line,
		        x->severity == SMP_SEV_ERROR ? "error" : "warning", x->message);
	}
}

/* Load; the diagnostics go to *diags if diags is not NULL, else are freed. */
smp_policy *load(const char *conf, unsigned flags, smp_status *rc, smp_diags **diags)
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

smp_policy *parse(const char *conf)
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

smp_status write_cache(const smp_policy *p)
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

void mismatch(struct tally *t, const char *fmt, ...)
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

bool same_str(const char *x, const char *y)
{
	return x == y || (x != NULL && y != NULL && strcmp(x, y) == 0);
}

const char *nz(const char *s)
{
	return s != NULL ? s : "(null)";
}

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
void thin_grid(struct grid *gr, size_t k)
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
bool make_grid_keep(struct grid *gr, const smp_policy *p, const struct gen *g,
                    unsigned combos, size_t keep)
{
	struct smp_approval_info info = { .size = sizeof(info) };
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
		if (smp_policy_approval(p, i, 0, &info) != SMP_OK)
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
bool make_grid(struct grid *gr, const smp_policy *p, const struct gen *g, unsigned combos)
{
	return make_grid_keep(gr, p, g, combos, lite() ? 40 : 0);
}

void compare_request(struct tally *t, const smp_policy *a, const smp_policy *b,
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
		struct smp_approval_info x = { .size = sizeof(x) }, y = { .size = sizeof(y) };
		const char *why = NULL;

		t->infos++;
		if (smp_policy_approval(a, i, at, &x) != SMP_OK ||
		    smp_policy_approval(b, i, at, &y) != SMP_OK) {
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
		struct smp_office_info x = { .size = sizeof(x) }, y = { .size = sizeof(y) };
		bool hx = smp_policy_office(a, i, &x) == SMP_OK, hy = smp_policy_office(b, i, &y) == SMP_OK;

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
void compare_all(struct tally *t, const smp_policy *a, const smp_policy *b,
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

void print_tally(const char *what, const struct tally *t)
{
	printf("\n  %s: %lu decisions (%lu ALLOW, %lu with valid_until, %lu with a warning), "
	       "%lu approval infos, %lu checks compared; %lu mismatches\n", what, t->decisions,
	       t->allowed, t->untils, t->warnings, t->infos, t->checks, t->mismatches);
}

/* A fresh cache of the world at pl: parse, write, load; the loaded policy
 * with its state checked, and the parse in *parsed. */
smp_policy *cached_and_parsed(const struct place *pl, smp_policy **parsed)
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

/* ---- a hand-written world: local times, two records files --------------- */

const char hand_conf[] =
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
const char hand_approvals[] =
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
void hand_world(struct place *pl, struct gen *g)
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
void expect_state(const struct place *pl, const struct gen *g, smp_cache_state state,
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
void compile(const struct place *pl, const struct gen *g)
{
	smp_policy *p = parse(pl->conf);

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(write_cache(p), SMP_OK);
	smp_policy_free(p);
	expect_state(pl, g, SMP_CACHE_USED, "freshly compiled");
}

/* Overwrite the first `from` in path with `to` (as long) in place, and put
 * the file's times back: same size, same mtime to the nanosecond. */
bool edit_in_place(const char *path, const char *from, const char *to)
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
void stale_by_edit(const struct place *pl, const struct gen *g, const char *path,
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

bool copy_file(const char *from, const char *to, mode_t mode)
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
void fails_as_parse(const struct place *pl, smp_status expected, bool cache_warns)
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
