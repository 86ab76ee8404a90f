/*
 * ldap_settings.c - a settings file that names the directory
 * (settings.source = "ldap", smpolicy-ldap(5)) and the state of its local copy,
 * both read with the records' own tree checks (tree.c), so that a
 * typo in either is a FILE:LINE error like any other.  No libldap here: a
 * login reads these two small files and never the network.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "sources/directory.h"
#include "sources/tree.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A loader with an arena of its own for one small file. */
static bool small_loader(struct loader *L, const char *path, unsigned flags, smp_diags *d)
{
	memset(L, 0, sizeof(*L));
	L->flags = flags;
	L->d = d;
	L->p = calloc(1, sizeof(*L->p));
	L->src = calloc(1, sizeof(*L->src));
	if (L->src != NULL)
		L->src[0] = calloc(1, sizeof(**L->src));
	if (L->p == NULL || L->src == NULL || L->src[0] == NULL)
		return false;
	L->nsrc = 1;
	L->src[0]->path = dup_or_null(L, path);
	return L->src[0]->path != NULL;
}

static void small_loader_free(struct loader *L)
{
	if (L->src != NULL)
		source_drop(L->src[0]);
	free(L->src);
	if (L->p != NULL) {
		/* only its arena holds anything: the strings of the tree checks */
		arena_release(&L->p->mem);
		free(L->p);
	}
}

static char *keep(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

/* ---- smpolicy.conf with source = "ldap" -------------------------------- */

static const struct field ldap_top[] = {
	{ "version", F_INT, true }, { "settings", F_GROUP, true }, { "ldap", F_GROUP, true },
	/* refused by refuse_directory_keys(), with the reason */
	{ "platforms", F_LIST, false }, { "offices", F_LIST, false }, { NULL, 0, false },
};

enum { LG_URI, LG_BASE, LG_BIND_DN, LG_PW_FILE, LG_CA_FILE, LG_TIMEOUT, LG_MAX_OFFLINE,
       LG_COPY_DIR, LG_WRITE_URI, LG_N };
static const struct field ldap_fields[LG_N + 1] = {
	[LG_URI] = { "uri", F_STR, true }, [LG_BASE] = { "base", F_STR, true },
	[LG_BIND_DN] = { "bind_dn", F_STR, false },
	[LG_PW_FILE] = { "bind_password_file", F_STR, false },
	[LG_CA_FILE] = { "ca_file", F_STR, false }, [LG_TIMEOUT] = { "timeout", F_INT, false },
	[LG_MAX_OFFLINE] = { "max_offline", F_INT, false },
	[LG_COPY_DIR] = { "copy_dir", F_STR, false },
	[LG_WRITE_URI] = { "write_uri", F_STR, false },
};

/* What the directory carries is an error here: it would be ignored. */
static void refuse_directory_keys(struct loader *L, const config_setting_t *root)
{
	const config_setting_t *st = member(root, "settings", F_GROUP);
	static const char *const top[] = { "platforms", "offices", NULL };

	for (size_t i = 0; top[i] != NULL; i++) {
		const config_setting_t *m = config_setting_get_member(root, top[i]);

		if (m != NULL)
			ERR(L, AT(m), NULL,
			    "%s come from the directory when settings.source is \"ldap\"", top[i]);
	}
	for (int i = 0; st != NULL && i < config_setting_length(st); i++) {
		const config_setting_t *m = config_setting_get_elem(st, (unsigned)i);

		if (strcmp(m->name, "source") == 0 || strcmp(m->name, "audit") == 0 ||
		    strcmp(m->name, "require_signatures") == 0 || strcmp(m->name, "signers") == 0)
			continue;
		if (strcmp(m->name, "records") == 0)
			ERR(L, AT(m), NULL, "settings: records are the directory's when "
			    "settings.source is \"ldap\": name no records files");
		else
			ERR(L, AT(m), NULL, "settings: %s comes from the directory (its cn=settings "
			    "entry) when settings.source is \"ldap\"", m->name);
	}
}

/*
 * One server, and nothing libldap could read as a second: scheme://, then
 * a host (a name, an address, [IPv6], or ldapi's %-encoded path) with an
 * optional :port, then at most a "/".  libldap takes a list separated by
 * blanks or commas and fails over along it, so "ldaps://a ldap://b" would
 * reach b in clear text with the bind password; no DN, attributes or
 * extensions either (the base is ldap.base, and an extension such as
 * !StartTLS must not be able to weaken the transport).
 */
bool ldap_uri_single(const char *uri)
{
	static const char *const schemes[] = { "ldap://", "ldaps://", "ldapi://", NULL };
	const char *p = NULL;

	if (uri == NULL)
		return false;
	for (size_t i = 0; schemes[i] != NULL && p == NULL; i++)
		if (strncmp(uri, schemes[i], strlen(schemes[i])) == 0)
			p = uri + strlen(schemes[i]);
	if (p == NULL)
		return false;
	for (; *p != '\0' && *p != '/'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr(".-_:[]%", *p) != NULL))
			return false;
	return *p == '\0' || (p[0] == '/' && p[1] == '\0');
}

