/*
 * test_replace.c - a file replaced whole (base/replace.c) and its users'
 * wrappers: the compiled files' replace_file() (policy/cache.c) and the
 * local copy's private_replace() (sources/sync_status.c).
 *
 * The test is linked with the library's static archive and
 * -Wl,--wrap=mkostemp64,... (tests/unit/meson.build), so the file
 * operations the library makes come here first (under
 * _FILE_OFFSET_BITS=64 glibc's headers name open, fstat and mkostemp by
 * their 64-bit names).  Each operation of a
 * replacement is made to fail in turn (the N-th call of the run fails,
 * N = 1, 2, ... until a run makes fewer than N calls), and then to crash
 * in turn (a child process ends at the N-th call, before it is made).
 * After a failure the file is the old one, whole, and no temporary file is
 * left (only a failed fsync of the folder leaves the new file, in place);
 * after a crash the file is the old one or the new one, whole, and the
 * next writer's remove_temps() clears what the crash left.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "sources/directory.h"
#include "policy/policy.h"
#include "suites.h"

#include <CUnit/Basic.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_N 200

/* ---- the wrapped calls ------------------------------------------------ */

enum arm { OFF, FAIL, CRASH };
static enum arm armed;
static unsigned long calls, fail_at;

/* Count one call; true if this one must fail.  A crash ends the process
 * here, before the call is made, as a power cut would. */
static bool fail_now(void)
{
	if (armed == OFF || ++calls != fail_at)
		return false;
	if (armed == CRASH)
		_exit(77);
	return true;
}

int __real_mkostemp64(char *tmpl, int flags);
int __real_open64(const char *path, int flags, ...);
int __real_fstat64(int fd, struct stat *st);
int __real_fchmod(int fd, mode_t mode);
int __real_fchown(int fd, uid_t uid, gid_t gid);
ssize_t __real_write(int fd, const void *buf, size_t n);
int __real_fsync(int fd);
int __real_close(int fd);
int __real_rename(const char *from, const char *to);
int __real_vasprintf(char **out, const char *fmt, va_list ap);

int __wrap_mkostemp64(char *tmpl, int flags);
int __wrap_open64(const char *path, int flags, ...);
int __wrap_fstat64(int fd, struct stat *st);
int __wrap_fchmod(int fd, mode_t mode);
int __wrap_fchown(int fd, uid_t uid, gid_t gid);
ssize_t __wrap_write(int fd, const void *buf, size_t n);
int __wrap_fsync(int fd);
int __wrap_close(int fd);
int __wrap_rename(const char *from, const char *to);
int __wrap_asprintf(char **out, const char *fmt, ...);

#define FAIL_WITH(err, value) \
	do { \
		if (fail_now()) { \
			errno = (err); \
			return (value); \
		} \
	} while (0)

int __wrap_mkostemp64(char *t, int flags) { FAIL_WITH(EMFILE, -1); return __real_mkostemp64(t, flags); }
int __wrap_fstat64(int fd, struct stat *st) { FAIL_WITH(EIO, -1); return __real_fstat64(fd, st); }
int __wrap_fchmod(int fd, mode_t m) { FAIL_WITH(EPERM, -1); return __real_fchmod(fd, m); }
int __wrap_fchown(int fd, uid_t u, gid_t g) { FAIL_WITH(EPERM, -1); return __real_fchown(fd, u, g); }
ssize_t __wrap_write(int fd, const void *b, size_t n) { FAIL_WITH(ENOSPC, -1); return __real_write(fd, b, n); }
int __wrap_fsync(int fd) { FAIL_WITH(EIO, -1); return __real_fsync(fd); }
int __wrap_rename(const char *a, const char *b) { FAIL_WITH(EIO, -1); return __real_rename(a, b); }

