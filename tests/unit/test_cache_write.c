/*
 * test_cache_write.c - writing the compiled cache: its mode, a cache
 * that cannot be written, the writers' lock, killed writers' temporary
 * files, SMP_LOAD_NO_CACHE and the interface's edges.
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

/* ---- e. writing ------------------------------------------------------------ */

static mode_t mode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_mode & 07777 : (mode_t)-1;
}

static void test_write_mode(void)
{
	static struct gen g;
	struct place pl;
	char lock[300];

	hand_world(&pl, &g);
	snprintf(lock, sizeof(lock), "%s.lock", pl.cache);
	compile(&pl, &g);
	CU_ASSERT_EQUAL(mode_of(pl.cache), 0644);
	CU_ASSERT_EQUAL(mode_of(lock), 0600);
	/* the cache tells no one more than the files do */
	CU_ASSERT_FATAL(chmod(pl.rec[0], 0600) == 0 && chmod(pl.rec[1], 0600) == 0);
	compile(&pl, &g);
	CU_ASSERT_EQUAL(mode_of(pl.cache), 0600);
	CU_ASSERT_FATAL(chmod(pl.conf, 0640) == 0 && chmod(pl.rec[0], 0444) == 0 &&
	                chmod(pl.rec[1], 0644) == 0);
	compile(&pl, &g);
	CU_ASSERT_EQUAL(mode_of(pl.cache), 0440);
	CU_ASSERT_FATAL(chmod(pl.rec[1], 0400) == 0);
	compile(&pl, &g);
	CU_ASSERT_EQUAL(mode_of(pl.cache), 0400);
	/* and it follows them: a cache with other permissions than the files
	 * would give it now is stale, whichever way they changed */
	CU_ASSERT_FATAL(chmod(pl.conf, 0644) == 0 && chmod(pl.rec[0], 0644) == 0 &&
	                chmod(pl.rec[1], 0644) == 0);
	compile(&pl, &g);
	CU_ASSERT_FATAL(chmod(pl.rec[1], 0640) == 0);
	expect_state(&pl, &g, SMP_CACHE_STALE, "records made 0640 after compiling");
	compile(&pl, &g);
	CU_ASSERT_EQUAL(mode_of(pl.cache), 0640);
	CU_ASSERT_FATAL(chmod(pl.rec[1], 0644) == 0);
	expect_state(&pl, &g, SMP_CACHE_STALE, "records made 0644 again");
	/* the sources' group when they share one, else no group access */
	if (geteuid() == 0) {
		struct stat st;

		CU_ASSERT_FATAL(chown(pl.conf, 0, NOBODY) == 0 && chown(pl.rec[0], 0, NOBODY) == 0 &&
		                chown(pl.rec[1], 0, NOBODY) == 0);
		compile(&pl, &g);
		CU_ASSERT(stat(pl.cache, &st) == 0 && st.st_gid == NOBODY && (st.st_mode & 0777) == 0644);
		CU_ASSERT_FATAL(chown(pl.rec[1], 0, 0) == 0);
		expect_state(&pl, &g, SMP_CACHE_STALE, "one file in another group");
		compile(&pl, &g);
		CU_ASSERT_EQUAL(mode_of(pl.cache), 0604);
	} else {
		printf("\n  (not root: the cache's group is not tried)\n");
	}
	rm_tree(pl.dir);
}

/* No temporary file of a writer is left in dir. */
static size_t temps_in(const char *dir)
{
	DIR *dp = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	while (dp != NULL && (e = readdir(dp)) != NULL)
		n += strncmp(e->d_name, ".smpolicy.conf.cache.tmp-", 25) == 0;
	if (dp != NULL)
		closedir(dp);
	return n;
}

/* Writing fails with status rc and an error diagnostic. */
static void write_fails(const struct place *pl, smp_status rc, const char *what)
{
	smp_policy *p = parse(pl->conf);
	smp_diags *d = NULL;
	smp_status got;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	got = smp_policy_cache_write(p, SMP_EDIT_NOWAIT, &d);
	printf("\n  %-36s %s: %s", what, smp_status_string(got),
	       smp_diags_count(d) ? smp_diags_get(d, 0)->message : "(no diagnostic)");
	CU_ASSERT_EQUAL(got, rc);
	CU_ASSERT(smp_diags_errors(d) >= 1);
	CU_ASSERT(smp_diags_count(d) >= 1 && same_str(smp_diags_get(d, 0)->file, pl->cache));
	smp_diags_free(d);
	smp_policy_free(p);
}

