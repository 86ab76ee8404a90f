/*
 * test_load.c - structural faults of the settings, the catalogue and the
 * files fail the whole load, each at its FILE:LINE; a fault of one record
 * entry voids that record alone, and check names it at its FILE:LINE;
 * insecure files are refused; nothing is silently ignored.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "world.h"
#include "smpolicy_testing.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONF(extra) \
	"version = 1;\n" \
	"settings = { records = [ \"records.conf\" ]; " extra " };\n" \
	"platforms = ( { id = \"facebook\"; name = \"Facebook\"; } );\n" \
	"offices = ( { id = \"o1\"; name = \"One\"; kind = \"local\"; } );\n"

#define PEOPLE \
	"staff = (\n" \
	"  { id = \"dir-cpp\"; office = \"o1\"; roles = [ \"director_cpp\" ]; },\n" \
	"  { id = \"dir-it\"; office = \"o1\"; roles = [ \"director_it\" ]; },\n" \
	"  { id = \"w1\"; office = \"o1\"; roles = [ \"worker\" ]; }\n" \
	");\n"

/* Load; expect SMP_ERR_PARSE (or want) with a diagnostic at file:line
 * whose message contains needle.  want SMP_OK: a void record, the load
 * stands and smpolicy check's diagnostics say so. */
static void expect_fault(const char *conf, const char *records, smp_status want,
                         const char *file, unsigned line, const char *needle)
{
	struct world w;
	smp_policy *p = (smp_policy *)&w;
	smp_diags *d = NULL;
	bool found = false;

	CU_ASSERT_TRUE_FATAL(world_write_raw(&w, conf, records));
	CU_ASSERT_EQUAL(smp_policy_load(w.conf, SMP_LOAD_ALLOW_NONROOT, &p, &d), want);
	if (want == SMP_OK) {
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		CU_ASSERT_EQUAL(smp_diags_errors(d), 0);
		smp_diags_free(d);
		d = NULL;
		CU_ASSERT_EQUAL(smp_policy_check(p, &d), SMP_OK);
		CU_ASSERT_TRUE(smp_diags_errors(d) > 0);
		smp_policy_free(p);
		p = NULL;
	}
	CU_ASSERT_PTR_NULL(p);
	for (size_t i = 0; i < smp_diags_count(d); i++) {
		const struct smp_diag *g = smp_diags_get(d, i);
		const char *base = g->file ? strrchr(g->file, '/') : NULL;

		if (base && strcmp(base + 1, file) == 0 && g->line == line &&
		    strstr(g->message, needle) != NULL)
			found = true;
	}
	if (!found) {
		fprintf(stderr, "\nwanted %s:%u: ...%s...; got:\n", file, line, needle);
		for (size_t i = 0; i < smp_diags_count(d); i++)
			fprintf(stderr, "  %s:%u: %s\n", smp_diags_get(d, i)->file,
			        smp_diags_get(d, i)->line, smp_diags_get(d, i)->message);
	}
	CU_ASSERT_TRUE(found);
	smp_diags_free(d);
	world_remove(&w);
}

/* A fault of one record entry: it is void, the rest loads. */
static void records_fault(const char *tail, unsigned line, const char *needle)
{
	char records[4096];

	snprintf(records, sizeof(records), PEOPLE "%s", tail);
	expect_fault(CONF(""), records, SMP_OK, "records.conf", line, needle);
}

/* A fault of the file itself: nothing loads. */
static void file_fault(const char *tail, unsigned line, const char *needle)
{
	char records[4096];

	snprintf(records, sizeof(records), PEOPLE "%s", tail);
	expect_fault(CONF(""), records, SMP_ERR_PARSE, "records.conf", line, needle);
}

#define SIGNED "approved_cpp = { by = \"dir-cpp\"; on = \"2026-01-01\"; }; " \
	       "approved_it = { by = \"dir-it\"; on = \"2026-01-01\"; };\n"

