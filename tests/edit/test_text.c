/*
 * test_text.c - the in-place editor of libconfig text (edit_text.c): every
 * change keeps the rest of the file byte for byte, and every string
 * written reads back the same through libconfig.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "edit_internal.h"

#include <CUnit/Basic.h>
#include <libconfig.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---------------------------------------------------------- */

/* Assert x is not NULL, and leave the test if it is. */
#define REQUIRE(x) \
	do { \
		CU_ASSERT_PTR_NOT_NULL(x); \
		if ((x) == NULL) \
			return; \
	} while (0)

/* Set path (e.g. {"revoked", NULL}) to value in entry id of list; the
 * result, malloc'd, or NULL on failure. */
static char *set_in(const char *text, const char *list, const char *id,
                    const char *const *path, const char *value)
{
	struct span e;
	struct ebuf out = { 0 };
	char *why = NULL;

	if (text_find_entry(text, list, id, &e, &why) != SMP_OK ||
	    text_set(text, e, path, value, &out, &why) != SMP_OK) {
		free(why);
		ebuf_free(&out);
		return NULL;
	}
	return out.s;
}

static char *append(const char *text, const char *list, const char *entry)
{
	struct ebuf out = { 0 };
	char *why = NULL;

	if (text_append_entry(text, list, entry, &out, &why) != SMP_OK) {
		free(why);
		ebuf_free(&out);
		return NULL;
	}
	return out.s;
}

/* Does text parse with libconfig, and does `path` hold string `want`? */
static bool reads_as(const char *text, const char *path, const char *want)
{
	config_t c;
	const char *got = NULL;
	bool ok;

	config_init(&c);
	ok = config_read_string(&c, text) == CONFIG_TRUE &&
	     config_lookup_string(&c, path, &got) == CONFIG_TRUE && strcmp(got, want) == 0;
	config_destroy(&c);
	return ok;
}

static const char records[] =
	"# the records -- a comment that must survive\n"
	"\n"
	"approvals = (\n"
	"  # first entry\n"
	"  { id = \"A-1\"; staff = \"w1\";\n"
	"    starts = \"2026-01-01\"; },   /* trailing block comment */\n"
	"  { id = \"A-2\"; staff = \"w2\"; }  # one line, trailing comment\n"
	");\n"
	"accounts = ( { id = \"fb1\"; compromised = { reported = \"2026-11-02\"; }; } );\n"
	"// the end\n";

/* ---- string literals -------------------------------------------------- */

static void test_quote_round_trip(void)
{
	static const char *const odd[] = {
		"plain", "", "quote \" inside", "back\\slash", "new\nline", "tab\tand\rcr",
		"\x01\x02\x1f\x7f control", "unicode: ümlaut ☃ 𝄞", "\\\"\\n not escapes",
		"ends with backslash \\", "# not a comment /* nor this */", NULL,
	};

	for (size_t i = 0; odd[i] != NULL; i++) {
		struct ebuf b = { 0 };

		ebuf_adds(&b, "s = ");
		conf_quote(&b, odd[i]);
		ebuf_adds(&b, ";\n");
		CU_ASSERT_FALSE(b.oom);
		CU_ASSERT_PTR_EQUAL(strchr(b.s, '\n'), b.s + b.len - 1);   /* one line */
		CU_ASSERT_TRUE(reads_as(b.s, "s", odd[i]));
		ebuf_free(&b);
	}
}

/* ---- finding entries ---------------------------------------------------- */

static void test_find_entry(void)
{
	struct span e;
	char *why = NULL;

	CU_ASSERT_EQUAL(text_find_entry(records, "approvals", "A-2", &e, &why), SMP_OK);
	CU_ASSERT_EQUAL(strncmp(records + e.from, "{ id = \"A-2\"", 12), 0);
	CU_ASSERT_EQUAL(records[e.to - 1], '}');
	CU_ASSERT_EQUAL(text_find_entry(records, "approvals", "A-9", &e, &why), SMP_ERR_NOTFOUND);
	CU_ASSERT_EQUAL(text_find_entry(records, "staff", "A-1", &e, &why), SMP_ERR_NOTFOUND);
	CU_ASSERT_TRUE(text_has_setting(records, "accounts"));
	CU_ASSERT_FALSE(text_has_setting(records, "staff"));
	CU_ASSERT_FALSE(text_has_setting(records, "id"));   /* nested, not top level */
}

