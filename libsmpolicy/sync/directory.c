/*
 * directory.c - smp_directory_sync() (smpolicy sync, check --online):
 * read the directory, validate it exactly as files are validated, and
 * replace the local copy atomically (smpolicy-ldap(5)).
 *
 * The copy (layout in sources/directory.h) is written as a whole folder and
 * named by the state file only once it is on disk: a new copy goes into
 * copy_dir/.new-XXXXXX, is fsynced, renamed to copy-<N> and only then
 * does the state, replaced atomically itself, name it.  A crash at any
 * point leaves the state naming a whole copy; everything else a crash
 * leaves behind is removed by the next sync.  All of it under an
 * exclusive flock of copy_dir/sync.lock.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "sync/sync.h"
#include "base/text.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NEW_PREFIX ".new-"
#define STATE_TEMP_PREFIX ".state-"
#define COPY_PREFIX "copy-"

/* A void record of the copy, named by its entry's DN. */
struct sync_void {
	char *dn, *why;
};

struct smp_sync {
	struct smp_sync_info info;   /* its strings are the three below */
	char *copy, *uri, *base, *why;
	struct sync_void *voids;     /* info.void_records of them, or none */
	size_t nvoids;
};

/* What one sync works with. */
struct sync {
	struct ldap_settings s;
	unsigned load_flags;        /* the smp_load_flags of the caller */
	bool check_only;
	smp_diags *d;
	struct dir_conn conn;
	struct dir_world w;
	struct ldap_state state;
	bool have_state;
	int lock_fd;
	int64_t started;            /* when the directory was first asked: what
	                               is read is at least this fresh */
	bool dir_ready;             /* copy_dir is there and ours: the attempt
	                               can be recorded in it */
	char *temp;                 /* the folder rendered into, until renamed */
	smp_sync *res;
	struct sync_void *voids;    /* of the copy validated (malloc'd) */
	size_t nvoids;
	size_t void_records;        /* of the copy installed or kept */
	struct sig_memo memo;       /* the copy's signatures, verified once */
	struct sig_memo prior;      /* those the last sync verified */
	struct raw_world raw;       /* the entries as sent, kept in the copy */
	struct dir_how how;         /* incremental, or why not */
};

/* ---- copy_dir ------------------------------------------------------------ */

static bool owner_ok(uid_t uid, unsigned flags)
{
	return uid == 0 || ((flags & SMP_LOAD_ALLOW_NONROOT) && uid == geteuid());
}

/* copy_dir exists (made 0750, in the private group, if missing), is a
 * folder, root's and writable by nobody else: what it holds decides every
 * login. */
static smp_status prepare_copy_dir(struct sync *y)
{
	const char *dir = y->s.copy_dir;
	struct stat st;

	if (lstat(dir, &st) != 0 && errno == ENOENT) {
		int fd;
		bool ok;

		if (mkdir(dir, SMP_PRIVATE_DIR_MODE) != 0 && errno != EEXIST) {
			diags_add(y->d, dir, 0, SMP_SEV_ERROR, NULL,
			          "cannot make the folder of the local copy (ldap.copy_dir): %s",
			          strerror(errno));
			return SMP_ERR_IO;
		}
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		ok = fd >= 0 && make_private(fd, SMP_PRIVATE_DIR_MODE);
		if (fd >= 0)
			close(fd);
		if (!ok)
			return SMP_ERR_IO;
	}
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		diags_add(y->d, dir, 0, SMP_SEV_ERROR, NULL,
		          "the local copy's folder (ldap.copy_dir) is not a folder%s%s",
		          errno ? ": " : "", errno ? strerror(errno) : "");
		return SMP_ERR_IO;
	}
	if (!owner_ok(st.st_uid, y->load_flags)) {
		diags_add(y->d, dir, 0, SMP_SEV_ERROR, NULL,
		          "the local copy's folder is not owned by root (uid %ld): refusing it",
		          (long)st.st_uid);
		return SMP_ERR_INSECURE;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		diags_add(y->d, dir, 0, SMP_SEV_ERROR, NULL,
		          "the local copy's folder is writable by group or others (mode %04o): "
		          "refusing it", (unsigned)(st.st_mode & 07777));
		return SMP_ERR_INSECURE;
	}
	/* one made by systemd (StateDirectory=) or before copies were private
	 * becomes the private group's, so that its members can reach the copy */
	if (geteuid() == 0 && ((st.st_mode & 0777) != SMP_PRIVATE_DIR_MODE ||
	                       st.st_gid != private_gid())) {
		int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		bool ok = fd >= 0 && make_private(fd, SMP_PRIVATE_DIR_MODE);

		if (fd >= 0)
			close(fd);
		if (!ok) {
			diags_add(y->d, dir, 0, SMP_SEV_ERROR, NULL, "cannot make the local copy's "
			          "folder private: %s", strerror(errno));
			return SMP_ERR_IO;
		}
	}
	return SMP_OK;
}

