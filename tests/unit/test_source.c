/*
 * test_source.c - the records' source read once (sources/source.c) and
 * dispatched on (policy_load_source): a settings file that changes
 * between the read that chose its source and the reader's own read never
 * yields SMP_OK without a policy.  The changes are made deterministically
 * between the two calls, then raced from a second thread against
 * smp_policy_load itself.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "world.h"
#include "policy/policy.h"

#include <CUnit/Basic.h>
#include <ftw.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "suites.h"

#define FLAGS (SMP_LOAD_ALLOW_NONROOT | SMP_LOAD_NO_CACHE)

struct site {
	char dir[64];
	char conf[128];       /* dir/etc/smpolicy.conf */
	char files_conf[160]; /* its text for settings.source = "files", to rename over it */
	char ldap_conf[160];  /* the same for "ldap" */
	char copy_dir[96];    /* dir/copy */
};

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	CU_ASSERT_EQUAL_FATAL(fclose(f), 0);
	CU_ASSERT_EQUAL_FATAL(chmod(path, 0640), 0);
}

static void putf(const char *dir, const char *name, const char *text)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	put(path, text);
}

/* The state of the local copy, synced `ago` seconds before now. */
static void site_state(struct site *s, long ago)
{
	char text[1024], when[32];
	time_t t = time(NULL) - ago;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(text, sizeof(text),
	         "version = 1;\ncopy = \"copy-1\";\nsynced = \"%s\";\n"
	         "uri = \"ldap://127.0.0.1:9\";\nbase = \"ou=smpolicy,dc=example,dc=org\";\n"
	         "context_csn = \"\";\n", when);
	putf(s->copy_dir, "state", text);
}

/* etc/ holds a files world (its records.conf beside it) and the two
 * texts of the settings file; copy/copy-1 the directory's copy of the
 * same world, not yet named by a state. */
