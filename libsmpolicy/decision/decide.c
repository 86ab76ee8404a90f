/*
 * decide.c - a request into ALLOW or DENY with every failed rule
 * (smpolicy(1), REASON CODES).  Reads the loaded policy only: safe from
 * many threads.
 *
 * A decision keeps, for each reason and warning, its code, the format of
 * its particulars and their arguments; the messages are written when a
 * caller first reads one (most callers read only the answer and the
 * codes, and writing the messages, their moments in the policy's zone
 * above all, cost more than the rules: docs/PERFORMANCE.md, "Decide").
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "policy/policy.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* One argument of a message's particulars, kept until the message is read:
 * %s a string (the policy's, or a copy of the request's), %d an int, %T a
 * moment, written in the policy's zone. */
union arg {
	const char *s;
	long long n;
	int64_t t;
};

#define ARG_S(x) ((union arg){ .s = (x) })
#define ARG_N(x) ((union arg){ .n = (x) })
#define ARG_T(x) ((union arg){ .t = (x) })

/* The rules below add at most 19 arguments to one decision (the user 2,
 * the platform 1, the device 3, the approval 4, the account 7, the channel
 * and the conduct 1 each; a warning's 2 only when there is no reason). */
#define MAX_ARGS 24

struct note {
	const char *fmt;           /* the particulars, NULL for none */
	unsigned char first;       /* its first argument in args */
};

/* The messages, written at the first read of one. */
struct texts {
	struct arena mem;
	const char *msg[SMP_R__COUNT + SMP_W__COUNT];   /* reasons, then warnings */
};

struct smp_decision {
	bool allowed;
	bool has_until;
	bool nomem;
	unsigned char nreasons, nwarnings, nargs;
	unsigned short used;       /* of buf */
	int64_t until;
	const char *approval;
	const struct approval *relied;   /* the approval an ALLOW holds on */
	const smp_policy *p;       /* its zone and strings, for the messages */
	_Atomic(struct texts *) texts;
	struct arena mem;          /* copies of the request's strings that do not fit in buf */
	/* zeroed up to here; the rest is written as it is used */
	smp_reason reasons[SMP_R__COUNT];
	smp_warning warnings[SMP_W__COUNT];
	struct note notes[SMP_R__COUNT + SMP_W__COUNT];   /* reasons, then warnings */
	union arg args[MAX_ARGS];
	char buf[];                /* copies of the request's strings, to DECISION_SIZE */
};

/* A decision is one malloc of this size.  glibc serves a request of up to
 * 1008 bytes from its per-thread cache or a small bin; a larger one takes
 * _int_malloc's large-request path on every decision. */
#define DECISION_SIZE 1008
_Static_assert(offsetof(struct smp_decision, buf) + 64 <= DECISION_SIZE,
               "room for the request's strings of a typical decision");
_Static_assert(SMP_R__COUNT + SMP_W__COUNT <= 255 && MAX_ARGS <= 255,
               "notes and arguments are counted in bytes");

/* The longest particulars: a message's detail is cut there, a request's
 * string kept to there. */
#define DETAIL_MAX 767

/* A copy of the request's string s in d (the request may be gone when a
 * message is read), cut at DETAIL_MAX bytes as its message would be. */
static const char *keep(struct smp_decision *d, const char *s)
{
	size_t n = strnlen(s, DETAIL_MAX);
	char *c;

	if (n + 1 <= DECISION_SIZE - offsetof(struct smp_decision, buf) - d->used) {
		c = d->buf + d->used;
		d->used += (unsigned short)(n + 1);
	} else if ((c = arena_alloc(&d->mem, n + 1)) == NULL) {
		d->nomem = true;
		return "";
	}
	memcpy(c, s, n);
	c[n] = '\0';
	return c;
}

/* Add a reason (or a warning, when warning is set) with the format of its
 * particulars and their n arguments (union arg: ARG_S, ARG_N, ARG_T). */
static void add(struct smp_decision *d, int code, bool warning, const char *fmt, int n, ...)
{
	struct note *e;
	va_list ap;

	if (d->nargs + n > MAX_ARGS) {   /* cannot happen (MAX_ARGS); fail closed if it did */
		d->nomem = true;
		return;
	}
	if (warning) {
		e = &d->notes[SMP_R__COUNT + d->nwarnings];
		d->warnings[d->nwarnings++] = (smp_warning)code;
	} else {
		e = &d->notes[d->nreasons];
		d->reasons[d->nreasons++] = (smp_reason)code;
	}
	e->fmt = fmt;
	e->first = d->nargs;
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		d->args[d->nargs++] = va_arg(ap, union arg);
	va_end(ap);
}

