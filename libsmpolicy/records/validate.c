/*
 * validate.c - what follows from the records once they are loaded: each
 * approval's effective period, its procedural faults (Manual §C,
 * Procedures A: faults.c), and the periods in which the office cap denies it.
 * Computed once at load, so that a decision only looks things up.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "faults.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }
static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* ---- periods ---------------------------------------------------------- */

static bool derive_approval(smp_policy *p, struct approval *a, struct time_log *log)
{
	bool signed_both = a->cpp.present && a->it.present;
	struct why w = { .len = 0 };

	a->rank_time = signed_both ? max64(a->cpp.on, a->it.on) : SMP_TIME_MAX;
	if (a->starts.set)
		a->start = a->starts.t;
	else
		a->start = signed_both ? a->rank_time : SMP_TIME_MIN;
	a->end = a->expires.set ? a->expires.t : SMP_TIME_MAX;
	if (a->kind == KIND_LONG_TERM && a->start != SMP_TIME_MIN) {
		int64_t lim = time_add_days(a->start, p->set.long_term_max_days, log);

		if (lim < a->end) {
			a->capped_at_max = a->expires.set;
			a->end = lim;
		}
	}
	w.buf[0] = '\0';
	if (!a->is_void) {   /* a void one says its own fault (entries.c) */
		find_faults(p, a, &w);
		/* the signatures' verdicts (records/signatures.c) */
		if (p->sigs != NULL) {
			const struct approval_sigs *g = &p->sigs[a - p->approvals];

			for (int k = 0; k < 2; k++)
				if (g->s[k].why != NULL)
					why_add(&w, "%s", g->s[k].why);
		}
	}
	if (w.len > 0) {
		a->invalid_why = arena_strdup(&p->mem, w.buf);
		if (a->invalid_why == NULL)
			return false;
	}
	a->capped = !(p->set.cap_long_term_only && a->kind == KIND_LIMITED);
	a->valid.from = a->valid.to = 0;
	if (a->invalid_why == NULL && signed_both) {
		a->valid.from = max64(a->start, a->rank_time);
		a->valid.to = a->end;
		if (a->revoked.present)
			a->valid.to = min64(a->valid.to, a->revoked.on);
	}
	return true;
}

/* ---- the office cap --------------------------------------------------- */

/* Rank order for the cap: earliest second sign-off, then lowest id. */
static int rank_cmp_ctx(const smp_policy *p, uint32_t x, uint32_t y)
{
	const struct approval *a = &p->approvals[x], *b = &p->approvals[y];

	if (a->rank_time != b->rank_time)
		return a->rank_time < b->rank_time ? -1 : 1;
	return strcmp(a->id, b->id);
}

struct event {
	int64_t t;
	uint32_t approval;
	bool starts;
};

static int event_cmp(const void *x, const void *y)
{
	const struct event *a = x, *b = y;

	if (a->t != b->t)
		return a->t < b->t ? -1 : 1;
	return (int)a->starts - (int)b->starts;   /* ends before starts */
}

struct ivec {
	struct interval *v;
	size_t n, cap;
};

static bool ivec_add(struct ivec *iv, int64_t from, int64_t to)
{
	if (iv->n > 0 && iv->v[iv->n - 1].to == from) {
		iv->v[iv->n - 1].to = to;
		return true;
	}
	if (iv->n == iv->cap) {
		size_t nc = iv->cap ? iv->cap * 2 : 4;
		struct interval *nv = realloc(iv->v, nc * sizeof(*nv));

		if (nv == NULL)
			return false;
		iv->v = nv;
		iv->cap = nc;
	}
	iv->v[iv->n].from = from;
	iv->v[iv->n].to = to;
	iv->n++;
	return true;
}

/* Rank order of an office's approvals, by their index in o->approvals
 * (qsort has no context argument in C11: a small merge sort). */
