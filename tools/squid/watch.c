/*
 * watch.c - see watch.h.  Folders, not files, are watched: the record
 * commands and `smpolicy sync` replace a file by renaming a new one over
 * it, which a watch on the old file would never see.  Any event in a
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

/* The folder of path, malloc'd ("." for a bare name); levels up from it. */
static char *folder_of(const char *path, int up)
{
	char *f = strdup(path);

	for (int i = 0; f != NULL && i <= up; i++) {
		char *slash = strrchr(f, '/');

		if (slash == NULL) {
			free(f);
			return strdup(i == 0 ? "." : "..");
		}
		if (slash == f)
			slash[1] = '\0';   /* "/" itself */
		else
			*slash = '\0';
	}
	return f;
}

static bool add_folder(struct watch *w, char *folder)
{
	if (folder == NULL)
		return false;
	for (int i = 0; i < w->nfolders; i++) {
		if (strcmp(w->folder[i], folder) == 0) {
			free(folder);
			return false;
		}
	}
	/* a folder that cannot be watched now (not there yet) is tried again
	 * after the next load */
	if (w->nfolders == WATCH_FOLDERS_MAX || inotify_add_watch(w->fd, folder, EVENTS) < 0) {
		free(folder);
		return false;
	}
	w->folder[w->nfolders++] = folder;
	return true;
}

bool watch_add(struct watch *w, const char *settings_path, const smp_policy *policy)
{
	const char *config = smp_policy_config_path(policy);
	bool added = false;

	if (w->fd < 0)
		return false;
	added |= add_folder(w, folder_of(settings_path, 0));
	if (config != NULL) {
		char *mine = folder_of(settings_path, 0), *theirs = folder_of(config, 0);

		added |= add_folder(w, folder_of(config, 0));
		/* the policy is a local copy kept elsewhere: its parent names it */
		if (mine != NULL && theirs != NULL && strcmp(mine, theirs) != 0)
			added |= add_folder(w, folder_of(config, 1));
		free(mine);
		free(theirs);
	}
	for (size_t i = 0; i < smp_policy_records_count(policy); i++)
		added |= add_folder(w, folder_of(smp_policy_records_path(policy, i), 0));
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