/* Remove folder name of dir and the files in it (a copy holds files
 * only: the rendered two, the compiled cache and its lock). */
static void remove_folder(const char *dir, const char *name)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int fd = dfd >= 0 ? openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
	DIR *dp = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;

	if (dp == NULL && fd >= 0)
		close(fd);
	while (dp != NULL && (e = readdir(dp)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			unlinkat(dirfd(dp), e->d_name, 0);
	if (dp != NULL)
		closedir(dp);
	if (dfd >= 0) {
		unlinkat(dfd, name, AT_REMOVEDIR);
		close(dfd);
	}
}

/* N of a name "copy-N", or 0 when it is none. */
static unsigned long copy_number(const char *name)
{
	char *end;
	unsigned long n;

	if (strncmp(name, COPY_PREFIX, strlen(COPY_PREFIX)) != 0)
		return 0;
	name += strlen(COPY_PREFIX);
	if (*name < '0' || *name > '9')
		return 0;
	n = strtoul(name, &end, 10);
	return *end == '\0' ? n : 0;
}

/* The highest N of the copy-N folders of dir (0 if none).  With
 * keep[0] not 0, every copy but copy-keep[0] and copy-keep[1] is removed,
 * and with remove_new every .new-* folder (left by a sync that was
 * killed). */
static unsigned long scan_copies(const char *dir, const unsigned long *keep, bool remove_new)
{
	DIR *dp = opendir(dir);
	struct dirent *e;
	unsigned long top = 0;

	while (dp != NULL && (e = readdir(dp)) != NULL) {
		unsigned long n = copy_number(e->d_name);

		if (n > top)
			top = n;
		if ((n > 0 && keep != NULL && n != keep[0] && n != keep[1]) ||
		    (remove_new && strncmp(e->d_name, NEW_PREFIX, strlen(NEW_PREFIX)) == 0))
			remove_folder(dir, e->d_name);
	}
	if (dp != NULL)
		closedir(dp);
	return top;
}

/* ---- the state file ------------------------------------------------------ */

static void state_line(struct ebuf *b, const char *key, const char *value)
{
	ebuf_addf(b, "%s = ", key);
	conf_quote(b, value);
	ebuf_adds(b, ";\n");
}

/* Replace copy_dir/state, naming copy (a folder "copy-N"), atomically. */
static smp_status write_state(struct sync *y, const char *copy, int64_t synced)
{
	struct ebuf b = { 0 };
	char when[32], *path = NULL;
	smp_status rc;

	state_time(synced, when, sizeof(when));
	ebuf_adds(&b, "# the local copy of the directory (smpolicy sync): which copy is current\n"
	              "version = 1;\n");
	state_line(&b, "copy", copy);
	state_line(&b, "synced", when);
	state_line(&b, "uri", y->s.uri);
	state_line(&b, "base", y->s.base);
	state_line(&b, "context_csn", y->w.context_csn);
	ebuf_addf(&b, "void_records = %zu;\n", y->void_records);
	if (b.oom) {
		ebuf_free(&b);
		return SMP_ERR_NOMEM;
	}
	rc = private_replace(y->s.copy_dir, LDAP_STATE_FILE, STATE_TEMP_PREFIX, b.s, b.len, &path);
	if (rc == SMP_ERR_IO)
		diags_add(y->d, path, 0, SMP_SEV_ERROR, NULL, "cannot write the state of the local "
		          "copy: %s", strerror(errno));
	free(path);
	ebuf_free(&b);
	return rc;
}

/* ---- the result ---------------------------------------------------------- */

static size_t policy_records(const smp_policy *p)
{
	return p->nplatforms + p->noffices + p->nstaff + p->ndevices + p->naccounts +
	       p->napprovals;
}

static smp_status result(struct sync *y, bool changed, size_t records, int64_t synced,
                         const char *copy_conf)
{
	smp_sync *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return SMP_ERR_NOMEM;
	r->uri = strdup(y->s.uri);
	r->base = strdup(y->s.base);
	r->copy = copy_conf != NULL ? strdup(copy_conf) : NULL;
	if (r->uri == NULL || r->base == NULL || (copy_conf != NULL && r->copy == NULL)) {
		smp_sync_free(r);
		return SMP_ERR_NOMEM;
	}
	r->info = (struct smp_sync_info){ .size = sizeof(r->info), .changed = changed,
	                                  .records = records, .synced = synced, .copy = r->copy,
	                                  .uri = r->uri, .base = r->base,
	                                  .void_records = y->void_records,
	                                  .incremental = y->how.incremental,
	                                  .received = y->how.received };
	if (changed && !y->how.incremental && y->how.why[0] != '\0') {
		r->why = strdup(y->how.why);
		if (r->why == NULL) {
			smp_sync_free(r);
			return SMP_ERR_NOMEM;
		}
		r->info.full_read_why = r->why;
	}
	r->voids = y->voids;   /* handed over */
	r->nvoids = y->nvoids;
	y->voids = NULL;
	y->nvoids = 0;
	y->res = r;
	return SMP_OK;
}

static int64_t now_utc(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

/* ---- unchanged ------------------------------------------------------------ */

/* N of the copy the state names: state.copy is copy_dir/copy-N/smpolicy.conf. */
static unsigned long state_copy_number(const struct sync *y)
{
	const char *end = strrchr(y->state.copy, '/'), *start = end;

	while (start > y->state.copy && start[-1] != '/')
		start--;
	return end != NULL && start + strlen(COPY_PREFIX) < end &&
	       strncmp(start, COPY_PREFIX, strlen(COPY_PREFIX)) == 0 ?
	       strtoul(start + strlen(COPY_PREFIX), NULL, 10) : 0;
}

/* Does the copy p render the settings' audit as a sync would now?  (It
 * is the one local setting the copy carries.) */
static bool audit_current(const struct sync *y, const smp_policy *p, const char *copy_dir)
{
	if (y->s.audit != NULL)
		return p->set.audit != NULL && strcmp(p->set.audit, y->s.audit) == 0;
	/* none set: the loader's default, beside the copy's records */
	return p->set.audit != NULL && strncmp(p->set.audit, copy_dir, strlen(copy_dir)) == 0 &&
	       p->set.audit[strlen(copy_dir)] == '/';
}

/*
 * The directory has not changed since the copy was made: the same
 * contextCSN (a server that keeps none never matches), from the same
 * server and base, and the copy still loads, with the audit setting of
 * now.  Then only the state is replaced, with a new synced, and nothing
 * else is read.
 */
static bool try_unchanged(struct sync *y, smp_status *rc)
{
	smp_policy *p = NULL;
	char name[64], folder[4096];
	const char *base;
	bool same;

	if (!y->have_state || y->w.context_csn[0] == '\0' ||
	    strcmp(y->w.context_csn, y->state.context_csn) != 0 ||
	    strcmp(y->s.uri, y->state.uri) != 0 || strcmp(y->s.base, y->state.base) != 0 ||
	    state_copy_number(y) == 0 ||
	    /* a copy others can read (written before copies were private)
	     * is made again, private */
	    policy_load(y->state.copy, y->load_flags | SMP_LOAD_PRIVATE, &p, NULL) != SMP_OK)
		return false;
	split_path(y->state.copy, folder, sizeof(folder), &base);
	same = audit_current(y, p, folder);
	if (same) {
		y->void_records = y->state.void_records;
		snprintf(name, sizeof(name), COPY_PREFIX "%lu", state_copy_number(y));
		*rc = write_state(y, name, y->started);
		if (*rc == SMP_OK)
			*rc = result(y, false, policy_records(p), y->started, y->state.copy);
	}
	smp_policy_free(p);
	return same;
}

/* ---- validating and installing ------------------------------------------- */

/* The folder to render into: copy_dir/.new-XXXXXX, or for a check a
 * private one under $TMPDIR that is removed after. */
static smp_status make_temp(struct sync *y)
{
	if (y->check_only)
		return dir_temp_folder(NULL, "smpolicy-check-", 0, &y->temp, y->d);
	return dir_temp_folder(y->s.copy_dir, NEW_PREFIX, SMP_PRIVATE_DIR_MODE, &y->temp, y->d);
}

/* The void records of the copy p, one per entry's DN (an entry with
 * several faults is one void record), with the first fault of each. */
static smp_status name_voids(struct sync *y, const struct dir_render *r, const smp_policy *p)
{
	smp_diags *vd = NULL, *named = diags_new();
	smp_status rc = named != NULL ? smp_policy_voids(p, &vd) : SMP_ERR_NOMEM;

	if (rc == SMP_OK && vd != NULL && !dir_translate(r, vd, false, named))
		rc = SMP_ERR_NOMEM;
	y->voids = rc == SMP_OK ? calloc(smp_diags_count(named) + 1, sizeof(*y->voids)) : NULL;
	if (rc == SMP_OK && y->voids == NULL)
		rc = SMP_ERR_NOMEM;
	for (size_t i = 0; rc == SMP_OK && i < smp_diags_count(named); i++) {
		const struct smp_diag *g = smp_diags_get(named, i);
		size_t k = 0;

		while (k < y->nvoids && strcmp(y->voids[k].dn, g->file) != 0)
			k++;
		if (k < y->nvoids)
			continue;
		y->voids[k].dn = strdup(g->file);
		y->voids[k].why = strdup(g->message);
		if (y->voids[k].dn == NULL || y->voids[k].why == NULL) {
			free(y->voids[k].dn);
			free(y->voids[k].why);
			rc = SMP_ERR_NOMEM;
		} else {
			y->nvoids++;
		}
	}
	y->void_records = y->nvoids;
	smp_diags_free(vd);
	smp_diags_free(named);
	return rc;
}

static void voids_free(struct sync_void *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].dn);
		free(v[i].why);
	}
	free(v);
}