static void rank_sort_local(const smp_policy *p, const struct office *o, uint32_t *v, size_t n,
                            uint32_t *tmp)
{
	if (n < 2)
		return;
	size_t h = n / 2;

	rank_sort_local(p, o, v, h, tmp);
	rank_sort_local(p, o, v + h, n - h, tmp);
	size_t i = 0, j = h, k = 0;
	while (i < h && j < n)
		tmp[k++] = rank_cmp_ctx(p, o->approvals[v[i]], o->approvals[v[j]]) <= 0 ? v[i++]
		                                                                        : v[j++];
	while (i < h)
		tmp[k++] = v[i++];
	while (j < n)
		tmp[k++] = v[j++];
	memcpy(v, tmp, n * sizeof(*v));
}

/*
 * The sweep of one office.  Approvals are named by their index i in
 * o->approvals, persons by a local number.  A person's place is decided by
 * their best (earliest ranked) active approval: the persons whose best
 * comes first, up to the cap, hold; every active approval of the others is
 * over the cap.  Marked positions in a Fenwick tree over the rank order are
 * the persons' bests, so the cap-th of them (the boundary) is found in
 * O(log n); each person keeps a min-heap of their active approvals' rank
 * positions (ended ones are dropped lazily).  At each moment only the
 * persons whose best changed and those the boundary moved across can
 * change side, so the sweep costs O(n log n) plus the intervals written.
 */
struct sweep {
	size_t n, npersons, cap;
	uint32_t *rpos;          /* [i] position of approval i in rank order */
	uint32_t *by_rank;       /* [position] approval */
	uint32_t *person;        /* [i] its person */
	bool *active, *is_over;  /* [i] */
	int64_t *over_from;      /* [i] since when it is over, if is_over */
	uint32_t *heap, *hoff, *hlen;   /* person X's heap: heap[hoff[X] .. + hlen[X]) */
	uint32_t *best;          /* [X] rank position of X's best active, NONE */
	bool *x_over;            /* [X] X is beyond the cap */
	uint32_t *stamp;         /* [X] last moment X was gathered (its number) */
	uint32_t *gathered;      /* persons to look at this moment */
	uint32_t *fen;           /* Fenwick tree over rank positions, 1-based */
	size_t marked;
};

static void fen_add(struct sweep *s, uint32_t pos, int d)
{
	for (size_t x = (size_t)pos + 1; x <= s->n; x += x & (~x + 1))
		s->fen[x] += (uint32_t)d;
	s->marked += (size_t)(ptrdiff_t)d;
}

/* Number of marked positions in [0, pos]. */
static size_t fen_prefix(const struct sweep *s, uint32_t pos)
{
	size_t c = 0;

	for (size_t x = (size_t)pos + 1; x > 0; x -= x & (~x + 1))
		c += s->fen[x];
	return c;
}

/* Position of the k-th (1-based) marked position; k <= marked. */
static uint32_t fen_kth(const struct sweep *s, size_t k)
{
	size_t pos = 0, step = 1;

	while (step * 2 <= s->n)
		step *= 2;
	for (; step > 0; step /= 2) {
		if (pos + step <= s->n && s->fen[pos + step] < k) {
			pos += step;
			k -= s->fen[pos];
		}
	}
	return (uint32_t)pos;   /* 1-based pos + 1, minus one */
}

static void heap_push(struct sweep *s, uint32_t x, uint32_t i)
{
	uint32_t *h = s->heap + s->hoff[x];
	size_t k = s->hlen[x]++;

	for (; k > 0 && s->rpos[h[(k - 1) / 2]] > s->rpos[i]; k = (k - 1) / 2)
		h[k] = h[(k - 1) / 2];
	h[k] = i;
}

