/*
 * files.c - small file operations every writer shares: a path's folder
 * and name, a whole write, a folder flushed, stale temporary files removed.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "base.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void split_path(const char *path, char *dir, size_t ndir, const char **base)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL) {
		snprintf(dir, ndir, ".");
		*base = path;
	} else if (slash == path) {
		snprintf(dir, ndir, "/");
		*base = slash + 1;
	} else {
		snprintf(dir, ndir, "%.*s", (int)(slash - path), path);
		*base = slash + 1;
	}
}

bool write_all(int fd, const void *data, size_t n)
{
	const char *s = data;

	while (n > 0) {
		ssize_t w = write(fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		s += w;
		n -= (size_t)w;
	}
	return true;
}

bool fsync_folder(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	bool ok = fd >= 0 && fsync(fd) == 0;
	int saved = errno;

	if (fd >= 0)
		close(fd);
	errno = saved;
	return ok;
}

void remove_temps(const char *dir, const char *prefix)
{
	DIR *dp = opendir(dir);
	struct dirent *e;

	if (dp == NULL)
		return;
	while ((e = readdir(dp)) != NULL) {
		char path[4096 + 512];

		if (strncmp(e->d_name, prefix, strlen(prefix)) != 0 ||
		    strlen(e->d_name) != strlen(prefix) + 6)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(dp);
}