/*
 * Validate the rendered world with the one loader of files and the
 * procedural checks, the diagnostics named by DN.  Structural faults fail
 * the sync; procedural ones are reported (as warnings when syncing: a
 * copy with them is installed, as files with them load, so that one bad
 * entry does not lock an office out) and *p is the policy.
 */
static smp_status validate(struct sync *y, const struct dir_render *r, smp_policy **p)
{
	smp_diags *ld = NULL, *pd = NULL;
	smp_status rc;

	rc = policy_load_memo(r->conf_path, y->load_flags, &y->memo, p, &ld);
	if (!dir_translate(r, ld, false, y->d))
		rc = SMP_ERR_NOMEM;
	if (rc == SMP_OK) {
		rc = smp_policy_check(*p, &pd);
		if (rc == SMP_OK && !dir_translate(r, pd, !y->check_only, y->d))
			rc = SMP_ERR_NOMEM;
	}
	if (rc == SMP_OK)
		rc = name_voids(y, r, *p);
	if (rc == SMP_OK && (*p)->set.time_zone == NULL)
		/* statewide, hosts run under many TZs: without a zone each would
		 * end "expires = 2027-06-05" at its own midnight */
		diags_add(y->d, r->base, 0, SMP_SEV_WARNING, NULL,
		          "cn=settings has no smpTimeZone: a time without an offset is read in "
		          "each host's own TZ, so hosts in different zones disagree; set it "
		          "(settings.time_zone, e.g. America/New_York)");
	smp_diags_free(ld);
	smp_diags_free(pd);
	if (rc != SMP_OK) {
		smp_policy_free(*p);
		*p = NULL;
	}
	return rc;
}

