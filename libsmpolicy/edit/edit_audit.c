/*
 * edit_audit.c - the audit trail of the record commands: one line per
 * command, appended with O_APPEND in a single write so that concurrent
 * commands never interleave, and read back for `smpolicy log`.
 *
 * A line is:  TIME user=LOGIN by=STAFF action=ACTION id=ID result=RESULT detail=TEXT
 * TIME is local ISO 8601 with its offset; a value that holds anything but
 * letters, digits and . _ - @ : + / , is double-quoted with C escapes, so a
 * line is always one line whatever the reason text holds.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "edit_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool is_safe(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("._-@:+/,", c) != NULL;
}

void audit_quote(struct ebuf *b, const char *v)
{
	bool bare = v[0] != '\0';

	for (const char *s = v; *s && bare; s++)
		bare = is_safe((unsigned char)*s);
	if (bare) {
		ebuf_adds(b, v);
		return;
	}
	ebuf_adds(b, "\"");
	for (const unsigned char *s = (const unsigned char *)v; *s; s++) {
		if (*s == '"' || *s == '\\')
			ebuf_addf(b, "\\%c", *s);
		else if (*s == '\n')
			ebuf_adds(b, "\\n");
		else if (*s == '\t')
			ebuf_adds(b, "\\t");
		else if (*s < 0x20 || *s >= 0x7f)   /* the log is ASCII: safe to cat */
			ebuf_addf(b, "\\x%02x", *s);
		else
			ebuf_add(b, (const char *)s, 1);
	}
	ebuf_adds(b, "\"");
}

int audit_log_open(const char *path)
{
	struct stat st;
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY,
	              0640);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

static void add_field(struct ebuf *b, const char *key, const char *value)
{
	if (value == NULL)
		return;
	ebuf_addf(b, " %s=", key);
	audit_quote(b, value);
}

void audit_format(struct ebuf *b, const struct audit_entry *e)
{
	char when[40];

	if (smp_time_format(e->when, when, sizeof(when)) == NULL)
		snprintf(when, sizeof(when), "@%lld", (long long)e->when);
	ebuf_adds(b, when);
	add_field(b, "user", e->user);
	add_field(b, "by", e->by);
	add_field(b, "action", e->action);
	add_field(b, "id", e->id);
	add_field(b, "result", e->result);
	add_field(b, "detail", e->detail);
}

bool audit_write(int fd, const struct audit_entry *e)
{
	struct ebuf b = { 0 };
	size_t off = 0;

	audit_format(&b, e);
	ebuf_adds(&b, "\n");
	if (b.oom) {
		ebuf_free(&b);
		errno = ENOMEM;
		return false;
	}
	while (off < b.len) {
		ssize_t w = write(fd, b.s + off, b.len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			ebuf_free(&b);
			return false;
		}
		off += (size_t)w;
	}
	ebuf_free(&b);
	return true;
}

/* ---- reading it back -------------------------------------------------- */

/* The moment at the start of line (up to the first space). */
static bool line_time(const char *line, int64_t *when)
{
	size_t n = strcspn(line, " ");
	char buf[48];

	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, line, n);
	buf[n] = '\0';
	return smp_time_parse(buf, SMP_TIME_START, when) == SMP_OK;
}

static smp_status read_lines(FILE *f, const char *path, const int64_t *since,
                             smp_audit_fn fn, void *ctx, smp_diags *d)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned lineno = 0;
	smp_status rc = SMP_OK;

	while ((n = getline(&line, &cap, f)) >= 0) {
		int64_t when = INT64_MIN;
		bool timed;

		lineno++;
		if (n > 0 && line[n - 1] == '\n')
			line[n - 1] = '\0';
		timed = line_time(line, &when);
		if (!timed && since != NULL) {
			diags_add(d, path, lineno, SMP_SEV_WARNING, NULL,
			          "the line does not start with a time; left out");
			continue;
		}
		if (since != NULL && when < *since)
			continue;
		if (fn(ctx, when, line) != 0)
			break;
	}
	if (ferror(f)) {
		diags_add(d, path, 0, SMP_SEV_ERROR, NULL, "cannot read: %s", strerror(errno));
		rc = SMP_ERR_IO;
	}
	free(line);
	return rc;
}

static smp_status audit_read_path(const char *path, const int64_t *since, smp_audit_fn fn,
                                  void *ctx, smp_diags *d)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	FILE *f;
	smp_status rc;

	if (fd < 0 && errno == ENOENT)
		return SMP_OK;   /* no command has run yet */
	if (fd < 0 || (f = fdopen(fd, "r")) == NULL) {
		diags_add(d, path, 0, SMP_SEV_ERROR, NULL, "cannot open the audit log: %s",
		          strerror(errno));
		if (fd >= 0)
			close(fd);
		return SMP_ERR_IO;
	}
	rc = read_lines(f, path, since, fn, ctx, d);
	fclose(f);
	return rc;
}

smp_status give_diags(smp_diags *d, smp_status rc, smp_diags **diags)
{
	if (rc == SMP_OK && d->oom)
		rc = SMP_ERR_NOMEM;
	if (diags != NULL && smp_diags_count(d) > 0)
		*diags = d;
	else
		smp_diags_free(d);
	return rc;
}

smp_status audit_read_files(const char *config, unsigned flags, const int64_t *since,
                            smp_audit_fn fn, void *ctx, smp_diags **diags)
{
	smp_policy *p = NULL;
	smp_diags *d;
	smp_status rc;

	rc = smp_policy_load(config, flags, &p, diags);
	if (rc != SMP_OK)
		return rc;
	smp_diags_free(diags != NULL ? *diags : NULL);   /* load warnings: not ours */
	if (diags != NULL)
		*diags = NULL;
	d = diags_new();
	if (d == NULL) {
		smp_policy_free(p);
		return SMP_ERR_NOMEM;
	}
	rc = p->set.audit != NULL ? audit_read_path(p->set.audit, since, fn, ctx, d)
	                          : SMP_ERR_IO;
	if (p->set.audit == NULL)
		diags_add(d, p->config_path, 0, SMP_SEV_ERROR, NULL, "no audit log is configured");
	smp_policy_free(p);
	return give_diags(d, rc, diags);
}
