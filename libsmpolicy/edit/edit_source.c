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

#include <stdlib.h>

struct source_writer {
	smp_status (*request)(const char *config, unsigned flags,
	                      const struct smp_edit_request *req, const char *password,
	                      char **new_id, smp_diags **diags);
	smp_status (*sign)(const char *config, unsigned flags, const char *id, const char *by,
	                   const char *on, const char *password, const struct smp_signing *key,
	                   smp_sign_off_kind *recorded, bool *complete, smp_diags **diags);
	smp_status (*revoke)(const char *config, unsigned flags, const char *id,
	                     const char *by, const char *reason, const char *on,
	                     const char *password, const struct smp_signing *key,
	                     smp_diags **diags);
	smp_status (*account)(const char *config, unsigned flags, const char *id,
	                      smp_account_event event, const char *on, const char *by,
	                      const char *password, smp_diags **diags);
	smp_status (*audit_read)(const char *config, unsigned flags, const int64_t *since,
	                         smp_audit_fn fn, void *ctx, smp_diags **diags);
};

/* The writers, by kind: a new source adds its own here. */
static const struct source_writer writers[SOURCE__COUNT] = {
	[SOURCE_FILES] = { files_request, files_sign, files_revoke, files_account,
	                   audit_read_files },
	[SOURCE_LDAP] = { dir_request, dir_sign, dir_revoke, dir_account, dir_audit_read },
};

enum source_kind edit_source_kind(const char *config, unsigned flags)
{
	struct smp_source src;
	smp_diags *d = diags_new();
	enum source_kind kind = SOURCE_FILES;

	/* settings that cannot be read go to the files' writer, which reads
	 * them again and reports why (and refuses any other source it finds) */
	if (d != NULL && source_read(config, flags, &src, d) == SMP_OK)
		kind = src.kind;
	source_free(&src);
	smp_diags_free(d);
	return kind;
}

static const struct source_writer *writer(const char *config, unsigned flags)
{
	return &writers[edit_source_kind(config, flags)];
}

bool smp_config_is_directory(const char *config_path, unsigned flags)
{
	return edit_source_kind(config_path, flags) == SOURCE_LDAP;
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
	if (req == NULL)
		return SMP_ERR_ARG;
	return writer(config_path, flags)->request(config_path, flags, req, password, new_id,
	                                           diags);
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
	if (id == NULL || by == NULL)
		return SMP_ERR_ARG;
	return writer(config_path, flags)->sign(config_path, flags, id, by, on, password, key,
	                                        recorded, complete, diags);
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
	const struct source_writer *w;

	if (diags != NULL)
		*diags = NULL;
	if (id == NULL || by == NULL || reason == NULL)
		return SMP_ERR_ARG;
	/* an empty reason is refused by the files' own checks, before any
	 * source is written or reached */
	w = reason[0] != '\0' ? writer(config_path, flags) : &writers[SOURCE_FILES];
	return w->revoke(config_path, flags, id, by, reason, on, password, key, diags);
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
	if (id == NULL || (unsigned)event >= SMP_ACCOUNT__COUNT)
		return SMP_ERR_ARG;
	return writer(config_path, flags)->account(config_path, flags, id, event, on, by,
	                                           password, diags);
}

/* The files' audit log (edit_audit.c) or the directory's trail. */
smp_status smp_audit_read(const char *config, unsigned flags, const int64_t *since,
                          smp_audit_fn fn, void *ctx, smp_diags **diags)
{
	if (diags != NULL)
		*diags = NULL;
	if (fn == NULL)
		return SMP_ERR_ARG;
	return writer(config, flags)->audit_read(config, flags, since, fn, ctx, diags);
}
