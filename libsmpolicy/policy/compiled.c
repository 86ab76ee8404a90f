/*
 * compiled.c - what the two files compiled from the records, the compiled
 * cache (cache.c) and the login store (store_write.c, store_read.c),
 * share: their permissions (those of the files they were read from), the
 * lock beside each, its replacement whole (base/replace.c), the end of a
 * public writer, and the opening of one by a reader.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "policy/policy.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define COMPILED_LOCK_WAIT_MS 10000        /* how long a writer waits for the lock */

void perm_add(struct perm *pm, size_t i, const struct stat *st)
{
	if (i == 0) {
		pm->mode = 0644;
		pm->gid = st->st_gid;
	}
	pm->mode &= st->st_mode;
	if (st->st_gid != pm->gid)
		pm->mode &= ~(mode_t)070;
}

bool perm_holds(const struct perm *pm, const struct stat *st)
{
	return (st->st_mode & 0777) == pm->mode && (!(pm->mode & 070) || st->st_gid == pm->gid);
}

bool set_perm(int fd, struct perm *pm)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return false;
	if ((pm->mode & 070) && st.st_gid != pm->gid && fchown(fd, (uid_t)-1, pm->gid) != 0)
		pm->mode &= ~(mode_t)070;
	return fchmod(fd, pm->mode) == 0;
}

smp_status lock_beside(const char *path, bool nowait, int *fd, smp_diags *d)
{
	char lock[4096];
	smp_status rc;

	if (snprintf(lock, sizeof(lock), "%s.lock", path) >= (int)sizeof(lock)) {
		diags_add(d, path, 0, SMP_SEV_ERROR, NULL, "path too long for its lock file");
		return SMP_ERR_IO;
	}
	rc = flock_path(lock, nowait, now_ms() + COMPILED_LOCK_WAIT_MS, fd);
	if (rc == SMP_ERR_IO)
		diags_add(d, path, 0, SMP_SEV_ERROR, NULL, "cannot %s the lock file %s: %s",
		          *fd < 0 ? "open" : "lock", lock, strerror(errno));
	else if (rc == SMP_ERR_LOCK)
		diags_add(d, path, 0, SMP_SEV_ERROR, NULL,
		          "another process is writing it (lock file %s)", lock);
	return rc;
}

static bool perm_fn(int fd, void *perm)
{
	return set_perm(fd, perm);
}

smp_status replace_file(const char *path, const void *data, size_t size, struct perm *perm,
                        smp_diags *d)
{
	char dir[4096], prefix[512];
	const char *base;
	struct replacement r;
	smp_status rc = SMP_OK;

	split_path(path, dir, sizeof(dir), &base);
	snprintf(prefix, sizeof(prefix), ".%s.tmp-", base);
	remove_temps(dir, prefix);   /* only the lock's holder makes them: all are stale */
	if (!replace_whole(&r, path, prefix, perm_fn, perm, data, size)) {
		switch (r.failed) {
		case REPLACE_NOMEM:
			rc = SMP_ERR_NOMEM;
			break;
		case REPLACE_CREATE:
			diags_add(d, path, 0, SMP_SEV_ERROR, NULL,
			          "cannot create a temporary file in %s: %s", dir, strerror(errno));
			rc = SMP_ERR_IO;
			break;
		case REPLACE_WRITE:
			diags_add(d, r.tmp, 0, SMP_SEV_ERROR, NULL, "cannot write: %s", strerror(errno));
			rc = SMP_ERR_IO;
			break;
		case REPLACE_RENAME:
			diags_add(d, path, 0, SMP_SEV_ERROR, NULL, "cannot replace: %s", strerror(errno));
			rc = SMP_ERR_IO;
			break;
		case REPLACE_DONE:
			break;
		case REPLACE_FOLDER:   /* in place: only its lasting through a crash is in doubt */
			diags_add(d, dir, 0, SMP_SEV_WARNING, NULL,
			          "%s was written but the folder could not be flushed to disk: %s",
			          base, strerror(errno));
			break;
		}
	}
	replace_free(&r);
	return rc;
}

smp_status writer_result(smp_status rc, smp_diags *d, smp_diags **diags)
{
	if (rc == SMP_OK && d->oom)
		rc = SMP_ERR_NOMEM;
	if (diags != NULL && d->n > 0)
		*diags = d;
	else
		smp_diags_free(d);
	return rc;
}

smp_status compiled_open(const char *path, unsigned flags, uint64_t limit, int *fd,
                         struct stat *st, const char **why, smp_diags *quiet)
{
	smp_status rc = file_open_secure(path, flags, limit, fd, st, quiet);

	*why = NULL;
	if (rc == SMP_OK || rc == SMP_ERR_NOMEM)
		return rc;
	/* said as a warning by the caller: the files are read instead */
	*why = smp_diags_get(quiet, 0) != NULL ? smp_diags_get(quiet, 0)->message
	                                       : smp_status_string(rc);
	return SMP_OK;
}
