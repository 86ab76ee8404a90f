/*
 * faults.c - an approval's procedural faults (Manual §C, Procedures A):
 * who signed and who requested it, judged by the roles they held on the
 * dates of their acts, and what a signature or the two sign-offs vouch for
 * when an author's staff entry is gone.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "faults.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int64_t faults_min(int64_t a, int64_t b) { return a < b ? a : b; }

void why_add(struct why *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (w->len >= sizeof(w->buf) - 1)
		return;
	if (w->len > 0) {
		snprintf(w->buf + w->len, sizeof(w->buf) - w->len, "; ");
		w->len = strlen(w->buf);
	}
	va_start(ap, fmt);
	n = vsnprintf(w->buf + w->len, sizeof(w->buf) - w->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		w->len = (size_t)faults_min((int64_t)(w->len + (size_t)n), (int64_t)sizeof(w->buf) - 1);
}

/* Whether the signature of slot k of a verified (only a load that read
 * signers.conf knows; otherwise it did not). */
static bool sig_valid(const smp_policy *p, const struct approval *a, int k)
{
	return p->sigs != NULL && p->sigs[a - p->approvals].s[k].state == SIG_VALID;
}

/* A sign-off by an author whom no staff entry names (the entry deleted
 * after they signed) cannot be judged by the records: it counts only on
 * its signature, verified against signers.conf with a key of that role in
 * tenure on its date (records/signatures.c), and only where signatures are
 * required; otherwise it does not count, and the approval is invalid. */
static void check_signer(const smp_policy *p, const struct approval *a, const struct sign_off *so,
                         int slot, unsigned role, const char *role_name, struct why *w)
{
	const struct staff *s;
	uint32_t office;
	char when[40];

	if (!so->present)
		return;
	if (so->by == NONE) {
		if (!p->set.require_signatures || !sig_valid(p, a, slot))
			why_add(w, "it is signed by '%s', who is not in the staff records, and no "
			        "valid signature of '%s' as %s in signers.conf vouches for the "
			        "sign-off", so->absent, so->absent, role_name);
		return;
	}
	s = &p->staff[so->by];
	if (s->void_why != NULL) {   /* whose roles cannot be read */
		why_add(w, "it is signed by '%s', whose staff record is void", s->id);
	} else if (!held_at(s, role, true, so->on, &office)) {
		policy_fmt_time(p, so->on, when, sizeof(when));
		if (ever_held(s, role))
			why_add(w, "it is signed by '%s', who did not hold the %s role on %s", s->id,
			        role_name, when);
		else
			why_add(w, "it is signed by '%s', who does not hold the %s role", s->id,
			        role_name);
	}
	if (so->by == a->staff)
		why_add(w, "it is signed by '%s', the approved person", s->id);
}

/* §C asks for the approval of two directors: one person holding both
 * roles gives one of the two sign-offs, never both.  By id, whether or not
 * the records still name them. */
static void check_two_signers(const smp_policy *p, const struct approval *a, struct why *w)
{
	const char *c, *i;

	if (!a->cpp.present || !a->it.present)
		return;
	c = author_id(p, a->cpp.by, a->cpp.absent);
	i = author_id(p, a->it.by, a->it.absent);
	if (c != NULL && i != NULL && strcmp(c, i) == 0)
		why_add(w, "both sign-offs are by '%s': the Director of CP&P and the Director of IT "
		        "must be two persons", c);
}

/* A request by an author whom no staff entry names cannot be judged by
 * the records (their office and role on its date are gone).  The two
 * directors vouch for it: their sign-offs (and signatures) cover
 * requested_by and requested as they stand, so the request stands once
 * both sign-offs count, and not before: until then the approval is
 * pending, and grants nothing. */
static void check_absent_requester(const struct approval *a, bool sign_offs_count,
                                   struct why *w)
{
	if (!a->cpp.present || !a->it.present)
		return;   /* pending: not signed by both, it grants nothing */
	if (!sign_offs_count)
		why_add(w, "it is requested by '%s', who is not in the staff records; such a "
		        "request stands only on the two directors' sign-offs, and they do not "
		        "count", a->requested_absent);
}

void find_faults(const smp_policy *p, const struct approval *a, struct why *w)
{
	const struct staff *s = &p->staff[a->staff];
	size_t before = w->len;
	bool sign_offs_count;

	if (s->void_why != NULL) {   /* its person's office and roles are unknown */
		why_add(w, "the staff record of '%s' is void", s->id);
		return;
	}

	check_signer(p, a, &a->cpp, 0, ROLE_DIRECTOR_CPP, "director_cpp", w);
	check_signer(p, a, &a->it, 1, ROLE_DIRECTOR_IT, "director_it", w);
	check_two_signers(p, a, w);
	sign_offs_count = w->len == before;
	for (int k = 0; p->sigs != NULL && k < 2; k++)   /* a signature's own fault */
		if (p->sigs[a - p->approvals].s[k].why != NULL)
			sign_offs_count = false;
	if (a->kind == KIND_LONG_TERM) {
		if (a->requested_by == NONE && a->requested_absent != NULL) {
			check_absent_requester(a, sign_offs_count, w);
		} else if (a->requested_by == NONE) {
			why_add(w, "a long-term approval must be requested by a Local Office Manager "
			        "of the person's office (requested_by is missing)");
		} else {
			const struct staff *r = &p->staff[a->requested_by];
			uint32_t office = NONE;

			if (r->void_why != NULL)
				why_add(w, "it is requested by '%s', whose staff record is void", r->id);
			else if (!held_at(r, ROLE_LOM, a->requested.set, a->requested.t, &office) ||
			         office != s->office)
				why_add(w, "a long-term approval must be requested by a Local Office "
				        "Manager of the person's office, and '%s' is not one of '%s'",
				        r->id, s->office != NONE ? p->offices[s->office].id : "?");
		}
	} else {
		if (a->ticket == NULL)
			why_add(w, "a limited approval needs its Unblock Form ticket");
		if (!a->expires.set)
			why_add(w, "a limited approval must state when it expires");
		if (a->nplatforms != 1)
			why_add(w, "a limited approval is for exactly one platform");
	}
	if (a->start != SMP_TIME_MIN && a->end != SMP_TIME_MAX && a->end <= a->start)
		why_add(w, "it expires before it starts");
}

void policy_fmt_time(const smp_policy *p, int64_t t, char *buf, size_t n)
{
	if (t == SMP_TIME_MAX)
		snprintf(buf, n, "(no end)");
	else if (time_format_tz(p->tz, t, buf, n) == NULL)
		snprintf(buf, n, "@%lld", (long long)t);
}
