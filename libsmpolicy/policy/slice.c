/*
 * slice.c - the policy of one person cut from a loaded policy:
 * what a decision for that person needs and nothing else, so that a login
 * reads a few kilobytes of the login store (store.c) instead of the
 * whole records.
 *
 * A slice is an smp_policy like any other, with the same structs, so that
 * decide.c and query.c read it unchanged and cache.c's walk writes and
 * checks its image: the settings and the whole catalogue (in catalogue
 * order: a device record of the store names platforms by index), the
 * person's office, staff entry, approvals with everything validate.c
 * derived of them (invalid_why, the valid interval, the over-cap periods,
 * which depend on other people's approvals and so cannot be derived again
 * from the slice), accounts, and the staff entries and offices those name
 * (signers, requesters, supervisors: their ids appear in messages).
 * Those others carry no approvals or accounts of their own.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "policy/policy.h"

#include <stdlib.h>
#include <string.h>

/* Indexes of p's records kept in the slice, in the order they were first
 * met: a slice names a few dozen at most, so a linear search serves. */
struct keep {
	uint32_t *v;
	size_t n, cap;
	bool oom;
};

/* The slice's index of p's record i, adding it if new; NONE for NONE. */
static uint32_t keep(struct keep *k, uint32_t i)
{
	if (i == NONE)
		return NONE;
	for (size_t j = 0; j < k->n; j++)
		if (k->v[j] == i)
			return (uint32_t)j;
	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 16;
		uint32_t *v = realloc(k->v, cap * sizeof(*v));

		if (v == NULL) {
			k->oom = true;
			return NONE;
		}
		k->v = v;
		k->cap = cap;
	}
	k->v[k->n] = i;
	return (uint32_t)k->n++;
}

struct slicer {
	const smp_policy *p;
	smp_policy *q;
	struct keep staff, offices;
	struct time_log zone;
	bool oom;
};

static char *dup(struct slicer *s, const char *x)
{
	char *c;

	if (x == NULL)
		return NULL;
	c = arena_strdup(&s->q->mem, x);
	s->oom |= c == NULL;
	return c;
}

static void *alloc(struct slicer *s, size_t n, size_t size)
{
	/* never NULL for an empty list: the walk wants a place for each */
	void *v = arena_alloc(&s->q->mem, (n ? n : 1) * size);

	s->oom |= v == NULL;
	return v;
}

/* A record's file: the slice's own copy of that name, so that every
 * record of a file shares one string (the walk reads each once). */
static struct where where(struct slicer *s, struct where at)
{
	const smp_policy *p = s->p, *q = s->q;

	if (at.file != NULL && q->config_path != NULL && strcmp(at.file, p->config_path) == 0)
		return (struct where){ q->config_path, at.line };
	for (size_t i = 0; at.file != NULL && q->records_paths != NULL && i < p->nrecords; i++)
		if (strcmp(at.file, p->records_paths[i]) == 0)
			return (struct where){ q->records_paths[i], at.line };
	return (struct where){ dup(s, at.file), at.line };
}

/* The zone's answer at every moment the slice keeps: a login in another
 * zone would have read the records' local times otherwise. */
static void ask(struct slicer *s, int64_t t)
{
	if (t != SMP_TIME_MIN && t != SMP_TIME_MAX)
		time_log_ask(&s->zone, t);
}

static void ask_opt(struct slicer *s, const struct opt_time *o)
{
	if (o->set)
		ask(s, o->t);
}

static void copy_settings(struct slicer *s)
{
	const smp_policy *p = s->p;
	smp_policy *q = s->q;

	q->config_path = dup(s, p->config_path);
	q->cache_path = dup(s, p->cache_path);
	q->nrecords = p->nrecords;
	q->records_paths = alloc(s, p->nrecords + 1, sizeof(char *));
	for (size_t i = 0; q->records_paths != NULL && i < p->nrecords; i++)
		q->records_paths[i] = dup(s, p->records_paths[i]);
	q->set = p->set;
	q->set.audit = dup(s, p->set.audit);
	q->set.time_zone = dup(s, p->set.time_zone);
	q->tz = NULL;   /* the image holds the name; a reader loads the zone */
	q->set.device_domains = NULL;
	if (p->set.device_domains != NULL) {
		size_t nd = 0;

		while (p->set.device_domains[nd] != NULL)
			nd++;
		q->set.device_domains = alloc(s, nd + 1, sizeof(char *));
		for (size_t k = 0; q->set.device_domains != NULL && k < nd; k++)
			q->set.device_domains[k] = dup(s, p->set.device_domains[k]);
	}
	q->set.signers = dup(s, p->set.signers);
	q->digests = alloc(s, policy_nsources(p), sizeof(*q->digests));
	if (q->digests != NULL)
		memcpy(q->digests, p->digests, policy_nsources(p) * sizeof(*q->digests));
}