static void heap_pop(struct sweep *s, uint32_t x)
{
	uint32_t *h = s->heap + s->hoff[x];
	size_t n = --s->hlen[x], k = 0;
	uint32_t last = h[n];

	for (;;) {
		size_t c = 2 * k + 1;

		if (c >= n)
			break;
		if (c + 1 < n && s->rpos[h[c + 1]] < s->rpos[h[c]])
			c++;
		if (s->rpos[h[c]] >= s->rpos[last])
			break;
		h[k] = h[c];
		k = c;
	}
	if (n > 0)
		h[k] = last;
}

/* Move person x to their side of boundary b (NONE: everybody holds). */
static bool settle(struct sweep *s, struct ivec *ivs, const struct office *o, uint32_t x,
                   uint32_t b, int64_t t)
{
	bool over = s->best[x] != NONE && b != NONE && s->best[x] > b;
	const uint32_t *h = s->heap + s->hoff[x];

	if (over == s->x_over[x])
		return true;
	s->x_over[x] = over;
	for (size_t k = 0; k < s->hlen[x]; k++) {
		uint32_t i = h[k];

		if (!s->active[i])
			continue;
		if (over) {
			s->is_over[i] = true;
			s->over_from[i] = t;
		} else if (s->is_over[i]) {
			s->is_over[i] = false;
			if (s->over_from[i] < t && !ivec_add(&ivs[o->approvals[i]], s->over_from[i], t))
				return false;
		}
	}
	return true;
}

static void gather(struct sweep *s, uint32_t x, uint32_t moment, size_t *ng)
{
	if (s->stamp[x] != moment) {
		s->stamp[x] = moment;
		s->gathered[(*ng)++] = x;
	}
}

static bool sweep_events(smp_policy *p, struct office *o, struct ivec *ivs, struct sweep *s,
                         const struct event *ev, size_t nev)
{
	uint32_t boundary = NONE, moment = 0;

	for (size_t e = 0; e < nev;) {
		int64_t t = ev[e].t;
		size_t ng = 0;
		uint32_t nb, lo, hi;

		moment++;
		for (; e < nev && ev[e].t == t; e++) {
			uint32_t i = ev[e].approval, x = s->person[i];

			if (ev[e].starts) {
				s->active[i] = true;
				heap_push(s, x, i);
				if (s->x_over[x]) {
					s->is_over[i] = true;
					s->over_from[i] = t;
				}
			} else {
				s->active[i] = false;
				if (s->is_over[i] && s->over_from[i] < t &&
				    !ivec_add(&ivs[o->approvals[i]], s->over_from[i], t))
					return false;
				s->is_over[i] = false;
			}
			gather(s, x, moment, &ng);
		}
		for (size_t g = 0; g < ng; g++) {
			uint32_t x = s->gathered[g];

			while (s->hlen[x] > 0 && !s->active[s->heap[s->hoff[x]]])
				heap_pop(s, x);
			nb = s->hlen[x] > 0 ? s->rpos[s->heap[s->hoff[x]]] : NONE;
			if (nb == s->best[x])
				continue;
			if (s->best[x] != NONE)
				fen_add(s, s->best[x], -1);
			if (nb != NONE)
				fen_add(s, nb, 1);
			s->best[x] = nb;
		}
		nb = s->marked > s->cap ? fen_kth(s, s->cap) : NONE;
		/* the bests between the old and the new boundary change side */
		lo = boundary < nb ? boundary : nb;
		hi = boundary < nb ? nb : boundary;
		if (lo != hi) {
			size_t from = fen_prefix(s, lo) + 1;
			size_t to = hi == NONE ? s->marked : fen_prefix(s, hi);

			for (size_t k = from; k <= to; k++)
				gather(s, s->person[s->by_rank[fen_kth(s, k)]], moment, &ng);
		}
		boundary = nb;
		for (size_t g = 0; g < ng; g++)
			if (!settle(s, ivs, o, s->gathered[g], boundary, t))
				return false;
	}
	for (size_t i = 0; i < s->n; i++)   /* over until the end of time */
		if (s->is_over[i] && !ivec_add(&ivs[o->approvals[i]], s->over_from[i], SMP_TIME_MAX))
			return false;
	(void)p;
	return true;
}

