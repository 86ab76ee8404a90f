/*
 * edit_source.c - the record commands and `smpolicy log` by the source the
 * settings file names, read once (sources/source.c): the writers, one per
 * kind of source, in one table.  The files' writer is procedures.c (and
 * edit_audit.c for the log); the directory's, edit_ldap_cmds.c, applies the
 * files' writer to a private rendering of the directory.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "edit_internal.h"
#include "sources/source.h"

#include <string.h>

/* Every operation takes the source as read once, and the settings file's
 * path as the caller gave it (the files' writer reads that file itself,
 * and names it so in its messages). */
struct source_writer {
	smp_status (*request)(const struct smp_source *src, const char *config, unsigned flags,
	                      const struct smp_edit_request *req, const char *password,
	                      char **new_id, smp_diags **diags);
	smp_status (*sign)(const struct smp_source *src, const char *config, unsigned flags,
	                   const char *id, const char *by, const char *on, const char *password,
	                   const struct smp_signing *key, smp_sign_off_kind *recorded,
	                   bool *complete, smp_diags **diags);
	smp_status (*revoke)(const struct smp_source *src, const char *config, unsigned flags,
	                     const char *id, const char *by, const char *reason, const char *on,
	                     const char *password, const struct smp_signing *key,
	                     smp_diags **diags);
	smp_status (*account)(const struct smp_source *src, const char *config, unsigned flags,
	                      const char *id, smp_account_event event, const char *on,
	                      const char *by, const char *password, smp_diags **diags);
	smp_status (*audit_read)(const struct smp_source *src, const char *config,
	                         unsigned flags, const int64_t *since, smp_audit_fn fn, void *ctx,
	                         smp_diags **diags);
};

/* ---- the files' writer: procedures.c and edit_audit.c --------------------- */

static smp_status f_request(const struct smp_source *src, const char *config, unsigned flags,
                            const struct smp_edit_request *req, const char *password,
                            char **new_id, smp_diags **diags)
{
	(void)src;
	return files_request(config, flags, req, password, new_id, diags);
}

static smp_status f_sign(const struct smp_source *src, const char *config, unsigned flags,
                         const char *id, const char *by, const char *on, const char *password,
                         const struct smp_signing *key, smp_sign_off_kind *recorded,
                         bool *complete, smp_diags **diags)
{
	(void)src;
	return files_sign(config, flags, id, by, on, password, key, recorded, complete, diags);
}

static smp_status f_revoke(const struct smp_source *src, const char *config, unsigned flags,
                           const char *id, const char *by, const char *reason, const char *on,
                           const char *password, const struct smp_signing *key,
                           smp_diags **diags)
{
	(void)src;
	return files_revoke(config, flags, id, by, reason, on, password, key, diags);
}

static smp_status f_account(const struct smp_source *src, const char *config, unsigned flags,
                            const char *id, smp_account_event event, const char *on,
                            const char *by, const char *password, smp_diags **diags)
{
	(void)src;
	return files_account(config, flags, id, event, on, by, password, diags);
}

static smp_status f_audit_read(const struct smp_source *src, const char *config,
                               unsigned flags, const int64_t *since, smp_audit_fn fn,
                               void *ctx, smp_diags **diags)
{
	(void)src;
	return audit_read_files(config, flags, since, fn, ctx, diags);
}

/* The writers, by kind: a new source adds its own here. */
static const struct source_writer writers[SOURCE__COUNT] = {
	[SOURCE_FILES] = { f_request, f_sign, f_revoke, f_account, f_audit_read },
	[SOURCE_LDAP] = { dir_request, dir_sign, dir_revoke, dir_account, dir_audit_read },
};

/* The source of config, read once for the command.  Settings that cannot
 * be read go to the files' writer, which reads them again and reports why
 * (and refuses any other source it finds then). */
static const struct source_writer *source_of(const char *config, unsigned flags,
                                             struct smp_source *src)
{
	smp_diags *d = diags_new();

	memset(src, 0, sizeof(*src));
	if (d == NULL || source_read(config, flags, src, d) != SMP_OK) {
		source_free(src);
		src->kind = SOURCE_FILES;
	}
	smp_diags_free(d);
	return &writers[src->kind];
}

enum source_kind edit_source(const char *config, unsigned flags, struct smp_source *src)
{
	source_of(config, flags, src);
	return src->kind;
}

smp_status smp_config_is_directory(const char *config_path, unsigned flags, bool *out)
{
	struct smp_source src = { 0 };

	if (out == NULL || !flags_ok(flags, SMP_NO_FLAGS))
		return SMP_ERR_ARG;
	*out = edit_source(config_path, flags, &src) == SOURCE_LDAP;
	source_free(&src);
	return SMP_OK;
}

void smp_edit_request_init(struct smp_edit_request *req)
{
	if (req == NULL)
		return;
	memset(req, 0, sizeof(*req));
	req->size = sizeof(*req);
	req->kind = SMP_APPROVAL_LONG_TERM;
}

smp_status smp_edit_request(const char *config_path, unsigned flags,
                            const struct smp_edit_request *req, char **new_id,
                            smp_diags **diags)
{
	return smp_edit_request_as(config_path, flags, req, NULL, new_id, diags);
}

