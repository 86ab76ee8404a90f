/*
 * watch.h - notice at once when the files a policy came from change, so
 * that the helper never answers from records that are no longer there.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef SMP_SQUID_WATCH_H
#define SMP_SQUID_WATCH_H

#include "smpolicy.h"

#include <stdbool.h>

#define WATCH_FOLDERS_MAX 32

struct watch {
	int fd;                              /* inotify, non-blocking; -1: none */
	char *folder[WATCH_FOLDERS_MAX];     /* watched, malloc'd */
	int nfolders;
};

/* Start watching nothing; false when inotify cannot be had (the helper
 * then reloads on a timer only). */
bool watch_init(struct watch *w);
void watch_free(struct watch *w);

/*
 * Watch the folders smp_policy_watch_folders() names for the settings
 * file settings_path and policy (NULL: the settings file's folder only).
 * Folders already watched stay so.  Returns
 * true when a folder was newly watched: a change made before that was not
 * seen, so the caller loads once more.
 */
bool watch_add(struct watch *w, const char *settings_path, const smp_policy *policy);

/* Read every event queued: true if any arrived (or some were lost). */
bool watch_changed(struct watch *w);

#endif