int __wrap_open64(const char *path, int flags, ...)
{
	mode_t mode = 0;

	if (flags & O_CREAT) {
		va_list ap;

		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	FAIL_WITH(EMFILE, -1);
	return __real_open64(path, flags, mode);
}

/* close() frees the descriptor even when it reports an error. */
int __wrap_close(int fd)
{
	if (fail_now()) {
		__real_close(fd);
		errno = EIO;
		return -1;
	}
	return __real_close(fd);
}

int __wrap_asprintf(char **out, const char *fmt, ...)
{
	va_list ap;
	int r;

	FAIL_WITH(ENOMEM, -1);
	va_start(ap, fmt);
	r = __real_vasprintf(out, fmt, ap);
	va_end(ap);
	return r;
}

/* ---- a folder with one file ------------------------------------------- */

static const char old_text[] = "the old file, whole\n";
static const char new_text[] = "the new file, whole, and longer than the old one\n";

static char dir[64], path[128];

static void setup(void)
{
	FILE *f;

	snprintf(dir, sizeof(dir), "/tmp/smpreplaceXXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/file", dir);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(old_text, f);
	CU_ASSERT_FATAL(fclose(f) == 0);
	CU_ASSERT_FATAL(chmod(path, 0600) == 0);
}

static void teardown(void)
{
	DIR *dp = opendir(dir);
	struct dirent *e;

	while (dp != NULL && (e = readdir(dp)) != NULL) {
		char p[400];

		if (e->d_name[0] == '.' && (e->d_name[1] == '\0' || strcmp(e->d_name, "..") == 0))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		unlink(p);
	}
	if (dp != NULL)
		closedir(dp);
	rmdir(dir);
}

/* The file's bytes: 'o' the old text, 'n' the new, 'x' anything else. */
static char contents(void)
{
	char buf[256];
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return 'x';
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (n == strlen(old_text) && memcmp(buf, old_text, n) == 0)
		return 'o';
	if (n == strlen(new_text) && memcmp(buf, new_text, n) == 0)
		return 'n';
	return 'x';
}

/* Files in dir other than the one replaced. */
static size_t others(void)
{
	DIR *dp = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	while (dp != NULL && (e = readdir(dp)) != NULL)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
		     strcmp(e->d_name, "file") != 0;
	if (dp != NULL)
		closedir(dp);
	return n;
}

static mode_t mode_of(void)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_mode & 07777 : (mode_t)-1;
}

static bool set_mode(int fd, void *mode)
{
	return fchmod(fd, *(mode_t *)mode) == 0;
}

/* ---- the helper ------------------------------------------------------- */

static void test_whole(void)
{
	struct replacement r;
	mode_t mode = 0640;

	setup();
	CU_ASSERT(replace_whole(&r, path, NULL, set_mode, &mode, new_text, strlen(new_text)));
	CU_ASSERT_EQUAL(r.failed, REPLACE_DONE);
	CU_ASSERT(r.installed);
	replace_free(&r);
	CU_ASSERT_EQUAL(contents(), 'n');
	CU_ASSERT_EQUAL(mode_of(), 0640);
	CU_ASSERT_EQUAL(others(), 0);
	teardown();
}

/* Written, not installed: the file is untouched until replace_install(),
 * and replace_free() without it removes the temporary file. */
static void test_two_steps(void)
{
	struct replacement r;
	mode_t mode = 0600;
	char dirname_[64];
	const char *base;

	setup();
	CU_ASSERT_FATAL(replace_write(&r, path, NULL, set_mode, &mode, new_text,
	                              strlen(new_text)));
	CU_ASSERT_EQUAL(contents(), 'o');
	CU_ASSERT_EQUAL(others(), 1);
	split_path(r.tmp, dirname_, sizeof(dirname_), &base);
	CU_ASSERT_STRING_EQUAL(dirname_, dir);
	CU_ASSERT(strncmp(base, ".file.tmp-", 10) == 0 && strlen(base) == 16);
	replace_free(&r);
	CU_ASSERT_EQUAL(contents(), 'o');
	CU_ASSERT_EQUAL(others(), 0);
	teardown();
}

