/*
 * edit_ldap_cmds.c - the record commands and `smpolicy log` on records in
 * the directory: each command is the files' own writer (files_*) applied to a
 * private rendering of the directory (edit_ldap.c carries it there and
 * back); the log is the audit entries under ou=audit.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "edit_internal.h"
#include "sources/directory_sync.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- the commands ----------------------------------------------------------- */

static smp_status apply_request(const struct dir_edit *e, const char *conf, unsigned flags,
                                char **new_id, smp_diags **d)
{
	return files_request(conf, flags, e->args, NULL, new_id, d);
}

smp_status dir_request(const struct smp_source *src, const char *config, unsigned flags,
                       const struct smp_edit_request *req, const char *password,
                       char **new_id, smp_diags **diags)
{
	struct dir_edit e = { "request", req->by, password, "approvals", NULL, false,
	                      apply_request, (void *)req };

	(void)config;   /* messages name the directory, not the settings file */
	if (new_id != NULL)
		*new_id = NULL;
	if (req->by == NULL)
		return SMP_ERR_ARG;
	return dir_edit_run(&src->ldap, flags, &e, new_id, diags);
}

struct sign_args {
	const char *on;
	const struct smp_signing *key;
	smp_sign_off_kind kind;
	bool complete;
};

static smp_status apply_sign(const struct dir_edit *e, const char *conf, unsigned flags,
                             char **new_id, smp_diags **d)
{
	struct sign_args *a = e->args;

	(void)new_id;
	return files_sign(conf, flags, e->id, e->by, a->on, NULL, a->key, &a->kind, &a->complete,
	                  d);
}

smp_status dir_sign(const struct smp_source *src, const char *config, unsigned flags,
                    const char *id, const char *by, const char *on, const char *password,
                    const struct smp_signing *key, smp_sign_off_kind *recorded, bool *complete,
                    smp_diags **diags)
{
	struct sign_args a = { on, key, SMP_SIGN_OFF_CPP, false };
	struct dir_edit e = { "sign", by, password, "approvals", id, true, apply_sign, &a };
	smp_status rc;

	(void)config;   /* messages name the directory, not the settings file */
	rc = dir_edit_run(&src->ldap, flags, &e, NULL, diags);
	if (recorded != NULL)
		*recorded = a.kind;
	if (complete != NULL)
		*complete = rc == SMP_OK && a.complete;
	return rc;
}

struct revoke_args {
	const char *reason, *on;
	const struct smp_signing *key;
};

static smp_status apply_revoke(const struct dir_edit *e, const char *conf, unsigned flags,
                               char **new_id, smp_diags **d)
{
	const struct revoke_args *a = e->args;

	(void)new_id;
	return files_revoke(conf, flags, e->id, e->by, a->reason, a->on, NULL, a->key, d);
}

smp_status dir_revoke(const struct smp_source *src, const char *config, unsigned flags,
                      const char *id, const char *by, const char *reason, const char *on,
                      const char *password, const struct smp_signing *key, smp_diags **diags)
{
	struct revoke_args a = { reason, on, key };
	/* a revocation only ever lowers an office's count: no revision */
	struct dir_edit e = { "revoke", by, password, "approvals", id, false, apply_revoke, &a };

	(void)config;   /* messages name the directory, not the settings file */
	return dir_edit_run(&src->ldap, flags, &e, NULL, diags);
}

struct account_args {
	smp_account_event event;
	const char *on;
};

static smp_status apply_account(const struct dir_edit *e, const char *conf, unsigned flags,
                                char **new_id, smp_diags **d)
{
	const struct account_args *a = e->args;

	(void)new_id;
	return files_account(conf, flags, e->id, a->event, a->on, e->by, NULL, d);
}

smp_status dir_account(const struct smp_source *src, const char *config, unsigned flags,
                       const char *id, smp_account_event event, const char *on,
                       const char *by, const char *password, smp_diags **diags)
{
	struct account_args a = { event, on };
	struct dir_edit e = { "account", by, password, "accounts", id, false, apply_account, &a };

	if (diags != NULL)
		*diags = NULL;
	if (by == NULL) {
		smp_diags *d = diags_new();

		if (d == NULL)
			return SMP_ERR_NOMEM;
		diags_add(d, config, 0, SMP_SEV_ERROR, id, "the records are in the directory: say "
		          "who records the event (--by: the account's supervisor or a director_it), "
		          "whose identity the directory checks");
		if (diags != NULL)
			*diags = d;
		else
			smp_diags_free(d);
		return SMP_ERR_ARG;
	}
	return dir_edit_run(&src->ldap, flags, &e, NULL, diags);
}

