/*
 * edit.c - one record command of the manual's procedures (procedures.c)
 * as a transaction on the records.
 *
 * Every change is one transaction (struct txn): lock the records, load and
 * check them, refuse what the procedure forbids, write the changed text to
 * a temporary file beside the records, load and check that candidate as if
 * it were the records, refuse it if it has a fault the records did not
 * have, rename it over the records, fsync the folder, and append one line
 * to the audit log.  The records file is never written in place, so a
 * crash leaves the old or the new file whole; the lock is a flock(2),
 * which the kernel drops when the process dies.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "txn.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LOCK_WAIT_MS 10000       /* how long a command waits for the lock */
#define LOAD_FLAGS (SMP_LOAD_ALLOW_NONROOT)


/* ---- diagnostics ------------------------------------------------------ */


/* Copy src into t->d, naming the target instead of the temporary file. */
static void copy_diag(struct txn *t, const struct smp_diag *g)
{
	const char *file = g->file;

	if (file != NULL && t->tmp.tmp != NULL && strcmp(file, t->tmp.tmp) == 0)
		file = t->target;
	diags_add(t->d, file, g->line, g->severity, g->subject, "%s", g->message);
}

static void copy_diags(struct txn *t, const smp_diags *src, bool errors_only)
{
	for (size_t i = 0; i < smp_diags_count(src); i++) {
		const struct smp_diag *g = smp_diags_get(src, i);

		if (!errors_only || g->severity == SMP_SEV_ERROR)
			copy_diag(t, g);
	}
}

/* ---- times ------------------------------------------------------------ */

static bool is_date_only(const char *s)
{
	return strlen(s) == 10 && s[4] == '-' && s[7] == '-';
}

/*
 * The text written into the records for time `in` (NULL: now): a date
 * alone as given, anything else as local time with its offset.  *t gets
 * the moment read with `edge`, as the loader will read the text.
 */
smp_status time_text(struct txn *t, const char *what, const char *in,
                     smp_time_edge edge, char out[TIME_TEXT], int64_t *when)
{
	const struct tz *tz = t->base != NULL ? t->base->tz : NULL;   /* settings.time_zone */
	int64_t start;

	if (in == NULL) {
		*when = (int64_t)time(NULL);
		if (time_format_tz(tz, *when, out, TIME_TEXT) == NULL)
			return FAIL(t, SMP_ERR_TIME, NULL, 0, NULL, "the clock cannot be read");
		return SMP_OK;
	}
	if (time_parse_tz(tz, in, SMP_TIME_START, &start) != SMP_OK ||
	    time_parse_tz(tz, in, edge, when) != SMP_OK)
		return FAIL(t, SMP_ERR_TIME, NULL, 0, NULL,
		            "%s: '%s' is not a time (YYYY-MM-DD, YYYY-MM-DDTHH:MM or "
		            "YYYY-MM-DDTHH:MM:SS, optionally with Z or +HH:MM; it must exist "
		            "in local time)", what, in);
	if (is_date_only(in))
		snprintf(out, TIME_TEXT, "%s", in);
	else if (time_format_tz(tz, start, out, TIME_TEXT) == NULL)
		return FAIL(t, SMP_ERR_TIME, NULL, 0, NULL, "%s: '%s' is out of range", what, in);
	return SMP_OK;
}

/* Today's date, local time (in settings.time_zone when set). */
void today(const struct tz *tz, char out[TIME_TEXT], int64_t *when)
{
	time_t now = time(NULL);
	struct tm tm;

	if (tz != NULL && time_format_tz(tz, (int64_t)now, out, TIME_TEXT) != NULL) {
		out[10] = '\0';   /* YYYY-MM-DD of the zone's clock */
	} else {
		localtime_r(&now, &tm);
		strftime(out, TIME_TEXT, "%Y-%m-%d", &tm);
	}
	time_parse_tz(tz, out, SMP_TIME_START, when);
}

/* ---- the lock --------------------------------------------------------- */