/* The compiled cache of the new copy, so that the first login after a
 * sync does not parse it.  A cache that cannot be written is a warning:
 * the copy is whole without it. */
static void compile_copy(struct sync *y, const char *conf)
{
	smp_policy *p = NULL;
	smp_diags *cd = NULL;

	if (policy_load_memo(conf, y->load_flags, &y->memo, &p, NULL) == SMP_OK &&
	    smp_policy_cache_write(p, y->load_flags, &cd) != SMP_OK)
		diags_add(y->d, conf, 0, SMP_SEV_WARNING, NULL,
		          "the compiled cache of the new copy could not be written (%s): logins "
		          "parse the copy instead", smp_diags_count(cd) > 0 ?
		          smp_diags_get(cd, 0)->message : "no reason given");
	smp_diags_free(cd);
	smp_policy_free(p);
}

/* Rename the whole, fsynced temp folder to copy-N and name it in the
 * state; then every other copy goes but the one the old state named (a
 * reader that read the old state a moment ago still finds it). */
static smp_status install(struct sync *y, size_t records)
{
	char name[64], *path = NULL, *conf = NULL;
	unsigned long n;
	smp_status rc;

	if (!fsync_folder(y->temp)) {
		diags_add(y->d, y->temp, 0, SMP_SEV_ERROR, NULL, "cannot write the new copy: %s",
		          strerror(errno));
		return SMP_ERR_IO;
	}
	n = scan_copies(y->s.copy_dir, NULL, false) + 1;
	snprintf(name, sizeof(name), COPY_PREFIX "%lu", n);
	if (asprintf(&path, "%s/%s", y->s.copy_dir, name) < 0)
		return SMP_ERR_NOMEM;
	if (asprintf(&conf, "%s/smpolicy.conf", path) < 0) {
		free(path);
		return SMP_ERR_NOMEM;
	}
	if (rename(y->temp, path) != 0 || !fsync_folder(y->s.copy_dir)) {
		diags_add(y->d, path, 0, SMP_SEV_ERROR, NULL, "cannot install the new copy: %s",
		          strerror(errno));
		rc = SMP_ERR_IO;
		goto out;
	}
	free(y->temp);
	y->temp = NULL;
	compile_copy(y, conf);
	/* only a speed-up: a failure is the warning it gives */
	if (y->memo.n > 0)
		dir_verified_write(y->s.copy_dir, &y->memo, y->d);
	rc = write_state(y, name, y->started);
	if (rc == SMP_OK) {
		unsigned long keep[2] = { n, y->have_state ? state_copy_number(y) : 0 };

		scan_copies(y->s.copy_dir, keep, true);
		rc = result(y, true, records, y->started, conf);
	}
out:
	free(path);
	free(conf);
	return rc;
}

