/*
 * watch.c - see watch.h.  Folders, not files, are watched (which ones
 * the library says: smp_policy_watch_folders): the record commands and
 * `smpolicy sync` replace a file by renaming a new one over it, which a
 * watch on the old file would never see.  Any event in a
 * watched folder counts (a lock file or the audit log as well): a reload
 * too many costs a load, one too few answers from old records.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "watch.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#define EVENTS (IN_CLOSE_WRITE | IN_MODIFY | IN_ATTRIB | IN_CREATE | IN_DELETE | \
                IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF)

bool watch_init(struct watch *w)
{
	memset(w, 0, sizeof(*w));
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	return w->fd >= 0;
}

void watch_free(struct watch *w)
{
	if (w->fd >= 0)
		close(w->fd);
	for (int i = 0; i < w->nfolders; i++)
		free(w->folder[i]);
	memset(w, 0, sizeof(*w));
	w->fd = -1;
}

static bool add_folder(struct watch *w, const char *folder)
{
	char *copy;

	for (int i = 0; i < w->nfolders; i++)
		if (strcmp(w->folder[i], folder) == 0)
			return false;
	/* a folder that cannot be watched now (not there yet) is tried again
	 * after the next load */
	if (w->nfolders == WATCH_FOLDERS_MAX || (copy = strdup(folder)) == NULL)
		return false;
	if (inotify_add_watch(w->fd, folder, EVENTS) < 0) {
		free(copy);
		return false;
	}
	w->folder[w->nfolders++] = copy;
	return true;
}

bool watch_add(struct watch *w, const char *settings_path, const smp_policy *policy)
{
	char **folders = NULL;
	bool added = false;

	if (w->fd < 0)
		return false;
	/* out of memory: nothing new is watched, and the helper reloads on a
	 * timer as without inotify */
	if (smp_policy_watch_folders(policy, settings_path, &folders) != SMP_OK)
		return false;
	for (size_t i = 0; folders[i] != NULL; i++)
		added |= add_folder(w, folders[i]);
	smp_free(folders);
	return added;
}

bool watch_changed(struct watch *w)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool changed = false;

	if (w->fd < 0)
		return false;
	for (;;) {
		ssize_t n = read(w->fd, buf, sizeof(buf));

		if (n > 0) {
			changed = true;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		return changed;
	}
}