static smp_status lock_one(struct txn *t, const char *records, int64_t deadline)
{
	char path[4096];
	int fd;
	smp_status rc;

	if (snprintf(path, sizeof(path), "%s.lock", records) >= (int)sizeof(path))
		return FAIL(t, SMP_ERR_IO, records, 0, NULL, "path too long for its lock file");
	rc = flock_path(path, (t->flags & SMP_EDIT_NOWAIT) != 0, deadline, &fd);
	if (fd >= 0)
		t->locks[t->nlocks++] = fd;
	if (rc == SMP_ERR_IO && fd < 0)
		return FAIL(t, SMP_ERR_IO, records, 0, NULL, "cannot open the lock file %s: %s%s",
		            path, strerror(errno),
		            errno == EACCES ? " (the record commands are for root)" : "");
	if (rc == SMP_ERR_IO)
		return FAIL(t, SMP_ERR_IO, records, 0, NULL, "cannot lock %s: %s", path,
		            strerror(errno));
	if (rc == SMP_ERR_LOCK)
		return FAIL(t, SMP_ERR_LOCK, records, 0, NULL,
		            "the records are locked by another smpolicy command (lock file "
		            "%s); gave up after %s; try again", path,
		            (t->flags & SMP_EDIT_NOWAIT) ? "one try" : "10 seconds");
	return SMP_OK;
}

/* Lock every records file, in the order the settings name them, so that
 * two commands never wait for each other in a circle. */
static smp_status lock_records(struct txn *t, const smp_policy *p)
{
	int64_t deadline = now_ms() + LOCK_WAIT_MS;
	size_t n = smp_policy_records_count(p);

	t->locks = calloc(n + 1, sizeof(int));
	if (t->locks == NULL)
		return SMP_ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		smp_status rc = lock_one(t, smp_policy_records_path(p, i), deadline);

		if (rc != SMP_OK)
			return rc;
	}
	return SMP_OK;
}

/* ---- starting and ending a transaction --------------------------------- */

static void invoking_user(char *out, size_t n)
{
	struct passwd pw, *res = NULL;
	char buf[4096];

	if (getpwuid_r(getuid(), &pw, buf, sizeof(buf), &res) == 0 && res != NULL)
		snprintf(out, n, "%s", pw.pw_name);
	else
		snprintf(out, n, "uid-%ld", (long)getuid());
}

smp_status txn_init(struct txn *t, const char *config, unsigned flags,
                    const char *action)
{
	memset(t, 0, sizeof(*t));
	t->config = config;
	t->flags = flags;
	t->audit_fd = -1;
	t->summary = SIZE_MAX;
	t->d = diags_new();
	invoking_user(t->user, sizeof(t->user));
	t->audit.user = t->user;
	t->audit.action = action;
	return t->d != NULL ? SMP_OK : SMP_ERR_NOMEM;
}

/* False when the policy loaded for config came from elsewhere: the local
 * copy of the directory that config names. */
static bool names_own_records(const char *config, const smp_policy *p)
{
	char *abs = config_path_absolute(config != NULL ? config : SMP_DEFAULT_CONFIG);
	bool own = abs != NULL && strcmp(abs, smp_policy_config_path(p)) == 0;

	free(abs);
	return own;
}

static smp_status load(struct txn *t, smp_policy **out)
{
	smp_diags *ld = NULL;
	smp_status rc = smp_policy_load(t->config, t->flags & LOAD_FLAGS, out, &ld);

	copy_diags(t, ld, true);
	smp_diags_free(ld);
	if (rc == SMP_OK && !names_own_records(t->config, *out)) {
		/* settings.source = "ldap": the policy is the directory's local
		 * copy, which the next sync replaces; writing it would be lost */
		diags_add(t->d, t->config != NULL ? t->config : SMP_DEFAULT_CONFIG, 0,
		          SMP_SEV_ERROR, NULL, "settings.source is \"ldap\": the records are "
		          "changed in the directory, not in this host's local copy (%s)",
		          smp_policy_config_path(*out));
		smp_policy_free(*out);
		*out = NULL;
		return SMP_ERR_ARG;
	}
	if (rc == SMP_ERR_PARSE)
		diags_add(t->d, NULL, 0, SMP_SEV_ERROR, NULL,
		          "the files have errors; fix them first (smpolicy check)");
	return rc;
}