static const char *fmt_time(const smp_policy *p, int64_t t, char *buf, size_t n)
{
	if (time_format_tz(p->tz, t, buf, n) == NULL)
		snprintf(buf, n, "@%lld", (long long)t);
	return buf;
}

/* The particulars: fmt with its arguments from a (%s, %d, %T and %% only),
 * written into out[0 .. cap-1] and cut there, as vsnprintf cuts; returns
 * the length written. */
static size_t format_detail(const smp_policy *p, char *out, size_t cap, const char *fmt,
                            const union arg *a)
{
	size_t n = 0;

	for (const char *f = fmt; *f; f++) {
		const char *s;
		char num[40];
		size_t len;

		if (*f != '%' || (f[1] != 's' && f[1] != 'd' && f[1] != 'T' && f[1] != '%')) {
			const char *pct = strchrnul(f + 1, '%');

			len = (size_t)(pct - f);
			if (len > cap - 1 - n)
				len = cap - 1 - n;
			memcpy(out + n, f, len);
			n += len;
			f = pct - 1;
			continue;
		}
		f++;
		if (*f == 's')
			s = (a++)->s;
		else if (*f == 'd')
			snprintf(num, sizeof(num), "%lld", (a++)->n), s = num;
		else if (*f == 'T')
			s = fmt_time(p, (a++)->t, num, sizeof(num));
		else
			s = "%";
		len = strnlen(s, cap - 1 - n);
		memcpy(out + n, s, len);
		n += len;
	}
	out[n] = '\0';
	return n;
}

/* "SENTENCE DETAIL" of note i (a reason below SMP_R__COUNT, else a warning) in t->mem */
static const char *write_message(const struct smp_decision *d, struct texts *t, size_t i)
{
	const struct note *e = &d->notes[i];
	const char *sentence = i < SMP_R__COUNT
	                       ? smp_reason_sentence(d->reasons[i])
	                       : smp_warning_sentence(d->warnings[i - SMP_R__COUNT]);
	size_t ls = strlen(sentence), ld = 0;
	char detail[DETAIL_MAX + 1], *msg;

	if (e->fmt != NULL)
		ld = format_detail(d->p, detail, sizeof(detail), e->fmt, &d->args[e->first]);
	msg = arena_alloc(&t->mem, ls + 1 + ld + 1);
	if (msg == NULL)
		return NULL;
	memcpy(msg, sentence, ls);
	if (ld > 0) {
		msg[ls] = ' ';
		memcpy(msg + ls + 1, detail, ld + 1);
	}
	return msg;
}

/* The decision's messages, written at the first call.  Two threads reading
 * one decision may both write them; the first to finish is kept.  NULL
 * when memory ran out. */
