/*
 * test_ldif.c - smp_policy_export_ldif() without a directory: the LDIF it
 * writes (layout, file order, values as written, base64 where LDIF wants
 * it, lines of at most 76 columns) and what it refuses, writing nothing.
 * The round trip through a real slapd is tests/ldap/export_test.py.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "world.h"
#include "smpolicy_testing.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BASE "ou=smpolicy,dc=example,dc=org"

/* A revoked approval with an awkward reason: quotes, a backslash, UTF-8 and
 * a line break, and a value long enough to be folded. */
#define APPROVAL_REVOKED \
	APPROVAL_W1_FB ",\n" \
	"  { id = \"UB-1\"; staff = \"w2\"; kind = \"limited\"; platforms = [ \"youtube\" ];\n" \
	"    ticket = \" NJS-1\"; requested_by = \"w2\"; requested = \"2026-02-01\";\n" \
	"    starts = \"2026-02-02T09:00\"; expires = \"2026-02-09T17:00\";\n" \
	"    revoked = { on = \"2026-02-03\"; by = \"dir-it\";\n" \
	"      reason = \"Zo\xc3\xab said \\\"no\\\" \\\\ twice\\nsecond line of a reason long enough to fold\"; }; }"

struct export {
	smp_status rc;
	char *text;       /* unfolded LDIF */
	size_t size;      /* as written, folded */
	size_t longest;   /* the longest line written */
	smp_diags *d;
};

static struct export run(const char *conf_extra, const char *approvals, const char *records,
                         unsigned flags, const char *base)
{
	struct export e = { 0 };
	struct world w;
	FILE *f;
	char *buf = NULL, *o;

	if (records != NULL) {
		char conf[4096];

		snprintf(conf, sizeof(conf), WORLD_CONF_FMT, conf_extra ? conf_extra : "");
		CU_ASSERT_TRUE_FATAL(world_write_raw(&w, conf, records));
	} else {
		CU_ASSERT_TRUE_FATAL(world_write(&w, conf_extra, approvals));
	}
	f = open_memstream(&buf, &e.size);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	e.rc = smp_policy_export_ldif(w.conf, SMP_LOAD_ALLOW_NONROOT | flags, base, f, &e.d);
	fclose(f);
	world_remove(&w);
	/* measure the lines, then unfold: a line break and one space vanish */
	for (const char *s = buf, *nl; *s; s = nl + 1) {
		nl = strchr(s, '\n');
		if (nl == NULL)
			break;
		if ((size_t)(nl - s) > e.longest)
			e.longest = (size_t)(nl - s);
	}
	e.text = o = malloc(e.size + 1);
	for (size_t i = 0; i < e.size; i++) {
		if (buf[i] == '\n' && buf[i + 1] == ' ')
			i++;
		else
			*o++ = buf[i];
	}
	*o = '\0';
	free(buf);
	return e;
}

static void done(struct export *e)
{
	free(e->text);
	smp_diags_free(e->d);
}

static bool has(const struct export *e, const char *line)
{
	size_t n = strlen(line);

	for (const char *s = e->text; (s = strstr(s, line)) != NULL; s++)
		if ((s == e->text || s[-1] == '\n') && s[n] == '\n')
			return true;
	return false;
}

static bool before(const struct export *e, const char *a, const char *b)
{
	const char *pa = strstr(e->text, a), *pb = strstr(e->text, b);

	return pa != NULL && pb != NULL && pa < pb;
}

static void test_layout_and_values(void)
{
	struct export e = run(NULL, APPROVAL_REVOKED, NULL, 0, BASE);

	CU_ASSERT_EQUAL_FATAL(e.rc, SMP_OK);
	CU_ASSERT_EQUAL(smp_diags_count(e.d), 0);
	CU_ASSERT_TRUE(has(&e, "dn: " BASE));
	CU_ASSERT_TRUE(has(&e, "dn: cn=settings," BASE));
	CU_ASSERT_TRUE(has(&e, "smpMaxApprovedPerOffice: 2"));
	CU_ASSERT_TRUE(has(&e, "dn: ou=approvals," BASE));
	/* the containers first, then the kinds in order, records in file order */
	CU_ASSERT_TRUE(before(&e, "dn: ou=approvals,", "dn: cn=facebook,ou=platforms,"));
	CU_ASSERT_TRUE(before(&e, "dn: cn=facebook,", "dn: cn=youtube,"));
	CU_ASSERT_TRUE(before(&e, "dn: cn=youtube,", "dn: cn=snapchat,"));
	CU_ASSERT_TRUE(before(&e, "dn: cn=snapchat,", "dn: cn=o1,ou=offices,"));
	CU_ASSERT_TRUE(before(&e, "dn: uid=w9,ou=staff,", "dn: cn=ws1,ou=devices,"));
	CU_ASSERT_TRUE(before(&e, "dn: cn=LT-1,ou=approvals,", "dn: cn=UB-1,ou=approvals,"));
	/* staff: a person entry; with no name, cn and sn are the id */
	CU_ASSERT_TRUE(has(&e, "dn: uid=w1,ou=staff," BASE));
	CU_ASSERT_TRUE(has(&e, "objectClass: inetOrgPerson"));
	CU_ASSERT_TRUE(has(&e, "objectClass: smpPolicyStaff"));
	CU_ASSERT_TRUE(has(&e, "sn: w1"));
	/* values as written */
	CU_ASSERT_TRUE(has(&e, "smpPrivateMessaging: FALSE"));
	CU_ASSERT_TRUE(has(&e, "smpOfficial: TRUE"));
	CU_ASSERT_TRUE(has(&e, "smpRequested: 2026-01-10Z"));
	CU_ASSERT_TRUE(has(&e, "smpExpires: 2026-12-31T23:59:59Z"));
	CU_ASSERT_TRUE(has(&e, "smpApprovedCppBy: dir-cpp"));
	CU_ASSERT_TRUE(has(&e, "smpCompromisedReported: 2026-05-01T10:00Z"));
	CU_ASSERT_TRUE(before(&e, "smpPlatforms: facebook", "smpPlatforms: youtube"));
	/* base64 where LDIF wants it: a leading space; UTF-8 and a line break */
	CU_ASSERT_TRUE(has(&e, "smpTicket:: IE5KUy0x"));
	CU_ASSERT_TRUE(has(&e, "smpRevokedReason:: Wm/DqyBzYWlkICJubyIgXCB0d2ljZQpzZWNvbmQgbGluZSB"
	                       "vZiBhIHJlYXNvbiBsb25nIGVub3VnaCB0byBmb2xk"));
	CU_ASSERT_TRUE(e.longest <= 76);
	done(&e);
}

