/*
 * saved_cookie.c - replace the sync cookie of a copy's saved entries
 * (copy-N/entries), keeping its entries: for syncrepl_test.py, which
 * gives the server a cookie it must refuse.  Test-only.
 *
 *   saved_cookie FILE COOKIE
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "sources/directory_sync.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct raw_world r = { 0 };
	struct berval cookie;
	char why[512], dir[4096];
	const char *name;
	smp_diags *d = diags_new();
	smp_status rc;

	if (argc != 3 || d == NULL) {
		fprintf(stderr, "usage: saved_cookie FILE COOKIE\n");
		return 2;
	}
	rc = dir_saved_read(argv[1], SMP_LOAD_ALLOW_NONROOT, &r, why, sizeof(why));
	if (rc != SMP_OK) {
		fprintf(stderr, "saved_cookie: %s: %s\n", argv[1], why);
		return 1;
	}
	cookie.bv_val = argv[2];
	cookie.bv_len = strlen(argv[2]);
	split_path(argv[1], dir, sizeof(dir), &name);
	if (raw_set_cookie(&r, &cookie) != SMP_OK || unlink(argv[1]) != 0 ||
	    dir_saved_write(&r, dir, d) != SMP_OK) {
		fprintf(stderr, "saved_cookie: cannot rewrite %s\n", argv[1]);
		return 1;
	}
	raw_world_free(&r);
	smp_diags_free(d);
	return 0;
}
