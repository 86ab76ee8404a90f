/*
 * test_saved.c - the copy's saved entries (directory_saved.c), read as
 * the untrusted input a file on disk is: a good file read back exactly
 * and written again byte for byte; every truncation and every flipped
 * byte refused by the digest; and, with the digest made right again, the
 * attacks on the lengths and counts (past the end, more than fit, empty or
 * NUL-holding names, a repeated entryUUID, bytes after the end), every
 * prefix and thousands of random mutations: refused or read, never a
 * crash or a read out of bounds (the sanitizer runs see to that).
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "sources/directory_sync.h"
#include "suites.h"

#include <CUnit/Basic.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAGIC "SMPOLICY-ENTRIES 1\n"

struct buf {
	unsigned char p[8192];
	size_t len;
};

static void put(struct buf *b, const void *d, size_t n)
{
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

static void put32(struct buf *b, uint32_t v)
{
	unsigned char x[4] = { v >> 24, v >> 16, v >> 8, v };

	put(b, x, 4);
}

static void put_str(struct buf *b, const char *s, size_t n)
{
	put32(b, (uint32_t)n);
	put(b, s, n);
}

/* Append the digest of b's body. */
static void seal(struct buf *b)
{
	struct digest g;
	unsigned char x[16];

	digest_of(b->p, b->len, &g);
	for (int i = 0; i < 8; i++) {
		x[i] = (unsigned char)(g.lo >> (56 - 8 * i));
		x[8 + i] = (unsigned char)(g.hi >> (56 - 8 * i));
	}
	put(b, x, 16);
}

static void uuid(unsigned char *u, int n)
{
	for (int i = 0; i < 16; i++)
		u[i] = (unsigned char)(n * 17 + i);
}

/* The body of a good file: a cookie and three entries. */
static void good_body(struct buf *b)
{
	unsigned char u[16];

	b->len = 0;
	put(b, MAGIC, strlen(MAGIC));
	put_str(b, "rid=000,csn=20261207000000.000000Z#000000#000#000000", 52);
	put32(b, 3);
	for (int e = 0; e < 3; e++) {
		char dn[64];

		uuid(u, e);
		put(b, u, 16);
		snprintf(dn, sizeof(dn), "cn=LT-%d,ou=approvals,ou=smpolicy,dc=example,dc=org", e);
		put_str(b, dn, strlen(dn));
		put32(b, 2);
		put_str(b, "objectClass", 11);
		put32(b, 2);
		put_str(b, "top", 3);
		put_str(b, "smpPolicyApproval", 17);
		put_str(b, "smpPlatforms", 12);
		put32(b, (uint32_t)e);   /* 0, 1, 2 values; binary ones too */
		for (int v = 0; v < e; v++)
			put_str(b, v == 0 ? "face\0book" : "", v == 0 ? 9 : 0);
	}
}

static smp_status parse(const struct buf *b, struct raw_world *r, char *why, size_t n)
{
	memset(r, 0, sizeof(*r));
	return dir_saved_parse(b->p, b->len, r, why, n);
}

