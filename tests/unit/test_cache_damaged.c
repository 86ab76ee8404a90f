/*
 * test_cache_damaged.c - damaged and forged caches: every truncation,
 * every byte changed (with the digest fixed too), forged images, refused
 * cache files; none crashes the reader, each is refused.
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

#include "suites.h"

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
int main(void)
{
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("compiled cache: damaged", NULL, NULL);
	CU_add_test(s, "the header's layout", test_header_layout);
	CU_add_test(s, "every truncation", test_image_truncated);
	CU_add_test(s, "one byte changed at every offset", test_image_flipped);
	CU_add_test(s, "one byte changed, digest fixed: the walk", test_image_flipped_digest_fixed);
	CU_add_test(s, "forged images (the digest made to match)", test_image_forged);
	CU_add_test(s, "refused cache files", test_cache_file_refused);
	return run_suites();
}