static bool same_records(const smp_policy *a, const smp_policy *b)
{
	size_t n = smp_policy_records_count(a);

	if (n != smp_policy_records_count(b))
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(smp_policy_records_path(a, i), smp_policy_records_path(b, i)) != 0)
			return false;
	return true;
}

/* Temporary files left by a command that was killed: only the holder of
 * the lock makes them, so under the lock every one is stale. */
static void remove_stale_temps(const char *records)
{
	char dir[4096], prefix[512];
	const char *base;

	split_path(records, dir, sizeof(dir), &base);
	snprintf(prefix, sizeof(prefix), ".%s.tmp-", base);
	remove_temps(dir, prefix);
}

/* Lock, load under the lock, open the audit log, check. */
smp_status txn_begin(struct txn *t)
{
	smp_policy *first = NULL;
	smp_status rc = load(t, &first);

	if (rc == SMP_OK)
		rc = lock_records(t, first);
	if (rc == SMP_OK)
		rc = load(t, &t->base);
	if (rc == SMP_OK && !same_records(first, t->base))
		rc = FAIL(t, SMP_ERR_IO, smp_policy_config_path(t->base), 0, NULL,
		          "the settings changed while this command waited; try again");
	smp_policy_free(first);
	if (rc != SMP_OK)
		return rc;
	t->audit_fd = audit_log_open(t->base->set.audit);
	if (t->audit_fd < 0)
		return FAIL(t, SMP_ERR_IO, t->base->set.audit, 0, NULL,
		            "cannot open the audit log: %s", strerror(errno));
	for (size_t i = 0; i < t->base->nrecords; i++)
		remove_stale_temps(t->base->records_paths[i]);
	return smp_policy_check(t->base, &t->faults);
}

static void audit_result(struct txn *t, smp_status rc)
{
	const struct smp_diag *first = NULL;

	if (t->audit_fd < 0)
		return;
	for (size_t i = 0; i < smp_diags_count(t->d) && first == NULL; i++)
		if (smp_diags_get(t->d, i)->severity == SMP_SEV_ERROR && i != t->summary)
			first = smp_diags_get(t->d, i);
	t->audit.when = (int64_t)time(NULL);
	t->audit.result = rc == SMP_OK ? "ok" : rc == SMP_ERR_REFUSED ? "refused" : "error";
	if (rc != SMP_OK)
		t->audit.detail = first != NULL ? first->message : smp_status_string(rc);
	else if (t->detail[0] != '\0')
		t->audit.detail = t->detail;
	if (!audit_write(t->audit_fd, &t->audit))
		diags_add(t->d, t->base->set.audit, 0, SMP_SEV_ERROR, NULL,
		          "cannot write the audit log: %s%s", strerror(errno),
		          rc == SMP_OK ? " (the change itself was made)" : "");
}

/* Audit, clean up, unlock, and hand the diagnostics over. */
smp_status txn_end(struct txn *t, smp_status rc, smp_diags **diags)
{
	audit_result(t, rc);
	if (rc == SMP_OK && t->audit_fd >= 0 && smp_diags_errors(t->d) > 0)
		rc = SMP_ERR_IO;
	replace_free(&t->tmp);
	if (t->audit_fd >= 0)
		close(t->audit_fd);
	for (size_t i = 0; i < t->nlocks; i++)
		close(t->locks[i]);
	free(t->locks);
	free(t->text);
	ebuf_free(&t->out);
	smp_diags_free(t->faults);
	smp_policy_free(t->base);
	if (rc == SMP_OK && t->d->oom)
		rc = SMP_ERR_NOMEM;
	if (diags != NULL && smp_diags_count(t->d) > 0)
		*diags = t->d;
	else
		smp_diags_free(t->d);
	return rc;
}

/* ---- reading the target ----------------------------------------------- */