/*
 * Record, for each of the office's approvals, the periods in which its
 * person is beyond the cap.  staff_scratch (indexed by staff, NONE on
 * entry and on return) numbers the office's persons.
 */
static bool sweep_office(smp_policy *p, struct office *o, struct ivec *ivs,
                         uint32_t *staff_scratch)
{
	size_t n = o->napprovals, nev = 0;
	struct sweep s = { .n = n, .cap = (size_t)p->set.max_per_office };
	struct event *ev = malloc((2 * n + 1) * sizeof(*ev));
	uint32_t *tmp = malloc((n + 1) * sizeof(*tmp));
	bool ok;

	s.rpos = malloc((n + 1) * sizeof(uint32_t));
	s.by_rank = malloc((n + 1) * sizeof(uint32_t));
	s.person = malloc((n + 1) * sizeof(uint32_t));
	s.active = calloc(n + 1, sizeof(bool));
	s.is_over = calloc(n + 1, sizeof(bool));
	s.over_from = malloc((n + 1) * sizeof(int64_t));
	s.heap = malloc((n + 1) * sizeof(uint32_t));
	s.hoff = malloc((n + 1) * sizeof(uint32_t));
	s.hlen = calloc(n + 1, sizeof(uint32_t));
	s.best = malloc((n + 1) * sizeof(uint32_t));
	s.x_over = calloc(n + 1, sizeof(bool));
	s.stamp = calloc(n + 1, sizeof(uint32_t));
	s.gathered = malloc((n + 1) * sizeof(uint32_t));
	s.fen = calloc(n + 1, sizeof(uint32_t));
	ok = ev && tmp && s.rpos && s.by_rank && s.person && s.active && s.is_over &&
	     s.over_from && s.heap && s.hoff && s.hlen && s.best && s.x_over && s.stamp &&
	     s.gathered && s.fen;
	if (ok) {
		/* persons, and room for each one's heap */
		for (size_t i = 0; i < n; i++) {
			uint32_t st = p->approvals[o->approvals[i]].staff;

			if (staff_scratch[st] == NONE) {
				staff_scratch[st] = (uint32_t)s.npersons;
				s.hoff[s.npersons++] = 0;
			}
			s.person[i] = staff_scratch[st];
			s.hoff[s.person[i]]++;   /* counted here, made offsets below */
		}
		for (size_t x = 0, off = 0; x < s.npersons; x++) {
			size_t c = s.hoff[x];

			s.hoff[x] = (uint32_t)off;
			s.best[x] = NONE;
			off += c;
		}
		for (size_t i = 0; i < n; i++) {
			staff_scratch[p->approvals[o->approvals[i]].staff] = NONE;
			s.by_rank[i] = (uint32_t)i;
		}
		rank_sort_local(p, o, s.by_rank, n, tmp);
		for (size_t k = 0; k < n; k++)
			s.rpos[s.by_rank[k]] = (uint32_t)k;
		for (size_t i = 0; i < n; i++) {
			const struct approval *a = &p->approvals[o->approvals[i]];

			ev[nev++] = (struct event){ a->valid.from, (uint32_t)i, true };
			if (a->valid.to != SMP_TIME_MAX)
				ev[nev++] = (struct event){ a->valid.to, (uint32_t)i, false };
		}
		qsort(ev, nev, sizeof(*ev), event_cmp);
		/* fewer persons than places: nobody is ever over */
		if (s.npersons > s.cap)
			ok = sweep_events(p, o, ivs, &s, ev, nev);
		/* from now on the office's approvals are in rank order */
		for (size_t k = 0; k < n; k++)
			tmp[k] = o->approvals[s.by_rank[k]];
		memcpy(o->approvals, tmp, n * sizeof(*tmp));
	}
	free(ev);
	free(tmp);
	free(s.rpos);
	free(s.by_rank);
	free(s.person);
	free(s.active);
	free(s.is_over);
	free(s.over_from);
	free(s.heap);
	free(s.hoff);
	free(s.hlen);
	free(s.best);
	free(s.x_over);
	free(s.stamp);
	free(s.gathered);
	free(s.fen);
	return ok;
}