static void test_fail_each_step(void)
{
	bool seen[REPLACE_FOLDER + 1] = { false };
	unsigned long n;

	setup();
	for (n = 1; n < MAX_N; n++) {
		struct replacement r;
		mode_t mode = 0640;
		bool ok;
		char c;

		calls = 0;
		fail_at = n;
		armed = FAIL;
		ok = replace_whole(&r, path, ".file.t-", set_mode, &mode, new_text,
		                   strlen(new_text));
		armed = OFF;
		replace_free(&r);
		c = contents();
		if (calls < n) {   /* nothing failed */
			CU_ASSERT(ok);
			CU_ASSERT_EQUAL(c, 'n');
			break;
		}
		/* a failure that changes nothing (closing the folder) is no failure */
		seen[ok ? REPLACE_DONE : r.failed] = true;
		/* the old file whole, but when only the folder's flush failed */
		CU_ASSERT_EQUAL(c, ok || r.failed == REPLACE_FOLDER ? 'n' : 'o');
		CU_ASSERT_EQUAL(others(), 0);
		if (c == 'n') {   /* put the old file back for the next run */
			FILE *f = fopen(path, "w");

			CU_ASSERT_PTR_NOT_NULL_FATAL(f);
			fputs(old_text, f);
			fclose(f);
		}
	}
	CU_ASSERT(n < MAX_N);
	CU_ASSERT(seen[REPLACE_NOMEM] && seen[REPLACE_CREATE] && seen[REPLACE_WRITE] &&
	          seen[REPLACE_RENAME] && seen[REPLACE_FOLDER]);
	teardown();
}

static void test_crash_each_step(void)
{
	unsigned long n;
	unsigned olds = 0, news = 0;

	setup();
	for (n = 1; n < MAX_N; n++) {
		pid_t pid = fork();
		int status;

		CU_ASSERT_FATAL(pid >= 0);
		if (pid == 0) {
			struct replacement r;
			mode_t mode = 0640;
			bool ok;

			calls = 0;
			fail_at = n;
			armed = CRASH;
			ok = replace_whole(&r, path, ".file.t-", set_mode, &mode, new_text,
			                   strlen(new_text));
			_exit(ok ? 0 : 1);
		}
		CU_ASSERT_FATAL(waitpid(pid, &status, 0) == pid);
		CU_ASSERT_FATAL(WIFEXITED(status));
		if (WEXITSTATUS(status) == 0) {   /* it ran through: no N-th call */
			CU_ASSERT_EQUAL(contents(), 'n');
			break;
		}
		CU_ASSERT_EQUAL(WEXITSTATUS(status), 77);
		switch (contents()) {
		case 'o': olds++; break;
		case 'n': news++; break;
		default: CU_FAIL("a crash left a part of a file"); break;
		}
		/* the next writer, under the lock, clears the crash's leftovers */
		remove_temps(dir, ".file.t-");
		CU_ASSERT_EQUAL(others(), 0);
		if (contents() == 'n') {
			FILE *f = fopen(path, "w");

			CU_ASSERT_PTR_NOT_NULL_FATAL(f);
			fputs(old_text, f);
			fclose(f);
		}
	}
	CU_ASSERT(n < MAX_N);
	CU_ASSERT(olds > 0 && news > 0);   /* crashes before and after the rename */
	teardown();
}

/* ---- the users' wrappers ---------------------------------------------- */

/* replace_file() of the compiled files: each failure an error naming it
 * (a folder that cannot be flushed only a warning), the old file whole. */
