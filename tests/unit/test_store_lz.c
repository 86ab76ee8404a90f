/*
 * test_store_lz.c - the login store's compression (policy/store_lz.c):
 * what is packed unpacks to the same bytes, at every length where the
 * format's counts change width; and bytes that are not a packed slice
 * (each byte of one changed, cut at every length, forged distances and
 * lengths) are refused or unpack to exactly the size asked, never writing
 * outside it.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "policy/store.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DICT 4096
#define GUARD 64

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static char dict[DICT];

static void make_dict(void)
{
	static const char *const words[] = { "facebook", "dir-cpp-1", "/etc/smpolicy/records.conf",
	                                     "\0\0\0\0\0\0\0\0", "LT-2026-00001", "\x10\x02\0\0" };
	uint64_t s = 0x9e3779b97f4a7c15u;

	for (size_t i = 0; i < DICT;) {
		const char *w = words[rnd(&s) % 6];
		size_t n = strlen(w) ? strlen(w) : 8;

		for (size_t k = 0; k < n && i < DICT; k++)
			dict[i++] = (char)(rnd(&s) % 8 == 0 ? (char)rnd(&s) : w[k]);
	}
}

/* buf: the dictionary then room for n bytes and the guard. */
static char *room(size_t n)
{
	char *buf = malloc(DICT + n + GUARD);

	CU_ASSERT_FATAL(buf != NULL);
	memcpy(buf, dict, DICT);
	memset(buf + DICT, 0x33, n + GUARD);
	return buf;
}

static bool guard_holds(const char *buf, size_t n)
{
	for (size_t i = 0; i < GUARD; i++)
		if (buf[DICT + n + i] != 0x33)
			return false;
	return true;
}

/* src (n bytes) packed; *packed malloc'd, its size returned. */
static size_t pack(const char *src, size_t n, char **packed)
{
	static uint32_t table[STORE_LZ_TABLE];
	char *buf = room(n);
	size_t bound = store_lz_bound(n), len;

	memcpy(buf + DICT, src, n);
	*packed = malloc(bound + GUARD);
	CU_ASSERT_FATAL(*packed != NULL);
	memset(*packed, 0x44, bound + GUARD);
	store_lz_prime(buf, DICT, table);
	len = store_lz_pack(buf, DICT, DICT + n, table, *packed);
	CU_ASSERT(len <= bound);
	for (size_t i = bound; i < bound + GUARD; i++)
		CU_ASSERT_EQUAL((*packed)[i], 0x44);
	free(buf);
	return len;
}

static void round_trip(const char *src, size_t n, size_t *packed_total)
{
	char *packed, *buf = room(n + 1);
	size_t len = pack(src, n, &packed);

	CU_ASSERT(store_lz_unpack(packed, len, buf, DICT, DICT + n));
	CU_ASSERT(memcmp(buf + DICT, src, n) == 0);
	CU_ASSERT(memcmp(buf, dict, DICT) == 0);
	CU_ASSERT(guard_holds(buf, n));
	/* one byte more or fewer asked for: not this slice */
	memset(buf + DICT, 0x33, n + GUARD);
	CU_ASSERT_FALSE(store_lz_unpack(packed, len, buf, DICT, DICT + n + 1));
	CU_ASSERT(guard_holds(buf, n + 1));
	if (n > 0)
		CU_ASSERT_FALSE(store_lz_unpack(packed, len, buf, DICT, DICT + n - 1));
	if (packed_total != NULL)
		*packed_total += len;
	free(packed);
	free(buf);
}

/* Inputs of many shapes and of the lengths where a count takes one more
 * byte (15, 15 + 255, ...): each comes back the same. */
static void test_lz_round_trip(void)
{
	static const size_t lengths[] = { 0, 1, 3, 4, 5, 14, 15, 16, 17, 19, 20, 269, 270, 271,
	                                  272, 274, 275, 524, 525, 526, 4096, 70000 };
	uint64_t s = 42;
	size_t total = 0, raw = 0;

	make_dict();
	for (size_t li = 0; li < sizeof(lengths) / sizeof(lengths[0]); li++) {
		size_t n = lengths[li];
		char *v = malloc(n + 1);

		CU_ASSERT_FATAL(v != NULL);
		for (int shape = 0; shape < 5; shape++) {
			for (size_t i = 0; i < n; i++) {
				switch (shape) {
				case 0: v[i] = 0; break;                                  /* a run */
				case 1: v[i] = (char)rnd(&s); break;                      /* nothing repeats */
				case 2: v[i] = dict[(i * 7) % DICT]; break;               /* the dictionary, spread */
				case 3: v[i] = dict[(i + 100) % DICT]; break;             /* long matches in it */
				default: v[i] = rnd(&s) % 5 == 0 ? (char)rnd(&s) : dict[i % 97]; break;
				}
			}
			round_trip(v, n, shape == 3 ? &total : NULL);
			raw += shape == 3 ? n : 0;
		}
		free(v);
	}
	/* what the dictionary holds costs a few bytes per match */
	CU_ASSERT(total * 20 < raw);
	/* a match longer than 15 + 255 after literals longer than 15 + 255 */
	{
		char v[2000];

		for (size_t i = 0; i < 300; i++)
			v[i] = (char)rnd(&s);
		memcpy(v + 300, dict, 1700);
		round_trip(v, sizeof(v), NULL);
	}
}