/* Gather each office's capped approvals that can hold at some moment. */
static bool collect_office_approvals(smp_policy *p)
{
	size_t *count = calloc(p->noffices + 1, sizeof(*count));

	if (count == NULL)
		return false;
	for (size_t i = 0; i < p->napprovals; i++) {
		const struct approval *a = &p->approvals[i];

		if (a->capped && a->valid.from < a->valid.to)
			count[p->staff[a->staff].office]++;
	}
	for (size_t o = 0; o < p->noffices; o++) {
		p->offices[o].approvals = arena_alloc(&p->mem, (count[o] + 1) * sizeof(uint32_t));
		if (p->offices[o].approvals == NULL) {
			free(count);
			return false;
		}
	}
	for (size_t i = 0; i < p->napprovals; i++) {
		const struct approval *a = &p->approvals[i];
		struct office *o;

		if (!a->capped || a->valid.from >= a->valid.to)
			continue;
		o = &p->offices[p->staff[a->staff].office];
		o->approvals[o->napprovals++] = (uint32_t)i;
	}
	free(count);
	return true;
}

bool policy_derive(smp_policy *p, struct time_log *log)
{
	struct ivec *ivs;
	uint32_t *staff_scratch;
	bool ok = true;

	for (size_t i = 0; i < p->napprovals; i++)
		if (!derive_approval(p, &p->approvals[i], log))
			return false;
	if (!collect_office_approvals(p))
		return false;
	ivs = calloc(p->napprovals + 1, sizeof(*ivs));
	staff_scratch = malloc((p->nstaff + 1) * sizeof(*staff_scratch));
	if (ivs == NULL || staff_scratch == NULL) {
		free(ivs);
		free(staff_scratch);
		return false;
	}
	for (size_t i = 0; i <= p->nstaff; i++)
		staff_scratch[i] = NONE;
	for (size_t o = 0; ok && o < p->noffices; o++)
		ok = sweep_office(p, &p->offices[o], ivs, staff_scratch);
	free(staff_scratch);
	for (size_t i = 0; i < p->napprovals; i++) {
		struct approval *a = &p->approvals[i];

		if (ok && ivs[i].n > 0) {
			a->over_cap = arena_alloc(&p->mem, ivs[i].n * sizeof(struct interval));
			if (a->over_cap == NULL)
				ok = false;
			else
				memcpy(a->over_cap, ivs[i].v, ivs[i].n * sizeof(struct interval));
			a->nover_cap = ivs[i].n;
		}
		free(ivs[i].v);
	}
	free(ivs);
	/* what a decision reads of each approval before it reads the approval */
	for (size_t i = 0; i < p->nstaff; i++) {
		const struct staff *s = &p->staff[i];

		for (size_t j = 0; j < s->platform_start[p->nplatforms]; j++) {
			struct pick *e = &s->by_platform[j];
			const struct approval *a = &p->approvals[e->approval];

			e->from = a->valid.from;
			e->to = a->valid.to;
			e->started = approval_started_at(a);
		}
	}
	return ok;
}

/* ---- queries ---------------------------------------------------------- */

int64_t approval_started_at(const struct approval *a)
{
	if (a->starts.set)
		return a->starts.t;
	return a->requested.set ? a->requested.t : SMP_TIME_MIN;
}