static void test_find_refuses_directive(void)
{
	struct span e;
	char *why = NULL;

	/* libconfig itself cannot read it here, and we never follow it */
	CU_ASSERT_NOT_EQUAL(text_find_entry("@include \"x\"\na = ( { id = \"x\"; } );\n", "a",
	                                    "x", &e, &why), SMP_OK);
	free(why);
}

/* ---- setting values ---------------------------------------------------- */

/* out is text with ins inserted at one place, and nothing else changed */
static bool only_inserted(const char *text, const char *out, const char *ins)
{
	const char *at = strstr(out, ins);
	size_t k;

	if (at == NULL || strlen(out) != strlen(text) + strlen(ins))
		return false;
	k = (size_t)(at - out);
	return memcmp(out, text, k) == 0 && strcmp(at + strlen(ins), text + k) == 0;
}

static void test_insert_keeps_everything_else(void)
{
	const char *path[] = { "revoked", NULL };
	char *out = set_in(records, "approvals", "A-1", path, "{ on = \"2026-02-01\"; }");

	REQUIRE(out);
	/* after the last setting, on a line of its own, indented like it */
	CU_ASSERT_TRUE(only_inserted(records, out, "\n    revoked = { on = \"2026-02-01\"; };"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "revoked = { on = \"2026-02-01\"; }; },   "
	                                   "/* trailing block comment */\n"));
	CU_ASSERT_TRUE(reads_as(out, "approvals.[0].revoked.on", "2026-02-01"));
	free(out);
}

static void test_insert_before_closing_line(void)
{
	static const char text[] =
		"l = (\n"
		"\t{ id = \"x\";\n"
		"\t  a = 1; # about a\n"
		"\t}\n"
		");\n";
	const char *path[] = { "b", NULL };
	char *out = set_in(text, "l", "x", path, "2");

	REQUIRE(out);
	/* the comment stays with its setting; the new line goes after it */
	CU_ASSERT_TRUE(only_inserted(text, out, "\t  b = 2;\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "a = 1; # about a\n\t  b = 2;\n\t}\n"));
	free(out);
}

static void test_insert_one_line_group(void)
{
	const char *path[] = { "ticket", NULL };
	char *out = set_in(records, "approvals", "A-2", path, "\"T-1\"");

	REQUIRE(out);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "{ id = \"A-2\"; staff = \"w2\"; ticket = \"T-1\"; }"
	                                   "  # one line, trailing comment\n"));
	CU_ASSERT_TRUE(reads_as(out, "approvals.[1].ticket", "T-1"));
	free(out);
}

static void test_replace_value(void)
{
	const char *path[] = { "starts", NULL };
	char *out = set_in(records, "approvals", "A-1", path, "\"2026-03-03\"");

	REQUIRE(out);
	CU_ASSERT_EQUAL(strlen(out), strlen(records));
	CU_ASSERT_TRUE(reads_as(out, "approvals.[0].starts", "2026-03-03"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "/* trailing block comment */"));
	free(out);
}

static void test_nested_insert_and_replace(void)
{
	const char *resolved[] = { "compromised", "resolved", NULL };
	const char *whole[] = { "compromised", NULL };
	char *out = set_in(records, "accounts", "fb1", resolved, "\"2026-11-03\"");
	char *again;

	REQUIRE(out);
	CU_ASSERT_TRUE(reads_as(out, "accounts.[0].compromised.resolved", "2026-11-03"));
	CU_ASSERT_TRUE(reads_as(out, "accounts.[0].compromised.reported", "2026-11-02"));
	again = set_in(out, "accounts", "fb1", whole, "{ reported = \"2026-12-01\"; }");
	REQUIRE(again);
	CU_ASSERT_TRUE(reads_as(again, "accounts.[0].compromised.reported", "2026-12-01"));
	CU_ASSERT_PTR_NULL(strstr(again, "resolved"));
	free(out);
	free(again);
}

static void test_missing_group_is_built(void)
{
	const char *path[] = { "a", "b", NULL };
	char *out = set_in("l = ( { id = \"x\"; } );\n", "l", "x", path, "\"v\"");

	REQUIRE(out);
	CU_ASSERT_TRUE(reads_as(out, "l.[0].a.b", "v"));
	free(out);
}

static void test_no_terminators(void)
{
	/* libconfig allows settings without ';' and with ':' */
	const char *path[] = { "z", NULL };
	char *out = set_in("l : ( { id : \"x\" y = \"1\" \"2\" } )\n", "l", "x", path, "\"new\"");

	REQUIRE(out);
	CU_ASSERT_TRUE(reads_as(out, "l.[0].z", "new"));
	CU_ASSERT_TRUE(reads_as(out, "l.[0].y", "12"));
	free(out);
}