static const struct texts *texts(const smp_decision *d)
{
	struct smp_decision *w = (struct smp_decision *)d;   /* allocated writable by smp_decide */
	struct texts *t = atomic_load_explicit(&w->texts, memory_order_acquire), *none = NULL;

	if (t != NULL)
		return t;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	for (size_t i = 0; i < d->nreasons + d->nwarnings; i++) {
		size_t k = i < d->nreasons ? i : SMP_R__COUNT + (i - d->nreasons);

		t->msg[k] = write_message(d, t, k);
		if (t->msg[k] == NULL) {
			arena_release(&t->mem);
			free(t);
			return NULL;
		}
	}
	if (!atomic_compare_exchange_strong_explicit(&w->texts, &none, t, memory_order_acq_rel,
	                                             memory_order_acquire)) {
		arena_release(&t->mem);
		free(t);
		return none;
	}
	return t;
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

/* An approval whose interval holds t: its state, and if it holds (valid,
 * or over the cap), whether it answers better than best or over.  False
 * when it does not hold (it then counts by when it started).  Out of the
 * loop below: few entries of a list get here. */
static __attribute__((noinline)) bool consider(const smp_policy *p, const struct approval *a,
                                               int64_t t, struct approval_result *best,
                                               struct approval_result *over)
{
	smp_approval_state st = approval_state(p, a, t);
	int64_t until = a->valid.to, next;

	if (st == SMP_STATE_OVER_CAP) {
		if (over->a == NULL)
			*over = (struct approval_result){ a, st, 0 };
		return true;
	}
	if (st != SMP_STATE_VALID)
		return false;
	approval_over_cap(a, t, &next);
	if (next < until)
		until = next;
	if (best->a == NULL || until > best->until)
		*best = (struct approval_result){ a, st, until };
	return true;
}

/* The approval that answers the request, and its state (docs/SEMANTICS.md).
 * An approval is read only if it can hold at t; of the others, the list
 * entry tells when each started. */
static struct approval_result pick_approval(const smp_policy *p, const struct staff *s,
                                            uint32_t platform, int64_t t)
{
	struct approval_result best = { NULL, SMP_STATE_VALID, 0 }, over = best, latest = best;
	const struct pick *e = s->by_platform + s->platform_start[platform];
	const struct pick *end = s->by_platform + s->platform_start[platform + 1], *started = NULL;
	int64_t latest_start = INT64_MIN;

	for (; e < end; e++) {
		if (e->from <= t && (t < e->to || e->to == SMP_TIME_MAX) &&
		    consider(p, &p->approvals[e->approval], t, &best, &over))
			continue;
		if (e->started <= t && e->started >= latest_start) {   /* the latest, file order on a tie */
			started = e;
			latest_start = e->started;
		}
	}
	if (best.a != NULL)
		return best;
	if (over.a != NULL)
		return over;
	if (started != NULL) {
		latest.a = &p->approvals[started->approval];
		latest.state = approval_state(p, latest.a, t);
	}
	return latest;
}

static void approval_rules(const smp_policy *p, struct smp_decision *d, const struct staff *s,
                           uint32_t platform, int64_t t)
{
	struct approval_result r = pick_approval(p, s, platform, t);
	const struct approval *a = r.a;
	int64_t next;

	if (a == NULL) {
		add(d, SMP_R_NO_APPROVAL, false, "No approval of '%s' for '%s' has started by %T.",
		    3, ARG_S(s->id), ARG_S(p->platforms[platform].id), ARG_T(t));
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
			    "Approval %s is beyond the cap of %d persons for office '%s' until %T.",
			    4, ARG_S(a->id), ARG_N(p->set.max_per_office),
			    ARG_S(p->offices[s->office].id), ARG_T(next));
		else
			add(d, SMP_R_OFFICE_CAP_EXCEEDED, false,
			    "Approval %s is beyond the cap of %d persons for office '%s' for the rest "
			    "of its period.", 3, ARG_S(a->id), ARG_N(p->set.max_per_office),
			    ARG_S(p->offices[s->office].id));
		break;
	case SMP_STATE_INVALID:
		add(d, SMP_R_APPROVAL_INVALID, false, "Approval %s: %s.", 2, ARG_S(a->id),
		    ARG_S(a->invalid_why));
		break;
	case SMP_STATE_REVOKED:
		add(d, SMP_R_APPROVAL_REVOKED, false, "Approval %s was revoked at %T by %s (\"%s\").",
		    4, ARG_S(a->id), ARG_T(a->revoked.on),
		    ARG_S(a->revoked.by != NONE || a->revoked.by_absent != NULL ?
		          author_id(p, a->revoked.by, a->revoked.by_absent) : "?"),
		    ARG_S(a->revoked.reason ? a->revoked.reason : ""));
		break;
	case SMP_STATE_EXPIRED:
		add(d, SMP_R_APPROVAL_EXPIRED, false, "Approval %s lapsed at %T.", 2,
		    ARG_S(a->id), ARG_T(a->end));
		break;
	case SMP_STATE_PENDING:
	case SMP_STATE_NOT_STARTED:
		add(d, SMP_R_APPROVAL_PENDING, false, "Approval %s lacks the sign-off of %s.", 2,
		    ARG_S(a->id), ARG_S((!a->cpp.present || a->cpp.on > t)
		        ? ((!a->it.present || a->it.on > t) ? "both directors" : "the Director of CP&P")
		        : "the Director of IT"));
		break;
	}
}