bool approval_over_cap(const struct approval *a, int64_t t, int64_t *next)
{
	size_t lo = 0, hi = a->nover_cap;

	/* first interval whose end is after t */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (a->over_cap[mid].to <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == a->nover_cap) {
		*next = SMP_TIME_MAX;
		return false;
	}
	if (a->over_cap[lo].from <= t) {
		*next = a->over_cap[lo].to;
		return true;
	}
	*next = a->over_cap[lo].from;
	return false;
}

smp_approval_state approval_state(const smp_policy *p, const struct approval *a, int64_t t)
{
	int64_t next;

	(void)p;
	if (a->invalid_why != NULL)
		return SMP_STATE_INVALID;
	if (a->revoked.present && a->revoked.on <= t)
		return SMP_STATE_REVOKED;
	if (a->end != SMP_TIME_MAX && t >= a->end)
		return SMP_STATE_EXPIRED;
	if (!a->cpp.present || a->cpp.on > t || !a->it.present || a->it.on > t)
		return a->requested.set && a->requested.t > t ? SMP_STATE_NOT_STARTED   /* not yet asked */
		                                               : SMP_STATE_PENDING;
	if (t < a->start)
		return SMP_STATE_NOT_STARTED;
	if (approval_over_cap(a, t, &next))
		return SMP_STATE_OVER_CAP;
	return SMP_STATE_VALID;
}

/* ---- smpolicy check --------------------------------------------------- */

/* "'a' (approval X), 'b' (approval Y)": who holds the places at t. */
static void holders_at(const smp_policy *p, const struct office *o, int64_t t,
                       char *buf, size_t n)
{
	size_t len = 0;
	uint32_t seen[64];
	size_t nseen = 0;

	buf[0] = '\0';
	/* o->approvals is in rank order: the first active approvals not over
	 * the cap, one per person, are the places */
	for (size_t i = 0; i < o->napprovals && nseen < 64 &&
	                   nseen < (size_t)p->set.max_per_office; i++) {
		uint32_t x = o->approvals[i];
		const struct approval *a = &p->approvals[x];
		int64_t next;
		size_t k;

		if (!(a->valid.from <= t && t < a->valid.to) || approval_over_cap(a, t, &next))
			continue;
		for (k = 0; k < nseen && p->approvals[seen[k]].staff != a->staff; k++)
			;
		if (k < nseen)
			continue;
		seen[nseen++] = x;
		int w = snprintf(buf + len, n - len, "%s'%s' (approval %s)", len ? ", " : "",
		                 p->staff[a->staff].id, a->id);
		if (w < 0 || (size_t)w >= n - len)
			break;
		len += (size_t)w;
	}
}

/* The authors a names that no staff entry has: not a fault by itself
 * (find_faults() decides what each still counts for), but said. */
static void check_absent_authors(const struct approval *a, smp_diags *d)
{
	const struct {
		const char *key, *id;
	} ref[] = {
		{ "requested_by", a->requested_absent },
		{ "approved_cpp.by", a->cpp.present ? a->cpp.absent : NULL },
		{ "approved_it.by", a->it.present ? a->it.absent : NULL },
		{ "revoked.by", a->revoked.present ? a->revoked.by_absent : NULL },
	};

	for (size_t k = 0; k < sizeof(ref) / sizeof(ref[0]); k++)
		if (ref[k].id != NULL)
			diags_add(d, a->at.file, a->at.line, SMP_SEV_WARNING, a->id,
			          "approval '%s': %s '%s' is not in the staff records; what they did "
			          "is judged without their entry (smpolicy.conf(5), Authors no longer "
			          "in the records)", a->id, ref[k].key, ref[k].id);
}