static void site_make(struct site *s)
{
	const char *tmp = getenv("TMPDIR");
	char path[256], etc[96], records[8192], conf[2048], ldap[1024];

	snprintf(s->dir, sizeof(s->dir), "%s/smpsrcXXXXXX", tmp && strlen(tmp) < 40 ? tmp : "/tmp");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(s->dir));
	chmod(s->dir, 0755);
	snprintf(etc, sizeof(etc), "%s/etc", s->dir);
	CU_ASSERT_EQUAL_FATAL(mkdir(etc, 0755), 0);
	snprintf(s->conf, sizeof(s->conf), "%s/smpolicy.conf", etc);
	snprintf(s->files_conf, sizeof(s->files_conf), "%s/files.text", etc);
	snprintf(s->ldap_conf, sizeof(s->ldap_conf), "%s/ldap.text", etc);
	snprintf(s->copy_dir, sizeof(s->copy_dir), "%s/copy", s->dir);
	CU_ASSERT_EQUAL_FATAL(mkdir(s->copy_dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/copy-1", s->copy_dir);
	CU_ASSERT_EQUAL_FATAL(mkdir(path, 0755), 0);
	snprintf(records, sizeof(records), "%sapprovals = (\n" APPROVAL_W1_FB "\n);\n",
	         WORLD_PEOPLE);
	snprintf(conf, sizeof(conf), WORLD_CONF_FMT, "");
	putf(path, "smpolicy.conf", conf);
	putf(path, "records.conf", records);
	putf(etc, "records.conf", records);
	put(s->files_conf, conf);
	snprintf(ldap, sizeof(ldap),
	         "version = 1;\n"
	         "settings = { source = \"ldap\"; };\n"
	         "ldap = {\n"
	         "  uri = \"ldap://127.0.0.1:9\";\n"
	         "  base = \"ou=smpolicy,dc=example,dc=org\";\n"
	         "  copy_dir = \"%s\";\n"
	         "};\n", s->copy_dir);
	put(s->ldap_conf, ldap);
}

/* The settings file becomes `text` (files_conf or ldap_conf) at once. */
static void site_switch(struct site *s, const char *text)
{
	char tmp[200];

	snprintf(tmp, sizeof(tmp), "%s.new", s->conf);
	CU_ASSERT_EQUAL_FATAL(link(text, tmp), 0);
	CU_ASSERT_EQUAL_FATAL(rename(tmp, s->conf), 0);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static bool diags_say(const smp_diags *d, const char *needle)
{
	for (size_t i = 0; i < smp_diags_count(d); i++)
		if (strstr(smp_diags_get(d, i)->message, needle) != NULL)
			return true;
	return false;
}

/* Read as files, then the file names the directory before the files
 * reader runs.  The reader takes the settings as source_read() parsed
 * them, so the world loads as the file was when read, whole.  A reader
 * without that parse (a source whose parse was taken) reads the file
 * again: it then names the directory, nothing is loaded, and the error
 * says why. */
static void test_files_then_ldap(void)
{
	struct site s;
	struct smp_source src;
	smp_policy *p = NULL;
	smp_diags *d = diags_new();
	smp_status rc;

	site_make(&s);
	site_state(&s, 10);
	site_switch(&s, s.files_conf);
	CU_ASSERT_EQUAL_FATAL(source_read(s.conf, FLAGS, &src, d), SMP_OK);
	CU_ASSERT_EQUAL(src.kind, SOURCE_FILES);
	CU_ASSERT_STRING_EQUAL(source_name(src.kind), "files");
	CU_ASSERT_PTR_NOT_NULL(src.settings);
	site_switch(&s, s.ldap_conf);
	smp_diags_free(d);
	d = NULL;
	rc = policy_load_source(&src, FLAGS, SMP_CACHE_OFF, &p, &d);
	CU_ASSERT_EQUAL(rc, SMP_OK);
	CU_ASSERT_PTR_NOT_NULL(p);
	CU_ASSERT_PTR_NULL(src.settings);   /* taken */
	smp_diags_free(d);
	smp_policy_free(p);
	p = NULL;
	d = NULL;
	rc = policy_load_source(&src, FLAGS, SMP_CACHE_OFF, &p, &d);
	CU_ASSERT_EQUAL(rc, SMP_ERR_IO);
	CU_ASSERT_PTR_NULL(p);
	CU_ASSERT_TRUE(diags_say(d, "changed while it was read"));
	smp_diags_free(d);
	smp_policy_free(p);
	source_free(&src);
	/* unchanged, the same source loads */
	d = diags_new();
	site_switch(&s, s.files_conf);
	CU_ASSERT_EQUAL_FATAL(source_read(s.conf, FLAGS, &src, d), SMP_OK);
	smp_diags_free(d);
	d = NULL;
	CU_ASSERT_EQUAL(policy_load_source(&src, FLAGS, SMP_CACHE_OFF, &p, &d), SMP_OK);
	CU_ASSERT_PTR_NOT_NULL(p);
	smp_policy_free(p);
	smp_diags_free(d);
	source_free(&src);
	nftw(s.dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Read as the directory, then the file names files (the old double read
 * then loaded nothing and said SMP_OK): the directory's reader does not
 * read the settings file again, so the copy is what is loaded, or, never
 * synced, nothing with SMP_ERR_OFFLINE. */
static void test_ldap_then_files(void)
{
	struct site s;
	struct smp_source src;
	smp_policy *p = NULL;
	smp_diags *d = diags_new();
	char want[200];

	site_make(&s);
	site_switch(&s, s.ldap_conf);
	CU_ASSERT_EQUAL_FATAL(source_read(s.conf, FLAGS, &src, d), SMP_OK);
	CU_ASSERT_EQUAL(src.kind, SOURCE_LDAP);
	site_switch(&s, s.files_conf);
	smp_diags_free(d);
	d = NULL;
	CU_ASSERT_EQUAL(policy_load_source(&src, FLAGS, SMP_CACHE_OFF, &p, &d), SMP_ERR_OFFLINE);
	CU_ASSERT_PTR_NULL(p);
	CU_ASSERT_TRUE(diags_say(d, "never synced"));
	smp_diags_free(d);
	d = NULL;
	site_state(&s, 10);
	CU_ASSERT_EQUAL(policy_load_source(&src, FLAGS, SMP_CACHE_OFF, &p, &d), SMP_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	snprintf(want, sizeof(want), "%s/copy-1/smpolicy.conf", s.copy_dir);
	CU_ASSERT_STRING_EQUAL(smp_policy_config_path(p), want);
	smp_policy_free(p);
	smp_diags_free(d);
	source_free(&src);
	nftw(s.dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* An unknown kind is refused, never read as files. */
static void test_unknown_kind(void)
{
	struct smp_source src = { .kind = SOURCE__COUNT, .config_path = (char *)"/nonexistent" };
	smp_policy *p = NULL;
	smp_diags *d = NULL;

	CU_ASSERT_EQUAL(policy_load_source(&src, FLAGS, SMP_CACHE_OFF, &p, &d), SMP_ERR_ARG);
	CU_ASSERT_PTR_NULL(p);
	CU_ASSERT_STRING_EQUAL(source_name(SOURCE__COUNT), "?");
	smp_diags_free(d);
}

struct flipper {
	struct site *s;
	atomic_bool stop;
	unsigned long flips;
};

static void *flip(void *arg)
{
	struct flipper *f = arg;
	char tmp[200];

	snprintf(tmp, sizeof(tmp), "%s.flip", f->s->conf);
	while (!atomic_load(&f->stop)) {
		const char *text = f->flips % 2 ? f->s->files_conf : f->s->ldap_conf;

		if (link(text, tmp) != 0 || rename(tmp, f->s->conf) != 0)
			break;
		f->flips++;
		/* pauses of 0 to 0.4 ms: some loads fit between two flips,
		 * others straddle one */
		usleep((useconds_t)((f->flips * 7919) % 400));
	}
	return NULL;
}

/* smp_policy_load against a settings file flipped between files and the
 * directory (never synced) as fast as a thread can: every answer is a
 * policy with SMP_OK or no policy with an error, and both kinds occur. */
static void test_race(void)
{
	struct site s;
	struct flipper f = { .s = NULL };
	pthread_t th;
	unsigned ok = 0, offline = 0, other = 0, bad = 0;
	struct timespec t0, t;

	site_make(&s);
	site_switch(&s, s.files_conf);
	f.s = &s;
	atomic_init(&f.stop, false);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, flip, &f), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned i = 0;; i++) {
		smp_policy *p = NULL;
		smp_diags *d = NULL;
		smp_status rc = smp_policy_load(s.conf, FLAGS, &p, &d);

		if ((rc == SMP_OK) != (p != NULL))
			bad++;
		else if (rc == SMP_OK)
			ok++;
		else if (rc == SMP_ERR_OFFLINE)
			offline++;
		else
			other++;
		smp_policy_free(p);
		smp_diags_free(d);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (i >= 2000 && (ok > 0 && offline > 0 ? true : t.tv_sec - t0.tv_sec >= 20))
			break;
	}
	atomic_store(&f.stop, true);
	pthread_join(th, NULL);
	printf("\n  %lu flips: %u loaded, %u offline, %u other errors, %u SMP_OK without a policy\n",
	       f.flips, ok, offline, other, bad);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_TRUE(ok > 0);
	CU_ASSERT_TRUE(offline > 0);
	nftw(s.dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("source", NULL, NULL);
	CU_add_test(s, "files, then ldap before the records are read: the settings as read, "
	            "or refused when read again", test_files_then_ldap);
	CU_add_test(s, "ldap, then files: the copy, not the files", test_ldap_then_files);
	CU_add_test(s, "an unknown kind is refused", test_unknown_kind);
	CU_add_test(s, "settings flipped during loads: never OK without a policy", test_race);
	return run_suites();
}