static void device_rules(const smp_policy *p, struct smp_decision *d, const char *device,
                         uint32_t i, uint32_t platform)
{
	const struct device *dv;

	if (i == NONE) {
		add(d, SMP_R_DEVICE_UNKNOWN, false, "Device '%s' is not in the device records.", 1,
		    ARG_S(keep(d, device)));
		return;
	}
	dv = &p->devices[i];
	if (dv->void_why != NULL) {
		add(d, SMP_R_DEVICE_UNKNOWN, false, "The record of device '%s' is void: %s.", 2,
		    ARG_S(dv->id), ARG_S(dv->void_why));
		return;
	}
	if (!dv->dcf_owned)
		add(d, SMP_R_DEVICE_NOT_DCF, false, "Device '%s' is privately owned.", 1,
		    ARG_S(dv->id));
	if (platform != NONE && p->platforms[platform].mobile_only &&
	    !(dv->dcf_owned && dv->kind == DEV_MOBILE && lists(dv->apps, dv->napps, platform)))
		add(d, SMP_R_APP_NOT_APPROVED, false,
		    "'%s' is mobile-only and device '%s' is not a DCF mobile device with its app approved.",
		    2, ARG_S(p->platforms[platform].name), ARG_S(dv->id));
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

	if (req->account == NULL) {
		add(d, SMP_R_ACCOUNT_REQUIRED, false, NULL, 0);
		return next;
	}
	if (i == NONE) {
		add(d, SMP_R_ACCOUNT_UNKNOWN, false, "Account '%s' is not in the records.", 1,
		    ARG_S(keep(d, req->account)));
		return next;
	}
	a = &p->accounts[i];
	if (a->void_why != NULL) {
		add(d, SMP_R_ACCOUNT_UNKNOWN, false, "The record of account '%s' is void: %s.", 2,
		    ARG_S(a->id), ARG_S(a->void_why));
		return next;
	}
	if (!a->official)
		add(d, SMP_R_ACCOUNT_NOT_OFFICIAL, false, "Account '%s' is a personal account.", 1,
		    ARG_S(a->id));
	else if (platform != NONE && a->platform != platform)
		add(d, SMP_R_ACCOUNT_NOT_OFFICIAL, false, "Account '%s' is an account on '%s'.", 2,
		    ARG_S(a->id), ARG_S(p->platforms[a->platform].id));
	if (user != NONE && a->holder != user)
		add(d, SMP_R_ACCOUNT_NOT_HELD, false, "Account '%s' is held by '%s'.", 2,
		    ARG_S(a->id), ARG_S(p->staff[a->holder].id));
	if (a->personal_info)
		add(d, SMP_R_ACCOUNT_PERSONAL_INFO, false, NULL, 0);
	if (!at_or_before(&a->password_escrowed, t))
		add(d, SMP_R_PASSWORD_NOT_ESCROWED, false, "Account '%s'.", 1, ARG_S(a->id));
	else if (at_or_before(&a->password_changed, t) &&
	         a->password_changed.t > a->password_escrowed.t)
		add(d, SMP_R_PASSWORD_CHANGE_UNREPORTED, false,
		    "The password of '%s' changed at %T.", 2, ARG_S(a->id),
		    ARG_T(a->password_changed.t));
	if (at_or_before(&a->compromised_reported, t) && !at_or_before(&a->compromised_resolved, t))
		add(d, SMP_R_ACCOUNT_COMPROMISED, false, "Reported at %T.", 1,
		    ARG_T(a->compromised_reported.t));
	if (a->password_changed.set && a->password_changed.t > t)
		next = a->password_changed.t;
	if (a->compromised_reported.set && a->compromised_reported.t > t &&
	    a->compromised_reported.t < next)
		next = a->compromised_reported.t;
	return next;
}

