/*
 * clock.c - the front ends' clock for timeouts and intervals (common.h).
 * The library keeps one of its own for its lock deadlines: the front ends
 * link it as a shared object that exports its interface only.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "common.h"

#include <time.h>

int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Length of the valid UTF-8 sequence at s (2-4), or 0. */
