/*
 * test_cache_same.c - the compiled cache answers as the parse: a
 * policy taken from "<config>.cache" gives every answer a parse of the
 * files gives, on seeded random worlds (SMP_CACHE_WORLDS=N of them); and
 * the comparison itself sees one changed field.
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

/* ---- a. equivalence ------------------------------------------------------ */

static unsigned nworlds(void)
{
	const char *e = getenv("SMP_CACHE_WORLDS");

	if (e != NULL && atoi(e) > 0)
		return (unsigned)atoi(e);
	return lite() ? NWORLDS / 5 : NWORLDS;
}

static void test_equivalence(void)
{
	static struct gen g;
	static struct grid gr;
	struct tally t = { 0 };
	unsigned n = nworlds(), files[MAX_FILES + 1] = { 0 }, offsets = 0, rewritten = 0;
	size_t approvals = 0;

	for (unsigned k = 0; k < n; k++) {
		uint64_t seed = SEED0 + k;
		struct place pl;
		smp_policy *p, *c;

		gen_world(&g, seed, NULL);
		CU_ASSERT_FATAL(place_new(&pl));
		CU_ASSERT_FATAL(place_write(&pl, &g));
		c = cached_and_parsed(&pl, &p);
		if (p == NULL || c == NULL || !make_grid(&gr, p, &g, 1)) {
			fprintf(stderr, "  world 0x%" PRIx64 " (in %s)\n", seed, pl.dir);
			CU_FAIL("a generated world does not load, cache or parse");
			smp_policy_free(p);
			smp_policy_free(c);
			gen_free(&g);
			continue;   /* left on disk to be looked at */
		}
		files[g.o.nfiles]++;
		offsets += g.o.offsets;
		approvals += smp_policy_approval_count(p);
		compare_all(&t, c, p, &gr);
		/* a cache written from a cache-loaded policy is as good */
		if (k % 4 == 0) {
			smp_policy *c2;
			smp_status rc;

			CU_ASSERT_EQUAL(write_cache(c), SMP_OK);
			c2 = load(pl.conf, LOAD_FLAGS, &rc, NULL);
			CU_ASSERT_EQUAL(smp_policy_cache_state(c2), SMP_CACHE_USED);
			gr.combos = 1;
			gr.nmoments = gr.nmoments > 200 ? 200 : gr.nmoments;
			if (c2 != NULL)
				compare_all(&t, c2, p, &gr);
			smp_policy_free(c2);
			rewritten++;
		}
		smp_policy_free(p);
		smp_policy_free(c);
		gen_free(&g);
		rm_tree(pl.dir);
	}
	print_tally("cache against parse", &t);
	printf("  %u worlds (seeds 0x%x..), %zu approvals; 1/2/3 records files: %u/%u/%u; "
	       "offsets only: %u; written again from the cache: %u\n", n, SEED0, approvals,
	       files[1], files[2], files[3], offsets, rewritten);
	printf("  reasons:");
	for (int r = 0; r < SMP_R__COUNT; r++)
		printf(" %s=%lu", smp_reason_code((smp_reason)r), t.reasons[r]);
	printf("\n  states:");
	for (int s = 0; s <= SMP_STATE_OVER_CAP; s++)
		printf(" %s=%lu", smp_approval_state_name((smp_approval_state)s), t.states[s]);
	printf("\n  check: %lu errors, %lu warnings\n", t.check_errors, t.check_warnings);
	CU_ASSERT_EQUAL(t.mismatches, 0);
	/* the worlds reach every reason, state and kind of diagnostic, so that
	 * the comparison covers them */
	if (n >= NWORLDS) {
		for (int r = 0; r < SMP_R__COUNT; r++)
			CU_ASSERT(t.reasons[r] > 0);
		for (int s = 0; s <= SMP_STATE_OVER_CAP; s++)
			CU_ASSERT(t.states[s] > 0);
		CU_ASSERT(t.allowed > 0 && t.untils > 0 && t.warnings > 0);
		CU_ASSERT(t.check_errors > 0 && t.check_warnings > 0);
		CU_ASSERT(files[1] > 0 && files[2] > 0 && files[3] > 0 && offsets > 0);
	}
}

/* The comparison can fail: one field of a cache-loaded policy changed
 * through internal.h at a time, each must be seen, and none once put back. */
