/*
 * image.c - a loaded policy as one relocatable image, the format of the
 * compiled cache (cache.c) and of each slice of the login store
 * (store_*.c): writing it from a policy, and checking bytes read from a
 * file as untrusted before they become a policy.
 *
 * The image is a copy of struct smp_policy followed by the policy's arena,
 * chunk after chunk, with each pointer written as its offset in the image
 * (0 for NULL).  One walk over the policy's pointers serves both ways:
 * writing, it turns each pointer into an offset; reading, one pass turns
 * each offset into a pointer and a second checks everything (see "the
 * walk" below for why two).
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "policy/policy.h"

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(void *) == sizeof(uint64_t), "the image keeps offsets in pointers");

static size_t round16(size_t n)
{
	return (n + 15) & ~(size_t)15;
}

/* ---- the walk ----------------------------------------------------------- */

/*
 * One walk over every pointer of a policy, in three modes:
 *
 *  WRITE     the image is a copy of a loaded policy: each pointer becomes
 *            its offset in the image (the copy's pointers still name the
 *            live policy's memory, which is sound);
 *  RELOCATE  an image read from a file: each offset is checked to lie in
 *            the image and becomes a pointer.  Nothing else is read: every
 *            count and list the walk follows is read once, into a local,
 *            then bounds what it reads, so that the pass stays in the
 *            image even if the bytes make objects overlap and a pointer
 *            written now changes a count or index read before;
 *  CHECK     the same image once every pointer is made: each pointer, string,
 *            index, flag, count, list and id index is checked on the bytes
 *            as they will stay, since nothing writes to the image after.
 *
 * A reader runs RELOCATE then CHECK; a writer runs WRITE, whose checks
 * catch a policy the walk cannot describe.
 */
enum walk_mode { WRITE, RELOCATE, CHECK };

/* Where an arena chunk's used bytes are, and where they go in the image. */
struct chunk_place {
	uintptr_t lo, hi;
	uint64_t off;
};

struct walk {
	char *img;                 /* the image */
	uint64_t size;
	enum walk_mode mode;
	struct chunk_place *chunks; /* WRITE: by address */
	size_t nchunks;
	const char *why;           /* the first fault met, or NULL */
	uint64_t file_in, file_out; /* the last file name walked: its field before and after */
};

/* Are the image's values to be checked (and read as indexes)? */
static bool checking(const struct walk *w)
{
	return w->mode != RELOCATE && w->why == NULL;
}

static void *fault(struct walk *w, const char *why)
{
	if (w->why == NULL)
		w->why = why;
	return NULL;
}

