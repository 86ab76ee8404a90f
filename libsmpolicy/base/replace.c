/*
 * replace.c - a file replaced whole: its new bytes written to a temporary
 * file beside it, fsync'd, renamed over it, and the folder fsync'd.  A
 * reader sees the old file or the new, never a part; a crash at any step
 * leaves the old file or the new, whole (at worst a temporary file, which
 * the next writer, holding the writers' lock, removes).  The compiled
 * cache and login store, the record commands and the directory's local
 * copy all replace their files so.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "base.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool failed(struct replacement *r, enum replace_step step)
{
	r->failed = step;
	return false;
}

bool replace_write(struct replacement *r, const char *path, const char *prefix,
                   replace_perm_fn *perm, void *arg, const void *data, size_t size)
{
	char dir[4096];
	const char *base;
	int fd, err;

	*r = (struct replacement){ NULL, false, REPLACE_DONE };
	split_path(path, dir, sizeof(dir), &base);
	if ((prefix != NULL ? asprintf(&r->tmp, "%s/%sXXXXXX", dir, prefix)
	                    : asprintf(&r->tmp, "%s/.%s.tmp-XXXXXX", dir, base)) < 0) {
		r->tmp = NULL;
		errno = ENOMEM;
		return failed(r, REPLACE_NOMEM);
	}
	fd = mkostemp(r->tmp, O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		free(r->tmp);
		r->tmp = NULL;
		errno = err;
		return failed(r, REPLACE_CREATE);
	}
	/* the owner and mode before the bytes: no one else may read them */
	if (!perm(fd, arg) || !write_all(fd, data, size) || fsync(fd) != 0) {
		err = errno;
		close(fd);
		errno = err;
		return failed(r, REPLACE_WRITE);
	}
	if (close(fd) != 0)   /* NFS may report a lost write only here */
		return failed(r, REPLACE_WRITE);
	return true;
}

bool replace_install(struct replacement *r, const char *path)
{
	char dir[4096];
	const char *base;

	if (rename(r->tmp, path) != 0)
		return failed(r, REPLACE_RENAME);
	r->installed = true;
	split_path(path, dir, sizeof(dir), &base);
	if (!fsync_folder(dir))
		return failed(r, REPLACE_FOLDER);
	return true;
}

void replace_free(struct replacement *r)
{
	if (r->tmp != NULL && !r->installed) {
		int err = errno;

		unlink(r->tmp);
		errno = err;
	}
	free(r->tmp);
	r->tmp = NULL;
}

bool replace_whole(struct replacement *r, const char *path, const char *prefix,
                   replace_perm_fn *perm, void *arg, const void *data, size_t size)
{
	return replace_write(r, path, prefix, perm, arg, data, size) && replace_install(r, path);
}
