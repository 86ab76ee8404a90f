/*
 * test_directory_copy.c - a settings file that names the directory
 * (settings.source = "ldap", smpolicy-ldap(5)): its faults at FILE:LINE, the local
 * copy's state, max_offline failing closed, and a fresh copy deciding as
 * the files it holds.  No directory is needed: the copy is written here as
 * `smpolicy sync` writes it (tests/ldap covers the sync itself).
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "world.h"
#include "smpolicy_testing.h"

#include <CUnit/Basic.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "suites.h"

struct site {
	char dir[64];
	char conf[128];      /* dir/etc/smpolicy.conf */
	char copy_dir[96];   /* dir/copy */
};

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	CU_ASSERT_EQUAL_FATAL(fclose(f), 0);
	/* as a sync writes the copy and its state: private (0640) */
	CU_ASSERT_EQUAL_FATAL(chmod(path, 0640), 0);
}

static void putf(const char *dir, const char *name, const char *text)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	put(path, text);
}

/* The ldap settings file with extra text pasted into its ldap group. */
static void site_conf(struct site *s, const char *settings, const char *ldap_extra,
                      const char *tail)
{
	char text[2048];

	snprintf(text, sizeof(text),
	         "version = 1;\n"
	         "settings = { source = \"ldap\"; %s };\n"
	         "ldap = {\n"
	         "  uri = \"ldap://127.0.0.1:9\";\n"
	         "  base = \"ou=smpolicy,dc=example,dc=org\";\n"
	         "  copy_dir = \"%s\";\n"
	         "  %s\n"
	         "};\n%s",
	         settings, s->copy_dir, ldap_extra, tail);
	put(s->conf, text);
}

/* The state file, synced `ago` seconds before now. */
static void site_state(struct site *s, const char *copy, long ago)
{
	char text[1024], when[32];
	time_t t = time(NULL) - ago;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(text, sizeof(text),
	         "version = 1;\ncopy = \"%s\";\nsynced = \"%s\";\n"
	         "uri = \"ldap://127.0.0.1:9\";\nbase = \"ou=smpolicy,dc=example,dc=org\";\n"
	         "context_csn = \"\";\n", copy, when);
	putf(s->copy_dir, "state", text);
}