static void test_base_entry(void)
{
	struct export e = run(NULL, APPROVAL_W1_FB, NULL, SMP_EXPORT_NO_BASE_ENTRY, BASE);

	CU_ASSERT_EQUAL(e.rc, SMP_OK);
	CU_ASSERT_FALSE(has(&e, "dn: " BASE));
	CU_ASSERT_TRUE(has(&e, "dn: cn=settings," BASE));
	done(&e);
	e = run(NULL, APPROVAL_W1_FB, NULL, 0, "dc=example,dc=org");
	CU_ASSERT_EQUAL(e.rc, SMP_OK);
	CU_ASSERT_FALSE(has(&e, "dn: dc=example,dc=org"));
	CU_ASSERT_TRUE(has(&e, "# create this one first."));
	CU_ASSERT_TRUE(has(&e, "dn: ou=staff,dc=example,dc=org"));
	done(&e);
	/* a base that needs base64 itself */
	e = run(NULL, APPROVAL_W1_FB, NULL, 0, "ou=Zo\xc3\xab,dc=example,dc=org");
	CU_ASSERT_EQUAL(e.rc, SMP_OK);
	CU_ASSERT_TRUE(has(&e, "ou:: Wm/Dqw=="));
	done(&e);
}

static void test_refused_bases(void)
{
	static const char *bad[] = { "", "not a dn", "ou=x,,dc=org", "=x", "ou=x+", NULL };

	for (size_t i = 0; bad[i] != NULL; i++) {
		struct export e = run(NULL, APPROVAL_W1_FB, NULL, 0, bad[i]);

		CU_ASSERT_EQUAL(e.rc, SMP_ERR_ARG);
		CU_ASSERT_EQUAL(e.size, 0);
		done(&e);
	}
	CU_ASSERT_EQUAL(smp_policy_export_ldif(NULL, 0, NULL, stdout, NULL), SMP_ERR_ARG);
	CU_ASSERT_EQUAL(smp_policy_export_ldif(NULL, 0, BASE, NULL, NULL), SMP_ERR_ARG);
}

/* The first diagnostic, which must be an error at records.conf:line. */
static void expect_at(const struct export *e, smp_status rc, unsigned line, const char *needle)
{
	const struct smp_diag *g = smp_diags_get(e->d, 0);

	CU_ASSERT_EQUAL(e->rc, rc);
	CU_ASSERT_EQUAL(e->size, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g->file);
	CU_ASSERT_STRING_EQUAL(strrchr(g->file, '/'), "/records.conf");
	CU_ASSERT_EQUAL(g->line, line);
	CU_ASSERT_PTR_NOT_NULL(strstr(g->message, needle));
}

/* Records of staff only: line 1 "staff = (", line 2 a worker w1 whose
 * record goes on with tail (from line 2 or 3), then what follows. */
#define W1(tail) "staff = (\n  { id = \"w1\"; office = \"o1\"; " tail " }\n);\n"

static void test_refused_worlds(void)
{
	static const struct {
		const char *records;
		smp_status rc;
		unsigned line;
		const char *needle;
	} cases[] = {
		{ W1("roles = [ \"worker\" ];\n    expries = \"x\";"), SMP_ERR_PARSE, 3, "expries" },
		{ W1("roles = [ \"worker\" ];\n    name = \"\";"), SMP_ERR_REFUSED, 3,
		  "empty string" },
		{ W1("\n    roles = [ \"worker\",\n \"worker\" ];"), SMP_ERR_REFUSED, 4, "named twice" },
		{ W1("roles = [ \"worker\" ]; },\n  { id = \"W1\"; office = \"o1\"; roles = [ \"worker\" ];"),
		  SMP_ERR_REFUSED, 3, "only in case" },
		{ W1("roles = [ \"worker\" ];\n    name = \"bad \xff byte\";"), SMP_ERR_REFUSED, 3,
		  "not UTF-8" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct export e = run(NULL, NULL, cases[i].records, 0, BASE);

		expect_at(&e, cases[i].rc, cases[i].line, cases[i].needle);
		done(&e);
	}
}

int main(void)
{
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("ldif", NULL, NULL);
	CU_add_test(s, "layout, file order, values as written, base64, folding",
	            test_layout_and_values);
	CU_add_test(s, "the base entry: ou= written, others and --no-base-entry not",
	            test_base_entry);
	CU_add_test(s, "malformed bases are refused", test_refused_bases);
	CU_add_test(s, "structural errors and values the directory cannot hold",
	            test_refused_worlds);
	return run_suites();
}