smp_status read_target(struct txn *t, const char *path)
{
	struct stat lst;
	int fd;
	size_t n = 0;

	t->target = path;
	/* renaming over a symbolic link would replace the link, not the file */
	if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode))
		return FAIL(t, SMP_ERR_IO, path, 0, NULL,
		            "is a symbolic link; name the file it points to in the settings");
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &t->target_st) != 0) {
		if (fd >= 0)
			close(fd);
		return FAIL(t, SMP_ERR_IO, path, 0, NULL, "cannot read: %s", strerror(errno));
	}
	if ((uint64_t)t->target_st.st_size > SMP_MAX_FILE_SIZE ||
	    (t->text = malloc((size_t)t->target_st.st_size + 1)) == NULL) {
		close(fd);
		return SMP_ERR_NOMEM;
	}
	while (n < (size_t)t->target_st.st_size) {
		ssize_t r = read(fd, t->text + n, (size_t)t->target_st.st_size - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	t->text[n] = '\0';
	if (n != (size_t)t->target_st.st_size)
		return FAIL(t, SMP_ERR_IO, path, 0, NULL, "cannot read: the file changed");
	return SMP_OK;
}

smp_status text_error(struct txn *t, smp_status rc, char *why)
{
	if (rc == SMP_ERR_NOMEM)
		return rc;
	diags_add(t->d, t->target, 0, SMP_SEV_ERROR, NULL,
	          "cannot edit this file safely: %s; change it by hand", why ? why : "?");
	free(why);
	return rc == SMP_ERR_NOTFOUND ? SMP_ERR_NOTFOUND : SMP_ERR_PARSE;
}

/* Set `path` in the entry `id` of list `list` of the file `file`. */
smp_status edit_entry(struct txn *t, const char *file, const char *list,
                      const char *id, const char *const *path, const char *value)
{
	struct span entry;
	char *why = NULL;
	smp_status rc = read_target(t, file);

	if (rc != SMP_OK)
		return rc;
	rc = text_find_entry(t->text, list, id, &entry, &why);
	if (rc == SMP_OK)
		rc = text_set(t->text, entry, path, value, &t->out, &why);
	return rc == SMP_OK ? SMP_OK : text_error(t, rc, why);
}

/* ---- writing and judging the candidate --------------------------------- */

/* The target's owner and mode, for the new text. */
static bool target_perm(int fd, void *target_st)
{
	const struct stat *ts = target_st;
	struct stat st;

	if (fstat(fd, &st) != 0)
		return false;
	if ((st.st_uid != ts->st_uid || st.st_gid != ts->st_gid) &&
	    fchown(fd, ts->st_uid, ts->st_gid) != 0)
		return false;
	return fchmod(fd, ts->st_mode & 07777) == 0;
}

/* The new text in a temporary file beside the target, with its owner and
 * mode, on disk. */
static smp_status write_temp(struct txn *t)
{
	char dir[4096];
	const char *base;
	int err;

	if (replace_write(&t->tmp, t->target, NULL, target_perm, &t->target_st, t->out.s,
	                  t->out.len))
		return SMP_OK;
	err = errno;
	split_path(t->target, dir, sizeof(dir), &base);
	if (t->tmp.failed == REPLACE_NOMEM)
		return SMP_ERR_NOMEM;
	if (t->tmp.failed == REPLACE_CREATE)
		return FAIL(t, SMP_ERR_IO, t->target, 0, NULL,
		            "cannot create a temporary file in %s: %s", dir, strerror(err));
	return FAIL(t, SMP_ERR_IO, t->tmp.tmp, 0, NULL, "cannot write: %s", strerror(err));
}

/* Is [iv.from, iv.to) inside the over-cap periods of b? */
static bool covered(const struct approval *b, struct interval iv)
{
	int64_t from = iv.from;

	for (size_t i = 0; b != NULL && i < b->nover_cap && from < iv.to; i++) {
		if (b->over_cap[i].to <= from)
			continue;
		if (b->over_cap[i].from > from)
			return false;
		from = b->over_cap[i].to;
	}
	return from >= iv.to;
}

/* Is the fault part[0, n) one of the "; "-joined faults of old? */
static bool part_in(const char *part, size_t n, const char *old)
{
	for (const char *o = old; o != NULL;) {
		if (strncmp(o, part, n) == 0 && (o[n] == '\0' || strncmp(o + n, "; ", 2) == 0))
			return true;
		o = strstr(o, "; ");
		if (o != NULL)
			o += 2;
	}
	return false;
}

/* Is every fault of why one of old's?  A director's signature takes one
 * part away and leaves the other's as it was. */
static bool why_within(const char *why, const char *old)
{
	while (*why != '\0') {
		const char *end = strstr(why, "; ");
		size_t n = end != NULL ? (size_t)(end - why) : strlen(why);

		if (!part_in(why, n, old))
			return false;
		why += end != NULL ? n + 2 : n;
	}
	return true;
}

/* Does candidate approval c have a fault its old self did not have?  A
 * fault that shrinks (a revocation shortening a period over the cap, one
 * of two missing signatures given) is not new. */
static bool fault_is_new(const smp_policy *base, const struct approval *c)
{
	uint32_t bi = policy_find_approval(base, c->id);
	const struct approval *b = bi == NONE ? NULL : &base->approvals[bi];

	if (c->invalid_why != NULL &&
	    (b == NULL || b->invalid_why == NULL || !why_within(c->invalid_why, b->invalid_why)))
		return true;
	for (size_t i = 0; i < c->nover_cap; i++)
		if (!covered(b, c->over_cap[i]))
			return true;
	return false;
}

static bool same_text(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static bool had_fault(const smp_diags *old, const struct smp_diag *g)
{
	for (size_t i = 0; i < smp_diags_count(old); i++) {
		const struct smp_diag *o = smp_diags_get(old, i);

		if (o->severity == SMP_SEV_ERROR && same_text(o->subject, g->subject) &&
		    strcmp(o->message, g->message) == 0)
			return true;
	}
	return false;
}

/* Before the first new fault: say what they mean. */
static void summarize(struct txn *t, size_t n)
{
	if (n > 0)
		return;
	t->summary = smp_diags_count(t->d);
	diags_add(t->d, NULL, 0, SMP_SEV_ERROR, NULL,
	          "refused: after this change the records would have a fault they do not "
	          "have now:");
}

/* Report each new fault of the candidate; returns how many. */
static size_t new_faults(struct txn *t, const smp_policy *cand, const smp_diags *cf)
{
	size_t n = 0;

	for (size_t i = 0; i < smp_diags_count(cf); i++) {
		const struct smp_diag *g = smp_diags_get(cf, i);
		uint32_t ai = g->subject ? policy_find_approval(cand, g->subject) : NONE;

		if (g->severity != SMP_SEV_ERROR)
			continue;
		if (ai != NONE ? fault_is_new(t->base, &cand->approvals[ai])
		               : !had_fault(t->faults, g)) {
			summarize(t, n);
			copy_diag(t, g);
			n++;
		}
	}
	for (size_t i = 0; i < cand->napprovals; i++) {
		const struct approval *c = &cand->approvals[i];

		if (n == 0 && fault_is_new(t->base, c)) {   /* said by no diagnostic */
			summarize(t, n);
			diags_add(t->d, c->at.file, c->at.line, SMP_SEV_ERROR, c->id,
			          "approval '%s' would break the procedure: %s", c->id,
			          c->invalid_why ? c->invalid_why : "its office would be over its cap");
			n++;
		}
	}
	return n;
}

/* Load the candidate in place of the target and judge it; on SMP_OK
 * *kept is the candidate's policy, for the compiled cache. */
static smp_status judge(struct txn *t, smp_policy **kept)
{
	smp_policy *cand = NULL;
	smp_diags *ld = NULL, *cf = NULL;
	smp_status rc = policy_load_ex(t->config, t->flags & LOAD_FLAGS, t->target, t->tmp.tmp,
	                               &cand, &ld);

	if (rc == SMP_ERR_PARSE) {
		t->summary = smp_diags_count(t->d);
		diags_add(t->d, NULL, 0, SMP_SEV_ERROR, NULL,
		          "refused: after this change the records would not load:");
		copy_diags(t, ld, true);
		rc = SMP_ERR_REFUSED;
	} else if (rc != SMP_OK) {
		copy_diags(t, ld, true);
	} else {
		rc = smp_policy_check(cand, &cf);
		if (rc == SMP_OK && new_faults(t, cand, cf) > 0)
			rc = SMP_ERR_REFUSED;
	}
	smp_diags_free(ld);
	smp_diags_free(cf);
	if (rc == SMP_OK)
		*kept = cand;
	else
		smp_policy_free(cand);
	return rc;
}

/* The compiled cache of the records just written (cand: the candidate,
 * which has their bytes), so that logins need not parse them.  The change
 * stands whatever becomes of it: a cache left stale is only not used. */
static void refresh_cache(struct txn *t, const smp_policy *cand)
{
	smp_diags *cd = NULL;

	if (smp_policy_cache_write(cand, (t->flags & SMP_EDIT_NOWAIT) ? SMP_WRITE_NOWAIT : 0,
	                           &cd) != SMP_OK) {
		diags_add(t->d, smp_policy_cache_path(cand), 0, SMP_SEV_WARNING, NULL,
		          "the change was made, but the compiled cache could not be rewritten; "
		          "the files are read until a login (cache=refresh), the next record "
		          "command or smpolicy compile writes it");
		for (size_t i = 0; i < smp_diags_count(cd); i++) {
			const struct smp_diag *g = smp_diags_get(cd, i);

			diags_add(t->d, g->file, g->line, SMP_SEV_WARNING, g->subject, "%s",
			          g->message);
		}
	}
	smp_diags_free(cd);
}

/* Write, judge, put the new records in place, and compile them. */
smp_status commit(struct txn *t)
{
	smp_policy *cand = NULL;
	smp_status rc;

	if (t->out.oom)
		return SMP_ERR_NOMEM;
	rc = write_temp(t);
	if (rc == SMP_OK)
		rc = judge(t, &cand);
	if (rc != SMP_OK)
		return rc;
	if (!replace_install(&t->tmp, t->target) && t->tmp.failed == REPLACE_RENAME) {
		smp_policy_free(cand);
		return FAIL(t, SMP_ERR_IO, t->target, 0, NULL, "cannot replace the records: %s",
		            strerror(errno));
	}
	if (t->tmp.failed == REPLACE_FOLDER) {   /* in place, but may not outlast a crash */
		char dir[4096];
		const char *base;
		int err = errno;

		split_path(t->target, dir, sizeof(dir), &base);
		diags_add(t->d, dir, 0, SMP_SEV_WARNING, NULL,
		          "the change was made but the folder could not be flushed to disk: %s",
		          strerror(err));
	}
	refresh_cache(t, cand);
	smp_policy_free(cand);
	return SMP_OK;
}

/* ---- looking things up in the loaded records --------------------------- */

const struct staff *find_staff(const smp_policy *p, const char *id)
{
	uint32_t i = id ? policy_find_staff(p, id) : NONE;

	return i == NONE ? NULL : &p->staff[i];
}

const char *office_id(const smp_policy *p, const struct staff *s)
{
	return s->office == NONE ? "(none)" : p->offices[s->office].id;
}

const char *did_you_mean(const smp_policy *p, smp_id_kind kind, const char *id, char *buf,
                         size_t n)
{
	const char *near = policy_suggest(p, kind, id);

	if (near == NULL || (size_t)snprintf(buf, n, "; did you mean '%s'?", near) >= n)
		return "";
	return buf;
}

smp_status refuse_unknown_staff(struct txn *t, const char *what, const char *id)
{
	char hint[SMP_MAX_ID_LEN + 32];

	return FAIL(t, SMP_ERR_REFUSED, NULL, 0, id,
	            "refused: %s '%s' is not in the staff records%s", what, id,
	            did_you_mean(t->base, SMP_ID_STAFF, id, hint, sizeof(hint)));
}

const struct approval *find_approval(struct txn *t, const char *id)
{
	uint32_t i = policy_find_approval(t->base, id);
	char hint[SMP_MAX_ID_LEN + 32];

	if (i != NONE)
		return &t->base->approvals[i];
	diags_add(t->d, NULL, 0, SMP_SEV_ERROR, id, "there is no approval '%s'%s", id,
	          did_you_mean(t->base, SMP_ID_APPROVAL, id, hint, sizeof(hint)));
	return NULL;
}
