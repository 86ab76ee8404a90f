/*
 * lock.c - one writer at a time: an exclusive flock(2) on a lock file,
 * waited for up to a deadline of the monotonic clock.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "base.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

smp_status flock_path(const char *path, bool nowait, int64_t deadline, int *fd)
{
	long pause_ms = 2;

	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	if (*fd < 0)
		return SMP_ERR_IO;
	while (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
		struct timespec ts = { 0, pause_ms * 1000000 };

		if (errno != EWOULDBLOCK && errno != EINTR)
			return SMP_ERR_IO;
		if (nowait || now_ms() >= deadline)
			return SMP_ERR_LOCK;
		nanosleep(&ts, NULL);
		if (pause_ms < 50)
			pause_ms *= 2;
	}
	return SMP_OK;
}
