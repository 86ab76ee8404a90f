/*
 * decide.c - a request into ALLOW or DENY with every failed rule
 * (smpolicy(1), REASON CODES).  Reads the loaded policy only: safe from
 * many threads.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "policy/policy.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct smp_decision {
	bool allowed;
	size_t nreasons, nwarnings;
	smp_reason reasons[SMP_R__COUNT];
	char *messages[SMP_R__COUNT];
	smp_warning warnings[SMP_W__COUNT];
	char *warning_messages[SMP_W__COUNT];
	bool has_until;
	int64_t until;
	const char *approval;
	const struct approval *relied;   /* the approval an ALLOW holds on */
	struct arena mem;          /* messages that do not fit in buf */
	bool nomem;
	size_t used;               /* of buf */
	char buf[];                /* the messages, to DECISION_SIZE; left uninitialised */
};

/* A decision is one malloc of this size.  glibc serves a request of up to
 * 1008 bytes from its per-thread cache or a small bin; a larger one takes
 * _int_malloc's large-request path on every decision (docs/PERFORMANCE.md: a
 * measurable part of a statewide decision's instructions).  The messages of a typical
 * decision fit in the rest; more go to mem. */
#define DECISION_SIZE 1008
_Static_assert(offsetof(struct smp_decision, buf) + 512 <= DECISION_SIZE,
               "room for the messages of a typical decision");

/*
 * vsnprintf() for the particulars: %s, %d, %lld and %% only (all the
 * formats below use), written into out[0 .. cap-1] and cut there, as
 * vsnprintf cuts; returns the length written.  Any other conversion is
 * handed to vsnprintf.  A decision formats one to three of these, and
 * vsnprintf's set-up would be a fifth of a decision's instructions.
 */
static size_t format_detail(char *out, size_t cap, const char *fmt, va_list ap)
{
	size_t n = 0;

	for (const char *f = fmt; *f; f++) {
		const char *s;
		char num[24];
		size_t len;

		if (*f != '%') {
			const char *pct = strchrnul(f, '%');

			len = (size_t)(pct - f);
			if (len > cap - 1 - n)
				len = cap - 1 - n;
			memcpy(out + n, f, len);
			n += len;
			f = pct - 1;
			continue;
		}
		if (f[1] == 's') {
			s = va_arg(ap, const char *);
			f++;
		} else if (f[1] == 'd') {
			snprintf(num, sizeof(num), "%d", va_arg(ap, int));
			s = num;
			f++;
		} else if (f[1] == 'l' && f[2] == 'l' && f[3] == 'd') {
			snprintf(num, sizeof(num), "%lld", va_arg(ap, long long));
			s = num;
			f += 3;
		} else if (f[1] == '%') {
			s = "%";
			f++;
		} else {
			int r = vsnprintf(out + n, cap - n, f, ap);   /* the rest, whole */

			if (r > 0)
				n += (size_t)r < cap - n ? (size_t)r : cap - n - 1;
			return n;
		}
		len = strnlen(s, cap - 1 - n);
		memcpy(out + n, s, len);
		n += len;
	}
	out[n] = '\0';
	return n;
}

/* Add a reason (or a warning, when warning is set) with its sentence and
 * the particulars of this case. */