static void test_good(void)
{
	struct buf b, again;
	struct raw_world r;
	char why[256], dir[] = "/tmp/smp-saved-XXXXXX", path[64];
	unsigned char u[16];
	const struct raw_attr *a;
	smp_diags *d = diags_new();
	int fd;

	good_body(&b);
	seal(&b);
	CU_ASSERT_EQUAL_FATAL(parse(&b, &r, why, sizeof(why)), SMP_OK);
	CU_ASSERT_EQUAL(r.n, 3);
	CU_ASSERT_EQUAL(r.live, 3);
	CU_ASSERT_EQUAL(r.cookie.bv_len, 52);
	uuid(u, 2);
	CU_ASSERT_PTR_EQUAL(raw_find(&r, u), r.v[2]);
	CU_ASSERT_STRING_EQUAL(r.v[2]->dn, "cn=LT-2,ou=approvals,ou=smpolicy,dc=example,dc=org");
	a = raw_attr(r.v[2], "SMPPLATFORMS");
	CU_ASSERT_FATAL(a != NULL);
	CU_ASSERT_EQUAL(a->n, 2);
	CU_ASSERT_EQUAL(a->v[0].bv_len, 9);
	CU_ASSERT(memcmp(a->v[0].bv_val, "face\0book", 9) == 0);
	CU_ASSERT_EQUAL(a->v[1].bv_len, 0);
	/* written back: the same bytes */
	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	CU_ASSERT_EQUAL(dir_saved_write(&r, dir, d), SMP_OK);
	snprintf(path, sizeof(path), "%s/" DIR_SAVED_FILE, dir);
	fd = open(path, O_RDONLY);
	CU_ASSERT_FATAL(fd >= 0);
	again.len = (size_t)read(fd, again.p, sizeof(again.p));
	close(fd);
	CU_ASSERT_EQUAL(again.len, b.len);
	CU_ASSERT(memcmp(again.p, b.p, b.len) == 0);
	/* a deleted entry is not written */
	raw_delete(&r, r.v[1]);
	unlink(path);
	CU_ASSERT_EQUAL(dir_saved_write(&r, dir, d), SMP_OK);
	raw_world_free(&r);
	memset(&r, 0, sizeof(r));
	CU_ASSERT_EQUAL(dir_saved_read(path, SMP_LOAD_ALLOW_NONROOT, &r, why, sizeof(why)),
	                SMP_OK);
	CU_ASSERT_EQUAL(r.n, 2);
	uuid(u, 1);
	CU_ASSERT_PTR_NULL(raw_find(&r, u));
	raw_world_free(&r);
	unlink(path);
	rmdir(dir);
	smp_diags_free(d);
}

static void test_damage(void)
{
	struct buf b, t;
	struct raw_world r;
	char why[256];

	good_body(&b);
	seal(&b);
	for (size_t n = 0; n < b.len; n++) {
		memcpy(t.p, b.p, n);
		t.len = n;
		CU_ASSERT_EQUAL(parse(&t, &r, why, sizeof(why)), SMP_ERR_PARSE);
		raw_world_free(&r);
	}
	for (size_t i = 0; i < b.len; i++) {
		t = b;
		t.p[i] ^= 0x01;
		CU_ASSERT_EQUAL(parse(&t, &r, why, sizeof(why)), SMP_ERR_PARSE);
		raw_world_free(&r);
	}
	t = b;
	t.p[strlen(MAGIC) + 10] ^= 0x40;
	CU_ASSERT_EQUAL(parse(&t, &r, why, sizeof(why)), SMP_ERR_PARSE);
	CU_ASSERT(strstr(why, "digest") != NULL);
	raw_world_free(&r);
}

/* b's body with the u32 at off replaced by v, sealed again; parsed: the
 * status, and why must hold expect. */
static void attack_u32(size_t off, uint32_t v, const char *expect)
{
	struct buf b;
	struct raw_world r;
	char why[256] = "";
	unsigned char x[4] = { v >> 24, v >> 16, v >> 8, v };

	good_body(&b);
	memcpy(b.p + off, x, 4);
	seal(&b);
	CU_ASSERT_EQUAL(parse(&b, &r, why, sizeof(why)), SMP_ERR_PARSE);
	if (strstr(why, expect) == NULL)
		fprintf(stderr, "\nat %zu = %u: '%s' lacks '%s'\n", off, v, why, expect);
	CU_ASSERT(strstr(why, expect) != NULL);
	raw_world_free(&r);
}

