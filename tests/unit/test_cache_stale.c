/*
 * test_cache_stale.c - a compiled cache that is not fresh is a miss:
 * other bytes (same size and mtime), files changed after compiling,
 * another place, a file deleted or made insecure (the parse's error then).
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

/* ---- b. staleness --------------------------------------------------------- */

static void test_stale_edits(void)
{
	static struct gen g;
	struct place pl;

	hand_world(&pl, &g);
	expect_state(&pl, &g, SMP_CACHE_ABSENT, "no cache yet");
	/* one byte of each file, in place, same size, same mtime */
	stale_by_edit(&pl, &g, pl.conf, "warn_days = 14", "warn_days = 15");
	stale_by_edit(&pl, &g, pl.rec[0], "password_escrowed = \"2026-01-01Z\"",
	              "password_escrowed = \"2026-01-02Z\"");
	stale_by_edit(&pl, &g, pl.rec[1], "expires = \"2026-06-30T17:00\"",
	              "expires = \"2026-06-20T17:00\"");
	/* a byte of a comment-free file that changes only a name */
	stale_by_edit(&pl, &g, pl.conf, "Office One", "Office 0ne");
	printf("\n");
	rm_tree(pl.dir);
}

/* A policy loaded, its files changed, then its cache written: the cache
 * holds the old digests, and is stale, never wrong. */
static void test_stale_written_late(void)
{
	static struct gen g;
	struct place pl;
	smp_policy *p;

	hand_world(&pl, &g);
	p = parse(pl.conf);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_FATAL(edit_in_place(pl.rec[1], "expires = \"2026-06-30T17:00\"",
	                              "expires = \"2026-06-20T17:00\""));
	CU_ASSERT_EQUAL(write_cache(p), SMP_OK);
	smp_policy_free(p);
	expect_state(&pl, &g, SMP_CACHE_STALE, "written after the files changed");
	rm_tree(pl.dir);
}

static void test_stale_content_not_inode(void)
{
	static struct gen g;
	struct place pl;
	char tmp[300], real[300];
	struct stat before, after;

	hand_world(&pl, &g);
	compile(&pl, &g);
	/* replaced by rename with identical bytes: a new inode, the same bytes */
	snprintf(tmp, sizeof(tmp), "%s/more.conf.new", pl.dir);
	CU_ASSERT_FATAL(stat(pl.rec[1], &before) == 0);
	CU_ASSERT_FATAL(copy_file(pl.rec[1], tmp, 0644));
	CU_ASSERT_FATAL(rename(tmp, pl.rec[1]) == 0);
	CU_ASSERT_FATAL(stat(pl.rec[1], &after) == 0);
	CU_ASSERT(before.st_ino != after.st_ino);
	expect_state(&pl, &g, SMP_CACHE_USED, "replaced by rename, same bytes");
	/* the settings file too */
	snprintf(tmp, sizeof(tmp), "%s/smpolicy.conf.new", pl.dir);
	CU_ASSERT_FATAL(copy_file(pl.conf, tmp, 0644));
	CU_ASSERT_FATAL(rename(tmp, pl.conf) == 0);
	expect_state(&pl, &g, SMP_CACHE_USED, "settings replaced by rename, same bytes");
	/* a symbolic link (ours) to a copy with the same bytes */
	snprintf(real, sizeof(real), "%s/records-real.conf", pl.dir);
	CU_ASSERT_FATAL(copy_file(pl.rec[0], real, 0644));
	CU_ASSERT_FATAL(unlink(pl.rec[0]) == 0 && symlink("records-real.conf", pl.rec[0]) == 0);
	expect_state(&pl, &g, SMP_CACHE_USED, "a link to the same bytes");
	/* the same size, other bytes, older mtime */
	CU_ASSERT_FATAL(edit_in_place(real, "\"w9\"", "\"w8\""));
	expect_state(&pl, &g, SMP_CACHE_STALE, "the link's target edited");
	rm_tree(pl.dir);
}