static void test_compiled_files(void)
{
	unsigned long n;

	setup();
	for (n = 1; n < MAX_N; n++) {
		struct perm pm = { 0640, getegid() };
		smp_diags *d = diags_new();
		smp_status rc;

		CU_ASSERT_PTR_NOT_NULL_FATAL(d);
		calls = 0;
		fail_at = n;
		armed = FAIL;
		rc = replace_file(path, new_text, strlen(new_text), &pm, d);
		armed = OFF;
		CU_ASSERT_EQUAL(others(), 0);
		if (calls < n) {   /* nothing failed */
			CU_ASSERT_EQUAL(rc, SMP_OK);
			CU_ASSERT_EQUAL(smp_diags_count(d), 0);
			CU_ASSERT_EQUAL(contents(), 'n');
			CU_ASSERT_EQUAL(mode_of(), 0640);
			smp_diags_free(d);
			break;
		}
		if (rc == SMP_OK) {   /* the folder's flush, at most: a warning, the new file */
			CU_ASSERT_EQUAL(smp_diags_errors(d), 0);
			CU_ASSERT_EQUAL(contents(), 'n');
		} else {
			CU_ASSERT(rc == SMP_ERR_IO || rc == SMP_ERR_NOMEM);
			CU_ASSERT(rc == SMP_ERR_NOMEM || smp_diags_errors(d) == 1);
			CU_ASSERT_EQUAL(contents(), 'o');
		}
		smp_diags_free(d);
		if (contents() == 'n') {
			FILE *f = fopen(path, "w");

			CU_ASSERT_PTR_NOT_NULL_FATAL(f);
			fputs(old_text, f);
			fclose(f);
		}
	}
	CU_ASSERT(n < MAX_N);
	teardown();
}

/* private_replace() of the local copy: the private mode, and every
 * failure an error, the folder's flush too. */
static void test_private_files(void)
{
	unsigned long n;
	bool folder_failed = false;

	setup();
	for (n = 1; n < MAX_N; n++) {
		char *p = NULL;
		smp_status rc;

		calls = 0;
		fail_at = n;
		armed = FAIL;
		rc = private_replace(dir, "file", ".file.", new_text, strlen(new_text), &p);
		armed = OFF;
		CU_ASSERT_EQUAL(others(), 0);
		if (p != NULL)
			CU_ASSERT_STRING_EQUAL(p, path);
		free(p);
		if (calls < n) {   /* nothing failed */
			CU_ASSERT_EQUAL(rc, SMP_OK);
			CU_ASSERT_EQUAL(contents(), 'n');
			CU_ASSERT_EQUAL(mode_of(), SMP_PRIVATE_FILE_MODE);
			break;
		}
		if (rc == SMP_OK)   /* a failure that changes nothing */
			CU_ASSERT_EQUAL(contents(), 'n');
		if (rc != SMP_OK)
			CU_ASSERT(rc == SMP_ERR_IO || rc == SMP_ERR_NOMEM);
		if (contents() == 'n') {
			FILE *f = fopen(path, "w");

			/* an error with the new file in place: only the folder's
			 * flush failed, and the sync is told so */
			folder_failed |= rc != SMP_OK;
			CU_ASSERT_PTR_NOT_NULL_FATAL(f);
			fputs(old_text, f);
			fclose(f);
		} else {
			CU_ASSERT_EQUAL(contents(), 'o');
		}
	}
	CU_ASSERT(n < MAX_N);
	CU_ASSERT(folder_failed);
	teardown();
}

int main(void)
{
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("a file replaced whole", NULL, NULL);
	CU_add_test(s, "replaced, its mode given, nothing left beside it", test_whole);
	CU_add_test(s, "written, not installed: the file untouched", test_two_steps);
	CU_add_test(s, "each step failed in turn: the old file whole", test_fail_each_step);
	CU_add_test(s, "a crash at each step: the old file or the new, whole",
	            test_crash_each_step);
	s = CU_add_suite("its users", NULL, NULL);
	CU_add_test(s, "the compiled files' replace_file()", test_compiled_files);
	CU_add_test(s, "the local copy's private_replace()", test_private_files);
	return run_suites();
}