/* ---- the log ---------------------------------------------------------------- */

struct audit_row {
	char *when, *csn, *line;   /* the entryCSN orders entries of one second */
};

struct audit_rows {
	struct audit_row *v;
	size_t n, cap;
	bool nomem;
};

static char *first_value(LDAP *ld, LDAPMessage *e, const char *attr)
{
	struct berval **v = ldap_get_values_len(ld, e, attr);
	char *s = v != NULL && v[0] != NULL ? strndup(v[0]->bv_val, v[0]->bv_len) : NULL;

	ldap_value_free_len(v);
	return s;
}

static smp_status take_row(void *ctx, LDAP *ld, LDAPMessage *e)
{
	struct audit_rows *rows = ctx;
	char *when = first_value(ld, e, "smpAuditWhen"), *line = first_value(ld, e, "smpAuditLine");
	char *creator = first_value(ld, e, "creatorsName"), *full = NULL;
	char *csn = first_value(ld, e, "entryCSN");

	if (rows->n == rows->cap) {
		size_t ncap = rows->cap ? rows->cap * 2 : 64;
		struct audit_row *nv = realloc(rows->v, ncap * sizeof(*nv));

		if (nv == NULL)
			rows->nomem = true;
		else {
			rows->v = nv;
			rows->cap = ncap;
		}
	}
	/* who bound is slapd's word (creatorsName), not the line's */
	if (!rows->nomem && when != NULL && line != NULL &&
	    asprintf(&full, "%s bound=%s", line, creator ? creator : "?") >= 0) {
		rows->v[rows->n++] = (struct audit_row){ when, csn, full };
		when = csn = NULL;
	}
	free(csn);
	free(when);
	free(line);
	free(creator);
	return rows->nomem ? SMP_ERR_NOMEM : SMP_OK;
}

static int row_cmp(const void *a, const void *b)
{
	const struct audit_row *x = a, *y = b;
	int c = strcmp(x->when, y->when);

	if (c == 0 && x->csn != NULL && y->csn != NULL)
		c = strcmp(x->csn, y->csn);
	return c != 0 ? c : strcmp(x->line, y->line);
}

smp_status dir_audit_read(const struct smp_source *src, const char *config, unsigned flags,
                          const int64_t *since, smp_audit_fn fn, void *ctx, smp_diags **diags)
{
	static const char *const attrs[] = { "smpAuditWhen", "smpAuditLine", "creatorsName",
		                             "entryCSN", NULL };
	const struct ldap_settings *s = &src->ldap;
	struct dir_conn c = { 0 };
	struct audit_rows rows = { 0 };
	smp_diags *d = diags_new();
	char filter[128] = "(objectClass=" LDAP_AUDIT_OC ")", *base = NULL;
	smp_status rc = SMP_OK;

	(void)config;
	if (d == NULL)
		return SMP_ERR_NOMEM;
	if (since != NULL) {
		time_t t = (time_t)*since;
		struct tm tm;
		char when[32];

		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		snprintf(filter, sizeof(filter), "(&(objectClass=%s)(smpAuditWhen>=%s))",
		         LDAP_AUDIT_OC, when);
	}
	if (rc == SMP_OK && asprintf(&base, "%s,%s", LDAP_AUDIT_CONTAINER, s->base) < 0) {
		base = NULL;
		rc = SMP_ERR_NOMEM;
	}
	if (rc == SMP_OK)
		rc = dir_open(&c, s, flags, d);
	if (rc == SMP_OK)
		rc = dir_search(&c, base, LDAP_SCOPE_ONELEVEL, filter, (char **)attrs, true, take_row,
		                &rows, NULL);
	if (rc == SMP_OK && s->bind_dn == NULL)
		diags_add(d, s->config_path, 0, SMP_SEV_WARNING, NULL, "read anonymously (no "
		          "ldap.bind_dn): the directory shows the audit trail to bound users only");
	if (rc == SMP_OK)
		qsort(rows.v, rows.n, sizeof(*rows.v), row_cmp);
	for (size_t i = 0; rc == SMP_OK && i < rows.n; i++) {
		int64_t when = INT64_MIN;

		smp_time_parse(rows.v[i].when, SMP_TIME_START, &when);
		if (fn(ctx, when, rows.v[i].line) != 0)
			break;
	}
	for (size_t i = 0; i < rows.n; i++) {
		free(rows.v[i].when);
		free(rows.v[i].csn);
		free(rows.v[i].line);
	}
	free(rows.v);
	free(base);
	dir_close(&c);
	return give_diags(d, rc, diags);
}