static void test_comparer_fails(void)
{
	static struct gen g;
	static struct grid gr;
	struct place pl;
	smp_policy *p, *c;
	struct tally t;
	size_t ia = SIZE_MAX, ic = SIZE_MAX;

	gen_world(&g, SEED0 + 1, NULL);
	CU_ASSERT_FATAL(place_new(&pl));
	CU_ASSERT_FATAL(place_write(&pl, &g));
	c = cached_and_parsed(&pl, &p);
	CU_ASSERT_FATAL(p != NULL && c != NULL);
	CU_ASSERT_FATAL(make_grid(&gr, p, &g, 1));
	/* an approval with an end, and an account with an escrow */
	for (size_t i = 0; i < c->napprovals && ia == SIZE_MAX; i++)
		if (c->approvals[i].end != SMP_TIME_MAX && c->approvals[i].invalid_why == NULL)
			ia = i;
	for (size_t i = 0; i < c->naccounts && ic == SIZE_MAX; i++)
		if (c->accounts[i].password_escrowed.set && c->accounts[i].official)
			ic = i;
	CU_ASSERT_FATAL(ia != SIZE_MAX && ic != SIZE_MAX);

#define BROKEN(what, change, undo) do { \
		memset(&t, 0, sizeof(t)); \
		t.quiet = true; \
		change; \
		compare_all(&t, c, p, &gr); \
		undo; \
		printf("\n  %-44s %lu mismatches", what, t.mismatches); \
		CU_ASSERT(t.mismatches > 0); \
	} while (0)

	BROKEN("an approval's end one second later", c->approvals[ia].end++, c->approvals[ia].end--);
	BROKEN("an approval's pick entry (its valid interval)",
	       for (size_t s = 0; s < c->nstaff; s++)
	               for (uint32_t e = 0; e < c->staff[s].platform_start[c->nplatforms]; e++)
	                       if (c->staff[s].by_platform[e].approval == ia)
	                               c->staff[s].by_platform[e].to = c->staff[s].by_platform[e].from,
	       for (size_t s = 0; s < c->nstaff; s++)
	               for (uint32_t e = 0; e < c->staff[s].platform_start[c->nplatforms]; e++)
	                       if (c->staff[s].by_platform[e].approval == ia)
	                               c->staff[s].by_platform[e].to = p->staff[s].by_platform[e].to);
	/* one second is seen only at the moments either side of it: lite()
	 * thins those out */
	BROKEN(lite() ? "an account's escrow 400 days later" : "an account's escrow one second later",
	       c->accounts[ic].password_escrowed.t += lite() ? 400 * DAY : 1,
	       c->accounts[ic].password_escrowed.t -= lite() ? 400 * DAY : 1);
	BROKEN("an account's official flag", c->accounts[ic].official = false,
	       c->accounts[ic].official = true);
	BROKEN("an office name's first byte", c->offices[0].name[0] ^= 1, c->offices[0].name[0] ^= 1);
	BROKEN("an approval's line", c->approvals[ia].at.line++, c->approvals[ia].at.line--);
	BROKEN("why an invalid approval is invalid (a byte)",
	       for (size_t i = 0; i < c->napprovals; i++)
	               if (c->approvals[i].invalid_why != NULL)
	                       c->approvals[i].invalid_why[0] ^= 0x20,
	       for (size_t i = 0; i < c->napprovals; i++)
	               if (c->approvals[i].invalid_why != NULL)
	                       c->approvals[i].invalid_why[0] ^= 0x20);
	BROKEN("a staff member's office", c->staff[0].office ^= 1, c->staff[0].office ^= 1);
	BROKEN("the hashes of the staff id index",
	       for (size_t i = 0; i <= c->staff_ix.mask; i++) c->staff_ix.slot[i].hash ^= 1,
	       for (size_t i = 0; i <= c->staff_ix.mask; i++) c->staff_ix.slot[i].hash ^= 1);
	BROKEN("warn_days", c->set.warn_days++, c->set.warn_days--);
	BROKEN("the cap", c->set.max_per_office++, c->set.max_per_office--);
	BROKEN("a records path", c->records_paths[0][1] ^= 1, c->records_paths[0][1] ^= 1);
#undef BROKEN
	printf("\n");
	/* and all put back: none */
	memset(&t, 0, sizeof(t));
	compare_all(&t, c, p, &gr);
	CU_ASSERT_EQUAL(t.mismatches, 0);
	smp_policy_free(p);
	smp_policy_free(c);
	gen_free(&g);
	rm_tree(pl.dir);
}
int main(void)
{
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("compiled cache: the same policy", NULL, NULL);
	CU_add_test(s, "random worlds: a cache-loaded policy answers as the parse",
	            test_equivalence);
	CU_add_test(s, "the comparison sees one changed field", test_comparer_fails);
	return run_suites();
}