static void test_typo_expires(void)
{
	/* a typo must not turn a limited approval into a permanent one */
	records_fault("approvals = (\n"
	              "  { id = \"U-1\"; staff = \"w1\"; kind = \"limited\"; ticket = \"NJS-1\";\n"
	              "    platforms = [ \"facebook\" ]; " SIGNED
	              "    expries = \"2026-12-01\"; }\n"
	              ");\n", 9, "unknown key 'expries' (did you mean 'expires'?)");
}

static void test_wrong_type(void)
{
	records_fault("accounts = (\n"
	              "  { id = \"a1\"; platform = \"facebook\"; holder = \"w1\"; official = \"yes\"; }\n"
	              ");\n", 7, "'official' must be true or false");
}

static void test_duplicate_id(void)
{
	records_fault("devices = (\n"
	              "  { id = \"ws1\"; kind = \"workstation\"; owner = \"dcf\"; },\n"
	              "  { id = \"ws1\"; kind = \"workstation\"; owner = \"dcf\"; }\n"
	              ");\n", 8, "duplicate device id 'ws1'");
}

/* Ids around the 16 bytes the id index keeps in its slots, sharing them as
 * a prefix, end to end (test_idmap.c makes them collide). */
static void test_id_lengths(void)
{
	static const char *const stored[] = {
		"abcdefghijklmno", "abcdefghijklmnop", "abcdefghijklmnopq", "abcdefghijklmnopr",
		"abcdefghijklmnopqrstuvwxyz-0001", "abcdefghijklmnopqrstuvwxyz-0002", "a"
	};
	static const char *const absent[] = {
		"abcdefghijklmn", "abcdefghijklmnoq", "abcdefghijklmnopqr", "abcdefghijklmnopqrstuvwxyz-000",
		"abcdefghijklmnopqrstuvwxyz-00011", "b", "", "abcdefghijklmnopqrstuvwxyz-0003"
	};
	char records[4096];
	size_t n;
	struct world w;
	smp_policy *p = NULL;
	smp_diags *d = NULL;

	n = (size_t)snprintf(records, sizeof(records), "staff = (\n");
	for (size_t i = 0; i < sizeof(stored) / sizeof(stored[0]); i++)
		n += (size_t)snprintf(records + n, sizeof(records) - n,
		                      "  { id = \"%s\"; office = \"o1\"; roles = [ \"worker\" ]; }%s\n",
		                      stored[i], i + 1 < sizeof(stored) / sizeof(stored[0]) ? "," : "");
	snprintf(records + n, sizeof(records) - n, ");\n");
	CU_ASSERT_TRUE_FATAL(world_write_raw(&w, CONF(""), records));
	CU_ASSERT_EQUAL_FATAL(smp_policy_load(w.conf, SMP_LOAD_ALLOW_NONROOT, &p, &d), SMP_OK);
	for (size_t i = 0; i < sizeof(stored) / sizeof(stored[0]); i++)
		CU_ASSERT_PTR_NOT_NULL(smp_policy_staff_office(p, stored[i]));
	for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++)
		CU_ASSERT_PTR_NULL(smp_policy_staff_office(p, absent[i]));
	smp_policy_free(p);
	smp_diags_free(d);
	world_remove(&w);
	/* and a long id given twice is a duplicate */
	records_fault("devices = (\n"
	              "  { id = \"ws-abcdefghijklmnopqrstuvwxyz-1\"; kind = \"workstation\"; owner = \"dcf\"; },\n"
	              "  { id = \"ws-abcdefghijklmnopqrstuvwxyz-2\"; kind = \"workstation\"; owner = \"dcf\"; },\n"
	              "  { id = \"ws-abcdefghijklmnopqrstuvwxyz-1\"; kind = \"workstation\"; owner = \"dcf\"; }\n"
	              ");\n", 9, "duplicate device id 'ws-abcdefghijklmnopqrstuvwxyz-1'");
}