static void test_lengths(void)
{
	size_t cookie = strlen(MAGIC), count = cookie + 4 + 52, first = count + 4;
	size_t dnlen = first + 16, dn = dnlen + 4;
	size_t nattrs = dn + strlen("cn=LT-0,ou=approvals,ou=smpolicy,dc=example,dc=org");
	size_t name = nattrs + 4, nvals = name + 4 + 11;

	attack_u32(cookie, 0xffffffffu, "runs past its end");
	attack_u32(count, 0xffffffffu, "cannot fit");
	attack_u32(count, 4, "ends early");
	attack_u32(count, 2, "follow its last entry");
	attack_u32(dnlen, 0, "empty");
	attack_u32(dnlen, 100000, "runs past its end");
	attack_u32(nattrs, 0x7fffffffu, "cannot fit");
	attack_u32(name, 0, "empty");
	attack_u32(nvals, 0x40000000u, "cannot fit");
}

static void test_names(void)
{
	struct buf b;
	struct raw_world r;
	char why[256] = "";
	size_t first = strlen(MAGIC) + 4 + 52 + 4;
	unsigned char u[16];

	/* a NUL inside a DN */
	good_body(&b);
	b.p[first + 16 + 4 + 3] = '\0';
	seal(&b);
	CU_ASSERT_EQUAL(parse(&b, &r, why, sizeof(why)), SMP_ERR_PARSE);
	CU_ASSERT(strstr(why, "NUL") != NULL);
	raw_world_free(&r);
	/* the second entry with the first's entryUUID */
	good_body(&b);
	uuid(u, 0);
	{
		size_t e1 = first + 16 + 4 + strlen("cn=LT-0,ou=approvals,ou=smpolicy,dc=example,dc=org") +
		            4 + (4 + 11 + 4 + 4 + 3 + 4 + 17) + (4 + 12 + 4);

		memcpy(b.p + e1, u, 16);
	}
	seal(&b);
	CU_ASSERT_EQUAL(parse(&b, &r, why, sizeof(why)), SMP_ERR_PARSE);
	CU_ASSERT(strstr(why, "repeats the entryUUID") != NULL);
	raw_world_free(&r);
	/* another magic */
	good_body(&b);
	b.p[17] = '2';
	seal(&b);
	CU_ASSERT_EQUAL(parse(&b, &r, why, sizeof(why)), SMP_ERR_PARSE);
	raw_world_free(&r);
}

/* Every prefix of the body, sealed, and random mutations, sealed: never
 * read as good unless whole, never out of bounds. */
static void test_mutations(void)
{
	struct buf b, t;
	struct raw_world r;
	char why[256];
	unsigned seed = 12345;
	size_t good = 0;

	good_body(&b);
	for (size_t n = 0; n < b.len; n++) {
		memcpy(t.p, b.p, n);
		t.len = n;
		seal(&t);
		CU_ASSERT_EQUAL(parse(&t, &r, why, sizeof(why)), SMP_ERR_PARSE);
		raw_world_free(&r);
	}
	for (int k = 0; k < 20000; k++) {
		int flips = 1 + (int)(rand_r(&seed) % 4);

		t = b;
		for (int f = 0; f < flips; f++)
			t.p[rand_r(&seed) % t.len] = (unsigned char)rand_r(&seed);
		seal(&t);
		smp_status rc = parse(&t, &r, why, sizeof(why));

		CU_ASSERT(rc == SMP_OK || rc == SMP_ERR_PARSE);
		if (rc == SMP_OK) {
			good++;
			for (size_t i = 0; i < r.n; i++)
				CU_ASSERT(r.v[i]->dn[0] != '\0' && strlen(r.v[i]->dn) < t.len);
		}
		raw_world_free(&r);
	}
	/* a mutation of a value's bytes is still a good file: some are read */
	CU_ASSERT(good > 0);
}

int main(void)
{
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("saved entries", NULL, NULL);
	CU_add_test(s, "a good file read back and written byte for byte", test_good);
	CU_add_test(s, "every truncation and flipped byte refused", test_damage);
	CU_add_test(s, "lengths and counts past the end refused", test_lengths);
	CU_add_test(s, "NUL in a DN, a repeated UUID, another magic refused", test_names);
	CU_add_test(s, "every sealed prefix and 20,000 mutations", test_mutations);
	return run_suites();
}