static void check_uri(struct loader *L, const config_setting_t *m)
{
	const char *uri = str_of(m);

	if (strncmp(uri, "ldap://", 7) != 0 && strncmp(uri, "ldaps://", 8) != 0 &&
	    strncmp(uri, "ldapi://", 8) != 0)
		ERR(L, AT(m), NULL, "ldap: %s must start with ldap://, ldaps:// or ldapi://, "
		    "not '%s'", m->name, uri);
	else if (!ldap_uri_single(uri))
		ERR(L, AT(m), NULL, "ldap: %s must name exactly one server, "
		    "scheme://host[:port] (no blanks, commas, second URI, DN or extensions: "
		    "libldap would fail over to the next one, perhaps in clear text), not '%s'",
		    m->name, uri);
}

/* A path setting made absolute from the settings file's folder; NULL if
 * absent.  False if present and empty (reported) or on OOM. */
static bool path_setting(struct loader *L, const config_setting_t *m, const char *dir,
                         char **out)
{
	const char *v = str_of(m);
	char *abs;

	*out = NULL;
	if (v == NULL)
		return true;
	if (v[0] == '\0') {
		ERR(L, AT(m), NULL, "%s must not be empty", m->name);
		return false;
	}
	abs = absolute_path(L, dir, v);
	if (abs == NULL)
		return false;
	*out = strdup(abs);
	if (*out == NULL)
		L->nomem = true;
	return *out != NULL;
}

/*
 * settings.require_signatures (default true: whoever can write the
 * directory must not be able to grant) and settings.signers (default
 * signers.conf beside this file): local settings, rendered into the copy,
 * which the directory has no attribute for.
 */
static bool take_signature_settings(struct loader *L, const config_setting_t *st,
                                    const char *dir, struct ldap_settings *out)
{
	const config_setting_t *req = st != NULL ? config_setting_get_member(st, "require_signatures")
	                                         : NULL;
	const config_setting_t *sg = st != NULL ? config_setting_get_member(st, "signers") : NULL;

	out->require_signatures = true;
	if (req != NULL && !type_matches(req, F_BOOL))
		ERR(L, AT(req), NULL, "settings: 'require_signatures' must be true or false");
	else if (req != NULL)
		out->require_signatures = config_setting_get_bool(req) != 0;
	if (sg != NULL && (!type_matches(sg, F_STR) || str_of(sg)[0] == '\0')) {
		ERR(L, AT(sg), NULL, "settings: 'signers' must be a file name");
		return false;
	}
	if (sg != NULL)
		return path_setting(L, sg, dir, &out->signers);
	if (!out->require_signatures)
		return true;   /* none read: signatures are not checked */
	out->signers = absolute_path(L, dir, "signers.conf");
	out->signers = out->signers != NULL ? keep(out->signers) : NULL;
	if (out->signers == NULL)
		L->nomem = true;
	return out->signers != NULL;
}

static void take_ldap(struct loader *L, const config_setting_t *root, const char *dir,
                      struct ldap_settings *out)
{
	const config_setting_t *st = member(root, "settings", F_GROUP);
	const config_setting_t *g = member(root, "ldap", F_GROUP);
	/* settings holds only source and audit: refuse_directory_keys() has
	 * said why any other is wrong, so no "unknown key" besides */
	const config_setting_t *audit = st != NULL ? config_setting_get_member(st, "audit") : NULL;
	const config_setting_t *m[LG_N];
	const char *uri, *base;