static void test_stale_moved(void)
{
	static struct gen g;
	struct place pl, moved;

	hand_world(&pl, &g);
	compile(&pl, &g);
	moved = pl;
	snprintf(moved.dir, sizeof(moved.dir), "%.180s-moved", pl.dir);
	place_paths(&moved);
	CU_ASSERT_FATAL(rename(pl.dir, moved.dir) == 0);
	expect_state(&moved, &g, SMP_CACHE_STALE, "the folder moved");
	/* and back where it was compiled: fresh again */
	CU_ASSERT_FATAL(rename(moved.dir, pl.dir) == 0);
	expect_state(&pl, &g, SMP_CACHE_USED, "the folder moved back");
	rm_tree(pl.dir);
}

static void test_stale_deleted(void)
{
	static struct gen g;
	struct place pl;
	size_t len;
	char *saved;

	hand_world(&pl, &g);
	compile(&pl, &g);
	saved = read_text(pl.rec[1], &len);
	CU_ASSERT_FATAL(saved != NULL && unlink(pl.rec[1]) == 0);
	fails_as_parse(&pl, SMP_ERR_IO, false);
	/* back: the same bytes, the cache is good again */
	CU_ASSERT_FATAL(write_text(pl.rec[1], saved, len, 0644));
	expect_state(&pl, &g, SMP_CACHE_USED, "the file restored");
	free(saved);
	rm_tree(pl.dir);
}

static void test_stale_insecure(void)
{
	static struct gen g;
	struct place pl;

	hand_world(&pl, &g);
	compile(&pl, &g);
	/* writable by the group after compiling: refused, as by the parse */
	CU_ASSERT_FATAL(chmod(pl.rec[1], 0664) == 0);
	fails_as_parse(&pl, SMP_ERR_INSECURE, false);
	CU_ASSERT_FATAL(chmod(pl.rec[1], 0644) == 0);
	expect_state(&pl, &g, SMP_CACHE_USED, "records mode restored");
	CU_ASSERT_FATAL(chmod(pl.rec[0], 0646) == 0);
	fails_as_parse(&pl, SMP_ERR_INSECURE, false);
	CU_ASSERT_FATAL(chmod(pl.rec[0], 0644) == 0);
	CU_ASSERT_FATAL(chmod(pl.conf, 0664) == 0);
	fails_as_parse(&pl, SMP_ERR_INSECURE, false);
	CU_ASSERT_FATAL(chmod(pl.conf, 0644) == 0);
	expect_state(&pl, &g, SMP_CACHE_USED, "settings mode restored");
	/* the folder writable by the group: the cache in it is refused too */
	CU_ASSERT_FATAL(chmod(pl.dir, 0770) == 0);
	fails_as_parse(&pl, SMP_ERR_INSECURE, true);
	CU_ASSERT_FATAL(chmod(pl.dir, 0700) == 0);
	/* owned by someone else */
	if (geteuid() == 0) {
		CU_ASSERT_FATAL(chown(pl.rec[1], NOBODY, NOBODY) == 0);
		fails_as_parse(&pl, SMP_ERR_INSECURE, false);
		CU_ASSERT_FATAL(chown(pl.rec[1], 0, 0) == 0);
	} else {
		printf("\n  (not root: a records file owned by another user is not tried)\n");
	}
	/* a link to the same bytes in a folder anyone may write */
	{
		char ins[300], target[330];

		snprintf(ins, sizeof(ins), "%s/open", pl.dir);
		snprintf(target, sizeof(target), "%s/more.conf", ins);
		CU_ASSERT_FATAL(mkdir(ins, 0700) == 0 && chmod(ins, 0777) == 0);
		CU_ASSERT_FATAL(copy_file(pl.rec[1], target, 0644));
		CU_ASSERT_FATAL(unlink(pl.rec[1]) == 0 && symlink("open/more.conf", pl.rec[1]) == 0);
		fails_as_parse(&pl, SMP_ERR_INSECURE, false);
	}
	rm_tree(pl.dir);
}
int main(void)
{
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("compiled cache: stale", NULL, NULL);
	CU_add_test(s, "one byte of each file, same size and mtime", test_stale_edits);
	CU_add_test(s, "written from files that changed since", test_stale_written_late);
	CU_add_test(s, "content, not inode: renamed or linked, same bytes", test_stale_content_not_inode);
	CU_add_test(s, "a moved folder", test_stale_moved);
	CU_add_test(s, "a records file deleted: the parse's error", test_stale_deleted);
	CU_add_test(s, "insecure files after compiling: the parse's error", test_stale_insecure);
	return run_suites();
}