/* Read the whole directory, render it, validate it and (unless only
 * checking) install it. */
static smp_status full_sync(struct sync *y)
{
	struct dir_render r = { 0 };
	smp_policy *p = NULL;
	char *saved = NULL;
	smp_status rc;

	if (y->check_only) {
		rc = dir_read_world(&y->conn, &y->w, y->d);
	} else {
		/* the entries the current copy keeps, if it is the same directory's */
		if (y->have_state && strcmp(y->s.uri, y->state.uri) == 0 &&
		    strcmp(y->s.base, y->state.base) == 0 && state_copy_number(y) > 0) {
			char folder[4096];
			const char *base;

			split_path(y->state.copy, folder, sizeof(folder), &base);
			if (asprintf(&saved, "%s/" DIR_SAVED_FILE, folder) < 0)
				return SMP_ERR_NOMEM;
		}
		rc = dir_sync_world(&y->conn, saved, y->w.context_csn, y->load_flags, &y->raw,
		                    &y->w, &y->how, y->d);
		free(saved);
	}
	dir_close(&y->conn);   /* everything is read: no connection held while writing */
	if (rc == SMP_OK)
		rc = dir_remember_revocations(y->s.copy_dir, y->load_flags, !y->check_only, &y->w,
		                              y->d);
	if (rc != SMP_OK)
		return rc;
	rc = make_temp(y);
	if (!y->check_only) {
		dir_verified_read(y->s.copy_dir, y->load_flags, &y->prior);
		y->memo.prior = &y->prior;
	}
	if (rc == SMP_OK)
		rc = dir_render(&y->w, &y->s, y->temp, &r, y->d);
	/* what the next sync starts from; without a cookie it could not */
	if (rc == SMP_OK && !y->check_only && y->raw.cookie.bv_len > 0)
		rc = dir_saved_write(&y->raw, y->temp, y->d);
	if (rc == SMP_OK)
		rc = validate(y, &r, &p);
	if (rc == SMP_OK && y->check_only)
		rc = result(y, false, policy_records(p), 0, NULL);
	else if (rc == SMP_OK)
		rc = install(y, policy_records(p));
	smp_policy_free(p);
	dir_render_free(&r);
	return rc;
}