static void copy_platforms(struct slicer *s)
{
	const smp_policy *p = s->p;
	smp_policy *q = s->q;

	q->platforms = alloc(s, p->nplatforms, sizeof(*q->platforms));
	if (q->platforms == NULL)
		return;
	q->nplatforms = p->nplatforms;
	for (size_t i = 0; i < p->nplatforms; i++) {
		const struct platform *from = &p->platforms[i];
		struct platform *to = &q->platforms[i];
		size_t nd = 0;

		*to = *from;
		to->id = dup(s, from->id);
		to->name = dup(s, from->name);
		to->at = where(s, from->at);
		if (from->domains == NULL)
			continue;
		while (from->domains[nd] != NULL)
			nd++;
		to->domains = alloc(s, nd + 1, sizeof(char *));
		for (size_t k = 0; to->domains != NULL && k < nd; k++)
			to->domains[k] = dup(s, from->domains[k]);
	}
}

static void copy_approval(struct slicer *s, const struct approval *from, struct approval *to)
{
	smp_policy *q = s->q;

	*to = *from;
	to->id = dup(s, from->id);
	to->staff = 0;
	to->platforms = alloc(s, from->nplatforms, sizeof(uint32_t));
	to->platform_ids = alloc(s, from->nplatforms + 1, sizeof(char *));
	for (size_t k = 0; to->platforms != NULL && to->platform_ids != NULL &&
	                   k < from->nplatforms; k++) {
		to->platforms[k] = from->platforms[k];   /* the whole catalogue, in order */
		to->platform_ids[k] = q->platforms[from->platforms[k]].id;
	}
	to->ticket = dup(s, from->ticket);
	to->requested_by = keep(&s->staff, from->requested_by);
	to->cpp.by = from->cpp.present ? keep(&s->staff, from->cpp.by) : from->cpp.by;
	to->cpp.at = where(s, from->cpp.at);
	to->it.by = from->it.present ? keep(&s->staff, from->it.by) : from->it.by;
	to->it.at = where(s, from->it.at);
	to->revoked.by = keep(&s->staff, from->revoked.by);
	to->requested_absent = dup(s, from->requested_absent);
	to->cpp.absent = dup(s, from->cpp.absent);
	to->it.absent = dup(s, from->it.absent);
	to->revoked.by_absent = dup(s, from->revoked.by_absent);
	to->revoked.reason = dup(s, from->revoked.reason);
	to->at = where(s, from->at);
	to->invalid_why = dup(s, from->invalid_why);
	to->over_cap = NULL;
	if (from->nover_cap > 0) {
		to->over_cap = alloc(s, from->nover_cap, sizeof(*to->over_cap));
		if (to->over_cap != NULL)
			memcpy(to->over_cap, from->over_cap, from->nover_cap * sizeof(*to->over_cap));
	}
	ask_opt(s, &from->requested);
	ask_opt(s, &from->starts);
	ask_opt(s, &from->expires);
	if (from->cpp.present)
		ask(s, from->cpp.on);
	if (from->it.present)
		ask(s, from->it.on);
	if (from->revoked.present)
		ask(s, from->revoked.on);
	ask(s, from->start);
	ask(s, from->end);
	for (size_t k = 0; k < from->nover_cap; k++) {
		ask(s, from->over_cap[k].from);
		ask(s, from->over_cap[k].to);
	}
}

static void copy_account(struct slicer *s, const struct account *from, struct account *to)
{
	*to = *from;
	to->id = dup(s, from->id);
	to->handle = dup(s, from->handle);
	to->void_why = dup(s, from->void_why);
	to->holder = 0;
	to->supervisor = keep(&s->staff, from->supervisor);
	to->at = where(s, from->at);
	ask_opt(s, &from->password_changed);
	ask_opt(s, &from->password_escrowed);
	ask_opt(s, &from->compromised_reported);
	ask_opt(s, &from->compromised_resolved);
}

/* The person's approvals and accounts, and their lists by platform. */
static void copy_person(struct slicer *s, uint32_t user)
{
	const smp_policy *p = s->p;
	smp_policy *q = s->q;
	const struct staff *from = &p->staff[user];
	struct staff *to = &q->staff[0];
	size_t total = from->platform_start[p->nplatforms];

	q->approvals = alloc(s, from->napprovals, sizeof(*q->approvals));
	q->accounts = alloc(s, from->naccounts, sizeof(*q->accounts));
	to->approvals = alloc(s, from->napprovals, sizeof(uint32_t));
	to->accounts = alloc(s, from->naccounts, sizeof(uint32_t));
	to->platform_start = alloc(s, p->nplatforms + 1, sizeof(uint32_t));
	to->by_platform = alloc(s, total, sizeof(struct pick));
	if (s->oom)
		return;
	q->napprovals = from->napprovals;
	q->naccounts = from->naccounts;
	to->napprovals = from->napprovals;
	to->naccounts = from->naccounts;
	for (size_t i = 0; i < from->napprovals; i++) {
		copy_approval(s, &p->approvals[from->approvals[i]], &q->approvals[i]);
		to->approvals[i] = (uint32_t)i;
	}
	for (size_t i = 0; i < from->naccounts; i++) {
		copy_account(s, &p->accounts[from->accounts[i]], &q->accounts[i]);
		to->accounts[i] = (uint32_t)i;
	}
	memcpy(to->platform_start, from->platform_start, (p->nplatforms + 1) * sizeof(uint32_t));
	for (size_t k = 0; k < total; k++) {
		uint32_t x = from->by_platform[k].approval;
		size_t i = 0;

		/* the person's approvals are few: their slice index by search */
		while (i < from->napprovals && from->approvals[i] != x)
			i++;
		to->by_platform[k] = from->by_platform[k];
		to->by_platform[k].approval = (uint32_t)i;   /* i < napprovals: x is theirs */
	}
}

