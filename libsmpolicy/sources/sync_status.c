/*
 * sync_status.c - what a machine can say of its syncs without the
 * network (smpolicy status): the last good sync (copy_dir/state) and the
 * last attempt (copy_dir/last-attempt, written here); and the private
 * permissions the local copy is written with.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "sources/directory.h"
#include "base/text.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ATTEMPT_TEMP_PREFIX ".attempt-"

smp_status dir_temp_folder(const char *parent, const char *prefix, mode_t mode, char **out,
                           smp_diags *d)
{
	const char *tmpdir = getenv("TMPDIR");

	if (parent == NULL)
		parent = tmpdir != NULL && tmpdir[0] == '/' ? tmpdir : "/tmp";
	if (asprintf(out, "%s/%sXXXXXX", parent, prefix) < 0) {
		*out = NULL;
		return SMP_ERR_NOMEM;
	}
	/* a folder of the local copy is in its private group (make_private) */
	if (mkdtemp(*out) == NULL || (mode != 0 && chmod(*out, mode) != 0) ||
	    (mode != 0 && geteuid() == 0 && chown(*out, 0, private_gid()) != 0)) {
		diags_add(d, *out, 0, SMP_SEV_ERROR, NULL, "cannot make a temporary folder: %s",
		          strerror(errno));
		free(*out);
		*out = NULL;
		return SMP_ERR_IO;
	}
	return SMP_OK;
}

/* ---- private permissions ----------------------------------------------- */

gid_t private_gid(void)
{
	struct group gr, *found = NULL;
	char buf[4096];

	/* looked up each time: a group added after the process started counts */
	if (getgrnam_r(SMP_PRIVATE_GROUP, &gr, buf, sizeof(buf), &found) != 0 || found == NULL)
		return 0;
	return found->gr_gid;
}

bool make_private(int fd, mode_t mode)
{
	/* only root can give a file to root and another group; a test run by
	 * another user keeps its own ids, with the same mode */
	if (geteuid() == 0 && fchown(fd, 0, private_gid()) != 0)
		return false;
	return fchmod(fd, mode) == 0;
}

static bool private_perm(int fd, void *unused)
{
	(void)unused;
	return make_private(fd, SMP_PRIVATE_FILE_MODE);
}

smp_status private_replace(const char *dir, const char *name, const char *prefix,
                           const void *data, size_t len, char **path_out)
{
	char *path = NULL;
	struct replacement r;
	smp_status rc = SMP_OK;

	if (path_out != NULL)
		*path_out = NULL;
	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return SMP_ERR_NOMEM;
	/* the folder's fsync failing fails it too: a sync says it wrote a
	 * file only when the file will outlast a crash */
	if (!replace_whole(&r, path, prefix, private_perm, NULL, data, len))
		rc = r.failed == REPLACE_NOMEM ? SMP_ERR_NOMEM : SMP_ERR_IO;
	replace_free(&r);
	if (path_out != NULL)
		*path_out = path;
	else
		free(path);
	return rc;
}

/* ---- copy_dir/last-attempt ---------------------------------------------- */

void state_time(int64_t t, char *buf, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, n, "1970-01-01T00:00:00Z");
}

smp_status ldap_attempt_write(const char *copy_dir, const struct ldap_attempt *a)
{
	struct ebuf b = { 0 };
	char when[32];
	smp_status rc;

	state_time(a->attempted, when, sizeof(when));
	ebuf_adds(&b, "# the last sync of the local copy, good or not (smpolicy status)\n"
	              "version = 1;\nattempted = ");
	conf_quote(&b, when);
	ebuf_addf(&b, ";\nok = %s;\nuri = ", a->ok ? "true" : "false");
	conf_quote(&b, a->uri != NULL ? a->uri : "");
	ebuf_adds(&b, ";\nerror = ");
	conf_quote(&b, a->error != NULL ? a->error : "");
	ebuf_addf(&b, ";\nrecords = %lld;\nsuccess_records = %lld;\n", a->records,
	          a->success_records);
	if (b.oom) {
		ebuf_free(&b);
		return SMP_ERR_NOMEM;
	}
	remove_temps(copy_dir, ATTEMPT_TEMP_PREFIX);
	/* the state's discipline: a reader sees the old record or the new */
	rc = private_replace(copy_dir, LDAP_ATTEMPT_FILE, ATTEMPT_TEMP_PREFIX, b.s, b.len, NULL);
	ebuf_free(&b);
	return rc;
}