	if (audit != NULL && !type_matches(audit, F_STR)) {
		ERR(L, AT(audit), NULL, "settings: 'audit' must be a string");
		audit = NULL;
	}
	if (audit != NULL && !path_setting(L, audit, dir, &out->audit))
		return;
	if (!take_signature_settings(L, st, dir, out))
		return;
	if (g == NULL || !take_fields(L, g, "ldap", ldap_fields, m))
		return;
	uri = str_of(m[LG_URI]);
	base = str_of(m[LG_BASE]);
	check_uri(L, m[LG_URI]);
	if (m[LG_WRITE_URI] != NULL)
		check_uri(L, m[LG_WRITE_URI]);
	if (base[0] == '\0')
		ERR(L, AT(m[LG_BASE]), NULL, "ldap: base must name the records' DN");
	if ((m[LG_BIND_DN] == NULL) != (m[LG_PW_FILE] == NULL))
		ERR(L, AT(m[LG_BIND_DN] != NULL ? m[LG_BIND_DN] : m[LG_PW_FILE]), NULL,
		    "ldap: bind_dn and bind_password_file go together (neither: an anonymous bind)");
	out->timeout = int_setting(L, L->src[0], m[LG_TIMEOUT], SMP_DEFAULT_LDAP_TIMEOUT, 1, 600);
	out->max_offline = int_setting(L, L->src[0], m[LG_MAX_OFFLINE], SMP_DEFAULT_MAX_OFFLINE,
	                               60, 366 * 86400);
	out->uri = keep(uri);
	out->base = keep(base);
	out->bind_dn = keep(str_of(m[LG_BIND_DN]));
	out->write_uri = keep(str_of(m[LG_WRITE_URI]));
	if (m[LG_WRITE_URI] != NULL && out->write_uri == NULL)
		L->nomem = true;
	if ((out->uri == NULL || out->base == NULL ||
	     (m[LG_BIND_DN] != NULL && out->bind_dn == NULL)))
		L->nomem = true;
	if (!path_setting(L, m[LG_PW_FILE], dir, &out->bind_password_file) ||
	    !path_setting(L, m[LG_CA_FILE], dir, &out->ca_file) ||
	    !path_setting(L, m[LG_COPY_DIR], dir, &out->copy_dir))
		return;
	if (out->copy_dir == NULL && (out->copy_dir = strdup(SMP_DEFAULT_COPY_DIR)) == NULL)
		L->nomem = true;
}

void ldap_settings_free(struct ldap_settings *s)
{
	if (s == NULL)
		return;
	free(s->uri);
	free(s->base);
	free(s->bind_dn);
	free(s->write_uri);
	free(s->bind_password_file);
	free(s->ca_file);
	free(s->copy_dir);
	free(s->config_path);
	free(s->audit);
	free(s->signers);
	memset(s, 0, sizeof(*s));
}

smp_status ldap_settings_read(const char *config_path, unsigned flags, bool *is_ldap,
                              struct ldap_settings *out, struct source **files,
                              smp_diags *d)
{
	struct loader L;
	const config_setting_t *root, *st, *src, *v;
	char *abs = config_path_absolute(config_path != NULL ? config_path : SMP_DEFAULT_CONFIG);
	const char *dir;
	smp_status rc;
	long long ver;

	memset(&L, 0, sizeof(L));   /* small_loader_free() of a loader never made */
	memset(out, 0, sizeof(*out));
	*is_ldap = false;
	if (files != NULL)
		*files = NULL;
	if (abs == NULL && errno != ENOMEM) {
		diags_add(d, config_path, 0, SMP_SEV_ERROR, NULL,
		          "cannot resolve a relative path: %s", strerror(errno));
		return SMP_ERR_IO;
	}
	if (abs == NULL || !small_loader(&L, abs, flags, d)) {
		free(abs);
		small_loader_free(&L);
		return SMP_ERR_NOMEM;
	}
	free(abs);
	rc = parse_source(&L, L.src[0], NULL);
	if (rc != SMP_OK)
		goto out;
	root = config_root_setting(&L.src[0]->cfg);
	st = member(root, "settings", F_GROUP);
	src = st != NULL ? member(st, "source", F_STR) : NULL;
	if (src == NULL || strcmp(str_of(src), "ldap") != 0) {
		/* files: the records loader checks this file, from this parse
		 * when the caller keeps it (its path is this loader's: gone) */
		if (files != NULL) {
			*files = L.src[0];
			(*files)->path = NULL;
			L.src[0] = NULL;
		}
		goto out;
	}
	*is_ldap = true;
	check_fields(&L, root, "smpolicy.conf", ldap_top);
	v = member(root, "version", F_INT);
	if (v != NULL && (!int_exact(L.src[0], v, &ver) || ver != 1))
		ERR(&L, AT(v), NULL, "version must be 1 (this is libsmpolicy 1)");
	refuse_directory_keys(&L, root);
	dir = folder_of(&L, L.src[0]->path);
	if (dir != NULL)
		take_ldap(&L, root, dir, out);
	out->config_path = keep(L.src[0]->path);
	if (out->config_path == NULL)
		L.nomem = true;
	rc = L.nomem ? SMP_ERR_NOMEM : L.failed ? SMP_ERR_PARSE : SMP_OK;
out:
	if (rc == SMP_OK && L.nomem)
		rc = SMP_ERR_NOMEM;
	small_loader_free(&L);
	if (rc != SMP_OK) {
		ldap_settings_free(out);
		if (files != NULL) {
			source_drop(*files);
			*files = NULL;
		}
	}
	return rc;
}