smp_status smp_edit_request_as(const char *config_path, unsigned flags,
                               const struct smp_edit_request *req, const char *password,
                               char **new_id, smp_diags **diags)
{
	if (diags != NULL)
		*diags = NULL;
	if (new_id != NULL)
		*new_id = NULL;
	if (!SIZE_OK(req) || !flags_ok(flags, SMP_EDIT_FLAGS))
		return SMP_ERR_ARG;
	struct smp_source src = { 0 };
	smp_status rc = source_of(config_path, flags, &src)->request(&src, config_path, flags, req,
	                                                             password, new_id, diags);

	source_free(&src);
	return rc;
}

smp_status smp_edit_sign(const char *config_path, unsigned flags, const char *id,
                         const char *by, const char *on, smp_sign_off_kind *recorded,
                         bool *complete, smp_diags **diags)
{
	return smp_edit_sign_as(config_path, flags, id, by, on, NULL, recorded, complete, diags);
}

smp_status smp_edit_sign_as(const char *config_path, unsigned flags, const char *id,
                            const char *by, const char *on, const char *password,
                            smp_sign_off_kind *recorded, bool *complete, smp_diags **diags)
{
	return smp_edit_sign_with(config_path, flags, id, by, on, password, NULL, recorded,
	                          complete, diags);
}

smp_status smp_edit_sign_with(const char *config_path, unsigned flags, const char *id,
                              const char *by, const char *on, const char *password,
                              const struct smp_signing *key, smp_sign_off_kind *recorded,
                              bool *complete, smp_diags **diags)
{
	if (diags != NULL)
		*diags = NULL;
	if (id == NULL || by == NULL || !flags_ok(flags, SMP_EDIT_FLAGS) ||
	    (key != NULL && !SIZE_OK(key)))
		return SMP_ERR_ARG;
	struct smp_source src = { 0 };
	smp_status rc = source_of(config_path, flags, &src)->sign(&src, config_path, flags, id, by,
	                                                          on, password, key, recorded,
	                                                          complete, diags);

	source_free(&src);
	return rc;
}

smp_status smp_edit_revoke(const char *config_path, unsigned flags, const char *id,
                           const char *by, const char *reason, const char *on,
                           smp_diags **diags)
{
	return smp_edit_revoke_as(config_path, flags, id, by, reason, on, NULL, diags);
}

smp_status smp_edit_revoke_as(const char *config_path, unsigned flags, const char *id,
                              const char *by, const char *reason, const char *on,
                              const char *password, smp_diags **diags)
{
	return smp_edit_revoke_with(config_path, flags, id, by, reason, on, password, NULL, diags);
}

smp_status smp_edit_revoke_with(const char *config_path, unsigned flags, const char *id,
                                const char *by, const char *reason, const char *on,
                                const char *password, const struct smp_signing *key,
                                smp_diags **diags)
{
	struct smp_source src = { 0 };
	const struct source_writer *w;
	smp_status rc;

	if (diags != NULL)
		*diags = NULL;
	if (id == NULL || by == NULL || reason == NULL || !flags_ok(flags, SMP_EDIT_FLAGS) ||
	    (key != NULL && !SIZE_OK(key)))
		return SMP_ERR_ARG;
	/* an empty reason is refused by the files' own checks, before any
	 * source is written or reached */
	w = reason[0] != '\0' ? source_of(config_path, flags, &src) : &writers[SOURCE_FILES];
	rc = w->revoke(&src, config_path, flags, id, by, reason, on, password, key, diags);
	source_free(&src);
	return rc;
}

smp_status smp_edit_account(const char *config_path, unsigned flags, const char *id,
                            smp_account_event event, const char *on, smp_diags **diags)
{
	return smp_edit_account_as(config_path, flags, id, event, on, NULL, NULL, diags);
}

smp_status smp_edit_account_as(const char *config_path, unsigned flags, const char *id,
                               smp_account_event event, const char *on, const char *by,
                               const char *password, smp_diags **diags)
{
	if (diags != NULL)
		*diags = NULL;
	if (id == NULL || (unsigned)event >= SMP_ACCOUNT__COUNT || !flags_ok(flags, SMP_EDIT_FLAGS))
		return SMP_ERR_ARG;
	struct smp_source src = { 0 };
	smp_status rc = source_of(config_path, flags, &src)->account(&src, config_path, flags, id,
	                                                             event, on, by, password,
	                                                             diags);

	source_free(&src);
	return rc;
}

/* The files' audit log (edit_audit.c) or the directory's trail. */
smp_status smp_audit_read(const char *config, unsigned flags, const int64_t *since,
                          smp_audit_fn fn, void *ctx, smp_diags **diags)
{
	if (diags != NULL)
		*diags = NULL;
	if (fn == NULL || !flags_ok(flags, SMP_NO_FLAGS))
		return SMP_ERR_ARG;
	struct smp_source src = { 0 };
	smp_status rc = source_of(config, flags, &src)->audit_read(&src, config, flags, since, fn,
	                                                           ctx, diags);

	source_free(&src);
	return rc;
}