static void test_write_fails(void)
{
	static struct gen g;
	struct place pl;
	char lock[300];

	hand_world(&pl, &g);
	snprintf(lock, sizeof(lock), "%s.lock", pl.cache);
	/* a folder where the cache should be: the rename fails */
	CU_ASSERT_FATAL(mkdir(pl.cache, 0700) == 0);
	write_fails(&pl, SMP_ERR_IO, "a folder in the cache's place");
	CU_ASSERT_EQUAL(temps_in(pl.dir), 0);
	CU_ASSERT_FATAL(rmdir(pl.cache) == 0);
	/* a folder where the lock file should be */
	CU_ASSERT_FATAL(unlink(lock) == 0 && mkdir(lock, 0700) == 0);
	write_fails(&pl, SMP_ERR_IO, "a folder in the lock file's place");
	CU_ASSERT_FATAL(rmdir(lock) == 0);
	expect_state(&pl, &g, SMP_CACHE_ABSENT, "nothing written");
	/* a folder the writer may not write in */
	if (geteuid() != 0) {
		CU_ASSERT_FATAL(chmod(pl.dir, 0500) == 0);
		write_fails(&pl, SMP_ERR_IO, "a read-only folder");
		CU_ASSERT_FATAL(chmod(pl.dir, 0700) == 0);
	} else {
		printf("\n  (root: a read-only folder does not stop the writer; not tried)");
	}
	printf("\n");
	rm_tree(pl.dir);
}

static void test_write_lock(void)
{
	static struct gen g;
	struct place pl;
	char lock[300];
	int fd;

	hand_world(&pl, &g);
	snprintf(lock, sizeof(lock), "%s.lock", pl.cache);
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	CU_ASSERT_FATAL(fd >= 0 && flock(fd, LOCK_EX) == 0);
	write_fails(&pl, SMP_ERR_LOCK, "the lock held elsewhere");
	CU_ASSERT_EQUAL(access(pl.cache, F_OK), -1);
	CU_ASSERT_EQUAL(temps_in(pl.dir), 0);
	close(fd);   /* released */
	printf("\n");
	compile(&pl, &g);
	rm_tree(pl.dir);
}

static void test_write_leftovers(void)
{
	static struct gen g;
	struct place pl;
	char stale[300], longer[300], other[300];

	hand_world(&pl, &g);
	snprintf(stale, sizeof(stale), "%s/.smpolicy.conf.cache.tmp-Ab3xYz", pl.dir);
	snprintf(longer, sizeof(longer), "%s/.smpolicy.conf.cache.tmp-Ab3xYz7", pl.dir);
	snprintf(other, sizeof(other), "%s/.other.cache.tmp-Ab3xYz", pl.dir);
	CU_ASSERT_FATAL(write_text(stale, "half a cache", 12, 0600));
	CU_ASSERT_FATAL(write_text(longer, "not one of the writer's", 23, 0600));
	CU_ASSERT_FATAL(write_text(other, "nor this", 8, 0600));
	compile(&pl, &g);
	CU_ASSERT_EQUAL(access(stale, F_OK), -1);   /* a killed writer's: removed */
	CU_ASSERT_EQUAL(access(longer, F_OK), 0);   /* not a name mkostemp makes */
	CU_ASSERT_EQUAL(access(other, F_OK), 0);
	CU_ASSERT_EQUAL(temps_in(pl.dir), 1);       /* longer */
	rm_tree(pl.dir);
}

static void test_no_cache_flag(void)
{
	static struct gen g;
	struct place pl;
	smp_diags *d = NULL;
	smp_status rc;
	smp_policy *p;

	hand_world(&pl, &g);
	compile(&pl, &g);
	p = load(pl.conf, LOAD_FLAGS | SMP_LOAD_NO_CACHE, &rc, &d);
	CU_ASSERT_EQUAL(rc, SMP_OK);
	CU_ASSERT_EQUAL(smp_policy_cache_state(p), SMP_CACHE_OFF);
	smp_policy_free(p);
	smp_diags_free(d);
	/* a cache that would be refused with a warning is not even looked at */
	CU_ASSERT_FATAL(chmod(pl.cache, 0666) == 0);
	p = load(pl.conf, LOAD_FLAGS | SMP_LOAD_NO_CACHE, &rc, &d);
	CU_ASSERT_EQUAL(rc, SMP_OK);
	CU_ASSERT_EQUAL(smp_policy_cache_state(p), SMP_CACHE_OFF);
	CU_ASSERT_PTR_NULL(d);
	smp_policy_free(p);
	smp_diags_free(d);
	rm_tree(pl.dir);
}