static void test_tricky_strings_do_not_confuse(void)
{
	static const char text[] =
		"l = (\n"
		"  { id = \"x\"; note = \"} ) ; # /* not code\"; },\n"
		"  { id = \"y\"; note = \"\\\" {\"; }\n"
		");\n";
	const char *path[] = { "z", NULL };
	char *out = set_in(text, "l", "y", path, "\"1\"");

	REQUIRE(out);
	CU_ASSERT_TRUE(reads_as(out, "l.[1].z", "1"));
	CU_ASSERT_TRUE(reads_as(out, "l.[0].note", "} ) ; # /* not code"));
	free(out);
}

/* ---- appending entries ------------------------------------------------- */

static void test_append_after_trailing_comment(void)
{
	char *out = append(records, "approvals", "{ id = \"A-3\";\nstaff = \"w3\"; }");

	REQUIRE(out);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "staff = \"w2\"; },  # one line, trailing comment\n"
	                                   "  { id = \"A-3\";\n    staff = \"w3\"; }\n);\n"));
	CU_ASSERT_TRUE(reads_as(out, "approvals.[2].id", "A-3"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "# the records -- a comment that must survive\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "// the end\n"));
	free(out);
}

static void test_append_one_line_list(void)
{
	char *out = append("a = ( { id = \"1\"; } );\n", "a", "{ id = \"2\"; }");

	REQUIRE(out);
	CU_ASSERT_TRUE(reads_as(out, "a.[1].id", "2"));
	CU_ASSERT_TRUE(reads_as(out, "a.[0].id", "1"));
	free(out);
}

static void test_append_empty_and_missing(void)
{
	char *a = append("x = 1;\napprovals = (\n);\n", "approvals", "{ id = \"1\"; }");
	char *b = append("approvals = ( );", "approvals", "{ id = \"1\"; }");
	char *c = append("# only a comment", "approvals", "{ id = \"1\"; }");
	char *d = append("", "approvals", "{ id = \"1\"; }");

	CU_ASSERT_TRUE(a && reads_as(a, "approvals.[0].id", "1"));
	CU_ASSERT_TRUE(b && reads_as(b, "approvals.[0].id", "1"));
	CU_ASSERT_TRUE(c && reads_as(c, "approvals.[0].id", "1"));
	CU_ASSERT_TRUE(c && strncmp(c, "# only a comment\n", 17) == 0);
	CU_ASSERT_TRUE(d && reads_as(d, "approvals.[0].id", "1"));
	free(a);
	free(b);
	free(c);
	free(d);
}

static void test_broken_text_is_refused(void)
{
	char *why = NULL;
	struct ebuf out = { 0 };

	CU_ASSERT_EQUAL(text_append_entry("approvals = ( { id = \"1\"; } ;\n", "approvals",
	                                  "{ }", &out, &why), SMP_ERR_PARSE);
	CU_ASSERT_PTR_NOT_NULL(why);
	free(why);
	ebuf_free(&out);
	why = NULL;
	CU_ASSERT_EQUAL(text_append_entry("a = \"unterminated;\n", "approvals", "{ }", &out,
	                                  &why), SMP_ERR_PARSE);
	free(why);
	ebuf_free(&out);
}

int main(void)
{
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("edit_text", NULL, NULL);
	CU_add_test(s, "string literals round-trip", test_quote_round_trip);
	CU_add_test(s, "find an entry by id", test_find_entry);
	CU_add_test(s, "directives are never edited", test_find_refuses_directive);
	CU_add_test(s, "insert keeps every other byte", test_insert_keeps_everything_else);
	CU_add_test(s, "insert before a closing line", test_insert_before_closing_line);
	CU_add_test(s, "insert into a one-line group", test_insert_one_line_group);
	CU_add_test(s, "replace a value in place", test_replace_value);
	CU_add_test(s, "nested insert and replace", test_nested_insert_and_replace);
	CU_add_test(s, "missing groups are built", test_missing_group_is_built);
	CU_add_test(s, "settings without terminators", test_no_terminators);
	CU_add_test(s, "brackets inside strings and comments", test_tricky_strings_do_not_confuse);
	CU_add_test(s, "append after a trailing comment", test_append_after_trailing_comment);
	CU_add_test(s, "append to a one-line list", test_append_one_line_list);
	CU_add_test(s, "append to an empty or missing list", test_append_empty_and_missing);
	CU_add_test(s, "text that does not parse is refused", test_broken_text_is_refused);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