/* ---- the sync ---------------------------------------------------------------- */

/* Under the lock: the state as it is (a damaged one is replaced, with a
 * warning: the sync that follows writes a good one). */
static smp_status read_state(struct sync *y)
{
	smp_diags *sd = diags_new();
	smp_status rc;

	if (sd == NULL)
		return SMP_ERR_NOMEM;
	rc = ldap_state_read(y->s.copy_dir, y->load_flags, &y->state, sd);
	y->have_state = rc == SMP_OK;
	if (rc != SMP_OK && rc != SMP_ERR_NOTFOUND && rc != SMP_ERR_NOMEM) {
		for (size_t i = 0; i < smp_diags_count(sd); i++) {
			const struct smp_diag *g = smp_diags_get(sd, i);

			diags_add(y->d, g->file, g->line, SMP_SEV_WARNING, g->subject,
			          "%s (the state is replaced by this sync)", g->message);
		}
		rc = SMP_OK;
	}
	smp_diags_free(sd);
	return rc == SMP_ERR_NOTFOUND ? SMP_OK : rc;
}

static smp_status lock_copy_dir(struct sync *y)
{
	char *path = NULL;
	smp_status rc;

	if (asprintf(&path, "%s/" LDAP_SYNC_LOCK, y->s.copy_dir) < 0)
		return SMP_ERR_NOMEM;
	rc = flock_path(path, false, now_ms() + (int64_t)y->s.timeout * 1000, &y->lock_fd);
	if (rc == SMP_ERR_LOCK)
		diags_add(y->d, path, 0, SMP_SEV_ERROR, NULL,
		          "another sync has held the lock for %d seconds (ldap.timeout)", y->s.timeout);
	else if (rc != SMP_OK)
		diags_add(y->d, path, 0, SMP_SEV_ERROR, NULL, "cannot take the sync lock: %s",
		          strerror(errno));
	free(path);
	return rc;
}

static smp_status run(struct sync *y, const char *config_path)
{
	struct smp_source src;
	smp_status rc;

	rc = source_read(config_path, y->load_flags, &src, y->d);
	if (rc == SMP_OK && src.kind != SOURCE_LDAP) {
		diags_add(y->d, config_path != NULL ? config_path : SMP_DEFAULT_CONFIG, 0,
		          SMP_SEV_ERROR, NULL, "its records are %s (settings.source is not "
		          "\"ldap\"): there is no directory to read", source_name(src.kind));
		rc = SMP_ERR_ARG;
	}
	if (rc == SMP_OK) {
		/* the sync keeps the directory's settings; the rest is freed */
		y->s = src.ldap;
		memset(&src.ldap, 0, sizeof(src.ldap));
	}
	source_free(&src);
	if (rc != SMP_OK)
		return rc;
	if (!y->check_only) {
		rc = prepare_copy_dir(y);
		y->dir_ready = rc == SMP_OK;
		if (rc == SMP_OK)
			rc = lock_copy_dir(y);
		if (rc != SMP_OK)
			return rc;
		remove_temps(y->s.copy_dir, STATE_TEMP_PREFIX);
		scan_copies(y->s.copy_dir, NULL, true);
		rc = read_state(y);
		if (rc != SMP_OK)
			return rc;
	}
	y->started = now_utc();
	rc = dir_open(&y->conn, &y->s, y->load_flags, y->d);
	if (rc == SMP_OK)
		rc = dir_read_csn(&y->conn, &y->w);
	if (rc == SMP_OK && !y->check_only && try_unchanged(y, &rc))
		return rc;
	return rc == SMP_OK ? full_sync(y) : rc;
}

/*
 * Record this sync in copy_dir/last-attempt, good or not, so that
 * `smpolicy status` can tell a sync that keeps failing (the state alone
 * only ages) and say why.  The count of the last good sync is carried
 * over a failure.  A record that cannot be written is a warning: the
 * sync itself stands or fails on its own.
 */
