/*
 * saved_cookie.c - replace the sync cookie of a copy's saved entries
 * (copy-N/entries), keeping its entries, or drop one entry keeping the
 * cookie: for syncrepl_test.py, which gives the server a cookie it must
 * refuse, or a copy that disagrees with the server.  Test-only.
 *
 *   saved_cookie FILE COOKIE
 *   saved_cookie FILE --drop=DN
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "sources/directory_sync.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
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
		fprintf(stderr, "usage: saved_cookie FILE COOKIE|--drop=DN\n");
		return 2;
	}
	rc = dir_saved_read(argv[1], SMP_LOAD_ALLOW_NONROOT, &r, why, sizeof(why));
	if (rc != SMP_OK) {
		fprintf(stderr, "saved_cookie: %s: %s\n", argv[1], why);
		return 1;
	}
	cookie.bv_val = argv[2];
	cookie.bv_len = strlen(argv[2]);
	if (strncmp(argv[2], "--drop=", 7) == 0) {
		size_t dropped = 0;

		for (size_t i = 0; i < r.n; i++)
			if (!r.v[i]->deleted && strcasecmp(r.v[i]->dn, argv[2] + 7) == 0) {
				raw_delete(&r, r.v[i]);
				dropped++;
			}
		if (dropped != 1) {
			fprintf(stderr, "saved_cookie: %s: no entry %s\n", argv[1], argv[2] + 7);
			return 1;
		}
		cookie = r.cookie;
	}
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