/* The approval-expiring warning, saying what ends the approval's hold. */
static void warn_lapse(struct smp_decision *d, int64_t t)
{
	const struct approval *a = d->relied;
	int64_t next;

	approval_over_cap(a, t, &next);
	if (next == d->until && next < a->valid.to)
		add(d, SMP_W_APPROVAL_EXPIRING, true,
		    "Approval %s loses its place under the office cap at %T.", 2, ARG_S(a->id),
		    ARG_T(d->until));
	else if (a->revoked.present && a->revoked.on == d->until && a->revoked.on < a->end)
		add(d, SMP_W_APPROVAL_EXPIRING, true, "Approval %s is revoked from %T.", 2,
		    ARG_S(a->id), ARG_T(d->until));
	else
		add(d, SMP_W_APPROVAL_EXPIRING, true, "Approval %s lapses at %T.", 2,
		    ARG_S(a->id), ARG_T(d->until));
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

/* account: the request's account looked up (NONE when absent or not read) */
static void evaluate(const smp_policy *p, const struct smp_request *req, const char *device,
                     uint32_t account, struct smp_decision *d)
{
	uint32_t user = policy_find_staff(p, req->user);
	uint32_t platform = policy_find_platform(p, req->platform);
	uint32_t dev = policy_find_device(p, device);
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
		add(d, SMP_R_UNKNOWN_USER, false, "'%s' is not in the staff records.", 1,
		    ARG_S(keep(d, req->user)));
	} else if (p->staff[user].void_why != NULL) {
		add(d, SMP_R_UNKNOWN_USER, false, "The staff record of '%s' is void: %s.", 2,
		    ARG_S(p->staff[user].id), ARG_S(p->staff[user].void_why));
		user = NONE;   /* nothing of a void record is read */
	} else if (p->staff[user].left.set && req->at >= p->staff[user].left.t) {
		add(d, SMP_R_UNKNOWN_USER, false, "'%s' left the agency at %T.", 2,
		    ARG_S(p->staff[user].id), ARG_T(p->staff[user].left.t));
		user = NONE;
	}
	if (platform == NONE)
		add(d, SMP_R_UNKNOWN_PLATFORM, false, "'%s' is not in the catalogue.", 1,
		    ARG_S(keep(d, req->platform)));
	device_rules(p, d, device, dev, platform);
	if (user != NONE && platform != NONE)
		approval_rules(p, d, &p->staff[user], platform, req->at);
	if (req->action != SMP_ACTION_VIEW) {
		if (req->public_info_sufficient)
			add(d, SMP_R_PUBLIC_INFO_SUFFICES, false, NULL, 0);
		account_next = account_rules(p, d, req, account, user, platform);
	}
	if (req->purpose == SMP_PURPOSE_CLIENT_COMMUNICATION) {
		if (req->other_means_available)
			add(d, SMP_R_NOT_LAST_RESORT, false, NULL, 0);
		if ((req->action == SMP_ACTION_POST || req->action == SMP_ACTION_COMMENT) &&
		    platform != NONE && p->platforms[platform].private_messaging)
			add(d, SMP_R_PUBLIC_CHANNEL, false, "Use a private message on %s instead.", 1,
			    ARG_S(p->platforms[platform].name));
	}
	if (is_prohibited(req->action))
		add(d, SMP_R_PROHIBITED_CONDUCT, false, "The action '%s' is prohibited.", 1,
		    ARG_S(smp_action_name(req->action)));

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
		warn_lapse(d, req->at);
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
	uint32_t account;

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
	account = req->action != SMP_ACTION_VIEW && req->account != NULL
	          ? policy_find_account(p, req->account) : NONE;
	/* a policy of one person and device knows nothing of anyone else:
	 * an unknown-user DENY for another would be a wrong answer */
	if (p->login.only_user != NULL &&
	    (strcmp(req->user, p->login.only_user) != 0 || strcmp(device, p->login.only_device) != 0 ||
	     (req->action != SMP_ACTION_VIEW && req->account != NULL &&
	      account == NONE)))   /* not theirs: held elsewhere? */
		return SMP_ERR_ARG;
	d = malloc(DECISION_SIZE);
	if (d == NULL)
		return SMP_ERR_NOMEM;
	memset(d, 0, offsetof(struct smp_decision, reasons));
	atomic_init(&d->texts, NULL);
	d->p = p;
	evaluate(p, req, device, account, d);
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
	const struct texts *t;

	if (d == NULL || i >= d->nreasons)
		return NULL;
	t = texts(d);
	return t != NULL ? t->msg[i] : smp_reason_sentence(d->reasons[i]);
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
	const struct texts *t;

	if (d == NULL || i >= d->nwarnings)
		return NULL;
	t = texts(d);
	return t != NULL ? t->msg[SMP_R__COUNT + i] : smp_warning_sentence(d->warnings[i]);
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
	struct texts *t = atomic_load_explicit(&d->texts, memory_order_acquire);

	if (t != NULL) {
		arena_release(&t->mem);
		free(t);
	}
	arena_release(&d->mem);
	free(d);
}