/* The staff entries kept: the person first (their lists filled by
 * copy_person), then those named, with empty lists. */
static void copy_staff(struct slicer *s, uint32_t user)
{
	const smp_policy *p = s->p;
	smp_policy *q = s->q;
	size_t cap = 0;

	/* the person's approvals and accounts name more staff as they are
	 * copied: copy them first, into room for every staff id they could
	 * name (4 per approval, 1 per account, the supervisor, the person) */
	if (user != NONE) {
		cap = 2 + 4 * (size_t)p->staff[user].napprovals + p->staff[user].naccounts;
		q->staff = alloc(s, cap, sizeof(*q->staff));
		if (q->staff == NULL)
			return;
		keep(&s->staff, user);
		copy_person(s, user);
		q->staff[0].supervisor = keep(&s->staff, p->staff[user].supervisor);
	}
	if (s->oom || s->staff.oom || s->staff.n > cap)
		return;
	q->nstaff = s->staff.n;
	for (size_t i = 0; i < s->staff.n; i++) {
		const struct staff *from = &p->staff[s->staff.v[i]];
		struct staff *to = &q->staff[i];

		to->id = dup(s, from->id);
		to->name = dup(s, from->name);
		to->office = keep(&s->offices, from->office);
		to->roles = from->roles;
		to->void_why = dup(s, from->void_why);
		to->left = from->left;   /* the tenures stay behind: judged at the load */
		ask_opt(s, &from->left);
		to->at = where(s, from->at);
		if (i == 0)
			continue;   /* the person: copy_person */
		to->supervisor = NONE;
		to->approvals = alloc(s, 0, sizeof(uint32_t));
		to->accounts = alloc(s, 0, sizeof(uint32_t));
		to->platform_start = alloc(s, p->nplatforms + 1, sizeof(uint32_t));
		to->by_platform = alloc(s, 0, sizeof(struct pick));
	}
}

static void copy_offices(struct slicer *s)
{
	const smp_policy *p = s->p;
	smp_policy *q = s->q;

	q->offices = alloc(s, s->offices.n, sizeof(*q->offices));
	if (q->offices == NULL)
		return;
	q->noffices = s->offices.n;
	for (size_t i = 0; i < s->offices.n; i++) {
		const struct office *from = &p->offices[s->offices.v[i]];
		struct office *to = &q->offices[i];

		/* its approvals by rank are smp_policy_check's: not kept */
		to->id = dup(s, from->id);
		to->name = dup(s, from->name);
		to->kind = dup(s, from->kind);
		to->at = where(s, from->at);
	}
}

/* An id index of n records, `stride` bytes apart, whose id comes first. */
static void index_ids(struct slicer *s, struct idmap *m, const void *records, size_t stride,
                      size_t n)
{
	if (n == 0)
		return;   /* an empty index: no slots, as the loader leaves it */
	if (!idmap_init(m, &s->q->mem, n)) {
		s->oom = true;
		return;
	}
	for (size_t i = 0; i < n; i++)
		idmap_insert(m, *(char *const *)(const void *)((const char *)records + i * stride),
		             (uint32_t)i);
}

bool slice_policy(const smp_policy *p, uint32_t user, smp_policy *q)
{
	struct slicer s = { .p = p, .q = q };

	s.zone.tz = p->tz;   /* the moments' answers in the records' zone */

	copy_settings(&s);
	copy_platforms(&s);
	if (!s.oom)
		copy_staff(&s, user);
	if (!s.oom && !s.staff.oom)
		copy_offices(&s);
	if (!s.oom && !s.staff.oom && !s.offices.oom && !s.zone.oom && s.zone.n > 0) {
		q->zone = alloc(&s, s.zone.n, sizeof(*q->zone));
		if (q->zone != NULL) {
			memcpy(q->zone, s.zone.v, s.zone.n * sizeof(*q->zone));
			q->nzone = s.zone.n;
		}
	}
	index_ids(&s, &q->platform_ix, q->platforms, sizeof(*q->platforms), q->nplatforms);
	index_ids(&s, &q->office_ix, q->offices, sizeof(*q->offices), q->noffices);
	index_ids(&s, &q->staff_ix, q->staff, sizeof(*q->staff), q->nstaff);
	index_ids(&s, &q->account_ix, q->accounts, sizeof(*q->accounts), q->naccounts);
	index_ids(&s, &q->approval_ix, q->approvals, sizeof(*q->approvals), q->napprovals);
	q->cache = SMP_CACHE_OFF;
	free(s.staff.v);
	free(s.offices.v);
	time_log_free(&s.zone);
	return !(s.oom || s.staff.oom || s.offices.oom || s.zone.oom);
}