static void check_approval(const smp_policy *p, const struct approval *a, smp_diags *d)
{
	const struct staff *s = &p->staff[a->staff];
	/* over the cap only if it holds, and then its person is not void */
	const struct office *o = s->office != NONE ? &p->offices[s->office] : NULL;
	char t1[40], t2[40], who[1024];
	struct why w = { .len = 0 };

	/* the procedure's faults, then each signature's on its own, so that
	 * one director's signature leaves the other's fault as it was (a
	 * policy from an image has only the verdicts, in invalid_why) */
	w.buf[0] = '\0';
	check_absent_authors(a, d);
	if (p->sigs != NULL && !a->is_void)
		find_faults(p, a, &w);
	else if (a->invalid_why != NULL)
		why_add(&w, "%s", a->invalid_why);
	if (w.len > 0)
		diags_add(d, a->at.file, a->at.line, SMP_SEV_ERROR, a->id,
		          "approval '%s' breaks the procedure (§C, Procedures A): %s",
		          a->id, w.buf);
	for (int k = 0; p->sigs != NULL && !a->is_void && k < 2; k++) {
		const struct sig *g = &p->sigs[a - p->approvals].s[k];

		if (g->why != NULL)
			diags_add(d, a->at.file, a->at.line, SMP_SEV_ERROR, a->id,
			          "approval '%s' is not signed as required: %s", a->id, g->why);
	}
	for (size_t k = 0; o != NULL && k < a->nover_cap; k++) {
		policy_fmt_time(p, a->over_cap[k].from, t1, sizeof(t1));
		policy_fmt_time(p, a->over_cap[k].to, t2, sizeof(t2));
		holders_at(p, o, a->over_cap[k].from, who, sizeof(who));
		diags_add(d, a->at.file, a->at.line, SMP_SEV_ERROR, a->id,
		          "office '%s' would be over its cap of %d persons from %s until %s: "
		          "approval '%s' of '%s' is beyond the cap; the places are held by %s (§C)",
		          o->id, p->set.max_per_office, t1, t2, a->id, s->id, who);
	}
	if (a->capped_at_max) {
		policy_fmt_time(p, a->end, t1, sizeof(t1));
		diags_add(d, a->at.file, a->at.line, SMP_SEV_WARNING, a->id,
		          "approval '%s' expires later than long_term_max_days (%d) after it "
		          "starts; it lapses at %s", a->id, p->set.long_term_max_days, t1);
	}
}

/* Settings that loosen the manual's cap (§C: "shall not exceed two
 * persons" per local or area office): allowed, for an agency that has
 * decided otherwise, but never without a word. */
static void check_cap_settings(const smp_policy *p, smp_diags *d)
{
	const struct settings *set = &p->set;

	if (set->max_per_office > 2)
		diags_add(d, p->config_path, set->max_line, SMP_SEV_WARNING, NULL,
		          "settings: max_approved_per_office = %d allows more persons per office "
		          "than the two of the manual (§C: \"shall not exceed two persons\")",
		          set->max_per_office);
	if (set->cap_long_term_only)
		diags_add(d, p->config_path, set->cap_counts_line, SMP_SEV_WARNING, NULL,
		          "settings: cap_counts = \"long_term\" leaves the persons with limited "
		          "approvals out of the cap; the manual counts every approved person "
		          "(§C: \"shall not exceed two persons\")");
}

smp_status smp_policy_check(const smp_policy *p, smp_diags **out)
{
	smp_diags *d;

	if (out != NULL)
		*out = NULL;
	if (p == NULL || out == NULL || p->login.only_user != NULL)
		return SMP_ERR_ARG;   /* one person's policy cannot see the offices' caps */
	d = diags_new();
	if (d == NULL)
		return SMP_ERR_NOMEM;
	check_voids(p, d, SMP_SEV_ERROR);
	check_cap_settings(p, d);
	for (size_t i = 0; i < p->napprovals; i++)
		if (!p->approvals[i].is_void)   /* said by check_voids() */
			check_approval(p, &p->approvals[i], d);
	if (d->oom) {
		smp_diags_free(d);
		return SMP_ERR_NOMEM;
	}
	diags_sort(d);
	if (d->n == 0)
		smp_diags_free(d);
	else
		*out = d;
	return SMP_OK;
}