static void record_attempt(struct sync *y, smp_status rc)
{
	struct ldap_attempt prev, a = { 0 };
	char *error = NULL;
	smp_diags *quiet = diags_new();

	a.attempted = y->started != 0 ? y->started : now_utc();
	a.ok = rc == SMP_OK && y->res != NULL;
	a.uri = y->s.uri;
	a.records = a.ok ? (long long)y->res->info.records : 0;
	a.success_records = a.records;
	if (!a.ok) {
		a.success_records = -1;
		if (quiet != NULL && ldap_attempt_read(y->s.copy_dir, y->load_flags, &prev, quiet) ==
		                     SMP_OK) {
			a.success_records = prev.success_records;
			ldap_attempt_free(&prev);
		}
		for (size_t i = 0; i < smp_diags_count(y->d) && error == NULL; i++) {
			const struct smp_diag *g = smp_diags_get(y->d, i);

			if (g->severity == SMP_SEV_ERROR &&
			    asprintf(&error, "%s%s%s", g->file != NULL ? g->file : "",
			             g->file != NULL ? ": " : "", g->message) < 0)
				error = NULL;
		}
		a.error = error != NULL ? error : (char *)smp_status_string(rc);
	}
	if (ldap_attempt_write(y->s.copy_dir, &a) != SMP_OK)
		diags_add(y->d, y->s.copy_dir, 0, SMP_SEV_WARNING, NULL,
		          "cannot record this sync in %s/" LDAP_ATTEMPT_FILE " (smpolicy status): %s",
		          y->s.copy_dir, strerror(errno));
	free(error);
	smp_diags_free(quiet);
}

smp_status smp_directory_sync(const char *config_path, unsigned flags, smp_sync **out,
                              smp_diags **diags)
{
	struct sync y = { .lock_fd = -1 };
	smp_status rc;

	if (diags != NULL)
		*diags = NULL;
	if (out != NULL)
		*out = NULL;
	if (!flags_ok(flags, SMP_SYNC_FLAGS))
		return SMP_ERR_ARG;
	y.load_flags = flags & SMP_LOAD_ALLOW_NONROOT;
	y.check_only = (flags & SMP_SYNC_CHECK_ONLY) != 0;
	y.d = diags_new();
	if (y.d == NULL)
		return SMP_ERR_NOMEM;
	rc = run(&y, config_path);
	dir_close(&y.conn);
	if (y.dir_ready)
		record_attempt(&y, rc);
	if (y.temp != NULL) {
		/* never installed: nothing of it stays */
		char parent[4096];
		const char *name;

		split_path(y.temp, parent, sizeof(parent), &name);
		remove_folder(parent, name);
	}
	if (y.lock_fd >= 0)
		close(y.lock_fd);
	if (rc == SMP_OK && y.d->oom)
		rc = SMP_ERR_NOMEM;
	if (rc == SMP_OK && out != NULL)
		*out = y.res;
	else
		smp_sync_free(y.res);
	diags_sort(y.d);
	if (diags != NULL && smp_diags_count(y.d) > 0)
		*diags = y.d;
	else
		smp_diags_free(y.d);
	free(y.temp);
	voids_free(y.voids, y.nvoids);
	sig_memo_free(&y.memo);
	sig_memo_free(&y.prior);
	dir_world_free(&y.w);
	raw_world_free(&y.raw);
	ldap_state_free(&y.state);
	ldap_settings_free(&y.s);
	return rc;
}

smp_status smp_sync_info(const smp_sync *s, struct smp_sync_info *out)
{
	if (s == NULL || !SIZE_OK(out))
		return SMP_ERR_ARG;
	*out = s->info;
	out->size = sizeof(*out);
	return SMP_OK;
}

const char *smp_sync_void(const smp_sync *s, size_t i, const char **why)
{
	if (s == NULL || i >= s->nvoids)
		return NULL;
	if (why != NULL)
		*why = s->voids[i].why;
	return s->voids[i].dn;
}

void smp_sync_free(smp_sync *s)
{
	if (s == NULL)
		return;
	voids_free(s->voids, s->nvoids);
	free(s->copy);
	free(s->uri);
	free(s->base);
	free(s->why);
	free(s);
}
