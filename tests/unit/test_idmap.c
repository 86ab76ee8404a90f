/*
 * test_idmap.c - the id index (base/idmap.c).  A probe settles most comparisons
 * on the stored half of the hash; the id itself is compared only when that
 * matches, from the 16 bytes kept in the slot and then from the id.  Real
 * ids almost never collide, so the loader's tests would pass with a wrong
 * comparison: here each colliding pair is made by hand, by giving a slot
 * holding one id the hash and the place of the other.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "internal.h"
#include "suites.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <string.h>

#define SLOTS 16

/* The slot where key lands in an empty index of SLOTS slots. */
static size_t place_of(const char *key, struct idslot *out)
{
	struct idslot slot[SLOTS];
	struct idmap m = { slot, SLOTS - 1 };

	memset(slot, 0, sizeof(slot));
	CU_ASSERT_EQUAL(idmap_insert(&m, key, 7), NONE);
	for (size_t i = 0; i < SLOTS; i++)
		if (slot[i].key != NULL) {
			*out = slot[i];
			return i;
		}
	CU_FAIL("the key was not stored");
	return 0;
}

/* An index holding only stored, whose hash and place are those of query:
 * query must not be found, and stored must. */
static void collide(const char *stored, const char *query)
{
	struct idslot slot[SLOTS], s, q;
	struct idmap m = { slot, SLOTS - 1 };
	size_t qi = place_of(query, &q);

	place_of(stored, &s);
	memset(slot, 0, sizeof(slot));
	s.hash = q.hash;
	slot[qi] = s;
	if (idmap_find(&m, query) != NONE)
		fprintf(stderr, "\n'%s' was taken for '%s'\n", stored, query);
	CU_ASSERT_EQUAL(idmap_find(&m, query), NONE);
	/* and an index holding it answers for it */
	memset(slot, 0, sizeof(slot));
	CU_ASSERT_EQUAL(idmap_insert(&m, stored, 3), NONE);
	CU_ASSERT_EQUAL(idmap_find(&m, stored), 3);
	CU_ASSERT_EQUAL(idmap_insert(&m, stored, 4), 3);   /* a duplicate */
}

static void test_colliding_ids(void)
{
	static const char *const ids[] = {
		"", "a", "ab", "abcdefghijklmn", "abcdefghijklmno", "abcdefghijklmnp",
		"abcdefghijklmnop", "abcdefghijklmnoq", "abcdefghijklmnopq", "abcdefghijklmnopr",
		"abcdefghijklmnopqr", "abcdefghijklmnopqrstuvwxyz-0001",
		"abcdefghijklmnopqrstuvwxyz-0002", "abcdefghijklmnopqrstuvwxyz-00011",
		"bbcdefghijklmnopq",
		/* 4 to 15 bytes, compared as two words that may overlap: ids that
		 * differ in the first word only, in the last only, in the overlap,
		 * and ids that are another's prefix */
		"abc", "abcd", "abce", "xbcd", "abcde", "abcdf", "abcdefg", "abcdxfg", "abcdefh",
		"abcdefgh", "abcdefgi", "xbcdefgh", "abcdefgha", "abcdefghijk", "abcdexghijk",
		"abcdefghijx", "abcdefghijkl", "abcdefghijklm", "abcdefxhijklm", "abcdefghixklm",
		"abcdefghijkl\x01"
	};
	size_t n = sizeof(ids) / sizeof(ids[0]);

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++)
			if (i != j)
				collide(ids[i], ids[j]);
}

/* Many ids in a full-size index: each is found at its own index. */
static void test_many_ids(void)
{
	enum { N = 5000 };
	static char keys[N][40];
	struct arena a = { NULL };
	struct idmap m;

	CU_ASSERT_TRUE_FATAL(idmap_init(&m, &a, N));
	for (size_t i = 0; i < N; i++) {
		/* lengths 1..39 around the 16 bytes kept in the slot */
		snprintf(keys[i], sizeof(keys[i]), "%.*s%zu", (int)(i % 30), "ws-essex-ws-essex-ws-essex-ws-", i);
		CU_ASSERT_EQUAL(idmap_insert(&m, keys[i], (uint32_t)i), NONE);
	}
	for (size_t i = 0; i < N; i++)
		CU_ASSERT_EQUAL(idmap_find(&m, keys[i]), i);
	CU_ASSERT_EQUAL(idmap_find(&m, "ws-essex-ws-essex-ws-essex-ws-99999"), NONE);
	arena_release(&a);
}

int main(void)
{
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("id index", NULL, NULL);
	CU_add_test(s, "colliding ids are told apart", test_colliding_ids);
	CU_add_test(s, "5000 ids of 1 to 39 bytes", test_many_ids);
	return run_suites();
}