static void test_dangling(void)
{
	/* the approved person must exist (an author need not: test_void.c) */
	records_fault("approvals = (\n"
	              "  { id = \"U-1\"; staff = \"w-nobody\"; kind = \"limited\"; ticket = \"NJS-1\";\n"
	              "    platforms = [ \"facebook\" ]; }\n"
	              ");\n", 7, "staff member 'w-nobody' does not exist");
	records_fault("approvals = (\n"
	              "  { id = \"U-1\"; staff = \"w1\"; kind = \"limited\"; ticket = \"NJS-1\";\n"
	              "    platforms = [ \"myspace\" ]; }\n"
	              ");\n", 8, "platform 'myspace' does not exist");
	records_fault("devices = ( { id = \"d\"; kind = \"mobile\"; owner = \"dcf\"; office = \"o9\"; } );\n",
	              6, "office 'o9' does not exist");
}

static void test_bad_time(void)
{
	records_fault("approvals = (\n"
	              "  { id = \"U-1\"; staff = \"w1\"; kind = \"limited\"; ticket = \"NJS-1\";\n"
	              "    platforms = [ \"facebook\" ];\n"
	              "    expires = \"2026-02-30\"; }\n"
	              ");\n", 9, "'2026-02-30' is not a valid time");
}

static void test_unknown_values(void)
{
	expect_fault(CONF(""), "staff = ( { id = \"w2\"; office = \"o1\"; roles = [ \"wizard\" ]; } );\n",
	             SMP_OK, "records.conf", 1, "unknown role 'wizard'");
	records_fault("devices = ( { id = \"d\"; kind = \"tablet\"; owner = \"dcf\"; } );\n",
	              6, "kind must be \"workstation\" or \"mobile\"");
	records_fault("approvals = ( { id = \"X\"; staff = \"w1\"; kind = \"forever\"; "
	              "platforms = [ \"facebook\" ]; } );\n", 6, "kind must be \"long_term\" or \"limited\"");
}

static void test_settings(void)
{
	expect_fault(CONF("max_approved_per_office = 0;"), PEOPLE, SMP_ERR_PARSE, "smpolicy.conf", 2,
	             "max_approved_per_office must be an integer from 1");
	expect_fault(CONF("max_approved_per_office = -2;"), PEOPLE, SMP_ERR_PARSE, "smpolicy.conf", 2,
	             "max_approved_per_office must be an integer from 1");
	/* libconfig 1.5 would read this as 1215752191 */
	expect_fault(CONF("warn_days = 99999999999;"), PEOPLE, SMP_ERR_PARSE, "smpolicy.conf", 2,
	             "warn_days must be an integer");
	expect_fault(CONF("cap_counts = \"some\";"), PEOPLE, SMP_ERR_PARSE, "smpolicy.conf", 2,
	             "cap_counts must be");
	expect_fault("version = 2;\nsettings = { records = [ \"records.conf\" ]; };\n", PEOPLE,
	             SMP_ERR_PARSE, "smpolicy.conf", 1, "version must be 1");
	expect_fault("settings = { records = [ \"records.conf\" ]; };\n", PEOPLE, SMP_ERR_PARSE,
	             "smpolicy.conf", 0, "missing required key 'version'");
}

static void test_syntax_and_directives(void)
{
	file_fault("devices = ( { id = \"d\"; kind = ; } );\n", 6, "syntax error");
	file_fault("@include \"/etc/shadow\"\n", 6, "directives such as @include are not allowed");
	/* a directive is refused on any line, in a comment or a string too */
	file_fault("/* a note\n \t @include \"x\"\n*/\n", 7,
	              "directives such as @include are not allowed");
	file_fault("staff = ( { id = \"w9\"; name = \"A\n@B\"; office = \"o1\";\n"
	              "            roles = [ \"worker\" ]; } );\n", 7,
	              "directives such as @include are not allowed");
	file_fault("x = [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[ ]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]];\n", 6,
	              "brackets nested too deep");
	/* when the file has both, the directive is the fault reported */
	file_fault("x = [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[ ]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]];\n"
	              "# fine\n  @include \"y\"\n", 8, "directives such as @include are not allowed");
}

