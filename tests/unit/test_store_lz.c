/*
 * test_store_lz.c - the login store's packing of a slice with liblz4
 * against the shared part (store_pack, store_unpack in policy/): what is
 * packed unpacks to the same bytes, at every length where LZ4's counts
 * change width and past its 64 KiB window; and bytes that are not a
 * packed slice (each byte of one changed, cut at every length, random
 * bytes, forged offsets, lengths and ends) are refused or unpack to
 * exactly the size asked, never writing outside it.
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

/* src (n bytes) packed; *packed malloc'd, its size returned.  The
 * stream is used again, as the writer uses it for every slice: each
 * slice must unpack against the shared part alone. */
static size_t pack(const char *src, size_t n, char **packed)
{
	static LZ4_stream_t *z;
	char *buf = room(n);
	size_t bound = store_pack_bound(n), len;

	if (z == NULL)
		z = LZ4_createStream();
	CU_ASSERT_FATAL(z != NULL);
	memcpy(buf + DICT, src, n);
	*packed = malloc(bound + GUARD);
	CU_ASSERT_FATAL(*packed != NULL);
	memset(*packed, 0x44, bound + GUARD);
	len = store_pack(z, buf, DICT, DICT + n, *packed, bound);
	CU_ASSERT(len > 0 && len <= bound);
	for (size_t i = bound; i < bound + GUARD; i++)
		CU_ASSERT_EQUAL((*packed)[i], 0x44);
	/* too little room: 0, not a cut slice, and nothing past the room */
	if (len > 1) {
		char *small = malloc(len - 1 + GUARD);

		CU_ASSERT_FATAL(small != NULL);
		memset(small, 0x44, len - 1 + GUARD);
		CU_ASSERT_EQUAL(store_pack(z, buf, DICT, DICT + n, small, len - 1), 0);
		for (size_t i = len - 1; i < len - 1 + GUARD; i++)
			CU_ASSERT_EQUAL(small[i], 0x44);
		free(small);
	}
	free(buf);
	return len;
}

static void round_trip(const char *src, size_t n, size_t *packed_total)
{
	char *packed, *buf = room(n + 1);
	size_t len = pack(src, n, &packed);

	CU_ASSERT(store_unpack(packed, len, buf, DICT, DICT + n));
	CU_ASSERT(memcmp(buf + DICT, src, n) == 0);
	CU_ASSERT(memcmp(buf, dict, DICT) == 0);
	CU_ASSERT(guard_holds(buf, n));
	/* one byte more or fewer asked for: not this slice */
	memset(buf + DICT, 0x33, n + GUARD);
	CU_ASSERT_FALSE(store_unpack(packed, len, buf, DICT, DICT + n + 1));
	CU_ASSERT(guard_holds(buf, n + 1));
	if (n > 0)
		CU_ASSERT_FALSE(store_unpack(packed, len, buf, DICT, DICT + n - 1));
	CU_ASSERT(guard_holds(buf, n + 1));
	/* a byte more after it: not this slice either */
	{
		char *more = malloc(len + 1);

		CU_ASSERT_FATAL(more != NULL);
		memcpy(more, packed, len);
		more[len] = 0;
		CU_ASSERT_FALSE(store_unpack(more, len + 1, buf, DICT, DICT + n));
		free(more);
	}
	if (packed_total != NULL)
		*packed_total += len;
	free(packed);
	free(buf);
}

/* Inputs of many shapes and of the lengths where a count takes one more
 * byte (15, 15 + 255, ...), and longer than LZ4's window (64 KiB): each
 * comes back the same. */
static void test_lz_round_trip(void)
{
	static const size_t lengths[] = { 0, 1, 3, 4, 5, 14, 15, 16, 17, 19, 20, 269, 270, 271,
	                                  272, 274, 275, 524, 525, 526, 4096, 70000, 200000 };
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
	/* what the shared part holds costs a few bytes per match */
	CU_ASSERT(total * 20 < raw);
	/* a match longer than 15 + 255 after literals longer than 15 + 255,
	 * reaching back to the shared part's first byte */
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
			ok = store_unpack(packed, len, buf, DICT, DICT + sizeof(v));
			packed[at] ^= (char)x[k];
			refused += !ok;
			tries++;
			CU_ASSERT(guard_holds(buf, sizeof(v)));
			CU_ASSERT(memcmp(buf, dict, DICT) == 0);
		}
	}
	/* a change in a literal is a slice with another byte (the digest in
	 * its slot tells); one in a token, a count or an offset mostly breaks
	 * it (here 1 byte in 4 is random: most of the block is literals) */
	printf("\n  %zu of %zu changes refused\n", refused, tries);
	CU_ASSERT(refused > tries / 20);
	for (size_t cut = 0; cut < len; cut++) {
		CU_ASSERT_FALSE(store_unpack(packed, cut, buf, DICT, DICT + sizeof(v)));
		CU_ASSERT(guard_holds(buf, sizeof(v)));
	}
	CU_ASSERT(store_unpack(packed, len, buf, DICT, DICT + sizeof(v)));
	CU_ASSERT(memcmp(buf + DICT, v, sizeof(v)) == 0);
	free(packed);
	free(buf);
}