/* A site with a copy-1 holding the unit tests' world. */
static void site_make(struct site *s)
{
	const char *tmp = getenv("TMPDIR");
	char path[256], records[8192], conf[2048];

	snprintf(s->dir, sizeof(s->dir), "%s/smpdirXXXXXX", tmp && strlen(tmp) < 40 ? tmp : "/tmp");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(s->dir));
	chmod(s->dir, 0755);
	snprintf(s->conf, sizeof(s->conf), "%s/etc", s->dir);
	CU_ASSERT_EQUAL_FATAL(mkdir(s->conf, 0755), 0);
	strcat(s->conf, "/smpolicy.conf");
	snprintf(s->copy_dir, sizeof(s->copy_dir), "%s/copy", s->dir);
	CU_ASSERT_EQUAL_FATAL(mkdir(s->copy_dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/copy-1", s->copy_dir);
	CU_ASSERT_EQUAL_FATAL(mkdir(path, 0755), 0);
	snprintf(records, sizeof(records), "%sapprovals = (\n" APPROVAL_W1_FB "\n);\n",
	         WORLD_PEOPLE);
	snprintf(conf, sizeof(conf), WORLD_CONF_FMT, "");
	putf(path, "smpolicy.conf", conf);
	putf(path, "records.conf", records);
	site_conf(s, "", "", "");
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void site_remove(struct site *s)
{
	nftw(s->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Load; expect want, and (needle not NULL) a diagnostic of file (by its
 * last component; NULL: any) and line containing needle. */
static smp_policy *expect(struct site *s, smp_status want, const char *file, unsigned line,
                          const char *needle)
{
	smp_policy *p = NULL;
	smp_diags *d = NULL;
	smp_status st = smp_policy_load(s->conf, SMP_LOAD_ALLOW_NONROOT, &p, &d);
	bool found = needle == NULL;

	CU_ASSERT_EQUAL(st, want);
	for (size_t i = 0; i < smp_diags_count(d); i++) {
		const struct smp_diag *g = smp_diags_get(d, i);
		const char *base = g->file ? strrchr(g->file, '/') : NULL;

		if (needle != NULL && strstr(g->message, needle) != NULL && g->line == line &&
		    (file == NULL || (base != NULL && strcmp(base + 1, file) == 0)))
			found = true;
	}
	if (!found || st != want) {
		fprintf(stderr, "\nwanted %s (%s:%u: ...%s...); got %s:\n", smp_status_string(want),
		        file ? file : "*", line, needle ? needle : "", smp_status_string(st));
		for (size_t i = 0; i < smp_diags_count(d); i++)
			fprintf(stderr, "  %s:%u: %s\n", smp_diags_get(d, i)->file,
			        smp_diags_get(d, i)->line, smp_diags_get(d, i)->message);
	}
	CU_ASSERT_TRUE(found);
	smp_diags_free(d);
	if (want != SMP_OK)
		CU_ASSERT_PTR_NULL(p);
	return p;
}

static void test_fresh_copy_decides(void)
{
	struct site s;
	smp_policy *p;
	smp_decision *d;
	char want[160];

	site_make(&s);
	site_state(&s, "copy-1", 10);
	p = expect(&s, SMP_OK, NULL, 0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	snprintf(want, sizeof(want), "%s/copy-1/smpolicy.conf", s.copy_dir);
	CU_ASSERT_STRING_EQUAL(smp_policy_config_path(p), want);
	d = decide(p, "w1", "facebook", "ws1", NULL, SMP_ACTION_VIEW, "2026-06-01T12:00Z");
	CU_ASSERT_TRUE(smp_decision_allowed(d));
	smp_decision_free(d);
	d = decide(p, "w2", "facebook", "ws1", NULL, SMP_ACTION_VIEW, "2026-06-01T12:00Z");
	CU_ASSERT_FALSE(smp_decision_allowed(d));
	smp_decision_free(d);
	smp_policy_free(p);
	site_remove(&s);
}

static void test_never_synced(void)
{
	struct site s;

	site_make(&s);
	expect(&s, SMP_ERR_OFFLINE, "smpolicy.conf", 0, "were never synced");
	site_remove(&s);
}

static void test_past_max_offline(void)
{
	struct site s;

	site_make(&s);
	site_conf(&s, "", "max_offline = 3600;", "");
	site_state(&s, "copy-1", 3599);
	smp_policy_free(expect(&s, SMP_OK, NULL, 0, NULL));
	site_state(&s, "copy-1", 3700);
	expect(&s, SMP_ERR_OFFLINE, "smpolicy.conf", 0, "more than ldap.max_offline (3600 s)");
	/* the default is a week */
	site_conf(&s, "", "", "");
	smp_policy_free(expect(&s, SMP_OK, NULL, 0, NULL));
	site_state(&s, "copy-1", 8 * 86400);
	expect(&s, SMP_ERR_OFFLINE, "smpolicy.conf", 0, "ldap://127.0.0.1:9");
	site_remove(&s);
}

static void test_synced_in_future(void)
{
	struct site s;

	site_make(&s);
	site_state(&s, "copy-1", -3600);   /* a clock set back must not keep it fresh */
	expect(&s, SMP_ERR_OFFLINE, "smpolicy.conf", 0, "later than this host's clock");
	site_remove(&s);
}

static void test_bad_state(void)
{
	struct site s;

	site_make(&s);
	site_state(&s, "../etc", 10);
	expect(&s, SMP_ERR_PARSE, "state", 2, "copy must name a folder copy-N");
	site_state(&s, "copy-2", 10);     /* names a copy that is not there */
	expect(&s, SMP_ERR_IO, "smpolicy.conf", 0, "cannot open");
	putf(s.copy_dir, "state", "version = 1;\ncopy = \"copy-1\";\nsynced = \"2026-01-01\";\n"
	     "uri = \"\";\nbase = \"\";\ncontext_csn = \"\";\nextra = 1;\n");
	expect(&s, SMP_ERR_PARSE, "state", 7, "unknown key 'extra'");
	putf(s.copy_dir, "state", "version = 1;\ncopy = \"copy-1\";\nsynced = \"2026-01-01\";\n"
	     "uri = \"\";\nbase = \"\";\ncontext_csn = \"\";\n");
	expect(&s, SMP_ERR_PARSE, "state", 3, "synced must be a UTC time");
	chmod(s.copy_dir, 0777);
	expect(&s, SMP_ERR_INSECURE, NULL, 0, NULL);
	chmod(s.copy_dir, 0755);
	site_remove(&s);
}

/* A copy or a state others can read is refused at load, naming it: the
 * directory shows its records to its readers only, and so must the copy. */
static void test_private_copy(void)
{
	struct site s;
	char path[512];

	site_make(&s);
	site_state(&s, "copy-1", 10);
	smp_policy_free(expect(&s, SMP_OK, NULL, 0, NULL));
	snprintf(path, sizeof(path), "%s/copy-1/records.conf", s.copy_dir);
	chmod(path, 0644);
	expect(&s, SMP_ERR_INSECURE, "records.conf", 0, "readable by others (mode 0644)");
	chmod(path, 0640);
	snprintf(path, sizeof(path), "%s/state", s.copy_dir);
	chmod(path, 0604);
	expect(&s, SMP_ERR_INSECURE, "state", 0, "readable by others (mode 0604)");
	chmod(path, 0640);
	smp_policy_free(expect(&s, SMP_OK, NULL, 0, NULL));
	/* the settings file itself is no secret: 0644 as ever */
	chmod(s.conf, 0644);
	smp_policy_free(expect(&s, SMP_OK, NULL, 0, NULL));
	site_remove(&s);
}

static void test_settings_faults(void)
{
	struct site s;

	site_make(&s);
	site_state(&s, "copy-1", 10);
	site_conf(&s, "warn_days = 3;", "", "");
	expect(&s, SMP_ERR_PARSE, "smpolicy.conf", 2, "warn_days comes from the directory");
	site_conf(&s, "records = [ \"r.conf\" ];", "", "");
	expect(&s, SMP_ERR_PARSE, "smpolicy.conf", 2, "name no records files");
	site_conf(&s, "", "", "platforms = ();\n");
	expect(&s, SMP_ERR_PARSE, "smpolicy.conf", 9, "platforms come from the directory");
	site_conf(&s, "", "timout = 5;", "");
	expect(&s, SMP_ERR_PARSE, "smpolicy.conf", 7, "unknown key 'timout'");
	site_conf(&s, "", "max_offline = 10;", "");
	expect(&s, SMP_ERR_PARSE, "smpolicy.conf", 7, "max_offline");
	site_conf(&s, "", "bind_dn = \"cn=ws,dc=example,dc=org\";", "");
	expect(&s, SMP_ERR_PARSE, "smpolicy.conf", 7, "bind_dn and bind_password_file go together");
	put(s.conf, "version = 1;\nsettings = { source = \"ldap\"; };\n"
	    "ldap = { uri = \"http://x\"; base = \"ou=smpolicy\"; copy_dir = \"/nonexistent\"; };\n");
	expect(&s, SMP_ERR_PARSE, "smpolicy.conf", 3, "uri must start with ldap://");
	site_remove(&s);
}

/* ldap.uri and ldap.write_uri name one server each: libldap reads a list
 * (blanks or commas between) and fails over along it, perhaps to clear
 * text with the bind password. */
static void test_uri_one_server(void)
{
	static const char *const refused[] = {
		"ldaps://a.example ldap://b.example", "ldaps://a.example,ldap://b.example",
		"ldaps://a.example\\tldaps://b.example", "ldaps://a.example ldaps://b.example",
		"ldaps://a.example:636ldap://b.example", "ldaps://a.example/ldap://b.example",
		"ldaps://a.example/ou=x??sub", "ldap://a.example/?\?\?\?!StartTLS",
		"ldaps://a.example ", " ldaps://a.example", "LDAP://a.example", "ldaps:/a.example",
		"ldaps://a.example\\n", "ldaps://a.example;x", "ldaps://a.example//",
		"ldaps://user@a.example", NULL,
	};
	static const char *const accepted[] = {
		"ldaps://ldap.dcf.example.org", "ldaps://ldap.dcf.example.org:636/",
		"ldap://127.0.0.1:389", "ldap://[::1]:389", "ldapi://%2Frun%2Fslapd%2Fldapi",
		"ldapi:///", NULL,
	};
	struct site s;
	char text[1024];

	site_make(&s);
	site_state(&s, "copy-1", 10);
	for (size_t i = 0; refused[i] != NULL; i++) {
		snprintf(text, sizeof(text), "version = 1;\nsettings = { source = \"ldap\"; };\n"
		         "ldap = {\n  uri = \"%s\";\n  base = \"ou=smpolicy,dc=example,dc=org\";\n"
		         "  copy_dir = \"%s\";\n};\n", refused[i], s.copy_dir);
		put(s.conf, text);
		expect(&s, SMP_ERR_PARSE, "smpolicy.conf", 4,
		       strncmp(refused[i], "ldap", 4) == 0 && strstr(refused[i], "://") != NULL
		           ? "uri must name exactly one server" : "uri must start with");
		/* the same for write_uri, uri itself being one server */
		snprintf(text, sizeof(text), "version = 1;\nsettings = { source = \"ldap\"; };\n"
		         "ldap = {\n  uri = \"ldaps://r.example\";\n"
		         "  write_uri = \"%s\";\n  base = \"ou=smpolicy,dc=example,dc=org\";\n"
		         "  copy_dir = \"%s\";\n};\n", refused[i], s.copy_dir);
		put(s.conf, text);
		expect(&s, SMP_ERR_PARSE, "smpolicy.conf", 5, "write_uri must");
	}
	for (size_t i = 0; accepted[i] != NULL; i++) {
		snprintf(text, sizeof(text), "version = 1;\nsettings = { source = \"ldap\"; };\n"
		         "ldap = {\n  uri = \"%s\";\n  write_uri = \"%s\";\n"
		         "  base = \"ou=smpolicy,dc=example,dc=org\";\n  copy_dir = \"%s\";\n};\n",
		         accepted[i], accepted[i], s.copy_dir);
		put(s.conf, text);
		smp_policy_free(expect(&s, SMP_OK, NULL, 0, NULL));
	}
	site_remove(&s);
}

static void test_files_source(void)
{
	struct world w;
	smp_policy *p = NULL;
	smp_diags *d = NULL;
	char conf[4096];

	/* an ldap group beside files would be silently ignored */
	snprintf(conf, sizeof(conf), WORLD_CONF_FMT "ldap = { uri = \"ldap://x\"; };\n", "");
	CU_ASSERT_TRUE_FATAL(world_write_raw(&w, conf, WORLD_PEOPLE));
	CU_ASSERT_EQUAL(smp_policy_load(w.conf, SMP_LOAD_ALLOW_NONROOT, &p, &d), SMP_ERR_PARSE);
	CU_ASSERT_PTR_NULL(p);
	CU_ASSERT_TRUE(smp_diags_count(d) > 0 &&
	               strstr(smp_diags_get(d, 0)->message, "read only with settings.source") !=
	                   NULL);
	smp_diags_free(d);
	world_remove(&w);
	d = NULL;
	snprintf(conf, sizeof(conf), WORLD_CONF_FMT, "source = \"nfs\";");
	CU_ASSERT_TRUE_FATAL(world_write_raw(&w, conf, WORLD_PEOPLE));
	CU_ASSERT_EQUAL(smp_policy_load(w.conf, SMP_LOAD_ALLOW_NONROOT, &p, &d), SMP_ERR_PARSE);
	CU_ASSERT_TRUE(smp_diags_count(d) > 0 &&
	               strstr(smp_diags_get(d, 0)->message, "source must be") != NULL);
	smp_diags_free(d);
	world_remove(&w);
	/* "files" said outright is the default */
	snprintf(conf, sizeof(conf), WORLD_CONF_FMT, "source = \"files\";");
	CU_ASSERT_TRUE_FATAL(world_write_raw(&w, conf, WORLD_PEOPLE));
	p = world_load(&w);
	CU_ASSERT_PTR_NOT_NULL(p);
	smp_policy_free(p);
	world_remove(&w);
}

static void test_edits_refused(void)
{
	struct site s;
	smp_diags *d = NULL;
	char path[256];
	struct stat before, after;

	site_make(&s);
	site_state(&s, "copy-1", 10);
	snprintf(path, sizeof(path), "%s/copy-1/records.conf", s.copy_dir);
	CU_ASSERT_EQUAL_FATAL(stat(path, &before), 0);
	CU_ASSERT_EQUAL(smp_edit_revoke(s.conf, SMP_LOAD_ALLOW_NONROOT, "LT-1", "dir-it", "x", NULL,
	                                &d), SMP_ERR_ARG);
	CU_ASSERT_TRUE(smp_diags_count(d) > 0 &&
	               strstr(smp_diags_get(d, 0)->message, "changed in the directory") != NULL);
	CU_ASSERT_EQUAL_FATAL(stat(path, &after), 0);
	CU_ASSERT_EQUAL(before.st_ino, after.st_ino);
	CU_ASSERT_EQUAL(before.st_size, after.st_size);
	smp_diags_free(d);
	site_remove(&s);
}

int main(void)
{
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("directory_copy", NULL, NULL);
	CU_add_test(s, "fresh copy decides as its files", test_fresh_copy_decides);
	CU_add_test(s, "never synced: offline", test_never_synced);
	CU_add_test(s, "past max_offline: offline", test_past_max_offline);
	CU_add_test(s, "synced in the future: offline", test_synced_in_future);
	CU_add_test(s, "state faults at FILE:LINE", test_bad_state);
	CU_add_test(s, "a copy others can read is refused", test_private_copy);
	CU_add_test(s, "ldap settings faults at FILE:LINE", test_settings_faults);
	CU_add_test(s, "ldap.uri and write_uri: one server each", test_uri_one_server);
	CU_add_test(s, "files source: ldap group and source checked", test_files_source);
	CU_add_test(s, "record commands refused on the copy", test_edits_refused);
	return run_suites();
}
