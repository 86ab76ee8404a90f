/*
 * killat.c - LD_PRELOAD: SIGKILL the process at the rename() whose source
 * path holds $KILLAT_RENAME, before it happens.  syncrepl_test.py kills
 * a sync so at a point it chooses (the install of the new copy, the
 * replace of the state) without racing a timer.  Test-only.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int rename(const char *from, const char *to)
{
	static int (*real)(const char *, const char *);
	const char *at = getenv("KILLAT_RENAME");

	if (at != NULL && *at != '\0' && strstr(from, at) != NULL)
		kill(getpid(), SIGKILL);
	if (real == NULL)
		real = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
	return real(from, to);
}