/* WRITE: the offset in the image of the n * size bytes at address a. */
static bool locate(const struct walk *w, uintptr_t a, size_t n, size_t size, uint64_t *off)
{
	size_t lo = 0, hi = w->nchunks;

	while (lo < hi) {   /* the last chunk starting at or before a */
		size_t mid = lo + (hi - lo) / 2;

		if (w->chunks[mid].lo <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return false;
	const struct chunk_place *c = &w->chunks[lo - 1];

	if (a > c->hi || (size != 0 && n > (c->hi - a) / size))
		return false;
	*off = c->off + (a - c->lo);
	return true;
}

/* Do n objects of `size` bytes fit in the image at offset v, aligned? */
static bool fits(const struct walk *w, uint64_t v, size_t n, size_t size, size_t align)
{
	return v != 0 && v < w->size && v % align == 0 && (size == 0 || n <= (w->size - v) / size);
}

/*
 * The pointer field at f points at n objects of `size` bytes, aligned to
 * `align`: WRITE makes it their offset, RELOCATE checks the offset and
 * makes it a pointer, CHECK checks the pointer.  Returns where the objects
 * are in the image: NULL for a NULL pointer, or after a fault.  RELOCATE
 * takes any pointer as possibly NULL: CHECK knows which may be.
 */
static void *ref(struct walk *w, void *f, size_t n, size_t size, size_t align, bool may_be_null)
{
	uint64_t v;
	void *at;

	if (w->why != NULL)
		return NULL;
	memcpy(&v, f, sizeof(v));
	if (v == 0)
		return may_be_null || w->mode == RELOCATE ? NULL
		                                          : fault(w, "a required pointer is missing");
	switch (w->mode) {
	case WRITE:
		if (!locate(w, (uintptr_t)v, n, size, &v))
			return fault(w, "a pointer outside the policy's memory");
		memcpy(f, &v, sizeof(v));
		return w->img + v;
	case RELOCATE:
		if (!fits(w, v, n, size, align))
			return fault(w, "a pointer outside the image");
		at = w->img + v;
		memcpy(f, &at, sizeof(at));
		return at;
	case CHECK:
		if (!fits(w, v - (uint64_t)(uintptr_t)w->img, n, size, align))
			return fault(w, "a pointer outside the image");
		return (void *)(uintptr_t)v;
	}
	return NULL;
}

#define REF(w, field, n, may_be_null) \
	ref((w), &(field), (n), sizeof(*(field)), alignof(__typeof__(*(field))), (may_be_null))

static const char *str(struct walk *w, void *f, bool may_be_null)
{
	const char *s;

	if (w->mode == WRITE) {
		const char *native;

		memcpy(&native, f, sizeof(native));
		return ref(w, f, native != NULL ? strlen(native) + 1 : 0, 1, 1, may_be_null);
	}
	s = ref(w, f, 1, 1, 1, may_be_null);
	if (s != NULL && w->mode == CHECK) {
		/* ids and names are short: a loop beats memchr's set-up */
		const char *c = s, *end = w->img + w->size;

		while (c < end && *c != '\0')
			c++;
		if (c == end)
			return fault(w, "a string without its end");
	}
	return s;
}

/* A NULL-terminated array of strings: n of them, or (n SIZE_MAX) as many
 * as the terminator says. */
static void strings(struct walk *w, void *f, size_t n, bool may_be_null)
{
	char **v;

	if (n == SIZE_MAX) {
		uint64_t at, room, k;

		memcpy(&at, f, sizeof(at));
		if (w->mode == WRITE) {
			char **native = (char **)(uintptr_t)at;

			for (n = 0; native != NULL && native[n] != NULL; n++)
				;
		} else {
			if (w->mode == CHECK)
				at -= (uint64_t)(uintptr_t)w->img;
			if (at == 0 || !fits(w, at, 1, sizeof(char *), alignof(char *))) {
				if (memcmp(f, &(uint64_t){ 0 }, sizeof(at)) != 0 || !may_be_null)
					fault(w, "a list of names outside the image");
				return;
			}
			room = (w->size - at) / sizeof(char *);
			for (k = 0; k < room; k++) {
				uint64_t e;

				memcpy(&e, w->img + at + k * sizeof(e), sizeof(e));
				if (e == 0)
					break;
			}
			if (k == room) {
				fault(w, "a list of names without its end");
				return;
			}
			n = (size_t)k;
		}
	}
	v = ref(w, f, n + 1, sizeof(char *), alignof(char *), may_be_null);
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		str(w, &v[i], false);
	if (checking(w) && v[n] != NULL)
		fault(w, "a list of names without its end");
}

/* A count no larger than the image could hold, so that n + 1 and the
 * loops over it stay in range whatever the bytes say. */
static bool count_ok(struct walk *w, size_t n)
{
	if (n < w->size && n < NONE)
		return true;
	fault(w, "a count larger than the image");
	return false;
}

static void flag(struct walk *w, const bool *b)
{
	unsigned char c;

	if (!checking(w))
		return;
	memcpy(&c, b, 1);
	if (c > 1)
		fault(w, "a flag that is neither true nor false");
}

/* An index into an array of n, or NONE where none_ok. */
static void index_in(struct walk *w, uint32_t i, size_t n, bool none_ok)
{
	if (checking(w) && i >= n && !(none_ok && i == NONE))
		fault(w, "an index out of range");
}

static void indexes(struct walk *w, const uint32_t *v, size_t count, size_t n)
{
	for (size_t i = 0; checking(w) && v != NULL && i < count; i++)
		index_in(w, v[i], n, false);
}

/* Every record names its file, one of a few long paths: one walked
 * already is not walked again (a third of the walk's string bytes). */
static void where(struct walk *w, struct where *at, bool may_be_null)
{
	uint64_t in;

	memcpy(&in, &at->file, sizeof(in));
	if (in != 0 && in == w->file_in) {
		memcpy(&at->file, &w->file_out, sizeof(w->file_out));
		return;
	}
	if (str(w, &at->file, may_be_null) != NULL) {
		w->file_in = in;
		memcpy(&w->file_out, &at->file, sizeof(w->file_out));
	}
}

static void opt_time(struct walk *w, const struct opt_time *o)
{
	flag(w, &o->set);
}

/* Do two pointer fields, both walked, hold the same pointer (or offset)? */
static bool same_ref(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(void *)) == 0;
}

/* The record arrays of the policy being walked, where they are in the
 * image (the fields themselves hold offsets once a writer has walked them). */
struct records {
	struct platform *platforms;
	struct office *offices;
	struct staff *staff;
	struct device *devices;
	struct account *accounts;
	struct approval *approvals;
};

/* The counts of the policy's struct, read once (see RELOCATE). */
struct counts {
	size_t nrecords, nplatforms, noffices, nstaff, ndevices, naccounts, napprovals, nzone;
	size_t nvoids;
};

/* The faults of the records the load voided (smpolicy check names them). */
static void walk_voids(struct walk *w, smp_policy *p, const struct counts *n)
{
	struct void_record *v = REF(w, p->voids, n->nvoids, n->nvoids == 0);

	for (size_t i = 0; w->why == NULL && v != NULL && i < n->nvoids; i++) {
		where(w, &v[i].at, false);
		str(w, &v[i].subject, true);
		str(w, &v[i].why, false);
	}
}

static void walk_platforms(struct walk *w, smp_policy *p, const struct counts *n,
                           struct records *r)
{
	r->platforms = REF(w, p->platforms, n->nplatforms, n->nplatforms == 0);
	for (size_t i = 0; w->why == NULL && r->platforms != NULL && i < n->nplatforms; i++) {
		struct platform *pl = &r->platforms[i];

		str(w, &pl->id, false);
		str(w, &pl->name, false);
		strings(w, &pl->domains, SIZE_MAX, true);
		flag(w, &pl->mobile_only);
		flag(w, &pl->private_messaging);
		where(w, &pl->at, false);
	}
}

static void walk_offices(struct walk *w, smp_policy *p, const struct counts *n,
                         struct records *r)
{
	r->offices = REF(w, p->offices, n->noffices, n->noffices == 0);
	for (size_t i = 0; w->why == NULL && r->offices != NULL && i < n->noffices; i++) {
		struct office *o = &r->offices[i];
		size_t na = o->napprovals;

		str(w, &o->id, false);
		str(w, &o->name, false);
		str(w, &o->kind, false);
		where(w, &o->at, false);
		if (!count_ok(w, na))
			return;
		indexes(w, REF(w, o->approvals, na, na == 0), na, n->napprovals);
	}
}

static void walk_staff(struct walk *w, smp_policy *p, const struct counts *n,
                       struct records *r)
{
	r->staff = REF(w, p->staff, n->nstaff, n->nstaff == 0);
	for (size_t i = 0; w->why == NULL && r->staff != NULL && i < n->nstaff; i++) {
		struct staff *s = &r->staff[i];
		size_t na = s->napprovals, nc = s->naccounts, total;
		const uint32_t *start;
		const struct pick *picks;

		str(w, &s->id, false);
		str(w, &s->name, true);
		/* a void record may name an office that is not there */
		index_in(w, s->office, n->noffices, str(w, &s->void_why, true) != NULL);
		index_in(w, s->supervisor, n->nstaff, true);
		opt_time(w, &s->left);
		if (!count_ok(w, s->nheld))
			return;
		{
			const struct tenure *h = REF(w, s->held, s->nheld, s->nheld == 0);

			for (size_t k = 0; checking(w) && h != NULL && k < s->nheld; k++) {
				index_in(w, h[k].office, n->noffices, true);
				if (h[k].role == 0 || (h[k].role & (h[k].role - 1)) != 0 ||
				    h[k].role > ROLE_DIRECTOR_IT || h[k].until <= h[k].from)
					fault(w, "a tenure that is none");
			}
		}
		where(w, &s->at, false);
		if (!count_ok(w, na) || !count_ok(w, nc))
			return;
		indexes(w, REF(w, s->approvals, na, false), na, n->napprovals);
		indexes(w, REF(w, s->accounts, nc, false), nc, n->naccounts);
		/* the per-platform lists: nplatforms + 1 rising starts from 0,
		 * the last the number of entries */
		start = REF(w, s->platform_start, n->nplatforms + 1, false);
		if (start == NULL)
			return;
		total = start[n->nplatforms];
		picks = REF(w, s->by_platform, total, false);
		if (!checking(w))
			continue;
		for (size_t k = 0; k < n->nplatforms; k++)
			if (start[k] > start[k + 1])
				fault(w, "a staff member's approvals by platform out of order");
		if (start[0] != 0)
			fault(w, "a staff member's approvals by platform out of order");
		for (size_t k = 0; picks != NULL && k < total; k++)
			index_in(w, picks[k].approval, n->napprovals, false);
	}
}

static void walk_devices(struct walk *w, smp_policy *p, const struct counts *n,
                         struct records *r)
{
	r->devices = REF(w, p->devices, n->ndevices, n->ndevices == 0);
	for (size_t i = 0; w->why == NULL && r->devices != NULL && i < n->ndevices; i++) {
		struct device *dv = &r->devices[i];
		size_t napps = dv->napps;
		unsigned kind;

		str(w, &dv->id, false);
		str(w, &dv->void_why, true);
		memcpy(&kind, &dv->kind, sizeof(kind));
		if (checking(w) && kind != DEV_WORKSTATION && kind != DEV_MOBILE)
			fault(w, "a device of no known kind");
		flag(w, &dv->dcf_owned);
		index_in(w, dv->office, n->noffices, true);
		if (!count_ok(w, napps))
			return;
		indexes(w, REF(w, dv->apps, napps, napps == 0), napps, n->nplatforms);
		where(w, &dv->at, false);
	}
}

static void walk_accounts(struct walk *w, smp_policy *p, const struct counts *n,
                          struct records *r)
{
	r->accounts = REF(w, p->accounts, n->naccounts, n->naccounts == 0);
	for (size_t i = 0; w->why == NULL && r->accounts != NULL && i < n->naccounts; i++) {
		struct account *a = &r->accounts[i];
		bool is_void;

		str(w, &a->id, false);
		str(w, &a->handle, true);
		is_void = str(w, &a->void_why, true) != NULL;
		index_in(w, a->platform, n->nplatforms, is_void);
		index_in(w, a->holder, n->nstaff, is_void);
		index_in(w, a->supervisor, n->nstaff, true);
		flag(w, &a->official);
		flag(w, &a->personal_info);
		opt_time(w, &a->password_changed);
		opt_time(w, &a->password_escrowed);
		opt_time(w, &a->compromised_reported);
		opt_time(w, &a->compromised_resolved);
		where(w, &a->at, false);
	}
}

static void walk_sign_off(struct walk *w, const struct counts *n, struct sign_off *so)
{
	bool absent = true;   /* RELOCATE takes any pointer; CHECK knows */

	flag(w, &so->present);
	if (checking(w)) {    /* present is a bool: it may be read */
		absent = !so->present;
		index_in(w, so->by, n->nstaff, true);
	}
	str(w, &so->absent, true);
	/* present: by its staff index, or by the id no staff entry has */
	if (checking(w) && !absent && (so->by == NONE) == (so->absent == NULL))
		fault(w, "a sign-off by no one, or by two");
	where(w, &so->at, absent);
}

/* The moments of an approval that a decision computes with (valid_until -
 * at): within 2^40 s of 1970 (a load gives the years 1 to 9999), or
 * SMP_TIME_MAX where that means "no end"; and the end of its period, as
 * the load derived it, so that valid_until is after the moment decided.
 * (Added by the cache fuzzer's author: a forged end near INT64_MAX made
 * the decision's arithmetic overflow.) */
static void moment(struct walk *w, int64_t t, bool max_ok)
{
	if ((t < -((int64_t)1 << 40) || t > (int64_t)1 << 40) && !(max_ok && t == SMP_TIME_MAX))
		fault(w, "a moment out of range");
}

static void approval_moments(struct walk *w, const struct approval *a,
                             const struct interval *over)
{
	int64_t to = a->end;

	if (!checking(w))
		return;   /* the flags below may not be bools yet */
	if (a->cpp.present)
		moment(w, a->cpp.on, false);
	if (a->it.present)
		moment(w, a->it.on, false);
	moment(w, a->end, true);
	if (a->revoked.present) {
		moment(w, a->revoked.on, false);
		to = a->revoked.on < to ? a->revoked.on : to;
	}
	for (size_t k = 0; over != NULL && k < a->nover_cap; k++) {
		moment(w, over[k].from, false);
		moment(w, over[k].to, true);
	}
	if (a->invalid_why == NULL && a->cpp.present && a->it.present && a->valid.to != to)
		fault(w, "an approval's period that is not its own");
}

static void walk_approvals(struct walk *w, smp_policy *p, const struct counts *n,
                           struct records *r)
{
	r->approvals = REF(w, p->approvals, n->napprovals, n->napprovals == 0);
	for (size_t i = 0; w->why == NULL && r->approvals != NULL && i < n->napprovals; i++) {
		struct approval *a = &r->approvals[i];
		size_t np = a->nplatforms, no = a->nover_cap;
		const uint32_t *pls;
		char **ids;
		unsigned kind;

		str(w, &a->id, false);
		index_in(w, a->staff, n->nstaff, false);
		memcpy(&kind, &a->kind, sizeof(kind));
		if (checking(w) && kind != KIND_LONG_TERM && kind != KIND_LIMITED)
			fault(w, "an approval of no known kind");
		if (!count_ok(w, np) || !count_ok(w, no))
			return;
		pls = REF(w, a->platforms, np, false);
		indexes(w, pls, np, n->nplatforms);
		ids = REF(w, a->platform_ids, np + 1, false);
		for (size_t k = 0; ids != NULL && k < np; k++)
			str(w, &ids[k], false);
		/* each name is its platform's own id (platforms are walked first) */
		if (checking(w) && ids != NULL && ids[np] != NULL)
			fault(w, "a list of names without its end");
		for (size_t k = 0; checking(w) && pls != NULL && k < np; k++)
			if (!same_ref(&ids[k], &r->platforms[pls[k]].id))
				fault(w, "an approval names a platform that is not its own");
		str(w, &a->ticket, true);
		index_in(w, a->requested_by, n->nstaff, true);
		str(w, &a->requested_absent, true);
		opt_time(w, &a->requested);
		walk_sign_off(w, n, &a->cpp);
		walk_sign_off(w, n, &a->it);
		opt_time(w, &a->starts);
		opt_time(w, &a->expires);
		flag(w, &a->revoked.present);
		index_in(w, a->revoked.by, n->nstaff, true);
		str(w, &a->revoked.by_absent, true);
		str(w, &a->revoked.reason, true);
		where(w, &a->at, false);
		str(w, &a->invalid_why, true);
		flag(w, &a->is_void);
		flag(w, &a->capped);
		flag(w, &a->capped_at_max);
		approval_moments(w, a, REF(w, a->over_cap, no, no == 0));
	}
}

/* An id index of the n records at `records` (in the image), `stride`
 * bytes apart, whose id is their first field: every key is the id of the
 * record it names, its head holds the key's first bytes, and one slot at
 * least is empty (a probe stops there). */
static void walk_idmap(struct walk *w, struct idmap *m, const void *records, size_t stride,
                       size_t n)
{
	size_t mask = m->mask, slots = mask + 1, used = 0;
	struct idslot *v;

	if (w->why != NULL)
		return;
	if (mask == 0 || (slots & mask) != 0 || slots == 0) {
		if (mask != 0 || memcmp(&m->slot, &(void *){ NULL }, sizeof(m->slot)) != 0)
			fault(w, "an id index of a size that is not a power of two");
		return;
	}
	v = REF(w, m->slot, slots, false);
	for (size_t i = 0; v != NULL && w->why == NULL && i < slots; i++) {
		const char *key;
		size_t len;

		if (!checking(w)) {
			/* the key is checked below, as the id of the record it names */
			ref(w, &v[i].key, 0, 1, 1, true);
			continue;
		}
		/* records and keys are read in the order of their hashes, all
		 * over the image: fetch ahead */
		if (i + 16 < slots && v[i + 16].key != NULL && v[i + 16].idx < n) {
			uint64_t k;

			memcpy(&k, &v[i + 16].key, sizeof(k));
			__builtin_prefetch((const char *)records + (size_t)v[i + 16].idx * stride);
			if (w->mode == CHECK && k - (uint64_t)(uintptr_t)w->img < w->size)
				__builtin_prefetch((const char *)(uintptr_t)k);
		}
		if (v[i].key == NULL)
			continue;
		used++;
		index_in(w, v[i].idx, n, false);
		key = w->why == NULL ? ref(w, &v[i].key, 0, 1, 1, false) : NULL;
		if (key == NULL ||
		    !same_ref(&v[i].key, (const char *)records + (size_t)v[i].idx * stride))
			return (void)fault(w, "an id index names a record by another id");
		/* a probe reads past the head only when the key goes on */
		len = strnlen(key, sizeof(v[i].head));
		for (size_t k = 0; k < sizeof(v[i].head); k++)
			if (v[i].head[k] != (k < len ? key[k] : '\0'))
				return (void)fault(w, "an id index whose slot does not hold its key");
	}
	if (checking(w) && used >= slots)
		fault(w, "an id index without an empty slot");
}

_Static_assert(offsetof(struct platform, id) == 0 && offsetof(struct office, id) == 0 &&
               offsetof(struct staff, id) == 0 && offsetof(struct device, id) == 0 &&
               offsetof(struct account, id) == 0 && offsetof(struct approval, id) == 0,
               "walk_idmap finds each record's id at its start");

/* Walk the policy whose struct is p (in the image); r receives where its
 * record arrays are. */
static void walk_policy(struct walk *w, smp_policy *p, struct records *r)
{
	const struct settings *set = &p->set;
	struct counts n = { p->nrecords, p->nplatforms, p->noffices, p->nstaff, p->ndevices,
	                    p->naccounts, p->napprovals, p->nzone, p->nvoids };

	w->file_in = w->file_out = 0;
	memset(r, 0, sizeof(*r));
	if (w->mode != CHECK)
		memset(&p->mem, 0, sizeof(p->mem));
	/* the signatures are not in an image (only their verdicts) */
	if (w->mode == WRITE) {
		memset(&p->sigmem, 0, sizeof(p->sigmem));
		memset(&p->sigs, 0, sizeof(p->sigs));
	} else if (w->mode == RELOCATE) {
		memset(&p->sigmem, 0, sizeof(p->sigmem));
	}
	if (checking(w) && (memcmp(&p->sigs, &(void *){ NULL }, sizeof(p->sigs)) != 0 ||
	                    memcmp(&p->sigmem, &(struct arena){ NULL }, sizeof(p->sigmem)) != 0))
		fault(w, "signatures in an image");
	if (!count_ok(w, n.nrecords) || !count_ok(w, n.nplatforms) ||
	    !count_ok(w, n.noffices) || !count_ok(w, n.nstaff) || !count_ok(w, n.ndevices) ||
	    !count_ok(w, n.naccounts) || !count_ok(w, n.napprovals) || !count_ok(w, n.nzone) ||
	    !count_ok(w, n.nvoids))
		return;
	str(w, &p->config_path, false);
	str(w, &p->cache_path, false);
	if (n.nrecords == 0)
		fault(w, "no records files");
	strings(w, &p->records_paths, n.nrecords, false);
	if (checking(w) &&
	    (set->max_per_office < 1 || set->warn_days < 0 || set->long_term_max_days < 1))
		fault(w, "settings out of range");
	flag(w, &set->cap_long_term_only);
	str(w, &p->set.audit, false);
	strings(w, &p->set.device_domains, SIZE_MAX, true);
	str(w, &p->set.time_zone, true);
	if (w->mode != CHECK)   /* read again from its file (image_adopt) */
		memset(&p->tz, 0, sizeof(p->tz));
	flag(w, &set->require_signatures);
	{
		unsigned char required;   /* a byte: RELOCATE reads it before CHECK */

		memcpy(&required, &set->require_signatures, 1);
		str(w, &p->set.signers, required == 0);
	}
	REF(w, p->digests, n.nrecords + 1 + (p->set.signers != NULL), false);
	REF(w, p->zone, n.nzone, n.nzone == 0);
	/* records before their indexes, platforms before approvals: the
	 * checks of one compare with pointers of the other */
	walk_platforms(w, p, &n, r);
	walk_offices(w, p, &n, r);
	walk_staff(w, p, &n, r);
	walk_devices(w, p, &n, r);
	walk_accounts(w, p, &n, r);
	walk_approvals(w, p, &n, r);
	walk_voids(w, p, &n);
	walk_idmap(w, &p->platform_ix, r->platforms, sizeof(*r->platforms), n.nplatforms);
	walk_idmap(w, &p->office_ix, r->offices, sizeof(*r->offices), n.noffices);
	walk_idmap(w, &p->staff_ix, r->staff, sizeof(*r->staff), n.nstaff);
	walk_idmap(w, &p->device_ix, r->devices, sizeof(*r->devices), n.ndevices);
	walk_idmap(w, &p->account_ix, r->accounts, sizeof(*r->accounts), n.naccounts);
	walk_idmap(w, &p->approval_ix, r->approvals, sizeof(*r->approvals), n.napprovals);
}

/* ---- writing ------------------------------------------------------------ */

static int place_cmp(const void *x, const void *y)
{
	const struct chunk_place *a = x, *b = y;

	return a->lo < b->lo ? -1 : a->lo > b->lo;
}

/*
 * After the walk, no word of the policy's struct and its record arrays
 * may still hold an address in the policy's memory: that would be a
 * pointer field the walk does not know (one added to internal.h and not to
 * walk_policy), which a reader would take for an offset it never checked.
 * Those arrays hold only pointers, small integers, times and flags, none
 * of which is such an address.
 */
static void census(struct walk *w, const smp_policy *root, const struct records *r)
{
	const struct {
		const void *p;
		size_t size;
	} arrays[] = {
		{ root, sizeof(*root) },
		{ r->platforms, root->nplatforms * sizeof(*r->platforms) },
		{ r->offices, root->noffices * sizeof(*r->offices) },
		{ r->staff, root->nstaff * sizeof(*r->staff) },
		{ r->devices, root->ndevices * sizeof(*r->devices) },
		{ r->accounts, root->naccounts * sizeof(*r->accounts) },
		{ r->approvals, root->napprovals * sizeof(*r->approvals) },
	};
	uint64_t off;

	for (size_t k = 0; k < sizeof(arrays) / sizeof(arrays[0]); k++) {
		const char *a = arrays[k].p;

		for (size_t i = 0; a != NULL && i + sizeof(uint64_t) <= arrays[k].size;
		     i += sizeof(uint64_t)) {
			uint64_t v;

			memcpy(&v, a + i, sizeof(v));
			if (v > w->size && locate(w, (uintptr_t)v, 0, 0, &off)) {
				fault(w, "a pointer the walk does not know (internal error)");
				return;
			}
		}
	}
}

char *image_build(const smp_policy *p, size_t room, uint64_t *size, const char **why)
{
	struct walk w = { .mode = WRITE };
	struct records r;
	struct arena_span *spans;
	char *buf = NULL;
	size_t n = arena_spans(&p->mem, NULL, 0);
	uint64_t total = round16(sizeof(*p));
	smp_policy *root;

	*why = NULL;
	spans = malloc((n + 1) * sizeof(*spans));
	w.chunks = malloc((n + 1) * sizeof(*w.chunks));
	if (spans == NULL || w.chunks == NULL)
		goto fail;
	arena_spans(&p->mem, spans, n);
	for (size_t i = 0; i < n; i++) {
		w.chunks[i] = (struct chunk_place){ (uintptr_t)spans[i].p,
		                                    (uintptr_t)spans[i].p + spans[i].used, total };
		total += round16(spans[i].used);
	}
	if (total > IMAGE_MAX_SIZE) {
		*why = "the policy is larger than a cache may be (1 GiB)";
		goto fail;
	}
	w.size = total;
	buf = malloc(room + total);
	if (buf == NULL)
		goto fail;
	w.img = buf + room;
	memset(buf, 0, room + total);
	memcpy(w.img, p, sizeof(*p));
	for (size_t i = 0; i < n; i++)
		memcpy(w.img + w.chunks[i].off, spans[i].p, spans[i].used);
	w.nchunks = n;
	qsort(w.chunks, n, sizeof(*w.chunks), place_cmp);
	root = (smp_policy *)w.img;
	walk_policy(&w, root, &r);
	if (w.why == NULL)
		census(&w, root, &r);
	if (w.why != NULL) {
		*why = w.why;
		goto fail;
	}
	free(spans);
	free(w.chunks);
	*size = total;
	return buf;
fail:
	free(spans);
	free(w.chunks);
	free(buf);
	return NULL;
}

const char *image_adopt(smp_policy *p, char *img, uint64_t size)
{
	struct walk w = { .img = img, .size = size, .mode = RELOCATE };
	struct arena mem = p->mem;
	struct records r;

	if (size < round16(sizeof(smp_policy)))
		return "its size is not the size it says";
	walk_policy(&w, (smp_policy *)img, &r);
	if (w.why == NULL) {
		w.mode = CHECK;
		walk_policy(&w, (smp_policy *)img, &r);
	}
	memcpy(p, img, sizeof(*p));
	p->mem = mem;
	/* what only a load says: never taken from the bytes */
	memset(&p->login, 0, sizeof(p->login));
	p->tz = NULL;
	if (w.why == NULL && p->set.time_zone != NULL) {
		/* the zone as its file says now: the caller checks the image's
		 * moments against it (time_log_holds) */
		char why[512];
		smp_status rc = zone_load(p->set.time_zone, &p->mem, &p->tz, why, sizeof(why));

		if (rc == SMP_ERR_NOMEM)
			return "out of memory";
		if (rc != SMP_OK)
			return "its time zone cannot be read";
	}
	return w.why;
}