/* ---- smp_sync_report ------------------------------------------------------- */

struct smp_sync_report {
	struct smp_sync_status info;   /* its strings are the ones below */
	struct ldap_settings s;
	struct ldap_state state;
	struct ldap_attempt attempt;
};

smp_status smp_sync_report_read(const char *config_path, unsigned flags, smp_sync_report **out,
                                smp_diags **diags)
{
	smp_sync_report *r;
	smp_diags *d;
	bool is_ldap = false;
	smp_status rc, ra = SMP_ERR_NOTFOUND;

	if (diags != NULL)
		*diags = NULL;
	if (out != NULL)
		*out = NULL;
	if (out == NULL || !flags_ok(flags, SMP_NO_FLAGS))
		return SMP_ERR_ARG;
	r = calloc(1, sizeof(*r));
	d = diags_new();
	if (r == NULL || d == NULL) {
		free(r);
		smp_diags_free(d);
		return SMP_ERR_NOMEM;
	}
	flags &= SMP_LOAD_ALLOW_NONROOT;
	rc = ldap_settings_read(config_path, flags, &is_ldap, &r->s, NULL, d);
	if (rc == SMP_OK && !is_ldap) {
		diags_add(d, config_path != NULL ? config_path : SMP_DEFAULT_CONFIG, 0,
		          SMP_SEV_ERROR, NULL, "its records are files (settings.source is not "
		          "\"ldap\"): there are no syncs");
		rc = SMP_ERR_ARG;
	}
	if (rc == SMP_OK) {
		rc = ldap_state_read(r->s.copy_dir, flags, &r->state, d);
		r->info.synced = rc == SMP_OK;
		if (rc == SMP_ERR_NOTFOUND)
			rc = SMP_OK;
	}
	if (rc == SMP_OK) {
		ra = ldap_attempt_read(r->s.copy_dir, flags, &r->attempt, d);
		rc = ra == SMP_ERR_NOTFOUND ? SMP_OK : ra;
	}
	if (rc == SMP_OK && d->oom)
		rc = SMP_ERR_NOMEM;
	if (rc == SMP_OK) {
		struct smp_sync_status *i = &r->info;
		const struct ldap_attempt *a = &r->attempt;

		i->uri = r->s.uri;
		i->base = r->s.base;
		i->copy_dir = r->s.copy_dir;
		i->max_offline = r->s.max_offline;
		if (i->synced) {
			i->synced_at = r->state.synced;
			i->synced_uri = r->state.uri;
			i->copy = r->state.copy;
			i->void_records = r->state.void_records;
		}
		i->attempted = ra == SMP_OK;
		if (i->attempted) {
			i->attempted_at = a->attempted;
			i->attempt_ok = a->ok;
			i->attempt_uri = a->uri;
			i->attempt_error = a->ok ? NULL : a->error;
			/* the count belongs to the sync the state names only when
			 * the attempt file was written by that sync or after it */
			i->has_records = i->synced && a->success_records >= 0 &&
			                 a->attempted >= r->state.synced;
			i->records = i->has_records ? (size_t)a->success_records : 0;
		}
		*out = r;
	} else {
		smp_sync_report_free(r);
	}
	if (diags != NULL && smp_diags_count(d) > 0)
		*diags = d;
	else
		smp_diags_free(d);
	return rc;
}

smp_status smp_sync_report_info(const smp_sync_report *r, struct smp_sync_status *out)
{
	if (r == NULL || !SIZE_OK(out))
		return SMP_ERR_ARG;
	*out = r->info;
	out->size = sizeof(*out);
	return SMP_OK;
}

void smp_sync_report_free(smp_sync_report *r)
{
	if (r == NULL)
		return;
	ldap_settings_free(&r->s);
	ldap_state_free(&r->state);
	ldap_attempt_free(&r->attempt);
	free(r);
}