static void test_every_error_reported(void)
{
	struct world w;
	smp_policy *p = NULL;
	smp_diags *d = NULL;

	/* four void records, and a fault of the settings fails the load:
	 * every fault is reported, the records' with the rest */
	CU_ASSERT_TRUE_FATAL(world_write_raw(&w, CONF("warn_days = -1;"), PEOPLE
		"devices = ( { id = \"d1\"; kind = \"tablet\"; owner = \"dcf\"; },\n"
		"            { id = \"d2\"; kind = \"mobile\"; owner = \"friend\"; } );\n"
		"accounts = ( { id = \"a1\"; platform = \"nope\"; holder = \"w1\"; official = true;\n"
		"               passwrd_escrowed = \"2026-01-01\"; } );\n"));
	CU_ASSERT_EQUAL(smp_policy_load(w.conf, SMP_LOAD_ALLOW_NONROOT, &p, &d), SMP_ERR_PARSE);
	CU_ASSERT_EQUAL_FATAL(smp_diags_errors(d), 5);
	CU_ASSERT_STRING_EQUAL(strrchr(smp_diags_get(d, 0)->file, '/'), "/records.conf");
	/* sorted by line */
	CU_ASSERT_EQUAL(smp_diags_get(d, 0)->line, 6);
	CU_ASSERT_EQUAL(smp_diags_get(d, 1)->line, 7);
	CU_ASSERT_EQUAL(smp_diags_get(d, 2)->line, 8);
	CU_ASSERT_EQUAL(smp_diags_get(d, 3)->line, 9);
	smp_diags_free(d);
	world_remove(&w);
}

static void test_insecure_and_missing(void)
{
	struct world w;
	smp_policy *p = NULL;
	smp_diags *d = NULL;

	CU_ASSERT_TRUE_FATAL(world_write_raw(&w, CONF(""), PEOPLE));
	CU_ASSERT_EQUAL(smp_policy_load(w.conf, SMP_LOAD_ALLOW_NONROOT, &p, &d), SMP_OK);
	smp_policy_free(p);
	smp_diags_free(d);
	chmod(w.records, 0666);
	CU_ASSERT_EQUAL(smp_policy_load(w.conf, SMP_LOAD_ALLOW_NONROOT, &p, &d), SMP_ERR_INSECURE);
	CU_ASSERT_PTR_NULL(p);
	CU_ASSERT_PTR_NOT_NULL(strstr(smp_diags_get(d, 0)->message, "writable by group or others"));
	smp_diags_free(d);
	chmod(w.records, 0644);
	chmod(w.dir, 0777);
	CU_ASSERT_EQUAL(smp_policy_load(w.conf, SMP_LOAD_ALLOW_NONROOT, &p, &d), SMP_ERR_INSECURE);
	smp_diags_free(d);
	chmod(w.dir, 0700);
	if (geteuid() != 0) {
		/* without the test flag, files of an ordinary user are refused */
		CU_ASSERT_EQUAL(smp_policy_load(w.conf, 0, &p, &d), SMP_ERR_INSECURE);
		smp_diags_free(d);
	}
	unlink(w.records);
	CU_ASSERT_EQUAL(smp_policy_load(w.conf, SMP_LOAD_ALLOW_NONROOT, &p, &d), SMP_ERR_IO);
	CU_ASSERT_PTR_NULL(p);
	smp_diags_free(d);
	world_remove(&w);
	CU_ASSERT_EQUAL(smp_policy_load("/nonexistent/smpolicy.conf", 0, &p, NULL), SMP_ERR_IO);
	CU_ASSERT_EQUAL(smp_policy_load(NULL, 0, NULL, NULL), SMP_ERR_ARG);
}

int main(void)
{
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("load", NULL, NULL);
	CU_add_test(s, "a typo in expires is an error", test_typo_expires);
	CU_add_test(s, "wrong type", test_wrong_type);
	CU_add_test(s, "duplicate id", test_duplicate_id);
	CU_add_test(s, "ids of every length are told apart", test_id_lengths);
	CU_add_test(s, "dangling references", test_dangling);
	CU_add_test(s, "impossible time", test_bad_time);
	CU_add_test(s, "unknown roles and kinds", test_unknown_values);
	CU_add_test(s, "settings: caps, days, version", test_settings);
	CU_add_test(s, "syntax errors and @include", test_syntax_and_directives);
	CU_add_test(s, "every error is reported", test_every_error_reported);
	CU_add_test(s, "insecure and missing files", test_insecure_and_missing);
	return run_suites();
}