static bool unpack_bytes(const unsigned char *src, size_t n, size_t want, char **out)
{
	char *buf = room(want);
	bool ok = store_unpack((const char *)src, n, buf, DICT, DICT + want);

	CU_ASSERT(guard_holds(buf, want));
	CU_ASSERT(memcmp(buf, dict, DICT) == 0);
	if (out != NULL)
		*out = buf;
	else
		free(buf);
	return ok;
}

/* A block of one match (offset off, length 4 + ml) then 12 literals
 * 'x', in LZ4's block format; its size. */
static size_t forge(unsigned char *b, unsigned off, unsigned char ml)
{
	size_t n = 0;

	b[n++] = ml;                     /* no literals, then the match */
	b[n++] = (unsigned char)(off & 0xff);
	b[n++] = (unsigned char)(off >> 8);
	b[n++] = 0xc0;                   /* the last sequence: 12 literals */
	memset(b + n, 'x', 12);
	return n + 12;
}

/* Forged blocks: offsets to the shared part's first byte and before it,
 * offset 0, matches past the end, a count that never ends, a block that
 * ends in a match, a length asked for that is not the block's, nothing. */
static void test_lz_forged(void)
{
	unsigned char b[64];
	const unsigned char endless[] = { 0xf0, 0xff, 0xff, 0xff, 0xff };
	const unsigned char ends_in_match[] = { 0xc0, 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x',
	                                        'x', 'x', 'x', 0x00, 0x01, 0x00 };
	const unsigned char run[] = { 0x1c, 'a', 0x01, 0x00, 0xc0, 'x', 'x', 'x', 'x', 'x', 'x',
	                              'x', 'x', 'x', 'x', 'x', 'x' };   /* 'a', 16 more, 12 x */
	size_t n;
	char *out;

	make_dict();
	n = forge(b, DICT, 0);           /* the shared part's first 4 bytes */
	CU_ASSERT(unpack_bytes(b, n, 16, &out));
	CU_ASSERT(memcmp(out + DICT, dict, 4) == 0 && out[DICT + 4] == 'x');
	free(out);
	n = forge(b, DICT + 1, 0);       /* one byte before the shared part */
	CU_ASSERT_FALSE(unpack_bytes(b, n, 16, NULL));
	n = forge(b, 0xffff, 0);         /* far before it */
	CU_ASSERT_FALSE(unpack_bytes(b, n, 16, NULL));
	/* offset 0, which the format forbids: liblz4 1.9.4 copies the bytes
	 * at the output's own place; refused, or zeros, never what the memory
	 * held (room() fills it with 0x33) */
	n = forge(b, 0, 0);
	if (unpack_bytes(b, n, 16, &out))
		CU_ASSERT(memcmp(out + DICT, "\0\0\0\0xxxxxxxxxxxx", 16) == 0);
	free(out);
	n = forge(b, 1, 0);              /* 1 back from the image's start: the shared part's end */
	CU_ASSERT(unpack_bytes(b, n, 16, NULL));
	n = forge(b, 16, 14);            /* a match of 18: past 16 asked for */
	CU_ASSERT_FALSE(unpack_bytes(b, n, 16, NULL));
	CU_ASSERT(unpack_bytes(b, n, 30, NULL));
	CU_ASSERT_FALSE(unpack_bytes(b, n, 31, NULL));
	CU_ASSERT_FALSE(unpack_bytes(b, n - 1, 29, NULL));
	CU_ASSERT_FALSE(unpack_bytes(endless, sizeof(endless), 100, NULL));
	CU_ASSERT_FALSE(unpack_bytes(endless, sizeof(endless), 20, NULL));
	CU_ASSERT_FALSE(unpack_bytes(ends_in_match, sizeof(ends_in_match), 16, NULL));
	CU_ASSERT(unpack_bytes(run, sizeof(run), 29, &out));
	CU_ASSERT(memcmp(out + DICT, "aaaaaaaaaaaaaaaaaxxxxxxxxxxxx", 29) == 0);
	free(out);
	CU_ASSERT_FALSE(unpack_bytes(run, sizeof(run), 28, NULL));
	CU_ASSERT_FALSE(unpack_bytes(run, sizeof(run), 30, NULL));
	CU_ASSERT_FALSE(unpack_bytes(run, 0, 1, NULL));
	CU_ASSERT_FALSE(unpack_bytes(run, 0, 0, NULL));
}

/* Random bytes of every length up to 64, and some longer: refused, or
 * exactly the size asked, never written outside. */
static void test_lz_garbage(void)
{
	unsigned char g[300];
	uint64_t s = 99;
	size_t accepted = 0;

	make_dict();
	for (size_t round = 0; round < 4000; round++) {
		size_t n = round < 2000 ? round % 65 : 65 + rnd(&s) % (sizeof(g) - 65);
		size_t want = rnd(&s) % 400;

		for (size_t i = 0; i < n; i++)
			g[i] = (unsigned char)rnd(&s);
		accepted += unpack_bytes(g, n, want, NULL);
	}
	printf("\n  %zu of 4000 random inputs unpacked to the size asked\n", accepted);
}

int main(void)
{
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("login store compression", NULL, NULL);
	CU_add_test(s, "round trips at every width of a count", test_lz_round_trip);
	CU_add_test(s, "damaged and cut: refused or exact, never outside", test_lz_damaged);
	CU_add_test(s, "forged offsets, lengths and ends", test_lz_forged);
	CU_add_test(s, "random bytes", test_lz_garbage);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures();

	CU_cleanup_registry();
	return failed == 0 ? 0 : 1;
}