static void add(struct smp_decision *d, int code, bool warning, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void add(struct smp_decision *d, int code, bool warning, const char *fmt, ...)
{
	const char *sentence = warning ? smp_warning_sentence((smp_warning)code)
	                               : smp_reason_sentence((smp_reason)code);
	size_t ls = strlen(sentence), ld = 0, n;
	char detail[768], *msg;

	/* "SENTENCE DETAIL", the detail cut at 767 bytes, stored in buf while
	 * it fits, else in the arena */
	if (fmt != NULL) {
		va_list ap;

		va_start(ap, fmt);
		ld = format_detail(detail, sizeof(detail), fmt, ap);
		va_end(ap);
	}
	n = ls + (ld > 0 ? 1 + ld : 0);
	if (n + 1 <= DECISION_SIZE - offsetof(struct smp_decision, buf) - d->used) {
		msg = d->buf + d->used;
		d->used += n + 1;
	} else {
		msg = arena_alloc(&d->mem, n + 1);
		if (msg == NULL) {
			d->nomem = true;
			return;
		}
	}
	memcpy(msg, sentence, ls);
	if (ld > 0) {
		msg[ls] = ' ';
		memcpy(msg + ls + 1, detail, ld);
	}
	msg[n] = '\0';
	if (warning) {
		d->warnings[d->nwarnings] = (smp_warning)code;
		d->warning_messages[d->nwarnings++] = msg;
	} else {
		d->reasons[d->nreasons] = (smp_reason)code;
		d->messages[d->nreasons++] = msg;
	}
}

static const char *fmt_time(const smp_policy *p, int64_t t, char *buf, size_t n)
{
	if (time_format_tz(p->tz, t, buf, n) == NULL)
		snprintf(buf, n, "@%lld", (long long)t);
	return buf;
}

static bool lists(const uint32_t *v, size_t n, uint32_t x)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

struct approval_result {
	const struct approval *a;
	smp_approval_state state;
	int64_t until;          /* for a valid approval: when it stops holding */
};

/* The approval that answers the request, and its state (docs/SEMANTICS.md).
 * An approval is read only if it can hold at t; of the others, the list
 * entry tells when each started. */
static struct approval_result pick_approval(const smp_policy *p, const struct staff *s,
                                            uint32_t platform, int64_t t)
{
	struct approval_result best = { NULL, SMP_STATE_VALID, 0 }, over = best, latest = best;
	int64_t latest_start = 0;

	for (size_t i = s->platform_start[platform]; i < s->platform_start[platform + 1]; i++) {
		const struct pick *e = &s->by_platform[i];
		const struct approval *a = &p->approvals[e->approval];
		smp_approval_state st = SMP_STATE_EXPIRED;   /* any state that cannot hold */
		int64_t next;

		if (e->from <= t && (t < e->to || e->to == SMP_TIME_MAX))
			st = approval_state(p, a, t);
		if (st == SMP_STATE_VALID) {
			int64_t until = a->valid.to;

			approval_over_cap(a, t, &next);
			if (next < until)
				until = next;
			if (best.a == NULL || until > best.until)
				best = (struct approval_result){ a, st, until };
		} else if (st == SMP_STATE_OVER_CAP) {
			if (over.a == NULL)
				over = (struct approval_result){ a, st, 0 };
		} else if (e->started <= t && (latest.a == NULL || e->started >= latest_start)) {
			latest = (struct approval_result){ a, st, 0 };
			latest_start = e->started;
		}
	}
	if (best.a != NULL)
		return best;
	if (over.a != NULL)
		return over;
	if (latest.a != NULL)
		latest.state = approval_state(p, latest.a, t);
	return latest;
}

static void approval_rules(const smp_policy *p, struct smp_decision *d, const struct staff *s,
                           uint32_t platform, int64_t t)
{
	struct approval_result r = pick_approval(p, s, platform, t);
	const struct approval *a = r.a;
	char tb[40];
	int64_t next;

	if (a == NULL) {
		add(d, SMP_R_NO_APPROVAL, false, "No approval of '%s' for '%s' has started by %s.",
		    s->id, p->platforms[platform].id, fmt_time(p, t, tb, sizeof(tb)));
		return;
	}
	d->approval = a->id;
	switch (r.state) {
	case SMP_STATE_VALID:
		d->has_until = true;
		d->until = r.until;
		d->relied = a;
		break;
	case SMP_STATE_OVER_CAP:
		approval_over_cap(a, t, &next);
		if (next < a->valid.to)
			add(d, SMP_R_OFFICE_CAP_EXCEEDED, false,
			    "Approval %s is beyond the cap of %d persons for office '%s' until %s.",
			    a->id, p->set.max_per_office, p->offices[s->office].id,
			    fmt_time(p, next, tb, sizeof(tb)));
		else
			add(d, SMP_R_OFFICE_CAP_EXCEEDED, false,
			    "Approval %s is beyond the cap of %d persons for office '%s' for the rest "
			    "of its period.", a->id, p->set.max_per_office, p->offices[s->office].id);
		break;
	case SMP_STATE_INVALID:
		add(d, SMP_R_APPROVAL_INVALID, false, "Approval %s: %s.", a->id, a->invalid_why);
		break;
	case SMP_STATE_REVOKED:
		add(d, SMP_R_APPROVAL_REVOKED, false, "Approval %s was revoked at %s by %s (\"%s\").",
		    a->id, fmt_time(p, a->revoked.on, tb, sizeof(tb)),
		    a->revoked.by != NONE || a->revoked.by_absent != NULL ?
		    author_id(p, a->revoked.by, a->revoked.by_absent) : "?",
		    a->revoked.reason ? a->revoked.reason : "");
		break;
	case SMP_STATE_EXPIRED:
		add(d, SMP_R_APPROVAL_EXPIRED, false, "Approval %s lapsed at %s.", a->id,
		    fmt_time(p, a->end, tb, sizeof(tb)));
		break;
	case SMP_STATE_PENDING:
	case SMP_STATE_NOT_STARTED:
		add(d, SMP_R_APPROVAL_PENDING, false, "Approval %s lacks the sign-off of %s.", a->id,
		    (!a->cpp.present || a->cpp.on > t)
		        ? ((!a->it.present || a->it.on > t) ? "both directors" : "the Director of CP&P")
		        : "the Director of IT");
		break;
	}
}

static void device_rules(const smp_policy *p, struct smp_decision *d, const char *device,
                         uint32_t i, uint32_t platform)
{
	const struct device *dv;

	if (i == NONE) {
		add(d, SMP_R_DEVICE_UNKNOWN, false, "Device '%s' is not in the device records.", device);
		return;
	}
	dv = &p->devices[i];
	if (dv->void_why != NULL) {
		add(d, SMP_R_DEVICE_UNKNOWN, false, "The record of device '%s' is void: %s.", dv->id,
		    dv->void_why);
		return;
	}
	if (!dv->dcf_owned)
		add(d, SMP_R_DEVICE_NOT_DCF, false, "Device '%s' is privately owned.", dv->id);
	if (platform != NONE && p->platforms[platform].mobile_only &&
	    !(dv->dcf_owned && dv->kind == DEV_MOBILE && lists(dv->apps, dv->napps, platform)))
		add(d, SMP_R_APP_NOT_APPROVED, false,
		    "'%s' is mobile-only and device '%s' is not a DCF mobile device with its app approved.",
		    p->platforms[platform].name, dv->id);
}

static bool at_or_before(const struct opt_time *o, int64_t t)
{
	return o->set && o->t <= t;
}

/* The account rules (§B, §D); returns the next moment an account event
 * could change the outcome, for valid_until. */
static int64_t account_rules(const smp_policy *p, struct smp_decision *d,
                             const struct smp_request *req, uint32_t i, uint32_t user,
                             uint32_t platform)
{
	const struct account *a;
	int64_t t = req->at, next = SMP_TIME_MAX;
	char tb[40];

	if (req->account == NULL) {
		add(d, SMP_R_ACCOUNT_REQUIRED, false, NULL);
		return next;
	}
	if (i == NONE) {
		add(d, SMP_R_ACCOUNT_UNKNOWN, false, "Account '%s' is not in the records.", req->account);
		return next;
	}
	a = &p->accounts[i];
	if (a->void_why != NULL) {
		add(d, SMP_R_ACCOUNT_UNKNOWN, false, "The record of account '%s' is void: %s.", a->id,
		    a->void_why);
		return next;
	}
	if (!a->official)
		add(d, SMP_R_ACCOUNT_NOT_OFFICIAL, false, "Account '%s' is a personal account.", a->id);
	else if (platform != NONE && a->platform != platform)
		add(d, SMP_R_ACCOUNT_NOT_OFFICIAL, false, "Account '%s' is an account on '%s'.", a->id,
		    p->platforms[a->platform].id);
	if (user != NONE && a->holder != user)
		add(d, SMP_R_ACCOUNT_NOT_HELD, false, "Account '%s' is held by '%s'.", a->id,
		    p->staff[a->holder].id);
	if (a->personal_info)
		add(d, SMP_R_ACCOUNT_PERSONAL_INFO, false, NULL);
	if (!at_or_before(&a->password_escrowed, t))
		add(d, SMP_R_PASSWORD_NOT_ESCROWED, false, "Account '%s'.", a->id);
	else if (at_or_before(&a->password_changed, t) &&
	         a->password_changed.t > a->password_escrowed.t)
		add(d, SMP_R_PASSWORD_CHANGE_UNREPORTED, false,
		    "The password of '%s' changed at %s.", a->id,
		    fmt_time(p, a->password_changed.t, tb, sizeof(tb)));
	if (at_or_before(&a->compromised_reported, t) && !at_or_before(&a->compromised_resolved, t))
		add(d, SMP_R_ACCOUNT_COMPROMISED, false, "Reported at %s.",
		    fmt_time(p, a->compromised_reported.t, tb, sizeof(tb)));
	if (a->password_changed.set && a->password_changed.t > t)
		next = a->password_changed.t;
	if (a->compromised_reported.set && a->compromised_reported.t > t &&
	    a->compromised_reported.t < next)
		next = a->compromised_reported.t;
	return next;
}

/* The approval-expiring warning, saying what ends the approval's hold. */
static void warn_lapse(const smp_policy *p, struct smp_decision *d, int64_t t)
{
	const struct approval *a = d->relied;
	char tb[40];
	int64_t next;

	fmt_time(p, d->until, tb, sizeof(tb));
	approval_over_cap(a, t, &next);
	if (next == d->until && next < a->valid.to)
		add(d, SMP_W_APPROVAL_EXPIRING, true,
		    "Approval %s loses its place under the office cap at %s.", a->id, tb);
	else if (a->revoked.present && a->revoked.on == d->until && a->revoked.on < a->end)
		add(d, SMP_W_APPROVAL_EXPIRING, true, "Approval %s is revoked from %s.", a->id, tb);
	else
		add(d, SMP_W_APPROVAL_EXPIRING, true, "Approval %s lapses at %s.", a->id, tb);
}

static bool is_prohibited(smp_action a)
{
	return a >= SMP_ACTION_FRIEND && a <= SMP_ACTION_CHAT_NONWORK;
}

void smp_request_init(struct smp_request *req)
{
	if (req == NULL)
		return;
	memset(req, 0, sizeof(*req));
	req->size = sizeof(*req);
	req->action = SMP_ACTION_VIEW;
	req->purpose = SMP_PURPOSE_INFO_GATHERING;
	req->at = (int64_t)time(NULL);
	req->warn_days = -1;
}

static void evaluate(const smp_policy *p, const struct smp_request *req, const char *device,
                     struct smp_decision *d)
{
	uint32_t user = policy_find_staff(p, req->user);
	uint32_t platform = policy_find_platform(p, req->platform);
	uint32_t dev = policy_find_device(p, device);
	uint32_t account = req->action != SMP_ACTION_VIEW && req->account != NULL
	                   ? policy_find_account(p, req->account) : NONE;
	int64_t account_next = SMP_TIME_MAX, left;
	int warn_days;

	/* The records the rules read, found first and fetched together: on a
	 * statewide policy each is a cache miss, and one after another they
	 * are most of a decision's time (docs/PERFORMANCE.md). */
	if (dev != NONE)
		__builtin_prefetch(&p->devices[dev]);
	if (account != NONE)
		__builtin_prefetch(&p->accounts[account]);
	if (user != NONE && platform != NONE)
		__builtin_prefetch(&p->staff[user].platform_start[platform]);

	if (user == NONE) {
		add(d, SMP_R_UNKNOWN_USER, false, "'%s' is not in the staff records.", req->user);
	} else if (p->staff[user].void_why != NULL) {
		add(d, SMP_R_UNKNOWN_USER, false, "The staff record of '%s' is void: %s.",
		    p->staff[user].id, p->staff[user].void_why);
		user = NONE;   /* nothing of a void record is read */
	} else if (p->staff[user].left.set && req->at >= p->staff[user].left.t) {
		char tb[40];

		add(d, SMP_R_UNKNOWN_USER, false, "'%s' left the agency at %s.", p->staff[user].id,
		    fmt_time(p, p->staff[user].left.t, tb, sizeof(tb)));
		user = NONE;
	}
	if (platform == NONE)
		add(d, SMP_R_UNKNOWN_PLATFORM, false, "'%s' is not in the catalogue.", req->platform);
	device_rules(p, d, device, dev, platform);
	if (user != NONE && platform != NONE)
		approval_rules(p, d, &p->staff[user], platform, req->at);
	if (req->action != SMP_ACTION_VIEW) {
		if (req->public_info_sufficient)
			add(d, SMP_R_PUBLIC_INFO_SUFFICES, false, NULL);
		account_next = account_rules(p, d, req, account, user, platform);
	}
	if (req->purpose == SMP_PURPOSE_CLIENT_COMMUNICATION) {
		if (req->other_means_available)
			add(d, SMP_R_NOT_LAST_RESORT, false, NULL);
		if ((req->action == SMP_ACTION_POST || req->action == SMP_ACTION_COMMENT) &&
		    platform != NONE && p->platforms[platform].private_messaging)
			add(d, SMP_R_PUBLIC_CHANNEL, false, "Use a private message on %s instead.",
			    p->platforms[platform].name);
	}
	if (is_prohibited(req->action))
		add(d, SMP_R_PROHIBITED_CONDUCT, false, "The action '%s' is prohibited.",
		    smp_action_name(req->action));

	d->allowed = d->nreasons == 0 && d->has_until;
	if (!d->allowed) {
		d->has_until = false;
		return;
	}
	/* the approval's own lapse drives the warning; account events only
	 * shorten valid_until */
	warn_days = req->warn_days >= 0 ? req->warn_days : p->set.warn_days;
	if (d->until != SMP_TIME_MAX && !__builtin_sub_overflow(d->until, req->at, &left) &&
	    left <= (int64_t)warn_days * 86400)   /* an overflow is a gap past any warning */
		warn_lapse(p, d, req->at);
	if (account_next < d->until)
		d->until = account_next;
	if (d->until == SMP_TIME_MAX)
		d->has_until = false;
}

smp_status smp_decide(const smp_policy *p, const struct smp_request *req, smp_decision **out)
{
	struct smp_decision *d;
	char host[256];
	const char *device;

	if (out != NULL)
		*out = NULL;
	if (p == NULL || !SIZE_OK(req) || out == NULL || req->user == NULL ||
	    req->platform == NULL || (unsigned)req->action >= SMP_ACTION__COUNT ||
	    (unsigned)req->purpose >= SMP_PURPOSE__COUNT)
		return SMP_ERR_ARG;
	device = req->device;
	if (device == NULL) {
		if (gethostname(host, sizeof(host)) != 0)
			return SMP_ERR_ARG;
		host[sizeof(host) - 1] = '\0';
		device = host;
	}
	/* a policy of one person and device knows nothing of anyone else:
	 * an unknown-user DENY for another would be a wrong answer */
	if (p->login.only_user != NULL &&
	    (strcmp(req->user, p->login.only_user) != 0 || strcmp(device, p->login.only_device) != 0 ||
	     (req->action != SMP_ACTION_VIEW && req->account != NULL &&
	      policy_find_account(p, req->account) == NONE)))   /* not theirs: held elsewhere? */
		return SMP_ERR_ARG;
	d = malloc(DECISION_SIZE);
	if (d == NULL)
		return SMP_ERR_NOMEM;
	memset(d, 0, offsetof(struct smp_decision, buf));
	evaluate(p, req, device, d);
	if (d->nomem) {
		smp_decision_free(d);
		return SMP_ERR_NOMEM;
	}
	*out = d;
	return SMP_OK;
}

bool smp_decision_allowed(const smp_decision *d)
{
	return d != NULL && d->allowed;
}

size_t smp_decision_reason_count(const smp_decision *d)
{
	return d ? d->nreasons : 0;
}

smp_reason smp_decision_reason(const smp_decision *d, size_t i)
{
	return (d && i < d->nreasons) ? d->reasons[i] : SMP_R__COUNT;
}

const char *smp_decision_reason_message(const smp_decision *d, size_t i)
{
	return (d && i < d->nreasons) ? d->messages[i] : NULL;
}

size_t smp_decision_warning_count(const smp_decision *d)
{
	return d ? d->nwarnings : 0;
}

smp_warning smp_decision_warning(const smp_decision *d, size_t i)
{
	return (d && i < d->nwarnings) ? d->warnings[i] : SMP_W__COUNT;
}

const char *smp_decision_warning_message(const smp_decision *d, size_t i)
{
	return (d && i < d->nwarnings) ? d->warning_messages[i] : NULL;
}

bool smp_decision_valid_until(const smp_decision *d, int64_t *out)
{
	if (d == NULL || !d->has_until)
		return false;
	if (out != NULL)
		*out = d->until;
	return true;
}

const char *smp_decision_approval(const smp_decision *d)
{
	return d ? d->approval : NULL;
}

void smp_decision_free(smp_decision *d)
{
	if (d == NULL)
		return;
	arena_release(&d->mem);
	free(d);
}