/* Every byte of a packed input changed (three ways), and every cut: each
 * is refused or unpacks to exactly the size asked, and nothing is
 * written outside it. */
static void test_lz_damaged(void)
{
	char v[3000], *packed, *buf;
	uint64_t s = 7;
	size_t len, refused = 0, tries = 0;

	make_dict();
	for (size_t i = 0; i < sizeof(v); i++)
		v[i] = rnd(&s) % 4 == 0 ? (char)rnd(&s) : i % 500 < 200 ? 0 : dict[(i * 3) % DICT];
	len = pack(v, sizeof(v), &packed);
	buf = room(sizeof(v));
	for (size_t at = 0; at < len; at++) {
		static const unsigned char x[] = { 0x01, 0x80, 0xff };

		for (size_t k = 0; k < sizeof(x); k++) {
			bool ok;

			packed[at] ^= (char)x[k];
			ok = store_lz_unpack(packed, len, buf, DICT, DICT + sizeof(v));
			packed[at] ^= (char)x[k];
			refused += !ok;
			tries++;
			CU_ASSERT(guard_holds(buf, sizeof(v)));
			CU_ASSERT(memcmp(buf, dict, DICT) == 0);
		}
	}
	/* a change in a literal is a slice with another byte (the digest in
	 * its slot tells); one in a count or a distance mostly breaks it */
	printf("\n  %zu of %zu changes refused\n", refused, tries);
	CU_ASSERT(refused > tries / 10);
	for (size_t cut = 0; cut < len; cut++) {
		CU_ASSERT_FALSE(store_lz_unpack(packed, cut, buf, DICT, DICT + sizeof(v)));
		CU_ASSERT(guard_holds(buf, sizeof(v)));
	}
	CU_ASSERT(store_lz_unpack(packed, len, buf, DICT, DICT + sizeof(v)));
	CU_ASSERT(memcmp(buf + DICT, v, sizeof(v)) == 0);
	free(packed);
	free(buf);
}

static bool unpack_bytes(const unsigned char *src, size_t n, size_t want)
{
	char *buf = room(want);
	bool ok = store_lz_unpack((const char *)src, n, buf, DICT, DICT + want);

	CU_ASSERT(guard_holds(buf, want));
	free(buf);
	return ok;
}

/* Forged sequences: distances of 0 and past the dictionary's start,
 * lengths past the end, a count that never ends, a distance of six bytes. */
static void test_lz_forged(void)
{
	/* 0 literals, a match of 4 at distance d */
	const unsigned char at_start[] = { 0x00, 0x80, 0x20 };        /* 4096: the first byte */
	const unsigned char past[] = { 0x00, 0x81, 0x20 };            /* 4097: before it */
	const unsigned char zero[] = { 0x00, 0x00 };
	const unsigned char long_match[] = { 0x0f, 0xff, 0xff, 0x01 };   /* 4 + 15 + 510 */
	const unsigned char endless[] = { 0xf0, 0xff, 0xff, 0xff, 0xff };
	const unsigned char wide[] = { 0x00, 0x81, 0x80, 0x80, 0x80, 0x80, 0x00 };
	const unsigned char run[] = { 0x1c, 'a', 0x01 };              /* 'a', then 16 more */

	make_dict();
	CU_ASSERT(unpack_bytes(at_start, sizeof(at_start), 4));
	CU_ASSERT_FALSE(unpack_bytes(past, sizeof(past), 4));
	CU_ASSERT_FALSE(unpack_bytes(zero, sizeof(zero), 4));
	CU_ASSERT_FALSE(unpack_bytes(long_match, sizeof(long_match), 100));
	CU_ASSERT_FALSE(unpack_bytes(endless, sizeof(endless), 100));
	CU_ASSERT_FALSE(unpack_bytes(wide, sizeof(wide), 4));
	CU_ASSERT(unpack_bytes(run, sizeof(run), 17));
	CU_ASSERT_FALSE(unpack_bytes(run, sizeof(run), 16));
	CU_ASSERT_FALSE(unpack_bytes(run, 0, 1));
	CU_ASSERT(unpack_bytes(run, 0, 0));
}

int main(void)
{
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("login store compression", NULL, NULL);
	CU_add_test(s, "round trips at every width of a count", test_lz_round_trip);
	CU_add_test(s, "damaged and cut: refused or exact, never outside", test_lz_damaged);
	CU_add_test(s, "forged distances and lengths", test_lz_forged);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures();

	CU_cleanup_registry();
	return failed == 0 ? 0 : 1;
}