static void test_api_edges(void)
{
	static struct gen g;
	struct place pl;
	smp_diags *d = (smp_diags *)&d;
	smp_status rc;
	smp_policy *p;
	char cwd[4096], want[300];

	CU_ASSERT_EQUAL(smp_policy_cache_write(NULL, 0, &d), SMP_ERR_ARG);
	CU_ASSERT_PTR_NULL(d);
	CU_ASSERT_EQUAL(smp_policy_cache_write(NULL, SMP_EDIT_NOWAIT, NULL), SMP_ERR_ARG);
	CU_ASSERT_EQUAL(smp_policy_cache_state(NULL), SMP_CACHE_OFF);
	CU_ASSERT_PTR_NULL(smp_policy_cache_path(NULL));
	CU_ASSERT_STRING_EQUAL(smp_cache_state_name(SMP_CACHE_USED), "used");
	CU_ASSERT_STRING_EQUAL(smp_cache_state_name(SMP_CACHE_OFF), "off");
	CU_ASSERT_STRING_EQUAL(smp_cache_state_name(SMP_CACHE_ABSENT), "absent");
	CU_ASSERT_STRING_EQUAL(smp_cache_state_name(SMP_CACHE_STALE), "stale");
	CU_ASSERT_STRING_EQUAL(smp_cache_state_name(SMP_CACHE_REJECTED), "rejected");
	CU_ASSERT_PTR_NULL(smp_cache_state_name((smp_cache_state)(SMP_CACHE_REJECTED + 1)));
	CU_ASSERT_PTR_NULL(smp_cache_state_name((smp_cache_state)-1));

	hand_world(&pl, &g);
	compile(&pl, &g);
	p = parse(pl.conf);
	snprintf(want, sizeof(want), "%s.cache", pl.conf);
	CU_ASSERT(same_str(smp_policy_cache_path(p), want));
	smp_policy_free(p);
	/* a relative path names the same file: the cache compiled from the
	 * absolute one is used */
	CU_ASSERT_FATAL(getcwd(cwd, sizeof(cwd)) != NULL && chdir(pl.dir) == 0);
	p = load("smpolicy.conf", LOAD_FLAGS, &rc, NULL);
	CU_ASSERT_EQUAL(rc, SMP_OK);
	CU_ASSERT_EQUAL(smp_policy_cache_state(p), SMP_CACHE_USED);
	CU_ASSERT(same_str(smp_policy_cache_path(p), want));
	smp_policy_free(p);
	p = load("./smpolicy.conf", LOAD_FLAGS, &rc, NULL);
	CU_ASSERT_EQUAL(smp_policy_cache_state(p), SMP_CACHE_USED);
	smp_policy_free(p);
	CU_ASSERT_FATAL(chdir(cwd) == 0);
	/* other spellings of the same path: one policy, one cache */
	{
		char other[320];

		snprintf(other, sizeof(other), "%s//./smpolicy.conf", pl.dir);
		p = load(other, LOAD_FLAGS, &rc, NULL);
		CU_ASSERT_EQUAL(rc, SMP_OK);
		CU_ASSERT_EQUAL(smp_policy_cache_state(p), SMP_CACHE_USED);
		CU_ASSERT(same_str(smp_policy_config_path(p), pl.conf));
		smp_policy_free(p);
	}
	rm_tree(pl.dir);
}
int main(void)
{
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("compiled cache: writing", NULL, NULL);
	CU_add_test(s, "the mode of the cache", test_write_mode);
	CU_add_test(s, "a cache that cannot be written", test_write_fails);
	CU_add_test(s, "the writers' lock", test_write_lock);
	CU_add_test(s, "temporary files of killed writers", test_write_leftovers);
	CU_add_test(s, "SMP_LOAD_NO_CACHE", test_no_cache_flag);
	CU_add_test(s, "arguments and names", test_api_edges);
	return run_suites();
}