/* ---- the local copy's state -------------------------------------------- */

enum { SS_VERSION, SS_COPY, SS_SYNCED, SS_URI, SS_BASE, SS_CSN, SS_VOID, SS_N };
static const struct field state_fields[SS_N + 1] = {
	[SS_VERSION] = { "version", F_INT, true }, [SS_COPY] = { "copy", F_STR, true },
	[SS_SYNCED] = { "synced", F_STR, true }, [SS_URI] = { "uri", F_STR, true },
	[SS_BASE] = { "base", F_STR, true }, [SS_CSN] = { "context_csn", F_STR, true },
	[SS_VOID] = { "void_records", F_INT, false },
};

/* "copy-N": a folder of copy_dir, never a path out of it. */
static bool copy_name_ok(const char *s)
{
	if (strncmp(s, "copy-", 5) != 0 || s[5] == '\0')
		return false;
	for (s += 5; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

void ldap_state_free(struct ldap_state *s)
{
	if (s == NULL)
		return;
	free(s->copy);
	free(s->uri);
	free(s->base);
	free(s->context_csn);
	memset(s, 0, sizeof(*s));
}

/* The opening of one of copy_dir's small files (the state, the last
 * attempt): NAME there, private, parsed, its fields (version first) taken
 * and its version checked.  SMP_OK with *L to finish and free, *rc the
 * parse's status and *took whether the fields were taken; else
 * SMP_ERR_NOTFOUND (no such file) or SMP_ERR_NOMEM, with nothing to free. */
static smp_status small_file_open(struct loader *L, const char *copy_dir, const char *name,
                                  unsigned flags, smp_diags *d, const char *what,
                                  const struct field *fields, const config_setting_t **m,
                                  smp_status *rc, bool *took)
{
	char *path = NULL;
	long long ver;

	*took = false;
	if (asprintf(&path, "%s/%s", copy_dir, name) < 0)
		return SMP_ERR_NOMEM;
	if (access(path, F_OK) != 0 && errno == ENOENT) {
		free(path);
		return SMP_ERR_NOTFOUND;
	}
	if (!small_loader(L, path, flags | SMP_LOAD_PRIVATE, d)) {
		free(path);
		small_loader_free(L);
		return SMP_ERR_NOMEM;
	}
	free(path);
	*rc = parse_source(L, L->src[0], NULL);
	if (*rc != SMP_OK ||
	    !take_fields(L, config_root_setting(&L->src[0]->cfg), what, fields, m))
		return SMP_OK;
	*took = true;
	if (!int_exact(L->src[0], m[0], &ver) || ver != 1)
		ERR(L, AT(m[0]), NULL, "version must be 1 (this is libsmpolicy 1)");
	return SMP_OK;
}

smp_status ldap_state_read(const char *copy_dir, unsigned flags, struct ldap_state *out,
                           smp_diags *d)
{
	struct loader L;
	const config_setting_t *m[SS_N];
	const char *synced, *copy;
	smp_status rc, st;
	long long ver;
	bool took;

	memset(out, 0, sizeof(*out));
	st = small_file_open(&L, copy_dir, LDAP_STATE_FILE, flags, d, "state", state_fields, m,
	                     &rc, &took);
	if (st != SMP_OK)
		return st;
	if (!took)
		goto out;
	copy = str_of(m[SS_COPY]);
	if (!copy_name_ok(copy))
		ERR(&L, AT(m[SS_COPY]), NULL, "copy must name a folder copy-N of %s, not '%s'",
		    copy_dir, copy);
	synced = str_of(m[SS_SYNCED]);
	if (strchr(synced, 'Z') == NULL || smp_time_parse(synced, SMP_TIME_START, &out->synced) !=
	                                     SMP_OK)
		ERR(&L, AT(m[SS_SYNCED]), NULL, "synced must be a UTC time (YYYY-MM-DDTHH:MM:SSZ), "
		    "not '%s'", synced);
	if (m[SS_VOID] != NULL && (!int_exact(L.src[0], m[SS_VOID], &ver) || ver < 0))
		ERR(&L, AT(m[SS_VOID]), NULL, "void_records must be a count");
	else if (m[SS_VOID] != NULL)
		out->void_records = (size_t)ver;
	if (L.failed)
		goto out;
	if (asprintf(&out->copy, "%s/%s/smpolicy.conf", copy_dir, copy) < 0)
		out->copy = NULL;
	out->uri = keep(str_of(m[SS_URI]));
	out->base = keep(str_of(m[SS_BASE]));
	out->context_csn = keep(str_of(m[SS_CSN]));
	if (out->copy == NULL || out->uri == NULL || out->base == NULL || out->context_csn == NULL)
		L.nomem = true;
out:
	if (rc == SMP_OK)
		rc = L.nomem ? SMP_ERR_NOMEM : L.failed ? SMP_ERR_PARSE : SMP_OK;
	small_loader_free(&L);
	if (rc != SMP_OK)
		ldap_state_free(out);
	return rc;
}

/* ---- copy_dir/last-attempt --------------------------------------------- */

enum { LA_VERSION, LA_ATTEMPTED, LA_OK, LA_URI, LA_ERROR, LA_RECORDS, LA_SUCCESS, LA_N };
static const struct field attempt_fields[LA_N + 1] = {
	[LA_VERSION] = { "version", F_INT, true }, [LA_ATTEMPTED] = { "attempted", F_STR, true },
	[LA_OK] = { "ok", F_BOOL, true }, [LA_URI] = { "uri", F_STR, true },
	[LA_ERROR] = { "error", F_STR, true }, [LA_RECORDS] = { "records", F_INT, true },
	[LA_SUCCESS] = { "success_records", F_INT, true },
};

smp_status ldap_attempt_read(const char *copy_dir, unsigned flags, struct ldap_attempt *out,
                             smp_diags *d)
{
	struct loader L;
	const config_setting_t *m[LA_N];
	const char *when;
	smp_status rc, st;
	bool took;

	memset(out, 0, sizeof(*out));
	st = small_file_open(&L, copy_dir, LDAP_ATTEMPT_FILE, flags, d, "last attempt",
	                     attempt_fields, m, &rc, &took);
	if (st != SMP_OK)
		return st;
	if (!took)
		goto out;
	when = str_of(m[LA_ATTEMPTED]);
	if (strchr(when, 'Z') == NULL ||
	    smp_time_parse(when, SMP_TIME_START, &out->attempted) != SMP_OK)
		ERR(&L, AT(m[LA_ATTEMPTED]), NULL, "attempted must be a UTC time "
		    "(YYYY-MM-DDTHH:MM:SSZ), not '%s'", when);
	if (!int_exact(L.src[0], m[LA_RECORDS], &out->records) || out->records < 0)
		ERR(&L, AT(m[LA_RECORDS]), NULL, "records must be a count");
	if (!int_exact(L.src[0], m[LA_SUCCESS], &out->success_records) ||
	    out->success_records < -1)
		ERR(&L, AT(m[LA_SUCCESS]), NULL, "success_records must be a count, or -1");
	if (L.failed)
		goto out;
	out->ok = bool_of(m[LA_OK], false);
	out->uri = keep(str_of(m[LA_URI]));
	out->error = keep(str_of(m[LA_ERROR]));
	if (out->uri == NULL || out->error == NULL)
		L.nomem = true;
out:
	if (rc == SMP_OK)
		rc = L.nomem ? SMP_ERR_NOMEM : L.failed ? SMP_ERR_PARSE : SMP_OK;
	small_loader_free(&L);
	if (rc != SMP_OK)
		ldap_attempt_free(out);
	return rc;
}

void ldap_attempt_free(struct ldap_attempt *a)
{
	if (a == NULL)
		return;
	free(a->uri);
	free(a->error);
	memset(a, 0, sizeof(*a));
}

bool directory_synced_lately(const struct ldap_settings *ls, const struct ldap_state *st,
                             int64_t now)
{
	return now - st->synced <= ls->max_offline && st->synced <= now + SYNC_CLOCK_SKEW;
}
